/*
 * core/store_resume.c — the store's rows for the scan cache (files scanned clean, keyed by
 * device, inode and a tag of the rules and options) and for resumable scans (totals
 * checkpointed while a scan runs, every finished file, and the findings of unfinished ones
 * forgotten before a resume). Split from core/store_scan.c; SQL in core/store_sql.def.
 */
#include "core/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/strv.h"

/* ---- the scan cache ---- */

/* count(*) of a statement with the tag (or nothing) bound, or -1 */
static int64_t
cache_count(struct store *st, int which, const char *tag)
{
	sqlite3_stmt *s = store_stmt(st, which);
	int64_t n = -1;

	if (tag != NULL)
		sqlite3_bind_text(s, 1, tag, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return n;
}

int64_t
store_cache_count(struct store *st, const char *tag)
{
	return cache_count(st, SQL_CACHE_COUNT_TAG, tag);
}

/*
 * The newest limit entries of tag. When the tag has no more than that, they are read in the
 * table's order: sorting by age costs a lookup of every row, most of a warm rescan's start.
 */
enum vg_err
store_cache_load(struct store *st, const char *tag, int64_t limit,
		 void (*fn)(const struct store_cache_entry *e, void *ctx), void *ctx,
		 struct vg_error *err)
{
	int64_t n = store_cache_count(st, tag);
	sqlite3_stmt *s = store_stmt(st, n >= 0 && n <= limit ? SQL_CACHE_LOAD_ALL : SQL_CACHE_LOAD);
	int rc;

	sqlite3_bind_text(s, 1, tag, -1, SQLITE_STATIC);
	if (!(n >= 0 && n <= limit))
		sqlite3_bind_int64(s, 2, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_cache_entry e = {
			sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
			sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3),
			sqlite3_column_int64(s, 4),
		};

		fn(&e, ctx);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? VG_OK : store_fail(st, "read the scan cache", err);
}

enum vg_err
store_cache_put(struct store *st, const char *tag, const struct store_cache_entry *e,
		int64_t now, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_CACHE_PUT);

	sqlite3_bind_int64(s, 1, e->dev);
	sqlite3_bind_int64(s, 2, e->ino);
	sqlite3_bind_int64(s, 3, e->size);
	sqlite3_bind_int64(s, 4, e->mtime_ns);
	sqlite3_bind_int64(s, 5, e->ctime_ns);
	sqlite3_bind_text(s, 6, tag, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, now);
	return store_exec(st, s, "remember a clean file", err);
}

enum vg_err
store_cache_prune(struct store *st, const char *tag, int64_t keep, struct vg_error *err)
{
	sqlite3_stmt *s;
	int64_t n = cache_count(st, SQL_CACHE_COUNT, NULL);

	(void)tag; /* entries of other rules or options may serve again (a rollback) */
	if (n >= 0 && n <= keep)
		return VG_OK; /* nothing to prune: the sorted delete reads every entry */
	s = store_stmt(st, SQL_CACHE_PRUNE_OLD);
	sqlite3_bind_int64(s, 1, keep);
	return store_exec(st, s, "prune the scan cache", err);
}

/* ---- progress of a scan, for resuming it ---- */

enum vg_err
store_scan_checkpoint(struct store *st, int64_t id, const struct store_scan_totals *t,
		      struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SCAN_CHECKPOINT);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, t->files_scanned);
	sqlite3_bind_int64(s, 3, t->bytes_scanned);
	sqlite3_bind_int64(s, 4, t->objects_scanned);
	sqlite3_bind_int64(s, 5, t->errors);
	sqlite3_bind_int64(s, 6, t->skipped);
	sqlite3_bind_int64(s, 7, t->excluded);
	sqlite3_bind_int64(s, 8, t->files_cached);
	return store_exec(st, s, "checkpoint the scan", err);
}

enum vg_err
store_scan_set_running(struct store *st, int64_t id, int64_t pid, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SCAN_SET_PID);

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, pid);
	sqlite3_bind_text(s, 3, "running", -1, SQLITE_STATIC);
	return store_exec(st, s, "mark the scan running", err);
}

enum vg_err
store_progress_add(struct store *st, int64_t scan_id, const char *path, size_t len,
		   struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_PROGRESS_ADD);

	sqlite3_bind_int64(s, 1, scan_id);
	sqlite3_bind_blob(s, 2, path, (int)len, SQLITE_STATIC);
	return store_exec(st, s, "record the scan's progress", err);
}

enum vg_err
store_progress_foreach(struct store *st, int64_t scan_id,
		       void (*fn)(const char *path, size_t len, void *ctx), void *ctx,
		       struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_PROGRESS_OF_SCAN);
	int rc;

	sqlite3_bind_int64(s, 1, scan_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), ctx);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? VG_OK : store_fail(st, "read the scan's progress", err);
}

enum vg_err
store_progress_clear(struct store *st, int64_t scan_id, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_PROGRESS_CLEAR);

	sqlite3_bind_int64(s, 1, scan_id);
	return store_exec(st, s, "clear the scan's progress", err);
}

enum vg_err
store_scan_forget_unfinished(struct store *st, int64_t scan_id,
			     int (*finished)(const char *path, size_t len, void *ctx), void *ctx,
			     int64_t *forgotten, struct vg_error *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_THREAT_PATHS);
	struct vg_strv paths = VG_STRV_INIT;	/* a path holds no NUL: its length is strlen */
	enum vg_err rc = VG_OK;
	size_t i;
	int r;

	*forgotten = 0;
	sqlite3_bind_int64(s, 1, scan_id);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *p = sqlite3_column_blob(s, 0);
		size_t len = (size_t)sqlite3_column_bytes(s, 0);

		if (finished(p ? p : "", len, ctx))
			continue;
		/* a path left out would keep findings the resumed scan records again */
		rc = vg_strv_push_n(&paths, p ? p : "", len, err);
		if (rc != VG_OK)
			break;
	}
	sqlite3_reset(s);
	if (rc == VG_OK && r != SQLITE_DONE)
		rc = store_fail(st, "read the scan's findings", err);
	for (i = 0; rc == VG_OK && i < paths.n; i++) {
		/* the fleet copy forgets them too (fleet_gone), then they go */
		static const enum store_sql steps[] = { SQL_GONE_THREATS_PATH, SQL_GONE_PROBLEMS_PATH,
							SQL_THREAT_DEL_PATH, SQL_PROBLEM_DEL_PATH };
		int len = (int)strlen(paths.v[i]);
		size_t k;

		for (k = 0; rc == VG_OK && k < sizeof(steps) / sizeof(steps[0]); k++) {
			s = store_stmt(st, steps[k]);
			sqlite3_bind_int64(s, 1, scan_id);
			sqlite3_bind_blob(s, 2, paths.v[i], len, SQLITE_STATIC);
			rc = store_exec(st, s, "forget an unfinished file's findings", err);
		}
	}
	if (rc == VG_OK)
		*forgotten = (int64_t)paths.n;
	vg_strv_release(&paths);
	return rc;
}
