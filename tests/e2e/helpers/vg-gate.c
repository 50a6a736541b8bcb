/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/e2e/helpers/vg-gate.c — a deterministic race for the attack suite (t96xx).
 *
 *	vg-gate [--ready FILE] [--timeout SECONDS] [--nth N] PATH -- CMD [ARGS...]
 *
 * Puts an inode mark for FAN_OPEN_PERM (with FAN_ONDIR when PATH is a folder) on PATH in a
 * FAN_CLASS_CONTENT fanotify group, then creates FILE (when given) to say it is armed. The
 * first process other than this one that opens PATH is held there: CMD runs (fork, execvp,
 * wait), and only then is the open answered FAN_ALLOW. Every other event, also those of CMD
 * itself, is answered FAN_ALLOW at once, so CMD may open PATH too. With --nth N, the N-th
 * such open is held (the ones before it pass), e.g. the second open of a file that a scan
 * reads and then quarantines.
 *
 * Exit status: CMD's (128 + N when a signal N ended it, 127 when it could not be run);
 * 2 for a usage or set-up error; 3 when SECONDS (default 60) passed first, the gate not
 * opened or CMD still running (it is then killed), so that a test never hangs.
 *
 * Needs root (CAP_SYS_ADMIN) and a kernel with fanotify permission events.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_SETUP 2
#define EXIT_TIMEOUT 3

static int fan = -1;
static int held = -1;	    /* the descriptor of the event held while CMD runs */
static pid_t child = -1;
static int child_pidfd = -1;

static void
usage(void)
{
	fprintf(stderr, "usage: vg-gate [--ready FILE] [--timeout SECONDS] [--nth N] PATH -- CMD "
		"[ARGS...]\n");
	exit(EXIT_SETUP);
}

static void
die(const char *what)
{
	fprintf(stderr, "vg-gate: %s: %s\n", what, strerror(errno));
	exit(EXIT_SETUP);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
answer(int fd, unsigned int verdict)
{
	struct fanotify_response r = { .fd = fd, .response = verdict };

	if (write(fan, &r, sizeof(r)) != (ssize_t)sizeof(r) && errno != ENOENT)
		fprintf(stderr, "vg-gate: answering an event: %s\n", strerror(errno));
	close(fd);
}

static void
start_cmd(char **argv)
{
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(fan);
		if (held >= 0)
			close(held);
		execvp(argv[0], argv);
		fprintf(stderr, "vg-gate: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	child_pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (child_pidfd < 0)
		die("pidfd_open");
}

/* Foreign opens still to let pass before the one held (--nth). */
static long nth_left = 1;

/* Reads what is pending; holds the nth foreign event while CMD has not been started. */
static void
drain(char **cmd)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	struct fanotify_event_metadata *m;
	ssize_t n;

	n = read(fan, buf, sizeof(buf));
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		die("reading events");
	}
	for (m = (struct fanotify_event_metadata *)buf; FAN_EVENT_OK(m, n);
	     m = FAN_EVENT_NEXT(m, n)) {
		if (m->vers != FANOTIFY_METADATA_VERSION) {
			errno = EPROTO;
			die("fanotify metadata version");
		}
		if (m->fd < 0)
			continue; /* an overflow: nothing to answer */
		if (!(m->mask & FAN_OPEN_PERM)) {
			close(m->fd);
			continue;
		}
		if (cmd != NULL && held < 0 && child < 0 && m->pid != getpid() && --nth_left == 0) {
			held = m->fd;
			start_cmd(cmd);
			continue;
		}
		answer(m->fd, FAN_ALLOW);
	}
}

int
main(int argc, char **argv)
{
	const char *ready = NULL, *path;
	char **cmd, *end;
	long timeout_s = 60;
	long long deadline;
	struct stat st;
	unsigned long long mask = FAN_OPEN_PERM;
	int i, status = 0, rc = EXIT_TIMEOUT, fd;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0'; i++) {
		if (strcmp(argv[i], "--ready") == 0 && i + 1 < argc) {
			ready = argv[++i];
		} else if (strcmp(argv[i], "--nth") == 0 && i + 1 < argc) {
			errno = 0;
			nth_left = strtol(argv[++i], &end, 10);
			if (errno || *end != '\0' || nth_left < 1)
				usage();
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			errno = 0;
			timeout_s = strtol(argv[++i], &end, 10);
			if (errno || *end != '\0' || timeout_s <= 0 || timeout_s > INT_MAX / 1000)
				usage();
		} else {
			usage();
		}
	}
	if (argc - i < 3 || strcmp(argv[i + 1], "--") != 0)
		usage();
	path = argv[i];
	cmd = argv + i + 2;
	deadline = now_ms() + timeout_s * 1000;

	if (stat(path, &st) != 0)
		die(path);
	if (S_ISDIR(st.st_mode))
		mask |= FAN_ONDIR;
	fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK,
			    O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (fan < 0)
		die("fanotify_init (root is needed)");
	if (fanotify_mark(fan, FAN_MARK_ADD, mask, AT_FDCWD, path) != 0)
		die(path);
	if (ready != NULL) {
		fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0)
			die(ready);
		close(fd);
	}

	for (;;) {
		struct pollfd p[2] = { { .fd = fan, .events = POLLIN },
				       { .fd = child_pidfd, .events = POLLIN } };
		long long left = deadline - now_ms();
		int r;

		if (left <= 0)
			break;
		r = poll(p, child_pidfd >= 0 ? 2 : 1, (int)left);
		if (r < 0 && errno != EINTR)
			die("poll");
		if (r > 0 && (p[0].revents & POLLIN))
			drain(cmd);
		if (child_pidfd >= 0 && (p[1].revents & POLLIN)) {
			if (waitpid(child, &status, 0) != child)
				die("waitpid");
			child = -1;
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			break;
		}
	}
	if (child > 0) {
		fprintf(stderr, "vg-gate: %ld s passed, the command still runs: killed\n", timeout_s);
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	} else if (rc == EXIT_TIMEOUT && held < 0) {
		fprintf(stderr, "vg-gate: %ld s passed and nothing opened %s\n", timeout_s, path);
	}
	if (held >= 0)
		answer(held, FAN_ALLOW);
	/* what came meanwhile is let through; closing the group lets through anything later */
	fanotify_mark(fan, FAN_MARK_REMOVE, mask, AT_FDCWD, path);
	drain(NULL);
	close(fan);
	return rc;
}
