/*
 * realtime/vcache.c — the verdict cache: a clean file opened again costs a lookup, not a
 * scan. Keyed by device and inode; an entry holds only for the same size, mtime, ctime and
 * sig_version, and a write (FAN_CLOSE_WRITE) forgets it. Direct-mapped: bounded memory, a
 * collision replaces the older entry.
 */
#include "realtime/rtp_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct slot {
	dev_t dev;
	ino_t ino;
	int64_t size, mtime_ns, ctime_ns, sig;
	int verdict;
};

struct vcache {
	pthread_mutex_t lock;
	struct slot *v;
	size_t mask;
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
	vc->mask = n - 1;
	pthread_mutex_init(&vc->lock, NULL);
	return vc;
}

void
vcache_destroy(struct vcache *vc)
{
	if (vc == NULL)
		return;
	pthread_mutex_destroy(&vc->lock);
	free(vc->v);
	free(vc);
}

static size_t
slot_of(const struct vcache *vc, dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4full;

	return (size_t)(h ^ (h >> 29)) & vc->mask;
}

static int64_t
ns(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int
vcache_get(struct vcache *vc, const struct stat *st, int64_t sig_version)
{
	struct slot *s;
	int verdict = VC_UNKNOWN;

	pthread_mutex_lock(&vc->lock);
	s = &vc->v[slot_of(vc, st->st_dev, st->st_ino)];
	if (s->verdict != VC_UNKNOWN && s->dev == st->st_dev && s->ino == st->st_ino &&
	    s->size == st->st_size && s->mtime_ns == ns(st->st_mtim) &&
	    s->ctime_ns == ns(st->st_ctim) && s->sig == sig_version)
		verdict = s->verdict;
	pthread_mutex_unlock(&vc->lock);
	return verdict;
}

void
vcache_put(struct vcache *vc, const struct stat *st, int64_t sig_version, int verdict)
{
	struct slot *s;

	pthread_mutex_lock(&vc->lock);
	s = &vc->v[slot_of(vc, st->st_dev, st->st_ino)];
	*s = (struct slot){ st->st_dev, st->st_ino, st->st_size, ns(st->st_mtim),
			    ns(st->st_ctim), sig_version, verdict };
	pthread_mutex_unlock(&vc->lock);
}

void
vcache_forget(struct vcache *vc, dev_t dev, ino_t ino)
{
	struct slot *s;

	pthread_mutex_lock(&vc->lock);
	s = &vc->v[slot_of(vc, dev, ino)];
	if (s->dev == dev && s->ino == ino)
		s->verdict = VC_UNKNOWN;
	pthread_mutex_unlock(&vc->lock);
}
