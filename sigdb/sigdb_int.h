/*
 * sigdb/sigdb_int.h — what the files of sigdb/ share and nobody else sees.
 *
 * Who does what:
 *	sources.c	the list of sources (embedded, stored, new), their digest, where
 *			imported files come from (extension → kind, folder listing)
 *	compile.c	sources → YR_RULES (external variables, includes refused, error text)
 *	filenames.c	filename IOC lists (LOKI's format) → YARA text
 *	rules.c		the snapshot (struct sigdb) and the one load path: sigdb_activate
 *			loads the saved compiled file only when its SHA-256 is the one the
 *			store recorded, else compiles and saves again
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
	char *text;	/* NUL-terminated */
	size_t len;
	int64_t rules;	/* rules in it, or hashes in a list */
	int is_new;
	char sha256[65];	/* of the text; set for imported files */
};

struct sigdb_sources {
	struct sigdb_source *v;
	size_t n, cap;
};

/* ---- sources.c ---- */

void sigdb_sources_release(struct sigdb_sources *l);
/* Append a copy of a source; replaces an earlier one of the same name. */
enum vg_err sigdb_sources_add(struct sigdb_sources *l, const char *kind, const char *name,
			      const char *display, const void *text, size_t len, int is_new,
			      struct vg_error *err);
/* Drop the last source of l. */
void sigdb_sources_drop_last(struct sigdb_sources *l);
/* The embedded rules, then every source in the store, into l. */
enum vg_err sigdb_sources_gather(struct store *st, struct sigdb_sources *l,
				 struct vg_error *err);
/* hex SHA-256 over every source's name, kind and text: names the compiled file. */
void sigdb_sources_digest(const struct sigdb_sources *l, char hex[65]);
/* Does any source compare the external variable filetype? */
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

/* ---- versions.c ---- */

/* Bump sig_version when the digest of the sources is new; the caller holds a transaction. */
enum vg_err sigdb_record_version(struct store *st, const char *digest, int64_t *version,
				 struct vg_error *err);
/* Give the signatures the store holds now their version (caller's transaction). */
enum vg_err sigdb_record_active(struct store *st, struct vg_error *err);
/* Compile, save and record what the store now holds (caller's transaction). */
enum vg_err sigdb_apply_stored(struct store *st, const char *state_dir, int64_t *version,
			       struct vg_error *err);

#endif
