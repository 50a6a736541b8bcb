#!/usr/bin/env bash
# Which system was on the disk: an image scan records, per volume, /etc/machine-id and
# /etc/hostname at the root of its file system as `volumes[].system` (scanner/image_ident.c),
# also when they are excluded or outside a quick scan's folders (never scanned then, never a
# threat); hostile contents are refused or escaped, never recorded raw; no such files, no
# `system`. Both readers: the sandboxed vigil-image and VIGIL_IMAGE=none.
here=$(cd "$(dirname "$0")" && pwd)
SCHEMA=$here/../../docs/report-schema.json
. "$here/lib.sh"

if ! command -v mkfs.ext4 >/dev/null || ! command -v jq >/dev/null; then
	echo "skip: needs mkfs.ext4 and jq"
	exit 77
fi

MID=0123456789abcdef0123456789abcdef
# ext4 IMAGE DIR: a small ext4 file system filled from DIR
ext4() { truncate -s 8M "$1" && mkfs.ext4 -q -d "$2" "$1"; }

mkdir -p good/etc good/home/u && eicar good/home/u/e.com &&
	printf '%s\n' "$MID" >good/etc/machine-id && printf '  web-01.example\n' >good/etc/hostname &&
	ext4 good.img good || exit 1

for reader in sandbox none; do
	if [ "$reader" = none ]; then export VIGIL_IMAGE=none; else unset VIGIL_IMAGE; fi

test_expect_success "$reader: machine-id and hostname of the volume, EICAR found" '
	expect_exit 1 vigil --json scan image good.img >g.json &&
	jqt g.json ".volumes[0].system == {machine_id: \"$MID\", hostname: \"web-01.example\"}" &&
	jqt g.json "[.threats[] | .image.path] == [\"/home/u/e.com\"] and .files_scanned == 3" &&
	vigil --json scan show "$(jq .scan_id g.json)" >s.json &&
	jqt s.json ".volumes[0].system.machine_id == \"$MID\" and .volumes[0].system.hostname == \"web-01.example\"" &&
	jqt s.json "has(\"disk\") | not" &&
	expect_exit 1 vigil scan image good.img >g.txt &&
	grep -qx "    system on it: machine-id $MID hostname web-01.example" g.txt
'

test_expect_success "$reader: excluded, or outside a quick scan: still seen, not scanned" '
	expect_exit 1 vigil --json scan image good.img --exclude-path /etc >x.json &&
	jqt x.json ".volumes[0].system == {machine_id: \"$MID\", hostname: \"web-01.example\"}" &&
	jqt x.json ".files_scanned == 1 and .excluded == 2" &&
	rm -rf ex ex.img && mkdir -p ex/etc && cp good/etc/* ex/etc/ && eicar ex/etc/hostname.bak &&
	ext4 ex.img ex &&
	expect_exit 0 vigil --json scan image ex.img --exclude-path /etc >e2.json &&
	jqt e2.json ".threats == [] and .files_scanned == 0 and .volumes[0].system.machine_id == \"$MID\"" &&
	expect_exit 0 vigil --json scan image ex.img --max-filesize 8 >m.json &&
	jqt m.json ".volumes[0].system.machine_id == \"$MID\" and .threats == []"
'

test_expect_success "$reader: hostile contents are refused or escaped, the scan goes on" '
	rm -rf bad && mkdir -p bad/etc bad/x && eicar bad/x/e.com &&
	head -c 4096 /dev/zero | tr "\0" a >bad/etc/machine-id &&
	printf "h\xff\xfe\x1b[2Jx y\nsecond\n" >bad/etc/hostname &&
	ext4 bad.img bad &&
	expect_exit 1 vigil --json scan image bad.img >b.json &&
	jqt b.json "[.threats[] | .image.path] == [\"/x/e.com\"]" &&
	jqt b.json ".volumes[0].system.hostname_invalid == true and (.volumes[0].system | has(\"machine_id\") | not)" &&
	jqt b.json "(.volumes[0].system.hostname | test(\"\\u001b\") | not) and (.volumes[0].system.hostname | contains(\"second\") | not)" &&
	jqt b.json ".volumes[0].system.hostname == \"h\\\\xff\\\\xfe\\\\x1b[2Jx y\" and .volumes[0].system.hostname_b64 == \"aP/+G1sySnggeQ==\"" &&
	printf "0123456789abcdef\n0123456789abcdef\n" >bad/etc/machine-id && printf "ok-host\n" >bad/etc/hostname &&
	rm -f bad.img && ext4 bad.img bad &&
	expect_exit 1 vigil --json scan image bad.img >b2.json &&
	jqt b2.json ".volumes[0].system == {machine_id_invalid: true, hostname: \"ok-host\"}" &&
	printf "0123456789ABCDEF0123456789ABCDEF\n" >bad/etc/machine-id &&
	rm -f bad.img && ext4 bad.img bad &&
	expect_exit 1 vigil --json scan image bad.img >b3.json &&
	jqt b3.json ".volumes[0].system.machine_id_invalid == true"
'

test_expect_success "$reader: no /etc/machine-id nor /etc/hostname, or not at the root: no system" '
	rm -rf none && mkdir -p none/x/etc && eicar none/x/e.com && printf "%s\n" "$MID" >none/x/etc/machine-id &&
	ext4 none.img none &&
	expect_exit 1 vigil --json scan image none.img >n.json &&
	jqt n.json "(.volumes[0] | has(\"system\") | not) and .files_scanned == 2"
'
done
unset VIGIL_IMAGE

test_expect_success 'reports: the system of each volume in JSON (schema) and HTML' '
	expect_exit 1 vigil --json scan image good.img >g.json &&
	id=$(jq .scan_id g.json) &&
	vigil report "$id" --format json --out r.json &&
	jqt r.json ".scan.volumes[0].system.machine_id == \"$MID\"" &&
	if /usr/bin/python3 -c "import jsonschema" 2>/dev/null; then
		/usr/bin/python3 -c "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))" r.json "$SCHEMA"
	fi &&
	vigil report "$id" --format html --out r.html &&
	grep -q "$MID" r.html && grep -q "web-01.example" r.html
'
test_done
