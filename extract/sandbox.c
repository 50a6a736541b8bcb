/*
 * extract/sandbox.c — namespaces, a private tmpfs, dropped privileges, resource limits and
 * the seccomp allow-list around libclamav (see sandbox.h for the order and why it matters).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <grp.h>

#include "extract/proto.h"
#include "extract/sandbox.h"

/* Where root drops to once its mounts are made: nothing on the host belongs to it. */
#define SB_NOBODY_ID 65534
/* Descriptors: the socket, stdio, one memfd in and out, and libclamav's temporary files
 * (one open per nesting level, at most a few dozen). */
#define SB_NOFILE 256

static const struct {
	unsigned bit;
	const char *name;
} step_names[] = {
	{ SB_USERNS, "userns" },   { SB_NET, "net" },	       { SB_MOUNT, "mount" },
	{ SB_IPC, "ipc" },	   { SB_UTS, "uts" },	       { SB_RO_ROOT, "ro-root" },
	{ SB_TMPFS, "tmpfs" },	   { SB_TMPDIR, "tmpdir" },    { SB_NOBODY, "nobody" },
	{ SB_NOCAPS, "nocaps" },   { SB_RLIMITS, "rlimits" },  { SB_LANDLOCK, "landlock" },
	{ SB_SECCOMP, "seccomp" },
};

/* Tried in turn for the tmpfs: the first that is a real folder (not a link) is covered. */
static const char *const tmpfs_points[] = { "/tmp", "/var/tmp", "/run", "/mnt" };

static int
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)len ? 0 : -1;
}

/* Not root: a user namespace lets us make the others. Our one uid and gid become the
 * namespace's root, which holds capabilities over the new namespaces only. */
static int
enter_userns(struct sandbox *sb)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)) {
		snprintf(sb->ns_error, sizeof(sb->ns_error), "unshare(CLONE_NEWUSER...): %s",
			 strerror(errno));
		return -1;
	}
	sb->held |= SB_USERNS | SB_NET | SB_MOUNT | SB_IPC | SB_UTS;
	/* setgroups must be denied before an unprivileged process may write gid_map. */
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (write_file("/proc/self/setgroups", "deny") || write_file("/proc/self/uid_map", map))
		goto map_failed;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map))
		goto map_failed;
	return 0;
map_failed:
	/* Past unshare there is no way back, and unmapped ids cannot create files. */
	snprintf(sb->ns_error, sizeof(sb->ns_error), "user namespace id maps: %s",
		 strerror(errno));
	return -2;
}

/* Root: the namespaces directly. Returns 0, -1 if root may not make them either. */
static int
enter_rootns(struct sandbox *sb)
{
	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)) {
		snprintf(sb->ns_error, sizeof(sb->ns_error), "unshare(CLONE_NEWNS...): %s",
			 strerror(errno));
		return -1;
	}
	sb->held |= SB_NET | SB_MOUNT | SB_IPC | SB_UTS;
	return 0;
}

/*
 * Inside the new mount namespace: stop our mounts from propagating back, make every
 * inherited mount read-only (a subverted extractor then cannot write to the host's files
 * even as the user vigil runs as), and cover a temporary folder with a fresh tmpfs, which
 * stays writable because it is mounted after. The namespace, and with it the tmpfs, dies
 * with the process, so nothing is left behind even after SIGKILL.
 */
static int
private_mounts(struct sandbox *sb, const struct sandbox_opts *o, bool as_root, char *err,
	       size_t errlen)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	char data[128];
	size_t i;

	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		/* In a chroot "/" is no mount point (EINVAL): nothing can be made private, so
		 * nothing is mounted either (a mount could propagate to the host); the fallback
		 * folder takes the temporary files. */
		if (errno == EINVAL && o->tmp_fallback != NULL) {
			fprintf(stderr, "vigil-extract: \"/\" is not a mount point (a chroot?): "
					"no private tmpfs\n");
			return 0;
		}
		snprintf(err, errlen, "cannot make mounts private: %s", strerror(errno));
		return -1;
	}
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) == 0)
		sb->held |= SB_RO_ROOT;
	else
		fprintf(stderr, "vigil-extract: cannot make mounts read-only: %s\n",
			strerror(errno));

	/* Root hands the tmpfs to the uid it is about to become. */
	snprintf(data, sizeof(data), "mode=0700,size=%llu%s", (unsigned long long)o->tmpfs_bytes,
		 as_root ? ",uid=65534,gid=65534" : "");
	for (i = 0; i < sizeof(tmpfs_points) / sizeof(tmpfs_points[0]); i++) {
		struct stat st;

		if (lstat(tmpfs_points[i], &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (mount("vigil-extract", tmpfs_points[i], "tmpfs",
			  MS_NOSUID | MS_NODEV | MS_NOEXEC, data) != 0) {
			snprintf(err, errlen, "cannot mount a tmpfs on %s: %s", tmpfs_points[i],
				 strerror(errno));
			continue;
		}
		if (tmpdir_at_mount(&sb->tmp, tmpfs_points[i]) != 0) {
			snprintf(err, errlen, "cannot open %s: %s", tmpfs_points[i],
				 strerror(errno));
			return -1;
		}
		sb->held |= SB_TMPFS;
		return 0;
	}
	if (!err[0])
		snprintf(err, errlen, "no folder to mount a tmpfs on");
	return -1;
}

static int
drop_root(struct sandbox *sb, char *err, size_t errlen)
{
	/* Supplementary groups first: after setuid we could no longer clear them. Leaving
	 * uid 0 for good clears every capability (no SECBIT_KEEP_CAPS). */
	if (setgroups(0, NULL) || setresgid(SB_NOBODY_ID, SB_NOBODY_ID, SB_NOBODY_ID) ||
	    setresuid(SB_NOBODY_ID, SB_NOBODY_ID, SB_NOBODY_ID)) {
		snprintf(err, errlen, "cannot drop root: %s", strerror(errno));
		return -1;
	}
	sb->held |= SB_NOBODY;
	return 0;
}

/* In a user namespace we stay the namespace's root, but with none of its capabilities:
 * nothing after this needs them, and each one is kernel surface. */
static void
drop_caps(struct sandbox *sb)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) == 0)
		sb->held |= SB_NOCAPS;
	else
		fprintf(stderr, "vigil-extract: cannot drop capabilities: %s\n", strerror(errno));
}

static int
limit(int resource, uint64_t soft, uint64_t hard)
{
	struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };

	return setrlimit(resource, &rl);
}

/* Soft and hard alike, so a subverted extractor cannot raise them again. RLIMIT_NPROC is
 * left alone: it counts every process of the uid, and the filter forbids fork anyway. */
static void
set_limits(struct sandbox *sb, const struct sandbox_opts *o)
{
	int bad = 0;

	bad |= limit(RLIMIT_AS, o->memory_mb << 20, o->memory_mb << 20);
	/* SIGXCPU at the soft limit ends us (its default action); SIGKILL one second later if
	 * something caught it. */
	bad |= limit(RLIMIT_CPU, o->cpu_s, o->cpu_s + 1);
	bad |= limit(RLIMIT_CORE, 0, 0);
	bad |= limit(RLIMIT_FSIZE, o->fsize_bytes, o->fsize_bytes);
	bad |= limit(RLIMIT_NOFILE, SB_NOFILE, SB_NOFILE);
	/* Past RLIMIT_FSIZE a write should fail with EFBIG (libclamav reports an error for
	 * that object), not kill the process with SIGXFSZ. */
	signal(SIGXFSZ, SIG_IGN);
	if (bad)
		fprintf(stderr, "vigil-extract: cannot set resource limits: %s\n", strerror(errno));
	else
		sb->held |= SB_RLIMITS;
}

int
sandbox_enter(struct sandbox *sb, const struct sandbox_opts *o, char *err, size_t errlen)
{
	bool root = geteuid() == 0;
	int rc = -1;

	memset(sb, 0, sizeof(*sb));
	tmpdir_init(&sb->tmp);
	err[0] = '\0';
	/* Folders left by extractors that were killed while in fallback mode. */
	if (o->tmp_fallback)
		tmpdir_sweep(o->tmp_fallback);

	if (o->no_userns)
		snprintf(sb->ns_error, sizeof(sb->ns_error), "disabled by --no-userns");
	else if (root && enter_rootns(sb) == 0)
		rc = 0;
	else
		rc = enter_userns(sb);
	if (rc == -2) {
		snprintf(err, errlen, "%s", sb->ns_error);
		return -1;
	}
	if (rc == 0 && private_mounts(sb, o, root && !(sb->held & SB_USERNS), err, errlen) != 0)
		return -1;	/* the namespace is made and cannot be left: no fallback */

	if (!(sb->held & SB_TMPFS)) {
		if (!o->tmp_fallback) {
			snprintf(err, errlen, "no namespace (%s) and no --tmp-fallback folder",
				 sb->ns_error);
			return -1;
		}
		if (tmpdir_fallback(&sb->tmp, o->tmp_fallback, err, errlen) != 0)
			return -1;
		sb->held |= SB_TMPDIR;
	}

	if (sb->held & SB_USERNS)
		drop_caps(sb);
	else if (root && (sb->held & SB_TMPFS) && drop_root(sb, err, errlen) != 0)
		return -1;
	set_limits(sb, o);
	sb->uid = (unsigned)getuid();
	sb->allow_sleep = o->allow_sleep;
	return 0;
}

/* What a process may do to files beneath a folder, as Landlock counts it (ABI 1: the
 * rights every Landlock kernel knows). Reading is not restricted: there is nobody to tell. */
#define LL_WRITES                                                                           \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                     \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |                     \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |                         \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |                       \
	 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)
#define LL_TMP_RIGHTS                                                                       \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                     \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |                      \
	 LANDLOCK_ACCESS_FS_MAKE_REG)

static int
ll_add(int ruleset, int dir_fd, uint64_t rights)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = rights, .parent_fd = dir_fd };

	return (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
}

/*
 * Writes only inside the temporary folder (and, in the fallback case, removing our own
 * DIR/<pid> at the end), nothing executed from anywhere. In a read-only mount namespace
 * this repeats what the mounts already say; in the fallback case it is the only thing
 * between a subverted extractor and the files of the user vigil runs as.
 */
static void
restrict_writes(struct sandbox *sb)
{
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = LL_WRITES | LANDLOCK_ACCESS_FS_EXECUTE,
	};
	int ruleset;

	if (syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) < 1)
		return;		/* no Landlock in this kernel: the other fences stand */
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return;
	if (ll_add(ruleset, sb->tmp.fd, LL_TMP_RIGHTS) == 0 &&
	    (sb->tmp.parent_fd < 0 ||
	     ll_add(ruleset, sb->tmp.parent_fd, LANDLOCK_ACCESS_FS_REMOVE_DIR) == 0) &&
	    syscall(SYS_landlock_restrict_self, ruleset, 0) == 0)
		sb->held |= SB_LANDLOCK;
	else
		fprintf(stderr, "vigil-extract: Landlock: %s\n", strerror(errno));
	close(ruleset);
}

#ifdef VX_SECCOMP_TRAP
/*
 * Development aid: build with -DVX_SECCOMP_TRAP and a forbidden call prints its number
 * (ausyscall NUMBER names it) instead of killing silently; add it to the list if a scan
 * really needs it. Never ship this: a handler is more surface than a kill.
 */
static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[64];
	int n;

	(void)sig;
	(void)uc;
	n = snprintf(msg, sizeof(msg), "vigil-extract: SECCOMP TRAP syscall %d\n",
		     si->si_syscall);
	(void)!write(2, msg, (size_t)n);
	_exit(100);
}
#define SB_DEFAULT_ACTION SCMP_ACT_TRAP
#else
#define SB_DEFAULT_ACTION SCMP_ACT_KILL_PROCESS
#endif

/*
 * What a scan needs. The first group is what strace showed after the filter was loaded,
 * over the clamav-testfiles, libclamav's own unit-test inputs, encrypted archives, VBA
 * projects, images and 60 MB archives; the others are named for the path that needs them.
 * Anything else (fork, exec, ptrace, mount, kill, rename, ...) ends the process.
 */
static const int allowed[] = {
	/* seen: libclamav's temporary files and folders, the memfds, the allocator */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(pread64), SCMP_SYS(lseek),
	SCMP_SYS(close), SCMP_SYS(openat), SCMP_SYS(newfstatat), SCMP_SYS(fcntl),
	SCMP_SYS(getdents64), SCMP_SYS(mkdir), SCMP_SYS(rmdir), SCMP_SYS(unlink),
	SCMP_SYS(chmod),	/* cli_rmdirs makes each folder writable before emptying it */
	SCMP_SYS(memfd_create), SCMP_SYS(munmap), SCMP_SYS(brk), SCMP_SYS(futex),
	SCMP_SYS(clock_gettime), SCMP_SYS(exit_group),
	/* ours: tmpdir.c empties the folder with unlinkat */
	SCMP_SYS(unlinkat),
	/* libclamav scan paths the samples did not reach: access() before opening what an
	 * unpacker wrote (scanners.c), dup() of a descriptor (scanners.c, htmlnorm.c), and
	 * the time-limit checks (gettimeofday, time: normally in the vDSO) */
	SCMP_SYS(access), SCMP_SYS(dup), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	/* glibc's allocator on large blocks: realloc moves them with mremap, free may
	 * madvise (mprotect has its own rule below) */
	SCMP_SYS(mremap), SCMP_SYS(madvise),
	/* abort(), after a failed assertion or glibc's heap checks: the message (writev)
	 * and SIGABRT to ourselves (tgkill has its own rule), so a crash reads as one */
	SCMP_SYS(writev), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	/* Rust's hash maps and OpenSSL seed themselves lazily */
	SCMP_SYS(getrandom),
};

static int
add(scmp_filter_ctx f, uint32_t action, int nr, unsigned n, const struct scmp_arg_cmp *cmp)
{
	int rc = seccomp_rule_add_array(f, action, nr, n, cmp);

	if (rc < 0)
		fprintf(stderr, "vigil-extract: seccomp rule for %d: %s\n", nr, strerror(-rc));
	return rc;
}

static int
build_rules(scmp_filter_ctx f, bool allow_sleep)
{
	const struct scmp_arg_cmp sock_only = SCMP_A0(SCMP_CMP_EQ, VX_FD);
	const struct scmp_arg_cmp no_exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	const struct scmp_arg_cmp exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC);
	const struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		rc |= add(f, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
	/* The only conversation is with vigil on fd 3. */
	rc |= add(f, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 1, &sock_only);
	rc |= add(f, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1, &sock_only);
	/* No new executable memory: we load no bytecode, so nothing has a reason to JIT,
	 * and refusing (rather than killing) lets a dlopen (iconv's modules) fail softly. */
	rc |= add(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, &no_exec);
	rc |= add(f, eperm, SCMP_SYS(mmap), 1, &exec);
	rc |= add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, &no_exec);
	rc |= add(f, eperm, SCMP_SYS(mprotect), 1, &exec);
	/* abort() signals itself; anything else is refused outright. */
	rc |= add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, &self);
	/* isatty() and friends: no device is ours to talk to. */
	rc |= add(f, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 0, NULL);
	/* Refused rather than fatal, so --probe can report it and code that tries (none
	 * should) fails cleanly. */
	rc |= add(f, eperm, SCMP_SYS(socket), 0, NULL);
	rc |= add(f, eperm, SCMP_SYS(socketpair), 0, NULL);
	rc |= add(f, eperm, SCMP_SYS(connect), 0, NULL);
	/* Only for the tests' stall hook: a scan never sleeps. */
	if (allow_sleep) {
		rc |= add(f, SCMP_ACT_ALLOW, SCMP_SYS(nanosleep), 0, NULL);
		rc |= add(f, SCMP_ACT_ALLOW, SCMP_SYS(clock_nanosleep), 0, NULL);
	}
	return rc;
}

int
sandbox_lock(struct sandbox *sb)
{
	scmp_filter_ctx f;
	int rc;

	restrict_writes(sb);
	f = seccomp_init(SB_DEFAULT_ACTION);
	if (!f) {
		snprintf(sb->lock_error, sizeof(sb->lock_error), "seccomp_init failed");
		return -1;
	}
#ifdef VX_SECCOMP_TRAP
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSYS, &sa, NULL);
	}
#endif
	/* Any thread a library started must be filtered too. */
	rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = build_rules(f, sb->allow_sleep) ? -EINVAL : 0;
	if (rc == 0)
		rc = seccomp_load(f);
	seccomp_release(f);
	if (rc < 0) {
		snprintf(sb->lock_error, sizeof(sb->lock_error), "cannot load the seccomp filter: %s",
			 strerror(-rc));
		return -1;
	}
	sb->held |= SB_SECCOMP;
	return 0;
}

void
sandbox_steps(const struct sandbox *sb, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(step_names) / sizeof(step_names[0]); i++) {
		int n;

		if (!(sb->held & step_names[i].bit))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", step_names[i].name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (!used)
		snprintf(buf, len, "none");
}

/* Tries one socket; true if it was refused. */
static bool
socket_refused(FILE *out, const char *what, int domain, int type)
{
	int fd = socket(domain, type, 0);

	if (fd >= 0) {
		close(fd);
		fprintf(out, "%s: OPEN (socket succeeded)\n", what);
		return false;
	}
	fprintf(out, "%s: blocked (socket: %s)\n", what, strerror(errno));
	return true;
}

bool
sandbox_report(const struct sandbox *sb, FILE *out)
{
	/* What a complete sandbox has; "userns" is only the means for the others when not
	 * root, and exactly one of "nobody"/"nocaps" applies. */
	const unsigned full = SB_NET | SB_MOUNT | SB_RO_ROOT | SB_TMPFS | SB_RLIMITS | SB_SECCOMP;
	char steps[256];
	bool ok;

	sandbox_steps(sb, steps, sizeof(steps));
	fprintf(out, "sandbox: %s\n", steps);
	ok = socket_refused(out, "network", AF_INET, SOCK_STREAM);
	ok &= socket_refused(out, "unix-sockets", AF_UNIX, SOCK_STREAM);
	if (sb->held & SB_NET)
		fprintf(out, "netns: private (unshare CLONE_NEWNET succeeded)\n");
	else
		fprintf(out, "netns: shared (%s)\n", sb->ns_error);
	if (sb->held & SB_SECCOMP)
		fprintf(out, "exec: forbidden by the filter (execve, execveat, fork, clone "
			"not allowed)\n");
	else
		fprintf(out, "exec: ALLOWED (%s)\n", sb->lock_error);
	if (sb->held & SB_TMPFS)
		fprintf(out, "tmp: tmpfs (private mount namespace)\n");
	else
		fprintf(out, "tmp: %s\n", sb->tmp.path);
	fprintf(out, "root: %s\n", (sb->held & SB_RO_ROOT) ? "read-only" : "writable");
	fprintf(out, "writes: %s\n", (sb->held & SB_LANDLOCK)
					      ? "only in the temporary folder (landlock)"
					      : "not restricted by landlock");
	if (sb->held & SB_NOBODY)
		fprintf(out, "privileges: uid %u, no capabilities (root dropped)\n", sb->uid);
	else if (sb->held & SB_NOCAPS)
		fprintf(out, "privileges: uid %u in a user namespace, no capabilities\n", sb->uid);
	else
		fprintf(out, "privileges: uid %u, unchanged\n", sb->uid);
	fprintf(out, "rlimits: %s\n", (sb->held & SB_RLIMITS) ? "set" : "NOT SET");
	if (!(sb->held & (SB_NOBODY | SB_NOCAPS)) || (sb->held & full) != full)
		ok = false;
	return ok;
}

void
sandbox_leave(struct sandbox *sb)
{
	tmpdir_release(&sb->tmp);
}
