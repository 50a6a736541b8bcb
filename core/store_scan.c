/* core/store_scan.c — scans, their threats and their problems in the store. */
#include "core/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"

static void
bind_json(sqlite3_stmt *s, int col, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	if (text)
		sqlite3_bind_text(s, col, text, -1, free);
	else
		sqlite3_bind_null(s, col);
}

enum vg_err
store_scan_begin(struct store *st, const struct store_scan_new *scan, int64_t *id,
		 struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SCAN_INSERT);
	enum vg_err rc;

	sqlite3_bind_text(s, 1, scan->type, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, scan->threads);
	sqlite3_bind_int64(s, 3, scan->sig_version);
	sqlite3_bind_text(s, 4, scan->rules_digest, -1, SQLITE_STATIC);
	bind_json(s, 5, scan->roots);
	bind_json(s, 6, scan->command_line);
	bind_json(s, 7, scan->options);
	bind_json(s, 8, scan->exclusions);
	sqlite3_bind_text(s, 9, scan->case_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, scan->examiner, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, scan->hostname, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, scan->kernel, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 13, scan->machine_guid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 14, scan->org_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 15, scan->app_version, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 16, scan->inventory != 0);
	rc = store_exec(st, s, "record the scan", err);
	if (rc == VG_OK)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

enum vg_err
store_scan_finish(struct store *st, int64_t id, const struct store_scan_totals *t,
		  struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SCAN_FINISH);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, t->status, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 3, t->duration_s);
	sqlite3_bind_int64(s, 4, t->files_scanned);
	sqlite3_bind_int64(s, 5, t->bytes_scanned);
	sqlite3_bind_int64(s, 6, t->objects_scanned);
	sqlite3_bind_int64(s, 7, t->errors);
	sqlite3_bind_int64(s, 8, t->skipped);
	sqlite3_bind_int64(s, 9, t->threats);
	sqlite3_bind_int64(s, 10, t->excluded);
	bind_json(s, 11, t->file_types);
	sqlite3_bind_int64(s, 12, t->files_cached);
	return store_exec(st, s, "finish the scan record", err);
}

enum vg_err
store_threat_add(struct store *st, const struct store_threat *t, struct vg_error *err)
{
	sqlite3_stmt *s;

	if (t->merge) {
		enum vg_err rc;

		s = store_stmt(st, SQL_THREAT_MERGE);
		sqlite3_bind_int64(s, 1, t->scan_id);
		sqlite3_bind_blob(s, 2, t->path, (int)t->path_len, SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, t->member ? t->member : "", (int)t->member_len,
				  SQLITE_STATIC);
		sqlite3_bind_text(s, 4, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, t->action, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, t->sha256, -1, SQLITE_STATIC);
		rc = store_exec(st, s, "record a threat", err);
		if (rc != VG_OK || sqlite3_changes(st->db) > 0)
			return rc;
	}
	s = store_stmt(st, SQL_THREAT_INSERT);
	sqlite3_bind_int64(s, 1, t->scan_id);
	sqlite3_bind_blob(s, 2, t->path, (int)t->path_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, t->member ? t->member : "", (int)t->member_len, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, t->ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, t->meta_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, t->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, t->size);
	sqlite3_bind_text(s, 9, t->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, t->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, t->sha1, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, t->md5, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 13, t->allowed_by, -1, SQLITE_STATIC);
	if (t->have_mtime)
		sqlite3_bind_int64(s, 14, t->mtime_ns);
	sqlite3_bind_text(s, 15, t->location, -1, SQLITE_STATIC);
	if (t->have_ident) {
		sqlite3_bind_int64(s, 16, t->ident.dev);
		sqlite3_bind_int64(s, 17, t->ident.ino);
		sqlite3_bind_int64(s, 18, t->ident.size);
		sqlite3_bind_int64(s, 19, t->ident.mtime_ns);
		sqlite3_bind_int64(s, 20, t->ident.ctime_ns);
	}
	if (t->root_len > 0)
		sqlite3_bind_int64(s, 21, (int64_t)t->root_len);
	return store_exec(st, s, "record a threat", err);
}

void
store_targets_free(struct store_target *t, size_t n)
{
	size_t i;

	for (i = 0; t && i < n; i++) {
		free(t[i].path);
		free(t[i].name);
	}
	free(t);
}

enum vg_err
store_threat_targets(struct store *st, int64_t scan_id, struct store_target **out, size_t *n,
		     struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_THREAT_TARGETS);
	struct store_target *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	sqlite3_bind_int64(s, 1, scan_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_target *t;
		size_t plen = (size_t)sqlite3_column_bytes(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 1);

		if (len == cap) {
			struct store_target *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (nv == NULL)
				break;
			v = nv;
		}
		t = &v[len];
		memset(t, 0, sizeof(*t));
		t->path = malloc(plen + 1);
		t->name = strdup(name ? name : "");
		if (t->path == NULL || t->name == NULL) {
			free(t->path);
			free(t->name);
			break;
		}
		memcpy(t->path, sqlite3_column_blob(s, 0), plen);
		t->path[plen] = '\0';
		t->path_len = plen;
		t->have_ident = sqlite3_column_type(s, 2) != SQLITE_NULL &&
				sqlite3_column_type(s, 6) != SQLITE_NULL;
		t->ident.dev = sqlite3_column_int64(s, 2);
		t->ident.ino = sqlite3_column_int64(s, 3);
		t->ident.size = sqlite3_column_int64(s, 4);
		t->ident.mtime_ns = sqlite3_column_int64(s, 5);
		t->ident.ctime_ns = sqlite3_column_int64(s, 6);
		t->root_len = (size_t)sqlite3_column_int64(s, 7);
		len++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_targets_free(v, len);
		if (rc == SQLITE_ROW)
			return vg_error_set(err, VG_NOMEM, "out of memory");
		return store_fail(st, "list the files to act on", err);
	}
	*out = v;
	*n = len;
	return VG_OK;
}

enum vg_err
store_problem_add(struct store *st, int64_t scan_id, const char *path, size_t path_len,
		  const char *member, size_t member_len, const char *kind, const char *reason,
		  struct vg_error *err)
{
	return store_problem_add_at(st, scan_id, path, path_len, member, member_len, kind, reason,
				    NULL, err);
}

enum vg_err
store_problem_add_at(struct store *st, int64_t scan_id, const char *path, size_t path_len,
		     const char *member, size_t member_len, const char *kind, const char *reason,
		     const char *location, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_PROBLEM_INSERT);

	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_blob(s, 2, path, (int)path_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, member ? member : "", (int)member_len, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, location, -1, SQLITE_STATIC);
	return store_exec(st, s, "record a problem", err);
}

void
store_set_member_json(json_t *obj, const char *member, size_t len)
{
	json_t *names = json_array(), *raw = json_array();
	int escaped = 0;
	size_t i = 0;

	while (i < len) {
		const char *end = memchr(member + i, '\0', len - i);
		size_t n = end ? (size_t)(end - (member + i)) : len - i;
		json_t *s = json_stringn(member + i, n);
		char *b64 = vg_base64(member + i, n);

		if (s == NULL) {
			escaped = 1;
			s = vg_json_bytes(member + i, n);
		}
		json_array_append_new(names, s);
		json_array_append_new(raw, json_string(b64 ? b64 : ""));
		free(b64);
		i += n + 1;
	}
	json_object_set_new(obj, "member", names);
	/* the exact bytes of every name when any had to be escaped (core/jsonx.h) */
	if (escaped)
		json_object_set_new(obj, "member_b64", raw);
	else
		json_decref(raw);
}

json_t *
store_scan_row(sqlite3_stmt *s)
{
	/* the columns of SCAN_GET/SCAN_LIST in order; 'j' JSON text, 't' text, 'v' as stored */
	static const struct {
		const char *name;
		char kind;
	} cols[] = {
		{ "scan_id", 'v' }, { "type", 't' }, { "status", 't' }, { "started_at", 't' },
		{ "ended_at", 't' }, { "duration_s", 'v' }, { "files_scanned", 'v' },
		{ "bytes_scanned", 'v' }, { "objects_scanned", 'v' }, { "errors", 'v' },
		{ "skipped", 'v' }, { "threats_found", 'v' }, { "excluded", 'v' }, { "threads", 'v' },
		{ "sig_version", 'v' }, { "rules_digest", 't' }, { "roots", 'j' },
		{ "command_line", 'j' }, { "options", 'j' }, { "exclusions", 'j' },
		{ "case_id", 't' }, { "examiner", 't' }, { "hostname", 't' }, { "kernel", 't' },
		{ "machine_guid", 't' }, { "org_id", 't' }, { "app_version", 't' },
		{ "inventory", 'b' }, { "file_types", 'j' }, { "verification", 'j' },
		{ "files_cached", 'v' }, { "pid", 'v' }, { "volumes", 'j' }, { "disk", 'j' },
	};
	json_t *o = json_object();
	int i;

	for (i = 0; i < (int)(sizeof(cols) / sizeof(cols[0])); i++) {
		json_t *v;

		if (sqlite3_column_type(s, i) == SQLITE_NULL &&
		    (strcmp(cols[i].name, "volumes") == 0 || strcmp(cols[i].name, "disk") == 0))
			continue; /* only disk image scans have volumes; block devices a disk */
		if (sqlite3_column_type(s, i) == SQLITE_NULL)
			v = json_null();
		else if (cols[i].kind == 'j')
			v = store_col_json(s, i);
		else if (cols[i].kind == 't')
			v = store_col_text(s, i);
		else if (cols[i].kind == 'b')
			v = json_boolean(sqlite3_column_int(s, i));
		else if (sqlite3_column_type(s, i) == SQLITE_FLOAT)
			v = json_real(sqlite3_column_double(s, i));
		else
			v = json_integer(sqlite3_column_int64(s, i));
		json_object_set_new(o, cols[i].name, v);
	}
	return o;
}

enum vg_err
store_scan_get_json(struct store *st, int64_t id, json_t **out, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SCAN_GET);
	int rc;

	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = store_scan_row(s);
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return vg_error_set(err, VG_NOTFOUND, "no scan with id %lld", (long long)id);
	if (rc != SQLITE_ROW)
		return store_fail(st, "read a scan", err);
	return VG_OK;
}

enum vg_err
store_scan_list_json(struct store *st, int64_t limit, json_t **out, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SCAN_LIST);

	sqlite3_bind_int64(s, 1, limit);
	return store_rows_json(st, s, store_scan_row, "list scans", out, err);
}

json_t *
store_threat_row(sqlite3_stmt *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(s, 0)));
	json_object_set_new(o, "scan_id", json_integer(sqlite3_column_int64(s, 1)));
	vg_json_set_bytes(o, "path", (const char *)sqlite3_column_blob(s, 2),
			  (size_t)sqlite3_column_bytes(s, 2));
	store_set_member_json(o, (const char *)sqlite3_column_blob(s, 3),
			      (size_t)sqlite3_column_bytes(s, 3));
	json_object_set_new(o, "name", store_col_text(s, 4));
	json_object_set_new(o, "namespace", store_col_text(s, 5));
	json_object_set_new(o, "meta", store_col_json(s, 6));
	json_object_set_new(o, "sha256", store_col_text(s, 7));
	json_object_set_new(o, "size", json_integer(sqlite3_column_int64(s, 8)));
	json_object_set_new(o, "type", store_col_text(s, 9));
	json_object_set_new(o, "action", store_col_text(s, 10));
	json_object_set_new(o, "detected_at", store_col_text(s, 11));
	json_object_set_new(o, "sha1", store_col_text(s, 12));
	json_object_set_new(o, "md5", store_col_text(s, 13));
	if (sqlite3_column_type(s, 14) != SQLITE_NULL)
		json_object_set_new(o, "allowed_by", store_col_text(s, 14));
	if (sqlite3_column_type(s, 15) != SQLITE_NULL) {
		char t[40];

		vg_time_iso(sqlite3_column_int64(s, 15), t, sizeof(t));
		json_object_set_new(o, "mtime", json_string(t));
	}
	if (sqlite3_column_type(s, 16) != SQLITE_NULL)
		json_object_set_new(o, "image", store_col_json(s, 16));
	/* how often this happened (real-time protection: refused opens) and when last */
	json_object_set_new(o, "count", json_integer(sqlite3_column_int64(s, 17)));
	json_object_set_new(o, "last_at", sqlite3_column_type(s, 18) != SQLITE_NULL
						  ? store_col_text(s, 18)
						  : store_col_text(s, 11));
	return o;
}

enum vg_err
store_threat_list_json(struct store *st, int64_t scan_id, int allowed, json_t **out,
		       struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_THREAT_LIST);

	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_int(s, 2, allowed != 0);
	return store_rows_json(st, s, store_threat_row, "list threats", out, err);
}

enum vg_err
store_threat_set_action(struct store *st, int64_t scan_id, const char *path, const char *action,
			struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_THREAT_SET_ACTION);

	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_blob(s, 2, path, (int)strlen(path), SQLITE_STATIC);
	sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
	return store_exec(st, s, "record the action taken", err);
}

enum vg_err
store_threat_refused(struct store *st, int64_t scan_id, const char *path, size_t path_len,
		     const char *action, int64_t *rows, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_THREAT_REFUSED);
	enum vg_err rc;

	*rows = 0;
	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_blob(s, 2, path, (int)path_len, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
	rc = store_exec(st, s, "record a refusal", err);
	if (rc == VG_OK && (*rows = sqlite3_changes(st->db)) == 0) {
		s = store_stmt(st, SQL_THREAT_REFUSED_NEW);
		sqlite3_bind_int64(s, 1, scan_id);
		sqlite3_bind_blob(s, 2, path, (int)path_len, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
		rc = store_exec(st, s, "record a refusal", err);
		if (rc == VG_OK)
			*rows = sqlite3_changes(st->db);
	}
	return rc;
}

enum vg_err
store_scan_prune(struct store *st, int64_t days, int64_t keep, int64_t *pruned,
		 struct vg_error *err)
{
	static const enum store_sql dels[] = { SQL_SCAN_DEL_THREATS, SQL_SCAN_DEL_PROBLEMS,
					       SQL_SCAN_DEL_INVENTORY, SQL_SCAN_DEL_REPORTS,
					       SQL_SCAN_DEL_PROGRESS,
					       SQL_SCAN_DELETE };
	sqlite3_stmt *s = store_stmt(st, SQL_SCAN_PRUNE_IDS);
	int64_t *ids = NULL;
	size_t n = 0, cap = 0, i, k;
	enum vg_err rc = VG_OK;
	int r;

	*pruned = 0;
	if (days <= 0 && keep <= 0)
		return VG_OK;
	sqlite3_bind_int64(s, 1, days);
	sqlite3_bind_int64(s, 2, keep);
	sqlite3_bind_int64(s, 3, store_fleet_sent(st));
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			int64_t *v = realloc(ids, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (v == NULL)
				break;
			ids = v;
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		rc = store_fail(st, "find old scans", err);
	for (i = 0; rc == VG_OK && i < n; i++)
		for (k = 0; rc == VG_OK && k < sizeof(dels) / sizeof(dels[0]); k++) {
			s = store_stmt(st, dels[k]);
			sqlite3_bind_int64(s, 1, ids[i]);
			rc = store_exec(st, s, "delete an old scan", err);
		}
	if (rc == VG_OK)
		*pruned = (int64_t)n;
	free(ids);
	return rc;
}

json_t *
store_problem_row(sqlite3_stmt *s)
{
	json_t *o = json_object();

	vg_json_set_bytes(o, "path", (const char *)sqlite3_column_blob(s, 0),
			  (size_t)sqlite3_column_bytes(s, 0));
	store_set_member_json(o, (const char *)sqlite3_column_blob(s, 1),
			      (size_t)sqlite3_column_bytes(s, 1));
	json_object_set_new(o, "kind", store_col_text(s, 2));
	json_object_set_new(o, "reason", store_col_text(s, 3));
	if (sqlite3_column_type(s, 4) != SQLITE_NULL)
		json_object_set_new(o, "image", store_col_json(s, 4));
	return o;
}

enum vg_err
store_problem_list_json(struct store *st, int64_t scan_id, int64_t limit, json_t **out,
			struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_PROBLEM_LIST);

	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_int64(s, 2, limit);
	return store_rows_json(st, s, store_problem_row, "list problems", out, err);
}

enum vg_err
store_problem_kinds_json(struct store *st, int64_t scan_id, json_t **out, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_PROBLEM_KINDS);
	json_t *o = json_object();
	int rc;

	sqlite3_bind_int64(s, 1, scan_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_object_set_new(o, (const char *)sqlite3_column_text(s, 0),
				    json_integer(sqlite3_column_int64(s, 1)));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(o);
		return store_fail(st, "count problems", err);
	}
	*out = o;
	return VG_OK;
}

/* Step s, handing fn each row as JSON; the statement is reset whatever happens. */
static enum vg_err
foreach_json(struct store *st, sqlite3_stmt *s, json_t *(*row)(sqlite3_stmt *s),
	     int (*fn)(json_t *row, void *ctx), void *ctx, const char *what, struct vg_error *err)
{
	int rc, stop = 0;

	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *o = row(s);

		stop = fn(o, ctx);
		json_decref(o);
	}
	if (stop) {
		sqlite3_reset(s);
		return VG_INTERRUPTED;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? VG_OK : store_fail(st, what, err);
}

enum vg_err
store_threat_foreach(struct store *st, int64_t scan_id, int (*fn)(json_t *row, void *ctx),
		     void *ctx, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_THREAT_OF_SCAN);

	sqlite3_bind_int64(s, 1, scan_id);
	return foreach_json(st, s, store_threat_row, fn, ctx, "read threats", err);
}

enum vg_err
store_problem_foreach(struct store *st, int64_t scan_id, int (*fn)(json_t *row, void *ctx),
		      void *ctx, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_PROBLEM_LIST);

	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_int64(s, 2, -1);
	return foreach_json(st, s, store_problem_row, fn, ctx, "read problems", err);
}

static void
bind_text_or_null(sqlite3_stmt *s, int col, const char *v)
{
	if (v && *v)
		sqlite3_bind_text(s, col, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, col);
}

enum vg_err
store_inventory_add(struct store *st, int64_t scan_id, const struct store_inv *r,
		    struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_INV_INSERT);
	const int64_t v[] = { r->size, r->mode, r->uid, r->gid, r->dev, r->ino,
			      r->nlink, r->atime_ns, r->mtime_ns, r->ctime_ns };
	int i;

	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_blob(s, 2, r->path, (int)r->path_len, SQLITE_STATIC);
	for (i = 0; i < (int)(sizeof(v) / sizeof(v[0])); i++)
		sqlite3_bind_int64(s, 3 + i, v[i]);
	if (r->have_btime)
		sqlite3_bind_int64(s, 13, r->btime_ns);
	bind_text_or_null(s, 14, r->sha256);
	bind_text_or_null(s, 15, r->sha1);
	bind_text_or_null(s, 16, r->md5);
	bind_text_or_null(s, 17, r->type);
	bind_text_or_null(s, 18, r->location);
	return store_exec(st, s, "record a file of the inventory", err);
}

enum vg_err
store_inventory_foreach(struct store *st, int64_t scan_id,
			int (*fn)(const struct store_inv *row, void *ctx), void *ctx,
			struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_INV_OF_SCAN);
	int rc, stop = 0;

	sqlite3_bind_int64(s, 1, scan_id);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_inv r;

		memset(&r, 0, sizeof(r));
		r.path = sqlite3_column_blob(s, 0);
		r.path_len = (size_t)sqlite3_column_bytes(s, 0);
		if (r.path == NULL)
			r.path = "";
		r.size = sqlite3_column_int64(s, 1);
		r.mode = sqlite3_column_int64(s, 2);
		r.uid = sqlite3_column_int64(s, 3);
		r.gid = sqlite3_column_int64(s, 4);
		r.dev = sqlite3_column_int64(s, 5);
		r.ino = sqlite3_column_int64(s, 6);
		r.nlink = sqlite3_column_int64(s, 7);
		r.atime_ns = sqlite3_column_int64(s, 8);
		r.mtime_ns = sqlite3_column_int64(s, 9);
		r.ctime_ns = sqlite3_column_int64(s, 10);
		r.have_btime = sqlite3_column_type(s, 11) != SQLITE_NULL;
		r.btime_ns = sqlite3_column_int64(s, 11);
		r.sha256 = (const char *)sqlite3_column_text(s, 12);
		r.sha1 = (const char *)sqlite3_column_text(s, 13);
		r.md5 = (const char *)sqlite3_column_text(s, 14);
		r.type = (const char *)sqlite3_column_text(s, 15);
		r.location = (const char *)sqlite3_column_text(s, 16);
		stop = fn(&r, ctx);
	}
	sqlite3_reset(s);
	if (stop)
		return VG_INTERRUPTED;
	return rc == SQLITE_DONE ? VG_OK : store_fail(st, "read the inventory", err);
}

/* The one number a counting statement gives for scan_id. */
static enum vg_err
count_of_scan(struct store *st, enum store_sql sql, int64_t scan_id, const char *what,
	      int64_t *n, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	int rc;

	sqlite3_bind_int64(s, 1, scan_id);
	rc = sqlite3_step(s);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? VG_OK : store_fail(st, what, err);
}

enum vg_err
store_report_add(struct store *st, int64_t scan_id, const char *format, const char *path,
		 const char *sha256, int64_t bytes, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_REPORT_INSERT);

	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_text(s, 2, format, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, path, (int)strlen(path), SQLITE_STATIC);
	sqlite3_bind_text(s, 4, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, bytes);
	return store_exec(st, s, "record the report", err);
}

static json_t *
report_row(sqlite3_stmt *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(s, 0)));
	json_object_set_new(o, "format", store_col_text(s, 1));
	vg_json_set_bytes(o, "path", (const char *)sqlite3_column_blob(s, 2),
			  (size_t)sqlite3_column_bytes(s, 2));
	json_object_set_new(o, "sha256", store_col_text(s, 3));
	json_object_set_new(o, "bytes", json_integer(sqlite3_column_int64(s, 4)));
	json_object_set_new(o, "created_at", store_col_text(s, 5));
	return o;
}

enum vg_err
store_report_list_json(struct store *st, int64_t scan_id, json_t **out, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_REPORT_LIST);

	sqlite3_bind_int64(s, 1, scan_id);
	return store_rows_json(st, s, report_row, "list reports", out, err);
}

static json_t *
report_found_row(sqlite3_stmt *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(s, 0)));
	json_object_set_new(o, "scan_id", json_integer(sqlite3_column_int64(s, 1)));
	json_object_set_new(o, "format", store_col_text(s, 2));
	vg_json_set_bytes(o, "path", (const char *)sqlite3_column_blob(s, 3),
			  (size_t)sqlite3_column_bytes(s, 3));
	json_object_set_new(o, "sha256", store_col_text(s, 4));
	json_object_set_new(o, "bytes", json_integer(sqlite3_column_int64(s, 5)));
	json_object_set_new(o, "created_at", store_col_text(s, 6));
	json_object_set_new(o, "case_id", store_col_text(s, 7));
	json_object_set_new(o, "examiner", store_col_text(s, 8));
	return o;
}

enum vg_err
store_report_find_json(struct store *st, const char *sha256, json_t **out, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_REPORT_FIND);

	sqlite3_bind_text(s, 1, sha256, -1, SQLITE_STATIC);
	return store_rows_json(st, s, report_found_row, "find reports", out, err);
}

enum vg_err
store_scan_interrupt_stale(struct store *st, const char *type, int64_t *n, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SCAN_INTERRUPT_STALE);
	enum vg_err rc;

	sqlite3_bind_text(s, 1, type, -1, SQLITE_STATIC);
	rc = store_exec(st, s, "close interrupted scans", err);
	*n = rc == VG_OK ? sqlite3_changes(st->db) : 0;
	return rc;
}

enum vg_err
store_scan_set_verification(struct store *st, int64_t id, json_t *verification,
			    struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SCAN_SET_VERIFICATION);

	sqlite3_bind_int64(s, 1, id);
	bind_json(s, 2, verification);
	return store_exec(st, s, "record the verification", err);
}

enum vg_err
store_scan_set_volumes(struct store *st, int64_t id, json_t *volumes, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SCAN_SET_VOLUMES);

	sqlite3_bind_int64(s, 1, id);
	bind_json(s, 2, volumes);
	return store_exec(st, s, "record the volumes of the image", err);
}

enum vg_err
store_scan_set_disk(struct store *st, int64_t id, json_t *disk, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SCAN_SET_DISK);

	sqlite3_bind_int64(s, 1, id);
	bind_json(s, 2, disk);
	return store_exec(st, s, "record the identity of the disk", err);
}

enum vg_err
store_threat_count(struct store *st, int64_t scan_id, int64_t *n, struct vg_error *err)
{
	return count_of_scan(st, SQL_THREAT_COUNT, scan_id, "count threats", n, err);
}
