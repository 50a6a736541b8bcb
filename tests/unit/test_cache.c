/*
 * tests/unit/test_cache.c — scanner/cache.c against a real store: the scan cache (entries of
 * one tag loaded, a hit only for the same device, inode, size, mtime and ctime, the limit,
 * growth past the first table), the cache tag (the rules and the options that change
 * findings, nothing else), and the done set of a resumed scan (exact path bytes, one scan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/store.h"
#include "scanner/scanner.h"
#include "tests/unit/util.h"

struct fx {
	char dir[64];
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char sd[128];
	struct vg_error e;

	if (f == NULL || vt_mkdtemp(f->dir, sizeof(f->dir), "vigil-cache") == NULL)
		return -1;
	snprintf(sd, sizeof(sd), "%s/state", f->dir);
	vg_error_init(&e);
	if (store_open(sd, &f->st, &e) != VG_OK) {
		fprintf(stderr, "store_open: %s\n", vg_error_msg(&e));
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	vt_rm_rf(f->dir);
	free(f);
	return 0;
}

static int64_t
ns(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct store_cache_entry
entry_of(const struct stat *sb)
{
	return (struct store_cache_entry){ .dev = (int64_t)sb->st_dev, .ino = (int64_t)sb->st_ino,
					   .size = sb->st_size, .mtime_ns = ns(sb->st_mtim),
					   .ctime_ns = ns(sb->st_ctim) };
}

static void
put(struct fx *f, const char *tag, const struct store_cache_entry *e, int64_t when)
{
	struct vg_error err;

	vg_error_init(&err);
	if (store_cache_put(f->st, tag, e, when, &err) != VG_OK)
		fail_msg("store_cache_put: %s", vg_error_msg(&err));
}

static struct scan_cache *
load(struct fx *f, const char *tag, int64_t limit)
{
	struct scan_cache *c = NULL;
	struct vg_error err;

	vg_error_init(&err);
	if (scanner_cache_load(f->st, tag, limit, &c, &err) != VG_OK)
		fail_msg("scanner_cache_load: %s", vg_error_msg(&err));
	assert_non_null(c);
	return c;
}

/* A recorded file hits while unchanged; any of size, mtime, ctime, inode, device differing
 * misses; entries of another tag are not loaded. */
static void
test_cache_hit_only_unchanged(void **state)
{
	struct fx *f = *state;
	struct store_cache_entry e;
	struct scan_cache *c;
	struct stat sb, other;
	char path[128];

	assert_int_equal(vt_write_file(f->dir, "a.txt", "hello", 5), 0);
	snprintf(path, sizeof(path), "%s/a.txt", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	e = entry_of(&sb);
	put(f, "tag-A", &e, 1);

	c = load(f, "tag-A", 1000);
	assert_true(scanner_cache_hit(c, &sb));
	other = sb;
	other.st_size++;
	assert_false(scanner_cache_hit(c, &other));
	other = sb;
	other.st_mtim.tv_nsec = (other.st_mtim.tv_nsec + 1) % 1000000000;
	assert_false(scanner_cache_hit(c, &other));
	other = sb;
	other.st_ctim.tv_sec++;
	assert_false(scanner_cache_hit(c, &other));
	other = sb;
	other.st_ino++;
	assert_false(scanner_cache_hit(c, &other));
	other = sb;
	other.st_dev++;
	assert_false(scanner_cache_hit(c, &other));
	scanner_cache_destroy(c);

	/* the same file under another tag (other rules or options) is not known */
	c = load(f, "tag-B", 1000);
	assert_false(scanner_cache_hit(c, &sb));
	scanner_cache_destroy(c);
	/* no cache at all: never a hit */
	assert_false(scanner_cache_hit(NULL, &sb));
	scanner_cache_destroy(NULL);
}

/* A file rewritten after it was recorded (new content, same inode) misses. */
static void
test_cache_rewritten_file_misses(void **state)
{
	struct fx *f = *state;
	struct store_cache_entry e;
	struct scan_cache *c;
	struct stat before, after;
	char path[128];

	assert_int_equal(vt_write_file(f->dir, "b.txt", "first", 5), 0);
	snprintf(path, sizeof(path), "%s/b.txt", f->dir);
	assert_int_equal(stat(path, &before), 0);
	e = entry_of(&before);
	put(f, "t", &e, 1);
	/* same size, same inode; ctime moves (and mtime unless the clock is coarse) */
	do {
		assert_int_equal(vt_write_file(f->dir, "b.txt", "other", 5), 0);
		assert_int_equal(stat(path, &after), 0);
	} while (ns(after.st_ctim) == ns(before.st_ctim));
	assert_int_equal(after.st_ino, before.st_ino);
	c = load(f, "t", 1000);
	assert_false(scanner_cache_hit(c, &after));
	scanner_cache_destroy(c);
}

/* Many entries (past the first table of 1024 slots) all hit; limit keeps only that many. */
static void
test_cache_growth_and_limit(void **state)
{
	struct fx *f = *state;
	struct scan_cache *c;
	struct vg_error err;
	struct stat sb;
	int64_t i, hits = 0;
	const int64_t n = 5000;

	memset(&sb, 0, sizeof(sb));
	vg_error_init(&err);
	assert_int_equal(store_begin(f->st, &err), VG_OK);
	for (i = 1; i <= n; i++) {
		struct store_cache_entry e = { .dev = 42, .ino = i, .size = i * 10,
					       .mtime_ns = i * 1000, .ctime_ns = i * 2000 };

		put(f, "many", &e, i); /* scanned_at: the newest have the largest i */
	}
	assert_int_equal(store_commit(f->st, &err), VG_OK);
	c = load(f, "many", n);
	for (i = 1; i <= n; i++) {
		sb.st_dev = 42;
		sb.st_ino = (ino_t)i;
		sb.st_size = i * 10;
		sb.st_mtim.tv_sec = (i * 1000) / 1000000000;
		sb.st_mtim.tv_nsec = (i * 1000) % 1000000000;
		sb.st_ctim.tv_sec = (i * 2000) / 1000000000;
		sb.st_ctim.tv_nsec = (i * 2000) % 1000000000;
		hits += scanner_cache_hit(c, &sb);
	}
	assert_int_equal(hits, n);
	scanner_cache_destroy(c);

	/* at most 100 loaded */
	c = load(f, "many", 100);
	for (hits = 0, i = 1; i <= n; i++) {
		sb.st_ino = (ino_t)i;
		sb.st_size = i * 10;
		sb.st_mtim.tv_sec = (i * 1000) / 1000000000;
		sb.st_mtim.tv_nsec = (i * 1000) % 1000000000;
		sb.st_ctim.tv_sec = (i * 2000) / 1000000000;
		sb.st_ctim.tv_nsec = (i * 2000) % 1000000000;
		hits += scanner_cache_hit(c, &sb);
	}
	assert_int_equal(hits, 100);
	scanner_cache_destroy(c);
}

/* The tag changes with the rules and with each option that changes findings, not with
 * threads or the other run-time options. */
static void
test_cache_tag(void **state)
{
	struct scanner_options o, p;
	char *base, *t;

	(void)state;
	scanner_options_init(&o);
	base = scanner_cache_tag("digest-1", &o);
	assert_non_null(base);
	assert_int_equal(strlen(base), 32);

	t = scanner_cache_tag("digest-1", &o);
	assert_string_equal(t, base);
	free(t);
	t = scanner_cache_tag("digest-2", &o);
	assert_string_not_equal(t, base);
	free(t);

#define CHANGED(field, value)                                   \
	do {                                                    \
		p = o;                                          \
		p.field = (value);                              \
		t = scanner_cache_tag("digest-1", &p);          \
		assert_string_not_equal(t, base);               \
		free(t);                                        \
	} while (0)
	CHANGED(archives, !o.archives);
	CHANGED(max_depth, o.max_depth + 1);
	CHANGED(max_filesize, o.max_filesize + 1);
	CHANGED(archive_max_members, o.archive_max_members + 1);
	CHANGED(archive_max_bytes, o.archive_max_bytes + 1);
	CHANGED(archive_max_member_size, o.archive_max_member_size + 1);
	CHANGED(archive_max_ratio, o.archive_max_ratio + 1);
	CHANGED(scan_timeout, o.scan_timeout + 1);
#undef CHANGED

	p = o;
	p.threads = o.threads + 3;
	p.one_filesystem = 1;
	p.progress = 1;
	p.inventory = 1;
	t = scanner_cache_tag("digest-1", &p);
	assert_string_equal(t, base);
	free(t);
	free(base);
}

static struct done_set *
done_load(struct fx *f, int64_t scan_id)
{
	struct done_set *s = NULL;
	struct vg_error err;

	vg_error_init(&err);
	if (scanner_done_load(f->st, scan_id, &s, &err) != VG_OK)
		fail_msg("scanner_done_load: %s", vg_error_msg(&err));
	assert_non_null(s);
	return s;
}

static void
progress(struct fx *f, int64_t scan_id, const char *path, size_t len)
{
	struct vg_error err;

	vg_error_init(&err);
	if (store_progress_add(f->st, scan_id, path, len, &err) != VG_OK)
		fail_msg("store_progress_add: %s", vg_error_msg(&err));
}

/* The done set holds the exact path bytes of one scan: not a prefix, not another scan's,
 * a name that is not UTF-8 as it is; a path recorded twice counts once. */
static void
test_done_set(void **state)
{
	struct fx *f = *state;
	static const char odd[] = "/t/caf\xe9\xff.bin";
	struct done_set *s;

	progress(f, 7, "/t/a", 4);
	progress(f, 7, "/t/b", 4);
	progress(f, 7, "/t/b", 4);
	progress(f, 7, odd, sizeof(odd) - 1);
	progress(f, 8, "/t/c", 4);

	s = done_load(f, 7);
	assert_int_equal(scanner_done_size(s), 3);
	assert_true(scanner_done_has(s, "/t/a", 4));
	assert_true(scanner_done_has(s, "/t/b", 4));
	assert_true(scanner_done_has(s, odd, sizeof(odd) - 1));
	assert_false(scanner_done_has(s, "/t/c", 4));	/* scan 8's */
	assert_false(scanner_done_has(s, "/t/", 3));	/* a prefix */
	assert_false(scanner_done_has(s, "/t/ab", 5));
	assert_false(scanner_done_has(s, "/t/caf\xc3\xa9\xff.bin", sizeof(odd)));
	/* the length counts, not a NUL: "/t/a" with one more byte is another path */
	assert_false(scanner_done_has(s, "/t/a\0", 5));
	scanner_done_destroy(s);

	s = done_load(f, 9); /* a scan with no progress */
	assert_int_equal(scanner_done_size(s), 0);
	assert_false(scanner_done_has(s, "/t/a", 4));
	scanner_done_destroy(s);
	assert_int_equal(scanner_done_size(NULL), 0);
	assert_false(scanner_done_has(NULL, "/t/a", 4));
	scanner_done_destroy(NULL);
}

/* Past the first table (4096 slots, grown at half full): every path is still found. */
static void
test_done_set_growth(void **state)
{
	struct fx *f = *state;
	struct done_set *s;
	struct vg_error err;
	char path[64];
	int i, found = 0;
	const int n = 10000;

	vg_error_init(&err);
	assert_int_equal(store_begin(f->st, &err), VG_OK);
	for (i = 0; i < n; i++) {
		int len = snprintf(path, sizeof(path), "/big/%d", i);

		progress(f, 11, path, (size_t)len);
	}
	assert_int_equal(store_commit(f->st, &err), VG_OK);
	s = done_load(f, 11);
	assert_int_equal(scanner_done_size(s), n);
	for (i = 0; i < n; i++) {
		int len = snprintf(path, sizeof(path), "/big/%d", i);

		found += scanner_done_has(s, path, (size_t)len);
	}
	assert_int_equal(found, n);
	assert_false(scanner_done_has(s, "/big/10000", 10));
	scanner_done_destroy(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cache_hit_only_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_rewritten_file_misses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_growth_and_limit, setup, teardown),
		cmocka_unit_test(test_cache_tag),
		cmocka_unit_test_setup_teardown(test_done_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_set_growth, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
