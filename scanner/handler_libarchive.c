/*
 * scanner/handler_libarchive.c — the libarchive and uuencode container handlers.
 *
 * Containers are recognised by content (libmagic's type, and the uuencode header), never by
 * name. Members come out as streams (archive_read_data), so the engine's sink can stop a bomb
 * after the first bytes past a limit; nothing is written to disk. Both rows read through
 * libarchive with every filter, so a uuencoded tar is read as a tar; the uuencode row exists
 * because libmagic calls such text text/plain, which no archive type claims.
 */
#include "scanner/handler.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"

static int
libarchive_bid(const struct hobject *obj)
{
	static const char *const exact[] = {
		"application/gzip", "application/java-archive", "application/vnd.ms-cab-compressed",
		"application/vnd.rar", "application/x-7z-compressed", "application/x-archive",
		"application/x-bzip2", "application/x-compress", "application/x-cpio",
		"application/x-debian-package", "application/x-gzip", "application/x-iso9660-image",
		"application/x-lha", "application/x-lrzip", "application/x-lz4", "application/x-lzh-compressed",
		"application/x-lzip", "application/x-lzma", "application/x-rar",
		"application/x-rar-compressed", "application/x-rpm", "application/x-tar",
		"application/x-xar", "application/x-xz", "application/x-zstd", "application/zip",
		"application/zstd", "application/vnd.android.package-archive", "application/epub+zip",
	};
	static const char *const prefixes[] = {
		"application/vnd.openxmlformats-officedocument.",
		"application/vnd.oasis.opendocument.",
	};
	size_t i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(obj->mime, exact[i]) == 0)
			return 50;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(obj->mime, prefixes[i], strlen(prefixes[i])) == 0)
			return 50;
	return 0;
}

static int
uuencode_bid(const struct hobject *obj)
{
	if (strcmp(obj->mime, "application/x-uuencode") == 0 ||
	    strcmp(obj->mime, "text/x-uuencode") == 0)
		return 60;
	/* libmagic calls uuencoded and base64-encoded text text/plain */
	if (strncmp(obj->mime, "text/", 5) == 0 && obj->len > 10 &&
	    (memcmp(obj->data, "begin ", 6) == 0 ||
	     (obj->len > 13 && memcmp(obj->data, "begin-base64 ", 13) == 0)))
		return 60;
	return 0;
}

/* The name of the only member of a compressed file: its own name less the extension. */
static char *
raw_member_name(const char *parent)
{
	const char *ext = vg_path_ext(parent);

	if (ext == NULL)
		return strdup("data");
	return strndup(parent, (size_t)(ext - 1 - parent));
}

/* How an archive is opened: every format, a lone compressed stream, or zip read forward. */
enum open_mode { OPEN_ANY, OPEN_RAW, OPEN_ZIP_STREAM };

static const char *
error_text(struct archive *a)
{
	const char *s = archive_error_string(a);

	return s ? s : "unreadable (no reason given)";
}

static struct archive *
open_archive(const unsigned char *data, size_t len, enum open_mode mode, char **why)
{
	struct archive *a = archive_read_new();

	if (a == NULL)
		return NULL;
	archive_read_support_filter_all(a);
	if (mode == OPEN_RAW) {
		archive_read_support_format_raw(a);
	} else if (mode == OPEN_ZIP_STREAM) {
		archive_read_support_format_zip_streamable(a);
	} else {
		/* Real archive formats only: mtree and warc would claim plain text (a
		 * decompressed changelog) and then fail on it. raw takes a lone compressed
		 * stream. */
		archive_read_support_format_7zip(a);
		archive_read_support_format_ar(a);
		archive_read_support_format_cab(a);
		archive_read_support_format_cpio(a);
		archive_read_support_format_empty(a);
		archive_read_support_format_iso9660(a);
		archive_read_support_format_lha(a);
		archive_read_support_format_rar(a);
		archive_read_support_format_rar5(a);
		archive_read_support_format_tar(a);
		archive_read_support_format_xar(a);
		archive_read_support_format_zip(a);
		archive_read_support_format_raw(a);
	}
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		*why = mode == OPEN_ANY ? strdup(error_text(a)) : NULL;
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* HCHILD_STREAM: the current member's next bytes. A zip member compressed with a method
 * libarchive does not decode (deflate64, implode, ...) is declined: the deep-container
 * extractor reads those. */
static ssize_t
member_read(void *arg, void *buf, size_t n, const char **why)
{
	static const char unsupported[] = "Unsupported ZIP compression method";
	struct archive *a = arg;
	la_ssize_t r = archive_read_data(a, buf, n);

	if (r < 0) {
		*why = error_text(a);
		if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP &&
		    strncmp(*why, unsupported, sizeof(unsupported) - 1) == 0)
			return HREAD_DECLINE;
		return -1;
	}
	return (ssize_t)r;
}

struct pass {
	int entries;		/* headers read */
	int failed;		/* an error was reported */
	int stopped;		/* the sink said stop */
	int format, filters;	/* what libarchive took it for */
};

/* Hand the regular file at the current header to the sink; its result. */
static int
deliver(struct archive *a, struct archive_entry *ent, int raw, const struct hobject *obj,
	struct hsink *sink)
{
	struct hchild ch;
	char *name;
	int rc;

	memset(&ch, 0, sizeof(ch));
	name = raw ? raw_member_name(obj->name)
		   : strdup(archive_entry_pathname(ent) ? archive_entry_pathname(ent) : "");
	if (name == NULL)
		return HSINK_STOP;
	ch.name = name;
	ch.have_mtime = archive_entry_mtime_is_set(ent);
	ch.mtime_ns = ch.have_mtime ? (int64_t)archive_entry_mtime(ent) * 1000000000 +
					      archive_entry_mtime_nsec(ent)
				    : 0;
	ch.size = archive_entry_size_is_set(ent) ? (int64_t)archive_entry_size(ent) : -1;
	ch.fd = -1;
	if (archive_entry_is_encrypted(ent))
		ch.flags |= HCHILD_ENCRYPTED;
	if (archive_entry_is_data_encrypted(ent)) {
		ch.form = HCHILD_NONE;
	} else {
		ch.form = HCHILD_STREAM;
		ch.read = member_read;
		ch.arg = a;
	}
	rc = sink->child(sink, &ch);
	free(name);
	return rc;
}

static void
read_members(const struct hobject *obj, struct hsink *sink, enum open_mode mode, struct pass *p)
{
	char *why = NULL;
	struct archive *a = open_archive(obj->data, obj->len, mode, &why);
	struct archive_entry *ent;
	int first = 1;

	memset(p, 0, sizeof(*p));
	if (a == NULL) {
		if (why != NULL) {
			sink->problem(sink, HPROB_DAMAGED, why);
			p->failed = 1;
		}
		free(why);
		return;
	}
	while (!(p->stopped = sink->stopping(sink))) {
		int r = archive_read_next_header(a, &ent);
		int raw = archive_format(a) == ARCHIVE_FORMAT_RAW;

		p->format = archive_format(a);
		p->filters = archive_filter_count(a);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			sink->problem(sink, HPROB_DAMAGED, error_text(a));
			p->failed = 1;
			break;
		}
		/* raw with no decompression filter: it was no archive after all */
		if (first && raw && archive_filter_count(a) <= 1)
			break;
		first = 0;
		p->entries++;
		if (archive_entry_filetype(ent) != AE_IFREG)
			continue;
		if (deliver(a, ent, raw, obj, sink) == HSINK_STOP) {
			p->stopped = 1;
			break;
		}
	}
	archive_read_free(a);
}

static void
libarchive_extract(const struct hobject *obj, struct hsink *sink)
{
	struct pass p;

	read_members(obj, sink, OPEN_ANY, &p);
	if (p.entries > 0 || p.failed || p.stopped)
		return;
	/*
	 * Nothing came out, and nobody said why. A compressed stream that happens to look like
	 * an empty tar (512 zero bytes first) is read again as one stream; a zip whose central
	 * directory is damaged is read again front to back, by its local headers.
	 */
	if (p.filters > 1 && (p.format & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_RAW) {
		read_members(obj, sink, OPEN_RAW, &p);
	} else if ((p.format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP) {
		read_members(obj, sink, OPEN_ZIP_STREAM, &p);
		if (p.entries == 0 && !p.failed && !p.stopped)
			sink->problem(sink, HPROB_DAMAGED, "a zip whose members cannot be read");
	}
}

const struct handler handler_libarchive = {
	.name = "libarchive",
	.bid = libarchive_bid,
	.extract = libarchive_extract,
};

const struct handler handler_uuencode = {
	.name = "uuencode",
	.bid = uuencode_bid,
	.extract = libarchive_extract,
};
