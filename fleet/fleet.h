/*
 * fleet/fleet.h — every host's findings in one PostgreSQL database (libpq), and a file that
 * carries them from a host with no route to it.
 *
 * The local store stays the source of truth: the fleet database is a copy, rebuilt from it
 * at any time. Every row the store pushes has a push id (fid, never reused) and a revision
 * (rev, grows at each insert and update; core/store_fleet.c). A push sends, in one database
 * transaction, the rows whose rev is above the store's push watermark, then moves the
 * watermark to the newest rev it read, only after the database has committed: a push that
 * fails half-way changes nothing, and the next one sends it all again. The database keys
 * each row by (machine_guid, fid) and keeps the newest revision, so sending twice adds
 * nothing. An export writes the same rows to a file with its own watermark; an import loads
 * that file, checked first (SHA-256 over its content, Ed25519 signature by the host's own
 * key, <state-dir>/fleet-host.key, created at first use), in one transaction.
 *
 * The database side (fleet/sql.c) is created by `vigil fleet init` as the database owner:
 * schema vigil, group roles vigil_push (hosts: SECURITY DEFINER functions that write only
 * the rows of a machine_guid the calling role registered), vigil_import (loads the files of
 * any host) and vigil_read (analysts). Hosts never change the schema.
 */
#ifndef VIGIL_FLEET_FLEET_H
#define VIGIL_FLEET_FLEET_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"

struct store;

/* Who this host is: sent with every push and at the head of every export file. */
struct fleet_host {
	struct store *st;
	const char *state_dir;
	const char *org_id;
	const char *app_version;
	int64_t sig_version;
	int inventory;		/* --inventory: inventory rows as well */
};

/*
 * Send what this host has not sent to the database at url. *sent receives
 * {database, sent: {hosts, scans, threats, problems, quarantine, inventory, removed, events},
 * watermark}. VG_IO names the server and the reason (unreachable, refused, no schema...).
 */
enum vg_err fleet_push(const struct fleet_host *h, const char *url, json_t **sent,
		       struct vg_error *err);

/* The same rows into the file out (its own watermark); *sent as for push, with file, sha256. */
enum vg_err fleet_export(const struct fleet_host *h, const char *out, json_t **sent,
			 struct vg_error *err);

/*
 * Check the export file path (digest, signature, completeness) and load it into the
 * database at url in one transaction; a truncated or altered file loads nothing (VG_INVAL).
 */
enum vg_err fleet_import(const char *path, const char *url, json_t **loaded, struct vg_error *err);

/* Create or upgrade the database schema and roles (the database owner). */
enum vg_err fleet_init(const char *url, json_t **done, struct vg_error *err);

/* Queries across hosts. */
struct fleet_filter {
	const char *sha256, *name, *host, *since;
};
enum vg_err fleet_hosts(const char *url, json_t **out, struct vg_error *err);
enum vg_err fleet_threats(const char *url, const struct fleet_filter *f, json_t **out,
			  struct vg_error *err);

#endif
