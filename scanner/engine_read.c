/*
 * scanner/engine_read.c — one file: open it (never following a link planted in its place),
 * read it into the worker's buffer or map it, survive a SIGBUS when a mapped file shrinks,
 * and hand the writer what a scan of it leaves: inventory rows, "done" marks for a resumed
 * scan, and clean files for the scan cache (re-stat after the read: issue 24).
 */
#include "scanner/engine_int.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"

/* SIGBUS from a mapped file that shrank under us jumps back here (one per thread). */
static __thread sigjmp_buf *bus_jump;

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (bus_jump != NULL)
		siglongjmp(*bus_jump, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Set at every engine's creation, not once: something else in the process (a test harness,
 * a library) may have put its own handler in place since, and a SIGBUS must come here.
 */
void
engine_install_sigbus(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

static int
open_job(struct job *j)
{
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME;
	int fd;

	if (j->dir)
		flags |= O_NOFOLLOW;
	for (;;) {
		fd = j->dir ? openat(j->dir->fd, vg_path_basename(j->path), flags)
			    : open(j->path, flags);
		if (fd >= 0 || errno != EPERM || !(flags & O_NOATIME))
			return fd;
		flags &= ~O_NOATIME; /* not the owner: O_NOATIME is refused */
	}
}

static void
scan_mapped(struct engine *e, int fd, size_t size, const struct object *obj)
{
	sigjmp_buf jb;
	unsigned char *volatile map;

	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		scan_problem(e->c, obj->path, NULL, 0, "error", "cannot map the file: %s",
			     strerror(errno));
		return;
	}
	if (sigsetjmp(jb, 1) != 0) {
		bus_jump = NULL;
		maptrim_remove(map);
		munmap(map, size);
		engine_clear_matches(e);
		/* the YARA scanner was left mid-scan: start a fresh one (when that fails, e->yr
		 * is NULL and the next object tries again, or records that it was not matched) */
		engine_yr_renew(e);
		scan_problem(e->c, obj->path, NULL, 0, "error",
			     "the file shrank while it was being scanned");
		return;
	}
	bus_jump = &jb;
	if (engine_test_hooks.after_map != NULL)
		engine_test_hooks.after_map(fd, obj->path);
	obj->budget->top_data = map;
	maptrim_add(map, size);
	engine_scan_object(e, map, size, obj);
	bus_jump = NULL;
	maptrim_remove(map);
	munmap(map, size);
}

/* An inventory row (inv: its metadata), with the digests when the file was read (b). */
static void
emit_inv(struct engine *e, const char *path, const struct store_inv *inv, const struct budget *b)
{
	struct result *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->path = strdup(path)) == NULL ||
	    (scan_location() && (r->location = strdup(scan_location())) == NULL)) {
		result_free(r);
		return;
	}
	r->kind = RES_FILE;
	r->path_len = strlen(path);
	r->inv = *inv;
	if (b != NULL && b->top_digests) {
		r->have_digests = 1;
		memcpy(r->sha256, b->top_sha256, sizeof(r->sha256));
		memcpy(r->sha1, b->top_sha1, sizeof(r->sha1));
		memcpy(r->md5, b->top_md5, sizeof(r->md5));
		r->type = strdup(b->top_type);
	}
	engine_push_result(e->c, r);
}

/* The inventory row of a file: stat as seen before reading, digests when it was read. */
static void
emit_file(struct engine *e, int fd, const char *path, const struct stat *st,
	  const struct budget *b)
{
	struct store_inv inv;
	struct statx sx;

	memset(&inv, 0, sizeof(inv));
	inv.size = st->st_size;
	inv.mode = st->st_mode;
	inv.uid = st->st_uid;
	inv.gid = st->st_gid;
	inv.dev = (int64_t)st->st_dev;
	inv.ino = (int64_t)st->st_ino;
	inv.nlink = (int64_t)st->st_nlink;
	inv.atime_ns = (int64_t)st->st_atim.tv_sec * 1000000000 + st->st_atim.tv_nsec;
	inv.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	inv.ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	/* the birth time does not change when the file is read: asking now is exact */
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME)) {
		inv.have_btime = 1;
		inv.btime_ns = (int64_t)sx.stx_btime.tv_sec * 1000000000 + sx.stx_btime.tv_nsec;
	}
	emit_inv(e, path, &inv, b);
}

/* Read (or map) and scan the open regular file fd; path names it in results. */
static void
scan_open_file(struct engine *e, int fd, const char *path, const struct stat *st)
{
	struct scan_ctx *c = e->c;
	struct budget budget = { 0 };
	struct object obj = { 0 };

	e->have_ident = 1;
	vg_ident_from_stat(&e->ident, st);
	if (c->o->max_filesize && (uint64_t)st->st_size > c->o->max_filesize) {
		scan_problem(c, path, NULL, 0, "skipped",
			     "larger than the file size limit (%lld > %llu bytes)",
			     (long long)st->st_size, (unsigned long long)c->o->max_filesize);
		if (e->verdict)
			e->verdict->skipped = 1;
		if (c->o->inventory)
			emit_file(e, fd, path, st, NULL);
		return;
	}
	obj.path = path;
	obj.path_len = strlen(path);
	obj.member = NULL;
	obj.member_len = 0;
	obj.name = vg_path_basename(path);
	obj.depth = 0;
	obj.budget = &budget;
	obj.uid = st->st_uid;
	obj.have_mtime = 1;
	obj.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	budget.top_size = (uint64_t)st->st_size;

	if ((uint64_t)st->st_size <= READ_MAX) {
		size_t want = (size_t)st->st_size, got;
		ssize_t r;

		if (want > e->cap || e->buf == NULL) {
			size_t cap = want > 65536 ? want : 65536;
			unsigned char *b = realloc(e->buf, cap);

			if (b == NULL) {
				scan_problem(c, path, NULL, 0, "error", "out of memory");
				if (e->verdict)
					e->verdict->errors++;
				return;
			}
			e->buf = b;
			e->cap = cap;
		}
		r = vg_read_full(fd, e->buf, want); /* a fresh fd: from the start */
		if (r < 0) {
			scan_problem(c, path, NULL, 0, "error", "cannot read: %s", strerror(errno));
			if (e->verdict)
				e->verdict->errors++;
			if (c->o->inventory)
				emit_file(e, fd, path, st, NULL);
			return;
		}
		got = (size_t)r;
		atomic_fetch_add(&c->files, 1);
		atomic_fetch_add(&c->bytes, (long long)got);
		if (e->verdict)
			e->verdict->bytes = (int64_t)got;
		budget.top_data = e->buf;
		budget.top_size = got;
		engine_scan_object(e, e->buf, got, &obj);
	} else {
		atomic_fetch_add(&c->files, 1);
		atomic_fetch_add(&c->bytes, (long long)st->st_size);
		if (e->verdict)
			e->verdict->bytes = st->st_size;
		scan_mapped(e, fd, (size_t)st->st_size, &obj);
	}
	if (c->o->inventory)
		emit_file(e, fd, path, st, &budget);
}

/* A file the scan has finished with, whatever came of it: a resumed scan skips it. */
static void
push_done(struct scan_ctx *c, const char *path)
{
	struct result *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->path = strdup(path)) == NULL) {
		free(r);
		return;
	}
	r->kind = RES_DONE;
	r->path_len = strlen(path);
	engine_push_result(c, r);
}

/* Remember a file scanned clean (no detection, no problem) in the scan cache. */
static void
push_clean(struct scan_ctx *c, const struct stat *st)
{
	struct result *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return;
	r->kind = RES_CACHE;
	r->clean = (struct store_cache_entry){
		(int64_t)st->st_dev, (int64_t)st->st_ino, st->st_size,
		(int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
		(int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec,
	};
	engine_push_result(c, r);
}

/*
 * Was the file left alone while it was read? A rewrite within the same coarse ctime tick as
 * the stat before the read (Debian 12's stock kernel) would otherwise be cached as clean:
 * its ctime, size or mtime read again after the scan must not have moved.
 */
static int
unchanged_since(struct scan_ctx *c, int fd, const struct stat *before)
{
	struct vg_ident a, b;
	struct stat now;

	if ((c->o->restat ? c->o->restat(fd, &now) : fstat(fd, &now)) != 0)
		return 0;
	vg_ident_from_stat(&a, before);
	vg_ident_from_stat(&b, &now);
	return vg_ident_same(&a, &b);
}

void
engine_scan_file(struct engine *e, struct job *j)
{
	struct scan_ctx *c = e->c;
	struct stat st;
	int fd = open_job(j);

	if (j->dir) {
		dirref_release(j->dir);
		j->dir = NULL;
	}
	if (fd < 0) {
		int en = errno;

		if (en == ELOOP)
			scan_problem(c, j->path, NULL, 0, "skipped",
				     "replaced by a symbolic link during the scan: not followed");
		else if (en == ENOENT)
			scan_problem(c, j->path, NULL, 0, "error", "vanished during the scan");
		else
			scan_problem(c, j->path, NULL, 0, "error", "cannot open: %s", strerror(en));
	} else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		scan_problem(c, j->path, NULL, 0, "skipped", "not a regular file: not opened for reading");
	} else if (c->o->cache && !c->o->inventory && scanner_cache_hit(c->o->cache, &st)) {
		/* unchanged since it was scanned clean: covered by this scan, not read */
		atomic_fetch_add(&c->files, 1);
		atomic_fetch_add(&c->cached, 1);
	} else {
		int problems = scan_problems_here();
		int64_t detections = e->detections;

		e->root_len = j->root_len;
		scan_open_file(e, fd, j->path, &st);
		if (c->o->cache_tag && problems == scan_problems_here() &&
		    detections == e->detections && !scan_should_stop(c) && unchanged_since(c, fd, &st))
			push_clean(c, &st);
	}
	if (fd >= 0)
		close(fd);
	if (c->o->progress)
		push_done(c, j->path);
}

void
engine_scan_image(struct engine *e, struct job *j)
{
	struct scan_ctx *c = e->c;
	struct image_obj *im = j->img;
	struct budget budget = { 0 };
	struct object obj = { 0 };
	volatile int faulted = 0;
	sigjmp_buf jb;

	scan_set_location(im->location);
	e->have_ident = 0;
	e->root_len = 0;
	if (im->read) {
		obj.path = j->path;
		obj.path_len = strlen(j->path);
		obj.name = vg_path_basename(j->path);
		obj.budget = &budget;
		obj.uid = (uid_t)im->inv.uid;
		obj.have_mtime = 1;
		obj.mtime_ns = im->inv.mtime_ns;
		budget.top_data = im->data;
		budget.top_size = im->len;
		atomic_fetch_add(&c->files, 1);
		atomic_fetch_add(&c->bytes, (long long)im->len);
		/* a spool file the sandboxed image reader wrote: it could still shrink it */
		if (im->spool_fd >= 0 && sigsetjmp(jb, 1) != 0) {
			bus_jump = NULL;
			faulted = 1;
			engine_clear_matches(e);
			engine_yr_renew(e);
			scan_problem(c, j->path, NULL, 0, "error",
				     "its copy shrank while it was being scanned");
		} else {
			if (im->spool_fd >= 0)
				bus_jump = &jb;
			engine_scan_object(e, im->data, im->len, &obj);
			bus_jump = NULL;
		}
	}
	if (c->o->inventory)
		emit_inv(e, j->path, &im->inv, im->read && !faulted ? &budget : NULL);
	if (c->o->progress)
		push_done(c, j->path);
	scan_set_location(NULL);
}

void
engine_scan_fd(struct engine *e, int fd, const char *path, struct scanner_verdict *v)
{
	struct stat st;

	memset(v, 0, sizeof(*v));
	e->verdict = v;
	e->root_len = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		v->skipped = 1;
	} else {
		vg_ident_from_stat(&v->ident, &st);
		scan_open_file(e, fd, path, &st);
	}
	e->verdict = NULL;
}
