/*
 * sigdb/sources.c — the list of signature sources: the embedded rules and what the store
 * holds, their digest (which names the compiled file), and where imported files come from
 * (a file's kind by its name, the signature files of a folder).
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

/* Append a copy of a source; replaces an earlier one of the same name. */
enum vg_err
sigdb_sources_add(struct sigdb_sources *l, const char *kind, const char *name,
		  const char *display, const void *text, size_t len, int is_new,
		  struct vg_error *err)
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

static int
collect_stored(const char *name, const char *kind, const void *content, size_t len, void *ctx)
{
	struct sigdb_sources *l = ctx;

	return sigdb_sources_add(l, kind, name, name, content, len, 0, NULL) != VG_OK;
}

enum vg_err
sigdb_sources_gather(struct store *st, struct sigdb_sources *l, struct vg_error *err)
{
	enum vg_err rc = sigdb_sources_add(l, "yara", SIGDB_EMBEDDED_NAME,
					   "<embedded default rules>", sigdb_embedded_rules,
					   sigdb_embedded_size(), 0, err);

	if (rc == VG_OK)
		rc = store_sig_foreach(st, collect_stored, l, err);
	return rc;
}

void
sigdb_sources_digest(const struct sigdb_sources *l, char hex[65])
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
		hit = memmem(l->v[i].text, l->v[i].len, "filetype", 8) != NULL &&
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
