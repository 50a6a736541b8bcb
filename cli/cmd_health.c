/* cli/cmd_health.c — vigil health: the state of this installation at a glance. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "realtime/realtime.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

int
cli_health_json(struct cli *cli, json_t **out)
{
	struct sigdb *db = NULL;
	json_t *scans = NULL, *rtp = NULL;
	char *guid = NULL;
	const char *integrity;
	int64_t quarantined = 0;
	struct vg_error e2;
	enum vg_err e;

	*out = NULL;
	if (store_quick_check(cli->st) != VG_OK) {
		/* a damaged store: say so, and nothing read from it */
		*out = json_pack("{s:s, s:s, s:s}", "app_version", VIGIL_VERSION, "store_integrity",
				 "damaged", "state_dir", cli->state_dir);
		return 0;
	}
	e = store_machine_guid(cli->st, &guid, &cli->err);
	if (e == VG_OK)
		e = sigdb_open(cli->st, cli->state_dir, &db, &cli->err);
	if (e == VG_OK)
		e = store_q_count(cli->st, &quarantined, &cli->err);
	if (e == VG_OK)
		e = store_scan_list_json(cli->st, 5, &scans, &cli->err);
	if (e != VG_OK) {
		free(guid);
		sigdb_release(db);
		return cli_fail(cli, e);
	}
	integrity = "ok";
	vg_error_init(&e2);
	rtp_query(cli->state_dir, "status", &rtp, &e2); /* NULL: not running */
	*out = json_pack("{s:s, s:I, s:s, s:I, s:I, s:b, s:b, s:b, s:s, s:s, s:I, s:s, s:s, s:o}",
			 "app_version", VIGIL_VERSION, "sig_version", (json_int_t)sigdb_version(db),
			 "rules_digest", sigdb_digest(db), "rules", (json_int_t)sigdb_rule_count(db),
			 "hashes", (json_int_t)sigdb_hash_count(db), "real_time_protection_enabled",
			 config_get_bool(cli->cfg, "antivirus_engine.enable_real_time_protection"),
			 "real_time_protection_running", rtp != NULL, "passive_mode",
			 config_get_bool(cli->cfg, "antivirus_engine.passive_mode"), "machine_guid",
			 guid, "org_id", config_get_string(cli->cfg, "org_id"), "quarantine_count",
			 (json_int_t)quarantined, "store_integrity", integrity, "state_dir",
			 cli->state_dir, "last_scans", scans);
	{
		char *tmp = NULL;

		/* the extractor's folder when it can mount no tmpfs (as a scan makes it) */
		if (asprintf(&tmp, "%s/extract", cli->state_dir) < 0)
			tmp = NULL;
		else if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
			free(tmp);
			tmp = NULL;
		}
		json_object_set_new(*out, "deep_containers",
				    scanner_deep_health(config_get_bool(cli->cfg,
						    "antivirus_engine.deep_containers"), tmp));
		free(tmp);
	}
	json_object_set_new(*out, "image_reader", scanner_image_health());
	if (rtp != NULL)
		json_object_set_new(*out, "real_time_protection_mode",
				    json_incref(json_object_get(rtp, "mode")));
	json_decref(rtp);
	free(guid);
	sigdb_release(db);
	return 0;
}

int
cmd_health(struct cli *cli)
{
	json_t *doc, *v;
	const char *field = NULL;

	if (cli->argc == 3 && strcmp(cli->argv[1], "--field") == 0)
		field = cli->argv[2];
	else if (cli->argc != 1)
		return cli_usage(cli, "health takes [--field NAME]");
	if (cli_health_json(cli, &doc) != 0)
		return EXIT_FAILED;
	if (field) {
		v = json_object_get(doc, field);
		if (v == NULL) {
			json_decref(doc);
			return cli_fail(cli, vg_error_set(&cli->err, VG_NOTFOUND,
							  "health has no field '%s'", field));
		}
		if (cli->json) {
			out_json(cli, json_pack("{s:O}", field, v));
		} else {
			out_json_text(v);
			putchar('\n');
		}
		json_decref(doc);
		return EXIT_CLEAN;
	}
	if (cli->json) {
		out_json(cli, doc);
		return EXIT_CLEAN;
	}
	{
		const char *key;

		json_object_foreach(doc, key, v) {
			if (strcmp(key, "last_scans") == 0)
				continue;
			printf("%-30s ", key);
			out_json_text(v);
			putchar('\n');
		}
		printf("%-30s ", "last_scans");
		{
			size_t i;
			json_t *s;

			json_array_foreach(json_object_get(doc, "last_scans"), i, s)
				printf("%s%lld %s %s", i ? "; " : "",
				       (long long)json_integer_value(json_object_get(s, "scan_id")),
				       json_string_value(json_object_get(s, "type")),
				       json_string_value(json_object_get(s, "status")));
		}
		putchar('\n');
	}
	json_decref(doc);
	return EXIT_CLEAN;
}

int
cmd_store_check(struct cli *cli)
{
	json_t *doc = NULL, *p;
	enum vg_err e;
	size_t i;
	int damaged;

	if (cli->argc != 1)
		return cli_usage(cli, "store check takes no argument");
	e = store_check(cli->state_dir, &doc, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	damaged = strcmp(json_string_value(json_object_get(doc, "integrity")), "ok") != 0;
	if (cli->json) {
		out_json(cli, json_incref(doc));
	} else {
		printf("%s: %s\n", json_string_value(json_object_get(doc, "store")),
		       damaged ? "DAMAGED" : "ok");
		json_array_foreach(json_object_get(doc, "problems"), i, p) {
			printf("  ");
			out_json_text(p);
			putchar('\n');
		}
	}
	if (damaged)
		vg_error_set(&cli->err, VG_STORE, "store '%s' is damaged: %s (keep a copy before "
			     "anything else; scans can start afresh with a new --state-dir)",
			     json_string_value(json_object_get(doc, "store")),
			     json_string_value(json_array_get(json_object_get(doc, "problems"), 0)));
	json_decref(doc);
	return damaged ? cli_fail(cli, VG_STORE) : EXIT_CLEAN;
}
