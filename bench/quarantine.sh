#!/usr/bin/env bash
# bench/quarantine.sh — quarantine and restore throughput, with peak RSS.
#
#   bench/quarantine.sh [VIGIL] [BIG_MiB] [SMALL_COUNT]      (defaults: build/vigil 1024 10000)
#
# One core's worth of work per command (the vault is sequential). Writes a table to stdout
# and to bench/RESULTS-quarantine.md. Not a test: nothing here fails on a slow machine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
V=${1:-$here/../build/vigil}
BIG=${2:-1024}
SMALL=${3:-10000}
V=$(cd "$(dirname "$V")" && pwd)/$(basename "$V")
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is needed (make deps)"; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-qbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export VIGIL_STATE_DIR="$work/state"

# run NAME BYTES cmd... : time it, print one row
rows=""
run() {
	local name=$1 bytes=$2
	shift 2
	/usr/bin/time -f "%e %M" -o t.out "$@" >/dev/null
	read -r wall rss <t.out
	mbs=$(awk -v b="$bytes" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? b / w / 1e6 : 0) }')
	row=$(printf '| %-36s | %8.2f s | %8s MB/s | %6d MiB |' "$name" "$wall" "$mbs" $((rss / 1024)))
	echo "$row"
	rows="$rows$row"$'\n'
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
sync

echo "| what | wall | throughput | peak RSS |"
echo "|---|---:|---:|---:|"
run "quarantine add, one ${BIG} MiB file" $((BIG * 1048576)) "$V" -q quarantine add big/sample.bin
run "quarantine restore, one ${BIG} MiB file" $((BIG * 1048576)) "$V" -q quarantine restore 1
test "$(sha256sum big/sample.bin | cut -d' ' -f1)" = "$sha" || { echo "bench: restore differs"; exit 1; }
run "quarantine add, $SMALL small files" "$small_bytes" "$V" -q quarantine add small/*
ids=$("$V" --json quarantine list | jq -r '.items[].id')
# shellcheck disable=SC2086
run "quarantine restore, $SMALL small files" "$small_bytes" "$V" -q quarantine restore $ids
test "$(ls small | wc -l)" -eq "$SMALL" || { echo "bench: small files missing after restore"; exit 1; }

{
	echo "# Quarantine benchmark"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r); vigil $("$V" --version | cut -d' ' -f2)."
	echo "Target (issue 3): at least 300 MB/s each way for the large file on one core."
	echo
	echo "| what | wall | throughput | peak RSS |"
	echo "|---|---:|---:|---:|"
	printf '%s' "$rows"
} >"$here/RESULTS-quarantine.md"
echo "written to bench/RESULTS-quarantine.md"
