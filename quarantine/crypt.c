/* quarantine/crypt.c — AES-256-GCM per chunk, bound to its item, position and count. */
#include "quarantine/quarantine_int.h"

#include <openssl/rand.h>
#include <errno.h>
#include <string.h>

#include "core/jsonx.h"

/* The associated data: a label, then item id, chunk index and chunk count, little endian. */
static void
make_aad(unsigned char aad[32], int64_t id, int64_t idx, int64_t count)
{
	int i;

	memcpy(aad, "vigilq01", 8);
	for (i = 0; i < 8; i++) {
		aad[8 + i] = (unsigned char)((uint64_t)id >> (8 * i));
		aad[16 + i] = (unsigned char)((uint64_t)idx >> (8 * i));
		aad[24 + i] = (unsigned char)((uint64_t)count >> (8 * i));
	}
}

enum vg_err
chunk_seal(struct vault *v, int64_t id, int64_t idx, int64_t count, const unsigned char *plain,
	   size_t len, unsigned char nonce[NONCE_LEN], unsigned char *sealed,
	   struct vg_error *err)
{
	unsigned char aad[32];
	int n = 0, fin = 0;

	make_aad(aad, id, idx, count);
	if (RAND_bytes(nonce, NONCE_LEN) != 1 ||
	    EVP_EncryptInit_ex(v->cipher, EVP_aes_256_gcm(), NULL, v->key, nonce) != 1 ||
	    EVP_EncryptUpdate(v->cipher, NULL, &n, aad, sizeof(aad)) != 1 ||
	    (len > 0 && EVP_EncryptUpdate(v->cipher, sealed, &n, plain, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(v->cipher, sealed + (len > 0 ? n : 0), &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(v->cipher, EVP_CTRL_GCM_GET_TAG, TAG_LEN, sealed + len) != 1)
		return vg_error_set(err, VG_CRYPTO, "cannot encrypt chunk %lld of quarantine item %lld",
				    (long long)idx, (long long)id);
	return VG_OK;
}

enum vg_err
chunk_open(struct vault *v, int64_t id, int64_t idx, int64_t count, const unsigned char *nonce,
	   const unsigned char *sealed, size_t sealed_len, unsigned char *plain, size_t *len,
	   struct vg_error *err)
{
	unsigned char aad[32], tag[TAG_LEN];
	size_t clen;
	int n = 0, fin = 0;

	if (sealed_len < TAG_LEN)
		goto bad;
	clen = sealed_len - TAG_LEN;
	memcpy(tag, sealed + clen, TAG_LEN);
	make_aad(aad, id, idx, count);
	if (EVP_DecryptInit_ex(v->cipher, EVP_aes_256_gcm(), NULL, v->key, nonce) != 1 ||
	    EVP_DecryptUpdate(v->cipher, NULL, &n, aad, sizeof(aad)) != 1 ||
	    (clen > 0 && EVP_DecryptUpdate(v->cipher, plain, &n, sealed, (int)clen) != 1) ||
	    EVP_CIPHER_CTX_ctrl(v->cipher, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(v->cipher, plain + (clen > 0 ? n : 0), &fin) != 1)
		goto bad;
	*len = clen;
	return VG_OK;
bad:
	return vg_error_set(err, VG_CRYPTO,
			    "quarantine item %lld is corrupt or was tampered with (chunk %lld of %lld "
			    "does not authenticate)", (long long)id, (long long)idx, (long long)count);
}

/*
 * Every chunk of q in order, each authenticated and decrypted into its piece of v->plain;
 * sink (may be NULL) gets each piece, and with hash the hasher gets it too. *total: the
 * bytes decrypted.
 */
static enum vg_err
walk_chunks(struct vault *v, const struct store_qitem *q, int hash,
	    int (*sink)(const unsigned char *p, size_t n, void *ctx), void *ctx, int64_t *total,
	    struct vg_error *err)
{
	unsigned char nonce[NONCE_LEN];
	int64_t idx;
	enum vg_err rc = VG_OK;

	*total = 0;
	if (q->chunk_size != QUARANTINE_CHUNK || q->chunks < 1)
		return vg_error_set(err, VG_CRYPTO, "quarantine item %lld is corrupt (chunk layout)",
				    (long long)q->id);
	for (idx = 0; rc == VG_OK && idx < q->chunks; idx++) {
		unsigned char *plain = vault_piece(v, idx);
		size_t nl = 0, sl = 0, pl = 0;

		rc = store_q_chunk_get(v->st, q, idx, nonce, sizeof(nonce), &nl, v->sealed,
				       QUARANTINE_CHUNK + TAG_LEN, &sl, err);
		if (rc == VG_NOTFOUND || rc == VG_LIMIT || (rc == VG_OK && nl != NONCE_LEN)) {
			vg_error_init(err);
			rc = vg_error_set(err, VG_CRYPTO,
					  "quarantine item %lld is corrupt or was tampered with "
					  "(chunk %lld is missing or malformed)",
					  (long long)q->id, (long long)idx);
		}
		if (rc == VG_OK)
			rc = chunk_open(v, q->id, idx, q->chunks, nonce, v->sealed, sl, plain, &pl,
					err);
		if (rc == VG_OK) {
			*total += (int64_t)pl;
			if (hash)
				hasher_feed(&v->hash, plain, pl);
			if (sink && sink(plain, pl, ctx) != 0)
				rc = vg_error_set(err, VG_IO, "cannot write the restored data: %s",
						  strerror(errno));
		}
	}
	return rc;
}

enum vg_err
vault_decrypt(struct vault *v, const struct store_qitem *q,
	      int (*sink)(const unsigned char *p, size_t n, void *ctx), void *ctx,
	      struct vg_error *err)
{
	char hex[65];
	int64_t total = 0;
	enum vg_err rc = hasher_begin(&v->hash, q->chunks > 1, err);

	if (rc != VG_OK)
		return rc;
	rc = walk_chunks(v, q, 1, sink, ctx, &total, err);
	if (rc != VG_OK) {
		hasher_abandon(&v->hash);
		return rc;
	}
	hasher_final(&v->hash, hex);
	if (total != q->size || strcmp(hex, q->sha256) != 0)
		rc = vg_error_set(err, VG_CRYPTO,
				  "quarantine item %lld is corrupt: its content does not match "
				  "the recorded size and SHA-256", (long long)q->id);
	return rc;
}

/*
 * Why the tags are enough here, without hashing the whole again: the SHA-256 recorded for
 * the item was computed over the very buffers that chunk_seal encrypted, one per chunk, and
 * a chunk that authenticates under the vault key with its AAD (item id, index, count) is,
 * but with probability 2^-128, the ciphertext chunk_seal made of that buffer. Every index
 * present, each authentic, and the lengths adding up to the size: the decryption is the
 * plaintext that was hashed. Hashing it again would cost a second SHA-256 pass (slower than
 * AES-GCM on this hardware) to learn nothing more. A restore still checks the SHA-256 of the
 * whole before it keeps the file.
 */
enum vg_err
vault_check(struct vault *v, const struct store_qitem *q, struct vg_error *err)
{
	int64_t total = 0;
	enum vg_err rc = walk_chunks(v, q, 0, NULL, NULL, &total, err);

	if (rc == VG_OK && total != q->size)
		rc = vg_error_set(err, VG_CRYPTO, "quarantine item %lld is corrupt: its chunks hold "
				  "%lld bytes, not %lld", (long long)q->id, (long long)total,
				  (long long)q->size);
	return rc;
}
