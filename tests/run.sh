#!/usr/bin/env bash
# Runs every test: the cmocka unit binaries and the end-to-end scripts against build/vigil,
# the same two again against the sanitizer build when VIGIL_SAN is set (make check does),
# then each libFuzzer target for FUZZ_SECONDS (default 15) after replaying its regression
# inputs. Ends with one line "N passed, N failed" (every suite's totals added up) and exits
# non-zero when anything failed.
#   VIGIL=/abs/build/vigil UNIT_BINS="build/tests/test_core ..." \
#   [VIGIL_SAN=/abs/build/vigil-san UNIT_BINS_SAN="build/tests-san/test_core ..."] tests/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0 skipped=0

# add_totals LABEL FILE: adds the "LABEL totals: P passed, F failed, S skipped" line of FILE
add_totals() {
	local line
	line=$(grep -E "^$1 totals: " "$2" | tail -n1)
	if [ -z "$line" ]; then
		echo "$1: the runner printed no totals"
		failed=$((failed + 1))
		return
	fi
	set -- $line
	passed=$((passed + $3)) failed=$((failed + $5)) skipped=$((skipped + $7))
}

# unit_outputs UNIT_BINS: runs the unit binaries two at a time (each has its own temporary
# folders), leaving each one's output in $udir/N.out and its exit code in $udir/N.rc
unit_outputs() {
	local bin i=0 running=0
	for bin in $1; do
		if [ "$running" -ge 2 ]; then
			wait -n
			running=$((running - 1))
		fi
		i=$((i + 1))
		("$bin" >"$udir/$i.out" 2>&1; echo $? >"$udir/$i.rc") &
		running=$((running + 1))
	done
	wait
}

# suite VIGIL UNIT_BINS: the unit binaries, then the end-to-end scripts against VIGIL
suite() {
	local bin out rc p f e2e_out i=0 udir
	udir=$(mktemp -d)
	unit_outputs "$2"
	for bin in $2; do
		i=$((i + 1))
		out=$(cat "$udir/$i.out")
		rc=$(cat "$udir/$i.rc" 2>/dev/null)
		rc=${rc:-1}
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
	rm -rf "$udir"
	e2e_out=$(mktemp)
	VIGIL=$1 "$here/e2e/run.sh" | tee "$e2e_out"
	add_totals e2e "$e2e_out"
	rm -f "$e2e_out"
}

echo "== build/vigil"
suite "${VIGIL:?VIGIL names the binary under test}" "${UNIT_BINS:-}"
if [ -n "${VIGIL_SAN:-}" ]; then
	echo "== under AddressSanitizer and UndefinedBehaviorSanitizer: $VIGIL_SAN"
	suite "$VIGIL_SAN" "${UNIT_BINS_SAN:-}"
fi

# The libFuzzer targets (tests/fuzz/run.sh builds them, runs each FUZZ_SECONDS): one test each.
fuzz_out=$(mktemp)
FUZZ_SECONDS=${FUZZ_SECONDS:-15} "$here/fuzz/run.sh" --build | tee "$fuzz_out"
add_totals fuzz "$fuzz_out"
rm -f "$fuzz_out"
[ "$skipped" -gt 0 ] && echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
