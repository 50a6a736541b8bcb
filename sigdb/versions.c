/*
 * sigdb/versions.c — sig_version and the history behind it: every set of sources that was
 * active gets a version and is kept (sig_history), so that rollback can return to it;
 * removing a source; rolling back.
 */
#include "sigdb/sigdb_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bump sig_version when the digest of the sources is new; the caller holds a transaction. */
enum vg_err
sigdb_record_version(struct store *st, const char *digest, int64_t *version,
		     struct vg_error *err)
{
	char *old_digest = NULL, *old_version = NULL, buf[32];
	enum vg_err rc;

	rc = store_meta_get(st, "sig_digest", &old_digest, err);
	if (rc == VG_OK)
		rc = store_meta_get(st, "sig_version", &old_version, err);
	if (rc == VG_OK) {
		*version = old_version ? strtoll(old_version, NULL, 10) : 0;
		if (old_digest == NULL || strcmp(old_digest, digest) != 0) {
			(*version)++;
			snprintf(buf, sizeof(buf), "%lld", (long long)*version);
			rc = store_meta_set(st, "sig_version", buf, err);
			if (rc == VG_OK)
				rc = store_meta_set(st, "sig_digest", digest, err);
		}
		/* every version's sources are kept, so that rollback can return to them */
		if (rc == VG_OK && !store_sig_history_has(st, *version))
			rc = store_sig_snapshot(st, *version, digest, err);
	}
	free(old_digest);
	free(old_version);
	return rc;
}

/* store meta: how sig_digest is computed; absent in stores of earlier vigils (over texts) */
#define DIGEST_FORMAT_KEY "sig_digest_format"
#define DIGEST_FORMAT "2"

enum vg_err
sigdb_upgrade_digest(struct store *st, struct sigdb_sources *l, const char *digest,
		     struct vg_error *err)
{
	char *format = NULL, *old = NULL, *v = NULL, legacy[65];
	enum vg_err rc = store_meta_get(st, DIGEST_FORMAT_KEY, &format, err);

	if (rc != VG_OK || format != NULL)
		goto out;
	rc = store_meta_get(st, "sig_digest", &old, err);
	if (rc == VG_OK && old != NULL && strcmp(old, digest) != 0) {
		/* once: every text is read to recognise the old digest */
		rc = sigdb_sources_read(st, l, SIGDB_TEXTS_ALL, err);
		if (rc == VG_OK)
			sigdb_sources_legacy_digest(l, legacy);
		if (rc == VG_OK && strcmp(legacy, old) == 0) {
			/* the same sources, only their digest computed anew: the version stays,
			 * and its history entry carries the new digest (rollback compares it) */
			rc = store_meta_set(st, "sig_digest", digest, err);
			if (rc == VG_OK)
				rc = store_meta_get(st, "sig_version", &v, err);
			if (rc == VG_OK && v != NULL && strtoll(v, NULL, 10) > 0)
				rc = store_sig_snapshot(st, strtoll(v, NULL, 10), digest, err);
		}
	}
	if (rc == VG_OK)
		rc = store_meta_set(st, DIGEST_FORMAT_KEY, DIGEST_FORMAT, err);
out:
	free(format);
	free(old);
	free(v);
	return rc;
}

/*
 * Give the signatures the store holds now their version, if they never had one, so that the
 * change about to be made can be rolled back to them. Nothing is compiled. The caller holds
 * a transaction.
 */
enum vg_err
sigdb_record_active(struct store *st, struct vg_error *err)
{
	struct sigdb_sources l = { 0 };
	char digest[65];
	int64_t v;
	enum vg_err rc = sigdb_sources_gather(st, &l, err);

	if (rc == VG_OK) {
		sigdb_sources_digest(&l, digest);
		rc = sigdb_upgrade_digest(st, &l, digest, err);
	}
	if (rc == VG_OK)
		rc = sigdb_record_version(st, digest, &v, err);
	sigdb_sources_release(&l);
	return rc;
}

/*
 * Compile, save and record what the store now holds, after a change inside the caller's
 * transaction; *version (may be NULL) receives the resulting sig_version.
 */
enum vg_err
sigdb_apply_stored(struct store *st, const char *state_dir, int64_t *version, struct vg_error *err)
{
	struct sigdb_sources l = { 0 };
	char *v = NULL;
	enum vg_err rc = sigdb_sources_gather(st, &l, err);

	if (rc == VG_OK)
		rc = sigdb_activate(st, state_dir, &l, 1, NULL, err);
	if (rc == VG_OK && version) {
		rc = store_meta_get(st, "sig_version", &v, err);
		*version = v ? strtoll(v, NULL, 10) : 0;
		free(v);
	}
	sigdb_sources_release(&l);
	return rc;
}

enum vg_err
sigdb_remove(struct store *st, const char *state_dir, const char *name, struct vg_error *err)
{
	enum vg_err rc = store_begin(st, err);

	if (rc != VG_OK)
		return rc;
	rc = sigdb_record_active(st, err);
	if (rc == VG_OK)
		rc = store_sig_remove(st, name, err);
	if (rc == VG_OK)
		rc = sigdb_apply_stored(st, state_dir, NULL, err);
	if (rc == VG_OK)
		rc = store_commit(st, err);
	if (rc != VG_OK)
		store_rollback(st);
	return rc;
}

enum vg_err
sigdb_rollback(struct store *st, const char *state_dir, int64_t *restored, int64_t *version,
	       struct vg_error *err)
{
	char *cur_version = NULL, *cur_digest = NULL;
	enum vg_err rc = store_begin(st, err);

	if (rc != VG_OK)
		return rc;
	/* the active set must be in the history before we leave it */
	rc = sigdb_record_active(st, err);
	if (rc == VG_OK)
		rc = store_meta_get(st, "sig_version", &cur_version, err);
	if (rc == VG_OK)
		rc = store_meta_get(st, "sig_digest", &cur_digest, err);
	if (rc == VG_OK) {
		/* a version made by a rollback goes back from the one it restored: repeated
		 * rollbacks walk back through the history instead of undoing each other */
		char key[64], *base = NULL;
		int64_t below = cur_version ? strtoll(cur_version, NULL, 10) : 0;

		snprintf(key, sizeof(key), "sig_rollback_of:%lld", (long long)below);
		rc = store_meta_get(st, key, &base, err);
		if (rc == VG_OK && base)
			below = strtoll(base, NULL, 10);
		free(base);
		if (rc == VG_OK)
			rc = store_sig_restore(st, below, cur_digest ? cur_digest : "", restored,
					       err);
	}
	if (rc == VG_OK)
		rc = sigdb_apply_stored(st, state_dir, version, err);
	if (rc == VG_OK) {
		char key[64], val[32];

		snprintf(key, sizeof(key), "sig_rollback_of:%lld", (long long)*version);
		snprintf(val, sizeof(val), "%lld", (long long)*restored);
		rc = store_meta_set(st, key, val, err);
	}
	if (rc == VG_OK)
		rc = store_commit(st, err);
	if (rc != VG_OK)
		store_rollback(st);
	free(cur_version);
	free(cur_digest);
	return rc;
}
