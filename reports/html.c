/*
 * reports/html.c — one self-contained HTML file: inline CSS and SVG, no script, nothing
 * loaded from elsewhere (a Content-Security-Policy says so to the browser as well). A summary,
 * three bar charts (detections by rule, bytes scanned by file type, detections by folder),
 * the detections, the errors, and the chain of custody. Every text from the scanned disk or
 * the rules goes through report_html_text(): a file named <img src=x onerror=alert(1)>.exe
 * is shown as those characters.
 */
#include "reports/report_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"

#define CHART_BARS 10
#define LABEL_CHARS 42

void
report_html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		case '\n': fputs("\\n", f); break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				fprintf(f, "\\x%02x", ch);
			else
				fputc(ch, f);
		}
	}
}

/* The text of a JSON value: strings as they are, the rest as JSON. */
static void
html_json(FILE *f, json_t *v)
{
	char *t;

	if (v == NULL || json_is_null(v)) {
		fputs("<span class=\"none\">&mdash;</span>", f);
		return;
	}
	if (json_is_string(v)) {
		report_html_text(f, json_string_value(v));
		return;
	}
	t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	report_html_text(f, t);
	free(t);
}

static void
html_bytes(FILE *f, int64_t b)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	fprintf(f, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* ---- counting for the charts ---- */

struct bar {
	char *label;
	int64_t value;
};

struct bars {
	struct bar *v;
	size_t n, cap;
};

static void
bars_add(struct bars *b, const char *label, int64_t value)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->v[i].label, label) == 0) {
			b->v[i].value += value;
			return;
		}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct bar *v = realloc(b->v, cap * sizeof(*v));

		if (v == NULL)
			return;
		b->v = v;
		b->cap = cap;
	}
	if ((b->v[b->n].label = strdup(label)) != NULL)
		b->v[b->n++].value = value;
}

static int
bar_cmp(const void *a, const void *b)
{
	const struct bar *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return strcmp(x->label, y->label);
}

static void
bars_free(struct bars *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->v[i].label);
	free(b->v);
}

struct tally {
	struct bars rules, folders;
};

static int
tally_threat(json_t *row, void *ctx)
{
	struct tally *t = ctx;
	const char *name = json_string_value(json_object_get(row, "name"));
	char *path = report_display(row, "path"), *slash;

	bars_add(&t->rules, name ? name : "?", 1);
	if (path) {
		slash = strrchr(path, '/');
		if (slash)
			*(slash == path ? slash + 1 : slash) = '\0';
		bars_add(&t->folders, path, 1);
		free(path);
	}
	return 0;
}

/* The first LABEL_CHARS characters (not bytes) of a label, or its last ones (tail). */
static void
short_label(const char *s, int tail, char *out, size_t n)
{
	size_t len = strlen(s), chars = 0, i, cut;

	for (i = 0; i < len; i++)
		chars += ((unsigned char)s[i] & 0xc0) != 0x80;
	if (chars <= LABEL_CHARS) {
		snprintf(out, n, "%s", s);
		return;
	}
	if (tail) {
		for (cut = len, chars = 0; cut > 0 && chars < LABEL_CHARS - 1; cut--)
			chars += ((unsigned char)s[cut - 1] & 0xc0) != 0x80;
		snprintf(out, n, "\u2026%s", s + cut);
	} else {
		/* LABEL_CHARS - 1 whole characters, cut before a lead byte, then the ellipsis */
		for (cut = 0, chars = 0; cut < len; cut++) {
			if (((unsigned char)s[cut] & 0xc0) == 0x80)
				continue;
			if (chars == LABEL_CHARS - 1)
				break;
			chars++;
		}
		snprintf(out, n, "%.*s\u2026", (int)cut, s);
	}
}

/* A horizontal bar chart in SVG: the largest values first, CHART_BARS at most. */
static void
chart(FILE *f, const char *title, struct bars *b, int bytes, int tail)
{
	const int row = 24, label_w = 300, bar_w = 260, width = 680;
	size_t n = b->n < CHART_BARS ? b->n : CHART_BARS, i;
	int64_t max = 1;

	if (b->n > 1)
		qsort(b->v, b->n, sizeof(*b->v), bar_cmp);
	for (i = 0; i < n; i++)
		if (b->v[i].value > max)
			max = b->v[i].value;
	fputs("<figure class=\"chart\"><figcaption>", f);
	report_html_text(f, title);
	fputs("</figcaption>\n", f);
	if (n == 0) {
		fputs("<p class=\"none\">nothing to show</p></figure>\n", f);
		return;
	}
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" role=\"img\">\n", width, (int)n * row + 8, width,
		(int)n * row + 8);
	for (i = 0; i < n; i++) {
		char label[LABEL_CHARS * 4 + 8];
		int y = (int)i * row + 4;
		int w = b->v[i].value > 0 ? (int)((double)b->v[i].value / (double)max * bar_w) : 0;

		short_label(b->v[i].label, tail, label, sizeof(label));
		fprintf(f, "<g><title>");
		report_html_text(f, b->v[i].label);
		fprintf(f, "</title><text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"lbl\">",
			label_w - 8, y + 16);
		report_html_text(f, label);
		fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" "
			   "class=\"bar\"/><text x=\"%d\" y=\"%d\" class=\"val\">", label_w, y + 3,
			w < 2 ? 2 : w, row - 8, label_w + (w < 2 ? 2 : w) + 6, y + 16);
		if (bytes)
			html_bytes(f, b->v[i].value);
		else
			fprintf(f, "%lld", (long long)b->v[i].value);
		fputs("</text></g>\n", f);
	}
	fputs("</svg></figure>\n", f);
}

/* ---- the page ---- */

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
	"color:#1d2330;background:#f4f6f9}"
	"header{background:#1d2330;color:#fff;padding:18px 32px}"
	"header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#b8c2d6}"
	"main{padding:20px 32px;max-width:1400px}"
	"section{background:#fff;border:1px solid #dde3ec;border-radius:8px;padding:16px 20px;"
	"margin:0 0 20px}h2{font-size:17px;margin:0 0 12px}"
	".cards{display:flex;flex-wrap:wrap;gap:12px}"
	".card{flex:1 1 150px;border:1px solid #dde3ec;border-radius:6px;padding:10px 14px}"
	".card b{display:block;font-size:22px}.card span{color:#5b6578;font-size:12px}"
	".verdict-bad{background:#fdecec;border-color:#e7a3a3}.verdict-bad b{color:#b3261e}"
	".verdict-good{background:#eaf6ec;border-color:#a6d5ae}.verdict-good b{color:#1e7b34}"
	".charts{display:flex;flex-wrap:wrap;gap:16px}.chart{margin:0}"
	"figcaption{font-weight:600;margin-bottom:6px}"
	".bar{fill:#3b6fd8}.lbl{font-size:12px;fill:#1d2330}.val{font-size:12px;fill:#5b6578}"
	"table{border-collapse:collapse;width:100%;font-size:13px}"
	"th{background:#eef2f8;text-align:left;padding:6px 8px;border-bottom:2px solid #c9d3e3;"
	"white-space:nowrap}th::after{content:' \\25B4\\25BE';color:#9aa6bb;font-size:10px}"
	"td{padding:6px 8px;border-bottom:1px solid #e6ebf2;vertical-align:top}"
	"tbody tr:nth-child(even){background:#fafbfd}"
	"td.path{word-break:break-all;font-family:ui-monospace,Menlo,monospace;font-size:12px}"
	".mono{font-family:ui-monospace,Menlo,monospace;font-size:11px;word-break:break-all}"
	".member{color:#5b6578}.threat{color:#b3261e;font-weight:600}.none{color:#9aa6bb}"
	"dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}"
	"dt{color:#5b6578}dd{margin:0;word-break:break-all}"
	".arg{border:1px solid #dde3ec;border-radius:3px;padding:0 4px;margin:0 4px 2px 0;"
	"display:inline-block;font-family:ui-monospace,Menlo,monospace;font-size:12px}"
	"footer{color:#5b6578;font-size:12px;padding:0 32px 24px}";

static void
card(FILE *f, const char *label, const char *cls, json_t *v, int bytes)
{
	fprintf(f, "<div class=\"card%s%s\"><b>", cls ? " " : "", cls ? cls : "");
	if (bytes)
		html_bytes(f, json_integer_value(v));
	else
		html_json(f, v);
	fputs("</b><span>", f);
	report_html_text(f, label);
	fputs("</span></div>\n", f);
}

static void
summary(struct rctx *c)
{
	json_t *scan = json_object_get(c->head, "scan"), *t = json_object_get(c->head, "totals");
	int64_t threats = json_integer_value(json_object_get(t, "detections"));
	const char *status = json_string_value(json_object_get(scan, "status"));
	json_t *verdict = json_string(threats ? "Threats found" : "No threats found");
	char secs[32];
	json_t *duration;

	snprintf(secs, sizeof(secs), "%.2f s",
		 json_number_value(json_object_get(scan, "duration_s")));
	duration = json_string(secs);

	fputs("<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">\n", c->f);
	card(c->f, "verdict", threats ? "verdict-bad" : "verdict-good", verdict, 0);
	card(c->f, "detections", NULL, json_object_get(t, "detections"), 0);
	card(c->f, "files scanned", NULL, json_object_get(t, "files_scanned"), 0);
	card(c->f, "data scanned", NULL, json_object_get(t, "bytes_scanned"), 1);
	card(c->f, "objects incl. archive members", NULL, json_object_get(t, "objects_scanned"), 0);
	card(c->f, "errors", NULL, json_object_get(t, "errors"), 0);
	card(c->f, "skipped", NULL, json_object_get(t, "skipped"), 0);
	card(c->f, "allowed by the allow list", NULL, json_object_get(t, "allowed"), 0);
	card(c->f, "duration", NULL, duration, 0);
	card(c->f, "status", status && strcmp(status, "completed") ? "verdict-bad" : NULL,
	     json_object_get(scan, "status"), 0);
	fputs("</div></section>\n", c->f);
	json_decref(verdict);
	json_decref(duration);
}

static enum vg_err
charts(struct rctx *c)
{
	struct tally t = { { 0 }, { 0 } };
	struct bars types = { 0 };
	json_t *ft, *v;
	size_t i;
	enum vg_err e = store_threat_foreach(c->st, c->scan_id, tally_threat, &t, c->err);

	ft = json_object_get(c->head, "file_types");
	json_array_foreach(ft, i, v)
		bars_add(&types, json_string_value(json_object_get(v, "type")),
			 json_integer_value(json_object_get(v, "bytes")));
	fputs("<section id=\"charts\"><h2>Charts</h2><div class=\"charts\">\n", c->f);
	chart(c->f, "Detections by rule", &t.rules, 0, 0);
	chart(c->f, "Bytes scanned by file type", &types, 1, 0);
	chart(c->f, "Detections by folder", &t.folders, 0, 1);
	fputs("</div></section>\n", c->f);
	bars_free(&t.rules);
	bars_free(&t.folders);
	bars_free(&types);
	return e;
}

static void
td_text(FILE *f, const char *cls, const char *s)
{
	fprintf(f, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	report_html_text(f, s);
	fputs("</td>", f);
}

static int
detection_row(json_t *row, void *ctx)
{
	struct rctx *c = ctx;
	json_t *d = report_detection(row);
	char *path = report_display(d, "path"), *member = report_member_display(d);
	FILE *f = c->f;

	report_image_path(d, c->root);
	fputs("<tr class=\"detection\"><td class=\"path\">", f);
	if (json_is_string(json_object_get(d, "image_path"))) {
		/* an evidence scan: the path in the image first, then where it is here */
		html_json(f, json_object_get(d, "image_path"));
		fputs("<div class=\"member\">on this machine: ", f);
		report_html_text(f, path);
		fputs("</div>", f);
	} else {
		report_html_text(f, path);
	}
	if (member && *member) {
		fputs("<div class=\"member\">&#8627; ", f);
		report_html_text(f, member);
		fputs("</div>", f);
	}
	fputs("</td><td class=\"threat\">", f);
	html_json(f, json_object_get(d, "name"));
	fputs("<div class=\"member\">", f);
	html_json(f, json_object_get(d, "namespace"));
	fputs("</div></td><td>", f);
	html_json(f, json_object_get(d, "description"));
	fputs("<div class=\"member\">", f);
	html_json(f, json_object_get(d, "author"));
	fputs("</div><div class=\"mono\">", f);
	html_json(f, json_object_get(d, "reference"));
	fputs("</div></td><td class=\"mono\">SHA-256 ", f);
	html_json(f, json_object_get(d, "sha256"));
	fputs("<br>SHA-1 ", f);
	html_json(f, json_object_get(d, "sha1"));
	fputs("<br>MD5 ", f);
	html_json(f, json_object_get(d, "md5"));
	fputs("</td><td>", f);
	html_bytes(f, json_integer_value(json_object_get(d, "size")));
	fputs("</td><td>", f);
	html_json(f, json_object_get(d, "type"));
	fputs("</td><td>", f);
	html_json(f, json_object_get(d, "mtime"));
	fputs("</td><td>", f);
	html_json(f, json_object_get(d, "action"));
	if (json_is_string(json_object_get(d, "allowed_by"))) {
		fputs("<div class=\"member\">", f);
		html_json(f, json_object_get(d, "allowed_by"));
		fputs("</div>", f);
	}
	fputs("</td></tr>\n", f);
	free(path);
	free(member);
	json_decref(d);
	return ferror(f) ? -1 : 0;
}

static int
error_row(json_t *row, void *ctx)
{
	struct rctx *c = ctx;
	char *path = report_display(row, "path"), *member = report_member_display(row);

	fputs("<tr class=\"error\">", c->f);
	report_image_path(row, c->root);
	if (json_is_string(json_object_get(row, "image_path"))) {
		char *both = NULL;

		if (asprintf(&both, "%s (on this machine: %s)",
			     json_string_value(json_object_get(row, "image_path")), path) < 0)
			both = NULL;
		td_text(c->f, "path", both ? both : path);
		free(both);
	} else {
		td_text(c->f, "path", path);
	}
	td_text(c->f, "path", member ? member : "");
	td_text(c->f, NULL, json_string_value(json_object_get(row, "kind")));
	td_text(c->f, NULL, json_string_value(json_object_get(row, "reason")));
	fputs("</tr>\n", c->f);
	free(path);
	free(member);
	return ferror(c->f) ? -1 : 0;
}

static enum vg_err
tables(struct rctx *c)
{
	enum vg_err e;

	fputs("<section id=\"detections\"><h2>Detections</h2>\n<table id=\"detections-table\">"
	      "<thead><tr><th>Path</th><th>Threat</th><th>Rule</th><th>Digests</th><th>Size</th>"
	      "<th>Type</th><th>Modified (UTC)</th><th>Action</th></tr></thead>\n<tbody>\n", c->f);
	e = store_threat_foreach(c->st, c->scan_id, detection_row, c, c->err);
	fputs("</tbody></table></section>\n", c->f);
	if (e != VG_OK)
		return e;
	fputs("<section id=\"errors\"><h2>Not scanned, or not completely</h2>\n<table "
	      "id=\"errors-table\"><thead><tr><th>Path</th><th>Archive member</th><th>Kind</th>"
	      "<th>Reason</th></tr></thead>\n<tbody>\n", c->f);
	e = store_problem_foreach(c->st, c->scan_id, error_row, c, c->err);
	fputs("</tbody></table>", c->f);
	if (json_object_size(json_object_get(json_object_get(c->head, "totals"),
					     "problems_by_kind")) == 0)
		fputs("<p class=\"none\">Every file was scanned completely.</p>", c->f);
	fputs("</section>\n", c->f);
	return e;
}

static void
dl_part(FILE *f, json_t *part, const char *prefix)
{
	const char *key;
	json_t *v;

	json_object_foreach(part, key, v) {
		size_t i;
		json_t *item;

		if (strstr(key, "_b64"))
			continue;
		fputs("<dt>", f);
		report_html_text(f, prefix);
		report_html_text(f, key);
		fputs("</dt><dd>", f);
		if (json_is_array(v) && (strcmp(key, "roots") == 0 ||
					 strcmp(key, "command_line") == 0)) {
			/* one box per argument: "Ann O'Neil" is one argument, not two */
			json_array_foreach(v, i, item) {
				fputs("<span class=\"arg\">", f);
				html_json(f, item);
				fputs("</span>", f);
			}
		} else if (json_is_array(v) && strcmp(key, "exclusions") == 0) {
			json_array_foreach(v, i, item) {
				fputs(i ? "<br>" : "", f);
				html_json(f, json_object_get(item, "kind"));
				fputc(' ', f);
				html_json(f, json_object_get(item, "value"));
				fputs(" <span class=\"member\">(", f);
				html_json(f, json_object_get(item, "origin"));
				fputs(")</span>", f);
			}
		} else {
			html_json(f, v);
		}
		fputs("</dd>\n", f);
	}
}

/* A disk image scan: what each volume was and what came of it. */
static void
volumes(struct rctx *c)
{
	static const char *const cols[] = { "partition", "offset", "length", "fs", "description",
					    "status", "reason" };
	json_t *vols = json_object_get(json_object_get(c->head, "scan"), "volumes"), *v;
	size_t i, k;

	if (!json_is_array(vols))
		return;
	fputs("<section id=\"volumes\"><h2>Volumes of the image</h2>\n<table id=\"volumes-table\">"
	      "<thead><tr><th>Partition</th><th>Offset (bytes)</th><th>Length (bytes)</th>"
	      "<th>File system</th><th>Description</th><th>Status</th><th>Reason</th>"
	      "<th>System on it</th></tr></thead>\n<tbody>\n", c->f);
	json_array_foreach(vols, i, v) {
		json_t *sys = json_object_get(v, "system");

		fputs("<tr>", c->f);
		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
			fputs("<td>", c->f);
			html_json(c->f, json_object_get(v, cols[k]));
			fputs("</td>", c->f);
		}
		/* the scanned system, as its /etc/machine-id and /etc/hostname name it */
		fputs("<td>", c->f);
		if (sys == NULL)
			html_json(c->f, NULL);
		if (json_object_get(sys, "machine_id") != NULL) {
			fputs("machine-id ", c->f);
			html_json(c->f, json_object_get(sys, "machine_id"));
		} else if (json_is_true(json_object_get(sys, "machine_id_invalid"))) {
			fputs("machine-id not valid", c->f);
		}
		if (json_object_get(sys, "hostname") != NULL) {
			fputs(json_object_size(sys) > 1 ? "<br>hostname " : "hostname ", c->f);
			html_json(c->f, json_object_get(sys, "hostname"));
			if (json_is_true(json_object_get(sys, "hostname_invalid")))
				fputs(" (not a valid host name)", c->f);
		}
		fputs("</td></tr>\n", c->f);
	}
	fputs("</tbody></table></section>\n", c->f);
}

static void
custody(struct rctx *c)
{
	fputs("<section id=\"custody\"><h2>Chain of custody</h2><dl>\n", c->f);
	dl_part(c->f, json_object_get(c->head, "custody"), "");
	dl_part(c->f, json_object_get(c->head, "scan"), "scan ");
	dl_part(c->f, json_object_get(c->head, "totals"), "");
	fprintf(c->f, "<dt>report schema_version</dt><dd>%d</dd>\n", REPORT_SCHEMA_VERSION);
	fputs("</dl></section>\n", c->f);
}

enum vg_err
render_html(struct rctx *c)
{
	json_t *scan = json_object_get(c->head, "scan"), *cust = json_object_get(c->head, "custody");
	enum vg_err e;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
	      c->f);
	fprintf(c->f, "<title>vigil scan %lld report</title>\n<style>%s</style></head>\n<body>\n",
		(long long)c->scan_id, css);
	fprintf(c->f, "<header><h1>vigil scan report &mdash; scan %lld</h1><p>", (long long)c->scan_id);
	html_json(c->f, json_object_get(scan, "type"));
	fputs(" scan on ", c->f);
	html_json(c->f, json_object_get(cust, "hostname"));
	fputs(", started ", c->f);
	html_json(c->f, json_object_get(scan, "started_at"));
	if (json_is_string(json_object_get(cust, "case_id"))) {
		fputs(" &middot; case ", c->f);
		html_json(c->f, json_object_get(cust, "case_id"));
	}
	if (json_is_string(json_object_get(cust, "examiner"))) {
		fputs(" &middot; examiner ", c->f);
		html_json(c->f, json_object_get(cust, "examiner"));
	}
	fputs("</p></header>\n<main>\n", c->f);
	summary(c);
	e = charts(c);
	if (e == VG_OK)
		e = tables(c);
	volumes(c);
	custody(c);
	if (c->inventory)
		fputs("<section id=\"inventory\"><h2>Inventory</h2><p>Every file of this scan was "
		      "recorded with its times and digests: see the json, jsonl, csv and bodyfile "
		      "reports.</p></section>\n", c->f);
	fputs("</main>\n<footer>Written by vigil ", c->f);
	html_json(c->f, json_object_get(json_object_get(c->head, "report"), "generator_version"));
	fputs(" from its store; the SHA-256 of this file is recorded with the scan "
	      "(vigil scan show).</footer>\n</body></html>\n", c->f);
	if (e == VG_INTERRUPTED || ferror(c->f))
		return VG_IO;
	return e;
}
