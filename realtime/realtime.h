/*
 * realtime/realtime.h — real-time protection with fanotify, and the daemon's scheduler.
 *
 *	struct rtp_options o = { .paths = ..., .threads = 2, ... };
 *	rtp_run(&o, db, st, &err);        until *o.stop: watch, scan, answer, count
 *
 * Blocking mode (the default) uses fanotify's content class: FAN_OPEN_PERM and
 * FAN_OPEN_EXEC_PERM are answered ALLOW or DENY after a scan, FAN_CLOSE_WRITE scans what was
 * just written. Passive mode uses notification events only and never denies. Marks are mount
 * marks on every mount at or below the configured paths (pseudo file systems left out);
 * events outside the paths are allowed at once. The system never waits on vigil for long:
 * every permission event is answered, a scan that passes the deadline is answered ALLOW and
 * counted, files above the size limit are allowed unscanned and counted, a full queue is
 * answered ALLOW and counted, and on stop every pending event is answered before the marks
 * go. Should the process die, the kernel allows whatever was pending when its fanotify
 * descriptor closes. vigil's own accesses (and those of the scans it starts) are never
 * scanned.
 *
 * Detections are recorded in the store under one scan of type "realtime" (action "blocked"
 * in blocking mode, "reported" otherwise), and quarantined when asked. One row per file,
 * rule and action: a repeat (another refused open, found by a scan or answered from the
 * verdict cache) adds to its count and last time, and every refusal is logged.
 *
 * Live signature reload: every 2 s the store's sig_version is read (and at once on
 * *o->reload, SIGHUP); a new one is loaded through sigdb_open off the event path and swapped
 * in, scans in flight finishing on the old set; verdicts cached under the old version no
 * longer answer; a set that fails to load leaves the old one in force (logged, and shown
 * by `rtp status`). Statistics and the
 * busiest processes and files are served on <state-dir>/rtp.sock (0600) to `vigil rtp
 * status` and `vigil rtp top`.
 */
#ifndef VIGIL_REALTIME_REALTIME_H
#define VIGIL_REALTIME_REALTIME_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>

#include "core/err.h"
#include "core/eventlog.h"
#include "core/store.h"
#include "quarantine/quarantine.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"

struct rtp_options {
	char **paths;			/* absolute folders to watch */
	size_t npaths;
	int passive;
	int threads;
	int64_t deadline_ms;		/* a scan answered ALLOW after this long */
	uint64_t max_file_size;		/* larger files allowed unscanned */
	int64_t cache_entries;		/* verdict cache size */
	char **exclude_processes;	/* executables whose accesses are not scanned */
	size_t nexclude_processes;
	const struct excl_set *excl;	/* path, extension and name exclusions */
	const struct allow_set *allow;
	struct scanner_options scan;	/* archive limits etc. for the engine */
	int quarantine;			/* move detected files into the vault */
	struct quarantine_notify vault_notify;	/* told of each move (syslog) */
	const char *state_dir;
	const char *key_file;		/* the vault key, NULL for the default */
	const char *config_path;	/* handed to scheduled scans, may be NULL */
	json_t *schedules;		/* scheduled_scans (borrowed), NULL: no scheduler */
	int64_t push_interval;		/* > 0: "vigil fleet push" that often (fleet.database_url set) */
	struct vg_eventlog *events;	/* may be NULL */
	volatile sig_atomic_t *stop;
	volatile sig_atomic_t *reload;	/* set (e.g. by SIGHUP): reload the signatures now;
					 * may be NULL */
};

/*
 * Watch until *o->stop, recording detections in scan scan_id of st (its writer thread owns
 * st meanwhile); *totals as for a scan. VG_OK after a clean stop; fails when fanotify cannot
 * start (not root), a path cannot be watched, or another real-time protection runs.
 */
enum vg_err rtp_run(const struct rtp_options *o, struct sigdb *db, struct store *st,
		    int64_t scan_id, struct scanner_totals *totals, struct vg_error *err);

/*
 * Ask the running real-time protection (over <state-dir>/rtp.sock) for "status" or
 * "top process|file N"; *out receives its JSON answer. VG_NOTFOUND when none is running.
 */
enum vg_err rtp_query(const char *state_dir, const char *request, json_t **out,
		      struct vg_error *err);

/* ---- the scheduler (realtime/sched.c) ---- */

/* Only the scheduled scans (real-time protection off), until *o->stop. */
enum vg_err rtp_scheduler_run(const struct rtp_options *o, struct vg_error *err);

/*
 * The most recent time (Unix seconds, local time) at or before now when schedule s was
 * due, or -1 when s is malformed. Daily at HH:MM, or weekly on "day" at HH:MM.
 */
int64_t sched_last_due(json_t *s, int64_t now);

#endif
