/*
 * scanner/job.h — one scan from its options to its record: the scan job.
 *
 * A scan is described once, by a struct scan_spec. It is written with the scan's record
 * (scan_spec_options_json: the one place its options are serialised, roots as exact bytes)
 * and read back from there for `scan resume` (scan_spec_from_record: the one place they are
 * read). A new scan and a resumed one then run the same lifecycle:
 *
 *	scan_spec_init(&sp, cfg);                  type "custom", the configured engine options
 *	sp.type = ...; scan_spec_add_root(&sp, "/srv", &err); flags into sp ...
 *	scan_spec_settle(&sp, cfg, &err);          the policy: cache, default action, images
 *	scan_job_new(&env, &sp, &custody, &job, &err);   rules, cache, image; the scan recorded
 *	   or scan_job_resume(&env, id, &job, &err);      the recorded spec and progress
 *	scan_job_run(job, &finish, &err);          engine, volumes, finish steps (quarantine),
 *	                                           totals recorded, housekeeping
 *	scan_job_free(job);
 *
 * Front doors (cli/, the daemon's schedules) parse and print. What only they may do is
 * passed in: quarantine is a finish step (struct scan_finish), so scanner/ never calls
 * quarantine/ or reports/ (DESIGN.md's layering). Every detection keeps the identity of the
 * file read and where its scan root ends (issue 24), in the first run and when resumed.
 */
#ifndef VIGIL_SCANNER_JOB_H
#define VIGIL_SCANNER_JOB_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/strv.h"
#include "core/store.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"

struct scan_spec {
	char type[16];			/* quick, full, custom, image */
	struct vg_strv roots;		/* absolute, exact bytes */
	struct scanner_options o;	/* the engine's options; its pointers are the job's */
	struct excl_set *excl;		/* owned; NULL: none */
	int ignore_exclusions;
	int quarantine;			/* move files with threats into the vault */
	int quarantine_asked;		/* --action quarantine given, not the configured default */
	int allow_modify;		/* --allow-modify: evidence may be changed */
	int cache;			/* use the scan cache: 1, 0, or -1 for the default */
	int verify_unchanged;
	char *evidence_root;		/* --root, resolved (owned), or NULL */
	json_t *image;			/* a disk image {file, parent?, partition, offset, deleted,
					 * quick?} */
	struct image_creds *creds;	/* keys for its encrypted volumes (borrowed), or NULL:
					 * never recorded, so a resumed scan is given them again */
};

/* Type "custom", the engine options from cfg (antivirus_engine.*), nothing else. */
void scan_spec_init(struct scan_spec *sp, const struct vg_config *cfg);
void scan_spec_release(struct scan_spec *sp);
/* Add a root: made absolute, kept byte for byte. */
enum vg_err scan_spec_add_root(struct scan_spec *sp, const char *path, struct vg_error *err);

/*
 * Scan a disk image instead of roots: FILE (made absolute, also the one root), the direct
 * parent of a differencing image (made absolute; NULL: found beside it), a partition (-1:
 * all) or a byte offset (-1: none), deleted files too, and for a quick scan the folder
 * patterns (borrowed; NULL for all). Recorded with the scan, so scan resume opens the same.
 */
enum vg_err scan_spec_set_image(struct scan_spec *sp, const char *file, const char *parent,
				int64_t partition, int64_t offset, int deleted, json_t *quick,
				struct vg_error *err);

/*
 * The policy, in one place: a disk image is read, never changed (no quarantine, no cache:
 * its device and inode numbers are not this machine's; its own state-folder exclusion
 * does not apply); evidence (--root) is not changed unless allow_modify (the configured
 * default action is then ignored, an explicit --action quarantine refused); the cache is
 * off under --root unless asked for; threads at most antivirus_engine.maximum_scan_threads.
 * VG_USAGE, with the reason, for a combination that cannot be honoured.
 */
enum vg_err scan_spec_settle(struct scan_spec *sp, const struct vg_config *cfg,
			     struct vg_error *err);

/* The options recorded with the scan (new reference); the roots' exact bytes included. */
json_t *scan_spec_options_json(const struct scan_spec *sp);
/* A recorded scan's spec (its options, roots and exclusions), on top of scan_spec_init. */
enum vg_err scan_spec_from_record(json_t *scan, const struct vg_config *cfg, struct scan_spec *sp,
				  struct vg_error *err);

/* ---- the scan's record (also for real-time protection, which is no job) ---- */

/* Who asked and why, recorded with a new scan (chain of custody). */
struct scan_custody {
	const char *case_id, *examiner;		/* NULL when not given */
	json_t *command_line;			/* borrowed: [argv...] */
};

struct scan_record {
	const char *type;
	int threads;
	char *const *roots;
	size_t nroots;
	json_t *options;			/* borrowed */
	const struct excl_set *excl;		/* may be NULL */
	const struct scan_custody *custody;	/* may be NULL */
	int inventory;
};

/* Record a new scan with its chain of custody (host, kernel, machine guid, rules). */
enum vg_err scan_record_begin(struct store *st, const struct vg_config *cfg, struct sigdb *db,
			      const struct scan_record *r, int64_t *id, struct vg_error *err);
/* Record how it ended, with its totals. */
void scan_record_finish(struct store *st, int64_t id, const char *status,
			const struct scanner_totals *t, struct vg_error *err);

/* ---- the job ---- */

struct scan_env {
	struct store *st;
	const char *state_dir;
	const struct vg_config *cfg;
	struct allow_set *allow;		/* borrowed; NULL for none */
	volatile sig_atomic_t *stop;		/* set to stop early (SIGINT) */
	const struct scanner_callbacks *progress;	/* may be NULL */
	struct image_creds *creds;		/* scan resume: keys for the image's encrypted
						 * volumes (never recorded); NULL for none */
	struct scanner_events events;		/* told of each detection (syslog); not recorded */
};

/* Steps after the engine that the front door provides. */
struct scan_finish {
	/* move the files with threats of scan_id into the vault; errors counted in t */
	void (*quarantine)(void *ctx, int64_t scan_id, struct scanner_totals *t);
	void *ctx;
};

struct scan_job;

/* Open the rules, the cache and the image of sp (taken over: *sp is left empty), and
 * record the scan. */
enum vg_err scan_job_new(const struct scan_env *env, struct scan_spec *sp,
			 const struct scan_custody *custody, struct scan_job **out,
			 struct vg_error *err);
/*
 * An interrupted scan, as recorded: the same roots, options, exclusions and rules (other
 * signatures since are refused), the files it finished skipped, the findings of those it
 * had not finished forgotten. VG_INVAL for a completed or real-time scan, VG_EXISTS when
 * its process still runs.
 */
enum vg_err scan_job_resume(const struct scan_env *env, int64_t scan_id, struct scan_job **out,
			    struct vg_error *err);
/*
 * Run: the engine, the image's volumes, finish steps, the totals recorded, then the
 * housekeeping (progress, cache, retention). VG_OK when the scan ran (its findings and
 * problems are in the store; it may have been interrupted); an error when it could not.
 */
enum vg_err scan_job_run(struct scan_job *job, const struct scan_finish *finish,
			 struct vg_error *err);
void scan_job_free(struct scan_job *job);

/* Where progress goes while it runs (the callbacks must outlive the run; NULL: nowhere). */
void scan_job_set_progress(struct scan_job *job, const struct scanner_callbacks *progress);

int64_t scan_job_id(const struct scan_job *job);
const struct scan_spec *scan_job_spec(const struct scan_job *job);
struct sigdb *scan_job_rules(const struct scan_job *job);
/* The whole scan's totals (a resumed one: both parts). */
const struct scanner_totals *scan_job_totals(const struct scan_job *job);
/* "completed", "interrupted" or "failed" once run. */
const char *scan_job_status(const struct scan_job *job);
/* Files finished before a resumed scan's interruption. */
size_t scan_job_resumed_files(const struct scan_job *job);
/* A disk image of which nothing could be read: why (else NULL). */
const char *scan_job_unreadable(const struct scan_job *job);

#endif
