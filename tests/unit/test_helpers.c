/*
 * tests/unit/test_helpers.c — core's small shared helpers: the string vector (core/strv.h),
 * timespec to nanoseconds and back (core/nstime.h), pid liveness (core/pid.h), the
 * pseudo-file-system table (core/pseudofs.h), path-within (core/path.h); and the store's
 * "forget unfinished" under an allocation failure.
 *
 * This binary replaces realloc: while fail_realloc is set, the next realloc fails (once).
 * Every other call goes to the next definition (glibc's, or the sanitizer's).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/nstime.h"
#include "core/path.h"
#include "core/pid.h"
#include "core/pseudofs.h"
#include "core/store.h"
#include "core/strv.h"
#include "tests/unit/util.h"

/* ---- a realloc that can be told to fail once ---- */

static volatile int fail_realloc;

extern void *__libc_realloc(void *p, size_t n);

void *
realloc(void *p, size_t n)
{
	static void *(*next)(void *, size_t);

	if (fail_realloc) {
		fail_realloc = 0;
		errno = ENOMEM;
		return NULL;
	}
	if (next == NULL)
		next = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	return next ? next(p, n) : __libc_realloc(p, n);
}

/* ---- core/strv.h ---- */

static void
test_strv_push_release(void **state)
{
	struct vg_strv v = VG_STRV_INIT;
	char big[100];
	int i;

	(void)state;
	assert_int_equal(vg_strv_push(&v, "one", NULL), VG_OK);
	assert_int_equal(vg_strv_push_n(&v, "two-and-more", 3, NULL), VG_OK);
	assert_int_equal(vg_strv_push_take(&v, strdup("three"), NULL), VG_OK);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.v[0], "one");
	assert_string_equal(v.v[1], "two");
	assert_string_equal(v.v[2], "three");
	assert_null(v.v[3]);
	for (i = 0; i < 50; i++) { /* growth keeps order and the NULL after the last */
		snprintf(big, sizeof(big), "s%d", i);
		assert_int_equal(vg_strv_push(&v, big, NULL), VG_OK);
	}
	assert_int_equal(v.n, 53);
	assert_string_equal(v.v[52], "s49");
	assert_null(v.v[53]);
	assert_int_equal(vg_strv_push_n(&v, "\xff\xfe", 2, NULL), VG_OK); /* any bytes but NUL */
	assert_memory_equal(v.v[53], "\xff\xfe", 3);
	vg_strv_release(&v);
	assert_int_equal(v.n, 0);
	assert_null(v.v);
	assert_int_equal(vg_strv_push(&v, "again", NULL), VG_OK); /* usable after release */
	vg_strv_release(&v);
	vg_strv_release(NULL);
}

static void
test_strv_out_of_memory(void **state)
{
	struct vg_strv v = VG_STRV_INIT;
	struct vg_error e;

	(void)state;
	vg_error_init(&e);
	fail_realloc = 1;
	assert_int_equal(vg_strv_push(&v, "x", &e), VG_NOMEM);
	assert_int_equal(e.code, VG_NOMEM);
	assert_int_equal(v.n, 0);
	fail_realloc = 1; /* take frees what it was given when it cannot keep it */
	assert_int_equal(vg_strv_push_take(&v, strdup("y"), NULL), VG_NOMEM);
	assert_int_equal(v.n, 0);
	assert_int_equal(vg_strv_push_take(&v, NULL, NULL), VG_NOMEM);
	vg_strv_release(&v);
}

/* ---- core/nstime.h ---- */

static void
test_nstime(void **state)
{
	struct timespec t = { 1700000000, 123456789 }, b;

	(void)state;
	assert_int_equal(vg_timespec_ns(t), INT64_C(1700000000123456789));
	b = vg_ns_timespec(INT64_C(1700000000123456789));
	assert_int_equal(b.tv_sec, 1700000000);
	assert_int_equal(b.tv_nsec, 123456789);
	/* before 1970: tv_nsec stays in [0, 1e9), as utimensat requires */
	b = vg_ns_timespec(INT64_C(-1500000000));
	assert_int_equal(b.tv_sec, -2);
	assert_int_equal(b.tv_nsec, 500000000);
	assert_int_equal(vg_timespec_ns(b), INT64_C(-1500000000));
	b = vg_ns_timespec(-VG_NS_PER_S);
	assert_int_equal(b.tv_sec, -1);
	assert_int_equal(b.tv_nsec, 0);
	b = vg_ns_timespec(0);
	assert_int_equal(b.tv_sec, 0);
	assert_int_equal(b.tv_nsec, 0);
}

/* ---- core/pid.h ---- */

static void
test_pid_is_vigil(void **state)
{
	pid_t child;
	int status;
	char text[32];

	(void)state;
	assert_false(vg_pid_is_vigil(getpid())); /* ourselves: a leftover record */
	assert_false(vg_pid_is_vigil(0));
	assert_false(vg_pid_is_vigil(-1));
	assert_false(vg_pid_is_vigil(1)); /* alive, but another program */
	assert_false(vg_pid_text_is_vigil(NULL));
	assert_false(vg_pid_text_is_vigil(""));
	assert_false(vg_pid_text_is_vigil("12abc"));
	assert_false(vg_pid_text_is_vigil("-5"));
	/* a child runs the same executable: alive while it lives, not once reaped */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_true(vg_pid_is_vigil(child));
	snprintf(text, sizeof(text), "%d", (int)child);
	assert_true(vg_pid_text_is_vigil(text));
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_false(vg_pid_is_vigil(child));
	assert_false(vg_pid_text_is_vigil(text));
}

/* ---- core/pseudofs.h ---- */

static void
test_pseudo_fs(void **state)
{
	static const char *const names[] = {
		"proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "debugfs", "tracefs",
		"securityfs", "pstore", "bpf", "configfs", "fusectl", "hugetlbfs", "autofs",
		"binfmt_misc", "nsfs", "efivarfs", "rpc_pipefs", "selinuxfs", "devtmpfs",
	};
	size_t i;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_true(vg_pseudo_fs_name(names[i]));
	assert_false(vg_pseudo_fs_name("ext4"));
	assert_false(vg_pseudo_fs_name("tmpfs"));
	assert_false(vg_pseudo_fs_name("xfs"));
	assert_false(vg_pseudo_fs_name(NULL));
	/* the magic numbers the walker was missing, and two that must never count */
	assert_true(vg_pseudo_fs_magic(0x0187));	/* autofs */
	assert_true(vg_pseudo_fs_magic(0x67596969));	/* rpc_pipefs */
	assert_true(vg_pseudo_fs_magic(0x9fa0));	/* proc */
	assert_true(vg_pseudo_fs_magic((long)0xf97cff8cUL)); /* selinuxfs (high bit set) */
	assert_false(vg_pseudo_fs_magic(0x01021994));	/* tmpfs */
	assert_false(vg_pseudo_fs_magic(0xEF53));	/* ext4 */
	assert_false(vg_pseudo_fs_magic(0));
	/* open folders: /proc is one, /tmp is not; /dev is when it is a devtmpfs mount */
	fd = open("/proc", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_true(vg_pseudo_fs_fd(fd));
	close(fd);
	fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_false(vg_pseudo_fs_fd(fd));
	close(fd);
}

/* ---- core/path.h: path-within ---- */

static void
test_path_within(void **state)
{
	(void)state;
	assert_true(vg_path_within("/a/b/c", "/a/b"));
	assert_true(vg_path_within("/a/b", "/a/b"));
	assert_false(vg_path_within("/a/bc", "/a/b"));
	assert_false(vg_path_within("/a", "/a/b"));
	assert_true(vg_path_within("/x", "/"));
	assert_true(vg_path_within("/", "/"));
	assert_false(vg_path_within("x", "/"));
}

/* ---- core/store_scan.c: forget unfinished, out of memory ---- */

struct forget_probe {
	int rows;
};

/* Nothing finished; the allocation right after the first row fails. */
static int
none_finished(const char *path, size_t len, void *ctx)
{
	struct forget_probe *p = ctx;

	(void)path;
	(void)len;
	if (p->rows++ == 0)
		fail_realloc = 1;
	return 0;
}

static void
test_forget_unfinished_out_of_memory(void **state)
{
	char dir[128];
	struct store *st = NULL;
	struct store_scan_new n = { .type = "custom", .threads = 1, .sig_version = 1,
				    .rules_digest = "d" };
	struct store_threat t = { .name = "EICAR_Test_File", .ns = "vigil", .sha256 = "00",
				  .sha1 = "11", .md5 = "22", .size = 68, .type = "text/plain",
				  .action = "reported", .member = "", .member_len = 0 };
	struct forget_probe probe = { 0 };
	struct vg_error e;
	int64_t id = 0, forgotten = -1, count = -1;

	(void)state;
	vg_error_init(&e);
	assert_non_null(vt_mkdtemp(dir, sizeof(dir), "vigil-helpers"));
	assert_int_equal(store_open(dir, &st, &e), VG_OK);
	assert_int_equal(store_scan_begin(st, &n, &id, &e), VG_OK);
	t.scan_id = id;
	t.path = "/w/a";
	t.path_len = 4;
	assert_int_equal(store_threat_add(st, &t, &e), VG_OK);
	t.path = "/w/b";
	assert_int_equal(store_threat_add(st, &t, &e), VG_OK);

	/* before: the failed allocation ended the list and the call said success */
	assert_int_equal(store_scan_forget_unfinished(st, id, none_finished, &probe, &forgotten,
						      &e),
			 VG_NOMEM);
	assert_int_equal(e.code, VG_NOMEM);
	assert_true(strstr(vg_error_msg(&e), "out of memory") != NULL);
	assert_int_equal(forgotten, 0);
	fail_realloc = 0;
	/* nothing was deleted: the findings are all still there */
	assert_int_equal(store_threat_count(st, id, &count, NULL), VG_OK);
	assert_int_equal(count, 2);

	/* and with memory it forgets both */
	vg_error_init(&e);
	probe.rows = 1;
	assert_int_equal(store_scan_forget_unfinished(st, id, none_finished, &probe, &forgotten,
						      &e),
			 VG_OK);
	assert_int_equal(forgotten, 2);
	assert_int_equal(store_threat_count(st, id, &count, NULL), VG_OK);
	assert_int_equal(count, 0);
	store_close(st);
	vt_rm_rf(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strv_push_release),
		cmocka_unit_test(test_strv_out_of_memory),
		cmocka_unit_test(test_nstime),
		cmocka_unit_test(test_pid_is_vigil),
		cmocka_unit_test(test_pseudo_fs),
		cmocka_unit_test(test_path_within),
		cmocka_unit_test(test_forget_unfinished_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
