#!/usr/bin/env bash
# The rescue bundle (make rescue): one folder with the launcher, the binary, every non-glibc
# library, libmagic's database, the rules and a README; run in a chroot that holds nothing
# but the bundle, glibc and /bin/sh (no libyara, libarchive, libmagic, coreutils or ldd), so
# a scan that works there took nothing from outside the bundle. Also: moved bundle, read-only
# bundle (--state-dir), caching, no build-tree paths.
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "skip: needs root (chroot, mount)"
	exit 77
fi
for c in chroot unshare mount tar gzip ldd; do
	command -v "$c" >/dev/null || { echo "skip: needs $c"; exit 77; }
done

version=$(sed -n 's/^VERSION *:= *//p' "$repo/Makefile")
name=vigil-rescue-$version
tarball=$repo/dist/$name-$(uname -m).tar.gz
# make in the repository, not here, and not as part of the caller's make (jobserver)
repo_make() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SAN make -C "$repo" "$@"; }
# glibc's shared objects: taken from the host into the chroot, never shipped in the bundle
glibc_re='^(ld-linux[^/]*\.so\.[0-9]+|libc\.so\.6|libm\.so\.6|libmvec\.so\.1|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libresolv\.so\.2|libutil\.so\.1|libanl\.so\.1|libnsl\.so\.1|libnss_[a-z]+\.so\.2|libBrokenLocale\.so\.1|libthread_db\.so\.1)$'
ldd_paths() { ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'; }

test_expect_success 'make rescue builds dist/vigil-rescue-VERSION-ARCH.tar.gz in the repository' '
	repo_make rescue >make.log 2>&1 || { tail -n 20 make.log; exit 1; }
	test -s "$tarball" && gzip -t "$tarball" && ! ls -A | grep -q "\.tar\.gz$"
'
[ -s "$tarball" ] || { echo "no tarball: $tarball"; test_done; }

test_expect_success 'a second make rescue rebuilds nothing (file dependencies)' '
	before=$(stat -c %Y.%s "$tarball") &&
	repo_make rescue >make2.log 2>&1 &&
	test "$(stat -c %Y.%s "$tarball")" = "$before" &&
	repo_make -q "${tarball#$repo/}"
'

tar -tzf "$tarball" | sort >listing
test_expect_success 'one folder vigil-rescue-VERSION/ with the launcher, bin/vigil, lib/, share/magic.mgc, rules/, README.txt' '
	! grep -v "^$name/" listing &&
	for f in vigil bin/vigil share/magic.mgc rules/default_rules.yar README.txt lib/libyara.so.9 \
		lib/libarchive.so.13 lib/libmagic.so.1 lib/libsqlite3.so.0 lib/libjansson.so.4 lib/libcrypto.so.3; do
		grep -qx "$name/$f" listing || { echo "missing $f"; exit 1; }
	done &&
	tar -tvzf "$tarball" "$name/vigil" "$name/bin/vigil" | grep -c "^-rwxr-xr-x" | grep -qx 2
'

mkdir -p root/bin root/target root/clean root/opt root/media/ro ro-src
tar -xzf "$tarball" -C root
B=root/$name
eicar root/target/e.com
echo "nothing to see" >root/clean/notes.txt

test_expect_success 'lib/ holds every library vigil, vigil-extract and vigil-image need except glibc, and nothing of glibc' '
	! ls "$B/lib" | grep -E "$glibc_re" &&
	test -x "$B/bin/vigil-extract" && test -x "$B/bin/vigil-image" && test -x "$B/bin/vigil-btrfs.so" &&
	ls "$B/lib" | grep -q "^libseccomp\.so" &&
	{ ldd_paths "$B/bin/vigil"; ldd_paths "$B/bin/vigil-extract"; ldd_paths "$B/bin/vigil-image"; } \
		>host-libs && test -s host-libs &&
	grep -q "/libclamav\.so" host-libs && grep -q "/libseccomp\.so" host-libs &&
	{ LD_LIBRARY_PATH=$B/lib ldd_paths "$B/bin/vigil"
	  LD_LIBRARY_PATH=$B/lib ldd_paths "$B/bin/vigil-extract"
	  LD_LIBRARY_PATH=$B/lib ldd_paths "$B/bin/vigil-image"; } >bundle-libs &&
	while read -r p; do
		n=${p##*/}
		if printf "%s\n" "$n" | grep -qE "$glibc_re"; then continue; fi
		case $p in "$B/lib/"*) ;; *) echo "from outside the bundle: $p"; exit 1 ;; esac
	done <bundle-libs &&
	test "$(sed "s|.*/||" host-libs | sort -u | grep -cvE "$glibc_re")" -eq "$(ls "$B/lib" | wc -l)"
'

test_expect_success 'share/magic.mgc is libmagic-mgc'"'"'s database, rules/ is sigdb/default_rules.yar' '
	mgc=$(dpkg-query -L libmagic-mgc | grep "/magic\.mgc$" | head -n1) &&
	cmp "$mgc" "$B/share/magic.mgc" &&
	cmp "$repo/sigdb/default_rules.yar" "$B/rules/default_rules.yar"
'

test_expect_success 'no build-tree path anywhere in the bundle; README filled in' '
	! grep -rlF "$repo" "$B" &&
	! grep -rl "/work/\|/build/obj" "$B/vigil" "$B/README.txt" &&
	! grep -q "@[A-Z]*@" "$B/README.txt" && grep -q "vigil $version rescue bundle" "$B/README.txt" &&
	grep -q -- "--state-dir" "$B/README.txt"
'

test_expect_success 'the launcher is POSIX sh using only built-ins (no ldd, readlink, dirname)' '
	head -n1 "$B/vigil" | grep -qx "#!/bin/sh" && sh -n "$B/vigil" &&
	! grep -Ev "^[[:space:]]*#" "$B/vigil" | grep -Ew "ldd|readlink|realpath|dirname|basename|mkdir|sed|awk|test -w"
'

# The chroot: glibc as `ldd /bin/sh` and `ldd bin/vigil` name it, and /bin/sh (dash) itself.
for p in $( (ldd_paths /bin/sh; ldd_paths "$B/bin/vigil"; ldd_paths "$B/bin/vigil-extract"
	ldd_paths "$B/bin/vigil-image") | sort -u); do
	printf '%s\n' "${p##*/}" | grep -qE "$glibc_re" || continue
	mkdir -p "root${p%/*}" && cp -L "$p" "root$p"
done
cp -L /bin/sh root/bin/sh
# a booted rescue system has /tmp: the extractor mounts its private tmpfs there
mkdir -p root/tmp
# a mail whose attachment is the EICAR file (Python's email package): only the extractor
# opens it
mkdir -p root/mail
eicar eicar.bin
python3 - eicar.bin root/mail/note.eml <<'PY'
import sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "a@example.org"; m["To"] = "b@example.org"; m["Subject"] = "invoice"
m.set_content("see attachment")
m.add_attachment(open(sys.argv[1], "rb").read(), maintype="application",
                 subtype="octet-stream", filename="e.com")
open(sys.argv[2], "wb").write(bytes(m))
PY
# a disk image only the bundle's libcryptsetup and libfsxfs read: LUKS2 (made on the image
# file, no device-mapper) holding an XFS (mkfs.xfs -p) with the EICAR file
mkdir -p root/img
if command -v mkfs.xfs >/dev/null && command -v cryptsetup >/dev/null; then
	printf '/dev/null\n0 0\nd--755 0 0\n e.com ---644 0 0 %s\n$\n' "$T/eicar.bin" >proto.txt &&
	truncate -s 300M root/img/luks-xfs.img && mkfs.xfs -q -p proto.txt root/img/luks-xfs.img &&
	truncate -s +16M root/img/luks-xfs.img && printf 'rescue-pass' >root/img/pass &&
	cryptsetup reencrypt -q --encrypt --type luks2 --reduce-device-size 16M --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 --key-file root/img/pass root/img/luks-xfs.img >/dev/null ||
		rm -f root/img/luks-xfs.img
fi
# in_root 'commands': runs them with /bin/sh inside the chroot, with an empty environment
in_root() { env -i /usr/sbin/chroot root /bin/sh -c "$1"; }

if ! in_root ':' 2>chroot.err; then
	test_skip 'the bundle in a chroot' "chroot does not work here: $(head -c 200 chroot.err)"
	test_done
fi

test_expect_success 'the chroot holds only the bundle, glibc and /bin/sh (no libyara, no ldd, no coreutils)' '
	find root -path "root/$name" -prune -o -type f -print | sort >outside &&
	! grep -v -e "^root/bin/sh$" -e "^root/target/" -e "^root/clean/" -e "^root/mail/" -e "^root/img/" -e "^root/lib" outside &&
	! grep "^root/lib" outside | sed "s|.*/||" | grep -vE "$glibc_re" &&
	! find root -path "root/$name" -prune -o -name "libyara*" -print | grep -q . &&
	test ! -e root/usr && ! in_root "ldd /bin/sh" 2>/dev/null && ! in_root "ls /" 2>/dev/null
'

test_expect_success 'in the chroot: scan custom on the EICAR folder exits 1 and names the detection' '
	rc=0; in_root "./$name/vigil scan custom /target" >out 2>err || rc=$?
	cat out err; test "$rc" -eq 1 &&
	grep -q "^/target/e.com: EICAR_Test_File FOUND" out && grep -q "Threats found: 1" out
'

test_expect_success 'in the chroot: a clean folder exits 0' '
	rc=0; in_root "./$name/vigil scan custom /clean" >out 2>err || rc=$?
	cat out err; test "$rc" -eq 0 && grep -q "Threats found: 0" out && grep -q "Files scanned: 1 " out
'

test_expect_success 'in the chroot: the extractor opens a mail (deep containers work from the bundle)' '
	rc=0; in_root "./$name/vigil --json scan custom /mail" >out 2>err || rc=$?
	cat err; test "$rc" -eq 1 &&
	jq -e "[.threats[] | select(.name == \"EICAR_Test_File\") | .member] == [[\"e.com\"]]" out >/dev/null &&
	in_root "./$name/vigil --json health" >h.json 2>err &&
	jq -e ".deep_containers.available == true" h.json >/dev/null
'

# A booted rescue system has /proc and /dev (libcryptsetup reads the header copy through
# /proc/self/fd and seeds its RNG from /dev/urandom): mounted in a mount namespace of the
# case's own.
test_expect_success 'in the chroot: a LUKS2 volume holding XFS is unlocked and read (libcryptsetup, libfsxfs from the bundle)' '
	test -f root/img/luks-xfs.img || { echo "no mkfs.xfs or cryptsetup: not made"; exit 1; }
	mkdir -p root/proc root/dev &&
	rc=0; unshare -m /bin/sh -c "mount -t proc proc root/proc && mount --bind /dev root/dev &&
		env -i /usr/sbin/chroot root \
		/bin/sh -c \"./$name/vigil --json scan image /img/luks-xfs.img --credential password:/img/pass\"" \
		>out 2>err || rc=$?
	cat err; test "$rc" -eq 1 &&
	jq -e "[.threats[] | .image.chain] == [[\"luks2\", \"xfs\"]]" out >/dev/null &&
	! grep -q "without the sandbox" err
'

test_expect_success 'in the chroot: vigil --version' '
	in_root "./$name/vigil --version" >out 2>&1 && grep -qx "vigil $version (libyara [0-9.]*)" out
'

test_expect_success 'libmagic reads share/magic.mgc through MAGIC (without it the binary cannot type files)' '
	rc=0; in_root "./$name/vigil --json scan custom /target" >scan.json 2>err || rc=$?
	test "$rc" -eq 1 && jq -e ".threats[0].type == \"text/plain\" and .threats[0].name == \"EICAR_Test_File\"" scan.json &&
	rc=0; in_root "LD_LIBRARY_PATH=/$name/lib VIGIL_STATE_DIR=/$name/state /$name/bin/vigil scan custom /target" >out 2>&1 || rc=$?
	cat out; test "$rc" -eq 2 && grep -q "libmagic" out
'

test_expect_success 'the state is kept in <bundle>/state (0700) and the bundle itself scans clean' '
	test "$(stat -c %a "$B/state")" = 700 && test -f "$B/state/vigil.db" &&
	in_root "./$name/vigil --json scan list" >list.json && jq -e ".scans | length >= 3" list.json &&
	rc=0; in_root "./$name/vigil scan custom /$name" >out 2>&1 || rc=$?
	cat out; test "$rc" -eq 0
'

# the launcher's own /bin/sh complains once of the missing preload; vigil must not
test_expect_success 'LD_PRELOAD and LD_LIBRARY_PATH of the caller are not passed to vigil' '
	in_root "LD_PRELOAD=/nowhere/evil.so LD_LIBRARY_PATH=/nowhere ./$name/vigil --version" >out 2>&1 &&
	cat out && test "$(grep -c "evil.so.*cannot be preloaded" out)" -eq 1 && grep -q "^vigil $version" out
'

mkdir -p "root/opt/my rescue"
mv "$B" "root/opt/my rescue/r"
B="root/opt/my rescue/r"
test_expect_success 'moved and renamed (a space in the path): relative, absolute, bare name and PATH calls work' '
	expect_exit 1 in_root "cd /opt && \"./my rescue/r/vigil\" scan custom /target" >out 2>&1 || { cat out; exit 1; }
	grep -q "EICAR_Test_File FOUND" out &&
	in_root "\"/opt/my rescue/r/vigil\" scan custom /clean" >out 2>&1 || { cat out; exit 1; }
	expect_exit 1 in_root "cd /target && \"../opt/my rescue/r/vigil\" scan custom ." >out 2>&1 || { cat out; exit 1; }
	in_root "cd \"/opt/my rescue/r\" && sh vigil --version" | grep -q "^vigil $version" &&
	in_root "PATH=\"/opt/my rescue/r\" vigil --version" | grep -q "^vigil $version" &&
	in_root "\"/opt/my rescue/r/vigil\" --json scan list" >list.json && jq -e ".scans | length >= 7" list.json
'

# read-only media: a fresh bundle bind-mounted read-only at /media/ro, in a private mount
# namespace (the mount goes away with the process, whatever happens)
tar -xzf "$tarball" -C ro-src
mkdir -p root/rw
ro_root() {
	unshare -m --propagation private /bin/sh -c '
		mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" || exit 99
		exec env -i /usr/sbin/chroot "$3" /bin/sh -c "$4"' ro_root "$T/ro-src" "$T/root/media/ro" "$T/root" "$1"
}
if ! ro_root ':' >ro.err 2>&1; then
	test_skip 'the bundle on a read-only bind mount' "mount --bind does not work here: $(head -c 200 ro.err)"
	test_done
fi

test_expect_success 'read-only bundle: refused without --state-dir (exit 2, says so), nothing written' '
	ro_root "if (: >/media/ro/probe); then echo WRITABLE; fi" 2>&1 | grep -q "Read-only file system" &&
	rc=0; ro_root "/media/ro/$name/vigil scan custom /target" >out 2>err || rc=$?
	cat out err; test "$rc" -eq 2 &&
	grep -q "not writable" err && grep -q -- "--state-dir" err && ! grep -q FOUND out &&
	test ! -e "ro-src/$name/state" && test ! -e ro-src/probe
'

test_expect_success 'read-only bundle: works with --state-dir DIR or VIGIL_STATE_DIR; --version needs no state' '
	rc=0; ro_root "/media/ro/$name/vigil --state-dir /rw/state scan custom /target" >out 2>&1 || rc=$?
	cat out; test "$rc" -eq 1 && grep -q "EICAR_Test_File FOUND" out && test -f root/rw/state/vigil.db &&
	ro_root "VIGIL_STATE_DIR=/rw/state2 /media/ro/$name/vigil scan custom /clean" >out 2>&1 &&
	test -f root/rw/state2/vigil.db &&
	ro_root "cd /media/ro && ./$name/vigil --version" | grep -q "^vigil $version" &&
	test ! -e "ro-src/$name/state"
'

test_done
