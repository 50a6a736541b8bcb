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
 *   6. A fault of the container itself (damaged, unreadable) goes to sink->problem(sink,
 *      reason); the engine reports it on the container as "damaged archive: <reason>".
 *   7. Between children that are not delivered (folders, links), the handler asks
 *      sink->stopping(sink) and returns when it says so.
 *   8. extract returns when the container is done or abandoned. Nothing survives the call.
 *
 * The three forms of a child's bytes (enum hchild_form):
 *   - HCHILD_MEM: data/len in memory, borrowed for the duration of the call;
 *   - HCHILD_FD: fd/size, a file descriptor read with pread from offset 0 (a memfd or a
 *     temporary file from a sandboxed helper); borrowed for the call, the handler closes it;
 *   - HCHILD_STREAM: read(arg, buf, n, &why) called until it returns 0 (end) or -1 (error,
 *     *why says why: borrowed until the next call); pull, so that the sink can stop a bomb
 *     after the first bytes past a limit (libarchive's archive_read_data is one).
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

/* The object a handler is asked about (and then given to extract). */
struct hobject {
	const unsigned char *data;	/* its bytes, all of them */
	size_t len;
	const char *mime;		/* libmagic's MIME type (text may be only "text/plain") */
	const char *name;		/* its own name, for a lone compressed stream's member */
};

enum hchild_form { HCHILD_NONE, HCHILD_MEM, HCHILD_FD, HCHILD_STREAM };

enum hchild_flags {
	HCHILD_ENCRYPTED = 1 << 0,	/* encrypted: not delivered, or reading it may fail */
};

struct hchild {
	const char *name;		/* path inside the container, NUL-terminated bytes */
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
struct hsink {
	int (*child)(struct hsink *s, const struct hchild *ch);
	void (*problem)(struct hsink *s, const char *reason);
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

#endif
