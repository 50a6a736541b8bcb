/*
 * extract/wire.h — one vx_msg datagram in, one out, on the extractor's socket (proto.h).
 *
 * The extractor trusts vigil no more than it must: wire_recv checks every length and the
 * descriptor count before anything reads the request. A failed write means vigil is gone or
 * broken; there is nobody left to tell, so wire_send ends the process with exit status 4
 * (atexit handlers still empty the temporary folder).
 */
#ifndef VIGIL_EXTRACT_WIRE_H
#define VIGIL_EXTRACT_WIRE_H

#include <stddef.h>

#include "extract/proto.h"

/* Exit statuses of vigil-extract (main.c documents them for the user). */
enum vx_exit {
	VX_EXIT_OK = 0,
	VX_EXIT_INCOMPLETE = 1,	/* --probe: some sandbox step did not take hold */
	VX_EXIT_USAGE = 2,
	VX_EXIT_GARBLED = 3,	/* a request that does not parse */
	VX_EXIT_WRITE = 4,	/* the socket failed */
	VX_EXIT_SANDBOX = 5,	/* no safe temporary folder, or a sandbox step failed hard */
	VX_EXIT_CLAMAV = 6,	/* libclamav would not initialise */
	VX_EXIT_NOMEM = 7,	/* our own bookkeeping ran out of memory */
};

/*
 * Sends one message: *m (magic and text_len are filled in here), text_len bytes of text, and
 * fd attached when fd >= 0 (the caller still owns and closes it). Exits 4 on failure.
 */
void wire_send(int sock, struct vx_msg *m, const void *text, size_t text_len, int fd);

/*
 * Receives one request into *m and text (VX_TEXT_MAX + 1 bytes; NUL-terminated on return)
 * and its descriptor into *fd (-1 if none; close-on-exec). Returns 1 for a message, 0 at the
 * end of the stream, -1 for a garbled datagram (the reason on stderr, every received
 * descriptor already closed). Exits 4 if the socket itself fails.
 */
int wire_recv(int sock, struct vx_msg *m, char *text, int *fd);

#endif
