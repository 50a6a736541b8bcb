/*
 * core/reach.h — reaching paths that other users may control, safely: the one module that
 * opens a folder, a file or an output by a path that an untrusted tree can influence.
 *
 * vigil runs as root over folders that other users can write. Between the moment a path
 * was looked at and the moment it is used, such a user can rename a folder away and put a
 * symbolic link in its place. So:
 *
 *	fd = vg_reach_dir("/home/u/out", VG_REACH_TRUSTED_LINKS, &err);  a folder, from "/",
 *	                      one component at a time; links only where no other user could
 *	                      have planted them
 *	fd = vg_reach_beneath(root_fd, "a/b/c", O_RDONLY, &err);  below a folder already
 *	                      reached, following no link at all
 *	vg_out_create("/home/u/out/r.json", 0600, &o, &err);  a new file beside the target,
 *	vg_out_commit(&o, 0, &err);                         O_EXCL|O_NOFOLLOW, mode set
 *	                      before any byte, renamed into place; never written through a
 *	                      link, a FIFO or a device
 *
 * and an object that was scanned is acted on only while its identity (struct vg_ident)
 * is the one recorded when it was read.
 *
 * A link is trusted when it is owned by root or the effective user and sits in a folder
 * that only root or the effective user can write (the sticky bit does not count: anyone
 * may create links in /tmp). Errors name the path and the reason.
 */
#ifndef VIGIL_CORE_REACH_H
#define VIGIL_CORE_REACH_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/err.h"

/* ---- identity of a file: the object, not its name ---- */

struct vg_ident {
	int64_t dev, ino, size, mtime_ns, ctime_ns;
};

void vg_ident_from_stat(struct vg_ident *id, const struct stat *st);
/* Same device, inode, size, mtime and ctime (nanoseconds)? */
int vg_ident_same(const struct vg_ident *a, const struct vg_ident *b);

/* ---- folders and files ---- */

enum vg_reach_flags {
	VG_REACH_NO_LINKS = 0,		/* follow no symbolic link anywhere */
	VG_REACH_TRUSTED_LINKS = 1 << 0,	/* follow links only where no other user can plant them */
};

/*
 * Open folder path (made absolute lexically) from "/", one component at a time, with
 * O_NOFOLLOW, following links only as flags allow. Returns an O_RDONLY|O_DIRECTORY
 * descriptor, or -1 with err set: VG_NOENT (missing), VG_UNSAFE (a link not followed),
 * VG_IO (not a folder, no permission, ...). what names the purpose in messages ("write
 * the report", "quarantine").
 */
int vg_reach_dir(const char *path, int flags, const char *what, struct vg_error *err);

/*
 * Open rel (relative; no "..") below dirfd, following no symbolic link on the way or at
 * the end (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, and a component walk for names
 * longer than PATH_MAX). oflags as for openat; O_NOFOLLOW and O_CLOEXEC are added.
 * Returns the descriptor or -1 with errno set (ELOOP for a link on the way).
 */
int vg_reach_beneath(int dirfd, const char *rel, int oflags);

/*
 * Open rel inside the folder rootfd as a system booted from it would: ".." and absolute
 * links stay inside it (openat2 RESOLVE_IN_ROOT, no /proc magic links). For evidence
 * mounted at rootfd. -1 with errno on failure.
 */
int vg_reach_in_root(int rootfd, const char *rel, int oflags);

/*
 * Split an absolute path into its folder, opened with vg_reach_dir(flags), and its last
 * component (*base points into path). -1 with err set on failure, or when path has no
 * last component.
 */
int vg_reach_parent(const char *path, int flags, const char *what, const char **base,
		    struct vg_error *err);

/* The path of an open descriptor, of any length (malloc'd), or NULL with errno set. */
char *vg_fd_path(int fd);

/* ---- new files ---- */

/* "a FIFO", "a block device", "a folder", ... for messages about what is not a file. */
const char *vg_file_kind(mode_t m);

/*
 * A file being written: created as a temporary name in the target's folder (reached with
 * VG_REACH_TRUSTED_LINKS), O_CREAT|O_EXCL|O_NOFOLLOW, with its mode set before anything
 * is written, then renamed over the target by vg_out_commit. A target that exists and is
 * not a regular file or a symbolic link (a FIFO, a device, a folder) is refused; a link at
 * the target is replaced, never followed.
 */
struct vg_out {
	int fd;		/* write here */
	int dfd;
	char *tmp;	/* the temporary name in dfd */
	char *base;	/* the target's name in dfd */
	char *path;	/* the target, absolute (for messages) */
};

enum vg_err vg_out_create(const char *path, mode_t mode, struct vg_out *o, struct vg_error *err);
/* fsync, close, rename into place (noreplace: fail with VG_EXISTS when the target exists),
 * fsync the folder. The vg_out is released either way. */
enum vg_err vg_out_commit(struct vg_out *o, int noreplace, struct vg_error *err);
/* Remove the temporary file and release (safe on a released or zeroed vg_out). */
void vg_out_abort(struct vg_out *o);

#endif
