#!/usr/bin/env bash
# Exclusions by path, extension and name, from the command line, the store and the config;
# excluded folders are not entered; --ignore-exclusions; `exclusion explain`.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil reports resolved paths


# found FILE: the sorted paths of the threats in a --json scan, relative to $T/t/.
found() { jq -r '.threats[].path' "$1" | sed "s|^$T/t/||" | sort | tr '\n' ' '; }

mkdir -p t/skipdir t/other
eicar t/skipdir/a.com
for d in 0 1 2; do
	mkdir -p t/skipdir/many$d
	(cd t/skipdir/many$d && seq 1 1000 | split -l 1 -a 3 - f)
done
eicar t/other/b.exe
eicar t/other/c.vir
eicar t/other/secret-x.txt
eicar t/other/plain.com
echo clean >t/other/clean.txt
all="other/b.exe other/c.vir other/plain.com other/secret-x.txt skipdir/a.com "

test_expect_success 'without exclusions all five EICAR copies are found' '
	expect_exit 1 vigil --json scan custom t >out.json &&
	test "$(found out.json)" = "$all" &&
	jqt out.json ".files_scanned == 3006 and .excluded == 0"
'

test_expect_success '--exclude-path: the folder is not entered' '
	expect_exit 1 vigil --json scan custom t --exclude-path t/skipdir >out.json &&
	test "$(found out.json)" = "other/b.exe other/c.vir other/plain.com other/secret-x.txt " &&
	jqt out.json ".files_scanned == 5 and .excluded == 1"
'

test_expect_success '--exclude-ext: files with that extension are not scanned' '
	expect_exit 1 vigil --json scan custom t --exclude-ext exe >out.json &&
	test "$(found out.json)" = "other/c.vir other/plain.com other/secret-x.txt skipdir/a.com " &&
	jqt out.json ".excluded == 1"
'

test_expect_success '--exclude-name: files matching the glob are not scanned' '
	expect_exit 1 vigil --json scan custom t --exclude-name "secret-*" >out.json &&
	test "$(found out.json)" = "other/b.exe other/c.vir other/plain.com skipdir/a.com " &&
	jqt out.json ".excluded == 1"
'

test_expect_success 'the three kinds together from the command line' '
	expect_exit 1 vigil scan custom t --exclude-path "$T/t/skipdir" --exclude-ext exe \
		--exclude-name "secret-*" >out &&
	test "$(grep -c FOUND out)" -eq 2 &&
	grep -qF "$T/t/other/c.vir: EICAR_Test_File FOUND" out &&
	grep -qF "$T/t/other/plain.com: EICAR_Test_File FOUND" out
'

test_expect_success 'stored exclusions (exclusion add) of each kind are honoured' '
	vigil exclusion add --path t/skipdir &&
	vigil exclusion add --ext vir &&
	vigil exclusion add --name "secret-*" &&
	vigil --json exclusion list >list.json &&
	jqt list.json "[.exclusions[] | select(.origin == \"store\") | [.kind, .value]] | sort == [[\"ext\", \"vir\"], [\"name\", \"secret-*\"], [\"path\", \"$T/t/skipdir\"]]" &&
	expect_exit 1 vigil --json scan custom t >out.json &&
	test "$(found out.json)" = "other/b.exe other/plain.com " &&
	jqt out.json ".files_scanned == 3 and .excluded == 3"
'

test_expect_success 'exclusion explain names the stored exclusion and its origin' '
	vigil exclusion explain t/other/c.vir >out &&
	grep -q "ext exclusion .vir." out && grep -q "store" out && ! grep -q "not excluded" out &&
	vigil --json exclusion explain t/skipdir/a.com >out.json &&
	jqt out.json ".excluded == true and .path == \"$T/t/skipdir/a.com\"" &&
	jqt out.json ".by.kind == \"path\" and .by.origin == \"store\" and .by.value == \"$T/t/skipdir\"" &&
	vigil --json exclusion explain t/other/secret-x.txt >out.json &&
	jqt out.json ".by.kind == \"name\" and .by.origin == \"store\" and .by.value == \"secret-*\""
'

test_expect_success '--ignore-exclusions scans everything, each file once' '
	expect_exit 1 vigil --json scan custom t --ignore-exclusions --exclude-ext com >out.json &&
	test "$(found out.json)" = "$all" &&
	jqt out.json ".threats | length == 5" &&
	jqt out.json ".files_scanned == 3006 and .excluded == 0"
'

test_expect_success 'exclusion remove deletes stored exclusions; removing a missing one exits 2' '
	vigil exclusion remove --path t/skipdir &&
	vigil exclusion remove --ext vir &&
	vigil exclusion remove --name "secret-*" &&
	vigil --json exclusion list >list.json &&
	jqt list.json "[.exclusions[] | select(.origin == \"store\")] == []" &&
	expect_exit 2 vigil exclusion remove --ext vir 2>err &&
	grep -q "vir" err &&
	expect_exit 2 vigil exclusion remove --path "$T/t/no-such-dir" 2>err &&
	grep -q "no-such-dir" err &&
	expect_exit 1 vigil --json scan custom t >out.json &&
	test "$(found out.json)" = "$all"
'

test_expect_success 'config antivirus_engine.exclusions of each kind are honoured' '
	vigil config set antivirus_engine.exclusions \
		"[{\"path\": \"$T/t/skipdir\", \"is_directory\": true}, {\"extension\": \"exe\"}, {\"name\": \"*.vir\"}]" &&
	vigil --json exclusion list >list.json &&
	jqt list.json "[.exclusions[] | select(.origin == \"config\") | .kind] | sort == [\"ext\", \"name\", \"path\"]" &&
	expect_exit 1 vigil --json scan custom t >out.json &&
	test "$(found out.json)" = "other/plain.com other/secret-x.txt " &&
	jqt out.json ".files_scanned == 3 and .excluded == 3"
'

test_expect_success 'exclusion explain names the config exclusion and its origin' '
	vigil exclusion explain t/other/c.vir >out &&
	grep -q "name exclusion .\*\.vir." out && grep -q "config" out &&
	grep -q "antivirus_engine.exclusions\[2\]" out &&
	vigil --json exclusion explain t/other/b.exe >out.json &&
	jqt out.json ".excluded == true and .by.kind == \"ext\" and .by.origin == \"config\" and .by.value == \"exe\" and .by.ref == \"antivirus_engine.exclusions[1]\"" &&
	vigil --json exclusion explain t/skipdir/many1/faaa >out.json &&
	jqt out.json ".by.kind == \"path\" and .by.origin == \"config\" and .by.matched == \"$T/t/skipdir\""
'

test_expect_success 'exclusion explain names a command-line exclusion' '
	vigil --json exclusion explain t/other/plain.com --exclude-name "plain.*" >out.json &&
	jqt out.json ".excluded == true and .by.kind == \"name\" and .by.origin == \"command line\" and .by.value == \"plain.*\"" &&
	vigil exclusion explain t/other/plain.com --exclude-ext com >out &&
	grep -q "ext exclusion .com." out && grep -q "command line" out
'

test_expect_success 'exclusion explain says "not excluded" for a path nothing excludes' '
	expect_exit 0 vigil exclusion explain t/other/plain.com >out &&
	grep -q "not excluded" out &&
	vigil --json exclusion explain t/other/plain.com >out.json &&
	jqt out.json ".excluded == false and .path == \"$T/t/other/plain.com\""
'

test_expect_success '--ignore-exclusions also overrides config exclusions' '
	expect_exit 1 vigil --json scan custom t --ignore-exclusions >out.json &&
	test "$(found out.json)" = "$all"
'

mkdir -p g/a1 g/a2 g/b
eicar g/a1/x.com
eicar g/a2/x.com
eicar g/b/x.com
tar -C g -czf g/b/y.tar.gz a1
gzip -c g/b/x.com >g/b/z.gz
test_expect_success '--exclude-path with a glob skips every matching folder' '
	expect_exit 1 vigil --json scan custom g --exclude-path "$T/g/a*" >out.json &&
	jqt out.json "[.threats[].path] | sort == [\"$T/g/b/x.com\", \"$T/g/b/y.tar.gz\", \"$T/g/b/z.gz\"]" &&
	jqt out.json ".excluded == 2"
'

test_expect_success '--exclude-ext tar.gz skips only .tar.gz; --exclude-ext gz skips both' '
	expect_exit 1 vigil --json scan custom g/b --exclude-ext tar.gz >out.json &&
	jqt out.json "[.threats[].path] | sort == [\"$T/g/b/x.com\", \"$T/g/b/z.gz\"]" &&
	expect_exit 1 vigil --json scan custom g/b --exclude-ext .gz >out.json &&
	jqt out.json "[.threats[].path] == [\"$T/g/b/x.com\"]"
'

test_expect_success 'the state folder is always skipped (built-in), even with --ignore-exclusions' '
	mkdir -p "$VIGIL_STATE_DIR" &&
	eicar "$VIGIL_STATE_DIR/planted.com" &&
	expect_exit 1 vigil --json scan custom g >/dev/null &&
	expect_exit 1 vigil --json scan custom . --ignore-exclusions >out.json &&
	jqt out.json "[.threats[].path | select(startswith(\"$VIGIL_STATE_DIR\"))] == []" &&
	jqt out.json "[.threats[].path] | index(\"$T/g/b/x.com\") != null" &&
	vigil --json exclusion explain "$VIGIL_STATE_DIR/planted.com" >ex.json &&
	jqt ex.json ".excluded == true and .by.origin == \"built-in\" and .by.kind == \"path\"" &&
	rm -f "$VIGIL_STATE_DIR/planted.com"
'

mkdir -p nm/node_modules/deep
eicar nm/node_modules/deep/x.com
eicar nm/y.com
test_expect_success '--exclude-name matching a folder name skips the whole folder' '
	expect_exit 1 vigil --json scan custom nm --exclude-name node_modules >out.json &&
	jqt out.json "[.threats[].path] == [\"$T/nm/y.com\"] and .excluded == 1" &&
	vigil --json exclusion explain nm/node_modules/deep/x.com --exclude-name node_modules >ex.json &&
	jqt ex.json ".excluded == true and .by.kind == \"name\" and .by.matched == \"$T/nm/node_modules\""
'

test_done
