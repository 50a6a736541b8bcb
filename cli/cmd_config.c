/* cli/cmd_config.c — vigil config show|get|set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/path.h"

int
cmd_config_show(struct cli *cli)
{
	const struct config_key *keys;
	size_t n, i;

	if (cli->argc != 1)
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[1]);
	if (cli->json) {
		out_json(cli, config_effective(cli->cfg));
		return EXIT_CLEAN;
	}
	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		json_t *v = config_shown(cli->cfg, keys[i].name);

		printf("%s = ", keys[i].name);
		out_json_text(v);
		json_decref(v);
		printf("  (%s)\n", config_origin(cli->cfg, keys[i].name));
	}
	return EXIT_CLEAN;
}

int
cmd_config_get(struct cli *cli)
{
	json_t *v;

	if (cli->argc != 2)
		return cli_usage(cli, "config get takes one KEY");
	v = config_shown(cli->cfg, cli->argv[1]);
	if (v == NULL)
		return cli_fail(cli, vg_error_set(&cli->err, VG_CONFIG,
						  "unknown configuration key '%s'", cli->argv[1]));
	if (cli->json) {
		out_json(cli, json_pack("{s:s, s:o, s:s}", "key", cli->argv[1], "value", v, "origin",
					config_origin(cli->cfg, cli->argv[1])));
		return EXIT_CLEAN;
	}
	out_json_text(v);
	json_decref(v);
	putchar('\n');
	return EXIT_CLEAN;
}

int
cmd_config_set(struct cli *cli)
{
	enum vg_err e;

	if (cli->argc != 3)
		return cli_usage(cli, "config set takes KEY VALUE");
	e = vg_mkdir_p(cli->state_dir, 0700, &cli->err);
	if (e == VG_OK)
		e = config_set(cli->cfg, cli->argv[1], cli->argv[2], &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json)
		out_json(cli, json_pack("{s:s, s:o}", "key", cli->argv[1], "value",
					config_shown(cli->cfg, cli->argv[1])));
	return EXIT_CLEAN;
}
