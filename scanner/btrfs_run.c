/*
 * scanner/btrfs_run.c — `btrfs restore` started with vigil's shim in it (btrfs_run.h).
 */
#include "scanner/btrfs_run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "scanner/helper.h"

/* How long an ended walk waits for restore to exit before it kills it. */
#define GRACE_MS 5000
/* Its exit status when the shim could not sandbox it (imaged/btrfs_shim.c). */
#define SHIM_FAILED 125

int
btrfs_run_start(int what, pid_t *pid, int *sock, char *why, size_t n)
{
	char preload[PATH_MAX + 16];
	const char *exe = helper_exe(&HELPER_BTRFS, why, n), *shim;
	/* -i: go on past what cannot be read; -s: snapshots too; -m: owners, modes and times;
	 * the volume is the shim's stand-in, the output folder exists nowhere */
	char *const restore[] = { "btrfs", "restore", "-i", "-s", "-m", "/proc/self/fd/4",
				  "/vigil-btrfs-out", NULL };
	char *const check[] = { "btrfs", "check", "--readonly", "--check-data-csum",
				"/proc/self/fd/4", NULL };
	char *env[3] = { preload,
			 what == BTRFS_CHECK ? "VIGIL_BTRFS_SHIM=check" : "VIGIL_BTRFS_SHIM=restore",
			 NULL };

	if (exe == NULL || (shim = helper_exe(&HELPER_BTRFS_SHIM, why, n)) == NULL)
		return -1;
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", shim);
	return helper_spawn(exe, what == BTRFS_CHECK ? check : restore, env, pid, sock, why, n);
}

char *
btrfs_run_end(pid_t pid)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int status = 0, waited = 0;
	pid_t r;
	char *how = NULL;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && waited < GRACE_MS) {
		nanosleep(&tick, NULL);
		waited += 10;
	}
	if (r == 0) {
		kill(pid, SIGKILL);
		while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		return strdup("did not exit: killed");
	}
	if (r < 0)
		return strdup("lost track of the process");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return NULL;
	if (WIFEXITED(status) && WEXITSTATUS(status) == SHIM_FAILED)
		how = strdup("could not be sandboxed (the log says why)");
	else if (WIFEXITED(status)) {
		if (asprintf(&how, "reported errors (exit status %d; the log has its messages)", WEXITSTATUS(status)) < 0)
			how = NULL;
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
		how = strdup("was killed by its seccomp filter (a system call outside its allow-list)");
	} else if (WIFSIGNALED(status) &&
		   asprintf(&how, "was killed by signal %d (%s)", WTERMSIG(status),
			    strsignal(WTERMSIG(status))) < 0) {
		how = NULL;
	}
	return how != NULL ? how : strdup("failed");
}

json_t *
btrfs_run_health(void)
{
	char why[PATH_MAX + 128];
	const char *exe = helper_exe(&HELPER_BTRFS, why, sizeof(why)), *shim = NULL;

	if (exe == NULL || (shim = helper_exe(&HELPER_BTRFS_SHIM, why, sizeof(why))) == NULL)
		return json_pack("{s:b, s:s}", "available", 0, "reason", why);
	return json_pack("{s:b, s:s, s:s}", "available", 1, "program", exe, "shim", shim);
}
