#!/usr/bin/env bash
# Scan history: scan list (newest first), scan show (human and --json), threat list,
# and the fields of the --json scan document.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil reports resolved paths


mkdir -p clean dirty problem
echo hello >clean/a.txt
eicar dirty/one.com
eicar dirty/two.com
mkdir -p zsrc && eicar zsrc/e.com && (cd zsrc && zip -q ../dirty/in.zip e.com)
echo text >dirty/clean.txt
eicar problem/plain.com
(cd zsrc && zip -q -P secret ../problem/locked.zip e.com)
eicar_sha=$(sha256sum zsrc/e.com | cut -d" " -f1)
eicar_sha1=$(sha1sum zsrc/e.com | cut -d" " -f1)
eicar_md5=$(md5sum zsrc/e.com | cut -d" " -f1)

# Three scans, oldest first: clean, dirty, problem.
vigil --json scan custom clean >s1.json
vigil --json scan custom dirty >s2.json
vigil --json scan custom problem >s3.json
id1=$(jq -r .scan_id s1.json) id2=$(jq -r .scan_id s2.json) id3=$(jq -r .scan_id s3.json)

test_expect_success 'the three scans got distinct increasing ids' '
	test "$id1" -lt "$id2" && test "$id2" -lt "$id3"
'

test_expect_success 'scan --json has every documented top-level field with the right types' '
	jqt s2.json "(.scan_id | type) == \"number\" and .type == \"custom\" and .status == \"completed\"" &&
	jqt s2.json ".files_scanned == 4 and .bytes_scanned > 0 and .objects_scanned == 5" &&
	jqt s2.json ".errors == 0 and .skipped == 0 and .excluded == 0 and .threats_found == 3" &&
	jqt s2.json "(.duration_s | type) == \"number\" and .duration_s >= 0" &&
	jqt s2.json "(.sig_version | type) == \"number\" and (.rules_digest | test(\"^[0-9a-f]{64}$\"))" &&
	jqt s2.json "(.threats | type) == \"array\" and (.problems | type) == \"array\""
'

test_expect_success 'each threat has every documented field' '
	jqt s2.json "all(.threats[]; has(\"id\") and has(\"scan_id\") and has(\"path\") and has(\"member\") and has(\"name\") and has(\"namespace\") and has(\"meta\") and has(\"sha256\") and has(\"size\") and has(\"type\") and has(\"action\") and has(\"detected_at\"))" &&
	jqt s2.json "all(.threats[]; .scan_id == $id2 and .name == \"EICAR_Test_File\" and .sha256 == \"$eicar_sha\" and .size == 68)" &&
	jqt s2.json "all(.threats[]; .sha1 == \"$eicar_sha1\" and .md5 == \"$eicar_md5\")" &&
	jqt s2.json "all(.threats[]; .namespace == \"vigil\" and .action == \"reported\")" &&
	jqt s2.json "all(.threats[]; (.type | test(\"^[a-z]+/[-+.a-z0-9]+\")) and (.meta | type) == \"object\" and (.detected_at | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T\")))" &&
	jqt s2.json "[.threats[] | select(.path == \"$T/dirty/in.zip\") | .member] == [[\"e.com\"]]" &&
	jqt s2.json "[.threats[] | select(.path == \"$T/dirty/one.com\") | .member] == [[]]"
'

test_expect_success 'each problem has path, member, kind and reason' '
	jqt s3.json ".problems | length >= 1" &&
	jqt s3.json "all(.problems[]; (.path | type) == \"string\" and (.member | type) == \"array\" and (.kind | IN(\"error\", \"skipped\", \"limit\")) and (.reason | length) > 0)"
'

test_expect_success 'scan list shows the scans newest first' '
	vigil scan list >out &&
	awk "\$1 ~ /^[0-9]+\$/ { print \$1 }" out >ids &&
	test "$(sed -n 1p ids)" = "$id3" &&
	test "$(sed -n 2p ids)" = "$id2" &&
	test "$(sed -n 3p ids)" = "$id1" &&
	vigil --json scan list >list.json &&
	jqt list.json "[.scans[].scan_id] == [$id3, $id2, $id1]" &&
	jqt list.json ".scans[1].threats_found == 3 and .scans[1].files_scanned == 4"
'

test_expect_success 'scan show --json has the totals, threats and problems' '
	vigil --json scan show "$id3" >show.json &&
	jqt show.json ".scan_id == $id3 and .type == \"custom\" and .status == \"completed\"" &&
	jqt show.json ".files_scanned == 2 and .threats_found == 1 and .skipped >= 1" &&
	jqt show.json "[.threats[].path] == [\"$T/problem/plain.com\"]" &&
	jqt show.json "[.problems[] | select(.path == \"$T/problem/locked.zip\" and .kind == \"skipped\")] | length == 1" &&
	jq -S "{files_scanned, bytes_scanned, threats_found, errors, skipped, excluded, sig_version}" show.json >a &&
	jq -S "{files_scanned, bytes_scanned, threats_found, errors, skipped, excluded, sig_version}" s3.json >b &&
	cmp a b
'

test_expect_success 'scan show (human) has the totals, threats and problems' '
	vigil scan show "$id3" >out &&
	grep -q "files_scanned: 2" out &&
	grep -q "threats_found: 1" out &&
	grep -qF "$T/problem/plain.com: EICAR_Test_File FOUND" out &&
	grep -qF "$T/problem/locked.zip > e.com" out &&
	grep -qi "encrypt" out
'

test_expect_success 'scan show of a scan that does not exist exits 2 naming it' '
	rc=0; vigil scan show 999 >out 2>err || rc=$?
	jrc=0; vigil --json scan show 999 >jout 2>jerr || jrc=$?
	echo "scan show 999 exited $rc, stderr: $(cat err); with --json exited $jrc"
	test "$rc" -eq 2 && grep -q 999 err && test "$jrc" -eq 2
'

test_expect_success 'threat list shows the threats of every scan' '
	vigil threat list >out &&
	test "$(grep -c FOUND out)" -eq 4 &&
	grep -qF "$T/dirty/in.zip > e.com: EICAR_Test_File FOUND" out &&
	grep -qF "$T/problem/plain.com: EICAR_Test_File FOUND" out &&
	vigil --json threat list >all.json &&
	jqt all.json ".threats | length == 4"
'

test_expect_success 'threat list --scan ID shows only that scan, same as the scan output' '
	vigil --json threat list --scan "$id2" >t2.json &&
	jqt t2.json "all(.threats[]; .scan_id == $id2) and (.threats | length) == 3" &&
	jq -S "[.threats[] | {id, path, member, name, sha256}] | sort_by(.id)" t2.json >a &&
	jq -S "[.threats[] | {id, path, member, name, sha256}] | sort_by(.id)" s2.json >b &&
	cmp a b &&
	vigil threat list --scan "$id2" >out &&
	test "$(grep -c FOUND out)" -eq 3 &&
	! grep -q "problem/plain.com" out &&
	vigil --json threat list --scan "$id1" >t1.json &&
	jqt t1.json ".threats == []"
'

test_expect_success 'four scans at once on one store: no lock errors, every result kept' '
	mkdir -p conc && for d in 1 2 3 4 5 6 7 8; do
		mkdir -p conc/d$d && (cd conc/d$d && seq 1 300 | split -l 1 -a 3 - f) && eicar conc/d$d/e.com
	done &&
	before=$(vigil --json scan list | jq ".scans | length") &&
	for k in 1 2 3 4; do
		"$VIGIL" --json scan custom conc --threads 4 >conc$k.json 2>conc$k.err &
	done
	wait
	for k in 1 2 3 4; do
		jq -e ".status == \"completed\" and .threats_found == 8 and (.threats | length) == 8 and .errors == 0" conc$k.json >/dev/null || { cat conc$k.err; exit 1; }
		! grep -qi "locked\|busy" conc$k.err || exit 1
	done &&
	test "$(vigil --json scan list | jq ".scans | length")" -eq $((before + 4)) &&
	for k in 1 2 3 4; do
		id=$(jq .scan_id conc$k.json) &&
		test "$(vigil --json threat list --scan $id | jq ".threats | length")" -eq 8 || exit 1
	done
'
test_done
