#!/usr/bin/env bash
# Hostile archives: bombs (42.zip-style nesting, overlapping entries, a 10 GiB gzip), nesting
# deeper than the limit, member names that climb out (../, absolute, through a symlink) and
# damaged headers. Each must be stopped in bounded time and memory and reported as a problem
# (or found), never passed silently, never crash the scan, never write a member to disk.
# Every bound is a measured figure (/usr/bin/time) asserted against a generous limit.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(pwd -P) # vigil reports resolved paths
HA="/usr/bin/python3 $HERE/helpers/hostile_archives.py"

[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install time)"; exit 77; }


eicar e.com

# --- bombs -------------------------------------------------------------------------------

# 42.zip: 5 levels of 16 copies, 64 MiB of zeros at the bottom: 16^5 x 64 MiB = 64 TiB.
mkdir -p b42
expand42=$($HA nested b42/42.zip 5 16 64M)
cp e.com b42/e.com
size42=$(stat -c %s b42/42.zip)
echo "# 42.zip: $size42 bytes, expands to $expand42 bytes"

_case=42.zip
test_expect_success "a 42.zip-style nested bomb ($size42 bytes -> $((expand42 >> 40)) TiB) is stopped as a limit, < 30 s, < 600 MB" '
	test "$size42" -lt 200000 && test "$expand42" -gt $((20 << 30)) &&
	bounded 30 600 "$VIGIL" --json scan custom b42 >out.json &&
	test "$rc" -eq 1 &&
	jqt out.json ".status == \"completed\" and .files_scanned == 2" &&
	jqt out.json "[.threats[].path] == [\"$T/b42/e.com\"]" &&
	jqt out.json "[.problems[] | select(.path == \"$T/b42/42.zip\" and .kind == \"limit\" and (.reason | test(\"archive bomb\")))] | length == 1" &&
	expect_exit 1 vigil scan custom b42 >out.txt &&
	grep -q "42.zip.*limit: archive bomb" out.txt
'

# Overlapping entries: 250 local headers whose data all end in one 64 MiB deflate kernel.
mkdir -p bov
expand_ov=$($HA overlap bov/overlap.zip 250 64M)
cp e.com bov/e.com
size_ov=$(stat -c %s bov/overlap.zip)
echo "# overlap.zip: $size_ov bytes, expands to $expand_ov bytes"

_case=overlap.zip
test_expect_success "an overlapping-entry zip bomb ($size_ov bytes -> $((expand_ov >> 30)) GiB) is stopped and reported, < 30 s, < 600 MB" '
	test "$size_ov" -lt 200000 && test "$expand_ov" -gt $((10 << 30)) &&
	unzip -t bov/overlap.zip 2>&1 | grep -q "overlapped components" &&
	bounded 30 600 "$VIGIL" --json scan custom bov >out.json &&
	test "$rc" -eq 1 &&
	jqt out.json ".status == \"completed\" and .files_scanned == 2" &&
	jqt out.json "[.threats[].path] == [\"$T/bov/e.com\"]" &&
	jqt out.json "[.problems[] | select(.path == \"$T/bov/overlap.zip\" and (.kind == \"limit\" or .kind == \"error\") and (.reason | length) > 0)] | length >= 1"
'

# A gzip of 10 GiB: EICAR then zeros (~10 MB on disk), and zeros alone.
mkdir -p bgz bgz0
$HA gzip bgz/ten.gz 10G e.com >/dev/null
$HA gzip bgz0/zeros.gz 10G >/dev/null
cp e.com bgz/e.com
cp e.com bgz0/e.com
echo "# ten.gz: $(stat -c %s bgz/ten.gz) bytes; zeros.gz: $(stat -c %s bgz0/zeros.gz) bytes; both expand to 10 GiB"

_case=ten.gz
test_expect_success 'a gzip of 10 GiB (EICAR + zeros, ~10 MB) is not unpacked whole: a limit or skip, < 30 s, < 600 MB' '
	bounded 30 600 "$VIGIL" --json scan custom bgz >out.json &&
	test "$rc" -eq 1 &&
	jqt out.json ".status == \"completed\" and .files_scanned == 2" &&
	jqt out.json "[.problems[] | select(.path == \"$T/bgz/ten.gz\" and (.kind == \"limit\" or .kind == \"skipped\") and (.reason | length) > 0)] | length == 1" &&
	jqt out.json "[.threats[] | select(.path == \"$T/bgz/e.com\")] | length == 1"
'

_case=zeros.gz
test_expect_success 'a gzip of 10 GiB of zeros is stopped and reported (not passed as an empty archive), < 30 s, < 600 MB' '
	bounded 30 600 "$VIGIL" --json scan custom bgz0 >out.json &&
	test "$rc" -eq 1 &&
	jqt out.json ".status == \"completed\" and .files_scanned == 2" &&
	jqt out.json "[.threats[].path] == [\"$T/bgz0/e.com\"]" &&
	jqt out.json "[.problems[] | select(.path == \"$T/bgz0/zeros.gz\" and (.kind == \"limit\" or .kind == \"skipped\" or .kind == \"error\"))] | length == 1"
'

# The same trick, small: 512 zero bytes (one tar end-of-archive block) then content, gzipped.
# EICAR is only EICAR at offset 0, so the content is a marker that a rule of its own finds
# anywhere: the stream must be read as one stream when the tar reading gives nothing.
mkdir -p zpre
_case=zero-block
marker=$(printf '%s%s' 'vigil-zero-block' '-marker-7f3a')
{ head -c 512 /dev/zero; echo "$marker"; } | gzip -c >zpre/zero-block.gz
{ head -c 1024 /dev/zero; echo "$marker"; } | gzip -c >zpre/two-blocks.gz
printf 'rule Zero_Block_Marker { strings: $m = "%s" condition: $m }\n' "$marker" >zpre.yar
test_expect_success 'content after a zero block in a gzip is scanned, never passed as clean unread' '
	VIGIL_STATE_DIR=$T/zstate "$VIGIL" sigdb import zpre.yar >/dev/null &&
	VIGIL_STATE_DIR=$T/zstate bounded 30 600 "$VIGIL" --json scan custom zpre >out.json &&
	test "$rc" -eq 1 &&
	for f in zero-block.gz two-blocks.gz; do
		jqt out.json "[.threats[] | select(.path == \"$T/zpre/$f\" and .name == \"Zero_Block_Marker\")] | length == 1" || exit 1
	done
'

# --- depth -------------------------------------------------------------------------------

mkdir -p deep
$HA deep deep/d12.zip 12 e.com
_case=depth
test_expect_success '12 nested zips: stopped at the default depth of 8 with a limit that says so, < 10 s' '
	bounded 10 600 "$VIGIL" --json scan custom deep >out.json &&
	test "$rc" -eq 0 &&
	jqt out.json ".threats == [] and .status == \"completed\"" &&
	jqt out.json "[.problems[] | select(.path == \"$T/deep/d12.zip\" and .kind == \"limit\" and (.reason | test(\"nested deeper than 8 levels\")) and (.member | length) == 8)] | length == 1"
'

_case=depth12
test_expect_success '12 nested zips: --max-recursion 12 finds EICAR with a member chain of 12 names' '
	bounded 10 600 "$VIGIL" --json scan custom deep --max-recursion 12 >out.json &&
	test "$rc" -eq 1 &&
	jqt out.json ".threats | length == 1" &&
	jqt out.json ".threats[0].member | length == 12 and .[-1] == \"eicar.com\" and .[0] == \"level02.zip\"" &&
	jqt out.json ".problems == []"
'

# --- names that climb out ----------------------------------------------------------------

mkdir -p trav
tnames=('../../vigil9300-up.com' '/etc/passwd' '/tmp/vigil9300-abs.com'
	'../../../../../../../../tmp/vigil9300-deep.com' 'a/../../vigil9300-mid.com'
	'./x/./../vigil9300-dot.com')
$HA names trav/climb.zip e.com "${tnames[@]}"
$HA names trav/climb.tar e.com '../../vigil9300-tar-up.com' '/tmp/vigil9300-tar-abs.com'
printf '%s\n' "${tnames[@]}" | sort >want-zip
printf '%s\n' '../../vigil9300-tar-up.com' '/tmp/vigil9300-tar-abs.com' 'lnk/vigil9300-via-link.com' | sort >want-tar
passwd_sha=$(sha256sum /etc/passwd | cut -d" " -f1)
touch marker
sleep 1
_case=traversal
test_expect_success 'members named ../, /etc/passwd, /tmp/..., or through a symlink: found, names as in the archive, nothing written' '
	bounded 10 600 "$VIGIL" --json scan custom trav >out.json &&
	test "$rc" -eq 1 &&
	jq -r ".threats[] | select(.path == \"$T/trav/climb.zip\") | .member[0]" out.json | sort >got-zip &&
	jq -r ".threats[] | select(.path == \"$T/trav/climb.tar\") | .member[0]" out.json | sort >got-tar &&
	diff want-zip got-zip && diff want-tar got-tar &&
	jqt out.json "all(.threats[]; .member | length == 1) and (.threats | length == 9)" &&
	expect_exit 1 vigil scan custom trav >out.txt &&
	grep -qF "$T/trav/climb.zip > /etc/passwd: EICAR_Test_File FOUND" out.txt &&
	grep -qF "$T/trav/climb.zip > ../../vigil9300-up.com: EICAR_Test_File FOUND" out.txt &&
	test "$(sha256sum /etc/passwd | cut -d" " -f1)" = "$passwd_sha" &&
	test ! -e /tmp/vigil9300-abs.com && test ! -e /tmp/vigil9300-tar-abs.com &&
	test ! -e /tmp/vigil9300-via-link.com &&
	found=$(find / /tmp /var/tmp /etc /root "$T" "$(dirname "$T")" -xdev -maxdepth 3 \
		-newer marker -name "vigil9300-*" 2>/dev/null | head) &&
	echo "written: ${found:-nothing}" && test -z "$found" &&
	test "$(find trav -newer marker | wc -l)" -eq 0
'

# --- damaged headers ---------------------------------------------------------------------

mkdir -p brk/src
head -c 300000 /dev/urandom >brk/src/random.bin
cp e.com brk/src/e.com
(cd brk/src && zip -q ../full.zip random.bin e.com && 7z a -bd -bso0 -bse0 ../full.7z random.bin e.com >/dev/null)
tar -C brk/src -czf brk/full.tgz .
mkdir -p broken
head -c 150000 brk/full.zip >broken/truncated.zip
head -c 150000 brk/full.7z >broken/truncated.7z
head -c 150000 brk/full.tgz >broken/truncated.tar.gz
head -c 65536 /dev/urandom >broken/random.zip
head -c 65536 /dev/urandom >broken/random.7z
head -c 65536 /dev/urandom >broken/random.tar.gz
{ printf '7z\274\257\047\034'; head -c 5000 /dev/urandom; } >broken/magic-random.7z
# a gzip header, then garbage as the deflate stream: fixed garbage (seeded), as about one
# draw of /dev/urandom in 150 happens to inflate cleanly and would make this case flaky
{ printf '\037\213\010\000'; python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(9300).randbytes(5000))'; } >broken/magic-random.tar.gz
cp e.com broken/plain.com
_case=damaged
test_expect_success 'truncated and random archives: errors saying "damaged archive", no crash, the rest scanned' '
	bounded 20 600 "$VIGIL" --json scan custom broken >out.json &&
	test "$rc" -eq 1 &&
	jqt out.json ".status == \"completed\" and .files_scanned == 9" &&
	jqt out.json "[.threats[] | select(.path == \"$T/broken/plain.com\")] | length == 1" &&
	jqt out.json "[.threats[].path | select(test(\"/random|/magic-random\"))] == []" &&
	for f in truncated.zip truncated.7z truncated.tar.gz magic-random.7z magic-random.tar.gz; do
		jqt out.json "[.problems[] | select(.path == \"$T/broken/$f\" and .kind == \"error\" and (.reason | test(\"damaged archive|cannot unpack\")))] | length >= 1" || exit 1
	done &&
	jqt out.json "[.problems[] | select(.path | test(\"/random\\\\.\")) | select(.kind != \"error\")] == []"
'
cp out.json damaged.json
test_expect_success 'every "damaged archive" reason says what is wrong (a truncated 7z: not "(null)")' '
	jq -r ".problems[] | select(.path == \"$T/broken/truncated.7z\") | .reason" damaged.json &&
	jqt damaged.json "[.problems[] | select(.reason | test(\"[(]null[)]\"))] == []"
'

mkdir -p badcd
_case=badcd
$HA badcd badcd/badcd.zip e.com
test_expect_success 'a zip with a corrupt central directory (EICAR in its intact local entries) is found or reported' '
	cat badcd/badcd.zip | bsdtar -tf - | grep -qx eicar.com &&
	bounded 10 600 "$VIGIL" --json scan custom badcd >out.json &&
	test "$rc" -le 1 &&
	jqt out.json "([.threats[] | select(.member == [\"eicar.com\"])] | length == 1) or ([.problems[] | select(.kind == \"error\" and (.reason | test(\"damaged\")))] | length >= 1)"
'

sed 's/^/# figure: /' figures.txt
test_done
