/*
 * tests/unit/test_realtime.c — the parts of real-time protection that need no fanotify: the
 * verdict cache (what invalidates an entry), the top tables (order, bounded memory), when a
 * scheduled scans is due, and the control socket (a request answered, a second listener
 * refused, "not running" when nobody listens); live signature reload (a scan in flight
 * finishes on the old set, the new one detects, a set that fails to load leaves the old one
 * in force) and the counting of refused opens (one row per file and action).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "realtime/rtp_int.h"
#include "tests/unit/util.h"

static struct stat
file_stat(dev_t dev, ino_t ino, off_t size, time_t mtime, time_t ctime)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_dev = dev;
	st.st_ino = ino;
	st.st_size = size;
	st.st_mtim.tv_sec = mtime;
	st.st_ctim.tv_sec = ctime;
	return st;
}

static void
test_vcache(void **state)
{
	struct vcache *vc = vcache_create(100);
	struct stat a = file_stat(1, 42, 10, 1000, 1000), b;

	(void)state;
	assert_non_null(vc);
	assert_int_equal(vcache_get(vc, &a, 7), VC_UNKNOWN);
	vcache_put(vc, &a, 7, VC_CLEAN);
	assert_int_equal(vcache_get(vc, &a, 7), VC_CLEAN);
	/* another sig_version, size, mtime or ctime: not the file that was scanned */
	assert_int_equal(vcache_get(vc, &a, 8), VC_UNKNOWN);
	b = a;
	b.st_size = 11;
	assert_int_equal(vcache_get(vc, &b, 7), VC_UNKNOWN);
	b = a;
	b.st_mtim.tv_nsec = 1;
	assert_int_equal(vcache_get(vc, &b, 7), VC_UNKNOWN);
	b = a;
	b.st_ctim.tv_sec = 1001;
	assert_int_equal(vcache_get(vc, &b, 7), VC_UNKNOWN);
	b = a;
	b.st_dev = 2;
	assert_int_equal(vcache_get(vc, &b, 7), VC_UNKNOWN);
	/* a write forgets it; an infected verdict is remembered too */
	vcache_forget(vc, 1, 42);
	assert_int_equal(vcache_get(vc, &a, 7), VC_UNKNOWN);
	vcache_put(vc, &a, 7, VC_INFECTED);
	assert_int_equal(vcache_get(vc, &a, 7), VC_INFECTED);
	vcache_destroy(vc);
}

/* An infected verdict keeps its rule's name (for the log line of a refusal). */
static void
test_vcache_named(void **state)
{
	struct vcache *vc = vcache_create(100);
	struct stat a = file_stat(1, 7, 10, 1, 1), b = file_stat(1, 8, 10, 1, 1);
	const char *name = "x";

	(void)state;
	vcache_put_named(vc, &a, 3, VC_INFECTED, "Rule_A");
	vcache_put_named(vc, &b, 3, VC_CLEAN, "ignored");
	assert_int_equal(vcache_get_named(vc, &a, 3, &name), VC_INFECTED);
	assert_string_equal(name, "Rule_A");
	assert_int_equal(vcache_get_named(vc, &b, 3, &name), VC_CLEAN);
	assert_null(name);
	/* under another sig_version (a reload) the verdict does not answer */
	assert_int_equal(vcache_get_named(vc, &a, 4, &name), VC_UNKNOWN);
	assert_null(name);
	vcache_destroy(vc);
}

/* Many more files than slots: memory stays bounded and recent entries mostly survive. */
static void
test_vcache_bounded(void **state)
{
	struct vcache *vc = vcache_create(1024);
	int i, hits = 0;

	(void)state;
	for (i = 0; i < 100000; i++) {
		struct stat st = file_stat(1, (ino_t)i, 1, 5, 5);

		vcache_put(vc, &st, 1, VC_CLEAN);
	}
	for (i = 100000 - 100; i < 100000; i++) {
		struct stat st = file_stat(1, (ino_t)i, 1, 5, 5);

		hits += vcache_get(vc, &st, 1) == VC_CLEAN;
	}
	assert_true(hits >= 80);
	vcache_destroy(vc);
}

static void
test_top(void **state)
{
	struct top *t = top_create(3);
	json_t *j;

	(void)state;
	top_add(t, "/usr/bin/a", 100);
	top_add(t, "/usr/bin/b", 500);
	top_add(t, "/usr/bin/a", 100);
	top_add(t, "/usr/bin/c", 50);
	/* full: the one with the least time makes room */
	top_add(t, "/usr/bin/d", 1000);
	j = top_json(t, 10);
	assert_int_equal(json_array_size(j), 3);
	assert_string_equal(vt_jstr(json_array_get(j, 0), "key"), "/usr/bin/d");
	assert_string_equal(vt_jstr(json_array_get(j, 1), "key"), "/usr/bin/b");
	assert_string_equal(vt_jstr(json_array_get(j, 2), "key"), "/usr/bin/a");
	assert_int_equal(vt_jint(json_array_get(j, 2), "scans"), 2);
	json_decref(j);
	j = top_json(t, 1);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	top_destroy(t);
}

static time_t
at(int y, int mon, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi, .tm_isdst = -1 };

	return mktime(&tm);
}

static void
test_sched_due(void **state)
{
	json_t *daily = json_pack("{s:s, s:s}", "type", "quick", "time", "03:30");
	json_t *weekly = json_pack("{s:s, s:s, s:s}", "type", "full", "time", "22:00", "day",
				   "sunday");
	json_t *bad = json_pack("{s:s, s:s}", "type", "quick", "time", "3h");

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	/* 2026-11-28 is a Saturday */
	assert_int_equal(sched_last_due(daily, at(2026, 11, 28, 10, 0)), at(2026, 11, 28, 3, 30));
	assert_int_equal(sched_last_due(daily, at(2026, 11, 28, 3, 30)), at(2026, 11, 28, 3, 30));
	assert_int_equal(sched_last_due(daily, at(2026, 11, 28, 3, 29)), at(2026, 11, 27, 3, 30));
	assert_int_equal(sched_last_due(weekly, at(2026, 11, 28, 23, 0)), at(2026, 11, 22, 22, 0));
	assert_int_equal(sched_last_due(weekly, at(2026, 11, 29, 22, 1)), at(2026, 11, 29, 22, 0));
	assert_int_equal(sched_last_due(bad, at(2026, 11, 28, 10, 0)), -1);
	json_decref(daily);
	json_decref(weekly);
	json_decref(bad);
}

static json_t *
echo_answer(const char *req, void *ctx)
{
	(*(int *)ctx)++;
	return json_pack("{s:s}", "asked", req);
}

static void
test_control(void **state)
{
	char dir[64];
	struct control *c = NULL, *c2 = NULL;
	struct vg_error err;
	json_t *reply = NULL;
	struct stat st;
	char sock[128];
	int calls = 0;

	(void)state;
	vg_error_init(&err);
	assert_non_null(vt_mkdtemp(dir, sizeof(dir), "vigil-rtp"));
	assert_int_equal(rtp_query(dir, "status", &reply, &err), VG_NOTFOUND);
	assert_int_equal(control_start(dir, echo_answer, &calls, &c, &err), VG_OK);
	snprintf(sock, sizeof(sock), "%s/rtp.sock", dir);
	assert_int_equal(stat(sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	vg_error_init(&err);
	assert_int_equal(rtp_query(dir, "top file 3", &reply, &err), VG_OK);
	assert_string_equal(vt_jstr(reply, "asked"), "top file 3");
	json_decref(reply);
	assert_int_equal(calls, 1);
	/* one real-time protection per state folder */
	assert_int_equal(control_start(dir, echo_answer, &calls, &c2, &err), VG_EXISTS);
	control_stop(c);
	assert_int_not_equal(stat(sock, &st), 0);
	vt_rm_rf(dir);
}

/* ---- live reload and refusals: a real store, rules and scanner session ---- */

/* The one rules-*.yarc of the state folder, as state/name in buf. */
static int
yarc_path(const char *state, char *buf, size_t n)
{
	DIR *d = opendir(state);
	struct dirent *e;
	int found = 0;

	while (d && (e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "rules-", 6) == 0 && strstr(e->d_name, ".yarc")) {
			snprintf(buf, n, "%s/%s", state, e->d_name);
			found++;
		}
	if (d)
		closedir(d);
	return found == 1 ? 0 : -1;
}

static void
scan_file(struct scanner_worker *w, const char *path, struct scanner_verdict *v,
	  const char *action)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	scanner_scan_fd(w, fd, path, v);
	scanner_record(w, action);
	close(fd);
}

/* The threat rows of path with action: how many, and the count of the first. */
static int
rows_of(json_t *threats, const char *path, const char *action, json_int_t *count)
{
	size_t i;
	json_t *t;
	int n = 0;

	json_array_foreach(threats, i, t) {
		if (strcmp(vt_jstr(t, "path"), path) != 0 || strcmp(vt_jstr(t, "action"), action) != 0)
			continue;
		if (n++ == 0)
			*count = vt_jint(t, "count");
		assert_non_null(json_string_value(json_object_get(t, "last_at")));
	}
	return n;
}

static void
test_reload_and_refusals(void **state)
{
	char base[128], st_dir[192], dir[192], rule[256], m[256], r[256], yarc[512];
	struct store *st = NULL, *st2 = NULL;
	struct sigdb *db = NULL;
	struct scanner_options o;
	struct scanner_session *root = NULL;
	struct scanner_totals totals;
	struct scanner_verdict v;
	struct ruleset *g0, *g1;
	struct rules *h = NULL;
	json_t *types = json_object(), *status, *threats = NULL, *doc = NULL;
	json_int_t count = 0;
	struct vg_error err;
	int64_t scan_id, v0;
	static const char text[] = "rule Vigil_Unit_Reload { strings: $m = /VIGIL-UNIT-[R]ELOAD/ "
				   "condition: $m }\n";

	(void)state;
	vg_error_init(&err);
	assert_int_equal(sigdb_global_init(&err), VG_OK);
	assert_non_null(vt_mkdtemp(base, sizeof(base), "vigil-rtp-reload"));
	snprintf(st_dir, sizeof(st_dir), "%s/state", base);
	snprintf(dir, sizeof(dir), "%s/files", base);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(m, sizeof(m), "%s/m.txt", dir);
	snprintf(r, sizeof(r), "%s/r.txt", dir);
	assert_int_equal(vt_write_file(dir, "m.txt", "VIGIL-UNIT-RELOAD\n", 18), 0);
	assert_int_equal(vt_write_file(dir, "r.txt", "VIGIL-UNIT-RELOAD\n", 18), 0);
	/* the rule matches the marker with a regular expression: the file is not a match */
	assert_int_equal(vt_write_file(base, "unit.yar", text, strlen(text)), 0);
	snprintf(rule, sizeof(rule), "%s/unit.yar", base);

	assert_int_equal(store_open(st_dir, &st, &err), VG_OK);
	assert_int_equal(store_open(st_dir, &st2, &err), VG_OK);
	assert_int_equal(sigdb_open(st, st_dir, &db, &err), VG_OK);
	v0 = sigdb_version(db);
	assert_int_equal(store_scan_begin(st, &(struct store_scan_new){ .type = "realtime",
								  .threads = 1 },
					  &scan_id, &err),
			 VG_OK);
	scanner_options_init(&o);
	o.threads = 1;
	o.merge_repeats = 1;
	/* the writer owns st from here; the reload and the import use st2 */
	assert_int_equal(scanner_session_open(&o, db, st, scan_id, NULL, &root, &err), VG_OK);
	assert_int_equal(rules_create(root, db, 1, types, &h, &err), VG_OK);
	sigdb_release(db); /* the set holds its own reference */
	assert_int_equal(rules_version(h), v0);

	/* a scan in flight on the first set */
	g0 = rules_acquire(h);
	scan_file(g0->sw[0], m, &v, NULL);
	assert_int_equal(v.threats, 0);

	/* a new rule: reloaded and swapped in while g0 is held */
	if (sigdb_import(st2, st_dir, rule, NULL, &err) != VG_OK)
		fail_msg("import: %s", vg_error_msg(&err));
	assert_int_equal(rules_reload(h, st2, st_dir, "unit test", &err), VG_OK);
	assert_true(rules_version(h) > v0);
	g1 = rules_acquire(h);
	assert_ptr_not_equal(g0, g1);
	assert_int_equal(g1->sig_version, rules_version(h));
	/* the scan in flight finishes on the old set; the new set detects */
	scan_file(g0->sw[0], m, &v, NULL);
	assert_int_equal(v.threats, 0);
	rules_release(h, g0); /* its last reference: destroyed here */
	scan_file(g1->sw[0], m, &v, "blocked");
	assert_int_equal(v.threats, 1);
	assert_string_equal(v.name, "Vigil_Unit_Reload");

	/* refusals counted on the blocked row; the same detection by a scan again too */
	scanner_session_note_refusal(root, m, "R", "blocked");
	scanner_session_note_refusal(root, m, "R", "blocked");
	scan_file(g1->sw[0], m, &v, "blocked");
	/* a file detected on write ("reported"), then refused: a blocked row of its own */
	scan_file(g1->sw[0], r, &v, NULL);
	scanner_session_note_refusal(root, r, NULL, "blocked");
	rules_release(h, g1);

	/* a set that fails to load (the compiled file is a folder): the old one stays */
	assert_int_equal(yarc_path(st_dir, yarc, sizeof(yarc)), 0);
	assert_int_equal(unlink(yarc), 0);
	assert_int_equal(mkdir(yarc, 0700), 0);
	vg_error_init(&err);
	assert_int_not_equal(rules_reload(h, st2, st_dir, "unit test", &err), VG_OK);
	status = rules_status(h);
	assert_int_equal(vt_jint(status, "sig_version"), rules_version(h));
	assert_int_equal(vt_jint(status, "sig_reloads"), 1);
	assert_int_equal(vt_jint(status, "sig_reload_failures"), 1);
	assert_non_null(strstr(vt_jstr(json_object_get(status, "sig_reload_error"), "message"),
				"folder"));
	json_decref(status);
	g1 = rules_acquire(h);
	scan_file(g1->sw[0], m, &v, NULL);
	assert_int_equal(v.threats, 1); /* still the set with the rule */
	rules_release(h, g1);
	assert_int_equal(rmdir(yarc), 0);

	rules_destroy(h);
	vg_error_init(&err);
	assert_int_equal(scanner_session_close(root, &totals, &err), VG_OK);
	/* the derived set's counts reached the session's totals */
	assert_int_equal(totals.files_scanned, 6);
	assert_int_equal(totals.threats, 4);

	assert_int_equal(store_threat_list_json(st2, scan_id, 0, &doc, &err), VG_OK);
	threats = json_object_get(doc, "threats");
	if (threats == NULL)
		threats = doc;
	assert_int_equal(rows_of(threats, m, "blocked", &count), 1);
	assert_int_equal(count, 4);
	assert_int_equal(rows_of(threats, m, "reported", &count), 1); /* the last scan */
	assert_int_equal(rows_of(threats, r, "reported", &count), 1);
	assert_int_equal(count, 1);
	assert_int_equal(rows_of(threats, r, "blocked", &count), 1);
	assert_int_equal(count, 1);
	json_decref(doc);
	json_decref(types);
	store_close(st);
	store_close(st2);
	vt_rm_rf(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcache),
		cmocka_unit_test(test_vcache_bounded),
		cmocka_unit_test(test_vcache_named),
		cmocka_unit_test(test_reload_and_refusals),
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_sched_due),
		cmocka_unit_test(test_control),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
