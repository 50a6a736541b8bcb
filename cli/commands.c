/* cli/commands.c — the one table of commands; help is generated from it. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define SCAN_OPTS                                                                          \
	"[--threads N] [--exclude-path P]... [--exclude-ext EXT]... [--exclude-name GLOB]... " \
	"[--ignore-exclusions] [--no-archives] [--no-deep-containers] [--max-filesize BYTES] "   \
	"[--max-recursion N] "                                                                  \
	"[--one-filesystem] [--action report|quarantine] [--inventory] [--case ID] "          \
	"[--examiner NAME] [--report FORMAT:FILE]... [--root DIR] [--allow-modify] "             \
	"[--verify-unchanged] [--no-cache] [--cache]"

const struct command commands[] = {
	{ "scan", "quick", cmd_scan_run, NEED_STORE, "scan quick [--image FILE [--parent FILE] "
	  "[--credential KIND:FILE]...] " SCAN_OPTS,
	  "scan the quick-scan folders (filesystem_scanner.quick_scan_directories)",
	  cmd_scan_preflight },
	{ "scan", "full", cmd_scan_run, NEED_STORE, "scan full " SCAN_OPTS,
	  "scan filesystem_scanner.full_scan_directory (default /)", cmd_scan_preflight },
	{ "scan", "custom", cmd_scan_run, NEED_STORE, "scan custom PATH... " SCAN_OPTS,
	  "scan the given files and folders", cmd_scan_preflight },
	{ "scan", "image", cmd_scan_run, NEED_STORE,
	  "scan image FILE [--list] [--partition N | --offset BYTES] [--deleted] [--parent FILE] "
	  "[--credential KIND:FILE]... " SCAN_OPTS,
	  "scan the file systems in a raw, split raw, E01, VMDK, VHD, VHDX or QCOW2 disk image "
	  "without mounting it, through LVM, LUKS and APFS containers",
	  cmd_scan_preflight },
	{ "scan", "resume", cmd_scan_resume, NEED_STORE, "scan resume ID [--credential KIND:FILE]...",
	  "continue an interrupted scan: files it had finished are not scanned again", NULL },
	{ "scan", "list", cmd_scan_list, NEED_STORE, "scan list [--limit N]", "scan history", NULL },
	{ "scan", "show", cmd_scan_show, NEED_STORE, "scan show ID",
	  "one scan: totals, threats, files not scanned and why", NULL },
	{ "report", "verify", cmd_report_verify, NEED_STORE, "report verify FILE",
	  "is FILE, byte for byte, a report this store wrote? (by its SHA-256)", NULL },
	{ "report", NULL, cmd_report, NEED_STORE,
	  "report SCAN_ID --format json|jsonl|csv|html|bodyfile --out FILE|-",
	  "a report of any past scan, from the store; prints its SHA-256 (sha256sum format)", NULL },
	{ "threat", "list", cmd_threat_list, NEED_STORE, "threat list [--scan ID] [--allowed]",
	  "detections (or, with --allowed, those the allow list let through)", NULL },
	{ "threat", "allow", cmd_threat_allow, NEED_STORE,
	  "threat allow add|remove --sha256 HASH | --name THREAT [--expires SECONDS] "
	  "[--reason TEXT]; threat allow list",
	  "the allow list for false positives: allowed detections are reported as allowed", NULL },
	{ "quarantine", "add", cmd_quarantine_add, NEED_STORE, "quarantine add PATH...",
	  "move files into the encrypted vault", NULL },
	{ "quarantine", "list", cmd_quarantine_list, NEED_STORE, "quarantine list",
	  "the items in the vault", NULL },
	{ "quarantine", "restore", cmd_quarantine_restore, NEED_STORE,
	  "quarantine restore ID... [--force] | quarantine restore ID --path DEST [--force]",
	  "put an item back, byte for byte, with its mode, owner and times", NULL },
	{ "quarantine", "remove", cmd_quarantine_remove, NEED_STORE, "quarantine remove ID",
	  "delete an item for good", NULL },
	{ "quarantine", "export", cmd_quarantine_export, NEED_STORE,
	  "quarantine export ID --out FILE.zip [--password P]",
	  "an AES-256 zip of the sample and its metadata (password: infected)", NULL },
	{ "exclusion", "add", cmd_exclusion_add, NEED_STORE,
	  "exclusion add --path P | --ext EXT | --name GLOB", "add a stored exclusion", NULL },
	{ "exclusion", "remove", cmd_exclusion_remove, NEED_STORE,
	  "exclusion remove --path P | --ext EXT | --name GLOB", "remove a stored exclusion", NULL },
	{ "exclusion", "list", cmd_exclusion_list, NEED_STORE, "exclusion list",
	  "stored and configured exclusions", NULL },
	{ "exclusion", "explain", cmd_exclusion_explain, NEED_STORE,
	  "exclusion explain PATH [--exclude-path P]... [--exclude-ext EXT]... [--exclude-name GLOB]...",
	  "which exclusion, from where, would skip PATH", NULL },
	{ "config", "show", cmd_config_show, NEED_CONFIG, "config show",
	  "every key with its value and origin", NULL },
	{ "config", "get", cmd_config_get, NEED_CONFIG, "config get KEY", "one key's value", NULL },
	{ "config", "set", cmd_config_set, NEED_CONFIG, "config set KEY VALUE",
	  "set a key in the local configuration file", NULL },
	{ "sigdb", "import", cmd_sigdb_import, NEED_STORE, "sigdb import FILE|DIR [--skip-bad]",
	  "add YARA rules or hash lists (nothing changes if any fails, unless --skip-bad)", NULL },
	{ "sigdb", "list", cmd_sigdb_list, NEED_STORE, "sigdb list", "signature sources", NULL },
	{ "sigdb", "info", cmd_sigdb_info, NEED_STORE, "sigdb info",
	  "sig_version, digest, rule count, load time", NULL },
	{ "sigdb", "remove", cmd_sigdb_remove, NEED_STORE, "sigdb remove NAME",
	  "remove an imported source", NULL },
	{ "sigdb", "rollback", cmd_sigdb_rollback, NEED_STORE, "sigdb rollback",
	  "return to the signatures of the previous sig_version", NULL },
	{ "sigdb", "bundle", cmd_sigdb_bundle, 0,
	  "sigdb bundle create --key PRIV.pem --out FILE [--version N] SRC...",
	  "a signed offline bundle (Ed25519) of rule files and hash lists", NULL },
	{ "sigdb", "update", cmd_sigdb_update, NEED_STORE,
	  "sigdb update FILE [--pubkey PUB.pem] [--allow-downgrade]",
	  "verify a bundle (signature, every file's SHA-256, version) and install it", NULL },
	{ "rtp", "run", cmd_rtp_run, NEED_STORE, "rtp run [--path DIR]... [--passive]",
	  "real-time protection in the foreground (fanotify; paths default to realtime.paths)", NULL },
	{ "rtp", "status", cmd_rtp_status, NEED_CONFIG, "rtp status",
	  "statistics of the running real-time protection", NULL },
	{ "rtp", "top", cmd_rtp_top, NEED_CONFIG, "rtp top [--by process|file] [--limit N]",
	  "the processes or files that cost real-time protection the most scan time", NULL },
	{ "daemon", NULL, cmd_daemon, NEED_STORE, "daemon",
	  "real-time protection (when enabled) and scheduled scans; logs to <state>/vigil.log", NULL },
	{ "fleet", "push", cmd_fleet_push, NEED_STORE, "fleet push [--db URL] [--inventory]",
	  "send what this host has not sent yet to the fleet database (PostgreSQL); idempotent",
	  NULL },
	{ "fleet", "export", cmd_fleet_export, NEED_STORE, "fleet export --out FILE [--inventory]",
	  "the same, into a signed, self-checking file for a host with no route to the database",
	  NULL },
	{ "fleet", "import", cmd_fleet_import, NEED_CONFIG, "fleet import FILE [--db URL]",
	  "check an export file and load it into the fleet database, all or nothing", NULL },
	{ "fleet", "hosts", cmd_fleet_hosts, NEED_CONFIG, "fleet hosts [--db URL]",
	  "the hosts in the fleet database", NULL },
	{ "fleet", "threats", cmd_fleet_threats, NEED_CONFIG,
	  "fleet threats [--db URL] [--sha256 H] [--name RULE] [--host GUID] [--since TIME]",
	  "detections across hosts (TIME: 2026-12-01T10:00:00Z, or an age: 30m, 12h, 7d)", NULL },
	{ "fleet", "init", cmd_fleet_init, NEED_CONFIG, "fleet init --db URL",
	  "create or upgrade the fleet database's schema and roles (its owner, once)", NULL },
	{ "diagnostic", "create", cmd_diagnostic_create, NEED_STORE,
	  "diagnostic create --out FILE.zip",
	  "the event log, logs, configuration, health and store statistics in one zip", NULL },
	{ "health", NULL, cmd_health, NEED_STORE, "health [--field NAME]",
	  "app and signature versions, real-time settings, machine guid, org id, quarantine "
	  "count, store integrity, last scans", NULL },
	{ "store", "check", cmd_store_check, NEED_CONFIG, "store check",
	  "SQLite's full integrity check of the store, readable also when it is damaged", NULL },
	{ "help", NULL, cmd_help, 0, "help [COMMAND]", "this help, or one command's", NULL },
};
const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

void
cli_print_help(FILE *out, const char *family)
{
	size_t i;

	if (family == NULL) {
		fprintf(out, "usage: vigil [--state-dir DIR] [--config FILE] [--key-file FILE] [--json] "
			     "[-q] [-v] COMMAND [ARGS]\n\n"
			     "vigil is an offline malware scanner and quarantine manager.\n\n"
			     "Commands:\n");
	}
	for (i = 0; i < ncommands; i++) {
		if (family && strcmp(family, commands[i].family) != 0)
			continue;
		fprintf(out, "  vigil %s\n      %s\n", commands[i].usage, commands[i].summary);
	}
	if (family == NULL)
		fprintf(out, "\nGlobal options:\n"
			     "  --state-dir DIR  state folder (also VIGIL_STATE_DIR)\n"
			     "  --config FILE    local configuration (also VIGIL_CONFIG)\n"
			     "  --key-file FILE  the quarantine key (default <state-dir>/quarantine.key)\n"
			     "  --json           one JSON document on stdout\n"
			     "  -q, -v           quieter, more verbose\n"
			     "  --version        the version\n\n"
			     "Exit codes: 0 nothing found, 1 threats found, 2 the command failed.\n");
}

int
cmd_help(struct cli *cli)
{
	size_t i;

	if (cli->argc < 2) {
		cli_print_help(stdout, NULL);
		return EXIT_CLEAN;
	}
	for (i = 0; i < ncommands; i++)
		if (strcmp(cli->argv[1], commands[i].family) == 0) {
			cli_print_help(stdout, cli->argv[1]);
			return EXIT_CLEAN;
		}
	return cli_usage(cli, "unknown command '%s'", cli->argv[1]);
}
