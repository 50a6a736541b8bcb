/*
 * scanner/cache.c — the scan cache and the done set of a resumed scan, both read-only while
 * the workers look things up (no lock): open-addressing tables built before the scan starts.
 *
 * The cache holds files scanned clean: a file whose device, inode, size, mtime and ctime are
 * those recorded, under the same tag (the rules' digest and the engine options that change
 * what a scan finds), is not read again. The done set holds the files a scan had finished
 * before it was interrupted, by a 128-bit hash of the path.
 */
#include "scanner/scanner_int.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/jsonx.h"
#include "core/nstime.h"
#include "scanner/extractor.h"

struct scan_cache {
	struct store_cache_entry *v;
	size_t mask, n, cap;
};

static uint64_t
mix(uint64_t h)
{
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

static int cache_grow(struct scan_cache *c);

static void
cache_insert(struct scan_cache *c, const struct store_cache_entry *e)
{
	size_t i;

	if ((c->n + 1) * 2 > c->cap && cache_grow(c) != 0)
		return;
	i = mix((uint64_t)e->ino ^ mix((uint64_t)e->dev)) & c->mask;
	while (c->v[i].ino != 0 || c->v[i].dev != 0) {
		if (c->v[i].ino == e->ino && c->v[i].dev == e->dev) {
			c->v[i] = *e;
			return;
		}
		i = (i + 1) & c->mask;
	}
	c->v[i] = *e;
	c->n++;
}

/* Twice the slots: memory follows the entries loaded, not the configured maximum. */
static int
cache_grow(struct scan_cache *c)
{
	struct scan_cache bigger = { .cap = c->cap ? c->cap * 2 : 1024 };
	size_t i;

	bigger.mask = bigger.cap - 1;
	if ((bigger.v = calloc(bigger.cap, sizeof(*bigger.v))) == NULL)
		return -1;
	for (i = 0; i < c->cap; i++)
		if (c->v[i].ino != 0 || c->v[i].dev != 0)
			cache_insert(&bigger, &c->v[i]);
	free(c->v);
	*c = bigger;
	return 0;
}

static void
load_one(const struct store_cache_entry *e, void *ctx)
{
	if (e->ino != 0 || e->dev != 0)
		cache_insert(ctx, e);
}

enum vg_err
scanner_cache_load(struct store *st, const char *tag, int64_t limit, struct scan_cache **out,
		   struct vg_error *err)
{
	struct scan_cache *c = calloc(1, sizeof(*c));
	int64_t n = store_cache_count(st, tag);
	enum vg_err rc;

	*out = NULL;
	if (n > limit)
		n = limit;
	/* sized for what the store holds, at most half full: no growing while loading */
	if (c != NULL) {
		c->cap = 1024;
		while ((int64_t)c->cap < 2 * n + 2)
			c->cap *= 2;
		c->mask = c->cap - 1;
		c->v = calloc(c->cap, sizeof(*c->v));
	}
	if (c == NULL || c->v == NULL) {
		free(c);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	rc = store_cache_load(st, tag, limit, load_one, c, err);
	if (rc != VG_OK) {
		scanner_cache_destroy(c);
		return rc;
	}
	*out = c;
	return VG_OK;
}

void
scanner_cache_destroy(struct scan_cache *c)
{
	if (c == NULL)
		return;
	free(c->v);
	free(c);
}

int
scanner_cache_hit(const struct scan_cache *c, const struct stat *st)
{
	size_t i;

	if (c == NULL || c->n == 0)
		return 0;
	i = mix((uint64_t)st->st_ino ^ mix((uint64_t)st->st_dev)) & c->mask;
	while (c->v[i].ino != 0 || c->v[i].dev != 0) {
		const struct store_cache_entry *e = &c->v[i];

		if (e->ino == (int64_t)st->st_ino && e->dev == (int64_t)st->st_dev)
			return e->size == st->st_size && e->mtime_ns == vg_timespec_ns(st->st_mtim) &&
			       e->ctime_ns == vg_timespec_ns(st->st_ctim);
		i = (i + 1) & c->mask;
	}
	return 0;
}

char *
scanner_cache_tag(const char *rules_digest, const struct scanner_options *o)
{
	char text[768], *hex = malloc(33);
	unsigned char d[32];
	const char *exe = o->deep_containers ? extractor_exe(NULL, 0) : NULL;
	struct stat st;
	int n;

	if (hex == NULL)
		return NULL;
	/* what changes the findings: the rules, what the engine opens, the limits of unpacking
	 * and reading, and with deep containers which extractor (a new one may open more) */
	n = snprintf(text, sizeof(text), "%s|%d|%d|%d|%d|%llu|%llu|%llu|%llu|%llu|%d", rules_digest,
		     SCANNER_OPENS_REVISION, o->archives, o->deep_containers, o->max_depth,
		     (unsigned long long)o->max_filesize,
		     (unsigned long long)o->archive_max_members,
		     (unsigned long long)o->archive_max_bytes,
		     (unsigned long long)o->archive_max_member_size,
		     (unsigned long long)o->archive_max_ratio, o->scan_timeout);
	if (exe != NULL && stat(exe, &st) == 0 && n > 0 && (size_t)n < sizeof(text))
		snprintf(text + n, sizeof(text) - (size_t)n, "|%llu|%llu|%lld|%lld",
			 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			 (long long)st.st_size, (long long)vg_timespec_ns(st.st_mtim));
	EVP_Digest(text, strlen(text), d, NULL, EVP_sha256(), NULL);
	vg_hex(d, 16, hex);
	return hex;
}

/* ---- the done set ---- */

struct done_set {
	uint64_t (*v)[2];
	size_t mask, n, cap;
};

static void
path_hash(const char *path, size_t len, uint64_t h[2])
{
	unsigned char d[32];

	EVP_Digest(path, len, d, NULL, EVP_sha256(), NULL);
	memcpy(&h[0], d, 8);
	memcpy(&h[1], d + 8, 8);
	if (h[0] == 0 && h[1] == 0)
		h[1] = 1; /* 0,0 marks an empty slot */
}

static int
done_grow(struct done_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 4096, i;
	uint64_t (*v)[2] = calloc(cap, sizeof(*v));

	if (v == NULL)
		return -1;
	for (i = 0; i < s->cap; i++) {
		size_t k;

		if (s->v[i][0] == 0 && s->v[i][1] == 0)
			continue;
		k = (size_t)s->v[i][0] & (cap - 1);
		while (v[k][0] != 0 || v[k][1] != 0)
			k = (k + 1) & (cap - 1);
		v[k][0] = s->v[i][0];
		v[k][1] = s->v[i][1];
	}
	free(s->v);
	s->v = v;
	s->cap = cap;
	s->mask = cap - 1;
	return 0;
}

static void
done_add(const char *path, size_t len, void *ctx)
{
	struct done_set *s = ctx;
	uint64_t h[2];
	size_t k;

	if ((s->n + 1) * 2 > s->cap && done_grow(s) != 0)
		return;
	path_hash(path, len, h);
	k = (size_t)h[0] & s->mask;
	while (s->v[k][0] != 0 || s->v[k][1] != 0) {
		if (s->v[k][0] == h[0] && s->v[k][1] == h[1])
			return;
		k = (k + 1) & s->mask;
	}
	s->v[k][0] = h[0];
	s->v[k][1] = h[1];
	s->n++;
}

enum vg_err
scanner_done_load(struct store *st, int64_t scan_id, struct done_set **out, struct vg_error *err)
{
	struct done_set *s = calloc(1, sizeof(*s));
	enum vg_err rc;

	*out = NULL;
	if (s == NULL || done_grow(s) != 0) {
		free(s);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	rc = store_progress_foreach(st, scan_id, done_add, s, err);
	if (rc != VG_OK) {
		scanner_done_destroy(s);
		return rc;
	}
	*out = s;
	return VG_OK;
}

void
scanner_done_destroy(struct done_set *s)
{
	if (s == NULL)
		return;
	free(s->v);
	free(s);
}

size_t
scanner_done_size(const struct done_set *s)
{
	return s ? s->n : 0;
}

int
scanner_done_has(const struct done_set *s, const char *path, size_t len)
{
	uint64_t h[2];
	size_t k;

	if (s == NULL || s->n == 0)
		return 0;
	path_hash(path, len, h);
	k = (size_t)h[0] & s->mask;
	while (s->v[k][0] != 0 || s->v[k][1] != 0) {
		if (s->v[k][0] == h[0] && s->v[k][1] == h[1])
			return 1;
		k = (k + 1) & s->mask;
	}
	return 0;
}
