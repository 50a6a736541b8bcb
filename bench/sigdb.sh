#!/usr/bin/env bash
# bench/sigdb.sh — the signature database at scale: compile and load time, memory, and scan
# throughput with the large real-world rule set (../shared/yara/large.yar, where present,
# beside `yara -r -p N` with the same compiled rules) and with one million hashes loaded.
#
#   bench/sigdb.sh [VIGIL] [HASHES]        (defaults: build/vigil 1000000)
#
# Writes a table to stdout and to bench/RESULTS-sigdb.md. Measures; never fails for slowness.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
V=${1:-$here/../build/vigil}
V=$(cd "$(dirname "$V")" && pwd)/$(basename "$V")
HASHES=${2:-1000000}
large=$here/../../shared/yara/large.yar
work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-sbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

rows=""
row() {
	local r
	r=$(printf '| %-44s | %10s | %12s | %8s |' "$1" "$2" "$3" "$4")
	echo "$r"
	rows="$rows$r"$'\n'
}
# timed OUT cmd...: wall seconds and peak RSS (MiB) into $wall $rss
timed() {
	/usr/bin/time -f "%e %M" -o t.out "$@" >/dev/null 2>&1 || true
	read -r wall rss <t.out
	rss=$((rss / 1024))
}

# A deterministic corpus: binaries from /usr/bin and generated text.
mkdir -p corpus/bin corpus/text
find /usr/bin -maxdepth 1 -type f -size -8M | sort | head -n 400 | while read -r f; do cp "$f" corpus/bin/; done
i=0
while [ $i -lt 4000 ]; do
	printf 'line %d of a generated text file, with some words: alpha beta gamma %d\n' $i $((i * 7)) >corpus/text/f$i.txt
	i=$((i + 1))
done
bytes=$(du -sb corpus | cut -f1)
files=$(find corpus -type f | wc -l)
mbs() { awk -v b="$bytes" -v w="$1" 'BEGIN { printf "%.0f MB/s", (w > 0 ? b / w / 1e6 : 0) }'; }

echo "| what | wall | rate | peak RSS |"
echo "|---|---:|---:|---:|"
export VIGIL_STATE_DIR=$work/state-default
"$V" -q scan custom corpus >/dev/null 2>&1 || true
timed "$V" -q scan custom corpus
row "scan, embedded rules ($files files)" "${wall} s" "$(mbs "$wall")" "$rss MiB"

if [ -f "$large" ]; then
	export VIGIL_STATE_DIR=$work/state-large
	timed "$V" -q sigdb import "$large"
	row "compile large.yar (import)" "${wall} s" "" "$rss MiB"
	load=$("$V" --json sigdb info | jq ".load_ms * 10 | round / 10")
	size=$("$V" --json sigdb info | jq .compiled_bytes)
	row "load the compiled set ($((size / 1048576)) MiB)" "${load} ms" "" ""
	timed "$V" -q scan custom corpus
	row "scan with large.yar" "${wall} s" "$(mbs "$wall")" "$rss MiB"
	if command -v yara >/dev/null; then
		timed yara -r -p "$(nproc)" -C "$VIGIL_STATE_DIR"/rules-*.yarc corpus
		row "yara -r -p $(nproc), same compiled rules" "${wall} s" "$(mbs "$wall")" "$rss MiB"
	fi
fi

export VIGIL_STATE_DIR=$work/state-hashes
head -c $((HASHES * 32)) /dev/urandom | od -An -v -tx1 -w32 | tr -d ' ' |
	awk '{ print $0 ";Bench.Hash." NR }' >million.ioc
timed "$V" -q sigdb import million.ioc
row "import $HASHES SHA-256 hashes" "${wall} s" "" "$rss MiB"
vhdb=$(ls "$VIGIL_STATE_DIR"/hashes-*.vhdb 2>/dev/null | head -n 1)
[ -n "$vhdb" ] && row "saved hash lists (hashes-*.vhdb)" "" "" "$(($(stat -c %s "$vhdb") / 1048576)) MiB"
timed "$V" -q scan custom corpus
row "scan with $HASHES hashes loaded" "${wall} s" "$(mbs "$wall")" "$rss MiB"

# One small file, with the hashes and without (a state folder with only the embedded rules),
# alternated, REPS runs each after one warm-up: what loading the lists adds to a scan.
REPS=${REPS:-9}
mkdir -p one && echo "one small file" >one/small.txt
state_hash=$work/state-hashes
state_none=$work/state-nohash
VIGIL_STATE_DIR=$state_none "$V" -q scan custom one >/dev/null 2>&1 || true
VIGIL_STATE_DIR=$state_hash "$V" -q scan custom one >/dev/null 2>&1 || true
# one_scan STATE: wall milliseconds of one scan, and its peak RSS (KiB) in rss.out
one_scan() {
	local t0 t1
	t0=$EPOCHREALTIME
	VIGIL_STATE_DIR=$1 /usr/bin/time -f %M -o rss.out "$V" -q scan custom one >/dev/null 2>&1 || true
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'
}
: >ms.hash
: >ms.none
: >rss.hash
: >rss.none
i=0
while [ $i -lt "$REPS" ]; do
	one_scan "$state_hash" >>ms.hash
	cat rss.out >>rss.hash
	one_scan "$state_none" >>ms.none
	cat rss.out >>rss.none
	i=$((i + 1))
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mh=$(median ms.hash)
mn=$(median ms.none)
rh=$(($(sort -n rss.hash | tail -n 1) / 1024))
rn=$(($(sort -n rss.none | tail -n 1) / 1024))
ratio=$(awk -v a="$mh" -v b="$mn" 'BEGIN { printf "%.2fx", a / b }')
row "scan 1 small file, no hash lists (median of $REPS)" "$mn ms" "" "$rn MiB"
row "scan 1 small file, $HASHES hashes (median of $REPS)" "$mh ms" "$ratio" "$rh MiB"
load=$(VIGIL_STATE_DIR=$state_hash "$V" --json sigdb info | jq ".load_ms * 10 | round / 10")
row "load rules + $HASHES hashes (sigdb info)" "${load} ms" "" ""

{
	echo "# Signature database benchmark"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r); vigil $("$V" --version | cut -d' ' -f2);"
	echo "load average (1, 5, 15 min) at the start $load_start, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "(the machine is shared: compare rows of one run, not runs)."
	echo "corpus: $files files, $((bytes / 1048576)) MiB (400 binaries from /usr/bin, 4,000 small text files)."
	echo "The one-small-file rows alternate a state folder holding $HASHES SHA-256 hashes with one"
	echo "holding only the embedded rules, $REPS runs each after a warm-up; the rate column of the"
	echo "second is its ratio to the first. The hash lists are mapped from hashes-<digest>.vhdb"
	echo "after its SHA-256 is checked against the store's record."
	echo
	echo "| what | wall | rate | peak RSS |"
	echo "|---|---:|---:|---:|"
	printf '%s' "$rows"
} >"$here/RESULTS-sigdb.md"
echo "written to bench/RESULTS-sigdb.md"
