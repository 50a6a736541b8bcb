#!/usr/bin/env bash
# Runs every tests/e2e/t[0-9]*.sh in its own temporary folder and adds up their cases.
# Each script sources lib.sh and ends with test_done, which prints
# "# result: P passed, F failed, S skipped". A script that exits 77 is skipped whole (and
# counted as one skipped case).
#
# Scripts run E2E_JOBS at a time (default 2; 3 in the sanitizer pass, below). A script that
# holds something global runs alone, with nothing else running: fanotify marks or permission events (helpers/rtp_lib.sh,
# vg-gate), loop devices, mounts below paths other scripts scan, `make` in the repository,
# the system clock or a time limit that a second script on the same cores would skew. Those
# are found by what the script uses (ALONE_USES) or named in ALONE below; a new script that
# holds such a thing and is not found by ALONE_USES must be added to ALONE.
# Each script's output is kept together and printed in the scripts' order as soon as it and
# every script before it have ended; the last line is "e2e totals: P passed, F failed, S
# skipped".
#   VIGIL=/abs/build/vigil [E2E_JOBS=2] [E2E_ONLY="t1000 t4100"] tests/e2e/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
export VIGIL=${VIGIL:-$here/../../build/vigil}
jobs=${E2E_JOBS:-2}

# Alone by name, with the reason.
#   t1200  mounts, a 3 GiB sparse file, peak RSS against a limit
#   t2400  restoration windows of a few whole seconds of the wall clock
#   t7100  mounts the evidence read-only; a scan timed against a live writer
#   t7200  `make rescue` in the repository, mounts, unshare
#   t7300  `make install` in the repository (the same build folder as t7200)
#   t9100  mounts (a read-only state folder, a full disk)
#   t9400  mounts, time and memory bounds on hostile trees
#   t9500  mounts, a full disk, concurrent writers timed against each other
ALONE="t1200 t2400 t7100 t7200 t7300 t9100 t9400 t9500"
# Alone by what the script uses: fanotify (rtp_lib.sh, vg-gate), loop devices.
ALONE_USES='rtp_lib\.sh|VG_GATE|losetup|fanotify'

# The sanitizer pass (VIGIL ends in -san) leaves out scripts that only measure time or test
# packaging and exercise no code path the first pass does not (counted as skipped; listed in
# the output). E2E_SAN_ALL=1 runs them too.
#   t7200  the rescue bundle is built from build/vigil, not from the sanitizer build
#   t7300  install/uninstall/deb of build/vigil, man page, completion: not vigil-san
#   t1800  compares findings and peak memory of two engine settings over signature-base:
#          libyara's own code (not instrumented) does the work, and the bounds are RSS
#   t1710  the extractor's sandbox: the extractor is never built with the sanitizers, and
#          vigil's side of it (scanner/extractor.c) runs in t1700
#   t9720  the Ansible role: ansible-playbook's runs are the time; the vigil it calls
#          (config show, fleet push) is the code t9700 runs under the sanitizers
#   t9730  the Slurm array job: slurmctld, slurmd and the job script are the time; its scans
#          and pushes are those of t6100 and t9700
SAN_SKIP="t7200 t7300 t1800 t1710 t9720 t9730"

# What else the sanitizer pass leaves out or does fewer times (each shows in the output: a
# skipped case is counted and named, the rounds are in the case titles); set any of these to
# run it in full:
#   VIGIL_E2E_BIG_SIZE=0              t2100's 2 GiB sparse file: a memory bound, not memory safety
#   VIGIL_E2E_CRASH_ROUNDS=4          t2300: 4 add rounds killed at random instead of 32
#   VIGIL_E2E_CRASH_RESTORE_ROUNDS=2  t2300: 2 restore rounds instead of 16
#   E2E_JOBS=3                        three scripts at a time: the time bounds are scaled
#                                     and the timing cases left out
#   VIGIL_E2E_FLAT_FILES=20000        t9400: a folder of 20,000 files instead of 100,000
#   test_timing cases (lib.sh)        cases that only measure time or memory (E2E_SAN_TIMING=1)
case "$VIGIL" in
*-san)
	export VIGIL_E2E_BIG_SIZE=${VIGIL_E2E_BIG_SIZE:-0}
	export VIGIL_E2E_CRASH_ROUNDS=${VIGIL_E2E_CRASH_ROUNDS:-4}
	export VIGIL_E2E_CRASH_RESTORE_ROUNDS=${VIGIL_E2E_CRASH_RESTORE_ROUNDS:-2}
	jobs=${E2E_JOBS:-3}
	export VIGIL_E2E_FLAT_FILES=${VIGIL_E2E_FLAT_FILES:-20000}
	echo "sanitizer pass: VIGIL_E2E_BIG_SIZE=$VIGIL_E2E_BIG_SIZE VIGIL_E2E_CRASH_ROUNDS=$VIGIL_E2E_CRASH_ROUNDS" \
		"VIGIL_E2E_CRASH_RESTORE_ROUNDS=$VIGIL_E2E_CRASH_RESTORE_ROUNDS" \
		"VIGIL_E2E_FLAT_FILES=$VIGIL_E2E_FLAT_FILES; not run: $SAN_SKIP"
	;;
esac

is_alone() {
	local id=${1%%-*}
	case " $ALONE " in *" $id "*) return 0 ;; esac
	grep -qE "$ALONE_USES" "$2"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-e2e-run.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

scripts=() pool=() solo=()
for t in "$here"/t[0-9]*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t")
	id=${name%%-*}
	if [ -n "${E2E_ONLY:-}" ]; then
		case " $E2E_ONLY " in *" $id "*) ;; *) continue ;; esac
	fi
	scripts+=("$name")
	case "$VIGIL" in
	*-san)
		if [ "${E2E_SAN_ALL:-0}" != 1 ] && case " $SAN_SKIP " in *" $id "*) true ;; *) false ;; esac; then
			echo "not run under the sanitizer build (SAN_SKIP in tests/e2e/run.sh)" >"$work/$name.out"
			echo san >"$work/$name.rc"
			continue
		fi
		;;
	esac
	if is_alone "$name" "$t"; then solo+=("$name"); else pool+=("$name"); fi
done

# run NAME: the script in the background; output, exit code and seconds into $work.
run() {
	(
		start=$SECONDS
		rc=0
		bash "$here/$1" >"$work/$1.out" 2>&1 </dev/null || rc=$?
		echo $((SECONDS - start)) >"$work/$1.sec"
		echo "$rc" >"$work/$1.rc"
	) &
}

P=0 F=0 S=0 next=0
# report: prints, in order, every script from $next on that has ended.
report() {
	local name out rc res secs
	while [ "$next" -lt "${#scripts[@]}" ]; do
		name=${scripts[$next]}
		[ -e "$work/$name.rc" ] || return 0
		next=$((next + 1))
		rc=$(cat "$work/$name.rc")
		out=$work/$name.out
		secs=$(cat "$work/$name.sec" 2>/dev/null || echo 0)
		if [ "$rc" = san ]; then
			echo "SKIP $name: $(tail -n1 "$out")"
			S=$((S + 1))
			continue
		fi
		res=$(sed -n 's/^# result: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$out" | tail -n1)
		if [ "$rc" -eq 77 ]; then
			echo "SKIP $name: $(tail -n1 "$out")"
			S=$((S + 1))
			continue
		fi
		if [ -z "$res" ]; then
			tail -n 30 "$out"
			echo "FAIL $name: exited $rc before test_done"
			F=$((F + 1))
			continue
		fi
		set -- $res
		P=$((P + $1)) F=$((F + $2)) S=$((S + $3))
		if [ "$2" -gt 0 ] || [ "$rc" -ne 0 ]; then
			cat "$out"
			[ "$2" -eq 0 ] && { echo "FAIL $name: exited $rc"; F=$((F + 1)); }
		else
			grep '^skip - ' "$out"
			echo "ok   $name ($1 cases${3:+, $3 skipped}, ${secs} s)" | sed 's/, 0 skipped//'
		fi
	done
}

# The shared scripts first, E2E_JOBS at a time, then the ones that run alone. The longest
# shared ones (about 30-100 s each: the quarantine round trip and crash tests, the virtual
# disks) start first, so that none of them is left running alone at the end.
LONG="t9720 t2100 t2300 t6300 t3100 t9730 t9700 t6200 t1710 t2200 t6400 t6100"
first=() rest=()
for name in "${pool[@]}"; do
	case " $LONG " in *" ${name%%-*} "*) first+=("$name") ;; *) rest+=("$name") ;; esac
done
pool=("${first[@]}" "${rest[@]}")
running=0
for name in "${pool[@]}"; do
	while [ "$running" -ge "$jobs" ]; do
		wait -n
		running=$((running - 1))
		report
	done
	run "$name"
	running=$((running + 1))
done
wait
report
for name in "${solo[@]}"; do
	run "$name"
	wait
	report
done
report
echo "e2e totals: $P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
