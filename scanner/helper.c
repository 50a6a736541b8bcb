/*
 * scanner/helper.c — where vigil's helper executables are and how they start (helper.h).
 */
#include "scanner/helper.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/log.h"

#ifdef VIGIL_SAN
#define HELPER_SUFFIX "-san"	/* the sanitizer build starts the sanitizer build's helpers */
#else
#define HELPER_SUFFIX ""
#endif

static void find_extract(void);
static void find_image(void);
static void find_btrfs(void);
static void find_shim(void);

static const char *const btrfs_paths[] = { "/usr/bin/btrfs", "/bin/btrfs", "/usr/sbin/btrfs",
					   "/sbin/btrfs", NULL };

struct helper_kind HELPER_EXTRACT = { .name = "vigil-extract", .env = "VIGIL_EXTRACT",
				      .find = find_extract, .once = PTHREAD_ONCE_INIT };
struct helper_kind HELPER_IMAGE = { .name = "vigil-image" HELPER_SUFFIX, .env = "VIGIL_IMAGE",
				    .find = find_image, .once = PTHREAD_ONCE_INIT };
struct helper_kind HELPER_BTRFS = { .name = "btrfs", .env = "VIGIL_BTRFS", .system = btrfs_paths,
				    .find = find_btrfs, .once = PTHREAD_ONCE_INIT };
struct helper_kind HELPER_BTRFS_SHIM = { .name = "vigil-btrfs.so", .env = "VIGIL_BTRFS_SHIM_SO",
					 .find = find_shim, .once = PTHREAD_ONCE_INIT };

/* Owned by root or us, and writable by no one else. */
static int
trusted(struct helper_kind *k, const char *path, const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(k->why, sizeof(k->why), "%s is owned by uid %u: not trusted", path,
			 (unsigned)st->st_uid);
		return 0;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(k->why, sizeof(k->why), "%s is writable by others: not trusted", path);
		return 0;
	}
	return 1;
}

/* 1: path is the one (k->path set); 0: nothing there; -1: there but not trusted (k->why). */
static int
try_exe(struct helper_kind *k, const char *path)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if (!trusted(k, path, &st))
		return -1;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	if (stat(dir, &st) != 0 || !trusted(k, dir, &st))
		return -1;
	if (access(path, X_OK) != 0) {
		snprintf(k->why, sizeof(k->why), "%s is not executable", path);
		return -1;
	}
	snprintf(k->path, sizeof(k->path), "%s", path);
	return 1;
}

static void
find(struct helper_kind *k)
{
	const char *env = getenv(k->env);
	char self[PATH_MAX], cand[PATH_MAX + 64], *slash;
	ssize_t n;

	snprintf(k->why, sizeof(k->why), "%s is not installed beside vigil", k->name);
	if (env != NULL && *env != '\0') {
		if (env[0] != '/' || try_exe(k, env) == 0)
			snprintf(k->why, sizeof(k->why), "%s=%s: no such executable", k->env, env);
		return;
	}
	if (k->system != NULL) {
		const char *const *p;

		snprintf(k->why, sizeof(k->why), "%s is not installed (btrfs-progs)", k->name);
		for (p = k->system; *p != NULL; p++)
			if (try_exe(k, *p) != 0)
				return;
		return;
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return;
	*slash = '\0';
	snprintf(cand, sizeof(cand), "%s/%s", self, k->name);
	if (try_exe(k, cand) != 0)
		return;
	snprintf(cand, sizeof(cand), "%s/../lib/vigil/%s", self, k->name);
	if (realpath(cand, self) != NULL)
		try_exe(k, self);
}

static void find_extract(void) { find(&HELPER_EXTRACT); }
static void find_image(void) { find(&HELPER_IMAGE); }
static void find_btrfs(void) { find(&HELPER_BTRFS); }
static void find_shim(void) { find(&HELPER_BTRFS_SHIM); }

const char *
helper_exe(struct helper_kind *k, char *why, size_t n)
{
	pthread_once(&k->once, k->find);
	if (k->path[0] == '\0') {
		if (why != NULL && n > 0)
			snprintf(why, n, "%s", k->why);
		return NULL;
	}
	return k->path;
}

struct relay {
	int fd;
	char name[64];
};

/* Lines a helper prints on every run, which say nothing went wrong: not logged. */
static const struct {
	const char *helper, *pattern;	/* fnmatch */
} progress[] = {
	{ "btrfs", "\\[[1-7]/7\\] checking *" },	/* btrfs check's steps */
};

static int
is_progress(const struct relay *r, const char *line)
{
	size_t i;

	for (i = 0; i < sizeof(progress) / sizeof(progress[0]); i++)
		if (strcmp(r->name, progress[i].helper) == 0 &&
		    fnmatch(progress[i].pattern, line, 0) == 0)
			return 1;
	return 0;
}

/* One line of a helper's stderr, escaped (it may be a subverted parser's), into vigil's log. */
static void
relay_line(const struct relay *r, const char *line, size_t len)
{
	char *esc = vg_text_escape(line, len);

	if (esc != NULL && len > 0 && !is_progress(r, esc))
		vg_log(VG_LOG_WARN, "%s: %s", r->name, esc);
	free(esc);
}

/* Until the helper's end of the pipe closes: its stderr, a line at a time (long lines cut). */
static void *
relay_main(void *arg)
{
	struct relay *r = arg;
	char buf[4096];
	size_t have = 0;
	ssize_t got;

	while ((got = read(r->fd, buf + have, sizeof(buf) - have)) > 0 ||
	       (got < 0 && errno == EINTR)) {
		char *nl;
		size_t start = 0;

		if (got < 0)
			continue;
		have += (size_t)got;
		while ((nl = memchr(buf + start, '\n', have - start)) != NULL) {
			relay_line(r, buf + start, (size_t)(nl - (buf + start)));
			start = (size_t)(nl - buf) + 1;
		}
		if (start == 0 && have == sizeof(buf)) {
			relay_line(r, buf, have);	/* no newline in 4 KiB: cut there */
			have = 0;
			continue;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	if (have > 0)
		relay_line(r, buf, have);
	close(r->fd);
	free(r);
	return NULL;
}

/* The helper's stderr comes through a pipe, not vigil's own descriptor: a subverted helper
 * can then neither truncate a log file vigil was given nor write a terminal escape to it. */
static void
relay_start(int fd, const char *exe)
{
	struct relay *r = calloc(1, sizeof(*r));
	const char *base = strrchr(exe, '/');
	pthread_attr_t at;
	pthread_t t;

	if (r == NULL) {
		close(fd);
		return;
	}
	r->fd = fd;
	snprintf(r->name, sizeof(r->name), "%s", base ? base + 1 : exe);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, relay_main, r) != 0) {
		close(fd);
		free(r);
	}
	pthread_attr_destroy(&at);
}

int
helper_spawn(const char *exe, char *const argv[], char *const env[], pid_t *pid, int *sock,
	     char *why, size_t n)
{
	char *envp[8] = { NULL }, *ldpath = NULL;
	size_t ne = 0;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	int sv[2], ep[2], rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(why, n, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) != 0) {
		snprintf(why, n, "pipe: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (sv[1] == HELPER_FD) {	/* dup2 onto itself would keep close-on-exec */
		int fd = fcntl(sv[1], F_DUPFD_CLOEXEC, HELPER_FD + 1);

		close(sv[1]);
		sv[1] = fd;
	}
	if (env == NULL && getenv("LD_LIBRARY_PATH") != NULL &&
	    asprintf(&ldpath, "LD_LIBRARY_PATH=%s", getenv("LD_LIBRARY_PATH")) > 0)
		envp[ne++] = ldpath;
	while (env != NULL && *env != NULL && ne < sizeof(envp) / sizeof(envp[0]) - 1)
		envp[ne++] = *env++;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], HELPER_FD);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&dflt);
	sigdelset(&dflt, SIGKILL);
	sigdelset(&dflt, SIGSTOP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(pid, exe, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(ldpath);
	close(sv[1]);
	close(ep[1]);
	if (rc != 0) {
		close(sv[0]);
		close(ep[0]);
		*pid = 0;
		snprintf(why, n, "cannot start %s: %s", exe, strerror(rc));
		return -1;
	}
	relay_start(ep[0], exe);
	*sock = sv[0];
	return 0;
}
