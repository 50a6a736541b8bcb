/*
 * scanner/image_int.h — private to the disk-image reader: scanner/image.c (the image, its
 * volume system and its volumes) and scanner/image_walk.c (each volume's file system walked,
 * its files' streams read into jobs). libtsk is used from one thread only (see image.c).
 */
#ifndef VIGIL_SCANNER_IMAGE_INT_H
#define VIGIL_SCANNER_IMAGE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <tsk/libtsk.h>

#include "core/strv.h"

struct volume {
	int partition;		/* 1..n in the volume system's order; 0: no partition table */
	int64_t offset, length;	/* bytes */
	char *description;	/* the volume system's, e.g. "Linux filesystem" */
	const char *fs;		/* TSK's short name once opened ("ext4", "fat16", "ntfs") */
	const char *status;	/* "scanned", "partial", "error", "skipped" (static) */
	char *reason;
	int selected;
};

struct scanner_image {
	char *file;
	TSK_IMG_INFO *img;
	struct volume *v;
	size_t nv;
	int deleted;
	struct vg_strv quick;	/* fnmatch patterns of folders (quick scan); none: everything */
};

/* libtsk's last error, on one line (malloc'd, NULL when out of memory); resets it. */
char *image_tsk_reason(const char *fallback);

/* Mark v with status (static) and reason (taken: freed with v). */
void image_volume_fail(struct volume *v, const char *status, char *reason);

/* "LUKS" or "BitLocker" when the volume at offset holds that encrypted container, else NULL. */
const char *image_encrypted_kind(TSK_IMG_INFO *img, int64_t offset);

#endif
