#!/usr/bin/env bash
# Disk images, the cases around the main ones of t6100: a split raw image, the access time
# of a raw image kept, a report that
# would overwrite the image (refused), vigil's own state folder not hiding a folder of the
# image, an interrupted image scan resumed, the Windows quick-scan folders of a FAT volume, a
# LUKS volume named as encrypted, an ISO 9660 image, a large file read through a temporary
# copy, and the options that do not apply to images.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
T=$(pwd -P) # vigil reports resolved paths

for tool in jq mkfs.ext4 mkfs.vfat mmd mcopy sfdisk split; do
	command -v "$tool" >/dev/null || { echo "skip: needs $tool (make deps)"; exit 77; }
done
eicar eicar.com


# plain.img: a bare ext4 holding /x/eicar.com and, at the path of this run's state folder,
# another EICAR (a folder of the image, not vigil's own)
mkdir -p tree/x "tree$VIGIL_STATE_DIR"
cp eicar.com tree/x/eicar.com
cp eicar.com "tree$VIGIL_STATE_DIR/planted.com"
mkfs.ext4 -q -d tree plain.img 16M
# big.img: 3,000 files of random bytes (60 MB, a few seconds of scanning) and one EICAR
mkdir -p bigtree/data bigtree/zz
head -c 60000000 /dev/urandom | (cd bigtree/data && split -b 20000 -a 4 - r)
cp eicar.com bigtree/zz/eicar.com
mkfs.ext4 -q -d bigtree big.img 128M

_case=split
test_expect_success 'a split raw image (first segment given) gives the findings of the whole image' '
	expect_exit 1 vigil --json scan image plain.img >whole.json &&
	mkdir -p parts && split -b 4M -a 3 --numeric-suffixes=1 plain.img parts/plain. &&
	test -e parts/plain.004 &&
	expect_exit 1 vigil --json scan image parts/plain.001 >split.json &&
	tps whole.json | sed "s|^$T/plain.img:|X:|" >a && tps split.json | sed "s|^$T/parts/plain.001:|X:|" >b &&
	test -s a && diff a b
'

_case=atime
test_expect_success 'scanning a raw image changes nothing of it, not even its access time' '
	# (an access time older than the mtime: relatime would update it on any read; the
	# checksum is taken of the original, as reading the copy would set its atime)
	cp plain.img at.img && touch -a -d "2001-01-01 00:00:00" at.img &&
	before=$(stat -c "%X %Y %Z %s" at.img) && sum=$(sha256sum <plain.img) &&
	expect_exit 1 vigil scan image at.img >/dev/null &&
	expect_exit 1 vigil scan image at.img --inventory --deleted >/dev/null &&
	test "$(stat -c "%X %Y %Z %s" at.img)" = "$before" && test "$(sha256sum <at.img)" = "$sum"
'

_case=state
test_expect_success 'the state folder of this machine does not hide the same path inside the image' '
	grep -q "$T/plain.img:p0:$VIGIL_STATE_DIR/planted.com|" <(tps whole.json) &&
	grep -q "$T/plain.img:p0:/x/eicar.com|" <(tps whole.json)
'

_case=report-over
test_expect_success 'a report that would overwrite the image (or a hard link to it) is refused' '
	sum=$(sha256sum <plain.img) && ln plain.img link.img &&
	expect_exit 2 vigil scan image plain.img --report json:plain.img 2>err1 &&
	grep -q "inside or over what is scanned" err1 &&
	expect_exit 2 vigil scan image plain.img --report json:link.img 2>err2 &&
	grep -q "inside or over what is scanned" err2 &&
	test "$(sha256sum <plain.img)" = "$sum"
'

_case=resume
test_expect_success 'an image scan interrupted by SIGINT, resumed: the findings of an uninterrupted scan' '
	expect_exit 1 vigil --json scan image big.img --threads 1 >whole-big.json || exit 1
	"$VIGIL" --json scan image big.img --threads 1 >part.json 2>/dev/null &
	pid=$! &&
	# SIGINT once the scan has recorded finished files (its checkpoints), so that some are
	# resumed and some scanned again
	n=0 && until [ "$(vigil --json scan list | jq ".scans[0] | select(.status == \"running\") | .files_scanned")" -gt 0 ] 2>/dev/null ||
		[ $n -ge 400 ]; do sleep 0.02; n=$((n + 1)); done &&
	kill -INT $pid; rc=0; wait $pid || rc=$? &&
	id=$(vigil --json scan list | jq ".scans[0].scan_id") &&
	if [ $rc -eq 2 ]; then
		test "$(vigil --json scan show $id | jq -r .status)" = interrupted &&
		expect_exit 1 vigil --json scan resume $id >res.json &&
		jq -e ".status == \"completed\" and .files_resumed > 0" res.json >/dev/null ||
		{ echo "resumed: $(jq -c "{status, files_resumed, files_scanned}" res.json)"; false; }
	else
		echo "the scan ended before SIGINT (exit $rc): resume not exercised" && false
	fi &&
	tps whole-big.json >a && tps res.json >b && test -s a && diff a b &&
	jq -e ".files_scanned == $(jq .files_scanned whole-big.json)" res.json >/dev/null &&
	jq -e ".volumes[0].status == \"scanned\"" res.json >/dev/null
'

# win.img: a GPT disk whose FAT partition looks like a Windows system volume
_case=windows
test_expect_success 'scan quick --image: a volume with /Windows/System32 gets the Windows quick-scan folders' '
	truncate -s 40M win.img &&
	printf "label: gpt\n- 32M U -\n" | sfdisk -q win.img &&
	start=$(sfdisk -J win.img | jq ".partitiontable.partitions[0].start") &&
	mkfs.vfat -C fat.part 30720 >/dev/null &&
	for d in /Windows /Windows/System32 /Windows/Temp /Users /Users/bob /Users/bob/Downloads /Users/bob/Documents; do
		mmd -i fat.part "::$d" || exit 1
	done &&
	mcopy -i fat.part eicar.com ::/Users/bob/Downloads/GET.COM &&
	mcopy -i fat.part eicar.com ::/Users/bob/Documents/DOC.COM &&
	mcopy -i fat.part eicar.com ::/Windows/Temp/TMP.COM &&
	dd if=fat.part of=win.img bs=512 seek=$start conv=notrunc status=none &&
	expect_exit 1 vigil --json scan quick --image win.img >q.json &&
	jq -r ".threats[].path" q.json | sort >got &&
	printf "%s\n" "$T/win.img:p1:/Users/bob/Downloads/GET.COM" "$T/win.img:p1:/Windows/Temp/TMP.COM" >want &&
	diff want got &&
	jq -e ".type == \"quick\"" q.json >/dev/null &&
	expect_exit 1 vigil --json scan image win.img >all.json &&
	test "$(jq ".threats | length" all.json)" -eq 3
'

_case=luks
test_expect_success 'a LUKS volume with a damaged header is named, with the reason; the rest of the disk is still scanned' '
	truncate -s 40M enc.img &&
	printf "label: gpt\n- 8M L -\n- 16M L -\n" | sfdisk -q enc.img &&
	s1=$(sfdisk -J enc.img | jq ".partitiontable.partitions[0].start") &&
	s2=$(sfdisk -J enc.img | jq ".partitiontable.partitions[1].start") &&
	{ printf "LUKS\272\276\000\001"; head -c 4096 /dev/urandom; } | dd of=enc.img bs=512 seek=$s1 conv=notrunc status=none &&
	mkdir -p small && cp eicar.com small/ &&
	mkfs.ext4 -q -d small p2.ext4 16M && dd if=p2.ext4 of=enc.img bs=512 seek=$s2 conv=notrunc status=none &&
	expect_exit 1 vigil --json scan image enc.img >enc.json &&
	jq -e ".volumes[0].status == \"error\" and .volumes[0].encryption == \"luks1\" and (.volumes[0].reason | test(\"LUKS keyslot\"))" enc.json >/dev/null &&
	jq -e ".volumes[1].status == \"scanned\" and .volumes[1].fs == \"ext4\"" enc.json >/dev/null &&
	jq -e "[.problems[] | select(.path == \"$T/enc.img:p1\" and .image.partition == 1)] | length == 1" enc.json >/dev/null &&
	jq -e "[.threats[].path] == [\"$T/enc.img:p2:/eicar.com\"]" enc.json >/dev/null
'

_case=spool
test_expect_success 'a file over 64 MiB in an image is scanned through a temporary copy that does not stay' '
	mkdir -p bigf && head -c 70000000 /dev/urandom >bigf/blob.bin && cp eicar.com bigf/e.com &&
	mkfs.ext4 -q -d bigf bigf.img 160M &&
	printf "%s;Vigil.Test.BigBlob\n" "$(sha256sum <bigf/blob.bin | cut -c1-64)" >big.ioc &&
	vigil sigdb import big.ioc >/dev/null &&
	expect_exit 1 strace -f -qq -e trace=openat -o st.log "$VIGIL" --json scan image bigf.img --threads 1 >sp.json &&
	grep -q "O_TMPFILE" st.log &&
	expect_exit 1 /usr/bin/time -f %M -o rss.spool "$VIGIL" --json scan image bigf.img --threads 1 >sp2.json &&
	vigil sigdb remove big.ioc >/dev/null &&
	jq -r ".threats[] | .path + \" \" + .name" sp.json | sort >got &&
	printf "%s\n" "$T/bigf.img:p0:/blob.bin Vigil.Test.BigBlob" "$T/bigf.img:p0:/e.com EICAR_Test_File" >want &&
	diff want got &&
	test -z "$(ls -A "$VIGIL_STATE_DIR" | grep -i spool)" &&
	rss=$(tail -n 1 rss.spool) && echo "peak RSS $rss kB" && test "$rss" -lt $((200000 * SAN_FACTOR))
'

_case=iso
test_expect_success 'an ISO 9660 image (xorriso, Rock Ridge and Joliet): its files are found by their names' '
	command -v xorriso >/dev/null || { echo "xorriso is missing (make deps)"; exit 1; }
	mkdir -p isotree/docs && cp eicar.com isotree/docs/eicar.com && echo hello >isotree/readme.txt &&
	xorriso -as mkisofs -quiet -R -J -o cd.iso isotree 2>/dev/null &&
	expect_exit 1 vigil --json scan image cd.iso >iso.json &&
	jq -e ".volumes[0].fs == \"iso9660\" and .files_scanned == 2" iso.json >/dev/null &&
	jq -e "[.threats[].path] == [\"$T/cd.iso:p0:/docs/eicar.com\"]" iso.json >/dev/null
'

_case=refused
test_expect_success 'options that do not apply to images are refused before anything is scanned' '
	before=$(vigil --json scan list | jq ".scans | length") &&
	expect_exit 2 vigil scan image plain.img --root / 2>e1 && grep -q -- "--root" e1 &&
	expect_exit 2 vigil scan image plain.img --action quarantine 2>e2 && grep -q "quarantine" e2 &&
	expect_exit 2 vigil scan image plain.img --verify-unchanged 2>e3 && grep -q "verify" e3 &&
	expect_exit 2 vigil scan custom tree --deleted 2>e4 && grep -q "disk images" e4 &&
	expect_exit 2 vigil scan custom tree --image plain.img 2>e5 && grep -q "image" e5 &&
	expect_exit 2 vigil scan image 2>e6 && grep -q "FILE" e6 &&
	expect_exit 2 vigil scan image plain.img plain.img 2>/dev/null &&
	expect_exit 2 vigil scan image plain.img --partition 1 --offset 0 2>e7 &&
	grep -q "give one" e7 && ! grep -q "never changed" e7 &&
	test "$(vigil --json scan list | jq ".scans | length")" -eq "$before"
'

_case=html
test_expect_success 'the HTML report of an image scan has a volumes table, its text escaped' '
	expect_exit 1 vigil scan image enc.img --report html:enc.html >/dev/null &&
	grep -q "<section id=\"volumes\">" enc.html &&
	grep -q "<td>1</td><td>1048576</td>" enc.html &&
	grep -q "LUKS keyslot 0 is invalid" enc.html &&
	grep -q "<td>ext4</td>" enc.html &&
	! grep -q "<script" enc.html
'

_case=human
test_expect_success 'human output: a deleted file is marked, the volumes are listed' '
	mkfs.vfat -C del.img 4096 >/dev/null && mcopy -i del.img eicar.com ::/GONE.COM &&
	mdel -i del.img ::/GONE.COM &&
	expect_exit 1 vigil scan image del.img --deleted >h.txt &&
	grep -q "del.img:p0:/_ONE.COM (deleted): EICAR" h.txt &&
	grep -q "p0 at byte 0, fat12 (no partition table): scanned" h.txt &&
	expect_exit 0 vigil scan image del.img >h2.txt && ! grep -q "FOUND" h2.txt
'

test_done
