#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The disk-image reader's sandbox (vigil-image --probe, imaged/sandbox.c). As root: every step
# takes hold (namespaces, read-only mounts, only CAP_DAC_READ_SEARCH left, limits, the
# seccomp filter; Landlock where the kernel has it), and the probe still reads files and
# seals a memfd while creating or writing files by path and opening sockets are refused; the
# read-only mounts stay in its own namespace and it leaves nothing in /tmp. As an
# unprivileged user (nobody): a user namespace gives the same steps where the kernel allows
# one, and without one the filter still refuses what it must; a world-readable file is still
# read. The helper beside $VIGIL is probed: build/vigil-image, or build/vigil-image-san for
# the sanitizer build (whose probe leaves the address space unlimited).
. "$(dirname "$0")/lib.sh"

VIMG="$(dirname "$VIGIL")/vigil-image$(case $VIGIL in *-san) echo -san ;; esac)"
[ -x "$VIMG" ] || { echo "skip: no $(basename "$VIMG") beside $VIGIL (make builds it)"; exit 77; }

# probe OUT [WRAPPER...]: the probe (under WRAPPER: setpriv), its report in OUT, its stderr in
# OUT.err; prints its exit status.
probe() {
	local out=$1 rc=0
	shift
	timeout 60 "$@" "$VIMG" --probe >"$out" 2>"$out.err" || rc=$?
	echo "$rc"
}
# show OUT RC: the report, stderr and exit status (a failing case shows them).
show() { cat "$1" "$1.err"; echo "exit $2"; }
# has OUT STEP...: the steps line of OUT names every STEP.
has() {
	local out=$1 steps s
	shift
	steps=$(sed -n 's/^steps: //p' "$out")
	for s in "$@"; do
		case ",$steps," in *",$s,"*) ;; *) echo "step $s missing from: $steps" >&2; return 1 ;; esac
	done
}
# refusals OUT: reading a world-readable file and the memfd worked; creating and writing
# files by path and both sockets were refused.
refusals() {
	local key
	grep -qx "read /etc/passwd: ok" "$1" &&
	grep -qx "memfd: ok" "$1" || return 1
	for key in "create in /tmp" "write /etc/hostname" "socket AF_INET" "socket AF_UNIX"; do
		grep -q "^$key: refused (" "$1" || { echo "not refused: $key" >&2; return 1; }
	done
}
# nomissing OUT: no "missing:" line but Landlock's (an older kernel may not have it).
nomissing() { ! grep -v "^missing: landlock (" "$1" | grep "^missing:"; }
# rootopts: the options of the mount on "/", as this process sees them.
rootopts() { awk '$5 == "/" { print $6 }' /proc/self/mountinfo; }

ls -d /tmp/.vigil-image-probe.* >tmp.before 2>/dev/null || true
rootopts >root-opts.before

if [ "$(id -u)" -eq 0 ]; then
	root_rc=$(probe root.txt)
	test_expect_success 'as root: every step took hold (exit 0), uid 0 with only CAP_DAC_READ_SEARCH' '
		show root.txt "$root_rc"
		test "$root_rc" -eq 0 &&
		has root.txt net mount ipc uts ro-root caps rlimits seccomp &&
		grep -qx "uid: 0" root.txt &&
		grep -qx "capabilities: dac_read_search" root.txt &&
		nomissing root.txt
	'
	test_expect_success 'as root: reads, seals a memfd; creating and writing files by path, sockets: refused' '
		show root.txt "$root_rc"
		refusals root.txt
	'
	test_expect_success 'as root: Landlock held, or said missing with the reason' '
		show root.txt "$root_rc"
		has root.txt landlock || grep -q "^missing: landlock (.\+)" root.txt
	'
	case $VIGIL in
	*-san)
		test_skip 'as root: the address space limited to 3072 MiB' \
			'the sanitizer build leaves RLIMIT_AS alone' ;;
	*)
		test_expect_success 'as root: the address space limited to 3072 MiB' '
			show root.txt "$root_rc"
			grep -qx "rlimit_as_mb: 3072" root.txt
		' ;;
	esac
	test_expect_success 'the read-only mounts stay in the probe: "/" as it was, the test folder writable' '
		rootopts | diff root-opts.before - &&
		: >after-probe && rm after-probe
	'
else
	test_skip 'as root: every step took hold' 'not root'
fi

# As nobody (or as the unprivileged user this runs as): a user namespace gives the steps root
# has and the probe exits 0; a host without unprivileged user namespaces leaves Landlock and
# the filter: the probe says what is missing, exits 1, and still refuses what it must.
if [ "$(id -u)" -ne 0 ]; then
	user_rc=$(probe user.txt)
elif command -v setpriv >/dev/null; then
	user_rc=$(probe user.txt setpriv --reuid=65534 --regid=65534 --clear-groups)
else
	user_rc=
fi
if [ -n "$user_rc" ]; then
	test_expect_success 'unprivileged: reads a world-readable file; refuses files and sockets; no capability' '
		show user.txt "$user_rc"
		refusals user.txt &&
		grep -qx "capabilities: none" user.txt &&
		has user.txt rlimits seccomp
	'
	test_expect_success 'unprivileged: a user namespace gives every step (exit 0); without one, exit 1 and why' '
		show user.txt "$user_rc"
		if has user.txt userns 2>/dev/null; then
			test "$user_rc" -eq 0 &&
			has user.txt net mount ipc uts ro-root caps &&
			nomissing user.txt
		else
			test "$user_rc" -eq 1 &&
			grep -q "^missing: userns (.\+)" user.txt &&
			grep -q "^missing: mount (.\+)" user.txt
		fi
	'
else
	test_skip 'unprivileged: the probe refuses files and sockets' 'needs setpriv'
fi

test_expect_success 'the probes left nothing in /tmp' '
	ls -d /tmp/.vigil-image-probe.* >tmp.after 2>/dev/null || true
	diff tmp.before tmp.after
'

test_done
