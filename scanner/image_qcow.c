/*
 * scanner/image_qcow.c — what the libqcow of Debian 12 (20201213) reads wrongly in a QCOW2
 * file, found in its tables when image_vdisk.c opens it, so that vd_read can keep libqcow
 * away from it:
 *
 *  - a cluster cut short by the end of the file: libqcow reads what is left into a buffer of
 *    that size, then copies a whole cluster out of it (a heap over-read of up to 2 MiB, a
 *    crash with large clusters; fixed upstream in 2026). A truncated image has one, and a
 *    hostile one can point at it from as many L2 entries as it likes. Never read: its bytes
 *    are a read error (a problem of the file or of the volume that needs them).
 *  - a cluster marked all-zero (QCOW2 version 3, bit 0 of its L2 entry: what a guest's
 *    write-zeroes leaves, mkfs's zeroed inode tables for one): libqcow ignores the mark and
 *    reads the cluster's old data, or the start of the file when it has none. Read as zeros.
 *
 * Each file of a chain is mapped (image_qcow_map), then image_qcow_resolve keeps of a parent's
 * clusters only those that no file above it allocates (data, compressed or all-zero: those
 * hide it), as the reads that reach the parent are exactly those.
 *
 * The tables are read as libqcow reads them (version 2 and 3; libqcow keeps whole clusters of
 * version 1): the L1 table, then each L2 table it points to. Compressed clusters are bounded
 * by the file size in libqcow. The work is bounded by the file: no more L2 tables than the
 * file has clusters, each read once.
 */
#include "scanner/image_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* More ranges than this (16 MiB of them) and the image is refused. */
#define RANGES_MAX (1u << 20)

void
image_ranges_release(struct image_ranges *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* Add [start, end) of file, merged with the last range when it continues it; -1 when full. */
static int
ranges_add(struct image_ranges *r, uint64_t start, uint64_t end, size_t file, int zero)
{
	if (r->n > 0 && r->v[r->n - 1].end == start && r->v[r->n - 1].file == file &&
	    r->v[r->n - 1].zero == zero) {
		r->v[r->n - 1].end = end;
		return 0;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct image_range *v;

		if (cap > RANGES_MAX || (v = realloc(r->v, cap * sizeof(*v))) == NULL)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = (struct image_range){ .start = start, .end = end, .file = file, .zero = zero };
	return 0;
}

static int
by_start(const void *a, const void *b)
{
	const struct image_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

void
image_ranges_settle(struct image_ranges *r)
{
	size_t i, k = 0;

	if (r->n == 0)
		return;
	qsort(r->v, r->n, sizeof(r->v[0]), by_start);
	for (i = 1; i < r->n; i++) {
		if (r->v[i].start <= r->v[k].end) {
			if (r->v[i].end > r->v[k].end)
				r->v[k].end = r->v[i].end;
		} else {
			r->v[++k] = r->v[i];
		}
	}
	r->n = k + 1;
}

const struct image_range *
image_ranges_find(const struct image_ranges *r, uint64_t off, uint64_t len)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) { /* the first range that ends after off */
		size_t mid = lo + (hi - lo) / 2;

		if (r->v[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->n && r->v[lo].start < off + len ? &r->v[lo] : NULL;
}

static uint64_t
be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void
image_qcow_map_release(struct image_qcow_map *m)
{
	image_ranges_release(&m->cut);
	image_ranges_release(&m->zero);
	image_ranges_release(&m->alloc);
	m->alloc_lost = 0;
}

int
image_qcow_map(int fd, size_t file, struct image_qcow_map *m, char **why)
{
	/* libqcow's masks for version 2 and 3: offsets are bits 0-61, bit 62 compressed */
	const uint64_t mask = 0x3fffffffffffffffULL, compressed = 1ULL << 62;
	unsigned char hdr[48], *l1 = NULL, *l2 = NULL;
	uint64_t fsize, csize, l2n, span, l1n, media, l1off, i, j, tables = 0;
	struct stat st;
	uint32_t version, bits;
	int rc = -1;

	*why = NULL;
	if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) || fstat(fd, &st) != 0) {
		*why = strdup("cannot read its header");
		return -1;
	}
	version = be32(hdr + 4);
	if (version != 2 && version != 3) {
		m->alloc_lost = 1; /* not mapped: it hides everything below it */
		return 1;
	}
	bits = be32(hdr + 20);
	if (bits < 9 || bits > 21) {
		if (asprintf(why, "its cluster size, 2^%u bytes, is not one of the format's (512 "
			     "bytes to 2 MiB)", bits) < 0)
			*why = NULL;
		return -1;
	}
	fsize = (uint64_t)st.st_size;
	csize = 1ULL << bits;
	l2n = csize / 8;
	span = csize * l2n; /* the bytes of the disk one L2 table maps */
	media = be64(hdr + 24);
	l1n = be32(hdr + 36);
	l1off = be64(hdr + 40);
	if (media / span + 1 < l1n)
		l1n = media / span + 1; /* libqcow never looks further */
	if (l1off > fsize || l1n * 8 > fsize - l1off) {
		m->alloc_lost = 1; /* libqcow could not have read it: it reads nothing through it */
		return 1;
	}
	if ((l1 = malloc(l1n * 8 + 1)) == NULL || (l2 = malloc(csize)) == NULL)
		goto out;
	if (pread(fd, l1, l1n * 8, (off_t)l1off) != (ssize_t)(l1n * 8)) {
		*why = strdup("cannot read its L1 table");
		goto out;
	}
	for (i = 0; i < l1n; i++) {
		uint64_t l2off = be64(l1 + 8 * i) & mask;

		if (l2off == 0)
			continue; /* unallocated: read from the parent */
		if (l2off >= fsize || fsize - l2off < csize) {
			/* libqcow fails on this table: nothing below shows through it */
			if (!m->alloc_lost && ranges_add(&m->alloc, i * span, (i + 1) * span, file, 0))
				m->alloc_lost = 1;
			continue;
		}
		if (++tables > fsize / csize + 1) {
			*why = strdup("it has more L2 tables than its file has clusters");
			goto out;
		}
		if (pread(fd, l2, csize, (off_t)l2off) != (ssize_t)csize) {
			*why = strdup("cannot read one of its L2 tables");
			goto out;
		}
		for (j = 0; j < l2n; j++) {
			uint64_t e = be64(l2 + 8 * j), off = e & mask, at = (i * l2n + j) * csize;
			int is_zero = version == 3 && !(e & compressed) && (e & 1);
			int is_cut = !(e & compressed) && !is_zero && off != 0 && off < fsize &&
				     fsize - off < csize;

			if ((e & (mask | compressed)) == 0)
				continue; /* unallocated: read from the parent */
			if (!m->alloc_lost && ranges_add(&m->alloc, at, at + csize, file, 0) != 0)
				m->alloc_lost = 1; /* then a parent's clusters are taken as visible */
			if ((is_zero || is_cut) &&
			    ranges_add(is_zero ? &m->zero : &m->cut, at, at + csize, file, is_zero)) {
				*why = strdup("too many of its clusters are all-zero or cut short by the "
					      "end of the file for vigil to keep track of");
				goto out;
			}
		}
	}
	rc = 1;
out:
	if (rc < 0 && *why == NULL)
		*why = strdup("out of memory");
	free(l1);
	free(l2);
	return rc;
}

/* Add to out the parts of the ranges of in that no range of hide covers (both sorted). */
static int
ranges_subtract(struct image_ranges *out, const struct image_ranges *in,
		const struct image_ranges *hide)
{
	size_t i, k = 0;

	for (i = 0; i < in->n; i++) {
		uint64_t at = in->v[i].start, end = in->v[i].end;

		while (k < hide->n && hide->v[k].end <= at)
			k++;
		while (at < end) {
			size_t h = k;

			while (h < hide->n && hide->v[h].end <= at)
				h++;
			if (h == hide->n || hide->v[h].start >= end) {
				if (ranges_add(out, at, end, in->v[i].file, in->v[i].zero) != 0)
					return -1;
				break;
			}
			if (hide->v[h].start > at &&
			    ranges_add(out, at, hide->v[h].start, in->v[i].file, in->v[i].zero) != 0)
				return -1;
			at = hide->v[h].end;
		}
	}
	return 0;
}

int
image_qcow_resolve(struct image_qcow_map *maps, size_t n, struct image_ranges *cut,
		   struct image_ranges *zero)
{
	struct image_ranges above = { 0 };
	int lost = 0, rc = 0;
	size_t k, i;

	for (k = 0; k < n && rc == 0; k++) {
		if (k == 0 || lost) {
			/* the image itself, or below a file whose map is lost: all of it shows */
			for (i = 0; i < maps[k].cut.n && rc == 0; i++)
				rc = ranges_add(cut, maps[k].cut.v[i].start, maps[k].cut.v[i].end, k, 0);
			for (i = 0; i < maps[k].zero.n && rc == 0; i++)
				rc = ranges_add(k == 0 ? zero : cut, maps[k].zero.v[i].start,
						maps[k].zero.v[i].end, k, 1);
		} else {
			rc = ranges_subtract(cut, &maps[k].cut, &above);
			if (rc == 0)
				rc = ranges_subtract(zero, &maps[k].zero, &above);
		}
		/* what hides the next file: everything this one and those above allocate */
		lost |= maps[k].alloc_lost;
		for (i = 0; !lost && i < maps[k].alloc.n; i++)
			if (ranges_add(&above, maps[k].alloc.v[i].start, maps[k].alloc.v[i].end, k, 0))
				lost = 1;
		image_ranges_settle(&above);
	}
	image_ranges_release(&above);
	image_ranges_settle(cut);
	image_ranges_settle(zero);
	return rc;
}
