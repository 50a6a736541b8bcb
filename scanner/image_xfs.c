/*
 * scanner/image_xfs.c — the regular files of an XFS volume, for the image walker: libtsk 4.11
 * reads no XFS, so the volume is read with libfsxfs (Debian 12: 20201117) through an
 * image_bfio handle over vigil's view of it (a partition, a logical volume, a decrypted LUKS
 * volume).
 *
 * The folders are walked with a stack of their own (a hostile volume can nest them as deep as
 * it likes) and each folder inode is walked once (a hostile volume can link a folder into
 * itself or into its children). A folder that cannot be read is skipped: the rest of the
 * volume is still walked, and the first such failure is what *why says. A file with two
 * names (a hard link) is given once for each, as libtsk's walk does.
 *
 * Where libfsxfs 20201117 falls short:
 *  - it gives no link count, and it predates XFS's big timestamps (mkfs.xfs 6.1's default:
 *    64-bit nanoseconds since 1901), which it reads as seconds and nanoseconds (garbage); it
 *    also subtracts the nanoseconds of a modification, change or creation time at or before
 *    1970. So each file's inode core is read here too (its place follows from its number).
 *  - it predates large extent counts (xfsprogs 6.5's default), and then sees every file and
 *    folder empty: see struct xfs_shim.
 *  - it reads every allocation group's header when it opens a volume: a volume cut short is
 *    not opened at all.
 *  - it gives nothing of a name that is not UTF-8: see xfs_name_get.
 */
#include "scanner/image_int.h"

#include <libfsxfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Folders nested deeper than this are not walked (their paths are longer than PATH_MAX). */
#define XFS_DEPTH_MAX 4096
/* Bytes asked of libfsxfs in one read (it refuses more than SSIZE_MAX). */
#define XFS_READ_MAX ((size_t)1 << 30)
/* The inode core, up to di_ino (version 3; versions 1 and 2 have less, and inodes more). */
#define XFS_CORE 160
#define XFS_DIFLAG2_BIGTIME 0x8
#define XFS_DIFLAG2_NREXT64 0x10
#define XFS_SB_FEAT_INCOMPAT_NREXT64 0x20
#define NS 1000000000LL
#define NOPATH SIZE_MAX

/* What the superblock says of where inodes are, to read their cores without libfsxfs. */
struct xfs_geo {
	uint64_t dblocks;	/* the volume's size, in blocks */
	uint64_t len;		/* bytes of it there are */
	uint32_t blocksize, agblocks, agcount;
	uint32_t incompat;	/* version 5's incompatible features */
	uint16_t inodesize;
	uint8_t inopblog, agblklog;
	int valid;
};

/* A folder being walked: its entries, the next one, and the length of its path. */
struct xfs_frame {
	libfsxfs_file_entry_t *dir;
	int n, next;
	size_t pathlen;
};

struct xfs_walk {
	TSK_IMG_INFO *img;
	int64_t off;
	struct xfs_geo geo;
	image_entry_fn fn;
	void *arg;
	char *path;		/* a folder's path ("" for the root), then "/name" of an entry */
	size_t pathcap;
	struct xfs_frame *stack;
	size_t depth, stackcap;
	uint64_t *seen;		/* folder inodes walked: open addressing, 0 for a free slot */
	size_t nseen, seencap;
	int seen0;		/* inode 0 (not a valid one) was walked */
	char *failure;		/* the first thing that could not be read */
	size_t failures;
	int stopped;		/* by fn, or out of memory */
};

/* A regular file being handed to fn: what its read needs. */
struct xfs_file {
	libfsxfs_file_entry_t *entry;
	uint64_t size;
	const char *path;
};

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* libfsxfs's error on one line (image_yal_reason; malloc'd, or NULL). Frees e. */
static char *
xfs_error_text(libfsxfs_error_t *e)
{
	char raw[2048];
	int n = e != NULL ? libfsxfs_error_backtrace_sprint(e, raw, sizeof(raw)) : 0;

	libfsxfs_error_free(&e);
	return image_yal_reason(raw, n);
}

/*
 * Remember that what could not be read, and why: what is said of the folder whose path ends
 * at pathlen, or of the volume (NOPATH).
 */
static void
xfs_fail(struct xfs_walk *w, size_t pathlen, const char *what, const char *detail)
{
	int r;

	if (w->failures++ > 0)
		return;
	if (pathlen == NOPATH)
		r = asprintf(&w->failure, "%s: %s", what, detail);
	else {
		w->path[pathlen] = '\0';
		r = asprintf(&w->failure, "%s %s: %s", what, pathlen > 0 ? w->path : "/", detail);
	}
	if (r < 0)
		w->failure = NULL;
}

static void
xfs_fail_lib(struct xfs_walk *w, size_t pathlen, const char *what, libfsxfs_error_t *e)
{
	char *msg = xfs_error_text(e);

	xfs_fail(w, pathlen, what, msg != NULL ? msg : "out of memory");
	free(msg);
}

/*
 * Free what libfsxfs left behind with a success: it goes on without an allocation group's
 * inode information (at open), and leaves its error set.
 */
static void
xfs_drop(libfsxfs_error_t **e)
{
	if (*e != NULL)
		libfsxfs_error_free(e);
}

static void
xfs_nomem(struct xfs_walk *w)
{
	w->stopped = 1;
	free(w->failure);
	w->failure = strdup("out of memory");
	w->failures = 1;
}

/* The superblock's geometry, checked enough for an inode's place to be computed. */
static void
xfs_geo_read(struct xfs_geo *g, const uint8_t *sb)
{
	g->blocksize = be32(sb + 4);
	g->dblocks = be64(sb + 8);
	g->agblocks = be32(sb + 84);
	g->agcount = be32(sb + 88);
	g->inodesize = be16(sb + 104);
	g->inopblog = sb[123];
	g->agblklog = sb[124];
	g->incompat = (be16(sb + 100) & 0xf) == 5 ? be32(sb + 216) : 0;
	g->valid = g->blocksize >= 512 && g->blocksize <= 65536 &&
		   (g->blocksize & (g->blocksize - 1)) == 0 && g->inodesize >= 256 &&
		   g->inodesize <= g->blocksize && (g->inodesize & (g->inodesize - 1)) == 0 &&
		   g->inopblog < 16 && (1u << g->inopblog) == g->blocksize / g->inodesize &&
		   g->agblklog < 32 && g->agblocks > 0 && g->agblocks <= (1u << g->agblklog) &&
		   g->agcount > 0;
}

/* Where inode ino is in the volume: 1, or 0 when that is not in it. */
static int
xfs_inode_at(const struct xfs_geo *g, uint64_t ino, uint64_t *at)
{
	uint64_t agno, agbno, idx, blk;

	if (!g->valid)
		return 0;
	agno = ino >> (g->agblklog + g->inopblog);
	agbno = (ino >> g->inopblog) & ((1ull << g->agblklog) - 1);
	idx = ino & ((1ull << g->inopblog) - 1);
	if (agno >= g->agcount || agbno >= g->agblocks)
		return 0;
	/* < 2^32 * 2^32 blocks, of at most 2^16 bytes: bounded by the volume first */
	blk = agno * g->agblocks + agbno;
	if (blk >= g->len / g->blocksize)
		return 0;
	*at = blk * g->blocksize + idx * g->inodesize;
	return *at + g->inodesize <= g->len;
}

/* Read the core of inode ino straight from the volume: 1, or 0 when it is not there. */
static int
xfs_core(struct xfs_walk *w, uint64_t ino, uint8_t *core)
{
	uint64_t at;

	if (!xfs_inode_at(&w->geo, ino, &at) ||
	    tsk_img_read(w->img, w->off + (int64_t)at, (char *)core, XFS_CORE) != XFS_CORE)
		return 0;
	if (be16(core) != 0x494e || core[4] < 1 || core[4] > 3)
		return 0; /* not "IN", or a version libfsxfs would not have read either */
	return core[4] < 3 || be64(core + 152) == ino;
}

/*
 * An XFS time in nanoseconds since 1970. Big (a version 3 inode flagged so): nanoseconds since
 * 1901-12-13T20:45:52Z, unsigned, up to 2486 (past what int64_t nanoseconds hold: clamped).
 * Else signed seconds, then nanoseconds.
 */
static int64_t
xfs_time(const uint8_t *p, int big)
{
	const uint64_t epoch = ((uint64_t)INT32_MAX + 1) * NS;
	uint64_t v = be64(p);

	if (!big)
		return (int64_t)(int32_t)be32(p) * NS + be32(p + 4);
	if (v < epoch)
		return -(int64_t)(epoch - v);
	return v - epoch > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(v - epoch);
}

/* Link count and times, from the inode core; from libfsxfs when that cannot be read. */
static void
xfs_times(struct xfs_walk *w, libfsxfs_file_entry_t *f, uint64_t ino, struct image_entry *e)
{
	uint8_t c[XFS_CORE];
	int big;

	if (!xfs_core(w, ino, c)) {
		/* not expected, as libfsxfs read that inode: no link count (0), and libfsxfs's
		 * times, right only when they are small ones after 1970 */
		libfsxfs_file_entry_get_access_time(f, &e->atime_ns, NULL);
		libfsxfs_file_entry_get_modification_time(f, &e->mtime_ns, NULL);
		libfsxfs_file_entry_get_inode_change_time(f, &e->ctime_ns, NULL);
		e->have_btime = libfsxfs_file_entry_get_creation_time(f, &e->btime_ns, NULL) == 1;
		return;
	}
	big = c[4] == 3 && (be64(c + 120) & XFS_DIFLAG2_BIGTIME);
	e->nlink = c[4] == 1 ? be16(c + 6) : be32(c + 16);
	e->atime_ns = xfs_time(c + 32, big);
	e->mtime_ns = xfs_time(c + 40, big);
	e->ctime_ns = xfs_time(c + 48, big);
	if (c[4] == 3) {
		e->btime_ns = xfs_time(c + 144, big);
		e->have_btime = 1;
	}
}

/* Mark a folder inode walked: 1 if it was not, 0 if it was, -1 out of memory. */
static int
xfs_seen_add(struct xfs_walk *w, uint64_t ino)
{
	size_t i, mask;

	if (ino == 0) {
		i = !w->seen0;
		w->seen0 = 1;
		return (int)i;
	}
	if (2 * (w->nseen + 1) > w->seencap) {
		uint64_t *old = w->seen;
		size_t oldcap = w->seencap, cap = oldcap ? 2 * oldcap : 256;

		if ((w->seen = calloc(cap, sizeof(*w->seen))) == NULL) {
			w->seen = old;
			return -1;
		}
		w->seencap = cap;
		w->nseen = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i] != 0)
				xfs_seen_add(w, old[i]);
		free(old);
	}
	mask = w->seencap - 1;
	for (i = (size_t)((ino * 0x9e3779b97f4a7c15ull) >> 32) & mask; w->seen[i] != 0;
	     i = (i + 1) & mask)
		if (w->seen[i] == ino)
			return 0;
	w->seen[i] = ino;
	w->nseen++;
	return 1;
}

/* Room for a path of len bytes and its NUL: 0, or -1. */
static int
xfs_path_room(struct xfs_walk *w, size_t len)
{
	size_t cap = w->pathcap ? w->pathcap : 256;
	char *p;

	if (len < w->pathcap)
		return 0;
	while (cap <= len)
		cap *= 2;
	if ((p = realloc(w->path, cap)) == NULL)
		return -1;
	w->path = p;
	w->pathcap = cap;
	return 0;
}

static ssize_t
xfs_read(void *ctx, uint64_t off, void *buf, size_t len, char **why)
{
	struct xfs_file *f = ctx;
	size_t done = 0;

	*why = NULL;
	if (off >= f->size)
		return 0;
	if (len > f->size - off)
		len = (size_t)(f->size - off);
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	while (done < len) {
		size_t ask = len - done < XFS_READ_MAX ? len - done : XFS_READ_MAX;
		libfsxfs_error_t *e = NULL;
		char *msg;
		ssize_t got;

		got = libfsxfs_file_entry_read_buffer_at_offset(f->entry, (uint8_t *)buf + done, ask,
								(off64_t)(off + done), &e);
		if (got < 0) {
			msg = xfs_error_text(e);
			if (asprintf(why, "cannot read the file %s: %s", f->path,
				     msg != NULL ? msg : "out of memory") < 0)
				*why = NULL;
			free(msg);
			return -1;
		}
		xfs_drop(&e);
		if (got == 0)
			break; /* libfsxfs maps less than the size: its end of the stream */
		done += (size_t)got;
	}
	return (ssize_t)done;
}

/* Hand the regular file f, whose path is w->path, to fn. */
static void
xfs_give(struct xfs_walk *w, libfsxfs_file_entry_t *f, uint16_t mode)
{
	struct xfs_file file = { .entry = f, .path = w->path };
	struct image_entry e;
	uint64_t ino = 0;
	size64_t size = 0;

	memset(&e, 0, sizeof(e));
	libfsxfs_file_entry_get_inode_number(f, &ino, NULL);
	libfsxfs_file_entry_get_owner_identifier(f, &e.uid, NULL);
	libfsxfs_file_entry_get_group_identifier(f, &e.gid, NULL);
	libfsxfs_file_entry_get_size(f, &size, NULL);
	e.path = w->path;
	e.inode = (int64_t)ino;
	e.mode = mode;
	e.size = size;
	xfs_times(w, f, ino, &e);
	file.size = size;
	e.read = xfs_read;
	e.ctx = &file;
	if (w->fn(w->arg, &e) != 0)
		w->stopped = 1;
}

/*
 * The name of sub, in name (size bytes, NUL-terminated): libfsxfs's UTF-8, with '/' and
 * control characters made '^' (libtsk's mark for them in FAT and NTFS names). libfsxfs gives
 * nothing of a name that is not UTF-8 (it reads an overlong one: "\xc0\xaf" is '/'), nor does
 * it say how long it was: such a name, and one that reads as "", "." or "..", is "^(inode N)".
 */
static int
xfs_name_get(libfsxfs_file_entry_t *sub, char *name, size_t size)
{
	uint64_t ino = 0;
	char *p;

	if (libfsxfs_file_entry_get_utf8_name(sub, (uint8_t *)name, size, NULL) == 1) {
		name[size - 1] = '\0';
		for (p = name; *p != '\0'; p++)
			if (*p == '/' || (unsigned char)*p < 0x20)
				*p = '^';
		if (name[0] != '\0' && strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
			return 0;
	}
	libfsxfs_file_entry_get_inode_number(sub, &ino, NULL);
	return snprintf(name, size, "^(inode %llu)", (unsigned long long)ino) < 0 ? -1 : 0;
}

/* Append "/" and the name of sub to the path of its folder (at pathlen): the new length. */
static size_t
xfs_name(struct xfs_walk *w, libfsxfs_file_entry_t *sub, size_t pathlen)
{
	size_t size = 0;

	if (libfsxfs_file_entry_get_utf8_name_size(sub, &size, NULL) != 1 || size < 32)
		size = 32; /* room for "^(inode N)" */
	if (xfs_path_room(w, pathlen + size) < 0) {
		xfs_nomem(w);
		return 0;
	}
	if (xfs_name_get(sub, w->path + pathlen + 1, size) < 0)
		return 0;
	w->path[pathlen] = '/';
	return pathlen + 1 + strlen(w->path + pathlen + 1);
}

/* Walk the folder dir (taken), whose path ends at pathlen, unless it was walked already. */
static void
xfs_enter(struct xfs_walk *w, libfsxfs_file_entry_t *dir, size_t pathlen)
{
	libfsxfs_error_t *e = NULL;
	uint64_t ino = 0;
	int n = 0, r;

	libfsxfs_file_entry_get_inode_number(dir, &ino, NULL);
	if ((r = xfs_seen_add(w, ino)) <= 0) {
		if (r < 0)
			xfs_nomem(w);
		goto out; /* a loop, or a folder linked twice: walked once is enough */
	}
	if (w->depth >= XFS_DEPTH_MAX) {
		xfs_fail(w, pathlen, "cannot walk the folder", "it is nested too deep");
		goto out;
	}
	if (libfsxfs_file_entry_get_number_of_sub_file_entries(dir, &n, &e) != 1) {
		xfs_fail_lib(w, pathlen, "cannot read the folder", e);
		goto out;
	}
	xfs_drop(&e);
	if (w->depth == w->stackcap) {
		size_t cap = w->stackcap ? 2 * w->stackcap : 32;
		struct xfs_frame *s = realloc(w->stack, cap * sizeof(*s));

		if (s == NULL) {
			xfs_nomem(w);
			goto out;
		}
		w->stack = s;
		w->stackcap = cap;
	}
	w->stack[w->depth++] = (struct xfs_frame){ .dir = dir, .n = n, .pathlen = pathlen };
	return;
out:
	libfsxfs_file_entry_free(&dir, NULL);
}

/* Entry i of the folder dir, whose path ends at pathlen. */
static void
xfs_visit(struct xfs_walk *w, libfsxfs_file_entry_t *dir, size_t pathlen, int i)
{
	libfsxfs_file_entry_t *sub = NULL;
	libfsxfs_error_t *e = NULL;
	uint16_t mode = 0;
	size_t end;

	if (libfsxfs_file_entry_get_sub_file_entry_by_index(dir, i, &sub, &e) != 1) {
		xfs_fail_lib(w, pathlen, "cannot read an entry of the folder", e);
		return;
	}
	xfs_drop(&e);
	end = xfs_name(w, sub, pathlen);
	if (end > 0 && libfsxfs_file_entry_get_file_mode(sub, &mode, NULL) == 1) {
		if (S_ISDIR(mode)) {
			xfs_enter(w, sub, end);
			return;
		}
		if (S_ISREG(mode))
			xfs_give(w, sub, mode);
	}
	libfsxfs_file_entry_free(&sub, NULL);
}

/* Walk from the root (pushed), depth first, until the end or until stopped. */
static void
xfs_walk_tree(struct xfs_walk *w)
{
	struct xfs_frame *f;

	while (w->depth > 0) {
		f = &w->stack[w->depth - 1];
		if (w->stopped || f->next >= f->n) {
			libfsxfs_file_entry_free(&f->dir, NULL);
			w->depth--;
			continue;
		}
		xfs_visit(w, f->dir, f->pathlen, f->next++);
	}
}

/*
 * Large extent counts (nrext64, mkfs.xfs's default since xfsprogs 6.5): an inode flagged so
 * keeps the extent count of its data in the 64 bits at byte 24, and libfsxfs 20201117 reads
 * the 32 bits at byte 76 (now the count of its attributes' extents, mostly 0): it sees empty
 * files and folders, and says nothing. So libfsxfs reads such a volume through this handle
 * over image_bfio's, which puts the count where libfsxfs looks in each inode it reads (alone,
 * in one read of the inode size). Only an inode is changed: "IN", version 3, flagged, its own
 * number where it was read from.
 */
struct xfs_shim {
	libbfio_handle_t *inner;	/* image_bfio's, not owned */
	const struct xfs_geo *geo;
	off64_t pos;
	int open;
};

static void
xfs_nrext64_fix(const struct xfs_geo *g, uint64_t from, uint8_t *buf, size_t len)
{
	uint64_t at, n;

	if (len != g->inodesize || be16(buf) != 0x494e || buf[4] != 3 ||
	    !(be64(buf + 120) & XFS_DIFLAG2_NREXT64) || !xfs_inode_at(g, be64(buf + 152), &at) ||
	    at != from)
		return;
	n = be64(buf + 24);
	if (n > UINT32_MAX)
		n = UINT32_MAX; /* more than libfsxfs reads anyway */
	buf[76] = (uint8_t)(n >> 24);
	buf[77] = (uint8_t)(n >> 16);
	buf[78] = (uint8_t)(n >> 8);
	buf[79] = (uint8_t)n;
}

static ssize_t
shim_read(intptr_t *io, uint8_t *buf, size_t size, libbfio_error_t **e)
{
	struct xfs_shim *s = (struct xfs_shim *)io;
	ssize_t got;

	if (libbfio_handle_seek_offset(s->inner, s->pos, SEEK_SET, e) != s->pos ||
	    (got = libbfio_handle_read_buffer(s->inner, buf, size, e)) < 0)
		return -1;
	xfs_nrext64_fix(s->geo, (uint64_t)s->pos, buf, (size_t)got);
	s->pos += got;
	return got;
}

static off64_t
shim_seek(intptr_t *io, off64_t offset, int whence, libbfio_error_t **e)
{
	struct xfs_shim *s = (struct xfs_shim *)io;
	size64_t size = 0;

	if (whence == SEEK_CUR)
		offset += s->pos;
	else if (whence == SEEK_END) {
		if (libbfio_handle_get_size(s->inner, &size, e) != 1)
			return -1;
		offset += (off64_t)size;
	} else if (whence != SEEK_SET)
		return -1;
	if (offset < 0)
		return -1;
	return s->pos = offset;
}

static int
shim_size(intptr_t *io, size64_t *size, libbfio_error_t **e)
{
	return libbfio_handle_get_size(((struct xfs_shim *)io)->inner, size, e);
}

static int
shim_free(intptr_t **io, libbfio_error_t **e)
{
	(void)e;
	free(*io);
	*io = NULL;
	return 1;
}

static int
shim_open(intptr_t *io, int flags, libbfio_error_t **e)
{
	(void)e;
	if (flags & LIBBFIO_ACCESS_FLAG_WRITE)
		return -1;
	((struct xfs_shim *)io)->open = 1;
	return 1;
}

static int
shim_close(intptr_t *io, libbfio_error_t **e)
{
	(void)e;
	((struct xfs_shim *)io)->open = 0;
	return 0;
}

static int
shim_is_open(intptr_t *io, libbfio_error_t **e)
{
	(void)e;
	return ((struct xfs_shim *)io)->open;
}

static int
shim_exists(intptr_t *io, libbfio_error_t **e)
{
	(void)io;
	(void)e;
	return 1;
}

/* The handle libfsxfs reads through: inner itself, or the shim over it (NULL: no memory). */
static libbfio_handle_t *
xfs_shim_open(const struct xfs_geo *g, libbfio_handle_t *inner)
{
	struct xfs_shim *s;
	libbfio_handle_t *h = NULL;

	if (!(g->incompat & XFS_SB_FEAT_INCOMPAT_NREXT64))
		return inner;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->inner = inner;
	s->geo = g;
	/* no clone function: libfsxfs clones no handle */
	if (libbfio_handle_initialize(&h, (intptr_t *)s, shim_free, NULL, shim_open, shim_close,
				      shim_read, NULL, shim_seek, shim_exists, shim_is_open,
				      shim_size, LIBBFIO_FLAG_IO_HANDLE_MANAGED, NULL) != 1) {
		free(s);
		return NULL;
	}
	if (libbfio_handle_open(inner, LIBBFIO_OPEN_READ, NULL) != 1) {
		libbfio_handle_free(&h, NULL);
		return NULL;
	}
	return h;
}

static void
xfs_shim_close(libbfio_handle_t *h, libbfio_handle_t *inner)
{
	if (h == inner)
		return;
	libbfio_handle_close(inner, NULL);
	libbfio_handle_free(&h, NULL);
}

/*
 * libfsxfs could not open the volume: it reads every allocation group's superblock first, so
 * a volume cut short (an image acquired in part) is not opened at all; say so.
 */
static void
xfs_fail_open(struct xfs_walk *w, libfsxfs_error_t *e)
{
	const struct xfs_geo *g = &w->geo;
	char what[128] = "cannot open the XFS volume";
	uint64_t want;

	if (g->valid && !__builtin_mul_overflow(g->dblocks, g->blocksize, &want) && g->len < want)
		snprintf(what, sizeof(what), "cannot open the XFS volume (cut short: %llu of its %llu "
			 "bytes are there)", (unsigned long long)g->len, (unsigned long long)want);
	xfs_fail_lib(w, NOPATH, what, e);
}

/* Open the volume through h and walk it. */
static void
xfs_walk_volume(struct xfs_walk *w, libbfio_handle_t *h)
{
	libfsxfs_volume_t *vol = NULL;
	libfsxfs_file_entry_t *root = NULL;
	libfsxfs_error_t *e = NULL;

	if (libfsxfs_volume_initialize(&vol, &e) != 1) {
		xfs_fail_lib(w, NOPATH, "cannot open the XFS volume", e);
		return;
	}
	xfs_drop(&e);
	if (libfsxfs_volume_open_file_io_handle(vol, h, LIBFSXFS_OPEN_READ, &e) != 1) {
		xfs_fail_open(w, e);
		libfsxfs_volume_free(&vol, NULL);
		return;
	}
	if (e != NULL) {
		/* opened without it: its inodes, and those of the groups after it, are amiss */
		xfs_fail_lib(w, NOPATH, "cannot read the inode B+ tree of an allocation group", e);
		e = NULL;
	}
	if (libfsxfs_volume_get_root_directory(vol, &root, &e) != 1)
		xfs_fail_lib(w, 0, "cannot read the folder", e); /* the root: "/" */
	else {
		xfs_drop(&e);
		xfs_enter(w, root, 0);
		xfs_walk_tree(w);
	}
	libfsxfs_volume_close(vol, NULL);
	libfsxfs_volume_free(&vol, NULL);
}

/* What the walk returns: 1, or -1 with *why the first failure and how many more. */
static int
xfs_result(struct xfs_walk *w, char **why)
{
	char *more = NULL;

	if (w->failures == 0)
		return 1;
	if (w->failures > 1 && w->failure != NULL &&
	    asprintf(&more, "%s (and %zu more)", w->failure, w->failures - 1) >= 0) {
		free(w->failure);
		w->failure = more;
	}
	*why = w->failure != NULL ? w->failure : strdup("out of memory");
	return -1;
}

int
image_xfs_walk(TSK_IMG_INFO *img, int64_t off, int64_t len, image_entry_fn fn, void *arg,
	       char **why)
{
	struct xfs_walk w = { .img = img, .off = off, .fn = fn, .arg = arg };
	libbfio_handle_t *h, *via;
	uint8_t sb[512];
	ssize_t got;

	*why = NULL;
	got = len >= (int64_t)sizeof(sb) ? tsk_img_read(img, off, (char *)sb, sizeof(sb)) : -1;
	if (got < 4 || memcmp(sb, "XFSB", 4) != 0)
		return 0;
	if (got < (ssize_t)sizeof(sb)) {
		*why = strdup("cannot read the XFS superblock");
		return -1;
	}
	xfs_geo_read(&w.geo, sb);
	w.geo.len = (uint64_t)len < img->size - (uint64_t)off ? (uint64_t)len
							     : img->size - (uint64_t)off;
	if ((h = image_bfio_open(img, off, len, why)) == NULL)
		return -1;
	if (xfs_path_room(&w, 0) < 0 || (via = xfs_shim_open(&w.geo, h)) == NULL) {
		free(w.path);
		image_bfio_close(h);
		*why = strdup("out of memory");
		return -1;
	}
	w.path[0] = '\0';
	xfs_walk_volume(&w, via);
	xfs_shim_close(via, h);
	image_bfio_close(h);
	free(w.stack);
	free(w.seen);
	free(w.path);
	return xfs_result(&w, why);
}
