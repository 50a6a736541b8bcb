/*
 * extract/main.c — vigil-extract: start-up, the sandbox in order, then one VX_SCAN after
 * another until vigil closes the socket (the protocol is in proto.h).
 *
 * Start-up order matters: descriptors closed first (nothing vigil forgot may leak into a
 * process that parses hostile files); the parent-death signal before anything slow; the
 * namespaces before libclamav is initialised (cl_init may open files, and must see the
 * private tmpfs); the seccomp filter last, once nothing needs to open libraries any more.
 *
 * Exit statuses: 0 end of stream (or --probe with everything in place), 1 --probe with some
 * step missing, 2 usage, 3 a garbled request, 4 the socket failed or vigil is gone, 5 no
 * safe sandbox or temporary folder, 6 libclamav would not start, 7 out of memory. A seccomp
 * violation ends the process with SIGSYS, the CPU limit with SIGXCPU.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "extract/clam.h"
#include "extract/proto.h"
#include "extract/sandbox.h"
#include "extract/wire.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

struct options {
	struct clam_limits limits;
	struct sandbox_opts sandbox;
	int fd;
	uint64_t stall_ms;	/* --test-stall-ms */
	bool probe, version;
};

enum opt_id {
	OPT_FD = 256, OPT_TMP_FALLBACK, OPT_NO_USERNS, OPT_MAX_FILES, OPT_MAX_FILESIZE,
	OPT_MAX_SCANSIZE, OPT_MAX_RECURSION, OPT_MAX_SCANTIME, OPT_MEMORY, OPT_CPU, OPT_PROBE,
	OPT_VERSION, OPT_HELP, OPT_TEST_STALL,
};

static const struct option long_opts[] = {
	{ "fd", required_argument, NULL, OPT_FD },
	{ "tmp-fallback", required_argument, NULL, OPT_TMP_FALLBACK },
	{ "no-userns", no_argument, NULL, OPT_NO_USERNS },
	{ "max-files", required_argument, NULL, OPT_MAX_FILES },
	{ "max-filesize", required_argument, NULL, OPT_MAX_FILESIZE },
	{ "max-scansize", required_argument, NULL, OPT_MAX_SCANSIZE },
	{ "max-recursion", required_argument, NULL, OPT_MAX_RECURSION },
	{ "max-scantime-ms", required_argument, NULL, OPT_MAX_SCANTIME },
	{ "memory-mb", required_argument, NULL, OPT_MEMORY },
	{ "cpu-s", required_argument, NULL, OPT_CPU },
	{ "probe", no_argument, NULL, OPT_PROBE },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "test-stall-ms", required_argument, NULL, OPT_TEST_STALL },
	{ NULL, 0, NULL, 0 },
};

static const char usage_text[] =
	"usage: vigil-extract --fd 3 [--tmp-fallback DIR] [--no-userns] [--max-files N]\n"
	"                     [--max-filesize B] [--max-scansize B] [--max-recursion N]\n"
	"                     [--max-scantime-ms MS] [--memory-mb MB] [--cpu-s S]\n"
	"       vigil-extract --probe [same options]\n"
	"       vigil-extract --version\n"
	"\n"
	"Started by vigil with a SOCK_SEQPACKET socket as descriptor 3 (see extract/proto.h);\n"
	"unpacks the containers vigil sends with libclamav, inside a sandbox.\n"
	"  --tmp-fallback DIR  when no namespace can be made, keep temporary files in DIR/<pid>\n"
	"                      (DIR owned by us and writable by nobody else)\n"
	"  --no-userns         make no namespaces: go straight to --tmp-fallback (for tests)\n"
	"  --probe             sandbox as for a scan, then print what still works, and exit\n"
	"  --test-stall-ms MS  tests only: wait MS after receiving each object (so a test can\n"
	"                      kill the extractor mid-object)\n"
	"Defaults: 10000 files, 100 MiB per file, 400 MiB per object, 17 levels, 120000 ms,\n"
	"2048 MB of address space, 600 s of CPU.\n";

/* The one place that leaves the process cleanly: the atexit handler empties the folder. */
static struct sandbox sandbox;

static void
leave(void)
{
	sandbox_leave(&sandbox);
}

static void __attribute__((format(printf, 1, 2), noreturn))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vigil-extract: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	exit(VX_EXIT_USAGE);
}

static uint64_t
number(const char *name, const char *arg, uint64_t min, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max)
		usage_error("bad number for --%s", name);
	return v;
}

static void
parse_args(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->limits.max_files = 10000;
	o->limits.max_filesize = 100 * MIB;
	o->limits.max_scansize = 400 * MIB;
	o->limits.max_recursion = 17;
	o->limits.max_scantime_ms = 120000;
	o->sandbox.memory_mb = 2048;
	o->sandbox.cpu_s = 600;

	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_FD:
			/* The filter allows the socket calls on descriptor 3 only. */
			o->fd = (int)number("fd", optarg, VX_FD, VX_FD);
			break;
		case OPT_TMP_FALLBACK:
			if (!optarg[0])
				usage_error("empty --tmp-fallback");
			o->sandbox.tmp_fallback = optarg;
			break;
		case OPT_NO_USERNS:
			o->sandbox.no_userns = true;
			break;
		/* libclamav keeps these in 32 bits (files, levels, ms) or 64 (sizes). */
		case OPT_MAX_FILES:
			o->limits.max_files = number("max-files", optarg, 1, UINT32_MAX);
			break;
		case OPT_MAX_FILESIZE:
			o->limits.max_filesize = number("max-filesize", optarg, 1, INT64_MAX >> 2);
			break;
		case OPT_MAX_SCANSIZE:
			o->limits.max_scansize = number("max-scansize", optarg, 1, INT64_MAX >> 2);
			break;
		case OPT_MAX_RECURSION:
			o->limits.max_recursion = number("max-recursion", optarg, 1, 10000);
			break;
		case OPT_MAX_SCANTIME:
			o->limits.max_scantime_ms = number("max-scantime-ms", optarg, 1, UINT32_MAX);
			break;
		case OPT_MEMORY:
			o->sandbox.memory_mb = number("memory-mb", optarg, 64, UINT64_C(1) << 30);
			break;
		case OPT_CPU:
			o->sandbox.cpu_s = number("cpu-s", optarg, 1, UINT32_MAX);
			break;
		case OPT_PROBE:
			o->probe = true;
			break;
		case OPT_VERSION:
			o->version = true;
			break;
		case OPT_TEST_STALL:
			o->stall_ms = number("test-stall-ms", optarg, 0, 600000);
			o->sandbox.allow_sleep = o->stall_ms > 0;
			break;
		case OPT_HELP:
			fputs(usage_text, stdout);
			exit(VX_EXIT_OK);
		default:
			usage_error("bad arguments");
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->probe && !o->version && o->fd != VX_FD)
		usage_error("--fd 3 is required");

	/* libclamav writes each layer it unpacks (up to a file's limit) and keeps a few at
	 * once while nesting: room for twice the larger limit, within reason. */
	{
		uint64_t big = o->limits.max_scansize > o->limits.max_filesize
				       ? o->limits.max_scansize : o->limits.max_filesize;

		o->sandbox.fsize_bytes = big * 2 < 64 * MIB ? 64 * MIB : big * 2;
		o->sandbox.tmpfs_bytes = o->sandbox.fsize_bytes > 4 * GIB ? 4 * GIB
									  : o->sandbox.fsize_bytes;
	}
}

/*
 * SIGKILL when vigil dies, so no extractor outlives it. Set again after the sandbox, since
 * a change of credentials clears it; and if the parent is already not the one we had, it
 * died before the signal was armed.
 */
static void
guard_parent(pid_t ppid)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
		fprintf(stderr, "vigil-extract: PR_SET_PDEATHSIG: %s\n", strerror(errno));
		exit(VX_EXIT_SANDBOX);
	}
	if (getppid() != ppid)
		exit(VX_EXIT_WRITE);
}

static void
check_socket(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_SEQPACKET) {
		fprintf(stderr, "vigil-extract: descriptor %d is not a SOCK_SEQPACKET socket\n", fd);
		exit(VX_EXIT_USAGE);
	}
}

static void
send_text(int kind, uint64_t id, uint32_t status, const char *text)
{
	struct vx_msg m;

	memset(&m, 0, sizeof(m));
	m.kind = (uint32_t)kind;
	m.id = id;
	m.status = status;
	wire_send(VX_FD, &m, text, strlen(text), -1);
}

static void
garbled(const char *why)
{
	fprintf(stderr, "vigil-extract: garbled request: %s\n", why);
	exit(VX_EXIT_GARBLED);
}

/* One VX_SCAN: the object, its layers, then VX_DONE once its temporary files are gone. */
static void
serve_one(struct clam *clam, const struct vx_msg *m, int fd, uint64_t stall_ms)
{
	static char reason[VX_TEXT_MAX + 1];
	uint32_t status;
	struct stat st;

	if (m->kind != VX_SCAN)
		garbled("not a VX_SCAN");
	if (fd < 0)
		garbled("VX_SCAN without a descriptor");
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != m->size)
		garbled("the descriptor does not hold exactly size bytes");
	if (stall_ms) {
		struct timespec ts = { .tv_sec = (time_t)(stall_ms / 1000),
				       .tv_nsec = (long)(stall_ms % 1000) * 1000000 };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}

	clam_scan(clam, fd, m->id, m->level, VX_FD, &status, reason);
	close(fd);
	if (tmpdir_empty(&sandbox.tmp) != 0)
		fprintf(stderr, "vigil-extract: temporary folder not entirely emptied\n");
	send_text(VX_DONE, m->id, status, reason);
}

int
main(int argc, char **argv)
{
	static char text[VX_TEXT_MAX + 1];
	struct options o;
	struct clam *clam;
	char err[256], steps[256];
	pid_t ppid;

	parse_args(argc, argv, &o);
	if (o.version) {
		printf("vigil-extract %s (libclamav %s)\n", VIGIL_VERSION, clam_version());
		return fflush(stdout) || ferror(stdout) ? VX_EXIT_WRITE : VX_EXIT_OK;
	}
	/* stderr may be a pipe vigil has closed: a failed diagnostic must not kill a scan. */
	signal(SIGPIPE, SIG_IGN);
	/* Only stdio and the socket survive: nothing else vigil had open is ours. */
	if (close_range(VX_FD + 1, ~0u, 0) != 0) {
		fprintf(stderr, "vigil-extract: close_range: %s\n", strerror(errno));
		return VX_EXIT_SANDBOX;
	}
	ppid = getppid();
	guard_parent(ppid);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		fprintf(stderr, "vigil-extract: PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
		return VX_EXIT_SANDBOX;
	}
	if (!o.probe)
		check_socket(VX_FD);

	if (sandbox_enter(&sandbox, &o.sandbox, err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil-extract: %s\n", err);
		sandbox_leave(&sandbox);
		return VX_EXIT_SANDBOX;
	}
	atexit(leave);
	/* Not before the sandbox: with dumpable off, /proc/self belongs to root and the user
	 * namespace's id maps could not be written. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		fprintf(stderr, "vigil-extract: PR_SET_DUMPABLE: %s\n", strerror(errno));
		return VX_EXIT_SANDBOX;
	}
	guard_parent(ppid);

	clam = clam_create(&o.limits, sandbox.tmp.path, err, sizeof(err));
	if (!clam) {
		fprintf(stderr, "vigil-extract: %s\n", err);
		return VX_EXIT_CLAMAV;
	}
	if (sandbox_lock(&sandbox) != 0 && !o.probe) {
		fprintf(stderr, "vigil-extract: %s\n", sandbox.lock_error);
		return VX_EXIT_SANDBOX;
	}

	if (o.probe) {
		bool ok;

		printf("libclamav: %s\n", clam_version());
		ok = sandbox_report(&sandbox, stdout);
		if (fflush(stdout) || ferror(stdout))
			return VX_EXIT_WRITE;
		return ok ? VX_EXIT_OK : VX_EXIT_INCOMPLETE;
	}

	sandbox_steps(&sandbox, steps, sizeof(steps));
	snprintf(text, sizeof(text), "libclamav %s; sandbox: %s", clam_version(), steps);
	send_text(VX_HELLO, 0, 0, text);

	for (;;) {
		struct vx_msg m;
		int fd, r = wire_recv(VX_FD, &m, text, &fd);

		if (r == 0)
			break;
		if (r < 0)
			exit(VX_EXIT_GARBLED);
		serve_one(clam, &m, fd, o.stall_ms);
	}
	clam_destroy(clam);
	return VX_EXIT_OK;
}
