#!/usr/bin/env bash
# scan image FILE --list: the volumes, the file system on each and the encryption found,
# without scanning and without recording anything (containers, their volumes and the chain
# of each: t6400 scans them); and dfVFS's published differencing VHD
# (qemu-img cannot make one; tests/data/dfvfs, Apache-2.0) read with its parent.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P)

mkimages img
for f in image.vhd image-differential.vhd apfs.raw hfsplus.raw; do
	gunzip -c "$VG_REPO/tests/data/dfvfs/$f.gz" >"$f"
done
# a LUKS2 volume made on an image file without device-mapper, beside an ext4 one
truncate -s 40M luks.img && printf 'label: gpt\n1M,16M\n,\n' | sfdisk -q luks.img &&
	truncate -s 16M p1.img && mkfs.ext4 -q -F p1.img && dd if=p1.img of=luks.img bs=1M seek=1 conv=notrunc status=none &&
	truncate -s 20M p2.img && mkfs.ext4 -q -F p2.img && printf 'vigil-test' >pass &&
	cryptsetup reencrypt -q --encrypt --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--reduce-device-size 16M --key-file pass p2.img >luks.log 2>&1 &&
	dd if=p2.img of=luks.img bs=1M seek=17 conv=notrunc status=none || { cat luks.log; exit 1; }

test_expect_success 'a GPT disk: both partitions with their file systems; nothing recorded' '
	vigil --json scan image img/gpt.img --list >l.json &&
	jqt l.json ".format == \"raw\" and (.volumes | length) == 2" &&
	jqt l.json "[.volumes[] | .filesystem] == [\"ext4\", \"fat16\"]" &&
	jqt l.json "all(.volumes[]; .encryption == null and .blocks > 0)" &&
	test "$(vigil --json scan list | jq ".scans | length")" = 0
'
test_expect_success 'the human listing names the format, each partition and its file system' '
	vigil scan image img/gpt.img --list >l.txt &&
	head -n1 l.txt | grep -q "gpt.img: raw, 67108864 bytes, 2 volumes" &&
	grep -q "partition 1 .* ext4, " l.txt && grep -q "partition 2 .* fat16, " l.txt
'
test_expect_success '--partition: the other volumes are listed as not read' '
	vigil --json scan image img/gpt.img --list --partition 2 >p.json &&
	jqt p.json "[.volumes[] | select(.selected == false) | .partition] == [1]" &&
	jqt p.json "[.volumes[] | select(.partition == 2) | .filesystem] == [\"fat16\"]"
'
test_expect_success 'a LUKS2 partition is named as encrypted and locked, the ext4 one beside it as ext4' '
	vigil --json scan image luks.img --list </dev/null >k.json &&
	jqt k.json "[.volumes[] | [.filesystem, .encryption]] == [[\"ext4\", null], [null, \"luks2\"]]" &&
	jqt k.json ".volumes[1].reason | test(\"no credential given\")"
'
test_expect_success 'with its passphrase: the LUKS2 volume and the ext4 inside it, chain and all' '
	vigil --json scan image luks.img --list --credential password:pass >k2.json &&
	jqt k2.json "[.volumes[] | .chain] == [[\"gpt:p1\", \"ext4\"], [\"gpt:p2\"], [\"gpt:p2\", \"luks2\", \"ext4\"]]" &&
	jqt k2.json ".volumes[1].container and .volumes[1].unlocked_with == \"password\"" &&
	! grep -q vigil-test k2.json
'
test_expect_success 'dfVFS differencing VHD: listed as VHD with its file system, read through its parent' '
	vigil --json scan image image-differential.vhd --list >v.json &&
	jqt v.json ".format == \"VHD\" and [.volumes[] | .filesystem] == [\"ext2\"]" &&
	vigil --json scan image image-differential.vhd >vs.json &&
	jqt vs.json ".status == \"completed\" and .errors == 0"
'
test_expect_success 'the same without its parent beside it: exit 2, naming the parent it needs' '
	mkdir alone && cp image-differential.vhd alone/ &&
	expect_exit 2 vigil scan image alone/image-differential.vhd --list 2>err &&
	grep -q "image.vhd" err && grep -q -- "--parent" err
'
test_expect_success 'APFS (dfVFS apfs.raw, made on macOS): the container and its volume by name' '
	vigil --json scan image apfs.raw --list >a.json &&
	jqt a.json "[.volumes[] | .filesystem] == [null, \"apfs\"] and .volumes[0].container" &&
	jqt a.json ".volumes[1].chain == [\"apfs:apfs_test\", \"apfs\"] and .volumes[1].blocks > 0"
'
test_expect_success 'HFS+ (dfVFS hfsplus.raw, made on macOS): its files and a resource fork, not its own metadata files' '
	vigil --json scan image hfsplus.raw --inventory >h.json &&
	jqt h.json ".volumes[0].fs == \"hfsp\" and .errors == 0 and .files_scanned == 8" &&
	vigil report "$(jq .scan_id h.json)" --format jsonl --out h.jsonl &&
	grep "\"record\":\"file\"" h.jsonl | jq -s . >hf.json &&
	jqt hf.json "all(.[]; .image.path | startswith(\"/\$\") | not)" &&
	a=$(python3 -c "import hashlib, sys; d = open(sys.argv[1], \"rb\").read(); i = d.find(b\"This is a text file\"); print(hashlib.sha256(d[i:i + 53]).hexdigest())" hfsplus.raw) &&
	r=$(python3 -c "import hashlib, sys; d = open(sys.argv[1], \"rb\").read(); i = d.find(b\"My resource fork\"); print(hashlib.sha256(d[i:i + 17]).hexdigest())" hfsplus.raw) &&
	jqt hf.json "any(.[]; .image.path == \"/a_directory/a_file\" and .size == 53 and .sha256 == \"$a\")" &&
	jqt hf.json "any(.[]; .image.path == \"/a_directory/a_resourcefork\" and .image.stream == \"rsrc\" and .size == 17 and .sha256 == \"$r\")"
'
# btrfs (mkfs.btrfs --rootdir) in the second partition of a GPT disk, ext4 with EICAR in the first
# (t6520 reads btrfs in depth)
test_expect_success 'btrfs is listed, and read with the rest of the disk' '
	mkdir -p btr1 btr2 && eicar btr1/e.com && eicar btr2/e.com &&
	truncate -s 20M bp1.img && mkfs.ext4 -q -d btr1 bp1.img &&
	truncate -s 128M bp2.img && mkfs.btrfs -q --rootdir btr2 bp2.img >/dev/null 2>&1 &&
	truncate -s 160M btrfs.img && printf "label: gpt\n1M,20M\n,\n" | sfdisk -q btrfs.img &&
	dd if=bp1.img of=btrfs.img bs=1M seek=1 conv=notrunc status=none &&
	dd if=bp2.img of=btrfs.img bs=1M seek=21 conv=notrunc status=none &&
	vigil --json scan image btrfs.img --list >b.json &&
	jqt b.json "[.volumes[] | .filesystem] == [\"ext4\", \"btrfs\"] and .volumes[1].reason == null" &&
	expect_exit 1 vigil --json scan image btrfs.img >bs.json &&
	jqt bs.json "[.threats[] | .image.chain] == [[\"gpt:p1\", \"ext4\"], [\"gpt:p2\", \"btrfs\"]]" &&
	jqt bs.json ".volumes[1].status == \"scanned\" and .volumes[1].fs == \"btrfs\" and .problems == []"
'
test_expect_success '--list is for scan image only' '
	expect_exit 2 vigil scan custom . --list 2>err && grep -q "scan image FILE --list" err
'
test_done
