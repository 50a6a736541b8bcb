/*
 * scanner/image_creds.c — the keys given for encrypted volumes (--credential KIND:FILE):
 * read from a file, never from the command line itself, kept in memory only, and wiped when
 * the scan ends. See struct image_creds in scanner/scanner.h.
 */
#include "scanner/scanner.h"

#include "core/path.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* A key file larger than this is not a key. */
#define SECRET_MAX (64u << 10)

static const char *const kinds[] = { "password", "recovery_password", "key_file" };

enum vg_err
image_creds_push(struct image_creds *creds, struct image_credential *c, struct vg_error *err)
{
	struct image_credential *n = realloc(creds->v, (creds->n + 1) * sizeof(*n));

	if (n == NULL) {
		OPENSSL_clear_free(c->secret, c->len);
		c->secret = NULL;
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	creds->v = n;
	creds->v[creds->n++] = *c;
	c->secret = NULL;
	return VG_OK;
}

/* FILE's bytes, whole (at most SECRET_MAX), through vg_read_file: a regular file only (a FIFO
 * or a device is refused without blocking). */
static enum vg_err
read_secret(const char *file, unsigned char **out, size_t *len, struct vg_error *err)
{
	struct vg_error e;
	char *data = NULL;

	vg_error_init(&e);
	switch (vg_read_file(file, SECRET_MAX, &data, len, &e)) {
	case VG_OK:
		*out = (unsigned char *)data;
		return VG_OK;
	case VG_INVAL:
		return vg_error_set(err, VG_INVAL, "--credential: %s is not a key file: not a "
				    "regular file, or larger than 64 KiB", file);
	default:
		return vg_error_set(err, VG_INVAL, "--credential: %s", vg_error_msg(&e));
	}
}

enum vg_err
image_creds_add(struct image_creds *creds, const char *spec, struct vg_error *err)
{
	const char *colon = strchr(spec, ':');
	struct image_credential c = { 0 };
	size_t i, kl = colon ? (size_t)(colon - spec) : 0;
	enum vg_err rc;

	for (i = 0; colon && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i]) == kl && strncmp(spec, kinds[i], kl) == 0)
			c.kind = kinds[i];
	if (c.kind == NULL || colon[1] == '\0')
		return vg_error_set(err, VG_INVAL, "--credential takes KIND:FILE, where KIND is "
				    "password, recovery_password or key_file and FILE holds the "
				    "secret (a key is never given on the command line itself)");
	if ((rc = read_secret(colon + 1, &c.secret, &c.len, err)) != VG_OK)
		return rc;
	/* a password typed into a file with echo or an editor ends with one newline */
	if (c.kind != kinds[2] && c.len > 0 && c.secret[c.len - 1] == '\n')
		c.len -= 1 + (c.len > 1 && c.secret[c.len - 2] == '\r');
	if (c.len == 0) {
		free(c.secret);
		return vg_error_set(err, VG_INVAL, "--credential: %s is empty", colon + 1);
	}
	return image_creds_push(creds, &c, err);
}

void
image_creds_release(struct image_creds *creds)
{
	size_t i;

	for (i = 0; i < creds->n; i++) {
		OPENSSL_cleanse(creds->v[i].secret, creds->v[i].len);
		free(creds->v[i].secret);
	}
	free(creds->v);
	creds->v = NULL;
	creds->n = 0;
}
