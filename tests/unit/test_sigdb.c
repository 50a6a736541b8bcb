/*
 * tests/unit/test_sigdb.c — sigdb/sigdb.h with a real store and real YARA: the embedded
 * rules, the saved compiled file, imports (good, broken, folders, external variables,
 * includes), removal, reference counting, the large public rule set when present, and the
 * translation of libyara's error codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/jsonx.h"
#include "core/path.h"
#include "core/store.h"
#include "sigdb/sigdb.h"
#include "tests/unit/util.h"

struct fx {
	char base[64];
	char state[128];
	char src[128];	/* rule files are written here */
	struct store *st;
};

static int
group_setup(void **state)
{
	(void)state;
	return sigdb_global_init(NULL) == VG_OK ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	sigdb_global_finish();
	return 0;
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (vt_mkdtemp(f->base, sizeof(f->base), "vigil-sigdb") == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->state, sizeof(f->state), "%s/state", f->base);
	snprintf(f->src, sizeof(f->src), "%s/src", f->base);
	if (mkdir(f->src, 0700) != 0 || store_open(f->state, &f->st, NULL) != VG_OK) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	vt_rm_rf(f->base);
	free(f);
	return 0;
}

/* Write text to dir/name; returns the path (static buffer, one at a time). */
static const char *
write_rule(const char *dir, const char *name, const char *text)
{
	static char path[256];

	assert_int_equal(vt_write_file(dir, name, text, strlen(text)), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static struct sigdb *
open_db(struct fx *f)
{
	struct sigdb *db = NULL;
	struct vg_error e;

	vg_error_init(&e);
	if (sigdb_open(f->st, f->state, &db, &e) != VG_OK)
		fail_msg("sigdb_open: %s", vg_error_msg(&e));
	assert_non_null(db);
	return db;
}

/* The compiled files in the state folder: how many, and the name of the last. */
static int
count_yarc(const char *dir, char *name, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int count = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (strncmp(e->d_name, "rules-", 6) == 0 && l > 5 &&
		    strcmp(e->d_name + l - 5, ".yarc") == 0) {
			count++;
			if (name)
				snprintf(name, n, "%s/%s", dir, e->d_name);
		}
	}
	closedir(d);
	return count;
}

static int
has_rule(const struct sigdb *db, const char *ns, const char *id)
{
	YR_RULES *rules = sigdb_rules(db);
	YR_RULE *r;

	yr_rules_foreach(rules, r)
		if (strcmp(r->identifier, id) == 0 && strcmp(r->ns->name, ns) == 0)
			return 1;
	return 0;
}

static int
is_lower_hex(const char *s, size_t n)
{
	size_t i;

	if (strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static const char good_rules[] =
	"rule unit_good_one\n"
	"{\n"
	"    strings: $a = \"vigil-unit-marker-one\"\n"
	"    condition: $a\n"
	"}\n"
	"rule unit_good_two { condition: filesize == 12345 }\n";

/* the error is on line 4: "and" with nothing after it */
static const char bad_rules[] =
	"rule unit_fine { condition: true }\n"
	"\n"
	"rule unit_broken {\n"
	"    condition: true and }\n";

/* ---- opening ---- */

static void
test_open_fresh_store(void **state)
{
	struct fx *f = *state;
	struct sigdb *db = open_db(f);
	char yarc[256], *v = NULL;
	struct stat sb;

	assert_int_equal(sigdb_version(db), 1);
	assert_true(is_lower_hex(sigdb_digest(db), 64));
	assert_true(sigdb_rule_count(db) >= 5);
	assert_non_null(sigdb_rules(db));
	assert_true(has_rule(db, "vigil", "EICAR_Test_File"));
	assert_int_equal(count_yarc(f->state, yarc, sizeof(yarc)), 1);
	/* named by the digest of the sources */
	assert_non_null(strstr(yarc, "rules-"));
	assert_int_equal(strncmp(strstr(yarc, "rules-") + 6, sigdb_digest(db), 16), 0);
	assert_int_equal(stat(yarc, &sb), 0);
	assert_int_equal(sb.st_mode & 0077, 0);
	assert_int_equal(store_meta_get(f->st, "sig_version", &v, NULL), VG_OK);
	assert_string_equal(v, "1");
	free(v);
	sigdb_release(db);
}

static void
test_open_again_loads_saved_file(void **state)
{
	struct fx *f = *state;
	struct sigdb *db = open_db(f);
	char yarc[256], digest[65];
	int64_t count = sigdb_rule_count(db);
	struct stat before, after;
	FILE *fp;

	snprintf(digest, sizeof(digest), "%s", sigdb_digest(db));
	sigdb_release(db);
	assert_int_equal(count_yarc(f->state, yarc, sizeof(yarc)), 1);
	assert_int_equal(stat(yarc, &before), 0);

	db = open_db(f);
	assert_int_equal(sigdb_version(db), 1);
	assert_string_equal(sigdb_digest(db), digest);
	assert_int_equal(sigdb_rule_count(db), count);
	sigdb_release(db);
	/* loaded, not compiled and saved again (that would rename a new file into place) */
	assert_int_equal(stat(yarc, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_int_equal(count_yarc(f->state, NULL, 0), 1);

	/* a damaged compiled file is compiled again, not trusted; the version stays */
	fp = fopen(yarc, "w");
	assert_non_null(fp);
	fputs("garbage", fp);
	fclose(fp);
	db = open_db(f);
	assert_int_equal(sigdb_version(db), 1);
	assert_int_equal(sigdb_rule_count(db), count);
	sigdb_release(db);
	assert_int_equal(stat(yarc, &after), 0);
	assert_true(after.st_size > 100);
}

/* Compile text with libyara and save it at path, as an attacker's yarac would. */
static void
save_foreign_yarc(const char *text, const char *path)
{
	YR_COMPILER *c = NULL;
	YR_RULES *r = NULL;

	assert_int_equal(yr_compiler_create(&c), ERROR_SUCCESS);
	assert_int_equal(yr_compiler_add_string(c, text, NULL), 0);
	assert_int_equal(yr_compiler_get_rules(c, &r), ERROR_SUCCESS);
	assert_int_equal(yr_rules_save(r, path), ERROR_SUCCESS);
	yr_rules_destroy(r);
	yr_compiler_destroy(c);
}

/* The SHA-256 the store recorded for the compiled file of digest (malloc'd, or NULL). */
static char *
recorded_sha(struct fx *f, const char *digest)
{
	char key[128], *v = NULL;

	snprintf(key, sizeof(key), "yarc_sha256.%s", digest);
	assert_int_equal(store_meta_get(f->st, key, &v, NULL), VG_OK);
	return v;
}

/*
 * A compiled file is loaded only when its SHA-256 is the one recorded in the store when vigil
 * saved it: a planted one (a valid .yarc whose EICAR rule is "condition: false") or one with
 * no record is compiled again from the sources; the genuine one is loaded as it is.
 */
static void
test_tampered_compiled_file_is_compiled_again(void **state)
{
	struct fx *f = *state;
	struct sigdb *db = open_db(f);
	char yarc[256], digest[65], hex[65], *rec;
	int64_t count = sigdb_rule_count(db);
	struct stat before, after;

	snprintf(digest, sizeof(digest), "%s", sigdb_digest(db));
	sigdb_release(db);
	assert_int_equal(count_yarc(f->state, yarc, sizeof(yarc)), 1);
	/* the SHA-256 of the saved file is recorded */
	rec = recorded_sha(f, digest);
	assert_non_null(rec);
	assert_int_equal(vg_sha256_file(yarc, hex, NULL), VG_OK);
	assert_string_equal(rec, hex);
	free(rec);

	/* the genuine file is loaded (not compiled and saved again) */
	assert_int_equal(stat(yarc, &before), 0);
	db = open_db(f);
	assert_int_equal(stat(yarc, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_true(has_rule(db, "vigil", "EICAR_Test_File"));
	assert_int_equal(sigdb_compiled_size(db), before.st_size);
	sigdb_release(db);

	/* planted in its place: not loaded, the real rules compiled again and recorded */
	unlink(yarc);
	save_foreign_yarc("rule EICAR_Test_File { condition: false }", yarc);
	assert_int_equal(stat(yarc, &before), 0);
	db = open_db(f);
	assert_string_equal(sigdb_digest(db), digest);
	assert_int_equal(sigdb_rule_count(db), count);
	assert_true(has_rule(db, "vigil", "EICAR_Test_File"));
	assert_false(has_rule(db, "default", "EICAR_Test_File"));
	sigdb_release(db);
	assert_int_equal(count_yarc(f->state, NULL, 0), 1);
	assert_int_equal(stat(yarc, &after), 0);
	assert_true(after.st_ino != before.st_ino);
	rec = recorded_sha(f, digest);
	assert_int_equal(vg_sha256_file(yarc, hex, NULL), VG_OK);
	assert_string_equal(rec, hex);
	free(rec);

	/* a file the store has no record of is not loaded either */
	assert_int_equal(store_meta_get(f->st, "sig_version", &rec, NULL), VG_OK);
	free(rec);
	{
		char key[128];

		snprintf(key, sizeof(key), "yarc_sha256.%s", digest);
		assert_int_equal(store_meta_delete(f->st, key, NULL), VG_OK);
	}
	unlink(yarc);
	save_foreign_yarc("rule EICAR_Test_File { condition: false }", yarc);
	db = open_db(f);
	assert_true(has_rule(db, "vigil", "EICAR_Test_File"));
	assert_false(has_rule(db, "default", "EICAR_Test_File"));
	sigdb_release(db);
	rec = recorded_sha(f, digest);
	assert_non_null(rec);
	free(rec);

	/* a symbolic link in its place is not followed: compiled again, the link replaced */
	unlink(yarc);
	save_foreign_yarc("rule EICAR_Test_File { condition: false }", "/tmp/vigil-unit-planted.yarc");
	assert_int_equal(symlink("/tmp/vigil-unit-planted.yarc", yarc), 0);
	db = open_db(f);
	assert_true(has_rule(db, "vigil", "EICAR_Test_File"));
	sigdb_release(db);
	assert_int_equal(lstat(yarc, &after), 0);
	assert_true(S_ISREG(after.st_mode));
	unlink("/tmp/vigil-unit-planted.yarc");
}

/* ---- importing ---- */

static void
test_import_good_file(void **state)
{
	struct fx *f = *state;
	struct sigdb *db = open_db(f);
	int64_t base = sigdb_rule_count(db);
	json_t *imported = NULL, *list, *o;
	struct vg_error e;
	const char *path;
	unsigned char d[32];
	char hex[65];

	sigdb_release(db);
	path = write_rule(f->src, "good.yar", good_rules);
	vg_error_init(&e);
	if (sigdb_import(f->st, f->state, path, &imported, &e) != VG_OK)
		fail_msg("import: %s", vg_error_msg(&e));
	assert_int_equal(json_array_size(imported), 1);
	o = json_array_get(imported, 0);
	assert_string_equal(json_string_value(json_object_get(o, "name")), "good.yar");
	assert_int_equal(json_integer_value(json_object_get(o, "rules")), 2);
	json_decref(imported);

	db = open_db(f);
	assert_int_equal(sigdb_version(db), 2);
	assert_int_equal(sigdb_rule_count(db), base + 2);
	/* every source in its own namespace, the defaults still there */
	assert_true(has_rule(db, "good.yar", "unit_good_one"));
	assert_true(has_rule(db, "vigil", "EICAR_Test_File"));
	sigdb_release(db);
	assert_int_equal(count_yarc(f->state, NULL, 0), 1);

	assert_int_equal(store_sig_list_json(f->st, &list, NULL), VG_OK);
	assert_int_equal(json_array_size(list), 1);
	o = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(o, "name")), "good.yar");
	assert_int_equal(json_integer_value(json_object_get(o, "rules")), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "bytes")), strlen(good_rules));
	EVP_Digest(good_rules, strlen(good_rules), d, NULL, EVP_sha256(), NULL);
	vg_hex(d, 32, hex);
	assert_string_equal(json_string_value(json_object_get(o, "sha256")), hex);
	json_decref(list);

	/* the same file again changes no source: no new version */
	assert_int_equal(sigdb_import(f->st, f->state, path, NULL, NULL), VG_OK);
	db = open_db(f);
	assert_int_equal(sigdb_version(db), 2);
	assert_int_equal(sigdb_rule_count(db), base + 2);
	sigdb_release(db);
}

/* sigdb.h: "*imported receives [{name, rules, sha256}] for the new sources". */
static void
test_import_reports_sha256(void **state)
{
	struct fx *f = *state;
	json_t *imported = NULL, *sha;
	const char *path = write_rule(f->src, "good.yar", good_rules);
	unsigned char d[32];
	char hex[65];

	char got[80] = "";
	size_t n;

	assert_int_equal(sigdb_import(f->st, f->state, path, &imported, NULL), VG_OK);
	n = json_array_size(imported);
	sha = json_object_get(json_array_get(imported, 0), "sha256");
	if (json_is_string(sha))
		snprintf(got, sizeof(got), "%s", json_string_value(sha));
	json_decref(imported);
	assert_int_equal(n, 1);
	EVP_Digest(good_rules, strlen(good_rules), d, NULL, EVP_sha256(), NULL);
	vg_hex(d, 32, hex);
	if (got[0] == '\0')
		fail_msg("imported entry has no \"sha256\" (sigdb.h promises it)");
	assert_string_equal(got, hex);
}

static void
test_import_syntax_error_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct sigdb *db;
	char where[300], good[256];
	int64_t count;
	json_t *imported = NULL, *list;
	struct vg_error e;
	const char *path;

	sigdb_release(open_db(f));
	snprintf(good, sizeof(good), "%s", write_rule(f->src, "good.yar", good_rules));
	assert_int_equal(sigdb_import(f->st, f->state, good, NULL, NULL), VG_OK);
	db = open_db(f);
	assert_int_equal(sigdb_version(db), 2);
	count = sigdb_rule_count(db);
	sigdb_release(db);

	path = write_rule(f->src, "bad.yar", bad_rules);
	snprintf(where, sizeof(where), "%s:4:", path);
	vg_error_init(&e);
	assert_int_equal(sigdb_import(f->st, f->state, path, &imported, &e), VG_RULES);
	assert_int_equal(e.code, VG_RULES);
	if (strstr(e.msg, where) == NULL)
		fail_msg("error '%s' does not start with '%s'", e.msg, where);
	assert_null(imported);

	db = open_db(f);
	assert_int_equal(sigdb_version(db), 2);
	assert_int_equal(sigdb_rule_count(db), count);
	assert_false(has_rule(db, "bad.yar", "unit_fine"));
	sigdb_release(db);
	assert_int_equal(store_sig_list_json(f->st, &list, NULL), VG_OK);
	assert_int_equal(json_array_size(list), 1);
	json_decref(list);
	assert_int_equal(count_yarc(f->state, NULL, 0), 1);
}

static void
test_import_folder_with_a_bad_file_imports_nothing(void **state)
{
	struct fx *f = *state;
	struct sigdb *db = open_db(f);
	int64_t base = sigdb_rule_count(db);
	char dir[192], bad[256], good[256];
	json_t *list, *imported = NULL;
	struct vg_error e;

	sigdb_release(db);
	snprintf(dir, sizeof(dir), "%s/rules.d", f->src);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(good, sizeof(good), "%s", write_rule(dir, "a_good.yar", good_rules));
	snprintf(bad, sizeof(bad), "%s", write_rule(dir, "z_bad.yara", bad_rules));
	/* not a rule file by its name: never read */
	write_rule(dir, "notes.txt", "this would not compile {");

	vg_error_init(&e);
	assert_int_equal(sigdb_import(f->st, f->state, dir, &imported, &e), VG_RULES);
	assert_null(imported);
	assert_non_null(strstr(e.msg, bad));
	assert_null(strstr(e.msg, good));
	assert_null(strstr(e.msg, "notes.txt"));
	assert_int_equal(store_sig_list_json(f->st, &list, NULL), VG_OK);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	db = open_db(f);
	assert_int_equal(sigdb_version(db), 1);
	assert_int_equal(sigdb_rule_count(db), base);
	sigdb_release(db);

	/* without the bad file the folder imports, each file as its own source */
	assert_int_equal(unlink(bad), 0);
	write_rule(dir, "b_more.yara", "rule unit_more { condition: false }\n");
	assert_int_equal(sigdb_import(f->st, f->state, dir, &imported, NULL), VG_OK);
	assert_int_equal(json_array_size(imported), 2);
	json_decref(imported);
	db = open_db(f);
	assert_int_equal(sigdb_version(db), 2);
	assert_int_equal(sigdb_rule_count(db), base + 3);
	assert_true(has_rule(db, "b_more.yara", "unit_more"));
	sigdb_release(db);
}

static void
test_import_missing_path(void **state)
{
	struct fx *f = *state;
	char path[192];
	struct vg_error e;

	snprintf(path, sizeof(path), "%s/nothing-here.yar", f->src);
	vg_error_init(&e);
	assert_int_equal(sigdb_import(f->st, f->state, path, NULL, &e), VG_NOENT);
	assert_non_null(strstr(e.msg, path));
	vg_error_init(&e);
	/* a folder with no rule files */
	assert_int_equal(sigdb_import(f->st, f->state, f->src, NULL, &e), VG_NOENT);
}

static void
test_external_variables_compile(void **state)
{
	struct fx *f = *state;
	struct vg_error e;
	const char *path;
	int i;

	/* filename, filepath, extension, filetype, owner (LOKI's) and fullpath (filename IOCs) */
	for (i = 0; sigdb_external_vars[i]; i++)
		;
	assert_int_equal(i, 6);
	assert_string_equal(sigdb_external_vars[5], "fullpath");
	path = write_rule(f->src, "ext.yar",
			  "rule unit_ext\n"
			  "{\n"
			  "    condition:\n"
			  "        filename == \"sudoers\" and filepath contains \"/etc\" and\n"
			  "        extension == \".exe\" and filetype == \"EXE\" and owner == \"root\"\n"
			  "}\n");
	vg_error_init(&e);
	if (sigdb_import(f->st, f->state, path, NULL, &e) != VG_OK)
		fail_msg("import: %s", vg_error_msg(&e));
	/* an identifier that is not one of them is still an error */
	path = write_rule(f->src, "undef.yar", "rule unit_undef { condition: no_such_var == 1 }\n");
	vg_error_init(&e);
	assert_int_equal(sigdb_import(f->st, f->state, path, NULL, &e), VG_RULES);
	assert_non_null(strstr(e.msg, "undef.yar:1:"));
}

static void
test_include_is_refused(void **state)
{
	struct fx *f = *state;
	char other[256];
	struct vg_error e;
	struct sigdb *db;
	const char *path;
	json_t *list;

	snprintf(other, sizeof(other), "%s", write_rule(f->src, "other.yar",
							"rule unit_included { condition: true }\n"));
	/* by absolute path, so that it would be found if includes were allowed */
	{
		char text[512];

		snprintf(text, sizeof(text), "include \"%s\"\nrule unit_includer { condition: true }\n",
			 other);
		path = write_rule(f->src, "includer.yar", text);
	}
	vg_error_init(&e);
	assert_int_equal(sigdb_import(f->st, f->state, path, NULL, &e), VG_RULES);
	assert_non_null(strstr(e.msg, "includer.yar:1:"));
	assert_int_equal(store_sig_list_json(f->st, &list, NULL), VG_OK);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
	db = open_db(f);
	assert_false(has_rule(db, "includer.yar", "unit_included"));
	assert_int_equal(sigdb_version(db), 1);
	sigdb_release(db);
}

static void
test_remove_restores_rule_count(void **state)
{
	struct fx *f = *state;
	struct sigdb *db = open_db(f);
	int64_t base = sigdb_rule_count(db), v;
	struct vg_error e;

	sigdb_release(db);
	assert_int_equal(sigdb_import(f->st, f->state, write_rule(f->src, "good.yar", good_rules),
				      NULL, NULL), VG_OK);
	db = open_db(f);
	assert_int_equal(sigdb_rule_count(db), base + 2);
	v = sigdb_version(db);
	sigdb_release(db);

	vg_error_init(&e);
	if (sigdb_remove(f->st, f->state, "good.yar", &e) != VG_OK)
		fail_msg("remove: %s", vg_error_msg(&e));
	db = open_db(f);
	assert_int_equal(sigdb_rule_count(db), base);
	assert_true(sigdb_version(db) > v);
	assert_false(has_rule(db, "good.yar", "unit_good_one"));
	v = sigdb_version(db);
	sigdb_release(db);
	assert_int_equal(count_yarc(f->state, NULL, 0), 1);

	vg_error_init(&e);
	assert_int_equal(sigdb_remove(f->st, f->state, "good.yar", &e), VG_NOTFOUND);
	assert_non_null(strstr(e.msg, "good.yar"));
	db = open_db(f);
	assert_int_equal(sigdb_version(db), v);
	sigdb_release(db);
}

/*
 * The embedded rules live in namespace "vigil"; an imported file that happens to be named
 * "vigil" must not replace them (sources are keyed by name).
 */
static void
test_import_named_like_embedded_keeps_defaults(void **state)
{
	struct fx *f = *state;
	struct sigdb *db = open_db(f);
	int64_t base = sigdb_rule_count(db), now;
	const char *path;
	enum vg_err rc;
	int kept;

	sigdb_release(db);
	path = write_rule(f->src, "vigil", "rule unit_user_rule { condition: false }\n");
	rc = sigdb_import(f->st, f->state, path, NULL, NULL);
	db = open_db(f);
	kept = has_rule(db, "vigil", "EICAR_Test_File");
	now = sigdb_rule_count(db);
	sigdb_release(db);
	if (!kept)
		fail_msg("importing a file named 'vigil' (rc %d) dropped the embedded rules: "
			 "%lld rules active, %lld before", rc, (long long)now, (long long)base);
	if (rc == VG_OK)
		assert_int_equal(now, base + 1);
}

/* ---- reference counting ---- */

static int
count_cb(YR_SCAN_CONTEXT *ctx, int msg, void *data, void *user)
{
	(void)ctx;
	(void)data;
	if (msg == CALLBACK_MSG_RULE_MATCHING)
		(*(int *)user)++;
	return CALLBACK_CONTINUE;
}

static void *
retain_release_loop(void *p)
{
	struct sigdb *db = p;
	int i;

	for (i = 0; i < 20000; i++)
		sigdb_release(sigdb_retain(db));
	return NULL;
}

static void
test_retain_release(void **state)
{
	struct fx *f = *state;
	struct sigdb *db = open_db(f), *r;
	char eicar[80];
	pthread_t t[4];
	int i, hits = 0;

	assert_ptr_equal(sigdb_retain(db), db);
	r = sigdb_retain(db);
	assert_ptr_equal(r, db);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, retain_release_loop, db), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	sigdb_release(db);
	sigdb_release(db);
	/* one reference left: the rules must still be usable */
	vt_eicar(eicar, sizeof(eicar));
	assert_int_equal(yr_rules_scan_mem(sigdb_rules(r), (const uint8_t *)eicar, strlen(eicar), 0,
					   count_cb, &hits, 0), ERROR_SUCCESS);
	assert_int_equal(hits, 1);
	sigdb_release(r);
	sigdb_release(NULL);
}

/* ---- the large public rule set ---- */

static void
test_import_large_public_rules(void **state)
{
	struct fx *f = *state;
	const char *shared = getenv("VIGIL_SHARED");
	char path[512];
	struct vg_error e;
	struct sigdb *db;
	int64_t base;

	snprintf(path, sizeof(path), "%s/yara/large.yar", shared && *shared ? shared : "../shared");
	if (access(path, R_OK) != 0) {
		print_message("skipping: '%s' not found (set VIGIL_SHARED)\n", path);
		skip();
	}
	db = open_db(f);
	base = sigdb_rule_count(db);
	sigdb_release(db);
	vg_error_init(&e);
	if (sigdb_import(f->st, f->state, path, NULL, &e) != VG_OK)
		fail_msg("import '%s': %s", path, vg_error_msg(&e));
	db = open_db(f);
	if (sigdb_rule_count(db) < 5234)
		fail_msg("%lld rules active, expected at least 5234",
			 (long long)sigdb_rule_count(db));
	print_message("%s: %lld rules active\n", path, (long long)sigdb_rule_count(db));
	assert_true(sigdb_rule_count(db) > base);
	assert_int_equal(sigdb_version(db), 2);
	sigdb_release(db);
}

/* ---- libyara's error codes ---- */

#define Y(name) { name, #name }
/* every ERROR_* of libyara 4.2's yara/error.h */
static const struct {
	int code;
	const char *name;
} yara_codes[] = {
	Y(ERROR_SUCCESS), Y(ERROR_INSUFICIENT_MEMORY), Y(ERROR_INSUFFICIENT_MEMORY),
	Y(ERROR_COULD_NOT_ATTACH_TO_PROCESS), Y(ERROR_COULD_NOT_OPEN_FILE),
	Y(ERROR_COULD_NOT_MAP_FILE), Y(ERROR_INVALID_FILE), Y(ERROR_CORRUPT_FILE),
	Y(ERROR_UNSUPPORTED_FILE_VERSION), Y(ERROR_INVALID_REGULAR_EXPRESSION),
	Y(ERROR_INVALID_HEX_STRING), Y(ERROR_SYNTAX_ERROR), Y(ERROR_LOOP_NESTING_LIMIT_EXCEEDED),
	Y(ERROR_DUPLICATED_LOOP_IDENTIFIER), Y(ERROR_DUPLICATED_IDENTIFIER),
	Y(ERROR_DUPLICATED_TAG_IDENTIFIER), Y(ERROR_DUPLICATED_META_IDENTIFIER),
	Y(ERROR_DUPLICATED_STRING_IDENTIFIER), Y(ERROR_UNREFERENCED_STRING),
	Y(ERROR_UNDEFINED_STRING), Y(ERROR_UNDEFINED_IDENTIFIER),
	Y(ERROR_MISPLACED_ANONYMOUS_STRING), Y(ERROR_INCLUDES_CIRCULAR_REFERENCE),
	Y(ERROR_INCLUDE_DEPTH_EXCEEDED), Y(ERROR_WRONG_TYPE), Y(ERROR_EXEC_STACK_OVERFLOW),
	Y(ERROR_SCAN_TIMEOUT), Y(ERROR_TOO_MANY_SCAN_THREADS), Y(ERROR_CALLBACK_ERROR),
	Y(ERROR_INVALID_ARGUMENT), Y(ERROR_TOO_MANY_MATCHES), Y(ERROR_INTERNAL_FATAL_ERROR),
	Y(ERROR_NESTED_FOR_OF_LOOP), Y(ERROR_INVALID_FIELD_NAME), Y(ERROR_UNKNOWN_MODULE),
	Y(ERROR_NOT_A_STRUCTURE), Y(ERROR_NOT_INDEXABLE), Y(ERROR_NOT_A_FUNCTION),
	Y(ERROR_INVALID_FORMAT), Y(ERROR_TOO_MANY_ARGUMENTS), Y(ERROR_WRONG_ARGUMENTS),
	Y(ERROR_WRONG_RETURN_TYPE), Y(ERROR_DUPLICATED_STRUCTURE_MEMBER), Y(ERROR_EMPTY_STRING),
	Y(ERROR_DIVISION_BY_ZERO), Y(ERROR_REGULAR_EXPRESSION_TOO_LARGE),
	Y(ERROR_TOO_MANY_RE_FIBERS), Y(ERROR_COULD_NOT_READ_PROCESS_MEMORY),
	Y(ERROR_INVALID_EXTERNAL_VARIABLE_TYPE), Y(ERROR_REGULAR_EXPRESSION_TOO_COMPLEX),
	Y(ERROR_INVALID_MODULE_NAME), Y(ERROR_TOO_MANY_STRINGS), Y(ERROR_INTEGER_OVERFLOW),
	Y(ERROR_CALLBACK_REQUIRED), Y(ERROR_INVALID_OPERAND), Y(ERROR_COULD_NOT_READ_FILE),
	Y(ERROR_DUPLICATED_EXTERNAL_VARIABLE), Y(ERROR_INVALID_MODULE_DATA),
	Y(ERROR_WRITING_FILE), Y(ERROR_INVALID_MODIFIER), Y(ERROR_DUPLICATED_MODIFIER),
	Y(ERROR_BLOCK_NOT_READY), Y(ERROR_INVALID_PERCENTAGE),
	Y(ERROR_IDENTIFIER_MATCHES_WILDCARD),
};
#undef Y

/* A meaning as vigil's messages are written: words, lower case, no full stop, not a number. */
static void
check_meaning(const char *name, int code)
{
	const char *m = NULL;
	enum vg_err rc = sigdb_yara_error(code, &m);

	if (m == NULL || m[0] < 'a' || m[0] > 'z' || m[strlen(m) - 1] == '.' ||
	    strcmp(m, "unknown libyara error") == 0)
		fail_msg("%s (%d) has no meaning of its own: '%s'", name, code, m ? m : "(null)");
	assert_string_equal(sigdb_yara_strerror(code), m);
	if ((rc == VG_OK) != (code == ERROR_SUCCESS))
		fail_msg("%s (%d) translates to %s", name, code, vg_strerror(rc));
}

/*
 * Every code libyara defines has a meaning and a vigil code: the list above, and every
 * "#define ERROR_NAME number" of the installed yara/error.h (so a newer libyara with a code
 * the table lacks fails here). A code libyara does not define is VG_YARA, "unknown".
 */
static void
test_yara_error_every_code_has_a_meaning(void **state)
{
	FILE *h = fopen("/usr/include/yara/error.h", "r");
	char line[256], name[128];
	const char *m;
	size_t i;
	int code, seen = 0;

	(void)state;
	for (i = 0; i < sizeof(yara_codes) / sizeof(yara_codes[0]); i++)
		check_meaning(yara_codes[i].name, yara_codes[i].code);
	while (h && fgets(line, sizeof(line), h))
		if (sscanf(line, "#define %127s %d", name, &code) == 2 &&
		    strncmp(name, "ERROR_", 6) == 0) {
			check_meaning(name, code);
			seen++;
		}
	if (h) {
		fclose(h);
		assert_true(seen >= (int)(sizeof(yara_codes) / sizeof(yara_codes[0])));
	}
	assert_int_equal(sigdb_yara_error(5, &m), VG_YARA); /* a gap in libyara's numbering */
	assert_string_equal(m, "unknown libyara error");
	assert_int_equal(sigdb_yara_error(-1, NULL), VG_YARA);
	assert_int_equal(sigdb_yara_error(100000, NULL), VG_YARA);
	/* what the codes mean to vigil */
	assert_int_equal(sigdb_yara_error(ERROR_INSUFFICIENT_MEMORY, NULL), VG_NOMEM);
	assert_int_equal(sigdb_yara_error(ERROR_COULD_NOT_OPEN_FILE, NULL), VG_IO);
	assert_int_equal(sigdb_yara_error(ERROR_SYNTAX_ERROR, NULL), VG_RULES);
	assert_int_equal(sigdb_yara_error(ERROR_SCAN_TIMEOUT, NULL), VG_LIMIT);
	assert_int_equal(sigdb_yara_error(ERROR_TOO_MANY_MATCHES, NULL), VG_LIMIT);
	assert_string_equal(sigdb_yara_strerror(ERROR_SCAN_TIMEOUT), "timeout");
	assert_string_equal(sigdb_yara_strerror(ERROR_CORRUPT_FILE), "corrupt file");
}

/* A message built from a libyara code names what it means, not only its number. */
static void
test_yara_error_message_names_the_meaning(void **state)
{
	struct fx *f = *state;
	char path[256];
	YR_RULES *r = NULL;
	struct vg_error e;
	int rc;

	snprintf(path, sizeof(path), "%s/no-such.yarc", f->base);
	rc = yr_rules_load(path, &r);
	assert_int_equal(rc, ERROR_COULD_NOT_OPEN_FILE);
	vg_error_init(&e);
	assert_int_equal(sigdb_yara_fail(&e, rc, "cannot load '%s'", path), VG_IO);
	assert_int_equal(e.code, VG_IO);
	assert_non_null(strstr(e.msg, "could not open file"));
	assert_non_null(strstr(e.msg, path));
	assert_null(strstr(e.msg, "unknown libyara error"));
	{
		char want[512];

		snprintf(want, sizeof(want), "cannot load '%s': could not open file (yara error %d)",
			 path, ERROR_COULD_NOT_OPEN_FILE);
		assert_string_equal(e.msg, want);
	}
	/* NULL err is allowed: only the code comes back */
	assert_int_equal(sigdb_yara_fail(NULL, ERROR_SCAN_TIMEOUT, "scan"), VG_LIMIT);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_fresh_store),
		T(test_open_again_loads_saved_file),
		T(test_tampered_compiled_file_is_compiled_again),
		T(test_import_good_file),
		T(test_import_reports_sha256),
		T(test_import_syntax_error_changes_nothing),
		T(test_import_folder_with_a_bad_file_imports_nothing),
		T(test_import_missing_path),
		T(test_external_variables_compile),
		T(test_include_is_refused),
		T(test_remove_restores_rule_count),
		T(test_import_named_like_embedded_keeps_defaults),
		T(test_retain_release),
		T(test_import_large_public_rules),
		cmocka_unit_test(test_yara_error_every_code_has_a_meaning),
		T(test_yara_error_message_names_the_meaning),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
