/*
 * realtime/rtp.c — the fanotify loop: marks, one reader, scanning threads, a watchdog that
 * answers what passes the deadline, and an orderly stop that answers everything pending.
 * See realtime/realtime.h for what is promised.
 */
#include "realtime/rtp_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/queue.h"
#include "core/reach.h"
#include "quarantine/quarantine.h"

#define EVENT_QUEUE 4096
#define ACTION_QUEUE 256
#define TOP_ENTRIES 1024
#define WATCHDOG_MS 50
#define SIG_POLL_MS 2000	/* how often the store's sig_version is read */

#define PERM_MASK (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM)
#define BLOCKING_MASK (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM | FAN_CLOSE_WRITE)
#define PASSIVE_MASK (FAN_OPEN | FAN_OPEN_EXEC | FAN_CLOSE_WRITE)

/* One event on its way through: held by the queue, then by one scanning thread. */
struct pev {
	struct pev *prev, *next;	/* the pending list: permission events not answered */
	int in_list;
	int fd;
	uint64_t mask;
	pid_t pid;
	double t0;
	struct stat st;
	char *path, *exe;
};

struct rtp {
	const struct rtp_options *o;
	struct sigdb *db;
	int fan;
	int blocking;
	pid_t self;
	char *self_exe;			/* vigil itself: its on-demand scans read what they like */
	struct queue *events, *actions;
	pthread_mutex_t plock;
	struct pev pending;		/* list head */
	struct rtp_stats stats;
	struct top *by_process, *by_file;
	struct vcache *vc;
	struct scanner_options scan;	/* o->scan, repeated detections counted on one row */
	struct scanner_session *session;	/* the writer's; sets over newer rules derive */
	struct rules *rules;		/* the rule set in force, swapped by live reload */
	json_t *file_types;
	struct sched *sched;
	atomic_int stopping;
	char **marks;
	size_t nmarks;
};

/* ---- answers ---- */

static void
respond(struct rtp *r, int fd, uint32_t response)
{
	struct fanotify_response fr = { .fd = fd, .response = response };

	while (write(r->fan, &fr, sizeof(fr)) < 0) {
		if (errno != EINTR) {
			atomic_fetch_add(&r->stats.errors, 1);
			vg_log(VG_LOG_ERROR, "cannot answer a permission event: %s", strerror(errno));
			return;
		}
	}
	atomic_fetch_add(response == FAN_DENY ? &r->stats.denied : &r->stats.allowed, 1);
}

static void
list_add(struct rtp *r, struct pev *p)
{
	pthread_mutex_lock(&r->plock);
	p->next = r->pending.next;
	p->prev = &r->pending;
	r->pending.next->prev = p;
	r->pending.next = p;
	p->in_list = 1;
	pthread_mutex_unlock(&r->plock);
}

/* Answer p unless the watchdog (or the stop) already did; under the lock, so an event is
 * answered once and its descriptor is still open when it is. 1 when this call answered. */
static int
answer(struct rtp *r, struct pev *p, uint32_t response)
{
	int answered = 0;

	pthread_mutex_lock(&r->plock);
	if (p->in_list) {
		p->prev->next = p->next;
		p->next->prev = p->prev;
		p->in_list = 0;
		respond(r, p->fd, response);
		answered = 1;
	}
	pthread_mutex_unlock(&r->plock);
	return answered;
}

/* Answer ALLOW every pending event older than age seconds (all of them with age < 0). */
static void
answer_expired(struct rtp *r, double age)
{
	double now = rtp_now();
	struct pev *p, *next;

	pthread_mutex_lock(&r->plock);
	for (p = r->pending.next; p != &r->pending; p = next) {
		next = p->next;
		if (age >= 0 && now - p->t0 < age)
			continue;
		p->prev->next = p->next;
		p->next->prev = p->prev;
		p->in_list = 0;
		respond(r, p->fd, FAN_ALLOW);
		if (age >= 0)
			atomic_fetch_add(&r->stats.deadline_expired, 1);
	}
	pthread_mutex_unlock(&r->plock);
}

static void
pev_free(struct pev *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->path);
	free(p->exe);
	free(p);
}

/*
 * Off the event path: a detection to quarantine (the descriptor fanotify delivered, and what
 * the scan read), or a refused open of a file known bad to record and log (fd -1).
 */
struct action {
	int fd;
	struct vg_ident ident;
	char *path, *threat;
	int refusal;
	pid_t pid;
	char *exe;
};

static void
action_free(struct action *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	free(a->path);
	free(a->threat);
	free(a->exe);
	free(a);
}

/*
 * The open was refused because the file is known bad from an earlier scan of this run: the
 * actor counts it on the file's "blocked" row and logs it (never here, on the event path).
 */
static void
refused(struct rtp *r, const char *path, const char *threat, pid_t pid, const char *exe)
{
	struct action *a = calloc(1, sizeof(*a));

	if (a) {
		a->fd = -1;
		a->refusal = 1;
		a->pid = pid;
		a->path = strdup(path);
		a->threat = strdup(threat ? threat : "?");
		a->exe = strdup(exe ? exe : "?");
	}
	if (a && a->path && a->threat && a->exe && r->actions &&
	    queue_try_push(r->actions, a, NULL) == 0)
		return;
	atomic_fetch_add(&r->stats.errors, 1);
	action_free(a);
}

/* ---- deciding without a scan ---- */

static char *
exe_of(pid_t pid)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return strdup("?");
	buf[n] = '\0';
	return strdup(buf);
}


static int
in_paths(struct rtp *r, const char *path)
{
	size_t i;

	for (i = 0; i < r->o->npaths; i++)
		if (rtp_under(path, r->o->paths[i]))
			return 1;
	return 0;
}

static int
process_excluded(struct rtp *r, const char *exe)
{
	size_t i;

	for (i = 0; i < r->o->nexclude_processes; i++)
		if (strcmp(exe, r->o->exclude_processes[i]) == 0)
			return 1;
	return 0;
}

/* Let the event go without a scan: ALLOW a permission event, and drop the descriptor. */
static void
let_go(struct rtp *r, const struct fanotify_event_metadata *md, atomic_llong *counter)
{
	if (counter)
		atomic_fetch_add(counter, 1);
	if (md->mask & PERM_MASK)
		respond(r, md->fd, FAN_ALLOW);
	close(md->fd);
}

static void
handle_event(struct rtp *r, const struct fanotify_event_metadata *md)
{
	int perm = (md->mask & PERM_MASK) != 0;
	struct pev *p;
	struct stat st;
	char *path;
	const char *threat = NULL;
	size_t depth = 0;
	int v;

	if (md->mask & (FAN_OPEN_EXEC_PERM | FAN_OPEN_EXEC))
		atomic_fetch_add(&r->stats.ev_exec, 1);
	else if (md->mask & (FAN_OPEN_PERM | FAN_OPEN))
		atomic_fetch_add(&r->stats.ev_open, 1);
	if (md->mask & FAN_CLOSE_WRITE)
		atomic_fetch_add(&r->stats.ev_close_write, 1);
	if (md->fd < 0)
		return;
	if (md->pid == r->self || (r->sched && md->pid == sched_child(r->sched))) {
		let_go(r, md, &r->stats.self);
		return;
	}
	if (fstat(md->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		let_go(r, md, NULL);
		return;
	}
	if (md->mask & FAN_CLOSE_WRITE) {
		vcache_forget(r->vc, st.st_dev, st.st_ino);
		v = VC_UNKNOWN;
	} else {
		/* first, before the path is even read: only files that were scanned are here,
		 * under the rules in force (a reload leaves the older verdicts unanswered) */
		v = vcache_get_named(r->vc, &st, rules_version(r->rules), &threat);
	}
	if (v == VC_CLEAN) {
		atomic_fetch_add(&r->stats.cache_hits, 1);
		if (perm)
			respond(r, md->fd, FAN_ALLOW);
		close(md->fd);
		return;
	}
	/*
	 * The decision is the descriptor's: a name that cannot be read (of any length it can)
	 * never lets the file by unscanned; it is scanned as if inside the paths, unexcluded.
	 */
	path = vg_fd_path(md->fd);
	if (path == NULL) {
		atomic_fetch_add(&r->stats.errors, 1);
		path = strdup("(name unavailable)");
		if (path == NULL) {
			let_go(r, md, &r->stats.errors);
			return;
		}
	} else if (!in_paths(r, path)) {
		free(path);
		let_go(r, md, &r->stats.outside);
		return;
	}
	if (r->o->excl && scanner_excl_explain(r->o->excl, path, 0, NULL)) {
		free(path);
		let_go(r, md, &r->stats.excluded);
		return;
	}
	if (r->o->max_file_size && (uint64_t)st.st_size > r->o->max_file_size) {
		free(path);
		let_go(r, md, &r->stats.too_large);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		free(path);
		let_go(r, md, &r->stats.errors);
		return;
	}
	p->fd = md->fd;
	p->mask = md->mask;
	p->pid = md->pid;
	p->t0 = rtp_now();
	p->st = st;
	p->path = path;
	p->exe = exe_of(md->pid);
	if (p->exe && r->self_exe && strcmp(p->exe, r->self_exe) == 0) {
		p->fd = -1;
		pev_free(p);
		let_go(r, md, &r->stats.self);
		return;
	}
	if (p->exe && process_excluded(r, p->exe)) {
		p->fd = -1;
		pev_free(p);
		let_go(r, md, &r->stats.excluded);
		return;
	}
	if (v == VC_INFECTED) { /* known bad, and the process is not excluded */
		atomic_fetch_add(&r->stats.cache_hits, 1);
		if (perm)
			respond(r, md->fd, r->blocking ? FAN_DENY : FAN_ALLOW);
		if (perm && r->blocking) /* every refusal is recorded */
			refused(r, p->path, threat, p->pid, p->exe);
		p->fd = -1;
		pev_free(p);
		close(md->fd);
		return;
	}
	if (perm)
		list_add(r, p);
	if (queue_try_push(r->events, p, &depth) != 0) {
		/* the scanning threads are behind: never make the system wait for them */
		atomic_fetch_add(&r->stats.queue_full, 1);
		answer(r, p, FAN_ALLOW);
		pev_free(p);
		return;
	}
	atomic_fetch_add(&r->stats.queued, 1);
	if ((long long)depth > atomic_load(&r->stats.queue_high_water))
		atomic_store(&r->stats.queue_high_water, (long long)depth);
}

/* ---- scanning threads ---- */

struct worker {
	struct rtp *r;
	int index;			/* its scanner worker in every rule set */
	pthread_t tid;
};


static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct rtp *r = w->r;
	struct pev *p;

	while ((p = queue_pop(r->events)) != NULL) {
		int perm = (p->mask & PERM_MASK) != 0, cached;
		const char *action = "reported", *threat = NULL;
		struct scanner_verdict v;
		struct ruleset *g;
		double t0;
		int64_t us;

		atomic_fetch_sub(&r->stats.queued, 1);
		if (atomic_load(&r->stopping)) {
			answer(r, p, FAN_ALLOW);
			pev_free(p);
			continue;
		}
		/* the rule set in force now: this scan finishes on it whatever a reload does */
		g = rules_acquire(r->rules);
		/* another event for the same file may have been scanned meanwhile */
		cached = (p->mask & FAN_CLOSE_WRITE)
				 ? VC_UNKNOWN
				 : vcache_get_named(r->vc, &p->st, g->sig_version, &threat);
		if (cached != VC_UNKNOWN) {
			rules_release(r->rules, g);
			atomic_fetch_add(&r->stats.cache_hits, 1);
			if (answer(r, p, cached == VC_INFECTED && r->blocking ? FAN_DENY
									       : FAN_ALLOW) &&
			    cached == VC_INFECTED && r->blocking && perm)
				refused(r, p->path, threat, p->pid, p->exe);
			pev_free(p);
			continue;
		}
		t0 = rtp_now();
		scanner_scan_fd(g->sw[w->index], p->fd, p->path, &v);
		us = (int64_t)((rtp_now() - t0) * 1e6);
		atomic_fetch_add(&r->stats.scanned, 1);
		top_add(r->by_file, p->path, us);
		top_add(r->by_process, p->exe ? p->exe : "?", us);
		if (v.errors)
			atomic_fetch_add(&r->stats.errors, 1);
		/* what was done is recorded only once it is done: a deadline may have let it by */
		if (v.threats && perm && r->blocking)
			action = answer(r, p, FAN_DENY) ? "blocked" : "reported (the open was let "
								      "through: the scan passed "
								      "the deadline)";
		else
			answer(r, p, FAN_ALLOW);
		scanner_record(g->sw[w->index], action);
		/* cached after the detection is handed to the writer: a refusal that the cache
		 * answers is then always counted after the row it counts on */
		if (!v.errors && !v.skipped)
			vcache_put_named(r->vc, &p->st, g->sig_version,
					 v.threats ? VC_INFECTED : VC_CLEAN, v.name);
		rules_release(r->rules, g);
		if (v.threats) {
			char *esc = vg_text_escape(p->path, strlen(p->path));
			char *exe = vg_text_escape(p->exe ? p->exe : "?", strlen(p->exe ? p->exe : "?"));

			atomic_fetch_add(&r->stats.threats, 1);
			vg_log(VG_LOG_WARN, "%s: %s FOUND (%s by pid %d, %s%s)", esc ? esc : "?",
			       v.name, (p->mask & FAN_CLOSE_WRITE) ? "written" : "opened",
			       (int)p->pid, exe ? exe : "?",
			       strcmp(action, "blocked") == 0 ? ": access denied" : "");
			free(esc);
			free(exe);
		}
		if (v.threats && r->o->quarantine && r->actions) {
			struct action *a = calloc(1, sizeof(*a));

			if (a) {
				a->ident = v.ident;
				a->fd = fcntl(p->fd, F_DUPFD_CLOEXEC, 0);
			}
			if (a && a->fd >= 0 && (a->path = strdup(p->path)) &&
			    (a->threat = strdup(v.name)) && queue_try_push(r->actions, a, NULL) == 0)
				a = NULL;
			action_free(a);
		}
		pev_free(p);
	}
	return NULL;
}

/*
 * Off the event path: record and log refused opens, and quarantine detections one at a time
 * with a store handle and a vault of its own.
 */
struct actor {
	struct rtp *r;
	int64_t scan_id;
	pthread_t tid;
};

static void *
actor_main(void *arg)
{
	struct actor *ac = arg;
	struct rtp *r = ac->r;
	struct store *st = NULL;
	struct vault *v = NULL;
	struct vg_error err;
	struct action *a;

	vg_error_init(&err);
	if (r->o->quarantine &&
	    (store_open(r->o->state_dir, &st, &err) != VG_OK ||
	     quarantine_open(st, r->o->state_dir, r->o->key_file, 0, &v, &err) != VG_OK))
		vg_log(VG_LOG_ERROR, "real-time quarantine is off: %s", vg_error_msg(&err));
	if (v)
		quarantine_set_notify(v, &r->o->vault_notify);
	while ((a = queue_pop(r->actions)) != NULL) {
		char *esc = vg_text_escape(a->path, strlen(a->path)), done[200], note[64];
		struct quarantine_done q;

		if (a->refusal) {
			char *exe = vg_text_escape(a->exe, strlen(a->exe));

			/* counted on the file's "blocked" row, after its detection's own row */
			scanner_session_note_refusal(r->session, a->path, a->threat, "blocked");
			vg_log(VG_LOG_WARN, "%s: %s: access denied (opened by pid %d, %s; known "
			       "from an earlier scan)", esc ? esc : "?", a->threat, (int)a->pid,
			       exe ? exe : "?");
			free(exe);
			free(esc);
			action_free(a);
			continue;
		}

		vg_error_init(&err);
		/* from the descriptor that was scanned, never by the name it had then */
		if (v && quarantine_add_fd(v, a->fd, &a->ident, a->threat, ac->scan_id, &q,
					   &err) == VG_OK) {
			snprintf(done, sizeof(done), "quarantined as item %lld%s", (long long)q.id,
				 quarantine_links_text(q.links_left, note));
			vg_log(VG_LOG_WARN, "%s: %s", esc ? esc : "?", done);
		} else {
			snprintf(done, sizeof(done), "quarantine failed: %.120s",
				 v ? vg_error_msg(&err) : "no vault");
			vg_log(VG_LOG_ERROR, "%s: %s", esc ? esc : "?", done);
		}
		/* through the writer: after the detection's own row, whenever that is written */
		scanner_session_note_action(r->session, a->path, done);
		free(esc);
		action_free(a);
	}
	quarantine_close(v);
	store_close(st);
	return NULL;
}

static enum vg_err
start_fanotify(struct rtp *r, struct vg_error *err)
{
	unsigned flags = FAN_CLOEXEC | FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS |
			 (r->blocking ? FAN_CLASS_CONTENT : FAN_CLASS_NOTIF);
	uint64_t mask = r->blocking ? BLOCKING_MASK : PASSIVE_MASK;
	size_t i;

	r->fan = fanotify_init(flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NOATIME);
	if (r->fan < 0)
		return vg_error_set(err, errno == EPERM ? VG_PERM : VG_IO,
				    "cannot start fanotify: %s%s", strerror(errno),
				    errno == EPERM ? " (real-time protection needs root)" : "");
	if (marks_collect(r->o->paths, r->o->npaths, &r->marks, &r->nmarks) != 0)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	for (i = 0; i < r->nmarks; i++) {
		int rc = fanotify_mark(r->fan, FAN_MARK_ADD | FAN_MARK_MOUNT, mask, AT_FDCWD,
				       r->marks[i]);

		if (rc != 0 && errno == EINVAL) {
			/* a kernel before 5.0 has no exec events */
			mask &= ~(uint64_t)(FAN_OPEN_EXEC_PERM | FAN_OPEN_EXEC);
			rc = fanotify_mark(r->fan, FAN_MARK_ADD | FAN_MARK_MOUNT, mask, AT_FDCWD,
					   r->marks[i]);
		}
		if (rc != 0) {
			char *esc = vg_text_escape(r->marks[i], strlen(r->marks[i]));

			if (i < r->o->npaths) {
				vg_error_set(err, VG_IO, "cannot watch '%s': %s", esc ? esc : "?",
					     strerror(errno));
				free(esc);
				return VG_IO;
			}
			vg_log(VG_LOG_WARN, "cannot watch the mount '%s': %s", esc ? esc : "?",
			       strerror(errno));
			free(esc);
		}
	}
	return VG_OK;
}

/* ---- the control socket's answers ---- */

static json_t *
control_answer(const char *req, void *ctx)
{
	struct rtp *r = ctx;
	char by[16] = "";
	unsigned n = 20;

	if (strcmp(req, "status") == 0) {
		json_t *doc = rtp_stats_json(&r->stats), *marks = json_array(), *paths = json_array();
		size_t i;

		for (i = 0; i < r->nmarks; i++)
			json_array_append_new(marks, vg_json_bytes(r->marks[i], strlen(r->marks[i])));
		for (i = 0; i < r->o->npaths; i++)
			json_array_append_new(paths, vg_json_bytes(r->o->paths[i],
								   strlen(r->o->paths[i])));
		json_object_set_new(doc, "running", json_true());
		json_object_set_new(doc, "pid", json_integer(r->self));
		json_object_set_new(doc, "mode", json_string(r->blocking ? "blocking" : "passive"));
		json_object_set_new(doc, "paths", paths);
		json_object_set_new(doc, "marks", marks);
		json_object_set_new(doc, "threads", json_integer(r->o->threads));
		json_object_set_new(doc, "deadline_ms", json_integer(r->o->deadline_ms));
		/* the rule set in force: sig_version, sig_loaded_at, rules, reloads */
		json_object_update_new(doc, rules_status(r->rules));
		json_object_set_new(doc, "queued",
				    json_integer(atomic_load(&r->stats.queued)));
		return doc;
	}
	if (sscanf(req, "top %15s %u", by, &n) >= 1 &&
	    (strcmp(by, "process") == 0 || strcmp(by, "file") == 0))
		return json_pack("{s:s, s:o}", "by", by, "top",
				 top_json(strcmp(by, "process") == 0 ? r->by_process : r->by_file,
					  n));
	return json_pack("{s:s}", "error", "unknown request");
}

/* ---- the loop ---- */

static void
read_events(struct rtp *r)
{
	/* fanotify hands whole events only: a buffer aligned for its metadata */
	static __thread union {
		struct fanotify_event_metadata md;
		char bytes[65536];
	} buf;
	const struct fanotify_event_metadata *md;
	ssize_t len = read(r->fan, buf.bytes, sizeof(buf.bytes));

	if (len < 0) {
		if (errno != EAGAIN && errno != EINTR)
			atomic_fetch_add(&r->stats.errors, 1);
		return;
	}
	for (md = &buf.md; FAN_EVENT_OK(md, len); md = FAN_EVENT_NEXT(md, len)) {
		if (md->vers != FANOTIFY_METADATA_VERSION) {
			vg_log(VG_LOG_ERROR, "fanotify metadata version %u is not %u", md->vers,
			       FANOTIFY_METADATA_VERSION);
			if (md->fd >= 0)
				let_go(r, md, &r->stats.errors);
			continue;
		}
		if (md->mask & FAN_Q_OVERFLOW) {
			atomic_fetch_add(&r->stats.overflows, 1);
			continue;
		}
		handle_event(r, md);
	}
}

static void *
watchdog_main(void *arg)
{
	struct rtp *r = arg;

	while (!atomic_load(&r->stopping)) {
		answer_expired(r, (double)r->o->deadline_ms / 1000.0);
		usleep(WATCHDOG_MS * 1000);
	}
	return NULL;
}

static void
rtp_free(struct rtp *r)
{
	size_t i;

	queue_destroy(r->events);
	queue_destroy(r->actions);
	top_destroy(r->by_process);
	top_destroy(r->by_file);
	vcache_destroy(r->vc);
	json_decref(r->file_types);
	for (i = 0; i < r->nmarks; i++)
		free(r->marks[i]);
	free(r->marks);
	pthread_mutex_destroy(&r->plock);
	free(r->self_exe);
	free(r);
}

enum vg_err
rtp_run(const struct rtp_options *o, struct sigdb *db, struct store *st, int64_t scan_id,
	struct scanner_totals *totals, struct vg_error *err)
{
	struct rtp *r = calloc(1, sizeof(*r));
	struct worker *workers = NULL;
	struct actor actor = { .r = r, .scan_id = scan_id };
	struct control *ctl = NULL;
	pthread_t watchdog;
	int nthreads = o->threads > 0 ? o->threads : 1, started = 0, wd = 0, acting = 0, i;
	enum vg_err e = VG_OK;

	memset(totals, 0, sizeof(*totals));
	if (r == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	r->o = o;
	r->db = db;
	r->fan = -1;
	r->blocking = !o->passive;
	r->self = getpid();
	r->self_exe = exe_of(r->self);
	r->scan = o->scan;
	r->scan.merge_repeats = 1;
	/*
	 * No deep containers on the event path: the extractor is a new process whose own opens
	 * would wait for this process's verdicts, and a fanotify answer must come within the
	 * scan deadline. Deep containers are for on-demand scans.
	 */
	r->scan.deep_containers = 0;
	r->file_types = json_object();
	r->pending.next = r->pending.prev = &r->pending;
	pthread_mutex_init(&r->plock, NULL);
	r->stats.started = rtp_now();
	r->events = queue_create(EVENT_QUEUE);
	r->by_process = top_create(TOP_ENTRIES);
	r->by_file = top_create(TOP_ENTRIES);
	r->vc = vcache_create(o->cache_entries);
	workers = calloc((size_t)nthreads, sizeof(*workers));
	r->actions = queue_create(ACTION_QUEUE);
	if (r->events == NULL || r->by_process == NULL || r->by_file == NULL || r->vc == NULL ||
	    workers == NULL || r->file_types == NULL || r->actions == NULL) {
		e = vg_error_set(err, VG_NOMEM, "out of memory");
		goto out;
	}
	e = scanner_session_open(&r->scan, db, st, scan_id, NULL, &r->session, err);
	/* set 0: a scanner worker per scanning thread over db, swapped by live reload */
	if (e == VG_OK)
		e = rules_create(r->session, db, nthreads, r->file_types, &r->rules, err);
	for (i = 0; e == VG_OK && i < nthreads; i++) {
		workers[i].r = r;
		workers[i].index = i;
	}
	if (e == VG_OK)
		e = control_start(o->state_dir, control_answer, r, &ctl, err);
	/* everything that opens files (libmagic's database) is loaded before the marks */
	if (e == VG_OK)
		e = start_fanotify(r, err);
	for (started = 0; e == VG_OK && started < nthreads; started++)
		if (pthread_create(&workers[started].tid, NULL, worker_main, &workers[started]) != 0)
			break;
	if (e == VG_OK && (started == 0 || pthread_create(&watchdog, NULL, watchdog_main, r) != 0))
		e = vg_error_set(err, VG_NOMEM, "cannot start the scanning threads");
	wd = e == VG_OK;
	if (e == VG_OK)
		acting = pthread_create(&actor.tid, NULL, actor_main, &actor) == 0;
	/* new signatures (a new sig_version in the store, or SIGHUP) without a restart */
	if (e == VG_OK)
		e = rules_watch(r->rules, o->state_dir, SIG_POLL_MS, o->reload, err);
	if (e == VG_OK && sched_wanted(o))
		e = sched_start(o, &r->sched, err);
	if (e == VG_OK)
		vg_log(VG_LOG_INFO, "real-time protection on (%s), %zu marks, %d threads, "
		       "sig_version %lld", r->blocking ? "blocking" : "passive", r->nmarks,
		       nthreads, (long long)rules_version(r->rules));
	while (e == VG_OK && !*o->stop) {
		struct pollfd p = { r->fan, POLLIN, 0 };

		if (poll(&p, 1, 200) > 0 && (p.revents & POLLIN))
			read_events(r);
	}
out:
	/* the stop: nothing pending stays unanswered, then the marks go with the descriptor */
	atomic_store(&r->stopping, 1);
	sched_stop(r->sched);
	if (wd)
		pthread_join(watchdog, NULL);
	answer_expired(r, -1);
	if (r->events)
		queue_close(r->events);
	for (i = 0; i < started; i++)
		pthread_join(workers[i].tid, NULL);
	answer_expired(r, -1);
	if (r->fan >= 0)
		close(r->fan);
	if (acting) {
		queue_close(r->actions);
		pthread_join(actor.tid, NULL);
	}
	control_stop(ctl);
	/* every scan is done: the set in force goes (older ones went with their last scan) */
	rules_destroy(r->rules);
	totals->file_types = r->file_types;
	r->file_types = NULL;
	if (r->session) {
		json_t *types = totals->file_types;
		enum vg_err e2 = scanner_session_close(r->session, totals, e == VG_OK ? err : NULL);

		totals->file_types = types;
		if (e == VG_OK)
			e = e2;
	}
	if (o->events) {
		json_t *stats = rtp_stats_json(&r->stats);

		vg_event(o->events, VG_EVENT_OPTIONAL, "realtime_statistics", stats, NULL);
	}
	free(workers);
	rtp_free(r);
	return e;
}
