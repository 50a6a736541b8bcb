/*
 * scanner/maptrim.c — memory stays bounded whatever the size of a mapped file. A file larger
 * than READ_MAX is scanned through a read-only mapping, and every page libyara, libmagic or
 * libarchive touches stays in the process's memory until the mapping goes: two workers on
 * 100 MB files held 200 MB. While such a mapping is registered, a thread drops its pages from
 * the process every TRIM_MS (MADV_DONTNEED): they stay in the page cache, and a later access
 * maps them again, with the same bytes. The mapping is private and never written, so nothing
 * is lost; a file that shrank faults as it would have (engine_read.c's SIGBUS handling).
 */
#include "scanner/engine_int.h"

#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#define TRIM_MS 40
#define SLOTS 256

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct {
	void *p;
	size_t n;
} slot[SLOTS];
static int used, started;

static void *
trimmer(void *arg)
{
	struct timespec until;
	int i;

	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (used == 0)
			pthread_cond_wait(&cv, &mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += TRIM_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&cv, &mu, &until);
		/* under the lock: a mapping is unregistered before it is unmapped */
		for (i = 0; i < SLOTS; i++)
			if (slot[i].p != NULL)
				madvise(slot[i].p, slot[i].n, MADV_DONTNEED);
	}
	return NULL;
}

void
maptrim_add(void *p, size_t n)
{
	pthread_t t;
	int i;

	pthread_mutex_lock(&mu);
	if (!started) {
		pthread_attr_t a;

		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		started = pthread_create(&t, &a, trimmer, NULL) == 0;
		pthread_attr_destroy(&a);
	}
	for (i = 0; i < SLOTS; i++)
		if (slot[i].p == NULL) {
			slot[i].p = p;
			slot[i].n = n;
			used++;
			pthread_cond_signal(&cv);
			break;
		}
	pthread_mutex_unlock(&mu);
}

void
maptrim_remove(void *p)
{
	int i;

	pthread_mutex_lock(&mu);
	for (i = 0; i < SLOTS; i++)
		if (slot[i].p == p) {
			slot[i].p = NULL;
			used--;
			break;
		}
	pthread_mutex_unlock(&mu);
}
