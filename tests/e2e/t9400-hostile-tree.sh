#!/usr/bin/env bash
# A hostile file tree: names with newlines, terminal escapes and invalid UTF-8; paths longer
# than PATH_MAX; 100,000 entries in one folder; a sparse 1 TiB file; files changed, replaced
# and deleted while they are scanned; FIFOs, sockets and device nodes; folders the scanning
# user cannot read. Bounds are measured figures (/usr/bin/time) asserted against limits.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(pwd -P) # vigil reports resolved paths
HT="/usr/bin/python3 $HERE/helpers/hostile_tree.py"

[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install time)"; exit 77; }


mounts=()
trap 'for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done; cleanup' EXIT

eicar e.com
ESC=$(printf '\033')

# --- hostile names -----------------------------------------------------------------------

$HT names names e.com >names.hex
nnames=$(wc -l <names.hex)
_case=names
test_expect_success "$nnames hostile names (newline, OSC title, clear screen, invalid UTF-8, 255 bytes): all found" '
	bounded 10 400 "$VIGIL" --json scan custom names >out.json &&
	test "$rc" -eq 1 &&
	jqt out.json ".threats_found == $nnames and .errors == 0" &&
	while read -r hex; do
		printf "%s/names/" "$T" >want && printf "%s" "$hex" | xxd -r -p >>want &&
		n=$(jq -r ".threats[] | (.path_b64 // (.path | @base64))" out.json |
			while read -r b; do printf "%s" "$b" | base64 -d | cmp -s - want && echo x; done | wc -l) &&
		test "$n" -eq 1 || { echo "not reported exactly: $hex"; exit 1; }
	done <names.hex
'

test_expect_success 'path_b64 comes exactly with the names that are not UTF-8 (3 of them)' '
	jq -r ".threats[] | select(.path_b64 != null) | .path_b64" out.json >b64 &&
	test "$(wc -l <b64)" -eq 3 &&
	jqt out.json "[.threats[] | select(.path_b64 == null) | .path | test(\"\\\\\\\\x\")] | all(. == false)" &&
	jqt out.json "[.threats[] | select(.path_b64 != null) | .path | test(\"\\\\\\\\x(ff|c0|c3)\")] | all"
'

test_expect_success 'human output: no raw ESC byte, no raw newline inside a name (stdout and a pty)' '
	expect_exit 1 vigil scan custom names >out.txt 2>err.txt &&
	! grep -q "$ESC" out.txt && ! grep -q "$ESC" err.txt &&
	test "$(grep -c "EICAR_Test_File FOUND$" out.txt)" -eq "$nnames" &&
	test "$(grep "EICAR_Test_File FOUND" out.txt | grep -vc "^$T/names/")" -eq 0 &&
	grep -qF "$T/names/new\\nline.com: EICAR_Test_File FOUND" out.txt &&
	grep -qF "title\\x1b]0;pwned-title\\x07.com" out.txt &&
	expect_exit 1 script -qec "\"$VIGIL\" scan custom names" /dev/null >tty.txt &&
	test "$(grep -ac "EICAR_Test_File FOUND" tty.txt)" -eq "$nnames" &&
	! grep -aq "${ESC}\\]0;" tty.txt && ! grep -aq "${ESC}\\[2J" tty.txt && ! grep -aq "${ESC}\\[31m" tty.txt
'

test_expect_success 'scan show and threat list escape the names too' '
	id=$(jq .scan_id out.json) &&
	vigil scan show "$id" >show.txt && vigil threat list --scan "$id" >tl.txt &&
	! grep -q "$ESC" show.txt && ! grep -q "$ESC" tl.txt &&
	test "$(grep -c "EICAR_Test_File" tl.txt)" -eq "$nnames" &&
	test "$(grep -c "/names/" tl.txt)" -eq "$nnames"
'

test_expect_success 'CSV report: no control byte from a name (a cat replays nothing), exact bytes in path_b64' '
	id=$(jq .scan_id out.json) &&
	vigil report "$id" --format csv --out names.csv &&
	! grep -q "$ESC" names.csv &&
	! LC_ALL=C grep -q "[[:cntrl:]]" <(tr -d "\r\n" <names.csv) &&
	grep -qF "title\x1b]0;pwned-title\x07.com" names.csv &&
	python3 - "$T/names/" names.csv <<-"PY"
	import base64, csv, sys
	rows = [r for r in csv.DictReader(open(sys.argv[2], newline="")) if r["record"] == "detection"]
	esc = [r for r in rows if "\\x1b" in r["path"]]
	assert esc, "no escaped name"
	for r in esc:
	    raw = base64.b64decode(r["path_b64"])
	    assert b"\x1b" in raw and raw.startswith(sys.argv[1].encode()), raw
	PY
'

# --- deeper than PATH_MAX ----------------------------------------------------------------

plen=$($HT deep long 30 200 e.com)
_case=long-path
test_expect_success "a file at a path of $plen bytes (> PATH_MAX 4096; 30 folders of 200 bytes) is found" '
	test "$plen" -gt 4096 &&
	bounded 10 400 "$VIGIL" --json scan custom long >out.json &&
	test "$rc" -eq 1 &&
	jqt out.json ".threats_found == 1 and .errors == 0 and .problems == []" &&
	jqt out.json ".threats[0].path | length == $plen and endswith(\"/bottom.com\") and startswith(\"$T/long/d00\")"
'

test_expect_success '--action quarantine of that file: into the vault, with its whole path' '
	expect_exit 1 vigil --json scan custom long --action quarantine >q.json &&
	act=$(jq -r ".threats[0].action" q.json) &&
	echo "action: $act" &&
	case $act in "quarantined as item "*) ;; *) false ;; esac &&
	test "$(find long -name bottom.com | wc -l)" -eq 0 &&
	vigil --json quarantine list | jq -e "[.items[] | select(.path | endswith(\"/bottom.com\") and length == $plen)] | length == 1"
'

# --- 100,000 entries in one folder (on a tmpfs: quicker to make; VIGIL_E2E_FLAT_FILES to
# change: the sanitizer pass makes 20,000, the same code path in a fifth of the time) -------

flatn=${VIGIL_E2E_FLAT_FILES:-100000}
mkdir -p flat
if mount -t tmpfs -o size=512m,nr_inodes=200k vigil-e2e flat 2>/dev/null; then
	mounts+=("$T/flat")
fi
$HT flat flat/d "$flatn"
_case=100k
test_expect_success "a folder of $flatn files: all scanned, < 60 s, < 400 MB" '
	bounded 60 400 "$VIGIL" --json scan custom flat/d --no-cache >out.json &&
	test "$rc" -eq 0 &&
	jqt out.json ".files_scanned == '"$flatn"' and .errors == 0 and .status == \"completed\""
'

# --- a sparse 1 TiB file -----------------------------------------------------------------

mkdir -p sparse
truncate -s 1T sparse/tera.bin
cp e.com sparse/e.com
_case=sparse-default
test_expect_success 'a sparse 1 TiB file is skipped by the default 4 GiB size limit without reading it, < 3 s' '
	bounded 3 200 "$VIGIL" --json scan custom sparse >out.json &&
	test "$rc" -eq 1 &&
	jqt out.json ".files_scanned == 1 and .bytes_scanned < 1000" &&
	jqt out.json "[.problems[] | select(.path == \"$T/sparse/tera.bin\" and .kind == \"skipped\" and (.reason | test(\"size limit\")))] | length == 1"
'

# With the limit raised above it, vigil maps the file. It must be bounded (skipped, a limit,
# or done) and not read 1 TiB of holes: SIGTERM at 2 s, SIGKILL at 3 s cap the damage (page
# cache of holes counts in its RSS: several GB by then when it maps and reads the file).
_case=sparse-2T
# With the limit raised on purpose, matching is bounded by antivirus_engine.scan_timeout
# (1 s here): the file is reported as not scanned completely, and the scan completes.
test_expect_success 'a sparse 1 TiB file with --max-filesize 2T: bounded by the scan timeout, reported' '
	VIGIL_STATE_DIR=$T/sparse-state "$VIGIL" config set antivirus_engine.scan_timeout 1 >/dev/null &&
	ok=0; VIGIL_STATE_DIR=$T/sparse-state KILL_AFTER=20 KILL_GRACE=5 bounded 20 4000 "$VIGIL" --json scan custom sparse --max-filesize 2T >out.json || ok=$?
	echo "exit $rc (124: SIGTERM from timeout did it; 137: it needed SIGKILL)"
	test "$ok" -eq 0 && test "$rc" -le 2 &&
	jqt out.json ".status == \"completed\"" &&
	jqt out.json "[.problems[] | select(.kind == \"limit\" and (.reason | test(\"timeout\")))] | length == 1"
'
rm -f sparse/tera.bin

# --- files changed while they are scanned ------------------------------------------------

mkdir -p churn
$HT churn churn 1 e.com >/dev/null # a first population
$HT churn churn 600 e.com >churn.ops &
churn_pid=$!
_case=churn
test_expect_success 'truncated, rewritten, deleted, swapped for links and FIFOs during 5 scans: no crash, problems reported' '
	total=0 &&
	for i in 1 2 3 4 5; do
		bounded 30 600 "$VIGIL" --json scan custom churn --threads 2 --no-cache >churn$i.json 2>churn$i.err
		echo "scan $i: exit $rc, $(jq -c "[.status, .files_scanned, .errors, .skipped]" churn$i.json 2>/dev/null)"
		case $rc in 0|1|2) ;; *) echo "scan $i died: exit $rc"; cat churn$i.err; exit 1 ;; esac
		jqt churn$i.json ".status == \"completed\"" || exit 1
		total=$((total + $(jq ".problems | length" churn$i.json)))
	done &&
	echo "problems over 5 scans: $total" &&
	test "$total" -gt 0 &&
	kill -0 "$churn_pid"
'
kill "$churn_pid" 2>/dev/null
wait "$churn_pid" 2>/dev/null
echo "# churn: $(cat churn.ops)"

# --- FIFOs, sockets and device nodes -----------------------------------------------------

mkdir -p special/sub
mkfifo special/fifo special/sub/fifo.zip
$HT socket special/sock
mknod special/null c 1 3
mknod special/zero.com c 1 5
mknod special/loop b 7 0
ln -s /dev/zero special/sub/link-to-zero.com
cp e.com special/e.com
_case=special
test_expect_success 'FIFOs (no writer), a socket, char and block devices: never opened, the scan ends < 10 s' '
	# the inner timeout (its own process group) ends vigil even if strace is what gets killed
	KILL_AFTER=20 bounded 10 200 strace -f -qq -e trace=open,openat,openat2 -o trace.txt \
		timeout -k 2 15 "$VIGIL" --json scan custom special >out.json &&
	test "$rc" -eq 1 &&
	jqt out.json ".files_scanned == 1 and .threats_found == 1 and .status == \"completed\"" &&
	opened=$(grep -E "\"(fifo|fifo\\.zip|sock|null|zero\\.com|loop|link-to-zero\\.com)\"" trace.txt | grep -v ENOENT || true) &&
	echo "opened: ${opened:-none}" && test -z "$opened"
'

test_expect_success 'special files given as roots: skipped with a reason, not opened, < 10 s each' '
	for f in fifo sock null loop; do
		KILL_AFTER=20 bounded 10 200 "$VIGIL" --json scan custom special/$f >out.json || exit 1
		test "$rc" -eq 0 || exit 1
		jqt out.json "[.problems[] | select(.path == \"$T/special/$f\" and .kind == \"skipped\")] | length == 1" || exit 1
	done
'

# --- folders the scanning user cannot read -----------------------------------------------

NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
chmod 0711 "$T"
mkdir -p priv/tree/open priv/tree/secret priv/tree/listonly priv/tree/travonly priv/state
cp e.com priv/tree/open/e.com
cp e.com priv/tree/secret/e.com
cp e.com priv/tree/listonly/l.com
cp e.com priv/tree/travonly/t.com
echo private >priv/tree/open/private.txt
chmod 0600 priv/tree/open/private.txt
chmod 0700 priv/tree/secret
chmod 0744 priv/tree/listonly
chmod 0711 priv/tree/travonly
chmod 0755 priv priv/tree
chown 65534:65534 priv/state
chmod 0700 priv/state
_case=unprivileged
test_expect_success 'as an unprivileged user: unreadable folders and files are "Permission denied" problems, the rest scanned, exit 1' '
	bounded 10 400 $NOBODY "$VIGIL" --state-dir "$T/priv/state/s" --json scan custom "$T/priv/tree" >out.json &&
	test "$rc" -eq 1 &&
	jqt out.json ".status == \"completed\" and .files_scanned == 1 and .threats_found == 1" &&
	jqt out.json "[.threats[].path] == [\"$T/priv/tree/open/e.com\"]" &&
	for p in secret travonly listonly/l.com open/private.txt; do
		jqt out.json "[.problems[] | select(.path == \"$T/priv/tree/$p\" and .kind == \"error\" and (.reason | test(\"Permission denied\")))] | length == 1" || exit 1
	done &&
	jqt out.json ".errors == 4" &&
	expect_exit 1 $NOBODY "$VIGIL" --state-dir "$T/priv/state/s" scan custom "$T/priv/tree" >out.txt &&
	grep -qF "$T/priv/tree/secret: error: cannot open folder: Permission denied" out.txt
'

sed 's/^/# figure: /' figures.txt
test_done
