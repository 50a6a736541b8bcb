/* sigdb/rules.c — compiling, saving and loading the YARA rule set. */
#include "sigdb/sigdb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/path.h"
#include "core/reach.h"
#include "core/statedir.h"

#define EMBEDDED_NAME "vigil"
#define MAX_SOURCE_BYTES (256u << 20)
/* a compiled file larger than this is not loaded (compiled again) */
#define MAX_COMPILED_BYTES ((size_t)2 << 30)
/* store meta: YARC_SHA_KEY + digest of the sources -> SHA-256 of the saved compiled file */
#define YARC_SHA_KEY "yarc_sha256."

const char *const sigdb_external_vars[] = { "filename", "filepath", "extension", "filetype",
					    "owner", "fullpath", NULL };

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

struct source {
	const char *kind;	/* "yara" or "hashes" (static) */
	char *name;	/* namespace and key in the store */
	char *display;	/* how errors name it: the imported path, or the name */
	char *text;	/* NUL-terminated */
	size_t len;
	int64_t rules;
	int is_new;
	char sha256[65];	/* of the text; set for imported files */
};

struct sources {
	struct source *v;
	size_t n, cap;
};

struct compile_ctx {
	const char *current;
	char msgs[900];
	size_t used;
	int errors;
};

enum vg_err
sigdb_global_init(struct vg_error *err)
{
	int rc = yr_initialize();

	if (rc != ERROR_SUCCESS)
		return vg_error_set(err, VG_YARA, "cannot initialise libyara (error %d)", rc);
	return VG_OK;
}

void
sigdb_global_finish(void)
{
	yr_finalize();
}

static void
sources_release(struct sources *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].display);
		free(l->v[i].text);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Append a copy of a source; replaces an earlier one of the same name. */
static enum vg_err
sources_add(struct sources *l, const char *kind, const char *name, const char *display,
	    const void *text, size_t len, int is_new, struct vg_error *err)
{
	struct source *s = NULL;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			s = &l->v[i];
	if (s == NULL) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 8;
			struct source *v = realloc(l->v, cap * sizeof(*v));

			if (v == NULL)
				return vg_error_set(err, VG_NOMEM, "out of memory");
			l->v = v;
			l->cap = cap;
		}
		s = &l->v[l->n++];
	} else {
		free(s->name);
		free(s->display);
		free(s->text);
	}
	memset(s, 0, sizeof(*s));
	s->kind = strcmp(kind, "yara") == 0 ? "yara" : strcmp(kind, "filenames") == 0 ? "filenames"
										   : "hashes";
	s->name = strdup(name);
	s->display = strdup(display);
	s->text = malloc(len + 1);
	if (s->name == NULL || s->display == NULL || s->text == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	memcpy(s->text, text, len);
	s->text[len] = '\0';
	s->len = len;
	s->is_new = is_new;
	return VG_OK;
}

static void
compiler_cb(int level, const char *file, int line, const YR_RULE *rule, const char *message,
	    void *user)
{
	struct compile_ctx *c = user;
	int n;

	(void)file;
	(void)rule;
	if (level != YARA_ERROR_LEVEL_ERROR)
		return;
	c->errors++;
	if (c->errors > 10 || c->used >= sizeof(c->msgs) - 1)
		return;
	n = snprintf(c->msgs + c->used, sizeof(c->msgs) - c->used, "%s%s:%d: %s",
		     c->used ? "\n" : "", c->current, line, message);
	if (n > 0)
		c->used += (size_t)n < sizeof(c->msgs) - c->used ? (size_t)n
								 : sizeof(c->msgs) - c->used - 1;
}

static const char *
refuse_include(const char *name, const char *calling_file, const char *ns, void *user)
{
	(void)name;
	(void)calling_file;
	(void)ns;
	(void)user;
	return NULL;
}

static int64_t
count_rules(YR_RULES *rules)
{
	YR_RULE *rule;
	int64_t n = 0;

	yr_rules_foreach(rules, rule)
		n++;
	return n;
}

/*
 * A filename IOC list (LOKI's format: "REGEX;SCORE[;FALSE_POSITIVE_REGEX]", the comment
 * above a block describing it) as YARA text: one rule a line, on the same line, so that
 * compile errors name the list's own lines. The rules test the external variable fullpath
 * (the file's path on disk; empty for archive members), case-insensitively.
 */
struct textbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void
tb_add(struct textbuf *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *p = realloc(t->p, cap);

		if (p == NULL) {
			t->failed = 1;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static char *
filenames_to_yara(const char *text, size_t len)
{
	struct textbuf t = { 0 };
	char desc[200] = "filename IOC", head[400];
	size_t i = 0, lineno = 0, k;

	tb_add(&t, "", 0);
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		const char *l = text + i, *semi;
		size_t n = nl ? (size_t)(nl - l) : len - i;

		i += n + 1;
		lineno++;
		while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		while (n > 0 && (*l == ' ' || *l == '\t')) {
			l++;
			n--;
		}
		if (n > 0 && l[0] == '#') {
			/* the latest comment describes the lines after it (quotes dropped) */
			size_t dn = 0;

			for (k = 1; k < n && (l[k] == ' ' || l[k] == '#'); k++)
				;
			for (; k < n && dn < sizeof(desc) - 1; k++)
				if (l[k] != '"' && l[k] != '\\' && (unsigned char)l[k] >= 0x20)
					desc[dn++] = l[k];
			desc[dn] = '\0';
		} else if (n > 0 && (semi = memchr(l, ';', n)) != NULL) {
			snprintf(head, sizeof(head),
				 "rule Filename_IOC_line_%zu : filename_ioc { meta: description = \"%s\" "
				 "score = %d condition: fullpath matches /", lineno, desc, atoi(semi + 1));
			tb_add(&t, head, strlen(head));
			for (k = 0; k < (size_t)(semi - l); k++) {
				if (l[k] == '/' && (k == 0 || l[k - 1] != '\\'))
					tb_add(&t, "\\", 1);
				tb_add(&t, l + k, 1);
			}
			tb_add(&t, "/is }", 5);
		}
		tb_add(&t, "\n", 1); /* one line out for one line in: errors keep their line */
	}
	if (t.failed) {
		free(t.p);
		return NULL;
	}
	return t.p;
}

/* Compile sources [from, to) together; *out receives the rules on success. */
static enum vg_err
compile(struct sources *l, size_t from, size_t to, YR_RULES **out, struct vg_error *err)
{
	struct compile_ctx ctx = { .current = "" };
	YR_COMPILER *c;
	size_t i;
	int rc;

	if (yr_compiler_create(&c) != ERROR_SUCCESS)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	yr_compiler_set_callback(c, compiler_cb, &ctx);
	yr_compiler_set_include_callback(c, refuse_include, NULL, NULL);
	for (i = 0; sigdb_external_vars[i]; i++)
		yr_compiler_define_string_variable(c, sigdb_external_vars[i], "");
	for (i = from; i < to && ctx.errors == 0; i++) {
		if (strcmp(l->v[i].kind, "hashes") == 0)
			continue; /* hash lists are not YARA */
		ctx.current = l->v[i].display;
		if (strcmp(l->v[i].kind, "filenames") == 0) {
			char *y = filenames_to_yara(l->v[i].text, l->v[i].len);

			if (y == NULL) {
				ctx.errors++;
				break;
			}
			yr_compiler_add_string(c, y, l->v[i].name);
			free(y);
		} else {
			yr_compiler_add_string(c, l->v[i].text, l->v[i].name);
		}
	}
	if (ctx.errors > 0) {
		yr_compiler_destroy(c);
		if (ctx.errors > 10)
			return vg_error_set(err, VG_RULES, "%s\n(%d more errors)", ctx.msgs,
					    ctx.errors - 10);
		return vg_error_set(err, VG_RULES, "%s", ctx.msgs);
	}
	rc = yr_compiler_get_rules(c, out);
	yr_compiler_destroy(c);
	if (rc != ERROR_SUCCESS)
		return vg_error_set(err, VG_YARA, "cannot build the compiled rules (yara error %d)",
				    rc);
	return VG_OK;
}

static int
collect_stored(const char *name, const char *kind, const void *content, size_t len, void *ctx)
{
	struct sources *l = ctx;

	return sources_add(l, kind, name, name, content, len, 0, NULL) != VG_OK;
}

static enum vg_err
gather(struct store *st, struct sources *l, struct vg_error *err)
{
	enum vg_err rc = sources_add(l, "yara", EMBEDDED_NAME, "<embedded default rules>",
				     sigdb_embedded_rules, sigdb_embedded_size(), 0, err);

	if (rc == VG_OK)
		rc = store_sig_foreach(st, collect_stored, l, err);
	return rc;
}

static void
digest_sources(const struct sources *l, char hex[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[32];
	unsigned int n;
	size_t i;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < l->n; i++) {
		uint64_t len = l->v[i].len;

		EVP_DigestUpdate(md, l->v[i].name, strlen(l->v[i].name) + 1);
		if (strcmp(l->v[i].kind, "yara") != 0)
			EVP_DigestUpdate(md, l->v[i].kind, strlen(l->v[i].kind) + 1);
		EVP_DigestUpdate(md, &len, sizeof(len));
		EVP_DigestUpdate(md, l->v[i].text, l->v[i].len);
	}
	EVP_DigestFinal_ex(md, d, &n);
	EVP_MD_CTX_free(md);
	vg_hex(d, 32, hex);
}

/*
 * Does any source compare the external variable filetype? Metadata such as
 * `filetype = "Java"` does not count; a comparison in a comment does (conservative).
 */
static int
compares_filetype(const struct sources *l)
{
	regex_t re;
	size_t i;
	int hit = 0;

	if (regcomp(&re, "filetype[[:space:]]*(==|!=|[a-z]*contains|[a-z]*matches|[a-z]*with|"
			 "iequals)", REG_EXTENDED | REG_NOSUB) != 0)
		return 1;
	for (i = 0; !hit && i < l->n; i++)
		hit = memmem(l->v[i].text, l->v[i].len, "filetype", 8) != NULL &&
		      regexec(&re, l->v[i].text, 0, NULL, 0) == 0;
	regfree(&re);
	return hit;
}

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

/* Remove compiled files other than keep (older rule sets), and their records. */
static void
prune_compiled(struct store *st, const char *state_dir, const char *keep, const char *keep_key)
{
	DIR *d = opendir(state_dir);
	struct dirent *e;
	json_t *recs = NULL, *v;
	const char *k;

	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			size_t n = strlen(e->d_name);

			if (strncmp(e->d_name, "rules-", 6) == 0 && n > 5 &&
			    strcmp(e->d_name + n - 5, ".yarc") == 0 && strcmp(e->d_name, keep) != 0)
				unlinkat(dirfd(d), e->d_name, 0);
		}
		closedir(d);
	}
	if (store_meta_prefix_json(st, YARC_SHA_KEY, &recs, NULL) != VG_OK)
		return;
	json_object_foreach(recs, k, v)
		if (strcmp(k, keep_key) != 0)
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
	int failed;
};

static size_t
save_write(const void *ptr, size_t size, size_t count, void *user)
{
	struct save_stream *s = user;

	if (s->failed || vg_write_full(s->fd, ptr, size * count) != 0) {
		s->failed = 1;
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
	if (r != ERROR_SUCCESS || ss.failed) {
		rc = vg_error_set(err, VG_IO, "cannot save compiled rules '%s' (%s)", path,
				  r != ERROR_SUCCESS ? "yara error" : strerror(errno));
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
		m = (struct mem_stream){ .data = (const unsigned char *)data, .len = len };
		if (yr_rules_load_stream(&stream, rules) != ERROR_SUCCESS) {
			*rules = NULL;
			rc = vg_error_set(err, VG_YARA, "libyara cannot load it");
		}
	}
	if (rc == VG_OK)
		*size = (int64_t)len;
	free(recorded);
	free(data);
	return rc;
}

/* Bump sig_version when the digest of the sources is new; the caller holds a transaction. */
static enum vg_err
record_version(struct store *st, const char *digest, int64_t *version, struct vg_error *err)
{
	char *old_digest = NULL, *old_version = NULL, buf[32];
	enum vg_err rc;

	rc = store_meta_get(st, "sig_digest", &old_digest, err);
	if (rc == VG_OK)
		rc = store_meta_get(st, "sig_version", &old_version, err);
	if (rc == VG_OK) {
		*version = old_version ? strtoll(old_version, NULL, 10) : 0;
		if (old_digest == NULL || strcmp(old_digest, digest) != 0) {
			(*version)++;
			snprintf(buf, sizeof(buf), "%lld", (long long)*version);
			rc = store_meta_set(st, "sig_version", buf, err);
			if (rc == VG_OK)
				rc = store_meta_set(st, "sig_digest", digest, err);
		}
		/* every version's sources are kept, so that rollback can return to them */
		if (rc == VG_OK && !store_sig_history_has(st, *version))
			rc = store_sig_snapshot(st, *version, digest, err);
	}
	free(old_digest);
	free(old_version);
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
	db->count = count_rules(rules);
	memcpy(db->digest, digest, 65);
	*out = db;
	return VG_OK;
}

/* Parse the hash lists of l into db (they were checked line by line at import). */
static enum vg_err
load_hashes(struct sigdb *db, const struct sources *l, struct vg_error *err)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		int64_t added, bad;
		enum vg_err rc;

		if (strcmp(l->v[i].kind, "hashes") != 0)
			continue;
		if (db->hashes == NULL && (db->hashes = hashdb_create()) == NULL)
			return vg_error_set(err, VG_NOMEM, "out of memory");
		rc = hashdb_parse(db->hashes, l->v[i].name, l->v[i].text, l->v[i].len, 1, &added,
				  &bad, err);
		if (rc != VG_OK)
			return rc;
	}
	if (db->hashes)
		hashdb_seal(db->hashes);
	return VG_OK;
}

/*
 * The one path that loads rules: the saved compiled form of l when the store vouches for it,
 * else l compiled and saved again; then the version is recorded (in one store transaction).
 */
static enum vg_err
activate(struct store *st, const char *state_dir, struct sources *l, int have_txn,
	 struct sigdb **out, struct vg_error *err)
{
	YR_RULES *rules = NULL;
	char digest[65], sha[65], *name, *key = NULL;
	int64_t version = 0, size = 0;
	int fresh = 0;
	enum vg_err rc;
	struct vg_error why;

	digest_sources(l, digest);
	name = compiled_name(digest);
	if (name == NULL || (key = compiled_key(digest)) == NULL) {
		free(name);
		return vg_error_set(err, VG_NOMEM, "out of memory");
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
		rc = compile(l, 0, l->n, &rules, err);
		if (rc == VG_OK)
			rc = save_compiled(rules, state_dir, name, sha, &size, err);
		if (rc != VG_OK)
			goto out;
		fresh = 1;
	}
	rc = have_txn ? VG_OK : store_begin(st, err);
	if (rc == VG_OK)
		rc = record_version(st, digest, &version, err);
	if (rc == VG_OK && fresh)
		rc = store_meta_set(st, key, sha, err); /* what the next load checks against */
	if (rc == VG_OK && !have_txn)
		rc = store_commit(st, err);
	if (rc != VG_OK) {
		if (!have_txn)
			store_rollback(st);
		goto out;
	}
	prune_compiled(st, state_dir, name, key);
	if (out) {
		rc = make_db(rules, version, digest, out, err);
		rules = NULL;
		if (rc == VG_OK) {
			(*out)->compiled_size = size;
			(*out)->uses_filetype = compares_filetype(l);
			rc = load_hashes(*out, l, err);
			if (rc != VG_OK) {
				sigdb_release(*out);
				*out = NULL;
			}
		}
	}
out:
	if (rules)
		yr_rules_destroy(rules);
	free(name);
	free(key);
	return rc;
}

/*
 * Give the signatures the store holds now their version, if they never had one, so that the
 * change about to be made can be rolled back to them. Nothing is compiled. The caller holds
 * a transaction.
 */
static enum vg_err
record_active(struct store *st, struct vg_error *err)
{
	struct sources l = { 0 };
	char digest[65];
	int64_t v;
	enum vg_err rc = gather(st, &l, err);

	if (rc == VG_OK) {
		digest_sources(&l, digest);
		rc = record_version(st, digest, &v, err);
	}
	sources_release(&l);
	return rc;
}

/*
 * Compile, save and record what the store now holds, after a change inside the caller's
 * transaction; *version (may be NULL) receives the resulting sig_version.
 */
static enum vg_err
apply_stored(struct store *st, const char *state_dir, int64_t *version, struct vg_error *err)
{
	struct sources l = { 0 };
	char *v = NULL;
	enum vg_err rc = gather(st, &l, err);

	if (rc == VG_OK)
		rc = activate(st, state_dir, &l, 1, NULL, err);
	if (rc == VG_OK && version) {
		rc = store_meta_get(st, "sig_version", &v, err);
		*version = v ? strtoll(v, NULL, 10) : 0;
		free(v);
	}
	sources_release(&l);
	return rc;
}

enum vg_err
sigdb_open(struct store *st, const char *state_dir, struct sigdb **out, struct vg_error *err)
{
	struct sources l = { 0 };
	enum vg_err rc = gather(st, &l, err);

	if (rc == VG_OK)
		rc = activate(st, state_dir, &l, 0, out, err);
	sources_release(&l);
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

static enum vg_err
read_source(const char *path, char **text, size_t *len, struct vg_error *err)
{
	return vg_read_file(path, MAX_SOURCE_BYTES, text, len, err);
}

/*
 * "yara" or "hashes" by the file's extension, NULL for other files. In a folder only the
 * unambiguous extensions count (a rules folder holds README.txt and the like); a .txt,
 * .csv or .lst hash list is imported when it is named itself.
 */
static const char *
source_kind(const char *name, int in_folder)
{
	static const char *const lists[] = { "hdb", "hsb", "ioc", "hashes", "txt", "csv", "lst" };
	const char *ext = vg_path_ext(name);
	size_t i, n = in_folder ? 4 : sizeof(lists) / sizeof(lists[0]);

	/* LOKI's list is filename-iocs.txt; ours may also be *.fioc */
	if (strstr(vg_path_basename(name), "filename-iocs") != NULL ||
	    (ext && strcasecmp(ext, "fioc") == 0))
		return "filenames";
	if (ext == NULL)
		return NULL;
	if (strcasecmp(ext, "yar") == 0 || strcasecmp(ext, "yara") == 0)
		return "yara";
	for (i = 0; i < n; i++)
		if (strcasecmp(ext, lists[i]) == 0)
			return "hashes";
	return NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rule files named by path: the file itself, or the .yar and .yara files in the folder. */
static enum vg_err
list_files(const char *path, char ***files, size_t *n, struct vg_error *err)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	size_t cap = 0;

	*files = NULL;
	*n = 0;
	if (stat(path, &st) != 0)
		return vg_error_set(err, errno == ENOENT ? VG_NOENT : VG_IO, "cannot import '%s': %s",
				    path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		*files = malloc(sizeof(char *));
		if (*files == NULL || ((*files)[0] = strdup(path)) == NULL)
			return vg_error_set(err, VG_NOMEM, "out of memory");
		*n = 1;
		return VG_OK;
	}
	d = opendir(path);
	if (d == NULL)
		return vg_error_set(err, VG_IO, "cannot read folder '%s': %s", path, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (source_kind(e->d_name, 1) == NULL)
			continue;
		if (*n == cap) {
			char **v;

			cap = cap ? cap * 2 : 16;
			v = realloc(*files, cap * sizeof(char *));
			if (v == NULL)
				break;
			*files = v;
		}
		(*files)[(*n)++] = vg_path_join(path, e->d_name);
	}
	closedir(d);
	if (*n == 0)
		return vg_error_set(err, VG_NOENT, "no rule or hash list files in folder '%s'", path);
	qsort(*files, *n, sizeof(char *), cmp_str);
	return VG_OK;
}

enum vg_err
sigdb_import(struct store *st, const char *state_dir, const char *path, json_t **imported,
	     struct vg_error *err)
{
	return sigdb_import_opts(st, state_dir, path, 0, imported, NULL, err);
}

enum vg_err
sigdb_import_opts(struct store *st, const char *state_dir, const char *path, int skip_bad,
		  json_t **imported, json_t **skipped, struct vg_error *err)
{
	struct sources fresh = { 0 }, all = { 0 };
	json_t *skips = json_array();
	char **files = NULL;
	size_t nfiles = 0, i;
	enum vg_err rc;
	struct vg_error first;

	vg_error_init(&first);
	rc = list_files(path, &files, &nfiles, err);
	/* Each new file alone first, so that every bad file is named. */
	for (i = 0; rc == VG_OK && i < nfiles; i++) {
		char *text = NULL;
		const char *kind;
		size_t len = 0;
		YR_RULES *rules;
		struct vg_error one;

		rc = read_source(files[i], &text, &len, err);
		if (rc != VG_OK)
			break;
		if (strcmp(vg_path_basename(files[i]), EMBEDDED_NAME) == 0) {
			free(text);
			rc = vg_error_set(err, VG_INVAL,
					  "cannot import '%s': '%s' is the name of the embedded rules; "
					  "rename the file", files[i], EMBEDDED_NAME);
			break;
		}
		kind = source_kind(files[i], 0);
		rc = sources_add(&fresh, kind ? kind : "yara", vg_path_basename(files[i]), files[i],
				 text, len, 1, err);
		free(text);
		if (rc != VG_OK)
			break;
		vg_error_init(&one);
		if (kind && strcmp(kind, "hashes") == 0) {
			struct hashdb *h = hashdb_create();
			int64_t added = 0, bad = 0;

			one.code = h ? hashdb_parse(h, files[i], fresh.v[fresh.n - 1].text,
						    fresh.v[fresh.n - 1].len, skip_bad, &added, &bad,
						    &one)
				     : vg_error_set(&one, VG_NOMEM, "out of memory");
			if (one.code == VG_OK) {
				hashdb_seal(h); /* duplicates count once */
				added = hashdb_count(h);
			}
			if (one.code == VG_OK && added == 0)
				vg_error_set(&one, VG_RULES, "%s: no hashes in it", files[i]);
			if (one.code == VG_OK && bad > 0)
				json_array_append_new(skips, json_pack("{s:s, s:I}", "file", files[i],
								       "bad_lines", (json_int_t)bad));
			fresh.v[fresh.n - 1].rules = added;
			hashdb_destroy(h);
		} else if (compile(&fresh, fresh.n - 1, fresh.n, &rules, &one) == VG_OK) {
			fresh.v[fresh.n - 1].rules = count_rules(rules);
			yr_rules_destroy(rules);
		}
		if (one.code == VG_OK) {
			/* this file is fine */
		} else if (skip_bad && one.code == VG_RULES) {
			/* --skip-bad: leave this file out, say why, import the rest */
			json_array_append_new(skips, json_pack("{s:s, s:s}", "file", files[i],
							       "reason", one.msg));
			fresh.n--;
			free(fresh.v[fresh.n].name);
			free(fresh.v[fresh.n].display);
			free(fresh.v[fresh.n].text);
		} else if (first.code == VG_OK) {
			first = one;
		} else {
			size_t u = strlen(first.msg);

			size_t k = strlen(one.msg);

			if (u + 2 < sizeof(first.msg)) {
				if (k > sizeof(first.msg) - u - 2)
					k = sizeof(first.msg) - u - 2;
				first.msg[u] = '\n';
				memcpy(first.msg + u + 1, one.msg, k);
				first.msg[u + 1 + k] = '\0';
			}
		}
	}
	if (rc == VG_OK && first.code != VG_OK)
		rc = vg_error_set(err, first.code, "%s", first.msg);
	if (rc == VG_OK && fresh.n == 0)
		rc = vg_error_set(err, VG_RULES, "nothing to import from '%s': every file was bad",
				  path);
	if (rc == VG_OK)
		rc = gather(st, &all, err);
	for (i = 0; rc == VG_OK && i < fresh.n; i++)
		rc = sources_add(&all, fresh.v[i].kind, fresh.v[i].name, fresh.v[i].display,
				 fresh.v[i].text, fresh.v[i].len, 1, err);
	for (i = 0; rc == VG_OK && i < fresh.n; i++) {
		unsigned char d[32];

		EVP_Digest(fresh.v[i].text, fresh.v[i].len, d, NULL, EVP_sha256(), NULL);
		vg_hex(d, 32, fresh.v[i].sha256);
	}
	if (rc == VG_OK)
		rc = store_begin(st, err);
	if (rc == VG_OK) {
		rc = record_active(st, err);
		for (i = 0; rc == VG_OK && i < fresh.n; i++)
			rc = store_sig_put(st, fresh.v[i].name, fresh.v[i].kind, fresh.v[i].text,
					   fresh.v[i].len, fresh.v[i].rules, fresh.v[i].sha256, err);
		if (rc == VG_OK)
			rc = activate(st, state_dir, &all, 1, NULL, err);
		if (rc == VG_OK)
			rc = store_commit(st, err);
		if (rc != VG_OK)
			store_rollback(st);
	}
	if (rc == VG_OK && imported) {
		*imported = json_array();
		for (i = 0; i < fresh.n; i++)
			json_array_append_new(*imported,
					      json_pack("{s:s, s:s, s:s, s:I, s:s}", "name", fresh.v[i].name,
							"kind", fresh.v[i].kind, "file", fresh.v[i].display,
							strcmp(fresh.v[i].kind, "hashes") != 0 ? "rules"
											       : "hashes",
							(json_int_t)fresh.v[i].rules, "sha256",
							fresh.v[i].sha256));
	}
	if (rc == VG_OK && skipped)
		*skipped = json_incref(skips);
	json_decref(skips);
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	sources_release(&fresh);
	sources_release(&all);
	return rc;
}

enum vg_err
sigdb_remove(struct store *st, const char *state_dir, const char *name, struct vg_error *err)
{
	enum vg_err rc = store_begin(st, err);

	if (rc != VG_OK)
		return rc;
	rc = record_active(st, err);
	if (rc == VG_OK)
		rc = store_sig_remove(st, name, err);
	if (rc == VG_OK)
		rc = apply_stored(st, state_dir, NULL, err);
	if (rc == VG_OK)
		rc = store_commit(st, err);
	if (rc != VG_OK)
		store_rollback(st);
	return rc;
}

enum vg_err
sigdb_rollback(struct store *st, const char *state_dir, int64_t *restored, int64_t *version,
	       struct vg_error *err)
{
	char *cur_version = NULL, *cur_digest = NULL;
	enum vg_err rc = store_begin(st, err);

	if (rc != VG_OK)
		return rc;
	/* the active set must be in the history before we leave it */
	rc = record_active(st, err);
	if (rc == VG_OK)
		rc = store_meta_get(st, "sig_version", &cur_version, err);
	if (rc == VG_OK)
		rc = store_meta_get(st, "sig_digest", &cur_digest, err);
	if (rc == VG_OK) {
		/* a version made by a rollback goes back from the one it restored: repeated
		 * rollbacks walk back through the history instead of undoing each other */
		char key[64], *base = NULL;
		int64_t below = cur_version ? strtoll(cur_version, NULL, 10) : 0;

		snprintf(key, sizeof(key), "sig_rollback_of:%lld", (long long)below);
		rc = store_meta_get(st, key, &base, err);
		if (rc == VG_OK && base)
			below = strtoll(base, NULL, 10);
		free(base);
		if (rc == VG_OK)
			rc = store_sig_restore(st, below, cur_digest ? cur_digest : "", restored,
					       err);
	}
	if (rc == VG_OK)
		rc = apply_stored(st, state_dir, version, err);
	if (rc == VG_OK) {
		char key[64], val[32];

		snprintf(key, sizeof(key), "sig_rollback_of:%lld", (long long)*version);
		snprintf(val, sizeof(val), "%lld", (long long)*restored);
		rc = store_meta_set(st, key, val, err);
	}
	if (rc == VG_OK)
		rc = store_commit(st, err);
	if (rc != VG_OK)
		store_rollback(st);
	free(cur_version);
	free(cur_digest);
	return rc;
}

/* Rules in a YARA file or hashes in a list, for `sigdb list` (0 when it does not parse). */
static int64_t
count_entries(const struct sigdb_file *f)
{
	struct sources one = { 0 };
	int64_t n = 0, bad;

	if (strcmp(f->kind, "hashes") == 0) {
		struct hashdb *h = hashdb_create();

		if (h && hashdb_parse(h, f->name, f->content, f->len, 1, &n, &bad, NULL) == VG_OK) {
			hashdb_seal(h);
			n = hashdb_count(h);
		}
		hashdb_destroy(h);
	} else if (sources_add(&one, f->kind, f->name, f->name, f->content, f->len, 1, NULL) ==
		   VG_OK) {
		YR_RULES *rules;

		if (compile(&one, 0, 1, &rules, NULL) == VG_OK) {
			n = count_rules(rules);
			yr_rules_destroy(rules);
		}
	}
	sources_release(&one);
	return n;
}

enum vg_err
sigdb_install(struct store *st, const char *state_dir, const struct sigdb_bundle *b,
	      int allow_downgrade, int64_t *version, struct vg_error *err)
{
	char *active = NULL, buf[32];
	enum vg_err rc = store_begin(st, err);
	size_t i;

	if (rc != VG_OK)
		return rc;
	rc = store_meta_get(st, "bundle_version", &active, err);
	if (rc == VG_OK && active && b->version <= strtoll(active, NULL, 10) && !allow_downgrade)
		rc = vg_error_set(err, VG_INVAL, "bundle version %lld is not newer than the "
				  "installed %s: refused (--allow-downgrade to force)",
				  (long long)b->version, active);
	/* the active set goes into the history first, so rollback can return to it */
	if (rc == VG_OK)
		rc = record_active(st, err);
	if (rc == VG_OK)
		rc = store_sig_clear(st, err);
	for (i = 0; rc == VG_OK && i < b->n; i++) {
		char hex[65];
		unsigned char d[32];

		if (strcmp(b->files[i].name, EMBEDDED_NAME) == 0 || strchr(b->files[i].name, '/')) {
			rc = vg_error_set(err, VG_INVAL, "bundle file name '%s' is not allowed",
					  b->files[i].name);
			break;
		}
		EVP_Digest(b->files[i].content, b->files[i].len, d, NULL, EVP_sha256(), NULL);
		vg_hex(d, 32, hex);
		rc = store_sig_put(st, b->files[i].name, b->files[i].kind, b->files[i].content,
				   b->files[i].len, count_entries(&b->files[i]), hex, err);
	}
	if (rc == VG_OK)
		rc = apply_stored(st, state_dir, version, err);
	if (rc == VG_OK) {
		snprintf(buf, sizeof(buf), "%lld", (long long)b->version);
		rc = store_meta_set(st, "bundle_version", buf, err);
	}
	if (rc == VG_OK)
		rc = store_commit(st, err);
	if (rc != VG_OK)
		store_rollback(st);
	free(active);
	return rc;
}

enum vg_err
sigdb_files_read(const char *path, struct sigdb_bundle *out, struct vg_error *err)
{
	char **files = NULL;
	size_t nfiles = 0, i;
	enum vg_err rc = list_files(path, &files, &nfiles, err);
	struct sigdb_file *v;

	if (rc == VG_OK) {
		v = realloc(out->files, (out->n + nfiles) * sizeof(*v));
		if (v == NULL)
			rc = vg_error_set(err, VG_NOMEM, "out of memory");
		else
			out->files = v;
	}
	for (i = 0; rc == VG_OK && i < nfiles; i++) {
		struct sigdb_file *f = &out->files[out->n];
		const char *kind = source_kind(files[i], 0);

		if (kind == NULL) {
			rc = vg_error_set(err, VG_INVAL, "'%s' is neither a rule file (.yar) nor a "
					  "hash list (.hdb, .hsb, .ioc, ...)", files[i]);
			break;
		}
		rc = read_source(files[i], &f->content, &f->len, err);
		if (rc != VG_OK)
			break;
		f->name = strdup(vg_path_basename(files[i]));
		f->kind = strdup(kind);
		out->n++;
	}
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	return rc;
}
