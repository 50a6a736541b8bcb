#!/usr/bin/env bash
# btrfs volumes of a disk image, read by btrfs-progs' `btrfs restore` with vigil's shim in it
# (build/vigil-btrfs.so): served the volume by the image walk (so nesting works), its files
# taken as memfds, nothing mounted and nothing written. Fixtures: mkfs.btrfs --rootdir,
# qemu-img, cryptsetup reencrypt. tests/e2e/helpers/fake-btrfs.c stands in for btrfs to probe
# the sandbox and to misbehave.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P)

for tool in mkfs.btrfs btrfs qemu-img cryptsetup sfdisk; do
	command -v $tool >/dev/null || { echo "skip: $tool is not installed (make deps)"; exit 77; }
done
FAKE=$(cd "$(dirname "$VIGIL")" && pwd)/tests/fake-btrfs
[ -x "$FAKE" ] || FAKE=$VG_REPO/build/tests/fake-btrfs

# the tree: EICAR at the top and deep down under a hostile name, a setuid file with an old
# mtime, 3 MB of random bytes, an empty file
mkdir -p tree/sub/deeper && eicar tree/e.com && eicar "tree/sub/deeper/$(printf 'na\nme\033[31m.com')" &&
	printf 'plain\n' >tree/sub/suid && chmod 4750 tree/sub/suid && touch -d 2001-02-03T04:05:06Z tree/sub/suid &&
	head -c 3000000 /dev/urandom >tree/random.bin && : >tree/empty &&
	mkdir -p top && eicar top/e.com || exit 1
# GPT: ext4 with EICAR, then btrfs
truncate -s 20M p1.img && mkfs.ext4 -q -d top p1.img &&
	truncate -s 128M p2.img && mkfs.btrfs -q --rootdir tree p2.img >/dev/null 2>&1 &&
	truncate -s 160M gpt.img && printf 'label: gpt\n1M,20M\n,\n' | sfdisk -q gpt.img &&
	dd if=p1.img of=gpt.img bs=1M seek=1 conv=notrunc status=none &&
	dd if=p2.img of=gpt.img bs=1M seek=21 conv=notrunc status=none || exit 1
E=$(sha tree/e.com)
R=$(sha tree/random.bin)

test_expect_success 'scan image --list names btrfs, with no reason against it' '
	vigil --json scan image gpt.img --list >l.json &&
	jqt l.json "[.volumes[] | .filesystem] == [\"ext4\", \"btrfs\"]" &&
	jqt l.json ".volumes[1].reason == null and .volumes[1].chain == [\"gpt:p2\", \"btrfs\"]"
'
test_expect_success 'every file of the btrfs volume is scanned: EICAR twice, under its hostile name too' '
	expect_exit 1 vigil --json scan image gpt.img --inventory >s.json &&
	jqt s.json "[.volumes[] | .status] == [\"scanned\", \"scanned\"] and .volumes[1].fs == \"btrfs\"" &&
	jqt s.json "[.threats[] | select(.image.fs == \"btrfs\") | .image.path] | sort == [\"/e.com\", \"/sub/deeper/na\\nme\\u001b[31m.com\"]" &&
	jqt s.json "all(.threats[] | select(.image.fs == \"btrfs\"); .sha256 == \"$E\" and .image.chain == [\"gpt:p2\", \"btrfs\"] and (.image | has(\"inode\") | not))" &&
	jqt s.json ".problems == []"
'
test_expect_success 'the human output escapes the name the volume gave' '
	expect_exit 1 vigil scan image gpt.img >h.txt 2>&1 &&
	! grep -q "$(printf "\033")" h.txt && grep -q "na\\\\nme\\\\x1b\[31m.com" h.txt
'
test_expect_success 'the inventory has the bytes, owner, mode and mtime btrfs holds' '
	id=$(jq -r .scan_id s.json) &&
	vigil report "$id" --format jsonl --out inv.jsonl &&
	grep "\"record\":\"file\"" inv.jsonl | jq -s "map(select(.image.fs == \"btrfs\"))" >f.json &&
	jqt f.json "length == 5" &&
	jqt f.json "any(.[]; .image.path == \"/random.bin\" and .sha256 == \"$R\" and .size == 3000000)" &&
	jqt f.json "any(.[]; .image.path == \"/sub/suid\" and .permissions == \"-rwsr-x---\" and .mtime == \"2001-02-03T04:05:06.000000000Z\")" &&
	jqt f.json "any(.[]; .image.path == \"/empty\" and .size == 0 and .sha256 != null)"
'
test_expect_success 'read inside vigil (VIGIL_IMAGE=none): the same files, the same findings' '
	VIGIL_IMAGE=none expect_exit 1 vigil --json scan image gpt.img >n.json 2>n.err &&
	test "$(jq -c "[.threats[] | .path] | sort" n.json)" = "$(jq -c "[.threats[] | .path] | sort" s.json)" &&
	jqt n.json ".scan.files_scanned == $(jq .scan.files_scanned s.json)"
'
test_expect_success 'nested: the same disk as a QCOW2, and btrfs inside LUKS2' '
	qemu-img convert -O qcow2 gpt.img gpt.qcow2 &&
	expect_exit 1 vigil --json scan image gpt.qcow2 >q.json &&
	jqt q.json "[.threats[] | select(.image.fs == \"btrfs\")] | length == 2" &&
	truncate -s 144M lk.img && mkfs.btrfs -q -b 128M --rootdir tree lk.img >/dev/null 2>&1 &&
	printf "vigil-test" >pass &&
	cryptsetup reencrypt -q --encrypt --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--reduce-device-size 16M --key-file pass lk.img >lk.log 2>&1 &&
	expect_exit 1 vigil --json scan image lk.img --credential password:pass </dev/null >k.json &&
	jqt k.json "[.threats[] | .image.chain] == [[\"luks2\", \"btrfs\"], [\"luks2\", \"btrfs\"]]"
'
test_expect_success 'a file over the size limit is a problem; the rest is read' '
	vigil config set antivirus_engine.max_file_size 1000000 >/dev/null &&
	expect_exit 1 vigil --json scan image gpt.img >m.json &&
	vigil config set antivirus_engine.max_file_size 4294967296 >/dev/null &&
	jqt m.json "[.problems[] | select(.image.path == \"/random.bin\") | .kind] == [\"skipped\"]" &&
	jqt m.json "[.threats[] | select(.image.fs == \"btrfs\")] | length == 2"
'
test_expect_success 'damaged metadata: the volume is an error with restore'"'"'s reason; the ext4 is scanned' '
	cp gpt.img dmg.img && dd if=/dev/urandom of=dmg.img bs=1M seek=23 count=100 conv=notrunc status=none &&
	expect_exit 1 vigil --json scan image dmg.img >d.json 2>d.err &&
	jqt d.json ".volumes[0].status == \"scanned\" and .volumes[1].status == \"error\"" &&
	jqt d.json ".volumes[1].reason | test(\"btrfs restore reported errors .exit status 1\")" &&
	jqt d.json "[.threats[] | .image.fs] == [\"ext4\"]" &&
	grep -q "vigil: warning: btrfs: " d.err
'
test_expect_success 'damaged file data (restore reads it without a word): btrfs check finds it, the volume is partial' '
	at=$(python3 -c "import sys; print(open(sys.argv[1], \"rb\").read().find(open(sys.argv[2], \"rb\").read(65536)))" gpt.img tree/random.bin) &&
	test "$at" -gt 0 && cp gpt.img data.img &&
	dd if=/dev/urandom of=data.img bs=4096 seek=$((at / 4096 + 8)) count=2 conv=notrunc status=none &&
	expect_exit 1 vigil --json scan image data.img --inventory >c.json 2>c.err &&
	jqt c.json ".volumes[1].status == \"partial\" and (.volumes[1].reason | test(\"btrfs check --check-data-csum found checksums that do not match\"))" &&
	jqt c.json ".volumes[1].reason | test(\"; 5 files restored\")" &&
	jqt c.json "[.threats[] | select(.image.fs == \"btrfs\")] | length == 2" &&
	grep -q "vigil: warning: btrfs: .*csum" c.err
'
test_expect_success 'no btrfs-progs: the volume says so, the rest is scanned; health says which btrfs is used' '
	vigil --json health >he.json &&
	jqt he.json ".image_reader.btrfs.available and (.image_reader.btrfs.program | test(\"/btrfs$\")) and (.image_reader.btrfs.shim | test(\"/vigil-btrfs.so$\"))" &&
	VIGIL_BTRFS=/nonexistent vigil --json health >hx.json &&
	jqt hx.json ".image_reader.btrfs == {\"available\": false, \"reason\": \"VIGIL_BTRFS=/nonexistent: no such executable\"}" &&
	VIGIL_BTRFS=/nonexistent expect_exit 1 vigil --json scan image gpt.img >x.json &&
	jqt x.json ".volumes[1].status == \"error\" and (.volumes[1].reason | test(\"btrfs restore, which reads btrfs, cannot be started: VIGIL_BTRFS=/nonexistent\"))"
'
mkdir -p fake && for m in probe incomplete malformed; do cp "$FAKE" "fake/$m"; done
test_expect_success 'the sandbox: uid 65534, no capabilities, no new privileges, seccomp, nothing created; a call outside the list kills it' '
	VIGIL_BTRFS=$T/fake/probe expect_exit 1 vigil --json scan image gpt.img >p.json 2>p.err &&
	grep -q "probe: fake-btrfs: uid=65534 gid=65534 create=Permission denied" p.err &&
	grep -q "CapEff:.t0000000000000000" p.err && grep -q "NoNewPrivs:.t1" p.err &&
	grep -q "Seccomp:.t2" p.err && ! grep -q "socket() was allowed" p.err &&
	test ! -e /tmp/fake-btrfs-was-here &&
	jqt p.json "[.threats[] | select(.image.fs == \"btrfs\") | .image.path] == [\"/probe/eicar.com\"]" &&
	jqt p.json ".volumes[1].status == \"partial\" and (.volumes[1].reason | test(\"killed by its seccomp filter\"))"
'
test_expect_success 'a file restore could not finish is a problem, not a clean file' '
	VIGIL_BTRFS=$T/fake/incomplete expect_exit 1 vigil --json scan image gpt.img >i.json &&
	jqt i.json "[.problems[] | select(.image.path == \"/half.com\") | .reason] == [\"btrfs restore could not read all of it (the log has its messages)\"]" &&
	jqt i.json "[.threats[] | .image.fs] == [\"ext4\"] and .volumes[1].status == \"scanned\""
'
test_expect_success 'a malformed message from restore stops it; nothing of it is believed' '
	VIGIL_BTRFS=$T/fake/malformed expect_exit 1 vigil --json scan image gpt.img >b.json &&
	jqt b.json ".volumes[1].status == \"error\" and (.volumes[1].reason | test(\"sent a malformed file\"))"
'
test_done
