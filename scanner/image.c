/*
 * scanner/image.c — disk images without mounting them: raw, split raw and E01 images read
 * through The Sleuth Kit (libtsk, with libewf for E01); QCOW2, VHDX and VHD through
 * scanner/image_vdisk.c. This file opens the image and finds its volumes;
 * scanner/image_walk.c walks each volume's file system during the scan.
 *
 * scanner_image_open finds the volumes (DOS/MBR or GPT partitions, or one file system with
 * no partition table) before the scan starts, so a bad image or a missing partition is an
 * error of the command. During the scan, the walking thread opens each volume's file system,
 * walks its names (deleted ones too with --deleted), reads each regular file's data streams
 * into memory (NTFS alternate data streams are objects of their own) and hands them to the
 * workers as jobs: libtsk is only ever used from this one thread. The bytes in flight are
 * bounded (scan_flight_acquire), so a slow pool cannot make the walker read the whole image
 * into memory. The image is opened read-only and never written.
 */
#include "scanner/scanner_int.h"
#include "scanner/image_int.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <tsk/libtsk.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/path.h"
#include "core/log.h"
#include "core/reach.h"
#include "scanner/helper.h"
#include "scanner/image_remote.h"

#ifdef VIGIL_SAN
/*
 * Under LeakSanitizer (make SAN=1): libtsk loses a few hundred bytes of its own (allocated
 * by tsk_malloc) when probing for a volume system or a file system that is not there. Only
 * allocations made by libtsk itself are let through; vigil's, even in libtsk's callbacks,
 * are still checked.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:tsk_malloc\n";
}

const char *__lsan_default_options(void);
const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}
#endif

/* libtsk's last error, on one line (it ends some with a newline). */
char *
image_tsk_reason(const char *fallback)
{
	const char *e = tsk_error_get();
	char *s = strdup(e && *e ? e : fallback), *p;

	if (s == NULL)
		return NULL;
	for (p = s; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	while (p > s && p[-1] == ' ')
		*--p = '\0';
	tsk_error_reset();
	return s;
}

void
image_volume_fail(struct volume *v, const char *status, char *reason)
{
	v->status = status;
	free(v->reason);
	v->reason = reason;
}

/*
 * The image format, from its first bytes. Asking libtsk to detect it instead probes every
 * back end, and the VHD and VMDK ones leak their handles on a raw image. EXTERNAL: read by
 * scanner/image_vdisk.c (libqcow, libvhdi), with the parents of a differencing image.
 */
static int split_name(const char *file);

static TSK_IMG_TYPE_ENUM
image_type(const char *file, const char **name)
{
	static const struct {
		const char *magic;
		size_t len;
		TSK_IMG_TYPE_ENUM type;
		const char *name;
	} formats[] = {
		{ "EVF\x09\x0d\x0a\xff\x00", 8, TSK_IMG_TYPE_EWF_EWF, "E01" },
		{ "EVF2\x0d\x0a\x81\x00", 8, TSK_IMG_TYPE_EWF_EWF, "Ex01" },
		{ "KDMV", 4, TSK_IMG_TYPE_VMDK_VMDK, "VMDK" },
		{ "# Disk DescriptorFile", 21, TSK_IMG_TYPE_VMDK_VMDK, "VMDK" },
		{ "conectix", 8, TSK_IMG_TYPE_EXTERNAL, "VHD" },	/* dynamic or differencing */
		{ "vhdxfile", 8, TSK_IMG_TYPE_EXTERNAL, "VHDX" },
		{ "QFI\xfb", 4, TSK_IMG_TYPE_EXTERNAL, "QCOW2" },	/* (and QCOW) */
		{ "AFF10\r\n", 7, TSK_IMG_TYPE_AFF_ANY, "AFF" },
	};
	char head[32] = { 0 };
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOATIME);
	size_t i;

	if (fd < 0)
		fd = open(file, O_RDONLY | O_CLOEXEC); /* not the owner: O_NOATIME is refused */
	if (fd < 0 || pread(fd, head, sizeof(head), 0) < 0)
		memset(head, 0, sizeof(head));
	if (fd >= 0)
		close(fd);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (memcmp(head, formats[i].magic, formats[i].len) == 0) {
			*name = formats[i].name;
			return formats[i].type;
		}
	*name = split_name(file) ? "split raw" : "raw";
	return TSK_IMG_TYPE_RAW; /* raw, or split raw from its first segment */
}

/*
 * A raw image of one file (or a block device), read with pread on a descriptor opened with
 * O_NOATIME where allowed: libtsk's raw reader does not ask for it, and reading the evidence
 * should not change even its access time. Split raw images are left to libtsk.
 */
struct raw_img {
	struct image_reader r;	/* first: what libtsk sees */
	int fd;
};

static ssize_t
raw_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
	struct raw_img *r = (struct raw_img *)img;
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(r->fd, buf + got, len - got, (off_t)(off + (TSK_OFF_T)got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			image_read_failed(&r->r, "cannot read the image at byte %lld: %s",
					  (long long)off + (long long)got, strerror(errno));
			return -1;
		}
		if (n == 0)
			break; /* the file shrank */
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void
raw_close(TSK_IMG_INFO *img)
{
	struct raw_img *r = (struct raw_img *)img;

	close(r->fd);
	free(r->r.failure);
	free(r);
}

static void
raw_stat(TSK_IMG_INFO *img, FILE *f)
{
	fprintf(f, "raw image, %lld bytes (vigil's reader)\n", (long long)img->size);
}

/* Could this name be the first segment of a split raw image (disk.001, disk.aa)? */
static int
split_name(const char *file)
{
	const char *dot = strrchr(vg_path_basename(file), '.');

	return dot != NULL && (strcmp(dot, ".001") == 0 || strcmp(dot, ".01") == 0 ||
			       strcasecmp(dot, ".aa") == 0 || strcmp(dot, ".000") == 0);
}

/* Open a single raw image with vigil's reader; NULL (errno set) when it cannot. */
static TSK_IMG_INFO *
raw_open(const char *file)
{
	struct raw_img *r = calloc(1, sizeof(*r));
	off_t size;

	if (r == NULL)
		return NULL;
	r->fd = open(file, O_RDONLY | O_CLOEXEC | O_NOATIME);
	if (r->fd < 0 && errno == EPERM)
		r->fd = open(file, O_RDONLY | O_CLOEXEC); /* not the owner: no O_NOATIME */
	if (r->fd < 0 || (size = lseek(r->fd, 0, SEEK_END)) < 0) {
		if (r->fd >= 0)
			close(r->fd);
		free(r);
		return NULL;
	}
	if (tsk_img_open_external(r, (TSK_OFF_T)size, 512, raw_read, raw_close, raw_stat) == NULL) {
		close(r->fd);
		free(r);
		return NULL;
	}
	return &r->r.info;
}

/* What both readers check first, so that their errors are the same. */
static enum vg_err
image_preflight(const char *file, struct vg_error *err)
{
	struct stat st;

	if (stat(file, &st) != 0)
		return vg_error_set(err, VG_IO, "cannot open the image %s: %s", file, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return vg_error_set(err, VG_INVAL, "%s is not a disk image: not a regular file or "
				    "block device", file);
	if (access(file, R_OK) != 0)
		return vg_error_set(err, VG_IO, "cannot read the image %s: %s", file, strerror(errno));
	return VG_OK;
}

/*
 * A block device's identity, read when it is opened (by vigil, not by the sandboxed reader,
 * which has no /sys): the device the scan reads. A file or a device sysfs does not know has
 * none.
 */
static void
disk_identity(struct scanner_image *im)
{
	struct stat st;

	if (stat(im->file, &st) == 0 && S_ISBLK(st.st_mode))
		im->disk = image_disk_identity("/sys", major(st.st_rdev), minor(st.st_rdev));
}

enum vg_err
scanner_image_open(const char *file, const char *parent, int partition, int64_t offset,
		   int deleted, struct image_creds *creds, struct scanner_image **out,
		   struct vg_error *err)
{
	struct scanner_image *im;
	char why[PATH_MAX + 128];
	const char *exe;
	enum vg_err rc;

	*out = NULL;
	if ((rc = image_preflight(file, err)) != VG_OK)
		return rc;
	if (getenv("VIGIL_IMAGE") != NULL && strcmp(getenv("VIGIL_IMAGE"), "none") == 0) {
		/* asked for: the image's parsers run inside vigil, with all of vigil's rights */
		vg_log(VG_LOG_WARN, "VIGIL_IMAGE=none: reading %s inside vigil, without the sandbox",
		       file);
		rc = image_open_local(file, parent, partition, offset, deleted, creds, out, err);
		if (rc == VG_OK)
			disk_identity(*out);
		return rc;
	}
	if ((exe = helper_exe(&HELPER_IMAGE, why, sizeof(why))) == NULL)
		return vg_error_set(err, VG_NOTFOUND, "cannot read the image %s: the sandboxed image "
				    "reader is missing (%s); VIGIL_IMAGE=none reads it inside vigil, "
				    "without the sandbox", file, why);
	if ((im = calloc(1, sizeof(*im))) == NULL || (im->file = strdup(file)) == NULL) {
		free(im);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	rc = image_remote_open(exe, file, parent, partition, offset, deleted, creds, &im->remote,
			       &im->format, err);
	if (rc != VG_OK) {
		scanner_image_close(im);
		return rc;
	}
	disk_identity(im);
	*out = im;
	return VG_OK;
}

enum vg_err
image_open_local(const char *file, const char *parent, int partition, int64_t offset,
		 int deleted, struct image_creds *creds, struct scanner_image **out,
		 struct vg_error *err)
{
	struct scanner_image *im;
	const char *names[1] = { file };
	TSK_IMG_TYPE_ENUM type;
	enum vg_err rc;

	*out = NULL;
	if ((rc = image_preflight(file, err)) != VG_OK)
		return rc;
	if ((im = calloc(1, sizeof(*im))) == NULL || (im->file = strdup(file)) == NULL) {
		free(im);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	im->deleted = deleted;
	im->creds = creds;
	/* read-only: the raw back end opens O_RDONLY, the E01 one LIBEWF_OPEN_READ, image_vdisk.c
	 * LIBQCOW_OPEN_READ and LIBVHDI_OPEN_READ */
	type = image_type(file, &im->format);
	if (type == TSK_IMG_TYPE_EXTERNAL || parent) {
		rc = type == TSK_IMG_TYPE_EXTERNAL
			     ? image_vdisk_open(file, parent, &im->img, err)
			     : vg_error_set(err, VG_INVAL, "--parent is for differencing QCOW2, VHDX "
					    "and VHD images: %s is none of these", file);
		if (rc != VG_OK) {
			scanner_image_close(im);
			return rc;
		}
	} else {
		im->img = type == TSK_IMG_TYPE_RAW && !split_name(file)
				  ? raw_open(file)
				  : tsk_img_open_utf8(1, names, type, 0);
	}
	if (im->img == NULL) {
		char *why = type == TSK_IMG_TYPE_RAW && !split_name(file) ? strdup(strerror(errno))
									  : image_tsk_reason("unknown format");

		rc = vg_error_set(err, VG_INVAL, "%s is not a disk image libtsk can read: %s", file,
				  why ? why : "out of memory");
		free(why);
		scanner_image_close(im);
		return rc;
	}
	rc = image_volumes_find(im, partition, offset, err);
	if (rc != VG_OK) {
		scanner_image_close(im);
		return rc;
	}
	*out = im;
	return VG_OK;
}

enum vg_err
scanner_image_set_quick(struct scanner_image *im, char *const *patterns, size_t n,
			struct vg_error *err)
{
	size_t i;
	enum vg_err rc = VG_OK;

	if (im->remote != NULL)
		return image_remote_quick(im->remote, patterns, n, err);
	for (i = 0; i < n && rc == VG_OK; i++)
		rc = vg_strv_push(&im->quick, patterns[i], err);
	return rc;
}

void
scanner_image_close(struct scanner_image *im)
{
	if (im == NULL)
		return;
	image_remote_close(im->remote);
	image_volumes_release(im); /* the views below the image first */
	if (im->img)
		tsk_img_close(im->img);
	vg_strv_release(&im->quick);
	json_decref(im->systems);
	json_decref(im->disk);
	free(im->file);
	free(im);
}

const char *
scanner_image_file(const struct scanner_image *im)
{
	return im->file;
}

json_t *
scanner_image_volumes(const struct scanner_image *im)
{
	json_t *a;
	size_t i;

	if (im->remote != NULL) {
		a = image_remote_volumes(im->remote);
		image_ident_merge(im, a);
		return a;
	}
	a = json_array();
	for (i = 0; i < im->nv; i++) {
		const struct volume *v = &im->v[i];
		json_t *o = json_object();

		json_object_set_new(o, "partition", json_integer(v->partition));
		json_object_set_new(o, "offset", json_integer(v->offset));
		json_object_set_new(o, "length", json_integer(v->length));
		vg_json_set_bytes(o, "description", v->description, strlen(v->description));
		json_object_set_new(o, "fs", v->fs ? json_string(v->fs) : json_null());
		json_object_set_new(o, "status", json_string(v->status));
		if (v->reason)
			vg_json_set_bytes(o, "reason", v->reason, strlen(v->reason));
		json_object_set_new(o, "chain", image_volume_chain(v));
		if (v->encryption)
			json_object_set_new(o, "encryption", json_string(v->encryption));
		if (v->unlocked_with)
			json_object_set_new(o, "unlocked_with", json_string(v->unlocked_with));
		json_array_append_new(a, o);
	}
	image_ident_merge(im, a);
	return a;
}

json_t *
scanner_image_disk(const struct scanner_image *im)
{
	return im->disk != NULL ? json_deep_copy(im->disk) : NULL;
}

const char *
scanner_image_format(const struct scanner_image *im)
{
	return im->format;
}

int
scanner_image_readable(const struct scanner_image *im)
{
	size_t i;

	if (im->remote != NULL)
		return image_remote_readable(im->remote);
	for (i = 0; i < im->nv; i++)
		if (strcmp(im->v[i].status, "scanned") == 0 || strcmp(im->v[i].status, "partial") == 0)
			return 1;
	return 0;
}

/* Tell a volume that holds an encrypted container from one with no file system at all. */
const char *
image_encrypted_kind(TSK_IMG_INFO *img, int64_t offset)
{
	char b[16];

	if (tsk_img_read(img, offset, b, sizeof(b)) != (ssize_t)sizeof(b))
		return NULL;
	if (memcmp(b, "LUKS\xba\xbe", 6) == 0)
		return "LUKS";
	if (memcmp(b + 3, "-FVE-FS-", 8) == 0)
		return "BitLocker";
	return NULL;
}
