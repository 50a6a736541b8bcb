/*
 * tests/unit/test_quarantine.c — quarantine/quarantine.h against real files in a fresh
 * temporary folder and a real store: byte-exact round trips across chunk boundaries, the
 * file's metadata, destinations that exist or are symbolic links, the key checks, tampered
 * chunks and rows, staged crash states, refused file types, the encrypted zip export,
 * removal, expiry, the allow list after a restore and the memory bound on a large file; the
 * vault file: a SIGKILL at each step of a move or restore, items of the old layout (chunks
 * in vigil.db), and a vault file that is damaged, missing or another store's.
 *
 * Only the public API moves files in and out. SQLite is used directly only to tamper with
 * the vault or to stage the state a crash would leave behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/reach.h"
#include "core/store.h"
#include "core/store_int.h" /* the connections, to stage a SIGKILL at one step */
#include "quarantine/quarantine.h"
#include "tests/unit/util.h"

#define CHUNK ((size_t)QUARANTINE_CHUNK)
#define THREAT "Test.Webshell"

/* ---- fixture: a temporary folder, a store in it, and (opened on demand) the vault ---- */

struct fx {
	char base[64];		/* mkdtemp */
	char state[128];	/* base/state: the store and the default key */
	char files[128];	/* base/files: what is quarantined and restored */
	char key[192];		/* base/state/quarantine.key */
	struct store *st;
	struct vault *v;
};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vg_error e;

	if (f == NULL)
		return -1;
	if (vt_mkdtemp(f->base, sizeof(f->base), "vigil-quar") == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->state, sizeof(f->state), "%s/state", f->base);
	snprintf(f->files, sizeof(f->files), "%s/files", f->base);
	snprintf(f->key, sizeof(f->key), "%s/quarantine.key", f->state);
	vg_error_init(&e);
	if (mkdir(f->files, 0755) != 0 || store_open(f->state, &f->st, &e) != VG_OK) {
		fprintf(stderr, "setup: %s\n", vg_error_msg(&e));
		vt_rm_rf(f->base);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	quarantine_close(f->v);
	store_close(f->st);
	vt_rm_rf(f->base);
	free(f);
	return 0;
}

/* ---- helpers ---- */

/* (Re)open the vault with the default key; the test fails when that does not work. */
static void
vopen(struct fx *f, int64_t window)
{
	struct vg_error e;

	quarantine_close(f->v);
	f->v = NULL;
	vg_error_init(&e);
	if (quarantine_open(f->st, f->state, NULL, window, &f->v, &e) != VG_OK)
		fail_msg("quarantine_open: %s", vg_error_msg(&e));
	assert_non_null(f->v);
}

/* Open the vault with key_file (NULL: default) and return the code; f->v on success. */
static enum vg_err
vopen_rc(struct fx *f, const char *key_file, struct vg_error *e)
{
	struct vault *v = NULL;
	enum vg_err rc;

	quarantine_close(f->v);
	f->v = NULL;
	vg_error_init(e);
	rc = quarantine_open(f->st, f->state, key_file, 3600, &v, e);
	if (rc == VG_OK)
		f->v = v;
	return rc;
}

static void
assert_msg_has(const struct vg_error *e, const char *what)
{
	if (strstr(vg_error_msg(e), what) == NULL)
		fail_msg("error '%s' does not mention '%s'", vg_error_msg(e), what);
}

static void
fpath(const struct fx *f, const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", f->files, name);
}

/* Deterministic bytes that differ from chunk to chunk (xorshift32). */
static void
fill(unsigned char *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

static unsigned char *
make_data(size_t n, uint32_t seed)
{
	unsigned char *p = malloc(n ? n : 1);

	assert_non_null(p);
	fill(p, n, seed);
	return p;
}

/* The whole file up to its end (malloc'd), or NULL when it cannot be opened. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW);
	struct stat sb;
	unsigned char *p;
	size_t got = 0, cap;
	ssize_t r;

	if (fd < 0)
		return NULL;
	assert_int_equal(fstat(fd, &sb), 0);
	cap = (size_t)sb.st_size + 4096;
	p = malloc(cap);
	assert_non_null(p);
	while ((r = read(fd, p + got, cap - got)) > 0) {
		got += (size_t)r;
		if (got == cap) {
			p = realloc(p, cap *= 2);
			assert_non_null(p);
		}
	}
	assert_true(r == 0);
	close(fd);
	*len = got;
	return p;
}

static void
assert_file_is(const char *path, const unsigned char *want, size_t n)
{
	size_t len = 0;
	unsigned char *got = slurp(path, &len);

	if (got == NULL)
		fail_msg("cannot read '%s': %s", path, strerror(errno));
	if (len != n || (n > 0 && memcmp(got, want, n) != 0)) {
		free(got);
		fail_msg("'%s' is not byte-identical (%zu bytes, want %zu)", path, len, n);
	}
	free(got);
}

static void
assert_gone(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) == 0)
		fail_msg("'%s' exists", path);
	assert_int_equal(errno, ENOENT);
}

static void
sha_hex(const void *p, size_t n, char hex[65])
{
	unsigned char d[32];
	unsigned int dl = 0;
	int i;

	assert_int_equal(EVP_Digest(p, n, d, &dl, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static int64_t
add_ok(struct fx *f, const char *path)
{
	struct vg_error e;
	int64_t id = 0;

	vg_error_init(&e);
	if (quarantine_add(f->v, path, THREAT, 0, &id, NULL, &e) != VG_OK)
		fail_msg("quarantine_add '%s': %s", path, vg_error_msg(&e));
	assert_true(id > 0);
	return id;
}

/* Write n bytes (seed) to files/name and quarantine it; data (malloc'd) may be kept. */
static int64_t
add_new(struct fx *f, const char *name, size_t n, uint32_t seed, unsigned char **data)
{
	unsigned char *p = make_data(n, seed);
	char path[256];
	int64_t id;

	fpath(f, name, path, sizeof(path));
	assert_int_equal(vt_write_file(f->files, name, p, n), 0);
	id = add_ok(f, path);
	if (data)
		*data = p;
	else
		free(p);
	return id;
}

static void
restore_ok(struct fx *f, int64_t id, const char *dest, int force)
{
	struct vg_error e;

	vg_error_init(&e);
	if (quarantine_restore(f->v, id, dest, force, NULL, &e) != VG_OK)
		fail_msg("quarantine_restore %lld: %s", (long long)id, vg_error_msg(&e));
}

static size_t
nlisted(struct fx *f)
{
	json_t *l = NULL;
	size_t n;

	assert_int_equal(quarantine_list_json(f->v, &l, NULL), VG_OK);
	assert_true(json_is_array(l));
	n = json_array_size(l);
	json_decref(l);
	return n;
}

/* The listed item with id (a new reference), or NULL. */
static json_t *
listed(struct fx *f, int64_t id)
{
	json_t *l = NULL, *it, *found = NULL;
	size_t i;

	assert_int_equal(quarantine_list_json(f->v, &l, NULL), VG_OK);
	json_array_foreach(l, i, it) {
		if (vt_jint(it, "id") == id)
			found = json_incref(it);
	}
	json_decref(l);
	return found;
}

static sqlite3 *
db_open(struct fx *f)
{
	char path[256];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/vigil.db", f->state);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	/* the vault file, as "vault", once the vault made it: vault.quarantine_chunks */
	snprintf(path, sizeof(path), "%s/vault.db", f->state);
	if (access(path, F_OK) == 0) {
		sqlite3_stmt *s = NULL;

		assert_int_equal(sqlite3_prepare_v2(db, "ATTACH ?1 AS vault", -1, &s, NULL),
				 SQLITE_OK);
		sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_finalize(s);
	}
	/* every chunk, wherever it is: vigil.db keeps those of one-chunk items */
	assert_int_equal(sqlite3_exec(db, access(path, F_OK) == 0
				? "CREATE TEMP VIEW all_chunks AS SELECT item, idx FROM "
				  "main.quarantine_chunks UNION ALL SELECT item, idx FROM "
				  "vault.quarantine_chunks"
				: "CREATE TEMP VIEW all_chunks AS SELECT item, idx FROM "
				  "main.quarantine_chunks", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

/* Run SQL on the store's database (and the vault file, as "vault") with SQLite directly
 * (tampering, staging). */
static void __attribute__((format(printf, 2, 3)))
db_exec(struct fx *f, const char *fmt, ...)
{
	char sql[1024], *msg = NULL;
	sqlite3 *db = db_open(f);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		char copy[512];

		snprintf(copy, sizeof(copy), "%s", msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(db);
		fail_msg("%s: %s", sql, copy);
	}
	sqlite3_close(db);
}

static long long __attribute__((format(printf, 2, 3)))
db_int(struct fx *f, const char *fmt, ...)
{
	char sql[1024];
	sqlite3 *db = db_open(f);
	sqlite3_stmt *s = NULL;
	long long v = -1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Rows of item id in the vault: the item itself plus its chunks. */
static long long
rows_of(struct fx *f, int64_t id)
{
	return db_int(f, "SELECT (SELECT count(*) FROM quarantine WHERE id = %lld) + "
			 "(SELECT count(*) FROM all_chunks WHERE item = %lld)",
		      (long long)id, (long long)id);
}

static long long
rows_all(struct fx *f)
{
	return db_int(f, "SELECT (SELECT count(*) FROM quarantine) + "
			 "(SELECT count(*) FROM all_chunks)");
}

/* Flip one bit at off of chunk idx of item id, in whichever file keeps its chunks. */
static void
chunk_flip(struct fx *f, int64_t id, int64_t idx, size_t off)
{
	const char *table = db_int(f, "SELECT chunk_file FROM quarantine WHERE id = %lld",
				   (long long)id) ? "vault.quarantine_chunks"
						  : "main.quarantine_chunks";
	sqlite3 *db = db_open(f);
	sqlite3_stmt *s = NULL;
	unsigned char *buf;
	char sql[128];
	int n;

	snprintf(sql, sizeof(sql), "SELECT data FROM %s WHERE item = ?1 AND idx = ?2", table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, idx);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_bytes(s, 0);
	assert_true((size_t)n > off);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	memcpy(buf, sqlite3_column_blob(s, 0), (size_t)n);
	sqlite3_finalize(s);
	buf[off] ^= 0x01;
	snprintf(sql, sizeof(sql), "UPDATE %s SET data = ?3 WHERE item = ?1 AND idx = ?2", table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, idx);
	sqlite3_bind_blob(s, 3, buf, n, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(buf);
}

/* Entries of dir whose name starts with prefix. */
static int
count_prefix(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
count_fds(void)
{
	return count_entries("/proc/self/fd");
}

/* Run cmd and return its standard output (malloc'd); *status is its exit status. */
static unsigned char *
run_read(const char *cmd, size_t *len, int *status)
{
	FILE *p = popen(cmd, "r");
	size_t cap = 1 << 16, n = 0, r;
	unsigned char *buf = malloc(cap);

	assert_non_null(p);
	assert_non_null(buf);
	while ((r = fread(buf + n, 1, cap - n, p)) > 0) {
		n += r;
		if (n == cap) {
			buf = realloc(buf, cap *= 2);
			assert_non_null(buf);
		}
	}
	*status = pclose(p);
	*len = n;
	return buf;
}

/* ---- round trips ---- */

static void
test_roundtrip_sizes_byte_identical(void **state)
{
	static const size_t sizes[] = { 0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7 };
	struct fx *f = *state;
	struct store_scan_new sn = { .type = "custom", .threads = 1, .sig_version = 1,
				     .rules_digest = "d" };
	int64_t scan_id = 0;
	size_t i;

	assert_int_equal(store_scan_begin(f->st, &sn, &scan_id, NULL), VG_OK);
	vopen(f, 3600);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		unsigned char *data = make_data(n, (uint32_t)i + 1);
		char name[64], path[256], hex[65], *where = NULL;
		long long chunks = n == 0 ? 1 : (long long)((n + CHUNK - 1) / CHUNK);
		struct vg_error e;
		int64_t id = 0;
		json_t *it;

		snprintf(name, sizeof(name), "size-%zu.bin", n);
		fpath(f, name, path, sizeof(path));
		assert_int_equal(vt_write_file(f->files, name, data, n), 0);
		sha_hex(data, n, hex);
		vg_error_init(&e);
		if (quarantine_add(f->v, path, THREAT, scan_id, &id, NULL, &e) != VG_OK)
			fail_msg("quarantine_add size %zu: %s", n, vg_error_msg(&e));
		assert_true(id > 0);
		/* the original is gone; the vault lists it with what was recorded */
		assert_gone(path);
		it = listed(f, id);
		if (it == NULL)
			fail_msg("item %lld (size %zu) is not listed", (long long)id, n);
		assert_string_equal(vt_jstr(it, "path"), path);
		assert_string_equal(vt_jstr(it, "threat"), THREAT);
		assert_string_equal(vt_jstr(it, "sha256"), hex);
		assert_int_equal(vt_jint(it, "size"), n);
		assert_int_equal(vt_jint(it, "scan_id"), scan_id);
		assert_string_equal(vt_jstr(it, "state"), "quarantined");
		assert_int_equal(strlen(vt_jstr(it, "quarantined_at")), 20);
		json_decref(it);
		assert_int_equal(db_int(f, "SELECT chunks FROM quarantine WHERE id = %lld",
					(long long)id), chunks);
		assert_int_equal(db_int(f, "SELECT count(*) FROM all_chunks WHERE item = %lld",
					(long long)id), chunks);

		/* back where it was, byte for byte; the item leaves the vault */
		vg_error_init(&e);
		if (quarantine_restore(f->v, id, NULL, 0, &where, &e) != VG_OK)
			fail_msg("quarantine_restore size %zu: %s", n, vg_error_msg(&e));
		assert_non_null(where);
		assert_string_equal(where, path);
		free(where);
		assert_file_is(path, data, n);
		assert_null(listed(f, id));
		assert_int_equal(rows_of(f, id), 0);
		free(data);
	}
	assert_int_equal(count_prefix(f->files, ".vigil-restore-"), 0);
}

/* The vault holds ciphertext only: a distinctive plaintext run is nowhere in the db files. */
static void
test_vault_holds_no_plaintext(void **state)
{
	static const char marker[] = "vigil-plaintext-marker-7f3a9c1e-must-never-be-stored-";
	struct fx *f = *state;
	size_t n = 2 * CHUNK + 100, i, ml = sizeof(marker) - 1;
	unsigned char *data = malloc(n);
	char path[256], db[256];
	const char *suffix[] = { "vigil.db", "vigil.db-wal", "vault.db", "vault.db-journal" };

	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)marker[i % ml];
	assert_int_equal(vt_write_file(f->files, "plain", data, n), 0);
	fpath(f, "plain", path, sizeof(path));
	vopen(f, 3600);
	add_ok(f, path);
	for (i = 0; i < 4; i++) {
		size_t len = 0;
		unsigned char *raw;

		snprintf(db, sizeof(db), "%s/%s", f->state, suffix[i]);
		raw = slurp(db, &len);
		if (raw == NULL)
			continue;
		if (memmem(raw, len, marker, ml) != NULL) {
			free(raw);
			fail_msg("'%s' holds the plaintext", db);
		}
		free(raw);
	}
	free(data);
}

static void
test_restore_sets_mode_owner_times(void **state)
{
	struct fx *f = *state;
	const struct timespec ts[2] = { { 1000000000, 123456789 }, { 1234567890, 987654321 } };
	unsigned char *data = NULL;
	char path[256], other[256];
	struct stat sb;
	int64_t id;
	json_t *it;
	int round;

	vopen(f, 3600);
	for (round = 0; round < 2; round++) {
		data = make_data(CHUNK + 3, 77);
		fpath(f, "meta.bin", path, sizeof(path));
		assert_int_equal(vt_write_file(f->files, "meta.bin", data, CHUNK + 3), 0);
		/* chown first: it would clear the set-user-ID bit */
		assert_int_equal(chown(path, 1234, 5678), 0);
		assert_int_equal(chmod(path, 04750), 0);
		assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
		id = add_ok(f, path);
		it = listed(f, id);
		assert_non_null(it);
		assert_int_equal(vt_jint(it, "mode"), 04750);
		assert_int_equal(vt_jint(it, "uid"), 1234);
		assert_int_equal(vt_jint(it, "gid"), 5678);
		assert_int_equal(vt_jint(it, "mtime"), 1234567890);
		json_decref(it);

		/* round 0: back in place; round 1: elsewhere */
		fpath(f, round == 0 ? "meta.bin" : "elsewhere.bin", other, sizeof(other));
		restore_ok(f, id, round == 0 ? NULL : other, 0);
		if (round == 1)
			assert_gone(path);
		/* stat before reading: reading could move the access time */
		assert_int_equal(lstat(other, &sb), 0);
		assert_true(S_ISREG(sb.st_mode));
		assert_int_equal(sb.st_mode & 07777, 04750);
		assert_int_equal(sb.st_uid, 1234);
		assert_int_equal(sb.st_gid, 5678);
		assert_int_equal(sb.st_atim.tv_sec, ts[0].tv_sec);
		assert_int_equal(sb.st_atim.tv_nsec, ts[0].tv_nsec);
		assert_int_equal(sb.st_mtim.tv_sec, ts[1].tv_sec);
		assert_int_equal(sb.st_mtim.tv_nsec, ts[1].tv_nsec);
		assert_file_is(other, data, CHUNK + 3);
		free(data);
		if (round == 1)
			assert_int_equal(unlink(other), 0);
	}
	assert_int_equal(count_prefix(f->files, ".vigil-restore-"), 0);
}

static void
test_restore_to_another_path(void **state)
{
	struct fx *f = *state;
	unsigned char *data = NULL;
	char path[256], dir[256], dest[300], *where = NULL;
	struct vg_error e;
	int64_t id;

	vopen(f, 3600);
	id = add_new(f, "a.bin", 5000, 3, &data);
	fpath(f, "a.bin", path, sizeof(path));
	fpath(f, "sub", dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dest, sizeof(dest), "%s/b.bin", dir);

	/* a destination in a folder that does not exist: refused, the item stays */
	{
		char nodir[320];

		snprintf(nodir, sizeof(nodir), "%s/missing/b.bin", dir);
		vg_error_init(&e);
		assert_int_equal(quarantine_restore(f->v, id, nodir, 0, NULL, &e), VG_NOENT);
		assert_int_equal(nlisted(f), 1);
	}
	vg_error_init(&e);
	if (quarantine_restore(f->v, id, dest, 0, &where, &e) != VG_OK)
		fail_msg("restore: %s", vg_error_msg(&e));
	assert_string_equal(where, dest);
	free(where);
	assert_file_is(dest, data, 5000);
	assert_gone(path);
	assert_int_equal(nlisted(f), 0);
	/* the item is gone: a second restore finds nothing */
	vg_error_init(&e);
	assert_int_equal(quarantine_restore(f->v, id, NULL, 0, NULL, &e), VG_NOTFOUND);
	assert_gone(path);
	free(data);
}

static void
test_restore_existing_destination(void **state)
{
	struct fx *f = *state;
	unsigned char *data = NULL;
	static const char keep[] = "already here, keep me";
	char path[256];
	struct vg_error e;
	struct stat sb;
	int64_t id;

	vopen(f, 3600);
	id = add_new(f, "x.php", CHUNK + 1, 9, &data);
	fpath(f, "x.php", path, sizeof(path));
	assert_int_equal(vt_write_file(f->files, "x.php", keep, sizeof(keep) - 1), 0);
	assert_int_equal(chmod(path, 0640), 0);

	vg_error_init(&e);
	assert_int_equal(quarantine_restore(f->v, id, NULL, 0, NULL, &e), VG_EXISTS);
	assert_file_is(path, (const unsigned char *)keep, sizeof(keep) - 1);
	assert_int_equal(lstat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	assert_int_equal(nlisted(f), 1);
	assert_int_equal(count_prefix(f->files, ".vigil-restore-"), 0);

	/* with force it is replaced */
	restore_ok(f, id, NULL, 1);
	assert_file_is(path, data, CHUNK + 1);
	assert_int_equal(nlisted(f), 0);
	assert_int_equal(count_prefix(f->files, ".vigil-restore-"), 0);
	free(data);
}

/* A folder on the way that is a symbolic link is not followed, nothing lands behind it. */
static void
test_restore_refuses_symlinked_folder(void **state)
{
	struct fx *f = *state;
	char real[256], link[256], dest[320], dpath[256], dfile[320];
	struct vg_error e;
	int64_t id;

	vopen(f, 3600);
	fpath(f, "real", real, sizeof(real));
	fpath(f, "link", link, sizeof(link));
	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, link), 0);
	id = add_new(f, "s.bin", 100, 5, NULL);

	/* an explicit destination through the link */
	snprintf(dest, sizeof(dest), "%s/s.bin", link);
	vg_error_init(&e);
	assert_int_not_equal(quarantine_restore(f->v, id, dest, 0, NULL, &e), VG_OK);
	assert_int_equal(count_entries(real), 0);
	vg_error_init(&e);
	assert_int_not_equal(quarantine_restore(f->v, id, dest, 1, NULL, &e), VG_OK);
	assert_msg_has(&e, "symbolic link");
	assert_int_equal(count_entries(real), 0);
	assert_int_equal(nlisted(f), 1);

	/* the original folder swapped for a link after the file was quarantined */
	fpath(f, "d", dpath, sizeof(dpath));
	assert_int_equal(mkdir(dpath, 0755), 0);
	snprintf(dfile, sizeof(dfile), "%s/inner.bin", dpath);
	assert_int_equal(vt_write_file(dpath, "inner.bin", "abc", 3), 0);
	id = add_ok(f, dfile);
	assert_int_equal(rmdir(dpath), 0);
	assert_int_equal(symlink(real, dpath), 0);
	vg_error_init(&e);
	assert_int_not_equal(quarantine_restore(f->v, id, NULL, 1, NULL, &e), VG_OK);
	assert_int_equal(count_entries(real), 0);
	assert_int_equal(nlisted(f), 2);
}

/* A symbolic link at the destination name is an existing destination, never written through. */
static void
test_restore_symlink_at_destination_name(void **state)
{
	struct fx *f = *state;
	unsigned char *data = NULL;
	char path[256], target[256], buf[16];
	struct vg_error e;
	struct stat sb;
	int64_t id;

	vopen(f, 3600);
	id = add_new(f, "n.bin", 4096, 11, &data);
	fpath(f, "n.bin", path, sizeof(path));
	fpath(f, "target", target, sizeof(target));
	assert_int_equal(vt_write_file(f->files, "target", "T", 1), 0);
	assert_int_equal(symlink(target, path), 0);

	vg_error_init(&e);
	assert_int_equal(quarantine_restore(f->v, id, NULL, 0, NULL, &e), VG_EXISTS);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_file_is(target, (const unsigned char *)"T", 1);

	/* a dangling link, too */
	assert_int_equal(unlink(target), 0);
	vg_error_init(&e);
	assert_int_equal(quarantine_restore(f->v, id, NULL, 0, NULL, &e), VG_EXISTS);
	assert_gone(target);
	assert_int_equal(readlink(path, buf, sizeof(buf)) > 0, 1);
	assert_int_equal(nlisted(f), 1);

	/* with force the link itself is replaced, not its target */
	restore_ok(f, id, NULL, 1);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_file_is(path, data, 4096);
	assert_gone(target);
	free(data);
}

/* ---- the key ---- */

static void
test_key_created_private_and_reused(void **state)
{
	struct fx *f = *state;
	unsigned char *k1, *k2;
	size_t l1 = 0, l2 = 0;
	struct stat sb;
	mode_t old;
	int64_t id;

	old = umask(0); /* the key's mode must not depend on the umask */
	vopen(f, 3600);
	umask(old);
	assert_int_equal(lstat(f->key, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_size, 32);
	k1 = slurp(f->key, &l1);
	assert_non_null(k1);
	id = add_new(f, "k.bin", 10, 1, NULL);

	/* a second open with the same key works and can decrypt */
	vopen(f, 3600);
	k2 = slurp(f->key, &l2);
	assert_non_null(k2);
	assert_int_equal(l2, 32);
	assert_memory_equal(k1, k2, 32);
	restore_ok(f, id, NULL, 0);
	free(k1);
	free(k2);
}

static void
test_key_other_key_refused(void **state)
{
	struct fx *f = *state;
	unsigned char other[32];
	char okey[256];
	struct vg_error e;
	int64_t id;

	vopen(f, 3600);
	id = add_new(f, "o.bin", 1000, 2, NULL);
	quarantine_close(f->v);
	f->v = NULL;

	fill(other, sizeof(other), 99);
	assert_int_equal(vt_write_file(f->base, "other.key", other, sizeof(other)), 0);
	snprintf(okey, sizeof(okey), "%s/other.key", f->base);
	assert_int_equal(chmod(okey, 0600), 0);
	assert_int_equal(vopen_rc(f, okey, &e), VG_CRYPTO);
	assert_msg_has(&e, "does not match");
	assert_null(f->v);

	/* the same with other bytes in the default key file */
	{
		size_t klen = 0;
		unsigned char *key = slurp(f->key, &klen);

		assert_non_null(key);
		assert_int_equal(vt_write_file(f->state, "quarantine.key", other, sizeof(other)), 0);
		assert_int_equal(vopen_rc(f, NULL, &e), VG_CRYPTO);
		assert_msg_has(&e, "does not match");
		assert_int_equal(vt_write_file(f->state, "quarantine.key", key, klen), 0);
		free(key);
	}

	/* the right key still works: nothing was changed by the refusal */
	vopen(f, 3600);
	restore_ok(f, id, NULL, 0);
}

static void
test_key_or_state_folder_readable_by_others_refused(void **state)
{
	struct fx *f = *state;
	struct vg_error e;

	vopen(f, 3600);
	quarantine_close(f->v);
	f->v = NULL;

	assert_int_equal(chmod(f->key, 0644), 0);
	assert_int_equal(vopen_rc(f, NULL, &e), VG_UNSAFE);
	assert_msg_has(&e, "quarantine.key");
	assert_int_equal(chmod(f->key, 0600), 0);
	assert_int_equal(vopen_rc(f, NULL, &e), VG_OK);

	assert_int_equal(chmod(f->state, 0755), 0);
	assert_int_equal(vopen_rc(f, NULL, &e), VG_UNSAFE);
	assert_msg_has(&e, f->state);
	assert_int_equal(chmod(f->state, 0700), 0);

	/* a key that belongs to someone else */
	assert_int_equal(chown(f->key, 1234, 1234), 0);
	assert_int_equal(vopen_rc(f, NULL, &e), VG_UNSAFE);
	assert_int_equal(chown(f->key, 0, 0), 0);
	assert_int_equal(vopen_rc(f, NULL, &e), VG_OK);
}

static void
test_key_wrong_length_refused(void **state)
{
	struct fx *f = *state;
	unsigned char k[33];
	char given[256];
	struct vg_error e;

	/* a new vault given a key file of the wrong length */
	fill(k, sizeof(k), 5);
	snprintf(given, sizeof(given), "%s/given.key", f->base);
	assert_int_equal(vt_write_file(f->base, "given.key", k, 31), 0);
	assert_int_equal(chmod(given, 0600), 0);
	assert_int_not_equal(vopen_rc(f, given, &e), VG_OK);
	assert_msg_has(&e, "32 bytes");

	/* the default key, shortened or lengthened */
	vopen(f, 3600);
	quarantine_close(f->v);
	f->v = NULL;
	assert_int_equal(vt_write_file(f->state, "quarantine.key", k, 31), 0);
	assert_int_not_equal(vopen_rc(f, NULL, &e), VG_OK);
	assert_msg_has(&e, "32 bytes");
	assert_int_equal(vt_write_file(f->state, "quarantine.key", k, 33), 0);
	assert_int_not_equal(vopen_rc(f, NULL, &e), VG_OK);
	assert_msg_has(&e, "32 bytes");
	assert_int_equal(vt_write_file(f->state, "quarantine.key", k, 0), 0);
	assert_int_not_equal(vopen_rc(f, NULL, &e), VG_OK);
}

static void
test_key_missing_after_items_exist(void **state)
{
	struct fx *f = *state;
	struct vg_error e;

	vopen(f, 3600);
	add_new(f, "m.bin", 100, 4, NULL);
	quarantine_close(f->v);
	f->v = NULL;
	assert_int_equal(unlink(f->key), 0);

	assert_int_equal(vopen_rc(f, NULL, &e), VG_NOENT);
	assert_msg_has(&e, "missing");
	assert_msg_has(&e, "quarantine.key");
	/* no new key was made in its place: that would orphan the items for good */
	assert_gone(f->key);
	assert_int_equal(rows_all(f), 2);
}

/* ---- integrity ---- */

/* Restore of id must fail VG_CRYPTO naming it; nothing written, nothing lost. */
static void
expect_tampered(struct fx *f, int64_t id, const char *name)
{
	char path[256], other[256], want[64], *where = NULL;
	struct vg_error e;
	int i;

	fpath(f, name, path, sizeof(path));
	fpath(f, "elsewhere.bin", other, sizeof(other));
	snprintf(want, sizeof(want), "item %lld ", (long long)id);
	for (i = 0; i < 2; i++) {
		const char *dest = i == 0 ? NULL : other;

		vg_error_init(&e);
		assert_int_equal(quarantine_restore(f->v, id, dest, i, &where, &e), VG_CRYPTO);
		assert_null(where);
		assert_msg_has(&e, want);
		assert_gone(dest ? dest : path);
		assert_int_equal(count_prefix(f->files, ".vigil-restore-"), 0);
		/* the item stays in the vault */
		assert_int_equal(nlisted(f), 1);
	}
}

static int64_t
tamper_setup(struct fx *f, const char *name)
{
	vopen(f, 3600);
	return add_new(f, name, 3 * CHUNK + 7, 21, NULL);
}

static void
test_tamper_flipped_byte(void **state)
{
	struct fx *f = *state;
	int64_t id = tamper_setup(f, "t.bin");

	chunk_flip(f, id, 1, 12345);
	expect_tampered(f, id, "t.bin");
}

static void
test_tamper_flipped_tag_of_last_chunk(void **state)
{
	struct fx *f = *state;
	int64_t id = tamper_setup(f, "t.bin");

	chunk_flip(f, id, 3, 7 + 15); /* the last byte of its 16-byte tag */
	expect_tampered(f, id, "t.bin");
}

/* A one-chunk item keeps its chunk in vigil.db: tampering there is caught the same way. */
static void
test_tamper_small_item_in_store(void **state)
{
	struct fx *f = *state;
	int64_t id;

	vopen(f, 3600);
	id = add_new(f, "s.bin", 1000, 22, NULL);
	assert_int_equal(db_int(f, "SELECT chunk_file FROM quarantine WHERE id = %lld",
				(long long)id), 0);
	chunk_flip(f, id, 0, 500);
	expect_tampered(f, id, "s.bin");
}

static void
test_tamper_flipped_nonce(void **state)
{
	struct fx *f = *state;
	int64_t id = tamper_setup(f, "t.bin");

	db_exec(f, "UPDATE vault.quarantine_chunks SET nonce = zeroblob(12) WHERE item = %lld AND idx = 0",
		(long long)id);
	expect_tampered(f, id, "t.bin");
}

static void
test_tamper_swapped_chunks(void **state)
{
	struct fx *f = *state;
	int64_t id = tamper_setup(f, "t.bin");

	db_exec(f, "UPDATE vault.quarantine_chunks SET idx = -1 WHERE item = %lld AND idx = 0;"
		   "UPDATE vault.quarantine_chunks SET idx = 0 WHERE item = %lld AND idx = 1;"
		   "UPDATE vault.quarantine_chunks SET idx = 1 WHERE item = %lld AND idx = -1;",
		(long long)id, (long long)id, (long long)id);
	expect_tampered(f, id, "t.bin");

	/* also when the row is rewritten to match the reordered content: the index is bound */
	{
		unsigned char *data = make_data(3 * CHUNK + 7, 21), *sw = malloc(3 * CHUNK + 7);
		char hex[65];

		assert_non_null(sw);
		memcpy(sw, data + CHUNK, CHUNK);
		memcpy(sw + CHUNK, data, CHUNK);
		memcpy(sw + 2 * CHUNK, data + 2 * CHUNK, CHUNK + 7);
		sha_hex(sw, 3 * CHUNK + 7, hex);
		free(sw);
		free(data);
		db_exec(f, "UPDATE quarantine SET sha256 = '%s' WHERE id = %lld", hex, (long long)id);
		expect_tampered(f, id, "t.bin");
	}
}

static void
test_tamper_deleted_chunk(void **state)
{
	struct fx *f = *state;
	int64_t id = tamper_setup(f, "t.bin");

	db_exec(f, "DELETE FROM vault.quarantine_chunks WHERE item = %lld AND idx = 2", (long long)id);
	expect_tampered(f, id, "t.bin");
}

static void
test_tamper_truncated_item(void **state)
{
	struct fx *f = *state;
	int64_t id = tamper_setup(f, "t.bin");

	/* drop the last chunk and make the row agree: the chunk count is authenticated */
	db_exec(f, "DELETE FROM vault.quarantine_chunks WHERE item = %lld AND idx = 3;"
		   "UPDATE quarantine SET chunks = 3, size = %zu WHERE id = %lld",
		(long long)id, 3 * CHUNK, (long long)id);
	expect_tampered(f, id, "t.bin");

	/* also with the SHA-256 of the shortened content: the chunk count is bound */
	{
		unsigned char *data = make_data(3 * CHUNK + 7, 21);
		char hex[65];

		sha_hex(data, 3 * CHUNK, hex);
		free(data);
		db_exec(f, "UPDATE quarantine SET sha256 = '%s' WHERE id = %lld", hex, (long long)id);
		expect_tampered(f, id, "t.bin");
	}
}

static void
test_tamper_chunk_from_another_item(void **state)
{
	struct fx *f = *state;
	int64_t id = tamper_setup(f, "t.bin");
	int64_t id2 = add_new(f, "u.bin", 3 * CHUNK + 7, 21, NULL); /* the same bytes */

	db_exec(f, "DELETE FROM vault.quarantine_chunks WHERE item = %lld AND idx = 0;"
		   "UPDATE vault.quarantine_chunks SET item = %lld WHERE item = %lld AND idx = 0",
		(long long)id, (long long)id, (long long)id2);
	db_exec(f, "DELETE FROM quarantine WHERE id = %lld;"
		   "DELETE FROM vault.quarantine_chunks WHERE item = %lld",
		(long long)id2, (long long)id2);
	expect_tampered(f, id, "t.bin");
}

static void
test_tamper_recorded_size(void **state)
{
	struct fx *f = *state;
	int64_t id = tamper_setup(f, "t.bin");

	db_exec(f, "UPDATE quarantine SET size = size - 1 WHERE id = %lld", (long long)id);
	expect_tampered(f, id, "t.bin");
}

static void
test_tamper_recorded_sha256(void **state)
{
	struct fx *f = *state;
	int64_t id = tamper_setup(f, "t.bin");

	db_exec(f, "UPDATE quarantine SET sha256 = '%064d' WHERE id = %lld", 0, (long long)id);
	expect_tampered(f, id, "t.bin");
}

static void
test_tamper_chunk_layout(void **state)
{
	struct fx *f = *state;
	int64_t id = tamper_setup(f, "t.bin");

	db_exec(f, "UPDATE quarantine SET chunk_size = 4096 WHERE id = %lld", (long long)id);
	expect_tampered(f, id, "t.bin");
}

/* A tampered item cannot be exported either, and no zip (or its temporary) is left. */
static void
test_tamper_export_refused(void **state)
{
	struct fx *f = *state;
	int64_t id = tamper_setup(f, "t.bin");
	char out[256];
	struct vg_error e;

	chunk_flip(f, id, 0, 0);
	snprintf(out, sizeof(out), "%s/sample.zip", f->base);
	vg_error_init(&e);
	assert_int_equal(quarantine_export(f->v, id, out, NULL, &e), VG_CRYPTO);
	assert_gone(out);
	assert_int_equal(count_prefix(f->base, "sample.zip"), 0);
}

/* A failed restore must not leave its temporary file open. */
static void
test_failed_restore_closes_its_file(void **state)
{
	struct fx *f = *state;
	int64_t id = tamper_setup(f, "t.bin");
	struct vg_error e;
	int before, i;

	chunk_flip(f, id, 2, 1);
	before = count_fds();
	for (i = 0; i < 3; i++) {
		vg_error_init(&e);
		assert_int_equal(quarantine_restore(f->v, id, NULL, 0, NULL, &e), VG_CRYPTO);
	}
	if (count_fds() != before)
		fail_msg("%d file descriptors leaked by 3 failed restores", count_fds() - before);
}

/* ---- crash states ---- */

static void
test_recover_rolls_back_pending_with_original_present(void **state)
{
	struct fx *f = *state;
	unsigned char *data = NULL;
	char path[256], hard[256];
	struct stat before, after;
	int fin = -1, rb = -1;
	int64_t id;

	vopen(f, 3600);
	quarantine_recovered(f->v, &fin, &rb);
	assert_int_equal(fin, 0);
	assert_int_equal(rb, 0);

	/* F and a hard link L: the add unlinks F, L keeps the inode */
	data = make_data(CHUNK + 17, 31);
	fpath(f, "F.bin", path, sizeof(path));
	fpath(f, "L.bin", hard, sizeof(hard));
	assert_int_equal(vt_write_file(f->files, "F.bin", data, CHUNK + 17), 0);
	assert_int_equal(link(path, hard), 0);
	assert_int_equal(lstat(path, &before), 0);
	id = add_ok(f, path);
	assert_gone(path);

	/* the crash state: the row still pending, the original (same dev/ino) still in place */
	db_exec(f, "UPDATE quarantine SET state = 'pending' WHERE id = %lld", (long long)id);
	assert_int_equal(link(hard, path), 0);
	assert_int_equal(unlink(hard), 0);

	vopen(f, 3600);
	quarantine_recovered(f->v, &fin, &rb);
	assert_int_equal(fin, 0);
	assert_int_equal(rb, 1);
	assert_int_equal(rows_of(f, id), 0);
	assert_int_equal(nlisted(f), 0);
	assert_int_equal(lstat(path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_file_is(path, data, CHUNK + 17);

	/* and once done, a further open has nothing to do */
	vopen(f, 3600);
	quarantine_recovered(f->v, &fin, &rb);
	assert_int_equal(fin + rb, 0);
	free(data);
}

static void
test_recover_finishes_pending_with_original_gone(void **state)
{
	struct fx *f = *state;
	unsigned char *data = NULL;
	char path[256];
	struct vg_error e;
	int fin = -1, rb = -1;
	int64_t id;
	json_t *it;

	vopen(f, 3600);
	id = add_new(f, "P.bin", 2 * CHUNK + 1, 41, &data);
	fpath(f, "P.bin", path, sizeof(path));
	db_exec(f, "UPDATE quarantine SET state = 'pending' WHERE id = %lld", (long long)id);
	/* a pending item is not listed and cannot be restored */
	assert_int_equal(nlisted(f), 0);
	vg_error_init(&e);
	assert_int_equal(quarantine_restore(f->v, id, NULL, 0, NULL, &e), VG_INVAL);
	assert_gone(path);

	vopen(f, 3600);
	quarantine_recovered(f->v, &fin, &rb);
	assert_int_equal(fin, 1);
	assert_int_equal(rb, 0);
	it = listed(f, id);
	assert_non_null(it);
	assert_string_equal(vt_jstr(it, "state"), "quarantined");
	json_decref(it);
	restore_ok(f, id, NULL, 0);
	assert_file_is(path, data, 2 * CHUNK + 1);
	free(data);
}

/*
 * The crash state of the test above, but meanwhile a different file was created at the
 * path and the file system gave it the freed inode number (ext4 does, right away). It is
 * not the file that was read (other size, other content): the vault copy is the only copy
 * of the original and must be kept.
 */
static void
test_recover_keeps_item_when_inode_number_reused(void **state)
{
	struct fx *f = *state;
	unsigned char *data = NULL;
	char path[256], spare[64], other[256];
	static const char newer[] = "a different, newer file";
	struct stat sb;
	int fin = -1, rb = -1, i;
	int64_t id;
	long long ino;

	vopen(f, 3600);
	id = add_new(f, "R.bin", 3000, 51, &data);
	fpath(f, "R.bin", path, sizeof(path));
	ino = db_int(f, "SELECT ino FROM quarantine WHERE id = %lld", (long long)id);
	db_exec(f, "UPDATE quarantine SET state = 'pending' WHERE id = %lld", (long long)id);
	/* a new file at the path; keep making files until one has the old inode number */
	for (i = 0; i < 64; i++) {
		assert_int_equal(vt_write_file(f->files, "R.bin", newer, sizeof(newer) - 1), 0);
		assert_int_equal(lstat(path, &sb), 0);
		if ((long long)sb.st_ino == ino)
			break;
		snprintf(spare, sizeof(spare), "spare-%d", i);
		fpath(f, spare, other, sizeof(other));
		assert_int_equal(rename(path, other), 0);
	}
	if ((long long)sb.st_ino != ino) {
		free(data);
		skip(); /* this file system did not reuse the inode number */
	}

	vopen(f, 3600);
	quarantine_recovered(f->v, &fin, &rb);
	assert_file_is(path, (const unsigned char *)newer, sizeof(newer) - 1);
	if (rows_of(f, id) == 0) {
		free(data);
		fail_msg("the vault copy of '%s' was rolled back because a different file (%zu bytes, "
			 "not %d) reused its inode number: the original is lost (finished %d, "
			 "rolled back %d)", path, sizeof(newer) - 1, 3000, fin, rb);
	}
	fpath(f, "R-restored.bin", other, sizeof(other));
	restore_ok(f, id, other, 0);
	assert_file_is(other, data, 3000);
	free(data);
}

/*
 * The last step of the move failing after the original was unlinked (staged with a trigger
 * that makes the final state change fail, as a full disk or an I/O error would): the item
 * must stay pending so that the next open finishes it, never be dropped.
 */
static void
test_add_failing_after_unlink_keeps_the_vault_copy(void **state)
{
	struct fx *f = *state;
	unsigned char *data = make_data(CHUNK + 9, 61);
	char path[256], other[256];
	struct vg_error e;
	struct stat sb;
	int64_t id = 0;
	int fin = -1, rb = -1;
	enum vg_err rc;

	vopen(f, 3600);
	fpath(f, "Z.bin", path, sizeof(path));
	assert_int_equal(vt_write_file(f->files, "Z.bin", data, CHUNK + 9), 0);
	db_exec(f, "CREATE TRIGGER staged_failure BEFORE UPDATE OF state ON quarantine "
		   "WHEN NEW.state = 'quarantined' BEGIN SELECT RAISE(ABORT, 'staged failure'); END");
	vg_error_init(&e);
	rc = quarantine_add(f->v, path, THREAT, 0, &id, NULL, &e);
	db_exec(f, "DROP TRIGGER staged_failure");
	assert_int_not_equal(rc, VG_OK);
	if (lstat(path, &sb) == 0) {
		/* the original stayed: fine, as long as it is intact */
		assert_file_is(path, data, CHUNK + 9);
		free(data);
		return;
	}
	if (rows_all(f) == 0) {
		free(data);
		fail_msg("'%s' was unlinked and its vault item dropped: the file is lost (%s)", path,
			 vg_error_msg(&e));
	}
	vopen(f, 3600);
	quarantine_recovered(f->v, &fin, &rb);
	assert_int_equal(fin, 1);
	fpath(f, "Z-restored.bin", other, sizeof(other));
	restore_ok(f, id, other, 0);
	assert_file_is(other, data, CHUNK + 9);
	free(data);
}

/* ---- the object the scan read, and no other (the security issue's attacks) ---- */

/* files/U/dir/x with content, and its identity as a scan would record it. */
static void
scanned_file(struct fx *f, const char *content, char *path, size_t size, struct vg_ident *id)
{
	char dir[256];
	struct stat sb;

	fpath(f, "U", dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0755), 0);
	strcat(dir, "/dir");
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(vt_write_file(dir, "x", content, strlen(content)), 0);
	snprintf(path, size, "%s/x", dir);
	assert_int_equal(lstat(path, &sb), 0);
	vg_ident_from_stat(id, &sb);
}

/*
 * The attack: files/U/dir renamed to U/away and a link to R (root-only, holding x "root
 * secret") put in its place. away and r receive those two folders' paths.
 */
static void
swap_for_link(struct fx *f, char away[256], char r[256])
{
	char dir[256];

	fpath(f, "U/dir", dir, 256);
	fpath(f, "U/away", away, 256);
	fpath(f, "R", r, 256);
	assert_int_equal(mkdir(r, 0700), 0);
	assert_int_equal(vt_write_file(r, "x", "root secret", 11), 0);
	assert_int_equal(rename(dir, away), 0);
	assert_int_equal(symlink(r, dir), 0);
}

static void
test_scanned_moves_what_was_read(void **state)
{
	struct fx *f = *state;
	struct quarantine_done done;
	struct vg_ident id;
	struct vg_error e;
	char path[256], two[256];
	struct stat sb;

	vopen(f, 3600);
	scanned_file(f, "malware bytes", path, sizeof(path), &id);
	snprintf(two, sizeof(two), "%s/two", f->files);
	assert_int_equal(link(path, two), 0);
	assert_int_equal(lstat(path, &sb), 0);
	vg_ident_from_stat(&id, &sb); /* the link moved its ctime: as scanned after it */
	vg_error_init(&e);
	assert_int_equal(quarantine_add_scanned(f->v, path, strlen(f->files), &id, THREAT, 0,
						&done, &e), VG_OK);
	assert_int_not_equal(lstat(path, &sb), 0);
	assert_int_equal(done.links_left, 1);
	restore_ok(f, done.id, NULL, 0);
	assert_file_is(path, (const unsigned char *)"malware bytes", 13);
}

/* The folder on the way swapped for a link to a root-only folder after the scan. */
static void
test_scanned_refuses_swapped_folder(void **state)
{
	struct fx *f = *state;
	struct quarantine_done done;
	struct vg_ident id;
	struct vg_error e;
	char path[256], away[256], r[256];

	vopen(f, 3600);
	scanned_file(f, "malware bytes", path, sizeof(path), &id);
	swap_for_link(f, away, r);
	vg_error_init(&e);
	assert_int_equal(quarantine_add_scanned(f->v, path, strlen(f->files), &id, THREAT, 0,
						&done, &e), VG_CHANGED);
	assert_msg_has(&e, "changed since it was scanned: not quarantined");
	strcat(r, "/x");
	strcat(away, "/x");
	assert_file_is(r, (const unsigned char *)"root secret", 11);
	assert_file_is(away, (const unsigned char *)"malware bytes", 13);
	assert_int_equal(rows_all(f), 0);
}

/* Hard link kept aside, a clean file renamed over the detected name. */
static void
test_scanned_refuses_other_file_at_name(void **state)
{
	struct fx *f = *state;
	struct quarantine_done done;
	struct vg_ident id;
	struct vg_error e;
	char path[256], keep[256], dir[256];

	vopen(f, 3600);
	scanned_file(f, "malware bytes", path, sizeof(path), &id);
	fpath(f, "U/dir", dir, sizeof(dir));
	fpath(f, "U/dir/.keep", keep, sizeof(keep));
	assert_int_equal(link(path, keep), 0);
	assert_int_equal(vt_write_file(dir, "y", "clean", 5), 0);
	fpath(f, "U/dir/y", dir, sizeof(dir));
	assert_int_equal(rename(dir, path), 0);
	vg_error_init(&e);
	assert_int_equal(quarantine_add_scanned(f->v, path, strlen(f->files), &id, THREAT, 0,
						&done, &e), VG_CHANGED);
	assert_file_is(path, (const unsigned char *)"clean", 5);
	assert_file_is(keep, (const unsigned char *)"malware bytes", 13);
	assert_int_equal(rows_all(f), 0);
}

/* Rewritten in place after the scan (same inode): not the bytes that were judged. */
static void
test_scanned_refuses_modified(void **state)
{
	struct fx *f = *state;
	struct quarantine_done done;
	struct vg_ident id;
	struct vg_error e;
	char path[256];
	int fd;

	vopen(f, 3600);
	scanned_file(f, "malware bytes", path, sizeof(path), &id);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "!", 1), 1);
	close(fd);
	vg_error_init(&e);
	assert_int_equal(quarantine_add_scanned(f->v, path, strlen(f->files), &id, THREAT, 0,
						&done, &e), VG_CHANGED);
	assert_int_equal(rows_all(f), 0);
}

/* Real-time protection: from the descriptor, wherever the file has been moved since. */
static void
test_fd_follows_the_file(void **state)
{
	struct fx *f = *state;
	struct quarantine_done done;
	struct vg_ident id;
	struct vg_error e;
	char path[256], away[256], r[256];
	struct stat sb;
	int fd;

	vopen(f, 3600);
	scanned_file(f, "malware bytes", path, sizeof(path), &id);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 5, SEEK_SET), 5); /* the scan left it anywhere */
	swap_for_link(f, away, r);
	vg_error_init(&e);
	assert_int_equal(quarantine_add_fd(f->v, fd, &id, THREAT, 0, &done, &e), VG_OK);
	close(fd);
	strcat(r, "/x");
	strcat(away, "/x");
	assert_file_is(r, (const unsigned char *)"root secret", 11);
	assert_int_not_equal(lstat(away, &sb), 0);
	restore_ok(f, done.id, NULL, 0);
	assert_file_is(away, (const unsigned char *)"malware bytes", 13);
}

/* A path longer than PATH_MAX: found, moved and restored all the same. */
static void
test_fd_long_path(void **state)
{
	struct fx *f = *state;
	struct quarantine_done done;
	struct vg_error e;
	char name[201], *full;
	struct stat sb;
	int dfd, fd, i;

	vopen(f, 3600);
	memset(name, 'd', 200);
	name[200] = '\0';
	dfd = open(f->files, O_RDONLY | O_DIRECTORY);
	for (i = 0; i < 24; i++) {
		int next;

		assert_int_equal(mkdirat(dfd, name, 0755), 0);
		next = openat(dfd, name, O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(dfd);
		dfd = next;
	}
	fd = openat(dfd, "x", O_RDWR | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "long", 4), 4);
	full = vg_fd_path(fd);
	assert_non_null(full);
	assert_true(strlen(full) > 4096);
	vg_error_init(&e);
	assert_int_equal(quarantine_add_fd(f->v, fd, NULL, THREAT, 0, &done, &e), VG_OK);
	close(fd);
	assert_int_not_equal(fstatat(dfd, "x", &sb, AT_SYMLINK_NOFOLLOW), 0);
	restore_ok(f, done.id, NULL, 0);
	assert_int_equal(fstatat(dfd, "x", &sb, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(sb.st_size, 4);
	close(dfd);
	free(full);
}

/* By hand: a link in a folder others can write, or owned by another user, is not followed. */
static void
test_add_refuses_untrusted_link(void **state)
{
	struct fx *f = *state;
	char open_dir[256], link[300], r[256], via[320];
	struct vg_error e;
	int64_t id = 0;

	vopen(f, 3600);
	fpath(f, "R", r, sizeof(r));
	fpath(f, "open", open_dir, sizeof(open_dir));
	assert_int_equal(mkdir(r, 0700), 0);
	assert_int_equal(vt_write_file(r, "x", "root secret", 11), 0);
	assert_int_equal(mkdir(open_dir, 0755), 0);
	assert_int_equal(chmod(open_dir, 01777), 0);
	snprintf(link, sizeof(link), "%s/dir", open_dir);
	assert_int_equal(symlink(r, link), 0);
	snprintf(via, sizeof(via), "%s/x", link);
	vg_error_init(&e);
	assert_int_equal(quarantine_add(f->v, via, THREAT, 0, &id, NULL, &e), VG_UNSAFE);
	assert_msg_has(&e, "not followed");
	/* the same link in a folder only root writes, but owned by another user */
	assert_int_equal(chmod(open_dir, 0755), 0);
	assert_int_equal(lchown(link, 65534, 65534), 0);
	vg_error_init(&e);
	assert_int_equal(quarantine_add(f->v, via, THREAT, 0, &id, NULL, &e), VG_UNSAFE);
	strcat(r, "/x");
	assert_file_is(r, (const unsigned char *)"root secret", 11);
	assert_int_equal(rows_all(f), 0);
}

/* ---- what quarantine_add refuses ---- */

static void
test_add_refuses_fifo_symlink_folder(void **state)
{
	struct fx *f = *state;
	char fifo[256], link[256], dir[256], target[256], missing[256];
	struct vg_error e;
	struct stat sb;
	int64_t id = 0;

	vopen(f, 3600);
	fpath(f, "fifo", fifo, sizeof(fifo));
	fpath(f, "link", link, sizeof(link));
	fpath(f, "dir", dir, sizeof(dir));
	fpath(f, "target", target, sizeof(target));
	fpath(f, "missing", missing, sizeof(missing));
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(vt_write_file(f->files, "target", "payload", 7), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(mkdir(dir, 0755), 0);

	vg_error_init(&e);
	assert_int_equal(quarantine_add(f->v, fifo, THREAT, 0, &id, NULL, &e), VG_INVAL);
	assert_int_equal(lstat(fifo, &sb), 0);
	assert_true(S_ISFIFO(sb.st_mode));

	vg_error_init(&e);
	assert_int_equal(quarantine_add(f->v, link, THREAT, 0, &id, NULL, &e), VG_INVAL);
	assert_msg_has(&e, "symbolic link");
	assert_int_equal(lstat(link, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_file_is(target, (const unsigned char *)"payload", 7);

	vg_error_init(&e);
	assert_int_equal(quarantine_add(f->v, dir, THREAT, 0, &id, NULL, &e), VG_INVAL);
	assert_int_equal(lstat(dir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));

	vg_error_init(&e);
	assert_int_equal(quarantine_add(f->v, missing, THREAT, 0, &id, NULL, &e), VG_NOENT);

	assert_int_equal(rows_all(f), 0);
}

/* The store, its write-ahead log and the key are vigil's own: quarantining them is refused. */
static void
test_add_refuses_vault_own_files(void **state)
{
	struct fx *f = *state;
	char db[256], via[256];
	unsigned char *key;
	size_t klen = 0;
	struct vg_error e;
	struct stat sb;
	int64_t id = 0;

	vopen(f, 3600);
	key = slurp(f->key, &klen);
	assert_non_null(key);
	snprintf(db, sizeof(db), "%s/vigil.db", f->state);

	vg_error_init(&e);
	assert_int_equal(quarantine_add(f->v, f->key, THREAT, 0, &id, NULL, &e), VG_INVAL);
	assert_file_is(f->key, key, klen);
	vg_error_init(&e);
	assert_int_equal(quarantine_add(f->v, db, THREAT, 0, &id, NULL, &e), VG_INVAL);
	assert_int_equal(lstat(db, &sb), 0);
	/* also when named through a symbolic link to the state folder */
	fpath(f, "state-link", via, sizeof(via));
	assert_int_equal(symlink(f->state, via), 0);
	strcat(via, "/quarantine.key");
	vg_error_init(&e);
	assert_int_equal(quarantine_add(f->v, via, THREAT, 0, &id, NULL, &e), VG_INVAL);
	assert_file_is(f->key, key, klen);
	free(key);
	assert_int_equal(rows_all(f), 0);

	/* and the vault still works */
	vopen(f, 3600);
	id = add_new(f, "after.bin", 10, 3, NULL);
	restore_ok(f, id, NULL, 0);
}

/* A file named through a symbolic link to its folder comes back to the real folder. */
static void
test_add_through_symlinked_folder_restores_to_real_folder(void **state)
{
	struct fx *f = *state;
	unsigned char *data = make_data(2000, 7);
	char real[256], link[256], via[300], back[300], *where = NULL;
	struct vg_error e;
	int64_t id;
	json_t *it;

	vopen(f, 3600);
	fpath(f, "realdir", real, sizeof(real));
	fpath(f, "linkdir", link, sizeof(link));
	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(vt_write_file(real, "x.bin", data, 2000), 0);
	snprintf(via, sizeof(via), "%s/x.bin", link);
	snprintf(back, sizeof(back), "%s/x.bin", real);
	id = add_ok(f, via);
	assert_gone(back);
	it = listed(f, id);
	assert_non_null(it);
	assert_string_equal(vt_jstr(it, "path"), back);
	json_decref(it);
	vg_error_init(&e);
	if (quarantine_restore(f->v, id, NULL, 0, &where, &e) != VG_OK)
		fail_msg("restore: %s", vg_error_msg(&e));
	assert_string_equal(where, back);
	free(where);
	assert_file_is(back, data, 2000);
	free(data);
}

/*
 * A file whose content is not the size fstat gave is the "changed while read" case, made
 * deterministic with kernel files: /proc files report size 0 and then have content (it
 * grew), many /sys files report 4096 and hold less (it shrank). Nothing may be kept.
 */
static void
test_add_refuses_file_that_changes_size_while_read(void **state)
{
	struct fx *f = *state;
	static const char *const shrinking[] = { "/sys/kernel/mm/transparent_hugepage/enabled",
						 "/sys/kernel/mm/transparent_hugepage/defrag",
						 "/sys/power/state", NULL };
	const char *sys = NULL;
	struct vg_error e;
	struct stat sb;
	int64_t id = 0;
	int i;

	vopen(f, 3600);
	assert_int_equal(stat("/proc/self/status", &sb), 0);
	assert_int_equal(sb.st_size, 0);
	vg_error_init(&e);
	assert_int_equal(quarantine_add(f->v, "/proc/self/status", THREAT, 0, &id, NULL, &e), VG_IO);
	assert_msg_has(&e, "left in place");
	assert_int_equal(rows_all(f), 0);

	for (i = 0; shrinking[i] && sys == NULL; i++) {
		size_t len = 0;
		unsigned char *p;

		if (stat(shrinking[i], &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0)
			continue;
		p = slurp(shrinking[i], &len);
		if (p && len > 0 && len < (size_t)sb.st_size)
			sys = shrinking[i];
		free(p);
	}
	if (sys == NULL)
		skip();
	vg_error_init(&e);
	assert_int_equal(quarantine_add(f->v, sys, THREAT, 0, &id, NULL, &e), VG_IO);
	assert_msg_has(&e, "changed while it was read");
	assert_int_equal(rows_all(f), 0);
	assert_int_equal(nlisted(f), 0);
}

/*
 * A file written to after quarantine_add has read it, before the move ends: the vault copy
 * would be stale, so the file must be left in place (VG_IO) and nothing kept. A thread waits
 * for the first read of the file (inotify IN_ACCESS) and then changes one byte in place;
 * the copy into the store, its commit and the read-back of 64 chunks leave it ample time.
 * Should the thread still come too late (the file already unlinked), the test is skipped.
 */
struct changer {
	int ino_fd;	/* inotify, watching the file for IN_ACCESS */
	int fd;		/* the file, opened for writing beforehand */
	int wrote;	/* 1: written while still linked; -1: it was already unlinked */
};

static void *
changer_main(void *arg)
{
	struct changer *c = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd pfd = { .fd = c->ino_fd, .events = POLLIN };
	struct stat sb;

	if (poll(&pfd, 1, 30000) == 1 && read(c->ino_fd, buf, sizeof(buf)) > 0 &&
	    pwrite(c->fd, "!", 1, 0) == 1 && fstat(c->fd, &sb) == 0)
		c->wrote = sb.st_nlink > 0 ? 1 : -1;
	return NULL;
}

static void
test_add_leaves_file_written_while_quarantined(void **state)
{
	struct fx *f = *state;
	const struct timespec old[2] = { { 1500000000, 0 }, { 1500000000, 0 } };
	const off_t size = 64 * (off_t)CHUNK;
	struct changer c = { .ino_fd = -1, .fd = -1, .wrote = 0 };
	char path[256];
	unsigned char head[8];
	struct vg_error e;
	struct stat sb;
	pthread_t tid;
	int64_t id = 0;
	enum vg_err rc;

	vopen(f, 3600);
	fpath(f, "busy.bin", path, sizeof(path));
	c.fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	assert_true(c.fd >= 0);
	assert_int_equal(pwrite(c.fd, "original", 8, 0), 8);
	assert_int_equal(ftruncate(c.fd, size), 0);
	assert_int_equal(futimens(c.fd, old), 0);
	c.ino_fd = inotify_init1(IN_CLOEXEC);
	assert_true(c.ino_fd >= 0);
	assert_true(inotify_add_watch(c.ino_fd, path, IN_ACCESS) >= 0);
	assert_int_equal(pthread_create(&tid, NULL, changer_main, &c), 0);

	vg_error_init(&e);
	rc = quarantine_add(f->v, path, THREAT, 0, &id, NULL, &e);
	assert_int_equal(pthread_join(tid, NULL), 0);
	close(c.ino_fd);
	close(c.fd);
	if (c.wrote == -1)
		skip(); /* the thread wrote only after the move had ended */
	if (c.wrote != 1)
		fail_msg("the file was never read or could not be changed (rc %d: %s)", rc,
			 vg_error_msg(&e));
	if (rc == VG_OK)
		fail_msg("'%s' was changed after it was read, and was moved into the vault anyway: "
			 "the change is lost", path);
	assert_int_equal(rc, VG_CHANGED);
	assert_msg_has(&e, "left in place");
	assert_int_equal(lstat(path, &sb), 0);
	assert_int_equal(sb.st_size, size);
	c.fd = open(path, O_RDONLY);
	assert_true(c.fd >= 0);
	assert_int_equal(pread(c.fd, head, sizeof(head), 0), 8);
	close(c.fd);
	assert_memory_equal(head, "!riginal", 8);
	assert_int_equal(rows_all(f), 0);
}

/* ---- export ---- */

static void
test_export_zip_extracts_byte_identical(void **state)
{
	struct fx *f = *state;
	unsigned char *data = NULL, *got;
	char out[256], cmd[1024], hex[65];
	size_t n = CHUNK + 4321, len = 0;
	json_t *meta;
	json_error_t je;
	struct vg_error e;
	int status = -1;
	int64_t id;

	vopen(f, 3600);
	id = add_new(f, "e.bin", n, 71, &data);
	sha_hex(data, n, hex);
	snprintf(out, sizeof(out), "%s/sample.zip", f->base);
	vg_error_init(&e);
	if (quarantine_export(f->v, id, out, NULL, &e) != VG_OK)
		fail_msg("export: %s", vg_error_msg(&e));
	assert_int_equal(count_prefix(f->base, "sample.zip"), 1); /* no temporary beside it */

	snprintf(cmd, sizeof(cmd), "bsdtar -xOf '%s' --passphrase infected '%s.bin' </dev/null",
		 out, hex);
	got = run_read(cmd, &len, &status);
	assert_int_equal(status, 0);
	assert_int_equal(len, n);
	assert_memory_equal(got, data, n);
	free(got);

	snprintf(cmd, sizeof(cmd), "bsdtar -xOf '%s' --passphrase infected metadata.json </dev/null",
		 out);
	got = run_read(cmd, &len, &status);
	assert_int_equal(status, 0);
	meta = json_loadb((const char *)got, len, 0, &je);
	free(got);
	if (meta == NULL)
		fail_msg("metadata.json: %s", je.text);
	assert_string_equal(vt_jstr(meta, "sha256"), hex);
	assert_int_equal(vt_jint(meta, "size"), n);
	assert_int_equal(vt_jint(meta, "id"), id);
	assert_string_equal(vt_jstr(meta, "threat"), THREAT);
	json_decref(meta);

	/* the sample stays quarantined */
	assert_int_equal(nlisted(f), 1);
	free(data);
}

static void
test_export_password_needed(void **state)
{
	struct fx *f = *state;
	unsigned char *data = NULL, *got;
	char out[256], out2[256], cmd[1024], hex[65];
	size_t n = 3000, len = 0;
	struct vg_error e;
	int status = 0;
	int64_t id;

	vopen(f, 3600);
	id = add_new(f, "w.bin", n, 81, &data);
	sha_hex(data, n, hex);
	snprintf(out, sizeof(out), "%s/a.zip", f->base);
	assert_int_equal(quarantine_export(f->v, id, out, NULL, NULL), VG_OK);

	/* wrong password, and none: nothing comes out */
	snprintf(cmd, sizeof(cmd),
		 "bsdtar -xOf '%s' --passphrase wrong '%s.bin' </dev/null 2>/dev/null", out, hex);
	got = run_read(cmd, &len, &status);
	assert_int_not_equal(status, 0);
	assert_false(len == n && memcmp(got, data, n) == 0);
	free(got);
	snprintf(cmd, sizeof(cmd), "bsdtar -xOf '%s' '%s.bin' </dev/null 2>/dev/null", out, hex);
	got = run_read(cmd, &len, &status);
	assert_int_not_equal(status, 0);
	assert_false(len == n && memcmp(got, data, n) == 0);
	free(got);

	/* a chosen password is used instead of "infected" */
	snprintf(out2, sizeof(out2), "%s/b.zip", f->base);
	assert_int_equal(quarantine_export(f->v, id, out2, "s3cr3t pass", NULL), VG_OK);
	snprintf(cmd, sizeof(cmd),
		 "bsdtar -xOf '%s' --passphrase infected '%s.bin' </dev/null 2>/dev/null", out2, hex);
	got = run_read(cmd, &len, &status);
	assert_int_not_equal(status, 0);
	free(got);
	snprintf(cmd, sizeof(cmd), "bsdtar -xOf '%s' --passphrase 's3cr3t pass' '%s.bin' </dev/null",
		 out2, hex);
	got = run_read(cmd, &len, &status);
	assert_int_equal(status, 0);
	assert_int_equal(len, n);
	assert_memory_equal(got, data, n);
	free(got);

	/* an existing out is refused and left as it was */
	vg_error_init(&e);
	assert_int_equal(vt_write_file(f->base, "taken.zip", "mine", 4), 0);
	snprintf(out, sizeof(out), "%s/taken.zip", f->base);
	assert_int_equal(quarantine_export(f->v, id, out, NULL, &e), VG_EXISTS);
	assert_file_is(out, (const unsigned char *)"mine", 4);
	assert_int_equal(count_prefix(f->base, "taken.zip"), 1);

	/* no such item */
	snprintf(out, sizeof(out), "%s/none.zip", f->base);
	vg_error_init(&e);
	assert_int_equal(quarantine_export(f->v, id + 100, out, NULL, &e), VG_NOTFOUND);
	assert_gone(out);
	free(data);
}

/* ---- remove, expire ---- */

static void
test_remove(void **state)
{
	struct fx *f = *state;
	char path[256];
	struct vg_error e;
	int64_t id, keep;

	vopen(f, 3600);
	id = add_new(f, "r.bin", CHUNK * 2, 91, NULL);
	keep = add_new(f, "k.bin", 10, 92, NULL);
	fpath(f, "r.bin", path, sizeof(path));
	assert_int_equal(quarantine_remove(f->v, id, NULL), VG_OK);
	assert_int_equal(rows_of(f, id), 0);
	vg_error_init(&e);
	assert_int_equal(quarantine_restore(f->v, id, NULL, 0, NULL, &e), VG_NOTFOUND);
	assert_gone(path);
	vg_error_init(&e);
	assert_int_equal(quarantine_remove(f->v, id, &e), VG_NOTFOUND);
	/* the other item is untouched */
	assert_int_equal(nlisted(f), 1);
	assert_int_equal(rows_of(f, keep), 2);
	restore_ok(f, keep, NULL, 0);
}

/* A removed item's ciphertext is overwritten in the store, not just unlinked from it. */
static void
test_remove_overwrites_ciphertext(void **state)
{
	struct fx *f = *state;
	unsigned char snippet[64], *raw;
	const char *suffix[] = { "vigil.db", "vigil.db-wal", "vault.db", "vault.db-journal" };
	char db[256];
	sqlite3 *h;
	sqlite3_stmt *s = NULL;
	struct vg_error e;
	size_t len = 0;
	int64_t id;
	int i;

	vopen(f, 3600);
	id = add_new(f, "wipe.bin", 2 * CHUNK, 93, NULL);
	h = db_open(f);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT data FROM vault.quarantine_chunks WHERE item = ?1 "
					       "AND idx = 1", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, id);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_true(sqlite3_column_bytes(s, 0) > 100000);
	memcpy(snippet, (const unsigned char *)sqlite3_column_blob(s, 0) + 100000, sizeof(snippet));
	sqlite3_finalize(s);
	sqlite3_close(h);

	assert_int_equal(quarantine_remove(f->v, id, NULL), VG_OK);
	/* close the store: the write-ahead log is checkpointed into the db and removed */
	quarantine_close(f->v);
	f->v = NULL;
	store_close(f->st);
	f->st = NULL;
	for (i = 0; i < 4; i++) {
		snprintf(db, sizeof(db), "%s/%s", f->state, suffix[i]);
		raw = slurp(db, &len);
		if (raw == NULL)
			continue;
		if (memmem(raw, len, snippet, sizeof(snippet)) != NULL) {
			free(raw);
			fail_msg("the ciphertext of removed item %lld is still in '%s'", (long long)id,
				 db);
		}
		free(raw);
	}
	vg_error_init(&e);
	if (store_open(f->state, &f->st, &e) != VG_OK)
		fail_msg("store_open: %s", vg_error_msg(&e));
}

static void
test_expire(void **state)
{
	struct fx *f = *state;
	int64_t old, fresh, removed = -1;

	vopen(f, 3600);
	old = add_new(f, "old.bin", CHUNK + 1, 101, NULL);
	fresh = add_new(f, "fresh.bin", 10, 102, NULL);

	assert_int_equal(quarantine_expire(f->v, 0, &removed, NULL), VG_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(quarantine_expire(f->v, 30, &removed, NULL), VG_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(nlisted(f), 2);

	db_exec(f, "UPDATE quarantine SET quarantined_at = '2001-02-03T04:05:06Z' WHERE id = %lld",
		(long long)old);
	assert_int_equal(quarantine_expire(f->v, 0, &removed, NULL), VG_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(nlisted(f), 2);
	assert_int_equal(quarantine_expire(f->v, 30, &removed, NULL), VG_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(rows_of(f, old), 0);
	assert_int_equal(rows_of(f, fresh), 2);
	assert_int_equal(nlisted(f), 1);
	assert_int_equal(quarantine_expire(f->v, 30, &removed, NULL), VG_OK);
	assert_int_equal(removed, 0);
}

/* ---- the allow list after a restore ---- */

static void
test_restore_allows_sha256_for_window(void **state)
{
	struct fx *f = *state;
	unsigned char *data = NULL;
	char hex[65], reason[64];
	int64_t id, t0, t1;
	json_t *l = NULL, *a;

	vopen(f, 7200);
	id = add_new(f, "al.bin", 777, 111, &data);
	sha_hex(data, 777, hex);
	assert_int_equal(store_allow_list_json(f->st, 0, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);

	t0 = (int64_t)time(NULL);
	restore_ok(f, id, NULL, 0);
	t1 = (int64_t)time(NULL);
	assert_int_equal(store_allow_list_json(f->st, 0, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 1);
	a = json_array_get(l, 0);
	assert_string_equal(vt_jstr(a, "kind"), "sha256");
	assert_string_equal(vt_jstr(a, "value"), hex);
	assert_in_range(vt_jint(a, "expires_at"), t0 + 7200, t1 + 7200);
	snprintf(reason, sizeof(reason), "item %lld", (long long)id);
	if (strstr(vt_jstr(a, "reason"), reason) == NULL)
		fail_msg("reason '%s' does not name the item", vt_jstr(a, "reason"));
	json_decref(l);
	free(data);
}

static void
test_restore_window_zero_allows_nothing(void **state)
{
	struct fx *f = *state;
	json_t *l = NULL;
	int64_t id;

	vopen(f, 0);
	id = add_new(f, "al0.bin", 777, 112, NULL);
	restore_ok(f, id, NULL, 0);
	assert_int_equal(store_allow_list_json(f->st, 0, &l, NULL), VG_OK);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
}

/* ---- memory ---- */

struct mem_result {
	int stage;		/* 0: all done; else where it stopped */
	int rc;
	long before_kb, after_kb;
	char msg[512];
};

/*
 * The measuring process: its own store in state_dir, the sparse file quarantined and
 * restored, the peak RSS before and after sent to wfd.
 */
static void __attribute__((noreturn))
mem_work(const char *state_dir, const char *file, const char *dest, int wfd)
{
	struct mem_result r = { 0 };
	struct rusage ru;
	struct store *st = NULL;
	struct vault *v = NULL;
	struct vg_error e;
	int64_t id = 0;

	vg_error_init(&e);
	r.stage = 1;
	r.rc = store_open(state_dir, &st, &e);
	if (r.rc == VG_OK) {
		r.stage = 2;
		r.rc = quarantine_open(st, state_dir, NULL, 3600, &v, &e);
	}
	if (r.rc == VG_OK) {
		getrusage(RUSAGE_SELF, &ru);
		r.before_kb = ru.ru_maxrss;
		r.stage = 3;
		r.rc = quarantine_add(v, file, THREAT, 0, &id, NULL, &e);
	}
	if (r.rc == VG_OK) {
		r.stage = 4;
		r.rc = quarantine_restore(v, id, dest, 0, NULL, &e);
	}
	if (r.rc == VG_OK) {
		getrusage(RUSAGE_SELF, &ru);
		r.after_kb = ru.ru_maxrss;
		r.stage = 0;
	}
	snprintf(r.msg, sizeof(r.msg), "%s", vg_error_msg(&e));
	quarantine_close(v);
	store_close(st);
	_exit(write(wfd, &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 2);
}

/*
 * "test_quarantine --memory-child STATE FILE DEST FD": the test below runs this binary
 * again so that the measurement starts from a small process. Linux carries the peak RSS
 * across fork (the parent's current size) and exec (the peak before it), so the work is done
 * in a child of this fresh process. ASan's quarantine of freed memory (256 MiB by default)
 * is turned off for it by the caller: it would count ASan's retention, not vigil's.
 */
static int
memory_child_main(int argc, char **argv)
{
	int status = -1;
	pid_t pid;

	if (argc != 6)
		return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0)
		mem_work(argv[2], argv[3], argv[4], atoi(argv[5]));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 2;
	return WEXITSTATUS(status);
}

static void
test_memory_bounded_on_large_file(void **state)
{
	static const struct { off_t at; const char *mark; } marks[] = {
		{ 0, "head" }, { 256 * (off_t)CHUNK + 5, "middle" }, { 512 * (off_t)CHUNK - 4, "tail" },
	};
	struct fx *f = *state;
	const off_t size = 512 * (off_t)CHUNK;
	char file[256], dest[256];
	struct mem_result r;
	unsigned char *buf;
	struct stat sb;
	int p[2], fd, status = -1;
	ssize_t n;
	size_t i;
	off_t off;
	pid_t pid;

	fpath(f, "big.bin", file, sizeof(file));
	fpath(f, "big-restored.bin", dest, sizeof(dest));
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		assert_int_equal(pwrite(fd, marks[i].mark, strlen(marks[i].mark), marks[i].at),
				 (ssize_t)strlen(marks[i].mark));
	assert_int_equal(close(fd), 0);

	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char state_dir[256], fdnum[16], asan[1024];
		const char *old = getenv("ASAN_OPTIONS");

		close(p[0]);
		snprintf(state_dir, sizeof(state_dir), "%s/memstate", f->base);
		snprintf(fdnum, sizeof(fdnum), "%d", p[1]);
		snprintf(asan, sizeof(asan), "%s%squarantine_size_mb=0", old ? old : "",
			 old && *old ? ":" : "");
		setenv("ASAN_OPTIONS", asan, 1);
		execl("/proc/self/exe", "test_quarantine", "--memory-child", state_dir, file, dest,
		      fdnum, (char *)NULL);
		_exit(3);
	}
	close(p[1]);
	memset(&r, 0, sizeof(r));
	n = read(p[0], &r, sizeof(r));
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (n != (ssize_t)sizeof(r) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the measuring process failed (read %zd, status 0x%x)", n, status);
	if (r.stage != 0)
		fail_msg("stage %d failed (%d): %s", r.stage, r.rc, r.msg);
	print_message("peak RSS %ld KiB before, %ld KiB after a 512 MiB round trip\n", r.before_kb,
		      r.after_kb);
	if (r.after_kb - r.before_kb >= 80 * 1024)
		fail_msg("peak RSS grew by %ld KiB (from %ld to %ld) for a 512 MiB file",
			 r.after_kb - r.before_kb, r.before_kb, r.after_kb);

	/* the restored file is the sparse original: zeros and the marks, 512 MiB */
	assert_gone(file);
	assert_int_equal(lstat(dest, &sb), 0);
	assert_int_equal(sb.st_size, size);
	fd = open(dest, O_RDONLY);
	assert_true(fd >= 0);
	buf = malloc(CHUNK);
	assert_non_null(buf);
	for (off = 0; off < size; off += (off_t)CHUNK) {
		size_t j;

		assert_int_equal(pread(fd, buf, CHUNK, off), (ssize_t)CHUNK);
		for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
			if (marks[i].at >= off && marks[i].at < off + (off_t)CHUNK) {
				size_t at = (size_t)(marks[i].at - off), ml = strlen(marks[i].mark);

				assert_memory_equal(buf + at, marks[i].mark, ml);
				memset(buf + at, 0, ml);
			}
		}
		for (j = 0; j < CHUNK; j++)
			if (buf[j] != 0)
				fail_msg("byte %lld of the restored file is %u, not 0",
					 (long long)(off + (off_t)j), buf[j]);
	}
	free(buf);
	close(fd);
}

/* ---- the vault file (vault.db): SIGKILL at each step of the two-file move ---- */

static void
kill_me(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	raise(SIGKILL);
}

/*
 * A child process with a store and vault of its own, SIGKILLed at one step: trigger is a
 * temporary trigger calling test_kill(), made on the vault file's connection (in_vault) or
 * on vigil.db's. The child then adds path (id 0) or restores item id.
 */
static void
killed_at_step(struct fx *f, int in_vault, const char *trigger, const char *path, int64_t id)
{
	int status = 0;
	pid_t pid;

	quarantine_close(f->v); /* nothing of ours is shared with the child */
	f->v = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = NULL;
		struct vault *v = NULL;
		struct vg_error e;
		int64_t nid = 0;
		sqlite3 *db;

		vg_error_init(&e);
		if (store_open(f->state, &st, &e) != VG_OK ||
		    quarantine_open(st, f->state, NULL, 3600, &v, &e) != VG_OK)
			_exit(3);
		db = in_vault ? st->vdb : st->db;
		if (sqlite3_create_function(db, "test_kill", 0, SQLITE_UTF8, NULL, kill_me, NULL,
					    NULL) != SQLITE_OK ||
		    sqlite3_exec(db, trigger, NULL, NULL, NULL) != SQLITE_OK)
			_exit(4);
		if (id == 0)
			quarantine_add(v, path, THREAT, 0, &nid, NULL, &e);
		else
			quarantine_restore(v, id, NULL, 0, NULL, &e);
		_exit(5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("the child was not killed at its step (exit status %d)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static long long
items_in(struct fx *f, const char *state)
{
	return db_int(f, "SELECT count(*) FROM quarantine WHERE state = '%s'", state);
}

/* Killed while the chunks are written (the item staged, the vault file's transaction open):
 * the original is untouched, and the next open drops the item in both files. */
static void
test_kill_while_chunks_written(void **state)
{
	struct fx *f = *state;
	size_t n = 3 * CHUNK + 5;
	unsigned char *data = make_data(n, 71);
	char path[256];
	int fin = -1, rb = -1;
	int64_t id;

	vopen(f, 3600);
	fpath(f, "K.bin", path, sizeof(path));
	assert_int_equal(vt_write_file(f->files, "K.bin", data, n), 0);
	killed_at_step(f, 1, "CREATE TEMP TRIGGER k AFTER INSERT ON main.quarantine_chunks "
			     "WHEN NEW.idx = 2 BEGIN SELECT test_kill(); END", path, 0);
	assert_int_equal(items_in(f, "staging"), 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM vault.quarantine_chunks"), 0);
	assert_file_is(path, data, n);

	vopen(f, 3600);
	quarantine_recovered(f->v, &fin, &rb);
	assert_int_equal(fin, 0);
	assert_int_equal(rb, 1);
	assert_int_equal(rows_all(f), 0);
	assert_file_is(path, data, n);
	/* and the file moves in and out as usual afterwards */
	id = add_ok(f, path);
	restore_ok(f, id, NULL, 0);
	assert_file_is(path, data, n);
	free(data);
}

/* Killed once the chunks are committed, before the item is pending: the original is
 * untouched, and the next open drops the committed chunks from the vault file. */
static void
test_kill_after_chunks_committed(void **state)
{
	struct fx *f = *state;
	size_t n = 2 * CHUNK + 1;
	unsigned char *data = make_data(n, 72);
	char path[256];
	int fin = -1, rb = -1;

	vopen(f, 3600);
	fpath(f, "C.bin", path, sizeof(path));
	assert_int_equal(vt_write_file(f->files, "C.bin", data, n), 0);
	killed_at_step(f, 0, "CREATE TEMP TRIGGER k AFTER UPDATE OF state ON main.quarantine "
			     "WHEN NEW.state = 'pending' BEGIN SELECT test_kill(); END", path, 0);
	assert_int_equal(items_in(f, "staging"), 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM vault.quarantine_chunks"), 3);
	assert_file_is(path, data, n);

	vopen(f, 3600);
	quarantine_recovered(f->v, &fin, &rb);
	assert_int_equal(fin, 0);
	assert_int_equal(rb, 1);
	assert_int_equal(rows_all(f), 0);
	assert_int_equal(nlisted(f), 0);
	assert_file_is(path, data, n);
	free(data);
}

/* Killed after the original was unlinked, before the item is marked quarantined: the copy in
 * the vault file is the only one, and the next open keeps it. */
static void
test_kill_after_original_removed(void **state)
{
	struct fx *f = *state;
	size_t n = 2 * CHUNK + 77;
	unsigned char *data = make_data(n, 73);
	char path[256];
	int fin = -1, rb = -1;
	int64_t id;

	vopen(f, 3600);
	fpath(f, "U.bin", path, sizeof(path));
	assert_int_equal(vt_write_file(f->files, "U.bin", data, n), 0);
	killed_at_step(f, 0, "CREATE TEMP TRIGGER k AFTER UPDATE OF state ON main.quarantine "
			     "WHEN NEW.state = 'quarantined' BEGIN SELECT test_kill(); END", path, 0);
	assert_gone(path);
	assert_int_equal(items_in(f, "pending"), 1);
	id = db_int(f, "SELECT id FROM quarantine");

	vopen(f, 3600);
	quarantine_recovered(f->v, &fin, &rb);
	assert_int_equal(fin, 1);
	assert_int_equal(rb, 0);
	assert_int_equal(nlisted(f), 1);
	restore_ok(f, id, NULL, 0);
	assert_file_is(path, data, n);
	assert_int_equal(rows_all(f), 0);
	free(data);
}

/* A restore killed after the file is in place, while its chunks are deleted: the item is
 * "removing", out of the list; the next open deletes its chunks and its row. */
static void
test_kill_while_restore_deletes_chunks(void **state)
{
	struct fx *f = *state;
	size_t n = CHUNK + 3;
	unsigned char *data = NULL;
	char path[256];
	int64_t id;

	vopen(f, 3600);
	id = add_new(f, "D.bin", n, 74, &data);
	fpath(f, "D.bin", path, sizeof(path));
	killed_at_step(f, 1, "CREATE TEMP TRIGGER k BEFORE DELETE ON main.quarantine_chunks "
			     "BEGIN SELECT test_kill(); END", NULL, id);
	assert_file_is(path, data, n);
	assert_int_equal(items_in(f, "removing"), 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM vault.quarantine_chunks"), 2);

	vopen(f, 3600);
	assert_int_equal(rows_all(f), 0);
	assert_int_equal(nlisted(f), 0);
	assert_file_is(path, data, n);
	free(data);
}

/* quarantine remove deletes the item's chunks in the vault file, and only that item's. */
static void
test_remove_deletes_chunks_in_vault_file(void **state)
{
	struct fx *f = *state;
	int64_t id, keep;

	vopen(f, 3600);
	id = add_new(f, "rm.bin", 3 * CHUNK, 75, NULL);
	keep = add_new(f, "kp.bin", 5, 76, NULL);
	assert_int_equal(db_int(f, "SELECT chunk_file FROM quarantine WHERE id = %lld",
				(long long)id), 1);
	assert_int_equal(db_int(f, "SELECT count(*) FROM vault.quarantine_chunks WHERE item = %lld",
				(long long)id), 3);
	assert_int_equal(quarantine_remove(f->v, id, NULL), VG_OK);
	assert_int_equal(db_int(f, "SELECT count(*) FROM vault.quarantine_chunks WHERE item = %lld",
				(long long)id), 0);
	/* a one-chunk item keeps its chunk in vigil.db */
	assert_int_equal(db_int(f, "SELECT count(*) FROM main.quarantine_chunks WHERE item = %lld",
				(long long)keep), 1);
	assert_int_equal(rows_of(f, id), 0);
}

/*
 * Items quarantined before the vault file existed keep their chunks in vigil.db's
 * quarantine_chunks (chunk_file 0). Made here as the old vigil wrote them: an item's chunk
 * rows moved into that table through SQL. They list, restore, export and remove as before.
 */
static void
old_layout(struct fx *f, int64_t id)
{
	db_exec(f, "INSERT INTO main.quarantine_chunks(item, idx, nonce, data) SELECT item, idx, "
		   "nonce, data FROM vault.quarantine_chunks WHERE item = %lld;"
		   "DELETE FROM vault.quarantine_chunks WHERE item = %lld;"
		   "UPDATE quarantine SET chunk_file = 0 WHERE id = %lld",
		(long long)id, (long long)id, (long long)id);
}

static void
test_old_layout_item_restores(void **state)
{
	struct fx *f = *state;
	size_t n = 2 * CHUNK + 3;
	unsigned char *data = NULL;
	char path[256], zip[256];
	struct vg_error e;
	int64_t id, gone;

	vopen(f, 3600);
	id = add_new(f, "old.bin", n, 77, &data);
	gone = add_new(f, "old2.bin", 100, 78, NULL);
	old_layout(f, id);
	old_layout(f, gone);
	assert_int_equal(db_int(f, "SELECT count(*) FROM main.quarantine_chunks"), 4);
	assert_int_equal(db_int(f, "SELECT count(*) FROM vault.quarantine_chunks"), 0);

	vopen(f, 3600);
	assert_int_equal(nlisted(f), 2);
	fpath(f, "old.zip", zip, sizeof(zip));
	vg_error_init(&e);
	if (quarantine_export(f->v, id, zip, NULL, &e) != VG_OK)
		fail_msg("export of an old-layout item: %s", vg_error_msg(&e));
	restore_ok(f, id, NULL, 0);
	fpath(f, "old.bin", path, sizeof(path));
	assert_file_is(path, data, n);
	assert_int_equal(quarantine_remove(f->v, gone, NULL), VG_OK);
	assert_int_equal(db_int(f, "SELECT count(*) FROM main.quarantine_chunks"), 0);
	assert_int_equal(rows_all(f), 0);
	free(data);
}

/* Copy file from to to (the test's own backups of the vault file). */
static void
copy_file(const char *from, const char *to)
{
	size_t len = 0;
	unsigned char *raw = slurp(from, &len);
	int fd;

	assert_non_null(raw);
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, raw, len), (ssize_t)len);
	close(fd);
	free(raw);
}

/* Close the vault and the store (and with it the vault file) and open the store again. */
static void
reopen_store(struct fx *f)
{
	struct vg_error e;

	quarantine_close(f->v);
	f->v = NULL;
	store_close(f->st);
	f->st = NULL;
	vg_error_init(&e);
	if (store_open(f->state, &f->st, &e) != VG_OK)
		fail_msg("store_open: %s", vg_error_msg(&e));
}

/* A vault file that is damaged, missing or another store's: refused, naming the file. */
static void
test_vault_file_damaged_missing_or_foreign(void **state)
{
	struct fx *f = *state;
	char vault[256], keep[256], other[256], garbage[4096];
	struct store *st2 = NULL;
	struct vault *v2 = NULL;
	struct vg_error e;
	int fd;

	snprintf(vault, sizeof(vault), "%s/vault.db", f->state);
	fpath(f, "vault.keep", keep, sizeof(keep));
	vopen(f, 3600);
	add_new(f, "v.bin", 1000, 79, NULL);
	reopen_store(f);
	copy_file(vault, keep);

	/* random bytes over its header */
	memset(garbage, 0x5a, sizeof(garbage));
	fd = open(vault, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, garbage, sizeof(garbage)), (ssize_t)sizeof(garbage));
	close(fd);
	assert_int_equal(vopen_rc(f, NULL, &e), VG_STORE);
	assert_msg_has(&e, vault);

	/* missing, while vigil.db says it had one: not silently made again, empty */
	assert_int_equal(unlink(vault), 0);
	reopen_store(f);
	assert_int_equal(vopen_rc(f, NULL, &e), VG_STORE);
	assert_msg_has(&e, vault);
	assert_msg_has(&e, "missing");
	assert_gone(vault);

	/* another store's vault file */
	snprintf(other, sizeof(other), "%s/other", f->base);
	vg_error_init(&e);
	if (store_open(other, &st2, &e) != VG_OK ||
	    quarantine_open(st2, other, f->key, 0, &v2, &e) != VG_OK)
		fail_msg("a second store: %s", vg_error_msg(&e));
	quarantine_close(v2);
	store_close(st2);
	snprintf(other, sizeof(other), "%s/other/vault.db", f->base);
	copy_file(other, vault);
	reopen_store(f);
	assert_int_equal(vopen_rc(f, NULL, &e), VG_STORE);
	assert_msg_has(&e, vault);
	assert_msg_has(&e, "not the vault of store");

	/* its own file back: all is well */
	copy_file(keep, vault);
	reopen_store(f);
	vopen(f, 3600);
	assert_int_equal(nlisted(f), 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--memory-child") == 0)
		return memory_child_main(argc, argv);
	const struct CMUnitTest tests[] = {
		T(test_roundtrip_sizes_byte_identical),
		T(test_vault_holds_no_plaintext),
		T(test_restore_sets_mode_owner_times),
		T(test_restore_to_another_path),
		T(test_restore_existing_destination),
		T(test_restore_refuses_symlinked_folder),
		T(test_restore_symlink_at_destination_name),
		T(test_key_created_private_and_reused),
		T(test_key_other_key_refused),
		T(test_key_or_state_folder_readable_by_others_refused),
		T(test_key_wrong_length_refused),
		T(test_key_missing_after_items_exist),
		T(test_tamper_flipped_byte),
		T(test_tamper_flipped_tag_of_last_chunk),
		T(test_tamper_small_item_in_store),
		T(test_tamper_flipped_nonce),
		T(test_tamper_swapped_chunks),
		T(test_tamper_deleted_chunk),
		T(test_tamper_truncated_item),
		T(test_tamper_chunk_from_another_item),
		T(test_tamper_recorded_size),
		T(test_tamper_recorded_sha256),
		T(test_tamper_chunk_layout),
		T(test_tamper_export_refused),
		T(test_failed_restore_closes_its_file),
		T(test_recover_rolls_back_pending_with_original_present),
		T(test_recover_finishes_pending_with_original_gone),
		T(test_recover_keeps_item_when_inode_number_reused),
		T(test_add_failing_after_unlink_keeps_the_vault_copy),
		T(test_scanned_moves_what_was_read),
		T(test_scanned_refuses_swapped_folder),
		T(test_scanned_refuses_other_file_at_name),
		T(test_scanned_refuses_modified),
		T(test_fd_follows_the_file),
		T(test_fd_long_path),
		T(test_add_refuses_untrusted_link),
		T(test_add_refuses_fifo_symlink_folder),
		T(test_add_refuses_file_that_changes_size_while_read),
		T(test_add_refuses_vault_own_files),
		T(test_add_through_symlinked_folder_restores_to_real_folder),
		T(test_add_leaves_file_written_while_quarantined),
		T(test_export_zip_extracts_byte_identical),
		T(test_export_password_needed),
		T(test_remove),
		T(test_remove_overwrites_ciphertext),
		T(test_expire),
		T(test_restore_allows_sha256_for_window),
		T(test_restore_window_zero_allows_nothing),
		T(test_memory_bounded_on_large_file),
		T(test_kill_while_chunks_written),
		T(test_kill_after_chunks_committed),
		T(test_kill_after_original_removed),
		T(test_kill_while_restore_deletes_chunks),
		T(test_remove_deletes_chunks_in_vault_file),
		T(test_old_layout_item_restores),
		T(test_vault_file_damaged_missing_or_foreign),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
