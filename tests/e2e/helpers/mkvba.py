#!/usr/bin/env python3
# tests/e2e/helpers/mkvba.py OUT.doc MODULE=SOURCE-MARKER... — a minimal OLE2 file (MS-CFB)
# holding a VBA project (MS-OVBA): no Debian tool writes one (LibreOffice is not a test
# dependency), so this hand-builds the smallest one ClamAV reads. Each module gets
# Attribute VB_Name and a Sub AutoOpen whose MsgBox says the marker. Testing only.
import struct, sys
def compress(data):
    out = bytearray(b"\x01")
    for i in range(0, len(data), 4096):
        chunk = data[i:i+4096]
        body = bytearray()
        for j in range(0, len(chunk), 8):
            body.append(0)              # flag byte: 8 literal tokens
            body += chunk[j:j+8]
        hdr = (len(body) + 2 - 3) | (0b011 << 12) | 0x8000
        out += struct.pack("<H", hdr) + body
    return bytes(out)
def rec(i, payload):
    return struct.pack("<HI", i, len(payload)) + payload
def u16(s): return s.encode("utf-16-le")
def dirstream(modules, codepage):
    d = rec(0x0003, struct.pack("<H", codepage))
    for m in modules:
        d += rec(0x0019, m.encode()) + rec(0x0047, u16(m))
        d += rec(0x001A, m.encode()) + rec(0x0032, u16(m))
        d += rec(0x001C, b"") + rec(0x0048, b"")
        d += rec(0x0031, struct.pack("<I", 0)) + rec(0x001E, struct.pack("<I", 0))
        d += rec(0x002C, struct.pack("<H", 0xFFFF)) + rec(0x0021, b"") + rec(0x002B, b"")
    d += rec(0x0010, b"")
    return compress(d)
def ole2(streams):
    # streams: list of (name, bytes); sector 0 FAT, 1.. directory, then data
    ENDC, FREE, FATS = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    nent = len(streams) + 1
    dirsecs = (nent * 128 + 511) // 512
    fat = [FATS] + [0] * dirsecs
    for k in range(dirsecs):
        fat[1 + k] = 2 + k if k < dirsecs - 1 else ENDC
    data = bytearray(); starts = []
    sec = 1 + dirsecs
    for name, b in streams:
        n = max(1, (len(b) + 511) // 512)
        starts.append(sec)
        for k in range(n):
            fat.append(sec + k + 1 if k < n - 1 else ENDC)
        data += b + b"\0" * (n * 512 - len(b))
        sec += n
    assert len(fat) <= 128
    fat += [FREE] * (128 - len(fat))
    hdr = bytearray(512)
    hdr[0:8] = bytes.fromhex("d0cf11e0a1b11ae1")
    struct.pack_into("<HHHHH", hdr, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", hdr, 0x28, 0, 1, 1, 0, 0, ENDC, 0, ENDC, 0)
    difat = [0] + [FREE] * 108
    struct.pack_into("<109I", hdr, 0x4C, *difat)
    def entry(name, typ, left, right, child, start, size):
        e = bytearray(128)
        n = u16(name) + b"\0\0"
        e[0:len(n)] = n
        struct.pack_into("<HBB", e, 64, len(n), typ, 1)
        struct.pack_into("<III", e, 68, left, right, child)
        struct.pack_into("<IQ", e, 116, start, size)
        return bytes(e)
    NOS = 0xFFFFFFFF
    # a flat, degenerate tree: root -> first stream, each stream's right sibling is the next
    ents = entry("Root Entry", 5, NOS, NOS, 1, ENDC, 0)
    for i, (name, b) in enumerate(streams):
        ents += entry(name, 2, NOS, i + 2 if i + 1 < len(streams) else NOS, NOS, starts[i], len(b))
    ents += b"\0" * (dirsecs * 512 - len(ents))
    return bytes(hdr) + struct.pack("<128I", *fat) + ents + bytes(data)
def build(path, modules, codepage=1252, sources=None):
    streams = [("_VBA_PROJECT", b"\xcc\x61" + b"\0" * 5), ("dir", dirstream(modules, codepage))]
    for m in modules:
        src = (sources or {}).get(m, 'Attribute VB_Name = "%s"\r\nSub AutoOpen()\r\n    MsgBox "%s"\r\nEnd Sub\r\n' % (m, m))
        streams.append((m, compress(src.encode("latin-1"))))
    open(path, "wb").write(ole2(streams))


if __name__ == "__main__":
    mods, srcs = [], {}
    for arg in sys.argv[2:]:
        name, _, marker = arg.partition("=")
        mods.append(name)
        srcs[name] = ('Attribute VB_Name = "%s"\r\nSub AutoOpen()\r\n    MsgBox "%s"\r\nEnd Sub\r\n'
                      % (name, marker))
    build(sys.argv[1], mods, sources=srcs)
