/*
 * scanner/handler_deep.c — deep containers: what libarchive does not open goes to
 * vigil-extract, a sandboxed process that runs libclamav's parsers (scanner/extractor.h,
 * extract/).
 *
 * Routing is by content. libarchive keeps what it reads well, in memory (its handler bids
 * higher on every archive type); this row bids on what only ClamAV opens: Windows programs
 * (packers, self-extractors, installers), OLE2 (Office 97-2003, MSI), PDF, RTF, mail and
 * mbox, TNEF, CHM, SZDD, BinHex, ARJ and SIS. Zip members libarchive cannot decompress
 * (deflate64, implode) reach it through the decline path of scanner/handler.h.
 *
 * ClamAV opens every level itself, so one round trip gives all the layers of an object, in
 * depth-first order, each with the index of the layer it came from. A layer is delivered as
 * one child whose name is its whole chain below the object (labels from outer to inner), and
 * flagged so that the engine does not open again what ClamAV already opened: HCHILD_OPENED
 * when ClamAV delivered children of it (the next layer names it as parent), else
 * HCHILD_NOT_AGAIN, which still lets libarchive open a type ClamAV does not (RAR).
 *
 * One extractor per worker thread, started on first use and ended with the thread.
 */
#include "scanner/handler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanner/extractor.h"
#include "scanner/scanner.h"

static int
is_mail(const unsigned char *d, size_t n)
{
	static const char *const heads[] = {
		"From ", "Received:", "Return-Path:", "From:", "Date:", "Subject:",
		"MIME-Version:", "Message-ID:", "Delivered-To:", "X-", "To:", "Content-Type:",
	};
	size_t i, lines = 0, off = 0;

	/* mbox, or a message whose first lines are headers (libmagic says text/plain) */
	if (n >= 5 && memcmp(d, "From ", 5) == 0)
		return 1;
	while (off < n && lines < 3) {
		int hit = 0;

		for (i = 0; i < sizeof(heads) / sizeof(heads[0]) && !hit; i++) {
			size_t hl = strlen(heads[i]);

			hit = n - off >= hl && strncasecmp((const char *)d + off, heads[i], hl) == 0;
		}
		if (!hit)
			return 0;
		lines++;
		while (off < n && d[off] != '\n')
			off++;
		off++;
	}
	return lines == 3;
}

/* Text that hides files: RTF with embedded objects (\object, \objdata: an RTF without
 * them holds nothing ClamAV would extract, and most RTF is such), BinHex, mail and mbox,
 * and HTML that carries base64 data (data: URIs, the smuggling of phishing pages). */
static int
is_deep_text(const unsigned char *d, size_t n)
{
	static const char binhex[] = "(This file must be converted with BinHex";
	size_t lead = 0;

	if (n >= 5 && memcmp(d, "{\\rtf", 5) == 0)
		return memmem(d, n, "\\obj", 4) != NULL;
	if (memmem(d, n < 1024 ? n : 1024, binhex, sizeof(binhex) - 1) != NULL)
		return 1;
	if (is_mail(d, n))
		return 1;
	while (lead < n && lead < 512 && (d[lead] == ' ' || d[lead] == '\t' || d[lead] == '\r' ||
					  d[lead] == '\n' || d[lead] == 0xef || d[lead] == 0xbb ||
					  d[lead] == 0xbf))
		lead++;
	return lead < n && d[lead] == '<' && memmem(d, n, ";base64,", 8) != NULL;
}

static int
deep_bid(const struct hobject *obj)
{
	static const char *const exact[] = {
		/* Windows programs: packers, self-extractors, installers, AutoIt */
		"application/vnd.microsoft.portable-executable", "application/x-dosexec",
		"application/x-msdownload", "application/x-ms-ne-executable",
		/* OLE2: Office 97-2003, MSI, Outlook */
		"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
		"application/x-ole-storage", "application/CDFV2", "application/vnd.ms-office",
		"application/vnd.ms-outlook", "application/x-msi", "application/vnd.ms-msi",
		"application/vnd.visio",
		/* documents and mail */
		"application/pdf", "message/rfc822",
		"application/mbox", "application/vnd.ms-tnef", "application/onenote",
		/* other containers only ClamAV reads */
		"application/vnd.ms-htmlhelp", "application/x-ms-compress-szdd",
		"application/x-ms-compress-kwaj", "application/mac-binhex40", "application/x-arj",
		"application/vnd.symbian.install",
	};
	size_t i;

	if (!obj->opts->deep_containers || extractor_exe(NULL, 0) == NULL)
		return 0;
	/* members another handler declined (a zip's deflate64 or implode members) */
	if (obj->only != NULL)
		return 10;
	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(obj->mime, exact[i]) == 0)
			return 40;
	/* the engine types text only as text/plain (the full libmagic pass is not worth it
	 * for text): look at the text itself */
	if (strncmp(obj->mime, "text/", 5) == 0 && is_deep_text(obj->data, obj->len))
		return 40;
	return 0;
}

/* ---- one extractor per worker thread ---- */

static pthread_key_t xkey;
static pthread_once_t xonce = PTHREAD_ONCE_INIT;

static void
drop_extractor(void *p)
{
	extractor_free(p);
}

static void
make_key(void)
{
	pthread_key_create(&xkey, drop_extractor);
}

static struct extractor *
thread_extractor(const struct scanner_options *o)
{
	struct extractor *x;

	pthread_once(&xonce, make_key);
	if ((x = pthread_getspecific(xkey)) == NULL) {
		struct extractor_limits l = {
			.max_files = o->archive_max_members,
			.max_filesize = o->archive_max_member_size,
			.max_scansize = o->archive_max_bytes,
			.max_recursion = (unsigned)(o->max_depth > 0 ? o->max_depth : 1),
			.timeout_s = (unsigned)(o->scan_timeout > 0 ? o->scan_timeout : 120),
			.tmp_fallback = o->extract_tmp,
			.stop = o->stop,
		};

		if ((x = extractor_new(&l)) != NULL)
			pthread_setspecific(xkey, x);
	}
	return x;
}

/* ---- the layers of one object ---- */

struct layers {
	char **label;
	int32_t *parent;
	size_t n, cap;
};

static int
remember(struct layers *ls, const struct xlayer *l)
{
	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? ls->cap * 2 : 16;
		char **nl = realloc(ls->label, cap * sizeof(*nl));
		int32_t *np;

		if (nl == NULL)
			return -1;
		ls->label = nl;
		if ((np = realloc(ls->parent, cap * sizeof(*np))) == NULL)
			return -1;
		ls->parent = np;
		ls->cap = cap;
	}
	if ((ls->label[ls->n] = strdup(l->label)) == NULL)
		return -1;
	/* a parent is always an earlier layer; anything else is taken as the object */
	ls->parent[ls->n] = l->parent >= 0 && (size_t)l->parent < ls->n ? l->parent : -1;
	ls->n++;
	return 0;
}

static void
forget(struct layers *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		free(ls->label[i]);
	free(ls->label);
	free(ls->parent);
}

/* The chain of layer i (labels from outer to inner, each NUL-terminated), malloc'd. */
static char *
chain_of(const struct layers *ls, size_t i, size_t *len, unsigned *levels)
{
	size_t n = 0, total = 0, k;
	int32_t j;
	char *out, *p;

	for (j = (int32_t)i; j >= 0; j = ls->parent[j]) {
		total += strlen(ls->label[j]) + 1;
		n++;
	}
	if ((out = malloc(total)) == NULL)
		return NULL;
	p = out + total;
	for (j = (int32_t)i, k = 0; j >= 0; j = ls->parent[j], k++) {
		size_t l = strlen(ls->label[j]) + 1;

		p -= l;
		memcpy(p, ls->label[j], l);
	}
	*len = total;
	*levels = (unsigned)n;
	return out;
}

/* Hand layer i (its bytes in l) to the sink; its answer. */
static int
deliver(struct hsink *sink, const struct layers *ls, size_t i, struct xlayer *l, int opened)
{
	struct hchild ch;
	int rc;

	memset(&ch, 0, sizeof(ch));
	if ((ch.name = chain_of(ls, i, &ch.name_len, &ch.levels)) == NULL)
		return HSINK_STOP;
	ch.size = (int64_t)l->size;
	ch.flags = opened ? HCHILD_OPENED : HCHILD_NOT_AGAIN;
	if (l->flags & VX_DECRYPTED)
		ch.flags |= HCHILD_ENCRYPTED;
	ch.form = HCHILD_FD;
	ch.fd = l->fd;
	rc = sink->child(sink, &ch);
	free((char *)ch.name);
	return rc;
}

static void
deep_extract(const struct hobject *obj, struct hsink *sink)
{
	const struct scanner_options *o = obj->opts;
	struct extractor *x = thread_extractor(o);
	struct layers ls = { 0 };
	struct xlayer pending = { .fd = -1 }, l;
	size_t pending_i = 0;
	int have_pending = 0, stopping = 0;
	unsigned max_level = o->max_depth > obj->depth ? (unsigned)(o->max_depth - obj->depth) : 0;
	char why[512];
	enum xnext r;

	if (x == NULL) {
		sink->problem(sink, HPROB_ERROR, "extractor: out of memory");
		return;
	}
	if (obj->len > o->archive_max_bytes) {
		sink->problem(sink, HPROB_LIMIT, "larger than the unpacked bytes limit: not opened "
						 "by the extractor");
		return;
	}
	if (extractor_begin(x, obj->data, obj->len, max_level, why, sizeof(why)) != 0) {
		sink->problem(sink, HPROB_ERROR, why);
		return;
	}
	while ((r = extractor_next(x, &l, why, sizeof(why))) == XNEXT_LAYER) {
		if (remember(&ls, &l) != 0)
			stopping = 1;
		if (have_pending) {
			int opened = ls.parent[ls.n - 1] == (int32_t)pending_i;

			if (!stopping && deliver(sink, &ls, pending_i, &pending, opened) == HSINK_STOP)
				stopping = 1;
			xlayer_release(&pending);
			have_pending = 0;
		}
		if (!stopping && !(l.flags & (VX_NOBYTES | VX_NORMALIZED))) {
			pending = l;
			pending_i = ls.n - 1;
			have_pending = 1;
		} else {
			xlayer_release(&l);
		}
	}
	if (have_pending) {
		if (!stopping)
			deliver(sink, &ls, pending_i, &pending, 0);
		xlayer_release(&pending);
	}
	if (r == XNEXT_FAILED) {
		/* a scan that is stopping says so once, as interrupted; no problem per object */
		if (!sink->stopping(sink))
			sink->problem(sink, HPROB_ERROR, why);
	} else if (!stopping) {
		const char *text = extractor_text(x);

		switch (extractor_status(x)) {
		case VX_LIMIT:
			sink->problem(sink, HPROB_LIMIT, *text ? text : "a limit of the extractor");
			break;
		case VX_ENCRYPTED:
			sink->problem(sink, HPROB_ENCRYPTED, *text ? text : "encrypted");
			break;
		case VX_ERROR:
			sink->problem(sink, HPROB_DAMAGED, *text ? text : "ClamAV could not open it");
			break;
		default:
			break;
		}
	}
	forget(&ls);
}

const struct handler handler_deep = {
	.name = "deep",
	.bid = deep_bid,
	.extract = deep_extract,
};

json_t *
scanner_deep_health(int enabled, const char *tmp_fallback)
{
	struct extractor_limits l = { .max_files = 1000, .max_filesize = 1 << 20,
				      .max_scansize = 1 << 20, .max_recursion = 2, .timeout_s = 10,
				      .tmp_fallback = tmp_fallback };
	char hello[VX_TEXT_MAX + 1], why[512];
	const char *exe = extractor_exe(why, sizeof(why)), *sb;
	json_t *j = json_pack("{s:b}", "enabled", enabled);

	if (j == NULL)
		return NULL;
	if (exe == NULL || extractor_hello(&l, hello, sizeof(hello), why, sizeof(why)) != 0) {
		json_object_set_new(j, "available", json_false());
		json_object_set_new(j, "reason", json_string(why));
		return j;
	}
	json_object_set_new(j, "available", json_true());
	json_object_set_new(j, "extractor", json_string(exe));
	/* "libclamav 1.4.6; sandbox: net,mount,tmpfs,seccomp,rlimits" */
	if (strncmp(hello, "libclamav ", 10) == 0)
		json_object_set_new(j, "libclamav", json_stringn(hello + 10, strcspn(hello + 10, ";")));
	if ((sb = strstr(hello, "sandbox: ")) != NULL)
		json_object_set_new(j, "sandbox", json_string(sb + 9));
	return j;
}
