/*
 * cli/scan_common.c — what the command line adds to every scan job (custom, quick, full,
 * image, resume): SIGINT/SIGTERM stop it cleanly, a progress line on a terminal, the
 * quarantine finish step, the summary and the exit code.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "quarantine/quarantine.h"
#include "scanner/job.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"

#define PROBLEMS_SHOWN 1000
#define PROBLEMS_SHOWN_TEXT 20

static void
on_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

static void
show_progress(const struct scanner_progress *p, void *arg)
{
	struct cli_progress *pc = arg;
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

void
cli_progress_start(struct cli *cli, struct cli_progress *p)
{
	struct sigaction sa;

	memset(p, 0, sizeof(*p));
	p->cb.progress = show_progress;
	p->cb.ctx = p;
	p->enabled = !cli->quiet && isatty(STDERR_FILENO);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &p->old_int);
	sigaction(SIGTERM, &sa, &p->old_term);
}

void
cli_progress_stop(struct cli_progress *p)
{
	sigaction(SIGINT, &p->old_int, NULL);
	sigaction(SIGTERM, &p->old_term, NULL);
	if (p->printed)
		fprintf(stderr, "\r\033[K");
}

int
cli_scan_summary(struct cli *cli, int64_t scan_id, const char *type, const char *status,
	      const char *action, const struct scanner_totals *t, struct sigdb *db,
	      json_t *reports)
{
	json_t *threats = NULL, *problems = NULL, *allowed = NULL, *v, *scan = NULL, *volumes;
	struct vg_error e2;
	size_t i;

	/* what is shown is read back from the store: a read that fails is said, never an
	 * empty list standing for findings that could not be read */
	vg_error_init(&e2);
	if (store_scan_get_json(cli->st, scan_id, &scan, &e2) != VG_OK ||
	    store_threat_list_json(cli->st, scan_id, 0, &threats, &e2) != VG_OK ||
	    store_threat_list_json(cli->st, scan_id, 1, &allowed, &e2) != VG_OK ||
	    store_problem_list_json(cli->st, scan_id,
				    cli->json ? PROBLEMS_SHOWN : PROBLEMS_SHOWN_TEXT, &problems,
				    &e2) != VG_OK) {
		json_decref(scan);
		json_decref(threats);
		json_decref(allowed);
		json_decref(problems);
		vg_error_init(&cli->err);
		return cli_fail(cli, vg_error_set(&cli->err, VG_STORE, "cannot read scan %lld back "
						  "from the store to show it: %.700s (its "
						  "totals: %lld files, %lld threats)",
						  (long long)scan_id, vg_error_msg(&e2),
						  (long long)t->files_scanned, (long long)t->threats));
	}
	volumes = json_object_get(scan, "volumes"); /* disk images only */
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
		if (volumes)
			json_object_set(doc, "volumes", volumes);
		json_decref(scan);
		out_json(cli, doc);
		return 0;
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
		if (volumes)
			out_volumes(volumes);
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
	json_decref(scan);
	return 0;
}

int
cli_scan_exit(struct cli *cli, int64_t scan_id, const struct scanner_totals *t, int unreadable,
	      const char *interrupted)
{
	if (unreadable)
		return cli_fail(cli, cli->err.code); /* cli_image_finish said why */
	if (t->threats > 0)
		return EXIT_FOUND;
	if (t->interrupted)
		return cli_fail(cli, vg_error_set(&cli->err, VG_INTERRUPTED, "scan %lld was %s",
						  (long long)scan_id, interrupted));
	return EXIT_CLEAN;
}

/*
 * --action quarantine: move every file with a threat into the vault (an archive goes whole),
 * and record per file what was done. A file that cannot be moved stays where it is and
 * counts as an error of the scan.
 */
void
cli_quarantine_findings(void *ctx, int64_t scan_id, struct scanner_totals *t)
{
	struct cli *cli = ctx;
	struct vault *v = NULL;
	struct store_target *tg = NULL;
	struct quarantine_done *moved = NULL;	/* per target, what its move did */
	struct vg_error e2;
	size_t n = 0, i, j;

	vg_error_init(&e2);
	if (store_threat_targets(cli->st, scan_id, &tg, &n, &e2) != VG_OK ||
	    (n > 0 && cli_open_vault(cli, &v) != 0)) {
		fprintf(stderr, "vigil: nothing was quarantined: %s\n",
			vg_error_msg(e2.code ? &e2 : &cli->err));
		vg_error_init(&cli->err);
		t->errors++;
		store_targets_free(tg, n);
		return;
	}
	moved = calloc(n ? n : 1, sizeof(*moved));
	/* each file once (an archive goes whole), the object the scan read and no other:
	 * reached from its scan root without following links, its identity checked */
	for (i = 0; i < n; i++) {
		struct store_target *x = &tg[i];
		struct vg_ident expect = x->ident;
		struct vg_error one;
		char action[1100], note[64];
		enum vg_err rc;

		vg_error_init(&one);
		/* another name of a file moved just before: our own unlink moved its ctime */
		for (j = 0; moved && j < i; j++)
			if (moved[j].id && tg[j].have_ident && vg_ident_same(&tg[j].ident, &x->ident))
				expect = moved[j].after;
		if (moved == NULL)
			rc = vg_error_set(&one, VG_NOMEM, "out of memory");
		else if (!x->have_ident)
			rc = vg_error_set(&one, VG_CHANGED, "'%s' cannot be checked against what was "
					  "scanned (no identity recorded): not quarantined", x->path);
		else
			rc = quarantine_add_scanned(v, x->path, x->root_len, &expect, x->name,
						    scan_id, &moved[i], &one);
		if (rc == VG_OK) {
			snprintf(action, sizeof(action), "quarantined as item %lld%s",
				 (long long)moved[i].id, quarantine_links_text(moved[i].links_left, note));
		} else {
			snprintf(action, sizeof(action), "quarantine failed: %s", one.msg);
			t->errors++;
			store_problem_add(cli->st, scan_id, x->path, x->path_len, NULL, 0,
					  rc == VG_CHANGED ? "changed" : "error", action, &e2);
		}
		store_threat_set_action(cli->st, scan_id, x->path, action, &e2);
	}
	quarantine_close(v);
	store_targets_free(tg, n);
	free(moved);
}

void
cli_scan_env(struct cli *cli, struct allow_set *allow, struct scan_env *env)
{
	*env = (struct scan_env){ .st = cli->st, .state_dir = cli->state_dir, .cfg = cli->cfg,
				  .allow = allow, .stop = &cli_stop,
				  .events = cli_scan_events(cli) };
}

enum vg_err
cli_run_job(struct cli *cli, struct scan_job *job)
{
	struct cli_progress pr;
	struct scan_finish finish = { cli_quarantine_findings, cli };
	enum vg_err e;

	cli_progress_start(cli, &pr);
	scan_job_set_progress(job, &pr.cb);
	e = scan_job_run(job, &finish, &cli->err);
	scan_job_set_progress(job, NULL);
	cli_progress_stop(&pr);
	return e;
}
