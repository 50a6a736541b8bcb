/*
 * reports/report.c — the report formats, the chain-of-custody head every report starts
 * from, and the way a report reaches the disk: a temporary file beside the target, hashed
 * while written, synced, renamed into place, recorded with the scan.
 */
#include "reports/report_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/path.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

static const struct {
	const char *name;
	enum vg_err (*render)(struct rctx *c);
	int needs_inventory;
} formats[] = {
	{ "json", render_json, 0 },
	{ "jsonl", render_jsonl, 0 },
	{ "csv", render_csv, 0 },
	{ "html", render_html, 0 },
	{ "bodyfile", render_bodyfile, 1 },
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

static int
format_index(const char *name)
{
	size_t i;

	for (i = 0; i < NFORMATS; i++)
		if (strcmp(formats[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
report_format_known(const char *name)
{
	return format_index(name) >= 0;
}

const char *
report_format_names(void)
{
	return "json, jsonl, csv, html, bodyfile";
}

int
report_dump(FILE *f, json_t *v)
{
	return json_dumpf(v, f, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* ---- the head: who scanned what, where, with which rules, and the totals ---- */

struct counts {
	int64_t detections, allowed;
};

static int
count_threat(json_t *row, void *ctx)
{
	struct counts *n = ctx;
	const char *action = json_string_value(json_object_get(row, "action"));

	if (action && strcmp(action, "allowed") == 0)
		n->allowed++;
	else
		n->detections++;
	return 0;
}

static int
by_bytes(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t bx = json_integer_value(json_object_get(x, "bytes"));
	json_int_t by = json_integer_value(json_object_get(y, "bytes"));

	if (bx != by)
		return bx < by ? 1 : -1;
	return strcmp(json_string_value(json_object_get(x, "type")),
		      json_string_value(json_object_get(y, "type")));
}

/* {mime: {files, bytes}} as [{type, files, bytes}], the most bytes first. */
static json_t *
file_types(json_t *obj)
{
	json_t *arr = json_array(), *v, **items;
	const char *key;
	size_t n = json_object_size(obj), i = 0;

	if (n == 0 || (items = calloc(n, sizeof(*items))) == NULL)
		return arr;
	json_object_foreach(obj, key, v)
		items[i++] = json_pack("{s:s, s:O, s:O}", "type", key, "files",
				       json_object_get(v, "files"), "bytes",
				       json_object_get(v, "bytes"));
	qsort(items, n, sizeof(*items), by_bytes);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, items[i]);
	free(items);
	return arr;
}

static json_t *
pick(json_t *scan, const char *const *keys)
{
	json_t *o = json_object();

	for (; *keys; keys++) {
		json_t *v = json_object_get(scan, *keys);

		json_object_set(o, *keys, v ? v : json_null());
		/* a name that is not UTF-8 keeps its exact bytes beside it */
		if (strcmp(*keys, "roots") != 0) {
			char b64key[64];

			snprintf(b64key, sizeof(b64key), "%s_b64", *keys);
			if (json_object_get(scan, b64key))
				json_object_set(o, b64key, json_object_get(scan, b64key));
		}
	}
	return o;
}

static enum vg_err
build_head(struct rctx *c, json_t *scan)
{
	static const char *const custody_keys[] = {
		"case_id", "examiner", "app_version", "hostname", "machine_guid", "org_id",
		"kernel", "command_line", "sig_version", "rules_digest", NULL,
	};
	static const char *const scan_keys[] = {
		"scan_id", "type", "status", "started_at", "ended_at", "duration_s", "threads",
		"roots", "exclusions", "options", "inventory", "verification", "volumes", NULL,
	};
	static const char *const total_keys[] = {
		"files_scanned", "bytes_scanned", "objects_scanned", "errors", "skipped",
		"excluded", "threats_found", NULL,
	};
	struct counts n = { 0, 0 };
	json_t *custody, *totals, *kinds = NULL;
	enum vg_err e;

	e = store_threat_foreach(c->st, c->scan_id, count_threat, &n, c->err);
	if (e == VG_OK)
		e = store_problem_kinds_json(c->st, c->scan_id, &kinds, c->err);
	if (e != VG_OK)
		return e;
	custody = pick(scan, custody_keys);
	json_object_set_new(custody, "tool", json_string("vigil"));
	totals = pick(scan, total_keys);
	json_object_set_new(totals, "detections", json_integer(n.detections));
	json_object_set_new(totals, "allowed", json_integer(n.allowed));
	json_object_set_new(totals, "problems_by_kind", kinds);
	{
		json_t *s = pick(scan, scan_keys);
		json_t *root = json_object_get(json_object_get(scan, "options"), "root");

		/* a block device scanned as an image: the disk's identity (only then) */
		if (json_object_get(scan, "disk") != NULL)
			json_object_set(s, "disk", json_object_get(scan, "disk"));
		/* an evidence scan: the image's mount point, paths are shown inside it too */
		json_object_set(s, "root", root ? root : json_null());
		c->head = json_pack("{s:i, s:{s:s, s:s, s:s}, s:o, s:o, s:o, s:o}",
				    "schema_version", REPORT_SCHEMA_VERSION, "report", "format",
				    c->format, "generator", "vigil", "generator_version",
				    VIGIL_VERSION, "custody", custody, "scan", s, "totals", totals,
				    "file_types", file_types(json_object_get(scan, "file_types")));
	}
	c->inventory = json_is_true(json_object_get(scan, "inventory"));
	c->root = json_string_value(json_object_get(json_object_get(c->head, "scan"), "root"));
	return c->head ? VG_OK : vg_error_set(c->err, VG_NOMEM, "out of memory");
}

/* ---- the output: hashed while written ---- */

struct hout {
	int fd;
	EVP_MD_CTX *md;
	int64_t bytes;
	int error;		/* errno of the first failed write */
};

static ssize_t
hout_write(void *cookie, const char *buf, size_t n)
{
	struct hout *h = cookie;

	if (vg_write_full(h->fd, buf, n) != 0) {
		h->error = errno;
		return -1;
	}
	EVP_DigestUpdate(h->md, buf, n);
	h->bytes += (int64_t)n;
	return (ssize_t)n;
}

/*
 * vg_out and vg_reach name the absolute target or a folder on its way: "cannot write 'P':
 * why", P a prefix of out made absolute. Say it again as "cannot write <what> 'out': why",
 * with out as the user gave it (escaped); a message of another shape is kept whole after the
 * new head. Codes: VG_NOENT and VG_PERM become VG_IO (as documented for report_write).
 */
enum vg_err
report_out_failed(const char *out, const char *what, struct vg_error *err)
{
	static const char head[] = "cannot write '";
	enum vg_err code;
	char *abs = NULL, *esc, *why;
	size_t k;

	if (err == NULL)
		return VG_IO;
	code = err->code == VG_NOENT || err->code == VG_PERM || err->code == VG_OK ? VG_IO
										  : err->code;
	why = strdup(err->msg);
	if (why && strncmp(why, head, sizeof(head) - 1) == 0 &&
	    vg_path_absolute(out, &abs, NULL) == VG_OK) {
		const char *p = why + sizeof(head) - 1;

		for (k = strlen(abs); k > 0; k--)
			if (strncmp(p, abs, k) == 0 && strncmp(p + k, "': ", 3) == 0) {
				memmove(why, p + k + 3, strlen(p + k + 3) + 1);
				break;
			}
	}
	free(abs);
	esc = vg_text_escape(out, strlen(out));
	vg_error_init(err);
	vg_error_set(err, code, "cannot write %s '%s': %s", what, esc ? esc : "?",
		     why ? why : vg_strerror(code));
	free(esc);
	free(why);
	return code;
}

enum vg_err
report_out_create(const char *out, const char *what, mode_t mode, struct vg_out *o,
		  struct vg_error *err)
{
	struct vg_error own;
	struct stat st;

	if (err == NULL)
		err = &own;
	vg_error_init(err);
	if (vg_out_create(out, mode, o, err) != VG_OK)
		return report_out_failed(out, what, err);
	/* vg_out_create let through a regular file or a link: a link is replaced, never
	 * followed, but one to a FIFO or a device says the user meant to write there, which
	 * only '-' may do. stat does not open, so it cannot block. */
	if (fstatat(o->dfd, o->base, &st, 0) == 0 && !S_ISREG(st.st_mode)) {
		char *esc = vg_text_escape(out, strlen(out));

		vg_out_abort(o);
		vg_error_set(err, VG_INVAL, "cannot write %s '%s': it is a symbolic link to %s, not "
			     "to a file (name a new file, or '-' for standard output)", what,
			     esc ? esc : "?", vg_file_kind(st.st_mode));
		free(esc);
		return VG_INVAL;
	}
	return VG_OK;
}

enum vg_err
report_write_failed(const char *out, int en, struct vg_error *err)
{
	char *esc = vg_text_escape(out, strlen(out));

	vg_error_set(err, VG_IO, "cannot write report '%s': %s", esc ? esc : "?", strerror(en));
	free(esc);
	return VG_IO;
}

static enum vg_err
render(struct rctx *c, int fi, int fd, struct report_result *res)
{
	static cookie_io_functions_t io = { .write = hout_write };
	struct hout h = { .fd = fd };
	unsigned char d[32];
	enum vg_err e;

	if ((h.md = EVP_MD_CTX_new()) == NULL || !EVP_DigestInit_ex(h.md, EVP_sha256(), NULL) ||
	    (c->f = fopencookie(&h, "w", io)) == NULL) {
		EVP_MD_CTX_free(h.md);
		return vg_error_set(c->err, VG_NOMEM, "out of memory");
	}
	setvbuf(c->f, NULL, _IOFBF, 1 << 20);
	e = formats[fi].render(c);
	if (fclose(c->f) != 0 && e == VG_OK)
		e = VG_IO;
	c->f = NULL;
	if (h.error && (e == VG_OK || e == VG_IO))
		e = VG_IO;
	if (e == VG_IO) {
		EVP_MD_CTX_free(h.md);
		return report_write_failed(c->out_name, h.error ? h.error : EIO, c->err);
	}
	EVP_DigestFinal_ex(h.md, d, NULL);
	EVP_MD_CTX_free(h.md);
	vg_hex(d, 32, res->sha256);
	res->bytes = h.bytes;
	return e;
}

/* Read everything the report needs in one snapshot of the store, and write it to fd. */
static enum vg_err
render_scan(struct rctx *c, int fi, int fd, struct report_result *res)
{
	json_t *scan = NULL;
	enum vg_err e;

	e = store_begin_read(c->st, c->err);
	if (e != VG_OK)
		return e;
	e = store_scan_get_json(c->st, c->scan_id, &scan, c->err);
	if (e == VG_OK)
		e = build_head(c, scan);
	if (e == VG_OK && formats[fi].needs_inventory && !c->inventory)
		e = vg_error_set(c->err, VG_NOTFOUND,
				 "scan %lld has no inventory: a %s report lists every file, so "
				 "scan with --inventory", (long long)c->scan_id, formats[fi].name);
	if (e == VG_OK)
		e = render(c, fi, fd, res);
	json_decref(scan);
	json_decref(c->head);
	c->head = NULL;
	store_rollback(c->st); /* a read transaction: nothing to keep */
	return e;
}

enum vg_err
report_write(struct store *st, int64_t scan_id, const char *format, const char *out,
	     struct report_result *res, struct vg_error *err)
{
	int fi = format_index(format), fd, to_stdout = strcmp(out, "-") == 0;
	struct rctx c = { .st = st, .scan_id = scan_id, .format = format, .err = err,
			  .out_name = to_stdout ? "standard output" : out };
	struct vg_out o = { .fd = -1, .dfd = -1 };
	char *abs = NULL;
	enum vg_err e;

	memset(res, 0, sizeof(*res));
	if (fi < 0) {
		char *esc = vg_text_escape(format, strlen(format));

		vg_error_set(err, VG_USAGE, "unknown report format '%s' (formats: %s)",
			     esc ? esc : "?", report_format_names());
		free(esc);
		return VG_USAGE;
	}
	if (to_stdout) {
		/* '-': the one way to write a report to a pipe, a terminal or a device */
		fflush(stdout);
		fd = STDOUT_FILENO;
	} else {
		/* a new private file, renamed into place: never written through a link, into a
		 * folder reached through another user's link, or onto a FIFO or a device */
		e = report_out_create(out, "report", REPORT_MODE, &o, err);
		if (e != VG_OK)
			return e;
		fd = o.fd;
	}
	e = render_scan(&c, fi, fd, res);
	if (!to_stdout) {
		if (e != VG_OK)
			vg_out_abort(&o);
		else if (vg_out_commit(&o, 0, err) != VG_OK)
			e = report_out_failed(out, "report", err);
	}
	if (e != VG_OK)
		return e;
	/* recorded with the scan, so the copy handed over can be checked later */
	if (!to_stdout && vg_path_absolute(out, &abs, err) != VG_OK)
		return err->code;
	e = store_begin(st, err);
	if (e == VG_OK)
		e = store_report_add(st, scan_id, format, to_stdout ? "-" : abs, res->sha256,
				     res->bytes, err);
	if (e == VG_OK)
		e = store_commit(st, err);
	if (e != VG_OK)
		store_rollback(st);
	free(abs);
	return e;
}

enum vg_err
report_out_check(const char *out, struct vg_error *err)
{
	struct stat st;
	const char *base;
	char *abs = NULL;
	int dfd;

	if (strcmp(out, "-") == 0)
		return VG_OK;
	vg_error_init(err);
	if (vg_path_absolute(out, &abs, err) != VG_OK)
		return report_out_failed(out, "report", err);
	dfd = vg_reach_parent(abs, VG_REACH_TRUSTED_LINKS, "write", &base, err);
	if (dfd < 0) {
		free(abs);
		return report_out_failed(out, "report", err);
	}
	if (faccessat(dfd, ".", W_OK | X_OK, 0) != 0)
		vg_error_set(err, VG_IO, "cannot write '%s': %s", abs, strerror(errno));
	else if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode) &&
		 !S_ISLNK(st.st_mode))
		vg_error_set(err, VG_INVAL, "cannot write '%s': it is %s, not a file (name a new "
			     "file, or '-' for standard output)", abs, vg_file_kind(st.st_mode));
	else if (fstatat(dfd, base, &st, 0) == 0 && !S_ISREG(st.st_mode))
		vg_error_set(err, VG_INVAL, "cannot write '%s': it is a symbolic link to %s, not to "
			     "a file (name a new file, or '-' for standard output)", abs,
			     vg_file_kind(st.st_mode));
	close(dfd);
	free(abs);
	return err->msg[0] ? report_out_failed(out, "report", err) : VG_OK;
}
