/* core/statedir.c — trusting the state folder, and opening the files in it. */
#include "core/statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"

static int
trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* cur + "/" + name (cur is absolute), or NULL. */
static char *
child_of(const char *cur, const char *name, size_t n)
{
	char *p;

	if (asprintf(&p, "%s/%.*s", strcmp(cur, "/") == 0 ? "" : cur, (int)n, name) < 0)
		return NULL;
	return p;
}

/*
 * A folder on the way (final: the state folder itself, stricter). abs is the state folder
 * as given (made absolute), path the folder checked.
 */
static enum vg_err
check_folder(const char *abs, const char *path, const struct stat *sb, int final,
	     struct vg_error *err)
{
	unsigned mode = (unsigned)(sb->st_mode & 07777);
	int self = final && strcmp(abs, path) == 0;

	if (!trusted_owner(sb->st_uid)) {
		if (self)
			return vg_error_set(err, VG_UNSAFE, "state folder '%s' is refused: it is "
					    "owned by uid %u, not by root or you (chown root '%s', or "
					    "use another folder)", abs, (unsigned)sb->st_uid, path);
		return vg_error_set(err, VG_UNSAFE, "state folder '%s' is refused: the folder '%s' "
				    "%s is owned by uid %u, not by root or you (chown root '%s', or "
				    "use another folder)", abs, path, final ? "it leads to" : "on the way",
				    (unsigned)sb->st_uid, path);
	}
	if (!(sb->st_mode & (S_IWGRP | S_IWOTH)))
		return VG_OK;
	if (final) {
		if (self)
			return vg_error_set(err, VG_UNSAFE, "state folder '%s' is refused: others "
					    "can write it (mode %04o), only its owner may (chmod go-w "
					    "'%s', or use another folder)", abs, mode, path);
		return vg_error_set(err, VG_UNSAFE, "state folder '%s' is refused: others can write "
				    "the folder '%s' it leads to (mode %04o), only its owner may "
				    "(chmod go-w '%s', or use another folder)", abs, path, mode, path);
	}
	if (sb->st_mode & S_ISVTX)
		return VG_OK; /* as /tmp: others cannot rename or remove what is not theirs */
	return vg_error_set(err, VG_UNSAFE, "state folder '%s' is refused: others can write the "
			    "folder '%s' on the way, which is not sticky (mode %04o) (chmod go-w "
			    "'%s', or use another folder)", abs, path, mode, path);
}

/*
 * A symbolic link cand on the way (its folder cur has passed): followed only when root or we
 * own it; *rest becomes its target followed by what came after the link, and cur becomes
 * "/" for an absolute target.
 */
static enum vg_err
follow_link(const char *abs, const char *cand, const struct stat *sb, int *links, char *cur,
	    const char *after, char **rest, struct vg_error *err)
{
	size_t cap = (size_t)sb->st_size + 2 > 256 ? (size_t)sb->st_size + 2 : 256;
	char *target, *joined = NULL;
	ssize_t len;

	if (!trusted_owner(sb->st_uid))
		return vg_error_set(err, VG_UNSAFE, "state folder '%s' is refused: the symbolic link "
				    "'%s' on the way is owned by uid %u, not by root or you (not "
				    "followed; use the folder it points to, or remove it)", abs, cand,
				    (unsigned)sb->st_uid);
	if (++*links > VG_STATE_MAX_LINKS)
		return vg_error_set(err, VG_UNSAFE, "state folder '%s' is refused: more than %d "
				    "symbolic links on the way", abs, VG_STATE_MAX_LINKS);
	target = malloc(cap);
	len = target ? readlink(cand, target, cap - 1) : -1;
	if (len < 0 || (size_t)len >= cap - 1) {
		free(target);
		return target == NULL ? vg_error_set(err, VG_NOMEM, "out of memory")
				      : vg_error_set(err, VG_IO, "state folder '%s': cannot read the "
						     "link '%s'", abs, cand);
	}
	target[len] = '\0';
	if (target[0] == '/') {
		cur[0] = '/';
		cur[1] = '\0';
	}
	if (asprintf(&joined, "%s/%s", target, after) < 0)
		joined = NULL;
	free(target);
	if (joined == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	free(*rest);
	*rest = joined;
	return VG_OK;
}

enum vg_err
vg_state_dir_check(const char *dir, struct vg_error *err)
{
	char *abs = NULL, *rest = NULL, *cur = NULL;
	const char *p;
	int links = 0, final_ok = 0;
	enum vg_err rc;
	struct stat sb;

	rc = vg_path_absolute(dir, &abs, err);
	if (rc != VG_OK)
		return rc;
	rest = strdup(abs);
	cur = strdup("/");
	if (rest == NULL || cur == NULL) {
		rc = vg_error_set(err, VG_NOMEM, "out of memory");
		goto out;
	}
	if (lstat("/", &sb) != 0) {
		rc = vg_error_set(err, VG_IO, "cannot examine '/': %s", strerror(errno));
		goto out;
	}
	rc = check_folder(abs, "/", &sb, 0, err);
	p = rest;
	while (rc == VG_OK) {
		const char *c, *next;
		size_t n;
		char *cand;
		int last;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		c = p;
		n = strcspn(c, "/");
		next = c + n;
		while (*next == '/')
			next++;
		last = *next == '\0';
		p = next;
		final_ok = 0;
		if (n == 1 && c[0] == '.')
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			char *slash = strrchr(cur, '/');

			if (slash == cur)
				cur[1] = '\0';
			else
				*slash = '\0';
			continue;
		}
		cand = child_of(cur, c, n);
		if (cand == NULL) {
			rc = vg_error_set(err, VG_NOMEM, "out of memory");
			break;
		}
		if (lstat(cand, &sb) != 0) {
			rc = errno == ENOENT || errno == ENOTDIR
				     ? vg_error_set(err, VG_NOENT, "state folder '%s': '%s' does not "
						    "exist", abs, cand)
				     : vg_error_set(err, VG_IO, "state folder '%s': cannot examine "
						    "'%s': %s", abs, cand, strerror(errno));
			free(cand);
			break;
		}
		if (S_ISLNK(sb.st_mode)) {
			rc = follow_link(abs, cand, &sb, &links, cur, p, &rest, err);
			free(cand);
			p = rest;
			continue;
		}
		if (!S_ISDIR(sb.st_mode)) {
			rc = vg_error_set(err, VG_INVAL, "state folder '%s': '%s' on the way is not a "
					  "folder", abs, cand);
			free(cand);
			break;
		}
		rc = check_folder(abs, cand, &sb, last, err);
		free(cur);
		cur = cand;
		final_ok = last && rc == VG_OK;
	}
	if (rc == VG_OK && !final_ok) {
		/* ended on "/", ".", ".." or a link's trailing slash: the folder reached */
		if (lstat(cur, &sb) != 0)
			rc = vg_error_set(err, VG_IO, "state folder '%s': cannot examine '%s': %s",
					  abs, cur, strerror(errno));
		else
			rc = check_folder(abs, cur, &sb, 1, err);
	}
out:
	free(abs);
	free(rest);
	free(cur);
	return rc;
}

static enum vg_err
check_file(const char *path, const struct stat *sb, struct vg_error *err)
{
	if (S_ISLNK(sb->st_mode))
		return vg_error_set(err, VG_UNSAFE, "state file '%s' is refused: it is a symbolic "
				    "link (not followed; remove it)", path);
	if (!S_ISREG(sb->st_mode))
		return vg_error_set(err, VG_UNSAFE, "state file '%s' is refused: it is not a "
				    "regular file (remove it)", path);
	if (!trusted_owner(sb->st_uid))
		return vg_error_set(err, VG_UNSAFE, "state file '%s' is refused: it is owned by "
				    "uid %u, not by root or you (remove it, or chown root '%s')",
				    path, (unsigned)sb->st_uid, path);
	if (sb->st_mode & (S_IWGRP | S_IWOTH))
		return vg_error_set(err, VG_UNSAFE, "state file '%s' is refused: others can write "
				    "it (mode %04o) (chmod go-w '%s')", path,
				    (unsigned)(sb->st_mode & 07777), path);
	return VG_OK;
}

enum vg_err
vg_state_fd_check(int fd, const char *path, struct vg_error *err)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0)
		return vg_error_set(err, VG_IO, "cannot examine '%s': %s", path, strerror(errno));
	return check_file(path, &sb, err);
}

/* vg_state_open, with the code of a failure in *code. */
static int
state_open(const char *state_dir, const char *name, int flags, mode_t mode, enum vg_err *code,
	   struct vg_error *err)
{
	char *path = vg_path_join(state_dir, name);
	int fd, fl;

	if (path == NULL) {
		*code = vg_error_set(err, VG_NOMEM, "out of memory");
		return -1;
	}
	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
	if (fd < 0) {
		int e = errno;

		if (e == ELOOP)
			*code = vg_error_set(err, VG_UNSAFE, "state file '%s' is refused: it is a symbolic "
				     "link (not followed; remove it)", path);
		else
			*code = vg_error_set(err, e == ENOENT ? VG_NOENT : VG_IO,
					     "cannot open '%s': %s", path, strerror(e));
		free(path);
		errno = e;
		return -1;
	}
	if ((*code = vg_state_fd_check(fd, path, err)) != VG_OK) {
		close(fd);
		free(path);
		errno = EPERM;
		return -1;
	}
	/* a regular file: O_NONBLOCK only kept a FIFO from blocking the open */
	if (!(flags & O_NONBLOCK) && (fl = fcntl(fd, F_GETFL)) >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	free(path);
	return fd;
}

int
vg_state_open(const char *state_dir, const char *name, int flags, mode_t mode,
	      struct vg_error *err)
{
	enum vg_err code;

	return state_open(state_dir, name, flags, mode, &code, err);
}

enum vg_err
vg_state_file_check(const char *state_dir, const char *name, struct vg_error *err)
{
	char *path = vg_path_join(state_dir, name);
	struct stat sb;
	enum vg_err rc = VG_OK;

	if (path == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	if (lstat(path, &sb) != 0) {
		if (errno != ENOENT)
			rc = vg_error_set(err, VG_IO, "cannot examine '%s': %s", path,
					  strerror(errno));
	} else {
		rc = check_file(path, &sb, err);
	}
	free(path);
	return rc;
}

enum vg_err
vg_state_read_file(const char *state_dir, const char *name, size_t max, char **data,
		   size_t *len, struct vg_error *err)
{
	struct stat sb;
	enum vg_err code = VG_IO;
	char *buf;
	ssize_t got;
	int fd;

	*data = NULL;
	*len = 0;
	fd = state_open(state_dir, name, O_RDONLY, 0, &code, err);
	if (fd < 0)
		return code;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return vg_error_set(err, VG_IO, "cannot examine '%s/%s': %s", state_dir, name,
				    strerror(errno));
	}
	if ((uint64_t)sb.st_size > max) {
		close(fd);
		return vg_error_set(err, VG_LIMIT, "'%s/%s' is larger than %zu bytes", state_dir,
				    name, max);
	}
	buf = malloc((size_t)sb.st_size + 2);
	if (buf == NULL) {
		close(fd);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	/* one byte more than the size: a file that grew meanwhile is noticed */
	got = vg_read_full(fd, buf, (size_t)sb.st_size + 1);
	close(fd);
	if (got < 0 || (size_t)got > (size_t)sb.st_size) {
		free(buf);
		return got < 0 ? vg_error_set(err, VG_IO, "cannot read '%s/%s': %s", state_dir, name,
					      strerror(errno))
			       : vg_error_set(err, VG_IO, "'%s/%s' changed while it was read",
					      state_dir, name);
	}
	buf[got] = '\0';
	*data = buf;
	*len = (size_t)got;
	return VG_OK;
}
