/* scanner/exclude.c — path, extension and name exclusions, and why a path is skipped. */
#include "scanner/scanner.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jsonx.h"
#include "core/path.h"

struct excl {
	enum excl_kind kind;
	enum excl_origin origin;
	char *value;
	char *ref;
	int glob;		/* path with wildcards */
};

struct excl_set {
	struct excl *v;
	size_t n, cap;
};

struct excl_set *
scanner_excl_create(void)
{
	return calloc(1, sizeof(struct excl_set));
}

void
scanner_excl_destroy(struct excl_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++) {
		free(set->v[i].value);
		free(set->v[i].ref);
	}
	free(set->v);
	free(set);
}

void
scanner_excl_drop(struct excl_set *set, enum excl_origin origin)
{
	size_t i, k = 0;

	for (i = 0; i < set->n; i++) {
		if (set->v[i].origin == origin) {
			free(set->v[i].value);
			free(set->v[i].ref);
		} else {
			set->v[k++] = set->v[i];
		}
	}
	set->n = k;
}

int
scanner_excl_kind_parse(const char *name)
{
	if (strcmp(name, "path") == 0)
		return EXCL_PATH;
	if (strcmp(name, "ext") == 0 || strcmp(name, "extension") == 0)
		return EXCL_EXT;
	if (strcmp(name, "name") == 0)
		return EXCL_NAME;
	return -1;
}

const char *
scanner_excl_kind_name(enum excl_kind kind)
{
	static const char *const names[] = { "path", "ext", "name" };

	return names[kind];
}

const char *
scanner_excl_origin_name(enum excl_origin origin)
{
	static const char *const names[] = { "command line", "store", "config", "built-in" };

	return names[origin];
}

enum vg_err
scanner_excl_add(struct excl_set *set, enum excl_kind kind, const char *value,
		 enum excl_origin origin, const char *ref, struct vg_error *err)
{
	struct excl *e;
	char *v = NULL;

	if (value == NULL || value[0] == '\0')
		return vg_error_set(err, VG_INVAL, "empty %s exclusion", scanner_excl_kind_name(kind));
	if (kind == EXCL_PATH) {
		enum vg_err rc = vg_path_absolute(value, &v, err);

		if (rc != VG_OK)
			return rc;
	} else if (kind == EXCL_EXT) {
		v = strdup(value[0] == '.' ? value + 1 : value);
		if (v && (v[0] == '\0' || strchr(v, '/'))) {
			free(v);
			return vg_error_set(err, VG_INVAL, "invalid extension exclusion '%s'", value);
		}
	} else {
		if (strchr(value, '/'))
			return vg_error_set(err, VG_INVAL,
					    "name exclusion '%s' must not contain '/' (use a path)",
					    value);
		v = strdup(value);
	}
	if (v == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct excl *nv = realloc(set->v, cap * sizeof(*nv));

		if (nv == NULL) {
			free(v);
			return vg_error_set(err, VG_NOMEM, "out of memory");
		}
		set->v = nv;
		set->cap = cap;
	}
	e = &set->v[set->n];
	e->kind = kind;
	e->origin = origin;
	e->value = v;
	e->ref = strdup(ref ? ref : "");
	e->glob = kind == EXCL_PATH && strpbrk(v, "*?[") != NULL;
	if (e->ref == NULL) {
		free(v);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	set->n++;
	return VG_OK;
}

static int
ext_matches(const char *ext, const char *base)
{
	size_t bl = strlen(base), el = strlen(ext);

	/* the base name must be longer than ".ext" and end with it */
	return bl > el + 1 && base[bl - el - 1] == '.' && strcasecmp(base + bl - el, ext) == 0;
}

static int
one_matches(const struct excl *e, const char *path, int is_dir)
{
	const char *base = vg_path_basename(path);

	switch (e->kind) {
	case EXCL_PATH:
		if (e->glob)
			return fnmatch(e->value, path, FNM_PATHNAME | FNM_PERIOD) == 0;
		return strcmp(path, e->value) == 0;
	case EXCL_EXT:
		return !is_dir && ext_matches(e->value, base);
	case EXCL_NAME:
		return fnmatch(e->value, base, FNM_PERIOD) == 0;
	}
	return 0;
}

int
scanner_excl_match(const struct excl_set *set, const char *path, int is_dir, struct excl_match *m)
{
	size_t i;

	if (set == NULL)
		return 0;
	for (i = 0; i < set->n; i++) {
		if (one_matches(&set->v[i], path, is_dir)) {
			if (m) {
				m->kind = set->v[i].kind;
				m->origin = set->v[i].origin;
				m->value = set->v[i].value;
				m->ref = set->v[i].ref;
				m->path_len = strlen(path);
			}
			return 1;
		}
	}
	return 0;
}

int
scanner_excl_explain(const struct excl_set *set, const char *path, int is_dir,
		     struct excl_match *m)
{
	size_t total = strlen(path), len;
	char *p = strdup(path);
	int hit = 0;

	if (p == NULL)
		return 0;
	/* "/" first, then each folder from the top down, then the path itself */
	if (path[0] == '/')
		hit = scanner_excl_match(set, "/", total == 1 ? is_dir : 1, m);
	for (len = 2; !hit && len <= total; len++) {
		if (path[len] != '/' && path[len] != '\0')
			continue;
		memcpy(p, path, len);
		p[len] = '\0';
		hit = scanner_excl_match(set, p, len == total ? is_dir : 1, m);
	}
	free(p);
	return hit;
}

json_t *
scanner_excl_json(const struct excl_set *set)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; set && i < set->n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "kind", json_string(scanner_excl_kind_name(set->v[i].kind)));
		vg_json_set_bytes(o, "value", set->v[i].value, strlen(set->v[i].value));
		json_object_set_new(o, "origin",
				    json_string(scanner_excl_origin_name(set->v[i].origin)));
		json_object_set_new(o, "ref", json_string(set->v[i].ref));
		json_array_append_new(arr, o);
	}
	return arr;
}

enum vg_err
scanner_excl_set_root(struct excl_set *set, const char *root, struct vg_error *err)
{
	size_t i, rl = strlen(root);

	if (rl == 1 && root[0] == '/')
		return VG_OK;
	for (i = 0; i < set->n; i++) {
		struct excl *e = &set->v[i];
		char *v;

		if (e->kind != EXCL_PATH || e->origin == EXCL_BUILTIN)
			continue;
		v = malloc(rl + strlen(e->value) + 1);
		if (v == NULL)
			return vg_error_set(err, VG_NOMEM, "out of memory");
		memcpy(v, root, rl);
		strcpy(v + rl, strcmp(e->value, "/") == 0 ? "" : e->value);
		free(e->value);
		e->value = v;
	}
	return VG_OK;
}
