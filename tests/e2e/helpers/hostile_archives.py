#!/usr/bin/python3
"""hostile_archives.py KIND OUT [ARGS]: hostile archives for tests/e2e/t9300, made at test time.

  nested OUT LEVELS COPIES SIZE   42.zip style: a zip of COPIES files of SIZE zeros, that zip
                                  COPIES times in the next, LEVELS zips in all; prints the
                                  total expansion in bytes
  overlap OUT FILES SIZE          an overlapping-entry bomb (D. Fifield, "A better zip bomb"):
                                  FILES local headers whose data all end in one shared deflate
                                  kernel of SIZE zeros; each file's stored-block prefix quotes
                                  the following local headers; prints the total expansion
  gzip OUT SIZE [PREFIX]          a gzip of the bytes of file PREFIX (if given) then SIZE
                                  zeros, built from one flushed deflate chunk repeated
                                  (seconds, not minutes); prints the uncompressed size
  deep OUT LEVELS EICAR           EICAR (a file) zipped, that zip zipped, ... LEVELS zips deep
  names OUT EICAR NAME...         a zip (a tar when OUT ends in .tar) holding EICAR under each
                                  NAME exactly as given; the tar also has a symlink lnk -> /tmp
                                  and a member lnk/vigil9300-via-link.com
  badcd OUT EICAR                 a zip whose central directory entries are overwritten

Sizes take K, M, G, T suffixes (powers of 1024). Nothing here writes outside OUT.
"""
import struct
import sys
import zipfile
import zlib

CRC_POLY = 0xEDB88320


def size_arg(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if s[-1].upper() in mult:
        return int(s[:-1]) * mult[s[-1].upper()]
    return int(s)


# crc32_combine from zlib (GF(2) matrices): the CRC of A+B from crc(A), crc(B), len(B).
def _gf2_times(mat, vec):
    s, i = 0, 0
    while vec:
        if vec & 1:
            s ^= mat[i]
        vec >>= 1
        i += 1
    return s


def _gf2_square(mat):
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1, crc2, len2):
    if len2 <= 0:
        return crc1
    odd = [CRC_POLY] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def zeros_crc(n):
    """crc32 of n zero bytes, without touching n bytes."""
    block = 1 << 20
    c1 = zlib.crc32(bytes(block))
    crc, done = 0, 0
    # whole MiB blocks by doubling, the rest directly
    whole = n // block
    acc_crc, acc_len = c1, block
    while whole:
        if whole & 1:
            crc = crc32_combine(crc, acc_crc, acc_len)
            done += acc_len
        whole >>= 1
        if whole:
            acc_crc = crc32_combine(acc_crc, acc_crc, acc_len)
            acc_len *= 2
    rest = n - done
    return crc32_combine(crc, zlib.crc32(bytes(rest)), rest)


def deflate_zeros(n, final=True):
    """A raw deflate stream (or, final=False, a byte-aligned unfinished one) of n zeros."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = []
    chunk = bytes(1 << 20)
    left = n
    while left:
        k = min(left, len(chunk))
        out.append(co.compress(chunk[:k]))
        left -= k
    out.append(co.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH))
    return b"".join(out)


def raw_zip(entries):
    """A zip of (name, deflated bytes, crc, size) entries, each stored once, in order."""
    body, cd = b"", b""
    for name, comp, crc, usize in entries:
        off = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(comp), usize,
                            len(name), 0) + name + comp
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(comp),
                          usize, len(name), 0, 0, 0, 0, 0, off) + name
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd),
                       len(body), 0)
    return body + cd + eocd


def nested(out, levels, copies, size):
    # level 1: COPIES files of SIZE zeros (one deflate stream, copied: no recompression)
    kernel = deflate_zeros(size)
    crc = zeros_crc(size)
    data = raw_zip([(b"zeros%02d.bin" % i, kernel, crc, size) for i in range(copies)])
    total = copies * size
    # each further level: COPIES copies of the previous zip, deflated
    for lvl in range(2, levels + 1):
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        c = comp.compress(data) + comp.flush()
        dcrc = zlib.crc32(data)
        data = raw_zip([(b"l%d-%02d.zip" % (lvl, i), c, dcrc, len(data)) for i in range(copies)])
        total *= copies
    with open(out, "wb") as f:
        f.write(data)
    print(total)


def overlap(out, files, size):
    kernel = deflate_zeros(size)
    kcrc = zeros_crc(size)
    names = [("f%04d.bin" % i).encode() for i in range(files)]

    def lfh(name, crc, csize, usize):
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, csize, usize,
                           len(name), 0) + name

    # Build from the last file back: file i's data = stored quote of LFH(i+1) + data(i+1).
    # Its uncompressed bytes are LFH(i+1) + uncompressed(i+1).
    body = kernel          # compressed data of the current file (from its first byte)
    ucrc, ulen = kcrc, size  # crc and length of its uncompressed content
    headers = [None] * files
    info = [None] * files
    for i in range(files - 1, -1, -1):
        h = lfh(names[i], ucrc, len(body), ulen)
        headers[i] = h
        info[i] = (ucrc, len(body), ulen)
        if i == 0:
            break
        # the previous file quotes this header in a non-final stored block
        quote = struct.pack("<BHH", 0, len(h), len(h) ^ 0xFFFF) + h
        ucrc = crc32_combine(zlib.crc32(h), ucrc, ulen)
        ulen += len(h)
        body = quote + body
    data = headers[0] + body
    # the local headers sit one after another inside data: find their offsets
    offsets, pos = [], 0
    for i in range(files):
        offsets.append(pos)
        pos += len(headers[i])
        if i < files - 1:
            pos += 5  # the stored-block header quoting the next local header
    cd = b""
    for i in range(files):
        crc, csize, usize = info[i]
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, csize,
                          usize, len(names[i]), 0, 0, 0, 0, 0, offsets[i]) + names[i]
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, files, files, len(cd), len(data), 0)
    with open(out, "wb") as f:
        f.write(data + cd + eocd)
    total = sum(info[i][2] for i in range(files))
    print(total)


def gzip_zeros(out, size, prefix=b""):
    """gzip of PREFIX then SIZE zeros: one flushed deflate chunk of 64 MiB of zeros, repeated
    (each chunk is made by a fresh compressor and refers only to itself)."""
    chunk_len = 64 << 20
    n = size // chunk_len
    rest = size - n * chunk_len
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = co.compress(bytes(chunk_len)) + co.flush(zlib.Z_FULL_FLUSH)
    with open(out, "wb") as f:
        f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
        if prefix:
            co = zlib.compressobj(9, zlib.DEFLATED, -15)
            f.write(co.compress(prefix) + co.flush(zlib.Z_FULL_FLUSH))
        for _ in range(n):
            f.write(chunk)
        co = zlib.compressobj(9, zlib.DEFLATED, -15)
        f.write(co.compress(bytes(rest)) + co.flush(zlib.Z_FINISH))
        crc = crc32_combine(zlib.crc32(prefix), zeros_crc(size), size)
        f.write(struct.pack("<II", crc, (len(prefix) + size) & 0xFFFFFFFF))
    print(len(prefix) + size)


def deep(out, levels, eicar_path):
    data = open(eicar_path, "rb").read()
    name = "eicar.com"
    for lvl in range(levels):
        import io

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name, data)
        data = buf.getvalue()
        name = "level%02d.zip" % (levels - lvl)
    open(out, "wb").write(data)


def names(out, eicar_path, members):
    data = open(eicar_path, "rb").read()
    if out.endswith(".tar"):
        import io
        import tarfile

        with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
            for m in members:
                ti = tarfile.TarInfo("placeholder")
                ti.name = m  # exactly as given
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            # a link out of the tree, then a member written "through" it
            ti = tarfile.TarInfo("lnk")
            ti.type = tarfile.SYMTYPE
            ti.linkname = "/tmp"
            t.addfile(ti)
            ti = tarfile.TarInfo("lnk/vigil9300-via-link.com")
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        return
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for m in members:
            zi = zipfile.ZipInfo("placeholder")
            zi.filename = m  # exactly as given: no normalisation of ../ or a leading /
            zi.orig_filename = m
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)


def badcd(out, eicar_path):
    data = open(eicar_path, "rb").read()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", b"harmless text\n" * 50)
        z.writestr("eicar.com", data)
    raw = bytearray(open(out, "rb").read())
    eocd = raw.rfind(b"PK\x05\x06")
    cd_size, cd_off = struct.unpack("<II", raw[eocd + 12:eocd + 20])
    for i in range(cd_off, cd_off + cd_size):
        raw[i] = (raw[i] * 7 + 0x5A) & 0xFF  # garbage where every central header was
    open(out, "wb").write(bytes(raw))


def main():
    kind, out = sys.argv[1], sys.argv[2]
    a = sys.argv[3:]
    if kind == "nested":
        nested(out, int(a[0]), int(a[1]), size_arg(a[2]))
    elif kind == "overlap":
        overlap(out, int(a[0]), size_arg(a[1]))
    elif kind == "gzip":
        gzip_zeros(out, size_arg(a[0]), open(a[1], "rb").read() if len(a) > 1 else b"")
    elif kind == "deep":
        deep(out, int(a[0]), a[1])
    elif kind == "names":
        names(out, a[0], a[1:])
    elif kind == "badcd":
        badcd(out, a[0])
    else:
        sys.exit("unknown kind " + kind)


if __name__ == "__main__":
    main()
