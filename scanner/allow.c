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
		free(set->v[i].reason);
	}
	free(set->v);
	free(set);
}

enum vg_err
scanner_allow_add(struct allow_set *set, const char *kind, const char *value, const char *reason,
		  struct vg_error *err)
{
	int by_hash = strcmp(kind, "sha256") == 0;
	struct allow *a;
	size_t i;

	if (!by_hash && strcmp(kind, "name") != 0)
		return vg_error_set(err, VG_INVAL, "unknown allow-list kind '%s'", kind);
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
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct allow *v = realloc(set->v, cap * sizeof(*v));

		if (v == NULL)
			return vg_error_set(err, VG_NOMEM, "out of memory");
		set->v = v;
		set->cap = cap;
	}
	a = &set->v[set->n];
	a->by_hash = by_hash;
	a->value = strdup(value);
	if (asprintf(&a->reason, "%s %s%s%s", kind, value, reason && reason[0] ? ": " : "",
		     reason ? reason : "") < 0)
		a->reason = NULL;
	if (a->value == NULL || a->reason == NULL) {
		free(a->value);
		free(a->reason);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	set->n++;
	return VG_OK;
}

const char *
scanner_allow_match(const struct allow_set *set, const char *sha256, const char *name)
{
	size_t i;

	for (i = 0; set && i < set->n; i++) {
		const struct allow *a = &set->v[i];

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
