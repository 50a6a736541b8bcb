/*
 * reports/rows.c — the objects a report is made of: a detection (with the rule's author,
 * description and reference lifted out of its metadata), an error, a file of the inventory.
 * The same objects go into json, jsonl, csv and html, so the formats cannot disagree.
 */
#include "reports/report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/jsonx.h"

static void
copy(json_t *to, json_t *from, const char *key)
{
	json_t *v = json_object_get(from, key);

	json_object_set(to, key, v ? v : json_null());
}

/* Only when present (e.g. "image": disk image scans only). */
static void
copy_present(json_t *to, json_t *from, const char *key)
{
	json_t *v = json_object_get(from, key);

	if (v != NULL)
		json_object_set(to, key, v);
}

/* A byte-exact companion (key_b64), only when the store had to escape the name. */
static void
copy_b64(json_t *to, json_t *from, const char *key)
{
	char k[64];

	snprintf(k, sizeof(k), "%s_b64", key);
	copy_present(to, from, k);
}

/* The first of keys in the rule's metadata, as text; null when the rule has none. */
static json_t *
meta_text(json_t *meta, const char *const *keys)
{
	for (; *keys; keys++) {
		json_t *v = json_object_get(meta, *keys);
		char *text;

		if (json_is_array(v))
			v = json_array_get(v, 0);
		if (v == NULL || json_is_null(v))
			continue;
		if (json_is_string(v))
			return json_incref(v);
		text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		v = json_string(text ? text : "");
		free(text);
		return v;
	}
	return json_null();
}

json_t *
report_detection(json_t *t)
{
	static const char *const author[] = { "author", NULL };
	static const char *const description[] = { "description", "desc", NULL };
	static const char *const reference[] = { "reference", "ref", "url", NULL };
	json_t *d = json_object(), *meta = json_object_get(t, "meta");

	copy(d, t, "path");
	copy_b64(d, t, "path");
	copy(d, t, "member");
	copy_b64(d, t, "member");
	copy(d, t, "name");
	copy(d, t, "namespace");
	json_object_set_new(d, "author", meta_text(meta, author));
	json_object_set_new(d, "description", meta_text(meta, description));
	json_object_set_new(d, "reference", meta_text(meta, reference));
	json_object_set_new(d, "rule_meta", json_is_object(meta) ? json_incref(meta) : json_object());
	copy(d, t, "sha256");
	copy(d, t, "sha1");
	copy(d, t, "md5");
	copy(d, t, "size");
	copy(d, t, "type");
	copy(d, t, "mtime");
	copy(d, t, "action");
	copy(d, t, "allowed_by");
	copy(d, t, "detected_at");
	copy(d, t, "count");
	copy(d, t, "last_at");
	copy_present(d, t, "image");
	return d;
}

json_t *
report_error(json_t *p)
{
	json_t *e = json_object();

	copy(e, p, "path");
	copy_b64(e, p, "path");
	copy(e, p, "member");
	copy_b64(e, p, "member");
	copy(e, p, "kind");
	copy(e, p, "reason");
	copy_present(e, p, "image");
	return e;
}

void
report_mode_text(int64_t mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	mode_t m = (mode_t)mode;
	int i;

	out[0] = S_ISREG(m) ? '-' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c'
		 : S_ISBLK(m) ? 'b' : S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : '?';
	for (i = 0; i < 9; i++)
		out[1 + i] = (m & (1u << (8 - i))) ? rwx[i] : '-';
	if (m & S_ISUID)
		out[3] = (m & S_IXUSR) ? 's' : 'S';
	if (m & S_ISGID)
		out[6] = (m & S_IXGRP) ? 's' : 'S';
	if (m & S_ISVTX)
		out[9] = (m & S_IXOTH) ? 't' : 'T';
	out[10] = '\0';
}

static json_t *
iso(int64_t ns)
{
	char t[48];

	vg_time_iso(ns, t, sizeof(t));
	return json_string(t);
}

static json_t *
text_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *
report_file(const struct store_inv *r)
{
	json_t *f = json_object();
	char perms[11];

	report_mode_text(r->mode, perms);
	vg_json_set_bytes(f, "path", r->path, r->path_len);
	json_object_set_new(f, "size", json_integer(r->size));
	json_object_set_new(f, "mode", json_integer(r->mode));
	json_object_set_new(f, "permissions", json_string(perms));
	json_object_set_new(f, "uid", json_integer(r->uid));
	json_object_set_new(f, "gid", json_integer(r->gid));
	json_object_set_new(f, "dev", json_integer(r->dev));
	json_object_set_new(f, "inode", json_integer(r->ino));
	json_object_set_new(f, "nlink", json_integer(r->nlink));
	json_object_set_new(f, "atime", iso(r->atime_ns));
	json_object_set_new(f, "mtime", iso(r->mtime_ns));
	json_object_set_new(f, "ctime", iso(r->ctime_ns));
	json_object_set_new(f, "crtime", r->have_btime ? iso(r->btime_ns) : json_null());
	json_object_set_new(f, "sha256", text_or_null(r->sha256));
	json_object_set_new(f, "sha1", text_or_null(r->sha1));
	json_object_set_new(f, "md5", text_or_null(r->md5));
	json_object_set_new(f, "type", text_or_null(r->type));
	if (r->location) {
		json_t *where = json_loads(r->location, 0, NULL);

		if (json_is_object(where))
			json_object_set_new(f, "image", where);
		else
			json_decref(where);
	}
	return f;
}

char *
report_display(json_t *obj, const char *key)
{
	size_t len;
	char *raw = vg_json_get_bytes(obj, key, &len), *esc;

	if (raw == NULL)
		return strdup("");
	esc = vg_text_escape(raw, len);
	free(raw);
	return esc;
}

char *
report_member_display(json_t *obj)
{
	json_t *names = json_object_get(obj, "member"), *raw = json_object_get(obj, "member_b64");
	char *out = strdup(""), *next;
	size_t i;

	for (i = 0; out && i < json_array_size(names); i++) {
		const char *b64 = json_string_value(json_array_get(raw, i));
		size_t len = 0;
		char *bytes = b64 ? vg_base64_decode(b64, &len) : NULL, *esc;

		if (bytes == NULL) {
			const char *s = json_string_value(json_array_get(names, i));

			bytes = strdup(s ? s : "");
			len = bytes ? strlen(bytes) : 0;
		}
		esc = bytes ? vg_text_escape(bytes, len) : NULL;
		free(bytes);
		if (esc == NULL || asprintf(&next, "%s%s%s", out, i ? " > " : "", esc) < 0)
			next = NULL;
		free(esc);
		free(out);
		out = next;
	}
	return out;
}

void
report_image_path(json_t *obj, const char *root)
{
	const char *path = json_string_value(json_object_get(obj, "path"));
	json_t *image = json_object_get(obj, "image");
	size_t n;

	if (json_is_object(image)) {
		/* an object of a disk image: its path inside the image's file system */
		const char *inside = json_string_value(json_object_get(image, "path"));
		const char *stream = json_string_value(json_object_get(image, "stream"));
		char *s;

		if (inside && asprintf(&s, "%s%s%s", inside, stream ? ":" : "",
				       stream ? stream : "") >= 0) {
			json_object_set_new(obj, "image_path", json_string(s));
			free(s);
		}
		return;
	}
	if (root == NULL || path == NULL || strcmp(root, "/") == 0)
		return;
	n = strlen(root);
	if (strncmp(path, root, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return;
	json_object_set_new(obj, "image_path", json_string(path[n] ? path + n : "/"));
}
