/*
 * tests/unit/test_atomic.c — the atomic file writer, vg_write_file_atomic (core/path.c) over
 * vg_out (core/reach.c): the file appears whole or not at all, with its mode from the start;
 * an existing file is replaced (a reader of the old one keeps the old bytes); a write that
 * fails half-way leaves the old file and no temporary; a FIFO at the target is refused
 * without blocking. (tests/unit/test_reach.c covers vg_out's links, devices and noreplace.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/path.h"
#include "core/reach.h"
#include "tests/unit/util.h"

struct fx {
	char dir[64];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || vt_mkdtemp(f->dir, sizeof(f->dir), "vigil-atomic") == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	vt_rm_rf(f->dir);
	free(f);
	return 0;
}

/* The bytes of path (at most size - 1), NUL-terminated; their count, or -1. */
static ssize_t
slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* How many entries dir holds besides . and .. */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* A new file: the content whole, the mode asked for (umask aside), nothing else left. */
static void
test_new_file_whole_with_mode(void **state)
{
	struct fx *f = *state;
	char path[128], buf[64];
	struct vg_error e;
	struct stat sb;
	mode_t old = umask(0);

	snprintf(path, sizeof(path), "%s/new.json", f->dir);
	vg_error_init(&e);
	assert_int_equal(vg_write_file_atomic(path, "{\"a\": 1}\n", 9, 0640, &e), VG_OK);
	umask(old);
	assert_int_equal(slurp(path, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "{\"a\": 1}\n");
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0640);
	assert_int_equal(entries(f->dir), 1);
}

/* An existing file is replaced by a new inode: one that had it open still reads the old
 * bytes, the name gives the new ones with the new mode. */
static void
test_existing_replaced(void **state)
{
	struct fx *f = *state;
	char path[128], buf[64];
	struct vg_error e;
	struct stat before, after;
	mode_t old = umask(0);
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/conf.json", f->dir);
	assert_int_equal(vt_write_file(f->dir, "conf.json", "old content", 11), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(stat(path, &before), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	vg_error_init(&e);
	assert_int_equal(vg_write_file_atomic(path, "new", 3, 0600, &e), VG_OK);
	umask(old);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	assert_int_equal(n, 11);
	buf[n] = '\0';
	assert_string_equal(buf, "old content");
	assert_int_equal(slurp(path, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "new");
	assert_int_equal(stat(path, &after), 0);
	assert_true(after.st_ino != before.st_ino);
	assert_int_equal(after.st_mode & 07777, 0600);
	assert_int_equal(entries(f->dir), 1);
}

/* While vg_out is being written, the target still holds the old bytes whole; the temporary
 * already has its final mode. An abort leaves the old file and no temporary. */
static void
test_whole_or_nothing_while_writing(void **state)
{
	struct fx *f = *state;
	char path[128], tmp[256], buf[64];
	struct vg_out o;
	struct vg_error e;
	struct stat sb;
	mode_t old = umask(0);

	snprintf(path, sizeof(path), "%s/r.json", f->dir);
	assert_int_equal(vt_write_file(f->dir, "r.json", "previous", 8), 0);
	vg_error_init(&e);
	assert_int_equal(vg_out_create(path, 0600, &o, &e), VG_OK);
	umask(old);
	snprintf(tmp, sizeof(tmp), "%s/%s", f->dir, o.tmp);
	assert_int_equal(lstat(tmp, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600); /* mode before any byte */
	assert_int_equal(sb.st_size, 0);
	assert_int_equal(write(o.fd, "half", 4), 4);
	assert_int_equal(slurp(path, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "previous");
	vg_out_abort(&o);
	assert_int_equal(slurp(path, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "previous");
	assert_int_equal(entries(f->dir), 1);
	vg_out_abort(&o); /* a second abort is harmless */

	/* committed: the new bytes, all of them */
	vg_error_init(&e);
	assert_int_equal(vg_out_create(path, 0600, &o, &e), VG_OK);
	assert_int_equal(write(o.fd, "complete", 8), 8);
	assert_int_equal(vg_out_commit(&o, 0, &e), VG_OK);
	assert_int_equal(slurp(path, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "complete");
	assert_int_equal(entries(f->dir), 1);
}

/* A write that fails half-way (the file size limit) reports VG_IO naming the file; the old
 * file stays as it was and no temporary is left. */
static void
test_failed_write_leaves_old(void **state)
{
	struct fx *f = *state;
	char path[128], buf[64];
	struct rlimit lim, saved;
	struct vg_error e;
	void (*prev)(int);
	size_t big = 1 << 20;
	char *data = malloc(big);
	enum vg_err rc;

	assert_non_null(data);
	memset(data, 'x', big);
	snprintf(path, sizeof(path), "%s/keep.txt", f->dir);
	assert_int_equal(vt_write_file(f->dir, "keep.txt", "kept", 4), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	lim = saved;
	lim.rlim_cur = 64 * 1024;
	prev = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	vg_error_init(&e);
	rc = vg_write_file_atomic(path, data, big, 0644, &e);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, prev);
	free(data);
	assert_int_equal(rc, VG_IO);
	assert_non_null(strstr(vg_error_msg(&e), "keep.txt"));
	assert_int_equal(slurp(path, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "kept");
	assert_int_equal(entries(f->dir), 1);
}

/* A FIFO at the target: refused at once (no reader needed, nothing blocks), left a FIFO. */
static void
test_fifo_refused(void **state)
{
	struct fx *f = *state;
	char path[128];
	struct vg_error e;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	alarm(10); /* a writer that opened the FIFO would block here: fail, not hang */
	vg_error_init(&e);
	assert_int_equal(vg_write_file_atomic(path, "x", 1, 0644, &e), VG_INVAL);
	alarm(0);
	assert_non_null(strstr(vg_error_msg(&e), "a FIFO"));
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISFIFO(sb.st_mode));
	assert_int_equal(entries(f->dir), 1);
	/* a folder at the target too */
	vg_error_init(&e);
	assert_int_equal(vg_write_file_atomic(f->dir, "x", 1, 0644, &e), VG_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_file_whole_with_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whole_or_nothing_while_writing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_leaves_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
