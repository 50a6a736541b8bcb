/*
 * reports/json.c — json: one document (docs/report-schema.md); jsonl: the same objects, one
 * per line, each with its "record" kind and scan_id. Both are streamed: the head is built in
 * memory, the detections, errors and files are written as the store hands them over, each
 * value by jansson.
 */
#include "reports/report_int.h"

#include <errno.h>
#include <string.h>

struct stream {
	struct rctx *c;
	const char *record;	/* jsonl: the record kind; json: NULL */
	int n;			/* json: values written into the current array */
	int failed;
	enum vg_err why;	/* failed: VG_NOMEM (a row not built) or VG_IO (not written) */
};

/*
 * A renderer returns an error with its reason in c->err (report_int.h). A write failed:
 * errno is the output's (the writer under c->f keeps it), EIO when stdio had none.
 */
static enum vg_err
write_failed(struct rctx *c)
{
	return report_write_failed(c->out_name, errno ? errno : EIO, c->err);
}

static enum vg_err
stream_failed(struct stream *s)
{
	if (s->why == VG_NOMEM)
		return vg_error_set(s->c->err, VG_NOMEM, "out of memory while writing the report");
	return write_failed(s->c);
}

/* One row out: in a json array ("," between), or a jsonl line with its record kind. */
static int
put(struct stream *s, json_t *obj)
{
	FILE *f = s->c->f;

	if (obj == NULL) {
		s->why = VG_NOMEM;
		return s->failed = 1;
	}
	errno = 0;
	report_image_path(obj, s->c->root);
	if (s->record) {
		json_t *line = json_pack("{s:s, s:I}", "record", s->record, "scan_id",
					 (json_int_t)s->c->scan_id);

		if (line == NULL || json_object_update(line, obj) != 0)
			s->why = VG_NOMEM;
		else if (report_dump(f, line) != 0 || fputc('\n', f) == EOF)
			s->why = VG_IO;
		s->failed |= s->why != VG_OK;
		json_decref(line);
	} else {
		if (fputs(s->n++ ? ",\n" : "\n", f) == EOF || report_dump(f, obj) != 0)
			s->why = VG_IO;
		s->failed |= s->why != VG_OK;
	}
	json_decref(obj);
	return s->failed;
}

static int
put_detection(json_t *row, void *ctx)
{
	return put(ctx, report_detection(row));
}

static int
put_error(json_t *row, void *ctx)
{
	return put(ctx, report_error(row));
}

static int
put_file(const struct store_inv *row, void *ctx)
{
	return put(ctx, report_file(row));
}

/* The three row lists of a report, in order; jsonl names each record kind. */
static enum vg_err
rows(struct rctx *c, int jsonl)
{
	static const char *const keys[] = { "detections", "errors", "inventory" };
	static const char *const records[] = { "detection", "error", "file" };
	enum vg_err e = VG_OK;
	int i;

	for (i = 0; i < 3 && e == VG_OK; i++) {
		struct stream s = { c, jsonl ? records[i] : NULL, 0, 0, VG_OK };

		errno = 0;
		if (i == 2 && !c->inventory) {
			if (!jsonl && fputs(",\n\"inventory\": null", c->f) == EOF)
				return write_failed(c);
			continue;
		}
		if (!jsonl && fprintf(c->f, ",\n\"%s\": [", keys[i]) < 0)
			return write_failed(c);
		if (i == 0)
			e = store_threat_foreach(c->st, c->scan_id, put_detection, &s, c->err);
		else if (i == 1)
			e = store_problem_foreach(c->st, c->scan_id, put_error, &s, c->err);
		else
			e = store_inventory_foreach(c->st, c->scan_id, put_file, &s, c->err);
		if (s.failed)
			return stream_failed(&s);
		errno = 0;
		if (e == VG_OK && !jsonl && fputs(s.n ? "\n]" : "]", c->f) == EOF)
			return write_failed(c);
	}
	return e;
}

enum vg_err
render_json(struct rctx *c)
{
	const char *key;
	json_t *v;
	int first = 1;
	enum vg_err e;

	/* the head's members one per line, then the streamed arrays */
	errno = 0;
	if (fputc('{', c->f) == EOF)
		return write_failed(c);
	json_object_foreach(c->head, key, v) {
		json_t *k = json_string(key);

		if (k == NULL) /* a key jansson gave us is valid UTF-8: only memory can fail */
			return vg_error_set(c->err, VG_NOMEM, "out of memory while writing the "
					    "report");
		if (fputs(first ? "\n" : ",\n", c->f) == EOF || report_dump(c->f, k) != 0 ||
		    fputs(": ", c->f) == EOF || report_dump(c->f, v) != 0) {
			json_decref(k);
			return write_failed(c);
		}
		json_decref(k);
		first = 0;
	}
	e = rows(c, 0);
	errno = 0;
	if (e == VG_OK && fputs("\n}\n", c->f) == EOF)
		e = write_failed(c);
	return e;
}

enum vg_err
render_jsonl(struct rctx *c)
{
	json_t *line = json_pack("{s:s, s:I}", "record", "scan", "scan_id", (json_int_t)c->scan_id);

	if (line == NULL || json_object_update(line, c->head) != 0) {
		json_decref(line);
		return vg_error_set(c->err, VG_NOMEM, "out of memory while writing the report");
	}
	errno = 0;
	if (report_dump(c->f, line) != 0 || fputc('\n', c->f) == EOF) {
		json_decref(line);
		return write_failed(c);
	}
	json_decref(line);
	return rows(c, 1);
}
