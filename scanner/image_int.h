/*
 * scanner/image_int.h — private to the disk-image reader: scanner/image.c (the image, its
 * volume system and its volumes) and scanner/image_walk.c (each volume's file system walked,
 * its files' streams read into jobs). libtsk is used from one thread only (see image.c).
 */
#ifndef VIGIL_SCANNER_IMAGE_INT_H
#define VIGIL_SCANNER_IMAGE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <libbfio.h>
#include <jansson.h>
#include <tsk/libtsk.h>

#include "core/err.h"
#include "core/strv.h"
#include "scanner/scanner.h"

struct volume {
	int partition;		/* 1..n in the volume system's order; 0: no partition table.
				 * A volume inside another has the outermost one's number */
	TSK_IMG_INFO *img;	/* the view its bytes are in: the image, or a LUKS volume or a
				 * logical volume opened below it (scanner_image.own) */
	int64_t offset, length;	/* bytes, in img */
	int64_t outer_offset;	/* the outermost volume's offset in the image */
	char *description;	/* the volume system's, e.g. "Linux filesystem" */
	const char *fs;		/* TSK's short name once opened ("ext4", "fat16", "ntfs"), "xfs" */
	const char *status;	/* "scanned", "partial", "error", "skipped", "container" (static) */
	char *reason;
	int selected;
	json_t *chain;		/* where it is, outside in: ["gpt:p3", "luks2", "lvm:rhel/root"] */
	char *where;		/* the same for display paths: "p3:luks2:lvm:rhel/root" */
	const TSK_POOL_INFO *pool;	/* an APFS volume: its container (own), block its start */
	TSK_DADDR_T pool_block;
	int pool_encrypted;
	const char *encryption;	/* "luks1", "luks2", "BitLocker"... (static), or NULL */
	const char *unlocked_with;	/* the kind of credential that unlocked it (static) */
};

/* What the image opened below itself (decrypted and logical volumes, containers), closed in
 * the reverse order after the walk. */
struct image_own {
	void (*close)(void *);
	void *p;
};

struct scanner_image {
	char *file;
	TSK_IMG_INFO *img;
	struct volume *v;
	size_t nv;
	int deleted;
	const char *format;	/* "raw", "split raw", "E01", "VMDK", "VHD", "VHDX", "QCOW2"... */
	struct vg_strv quick;	/* fnmatch patterns of folders (quick scan); none: everything */
	struct image_creds *creds;	/* borrowed; NULL: none */
	struct image_own *own;
	size_t nown;
	struct image_remote *remote;	/* read by vigil-image: everything above unused */
	json_t *systems;	/* [{chain, partition, system}]: image_ident_take, vigil's side */
	json_t *disk;		/* a block device's identity from sysfs, or NULL */
};

/* scanner_image_open without vigil-image: the image read in this process (imaged/ does). */
enum vg_err image_open_local(const char *file, const char *parent, int partition,
			     int64_t offset, int deleted, struct image_creds *creds,
			     struct scanner_image **out, struct vg_error *err);

/* libtsk's last error, on one line (malloc'd, NULL when out of memory); resets it. */
char *image_tsk_reason(const char *fallback);

/* Mark v with status (static) and reason (taken: freed with v). */
void image_volume_fail(struct volume *v, const char *status, char *reason);

/* "LUKS" or "BitLocker" when the volume at offset holds that encrypted container, else NULL. */
const char *image_encrypted_kind(TSK_IMG_INFO *img, int64_t offset);

/*
 * The volumes of an open image (scanner/image_volumes.c): the partitions of its volume system
 * (or the whole image), then --partition or --offset applied, then what the selected ones
 * hold opened: LUKS unlocked with im->creds, LVM logical volumes, APFS volumes, each a volume
 * of its own after its container. VG_INVAL/VG_NOTFOUND for a partition or offset not there.
 */
enum vg_err image_volumes_find(struct scanner_image *im, int partition, int64_t offset,
			       struct vg_error *err);
void image_volumes_release(struct scanner_image *im);

/*
 * The file system of v for reading: libtsk's (through its APFS container, unlocked with a
 * password credential where it is encrypted), or NULL with *own set to "xfs" or "btrfs" for a
 * file system read otherwise (image_xfs_walk, image_btrfs_walk), or NULL with *why
 * (malloc'd): encrypted, or no file system known.
 */
TSK_FS_INFO *image_volume_fs(struct scanner_image *im, struct volume *v, const char **own,
			     char **why);

/* v's chain with its file system at the end, for a location (new reference). */
json_t *image_volume_chain(const struct volume *v);

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

/* A read that failed: libtsk's error set to the message (TSK_ERR_IMG_READ), and the message
 * recorded for image_read_failure unless a failure is recorded already. */
void image_read_failed(struct image_reader *r, const char *fmt, ...)
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

/* ---- volumes inside volumes (LUKS, LVM, APFS) and file systems libtsk does not read ---- */

/*
 * LUKS1 or LUKS2 at [off, off + len) of img (scanner/image_luks.c), unlocked with libcryptsetup
 * (crypt_volume_key_get on a copy of the header: no device-mapper) and decrypted with OpenSSL.
 * 1: unlocked; *out is the decrypted data segment as an image of its own (tsk_img_close
 * closes it, not img), *version "luks1" or "luks2" (static), *used the kind of the credential
 * that unlocked it (static). 0: no LUKS header there. -1: *version set when it is LUKS, and
 * *why (malloc'd) says why it stays locked: "no credential given", "wrong key: none of the 2
 * credentials given unlocks it", "cipher serpent-cbc-plain is not supported"...
 */
int image_luks_open(TSK_IMG_INFO *img, int64_t off, int64_t len, const struct image_creds *creds,
		    TSK_IMG_INFO **out, const char **version, const char **used, char **why);

/*
 * BitLocker (libbde) and FileVault 2 / Core Storage (libfvde) at [off, off + len) of img
 * (scanner/image_fve.c), unlocked as image_luks_open does: returns and *out, *kind
 * ("BitLocker", "FileVault"), *used and *why alike. A BitLocker volume whose protection is
 * suspended opens with no credential: *used "clear_key".
 */
int image_bde_open(TSK_IMG_INFO *img, int64_t off, int64_t len, const struct image_creds *creds,
		   TSK_IMG_INFO **out, const char **kind, const char **used, char **why);
int image_fvde_open(TSK_IMG_INFO *img, int64_t off, int64_t len, const struct image_creds *creds,
		    TSK_IMG_INFO **out, const char **kind, const char **used, char **why);

/*
 * [off, off + len) of img as a libbfio handle (scanner/image_bfio.c), for the libyal libraries
 * (libvslvm, libfsxfs...) to read a volume through vigil's view of it: a partition of a QCOW2,
 * a decrypted LUKS volume. Read-only. The handle does not own img. NULL with *why (malloc'd).
 */
libbfio_handle_t *image_bfio_open(TSK_IMG_INFO *img, int64_t off, int64_t len, char **why);
void image_bfio_close(libbfio_handle_t *h);

/*
 * A libyal library's error on one line (scanner/image_bfio.c): text, what its
 * libfoo_error_backtrace_sprint wrote (printed: what that returned), reduced to the innermost
 * message (the cause; the outer ones only say which call gave up), without the function name
 * before it and the full stop after it. malloc'd, or NULL.
 */
char *image_yal_reason(char *text, int printed);

/*
 * The LVM2 physical volume at [off, off + len) of img (scanner/image_lvm.c), read with
 * libvslvm: each logical volume of its volume group as an image view of its own (closed with
 * tsk_img_close before image_lvm_close), named "VG/LV". 1, or -1 with *why (malloc'd).
 */
struct image_lvm;
struct image_lv {
	char *name;		/* "VG/LV" */
	TSK_IMG_INFO *img;	/* NULL: why says why it cannot be read */
	char *why;
};
int image_lvm_open(TSK_IMG_INFO *img, int64_t off, int64_t len, struct image_lvm **out,
		   struct image_lv **lvs, size_t *nlv, char **why);
void image_lvm_close(struct image_lvm *l);
/* Free the names and reasons of lvs (not their images) and the array. */
void image_lvs_release(struct image_lv *lvs, size_t n);

/*
 * Where the walk of an image's volumes (scanner/image_walk.c) hands on what it finds. In
 * vigil's own process (scanner/image_sink.c) objects become jobs of the scan and problems its
 * problems; a sandboxed image reader would send them to vigil instead. The walk itself knows
 * no scan: only the image, its volumes and this.
 */
struct image_obj;
struct image_sink {
	void *arg;
	int (*stopped)(void *arg);			/* nonzero: end the walk */
	int (*excluded)(void *arg, const char *path);	/* nonzero: skip it (and count it) */
	int (*done)(void *arg, const char *where);	/* nonzero: a resumed scan had it */
	void (*current)(void *arg, const char *path);	/* for the progress line */
	/* a problem of where; location: JSON text of where it is in the image */
	void (*problem)(void *arg, const char *where, const char *location, const char *kind,
			const char *reason);
	void (*reserve)(void *arg, uint64_t bytes);	/* about to read that much into memory */
	void (*release)(void *arg, uint64_t bytes);	/* reserved, but no object will carry it */
	void (*object)(void *arg, char *where, struct image_obj *obj);	/* both taken */
	/* what excluded() and done() may say yes to: when unset, they always say no */
	unsigned may;
	const struct excl_set *excl;	/* what excluded() looks at (the image reader gets a copy) */
#define IMAGE_MAY_EXCLUDE 1u	/* there are exclusions */
#define IMAGE_MAY_BE_DONE 2u	/* a resumed scan: some files are done */
	/* a new unlinked file for an object over 64 MiB, read and mapped from there; -1 with
	 * *why (malloc'd). NULL: every object in memory */
	int (*spool)(void *arg, char **why);
	uint64_t max_filesize;		/* 0: no limit */
	/* btrfs-progs started for the walk to serve (scanner/btrfs_run.h), what BTRFS_RESTORE or
	 * BTRFS_CHECK: 0 with *sock and *handle (for btrfs_end), or -1 with *why (malloc'd).
	 * NULL: btrfs is not read */
	int (*btrfs_start)(void *arg, int what, int *sock, int *handle, char **why);
	/* it ended (the walk has closed its socket): NULL, or how it ended (malloc'd) */
	char *(*btrfs_end)(void *arg, int handle);
};

/* Walk the selected volumes of im, handing each regular file's streams to s. */
void image_walk_volumes(struct scanner_image *im, const struct image_sink *s);

/*
 * One data stream of a file, as a file-system reader other than libtsk's walk gives it
 * (scanner/image_xfs.c). Times in nanoseconds since the epoch.
 */
struct image_entry {
	const char *path;	/* absolute inside the volume: "/etc/passwd" */
	int64_t inode;		/* -1: not known */
	uint32_t mode, uid, gid, nlink;	/* mode with its type bits (S_IFREG) */
	uint64_t size;
	int64_t atime_ns, mtime_ns, ctime_ns, btime_ns;
	int have_btime;
	const char *problem;	/* set: not to be read, and why ("skipped: ..." or an error) */
	/* has_fd: fd is a memfd sealed against any change that holds exactly size bytes (btrfs
	 * restore's output): mapped and handed on as it is, not read */
	int has_fd, fd;
	/* Read up to len bytes at off into buf: the bytes read (fewer only at the end of the
	 * stream), or -1 with *why (malloc'd). Valid only during the callback. */
	ssize_t (*read)(void *ctx, uint64_t off, void *buf, size_t len, char **why);
	void *ctx;
};

/* Called for each regular file (allocated ones only) in no particular order; nonzero stops. */
typedef int (*image_entry_fn)(void *arg, const struct image_entry *e);

/*
 * XFS at [off, off + len) of img, read with libfsxfs (scanner/image_xfs.c). 0: no XFS there
 * (nothing called). 1: walked to the end, or stopped by fn. -1: *why (malloc'd) says what could
 * not be read (the superblock, or a folder: what was reached before it was given to fn).
 */
int image_xfs_walk(TSK_IMG_INFO *img, int64_t off, int64_t len, image_entry_fn fn, void *arg,
		   char **why);

/*
 * btrfs at [off, off + len) of img, read by btrfs-progs' `btrfs restore` started through
 * s->btrfs_start and served the volume's bytes (scanner/image_btrfs.c): each file it restores
 * given to fn, in restore's order; then `btrfs check --check-data-csum` over the same bytes,
 * since restore verifies no data checksum. Returns as image_xfs_walk does; -1 also when
 * restore reported errors or died (what it restored before that was given to fn), or check
 * found damage.
 */
int image_btrfs_walk(TSK_IMG_INFO *img, int64_t off, int64_t len, const struct image_sink *s,
		     image_entry_fn fn, void *arg, char **why);

/*
 * Which system was on the disk (scanner/image_ident.c). The walk hands /etc/machine-id and
 * /etc/hostname at the root of a file system over even when it would not scan them
 * (image_ident_wanted: as an object marked ident, never scanned); vigil, where each object
 * arrives (scanner/image_sink.c), gives every object's bytes to image_ident_take, which
 * checks the name cheaply, then the location, then the bytes, and keeps them per volume;
 * scanner_image_volumes adds them as each volume's "system" (image_ident_merge).
 */
enum { IMAGE_IDENT_MACHINE_ID = 1, IMAGE_IDENT_HOSTNAME = 2 };
int image_ident_path(const char *path);	/* IMAGE_IDENT_*, or 0 */
/* Is this stream one to hand over for the identity (its default stream, allocated, small)? */
int image_ident_wanted(const char *path, const char *stream, int allocated, uint64_t size);
void image_ident_take(struct scanner_image *im, const char *where, const char *location,
		      const unsigned char *data, size_t len);
void image_ident_merge(const struct scanner_image *im, json_t *volumes);
/*
 * The block device maj:min as sysfs (mounted at sysfs, "/sys" but in tests) describes it:
 * {model?, serial?, vendor?, wwid?, size_bytes?}, the texts trimmed and escaped (jsonx.h);
 * a partition's from its disk, its own size. NULL when sysfs does not know it.
 */
json_t *image_disk_identity(const char *sysfs, unsigned maj, unsigned min);

#endif
