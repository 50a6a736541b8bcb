/*
 * realtime/stats.c — what real-time protection did, in the spirit of a kernel extension's
 * counters, and which processes and files cost the most scan time (`vigil rtp top`): the
 * administrator's answer to "what should I exclude?".
 */
#include "realtime/rtp_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/jsonx.h"

double
rtp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

json_t *
rtp_stats_json(struct rtp_stats *s)
{
	return json_pack("{s:f, s:{s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:I, s:I, s:I, s:I}",
			 "uptime_s", rtp_now() - s->started, "events", "open",
			 (json_int_t)atomic_load(&s->ev_open), "exec",
			 (json_int_t)atomic_load(&s->ev_exec), "close_write",
			 (json_int_t)atomic_load(&s->ev_close_write), "allowed",
			 (json_int_t)atomic_load(&s->allowed), "denied",
			 (json_int_t)atomic_load(&s->denied), "scanned",
			 (json_int_t)atomic_load(&s->scanned), "cache_hits",
			 (json_int_t)atomic_load(&s->cache_hits), "deadline_expired",
			 (json_int_t)atomic_load(&s->deadline_expired), "too_large",
			 (json_int_t)atomic_load(&s->too_large), "queue_full",
			 (json_int_t)atomic_load(&s->queue_full), "queue_high_water",
			 (json_int_t)atomic_load(&s->queue_high_water), "excluded",
			 (json_int_t)atomic_load(&s->excluded), "outside_paths",
			 (json_int_t)atomic_load(&s->outside), "own_accesses",
			 (json_int_t)atomic_load(&s->self), "errors",
			 (json_int_t)atomic_load(&s->errors), "threats",
			 (json_int_t)atomic_load(&s->threats), "overflows",
			 (json_int_t)atomic_load(&s->overflows));
}

struct top_entry {
	char *key;
	int64_t scans, us;
};

struct top {
	pthread_mutex_t lock;
	struct top_entry *v;
	size_t n, max;
};

struct top *
top_create(size_t max)
{
	struct top *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->v = calloc(max, sizeof(*t->v))) == NULL) {
		free(t);
		return NULL;
	}
	t->max = max;
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
top_destroy(struct top *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].key);
	free(t->v);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void
top_add(struct top *t, const char *key, int64_t us)
{
	size_t i, low = 0;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].key, key) == 0)
			break;
	if (i == t->n) {
		if (t->n < t->max) {
			t->n++;
		} else {
			/* full: the entry with the least scan time makes room */
			for (i = 1; i < t->n; i++)
				if (t->v[i].us < t->v[low].us)
					low = i;
			i = low;
			free(t->v[i].key);
		}
		t->v[i].key = strdup(key);
		t->v[i].scans = 0;
		t->v[i].us = 0;
		if (t->v[i].key == NULL) { /* out of memory: forget the slot */
			t->v[i] = t->v[--t->n];
			pthread_mutex_unlock(&t->lock);
			return;
		}
	}
	t->v[i].scans++;
	t->v[i].us += us;
	pthread_mutex_unlock(&t->lock);
}

static int
by_time(const void *a, const void *b)
{
	const struct top_entry *x = a, *y = b;

	if (x->us != y->us)
		return x->us < y->us ? 1 : -1;
	if (x->scans != y->scans)
		return x->scans < y->scans ? 1 : -1;
	return strcmp(x->key, y->key);
}

json_t *
top_json(struct top *t, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	pthread_mutex_lock(&t->lock);
	qsort(t->v, t->n, sizeof(*t->v), by_time);
	for (i = 0; i < t->n && i < n; i++) {
		json_t *o = json_object();

		vg_json_set_bytes(o, "key", t->v[i].key, strlen(t->v[i].key));
		json_object_set_new(o, "scans", json_integer(t->v[i].scans));
		json_object_set_new(o, "scan_ms", json_real((double)t->v[i].us / 1000.0));
		json_array_append_new(arr, o);
	}
	pthread_mutex_unlock(&t->lock);
	return arr;
}
