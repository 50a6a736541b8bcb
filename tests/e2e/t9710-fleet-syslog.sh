#!/usr/bin/env bash
# logging.syslog: detections, quarantine actions and real-time blocks as RFC 5424 messages on
# the local syslog socket (a datagram socket of the test's own, helpers/syslog_sink.py), with
# hostile file names that can neither break a message nor forge one.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/helpers/rtp_lib.sh"
T=$(pwd -P)
PY=/usr/bin/python3
SINK=$here/helpers/syslog_sink.py
SOCK=$T/log.sock
LOG=$T/sink.jsonl

if ! [ -x "$PY" ] || ! command -v jq >/dev/null; then
	echo "skip: needs python3 and jq"
	exit 77
fi

# The sink runs for the whole script, stopped at exit before rtp_lib's cleanup.
sink_start() {
	rm -f "$SOCK"
	"$PY" "$SINK" listen "$SOCK" "$LOG" </dev/null >>"$T/sink.err" 2>&1 &
	echo $! >"$T/sink.pid"
	poll 5 test -S "$SOCK"
}
trap 'kill -TERM "$(cat "$T/sink.pid" 2>/dev/null)" 2>/dev/null; rtp_cleanup' EXIT
# stopped once its socket is gone (it removes it; a zombie would still answer kill -0)
sink_stop() { kill -TERM "$(cat "$T/sink.pid")" && poll 5 test ! -e "$SOCK"; }
# msgs FILE: the messages received so far, parsed strictly, as a JSON array
msgs() { "$PY" "$SINK" parse "$LOG" >"$1"; }
count() { wc -l <"$LOG"; }
# got N: N datagrams arrived (waits 5 s at most), and no more after a moment
has_n() { [ "$(count)" -ge "$1" ]; }
got() { poll 5 has_n "$1" && sleep 0.3 && [ "$(count)" -eq "$1" ]; }

: >"$LOG"
sink_start || { echo "the syslog sink did not start"; cat "$T/sink.err"; exit 1; }
mkdir -p t
eicar t/e.com
vigil -q scan list >/dev/null

test_expect_success 'logging.syslog false (the default): nothing is sent for a detection' '
	test "$(vigil config get logging.syslog)" = false &&
	vigil config set logging.syslog_socket "$SOCK" >/dev/null &&
	expect_exit 1 vigil -q scan custom t >/dev/null && sleep 0.5 && test "$(count)" -eq 0
'

vigil config set logging.syslog true >/dev/null
vigil config set org_id "acme-ir" >/dev/null
GUID=$(vigil health --field machine_guid)

test_expect_success 'a detection: one DETECTION message, RFC 5424, with rule, path, sha256, action, machine guid, org id, scan id' '
	: >"$LOG" && expect_exit 1 vigil --json scan custom t/e.com >s.json &&
	got 1 && msgs m.json &&
	jqt m.json "length == 1 and .[0].msgid == \"DETECTION\" and .[0].pri == 28" &&
	jqt m.json ".[0].params | .rule == \"EICAR_Test_File\" and .path == \"$T/t/e.com\" and
		.sha256 == \"$(sha t/e.com)\" and .action == \"reported\" and
		.machine_guid == \"$GUID\" and .org_id == \"acme-ir\" and
		.scan_id == \"$(jq .scan_id s.json)\"" &&
	jqt m.json ".[0].procid > 0 and .[0].hostname == \"$(hostname)\" and
		.[0].msg == \"EICAR_Test_File found in $T/t/e.com\"" &&
	jqt m.json ".[0].timestamp | test(\"^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9:]{8}\\\\.[0-9]{6}Z$\")"
'

# A name with a newline, a quote, a closing bracket, a backslash and a byte that is not UTF-8.
HOSTILE=$(printf 'a\nb"c]d\\e\377f] [x@1 k="v"].com')
mkdir -p h && eicar "h/$HOSTILE"

test_expect_success 'a hostile file name: still one message on one line, the element parses, the path decodes to the exact bytes' '
	: >"$LOG" && expect_exit 1 vigil -q scan custom h >/dev/null &&
	got 1 && msgs m.json &&
	jqt m.json "length == 1 and .[0].msgid == \"DETECTION\"" &&
	test "$(jq -r ".[0].params.path_b64" m.json)" = "$(printf %s "$T/h/$HOSTILE" | base64 -w0)" &&
	test "$(jq -r ".[0].msg_b64" m.json)" = "$(printf %s "EICAR_Test_File found in $T/h/$HOSTILE" | base64 -w0)" &&
	jqt m.json ".[0].params | keys == [\"action\", \"action_b64\", \"machine_guid\", \"machine_guid_b64\",
		\"org_id\", \"org_id_b64\", \"path\", \"path_b64\", \"rule\", \"rule_b64\", \"scan_id\",
		\"scan_id_b64\", \"sha256\", \"sha256_b64\"]"
'

test_expect_success 'a detection inside an archive names the member chain' '
	mkdir -p z && (cd t && zip -q ../z/inner.zip e.com) && (cd z && zip -q outer.zip inner.zip && rm inner.zip) &&
	: >"$LOG" && expect_exit 1 vigil -q scan custom z >/dev/null &&
	got 1 && msgs m.json &&
	jqt m.json ".[0].params | .path == \"$T/z/outer.zip\" and .member == \"inner.zip > e.com\" and
		.sha256 == \"$(sha t/e.com)\"" &&
	jqt m.json ".[0].msg == \"EICAR_Test_File found in $T/z/outer.zip > inner.zip > e.com\""
'

test_expect_success '--action quarantine: DETECTION then QUARANTINE; restore: RESTORE; remove: REMOVE' '
	mkdir -p q && eicar q/e.com && : >"$LOG" &&
	expect_exit 1 vigil --json scan custom q --action quarantine >s.json &&
	got 2 && msgs m.json &&
	id=$(vigil --json quarantine list | jq ".items[] | select(.path == \"$T/q/e.com\") | .id") &&
	test -n "$id" && test ! -e q/e.com &&
	jqt m.json "[.[].msgid] == [\"DETECTION\", \"QUARANTINE\"] and .[1].pri == 29" &&
	jqt m.json ".[1].params | .item_id == \"$id\" and .action == \"quarantined\" and
		.path == \"$T/q/e.com\" and .rule == \"EICAR_Test_File\" and .sha256 == \"$(sha t/e.com)\" and
		.scan_id == \"$(jq .scan_id s.json)\" and .machine_guid == \"$GUID\"" &&
	vigil -q quarantine restore "$id" && test -e q/e.com && got 3 && msgs m.json &&
	jqt m.json ".[2] | .msgid == \"RESTORE\" and .params.item_id == \"$id\" and
		.params.restored_to == \"$T/q/e.com\" and .params.action == \"restored\"" &&
	vigil -q quarantine add q/e.com && got 4 &&
	id2=$(vigil --json quarantine list | jq ".items[] | select(.path == \"$T/q/e.com\") | .id") &&
	vigil -q quarantine remove "$id2" && got 5 && msgs m.json &&
	jqt m.json "[.[].msgid] == [\"DETECTION\", \"QUARANTINE\", \"RESTORE\", \"QUARANTINE\", \"REMOVE\"]" &&
	jqt m.json ".[3].params.rule == \"added by hand\" and .[4].params.item_id == \"$id2\" and
		.[4].params.action == \"removed\" and .[4].params.path == \"$T/q/e.com\""
'

test_expect_success 'the socket missing: the scan still ends 1 (threats found), at once, and says so once' '
	vigil config set logging.syslog_socket "$T/none.sock" >/dev/null &&
	bounded 20 1000 "$VIGIL" scan custom t h >out 2>err && test "$rc" -eq 1 &&
	test "$(grep -c "syslog socket" err)" -eq 1 && grep -q "none.sock" err &&
	vigil config set logging.syslog_socket "$SOCK" >/dev/null
'

test_expect_success 'the receiver restarts: vigil reconnects for the next command' '
	sink_stop && sink_start && : >"$LOG" &&
	expect_exit 1 vigil -q scan custom t >/dev/null && got 1
'

if [ "$(id -u)" -ne 0 ] || ! mkdir -p "$T/.probe" ||
	! mount -t tmpfs -o size=1m vigil-rtp-probe "$T/.probe" 2>/dev/null; then
	test_skip 'real-time protection: a refused open sends BLOCK' 'needs root and a tmpfs'
else
	umount "$T/.probe"
	W=$T/w
	rtp_mount "$W"
	eicar "$W/e.com"
	vigil config set realtime.paths "[\"$W\"]" >/dev/null
	: >"$LOG"
	rtp_bg rtp run
	rtp_ready
	test_expect_success 'real-time protection: a refused open sends DETECTION and BLOCK, a second one BLOCK' '
		expect_exit 1 cat "$W/e.com" >/dev/null 2>err && grep -q "Operation not permitted" err &&
		got 2 && msgs m.json &&
		jqt m.json "[.[].msgid] == [\"DETECTION\", \"BLOCK\"] and all(.[]; .pri == 28)" &&
		jqt m.json "all(.[].params; .path == \"$W/e.com\" and .rule == \"EICAR_Test_File\" and
			.action == \"blocked\" and .sha256 == \"$(sha t/e.com)\" and .machine_guid == \"$GUID\")" &&
		expect_exit 1 cat "$W/e.com" >/dev/null 2>&1 && got 3 && msgs m.json &&
		jqt m.json ".[2] | .msgid == \"BLOCK\" and .params.path == \"$W/e.com\" and
			.params.rule == \"EICAR_Test_File\" and .params.action == \"blocked\" and
			.msg == \"open refused: EICAR_Test_File found in $W/e.com\""
	'
	rtp_stop
fi
test_done
