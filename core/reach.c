/* core/reach.c — folders, files and outputs reached without following untrusted links. */
#include "core/reach.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/nstime.h"
#include "core/path.h"

#define MAX_LINKS 40

void
vg_ident_from_stat(struct vg_ident *id, const struct stat *st)
{
	id->dev = (int64_t)st->st_dev;
	id->ino = (int64_t)st->st_ino;
	id->size = (int64_t)st->st_size;
	id->mtime_ns = vg_timespec_ns(st->st_mtim);
	id->ctime_ns = vg_timespec_ns(st->st_ctim);
}

int
vg_ident_same(const struct vg_ident *a, const struct vg_ident *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

/* Owned by root or us, and writable by nobody else (the sticky bit does not help here). */
static int
trusted_owner(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == geteuid()) &&
	       !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* May the link name in folder dfd be followed? */
static int
link_trusted(int dfd, const char *name)
{
	struct stat d, l;

	return fstat(dfd, &d) == 0 && fstatat(dfd, name, &l, AT_SYMLINK_NOFOLLOW) == 0 &&
	       trusted_owner(&d) && (l.st_uid == 0 || l.st_uid == geteuid());
}

/* The first component of *rest (copied into comp), *rest advanced past it; 0 at the end. */
static int
next_component(const char **rest, char comp[NAME_MAX + 1])
{
	const char *p = *rest;
	size_t n;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return 0;
	n = strcspn(p, "/");
	*rest = p + n;
	if (n > NAME_MAX)
		return -1; /* as openat would say: ENAMETOOLONG */
	memcpy(comp, p, n);
	comp[n] = '\0';
	return 1;
}

/* The folder reached, opened for reading where we may (fsync, listing), else as it is. */
static int
reopen_readable(int fd)
{
	int r = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (r < 0)
		return fd;
	close(fd);
	return r;
}

int
vg_reach_dir(const char *path, int flags, const char *what, struct vg_error *err)
{
	char *abs = NULL, *work = NULL, comp[NAME_MAX + 1];
	const char *rest;
	int fd, links = 0, r;

	if (vg_path_absolute(path, &abs, err) != VG_OK)
		return -1;
	work = abs;
	rest = work;
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		vg_error_set(err, VG_IO, "cannot %s '%s': cannot open '/': %s", what, abs,
			     strerror(errno));
		goto fail;
	}
	while ((r = next_component(&rest, comp)) != 0) {
		int next;

		if (r < 0) {
			errno = ENAMETOOLONG;
			goto oserr;
		}
		/* O_PATH: passing through needs search permission only, as for any path */
		next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next >= 0) {
			close(fd);
			fd = next;
			continue;
		}
		if (errno == ELOOP || errno == ENOTDIR) {
			struct stat l;
			char target[PATH_MAX], *joined;
			ssize_t n;

			if (fstatat(fd, comp, &l, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(l.st_mode)) {
				errno = ENOTDIR;
				goto oserr;
			}
			if (!(flags & VG_REACH_TRUSTED_LINKS) || !link_trusted(fd, comp) ||
			    ++links > MAX_LINKS) {
				vg_error_set(err, VG_UNSAFE, "cannot %s '%s': '%s', a folder on the "
					     "way, is a symbolic link%s (not followed)", what, abs, comp,
					     (flags & VG_REACH_TRUSTED_LINKS)
						     ? " that another user could have planted" : "");
				goto fail;
			}
			n = readlinkat(fd, comp, target, sizeof(target) - 1);
			if (n < 0)
				goto oserr;
			target[n] = '\0';
			/* go on with the link's target, then what followed the link */
			if (asprintf(&joined, "%s/%s", target, rest) < 0) {
				vg_error_set(err, VG_NOMEM, "out of memory");
				goto fail;
			}
			if (work != abs)
				free(work);
			work = joined;
			rest = work;
			if (target[0] == '/') {
				close(fd);
				fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (fd < 0)
					goto oserr;
			}
			continue;
		}
		goto oserr;
	}
	if (work != abs)
		free(work);
	free(abs);
	return reopen_readable(fd);
oserr:
	{
		int e = errno;

		vg_error_set(err, e == ENOENT ? VG_NOENT : e == EACCES ? VG_PERM : VG_IO,
			     "cannot %s '%s': %s", what, abs,
			     e == ENOTDIR ? "a part of the path is not a folder" : strerror(e));
	}
fail:
	if (fd >= 0)
		close(fd);
	if (work != abs)
		free(work);
	free(abs);
	return -1;
}

/* One component at a time: for names longer than openat2 takes. */
static int
beneath_walk(int dirfd, const char *rel, int oflags)
{
	char comp[NAME_MAX + 1];
	const char *rest = rel;
	int fd = dup(dirfd), r;

	if (fd < 0)
		return -1;
	while ((r = next_component(&rest, comp)) != 0) {
		const char *after = rest;
		int last, next;

		while (*after == '/')
			after++;
		last = *after == '\0';
		if (r < 0 || strcmp(comp, "..") == 0) {
			close(fd);
			errno = r < 0 ? ENAMETOOLONG : EXDEV;
			return -1;
		}
		if (strcmp(comp, ".") == 0 && !last)
			continue;
		next = last ? openat(fd, comp, oflags | O_NOFOLLOW | O_CLOEXEC, 0)
			    : openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int e = errno;

			close(fd);
			errno = !last && e == ENOTDIR ? ELOOP : e;
			return -1;
		}
		close(fd);
		fd = next;
		if (last)
			return fd;
	}
	return fd; /* rel was empty: the folder itself */
}

int
vg_reach_beneath(int dirfd, const char *rel, int oflags)
{
	struct open_how how = {
		.flags = (uint64_t)(oflags | O_NOFOLLOW | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (strlen(rel) < PATH_MAX) {
		fd = syscall(SYS_openat2, dirfd, rel[0] ? rel : ".", &how, sizeof(how));
		if (fd >= 0 || (errno != ENAMETOOLONG && errno != ENOSYS))
			return (int)fd;
	}
	return beneath_walk(dirfd, rel, oflags);
}

int
vg_reach_in_root(int rootfd, const char *rel, int oflags)
{
	struct open_how how = {
		.flags = (uint64_t)(oflags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, rel[0] ? rel : ".", &how, sizeof(how));
}

int
vg_reach_parent(const char *path, int flags, const char *what, const char **base,
		struct vg_error *err)
{
	const char *b = vg_path_basename(path);
	char *dir;
	int fd;

	if (path[0] != '/' || b[0] == '\0' || strcmp(b, ".") == 0 || strcmp(b, "..") == 0) {
		vg_error_set(err, VG_INVAL, "cannot %s '%s': not a file name", what, path);
		return -1;
	}
	dir = strndup(path, (size_t)(b - path));
	if (dir == NULL) {
		vg_error_set(err, VG_NOMEM, "out of memory");
		return -1;
	}
	fd = vg_reach_dir(dir, flags, what, err);
	free(dir);
	if (fd >= 0)
		*base = b;
	return fd;
}

/*
 * /proc/self/fd/N gives at most PATH_MAX bytes. Longer paths: map one page of the file and
 * read the mapping's name from /proc/self/maps, which has no such limit (a newline in a
 * name is shown there as \012, so such a name cannot be told apart and is not returned).
 */
static char *
path_from_maps(int fd)
{
	void *m = mmap(NULL, 1, PROT_READ, MAP_SHARED, fd, 0);
	char key[64], *line = NULL, *found = NULL;
	size_t cap = 0;
	FILE *f;

	if (m == MAP_FAILED && errno == EACCES) {
		/* open for writing only: a reading descriptor of the same file maps */
		int rfd;

		snprintf(key, sizeof(key), "/proc/self/fd/%d", fd);
		rfd = open(key, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (rfd >= 0) {
			m = mmap(NULL, 1, PROT_READ, MAP_SHARED, rfd, 0);
			close(rfd);
		}
	}
	if (m == MAP_FAILED)
		return NULL;
	snprintf(key, sizeof(key), "%lx-", (unsigned long)m);
	f = fopen("/proc/self/maps", "re");
	while (f && getline(&line, &cap, f) > 0) {
		char *p = line;
		int field;

		if (strncmp(line, key, strlen(key)) != 0)
			continue;
		for (field = 0; field < 5 && p; field++) { /* range perms offset dev inode */
			p = strchr(p, ' ');
			while (p && *p == ' ')
				p++;
		}
		if (p && *p == '/') {
			p[strcspn(p, "\n")] = '\0';
			if (strstr(p, "\\012") == NULL)
				found = strdup(p);
		}
		break;
	}
	if (f)
		fclose(f);
	free(line);
	munmap(m, 1);
	if (found == NULL)
		errno = ENAMETOOLONG;
	return found;
}

/*
 * A folder's path of any length: up through "..", finding each folder's name in its parent
 * by device and inode (as getcwd does), without changing the working folder.
 */
static char *
dir_path_walk(int fd)
{
	char *path = strdup(""), *np;
	int cur = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	while (path && cur >= 0) {
		struct stat me, up, e;
		struct dirent *ent;
		int parent, found = 0;
		DIR *d;

		parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0 || fstat(cur, &me) != 0 || fstat(parent, &up) != 0)
			break;
		if (me.st_dev == up.st_dev && me.st_ino == up.st_ino) { /* "/" */
			close(parent);
			close(cur);
			if (path[0] == '\0') {
				free(path);
				return strdup("/");
			}
			return path;
		}
		d = fdopendir(fcntl(parent, F_DUPFD_CLOEXEC, 0));
		while (d && (ent = readdir(d)) != NULL) {
			if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0 ||
			    fstatat(parent, ent->d_name, &e, AT_SYMLINK_NOFOLLOW) != 0 ||
			    e.st_dev != me.st_dev || e.st_ino != me.st_ino)
				continue;
			found = asprintf(&np, "/%s%s", ent->d_name, path) >= 0;
			break;
		}
		if (d)
			closedir(d);
		close(cur);
		cur = parent;
		if (!found)
			break;
		free(path);
		path = np;
	}
	if (cur >= 0)
		close(cur);
	free(path);
	errno = ENAMETOOLONG;
	return NULL;
}

char *
vg_fd_path(int fd)
{
	char link[64], buf[PATH_MAX + 1];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n >= 0 && (size_t)n < sizeof(buf) - 1) {
		buf[n] = '\0';
		return strdup(buf);
	}
	if (n >= 0 || errno == ENAMETOOLONG) {
		struct stat st;

		if (fstat(fd, &st) != 0)
			return NULL;
		if (S_ISDIR(st.st_mode))
			return dir_path_walk(fd);
		if (S_ISREG(st.st_mode))
			return path_from_maps(fd);
		errno = ENAMETOOLONG;
		return NULL;
	}
	return NULL;
}

/* ---- new files ---- */

const char *
vg_file_kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" :
	       S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" :
	       S_ISDIR(m) ? "a folder" : "not a regular file";
}

static void
out_release(struct vg_out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->dfd >= 0)
		close(o->dfd);
	free(o->tmp);
	free(o->base);
	free(o->path);
	o->fd = o->dfd = -1;
	o->tmp = o->base = o->path = NULL;
}

enum vg_err
vg_out_create(const char *path, mode_t mode, struct vg_out *o, struct vg_error *err)
{
	unsigned char rnd[8];
	const char *base;
	struct stat st;
	enum vg_err rc;

	o->fd = o->dfd = -1;
	o->tmp = o->base = o->path = NULL;
	rc = vg_path_absolute(path, &o->path, err);
	if (rc != VG_OK)
		return rc;
	o->dfd = vg_reach_parent(o->path, VG_REACH_TRUSTED_LINKS, "write", &base, err);
	if (o->dfd < 0) {
		rc = err ? err->code : VG_IO;
		out_release(o);
		return rc;
	}
	if (fstatat(o->dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISLNK(st.st_mode)) {
		rc = vg_error_set(err, VG_INVAL, "cannot write '%s': it is %s, not a file (name a "
				  "new file, or '-' for standard output)", o->path,
				  vg_file_kind(st.st_mode));
		out_release(o);
		return rc;
	}
	if ((o->base = strdup(base)) == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    asprintf(&o->tmp, ".vigil-%02x%02x%02x%02x%02x%02x%02x%02x.tmp", rnd[0], rnd[1],
		     rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]) < 0) {
		o->tmp = NULL;
		out_release(o);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	o->fd = openat(o->dfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (o->fd < 0 || fchmod(o->fd, mode & 07777) != 0) {
		int e = errno;

		rc = vg_error_set(err, e == EACCES || e == EPERM || e == EROFS ? VG_PERM : VG_IO,
				  "cannot write '%s': %s", o->path, strerror(e));
		vg_out_abort(o);
		return rc;
	}
	return VG_OK;
}

enum vg_err
vg_out_commit(struct vg_out *o, int noreplace, struct vg_error *err)
{
	enum vg_err rc = VG_OK;
	int fd = o->fd;

	o->fd = -1;
	if (fsync(fd) != 0) {
		rc = vg_error_set(err, VG_IO, "cannot write '%s': %s", o->path, strerror(errno));
		close(fd);
	} else if (close(fd) != 0) {
		rc = vg_error_set(err, VG_IO, "cannot write '%s': %s", o->path, strerror(errno));
	} else if (renameat2(o->dfd, o->tmp, o->dfd, o->base, noreplace ? RENAME_NOREPLACE : 0) !=
		   0) {
		int e = errno;

		rc = vg_error_set(err, e == EEXIST ? VG_EXISTS : VG_IO, "cannot write '%s': %s",
				  o->path, e == EEXIST ? "it already exists" : strerror(e));
	}
	if (rc != VG_OK) {
		vg_out_abort(o);
		return rc;
	}
	fsync(o->dfd);
	out_release(o);
	return VG_OK;
}

void
vg_out_abort(struct vg_out *o)
{
	if (o->dfd >= 0 && o->tmp)
		unlinkat(o->dfd, o->tmp, 0);
	out_release(o);
}
