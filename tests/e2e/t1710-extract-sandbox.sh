#!/usr/bin/env bash
# The deep-container extractor (vigil-extract, libclamav) as a process: it sandboxes itself
# (--probe: the network is blocked); one killed mid-object or stuck past
# antivirus_engine.scan_timeout is an "extractor ..." error on that object and the scan goes
# on with a new one; when vigil is killed the extractor goes too and leaves no ClamAV
# temporary file; nothing is ever written under the scanned folder (inotify); an
# unprivileged user's scan still opens deep containers; health reports it.
# The stall hook: VIGIL_EXTRACT_TEST_ARGS="--test-stall-ms MS" makes every extractor wait
# that long after receiving each object, so a test can find it (a descendant of its own
# vigil: other scripts may run extractors at the same time) and kill it mid-object.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil reports resolved paths
# the extractor under test is the one beside $VIGIL, with no test hook unless a case sets one
unset VIGIL_EXTRACT VIGIL_EXTRACT_TEST_ARGS

CTF=/usr/share/clamav-testfiles
[ -e "$CTF/clam.exe" ] || { echo "skip: needs clamav-testfiles (make deps)"; exit 77; }
VX=$(dirname "$VIGIL")/vigil-extract
[ -x "$VX" ] || { echo "skip: no vigil-extract beside $VIGIL"; exit 77; }

HN=Vigil.Deep.ClamExe
printf '%s:%s:%s\n' "$(sha "$CTF/clam.exe")" "$(stat -c %s "$CTF/clam.exe")" "$HN" >clam.hsb
chmod 644 clam.hsb
vigil sigdb import clam.hsb >/dev/null || { echo "cannot import the hash list"; exit 1; }

# Two deep files: a mail (the attachment) and a UPX-packed program (the unpacked layer).
mkdir -p two
cp "$CTF/clam.mail" "$CTF/clam-upx.exe" two/

# vx_below PID: the vigil-extract processes below PID (its descendants), one pid a line.
vx_below() {
	ps -e -o pid=,ppid=,comm=,args= | awk -v root="$1" '
		{ pid = $1; par[pid] = $2; c = $3; $1 = ""; $2 = ""; $3 = ""; args[pid] = c " " $0 }
		END {
			for (p in par) {
				if (args[p] !~ /vigil-extract/) continue
				q = par[p]; n = 0
				while (q != root && (q in par) && q > 1 && n++ < 64) q = par[q]
				if (q == root) print p
			}
		}'
}
# wait_vx PID SECONDS: the first vigil-extract below PID, waiting up to SECONDS for one.
wait_vx() {
	local i x
	for i in $(seq $(($2 * 10))); do
		x=$(vx_below "$1" | head -n 1)
		[ -n "$x" ] && { echo "$x"; return 0; }
		alive "$1" || { echo "no vigil-extract seen below $1 before it ended" >&2; return 1; }
		sleep 0.1
	done
	echo "no vigil-extract below $1 after $2 s" >&2
	return 1
}
# alive PID: the process exists and is not a zombie.
alive() { [ -e "/proc/$1" ] && ! awk '{ exit !($3 == "Z") }' "/proc/$1/stat" 2>/dev/null; }

# --- the sandbox ------------------------------------------------------------------------------

test_expect_success 'vigil-extract --probe: every sandbox step took hold (exit 0), the network is blocked' '
	rc=0; timeout 30 "$VX" --probe >probe.txt 2>probe.err || rc=$?
	cat probe.txt probe.err
	test "$rc" -eq 0 &&
	grep -q "^network: blocked" probe.txt
'

test_expect_success 'health: deep_containers enabled and available, with the libclamav version and the sandbox' '
	vigil --json health >h.json &&
	jq -c .deep_containers h.json &&
	jqt h.json ".deep_containers.enabled == true and .deep_containers.available == true" &&
	jqt h.json ".deep_containers.libclamav | test(\"^1\\\\.4\\\\.[0-9]+\")" &&
	jqt h.json ".deep_containers.sandbox | length > 0" &&
	jqt h.json ".deep_containers.reason == null"
'

test_expect_success 'control: both deep files give up clam.exe (no stall, no kill)' '
	expect_exit 1 vigil --json scan custom two >ctl.json &&
	jqt ctl.json "[.threats[] | select(.name == \"$HN\") | .path] | unique == [\"$T/two/clam-upx.exe\", \"$T/two/clam.mail\"]" &&
	jqt ctl.json ".problems == []"
'

# --- a failing extractor ------------------------------------------------------------------------

test_expect_success 'an extractor killed (SIGKILL) mid-object: "extractor crashed: SIGKILL" on that file, the other still found' '
	start=$SECONDS
	VIGIL_EXTRACT_TEST_ARGS="--test-stall-ms 8000" timeout 120 "$VIGIL" --json scan custom --threads 1 two >kill.json 2>kill.err &
	tp=$!
	x=$(wait_vx "$tp" 30) || { kill "$tp" 2>/dev/null; exit 1; }
	sleep 1
	echo "killing vigil-extract $x: $(ps -o args= -p "$x")"
	kill -9 "$x" || { kill "$tp" 2>/dev/null; exit 1; }
	rc=0; wait "$tp" || rc=$?
	echo "vigil exited $rc after $((SECONDS - start)) s"
	cat kill.err
	test "$rc" -eq 1 &&
	jqt kill.json ".status == \"completed\"" &&
	jqt kill.json "[.problems[] | select(.kind == \"error\" and (.reason | startswith(\"extractor crashed: SIGKILL\")))] | length == 1" &&
	crashed=$(jq -r ".problems[] | select(.kind == \"error\" and (.reason | startswith(\"extractor \"))) | .path" kill.json) &&
	echo "crashed on: $crashed" &&
	case $crashed in "$T/two/clam.mail") other=$T/two/clam-upx.exe ;; "$T/two/clam-upx.exe") other=$T/two/clam.mail ;; *) false ;; esac &&
	jqt kill.json "[.threats[] | select(.name == \"$HN\" and .path == \"$other\")] | length >= 1" &&
	jqt kill.json ".errors >= 1"
'

test_expect_success 'scan_timeout 1 (config set) and a 5 s stall: "extractor timed out" on each deep file, done < 30 s' '
	vigil --state-dir tostate sigdb import clam.hsb >/dev/null || exit 1
	vigil --state-dir tostate config set antivirus_engine.scan_timeout 1 || exit 1
	start=$(date +%s)
	rc=0; VIGIL_EXTRACT_TEST_ARGS="--test-stall-ms 5000" timeout 60 "$VIGIL" --state-dir tostate --json scan custom --threads 1 two >to.json || rc=$?
	took=$(($(date +%s) - start))
	echo "vigil exited $rc after $took s"
	test "$rc" -eq 0 &&
	test "$took" -lt $((30 * SAN_FACTOR)) &&
	jqt to.json ".status == \"completed\" and .threats == []" &&
	for f in clam.mail clam-upx.exe; do
		jqt to.json "[.problems[] | select(.path == \"$T/two/$f\" and .kind == \"error\" and (.reason | test(\"extractor timed out\")))] | length >= 1" || exit 1
	done
'

test_expect_success 'the next scan after a failure opens deep files again (no extractor state is kept)' '
	expect_exit 1 vigil --json scan custom two >again.json &&
	jqt again.json "[.threats[] | select(.name == \"$HN\") | .path] | unique | length == 2"
'

# --- vigil killed ---------------------------------------------------------------------------------

touch marker
test_expect_success 'vigil killed (SIGKILL) while an extractor works: the extractor ends too, no clamav-* temp file left' '
	VIGIL_EXTRACT_TEST_ARGS="--test-stall-ms 20000" "$VIGIL" --json scan custom --threads 1 two >vk.json 2>vk.err &
	vp=$!
	x=$(wait_vx "$vp" 30) || { kill -9 "$vp" 2>/dev/null; exit 1; }
	sleep 1
	all=$(vx_below "$vp" | tr "\n" " ")
	echo "extractors of vigil $vp: $all"
	kill -9 "$vp"
	wait "$vp" || true
	for i in $(seq 50); do
		still=
		for p in $all; do alive "$p" && still="$still $p"; done
		[ -z "$still" ] && break
		sleep 0.1
	done
	echo "still running 5 s after vigil was killed: ${still:-none}"
	test -z "$still" &&
	left=$(find /tmp /var/tmp /dev/shm "$VIGIL_STATE_DIR" -xdev -maxdepth 4 -newer marker -name "clamav-*" 2>/dev/null | head) &&
	echo "clamav-* left: ${left:-none}" &&
	test -z "$left"
'

test_expect_success 'SIGTERM while an extractor is stalled: vigil ends within 10 s (interrupted), the extractor with it' '
	start=$SECONDS
	VIGIL_EXTRACT_TEST_ARGS="--test-stall-ms 60000" "$VIGIL" --json scan custom --threads 1 two >term.json 2>term.err &
	vp=$!
	x=$(wait_vx "$vp" 30) || { kill -9 "$vp" 2>/dev/null; exit 1; }
	sleep 1
	t0=$SECONDS
	kill -TERM "$vp"
	for i in $(seq $((100 * SAN_FACTOR + 50))); do alive "$vp" || break; sleep 0.1; done
	took=$((SECONDS - t0))
	kill -9 "$vp" 2>/dev/null || true
	rc=0; wait "$vp" || rc=$?
	echo "vigil exited $rc $took s after SIGTERM"
	cat term.err
	for i in $(seq 50); do alive "$x" || break; sleep 0.1; done
	test "$took" -le $((10 * SAN_FACTOR)) &&
	! alive "$x" &&
	jqt term.json ".status == \"interrupted\""
'

test_expect_success 'no clamav-* temp file is left by the scans of this script either' '
	left=$(find /tmp /var/tmp /dev/shm "$VIGIL_STATE_DIR" "$T" -xdev -maxdepth 4 -name "clamav-*" -newer clam.hsb 2>/dev/null | head) &&
	echo "clamav-* left: ${left:-none}" &&
	test -z "$left"
'

# --- nothing written under the scanned folder -------------------------------------------------------

mkdir -p watched
cp "$CTF"/* watched/
find watched -type f -exec sha256sum {} + | sort >watched.before
stat -c '%n %Y %Z' watched/* | sort >watched.times
if command -v inotifywait >/dev/null; then
	test_expect_success 'a deep scan of the test set writes nothing under it (inotify: no create, modify, move, delete; a control file is seen)' '
		inotifywait -m -r -e create,modify,close_write,moved_to,moved_from,delete --format "%w%f %e" \
			-o events.txt watched 2>iw.err &
		iw=$!
		for i in $(seq 100); do grep -q "Watches established" iw.err && break; sleep 0.1; done
		grep -q "Watches established" iw.err || { kill "$iw"; exit 1; }
		rc=0; vigil --json scan custom watched >w.json || rc=$?
		sleep 0.5
		: >watched/zz-control
		sleep 0.5
		kill "$iw"
		wait "$iw" || true
		rm -f watched/zz-control
		echo "events: $(head -c 2000 events.txt)"
		test "$rc" -eq 1 &&
		grep -q "zz-control CREATE" events.txt &&
		test "$(grep -vc "zz-control" events.txt)" -eq 0 &&
		jqt w.json "[.threats[] | select(.path == \"$T/watched/clam-upx.exe\" and .name == \"$HN\")] | length >= 1" &&
		find watched -type f -exec sha256sum {} + | sort | diff watched.before - &&
		stat -c "%n %Y %Z" watched/* | sort | diff watched.times - &&
		test "$(ls -A watched | wc -l)" -eq "$(wc -l <watched.before)"
	'
else
	test_skip 'a deep scan of the test set writes nothing under it (inotify)' 'inotifywait missing: make deps (inotify-tools)'
fi

# --- an unprivileged user -------------------------------------------------------------------------

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && attacker_user; then
	chmod 755 "$T"
	mkdir -p up
	cp two/* up/
	chmod 755 up && chmod 644 up/*
	install -d -m 700 -o vigil-attacker -g vigil-attacker ustate
	test_expect_success 'an unprivileged user: the deep files still give up clam.exe; health says available' '
		as_attacker "$VIGIL" --state-dir "$T/ustate/s" sigdb import "$T/clam.hsb" >/dev/null || exit 1
		rc=0; as_attacker "$VIGIL" --state-dir "$T/ustate/s" --json scan custom "$T/up" >u.json 2>u.err || rc=$?
		cat u.err
		as_attacker "$VIGIL" --state-dir "$T/ustate/s" --json health >uh.json
		jq -c .deep_containers uh.json
		test "$rc" -eq 1 &&
		jqt u.json "[.threats[] | select(.name == \"$HN\") | .path] | unique == [\"$T/up/clam-upx.exe\", \"$T/up/clam.mail\"]" &&
		jqt u.json ".problems == []" &&
		jqt uh.json ".deep_containers.available == true"
	'
	# Without namespaces (--no-userns, what a host without user namespaces gives) ClamAV's
	# files go to <state>/extract/<extractor pid>: removed when the extractor ends, and the
	# folder of one killed with vigil removed by the next scan.
	test_expect_success 'an unprivileged user without namespaces: found all the same; <state>/extract left empty' '
		rc=0; VIGIL_EXTRACT_TEST_ARGS="--no-userns" as_attacker "$VIGIL" --state-dir "$T/ustate/s" --json scan custom "$T/up" >nu.json 2>nu.err || rc=$?
		cat nu.err
		ls -la "$T/ustate/s/extract"
		test "$rc" -eq 1 &&
		jqt nu.json "[.threats[] | select(.name == \"$HN\") | .path] | unique == [\"$T/up/clam-upx.exe\", \"$T/up/clam.mail\"]" &&
		jqt nu.json ".problems == []" &&
		test -d "$T/ustate/s/extract" &&
		test -z "$(ls -A "$T/ustate/s/extract")"
	'
	test_expect_success 'an unprivileged user without namespaces: vigil SIGKILLed mid-object; the next scan sweeps <state>/extract/<pid>' '
		# setpriv itself (not the as_attacker function): $! is then vigil, which setpriv becomes
		VIGIL_EXTRACT_TEST_ARGS="--no-userns --test-stall-ms 20000" setpriv --reuid="$ATTACKER_UID" --regid="$ATTACKER_GID" --clear-groups -- \
			"$VIGIL" --state-dir "$T/ustate/s" --json scan custom --threads 1 "$T/up" >nk.json 2>nk.err &
		vp=$!
		x=$(wait_vx "$vp" 30) || { kill -9 "$vp" 2>/dev/null; exit 1; }
		sleep 1
		ls -la "$T/ustate/s/extract"
		kill -9 "$vp"
		wait "$vp" || true
		# gone, not only a zombie: the sweep keeps the folder of a pid that still exists
		for i in $(seq 100); do [ -e "/proc/$x" ] || break; sleep 0.1; done
		left=$(ls -A "$T/ustate/s/extract")
		echo "after the kill: ${left:-nothing}"
		rc=0; VIGIL_EXTRACT_TEST_ARGS="--no-userns" as_attacker "$VIGIL" --state-dir "$T/ustate/s" --json scan custom "$T/up" >ns.json 2>&1 || rc=$?
		again=$(ls -A "$T/ustate/s/extract")
		echo "after the next scan: ${again:-nothing}"
		! alive "$x" &&
		test "$rc" -eq 1 &&
		test -z "$again" &&
		test -z "$(find "$T/ustate" -name "clamav-*")"
	'
	test_expect_success 'an unprivileged user: vigil-extract --probe still blocks the network' '
		rc=0; as_attacker timeout 30 "$VX" --probe >uprobe.txt 2>uprobe.err || rc=$?
		cat uprobe.txt uprobe.err
		echo "exit $rc"
		grep -q "^network: blocked" uprobe.txt
	'
else
	test_skip 'an unprivileged user: the deep files still give up clam.exe' 'needs root, setpriv and the vigil-attacker user'
fi

test_done
