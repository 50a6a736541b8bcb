/* tests/unit/test_core.c — core/: errors, paths, JSON escaping, configuration. */
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
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/path.h"
#include "core/statedir.h"
#include "tests/unit/util.h"

static void
test_strerror_covers_every_code(void **state)
{
	int c;

	(void)state;
	for (c = 0; c < VG__LAST; c++)
		assert_non_null(vg_strerror((enum vg_err)c));
	assert_string_equal(vg_strerror(VG__LAST), "unknown error");
}

static void
test_error_keeps_first_reason(void **state)
{
	struct vg_error e;

	(void)state;
	vg_error_init(&e);
	assert_int_equal(vg_error_set(&e, VG_IO, "first %d", 1), VG_IO);
	vg_error_set(&e, VG_NOMEM, "second");
	assert_string_equal(vg_error_msg(&e), "first 1");
	assert_int_equal(e.code, VG_IO);
}

static void
test_path_absolute_folds(void **state)
{
	char *p;

	(void)state;
	assert_int_equal(vg_path_absolute("/a//b/./c/../d/", &p, NULL), VG_OK);
	assert_string_equal(p, "/a/b/d");
	free(p);
	assert_int_equal(vg_path_absolute("/../..", &p, NULL), VG_OK);
	assert_string_equal(p, "/");
	free(p);
	assert_int_equal(vg_path_absolute("", &p, NULL), VG_INVAL);
}

static void
test_path_ext_and_within(void **state)
{
	(void)state;
	assert_string_equal(vg_path_ext("a.tar.gz"), "gz");
	assert_null(vg_path_ext(".bashrc"));
	assert_null(vg_path_ext("noext"));
	assert_true(vg_path_within("/a/b/c", "/a/b"));
	assert_true(vg_path_within("/a/b", "/a/b"));
	assert_false(vg_path_within("/a/bc", "/a/b"));
	assert_true(vg_path_within("/x", "/"));
}

static void
test_json_bytes_invalid_utf8(void **state)
{
	json_t *o = json_object();
	const char raw[] = "a\xff\n";

	(void)state;
	vg_json_set_bytes(o, "path", raw, 3);
	assert_string_equal(json_string_value(json_object_get(o, "path")), "a\\xff\n");
	assert_string_equal(json_string_value(json_object_get(o, "path_b64")), "Yf8K");
	json_decref(o);
	o = json_object();
	vg_json_set_bytes(o, "path", "ok\n", 3);
	assert_null(json_object_get(o, "path_b64"));
	json_decref(o);
}

static void
test_text_escape_controls(void **state)
{
	const char *in = "a\nb\x1b[2J\\\xc3\xa9";
	char *s = vg_text_escape(in, strlen(in));

	(void)state;
	assert_string_equal(s, "a\\nb\\x1b[2J\\\\\xc3\xa9");
	free(s);
}

static void
test_config_layers_and_errors(void **state)
{
	static const char local_json[] =
		"{\"antivirus_engine\": {\"max_archive_depth\": 3, \"scan_archives\": false}}";
	static const char managed_json[] = "{\"antivirus_engine\": {\"max_archive_depth\": 5}}";
	static const char broken_json[] = "{\n  \"org_id\": \"x\",\n  oops\n}";
	char dir[64], local[256], managed[256];
	struct vg_config *cfg;
	struct vg_error e;

	(void)state;
	assert_non_null(vt_mkdtemp(dir, sizeof(dir), "vigil-unit"));
	snprintf(local, sizeof(local), "%s/local.json", dir);
	snprintf(managed, sizeof(managed), "%s/managed.json", dir);
	assert_int_equal(vt_write_file(dir, "local.json", local_json, strlen(local_json)), 0);
	assert_int_equal(vt_write_file(dir, "managed.json", managed_json, strlen(managed_json)), 0);
	vg_error_init(&e);
	assert_int_equal(config_load(local, managed, &cfg, &e), VG_OK);
	assert_int_equal(config_get_int(cfg, "antivirus_engine.max_archive_depth"), 5);
	assert_string_equal(config_origin(cfg, "antivirus_engine.max_archive_depth"), "managed");
	assert_false(config_get_bool(cfg, "antivirus_engine.scan_archives"));
	assert_int_equal(config_get_int(cfg, "antivirus_engine.archive_max_members"), 50000);
	assert_null(config_get(cfg, "no.such.key"));
	assert_int_equal(config_set(cfg, "antivirus_engine.max_archive_depth", "2", &e), VG_PERM);
	vg_error_init(&e);
	assert_int_equal(config_set(cfg, "antivirus_engine.max_file_size", "\"big\"", &e),
			 VG_CONFIG);
	vg_error_init(&e);
	assert_int_equal(config_set(cfg, "org_id", "acme", &e), VG_OK);
	config_destroy(cfg);

	assert_int_equal(vt_write_file(dir, "local.json", broken_json, strlen(broken_json)), 0);
	vg_error_init(&e);
	assert_int_equal(config_load(local, NULL, &cfg, &e), VG_CONFIG);
	assert_non_null(strstr(e.msg, "local.json:3:"));
	vt_rm_rf(dir);
}


/* ---- the state folder's trust (core/statedir.h) ---- */

#define OTHER_UID 12345 /* an unprivileged user the test pretends to be */

/* dir/name made with mode (chmod after mkdir: the umask does not apply); the path. */
static const char *
mkdir_mode(const char *dir, const char *name, mode_t mode)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, 256, "%s/%s", dir, name);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

/* The check's code, its message in msg (when the code is not VG_OK). */
static enum vg_err
dir_check(const char *dir, char *msg, size_t n)
{
	struct vg_error e;
	enum vg_err rc;

	vg_error_init(&e);
	rc = vg_state_dir_check(dir, &e);
	snprintf(msg, n, "%s", rc == VG_OK ? "" : e.msg);
	return rc;
}

static void
test_state_dir_check(void **state)
{
	char base[64], msg[1024], link[256];
	const char *p, *sticky, *open_dir;

	(void)state;
	if (geteuid() != 0)
		skip(); /* giving a folder to another user needs root */
	assert_non_null(vt_mkdtemp(base, sizeof(base), "vigil-unit"));
	/* root's 0700 folder inside sticky /tmp: trusted (the e2e suite's layout) */
	p = mkdir_mode(base, "ok", 0700);
	assert_int_equal(dir_check(p, msg, sizeof(msg)), VG_OK);
	assert_int_equal(dir_check(base, msg, sizeof(msg)), VG_OK);

	/* owned by another user: refused, naming the folder, its owner and the fix */
	p = mkdir_mode(base, "theirs", 0700);
	assert_int_equal(chown(p, OTHER_UID, OTHER_UID), 0);
	assert_int_equal(dir_check(p, msg, sizeof(msg)), VG_UNSAFE);
	assert_non_null(strstr(msg, p));
	assert_non_null(strstr(msg, "owned by uid 12345"));
	assert_non_null(strstr(msg, "chown root"));
	/* ... and so is everything below it, although root owns that */
	p = mkdir_mode(p, "sub", 0700);
	assert_int_equal(dir_check(p, msg, sizeof(msg)), VG_UNSAFE);
	assert_non_null(strstr(msg, "on the way"));

	/* writable by others: refused as the state folder, even when sticky */
	open_dir = mkdir_mode(base, "open", 0777);
	assert_int_equal(dir_check(open_dir, msg, sizeof(msg)), VG_UNSAFE);
	assert_non_null(strstr(msg, "mode 0777"));
	p = mkdir_mode(base, "sticky-self", 01777);
	assert_int_equal(dir_check(p, msg, sizeof(msg)), VG_UNSAFE);
	/* as a folder on the way: refused when not sticky, allowed when sticky (as /tmp) */
	p = mkdir_mode(open_dir, "s", 0700);
	assert_int_equal(dir_check(p, msg, sizeof(msg)), VG_UNSAFE);
	assert_non_null(strstr(msg, "not sticky"));
	sticky = mkdir_mode(base, "sticky", 01777);
	p = mkdir_mode(sticky, "s", 0700);
	assert_int_equal(dir_check(p, msg, sizeof(msg)), VG_OK);
	/* the 0700 folder in the sticky one, but another user's: refused */
	p = mkdir_mode(sticky, "planted", 0700);
	assert_int_equal(chown(p, OTHER_UID, OTHER_UID), 0);
	assert_int_equal(dir_check(p, msg, sizeof(msg)), VG_UNSAFE);

	/* a symbolic link of root's to a good folder is followed; its target is checked */
	snprintf(link, sizeof(link), "%s/good-link", base);
	assert_int_equal(symlink("ok", link), 0);
	assert_int_equal(dir_check(link, msg, sizeof(msg)), VG_OK);
	snprintf(link, sizeof(link), "%s/link-to-theirs", base);
	assert_int_equal(symlink("theirs", link), 0);
	assert_int_equal(dir_check(link, msg, sizeof(msg)), VG_UNSAFE);
	assert_non_null(strstr(msg, "owned by uid 12345"));
	/* a link owned by another user is not followed, whatever it points to */
	snprintf(link, sizeof(link), "%s/their-link", base);
	assert_int_equal(symlink("ok", link), 0);
	assert_int_equal(lchown(link, OTHER_UID, OTHER_UID), 0);
	assert_int_equal(dir_check(link, msg, sizeof(msg)), VG_UNSAFE);
	assert_non_null(strstr(msg, "symbolic link"));
	/* a link loop ends */
	snprintf(link, sizeof(link), "%s/loop", base);
	assert_int_equal(symlink("loop", link), 0);
	assert_int_equal(dir_check(link, msg, sizeof(msg)), VG_UNSAFE);
	/* missing: VG_NOENT (the caller creates it and checks again); a file: VG_INVAL */
	snprintf(link, sizeof(link), "%s/missing/state", base);
	assert_int_equal(dir_check(link, msg, sizeof(msg)), VG_NOENT);
	assert_int_equal(vt_write_file(base, "file", "x", 1), 0);
	snprintf(link, sizeof(link), "%s/file/state", base);
	assert_int_equal(dir_check(link, msg, sizeof(msg)), VG_INVAL);
	vt_rm_rf(base);
}

static void
test_state_open(void **state)
{
	char base[64], path[256];
	struct vg_error e;
	char *data = NULL;
	size_t len = 0;
	int fd;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(vt_mkdtemp(base, sizeof(base), "vigil-unit"));
	assert_int_equal(vt_write_file(base, "good", "hello", 5), 0);
	snprintf(path, sizeof(path), "%s/good", base);
	assert_int_equal(chmod(path, 0600), 0);
	vg_error_init(&e);
	fd = vg_state_open(base, "good", O_RDONLY, 0, &e);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	assert_int_equal(vg_state_read_file(base, "good", 100, &data, &len, &e), VG_OK);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	assert_int_equal(vg_state_read_file(base, "good", 4, &data, &len, &e), VG_LIMIT);
	vg_error_init(&e);
	/* created 0600 when missing */
	fd = vg_state_open(base, "new.log", O_WRONLY | O_APPEND | O_CREAT, 0600, &e);
	assert_true(fd >= 0);
	close(fd);

	/* a symbolic link (to a good file even) is not followed */
	snprintf(path, sizeof(path), "%s/link", base);
	assert_int_equal(symlink("good", path), 0);
	vg_error_init(&e);
	assert_int_equal(vg_state_open(base, "link", O_WRONLY | O_APPEND | O_CREAT, 0600, &e), -1);
	assert_int_equal(e.code, VG_UNSAFE);
	assert_non_null(strstr(e.msg, "is a symbolic link (not followed"));
	vg_error_init(&e);
	assert_int_equal(vg_state_file_check(base, "link", &e), VG_UNSAFE);
	vg_error_init(&e);
	assert_int_equal(vg_state_read_file(base, "link", 100, &data, &len, &e), VG_UNSAFE);

	/* another user's file */
	assert_int_equal(vt_write_file(base, "theirs", "x", 1), 0);
	snprintf(path, sizeof(path), "%s/theirs", base);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(chown(path, OTHER_UID, OTHER_UID), 0);
	vg_error_init(&e);
	assert_int_equal(vg_state_open(base, "theirs", O_RDONLY, 0, &e), -1);
	assert_int_equal(e.code, VG_UNSAFE);
	assert_non_null(strstr(e.msg, "owned by uid 12345"));
	vg_error_init(&e);
	assert_int_equal(vg_state_file_check(base, "theirs", &e), VG_UNSAFE);

	/* a file others can write */
	assert_int_equal(vt_write_file(base, "shared", "x", 1), 0);
	snprintf(path, sizeof(path), "%s/shared", base);
	assert_int_equal(chmod(path, 0666), 0);
	vg_error_init(&e);
	assert_int_equal(vg_state_open(base, "shared", O_RDONLY, 0, &e), -1);
	assert_int_equal(e.code, VG_UNSAFE);
	assert_non_null(strstr(e.msg, "mode 0666"));
	vg_error_init(&e);
	assert_int_equal(vg_state_file_check(base, "shared", &e), VG_UNSAFE);

	/* a FIFO is refused, not waited for */
	snprintf(path, sizeof(path), "%s/fifo", base);
	assert_int_equal(mkfifo(path, 0600), 0);
	vg_error_init(&e);
	assert_int_equal(vg_state_open(base, "fifo", O_RDONLY, 0, &e), -1);
	assert_int_equal(e.code, VG_UNSAFE);

	/* missing: VG_NOENT to open, nothing to refuse to check */
	vg_error_init(&e);
	assert_int_equal(vg_state_open(base, "missing", O_RDONLY, 0, &e), -1);
	assert_int_equal(e.code, VG_NOENT);
	vg_error_init(&e);
	assert_int_equal(vg_state_file_check(base, "missing", &e), VG_OK);
	assert_int_equal(vg_state_file_check(base, "good", &e), VG_OK);
	vt_rm_rf(base);
}

/* <state-dir>/config.json is not read from a folder another user owns, nor through a link. */
static void
test_config_load_state_trust(void **state)
{
	static const char excl[] = "{\"org_id\": \"planted\"}";
	char base[64], dir[128], path[256];
	struct vg_config *cfg = NULL;
	struct vg_error e;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(vt_mkdtemp(base, sizeof(base), "vigil-unit"));
	snprintf(dir, sizeof(dir), "%s/state", base);
	/* missing folder: defaults */
	vg_error_init(&e);
	assert_int_equal(config_load_state(dir, NULL, &cfg, &e), VG_OK);
	config_destroy(cfg);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(vt_write_file(dir, "config.json", excl, strlen(excl)), 0);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	assert_int_equal(chmod(path, 0600), 0);
	vg_error_init(&e);
	assert_int_equal(config_load_state(dir, NULL, &cfg, &e), VG_OK);
	assert_string_equal(config_origin(cfg, "org_id"), "local");
	config_destroy(cfg);
	/* the folder handed to another user: refused, naming it */
	assert_int_equal(chown(dir, OTHER_UID, OTHER_UID), 0);
	vg_error_init(&e);
	assert_int_equal(config_load_state(dir, NULL, &cfg, &e), VG_UNSAFE);
	assert_non_null(strstr(e.msg, dir));
	assert_int_equal(chown(dir, 0, 0), 0);
	/* config.json a link: not followed */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	vg_error_init(&e);
	assert_int_equal(config_load_state(dir, NULL, &cfg, &e), VG_UNSAFE);
	assert_non_null(strstr(e.msg, "symbolic link"));
	vt_rm_rf(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror_covers_every_code),
		cmocka_unit_test(test_error_keeps_first_reason),
		cmocka_unit_test(test_path_absolute_folds),
		cmocka_unit_test(test_path_ext_and_within),
		cmocka_unit_test(test_json_bytes_invalid_utf8),
		cmocka_unit_test(test_text_escape_controls),
		cmocka_unit_test(test_config_layers_and_errors),
		cmocka_unit_test(test_state_dir_check),
		cmocka_unit_test(test_state_open),
		cmocka_unit_test(test_config_load_state_trust),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
