/* cli/cmd_scan.c — vigil scan quick|full|custom: roots, options, evidence checks, reports. */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "core/path.h"
#include "quarantine/quarantine.h"
#include "reports/report.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"


struct roots {
	char **v;
	size_t n, cap;
};

static int
roots_add(struct roots *r, const char *path, struct vg_error *err)
{
	char *abs;

	if (vg_path_absolute(path, &abs, err) != VG_OK)
		return -1;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		char **v = realloc(r->v, cap * sizeof(char *));

		if (v == NULL) {
			free(abs);
			return -1;
		}
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = abs;
	return 0;
}

static void
roots_release(struct roots *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
}

/* --report FORMAT:FILE, checked before the scan so that a typo does not cost a whole scan. */
struct report_spec {
	char *format;
	const char *out;
};

struct report_specs {
	struct report_spec v[16];
	size_t n;
};

/*
 * The quick-scan folders that exist, globs expanded; with --root, inside the image: each
 * match is resolved again inside the root, so a link in the image cannot lead out of it.
 */
static int
quick_roots(struct cli *cli, struct roots *r, struct cli_evidence *ev)
{
	json_t *dirs = config_get(cli->cfg, "filesystem_scanner.quick_scan_directories");
	json_t *d;
	size_t i, k;

	json_array_foreach(dirs, i, d) {
		char *pattern = NULL;
		glob_t g;
		int rc;

		if (asprintf(&pattern, "%s%s", ev->root && strcmp(ev->root, "/") ? ev->root : "",
			     json_string_value(d)) < 0)
			return -1;
		rc = glob(pattern, GLOB_NOSORT | GLOB_ONLYDIR, NULL, &g);
		free(pattern);
		if (rc != 0)
			continue;
		for (k = 0; k < g.gl_pathc; k++) {
			char *host = ev->root ? cli_evidence_resolve(ev, g.gl_pathv[k])
					      : strdup(g.gl_pathv[k]);
			struct stat st;
			int bad = host != NULL && stat(host, &st) == 0 && S_ISDIR(st.st_mode) &&
				  roots_add(r, host, &cli->err) != 0;

			free(host);
			if (bad) {
				globfree(&g);
				return -1;
			}
		}
		globfree(&g);
	}
	return 0;
}

/* One root of a custom or full scan; with --root, resolved inside the image. */
static int
root_add(struct cli *cli, struct roots *r, struct cli_evidence *ev, const char *path,
	 const char *what)
{
	char *host = ev->root ? cli_evidence_resolve(ev, path) : strdup(path);
	struct stat st;
	int rc = 0;

	if (host == NULL || stat(host, &st) != 0) {
		char *esc = vg_text_escape(path, strlen(path));

		vg_error_set(&cli->err, VG_NOENT, "cannot scan '%s'%s%s: %s", esc ? esc : "?",
			     what, ev->root ? " inside --root" : "", strerror(errno));
		free(esc);
		rc = cli_fail(cli, VG_NOENT);
	} else if (roots_add(r, host, &cli->err) != 0) {
		rc = cli_fail(cli, VG_NOMEM);
	}
	free(host);
	return rc;
}

/*
 * Evidence is never written to: no report inside a scanned folder, and with --root no
 * state folder inside the image either.
 */
static int
writes_outside(struct cli *cli, const struct roots *r, struct cli_evidence *ev,
	       const struct report_specs *reports)
{
	size_t i, k;

	for (i = 0; i < reports->n; i++) {
		const char *out = reports->v[i].out;
		char *dir = strdup(out), *slash, *real, *target = NULL;
		struct stat ts, rs;
		int same_file = stat(out, &ts) == 0 && S_ISREG(ts.st_mode);

		if (dir == NULL)
			return cli_fail(cli, VG_NOMEM);
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		real = realpath(slash ? dir : ".", NULL);
		free(dir);
		/* the report itself, resolved: a scanned file (a disk image) is never replaced */
		if (real && asprintf(&target, "%s/%s", strcmp(real, "/") ? real : "",
				     vg_path_basename(out)) < 0)
			target = NULL;
		for (k = 0; real && k < r->n + (ev->root != NULL); k++) {
			const char *root = k < r->n ? r->v[k] : ev->root;

			if (cli_evidence_inside(real, root) ||
			    (target && cli_evidence_inside(target, root)) ||
			    (same_file && stat(root, &rs) == 0 && rs.st_dev == ts.st_dev &&
			     rs.st_ino == ts.st_ino)) {
				char *esc = vg_text_escape(out, strlen(out));

				vg_error_set(&cli->err, VG_INVAL, "report '%s' would be written inside "
					     "or over what is scanned ('%s'): write it elsewhere",
					     esc ? esc : "?", root);
				free(esc);
				free(real);
				free(target);
				return cli_fail(cli, VG_INVAL);
			}
		}
		free(real);
		free(target);
	}
	if (ev->root) {
		char *state = realpath(cli->state_dir, NULL);
		int inside = state && cli_evidence_inside(state, ev->root);

		free(state);
		if (inside)
			return cli_fail(cli, vg_error_set(&cli->err, VG_INVAL,
							  "the state folder '%s' is inside --root "
							  "'%s': use --state-dir elsewhere",
							  cli->state_dir, ev->root));
	}
	return 0;
}

/*
 * Can a report be written at out? Its folder reached as the report will be (no link another
 * user could have planted), writable; out absent, a file, or a link to a file (not a folder,
 * a FIFO or a device). Checked before the scan, so that it does not cost a whole scan.
 */
static int
report_target_check(struct cli *cli, const char *out)
{
	if (report_out_check(out, &cli->err) != VG_OK)
		return cli_fail(cli, cli->err.code);
	return 0;
}

static int
report_spec_add(struct cli *cli, struct report_specs *r, const char *arg)
{
	const char *colon = strchr(arg, ':');
	size_t i;

	if (r->n == sizeof(r->v) / sizeof(r->v[0]))
		return cli_usage(cli, "at most %zu --report options", sizeof(r->v) / sizeof(r->v[0]));
	if (colon == NULL || colon[1] == '\0')
		return cli_usage(cli, "--report takes FORMAT:FILE (formats: %s), not '%s'",
				 report_format_names(), arg);
	r->v[r->n].format = strndup(arg, (size_t)(colon - arg));
	r->v[r->n].out = colon + 1;
	if (r->v[r->n].format == NULL)
		return cli_fail(cli, vg_error_set(&cli->err, VG_NOMEM, "out of memory"));
	if (!report_format_known(r->v[r->n].format)) {
		free(r->v[r->n].format);
		return cli_usage(cli, "--report: unknown format in '%s' (formats: %s)", arg,
				 report_format_names());
	}
	r->n++;
	if (strcmp(colon + 1, "-") == 0)
		return cli_usage(cli, "--report on a scan needs a FILE: standard output holds the "
				 "scan's summary (use 'vigil report ID --out -')");
	for (i = 0; i + 1 < r->n; i++)
		if (strcmp(r->v[i].out, colon + 1) == 0)
			return cli_usage(cli, "--report: '%s' is given twice", colon + 1);
	return report_target_check(cli, colon + 1);
}

static void
report_specs_release(struct report_specs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].format);
	r->n = 0;
}

/*
 * Write the reports asked for; *written receives what was written. Returns 0, or
 * EXIT_FAILED with cli->err set (the scan itself is stored either way).
 */
static int
write_reports(struct cli *cli, int64_t scan_id, const struct report_specs *r, json_t *written)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		json_t *one = NULL;

		if (cli_write_report(cli, scan_id, r->v[i].format, r->v[i].out, &one) != EXIT_CLEAN) {
			char msg[sizeof(cli->err.msg)];
			enum vg_err code = cli->err.code;

			snprintf(msg, sizeof(msg), "%s", cli->err.msg);
			vg_error_init(&cli->err);
			vg_error_set(&cli->err, code, "%.900s (scan %lld is stored: 'vigil report "
				     "%lld' writes the report again)", msg, (long long)scan_id,
				     (long long)scan_id);
			return EXIT_FAILED;
		}
		json_array_append_new(written, one);
	}
	return 0;
}

enum {
	OPT_THREADS = 256, OPT_EXCL_PATH, OPT_EXCL_EXT, OPT_EXCL_NAME, OPT_IGNORE_EXCL,
	OPT_NO_ARCHIVES, OPT_MAX_FILESIZE, OPT_MAX_RECURSION, OPT_ONE_FS, OPT_ACTION,
	OPT_INVENTORY, OPT_CASE, OPT_EXAMINER, OPT_REPORT, OPT_ROOT, OPT_ALLOW_MODIFY,
	OPT_VERIFY, OPT_NO_CACHE, OPT_CACHE, OPT_IMAGE, OPT_PARTITION, OPT_OFFSET, OPT_DELETED,
};

static const struct option scan_options[] = {
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "exclude-path", required_argument, NULL, OPT_EXCL_PATH },
	{ "exclude-ext", required_argument, NULL, OPT_EXCL_EXT },
	{ "exclude-name", required_argument, NULL, OPT_EXCL_NAME },
	{ "ignore-exclusions", no_argument, NULL, OPT_IGNORE_EXCL },
	{ "no-archives", no_argument, NULL, OPT_NO_ARCHIVES },
	{ "max-filesize", required_argument, NULL, OPT_MAX_FILESIZE },
	{ "max-recursion", required_argument, NULL, OPT_MAX_RECURSION },
	{ "one-filesystem", no_argument, NULL, OPT_ONE_FS },
	{ "action", required_argument, NULL, OPT_ACTION },
	{ "inventory", no_argument, NULL, OPT_INVENTORY },
	{ "case", required_argument, NULL, OPT_CASE },
	{ "examiner", required_argument, NULL, OPT_EXAMINER },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "allow-modify", no_argument, NULL, OPT_ALLOW_MODIFY },
	{ "verify-unchanged", no_argument, NULL, OPT_VERIFY },
	{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
	{ "cache", no_argument, NULL, OPT_CACHE },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "partition", required_argument, NULL, OPT_PARTITION },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "deleted", no_argument, NULL, OPT_DELETED },
	{ NULL, 0, NULL, 0 },
};

static json_t *
options_json(const struct scanner_options *o, int ignore_excl, int quarantine,
	     const struct cli_evidence *ev, int verify)
{
	json_t *j = json_pack("{s:i, s:b, s:i, s:I, s:I, s:I, s:I, s:I, s:i, s:b, s:b, s:s}",
			 "threads", o->threads, "archives", o->archives, "max_recursion",
			 o->max_depth, "max_filesize", (json_int_t)o->max_filesize,
			 "archive_max_members", (json_int_t)o->archive_max_members,
			 "archive_max_bytes", (json_int_t)o->archive_max_bytes,
			 "archive_max_member_size", (json_int_t)o->archive_max_member_size,
			 "archive_max_ratio", (json_int_t)o->archive_max_ratio, "scan_timeout",
			 o->scan_timeout, "one_filesystem", o->one_filesystem,
			 "ignore_exclusions", ignore_excl, "action",
			 quarantine ? "quarantine" : "report");

	json_object_set_new(j, "root", ev->root ? json_string(ev->root) : json_null());
	json_object_set_new(j, "verify_unchanged", json_boolean(verify));
	return j;
}

int
cmd_scan_run(struct cli *cli)
{
	const char *type = cli->argv[0];
	struct scanner_options o;
	struct excl_set *excl = scanner_excl_create();
	struct roots roots = { 0 };
	struct sigdb *db = NULL;
	struct scanner_totals totals = { 0 };
	int ignore_excl = 0, c, rc = EXIT_FAILED, i, quarantine;
	struct allow_set *allow = NULL;
	int64_t maxthreads, scan_id = 0, n;
	uint64_t size;
	json_t *jopts = NULL, *written = json_array();
	struct report_specs reports = { .n = 0 };
	const char *case_id = NULL, *examiner = NULL, *root_arg = NULL;
	struct cli_evidence ev = { .root = NULL, .rootfd = -1 };
	int allow_modify = 0, verify = 0, quarantine_asked = 0, cache_mode = -1;
	struct scan_cache *cache = NULL;
	char *cache_tag = NULL;
	json_t *verified = NULL;
	enum vg_err e;
	const char *status;
	/* disk images: scan image FILE, or scan quick --image FILE */
	const char *image_arg = NULL;
	int64_t partition = -1, offset = -1;
	int deleted = 0, image_opts = 0, image_failed = 0;
	struct scanner_image *im = NULL;
	json_t *image_spec = NULL;

	cli_scan_options(cli, &o);
	maxthreads = config_get_int(cli->cfg, "antivirus_engine.maximum_scan_threads");
	quarantine = strcmp(config_get_string(cli->cfg, "antivirus_engine.default_action"),
			    "quarantine") == 0;
	if (excl == NULL)
		return cli_fail(cli, vg_error_set(&cli->err, VG_NOMEM, "out of memory"));

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(cli->argc, cli->argv, "", scan_options, NULL)) != -1) {
		switch (c) {
		case OPT_THREADS:
			if (parse_int(optarg, &n) != 0 || n < 1 || n > 1024) {
				cli_usage(cli, "--threads takes a number from 1 to 1024, not '%s'", optarg);
				goto out;
			}
			o.threads = (int)n;
			break;
		case OPT_EXCL_PATH:
		case OPT_EXCL_EXT:
		case OPT_EXCL_NAME:
			e = scanner_excl_add(excl, c == OPT_EXCL_PATH ? EXCL_PATH
						   : c == OPT_EXCL_EXT ? EXCL_EXT : EXCL_NAME,
					     optarg, EXCL_FROM_CLI,
					     c == OPT_EXCL_PATH ? "--exclude-path"
					     : c == OPT_EXCL_EXT ? "--exclude-ext" : "--exclude-name",
					     &cli->err);
			if (e != VG_OK) {
				cli_fail(cli, e);
				goto out;
			}
			break;
		case OPT_IGNORE_EXCL:
			ignore_excl = 1;
			break;
		case OPT_NO_ARCHIVES:
			o.archives = 0;
			break;
		case OPT_MAX_FILESIZE:
			if (parse_size(optarg, &size) != 0) {
				cli_usage(cli, "--max-filesize takes a size (e.g. 100M), not '%s'", optarg);
				goto out;
			}
			o.max_filesize = size;
			break;
		case OPT_MAX_RECURSION:
			if (parse_int(optarg, &n) != 0 || n > 64) {
				cli_usage(cli, "--max-recursion takes a number from 0 to 64, not '%s'",
					  optarg);
				goto out;
			}
			o.max_depth = (int)n;
			break;
		case OPT_ONE_FS:
			o.one_filesystem = 1;
			break;
		case OPT_ACTION:
			if (strcmp(optarg, "report") != 0 && strcmp(optarg, "quarantine") != 0) {
				cli_usage(cli, "--action takes report or quarantine, not '%s'", optarg);
				goto out;
			}
			quarantine = strcmp(optarg, "quarantine") == 0;
			quarantine_asked = quarantine;
			break;
		case OPT_ROOT:
			root_arg = optarg;
			break;
		case OPT_NO_CACHE:
		case OPT_CACHE:
			cache_mode = c == OPT_CACHE;
			break;
		case OPT_ALLOW_MODIFY:
			allow_modify = 1;
			break;
		case OPT_VERIFY:
			verify = 1;
			o.inventory = 1; /* what is verified: every file as it was read */
			break;
		case OPT_INVENTORY:
			o.inventory = 1;
			break;
		case OPT_CASE:
		case OPT_EXAMINER:
			if (optarg[0] == '\0' || strlen(optarg) > 256) {
				cli_usage(cli, "%s takes 1 to 256 characters",
					  c == OPT_CASE ? "--case" : "--examiner");
				goto out;
			}
			*(c == OPT_CASE ? &case_id : &examiner) = optarg;
			break;
		case OPT_REPORT:
			if (report_spec_add(cli, &reports, optarg) != 0)
				goto out;
			break;
		case OPT_IMAGE:
			image_arg = optarg;
			break;
		case OPT_PARTITION:
		case OPT_OFFSET:
			if (parse_int(optarg, &n) != 0 || n < 0 ||
			    (c == OPT_PARTITION && n > 4096)) {
				cli_usage(cli, "%s takes a %s, not '%s'",
					  c == OPT_PARTITION ? "--partition" : "--offset",
					  c == OPT_PARTITION ? "partition number (1 for the first; 0 for "
							       "an image with no partition table)"
							     : "byte offset", optarg);
				goto out;
			}
			*(c == OPT_PARTITION ? &partition : &offset) = n;
			image_opts = 1;
			break;
		case OPT_DELETED:
			deleted = 1;
			image_opts = 1;
			break;
		default:
			cli_usage(cli, "unknown option '%s'", cli->argv[optind - 1]);
			goto out;
		}
	}
	if (o.threads > maxthreads && maxthreads > 0)
		o.threads = (int)maxthreads;
	for (i = 0; i < (int)reports.n; i++)
		if (strcmp(reports.v[i].format, "bodyfile") == 0 && !o.inventory) {
			cli_usage(cli, "--report bodyfile:... lists every file: add --inventory");
			goto out;
		}

	if (strcmp(type, "image") == 0) {
		if (optind + 1 != cli->argc) {
			cli_usage(cli, "scan image takes one disk image FILE");
			goto out;
		}
		image_arg = cli->argv[optind++];
	} else if (image_arg && strcmp(type, "quick") != 0) {
		cli_usage(cli, "--image is for 'scan quick --image FILE' (or use 'scan image FILE')");
		goto out;
	}
	if (image_opts && image_arg == NULL) {
		cli_usage(cli, "--partition, --offset and --deleted are for disk images "
			  "('scan image FILE')");
		goto out;
	}
	if (image_arg) {
		const char *bad = partition >= 0 && offset >= 0 ? "--partition with --offset"
				  : root_arg ? "--root" : verify ? "--verify-unchanged"
				  : quarantine_asked ? "--action quarantine"
				  : o.one_filesystem ? "--one-filesystem" : NULL;
		char *abs = NULL;

		if (bad) {
			cli_usage(cli, "%s: not with a disk image (it is read directly and never "
				  "changed)", bad);
			goto out;
		}
		quarantine = 0; /* the configured default does not apply to an image */
		cache_mode = 0;	/* device and inode numbers are the image's, not this machine's */
		if (vg_path_absolute(image_arg, &abs, &cli->err) != VG_OK) {
			cli_fail(cli, cli->err.code);
			goto out;
		}
		image_spec = cli_image_spec(abs, partition, offset, deleted,
					    strcmp(type, "quick") == 0
						    ? config_get(cli->cfg,
								 "filesystem_scanner.quick_scan_directories")
						    : NULL);
		if (image_spec == NULL || roots_add(&roots, abs, &cli->err) != 0) {
			free(abs);
			cli_fail(cli, VG_NOMEM);
			goto out;
		}
		free(abs);
		if (cli_image_open(cli, image_spec, &im) != 0)
			goto out;
		o.image = im;
		o.spool_dir = cli->state_dir; /* large files of the image are copied there */
	}
	if (root_arg && cli_evidence_open(cli, root_arg, &ev) != 0)
		goto out;
	/* evidence is read, never changed: moving files out of it needs saying so */
	if (ev.root && quarantine && !allow_modify) {
		if (quarantine_asked) {
			cli_usage(cli, "--action quarantine with --root would modify the evidence: "
				  "add --allow-modify if that is meant");
			goto out;
		}
		quarantine = 0; /* the configured default does not apply to evidence */
	}
	if (im) {
		/* the one root is the image */
	} else if (strcmp(type, "custom") == 0) {
		if (optind >= cli->argc) {
			cli_usage(cli, "scan custom needs at least one PATH");
			goto out;
		}
		for (i = optind; i < cli->argc; i++)
			if (root_add(cli, &roots, &ev, cli->argv[i], "") != 0)
				goto out;
	} else if (optind < cli->argc) {
		cli_usage(cli, "scan %s takes no PATH (use 'scan custom PATH...')", type);
		goto out;
	} else if (strcmp(type, "quick") == 0) {
		if (quick_roots(cli, &roots, &ev) != 0) {
			cli_fail(cli, VG_NOMEM);
			goto out;
		}
	} else if (root_add(cli, &roots, &ev,
			    config_get_string(cli->cfg, "filesystem_scanner.full_scan_directory"),
			    " (filesystem_scanner.full_scan_directory)") != 0) {
		goto out;
	}
	if (writes_outside(cli, &roots, &ev, &reports) != 0)
		goto out;

	if (!ignore_excl && cli_load_exclusions(cli, excl) != 0)
		goto out;
	if (ignore_excl) {
		scanner_excl_destroy(excl);
		excl = scanner_excl_create();
		if (excl == NULL || cli_builtin_exclusions(cli, excl) != 0) {
			cli_fail(cli, VG_NOMEM);
			goto out;
		}
	}
	if (im)
		scanner_excl_drop(excl, EXCL_BUILTIN);
	if (ev.root && scanner_excl_set_root(excl, ev.root, &cli->err) != VG_OK) {
		cli_fail(cli, VG_NOMEM);
		goto out;
	}
	o.excl = excl;
	o.stop = &cli_stop;
	if (cli_load_allow(cli, &allow) != 0)
		goto out;
	o.allow = allow;
	if (quarantine) {
		/* refuse a bad key or state folder before scanning, not after */
		struct vault *v = NULL;

		if (cli_open_vault(cli, &v) != 0)
			goto out;
		quarantine_close(v);
	}

	e = sigdb_open(cli->st, cli->state_dir, &db, &cli->err);
	if (e != VG_OK) {
		cli_fail(cli, e);
		goto out;
	}

	/* the scan cache: on by default, off for evidence (--root) unless --cache */
	if (cache_mode < 0)
		cache_mode = ev.root == NULL;
	if (cache_mode && config_get_int(cli->cfg, "antivirus_engine.scan_cache_maximum") > 0) {
		cache_tag = scanner_cache_tag(sigdb_digest(db), &o);
		if (cache_tag == NULL) {
			cli_fail(cli, VG_NOMEM);
			goto out;
		}
		e = o.inventory ? VG_OK /* every file is read anyway */
				: scanner_cache_load(cli->st, cache_tag,
						     config_get_int(cli->cfg,
								    "antivirus_engine.scan_cache_maximum"),
						     &cache, &cli->err);
		if (e != VG_OK) {
			cli_fail(cli, e);
			goto out;
		}
		o.cache = cache;
		o.cache_tag = cache_tag;
	}
	o.progress = 1;
	jopts = options_json(&o, ignore_excl, quarantine, &ev, verify);
	json_object_set_new(jopts, "cache", json_boolean(cache_mode));
	if (image_spec)
		json_object_set(jopts, "image", image_spec);
	if (cli_scan_begin(cli, db, &(struct cli_scan){ .type = type, .threads = o.threads,
							.roots = roots.v, .nroots = roots.n,
							.options = jopts, .excl = excl,
							.case_id = case_id, .examiner = examiner,
							.inventory = o.inventory },
			   &scan_id) != 0)
		goto out;
	if (store_scan_set_running(cli->st, scan_id, getpid(), &cli->err) != VG_OK) {
		cli_fail(cli, cli->err.code);
		goto out;
	}

	e = cli_scan_engine(cli, &o, db, scan_id, roots.v, roots.n, &totals);
	image_failed = im && e == VG_OK && cli_image_finish(cli, scan_id, im) != 0;

	status = e != VG_OK ? "failed" : totals.interrupted ? "interrupted" : "completed";
	/* before the totals are recorded: a file that could not be moved is an error */
	if (e == VG_OK && quarantine && totals.threats > 0)
		cli_quarantine_findings(cli, scan_id, &totals);
	cli_scan_finish(cli, scan_id, status, &totals, e != VG_OK);
	if (e != VG_OK) {
		cli_fail(cli, e);
		goto out;
	}
	cli_scan_housekeeping(cli, scan_id, status, cache_tag);
	if (verify && cli_verify_unchanged(cli, scan_id, &verified) != 0)
		goto out;
	if (write_reports(cli, scan_id, &reports, written) != 0) {
		cli_scan_summary(cli, scan_id, type, status, quarantine ? "quarantine" : "report",
			      &totals, db, written);
		rc = EXIT_FAILED;
		goto out;
	}
	cli_scan_summary(cli, scan_id, type, status, quarantine ? "quarantine" : "report", &totals, db,
		      written);
	if (verified && json_array_size(json_object_get(verified, "changed")) > 0) {
		rc = cli_fail(cli, vg_error_set(&cli->err, VG_IO, "%zu of %lld files changed "
						"during the scan (see 'vigil scan show %lld')",
						json_array_size(json_object_get(verified, "changed")),
						(long long)json_integer_value(
							json_object_get(verified, "checked")),
						(long long)scan_id));
		goto out;
	}
	if (verified && !cli->quiet && !cli->json)
		printf("Verified unchanged: %lld files (size, times, SHA-256 read again)\n",
		       (long long)json_integer_value(json_object_get(verified, "unchanged")));
	rc = cli_scan_exit(cli, scan_id, &totals, image_failed, "interrupted");
out:
	scanner_image_close(im);
	json_decref(image_spec);
	free(cache_tag);
	scanner_cache_destroy(cache);
	json_decref(verified);
	cli_evidence_close(&ev);
	json_decref(totals.file_types);
	json_decref(written);
	report_specs_release(&reports);
	json_decref(jopts);
	sigdb_release(db);
	roots_release(&roots);
	scanner_excl_destroy(excl);
	scanner_allow_destroy(allow);
	return rc;
}

int
cmd_scan_preflight(struct cli *cli)
{
	const char *root = NULL;
	char *real_root, *real_state, *p;
	int i, inside;

	for (i = 1; i < cli->argc; i++) {
		if (strcmp(cli->argv[i], "--") == 0)
			break;
		if (strcmp(cli->argv[i], "--root") == 0 && i + 1 < cli->argc)
			root = cli->argv[i + 1];
		else if (strncmp(cli->argv[i], "--root=", 7) == 0)
			root = cli->argv[i] + 7;
	}
	if (root == NULL || (real_root = realpath(root, NULL)) == NULL)
		return 0; /* a bad --root is reported by the scan itself */
	/* the state folder may not exist yet: its nearest existing folder decides */
	p = strdup(cli->state_dir);
	real_state = NULL;
	while (p && (real_state = realpath(p, NULL)) == NULL) {
		char *slash = strrchr(p, '/');

		if (slash == NULL || slash == p) {
			real_state = realpath(slash ? "/" : ".", NULL);
			break;
		}
		*slash = '\0';
	}
	inside = real_state && cli_evidence_inside(real_state, real_root);
	free(p);
	free(real_state);
	if (inside) {
		vg_error_set(&cli->err, VG_INVAL, "the state folder '%s' is inside --root '%s': "
			     "nothing may be written there; use --state-dir elsewhere",
			     cli->state_dir, real_root);
		free(real_root);
		return cli_fail(cli, VG_INVAL);
	}
	free(real_root);
	return 0;
}

