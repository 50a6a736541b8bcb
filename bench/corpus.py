#!/usr/bin/python3
"""bench/corpus.py — a deterministic, seeded scan corpus for bench/scan.sh.

    corpus.py OUTDIR [--small] [--seed N]      generate (OUTDIR must not exist, or be empty)
    corpus.py OUTDIR --check [--small] [--seed N]
                                               exit 0 if OUTDIR holds that corpus, complete

The files go to OUTDIR/tree (what the tools scan); OUTDIR/MANIFEST.json, written last,
gives the seed, the file count, the total bytes, the SHA-256 over all files and the planted
detections with the archive member chain of each (outer to inner, as vigil reports it).

Full: ~20,000 files, ~1 GiB; --small: ~2,000 files, ~100 MB. Both hold the same kinds: small
text and script files (shell, Python, PHP, JavaScript, configuration, logs), ELF programs and
shared libraries copied from /usr/bin and /usr/lib (regular files up to 20 MB, taken in the
order of SHA-256(seed:path) until the byte budget is reached), documents, random blobs, a few big files, archives (zip, tar, tar.gz,
tar.bz2, 7z, some nested, made by the system zip, tar, gzip, bzip2 and 7z), folders up to 8
deep, and the EICAR test file planted in 20 places, each in its own top-level file.

The same seed on the same machine gives a byte-identical corpus: every random choice comes
from random.Random seeded by (seed, purpose); archives are made with fixed times, owners and
order and without the non-reproducible fields (zip -X, tar --mtime/--owner, gzip -n, 7z with
one thread and no access or creation times); every file and folder gets the same mtime. Only
the ELF copies depend on the machine (what is installed in /usr).
"""
import argparse
import hashlib
import io
import json
import math
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import zlib

GEN_VERSION = 1
MTIME = 1700000000  # 2023-11-14T22:13:20Z, every file, folder and archive member
MAX_DEPTH = 8
KB, MB = 1000, 1000 * 1000
MiB = 1 << 20

# Per variant: folders, text files, ELF copies (byte budget, most files), documents, blobs
# (count, bytes), big files [(bytes, "random"|"repeat")], archives besides the planted ones
# (and the .docx documents), the largest log file.
VARIANTS = {
    "full": dict(dirs=1200, texts=15800, elf_bytes=400 * MB, elf_max=2600, docs=1200,
                 blobs=1400, blob_bytes=190 * MB,
                 big=[(100 * MB, "random"), (80 * MB, "repeat"), (60 * MB, "random"),
                      (50 * MB, "repeat")],
                 archives=42, log_max=150 * KB),
    "small": dict(dirs=150, texts=1560, elf_bytes=40 * MB, elf_max=260, docs=120,
                  blobs=140, blob_bytes=19 * MB, big=[(20 * MB, "repeat")],
                  archives=8, log_max=150 * KB),
}


def eicar():
    # Two halves: the string is never whole in this repository (as tests/e2e/lib.sh).
    return b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR" + b"-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


WORDS = """alpha beta gamma delta kernel socket buffer packet router switch mirror backup
archive cluster daemon worker queue thread signal handler request response session token
account invoice customer order payment ledger report summary quarter budget forecast
project release version branch commit merge deploy staging production service gateway
proxy cache index search query table column record schema migration storage volume disk
network interface address subnet firewall policy audit event metric latency throughput
window widget button dialog layout render canvas shader texture sprite engine physics
garden river mountain forest harbor island meadow valley desert canyon glacier prairie
coffee bread butter cheese apple lemon pepper ginger honey olive walnut almond carrot
north south east west spring summer autumn winter morning evening monday friday""".split()
USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
TOP = ["home", "srv", "opt", "var", "etc", "projects", "backup", "data", "shared", "scratch"]
DIRWORDS = ["src", "lib", "bin", "docs", "assets", "config", "logs", "cache", "old", "tmp",
            "build", "dist", "vendor", "include", "static", "media", "uploads", "reports",
            "2021", "2022", "2023", "archive", "misc", "test", "scripts", "www", "html",
            "plugins", "themes", "modules", "data", "export", "import", "notes", "drafts"]


def rng_for(seed, purpose):
    return random.Random("%d:%s" % (seed, purpose))


def logu(r, lo, hi):
    """log-uniform integer in [lo, hi]"""
    return int(math.exp(r.uniform(math.log(lo), math.log(hi))))


def words(r, n):
    return " ".join(r.choice(WORDS) for _ in range(n))


def ident(r):
    w = r.choice(WORDS)
    return w + "_" + r.choice(WORDS) if r.random() < 0.5 else w


def fill(r, size, head, block):
    """text of exactly size bytes: head, then blocks from block(r) until long enough"""
    parts = [head]
    n = len(head)
    while n < size:
        b = block(r)
        parts.append(b)
        n += len(b)
    return "".join(parts).encode()[:size]


# ---- text and script generators: (extension, head, block, size range) ----

def sh_block(r):
    f, v = ident(r), r.choice(WORDS).upper()
    return ('%s() {\n\tlocal %s="${1:-%s}"\n\tif [ -f "/var/lib/%s/%s" ]; then\n'
            '\t\techo "%s" >>"$LOGFILE"\n\telse\n\t\tmkdir -p "/tmp/%s" && cp -- "$%s" "/tmp/%s/"\n'
            '\tfi\n}\n\n' % (f, v.lower(), r.choice(WORDS), r.choice(WORDS), r.choice(WORDS),
                              words(r, 6), r.choice(WORDS), v.lower(), r.choice(WORDS)))


def py_block(r):
    c = r.choice(WORDS).capitalize() + r.choice(WORDS).capitalize()
    return ('class %s:\n    """%s."""\n\n    def __init__(self, %s=None):\n'
            '        self.%s = %s or {}\n\n    def %s(self, key, default=%d):\n'
            '        # %s\n        return self.%s.get(key, default)\n\n\n'
            % (c, words(r, 8), ident(r), ident(r), ident(r), ident(r), r.randint(0, 999),
               words(r, 10), ident(r)))


def php_block(r):
    return ('function %s($%s, $%s = %d) {\n    $rows = array();\n'
            '    foreach ($%s as $k => $v) {\n        $rows[] = htmlspecialchars($k . ": " . $v);\n'
            '    }\n    // %s\n    return implode("<br>", $rows);\n}\n\n'
            % (ident(r), r.choice(WORDS), r.choice(WORDS), r.randint(0, 99), r.choice(WORDS),
               words(r, 9)))


def js_block(r):
    return ('export function %s(%s, options = {}) {\n  const %s = options.%s ?? %d;\n'
            '  // %s\n  return %s.map((x) => ({ ...x, %s: x.%s + %s }));\n}\n\n'
            % (ident(r), r.choice(WORDS), r.choice(WORDS), r.choice(WORDS), r.randint(0, 9999),
               words(r, 8), r.choice(WORDS), r.choice(WORDS), r.choice(WORDS), r.choice(WORDS)))


def ini_block(r):
    return "[%s]\n%s = %s\n%s = %d\n%s = %s\n\n" % (
        ident(r), ident(r), r.choice(WORDS), ident(r), r.randint(0, 65535), ident(r),
        r.choice(["yes", "no", "true", "false", "auto"]))


def yaml_block(r):
    return "%s:\n  %s: %s\n  %s: %d\n  %s:\n    - %s\n    - %s\n" % (
        ident(r), ident(r), r.choice(WORDS), ident(r), r.randint(0, 9999), ident(r),
        r.choice(WORDS), r.choice(WORDS))


def json_block(r):
    return '  {"%s": "%s", "%s": %d, "%s": [%d, %d]},\n' % (
        ident(r), words(r, 3), ident(r), r.randint(0, 10 ** 6), ident(r), r.randint(0, 99),
        r.randint(0, 99))


def syslog_block(r):
    t = "Nov %2d %02d:%02d:%02d" % (r.randint(1, 30), r.randint(0, 23), r.randint(0, 59),
                                   r.randint(0, 59))
    prog = r.choice(["sshd", "cron", "systemd", "kernel", "nginx", "postfix/smtpd", "sudo"])
    return "%s web%02d %s[%d]: %s %s from 10.%d.%d.%d port %d\n" % (
        t, r.randint(1, 20), prog, r.randint(100, 65000), r.choice(["Accepted", "Failed",
        "Started", "Stopped", "connect", "disconnect"]), words(r, 4), r.randint(0, 255),
        r.randint(0, 255), r.randint(1, 254), r.randint(1024, 65535))


def access_block(r):
    return '10.%d.%d.%d - - [14/Nov/2023:%02d:%02d:%02d +0000] "%s /%s/%s HTTP/1.1" %d %d "-" "%s"\n' % (
        r.randint(0, 255), r.randint(0, 255), r.randint(1, 254), r.randint(0, 23),
        r.randint(0, 59), r.randint(0, 59), r.choice(["GET", "GET", "POST", "HEAD"]),
        r.choice(WORDS), r.choice(WORDS), r.choice([200, 200, 200, 301, 304, 404, 500]),
        r.randint(0, 90000), r.choice(["Mozilla/5.0 (X11; Linux x86_64)", "curl/7.88.1",
                                       "python-requests/2.28"]))


def prose_block(r):
    return "%s.\n\n" % " ".join(words(r, r.randint(6, 18)).capitalize() + "." for _ in range(4))


TEXT_KINDS = [
    # weight, extensions, head, block, (min, max) size
    (14, [".sh", ""], "#!/bin/sh\n# %s\nset -eu\nLOGFILE=/var/log/%s.log\n\n", sh_block, (150, 20000)),
    (16, [".py"], "#!/usr/bin/env python3\n\"\"\"%s.\"\"\"\nimport os\nimport sys\n\n", py_block, (150, 40000)),
    (12, [".php"], "<?php\n// %s\n// %s\n\n", php_block, (150, 30000)),
    (14, [".js", ".mjs"], "'use strict';\n// %s\n// %s\n\n", js_block, (150, 40000)),
    (8, [".conf", ".ini", ".cfg"], "# %s\n# %s\n\n", ini_block, (100, 8000)),
    (6, [".yaml", ".yml"], "# %s\n# %s\n", yaml_block, (100, 8000)),
    (6, [".json"], "[\n  {\"%s\": \"%s\"},\n", json_block, (100, 30000)),
    (6, [".log"], "", syslog_block, (2000, None)),
    (4, [".log"], "", access_block, (2000, None)),
    (14, [".txt", ".md"], "%s\n%s\n\n", prose_block, (100, 20000)),
]


def text_file(r, log_max):
    weights = [k[0] for k in TEXT_KINDS]
    _, exts, head, block, (lo, hi) = r.choices(TEXT_KINDS, weights)[0]
    ext = r.choice(exts)
    if hi is None:
        hi = log_max
    size = logu(r, lo, hi)
    nargs = head.count("%s")
    head = head % tuple(words(r, 4) for _ in range(nargs)) if nargs else head
    return ext, fill(r, size, head, block)


# ---- documents ----

def pdf_doc(r, size):
    text = fill(r, max(200, size // 2), "", prose_block).decode()
    stream = "BT /F1 11 Tf 72 720 Td (%s) Tj ET" % text.replace("\\", "").replace("(", "").replace(")", "")
    comp = zlib.compress(fill(r, max(100, size // 2), "", access_block), 6)
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        "<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(out.tell())
        out.write(("%d 0 obj\n%s\nendobj\n" % (i, o)).encode("latin-1", "replace"))
    offs.append(out.tell())
    out.write(b"6 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(comp))
    out.write(comp + b"\nendstream\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 7\n0000000000 65535 f \n")
    for o in offs:
        out.write(b"%010d 00000 n \n" % o)
    out.write(b"trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def png_doc(r, size):
    w = max(8, int(math.sqrt(max(64, size) / 3)))
    h = w
    rows = bytearray()
    base = r.randbytes(w * 3)
    for y in range(h):
        rows += b"\x00" + (base if r.random() < 0.7 else r.randbytes(w * 3))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b""))


def html_doc(r, size):
    head = "<!DOCTYPE html>\n<html><head><title>%s</title></head><body>\n" % words(r, 4)
    return fill(r, size, head, lambda q: "<p class=\"%s\">%s</p>\n" % (q.choice(WORDS), words(q, 20)))


def csv_doc(r, size):
    return fill(r, size, "date,account,amount,currency,memo\n", lambda q: "2023-%02d-%02d,%s,%d.%02d,EUR,%s\n" % (
        q.randint(1, 12), q.randint(1, 28), ident(q), q.randint(0, 99999), q.randint(0, 99), words(q, 3)))


def rtf_doc(r, size):
    return fill(r, size, "{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\n", lambda q: "\\par %s\n" % words(q, 15))


# ---- the generator ----

class Corpus:
    def __init__(self, outdir, variant, seed):
        self.out = outdir
        self.tree = os.path.join(outdir, "tree")
        self.stage_root = os.path.join(outdir, ".staging")
        self.variant = variant
        self.p = VARIANTS[variant]
        self.seed = seed
        self.dirs = []  # relative to tree
        self.names = {}  # dir -> set of names used
        self.planted = []
        self.elf = []  # (source path, size) chosen
        self.env = dict(os.environ, TZ="UTC", LC_ALL="C")
        self.stage_n = 0
        self.kind = "text"
        self.stats = {}  # kind -> [files, bytes]

    # folders
    def make_dirs(self):
        r = rng_for(self.seed, "dirs")
        self.dirs = [""]
        for t in TOP:
            self.dirs.append(t)
        for u in USERS:
            self.dirs.append("home/" + u)
        chain = "home/alice/projects/webapp/vendor/legacy/lib/old"  # the deepest: 8 folders
        parts = chain.split("/")
        for i in range(3, len(parts) + 1):
            self.dirs.append("/".join(parts[:i]))
        seen = set(self.dirs)
        while len(self.dirs) < self.p["dirs"]:
            parent = r.choice(self.dirs[1:])
            if parent.count("/") + 1 >= MAX_DEPTH:
                continue
            d = parent + "/" + r.choice(DIRWORDS + WORDS[:40])
            if d in seen:
                continue
            seen.add(d)
            self.dirs.append(d)
        for d in self.dirs:
            os.makedirs(os.path.join(self.tree, d), exist_ok=True)
        self.deepest = chain

    def unique(self, d, name):
        used = self.names.setdefault(d, set())
        base, ext = name, ""
        if "." in name[1:]:
            i = name.index(".", 1)
            base, ext = name[:i], name[i:]
        n, cand = 1, name
        while cand in used:
            n += 1
            cand = "%s-%d%s" % (base, n, ext)
        used.add(cand)
        return os.path.join(d, cand) if d else cand

    def count(self, n):
        st = self.stats.setdefault(self.kind, [0, 0])
        st[0] += 1
        st[1] += n

    def write(self, rel, data, mode=0o644):
        path = os.path.join(self.tree, rel)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        self.count(len(data))
        return rel

    def place(self, r, name, data, mode=0o644, d=None):
        if d is None:
            d = r.choice(self.dirs[1:])
        return self.write(self.unique(d, name), data, mode)

    # contents
    def texts(self):
        r = rng_for(self.seed, "texts")
        for i in range(self.p["texts"]):
            ext, data = text_file(r, self.p["log_max"])
            self.place(r, "%s-%05d%s" % (r.choice(WORDS), i, ext), data,
                       0o755 if ext in (".sh", "") and data.startswith(b"#!") else 0o644)

    def choose_elf(self):
        cands = []
        for top in ("/usr/bin", "/usr/lib"):
            for d, ds, fs in os.walk(top):
                ds.sort()
                for f in sorted(fs):
                    p = os.path.join(d, f)
                    try:
                        st = os.lstat(p)
                    except OSError:
                        continue
                    if stat.S_ISREG(st.st_mode) and 0 < st.st_size <= 20 * MB:
                        cands.append((p, st.st_size))
        # A seeded order that a new file elsewhere in /usr does not disturb (a shuffle of the
        # whole list would: Python alone adds __pycache__ files): by SHA-256 of seed and path.
        key = lambda c: hashlib.sha256(("%d:%s" % (self.seed, c[0])).encode()).digest()
        cands.sort(key=key)
        total = 0
        for p, size in cands:
            if len(self.elf) >= self.p["elf_max"] or total >= self.p["elf_bytes"]:
                break
            if total + size > self.p["elf_bytes"] * 1.02:
                continue
            try:
                with open(p, "rb") as f:
                    if f.read(4) != b"\x7fELF":
                        continue
            except OSError:
                continue
            self.elf.append((p, size))
            total += size

    def elves(self):
        r = rng_for(self.seed, "elf-place")
        for p, _ in self.elf:
            with open(p, "rb") as f:
                data = f.read()
            so = ".so" in os.path.basename(p)
            self.place(r, os.path.basename(p), data, 0o644 if so else 0o755)

    def docs(self):
        r = rng_for(self.seed, "docs")
        kinds = [(25, ".pdf", pdf_doc, 3 * KB, 400 * KB), (15, ".png", png_doc, 1 * KB, 300 * KB),
                 (20, ".html", html_doc, 1 * KB, 200 * KB), (15, ".csv", csv_doc, 1 * KB, 500 * KB),
                 (10, ".rtf", rtf_doc, 1 * KB, 100 * KB), (5, ".docx", None, 5 * KB, 100 * KB),
                 (10, ".xml", html_doc, 1 * KB, 100 * KB)]
        for i in range(self.p["docs"]):
            _, ext, gen, lo, hi = r.choices(kinds, [k[0] for k in kinds])[0]
            name = "%s-%s-%04d%s" % (r.choice(WORDS), r.choice(WORDS), i, ext)
            size = logu(r, lo, hi)
            if gen is None:
                self.docx(r, name, size)
            else:
                self.place(r, name, gen(r, size))

    def docx(self, r, name, size):
        st = self.stage()
        files = {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>\n',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>\n',
            "word/document.xml": fill(r, size, '<?xml version="1.0"?><w:document><w:body>\n',
                                      lambda q: "<w:p><w:r><w:t>%s</w:t></w:r></w:p>\n" % words(q, 20)),
            "docProps/core.xml": ('<?xml version="1.0"?><cp:coreProperties><dc:title>%s</dc:title>'
                                  '</cp:coreProperties>\n' % words(r, 4)).encode(),
        }
        for k, v in files.items():
            self.stage_file(st, k, v)
        rel = self.unique(r.choice(self.dirs[1:]), name)
        self.archive("zip", st, list(files), os.path.join(self.tree, rel))
        shutil.rmtree(st)

    def blobs(self):
        r = rng_for(self.seed, "blobs")
        n = self.p["blobs"]
        budget = self.p["blob_bytes"]
        sizes = [logu(r, 1 * KB, 4 * MB) for _ in range(n)]
        scale = budget / max(1, sum(sizes))
        for i, s in enumerate(sizes):
            s = max(16, int(s * scale))
            ext = r.choice([".bin", ".dat", ".db", ".cache", ".pack", ".idx", ""])
            if r.random() < 0.25:  # compressible: a repeated block
                blk = r.randbytes(r.choice([16, 256, 4096]))
                data = (blk * (s // len(blk) + 1))[:s]
            else:
                data = r.randbytes(s)
            self.place(r, "%s%05d%s" % (r.choice(["blob", "obj", "chunk", "seg"]), i, ext), data)

    def bigs(self):
        r = rng_for(self.seed, "big")
        for i, (size, kind) in enumerate(self.p["big"]):
            d = r.choice(["backup", "data", "srv", "var"])
            name = ["disk-image-%d.img", "dump-%d.sql", "video-%d.mp4", "pagefile-%d.sys"][i % 4] % i
            rel = self.unique(d, name)
            with open(os.path.join(self.tree, rel), "wb") as f:
                if kind == "repeat":
                    blk = fill(r, MiB, "", syslog_block if i % 2 else access_block)
                    left = size
                    while left > 0:
                        f.write(blk[:min(left, len(blk))])
                        left -= len(blk)
                else:
                    left = size
                    while left > 0:
                        n = min(left, 4 * MiB)
                        f.write(r.randbytes(n))
                        left -= n
            os.chmod(os.path.join(self.tree, rel), 0o644)
            self.count(size)

    # staging and archives
    def stage(self):
        self.stage_n += 1
        d = os.path.join(self.stage_root, "s%04d" % self.stage_n)
        os.makedirs(d)
        return d

    def stage_file(self, st, rel, data, mode=0o644):
        p = os.path.join(st, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
        return rel

    def fill_stage(self, r, st, n, sub=True, elf=1):
        """n generated members (texts, documents, blobs, up to `elf` ELF copies) in st"""
        names = []
        subdirs = [""] + (["src", "docs", "docs/old", "lib", "assets/img"] if sub else [])
        for i in range(n):
            d = r.choice(subdirs)
            k = r.random()
            if k < 0.6:
                ext, data = text_file(r, 200 * KB)
                name = "%s-%03d%s" % (r.choice(WORDS), i, ext)
            elif k < 0.8:
                name, data = "%s-%03d.pdf" % (r.choice(WORDS), i), pdf_doc(r, logu(r, 3 * KB, 100 * KB))
            else:
                name, data = "%s-%03d.bin" % (r.choice(WORDS), i), r.randbytes(logu(r, 1 * KB, 300 * KB))
            names.append(self.stage_file(st, os.path.join(d, name) if d else name, data))
        for j in range(elf):
            p, _ = self.elf[r.randrange(len(self.elf))]
            with open(p, "rb") as f:
                names.append(self.stage_file(st, "bin/" + os.path.basename(p), f.read(), 0o755))
        return sorted(set(names))

    def archive(self, kind, st, members, dest):
        """make dest from members (paths relative to st) with the system tools, reproducibly"""
        for d, ds, fs in os.walk(st):
            for f in fs:
                os.utime(os.path.join(d, f), (MTIME, MTIME))
        members = sorted(members)
        run = lambda argv, **kw: subprocess.run(argv, cwd=st, env=self.env, check=True,
                                                 stdout=kw.pop("stdout", subprocess.DEVNULL), **kw)
        if kind in ("zip", "zip0"):
            run(["zip", "-X", "-D", "-q", "-nw", "-0" if kind == "zip0" else "-6", dest, "--"] + members)
        elif kind in ("tar", "tar.gz", "tar.bz2"):
            tarball = dest if kind == "tar" else dest + ".tmp"
            run(["tar", "--format=gnu", "--mtime=@%d" % MTIME, "--owner=0", "--group=0",
                 "--numeric-owner", "--no-recursion", "-cf", tarball, "--"] + members)
            if kind != "tar":
                with open(dest, "wb") as out:
                    run(["gzip", "-n", "-6", "-c", tarball] if kind == "tar.gz"
                        else ["bzip2", "-9", "-c", tarball], stdout=out)
                os.unlink(tarball)
        elif kind == "7z":
            run(["7z", "a", "-t7z", "-bd", "-y", "-mx=5", "-mmt=1", "-mtc=off", "-mta=off",
                 "-mtm=on", dest, "--"] + members)
        else:
            raise ValueError(kind)
        os.chmod(dest, 0o644)
        os.utime(dest, (MTIME, MTIME))
        if dest.startswith(self.tree + "/"):
            self.count(os.path.getsize(dest))

    def plain_archives(self):
        r = rng_for(self.seed, "archives")
        kinds = ["zip", "tar.gz", "zip0", "tar", "7z", "tar.bz2"]
        for i in range(self.p["archives"]):
            kind = kinds[i % len(kinds)]
            st = self.stage()
            members = self.fill_stage(r, st, logu(r, 4, 200), elf=r.randint(0, 3))
            if i % 7 == 3:  # some nesting without anything to find
                st2 = self.stage()
                inner = "inner-%d.zip" % i
                self.archive("zip", st, members, os.path.join(st2, inner))
                members = [inner] + self.fill_stage(r, st2, 5, sub=False, elf=0)
                st = st2
            ext = {"zip0": ".zip"}.get(kind, "." + kind)
            rel = self.unique(r.choice(self.dirs[1:]), "%s-%s-%02d%s" % (
                r.choice(["backup", "release", "site", "photos", "export", "logs"]),
                r.choice(WORDS), i, ext))
            self.archive(kind, st, members, os.path.join(self.tree, rel))

    # the planted EICAR files
    def plant(self, rel, members, how, detectable=True, note=None):
        e = {"path": "tree/" + rel, "members": members, "how": how, "detectable": detectable}
        if note:
            e["note"] = note
        self.planted.append(e)

    def nest(self, r, layers, leaf_dir="", leaf_name="eicar.com", extra=6):
        """layers outer to inner, e.g. ["zip", "tar.gz", "zip"]; returns (stage, members, chain)
        for the outermost layer, to be archived by the caller as layers[0]"""
        st = self.stage()
        leaf = self.stage_file(st, os.path.join(leaf_dir, leaf_name) if leaf_dir else leaf_name, eicar())
        members = sorted(set([leaf] + self.fill_stage(r, st, extra, elf=0)))
        chain = [leaf]
        for k in range(len(layers) - 1, 0, -1):
            kind = layers[k]
            name = "%s-%d.%s" % (r.choice(["inner", "payload", "bundle", "part"]), k,
                                 "zip" if kind == "zip0" else kind)
            st2 = self.stage()
            self.archive(kind, st, members, os.path.join(st2, name))
            members = sorted(set([name] + self.fill_stage(r, st2, extra, sub=False, elf=0)))
            chain.insert(0, name)
            st = st2
        return st, members, chain

    def plants(self):
        r = rng_for(self.seed, "plant")
        E = eicar()
        rd = lambda: r.choice(self.dirs[1:])
        # 6 plain files
        self.plant(self.write(self.unique("home/bob", "eicar.com"), E), [], "plain file")
        self.plant(self.write(self.unique(rd(), "readme.txt"), E), [], "plain file, renamed .txt")
        self.plant(self.write(self.unique(rd(), "invoice-2023.pdf"), E), [], "plain file, renamed .pdf")
        self.plant(self.write(self.unique(rd(), "holiday.jpg"), E), [], "plain file, renamed .jpg")
        self.plant(self.write(self.unique(rd(), "cache-entry"), E), [], "plain file, no extension")
        self.plant(self.write(self.unique(self.deepest, "eicar.com"), E), [],
                   "plain file, 8 folders deep")
        # 8 in one archive
        one = [("zip", "", 0, "zip, the only member"), ("zip", "docs/old", 40, "zip, deep member among 40"),
               ("zip0", "bin", 12, "zip (stored, -0), among binaries"),
               ("tar.gz", "", 5, "tar.gz"), ("tar.gz", "src/vendor", 60, "tar.gz, member among 60"),
               ("tar", "", 8, "tar"), ("tar.bz2", "", 8, "tar.bz2"), ("7z", "docs", 10, "7z")]
        for kind, sub, extra, how in one:
            st = self.stage()
            leaf = self.stage_file(st, os.path.join(sub, "eicar.com") if sub else "eicar.com", E)
            members = [leaf]
            if extra:
                members += self.fill_stage(r, st, extra, elf=1 if kind == "zip0" else 0)
            ext = ".zip" if kind == "zip0" else "." + kind
            rel = self.unique(rd(), "%s-%s%s" % (r.choice(["update", "backup", "mail"]), r.choice(WORDS), ext))
            self.archive(kind, st, members, os.path.join(self.tree, rel))
            self.plant(rel, [leaf], how)
        # 3 nested
        for layers, how in ((["zip", "tar.gz", "zip"], "zip > tar.gz > zip"),
                            (["tar.gz", "zip"], "tar.gz > zip"),
                            (["zip", "zip", "zip", "zip"], "zip > zip > zip > zip")):
            st, members, chain = self.nest(r, layers)
            ext = ".zip" if layers[0] in ("zip", "zip0") else "." + layers[0]
            rel = self.unique(rd(), "nested-%s%s" % (r.choice(WORDS), ext))
            self.archive(layers[0], st, members, os.path.join(self.tree, rel))
            self.plant(rel, chain, "nested: " + how)
        # 3 at the end of a larger file: not the EICAR test file by its definition (at offset 0,
        # at most 128 bytes), so no rule in these sets flags them; they count as planted, not detectable
        note = "EICAR string at the end of a larger file: by the EICAR definition not the test file"
        data = r.randbytes(2 * MiB) + E
        self.plant(self.write(self.unique(rd(), "firmware.bin"), data), [],
                   "end of a 2 MiB random file", False, note)
        data = fill(r, 300 * KB, "", syslog_block) + b"\n" + E + b"\n"
        self.plant(self.write(self.unique(rd(), "messages.log"), data), [],
                   "last line of a 300 KB log", False, note)
        p, _ = self.elf[r.randrange(len(self.elf))]
        with open(p, "rb") as f:
            data = f.read() + E
        self.plant(self.write(self.unique(rd(), os.path.basename(p)), data, 0o755), [],
                   "appended to an ELF program", False, note)

    def finish(self):
        shutil.rmtree(self.stage_root, ignore_errors=True)
        files = []
        for d, ds, fs in os.walk(self.tree):
            for f in fs:
                files.append(os.path.relpath(os.path.join(d, f), self.out))
        files.sort()
        h = hashlib.sha256()
        total = 0
        for rel in files:
            p = os.path.join(self.out, rel)
            fh = hashlib.sha256()
            with open(p, "rb") as f:
                for b in iter(lambda: f.read(MiB), b""):
                    fh.update(b)
                    total += len(b)
            h.update(rel.encode() + b"\0" + fh.hexdigest().encode() + b"\n")
            os.utime(p, (MTIME, MTIME))
        for d, ds, fs in os.walk(self.tree, topdown=False):
            os.chmod(d, 0o755)
            os.utime(d, (MTIME, MTIME))
        with open(__file__, "rb") as f:
            gen = hashlib.sha256(f.read()).hexdigest()
        elfsrc = hashlib.sha256("".join("%s %d\n" % e for e in self.elf).encode()).hexdigest()
        manifest = {
            "generator": "bench/corpus.py",
            "generator_version": GEN_VERSION,
            "generator_sha256": gen,
            "variant": self.variant,
            "seed": self.seed,
            "mtime": MTIME,
            "root": "tree",
            "file_count": len(files),
            "total_bytes": total,
            "dir_count": len(self.dirs),
            "max_depth": MAX_DEPTH,
            "elf_copies": len(self.elf),
            "elf_sources_sha256": elfsrc,
            "content_sha256": h.hexdigest(),
            "kinds": {k: {"files": v[0], "bytes": v[1]} for k, v in sorted(self.stats.items())},
            "planted": self.planted,
        }
        tmp = os.path.join(self.out, "MANIFEST.json.tmp")
        with open(tmp, "w") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
            f.write("\n")
        os.utime(tmp, (MTIME, MTIME))
        os.rename(tmp, os.path.join(self.out, "MANIFEST.json"))
        os.chmod(self.out, 0o755)
        os.utime(self.out, (MTIME, MTIME))
        return manifest

    def generate(self):
        os.makedirs(self.tree)
        self.make_dirs()
        self.choose_elf()
        if not self.elf:
            sys.exit("corpus.py: no ELF files found in /usr/bin or /usr/lib")
        for self.kind, step in (("text", self.texts), ("elf", self.elves), ("document", self.docs),
                                ("blob", self.blobs), ("big", self.bigs),
                                ("archive", self.plain_archives), ("planted", self.plants)):
            step()
        return self.finish()


def check(outdir, variant, seed):
    """does outdir hold the complete corpus this generator makes for variant and seed?"""
    try:
        with open(os.path.join(outdir, "MANIFEST.json")) as f:
            m = json.load(f)
        with open(__file__, "rb") as f:
            gen = hashlib.sha256(f.read()).hexdigest()
    except (OSError, ValueError) as e:
        return "no manifest (%s)" % e
    for k, want in (("generator_sha256", gen), ("variant", variant), ("seed", seed)):
        if m.get(k) != want:
            return "%s differs" % k
    n = total = 0
    for d, ds, fs in os.walk(os.path.join(outdir, "tree")):
        for f in fs:
            n += 1
            total += os.lstat(os.path.join(d, f)).st_size
    if (n, total) != (m.get("file_count"), m.get("total_bytes")):
        return "files on disk differ (%d files, %d bytes)" % (n, total)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--small", action="store_true", help="~2,000 files, ~100 MB")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", action="store_true", help="verify OUTDIR instead of generating")
    a = ap.parse_args()
    variant = "small" if a.small else "full"
    out = os.path.abspath(a.outdir)
    if a.check:
        why = check(out, variant, a.seed)
        if why:
            print("corpus.py: %s: %s" % (out, why), file=sys.stderr)
            sys.exit(1)
        return
    if os.path.exists(out) and os.listdir(out):
        sys.exit("corpus.py: %s exists and is not empty" % out)
    os.makedirs(out, exist_ok=True)
    os.umask(0o022)
    m = Corpus(out, variant, a.seed).generate()
    print("corpus %s seed %d: %d files, %.1f MiB, %d planted; sha256 %s" % (
        variant, a.seed, m["file_count"], m["total_bytes"] / MiB, len(m["planted"]),
        m["content_sha256"]))


if __name__ == "__main__":
    main()
