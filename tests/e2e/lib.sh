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
# A case passes when its body exits 0. The body runs in a subshell under `set -e`: a line
# that fails ends the case as failed, and the failing command is shown. An expected non-zero
# exit is checked, never left bare: `expect_exit N cmd...`, or `rc=0; cmd || rc=$?` then a
# test of $rc (a bare `cmd; test $? -eq N` would end the case at cmd). As in any bash, the
# commands before the last one of an && / || chain, and those in `if`, `while` and `!`, do
# not end the case: keep a case's checks in one && chain or on lines of their own.
# test_skip 'title' 'reason' records a skipped case; `exit 77` from the top skips the whole
# script. Fixtures are made here at test time: no malware is committed.
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
	rc=0
	/usr/bin/time -f '%e %M' -o "$T/time.txt" timeout --foreground -k "${KILL_GRACE:-5}" "${KILL_AFTER:-$((lim_wall + 30))}" "$@" || rc=$?
	line=$(tail -n 1 "$T/time.txt")
	wall=${line% *}
	rss_mb=$((${line#* } / 1024))
	echo "figures: exit $rc, wall ${wall} s (limit $lim_wall), peak RSS ${rss_mb} MB (limit $lim_rss)" >&2
	echo "${_case:-?}: exit $rc, wall ${wall} s, peak RSS ${rss_mb} MB (limits $lim_wall s, $lim_rss MB)" >>"$T/figures.txt"
	awk -v w="$wall" -v l="$lim_wall" 'BEGIN { exit !(w < l) }' && [ "$rss_mb" -lt "$lim_rss" ]
}

# A case that took 5 s or more says how long (to see where the suite's time goes).
_took() { local s=$((SECONDS - $1)); [ "$s" -ge 5 ] && echo " ($s s)"; }

test_expect_success() {
	local title=$1 body=$2 out rc start=$SECONDS
	# a plain assignment, not "out=$(...) || rc=$?": bash ignores set -e inside anything on
	# the left of || or &&, subshells included, and a failing line would not end the body
	out=$( (set -e; trap 'echo "failed (exit $?): $BASH_COMMAND" >&2' ERR; eval "$body") 2>&1 )
	rc=$?
	if [ "$rc" -eq 0 ]; then
		_pass=$((_pass + 1))
		echo "ok - $_script: $title$(_took $start)"
	else
		_fail=$((_fail + 1))
		echo "not ok - $_script: $title (exit $rc)$(_took $start)"
		printf '%s\n' "$out" | tail -n 25 | sed 's/^/#   /'
	fi
}

test_skip() {
	_skip=$((_skip + 1))
	echo "skip - $_script: $1 ($2)"
}

# test_timing 'title' 'body': a case that only measures time or memory against a bound (the
# code it runs is run by other cases too). Under the sanitizer build, whose times and sizes
# mean nothing, it is skipped, counted and named, unless E2E_SAN_TIMING=1.
test_timing() {
	if [ "$SAN_FACTOR" -gt 1 ] && [ "${E2E_SAN_TIMING:-0}" != 1 ]; then
		test_skip "$1" "a time or memory bound: not under the sanitizer build"
	else
		test_expect_success "$@"
	fi
}

test_done() {
	echo "# result: $_pass passed, $_fail failed, $_skip skipped"
	[ "$_fail" -eq 0 ]
	exit $?
}

# mkimages DIR: the disk-image fixtures of helpers/mkimages.sh into DIR (about a second).
# It exits 2 when a tool it needs is not installed (make deps installs them): the whole script
# is skipped then; any other failure ends it, with the helper's output.
mkimages() {
	local mk=0
	bash "$VG_REPO/tests/e2e/helpers/mkimages.sh" "$1" >mkimages.log 2>&1 || mk=$?
	if [ "$mk" -eq 2 ]; then
		echo "skip: $(tail -n 1 mkimages.log)"
		exit 77
	elif [ "$mk" -ne 0 ]; then
		cat mkimages.log
		echo "helpers/mkimages.sh failed (exit $mk)"
		exit 1
	fi
}

# The EICAR test file, written without the string appearing whole in this repository.
eicar() {
	printf '%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR' '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$1"
}

# expect_exit N command...: runs the command, true when it exits N.
expect_exit() {
	local want=$1 rc
	shift
	rc=0
	"$@" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "expected exit $want, got $rc: $*" >&2
		return 1
	fi
}

# Helpers the scripts share (one copy each, here).

# jqt FILE EXPR: true when the jq expression holds for the JSON document in FILE; else says
# which expression failed and shows (the start of) the document.
# An empty or missing file fails: jq -e holds on no input at all (a command that printed
# nothing would pass every check).
# The document is read once, so FILE may be a pipe (<(command)).
jqt() {
	local doc
	doc=$(cat "$1") && [ -n "$doc" ] || { echo "jq check on an empty or missing $1: $2" >&2; return 1; }
	printf '%s\n' "$doc" | jq -e "$2" >/dev/null ||
		{ echo "jq check failed: $2" >&2; printf '%s\n' "$doc" | jq -c . | head -c 4000 >&2; echo >&2; return 1; }
}
# sha FILE: its SHA-256 in hex.
sha() { sha256sum "$1" | cut -d" " -f1; }
# db SQL...: sqlite3 on the store of $VIGIL_STATE_DIR.
db() { sqlite3 "$VIGIL_STATE_DIR/vigil.db" "$@"; }
# vdb SQL...: sqlite3 on its vault file (the encrypted chunks, table quarantine_chunks).
vdb() { sqlite3 "$VIGIL_STATE_DIR/vault.db" "$@"; }
# sigver: the current sig_version.
sigver() { vigil --json sigdb info | jq -r .sig_version; }
# nscans: how many scans the history holds.
nscans() { vigil --json scan list --limit 1000 | jq '.scans | length'; }
# names FILE: the sorted "rule path" pairs of a --json scan's threats, paths relative to $T/t/.
names() { jq -r '.threats[] | "\(.name) \(.path)"' "$1" | sed "s| $T/t/| |" | sort | tr '\n' ';'; }
# tps FILE: the threats of a --json scan output as sorted "path|member>member" lines.
tps() { jq -r '.threats[] | .path + "|" + (.member | join(">"))' "$1" | sort; }
# report_check WHAT FILE...: the report checker (tests/e2e/helpers/report_check.py).
report_check() { /usr/bin/python3 "$VG_REPO/tests/e2e/helpers/report_check.py" "$@"; }
# qadd PATH...: quarantines, prints the new item ids (one a line); fails unless exit 0.
qadd() {
	local rc=0
	"$VIGIL" --json quarantine add "$@" >qadd.json || rc=$?
	[ "$rc" -eq 0 ] || { echo "quarantine add $* exited $rc" >&2; cat qadd.json >&2; return 1; }
	jq -r ".items[].id" qadd.json
}
# inlist ID [GLOBAL-OPTION...]: the vault lists item ID.
inlist() { local id=$1; shift; vigil "$@" --json quarantine list >ql.json && jq -e ".items | any(.id == $id)" ql.json >/dev/null; }
# notemp DIR: no .vigil-restore-* temporary file was left in DIR.
notemp() { ! ls -A "$1" | grep -q "^\.vigil-restore-"; }

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
