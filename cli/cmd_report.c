/* cli/cmd_report.c — vigil report SCAN_ID --format F --out FILE; vigil report verify FILE. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "core/path.h"
#include "reports/report.h"

int
cli_write_report(struct cli *cli, int64_t scan_id, const char *format, const char *out,
		 json_t **written)
{
	struct report_result r;
	enum vg_err e = report_write(cli->st, scan_id, format, out, &r, &cli->err);

	if (e != VG_OK)
		return cli_fail(cli, e);
	*written = json_pack("{s:I, s:s, s:o, s:s, s:I}", "scan_id", (json_int_t)scan_id, "format",
			     format, "path", vg_json_bytes(out, strlen(out)), "sha256", r.sha256,
			     "bytes", (json_int_t)r.bytes);
	return EXIT_CLEAN;
}

void
out_report_line(FILE *f, json_t *report)
{
	json_t *path = json_object_get(report, "path");
	const char *p = json_string_value(path);
	char *esc = p ? vg_text_escape(p, strlen(p)) : NULL;

	/* the format of sha256sum, so that 'sha256sum -c' checks the copy handed over; like
	 * sha256sum, a line whose name had to be escaped starts with a backslash */
	fprintf(f, "%s%s  %s\n", esc && strcmp(esc, p) != 0 ? "\\" : "",
		json_string_value(json_object_get(report, "sha256")), esc ? esc : "?");
	free(esc);
}

int
cmd_report(struct cli *cli)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL, *out = NULL;
	json_t *written = NULL;
	struct stat sb;
	int64_t id;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(cli->argc, cli->argv, "", opts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'o')
			out = optarg;
		else
			return cli_usage(cli, "unknown option '%s'", cli->argv[optind - 1]);
	}
	if (optind != cli->argc - 1)
		return cli_usage(cli, "report takes one SCAN_ID (see 'vigil scan list')");
	if (parse_int(cli->argv[optind], &id) != 0 || id < 1)
		return cli_usage(cli, "'%s' is not a scan ID (a number: see 'vigil scan list')",
				 cli->argv[optind]);
	if (format == NULL || out == NULL)
		return cli_usage(cli, "report needs --format (%s) and --out FILE (- for standard "
				 "output)", report_format_names());
	rc = cli_write_report(cli, id, format, out, &written);
	if (rc != EXIT_CLEAN)
		return rc;
	if (strcmp(out, "-") == 0 || stat(out, &sb) != 0 || !S_ISREG(sb.st_mode))
		out_report_line(stderr, written); /* stdout may hold the report (/dev/stdout) */
	else if (cli->json)
		out_json(cli, json_incref(written));
	else if (!cli->quiet)
		out_report_line(stdout, written);
	json_decref(written);
	return EXIT_CLEAN;
}

int
cmd_report_verify(struct cli *cli)
{
	char hex[65];
	json_t *found = NULL, *v;
	enum vg_err e;
	size_t i;

	if (cli->argc != 2)
		return cli_usage(cli, "report verify takes one FILE");
	e = vg_sha256_file(cli->argv[1], hex, &cli->err);
	if (e == VG_OK)
		e = store_report_find_json(cli->st, hex, &found, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (json_array_size(found) == 0) {
		char *esc = vg_text_escape(cli->argv[1], strlen(cli->argv[1]));

		json_decref(found);
		vg_error_set(&cli->err, VG_NOTFOUND,
			     "'%s' (SHA-256 %s) is no report this store wrote: changed, or from "
			     "elsewhere", esc ? esc : "?", hex);
		free(esc);
		return cli_fail(cli, VG_NOTFOUND);
	}
	if (cli->json) {
		out_json(cli, json_pack("{s:s, s:o}", "sha256", hex, "reports", found));
		return EXIT_CLEAN;
	}
	json_array_foreach(found, i, v) {
		printf("OK: report %lld of scan %lld (%s, %lld bytes, written %s",
		       (long long)json_integer_value(json_object_get(v, "id")),
		       (long long)json_integer_value(json_object_get(v, "scan_id")),
		       json_string_value(json_object_get(v, "format")),
		       (long long)json_integer_value(json_object_get(v, "bytes")),
		       json_string_value(json_object_get(v, "created_at")));
		printf(") as ");
		out_json_text(json_object_get(v, "path"));
		putchar('\n');
	}
	json_decref(found);
	return EXIT_CLEAN;
}
