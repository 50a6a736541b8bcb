/*
 * scanner/scan.c — one scan: the walker on the calling thread, N workers, and the one
 * writer that moves results into the store in batched transactions.
 */
#include "scanner/scanner_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"

#define JOB_QUEUE 1024
#define RESULT_QUEUE 4096
#define BATCH_ROWS 1000
#define BATCH_SECONDS 0.5
#define PROGRESS_SECONDS 0.2

void
scanner_options_init(struct scanner_options *o)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->threads = n > 0 ? (int)n : 1;
	/* the configuration's key table is the one source of these defaults */
	o->archives = config_default_bool("antivirus_engine.scan_archives");
	o->deep_containers = config_default_bool("antivirus_engine.deep_containers");
	o->max_depth = (int)config_default_int("antivirus_engine.max_archive_depth");
	o->max_filesize = (uint64_t)config_default_int("antivirus_engine.max_file_size");
	o->archive_max_members = (uint64_t)config_default_int("antivirus_engine.archive_max_members");
	o->archive_max_bytes = (uint64_t)config_default_int("antivirus_engine.archive_max_bytes");
	o->archive_max_member_size =
		(uint64_t)config_default_int("antivirus_engine.archive_max_member_size");
	o->archive_max_ratio = (uint64_t)config_default_int("antivirus_engine.archive_max_ratio");
	o->scan_timeout = (int)config_default_int("antivirus_engine.scan_timeout");
	o->reference = getenv("VIGIL_ENGINE_REFERENCE") != NULL &&
		       strcmp(getenv("VIGIL_ENGINE_REFERENCE"), "1") == 0;
}

void
result_free(struct result *r)
{
	if (r == NULL)
		return;
	free(r->path);
	free(r->member);
	free(r->name);
	free(r->ns);
	free(r->meta);
	free(r->type);
	free(r->reason);
	free(r->allowed_by);
	free(r->note);
	free(r->location);
	free(r);
}

/* Bytes of image objects in memory at once: enough to keep the workers fed. */
#define FLIGHT_MAX (128u << 20)

void
scan_flight_acquire(struct scan_ctx *c, uint64_t n)
{
	pthread_mutex_lock(&c->flight_lock);
	while (c->flight > 0 && c->flight + n > FLIGHT_MAX && !scan_should_stop(c))
		pthread_cond_wait(&c->flight_cond, &c->flight_lock);
	c->flight += n;
	pthread_mutex_unlock(&c->flight_lock);
}

void
scan_flight_release(struct scan_ctx *c, uint64_t n)
{
	pthread_mutex_lock(&c->flight_lock);
	c->flight -= n;
	pthread_cond_broadcast(&c->flight_cond);
	pthread_mutex_unlock(&c->flight_lock);
}

void
image_obj_drop(struct image_obj *o)
{
	if (o == NULL)
		return;
	if (o->spool_fd >= 0) {
		if (o->data)
			munmap(o->data, o->map_len);
		close(o->spool_fd);
	} else {
		free(o->data);
	}
	free(o->location);
	free(o);
}

void
image_obj_free(struct scan_ctx *c, struct image_obj *o)
{
	if (o != NULL && o->flight)
		scan_flight_release(c, o->flight);
	image_obj_drop(o);
}

void
job_free(struct scan_ctx *c, struct job *j)
{
	dirref_release(j->dir);
	image_obj_free(c, j->img);
	free(j->path);
	free(j);
}

static __thread const char *location_here;

void
scan_set_location(const char *json)
{
	location_here = json;
}

const char *
scan_location(void)
{
	return location_here;
}

int
scan_should_stop(struct scan_ctx *c)
{
	return (c->o->stop && *c->o->stop) || atomic_load(&c->stop_internal);
}

static __thread int problems_here;

int
scan_problems_here(void)
{
	return problems_here;
}

void
scan_problem(struct scan_ctx *c, const char *path, const char *member, size_t member_len,
	     const char *kind, const char *fmt, ...)
{
	struct result *r = calloc(1, sizeof(*r));
	va_list ap;

	problems_here++;
	if (strcmp(kind, "error") == 0)
		atomic_fetch_add(&c->errors, 1);
	else
		atomic_fetch_add(&c->skipped, 1);
	if (r == NULL)
		return;
	r->kind = RES_PROBLEM;
	r->problem = kind;
	r->path = strdup(path);
	r->path_len = strlen(path);
	r->member = malloc(member_len + 1);
	if (r->member && member_len)
		memcpy(r->member, member, member_len);
	r->member_len = member_len;
	va_start(ap, fmt);
	if (vasprintf(&r->reason, fmt, ap) < 0)
		r->reason = NULL;
	va_end(ap);
	if (location_here && (r->location = strdup(location_here)) == NULL)
		r->reason = (free(r->reason), NULL);
	if (r->path == NULL || r->member == NULL || r->reason == NULL ||
	    queue_push(c->results, r) != 0)
		result_free(r);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct writer {
	struct scan_ctx *c;
	struct store *st;
	int64_t scan_id;
	const struct scanner_callbacks *cb;
	double start;
	enum vg_err rc;
	struct vg_error err;
};

static enum vg_err
write_result(struct writer *w, struct result *r)
{
	const struct scanner_events *ev = &w->c->o->events;
	struct store_threat t;
	enum vg_err e;

	if (r->kind == RES_PROBLEM)
		return store_problem_add_at(w->st, w->scan_id, r->path, r->path_len, r->member,
					    r->member_len, r->problem, r->reason, r->location,
					    &w->err);
	if (r->kind == RES_CACHE)
		return store_cache_put(w->st, w->c->o->cache_tag, &r->clean, (int64_t)time(NULL),
				       &w->err);
	if (r->kind == RES_DONE)
		return store_progress_add(w->st, w->scan_id, r->path, r->path_len, &w->err);
	if (r->kind == RES_ACTION)
		return store_threat_set_action(w->st, w->scan_id, r->path, r->note, &w->err);
	if (r->kind == RES_REFUSAL) {
		int64_t rows;

		e = store_threat_refused(w->st, w->scan_id, r->path, r->path_len, r->note, &rows,
					 &w->err);

		if (e == VG_OK && ev->refusal)
			ev->refusal(ev->ctx, w->scan_id, r->path, r->path_len, r->name, r->note);
		return e;
	}
	if (r->kind == RES_FILE) {
		r->inv.path = r->path;
		r->inv.path_len = r->path_len;
		r->inv.sha256 = r->have_digests ? r->sha256 : NULL;
		r->inv.sha1 = r->have_digests ? r->sha1 : NULL;
		r->inv.md5 = r->have_digests ? r->md5 : NULL;
		r->inv.type = r->type;
		r->inv.location = r->location;
		return store_inventory_add(w->st, w->scan_id, &r->inv, &w->err);
	}
	t = (struct store_threat){
		.scan_id = w->scan_id,
		.path = r->path,
		.path_len = r->path_len,
		.member = r->member,
		.member_len = r->member_len,
		.name = r->name,
		.ns = r->ns,
		.meta_json = r->meta,
		.sha256 = r->sha256,
		.sha1 = r->sha1,
		.md5 = r->md5,
		.size = r->size,
		.type = r->type,
		.action = r->allowed_by ? "allowed"
			  : r->action	 ? r->action
					 : "reported",
		.allowed_by = r->allowed_by,
		.have_mtime = r->have_mtime,
		.mtime_ns = r->mtime_ns,
		.location = r->location,
		.have_ident = r->have_ident,
		.ident = r->ident,
		.root_len = r->root_len,
		.merge = w->c->o->merge_repeats,
	};
	e = store_threat_add(w->st, &t, &w->err);
	if (e == VG_OK && ev->threat)
		ev->threat(ev->ctx, w->scan_id, &t);
	return e;
}

/* The totals so far, in the same transaction as the rows they count. */
static enum vg_err
checkpoint(struct writer *w)
{
	struct scan_ctx *c = w->c;

	return store_scan_checkpoint(w->st, w->scan_id,
				     &(struct store_scan_totals){
					     .files_scanned = atomic_load(&c->files),
					     .bytes_scanned = atomic_load(&c->bytes),
					     .objects_scanned = atomic_load(&c->objects),
					     .errors = atomic_load(&c->errors),
					     .skipped = atomic_load(&c->skipped),
					     .excluded = atomic_load(&c->excluded),
					     .files_cached = atomic_load(&c->cached),
				     },
				     &w->err);
}

static void
report_progress(struct writer *w)
{
	struct scan_ctx *c = w->c;
	struct scanner_progress p;

	if (w->cb == NULL || w->cb->progress == NULL)
		return;
	p.files = atomic_load(&c->files);
	p.bytes = atomic_load(&c->bytes);
	p.errors = atomic_load(&c->errors);
	p.threats = atomic_load(&c->threats);
	p.elapsed_s = now_s() - w->start;
	pthread_mutex_lock(&c->cur_lock);
	p.current = c->current ? c->current : "";
	w->cb->progress(&p, w->cb->ctx);
	pthread_mutex_unlock(&c->cur_lock);
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	double last_commit = now_s(), last_progress = 0;
	int in_txn = 0, batch = 0, closed = 0;

	for (;;) {
		struct result *r = queue_pop_timed(w->c->results, 100, &closed);
		double t = now_s();

		if (r != NULL && w->rc == VG_OK) {
			if (!in_txn) {
				w->rc = store_begin(w->st, &w->err);
				in_txn = w->rc == VG_OK;
				last_commit = t;
			}
			if (w->rc == VG_OK)
				w->rc = write_result(w, r);
			batch++;
		}
		result_free(r);
		if (in_txn && (w->rc != VG_OK || r == NULL || batch >= BATCH_ROWS ||
			       t - last_commit > BATCH_SECONDS)) {
			if (w->rc == VG_OK && w->c->o->progress)
				w->rc = checkpoint(w);
			if (w->rc == VG_OK)
				w->rc = store_commit(w->st, &w->err);
			if (w->rc != VG_OK)
				store_rollback(w->st);
			in_txn = 0;
			batch = 0;
		}
		if (w->rc != VG_OK)
			atomic_store(&w->c->stop_internal, 1);
		if (t - last_progress >= PROGRESS_SECONDS) {
			report_progress(w);
			last_progress = t;
		}
		if (r == NULL && closed)
			break;
	}
	return NULL;
}

/* Every queued job holds an open folder: allow as many descriptors as the system lets us. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- a session: the shared state, the results queue and the writer thread ---- */

struct scanner_session {
	struct scan_ctx c;
	struct writer w;
	pthread_t writer_tid;
	int writer_started;
	struct scanner_session *parent;	/* a derived session (other rules, parent's writer) */
};

struct scanner_worker {
	struct engine *e;
};

enum vg_err
scanner_session_open(const struct scanner_options *o, struct sigdb *db, struct store *st,
		     int64_t scan_id, const struct scanner_callbacks *cb,
		     struct scanner_session **out, struct vg_error *err)
{
	struct scanner_session *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	s->c.o = o;
	s->c.db = db;
	pthread_mutex_init(&s->c.cur_lock, NULL);
	pthread_mutex_init(&s->c.flight_lock, NULL);
	pthread_cond_init(&s->c.flight_cond, NULL);
	s->w = (struct writer){ .c = &s->c, .st = st, .scan_id = scan_id, .cb = cb, .rc = VG_OK };
	vg_error_init(&s->w.err);
	s->w.start = now_s();
	s->c.jobs = queue_create(JOB_QUEUE);
	s->c.results = queue_create(RESULT_QUEUE);
	if (s->c.jobs == NULL || s->c.results == NULL) {
		scanner_session_close(s, NULL, NULL);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	if (pthread_create(&s->writer_tid, NULL, writer_main, &s->w) != 0) {
		scanner_session_close(s, NULL, NULL);
		return vg_error_set(err, VG_NOMEM, "cannot start the writer thread");
	}
	s->writer_started = 1;
	*out = s;
	return VG_OK;
}

enum vg_err
scanner_session_close(struct scanner_session *s, struct scanner_totals *totals,
		      struct vg_error *err)
{
	struct scan_ctx *c;
	enum vg_err rc = VG_OK;

	if (s == NULL)
		return VG_OK;
	c = &s->c;
	if (s->parent != NULL) {
		/* derived: its results are already in the parent's queue; only its counts move */
		struct scan_ctx *pc = &s->parent->c;

		atomic_fetch_add(&pc->files, atomic_load(&c->files));
		atomic_fetch_add(&pc->bytes, atomic_load(&c->bytes));
		atomic_fetch_add(&pc->objects, atomic_load(&c->objects));
		atomic_fetch_add(&pc->errors, atomic_load(&c->errors));
		atomic_fetch_add(&pc->skipped, atomic_load(&c->skipped));
		atomic_fetch_add(&pc->threats, atomic_load(&c->threats));
		atomic_fetch_add(&pc->excluded, atomic_load(&c->excluded));
		atomic_fetch_add(&pc->allowed, atomic_load(&c->allowed));
		atomic_fetch_add(&pc->cached, atomic_load(&c->cached));
		atomic_fetch_add(&pc->resumed, atomic_load(&c->resumed));
		pthread_mutex_destroy(&c->cur_lock);
		pthread_mutex_destroy(&c->flight_lock);
		pthread_cond_destroy(&c->flight_cond);
		free(s);
		return VG_OK;
	}
	if (s->writer_started) {
		queue_close(c->results);
		pthread_join(s->writer_tid, NULL);
	}
	if (s->w.rc != VG_OK)
		rc = vg_error_set(err, s->w.rc, "%s", vg_error_msg(&s->w.err));
	if (totals != NULL) {
		totals->files_scanned = atomic_load(&c->files);
		totals->bytes_scanned = atomic_load(&c->bytes);
		totals->objects_scanned = atomic_load(&c->objects);
		totals->errors = atomic_load(&c->errors);
		totals->skipped = atomic_load(&c->skipped);
		totals->threats = atomic_load(&c->threats);
		totals->excluded = atomic_load(&c->excluded);
		totals->allowed = atomic_load(&c->allowed);
		totals->cached = atomic_load(&c->cached);
		totals->resumed = atomic_load(&c->resumed);
		totals->duration_s = now_s() - s->w.start;
		totals->interrupted = c->o->stop && *c->o->stop;
	}
	queue_destroy(c->jobs);
	queue_destroy(c->results);
	free(c->current);
	pthread_mutex_destroy(&c->cur_lock);
	pthread_mutex_destroy(&c->flight_lock);
	pthread_cond_destroy(&c->flight_cond);
	free(s);
	return rc;
}

enum vg_err
scanner_session_derive(struct scanner_session *parent, struct sigdb *db,
		       struct scanner_session **out, struct vg_error *err)
{
	struct scanner_session *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	s->parent = parent;
	s->c.o = parent->c.o;
	s->c.db = db;
	s->c.results = parent->c.results;
	pthread_mutex_init(&s->c.cur_lock, NULL);
	pthread_mutex_init(&s->c.flight_lock, NULL);
	pthread_cond_init(&s->c.flight_cond, NULL);
	*out = s;
	return VG_OK;
}

enum vg_err
scanner_worker_create(struct scanner_session *s, struct scanner_worker **out,
		      struct vg_error *err)
{
	struct scanner_worker *w = calloc(1, sizeof(*w));
	enum vg_err rc;

	*out = NULL;
	if (w == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	rc = engine_create(&s->c, &w->e, err);
	if (rc != VG_OK) {
		free(w);
		return rc;
	}
	*out = w;
	return VG_OK;
}

void
scanner_worker_destroy(struct scanner_worker *w, json_t *file_types)
{
	if (w == NULL)
		return;
	if (file_types != NULL)
		engine_add_types(w->e, file_types);
	engine_destroy(w->e);
	free(w);
}

void
scanner_scan_fd(struct scanner_worker *w, int fd, const char *path, struct scanner_verdict *v)
{
	engine_scan_fd(w->e, fd, path, v);
}

void
scanner_session_note_action(struct scanner_session *s, const char *path, const char *action)
{
	struct result *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return;
	r->kind = RES_ACTION;
	r->path = strdup(path);
	r->path_len = r->path ? strlen(r->path) : 0;
	r->note = strdup(action);
	if (r->path == NULL || r->note == NULL || queue_push(s->c.results, r) != 0)
		result_free(r);
}

void
scanner_session_note_refusal(struct scanner_session *s, const char *path, const char *rule,
			     const char *action)
{
	struct result *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return;
	r->kind = RES_REFUSAL;
	r->path = strdup(path);
	r->path_len = r->path ? strlen(r->path) : 0;
	r->note = strdup(action);
	r->name = rule ? strdup(rule) : NULL;
	if (r->path == NULL || r->note == NULL || (rule && r->name == NULL) ||
	    queue_push(s->c.results, r) != 0)
		result_free(r);
}

void
scanner_record(struct scanner_worker *w, const char *action)
{
	engine_record(w->e, action);
}

struct pool_worker {
	struct scan_ctx *c;
	struct scanner_worker *w;
	pthread_t tid;
};

static void *
worker_main(void *arg)
{
	struct pool_worker *pw = arg;
	struct job *j;

	while ((j = queue_pop(pw->c->jobs)) != NULL) {
		if (scan_should_stop(pw->c))
			;
		else if (j->img)
			engine_scan_image(pw->w->e, j);
		else
			engine_scan_file(pw->w->e, j);
		job_free(pw->c, j);
	}
	return NULL;
}

enum vg_err
scanner_run(const struct scanner_options *o, struct sigdb *db, struct store *st, int64_t scan_id,
	    char *const *roots, size_t nroots, const struct scanner_callbacks *cb,
	    struct scanner_totals *totals, struct vg_error *err)
{
	struct scanner_session *s = NULL;
	struct pool_worker *workers = NULL;
	int nthreads = o->threads > 0 ? o->threads : 1, started = 0, i;
	enum vg_err rc;
	size_t r;

	memset(totals, 0, sizeof(*totals));
	raise_fd_limit();
	rc = scanner_session_open(o, db, st, scan_id, cb, &s, err);
	if (rc != VG_OK)
		return rc;
	workers = calloc((size_t)nthreads, sizeof(*workers));
	if (workers == NULL)
		rc = vg_error_set(err, VG_NOMEM, "out of memory");
	for (i = 0; rc == VG_OK && i < nthreads; i++) {
		workers[i].c = &s->c;
		rc = scanner_worker_create(s, &workers[i].w, err);
	}
	for (started = 0; rc == VG_OK && started < nthreads; started++)
		if (pthread_create(&workers[started].tid, NULL, worker_main, &workers[started]) != 0)
			break;
	if (rc == VG_OK && started == 0)
		rc = vg_error_set(err, VG_NOMEM, "cannot start worker threads");
	if (rc == VG_OK && o->image)
		image_walk(&s->c, o->image);
	for (r = 0; rc == VG_OK && !o->image && r < nroots && !scan_should_stop(&s->c); r++)
		walk_root(&s->c, roots[r]);
	queue_close(s->c.jobs);
	for (i = 0; i < started; i++)
		pthread_join(workers[i].tid, NULL);
	totals->file_types = json_object();
	for (i = 0; workers && i < nthreads; i++)
		scanner_worker_destroy(workers[i].w, totals->file_types);
	free(workers);
	{
		json_t *types = totals->file_types;
		enum vg_err rc2 = scanner_session_close(s, totals, rc == VG_OK ? err : NULL);

		totals->file_types = types;
		if (rc == VG_OK)
			rc = rc2;
	}
	return rc;
}
