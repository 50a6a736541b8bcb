/* cli/cmd_resume.c — vigil scan resume ID: an interrupted scan continued where it stopped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"

/* The engine options a scan was recorded with. */
static void
options_from_record(struct cli *cli, json_t *opts, struct scanner_options *o)
{
	json_t *v;

	cli_scan_options(cli, o);
#define TAKE_INT(key, field, type)                                   \
	if ((v = json_object_get(opts, key)) && json_is_integer(v)) \
		o->field = (type)json_integer_value(v);
	TAKE_INT("threads", threads, int)
	TAKE_INT("max_recursion", max_depth, int)
	TAKE_INT("max_filesize", max_filesize, uint64_t)
	TAKE_INT("archive_max_members", archive_max_members, uint64_t)
	TAKE_INT("archive_max_bytes", archive_max_bytes, uint64_t)
	TAKE_INT("archive_max_member_size", archive_max_member_size, uint64_t)
	TAKE_INT("archive_max_ratio", archive_max_ratio, uint64_t)
	TAKE_INT("scan_timeout", scan_timeout, int)
#undef TAKE_INT
	if ((v = json_object_get(opts, "archives")))
		o->archives = json_is_true(v);
	if ((v = json_object_get(opts, "one_filesystem")))
		o->one_filesystem = json_is_true(v);
}

/* Is the process that ran the scan still alive (and vigil)? */
static int
still_running(json_t *scan)
{
	json_int_t pid = json_integer_value(json_object_get(scan, "pid"));
	char link[64], exe[4096], self[4096];
	ssize_t n, m;

	if (pid <= 0 || pid == getpid())
		return 0;
	snprintf(link, sizeof(link), "/proc/%lld/exe", (long long)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	m = readlink("/proc/self/exe", self, sizeof(self) - 1);
	return n > 0 && m > 0 && n == m && memcmp(exe, self, (size_t)n) == 0;
}

static int
done_has(const char *path, size_t len, void *ctx)
{
	return scanner_done_has(ctx, path, len);
}

int
cmd_scan_resume(struct cli *cli)
{
	struct scanner_options o;
	struct scanner_totals totals = { 0 };
	struct excl_set *excl = NULL;
	struct allow_set *allow = NULL;
	struct done_set *done = NULL;
	struct scan_cache *cache = NULL;
	struct sigdb *db = NULL;
	json_t *scan = NULL, *v, *opts;
	char **roots = NULL, *cache_tag = NULL;
	size_t nroots = 0, i;
	struct scanner_image *im = NULL;
	int image_failed = 0;
	int64_t id, forgotten = 0, threats = 0;
	int rc = EXIT_FAILED, quarantine;
	const char *status, *type;
	enum vg_err e;

	if (cli->argc != 2 || parse_int(cli->argv[1], &id) != 0)
		return cli_usage(cli, "scan resume takes one scan ID");
	e = store_scan_get_json(cli->st, id, &scan, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	type = json_string_value(json_object_get(scan, "type"));
	status = json_string_value(json_object_get(scan, "status"));
	opts = json_object_get(scan, "options");
	if (strcmp(status, "completed") == 0) {
		rc = cli_fail(cli, vg_error_set(&cli->err, VG_INVAL, "scan %lld is completed: "
						"there is nothing to resume", (long long)id));
		goto out;
	}
	if (strcmp(type, "realtime") == 0) {
		rc = cli_fail(cli, vg_error_set(&cli->err, VG_INVAL, "scan %lld is real-time "
						"protection, not a scan to resume", (long long)id));
		goto out;
	}
	if (strcmp(status, "running") == 0 && still_running(scan)) {
		rc = cli_fail(cli, vg_error_set(&cli->err, VG_EXISTS, "scan %lld is still running "
						"(pid %lld)", (long long)id,
						(long long)json_integer_value(
							json_object_get(scan, "pid"))));
		goto out;
	}
	/* the scan as it was started: roots, options and exclusions are those recorded */
	options_from_record(cli, opts, &o);
	o.inventory = json_is_true(json_object_get(scan, "inventory"));
	quarantine = json_is_string(json_object_get(opts, "action")) &&
		     strcmp(json_string_value(json_object_get(opts, "action")), "quarantine") == 0;
	roots = calloc(json_array_size(json_object_get(scan, "roots")) + 1, sizeof(*roots));
	/* (a root whose name is not UTF-8 was recorded escaped: it is not found again) */
	json_array_foreach(json_object_get(scan, "roots"), i, v)
		if (roots && json_is_string(v) && (roots[nroots] = strdup(json_string_value(v))))
			nroots++;
	excl = scanner_excl_create();
	if (roots == NULL || excl == NULL) {
		rc = cli_fail(cli, vg_error_set(&cli->err, VG_NOMEM, "out of memory"));
		goto out;
	}
	json_array_foreach(json_object_get(scan, "exclusions"), i, v) {
		int kind = scanner_excl_kind_parse(json_string_value(json_object_get(v, "kind")));

		if (kind < 0 || scanner_excl_add(excl, (enum excl_kind)kind,
						 json_string_value(json_object_get(v, "value")),
						 EXCL_FROM_STORE, "recorded with the scan",
						 &cli->err) != VG_OK) {
			rc = cli_fail(cli, kind < 0 ? VG_INVAL : cli->err.code);
			goto out;
		}
	}
	o.excl = excl;
	o.stop = &cli_stop;
	o.progress = 1;
	if (cli_load_allow(cli, &allow) != 0)
		goto out;
	o.allow = allow;
	e = sigdb_open(cli->st, cli->state_dir, &db, &cli->err);
	if (e == VG_OK && strcmp(sigdb_digest(db), json_string_value(json_object_get(scan,
								  "rules_digest")) ?: "") != 0)
		e = vg_error_set(&cli->err, VG_INVAL, "scan %lld ran with other signatures (sig_version "
				 "%lld); it would not end with the same findings: start a new scan",
				 (long long)id,
				 (long long)json_integer_value(json_object_get(scan, "sig_version")));
	if (e == VG_OK)
		e = scanner_done_load(cli->st, id, &done, &cli->err);
	if (e == VG_OK && json_is_true(json_object_get(opts, "cache")) && !o.inventory &&
	    config_get_int(cli->cfg, "antivirus_engine.scan_cache_maximum") > 0) {
		cache_tag = scanner_cache_tag(sigdb_digest(db), &o);
		if (cache_tag == NULL)
			e = vg_error_set(&cli->err, VG_NOMEM, "out of memory");
		else
			e = scanner_cache_load(cli->st, cache_tag,
					       config_get_int(cli->cfg,
							      "antivirus_engine.scan_cache_maximum"),
					       &cache, &cli->err);
		o.cache = cache;
		o.cache_tag = cache_tag;
	}
	/* findings of files it had not finished are found again: none twice */
	if (e == VG_OK && (e = store_begin(cli->st, &cli->err)) == VG_OK) {
		e = store_scan_forget_unfinished(cli->st, id, done_has, done, &forgotten, &cli->err);
		if (e == VG_OK)
			e = store_scan_set_running(cli->st, id, getpid(), &cli->err);
		if (e == VG_OK)
			e = store_commit(cli->st, &cli->err);
		if (e != VG_OK)
			store_rollback(cli->st);
	}
	if (e != VG_OK) {
		rc = cli_fail(cli, e);
		goto out;
	}
	o.done = done;
	/* a disk image is opened again as the scan first read it */
	if (json_is_object(json_object_get(opts, "image"))) {
		if (cli_image_open(cli, json_object_get(opts, "image"), &im) != 0)
			goto out;
		o.image = im;
		o.spool_dir = cli->state_dir;
	}
	if (!cli->quiet && !cli->json)
		printf("Resuming scan %lld: %zu files were finished before the interruption\n",
		       (long long)id, scanner_done_size(done));

	e = cli_scan_engine(cli, &o, db, id, roots, nroots, &totals);
	image_failed = im && e == VG_OK && cli_image_finish(cli, id, im) != 0;
	/* the totals of the whole scan: what was recorded before, and this part */
	totals.files_scanned += json_integer_value(json_object_get(scan, "files_scanned"));
	totals.bytes_scanned += json_integer_value(json_object_get(scan, "bytes_scanned"));
	totals.objects_scanned += json_integer_value(json_object_get(scan, "objects_scanned"));
	totals.errors += json_integer_value(json_object_get(scan, "errors"));
	totals.skipped += json_integer_value(json_object_get(scan, "skipped"));
	totals.excluded += json_integer_value(json_object_get(scan, "excluded"));
	totals.cached += json_integer_value(json_object_get(scan, "files_cached"));
	status = e != VG_OK ? "failed" : totals.interrupted ? "interrupted" : "completed";
	if (e == VG_OK && quarantine)
		cli_quarantine_findings(cli, id, &totals);
	if (store_threat_count(cli->st, id, &threats, &cli->err) == VG_OK)
		totals.threats = threats;
	cli_scan_finish(cli, id, status, &totals, e != VG_OK);
	if (e != VG_OK) {
		rc = cli_fail(cli, e);
		goto out;
	}
	cli_scan_housekeeping(cli, id, status, cache_tag);
	{
		json_t *none = json_array();

		cli_scan_summary(cli, id, type, status, quarantine ? "quarantine" : "report", &totals,
			      db, none);
		json_decref(none);
	}
	rc = cli_scan_exit(cli, id, &totals, image_failed, "interrupted again");
out:
	scanner_image_close(im);
	json_decref(totals.file_types);
	for (i = 0; roots && i < nroots; i++)
		free(roots[i]);
	free(roots);
	free(cache_tag);
	scanner_cache_destroy(cache);
	scanner_done_destroy(done);
	scanner_excl_destroy(excl);
	scanner_allow_destroy(allow);
	sigdb_release(db);
	json_decref(scan);
	return rc;
}
