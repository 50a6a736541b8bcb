/* cli/cmd_threat.c — vigil threat list, and the allow list (threat allow add|remove|list). */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "scanner/scanner.h"

int
cmd_threat_list(struct cli *cli)
{
	static const struct option opts[] = {
		{ "scan", required_argument, NULL, 's' },
		{ "allowed", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t scan = 0;
	int allowed = 0, c;
	json_t *threats, *t;
	enum vg_err e;
	size_t i;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(cli->argc, cli->argv, "", opts, NULL)) != -1) {
		if (c == 's' && (parse_int(optarg, &scan) != 0 || scan < 1))
			return cli_usage(cli, "--scan takes a scan ID, not '%s'", optarg);
		else if (c == 'a')
			allowed = 1;
		else if (c == '?')
			return cli_usage(cli, "unknown option '%s'", cli->argv[optind - 1]);
	}
	if (optind < cli->argc)
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[optind]);
	e = store_threat_list_json(cli->st, scan, allowed, &threats, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json) {
		out_json(cli, json_pack("{s:o}", allowed ? "allowed" : "threats", threats));
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

int
cli_load_allow(struct cli *cli, struct allow_set **out)
{
	struct allow_set *set = scanner_allow_create();
	json_t *list = NULL, *v;
	enum vg_err e;
	size_t i;

	if (set == NULL)
		return cli_fail(cli, vg_error_set(&cli->err, VG_NOMEM, "out of memory"));
	e = store_allow_list_json(cli->st, (int64_t)time(NULL), &list, &cli->err);
	json_array_foreach(list, i, v) {
		size_t plen = 0;
		char *path;

		if (e != VG_OK)
			break;
		path = vg_json_get_bytes(v, "path", &plen); /* NULL: every file */
		e = scanner_allow_add(set, json_string_value(json_object_get(v, "kind")),
				      json_string_value(json_object_get(v, "value")), path, plen,
				      json_string_value(json_object_get(v, "reason")), &cli->err);
		free(path);
	}
	json_decref(list);
	if (e != VG_OK) {
		scanner_allow_destroy(set);
		return cli_fail(cli, e);
	}
	*out = set;
	return 0;
}

/* --sha256 HASH | --name THREAT, [--expires SECONDS] [--reason TEXT] */
static int
allow_change(struct cli *cli, int add)
{
	static const struct option opts[] = {
		{ "sha256", required_argument, NULL, 'h' },
		{ "name", required_argument, NULL, 'n' },
		{ "expires", required_argument, NULL, 'e' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kind = NULL, *value = NULL, *reason = "allowed by hand";
	int64_t expires = 0;
	char lower[65];
	int c;
	enum vg_err e;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(cli->argc, cli->argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
		case 'n':
			if (kind)
				return cli_usage(cli, "give one of --sha256 and --name");
			kind = c == 'h' ? "sha256" : "name";
			value = optarg;
			break;
		case 'e':
			/* at most 100 years: now + expires must stay a time gmtime can show */
			if (!add || parse_int(optarg, &expires) != 0 || expires < 1 ||
			    expires > INT64_C(3155760000))
				return cli_usage(cli, "--expires takes a number of seconds, at most "
						 "100 years (with add)");
			break;
		case 'r':
			reason = optarg;
			break;
		default:
			return cli_usage(cli, "unknown option '%s'", cli->argv[optind - 1]);
		}
	}
	if (kind == NULL || optind < cli->argc)
		return cli_usage(cli, "threat allow %s takes --sha256 HASH or --name THREAT",
				 add ? "add" : "remove");
	{
		/* validate as a scan will use it; hashes are kept in lower case */
		struct allow_set *probe = scanner_allow_create();

		e = scanner_allow_add(probe, kind, value, NULL, 0, reason, &cli->err);
		scanner_allow_destroy(probe);
		if (e != VG_OK)
			return cli_fail(cli, e);
		if (strcmp(kind, "sha256") == 0) {
			size_t i;

			for (i = 0; i < 64; i++)
				lower[i] = (char)(value[i] >= 'A' && value[i] <= 'F' ? value[i] + 32
										 : value[i]);
			lower[64] = '\0';
			value = lower;
		}
	}
	e = add ? store_allow_add(cli->st, kind, value, NULL, 0, reason,
				  expires ? (int64_t)time(NULL) + expires : 0, &cli->err)
		: store_allow_remove(cli->st, kind, value, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json)
		out_json(cli, json_pack("{s:s, s:s, s:s}", "action", add ? "added" : "removed", "kind",
					kind, "value", value));
	else if (!cli->quiet)
		printf("%s %s '%s' %s the allow list\n", add ? "added" : "removed", kind, value,
		       add ? "to" : "from");
	return EXIT_CLEAN;
}

/*
 * "allowed until T" while the entry is in force, "expired at T" after: in force means
 * expires_at > now, the rule the store applies when a scan loads the list (ALLOW_LIST).
 */
static void
print_expiry(json_t *exp, int64_t now)
{
	time_t t;
	struct tm tm;
	char when[32];

	if (!json_is_integer(exp))
		return;
	t = (time_t)json_integer_value(exp);
	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)t);
	printf("\t%s %s", (int64_t)t > now ? "allowed until" : "expired at", when);
}

static int
allow_list(struct cli *cli)
{
	json_t *list, *v;
	int64_t now = (int64_t)time(NULL);
	enum vg_err e;
	size_t i;

	if (cli->argc != 1)
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[1]);
	e = store_allow_list_json(cli->st, 0, &list, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json) {
		out_json(cli, json_pack("{s:o}", "allow", list));
		return EXIT_CLEAN;
	}
	json_array_foreach(list, i, v) {
		json_t *path = json_object_get(v, "path");

		printf("%-6s ", json_string_value(json_object_get(v, "kind")));
		out_json_text(json_object_get(v, "value"));
		if (json_is_string(path)) {
			printf("\tfile ");
			out_json_text(path); /* \xNN already for bytes that are not UTF-8 */
		}
		printf("\t");
		out_json_text(json_object_get(v, "reason"));
		print_expiry(json_object_get(v, "expires_at"), now);
		putchar('\n');
	}
	json_decref(list);
	return EXIT_CLEAN;
}

int
cmd_threat_allow(struct cli *cli)
{
	char **argv = cli->argv;
	int argc = cli->argc, rc;

	if (argc < 2)
		return cli_usage(cli, "threat allow needs add, remove or list");
	/* the verb becomes argv[0] for the handler; main() frees the array it gave us */
	cli->argc = argc - 1;
	cli->argv = argv + 1;
	if (strcmp(cli->argv[0], "add") == 0)
		rc = allow_change(cli, 1);
	else if (strcmp(cli->argv[0], "remove") == 0)
		rc = allow_change(cli, 0);
	else if (strcmp(cli->argv[0], "list") == 0)
		rc = allow_list(cli);
	else
		rc = cli_usage(cli, "threat allow needs add, remove or list, not '%s'", cli->argv[0]);
	cli->argc = argc;
	cli->argv = argv;
	return rc;
}
