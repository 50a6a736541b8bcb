#!/usr/bin/env bash
# Quarantine round trips: files of every size around the 1 MiB chunk come back byte for byte
# with their mode, owner and times; restore to another path, onto an existing file, through
# symbolic links; list, remove, export (AES-256 zip opened by bsdtar and 7z); scan --action
# quarantine and default_action quarantine; a large sparse file past 2 GiB.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil records resolved paths


mkdir -p orig

# --- byte-identical round trips around the chunk size --------------------------------------
for size in 0 1 1048575 1048576 1048577 2097152 3145729; do
	test_expect_success "a $size-byte file goes into the vault and comes back byte for byte" '
		mkdir -p rt && head -c '"$size"' /dev/urandom >rt/f'"$size"' &&
		cp -p rt/f'"$size"' orig/f'"$size"' &&
		id=$(qadd rt/f'"$size"') && test -n "$id" &&
		test ! -e rt/f'"$size"' &&
		inlist "$id" &&
		jqt ql.json ".items[] | select(.id == $id) | .size == '"$size"' and .sha256 == \"$(sha orig/f'"$size"')\" and .path == \"$T/rt/f'"$size"'\"" &&
		expect_exit 0 vigil quarantine restore "$id" >out &&
		cmp rt/f'"$size"' orig/f'"$size"' &&
		! inlist "$id" &&
		notemp rt
	'
done

test_expect_success 'several files in one add get their own items, each restorable' '
	mkdir -p multi && for i in 1 2 3; do head -c $((i * 700000)) /dev/urandom >multi/m$i; cp multi/m$i orig/m$i; done &&
	qadd multi/m1 multi/m2 multi/m3 >ids && test "$(wc -l <ids)" -eq 3 &&
	test "$(sort -u ids | wc -l)" -eq 3 &&
	test -z "$(ls -A multi)" &&
	for id in $(cat ids); do expect_exit 0 vigil quarantine restore "$id" >/dev/null || exit 1; done &&
	cmp multi/m1 orig/m1 && cmp multi/m2 orig/m2 && cmp multi/m3 orig/m3
'

# --- mode, owner, times -------------------------------------------------------------------
test_expect_success 'mode 4750, owner 1234:5678 and the nanosecond mtime and atime come back' '
	mkdir -p meta && head -c 5000 /dev/urandom >meta/suid && cp meta/suid orig/suid &&
	chown 1234:5678 meta/suid && chmod 4750 meta/suid &&
	touch -m -d "2001-02-03 04:05:06.123456789" meta/suid &&
	touch -a -d "2002-03-04 05:06:07.987654321" meta/suid &&
	want=$(stat -c "%a %u %g %y %x" meta/suid) &&
	test "$want" = "4750 1234 5678 2001-02-03 04:05:06.123456789 +0000 2002-03-04 05:06:07.987654321 +0000" &&
	id=$(qadd meta/suid) &&
	vigil --json quarantine list >ql.json &&
	jqt ql.json ".items[] | select(.id == $id) | .mode == 2536 and .uid == 1234 and .gid == 5678 and .mtime == 981173106" &&
	expect_exit 0 vigil quarantine restore "$id" >/dev/null &&
	got=$(stat -c "%a %u %g %y %x" meta/suid) &&
	{ test "$got" = "$want" || { echo "want $want, got $got" >&2; exit 1; }; } &&
	cmp meta/suid orig/suid
'

test_expect_success 'mode 0640 and owner 1234:5678 come back also when restored with --path' '
	head -c 3000000 /dev/urandom >meta/plain && cp meta/plain orig/plain &&
	chown 1234:5678 meta/plain && chmod 0640 meta/plain && touch -d "1999-12-31 23:59:59.5" meta/plain &&
	want=$(stat -c "%a %u %g %y" meta/plain) &&
	id=$(qadd meta/plain) &&
	mkdir -p elsewhere && expect_exit 0 vigil quarantine restore "$id" --path elsewhere/plain2 >/dev/null &&
	got=$(stat -c "%a %u %g %y" elsewhere/plain2) &&
	{ test "$got" = "$want" || { echo "want $want, got $got" >&2; exit 1; }; } &&
	cmp elsewhere/plain2 orig/plain && test ! -e meta/plain
'

# --- list ----------------------------------------------------------------------------------
test_expect_success 'quarantine list --json has every documented field of an item' '
	mkdir -p lst && printf "list me\n" >lst/a.txt && chmod 0604 lst/a.txt &&
	touch -d "2010-01-01 00:00:00" lst/a.txt && s=$(sha lst/a.txt) &&
	id=$(qadd lst/a.txt) &&
	vigil --json quarantine list >ql.json &&
	jqt ql.json ".items[] | select(.id == $id) | .path == \"$T/lst/a.txt\" and .sha256 == \"$s\" and .size == 8 and .mode == 388 and .uid == 0 and .gid == 0" &&
	jqt ql.json ".items[] | select(.id == $id) | .mtime == 1262304000 and .state == \"quarantined\" and (.threat | length) > 0 and .scan_id == null" &&
	jqt ql.json ".items[] | select(.id == $id) | .quarantined_at | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\")" &&
	jqt ql.json ".items[] | select(.id == $id) | has(\"path_b64\") | not" &&
	vigil quarantine list >out && grep -E "^$id +.*$T/lst/a.txt" out &&
	vigil quarantine list --json >ql2.json && jqt ql2.json ".items | any(.id == $id)"
'

test_expect_success 'a name that is not UTF-8 is listed with path_b64 and restored to the exact bytes' '
	mkdir -p odd && name=$(printf "odd/n\377m\001.bin") && head -c 1234 /dev/urandom >"$name" && cp "$name" orig/oddname &&
	id=$(qadd "$name") && test ! -e "$name" &&
	vigil --json quarantine list >ql.json &&
	jq -r ".items[] | select(.id == $id) | .path_b64" ql.json | base64 -d >gotname &&
	printf "%s" "$T/$name" >wantname && cmp gotname wantname &&
	expect_exit 0 vigil quarantine restore "$id" >/dev/null &&
	cmp "$name" orig/oddname
'

# --- restore destinations -----------------------------------------------------------------
test_expect_success 'restore --path puts it elsewhere (relative to the cwd); the original stays absent' '
	mkdir -p rp other && head -c 1048577 /dev/urandom >rp/x && cp rp/x orig/rpx &&
	id=$(qadd rp/x) &&
	vigil --json quarantine restore "$id" --path other/y >r.json &&
	jqt r.json ".id == $id and .restored_to == \"$T/other/y\"" &&
	cmp other/y orig/rpx && test ! -e rp/x && ! inlist "$id"
'

test_expect_success 'restoring onto an existing file fails (exit 2, file unchanged) without --force' '
	mkdir -p ex && head -c 2000000 /dev/urandom >ex/f && cp ex/f orig/exf &&
	id=$(qadd ex/f) &&
	echo "a new file with the same name" >ex/f && cp ex/f orig/exnew &&
	expect_exit 2 vigil quarantine restore "$id" 2>err &&
	grep -q "exists" err &&
	cmp ex/f orig/exnew && inlist "$id" && notemp ex &&
	expect_exit 2 vigil quarantine restore "$id" --path ex/f 2>/dev/null && cmp ex/f orig/exnew
'

test_expect_success '... and with --force it replaces the file and leaves the vault' '
	id=$(vigil --json quarantine list | jq -r ".items[] | select(.path == \"$T/ex/f\") | .id") && test -n "$id" &&
	expect_exit 0 vigil quarantine restore "$id" --force >/dev/null &&
	cmp ex/f orig/exf && ! inlist "$id" && notemp ex
'

test_expect_success 'restore into a folder reached through a symbolic link is refused; the target gets nothing' '
	mkdir -p sl/real sl/src && head -c 4096 /dev/urandom >sl/src/f && cp sl/src/f orig/slf &&
	ln -s real sl/link &&
	id=$(qadd sl/src/f) &&
	expect_exit 2 vigil quarantine restore "$id" --path "$T/sl/link/f" 2>err &&
	grep -qi "symbolic link" err &&
	test -z "$(ls -A sl/real)" && inlist "$id" &&
	expect_exit 0 vigil quarantine restore "$id" >/dev/null && cmp sl/src/f orig/slf
'

test_expect_success 'an original folder replaced by a symbolic link is not followed on restore' '
	mkdir -p sw/d sw/attacker && head -c 3000 /dev/urandom >sw/d/f && cp sw/d/f orig/swf &&
	id=$(qadd sw/d/f) &&
	mv sw/d sw/d.moved && ln -s attacker sw/d &&
	expect_exit 2 vigil quarantine restore "$id" 2>err &&
	test -z "$(ls -A sw/attacker)" && test -z "$(ls -A sw/d.moved)" && inlist "$id" &&
	rm sw/d && mv sw/d.moved sw/d &&
	expect_exit 0 vigil quarantine restore "$id" >/dev/null && cmp sw/d/f orig/swf
'

test_expect_success 'a symbolic link planted at the name is replaced only with --force; its target is untouched' '
	mkdir -p pl && head -c 1048576 /dev/urandom >pl/f && cp pl/f orig/plf &&
	id=$(qadd pl/f) &&
	echo "precious target" >pl/target && cp pl/target orig/pltarget &&
	ln -s target pl/f &&
	expect_exit 2 vigil quarantine restore "$id" 2>/dev/null &&
	test -L pl/f && cmp pl/target orig/pltarget && inlist "$id" &&
	expect_exit 0 vigil quarantine restore "$id" --force >/dev/null &&
	test ! -L pl/f && test -f pl/f && cmp pl/f orig/plf &&
	cmp pl/target orig/pltarget
'

test_expect_success 'a dangling symbolic link at the name is not followed: nothing is created at its target' '
	mkdir -p dl outside && head -c 777 /dev/urandom >dl/f && cp dl/f orig/dlf &&
	id=$(qadd dl/f) &&
	ln -s "$T/outside/created" dl/f &&
	expect_exit 2 vigil quarantine restore "$id" 2>/dev/null &&
	test ! -e outside/created && test -L dl/f && inlist "$id" &&
	expect_exit 0 vigil quarantine restore "$id" --force >/dev/null &&
	test ! -e outside/created && test ! -L dl/f && cmp dl/f orig/dlf
'

test_expect_success 'a file quarantined through a symbolically linked folder goes back to where it was' '
	mkdir -p via/real && ln -s real via/link && head -c 5000 /dev/urandom >via/real/f && cp via/real/f orig/viaf &&
	id=$(qadd via/link/f) && test ! -e via/real/f &&
	expect_exit 0 vigil quarantine restore "$id" >/dev/null &&
	cmp via/real/f orig/viaf && test -L via/link
'

test_expect_success 'restore into a folder that is gone: exit 2 and the item stays, or the file is back whole' '
	mkdir -p gone && head -c 1048576 /dev/urandom >gone/f && cp gone/f orig/gonef &&
	id=$(qadd gone/f) && rmdir gone &&
	{ vigil quarantine restore "$id" >/dev/null 2>&1; rc=$?; true; } &&
	if [ "$rc" -eq 0 ]; then
		cmp gone/f orig/gonef && ! inlist "$id"
	else
		test "$rc" -eq 2 && inlist "$id" && mkdir -p back &&
		expect_exit 0 vigil quarantine restore "$id" --path back/f >/dev/null && cmp back/f orig/gonef
	fi
'

# --- remove --------------------------------------------------------------------------------
test_expect_success 'remove deletes the item and its chunks (in vault.db); restore and remove of it then exit 2' '
	mkdir -p rm && head -c 2500000 /dev/urandom >rm/f &&
	id=$(qadd rm/f) &&
	test "$(sqlite3 state/vault.db "SELECT count(*) FROM quarantine_chunks WHERE item = $id")" -eq 3 &&
	expect_exit 0 vigil quarantine remove "$id" >out &&
	! inlist "$id" &&
	test "$(sqlite3 state/vault.db "SELECT count(*) FROM quarantine_chunks WHERE item = $id")" -eq 0 &&
	test "$(sqlite3 state/vigil.db "SELECT count(*) FROM quarantine WHERE id = $id")" -eq 0 &&
	expect_exit 2 vigil quarantine restore "$id" 2>/dev/null &&
	test ! -e rm/f &&
	expect_exit 2 vigil quarantine remove "$id" 2>/dev/null
'

# --- export --------------------------------------------------------------------------------
mkdir -p exp
{ echo "PLAINTEXT-MARKER-0123456789"; head -c 1500000 /dev/urandom; } >exp/sample
cp exp/sample orig/sample
exp_sha=$(sha orig/sample)
exp_id=$("$VIGIL" --json quarantine add exp/sample | jq -r ".items[0].id")

test_expect_success 'export makes a zip that bsdtar opens with "infected": same bytes and metadata.json' '
	expect_exit 0 vigil quarantine export "$exp_id" --out s.zip >out &&
	bsdtar -tf s.zip | sort >names && printf "%s\n" "$exp_sha.bin" metadata.json | sort >want && cmp names want &&
	bsdtar -xOf s.zip --passphrase infected "$exp_sha.bin" >got.bin && cmp got.bin orig/sample &&
	bsdtar -xOf s.zip --passphrase infected metadata.json >meta.json &&
	jqt meta.json ".sha256 == \"$exp_sha\" and .path == \"$T/exp/sample\" and .size == $(stat -c %s orig/sample) and .id == $exp_id" &&
	inlist "$exp_id"
'

test_expect_success 'the exported zip opens with 7z -pinfected, is AES-256 and holds no plaintext' '
	rm -rf x7 && 7z x -pinfected -ox7 s.zip >/dev/null &&
	test "$(sha x7/$exp_sha.bin)" = "$exp_sha" &&
	jqt x7/metadata.json ".sha256 == \"$exp_sha\" and .path == \"$T/exp/sample\"" &&
	7z l -slt s.zip >slt && grep -q "AES-256" slt &&
	! grep -q "PLAINTEXT-MARKER" s.zip
'

test_expect_success 'export --password P: P opens it, "infected" and a wrong one do not' '
	expect_exit 0 vigil quarantine export "$exp_id" --out p.zip --password "s3cret pw" >/dev/null &&
	bsdtar -xOf p.zip --passphrase "s3cret pw" "$exp_sha.bin" >gp.bin && cmp gp.bin orig/sample &&
	rm -rf xp && 7z x "-ps3cret pw" -oxp p.zip >/dev/null && cmp xp/$exp_sha.bin orig/sample &&
	! bsdtar -xOf p.zip --passphrase infected "$exp_sha.bin" >bad1 2>/dev/null &&
	! cmp -s bad1 orig/sample &&
	! bsdtar -xOf p.zip --passphrase wrong "$exp_sha.bin" >/dev/null 2>&1 &&
	rm -rf xw && ! 7z x -pwrong -oxw p.zip >/dev/null 2>&1 &&
	! cmp -s xw/$exp_sha.bin orig/sample
'

test_expect_success 'an empty file exports as an empty member that both tools extract' '
	: >exp/empty && id=$(qadd exp/empty) &&
	expect_exit 0 vigil quarantine export "$id" --out empty.zip >/dev/null &&
	e=$(sha orig/f0) &&
	bsdtar -xOf empty.zip --passphrase infected "$e.bin" >ge && test ! -s ge &&
	rm -rf xe && 7z x -pinfected -oxe empty.zip >/dev/null && test -f "xe/$e.bin" && test ! -s "xe/$e.bin" &&
	jqt xe/metadata.json ".size == 0 and .sha256 == \"$e\""
'

test_expect_success 'export refuses an --out that exists (exit 2, the file unchanged)' '
	echo "keep me" >exists.zip && cp exists.zip orig/exists.zip &&
	expect_exit 2 vigil quarantine export "$exp_id" --out exists.zip 2>/dev/null &&
	cmp exists.zip orig/exists.zip &&
	! ls -A | grep -q "^exists.zip.tmp"
'

# A local user who can write next to --out plants symbolic links at the names a temporary file
# could get (here <out>.tmp.<next pids>, made by one process so that no pid is used up).
if command -v python3 >/dev/null; then
	test_expect_success 'export does not follow a symbolic link planted at a temporary name next to --out' '
		mkdir -p plant && echo "precious" >plant/victim && cp plant/victim orig/victim &&
		python3 -c "import os; p = os.getpid(); [os.symlink(\"$T/plant/victim\", \"$T/plant/out.zip.tmp.%d\" % i) for i in range(p + 1, p + 400)]" &&
		{ vigil quarantine export "$exp_id" --out plant/out.zip >/dev/null 2>&1; true; } &&
		cmp plant/victim orig/victim &&
		{ test ! -e plant/out.zip || { test -f plant/out.zip && test ! -L plant/out.zip; }; }
	'
else
	test_skip 'export does not follow a symbolic link planted at a temporary name' 'no python3'
fi

# --- scan --action quarantine ----------------------------------------------------------------
mkdir -p scan/sub zsrc
eicar scan/e.com
eicar zsrc/e.com
(cd zsrc && zip -q ../scan/sub/z.zip e.com)
echo "clean text" >scan/clean.txt
echo "also clean" >scan/sub/clean2.txt
(cd scan && zip -q sub/clean.zip clean.txt)
cp scan/e.com orig/e.com
cp scan/sub/z.zip orig/z.zip

test_expect_success 'scan --action quarantine moves the EICAR file and the zip, leaves clean files' '
	expect_exit 1 vigil --json scan custom scan --action quarantine >s.json &&
	test ! -e scan/e.com && test ! -e scan/sub/z.zip &&
	test -f scan/clean.txt && test -f scan/sub/clean2.txt && test -f scan/sub/clean.zip &&
	sid=$(jq -r .scan_id s.json) &&
	jqt s.json ".action == \"quarantine\" and .threats_found == 2" &&
	jqt s.json "all(.threats[]; .action | test(\"^quarantined as item [0-9]+$\"))" &&
	vigil --json quarantine list >ql.json &&
	for p in "$T/scan/e.com" "$T/scan/sub/z.zip"; do
		n=$(jq -r ".threats[] | select(.path == \"$p\") | .action | sub(\"quarantined as item \"; \"\")" s.json) &&
		jqt ql.json ".items | any(.id == $n and .path == \"$p\" and .threat == \"EICAR_Test_File\" and .scan_id == $sid)" || exit 1
	done
'

test_expect_success 'the quarantined zip and EICAR file come back byte for byte' '
	for p in scan/e.com scan/sub/z.zip; do
		id=$(jq -r ".items[] | select(.path == \"$T/$p\") | .id" ql.json) && test -n "$id" &&
		expect_exit 0 vigil quarantine restore "$id" >/dev/null || exit 1
	done &&
	cmp scan/e.com orig/e.com && cmp scan/sub/z.zip orig/z.zip
'

mkdir -p dflt
eicar dflt/d.com
echo clean >dflt/ok.txt
test_expect_success 'default_action quarantine (config set) makes a plain scan quarantine' '
	vigil --state-dir st2 config set antivirus_engine.default_action quarantine &&
	expect_exit 1 vigil --state-dir st2 --json scan custom dflt >d.json &&
	jqt d.json ".action == \"quarantine\" and (.threats[0].action | test(\"^quarantined as item\"))" &&
	test ! -e dflt/d.com && test -f dflt/ok.txt &&
	vigil --state-dir st2 --json quarantine list >ql.json &&
	jqt ql.json ".items | length == 1 and .[0].path == \"$T/dflt/d.com\""
'

test_expect_success '... and --action report overrides it: nothing is moved' '
	eicar dflt/d2.com &&
	expect_exit 1 vigil --state-dir st2 --json scan custom dflt --action report >d2.json &&
	jqt d2.json ".action == \"report\" and .threats[0].action == \"reported\"" &&
	test -f dflt/d2.com &&
	vigil --state-dir st2 --json quarantine list >ql.json && jqt ql.json ".items | length == 1"
'

# --- a large sparse file past 2 GiB (VIGIL_E2E_BIG_SIZE to change, 0 to skip) ----------------
# rss FILE command...: runs the command, its peak RSS in KiB into FILE (0 without GNU time).
rss() {
	local f=$1
	shift
	# under AddressSanitizer, freed memory is held back (256 MB by default): measure vigil,
	# not that (the variable means nothing to a normal build)
	if [ -x /usr/bin/time ]; then
		ASAN_OPTIONS="quarantine_size_mb=0:${ASAN_OPTIONS:-}" /usr/bin/time -f %M -o "$f" "$@"
	else echo 0 >"$f"; "$@"; fi
}
big=${VIGIL_E2E_BIG_SIZE:-$((2 * 1024 * 1024 * 1024 + 1024 * 1024 + 3))}
avail=$(( $(df -Pk "$T" | awk 'NR == 2 { print $4 }') * 1024 ))
if [ "$big" -eq 0 ]; then
	test_skip 'a large sparse file round trip' 'VIGIL_E2E_BIG_SIZE=0'
elif [ "$avail" -lt $((big * 3 + 1073741824)) ]; then
	test_skip 'a large sparse file round trip' "needs $((big * 3 / 1048576 + 1024)) MiB free"
else
	test_expect_success "a sparse file of $big bytes comes back with the same SHA-256, in bounded memory" '
		mkdir -p bigd && truncate -s '"$big"' bigd/sparse &&
		printf "head" | dd of=bigd/sparse conv=notrunc status=none &&
		printf "middle" | dd of=bigd/sparse bs=1 seek=$(('"$big"' / 2 - 3)) conv=notrunc status=none &&
		printf "tail" | dd of=bigd/sparse bs=1 seek=$(('"$big"' - 4)) conv=notrunc status=none &&
		want=$(sha bigd/sparse) &&
		rss rss.add "$VIGIL" --json quarantine add bigd/sparse >big.json &&
		test ! -e bigd/sparse &&
		id=$(jq -r ".items[0].id" big.json) &&
		vigil --json quarantine list >ql.json &&
		jqt ql.json ".items[] | select(.id == $id) | .size == '"$big"' and .sha256 == \"$want\"" &&
		rss rss.restore "$VIGIL" quarantine restore "$id" >/dev/null &&
		test "$(stat -c %s bigd/sparse)" -eq '"$big"' &&
		test "$(sha bigd/sparse)" = "$want" &&
		echo "max RSS KiB: add $(cat rss.add), restore $(cat rss.restore)" &&
		test "$(cat rss.add)" -lt 65536 && test "$(cat rss.restore)" -lt 65536 &&
		rm -f bigd/sparse
	'
fi

test_done
