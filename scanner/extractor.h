/*
 * scanner/extractor.h — one vigil-extract process, seen from vigil: started on demand, fed
 * one object at a time, restarted after it fails.
 *
 *	struct extractor *x = extractor_new(&limits);       nothing runs yet
 *	extractor_begin(x, data, len, max_level, why, n);   starts it if needed, sends the object
 *	while ((r = extractor_next(x, &layer, why, n)) == XNEXT_LAYER) { ...; layer_release }
 *	r == XNEXT_DONE: extractor_status(x) and extractor_text(x) say how it ended
 *	r == XNEXT_FAILED: why says what ("extractor crashed: SIGSEGV"); the process is gone and
 *	                   the next extractor_begin starts another
 *	extractor_free(x);                                  ends the process (EOF, then SIGKILL)
 *
 * The protocol is extract/proto.h. The object goes over as a sealed memfd, each layer comes
 * back as one. Time spent waiting for the extractor is bounded per object by limits.timeout_s:
 * past it the process is killed (XNEXT_FAILED, "extractor timed out after N s"). Not
 * thread-safe: one extractor per worker thread (scanner/handler_deep.c keeps them).
 */
#ifndef VIGIL_SCANNER_EXTRACTOR_H
#define VIGIL_SCANNER_EXTRACTOR_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "extract/proto.h"

struct extractor_limits {
	uint64_t max_files;	/* layers per object (ClamAV's MaxFiles) */
	uint64_t max_filesize;	/* largest layer */
	uint64_t max_scansize;	/* bytes of all layers of one object */
	unsigned max_recursion;
	unsigned timeout_s;	/* per object */
	const char *tmp_fallback; /* see extract/proto.h; NULL: none */
	/* set non-zero (SIGINT, SIGTERM) to stop: a wait for the extractor ends within
	 * STOP_CHECK_MS, the process is killed and extractor_next says "scan stopping" */
	volatile sig_atomic_t *stop;
};

struct xlayer {
	int32_t parent;		/* index of the layer it was found in, -1: the object */
	uint32_t level, flags;	/* ClamAV's recursion level; enum vx_layer_flags */
	char type[64];		/* ClamAV's type without CL_TYPE_ */
	char *label;		/* malloc'd; NUL-free bytes */
	int fd;			/* -1 with VX_NOBYTES */
	uint64_t size;
};

enum xnext { XNEXT_LAYER, XNEXT_DONE, XNEXT_FAILED };

struct extractor;

struct extractor *extractor_new(const struct extractor_limits *l);
void extractor_free(struct extractor *x);

/* Send one object (starting the process if none runs). 0, or -1 with why set. */
int extractor_begin(struct extractor *x, const void *data, size_t len, unsigned max_level,
		    char *why, size_t whylen);
enum xnext extractor_next(struct extractor *x, struct xlayer *out, char *why, size_t whylen);
void xlayer_release(struct xlayer *l);
/* After XNEXT_DONE: enum vx_status and its text. */
uint32_t extractor_status(const struct extractor *x);
const char *extractor_text(const struct extractor *x);

/* The running process's pid, or 0 (tests, health). */
long extractor_pid(const struct extractor *x);

/*
 * Where vigil-extract is: $VIGIL_EXTRACT, else beside this executable, else
 * ../lib/vigil/vigil-extract from it. NULL (why set) when none is found or it is not trusted:
 * it must be owned by root or this user and writable by no one else, as must its folder.
 */
const char *extractor_exe(char *why, size_t whylen);

/* Start one, read its hello ("libclamav 1.4.6; sandbox: ..."), stop it: for vigil health. */
int extractor_hello(const struct extractor_limits *l, char *hello, size_t n, char *why,
		    size_t whylen);

#endif
