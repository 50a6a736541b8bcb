/* quarantine/quarantine_int.h — private to quarantine/: the handle, the key and chunk crypto. */
#ifndef VIGIL_QUARANTINE_INT_H
#define VIGIL_QUARANTINE_INT_H

#include <openssl/evp.h>

#include "quarantine/quarantine.h"

#define KEY_LEN 32
#define NONCE_LEN 12
#define TAG_LEN 16

struct vault {
	struct store *st;
	unsigned char key[KEY_LEN];
	int64_t restore_window;
	int finished, rolled_back;
	EVP_CIPHER_CTX *cipher;
	unsigned char *plain, *sealed;	/* one chunk each, reused */
	char *state_real, *key_real;	/* never quarantined: canonical paths */
};

/* key.c: load (or create) the key and check it against the vault's key id. */
enum vg_err vault_key_load(struct vault *v, const char *state_dir, const char *key_file,
			   struct vg_error *err);

/* crypt.c: seal/open one chunk. sealed = ciphertext || tag (len + TAG_LEN bytes). */
enum vg_err chunk_seal(struct vault *v, int64_t id, int64_t idx, int64_t count,
		       const unsigned char *plain, size_t len, unsigned char nonce[NONCE_LEN],
		       unsigned char *sealed, struct vg_error *err);
/* VG_CRYPTO, naming the item, when the chunk was altered, moved or belongs elsewhere. */
enum vg_err chunk_open(struct vault *v, int64_t id, int64_t idx, int64_t count,
		       const unsigned char *nonce, const unsigned char *sealed, size_t sealed_len,
		       unsigned char *plain, size_t *len, struct vg_error *err);

/*
 * Decrypt every chunk of item q in order, calling sink for each plaintext piece, and check
 * the SHA-256 of the whole against the item's. Nothing is trusted before that check passes:
 * callers write to a temporary place and keep it only on VG_OK.
 */
enum vg_err vault_decrypt(struct vault *v, const struct store_qitem *q,
			  int (*sink)(const unsigned char *p, size_t n, void *ctx), void *ctx,
			  struct vg_error *err);

/* restore.c: delete the temporary files of restores that were killed half-way. */
void vault_clean_restores(struct vault *v);

#endif
