/* core/store_int.h — private to core/store*.c: the handle and its prepared statements. */
#ifndef VIGIL_CORE_STORE_INT_H
#define VIGIL_CORE_STORE_INT_H

#include <sqlite3.h>

#include "core/store.h"

enum store_sql {
#define STMT(name, sql) SQL_##name,
#define VSTMT(name, sql)
#include "core/store_sql.def"
#undef STMT
#undef VSTMT
	SQL__COUNT
};

/* The statements on the vault file (core/store_chunks.c). */
enum store_vsql {
#define STMT(name, sql)
#define VSTMT(name, sql) VSQL_##name,
#include "core/store_sql.def"
#undef STMT
#undef VSTMT
	VSQL__COUNT
};

struct store {
	sqlite3 *db;
	char *path;
	char *dir;		/* the state folder */
	sqlite3_stmt *stmt[SQL__COUNT];
	/* the vault file, once store_vault_open has opened it */
	sqlite3 *vdb;
	char *vpath;
	sqlite3_stmt *vstmt[VSQL__COUNT];
	int vfd;		/* SQLite's descriptor of it, found by store_vault_writeback */
};

/* The statement, reset and with its bindings cleared, ready to bind. */
sqlite3_stmt *store_stmt(struct store *st, enum store_sql which);

/* Translate SQLite's error for what was being done into err (the one place for SQLITE_*). */
enum vg_err store_fail(struct store *st, const char *what, struct vg_error *err);
/* The same for the vault file's connection. */
enum vg_err store_vfail(struct store *st, const char *what, struct vg_error *err);

/*
 * Apply the migrations of list (n of them) that db (kind 'path', for messages) lacks,
 * counted in PRAGMA user_version.
 */
enum vg_err store_migrate(sqlite3 *db, const char *kind, const char *path,
			  const char *const *list, size_t n, struct vg_error *err);

/* Close the vault file's connection (store_close). */
void store_vault_close(struct store *st);
/* Chunk idx of item id into the vault file's open transaction. */
enum vg_err store_vchunk_put(struct store *st, int64_t id, int64_t idx, const void *nonce,
			     size_t nonce_len, const void *data, size_t len, struct vg_error *err);
/* Chunk idx of item id from the vault file (store_q_chunk_get says how). */
enum vg_err store_vchunk_get(struct store *st, int64_t id, int64_t idx, void *nonce, size_t ncap,
			     size_t *nonce_len, void *data, size_t cap, size_t *len,
			     struct vg_error *err);

/* Step a statement that returns no rows. */
enum vg_err store_exec(struct store *st, sqlite3_stmt *s, const char *what, struct vg_error *err);

/*
 * Step s to the end, appending row(s) for each row to a new array in *out; on an error,
 * nothing is returned and err names what was being done.
 */
enum vg_err store_rows_json(struct store *st, sqlite3_stmt *s, json_t *(*row)(sqlite3_stmt *s),
			    const char *what, json_t **out, struct vg_error *err);

/*
 * The JSON of one row, shared by the local listings and the fleet (core/store_fleet.c),
 * from the leading columns of SCAN_GET, THREAT_LIST, PROBLEM_LIST and Q_LIST.
 */
json_t *store_scan_row(sqlite3_stmt *s);
json_t *store_threat_row(sqlite3_stmt *s);
json_t *store_problem_row(sqlite3_stmt *s);
json_t *store_q_row(sqlite3_stmt *s);

/* Column helpers: text as a JSON string or null, bytes via vg_json_bytes, JSON text parsed. */
json_t *store_col_text(sqlite3_stmt *s, int col);
json_t *store_col_json(sqlite3_stmt *s, int col);

#endif
