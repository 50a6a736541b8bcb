/*
 * tests/fuzz/fuzz_bundle.c — signed offline signature bundles (sigdb/bundle.c).
 *
 * One Ed25519 key pair is made per process (in the temporary folder). The first byte
 * chooses (b % 3):
 *
 *   0  the rest is a whole bundle file: sigdb_bundle_read with the key (the tar reader and
 *      every check before the signature; a random file never verifies).
 *   1  the rest is split at NUL bytes: the manifest.json text, then (name, content) pairs of
 *      files/<name>; packed into a tar with a valid manifest.sig, so sigdb_bundle_read gets
 *      past the signature to the manifest parser. In the manifest, "$sha0" .. "$sha9" and
 *      "$size0" .. "$size9" are replaced by the SHA-256 and size of file 0..9, so the fuzzer
 *      can reach the checks after them.
 *   2  a round trip: the rest is split at NUL bytes into a version and (kind+name, content)
 *      pairs; sigdb_bundle_create writes them signed, and when every name could be a file's
 *      base name (non-empty, no '/', at most 255 bytes, no duplicates) sigdb_bundle_read
 *      must give back exactly those files and that version.
 */
#include <archive.h>
#include <archive_entry.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "sigdb/sigdb.h"

#include "fuzz_common.h"

#define MAX_PARTS 24

static EVP_PKEY *key;
static char priv_path[4200], pub_path[4200], bundle_path[4200];

static void
make_keys(void)
{
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	FILE *f;

	if (kc == NULL || EVP_PKEY_keygen_init(kc) != 1 || EVP_PKEY_keygen(kc, &key) != 1)
		abort();
	EVP_PKEY_CTX_free(kc);
	fuzz_path(priv_path, sizeof(priv_path), "bundle.key");
	fuzz_path(pub_path, sizeof(pub_path), "bundle.pub");
	fuzz_path(bundle_path, sizeof(bundle_path), "bundle.tar");
	if ((f = fopen(priv_path, "w")) == NULL ||
	    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1 || fclose(f) != 0)
		abort();
	if ((f = fopen(pub_path, "w")) == NULL || PEM_write_PUBKEY(f, key) != 1 || fclose(f) != 0)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	make_keys();
	return 0;
}

struct part {
	const uint8_t *p;
	size_t n;
};

/* Split at NUL bytes, at most max parts (the last takes the rest). */
static size_t
split(const uint8_t *data, size_t size, struct part *parts, size_t max)
{
	size_t np = 0, i = 0;

	while (np < max) {
		const uint8_t *z = np + 1 < max ? memchr(data + i, '\0', size - i) : NULL;
		size_t n = z ? (size_t)(z - (data + i)) : size - i;

		parts[np].p = data + i;
		parts[np].n = n;
		np++;
		if (z == NULL)
			break;
		i += n + 1;
	}
	return np;
}

static void
put_entry(struct archive *a, const char *name, const void *p, size_t n)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	if (archive_write_header(a, e) == ARCHIVE_OK && n > 0)
		archive_write_data(a, p, n);
	archive_entry_free(e);
}

static void
sha256_hex(const void *p, size_t n, char hex[65])
{
	unsigned char d[32];

	EVP_Digest(p, n, d, NULL, EVP_sha256(), NULL);
	vg_hex(d, 32, hex);
}

/* The manifest with $shaN / $sizeN filled in from the files (malloc'd). */
static char *
fill_manifest(const struct part *m, const struct part *files, size_t nfiles, size_t *len)
{
	size_t cap = m->n * 8 + 1, n = 0, i = 0;
	char *out = malloc(cap);

	if (out == NULL)
		abort();
	while (i < m->n) {
		const char *s = (const char *)m->p + i;
		char rep[80];
		size_t skip = 0, rl = 0;

		if (m->n - i >= 5 && memcmp(s, "$sha", 4) == 0 && s[4] >= '0' && s[4] <= '9') {
			size_t k = (size_t)(s[4] - '0');

			sha256_hex(k < nfiles ? files[k].p : (const uint8_t *)"",
				   k < nfiles ? files[k].n : 0, rep);
			rl = 64;
			skip = 5;
		} else if (m->n - i >= 6 && memcmp(s, "$size", 5) == 0 && s[5] >= '0' &&
			   s[5] <= '9') {
			size_t k = (size_t)(s[5] - '0');

			rl = (size_t)snprintf(rep, sizeof(rep), "%zu", k < nfiles ? files[k].n : 0);
			skip = 6;
		}
		if (skip == 0) {
			rep[0] = *s;
			rl = 1;
			skip = 1;
		}
		if (n + rl + 1 > cap) {
			char *nb = realloc(out, cap = (n + rl + 1) * 2);

			if (nb == NULL)
				abort();
			out = nb;
		}
		memcpy(out + n, rep, rl);
		n += rl;
		i += skip;
	}
	out[n] = '\0';
	*len = n;
	return out;
}

static void
check_read_result(enum vg_err rc, struct sigdb_bundle *b, struct vg_error *err)
{
	size_t i;

	if (getenv("VIGIL_FUZZ_VERBOSE"))
		fprintf(stderr, "sigdb_bundle_read: %s (%zu files)\n",
			rc == VG_OK ? "ok" : vg_error_msg(err), rc == VG_OK ? b->n : 0);
	if (rc != VG_OK) {
		if (b->n != 0 || b->files != NULL)
			fuzz_fail("sigdb_bundle_read failed (%s) but left files", vg_error_msg(err));
		return;
	}
	for (i = 0; i < b->n; i++) {
		const struct sigdb_file *f = &b->files[i];

		if (f->name == NULL || f->kind == NULL || (f->content == NULL && f->len))
			fuzz_fail("sigdb_bundle_read gave file %zu without a name, kind or content", i);
		if (f->name[0] == '\0' || strchr(f->name, '/'))
			fuzz_fail("sigdb_bundle_read accepted the file name '%s'", f->name);
		if (strcmp(f->kind, "yara") && strcmp(f->kind, "hashes") &&
		    strcmp(f->kind, "filenames"))
			fuzz_fail("sigdb_bundle_read accepted the kind '%s'", f->kind);
	}
	sigdb_bundle_release(b);
}

static void
whole_file(const uint8_t *data, size_t size)
{
	struct sigdb_bundle b;
	struct vg_error err;
	enum vg_err rc;

	fuzz_write_file(bundle_path, data, size);
	vg_error_init(&err);
	rc = sigdb_bundle_read(bundle_path, pub_path, &b, &err);
	check_read_result(rc, &b, &err);
}

static void
signed_manifest(const uint8_t *data, size_t size)
{
	struct part parts[MAX_PARTS];
	size_t np = split(data, size, parts, MAX_PARTS), i, mlen, nfiles = 0;
	struct part files[MAX_PARTS];
	struct archive *a;
	EVP_MD_CTX *md;
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	char *manifest;
	struct sigdb_bundle b;
	struct vg_error err;
	enum vg_err rc;

	for (i = 2; i < np; i += 2)
		files[nfiles++] = parts[i];
	manifest = fill_manifest(&parts[0], files, nfiles, &mlen);
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)manifest, mlen) != 1)
		abort();
	EVP_MD_CTX_free(md);

	a = archive_write_new();
	if (a == NULL || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, bundle_path) != ARCHIVE_OK)
		abort();
	put_entry(a, "manifest.json", manifest, mlen);
	put_entry(a, "manifest.sig", sig, siglen);
	for (i = 1; i < np; i += 2) {
		char name[600];
		size_t nl = parts[i].n < 400 ? parts[i].n : 400;

		memcpy(name, "files/", 6);
		memcpy(name + 6, parts[i].p, nl);
		name[6 + nl] = '\0';
		put_entry(a, name, i + 1 < np ? parts[i + 1].p : NULL, i + 1 < np ? parts[i + 1].n : 0);
	}
	archive_write_close(a);
	archive_write_free(a);
	free(manifest);

	vg_error_init(&err);
	rc = sigdb_bundle_read(bundle_path, pub_path, &b, &err);
	check_read_result(rc, &b, &err);
}

static void
round_trip(const uint8_t *data, size_t size)
{
	static const char *const kinds[] = { "yara", "hashes", "filenames" };
	struct part parts[MAX_PARTS];
	size_t np = split(data, size, parts, MAX_PARTS), i, j, n = 0;
	struct sigdb_file files[MAX_PARTS];
	struct sigdb_bundle b;
	struct vg_error err;
	int64_t version = 0;
	int readable = 1;
	enum vg_err rc;

	{
		uint64_t v = 0; /* unsigned: the shift may carry any byte out of the top */

		for (i = 0; i < parts[0].n && i < 8; i++)
			v = v << 8 | parts[0].p[i];
		version = (int64_t)(v >> 1);
	}
	for (i = 1; i < np; i += 2) {
		const struct part *nm = &parts[i], *ct = i + 1 < np ? &parts[i + 1] : NULL;

		if (nm->n < 1)
			break;
		files[n].kind = (char *)kinds[nm->p[0] % 3];
		files[n].name = strndup((const char *)nm->p + 1, nm->n - 1);
		files[n].content = ct ? (char *)ct->p : (char *)"";
		files[n].len = ct ? ct->n : 0;
		if (files[n].name == NULL)
			abort();
		if (files[n].name[0] == '\0' || strchr(files[n].name, '/') || nm->n - 1 > 255)
			readable = 0;
		for (j = 0; j < n; j++)
			if (strcmp(files[j].name, files[n].name) == 0)
				readable = 0;
		n++;
	}
	vg_error_init(&err);
	unlink(bundle_path);
	rc = sigdb_bundle_create(priv_path, bundle_path, version, files, n, &err);
	if (rc == VG_OK) {
		vg_error_init(&err);
		rc = sigdb_bundle_read(bundle_path, pub_path, &b, &err);
		if (readable) {
			if (rc != VG_OK)
				fuzz_fail("a bundle that sigdb_bundle_create wrote (%zu files) does not "
					  "read back: %s", n, vg_error_msg(&err));
			if (b.version != version || b.n != n)
				fuzz_fail("bundle read back with version %lld and %zu files, written "
					  "with %lld and %zu", (long long)b.version, b.n,
					  (long long)version, n);
			for (i = 0; i < n; i++) {
				const struct sigdb_file *f = NULL;

				for (j = 0; j < b.n; j++)
					if (strcmp(b.files[j].name, files[i].name) == 0)
						f = &b.files[j];
				if (f == NULL || strcmp(f->kind, files[i].kind) ||
				    f->len != files[i].len ||
				    (f->len && memcmp(f->content, files[i].content, f->len)))
					fuzz_fail("file %zu of the bundle did not read back the same", i);
			}
		}
		check_read_result(rc, &b, &err);
	} else if (access(bundle_path, F_OK) == 0) {
		fuzz_fail("sigdb_bundle_create failed (%s) but left the bundle", vg_error_msg(&err));
	}
	for (i = 0; i < n; i++)
		free(files[i].name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		whole_file(data + 1, size - 1);
		break;
	case 1:
		signed_manifest(data + 1, size - 1);
		break;
	default:
		round_trip(data + 1, size - 1);
		break;
	}
	/* OpenSSL's per-thread error queue keeps what failed: empty it, so each input frees
	 * what it allocated (else libFuzzer runs its costly leak check after every input) */
	ERR_clear_error();
	return 0;
}
