/*
 * scanner/image_remote_walk.c — the walk of an image read by vigil-image: each message the
 * reader sends checked, then handed to the scan's sink (image_remote.h); a reader that dies is
 * started again (image_remote_walk).
 */
#include "scanner/image_remote.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanner/btrfs_run.h"
#include "scanner/image_int.h"
#include "scanner/image_obj.h"
#include "scanner/image_remote_int.h"
#include "scanner/image_wire.h"

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
		t[0] = iw_cstr(why ? why : "no spool folder");
	rc = iw_send(r->sock, IW_ANSWER, n, t, IW_N(t), r->spool_fd);
	free(why);
	if (rc != 0)
		ir_reader_broke(r, strerror(errno));
	return rc;
}

/* IW_BTRFS: a new btrfs restore for the reader to serve, its socket handed over. */
static int
answer_btrfs(struct image_remote *r, const struct image_sink *s, struct iw_msg *m)
{
	uint64_t n[3] = { 0, (uint64_t)(s->stopped(s->arg) != 0) };
	struct iw_str t[1] = { { 0 } };
	char *why = NULL;
	int sock = -1, rc;

	if (r->btrfs >= 0 || m->n[0] > BTRFS_CHECK)
		return -1; /* one at a time, restore or check */
	if (s->btrfs_start == NULL)
		why = strdup("btrfs is not read here");
	else if (s->btrfs_start(s->arg, (int)m->n[0], &sock, &r->btrfs, &why) == 0)
		n[0] = 1;
	else
		r->btrfs = -1;
	if (n[0] == 0)
		t[0] = iw_cstr(why ? why : "btrfs restore could not be started");
	rc = iw_send(r->sock, IW_ANSWER, n, t, IW_N(t), sock);
	if (sock >= 0)
		close(sock); /* the reader's now, and restore's */
	free(why);
	if (rc != 0)
		ir_reader_broke(r, strerror(errno));
	return 0;
}

/* The btrfs restore the reader served has ended (or the reader has): how, or NULL. */
static char *
end_btrfs(struct image_remote *r, const struct image_sink *s)
{
	char *how;

	if (r->btrfs < 0)
		return NULL;
	how = s->btrfs_end(s->arg, r->btrfs);
	r->btrfs = -1;
	return how;
}

/* IW_BTRFS_END: how it ended. */
static int
answer_btrfs_end(struct image_remote *r, const struct image_sink *s)
{
	uint64_t n[3] = { 0, (uint64_t)(s->stopped(s->arg) != 0) };
	struct iw_str t[1] = { { 0 } };
	char *how;

	if (r->btrfs < 0)
		return -1;
	how = end_btrfs(r, s);
	n[0] = how == NULL;
	t[0] = iw_cstr(how);
	if (iw_send(r->sock, IW_ANSWER, n, t, IW_N(t), -1) != 0)
		ir_reader_broke(r, strerror(errno));
	free(how);
	return 0;
}

static int
answer(struct image_remote *r, const struct image_sink *s, uint64_t yes)
{
	uint64_t n[3] = { yes, (uint64_t)(s->stopped(s->arg) != 0) };

	return ir_send_msg(r, IW_ANSWER, n, NULL, 0);
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

/*
 * A problem of a whole volume (its location names no file) that a run before this one
 * reported already? A restarted reader opens the image again and finds the same ones; else
 * it is noted.
 */
static int
said_before(struct image_remote *r, const char *where, const char *location, const char *reason)
{
	json_t *j = location ? json_loads(location, 0, NULL) : NULL;
	int volume = j != NULL && json_object_get(j, "path") == NULL;
	char *key = NULL, **nv;
	size_t i;

	json_decref(j);
	if (!volume || asprintf(&key, "%s\n%s", where, reason) < 0)
		return 0;
	for (i = 0; i < r->nsaid; i++)
		if (strcmp(r->said[i], key) == 0) {
			free(key);
			return 1;
		}
	if ((nv = realloc(r->said, (r->nsaid + 1) * sizeof(*nv))) == NULL) {
		free(key);
		return 0;
	}
	r->said = nv;
	r->said[r->nsaid++] = key;
	return 0;
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
	if ((m->n[1] & IW_IDENT) && (len > IW_IDENT_MAX || (len > 0 && !(m->n[1] & IW_INLINE)))) {
		*what = "an identity file that is not small and inline";
		goto release;
	}
	obj->ident = (m->n[1] & IW_IDENT) != 0;
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
	struct iw_str t[1] = { iw_cstr(ext) };
	struct iw_msg m;

	json_decref(ex);
	r->asked = r->seen = 0;
	rc = ext != NULL ? ir_send_msg(r, IW_WALK, n, t, IW_N(t)) : -1;
	free(ext);
	if (rc != 0) {
		ir_end_reader(r, "could not be given the walk", NULL);
		return 0;
	}
	while (r->sock >= 0) {
		char why[128];

		rc = iw_recv(r->sock, &m, POLL_MS, why, sizeof(why));
		if (rc == -2) {
			idle += POLL_MS;
			stopping = s->stopped(s->arg) ? stopping + POLL_MS : 0;
			if (stopping >= STOP_MS)
				ir_end_reader(r, "was stopped with the scan", NULL);
			else if (idle >= IDLE_MS)
				ir_end_reader(r, "sent nothing for 10 minutes", NULL);
			continue;
		}
		idle = 0;
		if (rc == 0) {
			ir_reader_broke(r, "it closed its socket");
			break;
		}
		if (rc < 0) {
			ir_end_reader(r, "sent what it should not", why);
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
			if (!said_before(r, m.s[0].p, location(&m.s[1]), m.s[3].p))
				s->problem(s->arg, m.s[0].p, location(&m.s[1]), kind, m.s[3].p);
			break;
		}
		case IW_OBJECT:
			/* an identity-only object is no file IW_DONE counted (image_wire.h) */
			if (take_object(r, s, &m, &what) == 0 && !(m.n[1] & IW_IDENT)) {
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
			ir_answer_ask(r, &m, s->stopped(s->arg) != 0);
			break;
		case IW_SPOOL:
			answer_spool(r, s);
			break;
		case IW_BTRFS:
			if (answer_btrfs(r, s, &m) != 0)
				what = "a second btrfs while one runs, or neither restore nor check";
			break;
		case IW_BTRFS_END:
			if (answer_btrfs_end(r, s) != 0)
				what = "the end of a btrfs restore that does not run";
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
			ir_violation(r, &m, what);
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
		free(end_btrfs(r, s)); /* the reader is gone: so is restore's other end */
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
		if (ir_open_image(r, &err) != VG_OK) {
			snprintf(r->gone, sizeof(r->gone), "%.480s", err.msg);
			break;
		}
		if (r->quick != NULL) {
			struct iw_str q[1] = { { .p = r->quick, .len = r->quick_len } };
			struct iw_msg m;

			if (ir_request(r, IW_QUICK, q, IW_N(q), IW_OK, &m, &err) != VG_OK)
				break;
			iw_msg_free(&m);
		}
	}
	if (!done) {
		walk_failed(r, s, file);
		r->readable = got;
	}
	free(end_btrfs(r, s));
	drop_flight(r, s);
}

