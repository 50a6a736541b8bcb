#!/usr/bin/env bash
# bench/fleet.sh — how fast a host's rows reach the fleet database: 100,000 threats and
# 100,000 inventory rows pushed over the local socket to a throwaway PostgreSQL cluster
# (initdb as the postgres user, unix socket only, fsync on as a real server has it), and the
# same rows carried by fleet export and fleet import. Each push is one transaction; a second
# push of nothing new is timed too (what the daemon pays every fleet.push_interval).
#
#   bench/fleet.sh [VIGIL] [ROWS]     (defaults: build/vigil 100000)
#
# The rows are made in the store with sqlite3 (the scan that found them would take minutes and
# measure the scanner, not the push): one real scan of an EICAR file, then ROWS threat rows and
# ROWS inventory rows of that scan with distinct paths and digests. Writes a table to stdout and
# to bench/RESULTS-fleet.md. Not a test: nothing here fails on a slow machine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
V=${1:-$here/../build/vigil}
ROWS=${2:-100000}
V=$(cd "$(dirname "$V")" && pwd)/$(basename "$V")
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is needed (make deps)"; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/vigil-fbench.XXXXXX")
cleanup() { rm -rf "$T"; }
trap cleanup EXIT
cd "$T"
. "$here/../tests/e2e/helpers/pg.sh"
pg_start
# a real server writes its log durably: fsync on for the measured runs
pg_stop
PG_FSYNC=on
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
	-o "-c listen_addresses='' -c unix_socket_directories=$PG_SOCK -p $PG_PORT -c fsync=$PG_FSYNC" \
	start >/dev/null
"$V" -q fleet init --db "$FLEET_ADMIN"
pg_host_role bench
URL=$(pg_url bench bench-pw)
load=$(cut -d' ' -f1-3 /proc/loadavg)

export VIGIL_STATE_DIR=$T/state
printf 'X5O!P%%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >e.com
"$V" -q scan custom e.com >/dev/null || [ $? -eq 1 ]
sqlite3 "$VIGIL_STATE_DIR/vigil.db" <<EOF
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $ROWS)
INSERT INTO threats(scan_id, path, member, name, namespace, meta, sha256, size, type, action,
                    detected_at, last_at)
SELECT 1, CAST('/srv/data/dir' || (i % 100) || '/file' || i || '.exe' AS BLOB), x'',
       'Rule_' || (i % 500), 'bench', '{}', lower(hex(randomblob(32))), i, 'application/x-dosexec',
       'reported', strftime('%Y-%m-%dT%H:%M:%fZ','now'), strftime('%Y-%m-%dT%H:%M:%fZ','now') FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $ROWS)
INSERT INTO inventory(scan_id, path, size, mode, uid, gid, dev, ino, nlink, atime_ns, mtime_ns,
                      ctime_ns, sha256, sha1, md5, type)
SELECT 1, CAST('/srv/data/dir' || (i % 100) || '/file' || i || '.bin' AS BLOB), i, 33188, 0, 0,
       2049, i, 1, 1700000000000000000, 1700000000000000000, 1700000000000000000,
       lower(hex(randomblob(32))), lower(hex(randomblob(20))), lower(hex(randomblob(16))),
       'application/octet-stream' FROM c;
COMMIT;
EOF

# timed NAME cmd...: run cmd, record "NAME wall rss_kib"
timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %M" -o t.out "$@" >"$name.json"
	echo "$name $(cat t.out)" >>times.txt
}
: >times.txt
timed push-threats "$V" --json fleet push --db "$URL"
timed push-again "$V" --json fleet push --db "$URL"
timed push-inventory "$V" --json fleet push --db "$URL" --inventory
timed export "$V" --json fleet export --out all.vfe --inventory
sqlite3 "$VIGIL_STATE_DIR/vigil.db" "DELETE FROM meta WHERE key LIKE 'fleet.%'"
"$V" -q fleet export --out all.vfe --inventory
pg_psql "TRUNCATE vigil.threats, vigil.inventory, vigil.scans, vigil.problems, vigil.events,
         vigil.quarantine"
timed import "$V" --json fleet import all.vfe --db "$FLEET_ADMIN"
timed import-again "$V" --json fleet import all.vfe --db "$FLEET_ADMIN"

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
row() {
	local name=$1 n=$2 what=$3 wall rss
	read -r _ wall rss < <(grep "^$name " times.txt)
	printf '| %s | %s | %.2f s | %s rows/s | %d MiB |\n' "$what" "$n" "$wall" "$(rate "$n" "$wall")" \
		$((rss / 1024))
}
threats_sent=$(jq .sent.threats push-threats.json)
inv_sent=$(jq .sent.inventory push-inventory.json)
imp=$(jq '.loaded.threats + .loaded.inventory' import.json)
{
	echo "# Fleet: rows pushed to PostgreSQL"
	echo
	echo "bench/fleet.sh, $(date -u +%Y-%m-%d), $(nproc) cores, load $load, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on a unix socket (fsync $PG_FSYNC), $ROWS rows of each kind."
	echo
	echo "| what | rows | wall | rate | peak RSS (vigil) |"
	echo "|---|---|---|---|---|"
	row push-threats "$threats_sent" "fleet push: threats (one transaction)"
	row push-again "$(jq '.sent | to_entries | map(select(.key != "hosts") | .value) | add' push-again.json)" "fleet push again, nothing new"
	row push-inventory "$inv_sent" "fleet push --inventory: inventory rows"
	row export "$(jq '.sent.threats + .sent.inventory' export.json)" "fleet export --inventory (file of $(du -m all.vfe | cut -f1) MiB)"
	row import "$imp" "fleet import into an empty database"
	row import-again "$imp" "fleet import of the same file again (adds nothing: $(jq '[.changed[]] | add' import-again.json) rows changed)"
} | tee "$here/RESULTS-fleet.md"
