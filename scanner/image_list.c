/*
 * scanner/image_list.c — what a disk image holds, without scanning it (`vigil scan image
 * --list`): its volumes, the file system libtsk finds on each, and the encrypted containers
 * it recognises. The first thing a responder asks of an unknown disk; nothing is recorded.
 */
#include "scanner/scanner.h"

#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "scanner/image_int.h"

/* One volume: its file system (type, block size and count, label where libtsk has one), or
 * the encryption found instead, or why nothing could be read. */
static json_t *
list_volume(struct scanner_image *im, const struct volume *v)
{
	json_t *o = json_object();
	TSK_FS_INFO *fs;
	const char *enc;

	json_object_set_new(o, "partition", json_integer(v->partition));
	json_object_set_new(o, "offset", json_integer(v->offset));
	json_object_set_new(o, "length", json_integer(v->length));
	vg_json_set_bytes(o, "description", v->description, strlen(v->description));
	tsk_error_reset();
	fs = tsk_fs_open_img(im->img, (TSK_OFF_T)v->offset, TSK_FS_TYPE_DETECT);
	if (fs != NULL) {
		json_object_set_new(o, "filesystem", json_string(tsk_fs_type_toname(fs->ftype)));
		json_object_set_new(o, "block_size", json_integer((json_int_t)fs->block_size));
		json_object_set_new(o, "blocks", json_integer((json_int_t)fs->block_count));
		json_object_set_new(o, "encryption", json_null());
		tsk_fs_close(fs);
		return o;
	}
	json_object_set_new(o, "filesystem", json_null());
	enc = image_encrypted_kind(im->img, v->offset);
	json_object_set_new(o, "encryption", enc ? json_string(enc) : json_null());
	if (enc != NULL) {
		json_object_set_new(o, "reason", json_string("encrypted: vigil cannot unlock it yet"));
	} else {
		char *why = image_tsk_reason("no file system libtsk can read");

		vg_json_set_bytes(o, "reason", why ? why : "out of memory",
				  why ? strlen(why) : strlen("out of memory"));
		free(why);
	}
	tsk_error_reset();
	return o;
}

json_t *
scanner_image_list(struct scanner_image *im)
{
	json_t *doc = json_object(), *vols = json_array();
	size_t i;

	vg_json_set_bytes(doc, "image", im->file, strlen(im->file));
	json_object_set_new(doc, "size", json_integer((json_int_t)im->img->size));
	json_object_set_new(doc, "format", json_string(scanner_image_format(im)));
	for (i = 0; i < im->nv; i++) {
		const struct volume *v = &im->v[i];
		json_t *o;

		if (v->selected) {
			json_array_append_new(vols, list_volume(im, v));
			continue;
		}
		/* not chosen (--partition, --offset), or not readable at all: not probed */
		o = json_pack("{s:i, s:I, s:I, s:n, s:n, s:b}", "partition", v->partition, "offset",
			      (json_int_t)v->offset, "length", (json_int_t)v->length, "filesystem",
			      "encryption", "selected", 0);
		vg_json_set_bytes(o, "description", v->description, strlen(v->description));
		if (v->reason)
			vg_json_set_bytes(o, "reason", v->reason, strlen(v->reason));
		json_array_append_new(vols, o);
	}
	json_object_set_new(doc, "volumes", vols);
	return doc;
}
