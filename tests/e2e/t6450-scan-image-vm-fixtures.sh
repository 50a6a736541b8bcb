#!/usr/bin/env bash
# scan image on the disks tests/vm builds in a throwaway VM with the real kernel's
# device-mapper (make vm-check): LUKS1, LUKS2 with argon2id (1 GiB, 4 passes) and pbkdf2,
# LVM2 linear, LVM2 striped (which Debian 12's libvslvm cannot read: the reason is checked),
# and the RHEL layout GPT > LUKS2 > LVM2 {swap, root XFS}. Every file system holds /clean.txt
# and /eicar.com (the RHEL /boot only clean.txt). Skipped unless VIGIL_VM_FIXTURES names the
# folder tests/vm/mkfixtures.sh wrote (make vm-check sets it); not part of make check, whose
# fixtures are all made on the host (t6400).
. "$(dirname "$0")/lib.sh"
T=$(pwd -P)

F=${VIGIL_VM_FIXTURES:-}
if [ -z "$F" ] || [ ! -f "$F/MANIFEST" ]; then
	echo "skip: no VM-made fixtures (make vm-check makes them and runs this)"
	exit 77
fi
eicar e.com
ESHA=$(sha256sum e.com | cut -d" " -f1)

test_expect_success 'the fixtures are the ones MANIFEST describes (sizes and SHA-256)' '
	grep -v "^#" "$F/MANIFEST" | while read -r name size sha rest; do
		test "$(stat -c %s "$F/$name")" = "$size" &&
		test "$(sha256sum <"$F/$name" | cut -d" " -f1)" = "$sha" || exit 1
	done
'
test_expect_success 'LUKS1 (pbkdf2, aes-xts-plain64) unlocked with its passphrase: ext4 read, EICAR found' '
	expect_exit 1 vigil --json scan image "$F/luks1-ext4.raw" --credential password:"$F/luks.pass" >l1.json &&
	jqt l1.json "[.threats[] | .image.chain] == [[\"luks1\", \"ext4\"]] and .threats[0].sha256 == \"$ESHA\"" &&
	jqt l1.json "[.volumes[] | select(.encryption == \"luks1\") | .unlocked_with] == [\"password\"]"
'
test_expect_success 'LUKS2 with argon2id (1 GiB): unlocked once, within bounds of time and memory' '
	bounded 120 2500 "$VIGIL" --json scan image "$F/luks2-ext4.raw" --credential password:"$F/luks.pass" >l2.json &&
	test "$rc" -eq 1 && jqt l2.json "[.threats[] | .image.chain] == [[\"luks2\", \"ext4\"]]"
'
test_expect_success 'LUKS2 with pbkdf2, a wrong passphrase then the right one' '
	printf "not it" >wrong &&
	expect_exit 1 vigil --json scan image "$F/luks2-pbkdf2-ext4.raw" --credential password:wrong \
		--credential password:"$F/luks.pass" >l3.json &&
	jqt l3.json "(.threats | length) == 1 and .errors == 0"
'
test_expect_success 'LVM2 linear, made by lvm2 and mkfs in the VM: both logical volumes, ext4 and XFS' '
	expect_exit 1 vigil --json scan image "$F/lvm-linear.raw" >ll.json &&
	jqt ll.json "[.threats[] | .image.chain] | sort == [[\"dos:p1\", \"lvm:vgtest/data\", \"xfs\"], [\"dos:p1\", \"lvm:vgtest/root\", \"ext4\"]]"
'
test_expect_success 'LVM2 striped over two physical volumes: not readable with this libvslvm, and said so' '
	expect_exit 2 vigil --json scan image "$F/lvm-striped.raw" >ls.json 2>ls.err &&
	grep -q "cannot read the LVM metadata" ls.err
'
test_expect_success 'the RHEL layout: GPT > LUKS2 (argon2id) > LVM2 > XFS, swap skipped, /boot scanned' '
	bounded 120 2500 "$VIGIL" --json scan image "$F/rhel.raw" --credential password:"$F/luks.pass" >r.json &&
	test "$rc" -eq 1 && jqt r.json "[.threats[] | .image.chain] == [[\"gpt:p3\", \"luks2\", \"lvm:rhel/root\", \"xfs\"]]" &&
	jqt r.json "[.volumes[] | select(.fs == \"ext4\") | .status] == [\"scanned\"]" &&
	jqt r.json "[.volumes[] | select(.chain[-1] == \"lvm:rhel/swap\") | .status] == [\"skipped\"]"
'
test_done
