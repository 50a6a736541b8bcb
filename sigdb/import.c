/*
 * sigdb/import.c — signatures from files: import of a file or a folder (each new file
 * checked alone, then everything compiled together and stored in one transaction), and
 * the files of a verified bundle made the imported set (sigdb_install).
 */
#include "sigdb/sigdb_int.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/path.h"

/* One import under way. */
struct import {
	const char *path;	/* what was named: a file or a folder */
	int skip_bad;	/* leave out what does not compile, skip malformed hash lines */
	struct sigdb_sources fresh;	/* the new files that passed their check */
	json_t *skips;	/* [{file, reason}] left out, [{file, bad_lines}] */
};

/* Read file into imp->fresh as a new source, with its SHA-256. */
static enum vg_err
add_file(struct import *imp, const char *file, struct vg_error *err)
{
	const char *kind = sigdb_source_kind(file, 0), *base = vg_path_basename(file);
	char *text = NULL;
	size_t len = 0;
	enum vg_err rc = sigdb_read_source(file, &text, &len, err);

	if (rc != VG_OK)
		return rc;
	if (strcmp(base, SIGDB_EMBEDDED_NAME) == 0) {
		free(text);
		return vg_error_set(err, VG_INVAL, "cannot import '%s': '%s' is the name of the "
				    "embedded rules; rename the file", file, SIGDB_EMBEDDED_NAME);
	}
	/* its SHA-256 is computed here: stored with it, it names it in every digest */
	rc = sigdb_sources_add(&imp->fresh, kind ? kind : "yara", base, file, text, len, NULL, 1,
			       err);
	free(text);
	return rc;
}

/* Count the hashes of the list s (duplicates once); a list without any is bad. */
static void
check_hashes(struct import *imp, struct sigdb_source *s, struct vg_error *one)
{
	struct hashdb *h = hashdb_create();
	int64_t added = 0, bad = 0;
	enum vg_err rc;

	if (h == NULL) {
		vg_error_set(one, VG_NOMEM, "out of memory");
		return;
	}
	rc = hashdb_parse(h, s->display, s->text, s->len, imp->skip_bad, &added, &bad, one);
	if (rc != VG_OK) {
		one->code = rc;
	} else {
		hashdb_seal(h);
		added = hashdb_count(h);
		if (added == 0)
			vg_error_set(one, VG_RULES, "%s: no hashes in it", s->display);
		else if (bad > 0)
			json_array_append_new(imp->skips, json_pack("{s:s, s:I}", "file", s->display,
								    "bad_lines", (json_int_t)bad));
	}
	s->rules = added;
	hashdb_destroy(h);
}

/* Check the newest source alone: its rules compile, or its list holds hashes. */
static void
check_last(struct import *imp, struct vg_error *one)
{
	struct sigdb_source *s = &imp->fresh.v[imp->fresh.n - 1];
	YR_RULES *rules;

	if (strcmp(s->kind, "hashes") == 0) {
		check_hashes(imp, s, one);
	} else if (sigdb_compile(&imp->fresh, imp->fresh.n - 1, imp->fresh.n, &rules, one) ==
		   VG_OK) {
		s->rules = sigdb_count_rules(rules);
		yr_rules_destroy(rules);
	}
}

/* Add one's reason to all, a line each, as much as fits; the first code stays. */
static void
note_bad(struct vg_error *all, const struct vg_error *one)
{
	size_t u = strlen(all->msg), k = strlen(one->msg);

	if (all->code == VG_OK) {
		*all = *one;
		return;
	}
	if (u + 2 >= sizeof(all->msg))
		return;
	if (k > sizeof(all->msg) - u - 2)
		k = sizeof(all->msg) - u - 2;
	all->msg[u] = '\n';
	memcpy(all->msg + u + 1, one->msg, k);
	all->msg[u + 1 + k] = '\0';
}

/*
 * Each new file alone first, so that every bad file is named. With skip_bad a file that
 * does not compile (or holds no hashes) is left out and said so in imp->skips; otherwise
 * any bad file fails the import, err naming all of them.
 */
static enum vg_err
check_files(struct import *imp, char **files, size_t nfiles, struct vg_error *err)
{
	struct vg_error bad, one;
	enum vg_err rc;
	size_t i;

	vg_error_init(&bad);
	for (i = 0; i < nfiles; i++) {
		rc = add_file(imp, files[i], err);
		if (rc != VG_OK)
			return rc;
		vg_error_init(&one);
		check_last(imp, &one);
		if (one.code == VG_OK)
			continue;
		if (imp->skip_bad && one.code == VG_RULES) {
			json_array_append_new(imp->skips, json_pack("{s:s, s:s}", "file", files[i],
								    "reason", one.msg));
			sigdb_sources_drop_last(&imp->fresh);
		} else {
			note_bad(&bad, &one);
		}
	}
	if (bad.code != VG_OK)
		return vg_error_set(err, bad.code, "%s", bad.msg);
	if (imp->fresh.n == 0)
		return vg_error_set(err, VG_RULES, "nothing to import from '%s': every file was bad",
				    imp->path);
	return VG_OK;
}

/*
 * Store the new sources and activate everything (defaults, stored, new) in one
 * transaction: when anything fails, nothing changes.
 */
static enum vg_err
store_fresh(struct store *st, const char *state_dir, const struct sigdb_sources *fresh,
	    struct vg_error *err)
{
	struct sigdb_sources all = { 0 };
	const struct sigdb_source *s;
	enum vg_err rc = sigdb_sources_gather(st, &all, err);
	size_t i;

	for (i = 0; rc == VG_OK && i < fresh->n; i++) {
		s = &fresh->v[i];
		rc = sigdb_sources_add(&all, s->kind, s->name, s->display, s->text, s->len,
				       s->sha256, 1, err);
	}
	if (rc == VG_OK)
		rc = store_begin(st, err);
	if (rc != VG_OK)
		goto out;
	rc = sigdb_record_active(st, err);
	for (i = 0; rc == VG_OK && i < fresh->n; i++) {
		s = &fresh->v[i];
		rc = store_sig_put(st, s->name, s->kind, s->text, s->len, s->rules, s->sha256, err);
	}
	if (rc == VG_OK)
		rc = sigdb_activate(st, state_dir, &all, 1, NULL, err);
	if (rc == VG_OK)
		rc = store_commit(st, err);
	if (rc != VG_OK)
		store_rollback(st);
out:
	sigdb_sources_release(&all);
	return rc;
}

/* [{name, kind, file, rules or hashes, sha256}] for the new sources. */
static json_t *
imported_json(const struct sigdb_sources *fresh)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < fresh->n; i++) {
		const struct sigdb_source *s = &fresh->v[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I, s:s}", "name", s->name,
						   "kind", s->kind, "file", s->display,
						   strcmp(s->kind, "hashes") != 0 ? "rules" : "hashes",
						   (json_int_t)s->rules, "sha256", s->sha256));
	}
	return a;
}

enum vg_err
sigdb_import(struct store *st, const char *state_dir, const char *path, json_t **imported,
	     struct vg_error *err)
{
	return sigdb_import_opts(st, state_dir, path, 0, imported, NULL, err);
}

enum vg_err
sigdb_import_opts(struct store *st, const char *state_dir, const char *path, int skip_bad,
		  json_t **imported, json_t **skipped, struct vg_error *err)
{
	struct import imp = { .path = path, .skip_bad = skip_bad, .skips = json_array() };
	char **files = NULL;
	size_t nfiles = 0;
	enum vg_err rc;

	if (imp.skips == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	rc = sigdb_list_files(path, &files, &nfiles, err);
	if (rc == VG_OK)
		rc = check_files(&imp, files, nfiles, err);
	if (rc == VG_OK)
		rc = store_fresh(st, state_dir, &imp.fresh, err);
	if (rc == VG_OK && imported)
		*imported = imported_json(&imp.fresh);
	if (rc == VG_OK && skipped)
		*skipped = json_incref(imp.skips);
	json_decref(imp.skips);
	sigdb_files_free(files, nfiles);
	sigdb_sources_release(&imp.fresh);
	return rc;
}

/* Rules in a YARA file or hashes in a list, for `sigdb list` (0 when it does not parse). */
static int64_t
count_entries(const struct sigdb_file *f, const char *sha256)
{
	struct sigdb_sources one = { 0 };
	int64_t n = 0, bad;

	if (strcmp(f->kind, "hashes") == 0) {
		struct hashdb *h = hashdb_create();

		if (h && hashdb_parse(h, f->name, f->content, f->len, 1, &n, &bad, NULL) == VG_OK) {
			hashdb_seal(h);
			n = hashdb_count(h);
		}
		hashdb_destroy(h);
	} else if (sigdb_sources_add(&one, f->kind, f->name, f->name, f->content, f->len, sha256,
				     1, NULL) == VG_OK) {
		YR_RULES *rules;

		if (sigdb_compile(&one, 0, 1, &rules, NULL) == VG_OK) {
			n = sigdb_count_rules(rules);
			yr_rules_destroy(rules);
		}
	}
	sigdb_sources_release(&one);
	return n;
}

enum vg_err
sigdb_install(struct store *st, const char *state_dir, const struct sigdb_bundle *b,
	      int allow_downgrade, int64_t *version, struct vg_error *err)
{
	char *active = NULL, buf[32];
	enum vg_err rc = store_begin(st, err);
	size_t i;

	if (rc != VG_OK)
		return rc;
	rc = store_meta_get(st, "bundle_version", &active, err);
	if (rc == VG_OK && active && b->version <= strtoll(active, NULL, 10) && !allow_downgrade)
		rc = vg_error_set(err, VG_INVAL, "bundle version %lld is not newer than the "
				  "installed %s: refused (--allow-downgrade to force)",
				  (long long)b->version, active);
	/* the active set goes into the history first, so rollback can return to it */
	if (rc == VG_OK)
		rc = sigdb_record_active(st, err);
	if (rc == VG_OK)
		rc = store_sig_clear(st, err);
	for (i = 0; rc == VG_OK && i < b->n; i++) {
		char hex[65];
		unsigned char d[32];

		if (strcmp(b->files[i].name, SIGDB_EMBEDDED_NAME) == 0 ||
		    strchr(b->files[i].name, '/')) {
			rc = vg_error_set(err, VG_INVAL, "bundle file name '%s' is not allowed",
					  b->files[i].name);
			break;
		}
		EVP_Digest(b->files[i].content, b->files[i].len, d, NULL, EVP_sha256(), NULL);
		vg_hex(d, 32, hex);
		rc = store_sig_put(st, b->files[i].name, b->files[i].kind, b->files[i].content,
				   b->files[i].len, count_entries(&b->files[i], hex), hex, err);
	}
	if (rc == VG_OK)
		rc = sigdb_apply_stored(st, state_dir, version, err);
	if (rc == VG_OK) {
		snprintf(buf, sizeof(buf), "%lld", (long long)b->version);
		rc = store_meta_set(st, "bundle_version", buf, err);
	}
	if (rc == VG_OK)
		rc = store_commit(st, err);
	if (rc != VG_OK)
		store_rollback(st);
	free(active);
	return rc;
}

enum vg_err
sigdb_files_read(const char *path, struct sigdb_bundle *out, struct vg_error *err)
{
	char **files = NULL;
	size_t nfiles = 0, i;
	enum vg_err rc = sigdb_list_files(path, &files, &nfiles, err);
	struct sigdb_file *v;

	if (rc == VG_OK) {
		v = realloc(out->files, (out->n + nfiles) * sizeof(*v));
		if (v == NULL)
			rc = vg_error_set(err, VG_NOMEM, "out of memory");
		else
			out->files = v;
	}
	for (i = 0; rc == VG_OK && i < nfiles; i++) {
		struct sigdb_file *f = &out->files[out->n];
		const char *kind = sigdb_source_kind(files[i], 0);

		if (kind == NULL) {
			rc = vg_error_set(err, VG_INVAL, "'%s' is neither a rule file (.yar) nor a "
					  "hash list (.hdb, .hsb, .ioc, ...)", files[i]);
			break;
		}
		rc = sigdb_read_source(files[i], &f->content, &f->len, err);
		if (rc != VG_OK)
			break;
		f->name = strdup(vg_path_basename(files[i]));
		f->kind = strdup(kind);
		out->n++;	/* sigdb_bundle_release frees it from here on */
		if (f->name == NULL || f->kind == NULL)
			rc = vg_error_set(err, VG_NOMEM, "out of memory");
	}
	sigdb_files_free(files, nfiles);
	return rc;
}
