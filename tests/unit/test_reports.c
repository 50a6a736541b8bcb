/*
 * tests/unit/test_reports.c — reports/report.h: the escaping of each format for hostile
 * names (CSV cells, HTML text, body file names), permissions text, ISO times, and whole
 * reports written from a real SQLite store: their content, byte-identical re-rendering, the
 * digest recorded with the scan, and the errors that must leave no file behind; where a
 * report or a diagnostic zip may be written: 0600, never onto a FIFO or a device or through
 * a link to one, never into a folder reached through a link another user could have planted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/path.h"
#include "core/store.h"
#include "reports/report.h"
#include "reports/report_int.h"
#include "tests/unit/util.h"

/* ---- the escaping of each format ---- */

typedef void (*escape_fn)(FILE *f, const char *s);

static char *
escaped(escape_fn fn, const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, s);
	fclose(f);
	return buf;
}

static void
test_csv_cell(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain.txt", "plain.txt" },
		{ "", "" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\nlines", "two\\x0alines" },
		{ "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0" },
		{ "+1", "'+1" },
		{ "-2", "'-2" },
		{ "@SUM(A1)", "'@SUM(A1)" },
		{ "\tx", "'\\x09x" },
		{ "'quoted", "''quoted" },
		{ "=a,\"b\"\nc", "\"'=a,\"\"b\"\"\\x0ac\"" },
		/* a terminal replays nothing: C0, DEL and C1 controls are visible */
		{ "\x1b[31mred", "\\x1b[31mred" },
		{ "\xc2\x9b" "1m\x7f", "\\xc2\\x9b1m\\x7f" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "a=b", "a=b" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = escaped(report_csv_cell, cases[i].in);

		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

static void
test_html_text(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "<img src=x onerror=alert(1)>.exe", "&lt;img src=x onerror=alert(1)&gt;.exe" },
		{ "a&b \"c\" 'd'", "a&amp;b &quot;c&quot; &#39;d&#39;" },
		{ "line\nbreak", "line\\nbreak" },
		{ "\x1b[31mred", "\\x1b[31mred" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = escaped(report_html_text, cases[i].in);

		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

static void
test_bodyfile_name(void **state)
{
	static const char raw[] = "/t/a|b\\c\nd\te\xff";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	report_bodyfile_name(f, raw, sizeof(raw) - 1);
	fclose(f);
	assert_string_equal(buf, "/t/a\\|b\\\\c\\nd\\te\\xff");
	/* no separator and no line break is left unescaped */
	assert_null(strchr(buf, '\n'));
	free(buf);
}

static void
test_mode_text(void **state)
{
	char m[11];

	(void)state;
	report_mode_text(0100644, m);
	assert_string_equal(m, "-rw-r--r--");
	report_mode_text(0104755, m);
	assert_string_equal(m, "-rwsr-xr-x");
	report_mode_text(040777 | 01000, m);
	assert_string_equal(m, "drwxrwxrwt");
	report_mode_text(0102644, m);
	assert_string_equal(m, "-rw-r-Sr--");
}

static void
test_time_iso(void **state)
{
	char t[48];

	(void)state;
	vg_time_iso(0, t, sizeof(t));
	assert_string_equal(t, "1970-01-01T00:00:00.000000000Z");
	vg_time_iso(1795883972039705629LL, t, sizeof(t));
	assert_string_equal(t, "2026-11-28T16:39:32.039705629Z");
	vg_time_iso(-1, t, sizeof(t));
	assert_string_equal(t, "1969-12-31T23:59:59.999999999Z");
}

/* ---- whole reports from a real store ---- */

struct fx {
	char dir[64];
	char out[128];
	struct store *st;
	int64_t scan_id;
};

static const char hostile[] = "/evidence/=cmd,\"x\"\ny<img src=x>.exe";

static int
fx_setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct vg_error err;
	json_t *roots = json_pack("[s]", "/evidence");
	static const char chain[] = "outer.zip\0inner/eicar.com";

	vg_error_init(&err);
	assert_non_null(vt_mkdtemp(fx->dir, sizeof(fx->dir), "vigil-reports"));
	snprintf(fx->out, sizeof(fx->out), "%s/out", fx->dir);
	assert_int_equal(mkdir(fx->out, 0755), 0);
	assert_int_equal(store_open(fx->dir, &fx->st, &err), VG_OK);
	assert_int_equal(store_scan_begin(fx->st,
					  &(struct store_scan_new){
						  .type = "custom", .threads = 2, .sig_version = 3,
						  .rules_digest = "ab", .roots = roots,
						  .case_id = "CASE-7", .examiner = "Ann",
						  .hostname = "host1", .kernel = "Linux 6",
						  .machine_guid = "g", .app_version = "0.1.0",
						  .inventory = 1 },
					  &fx->scan_id, &err),
			 VG_OK);
	json_decref(roots);
	assert_int_equal(store_threat_add(fx->st,
					  &(struct store_threat){
						  .scan_id = fx->scan_id, .path = hostile,
						  .path_len = sizeof(hostile) - 1, .name = "Evil_Rule",
						  .ns = "default",
						  .meta_json = "{\"author\":\"<b>me</b>\","
							       "\"description\":[\"first\",\"second\"]}",
						  .sha256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
						  .size = 68, .type = "text/plain", .action = "reported",
						  .have_mtime = 1, .mtime_ns = 1500000000123456789LL },
					  &err),
			 VG_OK);
	assert_int_equal(store_threat_add(fx->st,
					  &(struct store_threat){
						  .scan_id = fx->scan_id, .path = "/evidence/a.zip",
						  .path_len = 15, .member = chain,
						  .member_len = sizeof(chain), .name = "Evil_Rule",
						  .sha256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
						  .size = 68, .action = "reported" },
					  &err),
			 VG_OK);
	assert_int_equal(store_problem_add(fx->st, fx->scan_id, "/evidence/big", 13, NULL, 0,
					   "skipped", "larger than the limit", &err),
			 VG_OK);
	assert_int_equal(store_inventory_add(fx->st, fx->scan_id,
					     &(struct store_inv){
						     .path = hostile, .path_len = sizeof(hostile) - 1,
						     .size = 68, .mode = 0100644, .uid = 1000,
						     .gid = 100, .ino = 42, .nlink = 1,
						     .atime_ns = 1000000000, .mtime_ns = 2000000000,
						     .ctime_ns = 3999999999, .md5 = "44d88612fea8a8f36de82e1278abb02f" },
					     &err),
			 VG_OK);
	assert_int_equal(store_scan_finish(fx->st, fx->scan_id,
					   &(struct store_scan_totals){ .status = "completed",
									.files_scanned = 2,
									.threats = 2,
									.skipped = 1 },
					   &err),
			 VG_OK);
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *fx = *state;

	store_close(fx->st);
	vt_rm_rf(fx->dir);
	free(fx);
	return 0;
}

/* The names in fx->out: only what a report left there. */
static int
files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
test_json_report(void **state)
{
	struct fx *fx = *state;
	struct report_result r, again;
	struct vg_error err;
	char path[192], hex[65];
	json_t *doc, *d, *reports = NULL;
	json_error_t je;

	vg_error_init(&err);
	snprintf(path, sizeof(path), "%s/r.json", fx->out);
	assert_int_equal(report_write(fx->st, fx->scan_id, "json", path, &r, &err), VG_OK);
	doc = json_load_file(path, 0, &je);
	assert_non_null(doc);
	assert_int_equal(vt_jint(doc, "schema_version"), REPORT_SCHEMA_VERSION);
	assert_string_equal(vt_jstr(json_object_get(doc, "custody"), "case_id"), "CASE-7");
	assert_string_equal(vt_jstr(json_object_get(doc, "custody"), "examiner"), "Ann");
	assert_int_equal(vt_jint(json_object_get(doc, "totals"), "detections"), 2);
	assert_int_equal(json_array_size(json_object_get(doc, "detections")), 2);
	/* ordered by path ('=' sorts before 'a'); the archive's chain, outer to inner */
	d = json_array_get(json_object_get(doc, "detections"), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "member"), 1)),
			    "inner/eicar.com");
	d = json_array_get(json_object_get(doc, "detections"), 0);
	assert_string_equal(vt_jstr(d, "path"), hostile);
	assert_string_equal(vt_jstr(d, "author"), "<b>me</b>");
	assert_string_equal(vt_jstr(d, "description"), "first");
	assert_true(json_is_null(json_object_get(d, "reference")));
	assert_string_equal(vt_jstr(d, "mtime"), "2017-07-14T02:40:00.123456789Z");
	assert_int_equal(json_array_size(json_object_get(doc, "errors")), 1);
	assert_int_equal(json_array_size(json_object_get(doc, "inventory")), 1);
	json_decref(doc);
	/* the file on disk is what was hashed, and a second rendering is the same bytes */
	assert_int_equal(vg_sha256_file(path, hex, &err), VG_OK);
	assert_string_equal(hex, r.sha256);
	snprintf(path, sizeof(path), "%s/again.json", fx->out);
	assert_int_equal(report_write(fx->st, fx->scan_id, "json", path, &again, &err), VG_OK);
	assert_string_equal(again.sha256, r.sha256);
	assert_int_equal(again.bytes, r.bytes);
	/* both are recorded with the scan, with their digests */
	assert_int_equal(store_report_list_json(fx->st, fx->scan_id, &reports, &err), VG_OK);
	assert_int_equal(json_array_size(reports), 2);
	assert_string_equal(vt_jstr(json_array_get(reports, 0), "sha256"), r.sha256);
	json_decref(reports);
	assert_int_equal(store_report_find_json(fx->st, r.sha256, &reports, &err), VG_OK);
	assert_int_equal(json_array_size(reports), 2);
	json_decref(reports);
	assert_int_equal(files_in(fx->out), 2);
}

/* Every line of a jsonl report is one JSON object; 1 + detections + errors + files lines. */
static void
test_jsonl_report(void **state)
{
	struct fx *fx = *state;
	struct report_result r;
	struct vg_error err;
	char path[192], *line = NULL;
	size_t cap = 0, lines = 0;
	FILE *f;

	vg_error_init(&err);
	snprintf(path, sizeof(path), "%s/r.jsonl", fx->out);
	assert_int_equal(report_write(fx->st, fx->scan_id, "jsonl", path, &r, &err), VG_OK);
	f = fopen(path, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		json_t *o = json_loads(line, 0, NULL);

		assert_non_null(o);
		assert_int_equal(vt_jint(o, "scan_id"), fx->scan_id);
		if (lines == 0)
			assert_string_equal(vt_jstr(o, "record"), "scan");
		json_decref(o);
		lines++;
	}
	free(line);
	fclose(f);
	assert_int_equal(lines, 1 + 2 + 1 + 1);
}

static void
test_bodyfile_report(void **state)
{
	struct fx *fx = *state;
	struct report_result r;
	struct vg_error err;
	char path[192], buf[512];
	FILE *f;

	vg_error_init(&err);
	snprintf(path, sizeof(path), "%s/r.body", fx->out);
	assert_int_equal(report_write(fx->st, fx->scan_id, "bodyfile", path, &r, &err), VG_OK);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_string_equal(buf, "44d88612fea8a8f36de82e1278abb02f|/evidence/=cmd,\"x\"\\ny<img "
				 "src=x>.exe|42|r/rrw-r--r--|1000|100|68|1|2|3|0\n");
	assert_null(fgets(buf, sizeof(buf), f));
	fclose(f);
}

static void
test_errors_leave_nothing(void **state)
{
	struct fx *fx = *state;
	struct report_result r;
	struct vg_error err;
	char path[192];
	int64_t plain;

	snprintf(path, sizeof(path), "%s/r.json", fx->out);
	vg_error_init(&err);
	assert_int_equal(report_write(fx->st, fx->scan_id, "pdf", path, &r, &err), VG_USAGE);
	assert_non_null(strstr(err.msg, "pdf"));
	vg_error_init(&err);
	assert_int_equal(report_write(fx->st, 999, "json", path, &r, &err), VG_NOTFOUND);
	assert_non_null(strstr(err.msg, "999"));
	vg_error_init(&err);
	snprintf(path, sizeof(path), "%s/nowhere/r.json", fx->out);
	assert_int_equal(report_write(fx->st, fx->scan_id, "json", path, &r, &err), VG_IO);
	assert_non_null(strstr(err.msg, "nowhere/r.json"));
	/* a scan without an inventory has no body file */
	vg_error_init(&err);
	assert_int_equal(store_scan_begin(fx->st, &(struct store_scan_new){ .type = "quick" },
					  &plain, &err),
			 VG_OK);
	snprintf(path, sizeof(path), "%s/r.body", fx->out);
	assert_int_equal(report_write(fx->st, plain, "bodyfile", path, &r, &err), VG_NOTFOUND);
	assert_non_null(strstr(err.msg, "inventory"));
	assert_int_equal(files_in(fx->out), 0);
}

/* ---- where a report may be written (issue 24: root writing through another user's links) ---- */

/* An empty folder dir/name with mode (chmod'ed: the umask does not apply). */
static void
mkdir_mode(const char *dir, const char *name, mode_t mode, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
assert_file_is(const char *path, const char *content)
{
	char *data = NULL;
	size_t len = 0;
	struct vg_error err;

	vg_error_init(&err);
	assert_int_equal(vg_read_file(path, 1 << 20, &data, &len, &err), VG_OK);
	assert_int_equal(len, strlen(content));
	assert_memory_equal(data, content, len);
	free(data);
}

/* A report is private: 0600 whatever the umask, set before anything is written. */
static void
test_report_is_private(void **state)
{
	struct fx *fx = *state;
	struct report_result r;
	struct vg_error err;
	struct stat st;
	char path[192];
	mode_t old = umask(022);

	vg_error_init(&err);
	snprintf(path, sizeof(path), "%s/r.csv", fx->out);
	assert_int_equal(report_write(fx->st, fx->scan_id, "csv", path, &r, &err), VG_OK);
	umask(old);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
}

/*
 * A FIFO, or a link to a FIFO or a device, at the target: refused at once (VG_INVAL, the
 * reason named), never opened (a FIFO without a reader would block the report for ever:
 * alarm() ends the test instead), left as it was, nothing left beside it.
 */
static void
test_report_refuses_fifo_and_device(void **state)
{
	struct fx *fx = *state;
	struct report_result r;
	struct vg_error err;
	struct stat st;
	char fifo[192], lfifo[192], ldev[192];

	snprintf(fifo, sizeof(fifo), "%s/fifo", fx->out);
	snprintf(lfifo, sizeof(lfifo), "%s/to-fifo.json", fx->out);
	snprintf(ldev, sizeof(ldev), "%s/to-null.json", fx->out);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink(fifo, lfifo), 0);
	assert_int_equal(symlink("/dev/null", ldev), 0);
	alarm(20);
	vg_error_init(&err);
	assert_int_equal(report_write(fx->st, fx->scan_id, "json", fifo, &r, &err), VG_INVAL);
	assert_non_null(strstr(err.msg, "a FIFO"));
	assert_non_null(strstr(err.msg, "'-'"));
	vg_error_init(&err);
	assert_int_equal(report_write(fx->st, fx->scan_id, "json", lfifo, &r, &err), VG_INVAL);
	assert_non_null(strstr(err.msg, "to-fifo.json"));
	assert_non_null(strstr(err.msg, "symbolic link to a FIFO"));
	vg_error_init(&err);
	assert_int_equal(report_write(fx->st, fx->scan_id, "json", ldev, &r, &err), VG_INVAL);
	assert_non_null(strstr(err.msg, "symbolic link to a character device"));
	/* the check before a scan says the same, and creates nothing */
	vg_error_init(&err);
	assert_int_equal(report_out_check(lfifo, &err), VG_INVAL);
	vg_error_init(&err);
	assert_int_equal(report_out_check(fifo, &err), VG_INVAL);
	alarm(0);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(lstat(lfifo, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(ldev, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(files_in(fx->out), 3);
}

/* A link at the target that points to a file: the link is replaced, the file untouched. */
static void
test_report_replaces_a_link_to_a_file(void **state)
{
	struct fx *fx = *state;
	struct report_result r;
	struct vg_error err;
	struct stat st;
	char victim[192], link[192];

	assert_int_equal(vt_write_file(fx->dir, "victim", "precious\n", 9), 0);
	snprintf(victim, sizeof(victim), "%s/victim", fx->dir);
	snprintf(link, sizeof(link), "%s/r.json", fx->out);
	assert_int_equal(symlink(victim, link), 0);
	vg_error_init(&err);
	assert_int_equal(report_out_check(link, &err), VG_OK);
	assert_int_equal(report_write(fx->st, fx->scan_id, "json", link, &r, &err), VG_OK);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, r.bytes);
	assert_file_is(victim, "precious\n");
}

/*
 * The report's folder is reached through a link in a folder that others can write (as a
 * user's link in /tmp or in their home): not followed, so nothing is created or replaced in
 * the root-only folder it points to.
 */
static void
test_report_not_through_a_planted_folder_link(void **state)
{
	struct fx *fx = *state;
	struct report_result r;
	struct vg_error err;
	char pub[160], secret[160], link[192], path[224], kept[224];
	char zip[224], sha[65];
	struct report_diag_file files[1] = { { .name = "a.txt", .data = "a", .len = 1 } };

	mkdir_mode(fx->dir, "pub", 0777, pub, sizeof(pub));
	mkdir_mode(fx->dir, "secret", 0700, secret, sizeof(secret));
	assert_int_equal(vt_write_file(secret, "r.json", "root only\n", 10), 0);
	snprintf(kept, sizeof(kept), "%s/r.json", secret);
	assert_int_equal(chmod(kept, 0600), 0);
	snprintf(link, sizeof(link), "%s/d", pub);
	assert_int_equal(symlink(secret, link), 0);
	snprintf(path, sizeof(path), "%s/d/r.json", pub);
	vg_error_init(&err);
	assert_int_equal(report_write(fx->st, fx->scan_id, "json", path, &r, &err), VG_UNSAFE);
	assert_non_null(strstr(err.msg, "d/r.json"));
	assert_non_null(strstr(err.msg, "symbolic link"));
	vg_error_init(&err);
	assert_int_equal(report_out_check(path, &err), VG_UNSAFE);
	/* the diagnostic zip the same way */
	snprintf(zip, sizeof(zip), "%s/d/diag.zip", pub);
	vg_error_init(&err);
	assert_int_equal(report_diag_zip(zip, files, 1, sha, &err), VG_UNSAFE);
	assert_file_is(kept, "root only\n");
	assert_int_equal(files_in(secret), 1);
	assert_int_equal(files_in(pub), 1);
	/* a link that only root could have made (in a root-only folder) is followed */
	snprintf(path, sizeof(path), "%s/via", fx->dir);
	assert_int_equal(symlink(fx->out, path), 0);
	snprintf(path, sizeof(path), "%s/via/r.json", fx->dir);
	vg_error_init(&err);
	assert_int_equal(report_write(fx->st, fx->scan_id, "json", path, &r, &err), VG_OK);
	assert_int_equal(files_in(fx->out), 1);
}

/* The diagnostic zip: 0600 whatever the umask, its digest that of the bytes on disk. */
static void
test_diag_zip_private(void **state)
{
	struct fx *fx = *state;
	struct report_diag_file files[2] = { { .name = "a.txt", .data = "alpha", .len = 5 },
					     { .name = "b.json", .data = "{}", .len = 2 } };
	struct vg_error err;
	struct stat st;
	char zip[192], sha[65], hex[65], fifo[192];
	mode_t old = umask(022);

	vg_error_init(&err);
	snprintf(zip, sizeof(zip), "%s/d.zip", fx->out);
	assert_int_equal(report_diag_zip(zip, files, 2, sha, &err), VG_OK);
	umask(old);
	assert_int_equal(lstat(zip, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(vg_sha256_file(zip, hex, &err), VG_OK);
	assert_string_equal(hex, sha);
	/* not onto a FIFO either */
	snprintf(fifo, sizeof(fifo), "%s/f.zip", fx->out);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(20);
	vg_error_init(&err);
	assert_int_equal(report_diag_zip(fifo, files, 2, sha, &err), VG_INVAL);
	alarm(0);
	assert_non_null(strstr(err.msg, "FIFO"));
	assert_int_equal(files_in(fx->out), 2);
}

/* A renderer that fails to write says why in c->err (json.c once returned a bare VG_IO). */
static void
test_json_write_error_has_a_reason(void **state)
{
	struct vg_error e;
	struct rctx c = { .scan_id = 1, .format = "json", .out_name = "standard output",
			  .err = &e };
	int jsonl;

	(void)state;
	for (jsonl = 0; jsonl < 2; jsonl++) {
		vg_error_init(&e);
		c.f = fopen("/dev/full", "w");
		assert_non_null(c.f);
		setvbuf(c.f, NULL, _IONBF, 0); /* the first byte meets the full device */
		c.head = json_pack("{s:i}", "schema_version", 1);
		assert_int_equal(jsonl ? render_jsonl(&c) : render_json(&c), VG_IO);
		assert_int_equal(e.code, VG_IO);
		if (strstr(vg_error_msg(&e), "standard output") == NULL ||
		    strstr(vg_error_msg(&e), "No space left on device") == NULL)
			fail_msg("reason '%s'", vg_error_msg(&e));
		json_decref(c.head);
		fclose(c.f);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_cell),
		cmocka_unit_test(test_html_text),
		cmocka_unit_test(test_bodyfile_name),
		cmocka_unit_test(test_mode_text),
		cmocka_unit_test(test_time_iso),
		cmocka_unit_test_setup_teardown(test_json_report, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_jsonl_report, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bodyfile_report, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_errors_leave_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_report_is_private, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_report_refuses_fifo_and_device, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_report_replaces_a_link_to_a_file, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_report_not_through_a_planted_folder_link,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_diag_zip_private, fx_setup, fx_teardown),
		cmocka_unit_test(test_json_write_error_has_a_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
