/*
 * reports/csv.c — one RFC 4180 table (CRLF line ends, quoted cells where needed) that a
 * spreadsheet or Python's csv module reads as is. The first column says what a row is:
 *
 *	custody    field, value: one fact of the chain of custody per row (lists as JSON text)
 *	detection  path, member (JSON array text), name, ..., action
 *
 * A name that is not UTF-8 is written with \xNN for each invalid byte, and its exact bytes
 * go to path_b64 / member_b64 (base64; empty when the name is UTF-8), as in json. An
 * evidence scan (--root) also gives each path as seen inside the image (image_path).
 *	error      path, member, error_kind, error_reason
 *	file       path, size, permissions, uid, gid, inode, times, digests, type (inventory)
 *
 * Cells that a spreadsheet would run as a formula (= + - @ tab CR at the start) and cells
 * that start with ' get a leading ': strip one leading ' to read the exact value. Control
 * characters (C0, DEL, C1) in any cell are written as \xNN, so that printing the file on a
 * terminal replays no escape sequence; a path that needed it has its exact bytes in
 * path_b64 (member names are JSON text, already escaped).
 */
#include "reports/report_int.h"

#include "core/jsonx.h"

#include <stdlib.h>
#include <string.h>

static const char *const columns[] = {
	"record", "scan_id", "field", "value", "path", "path_b64", "image_path", "member",
	"member_b64", "name", "namespace", "author",
	"description", "reference", "sha256", "sha1", "md5", "size", "type", "permissions",
	"uid", "gid", "inode", "atime", "mtime", "ctime", "crtime", "action", "allowed_by",
	"detected_at", "error_kind", "error_reason", "image_partition", "image_offset", "image_fs",
	"image_inode", "image_allocated",
};

#define NCOLS (sizeof(columns) / sizeof(columns[0]))

/* Would a terminal act on this byte (C0, DEL), or on the UTF-8 C1 control starting here? */
static size_t
control_len(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if (control_len((const unsigned char *)s))
			return 1;
	return 0;
}

void
report_csv_cell(FILE *f, const char *s)
{
	int quote = strpbrk(s, ",\"") != NULL;

	if (quote)
		fputc('"', f);
	if (strchr("=+-@\t\r'", s[0]) != NULL && s[0] != '\0')
		fputc('\'', f);
	while (*s) {
		size_t n = control_len((const unsigned char *)s);

		if (n) { /* ESC, CR, ... as \xNN: a `cat` of the file replays nothing */
			for (; n > 0; n--, s++)
				fprintf(f, "\\x%02x", (unsigned char)*s);
			continue;
		}
		if (*s == '"')
			fputc('"', f);
		fputc(*s++, f);
	}
	if (quote)
		fputc('"', f);
}

/* A JSON value as cell text: a string as is, null as nothing, the rest as JSON. */
static char *
cell_text(json_t *v)
{
	if (v == NULL || json_is_null(v))
		return strdup("");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* The text of one column of a row. */
static char *
column_text(struct rctx *c, const char *record, json_t *obj, const char *col)
{
	char *text;

	if (strcmp(col, "record") == 0)
		return strdup(record);
	if (strcmp(col, "scan_id") == 0)
		return asprintf(&text, "%lld", (long long)c->scan_id) < 0 ? NULL : text;
	if (strcmp(col, "error_kind") == 0)
		return cell_text(json_object_get(obj, "kind"));
	if (strcmp(col, "error_reason") == 0)
		return cell_text(json_object_get(obj, "reason"));
	if (strcmp(col, "member") == 0 && json_array_size(json_object_get(obj, "member")) == 0)
		return strdup("");
	if (strcmp(col, "path_b64") == 0 && json_object_get(obj, "path_b64") == NULL) {
		/* a UTF-8 name with control characters is escaped in its cell: its exact bytes */
		const char *p = json_string_value(json_object_get(obj, "path"));

		return p && has_control(p) ? vg_base64(p, strlen(p)) : strdup("");
	}
	if (strncmp(col, "image_", 6) == 0 && strcmp(col, "image_path") != 0)
		return cell_text(json_object_get(json_object_get(obj, "image"), col + 6));
	return cell_text(json_object_get(obj, col));
}

/* One row of record kind from obj (consumed); -1 on a write error or no memory. */
static int
row(struct rctx *c, const char *record, json_t *obj)
{
	size_t i;
	int rc = obj ? 0 : -1;

	if (obj)
		report_image_path(obj, c->root);
	for (i = 0; rc == 0 && i < NCOLS; i++) {
		char *text = column_text(c, record, obj, columns[i]);

		if (text == NULL) {
			rc = -1;
			break;
		}
		if (i > 0)
			fputc(',', c->f);
		report_csv_cell(c->f, text);
		free(text);
	}
	json_decref(obj);
	if (rc == 0)
		fputs("\r\n", c->f);
	return rc != 0 || ferror(c->f) ? -1 : 0;
}

static int
put_detection(json_t *r, void *ctx)
{
	return row(ctx, "detection", report_detection(r));
}

static int
put_error(json_t *r, void *ctx)
{
	return row(ctx, "error", report_error(r));
}

static int
put_file(const struct store_inv *r, void *ctx)
{
	return row(ctx, "file", report_file(r));
}

/* Every fact of the head's custody, scan and totals as a field/value row. */
static int
custody_rows(struct rctx *c)
{
	static const char *const parts[] = { "custody", "scan", "totals" };
	size_t p;

	for (p = 0; p < 3; p++) {
		json_t *part = json_object_get(c->head, parts[p]), *v;
		const char *key;

		json_object_foreach(part, key, v) {
			char field[128], *text = cell_text(v);

			if (text == NULL)
				return -1;
			snprintf(field, sizeof(field), "%s.%s", parts[p], key);
			if (row(c, "custody", json_pack("{s:s, s:s}", "field", field, "value", text)) != 0) {
				free(text);
				return -1;
			}
			free(text);
		}
	}
	return row(c, "custody", json_pack("{s:s, s:i}", "field", "schema_version", "value",
					   REPORT_SCHEMA_VERSION));
}

enum vg_err
render_csv(struct rctx *c)
{
	enum vg_err e;
	size_t i;

	for (i = 0; i < NCOLS; i++) {
		if (i)
			fputc(',', c->f);
		report_csv_cell(c->f, columns[i]);
	}
	fputs("\r\n", c->f);
	if (custody_rows(c) != 0)
		return VG_IO;
	e = store_threat_foreach(c->st, c->scan_id, put_detection, c, c->err);
	if (e == VG_OK)
		e = store_problem_foreach(c->st, c->scan_id, put_error, c, c->err);
	if (e == VG_OK && c->inventory)
		e = store_inventory_foreach(c->st, c->scan_id, put_file, c, c->err);
	if (e == VG_INTERRUPTED || ferror(c->f))
		return VG_IO;
	return e;
}
