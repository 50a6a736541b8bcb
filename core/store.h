/*
 * core/store.h — the SQLite store (<state-dir>/vigil.db): scans, threats, problems,
 * exclusions, signature sources, metadata, the quarantine's items; and the vault file
 * (<state-dir>/vault.db) with the quarantine's encrypted chunks. The one place that holds SQL.
 *
 *	store_open(state_dir, &st, &err);      creates the folder (0700) and db (0600), migrates
 *	store_begin(st, &err); ...writes...; store_commit(st, &err);
 *	store_close(st);
 *
 * The database runs in WAL mode with a busy timeout, and every write transaction is
 * BEGIN IMMEDIATE, so several vigil processes can write at once without "database is
 * locked". A handle is used by one thread at a time. Paths and archive member names are
 * stored as raw bytes (BLOB); a member chain is the names from outer to inner, each followed
 * by a NUL byte. Lists come back as jansson documents, names escaped by core/jsonx.h.
 */
#ifndef VIGIL_CORE_STORE_H
#define VIGIL_CORE_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/reach.h"

struct store;

enum vg_err store_open(const char *state_dir, struct store **out, struct vg_error *err);
void store_close(struct store *st);
const char *store_path(const struct store *st);

enum vg_err store_begin(struct store *st, struct vg_error *err);
/* A read transaction: every statement until commit or rollback sees one snapshot. */
enum vg_err store_begin_read(struct store *st, struct vg_error *err);
enum vg_err store_commit(struct store *st, struct vg_error *err);
void store_rollback(struct store *st);

/* Metadata: *value is malloc'd, or NULL when the key is not set. */
enum vg_err store_meta_get(struct store *st, const char *key, char **value, struct vg_error *err);
enum vg_err store_meta_set(struct store *st, const char *key, const char *value,
			   struct vg_error *err);
enum vg_err store_meta_delete(struct store *st, const char *key, struct vg_error *err);
/*
 * SQLite's full integrity check of <state_dir>/vigil.db and of its vault file vault.db when
 * there is one, opened read-only and without the schema (so a damaged store can be
 * examined): *out {store, integrity: ok|damaged, problems}; the vault file's problems start
 * with "vault.db: ".
 */
enum vg_err store_check(const char *state_dir, json_t **out, struct vg_error *err);
/* SQLite's quick integrity check: VG_OK, or VG_STORE when the store is damaged. */
enum vg_err store_quick_check(struct store *st);
/* This installation's random identifier (a UUID), made on first use and kept (malloc'd). */
enum vg_err store_machine_guid(struct store *st, char **out, struct vg_error *err);
/* Rows per table, pages, page size, free pages and bytes of the store (for diagnostics). */
enum vg_err store_stats_json(struct store *st, json_t **out, struct vg_error *err);
/* {key: value} of every key that starts with prefix. */
enum vg_err store_meta_prefix_json(struct store *st, const char *prefix, json_t **out,
				   struct vg_error *err);

/* ---- scans, threats, problems (core/store_scan.c) ---- */

struct store_scan_new {
	const char *type;	/* quick, full, custom */
	int threads;
	int64_t sig_version;
	const char *rules_digest;
	json_t *roots, *command_line, *options, *exclusions; /* borrowed; stored as JSON text */
	/* chain of custody: who, where, with what (NULL when not known or not given) */
	const char *case_id, *examiner;
	const char *hostname, *kernel, *machine_guid, *org_id, *app_version;
	int inventory;		/* every file is recorded (store_inventory_add) */
};

struct store_scan_totals {
	const char *status;	/* completed, interrupted, failed */
	double duration_s;
	int64_t files_scanned, bytes_scanned, objects_scanned;
	int64_t errors, skipped, threats, excluded;
	int64_t files_cached;	/* not read: unchanged since scanned clean (the scan cache) */
	json_t *file_types;	/* borrowed: {"mime/type": {"files": n, "bytes": n}}, or NULL */
};

struct store_threat {
	int64_t scan_id;
	const char *path;
	size_t path_len;
	const char *member;	/* NUL-terminated names, outer to inner */
	size_t member_len;
	const char *name, *ns;
	const char *meta_json;	/* the rule's metadata as a JSON object text, or NULL */
	const char *sha256, *sha1, *md5;	/* lower-case hex */
	int64_t size;
	const char *type, *action;
	const char *allowed_by;	/* action "allowed": which allow-list entry, or NULL */
	int have_mtime;		/* mtime_ns is known (the file's, or the archive member's) */
	int64_t mtime_ns;
	const char *location;	/* disk images: where in the image (JSON object text), or NULL */
	int have_ident;		/* a file on disk: ident is the file as it was read */
	struct vg_ident ident;
	size_t root_len;	/* path's first root_len bytes are its scan root (0: unknown) */
	int merge;		/* real-time protection: the newest row of this scan with the same
				 * path, member, rule, action and SHA-256 counts it (count + 1,
				 * last_at) instead of a new row */
};

/*
 * A file to act on after a scan (--action quarantine): each file with detections still
 * "reported", once, with what the scan recorded of it.
 */
struct store_target {
	char *path;
	size_t path_len;
	char *name;		/* a rule that matched it */
	int have_ident;		/* 0: recorded without identity (an older vigil, an image) */
	struct vg_ident ident;
	size_t root_len;
};

enum vg_err store_threat_targets(struct store *st, int64_t scan_id, struct store_target **out,
				 size_t *n, struct vg_error *err);
void store_targets_free(struct store_target *t, size_t n);

/* One file of a scan's hash inventory, as stat() saw it before the file was read. */
struct store_inv {
	const char *path;
	size_t path_len;
	int64_t size, mode, uid, gid, dev, ino, nlink;
	int64_t atime_ns, mtime_ns, ctime_ns;
	int have_btime;		/* the file system keeps a birth time */
	int64_t btime_ns;
	const char *sha256, *sha1, *md5;	/* NULL when the file was not read (skipped) */
	const char *type;			/* libmagic MIME type, or NULL */
	const char *location;	/* disk images: where in the image (JSON object text), or NULL */
};

enum vg_err store_scan_begin(struct store *st, const struct store_scan_new *scan, int64_t *id,
			     struct vg_error *err);
enum vg_err store_scan_finish(struct store *st, int64_t id, const struct store_scan_totals *t,
			      struct vg_error *err);
enum vg_err store_threat_add(struct store *st, const struct store_threat *t, struct vg_error *err);
enum vg_err store_problem_add(struct store *st, int64_t scan_id, const char *path, size_t path_len,
			      const char *member, size_t member_len, const char *kind,
			      const char *reason, struct vg_error *err);
/* The same, for an object inside a disk image: location is a JSON object text (or NULL). */
enum vg_err store_problem_add_at(struct store *st, int64_t scan_id, const char *path,
				 size_t path_len, const char *member, size_t member_len,
				 const char *kind, const char *reason, const char *location,
				 struct vg_error *err);

/* One scan as a JSON object; VG_NOTFOUND when there is no such scan. */
enum vg_err store_scan_get_json(struct store *st, int64_t id, json_t **out, struct vg_error *err);
/* The newest scans first, at most limit. */
enum vg_err store_scan_list_json(struct store *st, int64_t limit, json_t **out,
				 struct vg_error *err);
/*
 * Threats of one scan, or of every scan when scan_id is 0; with allowed != 0, instead the
 * detections that the allow list let pass (action "allowed", with allowed_by).
 */
enum vg_err store_threat_list_json(struct store *st, int64_t scan_id, int allowed, json_t **out,
				   struct vg_error *err);
/* Record the result of --verify-unchanged with the scan (JSON, borrowed). */
enum vg_err store_scan_set_verification(struct store *st, int64_t id, json_t *verification,
					struct vg_error *err);
/* Record the volumes (partitions) found in a disk image and what came of each (borrowed). */
enum vg_err store_scan_set_volumes(struct store *st, int64_t id, json_t *volumes,
				   struct vg_error *err);
/* Record the identity of the disk an image scan read, a block device (borrowed). */
enum vg_err store_scan_set_disk(struct store *st, int64_t id, json_t *disk,
				struct vg_error *err);
/* Mark the scans of type that are still "running" as "interrupted" (their process is gone);
 * *n counts them. */
enum vg_err store_scan_interrupt_stale(struct store *st, const char *type, int64_t *n,
				       struct vg_error *err);
/* Record what was done about the threats of a scan in one file (e.g. "quarantined"). */
enum vg_err store_threat_set_action(struct store *st, int64_t scan_id, const char *path,
				    const char *action, struct vg_error *err);
/*
 * Real-time protection refused an open of path, a file this scan already detected: count it
 * (count + 1, last_at now) on the file's newest rows with this action, or, the first time,
 * add rows with this action copied from the file's newest detections. *rows: the rows
 * counted or added (0 when the scan holds no detection of path).
 */
enum vg_err store_threat_refused(struct store *st, int64_t scan_id, const char *path,
				 size_t path_len, const char *action, int64_t *rows,
				 struct vg_error *err);
/*
 * Delete finished scans older than days (0: no age limit) and beyond the newest keep
 * (0: no count limit), with their threats and problems; *pruned counts them.
 */
enum vg_err store_scan_prune(struct store *st, int64_t days, int64_t keep, int64_t *pruned,
			     struct vg_error *err);
enum vg_err store_problem_list_json(struct store *st, int64_t scan_id, int64_t limit, json_t **out,
				    struct vg_error *err);
/* {kind: count} of the problems of a scan. */
enum vg_err store_problem_kinds_json(struct store *st, int64_t scan_id, json_t **out,
				     struct vg_error *err);

/*
 * Streaming, for reports of any size: fn is called for every row of a scan in a stable order
 * (path, member, ...) and returns non-zero to stop (then VG_INTERRUPTED is returned and err
 * is left for fn to fill). A threat or problem row is the object of store_threat_list_json /
 * store_problem_list_json, passed borrowed; allowed detections are included.
 */
enum vg_err store_threat_foreach(struct store *st, int64_t scan_id,
				 int (*fn)(json_t *row, void *ctx), void *ctx, struct vg_error *err);
enum vg_err store_problem_foreach(struct store *st, int64_t scan_id,
				  int (*fn)(json_t *row, void *ctx), void *ctx, struct vg_error *err);
enum vg_err store_inventory_foreach(struct store *st, int64_t scan_id,
				    int (*fn)(const struct store_inv *row, void *ctx), void *ctx,
				    struct vg_error *err);
enum vg_err store_inventory_add(struct store *st, int64_t scan_id, const struct store_inv *row,
				struct vg_error *err);

/* A report written of a scan: where, its format, its SHA-256 and size. */
enum vg_err store_report_add(struct store *st, int64_t scan_id, const char *format,
			     const char *path, const char *sha256, int64_t bytes,
			     struct vg_error *err);
/* The reports with this SHA-256: [{id, scan_id, format, path, sha256, bytes, created_at,
 * case_id, examiner}] (empty when none). */
enum vg_err store_report_find_json(struct store *st, const char *sha256, json_t **out,
				   struct vg_error *err);
/* [{id, format, path, sha256, bytes, created_at}] */
enum vg_err store_report_list_json(struct store *st, int64_t scan_id, json_t **out,
				   struct vg_error *err);

/*
 * obj["member"] = the chain (NUL-terminated names) as an array of strings, and, when any
 * name is not UTF-8, obj["member_b64"] = every name's exact bytes in base64.
 */
void store_set_member_json(json_t *obj, const char *member, size_t len);

/* ---- the scan cache: files scanned clean, by device and inode ---- */

struct store_cache_entry {
	int64_t dev, ino, size, mtime_ns, ctime_ns;
};

/* How many entries tag has (-1 when the store cannot say). */
int64_t store_cache_count(struct store *st, const char *tag);
/* The newest entries (at most limit) made under tag (rules and engine options). */
enum vg_err store_cache_load(struct store *st, const char *tag, int64_t limit,
			     void (*fn)(const struct store_cache_entry *e, void *ctx), void *ctx,
			     struct vg_error *err);
enum vg_err store_cache_put(struct store *st, const char *tag, const struct store_cache_entry *e,
			    int64_t now, struct vg_error *err);
/* Drop all but the newest keep entries (whatever their tag). */
enum vg_err store_cache_prune(struct store *st, const char *tag, int64_t keep,
			      struct vg_error *err);

/* ---- resumable scans ---- */

/* Totals so far, written while the scan runs (a crash keeps them). */
enum vg_err store_scan_checkpoint(struct store *st, int64_t id, const struct store_scan_totals *t,
				  struct vg_error *err);
/* The scan runs (again) in process pid. */
enum vg_err store_scan_set_running(struct store *st, int64_t id, int64_t pid,
				   struct vg_error *err);
/* A file the scan has finished with (scanned, skipped, or failed). */
enum vg_err store_progress_add(struct store *st, int64_t scan_id, const char *path, size_t len,
			       struct vg_error *err);
enum vg_err store_progress_foreach(struct store *st, int64_t scan_id,
				   void (*fn)(const char *path, size_t len, void *ctx), void *ctx,
				   struct vg_error *err);
enum vg_err store_progress_clear(struct store *st, int64_t scan_id, struct vg_error *err);
/*
 * Delete the threats and problems of files the scan had not finished (finished() says 0):
 * they are found again when the scan resumes. *forgotten counts the files.
 */
enum vg_err store_scan_forget_unfinished(struct store *st, int64_t scan_id,
					 int (*finished)(const char *path, size_t len, void *ctx),
					 void *ctx, int64_t *forgotten, struct vg_error *err);
/* Detections of a scan that the allow list did not let through. */
enum vg_err store_threat_count(struct store *st, int64_t scan_id, int64_t *n,
			       struct vg_error *err);

/* ---- exclusions ---- */

/* kind is "path", "ext" or "name"; VG_EXISTS for a duplicate. */
enum vg_err store_exclusion_add(struct store *st, const char *kind, const char *value,
				struct vg_error *err);
/* VG_NOTFOUND when there was no such exclusion. */
enum vg_err store_exclusion_remove(struct store *st, const char *kind, const char *value,
				   struct vg_error *err);
/* [{id, kind, value, added_at}] */
enum vg_err store_exclusion_list_json(struct store *st, json_t **out, struct vg_error *err);

/* ---- signature sources ---- */

enum vg_err store_sig_put(struct store *st, const char *name, const char *kind, const void *content,
			  size_t len, int64_t rule_count, const char *sha256, struct vg_error *err);
enum vg_err store_sig_remove(struct store *st, const char *name, struct vg_error *err);
/* Calls fn for every source in import order; fn returns non-zero to stop. */
enum vg_err store_sig_foreach(struct store *st,
			      int (*fn)(const char *name, const char *kind, const void *content,
					size_t len, void *ctx),
			      void *ctx, struct vg_error *err);
/*
 * Calls fn for every source in import order with its name, kind, the SHA-256 recorded for its
 * content (NULL when none was) and rule count, without reading the content; fn returns
 * non-zero to stop.
 */
enum vg_err store_sig_index(struct store *st,
			    int (*fn)(const char *name, const char *kind, const char *sha256,
				      int64_t rules, void *ctx),
			    void *ctx, struct vg_error *err);
/*
 * The content of source name (*content malloc'd, NUL-terminated; *len without the NUL) and
 * the SHA-256 recorded with it (*sha256 malloc'd, "" when none). VG_NOTFOUND when there is
 * no such source.
 */
enum vg_err store_sig_get(struct store *st, const char *name, char **content, size_t *len,
			  char **sha256, struct vg_error *err);
/* [{name, kind, rules, sha256, imported_at, bytes}] */
enum vg_err store_sig_list_json(struct store *st, json_t **out, struct vg_error *err);
/* Remember the current sources as signature version `version` (contents kept once each). */
enum vg_err store_sig_snapshot(struct store *st, int64_t version, const char *digest,
			       struct vg_error *err);
/* Delete every imported source (in a transaction that puts the new ones). */
enum vg_err store_sig_clear(struct store *st, struct vg_error *err);
/* Is version recorded in the signature history? */
int store_sig_history_has(struct store *st, int64_t version);
/*
 * Make the sources those of the newest recorded version below `below` whose digest is not
 * not_digest; *version receives it. VG_NOTFOUND when there is none. Call in a transaction.
 */
enum vg_err store_sig_restore(struct store *st, int64_t below, const char *not_digest,
			      int64_t *version, struct vg_error *err);

/* ---- the quarantine vault (core/store_vault.c); the crypto lives in quarantine/ ---- */

struct store_qitem {
	int64_t id;
	char *state;		/* staging, pending, quarantined, removing (quarantine/quarantine.h) */
	char *path;
	size_t path_len;
	int64_t mode, uid, gid, atime_ns, mtime_ns, dev, ino, size;
	char *sha256;		/* of the plaintext */
	char *threat;
	int64_t scan_id;
	int64_t chunk_size, chunks;
	char *quarantined_at;
	int64_t chunk_file;	/* where its chunks are: 1 the vault file; 0 vigil.db (items of
				 * one chunk, and all quarantined before schema 12) */
};

void store_qitem_release(struct store_qitem *q);

/* A new item, in q->state, its chunks where q->chunk_file says; *id receives its id (never
 * reused: AUTOINCREMENT). */
enum vg_err store_q_insert(struct store *st, const struct store_qitem *q, int64_t *id,
			   struct vg_error *err);
/* Chunk idx of item q, in the open transaction of the file that keeps q's chunks. */
enum vg_err store_q_chunk_put(struct store *st, const struct store_qitem *q, int64_t idx,
			      const void *nonce, size_t nonce_len, const void *data, size_t len,
			      struct vg_error *err);
/*
 * Chunk idx of item q into data (capacity cap) and nonce (capacity ncap), from wherever q
 * keeps its chunks; VG_NOTFOUND when the chunk is missing, VG_LIMIT when it is larger than cap.
 */
enum vg_err store_q_chunk_get(struct store *st, const struct store_qitem *q, int64_t idx,
			      void *nonce, size_t ncap, size_t *nonce_len, void *data, size_t cap,
			      size_t *len, struct vg_error *err);
enum vg_err store_q_set_state(struct store *st, int64_t id, const char *state,
			      struct vg_error *err);
enum vg_err store_q_set_sha256(struct store *st, int64_t id, const char *sha256,
			       struct vg_error *err);
/*
 * The item's row and any chunks it has in vigil.db; with wipe, their pages are overwritten
 * (secure_delete), as for `quarantine remove`. A restore passes 0: the chunks are ciphertext
 * of a file that is back. Chunks in the vault file go with store_q_chunks_drop.
 */
enum vg_err store_q_delete(struct store *st, int64_t id, int wipe, struct vg_error *err);
/* VG_NOTFOUND when there is no such item. */
enum vg_err store_q_get(struct store *st, int64_t id, struct store_qitem *out,
			struct vg_error *err);
/* The ids of items in a state (malloc'd array). */
enum vg_err store_q_ids(struct store *st, const char *state, int64_t **ids, size_t *n,
			struct vg_error *err);
/* Items quarantined more than days ago. */
enum vg_err store_q_expired(struct store *st, int64_t days, int64_t **ids, size_t *n,
			    struct vg_error *err);
/* [{id, state, path, threat, sha256, size, mode, uid, gid, mtime, scan_id, quarantined_at}] */
enum vg_err store_q_list_json(struct store *st, const char *state, json_t **out,
			      struct vg_error *err);
/* Items in the vault (state quarantined). */
enum vg_err store_q_count(struct store *st, int64_t *n, struct vg_error *err);

/*
 * ---- the vault file (core/store_chunks.c) ----
 *
 * <state-dir>/vault.db, a second SQLite file beside vigil.db that holds only the encrypted
 * chunks of items. It runs with a rollback journal (journal_mode=TRUNCATE, synchronous=FULL):
 * pages appended at its end are written once, where vigil.db's WAL writes every byte twice.
 * It has its own lock, so copying a large file in does not hold vigil.db's write lock. The
 * two files are kept consistent by the item's state in vigil.db (quarantine/vault.c), not
 * by one transaction: a chunk of an item vigil.db does not list in staging, pending,
 * quarantined or removing is never written. Items of one chunk keep it in vigil.db
 * (chunk_file 0): there one WAL commit is cheaper than a transaction of a second file.
 *
 *	store_vault_open(st, &err);                     once; creates the file on first use
 *	store_vault_begin(st, &err); store_q_chunk_put(...)...; store_vault_commit(st, &err);
 *
 * vigil.db remembers the vault file's random id: a vault file that is missing while vigil.db
 * says it exists, or that belongs to another store, is refused (VG_STORE, naming the file).
 */
enum vg_err store_vault_open(struct store *st, struct vg_error *err);
/* <state-dir>/vault.db */
const char *store_vault_path(const struct store *st);
enum vg_err store_vault_begin(struct store *st, struct vg_error *err);
enum vg_err store_vault_commit(struct store *st, struct vg_error *err);
void store_vault_rollback(struct store *st);
/* Delete (wipe: overwrite) every chunk of item id in the vault file, in a transaction of its
 * own. No chunks is no error. */
enum vg_err store_q_chunks_drop(struct store *st, int64_t id, int wipe, struct vg_error *err);
/*
 * Ask the kernel to start writing the vault file's dirty pages to disk now, without waiting
 * (sync_file_range): the commit's fsync then finds most of a large copy already written,
 * and the disk works while the CPU encrypts. Best effort; nothing is promised by it.
 */
void store_vault_writeback(struct store *st);

/* ---- the allow list ---- */

/*
 * kind "sha256" or "name"; expires_at in Unix seconds, 0 for never. path (path_len bytes, any
 * but NUL) limits the entry to the file at that absolute path, as a restore does; NULL or
 * path_len 0 is every file. Replaces the entry of the same kind, value and path.
 */
enum vg_err store_allow_add(struct store *st, const char *kind, const char *value,
			    const char *path, size_t path_len, const char *reason,
			    int64_t expires_at, struct vg_error *err);
/* Every entry of that kind and value, for every path; VG_NOTFOUND when there was none. */
enum vg_err store_allow_remove(struct store *st, const char *kind, const char *value,
			       struct vg_error *err);
/*
 * [{id, kind, value, reason, added_at, expires_at, path}] (path: null for every file, else the
 * bytes as core/jsonx.h gives them, with path_b64 when not UTF-8); with now > 0 only entries
 * alive at now (expires_at null or > now).
 */
enum vg_err store_allow_list_json(struct store *st, int64_t now, json_t **out,
				  struct vg_error *err);

/* ---- the fleet (core/store_fleet.c; fleet/ sends these rows) ---- */
enum store_fleet_kind {
	STORE_FLEET_SCAN,
	STORE_FLEET_THREAT,
	STORE_FLEET_PROBLEM,
	STORE_FLEET_QUARANTINE,
	STORE_FLEET_INVENTORY,
	STORE_FLEET_GONE,	/* {kind, fid}: a row the fleet copy must forget (mark removed) */
	STORE_FLEET__KINDS
};

/* The watermarks in meta: the highest rev a push, and an export, has sent. */
#define STORE_FLEET_PUSH_REV "fleet.push.rev"
#define STORE_FLEET_PUSH_INVENTORY_REV "fleet.push.inventory_rev"
#define STORE_FLEET_EXPORT_REV "fleet.export.rev"
#define STORE_FLEET_EXPORT_INVENTORY_REV "fleet.export.inventory_rev"

/* "scan", "threat", "problem", "quarantine", "inventory", "gone" */
const char *store_fleet_kind_name(enum store_fleet_kind kind);

/* The newest revision (read inside the caller's transaction: its snapshot). */
enum vg_err store_fleet_hi(struct store *st, int64_t *hi, struct vg_error *err);

/*
 * Each row of kind with lo < rev <= hi, in rev order, as the JSON its local listing prints
 * plus fid, rev and (rows of a scan) scan_fid, to fn (a reference fn may keep with
 * json_incref; nothing else holds it); fn returns nonzero to stop
 * (VG_INTERRUPTED).
 */
enum vg_err store_fleet_foreach(struct store *st, enum store_fleet_kind kind, int64_t lo,
				int64_t hi, int (*fn)(json_t *row, void *ctx), void *ctx,
				struct vg_error *err);

/* The highest rev pushed or exported (retention keeps what is above), -1: never. */
int64_t store_fleet_sent(struct store *st);

#endif
