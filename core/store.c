/* core/store.c — opening, migrating and the small tables of the SQLite store. */
#include "core/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/path.h"
#include "core/statedir.h"

static const char *const sql_text[] = {
#define STMT(name, sql) [SQL_##name] = sql,
#define VSTMT(name, sql)
#include "core/store_sql.def"
#undef STMT
#undef VSTMT
};

/* Schema migrations, applied in order; PRAGMA user_version counts the ones applied. */
static const char *const migrations[] = {
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE scans(id INTEGER PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL,"
	" started_at TEXT NOT NULL, ended_at TEXT, duration_s REAL,"
	" files_scanned INTEGER NOT NULL DEFAULT 0, bytes_scanned INTEGER NOT NULL DEFAULT 0,"
	" objects_scanned INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0,"
	" skipped INTEGER NOT NULL DEFAULT 0, threats INTEGER NOT NULL DEFAULT 0,"
	" excluded INTEGER NOT NULL DEFAULT 0, threads INTEGER, sig_version INTEGER,"
	" rules_digest TEXT, roots TEXT, command_line TEXT, options TEXT, exclusions TEXT);"
	"CREATE TABLE threats(id INTEGER PRIMARY KEY, scan_id INTEGER NOT NULL REFERENCES scans(id),"
	" path BLOB NOT NULL, member BLOB NOT NULL, name TEXT NOT NULL, namespace TEXT, meta TEXT,"
	" sha256 TEXT NOT NULL, size INTEGER NOT NULL, type TEXT, action TEXT NOT NULL,"
	" detected_at TEXT NOT NULL);"
	"CREATE INDEX threats_scan ON threats(scan_id);"
	"CREATE TABLE problems(id INTEGER PRIMARY KEY, scan_id INTEGER NOT NULL REFERENCES scans(id),"
	" path BLOB NOT NULL, member BLOB NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL);"
	"CREATE INDEX problems_scan ON problems(scan_id);"
	"CREATE TABLE exclusions(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value BLOB NOT NULL,"
	" added_at TEXT NOT NULL, UNIQUE(kind, value));"
	"CREATE TABLE sig_sources(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" kind TEXT NOT NULL, content BLOB NOT NULL, rule_count INTEGER, sha256 TEXT,"
	" imported_at TEXT NOT NULL);",
	/* 2: older IOC lists name files by MD5 or SHA-1 */
	"ALTER TABLE threats ADD COLUMN sha1 TEXT;"
	"ALTER TABLE threats ADD COLUMN md5 TEXT;",
	/* 3: the quarantine vault, the allow list, why a detection was allowed */
	"CREATE TABLE quarantine(id INTEGER PRIMARY KEY AUTOINCREMENT, state TEXT NOT NULL,"
	" path BLOB NOT NULL, mode INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL,"
	" atime_ns INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, dev INTEGER NOT NULL,"
	" ino INTEGER NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, threat TEXT,"
	" scan_id INTEGER, chunk_size INTEGER NOT NULL, chunks INTEGER NOT NULL,"
	" quarantined_at TEXT NOT NULL);"
	"CREATE TABLE quarantine_chunks(item INTEGER NOT NULL REFERENCES quarantine(id)"
	" ON DELETE CASCADE, idx INTEGER NOT NULL, nonce BLOB NOT NULL, data BLOB NOT NULL,"
	" PRIMARY KEY(item, idx)) WITHOUT ROWID;"
	"CREATE TABLE allow(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL,"
	" reason TEXT, added_at TEXT NOT NULL, expires_at INTEGER, UNIQUE(kind, value));"
	"ALTER TABLE threats ADD COLUMN allowed_by TEXT;",
	/* 4: every signature version's sources, for rollback; contents kept once each */
	"CREATE TABLE sig_blobs(sha256 TEXT PRIMARY KEY, content BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE sig_history(version INTEGER PRIMARY KEY, digest TEXT NOT NULL,"
	" manifest TEXT NOT NULL, created_at TEXT NOT NULL);",
	/* 5: chain of custody, the hash inventory, reports handed over */
	"ALTER TABLE scans ADD COLUMN case_id TEXT;"
	"ALTER TABLE scans ADD COLUMN examiner TEXT;"
	"ALTER TABLE scans ADD COLUMN hostname TEXT;"
	"ALTER TABLE scans ADD COLUMN kernel TEXT;"
	"ALTER TABLE scans ADD COLUMN machine_guid TEXT;"
	"ALTER TABLE scans ADD COLUMN org_id TEXT;"
	"ALTER TABLE scans ADD COLUMN app_version TEXT;"
	"ALTER TABLE scans ADD COLUMN inventory INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE scans ADD COLUMN file_types TEXT;"
	"ALTER TABLE threats ADD COLUMN mtime_ns INTEGER;"
	"CREATE TABLE inventory(id INTEGER PRIMARY KEY, scan_id INTEGER NOT NULL REFERENCES scans(id),"
	" path BLOB NOT NULL, size INTEGER NOT NULL, mode INTEGER NOT NULL, uid INTEGER NOT NULL,"
	" gid INTEGER NOT NULL, dev INTEGER NOT NULL, ino INTEGER NOT NULL, nlink INTEGER NOT NULL,"
	" atime_ns INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,"
	" btime_ns INTEGER, sha256 TEXT, sha1 TEXT, md5 TEXT, type TEXT);"
	"CREATE INDEX inventory_scan ON inventory(scan_id, path);"
	"CREATE TABLE reports(id INTEGER PRIMARY KEY, scan_id INTEGER NOT NULL REFERENCES scans(id),"
	" format TEXT NOT NULL, path BLOB NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL,"
	" created_at TEXT NOT NULL);"
	"CREATE INDEX reports_scan ON reports(scan_id);",
	/* 6: evidence scans: the proof, after the scan, that no file changed */
	"ALTER TABLE scans ADD COLUMN verification TEXT;",
	/* 7: the scan cache, files that came from it, and what a resumed scan already did */
	"CREATE TABLE scan_cache(dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL,"
	" mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, tag TEXT NOT NULL,"
	" scanned_at INTEGER NOT NULL, PRIMARY KEY(dev, ino, tag)) WITHOUT ROWID;"
	"CREATE INDEX scan_cache_tag ON scan_cache(tag, scanned_at);"
	"ALTER TABLE scans ADD COLUMN files_cached INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE scans ADD COLUMN pid INTEGER;"
	"CREATE TABLE scan_progress(scan_id INTEGER NOT NULL, path BLOB NOT NULL);"
	"CREATE INDEX scan_progress_scan ON scan_progress(scan_id);",
	/* 8: disk images: where in the image each object was (JSON), and the volumes found */
	"ALTER TABLE threats ADD COLUMN location TEXT;"
	"ALTER TABLE problems ADD COLUMN location TEXT;"
	"ALTER TABLE inventory ADD COLUMN location TEXT;"
	"ALTER TABLE scans ADD COLUMN volumes TEXT;",
	/* 9: the identity of a detected file as the scan read it, and where its scan root ends
	 * in its path, so that quarantine acts on that object and reaches it from that root */
	"ALTER TABLE threats ADD COLUMN file_dev INTEGER;"
	"ALTER TABLE threats ADD COLUMN file_ino INTEGER;"
	"ALTER TABLE threats ADD COLUMN file_size INTEGER;"
	"ALTER TABLE threats ADD COLUMN file_mtime_ns INTEGER;"
	"ALTER TABLE threats ADD COLUMN file_ctime_ns INTEGER;"
	"ALTER TABLE threats ADD COLUMN root_len INTEGER;",
	/* 10: real-time protection: one row per file, rule and action, with how often that
	 * happened (refused opens of a known threat) and when last */
	"ALTER TABLE threats ADD COLUMN count INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE threats ADD COLUMN last_at TEXT;",
	/* 11: an allow entry may cover one file only (a restore: that path with that SHA-256);
	 * path x'' is every file. UNIQUE gains path, so the table is rebuilt. */
	"CREATE TABLE allow_new(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL,"
	" reason TEXT, added_at TEXT NOT NULL, expires_at INTEGER, path BLOB NOT NULL DEFAULT x'',"
	" UNIQUE(kind, value, path));"
	"INSERT INTO allow_new(id, kind, value, reason, added_at, expires_at)"
	" SELECT id, kind, value, reason, added_at, expires_at FROM allow;"
	"DROP TABLE allow;"
	"ALTER TABLE allow_new RENAME TO allow;",
	/* 12: the content of a signature source last in its row, so that name, kind and SHA-256
	 * are read without walking the overflow pages of a large list (what start-up reads to
	 * name the saved compiled forms) */
	"CREATE TABLE sig_sources_new(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" kind TEXT NOT NULL, rule_count INTEGER, sha256 TEXT, imported_at TEXT NOT NULL,"
	" content BLOB NOT NULL);"
	"INSERT INTO sig_sources_new(id, name, kind, rule_count, sha256, imported_at, content)"
	" SELECT id, name, kind, rule_count, sha256, imported_at, content FROM sig_sources;"
	"DROP TABLE sig_sources;"
	"ALTER TABLE sig_sources_new RENAME TO sig_sources;",
	/* 13: new items keep their chunks in the vault file vault.db (chunk_file 1); those
	 * quarantined before stay in quarantine_chunks here (0) and are read from there */
	"ALTER TABLE quarantine ADD COLUMN chunk_file INTEGER NOT NULL DEFAULT 0;",
	/* 14: the fleet (fleet/): every row that is pushed gets a push id (fid) that is never
	 * reused, even when retention deletes the newest rows, and a revision (rev) that grows
	 * at every insert and update, both from one counter; push and export send the rows
	 * whose rev is above their watermark. A running scan's progress (its totals every few
	 * seconds) makes no new revision; its start and its end do. fleet_gone: rows a resumed
	 * scan forgot and quarantine items removed, for the fleet copy to follow. Rows already
	 * here get fid = id and rev 1: the first push sends them all. No index on rev: a push
	 * reads each table once, in any order, and every write of a scan stays one page
	 * smaller (what a scan's commits wait for). */
	"CREATE TABLE fleet_seq(n INTEGER NOT NULL);"
	"INSERT INTO fleet_seq SELECT 1 + max((SELECT coalesce(max(id), 0) FROM scans),"
	" (SELECT coalesce(max(id), 0) FROM threats), (SELECT coalesce(max(id), 0) FROM problems),"
	" (SELECT coalesce(max(id), 0) FROM quarantine), (SELECT coalesce(max(id), 0) FROM inventory),"
	" (SELECT coalesce(max(seq), 0) FROM sqlite_sequence));"
	"CREATE TABLE fleet_gone(id INTEGER PRIMARY KEY, kind TEXT NOT NULL, fid INTEGER NOT NULL,"
	" rev INTEGER);"
	"ALTER TABLE scans ADD COLUMN fid INTEGER;"
	"ALTER TABLE scans ADD COLUMN rev INTEGER;"
	"UPDATE scans SET fid = id, rev = 1;"
	"CREATE TRIGGER scans_fleet_new AFTER INSERT ON scans BEGIN UPDATE fleet_seq SET n = n + 1;"
	" UPDATE scans SET fid = (SELECT n FROM fleet_seq), rev = (SELECT n FROM fleet_seq)"
	" WHERE rowid = NEW.rowid; END;"
	"CREATE TRIGGER scans_fleet_change AFTER UPDATE ON scans WHEN NEW.rev IS OLD.rev"
	" AND NOT (OLD.status = 'running' AND NEW.status = 'running') BEGIN"
	" UPDATE fleet_seq SET n = n + 1;"
	" UPDATE scans SET rev = (SELECT n FROM fleet_seq) WHERE rowid = NEW.rowid; END;"
	"ALTER TABLE threats ADD COLUMN fid INTEGER;"
	"ALTER TABLE threats ADD COLUMN rev INTEGER;"
	"UPDATE threats SET fid = id, rev = 1;"
	"CREATE TRIGGER threats_fleet_new AFTER INSERT ON threats BEGIN UPDATE fleet_seq SET n = n + 1;"
	" UPDATE threats SET fid = (SELECT n FROM fleet_seq), rev = (SELECT n FROM fleet_seq)"
	" WHERE rowid = NEW.rowid; END;"
	"CREATE TRIGGER threats_fleet_change AFTER UPDATE ON threats WHEN NEW.rev IS OLD.rev BEGIN"
	" UPDATE fleet_seq SET n = n + 1;"
	" UPDATE threats SET rev = (SELECT n FROM fleet_seq) WHERE rowid = NEW.rowid; END;"
	"ALTER TABLE problems ADD COLUMN fid INTEGER;"
	"ALTER TABLE problems ADD COLUMN rev INTEGER;"
	"UPDATE problems SET fid = id, rev = 1;"
	"CREATE TRIGGER problems_fleet_new AFTER INSERT ON problems BEGIN UPDATE fleet_seq SET n = n + 1;"
	" UPDATE problems SET fid = (SELECT n FROM fleet_seq), rev = (SELECT n FROM fleet_seq)"
	" WHERE rowid = NEW.rowid; END;"
	"CREATE TRIGGER problems_fleet_change AFTER UPDATE ON problems WHEN NEW.rev IS OLD.rev BEGIN"
	" UPDATE fleet_seq SET n = n + 1;"
	" UPDATE problems SET rev = (SELECT n FROM fleet_seq) WHERE rowid = NEW.rowid; END;"
	"ALTER TABLE quarantine ADD COLUMN fid INTEGER;"
	"ALTER TABLE quarantine ADD COLUMN rev INTEGER;"
	"UPDATE quarantine SET fid = id, rev = 1;"
	"CREATE TRIGGER quarantine_fleet_new AFTER INSERT ON quarantine BEGIN UPDATE fleet_seq SET n = n + 1;"
	" UPDATE quarantine SET fid = (SELECT n FROM fleet_seq), rev = (SELECT n FROM fleet_seq)"
	" WHERE rowid = NEW.rowid; END;"
	"CREATE TRIGGER quarantine_fleet_change AFTER UPDATE ON quarantine WHEN NEW.rev IS OLD.rev BEGIN"
	" UPDATE fleet_seq SET n = n + 1;"
	" UPDATE quarantine SET rev = (SELECT n FROM fleet_seq) WHERE rowid = NEW.rowid; END;"
	"ALTER TABLE inventory ADD COLUMN fid INTEGER;"
	"ALTER TABLE inventory ADD COLUMN rev INTEGER;"
	"UPDATE inventory SET fid = id, rev = 1;"
	"CREATE TRIGGER inventory_fleet_new AFTER INSERT ON inventory BEGIN UPDATE fleet_seq SET n = n + 1;"
	" UPDATE inventory SET fid = (SELECT n FROM fleet_seq), rev = (SELECT n FROM fleet_seq)"
	" WHERE rowid = NEW.rowid; END;"
	"CREATE TRIGGER inventory_fleet_change AFTER UPDATE ON inventory WHEN NEW.rev IS OLD.rev BEGIN"
	" UPDATE fleet_seq SET n = n + 1;"
	" UPDATE inventory SET rev = (SELECT n FROM fleet_seq) WHERE rowid = NEW.rowid; END;"
	"CREATE TRIGGER fleet_gone_new AFTER INSERT ON fleet_gone BEGIN UPDATE fleet_seq SET n = n + 1;"
	" UPDATE fleet_gone SET rev = (SELECT n FROM fleet_seq) WHERE id = NEW.id; END;",
	/* 15: an image scan of a block device: the disk's identity (model, serial...) */
	"ALTER TABLE scans ADD COLUMN disk TEXT;",
};

static enum vg_err
fail_on(sqlite3 *db, const char *kind, const char *path, const char *what, struct vg_error *err)
{
	int code = sqlite3_extended_errcode(db);
	const char *hint = "";

	if ((code & 0xff) == SQLITE_FULL)
		hint = " (the disk is full)";
	else if ((code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB)
		hint = " (the store is damaged; see 'vigil store check')";
	return vg_error_set(err, VG_STORE, "%s '%s': cannot %s: %s%s", kind, path, what,
			    sqlite3_errmsg(db), hint);
}

enum vg_err
store_fail(struct store *st, const char *what, struct vg_error *err)
{
	return fail_on(st->db, "store", st->path, what, err);
}

enum vg_err
store_vfail(struct store *st, const char *what, struct vg_error *err)
{
	return fail_on(st->vdb, "vault file", st->vpath, what, err);
}

sqlite3_stmt *
store_stmt(struct store *st, enum store_sql which)
{
	sqlite3_stmt *s = st->stmt[which];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

enum vg_err
store_exec(struct store *st, sqlite3_stmt *s, const char *what, struct vg_error *err)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(st, what, err);
	return VG_OK;
}

json_t *
store_col_text(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return json_null();
	return vg_json_bytes((const char *)sqlite3_column_blob(s, col),
			     (size_t)sqlite3_column_bytes(s, col));
}

json_t *
store_col_json(sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);
	json_t *j = t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;

	return j ? j : json_null();
}

enum vg_err
store_rows_json(struct store *st, sqlite3_stmt *s, json_t *(*row)(sqlite3_stmt *s),
		const char *what, json_t **out, struct vg_error *err)
{
	json_t *arr = json_array();
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(arr, row(s));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return store_fail(st, what, err);
	}
	*out = arr;
	return VG_OK;
}

/* PRAGMA user_version: how many migrations a database has had. */
static int
schema_version(sqlite3 *db)
{
	sqlite3_stmt *s;
	int version = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return version;
}

/*
 * Apply the missing migrations, one transaction each. The version is read again inside the
 * write transaction, so two processes opening a new database at once never apply one twice.
 */
enum vg_err
store_migrate(sqlite3 *db, const char *kind, const char *path, const char *const *list, size_t n,
	      struct vg_error *err)
{
	int current = schema_version(db);

	/* up to date: no write lock (a scan may hold it for a while) */
	if (current >= 0 && (size_t)current == n)
		return VG_OK;
	for (;;) {
		char pragma[64];
		int version;

		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			return fail_on(db, kind, path, "migrate the schema", err);
		version = schema_version(db);
		if (version < 0 || (size_t)version >= n) {
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			if (version < 0)
				return fail_on(db, kind, path, "read the schema version", err);
			if ((size_t)version > n)
				return vg_error_set(err, VG_STORE, "%s '%s' has schema version %d, "
						    "newer than this vigil knows", kind, path, version);
			return VG_OK;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
		if (sqlite3_exec(db, list[version], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			fail_on(db, kind, path, "migrate the schema", err);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return VG_STORE;
		}
	}
}

/* The files SQLite opens by name in the state folder. */
static const char *const store_files[] = { "vigil.db", "vigil.db-wal", "vigil.db-shm",
					     "vigil.db-journal", "vault.db", "vault.db-journal" };

enum vg_err
store_open(const char *state_dir, struct store **out, struct vg_error *err)
{
	struct store *st;
	enum vg_err rc;
	size_t i;

	rc = vg_mkdir_p(state_dir, 0700, err);
	if (rc != VG_OK)
		return rc;
	if (access(state_dir, W_OK | X_OK) != 0)
		return vg_error_set(err, VG_PERM, "state folder '%s' is not writable: %s",
				    state_dir, strerror(errno));
	/* whoever else can write here, or on the way, could swap the store, the configuration
	 * or the compiled rules: the folder, every folder above it, and the store's files
	 * must be root's or ours */
	rc = vg_state_dir_check(state_dir, err);
	for (i = 0; rc == VG_OK && i < sizeof(store_files) / sizeof(store_files[0]); i++)
		rc = vg_state_file_check(state_dir, store_files[i], err);
	if (rc != VG_OK)
		return rc;
	st = calloc(1, sizeof(*st));
	if (st == NULL || (st->path = vg_path_join(state_dir, "vigil.db")) == NULL ||
	    (st->dir = strdup(state_dir)) == NULL) {
		if (st)
			free(st->path);
		free(st);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	st->vfd = -1;
	{
		/*
		 * Create the file 0600 before SQLite does, whatever the umask — only when it is
		 * missing: closing any descriptor of an open database would drop the POSIX locks
		 * of this process's other connections to it (and another process could then
		 * checkpoint and delete the WAL they still write to).
		 */
		int fd = open(st->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0 && errno != EEXIST) {
			rc = vg_error_set(err, VG_STORE, "cannot open store '%s': %s", st->path,
					  strerror(errno));
			free(st->path);
			free(st->dir);
			free(st);
			return rc;
		}
		if (fd >= 0)
			close(fd);
	}
	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					       SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = vg_error_set(err, VG_STORE, "cannot open store '%s': %s", st->path,
				  st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return rc;
	}
	sqlite3_busy_timeout(st->db, 60000);
	{
		/* switching a new database to WAL takes a lock the busy handler does not wait
		 * for: two first uses at once retry instead of failing */
		int tries = 0, r;

		while ((r = sqlite3_exec(st->db, "PRAGMA page_size=65536; PRAGMA journal_mode=WAL;"
					 "PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;"
					 "PRAGMA foreign_keys=ON;", NULL, NULL, NULL)) == SQLITE_BUSY &&
		       tries++ < 600)
			usleep(100 * 1000);
		if (r != SQLITE_OK) {
			rc = store_fail(st, "open the store", err);
			store_close(st);
			return rc;
		}
	}
	rc = store_migrate(st->db, "store", st->path, migrations,
			   sizeof(migrations) / sizeof(migrations[0]), err);
	for (i = 0; rc == VG_OK && i < SQL__COUNT; i++)
		if (sqlite3_prepare_v3(st->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmt[i], NULL) != SQLITE_OK)
			rc = store_fail(st, "prepare a statement", err);
	if (rc != VG_OK) {
		store_close(st);
		return rc;
	}
	*out = st;
	return VG_OK;
}

void
store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	store_vault_close(st);
	for (i = 0; i < SQL__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st->dir);
	free(st);
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

enum vg_err
store_begin(struct store *st, struct vg_error *err)
{
	return store_exec(st, store_stmt(st, SQL_BEGIN), "begin a transaction", err);
}

enum vg_err
store_begin_read(struct store *st, struct vg_error *err)
{
	return store_exec(st, store_stmt(st, SQL_BEGIN_READ), "begin a read transaction", err);
}

enum vg_err
store_commit(struct store *st, struct vg_error *err)
{
	return store_exec(st, store_stmt(st, SQL_COMMIT), "commit", err);
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		store_exec(st, store_stmt(st, SQL_ROLLBACK), "roll back", NULL);
}

enum vg_err
store_meta_get(struct store *st, const char *key, char **value, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_META_GET);
	int rc;

	*value = NULL;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
		*value = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, "read metadata", err);
	return VG_OK;
}

enum vg_err
store_meta_set(struct store *st, const char *key, const char *value, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_META_SET);

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	return store_exec(st, s, "write metadata", err);
}

/*
 * SQLite's full integrity check of the database at path, opened read-only and without the
 * schema (so that a damaged file can be examined): each problem appended to problems, after
 * prefix.
 */
static void
integrity_check(const char *path, const char *prefix, json_t *problems)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char line[1024];
	int r;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check(100)", -1, &s, NULL) != SQLITE_OK) {
		snprintf(line, sizeof(line), "%s%s", prefix, db ? sqlite3_errmsg(db) : "cannot open");
		json_array_append_new(problems, json_string(line));
	} else {
		while ((r = sqlite3_step(s)) == SQLITE_ROW) {
			const char *t = (const char *)sqlite3_column_text(s, 0);

			if (t && strcmp(t, "ok") != 0) {
				snprintf(line, sizeof(line), "%s%s", prefix, t);
				json_array_append_new(problems, vg_json_bytes(line, strlen(line)));
			}
		}
		if (r != SQLITE_DONE) {
			snprintf(line, sizeof(line), "%s%s", prefix, sqlite3_errmsg(db));
			json_array_append_new(problems, json_string(line));
		}
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
}

enum vg_err
store_check(const char *state_dir, json_t **out, struct vg_error *err)
{
	char *path = vg_path_join(state_dir, "vigil.db"), *vault = vg_path_join(state_dir, "vault.db");
	json_t *problems = json_array();
	enum vg_err rc = VG_OK;
	size_t i;

	*out = NULL;
	if (path == NULL || vault == NULL) {
		rc = vg_error_set(err, VG_NOMEM, "out of memory");
		goto done;
	}
	if (access(path, F_OK) != 0) {
		rc = vg_error_set(err, VG_NOENT, "store '%s': %s", path, strerror(errno));
		goto done;
	}
	rc = vg_state_dir_check(state_dir, err);
	for (i = 0; rc == VG_OK && i < sizeof(store_files) / sizeof(store_files[0]); i++)
		rc = vg_state_file_check(state_dir, store_files[i], err);
	if (rc != VG_OK)
		goto done;
	integrity_check(path, "", problems);
	/* the vault file, once there is one: its problems named as its */
	if (access(vault, F_OK) == 0)
		integrity_check(vault, "vault.db: ", problems);
	*out = json_pack("{s:s, s:s, s:O}", "store", path, "integrity",
			 json_array_size(problems) ? "damaged" : "ok", "problems", problems);
done:
	json_decref(problems);
	free(path);
	free(vault);
	return rc;
}

enum vg_err
store_quick_check(struct store *st)
{
	sqlite3_stmt *s = store_stmt(st, SQL_QUICK_CHECK);
	int r = sqlite3_step(s);
	int ok = r == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;

	sqlite3_reset(s);
	return ok ? VG_OK : VG_STORE;
}

enum vg_err
store_machine_guid(struct store *st, char **out, struct vg_error *err)
{
	unsigned char r[16];
	char hex[33], guid[40];
	enum vg_err e = store_meta_get(st, "machine_guid", out, err);

	if (e != VG_OK || *out != NULL)
		return e;
	if (RAND_bytes(r, sizeof(r)) != 1)
		return vg_error_set(err, VG_CRYPTO, "no randomness for a machine guid");
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* a version 4 UUID */
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	vg_hex(r, 16, hex);
	snprintf(guid, sizeof(guid), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
		 hex + 20);
	/* two first uses at once: the first one's guid is kept, both return it */
	e = store_begin(st, err);
	if (e == VG_OK)
		e = store_meta_get(st, "machine_guid", out, err);
	if (e == VG_OK && *out == NULL) {
		e = store_meta_set(st, "machine_guid", guid, err);
		if (e == VG_OK && (*out = strdup(guid)) == NULL)
			e = vg_error_set(err, VG_NOMEM, "out of memory");
	}
	if (e == VG_OK)
		e = store_commit(st, err);
	if (e != VG_OK) {
		store_rollback(st);
		free(*out);
		*out = NULL;
	}
	return e;
}

enum vg_err
store_stats_json(struct store *st, json_t **out, struct vg_error *err)
{
	static const char *const cols[] = {
		"scans", "threats", "problems", "inventory", "reports", "quarantine",
		"quarantine_chunks", "exclusions", "allow", "sig_sources", "sig_history",
		"page_count", "page_size", "freelist_count",
	};
	sqlite3_stmt *s = store_stmt(st, SQL_STORE_STATS);
	json_t *rows = json_object(), *o;
	int rc = sqlite3_step(s), i;

	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		json_decref(rows);
		return store_fail(st, "read the store's statistics", err);
	}
	for (i = 0; i < 11; i++)
		json_object_set_new(rows, cols[i], json_integer(sqlite3_column_int64(s, i)));
	o = json_pack("{s:s, s:o, s:I, s:I, s:I, s:I}", "path", st->path, "rows", rows,
		      "page_count", (json_int_t)sqlite3_column_int64(s, 11), "page_size",
		      (json_int_t)sqlite3_column_int64(s, 12), "freelist_count",
		      (json_int_t)sqlite3_column_int64(s, 13), "bytes",
		      (json_int_t)(sqlite3_column_int64(s, 11) * sqlite3_column_int64(s, 12)));
	sqlite3_reset(s);
	*out = o;
	return VG_OK;
}

enum vg_err
store_meta_delete(struct store *st, const char *key, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_META_DELETE);

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	return store_exec(st, s, "delete metadata", err);
}

enum vg_err
store_meta_prefix_json(struct store *st, const char *prefix, json_t **out, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_META_PREFIX);
	json_t *o = json_object();
	int rc;

	sqlite3_bind_text(s, 1, prefix, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(s, 0),
				    store_col_text(s, 1));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(o);
		return store_fail(st, "read metadata", err);
	}
	*out = o;
	return VG_OK;
}

enum vg_err
store_exclusion_add(struct store *st, const char *kind, const char *value, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_EXCL_INSERT);
	int rc;

	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, value, (int)strlen(value), SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT)
		return vg_error_set(err, VG_EXISTS, "%s exclusion '%s' exists already", kind, value);
	if (rc != SQLITE_DONE)
		return store_fail(st, "add an exclusion", err);
	return VG_OK;
}

enum vg_err
store_exclusion_remove(struct store *st, const char *kind, const char *value, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_EXCL_DELETE);
	enum vg_err rc;

	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, value, (int)strlen(value), SQLITE_STATIC);
	rc = store_exec(st, s, "remove an exclusion", err);
	if (rc == VG_OK && sqlite3_changes(st->db) == 0)
		return vg_error_set(err, VG_NOTFOUND, "no %s exclusion '%s'", kind, value);
	return rc;
}

static json_t *
exclusion_row(sqlite3_stmt *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(s, 0)));
	json_object_set_new(o, "kind", store_col_text(s, 1));
	vg_json_set_bytes(o, "value", (const char *)sqlite3_column_blob(s, 2),
			  (size_t)sqlite3_column_bytes(s, 2));
	json_object_set_new(o, "added_at", store_col_text(s, 3));
	return o;
}

enum vg_err
store_exclusion_list_json(struct store *st, json_t **out, struct vg_error *err)
{
	return store_rows_json(st, store_stmt(st, SQL_EXCL_LIST), exclusion_row,
			       "list exclusions", out, err);
}
