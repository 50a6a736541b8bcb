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
/* The file was written: forget it. */
void vcache_forget(struct vcache *vc, dev_t dev, ino_t ino);

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

#endif
