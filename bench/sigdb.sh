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
timed "$V" -q scan custom corpus
row "scan with $HASHES hashes loaded" "${wall} s" "$(mbs "$wall")" "$rss MiB"

{
	echo "# Signature database benchmark"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r); vigil $("$V" --version | cut -d' ' -f2);"
	echo "corpus: $files files, $((bytes / 1048576)) MiB (400 binaries from /usr/bin, 4,000 small text files)."
	echo
	echo "| what | wall | rate | peak RSS |"
	echo "|---|---:|---:|---:|"
	printf '%s' "$rows"
} >"$here/RESULTS-sigdb.md"
echo "written to bench/RESULTS-sigdb.md"
