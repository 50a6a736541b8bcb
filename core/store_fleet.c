/*
 * core/store_fleet.c — what the fleet (fleet/) reads from the store: the rows changed since a
 * watermark, as the same JSON the local listings print, with their push id (fid), revision
 * (rev) and, for rows of a scan, the scan's push id (scan_fid). Migration 14 keeps fid and
 * rev (core/store.c).
 */
#include "core/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"

static const char *const kind_names[STORE_FLEET__KINDS] = {
	[STORE_FLEET_SCAN] = "scan",	     [STORE_FLEET_THREAT] = "threat",
	[STORE_FLEET_PROBLEM] = "problem",   [STORE_FLEET_QUARANTINE] = "quarantine",
	[STORE_FLEET_INVENTORY] = "inventory", [STORE_FLEET_GONE] = "gone",
};

const char *
store_fleet_kind_name(enum store_fleet_kind kind)
{
	return kind_names[kind];
}

static void
set_int(json_t *o, const char *key, sqlite3_stmt *s, int col)
{
	json_object_set_new(o, key, sqlite3_column_type(s, col) == SQLITE_NULL
					    ? json_null()
					    : json_integer(sqlite3_column_int64(s, col)));
}

static void
set_time(json_t *o, const char *key, sqlite3_stmt *s, int col)
{
	char t[40];

	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return;
	vg_time_iso(sqlite3_column_int64(s, col), t, sizeof(t));
	json_object_set_new(o, key, json_string(t));
}

static json_t *
inventory_row(sqlite3_stmt *s)
{
	json_t *o = json_object();

	vg_json_set_bytes(o, "path", (const char *)sqlite3_column_blob(s, 0),
			  (size_t)sqlite3_column_bytes(s, 0));
	set_int(o, "size", s, 1);
	set_int(o, "mode", s, 2);
	set_int(o, "uid", s, 3);
	set_int(o, "gid", s, 4);
	set_int(o, "dev", s, 5);
	set_int(o, "ino", s, 6);
	set_int(o, "nlink", s, 7);
	set_time(o, "atime", s, 8);
	set_time(o, "mtime", s, 9);
	set_time(o, "ctime", s, 10);
	set_time(o, "btime", s, 11);
	json_object_set_new(o, "sha256", store_col_text(s, 12));
	json_object_set_new(o, "sha1", store_col_text(s, 13));
	json_object_set_new(o, "md5", store_col_text(s, 14));
	json_object_set_new(o, "type", store_col_text(s, 15));
	if (sqlite3_column_type(s, 16) != SQLITE_NULL)
		json_object_set_new(o, "image", store_col_json(s, 16));
	return o;
}

static json_t *
gone_row(sqlite3_stmt *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "kind", store_col_text(s, 0));
	return o;
}

/*
 * Per kind: its statement, the row function, and where its own columns start: fid and rev,
 * then (0 when absent) the scan's fid, the row's local id and its scan's local id.
 */
static const struct {
	enum store_sql sql;
	json_t *(*row)(sqlite3_stmt *s);
	int fid, scan_fid, id, scan_id;
} kinds[STORE_FLEET__KINDS] = {
	[STORE_FLEET_SCAN] = { SQL_FLEET_SCANS, store_scan_row, 34, 0, 0, 0 },
	[STORE_FLEET_THREAT] = { SQL_FLEET_THREATS, store_threat_row, 19, 21, 0, 0 },
	[STORE_FLEET_PROBLEM] = { SQL_FLEET_PROBLEMS, store_problem_row, 5, 7, 8, 9 },
	[STORE_FLEET_QUARANTINE] = { SQL_FLEET_QUARANTINE, store_q_row, 18, 0, 0, 0 },
	[STORE_FLEET_INVENTORY] = { SQL_FLEET_INVENTORY, inventory_row, 17, 19, 20, 21 },
	[STORE_FLEET_GONE] = { SQL_FLEET_GONE, gone_row, 1, 0, 0, 0 },
};

enum vg_err
store_fleet_hi(struct store *st, int64_t *hi, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_FLEET_HI);
	int r = sqlite3_step(s);

	*hi = r == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return r == SQLITE_ROW ? VG_OK : store_fail(st, "read the fleet revision", err);
}

enum vg_err
store_fleet_foreach(struct store *st, enum store_fleet_kind kind, int64_t lo, int64_t hi,
		    int (*fn)(json_t *row, void *ctx), void *ctx, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, kinds[kind].sql);
	int r, stop = 0;

	sqlite3_bind_int64(s, 1, lo);
	sqlite3_bind_int64(s, 2, hi);
	sqlite3_bind_int64(s, 3, -1);
	while (!stop && (r = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *o = kinds[kind].row(s);
		int c = kinds[kind].fid;

		set_int(o, "fid", s, c);
		set_int(o, "rev", s, c + 1);
		if (kinds[kind].scan_fid)
			set_int(o, "scan_fid", s, kinds[kind].scan_fid);
		if (kinds[kind].id) {
			set_int(o, "id", s, kinds[kind].id);
			set_int(o, "scan_id", s, kinds[kind].scan_id);
		}
		stop = fn(o, ctx);
		json_decref(o);
	}
	sqlite3_reset(s);
	if (stop)
		return VG_INTERRUPTED;
	return r == SQLITE_DONE ? VG_OK : store_fail(st, "read the rows to send", err);
}

int64_t
store_fleet_sent(struct store *st)
{
	static const char *const keys[] = { STORE_FLEET_PUSH_REV, STORE_FLEET_EXPORT_REV };
	int64_t sent = -1;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct vg_error e = { 0 };
		char *v = NULL;

		if (store_meta_get(st, keys[i], &v, &e) == VG_OK && v != NULL) {
			int64_t n = strtoll(v, NULL, 10);

			if (n > sent)
				sent = n;
		}
		free(v);
	}
	return sent;
}
