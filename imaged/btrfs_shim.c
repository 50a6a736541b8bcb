/*
 * imaged/btrfs_shim.c — build/vigil-btrfs.so, loaded by vigil into btrfs-progs' `btrfs
 * restore` (LD_PRELOAD; scanner/btrfs_run.c starts it), so that restore reads a btrfs volume
 * it never sees as a file and writes the files it restores nowhere:
 *
 * - the volume: restore is given /proc/self/fd/4, a sparse memfd as long as the volume (it
 *   holds no byte of it); every read of that file (pread, pread64, read) is asked of the image
 *   walk over descriptor 3 (scanner/image_btrfs.c), which reads the volume through vigil's
 *   views of the image (a partition of a QCOW2, a decrypted LUKS volume, an LVM volume);
 * - what it restores: everything under OUT_PREFIX, restore's output folder, which does not
 *   exist. A file it creates there is a memfd; its owner, mode and times (restore -m) are
 *   noted, not applied; when restore closes it, the memfd goes to the walk with its name,
 *   and restore waits until the walk has taken it (one file in memory at a time). Folders are
 *   made nowhere. The host's file system is never written.
 *
 * Before restore's main() runs, this library's constructor sandboxes the process: it drops
 * to uid/gid 65534 with no capabilities, sets resource limits (RLIMIT_FSIZE bounds a
 * restored file), forbids new privileges, lets Landlock deny every write, exec and change of
 * the file system, and installs a seccomp allow-list (anything else kills the process).
 * The walk believes nothing that comes from here: restore parses the hostile volume.
 *
 * Outside vigil (VIGIL_BTRFS_SHIM unset; vigil sets it to restore or check) it does nothing.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "scanner/image_wire.h"

#define SOCK_FD 3
#define VOLUME_FD 4
#define OUT_PREFIX "/vigil-btrfs-out"
#define MAX_FD 1024
#define NOBODY 65534
#define MEMORY_LIMIT (1024ull << 20)

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)		/* ABI 2 */
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)	/* ABI 3 */
#endif

#define EXPORT __attribute__((visibility("default")))

static int active;		/* set up by the constructor: vigil started us */
static const unsigned char *window;	/* where the walk puts what is read (IW_BT_WINDOW) */
static dev_t vol_dev;
static ino_t vol_ino;
static unsigned read_failures;	/* reads of the volume that failed, so far */

/* A file or folder restore made under OUT_PREFIX. */
struct out {
	char *path;		/* without OUT_PREFIX; NULL: a folder opened for its metadata */
	struct iw_bt_file f;
	unsigned failures_at_open;
};
static struct out *outs[MAX_FD];

static __attribute__((noreturn)) void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("vigil-btrfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(125);
}

/* The next definition of a libc function (ours interposes it). */
#define REAL(ret, name, ...)                                                                \
	static ret (*real)(__VA_ARGS__);                                                    \
	if (real == NULL)                                                                   \
		real = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, name)

/* ---- the wire to the walk ---- */

/* Ask and wait for IW_BT_REPLY; the walk gone ends the process. */
static void
ask(uint32_t kind, const uint64_t *n, const struct iw_str *s, size_t ns, int fd, struct iw_msg *m)
{
	char why[128];
	int rc;

	if (iw_send(SOCK_FD, kind, n, s, ns, fd) != 0)
		die("cannot send to vigil: %s", strerror(errno));
	rc = iw_recv(SOCK_FD, m, -1, why, sizeof(why));
	if (rc != 1 || m->kind != IW_BT_REPLY) {
		if (rc == 1)
			iw_msg_free(m);
		die("no answer from vigil: %s", rc == 0 ? "it closed the socket" : why);
	}
}

/* Read [off, off + len) of the volume from the walk: bytes read, or -1 (EIO). */
static ssize_t
volume_read(void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		size_t want = len - done > IW_BT_WINDOW ? IW_BT_WINDOW : len - done;
		uint64_t n[3] = { off + done, want };
		struct iw_msg m;
		uint64_t got;

		ask(IW_BT_READ, n, NULL, 0, -1, &m);
		got = m.n[0];
		if (m.n[1] != 0 || got > want) {
			iw_msg_free(&m);
			read_failures++;
			if (done > 0)
				return (ssize_t)done;
			errno = EIO;
			return -1;
		}
		iw_msg_free(&m);
		memcpy((char *)buf + done, window, got);
		done += got;
		if (got < want)
			break; /* the end of the volume */
	}
	return (ssize_t)done;
}

static int
is_volume(int fd)
{
	struct stat st;

	return active && fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	       st.st_dev == vol_dev && st.st_ino == vol_ino;
}

/* ---- what restore writes ---- */

static int
under_out(const char *p)
{
	size_t n = sizeof(OUT_PREFIX) - 1;

	return active && p != NULL && strncmp(p, OUT_PREFIX, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

static struct out *
tracked(int fd)
{
	return active && fd >= 0 && fd < MAX_FD ? outs[fd] : NULL;
}

/* A file restore creates (a memfd), or a folder it opens to set its metadata (/dev/null). */
static int
open_out(const char *path, int flags)
{
	REAL(int, "open", const char *, int, ...);
	struct out *o = calloc(1, sizeof(*o));
	int fd;

	if (o == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (flags & O_CREAT) {
		o->path = strdup(path + sizeof(OUT_PREFIX) - 1);
		o->f.mode = 0644;
		o->failures_at_open = read_failures;
		/* the walk seals it and hands it on as it is */
		fd = o->path ? memfd_create("vigil-btrfs-file", MFD_CLOEXEC | MFD_ALLOW_SEALING) : -1;
	} else {
		fd = real("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0 || fd >= MAX_FD) {
		if (fd >= 0)
			close(fd);
		free(o->path);
		free(o);
		errno = fd >= 0 ? EMFILE : errno;
		return -1;
	}
	outs[fd] = o;
	return fd;
}

/* restore closed a file: it goes to the walk, which answers once it has taken it. */
static void
hand_over(int fd, struct out *o)
{
	struct stat st;
	struct iw_str s[2];
	struct iw_msg m;

	if (o->path == NULL)
		return;
	if (read_failures != o->failures_at_open)
		o->f.flags |= IW_BT_READ_FAILED;
	o->f.size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	s[0] = iw_cstr(o->path);
	s[1] = (struct iw_str){ .p = (const char *)&o->f, .len = sizeof(o->f) };
	ask(IW_BT_FILE, NULL, s, 2, fd, &m);
	if (m.n[0] != 0)
		_exit(0); /* the scan is stopping */
	iw_msg_free(&m);
}

static void
note_write(struct out *o, ssize_t r)
{
	if (r < 0)
		o->f.flags |= errno == EFBIG ? IW_BT_TOO_LARGE : IW_BT_WRITE_FAILED;
}

/* ---- the interposed calls ---- */

static int
do_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	REAL(int, "openat", int, const char *, int, ...);

	if (under_out(path))
		return open_out(path, flags);
	return real(dirfd, path, flags, mode);
}

/* The mode argument, there only when a file may be created. */
#define MODE_ARG(flags, last, mode)                                                          \
	do {                                                                                \
		va_list ap;                                                                 \
                                                                                            \
		va_start(ap, last);                                                         \
		mode = (flags) & (O_CREAT | __O_TMPFILE) ? va_arg(ap, mode_t) : 0;          \
		va_end(ap);                                                                 \
	} while (0)

EXPORT int
open(const char *path, int flags, ...)
{
	mode_t mode;

	MODE_ARG(flags, flags, mode);
	return do_openat(AT_FDCWD, path, flags, mode);
}

EXPORT int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;

	MODE_ARG(flags, flags, mode);
	return do_openat(dirfd, path, flags, mode);
}

EXPORT int __open_2(const char *path, int flags) { return do_openat(AT_FDCWD, path, flags, 0); }
EXPORT int creat(const char *path, mode_t mode)
{
	return do_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return do_openat(dirfd, path, flags, 0);
}

EXPORT ssize_t
pread(int fd, void *buf, size_t len, off_t off)
{
	REAL(ssize_t, "pread", int, void *, size_t, off_t);

	if (is_volume(fd)) {
		if (off < 0) {
			errno = EINVAL;
			return -1;
		}
		return volume_read(buf, len, (uint64_t)off);
	}
	return real(fd, buf, len, off);
}


EXPORT ssize_t
read(int fd, void *buf, size_t len)
{
	REAL(ssize_t, "read", int, void *, size_t);

	if (is_volume(fd)) {
		off_t pos = lseek(fd, 0, SEEK_CUR);
		ssize_t got = pos < 0 ? -1 : volume_read(buf, len, (uint64_t)pos);

		if (got > 0)
			lseek(fd, pos + got, SEEK_SET);
		return got;
	}
	return real(fd, buf, len);
}

EXPORT ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	REAL(ssize_t, "pwrite", int, const void *, size_t, off_t);
	struct out *o = tracked(fd);
	ssize_t r;

	if (is_volume(fd)) {
		errno = EBADF;
		return -1;
	}
	r = real(fd, buf, len, off);
	if (o != NULL)
		note_write(o, r);
	return r;
}


EXPORT ssize_t
write(int fd, const void *buf, size_t len)
{
	REAL(ssize_t, "write", int, const void *, size_t);
	struct out *o = tracked(fd);
	ssize_t r = real(fd, buf, len);

	if (o != NULL)
		note_write(o, r);
	return r;
}

EXPORT int
ftruncate(int fd, off_t len)
{
	REAL(int, "ftruncate", int, off_t);
	struct out *o = tracked(fd);
	int r;

	if (o != NULL && o->path == NULL)
		return 0;
	r = real(fd, len);
	if (o != NULL)
		note_write(o, r);
	return r;
}


EXPORT int
fchown(int fd, uid_t uid, gid_t gid)
{
	REAL(int, "fchown", int, uid_t, gid_t);
	struct out *o = tracked(fd);

	if (o == NULL)
		return real(fd, uid, gid);
	o->f.uid = uid;
	o->f.gid = gid;
	return 0;
}

EXPORT int
fchmod(int fd, mode_t mode)
{
	REAL(int, "fchmod", int, mode_t);
	struct out *o = tracked(fd);

	if (o == NULL)
		return real(fd, mode);
	o->f.mode = mode & 07777;
	return 0;
}

static int64_t
ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* restore sets a file's times last, once all of it is written: the file is complete. */
EXPORT int
futimens(int fd, const struct timespec times[2])
{
	REAL(int, "futimens", int, const struct timespec *);
	struct out *o = tracked(fd);

	if (o == NULL)
		return real(fd, times);
	if (times != NULL) {
		o->f.atime_ns = ts_ns(&times[0]);
		o->f.mtime_ns = ts_ns(&times[1]);
	}
	o->f.flags |= IW_BT_COMPLETE;
	return 0;
}

EXPORT int
fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)
{
	REAL(int, "fsetxattr", int, const char *, const void *, size_t, int);

	if (tracked(fd) != NULL)
		return 0;
	return real(fd, name, value, size, flags);
}

EXPORT int
close(int fd)
{
	REAL(int, "close", int);
	struct out *o = tracked(fd);

	if (o != NULL) {
		outs[fd] = NULL;
		hand_over(fd, o);
		free(o->path);
		free(o);
	}
	return real(fd);
}

/* Nothing exists under OUT_PREFIX: restore creates every file afresh. */
#define NOT_THERE(path, call)                                                               \
	do {                                                                                \
		if (under_out(path)) {                                                      \
			errno = ENOENT;                                                     \
			return -1;                                                          \
		}                                                                           \
		return call;                                                                \
	} while (0)

EXPORT int stat(const char *path, struct stat *st)
{
	REAL(int, "stat", const char *, struct stat *);
	NOT_THERE(path, real(path, st));
}
EXPORT int lstat(const char *path, struct stat *st)
{
	REAL(int, "lstat", const char *, struct stat *);
	NOT_THERE(path, real(path, st));
}
EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	REAL(int, "fstatat", int, const char *, struct stat *, int);
	NOT_THERE(path, real(dirfd, path, st, flags));
}
/*
 * The *64 names: the same calls on a 64-bit system (off_t is 64 bits, struct stat64 is
 * struct stat), so the same code under both names.
 */
#define ALIAS(name, of) __typeof__(of) name __attribute__((alias(#of), visibility("default")))
ALIAS(open64, open);
ALIAS(__open64_2, __open_2);
ALIAS(creat64, creat);
ALIAS(openat64, openat);
ALIAS(__openat64_2, __openat_2);
ALIAS(pread64, pread);
ALIAS(pwrite64, pwrite);
ALIAS(ftruncate64, ftruncate);
_Static_assert(sizeof(struct stat64) == sizeof(struct stat), "struct stat64 is struct stat");
EXPORT int stat64(const char *, struct stat64 *) __attribute__((alias("stat")));
EXPORT int lstat64(const char *, struct stat64 *) __attribute__((alias("lstat")));
EXPORT int fstatat64(int, const char *, struct stat64 *, int) __attribute__((alias("fstatat")));
EXPORT int access(const char *path, int how)
{
	REAL(int, "access", const char *, int);
	NOT_THERE(path, real(path, how));
}

/* Folders are made nowhere; nothing else is made or changed there. */
#define MADE_NOWHERE(path, ok, call)                                                        \
	do {                                                                                \
		if (under_out(path)) {                                                      \
			if (ok)                                                             \
				return 0;                                                   \
			errno = EPERM;                                                      \
			return -1;                                                          \
		}                                                                           \
		return call;                                                                \
	} while (0)

EXPORT int mkdir(const char *path, mode_t mode)
{
	REAL(int, "mkdir", const char *, mode_t);
	MADE_NOWHERE(path, 1, real(path, mode));
}
EXPORT int symlink(const char *target, const char *path)
{
	REAL(int, "symlink", const char *, const char *);
	MADE_NOWHERE(path, 0, real(target, path));
}
EXPORT int unlink(const char *path)
{
	REAL(int, "unlink", const char *);
	MADE_NOWHERE(path, 0, real(path));
}
EXPORT int lchown(const char *path, uid_t uid, gid_t gid)
{
	REAL(int, "lchown", const char *, uid_t, gid_t);
	MADE_NOWHERE(path, 1, real(path, uid, gid));
}
EXPORT int utimensat(int dirfd, const char *path, const struct timespec times[2], int flags)
{
	REAL(int, "utimensat", int, const char *, const struct timespec *, int);
	MADE_NOWHERE(path, 1, real(dirfd, path, times, flags));
}

/* ---- the sandbox ---- */

static void
limit(int what, rlim_t v)
{
	struct rlimit rl = { v, v };

	if (setrlimit(what, &rl) != 0)
		die("setrlimit: %s", strerror(errno));
}

static void
drop_privileges(void)
{
	if (geteuid() != 0 && getuid() != 0)
		return;
	if (setgroups(0, NULL) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) != 0)
		die("cannot drop to uid %d: %s", NOBODY, strerror(errno));
	if (setuid(0) == 0)
		die("uid 0 could be taken back");
}

/* Landlock: every change to the file system and every exec denied, everywhere. */
static void
landlock(void)
{
	struct landlock_ruleset_attr attr = { 0 };
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	int fd;

	if (abi < 1)
		return; /* a kernel without it: the seccomp filter and uid 65534 still hold */
	attr.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
				 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
				 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
				 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
				 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
				 LANDLOCK_ACCESS_FS_MAKE_SYM;
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0 || syscall(SYS_landlock_restrict_self, fd, 0) != 0)
		die("landlock: %s", strerror(errno));
	REAL(int, "close", int);
	real(fd);
}

/* What `btrfs restore` calls once running (measured with strace); anything else kills it. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(write), SCMP_SYS(pwrite64),
	SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(statx), SCMP_SYS(fstatfs), SCMP_SYS(statfs), SCMP_SYS(getdents64),
	SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2), SCMP_SYS(fadvise64), SCMP_SYS(readahead), SCMP_SYS(fcntl),
	SCMP_SYS(dup), SCMP_SYS(memfd_create), SCMP_SYS(ftruncate), SCMP_SYS(fallocate),
	SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(recvfrom), SCMP_SYS(poll),
	SCMP_SYS(ppoll), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(mprotect), SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(futex),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(getrandom),
	SCMP_SYS(uname), SCMP_SYS(sysinfo), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(ioctl),
	SCMP_SYS(open), SCMP_SYS(openat),
};

/*
 * libseccomp, opened here rather than linked: restore runs with the host's libraries (not the
 * rescue bundle's), and a preload whose dependency is missing would be skipped by ld.so with
 * a warning, leaving restore unsandboxed. The rescue bundle's copy (../lib beside this file)
 * is taken first, then the system's; none: restore does not run.
 */
static void *
open_libseccomp(void)
{
	Dl_info di;
	char path[PATH_MAX];
	void *h;

	if (dladdr((void *)open_libseccomp, &di) != 0 && di.dli_fname != NULL &&
	    strrchr(di.dli_fname, '/') != NULL) {
		snprintf(path, sizeof(path), "%.*s/../lib/libseccomp.so.2",
			 (int)(strrchr(di.dli_fname, '/') - di.dli_fname), di.dli_fname);
		if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) != NULL)
			return h;
	}
	return dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
}

static void
seccomp(void)
{
	void *lib = open_libseccomp();
	scmp_filter_ctx (*init)(uint32_t);
	int (*rule_add)(scmp_filter_ctx, uint32_t, int, unsigned int, ...);
	int (*load)(scmp_filter_ctx);
	scmp_filter_ctx f;
	size_t i;
	int rc;

	if (lib == NULL)
		die("libseccomp is not installed: %s", dlerror());
	*(void **)&init = dlsym(lib, "seccomp_init");
	*(void **)&rule_add = dlsym(lib, "seccomp_rule_add");
	*(void **)&load = dlsym(lib, "seccomp_load");
	if (init == NULL || rule_add == NULL || load == NULL)
		die("libseccomp lacks what it should have");
	f = init(SCMP_ACT_KILL_PROCESS);
	rc = f == NULL;
	for (i = 0; f != NULL && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		rc |= rule_add(f, SCMP_ACT_ALLOW, allowed[i], 0);
	if (rc == 0)
		rc = load(f);
	if (rc != 0)
		die("cannot install the seccomp filter");
	/* the filter is the kernel's now; the library's copy of it stays until exit */
}

/* stdout: nowhere for `btrfs check` (a summary of the volume on every run), else stderr. */
static int
redirect_stdout(int check)
{
	int out;

	if (!check)
		return dup2(2, 1) == 1 ? 0 : -1;
	if ((out = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0 || dup2(out, 1) != 1)
		return -1;
	close(out);
	return 0;
}

__attribute__((constructor)) static void
shim_start(void)
{
	const char *on = getenv("VIGIL_BTRFS_SHIM");
	struct iw_msg m;
	struct stat st;
	uint64_t len, cap;
	int fd;

	if (on == NULL || (strcmp(on, "restore") != 0 && strcmp(on, "check") != 0))
		return;
	if (fstat(SOCK_FD, &st) != 0 || !S_ISSOCK(st.st_mode))
		die("descriptor %d is not vigil's socket", SOCK_FD);
	/* the read window, shared with the walk */
	fd = memfd_create("vigil-btrfs-window", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, IW_BT_WINDOW) != 0 ||
	    (window = mmap(NULL, IW_BT_WINDOW, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
		die("cannot make the read window: %s", strerror(errno));
	ask(IW_BT_HELLO, NULL, NULL, 0, fd, &m);
	{
		REAL(int, "close", int);
		real(fd);
	}
	len = m.n[0];
	cap = m.n[1];
	iw_msg_free(&m);
	/* the stand-in for the volume: as long as it, holding nothing */
	fd = memfd_create("vigil-btrfs-volume", 0);
	if (fd < 0 || ftruncate(fd, (off_t)len) != 0 ||
	    (fd != VOLUME_FD && dup2(fd, VOLUME_FD) != VOLUME_FD) || fstat(VOLUME_FD, &st) != 0)
		die("cannot make the volume's stand-in: %s", strerror(errno));
	if (fd != VOLUME_FD) {
		REAL(int, "close", int);
		real(fd);
	}
	vol_dev = st.st_dev;
	vol_ino = st.st_ino;
	/* what restore prints goes to vigil's log; check's summary (on stdout) nowhere: its
	 * errors are on stderr */
	if (redirect_stdout(strcmp(on, "check") == 0) != 0)
		die("cannot redirect stdout: %s", strerror(errno));
	signal(SIGXFSZ, SIG_IGN); /* a file over the limit: EFBIG, noted */
	limit(RLIMIT_FSIZE, cap > 0 ? (rlim_t)cap : RLIM_INFINITY);
	limit(RLIMIT_AS, MEMORY_LIMIT);
	limit(RLIMIT_CORE, 0);
	limit(RLIMIT_NOFILE, 256);
	drop_privileges();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0) != 0)
		die("prctl: %s", strerror(errno));
	landlock();
	seccomp();
	active = 1;
}

__attribute__((destructor)) static void
shim_end(void)
{
	if (active)
		iw_send(SOCK_FD, IW_BT_END, NULL, NULL, 0, -1);
}
