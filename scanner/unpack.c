/*
 * scanner/unpack.c — archive recursion through libarchive, entirely in memory.
 *
 * Containers are recognised by content (libmagic's type, and the uuencode header), never
 * by name. Every member is read into memory (bounded by archive_max_member_size) and
 * scanned like a file, recursing up to max_depth. Per top-level file, the members and the
 * uncompressed bytes of all levels together are counted against the limits, and a ratio of
 * uncompressed to compressed bytes past archive_max_ratio stops a bomb early; a file that
 * hits a limit is reported as such, never passed as clean. Nothing is written to disk.
 */
#include "scanner/scanner_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "core/path.h"

/* The ratio limit applies once this much has been unpacked from one file. */
#define RATIO_FLOOR (64u << 20)

int
unpack_is_container(const char *mime, const unsigned char *data, size_t len)
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
		"application/x-uuencode", "text/x-uuencode",
	};
	static const char *const prefixes[] = {
		"application/vnd.openxmlformats-officedocument.",
		"application/vnd.oasis.opendocument.",
	};
	size_t i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(mime, exact[i]) == 0)
			return 1;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(mime, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	/* libmagic calls uuencoded and base64-encoded text text/plain */
	if (strncmp(mime, "text/", 5) == 0 && len > 10 &&
	    (memcmp(data, "begin ", 6) == 0 || memcmp(data, "begin-base64 ", 13) == 0))
		return 1;
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

/* The first limit a file hits is reported on the file itself; scanning of it stops. */
static void
limit_hit(struct scan_ctx *c, const struct object *obj, const char *what, unsigned long long n)
{
	if (obj->budget->exhausted)
		return;
	obj->budget->exhausted = 1;
	scan_problem(c, obj->path, NULL, 0, "limit",
		     "archive bomb: %s %llu; the rest of this file was not scanned", what, n);
}

/* Read the current member into a new buffer; NULL (and a problem) when it cannot be had. */
static unsigned char *
read_member(struct engine *e, struct archive *a, struct archive_entry *ent,
	    const struct object *child, size_t *out_len)
{
	struct scan_ctx *c = engine_ctx(e);
	const struct scanner_options *o = c->o;
	struct budget *b = child->budget;
	size_t cap = 65536, n = 0;
	unsigned char *buf;

	if (archive_entry_size_is_set(ent) && archive_entry_size(ent) > 0) {
		int64_t sz = archive_entry_size(ent);

		if ((uint64_t)sz > o->archive_max_member_size) {
			scan_problem(c, child->path, child->member, child->member_len, "skipped",
				     "member larger than the member size limit (%lld > %llu bytes): "
				     "not scanned", (long long)sz,
				     (unsigned long long)o->archive_max_member_size);
			return NULL;
		}
		cap = (size_t)sz + 1; /* +1 to see the end of data without a second call */
	}
	buf = malloc(cap);
	if (buf == NULL)
		return NULL;
	for (;;) {
		la_ssize_t r;

		if (n == cap) {
			size_t ncap = cap * 2;
			unsigned char *nb;

			if (cap > o->archive_max_member_size) {
				scan_problem(c, child->path, child->member, child->member_len, "skipped",
					     "member larger than the member size limit (%llu bytes): "
					     "not scanned",
					     (unsigned long long)o->archive_max_member_size);
				free(buf);
				return NULL;
			}
			if (ncap > o->archive_max_member_size + 1)
				ncap = o->archive_max_member_size + 1;
			nb = realloc(buf, ncap);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap = ncap;
		}
		r = archive_read_data(a, buf + n, cap - n);
		if (r == 0)
			break;
		if (r < 0) {
			scan_problem(c, child->path, child->member, child->member_len,
				     archive_entry_is_encrypted(ent) ? "skipped" : "error",
				     "cannot unpack member: %s", archive_error_string(a));
			free(buf);
			return NULL;
		}
		n += (size_t)r;
		b->bytes += (uint64_t)r;
		if (b->bytes > o->archive_max_bytes) {
			limit_hit(c, child, "unpacked bytes above the limit of",
				  (unsigned long long)o->archive_max_bytes);
			free(buf);
			return NULL;
		}
		if (b->bytes > RATIO_FLOOR && b->top_size > 0 &&
		    b->bytes / b->top_size > o->archive_max_ratio) {
			limit_hit(c, child, "compression ratio above the limit of",
				  (unsigned long long)o->archive_max_ratio);
			free(buf);
			return NULL;
		}
	}
	*out_len = n;
	return buf;
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

struct pass {
	int entries;		/* headers read */
	int failed;		/* an error was reported */
	int format, filters;	/* what libarchive took it for */
};

static void
scan_members(struct engine *e, const unsigned char *data, size_t len, const struct object *obj,
	     enum open_mode mode, struct pass *p)
{
	struct scan_ctx *c = engine_ctx(e);
	char *why = NULL;
	struct archive *a = open_archive(data, len, mode, &why);
	struct archive_entry *ent;
	int first = 1;

	memset(p, 0, sizeof(*p));
	if (a == NULL) {
		if (why != NULL) {
			scan_problem(c, obj->path, obj->member, obj->member_len, "error",
				     "damaged archive: %s", why);
			p->failed = 1;
		}
		free(why);
		return;
	}
	while (!obj->budget->exhausted && !scan_should_stop(c)) {
		int r = archive_read_next_header(a, &ent);
		int raw = archive_format(a) == ARCHIVE_FORMAT_RAW;
		struct object child;
		unsigned char *buf;
		size_t n = 0, nl;
		char *name, *chain;

		p->format = archive_format(a);
		p->filters = archive_filter_count(a);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			scan_problem(c, obj->path, obj->member, obj->member_len, "error",
				     "damaged archive: %s", error_text(a));
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
		if (++obj->budget->members > c->o->archive_max_members) {
			limit_hit(c, obj, "archive members above the limit of",
				  (unsigned long long)c->o->archive_max_members);
			break;
		}
		name = raw ? raw_member_name(obj->name)
			   : strdup(archive_entry_pathname(ent) ? archive_entry_pathname(ent) : "");
		if (name == NULL)
			break;
		nl = strlen(name);
		chain = malloc(obj->member_len + nl + 1);
		if (chain == NULL) {
			free(name);
			break;
		}
		if (obj->member_len)
			memcpy(chain, obj->member, obj->member_len);
		memcpy(chain + obj->member_len, name, nl + 1);
		child = *obj;
		child.member = chain;
		child.member_len = obj->member_len + nl + 1;
		child.name = vg_path_basename(name);
		child.depth = obj->depth + 1;
		child.have_mtime = archive_entry_mtime_is_set(ent);
		child.mtime_ns = child.have_mtime ? (int64_t)archive_entry_mtime(ent) * 1000000000 +
							    archive_entry_mtime_nsec(ent)
						  : 0;
		if (archive_entry_is_data_encrypted(ent)) {
			scan_problem(c, obj->path, chain, child.member_len, "skipped",
				     "encrypted member: not scanned");
		} else if ((buf = read_member(e, a, ent, &child, &n)) != NULL) {
			engine_scan_object(e, buf, n, &child);
			free(buf);
		}
		free(chain);
		free(name);
	}
	archive_read_free(a);
}

void
unpack_scan(struct engine *e, const unsigned char *data, size_t len, const struct object *obj)
{
	struct scan_ctx *c = engine_ctx(e);
	struct pass p;

	scan_members(e, data, len, obj, OPEN_ANY, &p);
	if (p.entries > 0 || p.failed || obj->budget->exhausted || scan_should_stop(c))
		return;
	/*
	 * Nothing came out, and nobody said why. A compressed stream that happens to look like
	 * an empty tar (512 zero bytes first) is read again as one stream; a zip whose central
	 * directory is damaged is read again front to back, by its local headers.
	 */
	if (p.filters > 1 && (p.format & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_RAW) {
		scan_members(e, data, len, obj, OPEN_RAW, &p);
	} else if ((p.format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP) {
		scan_members(e, data, len, obj, OPEN_ZIP_STREAM, &p);
		if (p.entries == 0 && !p.failed)
			scan_problem(c, obj->path, obj->member, obj->member_len, "error",
				     "damaged archive: a zip whose members cannot be read");
	}
}
