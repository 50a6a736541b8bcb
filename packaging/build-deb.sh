#!/bin/sh
# packaging/build-deb.sh STAGE VERSION OUT.deb — turns a tree staged by
# `make install DESTDIR=STAGE PREFIX=/usr` into a Debian package with dpkg-deb: writes
# STAGE/DEBIAN (control with Depends from the binary's shared libraries, maintainer
# scripts) and builds OUT.deb, every file owned by root.
set -eu
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)
[ $# -eq 3 ] || { echo "usage: $0 STAGE VERSION OUT.deb" >&2; exit 2; }
stage=$1 version=$2 out=$3
bin=$stage/usr/bin/vigil
[ -x "$bin" ] || { echo "build-deb.sh: $bin is missing (stage with make install PREFIX=/usr)" >&2; exit 2; }

depends=$(sh "$here/deb-depends.sh" "$bin" "$stage/usr/lib/vigil/vigil-extract" \
	"$stage/usr/lib/vigil/vigil-image" "$stage/usr/lib/vigil/vigil-btrfs.so")
arch=$(dpkg --print-architecture)
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)

rm -rf "$stage/DEBIAN"
mkdir -p "$stage/DEBIAN"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: vigil
Version: $version
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-vigil developers <vigil@localhost>}
Installed-Size: $size
Depends: $depends
Recommends: btrfs-progs
Section: utils
Priority: optional
Description: offline forensic malware scanner and quarantine manager
 vigil scans files, folders and disks with YARA rules and hash lists, looks
 inside archives, keeps every scan, detection and problem in a SQLite store,
 moves detections into an encrypted quarantine vault, writes reports for
 incident responders, and protects a running system in real time with
 fanotify. It needs no network and sends nothing anywhere.
 .
 btrfs volumes of disk images are read with btrfs-progs' btrfs restore,
 sandboxed, when btrfs-progs is installed.
 .
 The systemd unit (vigil.service) is installed but neither enabled nor
 started.
CONTROL
for s in postinst prerm postrm; do
	install -m 755 "$here/deb/$s" "$stage/DEBIAN/$s"
done

# folders as a package ships them, whatever the umask of make install was
find "$stage" -type d -exec chmod 755 {} +

mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out.tmp" >/dev/null
mv "$out.tmp" "$out"
echo "$out"
