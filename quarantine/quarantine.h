/*
 * quarantine/quarantine.h — the encrypted vault: files moved into the store, restored, removed
 * and exported, with nothing ever lost.
 *
 *	quarantine_open(st, state_dir, key_file, &v, &err);   key checks, then pending items
 *	                                                       are finished or rolled back
 *	quarantine_add(v, "/srv/www/shell.php", "Webshell", scan_id, &id, &err);
 *	quarantine_restore(v, id, NULL, 0, &where, &err);     back to where it was
 *	quarantine_close(v);
 *
 * Storage. A file's bytes live only encrypted, as AES-256-GCM chunks of QUARANTINE_CHUNK
 * bytes in the vault file <state-dir>/vault.db (core/store.h: a second SQLite file with a
 * rollback journal, so that each byte is written once); the item's row (path, metadata,
 * SHA-256, state) is in vigil.db. A file of one chunk keeps it in vigil.db, beside its row
 * (one WAL commit costs less than a second file's), as do items quarantined before the vault
 * file existed. Each chunk has its own random 96-bit nonce,
 * and its associated data binds the item id, the chunk index and the chunk count, so chunks
 * cannot be swapped, dropped or reordered unnoticed. Memory stays at a few chunks whatever
 * the file size; the SHA-256 is computed on a second thread for files of several chunks.
 *
 * Key. 32 random bytes, <state-dir>/quarantine.key (created 0600 on first use) or a
 * key file given by the caller. A key or state folder that others may read is refused. The
 * store remembers an identifier of the key (a hash), so a wrong key is refused before
 * anything is decrypted or written.
 *
 * The move is crash-safe. A file of one chunk: row ("pending"), chunk and SHA-256 in one
 * transaction, read back and authenticated, then as below from the unlink. A larger one,
 * across the two files, through the item's state in vigil.db:
 *   staging      committed before any chunk is written; the original is never touched
 *   (chunks)     all chunks in one transaction of the vault file, durable at its commit,
 *                then read back and authenticated
 *   pending      with the SHA-256; a complete, verified copy exists
 *   (unlink)     the original, only if it is still the file that was read (same device,
 *                inode, size and modification time)
 *   quarantined
 * and on the way out (remove, restore, a roll-back): removing, then the chunks are deleted,
 * then the row (chunks in vigil.db go with their row at once). quarantine_open drops a staging item, finishes a removing one, finishes a
 * pending item whose original is gone and rolls back one whose original is still there
 * (leaving alone items a live vigil is moving): at every instant one complete copy exists.
 *
 * Restore decrypts into a new temporary file (O_EXCL, 0600) in the destination folder,
 * verifies the SHA-256, fsyncs, sets mode, owner and times, and renames it into place
 * (without --force, with RENAME_NOREPLACE). Folders on the way are opened without following
 * symbolic links. The restored file's SHA-256 goes on the allow list for
 * threat_restoration_exclusion_time seconds, and the item leaves the vault.
 *
 * A vault handle is used by one thread at a time. Errors name the item and the reason.
 */
#ifndef VIGIL_QUARANTINE_QUARANTINE_H
#define VIGIL_QUARANTINE_QUARANTINE_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "core/reach.h"
#include "core/store.h"

#define QUARANTINE_CHUNK (1u << 20)

struct vault;

/*
 * Open the vault of st. key_file NULL means <state_dir>/quarantine.key (created when the vault
 * has never had a key). restore_window is the seconds a restored file stays allowed.
 */
enum vg_err quarantine_open(struct store *st, const char *state_dir, const char *key_file,
			    int64_t restore_window, struct vault **out, struct vg_error *err);
void quarantine_close(struct vault *v);

/*
 * Told of each item that entered the vault ("quarantined"), was restored (restored_to: where)
 * or removed ("removed", also by quarantine_expire), once it is done (syslog:
 * fleet/syslog.h). q is borrowed for the call.
 */
struct quarantine_notify {
	void (*fn)(void *ctx, const char *what, const struct store_qitem *q,
		   const char *restored_to);
	void *ctx;
};
/* From now on (n copied; NULL or n->fn NULL: nobody is told). */
void quarantine_set_notify(struct vault *v, const struct quarantine_notify *n);

/* How many pending items quarantine_open finished and rolled back. */
void quarantine_recovered(const struct vault *v, int *finished, int *rolled_back);

/*
 * Move the regular file at path (given by hand) into the vault. threat and scan_id (0:
 * none) are recorded. The folder is reached from "/" without following a link that another
 * user could have planted (core/reach.h), the file with O_NOFOLLOW; the copy is read from
 * that descriptor, and the name is unlinked in that folder only while it still names the
 * file read (device, inode, size, mtime, ctime), and only once the vault holds a verified
 * copy. A file that changes meanwhile is left in place (VG_CHANGED, nothing kept).
 * *links_left (may be NULL) receives how many other hard links to the file remain: its
 * content is still reachable through them.
 */
enum vg_err quarantine_add(struct vault *v, const char *path, const char *threat, int64_t scan_id,
			   int64_t *id, long *links_left, struct vg_error *err);

/* What a move did: the item, the other hard links left, and the file's identity after the
 * unlink (its ctime moved): the one to expect for another of its names. */
struct quarantine_done {
	int64_t id;
	long links_left;
	struct vg_ident after;
};

/*
 * The same for a file a scan detected: path's first root_len bytes are its scan root, which
 * is reached as by hand; below it no symbolic link is followed at all, and the file must be
 * the object the scan read (ident). Anything else is VG_CHANGED, "changed since it was
 * scanned: not quarantined", and nothing moves.
 */
enum vg_err quarantine_add_scanned(struct vault *v, const char *path, size_t root_len,
				   const struct vg_ident *ident, const char *threat, int64_t scan_id,
				   struct quarantine_done *done, struct vg_error *err);

/*
 * The same from an open descriptor (real-time protection: the one fanotify delivered, at
 * any offset). Its name is the kernel's (/proc/self/fd, of any length); the folder is
 * reached without following any link, and the name unlinked only while it names fd's file.
 * ident (may be NULL) is what the scan read.
 */
enum vg_err quarantine_add_fd(struct vault *v, int fd, const struct vg_ident *ident,
			      const char *threat, int64_t scan_id, struct quarantine_done *done,
			      struct vg_error *err);

/*
 * " (2 other links remain)" for n other hard links (n > 0), "" for none: the content is
 * still reachable through them, which whoever quarantined it should know.
 */
const char *quarantine_links_text(long n, char buf[64]);

/* [{id, path, threat, sha256, size, quarantined_at, ...}] of the quarantined items. */
enum vg_err quarantine_list_json(struct vault *v, json_t **out, struct vg_error *err);

/*
 * Restore item id to dest (NULL: its original path). An existing dest is replaced only with
 * force. *where (may be NULL) receives the path written (malloc'd).
 */
enum vg_err quarantine_restore(struct vault *v, int64_t id, const char *dest, int force,
			       char **where, struct vg_error *err);

/* Delete item id and its chunks (the store overwrites deleted content). */
enum vg_err quarantine_remove(struct vault *v, int64_t id, struct vg_error *err);

/*
 * Write item id into a new AES-256 encrypted zip at out (which must not exist), holding
 * "<sha256>.bin" and "metadata.json", with password (NULL: "infected").
 */
enum vg_err quarantine_export(struct vault *v, int64_t id, const char *out, const char *password,
			      struct vg_error *err);

/* Remove items quarantined more than days ago; *removed counts them. */
enum vg_err quarantine_expire(struct vault *v, int64_t days, int64_t *removed,
			      struct vg_error *err);

#endif
