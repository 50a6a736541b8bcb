#!/usr/bin/env bash
# Security (issue 24): the state folder is trusted only when it deserves it. vigil-attacker,
# an unprivileged local user, prepares the state folder root's vigil will use (as README's
# old `--state-dir /tmp/vs` invited): a config.json that excludes their malware, an empty
# vigil.db to read root's history, a compiled rules file whose EICAR rule is
# `condition: false`, a vigil.log that is a symbolic link to a root file. What stops each:
# every folder from / down to the state folder must be root's or ours and not writable by
# others (sticky folders on the way excepted; the state folder never), every state file is
# opened without following links and must be root's or ours, and compiled rules are loaded
# only when their SHA-256 is the one recorded in the store when vigil saved them.
. "$(dirname "$0")/lib.sh"
T=$(pwd -P) # vigil names resolved paths

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	echo "skip: needs root and setpriv"
	exit 77
fi
attacker_user || exit 1
chmod 755 "$T" # the attacker reaches $T/tmp through $T

# $T/tmp stands for /tmp: root's, sticky, writable by everyone.
mkdir tmp && chmod 1777 tmp
# The attacker's malware, in a folder of theirs.
as_attacker mkdir tmp/evil && as_attacker sh -c "$(declare -f eicar); eicar tmp/evil/x.com" || exit 1

test_expect_success 'the positive control: a state folder made with install -d -m 700 in the sticky folder works; EICAR found' '
	install -d -m 700 tmp/safe &&
	r=0; "$VIGIL" --state-dir "$T/tmp/safe" scan custom tmp/evil >out 2>err || r=$?
	cat out err; test "$r" -eq 1 && grep -q EICAR out
'

# --- 1. config.json in a state folder the attacker made ------------------------------------
as_attacker mkdir tmp/vs
as_attacker sh -c "printf '%s\n' '{\"antivirus_engine\": {\"exclusions\": [{\"path\": \"$T/tmp/evil\", \"is_directory\": true}]}}' >tmp/vs/config.json"

test_expect_success 'attack: the user pre-creates the state folder with a config.json excluding their EICAR; stopped: the folder is not root'"'"'s, vigil exits 2 naming it' '
	r=0; "$VIGIL" --state-dir "$T/tmp/vs" scan custom tmp/evil >out 2>err || r=$?
	cat out err; test "$r" -eq 2 &&
	grep -q "state folder '"'"'$T/tmp/vs'"'"' is refused: it is owned by uid $ATTACKER_UID, not by root or you (chown root" err &&
	! grep -qi "excluded" out && test ! -e tmp/vs/vigil.db
'

test_expect_success 'the same attack through $VIGIL_STATE_DIR and for a command that only reads the configuration: refused' '
	r=0; VIGIL_STATE_DIR=$T/tmp/vs "$VIGIL" config get antivirus_engine.exclusions >out 2>err || r=$?
	cat out err; test "$r" -eq 2 && grep -q "is refused" err
'

test_expect_success 'attack: a symbolic link of the user'"'"'s pointing to a root-owned state folder; stopped: the link is not followed' '
	as_attacker ln -s "$T/tmp/safe" tmp/link &&
	r=0; "$VIGIL" --state-dir "$T/tmp/link" scan custom tmp/evil >out 2>err || r=$?
	cat out err; test "$r" -eq 2 && grep -q "symbolic link '"'"'$T/tmp/link'"'"' on the way is owned by uid $ATTACKER_UID" err
'

test_expect_success 'a state folder others can write (0777, even root'"'"'s): refused with the fix (chmod go-w)' '
	install -d -m 777 tmp/open &&
	r=0; "$VIGIL" --state-dir "$T/tmp/open" scan custom tmp/evil >out 2>err || r=$?
	cat out err; test "$r" -eq 2 && grep -q "others can write it (mode 0777).*chmod go-w" err &&
	test ! -e tmp/open/vigil.db
'

test_expect_success 'a folder on the way others can write that is not sticky: refused, naming that folder' '
	install -d -m 777 tmp/shared && install -d -m 700 tmp/shared/state &&
	r=0; "$VIGIL" --state-dir "$T/tmp/shared/state" scan custom tmp/evil >out 2>err || r=$?
	cat out err; test "$r" -eq 2 && grep -q "the folder '"'"'$T/tmp/shared'"'"' on the way, which is not sticky" err
'

# --- 2. an empty vigil.db of the attacker's ------------------------------------------------
as_attacker mkdir tmp/vdb
as_attacker touch tmp/vdb/vigil.db

test_expect_success 'attack: the user pre-creates the state folder with an empty vigil.db to read root'"'"'s history; stopped: refused, nothing written to it' '
	r=0; "$VIGIL" --state-dir "$T/tmp/vdb" scan custom tmp/evil >out 2>err || r=$?
	cat out err; test "$r" -eq 2 && grep -q "is refused" err && test ! -s tmp/vdb/vigil.db
'

test_expect_success 'the same vigil.db after root took the folder (chown root, chmod 700): the user'"'"'s file is still refused by name' '
	chown root:root tmp/vdb && chmod 700 tmp/vdb &&
	r=0; "$VIGIL" --state-dir "$T/tmp/vdb" scan custom tmp/evil >out 2>err || r=$?
	cat out err; test "$r" -eq 2 &&
	grep -q "state file '"'"'$T/tmp/vdb/vigil.db'"'"' is refused: it is owned by uid $ATTACKER_UID" err &&
	test ! -s tmp/vdb/vigil.db
'

# --- 3. planted compiled rules --------------------------------------------------------------
test_expect_success 'attack: a compiled rules file with `condition: false` in place of the real one; stopped: its SHA-256 is not the one recorded, the rules are compiled again and EICAR is found' '
	install -d -m 700 yarc &&
	expect_exit 1 "$VIGIL" --state-dir "$T/yarc" -q scan custom tmp/evil >/dev/null 2>&1 &&
	"$VIGIL" --state-dir "$T/yarc" sigdb info >info.before &&
	y=$(ls yarc/rules-*.yarc) && test -n "$y" &&
	# a valid compiled file: vigil'"'"'s own rules, with the EICAR rule disarmed
	printf "rule EICAR_Test_File { condition: false }\n" >planted.yar &&
	"$VIGIL" --state-dir "$T/yarcp" sigdb import planted.yar >/dev/null 2>&1
	p=$(ls yarcp/rules-*.yarc) && test -n "$p" &&
	cp "$p" "$y" && chmod 600 "$y" && before=$(sha "$y") &&
	r=0; "$VIGIL" --state-dir "$T/yarc" scan custom tmp/evil >out 2>err || r=$?
	cat out err; test "$r" -eq 1 && grep -q EICAR out &&
	grep -q "compiled rules .* not loaded: its SHA-256 .* is not the one recorded" err &&
	test "$(sha "$y")" != "$before" &&
	"$VIGIL" --state-dir "$T/yarc" sigdb info >info.after &&
	grep -E "^(sig_version|rules|rules_digest|compiled size):" info.before >k.before &&
	grep -E "^(sig_version|rules|rules_digest|compiled size):" info.after >k.after &&
	test "$(wc -l <k.after)" -eq 4 && cmp k.before k.after
'

test_expect_success 'the compiled rules file replaced by a symbolic link: not followed; compiled again, the link replaced by a file' '
	y=$(ls yarc/rules-*.yarc) && echo "root file" >rootfile && s=$(sha rootfile) &&
	rm -f "$y" && ln -s "$T/rootfile" "$y" &&
	r=0; "$VIGIL" --state-dir "$T/yarc" scan custom tmp/evil >out 2>err || r=$?
	cat out err; test "$r" -eq 1 && grep -q EICAR out && grep -q "symbolic link (not followed" err &&
	test ! -L "$y" && test -f "$y" && test "$(sha rootfile)" = "$s"
'

test_expect_success 'a genuine compiled file is loaded as it is (no warning, not rewritten)' '
	y=$(ls yarc/rules-*.yarc) && i=$(stat -c %i "$y") &&
	r=0; "$VIGIL" --state-dir "$T/yarc" scan custom tmp/evil >out 2>err || r=$?
	cat out err; test "$r" -eq 1 && ! grep -q "not loaded" err && test "$(stat -c %i "$y")" = "$i"
'

# --- 4. vigil.log a symbolic link -----------------------------------------------------------
# run_daemon DIR: vigil daemon on DIR (real-time protection off: the scheduler) until it has
# started, then SIGTERM; its stderr in daemon.err.
run_daemon() {
	local pid i=0
	"$VIGIL" --state-dir "$1" daemon >daemon.out 2>daemon.err &
	pid=$!
	while [ "$i" -lt 100 ] && kill -0 "$pid" 2>/dev/null && ! grep -q "daemon started" daemon.err "$1/vigil.log" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
}

test_expect_success 'attack: vigil.log a symbolic link to a root file; stopped: the daemon does not follow it, the target is untouched' '
	install -d -m 700 logst && "$VIGIL" --state-dir "$T/logst" -q scan list >/dev/null &&
	printf "root:x:0:0\n" >target && chmod 600 target && s=$(sha target) &&
	ln -s "$T/target" logst/vigil.log &&
	run_daemon "$T/logst"; cat daemon.err
	test "$(sha target)" = "$s" && test -L logst/vigil.log &&
	grep -q "vigil.log'"'"' is refused: it is a symbolic link (not followed" daemon.err
'

test_expect_success 'diagnostic create does not read a vigil.log link either: the target is not in the bundle' '
	r=0; "$VIGIL" --state-dir "$T/logst" diagnostic create --out "$T/d.zip" >out 2>err || r=$?
	cat out err; test "$r" -eq 0 && ! unzip -p d.zip vigil.log 2>/dev/null | grep -q "root:x"
'

test_expect_success 'events.jsonl a symbolic link: the daemon does not append through it' '
	printf "keep\n" >evtarget && s=$(sha evtarget) &&
	rm -f logst/events.jsonl && ln -s "$T/evtarget" logst/events.jsonl &&
	run_daemon "$T/logst"; cat daemon.err
	test "$(sha evtarget)" = "$s" && test -L logst/events.jsonl
'

test_done
