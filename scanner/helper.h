/*
 * scanner/helper.h — vigil's helper executables (vigil-extract, vigil-image), seen from vigil:
 * where the trusted binary is, and how one is started.
 *
 *	const char *exe = helper_exe(&HELPER_IMAGE, why, sizeof(why));    NULL: why says
 *	helper_spawn(exe, argv, &pid, &sock, why, sizeof(why));           its socket is fd 3
 *
 * A helper is looked for in $env when that is set (an absolute path), else beside vigil's own
 * executable, else in ../lib/vigil/ from there (make install, the .deb); a program of the
 * system's (btrfs) at its usual paths. It must be a regular
 * executable file owned by root or by us, in a folder owned by root or by us, neither
 * writable by anyone else: a binary another user could replace would run with vigil's rights.
 */
#ifndef VIGIL_SCANNER_HELPER_H
#define VIGIL_SCANNER_HELPER_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

/* The socket's descriptor number in every helper. */
#define HELPER_FD 3

struct helper_kind {
	const char *name;	/* "vigil-extract" */
	const char *env;	/* "VIGIL_EXTRACT": overrides where it is looked for */
	/* not vigil's own (btrfs-progs): the absolute paths it is looked for at, in order,
	 * instead of beside vigil; NULL-terminated */
	const char *const *system;
	void (*find)(void);	/* finds it, once */
	/* found once (pthread_once), then kept */
	pthread_once_t once;
	char path[PATH_MAX];
	char why[PATH_MAX + 128];
};

extern struct helper_kind HELPER_EXTRACT, HELPER_IMAGE;
/* btrfs-progs' btrfs (VIGIL_BTRFS), and the shim vigil loads into it (VIGIL_BTRFS_SHIM_SO) */
extern struct helper_kind HELPER_BTRFS, HELPER_BTRFS_SHIM;

/* Its trusted path, or NULL with why saying why there is none (why may be NULL). */
const char *helper_exe(struct helper_kind *k, char *why, size_t n);

/*
 * Start exe with argv (argv[0] included, NULL-terminated): one end of a new AF_UNIX
 * SOCK_SEQPACKET socketpair as its descriptor 3 and every other one closed, an empty
 * environment but for vigil's LD_LIBRARY_PATH (the rescue bundle's own lib/), or instead of it
 * env ("NAME=value" strings, NULL-terminated: a program of the host's), default signal
 * dispositions, nothing blocked, its own process group (a Ctrl-C stops vigil, which stops
 * it), and its stderr a pipe whose lines a thread of vigil's logs, escaped, as warnings
 * ("vigil-image: ..."). 0 with *pid and *sock (close-on-exec), or -1 with why.
 */
int helper_spawn(const char *exe, char *const argv[], char *const env[], pid_t *pid, int *sock,
		 char *why, size_t n);

#endif
