/*
 * tests/unit/test_hashfile.c — sigdb/hashfile.c with a real store: the hash lists' saved form
 * hashes-<digest>.vhdb is written at import, its SHA-256 recorded, and mapped again (not
 * rewritten) by the next open; a damaged, truncated, deleted, planted or unrecorded file is
 * rebuilt from the lists in the store; importing rules leaves it alone; remove and rollback
 * change it; and a store whose sig_digest was computed the old way (over the texts) keeps
 * its sig_version. (That a start reads no list text is checked end to end: t3400.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
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

#define SHA_A "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define SHA_B "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
#define MD5_C "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3"

struct fx {
	char base[64];
	char state[128];
	char src[128];
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
	if (vt_mkdtemp(f->base, sizeof(f->base), "vigil-hashfile") == NULL) {
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

static struct sigdb *
open_db(struct fx *f)
{
	struct sigdb *db = NULL;
	struct vg_error e;

	vg_error_init(&e);
	if (sigdb_open(f->st, f->state, &db, &e) != VG_OK)
		fail_msg("sigdb_open: %s", vg_error_msg(&e));
	return db;
}

static void
import(struct fx *f, const char *name, const char *text)
{
	char path[256];
	struct vg_error e;

	assert_int_equal(vt_write_file(f->src, name, text, strlen(text)), 0);
	snprintf(path, sizeof(path), "%s/%s", f->src, name);
	vg_error_init(&e);
	if (sigdb_import(f->st, f->state, path, NULL, &e) != VG_OK)
		fail_msg("import %s: %s", name, vg_error_msg(&e));
}

/* The saved hash lists in the state folder: how many, the path of the last in path. */
static int
count_vhdb(struct fx *f, char *path, size_t n)
{
	DIR *d = opendir(f->state);
	struct dirent *e;
	int count = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (strncmp(e->d_name, "hashes-", 7) == 0 && l > 5 &&
		    strcmp(e->d_name + l - 5, ".vhdb") == 0) {
			count++;
			if (path)
				snprintf(path, n, "%s/%s", f->state, e->d_name);
		}
	}
	closedir(d);
	return count;
}

/* The name db's lists give hex (a SHA-256 or an MD5, any size), or NULL. */
static const char *
hit(const struct sigdb *db, const char *hex)
{
	unsigned char d[32];
	const char *name = NULL, *list = NULL;
	size_t i, n = strlen(hex) / 2;

	for (i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &d[i]);
	if (!hashdb_lookup(sigdb_hashes(db), n == 32 ? HASH_SHA256 : HASH_MD5, d, 1, &name,
			   &list))
		return NULL;
	return name;
}

/* Records in the store's meta whose key starts with prefix. */
static size_t
meta_count(struct fx *f, const char *prefix)
{
	json_t *o = NULL;
	size_t n;

	assert_int_equal(store_meta_prefix_json(f->st, prefix, &o, NULL), VG_OK);
	n = json_object_size(o);
	json_decref(o);
	return n;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_size == b->st_size;
}

/* Open, expect SHA_A to be found as Unit.A, and the saved file rewritten (another inode). */
static void
rebuilt(struct fx *f, const char *path, const struct stat *before, const char *what)
{
	struct sigdb *db = open_db(f);
	struct stat after;

	if (hit(db, SHA_A) == NULL || strcmp(hit(db, SHA_A), "Unit.A") != 0)
		fail_msg("%s: the hash is not found after the rebuild", what);
	assert_int_equal(sigdb_hash_count(db), 2);
	sigdb_release(db);
	assert_int_equal(count_vhdb(f, NULL, 0), 1);
	assert_int_equal(stat(path, &after), 0);
	if (before != NULL && same_file(before, &after))
		fail_msg("%s: the saved file was used, not rebuilt", what);
	assert_int_equal(after.st_mode & 0077, 0);
}

static void
test_saved_at_import_and_mapped_again(void **state)
{
	struct fx *f = *state;
	struct sigdb *db = open_db(f);
	char path[512], *rec = NULL, key[128], hex[65];
	struct stat before, after;

	/* no lists: no file, no record */
	assert_null(sigdb_hashes(db));
	assert_int_equal(sigdb_hash_count(db), 0);
	sigdb_release(db);
	assert_int_equal(count_vhdb(f, NULL, 0), 0);

	import(f, "a.ioc", SHA_A ";Unit.A\n" SHA_B ";Unit.B\n");
	assert_int_equal(count_vhdb(f, path, sizeof(path)), 1);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(before.st_mode & 0077, 0);
	/* its SHA-256 is recorded under the digest its name starts with */
	assert_int_equal(meta_count(f, "vhdb_sha256."), 1);
	snprintf(key, sizeof(key), "vhdb_sha256.%.16s", strstr(path, "hashes-") + 7);
	{
		json_t *o = NULL;
		const char *k;
		json_t *v;

		assert_int_equal(store_meta_prefix_json(f->st, key, &o, NULL), VG_OK);
		assert_int_equal(json_object_size(o), 1);
		json_object_foreach(o, k, v)
			rec = strdup(json_string_value(v));
		json_decref(o);
	}
	assert_int_equal(vg_sha256_file(path, hex, NULL), VG_OK);
	assert_string_equal(rec, hex);
	free(rec);

	/* opened twice: mapped, never written again */
	db = open_db(f);
	assert_string_equal(hit(db, SHA_A), "Unit.A");
	assert_string_equal(hit(db, SHA_B), "Unit.B");
	assert_null(hit(db, MD5_C));
	assert_int_equal(sigdb_hash_count(db), 2);
	sigdb_release(db);
	db = open_db(f);
	assert_int_equal(sigdb_hash_count(db), 2);
	sigdb_release(db);
	assert_int_equal(stat(path, &after), 0);
	assert_true(same_file(&before, &after));

	/* a YARA import changes the rules, not the lists: the same file stays */
	import(f, "r.yar", "rule unit_r { condition: false }\n");
	db = open_db(f);
	assert_string_equal(hit(db, SHA_A), "Unit.A");
	sigdb_release(db);
	assert_int_equal(stat(path, &after), 0);
	assert_true(same_file(&before, &after));
	assert_int_equal(count_vhdb(f, NULL, 0), 1);
}

static void
test_damaged_truncated_deleted_planted_are_rebuilt(void **state)
{
	struct fx *f = *state;
	char path[512], other[512];
	struct stat sb;
	int fd;

	import(f, "a.ioc", SHA_A ";Unit.A\n" SHA_B ";Unit.B\n");
	assert_int_equal(count_vhdb(f, path, sizeof(path)), 1);

	/* damaged: one byte inside the records changed in place */
	assert_int_equal(stat(path, &sb), 0);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "\xff", 1, 110), 1);
	close(fd);
	assert_int_equal(stat(path, &sb), 0);
	rebuilt(f, path, &sb, "damaged");

	/* truncated */
	assert_int_equal(truncate(path, 60), 0);
	assert_int_equal(stat(path, &sb), 0);
	rebuilt(f, path, &sb, "truncated");
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(stat(path, &sb), 0);
	rebuilt(f, path, &sb, "empty");

	/* deleted by the user */
	assert_int_equal(unlink(path), 0);
	rebuilt(f, path, NULL, "deleted");

	/* planted: a valid saved form of other lists (made by a second store), renamed over it */
	{
		struct fx g = { 0 };
		struct stat gs;

		snprintf(g.base, sizeof(g.base), "%s", f->base);
		snprintf(g.state, sizeof(g.state), "%.64s/other", f->base);
		snprintf(g.src, sizeof(g.src), "%.64s/src", f->base);
		assert_int_equal(store_open(g.state, &g.st, NULL), VG_OK);
		import(&g, "a.ioc", SHA_A ";Planted.Name\n" SHA_B ";Unit.B\n");
		assert_int_equal(count_vhdb(&g, other, sizeof(other)), 1);
		store_close(g.st);
		assert_int_equal(rename(other, path), 0);
		assert_int_equal(stat(path, &gs), 0);
		rebuilt(f, path, &gs, "planted");
	}

	/* a file the store has no record of is not used either */
	assert_int_equal(meta_count(f, "vhdb_sha256."), 1);
	{
		json_t *o = NULL, *v;
		const char *k;

		assert_int_equal(store_meta_prefix_json(f->st, "vhdb_sha256.", &o, NULL), VG_OK);
		json_object_foreach(o, k, v)
			assert_int_equal(store_meta_delete(f->st, k, NULL), VG_OK);
		json_decref(o);
	}
	assert_int_equal(stat(path, &sb), 0);
	rebuilt(f, path, &sb, "unrecorded");
	assert_int_equal(meta_count(f, "vhdb_sha256."), 1);
}

static void
test_remove_and_rollback(void **state)
{
	struct fx *f = *state;
	struct sigdb *db;
	int64_t restored = 0, version = 0;
	char first[512], second[512];
	struct vg_error e;

	import(f, "a.ioc", SHA_A ";Unit.A\n");
	assert_int_equal(count_vhdb(f, first, sizeof(first)), 1);
	import(f, "b.hdb", MD5_C ":1:Unit.C\n");
	assert_int_equal(count_vhdb(f, second, sizeof(second)), 1);
	assert_string_not_equal(first, second);	/* other lists, another file; the old removed */
	db = open_db(f);
	assert_string_equal(hit(db, SHA_A), "Unit.A");
	assert_string_equal(hit(db, MD5_C), "Unit.C");
	sigdb_release(db);

	/* rollback to the version with a.ioc alone: C no longer found */
	vg_error_init(&e);
	if (sigdb_rollback(f->st, f->state, &restored, &version, &e) != VG_OK)
		fail_msg("rollback: %s", vg_error_msg(&e));
	db = open_db(f);
	assert_string_equal(hit(db, SHA_A), "Unit.A");
	assert_null(hit(db, MD5_C));
	assert_int_equal(sigdb_hash_count(db), 1);
	sigdb_release(db);
	assert_int_equal(count_vhdb(f, second, sizeof(second)), 1);
	assert_string_equal(first, second);	/* the same lists: the same name */

	/* and back to before any list: no file, no record, nothing found */
	vg_error_init(&e);
	if (sigdb_rollback(f->st, f->state, &restored, &version, &e) != VG_OK)
		fail_msg("rollback: %s", vg_error_msg(&e));
	db = open_db(f);
	assert_null(sigdb_hashes(db));
	assert_int_equal(sigdb_hash_count(db), 0);
	sigdb_release(db);
	assert_int_equal(count_vhdb(f, NULL, 0), 0);
	assert_int_equal(meta_count(f, "vhdb_sha256."), 0);

	/* import both again, then remove one: its hashes are gone, the other's stay */
	import(f, "a.ioc", SHA_A ";Unit.A\n");
	import(f, "b.hdb", MD5_C ":1:Unit.C\n");
	vg_error_init(&e);
	if (sigdb_remove(f->st, f->state, "b.hdb", &e) != VG_OK)
		fail_msg("remove: %s", vg_error_msg(&e));
	db = open_db(f);
	assert_string_equal(hit(db, SHA_A), "Unit.A");
	assert_null(hit(db, MD5_C));
	sigdb_release(db);
	vg_error_init(&e);
	if (sigdb_remove(f->st, f->state, "a.ioc", &e) != VG_OK)
		fail_msg("remove: %s", vg_error_msg(&e));
	db = open_db(f);
	assert_null(sigdb_hashes(db));
	sigdb_release(db);
	assert_int_equal(count_vhdb(f, NULL, 0), 0);
	assert_int_equal(meta_count(f, "vhdb_sha256."), 0);
}

/* The digest earlier vigils stored in sig_digest: over every source's text (independent of
 * sigdb's own copy of it, so that a change there is noticed). */
static void
old_digest(const char *list_name, const char *list_text, char hex[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[32];
	uint64_t len = sigdb_embedded_size();

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, "vigil", 6);
	EVP_DigestUpdate(md, &len, 8);
	EVP_DigestUpdate(md, sigdb_embedded_rules, sigdb_embedded_size());
	len = strlen(list_text);
	EVP_DigestUpdate(md, list_name, strlen(list_name) + 1);
	EVP_DigestUpdate(md, "hashes", 7);
	EVP_DigestUpdate(md, &len, 8);
	EVP_DigestUpdate(md, list_text, strlen(list_text));
	EVP_DigestFinal_ex(md, d, NULL);
	EVP_MD_CTX_free(md);
	vg_hex(d, 32, hex);
}

static void
test_old_store_keeps_its_version(void **state)
{
	struct fx *f = *state;
	static const char list[] = SHA_A ";Unit.A\n";
	struct sigdb *db;
	char hex[65], digest[65], *v = NULL;
	int64_t version;

	import(f, "a.ioc", list);
	db = open_db(f);
	version = sigdb_version(db);
	snprintf(digest, sizeof(digest), "%s", sigdb_digest(db));
	sigdb_release(db);

	/* as an earlier vigil left it: the old digest, no format mark */
	old_digest("a.ioc", list, hex);
	assert_string_not_equal(hex, digest);
	assert_int_equal(store_meta_set(f->st, "sig_digest", hex, NULL), VG_OK);
	assert_int_equal(store_meta_delete(f->st, "sig_digest_format", NULL), VG_OK);
	db = open_db(f);
	assert_int_equal(sigdb_version(db), version);
	assert_string_equal(sigdb_digest(db), digest);
	assert_string_equal(hit(db, SHA_A), "Unit.A");
	sigdb_release(db);
	assert_int_equal(store_meta_get(f->st, "sig_digest", &v, NULL), VG_OK);
	assert_string_equal(v, digest);
	free(v);
	assert_int_equal(store_meta_get(f->st, "sig_digest_format", &v, NULL), VG_OK);
	assert_non_null(v);
	free(v);

	/* an old digest of other sources (say, other embedded rules) is a new version */
	assert_int_equal(store_meta_set(f->st, "sig_digest", "00", NULL), VG_OK);
	assert_int_equal(store_meta_delete(f->st, "sig_digest_format", NULL), VG_OK);
	db = open_db(f);
	assert_int_equal(sigdb_version(db), version + 1);
	sigdb_release(db);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_saved_at_import_and_mapped_again),
		T(test_damaged_truncated_deleted_planted_are_rebuilt),
		T(test_remove_and_rollback),
		T(test_old_store_keeps_its_version),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
