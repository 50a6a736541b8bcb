#!/usr/bin/env bash
# Security (issue 24): real-time protection attacked by a local user (vigil-attacker), on a
# tmpfs of its own, in blocking mode. Real-time protection decides from the fanotify
# descriptor whatever the length of the path (a path longer than PATH_MAX is scanned and
# refused like a short one, never allowed unscanned), quarantines from that descriptor (a
# detection under such a path reaches the vault), and a folder swapped for a symlink between
# the detection and the quarantine never sends root's quarantine to another file.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/helpers/rtp_lib.sh"
T=$(pwd -P)
TRY=$here/helpers/rtp_try.py
PY=/usr/bin/python3

rtp_require
if [ ! -x "$PY" ] || ! command -v setpriv >/dev/null || ! command -v sqlite3 >/dev/null; then
	echo "skip: needs $PY, setpriv and sqlite3"
	exit 77
fi
attacker_user || exit 1
chmod 755 "$T"
W=$T/w
rtp_mount "$W" || exit 1
chmod 755 "$W"

EICAR_SHA=275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f
DEPTH=22 # 22 folders of 201 bytes (name and slash): a path of about 4,500 bytes

# longpath.py make|read|exists ROOT DEPTH: below ROOT, DEPTH nested folders with 200-byte
# names (reached one by one with dir_fd: the whole path is longer than PATH_MAX), and there
# e.com: make writes it from stdin, read opens and reads it, exists looks (no follow).
# Prints OK or the errno name (exit 1).
cat >"$T/longpath.py" <<'EOF'
import errno, os, sys
op, root, depth = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for i in range(depth):
        name = "%02d" % i + "d" * 198
        if op == "make":
            os.mkdir(name, 0o755, dir_fd=fd)
        nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    if op == "make":
        f = os.open("e.com", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=fd)
        os.write(f, sys.stdin.buffer.read())
        os.close(f)
    elif op == "read":
        f = os.open("e.com", os.O_RDONLY, dir_fd=fd)
        os.read(f, 4096)
        os.close(f)
    else:
        os.stat("e.com", dir_fd=fd, follow_symlinks=False)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
    sys.exit(1)
EOF
LP=$T/longpath.py
eicar "$T/eicar.src"

# Before real-time protection starts: the attacker's long tree (a), the same under a short
# path (the control), the long tree for quarantine (b), the folders of the swap (c).
mkdir -p "$W/short" "$W/L" "$W/LQ" "$W/c/U/dir" "$W/c/R"
eicar "$W/short/e.com" && chmod 644 "$W/short/e.com"
chown -R vigil-attacker: "$W/L" "$W/LQ" "$W/c/U"
as_attacker "$PY" "$LP" make "$W/L" "$DEPTH" <"$T/eicar.src" >/dev/null || exit 1
as_attacker "$PY" "$LP" make "$W/LQ" "$DEPTH" <"$T/eicar.src" >/dev/null || exit 1
eicar "$W/c/U/dir/shadow" && chown vigil-attacker: "$W/c/U/dir/shadow"
chmod 700 "$W/c/R" && echo "root secret" >"$W/c/R/shadow" && chmod 600 "$W/c/R/shadow"
vigil -q scan list >/dev/null # the store exists before anything runs concurrently

# denied WHAT: the attacker's read of WHAT was refused (EPERM or EACCES)
denied() { grep -qE '^(EPERM|EACCES)$' "$1" || { echo "not refused: $(cat "$1")"; return 1; }; }

rtp_bg rtp run --path "$W"
rtp_ready

test_expect_success 'control: EICAR under a short path is refused to the attacker (blocking mode)' '
	expect_exit 1 as_attacker "$PY" "$TRY" open "$W/short/e.com" >short.out; denied short.out
'

test_expect_success 'a. EICAR under a path longer than PATH_MAX is refused exactly like under a short path' '
	rtp_json >s0.json &&
	{ as_attacker "$PY" "$LP" read "$W/L" "$DEPTH" >long.out; cat long.out; } &&
	rtp_json >s1.json && jq -c "{scanned, denied, errors, threats}" s0.json s1.json
	denied long.out
'
rtp_stop

# b and c: quarantine on detection.
vigil config set antivirus_engine.default_action quarantine >/dev/null
rtp_bg rtp run --path "$W"
rtp_ready
RTP_PID=$(rtp_pid)

test_expect_success 'b. default_action quarantine: a detection under a path longer than PATH_MAX is refused and ends up in the vault' '
	{ as_attacker "$PY" "$LP" read "$W/LQ" "$DEPTH" >lq.out || true; cat lq.out; }
	denied lq.out &&
	poll 5 eval "vigil --json quarantine list | jq -e \"[.items[] | select(.sha256 == \\\"$EICAR_SHA\\\")] | length >= 1\" >/dev/null" &&
	expect_exit 1 "$PY" "$LP" exists "$W/LQ" "$DEPTH" >gone.out && grep -q "^ENOENT$" gone.out
'

# c. The store's write lock is held (sqlite3, BEGIN IMMEDIATE, until the FIFO is written), so
# the quarantine of a detection cannot finish; meanwhile the attacker swaps the detected
# file's folder for a symlink to a root-only folder holding a file of the same name.
test_expect_success 'c. folder swapped for a symlink between the detection and the quarantine: the root file is not taken' '
	d=$W/c && mkfifo lock.fifo &&
	{ { echo ".timeout 5000"; echo "BEGIN IMMEDIATE;"; cat lock.fifo; echo "COMMIT;"; } |
		sqlite3 "$VIGIL_STATE_DIR/vigil.db" >lock.out 2>&1 & } &&
	locked() { ! sqlite3 "$VIGIL_STATE_DIR/vigil.db" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null; } &&
	poll 5 locked || { echo >lock.fifo; exit 1; }
	expect_exit 1 as_attacker "$PY" "$TRY" open "$d/U/dir/shadow" >c.out; denied c.out || { echo >lock.fifo; exit 1; }
	# best effort: the quarantine has the detected file open (and waits on the store)
	if poll 3 eval "ls -l /proc/$RTP_PID/fd | grep -q \"$d/U/dir/shadow\$\""; then
		echo "vigil holds the detected file open while the store is locked"
	else
		echo "vigil does not hold the detected file open yet"
	fi
	as_attacker sh -c "cd \"$d/U\" && mv dir dir.away && ln -s \"$d/R\" dir" &&
	echo >lock.fifo && wait && cat lock.out &&
	poll 5 has_threat "$d/U/dir/shadow" "quarantin" &&
	vigil --json threat list >t.json && jq -c ".threats[] | select(.path == \"$d/U/dir/shadow\") | .action" t.json &&
	test "$(cat "$d/R/shadow")" = "root secret" && test "$(stat -c %a:%u "$d/R/shadow")" = 600:0 &&
	vigil --json quarantine list >q.json &&
	jqt q.json "[.items[] | select(.sha256 == \"$(sha "$d/R/shadow")\" or (.path | startswith(\"$d/R/\")))] | length == 0"
'
rtp_stop
vigil config set antivirus_engine.default_action report >/dev/null

test_done
