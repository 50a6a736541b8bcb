/*
 * core/queue.h — a bounded, closable multi-producer multi-consumer queue of pointers: the
 * walker hands jobs to the workers and the workers results to the writer through it, and
 * real-time protection its events to its scanning threads.
 */
#ifndef VIGIL_CORE_QUEUE_H
#define VIGIL_CORE_QUEUE_H

#include <stddef.h>

struct queue;

struct queue *queue_create(size_t cap);
void queue_destroy(struct queue *q);
/* Blocks while full. 0, or -1 when the queue is closed (the item is not taken). */
int queue_push(struct queue *q, void *item);
/* Never blocks: 0 and *depth (may be NULL) the items now queued, or -1 when full or closed. */
int queue_try_push(struct queue *q, void *item, size_t *depth);
/* Blocks while empty; NULL once the queue is closed and empty. */
void *queue_pop(struct queue *q);
/* As queue_pop, but gives up after ms milliseconds (NULL, *closed 0). */
void *queue_pop_timed(struct queue *q, int ms, int *closed);
void queue_close(struct queue *q);

#endif
