/*
 * scanner/image_sink.c — the walk of a disk image (scanner/image_walk.c) inside vigil's own
 * scan: each object it reads becomes a job for the workers, each problem a problem of the
 * scan (with where in the image it is), the exclusions and a resumed scan's finished files
 * are skipped and counted, and the bytes held in memory are bounded (scan_flight_acquire).
 */
#include "scanner/scanner_int.h"
#include "scanner/image_int.h"
#include "scanner/image_remote.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/reach.h"
#include "scanner/btrfs_run.h"

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

/*
 * An unlinked file in dir, for a temporary copy; -1 with err set on failure. dir is reached
 * with vg_reach_dir (no link another user could have planted is followed) and the file is
 * made in the folder descriptor: O_TMPFILE, or where the file system has none a random name
 * with O_CREAT|O_EXCL|O_NOFOLLOW, unlinked at once. 0600 from the start.
 */
static int
spool_open(const char *dir, struct vg_error *err)
{
	unsigned char rnd[8];
	char name[64];
	int dfd = vg_reach_dir(dir, VG_REACH_TRUSTED_LINKS, "make a temporary copy in", err);
	int fd, tries;

	if (dfd < 0)
		return -1;
	fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* no O_TMPFILE there (FAT, a rescue stick): a named file, unlinked at once */
		for (tries = 0; fd < 0 && tries < 8; tries++) {
			if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
				errno = EIO;
				break;
			}
			snprintf(name, sizeof(name), ".vigil-spool-%02x%02x%02x%02x%02x%02x%02x%02x",
				 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
			fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				    0600);
			if (fd >= 0)
				unlinkat(dfd, name, 0);
			else if (errno != EEXIST)
				break;
		}
	}
	if (fd < 0)
		vg_error_set(err, VG_IO, "cannot make a temporary copy in '%s': %s", dir,
			     strerror(errno));
	close(dfd);
	return fd;
}

static int
sink_spool(void *arg, char **why)
{
	struct scan_ctx *c = arg;
	struct vg_error err;
	int fd;

	vg_error_init(&err);
	fd = spool_open(c->o->spool_dir, &err);
	if (fd < 0)
		*why = strdup(err.msg);
	return fd;
}

static void
sink_release(void *arg, uint64_t bytes)
{
	scan_flight_release(arg, bytes);
}

static void
sink_object(void *arg, char *where, struct image_obj *obj)
{
	struct scan_ctx *c = arg;
	struct job *j;

	/* the scanned system's identity, from the bytes as they arrive (image_ident.c) */
	if (obj->read && c->o->image != NULL)
		image_ident_take(c->o->image, where, obj->location, obj->data, obj->len);
	if (obj->ident) {
		image_obj_free(c, obj); /* not a file of the scan */
		free(where);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		image_obj_free(c, obj);
		free(where);
		return;
	}
	j->path = where;
	j->img = obj;
	if (queue_push(c->jobs, j) != 0)
		job_free(c, j);
}

/* btrfs restore, started by vigil itself (for the walk here, or for vigil-image's). */
static int
sink_btrfs_start(void *arg, int what, int *sock, int *handle, char **why)
{
	char buf[PATH_MAX + 160];
	pid_t pid;

	(void)arg;
	if (btrfs_run_start(what, &pid, sock, buf, sizeof(buf)) != 0) {
		*why = strdup(buf);
		return -1;
	}
	*handle = (int)pid;
	return 0;
}

static char *
sink_btrfs_end(void *arg, int handle)
{
	(void)arg;
	return btrfs_run_end((pid_t)handle);
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
		.release = sink_release,
		.object = sink_object,
		.excl = c->o->excl,
		.may = (c->o->excl != NULL ? IMAGE_MAY_EXCLUDE : 0) |
		       (c->o->done != NULL ? IMAGE_MAY_BE_DONE : 0),
		.spool = c->o->spool_dir != NULL ? sink_spool : NULL,
		.max_filesize = c->o->max_filesize,
		.btrfs_start = sink_btrfs_start,
		.btrfs_end = sink_btrfs_end,
	};

	if (im->remote != NULL)
		image_remote_walk(im->remote, &s, im->file);
	else
		image_walk_volumes(im, &s);
}
