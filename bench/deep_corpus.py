"""bench/deep_corpus.py — the deep corpus of bench/deep.sh and bench/targets.sh: files rich in
what goes to the extractor (vigil-extract, libclamav), made with a fixed seed.

    CTF=/usr/share/clamav-testfiles SEED=1 VARIANT=full|small python3 bench/deep_corpus.py OUTDIR

Writes OUTDIR/tree and OUTDIR/HIDES (the files that hide clam.exe, one a line). Called by
bench_deep_corpus (bench/common.sh), which keeps the corpus until its key changes.
"""
import mailbox, os, random, subprocess, sys
from email.message import EmailMessage

out = sys.argv[1]
tree = os.path.join(out, "tree")
ctf, seed, variant = os.environ["CTF"], int(os.environ["SEED"]), os.environ["VARIANT"]
k = 5 if variant == "small" else 1  # the small corpus: a fifth
r = random.Random("%d:deep" % seed)
clam = open(os.path.join(ctf, "clam.exe"), "rb").read()
hides = []  # files that hold clam.exe somewhere

def put(rel, data, hidden):
    p = os.path.join(tree, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    if hidden:
        hides.append(rel)

# copies of the test set's deep files, a few random bytes appended to each
small_pe = ["clam-aspack.exe", "clam-fsg.exe", "clam-mew.exe", "clam-pespin.exe", "clam-petite.exe",
            "clam-upack.exe", "clam-upx.exe", "clam-wwpack.exe", "clam-yc.exe", "clam-nsis.exe", "clam.exe"]
big_pe = ["clam.ea05.exe", "clam.ea06.exe", "clam_IScab_ext.exe", "clam_IScab_int.exe",
          "clam_ISmsi_ext.exe", "clam_ISmsi_int.exe"]
ole = ["clam.ole.doc", "clam.ppt"]
# how each other file is made to differ without breaking what hides clam.exe: random bytes,
# a line of text (after the end of a mail, a uuencoded or an HTML text), or not at all
# (appended bytes would be decoded into the hidden program: SZDD, TNEF, base64, BinHex)
other = {"clam.pdf": "bytes", "clam.chm": "bytes", "clam.sis": "bytes", "clam.arj": "bytes",
         "clam.exe.rtf": "text", "clam.mail": "text", "clam.exe.mbox.uu": "text", "clam.exe.html": "text",
         "clam.exe.szdd": "same", "clam.tnef": "same", "clam.exe.mbox.base64": "same", "clam.exe.binhex": "same"}
# bytes appended to these change the program found inside (clam.exe itself; FSG and PESpin
# rebuild the overlay into the unpacked layer): copied, sent to the extractor, not counted
changed = {"clam.exe", "clam-fsg.exe", "clam-pespin.exe"}
for names, copies, sub in ((small_pe, 80 // k, "pe"), (big_pe, 5 // k or 1, "pe-big"),
                           (ole, 150 // k, "ole"), (sorted(other), 30 // k, "other")):
    for name in names:
        data = open(os.path.join(ctf, name), "rb").read()
        how = other.get(name, "bytes")
        for i in range(copies):
            base, ext = os.path.splitext(name)
            if how == "bytes":
                extra = r.randbytes(r.randint(1, 16))
            elif how == "text":
                extra = b"\n%s\n" % r.randbytes(12).hex().encode()
            else:
                extra = b""
            put("%s/%s-%04d%s" % (sub, base, i, ext), data + extra, name not in changed)

WORDS = "alpha beta gamma delta invoice report meeting budget offer draft contract notes".split()

def text(n):
    return " ".join(r.choice(WORDS) for _ in range(n)) + "\n"

def attachment():
    x = r.random()
    if x < 0.1:
        return "setup.exe", clam, True
    if x < 0.5:
        return "notes-%d.txt" % r.randint(1, 999), text(r.randint(20, 2000)).encode(), False
    return "data-%d.bin" % r.randint(1, 999), r.randbytes(r.randint(200, 60000)), False

def mail(i):
    m = EmailMessage()
    m["From"] = "user%d@example.org" % r.randint(1, 50)
    m["To"] = "user%d@example.org" % r.randint(1, 50)
    m["Subject"] = text(4).strip()
    m["Date"] = "Tue, 14 Nov 2023 22:13:20 +0000"
    m["Message-ID"] = "<bench-%d-%d@example.org>" % (seed, i)
    m.set_content(text(r.randint(10, 300)))
    hidden = False
    for _ in range(r.randint(1, 3)):
        name, data, h = attachment()
        hidden |= h
        m.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return m, hidden

for i in range(800 // k):
    m, h = mail(i)
    put("mail/m%04d.eml" % i, bytes(m), h)
os.makedirs(os.path.join(tree, "mbox"), exist_ok=True)
for j in range(20 // k):
    p = os.path.join(tree, "mbox", "box%02d.mbox" % j)
    mb = mailbox.mbox(p)
    hidden = False
    for i in range(10):
        m, h = mail(100000 + j * 10 + i)
        hidden |= h
        mb.add(m)
    mb.flush()
    mb.close()
    if hidden:
        hides.append(os.path.relpath(p, tree))

# PDFs with one attachment each (qpdf, FlateDecode by default)
pdir = os.path.join(out, "pdfsrc")
os.makedirs(pdir, exist_ok=True)
raw = os.path.join(pdir, "raw.pdf")
with open(raw, "w") as f:
    f.write("%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
            "3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>> endobj\ntrailer <</Size 4/Root 1 0 R>>\n%%EOF\n")
base = os.path.join(pdir, "base.pdf")
subprocess.run(["qpdf", "--warning-exit-0", raw, base], check=True, stderr=subprocess.DEVNULL)
os.makedirs(os.path.join(tree, "pdf"), exist_ok=True)
for i in range(400 // k):
    name, data, h = attachment()
    a = os.path.join(pdir, name)
    with open(a, "wb") as f:
        f.write(data)
    subprocess.run(["qpdf", "--deterministic-id", base, "--add-attachment", a, "--creationdate=D:20231114221320Z",
                    "--moddate=D:20231114221320Z", "--", os.path.join(tree, "pdf", "p%04d.pdf" % i)], check=True)
    if h:
        hides.append("pdf/p%04d.pdf" % i)
    os.unlink(a)

with open(os.path.join(out, "HIDES"), "w") as f:
    f.write("\n".join(sorted(hides)) + "\n")
