/* quarantine/key.c — the vault key: created once, private, and matched to the vault. */
#include "quarantine/quarantine_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/path.h"
#include "core/reach.h"

static enum vg_err
refuse_if_shared(const char *what, const char *path, const struct stat *st, struct vg_error *err)
{
	if ((st->st_mode & 077) != 0)
		return vg_error_set(err, VG_UNSAFE,
				    "%s '%s' can be read by others (mode %04o): refused; "
				    "chmod go-rwx it", what, path, (unsigned)(st->st_mode & 07777));
	if (st->st_uid != geteuid())
		return vg_error_set(err, VG_UNSAFE, "%s '%s' belongs to uid %u, not to us: refused",
				    what, path, (unsigned)st->st_uid);
	return VG_OK;
}

static void
key_id(const unsigned char key[KEY_LEN], char hex[65])
{
	static const char label[] = "vigil quarantine key id v1";
	unsigned char d[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, label, sizeof(label));
	EVP_DigestUpdate(md, key, KEY_LEN);
	EVP_DigestFinal_ex(md, d, NULL);
	EVP_MD_CTX_free(md);
	vg_hex(d, 32, hex);
}

/* Write a new key beside path and link it into place: a crash leaves no partial key. */
static enum vg_err
create_key(const char *path, unsigned char key[KEY_LEN], struct vg_error *err)
{
	struct vg_out o;
	enum vg_err rc;

	if (RAND_bytes(key, KEY_LEN) != 1)
		return vg_error_set(err, VG_CRYPTO, "cannot make a quarantine key: no randomness");
	/* a new file reached without untrusted links, 0600 from the start; committed with
	 * RENAME_NOREPLACE: a key made by a concurrent process is never replaced */
	rc = vg_out_create(path, 0600, &o, err);
	if (rc != VG_OK)
		return rc;
	if (vg_write_full(o.fd, key, KEY_LEN) != 0) {
		rc = vg_error_set(err, VG_IO, "cannot write quarantine key '%s': %s", path,
				  strerror(errno));
		vg_out_abort(&o);
		return rc;
	}
	return vg_out_commit(&o, 1, err);
}

static enum vg_err
read_key(const char *path, unsigned char key[KEY_LEN], struct vg_error *err)
{
	struct stat st;
	unsigned char extra;
	enum vg_err rc;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return vg_error_set(err, errno == ENOENT ? VG_NOENT : VG_IO,
				    "cannot read quarantine key '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return vg_error_set(err, VG_INVAL, "quarantine key '%s' is not a regular file", path);
	}
	rc = refuse_if_shared("quarantine key", path, &st, err);
	if (rc == VG_OK && (read(fd, key, KEY_LEN) != KEY_LEN || read(fd, &extra, 1) != 0))
		rc = vg_error_set(err, VG_INVAL, "quarantine key '%s' is not %d bytes", path, KEY_LEN);
	close(fd);
	return rc;
}

enum vg_err
vault_key_load(struct vault *v, const char *state_dir, const char *key_file, struct vg_error *err)
{
	char *path = key_file ? strdup(key_file) : vg_path_join(state_dir, "quarantine.key");
	char *known = NULL, id[65];
	struct stat st;
	enum vg_err rc;

	if (path == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	if (stat(state_dir, &st) != 0) {
		rc = vg_error_set(err, VG_IO, "cannot use state folder '%s': %s", state_dir,
				  strerror(errno));
		goto out;
	}
	rc = refuse_if_shared("state folder", state_dir, &st, err);
	if (rc == VG_OK)
		rc = store_meta_get(v->st, "quarantine_key_id", &known, err);
	if (rc != VG_OK)
		goto out;
	rc = read_key(path, v->key, err);
	if (rc == VG_NOENT && known == NULL && key_file == NULL) {
		/* the vault never had a key: make one (or take the one a concurrent vigil made) */
		vg_error_init(err);
		rc = create_key(path, v->key, err);
		if (rc == VG_EXISTS) {
			vg_error_init(err);
			rc = read_key(path, v->key, err);
		}
	} else if (rc == VG_NOENT && known != NULL) {
		vg_error_init(err);
		rc = vg_error_set(err, VG_NOENT,
				  "quarantine key '%s' is missing: the items in the vault cannot be "
				  "decrypted without it", path);
	}
	if (rc != VG_OK)
		goto out;
	key_id(v->key, id);
	if (known == NULL)
		rc = store_meta_set(v->st, "quarantine_key_id", id, err);
	else if (strcmp(known, id) != 0)
		rc = vg_error_set(err, VG_CRYPTO, "the quarantine key does not match this vault ('%s')",
				  path);
out:
	free(known);
	free(path);
	return rc;
}
