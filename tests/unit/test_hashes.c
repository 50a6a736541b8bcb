/*
 * tests/unit/test_hashes.c — sigdb/hashes.h directly: parsing the ClamAV .hdb/.hsb and IOC
 * list formats, sizes and `*`, header lines, comments, CRLF, errors with their line numbers,
 * skip_bad counting, sealing (sorting and deduplicating), lookups and their misses,
 * hashdb_wants per algorithm, and the saved form: used again from a copy of its bytes, the
 * same lists always give the same bytes, and a truncated, extended, damaged or foreign form is
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "sigdb/hashes.h"
#include "tests/unit/util.h"

#define MD5_A "0123456789abcdef0123456789abcdef"
#define MD5_B "fedcba9876543210fedcba9876543210"
#define SHA1_A "00112233445566778899aabbccddeeff00112233"
#define SHA1_B "ffeeddccbbaa99887766554433221100ffeeddcc"
#define SHA256_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define SHA256_B "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	fail_msg("not a hex digit: %c", c);
	return -1;
}

/* The raw bytes of a hex digest in out (32 bytes); returns the number of bytes. */
static size_t
raw(const char *hex, unsigned char *out)
{
	size_t n = strlen(hex) / 2, i;

	assert_true(n <= 32);
	memset(out, 0, 32);
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
	return n;
}

static enum hash_algo
algo_of(const char *hex)
{
	switch (strlen(hex)) {
	case 32:
		return HASH_MD5;
	case 40:
		return HASH_SHA1;
	case 64:
		return HASH_SHA256;
	}
	fail_msg("not a digest length: %s", hex);
	return HASH_MD5;
}

/* Parse text (NUL-terminated) as source without skip_bad; the test fails on an error. */
static int64_t
parse_ok(struct hashdb *h, const char *source, const char *text)
{
	int64_t added = -1, bad = -1;
	struct vg_error e;

	vg_error_init(&e);
	if (hashdb_parse(h, source, text, strlen(text), 0, &added, &bad, &e) != VG_OK)
		fail_msg("hashdb_parse(%s): %s", source, vg_error_msg(&e));
	assert_int_equal(bad, 0);
	return added;
}

/* Parse text expecting a failure; the message is copied to msg. */
static void
parse_fails(const char *source, const char *text, char *msg, size_t n)
{
	struct hashdb *h = hashdb_create();
	int64_t added = 0, bad = 0;
	struct vg_error e;

	assert_non_null(h);
	vg_error_init(&e);
	assert_int_equal(hashdb_parse(h, source, text, strlen(text), 0, &added, &bad, &e),
			 VG_RULES);
	assert_int_equal(e.code, VG_RULES);
	snprintf(msg, n, "%s", vg_error_msg(&e));
	hashdb_destroy(h);
}

/* The name of the entry for hex at size, or NULL; *list (when given) gets the list's name. */
static const char *
find(const struct hashdb *h, const char *hex, int64_t size, const char **list)
{
	unsigned char d[32];
	const char *name = NULL, *l = NULL;

	raw(hex, d);
	if (!hashdb_lookup(h, algo_of(hex), d, size, &name, &l))
		return NULL;
	assert_non_null(name);
	assert_non_null(l);
	if (list)
		*list = l;
	return name;
}

static struct hashdb *
db_of(const char *source, const char *text, int64_t want_added)
{
	struct hashdb *h = hashdb_create();

	assert_non_null(h);
	assert_int_equal(parse_ok(h, source, text), want_added);
	hashdb_seal(h);
	return h;
}

/* --- formats ------------------------------------------------------------------------------ */

static void
test_hdb_md5_with_size(void **state)
{
	struct hashdb *h = db_of("/some/dir/a.hdb", MD5_A ":68:Vigil.Test.HDB\n", 1);
	const char *list = NULL;

	(void)state;
	assert_string_equal(find(h, MD5_A, 68, &list), "Vigil.Test.HDB");
	assert_string_equal(list, "a.hdb");	/* the list is named by its file name */
	assert_null(find(h, MD5_A, 67, NULL));
	assert_null(find(h, MD5_A, 69, NULL));
	assert_null(find(h, MD5_A, 0, NULL));
	assert_null(find(h, MD5_B, 68, NULL));
	assert_int_equal(hashdb_count(h), 1);
	hashdb_destroy(h);
}

static void
test_hsb_sha1_and_sha256_star_and_flevel(void **state)
{
	struct hashdb *h = db_of("b.hsb",
				 SHA1_A ":*:Vigil.Test.SHA1Any\n"
				 SHA256_A ":1234:Vigil.Test.SHA256:73\n"
				 SHA256_B ":*:Vigil.Test.SHA256Any:51:255\n"
				 SHA1_B ":7:Vigil.Test.SHA1Seven:90\n", 4);
	const char *list = NULL;

	(void)state;
	assert_string_equal(find(h, SHA1_A, 0, &list), "Vigil.Test.SHA1Any");
	assert_string_equal(list, "b.hsb");
	assert_string_equal(find(h, SHA1_A, 1, NULL), "Vigil.Test.SHA1Any");
	assert_string_equal(find(h, SHA1_A, (int64_t)1 << 40, NULL), "Vigil.Test.SHA1Any");
	/* the functionality level is not part of the name */
	assert_string_equal(find(h, SHA256_A, 1234, NULL), "Vigil.Test.SHA256");
	assert_null(find(h, SHA256_A, 1235, NULL));
	assert_string_equal(find(h, SHA256_B, 99, NULL), "Vigil.Test.SHA256Any");
	assert_string_equal(find(h, SHA1_B, 7, NULL), "Vigil.Test.SHA1Seven");
	assert_null(find(h, SHA1_B, 8, NULL));
	hashdb_destroy(h);
}

static void
test_ioc_bare_semicolon_and_comma(void **state)
{
	struct hashdb *h = db_of("lists/c.ioc",
				 "# an IOC list\n"
				 "\n"
				 SHA256_A "\n"
				 MD5_A ";Vigil.Test.Semicolon\n"
				 SHA1_A ",Vigil.Test.Comma\n"
				 "  " MD5_B " ;  Vigil.Test.Spaces  \n"
				 "\t" SHA1_B ",\"Vigil.Test.Quoted\"\n", 5);
	const char *list = NULL;

	(void)state;
	/* a bare hash is named after its list; an IOC entry matches any size */
	assert_string_equal(find(h, SHA256_A, 5, &list), "c.ioc");
	assert_string_equal(list, "c.ioc");
	assert_string_equal(find(h, SHA256_A, 0, NULL), "c.ioc");
	assert_string_equal(find(h, MD5_A, 1000, &list), "Vigil.Test.Semicolon");
	assert_string_equal(list, "c.ioc");
	assert_string_equal(find(h, SHA1_A, 3, NULL), "Vigil.Test.Comma");
	assert_string_equal(find(h, MD5_B, 3, NULL), "Vigil.Test.Spaces");
	assert_string_equal(find(h, SHA1_B, 3, NULL), "Vigil.Test.Quoted");
	assert_null(find(h, SHA256_B, 5, NULL));
	hashdb_destroy(h);
}

static void
test_ioc_name_with_colon(void **state)
{
	/* Defender-style names carry a colon; in an IOC list the name is everything after ; or , */
	struct hashdb *h = db_of("ms.ioc",
				 SHA256_A ";Trojan:Win32/Vigil.A!ml\n"
				 SHA1_A ",Backdoor:Linux/Vigil.B\n", 2);

	(void)state;
	assert_string_equal(find(h, SHA256_A, 10, NULL), "Trojan:Win32/Vigil.A!ml");
	assert_string_equal(find(h, SHA1_A, 10, NULL), "Backdoor:Linux/Vigil.B");
	hashdb_destroy(h);
}

static void
test_uppercase_crlf_and_no_final_newline(void **state)
{
	char up[65];
	char text[512];
	struct hashdb *h;
	size_t i;

	(void)state;
	snprintf(up, sizeof(up), "%s", SHA256_B);
	for (i = 0; up[i]; i++)
		if (up[i] >= 'a' && up[i] <= 'f')
			up[i] = (char)(up[i] - 'a' + 'A');
	snprintf(text, sizeof(text),
		 "# windows\r\n"
		 "\r\n"
		 "%s;Vigil.Test.Upper\r\n"
		 "0123456789ABCDEF0123456789abcdef:12:Vigil.Test.Mixed\r\n"
		 SHA1_A, up);
	h = db_of("e.hashes", text, 3);
	/* no CR left at the end of a name, and the last line counts without its newline */
	assert_string_equal(find(h, SHA256_B, 1, NULL), "Vigil.Test.Upper");
	assert_string_equal(find(h, MD5_A, 12, NULL), "Vigil.Test.Mixed");
	assert_string_equal(find(h, SHA1_A, 1, NULL), "e.hashes");
	hashdb_destroy(h);
}

static void
test_parse_respects_len(void **state)
{
	const char *text = MD5_A ";First\n" MD5_B ";Second\n";
	struct hashdb *h = hashdb_create();
	int64_t added = 0, bad = 0;

	(void)state;
	assert_int_equal(hashdb_parse(h, "x.ioc", text, strlen(MD5_A ";First\n"), 0, &added, &bad,
				      NULL), VG_OK);
	assert_int_equal(added, 1);
	hashdb_seal(h);
	assert_string_equal(find(h, MD5_A, 1, NULL), "First");
	assert_null(find(h, MD5_B, 1, NULL));
	hashdb_destroy(h);
}

/* --- header lines ------------------------------------------------------------------------- */

static void
test_header_line_is_skipped(void **state)
{
	struct hashdb *h;

	(void)state;
	h = db_of("d.csv", "sha256,name\n" SHA256_A ",Vigil.Test.CSV\n", 1);
	assert_string_equal(find(h, SHA256_A, 1, NULL), "Vigil.Test.CSV");
	hashdb_destroy(h);
	h = db_of("d.ioc", "md5;name\r\n" MD5_A ";Vigil.Test.IOC\r\n", 1);
	assert_string_equal(find(h, MD5_A, 1, NULL), "Vigil.Test.IOC");
	hashdb_destroy(h);
	h = db_of("d.csv", "hash,threat name\n" SHA1_A ",Vigil.Test.Space\n", 1);
	assert_string_equal(find(h, SHA1_A, 1, NULL), "Vigil.Test.Space");
	hashdb_destroy(h);
}

static void
test_header_only_on_the_first_line(void **state)
{
	char msg[1024];

	(void)state;
	parse_fails("d.csv", SHA256_A ",One\nsha256,name\n" SHA256_B ",Two\n", msg, sizeof(msg));
	assert_non_null(strstr(msg, "d.csv:2:"));
	/* a first line of hex only is no header: its bad hash is an error */
	parse_fails("h.csv", "abcdef,name\n" SHA256_B ",Two\n", msg, sizeof(msg));
	assert_non_null(strstr(msg, "h.csv:1:"));
	/* nor is a ClamAV line with a broken hash */
	parse_fails("h.hdb", "md5:12:name\n" MD5_A ":12:X\n", msg, sizeof(msg));
	assert_non_null(strstr(msg, "h.hdb:1:"));
}

static void
test_header_only_list_adds_nothing(void **state)
{
	struct hashdb *h = hashdb_create();
	int64_t added = -1, bad = -1;

	(void)state;
	const char *text = "sha256,name\n# nothing\n\n";

	assert_int_equal(hashdb_parse(h, "e.csv", text, strlen(text), 0, &added, &bad, NULL), VG_OK);
	assert_int_equal(added, 0);
	assert_int_equal(bad, 0);
	hashdb_seal(h);
	assert_int_equal(hashdb_count(h), 0);
	hashdb_destroy(h);
}

/* --- errors ------------------------------------------------------------------------------- */

static void
test_error_names_source_and_line(void **state)
{
	char msg[1024];

	(void)state;
	parse_fails("/tmp/lists/bad.ioc",
		    "# comment\n"
		    "\n"
		    MD5_A "\n"
		    "   # indented comment\n"
		    "0123456789abcdef-nope;Bad\n"
		    MD5_B "\n", msg, sizeof(msg));
	assert_non_null(strstr(msg, "/tmp/lists/bad.ioc:5: "));
	/* CRLF lines count the same */
	parse_fails("crlf.ioc", MD5_A "\r\n\r\n" MD5_B "\r\nzz\r\n", msg, sizeof(msg));
	assert_non_null(strstr(msg, "crlf.ioc:4: "));
}

static void
test_each_malformed_line_is_refused(void **state)
{
	static const char *const bad[] = {
		MD5_A ":12",			/* HASH:SIZE without NAME */
		MD5_A ":12x:Name",		/* size not a number */
		MD5_A ":-1:Name",		/* negative size */
		MD5_A "::Name",			/* empty size */
		SHA256_A ": 1 2:Name",		/* size with a space inside */
		"0123456789abcdef0123456789abcde",	/* 31 hex digits */
		"0123456789abcdef0123456789abcdef0",	/* 33 hex digits */
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1",	/* 63 */
		"0123456789abcdef0123456789abcdeg;Name",	/* not hex */
		"g0112233445566778899aabbccddeeff00112233",	/* not hex, SHA-1 length */
		"just some words",
		";Name",
		":12:Name",
	};
	char text[256], msg[1024], want[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* on line 2, after a good line (line 1 could be taken for a header) */
		snprintf(text, sizeof(text), MD5_B "\n%s\n", bad[i]);
		parse_fails("m.lst", text, msg, sizeof(msg));
		snprintf(want, sizeof(want), "m.lst:2: ");
		if (strstr(msg, want) == NULL)
			fail_msg("line '%s': message '%s' lacks '%s'", bad[i], msg, want);
		assert_true(strlen(msg) > strlen(want)); /* and a reason follows */
	}
}

static void
test_line_too_long_is_refused(void **state)
{
	size_t n = 6000;
	char *text = malloc(n + 64), msg[1024];

	(void)state;
	assert_non_null(text);
	snprintf(text, n + 64, "%s;", MD5_A);
	memset(text + strlen(text), 'N', n);
	text[n] = '\0';
	strcat(text, "\n");
	parse_fails("long.ioc", text, msg, sizeof(msg));
	assert_non_null(strstr(msg, "long.ioc:1:"));
	free(text);
}

static void
test_skip_bad_counts_and_keeps_the_good(void **state)
{
	const char *text = MD5_A ";Good1\n"
			   "nonsense\n"
			   SHA1_A ":*:Good2\n"
			   MD5_B ":x:Bad\n"
			   "# comment\n"
			   SHA256_A "\n"
			   SHA256_B "0\n";
	struct hashdb *h = hashdb_create();
	int64_t added = -1, bad = -1;
	struct vg_error e;

	(void)state;
	vg_error_init(&e);
	assert_int_equal(hashdb_parse(h, "s.ioc", text, strlen(text), 1, &added, &bad, &e), VG_OK);
	assert_int_equal(e.code, VG_OK);
	assert_int_equal(added, 3);
	assert_int_equal(bad, 3);
	hashdb_seal(h);
	assert_int_equal(hashdb_count(h), 3);
	assert_string_equal(find(h, MD5_A, 1, NULL), "Good1");
	assert_string_equal(find(h, SHA1_A, 1, NULL), "Good2");
	assert_string_equal(find(h, SHA256_A, 1, NULL), "s.ioc");
	assert_null(find(h, MD5_B, 1, NULL));
	assert_null(find(h, SHA256_B, 1, NULL));
	/* the same text without skip_bad fails at the first bad line */
	{
		char msg[1024];

		parse_fails("s.ioc", text, msg, sizeof(msg));
		assert_non_null(strstr(msg, "s.ioc:2:"));
	}
	hashdb_destroy(h);
}

static void
test_added_counts_per_parse(void **state)
{
	struct hashdb *h = hashdb_create();

	(void)state;
	assert_int_equal(parse_ok(h, "one.ioc", MD5_A "\n" MD5_B "\n"), 2);
	assert_int_equal(parse_ok(h, "two.hsb", SHA1_A ":*:X\n"), 1);
	hashdb_seal(h);
	assert_int_equal(hashdb_count(h), 3);
	hashdb_destroy(h);
}

/* --- sealing, sizes, lookups -------------------------------------------------------------- */

static void
test_duplicates_are_removed_by_seal(void **state)
{
	struct hashdb *h = hashdb_create();

	(void)state;
	assert_int_equal(parse_ok(h, "dup.ioc", MD5_A ";Dup\n" SHA256_A "\n" MD5_A ";Dup\n"), 3);
	hashdb_seal(h);
	assert_string_equal(find(h, MD5_A, 1, NULL), "Dup");
	assert_string_equal(find(h, SHA256_A, 1, NULL), "dup.ioc");
	/* hashes.h: "Sort and deduplicate" — the same entry twice is one entry */
	assert_int_equal(hashdb_count(h), 2);
	hashdb_destroy(h);
}

static void
test_same_digest_with_two_sizes(void **state)
{
	struct hashdb *h = db_of("two.hdb",
				 MD5_A ":20:Vigil.Test.Twenty\n"
				 MD5_B ":5:Vigil.Test.Other\n"
				 MD5_A ":10:Vigil.Test.Ten\n", 3);

	(void)state;
	assert_int_equal(hashdb_count(h), 3);	/* two sizes are two entries */
	assert_string_equal(find(h, MD5_A, 10, NULL), "Vigil.Test.Ten");
	assert_string_equal(find(h, MD5_A, 20, NULL), "Vigil.Test.Twenty");
	assert_null(find(h, MD5_A, 15, NULL));
	assert_null(find(h, MD5_A, 30, NULL));
	assert_string_equal(find(h, MD5_B, 5, NULL), "Vigil.Test.Other");
	hashdb_destroy(h);
}

static void
test_star_alongside_sizes(void **state)
{
	struct hashdb *h = hashdb_create();
	const char *list = NULL, *name;

	(void)state;
	parse_ok(h, "sized.hsb", SHA1_A ":10:Vigil.Test.Ten\n");
	parse_ok(h, "any.hsb", SHA1_A ":*:Vigil.Test.Any\n");
	hashdb_seal(h);
	assert_int_equal(hashdb_count(h), 2);
	/* any other size: only the * entry fits */
	assert_string_equal(find(h, SHA1_A, 11, &list), "Vigil.Test.Any");
	assert_string_equal(list, "any.hsb");
	assert_string_equal(find(h, SHA1_A, 0, NULL), "Vigil.Test.Any");
	/* size 10: both fit, either is a hit */
	name = find(h, SHA1_A, 10, NULL);
	assert_non_null(name);
	assert_true(strcmp(name, "Vigil.Test.Ten") == 0 || strcmp(name, "Vigil.Test.Any") == 0);
	hashdb_destroy(h);
}

static void
test_lists_keep_their_names(void **state)
{
	struct hashdb *h = hashdb_create();
	const char *list = NULL;

	(void)state;
	parse_ok(h, "dir/first.ioc", MD5_A "\n" MD5_B ";Named\n");
	parse_ok(h, "other/second.hdb", SHA256_A ":*:Second\n");
	parse_ok(h, "third.csv", "sha1,name\n" SHA1_A ",third.csv\n" SHA1_B "\n");
	hashdb_seal(h);
	assert_string_equal(find(h, MD5_A, 1, &list), "first.ioc");
	assert_string_equal(list, "first.ioc");
	assert_string_equal(find(h, MD5_B, 1, &list), "Named");
	assert_string_equal(list, "first.ioc");
	assert_string_equal(find(h, SHA256_A, 1, &list), "Second");
	assert_string_equal(list, "second.hdb");
	assert_string_equal(find(h, SHA1_A, 1, &list), "third.csv");
	assert_string_equal(list, "third.csv");
	assert_string_equal(find(h, SHA1_B, 1, &list), "third.csv");
	assert_string_equal(list, "third.csv");
	hashdb_destroy(h);
}

static void
test_lookup_misses(void **state)
{
	struct hashdb *h = db_of("m.ioc",
				 "10000000000000000000000000000000;Low\n"
				 "80000000000000000000000000000000;Mid\n"
				 "f0000000000000000000000000000000;High\n", 3);

	(void)state;
	assert_string_equal(find(h, "10000000000000000000000000000000", 1, NULL), "Low");
	assert_string_equal(find(h, "80000000000000000000000000000000", 1, NULL), "Mid");
	assert_string_equal(find(h, "f0000000000000000000000000000000", 1, NULL), "High");
	/* below the first, between, above the last, differing in the last byte */
	assert_null(find(h, "00000000000000000000000000000000", 1, NULL));
	assert_null(find(h, "40000000000000000000000000000000", 1, NULL));
	assert_null(find(h, "ffffffffffffffffffffffffffffffff", 1, NULL));
	assert_null(find(h, "80000000000000000000000000000001", 1, NULL));
	assert_null(find(h, "7fffffffffffffffffffffffffffffff", 1, NULL));
	/* another algorithm's array is not searched, even with the same leading bytes */
	assert_null(find(h, "8000000000000000000000000000000000000000", 1, NULL));
	assert_null(find(h, "80000000000000000000000000000000"
			    "00000000000000000000000000000000", 1, NULL));
	hashdb_destroy(h);
}

static void
test_sha256_prefix_is_not_an_md5(void **state)
{
	struct hashdb *h = db_of("p.ioc", SHA256_A ";Long\n" MD5_B ";Short\n", 2);

	(void)state;
	/* the first 16 bytes of SHA256_A as an MD5 */
	assert_null(find(h, "000102030405060708090a0b0c0d0e0f", 1, NULL));
	assert_null(find(h, "000102030405060708090a0b0c0d0e0f10111213", 1, NULL));
	assert_string_equal(find(h, SHA256_A, 1, NULL), "Long");
	hashdb_destroy(h);
}

static void
test_empty_db(void **state)
{
	struct hashdb *h = hashdb_create();
	int a;

	(void)state;
	assert_non_null(h);
	hashdb_seal(h);
	assert_int_equal(hashdb_count(h), 0);
	for (a = 0; a < HASH__COUNT; a++)
		assert_false(hashdb_wants(h, (enum hash_algo)a));
	assert_null(find(h, MD5_A, 1, NULL));
	assert_null(find(h, SHA1_A, 1, NULL));
	assert_null(find(h, SHA256_A, 1, NULL));
	hashdb_destroy(h);
	/* NULL is an empty database */
	assert_int_equal(hashdb_count(NULL), 0);
	assert_false(hashdb_wants(NULL, HASH_SHA256));
	hashdb_destroy(NULL);
}

static void
test_wants_per_algorithm(void **state)
{
	struct hashdb *h;

	(void)state;
	h = db_of("md5.hdb", MD5_A ":1:X\n", 1);
	assert_true(hashdb_wants(h, HASH_MD5));
	assert_false(hashdb_wants(h, HASH_SHA1));
	assert_false(hashdb_wants(h, HASH_SHA256));
	hashdb_destroy(h);

	h = db_of("sha1.hsb", SHA1_A ":*:X\n", 1);
	assert_false(hashdb_wants(h, HASH_MD5));
	assert_true(hashdb_wants(h, HASH_SHA1));
	assert_false(hashdb_wants(h, HASH_SHA256));
	hashdb_destroy(h);

	h = db_of("sha256.ioc", SHA256_A "\n", 1);
	assert_false(hashdb_wants(h, HASH_MD5));
	assert_false(hashdb_wants(h, HASH_SHA1));
	assert_true(hashdb_wants(h, HASH_SHA256));
	hashdb_destroy(h);

	h = db_of("all.ioc", SHA256_A "\n" MD5_A "\n" SHA1_A "\n", 3);
	assert_true(hashdb_wants(h, HASH_MD5));
	assert_true(hashdb_wants(h, HASH_SHA1));
	assert_true(hashdb_wants(h, HASH_SHA256));
	hashdb_destroy(h);

	/* comments and a header only: nothing wanted */
	h = db_of("none.csv", "sha256,name\n# only a comment\n", 0);
	assert_false(hashdb_wants(h, HASH_MD5));
	assert_false(hashdb_wants(h, HASH_SHA1));
	assert_false(hashdb_wants(h, HASH_SHA256));
	hashdb_destroy(h);
}

static void
test_many_entries_in_any_order(void **state)
{
	enum { N = 20000 };
	size_t cap = (size_t)N * 80 + 64, used = 0, i;
	char *text = malloc(cap), hex[65], name[32];
	struct hashdb *h = hashdb_create();
	uint32_t x = 2463534242u;

	(void)state;
	assert_non_null(text);
	/* pseudo-random SHA-256 digests: i in the first 4 bytes (distinct), noise after */
	for (i = 0; i < N; i++) {
		size_t k;
		uint32_t key = (uint32_t)(i * 2654435761u);

		snprintf(hex, sizeof(hex), "%08x", key);
		for (k = 8; k < 64; k += 8) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			snprintf(hex + k, sizeof(hex) - k, "%08x", x);
		}
		used += (size_t)snprintf(text + used, cap - used, "%s;N%zu\n", hex, i);
	}
	assert_int_equal(parse_ok(h, "many.ioc", text), N);
	hashdb_seal(h);
	assert_int_equal(hashdb_count(h), N);
	/* every entry is found again under its own name; a changed last digit is a miss */
	for (i = 0, used = 0; i < N; i++) {
		char *nl = strchr(text + used, '\n'), *semi = strchr(text + used, ';');
		const char *got;

		memcpy(hex, text + used, 64);
		hex[64] = '\0';
		snprintf(name, sizeof(name), "N%zu", i);
		got = find(h, hex, 12345, NULL);
		if (got == NULL || strcmp(got, name) != 0)
			fail_msg("entry %zu (%s): got %s", i, hex, got ? got : "nothing");
		hex[63] = hex[63] == '0' ? '1' : '0';
		assert_null(find(h, hex, 12345, NULL));
		assert_non_null(semi);
		used = (size_t)(nl - text) + 1;
	}
	free(text);
	hashdb_destroy(h);
}

/* --- the saved form ------------------------------------------------------------------------ */

/* Offsets in the saved form's header (sigdb/hashes.h). */
enum { H_VERSION = 8, H_BOM = 12, H_HLEN = 16, H_RECLEN = 20, H_COUNT = 32, H_OFF = 56,
       H_STROFF = 80, H_STRLEN = 88, H_FILELEN = 96, H_SIZE = 104 };

static const char saved_text[] =
	MD5_A ":10:Vigil.Test.Ten\n"
	MD5_A ":20:Vigil.Test.Twenty\n"
	SHA1_A ":*:Vigil.Test.Sha1\n"
	SHA256_A ";Vigil.Test.Sha256\n"
	SHA256_B "\n";

/* A copy of the saved form of saved_text (malloc'd), its length in *len. */
static unsigned char *
saved_copy(size_t *len, size_t extra)
{
	struct hashdb *h = db_of("saved.hsb", saved_text, 5);
	const void *data;
	unsigned char *copy;

	hashdb_image(h, &data, len);
	assert_true(*len > H_SIZE);
	copy = calloc(1, *len + extra);
	assert_non_null(copy);
	memcpy(copy, data, *len);
	hashdb_destroy(h);
	return copy;
}

static void
test_saved_form_is_used_again(void **state)
{
	size_t len;
	unsigned char *img = saved_copy(&len, 0);
	struct hashdb *h = NULL;
	const char *list = NULL;
	struct vg_error e;
	uint64_t u;

	(void)state;
	assert_memory_equal(img, "VIGILHDB", 8);
	memcpy(&u, img + H_FILELEN, 8);
	assert_int_equal(u, len);
	/* sizes only where an entry has one: MD5 (sizes) 16 + 8 + 8, SHA-1 and SHA-256 (none,
	 * or *) their digest + 8 */
	assert_int_equal(*(uint32_t *)(img + H_RECLEN), 32);
	assert_int_equal(*(uint32_t *)(img + H_RECLEN + 4), 28);
	assert_int_equal(*(uint32_t *)(img + H_RECLEN + 8), 40);
	vg_error_init(&e);
	if (hashdb_open_image(img, len, &h, &e) != VG_OK)
		fail_msg("hashdb_open_image: %s", vg_error_msg(&e));
	assert_int_equal(hashdb_count(h), 5);
	assert_true(hashdb_wants(h, HASH_MD5));
	assert_true(hashdb_wants(h, HASH_SHA1));
	assert_true(hashdb_wants(h, HASH_SHA256));
	assert_string_equal(find(h, MD5_A, 10, &list), "Vigil.Test.Ten");
	assert_string_equal(list, "saved.hsb");
	assert_string_equal(find(h, MD5_A, 20, NULL), "Vigil.Test.Twenty");
	assert_null(find(h, MD5_A, 15, NULL));
	assert_string_equal(find(h, SHA1_A, 7, NULL), "Vigil.Test.Sha1");
	assert_string_equal(find(h, SHA256_A, 1, NULL), "Vigil.Test.Sha256");
	assert_string_equal(find(h, SHA256_B, 1, NULL), "saved.hsb");
	assert_null(find(h, MD5_B, 10, NULL));
	/* the names are borrowed from the bytes given */
	assert_true(find(h, SHA256_B, 1, NULL) >= (const char *)img &&
		    find(h, SHA256_B, 1, NULL) < (const char *)img + len);
	hashdb_destroy(h);
	free(img);
}

static void
test_saved_form_is_the_same_for_the_same_lists(void **state)
{
	size_t a_len, b_len;
	unsigned char *a = saved_copy(&a_len, 0), *b = saved_copy(&b_len, 0);

	(void)state;
	assert_int_equal(a_len, b_len);
	assert_memory_equal(a, b, a_len);
	free(a);
	free(b);
}

/* Open img (len bytes) expecting a refusal; the test fails when it is used. */
static void
refused(const unsigned char *img, size_t len, const char *what)
{
	struct hashdb *h = NULL;
	struct vg_error e;

	vg_error_init(&e);
	if (hashdb_open_image(img, len, &h, &e) != VG_RULES)
		fail_msg("%s: used, not refused", what);
	assert_null(h);
	assert_true(vg_error_msg(&e)[0] != '\0');
}

static void
patch_u32(unsigned char *img, size_t at, uint32_t v)
{
	memcpy(img + at, &v, 4);
}

static void
patch_u64(unsigned char *img, size_t at, uint64_t v)
{
	memcpy(img + at, &v, 8);
}

static void
test_saved_form_damaged_is_refused(void **state)
{
	size_t len, cut;
	unsigned char *good = saved_copy(&len, 16), *img = malloc(len + 16);
	uint64_t count;

	(void)state;
	assert_non_null(img);
	/* truncated anywhere: inside the header, inside the records, by one byte */
	for (cut = 0; cut < len; cut += (cut < H_SIZE + 8 ? 1 : 7))
		refused(good, cut, "truncated");
	refused(good, len - 1, "one byte short");
	/* extended: the length in the header is not the length given */
	refused(good, len + 8, "extended");
#define FRESH() memcpy(img, good, len)
	FRESH();
	img[0] = 'X';
	refused(img, len, "bad magic");
	FRESH();
	patch_u32(img, H_VERSION, 2);
	refused(img, len, "another version");
	FRESH();
	patch_u32(img, H_BOM, 0x04030201u);
	refused(img, len, "another byte order");
	FRESH();
	patch_u32(img, H_HLEN, 112);
	refused(img, len, "header length");
	FRESH();
	patch_u32(img, H_RECLEN + 8, 44);
	refused(img, len, "record length");
	FRESH();
	patch_u32(img, H_RECLEN, 40);
	refused(img, len, "record length of another size field");
	FRESH();
	memcpy(&count, img + H_COUNT + 16, 8);
	patch_u64(img, H_COUNT + 16, count + 1);
	refused(img, len, "one SHA-256 record too many");
	FRESH();
	patch_u64(img, H_COUNT + 16, UINT64_MAX / 40);
	refused(img, len, "a huge count");
	FRESH();
	patch_u64(img, H_OFF, 96);
	refused(img, len, "records over the header");
	FRESH();
	patch_u64(img, H_STROFF, 0);
	refused(img, len, "strings over the header");
	FRESH();
	patch_u64(img, H_STRLEN, 1);
	refused(img, len, "a short string table");
	FRESH();
	patch_u64(img, H_FILELEN, len + 1);
	refused(img, len, "the file length");
	FRESH();
	img[len - 1] = 'x';
	refused(img, len, "a string table without its final NUL");
	/* foreign bytes: a text list is not a saved form */
	refused((const unsigned char *)saved_text, sizeof(saved_text) - 1, "a text list");
#undef FRESH
	free(img);
	free(good);
}

/* A record naming a string outside the table is never returned (the others still are). */
static void
test_saved_form_name_outside_strings_is_a_miss(void **state)
{
	size_t len;
	unsigned char *img = saved_copy(&len, 0);
	struct hashdb *h = NULL;
	uint64_t off, n;
	uint32_t bad = UINT32_MAX;

	(void)state;
	/* the first SHA-256 record is SHA256_A's (sorted): its name offset follows the digest */
	memcpy(&off, img + H_OFF + 16, 8);
	memcpy(&n, img + H_COUNT + 16, 8);
	assert_int_equal(n, 2);
	memcpy(img + off + 32, &bad, 4);
	assert_int_equal(hashdb_open_image(img, len, &h, NULL), VG_OK);
	assert_null(find(h, SHA256_A, 1, NULL));
	assert_string_equal(find(h, SHA256_B, 1, NULL), "saved.hsb");
	hashdb_destroy(h);
	free(img);
}

static void
test_parse_after_seal_is_refused(void **state)
{
	struct hashdb *h = db_of("one.ioc", SHA256_A "\n", 1);
	int64_t added = 0, bad = 0;
	struct vg_error e;

	(void)state;
	vg_error_init(&e);
	assert_int_equal(hashdb_parse(h, "two.ioc", SHA256_B "\n", 65, 0, &added, &bad, &e),
			 VG_INVAL);
	assert_int_equal(hashdb_count(h), 1);
	assert_null(find(h, SHA256_B, 1, NULL));
	/* sealing again changes nothing */
	assert_int_equal(hashdb_seal(h), VG_OK);
	assert_string_equal(find(h, SHA256_A, 1, NULL), "one.ioc");
	hashdb_destroy(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdb_md5_with_size),
		cmocka_unit_test(test_hsb_sha1_and_sha256_star_and_flevel),
		cmocka_unit_test(test_ioc_bare_semicolon_and_comma),
		cmocka_unit_test(test_ioc_name_with_colon),
		cmocka_unit_test(test_uppercase_crlf_and_no_final_newline),
		cmocka_unit_test(test_parse_respects_len),
		cmocka_unit_test(test_header_line_is_skipped),
		cmocka_unit_test(test_header_only_on_the_first_line),
		cmocka_unit_test(test_header_only_list_adds_nothing),
		cmocka_unit_test(test_error_names_source_and_line),
		cmocka_unit_test(test_each_malformed_line_is_refused),
		cmocka_unit_test(test_line_too_long_is_refused),
		cmocka_unit_test(test_skip_bad_counts_and_keeps_the_good),
		cmocka_unit_test(test_added_counts_per_parse),
		cmocka_unit_test(test_duplicates_are_removed_by_seal),
		cmocka_unit_test(test_same_digest_with_two_sizes),
		cmocka_unit_test(test_star_alongside_sizes),
		cmocka_unit_test(test_lists_keep_their_names),
		cmocka_unit_test(test_lookup_misses),
		cmocka_unit_test(test_sha256_prefix_is_not_an_md5),
		cmocka_unit_test(test_empty_db),
		cmocka_unit_test(test_wants_per_algorithm),
		cmocka_unit_test(test_many_entries_in_any_order),
		cmocka_unit_test(test_saved_form_is_used_again),
		cmocka_unit_test(test_saved_form_is_the_same_for_the_same_lists),
		cmocka_unit_test(test_saved_form_damaged_is_refused),
		cmocka_unit_test(test_saved_form_name_outside_strings_is_a_miss),
		cmocka_unit_test(test_parse_after_seal_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
