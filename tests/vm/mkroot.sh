#!/bin/bash
# tests/vm/mkroot.sh DIR: makes the root of the throwaway fixture VM in DIR, which must not exist:
#   DIR/root.ext4   the guest's root file system (ext4, no partition table, sparse)
#   DIR/vmlinuz     its kernel
#   DIR/initrd.img  a small initramfs (virtio and ext4 only) to mount it
# A minimal Debian 12 made by mmdebstrap with the kernel and the tools that need device-mapper
# (cryptsetup, lvm2, xfsprogs), which the host sandbox does not have. mkfixtures.sh caches DIR
# keyed by a hash of this file, so everything that decides what the root holds must be in it.
# Needs root (mmdebstrap's root mode, mkfs.ext4 -d keeping owners) and the network to the
# Debian mirror.
# shellcheck disable=SC2016 # in the hooks, $1 is the root: mmdebstrap's shell expands it
set -euo pipefail
export LC_ALL=C

dir=${1:?usage: mkroot.sh DIR}
[ ! -e "$dir" ] || { echo "mkroot.sh: $dir exists" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "mkroot.sh: needs root" >&2; exit 2; }

SUITE=bookworm
PACKAGES=linux-image-amd64,initramfs-tools,systemd-sysv,udev,kmod,cryptsetup-bin,lvm2,dmsetup,xfsprogs,e2fsprogs,fdisk,gdisk
# Kernel module trees the fixtures never load (no network, sound, graphics...): about half of
# /usr/lib/modules, which makes the root image and mkfs.ext4 -d twice as fast.
PRUNE="sound drivers/gpu drivers/media drivers/net drivers/infiniband drivers/staging drivers/iio
       drivers/bluetooth drivers/usb drivers/hwmon drivers/isdn net/wireless net/mac80211
       net/bluetooth"
# The initramfs needs only to find and mount /dev/vda; everything else is loaded from the root.
INITRD_MODULES="virtio_pci virtio_blk ext4 crc32c_generic"
PRUNE=${PRUNE//$'\n'/ } # one line: it goes into a hook's for loop

tmp=$(mktemp -d "$(dirname "$dir")/.mkroot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
rootdir=$tmp/root

mmdebstrap --variant=minbase --include="$PACKAGES" \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--customize-hook='echo vigil-fixture >"$1/etc/hostname"' \
	--customize-hook="for k in \"\$1\"/usr/lib/modules/*/kernel; do for p in $PRUNE; do rm -rf \"\$k/\$p\"; done; done" \
	--customize-hook='for v in "$1"/usr/lib/modules/*; do chroot "$1" depmod -a "${v##*/}"; done' \
	--customize-hook='echo MODULES=list >"$1/etc/initramfs-tools/conf.d/vigil"' \
	--customize-hook="printf '%s\n' $INITRD_MODULES >>\"\$1/etc/initramfs-tools/modules\"" \
	--customize-hook='chroot "$1" update-initramfs -u -k all' \
	"$SUITE" "$rootdir"

cp "$rootdir"/boot/vmlinuz-* "$tmp/vmlinuz"
cp "$rootdir"/boot/initrd.img-* "$tmp/initrd.img"
# Room for the fixture script and what lvm and udev write at run time; the image is sparse.
size=$(( $(du -sm "$rootdir" | cut -f1) + 256 ))
mkfs.ext4 -q -F -L vigil-vmroot -d "$rootdir" "$tmp/root.ext4" "${size}M"
rm -rf "$rootdir"
mv "$tmp" "$dir"
trap - EXIT
