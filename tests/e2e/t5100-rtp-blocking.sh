#!/usr/bin/env bash
# Real-time protection, blocking mode, on a tmpfs of its own: a detection refuses the open (and
# the exec) with EPERM and is recorded; counters, verdict cache, path and process exclusions,
# size limit, deadline, top; one instance per state folder; SIGTERM and SIGKILL leave no
# process waiting on a permission event; quarantine on detection.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/helpers/rtp_lib.sh"
T=$(pwd -P)
TRY=$here/helpers/rtp_try.py
PY=/usr/bin/python3

rtp_require
W=$T/w
rtp_mount "$W" || exit 1
mkdir -p "$W/pre" "$W/excluded" "$W/sub"

CAT=$(readlink -f "$(command -v cat)")
HEAD=$(readlink -f "$(command -v head)")
SH=$(readlink -f /proc/$$/exe)

# Files that exist before real-time protection starts: their first open is scanned.
eicar "$W/pre/e.com"
echo "clean text" >"$W/clean.txt"
vigil -q scan list >/dev/null # the store exists before anything runs concurrently
vigil config set realtime.paths "[\"$W\"]" >/dev/null
vigil exclusion add --path "$W/excluded" >/dev/null
rtp_slow_rule slow.yar && vigil -q sigdb import slow.yar >/dev/null
rtp_slow_file "$W/pre/slow.bin" 30000000

# delta A B EXPR: EXPR of status B minus EXPR of status A
delta() { echo $(($(jq "$3" "$2") - $(jq "$3" "$1"))); }

test_expect_success 'rtp status with nothing running exits 2 and says so' '
	expect_exit 2 vigil rtp status 2>err && grep -q "not running" err &&
	expect_exit 2 vigil rtp top 2>err && grep -q "not running" err
'

rtp_bg rtp run
rtp_ready
rtp_scan_id >sid.a

test_expect_success 'rtp run: status answers on rtp.sock (0600): blocking, the paths, a mark, a running realtime scan' '
	test -S "$VIGIL_STATE_DIR/rtp.sock" && test "$(stat -c %a "$VIGIL_STATE_DIR/rtp.sock")" = 600 &&
	st s.json && jqt s.json ".running == true and .mode == \"blocking\" and .paths == [\"$W\"]" &&
	jqt s.json "(.marks | index(\"$W\")) != null and .threads >= 1 and .deadline_ms == 5000" &&
	jqt s.json "(.pid | type) == \"number\" and (.sig_version | type) == \"number\" and .queued == 0" &&
	jqt s.json "all(.events.open, .events.exec, .events.close_write, .allowed, .denied, .scanned, .cache_hits,
		.deadline_expired, .too_large, .queue_full, .queue_high_water, .excluded, .outside_paths,
		.own_accesses, .errors, .threats, .overflows, .uptime_s; type == \"number\")" &&
	vigil --json scan list >l.json &&
	jqt l.json "[.scans[] | select(.type == \"realtime\" and .status == \"running\")] | length == 1" &&
	vigil rtp status >text && grep -q "running (pid $(jq .pid s.json), blocking)" text
'

test_expect_success 'a clean file opens and reads as usual' '
	test "$(cat "$W/clean.txt")" = "clean text" &&
	echo more >"$W/clean2.txt" && test "$(cat "$W/clean2.txt")" = more
'

test_expect_success 'EICAR written there is recorded within 2 s (reported, on close_write); opening it fails with EPERM' '
	st s0.json && eicar "$W/e.com" &&
	poll 2 has_threat "$W/e.com" "^reported$" &&
	expect_exit 1 cat "$W/e.com" >out 2>err && test ! -s out &&
	grep -q "^cat: .*e.com: Operation not permitted$" err &&
	expect_exit 1 "$HEAD" -c 10 "$W/e.com" 2>err && grep -q "Operation not permitted" err &&
	st s1.json && test "$(delta s0.json s1.json .denied)" -ge 2 &&
	test "$(delta s0.json s1.json .events.close_write)" -ge 1
'

test_expect_success 'a file that was there before is scanned on open: EPERM, recorded as blocked' '
	expect_exit 1 cat "$W/pre/e.com" >/dev/null 2>err && grep -q "Operation not permitted" err &&
	poll 2 has_threat "$W/pre/e.com" "^blocked$" &&
	vigil --json threat list >t.json &&
	jqt t.json "[.threats[] | select(.path == \"$W/pre/e.com\")][0] | .name == \"EICAR_Test_File\" and (.sha256 | test(\"^[0-9a-f]{64}$\"))"
'

if [ -x "$PY" ]; then
	test_expect_success 'exec of a detected file is refused with EPERM (ENOEXEC without it); a clean program runs' '
		eicar "$W/x.com" && chmod +x "$W/x.com" && cp /bin/true "$W/true" &&
		st s0.json &&
		expect_exit 1 "$PY" "$TRY" exec "$W/x.com" >out && test "$(cat out)" = EPERM &&
		"$PY" "$TRY" exec "$W/true" &&
		st s1.json && test "$(delta s0.json s1.json .events.exec)" -ge 2 &&
		test "$(delta s0.json s1.json .denied)" -ge 1
	'
else
	test_skip 'exec of a detected file is refused with EPERM' "no $PY"
fi

test_expect_success 'the counters moved: open events, allowed, denied, scanned, threats; nothing lost' '
	st s.json &&
	jqt s.json ".denied >= 3 and .allowed >= 2 and .scanned >= 4 and .threats >= 2 and .events.open >= 5" &&
	jqt s.json ".errors == 0 and .overflows == 0 and .queue_full == 0 and .deadline_expired == 0 and .queued == 0"
'

test_expect_success 'verdict cache: a clean file opened 5 times is scanned once; written again, it is scanned again' '
	echo "cache me" >"$W/c.txt" && cat "$W/c.txt" >/dev/null && st s0.json &&
	for i in 1 2 3 4 5; do cat "$W/c.txt" >/dev/null || exit 1; done &&
	st s1.json &&
	test "$(delta s0.json s1.json .cache_hits)" -ge 5 && test "$(delta s0.json s1.json .scanned)" -eq 0 &&
	echo "changed" >"$W/c.txt" && poll 2 eval "rtp_json | jq -e \".scanned > $(jq .scanned s1.json)\" >/dev/null" &&
	test "$(cat "$W/c.txt")" = changed && st s2.json &&
	cat "$W/c.txt" >/dev/null && st s3.json && test "$(delta s2.json s3.json .scanned)" -eq 0
'

test_expect_success 'a clean file that becomes EICAR is not let through by the cache' '
	echo harmless >"$W/turn.com" && cat "$W/turn.com" >/dev/null && cat "$W/turn.com" >/dev/null &&
	eicar "$W/turn.com" && expect_exit 1 cat "$W/turn.com" >/dev/null 2>err && grep -q "Operation not permitted" err
'

test_expect_success 'a stored path exclusion: EICAR under it opens, is not recorded, counts as excluded' '
	st s0.json && eicar "$W/excluded/e.com" &&
	test "$(cat "$W/excluded/e.com" | wc -c)" -eq 68 && st s1.json &&
	test "$(delta s0.json s1.json .excluded)" -ge 2 && test "$(delta s0.json s1.json .denied)" -eq 0 &&
	! has_threat "$W/excluded/e.com"
'

test_expect_success 'rtp top --by process names the opener and the writer (full executable paths)' '
	vigil --json rtp top --by process >p.json &&
	jqt p.json ".by == \"process\" and (.top | length) >= 2" &&
	jqt p.json "[.top[].key] | index(\"$CAT\") != null and index(\"$SH\") != null" &&
	jqt p.json "all(.top[]; (.scans | type) == \"number\" and .scans >= 1 and (.scan_ms | type) == \"number\")" &&
	jqt p.json "[.top[].scan_ms] == ([.top[].scan_ms] | sort | reverse)" &&
	vigil rtp top >text && grep -q "PROCESS" text && grep -qF "$CAT" text
'

test_expect_success 'rtp top --by file names the files; --limit 1 gives one; bad options exit 2' '
	vigil --json rtp top --by file --limit 100 >f.json &&
	jqt f.json ".by == \"file\" and ([.top[].key] | index(\"$W/pre/e.com\") != null and index(\"$W/c.txt\") != null)" &&
	vigil --json rtp top --by file --limit 1 >f1.json && jqt f1.json ".top | length == 1" &&
	expect_exit 2 vigil rtp top --by user 2>/dev/null && expect_exit 2 vigil rtp top --limit 0 2>/dev/null
'

test_expect_success 'a second rtp run on the same state folder exits 2 (already running); the first goes on' '
	p1=$(rtp_pid) &&
	expect_exit 2 timeout 20 "$VIGIL" rtp run 2>err && grep -q "already running" err &&
	test "$(rtp_pid)" = "$p1" && test -S "$VIGIL_STATE_DIR/rtp.sock" &&
	expect_exit 1 cat "$W/e.com" >/dev/null 2>/dev/null
'

test_expect_success 'an on-demand scan of a file real-time protection refuses still finds it (exit 1)' '
	expect_exit 1 vigil scan custom "$W/e.com" >out || { tail -n 3 out; exit 1; }
'

test_expect_success 'health while it runs: real_time_protection_running true, mode blocking' '
	vigil --json health >h.json &&
	jqt h.json ".real_time_protection_running == true and .real_time_protection_mode == \"blocking\""
'

test_expect_success 'SIGTERM with an open waiting on a scan and opens going on: all finish, rtp exits 0 within 3 s' '
	pid=$(rtp_pid) && st s0.json && rm -f stop.flag || exit 1
	( cat "$W/pre/slow.bin" | wc -c >slow.n ) &
	slow=$!
	( n=0; while [ ! -e stop.flag ] && [ $n -lt 20000 ]; do cat "$W/clean.txt" >/dev/null || exit 3; n=$((n + 1)); done ) &
	loop=$!
	o0=$(jq .events.open s0.json) && sc0=$(jq .scanned s0.json) &&
	poll 3 eval "rtp_json >s.json && jq -e \".events.open > $o0 + 20\" s.json >/dev/null" &&
	kill -TERM "$pid" && poll 3 gone "$pid" &&
	echo "scanned when stopped: $(jq .scanned s.json) (was $sc0)" && test "$(jq .scanned s.json)" -eq "$sc0" &&
	touch stop.flag && poll 5 gone "$loop" && poll 5 gone "$slow" &&
	wait "$loop" && wait "$slow" && test "$(cat slow.n)" -eq 30000021 &&
	poll 3 test -s bg.rc && test "$(cat bg.rc)" -eq 0
'

test_expect_success 'after SIGTERM: the socket is gone, the realtime scan is completed with its threats, health says not running' '
	test ! -e "$VIGIL_STATE_DIR/rtp.sock" &&
	expect_exit 2 vigil rtp status 2>/dev/null &&
	vigil --json scan list >l.json &&
	jqt l.json ".scans[] | select(.scan_id == $(cat sid.a)) | .type == \"realtime\" and .status == \"completed\" and .threats_found >= 3 and .ended_at != null" &&
	vigil --json health >h.json && jqt h.json ".real_time_protection_running == false"
'

test_expect_success 'the open let through at SIGTERM (its scan finished after the answer) is not recorded as blocked' '
	vigil --json threat list --scan "$(cat sid.a)" >t.json &&
	jqt t.json "all(.threats[] | select(.path == \"$W/pre/slow.bin\"); .action != \"blocked\")"
'

# The same, with SIGKILL: the kernel answers whatever was pending when the descriptor closes.
rtp_bg rtp run
rtp_ready

test_expect_success 'SIGKILL while an open waits on a scan: the opener is let through, nothing stays blocked' '
	pid=$(rtp_pid) && st s0.json && o0=$(jq .events.open s0.json) && sc0=$(jq .scanned s0.json) || exit 1
	( cat "$W/pre/slow.bin" | wc -c >slow.n ) &
	slow=$!
	poll 3 eval "rtp_json >s.json && jq -e \".events.open > $o0\" s.json >/dev/null" &&
	kill -KILL "$pid" && poll 3 gone "$pid" && poll 5 gone "$slow" && wait "$slow" &&
	echo "scanned before the kill: $(jq .scanned s.json) (was $sc0)" &&
	test "$(jq .scanned s.json)" -eq "$sc0" &&
	test "$(cat slow.n)" -eq 30000021 &&
	for i in 1 2 3; do cat "$W/e.com" >/dev/null || exit 1; done
'

test_expect_success 'after SIGKILL: rtp status exits 2; a new rtp run replaces the stale socket' '
	expect_exit 2 vigil rtp status 2>/dev/null &&
	rtp_bg rtp run && rtp_ready && expect_exit 1 cat "$W/e.com" >/dev/null 2>/dev/null && rtp_stop
'

# Process exclusions, the size limit and paths below a mount: watch only $W/sub.
eicar "$W/sub/p.com"
eicar "$W/sub/big.com" && printf '%40s' '' >>"$W/sub/big.com" # 108 bytes: EICAR still matches
eicar "$W/out.com"
vigil config set realtime.exclude_processes "[\"$CAT\"]" >/dev/null
vigil config set realtime.max_file_size 100 >/dev/null
rtp_bg rtp run --path "$W/sub"
rtp_ready

test_expect_success 'exclude_processes: cat (by its full path) opens EICAR; head cannot; counted as excluded' '
	st s0.json &&
	test "$(cat "$W/sub/p.com" | wc -c)" -eq 68 &&
	expect_exit 1 "$HEAD" -c 1 "$W/sub/p.com" 2>err && grep -q "Operation not permitted" err &&
	st s1.json && test "$(delta s0.json s1.json .excluded)" -ge 1 && test "$(delta s0.json s1.json .denied)" -ge 1
'

test_expect_success 'exclude_processes: the excluded process still opens the file after another was refused it' '
	expect_exit 1 "$HEAD" -c 1 "$W/sub/p.com" 2>/dev/null &&
	cat "$W/sub/p.com" >/dev/null
'

test_expect_success 'realtime.max_file_size: a larger file (EICAR + 40 spaces) opens unscanned, counted as too_large' '
	expect_exit 1 vigil -q scan custom "$W/sub/big.com" --ignore-exclusions >/dev/null &&
	st s0.json && "$HEAD" -c 5 "$W/sub/big.com" >/dev/null && st s1.json &&
	test "$(delta s0.json s1.json .too_large)" -ge 1 && test "$(delta s0.json s1.json .scanned)" -eq 0
'

test_expect_success '--path below the mount: events elsewhere on it are let through and counted as outside_paths' '
	st s0.json && "$HEAD" -c 5 "$W/out.com" >/dev/null && st s1.json &&
	test "$(delta s0.json s1.json .outside_paths)" -ge 1 &&
	jqt s1.json ".paths == [\"$W/sub\"] and (.marks | index(\"$W/sub\")) != null"
'

rtp_stop
vigil config set realtime.exclude_processes '[]' >/dev/null
vigil config set realtime.max_file_size 104857600 >/dev/null

# Paths: a mount below the watched folder (its name has a space) is marked too; a path given
# through a symbolic link protects the folder it names.
rtp_mount "$W/in ner" && eicar "$W/in ner/e.com"
ln -s "$W" "$T/link"
rtp_bg rtp run --path "$W"
rtp_ready

test_expect_success 'a mount below the path (named with a space) is marked and protected' '
	rtp_json >s.json && jqt s.json ".marks == [\"$W\", \"$W/in ner\"]" &&
	expect_exit 1 cat "$W/in ner/e.com" >/dev/null 2>err && grep -q "Operation not permitted" err
'
rtp_stop
rtp_bg rtp run --path "$T/link"
rtp_ready

test_expect_success '--path through a symbolic link to the folder: EICAR there is still refused' '
	rc=0; expect_exit 1 cat "$W/pre/e.com" >/dev/null 2>err || rc=$?
	rtp_json >s.json; jq -c "{paths, marks, outside_paths, denied}" s.json
	test "$rc" -eq 0 && grep -q "Operation not permitted" err
'
rtp_stop

test_expect_success 'rtp run: a --path that is a file, or missing, exits 2 naming the problem; bad options exit 2' '
	expect_exit 2 vigil rtp run --path "$W/clean.txt" 2>err && grep -q "not a folder" err &&
	expect_exit 2 vigil rtp run --path "$T/nope" 2>err && grep -q "No such file or directory" err &&
	expect_exit 2 vigil rtp run --bogus 2>/dev/null && expect_exit 2 vigil rtp run extra 2>/dev/null &&
	expect_exit 2 vigil rtp status extra 2>/dev/null
'

if command -v setpriv >/dev/null; then
	test_expect_success 'rtp run as an ordinary user exits 2: fanotify needs root' '
		chmod 711 "$T" && mkdir -p nob && chown 65534:65534 nob &&
		expect_exit 2 setpriv --reuid=65534 --regid=65534 --clear-groups \
			env VIGIL_STATE_DIR="$T/nob/state" timeout 20 "$VIGIL" rtp run --path "$T/nob" 2>err &&
		grep -q "needs root" err
	'
else
	test_skip 'rtp run as an ordinary user exits 2' 'no setpriv'
fi

# The deadline: a scan that takes longer is answered ALLOW. 20 ms is always passed by a scan
# of 30 MB that the slow rule reads four times (the watchdog looks every 50 ms).
vigil config set realtime.scan_deadline_ms 20 >/dev/null
rtp_bg rtp run
rtp_ready

test_expect_success 'scan_deadline_ms: an open whose scan takes longer is let through and counted as deadline_expired' '
	rtp_scan_id >sid && st s0.json && test "$(cat "$W/pre/slow.bin" | wc -c)" -eq 30000021 &&
	# the scan itself goes on after the watchdog let the open by: 1-3 s of the slow rule
	poll $((15 * SAN_FACTOR)) eval "rtp_json >s1.json && jq -e \".scanned > $(jq .scanned s0.json)\" s1.json >/dev/null" &&
	test "$(delta s0.json s1.json .deadline_expired)" -ge 1 && test "$(delta s0.json s1.json .denied)" -eq 0 &&
	poll 2 has_threat "$W/pre/slow.bin" "" "$(cat sid)" &&
	expect_exit 1 cat "$W/pre/slow.bin" >/dev/null 2>&1
'

test_expect_success 'scan_deadline_ms: the detection answered ALLOW by the watchdog is not recorded as blocked' '
	vigil --json threat list --scan "$(cat sid)" >t.json &&
	jqt t.json "[.threats[] | select(.path == \"$W/pre/slow.bin\")] | length >= 1 and all(.[]; .action != \"blocked\")"
'

rtp_stop
vigil config set realtime.scan_deadline_ms 5000 >/dev/null

# Quarantine on detection.
vigil config set antivirus_engine.default_action quarantine >/dev/null
rtp_bg rtp run
rtp_ready

test_expect_success 'default_action quarantine: a detection leaves the folder for the vault; the threat says so' '
	eicar "$W/q.com" && poll 2 eval "! test -e \"$W/q.com\"" &&
	poll 2 has_item "$W/q.com" &&
	poll 2 has_threat "$W/q.com" "^quarantined as item [0-9]+$"
'

test_expect_success 'default_action quarantine: the vault item and the threat name the same item' '
	vigil --json quarantine list >q.json && vigil --json threat list >t.json &&
	id=$(jq "[.items[] | select(.path == \"$W/q.com\")][0].id" q.json) &&
	jqt t.json "[.threats[] | select(.path == \"$W/q.com\")][0].action == \"quarantined as item $id\""
'

test_expect_success 'default_action quarantine: a second detection, after other vigil commands ran, is listed too' '
	vigil --json health >/dev/null && vigil --json scan list >/dev/null &&
	eicar "$W/q2.com" && poll 2 eval "! test -e \"$W/q2.com\"" &&
	poll 2 has_item "$W/q2.com" && poll 2 has_threat "$W/q2.com" "^quarantined as item [0-9]+$"
'

test_expect_success 'default_action quarantine: the store files it writes to are still those on disk (no deleted WAL)' '
	pid=$(rtp_pid) && ls -l /proc/$pid/fd >fds &&
	grep -q "vigil\.db$" fds && ! grep "vigil\.db.*(deleted)" fds
'

test_expect_success 'default_action quarantine: after SIGTERM, both items are in the vault; the store is sound' '
	rtp_stop && vigil --json quarantine list >q.json &&
	jqt q.json "[.items[] | select(.path == \"$W/q.com\" or .path == \"$W/q2.com\")] | length == 2" &&
	vigil health --field store_integrity >integ && test "$(cat integ)" = ok
'
vigil config set antivirus_engine.default_action report >/dev/null

test_done
