/*
 * core/path.h — path helpers shared by every module.
 *
 * Paths are byte strings (a file name may be any bytes but '/' and NUL); nothing here
 * assumes UTF-8. Functions returning char * return a malloc'd string the caller frees,
 * or NULL when out of memory.
 */
#ifndef VIGIL_CORE_PATH_H
#define VIGIL_CORE_PATH_H

#include <sys/types.h>

#include "core/err.h"

/* Lexically absolute and normalised ("//", ".", ".." folded); symlinks are not resolved. */
enum vg_err vg_path_absolute(const char *in, char **out, struct vg_error *err);

/* The last component of p (a pointer into p); "" for "/". */
const char *vg_path_basename(const char *p);

/* The extension of a base name without the dot, or NULL ("a.tar.gz" gives "gz", ".bashrc" NULL). */
const char *vg_path_ext(const char *base);

/* dir + "/" + name, without doubling a trailing slash. */
char *vg_path_join(const char *dir, const char *name);

/* True when path equals prefix or lies below it (prefix is a normalised absolute path). */
int vg_path_within(const char *path, const char *prefix);

/* Create dir and its parents with mode (existing folders are left as they are). */
enum vg_err vg_mkdir_p(const char *dir, mode_t mode, struct vg_error *err);

/*
 * The default state folder: $VIGIL_STATE_DIR, else /var/lib/vigil for root, else
 * $XDG_STATE_HOME/vigil or ~/.local/state/vigil.
 */
char *vg_default_state_dir(void);

/*
 * Read want bytes from fd at its position, fewer only at end of file; retries EINTR.
 * Returns the bytes read, or -1 with errno on an error.
 */
ssize_t vg_read_full(int fd, void *buf, size_t want);
/* Write all of buf (retrying short writes and EINTR); 0, or -1 with errno set. */
int vg_write_full(int fd, const void *buf, size_t len);

/*
 * A whole regular file of at most max bytes, NUL-terminated (malloc'd; *len without the NUL).
 * VG_NOENT when it does not exist, VG_INVAL when it is no regular file or too large.
 */
enum vg_err vg_read_file(const char *path, size_t max, char **data, size_t *len,
			 struct vg_error *err);

/* The SHA-256 of what is left to read on fd (name for messages). */
enum vg_err vg_sha256_fd(int fd, const char *name, char hex[65], struct vg_error *err);

/* The SHA-256 of a file's content, lower-case hex (streamed: any size). */
enum vg_err vg_sha256_file(const char *path, char hex[65], struct vg_error *err);

/*
 * Write data to path atomically through vg_out (core/reach.h): a new temporary file beside it
 * (O_EXCL|O_NOFOLLOW, mode set first), fsync, rename; never through a link or a device.
 */
enum vg_err vg_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
				 struct vg_error *err);

#endif
