/*
 * scanner/image.c — disk images without mounting them: raw, split raw and E01 images read
 * through The Sleuth Kit (libtsk, with libewf for E01).
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

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <tsk/libtsk.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/path.h"
#include "core/reach.h"

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
	char **quick;		/* fnmatch patterns of folders (quick scan), NULL: everything */
	size_t nquick;
};

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

/* MFT entries below this are NTFS's own files and reserved entries. */
#define NTFS_FIRST_USER_INODE 24

/* What the walk callback needs. */
struct iwalk {
	struct scan_ctx *c;
	struct scanner_image *im;
	struct volume *vol;
	TSK_FS_INFO *fs;
	int windows;		/* the quick scan of a Windows volume: its own folders */
};

/* libtsk's last error, on one line (it ends some with a newline). */
static char *
tsk_reason(const char *fallback)
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

static void
volume_fail(struct volume *v, const char *status, char *reason)
{
	v->status = status;
	free(v->reason);
	v->reason = reason;
}

static enum vg_err
add_volume(struct scanner_image *im, int partition, int64_t offset, int64_t length,
	   const char *desc, struct vg_error *err)
{
	struct volume *nv = realloc(im->v, (im->nv + 1) * sizeof(*nv));

	if (nv == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	im->v = nv;
	nv = &im->v[im->nv++];
	memset(nv, 0, sizeof(*nv));
	nv->partition = partition;
	nv->offset = offset;
	nv->length = length;
	nv->description = strdup(desc ? desc : "");
	nv->status = "skipped";
	nv->selected = 1;
	return nv->description ? VG_OK : vg_error_set(err, VG_NOMEM, "out of memory");
}

/* The partitions of the volume system, or the whole image as one volume. */
static enum vg_err
find_volumes(struct scanner_image *im, struct vg_error *err)
{
	TSK_VS_INFO *vs = tsk_vs_open(im->img, 0, TSK_VS_TYPE_DETECT);
	enum vg_err rc = VG_OK;
	TSK_PNUM_T i;
	int n = 0;

	tsk_error_reset();
	if (vs == NULL)
		return add_volume(im, 0, 0, (int64_t)im->img->size, "no partition table", err);
	for (i = 0; rc == VG_OK && i < vs->part_count; i++) {
		const TSK_VS_PART_INFO *p = tsk_vs_part_get(vs, i);

		if (p != NULL && (p->flags & TSK_VS_PART_FLAG_ALLOC))
			rc = add_volume(im, ++n, (int64_t)p->start * vs->block_size,
					(int64_t)p->len * vs->block_size, p->desc, err);
	}
	tsk_vs_close(vs);
	if (rc == VG_OK && n == 0)
		rc = add_volume(im, 0, 0, (int64_t)im->img->size, "no partitions", err);
	return rc;
}

/*
 * The image format, from its first bytes. Asking libtsk to detect it instead probes every
 * back end, and the VHD and VMDK ones leak their handles on a raw image.
 */
static TSK_IMG_TYPE_ENUM
image_type(const char *file)
{
	static const struct {
		const char *magic;
		size_t len;
		TSK_IMG_TYPE_ENUM type;
	} formats[] = {
		{ "EVF\x09\x0d\x0a\xff\x00", 8, TSK_IMG_TYPE_EWF_EWF },	/* E01 */
		{ "EVF2\x0d\x0a\x81\x00", 8, TSK_IMG_TYPE_EWF_EWF },	/* Ex01 */
		{ "KDMV", 4, TSK_IMG_TYPE_VMDK_VMDK },
		{ "# Disk DescriptorFile", 21, TSK_IMG_TYPE_VMDK_VMDK },
		{ "conectix", 8, TSK_IMG_TYPE_VHD_VHD },
		{ "AFF10\r\n", 7, TSK_IMG_TYPE_AFF_ANY },
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
		if (memcmp(head, formats[i].magic, formats[i].len) == 0)
			return formats[i].type;
	return TSK_IMG_TYPE_RAW; /* raw, or split raw from its first segment */
}

/*
 * A raw image of one file (or a block device), read with pread on a descriptor opened with
 * O_NOATIME where allowed: libtsk's raw reader does not ask for it, and reading the evidence
 * should not change even its access time. Split raw images are left to libtsk.
 */
struct raw_img {
	TSK_IMG_INFO info;	/* first: what libtsk sees */
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
			tsk_error_reset();
			tsk_error_set_errno(TSK_ERR_IMG_READ);
			tsk_error_set_errstr("cannot read the image at byte %lld: %s",
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
	return &r->info;
}

enum vg_err
scanner_image_open(const char *file, int partition, int64_t offset, int deleted,
		   struct scanner_image **out, struct vg_error *err)
{
	struct scanner_image *im;
	const char *names[1] = { file };
	TSK_IMG_TYPE_ENUM type;
	struct stat st;
	enum vg_err rc;
	size_t i;

	*out = NULL;
	if (stat(file, &st) != 0)
		return vg_error_set(err, VG_IO, "cannot open the image %s: %s", file, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return vg_error_set(err, VG_INVAL, "%s is not a disk image: not a regular file or "
				    "block device", file);
	if (access(file, R_OK) != 0)
		return vg_error_set(err, VG_IO, "cannot read the image %s: %s", file, strerror(errno));
	if ((im = calloc(1, sizeof(*im))) == NULL || (im->file = strdup(file)) == NULL) {
		free(im);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	im->deleted = deleted;
	/* read-only: the raw back end opens O_RDONLY, the E01 one LIBEWF_OPEN_READ */
	type = image_type(file);
	im->img = type == TSK_IMG_TYPE_RAW && !split_name(file)
			  ? raw_open(file)
			  : tsk_img_open_utf8(1, names, type, 0);
	if (im->img == NULL) {
		char *why = type == TSK_IMG_TYPE_RAW && !split_name(file) ? strdup(strerror(errno))
									  : tsk_reason("unknown format");

		rc = vg_error_set(err, VG_INVAL, "%s is not a disk image libtsk can read: %s", file,
				  why ? why : "out of memory");
		free(why);
		scanner_image_close(im);
		return rc;
	}
	rc = find_volumes(im, err);
	if (rc == VG_OK && offset >= 0) {
		/* a file system at this byte offset: the partition there, or a volume of its own */
		int found = 0;

		if (offset >= (int64_t)im->img->size)
			rc = vg_error_set(err, VG_INVAL, "--offset %lld is beyond the end of %s "
					  "(%lld bytes)", (long long)offset, file,
					  (long long)im->img->size);
		for (i = 0; rc == VG_OK && i < im->nv; i++) {
			im->v[i].selected = im->v[i].offset == offset;
			found |= im->v[i].selected;
		}
		if (rc == VG_OK && !found)
			rc = add_volume(im, 0, offset, (int64_t)im->img->size - offset,
					"given with --offset", err);
	} else if (rc == VG_OK && partition >= 0) {
		int found = 0;

		for (i = 0; i < im->nv; i++) {
			im->v[i].selected = im->v[i].partition == partition;
			found |= im->v[i].selected;
		}
		if (!found && im->v[0].partition == 0)
			rc = vg_error_set(err, VG_NOTFOUND, "%s has no partition %d: it has no "
					  "partition table (its file system is partition 0)", file,
					  partition);
		else if (!found)
			rc = vg_error_set(err, VG_NOTFOUND, "%s has no partition %d: it has "
					  "partitions 1 to %d", file, partition,
					  im->v[im->nv - 1].partition);
	}
	for (i = 0; rc == VG_OK && i < im->nv; i++)
		if (!im->v[i].selected)
			im->v[i].reason = strdup(partition >= 0 ? "not selected (--partition)"
								: "not selected (--offset)");
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

	if ((im->quick = calloc(n + 1, sizeof(*im->quick))) == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if ((im->quick[im->nquick++] = strdup(patterns[i])) == NULL)
			return vg_error_set(err, VG_NOMEM, "out of memory");
	return VG_OK;
}

void
scanner_image_close(struct scanner_image *im)
{
	size_t i;

	if (im == NULL)
		return;
	if (im->img)
		tsk_img_close(im->img);
	for (i = 0; i < im->nv; i++) {
		free(im->v[i].description);
		free(im->v[i].reason);
	}
	for (i = 0; i < im->nquick; i++)
		free(im->quick[i]);
	free(im->quick);
	free(im->v);
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
	json_t *a = json_array();
	size_t i;

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
		json_array_append_new(a, o);
	}
	return a;
}

int
scanner_image_readable(const struct scanner_image *im)
{
	size_t i;

	for (i = 0; i < im->nv; i++)
		if (strcmp(im->v[i].status, "scanned") == 0 || strcmp(im->v[i].status, "partial") == 0)
			return 1;
	return 0;
}

/* ---- the walk ---- */

/* Folders a Windows quick scan looks at (compared without case). */
static const char *const windows_quick[] = {
	"/Users/*/Downloads", "/Users/*/Desktop", "/Users/*/AppData/Local/Temp",
	"/Users/*/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup",
	"/ProgramData/Microsoft/Windows/Start Menu/Programs/Startup", "/Windows/Temp",
	"/Windows/System32/Tasks", "/Windows/Tasks",
};

/* Is path (absolute, inside the image) at or below a folder matching pattern? */
static int
below(const char *pattern, const char *path, int casefold)
{
	size_t parts = 0, n;
	const char *p;
	char *prefix;
	int r;

	for (p = pattern; *p; p++)
		parts += *p == '/';
	for (p = path, n = 0; *p; p++)
		if (*p == '/' && ++n > parts)
			break;
	if (n < parts || (prefix = strndup(path, (size_t)(p - path))) == NULL)
		return 0;
	r = fnmatch(pattern, prefix, FNM_PATHNAME | (casefold ? FNM_CASEFOLD : 0)) == 0;
	free(prefix);
	return r;
}

static int
in_quick(const struct iwalk *w, const char *path)
{
	size_t i;

	if (w->im->nquick == 0 && !w->windows)
		return 1;
	if (w->windows) {
		for (i = 0; i < sizeof(windows_quick) / sizeof(windows_quick[0]); i++)
			if (below(windows_quick[i], path, 1))
				return 1;
		return 0;
	}
	for (i = 0; i < w->im->nquick; i++)
		if (below(w->im->quick[i], path, 0))
			return 1;
	return 0;
}

/* The JSON text that says where an object is; stream and inode may be absent. */
static char *
location_json(const struct iwalk *w, const char *path, const char *stream, int64_t inode,
	      int allocated)
{
	json_t *o = json_object();
	char *s;

	vg_json_set_bytes(o, "file", w->im->file, strlen(w->im->file));
	json_object_set_new(o, "partition", json_integer(w->vol->partition));
	json_object_set_new(o, "offset", json_integer(w->vol->offset));
	json_object_set_new(o, "fs", w->vol->fs ? json_string(w->vol->fs) : json_null());
	if (path) {
		vg_json_set_bytes(o, "path", path, strlen(path));
		if (stream)
			vg_json_set_bytes(o, "stream", stream, strlen(stream));
		json_object_set_new(o, "inode", json_integer(inode));
		json_object_set_new(o, "allocated", json_boolean(allocated));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/* "<image>:p<N>:<path>[:<stream>]", the name results carry. */
static char *
display_path(const struct iwalk *w, const char *path, const char *stream)
{
	char *s;

	if (asprintf(&s, "%s:p%d%s%s%s%s", w->im->file, w->vol->partition, path ? ":" : "",
		     path ? path : "", stream ? ":" : "", stream ? stream : "") < 0)
		return NULL;
	return s;
}

/* A problem of the whole volume (no file system, a walk that stopped). */
static void
volume_problem(struct iwalk *w, const char *kind, const char *reason)
{
	char *where = display_path(w, NULL, NULL), *loc = location_json(w, NULL, NULL, 0, 0);

	scan_set_location(loc);
	if (where)
		scan_problem(w->c, where, NULL, 0, kind, "partition %d at byte %lld: %s",
			     w->vol->partition, (long long)w->vol->offset, reason);
	scan_set_location(NULL);
	free(loc);
	free(where);
}

static int64_t
ns(time_t s, uint32_t nano)
{
	return (int64_t)s * 1000000000 + nano;
}

/* Reads from libtsk in pieces of this size. */
#define READ_CHUNK (8u << 20)
/* Larger objects are copied to an unlinked file in the spool folder and mapped from there,
 * so that a 2 GiB pagefile.sys costs disk space for a while, not memory. */
#define SPOOL_MIN (64u << 20)

/*
 * An unlinked file in dir, for a temporary copy; -1 with err set on failure. dir is reached
 * with vg_reach_dir (no link another user could have planted is followed) and the file is
 * made in the folder descriptor: O_TMPFILE, or where the file system has none a random name
 * with O_CREAT|O_EXCL|O_NOFOLLOW, unlinked at once. 0600 from the start.
 */
static int
spool_open(const char *dir, struct vg_error *err)
{
	unsigned char rnd[8];
	char name[64];
	int dfd = vg_reach_dir(dir, VG_REACH_TRUSTED_LINKS, "make a temporary copy in", err);
	int fd, tries;

	if (dfd < 0)
		return -1;
	fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* no O_TMPFILE there (FAT, a rescue stick): a named file, unlinked at once */
		for (tries = 0; fd < 0 && tries < 8; tries++) {
			if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
				errno = EIO;
				break;
			}
			snprintf(name, sizeof(name), ".vigil-spool-%02x%02x%02x%02x%02x%02x%02x%02x",
				 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
			fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				    0600);
			if (fd >= 0)
				unlinkat(dfd, name, 0);
			else if (errno != EEXIST)
				break;
		}
	}
	if (fd < 0)
		vg_error_set(err, VG_IO, "cannot make a temporary copy in '%s': %s", dir,
			     strerror(errno));
	close(dfd);
	return fd;
}

/*
 * Read a whole stream into obj: into memory, or (above SPOOL_MIN, with a spool folder) into
 * a temporary file that is then mapped. obj->read says whether all of it is there; what went
 * wrong is a problem of where.
 */
static void
read_stream(struct iwalk *w, const TSK_FS_ATTR *attr, uint64_t size, struct image_obj *obj,
	    const char *where, int allocated)
{
	struct scan_ctx *c = w->c;
	int spool = size > SPOOL_MIN && c->o->spool_dir != NULL;
	unsigned char *chunk = NULL;
	size_t off = 0;

	if (spool) {
		struct vg_error serr;

		vg_error_init(&serr);
		obj->spool_fd = spool_open(c->o->spool_dir, &serr);
		if (obj->spool_fd < 0 || (chunk = malloc(READ_CHUNK)) == NULL) {
			scan_problem(c, where, NULL, 0, "error", "a large file (%llu bytes): %s",
				     (unsigned long long)size,
				     serr.msg[0] ? serr.msg : "out of memory");
			free(chunk);
			return;
		}
	} else if ((obj->data = malloc((size_t)size + 1)) == NULL) {
		scan_problem(c, where, NULL, 0, "error", "out of memory (%llu bytes)",
			     (unsigned long long)size);
		return;
	}
	while (off < size && !scan_should_stop(c)) {
		size_t want = size - off > READ_CHUNK ? READ_CHUNK : size - off;
		unsigned char *to = spool ? chunk : obj->data + off;
		ssize_t got = tsk_fs_attr_read(attr, (TSK_OFF_T)off, (char *)to, want,
					       TSK_FS_FILE_READ_FLAG_NONE);

		if (got <= 0) {
			char *why = tsk_reason("short read");

			scan_problem(c, where, NULL, 0, "error", "%s at byte %zu: %s",
				     allocated ? "cannot read from the image"
					       : "deleted, not recoverable",
				     off, why ? why : "out of memory");
			free(why);
			break;
		}
		/* the copy is written in order, from its first byte */
		if (spool && vg_write_full(obj->spool_fd, chunk, (size_t)got) != 0) {
			scan_problem(c, where, NULL, 0, "error", "cannot write its temporary copy "
				     "in %s: %s", c->o->spool_dir, strerror(errno));
			break;
		}
		off += (size_t)got;
	}
	free(chunk);
	if (spool && off == size) {
		void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, obj->spool_fd, 0);

		if (map == MAP_FAILED) {
			scan_problem(c, where, NULL, 0, "error", "cannot map its temporary copy: %s",
				     strerror(errno));
			return;
		}
		obj->data = map;
		obj->map_len = (size_t)size;
	}
	obj->read = off == size && obj->data != NULL;
	obj->len = off;
}

/* Read one data stream and queue it; a stream that cannot be read is a problem. */
static void
queue_stream(struct iwalk *w, TSK_FS_FILE *f, const TSK_FS_ATTR *attr, const char *path,
	     const char *stream, int allocated)
{
	struct scan_ctx *c = w->c;
	const TSK_FS_META *m = f->meta;
	struct image_obj *obj = NULL;
	struct job *j = NULL;
	char *where = display_path(w, path, stream);
	char *loc = location_json(w, path, stream, (int64_t)m->addr, allocated);
	uint64_t size = attr ? (uint64_t)attr->size : 0;

	if (where == NULL || loc == NULL)
		goto out;
	if (c->o->done && scanner_done_has(c->o->done, where, strlen(where))) {
		atomic_fetch_add(&c->resumed, 1);
		goto out;
	}
	if ((obj = calloc(1, sizeof(*obj))) == NULL)
		goto out;
	obj->spool_fd = -1;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto out;
	obj->inv.size = (int64_t)size;
	obj->inv.mode = S_IFREG | (m->mode & 07777);
	obj->inv.uid = m->uid;
	obj->inv.gid = m->gid;
	obj->inv.dev = w->vol->partition;
	obj->inv.ino = (int64_t)m->addr;
	obj->inv.nlink = m->nlink;
	obj->inv.atime_ns = ns(m->atime, m->atime_nano);
	obj->inv.mtime_ns = ns(m->mtime, m->mtime_nano);
	obj->inv.ctime_ns = ns(m->ctime, m->ctime_nano);
	obj->inv.have_btime = m->crtime != 0;
	obj->inv.btime_ns = ns(m->crtime, m->crtime_nano);
	scan_set_location(loc);
	if (c->o->max_filesize && size > c->o->max_filesize) {
		scan_problem(c, where, NULL, 0, "skipped",
			     "larger than the file size limit (%llu > %llu bytes)",
			     (unsigned long long)size, (unsigned long long)c->o->max_filesize);
	} else if (attr == NULL && m->size > 0) {
		scan_problem(c, where, NULL, 0, "error", "%s: no data attribute",
			     allocated ? "cannot read from the image" : "deleted, not recoverable");
	} else if (attr == NULL) {
		obj->read = (obj->data = malloc(1)) != NULL; /* an empty file */
	} else if (size > SIZE_MAX / 2) {
		scan_problem(c, where, NULL, 0, "skipped", "too large to read (%llu bytes)",
			     (unsigned long long)size);
	} else {
		scan_flight_acquire(c, size);
		obj->flight = size;
		read_stream(w, attr, size, obj, where, allocated);
	}
	scan_set_location(NULL);
	obj->location = loc;
	loc = NULL;
	j->path = where;
	j->img = obj;
	where = NULL;
	if (queue_push(c->jobs, j) != 0) {
		job_free(c, j);
		j = NULL;
	}
	obj = NULL;
	j = NULL;
out:
	if (obj)
		image_obj_free(c, obj);
	free(j);
	free(where);
	free(loc);
}

/* The data streams of a file: the default one, and on NTFS each named $DATA attribute. */
static void
queue_file(struct iwalk *w, TSK_FS_FILE *f, const char *path, int allocated)
{
	const TSK_FS_ATTR *def = tsk_fs_file_attr_get(f);
	int i, n;

	tsk_error_reset();
	queue_stream(w, f, def, path, NULL, allocated);
	if (!TSK_FS_TYPE_ISNTFS(w->fs->ftype))
		return;
	n = tsk_fs_file_attr_getsize(f);
	for (i = 0; i < n && !scan_should_stop(w->c); i++) {
		const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(f, i);

		if (a == NULL || a == def || a->type != TSK_FS_ATTR_TYPE_NTFS_DATA ||
		    a->name == NULL || a->name[0] == '\0' || strcmp(a->name, "$Data") == 0)
			continue;
		queue_stream(w, f, a, path, a->name, allocated);
	}
	tsk_error_reset();
}

static TSK_WALK_RET_ENUM
walk_cb(TSK_FS_FILE *f, const char *dir, void *ptr)
{
	struct iwalk *w = ptr;
	struct scan_ctx *c = w->c;
	const char *name;
	char *path;
	int allocated;

	if (scan_should_stop(c))
		return TSK_WALK_STOP;
	if (f->name == NULL || f->meta == NULL || f->meta->type != TSK_FS_META_TYPE_REG)
		return TSK_WALK_CONT;
	name = f->name->name;
	if (name == NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return TSK_WALK_CONT;
	/* NTFS's own metadata files ($MFT, $LogFile, $BadClus:$Bad as large as the volume,
	 * $Extend/$UsnJrnl...) are the file system, not files on it */
	if (TSK_FS_TYPE_ISNTFS(w->fs->ftype) &&
	    (f->meta->addr < NTFS_FIRST_USER_INODE ||
	     (dir && strncmp(dir, "$Extend/", 8) == 0)))
		return TSK_WALK_CONT;
	/* libtsk lists a FAT volume label as a file named "LABEL (Volume Label Entry)" */
	if (TSK_FS_TYPE_ISFAT(w->fs->ftype) && f->meta->size == 0 &&
	    strstr(name, "(Volume Label Entry)") != NULL)
		return TSK_WALK_CONT;
	allocated = (f->name->flags & TSK_FS_NAME_FLAG_ALLOC) &&
		    (f->meta->flags & TSK_FS_META_FLAG_ALLOC);
	if (!allocated && !w->im->deleted)
		return TSK_WALK_CONT;
	/* dir is relative to the root and ends with '/' (or is empty) */
	if (asprintf(&path, "/%s%s", dir ? dir : "", name) < 0)
		return TSK_WALK_CONT;
	if (!in_quick(w, path)) {
		free(path);
		return TSK_WALK_CONT;
	}
	if (c->o->excl && scanner_excl_explain(c->o->excl, path, 0, NULL)) {
		atomic_fetch_add(&c->excluded, 1);
		free(path);
		return TSK_WALK_CONT;
	}
	scan_set_current(c, path);
	queue_file(w, f, path, allocated);
	free(path);
	return TSK_WALK_CONT;
}

/* Tell a volume that holds an encrypted container from one with no file system at all. */
static const char *
encrypted_kind(TSK_IMG_INFO *img, int64_t offset)
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

static void
walk_volume(struct scan_ctx *c, struct scanner_image *im, struct volume *v)
{
	struct iwalk w = { .c = c, .im = im, .vol = v };
	TSK_FS_DIR_WALK_FLAG_ENUM flags = TSK_FS_DIR_WALK_FLAG_ALLOC | TSK_FS_DIR_WALK_FLAG_RECURSE;
	const char *enc = encrypted_kind(im->img, v->offset);
	TSK_INUM_T inum;

	tsk_error_reset();
	w.fs = enc ? NULL : tsk_fs_open_img(im->img, v->offset, TSK_FS_TYPE_DETECT);
	if (w.fs == NULL) {
		char *why = NULL;

		if (enc == NULL)
			why = tsk_reason("no file system libtsk knows");
		else if (asprintf(&why, "an encrypted %s volume: not readable without its key",
				  enc) < 0)
			why = NULL;
		volume_fail(v, "error", why);
		volume_problem(&w, "error", why ? why : "cannot open a file system");
		return;
	}
	v->fs = tsk_fs_type_toname(w.fs->ftype);
	v->status = "scanned";
	if (v->offset + v->length > (int64_t)im->img->size) {
		char *why = NULL;

		/* a truncated image: what lies beyond its end is lost, say so once */
		if (asprintf(&why, "the image ends %lld bytes into this volume of %lld bytes: "
			     "files beyond its end cannot be read (a truncated image?)",
			     (long long)((int64_t)im->img->size - v->offset),
			     (long long)v->length) < 0)
			why = NULL;
		volume_fail(v, "partial", why);
		volume_problem(&w, "error", why ? why : "the image ends inside this volume");
	}
	if (im->nquick > 0 &&
	    (TSK_FS_TYPE_ISNTFS(w.fs->ftype) || TSK_FS_TYPE_ISFAT(w.fs->ftype)) &&
	    tsk_fs_path2inum(w.fs, "/Windows/System32", &inum, NULL) == 0)
		w.windows = 1;
	tsk_error_reset();
	if (im->deleted)
		flags |= TSK_FS_DIR_WALK_FLAG_UNALLOC;
	else
		flags |= TSK_FS_DIR_WALK_FLAG_NOORPHAN;
	if (tsk_fs_dir_walk(w.fs, w.fs->root_inum, flags, walk_cb, &w) != 0 &&
	    !scan_should_stop(c)) {
		char *why = tsk_reason("the walk stopped");

		volume_fail(v, "partial", why);
		volume_problem(&w, "error", why ? why : "the walk stopped");
	}
	tsk_fs_close(w.fs);
}

void
image_walk(struct scan_ctx *c, struct scanner_image *im)
{
	size_t i;

	for (i = 0; i < im->nv && !scan_should_stop(c); i++)
		if (im->v[i].selected)
			walk_volume(c, im, &im->v[i]);
}
