/* cli/cmd_scan.c — vigil scan quick|full|custom|list|show. */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "core/path.h"
#include "quarantine/quarantine.h"
#include "reports/report.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"

#define PROBLEMS_SHOWN 1000
#define PROBLEMS_SHOWN_TEXT 20

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
		char *dir = strdup(reports->v[i].out), *slash, *real;

		if (dir == NULL)
			return cli_fail(cli, VG_NOMEM);
		slash = strrchr(dir, '/');
		if (slash)
			*(slash == dir ? slash + 1 : slash) = '\0';
		real = realpath(slash ? dir : ".", NULL);
		free(dir);
		for (k = 0; real && k < r->n + (ev->root != NULL); k++) {
			const char *root = k < r->n ? r->v[k] : ev->root;

			if (cli_evidence_inside(real, root)) {
				char *esc = vg_text_escape(reports->v[i].out, strlen(reports->v[i].out));

				vg_error_set(&cli->err, VG_INVAL, "report '%s' would be written inside "
					     "the scanned folder '%s': write it elsewhere",
					     esc ? esc : "?", root);
				free(esc);
				free(real);
				return cli_fail(cli, VG_INVAL);
			}
		}
		free(real);
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

/* Can a report be written at out? Its folder must be a writable folder, out no folder. */
static int
report_target_check(struct cli *cli, const char *out)
{
	char *dir = strdup(out), *slash, *esc;
	const char *why = NULL;
	struct stat sb;

	if (dir == NULL)
		return cli_fail(cli, vg_error_set(&cli->err, VG_NOMEM, "out of memory"));
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (stat(slash ? dir : ".", &sb) != 0)
		why = strerror(errno);
	else if (!S_ISDIR(sb.st_mode))
		why = strerror(ENOTDIR);
	else if (access(slash ? dir : ".", W_OK | X_OK) != 0)
		why = strerror(errno);
	else if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode))
		why = "it is a folder";
	free(dir);
	if (why == NULL)
		return 0;
	esc = vg_text_escape(out, strlen(out));
	vg_error_set(&cli->err, VG_IO, "cannot write report '%s': %s", esc ? esc : "?", why);
	free(esc);
	return cli_fail(cli, VG_IO);
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

static void
on_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

struct progress_ctx {
	int enabled;
	int printed;
};

static void
show_progress(const struct scanner_progress *p, void *arg)
{
	struct progress_ctx *pc = arg;
	struct winsize ws;
	char bytes[32], line[512];
	char *cur;
	int cols = 100, n;

	if (!pc->enabled)
		return;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		cols = ws.ws_col;
	out_bytes(bytes, sizeof(bytes), p->bytes);
	n = snprintf(line, sizeof(line), "%lld files, %s, %.0f files/s, %.1f MB/s, %lld threats  ",
		     (long long)p->files, bytes, p->elapsed_s > 0 ? p->files / p->elapsed_s : 0.0,
		     p->elapsed_s > 0 ? p->bytes / p->elapsed_s / 1e6 : 0.0, (long long)p->threats);
	cur = vg_text_escape(p->current, strlen(p->current));
	if (cur && n > 0 && n < cols - 4) {
		int room = cols - n - 1;
		size_t cl = strlen(cur);

		/* keep the end of the folder name: it is the informative part */
		if ((int)cl > room)
			snprintf(line + n, sizeof(line) - (size_t)n, "...%s", cur + cl - (room - 3));
		else
			snprintf(line + n, sizeof(line) - (size_t)n, "%s", cur);
	}
	free(cur);
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
	pc->printed = 1;
}

enum {
	OPT_THREADS = 256, OPT_EXCL_PATH, OPT_EXCL_EXT, OPT_EXCL_NAME, OPT_IGNORE_EXCL,
	OPT_NO_ARCHIVES, OPT_MAX_FILESIZE, OPT_MAX_RECURSION, OPT_ONE_FS, OPT_ACTION,
	OPT_INVENTORY, OPT_CASE, OPT_EXAMINER, OPT_REPORT, OPT_ROOT, OPT_ALLOW_MODIFY,
	OPT_VERIFY, OPT_NO_CACHE, OPT_CACHE,
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

static void
print_summary(struct cli *cli, int64_t scan_id, const char *type, const char *status,
	      const char *action, const struct scanner_totals *t, struct sigdb *db,
	      json_t *reports)
{
	json_t *threats = NULL, *problems = NULL, *allowed = NULL, *v;
	struct vg_error e2;
	size_t i;

	vg_error_init(&e2);
	store_threat_list_json(cli->st, scan_id, 0, &threats, &e2);
	store_threat_list_json(cli->st, scan_id, 1, &allowed, &e2);
	if (allowed == NULL)
		allowed = json_array();
	store_problem_list_json(cli->st, scan_id, cli->json ? PROBLEMS_SHOWN : PROBLEMS_SHOWN_TEXT,
				&problems, &e2);
	if (threats == NULL)
		threats = json_array();
	if (problems == NULL)
		problems = json_array();
	if (cli->json) {
		json_t *doc = json_pack(
			"{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:s, s:o, s:o, s:b}",
			"scan_id", (json_int_t)scan_id, "type", type, "status", status,
			"files_scanned", (json_int_t)t->files_scanned, "bytes_scanned",
			(json_int_t)t->bytes_scanned, "objects_scanned", (json_int_t)t->objects_scanned,
			"errors", (json_int_t)t->errors, "skipped", (json_int_t)t->skipped, "excluded",
			(json_int_t)t->excluded, "threats_found", (json_int_t)t->threats, "duration_s",
			t->duration_s, "sig_version", (json_int_t)sigdb_version(db), "rules_digest",
			sigdb_digest(db), "threats", threats, "problems", problems,
			"problems_truncated",
			(json_int_t)json_array_size(problems) < t->errors + t->skipped);
		json_object_set_new(doc, "action", json_string(action));
		json_object_set_new(doc, "allowed_count", json_integer(t->allowed));
		json_object_set_new(doc, "files_cached", json_integer(t->cached));
		json_object_set_new(doc, "files_resumed", json_integer(t->resumed));
		json_object_set_new(doc, "allowed", allowed);
		json_object_set(doc, "reports", reports);
		out_json(cli, doc);
		return;
	}
	if (!cli->quiet || json_array_size(threats) > 0)
		json_array_foreach(threats, i, v)
			out_threat_line(v);
	if (!cli->quiet) {
		char bytes[32];

		out_bytes(bytes, sizeof(bytes), t->bytes_scanned);
		printf("\n----------- SCAN SUMMARY -----------\n");
		printf("Scan ID: %lld (%s, %s)\n", (long long)scan_id, type, status);
		printf("Signatures: version %lld, %lld rules, %lld hashes\n",
		       (long long)sigdb_version(db), (long long)sigdb_rule_count(db),
		       (long long)sigdb_hash_count(db));
		if (t->cached > 0)
			printf("From the scan cache (unchanged since scanned clean): %lld files\n",
			       (long long)t->cached);
		if (t->resumed > 0)
			printf("Finished before the interruption: %lld files\n", (long long)t->resumed);
		printf("Files scanned: %lld (%s); objects incl. archive members: %lld\n",
		       (long long)t->files_scanned, bytes, (long long)t->objects_scanned);
		printf("Threats found: %lld\n", (long long)t->threats);
		if (t->allowed > 0) {
			printf("Allowed (by the allow list): %lld\n", (long long)t->allowed);
			json_array_foreach(allowed, i, v) {
				printf("  ");
				out_threat_line(v);
			}
		}
		printf("Errors: %lld; skipped: %lld; excluded: %lld\n", (long long)t->errors,
		       (long long)t->skipped, (long long)t->excluded);
		printf("Time: %.2f s\n", t->duration_s);
		if (json_array_size(problems) > 0) {
			printf("Not scanned, or not completely:\n");
			json_array_foreach(problems, i, v)
				out_problem_line(stdout, v);
			if ((int64_t)json_array_size(problems) < t->errors + t->skipped)
				printf("  ... see 'vigil scan show %lld' for all of them\n",
				       (long long)scan_id);
		}
		if (json_array_size(reports) > 0) {
			printf("Reports (SHA-256, path):\n");
			json_array_foreach(reports, i, v)
				out_report_line(stdout, v);
		}
	}
	json_decref(threats);
	json_decref(problems);
	json_decref(allowed);
}

/*
 * --action quarantine: move every file with a threat into the vault (an archive goes whole),
 * and record per file what was done. A file that cannot be moved stays where it is and
 * counts as an error of the scan.
 */
static void
quarantine_findings(struct cli *cli, int64_t scan_id, struct scanner_totals *t)
{
	struct vault *v = NULL;
	json_t *threats = NULL, *th, *done = json_object();
	struct vg_error e2;
	size_t i;

	vg_error_init(&e2);
	if (store_threat_list_json(cli->st, scan_id, 0, &threats, &e2) != VG_OK ||
	    cli_open_vault(cli, &v) != 0) {
		fprintf(stderr, "vigil: nothing was quarantined: %s\n",
			vg_error_msg(e2.code ? &e2 : &cli->err));
		vg_error_init(&cli->err);
		t->errors++;
		json_decref(threats);
		json_decref(done);
		return;
	}
	json_array_foreach(threats, i, th) {
		const char *key = json_string_value(json_object_get(th, "path"));
		struct vg_error one;
		char action[1100], *path;
		size_t len;
		int64_t id;

		if (json_object_get(done, key))
			continue; /* one file, several rules or members: moved once */
		if (strcmp(json_string_value(json_object_get(th, "action")), "reported") != 0)
			continue; /* a resumed scan: moved before the interruption */
		json_object_set_new(done, key, json_true());
		path = vg_json_get_bytes(th, "path", &len); /* the exact bytes, also when not UTF-8 */
		if (path == NULL)
			continue;
		vg_error_init(&one);
		if (quarantine_add(v, path, json_string_value(json_object_get(th, "name")), scan_id,
				   &id, &one) == VG_OK) {
			snprintf(action, sizeof(action), "quarantined as item %lld", (long long)id);
		} else {
			snprintf(action, sizeof(action), "quarantine failed: %s", one.msg);
			t->errors++;
			store_problem_add(cli->st, scan_id, path, len, NULL, 0, "error", action, &e2);
		}
		store_threat_set_action(cli->st, scan_id, path, action, &e2);
		free(path);
	}
	quarantine_close(v);
	json_decref(threats);
	json_decref(done);
}

/*
 * After a scan: its progress is dropped once it completed (an interrupted one keeps it, to
 * resume), the scan cache keeps the entries of these rules and options, at most
 * scan_cache_maximum, and old scans go (retention).
 */
static void prune_history(struct cli *cli);

static void
scan_housekeeping(struct cli *cli, int64_t scan_id, const char *status, const char *cache_tag)
{
	struct vg_error e2;

	vg_error_init(&e2);
	if (store_begin(cli->st, &e2) == VG_OK) {
		if ((strcmp(status, "completed") == 0 &&
		     store_progress_clear(cli->st, scan_id, &e2) != VG_OK) ||
		    (cache_tag && store_cache_prune(cli->st, cache_tag,
						    config_get_int(cli->cfg,
								   "antivirus_engine.scan_cache_maximum"),
						    &e2) != VG_OK) ||
		    store_commit(cli->st, &e2) != VG_OK) {
			store_rollback(cli->st);
			fprintf(stderr, "vigil: warning: %s\n", vg_error_msg(&e2));
		}
	}
	prune_history(cli);
}

/* scan_results_retention_days and scan_history_maximum_items */
static void
prune_history(struct cli *cli)
{
	struct vg_error e2;
	int64_t pruned = 0;

	vg_error_init(&e2);
	if (store_begin(cli->st, &e2) != VG_OK)
		return;
	if (store_scan_prune(cli->st, config_get_int(cli->cfg, "scan_results_retention_days"),
			     config_get_int(cli->cfg, "scan_history_maximum_items"), &pruned,
			     &e2) != VG_OK || store_commit(cli->st, &e2) != VG_OK) {
		store_rollback(cli->st);
		fprintf(stderr, "vigil: warning: cannot prune the scan history: %s\n",
			vg_error_msg(&e2));
	}
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
	struct progress_ctx pc = { 0 };
	struct scanner_callbacks cb = { show_progress, &pc };
	struct sigaction sa, old_int, old_term;
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
	if (strcmp(type, "custom") == 0) {
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

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	pc.enabled = !cli->quiet && isatty(STDERR_FILENO);
	e = scanner_run(&o, db, cli->st, scan_id, roots.v, roots.n, &cb, &totals, &cli->err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (pc.printed)
		fprintf(stderr, "\r\033[K");

	status = e != VG_OK ? "failed" : totals.interrupted ? "interrupted" : "completed";
	/* before the totals are recorded: a file that could not be moved is an error */
	if (e == VG_OK && quarantine && totals.threats > 0)
		quarantine_findings(cli, scan_id, &totals);
	cli_scan_finish(cli, scan_id, status, &totals, e != VG_OK);
	if (e != VG_OK) {
		cli_fail(cli, e);
		goto out;
	}
	scan_housekeeping(cli, scan_id, status, cache_tag);
	if (verify && cli_verify_unchanged(cli, scan_id, &verified) != 0)
		goto out;
	if (write_reports(cli, scan_id, &reports, written) != 0) {
		print_summary(cli, scan_id, type, status, quarantine ? "quarantine" : "report",
			      &totals, db, written);
		rc = EXIT_FAILED;
		goto out;
	}
	print_summary(cli, scan_id, type, status, quarantine ? "quarantine" : "report", &totals, db,
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
	if (totals.threats > 0)
		rc = EXIT_FOUND;
	else if (totals.interrupted)
		rc = cli_fail(cli, vg_error_set(&cli->err, VG_INTERRUPTED,
						"scan %lld was interrupted", (long long)scan_id));
	else
		rc = EXIT_CLEAN;
out:
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
	struct progress_ctx pc = { 0 };
	struct scanner_callbacks cb = { show_progress, &pc };
	struct sigaction sa, old_int, old_term;
	json_t *scan = NULL, *v, *opts;
	char **roots = NULL, *cache_tag = NULL;
	size_t nroots = 0, i;
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
	if (!cli->quiet && !cli->json)
		printf("Resuming scan %lld: %zu files were finished before the interruption\n",
		       (long long)id, scanner_done_size(done));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	pc.enabled = !cli->quiet && isatty(STDERR_FILENO);
	e = scanner_run(&o, db, cli->st, id, roots, nroots, &cb, &totals, &cli->err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (pc.printed)
		fprintf(stderr, "\r\033[K");
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
		quarantine_findings(cli, id, &totals);
	if (store_threat_count(cli->st, id, &threats, &cli->err) == VG_OK)
		totals.threats = threats;
	cli_scan_finish(cli, id, status, &totals, e != VG_OK);
	if (e != VG_OK) {
		rc = cli_fail(cli, e);
		goto out;
	}
	scan_housekeeping(cli, id, status, cache_tag);
	{
		json_t *none = json_array();

		print_summary(cli, id, type, status, quarantine ? "quarantine" : "report", &totals,
			      db, none);
		json_decref(none);
	}
	if (totals.threats > 0)
		rc = EXIT_FOUND;
	else if (totals.interrupted)
		rc = cli_fail(cli, vg_error_set(&cli->err, VG_INTERRUPTED,
						"scan %lld was interrupted again", (long long)id));
	else
		rc = EXIT_CLEAN;
out:
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

int
cmd_scan_list(struct cli *cli)
{
	int64_t limit = 50;
	json_t *scans, *s;
	size_t i;
	enum vg_err e;

	if (cli->argc == 3 && strcmp(cli->argv[1], "--limit") == 0) {
		if (parse_int(cli->argv[2], &limit) != 0)
			return cli_usage(cli, "--limit takes a number, not '%s'", cli->argv[2]);
	} else if (cli->argc != 1) {
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[1]);
	}
	e = store_scan_list_json(cli->st, limit, &scans, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json) {
		out_json(cli, json_pack("{s:o}", "scans", scans));
		return EXIT_CLEAN;
	}
	printf("%-6s %-7s %-11s %-24s %9s %6s %6s\n", "ID", "TYPE", "STATUS", "STARTED", "FILES",
	       "THREATS", "ERRORS");
	json_array_foreach(scans, i, s)
		printf("%-6lld %-7s %-11s %-24s %9lld %6lld %6lld\n",
		       (long long)json_integer_value(json_object_get(s, "scan_id")),
		       json_string_value(json_object_get(s, "type")),
		       json_string_value(json_object_get(s, "status")),
		       json_string_value(json_object_get(s, "started_at")),
		       (long long)json_integer_value(json_object_get(s, "files_scanned")),
		       (long long)json_integer_value(json_object_get(s, "threats_found")),
		       (long long)json_integer_value(json_object_get(s, "errors")));
	json_decref(scans);
	return EXIT_CLEAN;
}

int
cmd_scan_show(struct cli *cli)
{
	json_t *scan = NULL, *threats = NULL, *problems = NULL, *reports = NULL, *v;
	int64_t id;
	enum vg_err e;
	size_t i;
	const char *key;

	if (cli->argc != 2 || parse_int(cli->argv[1], &id) != 0)
		return cli_usage(cli, "scan show takes one scan ID");
	e = store_scan_get_json(cli->st, id, &scan, &cli->err);
	if (e == VG_OK)
		e = store_threat_list_json(cli->st, id, 0, &threats, &cli->err);
	if (e == VG_OK)
		e = store_problem_list_json(cli->st, id, -1, &problems, &cli->err);
	if (e == VG_OK)
		e = store_report_list_json(cli->st, id, &reports, &cli->err);
	if (e != VG_OK) {
		json_decref(scan);
		json_decref(threats);
		json_decref(problems);
		return cli_fail(cli, e);
	}
	json_object_set_new(scan, "threats", threats);
	json_object_set_new(scan, "problems", problems);
	json_object_set_new(scan, "reports", reports);
	if (cli->json) {
		out_json(cli, scan);
		return EXIT_CLEAN;
	}
	json_object_foreach(scan, key, v) {
		if (json_is_array(v) && (strcmp(key, "threats") == 0 || strcmp(key, "problems") == 0 ||
					 strcmp(key, "reports") == 0))
			continue;
		printf("%s: ", key);
		out_json_text(v);
		putchar('\n');
	}
	printf("threats:\n");
	json_array_foreach(threats, i, v) {
		printf("  ");
		out_threat_line(v);
	}
	printf("problems:\n");
	json_array_foreach(problems, i, v)
		out_problem_line(stdout, v);
	printf("reports (SHA-256, path):\n");
	json_array_foreach(reports, i, v)
		out_report_line(stdout, v);
	json_decref(scan);
	return EXIT_CLEAN;
}
