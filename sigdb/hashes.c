/*
 * sigdb/hashes.c — parsing hash lists, sealing them into the saved form (sigdb/hashes.h
 * describes it), checking a saved form before it is used, and finding digests in it.
 */
#include "sigdb/hashes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/path.h"

static const size_t digest_len[HASH__COUNT] = { 16, 20, 32 };
/* a record of the saved form: the digest, u32 name, u32 list, then an i64 size only in the
 * sections of an algorithm where some entry has a size (IOC lists have none) */
#define REC_NAMES 8
#define REC_SIZE 8

#define IMG_MAGIC "VIGILHDB"
#define IMG_VERSION 1u
#define IMG_BOM 0x01020304u

struct img_header {
	char magic[8];
	uint32_t version, bom, header_len, rec_len[HASH__COUNT];
	uint64_t count[HASH__COUNT], off[HASH__COUNT];
	uint64_t strings_off, strings_len, file_len;
};
_Static_assert(sizeof(struct img_header) == 104, "the saved form's header is 104 bytes");

/* An entry while parsing. */
struct hentry {
	unsigned char d[32];
	int64_t size;		/* -1: any size */
	uint32_t name, list;	/* indexes into names */
};

struct hashdb {
	/* parsing: entries per algorithm, interned names */
	struct hentry *v[HASH__COUNT];
	size_t n[HASH__COUNT], cap[HASH__COUNT];
	char **names;
	size_t nnames, capnames;
	/* sealed: the saved form, owned (malloc'd), mapped (munmap) or borrowed */
	int sealed;
	enum { IMG_OWNED, IMG_MAPPED, IMG_BORROWED } kind;
	const unsigned char *img;
	size_t img_len;
	const unsigned char *rec[HASH__COUNT];
	size_t cnt[HASH__COUNT], rl[HASH__COUNT];	/* records, their length */
	const char *strs;
	size_t strs_len;
};

struct hashdb *
hashdb_create(void)
{
	return calloc(1, sizeof(struct hashdb));
}

/* Free what parsing built. */
static void
free_parsed(struct hashdb *h)
{
	size_t i;

	for (i = 0; i < HASH__COUNT; i++) {
		free(h->v[i]);
		h->v[i] = NULL;
		h->n[i] = h->cap[i] = 0;
	}
	for (i = 0; i < h->nnames; i++)
		free(h->names[i]);
	free(h->names);
	h->names = NULL;
	h->nnames = h->capnames = 0;
}

void
hashdb_destroy(struct hashdb *h)
{
	if (h == NULL)
		return;
	free_parsed(h);
	if (h->img && h->kind == IMG_OWNED)
		free((void *)h->img);
	else if (h->img && h->kind == IMG_MAPPED)
		munmap((void *)h->img, h->img_len);
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
	if (h->sealed)
		return vg_error_set(err, VG_INVAL, "%s: the hash database is sealed already", source);
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

/*
 * Use the saved form at img (len bytes) as h's entries: the header must describe exactly
 * this layout (sections one after the other, nothing left over) and the string table end in
 * a NUL. Returns NULL when it does, else the reason.
 */
static const char *
attach(struct hashdb *h, const unsigned char *img, size_t len)
{
	struct img_header hd;
	uint64_t at = sizeof(hd);
	int a;

	if (len < sizeof(hd))
		return "shorter than its header";
	memcpy(&hd, img, sizeof(hd));
	if (memcmp(hd.magic, IMG_MAGIC, sizeof(hd.magic)) != 0)
		return "not a saved hash database (bad magic)";
	if (hd.bom != IMG_BOM)
		return "written on a machine of another byte order";
	if (hd.version != IMG_VERSION)
		return "a version of the format this vigil does not read";
	if (hd.header_len != sizeof(hd))
		return "the header length is wrong";
	if (hd.file_len != len)
		return "truncated or extended (its length is not the one in its header)";
	for (a = 0; a < HASH__COUNT; a++) {
		if (hd.rec_len[a] != digest_len[a] + REC_NAMES &&
		    hd.rec_len[a] != digest_len[a] + REC_NAMES + REC_SIZE)
			return "a record length is wrong";
		if (hd.off[a] != at || hd.count[a] > (len - at) / hd.rec_len[a])
			return "the records do not fit";
		h->rec[a] = img + at;
		h->cnt[a] = (size_t)hd.count[a];
		h->rl[a] = hd.rec_len[a];
		at += hd.count[a] * hd.rec_len[a];
	}
	if (hd.strings_off != at || hd.strings_len != len - at)
		return "the string table does not fit";
	if (hd.strings_len > UINT32_MAX + (uint64_t)1)
		return "the string table is too long";
	if (hd.strings_len > 0 && img[len - 1] != '\0')
		return "the string table does not end in a NUL";
	if (hd.strings_len == 0 && at != sizeof(hd))
		return "records without names";
	h->strs = (const char *)img + at;
	h->strs_len = (size_t)hd.strings_len;
	h->img = img;
	h->img_len = len;
	h->sealed = 1;
	return NULL;
}

enum vg_err
hashdb_seal(struct hashdb *h)
{
	struct img_header hd = { .magic = IMG_MAGIC, .version = IMG_VERSION, .bom = IMG_BOM,
				 .header_len = sizeof(hd) };
	uint32_t *noff = NULL;
	unsigned char *img = NULL, *p;
	uint64_t strs = 0, len;
	enum vg_err rc = VG_OK;
	size_t i;
	int a;

	if (h->sealed)
		return VG_OK;
	for (a = 0; a < HASH__COUNT; a++) {
		size_t w = 0;

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
	/* the string table: every name, at the offset noff[] gives */
	if (h->nnames > 0 && (noff = malloc(h->nnames * sizeof(*noff))) == NULL) {
		rc = VG_NOMEM;
		goto out;
	}
	for (i = 0; i < h->nnames; i++) {
		if (strs > UINT32_MAX) {
			rc = VG_LIMIT;
			goto out;
		}
		noff[i] = (uint32_t)strs;
		strs += strlen(h->names[i]) + 1;
	}
	len = sizeof(hd);
	for (a = 0; a < HASH__COUNT; a++) {
		int sized = 0;

		for (i = 0; !sized && i < h->n[a]; i++)
			sized = h->v[a][i].size >= 0;
		hd.rec_len[a] = (uint32_t)(digest_len[a] + REC_NAMES + (sized ? REC_SIZE : 0));
		hd.count[a] = h->n[a];
		hd.off[a] = len;
		len += (uint64_t)h->n[a] * hd.rec_len[a];
	}
	hd.strings_off = len;
	hd.strings_len = strs;
	hd.file_len = len + strs;
	/* calloc: the padding is zero, so the same lists always give the same bytes */
	if ((img = calloc(1, (size_t)hd.file_len)) == NULL) {
		rc = VG_NOMEM;
		goto out;
	}
	memcpy(img, &hd, sizeof(hd));
	for (a = 0; a < HASH__COUNT; a++) {
		p = img + hd.off[a];
		for (i = 0; i < h->n[a]; i++, p += hd.rec_len[a]) {
			const struct hentry *e = &h->v[a][i];
			uint32_t no = noff[e->name], lo = noff[e->list];

			memcpy(p, e->d, digest_len[a]);
			memcpy(p + digest_len[a], &no, 4);
			memcpy(p + digest_len[a] + 4, &lo, 4);
			if (hd.rec_len[a] > digest_len[a] + REC_NAMES)
				memcpy(p + digest_len[a] + REC_NAMES, &e->size, 8);
		}
	}
	p = img + hd.strings_off;
	for (i = 0; i < h->nnames; i++) {
		size_t n = strlen(h->names[i]) + 1;

		memcpy(p, h->names[i], n);
		p += n;
	}
	if (attach(h, img, (size_t)hd.file_len) != NULL) {
		rc = VG_LIMIT;	/* cannot happen: what seal writes is what attach reads */
		goto out;
	}
	h->kind = IMG_OWNED;
	img = NULL;
out:
	free(img);
	free(noff);
	free_parsed(h);
	if (rc != VG_OK) {
		/* an empty, sealed database: lookups miss */
		memset(h->cnt, 0, sizeof(h->cnt));
		h->sealed = 1;
	}
	return rc;
}

void
hashdb_image(const struct hashdb *h, const void **data, size_t *len)
{
	*data = h->img;
	*len = h->img_len;
}

static enum vg_err
open_image(const void *data, size_t len, int mapped, struct hashdb **out, struct vg_error *err)
{
	struct hashdb *h = hashdb_create();
	const char *why;

	*out = NULL;
	if (h == NULL) {
		if (mapped)
			munmap((void *)data, len);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	if ((why = attach(h, data, len)) != NULL) {
		if (mapped)
			munmap((void *)data, len);
		free(h);
		return vg_error_set(err, VG_RULES, "%s", why);
	}
	h->kind = mapped ? IMG_MAPPED : IMG_BORROWED;
	*out = h;
	return VG_OK;
}

enum vg_err
hashdb_open_image(const void *data, size_t len, struct hashdb **out, struct vg_error *err)
{
	return open_image(data, len, 0, out, err);
}

enum vg_err
hashdb_open_mapping_take(void *map, size_t len, struct hashdb **out, struct vg_error *err)
{
	return open_image(map, len, 1, out, err);
}

int
hashdb_wants(const struct hashdb *h, enum hash_algo a)
{
	return h != NULL && (h->sealed ? h->cnt[a] : h->n[a]) > 0;
}

int64_t
hashdb_count(const struct hashdb *h)
{
	if (h == NULL)
		return 0;
	if (h->sealed)
		return (int64_t)(h->cnt[0] + h->cnt[1] + h->cnt[2]);
	return (int64_t)(h->n[0] + h->n[1] + h->n[2]);
}

int
hashdb_lookup(const struct hashdb *h, enum hash_algo a, const unsigned char *digest, int64_t size,
	      const char **name, const char **list)
{
	const unsigned char *r;
	size_t lo = 0, hi, dl = digest_len[a], rl;

	if (h == NULL || !h->sealed)
		return 0;
	r = h->rec[a];
	rl = h->rl[a];
	hi = h->cnt[a];
	/* the first record with this digest, then every one of them (sizes differ) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(r + mid * rl, digest, dl) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < h->cnt[a] && memcmp(r + lo * rl, digest, dl) == 0; lo++) {
		const unsigned char *e = r + lo * rl + dl;
		int64_t esize = -1;
		uint32_t no, li;

		memcpy(&no, e, 4);
		memcpy(&li, e + 4, 4);
		if (rl > dl + REC_NAMES)
			memcpy(&esize, e + REC_NAMES, 8);
		if (no >= h->strs_len || li >= h->strs_len)
			continue;	/* outside the string table: never trusted */
		if (esize < 0 || esize == size) {
			*name = h->strs + no;
			*list = h->strs + li;
			return 1;
		}
	}
	return 0;
}
