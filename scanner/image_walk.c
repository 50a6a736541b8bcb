/*
 * scanner/image_walk.c — the walk of a disk image's volumes (scanner/image_volumes.c found
 * them): each selected volume's file system opened (libtsk, libfsxfs for XFS, btrfs restore
 * for btrfs), its names
 * walked (deleted ones too with --deleted), each regular file's data streams (NTFS alternate
 * data streams too) read into memory or, when large, into an unlinked spool file, and handed
 * on through struct image_sink (image_int.h) with where they are in the image. It knows no
 * scan: scanner/image_sink.c makes the objects jobs in vigil's own process, and a sandboxed
 * image reader could send them instead. Runs on one thread; the sink bounds what is in memory.
 */
#include "scanner/image_int.h"
#include "scanner/image_obj.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <tsk/libtsk.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/nstime.h"
#include "core/path.h"
#include "core/reach.h"

/* MFT entries below this are NTFS's own files and reserved entries. */
#define NTFS_FIRST_USER_INODE 24
/* HFS+ catalog node IDs below this are its own files (as tsk_hfs.h has it) */
#define HFS_FIRST_USER_CNID 16

/* What the walk callback needs. */
struct iwalk {
	const struct image_sink *s;
	struct scanner_image *im;
	struct volume *vol;
	TSK_FS_INFO *fs;
	int windows;		/* the quick scan of a Windows volume: its own folders */
	char *lost;		/* the first read that failed outside a stream (image_int.h) */
	unsigned long files;	/* handed over by image_xfs_walk or image_btrfs_walk */
};

static int
stopped(const struct iwalk *w)
{
	return w->s->stopped(w->s->arg);
}

/* A problem of where (location: JSON text, or NULL), its reason formatted. */
static void
problem(const struct iwalk *w, const char *where, const char *location, const char *kind,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
problem(const struct iwalk *w, const char *where, const char *location, const char *kind,
	const char *fmt, ...)
{
	va_list ap;
	char *reason = NULL;

	va_start(ap, fmt);
	if (vasprintf(&reason, fmt, ap) < 0)
		reason = NULL;
	va_end(ap);
	w->s->problem(w->s->arg, where, location, kind, reason ? reason : "out of memory");
	free(reason);
}

/* Keep the first read failure that is not a stream's (taken), for the volume. */
static void
keep_lost(struct iwalk *w, char *lost)
{
	if (w->lost == NULL)
		w->lost = lost;
	else
		free(lost);
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

	if (w->im->quick.n == 0 && !w->windows)
		return 1;
	if (w->windows) {
		for (i = 0; i < sizeof(windows_quick) / sizeof(windows_quick[0]); i++)
			if (below(windows_quick[i], path, 1))
				return 1;
		return 0;
	}
	for (i = 0; i < w->im->quick.n; i++)
		if (below(w->im->quick.v[i], path, 0))
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
	json_object_set_new(o, "offset", json_integer(w->vol->outer_offset));
	json_object_set_new(o, "fs", w->vol->fs ? json_string(w->vol->fs) : json_null());
	json_object_set_new(o, "chain", image_volume_chain(w->vol));
	if (path) {
		vg_json_set_bytes(o, "path", path, strlen(path));
		if (stream)
			vg_json_set_bytes(o, "stream", stream, strlen(stream));
		if (inode >= 0) /* not known: btrfs restore does not say */
			json_object_set_new(o, "inode", json_integer(inode));
		json_object_set_new(o, "allocated", json_boolean(allocated));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/* "<image>:p<N>[:<inner volumes>]:<path>[:<stream>]", the name results carry:
 * "disk.raw:p2:/etc/passwd", "disk.raw:p3:luks2:lvm:rhel/root:/etc/passwd". */
static char *
display_path(const struct iwalk *w, const char *path, const char *stream)
{
	char *s;

	if (asprintf(&s, "%s:%s%s%s%s%s", w->im->file, w->vol->where, path ? ":" : "",
		     path ? path : "", stream ? ":" : "", stream ? stream : "") < 0)
		return NULL;
	return s;
}

/* A problem of the whole volume (no file system, a walk that stopped). */
static void
volume_problem(struct iwalk *w, const char *kind, const char *reason)
{
	char *where = display_path(w, NULL, NULL), *loc = location_json(w, NULL, NULL, 0, 0);

	if (where)
		problem(w, where, loc, kind, "%s %s at byte %lld: %s",
			strchr(w->vol->where, ':') ? "volume" : "partition", w->vol->where,
			(long long)w->vol->outer_offset, reason);
	free(loc);
	free(where);
}

/* libtsk's seconds and nanoseconds of a time, in the store's nanoseconds */
static int64_t
tsk_ns(time_t s, uint32_t nano)
{
	return vg_timespec_ns((struct timespec){ .tv_sec = s, .tv_nsec = (long)nano });
}

/* Reads from libtsk in pieces of this size. */
#define READ_CHUNK (8u << 20)
/* Larger objects are copied to an unlinked file in the spool folder and mapped from there,
 * so that a 2 GiB pagefile.sys costs disk space for a while, not memory. */
#define SPOOL_MIN (64u << 20)

/*
 * Read a whole stream into obj: into memory, or (above SPOOL_MIN, with a spool folder) into
 * a temporary file that is then mapped. obj->read says whether all of it is there; what went
 * wrong is a problem of where.
 */
static void
read_stream(struct iwalk *w, const struct image_entry *e, uint64_t size, struct image_obj *obj,
	    const char *where, const char *loc, int allocated)
{
	int spool = size > SPOOL_MIN && w->s->spool != NULL;
	unsigned char *chunk = NULL;
	size_t off = 0;

	if (spool) {
		char *swhy = NULL;

		obj->spool_fd = w->s->spool(w->s->arg, &swhy);
		if (obj->spool_fd < 0 || (chunk = malloc(READ_CHUNK)) == NULL) {
			problem(w, where, loc, "error", "a large file (%llu bytes): %s",
				     (unsigned long long)size, swhy ? swhy : "out of memory");
			free(swhy);
			free(chunk);
			return;
		}
	} else if ((obj->data = malloc((size_t)size + 1)) == NULL) {
		problem(w, where, loc, "error", "out of memory (%llu bytes)",
			     (unsigned long long)size);
		return;
	}
	keep_lost(w, image_read_failure(w->vol->img)); /* the walk's own reads: the volume's */
	while (off < size && !stopped(w)) {
		size_t want = size - off > READ_CHUNK ? READ_CHUNK : size - off;
		unsigned char *to = spool ? chunk : obj->data + off;
		char *rwhy = NULL;
		ssize_t got = e->read(e->ctx, off, to, want, &rwhy);
		char *lost = image_read_failure(w->vol->img);

		if (got > 0 && lost != NULL) {
			/* libtsk said it read this, but the image could not be read (see image_int.h) */
			problem(w, where, loc, "error", "%s at byte %zu: %s",
				     allocated ? "cannot read from the image" : "deleted, not recoverable",
				     off, lost);
			free(lost);
			break;
		}
		free(lost);
		if (got <= 0) {
			problem(w, where, loc, "error", "%s at byte %zu: %s",
				     allocated ? "cannot read from the image"
					       : "deleted, not recoverable",
				     off, rwhy ? rwhy : "short read");
			free(rwhy);
			break;
		}
		free(rwhy);
		/* the copy is written in order, from its first byte */
		if (spool && vg_write_full(obj->spool_fd, chunk, (size_t)got) != 0) {
			problem(w, where, loc, "error", "cannot write its temporary copy: %s",
				strerror(errno));
			break;
		}
		off += (size_t)got;
	}
	free(chunk);
	if (spool && off == size) {
		void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, obj->spool_fd, 0);

		if (map == MAP_FAILED) {
			problem(w, where, loc, "error", "cannot map its temporary copy: %s",
				     strerror(errno));
			return;
		}
		obj->data = map;
		obj->map_len = (size_t)size;
	}
	obj->read = off == size && obj->data != NULL;
	obj->len = off;
}

/*
 * /etc/machine-id or /etc/hostname that is not scanned (excluded, outside a quick scan's
 * folders, done before, over the size limit): handed over for the system's identity only
 * (image_int.h), where and loc taken. Small: read here, at most once.
 */
static void
queue_ident(struct iwalk *w, const struct image_entry *e, char *where, char *loc)
{
	struct image_obj *obj = calloc(1, sizeof(*obj));
	char *why = NULL;
	ssize_t got = -1;

	if (obj == NULL || where == NULL || loc == NULL ||
	    (obj->data = malloc((size_t)e->size + 1)) == NULL) {
		free(obj);
		free(where);
		free(loc);
		return;
	}
	obj->spool_fd = -1;
	obj->ident = 1;
	keep_lost(w, image_read_failure(w->vol->img)); /* the walk's own reads: the volume's */
	if (e->size == 0)
		got = 0;
	else if (e->has_fd)
		got = pread(e->fd, obj->data, (size_t)e->size, 0);
	else if (e->read != NULL)
		got = e->read(e->ctx, 0, obj->data, (size_t)e->size, &why);
	free(why);
	if ((why = image_read_failure(w->vol->img)) != NULL)
		got = -1; /* zeros that libtsk called a read (image_int.h); not a file of the scan:
			   * no problem of its own */
	free(why);
	obj->read = got == (ssize_t)e->size;
	obj->len = obj->read ? (size_t)e->size : 0;
	obj->location = loc;
	w->s->object(w->s->arg, where, obj);
}

/*
 * Read one data stream and queue it; a stream that cannot be read is a problem. e->read is
 * NULL for a stream the file system gives no data for (empty when e->size is 0). scan 0: a
 * stream not to scan, handed over only when it is one of the system's identity.
 */
static void
queue_entry(struct iwalk *w, const struct image_entry *e, const char *stream, int allocated,
	    int scan)
{
	const struct image_sink *s = w->s;
	struct image_obj *obj = NULL;
	int ident = e->problem == NULL && image_ident_wanted(e->path, stream, allocated, e->size);
	char *where = ident || scan ? display_path(w, e->path, stream) : NULL;
	char *loc = ident || scan ? location_json(w, e->path, stream, e->inode, allocated) : NULL;
	uint64_t size = e->size;

	if (where == NULL || loc == NULL)
		goto out;
	/* not scanned: a resumed scan has it already, or it is not wanted (never asked about) */
	if (!scan || s->done(s->arg, where)) {
		if (ident) {
			queue_ident(w, e, where, loc);
			return;
		}
		goto out;
	}
	if ((obj = calloc(1, sizeof(*obj))) == NULL)
		goto out;
	obj->spool_fd = -1;
	obj->inv.size = (int64_t)size;
	obj->inv.mode = (int64_t)(S_IFREG | (e->mode & 07777));
	obj->inv.uid = e->uid;
	obj->inv.gid = e->gid;
	obj->inv.dev = w->vol->partition;
	obj->inv.ino = e->inode >= 0 ? e->inode : 0; /* 0: not known, as in a body file */
	obj->inv.nlink = e->nlink;
	obj->inv.atime_ns = e->atime_ns;
	obj->inv.mtime_ns = e->mtime_ns;
	obj->inv.ctime_ns = e->ctime_ns;
	obj->inv.have_btime = e->have_btime;
	obj->inv.btime_ns = e->btime_ns;
	if (e->problem != NULL) {
		int skip = strncmp(e->problem, "skipped: ", 9) == 0;

		problem(w, where, loc, skip ? "skipped" : "error", "%s", e->problem + (skip ? 9 : 0));
	} else if (s->max_filesize && size > s->max_filesize) {
		problem(w, where, loc, "skipped", "larger than the file size limit (%llu > %llu "
			"bytes)", (unsigned long long)size, (unsigned long long)s->max_filesize);
		if (ident)
			queue_ident(w, e, strdup(where), strdup(loc));
	} else if (e->read == NULL && size > 0) {
		problem(w, where, loc, "error", "%s: no data attribute",
			allocated ? "cannot read from the image" : "deleted, not recoverable");
	} else if (e->read == NULL || size == 0) {
		obj->read = (obj->data = malloc(1)) != NULL; /* an empty file */
	} else if (size > SIZE_MAX / 2) {
		problem(w, where, loc, "skipped", "too large to read (%llu bytes)",
			(unsigned long long)size);
	} else if (e->has_fd) {
		/* sealed: mapped, and handed on as it is (no copy; it cannot change or shrink) */
		s->reserve(s->arg, size);
		obj->flight = size;
		obj->data = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, e->fd, 0);
		if (obj->data == MAP_FAILED || (obj->spool_fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
			problem(w, where, loc, "error", "cannot map it: %s", strerror(errno));
			if (obj->data != MAP_FAILED)
				munmap(obj->data, (size_t)size);
			obj->data = NULL;
		} else {
			obj->map_len = obj->len = (size_t)size;
			obj->sealed = obj->read = 1;
		}
	} else {
		s->reserve(s->arg, size);
		obj->flight = size;
		read_stream(w, e, size, obj, where, loc, allocated);
	}
	obj->location = loc;
	s->object(s->arg, where, obj);
	return;
out:
	free(where);
	free(loc);
}

/* libtsk's reads of one attribute, as image_entry's read. */
static ssize_t
tsk_attr_read(void *ctx, uint64_t off, void *buf, size_t len, char **why)
{
	ssize_t got = tsk_fs_attr_read(ctx, (TSK_OFF_T)off, buf, len, TSK_FS_FILE_READ_FLAG_NONE);

	if (got <= 0)
		*why = image_tsk_reason("short read");
	return got;
}

/* One stream of a file libtsk walked. */
static void
queue_stream(struct iwalk *w, TSK_FS_FILE *f, const TSK_FS_ATTR *attr, const char *path,
	     const char *stream, int allocated, int scan)
{
	const TSK_FS_META *m = f->meta;
	struct image_entry e = {
		.path = path,
		.inode = (int64_t)m->addr,
		.mode = S_IFREG | (m->mode & 07777),
		.uid = m->uid,
		.gid = m->gid,
		.nlink = m->nlink,
		.size = attr ? (uint64_t)attr->size : (uint64_t)m->size,
		.atime_ns = tsk_ns(m->atime, m->atime_nano),
		.mtime_ns = tsk_ns(m->mtime, m->mtime_nano),
		.ctime_ns = tsk_ns(m->ctime, m->ctime_nano),
		.btime_ns = tsk_ns(m->crtime, m->crtime_nano),
		.have_btime = m->crtime != 0,
		.read = attr ? tsk_attr_read : NULL,
		.ctx = (void *)attr,
	};

	queue_entry(w, &e, stream, allocated, scan);
}

/* HFS+ and APFS (libtsk gives both the same attribute types) */
static int
is_mac(TSK_FS_TYPE_ENUM t)
{
	return TSK_FS_TYPE_ISHFS(t) || TSK_FS_TYPE_ISAPFS(t);
}

/* Does the file have this attribute type (an HFS+ or APFS compression record)? */
static int
has_attr(TSK_FS_FILE *f, TSK_FS_ATTR_TYPE_ENUM type)
{
	int i, n = tsk_fs_file_attr_getsize(f);

	for (i = 0; i < n; i++) {
		const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(f, i);

		if (a != NULL && a->type == type)
			return 1;
	}
	return 0;
}

/*
 * The data streams of a file: the default one; on NTFS each named $DATA attribute; on HFS+
 * and APFS the resource fork ("rsrc", as macOS names it file/..namedfork/rsrc), unless the
 * file is compressed (decmpfs keeps the compressed bytes there, and the default stream is
 * already them decompressed).
 */
static void
queue_file(struct iwalk *w, TSK_FS_FILE *f, const char *path, int allocated, int scan)
{
	const TSK_FS_ATTR *def = tsk_fs_file_attr_get(f);
	int i, n, mac = is_mac(w->fs->ftype);

	tsk_error_reset();
	queue_stream(w, f, def, path, NULL, allocated, scan);
	if (!scan || (!TSK_FS_TYPE_ISNTFS(w->fs->ftype) && !mac))
		return;
	if (mac && has_attr(f, TSK_FS_ATTR_TYPE_HFS_COMP_REC))
		return;
	n = tsk_fs_file_attr_getsize(f);
	for (i = 0; i < n && !stopped(w); i++) {
		const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(f, i);

		if (a == NULL || a == def)
			continue;
		if (mac && a->type == TSK_FS_ATTR_TYPE_HFS_RSRC && a->size > 0)
			queue_stream(w, f, a, path, "rsrc", allocated, 1);
		else if (!mac && a->type == TSK_FS_ATTR_TYPE_NTFS_DATA && a->name != NULL &&
			 a->name[0] != '\0' && strcmp(a->name, "$Data") != 0)
			queue_stream(w, f, a, path, a->name, allocated, 1);
	}
	tsk_error_reset();
}

/* Is path one to queue (a quick scan's folders, the exclusions)? Counts the excluded. */
static int
wanted(struct iwalk *w, const char *path)
{
	if (!in_quick(w, path))
		return 0;
	return !w->s->excluded(w->s->arg, path);
}

static TSK_WALK_RET_ENUM
walk_cb(TSK_FS_FILE *f, const char *dir, void *ptr)
{
	struct iwalk *w = ptr;
	const char *name;
	char *path;
	int allocated, scan;

	if (stopped(w))
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
	/* HFS+'s own files (catalog, extents, allocation, attributes...: the reserved catalog
	 * node IDs) are the file system, not files on it */
	if (TSK_FS_TYPE_ISHFS(w->fs->ftype) && f->meta->addr < HFS_FIRST_USER_CNID)
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
	/* not wanted: still seen when it is one of the system's identity (image_ident.c) */
	scan = wanted(w, path);
	if (!scan && !(allocated && image_ident_path(path))) {
		free(path);
		return TSK_WALK_CONT;
	}
	if (scan)
		w->s->current(w->s->arg, path);
	queue_file(w, f, path, allocated, scan);
	free(path);
	return TSK_WALK_CONT;
}

/* A file of an XFS or btrfs volume (image_xfs_walk's and image_btrfs_walk's callback). */
static int
own_entry(void *arg, const struct image_entry *e)
{
	struct iwalk *w = arg;

	if (stopped(w))
		return 1;
	w->files++;
	if (wanted(w, e->path)) {
		w->s->current(w->s->arg, e->path);
		queue_entry(w, e, NULL, 1, 1);
	} else if (image_ident_path(e->path)) {
		queue_entry(w, e, NULL, 1, 0);
	}
	return 0;
}

/* The walk stopped or lost folders: the volume is partial, and says why once. */
static void
volume_partial(struct iwalk *w, const char *prefix, char *why)
{
	char *text = NULL;

	if (why && prefix && asprintf(&text, "%s%s", prefix, why) < 0)
		text = NULL;
	image_volume_fail(w->vol, "partial", text ? text : why);
	if (text)
		free(why);
	volume_problem(w, "error", w->vol->reason ? w->vol->reason : "the walk stopped");
}

/* A file system libtsk does not read: XFS (libfsxfs), btrfs (btrfs restore). */
static void
walk_own(struct iwalk *w, const char *fs)
{
	struct volume *v = w->vol;
	char *why = NULL;
	int r = strcmp(fs, "xfs") == 0
			? image_xfs_walk(v->img, v->offset, v->length, own_entry, w, &why)
			: image_btrfs_walk(v->img, v->offset, v->length, w->s, own_entry, w, &why);

	if (r < 0 && !stopped(w) && w->files == 0) {
		/* nothing read at all */
		image_volume_fail(v, "error", why);
		volume_problem(w, "error", v->reason ? v->reason : "cannot be read");
	} else if (r < 0 && !stopped(w)) {
		volume_partial(w, NULL, why ? why : strdup("the walk stopped"));
	} else {
		free(why);
	}
}

static void
walk_tsk(struct iwalk *w)
{
	struct scanner_image *im = w->im;
	struct volume *v = w->vol;
	TSK_FS_DIR_WALK_FLAG_ENUM flags = TSK_FS_DIR_WALK_FLAG_ALLOC | TSK_FS_DIR_WALK_FLAG_RECURSE;
	TSK_INUM_T inum;

	if (im->quick.n > 0 &&
	    (TSK_FS_TYPE_ISNTFS(w->fs->ftype) || TSK_FS_TYPE_ISFAT(w->fs->ftype)) &&
	    tsk_fs_path2inum(w->fs, "/Windows/System32", &inum, NULL) == 0)
		w->windows = 1;
	tsk_error_reset();
	if (im->deleted)
		flags |= TSK_FS_DIR_WALK_FLAG_UNALLOC;
	else
		flags |= TSK_FS_DIR_WALK_FLAG_NOORPHAN;
	free(image_read_failure(v->img)); /* opening the file system: it is open */
	if (tsk_fs_dir_walk(w->fs, w->fs->root_inum, flags, walk_cb, w) != 0 &&
	    !stopped(w)) {
		char *why = image_tsk_reason("the walk stopped");

		volume_partial(w, NULL, why ? why : strdup("the walk stopped"));
	}
	keep_lost(w, image_read_failure(v->img));
	if (w->lost && strcmp(v->status, "scanned") == 0 && !stopped(w)) {
		/* a folder or inode table that libtsk could not read, and went on without */
		volume_partial(w, "parts of its folders could not be read: ", w->lost);
		w->lost = NULL;
	}
}

static void
walk_volume(const struct image_sink *s, struct scanner_image *im, struct volume *v)
{
	struct iwalk w = { .s = s, .im = im, .vol = v };
	const char *own = NULL;
	char *why = NULL;

	if (strcmp(v->status, "container") == 0 ||
	    (strcmp(v->status, "skipped") == 0 && v->reason != NULL))
		return; /* its volumes follow it; or nothing in it holds files (swap) */
	if (strcmp(v->status, "error") == 0) {
		/* found when the image was opened: a locked volume, an unreadable container */
		volume_problem(&w, "error", v->reason ? v->reason : "cannot be read");
		return;
	}
	w.fs = image_volume_fs(im, v, &own, &why);
	if (w.fs == NULL && own == NULL) {
		image_volume_fail(v, "error", why);
		volume_problem(&w, "error", why ? why : "cannot open a file system");
		return;
	}
	v->fs = w.fs ? tsk_fs_type_toname(w.fs->ftype) : own;
	v->status = "scanned";
	if (v->offset + v->length > (int64_t)v->img->size) {
		/* a truncated image: what lies beyond its end is lost, say so once */
		if (asprintf(&why, "the image ends %lld bytes into this volume of %lld bytes: "
			     "files beyond its end cannot be read (a truncated image?)",
			     (long long)((int64_t)v->img->size - v->offset),
			     (long long)v->length) < 0)
			why = NULL;
		image_volume_fail(v, "partial", why);
		volume_problem(&w, "error", why ? why : "the image ends inside this volume");
	}
	if (own)
		walk_own(&w, own);
	else
		walk_tsk(&w);
	free(w.lost);
	if (w.fs)
		tsk_fs_close(w.fs);
}

void
image_walk_volumes(struct scanner_image *im, const struct image_sink *s)
{
	size_t i;

	for (i = 0; i < im->nv && !s->stopped(s->arg); i++)
		if (im->v[i].selected)
			walk_volume(s, im, &im->v[i]);
}
