/*
 * cli/cmd_rtp.c — vigil rtp run|status|top, vigil daemon (real-time protection, scheduled
 * scans, the event log), vigil diagnostic create.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/eventlog.h"
#include "core/host.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/path.h"
#include "core/pid.h"
#include "core/statedir.h"
#include "realtime/realtime.h"
#include "reports/report.h"
#include "scanner/job.h"
#include "scanner/scanner.h"
#include "sigdb/sigdb.h"

/* SIGHUP: reload the signatures now (real-time protection's reload thread clears it) */
static volatile sig_atomic_t reload_requested;

static void
on_stop(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		cli_stop = 1;
}

static void
catch_stop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

struct strv {
	char **v;
	size_t n;
};

static int
strv_add(struct strv *s, const char *x)
{
	char **v = realloc(s->v, (s->n + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	s->v = v;
	if ((s->v[s->n] = strdup(x)) == NULL)
		return -1;
	s->n++;
	return 0;
}

static void
strv_release(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* A watched folder: existing, a folder, its real path (events name files by real paths). */
static int
add_path(struct cli *cli, struct strv *paths, const char *p)
{
	struct stat st;
	char *real = realpath(p, NULL);
	const char *why = NULL;

	if (real == NULL)
		why = strerror(errno);
	else if (stat(real, &st) != 0)
		why = strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		why = "not a folder";
	if (why != NULL) {
		char *esc = vg_text_escape(p, strlen(p));

		vg_error_set(&cli->err, VG_NOENT, "cannot watch '%s': %s", esc ? esc : "?", why);
		free(esc);
		free(real);
		return cli_fail(cli, VG_NOENT);
	}
	if (strv_add(paths, real) != 0) {
		free(real);
		return cli_fail(cli, vg_error_set(&cli->err, VG_NOMEM, "out of memory"));
	}
	free(real);
	return 0;
}

struct rtp_setup {
	struct rtp_options o;
	struct strv paths, procs;
	struct excl_set *excl;
	struct allow_set *allow;
	struct sigdb *db;
	json_t *options;
};

static void
setup_release(struct rtp_setup *s)
{
	strv_release(&s->paths);
	strv_release(&s->procs);
	scanner_excl_destroy(s->excl);
	scanner_allow_destroy(s->allow);
	sigdb_release(s->db);
	json_decref(s->options);
}

/* Options from the configuration, the exclusions, the allow list and the rules. */
static int
setup(struct cli *cli, struct rtp_setup *s, int passive)
{
	json_t *v;
	size_t i;
	enum vg_err e;

	s->o.passive = passive || config_get_bool(cli->cfg, "antivirus_engine.passive_mode");
	s->o.threads = (int)config_get_int(cli->cfg, "realtime.threads");
	if (s->o.threads < 1)
		s->o.threads = 1;
	s->o.deadline_ms = config_get_int(cli->cfg, "realtime.scan_deadline_ms");
	s->o.max_file_size = (uint64_t)config_get_int(cli->cfg, "realtime.max_file_size");
	s->o.cache_entries = config_get_int(cli->cfg, "realtime.verdict_cache_entries");
	/* passive mode reports and never acts: no quarantine either */
	s->o.quarantine = !s->o.passive &&
			  strcmp(config_get_string(cli->cfg, "antivirus_engine.default_action"),
				 "quarantine") == 0;
	s->o.state_dir = cli->state_dir;
	s->o.key_file = cli->key_file;
	s->o.config_path = cli->config_path;
	s->o.stop = &cli_stop;
	s->o.reload = &reload_requested;
	json_array_foreach(config_get(cli->cfg, "realtime.exclude_processes"), i, v)
		if (strv_add(&s->procs, json_string_value(v)) != 0)
			return cli_fail(cli, vg_error_set(&cli->err, VG_NOMEM, "out of memory"));
	if (s->paths.n == 0)
		json_array_foreach(config_get(cli->cfg, "realtime.paths"), i, v)
			if (add_path(cli, &s->paths, json_string_value(v)) != 0)
				return EXIT_FAILED;
	s->o.paths = s->paths.v;
	s->o.npaths = s->paths.n;
	s->o.exclude_processes = s->procs.v;
	s->o.nexclude_processes = s->procs.n;
	cli_scan_options(cli, &s->o.scan);
	s->o.vault_notify = cli_vault_notify(cli);
	s->o.scan.threads = s->o.threads;
	s->o.scan.max_filesize = s->o.max_file_size;
	if ((s->excl = scanner_excl_create()) == NULL)
		return cli_fail(cli, vg_error_set(&cli->err, VG_NOMEM, "out of memory"));
	if (cli_load_exclusions(cli, s->excl) != 0 || cli_load_allow(cli, &s->allow) != 0)
		return EXIT_FAILED;
	s->o.excl = s->excl;
	s->o.allow = s->allow;
	s->o.scan.excl = s->excl;
	s->o.scan.allow = s->allow;
	e = sigdb_open(cli->st, cli->state_dir, &s->db, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	s->options = json_pack("{s:s, s:i, s:I, s:I, s:I, s:b, s:O}", "mode",
			       s->o.passive ? "passive" : "blocking", "threads", s->o.threads,
			       "scan_deadline_ms", (json_int_t)s->o.deadline_ms, "max_file_size",
			       (json_int_t)s->o.max_file_size, "verdict_cache_entries",
			       (json_int_t)s->o.cache_entries, "quarantine", s->o.quarantine,
			       "exclude_processes",
			       config_get(cli->cfg, "realtime.exclude_processes"));
	return 0;
}

/* Before anything is recorded: one real-time protection per state folder, and root. */
static int
can_run(struct cli *cli)
{
	json_t *status = NULL;
	struct vg_error e2;

	vg_error_init(&e2);
	if (rtp_query(cli->state_dir, "status", &status, &e2) == VG_OK) {
		long long pid = (long long)json_integer_value(json_object_get(status, "pid"));

		json_decref(status);
		return cli_fail(cli, vg_error_set(&cli->err, VG_EXISTS,
						  "real-time protection is already running for "
						  "state folder '%s' (pid %lld)",
						  cli->state_dir, pid));
	}
	if (geteuid() != 0)
		return cli_fail(cli, vg_error_set(&cli->err, VG_PERM,
						  "real-time protection needs root (fanotify)"));
	return 0;
}

/* Run real-time protection as a scan of type "realtime" until SIGINT/SIGTERM. */
static int
run(struct cli *cli, struct rtp_setup *s)
{
	struct scanner_totals totals;
	int64_t scan_id, stale = 0;
	enum vg_err e;

	if (can_run(cli) != 0)
		return EXIT_FAILED;
	/* a real-time scan still "running" was killed: only one runs per state folder */
	if (store_scan_interrupt_stale(cli->st, "realtime", &stale, &cli->err) != VG_OK)
		return cli_fail(cli, cli->err.code);
	if (cli_scan_begin(cli, s->db, &(struct scan_record){ .type = "realtime",
							      .threads = s->o.threads,
							      .roots = s->paths.v,
							      .nroots = s->paths.n,
							      .options = s->options,
							      .excl = s->excl },
			   &scan_id) != 0)
		return EXIT_FAILED;
	catch_stop();
	e = rtp_run(&s->o, s->db, cli->st, scan_id, &totals, &cli->err);
	cli_scan_finish(cli, scan_id, e != VG_OK ? "failed" : "completed", &totals, e != VG_OK);
	json_decref(totals.file_types);
	return e == VG_OK ? EXIT_CLEAN : cli_fail(cli, e);
}

int
cmd_rtp_run(struct cli *cli)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "passive", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	struct rtp_setup s;
	int c, passive = 0, rc;

	memset(&s, 0, sizeof(s));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(cli->argc, cli->argv, "", opts, NULL)) != -1) {
		if (c == 'p') {
			if (add_path(cli, &s.paths, optarg) != 0) {
				setup_release(&s);
				return EXIT_FAILED;
			}
		} else if (c == 'P') {
			passive = 1;
		} else {
			setup_release(&s);
			return cli_usage(cli, "unknown option '%s'", cli->argv[optind - 1]);
		}
	}
	if (optind < cli->argc) {
		setup_release(&s);
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[optind]);
	}
	rc = setup(cli, &s, passive);
	if (rc == 0)
		rc = run(cli, &s);
	setup_release(&s);
	return rc;
}

static void
print_counts(json_t *doc)
{
	static const char *const keys[] = {
		"allowed", "denied", "scanned", "cache_hits", "deadline_expired", "too_large",
		"queue_full", "queue_high_water", "excluded", "outside_paths", "own_accesses",
		"errors", "threats", "overflows",
	};
	json_t *ev = json_object_get(doc, "events"), *err;
	size_t i;

	printf("real-time protection: running (pid %lld, %s), up %.0f s\n",
	       (long long)json_integer_value(json_object_get(doc, "pid")),
	       json_string_value(json_object_get(doc, "mode")),
	       json_number_value(json_object_get(doc, "uptime_s")));
	printf("%-20s open %lld, exec %lld, close_write %lld\n", "events",
	       (long long)json_integer_value(json_object_get(ev, "open")),
	       (long long)json_integer_value(json_object_get(ev, "exec")),
	       (long long)json_integer_value(json_object_get(ev, "close_write")));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("%-20s %lld\n", keys[i],
		       (long long)json_integer_value(json_object_get(doc, keys[i])));
	printf("%-20s %lld (%lld rules, loaded %s; %lld reloads, %lld failed)\n", "sig_version",
	       (long long)json_integer_value(json_object_get(doc, "sig_version")),
	       (long long)json_integer_value(json_object_get(doc, "rules")),
	       json_string_value(json_object_get(doc, "sig_loaded_at"))
		       ? json_string_value(json_object_get(doc, "sig_loaded_at"))
		       : "?",
	       (long long)json_integer_value(json_object_get(doc, "sig_reloads")),
	       (long long)json_integer_value(json_object_get(doc, "sig_reload_failures")));
	if ((err = json_object_get(doc, "sig_reload_error")) != NULL) {
		printf("%-20s %s: ", "last reload failed",
		       json_string_value(json_object_get(err, "at")));
		out_json_text(json_object_get(err, "message"));
		putchar('\n');
	}
}

int
cmd_rtp_status(struct cli *cli)
{
	json_t *doc = NULL;
	enum vg_err e;

	if (cli->argc != 1)
		return cli_usage(cli, "unexpected argument '%s'", cli->argv[1]);
	e = rtp_query(cli->state_dir, "status", &doc, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json) {
		out_json(cli, doc);
		return EXIT_CLEAN;
	}
	print_counts(doc);
	json_decref(doc);
	return EXIT_CLEAN;
}

int
cmd_rtp_top(struct cli *cli)
{
	static const struct option opts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "limit", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *by = "process";
	int64_t limit = 20;
	char req[64];
	json_t *doc = NULL, *v;
	size_t i;
	int c;
	enum vg_err e;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(cli->argc, cli->argv, "", opts, NULL)) != -1) {
		if (c == 'b' && (strcmp(optarg, "process") == 0 || strcmp(optarg, "file") == 0))
			by = optarg;
		else if (c == 'b')
			return cli_usage(cli, "--by takes process or file, not '%s'", optarg);
		else if (c == 'l' && (parse_int(optarg, &limit) != 0 || limit < 1 || limit > 1000))
			return cli_usage(cli, "--limit takes a number from 1 to 1000");
		else if (c != 'l')
			return cli_usage(cli, "unknown option '%s'", cli->argv[optind - 1]);
	}
	snprintf(req, sizeof(req), "top %s %lld", by, (long long)limit);
	e = rtp_query(cli->state_dir, req, &doc, &cli->err);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json) {
		out_json(cli, doc);
		return EXIT_CLEAN;
	}
	printf("%8s %12s  %s\n", "SCANS", "SCAN MS", strcmp(by, "process") == 0 ? "PROCESS" : "FILE");
	json_array_foreach(json_object_get(doc, "top"), i, v) {
		printf("%8lld %12.1f  ", (long long)json_integer_value(json_object_get(v, "scans")),
		       json_number_value(json_object_get(v, "scan_ms")));
		out_json_text(json_object_get(v, "key"));
		putchar('\n');
	}
	json_decref(doc);
	return EXIT_CLEAN;
}

/* ---- the daemon ---- */

/* The fields every event carries. */
static json_t *
event_common(struct cli *cli, struct sigdb *db)
{
	struct vg_host host;
	char *guid = NULL;
	json_t *o;

	vg_host_read(&host);
	store_machine_guid(cli->st, &guid, &cli->err);
	o = json_pack("{s:s?, s:s, s:s, s:I, s:s}", "machine_guid", guid, "hostname",
		      host.hostname, "app_version", VIGIL_VERSION, "sig_version",
		      (json_int_t)(db ? sigdb_version(db) : 0), "org_id",
		      config_get_string(cli->cfg, "org_id"));
	free(guid);
	return o;
}

/* install or upgrade (a new version), and a crash (the last daemon never stopped). */
static void
startup_events(struct cli *cli, struct vg_eventlog *log)
{
	char *seen = NULL, *pid = NULL, proc[64];
	struct vg_error e2;

	vg_error_init(&e2);
	store_meta_get(cli->st, "app_version_seen", &seen, &e2);
	if (seen == NULL || strcmp(seen, VIGIL_VERSION) != 0) {
		vg_event(log, VG_EVENT_REQUIRED, seen ? "upgrade" : "install",
			 json_pack("{s:s?, s:s}", "from_version", seen, "to_version", VIGIL_VERSION),
			 NULL);
		store_meta_set(cli->st, "app_version_seen", VIGIL_VERSION, &e2);
	}
	store_meta_get(cli->st, "daemon_pid", &pid, &e2);
	if (pid != NULL) {
		snprintf(proc, sizeof(proc), "/proc/%s", pid);
		if (access(proc, F_OK) != 0)
			vg_event(log, VG_EVENT_REQUIRED, "crash",
				 json_pack("{s:s, s:s}", "process", "daemon", "detail",
					   "the previous daemon ended without stopping"),
				 NULL);
	}
	snprintf(proc, sizeof(proc), "%d", (int)getpid());
	store_meta_set(cli->st, "daemon_pid", proc, &e2);
	free(seen);
	free(pid);
}

/* Real-time protection of another process (rtp run) answers on the socket. */
static int
can_run_scheduler_only(struct cli *cli)
{
	json_t *status = NULL;
	struct vg_error e2;

	vg_error_init(&e2);
	if (rtp_query(cli->state_dir, "status", &status, &e2) != VG_OK)
		return 0;
	json_decref(status);
	return cli_fail(cli, vg_error_set(&cli->err, VG_EXISTS, "real-time protection is "
					  "already running for state folder '%s'",
					  cli->state_dir));
}

/* Another daemon of this state folder alive? Refused before anything is written. */
static int
daemon_running(struct cli *cli)
{
	char *pid = NULL;
	struct vg_error e2;

	vg_error_init(&e2);
	if (store_meta_get(cli->st, "daemon_pid", &pid, &e2) != VG_OK || pid == NULL)
		return can_run_scheduler_only(cli);
	if (vg_pid_text_is_vigil(pid)) {
		vg_error_set(&cli->err, VG_EXISTS, "a vigil daemon is already running for state "
			     "folder '%s' (pid %s)", cli->state_dir, pid);
		free(pid);
		return cli_fail(cli, VG_EXISTS);
	}
	free(pid);
	return can_run_scheduler_only(cli);
}

int
cmd_daemon(struct cli *cli)
{
	struct rtp_setup s;
	struct vg_eventlog log;
	FILE *logf;
	int rc;
	struct vg_error e2;

	if (cli->argc != 1)
		return cli_usage(cli, "daemon takes no argument ('%s')", cli->argv[1]);
	memset(&s, 0, sizeof(s));
	vg_error_init(&e2);
	if (daemon_running(cli) != 0)
		return EXIT_FAILED;
	{
		/* the state folder was checked by store_open; the log is never opened through a
		 * link, nor appended to when it is another user's or others can write it */
		int fd = vg_state_open(cli->state_dir, "vigil.log", O_WRONLY | O_APPEND | O_CREAT,
				       0600, &e2);

		logf = NULL;
		if (fd < 0) {
			vg_log(VG_LOG_WARN, "%s", vg_error_msg(&e2));
		} else {
			fchmod(fd, 0600);
			if ((logf = fdopen(fd, "a")) == NULL)
				close(fd);
		}
	}
	if (logf) {
		setvbuf(logf, NULL, _IOLBF, 0);
		vg_log_setup(cli->verbose ? VG_LOG_DEBUG : VG_LOG_INFO, logf);
	}
	rc = setup(cli, &s, 0);
	if (rc != 0) {
		setup_release(&s);
		return rc;
	}
	vg_error_init(&e2);
	{
		json_t *common = event_common(cli, s.db);

		vg_eventlog_open(&log, cli->state_dir, config_get_string(cli->cfg, "diagnostic_level"),
				 common, &e2);
		json_decref(common);
	}
	startup_events(cli, &log);
	vg_event(&log, VG_EVENT_OPTIONAL, "configuration",
		 json_pack("{s:o}", "configuration", config_effective(cli->cfg)), NULL);
	s.o.events = &log;
	s.o.schedules = config_get(cli->cfg, "scheduled_scans");
	if (*config_get_string(cli->cfg, "fleet.database_url"))
		s.o.push_interval = config_get_int(cli->cfg, "fleet.push_interval");
	vg_log(VG_LOG_INFO, "daemon started (vigil %s, pid %d)", VIGIL_VERSION, (int)getpid());
	if (config_get_bool(cli->cfg, "antivirus_engine.enable_real_time_protection")) {
		rc = run(cli, &s);
	} else {
		catch_stop();
		rc = rtp_scheduler_run(&s.o, &cli->err) == VG_OK ? EXIT_CLEAN : EXIT_FAILED;
	}
	vg_log(VG_LOG_INFO, "daemon stopped");
	store_meta_delete(cli->st, "daemon_pid", &e2);
	vg_eventlog_close(&log);
	setup_release(&s);
	if (logf) {
		vg_log_setup(VG_LOG_WARN, stderr);
		fclose(logf);
	}
	return rc;
}

/* ---- diagnostic create ---- */

static int
add_file(struct report_diag_file *files, size_t *n, const char *name, char *data, size_t len)
{
	if (data == NULL)
		return -1;
	files[*n].name = name;
	files[*n].data = data;
	files[*n].len = len;
	(*n)++;
	return 0;
}

static void
add_json(struct report_diag_file *files, size_t *n, const char *name, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;

	json_decref(doc);
	add_file(files, n, name, text, text ? strlen(text) : 0);
}

/* A file of the state folder, when it exists. */
static void
add_state_file(struct cli *cli, struct report_diag_file *files, size_t *n, const char *name)
{
	char *data = NULL;
	size_t len = 0;
	struct vg_error e2;

	/* never through a link: a planted one would put any file of the machine in the bundle */
	vg_error_init(&e2);
	if (vg_state_read_file(cli->state_dir, name, (size_t)256 << 20, &data, &len, &e2) == VG_OK)
		add_file(files, n, name, data, len);
}

int
cmd_diagnostic_create(struct cli *cli)
{
	struct report_diag_file files[8];
	size_t n = 0, i;
	const char *out = NULL;
	json_t *health = NULL, *stats = NULL, *rtp = NULL;
	enum vg_err e;
	char sha[65];

	if (cli->argc == 3 && strcmp(cli->argv[1], "--out") == 0)
		out = cli->argv[2];
	else
		return cli_usage(cli, "diagnostic create takes --out FILE.zip");
	add_state_file(cli, files, &n, "events.jsonl");
	add_state_file(cli, files, &n, "vigil.log");
	add_json(files, &n, "config.json", config_effective(cli->cfg));
	if (cli_health_json(cli, &health) == 0)
		add_json(files, &n, "health.json", health);
	vg_error_init(&cli->err);
	if (store_stats_json(cli->st, &stats, &cli->err) == VG_OK)
		add_json(files, &n, "store-stats.json", stats);
	vg_error_init(&cli->err);
	if (rtp_query(cli->state_dir, "status", &rtp, &cli->err) == VG_OK)
		add_json(files, &n, "rtp-status.json", rtp);
	vg_error_init(&cli->err);
	e = report_diag_zip(out, files, n, sha, &cli->err);
	for (i = 0; i < n; i++)
		free(files[i].data);
	if (e != VG_OK)
		return cli_fail(cli, e);
	if (cli->json) {
		json_t *names = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(names, json_string(files[i].name));
		out_json(cli, json_pack("{s:o, s:s, s:o}", "path", vg_json_bytes(out, strlen(out)),
					"sha256", sha, "files", names));
	} else if (!cli->quiet) {
		printf("%s  %s\n", sha, out);
	}
	return EXIT_CLEAN;
}
