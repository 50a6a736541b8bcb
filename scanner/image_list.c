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
#include "scanner/image_remote.h"

/* One volume: its file system (type, block size and count), or the container or encryption
 * found instead, or why nothing could be read. */
static json_t *
list_volume(struct scanner_image *im, struct volume *v)
{
	json_t *o = json_object();
	TSK_FS_INFO *fs = NULL;
	char *why = NULL;
	const char *own = NULL;

	json_object_set_new(o, "partition", json_integer(v->partition));
	json_object_set_new(o, "offset", json_integer(v->offset));
	json_object_set_new(o, "length", json_integer(v->length));
	vg_json_set_bytes(o, "description", v->description, strlen(v->description));
	if (strcmp(v->status, "container") == 0) {
		json_object_set_new(o, "container", json_true());
	} else if (strcmp(v->status, "error") == 0 ||
		   (strcmp(v->status, "skipped") == 0 && v->reason != NULL)) {
		why = v->reason ? strdup(v->reason) : NULL;
	} else if ((fs = image_volume_fs(im, v, &own, &why)) != NULL) {
		v->fs = tsk_fs_type_toname(fs->ftype);
		json_object_set_new(o, "block_size", json_integer((json_int_t)fs->block_size));
		json_object_set_new(o, "blocks", json_integer((json_int_t)fs->block_count));
		tsk_fs_close(fs);
	} else if (own) {
		v->fs = own;
	}
	json_object_set_new(o, "filesystem", v->fs ? json_string(v->fs) : json_null());
	json_object_set_new(o, "encryption", v->encryption ? json_string(v->encryption)
							   : json_null());
	if (v->unlocked_with)
		json_object_set_new(o, "unlocked_with", json_string(v->unlocked_with));
	if (why)
		vg_json_set_bytes(o, "reason", why, strlen(why));
	json_object_set_new(o, "chain", image_volume_chain(v));
	free(why);
	tsk_error_reset();
	return o;
}

json_t *
scanner_image_list(struct scanner_image *im, struct vg_error *err)
{
	json_t *doc, *vols;
	size_t i;

	if (im->remote != NULL)
		return image_remote_list(im->remote, err);
	doc = json_object();
	vols = json_array();
	vg_json_set_bytes(doc, "image", im->file, strlen(im->file));
	json_object_set_new(doc, "size", json_integer((json_int_t)im->img->size));
	json_object_set_new(doc, "format", json_string(scanner_image_format(im)));
	for (i = 0; i < im->nv; i++) {
		struct volume *v = &im->v[i];
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
		json_object_set_new(o, "chain", image_volume_chain(v));
		json_array_append_new(vols, o);
	}
	json_object_set_new(doc, "volumes", vols);
	return doc;
}
