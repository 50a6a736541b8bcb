/* scanner/allow.c — the allow list a scan consults when something matches. */
#include "scanner/scanner.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct allow {
	int by_hash;
	char *value;
	char *path;	/* only the file at this path (path_len bytes), or NULL: every file */
	size_t path_len;
	char *reason;	/* "sha256 <value>: <why>" */
};

struct allow_set {
	struct allow *v;
	size_t n, cap;
};

struct allow_set *
scanner_allow_create(void)
{
	return calloc(1, sizeof(struct allow_set));
}

void
scanner_allow_destroy(struct allow_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++) {
		free(set->v[i].value);
		free(set->v[i].path);
		free(set->v[i].reason);
	}
	free(set->v);
	free(set);
}

/* kind and value checked: a SHA-256 is 64 hex digits, a name not empty. */
static enum vg_err
check(int by_hash, const char *kind, const char *value, int scoped, struct vg_error *err)
{
	size_t i;

	if (!by_hash && strcmp(kind, "name") != 0)
		return vg_error_set(err, VG_INVAL, "unknown allow-list kind '%s'", kind);
	if (!by_hash && scoped)
		return vg_error_set(err, VG_INVAL, "an allow-list entry for one file needs its "
				    "SHA-256, not a threat name");
	if (by_hash) {
		for (i = 0; value[i]; i++)
			if (!isxdigit((unsigned char)value[i]))
				break;
		if (i != 64 || value[i] != '\0')
			return vg_error_set(err, VG_INVAL, "'%s' is not a SHA-256 (64 hex digits)",
					    value);
	} else if (value[0] == '\0') {
		return vg_error_set(err, VG_INVAL, "empty threat name");
	}
	return VG_OK;
}

enum vg_err
scanner_allow_add(struct allow_set *set, const char *kind, const char *value, const char *path,
		  size_t path_len, const char *reason, struct vg_error *err)
{
	int by_hash = strcmp(kind, "sha256") == 0, scoped = path && path_len;
	struct allow *a;
	enum vg_err rc = check(by_hash, kind, value, scoped, err);

	if (rc != VG_OK)
		return rc;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct allow *v = realloc(set->v, cap * sizeof(*v));

		if (v == NULL)
			return vg_error_set(err, VG_NOMEM, "out of memory");
		set->v = v;
		set->cap = cap;
	}
	a = &set->v[set->n];
	memset(a, 0, sizeof(*a));
	a->by_hash = by_hash;
	a->value = strdup(value);
	if (scoped && (a->path = malloc(path_len + 1)) != NULL) {
		memcpy(a->path, path, path_len);
		a->path[path_len] = '\0';
		a->path_len = path_len;
	}
	/* the path itself is the detection's, shown beside this reason: not repeated */
	if (asprintf(&a->reason, "%s %s%s%s%s", kind, value, scoped ? " (this file only)" : "",
		     reason && reason[0] ? ": " : "", reason ? reason : "") < 0)
		a->reason = NULL;
	if (a->value == NULL || a->reason == NULL || (scoped && a->path == NULL)) {
		free(a->value);
		free(a->path);
		free(a->reason);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	set->n++;
	return VG_OK;
}

const char *
scanner_allow_match(const struct allow_set *set, const char *path, size_t path_len,
		    const char *sha256, const char *name)
{
	size_t i;

	for (i = 0; set && i < set->n; i++) {
		const struct allow *a = &set->v[i];

		if (a->path && (path == NULL || path_len != a->path_len ||
				memcmp(path, a->path, path_len) != 0))
			continue;
		if (a->by_hash ? strcasecmp(a->value, sha256) == 0 : strcmp(a->value, name) == 0)
			return a->reason;
	}
	return NULL;
}

int
scanner_allow_empty(const struct allow_set *set)
{
	return set == NULL || set->n == 0;
}
