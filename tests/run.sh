#!/usr/bin/env bash
# Runs every test: the cmocka unit binaries, the end-to-end scripts, then each libFuzzer
# target for FUZZ_SECONDS (default 15) after replaying its regression inputs.
# Ends with one line "N passed, N failed" (the three suites' totals added up) and exits
# non-zero when anything failed.
#   VIGIL=/abs/path/to/build/vigil UNIT_BINS="build/tests/test_core ..." tests/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0 skipped=0

for bin in ${UNIT_BINS:-}; do
	out=$("$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "unit: $bin exited $rc without a cmocka summary (crash?)"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f))
done

e2e_out=$(mktemp)
"$here/e2e/run.sh" | tee "$e2e_out"
line=$(grep -E '^e2e totals: ' "$e2e_out" | tail -n1)
rm -f "$e2e_out"
if [ -z "$line" ]; then
	echo "e2e: the runner printed no totals"
	failed=$((failed + 1))
else
	set -- $line
	passed=$((passed + $3)) failed=$((failed + $5)) skipped=$((skipped + $7))
fi

# The libFuzzer targets (tests/fuzz/run.sh builds them, runs each FUZZ_SECONDS): one test each.
fuzz_out=$(mktemp)
FUZZ_SECONDS=${FUZZ_SECONDS:-15} "$here/fuzz/run.sh" --build | tee "$fuzz_out"
line=$(grep -E '^fuzz totals: ' "$fuzz_out" | tail -n1)
rm -f "$fuzz_out"
if [ -z "$line" ]; then
	echo "fuzz: the runner printed no totals"
	failed=$((failed + 1))
else
	set -- $line
	passed=$((passed + $3)) failed=$((failed + $5)) skipped=$((skipped + $7))
fi
[ "$skipped" -gt 0 ] && echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
