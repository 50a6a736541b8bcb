#!/bin/sh
# packaging/make-rescue.sh BINARY VERSION RULES OUT.tar.gz [EXTRACT [IMAGE [BTRFS_SHIM]]] —
# the rescue bundle: one folder vigil-rescue-VERSION/ with the launcher, bin/vigil (debug info
# stripped), bin/vigil-extract (the deep-container extractor, with libclamav), bin/vigil-image
# (the sandboxed disk-image reader), bin/vigil-btrfs.so (loaded into the host's btrfs-progs to
# read btrfs volumes, where the host has it), lib/ (every shared library they need except glibc's), share/magic.mgc (libmagic-mgc's),
# rules/default_rules.yar and README.txt. Works in a scratch folder beside OUT; OUT is
# replaced only when the bundle is complete.
set -eu
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)
[ $# -ge 4 ] && [ $# -le 7 ] || { echo "usage: $0 BINARY VERSION RULES OUT.tar.gz [EXTRACT [IMAGE [BTRFS_SHIM]]]" >&2; exit 2; }
bin=$1 version=$2 rules=$3 out=$4 extract=${5:-} image=${6:-} shim=${7:-}
arch=$(uname -m)
name=vigil-rescue-$version

# libmagic's compiled database, as the libmagic-mgc package installs it
mgc=${MAGIC_MGC:-$(dpkg-query -L libmagic-mgc 2>/dev/null | grep '/magic\.mgc$' | head -n1)}
if [ -z "$mgc" ] || [ ! -f "$mgc" ]; then
	echo "make-rescue.sh: libmagic's magic.mgc not found (apt-get install libmagic-mgc)" >&2
	exit 2
fi

mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.rescue.XXXXXX")
trap 'rm -rf "$work"' EXIT
b=$work/$name
mkdir -p "$b/bin" "$b/lib" "$b/share" "$b/rules"

# the binary without debug info (smaller; no build-tree paths)
cp "$bin" "$b/bin/vigil"
strip --strip-debug "$b/bin/vigil"
chmod 755 "$b/bin/vigil"

if [ -n "$extract" ]; then
	cp "$extract" "$b/bin/vigil-extract"
	strip --strip-debug "$b/bin/vigil-extract"
	chmod 755 "$b/bin/vigil-extract"
fi

if [ -n "$image" ]; then
	cp "$image" "$b/bin/vigil-image"
	strip --strip-debug "$b/bin/vigil-image"
	chmod 755 "$b/bin/vigil-image"
fi

if [ -n "$shim" ]; then
	cp "$shim" "$b/bin/vigil-btrfs.so"
	strip --strip-debug "$b/bin/vigil-btrfs.so"
	chmod 755 "$b/bin/vigil-btrfs.so"
fi

{ sh "$here/shlibs.sh" --no-glibc "$bin"
  [ -z "$extract" ] || sh "$here/shlibs.sh" --no-glibc "$extract"
  [ -z "$image" ] || sh "$here/shlibs.sh" --no-glibc "$image"
  [ -z "$shim" ] || sh "$here/shlibs.sh" --no-glibc "$shim"; } | sort -u >"$work/libs"
while read -r soname path; do
	cp -L "$path" "$b/lib/$soname"
	chmod 644 "$b/lib/$soname"
done <"$work/libs"

cp "$mgc" "$b/share/magic.mgc"
cp "$rules" "$b/rules/default_rules.yar"
chmod 644 "$b/share/magic.mgc" "$b/rules/default_rules.yar"
cp "$here/rescue/vigil" "$b/vigil"
chmod 755 "$b/vigil"

# the newest glibc symbol version anything in the bundle asks for: the oldest host it runs on
glibc=$(objdump -T "$b"/bin/* "$b"/lib/* 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' |
	sed 's/GLIBC_//' | sort -t. -k1,1n -k2,2n -k3,3n -u | tail -n1)
sed -e "s/@VERSION@/$version/g" -e "s/@ARCH@/$arch/g" -e "s/@GLIBC@/${glibc:-2.36}/g" \
	"$here/rescue/README.txt" >"$b/README.txt"
chmod 644 "$b/README.txt"
chmod 755 "$b" "$b/bin" "$b/lib" "$b/share" "$b/rules"

# the same inputs give the same bytes: sorted names, root owner, one time stamp, gzip -n
mtime=$(stat -c %Y "$bin")
tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
	-cf - "$name" | gzip -9n >"$work/out.tar.gz"
mv "$work/out.tar.gz" "$out"
echo "$out"
