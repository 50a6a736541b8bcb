/*
 * cli/scan_record.c — the record of a scan that is not a scan job (real-time protection):
 * the engine options from the configuration, and the record opened and closed through
 * scanner/job.h, as every scan job's is.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "fleet/syslog.h"
#include "quarantine/quarantine.h"
#include "scanner/job.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"

void
cli_scan_options(struct cli *cli, struct scanner_options *o)
{
	struct scan_spec sp;

	scan_spec_init(&sp, cli->cfg);
	*o = sp.o;
	o->events = cli_scan_events(cli);
	scan_spec_release(&sp);
}

struct scanner_events
cli_scan_events(struct cli *cli)
{
	if (cli->syslog == NULL)
		return (struct scanner_events){ 0 };
	return (struct scanner_events){ fleet_syslog_threat, fleet_syslog_refusal, cli->syslog };
}

struct quarantine_notify
cli_vault_notify(struct cli *cli)
{
	if (cli->syslog == NULL)
		return (struct quarantine_notify){ 0 };
	return (struct quarantine_notify){ fleet_syslog_vault, cli->syslog };
}

/* The command line as given, for the chain of custody (new reference). */
json_t *
cli_command_line(struct cli *cli)
{
	json_t *cmd = json_array();
	int i;

	for (i = 0; cmd && i < cli->all_argc; i++)
		json_array_append_new(cmd, vg_json_bytes(cli->all_argv[i], strlen(cli->all_argv[i])));
	return cmd;
}

int
cli_scan_begin(struct cli *cli, struct sigdb *db, const struct scan_record *r, int64_t *scan_id)
{
	json_t *cmd = cli_command_line(cli);
	struct scan_custody custody = { .command_line = cmd };
	struct scan_record with = *r;
	enum vg_err e;

	with.custody = &custody;
	e = scan_record_begin(cli->st, cli->cfg, db, &with, scan_id, &cli->err);
	json_decref(cmd);
	return e == VG_OK ? 0 : cli_fail(cli, e);
}

void
cli_scan_finish(struct cli *cli, int64_t scan_id, const char *status,
		const struct scanner_totals *t, int failed)
{
	struct vg_error e2;

	vg_error_init(&e2);
	/* when the scan failed, its own reason stays the one reported */
	scan_record_finish(cli->st, scan_id, status, t, failed ? &e2 : &cli->err);
}
