/*
 * scanner/image_obj.h — one object of a disk image as the image walk hands it on
 * (scanner/image_walk.c, through struct image_sink) and as a job carries it to a worker.
 */
#ifndef VIGIL_SCANNER_IMAGE_OBJ_H
#define VIGIL_SCANNER_IMAGE_OBJ_H

#include <stddef.h>
#include <stdint.h>

#include "core/store.h"

struct image_obj {
	unsigned char *data;	/* its bytes (malloc'd, or mapped from spool_fd), or NULL */
	int spool_fd;		/* a large object's temporary copy (unlinked), or -1 */
	int sealed;		/* spool_fd is a memfd sealed against any change, not a spool file */
	size_t map_len;
	size_t len;
	int read;		/* data holds all of it: scan it (else only an inventory row) */
	int ident;		/* only for the system's identity (scanner/image_ident.c): not
				 * scanned, not counted, no inventory row */
	uint64_t flight;	/* bytes counted in flight until the job is freed */
	char *location;		/* where in the image: JSON object text */
	struct store_inv inv;	/* what its file system says: size, mode, owner, times, inode */
};

/* Free its bytes, its temporary copy and its location (not what is counted in flight). */
void image_obj_drop(struct image_obj *o);

#endif
