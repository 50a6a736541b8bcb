#!/usr/bin/env python3
"""tests/e2e/helpers/mkvdiff.py vhd|vhdx BASE_RAW TOP_RAW PARENT OUT [RECORDED_NAME]

A differencing VHD or VHDX, for t6300-scan-image-vdisk.sh: qemu-img makes dynamic VHD and
VHDX images but no differencing ones (its vpc and vhdx drivers take no backing file). So:
TOP_RAW with every block equal to BASE_RAW's zeroed is converted by qemu-img into a dynamic
image (zero blocks stay unallocated), and that image is then patched into a differencing one
whose parent is PARENT (an image of BASE_RAW that qemu-img made in the same format and
size): an unallocated block is read from the parent, an allocated one from OUT.

VHD: the footer (both copies) gets disk type 4 (differencing); the dynamic header the
parent's unique id and its name (RECORDED_NAME, default PARENT's file name) as UTF-16BE;
both checksums are recomputed. qemu allocates a block with its sector bitmap all ones, so
every sector of an allocated block is OUT's.
VHDX (block size 1 MiB): the file parameters get HasParent, and a parent locator item is
added to the metadata region with parent_linkage (the parent's DataWriteGuid), relative_path
.\\NAME and absolute_win32_path C:\\Hyper-V\\Disks\\NAME (a Windows path that is not on this
machine: vigil must use only its last component). Allocated blocks are FULLY_PRESENT; qemu
marks the blocks it was asked to zero ZERO (read as zeros, also in a differencing image):
those become NOT_PRESENT (read from the parent), as the blocks it never wrote are. A sector
bitmap block is added (SB_BLOCK_PRESENT, appended to the file) whose bits say which sectors
OUT holds, as Hyper-V writes one: the format allows a chunk without one when no block is
PARTIALLY_PRESENT, but libvhdi (20210425) then reads the bitmap from the start of the file.

Fails (exit 1) when a block of TOP_RAW is all zeros but BASE_RAW's is not: unallocated, it
would read as the parent's. Exits 2 when qemu-img is missing.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid

VHD_BLOCK = 2 << 20   # qemu's vpc driver
VHDX_BLOCK = 1 << 20  # asked for with -o block_size
METADATA_REGION = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E").bytes_le
BAT_REGION = uuid.UUID("2DC27766-F623-4200-9D64-115E9BFD4A08").bytes_le
FILE_PARAMETERS = uuid.UUID("CAA16737-FA36-4D43-B3B6-33F0AA44E76B").bytes_le
PARENT_LOCATOR = uuid.UUID("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C").bytes_le
VHDX_LOCATOR_TYPE = uuid.UUID("B04AEFB7-D19E-4A81-B789-25B8E9445913").bytes_le


def delta(base_raw, top_raw, block, out):
    """TOP_RAW with the blocks equal to BASE_RAW's zeroed, written to out."""
    with open(base_raw, "rb") as b, open(top_raw, "rb") as t, open(out, "wb") as o:
        n = 0
        while True:
            tb, bb = t.read(block), b.read(block)
            if not tb:
                break
            if tb == bb[:len(tb)]:
                o.write(bytes(len(tb)))
                continue
            if not any(tb):
                sys.exit("mkvdiff.py: block %d of %s is all zeros, the base's is not" % (n, top_raw))
            o.write(tb)
            n += 1


def ones_complement(data):
    return (~sum(data)) & 0xFFFFFFFF


def patch_vhd(out, parent, name):
    with open(parent, "rb") as p:
        pfooter = p.read(512)
    if pfooter[:8] != b"conectix":
        p_size = os.path.getsize(parent)
        with open(parent, "rb") as p:
            p.seek(p_size - 512)
            pfooter = p.read(512)
    parent_uid = pfooter[68:84]
    size = os.path.getsize(out)
    with open(out, "r+b") as f:
        footer = bytearray(f.read(512))
        assert footer[:8] == b"conectix", "not a dynamic VHD"
        footer[60:64] = struct.pack(">I", 4)
        footer[64:68] = b"\0\0\0\0"
        footer[64:68] = struct.pack(">I", ones_complement(footer))
        f.seek(0)
        f.write(footer)
        f.seek(size - 512)
        f.write(footer)
        hdr_off = struct.unpack(">Q", footer[16:24])[0]
        f.seek(hdr_off)
        hdr = bytearray(f.read(1024))
        assert hdr[:8] == b"cxsparse"
        hdr[40:56] = parent_uid
        hdr[56:60] = pfooter[24:28]  # the parent's time stamp
        uname = name.encode("utf-16-be")[:510]
        hdr[64:576] = uname + bytes(512 - len(uname))
        hdr[36:40] = b"\0\0\0\0"
        hdr[36:40] = struct.pack(">I", ones_complement(hdr))
        f.seek(hdr_off)
        f.write(hdr)


def vhdx_header(f):
    """The current header (the one with the higher sequence number) of a VHDX."""
    best = None
    for off in (64 << 10, 128 << 10):
        f.seek(off)
        h = f.read(4096)
        # the sequence number is a little-endian uint64: compared as bytes, a carry out of
        # its low byte (qemu-img starts it at a random value) picked the older header
        if h[:4] == b"head" and (best is None or
                                 struct.unpack("<Q", h[8:16]) > struct.unpack("<Q", best[8:16])):
            best = h
    assert best is not None, "no VHDX header"
    return best


def locator(entries):
    """A VHDX parent locator: header, key-value entries, then keys and values (UTF-16LE)."""
    head = VHDX_LOCATOR_TYPE + struct.pack("<HH", 0, len(entries))
    table_len = len(head) + 12 * len(entries)
    table, data = b"", b""
    for k, v in entries:
        kb, vb = k.encode("utf-16-le"), v.encode("utf-16-le")
        ko = table_len + len(data)
        vo = ko + len(kb)
        table += struct.pack("<IIHH", ko, vo, len(kb), len(vb))
        data += kb + vb
    return head + table + data


def patch_vhdx(out, parent, name):
    with open(parent, "rb") as p:
        linkage = "{%s}" % uuid.UUID(bytes_le=vhdx_header(p)[32:48])
    with open(out, "r+b") as f:
        f.seek(192 << 10)
        rt = f.read(64 << 10)
        assert rt[:4] == b"regi"
        meta = bat = None
        for i in range(struct.unpack("<I", rt[8:12])[0]):
            e = rt[16 + 32 * i:48 + 32 * i]
            if e[:16] == METADATA_REGION:
                meta = struct.unpack("<QI", e[16:28])
            if e[:16] == BAT_REGION:
                bat = struct.unpack("<QI", e[16:28])
        assert meta and bat, "no metadata region or BAT"
        # each chunk_ratio payload entries are followed by one sector bitmap entry
        chunk_ratio = (1 << 23) * 512 // VHDX_BLOCK
        f.seek(bat[0])
        entries = bytearray(f.read(bat[1]))
        bitmap = bytearray(1 << 20)
        per_block = (1 << 20) // chunk_ratio
        for i in range(len(entries) // 8):
            v = struct.unpack("<Q", entries[8 * i:8 * i + 8])[0]
            if (i + 1) % (chunk_ratio + 1) == 0:
                continue
            if v & 7 in (1, 2, 3):  # UNDEFINED, ZERO, UNMAPPED
                entries[8 * i:8 * i + 8] = bytes(8)  # NOT_PRESENT
            elif v & 7 == 6:  # FULLY_PRESENT
                assert i < chunk_ratio, "more than one chunk"
                bitmap[per_block * i:per_block * (i + 1)] = b"\xff" * per_block
        f.seek(0, os.SEEK_END)
        end_of_file = (f.tell() + (1 << 20) - 1) & ~((1 << 20) - 1)
        f.seek(end_of_file)
        f.write(bitmap)
        entries[8 * chunk_ratio:8 * chunk_ratio + 8] = struct.pack("<Q", end_of_file | 6)
        f.seek(bat[0])
        f.write(entries)
        moff, mlen = meta
        f.seek(moff)
        table = bytearray(f.read(64 << 10))
        assert table[:8] == b"metadata"
        count = struct.unpack("<H", table[10:12])[0]
        end = 64 << 10
        for i in range(count):
            e = table[32 + 32 * i:64 + 32 * i]
            ioff, ilen = struct.unpack("<II", e[16:24])
            end = max(end, ioff + ilen)
            if e[:16] == FILE_PARAMETERS:
                f.seek(moff + ioff + 4)
                flags = struct.unpack("<I", f.read(4))[0]
                f.seek(moff + ioff + 4)
                f.write(struct.pack("<I", flags | 2))  # HasParent
        loc = locator([("parent_linkage", linkage), ("relative_path", ".\\" + name),
                       ("absolute_win32_path", "C:\\Hyper-V\\Disks\\" + name)])
        end = (end + 7) & ~7
        assert end + len(loc) <= mlen, "no room in the metadata region"
        table[32 + 32 * count:64 + 32 * count] = PARENT_LOCATOR + struct.pack(
            "<IIII", end, len(loc), 4, 0)  # IsRequired
        table[10:12] = struct.pack("<H", count + 1)
        f.seek(moff)
        f.write(table)
        f.seek(moff + end)
        f.write(loc)


def main():
    if len(sys.argv) not in (6, 7) or sys.argv[1] not in ("vhd", "vhdx"):
        sys.exit(__doc__)
    kind, base_raw, top_raw, parent, out = sys.argv[1:6]
    name = sys.argv[6] if len(sys.argv) == 7 else os.path.basename(parent)
    if shutil.which("qemu-img") is None:
        print("mkvdiff.py: qemu-img is missing (make deps)", file=sys.stderr)
        sys.exit(2)
    with tempfile.TemporaryDirectory() as tmp:
        d = os.path.join(tmp, "delta.raw")
        delta(base_raw, top_raw, VHD_BLOCK if kind == "vhd" else VHDX_BLOCK, d)
        opts = "subformat=dynamic" if kind == "vhd" else "subformat=dynamic,block_size=1M"
        subprocess.run(["qemu-img", "convert", "-O", "vpc" if kind == "vhd" else "vhdx",
                        "-o", opts, d, out], check=True)
    (patch_vhd if kind == "vhd" else patch_vhdx)(out, parent, name)


if __name__ == "__main__":
    main()
