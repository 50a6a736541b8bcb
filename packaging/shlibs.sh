#!/bin/sh
# packaging/shlibs.sh BINARY — the shared libraries BINARY loads, resolved recursively with
# ldd: one line "SONAME PATH" each, sorted by soname; the vDSO is left out.
#   --no-glibc  leave out glibc's own libraries (libc, libm, ld-linux, libpthread, ...),
#               which the rescue bundle takes from the host.
# Exits 2 when a library cannot be found ("not found" in ldd's output).
set -eu
no_glibc=0
if [ "${1:-}" = --no-glibc ]; then no_glibc=1; shift; fi
[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: $0 [--no-glibc] BINARY" >&2; exit 2; }

# glibc's shared objects (Debian 12, glibc 2.36): the loader, libc and the libraries built
# from the same source. libcrypt (libxcrypt), libgcc_s and libstdc++ are not glibc.
is_glibc() {
	case $1 in
	ld-linux*.so* | libc.so.* | libm.so.* | libmvec.so.* | libpthread.so.* | libdl.so.* | \
	librt.so.* | libresolv.so.* | libutil.so.* | libanl.so.* | libnsl.so.* | libnss_*.so.* | \
	libBrokenLocale.so.* | libthread_db.so.* | libc_malloc_debug.so.* | libmemusage.so | \
	libpcprofile.so | libSegFault.so) return 0 ;;
	esac
	return 1
}

# one ldd pass: "SONAME PATH" lines
ldd_pass() {
	LC_ALL=C ldd "$1" | awk '
		/not found/ { print "MISSING " $1; next }
		$2 == "=>" && $3 ~ /^\// { print $1, $3; next }
		$1 ~ /^\// { n = $1; sub(/.*\//, "", n); print n, $1 }'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ldd_pass "$1" | sort -u >"$tmp/all"
# ldd already lists the whole closure; each library is asked again in case one was loaded
# by a path that ldd of the binary did not show (fixed point).
while :; do
	: >"$tmp/next"
	while read -r name path; do
		[ "$name" = MISSING ] && continue
		ldd_pass "$path" >>"$tmp/next" 2>/dev/null || true
	done <"$tmp/all"
	sort -u "$tmp/all" "$tmp/next" >"$tmp/merged"
	if cmp -s "$tmp/merged" "$tmp/all"; then break; fi
	mv "$tmp/merged" "$tmp/all"
done
if grep -q '^MISSING ' "$tmp/all"; then
	sed -n 's/^MISSING \(.*\)/shlibs.sh: library not found: \1/p' "$tmp/all" >&2
	exit 2
fi
# the same soname may be reached as /lib/... and /usr/lib/... (merged /usr): keep one
sort -u -k1,1 "$tmp/all" | while read -r name path; do
	if [ "$no_glibc" -eq 1 ] && is_glibc "$name"; then continue; fi
	echo "$name $path"
done
