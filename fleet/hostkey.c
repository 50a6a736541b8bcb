/*
 * fleet/hostkey.c — the host's own Ed25519 key, <state-dir>/fleet-host.key (PEM, 0600),
 * created at first use. It signs export files; its public half goes with every push, so the
 * fleet database knows which key a host's files must carry. It is never the signature-bundle
 * key, whose private half must not sit on hosts.
 */
#include "fleet/fleet_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/path.h"
#include "core/statedir.h"

#define HOSTKEY "fleet-host.key"

static enum vg_err
create_key(const char *state_dir, struct vg_error *err)
{
	struct vg_error why;
	EVP_PKEY *k = NULL;
	BIO *b = NULL;
	char *pem;
	long n;
	int fd;
	enum vg_err e = VG_OK;

	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	b = BIO_new(BIO_s_mem());
	if (k == NULL || b == NULL || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
		e = vg_error_set(err, VG_CRYPTO, "cannot make the host key");
		goto out;
	}
	n = BIO_get_mem_data(b, &pem);
	vg_error_init(&why);
	fd = vg_state_open(state_dir, HOSTKEY, O_WRONLY | O_CREAT | O_EXCL, 0600, &why);
	if (fd < 0) {
		/* another vigil made it first: use that one */
		e = errno == EEXIST ? VG_OK : vg_error_set(err, why.code, "%s", vg_error_msg(&why));
		goto out;
	}
	if (vg_write_full(fd, pem, (size_t)n) != 0 || fsync(fd) != 0) {
		char *path = vg_path_join(state_dir, HOSTKEY);

		e = vg_error_set(err, VG_IO, "cannot write %s/%s", state_dir, HOSTKEY);
		close(fd);
		if (path)
			unlink(path);
		free(path);
		goto out;
	}
	close(fd);
out:
	BIO_free(b);
	EVP_PKEY_free(k);
	return e;
}

enum vg_err
fleet_hostkey(const char *state_dir, EVP_PKEY **key, char **pub_b64, struct vg_error *err)
{
	unsigned char raw[32];
	size_t rawlen = sizeof(raw);
	struct vg_error why;
	char *pem = NULL;
	size_t len = 0;
	BIO *b;
	enum vg_err e;

	*key = NULL;
	*pub_b64 = NULL;
	/* made at first use: a missing key is no error */
	vg_error_init(&why);
	e = vg_state_read_file(state_dir, HOSTKEY, 64 * 1024, &pem, &len, &why);
	if (e == VG_NOENT) {
		e = create_key(state_dir, err);
		if (e == VG_OK)
			e = vg_state_read_file(state_dir, HOSTKEY, 64 * 1024, &pem, &len, err);
	} else if (e != VG_OK) {
		vg_error_set(err, e, "%s", vg_error_msg(&why));
	}
	if (e != VG_OK)
		return e;
	b = BIO_new_mem_buf(pem, (int)len);
	*key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	free(pem);
	if (*key == NULL || EVP_PKEY_id(*key) != EVP_PKEY_ED25519 ||
	    !EVP_PKEY_get_raw_public_key(*key, raw, &rawlen) || rawlen != 32) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return vg_error_set(err, VG_CRYPTO, "%s/%s is not an Ed25519 private key in PEM "
				    "form", state_dir, HOSTKEY);
	}
	*pub_b64 = vg_base64((const char *)raw, rawlen);
	if (*pub_b64 == NULL) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	return VG_OK;
}

EVP_PKEY *
fleet_pubkey_from_b64(const char *b64)
{
	size_t len = 0;
	char *raw = b64 ? vg_base64_decode(b64, &len) : NULL;
	EVP_PKEY *k = NULL;

	if (raw && len == 32)
		k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, (unsigned char *)raw, len);
	free(raw);
	return k;
}
