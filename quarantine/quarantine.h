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
 * Storage. A file's bytes live only encrypted, in the store, as AES-256-GCM chunks of
 * QUARANTINE_CHUNK bytes. Each chunk has its own random 96-bit nonce, and its associated
 * data binds the item id, the chunk index and the chunk count, so chunks cannot be swapped,
 * dropped or reordered unnoticed. Memory stays at a few chunks whatever the file size.
 *
 * Key. 32 random bytes, <state-dir>/quarantine.key (created 0600 on first use) or a
 * key file given by the caller. A key or state folder that others may read is refused. The
 * store remembers an identifier of the key (a hash), so a wrong key is refused before
 * anything is decrypted or written.
 *
 * The move is crash-safe. The item is committed as "pending" together with all its chunks,
 * read back and verified, and only then is the original unlinked, and only if it is still the
 * file that was read (same device, inode, size and modification time); then the item
 * becomes "quarantined". quarantine_open finishes a pending item whose original is gone and
 * rolls back one whose original is still there: at every instant one complete copy exists.
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

/* How many pending items quarantine_open finished and rolled back. */
void quarantine_recovered(const struct vault *v, int *finished, int *rolled_back);

/*
 * Move the regular file at path into the vault. threat and scan_id (0: none) are recorded.
 * The original is removed only once the vault holds a verified copy; a file that changes
 * while it is read is left in place (VG_IO, nothing kept).
 */
enum vg_err quarantine_add(struct vault *v, const char *path, const char *threat, int64_t scan_id,
			   int64_t *id, struct vg_error *err);

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
