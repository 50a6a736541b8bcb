#!/usr/bin/env bash
# vigil fleet: two hosts meet in one PostgreSQL database (a throwaway cluster, unix socket
# only), one by push and one by export/import; idempotence; a tampered and a truncated file;
# the database stopped in the middle of a push; 20 hosts at once; a hostile path; roles.
. "$(dirname "$0")/lib.sh"
. "$VG_REPO/tests/e2e/helpers/pg.sh"

pg_start
mkdir -p t && eicar t/e.com
A="--state-dir $T/a" B="--state-dir $T/b"
rows() { pg_psql "SELECT count(*) FROM vigil.$1"; }

test_expect_success 'fleet push before fleet init: exit 2, naming the server and what to run' '
	pg_host_role host_a &&
	expect_exit 1 vigil $A -q scan custom t &&
	expect_exit 2 vigil $A fleet push --db "$(pg_url host_a host_a-pw)" 2>err &&
	grep -q "host_a@$PG_SOCK:$PG_PORT/fleet" err && grep -q "fleet init" err &&
	test -z "$(sqlite3 a/vigil.db "SELECT value FROM meta WHERE key = '"'"'fleet.push.rev'"'"'")"
'
test_expect_success 'fleet init creates the schema and roles, and a second run changes nothing' '
	vigil --json fleet init --db "$FLEET_ADMIN" >init.json &&
	jq -e ".schema_version == 1 and .schema_from == 0" init.json &&
	vigil --json fleet init --db "$FLEET_ADMIN" >init2.json &&
	jq -e ".schema_from == 1" init2.json &&
	test "$(pg_psql "SELECT count(*) FROM pg_roles WHERE rolname IN ('"'"'vigil_push'"'"', '"'"'vigil_read'"'"', '"'"'vigil_import'"'"')")" = 3 &&
	pg_psql "GRANT vigil_push TO host_a"
'
test_expect_success 'three fleet init at the same moment on a new database apply the schema once' '
	pg_psql "CREATE DATABASE fleet2" &&
	url2=$(pg_url postgres | sed "s|/fleet?|/fleet2?|") &&
	for i in 1 2 3; do vigil --json fleet init --db "$url2" >"init-c$i.json" & done; wait &&
	for i in 1 2 3; do jq -e ".schema_version == 1" "init-c$i.json" || return 1; done &&
	test "$(jq -s "map(.schema_from) | sort" init-c1.json init-c2.json init-c3.json | jq -c .)" = "[0,1,1]" &&
	test "$(as_pg "$PG_BIN/psql" -qXAt -h "$PG_SOCK" -p "$PG_PORT" -d fleet2 -c "SELECT count(*) FROM vigil.schema_version")" = 1
'
test_expect_success 'a wrong password: exit 2 naming the server and the reason; nothing moves' '
	expect_exit 2 vigil $A fleet push --db "$(pg_url host_a wrong)" 2>err &&
	grep -q "host_a@" err && grep -q "password authentication failed" err &&
	! grep -q wrong err
'
test_expect_success 'host A pushes: its host, scan and threat are in the database' '
	vigil $A config set org_id acme &&
	vigil $A --json fleet push --db "$(pg_url host_a host_a-pw)" >p1.json &&
	jq -e ".sent.hosts == 1 and .sent.scans == 1 and .sent.threats == 1 and .changed.threats == 1" p1.json &&
	test "$(rows threats)" = 1 && test "$(rows scans)" = 1 &&
	guid_a=$(vigil $A health --field machine_guid) &&
	test "$(pg_psql "SELECT org_id FROM vigil.hosts WHERE machine_guid = '"'"'$guid_a'"'"'")" = acme
'
test_expect_success 'a second push sends only what is new, and adds nothing twice' '
	vigil $A --json fleet push --db "$(pg_url host_a host_a-pw)" >p2.json &&
	jq -e ".sent.scans == 0 and .sent.threats == 0" p2.json &&
	test "$(rows threats)" = 1 &&
	sqlite3 a/vigil.db "DELETE FROM meta WHERE key LIKE '"'"'fleet.push.%'"'"'" &&
	vigil $A --json fleet push --db "$(pg_url host_a host_a-pw)" >p3.json &&
	jq -e ".sent.threats == 1 and .changed.threats == 0 and .changed.scans == 0" p3.json &&
	test "$(rows threats)" = 1 && test "$(rows scans)" = 1
'
test_expect_success 'host B carries its findings in a file: export, import, import again' '
	expect_exit 1 vigil $B -q scan custom t &&
	vigil $B --json fleet export --out b.vfe >e1.json &&
	jq -e ".sent.threats == 1" e1.json && test "$(jq -r .sha256 e1.json)" != null &&
	test "$(stat -c %a b.vfe)" = 600 &&
	vigil --json fleet import b.vfe --db "$FLEET_ADMIN" >i1.json &&
	jq -e ".loaded.threats == 1 and .changed.threats == 1" i1.json &&
	vigil --json fleet import b.vfe --db "$FLEET_ADMIN" >i2.json &&
	jq -e ".changed.threats == 0 and .changed.scans == 0" i2.json &&
	test "$(rows threats)" = 2 && test "$(rows hosts)" = 2 &&
	vigil $B --json fleet export --out b2.vfe >e2.json && jq -e ".sent.threats == 0" e2.json
'
test_expect_success 'fleet threats --sha256 finds the file on both hosts, with their identity' '
	sum=$(sha t/e.com) &&
	vigil --json fleet threats --db "$FLEET_ADMIN" --sha256 "$sum" >ft.json &&
	jq -e ".threats | length == 2" ft.json &&
	jq -e "[.threats[].machine_guid] | sort == ([\"$(vigil $A health --field machine_guid)\", \"$(vigil $B health --field machine_guid)\"] | sort)" ft.json &&
	jq -e ".threats | all(.name == \"EICAR_Test_File\" and (.scan_id | type) == \"number\" and (.hostname | type) == \"string\" and (.detected_at | test(\"^20\")) and .path == \"$T/t/e.com\" and (.member | type) == \"array\")" ft.json &&
	vigil --json fleet threats --db "$FLEET_ADMIN" --host "$(vigil $A health --field machine_guid)" >fa.json &&
	jq -e ".threats | length == 1 and .[0].org_id == \"acme\"" fa.json &&
	vigil --json fleet threats --db "$FLEET_ADMIN" --name Nope >fn.json && jq -e ".threats == []" fn.json &&
	vigil --json fleet threats --db "$FLEET_ADMIN" --since 1h >fs.json && jq -e ".threats | length == 2" fs.json &&
	vigil --json fleet threats --db "$FLEET_ADMIN" --since 2099-01-01 >f9.json && jq -e ".threats == []" f9.json &&
	vigil --json fleet hosts --db "$FLEET_ADMIN" >fh.json && jq -e ".hosts | length == 2" fh.json &&
	expect_exit 2 vigil fleet threats --db "$FLEET_ADMIN" --since yesterdayish 2>err && grep -q "since\|timestamp" err
'
test_expect_success 'a tampered, a truncated, a resigned and a foreign file: exit 2, nothing imported' '
	expect_exit 1 vigil --state-dir "$T/c" -q scan custom t &&
	vigil --state-dir "$T/c" -q fleet export --out c.vfe &&
	before=$(rows threats) &&
	sed "s/EICAR_Test_File/EICAR_Test_Fil3/" c.vfe >tampered.vfe &&
	expect_exit 2 vigil fleet import tampered.vfe --db "$FLEET_ADMIN" 2>err1 && grep -q "SHA-256" err1 &&
	head -c $(( $(stat -c %s c.vfe) - 40 )) c.vfe >trunc.vfe &&
	expect_exit 2 vigil fleet import trunc.vfe --db "$FLEET_ADMIN" 2>err2 && grep -q "truncated" err2 &&
	head -n -1 c.vfe >noend.vfe &&
	expect_exit 2 vigil fleet import noend.vfe --db "$FLEET_ADMIN" 2>err3 && grep -q "no end line" err3 &&
	python3 - c.vfe forged.vfe <<-"EOF" &&
	import hashlib, json, sys
	lines = open(sys.argv[1], "rb").read().splitlines(keepends=True)
	body = b"".join(lines[:-1]).replace(b"EICAR_Test_File", b"EICAR_Test_Fil3")
	end = json.loads(lines[-1]); end["end"]["sha256"] = hashlib.sha256(body).hexdigest()
	open(sys.argv[2], "wb").write(body + json.dumps(end).encode() + b"\n")
	EOF
	expect_exit 2 vigil fleet import forged.vfe --db "$FLEET_ADMIN" 2>err4 && grep -q "signature" err4 &&
	mkfifo fifo.vfe && expect_exit 2 timeout 10 "$VIGIL" fleet import fifo.vfe --db "$FLEET_ADMIN" 2>err5 &&
	grep -q "not a regular file" err5 &&
	test "$(rows threats)" = "$before" && test "$(rows hosts)" = 2
'
test_expect_success 'a role that did not register a host cannot write its rows; a reader cannot push' '
	pg_host_role host_x &&
	cp -a a x && rm -f x/vigil.db-wal x/vigil.db-shm &&
	sqlite3 x/vigil.db "DELETE FROM meta WHERE key LIKE '"'"'fleet.push.%'"'"'" &&
	expect_exit 2 vigil --state-dir "$T/x" fleet push --db "$(pg_url host_x host_x-pw)" 2>err &&
	grep -q "belongs to role host_a" err &&
	pg_psql "CREATE ROLE analyst LOGIN PASSWORD '"'"'analyst-pw'"'"' IN ROLE vigil_read" &&
	vigil --json fleet threats --db "$(pg_url analyst analyst-pw)" >ra.json && jq -e ".threats | length >= 2" ra.json &&
	expect_exit 2 vigil $A fleet push --db "$(pg_url analyst analyst-pw)" 2>err2 && grep -q "permission denied" err2
'
test_expect_success 'the database stopped in the middle of a push: exit 2, then the next push sends it all' '
	for i in 1 2 3 4 5 6; do cp t/e.com t/e$i.com; done &&
	expect_exit 1 vigil $A -q scan custom t &&
	before=$(rows threats) &&
	( as_pg "$PG_BIN/psql" -qX -h "$PG_SOCK" -p "$PG_PORT" -d fleet \
		-c "BEGIN; LOCK TABLE vigil.threats IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30);" \
		>/dev/null 2>&1 & ) &&
	sleep 1 &&
	{ vigil $A fleet push --db "$(pg_url host_a host_a-pw)" >mid.out 2>mid.err & pid=$!; } &&
	sleep 2 && pg_psql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = '"'"'Lock'"'"'" | grep -q 1 &&
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null &&
	rc=0 && wait $pid || rc=$? && test "$rc" -eq 2 && grep -q "fleet database" mid.err &&
	expect_exit 2 vigil $A fleet push --db "$(pg_url host_a host_a-pw)" 2>down.err &&
	grep -q "cannot connect" down.err &&
	pg_restart && test "$(rows threats)" = "$before" &&
	vigil $A --json fleet push --db "$(pg_url host_a host_a-pw)" >after.json &&
	test "$(rows threats)" = $((before + 7)) &&
	jq -e ".sent.threats == 7" after.json
'
test_expect_success 'a hostile path keeps its exact bytes through push and query' '
	mkdir -p h && name=$(printf "h/a\nb\"c\\\\d]\377e.com") && cp t/e.com "$name" &&
	expect_exit 1 vigil $A -q scan custom h &&
	vigil $A -q fleet push --db "$(pg_url host_a host_a-pw)" &&
	want=$(printf "%s" "$T/$name" | od -An -tx1 | tr -d " \n") &&
	test "$(pg_psql "SELECT encode(path, '"'"'hex'"'"') FROM vigil.threats WHERE doc->>'"'"'path_b64'"'"' IS NOT NULL")" = "$want" &&
	vigil --json fleet threats --db "$FLEET_ADMIN" --host "$(vigil $A health --field machine_guid)" >hp.json &&
	jq -r ".threats[] | select(.path_b64) | .path_b64" hp.json | base64 -d | od -An -tx1 | tr -d " \n" >got &&
	test "$(cat got)" = "$want"
'
test_expect_success 'an image scan names the system on the disk, beside the host that scanned it' '
	mkdir -p sys/etc && printf "0123456789abcdef0123456789abcdef\n" >sys/etc/machine-id &&
	echo seized01 >sys/etc/hostname && cp t/e.com sys/e.com &&
	truncate -s 8M img.ext4 && mkfs.ext4 -q -F -d sys img.ext4 &&
	expect_exit 1 vigil --state-dir "$T/i" -q scan image img.ext4 &&
	vigil --state-dir "$T/i" -q fleet push --db "$(pg_url host_a host_a-pw)" &&
	vigil --json fleet threats --db "$FLEET_ADMIN" --host "$(vigil --state-dir "$T/i" health --field machine_guid)" >si.json &&
	jq -e ".threats | length == 1 and .[0].system.machine_id == \"0123456789abcdef0123456789abcdef\" and .[0].system.hostname == \"seized01\"" si.json &&
	jq -e "[.threats[] | select(.machine_guid != \"$(vigil --state-dir "$T/i" health --field machine_guid)\") | .system] | all(. == null)" ft.json
'
test_expect_success '20 hosts push at the same moment: every one arrives once' '
	pg_host_role lab &&
	expect_exit 1 vigil --state-dir "$T/h0" -q scan custom t/e.com &&
	for i in $(seq 1 20); do
		cp -a h0 "h$i" && rm -f "h$i/fleet-host.key" &&
		sqlite3 "h$i/vigil.db" "UPDATE meta SET value = '"'"'$(cat /proc/sys/kernel/random/uuid)'"'"' WHERE key = '"'"'machine_guid'"'"'" || return 1
	done &&
	before=$(rows threats) &&
	for i in $(seq 1 20); do vigil --state-dir "$T/h$i" -q fleet push --db "$(pg_url lab lab-pw)" >"push$i.out" 2>&1 & done; wait &&
	test "$(rows threats)" = $((before + 20)) &&
	test "$(pg_psql "SELECT count(*) FROM vigil.hosts WHERE owner = '"'"'lab'"'"'")" = 20
'
test_expect_success 'config show and the diagnostic bundle never show the database password' '
	vigil $A config set fleet.database_url "$(pg_url host_a s3cret-pw)" &&
	vigil $A config show >cs.txt && ! grep -q s3cret cs.txt && grep -q "password=\*\*\*" cs.txt &&
	vigil $A config get fleet.database_url >cg.txt && ! grep -q s3cret cg.txt &&
	vigil $A --json config show >cs.json && ! grep -q s3cret cs.json &&
	vigil $A diagnostic create --out d.zip && unzip -p d.zip | { ! grep -qa s3cret; }
'
test_expect_success 'retention keeps scans that were not sent' '
	vigil $A config set scan_history_maximum_items 1 &&
	vigil $A config set fleet.database_url "" &&
	max0=$(sqlite3 a/vigil.db "SELECT max(id) FROM scans") &&
	expect_exit 1 vigil $A -q scan custom t/e.com && expect_exit 1 vigil $A -q scan custom t/e.com &&
	test "$(sqlite3 a/vigil.db "SELECT count(*) FROM scans WHERE id > $max0")" = 2 &&
	vigil $A -q fleet push --db "$(pg_url host_a host_a-pw)" &&
	expect_exit 1 vigil $A -q scan custom t/e.com &&
	test "$(sqlite3 a/vigil.db "SELECT count(*) FROM scans WHERE rev <= (SELECT value FROM meta WHERE key = '"'"'fleet.push.rev'"'"')")" -le 1
'
test_expect_success 'the daemon pushes every fleet.push_interval seconds, and again after the database comes back' '
	vigil $A config set fleet.database_url "$(pg_url host_a host_a-pw)" &&
	vigil $A config set fleet.push_interval 10 &&
	pg_stop &&
	expect_exit 1 vigil $A -q scan custom t/e.com &&
	{ vigil $A daemon >daemon.out 2>&1 & dpid=$!; } &&
	sleep 3 && grep -q "fleet push failed" a/vigil.log &&
	pg_restart &&
	for i in $(seq 1 40); do grep -q "fleet push done" a/vigil.log && break; sleep 1; done &&
	kill $dpid && wait $dpid || true &&
	grep -q "fleet push done" a/vigil.log &&
	vigil $A --json fleet push >last.json && jq -e ".sent.scans == 0 and .sent.threats == 0" last.json
'
test_done
