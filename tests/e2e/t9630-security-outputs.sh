#!/usr/bin/env bash
# Security (issue 24, item 2): every file root's vigil writes by a path from the command line
# (reports, the diagnostic bundle, quarantine exports, signature bundles) is made as a new file
# in a folder reached without following a link another user could have planted (O_EXCL,
# O_NOFOLLOW, mode set first) and renamed into place: never written through a link, onto a
# FIFO or a device, or into a root-only folder through a user's symlinked folder.
#
# vigil-attacker owns the folder U next to the outputs and plants, statically, what a racing
# attacker would swap in: a link to a block device (a loop device over disk.img stands in for
# a disk), a link to a FIFO, a link in place of a folder on the way (to R, root-only, holding
# a 0600 r.json). Also: the diagnostic zip and the export are 0600, reports too; a link at the
# final part that points to a regular file is replaced by the report, the file unchanged.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil records resolved paths

if [ "$(id -u)" -ne 0 ] || ! command -v jq >/dev/null || ! command -v setpriv >/dev/null; then
	echo "skip: needs root, jq and setpriv"
	exit 77
fi
attacker_user || exit 1
chmod 755 "$T" # the attacker reaches U through $T

mode_of() { stat -c '%a %U' "$1"; }

# A scan with a detection to report, and a vault item to export.
mkdir -p tree q
eicar tree/e.com
eicar q/e.com
expect_exit 1 vigil scan custom tree >/dev/null || exit 1
SCAN=1
QID=$(vigil --json quarantine add q/e.com | jq -e '.items[0].id') || exit 1

# U: the attacker's folder (0755). R: root's (0700) with a 0600 r.json.
mkdir -p U R
chown vigil-attacker: U
echo '{"root": "secret"}' >R/r.json && chmod 600 R/r.json
R_SUM=$(sha R/r.json)
# R unchanged: the one file, the same bytes, still root's and 0600.
r_intact() {
	test "$(ls -A R)" = r.json && test "$(sha R/r.json)" = "$R_SUM" &&
		test "$(mode_of R/r.json)" = "600 root" && test ! -L R/r.json
}

# --- a link at the final part to a block device --------------------------------------------
DEV=
if command -v losetup >/dev/null && head -c 1048576 /dev/urandom >disk.img &&
	DEV=$(losetup -f --show disk.img 2>/dev/null) && [ -b "$DEV" ]; then
	trap 'losetup -d "$DEV" 2>/dev/null; cleanup' EXIT
	DISK_SUM=$(head -c 1048576 "$DEV" | sha256sum)
	as_attacker ln -s "$DEV" U/r.html
	test_expect_success 'report --out onto a link to a block device: exit 2, the reason named, the device unchanged' '
		expect_exit 2 timeout 20 "$VIGIL" report $SCAN --format html --out U/r.html 2>err &&
		grep -q "symbolic link to a block device" err && grep -q "U/r.html" err &&
		test "$(head -c 1048576 "$DEV" | sha256sum)" = "$DISK_SUM" && test "$(sha256sum <disk.img)" = "$DISK_SUM" &&
		test -L U/r.html && test "$(readlink U/r.html)" = "$DEV" &&
		! ls -A U | grep -q "\.vigil-"
	'
	test_expect_success 'scan --report html:LINK-TO-DEVICE fails before scanning, the device unchanged' '
		n=$(nscans) &&
		expect_exit 2 vigil scan custom tree --report html:U/r.html 2>err &&
		grep -q "block device" err &&
		test "$(nscans)" -eq "$n" &&
		test "$(head -c 1048576 "$DEV" | sha256sum)" = "$DISK_SUM"
	'
	test_expect_success 'diagnostic create --out onto a link to a block device: refused, the device unchanged' '
		as_attacker ln -s "$DEV" U/d.zip &&
		expect_exit 2 timeout 20 "$VIGIL" diagnostic create --out U/d.zip 2>err &&
		grep -q "block device" err &&
		test "$(head -c 1048576 "$DEV" | sha256sum)" = "$DISK_SUM" && test -L U/d.zip
	'
else
	test_skip 'report --out onto a link to a block device' 'losetup is unavailable'
	test_skip 'scan --report html:LINK-TO-DEVICE fails before scanning' 'losetup is unavailable'
	test_skip 'diagnostic create --out onto a link to a block device' 'losetup is unavailable'
fi

# --- a FIFO, or a link to one --------------------------------------------------------------
as_attacker mkfifo U/pipe
as_attacker ln -s "$T/U/pipe" U/r.json
test_expect_success 'report --out onto a link to a FIFO: no hang, exit 2, the FIFO left as it was' '
	expect_exit 2 timeout 20 "$VIGIL" report $SCAN --format json --out U/r.json 2>err &&
	grep -q "symbolic link to a FIFO" err &&
	test -L U/r.json && test -p U/pipe && ! ls -A U | grep -q "\.vigil-"
'
test_expect_success 'report --out onto a FIFO itself: no hang, exit 2 (only - writes to a pipe)' '
	expect_exit 2 timeout 20 "$VIGIL" report $SCAN --format csv --out U/pipe 2>err &&
	grep -q "a FIFO" err && grep -q "'"'"'-'"'"' for standard output" err && test -p U/pipe
'
test_expect_success 'report --out - still writes to a pipe' '
	vigil report $SCAN --format json --out - 2>line | jq -e ".detections | length == 1" >/dev/null &&
	grep -q "  -$" line
'
test_expect_success 'quarantine export --out onto a link to a FIFO: no hang, exit 2' '
	as_attacker ln -s "$T/U/pipe" U/e.zip &&
	expect_exit 2 timeout 20 "$VIGIL" quarantine export $QID --out U/e.zip 2>/dev/null &&
	test -L U/e.zip && test -p U/pipe
'

# --- a folder on the way swapped for a link to a root-only folder ---------------------------
# (static: U/out is already the attacker's link when vigil starts, as after a won race)
as_attacker ln -s "$T/R" U/out
test_expect_success 'report --out U/out/r.json, U/out the attacker'"'"'s link to R: refused, R untouched' '
	expect_exit 2 vigil report $SCAN --format json --out U/out/r.json 2>err &&
	grep -q "symbolic link" err && grep -q "not followed" err && r_intact
'
test_expect_success 'scan --report json:U/out/r.json: refused before scanning, R untouched' '
	n=$(nscans) &&
	expect_exit 2 vigil scan custom tree --report json:U/out/r.json 2>err &&
	grep -q "not followed" err && test "$(nscans)" -eq "$n" && r_intact
'
test_expect_success 'diagnostic create --out U/out/d.zip: refused, nothing created in R' '
	expect_exit 2 vigil diagnostic create --out U/out/d.zip 2>err &&
	grep -q "not followed" err && r_intact
'
test_expect_success 'quarantine export --out U/out/e.zip: refused, nothing created in R' '
	expect_exit 2 vigil quarantine export $QID --out U/out/e.zip 2>err &&
	grep -q "not followed" err && r_intact
'
if command -v openssl >/dev/null && openssl genpkey -algorithm ed25519 -out sign.pem 2>/dev/null; then
	echo 'rule x { condition: false }' >x.yar
	test_expect_success 'sigdb bundle create --out U/out/b.tar: refused, nothing created in R' '
		expect_exit 2 vigil sigdb bundle create --key sign.pem --out U/out/b.tar --version 2 x.yar 2>err &&
		grep -q "not followed" err && r_intact &&
		vigil sigdb bundle create --key sign.pem --out b.tar --version 2 x.yar >/dev/null &&
		test "$(stat -c %a b.tar)" = 644
	'
else
	test_skip 'sigdb bundle create --out U/out/b.tar' 'no openssl with ed25519'
fi
# The same link in a sticky, world-writable folder (as in /tmp): not followed either.
mkdir -p W && chmod 1777 W
as_attacker ln -s "$T/R" W/out
test_expect_success 'the same link in a sticky world-writable folder (as /tmp) is not followed' '
	expect_exit 2 vigil report $SCAN --format json --out W/out/r.json 2>err &&
	grep -q "not followed" err && r_intact
'

# --- modes -----------------------------------------------------------------------------------
test_expect_success 'diagnostic bundle, quarantine export and reports are 0600 (umask 022)' '
	( umask 022 &&
	  vigil diagnostic create --out diag.zip >line && sha256sum -c line >/dev/null &&
	  vigil quarantine export $QID --out exp.zip >/dev/null &&
	  vigil report $SCAN --format html --out rep.html >/dev/null ) &&
	test "$(mode_of diag.zip)" = "600 root" && test "$(mode_of exp.zip)" = "600 root" &&
	test "$(mode_of rep.html)" = "600 root"
'
test_expect_success 'quarantine export still refuses an --out that exists (the file unchanged)' '
	echo keep >U/keep.zip && chown vigil-attacker: U/keep.zip && s=$(sha U/keep.zip) &&
	expect_exit 2 vigil quarantine export $QID --out U/keep.zip 2>err && grep -q "exists" err &&
	test "$(sha U/keep.zip)" = "$s"
'

# --- kept safe: a link at the final part to a regular file is replaced ----------------------
as_attacker ln -s "$T/R/r.json" U/victim.json
test_expect_success 'report --out onto a link to a regular file: the link is replaced, the file unchanged' '
	vigil report $SCAN --format json --out U/victim.json >line &&
	test -f U/victim.json && test ! -L U/victim.json && test "$(mode_of U/victim.json)" = "600 root" &&
	jq -e ".detections | length == 1" U/victim.json >/dev/null && r_intact &&
	sha256sum -c line >/dev/null && vigil report verify U/victim.json >/dev/null
'
test_expect_success 'a report into the attacker'"'"'s own folder (no link) is written' '
	vigil report $SCAN --format csv --out U/plain.csv >/dev/null && test -f U/plain.csv &&
	test "$(mode_of U/plain.csv)" = "600 root"
'

test_done
