/*
 * realtime/vcache.c — the verdict cache: a clean file opened again costs a lookup, not a
 * scan. Keyed by device and inode; an entry holds only for the same size, mtime, ctime and
 * sig_version, and a write (FAN_CLOSE_WRITE) forgets it. Four-way set-associative: bounded
 * memory, and a fifth file in a set replaces the one used least recently.
 */
#include "realtime/rtp_int.h"
#include "core/nstime.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WAYS 4

struct slot {
	dev_t dev;
	ino_t ino;
	int64_t size, mtime_ns, ctime_ns, sig;
	int verdict;
	const char *name;	/* an infected file's first rule (interned), or NULL */
	uint64_t used;		/* when it was last put or hit (a counter) */
};

/* Rule names, each kept once for as long as the cache: a slot points at its rule's. */
struct name {
	struct name *next;
	char text[];
};

struct vcache {
	pthread_mutex_t lock;
	struct slot *v;
	size_t mask;		/* of the set index: WAYS slots per set */
	uint64_t clock;
	struct name *names;
};

struct vcache *
vcache_create(int64_t entries)
{
	struct vcache *vc = calloc(1, sizeof(*vc));
	size_t n = 1024;

	if (vc == NULL)
		return NULL;
	while ((int64_t)n < entries && n < ((size_t)1 << 26))
		n <<= 1;
	vc->v = calloc(n, sizeof(*vc->v));
	if (vc->v == NULL) {
		free(vc);
		return NULL;
	}
	vc->mask = n / WAYS - 1;
	pthread_mutex_init(&vc->lock, NULL);
	return vc;
}

void
vcache_destroy(struct vcache *vc)
{
	if (vc == NULL)
		return;
	pthread_mutex_destroy(&vc->lock);
	while (vc->names) {
		struct name *n = vc->names;

		vc->names = n->next;
		free(n);
	}
	free(vc->v);
	free(vc);
}

/* name kept once (under the lock); NULL for NULL or when out of memory */
static const char *
intern(struct vcache *vc, const char *text)
{
	struct name *n;
	size_t len;

	if (text == NULL)
		return NULL;
	for (n = vc->names; n; n = n->next)
		if (strcmp(n->text, text) == 0)
			return n->text;
	len = strlen(text);
	if ((n = malloc(sizeof(*n) + len + 1)) == NULL)
		return NULL;
	memcpy(n->text, text, len + 1);
	n->next = vc->names;
	vc->names = n;
	return n->text;
}

/* The WAYS slots of the set of (dev, ino). */
static struct slot *
set_of(const struct vcache *vc, dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino ^ (uint64_t)dev * 0x9e3779b97f4a7c15ull;

	/* splitmix64's finaliser: every bit of the inode reaches the low bits */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	h ^= h >> 31;
	return &vc->v[WAYS * ((size_t)h & vc->mask)];
}

static struct slot *
find(struct slot *set, dev_t dev, ino_t ino)
{
	int i;

	for (i = 0; i < WAYS; i++)
		if (set[i].verdict != VC_UNKNOWN && set[i].dev == dev && set[i].ino == ino)
			return &set[i];
	return NULL;
}

int
vcache_get(struct vcache *vc, const struct stat *st, int64_t sig_version)
{
	return vcache_get_named(vc, st, sig_version, NULL);
}

int
vcache_get_named(struct vcache *vc, const struct stat *st, int64_t sig_version,
		 const char **name)
{
	struct slot *s;
	int verdict = VC_UNKNOWN;

	if (name)
		*name = NULL;
	pthread_mutex_lock(&vc->lock);
	s = find(set_of(vc, st->st_dev, st->st_ino), st->st_dev, st->st_ino);
	if (s != NULL && s->size == st->st_size && s->mtime_ns == vg_timespec_ns(st->st_mtim) &&
	    s->ctime_ns == vg_timespec_ns(st->st_ctim) && s->sig == sig_version) {
		verdict = s->verdict;
		s->used = ++vc->clock;
		if (name)
			*name = s->name;
	}
	pthread_mutex_unlock(&vc->lock);
	return verdict;
}

void
vcache_put(struct vcache *vc, const struct stat *st, int64_t sig_version, int verdict)
{
	vcache_put_named(vc, st, sig_version, verdict, NULL);
}

void
vcache_put_named(struct vcache *vc, const struct stat *st, int64_t sig_version, int verdict,
		 const char *name)
{
	struct slot *s;

	struct slot *set;

	pthread_mutex_lock(&vc->lock);
	set = set_of(vc, st->st_dev, st->st_ino);
	s = find(set, st->st_dev, st->st_ino);
	if (s == NULL) {
		int i;

		for (s = &set[0], i = 1; i < WAYS; i++)
			if (set[i].used < s->used)
				s = &set[i];
	}
	*s = (struct slot){ st->st_dev, st->st_ino, st->st_size, vg_timespec_ns(st->st_mtim),
			    vg_timespec_ns(st->st_ctim), sig_version, verdict,
			    verdict == VC_INFECTED ? intern(vc, name) : NULL, ++vc->clock };
	pthread_mutex_unlock(&vc->lock);
}

void
vcache_forget(struct vcache *vc, dev_t dev, ino_t ino)
{
	struct slot *s;

	pthread_mutex_lock(&vc->lock);
	s = find(set_of(vc, dev, ino), dev, ino);
	if (s != NULL)
		s->verdict = VC_UNKNOWN;
	pthread_mutex_unlock(&vc->lock);
}
