#!/usr/bin/env bash
# Command-line errors and the small commands: bad config, unknown commands and options,
# help and version, an unusable state folder, config get/set.
. "$(dirname "$0")/lib.sh"

# Mount points made here are undone even if the script stops early.
trap 'umount "$T/rostate" 2>/dev/null; cleanup' EXIT

# run_rc OUT ERR command...: runs the command and prints its exit code (never fails).
run_rc() { local o=$1 e=$2 rc=0; shift 2; "$@" >"$o" 2>"$e" || rc=$?; echo $rc; }

mkdir -p tree && echo hello >tree/a.txt

# A trailing comma: jansson reports it at line 4, column 3 (the closing brace).
printf '{\n  "antivirus_engine": {\n    "max_archive_depth": 3,\n  }\n}\n' >bad.json
test_expect_success 'invalid config JSON exits 2 with file:line:column' '
	rc=$(run_rc out err vigil --config bad.json scan custom tree) &&
	cat err &&
	test "$rc" -eq 2 &&
	grep -qE "bad\.json:4:[0-9]+:" err &&
	test ! -s out
'

test_expect_success 'invalid config JSON from VIGIL_CONFIG and with config show also exit 2' '
	rc=$(VIGIL_CONFIG=$T/bad.json run_rc out err vigil config show) &&
	test "$rc" -eq 2 &&
	grep -qE "bad\.json:4:[0-9]+:" err
'

printf '{"antivirus_engine": {"max_archive_depth": "deep"}}\n' >wrongtype.json
test_expect_success 'a config value of the wrong type exits 2 naming the key' '
	rc=$(run_rc out err vigil --config wrongtype.json scan custom tree) &&
	cat err &&
	test "$rc" -eq 2 &&
	grep -q "max_archive_depth" err
'

test_expect_success 'an unknown command exits 2 naming it' '
	rc=$(run_rc out err vigil frobnicate) &&
	test "$rc" -eq 2 &&
	grep -q "frobnicate" err
'

test_expect_success 'an unknown global option exits 2 naming it' '
	rc=$(run_rc out err vigil --frobnicate scan custom tree) &&
	test "$rc" -eq 2 &&
	grep -q -- "--frobnicate" err
'

test_expect_success 'an unknown scan option exits 2 naming it and does not scan' '
	rc=$(run_rc out err vigil scan custom --frobnicate tree) &&
	test "$rc" -eq 2 &&
	grep -q -- "--frobnicate" err &&
	! grep -q "SCAN SUMMARY" out
'

test_expect_success 'a bad option value (--threads abc) exits 2' '
	rc=$(run_rc out err vigil scan custom --threads abc tree) &&
	test "$rc" -eq 2 &&
	test -s err
'

test_expect_success 'no command at all exits 2 with the usage' '
	rc=$(run_rc out err vigil) &&
	test "$rc" -eq 2 &&
	cat out err | grep -q "usage: vigil"
'

test_expect_success '--help exits 0 and lists the commands' '
	rc=$(run_rc out err vigil --help) &&
	test "$rc" -eq 0 &&
	grep -q "usage: vigil" out &&
	grep -q "scan custom PATH" out &&
	grep -q "sigdb import" out &&
	grep -q "exclusion explain" out
'

test_expect_success 'vigil help scan exits 0 and shows the scan commands only' '
	rc=$(run_rc out err vigil help scan) &&
	test "$rc" -eq 0 &&
	grep -q "scan custom PATH" out &&
	grep -q -- "--max-recursion" out &&
	! grep -q "sigdb import" out
'

test_expect_success 'vigil help of an unknown command exits 2' '
	rc=$(run_rc out err vigil help frobnicate) &&
	test "$rc" -eq 2 &&
	grep -q "frobnicate" err
'

test_expect_success '--version exits 0 and prints the version' '
	rc=$(run_rc out err vigil --version) &&
	test "$rc" -eq 0 &&
	grep -qE "^vigil [0-9]+\.[0-9]+\.[0-9]+" out
'

touch plainfile
test_expect_success 'a state folder under a regular file exits 2 naming it' '
	rc=$(run_rc out err vigil --state-dir plainfile/state scan custom tree) &&
	cat err &&
	test "$rc" -eq 2 &&
	grep -q "plainfile/state" err
'

test_expect_success 'VIGIL_STATE_DIR under a regular file exits 2 naming it' '
	rc=$(VIGIL_STATE_DIR=$T/plainfile/st run_rc out err vigil scan list) &&
	test "$rc" -eq 2 &&
	grep -q "plainfile/st" err
'

mkdir -p rostate
if mount -t tmpfs -o ro,mode=0700 vigil-e2e rostate 2>/dev/null; then
	test_expect_success 'a read-only state folder exits 2 naming it' '
		rc=$(run_rc out err vigil --state-dir rostate scan custom tree) &&
		cat err &&
		test "$rc" -eq 2 &&
		grep -q "rostate" err &&
		grep -qi "read-only" err
	'
	test_expect_success 'a state folder that cannot be created (read-only parent) exits 2 naming it' '
		rc=$(run_rc out err vigil --state-dir rostate/sub sigdb list) &&
		test "$rc" -eq 2 &&
		grep -q "rostate/sub" err
	'
	umount rostate
else
	test_skip 'a read-only state folder exits 2 naming it' 'cannot mount a read-only tmpfs'
fi

test_expect_success 'config get of an unknown key exits 2 naming it' '
	rc=$(run_rc out err vigil config get no.such.key) &&
	test "$rc" -eq 2 &&
	grep -q "no.such.key" err
'

test_expect_success 'config set of an unknown key or a bad value exits 2 and writes nothing' '
	rc=$(run_rc out err vigil config set no.such.key 1) &&
	test "$rc" -eq 2 &&
	grep -q "no.such.key" err &&
	rc=$(run_rc out err vigil config set antivirus_engine.max_archive_depth abc) &&
	test "$rc" -eq 2 &&
	grep -q "max_archive_depth" err &&
	test "$(vigil config get antivirus_engine.max_archive_depth)" = 8
'

test_expect_success 'config set then config get round-trips and lands in <state>/config.json' '
	vigil config set antivirus_engine.max_archive_depth 5 &&
	test "$(vigil config get antivirus_engine.max_archive_depth)" = 5 &&
	vigil --json config get antivirus_engine.max_archive_depth >out.json &&
	jq -e ".value == 5 and .origin == \"local\"" out.json &&
	jq -e ".antivirus_engine.max_archive_depth == 5" "$VIGIL_STATE_DIR/config.json" &&
	vigil config show >out &&
	grep -q "antivirus_engine.max_archive_depth = 5" out
'

test_expect_success 'a --config or VIGIL_CONFIG file that is missing or unreadable: exit 2 naming it' '
	rc=$(run_rc out err vigil --config /no/such/file.json config show) &&
	test "$rc" -eq 2 && test ! -s out && grep -qF "/no/such/file.json" err &&
	rc=$(VIGIL_CONFIG=$T/nosuch.json run_rc out err vigil scan custom tree) &&
	test "$rc" -eq 2 && grep -qF "$T/nosuch.json" err &&
	mkdir -p cfgdir && rc=$(run_rc out err vigil --config cfgdir config get org_id) &&
	test "$rc" -eq 2 && grep -qF "cfgdir" err &&
	rc=$(run_rc out err vigil --config tree/a.txt/c.json config show) &&
	test "$rc" -eq 2 && grep -qF "tree/a.txt/c.json" err
'

# One source of defaults: the key table (core/config.c) is what config show prints; the
# defaults the README states, and the keys it names, must follow it.
test_expect_success 'every key of config show is named in the README, and the defaults it states are these' '
	vigil --json config show >defaults.json &&
	python3 - "$VG_REPO/README.md" defaults.json <<-"PY"
	import json, re, sys
	readme = open(sys.argv[1]).read()
	cfg = json.load(open(sys.argv[2]))
	flat = {}
	def walk(o, pre):
	    for k, v in o.items():
	        if isinstance(v, dict):
	            walk(v, pre + k + ".")
	        else:
	            flat[pre + k] = v
	walk(cfg, "")
	bad, checked = [], 0
	for key, val in sorted(flat.items()):
	    short = key.rsplit(".", 1)[-1]
	    names = {key, short}
	    if key not in readme and "`%s`" % short not in readme:
	        bad.append("%s: not named in the README" % key)
	    for n in names:
	        for m in re.finditer(r"`%s`([^`]{0,40}?)\((?:default )?([0-9][0-9,]*|/)( MiB)?\)" % re.escape(n), readme):
	            if "`" in m.group(1):
	                continue
	            said = m.group(2)
	            if said != "/":
	                said = int(said.replace(",", "")) * (1048576 if m.group(3) else 1)
	            checked += 1
	            print("%s: %s" % (key, said))
	            if said != val:
	                bad.append("%s: the README says %s, the default is %s" % (key, said, val))
	# "(default X)" right after a command that names the key in a comment
	for m in re.finditer(r"# (filesystem_scanner\.full_scan_directory) \(default ([^)]+)\)", readme):
	    checked += 1
	    if m.group(2) != flat[m.group(1)]:
	        bad.append("%s: the README says %s, the default is %s" % (m.group(1), m.group(2), flat[m.group(1)]))
	print("%d stated defaults checked" % checked)
	for b in bad:
	    print(b)
	sys.exit(1 if bad or checked < 5 else 0)
	PY
'

test_expect_success 'config set with --config writes that file, not the state one' '
	vigil --config mine.json config set antivirus_engine.archive_max_bytes 12345 &&
	jq -e ".antivirus_engine.archive_max_bytes == 12345" mine.json &&
	test "$(vigil --config mine.json config get antivirus_engine.archive_max_bytes)" = 12345 &&
	test "$(vigil config get antivirus_engine.archive_max_bytes)" != 12345
'

test_expect_success 'a scan with a path that does not exist exits 2 naming it' '
	rc=$(run_rc out err vigil scan custom tree no-such-path) &&
	test "$rc" -eq 2 &&
	grep -q "no-such-path" err
'

test_expect_success 'config set refuses an exclusion entry without path, extension or name' '
	rc=$(run_rc out err vigil config set antivirus_engine.exclusions "[{\"bogus\": 1}]") &&
	echo "config set exited $rc: $(cat err)" &&
	rc2=$(run_rc out2 err2 vigil scan custom tree) &&
	echo "a scan afterwards exited $rc2: $(cat err2)" &&
	vigil config set antivirus_engine.exclusions "[]" &&
	test "$rc" -eq 2 && grep -q "exclusions" err &&
	test "$rc2" -eq 0
'

test_done
