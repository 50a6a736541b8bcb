/* quarantine/restore.c — putting a file back, exactly, without following planted links. */
#include "quarantine/quarantine_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/types.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/nstime.h"
#include "core/path.h"
#include "core/reach.h"

#define RESTORE_NOTE "restore_tmp:"

struct out_file {
	int fd;
	size_t since;	/* bytes written since write-back was last started */
};

/* One piece of the restored file; write-back started every WRITEBACK_BYTES. */
static int
write_sink(const unsigned char *p, size_t n, void *ctx)
{
	struct out_file *o = ctx;

	if (vg_write_full(o->fd, p, n) != 0)
		return -1;
	o->since += n;
	if (o->since >= WRITEBACK_BYTES) {
		sync_file_range(o->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		o->since = 0;
	}
	return 0;
}

/* Mode, owner and times as they were; the owner only where we may set it. */
static enum vg_err
set_metadata(int fd, const struct store_qitem *q, const char *where, struct vg_error *err)
{
	struct timespec ts[2];

	ts[0] = vg_ns_timespec(q->atime_ns);
	ts[1] = vg_ns_timespec(q->mtime_ns);
	if (fchown(fd, (uid_t)q->uid, (gid_t)q->gid) != 0 && geteuid() == 0)
		return vg_error_set(err, VG_IO, "cannot set the owner of '%s': %s", where,
				    strerror(errno));
	if (fchmod(fd, (mode_t)(q->mode & 07777)) != 0 || futimens(fd, ts) != 0)
		return vg_error_set(err, VG_IO, "cannot set the mode and times of '%s': %s", where,
				    strerror(errno));
	return VG_OK;
}

/*
 * The restored file is in place: the item leaves the vault, and that file (where, with its
 * SHA-256) is allowed a while. Only that file: copies of the same content elsewhere are
 * still detected. The item goes off the list with the allow entry in one transaction, with
 * its chunks when vigil.db holds them (not wiped: they are ciphertext of a file that is
 * back); chunks in the vault file go after, the item "removing" meanwhile, and if that fails
 * or is killed, the next open of the vault finishes it.
 */
static enum vg_err
forget(struct vault *v, const struct store_qitem *q, const char *where, struct vg_error *err)
{
	char reason[128];
	enum vg_err rc = store_begin(v->st, err);

	snprintf(reason, sizeof(reason), "restored from quarantine item %lld", (long long)q->id);
	if (rc == VG_OK)
		rc = q->chunk_file ? store_q_set_state(v->st, q->id, "removing", err)
				   : store_q_delete(v->st, q->id, 0, err);
	if (rc == VG_OK && v->restore_window > 0)
		rc = store_allow_add(v->st, "sha256", q->sha256, where, strlen(where), reason,
				     (int64_t)time(NULL) + v->restore_window, err);
	if (rc == VG_OK)
		rc = store_commit(v->st, err);
	if (rc != VG_OK) {
		store_rollback(v->st);
		vg_error_init(err);
		return vg_error_set(err, VG_STORE, "restored '%s', but quarantine item %lld could not "
				    "be removed from the vault", where, (long long)q->id);
	}
	if (q->chunk_file)
		vault_retire_finish(v, q->id, 0, NULL);
	return VG_OK;
}

enum vg_err
quarantine_restore(struct vault *v, int64_t id, const char *dest, int force, char **where,
		   struct vg_error *err)
{
	struct store_qitem q;
	struct out_file out = { .fd = -1 };
	char *target = NULL, *parent = NULL, *tmp_path = NULL, tmp[64], note[96] = "";
	unsigned char rnd[8];
	const char *base;
	struct stat st;
	int dfd = -1, fd = -1, placed = 0;
	enum vg_err rc = store_q_get(v->st, id, &q, err);

	if (rc != VG_OK)
		return rc;
	if (strcmp(q.state, "quarantined") != 0) {
		rc = vg_error_set(err, VG_INVAL, "quarantine item %lld is %s, not quarantined",
				  (long long)id, q.state);
		goto out;
	}
	if (dest)
		rc = vg_path_absolute(dest, &target, err);
	else if ((target = strdup(q.path)) == NULL)
		rc = vg_error_set(err, VG_NOMEM, "out of memory");
	if (rc != VG_OK)
		goto out;
	base = vg_path_basename(target);
	parent = strndup(target, (size_t)(base - target));
	if (parent == NULL || base[0] == '\0') {
		rc = vg_error_set(err, VG_INVAL, "cannot restore to '%s': not a file name", target);
		goto out;
	}
	dfd = vg_reach_dir(parent, VG_REACH_NO_LINKS, "restore into", err);
	if (dfd < 0) {
		rc = err ? err->code : VG_IO;
		goto out;
	}
	if (!force && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		rc = vg_error_set(err, VG_EXISTS, "'%s' exists: not overwritten (use --force)", target);
		goto out;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		rc = vg_error_set(err, VG_CRYPTO, "no randomness for a temporary name");
		goto out;
	}
	snprintf(tmp, sizeof(tmp), ".vigil-restore-%lld-%02x%02x%02x%02x%02x%02x%02x%02x",
		 (long long)id, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	/* noted before it exists, so that a crash cannot leave partial plaintext unaccounted
	 * for: the next open of the vault deletes what is listed here */
	snprintf(note, sizeof(note), "%s%s", RESTORE_NOTE, tmp);
	tmp_path = vg_path_join(parent, tmp);
	rc = tmp_path ? store_meta_set(v->st, note, tmp_path, err)
		      : vg_error_set(err, VG_NOMEM, "out of memory");
	if (rc != VG_OK)
		goto out;
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = vg_error_set(err, VG_IO, "cannot create a file in '%s': %s", parent,
				  strerror(errno));
		goto out;
	}
	out.fd = fd;
	rc = vault_decrypt(v, &q, write_sink, &out, err);
	if (rc == VG_OK)
		rc = set_metadata(fd, &q, target, err);
	if (rc == VG_OK && fsync(fd) != 0) /* data, mode, owner and times together */
		rc = vg_error_set(err, VG_IO, "cannot write '%s': %s", target, strerror(errno));
	if (close(fd) != 0 && rc == VG_OK)
		rc = vg_error_set(err, VG_IO, "cannot write '%s': %s", target, strerror(errno));
	fd = -1;
	if (rc == VG_OK) {
		int r = force ? renameat(dfd, tmp, dfd, base)
			      : renameat2(dfd, tmp, dfd, base, RENAME_NOREPLACE);

		if (r != 0)
			rc = vg_error_set(err, errno == EEXIST ? VG_EXISTS : VG_IO,
					  "cannot restore to '%s': %s", target,
					  errno == EEXIST ? "it exists (use --force)" : strerror(errno));
		else
			placed = 1;
	}
	if (!placed) {
		unlinkat(dfd, tmp, 0);
		goto out;
	}
	fsync(dfd);
	store_meta_delete(v->st, note, NULL);
	note[0] = '\0';
	rc = forget(v, &q, target, err);
	vault_notify(v, "restored", id, &q, target); /* it is back, whatever forget said */
	if (where) {
		*where = target;
		target = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	if (note[0] != '\0')
		store_meta_delete(v->st, note, NULL); /* the temporary file is gone */
	if (dfd >= 0)
		close(dfd);
	free(tmp_path);
	free(parent);
	free(target);
	store_qitem_release(&q);
	return rc;
}

void
vault_clean_restores(struct vault *v)
{
	json_t *notes = NULL, *path;
	const char *key;

	if (store_meta_prefix_json(v->st, RESTORE_NOTE, &notes, NULL) != VG_OK)
		return;
	json_object_foreach(notes, key, path) {
		const char *p = json_string_value(path);
		struct stat st;

		/* only our own temporary files: the name we gave, a regular file of ours */
		if (p && strncmp(vg_path_basename(p), ".vigil-restore-", 15) == 0 &&
		    lstat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid())
			unlink(p);
		store_meta_delete(v->st, key, NULL);
	}
	json_decref(notes);
}
