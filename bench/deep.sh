#!/usr/bin/env bash
# bench/deep.sh — what deep containers (issue 15: vigil-extract, libclamav, one sandboxed
# process per scanning thread) cost.
#
#   bench/deep.sh [VIGIL] [--small]      (defaults: build/vigil, the full corpora)
#
# (a) The scan corpus of bench/scan.sh (bench/corpus.py, shared with it: ~20,000 files, or
#     ~2,000 with --small), vigil's embedded default rules (scan.sh's default case), scanned
#     with deep containers on and off (--no-deep-containers).
# (b) A corpus rich in what goes to the extractor, made here with a fixed seed and kept in
#     ${TMPDIR:-/tmp}/vigil-bench-deep-VARIANT-SEED: copies of the PE, OLE2 and other deep
#     files of Debian's clamav-testfiles with a few random bytes appended (so no two are the
#     same; a line of text for mail, uuencode, HTML and RTF; SZDD, TNEF, base64 and BinHex
#     copied as they are, since anything appended is decoded into what they hide), mails and mboxes made with Python's email and mailbox packages (attachments:
#     text, random bytes, now and then clam.exe), PDFs with an attachment made with qpdf
#     (~3,000 files; --small ~600). The rules add clam.exe's SHA-256 as a hash list, so the
#     table also says how many of the files that hide clam.exe were found.
#
# Every case runs 3 times (median wall time) with the page cache warm, on 2 cores (pinned
# where there are more), `--threads 2 --no-cache`, each run with a fresh copy of a state
# folder that has the rules compiled. Peak RSS of vigil is /usr/bin/time's %M (the largest of
# vigil and the children it waited for); the extractors' is sampled every 0.2 s with ps
# (the largest single vigil-extract, and the largest sum over all of them at one time). The
# objects sent to the extractor are counted in one more run under strace (the SCM_RIGHTS
# sendmsg calls of vigil's threads: one per object, extract/proto.h); the cost per object is
# (wall on - wall off) / objects sent, and the same for CPU time (user + system, vigil and
# its extractors). Writes the tables to stdout and to bench/RESULTS-deep.md (one section per
# variant; the other's is kept). Measures; never fails for slowness.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
bench_args deep.sh "$@"
CTF=/usr/share/clamav-testfiles
for t in /usr/bin/time jq qpdf strace; do
	command -v "$t" >/dev/null || { echo "bench: $t is needed (make deps)" >&2; exit 2; }
done
[ -x "$V" ] || { echo "bench: $V is not an executable" >&2; exit 2; }
VXSRC=$(dirname "$V")/vigil-extract
[ -x "$VXSRC" ] || { echo "bench: no vigil-extract beside $V" >&2; exit 2; }
[ -e "$CTF/clam.exe" ] || { echo "bench: needs clamav-testfiles (make deps)" >&2; exit 2; }

# --- the corpora -----------------------------------------------------------------------------
bench_corpus
DGEN=2 # the deep corpus generator's version: a change makes it again
ddir=${TMPDIR:-/tmp}/vigil-bench-deep-$variant-$SEED
dkey="gen $DGEN seed $SEED variant $variant $(sha256sum "$CTF"/* | sha256sum | cut -c1-16) $(qpdf --version | head -n 1)"
if [ ! -f "$ddir/KEY" ] || [ "$(cat "$ddir/KEY")" != "$dkey" ]; then
	echo "generating the deep corpus ($variant, seed $SEED) in $ddir"
	rm -rf "$ddir"
	mkdir -p "$ddir/tree"
	CTF=$CTF SEED=$SEED VARIANT=$variant "$PY" - "$ddir" <<'PYEOF'
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
PYEOF
	echo "$dkey" >"$ddir/KEY"
fi
dtree=$ddir/tree
dfiles=$(find "$dtree" -type f | wc -l)
dbytes=$(du -sb "$dtree" | cut -f1)
dhides=$(wc -l <"$ddir/HIDES")

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-deepbench.XXXXXX")
sampler=
cleanup() {
	[ -n "$sampler" ] && kill "$sampler" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$work"
# a copy of both binaries: every run measures the same ones, even if build/ is rebuilt meanwhile
cp "$V" "$work/vigil"
cp "$VXSRC" "$work/vigil-extract"
V=$work/vigil
export VIGIL_MANAGED_CONFIG=$work/no-managed.json
unset VIGIL_CONFIG VIGIL_STATE_DIR VIGIL_EXTRACT VIGIL_EXTRACT_TEST_ARGS
pin=()
[ "$(nproc)" -gt "$CORES" ] && command -v taskset >/dev/null && pin=(taskset -c "0-$((CORES - 1))")

# state templates: (a) the embedded rules; (b) the same plus clam.exe's hash
mkdir -p empty
VIGIL_STATE_DIR=$work/tmpl-a "$V" -q scan custom "$work/empty" >/dev/null
printf '%s:%s:Bench.Deep.ClamExe\n' "$(sha256sum "$CTF/clam.exe" | cut -d' ' -f1)" "$(stat -c %s "$CTF/clam.exe")" >clam.hsb
VIGIL_STATE_DIR=$work/tmpl-b "$V" -q sigdb import clam.hsb >/dev/null
VIGIL_STATE_DIR=$work/tmpl-b "$V" -q scan custom "$work/empty" >/dev/null
fresh_state() {
	rm -rf "$work/state"
	cp -a "$work/tmpl-$1" "$work/state"
}

# the extractors' RSS (KiB) every 0.2 s until killed: "largest one, largest sum" in $1
sample_rss() {
	local one=0 sum=0 o s
	while :; do
		read -r o s < <(ps -e -o rss=,comm=,args= | awk '/vigil-extrac[t]/ { s += $1; if ($1 > m) m = $1 } END { print m + 0, s + 0 }')
		[ "$o" -gt "$one" ] && one=$o
		[ "$s" -gt "$sum" ] && sum=$s
		echo "$one $sum" >"$1.tmp" && mv "$1.tmp" "$1"
		sleep 0.2
	done
}

# measure TMPL NAME OUT ARGS...: REPS runs of vigil --json scan custom ARGS (one untimed
# warm-up first); prints "median_wall median_cpu peak_rss_kib vx_one_kib vx_sum_kib status"
measure() {
	local tmpl=$1 name=$2 outp=$3 i walls="" cpus="" rss=0 vone=0 vsum=0 status=ok w u s m x o su
	shift 3
	fresh_state "$tmpl"
	env VIGIL_STATE_DIR="$work/state" "${pin[@]}" "$V" --json scan custom "$@" >/dev/null 2>&1 || true
	for i in $(seq "$REPS"); do
		fresh_state "$tmpl"
		echo "0 0" >vx.rss
		sample_rss vx.rss &
		sampler=$!
		/usr/bin/time -f "%e %U %S %M %x" -o t.out env VIGIL_STATE_DIR="$work/state" "${pin[@]}" "$V" --json scan custom "$@" \
			>"$outp.json" 2>"$outp.err" || true
		kill "$sampler" 2>/dev/null
		wait "$sampler" 2>/dev/null || true
		sampler=
		read -r w u s m x < <(tail -n 1 t.out)
		read -r o su <vx.rss
		walls="$walls $w"
		cpus="$cpus $(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"
		[ "$m" -gt "$rss" ] && rss=$m
		[ "$o" -gt "$vone" ] && vone=$o
		[ "$su" -gt "$vsum" ] && vsum=$su
		case $x in 0 | 1) ;; *) status="exit $x: $(tail -n 1 "$outp.err" | cut -c1-120)" ;; esac
	done
	med() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
	echo "$(med $walls) $(med $cpus) $rss $vone $vsum $status"
	echo "  $name: runs$walls s (cpu$cpus s), peak RSS $((rss / 1024)) MiB, extractors $((vone / 1024)) MiB one / $((vsum / 1024)) MiB all, $status" >&2
}

# sent TMPL ARGS...: the objects vigil sends to extractors in one scan (strace: the sendmsg
# calls with SCM_RIGHTS made by vigil's threads, not by the extractors), or "-"
sent() {
	local tmpl=$1
	shift
	fresh_state "$tmpl"
	env VIGIL_STATE_DIR="$work/state" strace -f -qq -s 0 -e trace=sendmsg,execve,clone,clone3,fork,vfork \
		-o strace.txt "$V" --json scan custom "$@" >/dev/null 2>&1 || true
	"$PY" - strace.txt <<'PYEOF' || echo -
import re, sys
parent, vx, n = {}, set(), 0
lines = open(sys.argv[1], errors="replace").read().splitlines()
for l in lines:
    m = re.match(r"(\d+) +(clone3?|v?fork)\(.*= (\d+)$", l) or re.match(r"(\d+) +<\.\.\. (clone3?|v?fork) resumed>.*= (\d+)$", l)
    if m:
        parent[int(m.group(3))] = int(m.group(1))
    m = re.match(r"(\d+) +execve\(\"[^\"]*vigil-extract\"", l)
    if m:
        vx.add(int(m.group(1)))
def is_vx(p):
    seen = 0
    while p is not None and seen < 64:
        if p in vx:
            return True
        p, seen = parent.get(p), seen + 1
    return False
for l in lines:
    m = re.match(r"(\d+) +sendmsg\(", l)
    if m and "SCM_RIGHTS" in l and not is_vx(int(m.group(1))):
        n += 1
if not vx:
    sys.exit(1)
print(n)
PYEOF
}

echo "corpus (a): $corpus ($(jq .file_count "$manifest") files); corpus (b): $dtree ($dfiles files, $((dbytes / 1048576)) MiB, $dhides hide clam.exe)"
for d in "$corpus" "$dtree"; do
	find "$d" -type f -print0 | xargs -0 cat >/dev/null
done
opts=(--threads "$CORES" --no-cache)
echo "measuring (page cache warm, $REPS runs each, median)"
read -r a_on_w a_on_c a_on_r a_on_vo a_on_vs a_on_s < <(measure a "(a) deep on" a-on "$corpus" "${opts[@]}")
read -r a_off_w a_off_c a_off_r a_off_vo a_off_vs a_off_s < <(measure a "(a) deep off" a-off "$corpus" "${opts[@]}" --no-deep-containers)
# (c): the bench corpus without the one kind of its files that goes to the extractor (PDF):
# what routing alone costs a corpus that holds no deep container
read -r c_on_w c_on_c c_on_r c_on_vo c_on_vs c_on_s < <(measure a "(c) deep on" c-on "$corpus" "${opts[@]}" --exclude-ext pdf)
read -r c_off_w c_off_c c_off_r c_off_vo c_off_vs c_off_s < <(measure a "(c) deep off" c-off "$corpus" "${opts[@]}" --exclude-ext pdf --no-deep-containers)
read -r b_on_w b_on_c b_on_r b_on_vo b_on_vs b_on_s < <(measure b "(b) deep on" b-on "$dtree" "${opts[@]}")
read -r b_off_w b_off_c b_off_r b_off_vo b_off_vs b_off_s < <(measure b "(b) deep off" b-off "$dtree" "${opts[@]}" --no-deep-containers)
echo "counting the objects sent to the extractors (one more run of each deep-on case, under strace)"
a_sent=$(sent a "$corpus" "${opts[@]}")
b_sent=$(sent b "$dtree" "${opts[@]}")
c_sent=$(sent a "$corpus" "${opts[@]}" --exclude-ext pdf)
echo "  sent: (a) $a_sent, (b) $b_sent, (c) $c_sent"

# found JSON: files of (b) that hide clam.exe with a detection of its hash
found() {
	jq -r '[.threats[] | select(.name == "Bench.Deep.ClamExe") | .path] | unique | .[]' "$1" 2>/dev/null |
		sed "s|^$dtree/||" | sort | comm -12 - <(sort "$ddir/HIDES") | wc -l
}
b_on_found=$(found b-on.json)
b_off_found=$(found b-off.json)

# --- the tables --------------------------------------------------------------------------------
row() { # NAME WALL CPU RSS VXONE VXSUM STATUS JSON
	local f o t e p
	f=$(jq .files_scanned "$8" 2>/dev/null || echo -)
	o=$(jq .objects_scanned "$8" 2>/dev/null || echo -)
	t=$(jq .threats_found "$8" 2>/dev/null || echo -)
	e=$(jq .errors "$8" 2>/dev/null || echo -)
	p=$(jq -c '[.problems[].kind] | group_by(.) | map({(.[0]): length}) | add // {}' "$8" 2>/dev/null || echo -)
	awk -v n="$1" -v w="$2" -v c="$3" -v r="$4" -v vo="$5" -v vs="$6" -v s="$7" -v f="$f" -v o="$o" -v t="$t" -v e="$e" -v p="$p" 'BEGIN {
		st = (s == "ok") ? "" : " (" s ")"
		vx = (vs > 0) ? sprintf("%d MiB (%d MiB all)", vo / 1024, vs / 1024) : "-"
		printf "| %s%s | %d | %.2f s | %.2f s | %s | %s | %d MiB | %s | %s | %s | `%s` |\n", n, st, '"$REPS"', w, c, f, o, r / 1024, vx, t, e, p }'
}
per() { # WALL_ON WALL_OFF N: milliseconds per object
	awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n + 0 > 0) printf "%.2f ms", (a - b) * 1000 / n; else print "-" }'
}
load=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
hello=$(VIGIL_STATE_DIR=$work/state "$V" --json health 2>/dev/null | jq -r '.deep_containers | "libclamav \(.libclamav // "?"), sandbox: \(.sandbox // "?")"' || echo "?")
section=$(
	echo "<!-- deep.sh:$variant -->"
	echo "## $variant corpora"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores ($cpu), $mem, kernel $(uname -r); runs" \
		"pinned to $CORES cores, $REPS runs each (median) after one warm-up run, page cache warm;" \
		"load average $load at the end. $("$V" --version 2>/dev/null | head -n 1); vigil-extract: $hello."
	echo
	echo "(a) \`bench/corpus.py --seed $SEED$([ "$variant" = small ] && echo ' --small')\`:" \
		"$(jq .file_count "$manifest") files, $(( $(jq .total_bytes "$manifest") / 1048576 )) MiB, vigil's embedded rules." \
		"(b) the deep corpus (seed $SEED): $dfiles files, $((dbytes / 1048576)) MiB — PE, OLE2 and other" \
		"clamav-testfiles copies with bytes appended, mails and mboxes (Python email), PDFs with an attachment (qpdf);" \
		"$dhides of them hide clam.exe byte for byte (not counted: the copies of clam.exe, FSG and PESpin, whose" \
		"appended bytes end up in the program found); rules: the embedded ones and clam.exe's SHA-256 as a hash list." \
		"All runs: \`--threads $CORES --no-cache\`, a fresh copy of a state folder with the rules compiled."
	echo
	echo "| case | runs | wall (median) | CPU user+sys (median) | files | objects | peak RSS vigil | peak RSS extractors: one (all) | threats | errors | problems |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	row "(a) bench corpus, deep on" "$a_on_w" "$a_on_c" "$a_on_r" "$a_on_vo" "$a_on_vs" "$a_on_s" a-on.json
	row "(a) bench corpus, deep off" "$a_off_w" "$a_off_c" "$a_off_r" "$a_off_vo" "$a_off_vs" "$a_off_s" a-off.json
	row "(c) bench corpus without its PDFs, deep on" "$c_on_w" "$c_on_c" "$c_on_r" "$c_on_vo" "$c_on_vs" "$c_on_s" c-on.json
	row "(c) bench corpus without its PDFs, deep off" "$c_off_w" "$c_off_c" "$c_off_r" "$c_off_vo" "$c_off_vs" "$c_off_s" c-off.json
	row "(b) deep corpus, deep on" "$b_on_w" "$b_on_c" "$b_on_r" "$b_on_vo" "$b_on_vs" "$b_on_s" b-on.json
	row "(b) deep corpus, deep off" "$b_off_w" "$b_off_c" "$b_off_r" "$b_off_vo" "$b_off_vs" "$b_off_s" b-off.json
	echo
	echo "| corpus | objects sent to the extractors | wall on / off | wall added per object sent | CPU added per object sent | files hiding clam.exe found (on / off) |"
	echo "|---|---:|---:|---:|---:|---:|"
	echo "| (a) | $a_sent | $(awk -v a="$a_on_w" -v b="$a_off_w" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }') | $(per "$a_on_w" "$a_off_w" "$a_sent") | $(per "$a_on_c" "$a_off_c" "$a_sent") | - |"
	echo "| (c) | $c_sent | $(awk -v a="$c_on_w" -v b="$c_off_w" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }') | - | - | - |"
	echo "| (b) | $b_sent | $(awk -v a="$b_on_w" -v b="$b_off_w" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }') | $(per "$b_on_w" "$b_off_w" "$b_sent") | $(per "$b_on_c" "$b_off_c" "$b_sent") | $b_on_found / $b_off_found of $dhides |"
	echo
	echo "Wall added per object is with $CORES threads (each its own extractor), so it is the cost seen" \
		"by the whole scan, not one object's latency; CPU added per object counts vigil and the extractors" \
		"(they are vigil's children, waited for). Objects sent are counted from the sendmsg calls that carry" \
		"an object (one per object, whether a file or a member); on a small corpus the difference on / off" \
		"is within the noise (it can come out negative)."
	echo "<!-- /deep.sh:$variant -->"
)
echo
echo "$section"
printf '%s\n' "$section" >section.md
cat >top.md <<'EOF'
# Deep containers benchmark

`bench/deep.sh` (`bench/deep.sh build/vigil --small` for the small corpora): the cost of opening PE, Office, PDF, mail and the other formats libarchive cannot read in the sandboxed `vigil-extract` (libclamav), on the scan corpus of bench/scan.sh and on a corpus made of such files; with `--no-deep-containers` as the base line. Measures; never fails for slowness.

EOF
"$PY" "$here/results_section.py" "$here/RESULTS-deep.md" deep.sh "$variant" section.md top.md
echo "written to bench/RESULTS-deep.md"
