/*
 * sigdb/rules.c — the compiled rule set: the snapshot (struct sigdb) and the one path that
 * loads it. The compiled form is saved as state_dir/rules-<digest>.yarc through vg_out, its
 * SHA-256 recorded in the store; it is loaded only by reading the file once into memory,
 * checking that SHA-256, and handing the same bytes to libyara (yr_rules_load_stream). A
 * file that fails the check is compiled again from the sources in the store.
 */
#include "sigdb/sigdb_int.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/path.h"
#include "core/reach.h"
#include "core/statedir.h"

/* a compiled file larger than this is not loaded (compiled again) */
#define MAX_COMPILED_BYTES ((size_t)2 << 30)
/* store meta: YARC_SHA_KEY + digest of the sources -> SHA-256 of the saved compiled file */
#define YARC_SHA_KEY "yarc_sha256."
/* store meta: YARC_FT_KEY + digest -> "1" when a rule compares filetype, else "0" */
#define YARC_FT_KEY "yarc_filetype."

struct sigdb {
	atomic_int refs;
	YR_RULES *rules;
	struct hashdb *hashes;
	int64_t version;
	int64_t count;
	char digest[65];
	int uses_filetype;
	int64_t compiled_size;	/* bytes of the saved compiled form */
};

/* The compiled file's name in the state folder. */
static char *
compiled_name(const char *digest)
{
	char *p;

	if (asprintf(&p, "rules-%.16s.yarc", digest) < 0)
		return NULL;
	return p;
}

/* The store's meta key holding the SHA-256 of the saved compiled file of digest. */
static char *
compiled_key(const char *digest)
{
	char *p;

	if (asprintf(&p, YARC_SHA_KEY "%s", digest) < 0)
		return NULL;
	return p;
}

void
sigdb_prune_saved(struct store *st, const char *state_dir, const char *prefix, const char *suffix,
		  const char *keep, const char *key_prefix, const char *keep_key)
{
	DIR *d = prefix ? opendir(state_dir) : NULL;
	size_t np = prefix ? strlen(prefix) : 0, ns = suffix ? strlen(suffix) : 0;
	struct dirent *e;
	json_t *recs = NULL, *v;
	const char *k;

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			size_t n = strlen(e->d_name);

			if (n > np + ns && strncmp(e->d_name, prefix, np) == 0 &&
			    strcmp(e->d_name + n - ns, suffix) == 0 &&
			    (keep == NULL || strcmp(e->d_name, keep) != 0))
				unlinkat(dirfd(d), e->d_name, 0);
		}
		closedir(d);
	}
	if (store_meta_prefix_json(st, key_prefix, &recs, NULL) != VG_OK)
		return;
	json_object_foreach(recs, k, v)
		if (keep_key == NULL || strcmp(k, keep_key) != 0)
			store_meta_delete(st, k, NULL);
	json_decref(recs);
}

/* A YR_STREAM over a buffer in memory (what was hashed is what libyara reads). */
struct mem_stream {
	const unsigned char *data;
	size_t len, pos;
};

static size_t
mem_read(void *ptr, size_t size, size_t count, void *user)
{
	struct mem_stream *m = user;
	size_t n;

	if (size == 0)
		return 0;
	n = (m->len - m->pos) / size;
	if (n > count)
		n = count;
	memcpy(ptr, m->data + m->pos, n * size);
	m->pos += n * size;
	return n;
}

/* A YR_STREAM writing to a descriptor and hashing what it writes. */
struct save_stream {
	int fd;
	EVP_MD_CTX *md;
	int64_t bytes;
	int failed;	/* the errno of the first failed write */
};

static size_t
save_write(const void *ptr, size_t size, size_t count, void *user)
{
	struct save_stream *s = user;

	if (s->failed || vg_write_full(s->fd, ptr, size * count) != 0) {
		if (!s->failed)
			s->failed = errno ? errno : EIO;
		return 0;
	}
	EVP_DigestUpdate(s->md, ptr, size * count);
	s->bytes += (int64_t)(size * count);
	return count;
}

/*
 * Save rules as state_dir/name: a new file beside it (never through a link), fsync, rename.
 * sha receives the SHA-256 of the bytes written, *size their number.
 */
static enum vg_err
save_compiled(YR_RULES *rules, const char *state_dir, const char *name, char sha[65],
	      int64_t *size, struct vg_error *err)
{
	char *path = vg_path_join(state_dir, name);
	struct save_stream ss = { .fd = -1 };
	YR_STREAM stream = { .user_data = &ss, .write = save_write };
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dn = 0;
	struct vg_out o;
	enum vg_err rc;
	int r;

	if (path == NULL || (ss.md = EVP_MD_CTX_new()) == NULL) {
		free(path);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	rc = vg_out_create(path, 0600, &o, err);
	if (rc != VG_OK)
		goto out;
	ss.fd = o.fd;
	EVP_DigestInit_ex(ss.md, EVP_sha256(), NULL);
	r = yr_rules_save_stream(rules, &stream);
	if (ss.failed || r != ERROR_SUCCESS) {
		if (ss.failed)
			rc = vg_error_set(err, VG_IO, "cannot save compiled rules '%s': %s", path,
					  strerror(ss.failed));
		else
			rc = sigdb_yara_fail(err, r, "cannot save compiled rules '%s'", path);
		vg_out_abort(&o);
		goto out;
	}
	rc = vg_out_commit(&o, 0, err);
	if (rc != VG_OK)
		goto out;
	EVP_DigestFinal_ex(ss.md, d, &dn);
	vg_hex(d, 32, sha);
	*size = ss.bytes;
out:
	EVP_MD_CTX_free(ss.md);
	free(path);
	return rc;
}

/*
 * Load state_dir/name only when its SHA-256 is the one the store recorded when vigil saved
 * it: the file is read once, hashed, and the same bytes handed to libyara (nothing can be
 * swapped between the check and the load). VG_NOENT when there is no file; another code,
 * with the reason in err, when it is not used (it is then compiled again from the sources).
 */
static enum vg_err
load_compiled(struct store *st, const char *state_dir, const char *name, const char *key,
	      YR_RULES **rules, int64_t *size, struct vg_error *err)
{
	char *data = NULL, *recorded = NULL, hex[65];
	unsigned char d[32];
	size_t len = 0;
	struct mem_stream m;
	YR_STREAM stream = { .user_data = &m, .read = mem_read };
	enum vg_err rc;

	*rules = NULL;
	rc = vg_state_read_file(state_dir, name, MAX_COMPILED_BYTES, &data, &len, err);
	if (rc != VG_OK)
		return rc;
	rc = store_meta_get(st, key, &recorded, err);
	if (rc == VG_OK && recorded == NULL)
		rc = vg_error_set(err, VG_NOTFOUND, "no SHA-256 of it is recorded in the store");
	if (rc == VG_OK) {
		EVP_Digest(data, len, d, NULL, EVP_sha256(), NULL);
		vg_hex(d, 32, hex);
		if (strcmp(hex, recorded) != 0)
			rc = vg_error_set(err, VG_UNSAFE, "its SHA-256 %.16s... is not the one "
					  "recorded when it was saved (%.16s...)", hex, recorded);
	}
	if (rc == VG_OK) {
		int r;

		m = (struct mem_stream){ .data = (const unsigned char *)data, .len = len };
		r = yr_rules_load_stream(&stream, rules);
		if (r != ERROR_SUCCESS) {
			*rules = NULL;
			rc = sigdb_yara_fail(err, r, "libyara cannot load it");
		}
	}
	if (rc == VG_OK)
		*size = (int64_t)len;
	free(recorded);
	free(data);
	return rc;
}

static enum vg_err
make_db(YR_RULES *rules, int64_t version, const char *digest, struct sigdb **out,
	struct vg_error *err)
{
	struct sigdb *db = calloc(1, sizeof(*db));

	if (db == NULL) {
		yr_rules_destroy(rules);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	atomic_init(&db->refs, 1);
	db->rules = rules;
	db->version = version;
	db->count = sigdb_count_rules(rules);
	memcpy(db->digest, digest, 65);
	*out = db;
	return VG_OK;
}

/*
 * Whether any rule compares the external variable filetype: recorded in the store beside the
 * compiled file (meta "yarc_filetype.<digest>"), so that a start need not read the rule texts;
 * from the texts when there is no record (*record then says to record it).
 */
static enum vg_err
uses_filetype(struct store *st, struct sigdb_sources *l, const char *ft_key, int fresh,
	      int *uses, int *record, struct vg_error *err)
{
	char *v = NULL;
	enum vg_err rc = VG_OK;

	*record = 0;
	if (!fresh)
		rc = store_meta_get(st, ft_key, &v, err);
	if (rc != VG_OK)
		return rc;
	if (v != NULL && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)) {
		*uses = v[0] == '1';
	} else {
		rc = sigdb_sources_read(st, l, SIGDB_TEXTS_RULES, err);
		*uses = sigdb_sources_use_filetype(l);
		*record = 1;
	}
	free(v);
	return rc;
}

/*
 * The one path that loads signatures (sigdb_open, import, remove, rollback, install all come
 * here): the saved compiled rules and hash lists of l when the store vouches for them, else
 * built from l's texts (read from the store only then) and saved again; then the version is
 * recorded (in one store transaction).
 */
enum vg_err
sigdb_activate(struct store *st, const char *state_dir, struct sigdb_sources *l, int have_txn,
	       struct sigdb **out, struct vg_error *err)
{
	YR_RULES *rules = NULL;
	struct sigdb_hashset hs = { 0 };
	char digest[65], sha[65], *name, *key = NULL, *ft_key = NULL;
	int64_t version = 0, size = 0;
	int fresh = 0, uses_ft = 0, record_ft = 0;
	enum vg_err rc;
	struct vg_error why;

	sigdb_sources_digest(l, digest);
	name = compiled_name(digest);
	key = compiled_key(digest);
	if (asprintf(&ft_key, YARC_FT_KEY "%s", digest) < 0)
		ft_key = NULL;
	if (name == NULL || key == NULL || ft_key == NULL) {
		rc = vg_error_set(err, VG_NOMEM, "out of memory");
		goto out;
	}
	vg_error_init(&why);
	rc = load_compiled(st, state_dir, name, key, &rules, &size, &why);
	if (rc != VG_OK) {
		if (rc == VG_NOTFOUND)
			vg_log(VG_LOG_INFO, "compiled rules '%s/%s' not loaded: %s; compiling them "
			       "again from the sources in the store", state_dir, name,
			       vg_error_msg(&why));
		else if (rc != VG_NOENT)
			vg_log(VG_LOG_WARN, "compiled rules '%s/%s' not loaded: %s; compiling them "
			       "again from the sources in the store", state_dir, name,
			       vg_error_msg(&why));
		rules = NULL;
		rc = sigdb_sources_read(st, l, SIGDB_TEXTS_RULES, err);
		if (rc == VG_OK)
			rc = sigdb_compile(l, 0, l->n, &rules, err);
		if (rc == VG_OK)
			rc = save_compiled(rules, state_dir, name, sha, &size, err);
		if (rc != VG_OK)
			goto out;
		fresh = 1;
	}
	rc = uses_filetype(st, l, ft_key, fresh, &uses_ft, &record_ft, err);
	if (rc == VG_OK)
		rc = sigdb_hashset_load(st, state_dir, l, out != NULL, &hs, err);
	if (rc != VG_OK)
		goto out;
	rc = have_txn ? VG_OK : store_begin(st, err);
	if (rc == VG_OK)
		rc = sigdb_upgrade_digest(st, l, digest, err);
	if (rc == VG_OK)
		rc = sigdb_record_version(st, digest, &version, err);
	if (rc == VG_OK && fresh)
		rc = store_meta_set(st, key, sha, err); /* what the next load checks against */
	if (rc == VG_OK && record_ft)
		rc = store_meta_set(st, ft_key, uses_ft ? "1" : "0", err);
	if (rc == VG_OK)
		rc = sigdb_hashset_record(st, &hs, err);
	if (rc == VG_OK && !have_txn)
		rc = store_commit(st, err);
	if (rc != VG_OK) {
		if (!have_txn)
			store_rollback(st);
		goto out;
	}
	sigdb_prune_saved(st, state_dir, "rules-", ".yarc", name, YARC_SHA_KEY, key);
	sigdb_prune_saved(st, state_dir, NULL, NULL, NULL, YARC_FT_KEY, ft_key);
	sigdb_hashset_prune(st, state_dir, &hs);
	if (out) {
		rc = make_db(rules, version, digest, out, err);
		rules = NULL;
		if (rc == VG_OK) {
			(*out)->compiled_size = size;
			(*out)->uses_filetype = uses_ft;
			(*out)->hashes = hs.db;
			hs.db = NULL;
		}
	}
out:
	if (rules)
		yr_rules_destroy(rules);
	sigdb_hashset_release(&hs);
	free(name);
	free(key);
	free(ft_key);
	return rc;
}

enum vg_err
sigdb_open(struct store *st, const char *state_dir, struct sigdb **out, struct vg_error *err)
{
	struct sigdb_sources l = { 0 };
	enum vg_err rc = sigdb_sources_gather(st, &l, err);

	if (rc == VG_OK)
		rc = sigdb_activate(st, state_dir, &l, 0, out, err);
	sigdb_sources_release(&l);
	return rc;
}

struct sigdb *
sigdb_retain(struct sigdb *db)
{
	atomic_fetch_add(&db->refs, 1);
	return db;
}

void
sigdb_release(struct sigdb *db)
{
	if (db == NULL || atomic_fetch_sub(&db->refs, 1) != 1)
		return;
	yr_rules_destroy(db->rules);
	hashdb_destroy(db->hashes);
	free(db);
}

YR_RULES *
sigdb_rules(const struct sigdb *db)
{
	return db->rules;
}

int64_t
sigdb_version(const struct sigdb *db)
{
	return db->version;
}

const char *
sigdb_digest(const struct sigdb *db)
{
	return db->digest;
}

int64_t
sigdb_rule_count(const struct sigdb *db)
{
	return db->count;
}

int
sigdb_uses_filetype(const struct sigdb *db)
{
	return db->uses_filetype;
}

const struct hashdb *
sigdb_hashes(const struct sigdb *db)
{
	return db->hashes;
}

int64_t
sigdb_hash_count(const struct sigdb *db)
{
	return hashdb_count(db->hashes);
}

int64_t
sigdb_compiled_size(const struct sigdb *db)
{
	return db->compiled_size;
}
