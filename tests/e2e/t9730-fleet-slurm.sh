#!/usr/bin/env bash
# contrib/slurm: disk-image scans as a Slurm array job, one image per task (issue 17).
# A task run by hand with bash (outside Slurm) first; then a one-node Slurm started here as
# root, entirely inside the test folder (its own munged and key on a socket of its own, a
# slurm.conf with free ports, nothing of a system Slurm touched), which runs the array over
# three images made here (one clean, two with EICAR, names with spaces); then the same with
# each task pushing to a throwaway PostgreSQL (tests/e2e/helpers/pg.sh), when `vigil fleet`
# is built.
. "$(dirname "$0")/lib.sh"

PATH=$PATH:/usr/sbin:/sbin
for t in slurmctld slurmd munged sbatch sinfo scontrol mke2fs; do
	command -v "$t" >/dev/null || { echo "skip: $t is not installed (slurm-wlm, munge, e2fsprogs: make deps)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "skip: the private Slurm runs as root"; exit 77; }

SB=$VG_REPO/contrib/slurm/vigil-scan-images.sbatch
SUBMIT=$VG_REPO/contrib/slurm/submit.sh
export VIGIL

# --- fixtures: three images in a folder whose name has a space -------------------------------
mkimages img
L="$T/lab images"
mkdir -p "$L" clean
echo "nothing to see" >clean/notes.txt
mke2fs -q -F -t ext4 -d clean "$L/clean disk.img" 4M >/dev/null 2>&1
cp img/plain.img "$L/disk one.img"    # ext4, /eicar.com
cp img/ntfs.img "$L/ntfs 'two'.img"   # NTFS, EICAR in the stream readme.txt:hidden
printf '%s\n' "$L/clean disk.img" "$L/disk one.img" "$L/ntfs 'two'.img" >list.txt
EICAR_SHA=$(cat img/eicar.sha256)

# byhand VAR=VALUE... -- ARGS: the .sbatch run with bash as a task of job 7, outside Slurm;
# stdout and stderr to byhand.out and byhand.err
byhand() {
	local env=()
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	env SLURM_ARRAY_JOB_ID=7 VIGIL_LOCAL_DIR="$T/local" VIGIL_OUT="$T/by hand" "${env[@]}" \
		bash "$SB" "$@" >byhand.out 2>byhand.err
}
mkdir -p local

test_expect_success 'a task run by hand scans its line of the list and removes its state folder' '
	byhand SLURM_ARRAY_TASK_ID=2 -- list.txt &&
	d="$T/by hand" && jqt "$d/vigil-7_2.json" "(.threats | length) == 1 and .threats[0].sha256 == \"$EICAR_SHA\"" &&
	jqt "$d/vigil-7_2.report.json" ".scan.status == \"completed\" and (.detections | length) == 1" &&
	grep -qxF "task=2 scan=1 push=- image=$L/disk one.img" "$d/vigil-7_2.status" &&
	test ! -e local/vigil-7-2 && grep -q "threats found" byhand.out
'
test_expect_success 'VIGIL_KEEP_STATE=1 keeps the state folder (0700), which holds the scan' '
	byhand SLURM_ARRAY_TASK_ID=1 VIGIL_KEEP_STATE=1 -- list.txt &&
	grep -qxF "task=1 scan=0 push=- image=$L/clean disk.img" "$T/by hand/vigil-7_1.status" &&
	test "$(stat -c %a local/vigil-7-1)" = 700 &&
	vigil --state-dir local/vigil-7-1 --json scan list >sl.json && jqt sl.json ".scans | length == 1"
'
test_expect_success 'names are taken byte for byte: a leading dash, a backslash, a quote; IMAGES= works as well as $1' '
	cp img/plain.img "./-x \\y\" z.img" &&
	printf "%s\n" "" "-x \\y\" z.img" >odd.txt &&
	IMAGES=odd.txt byhand SLURM_ARRAY_TASK_ID=2 -- &&
	jqt "$T/by hand/vigil-7_2.json" "(.threats | length) == 1 and (.threats[0].path | contains(\"-x \\\\y\\\" z.img\"))" &&
	byhand SLURM_ARRAY_TASK_ID=1 -- odd.txt && grep -q "line 1 .* is empty" byhand.out
'
# (root writes through file modes: a file on the way, and /proc, stand for unwritable folders)
test_expect_success 'an output folder that cannot be made or written: exit 2 before the scan' '
	rc=0 && byhand SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_JOB_ID=12 VIGIL_OUT="$T/list.txt/sub" -- list.txt || rc=$? &&
	test "$rc" -eq 2 && grep -q "cannot create the output folder" byhand.err &&
	rc=0 && byhand SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_JOB_ID=12 VIGIL_OUT=/proc -- list.txt || rc=$? &&
	test "$rc" -eq 2 && grep -q "cannot write in the output folder ./proc." byhand.err &&
	test ! -e local/vigil-12-2
'
test_expect_success 'a missing image exits 2 naming it; no state folder is made' '
	printf "%s\n" "$L/gone disk.img" >missing.txt &&
	rc=0 && byhand SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_JOB_ID=8 -- missing.txt || rc=$? &&
	test "$rc" -eq 2 && grep -q "image .*gone disk.img.* (line 1 of .missing.txt.) does not exist" byhand.err &&
	test ! -e local/vigil-8-1
'
test_expect_success 'no task id, a line past the end, no list: exit 2 with the reason' '
	rc=0 && byhand -- list.txt || rc=$? && test "$rc" -eq 2 && grep -q "SLURM_ARRAY_TASK_ID is not set" byhand.err &&
	rc=0 && byhand SLURM_ARRAY_TASK_ID=9 -- list.txt || rc=$? && test "$rc" -eq 2 && grep -q "has 3 lines, no line 9" byhand.err &&
	rc=0 && byhand SLURM_ARRAY_TASK_ID=x -- list.txt || rc=$? && test "$rc" -eq 2 && grep -q "not a line number" byhand.err &&
	rc=0 && byhand SLURM_ARRAY_TASK_ID=1 -- || rc=$? && test "$rc" -eq 2 && grep -q "no list of images" byhand.err
'
test_expect_success 'VIGIL_RULES is imported into the state folder before the scan' '
	printf "rule Lab_Notes { strings: \$a = \"nothing to see\" condition: \$a }\n" >lab.yar &&
	byhand SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_JOB_ID=11 VIGIL_RULES="$T/lab.yar" -- list.txt &&
	jqt "$T/by hand/vigil-11_1.json" "[.threats[].name] == [\"Lab_Notes\"]"
'
test_expect_success 'submit.sh: no argument, an empty list, a missing list: exit 2 before sbatch' '
	rc=0 && bash "$SUBMIT" 2>err || rc=$? && test "$rc" -eq 2 && grep -q usage err &&
	: >empty.txt && rc=0 && bash "$SUBMIT" empty.txt 2>err || rc=$? && test "$rc" -eq 2 && grep -q "is empty" err &&
	rc=0 && bash "$SUBMIT" nolist.txt 2>err || rc=$? && test "$rc" -eq 2 && grep -q "cannot read the list" err
'
# a vigil whose fleet push always fails (the database unreachable), the scan real
cat >fakevigil <<EOF
#!/bin/bash
for a; do [ "\$a" = fleet ] && { echo "vigil: fleet push: cannot connect to the database" >&2; exit 2; }; done
exec "$VIGIL" "\$@"
EOF
chmod +x fakevigil
test_expect_success 'a failed push fails the task (2), keeps the result and the state folder, never shows the URL' '
	rc=0 && byhand SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_JOB_ID=9 VIGIL="$T/fakevigil" \
		VIGIL_FLEET_DB="postgresql://lab:s3cret@/fleet?host=/nowhere" -- list.txt || rc=$? &&
	test "$rc" -eq 2 && grep -q "push to the fleet database failed" byhand.err &&
	grep -q "retry .*fleet push" byhand.err && ! grep -q s3cret byhand.out byhand.err &&
	jqt "$T/by hand/vigil-9_2.json" "(.threats | length) == 1" &&
	grep -q "^task=2 scan=1 push=2 " "$T/by hand/vigil-9_2.status" &&
	vigil --state-dir local/vigil-9-2 --json scan list >sl.json && jqt sl.json ".scans | length == 1"
'
test_expect_success 'a scan that fails (vigil exit 2) fails the task and keeps the state folder' '
	head -c 1048576 /dev/zero >"$L/zeros.img" && printf "%s\n" "$L/zeros.img" >zeros.txt &&
	rc=0 && byhand SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_JOB_ID=10 -- zeros.txt || rc=$? &&
	test "$rc" -eq 2 && grep -q "scanning .*zeros.img.* failed (vigil exit 2)" byhand.err &&
	test -d local/vigil-10-1 && grep -q "^task=1 scan=2 push=- " "$T/by hand/vigil-10_1.status"
'

# --- a one-node Slurm in $T/slurm ----------------------------------------------------------
S=$T/slurm
H=$(hostname -s)
mkdir -p "$S/munge" "$S/state" "$S/spool" "$S/log"
chmod 0700 "$S/munge"
freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'; }
# stop what was started (by its pid file), then the test folder goes
slurm_stop() {
	local f p pids=()
	for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/munged.pid"; do
		p=$(cat "$f" 2>/dev/null) && [ -n "$p" ] && kill "$p" 2>/dev/null && pids+=("$p")
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
}
trap 'slurm_stop; cleanup' EXIT
slurm_logs() { tail -n 30 "$S/log/slurmctld.log" "$S/log/slurmd.log" "$S/munge/munged.log" 2>&1; }

# munged as root (--force) with its own key, socket, pid, log and seed in $S/munge
dd if=/dev/urandom of="$S/munge/munge.key" bs=1024 count=1 status=none
chmod 0400 "$S/munge/munge.key"
munged --force --socket="$S/munge/sock" --key-file="$S/munge/munge.key" \
	--pid-file="$S/munge/munged.pid" --log-file="$S/munge/munged.log" \
	--seed-file="$S/munge/munged.seed" || { cat "$S/munge/munged.log"; echo "munged did not start"; exit 1; }

cat >"$S/slurm.conf" <<EOF
ClusterName=vigil-t9730
SlurmctldHost=$H
SlurmctldPort=$(freeport)
SlurmdPort=$(freeport)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$S/munge/sock
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
NodeName=$H CPUs=2 RealMemory=512 State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$S/slurm.conf
slurmctld -i -f "$SLURM_CONF" && slurmd -f "$SLURM_CONF" || { slurm_logs; echo "slurmctld or slurmd did not start"; exit 1; }
up=0
for _ in $(seq 120); do
	[ "$(sinfo -h -N -n "$H" -o %t 2>/dev/null)" = idle ] && { up=1; break; }
	sleep 0.5
done
[ "$up" -eq 1 ] || { sinfo -N 2>&1; slurm_logs; echo "the node did not become idle within 60 s"; exit 1; }

# run_array OUTDIR [DB_URL]: submit.sh over $LIST (default list.txt), waiting for the job
# (60 s at most); sets JOB, and rc to sbatch's exit code (true only when it is ${WANT:-0})
run_array() {
	rc=0
	VIGIL_OUT=$1 VIGIL_LOCAL_DIR="$T/local" SBATCH_WAIT=1 timeout 60 bash "$SUBMIT" "${LIST:-list.txt}" ${2:+"$2"} >submit.out 2>&1 || rc=$?
	cat submit.out
	JOB=$(sed -n "s/^Submitted batch job \([0-9]*\)$/\1/p" submit.out)
	[ "$rc" -eq "${WANT:-0}" ] && [ -n "$JOB" ] || { echo "sbatch --wait exited $rc" >&2; slurm_logs >&2; return 1; }
}
has_status() { test -s "$1/vigil-${JOB}_$2.status"; }
# tasks_ok OUTDIR: every task of $JOB completed with exit 0 (scontrol keeps finished jobs for
# MinJobAge, 300 s: no accounting database needed), and wrote its status file
tasks_ok() {
	scontrol -o show job "$JOB" >jobs.txt &&
	test "$(grep -c "ArrayJobId=$JOB " jobs.txt)" -eq 3 &&
	test "$(grep -c "JobState=COMPLETED .*ExitCode=0:0" jobs.txt)" -eq 3 &&
	each_task "$1" has_status
}
# each_task OUTDIR CHECK: CHECK OUTDIR I for the tasks 1 to 3, false at the first that fails
each_task() { local i; for i in 1 2 3; do "$2" "$1" "$i" || { echo "task $i: $2 failed" >&2; return 1; }; done; }
reports_ok() { jqt "$1/vigil-${JOB}_$2.report.json" '.scan.status == "completed" and .scan.threads == 1' && grep -q "task $2 on $H" "$1/vigil-${JOB}_$2.out"; }
pushed() { jqt "$1/vigil-${JOB}_$2.push.json" '.sent.scans == 1' && grep -q "^task=$2 scan=[01] push=0 " "$1/vigil-${JOB}_$2.status"; }
# threats OUTDIR TASK: the number of threats in that task's JSON result
threats() { jq ".threats | length" "$1/vigil-${JOB}_$2.json"; }

test_expect_success 'a one-node Slurm runs the array: one task per image, each ends 0, one result per image' '
	O="$T/out one" && run_array "$O" && tasks_ok "$O" &&
	grep -qxF "task=1 scan=0 push=- image=$L/clean disk.img" "$O/vigil-${JOB}_1.status" &&
	grep -qxF "task=2 scan=1 push=- image=$L/disk one.img" "$O/vigil-${JOB}_2.status" &&
	grep -qxF "task=3 scan=1 push=- image=$L/ntfs '"'"'two'"'"'.img" "$O/vigil-${JOB}_3.status" &&
	test "$(threats "$O" 1)" -eq 0 && test "$(threats "$O" 2)" -eq 1 && test "$(threats "$O" 3)" -eq 1 &&
	jqt "$O/vigil-${JOB}_3.json" ".threats[0].path | endswith(\"ntfs '"'"'two'"'"'.img:p0:/readme.txt:hidden\")" &&
	each_task "$O" reports_ok &&
	test -z "$(ls local | grep "^vigil-$JOB-")"
'
test_expect_success 'a task that fails is FAILED with exit code 2, the others not; sbatch --wait exits 2' '
	printf "%s\n" "$L/disk one.img" "$L/no such disk.img" >partly.txt &&
	O="$T/out partly" && LIST=partly.txt WANT=2 run_array "$O" &&
	scontrol -o show job "$JOB" >jobs.txt &&
	grep -q "ArrayTaskId=1 .*JobState=COMPLETED .*ExitCode=0:0" jobs.txt &&
	grep -q "ArrayTaskId=2 .*JobState=FAILED .*ExitCode=2:0" jobs.txt &&
	grep -q "no such disk.img.* (line 2 of .*) does not exist on $H" "$O/vigil-${JOB}_2.out" &&
	test "$(threats "$O" 1)" -eq 1 && test ! -e "$O/vigil-${JOB}_2.json"
'

if "$VIGIL" help fleet >/dev/null 2>&1; then
	. "$VG_REPO/tests/e2e/helpers/pg.sh"
	# (from /: runuser postgres cannot enter $T, mode 0700)
	cd / && pg_start && cd "$T" || exit 1
	# pg.sh set its own exit trap: Slurm goes first, then PostgreSQL, then the folder
	trap 'slurm_stop; runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1; rm -rf "$PG_DIR"; cleanup' EXIT
	test_expect_success 'each task pushes its scan to the fleet database: the findings of the images are there' '
		vigil -q fleet init --db "$FLEET_ADMIN" && (cd / && pg_host_role lab) &&
		O="$T/out fleet" && run_array "$O" "$(pg_url lab lab-pw)" && tasks_ok "$O" &&
		each_task "$O" pushed &&
		vigil --json fleet threats --db "$FLEET_ADMIN" >ft.json &&
		jqt ft.json "(.threats | length) == 2 and all(.threats[]; .sha256 == \"$EICAR_SHA\" and .name == \"EICAR_Test_File\" and .hostname != null)" &&
		jqt ft.json "[.threats[].path] | any(contains(\"disk one.img\")) and any(contains(\"ntfs '"'"'two'"'"'.img\"))" &&
		jqt ft.json "[.threats[].machine_guid] | unique | length == 2" &&
		jqt "$O/vigil-${JOB}_1.push.json" ".sent.threats == 0" && jqt "$O/vigil-${JOB}_2.push.json" ".sent.threats == 1" &&
		test -z "$(ls local | grep "^vigil-$JOB-")"
	'
else
	test_skip 'each task pushes its scan to the fleet database' 'fleet push not built yet'
fi
test_done
