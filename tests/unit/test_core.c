/* tests/unit/test_core.c — core/: errors, paths, JSON escaping, configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/err.h"
#include "core/jsonx.h"
#include "core/path.h"
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
