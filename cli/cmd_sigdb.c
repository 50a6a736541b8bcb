/* cli/cmd_sigdb.c — vigil sigdb import|list|info|remove. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "sigdb/sigdb.h"

int
cmd_sigdb_import(struct cli *cli)
{
	json_t *imported = NULL, *v;
	struct sigdb *db = NULL;
	enum vg_err e;
	size_t i;

	json_t *skipped = NULL;
	const char *path = NULL;
	int skip_bad = 0, k;

	for (k = 1; k < cli->argc; k++) {
		if (strcmp(cli->argv[k], "--skip-bad") == 0)
			skip_bad = 1;
		else if (path == NULL)
			path = cli->argv[k];
		else
			return cli_usage(cli, "sigdb import takes one FILE or DIR");
	}
	if (path == NULL)
		return cli_usage(cli, "sigdb import takes one FILE or DIR");
	e = sigdb_import_opts(cli->st, cli->state_dir, path, skip_bad, &imported, &skipped,
			      &cli->err);
	json_array_foreach(skipped, i, v) {
		/* not fatal with --skip-bad, but never silent */
		json_t *why = json_object_get(v, "reason");
		char *f = vg_text_escape(json_string_value(json_object_get(v, "file")),
					 json_string_length(json_object_get(v, "file")));

		if (why)
			fprintf(stderr, "vigil: skipped '%s': %s\n", f ? f : "?",
				json_string_value(why));
		else
			fprintf(stderr, "vigil: '%s': skipped %lld malformed lines\n", f ? f : "?",
				(long long)json_integer_value(json_object_get(v, "bad_lines")));
		free(f);
	}
	if (e == VG_OK)
		e = sigdb_open(cli->st, cli->state_dir, &db, &cli->err);
	if (e != VG_OK) {
		json_decref(imported);
		json_decref(skipped);
		return cli_fail(cli, e);
	}
	if (cli->json) {
		out_json(cli, json_pack("{s:o, s:o, s:I, s:s, s:I, s:I}", "imported", imported,
					"skipped", skipped ? skipped : json_array(),
					"sig_version", (json_int_t)sigdb_version(db), "rules_digest",
					sigdb_digest(db), "rules", (json_int_t)sigdb_rule_count(db),
					"hashes", (json_int_t)sigdb_hash_count(db)));
	} else {
		json_array_foreach(imported, i, v) {
			int rules = json_object_get(v, "rules") != NULL;

			printf("imported %lld %s from '",
			       (long long)json_integer_value(json_object_get(v, rules ? "rules" : "hashes")),
			       rules ? "rules" : "hashes");
			out_json_text(json_object_get(v, "file"));
			printf("'\n");
		}
		printf("sig_version %lld: %lld rules and %lld hashes active\n",
		       (long long)sigdb_version(db), (long long)sigdb_rule_count(db),
		       (long long)sigdb_hash_count(db));
		json_decref(imported);
		json_decref(skipped);
	}
	sigdb_release(db);
	return EXIT_CLEAN;
}

int
cmd_sigdb_list(struct cli *cli)
{
	json_t *list, *v;
	enum vg_err e;
	size_t i;

	if (cli->argc != 1)
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[1]);
	e = store_sig_list_json(cli->st, &list, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	json_array_insert_new(list, 0,
			      json_pack("{s:s, s:s, s:n, s:s, s:I}", "name", "vigil", "kind",
					"yara (embedded)", "rules", "imported_at", "built in", "bytes",
					(json_int_t)sigdb_embedded_size()));
	if (cli->json) {
		out_json(cli, json_pack("{s:o}", "sources", list));
		return EXIT_CLEAN;
	}
	json_array_foreach(list, i, v) {
		out_json_text(json_object_get(v, "name"));
		printf("\t%s\t", json_string_value(json_object_get(v, "kind")));
		if (json_is_integer(json_object_get(v, "rules")))
			printf("%lld %s\t", (long long)json_integer_value(json_object_get(v, "rules")),
			       strcmp(json_string_value(json_object_get(v, "kind")), "hashes") == 0
				       ? "hashes" : "rules");
		else
			printf("-\t");
		printf("%s\n", json_string_value(json_object_get(v, "imported_at")));
	}
	json_decref(list);
	return EXIT_CLEAN;
}

int
cmd_sigdb_info(struct cli *cli)
{
	struct sigdb *db = NULL;
	struct timespec a, b;
	double ms;
	enum vg_err e;

	if (cli->argc != 1)
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[1]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	e = sigdb_open(cli->st, cli->state_dir, &db, &cli->err);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (e != VG_OK)
		return cli_fail(cli, e);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	if (cli->json)
		out_json(cli, json_pack("{s:I, s:s, s:I, s:I, s:I, s:f}", "sig_version",
					(json_int_t)sigdb_version(db), "rules_digest", sigdb_digest(db),
					"rules", (json_int_t)sigdb_rule_count(db), "hashes",
					(json_int_t)sigdb_hash_count(db), "compiled_bytes",
					(json_int_t)sigdb_compiled_size(db), "load_ms", ms));
	else
		printf("sig_version: %lld\nrules: %lld\nhashes: %lld\ncompiled size: %lld bytes\n"
		       "rules_digest: %s\nload time: %.1f ms\n", (long long)sigdb_version(db),
		       (long long)sigdb_rule_count(db), (long long)sigdb_hash_count(db),
		       (long long)sigdb_compiled_size(db), sigdb_digest(db), ms);
	sigdb_release(db);
	return EXIT_CLEAN;
}

int
cmd_sigdb_remove(struct cli *cli)
{
	enum vg_err e;

	if (cli->argc != 2)
		return cli_usage(cli, "sigdb remove takes one NAME");
	e = sigdb_remove(cli->st, cli->state_dir, cli->argv[1], &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (!cli->quiet && !cli->json)
		printf("removed '%s'\n", cli->argv[1]);
	return EXIT_CLEAN;
}

int
cmd_sigdb_rollback(struct cli *cli)
{
	int64_t restored = 0, version = 0;
	enum vg_err e;

	if (cli->argc != 1)
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[1]);
	e = sigdb_rollback(cli->st, cli->state_dir, &restored, &version, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json)
		out_json(cli, json_pack("{s:I, s:I}", "restored", (json_int_t)restored,
					"sig_version", (json_int_t)version));
	else if (!cli->quiet)
		printf("back to the signatures of sig_version %lld, active as sig_version %lld\n",
		       (long long)restored, (long long)version);
	return EXIT_CLEAN;
}

/* sigdb bundle create --key PRIV --out FILE [--version N] SRC... */
int
cmd_sigdb_bundle(struct cli *cli)
{
	struct sigdb_bundle b = { 0 };
	const char *key = NULL, *out = NULL;
	int64_t version = 0;
	int k, rc = EXIT_CLEAN;
	enum vg_err e = VG_OK;

	if (cli->argc < 2 || strcmp(cli->argv[1], "create") != 0)
		return cli_usage(cli, "sigdb bundle needs create");
	for (k = 2; k < cli->argc && e == VG_OK; k++) {
		if (strcmp(cli->argv[k], "--key") == 0 && k + 1 < cli->argc)
			key = cli->argv[++k];
		else if (strcmp(cli->argv[k], "--out") == 0 && k + 1 < cli->argc)
			out = cli->argv[++k];
		else if (strcmp(cli->argv[k], "--version") == 0 && k + 1 < cli->argc) {
			if (parse_int(cli->argv[++k], &version) != 0 || version < 1) {
				sigdb_bundle_release(&b);
				return cli_usage(cli, "--version takes a number above 0");
			}
		} else if (cli->argv[k][0] == '-') {
			sigdb_bundle_release(&b);
			return cli_usage(cli, "unknown option '%s'", cli->argv[k]);
		} else {
			e = sigdb_files_read(cli->argv[k], &b, &cli->err);
		}
	}
	if (e == VG_OK && (key == NULL || out == NULL || b.n == 0)) {
		sigdb_bundle_release(&b);
		return cli_usage(cli, "sigdb bundle create needs --key, --out and at least one SRC");
	}
	if (version == 0) /* by default the time: later bundles are newer */
		version = (int64_t)time(NULL);
	if (e == VG_OK)
		e = sigdb_bundle_create(key, out, version, b.files, b.n, &cli->err);
	if (e != VG_OK)
		rc = cli_fail(cli, e);
	else if (cli->json)
		out_json(cli, json_pack("{s:s, s:I, s:I}", "out", out, "version", (json_int_t)version,
					"files", (json_int_t)b.n));
	else if (!cli->quiet)
		printf("wrote bundle '%s': version %lld, %zu files, signed\n", out, (long long)version,
		       b.n);
	sigdb_bundle_release(&b);
	return rc;
}

/* sigdb update FILE [--pubkey PUB] [--allow-downgrade] */
int
cmd_sigdb_update(struct cli *cli)
{
	struct sigdb_bundle b;
	const char *file = NULL, *pub = NULL;
	int64_t version = 0;
	int k, downgrade = 0;
	enum vg_err e;

	for (k = 1; k < cli->argc; k++) {
		if (strcmp(cli->argv[k], "--pubkey") == 0 && k + 1 < cli->argc)
			pub = cli->argv[++k];
		else if (strcmp(cli->argv[k], "--allow-downgrade") == 0)
			downgrade = 1;
		else if (cli->argv[k][0] == '-' || file)
			return cli_usage(cli, "unexpected argument '%s'", cli->argv[k]);
		else
			file = cli->argv[k];
	}
	if (pub == NULL && config_get_string(cli->cfg, "sigdb.bundle_public_key")[0])
		pub = config_get_string(cli->cfg, "sigdb.bundle_public_key");
	if (file == NULL || pub == NULL)
		return cli_usage(cli, "sigdb update needs FILE and --pubkey PUB (or config "
				 "sigdb.bundle_public_key)");
	e = sigdb_bundle_read(file, pub, &b, &cli->err);
	if (e == VG_OK) {
		e = sigdb_install(cli->st, cli->state_dir, &b, downgrade, &version, &cli->err);
		if (e == VG_OK && cli->json)
			out_json(cli, json_pack("{s:I, s:I}", "bundle_version", (json_int_t)b.version,
						"sig_version", (json_int_t)version));
		else if (e == VG_OK && !cli->quiet)
			printf("installed bundle version %lld (%zu files): sig_version %lld\n",
			       (long long)b.version, b.n, (long long)version);
		sigdb_bundle_release(&b);
	}
	return e == VG_OK ? EXIT_CLEAN : cli_fail(cli, e);
}
