/* tests/unit/test_syslog.c — fleet/syslog: the RFC 5424 message, its escaping and its cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "core/config.h"
#include "core/store.h"
#include "fleet/syslog.h"
#include "tests/unit/util.h"

/* 2023-11-14T22:13:20.123456Z */
static const struct fleet_syslog_origin origin = {
	.hostname = "host1", .machine_guid = "g-1", .org_id = "acme", .pid = 42,
	.time_ns = 1700000000123456789LL,
};

static void
test_detection_exact(void **state)
{
	char buf[FLEET_SYSLOG_MAX];
	struct fleet_syslog_event ev = {
		.msgid = "DETECTION", .severity = LOG_WARNING, .rule = "EICAR_Test_File",
		.path = "/srv/x.zip", .path_len = 10, .member = "a.zip\0e.com", .member_len = 12,
		.sha256 = "ab", .action = "reported", .scan_id = 7,
	};
	size_t n;

	(void)state;
	n = fleet_syslog_format(&origin, &ev, buf);
	assert_string_equal(buf, "<28>1 2023-11-14T22:13:20.123456Z host1 vigil 42 DETECTION "
			    "[vigil@32473 rule=\"EICAR_Test_File\" sha256=\"ab\" action=\"reported\" "
			    "machine_guid=\"g-1\" org_id=\"acme\" scan_id=\"7\" path=\"/srv/x.zip\" "
			    "member=\"a.zip > e.com\"] EICAR_Test_File found in /srv/x.zip > a.zip > "
			    "e.com");
	assert_int_equal(n, strlen(buf));
}

static void
test_vault_events(void **state)
{
	char buf[FLEET_SYSLOG_MAX];
	struct fleet_syslog_event ev = {
		.msgid = "RESTORE", .severity = LOG_NOTICE, .rule = "R", .path = "/a",
		.path_len = 2, .action = "restored", .restored_to = "/b", .item_id = 3,
	};
	struct fleet_syslog_origin o = origin;

	(void)state;
	o.org_id = "";		/* an empty value is left out */
	o.hostname = "my host\n"; /* HOSTNAME is PRINTUSASCII without spaces */
	fleet_syslog_format(&o, &ev, buf);
	assert_string_equal(buf, "<29>1 2023-11-14T22:13:20.123456Z my_host_ vigil 42 RESTORE "
			    "[vigil@32473 rule=\"R\" action=\"restored\" machine_guid=\"g-1\" "
			    "item_id=\"3\" path=\"/a\" restored_to=\"/b\"] item 3 restored to /b");
	ev.msgid = "REMOVE";
	ev.restored_to = NULL;
	ev.action = "removed";
	o.hostname = "";
	fleet_syslog_format(&o, &ev, buf);
	assert_string_equal(buf, "<29>1 2023-11-14T22:13:20.123456Z - vigil 42 REMOVE "
			    "[vigil@32473 rule=\"R\" action=\"removed\" machine_guid=\"g-1\" "
			    "item_id=\"3\" path=\"/a\"] item 3 removed from the vault: /a");
}

static void
test_hostile_name_escaped(void **state)
{
	static const char name[] = "/d/a\nb\"c]d\\e\xff" "f] [x@1 k=\"v\"]\r";
	char buf[FLEET_SYSLOG_MAX];
	struct fleet_syslog_event ev = {
		.msgid = "DETECTION", .severity = LOG_WARNING, .rule = "R\"]",
		.path = name, .path_len = sizeof(name) - 1,
	};

	(void)state;
	fleet_syslog_format(&origin, &ev, buf);
	/* text escapes first (\n, \\, \xff, \x0d), then ", \ and ] get a backslash */
	assert_non_null(strstr(buf, " rule=\"R\\\"\\]\" "));
	assert_non_null(strstr(buf, " path=\"/d/a\\\\nb\\\"c\\]d\\\\\\\\e\\\\xfff\\] [x@1 k=\\\"v\\\"\\]"
				    "\\\\x0d\"] "));
	/* MSG: text escapes only */
	assert_non_null(strstr(buf, "] R\"] found in /d/a\\nb\"c]d\\\\e\\xfff] [x@1 k=\"v\"]\\x0d"));
	assert_null(strchr(buf, '\n'));
	assert_null(strchr(buf, '\r'));
	assert_null(strstr(buf, "\xff"));
}

/* The backslashes right before position i. */
static size_t
backslashes_before(const char *s, size_t i)
{
	size_t n = 0;

	while (i > n && s[i - n - 1] == '\\')
		n++;
	return n;
}

static void
test_long_path_truncated_element_closed(void **state)
{
	size_t len = 100000, n, i;
	char *path = malloc(len), buf[FLEET_SYSLOG_MAX];
	const char *p, *end;
	struct fleet_syslog_event ev = {
		.msgid = "DETECTION", .severity = LOG_WARNING, .rule = "R", .sha256 = "ab",
		.action = "reported",
	};

	(void)state;
	assert_non_null(path);
	/* every cut point falls in an escape: "\\" (2 bytes, SD 4) or \xff (4, SD 5) */
	for (i = 0; i < len; i++)
		path[i] = i % 3 == 0 ? '\\' : i % 3 == 1 ? '\xff' : ']';
	ev.path = path;
	ev.path_len = len;
	n = fleet_syslog_format(&origin, &ev, buf);
	assert_true(n > 0 && n < FLEET_SYSLOG_MAX);
	assert_int_equal(strlen(buf), n);
	assert_non_null(strstr(buf, " truncated=\"1\"] R found in "));
	p = strstr(buf, " path=\"");
	assert_non_null(p);
	end = strstr(p, "...\" truncated=\"1\"]");
	assert_non_null(end);
	/* the value ends on a whole escape: an even number of backslashes before "..." */
	assert_int_equal(backslashes_before(buf, (size_t)(end - buf)) % 2, 0);
	/* nothing but the one element: after it, only the text */
	assert_null(strstr(end + 20, "\" "));
	assert_memory_equal(buf + n - 3, "...", 3);
	free(path);
}

static void
test_long_multibyte_cut_on_a_character(void **state)
{
	size_t len = 30000, i;
	char *path = malloc(len), buf[FLEET_SYSLOG_MAX];
	struct fleet_syslog_event ev = { .msgid = "DETECTION", .severity = LOG_WARNING };
	const char *v, *cut;

	(void)state;
	assert_non_null(path);
	for (i = 0; i + 3 <= len; i += 3)
		memcpy(path + i, "\xe2\x82\xac", 3); /* U+20AC */
	ev.path = path;
	ev.path_len = i;
	assert_true(fleet_syslog_format(&origin, &ev, buf) > 0);
	v = strstr(buf, " path=\"") + 7;
	cut = strstr(v, "...\"");
	assert_non_null(cut);
	assert_int_equal((size_t)(cut - v) % 3, 0);
	free(path);
}

static void
test_off_and_null_handle(void **state)
{
	struct vg_config *cfg = NULL;
	struct fleet_syslog *sl = (struct fleet_syslog *)1;
	struct store_threat t = { .path = "/x", .path_len = 2, .name = "R" };

	(void)state;
	assert_int_equal(config_load("/nonexistent/c.json", "/nonexistent/m.json", &cfg, NULL), VG_OK);
	assert_int_equal(fleet_syslog_create(cfg, NULL, &sl, NULL), VG_OK);
	assert_null(sl);
	fleet_syslog_threat(NULL, 1, &t);
	fleet_syslog_refusal(NULL, 1, "/x", 2, "R", "blocked");
	fleet_syslog_destroy(NULL);
	config_destroy(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detection_exact),
		cmocka_unit_test(test_vault_events),
		cmocka_unit_test(test_hostile_name_escaped),
		cmocka_unit_test(test_long_path_truncated_element_closed),
		cmocka_unit_test(test_long_multibyte_cut_on_a_character),
		cmocka_unit_test(test_off_and_null_handle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
