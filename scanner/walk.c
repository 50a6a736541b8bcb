/*
 * scanner/walk.c — the directory walker: openat/fdopendir, depth first, streaming.
 *
 * Nothing is listed up front: each folder is read entry by entry and its files are pushed
 * to the bounded job queue, so memory follows the queue and the depth, not the tree.
 * Symbolic links below a root are never followed; FIFOs, sockets and device nodes are
 * never opened; pseudo file systems are not entered; a folder already on the way down
 * (a bind-mount loop) is not entered again.
 */
#include "scanner/scanner_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"
#include "core/pseudofs.h"

struct ancestor {
	dev_t dev;
	ino_t ino;
};

struct walk {
	struct scan_ctx *c;
	size_t root_len;	/* the root folder's length in every path below it */
	dev_t root_dev;
	struct ancestor *up;
	size_t n, cap;
};

struct dirref *
dirref_retain(struct dirref *d)
{
	atomic_fetch_add(&d->refs, 1);
	return d;
}

void
dirref_release(struct dirref *d)
{
	if (d != NULL && atomic_fetch_sub(&d->refs, 1) == 1) {
		close(d->fd);
		free(d);
	}
}

static struct dirref *
dirref_new(int fd)
{
	struct dirref *d = malloc(sizeof(*d));

	if (d == NULL) {
		close(fd);
		return NULL;
	}
	atomic_init(&d->refs, 1);
	d->fd = fd;
	return d;
}

void
scan_set_current(struct scan_ctx *c, const char *path)
{
	char *copy = strdup(path);

	pthread_mutex_lock(&c->cur_lock);
	free(c->current);
	c->current = copy;
	pthread_mutex_unlock(&c->cur_lock);
}

static int
excluded(struct scan_ctx *c, const char *path, int is_dir)
{
	if (scanner_excl_match(c->o->excl, path, is_dir, NULL)) {
		atomic_fetch_add(&c->excluded, 1);
		return 1;
	}
	return 0;
}

static void
push_job(struct scan_ctx *c, struct dirref *dir, char *path, size_t root_len)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		free(path);
		return;
	}
	j->dir = dir ? dirref_retain(dir) : NULL;
	j->path = path;
	j->root_len = root_len;
	if (queue_push(c->jobs, j) != 0) {
		dirref_release(j->dir);
		free(path);
		free(j);
	}
}

static int
open_dir_at(int dirfd, const char *name)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME;
	int fd = openat(dirfd, name, flags);

	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags & ~O_NOATIME);
	return fd;
}

static void walk_dir(struct walk *w, struct dirref *dir, const char *path);

/*
 * A file the scan cache says is unchanged since it was scanned clean is counted here, by its
 * name's lstat in the folder held open: no job, no open, no progress row. A worker that opens
 * a file checks the cache again (engine_read.c), for the files that changed in between.
 */
static int
cached(struct scan_ctx *c, int dirfd, const char *name)
{
	struct stat st;

	if (c->o->cache == NULL || c->o->inventory ||
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
	    !scanner_cache_hit(c->o->cache, &st))
		return 0;
	atomic_fetch_add(&c->files, 1);
	atomic_fetch_add(&c->cached, 1);
	return 1;
}

/* Enter the folder child (name in dir) if it is allowed; fd is open on it. */
static void
enter(struct walk *w, int fd, const char *child)
{
	struct scan_ctx *c = w->c;
	struct dirref *ref;
	struct stat st;
	size_t i;

	if (fstat(fd, &st) != 0) {
		scan_problem(c, child, NULL, 0, "error", "cannot read folder: %s", strerror(errno));
		close(fd);
		return;
	}
	if (w->n > 0 && st.st_dev != w->up[w->n - 1].dev) {
		if (w->c->o->one_filesystem || vg_pseudo_fs_fd(fd)) {
			close(fd);
			return;
		}
	}
	for (i = 0; i < w->n; i++) {
		if (w->up[i].dev == st.st_dev && w->up[i].ino == st.st_ino) {
			scan_problem(c, child, NULL, 0, "skipped",
				     "folder loop (the folder contains itself): not entered again");
			close(fd);
			return;
		}
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct ancestor *v = realloc(w->up, cap * sizeof(*v));

		if (v == NULL) {
			close(fd);
			return;
		}
		w->up = v;
		w->cap = cap;
	}
	w->up[w->n].dev = st.st_dev;
	w->up[w->n].ino = st.st_ino;
	w->n++;
	ref = dirref_new(fd);
	if (ref != NULL) {
		walk_dir(w, ref, child);
		dirref_release(ref);
	}
	w->n--;
}

static void
walk_dir(struct walk *w, struct dirref *dir, const char *path)
{
	struct scan_ctx *c = w->c;
	struct dirent *ent;
	int dfd = dup(dir->fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;

	if (d == NULL) {
		scan_problem(c, path, NULL, 0, "error", "cannot read folder: %s", strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return;
	}
	scan_set_current(c, path);
	for (;;) {
		unsigned char type;
		char *child;

		errno = 0;
		ent = readdir(d);
		if (ent == NULL) {
			if (errno != 0)
				scan_problem(c, path, NULL, 0, "error", "cannot read folder: %s",
					     strerror(errno));
			break;
		}
		if (scan_should_stop(c))
			break;
		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
			continue;
		type = ent->d_type;
		if (type == DT_UNKNOWN) {
			struct stat st;

			if (fstatat(dir->fd, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
		}
		if (type != DT_DIR && type != DT_REG)
			continue; /* links are not followed; special files are never opened */
		child = vg_path_join(path, ent->d_name);
		if (child == NULL)
			break;
		if (type == DT_REG) {
			if (excluded(c, child, 0)) {
				free(child);
			} else if (c->o->done && scanner_done_has(c->o->done, child, strlen(child))) {
				atomic_fetch_add(&c->resumed, 1); /* finished before the interruption */
				free(child);
			} else if (cached(c, dir->fd, ent->d_name)) {
				free(child);
			} else {
				push_job(c, dir, child, w->root_len);
			}
			continue;
		}
		if (!excluded(c, child, 1)) {
			int fd = open_dir_at(dir->fd, ent->d_name);

			if (fd >= 0)
				enter(w, fd, child);
			else if (errno == ENOENT)
				scan_problem(c, child, NULL, 0, "error", "vanished during the scan");
			else if (errno == ELOOP || errno == ENOTDIR)
				scan_problem(c, child, NULL, 0, "skipped",
					     "replaced during the scan: not followed");
			else
				scan_problem(c, child, NULL, 0, "error", "cannot open folder: %s",
					     strerror(errno));
		}
		free(child);
	}
	closedir(d);
}

void
walk_root(struct scan_ctx *c, const char *root)
{
	struct walk w = { .c = c };
	struct excl_match m;
	struct stat st;
	int fd;

	if (stat(root, &st) != 0) {
		scan_problem(c, root, NULL, 0, "error", "cannot scan: %s", strerror(errno));
		return;
	}
	if (scanner_excl_explain(c->o->excl, root, S_ISDIR(st.st_mode), &m)) {
		atomic_fetch_add(&c->excluded, 1);
		return;
	}
	if (S_ISREG(st.st_mode)) {
		char *p = strdup(root);
		const char *slash = strrchr(root, '/');

		/* a file given as a root: its folder is the root quarantine starts from */
		if (p)
			push_job(c, NULL, p, slash && slash > root ? (size_t)(slash - root) : 1);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		scan_problem(c, root, NULL, 0, "skipped",
			     "not a regular file or folder: not opened");
		return;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		scan_problem(c, root, NULL, 0, "error", "cannot open folder: %s", strerror(errno));
		return;
	}
	if (vg_pseudo_fs_fd(fd)) {
		scan_problem(c, root, NULL, 0, "skipped", "pseudo file system: not scanned");
		close(fd);
		return;
	}
	w.root_dev = st.st_dev;
	w.root_len = strlen(root);
	enter(&w, fd, root);
	free(w.up);
}
