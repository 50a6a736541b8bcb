#!/usr/bin/env bash
# sigdb hash lists: ClamAV .hdb/.hsb, IOC lists (.ioc/.hashes) and named .txt/.csv/.lst
# files import and detect planted files by MD5, SHA-1 or SHA-256 (alone and inside a zip and
# a tar.gz); a wrong SIZE does not match; a malformed line or an empty list changes nothing;
# sigdb info/list/remove know the lists; the allow list lets a hash hit through; and a list
# of 200,000 hashes imports and scans in reasonable time.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil reports resolved paths

hashes() { vigil --json sigdb info | jq -r .hashes; }
md5() { md5sum "$1" | cut -c1-32; }
sha1() { sha1sum "$1" | cut -c1-40; }
sha256() { sha256sum "$1" | cut -c1-64; }
size() { stat -c %s "$1"; }
upper() { printf '%s' "$1" | tr a-f A-F; }
# scan_t: a --json scan of t/ into out.json that must exit 1 (threats found).
scan_t() { expect_exit 1 vigil --json scan custom t >out.json; }

# One planted file per format, each with its own content (so each has its own digests).
mkdir -p t
for n in hdb hdbwrong hsb1 hsb256 hsbflevel iocbare iocnamed csv upper crlf comment lst txt; do
	printf 'vigil e2e planted sample %s\n' "$n" >"t/p-$n.bin"
done
echo "nothing to see here" >t/clean.txt
printf 'vigil e2e planted sample %s\n' notlisted >t/notlisted.bin

# --- each format --------------------------------------------------------------------------------

printf '# ClamAV MD5 list\n%s:%s:Vigil.Test.HDB\n' "$(md5 t/p-hdb.bin)" "$(size t/p-hdb.bin)" >a.hdb
v0=$(sigver)
test_expect_success '.hdb MD5:SIZE:NAME imports, raises sig_version and detects the file by MD5' '
	vigil --json sigdb import a.hdb >imp.json &&
	jqt imp.json "(.imported | length) == 1 and .imported[0].name == \"a.hdb\" and .imported[0].kind == \"hashes\" and .imported[0].hashes == 1 and .hashes == 1" &&
	test "$(sigver)" -gt "$v0" &&
	scan_t &&
	test "$(names out.json)" = "Vigil.Test.HDB p-hdb.bin;" &&
	jqt out.json ".threats[0].namespace == \"a.hdb\" and .threats[0].meta == {\"list\": \"a.hdb\", \"algorithm\": \"md5\"}" &&
	jqt out.json ".threats[0].member == [] and .threats[0].md5 == \"$(md5 t/p-hdb.bin)\""
'

printf '%s:%s:Vigil.Test.WrongSize\n' "$(md5 t/p-hdbwrong.bin)" "$(($(size t/p-hdbwrong.bin) + 1))" >wrong.hdb
test_expect_success '.hdb with the wrong SIZE does not match the file' '
	vigil sigdb import wrong.hdb &&
	scan_t &&
	test "$(names out.json)" = "Vigil.Test.HDB p-hdb.bin;" &&
	jqt out.json "[.threats[] | select(.name == \"Vigil.Test.WrongSize\")] == []"
'

printf '%s:*:Vigil.Test.HSB1\n%s:%s:Vigil.Test.HSB256:73\n%s:*:Vigil.Test.HSBFlevel:51:255\n' \
	"$(sha1 t/p-hsb1.bin)" "$(sha256 t/p-hsb256.bin)" "$(size t/p-hsb256.bin)" \
	"$(sha256 t/p-hsbflevel.bin)" >b.hsb
test_expect_success '.hsb SHA-1 with * size, SHA-256 with a size and a flevel field, and * with flevels' '
	vigil --json sigdb import b.hsb >imp.json &&
	jqt imp.json ".imported[0].hashes == 3" &&
	scan_t &&
	test "$(names out.json)" = "Vigil.Test.HDB p-hdb.bin;Vigil.Test.HSB1 p-hsb1.bin;Vigil.Test.HSB256 p-hsb256.bin;Vigil.Test.HSBFlevel p-hsbflevel.bin;" &&
	jqt out.json "[.threats[] | select(.namespace == \"b.hsb\") | [.name, .meta.algorithm, .meta.list]] | sort == [[\"Vigil.Test.HSB1\", \"sha1\", \"b.hsb\"], [\"Vigil.Test.HSB256\", \"sha256\", \"b.hsb\"], [\"Vigil.Test.HSBFlevel\", \"sha256\", \"b.hsb\"]]"
'

{
	echo "# IOC list: bare hashes and HASH;NAME"
	echo
	echo "   # an indented comment"
	sha256 t/p-iocbare.bin
	printf '%s;Vigil.Test.IOCNamed\n' "$(md5 t/p-iocnamed.bin)"
} >c.ioc
test_expect_success '.ioc bare hash (named after the list) and HASH;NAME, with comments and blank lines' '
	vigil --json sigdb import c.ioc >imp.json &&
	jqt imp.json ".imported[0].hashes == 2" &&
	scan_t &&
	jqt out.json "[.threats[] | select(.path == \"$T/t/p-iocbare.bin\") | [.name, .namespace, .meta.algorithm]] == [[\"c.ioc\", \"c.ioc\", \"sha256\"]]" &&
	jqt out.json "[.threats[] | select(.path == \"$T/t/p-iocnamed.bin\") | [.name, .namespace, .meta.algorithm]] == [[\"Vigil.Test.IOCNamed\", \"c.ioc\", \"md5\"]]"
'

printf 'sha256,name\n%s,Vigil.Test.CSV\n' "$(sha256 t/p-csv.bin)" >d.csv
test_expect_success 'a CSV named directly, with a header line, imports HASH,NAME' '
	vigil --json sigdb import d.csv >imp.json &&
	jqt imp.json ".imported[0].name == \"d.csv\" and .imported[0].hashes == 1" &&
	scan_t &&
	jqt out.json "[.threats[] | select(.path == \"$T/t/p-csv.bin\") | [.name, .namespace, .meta.list]] == [[\"Vigil.Test.CSV\", \"d.csv\", \"d.csv\"]]"
'

{
	printf '# uppercase, CRLF lines\r\n'
	printf '%s;Vigil.Test.Upper\r\n' "$(upper "$(sha256 t/p-upper.bin)")"
	printf '\r\n'
	printf '%s\r\n' "$(upper "$(sha1 t/p-crlf.bin)")"
	printf '%s,Vigil.Test.Comment\r\n' "$(md5 t/p-comment.bin)"
} >e.hashes
test_expect_success '.hashes with upper-case hex and CRLF lines matches (names without a stray CR)' '
	vigil --json sigdb import e.hashes >imp.json &&
	jqt imp.json ".imported[0].hashes == 3" &&
	scan_t &&
	jqt out.json "[.threats[] | select(.path == \"$T/t/p-upper.bin\") | .name] == [\"Vigil.Test.Upper\"]" &&
	jqt out.json "[.threats[] | select(.path == \"$T/t/p-crlf.bin\") | [.name, .meta.algorithm]] == [[\"e.hashes\", \"sha1\"]]" &&
	jqt out.json "[.threats[] | select(.path == \"$T/t/p-comment.bin\") | .name] == [\"Vigil.Test.Comment\"]"
'

sha256 t/p-lst.bin >f.lst
sha256 t/p-txt.bin >g.txt
test_expect_success '.lst and .txt lists import when named directly' '
	vigil sigdb import f.lst && vigil sigdb import g.txt &&
	scan_t &&
	jqt out.json "[.threats[] | select(.path == \"$T/t/p-lst.bin\") | .name] == [\"f.lst\"]" &&
	jqt out.json "[.threats[] | select(.path == \"$T/t/p-txt.bin\") | .name] == [\"g.txt\"]"
'

mkdir -p colon/t
printf 'vigil e2e colon name one\n' >colon/t/one.bin
printf 'vigil e2e colon name two\n' >colon/t/two.bin
printf '%s;Trojan:Win32/Vigil.A!ml\n' "$(sha256 colon/t/one.bin)" >colon/ms.ioc
printf 'sha256,name\n%s,Backdoor:Linux/Vigil.B\n' "$(sha256 colon/t/two.bin)" >colon/ms.csv
test_expect_success 'IOC names with a colon (Defender style Trojan:Win32/X) import and name the hit' '
	vigil --state-dir colon/state sigdb import colon/ms.ioc &&
	vigil --state-dir colon/state sigdb import colon/ms.csv &&
	expect_exit 1 vigil --state-dir colon/state --json scan custom colon/t >colon/out.json &&
	jqt colon/out.json "[.threats[] | [.name, .path]] | sort == [[\"Backdoor:Linux/Vigil.B\", \"$T/colon/t/two.bin\"], [\"Trojan:Win32/Vigil.A!ml\", \"$T/colon/t/one.bin\"]]"
'

all_names="Vigil.Test.HDB p-hdb.bin;Vigil.Test.HSB1 p-hsb1.bin;Vigil.Test.HSB256 p-hsb256.bin;Vigil.Test.HSBFlevel p-hsbflevel.bin;Vigil.Test.IOCNamed p-iocnamed.bin;c.ioc p-iocbare.bin;Vigil.Test.CSV p-csv.bin;Vigil.Test.Upper p-upper.bin;e.hashes p-crlf.bin;Vigil.Test.Comment p-comment.bin;f.lst p-lst.bin;g.txt p-txt.bin;"
all_names=$(printf '%s' "$all_names" | tr ';' '\n' | sort | tr '\n' ';')
test_expect_success 'all lists together: exactly the planted files, not the clean, unlisted or wrong-size ones' '
	scan_t &&
	test "$(names out.json)" = "$all_names" &&
	jqt out.json ".threats_found == 12 and .errors == 0" &&
	jqt out.json "[.threats[] | select(.path == \"$T/t/clean.txt\" or .path == \"$T/t/notlisted.bin\" or .path == \"$T/t/p-hdbwrong.bin\")] == []"
'

test_expect_success 'sigdb info counts the hashes; sigdb list shows each list as kind hashes with its count' '
	vigil --json sigdb info >info.json &&
	jqt info.json ".hashes == 13 and .rules == 5" &&
	vigil --json sigdb list >list.json &&
	jqt list.json "[.sources[] | select(.kind == \"hashes\") | [.name, .rules]] | sort == [[\"a.hdb\", 1], [\"b.hsb\", 3], [\"c.ioc\", 2], [\"d.csv\", 1], [\"e.hashes\", 3], [\"f.lst\", 1], [\"g.txt\", 1], [\"wrong.hdb\", 1]]" &&
	vigil sigdb list >list.txt &&
	grep -q "^b.hsb" list.txt &&
	vigil sigdb info >info.txt &&
	grep -qx "hashes: 13" info.txt
'

# --- inside archives ----------------------------------------------------------------------------

mkdir -p arc/src/dir arc/z arc/tgz arc/nest
cp t/p-hdb.bin arc/src/dir/ && cp t/p-hsb1.bin arc/src/dir/ && cp t/p-iocbare.bin arc/src/ && cp t/clean.txt arc/src/
(cd arc/src && zip -qr ../z/s.zip dir p-iocbare.bin clean.txt && tar czf ../tgz/s.tar.gz dir p-iocbare.bin clean.txt)
(cd arc/src && tar czf ../inner.tar.gz dir && cd .. && zip -q nest/outer.zip inner.tar.gz)
test_expect_success 'hash hits inside a zip: member chain and names, the clean member not reported' '
	expect_exit 1 vigil --json scan custom arc/z >z.json &&
	jqt z.json "[.threats[] | [.path, .member, .name, .meta.algorithm]] | sort == [[\"$T/arc/z/s.zip\", [\"dir/p-hdb.bin\"], \"Vigil.Test.HDB\", \"md5\"], [\"$T/arc/z/s.zip\", [\"dir/p-hsb1.bin\"], \"Vigil.Test.HSB1\", \"sha1\"], [\"$T/arc/z/s.zip\", [\"p-iocbare.bin\"], \"c.ioc\", \"sha256\"]]"
'
test_expect_success 'hash hits inside a tar.gz: member chain and names' '
	expect_exit 1 vigil --json scan custom arc/tgz >g.json &&
	jqt g.json "[.threats[] | [.member, .name]] | sort == [[[\"dir/p-hdb.bin\"], \"Vigil.Test.HDB\"], [[\"dir/p-hsb1.bin\"], \"Vigil.Test.HSB1\"], [[\"p-iocbare.bin\"], \"c.ioc\"]]" &&
	jqt g.json "all(.threats[]; .path == \"$T/arc/tgz/s.tar.gz\")"
'
test_expect_success 'hash hits in a tar.gz inside a zip: a member chain of two names, outer first' '
	expect_exit 1 vigil --json scan custom arc/nest >n.json &&
	jqt n.json "[.threats[] | [.member, .name]] | sort == [[[\"inner.tar.gz\", \"dir/p-hdb.bin\"], \"Vigil.Test.HDB\"], [[\"inner.tar.gz\", \"dir/p-hsb1.bin\"], \"Vigil.Test.HSB1\"]]"
'

# --- errors -------------------------------------------------------------------------------------

{
	echo "# a list with a bad third line"
	printf '%s;Vigil.Test.BadList\n' "$(sha256 t/notlisted.bin)"
	echo "0123456789abcdef-not-a-hash;Oops"
	printf '%s;Vigil.Test.BadList2\n' "$(sha256 t/clean.txt)"
} >bad.ioc
test_expect_success 'a malformed line: exit 2 naming file:line, nothing imported, earlier lists still detect' '
	v=$(sigver) && h=$(hashes) &&
	rc=0; vigil sigdb import bad.ioc >o 2>err || rc=$?
	cat err
	test "$rc" -eq 2 &&
	grep -q "bad\.ioc:3:" err &&
	test "$(sigver)" = "$v" && test "$(hashes)" = "$h" &&
	vigil --json sigdb list >list.json &&
	jqt list.json "[.sources[].name] | index(\"bad.ioc\") == null" &&
	scan_t &&
	test "$(names out.json)" = "$all_names"
'

printf '%s:notanumber:Vigil.Test.BadSize\n' "$(md5 t/notlisted.bin)" >badsize.hdb
printf '%s:%s\n' "$(sha1 t/notlisted.bin)" "$(size t/notlisted.bin)" >short.hsb
printf '%s\n' "$(sha256 t/notlisted.bin | cut -c1-63)" >odd.ioc
test_expect_success 'a bad SIZE, a missing NAME field and a truncated hash each fail with file:1:' '
	v=$(sigver) &&
	expect_exit 2 vigil sigdb import badsize.hdb 2>e1 && grep -q "badsize\.hdb:1:" e1 &&
	expect_exit 2 vigil sigdb import short.hsb 2>e2 && grep -q "short\.hsb:1:" e2 &&
	expect_exit 2 vigil sigdb import odd.ioc 2>e3 && grep -q "odd\.ioc:1:" e3 &&
	test "$(sigver)" = "$v" &&
	expect_exit 1 vigil --json scan custom t/notlisted.bin t/p-hdb.bin >o.json &&
	jqt o.json "[.threats[].path] == [\"$T/t/p-hdb.bin\"]"
'

mkdir -p mixed
printf '%s;Vigil.Test.MixedGood\n' "$(sha256 t/notlisted.bin)" >mixed/a-good.ioc
printf 'zz:1:Bad\n' >mixed/b-bad.hdb
test_expect_success 'a folder with a good and a bad list imports nothing and names the bad line' '
	v=$(sigver) &&
	expect_exit 2 vigil sigdb import mixed 2>err &&
	grep -q "b-bad\.hdb:1:" err &&
	test "$(sigver)" = "$v" &&
	vigil --json sigdb list >list.json &&
	jqt list.json "[.sources[].name] | index(\"a-good.ioc\") == null" &&
	expect_exit 0 vigil --json scan custom t/notlisted.bin >o.json
'

printf '# nothing but comments\n\n# and a blank line\n' >empty.ioc
printf 'sha256,name\n' >onlyheader.csv
: >zero.hashes
test_expect_success 'a list with no hashes (comments only, a header only, an empty file) is refused' '
	v=$(sigver) &&
	expect_exit 2 vigil sigdb import empty.ioc 2>e1 && grep -q "empty\.ioc" e1 &&
	expect_exit 2 vigil sigdb import onlyheader.csv 2>e2 && grep -q "onlyheader\.csv" e2 &&
	expect_exit 2 vigil sigdb import zero.hashes 2>e3 && grep -q "zero\.hashes" e3 &&
	test "$(sigver)" = "$v" &&
	vigil --json sigdb list >list.json &&
	jqt list.json "[.sources[].name] | (index(\"empty.ioc\") == null and index(\"onlyheader.csv\") == null and index(\"zero.hashes\") == null)"
'

# --- folders ------------------------------------------------------------------------------------

mkdir -p folder
printf '%s;Vigil.Test.FolderIOC\n' "$(sha256 t/notlisted.bin)" >folder/h.ioc
printf '%s:*:Vigil.Test.FolderHSB\n' "$(sha1 t/clean.txt)" >folder/h.hsb
echo "This folder holds hash lists." >folder/README.txt
echo "not,a,list" >folder/notes.csv
echo "garbage" >folder/x.lst
test_expect_success 'a folder import takes .ioc/.hsb lists and leaves .txt/.csv/.lst alone' '
	vigil --json sigdb import folder >imp.json &&
	jqt imp.json "[.imported[].name] | sort == [\"h.hsb\", \"h.ioc\"]" &&
	expect_exit 1 vigil --json scan custom t/notlisted.bin t/clean.txt >o.json &&
	jqt o.json "[.threats[] | [.name, .path]] | sort == [[\"Vigil.Test.FolderHSB\", \"$T/t/clean.txt\"], [\"Vigil.Test.FolderIOC\", \"$T/t/notlisted.bin\"]]"
'

# --- remove -------------------------------------------------------------------------------------

test_expect_success 'sigdb remove of a list stops its detections, the others stay; sig_version goes up' '
	v=$(sigver) && h=$(hashes) &&
	vigil sigdb remove h.hsb && vigil sigdb remove b.hsb &&
	test "$(sigver)" -gt "$v" &&
	test "$(hashes)" -eq "$((h - 4))" &&
	vigil --json sigdb list >list.json &&
	jqt list.json "[.sources[].name] | (index(\"b.hsb\") == null and index(\"h.hsb\") == null)" &&
	scan_t &&
	jqt out.json "[.threats[] | select(.namespace == \"b.hsb\" or .namespace == \"h.hsb\")] == []" &&
	jqt out.json "[.threats[] | select(.path == \"$T/t/clean.txt\")] == []" &&
	jqt out.json "[.threats[].name] | index(\"Vigil.Test.FolderIOC\") != null and index(\"Vigil.Test.HDB\") != null" &&
	jqt out.json ".threats_found == 10"
'

test_expect_success 're-importing a list by the same name replaces its entries' '
	mkdir -p re &&
	printf "%s:%s:Vigil.Test.HDB.Renamed\n" "$(md5 t/p-hdb.bin)" "$(size t/p-hdb.bin)" >re/a.hdb &&
	vigil sigdb import re/a.hdb &&
	expect_exit 1 vigil --json scan custom t/p-hdb.bin >o.json &&
	jqt o.json "[.threats[].name] == [\"Vigil.Test.HDB.Renamed\"]" &&
	vigil sigdb import a.hdb &&
	expect_exit 1 vigil --json scan custom t/p-hdb.bin >o.json &&
	jqt o.json "[.threats[].name] == [\"Vigil.Test.HDB\"]"
'

# --- the allow list -----------------------------------------------------------------------------

test_expect_success 'threat allow add --sha256 lets a hash hit through, reported as allowed' '
	expect_exit 1 vigil --json scan custom t/p-hdb.bin t/p-iocnamed.bin >before.json &&
	jqt before.json ".threats_found == 2" &&
	vigil threat allow add --sha256 "$(sha256 t/p-hdb.bin)" --reason "hash e2e" >/dev/null &&
	expect_exit 1 vigil --json scan custom t/p-hdb.bin t/p-iocnamed.bin >a.json &&
	jqt a.json "[.threats[] | [.name, .path]] == [[\"Vigil.Test.IOCNamed\", \"$T/t/p-iocnamed.bin\"]]" &&
	jqt a.json "(.allowed | length) == 1 and .allowed[0].path == \"$T/t/p-hdb.bin\" and .allowed[0].action == \"allowed\" and (.allowed[0].allowed_by | contains(\"hash e2e\"))" &&
	expect_exit 0 vigil --json scan custom t/p-hdb.bin >b.json &&
	jqt b.json ".threats == [] and (.allowed | length) == 1" &&
	vigil threat allow remove --sha256 "$(sha256 t/p-hdb.bin)" >/dev/null &&
	expect_exit 1 vigil --json scan custom t/p-hdb.bin >c.json &&
	jqt c.json ".threats_found == 1 and .allowed == []"
'

# --- a large list -------------------------------------------------------------------------------

mkdir -p big/t
printf 'vigil e2e the one real entry of a big list\n' >big/t/real.bin
printf 'vigil e2e a file not in the big list\n' >big/t/other.bin
{
	echo "sha256,name"
	head -c $((200000 * 32)) /dev/urandom | od -An -v -tx1 | tr -d ' \n' | fold -w 64 | sed 's/$/,Vigil.Test.Random/'
	echo
	printf '%s,Vigil.Test.BigReal\n' "$(sha256 big/t/real.bin)"
} >big/big.csv
test_expect_success 'a list of 200,000 random SHA-256 lines plus a real one imports and scans within 60 s' '
	test "$(grep -c ",Vigil.Test.Random$" big/big.csv)" -eq 200000 &&
	start=$(date +%s) &&
	vigil --state-dir big/state --json sigdb import big/big.csv >big/imp.json &&
	jqt big/imp.json ".imported[0].hashes == 200001 and .hashes == 200001" &&
	expect_exit 1 vigil --state-dir big/state --json scan custom big/t >big/out.json &&
	end=$(date +%s) &&
	echo "import and scan took $((end - start)) s" &&
	test $((end - start)) -le 60 &&
	jqt big/out.json "[.threats[] | [.name, .path, .meta.algorithm]] == [[\"Vigil.Test.BigReal\", \"$T/big/t/real.bin\", \"sha256\"]]" &&
	vigil --state-dir big/state --json sigdb info >big/info.json &&
	jqt big/info.json ".hashes == 200001"
'

test_done
