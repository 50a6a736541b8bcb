/*
 * reports/diagnostic.c — `vigil diagnostic create`: the event log, the daemon's log, the
 * configuration, health and store statistics in one zip (libarchive), for a support case.
 * Nothing is sent anywhere; the administrator hands the file over.
 */
#include "reports/report_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/path.h"

enum vg_err
report_diag_zip(const char *out, const struct report_diag_file *files, size_t n,
		char sha256[65], struct vg_error *err)
{
	struct archive *a = archive_write_new();
	char *tmp = NULL;
	int fd = report_temp_beside(out, &tmp, err);
	enum vg_err e = VG_OK;
	time_t now = time(NULL);
	size_t i;

	if (fd < 0) {
		archive_write_free(a);
		return err->code;
	}
	if (a == NULL || archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK)
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
	if (e == VG_OK && fsync(fd) != 0)
		e = report_write_failed(out, errno, err);
	close(fd);
	if (e == VG_OK && rename(tmp, out) != 0)
		e = report_write_failed(out, errno, err);
	if (e != VG_OK)
		unlink(tmp);
	else
		vg_fsync_parent(out);
	free(tmp);
	return e == VG_OK ? vg_sha256_file(out, sha256, err) : e;
}
