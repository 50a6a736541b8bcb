/* reports/report_int.h — private to reports/: what every renderer is handed. */
#ifndef VIGIL_REPORTS_INT_H
#define VIGIL_REPORTS_INT_H

#include <jansson.h>
#include <stdio.h>

#include "core/reach.h"
#include "reports/report.h"

struct rctx {
	struct store *st;
	int64_t scan_id;
	FILE *f;
	const char *format;
	const char *out_name;	/* for messages: the target path or "standard output" */
	json_t *head;		/* {schema_version, report, custody, scan, totals, file_types} */
	int inventory;		/* the scan recorded every file */
	const char *root;	/* an evidence scan's --root (paths are shown inside it too) */
	struct vg_error *err;
};

/* A threat row of the store as a report's detection: rule metadata lifted out. */
json_t *report_detection(json_t *threat);
/* A problem row as a report's error: {path, member, kind, reason}. */
json_t *report_error(json_t *problem);
/* obj["image_path"]: obj["path"] as seen inside the image mounted at root (evidence scans). */
void report_image_path(json_t *obj, const char *root);
/* An inventory row as a report's file. */
json_t *report_file(const struct store_inv *r);

/* Renderers: write the whole report to c->f; VG_OK or an error in c->err. */
enum vg_err render_json(struct rctx *c);
enum vg_err render_jsonl(struct rctx *c);
enum vg_err render_csv(struct rctx *c);
enum vg_err render_html(struct rctx *c);
enum vg_err render_bodyfile(struct rctx *c);

/*
 * A new output for out through vg_out (core/reach.h): a temporary file in out's folder, that
 * folder reached from "/" without following a link another user could have planted, created
 * O_EXCL|O_NOFOLLOW with mode set before any byte; vg_out_commit renames it over out. out,
 * when it exists, must be a regular file or a symbolic link to one (the link is replaced,
 * never followed); anything else, or a link to anything else (a FIFO, a device, a socket,
 * a folder), is refused with VG_INVAL without being opened, so nothing blocks. Other codes:
 * VG_UNSAFE (a link on the way not followed), VG_IO, VG_NOMEM. Messages say "cannot write
 * <what> 'out': reason", out as given.
 */
enum vg_err report_out_create(const char *out, const char *what, mode_t mode, struct vg_out *o,
			      struct vg_error *err);
/* The same message for a failure of vg_out_commit (or any vg_out message naming out). */
enum vg_err report_out_failed(const char *out, const char *what, struct vg_error *err);
/* "cannot write report 'out': reason" */
enum vg_err report_write_failed(const char *out, int en, struct vg_error *err);

/* json_dumpf, compact, keys in insertion order; -1 on a write error. */
int report_dump(FILE *f, json_t *v);

#endif
