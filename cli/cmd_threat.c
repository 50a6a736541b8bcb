/* cli/cmd_threat.c — vigil threat list. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int
cmd_threat_list(struct cli *cli)
{
	int64_t scan = 0;
	json_t *threats, *t;
	enum vg_err e;
	size_t i;

	if (cli->argc == 3 && strcmp(cli->argv[1], "--scan") == 0) {
		if (parse_int(cli->argv[2], &scan) != 0 || scan < 1)
			return cli_usage(cli, "--scan takes a scan ID, not '%s'", cli->argv[2]);
	} else if (cli->argc != 1) {
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[1]);
	}
	e = store_threat_list_json(cli->st, scan, &threats, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json) {
		out_json(cli, json_pack("{s:o}", "threats", threats));
		return EXIT_CLEAN;
	}
	json_array_foreach(threats, i, t) {
		printf("%lld\tscan %lld\t%s\t", (long long)json_integer_value(json_object_get(t, "id")),
		       (long long)json_integer_value(json_object_get(t, "scan_id")),
		       json_string_value(json_object_get(t, "detected_at")));
		out_threat_line(t);
	}
	json_decref(threats);
	return EXIT_CLEAN;
}
