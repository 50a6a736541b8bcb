/*
 * cli/scan_record.c — what every scan (custom, quick, full, real-time) shares: the engine
 * options from the configuration, and the scan's record in the store with its chain of
 * custody (host, kernel, machine guid, command line, rules), opened and closed.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/host.h"
#include "core/jsonx.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"

void
cli_scan_options(struct cli *cli, struct scanner_options *o)
{
	scanner_options_init(o);
	o->archives = config_get_bool(cli->cfg, "antivirus_engine.scan_archives");
	o->max_depth = (int)config_get_int(cli->cfg, "antivirus_engine.max_archive_depth");
	o->max_filesize = (uint64_t)config_get_int(cli->cfg, "antivirus_engine.max_file_size");
	o->archive_max_members =
		(uint64_t)config_get_int(cli->cfg, "antivirus_engine.archive_max_members");
	o->archive_max_bytes = (uint64_t)config_get_int(cli->cfg, "antivirus_engine.archive_max_bytes");
	o->archive_max_member_size =
		(uint64_t)config_get_int(cli->cfg, "antivirus_engine.archive_max_member_size");
	o->archive_max_ratio = (uint64_t)config_get_int(cli->cfg, "antivirus_engine.archive_max_ratio");
	o->scan_timeout = (int)config_get_int(cli->cfg, "antivirus_engine.scan_timeout");
}

int
cli_scan_begin(struct cli *cli, struct sigdb *db, const struct cli_scan *s, int64_t *scan_id)
{
	json_t *roots = json_array(), *cmd = json_array(), *excl;
	struct vg_host host;
	char *guid = NULL;
	enum vg_err e;
	size_t i;

	for (i = 0; i < s->nroots; i++)
		json_array_append_new(roots, vg_json_bytes(s->roots[i], strlen(s->roots[i])));
	for (i = 0; i < (size_t)cli->all_argc; i++)
		json_array_append_new(cmd, vg_json_bytes(cli->all_argv[i], strlen(cli->all_argv[i])));
	excl = s->excl ? scanner_excl_json(s->excl) : json_array();
	vg_host_read(&host);
	e = store_machine_guid(cli->st, &guid, &cli->err);
	if (e == VG_OK)
		e = store_scan_begin(cli->st,
				     &(struct store_scan_new){
					     .type = s->type, .threads = s->threads,
					     .sig_version = sigdb_version(db),
					     .rules_digest = sigdb_digest(db), .roots = roots,
					     .command_line = cmd, .options = s->options,
					     .exclusions = excl, .case_id = s->case_id,
					     .examiner = s->examiner, .hostname = host.hostname,
					     .kernel = host.kernel, .machine_guid = guid,
					     .org_id = config_get_string(cli->cfg, "org_id"),
					     .app_version = VIGIL_VERSION, .inventory = s->inventory },
				     scan_id, &cli->err);
	free(guid);
	json_decref(roots);
	json_decref(cmd);
	json_decref(excl);
	return e == VG_OK ? 0 : cli_fail(cli, e);
}

void
cli_scan_finish(struct cli *cli, int64_t scan_id, const char *status,
		const struct scanner_totals *t, int failed)
{
	struct vg_error e2;

	vg_error_init(&e2);
	/* when the scan failed, its own reason stays the one reported */
	store_scan_finish(cli->st, scan_id,
			  &(struct store_scan_totals){
				  .status = status,
				  .duration_s = t->duration_s,
				  .files_scanned = t->files_scanned,
				  .bytes_scanned = t->bytes_scanned,
				  .objects_scanned = t->objects_scanned,
				  .errors = t->errors,
				  .skipped = t->skipped,
				  .threats = t->threats,
				  .excluded = t->excluded,
				  .files_cached = t->cached,
				  .file_types = t->file_types },
			  failed ? &e2 : &cli->err);
}
