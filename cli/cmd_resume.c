/*
 * cli/cmd_resume.c — vigil scan resume ID [--credential KIND:FILE]...: an interrupted scan
 * continued where it stopped. Keys for a disk image's encrypted volumes are never recorded
 * with the scan, so they are given again (or typed again at the prompt).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "scanner/job.h"
#include "scanner/scanner.h"

int
cmd_scan_resume(struct cli *cli)
{
	struct allow_set *allow = NULL;
	struct scan_job *job = NULL;
	struct scan_env env;
	const struct scan_spec *sp;
	static const struct option opts[] = {
		{ "credential", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct image_creds creds = { 0 };
	json_t *none;
	int64_t id;
	int rc = EXIT_FAILED, c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(cli->argc, cli->argv, "", opts, NULL)) != -1) {
		if (c != 'c') {
			image_creds_release(&creds);
			return cli_usage(cli, "unknown option '%s'", cli->argv[optind - 1]);
		}
		if (image_creds_add(&creds, optarg, &cli->err) != VG_OK) {
			image_creds_release(&creds);
			return cli_usage(cli, "%s", cli->err.msg);
		}
	}
	if (cli->argc - optind != 1 || parse_int(cli->argv[optind], &id) != 0) {
		image_creds_release(&creds);
		return cli_usage(cli, "scan resume takes one scan ID");
	}
	if (cli_load_allow(cli, &allow) != 0) {
		image_creds_release(&creds);
		return EXIT_FAILED;
	}
	/* the scan as it was started: roots, options, exclusions and rules as recorded */
	cli_scan_env(cli, allow, &env);
	cli_credential_prompt(cli, &creds);
	env.creds = &creds;
	if (scan_job_resume(&env, id, &job, &cli->err) != VG_OK) {
		rc = cli_fail(cli, cli->err.code);
		goto out;
	}
	if (!cli->quiet && !cli->json)
		printf("Resuming scan %lld: %zu files were finished before the interruption\n",
		       (long long)id, scan_job_resumed_files(job));
	if (cli_run_job(cli, job) != VG_OK) {
		rc = cli_fail(cli, cli->err.code);
		goto out;
	}
	sp = scan_job_spec(job);
	none = json_array();
	rc = cli_scan_summary(cli, id, sp->type, scan_job_status(job),
			      sp->quarantine ? "quarantine" : "report", scan_job_totals(job),
			      scan_job_rules(job), none);
	json_decref(none);
	if (rc != 0)
		goto out;
	if (scan_job_unreadable(job))
		vg_error_set(&cli->err, VG_IO, "%s", scan_job_unreadable(job));
	rc = cli_scan_exit(cli, id, scan_job_totals(job), scan_job_unreadable(job) != NULL,
			   "interrupted again");
out:
	scan_job_free(job);
	scanner_allow_destroy(allow);
	image_creds_release(&creds);
	return rc;
}
