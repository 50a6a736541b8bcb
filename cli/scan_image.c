/* cli/scan_image.c — disk image scans: the image named in a scan's options, opened and recorded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "scanner/scanner.h"

int
cli_image_open(struct cli *cli, json_t *spec, struct scanner_image **out)
{
	json_t *quick = json_object_get(spec, "quick"), *v;
	const char *file = json_string_value(json_object_get(spec, "file"));
	char **patterns = NULL;
	size_t i, n = 0;
	enum vg_err e;

	*out = NULL;
	if (file == NULL)
		return cli_fail(cli, vg_error_set(&cli->err, VG_INVAL, "the scan names no image"));
	e = scanner_image_open(file, (int)json_integer_value(json_object_get(spec, "partition")),
			       json_integer_value(json_object_get(spec, "offset")),
			       json_is_true(json_object_get(spec, "deleted")), out, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (!json_is_array(quick))
		return 0;
	patterns = calloc(json_array_size(quick) + 1, sizeof(*patterns));
	json_array_foreach(quick, i, v)
		if (patterns && json_is_string(v))
			patterns[n++] = (char *)json_string_value(v);
	e = patterns ? scanner_image_set_quick(*out, patterns, n, &cli->err)
		     : vg_error_set(&cli->err, VG_NOMEM, "out of memory");
	free(patterns);
	if (e != VG_OK) {
		scanner_image_close(*out);
		*out = NULL;
		return cli_fail(cli, e);
	}
	return 0;
}

json_t *
cli_image_spec(const char *file, int64_t partition, int64_t offset, int deleted, json_t *quick)
{
	json_t *spec = json_pack("{s:s, s:I, s:I, s:b}", "file", file, "partition",
				 (json_int_t)partition, "offset", (json_int_t)offset, "deleted",
				 deleted);

	if (spec && quick)
		json_object_set(spec, "quick", quick);
	return spec;
}

int
cli_image_finish(struct cli *cli, int64_t scan_id, struct scanner_image *im)
{
	json_t *vols = scanner_image_volumes(im);
	struct vg_error e2;

	vg_error_init(&e2);
	if (vols == NULL || store_scan_set_volumes(cli->st, scan_id, vols, &e2) != VG_OK)
		fprintf(stderr, "vigil: the volumes of scan %lld were not recorded: %s\n",
			(long long)scan_id, vols ? vg_error_msg(&e2) : "out of memory");
	if (scanner_image_readable(im)) {
		json_decref(vols);
		return 0;
	}
	{
		/* why, volume by volume: "p1 at byte 1048576: Cannot determine file system type" */
		const char *file = scanner_image_file(im);
		char *esc = vg_text_escape(file, strlen(file)), *why = strdup(""), *next;
		json_t *v;
		size_t i;

		json_array_foreach(vols, i, v) {
			const char *reason = json_string_value(json_object_get(v, "reason"));
			char *r;

			if (strcmp(json_string_value(json_object_get(v, "status")), "skipped") == 0)
				continue;
			r = vg_text_escape(reason ? reason : "?", reason ? strlen(reason) : 1);
			if (why == NULL || r == NULL ||
			    asprintf(&next, "%s%sp%lld at byte %lld: %s", why, *why ? "; " : "",
				     (long long)json_integer_value(json_object_get(v, "partition")),
				     (long long)json_integer_value(json_object_get(v, "offset")),
				     r) < 0)
				next = NULL;
			free(r);
			free(why);
			why = next;
		}
		vg_error_set(&cli->err, VG_IO, "nothing in the image %s could be read (%s): see the "
			     "volumes of scan %lld", esc ? esc : "?", why ? why : "out of memory",
			     (long long)scan_id);
		free(esc);
		free(why);
	}
	json_decref(vols);
	return cli_fail(cli, VG_IO);
}
