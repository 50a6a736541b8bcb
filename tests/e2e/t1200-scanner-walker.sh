#!/usr/bin/env bash
# The directory walker: special files, symlinks, hostile names, threads, files that vanish,
# size and filesystem limits, the progress line, and memory on a large tree.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil reports resolved paths


# Mount points made here are undone even if the script stops early.
trap 'umount "$T/fs/mnt" "$T/big" 2>/dev/null; cleanup' EXIT

# Special files and symlinks.
mkdir -p walk/sub outside
eicar walk/real.com
mkfifo walk/fifo
ln -s .. walk/sub/loop
ln -s . walk/self
eicar outside/outside.com
ln -s ../outside/outside.com walk/link-to-file.com
ln -s ../outside walk/link-to-dir

test_expect_success 'a FIFO and a symlink loop in the tree do not hang the scan' '
	expect_exit 1 timeout 30 "$VIGIL" --json scan custom walk >out.json &&
	jqt out.json ".status == \"completed\"" &&
	jqt out.json "[.threats[].path] == [\"$T/walk/real.com\"]"
'

test_expect_success 'symlinks to a file or folder outside the tree are not followed' '
	expect_exit 1 timeout 30 "$VIGIL" scan custom walk >out &&
	grep -qF "$T/walk/real.com: EICAR_Test_File FOUND" out &&
	! grep -q "outside" out &&
	test "$(grep -c FOUND out)" -eq 1
'

test_expect_success 'a symlink given as the root on the command line is followed' '
	ln -s walk rootlink &&
	expect_exit 1 timeout 30 "$VIGIL" --json scan custom rootlink >out.json &&
	jqt out.json "[.threats[].path | select(endswith(\"/real.com\"))] | length == 1" &&
	jqt out.json ".threats | length == 1"
'

# Hostile names.
mkdir -p names
eicar "names/new
line.com"
eicar "$(printf 'names/bad\377name.com')"
eicar "$(printf 'names/esc\033[31mred.com')"

test_expect_success 'a file name with a newline comes out intact in --json' '
	expect_exit 1 vigil --json scan custom names >out.json &&
	jqt out.json "[.threats[] | select(.path == \"$T/names/new\nline.com\")] | length == 1"
'

test_expect_success 'a file name with invalid UTF-8 has path_b64 with the raw bytes' '
	expect_exit 1 vigil --json scan custom names >out.json &&
	jq -r ".threats[] | select(.path_b64 != null) | .path_b64" out.json >b64 &&
	test "$(wc -l <b64)" -eq 1 &&
	base64 -d <b64 >raw &&
	printf "%s/names/bad\377name.com" "$T" >want &&
	cmp raw want &&
	jqt out.json "[.threats[] | select(.path | test(\"bad.*name.com\"))] | length == 1"
'

test_expect_success 'a terminal escape sequence in a name is not printed raw (human output)' '
	expect_exit 1 vigil scan custom names >out 2>err &&
	! grep -q "$(printf "\033")" out &&
	! grep -q "$(printf "\033")" err &&
	grep -q "esc.*red\.com: EICAR_Test_File FOUND" out &&
	vigil threat list >tl &&
	grep -q "esc.*red\.com" tl &&
	! grep -q "$(printf "\033")" tl
'

test_expect_success 'a newline in a name does not split the human output line' '
	expect_exit 1 vigil scan custom names >out &&
	! grep -q "^line\.com" out &&
	grep -q "/names/new.*line\.com: EICAR_Test_File FOUND" out
'

# A raw 0xff byte and a literal backslash-x-f-f are different names; so must their
# human-readable forms be.
mkdir -p esc1 esc2
eicar "$(printf 'esc1/a\377b.com')"
eicar 'esc2/a\xffb.com'
test_expect_success 'human output tells a raw 0xff byte from a literal "\xff" in a name' '
	expect_exit 1 vigil scan custom esc1 >o1 &&
	expect_exit 1 vigil scan custom esc2 >o2 &&
	l1=$(grep FOUND o1 | sed "s|.*/esc1/||") &&
	l2=$(grep FOUND o2 | sed "s|.*/esc2/||") &&
	echo "raw byte: $l1 / literal: $l2" &&
	test -n "$l1" && test -n "$l2" &&
	test "$l1" != "$l2"
'

# ~20 EICAR copies over folders and archives.
mkdir -p many
for d in a b c d; do
	mkdir -p many/$d/deeper
	for i in 1 2; do eicar many/$d/e$i.com; done
	eicar many/$d/deeper/e.com
done
echo clean >many/a/clean.txt
mkdir -p zsrc && for i in 1 2 3; do eicar zsrc/z$i.com; done
(cd zsrc && zip -q ../many/b/three.zip z1.com z2.com z3.com)
tar -C zsrc -czf many/c/three.tgz z1.com z2.com z3.com
(cd zsrc && zip -q ../inner.zip z1.com) && zip -q many/d/nested.zip inner.zip
(cd zsrc && 7z a -bd -bso0 -bse0 ../many/a/one.7z z2.com >/dev/null)
test_expect_success '--threads 1 and --threads 4 give the same sorted detections (20 of them)' '
	expect_exit 1 vigil --json scan custom --threads 1 many >o1.json &&
	expect_exit 1 vigil --json scan custom --threads 4 many >o4.json &&
	jq -r ".threats[] | [.path, (.member | join(\" > \")), .name, .sha256] | @tsv" o1.json | sort >s1 &&
	jq -r ".threats[] | [.path, (.member | join(\" > \")), .name, .sha256] | @tsv" o4.json | sort >s4 &&
	test "$(wc -l <s1)" -eq 20 &&
	test "$(sort -u s1 | wc -l)" -eq 20 &&
	cmp s1 s4 &&
	jqt o1.json ".files_scanned == 17" &&
	jqt o4.json ".files_scanned == 17"
'

test_expect_success 'threats and problems come in the same order whatever the thread count' '
	expect_exit 1 vigil --json scan custom --threads 1 many names walk >o1.json &&
	expect_exit 1 vigil --json scan custom --threads 4 many names walk >o4.json &&
	jq -c "[.threats[] | [.path, .member, .name]], [.problems[] | [.path, .member, .kind]]" o1.json >a &&
	jq -c "[.threats[] | [.path, .member, .name]], [.problems[] | [.path, .member, .kind]]" o4.json >b &&
	cmp a b &&
	jqt o1.json "[.threats[].path] == ([.threats[].path] | sort)"
'

# Files that disappear while the scan runs.
mkdir -p vanish
eicar vanish/keep.com
for d in 0 1 2 3 4 5 6 7 8 9; do
	mkdir -p vanish/d$d
	(cd vanish/d$d && seq 1 500 | split -l 1 -a 3 - f)
done
test_expect_success 'files deleted during the scan: exit 0 or 1, never a crash' '
	"$VIGIL" --json scan custom --threads 2 vanish >out.json 2>err &
	pid=$! &&
	sleep 0.1 &&
	rm -rf vanish/d[0-9] &&
	rc=0; wait $pid || rc=$?
	echo "scan exited $rc" &&
	test "$rc" -eq 1 &&
	jqt out.json ".status == \"completed\"" &&
	jqt out.json "[.threats[].path] == [\"$T/vanish/keep.com\"]"
'

mkdir -p sizes
head -c 3000000 /dev/urandom >sizes/big.bin
echo small >sizes/small.txt
eicar sizes/e.com
test_expect_success '--max-filesize skips and counts a big file, naming the limit' '
	expect_exit 1 vigil --json scan custom --max-filesize 1000000 sizes >out.json &&
	jqt out.json ".skipped >= 1 and .files_scanned == 2" &&
	jqt out.json "[.problems[] | select(.path == \"$T/sizes/big.bin\" and .kind != \"error\" and (.reason | test(\"1000000\")))] | length == 1" &&
	jqt out.json "[.threats[].path] == [\"$T/sizes/e.com\"]"
'

test_expect_success 'without --max-filesize the big file is scanned' '
	expect_exit 1 vigil --json scan custom sizes >out.json &&
	jqt out.json ".skipped == 0 and .files_scanned == 3 and .bytes_scanned >= 3000000"
'

mkdir -p fs/mnt
eicar fs/top.com
if mount -t tmpfs vigil-e2e fs/mnt 2>/dev/null; then
	eicar fs/mnt/inside.com
	test_expect_success '--one-filesystem does not cross into a tmpfs mounted in the tree' '
		expect_exit 1 vigil --json scan custom --one-filesystem fs >out.json &&
		jqt out.json "[.threats[].path] == [\"$T/fs/top.com\"]" &&
		expect_exit 1 vigil --json scan custom fs >all.json &&
		jqt all.json "[.threats[].path] | sort == [\"$T/fs/mnt/inside.com\", \"$T/fs/top.com\"]"
	'
	umount fs/mnt
else
	test_skip '--one-filesystem does not cross into a tmpfs mounted in the tree' 'cannot mount a tmpfs'
fi

mkdir -p quiet && echo hello >quiet/a.txt
test_expect_success 'no progress line on stderr when stderr is not a terminal' '
	expect_exit 0 vigil scan custom quiet >out 2>err &&
	test ! -s err &&
	grep -q "Files scanned: 1" out
'

# 100000 small files (on a tmpfs when one can be mounted: much faster to make and remove).
mkdir -p big
mount -t tmpfs -o size=1g,nr_inodes=200k vigil-e2e big 2>/dev/null && big_mounted=1 || big_mounted=0
for d in $(seq -w 0 99); do
	mkdir -p big/d$d
	(cd big/d$d && seq 1 1000 | split -l 1 -a 3 - f)
done
eicar big/d42/e.com

if command -v script >/dev/null; then
	# 10000 of them take well over half a second.
	test_expect_success 'a progress line appears under a pseudo-terminal for a longer scan' '
		script -qec "\"$VIGIL\" scan custom big/d0? >/dev/null" /dev/null >tty.out &&
		grep -aE "[0-9]+ files, .*threats" tty.out >/dev/null &&
		vigil scan custom big/d0? >out 2>err &&
		test ! -s err &&
		grep -q "Files scanned: 10000" out
	'
	hostile=$(printf 'hostile/esc\033[31mdir')
	mkdir -p "$hostile"
	(cd "$hostile" && seq 1 5000 | split -l 1 -a 3 - f)
	test_expect_success 'the progress line does not print an escape sequence from a folder name raw' '
		script -qec "\"$VIGIL\" scan custom hostile >/dev/null" /dev/null >tty.out &&
		grep -aE "[0-9]+ files, .*threats" tty.out >/dev/null &&
		! grep -aq "$(printf "\033\\[31m")" tty.out
	'
else
	test_skip 'a progress line appears under a pseudo-terminal' 'script(1) not installed'
fi

rss_limit_kb=$((200 * 1024 * SAN_FACTOR))
if [ -x /usr/bin/time ]; then
	test_timing 'a tree of 100000 small files is scanned with peak RSS below 200 MB' '
		rc=0; /usr/bin/time -v "$VIGIL" --json scan custom big >out.json 2>time.err || rc=$?
		test "$rc" -eq 1 &&
		rss=$(sed -n "s/.*Maximum resident set size (kbytes): //p" time.err) &&
		echo "peak RSS $rss kB" &&
		test -n "$rss" && test "$rss" -lt "$rss_limit_kb" &&
		jqt out.json ".files_scanned == 100001 and .threats_found == 1"
	'
else
	test_timing 'a tree of 100000 small files is scanned with peak RSS below 200 MB (VmHWM)' '
		"$VIGIL" --json scan custom big >out.json 2>/dev/null &
		pid=$! rss=0
		while kill -0 $pid 2>/dev/null; do
			v=$(sed -n "s/^VmHWM: *\([0-9]*\) kB/\1/p" /proc/$pid/status 2>/dev/null) || v=
			[ -n "$v" ] && rss=$v
			sleep 0.05
		done
		rc=0; wait $pid || rc=$?
		echo "peak RSS (VmHWM) $rss kB" &&
		test "$rc" -eq 1 && test "$rss" -gt 0 && test "$rss" -lt "$rss_limit_kb" &&
		jqt out.json ".files_scanned == 100001 and .threats_found == 1"
	'
fi
test_expect_success 'Ctrl-C (SIGINT) stops the scan cleanly: exit 2, recorded as interrupted' '
	# clean files, then a 3 GiB sparse file that keeps the one worker busy for seconds:
	# the signal lands mid-scan, and nothing was found (so 2, not 1)
	mkdir -p slow/a slow/b && (cd slow/a && seq 1 2000 | split -l 1 -a 3 - f) &&
	truncate -s 3G slow/b/sparse.bin || exit 1
	"$VIGIL" --json scan custom slow --threads 1 >out.json 2>err &
	pid=$! &&
	n=0 && until vigil scan list | grep -q " running " || [ $n -ge 200 ]; do sleep 0.05; n=$((n + 1)); done &&
	sleep 0.3 &&
	kill -INT $pid &&
	rc=0; wait $pid || rc=$?
	echo "scan exited $rc: $(cat err)" &&
	test "$rc" -eq 2 &&
	jqt out.json ".status == \"interrupted\" and .threats_found == 0" &&
	id=$(jq -r .scan_id out.json) &&
	vigil --json scan show "$id" >show.json &&
	jqt show.json ".status == \"interrupted\"" &&
	vigil scan list >list &&
	grep -E "^$id +custom +interrupted" list
'
# Deterministic: a 3 GiB sparse file takes seconds to scan (holes read as zeros), and the
# truncation happens only once /proc/PID/maps shows the file mapped, i.e. mid-scan. The fault
# lands in libyara (which catches it), or in vigil's copies for libmagic and the digests
# (--inventory): one message either way, no leak (the sanitizer build checks), and exit 0 (an
# unreadable file is an error, not a threat).
test_expect_success 'a mapped file truncated while it is scanned is an error for that file, not a crash' '
	mkdir -p shrink &&
	for opt in --no-cache --inventory; do
		rm -f shrink/big.bin && truncate -s 3G shrink/big.bin || exit 1
		"$VIGIL" --json scan custom shrink --threads 1 --no-cache $opt >shrink.json 2>shrink.err &
		pid=$! k=0
		while ! grep -q "shrink/big.bin" /proc/$pid/maps 2>/dev/null; do
			k=$((k + 1)); [ $k -lt 3000 ] || break; sleep 0.01
		done
		truncate -s 4096 shrink/big.bin
		rc=0; wait $pid || rc=$?
		echo "$opt: polls $k, exit $rc" && cat shrink.err &&
		test $rc -eq 0 &&
		jq -e ".errors == 1 and .problems[0].kind == \"error\" and (.problems[0].reason | test(\"shrank while it was being scanned\"))" shrink.json || exit 1
	done
'

test_expect_success 'pseudo file systems are not scanned: /proc given as a root is skipped with a reason' '
	expect_exit 0 vigil --json scan custom /proc >proc.json &&
	jq -e ".files_scanned == 0 and .problems[0].kind == \"skipped\" and (.problems[0].reason | test(\"pseudo\"))" proc.json
'

[ "$big_mounted" = 1 ] && umount big

test_done
