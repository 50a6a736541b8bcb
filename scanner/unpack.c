/*
 * scanner/unpack.c — containers, above the handlers: which handler opens an object, and the
 * one place where the archive limits are enforced.
 *
 * The handlers (scanner/handler.h) only turn a container into children. Every child comes
 * back through sink_child(), which counts it against the budget of its top-level file
 * (members, and the uncompressed bytes of all levels together), refuses a member above the
 * member size limit, stops a bomb early on the ratio of uncompressed to compressed bytes, and
 * scans it like a file, recursing up to max_depth. A file that hits a limit is reported as
 * such, never passed as clean.
 */
#include "scanner/scanner_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/path.h"
#include "scanner/handler.h"

/* The ratio limit applies once this much has been unpacked from one file. */
#define RATIO_FLOOR (64u << 20)

/* Every container handler, in order of preference when two bid the same. */
static const struct handler *const handler_table[] = {
	&handler_libarchive,
	&handler_uuencode,
	&handler_deep,
};

/* The handler that bids highest for h, leaving out skip (the one that produced or declined
 * it) and, with deep containers off, the extractor. */
static const struct handler *
choose(const struct hobject *h, const struct handler *skip)
{
	const struct handler *best = NULL;
	int best_bid = 0;
	size_t i;

	if (engine_test_hooks.handler != NULL && engine_test_hooks.handler != skip &&
	    engine_test_hooks.handler->bid(h) > 0)
		return engine_test_hooks.handler;
	for (i = 0; i < sizeof(handler_table) / sizeof(handler_table[0]); i++) {
		int bid;

		if (handler_table[i] == skip ||
		    (handler_table[i] == &handler_deep && !h->opts->deep_containers))
			continue;
		bid = handler_table[i]->bid(h);
		if (bid > best_bid) {
			best = handler_table[i];
			best_bid = bid;
		}
	}
	return best;
}

/* The engine's side of one container being extracted. */
struct sink {
	struct hsink base;
	struct engine *e;
	struct scan_ctx *c;
	const struct object *obj;	/* the container */
	const struct handler *hd;	/* the handler delivering */
	/* members it declined (NUL-separated first names) and the first reason */
	char *declined;
	size_t declined_len;
	char *decline_why;
	const char *only;		/* deliver only these first names (handler.h, 6a) */
	size_t only_len;
};

/* The first limit a file hits is reported on the file itself; scanning of it stops. */
static void
limit_hit(struct scan_ctx *c, const struct object *obj, const char *what, unsigned long long n)
{
	if (obj->budget->exhausted)
		return;
	obj->budget->exhausted = 1;
	scan_problem(c, obj->path, NULL, 0, "limit",
		     "archive bomb: %s %llu; the rest of this file was not scanned", what, n);
}

/* Count n more unpacked bytes against the file's budget; 0 when they are past a limit. */
static int
take_bytes(struct scan_ctx *c, const struct object *child, uint64_t n)
{
	const struct scanner_options *o = c->o;
	struct budget *b = child->budget;

	b->bytes += n;
	if (b->bytes > o->archive_max_bytes) {
		limit_hit(c, child, "unpacked bytes above the limit of",
			  (unsigned long long)o->archive_max_bytes);
		return 0;
	}
	if (b->bytes > RATIO_FLOOR && b->top_size > 0 && b->bytes / b->top_size > o->archive_max_ratio) {
		limit_hit(c, child, "compression ratio above the limit of",
			  (unsigned long long)o->archive_max_ratio);
		return 0;
	}
	return 1;
}

static void
too_large(struct scan_ctx *c, const struct object *child, long long size)
{
	unsigned long long max = (unsigned long long)c->o->archive_max_member_size;

	if (size >= 0)
		scan_problem(c, child->path, child->member, child->member_len, "skipped",
			     "member larger than the member size limit (%lld > %llu bytes): "
			     "not scanned", size, max);
	else
		scan_problem(c, child->path, child->member, child->member_len, "skipped",
			     "member larger than the member size limit (%llu bytes): not scanned",
			     max);
}

/* The next bytes of a child delivered as a descriptor or a stream. */
static ssize_t
child_read(const struct hchild *ch, unsigned char *buf, size_t n, size_t off, const char **why)
{
	ssize_t r;

	if (ch->form == HCHILD_STREAM)
		return ch->read(ch->arg, buf, n, why);
	if ((uint64_t)off >= (uint64_t)ch->size)
		return 0;
	if ((uint64_t)n > (uint64_t)ch->size - off)
		n = (size_t)((uint64_t)ch->size - off);
	do
		r = pread(ch->fd, buf, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		*why = strerror(errno);
	return r;
}

/* Read a child given as a descriptor or a stream into a new buffer, within the limits; NULL
 * (and a problem, or a limit hit) when it cannot be had. */
static unsigned char *
read_child(struct scan_ctx *c, const struct hchild *ch, const struct object *child, size_t *out,
	   const char **declined_why)
{
	uint64_t max = c->o->archive_max_member_size;
	size_t cap = 65536, n = 0;
	unsigned char *buf, *nb;

	if (ch->size > 0)
		cap = (size_t)ch->size + 1; /* +1 to see the end of data without a second call */
	if ((buf = malloc(cap)) == NULL)
		return NULL;
	for (;;) {
		const char *why = NULL;
		ssize_t r;

		if (n == cap) {
			size_t ncap = cap * 2 > max + 1 ? (size_t)max + 1 : cap * 2;

			if (cap > max) {
				too_large(c, child, -1);
				goto fail;
			}
			if ((nb = realloc(buf, ncap)) == NULL)
				goto fail;
			buf = nb;
			cap = ncap;
		}
		r = child_read(ch, buf + n, cap - n, n, &why);
		if (r == 0)
			break;
		if (r == HREAD_DECLINE && n == 0) {
			*out = 0;
			errno = EAGAIN;	/* declined: the caller records it */
			*declined_why = why;
			goto fail;
		}
		if (r < 0) {
			scan_problem(c, child->path, child->member, child->member_len,
				     (ch->flags & HCHILD_ENCRYPTED) ? "skipped" : "error",
				     "cannot unpack member: %s", why ? why : "read failed");
			goto fail;
		}
		n += (size_t)r;
		if (!take_bytes(c, child, (uint64_t)r))
			goto fail;
	}
	*out = n;
	return buf;
fail:
	free(buf);
	return NULL;
}

/* The last name of a chain of NUL-terminated names (n bytes). */
static const char *
last_name(const char *chain, size_t n)
{
	const char *p = chain + n - 1;	/* the last NUL */

	while (p > chain && p[-1] != '\0')
		p--;
	return p;
}

/* Is the chain's first name one of the NUL-separated names in list? */
static int
in_list(const char *list, size_t list_len, const char *name)
{
	size_t off = 0;

	while (off < list_len) {
		size_t l = strlen(list + off);

		if (strcmp(list + off, name) == 0)
			return 1;
		off += l + 1;
	}
	return 0;
}

/* Remember a member the handler declined, for the next handler (handler.h, 6a). */
static void
decline(struct sink *s, const char *name, const char *why)
{
	size_t nl = strlen(name) + 1;
	char *nd = realloc(s->declined, s->declined_len + nl);

	if (nd == NULL)
		return;
	memcpy(nd + s->declined_len, name, nl);
	s->declined = nd;
	s->declined_len += nl;
	if (s->decline_why == NULL && why != NULL)
		s->decline_why = strdup(why);
}

/* A child of the container: counted, bounded, then scanned like a file. */
static int
sink_child(struct hsink *hs, const struct hchild *ch)
{
	struct sink *s = (struct sink *)hs;
	struct scan_ctx *c = s->c;
	const struct object *obj = s->obj;
	size_t nl = ch->name_len ? ch->name_len : strlen(ch->name) + 1, n = 0;
	unsigned levels = ch->levels ? ch->levels : 1;
	const char *why = NULL;
	struct object child;
	unsigned char *buf = NULL;
	char *chain;

	if (obj->budget->exhausted || scan_should_stop(c))
		return HSINK_STOP;
	if (s->only != NULL && !in_list(s->only, s->only_len, ch->name))
		return HSINK_CONTINUE;
	if (++obj->budget->members > c->o->archive_max_members) {
		limit_hit(c, obj, "archive members above the limit of",
			  (unsigned long long)c->o->archive_max_members);
		return HSINK_STOP;
	}
	if ((chain = malloc(obj->member_len + nl)) == NULL)
		return HSINK_STOP;
	if (obj->member_len)
		memcpy(chain, obj->member, obj->member_len);
	memcpy(chain + obj->member_len, ch->name, nl);
	chain[obj->member_len + nl - 1] = '\0';
	child = *obj;
	child.member = chain;
	child.member_len = obj->member_len + nl;
	child.name = vg_path_basename(last_name(chain + obj->member_len, nl));
	child.depth = obj->depth + (int)levels;
	child.have_mtime = ch->have_mtime;
	child.mtime_ns = ch->mtime_ns;
	child.from = s->hd;
	child.opened = (ch->flags & HCHILD_OPENED) != 0;
	child.not_again = (ch->flags & HCHILD_NOT_AGAIN) != 0;

	if (child.depth > c->o->max_depth) {
		scan_problem(c, obj->path, chain, child.member_len, "limit",
			     "nested deeper than %d levels: not scanned", c->o->max_depth);
	} else if (ch->form == HCHILD_NONE) {
		scan_problem(c, obj->path, chain, child.member_len, "skipped",
			     (ch->flags & HCHILD_ENCRYPTED) ? "encrypted member: not scanned"
							    : "member could not be read: not scanned");
	} else if (ch->size > 0 && (uint64_t)ch->size > c->o->archive_max_member_size) {
		too_large(c, &child, (long long)ch->size);
	} else if (ch->form == HCHILD_MEM) {
		if ((uint64_t)ch->len > c->o->archive_max_member_size)
			too_large(c, &child, (long long)ch->len);
		else if (take_bytes(c, &child, ch->len))
			engine_scan_object(s->e, ch->data, ch->len, &child);
	} else if ((buf = read_child(c, ch, &child, &n, &why)) != NULL) {
		engine_scan_object(s->e, buf, n, &child);
		free(buf);
	} else if (why != NULL && errno == EAGAIN) {
		obj->budget->members--;	/* counted again when the next handler delivers it */
		decline(s, ch->name, why);
	}
	free(chain);
	return obj->budget->exhausted || scan_should_stop(c) ? HSINK_STOP : HSINK_CONTINUE;
}

static void
sink_problem(struct hsink *hs, enum hproblem kind, const char *reason)
{
	struct sink *s = (struct sink *)hs;
	const struct object *o = s->obj;

	switch (kind) {
	case HPROB_DAMAGED:
		scan_problem(s->c, o->path, o->member, o->member_len, "error",
			     "damaged archive: %s", reason);
		break;
	case HPROB_ERROR:
		scan_problem(s->c, o->path, o->member, o->member_len, "error", "%s", reason);
		break;
	case HPROB_LIMIT:
		if (!o->budget->exhausted) {
			o->budget->exhausted = 1;
			scan_problem(s->c, o->path, o->member, o->member_len, "limit",
				     "%s; the rest of this file was not scanned", reason);
		}
		break;
	case HPROB_ENCRYPTED:
		scan_problem(s->c, o->path, o->member, o->member_len, "skipped",
			     "encrypted content: %s: not scanned", reason);
		break;
	}
}

static int
sink_stopping(struct hsink *hs)
{
	struct sink *s = (struct sink *)hs;

	return s->obj->budget->exhausted || scan_should_stop(s->c);
}

/* Members the first handler declined and no other handler took: skipped, with the reason. */
static void
report_declined(struct scan_ctx *c, const struct object *obj, const struct sink *s)
{
	size_t off = 0;

	while (off < s->declined_len) {
		const char *name = s->declined + off;
		size_t l = strlen(name) + 1;
		char *chain = malloc(obj->member_len + l);

		if (chain == NULL)
			return;
		if (obj->member_len)
			memcpy(chain, obj->member, obj->member_len);
		memcpy(chain + obj->member_len, name, l);
		scan_problem(c, obj->path, chain, obj->member_len + l, "skipped",
			     "cannot unpack member: %s (deep containers are off): not scanned",
			     s->decline_why ? s->decline_why : "declined");
		free(chain);
		off += l;
	}
}

void
unpack_scan(struct engine *e, const unsigned char *data, size_t len, const char *mime,
	    const struct object *obj)
{
	struct scan_ctx *c = engine_ctx(e);
	struct hobject h = { data, len, mime, obj->name, c->o, obj->depth, NULL, 0 };
	const struct handler *hd, *next;
	struct sink s = { { sink_child, sink_problem, sink_stopping }, e, c, obj, NULL,
			  NULL, 0, NULL, NULL, 0 };

	if (obj->opened)
		return;
	if ((hd = choose(&h, obj->not_again ? obj->from : NULL)) == NULL)
		return;
	if (obj->depth >= c->o->max_depth) {
		scan_problem(c, obj->path, obj->member, obj->member_len, "limit",
			     "archive nested deeper than %d levels: not unpacked", c->o->max_depth);
		return;
	}
	s.hd = hd;
	hd->extract(&h, &s.base);
	if (s.declined_len > 0 && !sink_stopping(&s.base)) {
		h.only = s.only = s.declined;
		h.only_len = s.only_len = s.declined_len;
		if ((next = choose(&h, hd)) != NULL) {
			s.hd = next;
			next->extract(&h, &s.base);
		} else {
			report_declined(c, obj, &s);
		}
	}
	free(s.declined);
	free(s.decline_why);
}
