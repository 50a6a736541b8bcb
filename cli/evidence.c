/*
 * cli/evidence.c — scanning a seized disk mounted somewhere (--root DIR): image paths
 * resolved inside DIR the way the image's own system would resolve them (openat2 with
 * RESOLVE_IN_ROOT: an absolute symlink in the image stays in the image), and the proof after
 * the scan that no file changed (--verify-unchanged).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/nstime.h"
#include "core/jsonx.h"
#include "core/reach.h"
#include "core/path.h"

int
cli_evidence_open(struct cli *cli, const char *dir, struct cli_evidence *ev)
{
	const char *why = NULL;
	struct stat st;
	char *esc;

	memset(ev, 0, sizeof(*ev));
	ev->rootfd = -1;
	ev->root = realpath(dir, NULL);
	if (ev->root == NULL || stat(ev->root, &st) != 0)
		why = strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		why = "not a folder";
	else if ((ev->rootfd = open(ev->root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		why = strerror(errno);
	if (why == NULL)
		return 0;
	esc = vg_text_escape(dir, strlen(dir));
	vg_error_set(&cli->err, VG_NOENT, "--root '%s': %s", esc ? esc : "?", why);
	free(esc);
	free(ev->root);
	ev->root = NULL;
	return cli_fail(cli, VG_NOENT);
}

void
cli_evidence_close(struct cli_evidence *ev)
{
	if (ev->rootfd >= 0)
		close(ev->rootfd);
	free(ev->root);
	ev->root = NULL;
	ev->rootfd = -1;
}

char *
cli_evidence_resolve(struct cli_evidence *ev, const char *image_path)
{
	const char *rel = image_path;
	size_t rl = strlen(ev->root);
	char *where;
	int fd;

	/* a path given as on this machine (/mnt/evidence/home) or as in the image (/home) */
	if (strncmp(image_path, ev->root, rl) == 0 && (image_path[rl] == '/' || image_path[rl] == '\0'))
		rel = image_path + rl;
	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		return strdup(ev->root);
	fd = vg_reach_in_root(ev->rootfd, rel, O_PATH);
	if (fd < 0)
		return NULL;
	where = vg_fd_path(fd);
	close(fd);
	return where;
}

/* ---- --verify-unchanged ---- */

struct verify {
	struct cli *cli;
	int64_t checked, unchanged;
	json_t *changed;	/* [{path, what}] */
};

static int
differs(struct verify *v, const struct store_inv *r, const char *what)
{
	json_t *o = json_object();

	vg_json_set_bytes(o, "path", r->path, r->path_len);
	json_object_set_new(o, "what", json_string(what));
	json_array_append_new(v->changed, o);
	return 0;
}

static int
verify_one(const struct store_inv *r, void *ctx)
{
	struct verify *v = ctx;
	char *path = strndup(r->path, r->path_len), hex[65];
	int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME;
	const char *base;
	struct stat st;
	struct vg_error e2;
	int dfd, fd = -1;

	v->checked++;
	if (path == NULL)
		return differs(v, r, "out of memory");
	/* the file the scan recorded, not one a link planted on the way leads to */
	vg_error_init(&e2);
	dfd = vg_reach_parent(path, VG_REACH_TRUSTED_LINKS, "verify", &base, &e2);
	if (dfd >= 0) {
		fd = openat(dfd, base, flags);
		if (fd < 0 && errno == EPERM)
			fd = openat(dfd, base, flags & ~O_NOATIME);
		close(dfd);
	} else {
		errno = e2.code == VG_NOENT ? ENOENT : EPERM;
	}
	if (fd < 0) {
		differs(v, r, errno == ENOENT ? "gone" : "cannot be opened");
		free(path);
		return 0;
	}
	vg_error_init(&e2);
	if (fstat(fd, &st) != 0)
		differs(v, r, "cannot be read");
	else if (st.st_size != r->size)
		differs(v, r, "size");
	else if (vg_timespec_ns(st.st_mtim) != r->mtime_ns)
		differs(v, r, "mtime");
	else if (vg_timespec_ns(st.st_ctim) != r->ctime_ns)
		differs(v, r, "ctime");
	else if (vg_timespec_ns(st.st_atim) != r->atime_ns)
		differs(v, r, "atime");
	else if (r->sha256 && (vg_sha256_fd(fd, path, hex, &e2) != VG_OK ||
			       strcmp(hex, r->sha256) != 0))
		differs(v, r, "sha256");
	else if (fstat(fd, &st) != 0 || vg_timespec_ns(st.st_atim) != r->atime_ns)
		differs(v, r, "atime (changed by this check)");
	else
		v->unchanged++;
	close(fd);
	free(path);
	return 0;
}

int
cli_verify_unchanged(struct cli *cli, int64_t scan_id, json_t **result)
{
	struct verify v = { .cli = cli, .changed = json_array() };
	json_t *doc, *c;
	size_t i;
	enum vg_err e;
	struct vg_error e2;

	*result = NULL;
	e = store_inventory_foreach(cli->st, scan_id, verify_one, &v, &cli->err);
	if (e != VG_OK) {
		json_decref(v.changed);
		return cli_fail(cli, e);
	}
	/* each change is also a problem of the scan, so every report lists it */
	vg_error_init(&e2);
	json_array_foreach(v.changed, i, c) {
		size_t len;
		char *path = vg_json_get_bytes(c, "path", &len), why[96];

		snprintf(why, sizeof(why), "changed during the scan: %s",
			 json_string_value(json_object_get(c, "what")));
		if (path && store_problem_add(cli->st, scan_id, path, len, NULL, 0, "changed", why,
					      &e2) != VG_OK)
			vg_error_init(&e2);
		free(path);
	}
	doc = json_pack("{s:I, s:I, s:o}", "checked", (json_int_t)v.checked, "unchanged",
			(json_int_t)v.unchanged, "changed", v.changed);
	e = store_scan_set_verification(cli->st, scan_id, doc, &cli->err);
	if (e != VG_OK) {
		json_decref(doc);
		return cli_fail(cli, e);
	}
	*result = doc;
	return 0;
}
