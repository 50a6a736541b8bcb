/*
 * scanner/image_remote.c — a disk image read by vigil-image, seen from vigil
 * (image_remote.h; the protocol is image_wire.h).
 *
 * Everything the reader sends is hostile: it parses the evidence, and a parser in it may have
 * been taken over. A message is checked before it is believed (the kind that may come now,
 * lengths, JSON that parses, a problem kind from the known few, an object's descriptor a
 * memfd sealed against change and as long as announced, no more bytes in flight than were
 * reserved), and a reader that sends anything else is killed.
 */
#include "scanner/image_remote.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scanner/helper.h"
#include "scanner/image_int.h"
#include "scanner/image_obj.h"
#include "scanner/image_wire.h"

/* How long a new reader may take to say hello and to open the image (LUKS2's argon2id
 * key derivation alone takes seconds per credential). */
#define OPEN_MS (10 * 60 * 1000)
/* Silence longer than this during a walk ends the reader (nothing it reads takes that long
 * between two files); a stopping scan waits STOP_MS. */
#define IDLE_MS (10 * 60 * 1000)
#define STOP_MS 3000
#define POLL_MS 250
/* The reader's address-space limit: LUKS2 argon2id may take 1 GiB, libraries the rest. */
#define READER_MB "3072"

struct image_remote {
	pid_t pid;
	int sock;
	char *format;
	char *steps;
	json_t *volumes;
	int readable;
	struct image_creds *creds;
	uint64_t reserved;	/* reserved in flight and not yet taken by an object */
	int spool_fd;		/* the last spool file given to the reader, or -1 */
	char gone[512];		/* why the reader is gone ("" while it runs) */
	/* what a restarted reader is given again */
	char *exe, *file, *parent;
	int partition, deleted;
	int64_t offset;
	char *quick;		/* the IW_QUICK text, or NULL */
	size_t quick_len;
	/* the walk, across restarts (see image_remote_walk) */
	uint64_t prior;		/* files the runs before handed over or skipped, in walk order */
	uint64_t asked, seen;	/* this run: IW_DONE questions; files handed over or skipped */
	char *pending;		/* the last file it was told to read and has not handed over */
	char **skip;		/* files a reader died reading: skipped from then on */
	size_t nskip;
};

static void
exit_reason(int status, char *buf, size_t n)
{
	if (WIFEXITED(status))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		snprintf(buf, n, "was killed by SIGSYS: a system call outside its sandbox");
	else if (WIFSIGNALED(status) && sigabbrev_np(WTERMSIG(status)) != NULL)
		snprintf(buf, n, "was killed by SIG%s", sigabbrev_np(WTERMSIG(status)));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, n, "stopped");
}

/* End the reader (if it still runs) and say why in r->gone, unless already said: "the image
 * reader " and what (or how it ended, when what is NULL), then ": " and detail if any. */
static void
end_reader(struct image_remote *r, const char *what, const char *detail)
{
	int status = 0;
	char how[96];

	if (r->pid > 0) {
		pid_t w;

		/* a reader that said something wrong is killed; one that broke has gone already */
		kill(r->pid, SIGKILL);
		do
			w = waitpid(r->pid, &status, 0);
		while (w < 0 && errno == EINTR);
		r->pid = 0;
		exit_reason(status, how, sizeof(how));
	} else {
		snprintf(how, sizeof(how), "stopped");
	}
	if (r->sock >= 0)
		close(r->sock);
	r->sock = -1;
	if (r->gone[0] == '\0')
		snprintf(r->gone, sizeof(r->gone), "the image reader %s%s%s", what ? what : how,
			 detail ? ": " : "", detail ? detail : "");
}

/* The reader's own end: it crashed or exited (waited for, so its status is known). */
static void
reader_broke(struct image_remote *r, const char *why)
{
	int status = 0;
	char how[128];
	pid_t w;

	if (r->pid > 0) {
		/* the socket closed: the reader is going; a reader still there is made to */
		do
			w = waitpid(r->pid, &status, WNOHANG);
		while (w < 0 && errno == EINTR);
		if (w == 0) {
			usleep(100 * 1000);
			w = waitpid(r->pid, &status, WNOHANG);
		}
		if (w == r->pid) {
			r->pid = 0;
			exit_reason(status, how, sizeof(how));
			end_reader(r, how, NULL);
			return;
		}
	}
	end_reader(r, "failed", why);
}

static struct iw_str
str(const char *p)
{
	return (struct iw_str){ .p = p, .len = p != NULL ? strlen(p) : 0 };
}

static int
send_msg(struct image_remote *r, uint32_t kind, const uint64_t *n, const struct iw_str *s,
	 size_t ns)
{
	if (r->sock < 0)
		return -1;
	if (iw_send(r->sock, kind, n, s, ns, -1) == 0)
		return 0;
	reader_broke(r, strerror(errno));
	return -1;
}

/* The next message, within ms (-1: no bound); 1, or 0 with the reader gone (r->gone). */
static int
next(struct image_remote *r, struct iw_msg *m, int ms)
{
	char why[128];
	int rc;

	if (r->sock < 0)
		return 0;
	rc = iw_recv(r->sock, m, ms, why, sizeof(why));
	if (rc == 1)
		return 1;
	if (rc == -2)
		end_reader(r, "did not answer in time", NULL);
	else if (rc == 0)
		reader_broke(r, "it closed its socket");
	else
		end_reader(r, "sent what it should not", why);
	return 0;
}

static void
violation(struct image_remote *r, struct iw_msg *m, const char *what)
{
	iw_msg_free(m);
	end_reader(r, "sent what it should not", what);
}

/* Answer an IW_ASK for a key: the prompt (creds->ask), or no. */
static int
answer_ask(struct image_remote *r, const struct iw_msg *m, int stop)
{
	struct image_credential c = { 0 };
	uint64_t n[3] = { 0, (uint64_t)stop };
	struct iw_str s[2] = { { 0 } };
	int rc;

	if (r->creds != NULL && r->creds->ask != NULL &&
	    r->creds->ask(r->creds->ask_arg, m->s[0].p, &c) == 1) {
		n[0] = 1;
		s[0] = str(c.kind);
		s[1] = (struct iw_str){ .p = (const char *)c.secret, .len = c.len };
	}
	rc = iw_send(r->sock, IW_ANSWER, n, s, IW_N(s), -1);
	if (c.secret != NULL) {
		explicit_bzero(c.secret, c.len);
		free(c.secret);
	}
	if (rc != 0)
		reader_broke(r, strerror(errno));
	return rc;
}

/* Start the reader and take its hello (r->steps); r->sock < 0 and r->gone when that failed. */
static void
start(struct image_remote *r, const char *exe)
{
#ifdef VIGIL_SAN
	/* AddressSanitizer's shadow memory needs terabytes of address space */
	char *argv[] = { (char *)exe, "--fd", "3", "--memory-mb", "0", NULL };
#else
	char *argv[] = { (char *)exe, "--fd", "3", "--memory-mb", READER_MB, NULL };
#endif
	char why[200];
	struct iw_msg m;

	r->sock = -1;
	r->spool_fd = -1;
	r->gone[0] = '\0';
	free(r->steps);
	r->steps = NULL;
	if (helper_spawn(exe, argv, &r->pid, &r->sock, why, sizeof(why)) != 0) {
		r->sock = -1;
		snprintf(r->gone, sizeof(r->gone), "the image reader: %.200s", why);
		return;
	}
	if (next(r, &m, OPEN_MS)) {
		if (m.kind == IW_HELLO && (r->steps = strdup(m.s[0].p)) != NULL)
			iw_msg_free(&m);
		else
			violation(r, &m, "no hello");
	}
}

/* Start a reader and open the image there (r's file and options); VG_OK, or err. */
static enum vg_err
open_image(struct image_remote *r, struct vg_error *err)
{
	struct iw_msg m;
	enum vg_err rc;
	size_t i;

	start(r, r->exe);
	for (i = 0; r->creds != NULL && i < r->creds->n && r->sock >= 0; i++) {
		struct iw_str s[2] = { str(r->creds->v[i].kind),
				       { .p = (const char *)r->creds->v[i].secret,
					 .len = r->creds->v[i].len } };

		send_msg(r, IW_CRED, NULL, s, IW_N(s));
	}
	if (r->sock >= 0) {
		uint64_t n[3] = { (uint64_t)(int64_t)r->partition, (uint64_t)r->offset,
				  (r->deleted ? IW_DELETED : 0) | (r->parent ? IW_HAS_PARENT : 0) };
		struct iw_str s[2] = { str(r->file), str(r->parent) };

		send_msg(r, IW_OPEN, n, s, IW_N(s));
	}
	while (r->sock >= 0 && next(r, &m, OPEN_MS)) {
		if (m.kind == IW_ASK) {
			answer_ask(r, &m, 0);
			iw_msg_free(&m);
			continue;
		}
		if (m.kind == IW_ERROR && m.n[0] > VG_OK && m.n[0] < VG__LAST) {
			rc = vg_error_set(err, (enum vg_err)m.n[0], "%s", m.s[0].p);
			iw_msg_free(&m);
			end_reader(r, "could not open the image", NULL);
			return rc;
		}
		if (m.kind != IW_OPENED || m.s[0].len == 0 ||
		    !(r->format == NULL || strcmp(r->format, m.s[0].p) == 0)) {
			violation(r, &m, "no opened image");
			break;
		}
		if (r->format == NULL) {
			r->volumes = json_loadb(m.s[1].p, m.s[1].len, 0, NULL);
			r->format = strdup(m.s[0].p);
			if (r->volumes == NULL || !json_is_array(r->volumes) || r->format == NULL) {
				violation(r, &m, "no opened image");
				break;
			}
		}
		iw_msg_free(&m);
		return VG_OK;
	}
	return vg_error_set(err, VG_IO, "cannot open the image %s: %s", r->file, r->gone);
}

enum vg_err
image_remote_open(const char *exe, const char *file, const char *parent, int partition,
		  int64_t offset, int deleted, struct image_creds *creds, struct image_remote **out,
		  const char **format, struct vg_error *err)
{
	struct image_remote *r = calloc(1, sizeof(*r));
	enum vg_err rc;

	*out = NULL;
	if (r == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	r->sock = -1;
	r->spool_fd = -1;
	r->creds = creds;
	r->partition = partition;
	r->offset = offset;
	r->deleted = deleted;
	if ((r->exe = strdup(exe)) == NULL || (r->file = strdup(file)) == NULL ||
	    (parent != NULL && (r->parent = strdup(parent)) == NULL)) {
		image_remote_close(r);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	rc = open_image(r, err);
	if (rc != VG_OK) {
		image_remote_close(r);
		return rc;
	}
	*format = r->format;
	*out = r;
	return VG_OK;
}

/* Send a request and wait for IW_OK or IW_ERROR (or expect, when not IW_OK: *m kept). */
static enum vg_err
request(struct image_remote *r, uint32_t kind, const struct iw_str *s, size_t ns,
	uint32_t expect, struct iw_msg *m, struct vg_error *err)
{
	enum vg_err rc;

	if (send_msg(r, kind, NULL, s, ns) != 0 || !next(r, m, OPEN_MS))
		return vg_error_set(err, VG_IO, "%s", r->gone);
	if (m->kind == IW_ERROR && m->n[0] > VG_OK && m->n[0] < VG__LAST) {
		rc = vg_error_set(err, (enum vg_err)m->n[0], "%s", m->s[0].p);
		iw_msg_free(m);
		return rc;
	}
	if (m->kind != expect) {
		violation(r, m, "an answer of the wrong kind");
		return vg_error_set(err, VG_IO, "%s", r->gone);
	}
	return VG_OK;
}

enum vg_err
image_remote_quick(struct image_remote *r, char *const *patterns, size_t n, struct vg_error *err)
{
	size_t i, len = 0;
	char *all, *p;
	struct iw_str s[1];
	struct iw_msg m;
	enum vg_err rc;

	for (i = 0; i < n; i++)
		len += strlen(patterns[i]) + 1;
	if ((all = malloc(len + 1)) == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	for (i = 0, p = all; i < n; i++)
		p = stpcpy(p, patterns[i]) + 1;
	s[0] = (struct iw_str){ .p = all, .len = len };
	rc = request(r, IW_QUICK, s, IW_N(s), IW_OK, &m, err);
	if (rc == VG_OK)
		iw_msg_free(&m);
	free(r->quick);
	r->quick = all; /* for a restarted reader */
	r->quick_len = len;
	return rc;
}

json_t *
image_remote_list(struct image_remote *r, struct vg_error *err)
{
	struct iw_msg m;
	json_t *doc;

	if (request(r, IW_LIST, NULL, 0, IW_LISTED, &m, err) != VG_OK)
		return NULL;
	doc = json_loadb(m.s[0].p, m.s[0].len, 0, NULL);
	if (doc == NULL || !json_is_object(doc)) {
		json_decref(doc);
		violation(r, &m, "a list that is not a JSON object");
		vg_error_set(err, VG_IO, "%s", r->gone);
		return NULL;
	}
	iw_msg_free(&m);
	return doc;
}

/* ---- the walk ---- */

/* IW_SPOOL: a new file in the spool folder (kept: the object comes back in it). */
static int
answer_spool(struct image_remote *r, const struct image_sink *s)
{
	uint64_t n[3] = { 0, (uint64_t)(s->stopped(s->arg) != 0) };
	struct iw_str t[1] = { { 0 } };
	char *why = NULL;
	int rc;

	if (r->spool_fd >= 0)
		close(r->spool_fd);
	r->spool_fd = s->spool != NULL ? s->spool(s->arg, &why) : -1;
	if (r->spool_fd >= 0)
		n[0] = 1;
	else
		t[0] = str(why ? why : "no spool folder");
	rc = iw_send(r->sock, IW_ANSWER, n, t, IW_N(t), r->spool_fd);
	free(why);
	if (rc != 0)
		reader_broke(r, strerror(errno));
	return rc;
}

static int
answer(struct image_remote *r, const struct image_sink *s, uint64_t yes)
{
	uint64_t n[3] = { yes, (uint64_t)(s->stopped(s->arg) != 0) };

	return send_msg(r, IW_ANSWER, n, NULL, 0);
}

/* A location is a JSON object's text: anything else is dropped (NULL). */
static const char *
location(const struct iw_str *l)
{
	json_t *j;
	int ok;

	if (l->len == 0)
		return NULL;
	j = json_loadb(l->p, l->len, 0, NULL);
	ok = j != NULL && json_is_object(j);
	json_decref(j);
	return ok ? l->p : NULL;
}

/* A problem's kind as the store keeps it (static: the scan holds on to it), or NULL. */
static const char *
known_kind(const char *k)
{
	static const char *const kinds[] = { "error", "skipped", "limit" };
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(k, kinds[i]) == 0)
			return kinds[i];
	return NULL;
}

/* Map len bytes of fd into obj (which then owns fd); a mapping that fails leaves it unread. */
static void
map_into(struct image_obj *obj, int fd, uint64_t len)
{
	void *map = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, fd, 0);

	if (map == MAP_FAILED) {
		close(fd);
		return;
	}
	obj->data = map;
	obj->map_len = (size_t)len;
	obj->spool_fd = fd;
	obj->len = (size_t)len;
	obj->read = 1;
}

/*
 * The bytes of an IW_OBJECT of len bytes into obj: inline, in a sealed memfd, or in the spool
 * file vigil gave. NULL, or what is wrong with them.
 */
static const char *
object_bytes(struct image_remote *r, struct iw_msg *m, uint64_t len, struct image_obj *obj)
{
	if (len == 0) {
		obj->read = (obj->data = malloc(1)) != NULL;
	} else if (len > SIZE_MAX) {
		return "an object larger than memory";
	} else if (m->n[1] & IW_INLINE) {
		if (m->s[3].len != len || len > IW_INLINE_MAX || m->fd >= 0)
			return "an object whose bytes are not the length it says";
		if ((obj->data = malloc((size_t)len + 1)) != NULL) {
			memcpy(obj->data, m->s[3].p, (size_t)len);
			obj->len = (size_t)len;
			obj->read = 1;
		}
	} else if (m->n[1] & IW_SPOOLED) {
		/* in the spool file vigil gave: that one, the same file, long enough */
		struct stat a, b;

		if (r->spool_fd < 0 || m->fd < 0 || fstat(m->fd, &a) != 0 ||
		    fstat(r->spool_fd, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino ||
		    (uint64_t)b.st_size < len)
			return "an object not in the spool file it was given";
		map_into(obj, r->spool_fd, len);
		r->spool_fd = -1;
	} else {
		int seals = m->fd >= 0 ? fcntl(m->fd, F_GET_SEALS) : -1;
		int need = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
		struct stat st;

		if (seals < 0 || (seals & need) != need || fstat(m->fd, &st) != 0 ||
		    !S_ISREG(st.st_mode) || (uint64_t)st.st_size < len)
			return "an object not in a sealed memfd of its length";
		map_into(obj, m->fd, len);
		m->fd = -1;
	}
	return NULL;
}

/* An IW_OBJECT: checked, then handed to s. 0, or -1 for a violation (what in *what). */
static int
take_object(struct image_remote *r, const struct image_sink *s, struct iw_msg *m,
	    const char **what)
{
	uint64_t len = m->n[0], flight = m->n[2];
	struct image_obj *obj = NULL;
	struct iw_inv inv;
	char *where = NULL;

	if (flight > r->reserved || (flight > 0 && flight < IW_RESERVE_MIN)) {
		*what = "more bytes in flight than were reserved";
		return -1;
	}
	r->reserved -= flight;
	if (flight == 0 && (m->n[1] & IW_READ) && len > 0) {
		/* small: not reserved ahead; held here until that much may be in flight */
		if (len >= IW_RESERVE_MIN) {
			*what = "a large object that was not reserved";
			return -1;
		}
		s->reserve(s->arg, len);
		flight = len;
	}
	if (m->s[0].len == 0) {
		/* nothing to scan and no name: only what was reserved for it goes back */
		goto release;
	}
	if (m->s[2].len != sizeof(inv)) {
		*what = "an object without its metadata";
		goto release;
	}
	memcpy(&inv, m->s[2].p, sizeof(inv));
	if ((obj = calloc(1, sizeof(*obj))) == NULL || (where = strdup(m->s[0].p)) == NULL)
		goto release;
	obj->spool_fd = -1;
	obj->inv = (struct store_inv){
		.size = inv.size, .mode = inv.mode, .uid = inv.uid, .gid = inv.gid, .dev = inv.dev,
		.ino = inv.ino, .nlink = inv.nlink, .atime_ns = inv.atime_ns,
		.mtime_ns = inv.mtime_ns, .ctime_ns = inv.ctime_ns, .btime_ns = inv.btime_ns,
		.have_btime = inv.have_btime != 0,
	};
	if (location(&m->s[1]) != NULL)
		obj->location = strdup(m->s[1].p);
	if ((m->n[1] & IW_READ) && (*what = object_bytes(r, m, len, obj)) != NULL)
		goto release;
	obj->flight = flight;
	s->current(s->arg, where);
	s->object(s->arg, where, obj);
	return 0;
release:
	image_obj_drop(obj);
	free(where);
	if (flight > 0 && s->release != NULL)
		s->release(s->arg, flight);
	return *what != NULL ? -1 : 0;
}

/* The reader is gone mid-walk: the volumes it had not finished say so, and so does a problem. */
static void
walk_failed(struct image_remote *r, const struct image_sink *s, const char *file)
{
	size_t i;
	json_t *v;

	json_array_foreach(r->volumes, i, v) {
		const char *st = json_string_value(json_object_get(v, "status"));

		if (st != NULL && strcmp(st, "skipped") == 0 && json_object_get(v, "reason") == NULL) {
			json_object_set_new(v, "status", json_string("error"));
			json_object_set_new(v, "reason", json_string(r->gone));
		}
	}
	s->problem(s->arg, file, NULL, "error", r->gone);
}

/* What a reader that is done or gone reserved and never used goes back; its spool file too. */
static void
drop_flight(struct image_remote *r, const struct image_sink *s)
{
	if (r->spool_fd >= 0)
		close(r->spool_fd);
	r->spool_fd = -1;
	if (r->reserved > 0 && s->release != NULL)
		s->release(s->arg, r->reserved);
	r->reserved = 0;
}

/* Times a reader that died mid-walk is started again, for one image. */
#define RESTARTS 3

static int
skipped(const struct image_remote *r, const char *where)
{
	size_t i;

	for (i = 0; i < r->nskip; i++)
		if (strcmp(r->skip[i], where) == 0)
			return 1;
	return 0;
}

/*
 * IW_DONE: yes for what a resumed scan has, for what the runs before this one handed over
 * (the first r->prior files asked, the walk's order being the same every time), and for a
 * file a reader died reading; else the reader reads it, and it is pending until it comes.
 */
static void
answer_done(struct image_remote *r, const struct image_sink *s, const char *where)
{
	int yes = ++r->asked <= r->prior || skipped(r, where) || s->done(s->arg, where) != 0;

	if (yes)
		r->seen++;
	free(r->pending);
	r->pending = yes ? NULL : strdup(where);
	answer(r, s, (uint64_t)yes);
}

/* One reader's walk, until IW_END (1) or until it is gone (0). */
static int
walk_once(struct image_remote *r, const struct image_sink *s, unsigned may, int *got)
{
	uint64_t n[3] = { s->max_filesize, s->spool != NULL, may };
	int idle = 0, stopping = 0, rc;
	const char *what = NULL;
	json_t *ex = scanner_excl_json(s->excl);
	char *ext = ex != NULL ? json_dumps(ex, JSON_COMPACT) : NULL;
	struct iw_str t[1] = { str(ext) };
	struct iw_msg m;

	json_decref(ex);
	r->asked = r->seen = 0;
	rc = ext != NULL ? send_msg(r, IW_WALK, n, t, IW_N(t)) : -1;
	free(ext);
	if (rc != 0) {
		end_reader(r, "could not be given the walk", NULL);
		return 0;
	}
	while (r->sock >= 0) {
		char why[128];

		rc = iw_recv(r->sock, &m, POLL_MS, why, sizeof(why));
		if (rc == -2) {
			idle += POLL_MS;
			stopping = s->stopped(s->arg) ? stopping + POLL_MS : 0;
			if (stopping >= STOP_MS)
				end_reader(r, "was stopped with the scan", NULL);
			else if (idle >= IDLE_MS)
				end_reader(r, "sent nothing for 10 minutes", NULL);
			continue;
		}
		idle = 0;
		if (rc == 0) {
			reader_broke(r, "it closed its socket");
			break;
		}
		if (rc < 0) {
			end_reader(r, "sent what it should not", why);
			break;
		}
		switch (m.kind) {
		case IW_CURRENT:
			s->current(s->arg, m.s[0].p);
			break;
		case IW_PROBLEM: {
			const char *kind = known_kind(m.s[2].p);

			if (kind == NULL) {
				what = "a problem of no known kind";
				break;
			}
			s->problem(s->arg, m.s[0].p, location(&m.s[1]), kind, m.s[3].p);
			break;
		}
		case IW_OBJECT:
			if (take_object(r, s, &m, &what) == 0) {
				*got = 1;
				r->seen++;
				free(r->pending);
				r->pending = NULL;
			}
			break;
		case IW_EXCLUDED:
			s->excluded(s->arg, m.s[0].p); /* counted if vigil's own say so too */
			break;
		case IW_DONE:
			answer_done(r, s, m.s[0].p);
			break;
		case IW_RESERVE:
			if (m.n[0] > (uint64_t)1 << 46) {
				what = "a reservation beyond any file";
				break;
			}
			s->reserve(s->arg, m.n[0]);
			r->reserved += m.n[0];
			answer(r, s, 1);
			break;
		case IW_ASK:
			answer_ask(r, &m, s->stopped(s->arg) != 0);
			break;
		case IW_SPOOL:
			answer_spool(r, s);
			break;
		case IW_END: {
			json_t *vols = json_loadb(m.s[0].p, m.s[0].len, 0, NULL);

			if (vols == NULL || !json_is_array(vols)) {
				json_decref(vols);
				what = "volumes that are not a JSON array";
				break;
			}
			json_decref(r->volumes);
			r->volumes = vols;
			r->readable = m.n[0] != 0 || *got;
			iw_msg_free(&m);
			return 1;
		}
		default:
			what = "a message out of turn";
		}
		if (what != NULL) {
			violation(r, &m, what);
			break;
		}
		iw_msg_free(&m);
	}
	return 0;
}

/*
 * The walk. A reader that dies is started again (RESTARTS times at most), told to skip what
 * was handed over already: every file is asked about (IW_DONE) from then on, so the file it
 * was reading when it died is known the next time it dies there, and skipped after that with
 * a problem of its own. The walk's order is the same every time: the same image, the same
 * reader.
 */
void
image_remote_walk(struct image_remote *r, const struct image_sink *s, const char *file)
{
	unsigned may = s->may;
	int got = 0, restarts = 0, done;
	struct vg_error err;

	r->prior = 0;
	while (!(done = walk_once(r, s, may, &got)) && restarts < RESTARTS && !s->stopped(s->arg)) {
		char **nv;

		drop_flight(r, s);
		if (r->pending != NULL && !skipped(r, r->pending) &&
		    (nv = realloc(r->skip, (r->nskip + 1) * sizeof(*nv))) != NULL) {
			/* it died reading this one: never again */
			r->skip = nv;
			r->skip[r->nskip++] = r->pending;
			s->problem(s->arg, r->pending, NULL, "error", r->gone);
			r->pending = NULL;
		}
		restarts++;
		{
			char msg[sizeof(r->gone) + 64];

			snprintf(msg, sizeof(msg), "%s; started again (%d of %d)", r->gone, restarts,
				 RESTARTS);
			s->problem(s->arg, file, NULL, "error", msg);
		}
		r->prior += r->seen;
		may |= IMAGE_MAY_BE_DONE;
		vg_error_init(&err);
		if (open_image(r, &err) != VG_OK) {
			snprintf(r->gone, sizeof(r->gone), "%.480s", err.msg);
			break;
		}
		if (r->quick != NULL) {
			struct iw_str q[1] = { { .p = r->quick, .len = r->quick_len } };
			struct iw_msg m;

			if (request(r, IW_QUICK, q, IW_N(q), IW_OK, &m, &err) != VG_OK)
				break;
			iw_msg_free(&m);
		}
	}
	if (!done) {
		walk_failed(r, s, file);
		r->readable = got;
	}
	drop_flight(r, s);
}

json_t *
image_remote_volumes(const struct image_remote *r)
{
	return json_deep_copy(r->volumes);
}

int
image_remote_readable(const struct image_remote *r)
{
	return r->readable;
}

const char *
image_remote_sandbox(const struct image_remote *r)
{
	return r->steps != NULL ? r->steps : "";
}

json_t *
scanner_image_health(void)
{
	char why[PATH_MAX + 128];
	const char *exe = helper_exe(&HELPER_IMAGE, why, sizeof(why));
	struct image_remote *r;
	json_t *j;

	if (exe == NULL)
		return json_pack("{s:b, s:s}", "available", 0, "reason", why);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	start(r, exe);
	if (r->steps != NULL)
		j = json_pack("{s:b, s:s, s:s}", "available", 1, "reader", exe, "sandbox", r->steps);
	else
		j = json_pack("{s:b, s:s}", "available", 0, "reason", r->gone);
	image_remote_close(r);
	return j;
}

void
image_remote_close(struct image_remote *r)
{
	if (r == NULL)
		return;
	if (r->sock >= 0) {
		/* end of stream: the reader closes the image and exits */
		int status;
		int i;

		shutdown(r->sock, SHUT_WR);
		for (i = 0; i < 20 && r->pid > 0; i++) {
			if (waitpid(r->pid, &status, WNOHANG) == r->pid)
				r->pid = 0;
			else
				usleep(10 * 1000);
		}
	}
	end_reader(r, "closed", NULL);
	json_decref(r->volumes);
	free(r->format);
	free(r->steps);
	free(r->exe);
	free(r->file);
	free(r->parent);
	free(r->quick);
	free(r->pending);
	while (r->nskip > 0)
		free(r->skip[--r->nskip]);
	free(r->skip);
	free(r);
}
