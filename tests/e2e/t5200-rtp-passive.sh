#!/usr/bin/env bash
# Real-time protection, passive mode (--passive, or antivirus_engine.passive_mode): notification
# events only, nothing is ever refused, detections are recorded as "reported".
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/helpers/rtp_lib.sh"
T=$(pwd -P)
TRY=$here/helpers/rtp_try.py
PY=/usr/bin/python3

rtp_require
W=$T/w
rtp_mount "$W" || exit 1

SH=$(readlink -f /proc/$$/exe)
eicar "$W/pre.com"
echo "clean text" >"$W/clean.txt"
vigil -q scan list >/dev/null # the store exists before anything runs concurrently
vigil config set realtime.paths "[\"$W\"]" >/dev/null

rtp_bg rtp run --passive
rtp_ready
rtp_scan_id >sid.a

test_expect_success 'rtp run --passive: status says passive; health says running, mode passive' '
	rtp_json >s.json && jqt s.json ".running == true and .mode == \"passive\" and .paths == [\"$W\"]" &&
	vigil --json health >h.json &&
	jqt h.json ".real_time_protection_running == true and .real_time_protection_mode == \"passive\"" &&
	vigil rtp status >text && grep -q ", passive)" text
'

test_expect_success 'an EICAR file that was there opens and reads; the detection is recorded as reported' '
	test "$(cat "$W/pre.com" | wc -c)" -eq 68 &&
	poll 2 has_threat "$W/pre.com" "^reported$" "$(cat sid.a)"
'

test_expect_success 'EICAR written there: written, read back, recorded as reported within 2 s' '
	eicar "$W/new.com" && cat "$W/new.com" >copy && cmp copy "$W/new.com" &&
	poll 2 has_threat "$W/new.com" "^reported$" "$(cat sid.a)" &&
	vigil --json threat list --scan "$(cat sid.a)" >t.json &&
	jqt t.json "all(.threats[]; .action == \"reported\" and .name == \"EICAR_Test_File\")"
'

if [ -x "$PY" ]; then
	test_expect_success 'exec of an EICAR file is not refused: it fails as it would anyway (ENOEXEC)' '
		eicar "$W/x.com" && chmod +x "$W/x.com" &&
		expect_exit 1 "$PY" "$TRY" exec "$W/x.com" >out && test "$(cat out)" = ENOEXEC
	'
else
	test_skip 'exec of an EICAR file is not refused' "no $PY"
fi

test_expect_success 'counters: nothing allowed or denied (no permission events), detections and open events counted' '
	poll 2 eval "rtp_json >s.json && jq -e \".threats >= 2\" s.json >/dev/null" &&
	jqt s.json ".denied == 0 and .allowed == 0 and .events.open >= 2 and .events.close_write >= 1 and .scanned >= 2" &&
	jqt s.json ".errors == 0 and .overflows == 0"
'

# (a notification is read after the fact: a process that is already gone, such as a quick cat,
# can only be named "?")
test_expect_success 'rtp top --by process names the writer (this shell); --by file names the EICAR files' '
	vigil --json rtp top --by process >p.json && jqt p.json "[.top[].key] | index(\"$SH\") != null" &&
	vigil --json rtp top --by file >f.json &&
	jqt f.json "[.top[].key] | index(\"$W/pre.com\") != null and index(\"$W/new.com\") != null"
'

test_expect_success 'SIGTERM: rtp exits 0; the realtime scan is completed with its detections; health: not running' '
	rtp_stop && poll 3 test -s bg.rc && test "$(cat bg.rc)" -eq 0 &&
	test ! -e "$VIGIL_STATE_DIR/rtp.sock" &&
	vigil --json scan list >l.json &&
	jqt l.json ".scans[] | select(.scan_id == $(cat sid.a)) | .type == \"realtime\" and .status == \"completed\" and .threats_found >= 2" &&
	vigil --json health >h.json && jqt h.json ".real_time_protection_running == false and .real_time_protection_mode == null"
'

# The configuration's passive_mode, without --passive.
vigil config set antivirus_engine.passive_mode true >/dev/null
rtp_bg rtp run
rtp_ready
rtp_scan_id >sid.b

test_expect_success 'antivirus_engine.passive_mode true: rtp run is passive; EICAR opens; recorded as reported' '
	rtp_json >s.json && jqt s.json ".mode == \"passive\"" &&
	vigil --json health >h.json && jqt h.json ".passive_mode == true and .real_time_protection_mode == \"passive\"" &&
	eicar "$W/cfg.com" && cat "$W/cfg.com" >/dev/null && cat "$W/pre.com" >/dev/null &&
	poll 2 has_threat "$W/cfg.com" "^reported$" "$(cat sid.b)" &&
	rtp_json >s.json && jqt s.json ".denied == 0"
'

test_expect_success 'the realtime scan records its options: mode passive' '
	vigil --json scan list >l.json &&
	jqt l.json ".scans[] | select(.scan_id == $(cat sid.b)) | .options.mode == \"passive\""
'

rtp_stop
test_done
