#!/usr/bin/env bash
# contrib/ansible (issue 17): the example playbook passes --syntax-check (and a broken copy
# fails it); the role runs on this machine in check mode; its configuration step, run for real
# into this folder, writes a managed.json that vigil accepts (0644, the password in a 0600
# libpq password file that psql logs in with), or 0600 when the URL holds the password; an
# invalid schedule is refused by vigil's validation; the push step's changed_when reads
# `vigil --json fleet push` (a stand-in, and a real push when this vigil has fleet push); and
# no password ever shows in ansible's output.
#
# systemd is not PID 1 on these machines (ERRATA, issue 17): the service tasks are skipped by
# the role (service_mgr is not systemd) and say why; they are not exercised here.
. "$(dirname "$0")/lib.sh"
. "$VG_REPO/tests/e2e/helpers/pg.sh"

command -v ansible-playbook >/dev/null || { echo "skip: ansible-playbook not installed (make deps)"; exit 77; }
command -v dpkg-deb >/dev/null || { echo "skip: dpkg-deb not installed"; exit 77; }

# The cluster is started here, not in a case: a case runs in a subshell, whose exit would run
# pg.sh's trap (stop the cluster, remove this folder) at the end of the case.
have_pg=
if [ -x "${PG_BIN:-}/initdb" ] && command -v runuser >/dev/null; then
	# from /: the postgres user cannot enter this folder
	cd / && pg_start && cd "$T" || exit 1
	have_pg=1
fi

A=$VG_REPO/contrib/ansible
# ansible's own files stay in this folder; no colours, no ansible.cfg from elsewhere
export HOME=$T/home ANSIBLE_LOCAL_TEMP=$T/ansible-local ANSIBLE_REMOTE_TEMP=$T/ansible-remote
export ANSIBLE_NOCOLOR=1 ANSIBLE_CONFIG=$T/ansible.cfg
export ANSIBLE_RETRY_FILES_ENABLED=0
# facts gathered once and kept for the run's 18 plays (most of a play's time on this machine);
# the interpreter named, not discovered at every play
export ANSIBLE_GATHERING=smart ANSIBLE_CACHE_PLUGIN=jsonfile
export ANSIBLE_CACHE_PLUGIN_CONNECTION=$T/ansible-facts ANSIBLE_CACHE_PLUGIN_TIMEOUT=3600
export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
# ansible refuses any locale but UTF-8 ones (lib.sh sets C)
ap() { LC_ALL=C.UTF-8 ansible-playbook "$@"; }
unset ANSIBLE_FORCE_COLOR ANSIBLE_ROLES_PATH ANSIBLE_INVENTORY
mkdir -p "$HOME" && : >"$ANSIBLE_CONFIG"

# A placeholder package, not `make deb` (a build in the repository, minutes): check mode never
# installs, so the role only needs a .deb to copy and for apt to read. It is not vigil (another name, no files), so nothing real is at stake.
mkdir -p pkg/DEBIAN &&
	printf 'Package: vigil-ansible-placeholder\nVersion: 0.0.0\nArchitecture: all\nMaintainer: vigil tests <vigil@localhost>\nDescription: placeholder for the ansible test\n' >pkg/DEBIAN/control &&
	dpkg-deb --root-owner-group --build pkg placeholder.deb >/dev/null || exit 1

# The password, with the two characters a libpq password file must escape.
PW='S3cr:et\pw-'$$
# vars FILE [extra YAML lines]: the role's variables for this machine, every path in $T
vars() {
	local f=$1
	shift
	{
		cat <<-EOF
		vigil_target: localhost
		vigil_deb: $T/placeholder.deb
		vigil_deb_dir: $T/remote-deb
		vigil_config_dir: $T/etc
		vigil_binary: $VIGIL
		vigil_org_id: acme-ir
		vigil_push_interval: 120
		vigil_syslog: true
		vigil_scheduled_scans:
		  - {type: quick, time: "02:30", day: monday}
		  - {type: full, time: "03:00"}
		vigil_exclusions:
		  - {path: /srv/cache, is_directory: true}
		  - {extension: iso}
		  - {name: "*.tmp"}
		EOF
		printf '%s\n' "$@"
	} >"$f"
}
# play OUT ARGS...: ansible-playbook on this machine with the example playbook; rc is set
play() {
	local out=$1
	shift
	rc=0
	ap -i localhost, -c local "$@" "$A/site.yml" >"$out" 2>&1 || rc=$?
}
# recap OUT FIELD: the number after FIELD= in the play recap
recap() { sed -n "s/^localhost .* $2=\([0-9]*\).*/\1/p" "$1"; }
# nopw OUT: the password (nor its escaped form) is nowhere in OUT
nopw() {
	! grep -nF -e "$PW" -e 'S3cr\:et' -e 'S3cr:et' -e 'sekrit-url' "$1" ||
		{ echo "a password shows in $1" >&2; return 1; }
}

# --- syntax ---------------------------------------------------------------------------------
test_expect_success 'the example playbook and inventory pass --syntax-check' '
	ap -i "$A/inventory/hosts.ini" --syntax-check "$A/site.yml" >syntax.out 2>&1 ||
		{ cat syntax.out; exit 1; }
	grep -q "playbook: .*site.yml" syntax.out
'

test_expect_success 'a broken copy of the role fails --syntax-check, naming the mistake' '
	cp -r "$A" broken &&
	sed -i "0,/^  notify:/s//  notfiy:/" broken/roles/vigil/tasks/config.yml &&
	grep -q notfiy broken/roles/vigil/tasks/config.yml &&
	rc=0; ap -i "$A/inventory/hosts.ini" --syntax-check broken/site.yml >broken.out 2>&1 || rc=$?
	test "$rc" -ne 0 && grep -q notfiy broken.out
'

# --- check mode -----------------------------------------------------------------------------
vars v-pass.yml "vigil_fleet_database_url: postgresql://host_vm@db.example.org/vigil?sslmode=verify-full" \
	"vigil_fleet_password: '$PW'"

test_expect_success 'check mode (--check --diff) on this machine: succeeds, changes nothing, skips the service with its reason' '
	play check.out --check --diff -e @v-pass.yml
	cat check.out; test "$rc" -eq 0 &&
	test "$(recap check.out failed)" = 0 && test "$(recap check.out changed)" -ge 4 &&
	test ! -e "$T/etc" && test ! -e "$T/remote-deb" &&
	grep -q "not systemd: vigil.service is neither enabled nor started" check.out &&
	grep -q "\"push_interval\": 120" check.out && nopw check.out
'

test_expect_success 'check mode with the package already on the host: apt reads it and would install it' '
	mkdir -p remote-deb && cp placeholder.deb remote-deb/ &&
	play check2.out --check -e @v-pass.yml
	cat check2.out; test "$rc" -eq 0 &&
	sed -n "/TASK \[vigil : Install the package\]/,/^\$/p" check2.out | grep -q "^changed: \[localhost\]" &&
	! dpkg -s vigil-ansible-placeholder >/dev/null 2>&1 && nopw check2.out &&
	rm -r remote-deb
'

# --- the configuration, for real, into $T/etc ---------------------------------------------------
test_expect_success 'the configuration step writes managed.json (0644) and the password file (0600)' '
	play config.out --diff --tags vigil_config -e @v-pass.yml
	cat config.out; test "$rc" -eq 0 && nopw config.out &&
	m=$T/etc/managed.json && test "$(stat -c "%a %U" $m)" = "644 root" &&
	jqt $m ".org_id == \"acme-ir\" and .fleet.push_interval == 120 and .logging.syslog == true" &&
	jqt $m ".fleet.database_url == \"postgresql://host_vm@db.example.org/vigil?sslmode=verify-full&passfile=$T/etc/fleet.pgpass\"" &&
	jqt $m ".scheduled_scans == [{type: \"quick\", time: \"02:30\", day: \"monday\"}, {type: \"full\", time: \"03:00\"}]" &&
	jqt $m ".antivirus_engine.exclusions == [{path: \"/srv/cache\", is_directory: true}, {extension: \"iso\"}, {name: \"*.tmp\"}]" &&
	! grep -qF "S3cr" $m &&
	p=$T/etc/fleet.pgpass && test "$(stat -c "%a %U" $p)" = "600 root" &&
	test "$(cat $p)" = "*:*:*:*:S3cr\\:et\\\\pw-$$"
'

test_expect_success 'vigil reads the managed file: its keys are effective, with origin managed' '
	VIGIL_MANAGED_CONFIG=$T/etc/managed.json vigil config show >show.out &&
	grep -q "^org_id = acme-ir  (managed)" show.out &&
	grep -q "^fleet.push_interval = 120  (managed)" show.out &&
	grep -q "^scheduled_scans = .*02:30.*(managed)" show.out &&
	VIGIL_MANAGED_CONFIG=$T/etc/managed.json expect_exit 2 vigil config set org_id other 2>set.err &&
	grep -q "managed" set.err
'

test_expect_success 'a second run changes nothing' '
	play config2.out --tags vigil_config -e @v-pass.yml
	cat config2.out; test "$rc" -eq 0 && test "$(recap config2.out changed)" = 0
'

test_expect_success 'vigil validates the file before it replaces the old one: a bad schedule is refused' '
	vars v-bad.yml "vigil_fleet_database_url: postgresql://host_vm@db.example.org/vigil" &&
	sed -i "s/time: \"03:00\"/time: \"25:00\"/" v-bad.yml &&
	cp etc/managed.json before.json &&
	play bad.out --tags vigil_config -e @v-bad.yml
	cat bad.out; test "$rc" -ne 0 && grep -q "failed to validate" bad.out &&
	grep -q "scheduled_scans\[1\].time must be HH:MM" bad.out && cmp before.json etc/managed.json
'

if [ -n "$have_pg" ]; then
	test_expect_success 'libpq logs in with the written URL and password file (a throwaway cluster)' '
		(cd / && pg_psql "CREATE ROLE host_vm LOGIN PASSWORD '"'"'$PW'"'"'") &&
		vars v-pg.yml "vigil_fleet_database_url: \"$(pg_url host_vm)\"" "vigil_fleet_password: '"'"'$PW'"'"'" &&
		play pg.out --tags vigil_config -e @v-pg.yml
		cat pg.out; test "$rc" -eq 0 && nopw pg.out &&
		url=$(jq -r .fleet.database_url etc/managed.json) && case $url in *"&passfile=$T/etc/fleet.pgpass") ;; *) false ;; esac &&
		test "$("$PG_BIN/psql" -XAt "$url" -c "SELECT current_user")" = host_vm &&
		chmod 644 etc/fleet.pgpass && rc=0 && "$PG_BIN/psql" -XAt "$url" -c "SELECT 1" >bad.out 2>&1 || rc=$?
		test "$rc" -ne 0 && chmod 600 etc/fleet.pgpass
	'
else
	test_skip 'libpq logs in with the written URL and password file' 'PostgreSQL server not installed (make deps)'
fi

if [ -z "$have_pg" ]; then
	test_skip 'a real push through the role' 'PostgreSQL server not installed (make deps)'
elif ! vigil help 2>/dev/null | grep -q "vigil fleet push"; then
	test_skip 'a real push through the role' 'this vigil has no fleet push yet'
else
	test_expect_success 'a real push through the role: changed the first time, ok the second, the host in the database' '
		vigil fleet init --db "$FLEET_ADMIN" >init.out 2>&1 || { cat init.out; exit 1; }
		(cd / && pg_psql "GRANT vigil_push TO host_vm") &&
		mkdir -p pt && eicar pt/e.com && expect_exit 1 vigil -q scan custom pt >/dev/null &&
		VIGIL_MANAGED_CONFIG=$T/etc/managed.json play rp1.out --tags vigil_config,vigil_push -e @v-pg.yml
		cat rp1.out; test "$rc" -eq 0 && nopw rp1.out &&
		sed -n "/TASK \[vigil : Push to the fleet database\]/,/^\$/p" rp1.out | grep -q "^changed:" &&
		VIGIL_MANAGED_CONFIG=$T/etc/managed.json play rp2.out --tags vigil_config,vigil_push -e @v-pg.yml
		cat rp2.out; test "$rc" -eq 0 && nopw rp2.out && test "$(recap rp2.out changed)" = 0 &&
		vigil --json fleet hosts --db "$FLEET_ADMIN" >hosts.json &&
		jqt hosts.json "[.hosts[] | select(.org_id == \"acme-ir\")] | length == 1"
	'
fi

test_expect_success 'a password inside the URL: managed.json is 0600, the old password file goes, nothing shows the password' '
	vars v-url.yml "vigil_fleet_database_url: postgresql://host_vm:sekrit-url@db.example.org/vigil" &&
	play url.out --diff --tags vigil_config -e @v-url.yml
	cat url.out; test "$rc" -eq 0 && nopw url.out &&
	test "$(stat -c %a etc/managed.json)" = 600 && test ! -e etc/fleet.pgpass &&
	jqt etc/managed.json ".fleet.database_url == \"postgresql://host_vm:sekrit-url@db.example.org/vigil\"" &&
	play url2.out --check --diff -e @v-url.yml
	cat url2.out; test "$rc" -eq 0 && nopw url2.out
'

test_expect_success 'both a URL password and vigil_fleet_password: refused before any change, without showing either' '
	vars v-both.yml "vigil_fleet_database_url: postgresql://host_vm:sekrit-url@db.example.org/vigil" \
		"vigil_fleet_password: '"'"'$PW'"'"'" &&
	cp etc/managed.json before.json &&
	play both.out --tags vigil_config -e @v-both.yml
	cat both.out; test "$rc" -ne 0 && nopw both.out && grep -q "Check the role" both.out &&
	cmp before.json etc/managed.json
'

test_expect_success 'back from a URL password to the password file: the old password is not shown by the diff either' '
	test "$(stat -c %a etc/managed.json)" = 600 && grep -q sekrit-url etc/managed.json &&
	play back.out --diff --tags vigil_config -e @v-pass.yml
	cat back.out; test "$rc" -eq 0 && nopw back.out &&
	test "$(stat -c %a etc/managed.json)" = 644 && ! grep -q sekrit-url etc/managed.json &&
	test "$(stat -c %a etc/fleet.pgpass)" = 600
'

# --- the push step, with a stand-in for `vigil --json fleet push` ---------------------------------
# The contract is its output: {"sent": {"hosts": N, "scans": N, "threats": N, ...}}, and
# {"changed": {...}} (the rows the database took as new or different) where it has it.
cat >fake-vigil <<'EOF'
#!/bin/sh
[ "$*" = "--json fleet push" ] || { echo "fake-vigil: unexpected: $*" >&2; exit 2; }
[ -n "${FAKE_PUSH_FAIL:-}" ] && { echo "vigil: cannot connect to the fleet database" >&2; exit 2; }
printf '%s\n' "$FAKE_PUSH_OUT"
EOF
chmod 755 fake-vigil
vars v-push.yml "vigil_fleet_database_url: postgresql://host_vm@db.example.org/vigil"
# push OUT JSON: the push step alone, the stand-in printing JSON; shows OUT
push() { FAKE_PUSH_OUT=$2 play "$1" --tags vigil_push -e @v-push.yml -e vigil_binary=$T/fake-vigil; cat "$1"; }

test_expect_success 'the push step is changed when rows were sent, ok when only the host row was' '
	push push1.out "{\"sent\": {\"hosts\": 1, \"scans\": 3, \"threats\": 2, \"problems\": 0}}" &&
	test "$rc" -eq 0 && test "$(recap push1.out changed)" = 1 &&
	push push0.out "{\"sent\": {\"hosts\": 1, \"scans\": 0, \"threats\": 0}}" &&
	test "$rc" -eq 0 && test "$(recap push0.out changed)" = 0
'

test_expect_success 'with "changed" in the output, the push step follows it, not "sent"' '
	push pushc0.out "{\"database\": \"db\", \"sent\": {\"hosts\": 1, \"scans\": 1, \"threats\": 1}, \"changed\": {\"scans\": 0, \"threats\": 0}}" &&
	test "$rc" -eq 0 && test "$(recap pushc0.out changed)" = 0 &&
	push pushc1.out "{\"database\": \"db\", \"sent\": {\"hosts\": 1, \"scans\": 1, \"threats\": 1}, \"changed\": {\"scans\": 0, \"threats\": 1}}" &&
	test "$rc" -eq 0 && test "$(recap pushc1.out changed)" = 1
'

test_expect_success 'a push that fails fails the play, with vigil'"'"'s message' '
	FAKE_PUSH_FAIL=1 play pushf.out --tags vigil_push -e @v-push.yml -e vigil_binary=$T/fake-vigil
	cat pushf.out; test "$rc" -ne 0 && test "$(recap pushf.out failed)" = 1 &&
	grep -q "cannot connect to the fleet database" pushf.out
'

test_done
