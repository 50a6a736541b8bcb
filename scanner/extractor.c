/*
 * scanner/extractor.c — one vigil-extract process, seen from vigil (scanner/extractor.h).
 *
 * Everything that comes back is hostile: the extractor parses the evidence, and a parser it
 * runs may have been taken over. So a reply is checked before it is believed (one datagram,
 * the right id and kind, a text of the size announced, a descriptor only where one belongs,
 * and that descriptor a sealed memfd that cannot change or shrink under the reader), and a
 * reply that is not what it should be ends the process.
 */
#include "scanner/extractor.h"
#include "scanner/helper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long a new extractor may take to say hello. */
#define HELLO_MS 30000
/* How long a closed extractor may take to go before it is killed. */
#define EXIT_MS 200
/* How often a wait for the extractor looks at the stop flag. */
#define STOP_CHECK_MS 100

struct extractor {
	struct extractor_limits l;
	char *tmp_fallback;
	pid_t pid;
	int sock;		/* -1 when no process runs */
	uint64_t next_id, id;	/* id: the object in flight */
	int64_t budget_ms;	/* waiting time left for the object in flight */
	uint32_t status;
	char text[VX_TEXT_MAX + 1];
};

static void
say(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || n == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
extractor_exe(char *why, size_t whylen)
{
	return helper_exe(&HELPER_EXTRACT, why, whylen);
}

/* ---- the process ---- */

struct extractor *
extractor_new(const struct extractor_limits *l)
{
	struct extractor *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->l = *l;
	x->sock = -1;
	if (l->tmp_fallback != NULL && (x->tmp_fallback = strdup(l->tmp_fallback)) == NULL) {
		free(x);
		return NULL;
	}
	x->l.tmp_fallback = x->tmp_fallback;
	return x;
}

/* What ended the process, in words. */
static void
describe_exit(int status, char *why, size_t n)
{
	if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));

		if (abbrev != NULL)
			say(why, n, "extractor crashed: SIG%s", abbrev);
		else
			say(why, n, "extractor crashed: signal %d", WTERMSIG(status));
	} else if (WIFEXITED(status)) {
		say(why, n, "extractor exited with status %d", WEXITSTATUS(status));
	} else {
		say(why, n, "extractor ended");
	}
}

/* End the process: kill it at once (kill) or give it EXIT_MS to leave after EOF. */
static void
stop(struct extractor *x, int kill_now, int *status)
{
	int st = 0, i;

	if (x->sock >= 0)
		close(x->sock);
	x->sock = -1;
	if (x->pid <= 0)
		return;
	if (kill_now)
		kill(x->pid, SIGKILL);
	for (i = 0; !kill_now && i < EXIT_MS / 5; i++) {
		pid_t r = waitpid(x->pid, &st, WNOHANG);

		if (r == x->pid || (r < 0 && errno != EINTR))
			goto reaped;
		usleep(5000);
	}
	kill(x->pid, SIGKILL);
	while (waitpid(x->pid, &st, 0) < 0 && errno == EINTR)
		;
reaped:
	if (status != NULL)
		*status = st;
	x->pid = 0;
}

/* The process failed: kill it, reap it, and say why (reason given, or how it ended). */
static void
fail(struct extractor *x, const char *reason, char *why, size_t n)
{
	int status = 0, died = 0;

	if (reason == NULL && x->pid > 0) {
		/* it closed the socket or broke it: collect how it ended first */
		for (int i = 0; i < 200; i++) {
			pid_t r = waitpid(x->pid, &status, WNOHANG);

			if (r == x->pid) {
				died = 1;
				x->pid = 0;
				break;
			}
			if (r < 0 && errno != EINTR)
				break;
			usleep(5000);
		}
	}
	stop(x, 1, died ? NULL : &status);
	if (reason != NULL)
		say(why, n, "%s", reason);
	else
		describe_exit(status, why, n);
}

static void
add_arg(char **argv, int *argc, int max, char *s)
{
	if (*argc < max - 1)
		argv[(*argc)++] = s;
}

static int
start(struct extractor *x, char *why, size_t n)
{
	const char *exe = extractor_exe(why, n);
	char nums[6][32], *argv[64], *test = NULL, *save = NULL, *tok;
	int argc = 0, rc;

	if (exe == NULL)
		return -1;
	add_arg(argv, &argc, 64, (char *)exe);
	add_arg(argv, &argc, 64, "--fd");
	add_arg(argv, &argc, 64, "3");
	snprintf(nums[0], 32, "%llu", (unsigned long long)x->l.max_files);
	snprintf(nums[1], 32, "%llu", (unsigned long long)x->l.max_filesize);
	snprintf(nums[2], 32, "%llu", (unsigned long long)x->l.max_scansize);
	snprintf(nums[3], 32, "%u", x->l.max_recursion);
	snprintf(nums[4], 32, "%llu", (unsigned long long)x->l.timeout_s * 1000);
	add_arg(argv, &argc, 64, "--max-files");
	add_arg(argv, &argc, 64, nums[0]);
	add_arg(argv, &argc, 64, "--max-filesize");
	add_arg(argv, &argc, 64, nums[1]);
	add_arg(argv, &argc, 64, "--max-scansize");
	add_arg(argv, &argc, 64, nums[2]);
	add_arg(argv, &argc, 64, "--max-recursion");
	add_arg(argv, &argc, 64, nums[3]);
	add_arg(argv, &argc, 64, "--max-scantime-ms");
	add_arg(argv, &argc, 64, nums[4]);
	if (x->l.tmp_fallback != NULL) {
		add_arg(argv, &argc, 64, "--tmp-fallback");
		add_arg(argv, &argc, 64, (char *)x->l.tmp_fallback);
	}
	/* tests only: extra arguments such as --test-stall-ms */
	if (getenv("VIGIL_EXTRACT_TEST_ARGS") != NULL &&
	    (test = strdup(getenv("VIGIL_EXTRACT_TEST_ARGS"))) != NULL)
		for (tok = strtok_r(test, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			add_arg(argv, &argc, 64, tok);
	argv[argc] = NULL;

	rc = helper_spawn(exe, argv, NULL, &x->pid, &x->sock, why, n);
	free(test);
	if (rc != 0) {
		x->sock = -1;
		return -1;
	}
	return 0;
}

/* ---- messages ---- */

/* Receive one datagram within *budget_ms; its descriptor (or -1) in *fd. 1: a message;
 * 0: the budget ran out; -1: the socket closed or broke, or the message is malformed (why);
 * -2: the scan is stopping. */
static int
receive(struct extractor *x, struct vx_msg *m, char *text, int *fd, int64_t *budget_ms,
	const char **bad)
{
	char buf[sizeof(struct vx_msg) + VX_TEXT_MAX];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} cbuf;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	struct pollfd p = { x->sock, POLLIN, 0 };
	int64_t t0;
	ssize_t r;
	int pr;

	*fd = -1;
	*bad = NULL;
	for (;;) {
		if (*budget_ms <= 0)
			return 0;
		if (x->l.stop != NULL && *x->l.stop)
			return -2;
		t0 = now_ms();
		pr = poll(&p, 1, (int)(*budget_ms < STOP_CHECK_MS ? *budget_ms : STOP_CHECK_MS));
		*budget_ms -= now_ms() - t0;
		if (pr > 0)
			break;
		if (pr < 0 && errno != EINTR)
			return -1;
	}
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.b;
	mh.msg_controllen = sizeof(cbuf.b);
	do
		r = recvmsg(x->sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fds[4];

			memcpy(fds, CMSG_DATA(cm), nfd * sizeof(int));
			for (size_t i = 0; i < nfd; i++) {
				if (*fd < 0 && i == 0)
					*fd = fds[i];
				else {
					close(fds[i]);
					*bad = "more than one descriptor";
				}
			}
		}
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		*bad = "a message longer than the protocol allows";
	else if ((size_t)r < sizeof(*m))
		*bad = "a short message";
	if (*bad == NULL) {
		memcpy(m, buf, sizeof(*m));
		if (m->magic != VX_MAGIC || m->text_len > VX_TEXT_MAX ||
		    (size_t)r != sizeof(*m) + m->text_len)
			*bad = "a malformed message";
	}
	if (*bad != NULL) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -1;
	}
	memcpy(text, buf + sizeof(*m), m->text_len);
	text[m->text_len] = '\0';
	return 1;
}

/* A layer's descriptor must be a sealed memfd holding at least size bytes. */
static int
sound_layer_fd(int fd, uint64_t size)
{
	const int need = F_SEAL_SHRINK | F_SEAL_WRITE;
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);

	return seals >= 0 && (seals & need) == need && fstat(fd, &st) == 0 &&
	       S_ISREG(st.st_mode) && (uint64_t)st.st_size >= size;
}

static int
wait_hello(struct extractor *x, char *hello, size_t hn, char *why, size_t n)
{
	char text[VX_TEXT_MAX + 1];
	int64_t budget = HELLO_MS;
	struct vx_msg m;
	const char *bad;
	int fd, r = receive(x, &m, text, &fd, &budget, &bad);

	if (r == 1 && fd >= 0) {
		close(fd);
		bad = "a descriptor with its hello";
		r = -1;
	}
	if (r == 1 && m.kind != VX_HELLO) {
		bad = "no hello";
		r = -1;
	}
	if (r == 0) {
		fail(x, "extractor did not start (no hello within 30 s)", why, n);
		return -1;
	}
	if (r < 0) {
		char b[256];

		if (bad != NULL) {
			snprintf(b, sizeof(b), "extractor sent %s", bad);
			fail(x, b, why, n);
		} else {
			fail(x, NULL, why, n);
		}
		return -1;
	}
	if (hello != NULL)
		say(hello, hn, "%s", text);
	return 0;
}

int
extractor_begin(struct extractor *x, const void *data, size_t len, unsigned max_level,
		char *why, size_t whylen)
{
	struct vx_msg m = { 0 };
	const unsigned char *p = data;
	size_t off = 0;
	ssize_t r;
	int fd;

	if (x->sock < 0 && (start(x, why, whylen) != 0 || wait_hello(x, NULL, 0, why, whylen) != 0))
		return -1;
	if ((fd = memfd_create("vigil-object", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0) {
		say(why, whylen, "extractor: memfd_create: %s", strerror(errno));
		return -1;
	}
	while (off < len) {
		r = write(fd, p + off, len - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			say(why, whylen, "extractor: cannot copy the object: %s",
			    r < 0 ? strerror(errno) : "short write");
			close(fd);
			return -1;
		}
		off += (size_t)r;
	}
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	m.kind = VX_SCAN;
	m.id = x->id = ++x->next_id;
	m.size = len;
	m.level = max_level;
	r = vx_send(x->sock, &m, NULL, 0, fd);
	close(fd);
	if (r != (ssize_t)sizeof(m)) {
		fail(x, NULL, why, whylen);
		return -1;
	}
	x->budget_ms = (int64_t)(x->l.timeout_s ? x->l.timeout_s : 120) * 1000;
	x->status = VX_OK;
	x->text[0] = '\0';
	return 0;
}

enum xnext
extractor_next(struct extractor *x, struct xlayer *out, char *why, size_t whylen)
{
	char text[VX_TEXT_MAX + 1], b[256];
	struct vx_msg m;
	const char *bad;
	int fd, r;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (x->sock < 0) {
		say(why, whylen, "extractor not running");
		return XNEXT_FAILED;
	}
	r = receive(x, &m, text, &fd, &x->budget_ms, &bad);
	if (r == -2) {
		fail(x, "scan stopping: extractor stopped", why, whylen);
		return XNEXT_FAILED;
	}
	if (r == 0) {
		snprintf(b, sizeof(b), "extractor timed out after %u s", x->l.timeout_s);
		fail(x, b, why, whylen);
		return XNEXT_FAILED;
	}
	if (r < 0) {
		if (bad == NULL) {
			fail(x, NULL, why, whylen);
		} else {
			snprintf(b, sizeof(b), "extractor sent a garbled reply (%s)", bad);
			fail(x, b, why, whylen);
		}
		return XNEXT_FAILED;
	}
	if (m.id != x->id || (m.kind != VX_LAYER && m.kind != VX_DONE))
		bad = "an unexpected message";
	else if (m.kind == VX_DONE && fd >= 0)
		bad = "a descriptor with its end";
	else if (m.kind == VX_LAYER && (m.flags & VX_NOBYTES) && fd >= 0)
		bad = "a descriptor with a layer that has no bytes";
	else if (m.kind == VX_LAYER && !(m.flags & VX_NOBYTES) &&
		 (fd < 0 || !sound_layer_fd(fd, m.size)))
		bad = "a layer without a sealed memfd of its size";
	if (bad != NULL) {
		if (fd >= 0)
			close(fd);
		snprintf(b, sizeof(b), "extractor sent a garbled reply (%s)", bad);
		fail(x, b, why, whylen);
		return XNEXT_FAILED;
	}
	if (m.kind == VX_DONE) {
		x->status = m.status;
		snprintf(x->text, sizeof(x->text), "%s", text);
		return XNEXT_DONE;
	}
	out->parent = m.parent;
	out->level = m.level;
	out->flags = m.flags;
	out->fd = fd;
	out->size = (m.flags & VX_NOBYTES) ? 0 : m.size;
	snprintf(out->type, sizeof(out->type), "%.63s", text);
	{
		size_t tl = strlen(text);
		const char *label = tl < m.text_len ? text + tl + 1 : "";

		out->label = strdup(*label ? label : (*text ? text : "?"));
	}
	if (out->label == NULL) {
		xlayer_release(out);
		fail(x, "extractor: out of memory", why, whylen);
		return XNEXT_FAILED;
	}
	return XNEXT_LAYER;
}

void
xlayer_release(struct xlayer *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->label);
	l->label = NULL;
}

uint32_t
extractor_status(const struct extractor *x)
{
	return x->status;
}

const char *
extractor_text(const struct extractor *x)
{
	return x->text;
}

long
extractor_pid(const struct extractor *x)
{
	return x != NULL && x->sock >= 0 ? (long)x->pid : 0;
}

void
extractor_free(struct extractor *x)
{
	if (x == NULL)
		return;
	stop(x, 0, NULL);
	free(x->tmp_fallback);
	free(x);
}

int
extractor_hello(const struct extractor_limits *l, char *hello, size_t n, char *why,
		size_t whylen)
{
	struct extractor *x = extractor_new(l);
	int rc;

	if (x == NULL) {
		say(why, whylen, "out of memory");
		return -1;
	}
	rc = start(x, why, whylen) == 0 && wait_hello(x, hello, n, why, whylen) == 0 ? 0 : -1;
	extractor_free(x);
	return rc;
}
