/*
 * core/strv.h — a growable vector of owned, NUL-terminated strings (roots of a scan, paths
 * of a list, file names read from the store).
 *
 * Invariants: v[0..n-1] are malloc'd strings owned by the vector; v[n] is NULL whenever
 * n > 0, so v can be handed to code that wants a NULL-terminated array. A string may hold any
 * bytes but NUL (file names are not UTF-8 necessarily).
 *
 * Calling sequence: struct vg_strv v = VG_STRV_INIT (or vg_strv_init(&v)); vg_strv_push...;
 * use v.v and v.n; vg_strv_release(&v) frees every string and the array and leaves v empty
 * and usable again. Not thread-safe: one owner at a time.
 */
#ifndef VIGIL_CORE_STRV_H
#define VIGIL_CORE_STRV_H

#include <stddef.h>

#include "core/err.h"

struct vg_strv {
	char **v;	/* the strings, NULL-terminated when n > 0 */
	size_t n;	/* how many */
	size_t cap;	/* room in v, the terminating NULL included */
};

#define VG_STRV_INIT { NULL, 0, 0 }

void vg_strv_init(struct vg_strv *sv);

/* Append a copy of s. VG_NOMEM (message set in err, which may be NULL) leaves sv unchanged. */
enum vg_err vg_strv_push(struct vg_strv *sv, const char *s, struct vg_error *err);

/* Append a copy of the len bytes at s, NUL added (s need not be NUL-terminated). */
enum vg_err vg_strv_push_n(struct vg_strv *sv, const char *s, size_t len, struct vg_error *err);

/*
 * Append s itself: the vector takes ownership (s is malloc'd). On VG_NOMEM s is freed, so the
 * caller never frees it either way.
 */
enum vg_err vg_strv_push_take(struct vg_strv *sv, char *s, struct vg_error *err);

/* Free every string and the array; sv is empty and usable again. NULL is allowed. */
void vg_strv_release(struct vg_strv *sv);

#endif
