/*
 * cli/cli.h — the command line: global options, the command table, shared output helpers.
 *
 * To add a command: write int cmd_<family>_<verb>(struct cli *) in cli/cmd_<family>.c,
 * declare it here, and add one row to commands[] in cli/commands.c. main() opens what the
 * row's flags ask for (configuration, store, rules), runs the handler, closes everything
 * and checks that stdout was written completely. Handlers return the exit code: 0 nothing
 * found / success, 1 threats found, 2 the command failed (with the reason in cli->err).
 */
#ifndef VIGIL_CLI_CLI_H
#define VIGIL_CLI_CLI_H

#include <jansson.h>
#include <signal.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/store.h"
#include "scanner/scanner.h"

enum cmd_flags {
	NEED_CONFIG = 1 << 0,
	NEED_STORE = 1 << 1 | NEED_CONFIG,
};

struct cli {
	int argc;		/* the command's own arguments; argv[0] is the verb */
	char **argv;
	int all_argc;		/* the whole command line, recorded with scans */
	char **all_argv;
	char *state_dir;
	const char *config_path, *managed_path;
	const char *key_file;	/* --key-file: the quarantine key, else <state-dir>/quarantine.key */
	int json, quiet, verbose;
	struct vg_config *cfg;
	struct store *st;
	struct fleet_syslog *syslog;	/* logging.syslog (fleet/syslog.h), else NULL */
	struct vg_error err;
};

struct command {
	const char *family;
	const char *verb;	/* NULL: the family takes no verb */
	int (*fn)(struct cli *cli);
	unsigned flags;
	const char *usage;
	const char *summary;
	/* checks that must pass before the store is opened (or created), or NULL */
	int (*preflight)(struct cli *cli);
};

extern const struct command commands[];
extern const size_t ncommands;

/* Set by SIGINT/SIGTERM during a scan. */
extern volatile sig_atomic_t cli_stop;

enum { EXIT_CLEAN = 0, EXIT_FOUND = 1, EXIT_FAILED = 2 };

/* Record a usage error for the current command (exit 2). */
int cli_usage(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record the error code and reason; returns EXIT_FAILED. */
int cli_fail(struct cli *cli, enum vg_err code);

void cli_print_help(FILE *out, const char *family);

struct excl_set;

/* Output helpers (cli/output.c). Every hostile string goes through these. */
void out_json(struct cli *cli, json_t *doc);	/* prints and steals doc */
void out_text(const char *s);			/* escaped, no newline */
void out_json_text(json_t *s);			/* a JSON string value, escaped */
void out_json_text_to(FILE *f, json_t *s);
void out_threat_line(json_t *threat);		/* "path > member: NAME FOUND" */
void out_problem_line(FILE *f, json_t *problem);
/* The volumes of a disk image scan and what came of each. */
void out_volumes(json_t *volumes);
void out_bytes(char *buf, size_t n, int64_t bytes); /* 1.5 MiB */
int parse_size(const char *s, uint64_t *out);	/* 123, 10K, 5M, 2G, 1T */
int parse_int(const char *s, int64_t *out);

/* Command handlers. */
int cmd_scan_run(struct cli *cli);
int cmd_scan_preflight(struct cli *cli);	/* --root: the state folder outside the image */
int cmd_scan_list(struct cli *cli);
int cmd_scan_resume(struct cli *cli);
int cmd_scan_show(struct cli *cli);
int cmd_threat_list(struct cli *cli);
int cmd_exclusion_add(struct cli *cli);
int cmd_exclusion_remove(struct cli *cli);
int cmd_exclusion_list(struct cli *cli);
int cmd_exclusion_explain(struct cli *cli);
int cmd_config_show(struct cli *cli);
int cmd_config_get(struct cli *cli);
int cmd_config_set(struct cli *cli);
int cmd_sigdb_import(struct cli *cli);
int cmd_sigdb_list(struct cli *cli);
int cmd_sigdb_info(struct cli *cli);
int cmd_sigdb_remove(struct cli *cli);
int cmd_sigdb_rollback(struct cli *cli);
int cmd_sigdb_bundle(struct cli *cli);
int cmd_sigdb_update(struct cli *cli);
int cmd_help(struct cli *cli);
int cmd_health(struct cli *cli);
int cmd_store_check(struct cli *cli);
int cmd_quarantine_add(struct cli *cli);
int cmd_quarantine_list(struct cli *cli);
int cmd_quarantine_restore(struct cli *cli);
int cmd_quarantine_remove(struct cli *cli);
int cmd_quarantine_export(struct cli *cli);
int cmd_threat_allow(struct cli *cli);	/* add|remove|list */
int cmd_report(struct cli *cli);
int cmd_rtp_run(struct cli *cli);
int cmd_rtp_status(struct cli *cli);
int cmd_rtp_top(struct cli *cli);
int cmd_daemon(struct cli *cli);
int cmd_diagnostic_create(struct cli *cli);
int cmd_fleet_push(struct cli *cli);
int cmd_fleet_export(struct cli *cli);
int cmd_fleet_import(struct cli *cli);
int cmd_fleet_init(struct cli *cli);
int cmd_fleet_hosts(struct cli *cli);
int cmd_fleet_threats(struct cli *cli);

/* The document of `vigil health` (cli/cmd_health.c); 0, or EXIT_FAILED with cli->err set. */
int cli_health_json(struct cli *cli, json_t **out);
int cmd_report_verify(struct cli *cli);

/*
 * Write a report of a scan (cli/cmd_report.c); *written receives {scan_id, format, path,
 * sha256, bytes}. Returns EXIT_CLEAN, or EXIT_FAILED with cli->err set.
 */
int cli_write_report(struct cli *cli, int64_t scan_id, const char *format, const char *out,
		     json_t **written);
/* ---- cli/scan_record.c: what every kind of scan shares ---- */

struct scanner_options;
struct scanner_totals;
struct sigdb;

/* The engine's options (archives, limits, timeout) from the configuration. */
void cli_scan_options(struct cli *cli, struct scanner_options *o);
/* Detections and refusals to syslog when logging.syslog is on (else no events). */
struct scanner_events cli_scan_events(struct cli *cli);
struct quarantine_notify;
/* Vault items moved in, restored and removed to syslog, the same way. */
struct quarantine_notify cli_vault_notify(struct cli *cli);

struct scan_record;

/*
 * Record a scan that is no scan job (real-time protection) with its chain of custody, this
 * command line being its own; 0, or EXIT_FAILED with cli->err set.
 */
int cli_scan_begin(struct cli *cli, struct sigdb *db, const struct scan_record *r,
		   int64_t *scan_id);
/* Record how it ended (failed: keep cli->err's reason, the scan's own). */
void cli_scan_finish(struct cli *cli, int64_t scan_id, const char *status,
		     const struct scanner_totals *t, int failed);

/* ---- cli/scan_common.c: around the engine, for every on-demand scan ---- */

/* While a scan job runs: SIGINT/SIGTERM stop it (cli_stop), a progress line on a terminal. */
struct cli_progress {
	struct scanner_callbacks cb;	/* for scan_env.progress */
	int enabled, printed;
	struct sigaction old_int, old_term;
};
void cli_progress_start(struct cli *cli, struct cli_progress *p);
void cli_progress_stop(struct cli_progress *p);
/* The command line as given (new reference), for the chain of custody. */
json_t *cli_command_line(struct cli *cli);
struct scan_env;
struct scan_job;
struct allow_set;
/* The store, state folder, configuration, allow list and stop flag of a scan job. */
void cli_scan_env(struct cli *cli, struct allow_set *allow, struct scan_env *env);
/* Run a scan job: SIGINT stops it, a progress line, quarantine as its finish step. */
enum vg_err cli_run_job(struct cli *cli, struct scan_job *job);
/*
 * The summary: threats, totals, problems (text or, with --json, one document), read back
 * from the store; 0, or EXIT_FAILED (cli->err says why) when the store cannot be read.
 */
int cli_scan_summary(struct cli *cli, int64_t scan_id, const char *type, const char *status,
		      const char *action, const struct scanner_totals *t, struct sigdb *db,
		      json_t *reports);
/*
 * The exit code of a scan that ran: 2 when nothing of its disk image could be read
 * (unreadable; cli->err already says why), 1 with threats, 2 when interrupted ("scan N was
 * <interrupted>"), else 0.
 */
int cli_scan_exit(struct cli *cli, int64_t scan_id, const struct scanner_totals *t, int unreadable,
		  const char *interrupted);
/*
 * The quarantine finish step of a scan job (ctx: the struct cli): every file with a threat
 * not yet acted on goes into the vault, the object the scan read and no other.
 */
void cli_quarantine_findings(void *ctx, int64_t scan_id, struct scanner_totals *t);

/* ---- cli/evidence.c: --root and --verify-unchanged ---- */

struct cli_evidence {
	char *root;		/* the real path of --root DIR, NULL without --root */
	int rootfd;
};

/* Open --root DIR; 0, or EXIT_FAILED with cli->err set. */
int cli_evidence_open(struct cli *cli, const char *dir, struct cli_evidence *ev);

/* When standard input and error are a terminal (and not --json): ask for the passphrase of
 * an encrypted volume no --credential unlocks (cli/credential.c). */
void cli_credential_prompt(struct cli *cli, struct image_creds *creds);
void cli_evidence_close(struct cli_evidence *ev);
/*
 * The path on this machine of image_path (as in the image, or already under root),
 * resolved inside root: symbolic links in the image never lead out of it (malloc'd; NULL
 * with errno when it does not exist).
 */
char *cli_evidence_resolve(struct cli_evidence *ev, const char *image_path);
/*
 * Re-read every file of the scan's inventory: size, mtime, ctime, atime and SHA-256 as
 * recorded before it was scanned. *result {checked, unchanged, changed: [{path, what}]} is
 * recorded with the scan; each change is a problem of kind "changed".
 */
int cli_verify_unchanged(struct cli *cli, int64_t scan_id, json_t **result);

/* "SHA256  path": the line sha256sum writes and checks. */
void out_report_line(FILE *f, json_t *report);

/*
 * Open the vault (cli/cmd_quarantine.c): key checks, recovery of interrupted moves (said on
 * stderr), and quarantine_retention_days applied. Returns 0, or EXIT_FAILED with cli->err set.
 */
struct vault;
int cli_open_vault(struct cli *cli, struct vault **out);

/* The allow list alive now, for a scan (cli/cmd_threat.c). */
struct allow_set;
int cli_load_allow(struct cli *cli, struct allow_set **out);

/*
 * Add the exclusions of a scan or explain to set (after those of the command line): the
 * built-in one for the state folder, the store's, the configuration's (cli/cmd_exclusion.c).
 * cli_builtin_exclusions adds only the built-in one (--ignore-exclusions).
 */
int cli_load_exclusions(struct cli *cli, struct excl_set *set);
int cli_builtin_exclusions(struct cli *cli, struct excl_set *set);

#endif
