# tests/e2e/lib.sh — sourced by every end-to-end script (tests/e2e/tNNNN-<area>-<what>.sh).
#
# Each script runs in a fresh temporary folder ($T, also the cwd) with a private state
# folder ($VIGIL_STATE_DIR) and no managed configuration, then lists its cases:
#
#	test_expect_success 'title' '
#		vigil scan custom tree >out; test $? -eq 1 && grep -q EICAR out
#	'
#	test_done
#
# A case passes when its commands exit 0 (they run in a subshell with set -e off; chain
# checks with &&). test_skip 'title' 'reason' records a skipped case; `exit 77` from the
# top skips the whole script. Fixtures are made here at test time: no malware is committed.
set -u
: "${VIGIL:?VIGIL must name the vigil binary}"
# The repository, from this file's own place (read before the cd into $T below).
VG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# vg-gate (tests/e2e/helpers/vg-gate.c, make e2e-helpers): BUILD/tests/vg-gate next to the
# binary's folder (build/vigil and build/vigil-san share build/tests/), else the
# repository's build/tests/vg-gate.
if [ -z "${VG_GATE:-}" ]; then
	VG_GATE=$(cd "$(dirname "$VIGIL")" 2>/dev/null && pwd)/tests/vg-gate
	[ -x "$VG_GATE" ] || VG_GATE=$VG_REPO/build/tests/vg-gate
fi
export VG_GATE
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-e2e.XXXXXX")
cleanup() { chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
cd "$T" || exit 1
export VIGIL_STATE_DIR="$T/state"
export VIGIL_MANAGED_CONFIG="$T/managed.json"
unset VIGIL_CONFIG
export LC_ALL=C

_pass=0 _fail=0 _skip=0
_script=$(basename "$0")

vigil() { "$VIGIL" "$@"; }

# A sanitizer build (make check SAN=1) is slower and bigger: time and memory bounds scale.
case "$VIGIL" in
*-san) SAN_FACTOR=4 ;;
*) SAN_FACTOR=1 ;;
esac

# bounded WALL_S RSS_MB CMD...: run CMD under timeout and /usr/bin/time; sets rc, wall and
# rss_mb, records them as "$_case: ..." in $T/figures.txt, and is true when CMD stayed under
# both limits (scaled by SAN_FACTOR). KILL_AFTER and KILL_GRACE override the timeout.
bounded() {
	local lim_wall=$(( $1 * SAN_FACTOR )) lim_rss=$(( $2 * SAN_FACTOR )) line
	shift 2
	/usr/bin/time -f '%e %M' -o "$T/time.txt" timeout --foreground -k "${KILL_GRACE:-5}" "${KILL_AFTER:-$((lim_wall + 30))}" "$@"
	rc=$?
	line=$(tail -n 1 "$T/time.txt")
	wall=${line% *}
	rss_mb=$((${line#* } / 1024))
	echo "figures: exit $rc, wall ${wall} s (limit $lim_wall), peak RSS ${rss_mb} MB (limit $lim_rss)" >&2
	echo "${_case:-?}: exit $rc, wall ${wall} s, peak RSS ${rss_mb} MB (limits $lim_wall s, $lim_rss MB)" >>"$T/figures.txt"
	awk -v w="$wall" -v l="$lim_wall" 'BEGIN { exit !(w < l) }' && [ "$rss_mb" -lt "$lim_rss" ]
}

test_expect_success() {
	local title=$1 body=$2 out rc
	out=$( (eval "$body") 2>&1 )
	rc=$?
	if [ "$rc" -eq 0 ]; then
		_pass=$((_pass + 1))
		echo "ok - $_script: $title"
	else
		_fail=$((_fail + 1))
		echo "not ok - $_script: $title (exit $rc)"
		printf '%s\n' "$out" | tail -n 25 | sed 's/^/#   /'
	fi
}

test_skip() {
	_skip=$((_skip + 1))
	echo "skip - $_script: $1 ($2)"
}

test_done() {
	echo "# result: $_pass passed, $_fail failed, $_skip skipped"
	[ "$_fail" -eq 0 ]
	exit $?
}

# The EICAR test file, written without the string appearing whole in this repository.
eicar() {
	printf '%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR' '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$1"
}

# expect_exit N command...: runs the command, true when it exits N.
expect_exit() {
	local want=$1 rc
	shift
	"$@"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "expected exit $want, got $rc: $*" >&2
		return 1
	fi
}

# The security group (t96xx) acts as an unprivileged local user: vigil-attacker, a system
# user with no home and no shell, shared with other scripts. attacker_user creates it when
# missing (true when it exists afterwards; safe when two scripts run it at once: useradd
# then fails on the lock or on the name, and the loop looks again). Sets ATTACKER_UID and
# ATTACKER_GID.
attacker_user() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		if id -u vigil-attacker >/dev/null 2>&1; then
			ATTACKER_UID=$(id -u vigil-attacker) && ATTACKER_GID=$(id -g vigil-attacker)
			return
		fi
		useradd --system --no-create-home --shell /usr/sbin/nologin vigil-attacker 2>/dev/null ||
			sleep 0.2
	done
	id -u vigil-attacker >/dev/null 2>&1 || { echo "cannot create the user vigil-attacker" >&2; return 1; }
	ATTACKER_UID=$(id -u vigil-attacker) && ATTACKER_GID=$(id -g vigil-attacker)
}

# as_attacker CMD...: CMD as vigil-attacker (no supplementary groups, the same environment
# and folder). The folders on the way to the current one must be traversable by others.
as_attacker() {
	local uid gid
	uid=$(id -u vigil-attacker) && gid=$(id -g vigil-attacker) || return 1
	if command -v setpriv >/dev/null; then
		setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
	else
		runuser -u vigil-attacker -- "$@"
	fi
}
