/*
 * scanner/handler.h — container handlers: who opens which container, and what a handler may do.
 *
 * A container handler turns one object (an archive, an encoded file, later a mail or an Office
 * document) into its child objects. Handlers are rows of one table, handler_table[] in
 * scanner/unpack.c, the way libarchive registers its format readers: a new container type is a
 * new row and one file, never an `if` in the engine. A handler sees only the bytes it is given
 * and the sink it hands children to; it never calls engine or scan functions, never counts
 * limits and never records problems itself.
 *
 * Calling sequence (the engine side is unpack_scan() in scanner/unpack.c):
 *
 *   1. The engine has typed an object (struct hobject: bytes in memory, libmagic MIME type,
 *      its own name) and matched it.
 *   2. It asks every row for bid(obj). 0 means "not mine"; otherwise a confidence, and the
 *      highest bid wins (a tie goes to the earlier row). No bid: not a container.
 *   3. At the depth limit the engine reports that and stops; otherwise it calls
 *      extract(obj, sink) of the winner.
 *   4. The handler walks its container. For each child it fills a struct hchild (name, mtime,
 *      declared size, flags, and the bytes in one of three forms below) and calls
 *      sink->child(sink, &child). The sink enforces every limit (members, bytes per top-level
 *      file, member size, ratio), reads the bytes, scans the child (which may recurse into
 *      step 2) and returns HSINK_CONTINUE or HSINK_STOP. On HSINK_STOP the handler returns at
 *      once: a limit was hit or the scan is stopping.
 *   5. A child whose bytes cannot be had (encrypted) is still delivered, with HCHILD_ENCRYPTED
 *      and HCHILD_NONE: the sink counts and reports it like every other handler's.
 *   6. A fault of the container itself goes to sink->problem(sink, kind, reason): HPROB_DAMAGED
 *      (reported as "damaged archive: <reason>"), HPROB_ERROR (the handler's own failure, such
 *      as "extractor crashed: SIGSEGV", reported as given), HPROB_LIMIT (a limit stopped the
 *      handler: the rest of the file is not scanned) or HPROB_ENCRYPTED (skipped).
 *   6a. A member the handler finds but cannot decode, which another handler might (a zip
 *      member compressed with deflate64 or implode, which libarchive does not read), is
 *      declined: its stream read returns HREAD_DECLINE. The engine then offers the whole
 *      container to the next handler that bids, with a filter that lets through only the
 *      declined members (hobject.only); without one, the member is reported as skipped.
 *   7. Between children that are not delivered (folders, links), the handler asks
 *      sink->stopping(sink) and returns when it says so.
 *   8. extract returns when the container is done or abandoned. Nothing survives the call.
 *
 * The three forms of a child's bytes (enum hchild_form):
 *   - HCHILD_MEM: data/len in memory, borrowed for the duration of the call;
 *   - HCHILD_FD: fd/size, a file descriptor read with pread from offset 0 (a memfd or a
 *     temporary file from a sandboxed helper); borrowed for the call, the handler closes it;
 *   - HCHILD_STREAM: read(arg, buf, n, &why) called until it returns 0 (end), -1 (error,
 *     *why says why: borrowed until the next call) or HREAD_DECLINE (see 6a); pull, so that
 *     the sink can stop a bomb after the first bytes past a limit (libarchive's
 *     archive_read_data is one).
 *
 * Threads: the table is constant and handlers keep no state between calls, so every worker
 * thread may run any handler at the same time. Strings in struct hchild and the reason given
 * to problem() are borrowed for the call.
 */
#ifndef VIGIL_SCANNER_HANDLER_H
#define VIGIL_SCANNER_HANDLER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct scanner_options;

/* The object a handler is asked about (and then given to extract). */
struct hobject {
	const unsigned char *data;	/* its bytes, all of them */
	size_t len;
	const char *mime;		/* libmagic's MIME type (text may be only "text/plain") */
	const char *name;		/* its own name, for a lone compressed stream's member */
	const struct scanner_options *opts; /* the scan's options (limits, timeouts, switches) */
	int depth;			/* its depth (0: a file); children are at depth + 1 */
	/* When set, deliver only the children whose first name is one of these (NUL-separated
	 * names, only_len bytes): the members another handler declined (6a). */
	const char *only;
	size_t only_len;
};

enum hchild_form { HCHILD_NONE, HCHILD_MEM, HCHILD_FD, HCHILD_STREAM };

enum hchild_flags {
	HCHILD_ENCRYPTED = 1 << 0,	/* encrypted: not delivered, or reading it may fail */
	HCHILD_OPENED = 1 << 1,		/* its own children come from the same handler: do not
					 * open it again */
	HCHILD_NOT_AGAIN = 1 << 2,	/* do not offer it to the handler that produced it */
};

/* A stream read's result when the handler cannot decode this member but another might. */
#define HREAD_DECLINE (-2)

struct hchild {
	/* Its path inside the container: NUL-terminated bytes; or, with name_len, a chain of
	 * NUL-terminated names (outer to inner) for a handler that opens several levels at
	 * once, levels of them (0 means 1). */
	const char *name;
	size_t name_len;
	unsigned levels;
	int have_mtime;
	int64_t mtime_ns;
	int64_t size;			/* declared size, -1 when not known */
	unsigned flags;			/* enum hchild_flags */
	enum hchild_form form;
	const unsigned char *data;	/* HCHILD_MEM */
	size_t len;
	int fd;				/* HCHILD_FD: read size bytes from offset 0 */
	/* HCHILD_STREAM: the next bytes into buf; 0 at the end, -1 on error (*why set) */
	ssize_t (*read)(void *arg, void *buf, size_t n, const char **why);
	void *arg;
};

enum { HSINK_CONTINUE = 0, HSINK_STOP = 1 };

/* What the engine hands a handler: where children and faults go. */
enum hproblem { HPROB_DAMAGED, HPROB_ERROR, HPROB_LIMIT, HPROB_ENCRYPTED };

struct hsink {
	int (*child)(struct hsink *s, const struct hchild *ch);
	void (*problem)(struct hsink *s, enum hproblem kind, const char *reason);
	int (*stopping)(struct hsink *s);
};

struct handler {
	const char *name;
	/* How sure this handler is that it can open obj: 0 (not at all) to 100. Cheap: the
	 * MIME type and the first bytes only. */
	int (*bid)(const struct hobject *obj);
	/* Deliver obj's children to sink (see the calling sequence above). */
	void (*extract)(const struct hobject *obj, struct hsink *sink);
};

/* The rows, one file each. */
extern const struct handler handler_libarchive;	/* scanner/handler_libarchive.c */
extern const struct handler handler_uuencode;	/* scanner/handler_libarchive.c */
extern const struct handler handler_deep;	/* scanner/handler_deep.c: vigil-extract */

#endif
