/*
 * scanner/image_reader.c — what vigil's own image readers share (the raw one in image.c,
 * the QCOW2/VHDX/VHD one in image_vdisk.c): the first read that failed, kept for the walker.
 * libtsk 4.11 turns a failed read whose length is not a multiple of the sector size into a
 * success with a zeroed buffer (tsk_img_read_no_cache rounds the length up, and on an error
 * copies the buffer and returns the length asked for), so a file's end that could not be read
 * would be scanned as zeros without a word. See image_int.h.
 */
#include "scanner/image_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void
image_read_failed(struct image_reader *r, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	tsk_error_reset();
	tsk_error_set_errno(TSK_ERR_IMG_READ);
	tsk_error_set_errstr("%s", msg ? msg : "out of memory");
	if (r->failure == NULL)
		r->failure = msg;
	else
		free(msg);
}

char *
image_read_failure(TSK_IMG_INFO *img)
{
	struct image_reader *r = (struct image_reader *)img;
	char *why;

	if (img->itype != TSK_IMG_TYPE_EXTERNAL)
		return NULL;
	why = r->failure;
	r->failure = NULL;
	return why;
}
