#!/bin/sh
# packaging/deb-depends.sh BINARY... — the Debian packages that hold the shared libraries
# the BINARYs load (ldd, then dpkg -S), as one Depends: value: "libarchive13, libc6, ...".
# Exits 2 when a library belongs to no installed package.
set -eu
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac
here=$(cd "$here" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }

libs=$(for b in "$@"; do sh "$here/shlibs.sh" "$b"; done | sort -u)
pkgs=$(printf '%s\n' "$libs" | while read -r name path; do
	# dpkg knows a file by the path its package shipped it at; on a merged-/usr system ldd
	# may report /lib/... for a file shipped as /usr/lib/... (or the other way round).
	real=$(readlink -f "$path")
	found=""
	for p in "$path" "$real" "/usr${path#/usr}" "${path#/usr}" "/usr${real#/usr}" "${real#/usr}"; do
		found=$(LC_ALL=C dpkg-query -S "$p" 2>/dev/null | grep -v '^diversion ' | head -n1) && [ -n "$found" ] && break
	done
	if [ -z "$found" ]; then
		echo "deb-depends.sh: no installed package holds $path ($name)" >&2
		echo "MISSING"
		continue
	fi
	# "libyara9:amd64: /usr/lib/x86_64-linux-gnu/libyara.so.9" -> libyara9
	printf '%s\n' "${found%%: *}" | tr ',' '\n' | sed 's/^ *//; s/:.*//'
done | sort -u)
case $pkgs in *MISSING*) exit 2 ;; esac
printf '%s\n' "$pkgs" | paste -sd, - | sed 's/,/, /g'
