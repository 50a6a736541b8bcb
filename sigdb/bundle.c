/*
 * sigdb/bundle.c — signed offline signature bundles.
 *
 * A bundle is a tar file: manifest.json ({"format": "vigil-bundle-1", "version": N,
 * "files": [{"name", "kind", "sha256", "size"}]}), manifest.sig (the Ed25519 signature of
 * manifest.json's exact bytes) and files/<name> for each file. Reading checks, before
 * anything is replaced: the signature with the trusted public key, every file's size and
 * SHA-256, that nothing is missing or extra, and the version against the active one.
 */
#include "sigdb/sigdb.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/jsonx.h"
#include "core/path.h"
#include "core/reach.h"

#define BUNDLE_FORMAT "vigil-bundle-1"
#define BUNDLE_MAX_BYTES (512u << 20)
#define BUNDLE_MAX_FILES 10000

static EVP_PKEY *
load_key(const char *path, int private_key, struct vg_error *err)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (f == NULL) {
		vg_error_set(err, VG_NOENT, "cannot read key '%s': %s", path, strerror(errno));
		return NULL;
	}
	k = private_key ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
			: PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL || EVP_PKEY_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		vg_error_set(err, VG_CRYPTO, "'%s' is not an Ed25519 %s key in PEM form", path,
			     private_key ? "private" : "public");
		return NULL;
	}
	return k;
}

static void
sha256_hex(const void *p, size_t n, char hex[65])
{
	unsigned char d[32];

	EVP_Digest(p, n, d, NULL, EVP_sha256(), NULL);
	vg_hex(d, 32, hex);
}

static enum vg_err
put(struct archive *a, const char *name, const void *p, size_t n, struct vg_error *err)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, time(NULL), 0);
	r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK || (n > 0 && archive_write_data(a, p, n) != (la_ssize_t)n))
		return vg_error_set(err, VG_ARCHIVE, "cannot write the bundle: %s",
				    archive_error_string(a));
	return VG_OK;
}

enum vg_err
sigdb_bundle_create(const char *key_path, const char *out, int64_t version,
		    const struct sigdb_file *files, size_t n, struct vg_error *err)
{
	EVP_PKEY *key = load_key(key_path, 1, err);
	EVP_MD_CTX *md = NULL;
	struct archive *a = NULL;
	json_t *manifest, *list;
	unsigned char sig[64];
	size_t siglen = sizeof(sig), i;
	struct vg_out o = { .fd = -1, .dfd = -1 };
	char *text = NULL, hex[65], name[600];
	enum vg_err rc = VG_OK;

	if (key == NULL)
		return err ? err->code : VG_CRYPTO;
	list = json_array();
	for (i = 0; i < n; i++) {
		sha256_hex(files[i].content, files[i].len, hex);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I}", "name", files[i].name,
						      "kind", files[i].kind, "sha256", hex, "size",
						      (json_int_t)files[i].len));
	}
	manifest = json_pack("{s:s, s:I, s:o}", "format", BUNDLE_FORMAT, "version",
			     (json_int_t)version, "files", list);
	text = json_dumps(manifest, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(manifest);
	md = EVP_MD_CTX_new();
	if (text == NULL || md == NULL || EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)text, strlen(text)) != 1) {
		rc = vg_error_set(err, VG_CRYPTO, "cannot sign the bundle manifest");
		goto out;
	}
	/* a new file in out's folder (reached without following a link another user could
	 * have planted, O_EXCL|O_NOFOLLOW), renamed over out: never written through a link or
	 * onto a device. 0644: a bundle is meant to be copied to other machines. */
	rc = vg_out_create(out, 0644, &o, err);
	if (rc != VG_OK)
		goto out;
	a = archive_write_new();
	if (a == NULL || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, o.fd) != ARCHIVE_OK) {
		rc = vg_error_set(err, VG_ARCHIVE, "cannot write '%s': %s", out,
				  a ? archive_error_string(a) : "out of memory");
		goto out;
	}
	rc = put(a, "manifest.json", text, strlen(text), err);
	if (rc == VG_OK)
		rc = put(a, "manifest.sig", sig, siglen, err);
	for (i = 0; rc == VG_OK && i < n; i++) {
		snprintf(name, sizeof(name), "files/%s", files[i].name);
		rc = put(a, name, files[i].content, files[i].len, err);
	}
	if (archive_write_close(a) != ARCHIVE_OK && rc == VG_OK)
		rc = vg_error_set(err, VG_ARCHIVE, "cannot write '%s': %s", out,
				  archive_error_string(a));
	if (a)
		archive_write_free(a);
	a = NULL;
	if (rc == VG_OK)
		rc = vg_out_commit(&o, 0, err);
out:
	if (a)
		archive_write_free(a);
	vg_out_abort(&o);
	free(text);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return rc;
}

void
sigdb_bundle_release(struct sigdb_bundle *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->files[i].name);
		free(b->files[i].kind);
		free(b->files[i].content);
	}
	free(b->files);
	memset(b, 0, sizeof(*b));
}

/* Read every entry of the tar into memory (bounded), keeping manifest, signature, files. */
static enum vg_err
read_entries(const char *path, char **manifest, size_t *mlen, unsigned char *sig, size_t *siglen,
	     json_t *contents, struct vg_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t total = 0, count = 0;
	enum vg_err rc = VG_OK;
	int r;

	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		rc = vg_error_set(err, VG_ARCHIVE, "cannot read bundle '%s': %s", path,
				  archive_error_string(a));
		archive_read_free(a);
		return rc;
	}
	while (rc == VG_OK && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		la_int64_t size = archive_entry_size(e);
		char *buf;

		if (archive_entry_filetype(e) == AE_IFDIR)
			continue; /* a repacking tool's folder entries carry nothing */

		if (++count > BUNDLE_MAX_FILES || size < 0 ||
		    (total += (size_t)size) > BUNDLE_MAX_BYTES) {
			rc = vg_error_set(err, VG_LIMIT, "bundle '%s' is too large", path);
			break;
		}
		buf = malloc((size_t)size + 1);
		if (buf == NULL || archive_read_data(a, buf, (size_t)size) != size) {
			free(buf);
			rc = vg_error_set(err, VG_ARCHIVE, "bundle '%s' is damaged: %s", path,
					  archive_error_string(a));
			break;
		}
		buf[size] = '\0';
		if (strcmp(name, "manifest.json") == 0 && *manifest == NULL) {
			*manifest = buf;
			*mlen = (size_t)size;
		} else if (strcmp(name, "manifest.sig") == 0 && size == 64) {
			memcpy(sig, buf, 64);
			*siglen = 64;
			free(buf);
		} else if (strncmp(name, "files/", 6) == 0 && name[6] && !strchr(name + 6, '/') &&
			   json_object_get(contents, name + 6) == NULL) {
			/* a key jansson refuses (not UTF-8) is an entry no manifest can name */
			if (json_object_set_new(contents, name + 6,
						json_pack("{s:I, s:I}", "ptr",
							  (json_int_t)(intptr_t)buf, "len",
							  (json_int_t)size)) != 0) {
				free(buf);
				rc = vg_error_set(err, VG_INVAL, "bundle '%s' holds an entry whose "
						  "name is not UTF-8", path);
			}
		} else {
			free(buf);
			rc = vg_error_set(err, VG_INVAL, "bundle '%s' holds an unexpected entry '%s'",
					  path, name);
		}
	}
	if (rc == VG_OK && r != ARCHIVE_EOF)
		rc = vg_error_set(err, VG_ARCHIVE, "bundle '%s' is damaged: %s", path,
				  archive_error_string(a));
	archive_read_free(a);
	return rc;
}

static void
free_contents(json_t *contents)
{
	const char *k;
	json_t *v;

	json_object_foreach(contents, k, v)
		free((void *)(intptr_t)json_integer_value(json_object_get(v, "ptr")));
	json_decref(contents);
}

enum vg_err
sigdb_bundle_read(const char *path, const char *pubkey_path, struct sigdb_bundle *out,
		  struct vg_error *err)
{
	EVP_PKEY *key = load_key(pubkey_path, 0, err);
	EVP_MD_CTX *md = NULL;
	json_t *contents = json_object(), *manifest = NULL, *files = NULL, *f;
	char *text = NULL;
	unsigned char sig[64];
	size_t mlen = 0, siglen = 0, i;
	enum vg_err rc;

	memset(out, 0, sizeof(*out));
	if (key == NULL) {
		json_decref(contents);
		return err ? err->code : VG_CRYPTO;
	}
	rc = read_entries(path, &text, &mlen, sig, &siglen, contents, err);
	if (rc == VG_OK && (text == NULL || siglen != 64))
		rc = vg_error_set(err, VG_CRYPTO, "bundle '%s' has no manifest or no signature",
				  path);
	md = EVP_MD_CTX_new();
	if (rc == VG_OK &&
	    (md == NULL || EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) != 1 ||
	     EVP_DigestVerify(md, sig, 64, (const unsigned char *)text, mlen) != 1))
		rc = vg_error_set(err, VG_CRYPTO, "bundle '%s': the signature does not verify with "
				  "'%s' (not signed by that key, or altered)", path, pubkey_path);
	if (rc == VG_OK) {
		manifest = json_loadb(text, mlen, 0, NULL);
		files = json_object_get(manifest, "files");
		if (!json_is_object(manifest) ||
		    !json_is_string(json_object_get(manifest, "format")) ||
		    strcmp(json_string_value(json_object_get(manifest, "format")), BUNDLE_FORMAT) != 0 ||
		    !json_is_integer(json_object_get(manifest, "version")) || !json_is_array(files) ||
		    json_array_size(files) != json_object_size(contents))
			rc = vg_error_set(err, VG_INVAL, "bundle '%s': the manifest does not describe "
					  "its files", path);
	}
	if (rc == VG_OK) {
		out->version = json_integer_value(json_object_get(manifest, "version"));
		out->files = calloc(json_array_size(files) + 1, sizeof(*out->files));
		if (out->files == NULL)
			rc = vg_error_set(err, VG_NOMEM, "out of memory");
	}
	json_array_foreach(rc == VG_OK ? files : NULL, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		const char *kind = json_string_value(json_object_get(f, "kind"));
		const char *want = json_string_value(json_object_get(f, "sha256"));
		json_t *c = name ? json_object_get(contents, name) : NULL;
		char hex[65];
		char *p;
		size_t len;

		if (c == NULL || kind == NULL || want == NULL ||
		    (strcmp(kind, "yara") != 0 && strcmp(kind, "hashes") != 0 &&
		     strcmp(kind, "filenames") != 0)) {
			rc = vg_error_set(err, VG_INVAL, "bundle '%s': file '%s' is missing or "
					  "undescribed", path, name ? name : "?");
			break;
		}
		p = (char *)(intptr_t)json_integer_value(json_object_get(c, "ptr"));
		len = (size_t)json_integer_value(json_object_get(c, "len"));
		sha256_hex(p, len, hex);
		if (strcmp(hex, want) != 0) {
			rc = vg_error_set(err, VG_CRYPTO, "bundle '%s': file '%s' was altered (its "
					  "SHA-256 is not the signed one)", path, name);
			break;
		}
		out->files[out->n].name = strdup(name);
		out->files[out->n].kind = strdup(kind);
		out->files[out->n].content = p;
		out->files[out->n].len = len;
		out->n++;
		json_object_set_new(c, "ptr", json_integer(0)); /* handed to out */
	}
	if (rc != VG_OK)
		sigdb_bundle_release(out);
	free_contents(contents);
	json_decref(manifest);
	free(text);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return rc;
}
