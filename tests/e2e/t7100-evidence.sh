#!/usr/bin/env bash
# Evidence mode: a prepared tree on a read-only bind mount scanned with --root. Nothing in it
# changes (stat of every file, atime included, and every SHA-256), a symbolic link in the
# image never leads to a file of this machine, quarantine is refused without --allow-modify,
# no report is written inside it, reports give image and host paths, --verify-unchanged.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
T=$(pwd -P)

if [ "$(id -u)" -ne 0 ] || ! command -v jq >/dev/null; then
	echo "skip: needs root (mount) and jq"
	exit 77
fi

# the image: a small system with a download folder, a link out to a "host" file, a link
# loop, and an absolute link to a folder of this machine
mkdir -p src/etc src/home/alice/Downloads src/tmp src/var/www hostside
eicar src/home/alice/Downloads/invoice.com
eicar src/var/www/shell.php
echo "root:x:0:0::/root:/bin/sh" >src/etc/passwd
eicar hostside/host-only.com
ln -s "$T/hostside/host-only.com" src/tmp/abs-link.com
ln -s "$T/hostside" src/tmp/abs-dir
ln -s ../etc/passwd src/tmp/rel-link
touch -d '2001-02-03 04:05:06' src/etc/passwd src/home/alice/Downloads/invoice.com
touch -a -d '2002-03-04 05:06:07' src/var/www/shell.php
mkdir ro
mount --bind src ro && mount -o remount,bind,ro ro || { echo "skip: cannot bind-mount"; exit 77; }
trap 'umount "$T/ro" 2>/dev/null; cleanup' EXIT

snapshot() { (cd "$1" && find . -type f -exec stat -c '%n %s %X %Y %Z %i %a' {} + | sort &&
	find . -type f -exec sha256sum {} + | sort); }
snapshot ro >before

vigil config set filesystem_scanner.quick_scan_directories '["/tmp", "/home/*/Downloads"]' >/dev/null
vigil config set antivirus_engine.default_action quarantine >/dev/null

test_expect_success 'full scan --root of a read-only mount: detections inside the image only' '
	expect_exit 1 vigil --json scan full --root ro --inventory --report json:full.json >full.out &&
	jq -e "[.threats[].path] | sort == [\"$T/ro/home/alice/Downloads/invoice.com\", \"$T/ro/var/www/shell.php\"]" full.out &&
	jq -e "[.detections[].image_path] | sort == [\"/home/alice/Downloads/invoice.com\", \"/var/www/shell.php\"]" full.json &&
	jq -e ".scan.root == \"$T/ro\" and .scan.options.root == \"$T/ro\"" full.json &&
	! grep -q host-only full.json
'

test_expect_success 'nothing in the image changed: stat (atime included) and SHA-256 of every file' '
	snapshot ro >after && diff before after
'

test_expect_success 'quick scan --root resolves the quick-scan folders inside the image' '
	expect_exit 1 vigil --json scan quick --root ro >quick.out &&
	jq -e "[.threats[].path] == [\"$T/ro/home/alice/Downloads/invoice.com\"]" quick.out &&
	vigil --json scan show "$(jq .scan_id quick.out)" >show.json &&
	jq -e "[.roots[]] | sort == [\"$T/ro/home/alice/Downloads\", \"$T/ro/tmp\"]" show.json
'

test_expect_success 'an absolute link in the image is resolved inside it, never to the host file' '
	expect_exit 2 vigil scan custom --root ro /tmp/abs-link.com 2>err &&
	grep -q "inside --root" err &&
	expect_exit 0 vigil --json scan custom --root ro /tmp/rel-link >rel.json &&
	jq -e ".files_scanned == 1" rel.json &&
	vigil --json scan show "$(jq .scan_id rel.json)" | jq -e ".roots == [\"$T/ro/etc/passwd\"]"
'

test_expect_success 'custom paths with --root: as in the image, or as on this machine' '
	expect_exit 1 vigil --json scan custom --root ro /var/www >a.json &&
	expect_exit 1 vigil --json scan custom --root ro "$T/ro/var/www" >b.json &&
	test "$(jq -c "[.threats[].path]" a.json)" = "$(jq -c "[.threats[].path]" b.json)"
'

test_expect_success 'quarantine with --root: refused without --allow-modify; the configured default does not apply' '
	expect_exit 2 vigil scan full --root ro --action quarantine 2>err &&
	grep -q -- "--allow-modify" err &&
	expect_exit 1 vigil --json scan full --root ro >d.json &&
	jq -e ".action == \"report\"" d.json && test -f ro/var/www/shell.php
'

test_expect_success 'no report is written inside the scanned tree; no state folder inside --root' '
	before=$(vigil --json scan list | jq ".scans | length") &&
	expect_exit 2 vigil scan full --root src --report json:src/x.json 2>err1 &&
	grep -q "inside or over what is scanned" err1 &&
	expect_exit 2 vigil --state-dir src/state scan full --root src 2>err2 &&
	grep -q "state folder" err2 && test ! -e src/state && test ! -e src/x.json &&
	test "$(vigil --json scan list | jq ".scans | length")" -eq "$before"
'

test_expect_success 'path exclusions are resolved inside the image' '
	vigil exclusion add --path /var/www >/dev/null &&
	expect_exit 1 vigil --json scan full --root ro >e.json &&
	jq -e "[.threats[].path] == [\"$T/ro/home/alice/Downloads/invoice.com\"]" e.json &&
	vigil exclusion remove --path /var/www >/dev/null
'

test_expect_success 'bodyfile and csv of an evidence scan name files as in the image' '
	id=$(jq .scan.scan_id full.json) &&
	vigil report "$id" --format bodyfile --out full.body >/dev/null &&
	grep -q "|/home/alice/Downloads/invoice.com|" full.body &&
	! grep -q "|$T/ro" full.body &&
	vigil report "$id" --format csv --out full.csv >/dev/null &&
	grep -q ",/var/www/shell.php," full.csv
'

test_expect_success '--verify-unchanged: every file read again, the proof recorded and reported' '
	expect_exit 1 vigil --json scan full --root ro --verify-unchanged --report json:v.json >v.out &&
	jq -e ".scan.verification.checked == 3 and .scan.verification.unchanged == 3 and .scan.verification.changed == []" v.json &&
	snapshot ro >after2 && diff before after2
'

test_expect_success '--verify-unchanged: a file changed during the scan is named, exit 2' '
	mkdir -p live && eicar live/a.com && head -c 60000000 /dev/urandom >live/big.bin &&
	{ echo "import \"math\"" && echo "import \"hash\"" &&
	  echo "rule Slow { condition: filesize > 1000000 and for any i in (0..5) :" &&
	  echo " (math.serial_correlation(i, filesize) < -2 or hash.checksum32(i, filesize) == 1) }"
	} >slow.yar &&
	VIGIL_STATE_DIR=$T/st2 vigil sigdb import slow.yar >/dev/null &&
	(_rc=0; VIGIL_STATE_DIR=$T/st2 "$VIGIL" --json scan custom live --verify-unchanged >live.json 2>live.err || _rc=$?; echo $_rc >live.rc ) &
	# a.com is changed once the scan has recorded it, while big.bin is still being matched
	n=0 && while [ $n -lt 200 ] && [ "$(sqlite3 "$T/st2/vigil.db" "select count(*) from inventory where path = cast(\"$T/live/a.com\" as blob)" 2>/dev/null)" != 1 ]; do
		sleep 0.05; n=$((n + 1)); done &&
	test ! -e live.rc && touch -m -d "2003-01-01" live/a.com && wait &&
	test "$(cat live.rc)" = 2 && grep -q "changed during the scan" live.err &&
	VIGIL_STATE_DIR=$T/st2 vigil --json scan show "$(VIGIL_STATE_DIR=$T/st2 vigil --json scan list | jq ".scans[0].scan_id")" >ls.json &&
	jq -e ".verification.changed[0].path == \"$T/live/a.com\"" ls.json &&
	jq -e "[.problems[] | select(.kind == \"changed\")] | length == 1" ls.json
'

test_done
