/*
 * tests/unit/test_reach.c — core/reach.h against real folders, links, FIFOs and devices:
 * which links are followed, that nothing below a reached folder follows one, that a new
 * file never goes through a link, a FIFO or a device, and names of any length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/err.h"
#include "core/reach.h"
#include "tests/unit/util.h"

struct fx {
	char base[64];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || vt_mkdtemp(f->base, sizeof(f->base), "vigil-reach") == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	vt_rm_rf(f->base);
	free(f);
	return 0;
}

static void
p(const struct fx *f, const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", f->base, name);
}

static void
is_file(const char *path, const char *want)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY | O_NOFOLLOW);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

/* Links that root or we own, in folders only we write, are followed; none other is. */
static void
test_reach_dir_links(void **state)
{
	struct fx *f = *state;
	char real[128], good[128], open_dir[128], bad[160], via[200];
	struct vg_error e;
	int fd;

	p(f, "real", real, sizeof(real));
	p(f, "good", good, sizeof(good));
	p(f, "open", open_dir, sizeof(open_dir));
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, good), 0);
	vg_error_init(&e);
	fd = vg_reach_dir(good, VG_REACH_TRUSTED_LINKS, "test", &e);
	assert_true(fd >= 0);
	close(fd);
	/* the same link, but no links wanted */
	vg_error_init(&e);
	assert_int_equal(vg_reach_dir(good, VG_REACH_NO_LINKS, "test", &e), -1);
	assert_int_equal(e.code, VG_UNSAFE);
	/* a link in a folder anyone can write (sticky or not) */
	assert_int_equal(mkdir(open_dir, 0755), 0);
	assert_int_equal(chmod(open_dir, 01777), 0);
	snprintf(bad, sizeof(bad), "%s/link", open_dir);
	assert_int_equal(symlink(real, bad), 0);
	snprintf(via, sizeof(via), "%s/sub", bad);
	vg_error_init(&e);
	assert_int_equal(vg_reach_dir(bad, VG_REACH_TRUSTED_LINKS, "write the report", &e), -1);
	assert_int_equal(e.code, VG_UNSAFE);
	assert_non_null(strstr(vg_error_msg(&e), "write the report"));
	assert_non_null(strstr(vg_error_msg(&e), "not followed"));
	/* a link owned by another user, in a folder only we write */
	assert_int_equal(chmod(open_dir, 0755), 0);
	assert_int_equal(lchown(bad, 65534, 65534), 0);
	vg_error_init(&e);
	assert_int_equal(vg_reach_dir(bad, VG_REACH_TRUSTED_LINKS, "test", &e), -1);
	assert_int_equal(e.code, VG_UNSAFE);
	/* missing, and a file on the way */
	vg_error_init(&e);
	assert_int_equal(vg_reach_dir(via, VG_REACH_TRUSTED_LINKS, "test", &e), -1);
	vg_error_init(&e);
	p(f, "nothing/here", via, sizeof(via));
	assert_int_equal(vg_reach_dir(via, VG_REACH_TRUSTED_LINKS, "test", &e), -1);
	assert_int_equal(e.code, VG_NOENT);
}

/* Below a reached folder, no link at all: not on the way, not at the end, no "..". */
static void
test_reach_beneath(void **state)
{
	struct fx *f = *state;
	char a[128], secret[128];
	int root, fd;

	p(f, "a", a, sizeof(a));
	p(f, "secret", secret, sizeof(secret));
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(secret, 0700), 0);
	assert_int_equal(vt_write_file(secret, "x", "secret", 6), 0);
	assert_int_equal(vt_write_file(a, "x", "mine", 4), 0);
	root = open(f->base, O_RDONLY | O_DIRECTORY);
	assert_true(root >= 0);
	fd = vg_reach_beneath(root, "a/x", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	strcat(a, "/dir");
	assert_int_equal(symlink(secret, a), 0);
	errno = 0;
	assert_int_equal(vg_reach_beneath(root, "a/dir/x", O_RDONLY), -1);
	assert_int_equal(errno, ELOOP);
	strcat(secret, "/x");
	p(f, "a/lnk", a, sizeof(a));
	assert_int_equal(symlink(secret, a), 0);
	assert_int_equal(vg_reach_beneath(root, "a/lnk", O_RDONLY), -1);
	assert_int_equal(vg_reach_beneath(root, "../x", O_RDONLY), -1); /* not above the root */
	close(root);
}

/* Names longer than PATH_MAX: reached by a walk, and named by vg_fd_path. */
static void
test_long_names(void **state)
{
	struct fx *f = *state;
	char name[201], *rel, *full, *dirp;
	size_t off = 0;
	int root, dfd, fd, i;

	memset(name, 'n', 200);
	name[200] = '\0';
	rel = malloc(24 * 201 + 8);
	assert_non_null(rel);
	root = open(f->base, O_RDONLY | O_DIRECTORY);
	dfd = dup(root);
	for (i = 0; i < 24; i++) {
		int next;

		assert_int_equal(mkdirat(dfd, name, 0755), 0);
		next = openat(dfd, name, O_RDONLY | O_DIRECTORY);
		close(dfd);
		dfd = next;
		memcpy(rel + off, name, 200);
		rel[off + 200] = '/';
		off += 201;
	}
	strcpy(rel + off, "f");
	fd = openat(dfd, "f", O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	full = vg_fd_path(fd);
	dirp = vg_fd_path(dfd);
	close(fd);
	assert_non_null(full);
	assert_non_null(dirp);
	assert_true(strlen(full) > 4096);
	assert_int_equal(strlen(full), strlen(f->base) + 1 + strlen(rel));
	assert_int_equal(strlen(dirp) + 2, strlen(full));
	assert_memory_equal(dirp, full, strlen(dirp));
	fd = vg_reach_beneath(root, rel, O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	free(full);
	free(dirp);
	free(rel);
	close(dfd);
	close(root);
}

/* A new file: mode before content, a link at the target replaced, never followed. */
static void
test_out_replaces_link(void **state)
{
	struct fx *f = *state;
	char target[128], out[128];
	struct vg_out o;
	struct vg_error e;
	struct stat sb;
	mode_t old = umask(0);

	p(f, "victim", target, sizeof(target));
	p(f, "out.json", out, sizeof(out));
	assert_int_equal(vt_write_file(f->base, "victim", "root data", 9), 0);
	assert_int_equal(symlink(target, out), 0);
	vg_error_init(&e);
	assert_int_equal(vg_out_create(out, 0600, &o, &e), VG_OK);
	assert_int_equal(fstat(o.fd, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(write(o.fd, "report", 6), 6);
	assert_int_equal(vg_out_commit(&o, 0, &e), VG_OK);
	umask(old);
	is_file(target, "root data");
	assert_int_equal(lstat(out, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	is_file(out, "report");
	/* noreplace: the existing file stays, the temporary goes */
	vg_error_init(&e);
	assert_int_equal(vg_out_create(out, 0644, &o, &e), VG_OK);
	assert_int_equal(vg_out_commit(&o, 1, &e), VG_EXISTS);
	is_file(out, "report");
}

/* A FIFO or a device at the target is refused without being opened (no hang). */
static void
test_out_refuses_special(void **state)
{
	struct fx *f = *state;
	char fifo[128], dev[128];
	struct vg_out o;
	struct vg_error e;
	struct stat sb;

	p(f, "fifo", fifo, sizeof(fifo));
	p(f, "null", dev, sizeof(dev));
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(mknod(dev, S_IFCHR | 0666, makedev(1, 3)), 0);
	vg_error_init(&e);
	assert_int_equal(vg_out_create(fifo, 0644, &o, &e), VG_INVAL);
	assert_non_null(strstr(vg_error_msg(&e), "a FIFO"));
	vg_error_init(&e);
	assert_int_equal(vg_out_create(dev, 0644, &o, &e), VG_INVAL);
	assert_non_null(strstr(vg_error_msg(&e), "character device"));
	vg_error_init(&e);
	assert_int_equal(vg_out_create(f->base, 0644, &o, &e), VG_INVAL);
	assert_int_equal(lstat(fifo, &sb), 0);
	assert_true(S_ISFIFO(sb.st_mode));
}

/* Identity: the same object, unchanged; a rewrite or another inode is not. */
static void
test_ident(void **state)
{
	struct fx *f = *state;
	char path[128];
	struct vg_ident a, b;
	struct stat sb;
	int fd;

	p(f, "id", path, sizeof(path));
	assert_int_equal(vt_write_file(f->base, "id", "one", 3), 0);
	assert_int_equal(stat(path, &sb), 0);
	vg_ident_from_stat(&a, &sb);
	b = a;
	assert_true(vg_ident_same(&a, &b));
	fd = open(path, O_WRONLY);
	assert_int_equal(write(fd, "two", 3), 3);
	close(fd);
	assert_int_equal(stat(path, &sb), 0);
	vg_ident_from_stat(&b, &sb);
	assert_int_equal(a.ino, b.ino);
	assert_false(vg_ident_same(&a, &b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reach_dir_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reach_beneath, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_replaces_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_refuses_special, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ident, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
