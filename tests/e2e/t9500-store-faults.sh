#!/usr/bin/env bash
# The store under fault: the disk fills up during a scan, vigil.db is damaged or not a
# database at all, scans and quarantine operations run at the same time, and the state
# folder's privileges (modes of what vigil creates, folders and keys others can touch, no
# program ever run with a file name in its arguments).
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
T=$(pwd -P) # vigil reports resolved paths
HT="/usr/bin/python3 $HERE/helpers/hostile_tree.py"

[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install time)"; exit 77; }


mkdir -p small trees
if ! mount -t tmpfs -o size=512m,mode=0700 vigil-e2e small 2>/dev/null; then
	echo "cannot mount a tmpfs (not root?)"
	exit 77
fi
mount -t tmpfs -o size=512m,nr_inodes=200k vigil-e2e trees
trap 'umount "$T/small" "$T/trees" 2>/dev/null; cleanup' EXIT
eicar e.com

# --- the disk fills up during a scan -----------------------------------------------------

export VIGIL_STATE_DIR="$T/small/state"
mkdir -p trees/early
eicar trees/early/e1.com
eicar trees/early/e2.com
$HT flat trees/many 30000
eicar trees/many/e.com
vigil --json scan custom trees/early >early.json
early=$(jq .scan_id early.json)
# the store as it is after one scan, then the disk shrunk to that and 1 MiB more
used_kb=$(df -k --output=used "$T/small" | tail -n 1)
mount -o remount,size=$(((used_kb + 1024) * 1024)) "$T/small"
echo "# state tmpfs: $used_kb kB used, sized to $((used_kb + 1024)) kB"

_case=disk-full
test_expect_success 'the store fills the disk during an --inventory scan of 30,001 files: exit 2 naming vigil.db and "disk is full", < 30 s' '
	bounded 30 400 "$VIGIL" --json scan custom trees/many --inventory >full.json 2>full.err
	cat full.err
	test "$rc" -eq 2 &&
	grep -q "vigil\.db" full.err && grep -q "disk is full" full.err &&
	test "$(wc -l <full.err)" -le 3
'

mount -o remount,size=512m "$T/small"
test_expect_success 'with room again: the store opens, the earlier scan and its threats are intact, integrity ok' '
	vigil scan list >list.txt && cat list.txt &&
	grep -qE "^$early +custom +completed .* 2 +0 *$" list.txt &&
	vigil threat list --scan "$early" >tl.txt &&
	test "$(grep -c "EICAR_Test_File FOUND" tl.txt)" -eq 2 &&
	test "$(vigil health --field store_integrity)" = ok &&
	vigil --json scan show "$early" | jq -e ".status == \"completed\" and .threats_found == 2"
'

test_expect_success 'the scan that hit the full disk is recorded as failed (not running) mid-way, and a new scan works' '
	last=$(vigil scan list | awk "NR == 2 { print \$1 }") &&
	test "$last" != "$early" &&
	vigil scan list | grep -E "^$last +custom +failed " &&
	files=$(vigil --json scan show "$last" | jq .files_scanned) &&
	echo "the failed scan had recorded $files files" &&
	test "$files" -gt 0 && test "$files" -lt 30001 &&
	expect_exit 1 vigil --json scan custom trees/early >again.json &&
	jqt again.json ".threats_found == 2 and .status == \"completed\""
'

# --- a damaged vigil.db ------------------------------------------------------------------

export VIGIL_STATE_DIR="$T/cor/state"
mkdir -p cor/t
eicar cor/t/e.com
for i in 1 2 3; do vigil scan custom cor/t >/dev/null; done
cp cor/state/vigil.db cor/good.db
sz=$(stat -c %s cor/good.db)
# garbage (a fixed seed: the same every run) over the middle half of the file
/usr/bin/python3 -c "import random, sys; sys.stdout.buffer.write(random.Random(9500).randbytes($sz // 2))" >garbage
dd if=garbage of=cor/state/vigil.db bs=4096 seek=$((sz / 4 / 4096)) conv=notrunc status=none

# run_all: each command's exit code and first stderr line, one a line, into all.txt
run_all() {
	: >all.txt
	local c r
	for c in "scan list" "scan custom cor/t" "threat list" "quarantine list" "health --field store_integrity" "exclusion list"; do
		r=0; timeout -k 2 30 "$VIGIL" $c >cmd.out 2>cmd.err || r=$?
		echo "$r [$c] $(head -c 300 cmd.out | tr "\n" " ") | $(head -n 1 cmd.err)" >>all.txt
	done
	cat all.txt
}

test_expect_success 'garbage over the middle of vigil.db: no crash, the damage is noticed, failures name vigil.db' '
	run_all &&
	! grep -vE "^[012] " all.txt &&
	! grep -E "^2 " all.txt | grep -v "vigil\.db" &&
	grep -E "^2 " all.txt | grep -q "malformed\|damaged" &&
	grep -E "\[health --field store_integrity\]" all.txt | grep -qE "^0 .* damaged|^2 .*vigil\.db"
'

test_expect_success 'vigil health --field store_integrity says "damaged" for that store (there is no "vigil store check")' '
	r=0; "$VIGIL" health --field store_integrity >h.out 2>h.err || r=$?
	echo "exit $r: $(cat h.out) $(cat h.err)"
	test "$(cat h.out)" = damaged
'

test_expect_success 'a file of random bytes named vigil.db: every command exits 2 naming vigil.db, the file is left alone' '
	head -c "$sz" /dev/urandom >cor/state/vigil.db &&
	before=$(sha256sum cor/state/vigil.db) &&
	run_all &&
	test "$(grep -c "^2 " all.txt)" -eq 6 &&
	test "$(grep -c "store .*vigil\.db.*not a database" all.txt)" -eq 6 &&
	test "$(sha256sum cor/state/vigil.db)" = "$before"
'

test_expect_success 'the damaged-store message points to a command that exists' '
	hint=$(grep -o "see .vigil [a-z ]*." all.txt | head -n 1) &&
	echo "hint: $hint" &&
	cmd=$(printf "%s" "$hint" | sed "s/^see .vigil \([a-z]*\).*/\1/") &&
	vigil help >help.txt &&
	grep -qE "^  vigil $cmd( |$)" help.txt || { echo "vigil help has no \"vigil $cmd\""; exit 1; }
'

# --- scans and quarantine operations at the same time ------------------------------------

export VIGIL_STATE_DIR="$T/cc/state"
for k in 1 2 3 4; do
	mkdir -p trees/c$k
	for j in $(seq 0 "$k"); do eicar trees/c$k/e$j.com; done # k+1 detections
	$HT flat trees/c$k/clean 5000
done
mkdir -p trees/q
for i in $(seq 1 20); do
	{ printf 'sample %d\n' "$i"; head -c $((i * 30000)) /dev/urandom; } >trees/q/s$i.bin
done
(cd trees/q && sha256sum s*.bin | sort) >q.sha
vigil scan list >/dev/null

_case=concurrent
test_expect_success '4 scans (2 quarantining), 20 quarantine adds and 10 lists at once: all succeed, no "database is locked", < 60 s' '
	start=$(date +%s%N) &&
	for k in 1 2 3 4; do
		act=report; [ $k -le 2 ] && act=quarantine
		(_rc=0; timeout -k 5 120 "$VIGIL" --json scan custom trees/c$k --action $act >c$k.json 2>c$k.err || _rc=$?; echo $_rc >c$k.rc ) &
	done
	( for i in $(seq 1 20); do timeout -k 5 60 "$VIGIL" quarantine add trees/q/s$i.bin >>qa.out 2>>qa.err || echo "add $i: $?" >>qa.fail; done ) &
	( for i in $(seq 1 10); do timeout -k 5 60 "$VIGIL" --json quarantine list >ql$i.json 2>>ql.err || echo "list $i: $?" >>ql.fail; done ) &
	wait
	elapsed_ms=$((($(date +%s%N) - start) / 1000000)) &&
	echo "elapsed $elapsed_ms ms" && echo "concurrent: wall $elapsed_ms ms for everything (limit 60 s)" >>figures.txt &&
	test "$elapsed_ms" -lt 60000 &&
	cat c*.err qa.err ql.err 2>/dev/null | head -n 5 &&
	! cat c*.err qa.err ql.err 2>/dev/null | grep -qi "locked\|busy" &&
	test ! -s qa.err && test ! -s ql.err && test ! -e qa.fail && test ! -e ql.fail &&
	for k in 1 2 3 4; do
		test "$(cat c$k.rc)" -eq 1 && test ! -s c$k.err || { echo "scan $k: exit $(cat c$k.rc)"; exit 1; }
		jqt c$k.json ".status == \"completed\" and .threats_found == $((k + 1)) and .files_scanned == $((k + 5001))" || exit 1
	done
'

test_expect_success 'every scan recorded with its threats; every quarantined file in the vault and gone from disk' '
	for k in 1 2 3 4; do
		id=$(jq .scan_id c$k.json) &&
		vigil --json scan show "$id" >show.json &&
		jqt show.json ".status == \"completed\" and .threats_found == $((k + 1)) and (.threats | length) == $((k + 1))" || exit 1
		test "$(vigil threat list --scan "$id" | grep -c FOUND)" -eq $((k + 1)) || exit 1
	done &&
	jqt c1.json "all(.threats[]; .action | test(\"^quarantined as item [0-9]+$\"))" &&
	jqt c2.json "all(.threats[]; .action | test(\"^quarantined as item [0-9]+$\"))" &&
	test "$(ls trees/c1/*.com trees/c2/*.com 2>/dev/null | wc -l)" -eq 0 &&
	test "$(ls trees/c3/*.com trees/c4/*.com | wc -l)" -eq 9 &&
	test "$(ls trees/q | wc -l)" -eq 0 &&
	vigil --json quarantine list >ql.json &&
	jqt ql.json ".items | length == 25 and all(.[]; .state == \"quarantined\")" &&
	jq -r ".items[] | select(.path | test(\"/trees/q/\")) | \"\(.sha256)  \(.path | sub(\".*/\"; \"\"))\"" ql.json | sort >vault.sha &&
	diff q.sha vault.sha &&
	test "$(jq "[.items[] | select(.path | test(\"/trees/c[12]/\"))] | length" ql.json)" -eq 5
'

# --- privileges --------------------------------------------------------------------------

test_expect_success 'a fresh state folder is 0700, vigil.db 0600, quarantine.key 0600 (even with umask 000)' '
	(
		umask 000
		export VIGIL_STATE_DIR="$T/fresh/state"
		# the folder above made 0755 here: a 0777 one on the way is refused
		mkdir -m 755 "$T/fresh" && echo sample >"$T/fresh/a.bin" &&
		"$VIGIL" scan list >/dev/null &&
		"$VIGIL" quarantine add "$T/fresh/a.bin" >/dev/null
	) &&
	stat -c "%a %n" fresh/state fresh/state/* &&
	test "$(stat -c %a fresh/state)" = 700 &&
	test "$(stat -c %a fresh/state/vigil.db)" = 600 &&
	test "$(stat -c %a fresh/state/quarantine.key)" = 600 &&
	test -z "$(find fresh/state -mindepth 1 -perm /077)"
'

export VIGIL_STATE_DIR="$T/pv/state"
mkdir -p pv/t
eicar pv/t/e.com
echo x >pv/x.bin
vigil scan custom pv/t >/dev/null
vigil quarantine add pv/x.bin >/dev/null

test_expect_success 'a state folder others can write (0777) is refused by every command, with a clear message' '
	chmod 0777 pv/state &&
	for c in "scan list" "scan custom pv/t" "threat list" "quarantine list"; do
		r=0; "$VIGIL" $c >o.txt 2>e.txt || r=$?
		echo "[$c] exit $r: $(head -n 1 e.txt)"
		test "$r" -eq 2 && grep -q "state folder .*pv/state.*refused" e.txt || bad=1
	done
	chmod 0700 pv/state
	test -z "${bad:-}"
'

test_expect_success 'a quarantine key others can read (0644) is refused, with a clear message' '
	chmod 0644 pv/state/quarantine.key &&
	echo y >pv/y.bin &&
	for c in "quarantine list" "quarantine add pv/y.bin" "quarantine restore 1"; do
		r=0; "$VIGIL" $c >o.txt 2>e.txt || r=$?
		echo "[$c] exit $r: $(head -n 1 e.txt)"
		test "$r" -eq 2 && grep -q "quarantine key .*quarantine\.key.*(mode 0644): refused" e.txt || bad=1
	done
	chmod 0600 pv/state/quarantine.key
	test -z "${bad:-}" && test -e pv/y.bin
'

if command -v yarac >/dev/null; then
	chmod 0711 "$T"
	chmod 0755 pv
	printf 'rule planted { condition: false }\n' >planted.yar
	chmod 0644 planted.yar
	test_expect_success 'an unprivileged user cannot swap the compiled rules in a writable state folder to blind the scan' '
		chmod 0777 pv/state &&
		y=$(ls pv/state/rules-*.yarc) &&
		setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \
			"yarac \"$T/planted.yar\" \"$T/pv/state/p.tmp\" && mv -f \"$T/pv/state/p.tmp\" \"$y\"" &&
		stat -c "%U %n" "$y" &&
		r=0; "$VIGIL" scan custom pv/t >o.txt 2>e.txt || r=$?
		chmod 0700 pv/state
		echo "root scan after the swap: exit $r; $(grep -E "FOUND|Signatures" o.txt | head -n 2) $(head -n 1 e.txt)"
		test "$r" -eq 1 -o "$r" -eq 2 && ! { test "$r" -eq 1 && ! grep -q FOUND o.txt; }
	'
else
	test_skip 'an unprivileged user cannot swap the compiled rules in a writable state folder' 'yarac not installed'
fi

mkdir -p ex/t
eicar 'ex/t/$(touch pwned)'
eicar 'ex/t/;id;'
eicar 'ex/t/`touch pwned2`.com'
echo clean >'ex/t/|sh'
(cd ex/t && zip -q '../t/$(touch pwned3).zip' '$(touch pwned)')
export VIGIL_STATE_DIR="$T/ex/state"
# strace -s 4096: an argument longer than strace's default 32 characters (the extractor's path in a
# deep checkout) must not be cut short before it is compared.
trace="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -s 4096 -e trace=execve,execveat -o"
# The only other programs vigil may start are its own helpers beside it, with fixed arguments:
# the extractor (the diagnostic bundle's health check starts one) and the image reader.
img_helper=vigil-image; case $VIGIL in *-san) img_helper=vigil-image-san ;; esac
test_expect_success 'no program is ever run: one execve (vigil) per command, over names like $(touch pwned) and ;id;; only vigil-extract and vigil-image besides' '
	cd ex &&
	mkdir -p imgt && cp "t/\$(touch pwned)" "imgt/;id;\$(touch pwned5).com" &&
	mkfs.ext4 -q -d imgt "x;id;.img" 8M &&
	expect_exit 1 env $trace tr1.txt "$VIGIL" scan custom t --action quarantine \
		--report "html:r;id;.html" >out.txt &&
	test "$(grep -c FOUND out.txt)" -eq 4 &&
	env $trace tr2.txt "$VIGIL" quarantine export 1 --out "\$(touch pwned4).zip" >/dev/null &&
	env $trace tr3.txt "$VIGIL" quarantine restore 1 >/dev/null &&
	env $trace tr4.txt "$VIGIL" report 1 --format csv --out "x;id;.csv" >/dev/null &&
	env $trace tr5.txt "$VIGIL" diagnostic create --out "d\$(id).zip" >/dev/null &&
	expect_exit 1 env $trace tr6.txt "$VIGIL" scan image "x;id;.img" >img.txt &&
	grep -q "FOUND" img.txt && grep -c "execve(\"$(dirname "$VIGIL")/$img_helper\"" tr6.txt &&
	for f in tr1 tr2 tr3 tr4 tr5 tr6; do
		n=$(grep -c "execve" $f.txt)
		other=$(grep "execve" $f.txt | grep -v "execve(\"$VIGIL\"" |
			grep -v "execve(\"$(dirname "$VIGIL")/vigil-extract\", \[\"[^\"]*vigil-extract\", \"--fd\", \"3\"" |
			grep -vc "execve(\"$(dirname "$VIGIL")/$img_helper\", \[\"[^\"]*$img_helper\", \"--fd\", \"3\", \"--memory-mb\", \"[0-9]*\"\]") || true
		echo "$f: $n execve, $other not vigil or its helpers: $(grep execve $f.txt | cut -c1-100 | tr "\n" " ")"
		test "$other" -eq 0 && test "$(grep -c "execve(\"$VIGIL\"" $f.txt)" -eq 1 || exit 1
	done &&
	pwned=$(find "$T" /tmp /root / -maxdepth 2 -xdev -name "pwned*" 2>/dev/null | head) &&
	echo "pwned files: ${pwned:-none}" && test -z "$pwned"
'

sed 's/^/# figure: /' figures.txt
test_expect_success 'the summary does not hide a store it cannot read back: exit 2 naming it, not an empty list' '
	install -d -m 700 "$T/sgstate" && mkdir -p sg && eicar sg/x.com &&
	db="$T/sgstate/vigil.db" && vigil --state-dir "$T/sgstate" sigdb list >/dev/null &&
	{ "$VG_GATE" --ready sg.armed --nth 2 "$T/sg/x.com" -- \
		sqlite3 "$db" "ALTER TABLE problems RENAME TO problems_gone" >sg.gate 2>&1 & } &&
	gate=$! && n=0 && until [ -e sg.armed ] || [ $n -ge 200 ]; do sleep 0.05; n=$((n + 1)); done &&
	rc=0 && vigil --state-dir "$T/sgstate" scan custom sg --action quarantine --threads 1 \
		>sg.out 2>sg.err || rc=$?
	grc=0 && wait "$gate" || grc=$?
	cat sg.err sg.gate && sqlite3 "$db" "ALTER TABLE problems_gone RENAME TO problems" &&
	test "$grc" -eq 0 && test "$rc" -eq 2 &&
	grep -q "cannot read scan [0-9]* back from the store" sg.err &&
	grep -q "no such table" sg.err
'

test_done
