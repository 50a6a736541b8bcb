/*
 * reports/diagnostic.c — `vigil diagnostic create`: the event log, the daemon's log, the
 * configuration, health and store statistics in one zip (libarchive), for a support case.
 * Nothing is sent anywhere; the administrator hands the file over.
 */
#include "reports/report_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/path.h"

/* The zip's bytes go to the output and into its digest as they are written. */
struct zsink {
	int fd;
	EVP_MD_CTX *md;
};

static la_ssize_t
zsink_write(struct archive *a, void *cookie, const void *buf, size_t n)
{
	struct zsink *z = cookie;

	if (vg_write_full(z->fd, buf, n) != 0) {
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	EVP_DigestUpdate(z->md, buf, n);
	return (la_ssize_t)n;
}

enum vg_err
report_diag_zip(const char *out, const struct report_diag_file *files, size_t n,
		char sha256[65], struct vg_error *err)
{
	struct archive *a = NULL;
	struct vg_out o;
	struct zsink z = { .fd = -1 };
	unsigned char d[32];
	enum vg_err e;
	time_t now = time(NULL);
	size_t i;

	/* private: the event log and the configuration say a lot about the machine */
	e = report_out_create(out, "the zip", 0600, &o, err);
	if (e != VG_OK)
		return e;
	z.fd = o.fd;
	z.md = EVP_MD_CTX_new();
	a = archive_write_new();
	if (z.md == NULL || !EVP_DigestInit_ex(z.md, EVP_sha256(), NULL) || a == NULL ||
	    archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &z, NULL, zsink_write, NULL) != ARCHIVE_OK)
		e = vg_error_set(err, VG_ARCHIVE, "cannot write the zip '%s': %s", out,
				 a ? archive_error_string(a) : "out of memory");
	for (i = 0; e == VG_OK && i < n; i++) {
		struct archive_entry *ent = archive_entry_new();

		archive_entry_set_pathname(ent, files[i].name);
		archive_entry_set_size(ent, (la_int64_t)files[i].len);
		archive_entry_set_filetype(ent, AE_IFREG);
		archive_entry_set_perm(ent, 0600);
		archive_entry_set_mtime(ent, now, 0);
		if (archive_write_header(a, ent) != ARCHIVE_OK ||
		    archive_write_data(a, files[i].data, files[i].len) != (la_ssize_t)files[i].len)
			e = vg_error_set(err, VG_ARCHIVE, "cannot write the zip '%s': %s", out,
					 archive_error_string(a));
		archive_entry_free(ent);
	}
	if (a && archive_write_close(a) != ARCHIVE_OK && e == VG_OK)
		e = vg_error_set(err, VG_ARCHIVE, "cannot write the zip '%s': %s", out,
				 archive_error_string(a));
	archive_write_free(a);
	if (e == VG_OK) {
		EVP_DigestFinal_ex(z.md, d, NULL);
		vg_hex(d, 32, sha256);
	}
	EVP_MD_CTX_free(z.md);
	if (e != VG_OK)
		vg_out_abort(&o);
	else if (vg_out_commit(&o, 0, err) != VG_OK)
		e = report_out_failed(out, "the zip", err);
	return e;
}
