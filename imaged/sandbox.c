/*
 * imaged/sandbox.c — namespaces, read-only mounts, capabilities, resource limits, Landlock
 * and the seccomp allow-list around vigil-image, the disk-image reader (sandbox.h has the
 * order and why it matters).
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * Taken from extract/sandbox.c (the same authors), less what a reader must not lose: no
 * tmpfs and no uid drop, since it must go on reading, by path, every file the user vigil
 * runs as can read; as root that takes CAP_DAC_READ_SEARCH.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/securebits.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "imaged/sandbox.h"
#include "imaged/sandbox_int.h"

/* Descriptors: stdio, the socket, the image with its segments or parents, the spool files
 * and memfds in flight. */
#define ISB_NOFILE 256

/* Landlock rights newer than the headers Debian 12 builds with (linux-libc-dev 6.1). */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)		/* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)	/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)	/* ABI 4 */
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)	/* ABI 6 */
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* open(2) flags that write or make something. O_TMPFILE without O_DIRECTORY (its other
 * bit), which opendir() sets. */
#define ISB_O_WRITES \
	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | (O_TMPFILE & ~O_DIRECTORY))

/* AddressSanitizer's leak check runs at exit, from a tracer process that ptraces us. */
#if defined(__SANITIZE_ADDRESS__) || defined(VIGIL_SAN)
#define ISB_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)	/* clang before 17 */
#define ISB_SANITIZER 1
#endif
#endif

/* By bit number in enum isb_step. */
const char *const isb_step_names[ISB_NSTEPS] = {
	"userns", "net", "mount", "ipc", "uts", "ro-root", "caps", "rlimits", "landlock",
	"seccomp",
};
_Static_assert(1u << (ISB_NSTEPS - 1) == ISB_SECCOMP, "a name for every enum isb_step");

/* Appends a reason to buf, "; " between: the first is kept whole, later ones as they fit. */
static void __attribute__((format(printf, 3, 4)))
note(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used && used + 2 < len) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

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

/*
 * Not root: a user namespace, in which we hold the capabilities that make the others. Our
 * one uid and gid are mapped to themselves, so the probe and file owners read as outside.
 * Returns 0, -1 if none could be made (we go on without), -2 if one was made but its id
 * maps could not be written (no way back, and a process with unmapped ids is no reader).
 */
static int
enter_userns(struct isb *sb, char *err, size_t errlen)
{
	unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
	char map[64];

	if (unshare(CLONE_NEWUSER)) {
		note(sb->ns_error, sizeof(sb->ns_error),
		     "no user namespace: unshare(CLONE_NEWUSER): %s", strerror(errno));
		return -1;
	}
	sb->held |= ISB_USERNS;
	/* While we are not dumpable (a process that changed its ids without an execve is
	 * not) /proc/self/ belongs to root and the maps cannot be opened; isb_enter makes us
	 * undumpable again right after. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	/* setgroups must be denied before an unprivileged process may write gid_map. */
	snprintf(map, sizeof(map), "%u %u 1", uid, uid);
	if (write_file("/proc/self/setgroups", "deny") || write_file("/proc/self/uid_map", map))
		goto map_failed;
	snprintf(map, sizeof(map), "%u %u 1", gid, gid);
	if (write_file("/proc/self/gid_map", map))
		goto map_failed;
	return 0;
map_failed:
	snprintf(err, errlen, "user namespace id maps: %s", strerror(errno));
	return -2;
}

/* All four at once; when that is refused, each on its own, so a host that refuses one (a
 * container's seccomp profile refusing CLONE_NEWNET, say) still gives the others. */
static void
enter_namespaces(struct isb *sb)
{
	static const struct {
		int flag;
		unsigned bit;
	} ns[] = {
		{ CLONE_NEWNS, ISB_MOUNT }, { CLONE_NEWNET, ISB_NET },
		{ CLONE_NEWIPC, ISB_IPC },  { CLONE_NEWUTS, ISB_UTS },
	};
	size_t i;

	if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0) {
		sb->held |= ISB_MOUNT | ISB_NET | ISB_IPC | ISB_UTS;
		return;
	}
	note(sb->ns_error, sizeof(sb->ns_error),
	     "unshare(CLONE_NEWNS|NEWNET|NEWIPC|NEWUTS): %s", strerror(errno));
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		if (unshare(ns[i].flag) == 0)
			sb->held |= ns[i].bit;
}

/*
 * Inside the new mount namespace: stop mount events from propagating back, then make every
 * inherited mount read-only. A subverted reader then writes to no file on the host, even as
 * root, whatever else fails; the mounts are our copies, the host's stay writable. Nothing is
 * mounted (no tmpfs): the reader writes only through descriptors.
 */
static void
readonly_mounts(struct isb *sb)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };

	/* In a chroot "/" is no mount point (EINVAL). Harmless here: flags never propagate,
	 * only mounts do, and we mount nothing. */
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
		fprintf(stderr, "vigil-image: cannot make mounts private: %s\n",
			strerror(errno));
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) == 0)
		sb->held |= ISB_RO_ROOT;
	else
		note(sb->ns_error, sizeof(sb->ns_error), "ro-root: mount_setattr(\"/\"): %s",
		     strerror(errno));
}

int
isb_cap_get(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };

	memset(data, 0, 2 * sizeof(*data));
	return (int)syscall(SYS_capget, &hdr, data);
}

/*
 * Root keeps CAP_DAC_READ_SEARCH (effective and permitted), so it still reads files it does
 * not own; every other capability leaves the bounding set too, the inheritable and ambient
 * sets are emptied, and the securebits locked, so that uid 0 gives nothing back (not even
 * through an execve). In a user namespace nothing is kept: its capabilities are no help on
 * the host's files. An ordinary user has nothing to drop but what a file capability gave.
 * Returns -1 only when root still holds more.
 */
static int
drop_caps(struct isb *sb, bool keep_dac, bool have_setpcap, char *err, size_t errlen)
{
	const unsigned long locks = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
				    SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
				    SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
				    SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	const uint32_t keep = keep_dac ? CAP_TO_MASK(CAP_DAC_READ_SEARCH) : 0;
	bool whole = true;
	int cap;

	/* Both need CAP_SETPCAP, so before the capset. An ordinary user has neither to lose
	 * (no_new_privs keeps an execve from the bounding set); root without CAP_SETPCAP
	 * (some containers) keeps them, and the step is not whole. */
	if (!have_setpcap && keep_dac) {
		note(sb->ns_error, sizeof(sb->ns_error),
		     "caps: no CAP_SETPCAP to empty the bounding set and lock the securebits");
		whole = false;
	} else if (have_setpcap) {
		if (prctl(PR_SET_SECUREBITS, locks, 0, 0, 0)) {
			note(sb->ns_error, sizeof(sb->ns_error), "caps: PR_SET_SECUREBITS: %s",
			     strerror(errno));
			whole = false;
		}
		/* PR_CAPBSET_READ fails (EINVAL) past the kernel's last capability. */
		for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
			if ((keep_dac && cap == CAP_DAC_READ_SEARCH) ||
			    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
				continue;
			note(sb->ns_error, sizeof(sb->ns_error), "caps: PR_CAPBSET_DROP %d: %s",
			     cap, strerror(errno));
			whole = false;
			break;
		}
	}
	/* EINVAL before Linux 4.3, which has no ambient set to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		whole = false;

	/* Only ever lowers: a root without CAP_DAC_READ_SEARCH (a container) ends with none. */
	if (isb_cap_get(data) == 0) {
		data[0].permitted &= keep;
		data[0].effective = data[0].permitted;
		data[0].inheritable = 0;
		memset(&data[1], 0, sizeof(data[1]));
		if (syscall(SYS_capset, &hdr, data))
			note(sb->ns_error, sizeof(sb->ns_error), "caps: capset: %s",
			     strerror(errno));
	}
	if (isb_cap_get(data) != 0) {
		snprintf(err, errlen, "cannot read our capabilities: %s", strerror(errno));
		return -1;
	}
	if ((data[0].effective | data[0].permitted) & ~keep || data[0].inheritable ||
	    data[1].effective | data[1].permitted | data[1].inheritable) {
		if (keep_dac) {
			snprintf(err, errlen,
				 "root kept capabilities other than CAP_DAC_READ_SEARCH");
			return -1;
		}
		whole = false;
	}
	if (whole)
		sb->held |= ISB_CAPS;
	return 0;
}

/* soft = hard = min(want, the hard limit we have): lowering needs no privilege. */
static int
lower(int resource, uint64_t want)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl))
		return -1;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		want = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = want;
	return setrlimit(resource, &rl);
}

/* Soft and hard alike, so a subverted reader cannot raise them again. No RLIMIT_FSIZE (it
 * writes large spool files through vigil's descriptors), no RLIMIT_NPROC (it counts every
 * process of the uid, root's too; the filter forbids fork anyway), no RLIMIT_CPU (a slow
 * image is vigil's to time out). */
static void
set_limits(struct isb *sb, const struct isb_opts *o)
{
	const uint64_t max_mb = UINT64_MAX >> 20;
	int bad = 0;

	bad |= lower(RLIMIT_CORE, 0);
	bad |= lower(RLIMIT_NOFILE, ISB_NOFILE);
	if (o->memory_mb)
		bad |= lower(RLIMIT_AS, (o->memory_mb < max_mb ? o->memory_mb : max_mb) << 20);
	if (bad)
		note(sb->ns_error, sizeof(sb->ns_error), "rlimits: setrlimit: %s",
		     strerror(errno));
	else
		sb->held |= ISB_RLIMITS;
}

int
isb_enter(struct isb *sb, const struct isb_opts *o, char *err, size_t errlen)
{
	struct __user_cap_data_struct data[2];
	bool root = geteuid() == 0;
	bool setpcap;

	memset(sb, 0, sizeof(*sb));
	err[0] = '\0';
	if (root) {
		enter_namespaces(sb);
	} else {
		switch (enter_userns(sb, err, errlen)) {
		case 0:
			enter_namespaces(sb);
			break;
		case -2:
			return -1;
		default:
			fprintf(stderr, "vigil-image: %s: only Landlock and seccomp fence the "
					"reader in\n", sb->ns_error);
		}
	}
	if (sb->held & ISB_MOUNT)
		readonly_mounts(sb);

	setpcap = isb_cap_get(data) == 0 && (data[0].effective & CAP_TO_MASK(CAP_SETPCAP));
	if (drop_caps(sb, root && !(sb->held & ISB_USERNS), setpcap, err, errlen))
		return -1;
	/* Landlock and seccomp need it; and no execve may gain privileges. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	/* After the id maps: no core file of a process that holds decrypted evidence, no
	 * ptrace by the uid's other processes. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		fprintf(stderr, "vigil-image: PR_SET_DUMPABLE: %s\n", strerror(errno));
	set_limits(sb, o);
	return 0;
}

/* What may be done to files beneath a folder, as Landlock counts writes (ABI 1). */
#define LL_WRITES_V1                                                                     \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                  \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |                  \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |                      \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |                    \
	 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

/* struct landlock_ruleset_attr as of ABI 6; older kernels take the start of it. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;	/* ABI 4 */
	uint64_t scoped;		/* ABI 6 */
};

/*
 * A ruleset that handles every write-like right this kernel knows, and execution, with no
 * rule to grant any back: nothing anywhere can be written, made, removed, renamed,
 * truncated or run by path. Reading is not handled, so it stays free. Descriptors opened
 * before, or passed in by vigil, keep the rights they were opened with (Landlock checks at
 * open time): the spool files stay writable. Where the kernel has them, TCP, abstract unix
 * sockets and signals to processes outside the sandbox are shut too.
 */
static void
restrict_paths(struct isb *sb)
{
	struct ll_ruleset_attr attr = {
		.handled_access_fs = LL_WRITES_V1 | LANDLOCK_ACCESS_FS_EXECUTE,
	};
	size_t size = offsetof(struct ll_ruleset_attr, handled_access_net);
	int abi, ruleset;

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		snprintf(sb->landlock_error, sizeof(sb->landlock_error), "%s",
			 errno == ENOSYS ? "not in this kernel" :
			 errno == EOPNOTSUPP ? "disabled in this kernel (lsm= boot option)" :
			 strerror(errno));
		return;
	}
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 4) {
		attr.handled_access_net =
			LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0) {
		snprintf(sb->landlock_error, sizeof(sb->landlock_error),
			 "landlock_create_ruleset (ABI %d): %s", abi, strerror(errno));
		return;
	}
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) == 0)
		sb->held |= ISB_LANDLOCK;
	else
		snprintf(sb->landlock_error, sizeof(sb->landlock_error),
			 "landlock_restrict_self (ABI %d): %s", abi, strerror(errno));
	close(ruleset);
}

/*
 * A system call off the list: its number on stderr (`ausyscall N` names it), so that one a
 * library needs in the field can be told from an attack, then death by SIGSYS, as
 * SCMP_ACT_KILL_PROCESS would have ended us (it runs no handler, hence SCMP_ACT_TRAP). Only
 * async-signal-safe calls, each on the list. When the call comes with SIGSYS blocked (a
 * thread starting, posix_spawn), the kernel kills the process without calling this.
 */
static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	static const char head[] = "vigil-image: the sandbox refused system call ";
	static const char tail[] = " (ausyscall names it)\n";
	char msg[sizeof(head) + sizeof(tail) + 12];
	unsigned nr = (unsigned)si->si_syscall, v;
	size_t n = sizeof(head) - 1, digits = 1, i;
	sigset_t set;

	(void)sig;
	(void)uc;
	memcpy(msg, head, n);
	for (v = nr; v >= 10; v /= 10)
		digits++;
	for (i = digits; i-- > 0; nr /= 10)
		msg[n + i] = (char)('0' + nr % 10);
	n += digits;
	memcpy(msg + n, tail, sizeof(tail) - 1);
	(void)!write(STDERR_FILENO, msg, n + sizeof(tail) - 1);

	signal(SIGSYS, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(SIGSYS);
	_exit(128 + SIGSYS);
}

/*
 * What reading images takes: libtsk, the libyal libraries, libcryptsetup with its argon2
 * threads and locked memory, glibc, and vigil's own wire code. Anything else (fork, exec,
 * ptrace, mount, kill, rename, unlink, chmod, open_by_handle_at, io_uring, bpf, keyctl, ...)
 * ends the process. The calls allowed with conditions are in build_rules.
 */
static const int allowed[] = {
	/* reading, by path and through descriptors */
	SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(preadv),
	SCMP_SYS(preadv2), SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat),
	SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(fstatfs), SCMP_SYS(statfs), SCMP_SYS(getdents64), SCMP_SYS(getdents),
	SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
	SCMP_SYS(access), SCMP_SYS(getcwd), SCMP_SYS(fadvise64), SCMP_SYS(readahead),
	SCMP_SYS(flock), SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3),
	/* libcryptsetup and libtsk ask block devices their size; isatty() (the ioctl and
	 * fcntl commands that reach other processes are refused by load_deny_list) */
	SCMP_SYS(ioctl),
	/* writing, only to descriptors held: the socket, memfds, vigil's spool files */
	SCMP_SYS(write), SCMP_SYS(pwrite64), SCMP_SYS(writev), SCMP_SYS(memfd_create),
	SCMP_SYS(ftruncate), SCMP_SYS(fallocate), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(msync), SCMP_SYS(pipe), SCMP_SYS(pipe2), SCMP_SYS(eventfd2),
	/* the socket to vigil (fd 3), with SCM_RIGHTS */
	SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(recvfrom),
	SCMP_SYS(shutdown), SCMP_SYS(poll), SCMP_SYS(ppoll),
	/* memory: the allocator, mapped images, libcryptsetup's locked key material */
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
	SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(mlock), SCMP_SYS(mlock2),
	SCMP_SYS(munlock), SCMP_SYS(mlockall), SCMP_SYS(munlockall), SCMP_SYS(membarrier),
	/* threads (argon2, libyal) and their synchronisation */
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list),
	SCMP_SYS(rseq), SCMP_SYS(set_tid_address), SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* identity, time, randomness: nothing that changes anything */
	SCMP_SYS(getrandom), SCMP_SYS(uname), SCMP_SYS(sysinfo), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(getgroups), SCMP_SYS(capget),
	SCMP_SYS(getrlimit), SCMP_SYS(getrusage), SCMP_SYS(times), SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep),
	/* PR_SET_NAME and friends; what could matter is locked (securebits, no_new_privs) or
	 * needs a capability we no longer have */
	SCMP_SYS(prctl),
	/* signals to ourselves (tgkill has its own rule): abort(), the SIGSYS report */
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(restart_syscall),
#ifdef ISB_SANITIZER
	/* LeakSanitizer at exit: a tracer (clone, its own rule) lists /proc/PID/task with
	 * getdents, attaches to each of our threads and waits for it. Only in the sanitizer
	 * build: nothing else here may ptrace. */
	SCMP_SYS(ptrace), SCMP_SYS(wait4),
#endif
};

static int
add(scmp_filter_ctx f, uint32_t action, int nr, unsigned n, const struct scmp_arg_cmp *cmp)
{
	int rc;

	if (nr < 0)	/* not a system call on this architecture: nothing to allow */
		return 0;
	rc = seccomp_rule_add_array(f, action, nr, n, cmp);
	if (rc < 0)
		fprintf(stderr, "vigil-image: seccomp rule for system call %d: %s\n", nr,
			strerror(-rc));
	return rc;
}

/* open/openat whose flags (argument arg) neither write nor make anything; any such flag
 * gets EACCES, so a library that tries O_RDWR first falls back to reading. */
static int
read_only_opens(scmp_filter_ctx f, int nr, unsigned arg)
{
	const struct scmp_arg_cmp ro = { arg, SCMP_CMP_MASKED_EQ, ISB_O_WRITES, 0 };
	unsigned long bit;
	int rc = add(f, SCMP_ACT_ALLOW, nr, 1, &ro);

	for (bit = 1; bit <= ISB_O_WRITES; bit <<= 1) {
		const struct scmp_arg_cmp has = { arg, SCMP_CMP_MASKED_EQ, bit, bit };

		if (ISB_O_WRITES & bit)
			rc |= add(f, SCMP_ACT_ERRNO(EACCES), nr, 1, &has);
	}
	return rc;
}

static int
build_rules(scmp_filter_ctx f)
{
	const struct scmp_arg_cmp thread =
		SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
	const struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0);
	const struct scmp_arg_cmp own_limits = SCMP_A0(SCMP_CMP_EQ, 0, 0);
	const uint32_t eacces = SCMP_ACT_ERRNO(EACCES);
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		rc |= add(f, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
	rc |= read_only_opens(f, SCMP_SYS(openat), 2);
	rc |= read_only_opens(f, SCMP_SYS(open), 1);
	rc |= add(f, eacces, SCMP_SYS(creat), 0, NULL);
	/* Its flags are in a struct the filter cannot read: ENOSYS sends callers to openat. */
	rc |= add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0, NULL);
	/* Threads only, never a process. clone3's flags are in a struct too: on ENOSYS
	 * glibc falls back to clone. */
	rc |= add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &thread);
	rc |= add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, NULL);
#ifdef ISB_SANITIZER
	{
		/* LeakSanitizer's tracer is CLONE_VM | CLONE_UNTRACED; posix_spawn's clone
		 * (CLONE_VFORK, traceable) stays refused */
		const struct scmp_arg_cmp tracer =
			SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VM | CLONE_UNTRACED | CLONE_VFORK,
				CLONE_VM | CLONE_UNTRACED);

		rc |= add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &tracer);
	}
#endif
	/* abort() and the SIGSYS report signal this process; no other may be signalled. */
	rc |= add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, &self);
	/* Our own limits (glibc's getrlimit is prlimit64(0, ...)): root could otherwise lower
	 * those of any root process. */
	rc |= add(f, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1, &own_limits);
	/* Refused rather than fatal: the probe reports them, and libcryptsetup falls back
	 * from the kernel's crypto sockets (AF_ALG) to its own code. */
	rc |= add(f, eacces, SCMP_SYS(socket), 0, NULL);
	rc |= add(f, eacces, SCMP_SYS(socketpair), 0, NULL);
	rc |= add(f, eacces, SCMP_SYS(connect), 0, NULL);
	return rc;
}

/*
 * A second filter, for what the first cannot say ("allow, but not with these arguments":
 * libseccomp lets an unconditional rule swallow conditional ones); where filters disagree
 * the kernel takes the stricter action. TIOCSTI pushes characters into a terminal's input,
 * TIOCLINUX pastes the console selection: either would type commands into the shell that
 * started us when a descriptor of ours is its terminal. F_SETOWN and friends name a process
 * to signal when a descriptor is ready, and root may name any: kill(2) by another door
 * (Landlock's signal scope shuts it too, from ABI 6). Commands are unsigned ints: only the
 * low 32 bits are compared, as the kernel reads them.
 */
static int
load_deny_list(void)
{
	static const struct {
		int nr;
		unsigned long cmd;
	} deny[] = {
		{ SCMP_SYS(ioctl), TIOCSTI },	{ SCMP_SYS(ioctl), TIOCLINUX },
		{ SCMP_SYS(ioctl), FIOSETOWN },	{ SCMP_SYS(ioctl), SIOCSPGRP },
		{ SCMP_SYS(fcntl), F_SETOWN },	{ SCMP_SYS(fcntl), F_SETOWN_EX },
		{ SCMP_SYS(fcntl), F_SETSIG },
	};
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	size_t i;
	int rc;

	if (!f)
		return -ENOMEM;
	rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
	for (i = 0; rc == 0 && i < sizeof(deny) / sizeof(deny[0]); i++) {
		const struct scmp_arg_cmp cmd =
			SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, deny[i].cmd);

		rc = add(f, SCMP_ACT_ERRNO(EPERM), deny[i].nr, 1, &cmd);
	}
	if (rc == 0)
		rc = seccomp_load(f);
	seccomp_release(f);
	return rc;
}

/* The allow-list, with default action deflt. 0 or -errno. */
static int
load_allow_list(uint32_t deflt)
{
	scmp_filter_ctx f = seccomp_init(deflt);
	int rc;

	if (!f)
		return -ENOMEM;
	/* Any thread a library started is filtered too. */
	rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = build_rules(f) ? -EINVAL : 0;
	if (rc == 0)
		rc = seccomp_load(f);
	seccomp_release(f);
	return rc;
}

int
isb_lock(struct isb *sb)
{
	struct sigaction sa;
	uint32_t deflt = SCMP_ACT_TRAP;
	int rc;

	restrict_paths(sb);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL)) {
		fprintf(stderr, "vigil-image: no SIGSYS handler (%s): a refused system call "
				"will end the process unreported\n", strerror(errno));
		deflt = SCMP_ACT_KILL_PROCESS;
	}
	/* The small filter first: the allow-list leaves no seccomp(2) to load it with. */
	rc = load_deny_list();
	if (rc == 0)
		rc = load_allow_list(deflt);
	if (rc < 0) {
		snprintf(sb->lock_error, sizeof(sb->lock_error),
			 "cannot load the seccomp filter: %s", strerror(-rc));
		return -1;
	}
	sb->held |= ISB_SECCOMP;
	return 0;
}

void
isb_steps(const struct isb *sb, char *buf, size_t len)
{
	size_t i, used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (i = 0; i < ISB_NSTEPS; i++) {
		int n;

		if (!(sb->held & (1u << i)))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", isb_step_names[i]);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (!used)
		snprintf(buf, len, "none");
}
