#!/usr/bin/env bash
# The scan cache (files unchanged since they were scanned clean are not read again) and
# resumable scans (an interrupted or killed scan continues where it stopped, and ends with
# the findings of an uninterrupted one).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
T=$(pwd -P)
command -v jq >/dev/null || { echo "skip: needs jq"; exit 77; }

mkdir -p tree/a tree/b
for i in $(seq 1 300); do echo "plain file $i" >"tree/a/f$i.txt"; done
eicar tree/b/e.com

test_expect_success 'a second scan reads only what changed; detections are never cached' '
	expect_exit 1 vigil --json scan custom tree >s1.json &&
	jq -e ".files_scanned == 301 and .files_cached == 0" s1.json &&
	expect_exit 1 vigil --json scan custom tree >s2.json &&
	jq -e ".files_scanned == 301 and .files_cached == 300 and .threats_found == 1" s2.json &&
	echo changed >>tree/a/f7.txt && touch -m -d 2001-01-01 tree/a/f8.txt &&
	expect_exit 1 vigil --json scan custom tree >s3.json &&
	jq -e ".files_scanned == 301 and .files_cached == 298" s3.json
'

test_expect_success 'a warm rescan does not even open the files the cache covers (issue 16)' '
	command -v strace >/dev/null || { echo "needs strace"; false; } &&
	expect_exit 1 strace -f -qq -e trace=open,openat -o warm.trace "$VIGIL" --json scan custom tree >s2b.json &&
	jq -e ".files_cached == 300" s2b.json &&
	grep -q "\"e.com\"" warm.trace &&
	! grep "\"f[0-9]*\.txt\"" warm.trace
'

test_expect_success 'a file replaced by another with the same name and size is read again' '
	cp tree/a/f9.txt x && mv x tree/a/f9.txt &&
	expect_exit 1 vigil --json scan custom tree >s4.json &&
	jq -e ".files_cached == 299" s4.json
'

test_expect_success 'new signatures: nothing comes from the cache' '
	printf "rule Never_Here { strings: \$a = \"no such text in any file 7c1f\" condition: \$a }\n" >r.yar &&
	vigil sigdb import r.yar >/dev/null &&
	expect_exit 1 vigil --json scan custom tree >s5.json &&
	jq -e ".files_cached == 0 and .files_scanned == 301" s5.json
'

test_expect_success 'other engine options (no archives) do not use the entries of the default ones' '
	expect_exit 1 vigil --json scan custom tree --no-archives >s6.json &&
	jq -e ".files_cached == 0" s6.json
'

test_expect_success '--no-cache reads everything and records nothing; the summary says what came from the cache' '
	expect_exit 1 vigil --json scan custom tree --no-cache >s7.json &&
	jq -e ".files_cached == 0 and .files_scanned == 301" s7.json &&
	expect_exit 1 vigil scan custom tree >s8.txt &&
	grep -q "From the scan cache (unchanged since scanned clean): 300 files" s8.txt
'

test_expect_success 'evidence scans (--root) do not use the cache unless --cache' '
	expect_exit 1 vigil --json scan custom --root tree /a /b >e1.json &&
	jq -e ".files_cached == 0" e1.json &&
	expect_exit 1 vigil --json scan custom --root tree --cache /a /b >e2.json &&
	jq -e ".files_cached == 300" e2.json
'

test_expect_success 'the cache holds at most antivirus_engine.scan_cache_maximum entries' '
	vigil config set antivirus_engine.scan_cache_maximum 100 >/dev/null &&
	expect_exit 1 vigil scan custom tree -q >/dev/null &&
	test "$(db "select count(*) from scan_cache")" -le 100 &&
	vigil config set antivirus_engine.scan_cache_maximum 1000000 >/dev/null
'

# Resuming: a tree that takes a couple of seconds with one thread (a slow rule over 2 MB files).
export VIGIL_STATE_DIR=$T/st2
mkdir -p big
for d in 1 2 3 4 5 6; do
	mkdir -p "big/d$d"
	for i in 1 2 3 4 5 6 7 8; do head -c 2000000 /dev/urandom >"big/d$d/r$i.bin"; done
done
eicar big/d1/early.com
eicar big/d6/late.com
(cd big/d4 && cp ../d1/early.com inner.com && zip -q arch.zip inner.com && rm inner.com)
{ echo 'import "math"'; echo 'rule Slowish { condition: filesize > 1000000 and'
  echo ' for any i in (0..3) : (math.serial_correlation(i, filesize) < -2) }'; } >slow.yar
vigil sigdb import slow.yar >/dev/null

findings() { vigil --json threat list --scan "$1" | jq -c '[.threats[] | [.path, .member, .name]] | sort'; }
# started: waits (at most 10 s, 40 s under the sanitizer) until the newest scan is running and
# has finished a file, and prints its id: a fixed sleep is too short on a loaded machine
started() {
	local i id n
	for i in $(seq 1 $((200 * SAN_FACTOR))); do
		id=$(db "select id from scans where status = 'running' order by id desc limit 1")
		if [ -n "$id" ]; then
			n=$(db "select count(*) from scan_progress where scan_id = $id")
			[ "$n" -gt 0 ] && { echo "$id"; return 0; }
		fi
		sleep 0.05
	done
	echo "no running scan with finished files" >&2
	return 1
}

test_expect_success 'an uninterrupted scan, for reference' '
	expect_exit 1 vigil --json scan custom big --threads 1 --no-cache >ref.json &&
	findings "$(jq .scan_id ref.json)" >ref.findings && test "$(jq length ref.findings)" -eq 3
'

test_expect_success 'a scan killed with SIGKILL resumes and ends with the same findings' '
	( "$VIGIL" --json scan custom big --threads 1 --no-cache >killed.json & echo $! >pid; wait ) &
	id=$(started) && kill -9 "$(cat pid)" && wait;
	test -n "$id" &&
	vigil --json scan show "$id" | jq -e ".status == \"running\"" &&
	done_before=$(db "select count(*) from scan_progress where scan_id = $id") &&
	test "$done_before" -gt 0 && test "$done_before" -lt 51 &&
	expect_exit 1 vigil --json scan resume "$id" >resumed.json &&
	jq -e ".status == \"completed\" and .files_resumed == $done_before" resumed.json &&
	findings "$id" >res.findings && diff ref.findings res.findings &&
	test "$(db "select count(*) from scan_progress where scan_id = $id")" -eq 0
'

test_expect_success 'a scan stopped with SIGINT is "interrupted" and resumes' '
	( "$VIGIL" --json scan custom big --threads 1 --no-cache >int.json 2>int.err & echo $! >pid2; wait ) &
	id=$(started) && kill -INT "$(cat pid2)" && wait;
	test -n "$id" &&
	vigil --json scan show "$id" | jq -e ".status == \"interrupted\"" &&
	expect_exit 1 vigil --json scan resume "$id" >r2.json &&
	findings "$id" >r2.findings && diff ref.findings r2.findings
'

test_expect_success 'resume refuses a completed scan, a running one, and other signatures' '
	expect_exit 2 vigil scan resume "$(jq .scan_id ref.json)" 2>c.err && grep -q "completed" c.err &&
	( "$VIGIL" --json scan custom big --threads 1 --no-cache >live.json & echo $! >pid3; wait ) &
	id=$(started) &&
	expect_exit 2 vigil scan resume "$id" 2>r.err && grep -q "still running" r.err &&
	kill -9 "$(cat pid3)" && wait;
	vigil sigdb remove slow.yar >/dev/null &&
	expect_exit 2 vigil scan resume "$id" 2>s.err && grep -q "other signatures" s.err &&
	expect_exit 2 vigil scan resume 99999 2>n.err && grep -q "no scan with id 99999" n.err
'

test_expect_success 'a root whose name is not UTF-8 is resumed byte for byte (scan job: roots_b64)' '
	bad=$(printf "bad\377root") && mkdir -p "$bad" && eicar "$bad/e.com" &&
	expect_exit 1 vigil --json scan custom "$bad" --no-cache >b1.json &&
	id=$(jq .scan_id b1.json) &&
	sqlite3 "$VIGIL_STATE_DIR/vigil.db" "UPDATE scans SET status = '"'"'interrupted'"'"' WHERE id = $id;
		DELETE FROM threats WHERE scan_id = $id; DELETE FROM scan_progress WHERE scan_id = $id;" &&
	expect_exit 1 vigil --json scan resume "$id" >b2.json &&
	jqt b2.json ".threats_found == 1 and .errors == 0" &&
	test "$(jq -r ".threats[0].path_b64" b2.json | base64 -d)" = "$T/$bad/e.com"
'

test_done
