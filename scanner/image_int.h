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

#include "core/err.h"
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
	const char *format;	/* "raw", "split raw", "E01", "VMDK", "VHD", "VHDX", "QCOW2"... */
	struct vg_strv quick;	/* fnmatch patterns of folders (quick scan); none: everything */
};

/* libtsk's last error, on one line (malloc'd, NULL when out of memory); resets it. */
char *image_tsk_reason(const char *fallback);

/* Mark v with status (static) and reason (taken: freed with v). */
void image_volume_fail(struct volume *v, const char *status, char *reason);

/* "LUKS" or "BitLocker" when the volume at offset holds that encrypted container, else NULL. */
const char *image_encrypted_kind(TSK_IMG_INFO *img, int64_t offset);

/*
 * vigil's own readers (the raw one in image.c, image_vdisk.c) start with this, and record
 * the first read that failed since they were last asked (scanner/image_reader.c): libtsk
 * 4.11 turns a failed read whose length is not a multiple of the sector size into a success
 * with a zeroed buffer (tsk_img_read_no_cache), so the walker asks image_read_failure() after
 * reading a stream. Only the walking thread reads.
 */
struct image_reader {
	TSK_IMG_INFO info;	/* first: what libtsk sees */
	char *failure;		/* malloc'd; freed by the reader's close */
};

/* Record why a read failed, unless a failure is recorded already. */
void image_reader_fail(struct image_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The failure recorded since the last call (malloc'd, the caller frees it), or NULL; always
 * NULL for libtsk's own readers (split raw, E01, VMDK), which record nothing. */
char *image_read_failure(TSK_IMG_INFO *img);

/* Byte ranges of a virtual disk, each of one file of its chain (scanner/image_qcow.c). */
struct image_ranges {
	struct image_range {
		uint64_t start, end;
		size_t file;	/* its index in the chain: 0 the image, 1 its parent... */
		int zero;	/* marked all-zero (else cut short by the end of the file) */
	} *v;
	size_t n, cap;
};

void image_ranges_release(struct image_ranges *r);
/* Sort and merge the ranges (added from several files), for image_ranges_find. */
void image_ranges_settle(struct image_ranges *r);
/* The first range that overlaps [off, off + len), or NULL; the ranges are sorted, disjoint. */
const struct image_range *image_ranges_find(const struct image_ranges *r, uint64_t off,
					    uint64_t len);

/*
 * What the libqcow of Debian 12 reads wrongly in one QCOW2 file of a chain, from its tables
 * (scanner/image_qcow.c): clusters cut short by the end of the file, clusters marked all-zero,
 * and what the file allocates (which hides its parents). Virtual byte ranges.
 */
struct image_qcow_map {
	struct image_ranges cut, zero, alloc;
	int alloc_lost;		/* alloc is not known (too many ranges, or not mapped) */
};

void image_qcow_map_release(struct image_qcow_map *m);
/* Map the QCOW2 file fd, index file of its chain. 1, or -1 with *why (malloc'd): refused. */
int image_qcow_map(int fd, size_t file, struct image_qcow_map *m, char **why);
/*
 * From the maps of a chain (0: the image), what reads must avoid: cut (cut short, or all-zero
 * in a parent whose children's maps are lost) and zero (all-zero: read as zeros), of each
 * file only what no file above it hides; sorted for image_ranges_find. 0, or -1 (no memory).
 */
int image_qcow_resolve(struct image_qcow_map *maps, size_t n, struct image_ranges *cut,
		       struct image_ranges *zero);

/*
 * QCOW2, VHDX and dynamic or differencing VHD (scanner/image_vdisk.c): FILE and its chain of
 * parents (parent: the direct one, --parent; NULL: each looked for beside its child by the
 * name it records) opened read-only through libqcow or libvhdi, as one image for libtsk
 * (closed with tsk_img_close). Errors name the format and the file: VG_NOENT for a parent
 * that is not there, VG_INVAL for a file the library cannot read or a parent given to an
 * image that has none.
 */
enum vg_err image_vdisk_open(const char *file, const char *parent, TSK_IMG_INFO **out,
			     struct vg_error *err);

#endif
