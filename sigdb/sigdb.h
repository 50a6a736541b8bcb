/*
 * sigdb/sigdb.h — the signature database: the embedded default rules, imported YARA
 * sources (kept in the store), and the compiled rule set shared by every scanner thread.
 *
 *	sigdb_global_init();                          once per process (yr_initialize)
 *	sigdb_open(st, state_dir, &db, &err);         the active compiled snapshot
 *	YR_RULES *r = sigdb_rules(db);                shared read-only by all workers
 *	sigdb_release(db);
 *	sigdb_global_finish();
 *
 * The compiled form is saved in the state folder as rules-<digest>.yarc, named by a SHA-256
 * over every source's name, kind and SHA-256 (the one recorded in the store with it, so that
 * naming needs no source text), so a stale or foreign compiled file is never loaded: when the
 * sources change, or the embedded rules change with a new vigil, the rules are compiled again
 * and sig_version goes up by one. The hash lists are saved the same way, as
 * hashes-<digest>.vhdb named by the lists alone (sigdb/hashes.h has the format), and mapped;
 * a start whose saved forms are current reads no source text from the store. The SHA-256 of the saved file is
 * recorded in the store (meta "yarc_sha256.<digest>"); sigdb_open, the one path that loads
 * rules, reads the file once (never through a link), and hands those bytes to libyara only
 * when their SHA-256 is the recorded one: otherwise (planted, swapped, damaged, no record)
 * it logs a warning and compiles the sources in the store again. The saved hash lists are
 * checked the same way (meta "vhdb_sha256.<digest>") and rebuilt from the lists. Every source is compiled
 * in its own namespace (the embedded rules in "vigil") with the external variables filename,
 * filepath, extension, filetype and owner defined. Includes are refused.
 *
 * A snapshot is immutable and reference-counted: sigdb_retain/sigdb_release are
 * thread-safe.
 */
#ifndef VIGIL_SIGDB_SIGDB_H
#define VIGIL_SIGDB_SIGDB_H

#include <jansson.h>
#include <stdint.h>
#include <yara.h>

#include "core/err.h"
#include "core/store.h"
#include "sigdb/hashes.h"

struct sigdb;

enum vg_err sigdb_global_init(struct vg_error *err);
void sigdb_global_finish(void);

/* The embedded default rule text (NUL-terminated) and its length. */
extern const char sigdb_embedded_rules[];
size_t sigdb_embedded_size(void);

/*
 * libyara's error codes (the ERROR_* of yara/error.h), translated in this one place:
 * sigdb_yara_error gives vigil's code for one (VG_NOMEM, VG_IO, VG_RULES, VG_LIMIT, ...) and,
 * in *meaning (may be NULL), what it means ("insufficient memory", "could not open file",
 * "corrupt file", "timeout", "too many matches"): static text, never NULL; a code libyara
 * does not define gives VG_YARA and "unknown libyara error". sigdb_yara_strerror is only the
 * meaning. sigdb_yara_fail records "<what>: <meaning> (yara error N)" in err and returns the
 * translated code, so that a message never carries a bare libyara number:
 *
 *	if ((rc = yr_rules_load_stream(&s, &r)) != ERROR_SUCCESS)
 *		return sigdb_yara_fail(err, rc, "cannot load '%s'", path);
 */
enum vg_err sigdb_yara_error(int code, const char **meaning);
const char *sigdb_yara_strerror(int code);
enum vg_err sigdb_yara_fail(struct vg_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The names of the external variables every rule may use, NULL-terminated. */
extern const char *const sigdb_external_vars[];

enum vg_err sigdb_open(struct store *st, const char *state_dir, struct sigdb **out,
		       struct vg_error *err);
struct sigdb *sigdb_retain(struct sigdb *db);
void sigdb_release(struct sigdb *db);

YR_RULES *sigdb_rules(const struct sigdb *db);
int64_t sigdb_version(const struct sigdb *db);
const char *sigdb_digest(const struct sigdb *db);	/* hex SHA-256 of all sources */
int64_t sigdb_rule_count(const struct sigdb *db);
/* The hash lists of the snapshot (NULL when none), and how many hashes they hold. */
const struct hashdb *sigdb_hashes(const struct sigdb *db);
int64_t sigdb_hash_count(const struct sigdb *db);
/* Bytes of the compiled rules as saved in the state folder. */
int64_t sigdb_compiled_size(const struct sigdb *db);
/* Does any rule source mention the external variable filetype? (Then every object needs its
 * full libmagic type before matching; otherwise text files can skip the expensive part.) */
int sigdb_uses_filetype(const struct sigdb *db);

/*
 * Import a YARA file (.yar, .yara), a hash list (.hdb, .hsb, .ioc, .csv, .txt, .hashes,
 * .lst: see sigdb/hashes.h) or a filename IOC list (LOKI's filename-iocs.txt, or *.fioc:
 * "REGEX;SCORE" lines, each compiled into a YARA rule over the external variable fullpath),
 * or every such file directly inside a folder. Everything
 * (defaults, sources already imported, the new files) is compiled together first; only when
 * that succeeds are the sources stored and the new compiled set saved. On a compile error
 * nothing changes and err reads "file:line: message" (one line per error, at most ten).
 * *imported (may be NULL) receives [{name, file, rules, sha256}] for the new sources.
 * A file may not be named like the embedded rules ("vigil").
 */
enum vg_err sigdb_import(struct store *st, const char *state_dir, const char *path,
			 json_t **imported, struct vg_error *err);

/*
 * As sigdb_import; with skip_bad, a rule file that does not compile is left out and a
 * malformed hash line is skipped, the rest imported. *skipped (may be NULL) receives
 * [{file, reason}] for files left out and [{file, bad_lines}] for lists with bad lines.
 */
enum vg_err sigdb_import_opts(struct store *st, const char *state_dir, const char *path,
			      int skip_bad, json_t **imported, json_t **skipped,
			      struct vg_error *err);

/*
 * Return to the sources of the previous signature version (the newest older one with other
 * content): they are compiled and activated as a new sig_version. *restored is the version
 * returned to, *version the new one. VG_NOTFOUND when there is nothing earlier.
 */
enum vg_err sigdb_rollback(struct store *st, const char *state_dir, int64_t *restored,
			   int64_t *version, struct vg_error *err);

/* ---- signed offline bundles (sigdb/bundle.c) ---- */

struct sigdb_file {
	char *name;	/* a base name: no '/' */
	char *kind;	/* "yara", "hashes" or "filenames" */
	char *content;
	size_t len;
};

struct sigdb_bundle {
	int64_t version;
	struct sigdb_file *files;
	size_t n;
};

/* Write a bundle of files, signed with the Ed25519 private key in key_path (PEM). */
enum vg_err sigdb_bundle_create(const char *key_path, const char *out, int64_t version,
				const struct sigdb_file *files, size_t n, struct vg_error *err);
/*
 * Read and verify a bundle with the Ed25519 public key in pubkey_path (PEM): signature,
 * manifest, and every file's size and SHA-256. On success *out owns the files.
 */
enum vg_err sigdb_bundle_read(const char *path, const char *pubkey_path, struct sigdb_bundle *out,
			      struct vg_error *err);
void sigdb_bundle_release(struct sigdb_bundle *b);

/* Append the rule files and hash lists named by path (a file, or those in a folder). */
enum vg_err sigdb_files_read(const char *path, struct sigdb_bundle *out, struct vg_error *err);

/*
 * Make a verified bundle's files the imported signatures, in one transaction: refused
 * (VG_INVAL) when its version is not above the last installed bundle's unless
 * allow_downgrade; nothing changes when anything fails to compile. *version: the new
 * sig_version.
 */
enum vg_err sigdb_install(struct store *st, const char *state_dir, const struct sigdb_bundle *b,
			  int allow_downgrade, int64_t *version, struct vg_error *err);

/* Remove an imported source by name and recompile. */
enum vg_err sigdb_remove(struct store *st, const char *state_dir, const char *name,
			 struct vg_error *err);

#endif
