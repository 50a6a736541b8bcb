/* quarantine/vault.c — opening the vault, the crash-safe move in, listing, removing. */
#include "quarantine/quarantine_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/nstime.h"
#include "core/path.h"
#include "core/pid.h"
#include "core/reach.h"

static int
discard(const unsigned char *p, size_t n, void *ctx)
{
	(void)p;
	(void)n;
	(void)ctx;
	return 0;
}

/*
 * Who is moving an item in (staging, then pending): meta "qowner.<id>" = the pid of the vigil
 * process that inserted it, written in the same transaction, removed when the item is
 * quarantined or leaves. Another process opening the vault leaves an item alone while that
 * process lives.
 */
static enum vg_err
owner_note(struct vault *v, int64_t id, int set, struct vg_error *err)
{
	char key[48], pid[24];

	snprintf(key, sizeof(key), "qowner.%lld", (long long)id);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	return set ? store_meta_set(v->st, key, pid, err) : store_meta_delete(v->st, key, err);
}

static int
owner_alive(struct vault *v, int64_t id)
{
	char key[48], *pid = NULL;
	int alive;

	snprintf(key, sizeof(key), "qowner.%lld", (long long)id);
	if (store_meta_get(v->st, key, &pid, NULL) != VG_OK || pid == NULL)
		return 0;
	alive = vg_pid_text_is_vigil(pid);
	free(pid);
	return alive;
}

enum vg_err
vault_retire_finish(struct vault *v, int64_t id, int wipe, struct vg_error *err)
{
	/* the chunks before the row: the row says "removing" until they are gone, so no chunk
	 * is ever left behind without a row that leads back to it */
	enum vg_err rc = store_q_chunks_drop(v->st, id, wipe, err);

	if (rc == VG_OK)
		rc = store_begin(v->st, err);
	if (rc != VG_OK)
		return rc;
	rc = store_q_delete(v->st, id, wipe, err); /* and chunks of the old layout, in vigil.db */
	if (rc == VG_OK)
		rc = owner_note(v, id, 0, err);
	if (rc == VG_OK)
		rc = store_commit(v->st, err);
	if (rc != VG_OK)
		store_rollback(v->st);
	return rc;
}

/*
 * The first step of vault_retire: the item off the list. Chunks in vigil.db go with the row,
 * in one transaction; chunks in the vault file cannot, so the row is marked "removing" and
 * *deferred set: vault_retire_finish deletes them, then the row.
 */
static enum vg_err
take_off_list(struct vault *v, int64_t id, int wipe, int *deferred, struct vg_error *err)
{
	struct store_qitem q;
	enum vg_err rc = store_begin(v->st, err);

	*deferred = 0;
	if (rc == VG_OK && (rc = store_q_get(v->st, id, &q, err)) == VG_OK) {
		*deferred = q.chunk_file != 0;
		store_qitem_release(&q);
		if (*deferred) {
			rc = store_q_set_state(v->st, id, "removing", err);
		} else {
			rc = store_q_delete(v->st, id, wipe, err);
			if (rc == VG_OK)
				rc = owner_note(v, id, 0, err);
		}
	}
	if (rc == VG_OK)
		rc = store_commit(v->st, err);
	if (rc != VG_OK)
		store_rollback(v->st);
	return rc;
}

enum vg_err
vault_retire(struct vault *v, int64_t id, int wipe, struct vg_error *err)
{
	int deferred;
	enum vg_err rc = take_off_list(v, id, wipe, &deferred, err);

	return rc == VG_OK && deferred ? vault_retire_finish(v, id, wipe, err) : rc;
}

/* The original of item q is still at its path: same device, inode, size and mtime (ns). An
 * inode number freed by the unlink can come back for an unrelated file: all four must agree. */
static int
original_there(const struct store_qitem *q)
{
	struct stat st;

	return lstat(q->path, &st) == 0 && (int64_t)st.st_dev == q->dev &&
	       (int64_t)st.st_ino == q->ino && (int64_t)st.st_size == q->size &&
	       vg_timespec_ns(st.st_mtim) == q->mtime_ns;
}

/*
 * An item a killed process left half-way, under the store's write lock like the steps of
 * quarantine_add:
 *  - staging: its chunks were being written; the original was never touched. It goes.
 *  - pending: its chunks are committed and verified. An original still there means the move
 *    never completed, so the vault copy goes; an original that is gone means it did, so the
 *    item is kept.
 *  - removing: it was leaving the vault (remove, restore, a roll-back); that is finished.
 * An item whose owner process is alive is left to it.
 */
static enum vg_err
recover_one(struct vault *v, int64_t id, struct vg_error *err)
{
	struct store_qitem q;
	int retire = 0;
	enum vg_err rc = store_begin(v->st, err);

	if (rc != VG_OK)
		return rc;
	rc = store_q_get(v->st, id, &q, err);
	if (rc != VG_OK) {
		store_rollback(v->st);
		if (rc != VG_NOTFOUND)
			return rc;
		vg_error_init(err);
		return VG_OK; /* another process dealt with it */
	}
	if (strcmp(q.state, "removing") == 0) {
		store_rollback(v->st);
		store_qitem_release(&q);
		return vault_retire_finish(v, id, 1, err);
	}
	if ((strcmp(q.state, "staging") != 0 && strcmp(q.state, "pending") != 0) ||
	    owner_alive(v, id)) {
		/* dealt with meanwhile, or another vigil is moving it right now */
		store_rollback(v->st);
		store_qitem_release(&q);
		return VG_OK;
	}
	if (strcmp(q.state, "staging") == 0 || original_there(&q)) {
		/* chunks in vigil.db go with the row; those in the vault file after it */
		retire = q.chunk_file != 0;
		rc = retire ? store_q_set_state(v->st, id, "removing", err)
			    : store_q_delete(v->st, id, 1, err);
		v->rolled_back++;
	} else {
		/* the original is gone: the vault copy is all there is. A copy that does not
		 * verify (only damage can do that: its chunks were committed and checked) is
		 * kept all the same, visible, so restore and export name it as corrupt, rather
		 * than one bad row blocking the whole vault. */
		if (vault_decrypt(v, &q, discard, NULL, err) != VG_OK)
			vg_error_init(err);
		rc = store_q_set_state(v->st, id, "quarantined", err);
		v->finished++;
	}
	if (rc == VG_OK)
		rc = owner_note(v, id, 0, err);
	if (rc == VG_OK)
		rc = store_commit(v->st, err);
	if (rc != VG_OK)
		store_rollback(v->st);
	store_qitem_release(&q);
	if (rc == VG_OK && retire)
		rc = vault_retire_finish(v, id, 1, err);
	return rc;
}

/* Every item that a killed process left half-way, recovered. */
static enum vg_err
recover_all(struct vault *v, struct vg_error *err)
{
	static const char *const states[] = { "removing", "staging", "pending" };
	enum vg_err rc = VG_OK;
	size_t s, i, n;

	for (s = 0; rc == VG_OK && s < sizeof(states) / sizeof(states[0]); s++) {
		int64_t *ids = NULL;

		n = 0;
		rc = store_q_ids(v->st, states[s], &ids, &n, err);
		for (i = 0; rc == VG_OK && i < n; i++)
			rc = recover_one(v, ids[i], err);
		free(ids);
	}
	return rc;
}

enum vg_err
quarantine_open(struct store *st, const char *state_dir, const char *key_file,
		int64_t restore_window, struct vault **out, struct vg_error *err)
{
	struct vault *v = calloc(1, sizeof(*v));
	enum vg_err rc;

	if (v == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	v->st = st;
	v->restore_window = restore_window;
	v->cipher = EVP_CIPHER_CTX_new();
	v->plain = malloc(2 * (size_t)QUARANTINE_CHUNK);
	v->sealed = malloc(QUARANTINE_CHUNK + TAG_LEN);
	if (v->cipher == NULL || v->plain == NULL || v->sealed == NULL) {
		quarantine_close(v);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	v->state_real = realpath(state_dir, NULL);
	rc = vault_key_load(v, state_dir, key_file, err);
	if (rc == VG_OK) {
		char *kp = key_file ? strdup(key_file) : vg_path_join(state_dir, "quarantine.key");

		v->key_real = kp ? realpath(kp, NULL) : NULL;
		free(kp);
	}
	if (rc == VG_OK)
		rc = store_vault_open(st, err);
	if (rc == VG_OK)
		rc = recover_all(v, err);
	if (rc == VG_OK)
		vault_clean_restores(v);
	if (rc != VG_OK) {
		quarantine_close(v);
		return rc;
	}
	*out = v;
	return VG_OK;
}

void
quarantine_close(struct vault *v)
{
	if (v == NULL)
		return;
	OPENSSL_cleanse(v->key, sizeof(v->key));
	EVP_CIPHER_CTX_free(v->cipher);
	free(v->state_real);
	free(v->key_real);
	hasher_release(&v->hash);
	if (v->plain)
		OPENSSL_cleanse(v->plain, 2 * (size_t)QUARANTINE_CHUNK);
	free(v->plain);
	free(v->sealed);
	free(v);
}

void
quarantine_recovered(const struct vault *v, int *finished, int *rolled_back)
{
	*finished = v->finished;
	*rolled_back = v->rolled_back;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	struct vg_ident x, y;

	vg_ident_from_stat(&x, a);
	vg_ident_from_stat(&y, b);
	return vg_ident_same(&x, &y);
}

/*
 * Where a file's chunks go. One chunk (up to QUARANTINE_CHUNK bytes): into vigil.db, with its
 * row, in one transaction: one WAL commit (one fsync), where a transaction of the vault file
 * costs three (journal, file, journal) and a staging commit more, which for small files
 * outweighs the WAL's second write of the chunk. Larger: into the vault file, written once.
 */
static int
chunks_in_vault_file(const struct stat *st)
{
	return st->st_size > (off_t)QUARANTINE_CHUNK;
}

/* The row of a new item for the open file. */
static void
item_for(struct store_qitem *q, const struct stat *st, const char *path, const char *threat,
	 int64_t scan_id)
{
	memset(q, 0, sizeof(*q));
	q->path = (char *)path;
	q->path_len = strlen(path);
	q->mode = st->st_mode & 07777;
	q->uid = st->st_uid;
	q->gid = st->st_gid;
	q->atime_ns = vg_timespec_ns(st->st_atim);
	q->mtime_ns = vg_timespec_ns(st->st_mtim);
	q->dev = (int64_t)st->st_dev;
	q->ino = (int64_t)st->st_ino;
	q->size = st->st_size;
	q->sha256 = (char *)"";
	q->threat = (char *)threat;
	q->scan_id = scan_id;
	q->chunk_size = QUARANTINE_CHUNK;
	q->chunks = st->st_size == 0 ? 1 : (st->st_size + QUARANTINE_CHUNK - 1) / QUARANTINE_CHUNK;
	q->chunk_file = chunks_in_vault_file(st);
	q->state = (char *)(q->chunk_file ? "staging" : "pending");
}

/* The row, with us as its owner, in vigil.db's open transaction; q->id receives its id. */
static enum vg_err
insert_item(struct vault *v, struct store_qitem *q, struct vg_error *err)
{
	enum vg_err rc = store_q_insert(v->st, q, &q->id, err);

	return rc == VG_OK ? owner_note(v, q->id, 1, err) : rc;
}

/* The length of piece idx of q. */
static size_t
piece_len(const struct store_qitem *q, int64_t idx)
{
	return idx == q->chunks - 1 ? (size_t)(q->size - idx * QUARANTINE_CHUNK) : QUARANTINE_CHUNK;
}

/*
 * The open file, encrypted, into the transaction the caller opened on the file that keeps
 * q's chunks, and the SHA-256 of what was read into hex.
 */
static enum vg_err
copy_chunks(struct vault *v, int fd, const struct store_qitem *q, const char *path, char hex[65],
	    struct vg_error *err)
{
	unsigned char nonce[NONCE_LEN];
	int64_t idx;
	enum vg_err rc = hasher_begin(&v->hash, q->chunks > 1, err);

	/* the hasher reads and hashes piece idx + 1 while piece idx is encrypted and stored */
	if (rc == VG_OK)
		hasher_read(&v->hash, fd, vault_piece(v, 0), piece_len(q, 0));
	for (idx = 0; rc == VG_OK && idx < q->chunks; idx++) {
		size_t want = piece_len(q, idx);
		int e = 0;
		ssize_t got = hasher_wait(&v->hash, &e);

		if (got < 0)
			rc = vg_error_set(err, VG_IO, "cannot read '%s': %s", path, strerror(e));
		else if ((size_t)got != want)
			rc = vg_error_set(err, VG_IO, "'%s' changed while it was read: left in place",
					  path);
		if (rc == VG_OK && idx + 1 < q->chunks)
			hasher_read(&v->hash, fd, vault_piece(v, idx + 1), piece_len(q, idx + 1));
		if (rc == VG_OK)
			rc = chunk_seal(v, q->id, idx, q->chunks, vault_piece(v, idx), want, nonce,
					v->sealed, err);
		if (rc == VG_OK)
			rc = store_q_chunk_put(v->st, q, idx, nonce, NONCE_LEN, v->sealed,
					       want + TAG_LEN, err);
		if (rc == VG_OK && (idx + 1) % (WRITEBACK_BYTES / QUARANTINE_CHUNK) == 0)
			store_vault_writeback(v->st);
	}
	if (rc == VG_OK && vg_read_full(fd, v->sealed, 1) != 0)
		rc = vg_error_set(err, VG_IO, "'%s' grew while it was read: left in place", path);
	if (rc == VG_OK)
		hasher_final(&v->hash, hex);
	else
		hasher_abandon(&v->hash);
	return rc;
}

/* A large file: staged in vigil.db, then its chunks in one transaction of the vault file
 * (all or nothing, durable at its commit); the item is left staging. */
static enum vg_err
copy_large(struct vault *v, int fd, struct store_qitem *q, const char *path, char hex[65],
	   struct vg_error *err)
{
	enum vg_err rc = store_begin(v->st, err);

	if (rc == VG_OK)
		rc = insert_item(v, q, err);
	if (rc == VG_OK)
		rc = store_commit(v->st, err);
	if (rc != VG_OK) {
		store_rollback(v->st);
		q->id = 0;
		return rc;
	}
	/* from here a crash leaves a staging row, which the next open drops */
	rc = store_vault_begin(v->st, err);
	if (rc == VG_OK)
		rc = copy_chunks(v, fd, q, path, hex, err);
	if (rc == VG_OK)
		rc = store_vault_commit(v->st, err);
	if (rc != VG_OK)
		store_vault_rollback(v->st);
	return rc;
}

/* A small file: row (pending), chunk and SHA-256 in one transaction of vigil.db. */
static enum vg_err
copy_small(struct vault *v, int fd, struct store_qitem *q, const char *path, char hex[65],
	   struct vg_error *err)
{
	enum vg_err rc = store_begin(v->st, err);

	if (rc == VG_OK)
		rc = insert_item(v, q, err);
	if (rc == VG_OK)
		rc = copy_chunks(v, fd, q, path, hex, err);
	if (rc == VG_OK)
		rc = store_q_set_sha256(v->st, q->id, hex, err);
	if (rc == VG_OK)
		rc = store_commit(v->st, err);
	if (rc != VG_OK) {
		store_rollback(v->st);
		q->id = 0; /* nothing was kept */
	}
	return rc;
}

/*
 * The copy before the original may go: the chunks committed, read back and authenticated,
 * and the item "pending" with its SHA-256. From there a complete, durable, verified copy
 * exists (finish_move removes the original). On failure nothing is kept: the original was
 * never touched.
 */
static enum vg_err
store_copy(struct vault *v, int fd, const struct stat *st, const char *path, const char *threat,
	   int64_t scan_id, int64_t *id, struct vg_error *err)
{
	struct store_qitem q;
	char hex[65];
	enum vg_err rc;

	item_for(&q, st, path, threat, scan_id);
	rc = q.chunk_file ? copy_large(v, fd, &q, path, hex, err)
			  : copy_small(v, fd, &q, path, hex, err);
	*id = q.id;
	if (rc != VG_OK && q.id == 0)
		return rc; /* nothing was written */
	if (rc == VG_OK)
		rc = vault_check(v, &q, err);
	if (rc == VG_OK && q.chunk_file) {
		rc = store_begin(v->st, err);
		if (rc == VG_OK)
			rc = store_q_set_sha256(v->st, q.id, hex, err);
		if (rc == VG_OK)
			rc = store_q_set_state(v->st, q.id, "pending", err);
		if (rc == VG_OK)
			rc = store_commit(v->st, err);
		if (rc != VG_OK)
			store_rollback(v->st);
	}
	if (rc != VG_OK)
		vault_retire(v, q.id, 0, NULL); /* if that fails too, the next open does it */
	return rc;
}

/*
 * The last step, under the store's write lock: the item must still be ours and pending, and
 * the file at the path must still be the one read; then the original goes and the item is
 * quarantined.
 */
static enum vg_err
finish_move(struct vault *v, int64_t id, int dfd, const char *base, int fd, const struct stat *read_st,
	    const char *path, int *unlinked, struct vg_error *err)
{
	struct store_qitem q;
	struct stat now_fd, now_path;
	enum vg_err rc = store_begin(v->st, err);

	if (rc != VG_OK)
		return rc;
	rc = store_q_get(v->st, id, &q, err);
	if (rc == VG_OK && strcmp(q.state, "pending") != 0)
		rc = vg_error_set(err, VG_IO, "quarantine item %lld changed under us", (long long)id);
	if (rc == VG_OK &&
	    (fstat(fd, &now_fd) != 0 || fstatat(dfd, base, &now_path, AT_SYMLINK_NOFOLLOW) != 0 ||
	     !same_file(read_st, &now_fd) || !same_file(read_st, &now_path)))
		rc = vg_error_set(err, VG_CHANGED, "'%s' changed while it was quarantined: left in "
				  "place", path);
	if (rc == VG_OK && unlinkat(dfd, base, 0) != 0)
		rc = vg_error_set(err, errno == EACCES || errno == EPERM || errno == EROFS ? VG_PERM
											  : VG_IO,
				  "cannot remove '%s': %s (left in place)", path, strerror(errno));
	if (rc == VG_OK) {
		*unlinked = 1;
		fsync(dfd);
		/* from here the vault copy is the only one: the pending row already says so */
		rc = store_q_set_state(v->st, id, "quarantined", err);
		if (rc == VG_OK)
			rc = owner_note(v, id, 0, err);
		if (rc == VG_OK)
			rc = store_commit(v->st, err);
		if (rc != VG_OK) {
			/* still pending, and complete: the next open of the vault finishes it */
			char why[sizeof(err->msg)];

			store_rollback(v->st);
			snprintf(why, sizeof(why), "%s", err ? vg_error_msg(err) : "store error");
			vg_error_init(err);
			rc = vg_error_set(err, rc, "'%s' is safe in the vault as item %lld, but it could "
					  "not be marked quarantined (%s); the next command that opens "
					  "the vault finishes it", path, (long long)id, why);
		}
	} else {
		store_rollback(v->st);
	}
	if (q.path)
		store_qitem_release(&q);
	return rc;
}

/*
 * Where base in folder dfd really is (the folder as the kernel names it, the name as it is),
 * and a refusal for anything inside the state folder or the key: quarantining the store or
 * the key would destroy the vault.
 */
static enum vg_err
canonical(struct vault *v, int dfd, const char *base, const char *shown, char **out,
	  struct vg_error *err)
{
	char *dir = vg_fd_path(dfd);

	if (dir == NULL)
		return vg_error_set(err, VG_IO, "cannot quarantine '%s': cannot name its folder: %s",
				    shown, strerror(errno));
	*out = vg_path_join(dir, base);
	free(dir);
	if (*out == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	if ((v->state_real && vg_path_within(*out, v->state_real)) ||
	    (v->key_real && strcmp(*out, v->key_real) == 0))
		return vg_error_set(err, VG_INVAL,
				    "cannot quarantine '%s': it is part of vigil's own state (the "
				    "store, the vault or its key)", *out);
	return VG_OK;
}

/*
 * The move of the open file fd, named base in folder dfd (both reached without following
 * untrusted links). expect: the identity the scan recorded (NULL: quarantine what fd is).
 * The copy comes from fd; the name is unlinked in dfd only while it still names fd's file.
 */
static enum vg_err
move_in(struct vault *v, int dfd, const char *base, int fd, const struct vg_ident *expect,
	const char *shown, const char *threat, int64_t scan_id, struct quarantine_done *done,
	struct vg_error *err)
{
	struct vg_ident now;
	struct stat st, after;
	char *real = NULL;
	int unlinked = 0;
	enum vg_err rc;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return vg_error_set(err, VG_INVAL, "cannot quarantine '%s': not a regular file", shown);
	memset(done, 0, sizeof(*done));
	vg_ident_from_stat(&now, &st);
	if (expect && !vg_ident_same(expect, &now))
		return vg_error_set(err, VG_CHANGED, "'%s' changed since it was scanned: not "
				    "quarantined (another file, or the same one modified)", shown);
	if (lseek(fd, 0, SEEK_SET) != 0)
		return vg_error_set(err, VG_IO, "cannot quarantine '%s': %s", shown, strerror(errno));
	rc = canonical(v, dfd, base, shown, &real, err);
	if (rc == VG_OK)
		rc = store_copy(v, fd, &st, real, threat, scan_id, &done->id, err);
	if (rc != VG_OK) {
		free(real);
		return rc;
	}
	rc = finish_move(v, done->id, dfd, base, fd, &st, real, &unlinked, err);
	if (rc != VG_OK && !unlinked)
		vault_retire(v, done->id, 0, NULL); /* the original is still there: the copy goes */
	if (unlinked && fstat(fd, &after) == 0) {
		done->links_left = (long)after.st_nlink;
		vg_ident_from_stat(&done->after, &after);
	}
	if (rc == VG_OK)
		vault_notify(v, "quarantined", done->id, NULL, NULL);
	free(real);
	return rc;
}

/* An error opening a name below a folder reached safely, for a file the scan recorded. */
static enum vg_err
reach_error(int e, const char *shown, struct vg_error *err)
{
	if (e == ELOOP || e == ENOTDIR || e == EXDEV || e == ENOENT)
		return vg_error_set(err, VG_CHANGED, "'%s' changed since it was scanned: not "
				    "quarantined (%s)", shown,
				    e == ENOENT ? "it is no longer there"
						: "a symbolic link now stands on the way (not followed)");
	return vg_error_set(err, e == EACCES || e == EPERM ? VG_PERM : VG_IO,
			    "cannot quarantine '%s': %s", shown, strerror(e));
}

static int
open_member(int dfd, const char *base)
{
	return openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

enum vg_err
quarantine_add(struct vault *v, const char *path, const char *threat, int64_t scan_id, int64_t *id,
	       long *links_left, struct vg_error *err)
{
	struct quarantine_done done = { 0 };
	char *abs = NULL;
	const char *base;
	int dfd = -1, fd = -1;
	enum vg_err rc = vg_path_absolute(path, &abs, err);

	if (rc != VG_OK)
		return rc;
	/* by hand: the path as root typed it, but no link another user could have planted */
	dfd = vg_reach_parent(abs, VG_REACH_TRUSTED_LINKS, "quarantine", &base, err);
	if (dfd < 0) {
		rc = err ? err->code : VG_IO;
		goto out;
	}
	fd = open_member(dfd, base);
	if (fd < 0) {
		rc = vg_error_set(err, errno == ENOENT ? VG_NOENT : errno == ELOOP ? VG_INVAL : VG_IO,
				  "cannot quarantine '%s': %s", abs,
				  errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		goto out;
	}
	rc = move_in(v, dfd, base, fd, NULL, abs, threat, scan_id, &done, err);
	*id = done.id;
	if (links_left)
		*links_left = done.links_left;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(abs);
	return rc;
}

enum vg_err
quarantine_add_scanned(struct vault *v, const char *path, size_t root_len,
		       const struct vg_ident *ident, const char *threat, int64_t scan_id,
		       struct quarantine_done *done, struct vg_error *err)
{
	size_t len = strlen(path);
	char *root = NULL, *parent = NULL;
	const char *rel, *base;
	int rfd = -1, dfd = -1, fd = -1;
	struct vg_error why;
	enum vg_err rc = VG_OK;

	vg_error_init(&why);

	if (path[0] != '/' || root_len == 0 || root_len >= len)
		return vg_error_set(err, VG_INVAL, "cannot quarantine '%s': its scan root is not "
				    "known", path);
	rel = path + root_len;
	while (*rel == '/')
		rel++;
	base = vg_path_basename(rel);
	if ((root = strndup(path, root_len)) == NULL ||
	    (parent = strndup(rel, (size_t)(base - rel))) == NULL) {
		rc = vg_error_set(err, VG_NOMEM, "out of memory");
		goto out;
	}
	/* the root as the scan reached it; below it, no symbolic link at all */
	rfd = vg_reach_dir(root, VG_REACH_TRUSTED_LINKS, "quarantine", &why);
	if (rfd < 0) {
		rc = why.code == VG_UNSAFE || why.code == VG_NOENT
			     ? vg_error_set(err, VG_CHANGED, "'%s' changed since it was scanned: not "
					    "quarantined (%s)", path, vg_error_msg(&why))
			     : vg_error_set(err, why.code, "%s", vg_error_msg(&why));
		goto out;
	}
	dfd = vg_reach_beneath(rfd, parent, O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		rc = reach_error(errno, path, err);
		goto out;
	}
	fd = open_member(dfd, base);
	if (fd < 0) {
		rc = reach_error(errno, path, err);
		goto out;
	}
	rc = move_in(v, dfd, base, fd, ident, path, threat, scan_id, done, err);
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (rfd >= 0)
		close(rfd);
	free(root);
	free(parent);
	return rc;
}

enum vg_err
quarantine_add_fd(struct vault *v, int fd, const struct vg_ident *ident, const char *threat,
		  int64_t scan_id, struct quarantine_done *done, struct vg_error *err)
{
	char *path = vg_fd_path(fd);
	const char *base;
	struct stat st;
	struct vg_error why;
	int dfd;
	enum vg_err rc;

	vg_error_init(&why);
	if (path == NULL)
		return vg_error_set(err, VG_IO, "cannot quarantine the file: its name cannot be "
				    "read: %s", strerror(errno));
	if (fstat(fd, &st) == 0 && st.st_nlink == 0) {
		rc = vg_error_set(err, VG_CHANGED, "'%s' changed since it was scanned: not "
				  "quarantined (it was deleted)", path);
		free(path);
		return rc;
	}
	/* the kernel's name for it has no link in it: follow none */
	dfd = vg_reach_parent(path, VG_REACH_NO_LINKS, "quarantine", &base, &why);
	if (dfd < 0) {
		rc = why.code == VG_UNSAFE || why.code == VG_NOENT
			     ? vg_error_set(err, VG_CHANGED, "'%s' changed since it was scanned: not "
					    "quarantined (%s)", path, vg_error_msg(&why))
			     : vg_error_set(err, why.code, "%s", vg_error_msg(&why));
		free(path);
		return rc;
	}
	rc = move_in(v, dfd, base, fd, ident, path, threat, scan_id, done, err);
	close(dfd);
	free(path);
	return rc;
}

const char *
quarantine_links_text(long n, char buf[64])
{
	if (n <= 0)
		return "";
	snprintf(buf, 64, " (%ld other link%s remain%s)", n, n == 1 ? "" : "s", n == 1 ? "s" : "");
	return buf;
}

enum vg_err
quarantine_list_json(struct vault *v, json_t **out, struct vg_error *err)
{
	return store_q_list_json(v->st, "quarantined", out, err);
}

enum vg_err
quarantine_remove(struct vault *v, int64_t id, struct vg_error *err)
{
	struct store_qitem q = { 0 };
	int deferred, known = v->notify.fn && store_q_get(v->st, id, &q, NULL) == VG_OK;
	enum vg_err rc = take_off_list(v, id, 1, &deferred, err);

	if (rc == VG_OK && known)
		vault_notify(v, "removed", id, &q, NULL);
	if (known)
		store_qitem_release(&q);
	if (rc != VG_OK || !deferred)
		return rc;
	rc = vault_retire_finish(v, id, 1, err);
	if (rc != VG_OK) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err ? vg_error_msg(err) : "store error");
		vg_error_init(err);
		rc = vg_error_set(err, rc, "quarantine item %lld is out of the list, but its chunks "
				  "are not deleted yet (%s); the next command that opens the vault "
				  "deletes them", (long long)id, why);
	}
	return rc;
}

enum vg_err
quarantine_expire(struct vault *v, int64_t days, int64_t *removed, struct vg_error *err)
{
	int64_t *ids = NULL;
	size_t n = 0, i;
	enum vg_err rc = VG_OK;

	*removed = 0;
	if (days <= 0)
		return VG_OK;
	rc = store_q_expired(v->st, days, &ids, &n, err);
	for (i = 0; rc == VG_OK && i < n; i++)
		if ((rc = quarantine_remove(v, ids[i], err)) == VG_OK)
			(*removed)++;
	free(ids);
	return rc;
}
