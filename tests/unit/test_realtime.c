/*
 * tests/unit/test_realtime.c — the parts of real-time protection that need no fanotify: the
 * verdict cache (what invalidates an entry), the top tables (order, bounded memory), when a
 * scheduled scan is due, and the control socket (a request answered, a second listener
 * refused, "not running" when nobody listens).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcache),
		cmocka_unit_test(test_vcache_bounded),
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_sched_due),
		cmocka_unit_test(test_control),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
