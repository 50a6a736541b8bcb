#!/usr/bin/env bash
# scan image through volumes inside volumes: LVM2 logical volumes, LUKS2 unlocked with
# --credential (or at a prompt), XFS read with libfsxfs, and the RHEL layout GPT > LUKS2 >
# LVM2 > XFS; APFS from dfVFS's published image. Each finding carries its chain; a wrong key,
# a damaged LVM label and a bad --credential are problems or errors with reasons; no key ever
# reaches the store, a report or the output. Fixtures: tests/e2e/helpers/mkvolumes.sh (loop
# device + vgcfgrestore, cryptsetup reencrypt, mkfs.xfs -p; no device-mapper).
. "$(dirname "$0")/lib.sh"
T=$(pwd -P)

mk=0
bash "$VG_REPO/tests/e2e/helpers/mkvolumes.sh" fx >mkvolumes.log 2>&1 || mk=$?
if [ "$mk" -eq 2 ] || [ "$mk" -eq 3 ]; then
	echo "skip: $(grep mkvolumes mkvolumes.log | tail -n 1)"
	exit 77
elif [ "$mk" -ne 0 ]; then
	cat mkvolumes.log
	exit 1
fi
gunzip -c "$VG_REPO/tests/data/dfvfs/apfs.raw.gz" >apfs.raw
eicar e.com
ESHA=$(sha256sum e.com | cut -d" " -f1)
SECRET="vigil volume test"

test_expect_success 'LVM2: every logical volume scanned (ext4, XFS, a VM disk with its own GPT), each finding with its chain' '
	expect_exit 1 vigil --json scan image fx/lvm.img >l.json &&
	jqt l.json "[.threats[] | .path] | sort == [\"$T/fx/lvm.img:p0:lvm:vgt/data:/srv/drop/eicar.txt\", \"$T/fx/lvm.img:p0:lvm:vgt/root:/root/eicar.com\", \"$T/fx/lvm.img:p0:lvm:vgt/vm:gpt:p1:/srv/eicar.com\"]" &&
	jqt l.json "[.threats[] | .image.chain] | sort == [[\"lvm:vgt/data\", \"xfs\"], [\"lvm:vgt/root\", \"ext4\"], [\"lvm:vgt/vm\", \"gpt:p1\", \"ext4\"]]" &&
	jqt l.json "[.volumes[] | .status] == [\"container\", \"scanned\", \"scanned\", \"container\", \"scanned\"] and .errors == 0" &&
	jqt l.json "all(.threats[]; .sha256 == \"$ESHA\")"
'
test_expect_success 'XFS: every file read whole (inventory: sizes and hashes as written)' '
	expect_exit 1 vigil --json scan image fx/lvm.img --inventory >i.json &&
	id=$(jq .scan_id i.json) && vigil report "$id" --format jsonl --out i.jsonl &&
	jqt <(jq -s "[.[] | select(.record == \"file\" and (.path | test(\"vgt/data\")))]" i.jsonl) \
		"length == 2 and ([.[] | .image.fs] | unique) == [\"xfs\"]" &&
	want=$(printf "nothing to see\n" | sha256sum | cut -d" " -f1) &&
	jqt <(jq -s "[.[] | select(.record == \"file\")]" i.jsonl) \
		"[.[] | select(.path | endswith(\"/srv/readme.txt\")) | .sha256] == [\"$want\"]"
'
test_expect_success 'RHEL layout with its passphrase: GPT > LUKS2 > LVM2 > XFS, found with the whole chain' '
	expect_exit 1 vigil --json scan image fx/rhel.img --credential password:fx/pass.txt </dev/null >r.json &&
	jqt r.json "[.threats[] | .path] == [\"$T/fx/rhel.img:p2:luks2:lvm:rhel/root:/home/eve/eicar.com\"]" &&
	jqt r.json ".threats[0].image.chain == [\"gpt:p2\", \"luks2\", \"lvm:rhel/root\", \"xfs\"]" &&
	jqt r.json ".threats[0].image.partition == 2 and .threats[0].image.offset == 17825792" &&
	jqt r.json "[.volumes[] | select(.encryption == \"luks2\") | .unlocked_with] == [\"password\"]" &&
	jqt r.json "[.volumes[] | select(.chain[-1] == \"lvm:rhel/swap\") | .status] == [\"skipped\"]" &&
	jqt r.json ".errors == 0"
'
test_expect_success 'the key is nowhere: not in the store, the log, a report, or the output' '
	id=$(jq .scan_id r.json) &&
	vigil report "$id" --format json --out r.rep.json && vigil report "$id" --format html --out r.html &&
	! grep -rqa "$SECRET" "$VIGIL_STATE_DIR" r.json r.rep.json r.html &&
	jqt r.rep.json "[.scan.volumes[] | select(.unlocked_with) | .unlocked_with] == [\"password\"]"
'
# interrupted: marks scan $1 as if it had been stopped before finishing anything
interrupted() {
	db "UPDATE scans SET status = 'interrupted' WHERE id = $1; DELETE FROM threats WHERE scan_id = $1;
		DELETE FROM problems WHERE scan_id = $1; DELETE FROM scan_progress WHERE scan_id = $1;"
}
test_expect_success 'scan resume: the keys are not recorded, so they are given again with --credential' '
	id=$(jq .scan_id r.json) && interrupted "$id" &&
	expect_exit 0 vigil --json scan resume "$id" </dev/null >rs1.json &&
	jqt rs1.json "[.problems[] | .reason | test(\"no credential given\")] == [true]" &&
	interrupted "$id" &&
	expect_exit 1 vigil --json scan resume --credential password:fx/pass.txt "$id" </dev/null >rs2.json &&
	jqt rs2.json "[.threats[] | .image.chain[-2]] == [\"lvm:rhel/root\"]" &&
	expect_exit 2 vigil scan resume "$id" --credential nope 2>rs.err && grep -q "KIND:FILE" rs.err
'
test_expect_success 'a wrong key: a problem on that volume ("wrong key"), the rest of the disk still scanned' '
	expect_exit 0 vigil --json scan image fx/rhel.img --credential password:fx/wrong.txt </dev/null >w.json &&
	jqt w.json "[.problems[] | select(.path == \"$T/fx/rhel.img:p2\") | .reason | test(\"wrong key\")] == [true]" &&
	jqt w.json "[.volumes[] | select(.fs == \"ext4\") | .status] == [\"scanned\"]"
'
test_expect_success 'no credential and no terminal: "no credential given", nothing asked' '
	expect_exit 0 vigil --json scan image fx/rhel.img </dev/null >n.json &&
	jqt n.json "[.problems[] | .reason | test(\"no credential given\")] == [true]"
'
test_expect_success 'a key file (64 random bytes, exactly as they are) unlocks a LUKS2 volume of 512-byte sectors' '
	expect_exit 1 vigil --json scan image fx/luks1k.img --credential password:fx/pass.txt \
		--credential key_file:fx/key.bin >k.json &&
	jqt k.json "[.threats[] | .image.chain] == [[\"luks2\", \"ext4\"]]" &&
	jqt k.json "[.volumes[] | select(.unlocked_with) | .unlocked_with] == [\"key_file\"]"
'
test_expect_success 'a recovery password is for BitLocker: said so when it is all that was given' '
	vigil --json scan image fx/luks1k.img --list --credential recovery_password:fx/pass.txt >rp.json &&
	jqt rp.json ".volumes[0].reason | test(\"BitLocker\")"
'
# script(1) gives vigil a terminal; the passphrase is sent once vigil has turned echo off
# (sent earlier, the terminal would echo it, which is script's doing, not vigil's)
test_expect_success 'at a terminal, a passphrase is asked for (echo off) and unlocks the volume' '
	{ sleep 2; printf "%s\n" "$SECRET"; } |
		script -qec "$VIGIL scan image fx/rhel.img --list" /dev/null >tty.txt 2>&1 &&
	grep -q "Passphrase for the luks2 volume p2 of .*rhel.img" tty.txt &&
	grep -q "luks2, unlocked with a password" tty.txt &&
	grep -q "lvm:rhel/root" tty.txt &&
	! grep -q "$SECRET" tty.txt
'
test_expect_success 'a damaged LVM2 metadata area: exit 2 naming the metadata (nothing else to read), no crash' '
	expect_exit 2 vigil --json scan image fx/badlvm.img >b.json 2>b.err &&
	grep -q "cannot read the LVM metadata" b.err &&
	vigil --json scan image fx/badlvm.img --list >bl.json &&
	jqt bl.json ".volumes[0].reason | test(\"LVM metadata\")"
'
test_expect_success 'cut short inside a logical volume, or inside a LUKS volume: problems with reasons, the rest read' '
	head -c 200M fx/lvm.img >cut.img &&
	expect_exit 1 vigil --json scan image cut.img >c.json &&
	jqt c.json "[.threats[] | .image.chain[0]] | unique == [\"lvm:vgt/root\"]" &&
	jqt c.json "[.problems[] | select(.path == \"$T/cut.img:p0:lvm:vgt/data\")] | length == 1" &&
	head -c 30M fx/rhel.img >rcut.img &&
	expect_exit 0 vigil --json scan image rcut.img --credential password:fx/pass.txt >rc.json &&
	jqt rc.json "[.problems[] | .reason | test(\"cut short\")] == [true]" &&
	jqt rc.json "[.volumes[] | select(.fs == \"ext4\") | .status] == [\"scanned\"]"
'
test_expect_success 'bad --credential: exit 2, naming what is wrong, the key never echoed' '
	expect_exit 2 vigil scan image fx/lvm.img --credential secret 2>e1 && grep -q "KIND:FILE" e1 &&
	expect_exit 2 vigil scan image fx/lvm.img --credential pin:fx/pass.txt 2>e2 && grep -q "KIND:FILE" e2 &&
	expect_exit 2 vigil scan image fx/lvm.img --credential password:nothere 2>e3 &&
	grep -q "nothere" e3 &&
	: >empty && expect_exit 2 vigil scan image fx/lvm.img --credential password:empty 2>e4 &&
	grep -q "empty" e4 &&
	expect_exit 2 vigil scan custom . --credential password:fx/pass.txt 2>e5 &&
	! grep -q "$SECRET" e1 e2 e3 e4 e5
'
test_expect_success '--partition selects a partition and everything inside it' '
	vigil --json scan image fx/rhel.img --list --partition 2 --credential password:fx/pass.txt >p.json &&
	jqt p.json "[.volumes[] | select(.selected != false) | .chain[0]] | unique == [\"gpt:p2\"]" &&
	jqt p.json "[.volumes[] | select(.selected == false) | .partition] == [1]"
'
# No Linux tool writes BitLocker or FileVault: their headers are written by hand (the signature
# and what identifies the format, nothing more), so libbde and libfvde are reached and refuse
# the metadata; unlocking itself is untested (README).
test_expect_success 'BitLocker: named as encrypted, with the reason; the partition beside it still scanned' '
	truncate -s 40M bl.img && printf "label: gpt\n1M,16M\n,\n" | sfdisk -q bl.img &&
	{ printf "\353\130\220-FVE-FS-"; head -c 4096 /dev/zero; } |
		dd of=bl.img bs=1M seek=1 conv=notrunc status=none &&
	mkdir -p bls && cp e.com bls/ && mke2fs -q -t ext4 -d bls bl2.ext4 16M &&
	dd if=bl2.ext4 of=bl.img bs=1M seek=17 conv=notrunc status=none &&
	expect_exit 1 vigil --json scan image bl.img --credential recovery_password:fx/pass.txt >bl.json &&
	jqt bl.json ".volumes[0].encryption == \"BitLocker\" and .volumes[0].status == \"error\"" &&
	jqt bl.json ".volumes[0].reason | startswith(\"BitLocker metadata cannot be read (libbde): \")" &&
	jqt bl.json "[.problems[] | .reason | test(\"BitLocker\")] == [true] and (.threats | length) == 1"
'
test_expect_success 'BitLocker with no credential: the key needed is named (and what libbde could not read)' '
	expect_exit 1 vigil --json scan image bl.img </dev/null >bn.json &&
	jqt bn.json ".volumes[0].reason | startswith(\"no credential given (--credential recovery_password:FILE, password:FILE or key_file:FILE); BitLocker metadata\")"
'
test_expect_success 'FileVault 2 (Core Storage): named as encrypted, the key needed named; the rest scanned' '
	cp bl.img fv.img &&
	python3 -c "import sys; h = bytearray(4096); h[8:12] = bytes([1, 0, 16, 0]); h[88:90] = b\"CS\"; sys.stdout.buffer.write(h)" |
		dd of=fv.img bs=1M seek=1 conv=notrunc status=none &&
	expect_exit 1 vigil --json scan image fv.img </dev/null >fv.json &&
	jqt fv.json ".volumes[0].encryption == \"FileVault\" and .volumes[0].status == \"error\"" &&
	jqt fv.json ".volumes[0].reason | startswith(\"no credential given (--credential recovery_password:FILE, password:FILE); FileVault metadata cannot be read (libfvde): \")" &&
	jqt fv.json "(.threats | length) == 1 and .volumes[1].status == \"scanned\""
'
test_expect_success 'APFS (dfVFS apfs.raw, made on macOS): its volume scanned through libtsk, files hashed' '
	vigil --json scan image apfs.raw --inventory >a.json &&
	jqt a.json ".errors == 0 and [.volumes[] | .status] == [\"container\", \"scanned\"]" &&
	id=$(jq .scan_id a.json) && vigil report "$id" --format jsonl --out a.jsonl &&
	want=$(printf "This is a text file.\n\nWe should be able to parse it.\n" | sha256sum | cut -d" " -f1) &&
	jqt <(jq -s "[.[] | select(.record == \"file\")]" a.jsonl) \
		"[.[] | select(.path == \"$T/apfs.raw:p0:apfs:apfs_test:/a_directory/a_file\") | .sha256] == [\"$want\"]" &&
	jqt <(jq -s "[.[] | select(.record == \"file\")]" a.jsonl) \
		"all(.[]; .image.chain == [\"apfs:apfs_test\", \"apfs\"])"
'
test_done
