/*
 * core/eventlog.h — the local event log: <state-dir>/events.jsonl, one JSON object per line,
 * appended, never sent anywhere. Each event has the common fields (time, event, level,
 * platform, machine_guid, hostname, app_version, sig_version, org_id) and its own.
 *
 * Levels: "required" events (install, upgrade, crash) are always recorded; "optional" ones
 * (configuration at start, real-time statistics, scheduled scans) only when the
 * configuration's diagnostic_level is "optional".
 */
#ifndef VIGIL_CORE_EVENTLOG_H
#define VIGIL_CORE_EVENTLOG_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"

enum vg_event_level { VG_EVENT_REQUIRED, VG_EVENT_OPTIONAL };

struct vg_eventlog {
	char *path;
	char *state_dir;	/* the file is opened there, without following a link */
	int record_optional;	/* diagnostic_level is "optional" */
	json_t *common;		/* machine_guid, hostname, app_version, sig_version, org_id */
};

/* Prepare the log in state_dir; common is borrowed (a reference is taken). */
enum vg_err vg_eventlog_open(struct vg_eventlog *log, const char *state_dir,
			     const char *diagnostic_level, json_t *common, struct vg_error *err);
void vg_eventlog_close(struct vg_eventlog *log);

/* Append one event with fields (stolen, may be NULL); a write error is returned, not fatal. */
enum vg_err vg_event(struct vg_eventlog *log, enum vg_event_level level, const char *name,
		     json_t *fields, struct vg_error *err);

#endif
