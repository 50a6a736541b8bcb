/* cli/cmd_exclusion.c — vigil exclusion add|remove|list|explain, and the set a scan uses. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "core/path.h"
#include "scanner/scanner.h"

/* The state folder: always skipped, also with --ignore-exclusions. */
int
cli_builtin_exclusions(struct cli *cli, struct excl_set *set)
{
	enum vg_err e = scanner_excl_add(set, EXCL_PATH, cli->state_dir, EXCL_BUILTIN,
					 "vigil's state folder", &cli->err);

	return e == VG_OK ? 0 : cli_fail(cli, e);
}

/* The built-in exclusion, those in the store, then antivirus_engine.exclusions[]. */
int
cli_load_exclusions(struct cli *cli, struct excl_set *set)
{
	json_t *stored = NULL, *cfg, *v;
	enum vg_err e;
	size_t i;

	if (cli_builtin_exclusions(cli, set) != 0)
		return EXIT_FAILED;
	e = store_exclusion_list_json(cli->st, &stored, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	json_array_foreach(stored, i, v) {
		char ref[64];
		int kind = scanner_excl_kind_parse(json_string_value(json_object_get(v, "kind")));

		snprintf(ref, sizeof(ref), "store id %lld",
			 (long long)json_integer_value(json_object_get(v, "id")));
		if (kind < 0)
			continue;
		e = scanner_excl_add(set, (enum excl_kind)kind,
				     json_string_value(json_object_get(v, "value")), EXCL_FROM_STORE,
				     ref, &cli->err);
		if (e != VG_OK) {
			json_decref(stored);
			return cli_fail(cli, e);
		}
	}
	json_decref(stored);
	cfg = config_get(cli->cfg, "antivirus_engine.exclusions");
	json_array_foreach(cfg, i, v) {
		static const struct {
			const char *key;
			enum excl_kind kind;
		} fields[] = { { "path", EXCL_PATH }, { "extension", EXCL_EXT }, { "name", EXCL_NAME } };
		char ref[64];
		size_t f;
		int any = 0;

		snprintf(ref, sizeof(ref), "antivirus_engine.exclusions[%zu]", i);
		for (f = 0; f < 3; f++) {
			json_t *s = json_object_get(v, fields[f].key);

			if (s == NULL)
				continue;
			any = 1;
			if (!json_is_string(s))
				e = vg_error_set(&cli->err, VG_CONFIG, "config %s.%s must be a string",
						 ref, fields[f].key);
			else
				e = scanner_excl_add(set, fields[f].kind, json_string_value(s),
						     EXCL_FROM_CONFIG, ref, &cli->err);
			if (e != VG_OK)
				return cli_fail(cli, e);
		}
		if (!any)
			return cli_fail(cli, vg_error_set(&cli->err, VG_CONFIG,
							  "config %s has no path, extension or name",
							  ref));
	}
	return 0;
}

/* --path P | --ext EXT | --name GLOB: exactly one. */
static int
parse_one(struct cli *cli, const char **kind, char **value)
{
	int k;

	if (cli->argc != 3 || strncmp(cli->argv[1], "--", 2) != 0 ||
	    (k = scanner_excl_kind_parse(cli->argv[1] + 2)) < 0)
		return cli_usage(cli, "exclusion %s takes one of --path P, --ext EXT, --name GLOB",
				 cli->argv[0]);
	*kind = scanner_excl_kind_name((enum excl_kind)k);
	if (k == EXCL_PATH) {
		enum vg_err e = vg_path_absolute(cli->argv[2], value, &cli->err);

		if (e != VG_OK)
			return cli_fail(cli, e);
	} else if (k == EXCL_EXT) {
		*value = strdup(cli->argv[2][0] == '.' ? cli->argv[2] + 1 : cli->argv[2]);
	} else {
		*value = strdup(cli->argv[2]);
	}
	if (*value == NULL)
		return cli_fail(cli, VG_NOMEM);
	{
		/* validate it as a scan would */
		struct excl_set *probe = scanner_excl_create();
		enum vg_err e = scanner_excl_add(probe, (enum excl_kind)k, *value, EXCL_FROM_STORE,
						 "", &cli->err);

		scanner_excl_destroy(probe);
		if (e != VG_OK) {
			free(*value);
			return cli_fail(cli, e);
		}
	}
	return 0;
}

static int
add_or_remove(struct cli *cli, int add)
{
	const char *kind = NULL;
	char *value = NULL;
	enum vg_err e;

	if (parse_one(cli, &kind, &value) != 0)
		return EXIT_FAILED;
	e = add ? store_exclusion_add(cli->st, kind, value, &cli->err)
		: store_exclusion_remove(cli->st, kind, value, &cli->err);
	if (e != VG_OK) {
		free(value);
		return cli_fail(cli, e);
	}
	if (cli->json) {
		json_t *o = json_pack("{s:s, s:s}", "action", add ? "added" : "removed", "kind", kind);

		vg_json_set_bytes(o, "value", value, strlen(value));
		out_json(cli, o);
	} else if (!cli->quiet) {
		printf("%s %s exclusion '", add ? "added" : "removed", kind);
		out_text(value);
		printf("'\n");
	}
	free(value);
	return EXIT_CLEAN;
}

int
cmd_exclusion_add(struct cli *cli)
{
	return add_or_remove(cli, 1);
}

int
cmd_exclusion_remove(struct cli *cli)
{
	return add_or_remove(cli, 0);
}

int
cmd_exclusion_list(struct cli *cli)
{
	struct excl_set *set = scanner_excl_create();
	json_t *all, *v;
	size_t i;

	if (cli->argc != 1) {
		scanner_excl_destroy(set);
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[1]);
	}
	if (set == NULL || cli_load_exclusions(cli, set) != 0) {
		scanner_excl_destroy(set);
		return cli_fail(cli, VG_NOMEM);
	}
	all = scanner_excl_json(set);
	scanner_excl_destroy(set);
	if (cli->json) {
		out_json(cli, json_pack("{s:o}", "exclusions", all));
		return EXIT_CLEAN;
	}
	json_array_foreach(all, i, v) {
		printf("%-5s ", json_string_value(json_object_get(v, "kind")));
		out_json_text(json_object_get(v, "value"));
		printf("\t(%s: %s)\n", json_string_value(json_object_get(v, "origin")),
		       json_string_value(json_object_get(v, "ref")));
	}
	json_decref(all);
	return EXIT_CLEAN;
}

static const struct option explain_options[] = {
	{ "exclude-path", required_argument, NULL, 'p' },
	{ "exclude-ext", required_argument, NULL, 'e' },
	{ "exclude-name", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

int
cmd_exclusion_explain(struct cli *cli)
{
	struct excl_set *set = scanner_excl_create();
	struct excl_match m;
	struct stat st;
	char *path = NULL;
	int c, rc = EXIT_FAILED, is_dir, hit;
	enum vg_err e;
	json_t *doc;

	if (set == NULL)
		return cli_fail(cli, VG_NOMEM);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(cli->argc, cli->argv, "", explain_options, NULL)) != -1) {
		if (c == '?') {
			cli_usage(cli, "unknown option '%s'", cli->argv[optind - 1]);
			goto out;
		}
		e = scanner_excl_add(set, c == 'p' ? EXCL_PATH : c == 'e' ? EXCL_EXT : EXCL_NAME,
				     optarg, EXCL_FROM_CLI,
				     c == 'p' ? "--exclude-path" : c == 'e' ? "--exclude-ext"
									 : "--exclude-name",
				     &cli->err);
		if (e != VG_OK) {
			cli_fail(cli, e);
			goto out;
		}
	}
	if (optind != cli->argc - 1) {
		cli_usage(cli, "exclusion explain takes one PATH");
		goto out;
	}
	if (cli_load_exclusions(cli, set) != 0)
		goto out;
	e = vg_path_absolute(cli->argv[optind], &path, &cli->err);
	if (e != VG_OK) {
		cli_fail(cli, e);
		goto out;
	}
	is_dir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
	hit = scanner_excl_explain(set, path, is_dir, &m);
	doc = json_object();
	vg_json_set_bytes(doc, "path", path, strlen(path));
	json_object_set_new(doc, "excluded", json_boolean(hit));
	if (hit) {
		json_t *by = json_pack("{s:s, s:s, s:s}", "kind", scanner_excl_kind_name(m.kind),
				       "origin", scanner_excl_origin_name(m.origin), "ref", m.ref);

		vg_json_set_bytes(by, "value", m.value, strlen(m.value));
		vg_json_set_bytes(by, "matched", path, m.path_len);
		json_object_set_new(doc, "by", by);
	}
	if (cli->json) {
		out_json(cli, doc);
	} else {
		putchar('\'');
		out_text(path);
		if (hit) {
			char *matched = strndup(path, m.path_len);

			printf("' is skipped by %s exclusion '", scanner_excl_kind_name(m.kind));
			out_text(m.value);
			printf("' (%s: %s), which matches ", scanner_excl_origin_name(m.origin), m.ref);
			if (m.path_len < strlen(path)) {
				printf("its folder '");
				out_text(matched ? matched : "");
				printf("'\n");
			} else {
				printf("it\n");
			}
			free(matched);
		} else {
			printf("' is not excluded: it would be scanned\n");
		}
		json_decref(doc);
	}
	rc = EXIT_CLEAN;
out:
	free(path);
	scanner_excl_destroy(set);
	return rc;
}
