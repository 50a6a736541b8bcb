/*
 * core/statedir.h — trusting the state folder, and opening the files in it.
 *
 * vigil runs as root, and its state folder holds what decides a scan: the store, the
 * configuration, the compiled rules, the quarantine key, the logs. Whoever can write that
 * folder, or any folder on the way to it, can steer root's vigil. So the state folder is
 * trusted only when every folder from "/" down to it is owned by root or the effective user,
 * and no other user can write it: a folder on the way may be writable by others only when
 * it is sticky (as /tmp is), the state folder itself never. A symbolic link on the way is
 * followed only when root or the effective user owns it; its target is checked the same way.
 *
 * The files in the folder are opened without following a symbolic link, and refused when
 * they are not regular files owned by root or the effective user that only their owner can
 * write. Every refusal is VG_UNSAFE, with a message naming the folder or file, what is wrong
 * with it and the fix.
 */
#ifndef VIGIL_CORE_STATEDIR_H
#define VIGIL_CORE_STATEDIR_H

#include <stddef.h>
#include <sys/types.h>

#include "core/err.h"

/* Symbolic links followed on the way to the state folder before it is refused. */
#define VG_STATE_MAX_LINKS 40

/*
 * Check dir (made absolute first; need not be) and every folder on the way to it, as above.
 * VG_OK when it may be trusted; VG_NOENT when it or a folder on the way does not exist (a
 * caller that creates it checks again afterwards); VG_UNSAFE when it is refused; VG_INVAL
 * when something on the way is no folder.
 */
enum vg_err vg_state_dir_check(const char *dir, struct vg_error *err);

/*
 * Open state_dir/name with flags | O_NOFOLLOW | O_CLOEXEC (and mode, for O_CREAT), then
 * check the open file: a regular file, owned by root or the effective user, not writable by
 * group or others. Opening never blocks (a FIFO is refused, not waited for). Returns the
 * descriptor, or -1 with err set: VG_NOENT when it does not exist, VG_UNSAFE when refused
 * (a symbolic link is never followed), VG_IO otherwise. The folder itself is not checked
 * here: check it once with vg_state_dir_check.
 */
int vg_state_open(const char *state_dir, const char *name, int flags, mode_t mode,
		  struct vg_error *err);

/*
 * The same checks on a descriptor already open (path names it in messages): VG_OK, or
 * VG_UNSAFE.
 */
enum vg_err vg_state_fd_check(int fd, const char *path, struct vg_error *err);

/*
 * Check state_dir/name without opening it (lstat), for files another library opens by path
 * (SQLite's vigil.db, -wal, -shm): a missing file passes; a symbolic link, a file that is
 * not regular, owned by another user or writable by others is VG_UNSAFE.
 */
enum vg_err vg_state_file_check(const char *state_dir, const char *name, struct vg_error *err);

/*
 * Read the whole of state_dir/name (opened as vg_state_open does) of at most max bytes,
 * NUL-terminated (malloc'd; *len without the NUL). VG_NOENT when it does not exist,
 * VG_LIMIT when it is larger than max, VG_UNSAFE when refused.
 */
enum vg_err vg_state_read_file(const char *state_dir, const char *name, size_t max,
			       char **data, size_t *len, struct vg_error *err);

#endif
