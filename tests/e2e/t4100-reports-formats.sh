#!/usr/bin/env bash
# Reports: json (against docs/report-schema.json), jsonl, csv, bodyfile written by
# `scan --report` and by `vigil report`; byte-identical re-rendering, SHA-256 lines that
# `sha256sum -c` accepts, `report verify`; errors that name the thing and leave no file.
here=$(cd "$(dirname "$0")" && pwd)
SCHEMA=$here/../../docs/report-schema.json
. "$here/lib.sh"
T=$(pwd -P) # vigil reports resolved paths

PY=/usr/bin/python3
# no_temp DIR: DIR holds no temporary report file (.NAME.vigil-XXXXXX).
no_temp() { ! ls -A "$1" | grep -q '\.vigil-'; }

if ! "$PY" -c 'import jsonschema' 2>/dev/null || ! command -v jq >/dev/null || ! command -v zip >/dev/null; then
	echo "skip: needs $PY with jsonschema, jq and zip"
	exit 77
fi

eicar e.com
eicar_sha=$(sha256sum e.com | cut -d" " -f1)

# The tree: EICAR plain, in a zip in a zip, under a name that is HTML; a clean file; names
# with a newline, a quote, a comma and a leading '=', with a pipe and a backslash, a tab and
# a control character.
mkdir -p tree/sub tree/names
eicar tree/plain.com
zip -q in.zip e.com && zip -q tree/sub/outer.zip in.zip
echo "just a text file" >tree/clean.txt
echo formula >"tree/names/$(printf '=cmd,"x"\ny.txt')"
echo pipe >'tree/names/a|b\c.txt'
printf 'tab\n' >"tree/names/$(printf 'tab\there\001.txt')"
eicar 'tree/names/<img src=x onerror=alert(1)>.exe'
nfiles=$(find tree -type f -printf x | wc -c)

test_expect_success 'scan --inventory --case --examiner --report x4 writes four reports and lists them' '
	expect_exit 1 vigil scan custom tree --inventory --case C-42 --examiner "Ann O'"'"'Neil" \
		--report json:r.json --report jsonl:r.jsonl --report csv:r.csv --report bodyfile:r.body >out &&
	for f in r.json r.jsonl r.csv r.body; do test -s $f || exit 1; done &&
	sed -n "/^Reports (SHA-256, path):$/,\$p" out >reports &&
	test "$(wc -l <reports)" -eq 5 &&
	tail -n 4 reports >sums && sha256sum -c sums &&
	test "$(cut -d" " -f3 sums | tr "\n" " ")" = "r.json r.jsonl r.csv r.body " &&
	test "$(ls -A | grep -c vigil-)" -eq 0
'
scan1=$(jq -r .scan.scan_id r.json 2>/dev/null)

test_expect_success 'json: valid against docs/report-schema.json (draft 2020-12), schema_version 1' '
	test -f "$SCHEMA" && report_check schema r.json "$SCHEMA" &&
	jqt r.json ".schema_version == 1 and .report.format == \"json\" and .report.generator == \"vigil\""
'

test_expect_success 'json: custody has the case, the examiner and the command line' '
	jqt r.json ".custody.case_id == \"C-42\" and .custody.examiner == \"Ann O'"'"'Neil\"" &&
	jqt r.json ".custody.command_line | index([\"--examiner\", \"Ann O'"'"'Neil\"]) != null" &&
	jqt r.json ".custody.tool == \"vigil\" and (.custody.rules_digest | test(\"^[0-9a-f]{64}$\"))" &&
	jqt r.json ".scan.scan_id == $scan1 and .scan.inventory == true and .scan.roots == [\"$T/tree\"]"
'

test_expect_success 'json: three detections, the nested one with a member chain of two names' '
	jqt r.json ".totals.detections == (.detections | length) and (.detections | length) == 3" &&
	jqt r.json ".totals.threats_found == 3 and .errors == [] and .totals.files_scanned == $nfiles" &&
	jqt r.json "[.detections[] | select(.path == \"$T/tree/sub/outer.zip\")] | length == 1" &&
	jqt r.json ".detections[] | select(.path == \"$T/tree/sub/outer.zip\") | .member == [\"in.zip\", \"e.com\"]" &&
	jqt r.json "[.detections[].path] | sort == [\"$T/tree/names/<img src=x onerror=alert(1)>.exe\", \"$T/tree/plain.com\", \"$T/tree/sub/outer.zip\"]"
'

test_expect_success 'json: every detection has the sha256, sha1 and md5 of the EICAR bytes' '
	jqt r.json "all(.detections[]; .sha256 == \"$eicar_sha\" and (.sha256 | test(\"^[0-9a-f]{64}$\")))" &&
	jqt r.json "all(.detections[]; .sha1 == \"$(sha1sum e.com | cut -d" " -f1)\" and .md5 == \"$(md5sum e.com | cut -d" " -f1)\" and .size == 68)" &&
	jqt r.json "all(.detections[]; .name == \"EICAR_Test_File\" and .action == \"reported\" and .allowed_by == null)"
'

test_expect_success 'jsonl: each line is JSON valid against its $defs record; 1 + detections + errors + files lines' '
	test -f "$SCHEMA" && report_check jsonl r.jsonl r.json "$SCHEMA" &&
	test "$(wc -l <r.jsonl)" -eq $((1 + 3 + 0 + nfiles)) &&
	head -n1 r.jsonl | jq -e ".record == \"scan\" and .scan_id == $scan1 and .report.format == \"jsonl\"" >/dev/null
'

test_expect_success 'csv: CRLF, header, file rows name every file (hostile names too), no formula cells' '
	report_check csv r.csv tree &&
	head -n1 r.csv | od -c | grep -q "\\\\r  *\\\\n" &&
	test "$(grep -c "^file," r.csv)" -eq "$nfiles" &&
	test "$(grep -c "^detection," r.csv)" -eq 3
'

test_expect_success 'csv: a case id and an examiner that start with = and @ get one leading quote' '
	expect_exit 1 vigil scan custom tree/plain.com --case "=HYPERLINK(\"http://x\",\"y\")" \
		--examiner "@SUM(1+1)" --report csv:f.csv >/dev/null &&
	report_check csv-cell f.csv custody.case_id "=HYPERLINK(\"http://x\",\"y\")" &&
	report_check csv-cell f.csv custody.examiner "@SUM(1+1)" &&
	grep -q "^custody,[0-9]*,custody.case_id,\"'"'"'=HYPERLINK" f.csv &&
	grep -q "^custody,$scan1,custody.examiner,Ann O'"'"'Neil,,," r.csv
'

test_expect_success 'bodyfile: 11 fields a line; name, inode, size, uid, gid, times, mode and MD5 match stat' '
	test "$(wc -l <r.body)" -eq "$nfiles" &&
	report_check bodyfile r.body tree &&
	grep -qF "|$T/tree/names/a\\|b\\\\c.txt|" r.body &&
	grep -qF "|$T/tree/names/=cmd,\"x\"\\ny.txt|" r.body &&
	grep -qF "|$T/tree/names/tab\\there\\x01.txt|" r.body
'

test_expect_success 'json: the inventory has one entry per regular file, with its digests' '
	test "$nfiles" -eq 7 &&
	jqt r.json ".inventory | length == $nfiles" &&
	report_check inventory r.json tree
'

test_expect_success 'vigil report renders each format again byte for byte; the line passes sha256sum -c' '
	for f in json jsonl csv bodyfile; do
		ext=$f; [ $f = bodyfile ] && ext=body
		vigil report $scan1 --format $f --out again.$ext >line || exit 1
		sha256sum -c line || exit 1
		cmp r.$ext again.$ext || exit 1
		test "$(cut -d" " -f1 line)" = "$(sha256sum r.$ext | cut -d" " -f1)" || exit 1
	done &&
	vigil report $scan1 --format json --out again2.json >line2 && cmp r.json again2.json &&
	test "$(cut -d" " -f1 line2)" = "$(cut -d" " -f1 sums | head -n1)"
'

test_expect_success 'vigil report --out - writes to stdout and the SHA-256 line to stderr' '
	vigil report $scan1 --format csv --out - >std.csv 2>std.err &&
	cmp std.csv r.csv &&
	test "$(cat std.err)" = "$(sha256sum r.csv | cut -d" " -f1)  -"
'

test_expect_success 'scan --json lists the reports with scan_id, format, path, sha256 and bytes' '
	expect_exit 1 vigil scan custom tree/plain.com --json --report json:j.json --report csv:j.csv >s.json &&
	id=$(jq .scan_id s.json) &&
	jqt s.json ".reports | length == 2" &&
	jqt s.json ".reports[0] == {scan_id: $id, format: \"json\", path: \"j.json\", sha256: \"$(sha256sum j.json | cut -d" " -f1)\", bytes: $(wc -c <j.json)}" &&
	jqt s.json ".reports[1] == {scan_id: $id, format: \"csv\", path: \"j.csv\", sha256: \"$(sha256sum j.csv | cut -d" " -f1)\", bytes: $(wc -c <j.csv)}"
'

test_expect_success 'report verify: OK for a report this store wrote; exit 2 once one byte changes' '
	vigil report verify r.json >v.out && grep -q "^OK: report [0-9]* of scan $scan1 " v.out &&
	vigil report verify again.body >v.out && grep -q "^OK: report [0-9]* of scan $scan1 (bodyfile" v.out &&
	cp r.json changed.json && printf "X" | dd of=changed.json bs=1 seek=10 conv=notrunc 2>/dev/null &&
	! cmp -s r.json changed.json &&
	expect_exit 2 vigil report verify changed.json 2>v.err && grep -q "changed.json" v.err &&
	printf "{}" >other.json && expect_exit 2 vigil report verify other.json 2>/dev/null &&
	expect_exit 2 vigil report verify nosuchfile 2>v.err && grep -q nosuchfile v.err
'

mkdir -p tgt && touch afile
# fails_clean WHAT CMD...: CMD exits 2, stderr names WHAT, and tgt/ and . hold no new file.
fails_clean() {
	local what=$1
	shift
	ls -A . | grep -v -e "^err.txt$" -e "^before.ls$" >before.ls
	expect_exit 2 "$@" >/dev/null 2>err.txt || return 1
	grep -qF -- "$what" err.txt || { echo "stderr does not name $what:" >&2; cat err.txt >&2; return 1; }
	test -z "$(ls -A tgt)" || { echo "left in tgt/: $(ls -A tgt)" >&2; return 1; }
	ls -A . | grep -v -e "^err.txt$" -e "^before.ls$" | diff before.ls - >&2 || return 1
	no_temp .
}

test_expect_success 'report errors: unknown scan id, unknown format, no folder; exit 2, nothing left' '
	fails_clean "no scan with id 99" vigil report 99 --format json --out tgt/x.json &&
	fails_clean "pdf" vigil report $scan1 --format pdf --out tgt/x.pdf &&
	fails_clean "nodir/x.json" vigil report $scan1 --format json --out tgt/nodir/x.json
'

test_expect_success 'report errors: an unwritable target (file as folder, /proc, a folder) exits 2, no temp file' '
	fails_clean "afile/x.json" vigil report $scan1 --format json --out afile/x.json &&
	fails_clean "/proc/x.json" vigil report $scan1 --format json --out /proc/x.json &&
	mkdir -p d2/sub && expect_exit 2 vigil report $scan1 --format json --out d2/sub 2>err.txt &&
	grep -q "d2/sub" err.txt && test "$(ls -A d2)" = sub && test -z "$(ls -A d2/sub)"
'

test_expect_success 'report errors: a bodyfile of a scan without --inventory says so, writes nothing' '
	expect_exit 1 vigil scan custom tree/plain.com --report json:noinv.json >/dev/null &&
	id=$(jq .scan.scan_id noinv.json) &&
	fails_clean "has no inventory" vigil report $id --format bodyfile --out tgt/x.body &&
	jqt noinv.json ".inventory == null and .scan.inventory == false"
'

test_expect_success 'scan --report with an unknown format or a missing folder fails before scanning' '
	n=$(nscans) &&
	fails_clean "bogus" vigil scan custom tree --report bogus:tgt/x &&
	fails_clean "/nonexistent/dir" vigil scan custom tree --report json:/nonexistent/dir/x.json &&
	fails_clean "afile" vigil scan custom tree --report json:tgt/ok.json --report json:afile/x.json &&
	test "$(nscans)" -eq "$n" || { echo "a scan was recorded: it ran before the error" >&2; exit 1; }
'

test_expect_success 'scan --report bodyfile without --inventory fails before scanning' '
	n=$(nscans) &&
	fails_clean "inventory" vigil scan custom tree/plain.com --report bodyfile:tgt/x.body &&
	test "$(nscans)" -eq "$n" || { echo "a scan was recorded: it ran before the error" >&2; exit 1; }
'

test_expect_success 'a report onto a FIFO is refused at once: exit 2 naming it, the FIFO left as it is' '
	mkfifo fifo &&
	expect_exit 2 timeout 20 "$VIGIL" report $scan1 --format json --out fifo >out 2>err &&
	cat err && test ! -s out &&
	grep -q "cannot write .*fifo.*: it is a FIFO, not a file" err &&
	test -p fifo && no_temp .
'
rm -f fifo

mkdir -p lim
head -c 100 /dev/zero >lim/big.bin
eicar lim/small.com
test_expect_success 'a file over --max-filesize is in errors[] as skipped and in problems_by_kind' '
	expect_exit 1 vigil scan custom lim --max-filesize 80 --inventory --report json:lim.json \
		--report jsonl:lim.jsonl --report csv:lim.csv >/dev/null &&
	report_check schema lim.json "$SCHEMA" &&
	jqt lim.json ".errors == [{path: \"$T/lim/big.bin\", member: [], kind: \"skipped\", reason: .errors[0].reason}]" &&
	jqt lim.json ".errors[0].reason | test(\"100\") and test(\"80\")" &&
	jqt lim.json ".totals.problems_by_kind == {skipped: 1} and .totals.skipped == 1" &&
	jqt lim.json ".scan.options.max_filesize == 80 and (.detections | length) == 1" &&
	report_check jsonl lim.jsonl lim.json "$SCHEMA" &&
	grep -q "^error,[0-9]*,,,$T/lim/big.bin,.*,skipped,larger" lim.csv
'

mkdir -p odd
eicar "$(printf 'odd/bad\377.txt')"
test_expect_success 'a name that is not UTF-8 has path_b64 with the exact bytes (detection and inventory)' '
	expect_exit 1 vigil scan custom odd --inventory --report json:odd.json --report bodyfile:odd.body >/dev/null &&
	report_check schema odd.json "$SCHEMA" &&
	printf "%s/odd/bad\377.txt" "$T" >want &&
	jq -r ".detections[0].path_b64" odd.json | base64 -d >got && cmp got want &&
	jq -r ".inventory[0].path_b64" odd.json | base64 -d >got && cmp got want &&
	jqt odd.json ".detections[0].path | startswith(\"$T/odd/bad\")" &&
	report_check bodyfile odd.body odd &&
	report_check inventory odd.json odd
'

mkdir -p twins
eicar "$(printf 'twins/x\377')"
eicar 'twins/x\xff'
test_expect_success 'csv keeps apart a name with a byte 0xff and a name with the text \xff' '
	expect_exit 1 vigil scan custom twins --inventory --report csv:twins.csv --report bodyfile:twins.body >/dev/null &&
	report_check bodyfile twins.body twins &&
	report_check csv-distinct twins.csv
'

test_expect_success 'scan --report: the same FILE twice, or a folder as FILE, exit 2 before scanning' '
	before=$(nscans) && mkdir -p adir &&
	expect_exit 2 vigil scan custom tree --report json:same.out --report csv:same.out 2>err1 &&
	grep -q "given twice" err1 &&
	expect_exit 2 vigil scan custom tree --report json:adir 2>err2 &&
	grep -q "adir.*folder" err2 &&
	touch afile && expect_exit 2 vigil scan custom tree --report json:afile/x.json 2>err3 &&
	grep -q -e "Not a directory" -e "is not a folder" err3 &&
	test "$(nscans)" -eq "$before" && test ! -e same.out
'

test_expect_success 'report onto /dev/full: exit 2 naming it, and /dev/full is still the device' '
	expect_exit 2 vigil report "$scan1" --format json --out /dev/full 2>err &&
	grep -q "/dev/full" err && test -c /dev/full
'

test_done
