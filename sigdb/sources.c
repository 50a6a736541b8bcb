/*
 * sigdb/sources.c — the list of signature sources: the embedded rules and what the store
 * holds, their digests (which name the saved compiled rules and hash lists), and where
 * imported files come from (a file's kind by its name, the signature files of a folder).
 *
 * Gathering reads only each stored source's name, kind and recorded SHA-256; the digests are
 * computed from those, so that a start whose saved forms are current never reads the texts
 * (a million-hash list is ~80 MB of text). sigdb_sources_read fetches the texts a compile or
 * a rebuild needs.
 */
#include "sigdb/sigdb_int.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/jsonx.h"
#include "core/path.h"

void
sigdb_sources_release(struct sigdb_sources *l)
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

/* Is s 64 lower-case hex digits (a SHA-256 as vigil records it)? */
static int
is_sha256_hex(const char *s)
{
	return s != NULL && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* A new slot for name in l, or the one of the same name emptied. */
static struct sigdb_source *
slot(struct sigdb_sources *l, const char *name)
{
	struct sigdb_source *s = NULL;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			s = &l->v[i];
	if (s == NULL) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 8;
			struct sigdb_source *v = realloc(l->v, cap * sizeof(*v));

			if (v == NULL)
				return NULL;
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
	return s;
}

static const char *
static_kind(const char *kind)
{
	return strcmp(kind, "yara") == 0 ? "yara" : strcmp(kind, "filenames") == 0 ? "filenames"
									  : "hashes";
}

/* Append a copy of a source; replaces an earlier one of the same name. */
enum vg_err
sigdb_sources_add(struct sigdb_sources *l, const char *kind, const char *name,
		  const char *display, const void *text, size_t len, const char *sha256,
		  int is_new, struct vg_error *err)
{
	struct sigdb_source *s = slot(l, name);

	if (s == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	s->kind = static_kind(kind);
	s->name = strdup(name);
	s->display = strdup(display);
	s->text = malloc(len + 1);
	if (s->name == NULL || s->display == NULL || s->text == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	memcpy(s->text, text, len);
	s->text[len] = '\0';
	s->len = len;
	s->is_new = is_new;
	if (is_sha256_hex(sha256)) {
		memcpy(s->sha256, sha256, 65);
	} else {
		unsigned char d[32];

		EVP_Digest(s->text, s->len, d, NULL, EVP_sha256(), NULL);
		vg_hex(d, 32, s->sha256);
	}
	return VG_OK;
}

void
sigdb_sources_drop_last(struct sigdb_sources *l)
{
	struct sigdb_source *s;

	if (l->n == 0)
		return;
	s = &l->v[--l->n];
	free(s->name);
	free(s->display);
	free(s->text);
}

struct gather {
	struct store *st;
	struct sigdb_sources *l;
	enum vg_err rc;
	struct vg_error *err;
};

/* A stored source without its text; the text is read now only when no SHA-256 names it. */
static int
collect_stored(const char *name, const char *kind, const char *sha256, int64_t rules, void *ctx)
{
	struct gather *g = ctx;
	struct sigdb_source *s;

	if (!is_sha256_hex(sha256)) {
		char *text = NULL, *sha = NULL;
		size_t len = 0;

		g->rc = store_sig_get(g->st, name, &text, &len, &sha, g->err);
		if (g->rc == VG_OK)
			g->rc = sigdb_sources_add(g->l, kind, name, name, text, len, NULL, 0, g->err);
		free(text);
		free(sha);
		if (g->rc == VG_OK)
			g->l->v[g->l->n - 1].rules = rules;
		return g->rc != VG_OK;
	}
	if ((s = slot(g->l, name)) == NULL) {
		g->rc = vg_error_set(g->err, VG_NOMEM, "out of memory");
		return 1;
	}
	s->kind = static_kind(kind);
	s->name = strdup(name);
	s->display = strdup(name);
	memcpy(s->sha256, sha256, 65);
	s->rules = rules;
	if (s->name == NULL || s->display == NULL) {
		g->rc = vg_error_set(g->err, VG_NOMEM, "out of memory");
		return 1;
	}
	return 0;
}

enum vg_err
sigdb_sources_gather(struct store *st, struct sigdb_sources *l, struct vg_error *err)
{
	struct gather g = { .st = st, .l = l, .rc = VG_OK, .err = err };
	enum vg_err rc = sigdb_sources_add(l, "yara", SIGDB_EMBEDDED_NAME,
					   "<embedded default rules>", sigdb_embedded_rules,
					   sigdb_embedded_size(), NULL, 0, err);

	if (rc == VG_OK)
		rc = store_sig_index(st, collect_stored, &g, err);
	return rc == VG_OK ? g.rc : rc;
}

static int
wanted(const struct sigdb_source *s, enum sigdb_texts which)
{
	int hashes = strcmp(s->kind, "hashes") == 0;

	return (hashes && (which & SIGDB_TEXTS_HASHES)) || (!hashes && (which & SIGDB_TEXTS_RULES));
}

/*
 * Read the texts not read yet. The store's row must still carry the SHA-256 the source was
 * gathered with: the digest that names the saved forms was computed from those, and a text
 * that changed since (another vigil importing meanwhile) would be saved under a wrong name.
 */
enum vg_err
sigdb_sources_read(struct store *st, struct sigdb_sources *l, enum sigdb_texts which,
		   struct vg_error *err)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct sigdb_source *s = &l->v[i];
		char *sha = NULL;
		enum vg_err rc;

		if (s->text != NULL || !wanted(s, which))
			continue;
		rc = store_sig_get(st, s->name, &s->text, &s->len, &sha, err);
		if (rc == VG_OK && strcmp(sha, s->sha256) != 0)
			rc = vg_error_set(err, VG_STORE, "signature source '%s' changed while it was "
					  "being read; try again", s->name);
		free(sha);
		if (rc != VG_OK) {
			free(s->text);
			s->text = NULL;
			s->len = 0;
			return rc;
		}
	}
	return VG_OK;
}

/* One source in a digest: its name, kind and SHA-256, each NUL-terminated. */
static void
digest_one(EVP_MD_CTX *md, const struct sigdb_source *s)
{
	EVP_DigestUpdate(md, s->name, strlen(s->name) + 1);
	EVP_DigestUpdate(md, s->kind, strlen(s->kind) + 1);
	EVP_DigestUpdate(md, s->sha256, strlen(s->sha256) + 1);
}

void
sigdb_sources_digest(const struct sigdb_sources *l, char hex[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[32];
	unsigned int n;
	size_t i;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < l->n; i++)
		digest_one(md, &l->v[i]);
	EVP_DigestFinal_ex(md, d, &n);
	EVP_MD_CTX_free(md);
	vg_hex(d, 32, hex);
}

size_t
sigdb_sources_hash_digest(const struct sigdb_sources *l, char hex[65])
{
	static const char format[] = "vhdb1";
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[32];
	unsigned int n;
	size_t i, lists = 0;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, format, sizeof(format));
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].kind, "hashes") == 0) {
			digest_one(md, &l->v[i]);
			lists++;
		}
	EVP_DigestFinal_ex(md, d, &n);
	EVP_MD_CTX_free(md);
	vg_hex(d, 32, hex);
	return lists;
}

void
sigdb_sources_legacy_digest(const struct sigdb_sources *l, char hex[65])
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
		if (l->v[i].text != NULL)
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
int
sigdb_sources_use_filetype(const struct sigdb_sources *l)
{
	regex_t re;
	size_t i;
	int hit = 0;

	if (regcomp(&re, "filetype[[:space:]]*(==|!=|[a-z]*contains|[a-z]*matches|[a-z]*with|"
			 "iequals)", REG_EXTENDED | REG_NOSUB) != 0)
		return 1;
	for (i = 0; !hit && i < l->n; i++)
		hit = l->v[i].text != NULL && strcmp(l->v[i].kind, "hashes") != 0 &&
		      memmem(l->v[i].text, l->v[i].len, "filetype", 8) != NULL &&
		      regexec(&re, l->v[i].text, 0, NULL, 0) == 0;
	regfree(&re);
	return hit;
}

enum vg_err
sigdb_read_source(const char *path, char **text, size_t *len, struct vg_error *err)
{
	return vg_read_file(path, SIGDB_MAX_SOURCE_BYTES, text, len, err);
}

/*
 * "yara", "hashes" or "filenames" by the file's name, NULL for other files. In a folder only the
 * unambiguous extensions count (a rules folder holds README.txt and the like); a .txt,
 * .csv or .lst hash list is imported when it is named itself.
 */
const char *
sigdb_source_kind(const char *name, int in_folder)
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

/*
 * The files named by path: the file itself, or the signature files in the folder (by
 * sigdb_source_kind), sorted by name. On failure *files and *n hold what to free.
 */
enum vg_err
sigdb_list_files(const char *path, char ***files, size_t *n, struct vg_error *err)
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
		if (sigdb_source_kind(e->d_name, 1) == NULL)
			continue;
		if (*n == cap) {
			char **v;

			cap = cap ? cap * 2 : 16;
			v = realloc(*files, cap * sizeof(char *));
			if (v == NULL)
				break;
			*files = v;
		}
		if (((*files)[*n] = vg_path_join(path, e->d_name)) == NULL)
			break;
		(*n)++;
	}
	closedir(d);
	if (e != NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	if (*n == 0)
		return vg_error_set(err, VG_NOENT, "no rule or hash list files in folder '%s'", path);
	qsort(*files, *n, sizeof(char *), cmp_str);
	return VG_OK;
}

void
sigdb_files_free(char **files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
}
