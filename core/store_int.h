/* core/store_int.h — private to core/store*.c: the handle and its prepared statements. */
#ifndef VIGIL_CORE_STORE_INT_H
#define VIGIL_CORE_STORE_INT_H

#include <sqlite3.h>

#include "core/store.h"

enum store_sql {
#define STMT(name, sql) SQL_##name,
#include "core/store_sql.def"
#undef STMT
	SQL__COUNT
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[SQL__COUNT];
};

/* The statement, reset and with its bindings cleared, ready to bind. */
sqlite3_stmt *store_stmt(struct store *st, enum store_sql which);

/* Translate SQLite's error for what was being done into err (the one place for SQLITE_*). */
enum vg_err store_fail(struct store *st, const char *what, struct vg_error *err);

/* Step a statement that returns no rows. */
enum vg_err store_exec(struct store *st, sqlite3_stmt *s, const char *what, struct vg_error *err);

/*
 * Step s to the end, appending row(s) for each row to a new array in *out; on an error,
 * nothing is returned and err names what was being done.
 */
enum vg_err store_rows_json(struct store *st, sqlite3_stmt *s, json_t *(*row)(sqlite3_stmt *s),
			    const char *what, json_t **out, struct vg_error *err);

/* Column helpers: text as a JSON string or null, bytes via vg_json_bytes, JSON text parsed. */
json_t *store_col_text(sqlite3_stmt *s, int col);
json_t *store_col_json(sqlite3_stmt *s, int col);

#endif
