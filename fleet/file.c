/*
 * fleet/file.c — fleet export and fleet import: the rows a push would send, carried in a
 * file from a host with no route to the database (a rescue boot, a seized disk processed
 * offline).
 *
 * The file is JSON lines: a head {format: "vigil-fleet-export", version: 1, created_at,
 * host: {machine_guid, ..., pubkey}}, then {kind, rows: [...]} lines, then
 * {end: {lines, rows, sha256, signature}}: the SHA-256 of every byte before the end line, and
 * the Ed25519 signature of that digest by the host's own key (fleet/hostkey.c), whose public
 * half is in the head. An import checks all of that before it sends anything, then reads the
 * file again into one database transaction that commits only if the second reading has the
 * same digest: a truncated or altered file imports nothing.
 */
#include "fleet/fleet_int.h"

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

#define FORMAT "vigil-fleet-export"
#define VERSION 1
#define LINE_MAX_BYTES (256u << 20)

struct file_sink {
	struct fleet_sink sink;	/* first */
	FILE *f;
	EVP_MD_CTX *md;
	json_int_t lines, rows;
};

static enum vg_err
put_line(struct file_sink *fs, json_t *doc, int hashed, struct vg_error *err)
{
	char *t = json_dumps(doc, JSON_COMPACT);
	size_t n;

	if (t == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	n = strlen(t);
	t[n] = '\n';
	if (fwrite(t, 1, n + 1, fs->f) != n + 1) {
		free(t);
		return vg_error_set(err, VG_IO, "cannot write the export file: %s", strerror(errno));
	}
	if (hashed) {
		EVP_DigestUpdate(fs->md, t, n + 1);
		fs->lines++;
	}
	free(t);
	return VG_OK;
}

static enum vg_err
file_host(struct fleet_sink *s, json_t *host, struct vg_error *err)
{
	struct file_sink *fs = (struct file_sink *)s;
	char now[40];
	json_t *head;
	enum vg_err e;

	vg_time_iso((int64_t)time(NULL) * 1000000000, now, sizeof(now));
	head = json_pack("{s:s, s:i, s:s, s:O}", "format", FORMAT, "version", VERSION,
			 "created_at", now, "host", host);
	e = put_line(fs, head, 1, err);
	json_decref(head);
	return e;
}

static enum vg_err
file_rows(struct fleet_sink *s, const char *kind, json_t *rows, struct vg_error *err)
{
	struct file_sink *fs = (struct file_sink *)s;
	json_t *line = json_pack("{s:s, s:O}", "kind", kind, "rows", rows);
	enum vg_err e = put_line(fs, line, 1, err);

	json_decref(line);
	fs->rows += (json_int_t)json_array_size(rows);
	return e;
}

/* The end line: digest and signature. */
static enum vg_err
put_end(struct file_sink *fs, const struct fleet_host *h, char hex[65], struct vg_error *err)
{
	unsigned char d[32], sig[64];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *sc = EVP_MD_CTX_new();
	EVP_PKEY *key = NULL;
	char *pub = NULL, *sig64 = NULL;
	json_t *end;
	enum vg_err e;

	EVP_DigestFinal_ex(fs->md, d, NULL);
	vg_hex(d, 32, hex);
	e = fleet_hostkey(h->state_dir, &key, &pub, err);
	if (e == VG_OK && (sc == NULL || EVP_DigestSignInit(sc, NULL, NULL, NULL, key) != 1 ||
			   EVP_DigestSign(sc, sig, &siglen, d, sizeof(d)) != 1))
		e = vg_error_set(err, VG_CRYPTO, "cannot sign the export file");
	if (e == VG_OK && (sig64 = vg_base64((const char *)sig, siglen)) == NULL)
		e = vg_error_set(err, VG_NOMEM, "out of memory");
	if (e == VG_OK) {
		end = json_pack("{s:{s:I, s:I, s:s, s:s}}", "end", "lines", fs->lines, "rows",
				fs->rows, "sha256", hex, "signature", sig64);
		e = put_line(fs, end, 0, err);
		json_decref(end);
	}
	EVP_MD_CTX_free(sc);
	EVP_PKEY_free(key);
	free(pub);
	free(sig64);
	return e;
}

enum vg_err
fleet_export(const struct fleet_host *h, const char *out, json_t **sent, struct vg_error *err)
{
	struct file_sink fs = { { file_host, file_rows }, NULL, EVP_MD_CTX_new(), 0, 0 };
	struct fleet_marks next;
	struct vg_out o;
	json_t *counts = fleet_counts_new();
	char hex[65];
	int fd;
	enum vg_err e;

	*sent = NULL;
	if (fs.md == NULL || EVP_DigestInit_ex(fs.md, EVP_sha256(), NULL) != 1) {
		e = vg_error_set(err, VG_NOMEM, "out of memory");
		goto out;
	}
	e = vg_out_create(out, 0600, &o, err);
	if (e != VG_OK)
		goto out;
	fd = dup(o.fd);
	fs.f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (fs.f == NULL) {
		if (fd >= 0)
			close(fd);
		vg_out_abort(&o);
		e = vg_error_set(err, VG_IO, "cannot write '%s': %s", out, strerror(errno));
		goto out;
	}
	e = fleet_collect(h, &fleet_export_keys, &fs.sink, counts, &next, err);
	if (e == VG_OK)
		e = put_end(&fs, h, hex, err);
	if (fclose(fs.f) != 0 && e == VG_OK)
		e = vg_error_set(err, VG_IO, "cannot write '%s': %s", out, strerror(errno));
	if (e != VG_OK) {
		vg_out_abort(&o);
		goto out;
	}
	/* the file is whole and on disk before the export watermark moves */
	e = vg_out_commit(&o, 0, err);
	if (e == VG_OK)
		e = fleet_marks_save(h, &fleet_export_keys, &next, err);
	if (e == VG_OK) {
		*sent = json_pack("{s:s, s:s, s:O, s:I}", "file", out, "sha256", hex, "sent", counts,
				  "watermark", (json_int_t)next.rev);
	}
out:
	json_decref(counts);
	EVP_MD_CTX_free(fs.md);
	return e;
}

/* ---- import ---- */

struct reader {
	const char *path;
	FILE *f;
	char *line;
	size_t cap;
	ssize_t len;
};

static enum vg_err
bad(const struct reader *r, struct vg_error *err, const char *why)
{
	return vg_error_set(err, VG_INVAL, "'%s' is not a whole vigil fleet export: %s", r->path,
			    why);
}

/* The next line (without its newline) into r->line; 0 at the end, -1 on an error. */
static int
next_line(struct reader *r, struct vg_error *err)
{
	r->len = getline(&r->line, &r->cap, r->f);
	if (r->len < 0) {
		if (ferror(r->f)) {
			vg_error_set(err, VG_IO, "cannot read '%s': %s", r->path, strerror(errno));
			return -1;
		}
		return 0;
	}
	if ((size_t)r->len > LINE_MAX_BYTES) {
		bad(r, err, "a line is longer than 256 MiB");
		return -1;
	}
	if (r->line[r->len - 1] != '\n') {
		bad(r, err, "it ends in the middle of a line (truncated)");
		return -1;
	}
	return 1;
}

static int
is_end(const struct reader *r)
{
	return strncmp(r->line, "{\"end\":", 7) == 0;
}

/*
 * Read the whole file: hash every line before the end line, and hand each to fn (when not
 * NULL). *head and *end receive the parsed first and last lines.
 */
static enum vg_err
read_all(struct reader *r, unsigned char digest[32], json_t **head, json_t **end,
	 enum vg_err (*fn)(json_t *line, void *ctx), void *ctx, struct vg_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	json_int_t lines = 0;
	enum vg_err e = VG_OK;
	int got;

	*head = *end = NULL;
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	while (e == VG_OK && (got = next_line(r, err)) > 0) {
		json_t *doc;

		if (*end != NULL) {
			e = bad(r, err, "there is more after its end line");
			break;
		}
		doc = json_loadb(r->line, (size_t)r->len, 0, NULL);
		if (doc == NULL || !json_is_object(doc)) {
			json_decref(doc);
			e = bad(r, err, "a line is not a JSON object (altered?)");
			break;
		}
		if (is_end(r)) {
			*end = doc;
			continue;
		}
		EVP_DigestUpdate(md, r->line, (size_t)r->len);
		if (lines++ == 0) {
			*head = doc;
			continue;
		}
		if (fn)
			e = fn(doc, ctx);
		json_decref(doc);
	}
	if (e == VG_OK && got < 0)
		e = err->code;
	if (e == VG_OK && *end == NULL)
		e = bad(r, err, "it has no end line (truncated)");
	if (e == VG_OK &&
	    json_integer_value(json_object_get(json_object_get(*end, "end"), "lines")) != lines)
		e = bad(r, err, "its end line counts another number of lines");
	EVP_DigestFinal_ex(md, digest, NULL);
	EVP_MD_CTX_free(md);
	return e;
}

/* The head is ours, the digest matches the end line, the signature the head's key. */
static enum vg_err
verify(const struct reader *r, const unsigned char d[32], json_t *head, json_t *end,
       struct vg_error *err)
{
	json_t *host = json_object_get(head, "host"), *e = json_object_get(end, "end");
	const char *want = json_string_value(json_object_get(e, "sha256"));
	char hex[65], *sig = NULL;
	size_t siglen = 0;
	EVP_MD_CTX *sc;
	EVP_PKEY *key;
	int ok;

	if (head == NULL || !json_is_string(json_object_get(head, "format")) ||
	    strcmp(json_string_value(json_object_get(head, "format")), FORMAT) != 0)
		return bad(r, err, "its first line is not the head of an export");
	if (json_integer_value(json_object_get(head, "version")) != VERSION)
		return vg_error_set(err, VG_INVAL, "'%s': export version %lld is not one this "
				    "vigil reads (%d)", r->path,
				    (long long)json_integer_value(json_object_get(head, "version")),
				    VERSION);
	vg_hex(d, 32, hex);
	if (want == NULL || strcmp(want, hex) != 0)
		return bad(r, err, "its content does not match its SHA-256 (altered or truncated)");
	key = fleet_pubkey_from_b64(json_string_value(json_object_get(host, "pubkey")));
	if (key == NULL)
		return bad(r, err, "its head has no Ed25519 host key");
	sig = vg_base64_decode(json_string_value(json_object_get(e, "signature")) ?: "", &siglen);
	sc = EVP_MD_CTX_new();
	ok = sig && sc && EVP_DigestVerifyInit(sc, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestVerify(sc, (unsigned char *)sig, siglen, d, 32) == 1;
	EVP_MD_CTX_free(sc);
	EVP_PKEY_free(key);
	free(sig);
	if (!ok)
		return bad(r, err, "its signature does not verify with the host key in it");
	return VG_OK;
}

struct import {
	struct fleet_pgsink *p;
	json_t *counts;
	struct vg_error *err;
};

static enum vg_err
import_line(json_t *line, void *ctx)
{
	struct import *im = ctx;
	const char *kind = json_string_value(json_object_get(line, "kind"));
	json_t *rows = json_object_get(line, "rows");
	const char *key;
	enum vg_err e;

	if (kind == NULL || !json_is_array(rows))
		return vg_error_set(im->err, VG_INVAL, "a line of the export has no kind or rows");
	e = im->p->sink.rows(&im->p->sink, kind, rows, im->err);
	key = fleet_count_key(kind);
	if (e == VG_OK)
		json_object_set_new(im->counts, key,
				    json_integer(json_integer_value(json_object_get(im->counts, key)) +
						 (json_int_t)json_array_size(rows)));
	return e;
}

static enum vg_err
open_file(struct reader *r, const char *path, struct vg_error *err)
{
	struct stat sb;
	int fd;

	memset(r, 0, sizeof(*r));
	r->path = path;
	/* not blocking on a FIFO: only a regular file is read */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return vg_error_set(err, errno == ENOENT ? VG_NOENT : VG_IO, "cannot open '%s': %s",
				    path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return vg_error_set(err, VG_INVAL, "'%s' is not a regular file", path);
	}
	fcntl(fd, F_SETFL, 0);
	r->f = fdopen(fd, "r");
	if (r->f == NULL) {
		close(fd);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	return VG_OK;
}

enum vg_err
fleet_import(const char *path, const char *url, json_t **loaded, struct vg_error *err)
{
	unsigned char d1[32], d2[32];
	struct fleet_pgsink p;
	struct reader r;
	struct import im = { &p, NULL, err };
	json_t *head = NULL, *end = NULL, *head2 = NULL, *end2 = NULL, *host;
	enum vg_err e;

	*loaded = NULL;
	e = open_file(&r, path, err);
	if (e != VG_OK)
		return e;
	/* first reading: check everything, send nothing */
	e = read_all(&r, d1, &head, &end, NULL, NULL, err);
	if (e == VG_OK)
		e = verify(&r, d1, head, end, err);
	if (e == VG_OK)
		e = fleet_pgsink_begin(&p, url, err);
	if (e != VG_OK)
		goto out;
	/* second reading: into one transaction */
	im.counts = fleet_counts_new();
	host = json_deep_copy(json_object_get(head, "host"));
	json_object_set_new(host, "via", json_string("import"));
	e = p.sink.host(&p.sink, host, err);
	json_decref(host);
	json_object_set_new(im.counts, "hosts", json_integer(1));
	if (e == VG_OK && fseeko(r.f, 0, SEEK_SET) != 0)
		e = vg_error_set(err, VG_IO, "cannot read '%s' again: %s", path, strerror(errno));
	if (e == VG_OK)
		e = read_all(&r, d2, &head2, &end2, import_line, &im, err);
	if (e == VG_OK && memcmp(d1, d2, 32) != 0)
		e = vg_error_set(err, VG_CHANGED, "'%s' changed while it was being imported", path);
	if (e == VG_OK)
		e = fleet_pgsink_end(&p, 1, err);
	else
		fleet_pgsink_end(&p, 0, NULL);
	if (e == VG_OK)
		*loaded = json_pack("{s:s, s:s, s:O?, s:O, s:o}", "file", path, "database",
				    p.conn.where, "machine_guid",
				    json_object_get(json_object_get(head, "host"), "machine_guid"),
				    "loaded", im.counts, "changed", p.changed);
	else
		json_decref(p.changed);
out:
	json_decref(im.counts);
	json_decref(head);
	json_decref(end);
	json_decref(head2);
	json_decref(end2);
	free(r.line);
	fclose(r.f);
	return e;
}
