/*
 * scanner/image_fve.c — whole volumes encrypted by Windows and macOS, unlocked with the libyal
 * libraries through vigil's own view of the volume (image_bfio.c): BitLocker (libbde, with a
 * password, a recovery password or a startup key file) and FileVault 2 / Core Storage
 * (libfvde, with a password or a recovery password). The unlocked volume becomes an image
 * view of its own whose reads the library decrypts. Read-only (the OPEN_READ flags; the bfio
 * handle refuses writes).
 *
 * The two libraries have the same shape, so one table of operations serves both (FVE_OPS
 * makes each library's entries). The versions in Debian 12 (libbde 20190102, libfvde
 * 20190104) take the credential before the volume is opened: each credential is tried on a
 * fresh volume object. No Linux tool writes either format, so the unlocking is untested here
 * (see README): detection and the "key needed" answers are tested.
 */
#include "scanner/image_int.h"

#define HAVE_LIBBFIO 1
#include <libbde.h>
#include <libfvde.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One library, seen through void pointers. Each returns as its library does. */
struct fve_ops {
	const char *name;	/* "BitLocker" */
	int (*init)(void **v, char **why);
	void (*drop)(void **v);
	int (*password)(void *v, const char *s, size_t n, char **why);
	int (*recovery)(void *v, const char *s, size_t n, char **why);
	int (*key_file)(void *v, libbfio_handle_t *h, char **why);
	int (*open)(void *v, libbfio_handle_t *h, char **why);
	int (*locked)(void *v);
	int (*size)(void *v, uint64_t *size);
	ssize_t (*read)(void *v, void *buf, size_t len, int64_t off, char **why);
};

/* A library's error on one line (image_yal_reason), after what was being done (malloc'd). */
static char *
line(const char *doing, char *text, int printed)
{
	char *cause = printed > 0 ? image_yal_reason(text, printed) : NULL, *s;

	if (asprintf(&s, "%s%s%s", doing, cause ? ": " : "", cause ? cause : "") < 0)
		s = NULL;
	free(cause);
	return s;
}

#define FVE_OPS(lib, NAME, key_file_fn, size_fn)                                             \
	static char *lib##_why(const char *doing, lib##_error_t **e)                          \
	{                                                                                   \
		char msg[2048] = "";                                                        \
		int n = 0;                                                                  \
                                                                                            \
		if (e && *e) {                                                              \
			n = lib##_error_backtrace_sprint(*e, msg, sizeof(msg));             \
			lib##_error_free(e);                                                \
		}                                                                           \
		return line(doing, msg, n);                                                 \
	}                                                                                   \
	static int lib##_init(void **v, char **why)                                         \
	{                                                                                   \
		lib##_error_t *e = NULL;                                                    \
                                                                                            \
		*v = NULL;                                                                  \
		if (lib##_volume_initialize((lib##_volume_t **)v, &e) == 1)                 \
			return 1;                                                           \
		*why = lib##_why(#lib, &e);                                                 \
		return -1;                                                                  \
	}                                                                                   \
	static void lib##_drop(void **v)                                                    \
	{                                                                                   \
		if (*v == NULL)                                                             \
			return;                                                             \
		lib##_volume_close(*v, NULL);                                               \
		lib##_volume_free((lib##_volume_t **)v, NULL);                              \
	}                                                                                   \
	static int lib##_password(void *v, const char *s, size_t n, char **why)             \
	{                                                                                   \
		lib##_error_t *e = NULL;                                                    \
		int r = lib##_volume_set_utf8_password(v, (const uint8_t *)s, n, &e);      \
                                                                                            \
		if (r < 0)                                                                  \
			*why = lib##_why("the password is not usable", &e);                 \
		return r;                                                                   \
	}                                                                                   \
	static int lib##_recovery(void *v, const char *s, size_t n, char **why)             \
	{                                                                                   \
		lib##_error_t *e = NULL;                                                    \
		int r = lib##_volume_set_utf8_recovery_password(v, (const uint8_t *)s, n,  \
								 &e);                       \
                                                                                            \
		if (r < 0)                                                                  \
			*why = lib##_why("the recovery password is not usable", &e);        \
		return r;                                                                   \
	}                                                                                   \
	static int lib##_open(void *v, libbfio_handle_t *h, char **why)                     \
	{                                                                                   \
		lib##_error_t *e = NULL;                                                    \
		int r = lib##_volume_open_file_io_handle(v, h, NAME##_OPEN_READ, &e);       \
                                                                                            \
		if (r < 0)                                                                  \
			*why = lib##_why(NAME##_DISPLAY " metadata cannot be read (" #lib ")", \
					 &e);                                               \
		else if (e)                                                                 \
			lib##_error_free(&e);                                               \
		return r;                                                                   \
	}                                                                                   \
	static int lib##_locked(void *v) { return lib##_volume_is_locked(v, NULL) != 0; }   \
	static int lib##_size(void *v, uint64_t *size)                                      \
	{                                                                                   \
		size64_t s = 0;                                                             \
                                                                                            \
		if (size_fn(v, &s, NULL) != 1)                                              \
			return -1;                                                          \
		*size = s;                                                                  \
		return 1;                                                                   \
	}                                                                                   \
	static ssize_t lib##_read(void *v, void *buf, size_t len, int64_t off, char **why)  \
	{                                                                                   \
		lib##_error_t *e = NULL;                                                    \
		ssize_t got = lib##_volume_read_buffer_at_offset(v, buf, len, (off64_t)off, \
								 &e);                       \
                                                                                            \
		if (got < 0)                                                                \
			*why = lib##_why(#lib, &e);                                         \
		return got;                                                                 \
	}                                                                                   \
	static const struct fve_ops lib##_ops = {                                           \
		.name = NAME##_DISPLAY,                                                     \
		.init = lib##_init, .drop = lib##_drop, .password = lib##_password,         \
		.recovery = lib##_recovery, .key_file = key_file_fn, .open = lib##_open,   \
		.locked = lib##_locked, .size = lib##_size, .read = lib##_read,             \
	}

static char *libbde_why(const char *doing, libbde_error_t **e);

/* BitLocker's startup key: a .BEK file, read through a bfio handle over its bytes. */
static int
bde_key_file(void *v, libbfio_handle_t *h, char **why)
{
	libbde_error_t *e = NULL;

	if (libbde_volume_read_startup_key_file_io_handle(v, h, &e) == 1)
		return 1;
	*why = libbde_why("the key file is not a BitLocker startup key (.BEK)", &e);
	return -1;
}

#define LIBBDE_DISPLAY "BitLocker"
#define LIBFVDE_DISPLAY "FileVault"
FVE_OPS(libbde, LIBBDE, bde_key_file, libbde_volume_get_size);
FVE_OPS(libfvde, LIBFVDE, NULL, libfvde_volume_get_logical_volume_size);

/* An unlocked volume as an image view. */
struct fve_img {
	struct image_reader r;	/* first: what libtsk sees */
	const struct fve_ops *ops;
	void *vol;
	libbfio_handle_t *bfio;	/* the encrypted bytes, through vigil's view */
};

static ssize_t
fve_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
	struct fve_img *f = (struct fve_img *)img;
	char *why = NULL;
	ssize_t got;

	if (off >= img->size)
		return 0;
	if ((TSK_OFF_T)len > img->size - off)
		len = (size_t)(img->size - off);
	got = f->ops->read(f->vol, buf, len, (int64_t)off, &why);
	if (got < 0) {
		image_read_failed(&f->r, "cannot decrypt the %s volume at byte %lld: %s",
				  f->ops->name, (long long)off, why ? why : "out of memory");
		free(why);
		return -1;
	}
	return got;
}

static void
fve_close(TSK_IMG_INFO *img)
{
	struct fve_img *f = (struct fve_img *)img;

	f->ops->drop(&f->vol);
	image_bfio_close(f->bfio);
	free(f->r.failure);
	free(f);
}

static void
fve_stat(TSK_IMG_INFO *img, FILE *f)
{
	fprintf(f, "%s volume, unlocked, %lld bytes\n", ((struct fve_img *)img)->ops->name,
		(long long)img->size);
}

/* A bfio handle over a key file's bytes (a copy: the handle reads it later). */
static libbfio_handle_t *
memory_handle(const struct image_credential *c, uint8_t **copy)
{
	libbfio_handle_t *h = NULL;

	if ((*copy = malloc(c->len + 1)) == NULL)
		return NULL;
	memcpy(*copy, c->secret, c->len);
	if (libbfio_memory_range_initialize(&h, NULL) != 1 ||
	    libbfio_memory_range_set(h, *copy, c->len, NULL) != 1) {
		if (h)
			libbfio_handle_free(&h, NULL);
		explicit_bzero(*copy, c->len);
		free(*copy);
		*copy = NULL;
		return NULL;
	}
	return h;
}

/*
 * Try one credential (NULL: none, for a volume whose protection is suspended: BitLocker keeps
 * a clear key then) on a fresh volume object over h. 1: unlocked (*vol set); 0: it does not
 * unlock it (or the library cannot use that kind); -1: the volume cannot be read (*why).
 */
static int
try_one(const struct fve_ops *ops, libbfio_handle_t *h, const struct image_credential *c,
	void **vol, char **why)
{
	libbfio_handle_t *kh = NULL;
	uint8_t *copy = NULL;
	char *cwhy = NULL;
	int r;

	if (ops->init(vol, why) < 0)
		return -1;
	if (c == NULL)
		r = 1;
	else if (strcmp(c->kind, "password") == 0)
		r = ops->password(*vol, (const char *)c->secret, c->len, &cwhy);
	else if (strcmp(c->kind, "recovery_password") == 0)
		r = ops->recovery(*vol, (const char *)c->secret, c->len, &cwhy);
	else if (ops->key_file != NULL && (kh = memory_handle(c, &copy)) != NULL)
		r = ops->key_file(*vol, kh, &cwhy);
	else
		r = 0; /* a key file where the format has none */
	free(cwhy); /* a credential of the wrong shape: it does not unlock it */
	if (r == 1)
		r = ops->open(*vol, h, why);
	if (r == 1 && ops->locked(*vol))
		r = 0;
	if (kh)
		libbfio_handle_free(&kh, NULL);
	if (copy) {
		explicit_bzero(copy, c ? c->len : 0);
		free(copy);
	}
	if (r != 1)
		ops->drop(vol);
	return r < 0 ? -1 : r;
}

/* The reason a volume stays locked, as image_luks.c words it. */
static char *
locked_why(const struct fve_ops *ops, size_t tried)
{
	char *s = NULL;
	int rc;

	if (tried == 0)
		rc = asprintf(&s, "no credential given (--credential recovery_password:FILE, "
			      "password:FILE%s)", ops->key_file ? " or key_file:FILE" : "");
	else if (tried == 1)
		rc = asprintf(&s, "wrong key: the credential given does not unlock it");
	else
		rc = asprintf(&s, "wrong key: none of the %zu credentials given unlocks it", tried);
	return rc < 0 ? NULL : s;
}

static int
fve_open(const struct fve_ops *ops, TSK_IMG_INFO *img, int64_t off, int64_t len,
	 const struct image_creds *creds, TSK_IMG_INFO **out, const char **kind,
	 const char **used, char **why)
{
	struct fve_img *f;
	libbfio_handle_t *h;
	uint64_t size = 0;
	void *vol = NULL;
	size_t i;
	int r = 0;

	*out = NULL;
	*kind = ops->name;
	*why = NULL;
	if ((h = image_bfio_open(img, off, len, why)) == NULL)
		return -1;
	if ((r = try_one(ops, h, NULL, &vol, why)) == 1)
		*used = "clear_key";
	for (i = 0; i < creds->n && r == 0; i++)
		if ((r = try_one(ops, h, &creds->v[i], &vol, why)) == 1)
			*used = creds->v[i].kind;
	if (r != 1) {
		char *lib = *why;

		image_bfio_close(h);
		*why = locked_why(ops, creds->n);
		if (r < 0 && creds->n > 0) {
			free(*why); /* what the library cannot read, not the key */
			*why = lib;
		} else if (r < 0 && lib && *why) {
			char *both = NULL;

			if (asprintf(&both, "%s; %s", *why, lib) >= 0) {
				free(*why);
				*why = both;
			}
			free(lib);
		} else {
			free(lib);
		}
		return -1;
	}
	if (ops->size(vol, &size) != 1 || size == 0 || size > INT64_MAX ||
	    (f = calloc(1, sizeof(*f))) == NULL) {
		ops->drop(&vol);
		image_bfio_close(h);
		*why = strdup("cannot read the unlocked volume's size");
		return -1;
	}
	f->ops = ops;
	f->vol = vol;
	f->bfio = h;
	if (tsk_img_open_external(f, (TSK_OFF_T)size, 512, fve_read, fve_close, fve_stat) == NULL) {
		*why = image_tsk_reason("cannot open the unlocked volume");
		ops->drop(&f->vol);
		image_bfio_close(h);
		free(f);
		return -1;
	}
	*out = &f->r.info;
	return 1;
}

int
image_bde_open(TSK_IMG_INFO *img, int64_t off, int64_t len, const struct image_creds *creds,
	       TSK_IMG_INFO **out, const char **kind, const char **used, char **why)
{
	return fve_open(&libbde_ops, img, off, len, creds, out, kind, used, why);
}

int
image_fvde_open(TSK_IMG_INFO *img, int64_t off, int64_t len, const struct image_creds *creds,
		TSK_IMG_INFO **out, const char **kind, const char **used, char **why)
{
	return fve_open(&libfvde_ops, img, off, len, creds, out, kind, used, why);
}
