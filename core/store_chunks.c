/* core/store_chunks.c — the vault file vault.db: the encrypted chunks of quarantined items. */
#include "core/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"

static const char *const vsql_text[] = {
#define STMT(name, sql)
#define VSTMT(name, sql) [VSQL_##name] = sql,
#include "core/store_sql.def"
#undef STMT
#undef VSTMT
};

/* The vault file's own schema, migrated as vigil.db's is (PRAGMA user_version). */
static const char *const vault_migrations[] = {
	/* 1: the chunks, and the file's random id, which vigil.db records. A rowid table: in a
	 * WITHOUT ROWID table every key comparison of a lookup or insert loads the whole
	 * 1 MiB record from its overflow pages; here the (item, idx) index holds only keys,
	 * and the data is read with sqlite3_blob_read straight into the caller's buffer */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"INSERT INTO meta(key, value) VALUES('vault_id', lower(hex(randomblob(16))));"
	"CREATE TABLE quarantine_chunks(id INTEGER PRIMARY KEY, item INTEGER NOT NULL,"
	" idx INTEGER NOT NULL, nonce BLOB NOT NULL, data BLOB NOT NULL, UNIQUE(item, idx));",
};

/* vigil.db's meta key for the id of its vault file. */
#define VAULT_ID_KEY "vault_file_id"

static sqlite3_stmt *
vstmt(struct store *st, enum store_vsql which)
{
	sqlite3_stmt *s = st->vstmt[which];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static enum vg_err
vexec(struct store *st, sqlite3_stmt *s, const char *what, struct vg_error *err)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_vfail(st, what, err);
	return VG_OK;
}

const char *
store_vault_path(const struct store *st)
{
	return st->vpath;
}

void
store_vault_close(struct store *st)
{
	size_t i;

	for (i = 0; i < VSQL__COUNT; i++) {
		sqlite3_finalize(st->vstmt[i]);
		st->vstmt[i] = NULL;
	}
	sqlite3_close(st->vdb);
	st->vdb = NULL;
	free(st->vpath);
	st->vpath = NULL;
	st->vfd = -1;
}

/*
 * The file exists, or is made (0600, before SQLite opens it, as store_open does for vigil.db)
 * when vigil.db has never had one. When vigil.db says it had one, a missing file is an error:
 * an empty new one would make every item in it look corrupt.
 */
static enum vg_err
vault_file_present(struct store *st, const char *known, struct vg_error *err)
{
	int fd;

	if (known) {
		if (access(st->vpath, F_OK) == 0)
			return VG_OK;
		return vg_error_set(err, VG_STORE, "vault file '%s' is missing (%s): the items "
				    "quarantined in it cannot be restored; put the file back, or "
				    "remove those items", st->vpath, strerror(errno));
	}
	fd = open(st->vpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno != EEXIST)
		return vg_error_set(err, VG_STORE, "cannot create vault file '%s': %s", st->vpath,
				    strerror(errno));
	if (fd >= 0)
		close(fd);
	return VG_OK;
}

/* Record the vault file's id in vigil.db (first use), or check it against the record. */
static enum vg_err
vault_file_match(struct store *st, const char *known, struct vg_error *err)
{
	sqlite3_stmt *s = vstmt(st, VSQL_V_META_GET);
	char *id = NULL, *again = NULL;
	enum vg_err rc = VG_OK;
	int r;

	sqlite3_bind_text(s, 1, "vault_id", -1, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW && sqlite3_column_text(s, 0))
		id = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (id == NULL)
		return r == SQLITE_ROW || r == SQLITE_DONE
			       ? vg_error_set(err, VG_STORE, "vault file '%s' has no vault id: it "
					      "is damaged", st->vpath)
			       : store_vfail(st, "read the vault id", err);
	if (known == NULL) {
		/* two first uses at once: both made and read the same file, so the same id */
		rc = store_begin(st, err);
		if (rc == VG_OK)
			rc = store_meta_get(st, VAULT_ID_KEY, &again, err);
		if (rc == VG_OK && again == NULL)
			rc = store_meta_set(st, VAULT_ID_KEY, id, err);
		if (rc == VG_OK)
			rc = store_commit(st, err);
		if (rc != VG_OK)
			store_rollback(st);
		known = again;
	}
	if (rc == VG_OK && known && strcmp(known, id) != 0)
		rc = vg_error_set(err, VG_STORE, "vault file '%s' is not the vault of store '%s' "
				  "(it is vault %s, the store's is %s)", st->vpath, st->path, id,
				  known);
	free(again);
	free(id);
	return rc;
}

enum vg_err
store_vault_open(struct store *st, struct vg_error *err)
{
	char *known = NULL;
	enum vg_err rc;
	size_t i;
	int tries = 0, r;

	if (st->vdb)
		return VG_OK;
	if ((st->vpath = vg_path_join(st->dir, "vault.db")) == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	rc = store_meta_get(st, VAULT_ID_KEY, &known, err);
	if (rc == VG_OK)
		rc = vault_file_present(st, known, err);
	if (rc != VG_OK)
		goto out;
	if (sqlite3_open_v2(st->vpath, &st->vdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = vg_error_set(err, VG_STORE, "cannot open vault file '%s': %s", st->vpath,
				  st->vdb ? sqlite3_errmsg(st->vdb) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(st->vdb, 60000);
	/*
	 * A rollback journal, not WAL: a page appended past the file's old end needs no journal
	 * entry, so a chunk is written once (a WAL writes it to the log, then again at the
	 * checkpoint). TRUNCATE rather than DELETE: with synchronous=FULL, SQLite syncs the
	 * truncated journal, while a deleted one is not made durable (that is EXTRA), and a
	 * journal back after a power cut would roll a committed copy back. 64 KiB pages: a
	 * 1 MiB chunk is 16 overflow pages.
	 */
	while ((r = sqlite3_exec(st->vdb, "PRAGMA page_size=65536; PRAGMA journal_mode=TRUNCATE;"
				 "PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;", NULL, NULL,
				 NULL)) == SQLITE_BUSY && tries++ < 600)
		usleep(100 * 1000);
	if (r != SQLITE_OK) {
		rc = store_vfail(st, "open the vault file", err);
		goto out;
	}
	rc = store_migrate(st->vdb, "vault file", st->vpath, vault_migrations,
			   sizeof(vault_migrations) / sizeof(vault_migrations[0]), err);
	for (i = 0; rc == VG_OK && i < VSQL__COUNT; i++)
		if (sqlite3_prepare_v3(st->vdb, vsql_text[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->vstmt[i], NULL) != SQLITE_OK)
			rc = store_vfail(st, "prepare a statement", err);
	if (rc == VG_OK)
		rc = vault_file_match(st, known, err);
out:
	if (rc != VG_OK)
		store_vault_close(st);
	free(known);
	return rc;
}

enum vg_err
store_vault_begin(struct store *st, struct vg_error *err)
{
	return vexec(st, vstmt(st, VSQL_V_BEGIN), "begin a transaction", err);
}

enum vg_err
store_vault_commit(struct store *st, struct vg_error *err)
{
	return vexec(st, vstmt(st, VSQL_V_COMMIT), "commit", err);
}

void
store_vault_rollback(struct store *st)
{
	sqlite3_stmt *s;

	if (st->vdb == NULL)
		return;
	if (!sqlite3_get_autocommit(st->vdb))
		vexec(st, vstmt(st, VSQL_V_ROLLBACK), "roll back", NULL);
	/*
	 * After a failed write (a full disk) SQLite may have ended the transaction itself and
	 * left its journal hot, to be rolled back by the next reader: read once now, so that the
	 * file shrinks back and the journal's space is free again at once, not at the next
	 * command (the store needs that space to record the failure).
	 */
	s = vstmt(st, VSQL_V_META_GET);
	sqlite3_bind_text(s, 1, "vault_id", -1, SQLITE_STATIC);
	sqlite3_step(s);
	sqlite3_reset(s);
}

enum vg_err
store_vchunk_put(struct store *st, int64_t id, int64_t idx, const void *nonce, size_t nonce_len,
		 const void *data, size_t len, struct vg_error *err)
{
	sqlite3_stmt *s = vstmt(st, VSQL_V_CHUNK_PUT);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, idx);
	sqlite3_bind_blob(s, 3, nonce, (int)nonce_len, SQLITE_STATIC);
	sqlite3_bind_blob64(s, 4, data, len, SQLITE_STATIC);
	return vexec(st, s, "store an encrypted chunk", err);
}

enum vg_err
store_vchunk_get(struct store *st, int64_t id, int64_t idx, void *nonce, size_t ncap,
		 size_t *nonce_len, void *data, size_t cap, size_t *len, struct vg_error *err)
{
	sqlite3_stmt *s = vstmt(st, VSQL_V_CHUNK_FIND);
	sqlite3_blob *b = NULL;
	sqlite3_int64 row = 0;
	size_t nl = 0, dl = 0;
	enum vg_err rc = VG_OK;
	int r;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, idx);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		row = sqlite3_column_int64(s, 0);
		nl = (size_t)sqlite3_column_bytes(s, 1);
		dl = (size_t)sqlite3_column_int64(s, 2);
		if (nl > ncap || dl > cap)
			rc = vg_error_set(err, VG_LIMIT, "quarantine item %lld: chunk %lld is too large",
					  (long long)id, (long long)idx);
		else if (nl)
			memcpy(nonce, sqlite3_column_blob(s, 1), nl);
	} else if (r == SQLITE_DONE) {
		rc = vg_error_set(err, VG_NOTFOUND, "quarantine item %lld: chunk %lld is missing",
				  (long long)id, (long long)idx);
	} else {
		rc = store_vfail(st, "read an encrypted chunk", err);
	}
	sqlite3_reset(s);
	/* the handle holds a read lock while open: one per chunk, closed at once */
	if (rc == VG_OK && dl > 0) {
		r = sqlite3_blob_open(st->vdb, "main", "quarantine_chunks", "data", row, 0, &b);
		if (r == SQLITE_OK)
			r = sqlite3_blob_read(b, data, (int)dl, 0);
		if (r == SQLITE_ERROR && b == NULL) /* the row went meanwhile */
			rc = vg_error_set(err, VG_NOTFOUND, "quarantine item %lld: chunk %lld is "
					  "missing", (long long)id, (long long)idx);
		else if (r != SQLITE_OK)
			rc = store_vfail(st, "read an encrypted chunk", err);
		sqlite3_blob_close(b);
	}
	if (rc == VG_OK) {
		*nonce_len = nl;
		*len = dl;
	}
	return rc;
}

enum vg_err
store_q_chunks_drop(struct store *st, int64_t id, int wipe, struct vg_error *err)
{
	sqlite3_stmt *s;
	enum vg_err rc;

	if (!wipe)
		sqlite3_exec(st->vdb, "PRAGMA secure_delete=OFF", NULL, NULL, NULL);
	rc = store_vault_begin(st, err);
	if (rc == VG_OK) {
		s = vstmt(st, VSQL_V_CHUNKS_DELETE);
		sqlite3_bind_int64(s, 1, id);
		rc = vexec(st, s, "delete the chunks of a quarantine item", err);
	}
	if (rc == VG_OK)
		rc = store_vault_commit(st, err);
	if (rc != VG_OK)
		store_vault_rollback(st);
	if (!wipe)
		sqlite3_exec(st->vdb, "PRAGMA secure_delete=ON", NULL, NULL, NULL);
	return rc;
}

/* SQLite's descriptor of the vault file: one in /proc/self/fd on its inode (never closed
 * here, which would drop SQLite's locks), or -1. */
static int
vault_fd(struct store *st)
{
	struct stat want, have;
	struct dirent *e;
	DIR *d;

	if (stat(st->vpath, &want) != 0)
		return -1;
	if (st->vfd >= 0 && fstat(st->vfd, &have) == 0 && have.st_dev == want.st_dev &&
	    have.st_ino == want.st_ino)
		return st->vfd;
	st->vfd = -1;
	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);

		if (fd > 2 && fd != dirfd(d) && fstat(fd, &have) == 0 &&
		    have.st_dev == want.st_dev && have.st_ino == want.st_ino) {
			st->vfd = fd;
			break;
		}
	}
	closedir(d);
	return st->vfd;
}

void
store_vault_writeback(struct store *st)
{
	int fd = st->vdb ? vault_fd(st) : -1;

	if (fd >= 0)
		sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}
