/*
 * scanner/image_bfio.c — a byte range of one of vigil's image views as a libbfio handle, for
 * the libyal libraries (libvslvm, libfsxfs) to read a volume where vigil found it: a
 * partition of a QCOW2, a decrypted LUKS volume, a logical volume. Every read goes through
 * tsk_img_read, so the view's own readers (image_reader.c) record what failed.
 *
 * The Debian libyal libraries each export a bundled copy of libbfio; the dynamic linker binds
 * every call to the copy loaded first (see PKGS in the Makefile), and this handle is made by
 * that same copy, so the libraries and vigil agree on what a handle is.
 */
#include "scanner/image_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bfio_range {
	TSK_IMG_INFO *img;	/* not owned */
	int64_t off, len;
	int64_t pos;
	int open;
};

static int
br_free(intptr_t **io, libbfio_error_t **e)
{
	(void)e;
	if (io && *io) {
		free(*io);
		*io = NULL;
	}
	return 1;
}

static int
br_clone(intptr_t **dst, intptr_t *src, libbfio_error_t **e)
{
	struct bfio_range *c;

	(void)e;
	if (dst == NULL)
		return -1;
	if (src == NULL) {
		*dst = NULL;
		return 1;
	}
	if ((c = malloc(sizeof(*c))) == NULL)
		return -1;
	memcpy(c, src, sizeof(*c));
	c->pos = 0;
	c->open = 0;
	*dst = (intptr_t *)c;
	return 1;
}

static int
br_open(intptr_t *io, int flags, libbfio_error_t **e)
{
	struct bfio_range *r = (struct bfio_range *)io;

	(void)e;
	if (flags & LIBBFIO_ACCESS_FLAG_WRITE)
		return -1; /* read-only: evidence is never written */
	r->open = 1;
	r->pos = 0;
	return 1;
}

static int
br_close(intptr_t *io, libbfio_error_t **e)
{
	(void)e;
	((struct bfio_range *)io)->open = 0;
	return 0;
}

static ssize_t
br_read(intptr_t *io, uint8_t *buf, size_t size, libbfio_error_t **e)
{
	struct bfio_range *r = (struct bfio_range *)io;
	char *fail;
	ssize_t got;

	(void)e;
	if (r->pos >= r->len)
		return 0;
	if ((int64_t)size > r->len - r->pos)
		size = (size_t)(r->len - r->pos);
	got = tsk_img_read(r->img, r->off + r->pos, (char *)buf, size);
	/* a failure the view recorded is this read's (libtsk may have turned it into zeros:
	 * image_int.h); taken here, so that it is not blamed later on another volume of the
	 * same view: the library above reports it as its own read error */
	fail = image_read_failure(r->img);
	if (got < 0 || fail != NULL) {
		free(fail);
		return -1;
	}
	r->pos += got;
	return got;
}

static ssize_t
br_write(intptr_t *io, const uint8_t *buf, size_t size, libbfio_error_t **e)
{
	(void)io;
	(void)buf;
	(void)size;
	(void)e;
	return -1;
}

static off64_t
br_seek(intptr_t *io, off64_t offset, int whence, libbfio_error_t **e)
{
	struct bfio_range *r = (struct bfio_range *)io;
	int64_t to;

	(void)e;
	switch (whence) {
	case SEEK_SET:
		to = offset;
		break;
	case SEEK_CUR:
		to = r->pos + offset;
		break;
	case SEEK_END:
		to = r->len + offset;
		break;
	default:
		return -1;
	}
	if (to < 0)
		return -1;
	r->pos = to;
	return to;
}

static int
br_exists(intptr_t *io, libbfio_error_t **e)
{
	(void)io;
	(void)e;
	return 1;
}

static int
br_is_open(intptr_t *io, libbfio_error_t **e)
{
	(void)e;
	return ((struct bfio_range *)io)->open;
}

static int
br_size(intptr_t *io, size64_t *size, libbfio_error_t **e)
{
	(void)e;
	*size = (size64_t)((struct bfio_range *)io)->len;
	return 1;
}

libbfio_handle_t *
image_bfio_open(TSK_IMG_INFO *img, int64_t off, int64_t len, char **why)
{
	struct bfio_range *r = calloc(1, sizeof(*r));
	libbfio_handle_t *h = NULL;
	libbfio_error_t *e = NULL;

	*why = NULL;
	if (r == NULL) {
		*why = strdup("out of memory");
		return NULL;
	}
	if (off < 0 || len < 0 || off > (int64_t)img->size)
		len = 0;
	else if (len > (int64_t)img->size - off)
		len = (int64_t)img->size - off; /* a volume cut short by the end of the image */
	r->img = img;
	r->off = off;
	r->len = len;
	/* managed: libbfio frees r with the handle (br_free) */
	if (libbfio_handle_initialize(&h, (intptr_t *)r, br_free, br_clone, br_open, br_close,
				      br_read, br_write, br_seek, br_exists, br_is_open, br_size,
				      LIBBFIO_FLAG_IO_HANDLE_MANAGED |
					      LIBBFIO_FLAG_IO_HANDLE_CLONE_BY_FUNCTION,
				      &e) != 1) {
		char msg[256] = "";

		libbfio_error_sprint(e, msg, sizeof(msg));
		libbfio_error_free(&e);
		free(r);
		if (asprintf(why, "cannot make an I/O handle: %s", msg[0] ? msg : "libbfio") < 0)
			*why = NULL;
		return NULL;
	}
	return h;
}

void
image_bfio_close(libbfio_handle_t *h)
{
	if (h != NULL)
		libbfio_handle_free(&h, NULL);
}

char *
image_yal_reason(char *text, int printed)
{
	char *line = text, *end, *colon;

	if (printed <= 0 || *text == '\0')
		return strdup("unknown error");
	end = line + strcspn(line, "\r\n");
	*end = '\0';
	colon = strstr(line, ": ");
	if (colon && colon > line && strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
					   (size_t)(colon - line))
		line = colon + 2;
	while (end > line && (end[-1] == '.' || end[-1] == ' '))
		*--end = '\0';
	return strdup(*line != '\0' ? line : "unknown error");
}
