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
bench_need /usr/bin/time jq qpdf strace
[ -x "$V" ] || { echo "bench: $V is not an executable" >&2; exit 2; }

# --- the corpora -----------------------------------------------------------------------------
bench_corpus
bench_deep_corpus

bench_workdir vigil-deepbench
bench_copy_vigil

# state templates: (a) the embedded rules; (b) the same plus clam.exe's hash
bench_state_tmpl a
printf '%s:%s:Bench.Deep.ClamExe\n' "$(sha256sum "$CTF/clam.exe" | cut -d' ' -f1)" "$(stat -c %s "$CTF/clam.exe")" >clam.hsb
bench_state_tmpl b clam.hsb

# measure TMPL NAME OUT ARGS...: REPS runs of vigil --json scan custom ARGS (one untimed
# warm-up first); prints "median_wall median_cpu peak_rss_kib vx_one_kib vx_sum_kib status"
measure() {
	local tmpl=$1 name=$2 outp=$3 i walls="" cpus="" rss=0 vone=0 vsum=0 status=ok w u s m x o su
	shift 3
	bench_fresh_state "$tmpl"
	env VIGIL_STATE_DIR="$work/state" "${pin[@]}" "$V" --json scan custom "$@" >/dev/null 2>&1 || true
	for i in $(seq "$REPS"); do
		bench_fresh_state "$tmpl"
		bench_sample_start vx.rss
		/usr/bin/time -f "%e %U %S %M %x" -o t.out env VIGIL_STATE_DIR="$work/state" "${pin[@]}" "$V" --json scan custom "$@" \
			>"$outp.json" 2>"$outp.err" || true
		bench_sample_stop
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
	bench_fresh_state "$tmpl"
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
bench_warm "$corpus" "$dtree"
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
hello=$(VIGIL_STATE_DIR=$work/state "$V" --json health 2>/dev/null | jq -r '.deep_containers | "libclamav \(.libclamav // "?"), sandbox: \(.sandbox // "?")"' || echo "?")
section=$(
	echo "<!-- deep.sh:$variant -->"
	echo "## $variant corpora"
	echo
	echo "$(bench_machine); runs" \
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
