/*
 * tests/unit/test_queue.c — core/queue.c: the bounded, closable queue between the walker,
 * the workers and the writer (and the real-time reader and its scanners): order, bounds,
 * try_push when full, close waking every waiter, and several producers and consumers.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/queue.h"

#define ITEM(n) ((void *)(uintptr_t)(n))
#define NUM(p) ((uintptr_t)(p))

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Items come out in the order they went in, and pop after close drains then says NULL. */
static void
test_fifo_order_and_drain(void **state)
{
	struct queue *q = queue_create(8);
	uintptr_t i;

	(void)state;
	assert_non_null(q);
	for (i = 1; i <= 8; i++)
		assert_int_equal(queue_push(q, ITEM(i)), 0);
	for (i = 1; i <= 4; i++)
		assert_int_equal(NUM(queue_pop(q)), i);
	for (i = 9; i <= 12; i++)
		assert_int_equal(queue_push(q, ITEM(i)), 0); /* wraps around the ring */
	queue_close(q);
	for (i = 5; i <= 12; i++)
		assert_int_equal(NUM(queue_pop(q)), i);
	assert_null(queue_pop(q));
	assert_null(queue_pop(q));
	queue_destroy(q);
}

/* try_push never blocks: it reports the depth, refuses when full, and refuses after close. */
static void
test_try_push_full_and_closed(void **state)
{
	struct queue *q = queue_create(3);
	size_t depth = 0;

	(void)state;
	assert_int_equal(queue_try_push(q, ITEM(1), &depth), 0);
	assert_int_equal(depth, 1);
	assert_int_equal(queue_try_push(q, ITEM(2), NULL), 0);
	assert_int_equal(queue_try_push(q, ITEM(3), &depth), 0);
	assert_int_equal(depth, 3);
	assert_int_equal(queue_try_push(q, ITEM(4), &depth), -1); /* full */
	assert_int_equal(NUM(queue_pop(q)), 1);
	assert_int_equal(queue_try_push(q, ITEM(4), &depth), 0);
	assert_int_equal(depth, 3);
	queue_close(q);
	assert_int_equal(queue_try_push(q, ITEM(5), NULL), -1); /* closed */
	assert_int_equal(queue_push(q, ITEM(5)), -1);
	assert_int_equal(NUM(queue_pop(q)), 2);
	assert_int_equal(NUM(queue_pop(q)), 3);
	assert_int_equal(NUM(queue_pop(q)), 4);
	assert_null(queue_pop(q));
	queue_destroy(q);
}

/* pop_timed gives up after about its time on an empty queue, and says when it is closed. */
static void
test_pop_timed(void **state)
{
	struct queue *q = queue_create(2);
	int closed = -1;
	double t0;

	(void)state;
	t0 = now_s();
	assert_null(queue_pop_timed(q, 50, &closed));
	assert_int_equal(closed, 0);
	assert_true(now_s() - t0 >= 0.04);
	assert_int_equal(queue_push(q, ITEM(7)), 0);
	assert_int_equal(NUM(queue_pop_timed(q, 50, &closed)), 7);
	queue_close(q);
	closed = 0;
	assert_null(queue_pop_timed(q, 1000, &closed));
	assert_int_equal(closed, 1);
	queue_destroy(q);
}

struct waiter {
	struct queue *q;
	int push;	/* 1: push an item (the queue is full), 0: pop (the queue is empty) */
	int rc;		/* push's return, or 1 when pop returned NULL */
};

static void *
wait_one(void *arg)
{
	struct waiter *w = arg;

	if (w->push)
		w->rc = queue_push(w->q, ITEM(99));
	else
		w->rc = queue_pop(w->q) == NULL;
	return NULL;
}

/* Threads blocked in pop on an empty queue and in push on a full one all return on close. */
static void
test_close_wakes_waiters(void **state)
{
	struct queue *empty = queue_create(2), *full = queue_create(1);
	struct waiter w[6];
	pthread_t t[6];
	int i;

	(void)state;
	assert_int_equal(queue_push(full, ITEM(1)), 0);
	for (i = 0; i < 6; i++) {
		w[i] = (struct waiter){ .q = i < 3 ? empty : full, .push = i >= 3, .rc = -7 };
		assert_int_equal(pthread_create(&t[i], NULL, wait_one, &w[i]), 0);
	}
	usleep(100 * 1000); /* they are waiting by now (and would stay so without close) */
	for (i = 0; i < 6; i++)
		assert_int_equal(w[i].rc, -7);
	queue_close(empty);
	queue_close(full);
	for (i = 0; i < 6; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(w[i].rc, 1);	/* pop: NULL */
	for (i = 3; i < 6; i++)
		assert_int_equal(w[i].rc, -1);	/* push: refused, the item not taken */
	assert_int_equal(NUM(queue_pop(full)), 1);
	assert_null(queue_pop(full));
	queue_destroy(empty);
	queue_destroy(full);
}

/* A push that blocks on a full queue goes through once a consumer makes room. */
static void
test_push_blocks_until_room(void **state)
{
	struct queue *q = queue_create(1);
	struct waiter w = { .push = 1, .rc = -7 };
	pthread_t t;

	(void)state;
	w.q = q;
	assert_int_equal(queue_push(q, ITEM(1)), 0);
	assert_int_equal(pthread_create(&t, NULL, wait_one, &w), 0);
	usleep(50 * 1000);
	assert_int_equal(w.rc, -7); /* still blocked: the queue holds one of one */
	assert_int_equal(NUM(queue_pop(q)), 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rc, 0);
	assert_int_equal(NUM(queue_pop(q)), 99);
	queue_destroy(q);
}

#define PRODUCERS 4
#define CONSUMERS 4
#define PER_PRODUCER 20000

struct mp {
	struct queue *q;
	int id;
	uint64_t sum;		/* consumers: the sum of what they took */
	size_t count;
	unsigned char *seen;	/* shared: one byte per item, set by the consumer that took it */
};

static void *
producer(void *arg)
{
	struct mp *p = arg;
	uintptr_t i;

	for (i = 0; i < PER_PRODUCER; i++)
		if (queue_push(p->q, ITEM((uintptr_t)p->id * PER_PRODUCER + i + 1)) != 0)
			break;
	return NULL;
}

static void *
consumer(void *arg)
{
	struct mp *c = arg;
	void *item;

	while ((item = queue_pop(c->q)) != NULL) {
		c->sum += NUM(item);
		c->count++;
		__atomic_add_fetch(&c->seen[NUM(item) - 1], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Four producers and four consumers through a queue of 16: every item exactly once. */
static void
test_many_threads_every_item_once(void **state)
{
	const size_t total = (size_t)PRODUCERS * PER_PRODUCER;
	unsigned char *seen = calloc(total, 1);
	struct queue *q = queue_create(16);
	struct mp pr[PRODUCERS], co[CONSUMERS];
	pthread_t tp[PRODUCERS], tc[CONSUMERS];
	uint64_t sum = 0;
	size_t count = 0, i;

	(void)state;
	assert_non_null(seen);
	for (i = 0; i < CONSUMERS; i++) {
		co[i] = (struct mp){ .q = q, .id = (int)i, .seen = seen };
		assert_int_equal(pthread_create(&tc[i], NULL, consumer, &co[i]), 0);
	}
	for (i = 0; i < PRODUCERS; i++) {
		pr[i] = (struct mp){ .q = q, .id = (int)i };
		assert_int_equal(pthread_create(&tp[i], NULL, producer, &pr[i]), 0);
	}
	for (i = 0; i < PRODUCERS; i++)
		assert_int_equal(pthread_join(tp[i], NULL), 0);
	queue_close(q);
	for (i = 0; i < CONSUMERS; i++) {
		assert_int_equal(pthread_join(tc[i], NULL), 0);
		sum += co[i].sum;
		count += co[i].count;
	}
	assert_int_equal(count, total);
	assert_true(sum == (uint64_t)total * (total + 1) / 2);
	for (i = 0; i < total; i++)
		if (seen[i] != 1)
			fail_msg("item %zu taken %d times", i + 1, seen[i]);
	queue_destroy(q);
	free(seen);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_order_and_drain),
		cmocka_unit_test(test_try_push_full_and_closed),
		cmocka_unit_test(test_pop_timed),
		cmocka_unit_test(test_close_wakes_waiters),
		cmocka_unit_test(test_push_blocks_until_room),
		cmocka_unit_test(test_many_threads_every_item_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
