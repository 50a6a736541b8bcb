#!/usr/bin/env bash
# The sandboxed image reader (vigil-image, imaged/): every `scan image` parses the image
# there, not in vigil. The same results as reading it inside vigil (VIGIL_IMAGE=none); a reader
# that is missing is an error naming the way out; a reader that crashes or sends what it
# should not (tests/e2e/helpers/fake_image_reader.py stands in for one taken over by a hostile
# image) is killed and started again, skipping what was handed over and the file it died on;
# the scan keeps what was handed over and says what happened.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P)

mkimages img
helper=vigil-image; case $VIGIL in *-san) helper=vigil-image-san ;; esac
reader=$(dirname "$VIGIL")/$helper

# the fields of a scan that must not depend on where the image was parsed
summary() {
	jq -S "{threats: [.threats[] | {path, name, sha256, image}] | sort_by(.path),
		problems: [.problems[] | {path, kind, reason}] | sort_by(.path),
		volumes, files_scanned, bytes_scanned: .bytes_scanned}" "$1"
}

test_expect_success 'scan image runs the image reader beside vigil, with fixed arguments' '
	test -x "$reader" &&
	expect_exit 1 strace -f -qq -s 4096 -e trace=execve -o ex.txt "$VIGIL" --json scan image \
		img/gpt.img >sb.json &&
	grep -q "execve(\"$reader\", \[\"$reader\", \"--fd\", \"3\", \"--memory-mb\", \"[0-9]*\"\]" ex.txt
'

test_expect_success 'the reader finds what reading inside vigil finds: threats, hashes, volumes, problems' '
	for img in gpt.img gpt.E01 ntfs.img; do
		expect_exit 1 vigil --json scan image img/$img --deleted >a.json &&
		expect_exit 1 env VIGIL_IMAGE=none "$VIGIL" --json scan image img/$img --deleted \
			>b.json 2>b.err &&
		grep -q "without the sandbox" b.err &&
		summary a.json >a.sum && summary b.json >b.sum &&
		diff a.sum b.sum && jq -e ".threats | length > 0" a.sum >/dev/null || exit 1
	done
'

test_expect_success 'its inventory and --list are the same as inside vigil' '
	expect_exit 1 vigil --json scan image img/gpt.img --inventory >ia.json &&
	expect_exit 1 env VIGIL_IMAGE=none "$VIGIL" --json scan image img/gpt.img --inventory \
		>ib.json 2>/dev/null &&
	a=$(jq .scan_id ia.json) && b=$(jq .scan_id ib.json) &&
	vigil report "$a" --format csv --out ia.csv && vigil report "$b" --format csv --out ib.csv &&
	grep -c "^file," ia.csv && diff <(grep "^file," ia.csv | cut -d, -f3- | sort) \
		<(grep "^file," ib.csv | cut -d, -f3- | sort) &&
	vigil --json scan image img/gpt.img --list >la.json &&
	VIGIL_IMAGE=none "$VIGIL" --json scan image img/gpt.img --list >lb.json 2>/dev/null &&
	diff la.json lb.json
'

test_expect_success 'health: the reader is available, with its sandbox' '
	vigil --json health >h.json &&
	jqt h.json ".image_reader.available == true and .image_reader.reader == \"$reader\"" &&
	jqt h.json ".image_reader.sandbox | split(\",\") | contains([\"net\", \"mount\", \"ro-root\", \"seccomp\"])"
'

test_expect_success 'no reader: exit 2 naming VIGIL_IMAGE=none; nothing recorded' '
	n=$(vigil --json scan list | jq ".scans | length") &&
	expect_exit 2 env VIGIL_IMAGE=/nonexistent/vigil-image "$VIGIL" scan image img/plain.img \
		>o.txt 2>e.txt &&
	grep -q "sandboxed image reader is missing" e.txt && grep -q "VIGIL_IMAGE=none" e.txt &&
	test "$(vigil --json scan list | jq ".scans | length")" = "$n"
'

# --- a reader that misbehaves ----------------------------------------------------------------
mkdir -p fake && cp "$VG_REPO/tests/e2e/helpers/fake_image_reader.py" fake/vigil-image
fake="env VIGIL_IMAGE=$T/fake/vigil-image $VIGIL"

test_expect_success 'a reader that dies reading a file is started again: that file is skipped with a problem, nothing is read or said twice' '
	echo crash >fake/mode &&
	{ bounded 60 1600 $fake --json scan image img/plain.img >c.json 2>c.err || true; } &&
	test "$rc" -eq 1 &&
	jqt c.json "[.threats[] | .path] == [\"fake:p0:/e.com\"] and .threats[0].name == \"EICAR_Test_File\"" &&
	jqt c.json "[.problems[] | select(.path == \"fake:p0:/next\") | .reason] == [\"the image reader was killed by SIGSEGV\"]" &&
	jqt c.json "[.problems[] | select(.reason == \"the image reader was killed by SIGSEGV; started again (1 of 3)\")] | length == 1" &&
	jqt c.json "[.problems[] | select(.reason == \"the image ends inside this volume\")] | length == 1" &&
	jqt c.json ".volumes[0].status == \"scanned\" and .files_scanned == 1"
'

test_expect_success 'a reader that dies every time is started again 3 times, then the volumes say why; exit 2' '
	echo crashloop >fake/mode &&
	{ bounded 60 1600 $fake --json scan image img/plain.img >cl.json 2>cl.err || true; } &&
	test "$rc" -eq 2 &&
	jqt cl.json "[.problems[] | .reason | select(test(\"started again\"))] | length == 3" &&
	jqt cl.json ".volumes[0].status == \"error\" and .volumes[0].reason == \"the image reader was killed by SIGSEGV\""
'

test_expect_success 'what a reader writes to its stderr reaches vigil'"'"'s escaped, a line at a time, named' '
	echo noisy >fake/mode &&
	$fake --json scan image img/plain.img >n.json 2>n.err &&
	cat -v n.err &&
	! grep -q "$(printf "\033")" n.err && ! grep -q "$(printf "\007")" n.err &&
	grep -q "^vigil: warning: vigil-image: .*title set" n.err &&
	test "$(grep -c "vigil-image: " n.err)" -eq 2
'

for m in "unsealed:an object not in a sealed memfd of its length" \
	 "overflow:more bytes in flight than were reserved" \
	 "garbage:a message shorter than its header" \
	 "badkind:a problem of no known kind"; do
	mode=${m%%:*} why=${m#*:}
	test_expect_success "a reader that sends what it should not ($mode) is killed; nothing of it is believed" '
		echo '"$mode"' >fake/mode &&
		{ bounded 60 1600 $fake --json scan image img/plain.img >v.json 2>v.err || true; } &&
		cat v.err &&
		jqt v.json ".threats == [] and .files_scanned == 0" &&
		jqt v.json "[.problems[] | select(.reason == \"the image reader sent what it should not: '"$why"'\")] | length == 1" &&
		jqt v.json ".volumes[0].status == \"error\"" &&
		test "$rc" -eq 2
	'
done

test_done
