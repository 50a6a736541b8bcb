#!/bin/bash
# tests/vm/fixture-init.sh: PID 1 (init=) of the throwaway fixture VM that mkfixtures.sh boots.
# Each fixture image is a blank virtio disk whose serial is the image's name without .raw
# (/sys/block/vdX/serial); this script partitions and fills every one of them through the
# guest kernel's device-mapper, then closes everything, opens it all again from scratch with
# the passphrase file and checks the files, and powers off. It talks to the host only through
# the console: lines that start with "VIGIL-FIXTURE " (step, OK name, PBKDF, DONE, FAILED).
# /fixture.pass (the LUKS passphrase) is put into the root beside this script by mkfixtures.sh.
set -Eeuo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C

say() { echo "VIGIL-FIXTURE $*"; }
t0=$(date +%s)
fail() {
	say "FAILED at line $1 after $(( $(date +%s) - t0 ))s: $2"
	sync
	poweroff -f
}
trap 'fail $LINENO "$BASH_COMMAND"' ERR

mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sys /sys
mountpoint -q /dev || mount -t devtmpfs dev /dev
mountpoint -q /run || mount -t tmpfs run /run
mkdir -p /run/lock /run/mnt /tmp
dmesg -n 1 # keep kernel messages off the console between our lines
hostname vigil-fixture
say "init up after $(cut -d' ' -f1 /proc/uptime)s of guest uptime"
# From here on every command goes to the console too, for the post-mortem of a failure.
PS4='+ '
set -x

# No udev: libdevmapper (cryptsetup, lvm2) makes the /dev/mapper nodes, and lvm2 the /dev/VG
# links, itself; the kernel's devtmpfs makes the partitions' nodes. With udevd running, an lvm
# or cryptsetup command now and then waited for ever on its udev cookie.
export DM_DISABLE_UDEV=1
modprobe -a dm_mod dm_crypt
PASS=/fixture.pass
MNT=/run/mnt

# The argon2id cost of every LUKS2 image that keeps the default KDF: what cryptsetup 2.6 writes
# on a usual machine of four or more CPUs (its maximum memory, 1 GiB; four lanes, which needs
# four vCPUs; the minimum four passes) given explicitly, since its benchmark under TCG would
# settle on 64 MiB.
ARGON2="--pbkdf argon2id --pbkdf-memory 1048576 --pbkdf-parallel 4 --pbkdf-force-iterations 4"

disk() { # disk NAME: the virtio disk whose serial is NAME
	local d
	for d in /sys/block/vd*; do
		if [ "$(cat "$d/serial" 2>/dev/null)" = "$1" ]; then echo "/dev/${d##*/}"; return 0; fi
	done
	echo "no disk with serial $1" >&2
	return 1
}
# shellcheck disable=SC2016 # the $ are the string's own
eicar() { # the EICAR test string, written in two halves so it is never whole in the repository
	printf '%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR' '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$1"
}
CLEAN="vigil test fixture: a clean file
"
mkext4() { mkfs.ext4 -q -F -b 4096 -i 16384 -L "$2" "$1"; }
mkxfs() { mkfs.xfs -q -f -L "$2" "$1"; }
fill() { # fill DEV FSTYPE [eicar]: puts /clean.txt (and /eicar.com) in the file system on DEV
	if [ "$2" = ext4 ]; then mount -t ext4 -o noinit_itable "$1" $MNT; else mount -t "$2" "$1" $MNT; fi
	printf '%s' "$CLEAN" >$MNT/clean.txt
	if [ "${3-}" = eicar ]; then eicar $MNT/eicar.com; fi
	umount $MNT
}
check() { # check DEV FSTYPE eicar|noeicar: the files fill wrote are there, byte for byte
	mount -t "$2" -o ro "$1" $MNT
	printf '%s' "$CLEAN" | cmp - $MNT/clean.txt
	if [ "$3" = eicar ]; then eicar /tmp/eicar.ref; cmp /tmp/eicar.ref $MNT/eicar.com
	else [ ! -e $MNT/eicar.com ]; fi
	umount $MNT
}
luks_open() { cryptsetup open --key-file $PASS "$1" "$2"; }
# luks_format DEV NAME OPTIONS...: formats DEV with a volume key of our own and maps it as NAME
# through that key, not the passphrase: under TCG an argon2id run at 1 GiB takes about 45 s, and
# this way the build runs it once per key slot (luksFormat) and the check once more (luks_open).
luks_format() {
	local dev=$1 name=$2
	shift 2
	head -c 64 /dev/urandom >/run/vk
	cryptsetup luksFormat -q "$@" --key-size 512 --volume-key-file /run/vk --key-file $PASS "$dev"
	cryptsetup open --volume-key-file /run/vk "$dev" "$name"
	rm /run/vk
}
settle() { # settle DEV...: waits (10 s at most) until each DEV exists
	local i dev
	for dev; do
		for ((i = 0; i < 100; i++)); do [ -b "$dev" ] && break; sleep 0.1; done
		[ -b "$dev" ]
	done
}
step() { say "step $* (+$(( $(date +%s) - t0 ))s)"; }

# ---- build -------------------------------------------------------------------------------------

step luks1-ext4
d=$(disk luks1-ext4)
luks_format "$d" fx-luks1 --type luks1
mkext4 /dev/mapper/fx-luks1 luks1
fill /dev/mapper/fx-luks1 ext4 eicar
cryptsetup close fx-luks1

step luks2-ext4
d=$(disk luks2-ext4)
# shellcheck disable=SC2086
luks_format "$d" fx-luks2 --type luks2 $ARGON2
mkext4 /dev/mapper/fx-luks2 luks2
fill /dev/mapper/fx-luks2 ext4 eicar
cryptsetup close fx-luks2

step luks2-pbkdf2-ext4
d=$(disk luks2-pbkdf2-ext4)
luks_format "$d" fx-luks2p --type luks2 --pbkdf pbkdf2 --iter-time 100
mkext4 /dev/mapper/fx-luks2p luks2-pbkdf2
fill /dev/mapper/fx-luks2p ext4 eicar
cryptsetup close fx-luks2p

step lvm-linear
d=$(disk lvm-linear)
# DOS label, one type 8e partition from 1 MiB to the end
echo 'start=2048, type=8e' | sfdisk -q "$d"
settle "${d}1"
pvcreate -q "${d}1"
vgcreate -q -s 4M vgtest "${d}1"
lvcreate -q -y -n root -L 64M vgtest
lvcreate -q -y -n data -L 300M vgtest # 300 MiB: the smallest XFS that mkfs.xfs 6.1 makes
settle /dev/mapper/vgtest-root /dev/mapper/vgtest-data
mkext4 /dev/mapper/vgtest-root root
mkxfs /dev/mapper/vgtest-data data
fill /dev/mapper/vgtest-root ext4 eicar
fill /dev/mapper/vgtest-data xfs eicar
vgchange -q -an vgtest

step lvm-striped
d=$(disk lvm-striped)
# GPT, two Linux LVM partitions of 164 MiB: one PV each
sfdisk -q "$d" <<-EOF
	label: gpt
	size=164MiB, type=E6D6D379-F507-44C2-A23C-238F2A3DF928, name=pv0
	size=164MiB, type=E6D6D379-F507-44C2-A23C-238F2A3DF928, name=pv1
EOF
settle "${d}1" "${d}2"
pvcreate -q "${d}1" "${d}2"
vgcreate -q -s 4M vgstripe "${d}1" "${d}2"
lvcreate -q -y -n data -i 2 -I 64k -L 300M vgstripe
settle /dev/mapper/vgstripe-data
mkxfs /dev/mapper/vgstripe-data data
fill /dev/mapper/vgstripe-data xfs eicar
vgchange -q -an vgstripe

step rhel
d=$(disk rhel)
# GPT as RHEL's installer lays it out for BIOS boot: BIOS boot, /boot, then LUKS2 -> LVM
sfdisk -q "$d" <<-EOF
	label: gpt
	size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name=biosboot
	size=64MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=boot
	type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=luks
EOF
settle "${d}1" "${d}2" "${d}3"
mkext4 "${d}2" boot
fill "${d}2" ext4
# shellcheck disable=SC2086
luks_format "${d}3" fx-rhel --type luks2 $ARGON2
pvcreate -q /dev/mapper/fx-rhel
vgcreate -q -s 4M rhel /dev/mapper/fx-rhel
lvcreate -q -y -n swap -L 32M rhel
lvcreate -q -y -n root -L 300M rhel
settle /dev/mapper/rhel-swap /dev/mapper/rhel-root
mkswap -q -L swap /dev/mapper/rhel-swap >/dev/null
mkxfs /dev/mapper/rhel-root root
fill /dev/mapper/rhel-root xfs eicar
vgchange -q -an rhel
cryptsetup close fx-rhel
sync

# ---- check: everything again from scratch ------------------------------------------------------

step verify
ok() { say "OK $1"; }
for n in luks1-ext4:fx-luks1 luks2-ext4:fx-luks2 luks2-pbkdf2-ext4:fx-luks2p; do
	luks_open "$(disk "${n%%:*}")" "${n#*:}"
	check "/dev/mapper/${n#*:}" ext4 eicar
	cryptsetup close "${n#*:}"
	ok "${n%%:*}"
done

vgchange -q -ay vgtest
settle /dev/mapper/vgtest-root /dev/mapper/vgtest-data
check /dev/mapper/vgtest-root ext4 eicar
check /dev/mapper/vgtest-data xfs eicar
[ "$(lvs --noheadings -o segtype vgtest/data | tr -d ' ')" = linear ]
vgchange -q -an vgtest
ok lvm-linear

vgchange -q -ay vgstripe
settle /dev/mapper/vgstripe-data
[ "$(lvs --noheadings -o segtype,stripes,stripesize --units k vgstripe/data | tr -s ' ')" = " striped 2 64.00k" ]
check /dev/mapper/vgstripe-data xfs eicar
vgchange -q -an vgstripe
ok lvm-striped

d=$(disk rhel)
check "${d}2" ext4 noeicar
luks_open "${d}3" fx-rhel
vgchange -q -ay rhel
settle /dev/mapper/rhel-swap /dev/mapper/rhel-root
check /dev/mapper/rhel-root xfs eicar
[ "$(blkid -o value -s TYPE /dev/mapper/rhel-swap)" = swap ]
vgchange -q -an rhel
cryptsetup close fx-rhel
ok rhel

sync
say "DONE in $(( $(date +%s) - t0 ))s"
poweroff -f
