#!/usr/bin/env bash
# Runs vigil's libFuzzer targets (build-fuzz/fuzz_*, made by `make fuzz`).
#
#   tests/fuzz/run.sh [--build] [fuzz_x ...]      default: every tests/fuzz/fuzz_*.c
#   FUZZ_SECONDS=20   seconds of fuzzing per target
#   FUZZ_JOBS=N       targets fuzzed at a time (default: the number of cores)
#
# For each target: every input in tests/fuzz/regressions/<target>/ is replayed (a crash
# found once must stay fixed), then the target fuzzes for FUZZ_SECONDS over a copy of
# tests/fuzz/corpus/<target>/ in a temporary folder (new inputs never go into the
# repository), with -rss_limit_mb=2048 -timeout=10. Prints "ok fuzz_x (N runs)", or the
# crash, leak or timeout with its report; the input that caused it is kept in
# build-fuzz/artifacts/<target>/. Ends with "fuzz totals: P passed, F failed, S skipped"
# (one test per target) and exits non-zero when any failed. Without clang or libFuzzer
# every target is skipped, not failed (make deps installs clang and libclang-rt-14-dev).
# --build runs `make fuzz` first.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bindir=$root/build-fuzz
seconds=${FUZZ_SECONDS:-20}
cc=${FUZZ_CC:-clang}
build=0
if [ "${1:-}" = --build ]; then
	build=1
	shift
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for src in "$here"/fuzz_*.c; do
		[ -e "$src" ] || continue
		t=$(basename "$src" .c)
		targets+=("$t")
	done
fi

P=0 F=0 S=0
work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fuzz-run.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

totals() {
	echo "fuzz totals: $P passed, $F failed, $S skipped"
	[ "$F" -eq 0 ]
	exit
}

skip_all() {
	for t in "${targets[@]}"; do
		echo "SKIP $t: $1"
		S=$((S + 1))
	done
	totals
}

# The toolchain: clang, and libFuzzer's runtime (libclang-rt-14-dev).
command -v "$cc" >/dev/null 2>&1 || skip_all "$cc is not installed (make deps)"
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$work/probe.c"
"$cc" -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" >"$work/probe.log" 2>&1 ||
	skip_all "$cc cannot link libFuzzer with ASan/UBSan (libclang-rt-14-dev missing?)"

if [ "$build" -eq 1 ]; then
	# a make of its own: the parent's jobserver is not passed to this script
	if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$root" -j"$(nproc 2>/dev/null || echo 2)" \
		fuzz >"$work/build.log" 2>&1; then
		tail -n 40 "$work/build.log"
		for t in "${targets[@]}"; do
			echo "FAIL $t: make fuzz failed"
			F=$((F + 1))
		done
		totals
	fi
fi

# The part of a libFuzzer log that says what went wrong.
report() {
	local log=$1 from
	from=$(grep -n -m1 -E '^==[0-9]+==ERROR|runtime error:|\*\*\* vigil fuzz invariant|^==[0-9]+== ERROR: libFuzzer|ALARM: working on the last Unit|out-of-memory|deadly signal' "$log" | cut -d: -f1)
	if [ -n "$from" ]; then
		sed -n "$((from > 3 ? from - 3 : 1)),$((from + 45))p" "$log"
	else
		tail -n 40 "$log"
	fi
}

# one_target T: its regressions replayed, then fuzzed; what it says goes to stdout, and
# "P" or "F" to $work/T.result
one_target() {
	local t=$1 bin=$bindir/$1 tw=$work/$1 regs=() rc runs found kept a last f
	mkdir -p "$tw/corpus" "$tw/tmp" "$tw/artifacts"
	if [ ! -x "$bin" ]; then
		echo "FAIL $t: $bin is missing (make fuzz)"
		echo F >"$tw.result"
		return
	fi
	# regressions first: every input that once crashed must pass
	if [ -d "$here/regressions/$t" ]; then
		while IFS= read -r -d '' f; do regs+=("$f"); done \
			< <(find "$here/regressions/$t" -type f ! -name '*.md' ! -name '.*' -print0 | sort -z)
	fi
	if [ ${#regs[@]} -gt 0 ]; then
		if ! TMPDIR=$tw/tmp timeout 600 "$bin" -rss_limit_mb=2048 -timeout=10 "${regs[@]}" \
			>"$tw/replay.log" 2>&1; then
			report "$tw/replay.log"
			last=$(sed -n 's/^Running: //p' "$tw/replay.log" | tail -n1)
			echo "FAIL $t: a regression input fails again: ${last#"$root"/}"
			echo F >"$tw.result"
			return
		fi
	fi
	if [ -d "$here/corpus/$t" ]; then
		cp -R "$here/corpus/$t/." "$tw/corpus/"
	fi
	TMPDIR=$tw/tmp timeout $((seconds + 300)) "$bin" -max_total_time="$seconds" \
		-rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$tw/artifacts/" "$tw/corpus" >"$tw/fuzz.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$tw/fuzz.log" | tail -n1)
	found=$(find "$tw/artifacts" -type f | head -n 5)
	if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
		echo "ok $t (${runs:-?} runs${regs[*]:+; ${#regs[@]} regression inputs pass})"
		echo P >"$tw.result"
		return
	fi
	report "$tw/fuzz.log"
	kept=""
	if [ -n "$found" ]; then
		mkdir -p "$bindir/artifacts/$t"
		for a in $found; do
			cp "$a" "$bindir/artifacts/$t/" && kept="$kept $bindir/artifacts/$t/$(basename "$a")"
		done
	fi
	[ "$rc" -eq 124 ] && echo "(the target did not stop: killed after $((seconds + 300))s)"
	echo "FAIL $t: exited $rc after ${runs:-?} runs;${kept:+ reproducer:$kept}"
	echo F >"$tw.result"
}

# FUZZ_JOBS targets at a time (default: the number of cores), each one core; their output
# printed in the targets' order
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
running=0
for t in "${targets[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	one_target "$t" >"$work/$t.out" 2>&1 &
	running=$((running + 1))
done
wait
for t in "${targets[@]}"; do
	cat "$work/$t.out"
	case $(cat "$work/$t.result" 2>/dev/null) in
	P) P=$((P + 1)) ;;
	*) F=$((F + 1)) ;;
	esac
done
totals
