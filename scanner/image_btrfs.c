/*
 * scanner/image_btrfs.c — a btrfs volume read by btrfs-progs' `btrfs restore`, which vigil runs
 * with its shim in it (imaged/btrfs_shim.c, scanner/btrfs_run.h). Here the walk serves restore
 * the volume's bytes through vigil's view of it (so a btrfs inside LUKS, LVM or a QCOW2 is
 * read like one in a raw image) and takes each file restore writes, a memfd, as an
 * image_entry. Runs in vigil-image (or in vigil with VIGIL_IMAGE=none), on the walking thread.
 *
 * Nothing restore sends is believed: message kinds, lengths and names are checked, a file's
 * bytes are read with pread from its memfd (never mapped: the other end may shrink it).
 * What restore cannot read, it says on its stderr, which vigil logs; its exit status makes
 * the volume partial.
 */
#include "scanner/image_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanner/btrfs_run.h"
#include "scanner/image_wire.h"

/* restore silent this long (no read, no file): taken to hang, and stopped */
#define QUIET_MS (120 * 1000)
#define SEALED (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
/* the largest file restore may write when the scan sets no limit */
#define DEFAULT_CAP (4ull << 30)

struct served {
	TSK_IMG_INFO *img;
	int64_t off, len;
	int sock;
	const struct image_sink *s;
	unsigned char *window;	/* shared with this run's shim (IW_BT_WINDOW), or NULL */
	char *lost;		/* the first read of the volume that failed */
	unsigned long files;
};

static void
reply(struct served *sv, uint64_t n0, uint64_t n1, const struct iw_str *s, size_t ns)
{
	uint64_t n[3] = { n0, n1 };

	iw_send(sv->sock, IW_BT_REPLY, n, s, ns, -1); /* a closed socket shows at the next recv */
}

/*
 * IW_BT_HELLO: the window restore offers, sealed here against shrinking and growing (so the
 * mapping cannot fault) and mapped. 0, or -1: not a window.
 */
static int
serve_hello(struct served *sv, struct iw_msg *m)
{
	int need = F_SEAL_SHRINK | F_SEAL_GROW;
	struct stat st;
	void *w;

	if (m->fd < 0 || fstat(m->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != IW_BT_WINDOW || sv->window != NULL ||
	    fcntl(m->fd, F_ADD_SEALS, need | F_SEAL_SEAL) != 0 ||
	    (fcntl(m->fd, F_GET_SEALS) & need) != need ||
	    (w = mmap(NULL, IW_BT_WINDOW, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0)) ==
		    MAP_FAILED)
		return -1;
	sv->window = w;
	reply(sv, (uint64_t)sv->len, sv->s->max_filesize ? sv->s->max_filesize : DEFAULT_CAP,
	      NULL, 0);
	return 0;
}

static void
serve_read(struct served *sv, const struct iw_msg *m)
{
	uint64_t at = m->n[0], want = m->n[1];
	char *lost;
	ssize_t got;

	if (want > IW_BT_WINDOW)
		want = IW_BT_WINDOW;
	if (at >= (uint64_t)sv->len) {
		reply(sv, 0, 0, NULL, 0); /* the end of the volume */
		return;
	}
	if (want > (uint64_t)sv->len - at)
		want = (uint64_t)sv->len - at;
	got = tsk_img_read(sv->img, sv->off + (int64_t)at, (char *)sv->window, (size_t)want);
	lost = image_read_failure(sv->img);
	if (got != (ssize_t)want || lost != NULL) {
		char why[200];
		struct iw_str s[2] = { { NULL, 0 } };

		snprintf(why, sizeof(why), "cannot read byte %llu of the volume: %s",
			 (unsigned long long)at, lost ? lost : "short read");
		if (sv->lost == NULL)
			sv->lost = strdup(why);
		s[1] = iw_cstr(why);
		reply(sv, 0, 1, s, 2);
		free(lost);
		tsk_error_reset();
		return;
	}
	reply(sv, (uint64_t)want, 0, NULL, 0);
}

/* A restored file's bytes: pread from its memfd. */
static ssize_t
memfd_read(void *ctx, uint64_t off, void *buf, size_t len, char **why)
{
	ssize_t got = pread(*(int *)ctx, buf, len, (off_t)off);

	if (got <= 0)
		*why = strdup(got < 0 ? strerror(errno) : "the file shrank while it was read");
	return got;
}

/* One file restore closed: checked, given to fn. 1: fn says stop; -1: malformed. */
static int
serve_file(struct served *sv, struct iw_msg *m, image_entry_fn fn, void *arg)
{
	struct iw_bt_file f;
	struct stat st;
	char problem[200];
	int fd = m->fd;
	struct image_entry e = { .path = m->s[0].p, .inode = -1, .nlink = 1 };

	if (fd < 0 || m->s[1].len != sizeof(f) || m->s[0].len == 0 || m->s[0].p[0] != '/' ||
	    strlen(m->s[0].p) != m->s[0].len || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	memcpy(&f, m->s[1].p, sizeof(f));
	sv->files++;
	e.mode = S_IFREG | (f.mode & 07777);
	e.uid = f.uid;
	e.gid = f.gid;
	e.atime_ns = f.atime_ns;
	e.mtime_ns = f.mtime_ns;
	e.size = f.size < (uint64_t)st.st_size ? f.size : (uint64_t)st.st_size;
	e.read = memfd_read;
	e.ctx = &fd;
	/* sealed here, the walk maps it and hands it on without a copy; restore made it so
	 * that it could be (MFD_ALLOW_SEALING), else it is read */
	if (e.size == (uint64_t)st.st_size && e.size > 0 &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0 &&
	    (fcntl(fd, F_GET_SEALS) & SEALED) == SEALED) {
		e.has_fd = 1;
		e.fd = fd;
	}
	if (f.flags & IW_BT_TOO_LARGE)
		snprintf(problem, sizeof(problem), "skipped: larger than the file size limit (%llu "
			 "bytes)", (unsigned long long)(sv->s->max_filesize ? sv->s->max_filesize
									: DEFAULT_CAP));
	else if (f.flags & IW_BT_READ_FAILED)
		snprintf(problem, sizeof(problem), "btrfs restore could not read all of it: %s",
			 sv->lost ? sv->lost : "a read of the volume failed");
	else if (f.flags & IW_BT_WRITE_FAILED)
		snprintf(problem, sizeof(problem), "btrfs restore could not restore all of it");
	else if (!(f.flags & IW_BT_COMPLETE))
		snprintf(problem, sizeof(problem), "btrfs restore could not read all of it (the "
			 "log has its messages)");
	else
		problem[0] = '\0';
	if (problem[0] != '\0')
		e.problem = problem;
	return fn(arg, &e) != 0 ? 1 : 0;
}

/*
 * One run of btrfs (BTRFS_RESTORE or BTRFS_CHECK) started and served to its end. NULL: it
 * finished and exited with 0; else how it ended (malloc'd). *stop: the scan is stopping.
 */
static char *
run(struct served *sv, int what, image_entry_fn fn, void *arg, int *stop)
{
	const struct image_sink *s = sv->s;
	const char *name = what == BTRFS_CHECK ? "btrfs check" : "btrfs restore";
	char *how = NULL, *end, rwhy[128];
	int handle = -1, ended = 0, rc;

	if (s->btrfs_start(s->arg, what, &sv->sock, &handle, &how) != 0) {
		char *text = NULL;

		if (asprintf(&text, "%s, which reads btrfs, cannot be started: %s", name,
			     how ? how : "out of memory") < 0)
			text = NULL;
		free(how);
		return text ? text : strdup("btrfs cannot be started");
	}
	for (;;) {
		struct iw_msg m;
		const char *bad = NULL;

		rc = iw_recv(sv->sock, &m, QUIET_MS, rwhy, sizeof(rwhy));
		if (rc == 0)
			break;
		if (rc < 0) {
			if (asprintf(&how, "%s %s: stopped", name,
				     rc == -2 ? "stopped answering (2 minutes)" : rwhy) < 0)
				how = NULL;
			break;
		}
		if (m.kind == IW_BT_HELLO) {
			if (serve_hello(sv, &m) != 0)
				bad = "offered no usable read window";
		} else if (m.kind == IW_BT_READ && sv->window != NULL) {
			serve_read(sv, &m);
		} else if (m.kind == IW_BT_FILE && what == BTRFS_RESTORE) {
			int r = serve_file(sv, &m, fn, arg);

			if (r < 0)
				bad = "sent a malformed file";
			*stop = r > 0 || s->stopped(s->arg);
			if (r >= 0)
				reply(sv, (uint64_t)*stop, 0, NULL, 0);
		} else if (m.kind == IW_BT_END) {
			ended = 1;
		} else {
			bad = "sent a message of another kind";
		}
		iw_msg_free(&m);
		if (bad != NULL && asprintf(&how, "%s %s: stopped", name, bad) < 0)
			how = NULL;
		if (bad != NULL || *stop)
			break;
	}
	close(sv->sock);
	sv->sock = -1;
	if (sv->window != NULL)
		munmap(sv->window, IW_BT_WINDOW);
	sv->window = NULL;
	end = s->btrfs_end(s->arg, handle);
	if (how == NULL && end != NULL && asprintf(&how, "%s %s", name, end) < 0)
		how = NULL;
	free(end);
	if (how == NULL && !ended && asprintf(&how, "%s ended without finishing", name) < 0)
		how = NULL;
	return how;
}

int
image_btrfs_walk(TSK_IMG_INFO *img, int64_t off, int64_t len, const struct image_sink *s,
		 image_entry_fn fn, void *arg, char **why)
{
	struct served sv = { .img = img, .off = off, .len = len, .s = s, .sock = -1 };
	char *how = NULL, *check = NULL;
	int stop = 0;

	if (s->btrfs_start == NULL) {
		*why = strdup("btrfs is not read here");
		return -1;
	}
	how = run(&sv, BTRFS_RESTORE, fn, arg, &stop);
	/* restore does not verify data checksums: check does, reading every block again */
	if (how == NULL && !stop && !s->stopped(s->arg) && sv.lost == NULL)
		check = run(&sv, BTRFS_CHECK, fn, arg, &stop);
	if (stop || s->stopped(s->arg)) {
		free(how);
		free(check);
		free(sv.lost);
		return 1;
	}
	if (how == NULL && sv.lost == NULL && check == NULL)
		return 1;
	if (check != NULL && strstr(check, "exit status 1") != NULL) {
		free(check);
		check = strdup("btrfs check --check-data-csum found checksums that do not match: "
			       "what was read from this volume may not be what was written (the "
			       "log has the addresses)");
	}
	if (asprintf(why, "%s%s%s%s%s; %lu files restored", how ? how : "",
		     how && sv.lost ? "; " : "", sv.lost ? sv.lost : "",
		     (how || sv.lost) && check ? "; " : "", check ? check : "", sv.files) < 0)
		*why = NULL;
	free(how);
	free(check);
	free(sv.lost);
	return -1;
}
