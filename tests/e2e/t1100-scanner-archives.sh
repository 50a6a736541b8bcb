#!/usr/bin/env bash
# Archives: EICAR found inside every supported container and nested ones, with the member
# chain and the SHA-256 of the detected object; damaged, encrypted, too-deep and bomb
# archives are reported as problems while the scan goes on.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil reports resolved paths


eicar e.com
eicar_sha=$(sha256sum e.com | cut -d" " -f1)

# One container per format, each holding the EICAR file.
mkdir -p src/dir fmt
cp e.com src/dir/e.com
(cd src/dir && zip -q ../../fmt/plain.zip e.com)
(cd src && 7z a -bd -bso0 -bse0 ../fmt/x.7z dir/e.com >/dev/null)
gzip -c e.com >fmt/e.com.gz
tar -C src -cjf fmt/x.tar.bz2 dir
tar -C src -cJf fmt/x.tar.xz dir
tar -C src --zstd -cf fmt/x.tar.zst dir
(cd src/dir && echo e.com | cpio -o --quiet >../../fmt/x.cpio)
uuencode e.com e.com >fmt/e.uu

# Nesting: a tar.gz inside a zip (2 names), and a zip inside a tar.gz inside a zip (3 names).
mkdir -p nest
tar -C src -czf inner.tar.gz dir
zip -q nest/outer.zip inner.tar.gz
zip -q in.zip e.com
mkdir -p mid && cp in.zip mid/ && tar -C mid -czf mid.tar.gz in.zip
zip -q nest/deep.zip mid.tar.gz

# Clean things.
mkdir -p clean
echo "just a text file" >clean/readme.txt
printf 'hello\n' >clean/hello.txt
(cd clean && zip -q clean.zip readme.txt hello.txt)

test_expect_success 'EICAR in a zip: one threat, member chain is the member name' '
	expect_exit 1 vigil --json scan custom fmt/plain.zip >out.json &&
	jqt out.json ".threats_found == 1" &&
	jqt out.json ".threats[0].path == \"$T/fmt/plain.zip\"" &&
	jqt out.json ".threats[0].member == [\"e.com\"]" &&
	jqt out.json ".threats[0].name == \"EICAR_Test_File\"" &&
	expect_exit 1 vigil scan custom fmt/plain.zip >out &&
	grep -qF "$T/fmt/plain.zip > e.com: EICAR_Test_File FOUND" out
'

for f in x.7z e.com.gz x.tar.bz2 x.tar.xz x.tar.zst x.cpio e.uu; do
	test_expect_success "EICAR in $f is found with one member name" '
		expect_exit 1 vigil --json scan custom fmt/'"$f"' >out.json &&
		jqt out.json ".threats_found == 1 and (.threats | length) == 1" &&
		jqt out.json ".threats[0].path == \"$T/fmt/'"$f"'\"" &&
		jqt out.json ".threats[0].member | length == 1 and (.[0] | length) > 0" &&
		jqt out.json ".threats[0].name == \"EICAR_Test_File\"" &&
		jqt out.json ".errors == 0 and .problems == []"
	'
done

test_expect_success 'members of tar and 7z archives keep their folder in the member name' '
	expect_exit 1 vigil --json scan custom fmt/x.tar.xz fmt/x.7z >out.json &&
	jqt out.json "[.threats[].member[0]] == [\"dir/e.com\", \"dir/e.com\"]"
'

test_expect_success 'a tar.gz inside a zip gives a member chain of two names, outer first' '
	expect_exit 1 vigil --json scan custom nest/outer.zip >out.json &&
	jqt out.json ".threats | length == 1" &&
	jqt out.json ".threats[0].path == \"$T/nest/outer.zip\"" &&
	jqt out.json ".threats[0].member == [\"inner.tar.gz\", \"dir/e.com\"]" &&
	expect_exit 1 vigil scan custom nest/outer.zip >out &&
	grep -qF "$T/nest/outer.zip > inner.tar.gz > dir/e.com: EICAR_Test_File FOUND" out
'

test_expect_success 'zip > tar.gz > zip > EICAR gives a member chain of three names' '
	expect_exit 1 vigil --json scan custom nest/deep.zip >out.json &&
	jqt out.json ".threats | length == 1" &&
	jqt out.json ".threats[0].member == [\"mid.tar.gz\", \"in.zip\", \"e.com\"]"
'

mkdir -p oddsrc oddname
eicar "$(printf 'oddsrc/m\377x.com')"
(cd oddsrc && zip -q ../oddname/odd.zip * && tar -cf ../oddname/odd.tar *)
test_expect_success 'a member name that is not UTF-8 comes with member_b64 holding the exact bytes' '
	expect_exit 1 vigil --json scan custom oddname >out.json &&
	jqt out.json ".threats | length == 2" &&
	for i in 0 1; do
		jq -r ".threats[$i].member_b64[-1]" out.json | base64 -d >got &&
		printf "m\377x.com" >want &&
		cmp got want || exit 1
	done &&
	jqt out.json "all(.threats[]; .member | length == 1 and (.[0] | test(\"^m.*x\\\\.com$\")))"
'

test_expect_success 'sha256 of a detection inside an archive is that of the EICAR bytes' '
	expect_exit 1 vigil --json scan custom fmt nest >out.json &&
	jqt out.json ".threats | length == 10" &&
	jqt out.json "all(.threats[]; .sha256 == \"$eicar_sha\" and .size == 68)"
'

test_expect_success 'clean files and a clean zip are not reported, and the zip is opened' '
	expect_exit 0 vigil --json scan custom clean >out.json &&
	jqt out.json ".threats == [] and .threats_found == 0" &&
	jqt out.json ".files_scanned == 3 and .errors == 0" &&
	jqt out.json ".objects_scanned >= 5" &&
	expect_exit 0 vigil scan custom clean >out &&
	! grep -q FOUND out
'

# A damaged zip and a damaged tar.gz next to a good zip and a plain EICAR file.
mkdir -p bad/src
head -c 200000 /dev/urandom >bad/src/random.bin
cp e.com bad/src/e.com
(cd bad/src && zip -q ../full.zip random.bin e.com)
mkdir -p broken
head -c 30000 bad/full.zip >broken/truncated.zip
tar -C bad -czf bad/src.tgz src
head -c 30000 bad/src.tgz >broken/truncated.tgz
printf 'PK\003\004this is not really a zip file at all' >broken/garbage.zip
cp e.com broken/plain.com
cp fmt/plain.zip broken/good.zip

test_expect_success 'damaged archives count errors with a reason; the scan goes on and exits 1' '
	expect_exit 1 vigil --json scan custom broken >out.json &&
	jqt out.json ".status == \"completed\"" &&
	jqt out.json ".errors >= 2" &&
	jqt out.json "[.problems[] | select(.path == \"$T/broken/truncated.zip\" and .kind == \"error\" and (.reason | length) > 0)] | length >= 1" &&
	jqt out.json "[.problems[] | select(.path == \"$T/broken/truncated.tgz\" and .kind == \"error\" and (.reason | length) > 0)] | length >= 1" &&
	jqt out.json "[.threats[].path] | sort == [\"$T/broken/good.zip\", \"$T/broken/plain.com\"]"
'

mkdir -p enc
(cd src/dir && zip -q -P secret ../../enc/locked.zip e.com)
test_expect_success 'an encrypted zip member is reported as skipped, not scanned' '
	expect_exit 0 vigil --json scan custom enc >out.json &&
	jqt out.json ".threats == [] and .skipped >= 1" &&
	jqt out.json "[.problems[] | select(.path == \"$T/enc/locked.zip\" and .kind == \"skipped\" and .member == [\"e.com\"] and (.reason | test(\"encrypt\"; \"i\")))] | length == 1" &&
	vigil scan custom enc >out &&
	grep -q "locked.zip > e.com: skipped: .*encrypt" out
'

mkdir -p depth
cp e.com depth/plain.com
cp fmt/plain.zip depth/one.zip
zip -q l1.zip e.com && zip -q depth/two.zip l1.zip

test_expect_success 'without limits every level is found (control for the next cases)' '
	expect_exit 1 vigil --json scan custom depth >out.json &&
	jqt out.json "[.threats[] | .member] | sort == [[], [\"e.com\"], [\"l1.zip\", \"e.com\"]]"
'

test_expect_success '--no-archives finds only the plain file' '
	expect_exit 1 vigil --json scan custom --no-archives depth >out.json &&
	jqt out.json "[.threats[].path] == [\"$T/depth/plain.com\"]" &&
	jqt out.json ".files_scanned == 3"
'

test_expect_success '--max-recursion 1 stops at the second level with a limit problem' '
	expect_exit 1 vigil --json scan custom --max-recursion 1 depth >out.json &&
	jqt out.json "[.threats[].path] | sort == [\"$T/depth/one.zip\", \"$T/depth/plain.com\"]" &&
	jqt out.json "[.problems[] | select(.kind == \"limit\" and .path == \"$T/depth/two.zip\" and .member == [\"l1.zip\"])] | length == 1"
'

# A 200 MiB file of zeros compresses to ~200 KiB; ten of them, stored, make a nested bomb.
mkdir -p bomb nbomb n
truncate -s 200M zeros
zip -q bomb/bomb.zip zeros
rm -f zeros
for i in 0 1 2 3 4 5 6 7 8 9; do cp bomb/bomb.zip n/b$i.zip; done
(cd n && zip -q -0 ../nbomb/nested.zip b*.zip)

test_expect_success 'a zip bomb stops at archive_max_bytes (config set) with a limit problem, quickly' '
	vigil --state-dir bombstate config set antivirus_engine.archive_max_bytes 10485760 &&
	test "$(vigil --state-dir bombstate config get antivirus_engine.archive_max_bytes)" = 10485760 &&
	start=$(date +%s) &&
	expect_exit 0 timeout 60 "$VIGIL" --state-dir bombstate --json scan custom bomb >out.json &&
	test $(( $(date +%s) - start )) -lt 30 &&
	jqt out.json ".status == \"completed\" and .skipped + .errors >= 1" &&
	jqt out.json "[.problems[] | select(.kind == \"limit\" and .path == \"$T/bomb/bomb.zip\" and (.reason | test(\"10485760\")))] | length == 1"
'

test_expect_success 'archive_max_bytes from a --config file stops the bomb too' '
	echo "{\"antivirus_engine\": {\"archive_max_bytes\": 10485760}}" >small.json &&
	expect_exit 0 timeout 60 "$VIGIL" --config small.json --json scan custom bomb >out.json &&
	jqt out.json "[.problems[] | select(.kind == \"limit\" and (.reason | test(\"10485760\")))] | length == 1"
'

test_expect_success 'a nested bomb (zip of ten 200 MiB bombs) is bounded with the default limits' '
	start=$(date +%s) &&
	expect_exit 0 timeout 60 "$VIGIL" --json scan custom nbomb >out.json &&
	test $(( $(date +%s) - start )) -lt 45 &&
	jqt out.json ".status == \"completed\"" &&
	jqt out.json "[.problems[] | select(.kind == \"limit\" and .path == \"$T/nbomb/nested.zip\")] | length >= 1"
'

test_expect_success 'a nested bomb is stopped quickly by a small archive_max_bytes' '
	start=$(date +%s) &&
	expect_exit 0 timeout 60 "$VIGIL" --config small.json --json scan custom nbomb >out.json &&
	test $(( $(date +%s) - start )) -lt 20 &&
	jqt out.json "[.problems[] | select(.kind == \"limit\" and .path == \"$T/nbomb/nested.zip\")] | length >= 1"
'

test_done
