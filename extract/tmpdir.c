/*
 * extract/tmpdir.c — the private temporary folder: create, empty and remove it by
 * descriptor (see tmpdir.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "extract/tmpdir.h"

/* libclamav nests a folder per container layer; deeper than this is not its doing. */
#define TMPDIR_MAX_DEPTH 128
/* Removing entries while reading a folder may make readdir skip some: read it again until
 * a pass finds nothing, but not forever if something cannot be removed. */
#define TMPDIR_MAX_PASSES 8

static int empty_at(int dfd, int depth);

static int
open_dir_at(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Removes one entry of dfd: a file or link directly, a folder after emptying it. */
static int
remove_at(int dfd, const char *name, int depth)
{
	int sub, rc;

	if (unlinkat(dfd, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (depth >= TMPDIR_MAX_DEPTH)
		return -1;
	sub = open_dir_at(dfd, name);
	if (sub < 0)
		return -1;
	rc = empty_at(sub, depth + 1);
	close(sub);
	if (unlinkat(dfd, name, AT_REMOVEDIR) != 0)
		rc = -1;
	return rc;
}

static int
empty_at(int dfd, int depth)
{
	int pass;

	for (pass = 0; pass < TMPDIR_MAX_PASSES; pass++) {
		struct dirent *e;
		bool seen = false, failed = false;
		DIR *d;
		/* fdopendir owns its descriptor and its read offset: give it a fresh one. */
		int rfd = open_dir_at(dfd, ".");

		if (rfd < 0)
			return -1;
		d = fdopendir(rfd);
		if (!d) {
			close(rfd);
			return -1;
		}
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			seen = true;
			if (remove_at(dfd, e->d_name, depth) != 0)
				failed = true;
		}
		closedir(d);
		if (!seen)
			return 0;
		if (failed && pass > 0)
			return -1;
	}
	return -1;
}

void
tmpdir_init(struct tmpdir *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->parent_fd = -1;
}

int
tmpdir_at_mount(struct tmpdir *t, const char *path)
{
	if (strlen(path) >= sizeof(t->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	t->fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (t->fd < 0)
		return -1;
	strcpy(t->path, path);
	return 0;
}

/* True if name is all digits and names a pid other than ours that no longer exists. */
static bool
is_stale_pid(const char *name)
{
	char *end;
	long pid;

	if (name[0] < '1' || name[0] > '9' || strlen(name) > 10)
		return false;
	errno = 0;
	pid = strtol(name, &end, 10);
	if (errno || *end || pid <= 0 || pid > INT_MAX || pid == getpid())
		return false;
	/* EPERM means it exists under another uid: only ESRCH says it is gone. */
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void
remove_stale(int parent)
{
	struct dirent *e;
	DIR *d;
	int rfd = open_dir_at(parent, ".");

	if (rfd < 0)
		return;
	d = fdopendir(rfd);
	if (!d) {
		close(rfd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;
		int sub;

		if (!is_stale_pid(e->d_name))
			continue;
		sub = open_dir_at(parent, e->d_name);
		if (sub < 0)
			continue;
		/* Only what we could have made ourselves. */
		if (fstat(sub, &st) == 0 && st.st_uid == geteuid()) {
			if (empty_at(sub, 0) != 0 || unlinkat(parent, e->d_name, AT_REMOVEDIR) != 0)
				fprintf(stderr, "vigil-extract: cannot remove stale temporary folder "
					"'%s': %s\n", e->d_name, strerror(errno));
		}
		close(sub);
	}
	closedir(d);
}

/* Opens DIR if it is a folder owned by us that nobody else can write to. */
static int
open_parent(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat '%s': %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	/* Another user able to write here could swap our folder for a link between the
	 * moment we check it and the moment libclamav opens a path through it. */
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "'%s' must be owned by uid %u and writable by nobody else",
			 dir, (unsigned)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

void
tmpdir_sweep(const char *dir)
{
	char err[256];
	int fd = open_parent(dir, err, sizeof(err));

	if (fd >= 0) {
		remove_stale(fd);
		close(fd);
	}
}

int
tmpdir_fallback(struct tmpdir *t, const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int n;

	t->parent_fd = open_parent(dir, err, errlen);
	if (t->parent_fd < 0) {
		tmpdir_init(t);
		return -1;
	}
	remove_stale(t->parent_fd);

	snprintf(t->name, sizeof(t->name), "%ld", (long)getpid());
	n = snprintf(t->path, sizeof(t->path), "%s/%s", dir, t->name);
	if (n < 0 || (size_t)n >= sizeof(t->path)) {
		snprintf(err, errlen, "'%s' is too long", dir);
		goto fail;
	}
	/* A folder with our pid can only be left by a dead process that had the same number. */
	if (mkdirat(t->parent_fd, t->name, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create '%s': %s", t->path, strerror(errno));
		goto fail;
	}
	t->fd = open_dir_at(t->parent_fd, t->name);
	if (t->fd < 0 || fstat(t->fd, &st) != 0 || st.st_uid != geteuid() ||
	    (st.st_mode & 0077)) {
		snprintf(err, errlen, "'%s' is not a private folder of ours", t->path);
		goto fail;
	}
	if (empty_at(t->fd, 0) != 0) {
		snprintf(err, errlen, "cannot empty '%s'", t->path);
		goto fail;
	}
	return 0;
fail:
	if (t->fd >= 0)
		close(t->fd);
	close(t->parent_fd);
	tmpdir_init(t);
	return -1;
}

int
tmpdir_empty(const struct tmpdir *t)
{
	if (t->fd < 0)
		return 0;
	return empty_at(t->fd, 0);
}

void
tmpdir_release(struct tmpdir *t)
{
	if (t->fd >= 0) {
		(void)empty_at(t->fd, 0);
		close(t->fd);
	}
	if (t->parent_fd >= 0) {
		(void)unlinkat(t->parent_fd, t->name, AT_REMOVEDIR);
		close(t->parent_fd);
	}
	tmpdir_init(t);
}
