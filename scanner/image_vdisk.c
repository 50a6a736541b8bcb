/*
 * scanner/image_vdisk.c — virtual-machine disks that libtsk does not read itself: QCOW2
 * (plain, compressed clusters, backing-file chains) through libqcow, and VHDX (fixed, dynamic,
 * differencing) and dynamic or differencing VHD through libvhdi. The image and its chain of
 * parents are opened here and handed to libtsk as one external image
 * (tsk_img_open_external), so scanner/image.c finds its volumes and scanner/image_walk.c
 * walks them exactly as for a raw image. A fixed VHD (its footer is at the end) is read as a
 * raw image by image.c.
 *
 * A differencing image records the name of its parent. vigil looks for that name's last
 * component in the image's own folder, never where the metadata points: the image is hostile
 * input, and a path recorded in it could name any file of this machine. --parent FILE gives
 * the direct parent instead; a parent's own parent is looked for beside that parent. A chain
 * is at most VDISK_MAX_CHAIN files deep and never holds the same file twice.
 *
 * Two faults of the libqcow of Debian 12 are kept away from it (scanner/image_qcow.c): the
 * clusters it would read past its buffer are never read, those marked all-zero are read as
 * zeros by vd_read itself.
 *
 * Read-only: LIBQCOW_OPEN_READ, LIBVHDI_OPEN_READ. The libraries open the files by name
 * (O_RDONLY, without O_NOATIME): opening them from a descriptor of ours would take a libbfio
 * handle, and the libbfio each Debian libyal library bundles has no public header (libbfio-dev
 * is another version), so the access time of these files may change. Both libraries are
 * built with their multi-thread support (each handle has a lock of its own), and libtsk
 * serialises the reads of one image (its cache lock): vigil adds no lock.
 */
#include "scanner/image_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libqcow.h>
#include <libvhdi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"

#define VDISK_MAX_CHAIN 16
#define VDISK_MAX_NAME 4096	/* a recorded parent name longer than this is refused */

/* What a format's open reports besides success: the library's reason, or one of ours. */
enum vdisk_fail { VDISK_LIBRARY = -1, VDISK_UNSUPPORTED = -2 };

struct vdisk;

/*
 * One row per format. The functions return 1 on success; on failure -1 (or an enum
 * vdisk_fail from open) with *why set (malloc'd, one line).
 */
struct vdisk_format {
	const char *name;		/* in messages: "QCOW2", "VHDX", "VHD" */
	const char *family;		/* a parent must be of the same family */
	const char *lib;		/* "libqcow", "libvhdi" */
	const char *parent_word;	/* "backing file" (QCOW), "parent" (VHD, VHDX) */
	const char *magic;
	size_t magic_len;
	int (*open)(const char *file, void **h, char **why);
	/* 1 and *name (malloc'd) when the image has a parent, 0 when not, -1 on error */
	int (*parent_name)(void *h, char **name, char **why);
	int (*set_parent)(void *h, void *parent, char **why);
	int (*media_size)(void *h, uint64_t *size, char **why);
	ssize_t (*read)(void *h, void *buf, size_t len, int64_t off, char **why);
	void (*close)(void *h);
	/* after open, NULL for none: what must not be read (d->cut) or reads as zeros (d->zero) */
	int (*check)(struct vdisk *d, int fd, char **why);
};

/* The image and its parents, as one image for libtsk. */
struct vdisk {
	struct image_reader r;	/* first: what libtsk sees */
	size_t n;
	/* the image, its parent, that parent's parent...: format, handle, file and identity */
	const struct vdisk_format *fmt[VDISK_MAX_CHAIN];
	void *h[VDISK_MAX_CHAIN];
	char *path[VDISK_MAX_CHAIN];
	dev_t dev[VDISK_MAX_CHAIN];
	ino_t ino[VDISK_MAX_CHAIN];
	struct image_qcow_map map[VDISK_MAX_CHAIN];	/* QCOW2: each file's (image_qcow.c) */
	struct image_ranges cut;	/* not to be read */
	struct image_ranges zero;	/* read as zeros */
};

/* ---- QCOW and QCOW2: libqcow ---- */

static char *
qcow_why(libqcow_error_t *e)
{
	char text[2048];
	int n = libqcow_error_backtrace_sprint(e, text, sizeof(text));

	libqcow_error_free(&e);
	return image_yal_reason(text, n);
}

static void
qcow_close(void *h)
{
	libqcow_file_t *f = h;

	libqcow_file_close(f, NULL);
	libqcow_file_free(&f, NULL);
}

static int
qcow_open(const char *file, void **h, char **why)
{
	libqcow_file_t *f = NULL;
	libqcow_error_t *e = NULL;
	uint32_t method = LIBQCOW_ENCRYPTION_METHOD_NONE;

	if (libqcow_file_initialize(&f, &e) != 1) {
		*why = qcow_why(e);
		return VDISK_LIBRARY;
	}
	if (libqcow_file_open(f, file, LIBQCOW_OPEN_READ, &e) != 1) {
		*why = qcow_why(e);
		libqcow_file_free(&f, NULL);
		return VDISK_LIBRARY;
	}
	/* libqcow would read an encrypted image without its key as noise, not fail */
	if (libqcow_file_get_encryption_method(f, &method, &e) != 1 ||
	    method != LIBQCOW_ENCRYPTION_METHOD_NONE) {
		*why = e ? qcow_why(e)
		       : strdup(method == LIBQCOW_ENCRYPTION_METHOD_LUKS
					? "it is encrypted (LUKS), and vigil has no key"
					: "it is encrypted (AES-128-CBC), and vigil has no key");
		qcow_close(f);
		return e ? VDISK_LIBRARY : VDISK_UNSUPPORTED;
	}
	*h = f;
	return 1;
}

static int
qcow_parent_name(void *h, char **name, char **why)
{
	libqcow_error_t *e = NULL;
	size_t size = 0;
	int rc = libqcow_file_get_utf8_backing_filename_size(h, &size, &e);

	if (rc != 1) {
		if (rc < 0)
			*why = qcow_why(e);
		return rc < 0 ? -1 : 0;
	}
	if (size < 1 || size > VDISK_MAX_NAME) {
		*why = strdup("the name of its backing file is empty or too long");
		return -1;
	}
	if ((*name = malloc(size)) == NULL) {
		*why = NULL;
		return -1;
	}
	if (libqcow_file_get_utf8_backing_filename(h, (uint8_t *)*name, size, &e) != 1) {
		*why = qcow_why(e);
		free(*name);
		*name = NULL;
		return -1;
	}
	(*name)[size - 1] = '\0';
	return 1;
}

static int
qcow_set_parent(void *h, void *parent, char **why)
{
	libqcow_error_t *e = NULL;

	if (libqcow_file_set_parent_file(h, parent, &e) == 1)
		return 1;
	*why = qcow_why(e);
	return -1;
}

static int
qcow_media_size(void *h, uint64_t *size, char **why)
{
	libqcow_error_t *e = NULL;
	size64_t s = 0;

	if (libqcow_file_get_media_size(h, &s, &e) != 1) {
		*why = qcow_why(e);
		return -1;
	}
	*size = s;
	return 1;
}

static ssize_t
qcow_read(void *h, void *buf, size_t len, int64_t off, char **why)
{
	libqcow_error_t *e = NULL;
	ssize_t n = libqcow_file_read_buffer_at_offset(h, buf, len, (off64_t)off, &e);

	if (n < 0)
		*why = qcow_why(e);
	return n;
}

/* After libqcow opened the file: what it must not read, or must read as zeros */
static int
qcow_check(struct vdisk *d, int fd, char **why)
{
	return image_qcow_map(fd, d->n, &d->map[d->n], why);
}

/* ---- VHD and VHDX: libvhdi ---- */

static char *
vhdi_why(libvhdi_error_t *e)
{
	char text[2048];
	int n = libvhdi_error_backtrace_sprint(e, text, sizeof(text));

	libvhdi_error_free(&e);
	return image_yal_reason(text, n);
}

static void
vhdi_close(void *h)
{
	libvhdi_file_t *f = h;

	libvhdi_file_close(f, NULL);
	libvhdi_file_free(&f, NULL);
}

static int
vhdi_open(const char *file, void **h, char **why)
{
	libvhdi_file_t *f = NULL;
	libvhdi_error_t *e = NULL;

	if (libvhdi_file_initialize(&f, &e) != 1) {
		*why = vhdi_why(e);
		return VDISK_LIBRARY;
	}
	if (libvhdi_file_open(f, file, LIBVHDI_OPEN_READ, &e) != 1) {
		*why = vhdi_why(e);
		libvhdi_file_free(&f, NULL);
		return VDISK_LIBRARY;
	}
	*h = f;
	return 1;
}

static int
vhdi_parent_name(void *h, char **name, char **why)
{
	libvhdi_error_t *e = NULL;
	uint32_t type = 0;
	size_t size = 0;
	int rc;

	if (libvhdi_file_get_disk_type(h, &type, &e) != 1) {
		*why = vhdi_why(e);
		return -1;
	}
	if (type != LIBVHDI_DISK_TYPE_DIFFERENTIAL)
		return 0;
	rc = libvhdi_file_get_utf8_parent_filename_size(h, &size, &e);
	if (rc < 0) {
		*why = vhdi_why(e);
		return -1;
	}
	/* a differencing disk that records no name: only --parent can give its parent */
	if (rc == 0 || size < 1 || size > VDISK_MAX_NAME)
		return (*name = strdup("")) ? 1 : -1;
	if ((*name = malloc(size)) == NULL) {
		*why = NULL;
		return -1;
	}
	if (libvhdi_file_get_utf8_parent_filename(h, (uint8_t *)*name, size, &e) != 1) {
		*why = vhdi_why(e);
		free(*name);
		*name = NULL;
		return -1;
	}
	(*name)[size - 1] = '\0';
	return 1;
}

static int
vhdi_set_parent(void *h, void *parent, char **why)
{
	libvhdi_error_t *e = NULL;

	if (libvhdi_file_set_parent_file(h, parent, &e) == 1)
		return 1;
	*why = vhdi_why(e);
	return -1;
}

static int
vhdi_media_size(void *h, uint64_t *size, char **why)
{
	libvhdi_error_t *e = NULL;
	size64_t s = 0;

	if (libvhdi_file_get_media_size(h, &s, &e) != 1) {
		*why = vhdi_why(e);
		return -1;
	}
	*size = s;
	return 1;
}

static ssize_t
vhdi_read(void *h, void *buf, size_t len, int64_t off, char **why)
{
	libvhdi_error_t *e = NULL;
	ssize_t n = libvhdi_file_read_buffer_at_offset(h, buf, len, (off64_t)off, &e);

	if (n < 0)
		*why = vhdi_why(e);
	return n;
}

/* First match wins: QCOW version 1 before the QCOW2 row that would also match it. */
static const struct vdisk_format formats[] = {
	{ "QCOW", "qcow", "libqcow", "backing file", "QFI\xfb\0\0\0\1", 8, qcow_open,
	  qcow_parent_name, qcow_set_parent, qcow_media_size, qcow_read, qcow_close, NULL },
	{ "QCOW2", "qcow", "libqcow", "backing file", "QFI\xfb", 4, qcow_open, qcow_parent_name,
	  qcow_set_parent, qcow_media_size, qcow_read, qcow_close, qcow_check },
	{ "VHDX", "vhdx", "libvhdi", "parent", "vhdxfile", 8, vhdi_open, vhdi_parent_name,
	  vhdi_set_parent, vhdi_media_size, vhdi_read, vhdi_close, NULL },
	/* a dynamic or differencing VHD has a copy of its footer at the start */
	{ "VHD", "vhd", "libvhdi", "parent", "conectix", 8, vhdi_open, vhdi_parent_name,
	  vhdi_set_parent, vhdi_media_size, vhdi_read, vhdi_close, NULL },
};

/* The format of an opened file, from its first bytes; NULL when it is none of these. */
static const struct vdisk_format *
format_of_fd(int fd)
{
	char head[8] = { 0 };
	size_t i;

	if (pread(fd, head, sizeof(head), 0) < 0)
		return NULL;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (memcmp(head, formats[i].magic, formats[i].magic_len) == 0)
			return &formats[i];
	return NULL;
}

/* ---- the chain, as one image for libtsk ---- */

static void
chain_close(struct vdisk *d)
{
	size_t i;

	/* the child first: it reads through its parent until it is closed */
	for (i = 0; i < d->n; i++) {
		d->fmt[i]->close(d->h[i]);
		free(d->path[i]);
	}
	for (i = 0; i < VDISK_MAX_CHAIN; i++)
		image_qcow_map_release(&d->map[i]);
	image_ranges_release(&d->cut);
	image_ranges_release(&d->zero);
	free(d->r.failure);
	free(d);
}

/*
 * Read [off, off + len) of the top file, except the clusters marked all-zero, which are zeros:
 * libqcow would read their old data or the start of the file there (image_qcow.c), and never
 * sees them. The count read, or -1 with *why.
 */
static ssize_t
read_around_zeros(struct vdisk *d, char *buf, uint64_t off, size_t len, char **why)
{
	size_t done = 0;

	while (done < len) {
		uint64_t at = off + done;
		const struct image_range *z = image_ranges_find(&d->zero, at, len - done);
		size_t part = z && z->start > at ? (size_t)(z->start - at) : len - done;
		ssize_t n;

		if (z && z->start <= at) { /* inside a zero range */
			part = z->end - at < len - done ? (size_t)(z->end - at) : len - done;
			memset(buf + done, 0, part);
			done += part;
			continue;
		}
		n = d->fmt[0]->read(d->h[0], buf + done, part, (int64_t)at, why);
		if (n < 0)
			return -1;
		done += (size_t)n;
		if ((size_t)n < part)
			break; /* the end of the disk */
	}
	return (ssize_t)done;
}

static ssize_t
vd_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
	struct vdisk *d = (struct vdisk *)img;
	const struct image_range *c;
	char *why = NULL;
	ssize_t n;

	if (off < 0 || off >= img->size)
		return 0;
	if ((TSK_OFF_T)len > img->size - off)
		len = (size_t)(img->size - off);
	if ((c = image_ranges_find(&d->cut, (uint64_t)off, len)) != NULL) {
		n = -1;
		if (asprintf(&why, "the cluster of %s that holds byte %llu %s", d->path[c->file],
			     (unsigned long long)(c->start > (uint64_t)off ? c->start : (uint64_t)off),
			     c->zero ? "is marked all-zero, which libqcow does not honour (in a "
				       "parent: vigil cannot tell whether the image hides it)"
				     : "is cut short by the end of that file (truncated)") < 0)
			why = NULL;
	} else {
		n = read_around_zeros(d, buf, (uint64_t)off, len, &why);
	}
	if (n < 0) {
		image_read_failed(&d->r, "cannot read the %s image at byte %lld: %s",
				  d->fmt[0]->name, (long long)off, why ? why : "out of memory");
		free(why);
	}
	return n;
}

static void
vd_close(TSK_IMG_INFO *img)
{
	chain_close((struct vdisk *)img);
}

static void
vd_stat(TSK_IMG_INFO *img, FILE *f)
{
	struct vdisk *d = (struct vdisk *)img;

	fprintf(f, "%s image, %lld bytes, %zu file(s) in its chain (%s)\n", d->fmt[0]->name,
		(long long)img->size, d->n, d->fmt[0]->lib);
}

/* The last component of a recorded parent name: after the last '/' or '\\' (a Windows path
 * too); NULL when there is none to use ("", ".", ".."). */
static const char *
last_component(const char *name)
{
	const char *base = name, *p;

	for (p = name; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	return *base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ? NULL : base;
}

/* base, in the folder of child */
static char *
beside(const char *child, const char *base)
{
	const char *slash = strrchr(child, '/');
	char *dir = slash ? strndup(child, slash == child ? 1 : (size_t)(slash - child))
			  : strdup(".");
	char *path = dir ? vg_path_join(dir, base) : NULL;

	free(dir);
	return path;
}

/*
 * Open FILE and add it to the chain: the image itself (d->n == 0), or the parent of the
 * last file, looked for under the name it records (recorded; "" when it records none) or
 * given with --parent (given).
 */
static enum vg_err
chain_add(struct vdisk *d, const char *file, const char *recorded, int given,
	  struct vg_error *err)
{
	const struct vdisk_format *want = d->n ? d->fmt[d->n - 1] : NULL, *fmt;
	const char *child = d->n ? d->path[d->n - 1] : NULL;
	char *why = NULL;
	enum vg_err rc = VG_OK;
	struct stat st;
	size_t i;
	int fd, r;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(file, O_RDONLY | O_CLOEXEC); /* not the owner: no O_NOATIME */
	if (fd < 0 && want && errno == ENOENT) {
		if (given)
			rc = vg_error_set(err, VG_NOENT, "%s needs its %s%s%s%s: %s (given with "
					  "--parent) not found", child, want->parent_word,
					  *recorded ? " '" : "", recorded, *recorded ? "'" : "", file);
		else
			rc = vg_error_set(err, VG_NOENT, "%s needs its %s '%s' (looked for %s): "
					  "not found; give it with --parent FILE", child,
					  want->parent_word, recorded, file);
		goto out;
	}
	if (fd < 0 || fstat(fd, &st) != 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
		const char *e = fd < 0 ? strerror(errno) : "not a regular file or block device";

		if (want)
			rc = vg_error_set(err, VG_IO, "%s needs its %s '%s': cannot open %s: %s", child,
					  want->parent_word, recorded, file, e);
		else
			rc = vg_error_set(err, VG_IO, "cannot open the image %s: %s", file, e);
		goto out;
	}
	fmt = format_of_fd(fd);
	for (i = 0; i < d->n; i++)
		if (d->dev[i] == st.st_dev && d->ino[i] == st.st_ino) {
			rc = vg_error_set(err, VG_INVAL, "%s needs its %s '%s': %s is already in its "
					  "chain (a loop)", child, want->parent_word, recorded, file);
			goto out;
		}
	if (want && (fmt == NULL || strcmp(fmt->family, want->family) != 0)) {
		rc = vg_error_set(err, VG_INVAL, "%s needs its %s '%s': %s is not a %s image", child,
				  want->parent_word, recorded, file, want->name);
		goto out;
	}
	if (fmt == NULL) {
		rc = vg_error_set(err, VG_INVAL, "%s is not a QCOW2, VHDX or VHD image", file);
		goto out;
	}
	if (d->n == VDISK_MAX_CHAIN) {
		rc = vg_error_set(err, VG_LIMIT, "%s: its chain of %ss is longer than %d files",
				  d->path[0], want->parent_word, VDISK_MAX_CHAIN);
		goto out;
	}
	if ((d->path[d->n] = strdup(file)) == NULL) {
		rc = vg_error_set(err, VG_NOMEM, "out of memory");
		goto out;
	}
	r = fmt->open(file, &d->h[d->n], &why);
	if (r == 1 && fmt->check && fmt->check(d, fd, &why) != 1) {
		fmt->close(d->h[d->n]);
		r = VDISK_UNSUPPORTED;
	}
	if (r != 1) {
		free(d->path[d->n]);
		d->path[d->n] = NULL;
		rc = vg_error_set(err, VG_INVAL, "%s is a %s image %s cannot read: %s", file, fmt->name,
				  r == VDISK_UNSUPPORTED ? "vigil" : fmt->lib,
				  why ? why : "out of memory");
		goto out;
	}
	d->fmt[d->n] = fmt;
	d->dev[d->n] = st.st_dev;
	d->ino[d->n] = st.st_ino;
	d->n++;
out:
	if (fd >= 0)
		close(fd);
	free(why);
	return rc;
}

/* Each file's parent, until one has none: --parent for the image's, else beside it. */
static enum vg_err
chain_parents(struct vdisk *d, const char *parent, struct vg_error *err)
{
	enum vg_err rc = VG_OK;

	while (rc == VG_OK) {
		const struct vdisk_format *fmt = d->fmt[d->n - 1];
		const char *child = d->path[d->n - 1], *base;
		char *name = NULL, *why = NULL, *path;
		int given = d->n == 1 && parent != NULL;
		int r = fmt->parent_name(d->h[d->n - 1], &name, &why);

		if (r < 0)
			rc = vg_error_set(err, why ? VG_INVAL : VG_NOMEM, "cannot read the name of the "
					  "%s of %s: %s", fmt->parent_word, child, why ? why : "out of memory");
		else if (r == 0 && given)
			rc = vg_error_set(err, VG_INVAL, "--parent: %s is not a differencing image "
					  "(it has no %s)", child, fmt->parent_word);
		if (r <= 0) {
			free(why);
			return rc;
		}
		base = last_component(name);
		if (given)
			path = strdup(parent);
		else if (base == NULL)
			path = NULL;
		else
			path = beside(child, base);
		if (path)
			rc = chain_add(d, path, name, given, err);
		else if (base == NULL && !given)
			rc = vg_error_set(err, VG_INVAL, "%s records no usable name for its %s; give it "
					  "with --parent FILE", child, fmt->parent_word);
		else
			rc = vg_error_set(err, VG_NOMEM, "out of memory");
		free(path);
		free(name);
	}
	return rc;
}

enum vg_err
image_vdisk_open(const char *file, const char *parent, TSK_IMG_INFO **out, struct vg_error *err)
{
	struct vdisk *d = calloc(1, sizeof(*d));
	uint64_t size = 0;
	char *why = NULL;
	enum vg_err rc;
	size_t i;

	*out = NULL;
	if (d == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	rc = chain_add(d, file, NULL, 0, err);
	if (rc == VG_OK)
		rc = chain_parents(d, parent, err);
	if (rc == VG_OK && image_qcow_resolve(d->map, d->n, &d->cut, &d->zero) != 0)
		rc = vg_error_set(err, VG_NOMEM, "out of memory");
	/* from the top: libvhdi checks that each parent is the one its child was made from */
	for (i = 1; rc == VG_OK && i < d->n; i++)
		if (d->fmt[i - 1]->set_parent(d->h[i - 1], d->h[i], &why) != 1)
			rc = vg_error_set(err, VG_INVAL, "%s cannot be the %s of %s: %s", d->path[i],
					  d->fmt[i - 1]->parent_word, d->path[i - 1],
					  why ? why : "out of memory");
	if (rc == VG_OK && d->fmt[0]->media_size(d->h[0], &size, &why) != 1)
		rc = vg_error_set(err, VG_INVAL, "%s is a %s image %s cannot read: %s", d->path[0],
				  d->fmt[0]->name, d->fmt[0]->lib, why ? why : "out of memory");
	free(why);
	if (rc == VG_OK && tsk_img_open_external(d, (TSK_OFF_T)size, 512, vd_read, vd_close,
						 vd_stat) == NULL) {
		char *r = image_tsk_reason("cannot open it");

		rc = vg_error_set(err, VG_INVAL, "%s is a %s image libtsk cannot open: %s",
				  d->path[0], d->fmt[0]->name, r ? r : "out of memory");
		free(r);
	}
	if (rc != VG_OK) {
		chain_close(d);
		return rc;
	}
	*out = &d->r.info;
	return VG_OK;
}
