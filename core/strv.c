/* core/strv.c — a growable vector of owned strings (core/strv.h). */
#include "core/strv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
vg_strv_init(struct vg_strv *sv)
{
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

/* Room for one more string and the NULL after it. */
static enum vg_err
grow(struct vg_strv *sv, struct vg_error *err)
{
	size_t cap;
	char **v;

	if (sv->n + 2 <= sv->cap)
		return VG_OK;
	cap = sv->cap ? sv->cap * 2 : 8;
	if (cap > SIZE_MAX / sizeof(*v) || (v = realloc(sv->v, cap * sizeof(*v))) == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	sv->v = v;
	sv->cap = cap;
	return VG_OK;
}

enum vg_err
vg_strv_push_take(struct vg_strv *sv, char *s, struct vg_error *err)
{
	if (s == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	if (grow(sv, err) != VG_OK) {
		free(s);
		return VG_NOMEM;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return VG_OK;
}

enum vg_err
vg_strv_push_n(struct vg_strv *sv, const char *s, size_t len, struct vg_error *err)
{
	char *copy;

	if (grow(sv, err) != VG_OK)
		return VG_NOMEM;
	if (len == SIZE_MAX || (copy = malloc(len + 1)) == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	if (len)
		memcpy(copy, s, len);
	copy[len] = '\0';
	return vg_strv_push_take(sv, copy, err);
}

enum vg_err
vg_strv_push(struct vg_strv *sv, const char *s, struct vg_error *err)
{
	return vg_strv_push_n(sv, s, strlen(s), err);
}

void
vg_strv_release(struct vg_strv *sv)
{
	size_t i;

	if (sv == NULL)
		return;
	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	vg_strv_init(sv);
}
