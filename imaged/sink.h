/*
 * imaged/sink.h — the image walk's sink inside vigil-image: what the walk hands on
 * (scanner/image_int.h, struct image_sink) goes to vigil over the socket
 * (scanner/image_wire.h); what the walk asks is asked of vigil, and waited for.
 *
 * A socket that fails means vigil is gone: the process exits with status 4.
 */
#ifndef VIGIL_IMAGED_SINK_H
#define VIGIL_IMAGED_SINK_H

#include "scanner/image_int.h"
#include "scanner/image_wire.h"

struct rsink {
	int sock;
	int stop;	/* vigil said the scan is stopping */
	unsigned may;	/* IMAGE_MAY_*: what is worth asking vigil */
	struct excl_set *excl;	/* vigil's exclusions, rebuilt here (NULL: none) */
};

/* A sink over r (r outlives it); spool: vigil has a spool folder for large objects; may:
 * IMAGE_MAY_* from vigil. */
struct image_sink rsink_make(struct rsink *r, uint64_t max_filesize, int spool, unsigned may);

/* Ask vigil for a key for volume (the struct image_creds ask callback): 1 and *out, or 0. */
int rsink_ask(void *arg, const char *volume, struct image_credential *out);

/* Send one message, or exit 4. */
void rsink_send(int sock, uint32_t kind, const uint64_t *n, const struct iw_str *s, size_t ns,
		int fd);

#endif
