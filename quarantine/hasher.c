/*
 * quarantine/hasher.c — the SHA-256 of a file moved in or out, on a second core.
 *
 * SHA-256 is the slowest step of a move (slower than AES-GCM here), and it only reads the
 * plaintext, so it runs on its own thread: moving in, that thread also reads piece i + 1 of
 * the file (into the other buffer) and hashes it while the caller encrypts and stores piece
 * i; moving out, it hashes piece i while the caller writes it and decrypts piece i + 1. One
 * job is in flight: a new one waits for the previous one. Small items (one piece) are done
 * inline.
 */
#include "quarantine/quarantine_int.h"

#include <errno.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/path.h"

/* The job: read (fd >= 0) len bytes into buf, then hash what was read. */
static void
run_job(struct hasher *h, int fd, void *buf, size_t len)
{
	if (fd >= 0) {
		h->got = vg_read_full(fd, buf, len);
		h->err = errno;
		if (h->got > 0)
			EVP_DigestUpdate(h->md, buf, (size_t)h->got);
	} else {
		EVP_DigestUpdate(h->md, buf, len);
	}
}

static void *
hasher_main(void *arg)
{
	struct hasher *h = arg;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (h->job == NULL && !h->stop)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->job == NULL)
			break;
		pthread_mutex_unlock(&h->mu);
		run_job(h, h->fd, h->job, h->len);
		pthread_mutex_lock(&h->mu);
		h->job = NULL;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

/* Wait until the piece in flight is hashed. */
static void
drain(struct hasher *h)
{
	pthread_mutex_lock(&h->mu);
	while (h->job != NULL)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
}

enum vg_err
hasher_begin(struct hasher *h, int threaded, struct vg_error *err)
{
	if (h->md == NULL) {
		if ((h->md = EVP_MD_CTX_new()) == NULL)
			return vg_error_set(err, VG_NOMEM, "out of memory");
		pthread_mutex_init(&h->mu, NULL);
		pthread_cond_init(&h->cv, NULL);
	}
	if (EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1)
		return vg_error_set(err, VG_CRYPTO, "cannot start SHA-256");
	/* the thread is made on the first large item and kept until the vault closes; without
	 * it (it could not be made) everything is hashed inline */
	if (threaded && !h->running && pthread_create(&h->tid, NULL, hasher_main, h) == 0)
		h->running = 1;
	h->threaded = threaded && h->running;
	return VG_OK;
}

/* Hand the thread a job, after the one in flight (inline without the thread). */
static void
submit(struct hasher *h, int fd, void *p, size_t n)
{
	if (!h->threaded) {
		run_job(h, fd, p, n);
		return;
	}
	pthread_mutex_lock(&h->mu);
	while (h->job != NULL)
		pthread_cond_wait(&h->cv, &h->mu);
	h->job = p;
	h->len = n;
	h->fd = fd;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void
hasher_feed(struct hasher *h, const void *p, size_t n)
{
	submit(h, -1, (void *)p, n);
}

void
hasher_read(struct hasher *h, int fd, void *p, size_t n)
{
	submit(h, fd, p, n);
}

ssize_t
hasher_wait(struct hasher *h, int *err)
{
	if (h->threaded)
		drain(h);
	*err = h->err;
	return h->got;
}

void
hasher_final(struct hasher *h, char hex[65])
{
	unsigned char d[32];

	if (h->threaded)
		drain(h);
	EVP_DigestFinal_ex(h->md, d, NULL);
	vg_hex(d, 32, hex);
}

void
hasher_abandon(struct hasher *h)
{
	if (h->threaded)
		drain(h);
}

void
hasher_release(struct hasher *h)
{
	if (h->running) {
		pthread_mutex_lock(&h->mu);
		h->stop = 1;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->tid, NULL);
	}
	if (h->md) {
		EVP_MD_CTX_free(h->md);
		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->cv);
	}
	memset(h, 0, sizeof(*h));
}
