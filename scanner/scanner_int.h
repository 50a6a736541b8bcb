/* scanner/scanner_int.h — private to scanner/: the queue, jobs, results and the engine. */
#ifndef VIGIL_SCANNER_INT_H
#define VIGIL_SCANNER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

#include "scanner/scanner.h"

#include "core/queue.h"

/* ---- what the walker hands the workers ---- */

/* An open folder shared by the jobs of the files in it (openat), closed with the last ref. */
struct dirref {
	atomic_int refs;
	int fd;
};

struct dirref *dirref_retain(struct dirref *d);
void dirref_release(struct dirref *d);

struct scan_ctx;

#include "scanner/image_obj.h"

struct job {
	struct dirref *dir;	/* NULL for a root given as a file: open by path */
	char *path;		/* absolute; the name is its last component */
	size_t root_len;	/* path's first root_len bytes name its scan root's folder */
	struct image_obj *img;	/* an object of a disk image (dir is NULL), or NULL */
};

/* Free a job (its folder reference, its image object) and what it held in flight. */
void job_free(struct scan_ctx *c, struct job *j);
void image_obj_free(struct scan_ctx *c, struct image_obj *o);

/* ---- what the workers hand the writer ---- */

enum result_kind { RES_THREAT, RES_PROBLEM, RES_FILE, RES_ACTION, RES_CACHE, RES_DONE,
		   RES_REFUSAL /* real-time protection: a refused open of a detected file */ };

struct result {
	enum result_kind kind;
	char *path;
	size_t path_len;
	char *member;		/* NUL-terminated names, outer to inner */
	size_t member_len;
	char *name, *ns, *meta;	/* threat: rule, namespace, metadata JSON */
	char *type;		/* threat: libmagic MIME type */
	char sha256[65], sha1[41], md5[33];
	int64_t size;
	char *allowed_by;	/* threat let through by the allow list: why */
	const char *action;	/* threat: what was done (static), NULL for "reported" */
	char *note;		/* action: what was done later about the threats of path */
	const char *problem;	/* problem kind: "error", "skipped", "limit" (static) */
	char *reason;
	int have_mtime;		/* threat: mtime of the object (file or archive member) */
	int64_t mtime_ns;
	int have_ident;		/* threat: the file on disk as it was read */
	struct vg_ident ident;
	size_t root_len;	/* threat: where its scan root ends in path */
	struct store_inv inv;	/* file (inventory): stat and digests; inv.path is path */
	struct store_cache_entry clean;	/* cache: a file scanned clean */
	int have_digests;	/* file: sha256/sha1/md5 hold the whole file's digests */
	char *location;		/* disk images: where the object is (JSON object text) */
};

void result_free(struct result *r);

/* ---- the shared state of one scan ---- */

struct scan_ctx {
	const struct scanner_options *o;
	struct sigdb *db;
	struct queue *jobs, *results;
	atomic_llong files, bytes, objects, errors, skipped, threats, excluded, allowed;
	atomic_llong cached, resumed;
	atomic_int stop_internal;	/* the writer failed: stop */

	pthread_mutex_t cur_lock;
	char *current;			/* the folder being walked */

	/* disk images: bytes read into memory and not yet scanned, bounded */
	pthread_mutex_t flight_lock;
	pthread_cond_t flight_cond;
	uint64_t flight;
};

int scan_should_stop(struct scan_ctx *c);

/* Wait until n more bytes may be held in memory (always lets one object through). */
void scan_flight_acquire(struct scan_ctx *c, uint64_t n);
void scan_flight_release(struct scan_ctx *c, uint64_t n);

/*
 * Where in a disk image this thread's objects are (JSON object text, borrowed; NULL: not
 * an image): problems, threats and inventory rows made on this thread carry a copy.
 */
void scan_set_location(const char *json);
const char *scan_location(void);

/* The folder being walked, for the progress line. */
void scan_set_current(struct scan_ctx *c, const char *path);

/* Problems recorded by this thread so far (to tell whether one file was scanned cleanly). */
int scan_problems_here(void);

/* ---- walk.c ---- */

/* Walk one root (absolute path), pushing jobs; problems go to the results queue. */
void walk_root(struct scan_ctx *c, const char *root);

/* ---- image.c ---- */

/* Walk the selected volumes of a disk image, pushing jobs with the objects' bytes. */
void image_walk(struct scan_ctx *c, struct scanner_image *im);

/* Push a problem for path (member chain may be NULL) and count it. */
void scan_problem(struct scan_ctx *c, const char *path, const char *member, size_t member_len,
		  const char *kind, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ---- engine.c: one per worker thread ---- */

struct engine;

/* Per-top-level-file archive budget. */
struct budget {
	uint64_t members, bytes, top_size;
	int exhausted;
	/* the file itself, in memory while its members are scanned, and its SHA-256 once
	 * something inside needs it (an allow-listed archive covers what it holds) */
	const unsigned char *top_data;
	char top_sha256[65];
	/* inventory: the whole file's digests and full type, taken while it is in memory */
	int top_digests;
	char top_sha1[41], top_md5[33], top_type[128];
};

/* The object being scanned: a file on disk or an archive member inside it. */
/*
 * What the engine opens and how (the container handlers, their routing): part of the scan
 * cache's tag, so that a file found clean before a change of it is read again. Bump it with
 * every such change. 2: deep containers (scanner/handler_deep.c).
 */
#define SCANNER_OPENS_REVISION 2

struct object {
	const char *path;	/* the file on disk */
	size_t path_len;
	const char *member;	/* chain to this object, NUL-terminated names */
	size_t member_len;
	const char *name;	/* this object's own name (for filename/extension) */
	int depth;		/* 0 for the file itself */
	struct budget *budget;
	uid_t uid;
	int have_mtime;		/* the archive member's own time, or the file's */
	int64_t mtime_ns;
	/* a container's child: the handler that delivered it; opened: that handler has also
	 * delivered its children (open it no more); not_again: do not offer it to that handler */
	const struct handler *from;
	int opened, not_again;
};

enum vg_err engine_create(struct scan_ctx *c, struct engine **out, struct vg_error *err);
void engine_destroy(struct engine *e);
/* Add this engine's bytes and files by type to types ({mime: {files, bytes}}). */
void engine_add_types(struct engine *e, json_t *types);

/* Open, read and scan one job's file. */
void engine_scan_file(struct engine *e, struct job *j);
/* Scan one object of a disk image (its bytes are in the job). */
void engine_scan_image(struct engine *e, struct job *j);
/* Scan an open file (not closed); its detections are held for engine_record. */
void engine_scan_fd(struct engine *e, int fd, const char *path, struct scanner_verdict *v);
/* Hand the held detections to the writer with action (static; NULL: "reported"). */
void engine_record(struct engine *e, const char *action);

/* Type, YARA and (for containers) unpacking of one in-memory object. */
void engine_scan_object(struct engine *e, const unsigned char *data, size_t len,
			const struct object *obj);

struct scan_ctx *engine_ctx(struct engine *e);

/*
 * Fault injection for tests/unit (all zero in production, never set elsewhere): the next
 * fail_yr_renew re-creations of a YARA scanner (after a SIGBUS) fail as if out of memory;
 * after_map runs when a file larger than the read buffer has been mapped, before any of it is
 * read; handler is one more container handler (a test's own, to deliver children in every
 * form of scanner/handler.h).
 */
struct handler;
struct engine_test_hooks {
	atomic_int fail_yr_renew;
	void (*after_map)(int fd, const char *path);
	const struct handler *handler;	/* asked first, before handler_table[] (unpack.c) */
};
extern struct engine_test_hooks engine_test_hooks;

/* ---- unpack.c: containers, through the handlers of scanner/handler.h ---- */

/*
 * If a container handler claims this object (by its MIME type and first bytes), unpack it:
 * every child is counted against the archive limits and scanned through engine_scan_object.
 */
void unpack_scan(struct engine *e, const unsigned char *data, size_t len, const char *mime,
		 const struct object *obj);

#endif
