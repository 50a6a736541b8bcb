#!/usr/bin/env bash
# sigdb import/list/info/remove: new rules detect, sig_version goes up, a bad rule file
# changes nothing and is named with its line, and the large real-world rule sets load.
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil reports resolved paths


mkdir -p t
eicar t/e.com
echo "hello VIGIL-E2E-MARKER-1 world" >t/m1.txt
echo "hello VIGIL-E2E-MARKER-2 world" >t/m2.txt
echo "hello VIGIL-E2E-MARKER-3 world" >t/m3.txt
echo "nothing here" >t/clean.txt

# marker_rule NAME MARKER: a good YARA rule matching MARKER.
marker_rule() {
	printf 'rule %s\n{\n    meta:\n        author = "e2e"\n    strings:\n        $m = "%s"\n    condition:\n        $m\n}\n' "$1" "$2"
}
marker_rule Custom_Marker_One VIGIL-E2E-MARKER-1 >good.yar
# A syntax error on line 6 (a dangling "and"), reported by YARA at line 6 or 7.
printf 'rule Custom_Marker_Two\n{\n    strings:\n        $m = "VIGIL-E2E-MARKER-2"\n    condition:\n        $m and\n}\n' >bad.yar
mkdir -p mixed
marker_rule Custom_Marker_Two VIGIL-E2E-MARKER-2 >mixed/a-good.yar
cp bad.yar mixed/b-bad.yar
marker_rule Custom_Marker_Three VIGIL-E2E-MARKER-3 >mixed/c-good.yar

test_expect_success 'sigdb info and list show the embedded default rules' '
	vigil --json sigdb info >info.json &&
	jqt info.json "(.sig_version | type) == \"number\" and .rules == 5 and (.rules_digest | test(\"^[0-9a-f]{64}$\"))" &&
	vigil sigdb info >out &&
	grep -q "^rules: 5" out &&
	vigil --json sigdb list >list.json &&
	jqt list.json "[.sources[].name] == [\"vigil\"]" &&
	expect_exit 1 vigil --json scan custom t >out.json &&
	test "$(names out.json)" = "EICAR_Test_File e.com;"
'

v0=$(sigver)
test_expect_success 'importing a good .yar adds a rule that detects the marker; sig_version goes up' '
	vigil sigdb import good.yar >out &&
	grep -q "1 rules" out &&
	test "$(sigver)" -gt "$v0" &&
	vigil --json sigdb info >info.json &&
	jqt info.json ".rules == 6" &&
	expect_exit 1 vigil --json scan custom t >out.json &&
	test "$(names out.json)" = "Custom_Marker_One m1.txt;EICAR_Test_File e.com;" &&
	jqt out.json ".sig_version == $(sigver)" &&
	jqt out.json "[.threats[] | select(.name == \"Custom_Marker_One\") | .meta.author] == [\"e2e\"]"
'

test_expect_success 'sigdb list names the imported source with its rule count' '
	vigil --json sigdb list >list.json &&
	jqt list.json "[.sources[] | select(.name == \"good.yar\") | .rules] == [1]" &&
	vigil sigdb list >out &&
	grep -q "^good.yar" out
'

test_expect_success 'a rule file with a syntax error exits 2 with file:line: and changes nothing' '
	v=$(sigver) &&
	rc=0; vigil sigdb import bad.yar >out 2>err || rc=$?
	cat err
	test "$rc" -eq 2 &&
	grep -qE "bad\.yar:[67]:" err &&
	test "$(sigver)" = "$v" &&
	expect_exit 1 vigil --json scan custom t >out.json &&
	test "$(names out.json)" = "Custom_Marker_One m1.txt;EICAR_Test_File e.com;" &&
	vigil --json sigdb list >list.json &&
	jqt list.json "[.sources[].name] | index(\"bad.yar\") == null"
'

test_expect_success 'a folder with good and bad files imports nothing and names the bad file' '
	v=$(sigver) &&
	rc=0; vigil sigdb import mixed >out 2>err || rc=$?
	cat err
	test "$rc" -eq 2 &&
	grep -q "b-bad\.yar:[0-9]*:" err &&
	test "$(sigver)" = "$v" &&
	vigil --json sigdb list >list.json &&
	jqt list.json "[.sources[].name] | (index(\"a-good.yar\") == null and index(\"c-good.yar\") == null)" &&
	expect_exit 1 vigil --json scan custom t >out.json &&
	test "$(names out.json)" = "Custom_Marker_One m1.txt;EICAR_Test_File e.com;"
'

test_expect_success 'once the bad file is gone the folder imports all its good files' '
	rm mixed/b-bad.yar &&
	v=$(sigver) &&
	vigil sigdb import mixed &&
	test "$(sigver)" -gt "$v" &&
	expect_exit 1 vigil --json scan custom t >out.json &&
	test "$(names out.json)" = "Custom_Marker_One m1.txt;Custom_Marker_Three m3.txt;Custom_Marker_Two m2.txt;EICAR_Test_File e.com;"
'

test_expect_success 'sigdb remove drops a source: its rule stops detecting, sig_version goes up' '
	v=$(sigver) &&
	vigil sigdb remove good.yar &&
	test "$(sigver)" -gt "$v" &&
	vigil --json sigdb list >list.json &&
	jqt list.json "[.sources[].name] | index(\"good.yar\") == null" &&
	expect_exit 1 vigil --json scan custom t >out.json &&
	test "$(names out.json)" = "Custom_Marker_Three m3.txt;Custom_Marker_Two m2.txt;EICAR_Test_File e.com;"
'

test_expect_success 'sigdb remove of a source that is not there exits 2 naming it' '
	expect_exit 2 vigil sigdb remove good.yar 2>err &&
	grep -q "good.yar" err
'

test_expect_success 'importing a file that does not exist exits 2 and changes nothing' '
	v=$(sigver) &&
	expect_exit 2 vigil sigdb import no-such.yar 2>err &&
	grep -q "no-such.yar" err &&
	test "$(sigver)" = "$v"
'

test_expect_success 'the first import into a fresh state still raises sig_version above the embedded one' '
	v_embedded=$(vigil --state-dir fresh-a --json sigdb info | jq -r .sig_version) &&
	vigil --state-dir fresh-b sigdb import good.yar &&
	vigil --state-dir fresh-b --json sigdb info >info.json &&
	v_import=$(jq -r .sig_version info.json) &&
	echo "embedded rules: sig_version $v_embedded; after the first import: $v_import ($(jq -r .rules info.json) rules)" &&
	test "$v_import" -gt "$v_embedded"
'

printf 'rule Ext_Var_Filename\n{\n    condition:\n        filename == "ext-var-trigger.txt" and filepath endswith "/ev"\n}\n' >ev.yar
printf 'rule Ext_Var_Extension\n{\n    condition:\n        extension == ".xyz"\n}\n' >>ev.yar
mkdir -p ev && echo hi >ev/ext-var-trigger.txt && echo hi >ev/other.txt && echo hi >ev/UPPER.XYZ
test_expect_success 'rules using the filename, filepath and extension external variables see the scanned file' '
	vigil sigdb import ev.yar &&
	expect_exit 1 vigil --json scan custom ev >out.json &&
	jqt out.json "[.threats[] | [.name, .path]] == [[\"Ext_Var_Extension\", \"$T/ev/UPPER.XYZ\"], [\"Ext_Var_Filename\", \"$T/ev/ext-var-trigger.txt\"]]" &&
	vigil sigdb remove ev.yar
'

large=$repo/../shared/yara/large.yar
extvars=$repo/../shared/yara/ext-vars.yar
if [ -f "$large" ] && [ -f "$extvars" ]; then
	test_expect_success 'large.yar (5234 signature-base rules) imports' '
		vigil sigdb import "$large" >out &&
		grep -q "5234 rules" out
	'
	test_expect_success 'ext-vars.yar (rules with external variables) imports' '
		vigil sigdb import "$extvars" >out &&
		grep -q "649 rules" out &&
		vigil --json sigdb info >info.json &&
		jqt info.json ".rules >= 5234 + 649 + 7"
	'
	test_expect_success 'a scan with all of them loaded works and still finds EICAR and the markers' '
		rc=0; vigil --json scan custom t >out.json || rc=$?
		echo "scan exited $rc" &&
		test "$rc" -eq 1 &&
		jqt out.json ".errors == 0 and .files_scanned == 5" &&
		jqt out.json "[.threats[] | select(.path == \"$T/t/e.com\") | .name] | index(\"EICAR_Test_File\") != null" &&
		jqt out.json "[.threats[] | select(.name | startswith(\"Custom_Marker\"))] | length == 2" &&
		jqt out.json "[.threats[] | select(.path == \"$T/t/clean.txt\")] == []"
	'
else
	test_skip 'large.yar and ext-vars.yar import and scan' "$repo/../shared/yara/ not present"
fi

test_expect_success 'a detection in a text file reports its full type (text/x-php, not text/plain)' '
	mkdir -p php && printf "<?php\n@eval(base64_decode(\$_POST[\"x\"]));\n?>\n" >php/shell.php &&
	expect_exit 1 vigil --json scan custom php >php.json &&
	jq -e "[.threats[] | select(.name == \"Webshell_PHP_Eval_Request\") | .type] == [\"text/x-php\"]" php.json
'
test_expect_success 'a rule comparing filetype sees the type of text files (PHP) and binaries (ELF)' '
	mkdir -p ft && printf "<?php echo 1; ?>\n" >ft/page.php && cp /bin/true ft/prog &&
	echo "plain words" >ft/note.txt &&
	cat >ft.yar <<-EOF &&
	rule FT_PHP { condition: filetype == "PHP" }
	rule FT_ELF { condition: filetype == "ELF" }
	EOF
	vigil sigdb import ft.yar &&
	expect_exit 1 vigil --json scan custom ft >ft.json &&
	jq -e "[.threats[] | select(.name == \"FT_PHP\") | .path] == [\"$T/ft/page.php\"]" ft.json &&
	jq -e "[.threats[] | select(.name == \"FT_ELF\") | .path] == [\"$T/ft/prog\"]" ft.json &&
	vigil sigdb remove ft.yar
'
test_expect_success 'sigdb import --skip-bad leaves out the bad rule file and bad hash lines, imports the rest, and says so' '
	mkdir -p sb && printf "rule SkipBad_Good { strings: \$a = \"SKIPBADMARK\" condition: \$a }\n" >sb/a.yar &&
	printf "rule SkipBad_Bad { condition: nope }\n" >sb/b.yar &&
	echo "listed payload" >listed.bin &&
	printf "%s:*:SkipBad.Listed\nnot-a-hash\n" "$(sha256sum listed.bin | cut -d" " -f1)" >sb/c.hsb &&
	expect_exit 2 vigil sigdb import sb 2>err1 &&
	grep -q "sb/b.yar:1:" err1 && grep -q "sb/c.hsb:2:" err1 &&
	vigil --json sigdb import sb --skip-bad >sb.json 2>err2 &&
	jq -e "[.imported[].name] == [\"a.yar\", \"c.hsb\"] and (.skipped | length) == 2" sb.json &&
	grep -q "skipped .*b.yar" err2 && grep -q "skipped 1 malformed lines" err2 &&
	echo SKIPBADMARK >mark.txt &&
	expect_exit 1 vigil --json scan custom mark.txt listed.bin >s.json &&
	jq -e "[.threats[].name] | sort == [\"SkipBad.Listed\", \"SkipBad_Good\"]" s.json &&
	vigil sigdb remove a.yar && vigil sigdb remove c.hsb
'
test_expect_success 'sigdb rollback walks back through the versions, then says there is nothing earlier' '
	export VIGIL_STATE_DIR="$T/rb-state" &&
	printf "rule RB_One { strings: \$a = \"RBMARK1\" condition: \$a }\n" >rb1.yar &&
	printf "rule RB_Two { strings: \$a = \"RBMARK2\" condition: \$a }\n" >rb2.yar &&
	echo RBMARK1 >rbm1 && echo RBMARK2 >rbm2 &&
	expect_exit 2 vigil sigdb rollback 2>/dev/null &&
	vigil -q sigdb import rb1.yar && vigil -q sigdb import rb2.yar &&
	vigil --json scan custom rbm1 rbm2 | jq -e "[.threats[].name] == [\"RB_One\", \"RB_Two\"]" &&
	vigil --json sigdb rollback >r1.json && jq -e ".restored == 2 and .sig_version == 4" r1.json &&
	vigil --json scan custom rbm1 rbm2 | jq -e "[.threats[].name] == [\"RB_One\"] and .sig_version == 4" &&
	vigil --json sigdb rollback >r2.json && jq -e ".restored == 1" r2.json &&
	expect_exit 0 vigil --json scan custom rbm1 rbm2 >s.json &&
	jq -e ".threats == []" s.json &&
	expect_exit 2 vigil sigdb rollback 2>err && grep -q "no earlier signature version" err &&
	vigil --json sigdb list | jq -e "[.sources[].name] == [\"vigil\"]"
'
test_expect_success 'filename IOCs (LOKI format): a path that matches is a detection with description and score' '
	export VIGIL_STATE_DIR="$T/fioc-state" &&
	mkdir -p fi/Windows/Temp fi/ok && touch fi/Windows/Temp/evil.exe fi/ok/readme.txt fi/ok/mimikatz.log &&
	printf "# Suspicious tools in a temp folder\n/Windows/Temp/[a-z]{1,10}\\.exe;70\n\n# Mimikatz output\nmimi[a-z]{0,4}\\.log;80\n" >filename-iocs.txt &&
	vigil --json sigdb import filename-iocs.txt | jq -e ".imported[0].kind == \"filenames\" and .imported[0].rules == 2" &&
	(cd fi && zip -q ../fi.zip ok/mimikatz.log) && mv fi.zip fi/ok/archive.zip &&
	expect_exit 1 vigil --json scan custom fi >fi.json &&
	jq -e "[.threats[] | {path, d: .meta.description, s: .meta.score}] == [{\"path\": \"$T/fi/Windows/Temp/evil.exe\", \"d\": \"Suspicious tools in a temp folder\", \"s\": 70}, {\"path\": \"$T/fi/ok/mimikatz.log\", \"d\": \"Mimikatz output\", \"s\": 80}]" fi.json
'
test_expect_success 'a filename IOC that is not a valid pattern fails the import naming its line' '
	printf "# fine\nok[a-z]+;50\nbad(regex;60\n" >bad-filename-iocs.txt &&
	expect_exit 2 vigil sigdb import bad-filename-iocs.txt 2>err &&
	grep -q "bad-filename-iocs.txt:3:" err
'
test_expect_success 'YARA modules work: elf, math and hash rules match only where they should' '
	export VIGIL_STATE_DIR="$T/mod-state" &&
	mkdir -p mod && cp /bin/true mod/prog && head -c 65536 /dev/urandom >mod/random.bin &&
	echo "plain words" >mod/words.txt &&
	md5=$(md5sum mod/words.txt | cut -d" " -f1) &&
	cat >mod.yar <<-EOF &&
	import "elf"
	import "math"
	import "hash"
	rule Mod_ELF_x86_64 { condition: elf.type == elf.ET_DYN and elf.machine == elf.EM_X86_64 }
	rule Mod_High_Entropy { condition: filesize > 4096 and math.entropy(0, filesize) > 7.9 }
	rule Mod_Hash_MD5 { condition: hash.md5(0, filesize) == "$md5" }
	EOF
	vigil sigdb import mod.yar >/dev/null &&
	expect_exit 1 vigil --json scan custom mod >mod.json &&
	jq -e "[.threats[] | [(.path | split(\"/\") | last), .name]] | sort == [[\"prog\", \"Mod_ELF_x86_64\"], [\"random.bin\", \"Mod_High_Entropy\"], [\"words.txt\", \"Mod_Hash_MD5\"]]" mod.json &&
	vigil --json sigdb info | jq -e ".rules == 8 and .compiled_bytes > 0 and .load_ms >= 0"
'
test_expect_success 'the owner external variable is the owner of the scanned file' '
	export VIGIL_STATE_DIR="$T/owner-state" &&
	id nobody >/dev/null 2>&1 || { echo "no user nobody"; exit 1; }
	mkdir -p own && echo a >own/mine && echo b >own/theirs && chown nobody own/theirs &&
	printf "rule Owner_Nobody { condition: owner == \"nobody\" }\n" >owner.yar &&
	vigil -q sigdb import owner.yar &&
	expect_exit 1 vigil --json scan custom own >own.json &&
	jq -e "[.threats[].path] == [\"$T/own/theirs\"]" own.json
'
test_done
