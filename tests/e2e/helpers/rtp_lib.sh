# tests/e2e/helpers/rtp_lib.sh — sourced after lib.sh by the real-time protection scripts
# (t5100, t5200, t5300): a tmpfs of its own to watch, vigil started in the background and
# always stopped (a blocking fanotify process left behind would hold up the machine).
#
#	rtp_require                     skip the script (exit 77) without root, jq or a tmpfs
#	rtp_mount DIR                   a 64 MiB tmpfs at DIR, unmounted at exit
#	rtp_bg rtp run --path DIR       vigil ARGS in the background (under timeout)
#	rtp_ready                       wait (10 s at most) until `vigil rtp status` answers
#	rtp_stop                        SIGTERM the running one, wait until it is gone (5 s)
#	poll SECS CMD...                retry CMD every 50 ms until it succeeds or SECS pass
#
# Processes are tracked in files, not variables: test bodies run in subshells.

RTP_PIDS=$T/.rtp-pids
RTP_MOUNTS=$T/.rtp-mounts
: >"$RTP_PIDS"
: >"$RTP_MOUNTS"

rtp_require() {
	if [ "$(id -u)" -ne 0 ] || ! command -v jq >/dev/null || ! command -v timeout >/dev/null; then
		echo "skip: needs root, jq and timeout"
		exit 77
	fi
	mkdir -p "$T/.probe" && mount -t tmpfs -o size=1m vigil-rtp-probe "$T/.probe" 2>/dev/null &&
		umount "$T/.probe" && rmdir "$T/.probe" && return 0
	echo "skip: cannot mount a tmpfs"
	exit 77
}

rtp_mount() {
	mkdir -p "$1" && mount -t tmpfs -o size=64m vigil-rtp "$1" && echo "$1" >>"$RTP_MOUNTS"
}

# poll SECS CMD...: true as soon as CMD succeeds, false when SECS pass first.
poll() {
	local end
	end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	while :; do
		"$@" && return 0
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep 0.05
	done
}

# vigil ARGS in the background, output to $T/bg.out and $T/bg.err, killed after 120 s at most.
# Its exit status goes to $T/bg.rc when it ends.
rtp_bg() {
	rm -f "$T/bg.rc"
	(_rc=0; timeout -k 5 120 "$VIGIL" "$@" || _rc=$?; echo $_rc >"$T/bg.rc" ) >>"$T/bg.out" 2>>"$T/bg.err" </dev/null &
	echo $! >>"$RTP_PIDS"
}

rtp_answers() { "$VIGIL" rtp status >/dev/null 2>&1; }
rtp_ready() { poll 10 rtp_answers || { echo "real-time protection did not start" >&2; tail -n 5 "$T/bg.err" >&2; return 1; }; }
rtp_json() { "$VIGIL" --json rtp status; }
# st FILE: the running instance's status (JSON) into FILE
st() { rtp_json >"$1"; }
# rtp_get JQ-EXPR: one value of the running one's status
rtp_get() { rtp_json | jq -r "$1"; }
rtp_pid() { rtp_get .pid; }

gone() { ! kill -0 "$1" 2>/dev/null; }

# SIGTERM the running real-time protection (or daemon); true when it is gone within 5 s.
rtp_stop() {
	local pid
	pid=$(rtp_pid 2>/dev/null) || return 1
	[ -n "$pid" ] && [ "$pid" != null ] || return 1
	kill -TERM "$pid" && poll 5 gone "$pid"
}

rtp_cleanup() {
	local pid m
	# each rtp_bg is a subshell that waits on timeout, which hands SIGTERM on to vigil; then
	# SIGKILL whatever is left, by process id: vigil, its timeout, the subshell
	while read -r pid; do pkill -TERM -P "$pid" 2>/dev/null; done <"$RTP_PIDS"
	while read -r pid; do
		poll 5 gone "$pid" && continue
		for c in $(pgrep -P "$pid"); do pkill -KILL -P "$c"; kill -KILL "$c"; done 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
	done <"$RTP_PIDS"
	tac "$RTP_MOUNTS" | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	cleanup
}
trap rtp_cleanup EXIT
trap 'exit 130' INT TERM HUP


# has_threat PATH [ACTION-REGEX [SCAN_ID]]: the store holds a detection of PATH (whose action
# matches, in that scan).
has_threat() {
	"$VIGIL" --json threat list ${3:+--scan "$3"} 2>/dev/null |
		jq -e --arg p "$1" --arg a "${2:-}" \
			'[.threats[] | select(.path == $p and (.action | test($a)))] | length > 0' >/dev/null
}

# has_item PATH: the quarantine vault lists an item from PATH.
has_item() {
	"$VIGIL" --json quarantine list 2>/dev/null |
		jq -e --arg p "$1" '[.items[] | select(.path == $p)] | length > 0' >/dev/null
}

# The scan id of the realtime scan that is running.
rtp_scan_id() {
	"$VIGIL" --json scan list | jq -e '[.scans[] | select(.type == "realtime" and .status == "running")][0].scan_id'
}

# A file of SIZE bytes of random data that ends in the marker of the slow rule (rtp_slow_rule).
rtp_slow_file() {
	head -c "$2" /dev/urandom >"$1" && printf '%s%s' 'VIGIL-SLOW-' 'RTP-MARKER' >>"$1"
}

# The rule file of a rule that reads every byte of a file many times over (about 1 s for 30 MB),
# and that detects the slow file's marker.
rtp_slow_rule() {
	{
		echo 'import "hash"'
		echo 'import "math"'
		echo 'rule Vigil_Slow_Test {'
		printf '  strings: $m = "%s%s"\n' 'VIGIL-SLOW-' 'RTP-MARKER'
		echo '  condition: filesize > 1000000 and for any i in (0..5) : (math.serial_correlation(i, filesize) < -2 or'
		echo '    math.monte_carlo_pi(i, filesize) < 0 or hash.checksum32(i, filesize) == 1) or $m'
		echo '}'
	} >"$1"
}
