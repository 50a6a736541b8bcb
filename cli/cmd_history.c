/* cli/cmd_history.c — vigil scan list, vigil scan show ID: the scan history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

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
