/*
 * fleet/sql.c — the one place for the fleet database's SQL: the schema, its roles, and the
 * statements vigil sends. Everything from a host arrives as a bound parameter (a JSON array
 * of rows, read by jsonb_array_elements); nothing is ever pasted into SQL text.
 */
#include "fleet/fleet_int.h"

/*
 * Schema migrations: fleet init applies those the database lacks, under an advisory lock,
 * and records each in vigil.schema_version. Hosts only read the version.
 */
const char *const fleet_migrations[] = {
	/* 1 */
	"CREATE TABLE vigil.hosts(machine_guid text PRIMARY KEY, hostname text, org_id text,"
	" app_version text, sig_version bigint, pubkey text, owner name NOT NULL, via text NOT NULL,"
	" first_seen timestamptz NOT NULL DEFAULT now(), last_seen timestamptz NOT NULL DEFAULT now());"
	"CREATE TABLE vigil.scans(machine_guid text NOT NULL REFERENCES vigil.hosts,"
	" fid bigint NOT NULL, rev bigint NOT NULL, scan_id bigint NOT NULL, type text, status text,"
	" started_at timestamptz, ended_at timestamptz, threats_found bigint, doc jsonb NOT NULL,"
	" received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY(machine_guid, fid));"
	"CREATE TABLE vigil.threats(machine_guid text NOT NULL REFERENCES vigil.hosts,"
	" fid bigint NOT NULL, rev bigint NOT NULL, threat_id bigint, scan_fid bigint, scan_id bigint,"
	" path bytea NOT NULL, name text, sha256 text, action text, detected_at timestamptz,"
	" doc jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),"
	" PRIMARY KEY(machine_guid, fid));"
	"CREATE INDEX threats_sha256 ON vigil.threats(sha256);"
	"CREATE INDEX threats_name ON vigil.threats(name);"
	"CREATE INDEX threats_detected ON vigil.threats(detected_at);"
	"CREATE TABLE vigil.problems(machine_guid text NOT NULL REFERENCES vigil.hosts,"
	" fid bigint NOT NULL, rev bigint NOT NULL, scan_fid bigint, scan_id bigint,"
	" path bytea NOT NULL, kind text, reason text, doc jsonb NOT NULL,"
	" received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY(machine_guid, fid));"
	"CREATE TABLE vigil.quarantine(machine_guid text NOT NULL REFERENCES vigil.hosts,"
	" fid bigint NOT NULL, rev bigint NOT NULL, item_id bigint, state text, path bytea NOT NULL,"
	" sha256 text, threat text, quarantined_at timestamptz, doc jsonb NOT NULL,"
	" received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY(machine_guid, fid));"
	"CREATE INDEX quarantine_sha256 ON vigil.quarantine(sha256);"
	"CREATE TABLE vigil.inventory(machine_guid text NOT NULL REFERENCES vigil.hosts,"
	" fid bigint NOT NULL, rev bigint NOT NULL, scan_fid bigint, scan_id bigint,"
	" path bytea NOT NULL, sha256 text, size bigint, doc jsonb NOT NULL,"
	" received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY(machine_guid, fid));"
	"CREATE INDEX inventory_sha256 ON vigil.inventory(sha256);"
	"CREATE TABLE vigil.events(machine_guid text NOT NULL REFERENCES vigil.hosts,"
	" digest text NOT NULL, at timestamptz, event text, doc jsonb NOT NULL,"
	" received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY(machine_guid, digest));"
	/* the exact bytes of a name: path_b64 when it is not UTF-8 (core/jsonx.h), else path */
	"CREATE FUNCTION vigil.path_bytes(r jsonb) RETURNS bytea LANGUAGE sql IMMUTABLE AS"
	" $f$ SELECT coalesce(decode(r->>'path_b64', 'base64'), convert_to(r->>'path', 'UTF8')) $f$;"
	/* may the calling role write the rows of p_guid? Its own hosts, or any when an importer */
	"CREATE FUNCTION vigil.may_write(p_guid text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER"
	" SET search_path = pg_catalog, pg_temp AS $f$"
	" DECLARE o name;"
	" BEGIN"
	"  SELECT owner INTO o FROM vigil.hosts WHERE machine_guid = p_guid;"
	"  IF NOT FOUND THEN RAISE EXCEPTION 'host % is not registered', p_guid"
	"   USING ERRCODE = '42501'; END IF;"
	"  IF o <> session_user AND NOT pg_has_role(session_user, 'vigil_import', 'MEMBER') THEN"
	"   RAISE EXCEPTION 'machine_guid % belongs to role %, not to %', p_guid, o, session_user"
	"   USING ERRCODE = '42501'; END IF;"
	" END $f$;"
	/*
	 * A host's identity: the first role that pushes a machine_guid owns it. A host first
	 * loaded from a file (via import) is taken over by the first push with the same key.
	 */
	"CREATE FUNCTION vigil.register(p jsonb) RETURNS text LANGUAGE plpgsql SECURITY DEFINER"
	" SET search_path = pg_catalog, pg_temp AS $f$"
	" DECLARE g text := p->>'machine_guid'; h record;"
	"  imp boolean := pg_has_role(session_user, 'vigil_import', 'MEMBER');"
	" BEGIN"
	"  IF g IS NULL OR g !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN"
	"   RAISE EXCEPTION 'not a machine_guid: %', g USING ERRCODE = '22023'; END IF;"
	"  INSERT INTO vigil.hosts(machine_guid, owner, via) VALUES (g, session_user,"
	"   CASE WHEN p->>'via' = 'import' THEN 'import' ELSE 'push' END)"
	"   ON CONFLICT (machine_guid) DO NOTHING;"
	"  SELECT * INTO h FROM vigil.hosts WHERE machine_guid = g FOR UPDATE;"
	"  IF h.pubkey IS NOT NULL AND p->>'pubkey' IS DISTINCT FROM h.pubkey THEN"
	"   RAISE EXCEPTION 'host % is registered with another key', g USING ERRCODE = '42501'; END IF;"
	"  IF h.owner <> session_user AND p->>'via' IS DISTINCT FROM 'import' AND h.via = 'import'"
	"   AND h.pubkey IS NOT NULL THEN"
	"   UPDATE vigil.hosts SET owner = session_user, via = 'push' WHERE machine_guid = g;"
	"  ELSIF h.owner <> session_user AND NOT imp THEN"
	"   RAISE EXCEPTION 'machine_guid % belongs to role %, not to %', g, h.owner, session_user"
	"   USING ERRCODE = '42501'; END IF;"
	"  UPDATE vigil.hosts SET hostname = p->>'hostname', org_id = p->>'org_id',"
	"   app_version = p->>'app_version', sig_version = (p->>'sig_version')::bigint,"
	"   pubkey = coalesce(h.pubkey, p->>'pubkey'), last_seen = now() WHERE machine_guid = g;"
	"  RETURN g;"
	" END $f$;"
	/* rows of one kind, upserted on (machine_guid, fid), keeping the newest revision */
	"CREATE FUNCTION vigil.push(p_guid text, p_kind text, p_rows jsonb) RETURNS integer"
	" LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $f$"
	" DECLARE n integer := 0; m integer := 0;"
	" BEGIN"
	"  PERFORM vigil.may_write(p_guid);"
	"  IF p_kind = 'scan' THEN"
	"   INSERT INTO vigil.scans AS t(machine_guid, fid, rev, scan_id, type, status, started_at,"
	"    ended_at, threats_found, doc)"
	"   SELECT p_guid, (r->>'fid')::bigint, (r->>'rev')::bigint, (r->>'scan_id')::bigint,"
	"    r->>'type', r->>'status', (r->>'started_at')::timestamptz, (r->>'ended_at')::timestamptz,"
	"    (r->>'threats_found')::bigint, r FROM jsonb_array_elements(p_rows) AS r"
	"   ON CONFLICT (machine_guid, fid) DO UPDATE SET rev = excluded.rev, scan_id = excluded.scan_id,"
	"    type = excluded.type, status = excluded.status, started_at = excluded.started_at,"
	"    ended_at = excluded.ended_at, threats_found = excluded.threats_found, doc = excluded.doc,"
	"    received_at = now() WHERE t.rev < excluded.rev;"
	"  ELSIF p_kind = 'threat' THEN"
	"   INSERT INTO vigil.threats AS t(machine_guid, fid, rev, threat_id, scan_fid, scan_id, path,"
	"    name, sha256, action, detected_at, doc)"
	"   SELECT p_guid, (r->>'fid')::bigint, (r->>'rev')::bigint, (r->>'id')::bigint,"
	"    (r->>'scan_fid')::bigint, (r->>'scan_id')::bigint, vigil.path_bytes(r), r->>'name',"
	"    r->>'sha256', r->>'action', (r->>'detected_at')::timestamptz, r"
	"    FROM jsonb_array_elements(p_rows) AS r"
	"   ON CONFLICT (machine_guid, fid) DO UPDATE SET rev = excluded.rev, path = excluded.path,"
	"    name = excluded.name, sha256 = excluded.sha256, action = excluded.action,"
	"    detected_at = excluded.detected_at, doc = excluded.doc, received_at = now()"
	"    WHERE t.rev < excluded.rev;"
	"  ELSIF p_kind = 'problem' THEN"
	"   INSERT INTO vigil.problems AS t(machine_guid, fid, rev, scan_fid, scan_id, path, kind,"
	"    reason, doc)"
	"   SELECT p_guid, (r->>'fid')::bigint, (r->>'rev')::bigint, (r->>'scan_fid')::bigint,"
	"    (r->>'scan_id')::bigint, vigil.path_bytes(r), r->>'kind', r->>'reason', r"
	"    FROM jsonb_array_elements(p_rows) AS r"
	"   ON CONFLICT (machine_guid, fid) DO UPDATE SET rev = excluded.rev, path = excluded.path,"
	"    kind = excluded.kind, reason = excluded.reason, doc = excluded.doc, received_at = now()"
	"    WHERE t.rev < excluded.rev;"
	"  ELSIF p_kind = 'quarantine' THEN"
	"   INSERT INTO vigil.quarantine AS t(machine_guid, fid, rev, item_id, state, path, sha256,"
	"    threat, quarantined_at, doc)"
	"   SELECT p_guid, (r->>'fid')::bigint, (r->>'rev')::bigint, (r->>'id')::bigint, r->>'state',"
	"    vigil.path_bytes(r), r->>'sha256', r->>'threat', (r->>'quarantined_at')::timestamptz, r"
	"    FROM jsonb_array_elements(p_rows) AS r"
	"   ON CONFLICT (machine_guid, fid) DO UPDATE SET rev = excluded.rev, state = excluded.state,"
	"    path = excluded.path, sha256 = excluded.sha256, threat = excluded.threat,"
	"    quarantined_at = excluded.quarantined_at, doc = excluded.doc, received_at = now()"
	"    WHERE t.rev < excluded.rev;"
	"  ELSIF p_kind = 'inventory' THEN"
	"   INSERT INTO vigil.inventory AS t(machine_guid, fid, rev, scan_fid, scan_id, path, sha256,"
	"    size, doc)"
	"   SELECT p_guid, (r->>'fid')::bigint, (r->>'rev')::bigint, (r->>'scan_fid')::bigint,"
	"    (r->>'scan_id')::bigint, vigil.path_bytes(r), r->>'sha256', (r->>'size')::bigint, r"
	"    FROM jsonb_array_elements(p_rows) AS r"
	"   ON CONFLICT (machine_guid, fid) DO UPDATE SET rev = excluded.rev, path = excluded.path,"
	"    sha256 = excluded.sha256, size = excluded.size, doc = excluded.doc, received_at = now()"
	"    WHERE t.rev < excluded.rev;"
	"  ELSIF p_kind = 'event' THEN"
	"   INSERT INTO vigil.events(machine_guid, digest, at, event, doc)"
	"   SELECT p_guid, r->>'digest', (r->'doc'->>'time')::timestamptz, r->'doc'->>'event', r->'doc'"
	"    FROM jsonb_array_elements(p_rows) AS r ON CONFLICT (machine_guid, digest) DO NOTHING;"
	"  ELSIF p_kind = 'gone' THEN"
	"   DELETE FROM vigil.threats t USING jsonb_array_elements(p_rows) AS r"
	"    WHERE t.machine_guid = p_guid AND r->>'kind' = 'threat' AND t.fid = (r->>'fid')::bigint;"
	"   GET DIAGNOSTICS m = ROW_COUNT;"
	"   DELETE FROM vigil.problems t USING jsonb_array_elements(p_rows) AS r"
	"    WHERE t.machine_guid = p_guid AND r->>'kind' = 'problem' AND t.fid = (r->>'fid')::bigint;"
	"   GET DIAGNOSTICS n = ROW_COUNT; m := m + n;"
	"   UPDATE vigil.quarantine t SET state = 'removed', rev = (r->>'rev')::bigint,"
	"    received_at = now() FROM jsonb_array_elements(p_rows) AS r"
	"    WHERE t.machine_guid = p_guid AND r->>'kind' = 'quarantine'"
	"    AND t.fid = (r->>'fid')::bigint AND t.rev < (r->>'rev')::bigint;"
	"   GET DIAGNOSTICS n = ROW_COUNT;"
	"   RETURN m + n;"
	"  ELSE"
	"   RAISE EXCEPTION 'unknown kind of row: %', p_kind USING ERRCODE = '22023';"
	"  END IF;"
	"  GET DIAGNOSTICS n = ROW_COUNT;"
	"  RETURN n;"
	" END $f$;",
};
const size_t fleet_nmigrations = sizeof(fleet_migrations) / sizeof(fleet_migrations[0]);

/* Before the migrations, in the same transaction, under the lock. */
const char *const fleet_sql_prepare =
	"CREATE SCHEMA IF NOT EXISTS vigil;"
	"CREATE TABLE IF NOT EXISTS vigil.schema_version(version integer PRIMARY KEY,"
	" applied_at timestamptz NOT NULL DEFAULT now());";

/* After them: the three group roles (when missing) and what each may do. */
const char *const fleet_sql_grants =
	"DO $f$ DECLARE r text; BEGIN"
	" FOREACH r IN ARRAY ARRAY['vigil_push', 'vigil_import', 'vigil_read'] LOOP"
	"  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN"
	"   EXECUTE format('CREATE ROLE %I NOLOGIN', r); END IF;"
	" END LOOP; END $f$;"
	"REVOKE ALL ON SCHEMA vigil FROM PUBLIC;"
	"REVOKE ALL ON ALL TABLES IN SCHEMA vigil FROM PUBLIC;"
	"REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA vigil FROM PUBLIC;"
	"GRANT USAGE ON SCHEMA vigil TO vigil_push, vigil_import, vigil_read;"
	"GRANT SELECT ON vigil.schema_version TO vigil_push, vigil_import, vigil_read;"
	"GRANT EXECUTE ON FUNCTION vigil.register(jsonb), vigil.push(text, text, jsonb)"
	" TO vigil_push, vigil_import;"
	"GRANT SELECT ON ALL TABLES IN SCHEMA vigil TO vigil_read;";

const char *const fleet_sql_lock = "SELECT pg_advisory_xact_lock(7567016871356948332)";
const char *const fleet_sql_version = "SELECT coalesce(max(version), 0) FROM vigil.schema_version";
const char *const fleet_sql_record = "INSERT INTO vigil.schema_version(version) VALUES ($1::integer)";
const char *const fleet_sql_register = "SELECT vigil.register($1::jsonb)";
const char *const fleet_sql_push = "SELECT vigil.push($1::text, $2::text, $3::jsonb)";

#define ISO(x) "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

const char *const fleet_sql_hosts =
	"SELECT jsonb_build_object('machine_guid', h.machine_guid, 'hostname', h.hostname,"
	" 'org_id', h.org_id, 'app_version', h.app_version, 'sig_version', h.sig_version,"
	" 'via', h.via, 'first_seen', " ISO("h.first_seen") ", 'last_seen', " ISO("h.last_seen") ","
	" 'scans', (SELECT count(*) FROM vigil.scans s WHERE s.machine_guid = h.machine_guid),"
	" 'threats', (SELECT count(*) FROM vigil.threats t WHERE t.machine_guid = h.machine_guid))::text"
	" FROM vigil.hosts h ORDER BY h.hostname, h.machine_guid";

/* $1 sha256, $2 rule name, $3 machine_guid, $4 detected at or after: each NULL for any */
const char *const fleet_sql_threats =
	"SELECT jsonb_strip_nulls(jsonb_build_object('machine_guid', t.machine_guid,"
	" 'hostname', h.hostname, 'org_id', h.org_id, 'scan_id', t.scan_id, 'threat_id', t.threat_id,"
	" 'path', t.doc->'path', 'path_b64', t.doc->'path_b64', 'member', t.doc->'member',"
	" 'member_b64', t.doc->'member_b64', 'name', t.name, 'namespace', t.doc->'namespace',"
	" 'sha256', t.sha256, 'action', t.action, 'count', t.doc->'count',"
	" 'detected_at', t.doc->'detected_at',"
	/* an image scan: the system on the volume it was found in (its machine-id, hostname) */
	" 'system', (SELECT v->'system' FROM vigil.scans s, jsonb_array_elements(s.doc->'volumes') v"
	"  WHERE jsonb_typeof(s.doc->'volumes') = 'array' AND s.machine_guid = t.machine_guid"
	"  AND s.fid = t.scan_fid AND v->'chain' = t.doc->'image'->'chain' LIMIT 1)))::text"
	" FROM vigil.threats t JOIN vigil.hosts h ON h.machine_guid = t.machine_guid"
	" WHERE ($1::text IS NULL OR t.sha256 = lower($1::text))"
	" AND ($2::text IS NULL OR t.name = $2::text)"
	" AND ($3::text IS NULL OR t.machine_guid = lower($3::text))"
	" AND ($4::timestamptz IS NULL OR t.detected_at >= $4::timestamptz)"
	" ORDER BY t.detected_at, t.machine_guid, t.fid";
