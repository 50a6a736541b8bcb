/* core/store_vault.c — the quarantine vault's rows and chunks, and the allow list. */
#include "core/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"

void
store_qitem_release(struct store_qitem *q)
{
	free(q->state);
	free(q->path);
	free(q->sha256);
	free(q->threat);
	free(q->quarantined_at);
	memset(q, 0, sizeof(*q));
}

enum vg_err
store_q_insert(struct store *st, const struct store_qitem *q, int64_t *id, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_Q_INSERT);
	enum vg_err rc;

	sqlite3_bind_blob(s, 1, q->path, (int)q->path_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, q->mode);
	sqlite3_bind_int64(s, 3, q->uid);
	sqlite3_bind_int64(s, 4, q->gid);
	sqlite3_bind_int64(s, 5, q->atime_ns);
	sqlite3_bind_int64(s, 6, q->mtime_ns);
	sqlite3_bind_int64(s, 7, q->dev);
	sqlite3_bind_int64(s, 8, q->ino);
	sqlite3_bind_int64(s, 9, q->size);
	sqlite3_bind_text(s, 10, q->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, q->threat, -1, SQLITE_STATIC);
	if (q->scan_id > 0)
		sqlite3_bind_int64(s, 12, q->scan_id);
	sqlite3_bind_int64(s, 13, q->chunk_size);
	sqlite3_bind_int64(s, 14, q->chunks);
	sqlite3_bind_text(s, 15, q->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 16, q->chunk_file);
	rc = store_exec(st, s, "record a quarantine item", err);
	if (rc == VG_OK)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

enum vg_err
store_q_chunk_put(struct store *st, const struct store_qitem *q, int64_t idx, const void *nonce,
		  size_t nonce_len, const void *data, size_t len, struct vg_error *err)
{
	sqlite3_stmt *s;

	if (q->chunk_file)
		return store_vchunk_put(st, q->id, idx, nonce, nonce_len, data, len, err);
	s = store_stmt(st, SQL_Q_CHUNK_PUT);
	sqlite3_bind_int64(s, 1, q->id);
	sqlite3_bind_int64(s, 2, idx);
	sqlite3_bind_blob(s, 3, nonce, (int)nonce_len, SQLITE_STATIC);
	sqlite3_bind_blob64(s, 4, data, len, SQLITE_STATIC);
	return store_exec(st, s, "store an encrypted chunk", err);
}

/* Chunk idx of an item with chunk_file 0, from quarantine_chunks in vigil.db. */
static enum vg_err
chunk_get_old(struct store *st, int64_t id, int64_t idx, void *nonce, size_t ncap,
	      size_t *nonce_len, void *data, size_t cap, size_t *len, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_Q_CHUNK_GET);
	enum vg_err rc = VG_OK;
	int r;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, idx);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		size_t nl = (size_t)sqlite3_column_bytes(s, 0), dl = (size_t)sqlite3_column_bytes(s, 1);

		if (nl > ncap || dl > cap) {
			rc = vg_error_set(err, VG_LIMIT, "quarantine item %lld: chunk %lld is too large",
					  (long long)id, (long long)idx);
		} else {
			memcpy(nonce, sqlite3_column_blob(s, 0), nl);
			if (dl)
				memcpy(data, sqlite3_column_blob(s, 1), dl);
			*nonce_len = nl;
			*len = dl;
		}
	} else if (r == SQLITE_DONE) {
		rc = vg_error_set(err, VG_NOTFOUND, "quarantine item %lld: chunk %lld is missing",
				  (long long)id, (long long)idx);
	} else {
		rc = store_fail(st, "read an encrypted chunk", err);
	}
	sqlite3_reset(s);
	return rc;
}

enum vg_err
store_q_chunk_get(struct store *st, const struct store_qitem *q, int64_t idx, void *nonce,
		  size_t ncap, size_t *nonce_len, void *data, size_t cap, size_t *len,
		  struct vg_error *err)
{
	if (q->chunk_file == 0)
		return chunk_get_old(st, q->id, idx, nonce, ncap, nonce_len, data, cap, len, err);
	return store_vchunk_get(st, q->id, idx, nonce, ncap, nonce_len, data, cap, len, err);
}

enum vg_err
store_q_set_state(struct store *st, int64_t id, const char *state, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_Q_SET_STATE);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	return store_exec(st, s, "update a quarantine item", err);
}

enum vg_err
store_q_set_sha256(struct store *st, int64_t id, const char *sha256, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_Q_SET_SHA256);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, sha256, -1, SQLITE_STATIC);
	return store_exec(st, s, "update a quarantine item", err);
}

enum vg_err
store_q_delete(struct store *st, int64_t id, int wipe, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_Q_CHUNKS_DELETE);
	enum vg_err rc;

	if (!wipe)
		sqlite3_exec(st->db, "PRAGMA secure_delete=OFF", NULL, NULL, NULL);
	sqlite3_bind_int64(s, 1, id);
	rc = store_exec(st, s, "delete the chunks of a quarantine item", err);
	if (rc == VG_OK) {
		/* the fleet copy marks it removed */
		s = store_stmt(st, SQL_GONE_QUARANTINE);
		sqlite3_bind_int64(s, 1, id);
		rc = store_exec(st, s, "delete a quarantine item", err);
	}
	if (rc == VG_OK) {
		s = store_stmt(st, SQL_Q_DELETE);
		sqlite3_bind_int64(s, 1, id);
		rc = store_exec(st, s, "delete a quarantine item", err);
	}
	if (!wipe)
		sqlite3_exec(st->db, "PRAGMA secure_delete=ON", NULL, NULL, NULL);
	return rc;
}

static char *
col_strdup(sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);

	return t ? strdup(t) : NULL;
}

static void
q_row(sqlite3_stmt *s, struct store_qitem *q)
{
	size_t pl = (size_t)sqlite3_column_bytes(s, 2);

	q->id = sqlite3_column_int64(s, 0);
	q->state = col_strdup(s, 1);
	q->path = malloc(pl + 1);
	if (q->path) {
		memcpy(q->path, sqlite3_column_blob(s, 2), pl);
		q->path[pl] = '\0';
	}
	q->path_len = pl;
	q->mode = sqlite3_column_int64(s, 3);
	q->uid = sqlite3_column_int64(s, 4);
	q->gid = sqlite3_column_int64(s, 5);
	q->atime_ns = sqlite3_column_int64(s, 6);
	q->mtime_ns = sqlite3_column_int64(s, 7);
	q->dev = sqlite3_column_int64(s, 8);
	q->ino = sqlite3_column_int64(s, 9);
	q->size = sqlite3_column_int64(s, 10);
	q->sha256 = col_strdup(s, 11);
	q->threat = col_strdup(s, 12);
	q->scan_id = sqlite3_column_int64(s, 13);
	q->chunk_size = sqlite3_column_int64(s, 14);
	q->chunks = sqlite3_column_int64(s, 15);
	q->quarantined_at = col_strdup(s, 16);
	q->chunk_file = sqlite3_column_int64(s, 17);
}

enum vg_err
store_q_get(struct store *st, int64_t id, struct store_qitem *out, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_Q_GET);
	int r;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_int64(s, 1, id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		q_row(s, out);
	sqlite3_reset(s);
	if (r == SQLITE_DONE)
		return vg_error_set(err, VG_NOTFOUND, "no quarantine item with id %lld", (long long)id);
	if (r != SQLITE_ROW)
		return store_fail(st, "read a quarantine item", err);
	if (out->path == NULL || out->state == NULL || out->sha256 == NULL) {
		store_qitem_release(out);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	return VG_OK;
}

static enum vg_err
ids_of(struct store *st, sqlite3_stmt *s, const char *what, int64_t **ids, size_t *n,
       struct vg_error *err)
{
	size_t cap = 0;
	int r;

	*ids = NULL;
	*n = 0;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			int64_t *v = realloc(*ids, (cap = cap ? cap * 2 : 16) * sizeof(int64_t));

			if (v == NULL) {
				r = SQLITE_NOMEM;
				break;
			}
			*ids = v;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return store_fail(st, what, err);
	}
	return VG_OK;
}

enum vg_err
store_q_ids(struct store *st, const char *state, int64_t **ids, size_t *n, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_Q_LIST);

	sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
	return ids_of(st, s, "list quarantine items", ids, n, err);
}

enum vg_err
store_q_expired(struct store *st, int64_t days, int64_t **ids, size_t *n, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_Q_EXPIRED);

	sqlite3_bind_int64(s, 1, days);
	return ids_of(st, s, "list expired quarantine items", ids, n, err);
}

json_t *
store_q_row(sqlite3_stmt *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(s, 0)));
	json_object_set_new(o, "state", store_col_text(s, 1));
	vg_json_set_bytes(o, "path", (const char *)sqlite3_column_blob(s, 2),
			  (size_t)sqlite3_column_bytes(s, 2));
	json_object_set_new(o, "mode", json_integer(sqlite3_column_int64(s, 3)));
	json_object_set_new(o, "uid", json_integer(sqlite3_column_int64(s, 4)));
	json_object_set_new(o, "gid", json_integer(sqlite3_column_int64(s, 5)));
	json_object_set_new(o, "mtime", json_integer(sqlite3_column_int64(s, 7) / 1000000000));
	json_object_set_new(o, "size", json_integer(sqlite3_column_int64(s, 10)));
	json_object_set_new(o, "sha256", store_col_text(s, 11));
	json_object_set_new(o, "threat", store_col_text(s, 12));
	json_object_set_new(o, "scan_id", sqlite3_column_type(s, 13) == SQLITE_NULL
						  ? json_null()
						  : json_integer(sqlite3_column_int64(s, 13)));
	json_object_set_new(o, "quarantined_at", store_col_text(s, 16));
	return o;
}

enum vg_err
store_q_list_json(struct store *st, const char *state, json_t **out, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_Q_LIST);

	sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
	return store_rows_json(st, s, store_q_row, "list quarantine items", out, err);
}

enum vg_err
store_q_count(struct store *st, int64_t *n, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_Q_COUNT);
	int r = sqlite3_step(s);

	*n = r == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return r == SQLITE_ROW ? VG_OK : store_fail(st, "count quarantine items", err);
}

enum vg_err
store_allow_add(struct store *st, const char *kind, const char *value, const char *path,
		size_t path_len, const char *reason, int64_t expires_at, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_ALLOW_INSERT);

	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, reason, -1, SQLITE_STATIC);
	if (expires_at > 0)
		sqlite3_bind_int64(s, 4, expires_at);
	/* x'' (not NULL) for every file: UNIQUE treats NULLs as distinct */
	if (path && path_len)
		sqlite3_bind_blob(s, 5, path, (int)path_len, SQLITE_STATIC);
	else
		sqlite3_bind_zeroblob(s, 5, 0);
	return store_exec(st, s, "add to the allow list", err);
}

enum vg_err
store_allow_remove(struct store *st, const char *kind, const char *value, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_ALLOW_DELETE);
	enum vg_err rc;

	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	rc = store_exec(st, s, "remove from the allow list", err);
	if (rc == VG_OK && sqlite3_changes(st->db) == 0)
		return vg_error_set(err, VG_NOTFOUND, "no %s '%s' on the allow list", kind, value);
	return rc;
}

static json_t *
allow_row(sqlite3_stmt *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(s, 0)));
	json_object_set_new(o, "kind", store_col_text(s, 1));
	json_object_set_new(o, "value", store_col_text(s, 2));
	json_object_set_new(o, "reason", store_col_text(s, 3));
	json_object_set_new(o, "added_at", store_col_text(s, 4));
	json_object_set_new(o, "expires_at", sqlite3_column_type(s, 5) == SQLITE_NULL
						     ? json_null()
						     : json_integer(sqlite3_column_int64(s, 5)));
	if (sqlite3_column_bytes(s, 6) > 0)
		vg_json_set_bytes(o, "path", sqlite3_column_blob(s, 6),
				  (size_t)sqlite3_column_bytes(s, 6));
	else
		json_object_set_new(o, "path", json_null());
	return o;
}

enum vg_err
store_allow_list_json(struct store *st, int64_t now, json_t **out, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_ALLOW_LIST);

	sqlite3_bind_int64(s, 1, now);
	return store_rows_json(st, s, allow_row, "list the allow list", out, err);
}
