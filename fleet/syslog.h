/*
 * fleet/syslog.h — detections, quarantine actions and real-time blocks as RFC 5424 messages
 * on the local syslog socket (logging.syslog, logging.syslog_socket), for rsyslog or
 * journald to forward to a SIEM.
 *
 *	fleet_syslog_create(cfg, st, &sl, &err);     NULL in *sl when logging.syslog is false
 *	fleet_syslog_threat(sl, scan_id, &threat);   from the scan's writer thread
 *	fleet_syslog_refusal(sl, scan_id, path, len, rule, "blocked");
 *	fleet_syslog_vault(sl, "quarantined", &item, NULL);
 *	fleet_syslog_destroy(sl);
 *
 * One datagram per event:
 *
 *	<28>1 2026-11-28T16:31:56.123456Z host vigil 4242 DETECTION [vigil@32473
 *	rule="EICAR_Test_File" path="/srv/x.zip" member="a.zip > eicar.com" sha256="..."
 *	action="reported" machine_guid="..." org_id="acme" scan_id="12"] EICAR_Test_File
 *	found in /srv/x.zip > a.zip > eicar.com
 *
 * Facility daemon; severity warning for DETECTION and BLOCK, notice for QUARANTINE, RESTORE
 * and REMOVE. 32473 is the example private enterprise number of RFC 5612: a placeholder
 * until vigil has a PEN of its own (the SD-ID will then change).
 *
 * Names from a scanned disk are hostile bytes. Every text value goes through
 * vg_text_escape() (core/jsonx.h: control characters and invalid UTF-8 as \xNN, a backslash
 * doubled) and then, inside an SD-PARAM, through the escaping of RFC 5424 6.3.3 (", \ and ]
 * preceded by a backslash): a name cannot end the message, start another one or add an SD
 * element; undoing the two escapes in turn gives its exact bytes back. A message is at most
 * FLEET_SYSLOG_MAX bytes: long paths, member chains and the text are cut (ending "...", and
 * truncated="1" in the element), the element is always closed.
 *
 * Sending never waits: the socket is non-blocking; a missing or full socket loses the
 * message and says so once in the log (warning), never failing the caller. The socket is
 * connected on first use and again after an error (at most once a second). Every function
 * is thread-safe and accepts a NULL handle (nothing is sent).
 */
#ifndef VIGIL_FLEET_SYSLOG_H
#define VIGIL_FLEET_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/store.h"

#define FLEET_SYSLOG_MAX 8192
/* RFC 5612's example enterprise number: a placeholder until vigil has its own. */
#define FLEET_SYSLOG_SDID "vigil@32473"

struct fleet_syslog;

/*
 * From the configuration: NULL in *out (and VG_OK) when logging.syslog is false; the
 * machine guid is read from st once. Nothing is connected yet.
 */
enum vg_err fleet_syslog_create(const struct vg_config *cfg, struct store *st,
				struct fleet_syslog **out, struct vg_error *err);
void fleet_syslog_destroy(struct fleet_syslog *sl);

/*
 * A detection recorded in scan scan_id (DETECTION). An allowed one (action "allowed") is not
 * a threat and sends nothing; action "blocked" (real-time protection refused the open that
 * found it) sends a BLOCK as well. The signature fits struct scanner_events' threat (ctx:
 * the handle).
 */
void fleet_syslog_threat(void *sl, int64_t scan_id, const struct store_threat *t);
/* An open of path refused by real-time protection because of rule (may be NULL): BLOCK. */
void fleet_syslog_refusal(void *sl, int64_t scan_id, const char *path, size_t path_len,
			  const char *rule, const char *action);
/*
 * A vault item that was "quarantined" (QUARANTINE), "restored" to restored_to (RESTORE) or
 * "removed" (REMOVE). The signature fits struct quarantine_notify.
 */
void fleet_syslog_vault(void *sl, const char *what, const struct store_qitem *q,
			const char *restored_to);

/* ---- the message itself (exposed for tests) ---- */

struct fleet_syslog_event {
	const char *msgid;		/* DETECTION, BLOCK, QUARANTINE, RESTORE, REMOVE */
	int severity;			/* LOG_WARNING, LOG_NOTICE (<syslog.h>) */
	const char *rule;		/* may be NULL, as every field below */
	const char *path;		/* path_len raw bytes */
	size_t path_len;
	const char *member;		/* names outer to inner, each followed by a NUL */
	size_t member_len;
	const char *sha256;
	const char *action;
	const char *restored_to;
	int64_t scan_id, item_id;	/* 0: none */
};

/* Who sends: the header fields and the element's identity. */
struct fleet_syslog_origin {
	const char *hostname, *machine_guid, *org_id;
	long pid;
	int64_t time_ns;		/* since the epoch, UTC */
};

/*
 * Format ev into buf (at least FLEET_SYSLOG_MAX bytes); returns the message's length (no
 * final newline, NUL-terminated), or 0 when out of memory.
 */
size_t fleet_syslog_format(const struct fleet_syslog_origin *o, const struct fleet_syslog_event *ev,
			   char *buf);

#endif
