#!/usr/bin/env bash
# bench/image.sh — scanning a disk image without mounting it (`vigil scan image`, libtsk)
# against scanning the same file system mounted (`vigil scan custom MOUNTPOINT`): the scan
# corpus of bench/scan.sh (bench/corpus.py) is put in a bare ext4 image with mke2fs -d, the
# image is loop-mounted read-only, and both are scanned with the same rules and threads.
#
#   bench/image.sh [VIGIL] [--small]     (defaults: build/vigil, the full corpus: ~20,000
#                                         files, ~1 GiB; --small: ~2,000 files, ~100 MB)
#
# The corpus is shared with bench/scan.sh (${TMPDIR:-/tmp}/vigil-bench-corpus-VARIANT-SEED);
# the image is kept beside it (vigil-bench-image-VARIANT-SEED.img) and made again only when
# the corpus changed. Each case runs 3 times with the page cache warm (one untimed run of
# each first: the image file and the mounted files both cached), on 2 cores (pinned where
# there are more), each run with a fresh copy of a state folder that has the rules compiled
# and with --no-cache; the table gives the median wall time, files, MB/s (bytes vigil
# scanned), the peak RSS, the threats found, and the ratio image / folder (the target is
# 1.5x or less). Writes the table to stdout and to bench/RESULTS-image.md (one section per
# corpus variant; the other variant's section is kept). Needs root (mount -o ro,loop).
# Measures; never fails for slowness.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
bench_args image.sh "$@"
PATH=$PATH:/usr/sbin:/sbin
[ -x "$V" ] || { echo "bench: $V is not an executable" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench: image.sh needs root (mount -o ro,loop)" >&2; exit 2; }
for t in /usr/bin/time mke2fs jq; do
	command -v "$t" >/dev/null || { echo "bench: $t is needed (make deps)" >&2; exit 2; }
done
"$V" help scan 2>&1 | grep -q "scan image" || { echo "bench: $V has no 'scan image'" >&2; exit 2; }

# --- the corpus and its image --------------------------------------------------------------------
bench_corpus
img=${TMPDIR:-/tmp}/vigil-bench-image-$variant-$SEED.img
key="$(jq -r .content_sha256 "$manifest") $(mke2fs -V 2>&1 | head -n 1)"
mk_s="an earlier run"
if [ ! -f "$img" ] || [ "$(cat "$img.key" 2>/dev/null)" != "$key" ]; then
	rm -f "$img" "$img.key"
	bytes=$(jq .total_bytes "$manifest")
	files=$(jq .file_count "$manifest")
	# room for the data, a 4 KiB block per file's tail, the inode tables and the journal
	mib=$(( (bytes + files * 4096) * 115 / 100 / 1048576 + 128 ))
	echo "making the ext4 image ($mib MiB) from $corpus"
	t0=$(date +%s.%N)
	E2FSPROGS_FAKE_TIME=1700000000 mke2fs -q -F -t ext4 -b 4096 -I 256 -L vigil-bench \
		-U 5F1C0D1E-0000-4000-8000-00000000be01 -E root_owner=0:0 -d "$corpus" "$img.tmp" "${mib}M" >/dev/null
	mk_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')
	mv "$img.tmp" "$img"
	echo "$key" >"$img.key"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-imagebench.XXXXXX")
mnt=$work/mnt
cleanup() {
	mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$work"
# a copy of the binary: every run measures the same one, even if build/vigil is rebuilt meanwhile
cp "$V" "$work/vigil"
V=$work/vigil
export VIGIL_MANAGED_CONFIG=$work/no-managed.json
unset VIGIL_CONFIG VIGIL_STATE_DIR
pin=()
[ "$(nproc)" -gt "$CORES" ] && command -v taskset >/dev/null && pin=(taskset -c "0-$((CORES - 1))")
mkdir -p "$mnt" empty
mount -o ro,loop "$img" "$mnt"
echo "image: $img ($(( $(stat -c %s "$img") / 1048576 )) MiB), mounted read-only on $mnt"

# the state folder template: rules compiled, nothing scanned
VIGIL_STATE_DIR=$work/tmpl "$V" -q scan custom "$work/empty" >/dev/null
fresh_state() {
	rm -rf "$work/state"
	cp -a "$work/tmpl" "$work/state"
}

# measure NAME OUTPREFIX CMD...: one untimed warm-up run, then REPS timed runs, each with a
# fresh state folder; prints "median_wall peak_rss_kib status" and keeps the last JSON output
measure() {
	local name=$1 outp=$2 i walls="" rss=0 status=ok w m x
	shift 2
	fresh_state
	VIGIL_STATE_DIR=$work/state "${pin[@]}" "$@" >/dev/null 2>&1 || true
	for i in $(seq "$REPS"); do
		fresh_state
		/usr/bin/time -f "%e %M %x" -o t.out env VIGIL_STATE_DIR="$work/state" "${pin[@]}" "$@" \
			>"$outp.json" 2>"$outp.err" || true
		read -r w m x < <(tail -n 1 t.out)
		walls="$walls $w"
		[ "$m" -gt "$rss" ] && rss=$m
		case $x in 0 | 1) ;; *) status="exit $x: $(tail -n 1 "$outp.err" | cut -c1-120)" ;; esac
	done
	med=$(printf '%s\n' $walls | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	echo "$med $rss $status"
	echo "  $name: runs$walls s, median $med s, peak RSS $((rss / 1024)) MiB, $status" >&2
}

cat "$img" >/dev/null
find "$mnt" -type f -print0 | xargs -0 cat >/dev/null
opts=(--threads "$CORES" --no-cache)
echo "measuring (page cache warm, $REPS runs each, median)"
read -r w_img r_img s_img < <(measure "vigil scan image" img "$V" --json scan image "$img" "${opts[@]}")
read -r w_dir r_dir s_dir < <(measure "vigil scan custom MOUNTPOINT" dir "$V" --json scan custom "$mnt" "${opts[@]}")
umount "$mnt"

# the same files and findings both ways: (path inside, member chain, rule) sets compared
cmpsets=$("$PY" - img.json dir.json "$mnt" <<'PYEOF'
import json, sys
mnt = sys.argv[3]
try:
    a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
except ValueError:
    print("not compared (a scan gave no JSON)")
    sys.exit(0)
def inside_img(t):
    return t.get("image", {}).get("path") or t["path"].split(":p0:", 1)[-1]
def inside_dir(t):
    return t["path"][len(mnt):] if t["path"].startswith(mnt) else t["path"]
sa = {(inside_img(t), tuple(t["member"]), t["name"]) for t in a.get("threats", [])}
sb = {(inside_dir(t), tuple(t["member"]), t["name"]) for t in b.get("threats", [])}
print("same findings" if sa == sb else
      "DIFFERENT findings: %d only in the image scan, %d only in the folder scan" % (len(sa - sb), len(sb - sa)))
PYEOF
)

# --- the table ---------------------------------------------------------------------------------
row() { # NAME WALL RSS STATUS JSON
	local f b t
	f=$(jq .files_scanned "$5" 2>/dev/null || echo -)
	b=$(jq .bytes_scanned "$5" 2>/dev/null || echo 0)
	t=$(jq .threats_found "$5" 2>/dev/null || echo -)
	awk -v n="$1" -v w="$2" -v r="$3" -v s="$4" -v f="$f" -v b="$b" -v t="$t" -v base="$w_dir" 'BEGIN {
		st = (s == "ok") ? "" : " (" s ")"
		printf "| %s%s | %d | %.2f s | %s | %.0f | %d MiB | %s | %.2fx |\n", n, st, '"$REPS"', w, f,
			(w > 0 ? b / w / 1e6 : 0), r / 1024, t, (base > 0 ? w / base : 0) }'
}
ratio=$(awk -v a="$w_img" -v b="$w_dir" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.5 ? "within" : "NOT within") }')
load=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
section=$(
	echo "<!-- image.sh:$variant -->"
	echo "## $variant corpus"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%M:%SZ); $(nproc) cores ($cpu), $mem, kernel $(uname -r); runs" \
		"pinned to $CORES cores, $REPS runs each (median) after one warm-up run, page cache warm;" \
		"load average $load at the end. $("$V" --version 2>/dev/null | head -n 1), embedded default rules."
	echo
	echo "Corpus: \`bench/corpus.py --seed $SEED$([ "$variant" = small ] && echo ' --small')\`," \
		"$(jq .file_count "$manifest") files, $(( $(jq .total_bytes "$manifest") / 1048576 )) MiB;" \
		"image: bare ext4 (no partition table, 4 KiB blocks) made by \`mke2fs -d\`," \
		"$(( $(stat -c %s "$img") / 1048576 )) MiB (made in $mk_s), loop-mounted with \`-o ro,loop\` for the folder scan."
	echo "Both: \`--threads $CORES --no-cache\`, a fresh copy of a state folder with the rules compiled for each run."
	echo
	echo "| case | runs | wall (median) | files | MB/s | peak RSS | threats | vs folder |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	row "\`vigil scan image IMG\` (libtsk)" "$w_img" "$r_img" "$s_img" img.json
	row "\`vigil scan custom MOUNTPOINT\`" "$w_dir" "$r_dir" "$s_dir" dir.json
	echo
	echo "Image / folder: **${ratio}x** ($verdict the 1.5x target). Findings: $cmpsets" \
		"(path inside the file system, archive member chain, rule)."
	echo "<!-- /image.sh:$variant -->"
)
echo
echo "$section"
results=$here/RESULTS-image.md
printf '%s\n' "$section" >section.md
cat >top.md <<'EOF'
# Image scan benchmark

`bench/image.sh` (`bench/image.sh build/vigil --small` for the small corpus): the same ext4 file system scanned as an image file with `vigil scan image` (read through libtsk, nothing mounted) and mounted read-only with `vigil scan custom`. MB/s counts the bytes vigil scanned (files, not archive members unpacked); the target is an image scan within 1.5x of the folder scan's wall time.

EOF
"$PY" "$here/results_section.py" "$results" image.sh "$variant" section.md top.md
echo "written to bench/RESULTS-image.md"
