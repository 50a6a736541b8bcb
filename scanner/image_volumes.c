/*
 * scanner/image_volumes.c — the volumes of a disk image, outside in. First the partitions of
 * its volume system (DOS/MBR or GPT, through libtsk), or the whole image; then --partition or
 * --offset; then what each selected volume holds, opened before the scan so that --list shows
 * it and a wrong key is said once:
 *
 *	LUKS1/LUKS2	unlocked with the credentials (image_luks.c): the decrypted volume
 *	LVM2		each logical volume, a view of its own (image_lvm.c, libvslvm)
 *	APFS		each volume of the container, with its role (libtsk's pool API)
 *	DOS/GPT		a partition table inside a volume (a VM's disk as a logical volume)
 *	swap		named and skipped; BitLocker named as encrypted; btrfs named (the walk
 *			reads it through btrfs restore)
 *
 * A container is listed (status "container") before the volumes it holds; they may hold
 * containers again (GPT > LUKS2 > LVM > XFS is a standard RHEL install), up to MAX_DEPTH.
 * Each volume keeps its chain (["gpt:p3", "luks2", "lvm:rhel/root"]) for the findings.
 */
#include "scanner/image_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"

#include <tsk/fs/apfs_fs.h>

/* Containers inside containers, at most. */
#define MAX_DEPTH 6

static void
own(struct scanner_image *im, void (*close_fn)(void *), void *p)
{
	struct image_own *n = realloc(im->own, (im->nown + 1) * sizeof(*n));

	if (n == NULL) {
		close_fn(p); /* out of memory: closed now, the volume fails on its own */
		return;
	}
	im->own = n;
	im->own[im->nown++] = (struct image_own){ close_fn, p };
}

static void
close_img(void *p)
{
	tsk_img_close(p);
}

static void
close_pool(void *p)
{
	tsk_pool_close(p);
}

static void
close_lvm(void *p)
{
	image_lvm_close(p);
}

/* A new volume at [off, off + len) of img; chain is taken. Its index, or -1 (no memory). */
static long
add(struct scanner_image *im, int partition, TSK_IMG_INFO *img, int64_t off, int64_t len,
    const char *desc, json_t *chain, const char *where)
{
	struct volume *nv = realloc(im->v, (im->nv + 1) * sizeof(*nv));

	if (nv == NULL) {
		json_decref(chain);
		return -1;
	}
	im->v = nv;
	nv = &im->v[im->nv];
	memset(nv, 0, sizeof(*nv));
	nv->partition = partition;
	nv->img = img;
	nv->offset = off;
	nv->length = len;
	nv->outer_offset = off;
	nv->description = strdup(desc ? desc : "");
	nv->status = "skipped";
	nv->selected = 1;
	nv->chain = chain ? chain : json_array();
	nv->where = strdup(where);
	if (nv->description == NULL || nv->chain == NULL || nv->where == NULL) {
		free(nv->description);
		free(nv->where);
		json_decref(nv->chain);
		return -1;
	}
	return (long)im->nv++;
}

/* A volume inside im->v[parent], labelled label (its chain and display name extended). */
static long
add_inside(struct scanner_image *im, size_t parent, TSK_IMG_INFO *img, int64_t off,
	   int64_t len, const char *desc, const char *label)
{
	json_t *chain = json_deep_copy(im->v[parent].chain);
	char *where = NULL;
	long i;

	/* hostile bytes (an LV or APFS volume name) are written as \xNN, never dropped */
	if (chain == NULL || json_array_append_new(chain, vg_json_bytes(label, strlen(label))) != 0 ||
	    asprintf(&where, "%s:%s", im->v[parent].where, label) < 0) {
		json_decref(chain);
		return -1;
	}
	i = add(im, im->v[parent].partition, img, off, len, desc, chain, where);
	free(where);
	if (i >= 0) {
		im->v[i].outer_offset = im->v[parent].outer_offset;
		im->v[i].selected = im->v[parent].selected;
	}
	return i;
}

static enum vg_err
nomem(struct vg_error *err)
{
	return vg_error_set(err, VG_NOMEM, "out of memory");
}

/* The partitions of the volume system, or the whole image as one volume. */
static enum vg_err
find_partitions(struct scanner_image *im, struct vg_error *err)
{
	TSK_VS_INFO *vs = tsk_vs_open(im->img, 0, TSK_VS_TYPE_DETECT);
	TSK_PNUM_T i;
	int n = 0;

	tsk_error_reset();
	if (vs == NULL)
		return add(im, 0, im->img, 0, (int64_t)im->img->size, "no partition table", NULL,
			   "p0") < 0 ? nomem(err) : VG_OK;
	for (i = 0; i < vs->part_count; i++) {
		const TSK_VS_PART_INFO *p = tsk_vs_part_get(vs, i);
		char label[64], where[32];
		int64_t off, len;
		int bad;
		long k;

		if (p == NULL || !(p->flags & TSK_VS_PART_FLAG_ALLOC))
			continue;
		/* a hostile partition table may name any start and length: a volume whose bytes
		 * cannot even be counted is numbered, listed with no bytes, and never read */
		bad = __builtin_mul_overflow((int64_t)p->start, (int64_t)vs->block_size, &off) ||
		      __builtin_mul_overflow((int64_t)p->len, (int64_t)vs->block_size, &len) ||
		      off < 0 || len < 0;
		n++;
		snprintf(label, sizeof(label), "%s:p%d", tsk_vs_type_toname(vs->vstype), n);
		snprintf(where, sizeof(where), "p%d", n);
		k = add(im, n, im->img, bad ? 0 : off, bad ? 0 : len, p->desc,
			json_pack("[s]", label), where);
		if (k < 0) {
			tsk_vs_close(vs);
			return nomem(err);
		}
		if (bad) {
			im->v[k].selected = 0;
			image_volume_fail(&im->v[k], "error",
					  strdup("the partition table gives it a start or length "
						 "beyond any disk"));
		}
	}
	tsk_vs_close(vs);
	if (n == 0 && add(im, 0, im->img, 0, (int64_t)im->img->size, "no partitions", NULL,
			  "p0") < 0)
		return nomem(err);
	return VG_OK;
}

/* --offset: the partition that starts there, or a volume of its own. */
static enum vg_err
select_offset(struct scanner_image *im, int64_t offset, struct vg_error *err)
{
	int found = 0;
	char label[48];
	size_t i;

	if (offset >= (int64_t)im->img->size)
		return vg_error_set(err, VG_INVAL, "--offset %lld is beyond the end of %s (%lld "
				    "bytes)", (long long)offset, im->file, (long long)im->img->size);
	for (i = 0; i < im->nv; i++) {
		im->v[i].selected = im->v[i].offset == offset;
		found |= im->v[i].selected;
	}
	snprintf(label, sizeof(label), "offset:%lld", (long long)offset);
	if (!found && add(im, 0, im->img, offset, (int64_t)im->img->size - offset,
			  "given with --offset", json_pack("[s]", label), "p0") < 0)
		return nomem(err);
	return VG_OK;
}

static enum vg_err
select_partition(struct scanner_image *im, int partition, struct vg_error *err)
{
	int found = 0;
	size_t i;

	for (i = 0; i < im->nv; i++) {
		im->v[i].selected = im->v[i].partition == partition;
		found |= im->v[i].selected;
	}
	if (!found && im->v[0].partition == 0)
		return vg_error_set(err, VG_NOTFOUND, "%s has no partition %d: it has no partition "
				    "table (its file system is partition 0)", im->file, partition);
	if (!found)
		return vg_error_set(err, VG_NOTFOUND, "%s has no partition %d: it has partitions 1 "
				    "to %d", im->file, partition, im->v[im->nv - 1].partition);
	return VG_OK;
}

static void expand(struct scanner_image *im, size_t vi, int depth);

/* Could a key unlock what stayed locked (not a damaged header, not a cipher vigil lacks)? */
static int
key_may_help(const char *why)
{
	return why != NULL && (strncmp(why, "no credential", 13) == 0 ||
			       strncmp(why, "wrong key", 9) == 0);
}

/* What unlocks an encrypted volume: image_luks_open, image_bde_open, image_fvde_open. */
typedef int (*unlock_fn)(TSK_IMG_INFO *img, int64_t off, int64_t len,
			 const struct image_creds *creds, TSK_IMG_INFO **out, const char **kind,
			 const char **used, char **why);

/*
 * A locked volume and a prompt: each passphrase typed is tried alone (a key derivation may
 * take seconds), and kept for the volumes after it. 1 with *d and *used when one unlocks it.
 */
static int
crypt_ask(struct scanner_image *im, size_t vi, unlock_fn unlock, TSK_IMG_INFO **d,
	  const char **used, char **why)
{
	struct image_credential c = { 0 };
	struct image_creds one = { .v = &c, .n = 1 };
	struct vg_error err;
	const char *kind;
	char *what;
	int r = -1;

	if (asprintf(&what, "%s volume %s of %s", im->v[vi].encryption, im->v[vi].where,
		     im->file) < 0)
		return -1;
	while (r < 0 && key_may_help(*why) && im->creds->ask(im->creds->ask_arg, what, &c) == 1) {
		free(*why);
		*why = NULL;
		r = unlock(im->v[vi].img, im->v[vi].offset, im->v[vi].length, &one, d, &kind,
			   used, why);
		vg_error_init(&err);
		if (image_creds_push(im->creds, &c, &err) != VG_OK)
			break;
	}
	free(what);
	return r;
}

/*
 * An encrypted volume (LUKS, BitLocker, FileVault): unlocked with the credentials (or at the
 * prompt), what it holds becomes a volume after it, labelled label (NULL: the kind unlock
 * names, "luks2"), and is opened in turn; else it is an error with the reason.
 */
static void
expand_crypt(struct scanner_image *im, size_t vi, int depth, unlock_fn unlock, const char *label)
{
	static const struct image_creds none;
	TSK_IMG_INFO *d = NULL;
	const char *kind = NULL, *used = NULL;
	char *why = NULL, desc[96];
	int r;
	long c;

	r = unlock(im->v[vi].img, im->v[vi].offset, im->v[vi].length,
		   im->creds ? im->creds : &none, &d, &kind, &used, &why);
	im->v[vi].encryption = kind;
	if (r < 0 && kind != NULL && im->creds && im->creds->ask)
		r = crypt_ask(im, vi, unlock, &d, &used, &why);
	if (r <= 0) {
		if (r < 0)
			image_volume_fail(&im->v[vi], "error", why);
		else
			free(why);
		return;
	}
	free(why);
	own(im, close_img, d);
	im->v[vi].status = "container";
	im->v[vi].unlocked_with = used;
	snprintf(desc, sizeof(desc), "%s volume, unlocked", kind);
	if ((c = add_inside(im, vi, d, 0, (int64_t)d->size, desc, label ? label : kind)) >= 0)
		expand(im, (size_t)c, depth + 1);
}

static void
expand_lvm(struct scanner_image *im, size_t vi, int depth)
{
	struct image_lvm *l = NULL;
	struct image_lv *lvs = NULL;
	size_t n = 0, i;
	char *why = NULL;

	if (image_lvm_open(im->v[vi].img, im->v[vi].offset, im->v[vi].length, &l, &lvs, &n,
			   &why) < 0) {
		image_volume_fail(&im->v[vi], "error", why);
		return;
	}
	own(im, close_lvm, l);	/* closed after the logical volumes, owned below */
	im->v[vi].status = "container";
	free(im->v[vi].description);
	im->v[vi].description = strdup("LVM2 physical volume");
	for (i = 0; i < n; i++) {
		char label[600];
		long c;

		snprintf(label, sizeof(label), "lvm:%s", lvs[i].name ? lvs[i].name : "?");
		if (lvs[i].img)
			own(im, close_img, lvs[i].img);
		c = add_inside(im, vi, lvs[i].img ? lvs[i].img : im->v[vi].img, 0,
			       lvs[i].img ? (int64_t)lvs[i].img->size : 0, "LVM2 logical volume",
			       label);
		if (c < 0)
			continue;
		if (lvs[i].img == NULL) {
			image_volume_fail(&im->v[c], "error", lvs[i].why);
			lvs[i].why = NULL;
		} else {
			expand(im, (size_t)c, depth + 1);
		}
	}
	image_lvs_release(lvs, n);
}

/* APFS volume roles (Apple's APFS reference: apfs_superblock_t.apfs_role); libtsk 4.11
 * names only the first five. */
static const char *
apfs_role(unsigned role)
{
	static const struct { unsigned v; const char *name; } roles[] = {
		{ 0x0001, "System" }, { 0x0002, "User" }, { 0x0004, "Recovery" },
		{ 0x0008, "VM" }, { 0x0010, "Preboot" }, { 0x0020, "Installer" },
		{ 0x0040, "Data" }, { 0x0080, "Baseband" }, { 0x00c0, "Update" },
		{ 0x0100, "xART" }, { 0x0140, "Hardware" }, { 0x0180, "Backup" },
		{ 0x0240, "Enterprise" }, { 0x02c0, "Prelogin" },
	};
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].v == role)
			return roles[i].name;
	return role == 0 ? NULL : "unknown";
}

/* "APFS volume, role Data" where libtsk can read the volume's superblock without its key. */
static char *
apfs_description(TSK_IMG_INFO *pimg)
{
	TSK_FS_INFO *fs = tsk_fs_open_img(pimg, 0, TSK_FS_TYPE_APFS);
	apfs_fsstat_info info;
	const char *role = NULL;
	char *d;

	if (fs != NULL && tsk_apfs_fsstat(fs, &info) == 0)
		role = apfs_role((unsigned)info.role);
	if (fs)
		tsk_fs_close(fs);
	tsk_error_reset();
	if (asprintf(&d, "APFS volume%s%s", role ? ", role " : "", role ? role : "") < 0)
		return NULL;
	return d;
}

static void
expand_apfs(struct scanner_image *im, size_t vi)
{
	const TSK_POOL_INFO *pool;
	const TSK_POOL_VOLUME_INFO *pv;

	tsk_error_reset();
	pool = tsk_pool_open_img_sing(im->v[vi].img, im->v[vi].offset, TSK_POOL_TYPE_APFS);
	if (pool == NULL) {
		image_volume_fail(&im->v[vi], "error", image_tsk_reason("not an APFS container"));
		return;
	}
	own(im, close_pool, (void *)pool);
	im->v[vi].status = "container";
	free(im->v[vi].description);
	im->v[vi].description = strdup("APFS container");
	for (pv = pool->vol_list; pv != NULL; pv = pv->next) {
		char label[300], *desc;
		long c;

		TSK_IMG_INFO *pimg;

		snprintf(label, sizeof(label), "apfs:%s", pv->desc ? pv->desc : "?");
		/* the volume as an image of its own, which libtsk's APFS reads through the pool
		 * (tsk_fs_open_pool is declared but not exported by Debian's libtsk 4.11) */
		if ((pimg = pool->get_img_info(pool, pv->block)) == NULL)
			continue;
		own(im, close_img, pimg);
		desc = (pv->flags & TSK_POOL_VOLUME_FLAG_ENCRYPTED) ? NULL : apfs_description(pimg);
		c = add_inside(im, vi, pimg, 0, (int64_t)(pv->num_blocks * pool->block_size),
			       desc ? desc : "APFS volume", label);
		free(desc);
		if (c < 0)
			continue;
		im->v[c].pool = pool;
		im->v[c].pool_block = pv->block;
		im->v[c].pool_encrypted = (pv->flags & TSK_POOL_VOLUME_FLAG_ENCRYPTED) != 0;
		if (im->v[c].pool_encrypted)
			im->v[c].encryption = "APFS";
	}
}

/*
 * A partition table inside a volume (a virtual machine's disk kept as a logical volume, a
 * disk image's partitions inside a LUKS volume): each partition a volume of its own, "gpt:pN".
 * Only where no file system is found first: a FAT boot sector also ends in 0x55AA.
 */
static int
expand_table(struct scanner_image *im, size_t vi, const char *head, int depth)
{
	struct volume *v = &im->v[vi];
	TSK_FS_INFO *fs;
	TSK_VS_INFO *vs;
	TSK_PNUM_T i;
	int n = 0;

	if (memcmp(head, "XFSB", 4) == 0)
		return 0;
	if ((fs = tsk_fs_open_img(v->img, v->offset, TSK_FS_TYPE_DETECT)) != NULL) {
		tsk_fs_close(fs);
		return 0;
	}
	tsk_error_reset();
	if ((vs = tsk_vs_open(v->img, v->offset, TSK_VS_TYPE_DETECT)) == NULL) {
		tsk_error_reset();
		return 0;
	}
	im->v[vi].status = "container";
	for (i = 0; i < vs->part_count; i++) {
		const TSK_VS_PART_INFO *p = tsk_vs_part_get(vs, i);
		int64_t off, len;
		char label[64];
		long c;

		if (p == NULL || !(p->flags & TSK_VS_PART_FLAG_ALLOC))
			continue;
		n++;
		snprintf(label, sizeof(label), "%s:p%d", tsk_vs_type_toname(vs->vstype), n);
		if (__builtin_mul_overflow((int64_t)p->start, (int64_t)vs->block_size, &off) ||
		    __builtin_mul_overflow((int64_t)p->len, (int64_t)vs->block_size, &len) ||
		    off < 0 || len < 0 || off > im->v[vi].length)
			continue; /* beyond any volume: not read */
		c = add_inside(im, vi, im->v[vi].img, im->v[vi].offset + off, len, p->desc, label);
		if (c >= 0)
			expand(im, (size_t)c, depth + 1);
	}
	tsk_vs_close(vs);
	return 1;
}

/* A Core Storage physical volume (FileVault 2 before APFS): its volume header, version 1 of
 * block type 0x10 with "CS" 88 bytes in (libfvde checks the rest). */
static int
is_core_storage(const char *head)
{
	return memcmp(head + 88, "CS", 2) == 0 && memcmp(head + 8, "\x01\x00\x10\x00", 4) == 0;
}

/* A btrfs superblock: its magic 64 bytes into the copy at 64 KiB. */
static int
is_btrfs(struct volume *v)
{
	char magic[8];

	if (v->length < 0x10000 + 0x48 ||
	    tsk_img_read(v->img, v->offset + 0x10040, magic, sizeof(magic)) != (ssize_t)sizeof(magic)) {
		free(image_read_failure(v->img));
		tsk_error_reset();
		return 0;
	}
	return memcmp(magic, "_BHRfS_M", 8) == 0;
}

/* What im->v[vi] holds: a container opened (its volumes added after it), or nothing. */
static void
expand(struct scanner_image *im, size_t vi, int depth)
{
	char head[4096];
	struct volume *v = &im->v[vi];

	if (!v->selected || v->length < (int64_t)sizeof(head) || depth > MAX_DEPTH)
		return;
	if (tsk_img_read(v->img, v->offset, head, sizeof(head)) != (ssize_t)sizeof(head)) {
		free(image_read_failure(v->img));
		tsk_error_reset();
		return; /* the walk says why it cannot read it */
	}
	if (memcmp(head, "LUKS\xba\xbe", 6) == 0)
		expand_crypt(im, vi, depth, image_luks_open, NULL);
	else if (memcmp(head + 512, "LABELONE", 8) == 0 && memcmp(head + 536, "LVM2 001", 8) == 0)
		expand_lvm(im, vi, depth);
	else if (memcmp(head + 32, "NXSB", 4) == 0)
		expand_apfs(im, vi);
	else if (memcmp(head + 3, "-FVE-FS-", 8) == 0)
		expand_crypt(im, vi, depth, image_bde_open, "bitlocker");
	else if (is_core_storage(head))
		expand_crypt(im, vi, depth, image_fvde_open, "filevault");
	else if (memcmp(head + 4086, "SWAPSPACE2", 10) == 0) {
		image_volume_fail(v, "skipped", strdup("Linux swap space: no files to scan"));
	} else if (is_btrfs(v)) {
		v->fs = "btrfs"; /* read by btrfs restore (scanner/image_btrfs.c) */
	} else if (depth > 0) /* the outermost one's table was read already */
		expand_table(im, vi, head, depth);
}

enum vg_err
image_volumes_find(struct scanner_image *im, int partition, int64_t offset,
		   struct vg_error *err)
{
	enum vg_err rc = find_partitions(im, err);
	size_t i, n;

	if (rc == VG_OK && offset >= 0)
		rc = select_offset(im, offset, err);
	else if (rc == VG_OK && partition >= 0)
		rc = select_partition(im, partition, err);
	for (i = 0; rc == VG_OK && i < im->nv; i++)
		if (!im->v[i].selected && im->v[i].reason == NULL && (partition >= 0 || offset >= 0))
			im->v[i].reason = strdup(partition >= 0 ? "not selected (--partition)"
								: "not selected (--offset)");
	for (i = 0, n = im->nv; rc == VG_OK && i < n; i++)
		expand(im, i, 0);
	return rc;
}

void
image_volumes_release(struct scanner_image *im)
{
	size_t i;

	for (i = 0; i < im->nv; i++) {
		free(im->v[i].description);
		free(im->v[i].reason);
		free(im->v[i].where);
		json_decref(im->v[i].chain);
	}
	free(im->v);
	im->v = NULL;
	im->nv = 0;
	while (im->nown > 0) {
		im->nown--;
		im->own[im->nown].close(im->own[im->nown].p);
	}
	free(im->own);
	im->own = NULL;
}

/* An encrypted APFS volume, with each password given. */
static TSK_FS_INFO *
apfs_decrypt(struct scanner_image *im, struct volume *v, char **why)
{
	size_t i;

	for (i = 0; im->creds && i < im->creds->n; i++) {
		const struct image_credential *c = &im->creds->v[i];
		char *pw;
		TSK_FS_INFO *fs;

		if (strcmp(c->kind, "password") != 0 || (pw = strndup((char *)c->secret, c->len)) ==
							      NULL)
			continue;
		tsk_error_reset();
		fs = tsk_fs_open_img_decrypt(v->img, 0, TSK_FS_TYPE_APFS, pw);
		free(pw);
		if (fs != NULL) {
			v->unlocked_with = c->kind;
			return fs;
		}
	}
	tsk_error_reset();
	if (asprintf(why, "an encrypted APFS volume: %s",
		     im->creds && im->creds->n ? "wrong key: none of the passwords given unlocks it"
					       : "no credential given (--credential "
						 "password:FILE)") < 0)
		*why = NULL;
	return NULL;
}

TSK_FS_INFO *
image_volume_fs(struct scanner_image *im, struct volume *v, const char **own, char **why)
{
	const char *enc;
	TSK_FS_INFO *fs;
	char magic[4];

	*own = NULL;
	*why = NULL;
	tsk_error_reset();
	if (v->pool && v->pool_encrypted)
		return apfs_decrypt(im, v, why);
	if (v->pool) {
		if ((fs = tsk_fs_open_img(v->img, 0, TSK_FS_TYPE_APFS)) == NULL)
			*why = image_tsk_reason("libtsk cannot open this APFS volume");
		return fs;
	}
	if (tsk_img_read(v->img, v->offset, magic, 4) == 4 && memcmp(magic, "XFSB", 4) == 0) {
		*own = "xfs";
		return NULL;
	}
	if (v->fs != NULL && strcmp(v->fs, "btrfs") == 0) { /* expand() found its superblock */
		*own = "btrfs";
		return NULL;
	}
	tsk_error_reset();
	enc = image_encrypted_kind(v->img, v->offset);
	fs = enc ? NULL : tsk_fs_open_img(v->img, v->offset, TSK_FS_TYPE_DETECT);
	if (fs != NULL)
		return fs;
	if (enc == NULL)
		*why = image_tsk_reason("no file system libtsk knows");
	else if (asprintf(why, "an encrypted %s volume: vigil cannot unlock it", enc) < 0)
		*why = NULL;
	return NULL;
}

json_t *
image_volume_chain(const struct volume *v)
{
	json_t *c = json_deep_copy(v->chain);

	if (c && v->fs)
		json_array_append_new(c, json_string(v->fs));
	return c;
}
