/* realtime/rtp_int.h — private to realtime/: verdict cache, statistics, control socket. */
#ifndef VIGIL_REALTIME_INT_H
#define VIGIL_REALTIME_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "realtime/realtime.h"

/* ---- vcache.c: verdicts by device, inode, size, mtime, ctime and sig_version ---- */

enum { VC_UNKNOWN = 0, VC_CLEAN = 1, VC_INFECTED = 2 };

struct vcache;

/* A direct-mapped table of at least entries slots (a collision replaces the older entry). */
struct vcache *vcache_create(int64_t entries);
void vcache_destroy(struct vcache *vc);
int vcache_get(struct vcache *vc, const struct stat *st, int64_t sig_version);
void vcache_put(struct vcache *vc, const struct stat *st, int64_t sig_version, int verdict);
/* The same, with the first rule of an infected verdict (valid until vcache_destroy). */
int vcache_get_named(struct vcache *vc, const struct stat *st, int64_t sig_version,
		     const char **name);
void vcache_put_named(struct vcache *vc, const struct stat *st, int64_t sig_version, int verdict,
		      const char *name);
/* The file was written: forget it. */
void vcache_forget(struct vcache *vc, dev_t dev, ino_t ino);

/* ---- marks.c ---- */

/* Is path dir or below it (both absolute, normalised)? */
int rtp_under(const char *path, const char *dir);
/* Add to *marks (*n of them) the paths and every mount below them that holds files; -1 when
 * out of memory. */
int marks_collect(char *const *paths, size_t npaths, char ***marks, size_t *n);

/* ---- reload.c: the rule set in force, reloaded and swapped live ---- */

/*
 * One loaded rule set: the compiled rules, a scanner session over them (the first set uses
 * the session real-time protection opened; every later one a session derived from it, so
 * that all results go through the one writer) and one scanner worker per scanning thread.
 * Reference-counted: the holder keeps one reference on the set in force, every scan in
 * flight one more; the last release destroys it.
 */
struct ruleset {
	atomic_int refs;
	struct sigdb *db;
	struct scanner_session *session;
	int derived;			/* session is ours to close */
	struct scanner_worker **sw;	/* [nworkers]: scanning thread i uses sw[i] */
	int64_t sig_version;
	int64_t loaded_at;		/* Unix seconds */
	int64_t rules;			/* rule count */
};

struct rules;

/*
 * The holder, with set 0 over db (retained) and root (not closed here); destroyed workers
 * add their files by type to file_types (borrowed).
 */
enum vg_err rules_create(struct scanner_session *root, struct sigdb *db, int nworkers,
			 json_t *file_types, struct rules **out, struct vg_error *err);
/* The set in force, with a reference for the caller: pair with rules_release. */
struct ruleset *rules_acquire(struct rules *h);
void rules_release(struct rules *h, struct ruleset *g);
/* The sig_version in force (for the verdict cache). */
int64_t rules_version(struct rules *h);
/*
 * Build a set over db (retained) and swap it in: scans that hold the old set finish on it.
 * On failure nothing changes.
 */
enum vg_err rules_swap_in(struct rules *h, struct sigdb *db, struct vg_error *err);
/*
 * Load the rules the store holds now (sigdb_open, the one rule-loading path, with st) and
 * swap them in; on failure the set in force stays, the reason is logged and kept for
 * rules_status. why names the cause in the log ("sig_version 5", "SIGHUP").
 */
enum vg_err rules_reload(struct rules *h, struct store *st, const char *state_dir,
			 const char *why, struct vg_error *err);
/*
 * A thread that reads the store's sig_version every poll_ms and reloads when it differs
 * from the set in force (once per new version when that fails), and at once when *hup is
 * set (it is cleared). It opens a store handle of its own in state_dir.
 */
enum vg_err rules_watch(struct rules *h, const char *state_dir, int poll_ms,
			volatile sig_atomic_t *hup, struct vg_error *err);
/* {sig_version, loaded_at, rules, reloads, reload_failures, last_reload_error?} */
json_t *rules_status(struct rules *h);
/* Stop the thread and drop the set in force: call after every scan has released its set. */
void rules_destroy(struct rules *h);

/* ---- stats.c: counters, and the processes and files that cost the most scan time ---- */

struct rtp_stats {
	atomic_llong ev_open, ev_exec, ev_close_write;
	atomic_llong allowed, denied, scanned, cache_hits, deadline_expired, too_large;
	atomic_llong queue_full, excluded, outside, self, errors, threats, overflows;
	atomic_llong queued, queue_high_water;
	double started;		/* CLOCK_MONOTONIC seconds */
};

struct top;

struct top *top_create(size_t max);
void top_destroy(struct top *t);
/* One scan of key (a process's executable, or a file) that took us microseconds. */
void top_add(struct top *t, const char *key, int64_t us);
/* The n keys with the most scan time: [{key, scans, scan_ms}]. */
json_t *top_json(struct top *t, size_t n);

double rtp_now(void);
json_t *rtp_stats_json(struct rtp_stats *s);

/* ---- control.c: the unix socket of `rtp status` and `rtp top` ---- */

struct control;

/*
 * Listen on <state_dir>/rtp.sock (0600). answer(request, ctx) returns the JSON reply
 * (new reference). VG_EXISTS when another real-time protection already answers there.
 */
enum vg_err control_start(const char *state_dir, json_t *(*answer)(const char *req, void *ctx),
			  void *ctx, struct control **out, struct vg_error *err);
void control_stop(struct control *c);

/* ---- sched.c: the daemon's scheduled scans ---- */

struct sched;

/* A thread that starts scheduled scans (as child processes of low priority); it opens a
 * store handle of its own in o->state_dir. */
enum vg_err sched_start(const struct rtp_options *o, struct sched **out, struct vg_error *err);
void sched_stop(struct sched *s);
/* The pid of the scan the scheduler is running now, or 0: its accesses are not scanned. */
pid_t sched_child(struct sched *s);
/* Is there anything for the scheduler thread to do (schedules, fleet pushes)? */
int sched_wanted(const struct rtp_options *o);

#endif
