# tests/e2e/helpers/pg.sh — a throwaway PostgreSQL cluster for the fleet tests, sourced after
# lib.sh. pg_start makes one with initdb as the postgres user in its own temporary folder,
# listening on a unix socket only (no TCP), and stops and removes it when the script exits.
#
#   pg_start            sets PG_DIR, PG_SOCK, PG_PORT, PG_BIN and FLEET_ADMIN (the owner's URI)
#   pg_url ROLE [PW]    the URI of database "fleet" as ROLE, over the socket
#   pg_psql SQL         runs SQL as the owner (postgres); prints rows unaligned, no header
#   pg_host_role NAME   a login role NAME (password NAME-pw), in vigil_push when it exists
#   pg_stop / pg_restart
#
# Authentication: postgres connects without a password (trust, the socket is root's and
# postgres's); every other role by password (scram-sha-256), so that a wrong password fails
# as it would on a real server.
# a command as the postgres user, from / (it cannot enter the test's folder)
as_pg() { (cd / && exec runuser -u postgres -- "$@"); }
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

pg_start() {
	[ -x "$PG_BIN/initdb" ] || { echo "skip: PostgreSQL server not installed (make deps)"; exit 77; }
	PG_DIR=$(mktemp -d /tmp/vigil-pg.XXXXXX)
	PG_SOCK=$PG_DIR/sock
	PG_PORT=${PG_PORT:-$((20000 + RANDOM % 20000))}
	mkdir -p "$PG_SOCK"
	chown -R postgres: "$PG_DIR"
	chmod 755 "$PG_DIR"
	as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -E UTF8 --locale=C \
		-A trust >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log"; return 1; }
	printf 'local all postgres trust\nlocal all all scram-sha-256\n' >"$PG_DIR/data/pg_hba.conf"
	_pg_trap
	pg_restart_only start
	FLEET_ADMIN=$(pg_url postgres)
	as_pg "$PG_BIN/psql" -qX -h "$PG_SOCK" -p "$PG_PORT" -d postgres \
		-c "CREATE DATABASE fleet" >/dev/null
}

pg_restart_only() {
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories=$PG_SOCK -p $PG_PORT -c fsync=off -c max_connections=60" \
		"$1" >/dev/null
}

pg_stop() { pg_restart_only stop; }
pg_restart() { pg_restart_only start; }

_pg_trap() {
	trap 'as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1; rm -rf "$PG_DIR"; cleanup' EXIT
}

pg_url() {
	if [ $# -ge 2 ]; then
		printf 'postgresql://%s:%s@/fleet?host=%s&port=%s\n' "$1" "$2" "$PG_SOCK" "$PG_PORT"
	else
		printf 'postgresql://%s@/fleet?host=%s&port=%s\n' "$1" "$PG_SOCK" "$PG_PORT"
	fi
}

pg_psql() {
	as_pg "$PG_BIN/psql" -qXAt -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" \
		-d fleet -c "$1"
}

pg_host_role() {
	pg_psql "CREATE ROLE \"$1\" LOGIN PASSWORD '$1-pw'" >/dev/null &&
	pg_psql "DO \$\$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_push')
		THEN GRANT vigil_push TO \"$1\"; END IF; END \$\$" >/dev/null
}
