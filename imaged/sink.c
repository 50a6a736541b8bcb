/*
 * imaged/sink.c — the image walk's sink inside vigil-image (sink.h).
 *
 * Objects go to vigil as memfds sealed against writing, shrinking and growing, so that what
 * vigil scans cannot change under it. Large objects are read straight into a memfd (the
 * walk's spool); smaller ones are copied into one from the walk's buffer.
 */
#include "imaged/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/path.h"
#include "scanner/image_obj.h"
#include "scanner/image_wire.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

void
rsink_send(int sock, uint32_t kind, const uint64_t *n, const struct iw_str *s, size_t ns,
	   int fd)
{
	if (iw_send(sock, kind, n, s, ns, fd) != 0) {
		fprintf(stderr, "vigil-image: cannot send to vigil: %s\n", strerror(errno));
		_exit(4);
	}
}

/* Send a question and wait for IW_ANSWER (into *m); anything else ends the process. */
static void
ask(struct rsink *r, uint32_t kind, const uint64_t *n, const struct iw_str *s, size_t ns,
    struct iw_msg *m)
{
	char why[128];
	int rc;

	rsink_send(r->sock, kind, n, s, ns, -1);
	rc = iw_recv(r->sock, m, -1, why, sizeof(why));
	if (rc != 1 || m->kind != IW_ANSWER) {
		fprintf(stderr, "vigil-image: no answer from vigil: %s\n",
			rc == 0 ? "it closed the socket" : rc == 1 ? "another message" : why);
		_exit(4);
	}
	r->stop = m->n[1] != 0;
}

static int
rs_stopped(void *arg)
{
	return ((struct rsink *)arg)->stop;
}

static int
rs_yes(struct rsink *r, uint32_t kind, const char *s0)
{
	struct iw_str s[1] = { iw_cstr(s0) };
	struct iw_msg m;
	int yes;

	ask(r, kind, NULL, s, IW_N(s), &m);
	yes = m.n[0] != 0;
	iw_msg_free(&m);
	return yes;
}

/* Decided here, on vigil's exclusions as WALK gave them; vigil is told, to count it. */
static int
rs_excluded(void *arg, const char *path)
{
	struct rsink *r = arg;
	struct iw_str s[1] = { iw_cstr(path) };

	if (r->excl == NULL || !scanner_excl_explain(r->excl, path, 0, NULL))
		return 0;
	rsink_send(r->sock, IW_EXCLUDED, NULL, s, IW_N(s), -1);
	return 1;
}

static int
rs_done(void *arg, const char *where)
{
	return (((struct rsink *)arg)->may & IMAGE_MAY_BE_DONE) && rs_yes(arg, IW_DONE, where);
}

/* Not sent: vigil shows each object's name as it arrives (a message per file saved). */
static void
rs_current(void *arg, const char *path)
{
	(void)arg;
	(void)path;
}

static void
rs_problem(void *arg, const char *where, const char *location, const char *kind,
	   const char *reason)
{
	struct iw_str s[4] = { iw_cstr(where), iw_cstr(location), iw_cstr(kind), iw_cstr(reason) };

	if (iw_send(((struct rsink *)arg)->sock, IW_PROBLEM, NULL, s, IW_N(s), -1) == 0)
		return;
	if (errno != EMSGSIZE)
		rsink_send(((struct rsink *)arg)->sock, IW_PROBLEM, NULL, s, IW_N(s), -1); /* exits */
	/* a name too long for one message: said without its location */
	s[1] = iw_cstr(NULL);
	s[3] = iw_cstr("a name too long to be handed over (over 192 KiB)");
	s[0].len = s[0].len > 4096 ? 4096 : s[0].len;
	rsink_send(((struct rsink *)arg)->sock, IW_PROBLEM, NULL, s, IW_N(s), -1);
}

static void
rs_reserve(void *arg, uint64_t bytes)
{
	uint64_t n[3] = { bytes };
	struct iw_msg m;

	if (bytes < IW_RESERVE_MIN)
		return; /* vigil reserves it when it comes */
	ask(arg, IW_RESERVE, n, NULL, 0, &m);
	iw_msg_free(&m);
}

/* A large object goes into a file vigil makes in its spool folder (the sandbox makes none). */
static int
rs_spool(void *arg, char **why)
{
	struct iw_msg m;
	int fd = -1;

	ask(arg, IW_SPOOL, NULL, NULL, 0, &m);
	if (m.n[0] == 1 && m.fd >= 0) {
		fd = m.fd;
		m.fd = -1;
	} else {
		*why = strdup(m.s[0].len ? m.s[0].p : "vigil gave no file for it");
	}
	iw_msg_free(&m);
	return fd;
}

/* btrfs restore is started by vigil (the sandbox starts nothing); its socket comes here. */
static int
rs_btrfs_start(void *arg, int what, int *sock, int *handle, char **why)
{
	uint64_t n[3] = { (uint64_t)what };
	struct iw_msg m;
	int rc = -1;

	ask(arg, IW_BTRFS, n, NULL, 0, &m);
	if (m.n[0] == 1 && m.fd >= 0) {
		*sock = m.fd;
		*handle = 0;
		m.fd = -1;
		rc = 0;
	} else {
		*why = strdup(m.s[0].len ? m.s[0].p : "vigil could not start btrfs restore");
	}
	iw_msg_free(&m);
	return rc;
}

static char *
rs_btrfs_end(void *arg, int handle)
{
	struct iw_msg m;
	char *how = NULL;

	(void)handle;
	ask(arg, IW_BTRFS_END, NULL, NULL, 0, &m);
	if (m.n[0] != 1)
		how = strdup(m.s[0].len ? m.s[0].p : "btrfs restore failed");
	iw_msg_free(&m);
	return how;
}

/* A memfd holding obj's bytes, sealed; -1 with errno. */
static int
sealed_copy(struct image_obj *obj)
{
	int fd = memfd_create("vigil-image-object", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (vg_write_full(fd, obj->data, obj->len) != 0) {
		close(fd);
		return -1;
	}
	if (fcntl(fd, F_ADD_SEALS, SEALS) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
rs_object(void *arg, char *where, struct image_obj *obj)
{
	struct rsink *r = arg;
	struct iw_inv inv = {
		.size = obj->inv.size, .mode = obj->inv.mode, .uid = obj->inv.uid,
		.gid = obj->inv.gid, .dev = obj->inv.dev, .ino = obj->inv.ino,
		.nlink = obj->inv.nlink, .atime_ns = obj->inv.atime_ns,
		.mtime_ns = obj->inv.mtime_ns, .ctime_ns = obj->inv.ctime_ns,
		.btime_ns = obj->inv.btime_ns, .have_btime = obj->inv.have_btime,
	};
	struct iw_str s[4] = { iw_cstr(where), iw_cstr(obj->location),
			       { .p = (const char *)&inv, .len = sizeof(inv) } };
	uint64_t n[3] = { obj->read ? obj->len : 0, obj->read ? IW_READ : 0,
			  obj->flight >= IW_RESERVE_MIN ? obj->flight : 0 };
	int fd = -1;

	if (obj->ident)
		n[1] |= IW_IDENT;
	if (obj->read && (obj->spool_fd < 0 || obj->sealed) && obj->len <= IW_INLINE_MAX) {
		/* small: its bytes in the message itself, no memfd to make, seal and map */
		s[3] = (struct iw_str){ .p = (const char *)obj->data, .len = obj->len };
		n[1] |= IW_INLINE;
	} else if (obj->read && obj->spool_fd >= 0 && obj->sealed) {
		/* a sealed memfd already (btrfs restore's): it goes as it is */
		munmap(obj->data, obj->map_len);
		obj->data = NULL;
		fd = obj->spool_fd;
		obj->spool_fd = -1;
	} else if (obj->read && obj->spool_fd >= 0) {
		/* read into vigil's spool file: it goes back as it is */
		munmap(obj->data, obj->map_len);
		obj->data = NULL;
		fd = obj->spool_fd;
		obj->spool_fd = -1;
		n[1] |= IW_SPOOLED;
	} else if (obj->read && obj->len > 0 && (fd = sealed_copy(obj)) < 0) {
		char reason[160];

		snprintf(reason, sizeof(reason), "cannot hand it over: %s", strerror(errno));
		rs_problem(r, where, obj->location, "error", reason);
		n[0] = 0;
		n[1] = 0;
	}
	if (iw_send(r->sock, IW_OBJECT, n, s, IW_N(s), fd) != 0) {
		if (errno != EMSGSIZE)
			rsink_send(r->sock, IW_OBJECT, n, s, IW_N(s), fd); /* exits */
		rs_problem(r, where, NULL, "error", "a name too long to be handed over (over 192 KiB)");
		n[0] = n[1] = 0;
		s[0] = iw_cstr(NULL);
		s[1] = iw_cstr(NULL);
		/* nothing to scan, no name: vigil only releases what was reserved for it */
		rsink_send(r->sock, IW_OBJECT, n, s, IW_N(s), -1);
	}
	if (fd >= 0)
		close(fd);
	image_obj_drop(obj);
	free(where);
}

int
rsink_ask(void *arg, const char *volume, struct image_credential *out)
{
	struct iw_str s[1] = { iw_cstr(volume) };
	struct iw_msg m;
	int yes;

	ask(arg, IW_ASK, NULL, s, IW_N(s), &m);
	yes = m.n[0] != 0 && m.s[1].len > 0;
	if (yes) {
		out->kind = strcmp(m.s[0].p, "recovery_password") == 0 ? "recovery_password"
			    : strcmp(m.s[0].p, "key_file") == 0	  ? "key_file"
									  : "password";
		out->len = m.s[1].len;
		if ((out->secret = malloc(out->len + 1)) == NULL) {
			yes = 0;
		} else {
			memcpy(out->secret, m.s[1].p, out->len);
			out->secret[out->len] = '\0';
		}
	}
	explicit_bzero(m.buf, m.s[1].p != NULL ? (size_t)(m.s[1].p - m.buf) + m.s[1].len : 0);
	iw_msg_free(&m);
	return yes;
}

struct image_sink
rsink_make(struct rsink *r, uint64_t max_filesize, int spool, unsigned may)
{
	r->may = may;
	return (struct image_sink){
		.arg = r,
		.stopped = rs_stopped,
		.excluded = rs_excluded,
		.done = rs_done,
		.current = rs_current,
		.problem = rs_problem,
		.reserve = rs_reserve,
		.object = rs_object,
		.spool = spool ? rs_spool : NULL,
		.max_filesize = max_filesize,
		.btrfs_start = rs_btrfs_start,
		.btrfs_end = rs_btrfs_end,
	};
}
