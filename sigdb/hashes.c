/* sigdb/hashes.c — parsing hash lists and finding digests in them. */
#include "sigdb/hashes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"

static const size_t digest_len[HASH__COUNT] = { 16, 20, 32 };

struct hentry {
	unsigned char d[32];
	int64_t size;		/* -1: any size */
	uint32_t name, list;	/* indexes into names */
};

struct hashdb {
	struct hentry *v[HASH__COUNT];
	size_t n[HASH__COUNT], cap[HASH__COUNT];
	char **names;
	size_t nnames, capnames;
};

struct hashdb *
hashdb_create(void)
{
	return calloc(1, sizeof(struct hashdb));
}

void
hashdb_destroy(struct hashdb *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < HASH__COUNT; i++)
		free(h->v[i]);
	for (i = 0; i < h->nnames; i++)
		free(h->names[i]);
	free(h->names);
	free(h);
}

static int
intern(struct hashdb *h, const char *s, size_t len, uint32_t *idx)
{
	/* consecutive entries often share a name (the list's): reuse the last one */
	if (h->nnames > 0 && strlen(h->names[h->nnames - 1]) == len &&
	    memcmp(h->names[h->nnames - 1], s, len) == 0) {
		*idx = (uint32_t)(h->nnames - 1);
		return 0;
	}
	if (h->nnames == h->capnames) {
		size_t cap = h->capnames ? h->capnames * 2 : 64;
		char **v = realloc(h->names, cap * sizeof(char *));

		if (v == NULL)
			return -1;
		h->names = v;
		h->capnames = cap;
	}
	if ((h->names[h->nnames] = strndup(s, len)) == NULL)
		return -1;
	*idx = (uint32_t)h->nnames++;
	return 0;
}

static int
unhex(const char *s, size_t n, unsigned char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi, lo;
		char a = s[2 * i], b = s[2 * i + 1];

		hi = a >= '0' && a <= '9' ? a - '0' : a >= 'a' && a <= 'f' ? a - 'a' + 10
			: a >= 'A' && a <= 'F' ? a - 'A' + 10 : -1;
		lo = b >= '0' && b <= '9' ? b - '0' : b >= 'a' && b <= 'f' ? b - 'a' + 10
			: b >= 'A' && b <= 'F' ? b - 'A' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static int
algo_of(size_t hexlen)
{
	return hexlen == 32 ? HASH_MD5 : hexlen == 40 ? HASH_SHA1 : hexlen == 64 ? HASH_SHA256 : -1;
}

static int
add(struct hashdb *h, int a, const unsigned char *d, int64_t size, uint32_t name, uint32_t list)
{
	struct hentry *e;

	if (h->n[a] == h->cap[a]) {
		size_t cap = h->cap[a] ? h->cap[a] * 2 : 1024;
		struct hentry *v = realloc(h->v[a], cap * sizeof(*v));

		if (v == NULL)
			return -1;
		h->v[a] = v;
		h->cap[a] = cap;
	}
	e = &h->v[a][h->n[a]++];
	memset(e->d, 0, sizeof(e->d));
	memcpy(e->d, d, digest_len[a]);
	e->size = size;
	e->name = name;
	e->list = list;
	return 0;
}

/* One line (without its newline); returns NULL when fine, else the reason. */
static const char *
parse_line(struct hashdb *h, char *line, uint32_t list, int first)
{
	char *hash = line, *size_s = NULL, *name = NULL, *p;
	unsigned char d[32];
	int64_t size = -1;
	uint32_t ni = list;
	int a;

	p = strchr(line, ':');
	if (p != NULL && strpbrk(line, ";,") != NULL && strpbrk(line, ";,") < p)
		p = NULL;	/* an IOC line whose name has a colon (Trojan:Win32/X) */
	if (p != NULL) {				/* ClamAV HASH:SIZE:NAME[:FLEVEL] */
		*p = '\0';
		size_s = p + 1;
		if ((p = strchr(size_s, ':')) == NULL)
			return "expected HASH:SIZE:NAME";
		*p = '\0';
		name = p + 1;
		if ((p = strchr(name, ':')) != NULL)
			*p = '\0';			/* a functionality level follows */
	} else if ((p = strpbrk(line, ";,")) != NULL) {	/* IOC HASH;NAME or HASH,NAME */
		*p = '\0';
		name = p + 1;
	}
	while (*hash == ' ' || *hash == '\t')
		hash++;
	p = hash + strlen(hash);
	while (p > hash && (p[-1] == ' ' || p[-1] == '\t'))
		*--p = '\0';
	a = algo_of(strlen(hash));
	if (a < 0 || unhex(hash, digest_len[a], d) != 0) {
		/* the first line of a CSV or IOC list may name its columns ("sha256,name") */
		if (first && name && !size_s && hash[strspn(hash, "0123456789abcdefABCDEF")] != '\0')
			return "";
		return "not an MD5, SHA-1 or SHA-256 in hex";
	}
	if (size_s && strcmp(size_s, "*") != 0) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(size_s, &end, 10);
		if (end == size_s || *end != '\0' || v < 0 || errno == ERANGE)
			return "the size is not a number or *";
		size = v;
	}
	if (name) {
		while (*name == ' ' || *name == '\t' || *name == '"')
			name++;
		p = name + strlen(name);
		while (p > name && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '"'))
			*--p = '\0';
		if (*name != '\0' && intern(h, name, strlen(name), &ni) != 0)
			return "out of memory";
	}
	if (add(h, a, d, size, ni, list) != 0)
		return "out of memory";
	return NULL;
}

enum vg_err
hashdb_parse(struct hashdb *h, const char *source, const char *text, size_t len, int skip_bad,
	     int64_t *added, int64_t *bad, struct vg_error *err)
{
	const char *base = vg_path_basename(source);
	size_t before = h->n[0] + h->n[1] + h->n[2], i = 0, lineno = 0;
	uint32_t list;
	char buf[4096];
	int first = 1;	/* no content line yet: a header may come */

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;	/* a UTF-8 byte order mark */

	*added = *bad = 0;
	if (intern(h, base, strlen(base), &list) != 0)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		const char *why;
		char *l;

		lineno++;
		if (n >= sizeof(buf)) {
			why = "line too long";
		} else {
			memcpy(buf, text + i, n);
			buf[n] = '\0';
			if (n > 0 && buf[n - 1] == '\r')
				buf[n - 1] = '\0';
			for (l = buf; *l == ' ' || *l == '\t'; l++)
				;
			why = NULL;
			if (*l != '\0' && *l != '#') {
				why = parse_line(h, l, list, first);
				first = 0;
			}
			if (why && *why == '\0')
				why = NULL;
		}
		if (why) {
			if (!skip_bad)
				return vg_error_set(err, VG_RULES, "%s:%zu: %s", source, lineno, why);
			(*bad)++;
		}
		i += n + 1;
	}
	*added = (int64_t)(h->n[0] + h->n[1] + h->n[2] - before);
	return VG_OK;
}

static int
cmp_entry(const void *a, const void *b, void *len)
{
	const struct hentry *x = a, *y = b;
	int c = memcmp(x->d, y->d, *(const size_t *)len);

	if (c != 0)
		return c;
	return (x->size > y->size) - (x->size < y->size);
}

void
hashdb_seal(struct hashdb *h)
{
	int a;

	for (a = 0; a < HASH__COUNT; a++) {
		size_t i, w = 0;

		if (h->n[a] == 0)
			continue; /* no array at all: qsort of NULL is undefined */
		qsort_r(h->v[a], h->n[a], sizeof(struct hentry), cmp_entry,
			(void *)&digest_len[a]);
		/* the same digest and size twice (one list, or two) is one entry: the first */
		for (i = 0; i < h->n[a]; i++)
			if (w == 0 || cmp_entry(&h->v[a][w - 1], &h->v[a][i],
						(void *)&digest_len[a]) != 0)
				h->v[a][w++] = h->v[a][i];
		h->n[a] = w;
	}
}

int
hashdb_wants(const struct hashdb *h, enum hash_algo a)
{
	return h != NULL && h->n[a] > 0;
}

int64_t
hashdb_count(const struct hashdb *h)
{
	return h ? (int64_t)(h->n[0] + h->n[1] + h->n[2]) : 0;
}

int
hashdb_lookup(const struct hashdb *h, enum hash_algo a, const unsigned char *digest, int64_t size,
	      const char **name, const char **list)
{
	size_t lo = 0, hi = h->n[a], dl = digest_len[a];

	/* the first entry with this digest, then every one of them (sizes differ) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(h->v[a][mid].d, digest, dl) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < h->n[a] && memcmp(h->v[a][lo].d, digest, dl) == 0; lo++) {
		const struct hentry *e = &h->v[a][lo];

		if (e->size < 0 || e->size == size) {
			*name = h->names[e->name];
			*list = h->names[e->list];
			return 1;
		}
	}
	return 0;
}
