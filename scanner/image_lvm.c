/*
 * scanner/image_lvm.c — the logical volumes of an LVM2 volume group, read with libvslvm
 * through vigil's own view of the physical volume (image_bfio.c): a partition of a raw or
 * QCOW2 image, a decrypted LUKS volume. Each logical volume becomes an image view of its own
 * (tsk_img_open_external) whose reads libvslvm maps onto its segments (linear and striped).
 *
 * libvslvm maps a logical volume's stripes to the physical volumes of its file I/O pool by
 * their order in the volume group's metadata. One physical volume is given here: a volume
 * group that spans several can only be read where its extents lie on this one, and a read
 * elsewhere fails (said per file). Read-only: LIBVSLVM_OPEN_READ, and the bfio handle refuses
 * writes.
 */
#include "scanner/image_int.h"

/* the bfio entry points are exported, but declared only for a build that says it has libbfio */
#define HAVE_LIBBFIO 1
#include <libvslvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct image_lvm {
	libbfio_handle_t *bfio;
	libbfio_pool_t *pool;
	libvslvm_handle_t *h;
	libvslvm_volume_group_t *vg;
};

/* One logical volume as an image view. */
struct lv_img {
	struct image_reader r;	/* first: what libtsk sees */
	libvslvm_logical_volume_t *lv;
	char *name;
};

/* libvslvm's error on one line (malloc'd), prefixed with what was being done; frees e. */
static char *
lvm_why(const char *doing, libvslvm_error_t **e)
{
	char msg[512] = "", *s, *p;

	if (e && *e) {
		libvslvm_error_backtrace_sprint(*e, msg, sizeof(msg)); /* the cause is first */
		libvslvm_error_free(e);
	}
	for (p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (asprintf(&s, "%s%s%s", doing, msg[0] ? ": " : "", msg) < 0)
		return NULL;
	return s;
}

static ssize_t
lv_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
	struct lv_img *l = (struct lv_img *)img;
	libvslvm_error_t *e = NULL;
	ssize_t got;

	if (off >= img->size)
		return 0;
	if ((TSK_OFF_T)len > img->size - off)
		len = (size_t)(img->size - off);
	got = libvslvm_logical_volume_read_buffer_at_offset(l->lv, buf, len, (off64_t)off, &e);
	if (got < 0) {
		char *why = lvm_why("libvslvm", &e);

		image_read_failed(&l->r, "cannot read the logical volume %s at byte %lld: %s",
				  l->name, (long long)off, why ? why : "out of memory");
		free(why);
		return -1;
	}
	return got;
}

static void
lv_close(TSK_IMG_INFO *img)
{
	struct lv_img *l = (struct lv_img *)img;

	libvslvm_logical_volume_free(&l->lv, NULL);
	free(l->name);
	free(l->r.failure);
	free(l);
}

static void
lv_stat(TSK_IMG_INFO *img, FILE *f)
{
	fprintf(f, "LVM logical volume %s, %lld bytes\n", ((struct lv_img *)img)->name,
		(long long)img->size);
}

void
image_lvm_close(struct image_lvm *l)
{
	if (l == NULL)
		return;
	if (l->vg)
		libvslvm_volume_group_free(&l->vg, NULL);
	if (l->h) {
		libvslvm_handle_close(l->h, NULL);
		libvslvm_handle_free(&l->h, NULL);
	}
	if (l->pool)
		libbfio_pool_free(&l->pool, NULL); /* frees the handles in it */
	else
		image_bfio_close(l->bfio);
	free(l);
}

/* The volume group's name (malloc'd), or NULL. */
static char *
vg_name(libvslvm_volume_group_t *vg)
{
	size_t n = 0;
	char *s;

	if (libvslvm_volume_group_get_name_size(vg, &n, NULL) != 1 || n == 0 ||
	    (s = calloc(1, n + 1)) == NULL)
		return NULL;
	if (libvslvm_volume_group_get_name(vg, s, n, NULL) != 1) {
		free(s);
		return NULL;
	}
	return s;
}

/* Logical volume i as an image view named "VG/LV"; NULL with *why. */
static TSK_IMG_INFO *
lv_open(struct image_lvm *l, const char *vg, int i, char **name, char **why)
{
	libvslvm_error_t *e = NULL;
	struct lv_img *li = calloc(1, sizeof(*li));
	size64_t size = 0;
	size_t n = 0;
	char *lvn = NULL;

	*name = NULL;
	if (li == NULL)
		return *why = strdup("out of memory"), NULL;
	if (libvslvm_volume_group_get_logical_volume(l->vg, i, &li->lv, &e) != 1 ||
	    libvslvm_logical_volume_get_size(li->lv, &size, &e) != 1 ||
	    libvslvm_logical_volume_get_name_size(li->lv, &n, &e) != 1 || n == 0 ||
	    (lvn = calloc(1, n + 1)) == NULL ||
	    libvslvm_logical_volume_get_name(li->lv, lvn, n, &e) != 1) {
		*why = lvm_why("cannot read a logical volume's description", &e);
		goto fail;
	}
	if (asprintf(&li->name, "%s/%s", vg ? vg : "?", lvn) < 0 ||
	    (*name = strdup(li->name)) == NULL) {
		*why = strdup("out of memory");
		goto fail;
	}
	free(lvn);
	if (tsk_img_open_external(li, (TSK_OFF_T)size, 512, lv_read, lv_close, lv_stat) == NULL) {
		*why = image_tsk_reason("cannot open the logical volume");
		free(*name);
		*name = NULL;
		libvslvm_logical_volume_free(&li->lv, NULL);
		free(li->name);
		free(li);
		return NULL;
	}
	return &li->r.info;
fail:
	free(lvn);
	if (li->lv)
		libvslvm_logical_volume_free(&li->lv, NULL);
	free(li->name);
	free(li);
	return NULL;
}

int
image_lvm_open(TSK_IMG_INFO *img, int64_t off, int64_t len, struct image_lvm **out,
	       struct image_lv **lvs, size_t *nlv, char **why)
{
	struct image_lvm *l = calloc(1, sizeof(*l));
	libvslvm_error_t *e = NULL;
	int n = 0, i, entry = 0;
	char *vg = NULL;

	*out = NULL;
	*lvs = NULL;
	*nlv = 0;
	*why = NULL;
	if (l == NULL)
		return *why = strdup("out of memory"), -1;
	if ((l->bfio = image_bfio_open(img, off, len, why)) == NULL)
		goto fail;
	if (libvslvm_handle_initialize(&l->h, &e) != 1 ||
	    libvslvm_handle_open_file_io_handle(l->h, l->bfio, LIBVSLVM_OPEN_READ, &e) != 1) {
		*why = lvm_why("cannot read the LVM metadata", &e);
		goto fail;
	}
	/* the data of the logical volumes: this physical volume, as the pool's only entry */
	if (libbfio_pool_initialize(&l->pool, 0, 0, NULL) != 1 ||
	    libbfio_pool_append_handle(l->pool, &entry, l->bfio, LIBBFIO_OPEN_READ, NULL) != 1) {
		*why = strdup("cannot make an I/O pool for libvslvm");
		goto fail;
	}
	if (libvslvm_handle_open_physical_volume_files_file_io_pool(l->h, l->pool, &e) != 1 ||
	    libvslvm_handle_get_volume_group(l->h, &l->vg, &e) != 1 ||
	    libvslvm_volume_group_get_number_of_logical_volumes(l->vg, &n, &e) != 1) {
		*why = lvm_why("cannot read the volume group", &e);
		goto fail;
	}
	vg = vg_name(l->vg);
	if (n > 0 && (*lvs = calloc((size_t)n, sizeof(**lvs))) == NULL) {
		*why = strdup("out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		struct image_lv *v = &(*lvs)[(*nlv)++];

		v->img = lv_open(l, vg, i, &v->name, &v->why);
		if (v->name == NULL && asprintf(&v->name, "%s/#%d", vg ? vg : "?", i + 1) < 0)
			v->name = NULL;
	}
	free(vg);
	*out = l;
	return 1;
fail:
	free(vg);
	image_lvm_close(l);
	return -1;
}

void
image_lvs_release(struct image_lv *lvs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(lvs[i].name);
		free(lvs[i].why);
	}
	free(lvs);
}
