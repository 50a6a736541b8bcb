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
#include "scanner/job.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"


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
quick_roots(struct cli *cli, struct scan_spec *r, struct cli_evidence *ev)
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
				  scan_spec_add_root(r, host, &cli->err) != VG_OK;

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
root_add(struct cli *cli, struct scan_spec *r, struct cli_evidence *ev, const char *path,
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
	} else if (scan_spec_add_root(r, host, &cli->err) != VG_OK) {
		rc = cli_fail(cli, cli->err.code);
	}
	free(host);
	return rc;
}

/*
 * Evidence is never written to: no report inside a scanned folder, and with --root no
 * state folder inside the image either.
 */
static int
writes_outside(struct cli *cli, const struct scan_spec *r, struct cli_evidence *ev,
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
		for (k = 0; real && k < r->roots.n + (ev->root != NULL); k++) {
			const char *root = k < r->roots.n ? r->roots.v[k] : ev->root;

			if (vg_path_within(real, root) ||
			    (target && vg_path_within(target, root)) ||
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
		int inside = state && vg_path_within(state, ev->root);

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
	OPT_NO_DEEP, OPT_PARENT, OPT_LIST, OPT_CREDENTIAL,
};

static const struct option scan_options[] = {
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "exclude-path", required_argument, NULL, OPT_EXCL_PATH },
	{ "exclude-ext", required_argument, NULL, OPT_EXCL_EXT },
	{ "exclude-name", required_argument, NULL, OPT_EXCL_NAME },
	{ "ignore-exclusions", no_argument, NULL, OPT_IGNORE_EXCL },
	{ "no-archives", no_argument, NULL, OPT_NO_ARCHIVES },
	{ "no-deep-containers", no_argument, NULL, OPT_NO_DEEP },
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
	{ "parent", required_argument, NULL, OPT_PARENT },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "credential", required_argument, NULL, OPT_CREDENTIAL },
	{ NULL, 0, NULL, 0 },
};

/* The flags of a scan, into its spec (and the command line's own: reports, case, image). */
struct scan_flags {
	struct report_specs reports;
	const char *case_id, *examiner, *root_arg, *image_arg, *parent_arg;
	int64_t partition, offset;
	int deleted, image_opts, list;
	struct image_creds creds;	/* --credential: keys of encrypted volumes */
};

/* The options of disk images (scan image, scan quick --image): 0 when taken, the usage
 * error's exit code, or -1 when c is no such option. */
static int
image_flag(struct cli *cli, int c, struct scan_flags *f)
{
	int64_t n;

	switch (c) {
	case OPT_IMAGE:
		f->image_arg = optarg;
		return 0;
	case OPT_PARTITION:
	case OPT_OFFSET:
		if (parse_int(optarg, &n) != 0 || n < 0 || (c == OPT_PARTITION && n > 4096))
			return cli_usage(cli, "%s takes a %s, not '%s'",
					 c == OPT_PARTITION ? "--partition" : "--offset",
					 c == OPT_PARTITION ? "partition number (1 for the first; 0 "
							      "for an image with no partition table)"
							    : "byte offset", optarg);
		*(c == OPT_PARTITION ? &f->partition : &f->offset) = n;
		f->image_opts = 1;
		return 0;
	case OPT_DELETED:
		f->deleted = 1;
		f->image_opts = 1;
		return 0;
	case OPT_LIST:
		f->list = 1;
		return 0;
	case OPT_CREDENTIAL:
		if (image_creds_add(&f->creds, optarg, &cli->err) != VG_OK)
			return cli_usage(cli, "%s", cli->err.msg);
		f->image_opts = 1;
		return 0;
	case OPT_PARENT:
		if (f->parent_arg)
			return cli_usage(cli, "--parent is given once: the direct parent (its own "
					 "parent is looked for beside it)");
		f->parent_arg = optarg;
		f->image_opts = 1;
		return 0;
	default:
		return -1;
	}
}

static int
parse_flags(struct cli *cli, struct scan_spec *sp, struct scan_flags *f)
{
	int64_t n;
	uint64_t size;
	enum vg_err e;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(cli->argc, cli->argv, "", scan_options, NULL)) != -1) {
		switch (c) {
		case OPT_THREADS:
			if (parse_int(optarg, &n) != 0 || n < 1 || n > 1024)
				return cli_usage(cli, "--threads takes a number from 1 to 1024, not '%s'",
						 optarg);
			sp->o.threads = (int)n;
			break;
		case OPT_EXCL_PATH:
		case OPT_EXCL_EXT:
		case OPT_EXCL_NAME:
			e = scanner_excl_add(sp->excl, c == OPT_EXCL_PATH ? EXCL_PATH
						       : c == OPT_EXCL_EXT ? EXCL_EXT : EXCL_NAME,
					     optarg, EXCL_FROM_CLI,
					     c == OPT_EXCL_PATH ? "--exclude-path"
					     : c == OPT_EXCL_EXT ? "--exclude-ext" : "--exclude-name",
					     &cli->err);
			if (e != VG_OK)
				return cli_fail(cli, e);
			break;
		case OPT_IGNORE_EXCL:
			sp->ignore_exclusions = 1;
			break;
		case OPT_NO_ARCHIVES:
			sp->o.archives = 0;
			break;
		case OPT_NO_DEEP:
			sp->o.deep_containers = 0;
			break;
		case OPT_MAX_FILESIZE:
			if (parse_size(optarg, &size) != 0)
				return cli_usage(cli, "--max-filesize takes a size (e.g. 100M), not '%s'",
						 optarg);
			sp->o.max_filesize = size;
			break;
		case OPT_MAX_RECURSION:
			if (parse_int(optarg, &n) != 0 || n > 64)
				return cli_usage(cli, "--max-recursion takes a number from 0 to 64, not "
						 "'%s'", optarg);
			sp->o.max_depth = (int)n;
			break;
		case OPT_ONE_FS:
			sp->o.one_filesystem = 1;
			break;
		case OPT_ACTION:
			if (strcmp(optarg, "report") != 0 && strcmp(optarg, "quarantine") != 0)
				return cli_usage(cli, "--action takes report or quarantine, not '%s'",
						 optarg);
			sp->quarantine = strcmp(optarg, "quarantine") == 0;
			sp->quarantine_asked = sp->quarantine;
			break;
		case OPT_ROOT:
			f->root_arg = optarg;
			break;
		case OPT_NO_CACHE:
		case OPT_CACHE:
			sp->cache = c == OPT_CACHE;
			break;
		case OPT_ALLOW_MODIFY:
			sp->allow_modify = 1;
			break;
		case OPT_VERIFY:
			sp->verify_unchanged = 1;
			break;
		case OPT_INVENTORY:
			sp->o.inventory = 1;
			break;
		case OPT_CASE:
		case OPT_EXAMINER:
			if (optarg[0] == '\0' || strlen(optarg) > 256)
				return cli_usage(cli, "%s takes 1 to 256 characters",
						 c == OPT_CASE ? "--case" : "--examiner");
			*(c == OPT_CASE ? &f->case_id : &f->examiner) = optarg;
			break;
		case OPT_REPORT:
			if (report_spec_add(cli, &f->reports, optarg) != 0)
				return EXIT_FAILED;
			break;
		default:
			if ((n = image_flag(cli, c, f)) == -1)
				return cli_usage(cli, "unknown option '%s'", cli->argv[optind - 1]);
			if (n != 0)
				return (int)n;
		}
	}
	return 0;
}

/* One volume of scan image --list, as a line; hostile names escaped. */
static void
print_volume(json_t *v)
{
	const char *d = json_string_value(json_object_get(v, "description"));
	char *desc = vg_text_escape(d ? d : "", d ? strlen(d) : 0);
	const char *fs = json_string_value(json_object_get(v, "filesystem"));
	const char *enc = json_string_value(json_object_get(v, "encryption"));
	const char *why = json_string_value(json_object_get(v, "reason"));
	char *r = why ? vg_text_escape(why, strlen(why)) : NULL;

	json_t *chain = json_object_get(v, "chain"), *c;
	size_t i, n = json_array_size(chain) - (fs != NULL); /* the file system is said below */

	printf("  partition %lld ", (long long)json_integer_value(json_object_get(v, "partition")));
	for (i = 0; i < n && (c = json_array_get(chain, i)) != NULL; i++) {
		char *e = vg_text_escape(json_string_value(c), json_string_length(c));

		printf("%s%s", i ? " > " : "(", e ? e : "?");
		free(e);
	}
	printf("%s offset %lld  length %lld  \"%s\"  ", n ? ") " : "",
	       (long long)json_integer_value(json_object_get(v, "offset")),
	       (long long)json_integer_value(json_object_get(v, "length")), desc ? desc : "?");
	if (json_is_false(json_object_get(v, "selected")))
		printf("not read: %s\n", r ? r : "not selected");
	else if (json_is_true(json_object_get(v, "container")))
		printf("%s%s%s\n", enc ? enc : "container", enc ? ", unlocked with a " : "",
		       enc ? json_string_value(json_object_get(v, "unlocked_with")) : "");
	else if (fs && !json_object_get(v, "blocks"))
		printf("%s\n", fs);
	else if (fs)
		printf("%s, %lld blocks of %lld bytes\n", fs,
		       (long long)json_integer_value(json_object_get(v, "blocks")),
		       (long long)json_integer_value(json_object_get(v, "block_size")));
	else if (enc)
		printf("encrypted: %s: %s\n", enc, r ? r : "locked");
	else
		printf("no file system: %s\n", r ? r : "");
	free(desc);
	free(r);
}

/* scan image FILE --list: the volumes, file systems and encryption, without scanning. */
static int
list_image(struct cli *cli, struct scan_flags *f)
{
	struct scanner_image *im = NULL;
	json_t *doc, *v;
	char *file;
	size_t i;

	if (scanner_image_open(f->image_arg, f->parent_arg, (int)f->partition, f->offset, 0,
			       &f->creds, &im, &cli->err) != VG_OK)
		return cli_fail(cli, cli->err.code);
	vg_error_init(&cli->err);
	doc = scanner_image_list(im, &cli->err);
	scanner_image_close(im);
	if (doc == NULL)
		return cli_fail(cli, cli->err.code != VG_OK
					     ? cli->err.code
					     : vg_error_set(&cli->err, VG_NOMEM, "out of memory"));
	if (cli->json) {
		out_json(cli, doc);
		return EXIT_CLEAN;
	}
	file = vg_text_escape(f->image_arg, strlen(f->image_arg));
	printf("%s: %s, %lld bytes, %zu volume%s\n", file ? file : "?",
	       json_string_value(json_object_get(doc, "format")),
	       (long long)json_integer_value(json_object_get(doc, "size")),
	       json_array_size(json_object_get(doc, "volumes")),
	       json_array_size(json_object_get(doc, "volumes")) == 1 ? "" : "s");
	json_array_foreach(json_object_get(doc, "volumes"), i, v)
		print_volume(v);
	free(file);
	json_decref(doc);
	return EXIT_CLEAN;
}

/* The disk image of scan image FILE or scan quick --image FILE; 0 when there is none. */
static int
image_of(struct cli *cli, struct scan_spec *sp, struct scan_flags *f)
{
	if (strcmp(sp->type, "image") == 0) {
		if (optind + 1 != cli->argc)
			return cli_usage(cli, "scan image takes one disk image FILE");
		f->image_arg = cli->argv[optind++];
	} else if (f->image_arg && strcmp(sp->type, "quick") != 0) {
		return cli_usage(cli, "--image is for 'scan quick --image FILE' (or use 'scan image "
				 "FILE')");
	}
	if (f->image_opts && f->image_arg == NULL)
		return cli_usage(cli, "--partition, --offset, --deleted and --parent are for disk "
				 "images ('scan image FILE')");
	if (f->partition >= 0 && f->offset >= 0)
		return cli_usage(cli, "--partition and --offset both choose the volume to scan: give "
				 "one (--partition N, or --offset BYTES where it starts)");
	if (f->image_arg == NULL)
		return 0;
	if (scan_spec_set_image(sp, f->image_arg, f->parent_arg, f->partition, f->offset,
				f->deleted,
				strcmp(sp->type, "quick") == 0
					? config_get(cli->cfg, "filesystem_scanner.quick_scan_directories")
					: NULL,
				&cli->err) != VG_OK)
		return cli_fail(cli, cli->err.code);
	return 0;
}

/* The roots of a custom, quick or full scan (an image is its own root). */
static int
roots_of(struct cli *cli, struct scan_spec *sp, struct cli_evidence *ev)
{
	int i;

	if (sp->image)
		return optind < cli->argc ? cli_usage(cli, "scan %s takes no PATH", sp->type) : 0;
	if (strcmp(sp->type, "custom") == 0) {
		if (optind >= cli->argc)
			return cli_usage(cli, "scan custom needs at least one PATH");
		for (i = optind; i < cli->argc; i++)
			if (root_add(cli, sp, ev, cli->argv[i], "") != 0)
				return EXIT_FAILED;
		return 0;
	}
	if (optind < cli->argc)
		return cli_usage(cli, "scan %s takes no PATH (use 'scan custom PATH...')", sp->type);
	if (strcmp(sp->type, "quick") == 0)
		return quick_roots(cli, sp, ev) != 0 ? cli_fail(cli, VG_NOMEM) : 0;
	return root_add(cli, sp, ev,
			config_get_string(cli->cfg, "filesystem_scanner.full_scan_directory"),
			" (filesystem_scanner.full_scan_directory)");
}

/* Exclusions: the built-in one, the store's and the configured ones, or only the first. */
static int
exclusions_of(struct cli *cli, struct scan_spec *sp)
{
	if (sp->ignore_exclusions) {
		scanner_excl_destroy(sp->excl);
		sp->excl = scanner_excl_create();
		if (sp->excl == NULL)
			return cli_fail(cli, vg_error_set(&cli->err, VG_NOMEM, "out of memory"));
		return cli_builtin_exclusions(cli, sp->excl);
	}
	return cli_load_exclusions(cli, sp->excl);
}

/* After the job: --verify-unchanged, the reports, the summary, the exit code. */
static int
after_scan(struct cli *cli, struct scan_job *job, const struct scan_flags *f)
{
	const struct scan_spec *sp = scan_job_spec(job);
	const struct scanner_totals *t = scan_job_totals(job);
	const char *status = scan_job_status(job), *action = sp->quarantine ? "quarantine" : "report";
	int64_t id = scan_job_id(job);
	json_t *verified = NULL, *written = json_array();
	int rc;

	if (sp->verify_unchanged && cli_verify_unchanged(cli, id, &verified) != 0) {
		json_decref(written);
		return EXIT_FAILED;
	}
	if (write_reports(cli, id, &f->reports, written) != 0) {
		char msg[sizeof(cli->err.msg)];
		enum vg_err code = cli->err.code;

		/* the report's failure is the one reported, the summary shown all the same */
		snprintf(msg, sizeof(msg), "%s", cli->err.msg);
		cli_scan_summary(cli, id, sp->type, status, action, t, scan_job_rules(job), written);
		vg_error_init(&cli->err);
		vg_error_set(&cli->err, code, "%s", msg);
		json_decref(verified);
		json_decref(written);
		return EXIT_FAILED;
	}
	rc = cli_scan_summary(cli, id, sp->type, status, action, t, scan_job_rules(job), written);
	json_decref(written);
	if (rc != 0) {
		json_decref(verified);
		return rc;
	}
	if (verified && json_array_size(json_object_get(verified, "changed")) > 0) {
		rc = cli_fail(cli, vg_error_set(&cli->err, VG_IO, "%zu of %lld files changed "
						"during the scan (see 'vigil scan show %lld')",
						json_array_size(json_object_get(verified, "changed")),
						(long long)json_integer_value(
							json_object_get(verified, "checked")),
						(long long)id));
		json_decref(verified);
		return rc;
	}
	if (verified && !cli->quiet && !cli->json)
		printf("Verified unchanged: %lld files (size, times, SHA-256 read again)\n",
		       (long long)json_integer_value(json_object_get(verified, "unchanged")));
	json_decref(verified);
	if (scan_job_unreadable(job))
		vg_error_set(&cli->err, VG_IO, "%s", scan_job_unreadable(job));
	return cli_scan_exit(cli, id, t, scan_job_unreadable(job) != NULL, "interrupted");
}

int
cmd_scan_run(struct cli *cli)
{
	struct scan_spec sp;
	struct scan_flags f = { .reports = { .n = 0 }, .partition = -1, .offset = -1 };
	struct cli_evidence ev = { .root = NULL, .rootfd = -1 };
	struct allow_set *allow = NULL;
	struct scan_job *job = NULL;
	struct scan_env env;
	json_t *cmd = NULL;
	size_t i;
	int rc = EXIT_FAILED;

	scan_spec_init(&sp, cli->cfg);
	snprintf(sp.type, sizeof(sp.type), "%s", cli->argv[0]);
	if ((sp.excl = scanner_excl_create()) == NULL) {
		cli_fail(cli, vg_error_set(&cli->err, VG_NOMEM, "out of memory"));
		goto out;
	}
	if (parse_flags(cli, &sp, &f) != 0 || image_of(cli, &sp, &f) != 0)
		goto out;
	cli_credential_prompt(cli, &f.creds);
	sp.creds = &f.creds;
	if (f.list) {
		rc = strcmp(sp.type, "image") != 0
			     ? cli_usage(cli, "--list is for 'scan image FILE --list'")
			     : list_image(cli, &f);
		goto out;
	}
	if (f.root_arg && cli_evidence_open(cli, f.root_arg, &ev) != 0)
		goto out;
	if (ev.root && (sp.evidence_root = strdup(ev.root)) == NULL) {
		cli_fail(cli, vg_error_set(&cli->err, VG_NOMEM, "out of memory"));
		goto out;
	}
	if (roots_of(cli, &sp, &ev) != 0 || writes_outside(cli, &sp, &ev, &f.reports) != 0 ||
	    exclusions_of(cli, &sp) != 0)
		goto out;
	if (scan_spec_settle(&sp, cli->cfg, &cli->err) != VG_OK) {
		if (cli->err.code == VG_USAGE)
			cli_usage(cli, "%s", cli->err.msg);
		else
			cli_fail(cli, cli->err.code);
		goto out;
	}
	for (i = 0; i < f.reports.n; i++)
		if (strcmp(f.reports.v[i].format, "bodyfile") == 0 && !sp.o.inventory) {
			cli_usage(cli, "--report bodyfile:... lists every file: add --inventory");
			goto out;
		}
	if (ev.root && scanner_excl_set_root(sp.excl, ev.root, &cli->err) != VG_OK) {
		cli_fail(cli, VG_NOMEM);
		goto out;
	}
	if (cli_load_allow(cli, &allow) != 0)
		goto out;
	if (sp.quarantine) {
		/* refuse a bad key or state folder before scanning, not after */
		struct vault *v = NULL;

		if (cli_open_vault(cli, &v) != 0)
			goto out;
		quarantine_close(v);
	}
	cli_scan_env(cli, allow, &env);
	cmd = cli_command_line(cli);
	if (scan_job_new(&env, &sp,
			 &(struct scan_custody){ .case_id = f.case_id, .examiner = f.examiner,
						 .command_line = cmd },
			 &job, &cli->err) != VG_OK) {
		cli_fail(cli, cli->err.code);
		goto out;
	}
	if (cli_run_job(cli, job) != VG_OK) {
		cli_fail(cli, cli->err.code);
		goto out;
	}
	rc = after_scan(cli, job, &f);
out:
	scan_job_free(job);
	json_decref(cmd);
	cli_evidence_close(&ev);
	report_specs_release(&f.reports);
	image_creds_release(&f.creds);
	scan_spec_release(&sp);
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
	inside = real_state && vg_path_within(real_state, real_root);
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

