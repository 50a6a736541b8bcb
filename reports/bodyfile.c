/*
 * reports/bodyfile.c — the hash inventory in the Sleuth Kit's body file format (3.x), one
 * line per file, for mactime, plaso and other timeline tools:
 *
 *	MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime
 *
 * Times are whole seconds since the epoch (0 when the file system keeps no birth time); the
 * mode is written as fls writes it ("r/rrw-r--r--"). In names, as in dfImageTools' body
 * files, a backslash is written \\, a pipe \|, a newline \n, a tab \t, and other control
 * characters and bytes that are not UTF-8 as \xNN, so a line can never be split or forged
 * by a file name, and the exact name can be recovered. A file of a disk image is named
 * IMAGE:pN:/path (ADS: /path:stream), and a deleted one ends " (deleted)", as in fls.
 */
#include "reports/report_int.h"

#include "core/jsonx.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void
report_bodyfile_name(FILE *f, const char *bytes, size_t len)
{
	char *esc = vg_text_escape(bytes, len), *p;

	for (p = esc; p && *p; p++) {
		if (*p == '|')
			fputc('\\', f);
		fputc(*p, f);
	}
	free(esc);
}

/* fls's type letter of a mode: r regular, d directory, l link, ... */
static char
type_letter(int64_t mode)
{
	mode_t m = (mode_t)mode;

	return S_ISREG(m) ? 'r' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c'
	       : S_ISBLK(m) ? 'b' : S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 'h' : '-';
}

static long long
seconds(int64_t ns)
{
	int64_t s = ns / 1000000000;

	return (long long)(ns < 0 && ns % 1000000000 ? s - 1 : s);
}

static int
put_file(const struct store_inv *r, void *ctx)
{
	struct rctx *c = ctx;
	char perms[11];

	report_mode_text(r->mode, perms);
	fputs(r->md5 ? r->md5 : "0", c->f);
	fputc('|', c->f);
	{
		/* an evidence scan: names as inside the image, as fls would give them */
		size_t rl = c->root && strcmp(c->root, "/") ? strlen(c->root) : 0;

		if (rl && r->path_len > rl && memcmp(r->path, c->root, rl) == 0 &&
		    r->path[rl] == '/')
			report_bodyfile_name(c->f, r->path + rl, r->path_len - rl);
		else
			report_bodyfile_name(c->f, r->path, r->path_len);
		/* a deleted file of a disk image, marked as fls marks it */
		if (r->location) {
			json_t *where = json_loads(r->location, 0, NULL);

			if (json_is_false(json_object_get(where, "allocated")))
				fputs(" (deleted)", c->f);
			json_decref(where);
		}
	}
	fprintf(c->f, "|%lld|%c/%c%s|%lld|%lld|%lld|%lld|%lld|%lld|%lld\n", (long long)r->ino,
		type_letter(r->mode), type_letter(r->mode), perms + 1, (long long)r->uid,
		(long long)r->gid, (long long)r->size, seconds(r->atime_ns), seconds(r->mtime_ns),
		seconds(r->ctime_ns), r->have_btime ? seconds(r->btime_ns) : 0LL);
	return ferror(c->f) ? -1 : 0;
}

enum vg_err
render_bodyfile(struct rctx *c)
{
	enum vg_err e = store_inventory_foreach(c->st, c->scan_id, put_file, c, c->err);

	return e == VG_INTERRUPTED || ferror(c->f) ? VG_IO : e;
}
