/* cli/cmd_quarantine.c — vigil quarantine add|list|restore|remove|export. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "quarantine/quarantine.h"

int
cli_open_vault(struct cli *cli, struct vault **out)
{
	struct quarantine_notify notify;
	int64_t removed = 0;
	int finished, rolled_back;
	enum vg_err e;

	e = quarantine_open(cli->st, cli->state_dir, cli->key_file,
			    config_get_int(cli->cfg,
					   "antivirus_engine.threat_restoration_exclusion_time"),
			    out, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	notify = cli_vault_notify(cli);
	quarantine_set_notify(*out, &notify);
	quarantine_recovered(*out, &finished, &rolled_back);
	if ((finished || rolled_back) && !cli->quiet)
		fprintf(stderr, "vigil: finished %d and rolled back %d interrupted quarantine moves\n",
			finished, rolled_back);
	e = quarantine_expire(*out, config_get_int(cli->cfg, "quarantine_retention_days"), &removed,
			      &cli->err);
	if (e != VG_OK) {
		quarantine_close(*out);
		*out = NULL;
		return cli_fail(cli, e);
	}
	if (removed && !cli->quiet)
		fprintf(stderr, "vigil: removed %lld items older than quarantine_retention_days\n",
			(long long)removed);
	return 0;
}

static int
item_id(struct cli *cli, const char *s, int64_t *id)
{
	if (parse_int(s, id) != 0 || *id < 1)
		return cli_usage(cli, "'%s' is not a quarantine item ID", s);
	return 0;
}

int
cmd_quarantine_add(struct cli *cli)
{
	struct vault *v = NULL;
	json_t *items;
	int i, failed = 0;

	if (cli->argc < 2)
		return cli_usage(cli, "quarantine add needs at least one PATH");
	if (cli_open_vault(cli, &v) != 0)
		return EXIT_FAILED;
	items = json_array();
	for (i = 1; i < cli->argc; i++) {
		struct vg_error one;
		int64_t id = 0;
		long links = 0;
		char note[64];
		json_t *o = json_object();

		vg_error_init(&one);
		vg_json_set_bytes(o, "path", cli->argv[i], strlen(cli->argv[i]));
		if (quarantine_add(v, cli->argv[i], "added by hand", 0, &id, &links, &one) == VG_OK) {
			json_object_set_new(o, "id", json_integer(id));
			json_object_set_new(o, "other_links", json_integer(links));
			if (!cli->json && !cli->quiet) {
				printf("quarantined '");
				out_text(cli->argv[i]);
				printf("' as item %lld%s\n", (long long)id,
				       quarantine_links_text(links, note));
			}
		} else {
			char *esc = vg_text_escape(one.msg, strlen(one.msg));

			json_object_set_new(o, "error", json_string(one.msg));
			fprintf(stderr, "vigil: %s\n", esc ? esc : "?");
			free(esc);
			failed++;
		}
		json_array_append_new(items, o);
	}
	if (cli->json)
		out_json(cli, json_pack("{s:o}", "items", items));
	else
		json_decref(items);
	quarantine_close(v);
	if (failed)
		return cli_fail(cli, vg_error_set(&cli->err, VG_IO,
						  "%d of %d files were not quarantined (left in place)",
						  failed, cli->argc - 1));
	return EXIT_CLEAN;
}

int
cmd_quarantine_list(struct cli *cli)
{
	struct vault *v = NULL;
	json_t *items, *o;
	enum vg_err e;
	size_t i;

	if (cli->argc != 1)
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[1]);
	if (cli_open_vault(cli, &v) != 0)
		return EXIT_FAILED;
	e = quarantine_list_json(v, &items, &cli->err);
	quarantine_close(v);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json) {
		out_json(cli, json_pack("{s:o}", "items", items));
		return EXIT_CLEAN;
	}
	json_array_foreach(items, i, o) {
		char size[32];

		out_bytes(size, sizeof(size), json_integer_value(json_object_get(o, "size")));
		printf("%-5lld %s  %-10s ", (long long)json_integer_value(json_object_get(o, "id")),
		       json_string_value(json_object_get(o, "quarantined_at")), size);
		out_json_text(json_object_get(o, "threat"));
		printf("  ");
		out_json_text(json_object_get(o, "path"));
		putchar('\n');
	}
	json_decref(items);
	return EXIT_CLEAN;
}

int
cmd_quarantine_restore(struct cli *cli)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct vault *v = NULL;
	const char *dest = NULL;
	json_t *done;
	int64_t id;
	int force = 0, c, i, failed = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(cli->argc, cli->argv, "", opts, NULL)) != -1) {
		if (c == 'p')
			dest = optarg;
		else if (c == 'f')
			force = 1;
		else
			return cli_usage(cli, "unknown option '%s'", cli->argv[optind - 1]);
	}
	if (optind >= cli->argc || (dest && optind != cli->argc - 1))
		return cli_usage(cli, "quarantine restore takes one ID with --path, else IDs");
	for (i = optind; i < cli->argc; i++)
		if (item_id(cli, cli->argv[i], &id) != 0)
			return EXIT_FAILED;
	if (cli_open_vault(cli, &v) != 0)
		return EXIT_FAILED;
	done = json_array();
	for (i = optind; i < cli->argc; i++) {
		struct vg_error one;
		char *where = NULL;
		json_t *o;

		parse_int(cli->argv[i], &id);
		vg_error_init(&one);
		o = json_pack("{s:I}", "id", (json_int_t)id);
		if (quarantine_restore(v, id, dest, force, &where, &one) == VG_OK) {
			vg_json_set_bytes(o, "restored_to", where, strlen(where));
			if (!cli->json && !cli->quiet) {
				printf("restored item %lld to '", (long long)id);
				out_text(where);
				printf("'\n");
			}
		} else {
			char *esc = vg_text_escape(one.msg, strlen(one.msg));

			json_object_set_new(o, "error", json_string(one.msg));
			if (cli->argc - optind == 1) {
				cli->err = one; /* one ID: its error is the command's */
			} else {
				fprintf(stderr, "vigil: %s\n", esc ? esc : "?");
			}
			free(esc);
			failed++;
		}
		free(where);
		json_array_append_new(done, o);
	}
	quarantine_close(v);
	if (cli->json)
		out_json(cli, cli->argc - optind == 1 ? json_incref(json_array_get(done, 0))
						      : json_pack("{s:O}", "items", done));
	json_decref(done);
	if (failed && cli->argc - optind == 1)
		return cli_fail(cli, cli->err.code);
	if (failed)
		return cli_fail(cli, vg_error_set(&cli->err, VG_IO, "%d of %d items were not restored",
						  failed, cli->argc - optind));
	return EXIT_CLEAN;
}

int
cmd_quarantine_remove(struct cli *cli)
{
	struct vault *v = NULL;
	int64_t id;
	enum vg_err e;

	if (cli->argc != 2)
		return cli_usage(cli, "quarantine remove takes one ID");
	if (item_id(cli, cli->argv[1], &id) != 0)
		return EXIT_FAILED;
	if (cli_open_vault(cli, &v) != 0)
		return EXIT_FAILED;
	e = quarantine_remove(v, id, &cli->err);
	quarantine_close(v);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json)
		out_json(cli, json_pack("{s:I, s:s}", "id", (json_int_t)id, "action", "removed"));
	else if (!cli->quiet)
		printf("removed item %lld from the vault\n", (long long)id);
	return EXIT_CLEAN;
}

int
cmd_quarantine_export(struct cli *cli)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "password", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct vault *v = NULL;
	const char *out = NULL, *password = NULL;
	int64_t id;
	int c;
	enum vg_err e;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(cli->argc, cli->argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'p')
			password = optarg;
		else
			return cli_usage(cli, "unknown option '%s'", cli->argv[optind - 1]);
	}
	if (optind != cli->argc - 1 || out == NULL)
		return cli_usage(cli, "quarantine export takes one ID and --out FILE.zip");
	if (item_id(cli, cli->argv[optind], &id) != 0)
		return EXIT_FAILED;
	if (cli_open_vault(cli, &v) != 0)
		return EXIT_FAILED;
	e = quarantine_export(v, id, out, password, &cli->err);
	quarantine_close(v);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json)
		out_json(cli, json_pack("{s:I, s:s}", "id", (json_int_t)id, "out", out));
	else if (!cli->quiet)
		printf("exported item %lld to '%s' (AES-256 zip, password '%s')\n", (long long)id,
		       out, password ? password : "infected");
	return EXIT_CLEAN;
}
