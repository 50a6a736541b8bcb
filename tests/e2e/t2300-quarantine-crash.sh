#!/usr/bin/env bash
# Quarantine crash safety: vigil killed (SIGKILL) at chosen points of a move or a restore
# (strace fault injection), then ~300 files moved into the vault by `quarantine add` runs
# killed after random delays, then restored by `quarantine restore` runs killed the same way.
# After every kill `quarantine list` recovers pending items. The only pass is zero losses:
# every file is at its path with its SHA-256 or restorable from the vault, and a file moved
# in is never both at its path and in the vault.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil records resolved paths

# killed_at SYSCALL N vigil-args...: runs vigil under strace, SIGKILLed on entering the Nth
# SYSCALL; true when it was killed.
killed_at() {
	local sc=$1 n=$2 rc=0
	shift 2
	strace -f -o /dev/null -e trace="$sc" -e inject="$sc":signal=KILL:when="$n" "$VIGIL" "$@" >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 137 ] || { echo "vigil was not killed at $sc #$n (exit $rc)" >&2; return 1; }
}
# items STATE-DIR: the number of rows of the vault, any state.
items() { sqlite3 "$1/vigil.db" "SELECT count(*) FROM quarantine"; }

# --- kills at chosen points (strace) -----------------------------------------------------------
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
	mkdir -p inj orig
	"$VIGIL" --state-dir si quarantine list >/dev/null # the key exists from here on

	# killed_in FILE SYSCALL N vigil-args...: as killed_at, counting only SYSCALLs on FILE
	killed_in() {
		local f=$1 sc=$2 n=$3 rc=0
		shift 3
		strace -f -o /dev/null -P "$f" -e trace="$sc" -e inject="$sc":signal=KILL:when="$n" "$VIGIL" "$@" >/dev/null 2>&1 || rc=$?
		[ "$rc" -eq 137 ] || { echo "vigil was not killed at $sc #$n on $f (exit $rc)" >&2; return 1; }
	}

	test_expect_success 'killed just before the original is unlinked: the next list rolls back, the file stays' '
		head -c 1500000 /dev/urandom >inj/a && cp inj/a orig/a &&
		killed_at unlinkat 1 --state-dir si quarantine add inj/a &&
		test "$(sqlite3 si/vigil.db "SELECT state FROM quarantine")" = pending &&
		vigil --state-dir si --json quarantine list >l.json 2>err && cat err &&
		grep -q "finished 0 and rolled back 1" err &&
		jqt l.json ".items == []" && test "$(items si)" -eq 0 &&
		cmp inj/a orig/a
	'

	test_expect_success 'killed just after the unlink: the next list finishes the move, the item restores' '
		killed_at fsync 1 --state-dir si quarantine add inj/a &&
		test ! -e inj/a &&
		vigil --state-dir si --json quarantine list >l.json 2>err && cat err &&
		grep -q "finished 1 and rolled back 0" err &&
		jqt l.json "(.items | length) == 1 and .items[0].path == \"$T/inj/a\"" &&
		test "$(sqlite3 si/vigil.db "SELECT count(*) FROM quarantine WHERE state <> '"'"'quarantined'"'"'")" -eq 0 &&
		vigil --state-dir si quarantine restore "$(jq .items[0].id l.json)" >/dev/null &&
		cmp inj/a orig/a
	'

	test_expect_success 'killed while the encrypted copy is written: nothing is kept, the file stays' '
		head -c 3145728 /dev/urandom >inj/b && cp inj/b orig/b &&
		killed_in "$T/si/vault.db" pwrite64 25 --state-dir si quarantine add inj/b &&
		vigil --state-dir si --json quarantine list >l.json 2>/dev/null &&
		jqt l.json ".items == []" && test "$(items si)" -eq 0 &&
		test "$(sqlite3 si/vault.db "SELECT count(*) FROM quarantine_chunks")" -eq 0 &&
		cmp inj/b orig/b
	'

	test_expect_success 'killed at the first write of vault.db (the item staged in vigil.db, no chunk yet): the next list drops it, the file stays' '
		head -c 2500000 /dev/urandom >inj/s && cp inj/s orig/s &&
		killed_in "$T/si/vault.db" pwrite64 1 --state-dir si quarantine add inj/s &&
		test "$(sqlite3 si/vigil.db "SELECT state FROM quarantine")" = staging &&
		vigil --state-dir si --json quarantine list >l.json 2>err && cat err &&
		grep -q "finished 0 and rolled back 1" err &&
		jqt l.json ".items == []" && test "$(items si)" -eq 0 &&
		test "$(sqlite3 si/vault.db "SELECT count(*) FROM quarantine_chunks")" -eq 0 &&
		cmp inj/s orig/s
	'

	test_expect_success 'killed in the commit of vault.db (its pages synced, the journal not yet truncated): rolled back, the file stays' '
		killed_in "$T/si/vault.db-journal" ftruncate 1 --state-dir si quarantine add inj/s &&
		test "$(sqlite3 si/vigil.db "SELECT state FROM quarantine")" = staging &&
		vigil --state-dir si --json quarantine list >l.json 2>err && cat err &&
		grep -q "finished 0 and rolled back 1" err &&
		jqt l.json ".items == []" && test "$(items si)" -eq 0 &&
		test "$(sqlite3 si/vault.db "SELECT count(*) FROM quarantine_chunks")" -eq 0 &&
		cmp inj/s orig/s &&
		vigil --state-dir si quarantine add inj/s >/dev/null && test ! -e inj/s &&
		vigil --state-dir si quarantine restore "$(vigil --state-dir si --json quarantine list | jq ".items[0].id")" >/dev/null &&
		cmp inj/s orig/s
	'

	test_expect_success 'restore killed before the rename: nothing at the path, the item stays and restores later' '
		vigil --state-dir si quarantine add inj/b >/dev/null && test ! -e inj/b &&
		id=$(vigil --state-dir si --json quarantine list | jq ".items[0].id") &&
		killed_at renameat2 1 --state-dir si quarantine restore "$id" &&
		test ! -e inj/b &&
		test "$(find inj -name ".vigil-restore-*" | wc -l)" -eq 1 &&
		vigil --state-dir si --json quarantine list >l.json && jqt l.json ".items | any(.id == $id)" &&
		test "$(find inj -name ".vigil-restore-*" | wc -l)" -eq 0 &&
		vigil --state-dir si quarantine restore "$id" >/dev/null && cmp inj/b orig/b
	'

	test_expect_success 'restore killed after the rename: the file is whole, and no copy is lost' '
		vigil --state-dir si quarantine add inj/b >/dev/null && test ! -e inj/b &&
		id=$(vigil --state-dir si --json quarantine list | jq ".items[0].id") &&
		killed_at fsync 2 --state-dir si quarantine restore "$id" &&
		cmp inj/b orig/b &&
		vigil --state-dir si --json quarantine list >l.json &&
		if jq -e ".items | any(.id == $id)" l.json >/dev/null; then
			expect_exit 2 vigil --state-dir si quarantine restore "$id" 2>/dev/null &&
			vigil --state-dir si quarantine restore "$id" --force >/dev/null && cmp inj/b orig/b
		fi &&
		vigil --state-dir si --json quarantine list >l.json && jqt l.json ".items == []"
	'

	test_expect_success 'killed while the new key is written: the vault still works afterwards' '
		head -c 70000 /dev/urandom >inj/k && cp inj/k orig/k &&
		killed_at write 1 --state-dir sk quarantine add inj/k &&
		cmp inj/k orig/k &&
		ls -la sk/ &&
		expect_exit 0 vigil --state-dir sk quarantine add inj/k >/dev/null &&
		test ! -e inj/k &&
		id=$(vigil --state-dir sk --json quarantine list | jq ".items[0].id") &&
		vigil --state-dir sk quarantine restore "$id" >/dev/null && cmp inj/k orig/k
	'

	# Killed after the unlink, then a new, unrelated file takes the path and (as file systems
	# do) the freed inode number. Recovery must not take it for the original and drop the
	# only copy of the quarantined content.
	mkdir -p reuse && "$VIGIL" --state-dir sr quarantine list >/dev/null
	head -c 100000 /dev/urandom >reuse/f && cp reuse/f orig/reuse
	ino=$(stat -c %i reuse/f)
	found=
	if killed_at fsync 1 --state-dir sr quarantine add reuse/f 2>/dev/null && [ ! -e reuse/f ]; then
		for b in $(seq 0 49); do
			(cd reuse && touch $(seq -f "t$b-%g" 1 100))
			found=$(find reuse -maxdepth 1 -name "t*" -inum "$ino" | head -n 1)
			[ -n "$found" ] && break
		done
	fi
	if [ -n "$found" ]; then
		echo "an unrelated new file" >"$found" && mv "$found" reuse/f && cp reuse/f orig/reuse.new
		find reuse -maxdepth 1 -name "t*" -delete
		test_expect_success 'a new file that got the original inode number does not make recovery drop the vault copy' '
			test "$(stat -c %i reuse/f)" = "$ino" &&
			vigil --state-dir sr --json quarantine list >l.json 2>err && cat err &&
			jqt l.json "(.items | length) == 1 and .items[0].path == \"$T/reuse/f\"" &&
			mkdir -p alt && vigil --state-dir sr quarantine restore "$(jq .items[0].id l.json)" --path alt/reuse >/dev/null &&
			cmp alt/reuse orig/reuse && cmp reuse/f orig/reuse.new
		'
	else
		test_skip 'a new file with the original inode number' 'the file system did not hand the inode number out again'
	fi
else
	test_skip 'kills at chosen points' 'strace cannot trace here'
fi

# Three add runs over the same files at once: each file ends up in the vault exactly once.
mkdir -p conc
for i in $(seq 1 60); do head -c $((RANDOM * 40)) /dev/urandom >conc/f$i; done
sha256sum "$T"/conc/* | sort -k2 >conc.manifest
test_expect_success 'three concurrent add runs of the same 60 files: each file is in the vault once, whole' '
	"$VIGIL" --state-dir sc quarantine list >/dev/null &&
	for j in 1 2 3; do "$VIGIL" --state-dir sc -q quarantine add conc/* >/dev/null 2>&1 & done; wait
	test -z "$(ls -A conc)" &&
	vigil --state-dir sc --json quarantine list >l.json &&
	jq -r ".items[] | \"\(.sha256)  \(.path)\"" l.json | sort -k2 >conc.vault &&
	cmp conc.vault conc.manifest &&
	test "$(sqlite3 sc/vigil.db "SELECT count(*) FROM quarantine")" -eq 60
'

# --- ~300 files moved in by add runs killed at random --------------------------------------------
N=${VIGIL_E2E_CRASH_FILES:-300}
ROUNDS=${VIGIL_E2E_CRASH_ROUNDS:-32}
mkdir -p data/a data/b data/c data/d restored
for i in $(seq 1 "$N"); do
	case $((i % 20)) in
	0) s=1048576 ;;
	1) s=2097152 ;;
	2) s=1048575 ;;
	3) s=1048577 ;;
	4) s=0 ;;
	5) s=3145728 ;;
	6 | 7 | 8 | 9 | 10) s=$((RANDOM * 2)) ;;
	11 | 12 | 13 | 14) s=$(((RANDOM << 15 | RANDOM) % 1048576)) ;;
	*) s=$(((RANDOM << 15 | RANDOM) % 3145729)) ;;
	esac
	head -c "$s" /dev/urandom >"data/$(printf '%s' abcd | cut -c$((i % 4 + 1)))/f$i"
done
sha256sum "$T"/data/*/* | sort -k2 >manifest
mapfile -t PATHS < <(awk '{ print $2 }' manifest)
declare -A WANT VERIFIED
while read -r h p; do WANT[$p]=$h; done <manifest

# check PHASE: compares the tree and the vault with the manifest after a recovery; appends
# violations to violations.PHASE. In phase "add" a file present and in the vault is a
# violation; in phase "restore" it may happen (killed between rename and commit) but the
# file at the path must be whole.
check() {
	local phase=$1 p inv
	declare -A INV=()
	jq -r ".items[].path" list.json >vault.paths
	while read -r p; do INV[$p]=$(( ${INV[$p]:-0} + 1 )); done <vault.paths
	for p in "${PATHS[@]}"; do
		inv=${INV[$p]:-0}
		if [ "$inv" -gt 1 ]; then
			echo "round $round: $p is in the vault $inv times" >>"violations.$phase"
		fi
		if [ -e "$p" ]; then
			if [ "$inv" -gt 0 ]; then
				if [ "$phase" = add ]; then
					echo "round $round: $p is both at its path and in the vault" >>"violations.$phase"
				else
					DUPS[$p]=1
				fi
			fi
			# files never moved are checked in full at the end; a restored one once it appears
			[ "$phase" = add ] || [ -n "${VERIFIED[$p]:-}" ] && continue
			if [ "$(sha "$p")" = "${WANT[$p]}" ]; then
				VERIFIED[$p]=1
			else
				echo "round $round: $p has the wrong content" >>"violations.$phase"
			fi
		elif [ "$inv" -eq 0 ]; then
			echo "round $round: $p is LOST: neither at its path nor in the vault" >>"violations.$phase"
		fi
	done
	n=$(sqlite3 state/vigil.db "SELECT count(*) FROM quarantine WHERE state <> 'quarantined'")
	[ "$n" -eq 0 ] || echo "round $round: $n items still pending after quarantine list" >>"violations.$phase"
}

: >violations.add
: >violations.restore
start=$(date +%s)
kills=0 listfail=0 ran=0 badexit=0
for round in $(seq 1 "$ROUNDS"); do
	rem=()
	for p in "${PATHS[@]}"; do [ -e "$p" ] && rem+=("$p"); done
	[ "${#rem[@]}" -eq 0 ] && break
	mapfile -t rem < <(printf '%s\n' "${rem[@]}" | shuf)
	"$VIGIL" -q quarantine add "${rem[@]}" >/dev/null 2>>add.err &
	pid=$!
	sleep "0.$(printf '%03d' $((10 + RANDOM % 191)))"
	if kill -KILL "$pid" 2>/dev/null; then
		kills=$((kills + 1))
		wait "$pid" 2>/dev/null
	else
		wait "$pid" || badexit=$((badexit + 1)) # finished before the kill: must have succeeded
	fi
	ran=$((ran + 1))
	"$VIGIL" --json quarantine list >list.json 2>>list.err || listfail=$((listfail + 1))
	check add
done
# the last round runs to its end
rem=()
for p in "${PATHS[@]}"; do [ -e "$p" ] && rem+=("$p"); done
last_rc=0
[ "${#rem[@]}" -gt 0 ] && { "$VIGIL" -q quarantine add "${rem[@]}" >/dev/null 2>>add.err; last_rc=$?; }
round=final
"$VIGIL" --json quarantine list >list.json 2>>list.err || listfail=$((listfail + 1))
check add
echo "# add phase: $ran rounds, $kills kills, $badexit runs that ended on their own with an error, ${#rem[@]} files left for the last run," \
	"$(grep -h "interrupted quarantine moves" list.err add.err 2>/dev/null | wc -l) recoveries, $(( $(date +%s) - start )) s"

test_expect_success "add killed at random ($ran rounds, $kills kills): no file lost, none both present and in the vault" '
	test "$listfail" -eq 0 && test "$kills" -gt 0 && test "$badexit" -eq 0 &&
	{ ! test -s violations.add || { head -n 20 violations.add; exit 1; }; }
'

test_expect_success 'after the last add run every file is in the vault, once, and none is left at its path' '
	test "$last_rc" -eq 0 &&
	jqt list.json "(.items | length) == $N and ([.items[].path] | unique | length) == $N" &&
	for p in "${PATHS[@]}"; do test ! -e "$p" || { echo "$p still there" >&2; exit 1; }; done
'

test_expect_success 'every vault item has the size and SHA-256 of the manifest' '
	jq -r ".items[] | \"\(.sha256)  \(.path)\"" list.json | sort -k2 >vault.manifest &&
	cmp vault.manifest manifest
'

# --- restore runs killed at random ------------------------------------------------------------------
RROUNDS=${VIGIL_E2E_CRASH_RESTORE_ROUNDS:-16}
start=$(date +%s)
rkills=0
declare -A DUPS=()
for round in $(seq 1 "$RROUNDS"); do
	ids=$(jq -r ".items[].id" list.json | shuf | head -n 60)
	[ -z "$ids" ] && break
	setsid bash -c 'for id in '"$(echo $ids)"'; do "$0" -q quarantine restore "$id"; done' "$VIGIL" >/dev/null 2>>restore.err &
	pid=$!
	sleep "0.$(printf '%03d' $((50 + RANDOM % 400)))"
	kill -KILL -- "-$pid" 2>/dev/null && rkills=$((rkills + 1))
	wait "$pid" 2>/dev/null
	"$VIGIL" --json quarantine list >list.json 2>>list.err || listfail=$((listfail + 1))
	check restore
done
echo "# restore phase: $RROUNDS rounds, $rkills kills, ${#DUPS[@]} files were both restored and still in the vault after a kill," \
	"$(( $(date +%s) - start )) s"

test_expect_success "restore killed at random ($RROUNDS rounds, $rkills kills): no file lost, every file at its path is whole" '
	test "$listfail" -eq 0 && test "$rkills" -gt 0 &&
	{ ! test -s violations.restore || { head -n 20 violations.restore; exit 1; }; }
'

# Everything back: to the original path, or (when a copy is already there) into restored/.
round=end
"$VIGIL" --json quarantine list >list.json
: >restore.fail
jq -r ".items[] | \"\(.id) \(.path)\"" list.json >left
while read -r id p; do
	if [ -e "$p" ]; then
		"$VIGIL" -q quarantine restore "$id" --path "restored/$id" 2>>restore.fail ||
			echo "item $id ($p): restore --path failed" >>restore.fail
		[ -e "restored/$id" ] && [ "$(sha "restored/$id")" != "${WANT[$p]}" ] &&
			echo "item $id ($p): restored copy has the wrong content" >>restore.fail
	else
		"$VIGIL" -q quarantine restore "$id" 2>>restore.fail ||
			echo "item $id ($p): restore failed" >>restore.fail
	fi
done <left
stray=$(find data -name ".vigil-restore-*" | wc -l)
echo "# restored the $(wc -l <left) items left; $stray temporary .vigil-restore-* files left by killed restores"

test_expect_success 'the temporary files of killed restores (partial plaintext) are gone once the vault was opened again' '
	test "$stray" -eq 0
'

test_expect_success 'every item left in the vault restores with the right content' '
	{ ! test -s restore.fail || { head -n 20 restore.fail; exit 1; }; } &&
	"$VIGIL" --json quarantine list >list.json && jqt list.json ".items == []"
'

test_expect_success "zero losses: all $N files of the manifest are back at their paths, byte for byte" '
	sha256sum "${PATHS[@]}" | sort -k2 >final.manifest &&
	cmp final.manifest manifest &&
	test "$(find data -type f | wc -l)" -eq "$N"
'

test_done
