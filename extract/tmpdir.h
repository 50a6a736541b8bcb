/*
 * extract/tmpdir.h — libclamav's private temporary folder, handled through descriptors.
 *
 * libclamav takes the folder as a path and writes its own files there. Either the folder is
 * the root of a private tmpfs (tmpdir_at_mount: it dies with the mount namespace), or, when
 * no namespace could be made, a per-process folder DIR/<pid> under vigil's --tmp-fallback
 * folder (tmpdir_fallback). Everything here walks with openat/unlinkat from descriptors and
 * O_NOFOLLOW, so a link planted inside the folder is removed, never followed.
 *
 * Calling sequence: tmpdir_at_mount or tmpdir_fallback once; tmpdir_empty after every
 * object; tmpdir_release at exit. Not thread-safe (the extractor has one thread).
 */
#ifndef VIGIL_EXTRACT_TMPDIR_H
#define VIGIL_EXTRACT_TMPDIR_H

#include <limits.h>
#include <stddef.h>

struct tmpdir {
	char path[PATH_MAX];	/* what libclamav is given */
	int fd;			/* the folder itself, or -1 */
	int parent_fd;		/* fallback only: DIR, to remove our folder at the end; else -1 */
	char name[24];		/* fallback only: our folder's name inside DIR (our pid) */
};

/* Sets *t to nothing open (fds -1), so tmpdir_release is safe on it. */
void tmpdir_init(struct tmpdir *t);

/* Uses the folder at path (a fresh private tmpfs). Returns 0, or -1 with errno. */
int tmpdir_at_mount(struct tmpdir *t, const char *path);

/*
 * Uses DIR/<pid>: DIR must be a folder owned by the effective uid and writable by nobody
 * else. Folders DIR/<n> whose process n no longer exists are removed first (never those of
 * a running process: another vigil may be using them). Returns 0, or -1 with the reason in
 * err.
 */
int tmpdir_fallback(struct tmpdir *t, const char *dir, char *err, size_t errlen);

/*
 * Removes DIR/<n> folders whose process n is gone, when DIR passes the same checks as for
 * tmpdir_fallback (silently does nothing otherwise): run at every start, so that folders of
 * extractors killed while in fallback mode do not pile up.
 */
void tmpdir_sweep(const char *dir);

/* Removes everything inside the folder (it stays). Returns 0, or -1 if something stayed. */
int tmpdir_empty(const struct tmpdir *t);

/* Empties the folder, removes our own DIR/<pid> in the fallback case, closes; safe twice. */
void tmpdir_release(struct tmpdir *t);

#endif
