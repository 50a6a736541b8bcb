/*
 * scanner/image_sink.c — the walk of a disk image (scanner/image_walk.c) inside vigil's own
 * scan: each object it reads becomes a job for the workers, each problem a problem of the
 * scan (with where in the image it is), the exclusions and a resumed scan's finished files
 * are skipped and counted, and the bytes held in memory are bounded (scan_flight_acquire).
 */
#include "scanner/scanner_int.h"
#include "scanner/image_int.h"

#include <stdlib.h>
#include <string.h>

static int
sink_stopped(void *arg)
{
	return scan_should_stop(arg);
}

static int
sink_excluded(void *arg, const char *path)
{
	struct scan_ctx *c = arg;

	if (c->o->excl == NULL || !scanner_excl_explain(c->o->excl, path, 0, NULL))
		return 0;
	atomic_fetch_add(&c->excluded, 1);
	return 1;
}

static int
sink_done(void *arg, const char *where)
{
	struct scan_ctx *c = arg;

	if (c->o->done == NULL || !scanner_done_has(c->o->done, where, strlen(where)))
		return 0;
	atomic_fetch_add(&c->resumed, 1);
	return 1;
}

static void
sink_current(void *arg, const char *path)
{
	scan_set_current(arg, path);
}

static void
sink_problem(void *arg, const char *where, const char *location, const char *kind,
	     const char *reason)
{
	scan_set_location(location);
	scan_problem(arg, where, NULL, 0, kind, "%s", reason);
	scan_set_location(NULL);
}

static void
sink_reserve(void *arg, uint64_t bytes)
{
	scan_flight_acquire(arg, bytes);
}

static void
sink_object(void *arg, char *where, struct image_obj *obj)
{
	struct scan_ctx *c = arg;
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		image_obj_free(c, obj);
		free(where);
		return;
	}
	j->path = where;
	j->img = obj;
	if (queue_push(c->jobs, j) != 0)
		job_free(c, j);
}

void
image_walk(struct scan_ctx *c, struct scanner_image *im)
{
	const struct image_sink s = {
		.arg = c,
		.stopped = sink_stopped,
		.excluded = sink_excluded,
		.done = sink_done,
		.current = sink_current,
		.problem = sink_problem,
		.reserve = sink_reserve,
		.object = sink_object,
		.max_filesize = c->o->max_filesize,
		.spool_dir = c->o->spool_dir,
	};

	image_walk_volumes(im, &s);
}
