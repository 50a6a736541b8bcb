/* quarantine/quarantine_int.h — private to quarantine/: the handle, the key and chunk crypto. */
#ifndef VIGIL_QUARANTINE_INT_H
#define VIGIL_QUARANTINE_INT_H

#include <openssl/evp.h>
#include <pthread.h>
#include <sys/types.h>

#include "quarantine/quarantine.h"

/*
 * Moving a large file in or out, the kernel is asked every this many bytes to start writing
 * what it holds (sync_file_range, no wait): the disk works while the CPU encrypts, decrypts
 * and hashes the next pieces, and the final fsync finds little left to write.
 */
#define WRITEBACK_BYTES (16u << 20)

#define KEY_LEN 32
#define NONCE_LEN 12
#define TAG_LEN 16

/* hasher.c: SHA-256 over a stream of pieces, on a thread of its own for large items. */
struct hasher {
	EVP_MD_CTX *md;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	void *job;		/* the piece in flight, or NULL */
	size_t len;
	int fd;			/* >= 0: read the piece from fd first */
	ssize_t got;		/* what the last read returned, and its errno */
	int err;
	int running, threaded, stop;
};

/* Start a digest; threaded: hash on the second thread (made once, kept). */
enum vg_err hasher_begin(struct hasher *h, int threaded, struct vg_error *err);
/* Hash p (n bytes) after the pieces before it. The caller leaves p unchanged until the next
 * feed has returned, or hasher_final / hasher_abandon. */
void hasher_feed(struct hasher *h, const void *p, size_t n);
/* Read n bytes from fd into p (vg_read_full), then hash them, after the pieces before. */
void hasher_read(struct hasher *h, int fd, void *p, size_t n);
/* Wait for the job in flight; the last read's result (and its errno in *err). */
ssize_t hasher_wait(struct hasher *h, int *err);
void hasher_final(struct hasher *h, char hex[65]);
/* The digest is not wanted: wait for the piece in flight only. */
void hasher_abandon(struct hasher *h);
/* Stop the thread, free everything (the struct may be all zeros). */
void hasher_release(struct hasher *h);

struct vault {
	struct store *st;
	unsigned char key[KEY_LEN];
	int64_t restore_window;
	int finished, rolled_back;
	EVP_CIPHER_CTX *cipher;
	/* two chunks of plaintext: piece i is in plain + (i % 2) * QUARANTINE_CHUNK while the
	 * hasher reads piece i - 1 in the other; one sealed chunk */
	unsigned char *plain, *sealed;
	struct hasher hash;
	char *state_real, *key_real;	/* never quarantined: canonical paths */
	struct quarantine_notify notify;
};

/* Tell v->notify about item id ("quarantined", "removed"), or q ("restored"). */
void vault_notify(struct vault *v, const char *what, int64_t id, const struct store_qitem *q,
		  const char *restored_to);

/* Where plaintext piece idx goes. */
static inline unsigned char *
vault_piece(struct vault *v, int64_t idx)
{
	return v->plain + (size_t)(idx & 1) * QUARANTINE_CHUNK;
}

/* key.c: load (or create) the key and check it against the vault's key id. */
enum vg_err vault_key_load(struct vault *v, const char *state_dir, const char *key_file,
			   struct vg_error *err);

/*
 * vault.c: item id leaves the vault for good, its chunks deleted (wipe: overwritten). Chunks
 * in vigil.db go with the row in one transaction; for chunks in the vault file the row is
 * marked "removing" (committed), then the chunks are deleted, then the row: killed anywhere
 * after the mark, the next open finishes it. VG_NOTFOUND when there is no such item.
 */
enum vg_err vault_retire(struct vault *v, int64_t id, int wipe, struct vg_error *err);
/* The part after the mark, for an item already "removing" (a restore marks it together with
 * its allow entry). */
enum vg_err vault_retire_finish(struct vault *v, int64_t id, int wipe, struct vg_error *err);

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

/*
 * Read every chunk of item q back and authenticate it (no SHA-256: see crypt.c for why that
 * is enough), the check before the original of a move is removed.
 */
enum vg_err vault_check(struct vault *v, const struct store_qitem *q, struct vg_error *err);

/* restore.c: delete the temporary files of restores that were killed half-way. */
void vault_clean_restores(struct vault *v);

#endif
