/*
 * tests/unit/test_defaults.c — one source of defaults: the key table of core/config.c.
 * Every default there is valid JSON of its key's type, and the engine's built-in options
 * (scanner_options_init, used when no configuration is read: tests, fuzzing, the rescue
 * tools) equal the configuration's defaults. A default changed in one place and not in the
 * other fails here. (tests/e2e/t9100 checks the defaults the README states against
 * `vigil --json config show`.)
 */
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
#include "scanner/scanner.h"

static struct vg_config *
defaults(void)
{
	struct vg_config *cfg = NULL;
	struct vg_error e;

	vg_error_init(&e);
	/* no local file, no managed file: the built-in defaults alone */
	if (config_load(NULL, NULL, &cfg, &e) != VG_OK)
		fail_msg("config_load: %s", vg_error_msg(&e));
	return cfg;
}

/* Each key's default parses, has the key's type, and is what config_get gives with no file;
 * the table is sorted by name (as config.h says) and has no key twice. */
static void
test_key_table_defaults_valid(void **state)
{
	struct vg_config *cfg = defaults();
	const struct config_key *k;
	size_t n, i;

	(void)state;
	k = config_keys(&n);
	assert_true(n > 20);
	for (i = 0; i < n; i++) {
		json_error_t jerr;
		json_t *def = json_loads(k[i].def, JSON_DECODE_ANY, &jerr);
		json_t *got = config_get(cfg, k[i].name);
		int type_ok = 0;

		if (def == NULL)
			fail_msg("%s: default %s is not JSON: %s", k[i].name, k[i].def, jerr.text);
		switch (k[i].type) {
		case CFG_BOOL: type_ok = json_is_boolean(def); break;
		case CFG_INT: type_ok = json_is_integer(def) && json_integer_value(def) >= 0; break;
		case CFG_STRING: type_ok = json_is_string(def); break;
		case CFG_STRINGS: case CFG_OBJECTS: type_ok = json_is_array(def); break;
		}
		if (!type_ok)
			fail_msg("%s: default %s is not of the key's type", k[i].name, k[i].def);
		if (got == NULL || !json_equal(got, def))
			fail_msg("%s: config_get without files is not the table's default", k[i].name);
		assert_string_equal(config_origin(cfg, k[i].name), "default");
		if (i > 0 && strcmp(k[i - 1].name, k[i].name) >= 0)
			fail_msg("key table not sorted or a key twice: %s, %s", k[i - 1].name,
				 k[i].name);
		json_decref(def);
	}
	config_destroy(cfg);
}

/* scanner_options_init equals the configuration's defaults, field by field. */
static void
test_scanner_options_match_config(void **state)
{
	struct vg_config *cfg = defaults();
	struct scanner_options o;

	(void)state;
	scanner_options_init(&o);
#define SAME(field, key)                                                                     \
	do {                                                                                 \
		if ((int64_t)o.field != config_get_int(cfg, key))                            \
			fail_msg("scanner_options_init: " #field " = %lld, but the default of %s " \
				 "is %lld", (long long)o.field, key,                          \
				 (long long)config_get_int(cfg, key));                        \
	} while (0)
	SAME(max_depth, "antivirus_engine.max_archive_depth");
	SAME(max_filesize, "antivirus_engine.max_file_size");
	SAME(archive_max_members, "antivirus_engine.archive_max_members");
	SAME(archive_max_bytes, "antivirus_engine.archive_max_bytes");
	SAME(archive_max_member_size, "antivirus_engine.archive_max_member_size");
	SAME(archive_max_ratio, "antivirus_engine.archive_max_ratio");
	SAME(scan_timeout, "antivirus_engine.scan_timeout");
#undef SAME
	assert_int_equal(!!o.archives, config_get_bool(cfg, "antivirus_engine.scan_archives"));
	/* threads: the number of cores, capped only later by maximum_scan_threads */
	assert_true(o.threads >= 1);
	config_destroy(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_table_defaults_valid),
		cmocka_unit_test(test_scanner_options_match_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
