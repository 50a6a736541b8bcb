/*
 * reports/report.h — reports of a scan, rendered from the store, so any past scan can be
 * reported again, byte for byte the same (a report holds nothing that is not in the store).
 *
 *	struct report_result r;
 *	report_write(st, scan_id, "html", "/cases/42/scan.html", &r, &err);
 *	printf("%s  %s\n", r.sha256, "/cases/42/scan.html");
 *
 * Formats: json (one document, docs/report-schema.md), jsonl (one object per line,
 * streamed), csv (RFC 4180, one table), html (one self-contained file), bodyfile (the Sleuth
 * Kit's, from the hash inventory). Rows are streamed from the store: memory does not grow
 * with the number of files. The file is written under a temporary name beside the target
 * (vg_out, core/reach.h: its folder reached without following a link another user could have
 * planted, O_EXCL|O_NOFOLLOW, mode REPORT_MODE set before any byte), synced and renamed into
 * place, so a failed report leaves nothing behind and a link at the target is replaced, never
 * followed. A target that is a FIFO, a device, a socket or a folder, or a link to one, is
 * refused without being opened: "-" is the one way to write to standard output (a pipe, a
 * terminal). Every report written is recorded with the scan: format, path, SHA-256, size.
 * Everything that came from the scanned disk is escaped for the format.
 */
#ifndef VIGIL_REPORTS_REPORT_H
#define VIGIL_REPORTS_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "core/store.h"

/* The version of docs/report-schema.md that json and jsonl reports follow. */
#define REPORT_SCHEMA_VERSION 1

struct report_result {
	char sha256[65];
	int64_t bytes;
};

/* Is name a report format? */
int report_format_known(const char *name);
/* "json, jsonl, csv, html, bodyfile" */
const char *report_format_names(void);

/* Reports name the files of other users and what was found in them: private to root (or
 * whoever ran vigil). Diagnostic bundles and quarantine exports are 0600 too. */
#define REPORT_MODE 0600

/*
 * Render scan scan_id as format into out (a path, or "-"). Errors: VG_USAGE unknown format,
 * VG_NOTFOUND no such scan (or, for bodyfile, a scan without an inventory), VG_INVAL out is
 * (or links to) a FIFO, a device, a socket or a folder, VG_UNSAFE a link on the way to out's
 * folder that another user could have planted, VG_IO the file could not be written (nothing
 * is left behind in any of these cases), VG_STORE.
 */
enum vg_err report_write(struct store *st, int64_t scan_id, const char *format, const char *out,
			 struct report_result *res, struct vg_error *err);

/*
 * Could a report be written at out, checked before a scan without creating anything: out's
 * folder reached as report_write reaches it and writable, out absent, a regular file or a link
 * to one. VG_OK, or report_write's error for it (err required).
 */
enum vg_err report_out_check(const char *out, struct vg_error *err);

/* ---- the diagnostic bundle (reports/diagnostic.c) ---- */

struct report_diag_file {
	const char *name;	/* in the zip */
	char *data;
	size_t len;
};

/*
 * A zip of the files, 0600 (written beside out as a report is, and renamed into place;
 * nothing left on failure; the same refusals); sha256 receives the zip's digest, computed
 * from the bytes written, not by reading out again.
 */
enum vg_err report_diag_zip(const char *out, const struct report_diag_file *files, size_t n,
			    char sha256[65], struct vg_error *err);

/* ---- the pieces, for the renderers and their tests ---- */

/* A CSV cell per RFC 4180, quoted when needed; a formula-like start (= + - @ tab CR ')
 * gets a leading ' so a spreadsheet shows it as text. */
void report_csv_cell(FILE *f, const char *s);
/* Text for HTML: & < > " ' as entities, control characters made visible (\n, \x1b). */
void report_html_text(FILE *f, const char *s);
/* A bodyfile name from raw bytes: \ | and control characters and bytes that are not UTF-8
 * escaped (\\, \|, \n, \t, \xNN). */
void report_bodyfile_name(FILE *f, const char *bytes, size_t len);
/* Display text of obj[key] (a path): its exact bytes (key_b64 when present) made visible
 * by vg_text_escape (malloc'd). */
char *report_display(json_t *obj, const char *key);
/* The member chain of a detection or error as "outer > inner" (malloc'd; "" for none). */
char *report_member_display(json_t *obj);
/* ls-style permissions of a st_mode: "-rw-r--r--" (11 bytes with the NUL). */
void report_mode_text(int64_t mode, char out[11]);

#endif
