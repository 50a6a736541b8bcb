/*
 * scanner/image_luks.c — LUKS1 and LUKS2 volumes unlocked without device-mapper, so their
 * file systems can be scanned on a machine that has no dm-crypt (or where vigil must not
 * activate anything): the header is read by libcryptsetup, the data decrypted by OpenSSL.
 *
 * libcryptsetup only takes a path, so the header area of the volume is copied into a memfd
 * and loaded from /proc/self/fd/N: the evidence is never opened by libcryptsetup, and nothing
 * it might write (a header repair) can reach it. The copy is sparse, of the volume's size:
 * its first 16 MiB (LUKS2's default header; LUKS1's is smaller), then up to the end of its
 * key slots when they lie further. Metadata locking is switched off: libcryptsetup takes no
 * flock and creates nothing under /run. crypt_volume_key_get derives the volume key with the
 * header's own PBKDF (argon2id may take a GiB of memory and seconds per credential tried);
 * the memfd is closed as soon as the key is known or every credential failed.
 *
 * The data segment is then an image of its own for libtsk (tsk_img_open_external): each read
 * fetches whole encryption sectors through tsk_img_read of the image the volume is in, and
 * decrypts them one by one. Supported: AES in XTS (plain64, plain), CBC (plain64, plain,
 * essiv:sha256) and ECB, LUKS1's and LUKS2's defaults and their older ones; anything else
 * (serpent, twofish, authenticated LUKS2 with dm-integrity, an unfinished reencryption) stays
 * locked with the reason said. LUKS2 sectors of 4096 bytes take an IV that still counts
 * 512-byte sectors, as dm-crypt is set up by cryptsetup (no iv_large_sectors): checked against
 * volumes that cryptsetup reencrypt --sector-size 4096 wrote.
 *
 * Secrets: the credentials are never logged (libcryptsetup's messages are caught, only its
 * errors about the header are reported), the volume key is wiped before it is freed.
 */
#include "scanner/image_int.h"

#include <errno.h>
#include <libcryptsetup.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define LUKS_MAGIC	"LUKS\xba\xbe"
#define LUKS_COPY	(16 << 20)	/* copied first: LUKS2's default header, > LUKS1's */
#define LUKS_COPY_MAX	(256 << 20)	/* LUKS2's largest: 2 x 4 MiB metadata + 128 MiB keyslots */
#define LUKS_CHUNK	(256 << 10)	/* ciphertext read at once (a multiple of any sector) */
#define LUKS_KEY_MAX	64		/* bytes: AES-256-XTS */

enum luks_iv { IV_NONE, IV_PLAIN, IV_PLAIN64, IV_ESSIV };

/* The cipher modes decrypted here, as crypt_get_cipher_mode() names them (cipher "aes"). */
static const struct luks_mode {
	const char *name;
	char family;		/* 'x' XTS, 'c' CBC, 'e' ECB */
	enum luks_iv iv;
} luks_modes[] = {
	{ "xts-plain64", 'x', IV_PLAIN64 },
	{ "xts-plain", 'x', IV_PLAIN },
	{ "cbc-plain64", 'c', IV_PLAIN64 },
	{ "cbc-plain", 'c', IV_PLAIN },
	{ "cbc-essiv:sha256", 'c', IV_ESSIV },
	{ "ecb", 'e', IV_NONE },
};

/* Which OpenSSL cipher a family takes for a volume key of that many bytes. */
static const struct luks_evp {
	char family;
	size_t keylen;
	const EVP_CIPHER *(*evp)(void);
} luks_evps[] = {
	{ 'x', 32, EVP_aes_128_xts }, { 'x', 64, EVP_aes_256_xts },
	{ 'c', 16, EVP_aes_128_cbc }, { 'c', 24, EVP_aes_192_cbc }, { 'c', 32, EVP_aes_256_cbc },
	{ 'e', 16, EVP_aes_128_ecb }, { 'e', 24, EVP_aes_192_ecb }, { 'e', 32, EVP_aes_256_ecb },
};

/* The header being loaded: its copy, libcryptsetup's handle and what went wrong. */
struct luks_hdr {
	struct crypt_device *cd;
	int fd;			/* the memfd holding the copy */
	char path[32];		/* its name for libcryptsetup: /proc/self/fd/N */
	int64_t copied;		/* bytes of the volume in it */
	char *cut;		/* why the copy stopped short, or NULL (malloc'd) */
	char *error;		/* libcryptsetup's last error message, or NULL (malloc'd) */
	const struct luks_mode *mode;	/* set by hdr_check */
	const EVP_CIPHER *evp;
	size_t keylen;
	int64_t data;		/* data offset, bytes */
	uint32_t sector;	/* encryption sector size, bytes */
	uint64_t iv_offset;	/* 512-byte sectors */
	int64_t slots_end;	/* where its last key slot in use ends */
};

/* The decrypted data segment, as libtsk sees it. */
struct luks_img {
	struct image_reader r;	/* first: what libtsk sees */
	TSK_IMG_INFO *img;	/* the image the volume is in: not owned */
	int64_t data;		/* where the data segment starts in img */
	uint32_t sector;	/* encryption sector: 512, or up to 4096 (LUKS2) */
	uint64_t iv_offset;	/* added to the sector number, in 512-byte sectors */
	enum luks_iv iv;
	EVP_CIPHER_CTX *ctx;	/* keyed with the volume key */
	EVP_CIPHER_CTX *essiv;	/* ESSIV: keyed with the SHA-256 of the volume key */
	unsigned char *buf;	/* LUKS_CHUNK bytes of ciphertext */
};

/* Set *why (malloc'd; NULL when out of memory) and return -1. */
static int __attribute__((format(printf, 2, 3)))
set_why(char **why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(why, fmt, ap) < 0)
		*why = NULL;
	va_end(ap);
	return -1;
}

/*
 * libcryptsetup's messages: without a callback it prints them on stdout and stderr, and vigil
 * prints its own. Its errors are kept for the reason given, the copy's path in them replaced
 * ("Device /proc/self/fd/4 is too small"); nothing else is kept, and libcryptsetup does not
 * log passphrases.
 */
static void
luks_log(int level, const char *msg, void *arg)
{
	struct luks_hdr *h = arg;
	const char *at;
	size_t n;

	if (h == NULL || level != CRYPT_LOG_ERROR || msg == NULL)
		return;
	free(h->error);
	h->error = NULL;
	if ((at = strstr(msg, h->path)) == NULL)
		h->error = strdup(msg);
	else if (at - msg >= 7 && strncmp(at - 7, "Device ", 7) == 0)
		set_why(&h->error, "%.*sthe volume%s", (int)(at - 7 - msg), msg, at + strlen(h->path));
	else
		set_why(&h->error, "%.*sthe volume%s", (int)(at - msg), msg, at + strlen(h->path));
	if (h->error == NULL)
		return;
	n = strlen(h->error);
	while (n > 0 && strchr("\n. ", h->error[n - 1]) != NULL)
		h->error[--n] = '\0';
}

/*
 * Read exactly len bytes of img at off: 0, or -1 with *why (malloc'd; NULL when out of
 * memory) and *got the bytes read before the image ended. The reason of a failed read is the
 * one img's own reader recorded, taken from it so it is not reported again for another file.
 */
static int
img_read_all(TSK_IMG_INFO *img, int64_t off, void *buf, size_t len, size_t *got, char **why)
{
	ssize_t n = off < img->size ? tsk_img_read(img, off, buf, len) : 0;
	const char *s;

	*got = n > 0 ? (size_t)n : 0;
	if (n == (ssize_t)len)
		return 0;
	if (n >= 0)
		return set_why(why, "the image ends at byte %lld (cut short)",
			       (long long)(off + n < img->size ? off + n : img->size));
	if ((*why = image_read_failure(img)) != NULL)
		return -1;
	s = tsk_error_get_errstr();
	return set_why(why, "cannot read the image at byte %lld%s%s", (long long)off,
		       s && *s ? ": " : "", s && *s ? s : "");
}

/*
 * Copy [from, to) of the volume (at off in img) into the memfd at the same place. Stops where
 * a read fails, with h->cut saying why: a volume cut short may still hold its whole header.
 * 0, or -1 (errno) when the memfd cannot be written.
 */
static int
hdr_copy(struct luks_hdr *h, TSK_IMG_INFO *img, int64_t off, int64_t from, int64_t to)
{
	unsigned char *buf = malloc(1 << 20);
	int64_t pos;
	size_t n, got;

	if (buf == NULL)
		return -1;
	for (pos = from; pos < to && h->cut == NULL; pos += (int64_t)n) {
		n = to - pos < (1 << 20) ? (size_t)(to - pos) : (1 << 20);
		if (img_read_all(img, off + pos, buf, n, &got, &h->cut) < 0 && h->cut == NULL)
			h->cut = strdup("out of memory");
		if (pwrite(h->fd, buf, got, pos) != (ssize_t)got) {
			free(buf);
			return -1;
		}
		h->copied = pos + (int64_t)got;
	}
	free(buf);
	return 0;
}

/* Load the header from the copy: 0, or -1 with *why (malloc'd). */
static int
hdr_load(struct luks_hdr *h, char **why)
{
	const char *what;
	int rc;

	if ((rc = crypt_init(&h->cd, h->path)) >= 0) {
		crypt_set_log_callback(h->cd, luks_log, h);
		if ((rc = crypt_metadata_locking(h->cd, 0)) >= 0)
			rc = crypt_load(h->cd, CRYPT_LUKS, NULL);
	}
	if (rc >= 0)
		return 0;
	/* libcryptsetup says nothing of a header it cannot make sense of (its command does) */
	what = h->error ? h->error
			: rc == -EINVAL ? "it is not a valid LUKS header (damaged?)" : strerror(-rc);
	return set_why(why, "cannot read its header: %s%s%s%s", what, h->cut ? " (" : "",
		       h->cut ? h->cut : "", h->cut ? ")" : "");
}

/*
 * The key slots that unlock the data: *end where the last one ends (the header must be copied
 * that far), and how many of them the copy holds whole.
 */
static int
hdr_slots(struct luks_hdr *h, int64_t *end)
{
	int i, n = crypt_keyslot_max(crypt_get_type(h->cd)), whole = 0;
	uint64_t o, l;

	*end = 0;
	for (i = 0; i < n; i++) {
		crypt_keyslot_info st = crypt_keyslot_status(h->cd, i);

		if ((st != CRYPT_SLOT_ACTIVE && st != CRYPT_SLOT_ACTIVE_LAST) ||
		    crypt_keyslot_area(h->cd, i, &o, &l) != 0 || o > INT64_MAX - l)
			continue;
		if ((int64_t)(o + l) > *end)
			*end = (int64_t)(o + l);
		whole += (int64_t)(o + l) <= h->copied;
	}
	return whole;
}

/*
 * Copy the header area of the volume and load it. The copy is a sparse file of the volume's
 * size (LUKS2 refuses one shorter than its data offset): the first 16 MiB, which hold any
 * header made with the defaults, then up to the end of its key slots when they lie further.
 * A volume cut short may keep some of its key slots: those are tried.
 */
static int
hdr_open(struct luks_hdr *h, TSK_IMG_INFO *img, int64_t off, int64_t len, char **why)
{
	int64_t first = len < LUKS_COPY ? len : LUKS_COPY, size = len;
	struct rlimit rl;

	/* past RLIMIT_FSIZE, ftruncate would kill vigil (SIGXFSZ) */
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (uint64_t)size > (uint64_t)rl.rlim_cur)
		size = (int64_t)rl.rlim_cur;
	h->fd = memfd_create("vigil-luks", MFD_CLOEXEC);
	snprintf(h->path, sizeof(h->path), "/proc/self/fd/%d", h->fd);
	if (h->fd < 0 || ftruncate(h->fd, size) < 0 || hdr_copy(h, img, off, 0, first) < 0)
		return set_why(why, "cannot read its header: cannot copy it: %s", strerror(errno));
	if (hdr_load(h, why) < 0)
		return -1;
	hdr_slots(h, &h->slots_end);
	if (h->slots_end > LUKS_COPY_MAX)
		return set_why(why, "cannot read its header: its key slots end at byte %lld, past "
			       "the %d MiB vigil reads", (long long)h->slots_end,
			       LUKS_COPY_MAX >> 20);
	if (h->slots_end > h->copied &&
	    hdr_copy(h, img, off, h->copied, h->slots_end) < 0)
		return set_why(why, "cannot read its header: cannot copy it: %s", strerror(errno));
	if (h->slots_end > h->copied && hdr_slots(h, &h->slots_end) == 0)
		return set_why(why, "cannot read its header: its key slots end at byte %lld, but %s",
			       (long long)h->slots_end, h->cut ? h->cut : "they cannot be read");
	return 0;
}

static void
hdr_close(struct luks_hdr *h)
{
	if (h->cd != NULL)
		crypt_free(h->cd);
	if (h->fd >= 0)
		close(h->fd);
	free(h->cut);
	free(h->error);
	h->cd = NULL;
	h->fd = -1;
	h->cut = h->error = NULL;
}

/* The mode and OpenSSL cipher for the volume's cipher and key size: 0, or -1 (unsupported). */
static int
hdr_cipher(struct luks_hdr *h, const char *cipher, const char *mode)
{
	size_t i;

	h->mode = NULL;
	for (i = 0; i < sizeof(luks_modes) / sizeof(luks_modes[0]); i++)
		if (strcmp(cipher, "aes") == 0 && strcmp(mode, luks_modes[i].name) == 0)
			h->mode = &luks_modes[i];
	for (i = 0; h->mode != NULL && i < sizeof(luks_evps) / sizeof(luks_evps[0]); i++)
		if (luks_evps[i].family == h->mode->family && luks_evps[i].keylen == h->keylen) {
			h->evp = luks_evps[i].evp();
			return h->evp != NULL ? 0 : -1;
		}
	return -1;
}

/*
 * Can vigil read the data this header describes? 0, or -1 with *why (malloc'd). Checked before
 * any credential is tried: a PBKDF run is slow, and no key would help.
 */
static int
hdr_check(struct luks_hdr *h, int64_t len, char **why)
{
	const char *cipher = crypt_get_cipher(h->cd), *mode = crypt_get_cipher_mode(h->cd);
	struct crypt_params_integrity ip;
	uint32_t req = 0;
	int64_t data = (int64_t)crypt_get_data_offset(h->cd) * 512;
	int ssize = crypt_get_sector_size(h->cd), klen = crypt_get_volume_key_size(h->cd);

	cipher = cipher ? cipher : "?";
	mode = mode ? mode : "?";
	h->keylen = klen > 0 ? (size_t)klen : 0;
	memset(&ip, 0, sizeof(ip));
	if (crypt_persistent_flags_get(h->cd, CRYPT_FLAGS_REQUIREMENTS, &req) == 0 && req != 0)
		return set_why(why, "%s", req & (CRYPT_REQUIREMENT_OFFLINE_REENCRYPT |
						 CRYPT_REQUIREMENT_ONLINE_REENCRYPT)
					   ? "a reencryption of it was left unfinished, which vigil "
					     "cannot read"
					   : "its header requires features vigil does not know");
	/* all key slots erased (LUKS2 then cannot even say the key size), or only unbound ones */
	if (h->keylen == 0 || h->slots_end == 0)
		return set_why(why, "none of its key slots unlocks its data");
	if (crypt_get_integrity_info(h->cd, &ip) == 0 && ip.integrity != NULL)
		return set_why(why, "integrity protection (%s) is not supported", ip.integrity);
	if (hdr_cipher(h, cipher, mode) < 0)
		return h->mode ? set_why(why, "cipher %s-%s with a %zu-bit key is not supported",
					 cipher, mode, h->keylen * 8)
			       : set_why(why, "cipher %s-%s is not supported", cipher, mode);
	if (ssize < 512 || ssize > 4096 || (ssize & (ssize - 1)) != 0)
		return set_why(why, "its sector size %d is not supported", ssize);
	if (data <= 0)
		return set_why(why, "its data is elsewhere (a detached header)");
	if (data + ssize > len)
		return set_why(why, "its data would start at byte %lld, past the end of the volume",
			       (long long)data);
	h->data = data;
	h->sector = (uint32_t)ssize;
	h->iv_offset = crypt_get_iv_offset(h->cd);
	return 0;
}

/* Why the volume stays locked once every credential was tried (malloc'd, NULL: no memory). */
static char *
unlock_reason(const struct luks_hdr *h, const struct image_creds *creds, size_t tried,
	      const char *fail)
{
	const char *bitlocker = "a recovery password is for BitLocker, not LUKS";
	size_t given = creds != NULL ? creds->n : 0;
	const char *sep = tried < given ? "; " : "", *also = tried < given ? bitlocker : "";
	char *why;

	if (given == 0)
		return strdup("no credential given (--credential password:FILE)");
	if (tried == 0)
		set_why(&why, "no credential given (--credential password:FILE): %s", bitlocker);
	else if (fail != NULL)
		set_why(&why, "cannot unlock it: %s", fail);
	else if (h->slots_end > h->copied)
		set_why(&why, "wrong key: no credential given unlocks the key slots that could be "
			"read (%s)", h->cut ? h->cut : "the others could not");
	else if (tried == 1)
		set_why(&why, "wrong key: the credential given does not unlock it%s%s", sep, also);
	else
		set_why(&why, "wrong key: none of the %zu credentials given unlocks it%s%s", tried,
			sep, also);
	return why;
}

/*
 * Try each credential that can unlock LUKS: a password or a key file, both the bytes of a
 * passphrase (a LUKS key file is one); a recovery password is BitLocker's. 1 with the volume
 * key in key (h->keylen bytes) and *used, or -1 with *why (malloc'd). A wrong key is -EPERM;
 * anything else (no memory for argon2id, no key slot) is reported as it is.
 */
static int
hdr_unlock(struct luks_hdr *h, const struct image_creds *creds, unsigned char *key,
	   const char **used, char **why)
{
	size_t i, tried = 0, klen;
	char *fail = NULL;
	int rc;

	for (i = 0; creds != NULL && i < creds->n; i++) {
		const struct image_credential *c = &creds->v[i];

		if (strcmp(c->kind, "password") != 0 && strcmp(c->kind, "key_file") != 0)
			continue;
		tried++;
		klen = h->keylen;
		free(h->error);
		h->error = NULL;
		rc = crypt_volume_key_get(h->cd, CRYPT_ANY_SLOT, (char *)key, &klen,
					  c->secret ? (const char *)c->secret : "", c->len);
		if (rc >= 0 && klen == h->keylen) {
			free(fail);
			*used = c->kind;
			return 1;
		}
		if (rc != -EPERM && fail == NULL)
			fail = strdup(h->error ? h->error : strerror(rc < 0 ? -rc : EINVAL));
	}
	*why = unlock_reason(h, creds, tried, fail);
	free(fail);
	return -1;
}

/* ---- the decrypted data segment, as an image for libtsk ---- */

static void
put_le(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

/*
 * Decrypt in place the encryption sector at pos (bytes into the data segment). The IV counts
 * 512-byte sectors whatever the sector size: cryptsetup sets dm-crypt up for LUKS2 without
 * iv_large_sectors.
 */
static int
luks_sector(struct luks_img *l, unsigned char *p, uint64_t pos)
{
	unsigned char iv[16] = { 0 };
	int n = 0, ok;

	if (l->iv != IV_NONE) {
		put_le(iv, l->iv_offset + pos / 512, l->iv == IV_PLAIN ? 4 : 8);
		if (l->iv == IV_ESSIV &&
		    (EVP_EncryptUpdate(l->essiv, iv, &n, iv, sizeof(iv)) != 1 || n != (int)sizeof(iv)))
			return -1;
		if (EVP_DecryptInit_ex(l->ctx, NULL, NULL, NULL, iv) != 1)
			return -1;
	}
	ok = EVP_DecryptUpdate(l->ctx, p, &n, p, (int)l->sector);
	return ok == 1 && n == (int)l->sector ? 0 : -1;
}

/* A read that failed: for libtsk, and kept for the walker (image_read_failure). */
static void
luks_fail(struct luks_img *l, uint64_t pos, const char *why)
{
	image_read_failed(&l->r, "cannot read the LUKS volume at byte %llu: %s",
			  (unsigned long long)pos, why);
}

/* Read and decrypt n bytes of the data segment at pos (whole sectors) into l->buf. */
static int
luks_fetch(struct luks_img *l, uint64_t pos, size_t n)
{
	char *why = NULL;
	size_t i, got;

	if (img_read_all(l->img, l->data + (int64_t)pos, l->buf, n, &got, &why) < 0) {
		luks_fail(l, pos, why ? why : "out of memory");
		free(why);
		return -1;
	}
	for (i = 0; i < n; i += l->sector)
		if (luks_sector(l, l->buf + i, pos + i) < 0) {
			luks_fail(l, pos + i, "OpenSSL cannot decrypt it");
			return -1;
		}
	return 0;
}

static ssize_t
luks_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
	struct luks_img *l = (struct luks_img *)img;
	size_t done = 0, skip, n, take;
	uint64_t pos, first;

	if (off < 0 || off >= img->size)
		return 0;
	if ((TSK_OFF_T)len > img->size - off)
		len = (size_t)(img->size - off);
	while (done < len) {
		pos = (uint64_t)off + done;
		first = pos - pos % l->sector;
		skip = (size_t)(pos - first);
		/* whole sectors; the size is a multiple of the sector, so they are all inside */
		n = (skip + (len - done) + l->sector - 1) / l->sector * l->sector;
		if (n > LUKS_CHUNK)
			n = LUKS_CHUNK;
		if (luks_fetch(l, first, n) < 0)
			return -1;
		take = n - skip < len - done ? n - skip : len - done;
		memcpy(buf + done, l->buf + skip, take);
		done += take;
	}
	return (ssize_t)len;
}

static void
luks_free(struct luks_img *l)
{
	/* EVP_CIPHER_CTX_free wipes the key schedules */
	EVP_CIPHER_CTX_free(l->ctx);
	EVP_CIPHER_CTX_free(l->essiv);
	if (l->buf != NULL)
		OPENSSL_cleanse(l->buf, LUKS_CHUNK);
	free(l->buf);
	free(l->r.failure);
	free(l);
}

/* libtsk's close: the image the volume is in stays open (it is not ours). */
static void
luks_close(TSK_IMG_INFO *img)
{
	luks_free((struct luks_img *)img);
}

static void
luks_stat(TSK_IMG_INFO *img, FILE *f)
{
	struct luks_img *l = (struct luks_img *)img;

	fprintf(f, "LUKS data segment, %lld bytes decrypted in sectors of %u bytes\n",
		(long long)img->size, l->sector);
}

/* Key the ciphers: the volume key, and for ESSIV the SHA-256 of it. 0, or -1. */
static int
luks_keys(struct luks_img *l, const struct luks_hdr *h, const unsigned char *key)
{
	unsigned char hash[32];
	unsigned int hl = 0;
	int rc = -1;

	if ((l->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(l->ctx, h->evp, NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(l->ctx, 0) != 1)
		return -1;
	if (l->iv != IV_ESSIV)
		return 0;
	if ((l->essiv = EVP_CIPHER_CTX_new()) != NULL &&
	    EVP_Digest(key, h->keylen, hash, &hl, EVP_sha256(), NULL) == 1 && hl == sizeof(hash) &&
	    EVP_EncryptInit_ex(l->essiv, EVP_aes_256_ecb(), NULL, hash, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(l->essiv, 0) == 1)
		rc = 0;
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

/* The data segment [off + h->data, off + len) of img, decrypted with key, as an image. */
static int
luks_image(const struct luks_hdr *h, TSK_IMG_INFO *img, int64_t off, int64_t len,
	   const unsigned char *key, TSK_IMG_INFO **out)
{
	struct luks_img *l = calloc(1, sizeof(*l));
	int64_t size = (len - h->data) / h->sector * h->sector;

	if (l == NULL)
		return -1;
	l->img = img;
	l->data = off + h->data;
	l->sector = h->sector;
	l->iv_offset = h->iv_offset;
	l->iv = h->mode->iv;
	if ((l->buf = malloc(LUKS_CHUNK)) == NULL || luks_keys(l, h, key) < 0 ||
	    tsk_img_open_external(l, (TSK_OFF_T)size, l->sector, luks_read, luks_close,
				  luks_stat) == NULL) {
		luks_free(l);
		return -1;
	}
	*out = &l->r.info;
	return 0;
}

int
image_luks_open(TSK_IMG_INFO *img, int64_t off, int64_t len, const struct image_creds *creds,
		TSK_IMG_INFO **out, const char **version, const char **used, char **why)
{
	struct luks_hdr h = { .fd = -1 };
	unsigned char magic[8], key[LUKS_KEY_MAX];
	int rc;

	*out = NULL;
	*version = *used = NULL;
	*why = NULL;
	if (len < (int64_t)sizeof(magic) ||
	    tsk_img_read(img, off, (char *)magic, sizeof(magic)) != (ssize_t)sizeof(magic) ||
	    memcmp(magic, LUKS_MAGIC, 6) != 0)
		return 0;
	/* the version field, until libcryptsetup has read the header (it may not) */
	*version = magic[6] == 0 && magic[7] == 1 ? "luks1" : "luks2";
	/* what libcryptsetup says before a handle has a callback of its own: nothing kept */
	crypt_set_log_callback(NULL, luks_log, NULL);
	rc = hdr_open(&h, img, off, len, why) < 0 || hdr_check(&h, len, why) < 0 ? -1 : 0;
	if (rc == 0) {
		*version = strcmp(crypt_get_type(h.cd), CRYPT_LUKS1) == 0 ? "luks1" : "luks2";
		rc = hdr_unlock(&h, creds, key, used, why);
	}
	hdr_close(&h);
	if (rc == 1 && luks_image(&h, img, off, len, key, out) < 0) {
		rc = -1;
		*used = NULL;
		*why = strdup("cannot set up its decryption: out of memory, or OpenSSL refused "
			      "its key");
	}
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}
