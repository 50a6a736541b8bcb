/*
 * tests/fuzz/fuzz_report.c — every report format over a scan whose names are hostile.
 *
 * One store per process (in the temporary folder). Each input becomes one scan: the input
 * is split at 0x01 bytes into rows, the first byte of a row says what it is (b % 4) and the
 * rest is split at 0x02 bytes into its fields:
 *
 *   0 threat     path, member chain (NUL-separated), rule name, namespace, description,
 *                author, reference, meta key, meta value, type, action / allowed_by
 *   1 problem    path, member chain, kind, reason
 *   2 file       path (inventory), stat bytes, type
 *   3 head       case_id, examiner, hostname, evidence root, a scan root, two command line
 *                words, an exclusion, a file type, kernel, org_id, app_version
 *
 * Every format is written with report_write and checked: json and jsonl parse with
 * jansson and hold exactly the rows; csv (read by a quote-aware RFC 4180 reader written
 * here) has 32 cells in every record, one record per row, and no cell a spreadsheet would
 * run as a formula; html is valid UTF-8 and every '<' in it opens one of the template's
 * own tags (so no "<script" or "<img" from a name, in any case); the body file has one line
 * per file of 11 fields. The scan is then pruned, so the store stays small.
 *
 * VIGIL_FUZZ_KEEP=/a/folder keeps the reports of the last input there (to look at a crash).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/jsonx.h"
#include "core/store.h"
#include "reports/report.h"

#include "fuzz_common.h"

#define MAX_ROWS 48
#define MAX_FIELDS 12

static struct store *st;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vg_error err;
	char state[4200];

	(void)argc;
	(void)argv;
	vg_error_init(&err);
	fuzz_path(state, sizeof(state), "state");
	if (store_open(state, &st, &err) != VG_OK) {
		fprintf(stderr, "fuzz_report: %s\n", vg_error_msg(&err));
		abort();
	}
	return 0;
}

struct field {
	const char *p;
	size_t n;
};

struct row {
	int kind;
	unsigned char flags;
	struct field f[MAX_FIELDS];
	size_t nf;
};

/* A field as a C string (malloc'd; a NUL inside ends it, as for any text column). */
static char *
text(const struct row *r, size_t i, const char *def)
{
	if (i >= r->nf)
		return def ? strdup(def) : NULL;
	return strndup(r->f[i].p, r->f[i].n);
}

/* A field's bytes as a member chain: NUL-terminated names, as the scanner writes them. */
static char *
chain(const struct row *r, size_t i, size_t *len)
{
	char *m;

	*len = 0;
	if (i >= r->nf || r->f[i].n == 0)
		return NULL;
	m = malloc(r->f[i].n + 1);
	if (m == NULL)
		abort();
	memcpy(m, r->f[i].p, r->f[i].n);
	*len = r->f[i].n;
	if (m[*len - 1] != '\0')
		m[(*len)++] = '\0';
	return m;
}

/* Eight bytes of a field from offset as a number (0 past its end). */
static int64_t
num(const struct row *r, size_t i, size_t off)
{
	uint64_t v = 0;
	size_t k;

	if (i >= r->nf)
		return 0;
	for (k = 0; k < 8; k++)
		v = v << 8 | (off + k < r->f[i].n ? (unsigned char)r->f[i].p[off + k] : 0);
	return (int64_t)v;
}

static void
hexdigest(const EVP_MD *md, const void *p, size_t n, char *out)
{
	unsigned char d[64];
	unsigned dl = 0;

	EVP_Digest(p, n, d, &dl, md, NULL);
	vg_hex(d, dl, out);
}

/* The json text of bytes as a key (jansson keys are UTF-8). */
static char *
key_text(const struct row *r, size_t i, const char *def)
{
	json_t *s;
	char *k;

	if (i >= r->nf || r->f[i].n == 0)
		return strdup(def);
	s = vg_json_bytes(r->f[i].p, r->f[i].n);
	k = strdup(s && json_string_value(s) ? json_string_value(s) : def);
	json_decref(s);
	return k;
}

/* A field as bytes that may stand in a name: up to a NUL (no file or rule name holds one). */
static size_t
blen(const struct row *r, size_t i)
{
	return i < r->nf ? strnlen(r->f[i].p, r->f[i].n) : 0;
}

static json_t *
jbytes(const struct row *r, size_t i)
{
	if (i >= r->nf)
		return json_null();
	return vg_json_bytes(r->f[i].p, blen(r, i));
}

static size_t
parse_rows(const uint8_t *data, size_t size, struct row *rows)
{
	size_t nr = 0, i = 0;

	while (i < size && nr < MAX_ROWS) {
		const uint8_t *end = memchr(data + i, 0x01, size - i);
		size_t n = end ? (size_t)(end - (data + i)) : size - i, k = 1;
		struct row *r = &rows[nr];

		if (n > 0) {
			r->kind = data[i] % 4;
			r->flags = data[i];
			r->nf = 0;
			while (r->nf < MAX_FIELDS) {
				const uint8_t *z = k <= n ? memchr(data + i + k, 0x02, n - k) : NULL;
				size_t fl = z ? (size_t)(z - (data + i + k)) : (k <= n ? n - k : 0);

				r->f[r->nf].p = (const char *)data + i + (k <= n ? k : n);
				r->f[r->nf].n = fl;
				r->nf++;
				if (z == NULL)
					break;
				k += fl + 1;
			}
			nr++;
		}
		i += n + 1;
	}
	return nr;
}

struct counts {
	int64_t threats, problems, files;
	int inventory;
};

static void
add_threat(int64_t scan_id, const struct row *r)
{
	struct store_threat t = { 0 };
	char sha256[65], sha1[41], md5[33];
	char *name = text(r, 2, "Rule"), *ns = text(r, 3, "ns"), *type = text(r, 9, NULL);
	char *act = text(r, 10, ""), *mk = key_text(r, 7, "extra"), *meta_text;
	size_t mlen = 0;
	char *member = chain(r, 1, &mlen);
	json_t *meta = json_object();
	struct vg_error err;

	if (r->flags & 0x10)
		json_object_set_new(meta, "description", json_pack("[o, i]", jbytes(r, 4), 42));
	else
		json_object_set_new(meta, "description", jbytes(r, 4));
	json_object_set_new(meta, "author", jbytes(r, 5));
	json_object_set_new(meta, "reference", jbytes(r, 6));
	json_object_set_new(meta, mk, jbytes(r, 8));
	meta_text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
	hexdigest(EVP_sha256(), r->f[0].p, r->f[0].n, sha256);
	hexdigest(EVP_sha1(), r->f[0].p, r->f[0].n, sha1);
	hexdigest(EVP_md5(), r->f[0].p, r->f[0].n, md5);
	t.scan_id = scan_id;
	t.path = r->f[0].p;
	t.path_len = blen(r, 0);
	t.member = member;
	t.member_len = mlen;
	t.name = name;
	t.ns = ns;
	t.meta_json = (r->flags & 0x80) ? NULL : meta_text;
	t.sha256 = sha256;
	t.sha1 = sha1;
	t.md5 = md5;
	t.size = num(r, 4, 0);
	t.type = type;
	if (r->flags & 0x20) {
		t.action = "allowed";
		t.allowed_by = act;
	} else {
		t.action = (r->flags & 0x40) ? act : "reported";
	}
	t.have_mtime = (r->flags & 0x08) != 0;
	t.mtime_ns = num(r, 5, 0);
	vg_error_init(&err);
	if (store_threat_add(st, &t, &err) != VG_OK)
		fuzz_fail("store_threat_add: %s", vg_error_msg(&err));
	free(name);
	free(ns);
	free(type);
	free(act);
	free(mk);
	free(meta_text);
	free(member);
	json_decref(meta);
}

static void
add_problem(int64_t scan_id, const struct row *r)
{
	static const char *const kinds[] = { "error", "skipped", "limit" };
	size_t mlen = 0;
	char *member = chain(r, 1, &mlen);
	char *kind = (r->flags & 0x10) ? text(r, 2, "") : strdup(kinds[(r->flags >> 5) % 3]);
	char *reason = text(r, 3, "");
	struct vg_error err;

	vg_error_init(&err);
	if (store_problem_add(st, scan_id, r->f[0].p, blen(r, 0), member, mlen, kind, reason,
			      &err) != VG_OK)
		fuzz_fail("store_problem_add: %s", vg_error_msg(&err));
	free(member);
	free(kind);
	free(reason);
}

static void
add_file(int64_t scan_id, const struct row *r)
{
	struct store_inv inv = { 0 };
	char sha256[65], sha1[41], md5[33];
	char *type = text(r, 2, NULL);
	struct vg_error err;

	hexdigest(EVP_sha256(), r->f[0].p, r->f[0].n, sha256);
	hexdigest(EVP_sha1(), r->f[0].p, r->f[0].n, sha1);
	hexdigest(EVP_md5(), r->f[0].p, r->f[0].n, md5);
	inv.path = r->f[0].p;
	inv.path_len = blen(r, 0);
	inv.size = num(r, 1, 0);
	inv.mode = num(r, 1, 8);
	inv.uid = num(r, 1, 16);
	inv.gid = num(r, 1, 24);
	inv.dev = num(r, 1, 32);
	inv.ino = num(r, 1, 40);
	inv.nlink = num(r, 1, 48);
	inv.atime_ns = num(r, 1, 56);
	inv.mtime_ns = num(r, 1, 64);
	inv.ctime_ns = num(r, 1, 72);
	inv.have_btime = (r->flags & 0x10) != 0;
	inv.btime_ns = num(r, 1, 80);
	if (!(r->flags & 0x20)) {
		inv.sha256 = sha256;
		inv.sha1 = sha1;
		inv.md5 = md5;
	}
	inv.type = type;
	vg_error_init(&err);
	if (store_inventory_add(st, scan_id, &inv, &err) != VG_OK)
		fuzz_fail("store_inventory_add: %s", vg_error_msg(&err));
	free(type);
}

/* ---- the readers the reports are checked with ---- */

/* A quote-aware RFC 4180 reader: calls fn for every record with its cells. */
struct csv_stats {
	int64_t records, detections, errors, files, custody;
	int64_t cells_per_record;	/* of the first record; every record must match */
};

static void
check_csv(const char *s, size_t n, struct csv_stats *cs)
{
	size_t i = 0;
	char first[16];

	memset(cs, 0, sizeof(*cs));
	if (n < 2 || s[n - 2] != '\r' || s[n - 1] != '\n')
		fuzz_fail("csv: does not end with CRLF");
	while (i < n) {
		int64_t cells = 0;
		int end = 0;

		first[0] = '\0';
		while (!end) {
			size_t fl = 0;
			char lead = 0;
			int quoted = 0;

			if (i < n && s[i] == '"') {
				quoted = 1;
				i++;
				for (;;) {
					if (i >= n)
						fuzz_fail("csv: a quoted cell is not closed");
					if (s[i] == '"') {
						if (i + 1 < n && s[i + 1] == '"') {
							if (fl++ == 0)
								lead = '"';
							i += 2;
							continue;
						}
						i++;
						break;
					}
					if (fl < sizeof(first) - 1 && cells == 0)
						first[fl] = s[i], first[fl + 1] = '\0';
					if (fl++ == 0)
						lead = s[i];
					i++;
				}
			} else {
				while (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
					if (s[i] == '"')
						fuzz_fail("csv: a quote inside an unquoted cell");
					if (fl < sizeof(first) - 1 && cells == 0)
						first[fl] = s[i], first[fl + 1] = '\0';
					if (fl++ == 0)
						lead = s[i];
					i++;
				}
			}
			(void)quoted;
			if (fl > 0 && strchr("=+-@\t\r", lead) != NULL)
				fuzz_fail("csv: a cell starts with '%c' (a spreadsheet formula)", lead);
			cells++;
			if (i < n && s[i] == ',') {
				i++;
			} else if (i + 1 < n && s[i] == '\r' && s[i + 1] == '\n') {
				i += 2;
				end = 1;
			} else {
				fuzz_fail("csv: a cell ends in 0x%02x at byte %zu, not in , or CRLF",
					  i < n ? (unsigned char)s[i] : 0, i);
			}
		}
		if (cs->records == 0) {
			cs->cells_per_record = cells;
			if (strcmp(first, "record") != 0)
				fuzz_fail("csv: the header does not start with 'record'");
		} else if (cells != cs->cells_per_record) {
			fuzz_fail("csv: record %lld has %lld cells, the header %lld",
				  (long long)cs->records + 1, (long long)cells,
				  (long long)cs->cells_per_record);
		} else if (strcmp(first, "detection") == 0) {
			cs->detections++;
		} else if (strcmp(first, "error") == 0) {
			cs->errors++;
		} else if (strcmp(first, "file") == 0) {
			cs->files++;
		} else if (strcmp(first, "custody") == 0) {
			cs->custody++;
		} else {
			fuzz_fail("csv: record %lld is of kind '%s'", (long long)cs->records + 1,
				  first);
		}
		cs->records++;
	}
}

/* Every '<' in the page opens (or closes) one of the template's own tags. */
static void
check_html(const char *s, size_t n)
{
	static const char *const tags[] = {
		"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2",
		"p", "main", "section", "div", "span", "figure", "figcaption", "svg", "g", "text",
		"rect", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "br",
		"footer", "b", NULL,
	};
	const char *p = s;

	if (!fuzz_utf8_valid((const unsigned char *)s, n))
		fuzz_fail("html: not valid UTF-8 (the page says charset=utf-8)");
	if (strlen(s) != n)
		fuzz_fail("html: holds a NUL byte");
	if (strcasestr(s, "<script") || strcasestr(s, "<img"))
		fuzz_fail("html: holds <script or <img");
	while ((p = memchr(p, '<', n - (size_t)(p - s))) != NULL) {
		const char *t = p + 1;
		size_t k, len;
		int ok = 0;

		if (*t == '/')
			t++;
		for (len = 0; t[len] && (isalnum((unsigned char)t[len]) || t[len] == '!'); len++)
			;
		for (k = 0; tags[k]; k++)
			if (strlen(tags[k]) == len && memcmp(tags[k], t, len) == 0 &&
			    (t[len] == '>' || t[len] == ' ' || t[len] == '/'))
				ok = 1;
		if (!ok)
			fuzz_fail("html: '<' at byte %zu opens no tag of the template: %.40s",
				  (size_t)(p - s), p);
		p++;
	}
}

static int64_t
count_lines(const char *s, size_t n)
{
	int64_t k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

static void
check_bodyfile(const char *s, size_t n, int64_t files)
{
	size_t i = 0;
	int64_t lines = 0;

	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (s + i)) : n - i, k;
		int bars = 0;

		if (nl == NULL)
			fuzz_fail("bodyfile: the last line has no newline");
		for (k = 0; k < len; k++) {
			unsigned char c = (unsigned char)s[i + k];

			if (c == '\\') {
				k++;	/* an escaped character */
				continue;
			}
			if (c < 0x20 || c == 0x7f)
				fuzz_fail("bodyfile: a raw control character 0x%02x", c);
			bars += c == '|';
		}
		if (bars != 10)
			fuzz_fail("bodyfile: line %lld has %d fields, not 11", (long long)lines + 1,
				  bars + 1);
		lines++;
		i += len + 1;
	}
	if (lines != files)
		fuzz_fail("bodyfile: %lld lines for %lld files", (long long)lines, (long long)files);
}

static void
check_json(const char *path, const struct counts *c)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je), *inv;

	if (!json_is_object(doc))
		fuzz_fail("json: does not parse: %d:%d: %s", je.line, je.column, je.text);
	if (json_integer_value(json_object_get(doc, "schema_version")) != REPORT_SCHEMA_VERSION)
		fuzz_fail("json: schema_version");
	if ((int64_t)json_array_size(json_object_get(doc, "detections")) != c->threats ||
	    (int64_t)json_array_size(json_object_get(doc, "errors")) != c->problems)
		fuzz_fail("json: %zu detections and %zu errors for %lld threats and %lld problems",
			  json_array_size(json_object_get(doc, "detections")),
			  json_array_size(json_object_get(doc, "errors")), (long long)c->threats,
			  (long long)c->problems);
	inv = json_object_get(doc, "inventory");
	if (c->inventory ? (int64_t)json_array_size(inv) != c->files || !json_is_array(inv)
			 : !json_is_null(inv))
		fuzz_fail("json: the inventory does not hold the %lld files", (long long)c->files);
	json_decref(doc);
}

static void
check_jsonl(const char *s, size_t n, const struct counts *c)
{
	size_t i = 0;
	int64_t k[4] = { 0, 0, 0, 0 }, lines = 0;

	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (s + i)) : n - i;
		json_error_t je;
		json_t *o = json_loadb(s + i, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
		const char *rec = json_string_value(json_object_get(o, "record"));

		if (nl == NULL)
			fuzz_fail("jsonl: the last line has no newline");
		if (!json_is_object(o) || rec == NULL)
			fuzz_fail("jsonl: line %lld does not parse: %s", (long long)lines + 1, je.text);
		if (strcmp(rec, "scan") == 0)
			k[0]++;
		else if (strcmp(rec, "detection") == 0)
			k[1]++;
		else if (strcmp(rec, "error") == 0)
			k[2]++;
		else if (strcmp(rec, "file") == 0)
			k[3]++;
		else
			fuzz_fail("jsonl: a record of kind '%s'", rec);
		if (lines == 0 && strcmp(rec, "scan") != 0)
			fuzz_fail("jsonl: the first line is not the scan");
		json_decref(o);
		lines++;
		i += len + 1;
	}
	if (k[0] != 1 || k[1] != c->threats || k[2] != c->problems ||
	    k[3] != (c->inventory ? c->files : 0))
		fuzz_fail("jsonl: %lld scan, %lld detection, %lld error, %lld file records",
			  (long long)k[0], (long long)k[1], (long long)k[2], (long long)k[3]);
}

static void
write_and_check(int64_t scan_id, const struct counts *c)
{
	static const char *const formats[] = { "json", "jsonl", "csv", "html", "bodyfile" };
	size_t f;

	for (f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		char out[4300], name[32];
		struct report_result res;
		struct vg_error err;
		enum vg_err rc;
		char *body;
		size_t n;

		snprintf(name, sizeof(name), "report.%s", formats[f]);
		fuzz_path(out, sizeof(out), name);
		unlink(out);
		vg_error_init(&err);
		rc = report_write(st, scan_id, formats[f], out, &res, &err);
		if (strcmp(formats[f], "bodyfile") == 0 && !c->inventory) {
			if (rc != VG_NOTFOUND)
				fuzz_fail("bodyfile of a scan without an inventory: %s",
					  vg_error_msg(&err));
			if (access(out, F_OK) == 0)
				fuzz_fail("a failed report left a file behind");
			continue;
		}
		if (rc != VG_OK)
			fuzz_fail("report_write %s: %s", formats[f], vg_error_msg(&err));
		body = fuzz_read_file(out, &n);
		if (body == NULL)
			fuzz_fail("report %s was not written", formats[f]);
		if ((int64_t)n != res.bytes)
			fuzz_fail("report %s: %zu bytes written, %lld said", formats[f], n,
				  (long long)res.bytes);
		if (getenv("VIGIL_FUZZ_KEEP")) {
			/* keep the reports to look at: VIGIL_FUZZ_KEEP=/some/folder */
			char keep[4300];

			snprintf(keep, sizeof(keep), "%s/%s", getenv("VIGIL_FUZZ_KEEP"), name);
			fuzz_write_file(keep, body, n);
		}
		{
			char hex[65];

			hexdigest(EVP_sha256(), body, n, hex);
			if (strcmp(hex, res.sha256) != 0)
				fuzz_fail("report %s: the SHA-256 said is not the file's", formats[f]);
		}
		switch (f) {
		case 0:
			check_json(out, c);
			break;
		case 1:
			check_jsonl(body, n, c);
			break;
		case 2: {
			struct csv_stats cs;

			check_csv(body, n, &cs);
			if (cs.detections != c->threats || cs.errors != c->problems ||
			    cs.files != (c->inventory ? c->files : 0) || cs.custody < 1)
				fuzz_fail("csv: %lld detection, %lld error, %lld file records for %lld, "
					  "%lld, %lld", (long long)cs.detections, (long long)cs.errors,
					  (long long)cs.files, (long long)c->threats,
					  (long long)c->problems, (long long)c->files);
			break;
		}
		case 3:
			check_html(body, n);
			break;
		default:
			check_bodyfile(body, n, c->files);
			break;
		}
		free(body);
		unlink(out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct row rows[MAX_ROWS];
	size_t nr = parse_rows(data, size, rows), i;
	struct store_scan_new scan = { 0 };
	struct store_scan_totals tot = { 0 };
	struct counts c = { 0, 0, 0, 0 };
	struct vg_error err;
	int64_t scan_id, pruned;
	char *heads[12] = { NULL };
	json_t *roots = json_array(), *cmd = json_pack("[s, s]", "vigil", "scan"),
	       *options = json_pack("{s:b}", "archives", 1), *excl = json_array(),
	       *types = json_object();
	const struct row *head = NULL;

	for (i = 0; i < nr; i++) {
		if (rows[i].kind == 2)
			c.inventory = 1;
		if (rows[i].kind == 3)
			head = &rows[i];
	}
	if (head) {
		for (i = 0; i < 12; i++)
			heads[i] = text(head, i, NULL);
		if (head->nf > 3 && head->f[3].n > 0)
			json_object_set_new(options, "root", jbytes(head, 3));
		json_array_append_new(roots, jbytes(head, 4));
		json_array_append_new(cmd, jbytes(head, 5));
		json_array_append_new(cmd, jbytes(head, 6));
		json_array_append_new(excl, json_pack("{s:s, s:o, s:s, s:s}", "kind", "path",
						      "value", jbytes(head, 7), "origin", "cli",
						      "ref", "--exclude-path"));
		{
			char *k = key_text(head, 8, "application/x-fuzz");

			/* counts the scanner made: never negative */
			json_object_set_new(types, k, json_pack("{s:I, s:I}", "files",
							       (json_int_t)(num(head, 9, 0) & INT64_MAX),
							       "bytes",
							       (json_int_t)(num(head, 10, 0) & INT64_MAX)));
			free(k);
		}
	} else {
		json_array_append_new(roots, json_string("/"));
	}
	json_object_set_new(types, "text/plain", json_pack("{s:i, s:i}", "files", 3, "bytes", 99));
	scan.type = "custom";
	scan.threads = 1;
	scan.sig_version = 1;
	scan.rules_digest = "0000000000000000000000000000000000000000000000000000000000000000";
	scan.roots = roots;
	scan.command_line = cmd;
	scan.options = options;
	scan.exclusions = excl;
	scan.case_id = heads[0];
	scan.examiner = heads[1];
	scan.hostname = heads[2];
	scan.kernel = heads[9];
	scan.org_id = heads[10];
	scan.app_version = heads[11];
	scan.machine_guid = "00000000-0000-4000-8000-000000000000";
	scan.inventory = c.inventory;

	vg_error_init(&err);
	if (store_begin(st, &err) != VG_OK || store_scan_begin(st, &scan, &scan_id, &err) != VG_OK)
		fuzz_fail("store: %s", vg_error_msg(&err));
	for (i = 0; i < nr; i++) {
		switch (rows[i].kind) {
		case 0:
			add_threat(scan_id, &rows[i]);
			c.threats++;
			break;
		case 1:
			add_problem(scan_id, &rows[i]);
			c.problems++;
			break;
		case 2:
			add_file(scan_id, &rows[i]);
			c.files++;
			break;
		default:
			break;
		}
	}
	tot.status = (nr & 1) ? "completed" : "interrupted";
	tot.duration_s = (double)size / 7.0;
	tot.files_scanned = c.files;
	tot.bytes_scanned = (int64_t)size << 20;
	tot.objects_scanned = (int64_t)nr;
	tot.errors = c.problems;
	tot.threats = c.threats;
	tot.file_types = types;
	if (store_scan_finish(st, scan_id, &tot, &err) != VG_OK || store_commit(st, &err) != VG_OK)
		fuzz_fail("store: %s", vg_error_msg(&err));

	write_and_check(scan_id, &c);

	/* keep only this scan (and drop it next time): the store stays small */
	if (store_begin(st, &err) != VG_OK || store_scan_prune(st, 0, 1, &pruned, &err) != VG_OK ||
	    store_commit(st, &err) != VG_OK)
		fuzz_fail("store: prune: %s", vg_error_msg(&err));

	for (i = 0; i < 12; i++)
		free(heads[i]);
	json_decref(roots);
	json_decref(cmd);
	json_decref(options);
	json_decref(excl);
	json_decref(types);
	return 0;
}
