/*
 * sigdb/hashfile.c — the hash lists' saved form in the state folder. The lists stay in the
 * store as text (the source of truth); what a scan reads is state_dir/hashes-<digest>.vhdb,
 * the sealed database of sigdb/hashes.h, named by the digest of the lists (their names and
 * SHA-256s, in order) and written through vg_out (temporary file, fsync, rename). Its own
 * SHA-256 is recorded in the store (meta "vhdb_sha256.<digest>"), as the compiled rules' is.
 *
 * Loading maps the file (never through a link: vg_state_open), hashes the mapping and uses
 * it in place only when that SHA-256 is the recorded one and the header checks out; pages
 * hashed are dropped again as the hash goes, so a million entries do not stay resident
 * (bsearch touches ~20 pages a lookup). Anything else (missing, truncated, damaged, planted,
 * no record) is logged and rebuilt from the lists' texts in the store.
 *
 * The mapping is of a file nobody but vigil writes, and vigil only ever renames a new one
 * into place: a file truncated under a running vigil by someone who can write the state
 * folder would fault (SIGBUS) on a lookup past its new end; such a writer can change the
 * store too.
 */
#include "sigdb/sigdb_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/log.h"
#include "core/path.h"
#include "core/reach.h"
#include "core/statedir.h"

#define VHDB_PREFIX "hashes-"
#define VHDB_SUFFIX ".vhdb"
/* store meta: VHDB_SHA_KEY + digest of the lists -> SHA-256 of the saved file */
#define VHDB_SHA_KEY "vhdb_sha256."
/* hashed this much at a time, then dropped from this process's memory */
#define HASH_CHUNK ((size_t)8 << 20)

/* The file is hashed, its pages dropped after each chunk (they are clean: refetched from the
 * page cache if a lookup needs them). */
static void
sha256_mapping(unsigned char *map, size_t len, char hex[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[32];
	size_t off;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (off = 0; off < len; off += HASH_CHUNK) {
		size_t n = len - off < HASH_CHUNK ? len - off : HASH_CHUNK;

		EVP_DigestUpdate(md, map + off, n);
		madvise(map + off, n, MADV_DONTNEED);
	}
	EVP_DigestFinal_ex(md, d, NULL);
	EVP_MD_CTX_free(md);
	vg_hex(d, 32, hex);
}

/*
 * Map state_dir/hs->file and use it when its SHA-256 is the one recorded for it. VG_NOENT when
 * there is no file; another code, the reason in err, when it is not used.
 */
static enum vg_err
map_saved(struct store *st, const char *state_dir, struct sigdb_hashset *hs, int keep,
	  struct vg_error *err)
{
	char *recorded = NULL, hex[65];
	struct stat sb;
	void *map;
	enum vg_err rc;
	int fd;

	fd = vg_state_open(state_dir, hs->file, O_RDONLY, 0, err);
	if (fd < 0)
		return err->code;
	if (fstat(fd, &sb) != 0) {
		rc = vg_error_set(err, VG_IO, "cannot examine it: %s", strerror(errno));
		close(fd);
		return rc;
	}
	if (sb.st_size <= 0 || (uint64_t)sb.st_size > SIZE_MAX) {
		close(fd);
		return vg_error_set(err, VG_RULES, "it is empty or too large");
	}
	rc = store_meta_get(st, hs->key, &recorded, err);
	if (rc == VG_OK && recorded == NULL)
		rc = vg_error_set(err, VG_NOTFOUND, "no SHA-256 of it is recorded in the store");
	if (rc != VG_OK) {
		close(fd);
		return rc;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		free(recorded);
		return vg_error_set(err, VG_IO, "cannot map it: %s", strerror(errno));
	}
	sha256_mapping(map, (size_t)sb.st_size, hex);
	if (strcmp(hex, recorded) != 0) {
		rc = vg_error_set(err, VG_UNSAFE, "its SHA-256 %.16s... is not the one recorded "
				  "when it was saved (%.16s...)", hex, recorded);
		munmap(map, (size_t)sb.st_size);
	} else if (keep) {
		rc = hashdb_open_mapping_take(map, (size_t)sb.st_size, &hs->db, err);
	} else {
		struct hashdb *h = NULL;

		/* only checked: the caller keeps nothing */
		rc = hashdb_open_image(map, (size_t)sb.st_size, &h, err);
		hashdb_destroy(h);
		munmap(map, (size_t)sb.st_size);
	}
	free(recorded);
	return rc;
}

/* Seal the lists of l (their texts read from the store) and save them as hs->file. */
static enum vg_err
rebuild(struct store *st, const char *state_dir, struct sigdb_sources *l, int keep,
	struct sigdb_hashset *hs, struct vg_error *err)
{
	struct hashdb *h = NULL;
	char *path = NULL;
	const void *data;
	unsigned char d[32];
	struct vg_out o;
	size_t len, i;
	enum vg_err rc = sigdb_sources_read(st, l, SIGDB_TEXTS_HASHES, err);

	if (rc != VG_OK)
		return rc;
	if ((h = hashdb_create()) == NULL || (path = vg_path_join(state_dir, hs->file)) == NULL) {
		rc = vg_error_set(err, VG_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; rc == VG_OK && i < l->n; i++) {
		int64_t added, bad;

		/* the lists were checked line by line at import: bad lines are only skipped */
		if (strcmp(l->v[i].kind, "hashes") == 0)
			rc = hashdb_parse(h, l->v[i].name, l->v[i].text, l->v[i].len, 1, &added,
					  &bad, err);
	}
	if (rc != VG_OK)
		goto out;
	rc = hashdb_seal(h);
	if (rc != VG_OK) {
		rc = vg_error_set(err, rc, "cannot build the hash lists' saved form: %s",
				  vg_strerror(rc));
		goto out;
	}
	hashdb_image(h, &data, &len);
	rc = vg_out_create(path, 0600, &o, err);
	if (rc != VG_OK)
		goto out;
	if (vg_write_full(o.fd, data, len) != 0) {
		rc = vg_error_set(err, VG_IO, "cannot save the hash lists '%s': %s", path,
				  strerror(errno));
		vg_out_abort(&o);
		goto out;
	}
	rc = vg_out_commit(&o, 0, err);
	if (rc != VG_OK)
		goto out;
	EVP_Digest(data, len, d, NULL, EVP_sha256(), NULL);
	vg_hex(d, 32, hs->saved);
	if (keep) {
		hs->db = h;
		h = NULL;
	}
out:
	hashdb_destroy(h);
	free(path);
	return rc;
}

enum vg_err
sigdb_hashset_load(struct store *st, const char *state_dir, struct sigdb_sources *l, int keep,
		   struct sigdb_hashset *hs, struct vg_error *err)
{
	struct vg_error why;
	enum vg_err rc;

	memset(hs, 0, sizeof(*hs));
	hs->lists = sigdb_sources_hash_digest(l, hs->digest);
	if (hs->lists == 0)
		return VG_OK;
	if (asprintf(&hs->file, VHDB_PREFIX "%.16s" VHDB_SUFFIX, hs->digest) < 0)
		hs->file = NULL;
	if (asprintf(&hs->key, VHDB_SHA_KEY "%s", hs->digest) < 0)
		hs->key = NULL;
	if (hs->file == NULL || hs->key == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	vg_error_init(&why);
	rc = map_saved(st, state_dir, hs, keep, &why);
	if (rc == VG_OK)
		return VG_OK;
	if (rc != VG_NOENT)
		vg_log(rc == VG_NOTFOUND ? VG_LOG_INFO : VG_LOG_WARN, "hash lists '%s/%s' not "
		       "loaded: %s; building them again from the lists in the store", state_dir,
		       hs->file, vg_error_msg(&why));
	return rebuild(st, state_dir, l, keep, hs, err);
}

enum vg_err
sigdb_hashset_record(struct store *st, const struct sigdb_hashset *hs, struct vg_error *err)
{
	if (hs->lists == 0 || hs->saved[0] == '\0')
		return VG_OK;
	return store_meta_set(st, hs->key, hs->saved, err);
}

void
sigdb_hashset_prune(struct store *st, const char *state_dir, const struct sigdb_hashset *hs)
{
	sigdb_prune_saved(st, state_dir, VHDB_PREFIX, VHDB_SUFFIX, hs->file, VHDB_SHA_KEY,
			  hs->key);
}

void
sigdb_hashset_release(struct sigdb_hashset *hs)
{
	free(hs->file);
	free(hs->key);
	hashdb_destroy(hs->db);
	memset(hs, 0, sizeof(*hs));
}
