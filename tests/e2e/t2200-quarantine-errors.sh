#!/usr/bin/env bash
# Quarantine errors: tampered, swapped, dropped and foreign chunks are detected and nothing is
# written; a wrong, missing, shared or odd-sized key and a shared state folder are refused;
# unknown IDs; things that are not regular files; a file that cannot be removed (immutable
# folder, read-only mount) or that changes while it is read stays in place and the vault keeps
# nothing of it.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil records resolved paths

# undo what the cases below may leave that rm -rf cannot remove
teardown() {
	chattr -i "$T/imm" "$T/immscan" 2>/dev/null
	mountpoint -q "$T/ro" 2>/dev/null && umount "$T/ro"
	cleanup
}
trap teardown EXIT

# mkitem NAME SIZE: a random file src/NAME (copy in orig/NAME), quarantined; prints its id.
mkitem() {
	mkdir -p src orig && head -c "$2" /dev/urandom >"src/$1" && cp "src/$1" "orig/$1" && qadd "src/$1"
}
# cdb ID SQL...: sqlite3 on the file that keeps item ID's chunks: vault.db, or vigil.db for an
# item of one chunk.
cdb() {
	local id=$1
	shift
	if [ "$(db "SELECT chunk_file FROM quarantine WHERE id = $id")" = 1 ]; then vdb "$@"; else db "$@"; fi
}
# flip ID IDX POS: changes the byte at POS (1-based) of chunk IDX of item ID, and checks that
# the chunk really changed and kept its length.
flip() {
	local before after
	before=$(cdb "$1" "SELECT length(data) || ':' || quote(substr(data, $3, 1)) FROM quarantine_chunks WHERE item = $1 AND idx = $2")
	cdb "$1" "UPDATE quarantine_chunks SET data = CAST(substr(data, 1, $3 - 1) || CASE WHEN substr(data, $3, 1) = X'00' THEN X'01' ELSE X'00' END || substr(data, $3 + 1) AS BLOB) WHERE item = $1 AND idx = $2" || return 1
	after=$(cdb "$1" "SELECT length(data) || ':' || quote(substr(data, $3, 1)) FROM quarantine_chunks WHERE item = $1 AND idx = $2")
	[ -n "$before" ] && [ "${before%%:*}" = "${after%%:*}" ] && [ "$before" != "$after" ] ||
		{ echo "flip $*: before $before after $after" >&2; return 1; }
	[ "$(cdb "$1" "SELECT typeof(data) FROM quarantine_chunks WHERE item = $1 AND idx = $2")" = blob ]
}
# refused ID NAME: restore of ID fails with exit 2 and "tampered", writes nothing at src/NAME
# nor with --path, leaves no temporary file, and the item stays in the vault.
refused() {
	mkdir -p alt &&
	expect_exit 2 vigil quarantine restore "$1" 2>err && cat err &&
	grep -q "corrupt or was tampered with" err &&
	test ! -e "src/$2" && notemp src &&
	expect_exit 2 vigil quarantine restore "$1" --path "alt/$2" 2>/dev/null &&
	test ! -e "alt/$2" && notemp alt &&
	inlist "$1"
}

# --- tampering -----------------------------------------------------------------------------
test_expect_success 'one byte changed in the middle chunk: restore exit 2 "tampered", nothing written' '
	id=$(mkitem mid 2600000) && flip "$id" 1 500000 && refused "$id" mid
'

test_expect_success 'one byte of the last chunk (the tag) changed is detected' '
	id=$(mkitem tag 3000) &&
	len=$(cdb "$id" "SELECT length(data) FROM quarantine_chunks WHERE item = $id AND idx = 0") &&
	flip "$id" 0 "$len" && refused "$id" tag
'

test_expect_success 'one byte of a chunk nonce changed is detected' '
	id=$(mkitem nonce 1048577) &&
	cdb "$id" "UPDATE quarantine_chunks SET nonce = CAST(CASE WHEN substr(nonce, 1, 1) = X'"'"'00'"'"' THEN X'"'"'01'"'"' ELSE X'"'"'00'"'"' END || substr(nonce, 2) AS BLOB) WHERE item = $id AND idx = 1" &&
	test "$(cdb "$id" "SELECT length(nonce) FROM quarantine_chunks WHERE item = $id AND idx = 1")" -eq 12 &&
	refused "$id" nonce
'

test_expect_success 'the first byte of an empty file chunk changed is detected' '
	id=$(mkitem empty 0) && flip "$id" 0 1 && refused "$id" empty
'

test_expect_success 'two chunks swapped (idx 0 <-> 1) are detected' '
	id=$(mkitem swap 2500000) &&
	cdb "$id" "UPDATE quarantine_chunks SET idx = -1 WHERE item = $id AND idx = 0;
	    UPDATE quarantine_chunks SET idx = 0 WHERE item = $id AND idx = 1;
	    UPDATE quarantine_chunks SET idx = 1 WHERE item = $id AND idx = -1;" &&
	test "$(cdb "$id" "SELECT group_concat(idx) FROM (SELECT idx FROM quarantine_chunks WHERE item = $id ORDER BY idx)")" = "0,1,2" &&
	refused "$id" swap
'

test_expect_success 'a deleted middle chunk is detected' '
	id=$(mkitem del 2500000) &&
	cdb "$id" "DELETE FROM quarantine_chunks WHERE item = $id AND idx = 1" &&
	refused "$id" del
'

test_expect_success 'a dropped last chunk with the chunk count and size lowered to match is detected' '
	id=$(mkitem trunc 2500000) &&
	cdb "$id" "DELETE FROM quarantine_chunks WHERE item = $id AND idx = 2" &&
	db "UPDATE quarantine SET chunks = 2, size = 2097152 WHERE id = $id" &&
	refused "$id" trunc
'

test_expect_success 'a chunk copied from another item (same position, same size) is detected' '
	a=$(mkitem fa 1048576) && b=$(mkitem fb 1048576) &&
	cdb "$a" "UPDATE quarantine_chunks SET (nonce, data) = (SELECT nonce, data FROM quarantine_chunks WHERE item = $b AND idx = 0) WHERE item = $a AND idx = 0" &&
	refused "$a" fa &&
	expect_exit 0 vigil quarantine restore "$b" >/dev/null && cmp src/fb orig/fb
'

test_expect_success 'a changed SHA-256 in the item record is detected (exit 2, nothing written)' '
	id=$(mkitem shaid 4000) &&
	db "UPDATE quarantine SET sha256 = '"'"'0000000000000000000000000000000000000000000000000000000000000000'"'"' WHERE id = $id" &&
	expect_exit 2 vigil quarantine restore "$id" 2>err && grep -q "corrupt" err &&
	test ! -e src/shaid && notemp src && inlist "$id"
'

test_expect_success 'export of a tampered item fails (exit 2) and leaves no zip and no temporary file' '
	id=$(mkitem expt 1500000) && flip "$id" 1 100 &&
	expect_exit 2 vigil quarantine export "$id" --out t.zip 2>err && grep -q "tampered" err &&
	test ! -e t.zip && ! ls -A | grep -q "^t.zip"
'

test_expect_success 'items nobody touched still restore byte for byte next to tampered ones' '
	id=$(mkitem intact 2100000) &&
	expect_exit 0 vigil quarantine restore "$id" >/dev/null && cmp src/intact orig/intact
'

# --- keys ----------------------------------------------------------------------------------
head -c 32 /dev/urandom >other.key && chmod 600 other.key
test_expect_success 'a wrong key (--key-file, 32 bytes) is refused: exit 2 "does not match", nothing written' '
	id=$(mkitem wk 1048577) &&
	expect_exit 2 vigil --key-file other.key quarantine restore "$id" 2>err &&
	grep -q "the quarantine key does not match this vault" err &&
	test ! -e src/wk && notemp src &&
	expect_exit 2 vigil --key-file other.key quarantine restore "$id" --path alt/wk 2>/dev/null &&
	test ! -e alt/wk &&
	expect_exit 2 vigil --key-file other.key quarantine list >/dev/null 2>&1 &&
	expect_exit 2 vigil --key-file other.key quarantine export "$id" --out wk.zip 2>/dev/null && test ! -e wk.zip &&
	inlist "$id"
'

test_expect_success 'a wrong key cannot add either: the file stays where it is' '
	head -c 5000 /dev/urandom >src/wkadd && cp src/wkadd orig/wkadd &&
	n=$(db "SELECT count(*) FROM quarantine") &&
	expect_exit 2 vigil --key-file other.key quarantine add src/wkadd 2>err &&
	grep -q "does not match" err &&
	cmp src/wkadd orig/wkadd && test "$(db "SELECT count(*) FROM quarantine")" -eq "$n"
'

test_expect_success 'the right key given with --key-file (a copy, 0600) works' '
	cp -p state/quarantine.key right.key && chmod 600 right.key &&
	id=$(vigil --json quarantine list | jq -r ".items[] | select(.path == \"$T/src/wk\") | .id") && test -n "$id" &&
	expect_exit 0 vigil --key-file right.key quarantine restore "$id" >/dev/null && cmp src/wk orig/wk
'

test_expect_success 'a key file of mode 0644 (and 0640) is refused, 0600 again works' '
	id=$(mkitem km 3000) &&
	chmod 644 state/quarantine.key &&
	expect_exit 2 vigil quarantine restore "$id" 2>err && grep -q "can be read by others" err &&
	test ! -e src/km &&
	expect_exit 2 vigil quarantine list >/dev/null 2>&1 &&
	chmod 640 state/quarantine.key &&
	expect_exit 2 vigil quarantine list >/dev/null 2>&1 &&
	chmod 600 state/quarantine.key &&
	expect_exit 0 vigil quarantine restore "$id" >/dev/null && cmp src/km orig/km
'
chmod 600 state/quarantine.key

test_expect_success 'a --key-file of mode 0644 is refused too' '
	cp right.key shared.key && chmod 644 shared.key &&
	expect_exit 2 vigil --key-file shared.key quarantine list >/dev/null 2>&1
'

test_expect_success 'a key file that belongs to another user is refused' '
	cp right.key foreign.key && chmod 600 foreign.key && chown 1234 foreign.key &&
	expect_exit 2 vigil --key-file foreign.key quarantine list >/dev/null 2>err && grep -q "uid 1234" err
'

test_expect_success 'a key file of 31 or 33 bytes is refused' '
	head -c 31 right.key >short.key && chmod 600 short.key &&
	expect_exit 2 vigil --key-file short.key quarantine list >/dev/null 2>&1 &&
	{ cat right.key; printf x; } >long.key && chmod 600 long.key &&
	expect_exit 2 vigil --key-file long.key quarantine list >/dev/null 2>&1
'

test_expect_success 'a key file that is a symbolic link to the right key is refused' '
	ln -s "$T/right.key" link.key &&
	expect_exit 2 vigil --key-file link.key quarantine list >/dev/null 2>&1
'

test_expect_success 'a missing key with items in the vault: exit 2 "missing", and no new key is made' '
	id=$(mkitem mk 2000) &&
	mv state/quarantine.key saved.key &&
	expect_exit 2 vigil quarantine restore "$id" 2>err && grep -q "missing" err &&
	expect_exit 2 vigil quarantine list >/dev/null 2>&1 &&
	test ! -e state/quarantine.key && test ! -e src/mk &&
	mv saved.key state/quarantine.key &&
	expect_exit 0 vigil quarantine restore "$id" >/dev/null && cmp src/mk orig/mk
'
[ -e saved.key ] && mv saved.key state/quarantine.key

test_expect_success 'a --key-file that does not exist is not created (fresh vault, exit 2)' '
	expect_exit 2 vigil --state-dir fresh --key-file "$T/nokey" quarantine list >/dev/null 2>&1 &&
	test ! -e nokey && test ! -e fresh/quarantine.key
'

# --- the state folder ------------------------------------------------------------------------
test_expect_success 'a state folder of mode 0755 is refused by quarantine commands; the file stays' '
	id=$(mkitem sf 3000) && head -c 100 /dev/urandom >src/sfadd && cp src/sfadd orig/sfadd &&
	eicar src/sfe.com &&
	chmod 755 state &&
	expect_exit 2 vigil quarantine list >/dev/null 2>err && grep -q "state folder" err &&
	expect_exit 2 vigil quarantine add src/sfadd 2>/dev/null && cmp src/sfadd orig/sfadd &&
	expect_exit 2 vigil quarantine restore "$id" 2>/dev/null && test ! -e src/sf &&
	expect_exit 2 vigil quarantine remove "$id" 2>/dev/null &&
	expect_exit 2 vigil quarantine export "$id" --out sf.zip 2>/dev/null && test ! -e sf.zip &&
	expect_exit 2 vigil scan custom src/sfe.com --action quarantine >/dev/null 2>&1 && test -f src/sfe.com &&
	chmod 750 state &&
	expect_exit 2 vigil quarantine list >/dev/null 2>&1 &&
	chmod 700 state &&
	inlist "$id" && expect_exit 0 vigil quarantine restore "$id" >/dev/null && cmp src/sf orig/sf
'
chmod 700 state
rm -f src/sfe.com

test_expect_success 'a state folder that belongs to another user is refused' '
	mkdir -p fst && chmod 700 fst && vigil --state-dir fst quarantine list >/dev/null &&
	chown 1234 fst &&
	expect_exit 2 vigil --state-dir fst quarantine list >/dev/null 2>err && grep -q "uid 1234" err
'
chown 0 fst 2>/dev/null

# --- the vault's own files ----------------------------------------------------------------------
# Moving the key, the database or the vault file into the vault would lock every item away for good.
for f in quarantine.key vigil.db vault.db; do
	test_expect_success "quarantine add of the vault's own $f is refused; the vault keeps working" '
		sv=sv-'"$f"' && mkdir -p own && head -c 3000 /dev/urandom >own/p && cp own/p orig/ownp &&
		id=$(vigil --state-dir "$sv" --json quarantine add own/p | jq .items[0].id) && test "$id" -ge 1 &&
		test -e "$sv/'"$f"'" &&
		expect_exit 2 vigil --state-dir "$sv" quarantine add "$sv/'"$f"'" 2>/dev/null &&
		test -e "$sv/'"$f"'" && test -e "$sv/quarantine.key" && test -e "$sv/vigil.db" &&
		vigil --state-dir "$sv" --json quarantine list >l.json && jqt l.json "(.items | length) == 1 and .items[0].id == $id" &&
		expect_exit 0 vigil --state-dir "$sv" quarantine restore "$id" >/dev/null && cmp own/p orig/ownp
	'
done

test_expect_success 'quarantine add of the --key-file in use is refused; the vault keeps working' '
	mkdir -p own && head -c 3000 /dev/urandom >own/q && cp own/q orig/ownq &&
	head -c 32 /dev/urandom >ext.key && chmod 600 ext.key &&
	id=$(vigil --state-dir svk --key-file ext.key --json quarantine add own/q | jq .items[0].id) && test "$id" -ge 1 &&
	expect_exit 2 vigil --state-dir svk --key-file ext.key quarantine add ext.key 2>/dev/null &&
	test -e ext.key &&
	expect_exit 0 vigil --state-dir svk --key-file ext.key quarantine restore "$id" >/dev/null && cmp own/q orig/ownq
'

# --- the vault file (vault.db, the encrypted chunks) -----------------------------------------------
mkdir -p vf && head -c 1500000 /dev/urandom >vf/a && cp vf/a orig/vfa
test_expect_success 'a damaged vault.db: quarantine commands exit 2 naming it; the item is back once the file is' '
	vigil --state-dir st-vf quarantine add vf/a >/dev/null && test ! -e vf/a &&
	cp st-vf/vault.db vault.keep &&
	head -c 8192 /dev/urandom | dd of=st-vf/vault.db conv=notrunc status=none &&
	expect_exit 2 vigil --state-dir st-vf quarantine list 2>err && cat err &&
	grep -q "vault file .st-vf/vault.db.: .*not a database" err &&
	expect_exit 2 vigil --state-dir st-vf quarantine restore 1 2>err && grep -q "st-vf/vault.db" err &&
	test ! -e vf/a &&
	expect_exit 0 vigil --state-dir st-vf health >/dev/null &&
	cp vault.keep st-vf/vault.db &&
	vigil --state-dir st-vf quarantine restore 1 >/dev/null && cmp vf/a orig/vfa
'
test_expect_success 'a missing vault.db while items are in it: exit 2 "missing" naming it, and no empty one is made' '
	vigil --state-dir st-vf quarantine add vf/a >/dev/null && mv st-vf/vault.db vault.keep &&
	expect_exit 2 vigil --state-dir st-vf quarantine list 2>err && cat err &&
	grep -q "vault file .st-vf/vault.db. is missing" err && test ! -e st-vf/vault.db &&
	mv vault.keep st-vf/vault.db &&
	vigil --state-dir st-vf quarantine restore 2 >/dev/null && cmp vf/a orig/vfa
'
test_expect_success 'a vault.db that is a symbolic link is refused (exit 2), naming it' '
	vigil --state-dir st-vf quarantine add vf/a >/dev/null && mv st-vf/vault.db vault.keep &&
	ln -s "$T/vault.keep" st-vf/vault.db &&
	expect_exit 2 vigil --state-dir st-vf quarantine list 2>err && cat err &&
	grep -q "vault.db" err &&
	rm st-vf/vault.db && mv vault.keep st-vf/vault.db &&
	vigil --state-dir st-vf quarantine restore 3 >/dev/null && cmp vf/a orig/vfa
'

# --- unknown and malformed IDs ----------------------------------------------------------------
test_expect_success 'an unknown ID: restore, remove and export exit 2 and write nothing' '
	expect_exit 2 vigil quarantine restore 99999 2>/dev/null &&
	expect_exit 2 vigil quarantine restore 99999 --path alt/none 2>/dev/null && test ! -e alt/none &&
	expect_exit 2 vigil quarantine remove 99999 2>/dev/null &&
	expect_exit 2 vigil quarantine export 99999 --out none.zip 2>/dev/null && test ! -e none.zip
'

test_expect_success 'IDs that are not positive numbers exit 2' '
	for bad in 0 -1 abc 1x ""; do
		expect_exit 2 vigil quarantine restore "$bad" 2>/dev/null || exit 1
		expect_exit 2 vigil quarantine remove "$bad" 2>/dev/null || exit 1
	done
'

# --- things that are not regular files ---------------------------------------------------------
mkdir -p odd
mkfifo odd/fifo
echo "link target" >odd/target && cp odd/target orig/target
ln -s target odd/link
mkdir -p odd/folder && echo inside >odd/folder/inside
test_expect_success 'a FIFO given to quarantine add is refused (exit 2, no hang) and left alone' '
	expect_exit 2 timeout 20 "$VIGIL" --state-dir st-odd quarantine add odd/fifo 2>err &&
	grep -q "not a regular file" err && test -p odd/fifo
'

test_expect_success 'a symbolic link given to quarantine add is refused; link and target stay' '
	expect_exit 2 vigil --state-dir st-odd quarantine add odd/link 2>err &&
	grep -q "symbolic link" err &&
	test -L odd/link && test "$(readlink odd/link)" = target && cmp odd/target orig/target
'

test_expect_success 'a folder, a device and a missing path given to quarantine add are refused' '
	expect_exit 2 vigil --state-dir st-odd quarantine add odd/folder 2>/dev/null &&
	test -f odd/folder/inside &&
	expect_exit 2 vigil --state-dir st-odd quarantine add /dev/null 2>/dev/null && test -c /dev/null &&
	expect_exit 2 vigil --state-dir st-odd quarantine add odd/missing 2>/dev/null
'

test_expect_success '... and none of them left anything in the vault' '
	vigil --state-dir st-odd --json quarantine list >l.json && jqt l.json ".items == []" &&
	test "$(sqlite3 st-odd/vigil.db "SELECT count(*) FROM quarantine")" -eq 0 &&
	test "$(sqlite3 st-odd/vault.db "SELECT count(*) FROM quarantine_chunks")" -eq 0 &&
	test "$(sqlite3 st-odd/vigil.db "SELECT count(*) FROM quarantine_chunks")" -eq 0
'

test_expect_success 'one bad path among good ones: exit 2, the good ones are moved, the bad one reported' '
	mkdir -p mix && head -c 10 /dev/urandom >mix/a && head -c 20 /dev/urandom >mix/b && mkfifo mix/p &&
	expect_exit 2 vigil --state-dir st-mix --json quarantine add mix/a mix/p mix/b >m.json 2>/dev/null &&
	test ! -e mix/a && test ! -e mix/b && test -p mix/p &&
	jqt m.json "[.items[] | has(\"id\")] == [true, false, true] and (.items[1].error | length) > 0" &&
	vigil --state-dir st-mix --json quarantine list >l.json && jqt l.json ".items | length == 2"
'

# --- files that cannot be removed ---------------------------------------------------------------
mkdir -p imm && head -c 1500000 /dev/urandom >imm/f && cp imm/f orig/immf
if chattr +i imm 2>/dev/null; then
	test_expect_success 'a file in an immutable folder: add exits 2, the original stays, the vault keeps nothing' '
		expect_exit 2 vigil --state-dir st-imm quarantine add imm/f 2>err && cat err &&
		cmp imm/f orig/immf &&
		test "$(sqlite3 st-imm/vigil.db "SELECT count(*) FROM quarantine")" -eq 0 &&
		test "$(sqlite3 st-imm/vault.db "SELECT count(*) FROM quarantine_chunks")" -eq 0 &&
		test "$(sqlite3 st-imm/vigil.db "SELECT count(*) FROM quarantine_chunks")" -eq 0 &&
		vigil --state-dir st-imm --json quarantine list >l.json && jqt l.json ".items == []"
	'
	chattr -i imm
else
	test_skip 'a file in an immutable folder' 'chattr +i is not possible here'
fi

mkdir -p immscan && eicar immscan/e.com && cp immscan/e.com orig/imme.com
if chattr +i immscan 2>/dev/null; then
	test_expect_success 'scan --action quarantine in an immutable folder: "quarantine failed", the file stays' '
		expect_exit 1 vigil --state-dir st-imm2 --json scan custom immscan --action quarantine >s.json 2>/dev/null &&
		jqt s.json "(.threats | length) == 1 and (.threats[0].action | startswith(\"quarantine failed: \"))" &&
		jqt s.json ".errors >= 1" &&
		cmp immscan/e.com orig/imme.com &&
		test "$(sqlite3 st-imm2/vigil.db "SELECT count(*) FROM quarantine")" -eq 0 &&
		vigil --state-dir st-imm2 --json quarantine list >l.json && jqt l.json ".items == []"
	'
	test_expect_success '... and the failure is counted the same in the scan output and the stored scan' '
		sid=$(jq -r .scan_id s.json) &&
		vigil --state-dir st-imm2 --json scan show "$sid" >show.json &&
		jqt show.json ".errors == $(jq .errors s.json)" &&
		jqt show.json "any(.threats[]; .action | startswith(\"quarantine failed: \"))" &&
		jqt s.json ".problems_truncated == false or any(.problems[]; .path == \"$T/immscan/e.com\")"
	'
	chattr -i immscan
else
	test_skip 'scan --action quarantine in an immutable folder' 'chattr +i is not possible here'
fi

mkdir -p ro
if mount -t tmpfs -o size=16m,mode=0755 tmpfs ro 2>/dev/null; then
	head -c 3000000 /dev/urandom >ro/f && cp ro/f orig/rof
	if mount -o remount,ro ro 2>/dev/null; then
		test_expect_success 'a file on a read-only mount: add exits 2, the original stays, the vault keeps nothing' '
			expect_exit 2 vigil --state-dir st-ro quarantine add ro/f 2>err && cat err &&
			cmp ro/f orig/rof &&
			test "$(sqlite3 st-ro/vigil.db "SELECT count(*) FROM quarantine")" -eq 0 &&
			test "$(sqlite3 st-ro/vault.db "SELECT count(*) FROM quarantine_chunks")" -eq 0 &&
			test "$(sqlite3 st-ro/vigil.db "SELECT count(*) FROM quarantine_chunks")" -eq 0 &&
			vigil --state-dir st-ro --json quarantine list >l.json && jqt l.json ".items == []"
		'
	else
		test_skip 'a file on a read-only mount' 'cannot remount read-only'
	fi
	umount ro
else
	test_skip 'a file on a read-only mount' 'cannot mount a tmpfs here'
fi

# --- a file that changes while it is being quarantined ----------------------------------------------
# The file is big enough that vigil still reads it when we see it open in /proc; then one byte
# is rewritten in place (same size, new mtime).
mkdir -p chg
head -c $((96 * 1024 * 1024)) /dev/urandom >chg/f
touch -d "2005-05-05 05:05:05" chg/f
test_expect_success 'a file rewritten in place while it is quarantined stays, with its new content; the vault keeps nothing' '
	"$VIGIL" --state-dir st-chg quarantine add chg/f >chg.out 2>chg.err &
	pid=$! seen=0 &&
	for i in $(seq 1 1000); do
		if ls -l /proc/$pid/fd 2>/dev/null | grep -q "$T/chg/f"; then seen=1; break; fi
		kill -0 $pid 2>/dev/null || break
		sleep 0.005
	done
	printf "Z" | dd of=chg/f bs=1 seek=1000 conv=notrunc status=none
	rc=0; wait $pid || rc=$?
	cat chg.err
	test "$seen" -eq 1 || { echo "inconclusive: vigil was done before the file was seen open" >&2; exit 1; }
	test "$rc" -eq 2 && test -f chg/f &&
	test "$(dd if=chg/f bs=1 skip=1000 count=1 status=none)" = Z &&
	test "$(stat -c %s chg/f)" -eq $((96 * 1024 * 1024)) &&
	test "$(sqlite3 st-chg/vigil.db "SELECT count(*) FROM quarantine")" -eq 0 &&
	vigil --state-dir st-chg --json quarantine list >l.json && jqt l.json ".items == []"
'
rm -f chg/f

test_done
