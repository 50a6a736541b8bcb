/* fleet/fleet_int.h — private to fleet/: the database connection, the SQL, the row sinks. */
#ifndef VIGIL_FLEET_FLEET_INT_H
#define VIGIL_FLEET_FLEET_INT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "fleet/fleet.h"

/* ---- fleet/sql.c ---- */
extern const char *const fleet_migrations[];
extern const size_t fleet_nmigrations;
extern const char *const fleet_sql_prepare, *const fleet_sql_grants, *const fleet_sql_lock,
	*const fleet_sql_version, *const fleet_sql_record, *const fleet_sql_register,
	*const fleet_sql_push, *const fleet_sql_hosts, *const fleet_sql_threats;

/* ---- fleet/db.c: one connection to the fleet database ---- */
struct fleet_db {
	PGconn *c;
	char where[512];	/* "user@host:port/dbname", never the password */
};

/* Connect (connect_timeout 10 s unless the URL says); VG_IO names the server and why. */
enum vg_err fleet_db_open(const char *url, struct fleet_db *db, struct vg_error *err);
void fleet_db_close(struct fleet_db *db);
/*
 * Run sql with n text parameters (NULL for SQL NULL); *res (when res is not NULL) receives the
 * result to PQclear. On an error, err says "fleet database WHERE: cannot WHAT: reason".
 */
enum vg_err fleet_db_exec(struct fleet_db *db, const char *sql, int n, const char *const *params,
			  const char *what, PGresult **res, struct vg_error *err);
/* The schema is there and is the one this vigil writes (else VG_IO saying what to run). */
enum vg_err fleet_db_check(struct fleet_db *db, struct vg_error *err);
/* Every row of a one-column query of JSON text, as an array. */
enum vg_err fleet_db_rows(struct fleet_db *db, const char *sql, int n, const char *const *params,
			  const char *what, json_t **out, struct vg_error *err);

/* ---- fleet/collect.c: the rows not yet sent, to a sink ---- */
struct fleet_sink {
	/* the host document ({machine_guid, hostname, org_id, app_version, sig_version, pubkey}) */
	enum vg_err (*host)(struct fleet_sink *s, json_t *host, struct vg_error *err);
	/* a batch of rows of one kind (an array, borrowed) */
	enum vg_err (*rows)(struct fleet_sink *s, const char *kind, json_t *rows,
			    struct vg_error *err);
};

/* What a push and an export each keep in the store's meta: their own watermarks. */
struct fleet_marks_keys {
	const char *rev, *inventory_rev, *events;
};
extern const struct fleet_marks_keys fleet_push_keys, fleet_export_keys;

struct fleet_marks {
	int64_t rev, inventory_rev;
	char events[96];	/* "dev:ino:offset" of events.jsonl */
};

/*
 * Send the host and every row above the watermarks to sink, counting them by kind in
 * counts; *next receives the watermarks to save once the sink has kept everything.
 */
enum vg_err fleet_collect(const struct fleet_host *h, const struct fleet_marks_keys *keys,
			  struct fleet_sink *sink, json_t *counts, struct fleet_marks *next,
			  struct vg_error *err);
/* Save next (the inventory mark only when h->inventory). */
enum vg_err fleet_marks_save(const struct fleet_host *h, const struct fleet_marks_keys *keys,
			     const struct fleet_marks *next, struct vg_error *err);
/* {hosts: 0, scans: 0, ...}: the counts a push or export prints. */
json_t *fleet_counts_new(void);
/* The count's key for a kind of row ("scan" -> "scans", "gone" -> "removed"). */
const char *fleet_count_key(const char *kind);

/* ---- fleet/push.c: the database as a sink, in one transaction (push and import) ---- */
struct fleet_pgsink {
	struct fleet_sink sink;	/* first: the sink callbacks receive this */
	struct fleet_db conn, *db;
	char guid[64];		/* the host being written */
	json_t *changed;	/* by kind: rows new to the database, or newer than its copy */
};
/* Connect to url, check the schema, begin the transaction. */
enum vg_err fleet_pgsink_begin(struct fleet_pgsink *p, const char *url, struct vg_error *err);
/* Commit (or, commit 0, roll back: err may then be NULL) and disconnect. */
enum vg_err fleet_pgsink_end(struct fleet_pgsink *p, int commit, struct vg_error *err);

/* ---- fleet/hostkey.c: the host's own Ed25519 key, <state-dir>/fleet-host.key ---- */
enum vg_err fleet_hostkey(const char *state_dir, EVP_PKEY **key, char **pub_b64,
			  struct vg_error *err);
/* The public key of base64 raw bytes (NULL when it is not an Ed25519 key). */
EVP_PKEY *fleet_pubkey_from_b64(const char *b64);

#endif
