#!/usr/bin/env bash
# Runs every tests/e2e/t[0-9]*.sh in its own temporary folder and adds up their cases.
# Each script sources lib.sh and ends with test_done, which prints
# "# result: P passed, F failed, S skipped". A script that exits 77 is skipped whole.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export VIGIL=${VIGIL:-$here/../../build/vigil}
P=0 F=0 S=0
for t in "$here"/t[0-9]*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t")
	out=$(bash "$t" 2>&1)
	rc=$?
	res=$(printf '%s\n' "$out" | sed -n 's/^# result: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' | tail -n1)
	if [ "$rc" -eq 77 ]; then
		echo "SKIP $name: $(printf '%s\n' "$out" | tail -n1)"
		S=$((S + 1))
		continue
	fi
	if [ -z "$res" ]; then
		printf '%s\n' "$out" | tail -n 30
		echo "FAIL $name: exited $rc before test_done"
		F=$((F + 1))
		continue
	fi
	set -- $res
	P=$((P + $1)) F=$((F + $2)) S=$((S + $3))
	if [ "$2" -gt 0 ] || [ "$rc" -ne 0 ]; then
		printf '%s\n' "$out"
		[ "$2" -eq 0 ] && { echo "FAIL $name: exited $rc"; F=$((F + 1)); }
	else
		echo "ok   $name ($1 cases)"
	fi
done
echo "e2e totals: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
