/*
 * scanner/engine_vars.c — the external variables every rule may test, set per object as
 * incident-response scanners (LOKI, THOR) define them: filename, filepath, extension,
 * filetype (filetype.c), owner, and fullpath for filename IOCs.
 */
#include "scanner/engine_int.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"


static const char *
owner_name(struct engine *e, uid_t uid)
{
	struct owner_cache *oc;
	struct passwd pw, *res = NULL;
	char buf[1024];
	unsigned i;

	for (i = 0; i < 8; i++)
		if (e->owners[i].valid && e->owners[i].uid == uid)
			return e->owners[i].name;
	oc = &e->owners[e->owner_next++ % 8];
	oc->uid = uid;
	oc->valid = 1;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		snprintf(oc->name, sizeof(oc->name), "%s", pw.pw_name);
	else
		snprintf(oc->name, sizeof(oc->name), "%u", (unsigned)uid);
	return oc->name;
}

void
engine_define_vars(struct engine *e, const struct object *obj, const char *mime,
		   const unsigned char *data, size_t len)
{
	const char *ext = vg_path_ext(obj->name);
	char extbuf[64] = "";
	char *dir = NULL;
	size_t i;

	if (ext && strlen(ext) < sizeof(extbuf) - 1) {
		extbuf[0] = '.';
		for (i = 0; ext[i]; i++)
			extbuf[i + 1] = (char)(ext[i] >= 'A' && ext[i] <= 'Z' ? ext[i] + 32 : ext[i]);
		extbuf[i + 1] = '\0';
	}
	if (obj->depth == 0) {
		const char *slash = strrchr(obj->path, '/');

		dir = slash ? strndup(obj->path, (size_t)(slash - obj->path)) : strdup("");
	}
	yr_scanner_define_string_variable(e->yr, "filename", obj->name);
	yr_scanner_define_string_variable(e->yr, "filepath", dir ? dir : obj->path);
	yr_scanner_define_string_variable(e->yr, "extension", extbuf);
	yr_scanner_define_string_variable(e->yr, "filetype", filetype_name(data, len, mime));
	yr_scanner_define_string_variable(e->yr, "owner", owner_name(e, obj->uid));
	/* filename IOCs test the path on disk, once: not again for each archive member */
	yr_scanner_define_string_variable(e->yr, "fullpath", obj->depth == 0 ? obj->path : "");
	free(dir);
}
