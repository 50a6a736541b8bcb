/*
 * cli/cmd_fleet.c — vigil fleet push|export|import|hosts|threats|init: this host's findings
 * in the fleet database (fleet/fleet.h), or in a file that carries them there.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "fleet/fleet.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

/* The options every fleet command may take; each says which it accepts. */
enum { OPT_DB = 'd', OPT_INV = 'i', OPT_OUT = 'o', OPT_SHA = 's', OPT_NAME = 'n',
       OPT_HOST = 'h', OPT_SINCE = 't' };

struct fleet_args {
	const char *db, *out, *file;
	int inventory;
	struct fleet_filter filter;
	char since[40];
};

static int
parse(struct cli *cli, const char *accepts, int want_file, struct fleet_args *a)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "inventory", no_argument, NULL, OPT_INV },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "sha256", required_argument, NULL, OPT_SHA },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(cli->argc, cli->argv, "", opts, NULL)) != -1) {
		if (c == '?' || strchr(accepts, c) == NULL)
			return cli_usage(cli, "unknown option '%s'", cli->argv[optind - 1]);
		switch (c) {
		case OPT_DB: a->db = optarg; break;
		case OPT_INV: a->inventory = 1; break;
		case OPT_OUT: a->out = optarg; break;
		case OPT_SHA: a->filter.sha256 = optarg; break;
		case OPT_NAME: a->filter.name = optarg; break;
		case OPT_HOST: a->filter.host = optarg; break;
		case OPT_SINCE: a->filter.since = optarg; break;
		}
	}
	if (want_file && optind < cli->argc)
		a->file = cli->argv[optind++];
	if (optind < cli->argc)
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[optind]);
	if (want_file && a->file == NULL)
		return cli_usage(cli, "which file? (%s FILE)", cli->argv[0]);
	if (a->db == NULL)
		a->db = config_get_string(cli->cfg, "fleet.database_url");
	return 0;
}

/* The host's identity and what it keeps, for push and export. */
static void
host_of(struct cli *cli, struct fleet_args *a, struct fleet_host *h, char **sigv)
{
	struct vg_error none;

	memset(h, 0, sizeof(*h));
	h->st = cli->st;
	h->state_dir = cli->state_dir;
	h->org_id = config_get_string(cli->cfg, "org_id");
	h->app_version = VIGIL_VERSION;
	h->inventory = a->inventory;
	*sigv = NULL;
	vg_error_init(&none);
	if (store_meta_get(cli->st, "sig_version", sigv, &none) == VG_OK && *sigv)
		h->sig_version = strtoll(*sigv, NULL, 10);
}

/* "sent to WHERE: 2 scans, 5 threats, 1 event; 3 rows new or changed in the database" */
static void
print_counts(const char *verb, const char *where, json_t *counts, json_t *changed)
{
	const char *key;
	json_t *v;
	json_int_t total = 0;
	int first = 1;

	printf("%s %s:", verb, where);
	json_object_foreach(counts, key, v) {
		json_int_t n = json_integer_value(v);

		if (n == 0 || strcmp(key, "hosts") == 0)
			continue;
		printf("%s %lld %s", first ? "" : ",", (long long)n, key);
		first = 0;
	}
	if (first)
		printf(" nothing new");
	json_object_foreach(changed, key, v)
		total += json_integer_value(v);
	if (changed)
		printf("; %lld row%s new or changed in the database", (long long)total,
		       total == 1 ? "" : "s");
	printf("\n");
}

static int
done(struct cli *cli, enum vg_err e, json_t *doc, const char *verb, const char *where_key,
     const char *counts_key)
{
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json) {
		out_json(cli, doc);
		return EXIT_CLEAN;
	}
	if (!cli->quiet) {
		char *where = vg_text_escape(json_string_value(json_object_get(doc, where_key)),
					     json_string_length(json_object_get(doc, where_key)));

		print_counts(verb, where ? where : "?", json_object_get(doc, counts_key),
			     json_object_get(doc, "changed"));
		free(where);
	}
	json_decref(doc);
	return EXIT_CLEAN;
}

int
cmd_fleet_push(struct cli *cli)
{
	struct fleet_args a;
	struct fleet_host h;
	json_t *sent = NULL;
	char *sigv;
	enum vg_err e;

	if (parse(cli, "di", 0, &a) != 0)
		return EXIT_FAILED;
	host_of(cli, &a, &h, &sigv);
	e = fleet_push(&h, a.db, &sent, &cli->err);
	free(sigv);
	return done(cli, e, sent, "sent to", "database", "sent");
}

int
cmd_fleet_export(struct cli *cli)
{
	struct fleet_args a;
	struct fleet_host h;
	json_t *sent = NULL;
	char *sigv;
	enum vg_err e;

	if (parse(cli, "io", 0, &a) != 0)
		return EXIT_FAILED;
	if (a.out == NULL)
		return cli_usage(cli, "where to? (fleet export --out FILE)");
	host_of(cli, &a, &h, &sigv);
	e = fleet_export(&h, a.out, &sent, &cli->err);
	free(sigv);
	return done(cli, e, sent, "wrote", "file", "sent");
}

int
cmd_fleet_import(struct cli *cli)
{
	struct fleet_args a;
	json_t *loaded = NULL;
	enum vg_err e;

	if (parse(cli, "d", 1, &a) != 0)
		return EXIT_FAILED;
	e = fleet_import(a.file, a.db, &loaded, &cli->err);
	return done(cli, e, loaded, "loaded into", "database", "loaded");
}

int
cmd_fleet_init(struct cli *cli)
{
	struct fleet_args a;
	json_t *doc = NULL;
	enum vg_err e;

	if (parse(cli, "d", 0, &a) != 0)
		return EXIT_FAILED;
	e = fleet_init(a.db, &doc, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json) {
		out_json(cli, doc);
		return EXIT_CLEAN;
	}
	if (!cli->quiet)
		printf("fleet database %s: schema version %lld (was %lld); roles vigil_push, "
		       "vigil_import, vigil_read\n",
		       json_string_value(json_object_get(doc, "database")),
		       (long long)json_integer_value(json_object_get(doc, "schema_version")),
		       (long long)json_integer_value(json_object_get(doc, "schema_from")));
	json_decref(doc);
	return EXIT_CLEAN;
}

static char *
escaped(json_t *s)
{
	return json_is_string(s) ? vg_text_escape(json_string_value(s), json_string_length(s))
				 : strdup("");
}

int
cmd_fleet_hosts(struct cli *cli)
{
	struct fleet_args a;
	json_t *hosts = NULL, *h;
	enum vg_err e;
	size_t i;

	if (parse(cli, "d", 0, &a) != 0)
		return EXIT_FAILED;
	e = fleet_hosts(a.db, &hosts, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json) {
		out_json(cli, json_pack("{s:o}", "hosts", hosts));
		return EXIT_CLEAN;
	}
	printf("%-36s  %-20s  %-12s  %6s  %7s  %s\n", "MACHINE_GUID", "HOSTNAME", "ORG_ID", "SCANS",
	       "THREATS", "LAST_SEEN");
	json_array_foreach(hosts, i, h) {
		/* names come from the hosts: escaped, then padded */
		char *name = escaped(json_object_get(h, "hostname"));
		char *org = escaped(json_object_get(h, "org_id"));

		printf("%-36s  %-20s  %-12s", json_string_value(json_object_get(h, "machine_guid")),
		       name ? name : "", org ? org : "");
		free(name);
		free(org);
		printf("  %6lld  %7lld  %s\n",
		       (long long)json_integer_value(json_object_get(h, "scans")),
		       (long long)json_integer_value(json_object_get(h, "threats")),
		       json_string_value(json_object_get(h, "last_seen")));
	}
	json_decref(hosts);
	return EXIT_CLEAN;
}

/* --since: a time PostgreSQL reads (2026-12-01, 2026-12-01T10:00:00Z), or N followed by
 * s, m, h or d: that long ago. */
static int
since_arg(struct cli *cli, struct fleet_args *a)
{
	static const struct {
		char unit;
		long long s;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	const char *s = a->filter.since;
	long long n;
	char unit, extra;
	size_t i;

	if (s == NULL || sscanf(s, "%lld%c%c", &n, &unit, &extra) != 2 || n < 0)
		return 0;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (unit == units[i].unit) {
			int64_t ago = (int64_t)time(NULL) - (int64_t)(n * units[i].s);

			vg_time_iso(ago * 1000000000, a->since, sizeof(a->since));
			a->filter.since = a->since;
			return 0;
		}
	return cli_usage(cli, "--since takes a time (2026-12-01T10:00:00Z) or an age (30m, 12h, "
			 "7d), not '%s'", s);
}

int
cmd_fleet_threats(struct cli *cli)
{
	struct fleet_args a;
	json_t *threats = NULL, *t;
	enum vg_err e;
	size_t i;

	if (parse(cli, "dsnht", 0, &a) != 0 || since_arg(cli, &a) != 0)
		return EXIT_FAILED;
	e = fleet_threats(a.db, &a.filter, &threats, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json) {
		out_json(cli, json_pack("{s:o}", "threats", threats));
		return EXIT_CLEAN;
	}
	json_array_foreach(threats, i, t) {
		printf("%s\t", json_string_value(json_object_get(t, "detected_at")));
		out_json_text(json_object_get(t, "hostname"));
		printf("\t%s\tscan %lld\t%s\t", json_string_value(json_object_get(t, "machine_guid")),
		       (long long)json_integer_value(json_object_get(t, "scan_id")),
		       json_string_value(json_object_get(t, "sha256")));
		out_threat_line(t);
	}
	json_decref(threats);
	return EXIT_CLEAN;
}
