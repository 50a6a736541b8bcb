/*
 * scanner/image_ident.c — which system was on the disk: the identity a rescue or image scan
 * records, not that of the machine that scanned it (its machine_guid is the scan's own).
 *
 * Per volume: /etc/machine-id and /etc/hostname at the root of its file system, taken from
 * the bytes the walk hands over (a file that is scanned is not read twice; one the walk would
 * skip, excluded or outside a quick scan's folders, comes as an object for this only, never
 * scanned or counted: image_obj.ident). The bytes come from the image, through the sandboxed
 * reader: nothing is believed. A machine-id is 32 lower-case hex digits and a newline
 * (machine-id(5)); anything else is recorded as "machine_id_invalid": true, never its bytes.
 * A hostname is the first line, trimmed; one that is not printable ASCII without spaces, or
 * longer than 64 bytes (HOST_NAME_MAX), is recorded escaped as vg_text_escape shows names
 * (\xNN for control characters and bytes that are not UTF-8), its raw bytes in base64 as
 * "hostname_b64" (core/jsonx.h), with "hostname_invalid": true.
 *
 * Per scan, for a block device: the disk's model, serial, vendor and WWID from sysfs, and
 * its size.
 */
#include "scanner/image_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "scanner/image_wire.h"

/* the largest file read for the identity only (hostname(5): one line of at most 64) */
#define IDENT_MAX IW_IDENT_MAX
#define MACHINE_ID_MAX 64
#define HOSTNAME_MAX 64

int
image_ident_path(const char *path)
{
	return strcmp(path, "/etc/machine-id") == 0 ? IMAGE_IDENT_MACHINE_ID
	       : strcmp(path, "/etc/hostname") == 0 ? IMAGE_IDENT_HOSTNAME
						    : 0;
}

int
image_ident_wanted(const char *path, const char *stream, int allocated, uint64_t size)
{
	return stream == NULL && allocated && size <= IDENT_MAX && image_ident_path(path) != 0;
}

/* Does where (an object's display name, "<image>:<volume>:<path>") end with an identity file? */
static int
named_like(const char *where)
{
	static const char *const ends[] = { ":/etc/machine-id", ":/etc/hostname" };
	size_t n = strlen(where), i;

	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		if (n >= strlen(ends[i]) && strcmp(where + n - strlen(ends[i]), ends[i]) == 0)
			return 1;
	return 0;
}

static void
set_machine_id(json_t *sys, const unsigned char *p, size_t len)
{
	size_t i, n = len;

	if (n > 0 && p[n - 1] == '\n')
		n--;
	for (i = 0; i < n && ((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')); i++)
		;
	if (len <= MACHINE_ID_MAX && n == 32 && i == n)
		json_object_set_new(sys, "machine_id", json_stringn((const char *)p, n));
	else
		json_object_set_new(sys, "machine_id_invalid", json_true());
}

static void
set_hostname(json_t *sys, const unsigned char *p, size_t len)
{
	const unsigned char *nl = memchr(p, '\n', len);
	size_t a = 0, b = nl ? (size_t)(nl - p) : len, i;
	char *esc, *raw;
	int plausible;

	while (a < b && (p[a] == ' ' || p[a] == '\t' || p[a] == '\r'))
		a++;
	while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\r'))
		b--;
	if (a == b)
		return; /* empty: no name set */
	plausible = b - a <= HOSTNAME_MAX;
	for (i = a; i < b && plausible; i++)
		plausible = p[i] > 0x20 && p[i] < 0x7f;
	if (plausible) {
		json_object_set_new(sys, "hostname", json_stringn((const char *)p + a, b - a));
		return;
	}
	/* shown with its controls and invalid bytes made visible (no terminal or page it reaches
	 * can be moved by it), its exact bytes beside it */
	esc = vg_text_escape((const char *)p + a, b - a);
	raw = vg_base64((const char *)p + a, b - a);
	if (esc == NULL || raw == NULL) {
		free(esc);
		free(raw);
		return;
	}
	json_object_set_new(sys, "hostname", vg_json_bytes(esc, strlen(esc)));
	json_object_set_new(sys, "hostname_b64", json_string(raw));
	json_object_set_new(sys, "hostname_invalid", json_true());
	free(esc);
	free(raw);
}

void
image_ident_take(struct scanner_image *im, const char *where, const char *location,
		 const unsigned char *data, size_t len)
{
	json_t *loc, *chain, *part, *e, *sys = NULL;
	const char *path;
	int which;
	size_t i;

	if (where == NULL || location == NULL || data == NULL || len > IDENT_MAX ||
	    !named_like(where))
		return;
	loc = json_loads(location, 0, NULL);
	path = json_string_value(json_object_get(loc, "path"));
	chain = json_object_get(loc, "chain");
	part = json_object_get(loc, "partition");
	if (path == NULL || (which = image_ident_path(path)) == 0 ||
	    json_object_get(loc, "path_b64") != NULL || json_object_get(loc, "stream") != NULL ||
	    !json_is_true(json_object_get(loc, "allocated")) || !json_is_array(chain) ||
	    !json_is_integer(part))
		goto out;
	if (im->systems == NULL && (im->systems = json_array()) == NULL)
		goto out;
	json_array_foreach(im->systems, i, e)
		if (json_equal(json_object_get(e, "chain"), chain) &&
		    json_equal(json_object_get(e, "partition"), part))
			sys = json_object_get(e, "system");
	if (sys == NULL) {
		e = json_pack("{s:O, s:O, s:{}}", "chain", chain, "partition", part, "system");
		if (e == NULL || json_array_append_new(im->systems, e) != 0)
			goto out;
		sys = json_object_get(e, "system");
	}
	/* the first one seen stays (a reader started again hands it over again) */
	if (which == IMAGE_IDENT_MACHINE_ID && json_object_get(sys, "machine_id") == NULL &&
	    json_object_get(sys, "machine_id_invalid") == NULL)
		set_machine_id(sys, data, len);
	else if (which == IMAGE_IDENT_HOSTNAME && json_object_get(sys, "hostname") == NULL)
		set_hostname(sys, data, len);
out:
	json_decref(loc);
}

void
image_ident_merge(const struct scanner_image *im, json_t *volumes)
{
	json_t *v, *e;
	size_t i, k;

	json_array_foreach(volumes, i, v)
		json_array_foreach(im->systems, k, e)
			if (json_object_size(json_object_get(e, "system")) > 0 &&
			    json_equal(json_object_get(v, "chain"), json_object_get(e, "chain")) &&
			    json_equal(json_object_get(v, "partition"), json_object_get(e, "partition")))
				json_object_set(v, "system", json_object_get(e, "system"));
}

/* ---- the disk, from sysfs ---- */

/*
 * A small sysfs attribute below dfd, trimmed, into o[key] (escaped as core/jsonx.h does);
 * nothing when it is missing, empty or not a regular file.
 */
static void
sysfs_attr(int dfd, const char *rel, json_t *o, const char *key)
{
	char buf[512];
	struct stat st;
	ssize_t n;
	size_t a = 0, b;
	int fd = openat(dfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (n = read(fd, buf, sizeof(buf))) <= 0) {
		close(fd);
		return;
	}
	close(fd);
	b = (size_t)n;
	while (a < b && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\n' || buf[a] == '\0'))
		a++;
	while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\n' ||
			 buf[b - 1] == '\0'))
		b--;
	if (b > a && json_object_get(o, key) == NULL)
		vg_json_set_bytes(o, key, buf + a, b - a);
}

json_t *
image_disk_identity(const char *sysfs, unsigned maj, unsigned min)
{
	char path[PATH_MAX];
	json_t *o, *size = NULL;
	const char *dev;
	int dfd;
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/dev/block/%u:%u", sysfs, maj, min) >= (int)sizeof(path))
		return NULL;
	/* the kernel's own links (to /sys/devices/...) are followed: sysfs is not the evidence */
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return NULL;
	if ((o = json_object()) == NULL) {
		close(dfd);
		return NULL;
	}
	/* a partition's disk is the folder above it */
	dev = fstatat(dfd, "partition", &st, AT_SYMLINK_NOFOLLOW) == 0 ? "../device" : "device";
	snprintf(path, sizeof(path), "%s/model", dev);
	sysfs_attr(dfd, path, o, "model");
	snprintf(path, sizeof(path), "%s/serial", dev);
	sysfs_attr(dfd, path, o, "serial");
	snprintf(path, sizeof(path), "%s/vendor", dev);
	sysfs_attr(dfd, path, o, "vendor");
	snprintf(path, sizeof(path), "%s/wwid", dev);
	sysfs_attr(dfd, path, o, "wwid");
	sysfs_attr(dfd, strcmp(dev, "device") == 0 ? "wwid" : "../wwid", o, "wwid"); /* NVMe */
	sysfs_attr(dfd, "size", o, "size_bytes");
	close(dfd);
	/* 512-byte sectors, whatever the disk's own sector size */
	if ((size = json_object_get(o, "size_bytes")) != NULL) {
		const char *s = json_string_value(size);
		char *end = NULL;
		unsigned long long sectors;

		errno = 0;
		sectors = s ? strtoull(s, &end, 10) : 0;
		if (s && *s >= '0' && *s <= '9' && end && *end == '\0' && errno == 0 &&
		    sectors <= (unsigned long long)INT64_MAX / 512)
			json_object_set_new(o, "size_bytes", json_integer((json_int_t)(sectors * 512)));
		else
			json_object_del(o, "size_bytes");
		json_object_del(o, "size_bytes_b64");
	}
	return o;
}
