/*
 * scanner/scanner.h — vigil's scanner: exclusions, the walker, the bounded queue and
 * thread pool, the per-object engine (type, hashes, YARA) and archive recursion.
 *
 * Calling sequence:
 *
 *	struct excl_set *ex = scanner_excl_create();
 *	scanner_excl_add(ex, EXCL_PATH, "/proc", EXCL_FROM_CONFIG, "exclusions[0]", &err);
 *	struct scanner_options o;
 *	scanner_options_init(&o);                    defaults; then set threads, limits, ex
 *	store_scan_begin(st, ..., &scan_id, &err);
 *	scanner_run(&o, db, st, scan_id, roots, n, &cb, &totals, &err);
 *	store_scan_finish(st, scan_id, ...);
 *	scanner_excl_destroy(ex);
 *
 * scanner_run walks the roots on the calling thread, scans regular files on o.threads
 * workers (one YR_SCANNER and one libmagic handle each, over the shared compiled rules),
 * and writes threats and problems to the store from one writer thread in batched
 * transactions. Symbolic links are never followed below a root (a root itself is
 * followed); FIFOs, sockets and device nodes are never opened; pseudo file systems
 * (/proc, /sys, ...) are not entered. Unreadable or vanished files are problems of the
 * scan, never fatal. Memory is bounded by the queue, not by the size of the tree.
 */
#ifndef VIGIL_SCANNER_SCANNER_H
#define VIGIL_SCANNER_SCANNER_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/reach.h"
#include "core/store.h"
#include "sigdb/sigdb.h"

/* ---- exclusions (scanner/exclude.c) ---- */

enum excl_kind { EXCL_PATH, EXCL_EXT, EXCL_NAME };
/* EXCL_BUILTIN: vigil's own state folder, whose rule sources would match the rules. */
enum excl_origin { EXCL_FROM_CLI, EXCL_FROM_STORE, EXCL_FROM_CONFIG, EXCL_BUILTIN };

struct excl_set;

/* Which exclusion matched (borrowed from the set). */
struct excl_match {
	enum excl_kind kind;
	enum excl_origin origin;
	const char *value;	/* as given; a path exclusion normalised to absolute */
	const char *ref;	/* where it was given: "--exclude-path", "store id 3", ... */
	size_t path_len;	/* what matched: the first path_len bytes of the path (a folder or all) */
};

struct excl_set *scanner_excl_create(void);
void scanner_excl_destroy(struct excl_set *set);

/*
 * Add an exclusion. A path is made absolute and normalised (globs * ? [ match one path
 * component each); an extension is compared without case, with or without its dot
 * ("gz", ".tar.gz"); a name is an fnmatch glob on the last path component.
 */
enum vg_err scanner_excl_add(struct excl_set *set, enum excl_kind kind, const char *value,
			     enum excl_origin origin, const char *ref, struct vg_error *err);

/*
 * Evidence scans (--root): every path exclusion but the built-in ones names a path inside
 * root (an image mounted there): prefix them with root (absolute, normalised).
 */
enum vg_err scanner_excl_set_root(struct excl_set *set, const char *root, struct vg_error *err);

/*
 * Remove every exclusion of this origin: a disk image is not this machine, so vigil's own
 * state folder (EXCL_BUILTIN) names nothing in it, and must not hide a folder of the image.
 */
void scanner_excl_drop(struct excl_set *set, enum excl_origin origin);

/* Parse a kind name ("path", "ext"/"extension", "name"); -1 when unknown. */
int scanner_excl_kind_parse(const char *name);
const char *scanner_excl_kind_name(enum excl_kind kind);
const char *scanner_excl_origin_name(enum excl_origin origin);

/*
 * Is this absolute normalised path excluded by itself (not looking at its folders)?
 * Extensions apply to files only. Returns 1 and fills *m (may be NULL), else 0.
 */
int scanner_excl_match(const struct excl_set *set, const char *path, int is_dir,
		       struct excl_match *m);

/* As scanner_excl_match, but also looks at every folder above path: why is it skipped? */
int scanner_excl_explain(const struct excl_set *set, const char *path, int is_dir,
			 struct excl_match *m);

/* Every exclusion as [{kind, value, origin, ref}] (new reference). */
json_t *scanner_excl_json(const struct excl_set *set);

/* ---- the allow list (scanner/allow.c) ---- */

/*
 * False positives let through: by the SHA-256 of the detected object or by the rule name.
 * A detection that matches is recorded with action "allowed" and the entry's reason, and is
 * not counted as a threat. An entry with a path (a restore's window) covers only the file at
 * that path, and only while its content has that SHA-256: copies elsewhere are still found.
 */
struct allow_set;

struct allow_set *scanner_allow_create(void);
void scanner_allow_destroy(struct allow_set *set);
/*
 * kind "sha256" (64 hex digits, any case) or "name". path (path_len bytes, absolute) limits a
 * "sha256" entry to that file; NULL or path_len 0 is every file. A path with "name" is
 * VG_INVAL: a rule name says nothing about which content was restored.
 */
enum vg_err scanner_allow_add(struct allow_set *set, const char *kind, const char *value,
			      const char *path, size_t path_len, const char *reason,
			      struct vg_error *err);
/* Is the set empty? */
int scanner_allow_empty(const struct allow_set *set);
/*
 * The reason ("sha256 ...: why") when an entry allows the object with sha256 or name found in
 * the file at path (path_len bytes; the file on disk, also for an archive member), borrowed;
 * else NULL.
 */
const char *scanner_allow_match(const struct allow_set *set, const char *path, size_t path_len,
				const char *sha256, const char *name);

/* ---- the scan cache and resumed scans (scanner/cache.c) ---- */

struct scan_cache;
struct done_set;
struct scanner_options;

/* The cache entries of tag (at most limit), for lookups during a scan. */
enum vg_err scanner_cache_load(struct store *st, const char *tag, int64_t limit,
			       struct scan_cache **out, struct vg_error *err);
void scanner_cache_destroy(struct scan_cache *c);
/* Was this file scanned clean, and is it unchanged since (device, inode, size, times)? */
int scanner_cache_hit(const struct scan_cache *c, const struct stat *st);
/* The tag of the rules and of the options that change findings (malloc'd hex). */
char *scanner_cache_tag(const char *rules_digest, const struct scanner_options *o);

/* The files an interrupted scan had finished (its recorded progress). */
enum vg_err scanner_done_load(struct store *st, int64_t scan_id, struct done_set **out,
			      struct vg_error *err);
void scanner_done_destroy(struct done_set *s);
size_t scanner_done_size(const struct done_set *s);
int scanner_done_has(const struct done_set *s, const char *path, size_t len);

/* ---- disk images (scanner/image.c) ---- */

/*
 * A raw, split raw, E01 or VMDK disk image read through libtsk, or a QCOW2, VHDX or VHD one
 * read through libqcow or libvhdi, never written. Its volumes are the partitions of its
 * DOS/MBR or GPT volume system, numbered 1..n in order (as /dev/loop0p1...), or the whole
 * image as partition 0 when it has no partition table. partition >= 0 (or offset >= 0, in
 * bytes) selects one; -1 for all. parent: the direct parent of a differencing image (NULL:
 * found beside it by the name it records). Errors: the file or a parent is missing or
 * unreadable, the library cannot open it, or there is no such partition.
 */
struct scanner_image;

/*
 * A key for encrypted volumes (--credential KIND:FILE, or typed at the prompt): kind is
 * "password", "recovery_password" or "key_file"; secret holds FILE's bytes (a password's one
 * trailing newline removed; a key file exactly as it is). Never logged, stored or reported:
 * only the kind of the one that unlocked a volume is said. Every credential is tried on every
 * encrypted volume. ask, when set, is called for a volume no credential unlocks (or when none
 * was given): it fills *out (secret malloc'd) and returns 1, or 0 for no more.
 */
struct image_credential {
	const char *kind;	/* static */
	unsigned char *secret;	/* malloc'd, wiped before it is freed */
	size_t len;
};

struct image_creds {
	struct image_credential *v;
	size_t n;
	int (*ask)(void *arg, const char *volume, struct image_credential *out);
	void *ask_arg;
};

/* Read KIND:FILE into creds (FILE is read whole, up to 64 KiB). VG_INVAL names what is wrong. */
enum vg_err image_creds_add(struct image_creds *creds, const char *spec, struct vg_error *err);
/* Add one (taken: its secret is freed with creds). */
enum vg_err image_creds_push(struct image_creds *creds, struct image_credential *c,
			     struct vg_error *err);
/* Wipe and free every secret. */
void image_creds_release(struct image_creds *creds);

/* creds: borrowed for as long as the image is open; NULL: none (locked volumes stay locked). */
enum vg_err scanner_image_open(const char *file, const char *parent, int partition,
			       int64_t offset, int deleted, struct image_creds *creds,
			       struct scanner_image **out, struct vg_error *err);
/* A quick scan: only files below folders matching these fnmatch patterns; a volume that
 * holds /Windows/System32 uses the Windows quick-scan folders instead. */
enum vg_err scanner_image_set_quick(struct scanner_image *im, char *const *patterns, size_t n,
				    struct vg_error *err);
void scanner_image_close(struct scanner_image *im);
const char *scanner_image_file(const struct scanner_image *im);
/*
 * After the scan: [{partition, offset, length, description, fs, status, reason?, chain,
 * encryption?, unlocked_with?, system?}]; status is "scanned", "partial" (the walk stopped
 * early), "error", "skipped" (not selected) or "container" (LUKS, LVM or APFS: its volumes
 * follow it). chain: where the volume is, from the outside in, ending with its file system
 * (["gpt:p3", "luks2", "lvm:rhel/root", "xfs"]). partition is that of the outermost one;
 * offset is in the volume that holds it.
 */
json_t *scanner_image_volumes(const struct scanner_image *im);
/*
 * A volume's "system", when its file system holds them at its root: {machine_id?,
 * machine_id_invalid?, hostname?, hostname_b64?, hostname_invalid?} from /etc/machine-id and
 * /etc/hostname (scanner/image_ident.c says what is believed). The image's disk, when it is a
 * block device: {model?, serial?, vendor?, wwid?, size_bytes?} from sysfs (a new reference),
 * or NULL.
 */
json_t *scanner_image_disk(const struct scanner_image *im);
/* Could any volume be read? */
int scanner_image_readable(const struct scanner_image *im);
/* Its format, from its first bytes: "raw", "split raw", "E01", "Ex01", "VMDK", "VHD", "VHDX",
 * "QCOW2" or "AFF" (static). */
const char *scanner_image_format(const struct scanner_image *im);
/*
 * What the image holds, without scanning it (scanner/image_list.c): {image, size, format,
 * volumes: [{partition, offset, length, description, filesystem, block_size, blocks,
 * encryption, reason}]}; a volume not selected (--partition, --offset) or unreadable is
 * listed with "selected": false and not probed. Nothing is recorded. NULL: out of memory, or
 * the image reader failed (err says how).
 */
json_t *scanner_image_list(struct scanner_image *im, struct vg_error *err);

/* ---- deep containers (scanner/handler_deep.c) ---- */

/*
 * Whether the extractor works, for vigil health: {enabled, available, extractor, libclamav,
 * sandbox} or {enabled, available: false, reason}. It starts one extractor and stops it.
 * tmp_fallback: its folder when it cannot mount its own (see extract/proto.h), or NULL.
 */
json_t *scanner_deep_health(int enabled, const char *tmp_fallback);
/* Whether the sandboxed image reader (vigil-image) starts: {available, reader, sandbox: "net,
 * mount,..."} or {available: false, reason}. Without it images are read inside vigil. */
json_t *scanner_image_health(void);

/* ---- scanning ---- */

/*
 * Told of what the scan records, from its writer thread, after each row is written (syslog:
 * fleet/syslog.h). A NULL function is not called. threat: each detection, allowed ones
 * included (t->action says); refusal: an open of path refused (real-time protection), the
 * rule that detected it (may be NULL) and what was done ("blocked").
 */
struct scanner_events {
	void (*threat)(void *ctx, int64_t scan_id, const struct store_threat *t);
	void (*refusal)(void *ctx, int64_t scan_id, const char *path, size_t path_len,
			const char *rule, const char *action);
	void *ctx;
};

struct scanner_options {
	int threads;
	int archives;			/* look inside archives */
	int deep_containers;		/* open mail, Office, PDF, installers, packed programs
					 * through vigil-extract (scanner/handler_deep.c) */
	const char *extract_tmp;	/* the extractor's temporary folder when it cannot
					 * mount its own (not root, no user namespace): NULL
					 * for none */
	int max_depth;			/* archive nesting */
	uint64_t max_filesize;		/* larger files are skipped (0: no limit) */
	uint64_t archive_max_members;	/* per top-level file, all levels */
	uint64_t archive_max_bytes;	/* uncompressed, per top-level file, all levels */
	uint64_t archive_max_member_size;
	uint64_t archive_max_ratio;
	int scan_timeout;		/* seconds of YARA per object */
	/*
	 * The reference engine (VIGIL_ENGINE_REFERENCE=1, for the equivalence tests of issue
	 * 16): libyara as the yara command line runs it, without the optimisations that must
	 * not change a finding (fast mode, ...). Findings are the same either way.
	 */
	int reference;
	int one_filesystem;
	int inventory;			/* record every file: stat, SHA-256/SHA-1/MD5, type */
	const struct scan_cache *cache;	/* skip files it holds (NULL: read everything) */
	const char *cache_tag;		/* record clean files under this tag (NULL: don't) */
	const struct done_set *done;	/* a resumed scan: files already finished */
	int progress;			/* record each finished file, so the scan can resume */
	const struct excl_set *excl;	/* borrowed; NULL for none */
	const struct allow_set *allow;	/* borrowed; NULL for none */
	volatile sig_atomic_t *stop;	/* set non-zero (e.g. by SIGINT) to stop early */
	struct scanner_image *image;	/* scan this disk image instead of the roots */
	const char *spool_dir;		/* images: where large objects are copied to be scanned
					 * (NULL: in memory) */
	/* real-time protection: a detection already recorded in this scan for the same file,
	 * rule, content and action adds to that row's count instead of a new row */
	int merge_repeats;
	struct scanner_events events;	/* told of each threat and refusal recorded */
	/* tests only: how a file is stat()ed again after its scan (NULL: fstat) */
	int (*restat)(int fd, struct stat *st);
};

void scanner_options_init(struct scanner_options *o);

struct scanner_totals {
	int64_t files_scanned, bytes_scanned, objects_scanned;
	int64_t errors, skipped, threats, excluded, allowed;
	int64_t cached;			/* not read: the scan cache knew them clean */
	int64_t resumed;		/* not read: finished before the scan was interrupted */
	double duration_s;
	int interrupted;
	json_t *file_types;	/* {mime: {files, bytes}} of the files read (owned: decref) */
};

struct scanner_progress {
	int64_t files, bytes, errors, threats;
	double elapsed_s;
	const char *current;	/* the folder being walked (raw bytes) */
};

struct scanner_callbacks {
	/* From the writer thread, about five times a second; may be NULL. */
	void (*progress)(const struct scanner_progress *p, void *ctx);
	void *ctx;
};

/*
 * One file for real-time protection: a session (the results queue and the writer thread
 * that records threats in scan scan_id) and a worker per thread (a YARA scanner and libmagic
 * handles). scanner_scan_fd reads an open descriptor from its offset (a fresh one is at 0;
 * it is not closed) and
 * says what it found; its detections are held until scanner_record says what was done about
 * them ("blocked", "reported") — call it after every scan. A verdict is for the bytes read:
 * the caller keys any cache by what it stat()ed before.
 */
struct scanner_session;
struct scanner_worker;

struct scanner_verdict {
	int threats;		/* detections not let through by the allow list */
	int allowed;
	int errors;		/* the file could not be read or matched completely */
	int skipped;		/* not scanned: above the size limit */
	char name[128];		/* the first detection's rule */
	int64_t bytes;
	struct vg_ident ident;	/* the file as it was read (when it was a regular file) */
};

enum vg_err scanner_session_open(const struct scanner_options *o, struct sigdb *db,
				 struct store *st, int64_t scan_id,
				 const struct scanner_callbacks *cb, struct scanner_session **out,
				 struct vg_error *err);
/* Waits until every result is written; totals may be NULL. */
enum vg_err scanner_session_close(struct scanner_session *s, struct scanner_totals *totals,
				  struct vg_error *err);
enum vg_err scanner_worker_create(struct scanner_session *s, struct scanner_worker **out,
				  struct vg_error *err);
/* file_types (may be NULL) receives the worker's files and bytes by type. */
void scanner_worker_destroy(struct scanner_worker *w, json_t *file_types);
void scanner_scan_fd(struct scanner_worker *w, int fd, const char *path,
		     struct scanner_verdict *v);
/*
 * Record, after the detections already handed over, what was done later about the threats
 * of path (e.g. "quarantined as item 7"): in order, through the session's writer.
 */
void scanner_session_note_action(struct scanner_session *s, const char *path,
				 const char *action);
/* Record the last scan's detections with action (static string; NULL: "reported"). */
void scanner_record(struct scanner_worker *w, const char *action);
/*
 * Record, through the session's writer (after the detections already handed over), that an
 * open of path, already detected in this scan by rule (may be NULL), was refused with action
 * (e.g. "blocked"): its row with that action counts one more (store_threat_refused).
 */
void scanner_session_note_refusal(struct scanner_session *s, const char *path,
				  const char *rule, const char *action);
/*
 * Live signature reload: a session over another rule set (db, borrowed: it must outlive the
 * session) that shares parent's writer, scan and options. Workers created from it scan with
 * db; their results go to parent's writer in order with parent's own. Close it (its counts
 * are then added to parent's) before parent; scanner_session_close gives it no totals.
 */
enum vg_err scanner_session_derive(struct scanner_session *parent, struct sigdb *db,
				   struct scanner_session **out, struct vg_error *err);

/*
 * Scan roots (absolute paths) into scan scan_id of st. Fails only when the scan could not
 * run at all (no memory, no threads, the store failed); everything about single files is
 * recorded as problems. *totals is filled in either case.
 */
enum vg_err scanner_run(const struct scanner_options *o, struct sigdb *db, struct store *st,
			int64_t scan_id, char *const *roots, size_t nroots,
			const struct scanner_callbacks *cb, struct scanner_totals *totals,
			struct vg_error *err);

#endif
