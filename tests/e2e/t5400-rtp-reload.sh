#!/usr/bin/env bash
# Real-time protection picks up new signatures without a restart (a new sig_version in the
# store: import, remove, rollback; and SIGHUP), keeps the set in force when a new one fails to
# load, and records every refused open: one threat row per file and action, with a count and
# the last time, and a log line per refusal.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/helpers/rtp_lib.sh"
T=$(pwd -P)

rtp_require
attacker_user || exit 1
chmod 711 "$T"
W=$T/w
rtp_mount "$W" || exit 1
chmod 1777 "$W"

# The marker is written in two halves: no file but the rule's holds it whole before the test.
marker() { printf '%s%s\n' 'VIGIL-RELOAD-' 'MARKER' >"$1" && chmod 644 "$1"; }
printf 'rule Vigil_Reload_Test {\n  strings: $m = "%s%s"\n  condition: $m\n}\n' 'VIGIL-RELOAD-' 'MARKER' >reload.yar
marker "$W/pre.txt"
vigil -q scan list >/dev/null
vigil config set realtime.paths "[\"$W\"]" >/dev/null
sigver >v0

refused() { ! cat "$1" >/dev/null 2>err && grep -q "Operation not permitted" err; }
opens() { cat "$1" >/dev/null 2>&1; }
# rows PATH ACTION: the threat rows of PATH with that action in the running realtime scan
rows() {
	vigil --json threat list --scan "$(cat sid)" | jq -c --arg p "$1" --arg a "$2" \
		'[.threats[] | select(.path == $p and .action == $a)]'
}
count_is() { test "$(rows "$1" "$2" | jq 'if length == 1 then .[0].count else -1 end')" = "$3"; }

# -v: the log shows reloads (info) as well as refusals (warnings)
rtp_bg -v rtp run
rtp_ready
rtp_scan_id >sid
rtp_pid >pid

test_expect_success 'rtp status shows the sig_version in force, when it was loaded, no reload yet' '
	st s.json &&
	jqt s.json ".sig_version == $(cat v0) and (.sig_loaded_at | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$\"))" &&
	jqt s.json ".sig_reloads == 0 and .sig_reload_failures == 0 and .rules >= 1 and (has(\"sig_reload_error\") | not)" &&
	vigil rtp status >text && grep -q "^sig_version  *$(cat v0) (.* rules, loaded .*; 0 reloads, 0 failed)$" text
'

test_expect_success 'a file with the marker opens: no rule matches it yet' '
	marker "$W/m.txt" && opens "$W/m.txt" && opens "$W/m.txt"
'

test_expect_success 'sigdb import while it runs: within 15 s the open is refused, without a restart' '
	vigil -q sigdb import reload.yar >/dev/null && sigver >v1 && test "$(cat v1)" -gt "$(cat v0)" &&
	poll 15 refused "$W/m.txt" &&
	test "$(rtp_pid)" = "$(cat pid)" &&
	st s.json && jqt s.json ".sig_version == $(cat v1) and .sig_reloads == 1" &&
	grep -q "signatures reloaded (sig_version $(cat v1) in the store): sig_version $(cat v1) in force (was $(cat v0))" bg.err
'

test_expect_success 'verdicts cached under the old version do not answer: a file scanned clean before is refused now' '
	refused "$W/pre.txt"
'

test_expect_success 'sigdb remove: within 15 s the file opens again; sigdb rollback: refused again' '
	vigil -q sigdb remove reload.yar >/dev/null && sigver >v2 &&
	poll 15 opens "$W/m.txt" && jqt <(rtp_json) ".sig_version == $(cat v2)" &&
	sleep 1 && rows "$W/m.txt" blocked | jq ".[0].count" >c1 &&
	vigil -q sigdb rollback >/dev/null && sigver >v3 &&
	poll 15 refused "$W/m.txt" && jqt <(rtp_json) ".sig_version == $(cat v3) and .sig_reloads == 3"
'

test_expect_success 'the same detection found again by a scan under the new rules counts on its one blocked row' '
	poll 5 count_is "$W/m.txt" blocked $(($(cat c1) + 1))
'

test_expect_success 'SIGHUP reloads at once (same sig_version); the process goes on' '
	st s0.json && kill -HUP "$(cat pid)" &&
	poll 5 eval "rtp_json | jq -e \".sig_reloads == $(jq .sig_reloads s0.json) + 1\" >/dev/null" &&
	test "$(rtp_pid)" = "$(cat pid)" && jqt <(rtp_json) ".sig_version == $(cat v3)" &&
	grep -q "signatures reloaded (SIGHUP)" bg.err && refused "$W/m.txt"
'

test_expect_success 'a set that fails to load (compiled file replaced by a folder): the old one stays, the reason is logged and shown' '
	yarc=$(ls "$VIGIL_STATE_DIR"/rules-*.yarc) && test "$(echo "$yarc" | wc -l)" -eq 1 &&
	st s0.json && rm "$yarc" && mkdir "$yarc" && kill -HUP "$(cat pid)" &&
	poll 5 eval "rtp_json | jq -e \".sig_reload_failures == 1\" >/dev/null" &&
	st s1.json && jqt s1.json ".sig_version == $(cat v3) and .sig_reloads == $(jq .sig_reloads s0.json)" &&
	jqt s1.json ".sig_reload_error.message | test(\"folder\")" &&
	grep -q "signatures not reloaded (SIGHUP): .*; sig_version $(cat v3) stays in force" bg.err &&
	refused "$W/m.txt" && marker "$W/m2.txt" && refused "$W/m2.txt" &&
	vigil rtp status >text && grep -q "^last reload failed" text &&
	rmdir "$yarc" && kill -HUP "$(cat pid)" &&
	poll 5 eval "rtp_json | jq -e \".sig_reloads == $(jq .sig_reloads s0.json) + 1\" >/dev/null" &&
	test -f "$yarc" && refused "$W/m.txt"
'

test_expect_success 'a file written while it runs, then opened three times by another user: one blocked row, count 3, last time; a log line each' '
	st s0.json && marker "$W/r.txt" &&
	poll 5 eval "test \"\$(rows \"$W/r.txt\" reported | jq length)\" = 1" &&
	for i in 1 2 3; do
		! as_attacker cat "$W/r.txt" >/dev/null 2>err || exit 1
		grep -q "Operation not permitted" err || exit 1
	done &&
	st s1.json && test $(($(jq .denied s1.json) - $(jq .denied s0.json))) -eq 3 &&
	poll 5 count_is "$W/r.txt" blocked 3 &&
	rows "$W/r.txt" blocked >b.json &&
	jqt b.json ".[0] | .name == \"Vigil_Reload_Test\" and (.sha256 | test(\"^[0-9a-f]{64}$\")) and (.last_at | type) == \"string\" and .last_at >= .detected_at" &&
	count_is "$W/r.txt" reported 1 &&
	test "$(grep -c "/r.txt: Vigil_Reload_Test.*access denied" bg.err)" -eq 3
'

test_expect_success 'a file there before, opened three times by another user: its first open scanned, one blocked row, count 3' '
	marker "$W/pre2.txt" && rtp_stop && rtp_bg -v rtp run && rtp_ready && rtp_scan_id >sid &&
	for i in 1 2 3; do
		! as_attacker cat "$W/pre2.txt" >/dev/null 2>/dev/null || exit 1
	done &&
	poll 5 count_is "$W/pre2.txt" blocked 3 &&
	test "$(rows "$W/pre2.txt" reported | jq length)" = 0
'

test_expect_success 'after SIGTERM it exits 0 (nothing from a sanitizer); threat list (text and JSON) gives every row a count' '
	rtp_stop && poll 5 test -s bg.rc && test "$(cat bg.rc)" -eq 0 && ! grep -q Sanitizer bg.err &&
	vigil --json threat list --scan "$(cat sid)" >t.json &&
	jqt t.json "all(.threats[]; (.count | type) == \"number\" and .count >= 1)" &&
	vigil threat list --scan "$(cat sid)" >/dev/null
'

test_expect_success 'the report of that scan gives the blocked row its count (3) and last time, and validates' '
	vigil report "$(cat sid)" --format json --out rep.json &&
	jqt rep.json "[.detections[] | select(.path == \"$W/pre2.txt\" and .action == \"blocked\") | .count] == [3]" &&
	jqt rep.json "all(.detections[]; .count >= 1 and .last_at >= .detected_at)"
'

test_done
