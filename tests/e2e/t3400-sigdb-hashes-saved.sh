#!/usr/bin/env bash
# sigdb hash lists in their saved form: an import writes hashes-<digest>.vhdb to the state
# folder; later scans map it (the file is not written again, and the lists' text is not read
# from the store); a damaged, truncated or deleted file is rebuilt from the lists and the
# scan still finds the hash; rollback to other lists finds exactly their hashes; removing a
# list drops its hashes; and a scan of one file with 1,000,000 hashes stays small and quick.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P)

sha256() { sha256sum "$1" | cut -c1-64; }
md5() { md5sum "$1" | cut -c1-32; }
vhdb() { ls "$VIGIL_STATE_DIR"/hashes-*.vhdb 2>/dev/null; }
nvhdb() { vhdb | wc -l; }
ident() { stat -c '%i %s %Y %y' "$1"; }
# found OUT.json: the names of the threats of a --json scan, sorted, comma-separated
found() { jq -r '[.threats[] | .name] | sort | join(",")' "$1"; }

mkdir -p t
printf 'vigil e2e saved hashes sample A\n' >t/a.bin
printf 'vigil e2e saved hashes sample B\n' >t/b.bin
printf 'vigil e2e saved hashes sample C\n' >t/c.bin
printf '%s;Vigil.Saved.A\n' "$(sha256 t/a.bin)" >a.ioc
printf '%s:%s:Vigil.Saved.B\n' "$(md5 t/b.bin)" "$(stat -c %s t/b.bin)" >b.hdb
printf '%s;Vigil.Saved.C\n' "$(sha256 t/c.bin)" >c.ioc

test_expect_success 'an import saves the lists as one hashes-<digest>.vhdb, 0600, with its SHA-256 in the store' '
	test "$(nvhdb)" -eq 0 &&
	vigil sigdb import a.ioc &&
	test "$(nvhdb)" -eq 1 &&
	test "$(stat -c %a "$(vhdb)")" = 600 &&
	key=$(basename "$(vhdb)" .vhdb) && key=${key#hashes-} &&
	test "$(db "SELECT value FROM meta WHERE key LIKE '\''vhdb_sha256.$key%'\''")" = "$(sha "$(vhdb)")" &&
	expect_exit 1 vigil --json scan custom t >o.json &&
	test "$(found o.json)" = "Vigil.Saved.A"
'

test_expect_success 'later scans map the saved file: not rewritten, and the same after a rules import' '
	before=$(ident "$(vhdb)") &&
	expect_exit 1 vigil --json scan custom t >o.json &&
	expect_exit 1 vigil --json scan custom t/a.bin >o2.json &&
	test "$(found o.json)" = "Vigil.Saved.A" &&
	test "$(ident "$(vhdb)")" = "$before" &&
	printf "rule vigil_e2e_saved_never { condition: false }\n" >r.yar &&
	vigil sigdb import r.yar &&
	expect_exit 1 vigil --json scan custom t >o.json &&
	test "$(found o.json)" = "Vigil.Saved.A" &&
	test "$(ident "$(vhdb)")" = "$before" && test "$(nvhdb)" -eq 1
'

# --- not trusted: rebuilt from the lists in the store --------------------------------------------

test_expect_success 'a damaged saved file is rebuilt (warning) and the scan still finds the hash' '
	f=$(vhdb) && before=$(ident "$f") &&
	printf "\377\377\377\377" | dd of="$f" bs=1 seek=120 conv=notrunc 2>/dev/null &&
	expect_exit 1 vigil --json scan custom t >o.json 2>err.txt &&
	test "$(found o.json)" = "Vigil.Saved.A" &&
	grep -q "not loaded: its SHA-256" err.txt &&
	test "$(ident "$f")" != "$before" &&
	expect_exit 1 vigil --json scan custom t >o.json 2>err.txt &&
	! grep -q "not loaded" err.txt
'

test_expect_success 'a truncated saved file is rebuilt and the scan still finds the hash' '
	f=$(vhdb) &&
	truncate -s 100 "$f" &&
	expect_exit 1 vigil --json scan custom t >o.json 2>err.txt &&
	test "$(found o.json)" = "Vigil.Saved.A" &&
	grep -q "not loaded" err.txt &&
	test "$(stat -c %s "$f")" -gt 100
'

test_expect_success 'a deleted saved file is rebuilt and the scan still finds the hash' '
	rm -f "$(vhdb)" &&
	expect_exit 1 vigil --json scan custom t >o.json &&
	test "$(found o.json)" = "Vigil.Saved.A" &&
	test "$(nvhdb)" -eq 1
'

test_expect_success 'a saved file of other lists put in its place is not used' '
	f=$(vhdb) &&
	vigil --state-dir other sigdb import c.ioc >/dev/null &&
	cp other/hashes-*.vhdb "$f" && chmod 600 "$f" &&
	expect_exit 1 vigil --json scan custom t >o.json 2>err.txt &&
	test "$(found o.json)" = "Vigil.Saved.A" &&
	grep -q "not loaded" err.txt
'

# --- the texts are not read at start ------------------------------------------------------------

# store_read TRACE: bytes vigil read from vigil.db and its -wal in an strace -f log
store_read() {
	awk '/openat\(.*vigil\.db(-wal)?", .*= [0-9]+$/ { fd[$NF] = 1 }
	     /pread64\(/ { split($0, a, "pread64\\("); split(a[2], b, ",")
			  if ((b[1] in fd) && $NF > 0) s += $NF }
	     END { print s + 0 }' "$1"
}
if command -v strace >/dev/null; then
	mkdir -p big
	head -c $((200000 * 32)) /dev/urandom | od -An -v -tx1 -w32 | tr -d ' ' |
		awk '{ print $0 ";Vigil.Saved.Random." NR }' >big/big.ioc
	test_expect_success 'a scan reads far less of the store than the list holds (its text is not read)' '
		vigil sigdb import big/big.ioc &&
		expect_exit 1 vigil --json scan custom t >o.json &&
		expect_exit 1 strace -f -e trace=openat,pread64 -o trace.txt "$VIGIL" --json scan custom t >o.json &&
		test "$(found o.json)" = "Vigil.Saved.A" &&
		read=$(store_read trace.txt) && list=$(stat -c %s big/big.ioc) &&
		echo "read $read bytes of the store; the list is $list bytes" &&
		test "$read" -gt 0 && test "$read" -lt $((list / 4)) &&
		vigil sigdb remove big.ioc
	'
else
	test_skip 'a scan reads far less of the store than the list holds' 'no strace'
fi

# --- rollback and remove ------------------------------------------------------------------------

test_expect_success 'rollback to a version with other lists finds exactly their hashes' '
	vigil sigdb import b.hdb &&
	expect_exit 1 vigil --json scan custom t >o.json &&
	test "$(found o.json)" = "Vigil.Saved.A,Vigil.Saved.B" &&
	with_b=$(basename "$(vhdb)") &&
	vigil sigdb rollback &&
	test "$(nvhdb)" -eq 1 && test "$(basename "$(vhdb)")" != "$with_b" &&
	expect_exit 1 vigil --json scan custom t >o.json &&
	test "$(found o.json)" = "Vigil.Saved.A" &&
	vigil --json sigdb info >info.json && jqt info.json ".hashes == 1" &&
	vigil sigdb import c.ioc &&
	expect_exit 1 vigil --json scan custom t >o.json &&
	test "$(found o.json)" = "Vigil.Saved.A,Vigil.Saved.C" &&
	vigil sigdb rollback &&
	expect_exit 1 vigil --json scan custom t >o.json &&
	test "$(found o.json)" = "Vigil.Saved.A" &&
	test "$(nvhdb)" -eq 1
'

test_expect_success 'removing a list drops its hashes; removing the last removes the saved file' '
	vigil sigdb import b.hdb &&
	vigil sigdb remove a.ioc &&
	expect_exit 1 vigil --json scan custom t >o.json &&
	test "$(found o.json)" = "Vigil.Saved.B" &&
	vigil --json sigdb info >info.json && jqt info.json ".hashes == 1" &&
	vigil sigdb remove b.hdb &&
	expect_exit 0 vigil --json scan custom t >o.json &&
	test "$(nvhdb)" -eq 0 &&
	test "$(db "SELECT count(*) FROM meta WHERE key LIKE '\''vhdb_sha256.%'\''")" -eq 0 &&
	vigil --json health >h.json && jqt h.json ".hashes == 0"
'

# --- a million hashes ---------------------------------------------------------------------------

mkdir -p m
head -c $((1000000 * 32)) /dev/urandom | od -An -v -tx1 -w32 | tr -d ' ' |
	awk '{ print $0 ";Vigil.Saved.Million." NR }' >m/million.ioc
sha256 t/a.bin | sed 's/$/;Vigil.Saved.MillionReal/' >>m/million.ioc
test_timing 'a scan of one file with 1,000,000 hashes: under 5 s and 150 MB (parsing the lists took ~200 MB)' '
	bounded 180 1500 "$VIGIL" --state-dir m/state sigdb import m/million.ioc &&
	ls m/state/hashes-*.vhdb >/dev/null &&
	vigil --state-dir m/state --json sigdb info >m/info.json &&
	jqt m/info.json ".hashes == 1000001" &&
	expect_exit 1 vigil --state-dir m/state --json scan custom t/a.bin >m/o.json &&
	{ bounded 5 150 "$VIGIL" --state-dir m/state --json scan custom t/a.bin >m/o.json || test "$rc" -eq 1; } &&
	test "$rc" -eq 1 &&
	test "$(found m/o.json)" = "Vigil.Saved.MillionReal"
'

test_done
