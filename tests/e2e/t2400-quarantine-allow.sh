#!/usr/bin/env bash
# The allow list: a restored file is allowed for threat_restoration_exclusion_time seconds
# (reported under "allowed", exit 0, not quarantined again), then detected again. The window
# covers that file only (its path and SHA-256): copies of the same content elsewhere are still
# threats. threat allow
# add|remove --sha256 / --name with --expires and --reason; malformed entries are refused.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil records resolved paths

# second_start: waits until the wall clock is early in a second, so that a window of a few
# whole seconds counted from now is not cut short by rounding.
second_start() {
	local ms
	while :; do
		ms=$((10#$(date +%N) / 1000000))
		[ "$ms" -lt 150 ] && return 0
		sleep "0.$(printf '%03d' $((1000 - ms)))"
	done
}
# qid PATH [vigil options]: the id of the vault item of PATH.
qid() { local p=$1; shift; vigil "$@" --json quarantine list | jq -r ".items[] | select(.path == \"$p\") | .id"; }

# The window: 2 s, or 8 s under the sanitizer, where each vigil run takes most of a second and
# the checks inside the window would outlast 2 s on a loaded machine.
W=$((2 * SAN_FACTOR))
mkdir -p w zsrc other
eicar w/e.com
cp w/e.com eicar.copy
eicar_sha=$(sha eicar.copy)
echo "clean" >w/clean.txt

test_expect_success 'threat_restoration_exclusion_time can be set to 2 (8 under the sanitizer)' '
	vigil config set antivirus_engine.threat_restoration_exclusion_time $W &&
	test "$(vigil config get antivirus_engine.threat_restoration_exclusion_time)" = $W
'

test_expect_success 'the EICAR file is quarantined by a scan (setup for the window cases)' '
	expect_exit 1 vigil --json scan custom w --action quarantine >q.json &&
	test ! -e w/e.com && test -n "$(qid "$T/w/e.com")"
'

# Everything that must hold inside the window runs in one case, right after the restore.
for i in 1 2 3; do cp eicar.copy "other/copy$i.com"; done
test_expect_success 'right after restore: scan exits 0, lists it under allowed, --action quarantine leaves it' '
	id=$(qid "$T/w/e.com") && test -n "$id" &&
	second_start &&
	expect_exit 0 vigil quarantine restore "$id" >/dev/null &&
	expect_exit 0 vigil --json scan custom w >a.json &&
	expect_exit 1 vigil --json scan custom other >o.json &&
	expect_exit 0 vigil --json scan custom w --action quarantine >aq.json &&
	expect_exit 0 vigil scan custom w >a.txt &&
	vigil --json threat allow list >al.json &&
	vigil threat allow list >alt.txt &&
	now=$(date +%s) &&
	test -f w/e.com && cmp w/e.com eicar.copy &&
	jqt o.json ".threats_found == 3 and .allowed == [] and ([.threats[].sha256] | unique) == [\"$eicar_sha\"]" &&
	grep -E "^sha256 +$eicar_sha" alt.txt | grep -F "file $T/w/e.com" | grep -q "allowed until" &&
	jqt a.json ".threats == [] and .threats_found == 0 and .allowed_count == 1" &&
	jqt a.json "(.allowed | length) == 1 and .allowed[0].path == \"$T/w/e.com\" and .allowed[0].action == \"allowed\"" &&
	jqt a.json ".allowed[0].sha256 == \"$eicar_sha\" and (.allowed[0].allowed_by | contains(\"restored from quarantine item $id\"))" &&
	jqt aq.json ".threats == [] and (.allowed | length) == 1" &&
	grep -q "ALLOWED" a.txt &&
	jqt al.json "any(.allow[]; .kind == \"sha256\" and .value == \"$eicar_sha\" and .path == \"$T/w/e.com\" and (.reason | contains(\"item $id\")) and .expires_at >= $now and .expires_at <= $now + $W + 1)" &&
	{ ! vigil --json quarantine list | jq -e ".items | any(.path == \"$T/w/e.com\")" >/dev/null; }
'

test_expect_success 'threat list --allowed shows the allowed detections of those scans' '
	sid=$(jq .scan_id a.json) &&
	vigil --json threat list --allowed >tl.json &&
	jqt tl.json "any(.allowed[]; .scan_id == $sid and .path == \"$T/w/e.com\" and .action == \"allowed\")" &&
	vigil --json threat list --scan "$sid" >t0.json && jqt t0.json ".threats == []"
'

test_expect_success 'threat allow list shows the restore entry with its end time' '
	vigil threat allow list >al.txt &&
	grep -E "^sha256 +$eicar_sha" al.txt | grep -q "restored from quarantine item"
'

test_expect_success 'after the window it is detected again (exit 1) and --action quarantine moves it again' '
	sleep $((W + 1)) &&
	expect_exit 1 vigil --json scan custom w >b.json &&
	jqt b.json ".threats_found == 1 and .allowed == [] and .threats[0].path == \"$T/w/e.com\"" &&
	vigil threat allow list >al.txt && grep "$eicar_sha" al.txt | grep -q "expired at" &&
	{ ! grep "$eicar_sha" al.txt | grep -q "allowed until"; } &&
	expect_exit 1 vigil scan custom w --action quarantine >/dev/null &&
	test ! -e w/e.com && test -n "$(qid "$T/w/e.com")"
'

test_expect_success 'the default window is 60 s' '
	mkdir -p dw && eicar dw/e.com &&
	expect_exit 1 vigil --state-dir s60 scan custom dw --action quarantine >/dev/null &&
	id=$(qid "$T/dw/e.com" --state-dir s60) && test -n "$id" &&
	vigil --state-dir s60 quarantine restore "$id" >/dev/null && now=$(date +%s) &&
	vigil --state-dir s60 --json threat allow list >al.json &&
	jqt al.json "any(.allow[]; .value == \"$eicar_sha\" and .expires_at >= $now + 58 and .expires_at <= $now + 61)" &&
	expect_exit 0 vigil --state-dir s60 scan custom dw >/dev/null
'

test_expect_success 'threat allow list: a live entry says "allowed until" its end, never "expired"' '
	vigil --state-dir s60 threat allow list >al.txt &&
	grep -E "^sha256 +$eicar_sha" al.txt | grep -F "file $T/dw/e.com" | grep -q "allowed until" &&
	{ ! grep -q expired al.txt; }
'

test_expect_success 'the window covers the restored file only: copies of it elsewhere exit 1' '
	mkdir -p dw2 && cp eicar.copy dw2/e.com && cp eicar.copy dw2/f.com &&
	expect_exit 1 vigil --state-dir s60 --json scan custom dw2 >c.json &&
	jqt c.json ".threats_found == 2 and .allowed == []" &&
	expect_exit 1 vigil --state-dir s60 --json scan custom dw dw2 >c2.json &&
	jqt c2.json ".threats_found == 2 and (.allowed | length) == 1 and .allowed[0].path == \"$T/dw/e.com\""
'

test_expect_success 'restore --path: the window covers the new place, not the old one' '
	mkdir -p pw pdest && eicar pw/e.com &&
	expect_exit 1 vigil --state-dir s60 scan custom pw --action quarantine >/dev/null &&
	id=$(qid "$T/pw/e.com" --state-dir s60) && test -n "$id" &&
	vigil --state-dir s60 quarantine restore "$id" --path pdest/r.com >/dev/null &&
	cp eicar.copy pw/e.com &&
	expect_exit 0 vigil --state-dir s60 scan custom pdest >/dev/null &&
	expect_exit 1 vigil --state-dir s60 --json scan custom pw >p.json &&
	jqt p.json ".threats_found == 1 and .allowed == []"
'

test_expect_success 'a content change ends it: the restored path with other bytes is detected' '
	printf "\n" >>pdest/r.com &&
	expect_exit 1 vigil --state-dir s60 scan custom pdest >/dev/null
'

test_expect_success 'a window of 0 puts nothing on the allow list: detected right after restore' '
	mkdir -p zw && eicar zw/e.com &&
	vigil --state-dir s0 config set antivirus_engine.threat_restoration_exclusion_time 0 &&
	expect_exit 1 vigil --state-dir s0 scan custom zw --action quarantine >/dev/null &&
	vigil --state-dir s0 quarantine restore "$(qid "$T/zw/e.com" --state-dir s0)" >/dev/null &&
	test -f zw/e.com &&
	vigil --state-dir s0 --json threat allow list >al.json && jqt al.json ".allow == []" &&
	expect_exit 1 vigil --state-dir s0 scan custom zw >/dev/null
'

# An archive is quarantined whole for a detection inside it; restored, it must not be caught
# again (and, with default_action quarantine, moved again) inside the window.
mkdir -p zz
eicar zsrc/e.com
(cd zsrc && zip -q ../zz/z.zip e.com)
test_expect_success 'a restored zip (quarantined for the EICAR inside) is allowed during the window too' '
	vigil --state-dir sz config set antivirus_engine.threat_restoration_exclusion_time 30 &&
	expect_exit 1 vigil --state-dir sz scan custom zz --action quarantine >/dev/null &&
	test ! -e zz/z.zip &&
	vigil --state-dir sz quarantine restore "$(qid "$T/zz/z.zip" --state-dir sz)" >/dev/null &&
	test -f zz/z.zip &&
	expect_exit 0 vigil --state-dir sz --json scan custom zz >z.json &&
	jqt z.json ".threats == [] and (.allowed | length) >= 1"
'

# --- threat allow add / remove -------------------------------------------------------------------
mkdir -p h
eicar h/e.com
eicar h/variant.com
printf '\n' >>h/variant.com # still EICAR to the rule, another SHA-256
test_expect_success 'control: both EICAR files are detected before any allow entry' '
	expect_exit 1 vigil --state-dir sa --json scan custom h >c.json && jqt c.json ".threats_found == 2"
'

test_expect_success 'threat allow add --sha256 (upper case) allows exactly that file, with the reason' '
	upper=$(echo "$eicar_sha" | tr a-f A-F) &&
	expect_exit 0 vigil --state-dir sa threat allow add --sha256 "$upper" --reason "lab sample" >/dev/null &&
	vigil --state-dir sa --json threat allow list >al.json &&
	jqt al.json "(.allow | length) == 1 and .allow[0].kind == \"sha256\" and .allow[0].value == \"$eicar_sha\" and .allow[0].reason == \"lab sample\" and .allow[0].expires_at == null" &&
	expect_exit 1 vigil --state-dir sa --json scan custom h >s.json &&
	jqt s.json ".threats_found == 1 and .threats[0].path == \"$T/h/variant.com\"" &&
	jqt s.json "(.allowed | length) == 1 and .allowed[0].path == \"$T/h/e.com\" and (.allowed[0].allowed_by | contains(\"lab sample\"))" &&
	expect_exit 0 vigil --state-dir sa scan custom h/e.com >/dev/null
'

test_expect_success 'the same hash allows the EICAR member of a zip' '
	expect_exit 0 vigil --state-dir sa --json scan custom zz >s.json &&
	jqt s.json ".threats == [] and (.allowed | length) == 1 and .allowed[0].member == [\"e.com\"]"
'

test_expect_success 'threat allow remove --sha256 makes it detected again' '
	expect_exit 0 vigil --state-dir sa threat allow remove --sha256 "$eicar_sha" >/dev/null &&
	vigil --state-dir sa --json threat allow list >al.json && jqt al.json ".allow == []" &&
	expect_exit 1 vigil --state-dir sa scan custom h/e.com >/dev/null &&
	expect_exit 2 vigil --state-dir sa threat allow remove --sha256 "$eicar_sha" 2>/dev/null
'

test_expect_success 'threat allow add --name allows every file with that detection; remove undoes it' '
	expect_exit 0 vigil --state-dir sa threat allow add --name EICAR_Test_File >/dev/null &&
	vigil --state-dir sa --json threat allow list >al.json &&
	jqt al.json "any(.allow[]; .kind == \"name\" and .value == \"EICAR_Test_File\")" &&
	expect_exit 0 vigil --state-dir sa --json scan custom h >s.json &&
	jqt s.json ".threats == [] and (.allowed | length) == 2 and all(.allowed[]; .allowed_by | contains(\"EICAR_Test_File\"))" &&
	expect_exit 0 vigil --state-dir sa threat allow remove --name EICAR_Test_File >/dev/null &&
	expect_exit 1 vigil --state-dir sa scan custom h >/dev/null
'

test_expect_success 'an allowed name does not allow another detection name' '
	expect_exit 0 vigil --state-dir sa threat allow add --name Some_Other_Rule >/dev/null &&
	expect_exit 1 vigil --state-dir sa scan custom h/e.com >/dev/null &&
	vigil --state-dir sa threat allow remove --name Some_Other_Rule >/dev/null
'

test_expect_success 'threat allow add --expires 2: allowed now, detected again once it has expired' '
	second_start &&
	expect_exit 0 vigil --state-dir sa threat allow add --sha256 "$eicar_sha" --expires 2 >/dev/null &&
	now=$(date +%s) &&
	expect_exit 0 vigil --state-dir sa scan custom h/e.com >/dev/null &&
	vigil --state-dir sa --json threat allow list >al.json &&
	jqt al.json "any(.allow[]; .value == \"$eicar_sha\" and .expires_at >= $now and .expires_at <= $now + $W + 1)" &&
	sleep 3 &&
	expect_exit 1 vigil --state-dir sa scan custom h/e.com >/dev/null
'

test_expect_success 'a malformed SHA-256 is refused with exit 2 and the list is unchanged' '
	vigil --state-dir sb --json threat allow list >before.json &&
	for bad in abc "${eicar_sha%?}" "${eicar_sha}0" "g${eicar_sha#?}" "" "${eicar_sha%??} x"; do
		expect_exit 2 vigil --state-dir sb threat allow add --sha256 "$bad" 2>/dev/null || exit 1
	done &&
	expect_exit 2 vigil --state-dir sb threat allow remove --sha256 abc 2>/dev/null &&
	vigil --state-dir sb --json threat allow list >after.json && cmp before.json after.json &&
	jqt after.json ".allow == []"
'

test_expect_success 'malformed allow commands exit 2: both kinds, neither, empty name, bad --expires' '
	expect_exit 2 vigil --state-dir sb threat allow add --sha256 "$eicar_sha" --name X 2>/dev/null &&
	expect_exit 2 vigil --state-dir sb threat allow add 2>/dev/null &&
	expect_exit 2 vigil --state-dir sb threat allow add --reason why 2>/dev/null &&
	expect_exit 2 vigil --state-dir sb threat allow add --name "" 2>/dev/null &&
	for e in 0 -5 abc 1.5; do
		expect_exit 2 vigil --state-dir sb threat allow add --name X --expires "$e" 2>/dev/null || exit 1
	done &&
	expect_exit 2 vigil --state-dir sb threat allow remove --name X --expires 5 2>/dev/null &&
	expect_exit 2 vigil --state-dir sb threat allow frobnicate 2>/dev/null &&
	vigil --state-dir sb --json threat allow list >al.json && jqt al.json ".allow == []"
'

test_done
