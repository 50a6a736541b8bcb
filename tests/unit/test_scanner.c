/*
 * tests/unit/test_scanner.c — scanner/scanner.h: exclusions (match, explain, JSON), the
 * options' defaults, and scanner_run end to end over a real tree with a real store, the
 * embedded rules, zip archives made with zip(1), a FIFO, links and an archive bomb.
 *
 * The EICAR test file comes from vt_eicar() (util.h), which builds it from two halves.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/jsonx.h"
#include "core/store.h"
#include "scanner/engine_int.h"
#include "scanner/handler.h"
#include "scanner/image_int.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"
#include "tests/unit/util.h"

/* ---- exclusions ---- */

static struct excl_set *
set_with(enum excl_kind kind, const char *value)
{
	struct excl_set *s = scanner_excl_create();
	struct vg_error e;

	assert_non_null(s);
	vg_error_init(&e);
	if (scanner_excl_add(s, kind, value, EXCL_FROM_CLI, "--exclude", &e) != VG_OK)
		fail_msg("scanner_excl_add '%s': %s", value, vg_error_msg(&e));
	return s;
}

static void
test_excl_path_folder_and_below(void **state)
{
	struct excl_set *s = set_with(EXCL_PATH, "/a/b");
	struct excl_match m;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_true(scanner_excl_match(s, "/a/b", 1, &m));
	assert_int_equal(m.kind, EXCL_PATH);
	assert_int_equal(m.origin, EXCL_FROM_CLI);
	assert_string_equal(m.value, "/a/b");
	assert_string_equal(m.ref, "--exclude");
	assert_int_equal(m.path_len, 4);
	/* a path exclusion also names a file */
	assert_true(scanner_excl_match(s, "/a/b", 0, NULL));
	/* match looks at the path itself only; explain also at its folders */
	assert_false(scanner_excl_match(s, "/a/b/c.txt", 0, NULL));
	memset(&m, 0, sizeof(m));
	assert_true(scanner_excl_explain(s, "/a/b/c/d.txt", 0, &m));
	assert_string_equal(m.value, "/a/b");
	assert_int_equal(m.path_len, 4);
	/* a prefix of a name is not a folder above it */
	assert_false(scanner_excl_match(s, "/a/bc", 1, NULL));
	assert_false(scanner_excl_explain(s, "/a/bc", 1, NULL));
	assert_false(scanner_excl_explain(s, "/a/bc/x", 0, NULL));
	assert_false(scanner_excl_explain(s, "/a", 1, NULL));
	assert_false(scanner_excl_explain(s, "/", 1, NULL));
	scanner_excl_destroy(s);
}

/* "/" is a folder above every path: explain must see it as match does */
static void
test_excl_path_root_folder(void **state)
{
	struct excl_set *s = set_with(EXCL_PATH, "/");
	struct excl_match m1, m2;
	int matched, root, below;

	(void)state;
	memset(&m1, 0, sizeof(m1));
	memset(&m2, 0, sizeof(m2));
	matched = scanner_excl_match(s, "/", 1, NULL);
	root = scanner_excl_explain(s, "/", 1, &m1);
	below = scanner_excl_explain(s, "/etc/passwd", 0, &m2);
	scanner_excl_destroy(s); /* m1, m2 point into s: compare only numbers below */
	assert_true(matched);
	assert_true(root);
	assert_int_equal(m1.path_len, 1);
	assert_true(below);
	assert_int_equal(m2.path_len, 1);
}

static void
test_excl_path_is_normalised(void **state)
{
	struct excl_set *s = set_with(EXCL_PATH, "//srv/./data/../cache/");
	char *cwd = getcwd(NULL, 0), *abs;
	struct excl_match m;
	json_t *j;

	(void)state;
	assert_true(scanner_excl_match(s, "/srv/cache", 1, &m));
	assert_string_equal(m.value, "/srv/cache");
	scanner_excl_destroy(s);

	/* a relative path is taken from the current folder */
	s = set_with(EXCL_PATH, "rel/dir");
	assert_non_null(cwd);
	assert_true(asprintf(&abs, "%s/rel/dir", strcmp(cwd, "/") ? cwd : "") > 0);
	assert_true(scanner_excl_match(s, abs, 1, NULL));
	j = scanner_excl_json(s);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "value")), abs);
	json_decref(j);
	free(abs);
	free(cwd);
	scanner_excl_destroy(s);
}

static void
test_excl_path_glob(void **state)
{
	struct excl_set *s = set_with(EXCL_PATH, "/home/*/Downloads");
	struct excl_match m;

	(void)state;
	assert_true(scanner_excl_match(s, "/home/alice/Downloads", 1, NULL));
	memset(&m, 0, sizeof(m));
	assert_true(scanner_excl_explain(s, "/home/alice/Downloads/big.iso", 0, &m));
	assert_int_equal(m.path_len, strlen("/home/alice/Downloads"));
	assert_string_equal(m.value, "/home/*/Downloads");
	/* '*' is one component */
	assert_false(scanner_excl_match(s, "/home/a/b/Downloads", 1, NULL));
	assert_false(scanner_excl_explain(s, "/home/a/b/Downloads/x", 0, NULL));
	assert_false(scanner_excl_explain(s, "/home/alice/Documents/x", 0, NULL));
	assert_false(scanner_excl_match(s, "/home/alice/Downloads2", 1, NULL));
	scanner_excl_destroy(s);
}

static void
test_excl_ext(void **state)
{
	struct excl_set *s = set_with(EXCL_EXT, ".GZ"), *t;
	struct excl_match m;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_true(scanner_excl_match(s, "/x/a.gz", 0, &m));
	assert_int_equal(m.kind, EXCL_EXT);
	assert_string_equal(m.value, "GZ");
	assert_int_equal(m.path_len, strlen("/x/a.gz"));
	assert_true(scanner_excl_match(s, "/x/A.Gz", 0, NULL));
	assert_true(scanner_excl_match(s, "/x/b.tar.gz", 0, NULL));
	assert_false(scanner_excl_match(s, "/x/a.tgz", 0, NULL));
	assert_false(scanner_excl_match(s, "/x/agz", 0, NULL));
	/* not for folders, neither the folder itself nor the files in it */
	assert_false(scanner_excl_match(s, "/x/dir.gz", 1, NULL));
	assert_false(scanner_excl_explain(s, "/x/dir.gz/inner.txt", 0, NULL));
	assert_true(scanner_excl_explain(s, "/x/dir/inner.gz", 0, NULL));
	/* ".gz" is a hidden file's name, not an extension */
	assert_false(scanner_excl_match(s, "/x/.gz", 0, NULL));
	scanner_excl_destroy(s);

	/* with or without the dot */
	s = set_with(EXCL_EXT, "exe");
	assert_true(scanner_excl_match(s, "/w/setup.EXE", 0, NULL));
	scanner_excl_destroy(s);

	/* several parts */
	t = set_with(EXCL_EXT, ".tar.gz");
	assert_true(scanner_excl_match(t, "/x/b.tar.gz", 0, NULL));
	assert_true(scanner_excl_match(t, "/x/b.c.TAR.GZ", 0, NULL));
	assert_false(scanner_excl_match(t, "/x/b.gz", 0, NULL));
	assert_false(scanner_excl_match(t, "/x/btar.gz", 0, NULL));
	assert_false(scanner_excl_match(t, "/x/tar.gz", 0, NULL));
	scanner_excl_destroy(t);

	/* ".bashrc" has no extension */
	t = set_with(EXCL_EXT, "bashrc");
	assert_false(scanner_excl_match(t, "/home/u/.bashrc", 0, NULL));
	assert_true(scanner_excl_match(t, "/home/u/old.bashrc", 0, NULL));
	scanner_excl_destroy(t);
}

static void
test_excl_drop_builtin(void **state)
{
	struct excl_set *s = set_with(EXCL_PATH, "/srv/cache");

	(void)state;
	assert_int_equal(scanner_excl_add(s, EXCL_PATH, "/var/lib/vigil", EXCL_BUILTIN,
					  "the state folder", NULL), VG_OK);
	assert_true(scanner_excl_explain(s, "/var/lib/vigil/x.com", 0, NULL));
	scanner_excl_drop(s, EXCL_BUILTIN);
	assert_false(scanner_excl_explain(s, "/var/lib/vigil/x.com", 0, NULL));
	assert_true(scanner_excl_explain(s, "/srv/cache/y", 0, NULL));
	scanner_excl_destroy(s);
}

static void
test_excl_name_glob(void **state)
{
	struct excl_set *s = set_with(EXCL_NAME, "*.tmp");
	struct excl_match m;
	struct vg_error e;

	(void)state;
	assert_true(scanner_excl_match(s, "/x/a.tmp", 0, NULL));
	assert_true(scanner_excl_match(s, "/x/a.tmp", 1, NULL)); /* names apply to folders */
	assert_false(scanner_excl_match(s, "/x/a.tmpx", 0, NULL));
	assert_false(scanner_excl_match(s, "/x.tmp/a", 0, NULL));
	assert_true(scanner_excl_explain(s, "/x.tmp/a", 0, NULL));
	vg_error_init(&e);
	assert_int_equal(scanner_excl_add(s, EXCL_NAME, "node_modules", EXCL_FROM_STORE, "store id 3",
					  &e), VG_OK);
	memset(&m, 0, sizeof(m));
	assert_true(scanner_excl_match(s, "/p/node_modules", 1, &m));
	assert_int_equal(m.kind, EXCL_NAME);
	assert_int_equal(m.origin, EXCL_FROM_STORE);
	assert_string_equal(m.ref, "store id 3");
	memset(&m, 0, sizeof(m));
	assert_true(scanner_excl_explain(s, "/p/node_modules/lodash/index.js", 0, &m));
	assert_string_equal(m.value, "node_modules");
	assert_int_equal(m.path_len, strlen("/p/node_modules"));
	assert_false(scanner_excl_explain(s, "/p/node_modules_old/index.js", 0, NULL));
	scanner_excl_destroy(s);
}

static void
test_excl_explain_origin_and_topmost(void **state)
{
	struct excl_set *s = scanner_excl_create();
	struct excl_match m;
	json_t *j, *o;

	(void)state;
	assert_int_equal(scanner_excl_add(s, EXCL_PATH, "/data/a/b", EXCL_FROM_CLI, "--exclude-path",
					  NULL), VG_OK);
	assert_int_equal(scanner_excl_add(s, EXCL_PATH, "/data/a", EXCL_FROM_CONFIG,
					  "exclusions[0]", NULL), VG_OK);
	assert_int_equal(scanner_excl_add(s, EXCL_EXT, "log", EXCL_FROM_STORE, "store id 7", NULL),
			 VG_OK);
	/* the folder nearest the root is the reason */
	memset(&m, 0, sizeof(m));
	assert_true(scanner_excl_explain(s, "/data/a/b/c.txt", 0, &m));
	assert_string_equal(m.value, "/data/a");
	assert_int_equal(m.origin, EXCL_FROM_CONFIG);
	assert_string_equal(m.ref, "exclusions[0]");
	assert_int_equal(m.path_len, strlen("/data/a"));
	assert_string_equal(scanner_excl_origin_name(m.origin), "config");
	memset(&m, 0, sizeof(m));
	assert_true(scanner_excl_explain(s, "/var/x.log", 0, &m));
	assert_int_equal(m.origin, EXCL_FROM_STORE);
	assert_int_equal(m.path_len, strlen("/var/x.log"));

	j = scanner_excl_json(s);
	assert_int_equal(json_array_size(j), 3);
	o = json_array_get(j, 2);
	assert_string_equal(json_string_value(json_object_get(o, "kind")), "ext");
	assert_string_equal(json_string_value(json_object_get(o, "value")), "log");
	assert_string_equal(json_string_value(json_object_get(o, "origin")), "store");
	assert_string_equal(json_string_value(json_object_get(o, "ref")), "store id 7");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "origin")),
			    "command line");
	json_decref(j);
	scanner_excl_destroy(s);

	assert_int_equal(scanner_excl_kind_parse("path"), EXCL_PATH);
	assert_int_equal(scanner_excl_kind_parse("extension"), EXCL_EXT);
	assert_int_equal(scanner_excl_kind_parse("ext"), EXCL_EXT);
	assert_int_equal(scanner_excl_kind_parse("name"), EXCL_NAME);
	assert_int_equal(scanner_excl_kind_parse("glob"), -1);
	assert_string_equal(scanner_excl_kind_name(EXCL_NAME), "name");
	assert_false(scanner_excl_match(NULL, "/x", 0, NULL));
	assert_false(scanner_excl_explain(NULL, "/x", 0, NULL));
	scanner_excl_destroy(NULL);
}

static void
test_excl_invalid_values(void **state)
{
	struct excl_set *s = scanner_excl_create();
	struct vg_error e;
	json_t *j;

	(void)state;
	vg_error_init(&e);
	assert_int_equal(scanner_excl_add(s, EXCL_PATH, "", EXCL_FROM_CLI, "x", &e), VG_INVAL);
	assert_int_equal(e.code, VG_INVAL);
	assert_int_equal(scanner_excl_add(s, EXCL_EXT, "", EXCL_FROM_CLI, "x", NULL), VG_INVAL);
	assert_int_equal(scanner_excl_add(s, EXCL_NAME, "", EXCL_FROM_CLI, "x", NULL), VG_INVAL);
	assert_int_equal(scanner_excl_add(s, EXCL_NAME, NULL, EXCL_FROM_CLI, "x", NULL), VG_INVAL);
	assert_int_equal(scanner_excl_add(s, EXCL_EXT, ".", EXCL_FROM_CLI, "x", NULL), VG_INVAL);
	assert_int_equal(scanner_excl_add(s, EXCL_EXT, "a/b", EXCL_FROM_CLI, "x", NULL), VG_INVAL);
	vg_error_init(&e);
	assert_int_equal(scanner_excl_add(s, EXCL_NAME, "a/b", EXCL_FROM_CLI, "x", &e), VG_INVAL);
	assert_non_null(strstr(e.msg, "a/b"));
	j = scanner_excl_json(s);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	assert_false(scanner_excl_match(s, "/a/b", 0, NULL));
	scanner_excl_destroy(s);
}

/* ---- scanning: one fixture for the group ---- */

struct fx {
	char base[64];
	char state[128];
	char tree[128];		/* eicar.com, clean.txt, sub/eicar.zip, fifo */
	char bomb[128];		/* bomb.zip: 8 MiB of zeros */
	char nest[128];		/* outer.zip > inner.zip > eicar.com */
	char links[128];	/* a symbolic link to a file outside */
	char outside[128];	/* eicar.com, only reachable through the link */
	char fat[128];		/* fat.img: a FAT file system, no partition table: /DROP/EICAR.COM */
	char zeros[128];	/* zeros.img: 1 MiB of zeros, no file system */
	char eicar_sha[65], eicar_sha1[41], eicar_md5[33];
	int64_t tree_bytes;
	struct store *st;
	struct sigdb *db;
};

static int
run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) == 0 ? 0 : -1;
}

static int64_t
file_size(const char *dir, const char *name)
{
	char path[512];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1000000;
}

static int
group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char stage[160], sub[192], path[512], buf[128];
	unsigned char d[32];
	size_t n;
	void *zeros;

	if (f == NULL || sigdb_global_init(NULL) != VG_OK)
		return -1;
	/* the image code runs here, in this process: no vigil-image beside the test binaries
	 * (the end-to-end suites read images through it) */
	setenv("VIGIL_IMAGE", "none", 1);
	if (vt_mkdtemp(f->base, sizeof(f->base), "vigil-scanner") == NULL)
		return -1;
	snprintf(f->state, sizeof(f->state), "%s/state", f->base);
	snprintf(f->tree, sizeof(f->tree), "%s/tree", f->base);
	snprintf(f->bomb, sizeof(f->bomb), "%s/bomb", f->base);
	snprintf(f->nest, sizeof(f->nest), "%s/nest", f->base);
	snprintf(f->links, sizeof(f->links), "%s/links", f->base);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->base);
	snprintf(stage, sizeof(stage), "%s/stage", f->base);
	snprintf(sub, sizeof(sub), "%s/sub", f->tree);
	if (mkdir(f->tree, 0755) || mkdir(sub, 0755) || mkdir(stage, 0755) ||
	    mkdir(f->bomb, 0755) || mkdir(f->nest, 0755) || mkdir(f->links, 0755) ||
	    mkdir(f->outside, 0755))
		return -1;

	n = vt_eicar(buf, sizeof(buf));
	EVP_Digest(buf, n, d, NULL, EVP_sha256(), NULL);
	vg_hex(d, 32, f->eicar_sha);
	EVP_Digest(buf, n, d, NULL, EVP_sha1(), NULL);
	vg_hex(d, 20, f->eicar_sha1);
	EVP_Digest(buf, n, d, NULL, EVP_md5(), NULL);
	vg_hex(d, 16, f->eicar_md5);

	/* the main tree */
	if (vt_write_eicar(f->tree, "eicar.com") || vt_write_eicar(stage, "eicar.com") ||
	    vt_write_file(f->tree, "clean.txt", "hello, vigil\n", 13))
		return -1;
	if (run("cd '%s' && zip -q -X '%s/eicar.zip' eicar.com", stage, sub))
		return -1;
	snprintf(path, sizeof(path), "%s/fifo", f->tree);
	if (mkfifo(path, 0600) != 0)
		return -1;
	f->tree_bytes = file_size(f->tree, "eicar.com") + file_size(f->tree, "clean.txt") +
			file_size(sub, "eicar.zip");

	/* an archive bomb: 8 MiB of zeros deflate to a few KiB */
	zeros = calloc(1, 8u << 20);
	if (zeros == NULL || vt_write_file(stage, "zeros", zeros, 8u << 20))
		return -1;
	free(zeros);
	if (run("cd '%s' && zip -q -X '%s/bomb.zip' zeros", stage, f->bomb))
		return -1;

	/* an archive in an archive */
	if (run("cd '%s' && zip -q -X inner.zip eicar.com && zip -q -X '%s/outer.zip' inner.zip",
		stage, f->nest))
		return -1;

	/* disk images: a bare FAT file system with EICAR, and one with no file system */
	snprintf(f->fat, sizeof(f->fat), "%s/fat.img", f->base);
	snprintf(f->zeros, sizeof(f->zeros), "%s/zeros.img", f->base);
	if (run("mkfs.vfat -C '%s' 2048 >/dev/null && mmd -i '%s' ::/DROP && "
		"mcopy -i '%s' '%s/eicar.com' ::/DROP/EICAR.COM && "
		"mcopy -i '%s' '%s/clean.txt' ::/CLEAN.TXT && truncate -s 1M '%s'",
		f->fat, f->fat, f->fat, stage, f->fat, f->tree, f->zeros))
		return -1;

	/* a link out of the scanned folder */
	if (vt_write_eicar(f->outside, "eicar.com"))
		return -1;
	snprintf(path, sizeof(path), "%s/link.com", f->links);
	snprintf(sub, sizeof(sub), "%s/eicar.com", f->outside);
	if (symlink(sub, path) != 0)
		return -1;

	if (store_open(f->state, &f->st, NULL) != VG_OK ||
	    sigdb_open(f->st, f->state, &f->db, NULL) != VG_OK)
		return -1;
	*state = f;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fx *f = *state;

	if (f) {
		sigdb_release(f->db);
		store_close(f->st);
		vt_rm_rf(f->base);
		free(f);
	}
	sigdb_global_finish();
	return 0;
}

static int64_t
begin(struct fx *f, int threads)
{
	struct store_scan_new n = { .type = "custom", .threads = threads,
				    .sig_version = sigdb_version(f->db),
				    .rules_digest = sigdb_digest(f->db) };
	int64_t id = 0;

	assert_int_equal(store_scan_begin(f->st, &n, &id, NULL), VG_OK);
	return id;
}

static void
scan(struct fx *f, const struct scanner_options *o, int64_t id, const char *root,
     struct scanner_totals *t)
{
	char *roots[1] = { (char *)root };
	struct vg_error e;

	vg_error_init(&e);
	if (scanner_run(o, f->db, f->st, id, roots, 1, NULL, t, &e) != VG_OK)
		fail_msg("scanner_run '%s': %s", root, vg_error_msg(&e));
	json_decref(t->file_types); /* the totals own it */
	t->file_types = NULL;
}

static json_t *
threats(struct fx *f, int64_t id)
{
	json_t *l = NULL;

	assert_int_equal(store_threat_list_json(f->st, id, 0, &l, NULL), VG_OK);
	return l;
}

static json_t *
problems(struct fx *f, int64_t id)
{
	json_t *l = NULL;

	assert_int_equal(store_problem_list_json(f->st, id, 1000, &l, NULL), VG_OK);
	return l;
}

static int
ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && strcmp(s + a - b, tail) == 0;
}

static void
test_options_defaults(void **state)
{
	struct scanner_options o;

	(void)state;
	memset(&o, 0xab, sizeof(o));
	scanner_options_init(&o);
	assert_true(o.threads >= 1);
	assert_int_equal(o.max_depth, 8);
	assert_true(o.archives);
	assert_true(o.archive_max_bytes > 0);
	assert_true(o.archive_max_members > 0);
	assert_true(o.archive_max_member_size > 0);
	assert_true(o.archive_max_ratio > 0);
	assert_true(o.scan_timeout > 0);
	assert_false(o.one_filesystem);
	assert_null(o.excl);
	assert_null(o.stop);
}

/* Called on the writer thread: record only, assert on the test's thread. */
struct progress_seen {
	int calls, no_current;
	int64_t max_files;
};

static void
on_progress(const struct scanner_progress *p, void *ctx)
{
	struct progress_seen *s = ctx;

	s->calls++;
	if (p->files > s->max_files)
		s->max_files = p->files;
	if (p->current == NULL)
		s->no_current++;
}

static void
check_tree_scan(struct fx *f, int threads)
{
	struct scanner_options o;
	struct scanner_totals t;
	struct progress_seen ps = { 0 };
	struct scanner_callbacks cb = { .progress = on_progress, .ctx = &ps };
	char *roots[1] = { f->tree };
	struct vg_error e;
	json_t *l, *o1, *o2, *zip = NULL, *plain = NULL;
	int64_t id = begin(f, threads);
	size_t i;

	scanner_options_init(&o);
	o.threads = threads;
	vg_error_init(&e);
	if (scanner_run(&o, f->db, f->st, id, roots, 1, &cb, &t, &e) != VG_OK)
		fail_msg("scanner_run: %s", vg_error_msg(&e));
	/* the files read, by type: text and a zip */
	assert_true(json_object_size(t.file_types) >= 2);
	json_decref(t.file_types);
	assert_int_equal(t.threats, 2);
	assert_int_equal(t.files_scanned, 3); /* eicar.com, clean.txt, sub/eicar.zip; not the FIFO */
	assert_int_equal(t.objects_scanned, 4); /* and the member of the zip */
	assert_int_equal(t.bytes_scanned, f->tree_bytes);
	assert_int_equal(t.errors, 0);
	assert_int_equal(t.skipped, 0);
	assert_int_equal(t.excluded, 0);
	assert_false(t.interrupted);
	assert_true(t.duration_s >= 0);
	assert_true(ps.calls >= 1);
	assert_int_equal(ps.no_current, 0);
	assert_true(ps.max_files <= 3);

	l = threats(f, id);
	assert_int_equal(json_array_size(l), 2);
	for (i = 0; i < 2; i++) {
		json_t *th = json_array_get(l, i);

		if (ends_with(vt_jstr(th, "path"), "/sub/eicar.zip"))
			zip = th;
		else if (ends_with(vt_jstr(th, "path"), "/tree/eicar.com"))
			plain = th;
	}
	if (zip == NULL || plain == NULL)
		fail_msg("threats: %s", json_dumps(l, JSON_COMPACT));
	o1 = json_object_get(zip, "member");
	assert_int_equal(json_array_size(o1), 1);
	assert_string_equal(json_string_value(json_array_get(o1, 0)), "eicar.com");
	assert_string_equal(vt_jstr(zip, "sha256"), f->eicar_sha);
	assert_string_equal(vt_jstr(zip, "sha1"), f->eicar_sha1);
	assert_string_equal(vt_jstr(zip, "md5"), f->eicar_md5);
	assert_int_equal(json_integer_value(json_object_get(zip, "size")), 68);
	assert_string_equal(vt_jstr(zip, "name"), "EICAR_Test_File");
	assert_string_equal(vt_jstr(zip, "namespace"), "vigil");
	assert_string_equal(vt_jstr(zip, "action"), "reported");
	assert_non_null(json_object_get(json_object_get(zip, "meta"), "description"));
	o2 = json_object_get(plain, "member");
	assert_int_equal(json_array_size(o2), 0);
	assert_string_equal(vt_jstr(plain, "sha256"), f->eicar_sha);
	{
		char want[256];

		snprintf(want, sizeof(want), "%s/eicar.com", f->tree);
		assert_string_equal(vt_jstr(plain, "path"), want);
	}
	json_decref(l);

	l = problems(f, id);
	if (json_array_size(l) != 0)
		fail_msg("problems: %s", json_dumps(l, JSON_COMPACT));
	json_decref(l);
}

static void
test_run_tree_one_thread(void **state)
{
	check_tree_scan(*state, 1);
}

/* ---- what a scan records for the steps after it (the security issue) ---- */

static void
count_entry(const struct store_cache_entry *e, void *ctx)
{
	(void)e;
	(*(int *)ctx)++;
}

static int
cache_entries(struct fx *f, const char *tag)
{
	int n = 0;

	assert_int_equal(store_cache_load(f->st, tag, 1000, count_entry, &n, NULL), VG_OK);
	return n;
}

/* stat again after the read, as a coarse-ctime kernel would show a rewrite in the same tick */
static int
restat_moved(int fd, struct stat *st)
{
	int rc = fstat(fd, st);

	st->st_ctim.tv_nsec = (st->st_ctim.tv_nsec + 1) % 1000000000;
	return rc;
}

static void
test_cache_skips_file_changed_while_read(void **state)
{
	struct fx *f = *state;
	struct scanner_options o;
	struct scanner_totals t;

	scanner_options_init(&o);
	o.threads = 1;
	o.cache_tag = "restat-moved";
	o.restat = restat_moved;
	scan(f, &o, begin(f, 1), f->tree, &t);
	assert_int_equal(cache_entries(f, "restat-moved"), 0);
	/* the control: left alone, the clean files are remembered */
	o.cache_tag = "restat-same";
	o.restat = NULL;
	scan(f, &o, begin(f, 1), f->tree, &t);
	assert_true(cache_entries(f, "restat-same") >= 1);
}

/* Every detection carries the identity of the file read and where its scan root ends. */
static void
test_threat_identity_recorded(void **state)
{
	struct fx *f = *state;
	struct scanner_options o;
	struct scanner_totals t;
	struct store_target *tg = NULL;
	char path[512];
	struct stat sb;
	size_t n = 0, i, seen = 0;
	int64_t id;

	scanner_options_init(&o);
	id = begin(f, 2);
	scan(f, &o, id, f->tree, &t);
	assert_int_equal(store_threat_targets(f->st, id, &tg, &n, NULL), VG_OK);
	assert_true(n >= 2); /* eicar.com and sub/eicar.zip */
	for (i = 0; i < n; i++) {
		assert_true(tg[i].have_ident);
		assert_int_equal(tg[i].root_len, strlen(f->tree));
		assert_memory_equal(tg[i].path, f->tree, strlen(f->tree));
		if (!ends_with(tg[i].path, "/eicar.com"))
			continue;
		snprintf(path, sizeof(path), "%s/eicar.com", f->tree);
		assert_int_equal(lstat(path, &sb), 0);
		assert_int_equal(tg[i].ident.ino, (int64_t)sb.st_ino);
		assert_int_equal(tg[i].ident.dev, (int64_t)sb.st_dev);
		assert_int_equal(tg[i].ident.size, (int64_t)sb.st_size);
		assert_int_equal(tg[i].ident.ctime_ns,
				 (int64_t)sb.st_ctim.tv_sec * 1000000000 + sb.st_ctim.tv_nsec);
		seen++;
	}
	assert_int_equal(seen, 1);
	store_targets_free(tg, n);
	/* a file given as the root: its folder is the root */
	snprintf(path, sizeof(path), "%s/eicar.com", f->tree);
	id = begin(f, 1);
	scan(f, &o, id, path, &t);
	assert_int_equal(store_threat_targets(f->st, id, &tg, &n, NULL), VG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(tg[0].root_len, strlen(f->tree));
	store_targets_free(tg, n);
}

static void
test_run_tree_three_threads(void **state)
{
	check_tree_scan(*state, 3);
}

static void
test_run_exclusions(void **state)
{
	struct fx *f = *state;
	struct excl_set *ex = scanner_excl_create();
	struct scanner_options o;
	struct scanner_totals t;
	char path[256];
	json_t *l;
	int64_t id;

	snprintf(path, sizeof(path), "%s/eicar.com", f->tree);
	assert_int_equal(scanner_excl_add(ex, EXCL_PATH, path, EXCL_FROM_CLI, "--exclude-path",
					  NULL), VG_OK);
	scanner_options_init(&o);
	o.threads = 2;
	o.excl = ex;
	id = begin(f, 2);
	scan(f, &o, id, f->tree, &t);
	assert_int_equal(t.excluded, 1);
	assert_int_equal(t.files_scanned, 2);
	assert_int_equal(t.threats, 1); /* the zip's member is still found */
	l = threats(f, id);
	assert_int_equal(json_array_size(l), 1);
	assert_true(ends_with(vt_jstr(json_array_get(l, 0), "path"), "/sub/eicar.zip"));
	json_decref(l);

	/* a folder exclusion: nothing below it is opened, it counts once */
	assert_int_equal(scanner_excl_add(ex, EXCL_NAME, "sub", EXCL_FROM_STORE, "store id 1", NULL),
			 VG_OK);
	id = begin(f, 2);
	scan(f, &o, id, f->tree, &t);
	assert_int_equal(t.excluded, 2);
	assert_int_equal(t.files_scanned, 1);
	assert_int_equal(t.threats, 0);

	/* an excluded root */
	id = begin(f, 2);
	snprintf(path, sizeof(path), "%s/sub/eicar.zip", f->tree);
	scan(f, &o, id, path, &t);
	assert_int_equal(t.excluded, 1);
	assert_int_equal(t.files_scanned, 0);
	assert_int_equal(t.threats, 0);
	scanner_excl_destroy(ex);
}

static void
test_run_zip_bomb_limit(void **state)
{
	struct fx *f = *state;
	struct scanner_options o;
	struct scanner_totals t;
	json_t *l, *p;
	int64_t id = begin(f, 2);
	size_t i, limits = 0;

	scanner_options_init(&o);
	o.threads = 2;
	o.archive_max_bytes = 1u << 20;
	scan(f, &o, id, f->bomb, &t);
	assert_int_equal(t.files_scanned, 1);
	assert_true(t.skipped >= 1);
	assert_int_equal(t.errors, 0);
	assert_int_equal(t.threats, 0);
	l = problems(f, id);
	for (i = 0; i < json_array_size(l); i++) {
		p = json_array_get(l, i);
		if (strcmp(vt_jstr(p, "kind"), "limit") == 0) {
			limits++;
			assert_true(ends_with(vt_jstr(p, "path"), "/bomb.zip"));
			assert_non_null(strstr(vt_jstr(p, "reason"), "1048576"));
		}
	}
	if (limits != 1)
		fail_msg("expected one limit problem: %s", json_dumps(l, JSON_COMPACT));
	json_decref(l);

	/* with the default limits the same file is scanned whole and is clean */
	id = begin(f, 2);
	scanner_options_init(&o);
	scan(f, &o, id, f->bomb, &t);
	assert_int_equal(t.skipped, 0);
	assert_int_equal(t.objects_scanned, 2);
	l = problems(f, id);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
}

static void
test_run_nested_archive(void **state)
{
	struct fx *f = *state;
	struct scanner_options o;
	struct scanner_totals t;
	json_t *l, *m;
	int64_t id = begin(f, 1);

	scanner_options_init(&o);
	o.threads = 1;
	scan(f, &o, id, f->nest, &t);
	assert_int_equal(t.threats, 1);
	assert_int_equal(t.objects_scanned, 3);
	l = threats(f, id);
	assert_int_equal(json_array_size(l), 1);
	m = json_object_get(json_array_get(l, 0), "member");
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(json_string_value(json_array_get(m, 0)), "inner.zip");
	assert_string_equal(json_string_value(json_array_get(m, 1)), "eicar.com");
	assert_string_equal(vt_jstr(json_array_get(l, 0), "sha256"), f->eicar_sha);
	json_decref(l);

	/* one level allowed: the inner archive is reported, not passed as clean */
	id = begin(f, 1);
	o.max_depth = 1;
	scan(f, &o, id, f->nest, &t);
	assert_int_equal(t.threats, 0);
	assert_true(t.skipped >= 1);
	l = problems(f, id);
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(vt_jstr(json_array_get(l, 0), "kind"), "limit");
	m = json_object_get(json_array_get(l, 0), "member");
	assert_string_equal(json_string_value(json_array_get(m, 0)), "inner.zip");
	json_decref(l);

	/* archives off: the zip is one object */
	id = begin(f, 1);
	scanner_options_init(&o);
	o.archives = 0;
	scan(f, &o, id, f->nest, &t);
	assert_int_equal(t.objects_scanned, 1);
	assert_int_equal(t.threats, 0);
}

static void
test_run_links_and_special_files(void **state)
{
	struct fx *f = *state;
	struct scanner_options o;
	struct scanner_totals t;
	char path[256], fifo[256];
	json_t *l;
	int64_t id = begin(f, 2);

	scanner_options_init(&o);
	o.threads = 2;
	/* a link below a root is not followed, not even opened: no problem either */
	scan(f, &o, id, f->links, &t);
	assert_int_equal(t.files_scanned, 0);
	assert_int_equal(t.threats, 0);
	assert_int_equal(t.errors, 0);
	assert_int_equal(t.skipped, 0);
	l = problems(f, id);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);

	/* a root that is a link is followed */
	id = begin(f, 2);
	snprintf(path, sizeof(path), "%s/link.com", f->links);
	scan(f, &o, id, path, &t);
	assert_int_equal(t.files_scanned, 1);
	assert_int_equal(t.threats, 1);

	/* a FIFO given as the root is not opened (opening it would block) */
	id = begin(f, 2);
	snprintf(fifo, sizeof(fifo), "%s/fifo", f->tree);
	scan(f, &o, id, fifo, &t);
	assert_int_equal(t.files_scanned, 0);
	assert_int_equal(t.skipped, 1);
	l = problems(f, id);
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(vt_jstr(json_array_get(l, 0), "kind"), "skipped");
	json_decref(l);

	/* a root that does not exist is a problem of the scan, not a failure */
	id = begin(f, 2);
	snprintf(path, sizeof(path), "%s/no-such-folder", f->base);
	scan(f, &o, id, path, &t);
	assert_int_equal(t.errors, 1);
	l = problems(f, id);
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(vt_jstr(json_array_get(l, 0), "kind"), "error");
	assert_string_equal(vt_jstr(json_array_get(l, 0), "path"), path);
	json_decref(l);
}

static void
test_run_hostile_file_name(void **state)
{
	struct fx *f = *state;
	static const char name[] = "ev\xffil\nname.com";
	struct scanner_options o;
	struct scanner_totals t;
	char dir[192], raw[320], want[320];
	unsigned char b64[512];
	json_t *l, *th;
	int64_t id = begin(f, 1);

	snprintf(dir, sizeof(dir), "%s/hostile", f->base);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(vt_write_eicar(dir, name), 0);
	scanner_options_init(&o);
	o.threads = 1;
	scan(f, &o, id, dir, &t);
	assert_int_equal(t.threats, 1);
	l = threats(f, id);
	assert_int_equal(json_array_size(l), 1);
	th = json_array_get(l, 0);
	snprintf(raw, sizeof(raw), "%s/%s", dir, name);
	snprintf(want, sizeof(want), "%s/ev\\xffil\nname.com", dir);
	assert_string_equal(vt_jstr(th, "path"), want);
	EVP_EncodeBlock(b64, (const unsigned char *)raw, (int)strlen(raw));
	assert_string_equal(vt_jstr(th, "path_b64"), (const char *)b64);
	json_decref(l);
}

static void
test_run_stop_flag(void **state)
{
	struct fx *f = *state;
	volatile sig_atomic_t stop = 1;
	struct scanner_options o;
	struct scanner_totals t;
	int64_t id = begin(f, 2);

	scanner_options_init(&o);
	o.threads = 2;
	o.stop = &stop;
	scan(f, &o, id, f->tree, &t);
	assert_true(t.interrupted);
	assert_int_equal(t.files_scanned, 0);
	assert_int_equal(t.threats, 0);
}

static void
test_image_open_errors(void **state)
{
	struct fx *f = *state;
	struct scanner_image *im = NULL;
	struct vg_error e;
	char missing[192];

	snprintf(missing, sizeof(missing), "%s/missing.img", f->base);
	vg_error_init(&e);
	assert_int_equal(scanner_image_open(missing, NULL, -1, -1, 0, NULL, &im, &e), VG_IO);
	assert_null(im);
	assert_non_null(strstr(vg_error_msg(&e), "missing.img"));
	vg_error_init(&e);
	assert_int_equal(scanner_image_open(f->tree, NULL, -1, -1, 0, NULL, &im, &e), VG_INVAL);
	assert_non_null(strstr(vg_error_msg(&e), "not a disk image"));
	/* no partition table: the only volume is partition 0 */
	vg_error_init(&e);
	assert_int_equal(scanner_image_open(f->fat, NULL, 1, -1, 0, NULL, &im, &e), VG_NOTFOUND);
	assert_non_null(strstr(vg_error_msg(&e), "no partition 1"));
	vg_error_init(&e);
	assert_int_equal(scanner_image_open(f->fat, NULL, -1, 1ll << 40, 0, NULL, &im, &e), VG_INVAL);
	assert_non_null(strstr(vg_error_msg(&e), "beyond the end"));
	assert_int_equal(scanner_image_open(f->fat, NULL, 0, -1, 0, NULL, &im, NULL), VG_OK);
	scanner_image_close(im);
}

/* --credential KIND:FILE: a password loses one trailing newline (LF or CRLF), a key file
 * keeps every byte; unknown kinds, an empty or missing file and one over 64 KiB are refused
 * with a message that never holds the secret. */
static void
test_image_credentials(void **state)
{
	struct fx *f = *state;
	struct image_creds c = { 0 };
	struct vg_error e;
	char spec[256], *big;

	assert_int_equal(vt_write_file(f->base, "pw", "s3cret\r\n", 8), 0);
	assert_int_equal(vt_write_file(f->base, "key", "k\0y\n", 4), 0);
	assert_int_equal(vt_write_file(f->base, "empty", "", 0), 0);
	assert_non_null(big = calloc(1, (64u << 10) + 1));
	assert_int_equal(vt_write_file(f->base, "big", big, (64u << 10) + 1), 0);
	free(big);
	snprintf(spec, sizeof(spec), "password:%s/pw", f->base);
	assert_int_equal(image_creds_add(&c, spec, NULL), VG_OK);
	snprintf(spec, sizeof(spec), "key_file:%s/key", f->base);
	assert_int_equal(image_creds_add(&c, spec, NULL), VG_OK);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].kind, "password");
	assert_int_equal(c.v[0].len, 6);
	assert_memory_equal(c.v[0].secret, "s3cret", 6);
	assert_string_equal(c.v[1].kind, "key_file");
	assert_int_equal(c.v[1].len, 4);
	assert_memory_equal(c.v[1].secret, "k\0y\n", 4);
	vg_error_init(&e);
	snprintf(spec, sizeof(spec), "pin:%s/pw", f->base);
	assert_int_equal(image_creds_add(&c, spec, &e), VG_INVAL);
	assert_non_null(strstr(vg_error_msg(&e), "KIND:FILE"));
	vg_error_init(&e);
	assert_int_equal(image_creds_add(&c, "password:", &e), VG_INVAL);
	vg_error_init(&e);
	snprintf(spec, sizeof(spec), "password:%s/empty", f->base);
	assert_int_equal(image_creds_add(&c, spec, &e), VG_INVAL);
	assert_non_null(strstr(vg_error_msg(&e), "empty"));
	vg_error_init(&e);
	snprintf(spec, sizeof(spec), "key_file:%s/big", f->base);
	assert_int_equal(image_creds_add(&c, spec, &e), VG_INVAL);
	assert_non_null(strstr(vg_error_msg(&e), "64 KiB"));
	/* a FIFO is refused without blocking on it */
	snprintf(spec, sizeof(spec), "%s/fifo", f->base);
	assert_int_equal(mkfifo(spec, 0600), 0);
	vg_error_init(&e);
	snprintf(spec, sizeof(spec), "password:%s/fifo", f->base);
	assert_int_equal(image_creds_add(&c, spec, &e), VG_INVAL);
	vg_error_init(&e);
	snprintf(spec, sizeof(spec), "password:%s/none", f->base);
	assert_int_equal(image_creds_add(&c, spec, &e), VG_INVAL);
	assert_null(strstr(vg_error_msg(&e), "s3cret"));
	assert_int_equal(c.n, 2);
	image_creds_release(&c);
	assert_int_equal(c.n, 0);
	assert_null(c.v);
}

/* Scan all of the image file into a new scan; returns the opened image (close it). */
static struct scanner_image *
scan_image(struct fx *f, const char *file, int threads, int64_t *id, struct scanner_totals *t)
{
	struct scanner_image *im = NULL;
	struct scanner_options o;

	*id = begin(f, threads);
	assert_int_equal(scanner_image_open(file, NULL, -1, -1, 0, NULL, &im, NULL), VG_OK);
	scanner_options_init(&o);
	o.threads = threads;
	o.image = im;
	scan(f, &o, *id, file, t);
	return im;
}

static void
test_image_scan_fat(void **state)
{
	struct fx *f = *state;
	struct scanner_totals t;
	int64_t id;
	struct scanner_image *im = scan_image(f, f->fat, 2, &id, &t);
	json_t *l, *where, *vols;

	assert_int_equal(t.files_scanned, 2);
	assert_int_equal(t.threats, 1);
	l = threats(f, id);
	assert_int_equal(json_array_size(l), 1);
	assert_true(ends_with(vt_jstr(json_array_get(l, 0), "path"), ".img:p0:/DROP/EICAR.COM"));
	assert_string_equal(vt_jstr(json_array_get(l, 0), "sha256"), f->eicar_sha);
	where = json_object_get(json_array_get(l, 0), "image");
	assert_string_equal(vt_jstr(where, "file"), f->fat);
	assert_string_equal(vt_jstr(where, "path"), "/DROP/EICAR.COM");
	assert_int_equal(vt_jint(where, "partition"), 0);
	assert_int_equal(vt_jint(where, "offset"), 0);
	assert_true(strncmp(vt_jstr(where, "fs"), "fat", 3) == 0);
	assert_true(vt_jint(where, "inode") > 0);
	assert_true(json_is_true(json_object_get(where, "allocated")));
	json_decref(l);
	vols = scanner_image_volumes(im);
	assert_int_equal(json_array_size(vols), 1);
	assert_string_equal(vt_jstr(json_array_get(vols, 0), "status"), "scanned");
	assert_true(scanner_image_readable(im));
	json_decref(vols);
	scanner_image_close(im);
}

static void
test_image_without_file_system(void **state)
{
	struct fx *f = *state;
	struct scanner_totals t;
	int64_t id;
	struct scanner_image *im = scan_image(f, f->zeros, 1, &id, &t);
	json_t *l, *vols;

	assert_int_equal(t.files_scanned, 0);
	assert_int_equal(t.errors, 1);
	assert_false(scanner_image_readable(im));
	vols = scanner_image_volumes(im);
	assert_string_equal(vt_jstr(json_array_get(vols, 0), "status"), "error");
	assert_true(json_is_null(json_object_get(json_array_get(vols, 0), "fs")));
	l = problems(f, id);
	assert_int_equal(json_array_size(l), 1);
	assert_true(ends_with(vt_jstr(json_array_get(l, 0), "path"), "zeros.img:p0"));
	assert_int_equal(vt_jint(json_object_get(json_array_get(l, 0), "image"), "partition"), 0);
	json_decref(l);
	json_decref(vols);
	scanner_image_close(im);
}

/* ---- filetype: LOKI's names from magic headers (scanner/filetype.c) ---- */

/* The first bytes of a file (at most n) into buf; how many. */
static size_t
head_of(const char *path, unsigned char *buf, size_t n)
{
	FILE *fp = fopen(path, "rb");
	size_t got;

	if (fp == NULL)
		fail_msg("cannot open '%s'", path);
	got = fread(buf, 1, n, fp);
	fclose(fp);
	return got;
}

static const char *
filetype_of_file(const char *path, const char *mime)
{
	static unsigned char buf[64];
	size_t n = head_of(path, buf, sizeof(buf));

	return filetype_name(buf, n, mime);
}

static void
test_filetype_loki_names(void **state)
{
	struct fx *f = *state;
	char dir[160], path[256];
	/* hand-built: no Debian tool writes RAR, and a PE or GIF needs none for its header */
	static const unsigned char rar[] = "Rar!\x1a\x07\x00\xcf\x90\x73\x00\x00\x0d\x00\x00\x00";
	static const unsigned char mz[] = "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff";
	static const unsigned char gif[] = "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00"
					   "\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00"
					   "\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
	static const unsigned char macho[] = "\xcf\xfa\xed\xfe\x07\x00\x00\x01";

	(void)f;
	snprintf(dir, sizeof(dir), "%s/ft", f->base);
	assert_int_equal(mkdir(dir, 0755), 0);
	/* ELF: this test program itself */
	assert_string_equal(filetype_of_file("/proc/self/exe", NULL), "ELF");
	/* PDF: a minimal document, as printf writes it */
	assert_int_equal(run("printf '%%%%PDF-1.4\\n1 0 obj <<>> endobj\\ntrailer <<>>\\n%%%%%%%%EOF\\n' "
			     ">'%s/doc.pdf'", dir), 0);
	snprintf(path, sizeof(path), "%s/doc.pdf", dir);
	assert_string_equal(filetype_of_file(path, NULL), "PDF");
	/* ZIP: made by zip(1) */
	assert_int_equal(run("cd '%s' && zip -q -X a.zip doc.pdf", dir), 0);
	snprintf(path, sizeof(path), "%s/a.zip", dir);
	assert_string_equal(filetype_of_file(path, NULL), "ZIP");
	/* PHP: "<?php" first; further down, libmagic's type names it */
	assert_int_equal(vt_write_file(dir, "a.php", "<?php echo 1; ?>\n", 17), 0);
	snprintf(path, sizeof(path), "%s/a.php", dir);
	assert_string_equal(filetype_of_file(path, "text/plain"), "PHP");
	assert_string_equal(filetype_name((const unsigned char *)"<html>\n<?php x(); ?>", 20,
					  "text/x-php"), "HTML");
	assert_string_equal(filetype_name((const unsigned char *)"\n\n<?php x(); ?>", 15,
					  "text/x-php"), "PHP");
	assert_string_equal(filetype_name(rar, sizeof(rar) - 1, "application/x-rar"), "RAR");
	assert_string_equal(filetype_name(mz, sizeof(mz) - 1, "application/x-dosexec"), "EXE");
	assert_string_equal(filetype_name(gif, sizeof(gif) - 1, "image/gif"), "GIF");
	assert_string_equal(filetype_name(macho, sizeof(macho) - 1, NULL), "MACH-O");
	/* LOKI's order: a longer header listed first wins, a shorter one later never does */
	assert_string_equal(filetype_name((const unsigned char *)"#!/bin/sh\n", 10, NULL),
			    "UNIX SCRIPT");
	assert_string_equal(filetype_name((const unsigned char *)"PK\x03\x04\x14\x00\x06\x00", 8,
					  NULL), "Office");
	/* nothing fits: LOKI's word; a header longer than the object never matches */
	assert_string_equal(filetype_name((const unsigned char *)"plain words\n", 12, "text/plain"),
			    "UNKNOWN");
	assert_string_equal(filetype_name((const unsigned char *)"%PD", 3, NULL), "UNKNOWN");
	assert_string_equal(filetype_name((const unsigned char *)"", 0, NULL), "UNKNOWN");
}

/* ---- the YARA scanner lost after a SIGBUS (issue 14's engine defect) ---- */

static char shrink_path[512];

/* after_map: the mapped file shrinks to nothing before it is read: the next read faults */
static void
shrink_after_map(int fd, const char *path)
{
	(void)fd;
	if (strcmp(path, shrink_path) == 0 && truncate(path, 0) != 0)
		fail_msg("cannot truncate '%s'", path);
}

static int
has_problem(json_t *l, const char *path_tail, const char *reason)
{
	size_t i;

	for (i = 0; i < json_array_size(l); i++) {
		json_t *p = json_array_get(l, i);

		if (ends_with(vt_jstr(p, "path"), path_tail) && strstr(vt_jstr(p, "reason"), reason))
			return 1;
	}
	return 0;
}

/*
 * A mapped file shrinks (SIGBUS), and making a new YARA scanner then fails. Before the fix the
 * next file dereferenced a NULL scanner; now the next object makes one again (fail once) or,
 * when that fails too, records that its rules were not matched (fail twice), and the scan
 * goes on.
 */
static void
test_sigbus_scanner_lost(void **state)
{
	struct fx *f = *state;
	struct scanner_options o;
	struct scanner_totals t;
	char dir[160], eicar[256], *roots[2];
	struct vg_error e;
	json_t *l;
	int fails;

	snprintf(dir, sizeof(dir), "%s/sigbus", f->base);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(vt_write_eicar(dir, "eicar.com"), 0);
	snprintf(eicar, sizeof(eicar), "%s/eicar.com", dir);
	snprintf(shrink_path, sizeof(shrink_path), "%s/big.bin", dir);
	roots[0] = shrink_path; /* one thread: the big file first, then EICAR */
	roots[1] = eicar;
	scanner_options_init(&o);
	o.threads = 1;
	engine_test_hooks.after_map = shrink_after_map;
	for (fails = 1; fails <= 2; fails++) {
		int64_t id = begin(f, 1);

		/* sparse, above the read buffer: mapped, not read */
		assert_int_equal(run("truncate -s 0 '%s' && truncate -s 17M '%s'", shrink_path,
				     shrink_path), 0);
		atomic_store(&engine_test_hooks.fail_yr_renew, fails);
		vg_error_init(&e);
		if (scanner_run(&o, f->db, f->st, id, roots, 2, NULL, &t, &e) != VG_OK)
			fail_msg("scanner_run: %s", vg_error_msg(&e));
		json_decref(t.file_types);
		assert_int_equal(atomic_load(&engine_test_hooks.fail_yr_renew), 0);
		l = problems(f, id);
		assert_true(has_problem(l, "/big.bin", "shrank while it was being scanned"));
		assert_int_equal(has_problem(l, "/eicar.com", "rules not matched"), fails == 2);
		json_decref(l);
		l = threats(f, id);
		assert_int_equal(json_array_size(l), fails == 1 ? 1 : 0);
		json_decref(l);
	}
	engine_test_hooks.after_map = NULL;
}

/*
 * vigil's SIGBUS handler is back after every libyara scan. libyara 4.2 swaps its own in around
 * each scan and puts back what it found; two threads interleaving left libyara's in place
 * for good, which returns when the fault is not inside a scan, and a file that shrank under
 * libmagic then faulted forever (t9400's churn case hung at 100% CPU). Here a handler that
 * is not vigil's is put in place just before a scan, as that interleaving left it.
 */
static struct sigaction bus_vigil;	/* what was in place when the foreign one went in */
static char foreign_path[512];

static void
foreign_bus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
}

static void
install_foreign(int fd, const char *path)
{
	struct sigaction sa;

	(void)fd;
	if (strcmp(path, foreign_path) != 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = foreign_bus;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, &bus_vigil);
}

static void
test_sigbus_handler_back_after_yara(void **state)
{
	struct fx *f = *state;
	struct scanner_options o;
	struct scanner_totals t;
	struct sigaction after;
	char dir[160], *roots[1];
	struct vg_error e;
	int64_t id;

	snprintf(dir, sizeof(dir), "%s/foreign", f->base);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(foreign_path, sizeof(foreign_path), "%s/big.bin", dir);
	/* sparse, above the read buffer: mapped, and after_map runs before its scan */
	assert_int_equal(run("truncate -s 17M '%s'", foreign_path), 0);
	roots[0] = foreign_path;
	scanner_options_init(&o);
	o.threads = 1;
	memset(&bus_vigil, 0, sizeof(bus_vigil));
	engine_test_hooks.after_map = install_foreign;
	id = begin(f, 1);
	vg_error_init(&e);
	if (scanner_run(&o, f->db, f->st, id, roots, 1, NULL, &t, &e) != VG_OK)
		fail_msg("scanner_run: %s", vg_error_msg(&e));
	engine_test_hooks.after_map = NULL;
	json_decref(t.file_types);
	sigaction(SIGBUS, NULL, &after);
	assert_non_null(bus_vigil.sa_sigaction); /* the hook ran */
	assert_true(after.sa_sigaction != foreign_bus);
	assert_true(after.sa_sigaction == bus_vigil.sa_sigaction);
}

/* ---- container handlers: the child forms of scanner/handler.h, limits above them ---- */

#define TEST_CONT "VGTESTCONT\n"

static int test_handler_stopped;	/* the sink said stop at this child (0: never) */

static int
test_bid(const struct hobject *obj)
{
	return obj->len >= strlen(TEST_CONT) && memcmp(obj->data, TEST_CONT, strlen(TEST_CONT)) == 0
		       ? 90
		       : 0;
}

struct stream_state {
	const char *data;
	size_t len, off;
};

/* HCHILD_STREAM: hand out the bytes ten at a time */
static ssize_t
test_stream_read(void *arg, void *buf, size_t n, const char **why)
{
	struct stream_state *st = arg;
	size_t k = st->len - st->off;

	(void)why;
	if (k > 10)
		k = 10;
	if (k > n)
		k = n;
	memcpy(buf, st->data + st->off, k);
	st->off += k;
	return (ssize_t)k;
}

/* Children in every form: EICAR in memory, from a memfd and as a stream, an encrypted one,
 * two above the member size limit (one by its declared size), then a fault of its own. */
static void
test_extract(const struct hobject *obj, struct hsink *sink)
{
	char eicar[128], big[512];
	size_t n = vt_eicar(eicar, sizeof(eicar));
	struct stream_state st = { eicar, n, 0 };
	struct hchild ch;
	int fd = memfd_create("test-child", MFD_CLOEXEC), i;

	(void)obj;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, eicar, n), (ssize_t)n);
	memset(big, 'x', sizeof(big));
	for (i = 1; i <= 6; i++) {
		memset(&ch, 0, sizeof(ch));
		ch.size = -1;
		ch.fd = -1;
		switch (i) {
		case 1:
			ch = (struct hchild){ .name = "mem/eicar.com", .size = (int64_t)n,
					      .form = HCHILD_MEM, .data = (unsigned char *)eicar,
					      .len = n, .fd = -1 };
			break;
		case 2:
			ch = (struct hchild){ .name = "fd/eicar.com", .size = (int64_t)n,
					      .form = HCHILD_FD, .fd = fd };
			break;
		case 3:
			ch = (struct hchild){ .name = "stream/eicar.com", .size = -1,
					      .form = HCHILD_STREAM, .read = test_stream_read,
					      .arg = &st, .fd = -1 };
			break;
		case 4:
			ch = (struct hchild){ .name = "locked.bin", .size = -1,
					      .flags = HCHILD_ENCRYPTED, .form = HCHILD_NONE, .fd = -1 };
			break;
		case 5:
			ch = (struct hchild){ .name = "big-mem.bin", .size = -1, .form = HCHILD_MEM,
					      .data = (unsigned char *)big, .len = sizeof(big),
					      .fd = -1 };
			break;
		case 6:
			ch = (struct hchild){ .name = "big-fd.bin", .size = 100000,
					      .form = HCHILD_FD, .fd = fd };
			break;
		}
		if (sink->child(sink, &ch) == HSINK_STOP) {
			test_handler_stopped = i;
			close(fd);
			return;
		}
	}
	close(fd);
	sink->problem(sink, HPROB_DAMAGED, "test fault");
}

static const struct handler test_handler = { "test", test_bid, test_extract };

static int
has_member_problem(json_t *l, const char *member, const char *kind, const char *reason)
{
	size_t i;

	for (i = 0; i < json_array_size(l); i++) {
		json_t *p = json_array_get(l, i), *m = json_object_get(p, "member");
		const char *last = json_array_size(m) ? json_string_value(json_array_get(m,
							      json_array_size(m) - 1)) : "";

		if (strcmp(last ? last : "", member) == 0 && strcmp(vt_jstr(p, "kind"), kind) == 0 &&
		    strstr(vt_jstr(p, "reason"), reason))
			return 1;
	}
	return 0;
}

/* ---- the scanned system's identity (scanner/image_ident.c) ---- */

/* dir/rel's folders made, then the file written */
static void
put(const char *dir, const char *rel, const char *text)
{
	char path[512], *p;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	assert_int_equal(vt_write_file(dir, rel, text, strlen(text)), 0);
}

static void
test_image_disk_identity(void **state)
{
	char root[128], link[256];
	json_t *d;

	(void)state;
	assert_non_null(vt_mkdtemp(root, sizeof(root), "vigil-sysfs"));
	/* a SCSI disk and its partition, laid out as sysfs does (dev/block/M:m are links) */
	put(root, "devices/sda/size", "2048\n");
	put(root, "devices/sda/device/model", "QEMU HARDDISK   \n");
	put(root, "devices/sda/device/serial", "  S3YJNX0K123\n");
	put(root, "devices/sda/device/vendor", "ATA     \n");
	put(root, "devices/sda/device/wwid", "t10.ATA QEMU HARDDISK S3YJNX0K123\n");
	put(root, "devices/sda/sda1/size", "1024\n");
	put(root, "devices/sda/sda1/partition", "1\n");
	put(root, "dev/block/.keep", "");
	snprintf(link, sizeof(link), "%s/dev/block/8:0", root);
	assert_int_equal(symlink("../../devices/sda", link), 0);
	snprintf(link, sizeof(link), "%s/dev/block/8:1", root);
	assert_int_equal(symlink("../../devices/sda/sda1", link), 0);
	/* hostile texts: escaped, never raw; a size that is no number: none */
	put(root, "devices/sdb/size", "12x\n");
	put(root, "devices/sdb/device/model", "\x1b[2Jevil\xff\n");
	snprintf(link, sizeof(link), "%s/dev/block/8:16", root);
	assert_int_equal(symlink("../../devices/sdb", link), 0);

	d = image_disk_identity(root, 8, 0);
	assert_non_null(d);
	assert_string_equal(vt_jstr(d, "model"), "QEMU HARDDISK");
	assert_string_equal(vt_jstr(d, "serial"), "S3YJNX0K123");
	assert_string_equal(vt_jstr(d, "vendor"), "ATA");
	assert_string_equal(vt_jstr(d, "wwid"), "t10.ATA QEMU HARDDISK S3YJNX0K123");
	assert_int_equal(vt_jint(d, "size_bytes"), 2048 * 512);
	json_decref(d);

	d = image_disk_identity(root, 8, 1); /* the partition: its disk's names, its own size */
	assert_non_null(d);
	assert_string_equal(vt_jstr(d, "serial"), "S3YJNX0K123");
	assert_int_equal(vt_jint(d, "size_bytes"), 1024 * 512);
	json_decref(d);

	d = image_disk_identity(root, 8, 16);
	assert_non_null(d);
	assert_string_equal(vt_jstr(d, "model"), "\x1b[2Jevil\\xff");
	assert_non_null(json_object_get(d, "model_b64"));
	assert_null(json_object_get(d, "size_bytes"));
	assert_null(json_object_get(d, "size_bytes_b64"));
	assert_null(json_object_get(d, "serial"));
	json_decref(d);

	assert_null(image_disk_identity(root, 9, 9)); /* not known */
	vt_rm_rf(root);
}

static void
test_image_ident_take(void **state)
{
	struct scanner_image im = { 0 };
	const char *loc = "{\"chain\":[\"gpt:p2\",\"ext4\"],\"partition\":2,\"path\":\"/etc/machine-id\","
			  "\"allocated\":true}";
	const char *hloc = "{\"chain\":[\"gpt:p2\",\"ext4\"],\"partition\":2,\"path\":\"/etc/hostname\","
			   "\"allocated\":true}";
	const char *deleted = "{\"chain\":[\"gpt:p1\",\"ext4\"],\"partition\":1,\"path\":"
			      "\"/etc/machine-id\",\"allocated\":false}";
	const char *mid = "0123456789abcdef0123456789abcdef\n";
	json_t *vols = json_pack("[{s:i, s:[s,s]}, {s:i, s:[s,s]}]", "partition", 1, "chain",
				 "gpt:p1", "ext4", "partition", 2, "chain", "gpt:p2", "ext4");
	json_t *sys;

	(void)state;
	/* a deleted one, a name that only looks like it, a stream: none of them */
	image_ident_take(&im, "d.img:p1:/etc/machine-id", deleted, (const unsigned char *)mid,
			 strlen(mid));
	image_ident_take(&im, "d.img:p2:/x/etc/machine-id", loc, (const unsigned char *)mid,
			 strlen(mid));
	image_ident_take(&im, "d.img:p2:/etc/machine-id", loc, (const unsigned char *)mid,
			 strlen(mid));
	image_ident_take(&im, "d.img:p2:/etc/hostname", hloc, (const unsigned char *)"db\nx\n", 5);
	/* the first stays */
	image_ident_take(&im, "d.img:p2:/etc/machine-id", loc, (const unsigned char *)"bad\n", 4);
	image_ident_merge(&im, vols);
	assert_null(json_object_get(json_array_get(vols, 0), "system"));
	sys = json_object_get(json_array_get(vols, 1), "system");
	assert_non_null(sys);
	assert_string_equal(vt_jstr(sys, "machine_id"), "0123456789abcdef0123456789abcdef");
	assert_string_equal(vt_jstr(sys, "hostname"), "db");
	assert_int_equal(json_object_size(sys), 2);
	json_decref(im.systems);
	json_decref(vols);

	/* not 32 lower-case hex digits: said to be invalid, its bytes never kept */
	memset(&im, 0, sizeof(im));
	vols = json_pack("[{s:i, s:[s,s]}]", "partition", 2, "chain", "gpt:p2", "ext4");
	image_ident_take(&im, "d.img:p2:/etc/machine-id", loc,
			 (const unsigned char *)"0123456789abcdef\n0123456789abcde\n", 33);
	image_ident_merge(&im, vols);
	sys = json_object_get(json_array_get(vols, 0), "system");
	assert_true(json_is_true(json_object_get(sys, "machine_id_invalid")));
	assert_null(json_object_get(sys, "machine_id"));
	json_decref(im.systems);
	json_decref(vols);
}

static void
test_handler_children_and_limits(void **state)
{
	struct fx *f = *state;
	struct scanner_options o;
	struct scanner_totals t;
	char dir[160];
	json_t *l;
	size_t i;
	int64_t id;
	const char *want[] = { "mem/eicar.com", "fd/eicar.com", "stream/eicar.com" };

	snprintf(dir, sizeof(dir), "%s/handler", f->base);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(vt_write_file(dir, "cont.bin", TEST_CONT, strlen(TEST_CONT)), 0);
	engine_test_hooks.handler = &test_handler;
	scanner_options_init(&o);
	o.threads = 1;
	o.archive_max_member_size = 256; /* EICAR passes, the 512-byte children do not */

	test_handler_stopped = 0;
	id = begin(f, 1);
	scan(f, &o, id, dir, &t);
	assert_int_equal(test_handler_stopped, 0);
	l = threats(f, id);
	assert_int_equal(json_array_size(l), 3);
	for (i = 0; i < 3; i++) {
		json_t *m = json_object_get(json_array_get(l, i), "member");
		size_t k;
		int found = 0;

		assert_int_equal(json_array_size(m), 1);
		for (k = 0; k < 3; k++)
			found |= strcmp(json_string_value(json_array_get(m, 0)), want[k]) == 0;
		assert_true(found);
		assert_string_equal(vt_jstr(json_array_get(l, i), "sha256"), f->eicar_sha);
	}
	json_decref(l);
	l = problems(f, id);
	assert_true(has_member_problem(l, "locked.bin", "skipped", "encrypted member"));
	assert_true(has_member_problem(l, "big-mem.bin", "skipped", "member size limit (512 > 256"));
	assert_true(has_member_problem(l, "big-fd.bin", "skipped", "(100000 > 256 bytes)"));
	assert_true(has_member_problem(l, "", "error", "damaged archive: test fault"));
	json_decref(l);

	/* the members limit, counted above the handler: the third child stops it */
	o.archive_max_members = 2;
	id = begin(f, 1);
	scan(f, &o, id, dir, &t);
	assert_int_equal(test_handler_stopped, 3);
	l = threats(f, id);
	assert_int_equal(json_array_size(l), 2);
	json_decref(l);
	l = problems(f, id);
	assert_true(has_member_problem(l, "", "limit", "archive members above the limit of 2"));
	json_decref(l);

	/* the bytes limit: the stream is cut after the first bytes past it */
	o.archive_max_members = 50000;
	o.archive_max_bytes = 100; /* EICAR (68) once, not twice */
	test_handler_stopped = 0;
	id = begin(f, 1);
	scan(f, &o, id, dir, &t);
	assert_int_equal(test_handler_stopped, 2);
	l = problems(f, id);
	assert_true(has_member_problem(l, "", "limit", "unpacked bytes above the limit of 100"));
	json_decref(l);
	engine_test_hooks.handler = NULL;
}

int
main(void)
{
	/* one group, so that the runner's "[  PASSED  ] N" line counts every test */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_excl_path_folder_and_below),
		cmocka_unit_test(test_excl_path_root_folder),
		cmocka_unit_test(test_excl_path_is_normalised),
		cmocka_unit_test(test_excl_path_glob),
		cmocka_unit_test(test_excl_ext),
		cmocka_unit_test(test_excl_name_glob),
		cmocka_unit_test(test_excl_drop_builtin),
		cmocka_unit_test(test_excl_explain_origin_and_topmost),
		cmocka_unit_test(test_excl_invalid_values),
		cmocka_unit_test(test_options_defaults),
		cmocka_unit_test(test_run_tree_one_thread),
		cmocka_unit_test(test_cache_skips_file_changed_while_read),
		cmocka_unit_test(test_threat_identity_recorded),
		cmocka_unit_test(test_run_tree_three_threads),
		cmocka_unit_test(test_run_exclusions),
		cmocka_unit_test(test_run_zip_bomb_limit),
		cmocka_unit_test(test_run_nested_archive),
		cmocka_unit_test(test_run_links_and_special_files),
		cmocka_unit_test(test_run_hostile_file_name),
		cmocka_unit_test(test_run_stop_flag),
		cmocka_unit_test(test_image_open_errors),
		cmocka_unit_test(test_image_credentials),
		cmocka_unit_test(test_image_scan_fat),
		cmocka_unit_test(test_image_without_file_system),
		cmocka_unit_test(test_filetype_loki_names),
		cmocka_unit_test(test_sigbus_handler_back_after_yara),
		cmocka_unit_test(test_sigbus_scanner_lost),
		cmocka_unit_test(test_handler_children_and_limits),
		cmocka_unit_test(test_image_disk_identity),
		cmocka_unit_test(test_image_ident_take),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
