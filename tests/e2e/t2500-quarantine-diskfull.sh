#!/usr/bin/env bash
# A full disk during quarantine: the original stays, nothing is half-kept, exit 2.
. "$(dirname "$0")/lib.sh"

mkdir -p small
if ! mount -t tmpfs -o size=64m,mode=0700 vigil-e2e small 2>/dev/null; then
	echo "cannot mount a tmpfs (not root?)"
	exit 77
fi
trap 'umount "$T/small" 2>/dev/null; cleanup' EXIT
export VIGIL_STATE_DIR="$T/small/state"

head -c 6000000 /dev/urandom >big.bin
sha=$(sha256sum big.bin | cut -d" " -f1)
echo "small one" >small.txt

# the store made, then the disk shrunk to what it uses and 4 MiB more: the schema may grow,
# and a scan's write-ahead log holds a 64 KiB page per table and index it touches (with the
# fleet's revision counter and indexes, about 1.7 MiB for the scan below), without this test
# running out of room before the point it makes; the 6 MB files still cannot fit
vigil -q scan list >/dev/null
used_kb=$(df -k --output=used "$T/small" | tail -n 1)
mount -o remount,size=$(((used_kb + 4096) * 1024)) "$T/small"

test_expect_success 'quarantine add on a full disk exits 2 naming the store, the original stays' '
	vigil quarantine add small.txt >/dev/null &&
	expect_exit 2 vigil quarantine add big.bin 2>err &&
	grep -q "full" err &&
	test "$(sha256sum big.bin | cut -d" " -f1)" = "$sha"
'
test_expect_success 'the vault still opens and holds only the earlier item, which restores' '
	vigil --json quarantine list >list.json &&
	jq -e "[.items[].path] == [\"$T/small.txt\"]" list.json &&
	vigil quarantine restore "$(jq .items[0].id list.json)" >/dev/null &&
	test "$(cat small.txt)" = "small one"
'
test_expect_success 'scan --action quarantine on a full disk: recorded as failed, file left, an error counted' '
	mkdir -p t && eicar t/e.com && cp big.bin t/pad.bin &&
	(cd t && zip -q -0 ../bomb.zip e.com pad.bin) && rm -rf t && mkdir t && mv bomb.zip t/ &&
	zsha=$(sha256sum t/bomb.zip | cut -d" " -f1) &&
	expect_exit 1 vigil --json scan custom t --action quarantine >scan.json &&
	jq -e ".threats[0].action | test(\"^quarantine failed: .*full\")" scan.json &&
	jq -e ".errors >= 1" scan.json &&
	vigil --json scan show "$(jq .scan_id scan.json)" | jq -e ".errors >= 1" &&
	test "$(sha256sum t/bomb.zip | cut -d" " -f1)" = "$zsha"
'
test_done
