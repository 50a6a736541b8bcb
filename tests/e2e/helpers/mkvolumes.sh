#!/usr/bin/env bash
# tests/e2e/helpers/mkvolumes.sh OUTDIR — disk images with volumes inside volumes, for
# t6400-scan-image-volumes.sh, made on the host without device-mapper:
#
#   LVM2      pvcreate and vgcreate on a loop device; the logical volumes are added with
#             vgcfgrestore from the metadata vgcfgbackup wrote, with a logical_volumes section
#             added (lvcreate needs device-mapper; vgcfgrestore does not); the file systems are
#             made as files of their own and copied to the logical volumes' offsets
#   LUKS2     cryptsetup reencrypt --encrypt on the finished image file (no device-mapper),
#             pbkdf2 with few iterations so that unlocking takes milliseconds
#   XFS       mkfs.xfs -p protofile (xfsprogs 6.1 fills it from a protofile, not a folder;
#             300 MiB is its smallest)
#
#   lvm.img     bare LVM2 physical volume (no partition table), volume group vgt:
#               root 16 MiB ext4 (/etc/hostname clean, /root/eicar.com EICAR),
#               data 300 MiB XFS (/srv/drop/eicar.txt EICAR, /srv/readme.txt clean),
#               vm 20 MiB, a virtual machine's disk: GPT, p1 ext4 (/srv/eicar.com EICAR)
#   rhel.img    GPT: p1 16 MiB ext4 "boot" (/grub.cfg clean); p2 LUKS2 (passphrase below,
#               sector size 4096) holding an LVM2 physical volume, volume group rhel:
#               swap 8 MiB (mkswap), root 300 MiB XFS (/home/eve/eicar.com EICAR)
#   luks1k.img  LUKS2, 512-byte sectors, holding ext4 (/eicar.com); its key is key.bin
#               (64 random bytes, a key file)
#   badlvm.img  lvm.img with its metadata text overwritten (the label is intact)
#   pass.txt    "vigil volume test\n" (a password file ends with a newline; it is dropped)
#   wrong.txt   another passphrase;  key.bin  the key file of luks1k.img
#
# The EICAR string is assembled at run time from two halves, never whole in this repository.
# Takes about 10 s (mostly the encryption of rhel.img). Exits 2 when a tool is missing, 3 when
# no loop device can be had (the test is skipped then).
set -eu
out=${1:?usage: mkvolumes.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd -P)
PATH=$PATH:/usr/sbin:/sbin
for t in pvcreate vgcreate vgcfgbackup vgcfgrestore losetup cryptsetup mkfs.xfs mke2fs mkswap sfdisk; do
	command -v "$t" >/dev/null || { echo "mkvolumes.sh: $t is missing (make deps)" >&2; exit 2; }
done

w=$(mktemp -d "${TMPDIR:-/tmp}/vigil-mkvolumes.XXXXXX")
loop=
cleanup() {
	[ -z "$loop" ] || losetup -d "$loop" 2>/dev/null || true
	rm -rf "$w"
}
trap cleanup EXIT
cd "$w"
export LC_ALL=C TZ=UTC E2FSPROGS_FAKE_TIME=1700000000
# LVM's own cache, lock and backup folders, away from the host's
export LVM_SYSTEM_DIR="$w/lvm"
mkdir -p lvm/backup lvm/archive lvm/cache
cat >lvm/lvm.conf <<EOF
devices { scan = [ "/dev" ] obtain_device_list_from_udev = 0 use_devicesfile = 0 }
global { use_lvmlockd = 0 locking_dir = "$w/lvm/lock" }
backup { backup = 0 archive = 0 }
activation { udev_sync = 0 udev_rules = 0 }
EOF
MiB=1048576
eicar() {
	printf '%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR' '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$1"
}

# xfsimg FILE DIR: a 300 MiB XFS holding DIR's folders and regular files. Its protofile has a
# boot line, a blocks/inodes line, then "name mode uid gid [source]" per entry and "$" closing
# each folder (mkfs.xfs(8)).
xfsimg() {
	python3 -c '
import os, sys
def walk(d, depth):
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if os.path.isdir(p):
            print(" " * depth + name + " d--755 0 0")
            walk(p, depth + 1)
            print(" " * depth + "$")
        else:
            print(" " * depth + name + " ---644 0 0 " + os.path.abspath(p))
print("/dev/null\n0 0\nd--755 0 0")
walk(sys.argv[1], 1)
print("$")' "$2" >proto.txt
	truncate -s 300M "$1"
	mkfs.xfs -q -f -p proto.txt "$1"
}

# lvmimg FILE VG SIZE_MIB LV:SIZE_MIB...: an LVM2 physical volume with linear logical
# volumes, each one after the other from the first extent; prints "LV OFFSET" per volume
lvmimg() {
	local img=$1 vg=$2 size=$3 lv ext=0 n mib
	shift 3
	truncate -s "${size}M" "$img"
	loop=$(losetup -f --show "$img") || exit 3
	# LVM looks at this loop device only: not at the host's disks, nor at another test's
	sed -i "s|^devices {.*|devices { global_filter = [ \"a\|^$loop\$\|\", \"r\|.*\|\" ] scan = [ \"/dev\" ] obtain_device_list_from_udev = 0 use_devicesfile = 0 }|" lvm/lvm.conf
	pvcreate -q -ff -y --uuid "aaaaaa-bbbb-cccc-dddd-eeee-ffff-$(printf '%06d' "$size")" \
		--norestorefile "$loop" >/dev/null
	vgcreate -q -s 4M "$vg" "$loop" >/dev/null
	vgcfgbackup -q -f meta.txt "$vg" >/dev/null
	{
		echo "logical_volumes {"
		n=0
		for lv in "$@"; do
			mib=${lv#*:}
			n=$((n + 1))
			cat <<EOF
${lv%%:*} {
id = "LVLVLV-0000-0000-0000-0000-0000-00000$n"
status = ["READ", "WRITE", "VISIBLE"]
flags = []
segment_count = 1
segment1 {
start_extent = 0
extent_count = $((mib / 4))
type = "striped"
stripe_count = 1
stripes = ["pv0", $ext]
}
}
EOF
			echo "${lv%%:*} $((MiB + ext * 4 * MiB))" >>"$img.offsets"
			ext=$((ext + mib / 4))
		done
		echo "}"
	} >lvs.txt
	# the logical volumes go inside the volume group's section, after its physical volumes
	python3 - meta.txt lvs.txt <<'EOF'
import sys
meta = open(sys.argv[1]).read().rstrip()
assert meta.endswith("}")
open(sys.argv[1], "w").write(meta[:-1] + open(sys.argv[2]).read() + "}\n")
EOF
	vgcfgrestore -q -f meta.txt "$vg" >/dev/null
	vgexport -q "$vg" >/dev/null 2>&1 || true
	losetup -d "$loop"
	loop=
}

# put FILE IMG OFFSET: FILE's bytes into IMG at byte OFFSET
put() {
	dd if="$1" of="$2" bs=1M seek="$(($3 / MiB))" conv=notrunc,sparse status=none
}

mkdir -p t/root/etc t/root/root t/data/srv/drop t/boot t/rroot/home/eve t/small t/vm/srv
echo host1 >t/root/etc/hostname
eicar t/root/root/eicar.com
eicar t/data/srv/drop/eicar.txt
echo "nothing to see" >t/data/srv/readme.txt
echo "menuentry" >t/boot/grub.cfg
eicar t/rroot/home/eve/eicar.com
echo clean >t/rroot/home/eve/notes.txt
eicar t/small/eicar.com
eicar t/vm/srv/eicar.com

# lvm.img: vgt/root ext4, vgt/data XFS
mke2fs -q -t ext4 -b 4096 -d t/root root.ext4 16M
xfsimg data.xfs t/data
# vm: a virtual machine's disk kept as a logical volume, with a partition table of its own
mke2fs -q -t ext4 -b 4096 -d t/vm vm.ext4 12M
truncate -s 20M vm.img
printf 'label: gpt\nstart=2048, size=%d, name=vmroot\n' $((12 * 2048)) | sfdisk -q vm.img
put vm.ext4 vm.img $MiB
lvmimg lvm.img vgt 348 root:16 data:300 vm:20
put root.ext4 lvm.img "$(awk '$1 == "root" { print $2 }' lvm.img.offsets)"
put data.xfs lvm.img "$(awk '$1 == "data" { print $2 }' lvm.img.offsets)"
put vm.img lvm.img "$(awk '$1 == "vm" { print $2 }' lvm.img.offsets)"

# badlvm.img: the metadata area (the rest of the first MiB after its header) overwritten
cp --sparse=always lvm.img badlvm.img
yes 'garbage, not LVM metadata' | head -c $((MiB - 4608)) |
	dd of=badlvm.img bs=512 seek=9 conv=notrunc status=none

printf 'vigil volume test\n' >pass.txt
printf 'not the passphrase\n' >wrong.txt
head -c 64 /dev/urandom >key.bin

# rhel.img: GPT, p1 ext4 boot, p2 LUKS2 (4096-byte sectors) > LVM rhel {swap, root XFS}
xfsimg rroot.xfs t/rroot
lvmimg pv.img rhel 312 swap:8 root:300
truncate -s 8M swap.img && mkswap -q swap.img >/dev/null
put swap.img pv.img "$(awk '$1 == "swap" { print $2 }' pv.img.offsets)"
put rroot.xfs pv.img "$(awk '$1 == "root" { print $2 }' pv.img.offsets)"
truncate -s +32M pv.img # room for the LUKS2 header (reencrypt shrinks the data by as much)
cryptsetup reencrypt -q --encrypt --type luks2 --reduce-device-size 32M --sector-size 4096 \
	--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file pass.txt --keyfile-size 17 \
	pv.img >/dev/null
mke2fs -q -t ext4 -b 4096 -d t/boot boot.ext4 16M
luks_mib=$(( $(stat -c %s pv.img) / MiB ))
truncate -s $((1 + 16 + luks_mib + 1))M rhel.img
printf 'label: gpt\nstart=2048, size=%d, name=boot\nstart=%d, size=%d, name=luks\n' \
	$((16 * 2048)) $((17 * 2048)) $((luks_mib * 2048)) | sfdisk -q rhel.img
put boot.ext4 rhel.img $MiB
put pv.img rhel.img $((17 * MiB))

# luks1k.img: LUKS2 with 512-byte sectors and a key file, holding ext4
mke2fs -q -t ext4 -b 4096 -d t/small small.ext4 24M
truncate -s +16M small.ext4
cryptsetup reencrypt -q --encrypt --type luks2 --reduce-device-size 16M --sector-size 512 \
	--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file key.bin small.ext4 >/dev/null
mv small.ext4 luks1k.img

mv lvm.img badlvm.img rhel.img luks1k.img pass.txt wrong.txt key.bin "$out/"
