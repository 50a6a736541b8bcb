#!/usr/bin/env bash
# vigil daemon: real-time protection when enabled, scheduled scans (once per due time, across
# restarts), the event log (install, upgrade, configuration, scheduled_scan,
# realtime_statistics, crash; diagnostic_level), the daemon log, diagnostic create, health.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/helpers/rtp_lib.sh"
T=$(pwd -P)

rtp_require
command -v unzip >/dev/null || { echo "skip: needs unzip"; exit 77; }
W=$T/w
rtp_mount "$W" || exit 1
mkdir -p q qm
echo "clean" >q/a.txt
echo "clean" >qm/a.txt && eicar qm/e.com

# A schedule due one minute ago is due now (within the hour) whatever the seconds say; a
# weekly one three days away is not.
now=$(date +%s)
PREV=$(date -d "@$((now - 60))" +%H:%M)
PREVDAY=$(date -d "@$((now - 60))" +%A | tr A-Z a-z)
DUE=$(date -d "$(date -d "@$((now - 60))" +%F) $PREV" +%s) # the due time, Unix seconds
OTHER=$(date -d '+3 day' +%A | tr A-Z a-z)
EV=$VIGIL_STATE_DIR/events.jsonl
LOG=$VIGIL_STATE_DIR/vigil.log

vigil -q scan list >/dev/null # the store exists before anything runs concurrently
vigil config set realtime.paths "[\"$W\"]" >/dev/null
vigil config set antivirus_engine.enable_real_time_protection true >/dev/null
vigil config set filesystem_scanner.quick_scan_directories "[\"$T/q\"]" >/dev/null
vigil config set filesystem_scanner.full_scan_directory "$T/q" >/dev/null
vigil config set org_id '"acme-e2e"' >/dev/null
vigil config set scheduled_scans "[{\"type\": \"quick\", \"time\": \"$PREV\"},
	{\"type\": \"full\", \"time\": \"$PREV\", \"day\": \"$OTHER\"}]" >/dev/null
# The managed configuration (VIGIL_MANAGED_CONFIG, set by lib.sh) overrides the quick folders.
printf '{"filesystem_scanner": {"quick_scan_directories": ["%s"]}}\n' "$T/qm" >"$VIGIL_MANAGED_CONFIG"

nscans_of() { vigil --json scan list | jq "[.scans[] | select(.type == \"$1\")] | length"; }
scan_done() { vigil --json scan list | jq -e "[.scans[] | select(.type == \"$1\" and .status != \"running\")] | length >= ${2:-1}" >/dev/null; }
nevents() { if [ -e "$EV" ]; then jq -s "[.[] | select(.event == \"$1\")] | length" "$EV"; else echo 0; fi; }
# the pid of the daemon that started last, from its log line
log_pid() { sed -n 's/.*daemon started (vigil [^,]*, pid \([0-9]*\)).*/\1/p' "$LOG" | tail -n 1; }
stop_pid() { kill -TERM "$1" && poll 5 gone "$1"; }

test_expect_success 'on a fresh state folder, the daemon starts while other vigil commands run at the same moment' '
	export VIGIL_STATE_DIR=$T/fresh &&
	vigil config set realtime.paths "[\"$W\"]" >/dev/null &&
	vigil config set antivirus_engine.enable_real_time_protection true >/dev/null || exit 1
	rtp_bg daemon
	pids=
	for i in 1 2 3; do "$VIGIL" --json health >h$i.json 2>h$i.err & pids="$pids $!"; done
	ok=0; for p in $pids; do wait "$p" && ok=$((ok + 1)); done
	up=0; rtp_ready || up=$?
	cat h1.err h2.err h3.err
	rtp_stop
	test "$ok" -eq 3 && test "$up" -eq 0
'

rtp_bg daemon
rtp_ready

test_expect_success 'daemon with enable_real_time_protection: rtp status answers (blocking); health says running' '
	rtp_json >s.json && jqt s.json ".running == true and .mode == \"blocking\" and .paths == [\"$W\"]" &&
	vigil --json health >h.json &&
	jqt h.json ".real_time_protection_enabled == true and .real_time_protection_running == true and .real_time_protection_mode == \"blocking\""
'

test_expect_success 'the quick scan scheduled for a minute ago runs (within 10 s), once, as a child "vigil scan quick -q"' '
	poll 10 scan_done quick && test "$(nscans_of quick)" -eq 1 &&
	vigil --json scan list >l.json &&
	jqt l.json "[.scans[] | select(.type == \"quick\")][0] | .status == \"completed\" and .command_line == [\"vigil\", \"scan\", \"quick\", \"-q\"]" &&
	grep -q "scheduled quick scan started (pid [0-9]*)" "$LOG" &&
	poll 5 grep -q "scheduled quick scan ended: exit [0-9]" "$LOG"
'

test_expect_success 'the scheduled scan uses the configuration the daemon uses (the managed quick folders)' '
	vigil --json scan list >l.json &&
	jqt l.json "[.scans[] | select(.type == \"quick\")][0] | .roots == [\"$T/qm\"] and .threats_found == 1"
'

test_expect_success 'the full scan scheduled on another day ('"$OTHER"') does not run' '
	test "$(nscans_of full)" -eq 0
'

test_expect_success 'events.jsonl: install, configuration and scheduled_scan, each with the common fields' '
	poll 5 eval "test \"\$(nevents scheduled_scan)\" -eq 1" &&
	vigil --json health >h.json && sig=$(jq .sig_version h.json) &&
	guid=$(jq -r .machine_guid h.json) && ver=$(jq -r .app_version h.json) &&
	jq -s . "$EV" >ev.json &&
	jqt ev.json "[.[].event] == [\"install\", \"configuration\", \"scheduled_scan\"]" &&
	jqt ev.json "all(.[]; (.time | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$\")) and .platform == \"linux\" and
		.machine_guid == \"$guid\" and .hostname == \"$(uname -n)\" and .app_version == \"$ver\" and
		.sig_version == $sig and .org_id == \"acme-e2e\")" &&
	jqt ev.json ".[0].level == \"required\" and .[1].level == \"optional\" and .[2].level == \"optional\"" &&
	jqt ev.json ".[0].to_version == \"$ver\" and .[1].configuration.realtime.paths == [\"$W\"]" &&
	jqt ev.json ".[2].scan_type == \"quick\" and (.[2].exit_code | type) == \"number\" and .[2].due == $DUE"
'

test_expect_success 'vigil.log: the daemon, real-time protection and the scheduled scan are logged' '
	test -s "$LOG" && grep -q "daemon started" "$LOG" &&
	grep -q "real-time protection on (blocking)" "$LOG" && grep -q "scheduled quick scan" "$LOG" &&
	test "$(stat -c %a "$LOG")" = 600
'

test_expect_success 'real-time protection in the daemon: EICAR written there is refused with EPERM' '
	eicar "$W/e.com" && expect_exit 1 cat "$W/e.com" >/dev/null 2>err && grep -q "Operation not permitted" err &&
	rtp_json >s.json && jqt s.json ".denied >= 1 and .threats >= 1"
'

test_expect_success 'real-time protection in the daemon: the detection is in the store within 2 s' '
	poll 2 has_threat "$W/e.com" || { vigil --json threat list; exit 1; }
'

test_expect_success 'the daemon still writes the store files on disk after other vigil commands ran (no deleted WAL)' '
	pid=$(rtp_pid) && vigil --json scan list >/dev/null && ls -l /proc/$pid/fd >fds &&
	grep -q "vigil\\.db$" fds && ! grep "vigil\\.db.*(deleted)" fds
'

test_expect_success 'diagnostic create while it runs: the six files, the SHA-256 line, rtp-status.json running' '
	vigil diagnostic create --out d1.zip >line && sha256sum -c line >/dev/null &&
	test "$(cut -d" " -f3 line)" = d1.zip &&
	unzip -Z1 d1.zip | sort >names &&
	printf "%s\n" config.json events.jsonl health.json rtp-status.json store-stats.json vigil.log | cmp - names &&
	unzip -p d1.zip rtp-status.json >r.json && jqt r.json ".running == true and .mode == \"blocking\"" &&
	unzip -p d1.zip health.json >h.json && jqt h.json ".real_time_protection_running == true" &&
	unzip -p d1.zip config.json >c.json && jqt c.json ".org_id == \"acme-e2e\"" &&
	unzip -p d1.zip events.jsonl >e.jsonl && cmp e.jsonl "$EV" &&
	unzip -p d1.zip store-stats.json | jq -e . >/dev/null
'

test_expect_success 'a second daemon on the same state folder exits 2 (already running); the first goes on' '
	p1=$(rtp_pid) &&
	expect_exit 2 timeout 20 "$VIGIL" daemon 2>err && grep -q "already running" err &&
	test "$(rtp_pid)" = "$p1"
'

test_expect_success 'SIGTERM: the daemon exits 0 within 3 s; realtime_statistics recorded; health: not running' '
	pid=$(rtp_pid) && n=$(nevents realtime_statistics) &&
	kill -TERM "$pid" && poll 3 gone "$pid" && poll 3 test -s bg.rc && test "$(cat bg.rc)" -eq 0 &&
	test "$(nevents realtime_statistics)" -eq $((n + 1)) &&
	jq -s "[.[] | select(.event == \"realtime_statistics\")][-1]" "$EV" >rs.json &&
	jqt rs.json ".level == \"optional\" and .denied >= 1 and .threats >= 1 and (.events.open | type) == \"number\" and .org_id == \"acme-e2e\"" &&
	test ! -e "$VIGIL_STATE_DIR/rtp.sock" && expect_exit 2 vigil rtp status 2>/dev/null &&
	vigil --json health >h.json && jqt h.json ".real_time_protection_enabled == true and .real_time_protection_running == false" &&
	grep -q "daemon stopped" "$LOG"
'

test_expect_success 'diagnostic create with nothing running: no rtp-status.json' '
	vigil diagnostic create --out d2.zip >/dev/null && unzip -Z1 d2.zip | sort >names &&
	printf "%s\n" config.json events.jsonl health.json store-stats.json vigil.log | cmp - names
'

rtp_bg daemon
rtp_ready

test_expect_success 'after a restart, the scheduled quick scan does not run again for the same due time; no second install' '
	grep -c "daemon started" "$LOG" >n && test "$(cat n)" -ge 2 &&
	sleep 2.5 && test "$(nscans_of quick)" -eq 1 &&
	test "$(nevents install)" -eq 1 && test "$(nevents configuration)" -ge 2 && test "$(nevents crash)" -eq 0
'

test_expect_success 'SIGKILL, then a restart: a crash event (required) is recorded; nothing stays blocked' '
	pid=$(rtp_pid) && kill -KILL "$pid" && poll 3 gone "$pid" &&
	for i in 1 2 3; do cat "$W/e.com" >/dev/null || exit 1; done &&
	rtp_bg daemon && rtp_ready &&
	test "$(nevents crash)" -eq 1 &&
	jq -s "[.[] | select(.event == \"crash\")][0]" "$EV" >c.json &&
	jqt c.json ".level == \"required\" and .platform == \"linux\" and .org_id == \"acme-e2e\" and (.machine_guid | length) == 36"
'

test_expect_success 'a refused second daemon does not hide the crash of the first (SIGKILL after it, then a restart)' '
	expect_exit 2 timeout 20 "$VIGIL" daemon 2>/dev/null &&
	pid=$(rtp_pid) && n=$(nevents crash) && kill -KILL "$pid" && poll 3 gone "$pid" &&
	rtp_bg daemon && rtp_ready &&
	test "$(nevents crash)" -eq $((n + 1))
'
rtp_stop

if command -v sqlite3 >/dev/null; then
	test_expect_success 'a new version: an upgrade event (required) with from_version and to_version' '
		sqlite3 "$VIGIL_STATE_DIR/vigil.db" "UPDATE meta SET value = '"'"'0.0.1'"'"' WHERE key = '"'"'app_version_seen'"'"'" &&
		rtp_bg daemon && rtp_ready && rtp_stop &&
		jq -s "[.[] | select(.event == \"upgrade\")]" "$EV" >u.json &&
		jqt u.json "length == 1 and .[0].level == \"required\" and .[0].from_version == \"0.0.1\" and .[0].to_version == .[0].app_version" &&
		test "$(nevents install)" -eq 1
	'
else
	test_skip 'a new version: an upgrade event' 'no sqlite3'
fi

# A scheduled scan of a folder that real-time protection watches: its accesses are not scanned.
mkdir -p "$W/scanme" && eicar "$W/scanme/e.com"
vigil config set filesystem_scanner.full_scan_directory "$W/scanme" >/dev/null
vigil config set scheduled_scans "[{\"type\": \"full\", \"time\": \"$PREV\"}]" >/dev/null

test_expect_success 'a scheduled scan of the watched folder is not refused by the daemon: it finds the EICAR file there' '
	rtp_bg daemon && rtp_ready && poll 10 scan_done full &&
	vigil --json scan list >l.json &&
	jqt l.json "[.scans[] | select(.type == \"full\")][0] | .roots == [\"$W/scanme\"] and .threats_found == 1 and .errors == 0" &&
	rtp_json >s.json && jqt s.json ".own_accesses >= 1" &&
	expect_exit 1 cat "$W/scanme/e.com" >/dev/null 2>&1
'
rtp_stop
vigil config set filesystem_scanner.full_scan_directory "$T/q" >/dev/null

test_expect_success 'diagnostic_level required: configuration, realtime_statistics, scheduled_scan left out; crash kept' '
	vigil config set diagnostic_level required >/dev/null &&
	vigil config set scheduled_scans "[{\"type\": \"quick\", \"time\": \"$PREV\", \"day\": \"$PREVDAY\"}]" >/dev/null &&
	n=$(wc -l <"$EV") &&
	rtp_bg daemon && rtp_ready && poll 10 eval "test \"\$(nscans_of quick)\" -eq 2" && poll 5 scan_done quick 2 &&
	pid=$(rtp_pid) && kill -KILL "$pid" && poll 3 gone "$pid" &&
	rtp_bg daemon && rtp_ready && rtp_stop &&
	tail -n +$((n + 1)) "$EV" | jq -s "[.[].event]" >new.json &&
	jqt new.json ". == [\"crash\"]"
'
vigil config set diagnostic_level optional >/dev/null

test_expect_success 'config set refuses bad schedules with exit 2 and keeps the old value' '
	vigil config get scheduled_scans >before &&
	for s in "[{\"type\": \"quick\", \"time\": \"25:00\"}]" "[{\"type\": \"deep\", \"time\": \"10:00\"}]" \
		"[{\"type\": \"quick\", \"time\": \"10:00\", \"day\": \"funday\"}]" "[{\"type\": \"quick\"}]" \
		"[{\"type\": \"quick\", \"time\": \"10:60\"}]" "[{\"type\": \"quick\", \"time\": \"10:00\", \"day\": 3}]" \
		"{\"type\": \"quick\", \"time\": \"10:00\"}"; do
		expect_exit 2 vigil config set scheduled_scans "$s" 2>err || exit 1
		grep -q "scheduled_scans" err || exit 1
	done &&
	vigil config get scheduled_scans >after && cmp before after
'

test_expect_success 'config set refuses times that are not HH:MM digits ("+9:30", " 9:30", "9: 30")' '
	for t in "+9:30" " 9:30" "9: 30"; do
		expect_exit 2 vigil config set scheduled_scans "[{\"type\": \"quick\", \"time\": \"$t\"}]" 2>/dev/null || exit 1
	done
'

# Real-time protection off: the daemon runs the scheduler only.
vigil config set antivirus_engine.enable_real_time_protection false >/dev/null
vigil config set scheduled_scans "[{\"type\": \"full\", \"time\": \"$PREV\", \"day\": \"$PREVDAY\"}]" >/dev/null

test_expect_success 'enable_real_time_protection false: scheduler only; rtp status exits 2; the scheduled full scan runs' '
	n=$(grep -c "daemon started" "$LOG") && f=$(nscans_of full) && rtp_bg daemon &&
	poll 10 eval "test \"\$(grep -c \"daemon started\" \"$LOG\")\" -gt $n" && pid=$(log_pid) && test -n "$pid" &&
	poll 10 scan_done full $((f + 1)) && test "$(nscans_of full)" -eq $((f + 1)) &&
	expect_exit 2 vigil rtp status 2>/dev/null &&
	vigil --json health >h.json &&
	jqt h.json ".real_time_protection_enabled == false and .real_time_protection_running == false" &&
	eicar "$W/off.com" && cat "$W/off.com" >/dev/null &&
	vigil --json scan list >l.json && jqt l.json "[.scans[] | select(.type == \"full\")][0].roots == [\"$T/q\"]" &&
	stop_pid "$pid" && poll 3 test -s bg.rc && test "$(cat bg.rc)" -eq 0
'

test_done
