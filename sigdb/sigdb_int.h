/*
 * sigdb/sigdb_int.h — what the files of sigdb/ share and nobody else sees.
 *
 * Who does what:
 *	sources.c	the list of sources (embedded, stored, new), their digests (from
 *			each source's recorded SHA-256: texts are read only when needed),
 *			where imported files come from (extension → kind, folder listing)
 *	compile.c	sources → YR_RULES (external variables, includes refused, error text)
 *	filenames.c	filename IOC lists (LOKI's format) → YARA text
 *	rules.c		the snapshot (struct sigdb) and the one load path: sigdb_activate
 *			loads the saved compiled file only when its SHA-256 is the one the
 *			store recorded, else compiles and saves again
 *	hashfile.c	the hash lists' saved form, hashes-<digest>.vhdb: mapped when its
 *			SHA-256 is the one the store recorded, else rebuilt from the lists
 *	versions.c	sig_version, the history of sources, remove and rollback
 *	import.c	import of files and folders, and of a verified bundle
 *	yara_error.c	libyara's ERROR_* codes as vigil's errors with their meaning
 *	bundle.c	signed offline bundles; hashes.c the hash lists
 */
#ifndef VIGIL_SIGDB_SIGDB_INT_H
#define VIGIL_SIGDB_SIGDB_INT_H

#include <stddef.h>
#include <stdint.h>
#include <yara.h>

#include "core/err.h"
#include "core/store.h"
#include "sigdb/sigdb.h"

/* the namespace (and store name) of the embedded default rules */
#define SIGDB_EMBEDDED_NAME "vigil"
/* a rule file or list larger than this is not read */
#define SIGDB_MAX_SOURCE_BYTES (256u << 20)

/* One source of signatures: a YARA file, a hash list or a filename IOC list. */
struct sigdb_source {
	const char *kind;	/* "yara", "hashes" or "filenames" (static) */
	char *name;	/* namespace and key in the store */
	char *display;	/* how errors name it: the imported path, or the name */
	char *text;	/* NUL-terminated; NULL until read (sigdb_sources_read) */
	size_t len;	/* of the text, once read */
	int64_t rules;	/* rules in it, or hashes in a list */
	int is_new;
	char sha256[65];	/* of the text: computed, or recorded in the store */
};

/* Which texts sigdb_sources_read fetches: of rule sources (YARA, filename IOCs), of lists. */
enum sigdb_texts {
	SIGDB_TEXTS_RULES = 1 << 0,
	SIGDB_TEXTS_HASHES = 1 << 1,
	SIGDB_TEXTS_ALL = SIGDB_TEXTS_RULES | SIGDB_TEXTS_HASHES,
};

struct sigdb_sources {
	struct sigdb_source *v;
	size_t n, cap;
};

/* ---- sources.c ---- */

void sigdb_sources_release(struct sigdb_sources *l);
/*
 * Append a copy of a source; replaces an earlier one of the same name. sha256 is the
 * SHA-256 of text when the caller has it, else NULL (it is computed).
 */
enum vg_err sigdb_sources_add(struct sigdb_sources *l, const char *kind, const char *name,
			      const char *display, const void *text, size_t len,
			      const char *sha256, int is_new, struct vg_error *err);
/* Drop the last source of l. */
void sigdb_sources_drop_last(struct sigdb_sources *l);
/*
 * The embedded rules, then every source in the store, into l: names, kinds and recorded
 * SHA-256s, without the texts (a source stored without a SHA-256 is read to compute it).
 */
enum vg_err sigdb_sources_gather(struct store *st, struct sigdb_sources *l,
				 struct vg_error *err);
/* Read from the store the texts of which sources not read yet. */
enum vg_err sigdb_sources_read(struct store *st, struct sigdb_sources *l, enum sigdb_texts which,
			       struct vg_error *err);
/* hex SHA-256 over every source's name, kind and SHA-256: names the compiled rules. */
void sigdb_sources_digest(const struct sigdb_sources *l, char hex[65]);
/* The same over the hash lists only: names their saved form. Returns how many lists. */
size_t sigdb_sources_hash_digest(const struct sigdb_sources *l, char hex[65]);
/* The digest earlier vigils computed (over the texts; every text must be read): recognises
 * a store's sig_digest of that time, so that an upgrade keeps sig_version. */
void sigdb_sources_legacy_digest(const struct sigdb_sources *l, char hex[65]);
/* Does any rule source whose text is read compare the external variable filetype? */
int sigdb_sources_use_filetype(const struct sigdb_sources *l);

/* Read a rule file or list (at most SIGDB_MAX_SOURCE_BYTES). */
enum vg_err sigdb_read_source(const char *path, char **text, size_t *len, struct vg_error *err);
/* "yara", "hashes" or "filenames" by the file's name, NULL for other files. */
const char *sigdb_source_kind(const char *name, int in_folder);
/* The files named by path: the file itself, or the signature files in the folder, sorted. */
enum vg_err sigdb_list_files(const char *path, char ***files, size_t *n, struct vg_error *err);
void sigdb_files_free(char **files, size_t n);

/* ---- compile.c ---- */

/* Compile sources [from, to) together; *out receives the rules on success. */
enum vg_err sigdb_compile(const struct sigdb_sources *l, size_t from, size_t to, YR_RULES **out,
			  struct vg_error *err);
int64_t sigdb_count_rules(YR_RULES *rules);

/* ---- filenames.c ---- */

/* A filename IOC list as YARA text, one line out for one line in; NULL without memory. */
char *sigdb_filenames_to_yara(const char *text, size_t len);

/* ---- rules.c ---- */

/*
 * The one path that loads rules: the saved compiled form of l when the store vouches for it,
 * else l compiled and saved again; then the version is recorded (in one store transaction,
 * the caller's when have_txn). *out (NULL: nothing is kept) receives the snapshot.
 */
enum vg_err sigdb_activate(struct store *st, const char *state_dir, struct sigdb_sources *l,
			   int have_txn, struct sigdb **out, struct vg_error *err);

/* Remove the files prefix*suffix in state_dir but keep (may be NULL), and the store's meta
 * keys key_prefix* but keep_key (may be NULL). */
void sigdb_prune_saved(struct store *st, const char *state_dir, const char *prefix,
		       const char *suffix, const char *keep, const char *key_prefix,
		       const char *keep_key);

/* ---- hashfile.c ---- */

/* The hash lists of a set of sources in their saved form. */
struct sigdb_hashset {
	char digest[65];	/* of the lists (sigdb_sources_hash_digest) */
	size_t lists;		/* 0: no hash lists, no file */
	char *file, *key;	/* hashes-<digest>.vhdb in the state folder, its meta key */
	char saved[65];		/* the SHA-256 of the file when it was just written, else "" */
	struct hashdb *db;	/* the lists, when kept */
};

/*
 * The saved form of l's hash lists: mapped and checked against the SHA-256 the store recorded
 * for it, else (missing, damaged, planted, no record) rebuilt from the lists' texts and
 * saved; with keep, hs->db holds the lists. Nothing is written to the store here.
 */
enum vg_err sigdb_hashset_load(struct store *st, const char *state_dir, struct sigdb_sources *l,
			       int keep, struct sigdb_hashset *hs, struct vg_error *err);
/* Record the SHA-256 of a file just saved (in the caller's transaction). */
enum vg_err sigdb_hashset_record(struct store *st, const struct sigdb_hashset *hs,
				 struct vg_error *err);
/* Remove other saved hash lists and their records. */
void sigdb_hashset_prune(struct store *st, const char *state_dir, const struct sigdb_hashset *hs);
void sigdb_hashset_release(struct sigdb_hashset *hs);

/* ---- versions.c ---- */

/*
 * Once per store, the first time sources are recorded by this vigil: when the store's
 * sig_digest is the legacy digest of l (the same sources), it becomes digest, so that the
 * new way of computing it does not bump sig_version. The caller holds a transaction.
 */
enum vg_err sigdb_upgrade_digest(struct store *st, struct sigdb_sources *l, const char *digest,
				 struct vg_error *err);

/* Bump sig_version when the digest of the sources is new; the caller holds a transaction. */
enum vg_err sigdb_record_version(struct store *st, const char *digest, int64_t *version,
				 struct vg_error *err);
/* Give the signatures the store holds now their version (caller's transaction). */
enum vg_err sigdb_record_active(struct store *st, struct vg_error *err);
/* Compile, save and record what the store now holds (caller's transaction). */
enum vg_err sigdb_apply_stored(struct store *st, const char *state_dir, int64_t *version,
			       struct vg_error *err);

#endif
