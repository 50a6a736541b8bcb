/* quarantine/export.c — a sample as an AES-256 encrypted zip, the way samples are shared. */
#include "quarantine/quarantine_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/reach.h"

static int
zip_sink(const unsigned char *p, size_t n, void *ctx)
{
	return archive_write_data(ctx, p, n) == (la_ssize_t)n ? 0 : -1;
}

static json_t *
metadata(const struct store_qitem *q)
{
	json_t *m = json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s}", "id",
			      (json_int_t)q->id, "sha256", q->sha256, "size", (json_int_t)q->size,
			      "mode", (json_int_t)q->mode, "uid", (json_int_t)q->uid, "gid",
			      (json_int_t)q->gid, "mtime", (json_int_t)(q->mtime_ns / 1000000000),
			      "quarantined_at", q->quarantined_at ? q->quarantined_at : "", "threat",
			      q->threat ? q->threat : "");

	vg_json_set_bytes(m, "path", q->path, q->path_len);
	if (q->scan_id > 0)
		json_object_set_new(m, "scan_id", json_integer(q->scan_id));
	return m;
}

static enum vg_err
add_entry(struct archive *a, const char *name, int64_t size, int64_t mtime, struct vg_error *err)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_mtime(e, mtime, 0);
	r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return vg_error_set(err, VG_ARCHIVE, "cannot write the zip: %s",
				    archive_error_string(a));
	return VG_OK;
}

enum vg_err
quarantine_export(struct vault *v, int64_t id, const char *out, const char *password,
		  struct vg_error *err)
{
	struct store_qitem q;
	struct archive *a = NULL;
	struct vg_out o = { .fd = -1, .dfd = -1 };
	struct stat st;
	char *meta = NULL, name[80];
	enum vg_err rc = store_q_get(v->st, id, &q, err);

	if (rc != VG_OK)
		return rc;
	/*
	 * A new private file (0600 before any byte) in out's folder, reached without following
	 * a link another user could have planted, O_EXCL|O_NOFOLLOW under an unguessable name;
	 * renamed into place with RENAME_NOREPLACE, so what is at out is never replaced.
	 */
	rc = vg_out_create(out, 0600, &o, err);
	if (rc != VG_OK)
		goto done;
	if (fstatat(o.dfd, o.base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		rc = vg_error_set(err, VG_EXISTS, "'%s' exists: not overwritten", out);
		goto done;
	}
	a = archive_write_new();
	if (a == NULL || archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "zip:encryption=aes256") != ARCHIVE_OK ||
	    archive_write_set_passphrase(a, password ? password : "infected") != ARCHIVE_OK ||
	    archive_write_open_fd(a, o.fd) != ARCHIVE_OK) {
		rc = vg_error_set(err, VG_ARCHIVE, "cannot write '%s': %s", out,
				  a ? archive_error_string(a) : "out of memory");
		goto done;
	}
	snprintf(name, sizeof(name), "%s.bin", q.sha256);
	rc = add_entry(a, name, q.size, q.mtime_ns / 1000000000, err);
	if (rc == VG_OK)
		rc = vault_decrypt(v, &q, zip_sink, a, err);
	if (rc == VG_OK) {
		json_t *m = metadata(&q);

		meta = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
		json_decref(m);
		rc = meta ? add_entry(a, "metadata.json", (int64_t)strlen(meta), time(NULL), err)
			  : vg_error_set(err, VG_NOMEM, "out of memory");
	}
	if (rc == VG_OK && archive_write_data(a, meta, strlen(meta)) != (la_ssize_t)strlen(meta))
		rc = vg_error_set(err, VG_ARCHIVE, "cannot write the zip: %s",
				  archive_error_string(a));
	if (archive_write_close(a) != ARCHIVE_OK && rc == VG_OK)
		rc = vg_error_set(err, VG_ARCHIVE, "cannot write '%s': %s", out,
				  archive_error_string(a));
	if (rc == VG_OK) {
		rc = vg_out_commit(&o, 1, err); /* fsync, rename with RENAME_NOREPLACE */
		if (rc == VG_EXISTS && err) {
			vg_error_init(err);
			rc = vg_error_set(err, VG_EXISTS, "'%s' exists: not overwritten", out);
		}
	}
done:
	if (a)
		archive_write_free(a);
	vg_out_abort(&o); /* nothing left after a commit; otherwise the temporary goes */
	free(meta);
	store_qitem_release(&q);
	return rc;
}
