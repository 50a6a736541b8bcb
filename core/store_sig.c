/*
 * core/store_sig.c — the store's rows for signature sources (imported rule files and hash
 * lists, their SHA-256, listing and reading) and their history (snapshots for rollback).
 * Split from core/store.c; SQL in core/store_sql.def.
 */
#include "core/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"

enum vg_err
store_sig_snapshot(struct store *st, int64_t version, const char *digest, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SIG_ALL_FULL);
	json_t *manifest = json_array();
	enum vg_err rc = VG_OK;
	char *text;
	int r;

	while (rc == VG_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *sha = (const char *)sqlite3_column_text(s, 3);
		sqlite3_stmt *b = st->stmt[SQL_SIG_BLOB_PUT];

		json_array_append_new(manifest,
				      json_pack("{s:s, s:s, s:s, s:I}", "name",
						sqlite3_column_text(s, 0), "kind",
						sqlite3_column_text(s, 1), "sha256", sha ? sha : "",
						"rules", (json_int_t)sqlite3_column_int64(s, 4)));
		sqlite3_reset(b);
		sqlite3_bind_text(b, 1, sha, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(b, 2, sqlite3_column_blob(s, 2), sqlite3_column_bytes(s, 2),
				  SQLITE_TRANSIENT);
		rc = store_exec(st, b, "keep a signature source", err);
	}
	sqlite3_reset(s);
	text = json_dumps(manifest, JSON_COMPACT);
	json_decref(manifest);
	if (rc == VG_OK) {
		s = store_stmt(st, SQL_SIG_HISTORY_ADD);
		sqlite3_bind_int64(s, 1, version);
		sqlite3_bind_text(s, 2, digest, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, text ? text : "[]", -1, SQLITE_STATIC);
		rc = store_exec(st, s, "record a signature version", err);
	}
	free(text);
	return rc;
}

enum vg_err
store_sig_clear(struct store *st, struct vg_error *err)
{
	return store_exec(st, store_stmt(st, SQL_SIG_CLEAR), "replace the signature sources", err);
}

int
store_sig_history_has(struct store *st, int64_t version)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SIG_HISTORY_HAS);
	int r;

	sqlite3_bind_int64(s, 1, version);
	r = sqlite3_step(s);
	sqlite3_reset(s);
	return r == SQLITE_ROW;
}

enum vg_err
store_sig_restore(struct store *st, int64_t below, const char *not_digest, int64_t *version,
		  struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SIG_HISTORY_PREV);
	json_t *manifest = NULL, *e;
	enum vg_err rc = VG_OK;
	size_t i;
	int r;

	sqlite3_bind_int64(s, 1, below);
	sqlite3_bind_text(s, 2, not_digest, -1, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*version = sqlite3_column_int64(s, 0);
		manifest = json_loads((const char *)sqlite3_column_text(s, 1), 0, NULL);
	}
	sqlite3_reset(s);
	if (r == SQLITE_DONE)
		return vg_error_set(err, VG_NOTFOUND, "there is no earlier signature version to "
				    "return to");
	if (r != SQLITE_ROW || manifest == NULL)
		return store_fail(st, "read the signature history", err);
	rc = store_sig_clear(st, err);
	json_array_foreach(manifest, i, e) {
		sqlite3_stmt *g = store_stmt(st, SQL_SIG_BLOB_GET);

		if (rc != VG_OK)
			break;
		sqlite3_bind_text(g, 1, json_string_value(json_object_get(e, "sha256")), -1,
				  SQLITE_STATIC);
		if (sqlite3_step(g) != SQLITE_ROW) {
			sqlite3_reset(g);
			rc = vg_error_set(err, VG_STORE, "the signature history lacks source '%s'",
					  json_string_value(json_object_get(e, "name")));
			break;
		}
		rc = store_sig_put(st, json_string_value(json_object_get(e, "name")),
				   json_string_value(json_object_get(e, "kind")),
				   sqlite3_column_blob(g, 0), (size_t)sqlite3_column_bytes(g, 0),
				   json_integer_value(json_object_get(e, "rules")),
				   json_string_value(json_object_get(e, "sha256")), err);
		sqlite3_reset(g);
	}
	json_decref(manifest);
	return rc;
}

enum vg_err
store_sig_put(struct store *st, const char *name, const char *kind, const void *content,
	      size_t len, int64_t rule_count, const char *sha256, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SIG_PUT);

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(s, 3, content, len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, rule_count);
	sqlite3_bind_text(s, 5, sha256, -1, SQLITE_STATIC);
	return store_exec(st, s, "save a signature source", err);
}

enum vg_err
store_sig_remove(struct store *st, const char *name, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SIG_DELETE);
	enum vg_err rc;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = store_exec(st, s, "remove a signature source", err);
	if (rc == VG_OK && sqlite3_changes(st->db) == 0)
		return vg_error_set(err, VG_NOTFOUND, "no signature source '%s'", name);
	return rc;
}

enum vg_err
store_sig_foreach(struct store *st,
		  int (*fn)(const char *name, const char *kind, const void *content, size_t len,
			    void *ctx),
		  void *ctx, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SIG_ALL);
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (fn((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
		       sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2), ctx) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read signature sources", err);
	return VG_OK;
}

enum vg_err
store_sig_index(struct store *st,
		int (*fn)(const char *name, const char *kind, const char *sha256, int64_t rules,
			  void *ctx),
		void *ctx, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SIG_INDEX);
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (fn((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
		       (const char *)sqlite3_column_text(s, 2), sqlite3_column_int64(s, 3), ctx) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "read signature sources", err);
	return VG_OK;
}

enum vg_err
store_sig_get(struct store *st, const char *name, char **content, size_t *len, char **sha256,
	      struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SIG_GET);
	const char *sha;
	size_t n;
	int rc;

	*content = *sha256 = NULL;
	*len = 0;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return vg_error_set(err, VG_NOTFOUND, "no signature source '%s'", name);
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_fail(st, "read a signature source", err);
	}
	n = (size_t)sqlite3_column_bytes(s, 0);
	sha = (const char *)sqlite3_column_text(s, 1);
	*content = malloc(n + 1);
	*sha256 = strdup(sha ? sha : "");
	if (*content == NULL || *sha256 == NULL) {
		sqlite3_reset(s);
		free(*content);
		free(*sha256);
		*content = *sha256 = NULL;
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	if (n > 0)
		memcpy(*content, sqlite3_column_blob(s, 0), n);
	(*content)[n] = '\0';
	*len = n;
	sqlite3_reset(s);
	return VG_OK;
}

static json_t *
sig_row(sqlite3_stmt *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "name", store_col_text(s, 0));
	json_object_set_new(o, "kind", store_col_text(s, 1));
	json_object_set_new(o, "rules", json_integer(sqlite3_column_int64(s, 2)));
	json_object_set_new(o, "sha256", store_col_text(s, 3));
	json_object_set_new(o, "imported_at", store_col_text(s, 4));
	json_object_set_new(o, "bytes", json_integer(sqlite3_column_int64(s, 5)));
	return o;
}

enum vg_err
store_sig_list_json(struct store *st, json_t **out, struct vg_error *err)
{
	return store_rows_json(st, store_stmt(st, SQL_SIG_LIST), sig_row,
			       "list signature sources", out, err);
}
