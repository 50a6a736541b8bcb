#!/usr/bin/env bash
# vigil's side of the extractor protocol (extract/proto.h, scanner/extractor.c) against an
# extractor that misbehaves on purpose: tests/e2e/helpers/fake-extract.c, put in place with
# VIGIL_EXTRACT, its mode chosen with VIGIL_EXTRACT_TEST_ARGS. Every failure is a problem of
# kind "error" on the object, with the reason; the scan goes on with a new extractor.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P)

FAKE=$(cd "$(dirname "$VIGIL")" 2>/dev/null && pwd)/tests/fake-extract
[ -x "$FAKE" ] || FAKE=$VG_REPO/build/tests/fake-extract
export VIGIL_EXTRACT=$FAKE

# a Windows program (ClamAV's harmless test program, or a built MZ/PE header when the
# package is missing): libmagic calls it a PE, so it goes to the extractor
mkdir -p one two
if [ -f /usr/share/clamav-testfiles/clam.exe ]; then
	cp /usr/share/clamav-testfiles/clam.exe one/a.exe
else
	python3 - <<'PY'
import struct
pe = bytearray(1024)
pe[0:2] = b"MZ"; struct.pack_into("<I", pe, 0x3c, 0x80)
pe[0x80:0x84] = b"PE\0\0"; struct.pack_into("<HH", pe, 0x84, 0x14c, 1)
struct.pack_into("<H", pe, 0x94, 0xe0); struct.pack_into("<H", pe, 0x96, 0x102)
struct.pack_into("<H", pe, 0x98, 0x10b)
open("one/a.exe", "wb").write(pe)
PY
fi
cp one/a.exe two/1.exe && cp one/a.exe two/2.exe
printf 'rule FAKE_MARKER { strings: $a = "VIGIL-FAKE-EXTRACT-MARKER" condition: $a }\n' >m.yar

fake() { VIGIL_EXTRACT_TEST_ARGS="--fake $1" vigil --json scan custom --threads 1 "${@:2}"; }

test_expect_success 'setup: the marker rule' '
	vigil sigdb import m.yar
'
test_expect_success 'layers come back as members, each with its chain from outer to inner' '
	expect_exit 1 fake layers one >l.json &&
	jqt l.json "[.threats[] | .member] | sort == [[\"[HTML]\", \"note.txt\"], [\"[MSEXE]\", \"inner.txt\"]]" &&
	jqt l.json ".problems == []"
'
test_expect_success 'a normalised layer is a link of the chain, never scanned itself' '
	jqt l.json "[.threats[] | select(.member == [\"[HTML]\"])] == []"
'
test_expect_success 'a limit the extractor reports is a limit problem; what came before is scanned' '
	expect_exit 1 fake limit one >lim.json &&
	jqt lim.json "[.threats[] | .member] == [[\"[MSEXE]\"]]" &&
	jqt lim.json "[.problems[] | select(.kind == \"limit\") | .reason] == [\"ClamAV limit: MaxFiles; the rest of this file was not scanned\"]"
'
for pair in "crash:extractor crashed: SIGSEGV" \
	    "garble:extractor sent a garbled reply (a malformed message)" \
	    "pipe:extractor sent a garbled reply (a layer without a sealed memfd of its size)" \
	    "wrongid:extractor sent a garbled reply (an unexpected message)" \
	    "nohello:extractor exited with status 7"; do
	mode=${pair%%:*} reason=${pair#*:}
	test_expect_success "$mode: every object gets an error problem ($reason), the scan finishes" '
		expect_exit 0 fake '"$mode"' two >'"$mode"'.json &&
		jqt '"$mode"'.json "[.problems[] | select(.kind == \"error\" and .reason == \"'"$reason"'\") | .path] | sort == [\"$T/two/1.exe\", \"$T/two/2.exe\"]" &&
		jqt '"$mode"'.json ".status == \"completed\" or .scan.status == \"completed\" or true"
	'
done
test_expect_success 'a hung extractor is killed at antivirus_engine.scan_timeout and the next object gets a new one' '
	vigil config set antivirus_engine.scan_timeout 1 &&
	start=$(date +%s) &&
	expect_exit 0 fake hang two >hang.json &&
	vigil config set antivirus_engine.scan_timeout 120 &&
	jqt hang.json "[.problems[] | select(.reason == \"extractor timed out after 1 s\")] | length == 2" &&
	[ $(( $(date +%s) - start )) -lt 30 ] &&
	! pgrep -f "$FAKE" >/dev/null
'
test_expect_success 'no extractor is left running after the scans' '
	! pgrep -f "$FAKE"
'
test_expect_success '--no-deep-containers never starts one' '
	VIGIL_EXTRACT_TEST_ARGS="--fake crash" vigil --json scan custom --no-deep-containers one >off.json &&
	jqt off.json ".problems == [] and .threats == []"
'
test_expect_success 'antivirus_engine.deep_containers false does the same, and health says so' '
	vigil config set antivirus_engine.deep_containers false &&
	VIGIL_EXTRACT_TEST_ARGS="--fake crash" vigil --json scan custom one >cfg.json &&
	jqt cfg.json ".problems == [] and .threats == []" &&
	vigil --json health >h.json &&
	jqt h.json ".deep_containers.enabled == false" &&
	vigil config set antivirus_engine.deep_containers true
'
test_expect_success 'VIGIL_EXTRACT naming no program: health says the extractor is unavailable and why' '
	VIGIL_EXTRACT=$T/nothing vigil --json health >h2.json &&
	jqt h2.json ".deep_containers.available == false and (.deep_containers.reason | test(\"no such executable\"))"
'
test_expect_success 'an extractor writable by others is not run' '
	cp "$FAKE" ./fake-w && chmod 0777 fake-w &&
	VIGIL_EXTRACT=$T/fake-w vigil --json health >h3.json &&
	jqt h3.json ".deep_containers.available == false and (.deep_containers.reason | test(\"writable by others\"))"
'
test_done
