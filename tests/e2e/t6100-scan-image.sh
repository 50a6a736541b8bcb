#!/usr/bin/env bash
# Scanning disk images without mounting them: `vigil scan image FILE` (and `scan quick
# --image`) on raw GPT disks, bare file systems and an E01 copy, made by helpers/mkimages.sh
# (see there for the layout): ext4, FAT16 and NTFS; the partition number, byte offset, fs
# type, inode and path inside of each finding; archive members inside the image; a deleted
# FAT entry with --deleted only; an NTFS alternate data stream; --partition and --offset;
# exclusions resolved inside the image; a partition without a file system, a truncated image,
# files that are not images; the bodyfile/csv/json reports; the images never change.
here=$(cd "$(dirname "$0")" && pwd)
SCHEMA=$here/../../docs/report-schema.json
. "$here/lib.sh"
T=$(pwd -P) # vigil reports resolved paths

PY=/usr/bin/python3
if ! "$PY" -c 'import jsonschema' 2>/dev/null || ! command -v jq >/dev/null; then
	echo "skip: needs $PY with jsonschema, and jq"
	exit 77
fi

# The fixtures, made once for this run (lib.sh's mkimages: skipped when a tool is missing).
mkimages img
G=$T/img/gpt.img
E01=$T/img/gpt.E01
N=$T/img/ntfs.img
P=$T/img/plain.img
C=$T/img/corrupt.img
TR=$T/img/trunc.img
EICAR_SHA=$(cat img/eicar.sha256)
# off IMAGE PARTITION / len IMAGE PARTITION: the partition's start and length in bytes;
# ino IMAGE PATH: the inode the Sleuth Kit gives that file (img/inodes)
off() { awk -v i="$1" -v p="$2" '$1 == i && $2 == p { print $3 }' img/offsets; }
len() { awk -v i="$1" -v p="$2" '$1 == i && $2 == p { print $4 }' img/offsets; }
ino() { awk -v i="$1" -v p="$2" '$1 == i && $3 == p { print $4 }' img/inodes; }
O1=$(off gpt.img 1) O2=$(off gpt.img 2) L1=$(len gpt.img 1) L2=$(len gpt.img 2)

# what the scans must leave as it is: content and mtime of every image
snapshot() { (cd img && stat -c '%n %s %Y' gpt.img gpt.E0* ntfs.img plain.img corrupt.img trunc.img &&
	sha256sum gpt.img gpt.E0* ntfs.img plain.img corrupt.img trunc.img); }
snapshot >before

# same_tps FILE LINE...: the threats of FILE are exactly the given lines
same_tps() {
	local f=$1
	shift
	tps "$f" >got.tps
	printf '%s\n' "$@" | sort >want.tps
	diff want.tps got.tps >&2 || { echo "threats of $f differ (< wanted, > got)" >&2; return 1; }
}
# one FILE PATH [MEMBER]: the one threat with that path (and member chain, joined by >)
one() {
	jq -ce --arg p "$2" --arg m "${3-}" '[.threats[] | select(.path == $p and (.member | join(">")) == $m)] |
		if length == 1 then .[0] else error("\(length) threats with path \($p) and member [\($m)]") end' "$1"
}
# img_is JSON FILE PART OFFSET FS PATH INODE ALLOCATED: a threat's (or row's) image object
img_is() {
	jq -e --arg f "$2" --argjson p "$3" --argjson o "$4" --arg fs "$5" --arg path "$6" \
		--argjson i "$7" --argjson a "$8" \
		'.image.file == $f and .image.partition == $p and .image.offset == $o and .image.fs == $fs and
		 .image.path == $path and .image.inode == $i and .image.allocated == $a' <<<"$1" >/dev/null ||
		{ echo "image object is not {file: $2, partition: $3, offset: $4, fs: $5, path: $6, inode: $7, allocated: $8}: $1" >&2; return 1; }
}
EC=$(ino gpt.img /home/eve/eicar.com)
ALL_GPT=("$G:p1:/home/eve/bundle.zip|inner/eicar.txt" "$G:p1:/home/eve/eicar.com|" "$G:p2:/DROP/EICAR.COM|")

test_expect_success 'gpt.img: EICAR in the ext4 partition and in the FAT partition, exit 1' '
	expect_exit 1 vigil --json scan image img/gpt.img >g.json &&
	jqt g.json ".type == \"image\" and (.scan_id | type) == \"number\" and .threats_found == 3" &&
	same_tps g.json "${ALL_GPT[@]}" &&
	jqt g.json "all(.threats[]; .name == \"EICAR_Test_File\" and .sha256 == \"$EICAR_SHA\")" &&
	jqt g.json ".files_scanned >= 6 and .problems == []"
'

test_expect_success 'gpt.img: each finding has its partition number, byte offset, fs type, inode, path inside' '
	t=$(one g.json "$G:p1:/home/eve/eicar.com") &&
	img_is "$t" "$G" 1 "$O1" ext4 /home/eve/eicar.com "$EC" true &&
	jq -e ".image | has(\"stream\") | not" <<<"$t" >/dev/null &&
	t=$(one g.json "$G:p2:/DROP/EICAR.COM") &&
	img_is "$t" "$G" 2 "$O2" fat16 /DROP/EICAR.COM "$(ino gpt.img /DROP/EICAR.COM)" true &&
	jq -e ".size == 68 and .member == []" <<<"$t" >/dev/null
'

test_expect_success 'gpt.img: the zip member inner/eicar.txt is found inside /home/eve/bundle.zip' '
	t=$(one g.json "$G:p1:/home/eve/bundle.zip" inner/eicar.txt) &&
	img_is "$t" "$G" 1 "$O1" ext4 /home/eve/bundle.zip "$(ino gpt.img /home/eve/bundle.zip)" true &&
	jq -e ".member == [\"inner/eicar.txt\"] and .sha256 == \"$EICAR_SHA\"" <<<"$t" >/dev/null
'

test_expect_success 'gpt.img: volumes lists both partitions with offset, length, description, fs, scanned' '
	jqt g.json "[.volumes[] | [.partition, .offset, .length, .fs, .status]] == [[1, $O1, $L1, \"ext4\", \"scanned\"], [2, $O2, $L2, \"fat16\", \"scanned\"]]" &&
	jqt g.json "[.volumes[].description] == [\"linux\", \"data\"]"
'

test_expect_success 'the text output names each finding by image path, partition and path inside' '
	expect_exit 1 vigil scan image img/gpt.img >g.txt &&
	grep -qF "$G:p1:/home/eve/eicar.com" g.txt &&
	grep -qF "$G:p2:/DROP/EICAR.COM" g.txt &&
	grep -qF "$G:p1:/home/eve/bundle.zip" g.txt && grep -q EICAR_Test_File g.txt
'

test_expect_success 'the deleted FAT file: not reported without --deleted, reported with it as allocated: false' '
	! tps g.json | grep -q "ONE\.COM" &&
	jqt g.json "all(.threats[]; .image.allocated == true)" &&
	expect_exit 1 vigil --json scan image img/gpt.img --deleted >d.json &&
	tps d.json >d.tps &&
	test "$(grep -c "^$G:p2:/.ONE\.COM|$" d.tps)" -eq 1 &&
	for l in "${ALL_GPT[@]}"; do grep -qxF "$l" d.tps || exit 1; done &&
	test "$(wc -l <d.tps)" -eq 4 &&
	t=$(jq -c "[.threats[] | select(.image.allocated == false)] | .[0]" d.json) &&
	jq -e ".path | endswith(\"ONE.COM\")" <<<"$t" >/dev/null &&
	img_is "$t" "$G" 2 "$O2" fat16 "$(jq -r .image.path <<<"$t")" "$(ino gpt.img /_ONE.COM)" false &&
	jq -e ".sha256 == \"$EICAR_SHA\" and (.image.path | test(\"^/.ONE[.]COM$\"))" <<<"$t" >/dev/null
'

test_expect_success '--partition 2 scans only the FAT partition' '
	expect_exit 1 vigil --json scan image img/gpt.img --partition 2 >p2.json &&
	same_tps p2.json "$G:p2:/DROP/EICAR.COM|" &&
	jqt p2.json "[.volumes[] | select(.status == \"scanned\") | .partition] == [2]" &&
	jqt p2.json "all(.volumes[]; .status == \"scanned\" or .status == \"skipped\")" &&
	jqt p2.json ".threats[0].image.partition == 2 and .threats[0].image.offset == $O2"
'

test_expect_success '--offset BYTES (where partition 2 starts) scans the same as --partition 2' '
	expect_exit 1 vigil --json scan image img/gpt.img --offset "$O2" >o2.json &&
	same_tps o2.json "$G:p2:/DROP/EICAR.COM|" &&
	jqt o2.json ".threats[0].image.offset == $O2 and .threats[0].image.fs == \"fat16\"" &&
	jqt o2.json "[.volumes[] | select(.status == \"scanned\") | .offset] == [$O2]"
'

test_expect_success '--partition 9: an error naming the partition, exit 2; bad --partition/--offset too' '
	expect_exit 2 vigil scan image img/gpt.img --partition 9 >out 2>err &&
	grep -qiE "partition.*9|9.*partition" err &&
	expect_exit 2 vigil scan image img/gpt.img --partition 2 --offset "$O2" 2>err2 &&
	grep -q -- "--offset" err2 &&
	expect_exit 2 vigil scan image img/gpt.img --partition abc 2>/dev/null &&
	expect_exit 2 vigil scan image img/gpt.img --offset -5 2>/dev/null &&
	expect_exit 2 vigil scan image img/gpt.img --offset 12345 2>err3 && grep -q 12345 err3
'

test_expect_success 'NTFS: the stream readme.txt:hidden is reported with stream "hidden", the main stream clean' '
	expect_exit 1 vigil --json scan image img/ntfs.img >n.json &&
	same_tps n.json "$N:p0:/readme.txt:hidden|" &&
	t=$(one n.json "$N:p0:/readme.txt:hidden") &&
	jq -e ".image.stream == \"hidden\" and .image.fs == \"ntfs\" and .image.partition == 0 and .image.offset == 0" <<<"$t" >/dev/null &&
	jq -e ".image.path == \"/readme.txt:hidden\" or .image.path == \"/readme.txt\"" <<<"$t" >/dev/null &&
	jq -e ".image.inode == $(ino ntfs.img /readme.txt) and .image.allocated == true and .sha256 == \"$EICAR_SHA\"" <<<"$t" >/dev/null &&
	jqt n.json "[.volumes[] | [.partition, .offset, .fs, .status]] == [[0, 0, \"ntfs\", \"scanned\"]]" &&
	jqt n.json ".files_scanned >= 3"
'

test_expect_success 'plain.img (no partition table) is scanned as partition 0' '
	expect_exit 1 vigil --json scan image img/plain.img >pl.json &&
	same_tps pl.json "$P:p0:/eicar.com|" &&
	img_is "$(one pl.json "$P:p0:/eicar.com")" "$P" 0 0 ext4 /eicar.com "$(ino plain.img /eicar.com)" true &&
	jqt pl.json "[.volumes[] | [.partition, .offset, .fs, .status]] == [[0, 0, \"ext4\", \"scanned\"]]" &&
	expect_exit 2 vigil scan image img/plain.img --partition 1 2>err && grep -qi partition err
'

test_expect_success 'gpt.E01 gives the same (partition, path, member, rule) findings as gpt.img' '
	expect_exit 1 vigil --json scan image img/gpt.E01 >e01.json &&
	key() { jq -r ".threats[] | \"\(.image.partition) \(.image.offset) \(.image.fs) \(.image.path) \(.image.inode) \(.member | join(\">\")) \(.name) \(.sha256)\"" "$1" | sort; } &&
	key g.json >k.img && key e01.json >k.e01 && diff k.img k.e01 &&
	test "$(wc -l <k.e01)" -eq 3 &&
	jqt e01.json "all(.threats[]; .image.file == \"$E01\" and (.path | startswith(\"$E01:p\")))" &&
	jqt e01.json "[.volumes[] | [.partition, .offset, .length, .fs, .status]] == [[1, $O1, $L1, \"ext4\", \"scanned\"], [2, $O2, $L2, \"fat16\", \"scanned\"]]"
'

test_expect_success 'a split raw image (gpt.raw.001, .002, ...) gives the findings of gpt.img' '
	mkdir -p split && split -b 16M -d -a 3 --numeric-suffixes=1 img/gpt.img split/gpt.raw. &&
	test -f split/gpt.raw.004 &&
	expect_exit 1 vigil --json scan image split/gpt.raw.001 >sp.json &&
	key() { jq -r ".threats[] | \"\(.image.partition) \(.image.offset) \(.image.path) \(.member | join(\">\")) \(.sha256)\"" "$1" | sort; } &&
	key g.json >k.img && key sp.json >k.split && diff k.img k.split &&
	jqt sp.json "[.volumes[] | [.partition, .offset, .length]] == [[1, $O1, $L1], [2, $O2, $L2]]"
'

test_expect_success 'corrupt.img: a problem for partition 1 with the reason, the FAT partition scanned, exit 1' '
	expect_exit 1 vigil --json scan image img/corrupt.img >c.json 2>c.err &&
	same_tps c.json "$C:p2:/EICAR.COM|" &&
	jqt c.json ".threats[0].image.partition == 2 and .threats[0].image.offset == $(off corrupt.img 2)" &&
	jqt c.json "[.problems[] | select((.path | startswith(\"$C:p1\")) or .image.partition == 1) | .reason | select(length > 0)] | length >= 1" &&
	jqt c.json "all(.problems[]; .image.file == \"$C\" and (.path | startswith(\"$C:p\")))" &&
	jqt c.json "[.problems[] | select(.image.partition == 1) | .image.offset] | unique == [$(off corrupt.img 1)]" &&
	jqt c.json ".volumes[0].partition == 1 and .volumes[0].status == \"error\" and .volumes[0].offset == $(off corrupt.img 1)" &&
	jqt c.json ".volumes[0].reason | test(\"file ?system\"; \"i\")" &&
	jqt c.json ".volumes[1].partition == 2 and .volumes[1].status == \"scanned\" and (.volumes[1].fs | startswith(\"fat\"))"
'

test_expect_success 'trunc.img: problems for what is cut off, the rest scanned, exit 1, bounded' '
	b=0; KILL_AFTER=120 bounded 30 1000 "$VIGIL" --json scan image img/trunc.img >tr.json 2>tr.err || b=$?
	test "$rc" -eq 1 && test "$b" -eq 0 &&
	tps tr.json >tr.tps &&
	grep -qxF "$TR:p1:/home/eve/eicar.com|" tr.tps &&
	grep -qxF "$TR:p1:/home/eve/bundle.zip|inner/eicar.txt" tr.tps &&
	grep -qxF "$TR:p2:/DROP/EICAR.COM|" tr.tps &&
	jqt tr.json "(.problems | length) >= 1 and all(.problems[]; (.reason | length) > 0)" &&
	jqt tr.json "[.problems[] | select((.path | startswith(\"$TR:p2\")) or .image.partition == 2)] | length >= 1" &&
	jqt tr.json ".volumes[0].status == \"scanned\""
'

test_expect_success 'not an image (a text file, an empty file, a folder) or a missing file: exit 2 naming it' '
	echo "just some text, not a disk" >notimage.txt && : >empty.img && mkdir -p adir &&
	expect_exit 2 vigil scan image notimage.txt >out 2>err && grep -q notimage.txt err &&
	expect_exit 2 vigil --json scan image empty.img >out 2>err && grep -q empty.img err &&
	expect_exit 2 vigil scan image adir >out 2>err && grep -q adir err &&
	expect_exit 2 vigil scan image nosuch.img >out 2>err && grep -q nosuch.img err &&
	expect_exit 2 vigil scan image 2>err && test -s err &&
	expect_exit 2 vigil scan quick --image nosuch.img >out 2>err && grep -q nosuch.img err
'

test_expect_success '--inventory, bodyfile: a row for every file, with the inode numbers TSK gives' '
	expect_exit 1 vigil --json scan image img/gpt.img --inventory >inv.json &&
	id=$(jq .scan_id inv.json) &&
	vigil report "$id" --format bodyfile --out g.body >/dev/null &&
	test "$(awk -F"|" "NF != 11" g.body | wc -l)" -eq 0 &&
	test "$(awk -F"|" "\$3 == 0 || \$3 == \"\"" g.body | wc -l)" -eq 0 &&
	grep " /" img/inodes | grep -v ONE.COM | while read -r im pa path inode; do
		[ "$im" = gpt.img ] || continue
		awk -F"|" -v p=":p$pa:$path" -v i="$inode" "substr(\$2, length(\$2) - length(p) + 1) == p && \$3 == i { f = 1 } END { exit !f }" g.body ||
			{ echo "no bodyfile row for p$pa:$path with inode $inode" >&2; exit 1; }
	done &&
	awk -F"|" -v p=":p1:/home/eve/eicar.com" "substr(\$2, length(\$2) - length(p) + 1) == p" g.body >row &&
	test "$(cut -d"|" -f1 row)" = 44d88612fea8a8f36de82e1278abb02f &&
	test "$(cut -d"|" -f7 row)" = 68 && test "$(cut -d"|" -f9 row)" = 1700000000 &&
	! grep -q "ONE.COM" g.body
'

test_expect_success '--inventory: the csv and json reports carry the image location' '
	id=$(jq .scan_id inv.json) &&
	vigil report "$id" --format csv --out g.csv >/dev/null &&
	grep -qF "$G:p1:/home/eve/eicar.com" g.csv && grep -qF "$G:p2:/NOTES.TXT" g.csv &&
	grep "^detection," g.csv | grep -qF "$G:p2:/DROP/EICAR.COM" &&
	vigil report "$id" --format json --out g.rep.json >/dev/null &&
	report_check schema g.rep.json "$SCHEMA" &&
	row=$(jq -c ".inventory[] | select(.path == \"$G:p1:/home/eve/eicar.com\")" g.rep.json) &&
	test -n "$row" && jq -e ".inode == $EC" <<<"$row" >/dev/null &&
	img_is "$row" "$G" 1 "$O1" ext4 /home/eve/eicar.com "$EC" true &&
	row=$(jq -c ".inventory[] | select(.path == \"$G:p2:/NOTES.TXT\")" g.rep.json) &&
	img_is "$row" "$G" 2 "$O2" fat16 /NOTES.TXT "$(ino gpt.img /NOTES.TXT)" true &&
	det=$(jq -c ".detections[] | select(.path == \"$G:p2:/DROP/EICAR.COM\")" g.rep.json) &&
	img_is "$det" "$G" 2 "$O2" fat16 /DROP/EICAR.COM "$(ino gpt.img /DROP/EICAR.COM)" true
'

test_expect_success '--exclude-path /home/eve (inside the image) drops the ext4 findings, not the FAT one' '
	expect_exit 1 vigil --json scan image img/gpt.img --exclude-path /home/eve >x1.json &&
	same_tps x1.json "$G:p2:/DROP/EICAR.COM|" &&
	jqt x1.json ".excluded >= 1"
'

test_expect_success '--exclude-ext zip drops the zip; --exclude-name and --no-archives too' '
	expect_exit 1 vigil --json scan image img/gpt.img --exclude-ext zip >x2.json &&
	same_tps x2.json "$G:p1:/home/eve/eicar.com|" "$G:p2:/DROP/EICAR.COM|" &&
	expect_exit 1 vigil --json scan image img/gpt.img --exclude-name "EICAR.*" >x3.json &&
	same_tps x3.json "$G:p1:/home/eve/bundle.zip|inner/eicar.txt" "$G:p1:/home/eve/eicar.com|" &&
	expect_exit 1 vigil --json scan image img/gpt.img --no-archives >x4.json &&
	same_tps x4.json "$G:p1:/home/eve/eicar.com|" "$G:p2:/DROP/EICAR.COM|"
'

test_expect_success 'scan quick --image: only the quick-scan folders (/home/*) inside the image' '
	vigil config set filesystem_scanner.quick_scan_directories "[\"/home/*\"]" >/dev/null &&
	expect_exit 1 vigil --json scan quick --image img/gpt.img >q.json &&
	jqt q.json ".type == \"quick\"" &&
	same_tps q.json "$G:p1:/home/eve/bundle.zip|inner/eicar.txt" "$G:p1:/home/eve/eicar.com|" &&
	jqt q.json "[.threats[].image.partition] | unique == [1]" &&
	jqt q.json ".files_scanned == 2"
'

test_expect_success '--report json:FILE with an image scan: valid against the schema, findings as in --json' '
	expect_exit 1 vigil --json scan image img/gpt.img --threads 2 --case C-6100 --examiner tester \
		--report json:r.json --report jsonl:r.jsonl >rj.json &&
	report_check schema r.json "$SCHEMA" &&
	report_check jsonl r.jsonl r.json "$SCHEMA" &&
	jqt r.json ".scan.scan_id == $(jq .scan_id rj.json) and .custody.case_id == \"C-6100\"" &&
	jq -r ".detections[] | .path + \"|\" + (.member | join(\">\"))" r.json | sort >r.tps &&
	printf "%s\n" "${ALL_GPT[@]}" | sort | diff - r.tps &&
	jqt r.json "all(.detections[]; .image.file == \"$G\" and .sha256 == \"$EICAR_SHA\")"
'

test_expect_success 'nothing changed: SHA-256, size and mtime of every image as before the scans' '
	snapshot >after && diff before after
'

test_done
