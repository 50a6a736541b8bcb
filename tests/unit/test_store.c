/*
 * tests/unit/test_store.c — core/store.h against a real SQLite store in a fresh temporary
 * folder: creation and permissions, migrations, metadata, scans, threats with hostile
 * names, problems, exclusions, signature sources, unwritable folders and two handles on
 * one database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <grp.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/store.h"
#include "tests/unit/util.h"

/* ---- fixture: a temporary folder per test ---- */

struct fx {
	char base[64];		/* mkdtemp */
	char state[128];	/* base/state (not created) */
};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (vt_mkdtemp(f->base, sizeof(f->base), "vigil-store") == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->state, sizeof(f->state), "%s/state", f->base);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	vt_rm_rf(f->base);
	free(f);
	return 0;
}

static struct store *
open_ok(const char *dir)
{
	struct store *st = NULL;
	struct vg_error e;

	vg_error_init(&e);
	if (store_open(dir, &st, &e) != VG_OK)
		fail_msg("store_open '%s': %s", dir, vg_error_msg(&e));
	assert_non_null(st);
	return st;
}

static int64_t
new_scan(struct store *st, const char *type)
{
	struct store_scan_new n = { .type = type, .threads = 1, .sig_version = 1,
				    .rules_digest = "d" };
	struct vg_error e;
	int64_t id = 0;

	vg_error_init(&e);
	if (store_scan_begin(st, &n, &id, &e) != VG_OK)
		fail_msg("store_scan_begin: %s", vg_error_msg(&e));
	assert_true(id > 0);
	return id;
}

/* One integer from a SQL query on the db file, read with SQLite directly. */
static long long
sql_int(const char *state_dir, const char *sql)
{
	char path[256];
	sqlite3 *db;
	sqlite3_stmt *s;
	long long v = -1;

	snprintf(path, sizeof(path), "%s/vigil.db", state_dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* ---- opening ---- */

static void
test_open_creates_private_folder_and_db(void **state)
{
	struct fx *f = *state;
	char nested[192], db[256], wal[272];
	struct store *st;
	struct stat sb;
	struct vg_error e;
	enum vg_err rc;
	mode_t old;

	snprintf(nested, sizeof(nested), "%s/deeper/still", f->state);
	vg_error_init(&e);
	old = umask(0); /* the modes must not depend on the umask */
	rc = store_open(nested, &st, &e);
	umask(old);
	if (rc != VG_OK)
		fail_msg("store_open: %s", vg_error_msg(&e));
	assert_int_equal(stat(f->state, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(stat(nested, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0700);
	snprintf(db, sizeof(db), "%s/vigil.db", nested);
	assert_string_equal(store_path(st), db);
	assert_int_equal(stat(db, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* the write-ahead log holds the same data: it must be as private as the db */
	assert_int_equal(store_meta_set(st, "k", "v", NULL), VG_OK);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 0077, 0);
	store_close(st);
	assert_true(sql_int(nested, "PRAGMA user_version") >= 1);
}

static void
test_open_existing_folder_keeps_its_mode(void **state)
{
	struct fx *f = *state;
	struct store *st;
	struct stat sb;

	assert_int_equal(mkdir(f->state, 0750), 0);
	assert_int_equal(chmod(f->state, 0750), 0);
	st = open_ok(f->state);
	store_close(st);
	assert_int_equal(stat(f->state, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0750);
}

static void
test_reopen_keeps_data_and_schema(void **state)
{
	struct fx *f = *state;
	struct store *st;
	char *v = NULL;
	int64_t id;
	json_t *scans;
	long long tables, version;
	int i;

	st = open_ok(f->state);
	assert_int_equal(store_meta_set(st, "org_id", "acme", NULL), VG_OK);
	id = new_scan(st, "quick");
	assert_int_equal(store_exclusion_add(st, "path", "/srv/cache", NULL), VG_OK);
	store_close(st);
	tables = sql_int(f->state, "SELECT count(*) FROM sqlite_master");
	assert_true(tables >= 6);
	version = sql_int(f->state, "PRAGMA user_version");
	assert_true(version >= 1);

	/* opening again must not migrate again (that would fail on CREATE TABLE) nor lose rows */
	for (i = 0; i < 3; i++) {
		st = open_ok(f->state);
		assert_int_equal(store_meta_get(st, "org_id", &v, NULL), VG_OK);
		assert_non_null(v);
		assert_string_equal(v, "acme");
		free(v);
		assert_int_equal(store_scan_list_json(st, 10, &scans, NULL), VG_OK);
		assert_int_equal(json_array_size(scans), 1);
		assert_int_equal(vt_jint(json_array_get(scans, 0), "scan_id"), id);
		json_decref(scans);
		assert_int_equal(store_exclusion_add(st, "path", "/srv/cache", NULL), VG_EXISTS);
		store_close(st);
	}
	assert_int_equal(sql_int(f->state, "PRAGMA user_version"), version);
	assert_int_equal(sql_int(f->state, "SELECT count(*) FROM sqlite_master"), tables);
	assert_int_equal(sql_int(f->state, "SELECT count(*) FROM scans"), 1);
}

static void
test_open_refuses_newer_schema(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	struct vg_error e;
	char path[256];
	sqlite3 *db;

	st = open_ok(f->state);
	store_close(st);
	snprintf(path, sizeof(path), "%s/vigil.db", f->state);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = NULL;
	vg_error_init(&e);
	assert_int_equal(store_open(f->state, &st, &e), VG_STORE);
	assert_null(st);
	assert_non_null(strstr(e.msg, "99"));
	assert_non_null(strstr(e.msg, f->state));
}

static void
test_open_damaged_db_is_a_store_error(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	struct vg_error e;
	char path[256];
	FILE *fp;
	int i;

	assert_int_equal(mkdir(f->state, 0700), 0);
	snprintf(path, sizeof(path), "%s/vigil.db", f->state);
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (i = 0; i < 512; i++)
		fputs("this is not a database\n", fp);
	fclose(fp);
	vg_error_init(&e);
	assert_int_equal(store_open(f->state, &st, &e), VG_STORE);
	assert_null(st);
	assert_int_equal(e.code, VG_STORE);
	assert_non_null(strstr(e.msg, path));
}

/* ---- metadata ---- */

static void
test_meta_get_set(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->state);
	char *v = (char *)"sentinel";

	assert_int_equal(store_meta_get(st, "missing", &v, NULL), VG_OK);
	assert_null(v);
	assert_int_equal(store_meta_set(st, "sig_version", "1", NULL), VG_OK);
	assert_int_equal(store_meta_set(st, "sig_version", "2", NULL), VG_OK);
	assert_int_equal(store_meta_set(st, "other", "x y\nz", NULL), VG_OK);
	assert_int_equal(store_meta_get(st, "sig_version", &v, NULL), VG_OK);
	assert_string_equal(v, "2");
	free(v);
	assert_int_equal(store_meta_get(st, "other", &v, NULL), VG_OK);
	assert_string_equal(v, "x y\nz");
	free(v);
	store_close(st);
	assert_int_equal(sql_int(f->state, "SELECT count(*) FROM meta"), 2);
}

/* ---- scans ---- */

static void
test_scan_begin_finish_get_json(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->state);
	json_t *roots = json_pack("[s]", "/srv"), *opts = json_pack("{s:i}", "threads", 3);
	struct store_scan_new n = { .type = "custom", .threads = 3, .sig_version = 7,
				    .rules_digest = "abcdef", .roots = roots, .options = opts };
	struct store_scan_totals t = {
		.status = "completed", .duration_s = 1.5, .files_scanned = 10,
		.bytes_scanned = 1000, .objects_scanned = 12, .errors = 1, .skipped = 2,
		.threats = 3, .excluded = 4,
	};
	struct vg_error e;
	json_t *o, *list;
	int64_t id, id2;

	vg_error_init(&e);
	assert_int_equal(store_scan_begin(st, &n, &id, &e), VG_OK);
	assert_int_equal(store_scan_get_json(st, id, &o, &e), VG_OK);
	assert_int_equal(vt_jint(o, "scan_id"), id);
	assert_string_equal(vt_jstr(o, "type"), "custom");
	assert_string_equal(vt_jstr(o, "status"), "running");
	assert_non_null(vt_jstr(o, "started_at"));
	assert_true(json_is_null(json_object_get(o, "ended_at")));
	assert_int_equal(vt_jint(o, "files_scanned"), 0);
	assert_int_equal(vt_jint(o, "threads"), 3);
	json_decref(o);

	assert_int_equal(store_scan_finish(st, id, &t, &e), VG_OK);
	assert_int_equal(store_scan_get_json(st, id, &o, &e), VG_OK);
	assert_string_equal(vt_jstr(o, "status"), "completed");
	assert_non_null(vt_jstr(o, "ended_at"));
	assert_true(json_is_real(json_object_get(o, "duration_s")));
	assert_float_equal(json_real_value(json_object_get(o, "duration_s")), 1.5, 1e-9);
	assert_int_equal(vt_jint(o, "files_scanned"), 10);
	assert_int_equal(vt_jint(o, "bytes_scanned"), 1000);
	assert_int_equal(vt_jint(o, "objects_scanned"), 12);
	assert_int_equal(vt_jint(o, "errors"), 1);
	assert_int_equal(vt_jint(o, "skipped"), 2);
	assert_int_equal(vt_jint(o, "threats_found"), 3);
	assert_int_equal(vt_jint(o, "excluded"), 4);
	assert_int_equal(vt_jint(o, "sig_version"), 7);
	assert_string_equal(vt_jstr(o, "rules_digest"), "abcdef");
	/* JSON columns come back as JSON, not as text holding JSON */
	assert_true(json_equal(json_object_get(o, "roots"), roots));
	assert_true(json_equal(json_object_get(o, "options"), opts));
	assert_true(json_is_null(json_object_get(o, "command_line")));
	json_decref(o);

	id2 = new_scan(st, "quick");
	assert_true(id2 > id);
	assert_int_equal(store_scan_list_json(st, 1, &list, &e), VG_OK);
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(vt_jint(json_array_get(list, 0), "scan_id"), id2);
	json_decref(list);
	assert_int_equal(store_scan_list_json(st, 10, &list, &e), VG_OK);
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);

	o = NULL;
	assert_int_equal(store_scan_get_json(st, id2 + 100, &o, &e), VG_NOTFOUND);
	assert_null(o);
	assert_int_equal(e.code, VG_NOTFOUND);
	json_decref(roots);
	json_decref(opts);
	store_close(st);
}

/* ---- threats ---- */

static void
test_threat_hostile_path_and_member_chain(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->state);
	static const char path[] = "/tmp/ev\xffil\nname.zip";
	static const char member[] = "a.zip\0b.txt\0";
	unsigned char b64[64];
	struct store_threat t = {
		.path = path, .path_len = sizeof(path) - 1,
		.member = member, .member_len = sizeof(member) - 1, /* both NULs, not the literal's */
		.name = "EICAR_Test_File", .ns = "vigil", .meta_json = "{\"author\":\"vigil\"}",
		.sha256 = "00ff", .sha1 = "11aa", .md5 = "22bb", .size = 68, .type = "text/plain",
		.action = "reported",
	};
	json_t *list, *o, *m;
	char *dump;

	assert_int_equal(sizeof(member) - 1, 12);
	t.scan_id = new_scan(st, "custom");
	assert_int_equal(store_threat_add(st, &t, NULL), VG_OK);
	assert_int_equal(store_threat_list_json(st, t.scan_id, 0, &list, NULL), VG_OK);
	assert_int_equal(json_array_size(list), 1);
	o = json_array_get(list, 0);
	assert_int_equal(vt_jint(o, "scan_id"), t.scan_id);
	assert_string_equal(vt_jstr(o, "path"), "/tmp/ev\\xffil\nname.zip");
	EVP_EncodeBlock(b64, (const unsigned char *)path, (int)(sizeof(path) - 1));
	assert_string_equal(vt_jstr(o, "path_b64"), (const char *)b64);
	m = json_object_get(o, "member");
	assert_true(json_is_array(m));
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(json_string_value(json_array_get(m, 0)), "a.zip");
	assert_string_equal(json_string_value(json_array_get(m, 1)), "b.txt");
	assert_string_equal(vt_jstr(o, "name"), "EICAR_Test_File");
	assert_string_equal(vt_jstr(o, "namespace"), "vigil");
	assert_string_equal(vt_jstr(json_object_get(o, "meta"), "author"), "vigil");
	assert_string_equal(vt_jstr(o, "sha256"), "00ff");
	assert_string_equal(vt_jstr(o, "sha1"), "11aa");
	assert_string_equal(vt_jstr(o, "md5"), "22bb");
	assert_int_equal(vt_jint(o, "size"), 68);
	assert_string_equal(vt_jstr(o, "type"), "text/plain");
	assert_string_equal(vt_jstr(o, "action"), "reported");
	assert_non_null(vt_jstr(o, "detected_at"));
	/* the document prints as one line: the newline in the name is escaped */
	dump = json_dumps(list, JSON_COMPACT);
	assert_non_null(dump);
	assert_null(strchr(dump, '\n'));
	free(dump);
	json_decref(list);
	store_close(st);
}

static void
test_threat_list_by_scan_and_all(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->state);
	struct store_threat t = { .path = "/a", .path_len = 2, .name = "R", .sha256 = "x",
				  .size = 1, .action = "reported" };
	struct vg_error e;
	int64_t s1, s2;
	json_t *l;

	s1 = new_scan(st, "quick");
	s2 = new_scan(st, "full");
	t.scan_id = s1;
	assert_int_equal(store_threat_add(st, &t, NULL), VG_OK);
	t.scan_id = s2;
	t.path = "/b";
	assert_int_equal(store_threat_add(st, &t, NULL), VG_OK);
	t.path = "/c";
	assert_int_equal(store_threat_add(st, &t, NULL), VG_OK);

	assert_int_equal(store_threat_list_json(st, s1, 0, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(vt_jstr(json_array_get(l, 0), "path"), "/a");
	assert_null(json_object_get(json_array_get(l, 0), "path_b64"));
	assert_int_equal(json_array_size(json_object_get(json_array_get(l, 0), "member")), 0);
	assert_true(json_is_null(json_object_get(json_array_get(l, 0), "meta")));
	assert_true(json_is_null(json_object_get(json_array_get(l, 0), "md5")));
	json_decref(l);
	assert_int_equal(store_threat_list_json(st, s2, 0, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 2);
	json_decref(l);
	assert_int_equal(store_threat_list_json(st, 0, 0, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 3);
	json_decref(l);
	assert_int_equal(store_threat_list_json(st, s2 + 1, 0, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);

	/* a threat must belong to a scan (foreign keys are on) */
	t.scan_id = s2 + 1000;
	vg_error_init(&e);
	assert_int_equal(store_threat_add(st, &t, &e), VG_STORE);
	assert_non_null(strstr(e.msg, store_path(st)));
	store_close(st);
}

/*
 * A member name that is not UTF-8 must stay distinguishable from one that spells out the
 * escape: jsonx.h promises the raw bytes (base64) next to every escaped name, as "path"
 * gets "path_b64".
 */
static void
test_threat_member_invalid_utf8_is_unambiguous(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->state);
	static const char raw[] = "a.zip\0\xff.exe\0";
	static const char spelt[] = "a.zip\0\\xff.exe\0";
	struct store_threat t = { .path = "/same", .path_len = 5, .name = "R", .sha256 = "x",
				  .size = 1, .action = "reported" };
	json_t *l, *a, *b;
	char *same;

	t.scan_id = new_scan(st, "custom");
	t.member = raw;
	t.member_len = sizeof(raw) - 1;
	assert_int_equal(store_threat_add(st, &t, NULL), VG_OK);
	t.member = spelt;
	t.member_len = sizeof(spelt) - 1;
	assert_int_equal(store_threat_add(st, &t, NULL), VG_OK);
	assert_int_equal(store_threat_list_json(st, t.scan_id, 0, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 2);
	a = json_deep_copy(json_array_get(l, 0));
	b = json_deep_copy(json_array_get(l, 1));
	json_object_del(a, "id");
	json_object_del(b, "id");
	json_object_del(a, "detected_at");
	json_object_del(b, "detected_at");
	same = json_equal(a, b) ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	json_decref(b);
	json_decref(l);
	store_close(st);
	if (same) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", same);
		free(same);
		fail_msg("two different member chains give the same JSON: %s", msg);
	}
}

static void
test_member_json(void **state)
{
	json_t *o = json_object(), *a;

	(void)state;
	store_set_member_json(o, "x\0y\0z\0", 6);
	a = json_object_get(o, "member");
	assert_int_equal(json_array_size(a), 3);
	assert_string_equal(json_string_value(json_array_get(a, 2)), "z");
	assert_null(json_object_get(o, "member_b64"));
	store_set_member_json(o, NULL, 0);
	assert_int_equal(json_array_size(json_object_get(o, "member")), 0);
	/* a name that is not UTF-8: every name's exact bytes in member_b64 */
	store_set_member_json(o, "a\0\xff\0", 4);
	a = json_object_get(o, "member_b64");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 0)), "YQ==");
	assert_string_equal(json_string_value(json_array_get(a, 1)), "/w==");
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "member"), 1)),
			    "\\xff");
	json_decref(o);
}

/* ---- problems ---- */

static void
test_problems_add_list_limit(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->state);
	int64_t s1 = new_scan(st, "quick"), s2 = new_scan(st, "quick");
	json_t *l, *o;

	assert_int_equal(store_problem_add(st, s1, "/c", 2, NULL, 0, "error", "cannot open", NULL),
			 VG_OK);
	assert_int_equal(store_problem_add(st, s1, "/a", 2, "in.zip\0", 7, "limit", "bomb", NULL),
			 VG_OK);
	assert_int_equal(store_problem_add(st, s1, "/b", 2, NULL, 0, "skipped", "too big", NULL),
			 VG_OK);
	assert_int_equal(store_problem_add(st, s2, "/z", 2, NULL, 0, "error", "gone", NULL), VG_OK);

	assert_int_equal(store_problem_list_json(st, s1, 2, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 2);
	o = json_array_get(l, 0);
	assert_string_equal(vt_jstr(o, "path"), "/a");
	assert_string_equal(vt_jstr(o, "kind"), "limit");
	assert_string_equal(vt_jstr(o, "reason"), "bomb");
	assert_int_equal(json_array_size(json_object_get(o, "member")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(o, "member"), 0)),
			    "in.zip");
	assert_string_equal(vt_jstr(json_array_get(l, 1), "path"), "/b");
	json_decref(l);
	assert_int_equal(store_problem_list_json(st, s1, 100, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 3);
	assert_string_equal(vt_jstr(json_array_get(l, 2), "kind"), "error");
	json_decref(l);
	assert_int_equal(store_problem_list_json(st, s2, 100, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(vt_jstr(json_array_get(l, 0), "reason"), "gone");
	json_decref(l);
	store_close(st);
}

/* ---- exclusions ---- */

static void
test_exclusions_add_remove_list(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->state);
	struct vg_error e;
	json_t *l, *o;

	assert_int_equal(store_exclusion_add(st, "path", "/srv/cache", NULL), VG_OK);
	assert_int_equal(store_exclusion_add(st, "ext", "iso", NULL), VG_OK);
	assert_int_equal(store_exclusion_add(st, "name", "*.tmp", NULL), VG_OK);
	/* the same value of another kind is another exclusion */
	assert_int_equal(store_exclusion_add(st, "name", "iso", NULL), VG_OK);
	assert_int_equal(store_exclusion_add(st, "path", "/bad\xfe", NULL), VG_OK);
	vg_error_init(&e);
	assert_int_equal(store_exclusion_add(st, "ext", "iso", &e), VG_EXISTS);
	assert_int_equal(e.code, VG_EXISTS);
	assert_non_null(strstr(e.msg, "iso"));

	assert_int_equal(store_exclusion_list_json(st, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 5);
	o = json_array_get(l, 0);
	assert_true(vt_jint(o, "id") > 0);
	assert_string_equal(vt_jstr(o, "kind"), "path");
	assert_string_equal(vt_jstr(o, "value"), "/srv/cache");
	assert_non_null(vt_jstr(o, "added_at"));
	assert_string_equal(vt_jstr(json_array_get(l, 2), "value"), "*.tmp");
	o = json_array_get(l, 4);
	assert_string_equal(vt_jstr(o, "value"), "/bad\\xfe");
	assert_string_equal(vt_jstr(o, "value_b64"), "L2JhZP4=");
	json_decref(l);

	assert_int_equal(store_exclusion_remove(st, "ext", "iso", NULL), VG_OK);
	vg_error_init(&e);
	assert_int_equal(store_exclusion_remove(st, "ext", "iso", &e), VG_NOTFOUND);
	assert_int_equal(e.code, VG_NOTFOUND);
	vg_error_init(&e);
	assert_int_equal(store_exclusion_remove(st, "path", "/never/added", &e), VG_NOTFOUND);
	assert_int_equal(store_exclusion_list_json(st, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 4);
	assert_string_equal(vt_jstr(json_array_get(l, 1), "value"), "*.tmp");
	assert_string_equal(vt_jstr(json_array_get(l, 2), "kind"), "name");
	assert_string_equal(vt_jstr(json_array_get(l, 2), "value"), "iso");
	json_decref(l);
	store_close(st);
}

/* ---- signature sources ---- */

struct seen {
	int n, stop_after;
	char names[4][32];
	size_t lens[4];
	unsigned char first_bytes[4][8];
};

static int
collect(const char *name, const char *kind, const void *content, size_t len, void *ctx)
{
	struct seen *s = ctx;

	if (strcmp(kind, "yara") != 0)
		fail_msg("kind '%s'", kind);
	if (s->n < 4) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
		s->lens[s->n] = len;
		memcpy(s->first_bytes[s->n], content, len < 8 ? len : 8);
	}
	s->n++;
	return s->stop_after && s->n >= s->stop_after;
}

static void
test_sig_sources(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->state);
	static const char a1[] = "rule a { condition: true }";
	static const char a2[] = "rule a { condition: false }\n";
	static const char b[] = "bin\0ary\0"; /* a BLOB: NULs inside are kept */
	struct seen s = { 0 };
	struct vg_error e;
	json_t *l, *o;

	assert_int_equal(store_sig_put(st, "a.yar", "yara", a1, strlen(a1), 1, "h1", NULL), VG_OK);
	assert_int_equal(store_sig_put(st, "b.yar", "yara", b, sizeof(b) - 1, 0, "h2", NULL), VG_OK);
	assert_int_equal(store_sig_foreach(st, collect, &s, NULL), VG_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.names[0], "a.yar");
	assert_int_equal(s.lens[0], strlen(a1));
	assert_string_equal(s.names[1], "b.yar");
	assert_int_equal(s.lens[1], sizeof(b) - 1);
	assert_memory_equal(s.first_bytes[1], b, 8);

	/* stopping early */
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	assert_int_equal(store_sig_foreach(st, collect, &s, NULL), VG_OK);
	assert_int_equal(s.n, 1);

	/* putting a name again replaces it in place */
	assert_int_equal(store_sig_put(st, "a.yar", "yara", a2, strlen(a2), 1, "h3", NULL), VG_OK);
	assert_int_equal(store_sig_list_json(st, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 2);
	o = json_array_get(l, 0);
	assert_string_equal(vt_jstr(o, "name"), "a.yar");
	assert_string_equal(vt_jstr(o, "kind"), "yara");
	assert_int_equal(vt_jint(o, "rules"), 1);
	assert_string_equal(vt_jstr(o, "sha256"), "h3");
	assert_int_equal(vt_jint(o, "bytes"), strlen(a2));
	assert_non_null(vt_jstr(o, "imported_at"));
	assert_int_equal(vt_jint(json_array_get(l, 1), "bytes"), sizeof(b) - 1);
	json_decref(l);

	assert_int_equal(store_sig_remove(st, "a.yar", NULL), VG_OK);
	vg_error_init(&e);
	assert_int_equal(store_sig_remove(st, "a.yar", &e), VG_NOTFOUND);
	assert_non_null(strstr(e.msg, "a.yar"));
	assert_int_equal(store_sig_list_json(st, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(vt_jstr(json_array_get(l, 0), "name"), "b.yar");
	json_decref(l);
	store_close(st);
}

/* ---- folders that cannot hold a store ---- */

static void
test_open_under_a_regular_file_fails(void **state)
{
	struct fx *f = *state;
	char file[128], dir[192];
	struct store *st = NULL;
	struct vg_error e;
	enum vg_err rc;
	int fd;

	snprintf(file, sizeof(file), "%s/file", f->base);
	snprintf(dir, sizeof(dir), "%s/state", file);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	vg_error_init(&e);
	rc = store_open(dir, &st, &e);
	/* ENOTDIR is neither a permission nor a database problem; VG_IO is fair too */
	if (rc != VG_PERM && rc != VG_STORE && rc != VG_IO)
		fail_msg("store_open gave %d (%s)", rc, vg_error_msg(&e));
	assert_null(st);
	assert_int_equal(e.code, rc);
	assert_non_null(strstr(e.msg, dir));
}

static void
test_open_read_only_mount_fails(void **state)
{
	struct fx *f = *state;
	char ro[128], sub[192];
	struct store *st = NULL;
	struct vg_error e;
	enum vg_err rc, rc_sub;

	snprintf(ro, sizeof(ro), "%s/ro", f->base);
	snprintf(sub, sizeof(sub), "%s/state", ro);
	assert_int_equal(mkdir(ro, 0700), 0);
	if (mount("vigil-test", ro, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=64k") != 0)
		skip(); /* no CAP_SYS_ADMIN: the unprivileged-user test covers VG_PERM */
	vg_error_init(&e);
	rc = store_open(ro, &st, &e);
	if (rc == VG_OK)
		store_close(st);
	vg_error_init(&e);
	rc_sub = store_open(sub, &st, &e);
	if (rc_sub == VG_OK)
		store_close(st);
	umount2(ro, MNT_DETACH);
	assert_int_equal(rc, VG_PERM);
	assert_int_equal(rc_sub, VG_PERM);
	assert_non_null(strstr(e.msg, sub));
}

/*
 * As an unprivileged user (a child that drops root), a folder it may not write. The child
 * reports: 0 all right, 1..n which check failed.
 */
static int
unprivileged_checks(const char *locked, const char *below)
{
	struct store *st = NULL;
	struct vg_error e;

	vg_error_init(&e);
	if (store_open(locked, &st, &e) != VG_PERM || st != NULL)
		return 1;
	if (strstr(e.msg, locked) == NULL)
		return 2;
	vg_error_init(&e);
	if (store_open(below, &st, &e) != VG_PERM || st != NULL)
		return 3;
	if (strstr(e.msg, below) == NULL)
		return 4;
	/* the code returned must not depend on whether the caller asked for the reason */
	if (store_open(below, &st, NULL) != VG_PERM)
		return 5;
	if (store_open(locked, &st, NULL) != VG_PERM)
		return 6;
	return 0;
}

static void
test_open_unwritable_folder_as_unprivileged_user(void **state)
{
	struct fx *f = *state;
	char locked[128], below[192];
	int status;
	pid_t pid;

	snprintf(locked, sizeof(locked), "%s/locked", f->base);
	snprintf(below, sizeof(below), "%s/state", locked);
	assert_int_equal(mkdir(locked, 0755), 0);
	assert_int_equal(chmod(locked, 0755), 0);
	assert_int_equal(chmod(f->base, 0755), 0);
	if (geteuid() != 0) {
		/* not root: the folder is ours, so make it read-only for us */
		assert_int_equal(chmod(locked, 0555), 0);
		status = unprivileged_checks(locked, below);
		chmod(locked, 0755);
		assert_int_equal(status, 0);
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
			_exit(100);
		_exit(unprivileged_checks(locked, below));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 100)
		skip();
	if (WEXITSTATUS(status) != 0)
		fail_msg("unprivileged check %d failed", WEXITSTATUS(status));
}

/* ---- two handles on one database ---- */

struct writer_arg {
	const char *dir;
	enum vg_err rc;
	double waited;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
second_writer(void *p)
{
	struct writer_arg *a = p;
	struct store *st = NULL;
	double t0;

	if (store_open(a->dir, &st, NULL) != VG_OK) {
		a->rc = VG_STORE;
		return NULL;
	}
	t0 = now_s();
	a->rc = store_exclusion_add(st, "name", "from-thread", NULL);
	a->waited = now_s() - t0;
	store_close(st);
	return NULL;
}

static void
test_two_handles_write_in_turn(void **state)
{
	struct fx *f = *state;
	struct store *a = open_ok(f->state), *b = open_ok(f->state);
	struct writer_arg wa = { .dir = f->state, .rc = VG_INVAL };
	struct vg_error e;
	struct timespec pause = { 0, 300 * 1000 * 1000 };
	pthread_t tid;
	int64_t ia, ib;
	json_t *l;
	char path[256], mode[16] = "";
	sqlite3 *db;
	sqlite3_stmt *s;

	snprintf(path, sizeof(path), "%s/vigil.db", f->state);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_string_equal(mode, "wal");

	vg_error_init(&e);
	ia = new_scan(a, "quick");
	ib = new_scan(b, "full");
	assert_true(ia != ib);
	assert_int_equal(store_exclusion_add(a, "path", "/from-a", &e), VG_OK);
	assert_int_equal(store_exclusion_add(b, "path", "/from-b", &e), VG_OK);
	assert_int_equal(store_begin(a, &e), VG_OK);
	assert_int_equal(store_meta_set(a, "writer", "a", &e), VG_OK);
	assert_int_equal(store_commit(a, &e), VG_OK);
	assert_int_equal(store_begin(b, &e), VG_OK);
	assert_int_equal(store_meta_set(b, "writer", "b", &e), VG_OK);
	assert_int_equal(store_commit(b, &e), VG_OK);

	/* a reader is not blocked by a writer's open transaction (WAL) */
	assert_int_equal(store_begin(a, &e), VG_OK);
	assert_int_equal(store_exclusion_add(a, "ext", "inside-txn", &e), VG_OK);
	assert_int_equal(store_exclusion_list_json(b, &l, &e), VG_OK);
	assert_int_equal(json_array_size(l), 2);
	json_decref(l);
	/* a second writer waits for the first (busy timeout) instead of failing "locked" */
	assert_int_equal(pthread_create(&tid, NULL, second_writer, &wa), 0);
	nanosleep(&pause, NULL);
	assert_int_equal(store_commit(a, &e), VG_OK);
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_int_equal(wa.rc, VG_OK);
	assert_true(wa.waited > 0.1);

	assert_int_equal(store_exclusion_list_json(a, &l, &e), VG_OK);
	assert_int_equal(json_array_size(l), 4);
	json_decref(l);
	assert_int_equal(store_scan_list_json(b, 10, &l, &e), VG_OK);
	assert_int_equal(json_array_size(l), 2);
	json_decref(l);
	store_close(a);
	store_close(b);
}

/* ---- the fleet's rows (core/store_fleet.c) ---- */

struct rows {
	json_t *all;
};

static int
collect_row(json_t *row, void *ctx)
{
	struct rows *r = ctx;

	json_array_append(r->all, row);
	return 0;
}

static json_t *
fleet_rows(struct store *st, enum store_fleet_kind kind, int64_t lo, int64_t hi)
{
	struct rows r = { json_array() };

	assert_int_equal(store_fleet_foreach(st, kind, lo, hi, collect_row, &r, NULL), VG_OK);
	return r.all;
}

static int64_t
fleet_hi(struct store *st)
{
	int64_t hi = 0;

	assert_int_equal(store_fleet_hi(st, &hi, NULL), VG_OK);
	return hi;
}

/* Every insert and every update gives the row a new revision; the push id stays. */
static void
test_fleet_revisions_follow_changes(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->state);
	struct store_threat t = { .path = "/a", .path_len = 2, .name = "R", .sha256 = "x",
				  .size = 1, .action = "reported" };
	json_t *l, *again, *scans;
	int64_t scan, hi1, fid;

	scan = new_scan(st, "custom");
	t.scan_id = scan;
	assert_int_equal(store_threat_add(st, &t, NULL), VG_OK);
	hi1 = fleet_hi(st);
	l = fleet_rows(st, STORE_FLEET_THREAT, 0, hi1);
	assert_int_equal(json_array_size(l), 1);
	fid = json_integer_value(json_object_get(json_array_get(l, 0), "fid"));
	assert_true(fid > 0);
	scans = fleet_rows(st, STORE_FLEET_SCAN, 0, hi1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(l, 0), "scan_fid")),
			 json_integer_value(json_object_get(json_array_get(scans, 0), "fid")));
	json_decref(scans);
	assert_string_equal(vt_jstr(json_array_get(l, 0), "action"), "reported");
	json_decref(l);
	/* nothing above the watermark, until the threat changes */
	again = fleet_rows(st, STORE_FLEET_THREAT, hi1, fleet_hi(st));
	assert_int_equal(json_array_size(again), 0);
	json_decref(again);
	assert_int_equal(store_threat_set_action(st, scan, "/a", "quarantined", NULL), VG_OK);
	again = fleet_rows(st, STORE_FLEET_THREAT, hi1, fleet_hi(st));
	assert_int_equal(json_array_size(again), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(again, 0), "fid")), fid);
	assert_true(json_integer_value(json_object_get(json_array_get(again, 0), "rev")) > hi1);
	assert_string_equal(vt_jstr(json_array_get(again, 0), "action"), "quarantined");
	json_decref(again);
	store_close(st);
}

/* SQLite gives the id of a deleted newest row again; the push id is never given twice. */
static void
test_fleet_push_id_never_reused(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->state);
	char path[256], *msg = NULL;
	sqlite3 *db;
	int64_t id1, id2;
	long long fid1, fid2;

	id1 = new_scan(st, "quick");
	fid1 = sql_int(f->state, "SELECT fid FROM scans ORDER BY id DESC LIMIT 1");
	snprintf(path, sizeof(path), "%s/vigil.db", f->state);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM scans", NULL, NULL, &msg), SQLITE_OK);
	sqlite3_free(msg);
	sqlite3_close(db);
	id2 = new_scan(st, "quick");
	fid2 = sql_int(f->state, "SELECT fid FROM scans ORDER BY id DESC LIMIT 1");
	assert_int_equal(id1, id2);
	assert_true(fid2 > fid1);
	store_close(st);
}

static int
none_finished(const char *path, size_t len, void *ctx)
{
	(void)path;
	(void)len;
	(void)ctx;
	return 0;
}

/* A resumed scan forgets the findings of files it scans again: the fleet copy is told. */
static void
test_fleet_forgotten_findings_are_gone_rows(void **state)
{
	struct fx *f = *state;
	struct store *st = open_ok(f->state);
	struct store_threat t = { .path = "/a", .path_len = 2, .name = "R", .sha256 = "x",
				  .size = 1, .action = "reported" };
	int64_t scan, hi, forgotten = 0, fid;
	json_t *l, *gone;

	scan = new_scan(st, "custom");
	t.scan_id = scan;
	assert_int_equal(store_threat_add(st, &t, NULL), VG_OK);
	hi = fleet_hi(st);
	l = fleet_rows(st, STORE_FLEET_THREAT, 0, hi);
	fid = json_integer_value(json_object_get(json_array_get(l, 0), "fid"));
	json_decref(l);
	assert_int_equal(store_scan_forget_unfinished(st, scan, none_finished, NULL, &forgotten,
						      NULL), VG_OK);
	assert_int_equal(forgotten, 1);
	gone = fleet_rows(st, STORE_FLEET_GONE, hi, fleet_hi(st));
	assert_int_equal(json_array_size(gone), 1);
	assert_string_equal(vt_jstr(json_array_get(gone, 0), "kind"), "threat");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(gone, 0), "fid")), fid);
	json_decref(gone);
	store_close(st);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_creates_private_folder_and_db),
		T(test_open_existing_folder_keeps_its_mode),
		T(test_reopen_keeps_data_and_schema),
		T(test_open_refuses_newer_schema),
		T(test_open_damaged_db_is_a_store_error),
		T(test_meta_get_set),
		T(test_scan_begin_finish_get_json),
		T(test_threat_hostile_path_and_member_chain),
		T(test_threat_list_by_scan_and_all),
		T(test_threat_member_invalid_utf8_is_unambiguous),
		cmocka_unit_test(test_member_json),
		T(test_problems_add_list_limit),
		T(test_exclusions_add_remove_list),
		T(test_sig_sources),
		T(test_open_under_a_regular_file_fails),
		T(test_open_read_only_mount_fails),
		T(test_open_unwritable_folder_as_unprivileged_user),
		T(test_two_handles_write_in_turn),
		T(test_fleet_revisions_follow_changes),
		T(test_fleet_push_id_never_reused),
		T(test_fleet_forgotten_findings_are_gone_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
