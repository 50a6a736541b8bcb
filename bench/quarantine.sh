#!/usr/bin/env bash
# bench/quarantine.sh — quarantine and restore throughput, with peak RSS, against a durable
# copy of the same file.
#
#   bench/quarantine.sh [VIGIL] [BIG_MiB] [SMALL_COUNT] [ROUNDS]   (defaults: build/vigil 512 10000 3)
#
# The large file is moved in and out ROUNDS times, each round also timing
# `dd if=big/sample.bin of=copy bs=1M conv=fsync` (a durable copy on the same file system),
# alternately, so that a load that comes and goes weighs on both; the table gives medians and
# each vigil row as a ratio to the median dd. Writes a table to stdout and to
# bench/RESULTS-quarantine.md. Not a test: nothing here fails on a slow machine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
V=${1:-$here/../build/vigil}
BIG=${2:-512}
SMALL=${3:-10000}
ROUNDS=${4:-3}
V=$(cd "$(dirname "$V")" && pwd)/$(basename "$V")
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is needed (make deps)"; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-qbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export VIGIL_STATE_DIR="$work/state"
load=$(cut -d' ' -f1-3 /proc/loadavg)

# timed OUT cmd...: run cmd (stdout to OUT), leaving "wall rss_kib" in t.out
timed() {
	local out=$1
	shift
	/usr/bin/time -f "%e %M" -o t.out "$@" >"$out"
}
# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

rows=""
# row NAME BYTES WALL RSS_KIB [RATIO]: print one table row
row() {
	local mbs r
	mbs=$(awk -v b="$2" -v w="$3" 'BEGIN { printf "%.0f", (w > 0 ? b / w / 1e6 : 0) }')
	r=${5:-}
	r=${r:+${r}x}
	r=$(printf '| %-46s | %8.2f s | %8s MB/s | %6d MiB | %6s |' "$1" "$3" "$mbs" $(($4 / 1024)) "$r")
	echo "$r"
	rows="$rows$r"$'\n'
}

mkdir -p big small
head -c $((BIG * 1048576)) /dev/urandom >big/sample.bin
sha=$(sha256sum big/sample.bin | cut -d' ' -f1)
i=0
while [ $i -lt "$SMALL" ]; do
	head -c $((1024 + (i * 7919) % 7168)) /dev/urandom >small/f$i
	i=$((i + 1))
done
small_bytes=$(du -sb small | cut -f1)
"$V" -q quarantine list >/dev/null # the key and the vault file exist from here on
sync

: >dd.t
: >add.t
: >restore.t
rss_dd=0 rss_add=0 rss_restore=0
for r in $(seq 1 "$ROUNDS"); do
	timed /dev/null dd if=big/sample.bin of=copy bs=1M conv=fsync status=none
	read -r wall rss <t.out
	echo "$wall" >>dd.t
	[ "$rss" -gt "$rss_dd" ] && rss_dd=$rss
	rm -f copy
	sync
	timed add.json "$V" --json quarantine add big/sample.bin
	read -r wall rss <t.out
	echo "$wall" >>add.t
	[ "$rss" -gt "$rss_add" ] && rss_add=$rss
	id=$(jq '.items[0].id' add.json)
	sync
	timed /dev/null "$V" -q quarantine restore "$id"
	read -r wall rss <t.out
	echo "$wall" >>restore.t
	[ "$rss" -gt "$rss_restore" ] && rss_restore=$rss
	test "$(sha256sum big/sample.bin | cut -d' ' -f1)" = "$sha" || { echo "bench: restore differs"; exit 1; }
	echo "round $r: dd $(tail -n 1 dd.t) s, add $(tail -n 1 add.t) s, restore $(tail -n 1 restore.t) s" >&2
	sync
done
dd_s=$(median <dd.t)
add_s=$(median <add.t)
restore_s=$(median <restore.t)
ratio() { awk -v a="$1" -v b="$dd_s" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "| what | wall | throughput | peak RSS | vs dd |"
echo "|---|---:|---:|---:|---:|"
row "durable copy: dd bs=1M conv=fsync, ${BIG} MiB" $((BIG * 1048576)) "$dd_s" "$rss_dd" "1.00"
row "quarantine add, one ${BIG} MiB file" $((BIG * 1048576)) "$add_s" "$rss_add" "$(ratio "$add_s")"
row "quarantine restore, one ${BIG} MiB file" $((BIG * 1048576)) "$restore_s" "$rss_restore" \
	"$(ratio "$restore_s")"

timed /dev/null "$V" -q quarantine add small/*
read -r wall rss <t.out
row "quarantine add, $SMALL small files" "$small_bytes" "$wall" "$rss"
ids=$("$V" --json quarantine list | jq -r '.items[].id')
# shellcheck disable=SC2086
timed /dev/null "$V" -q quarantine restore $ids
read -r wall rss <t.out
row "quarantine restore, $SMALL small files" "$small_bytes" "$wall" "$rss"
test "$(ls small | wc -l)" -eq "$SMALL" || { echo "bench: small files missing after restore"; exit 1; }

{
	echo "# Quarantine benchmark"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r); vigil $("$V" --version | cut -d' ' -f2);" \
		"load average before the run: $load."
	echo "Target (issue 16): add and restore of the large file each at most 2x a durable copy"
	echo "of it (dd conv=fsync) on the same machine, in the same run. Rows of the large file are"
	echo "medians of $ROUNDS rounds, dd and vigil taking turns: $(paste -sd' ' dd.t | sed 's/ /, /g') s"
	echo "(dd); $(paste -sd' ' add.t | sed 's/ /, /g') s (add); $(paste -sd' ' restore.t | sed 's/ /, /g') s (restore)."
	echo "The small-file rows are one run each."
	echo
	echo "| what | wall | throughput | peak RSS | vs dd |"
	echo "|---|---:|---:|---:|---:|"
	printf '%s' "$rows"
} >"$here/RESULTS-quarantine.md"
echo "written to bench/RESULTS-quarantine.md"
