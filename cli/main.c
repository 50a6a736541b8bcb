/* cli/main.c — global options, dispatch through commands[], and the exit code. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/path.h"
#include "fleet/syslog.h"
#include "sigdb/sigdb.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

volatile sig_atomic_t cli_stop;

int
cli_usage(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (cli->err.msg[0] == '\0') {
		cli->err.code = VG_USAGE;
		va_start(ap, fmt);
		vsnprintf(cli->err.msg, sizeof(cli->err.msg), fmt, ap);
		va_end(ap);
	}
	return EXIT_FAILED;
}

int
cli_fail(struct cli *cli, enum vg_err code)
{
	if (cli->err.code == VG_OK)
		cli->err.code = code;
	return EXIT_FAILED;
}

static const struct command *
find_command(int argc, char **argv, int *consumed)
{
	size_t i;

	for (i = 0; i < ncommands; i++) {
		if (strcmp(argv[0], commands[i].family) != 0)
			continue;
		if (commands[i].verb == NULL) {
			*consumed = 0;
			return &commands[i];
		}
		if (argc > 1 && strcmp(argv[1], commands[i].verb) == 0) {
			*consumed = 1;
			return &commands[i];
		}
	}
	return NULL;
}

static int
known_family(const char *name)
{
	size_t i;

	for (i = 0; i < ncommands; i++)
		if (strcmp(name, commands[i].family) == 0)
			return 1;
	return 0;
}

/*
 * --json, -q and -v are also taken after the command ("vigil scan show 3 --json"), up to a
 * "--" that ends the options.
 */
static int
take_late_globals(struct cli *cli)
{
	char **v = malloc(sizeof(char *) * ((size_t)cli->argc + 1));
	int r, w = 1;

	if (v == NULL)
		return -1;
	/* a copy: the original argv stays whole for the scan record */
	memcpy(v, cli->argv, sizeof(char *) * ((size_t)cli->argc + 1));
	cli->argv = v;

	for (r = 1; r < cli->argc; r++) {
		const char *a = cli->argv[r];

		if (strcmp(a, "--") == 0) {
			while (r < cli->argc)
				cli->argv[w++] = cli->argv[r++];
			break;
		}
		if (strcmp(a, "--json") == 0)
			cli->json = 1;
		else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
			cli->quiet = 1;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			cli->verbose++;
		else
			cli->argv[w++] = cli->argv[r];
	}
	cli->argc = w;
	cli->argv[w] = NULL;
	return 0;
}

static int
setup(struct cli *cli, const struct command *cmd)
{
	enum vg_err rc;

	if (!(cmd->flags & NEED_CONFIG))
		return 0;
	/* <state-dir>/config.json is read only from a state folder that deserves trust */
	if (cli->config_path == NULL)
		rc = config_load_state(cli->state_dir, cli->managed_path, &cli->cfg, &cli->err);
	else /* a file the user named must exist; config set may create it */
		rc = config_load_named(cli->config_path, cmd->fn == cmd_config_set,
				       cli->managed_path, &cli->cfg, &cli->err);
	if (rc != VG_OK)
		return cli_fail(cli, rc);
	if (cmd->preflight && cmd->preflight(cli) != 0)
		return EXIT_FAILED;
	if ((cmd->flags & NEED_STORE) == NEED_STORE) {
		rc = store_open(cli->state_dir, &cli->st, &cli->err);
		if (rc != VG_OK)
			return cli_fail(cli, rc);
		/* events to syslog are never worth failing the command for */
		if (fleet_syslog_create(cli->cfg, cli->st, &cli->syslog, &cli->err) != VG_OK) {
			vg_log(VG_LOG_WARN, "syslog is off: %s", vg_error_msg(&cli->err));
			vg_error_init(&cli->err);
		}
	}
	return 0;
}

static void
print_error(struct cli *cli)
{
	char *msg = strdup(vg_error_msg(&cli->err));
	char *line, *save = NULL;

	if (msg == NULL)
		return;
	/* one "vigil: " line per line of the reason (compile errors come several at once) */
	for (line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *esc = vg_text_escape(line, strlen(line));

		fprintf(stderr, "vigil: %s\n", esc ? esc : line);
		free(esc);
	}
	free(msg);
}

int
main(int argc, char **argv)
{
	struct cli cli;
	const struct command *cmd;
	int i, consumed, rc;
	const char *env;

	memset(&cli, 0, sizeof(cli));
	vg_error_init(&cli.err);
	cli.all_argc = argc;
	cli.all_argv = argv;
	cli.config_path = getenv("VIGIL_CONFIG");
	env = getenv("VIGIL_MANAGED_CONFIG");
	cli.managed_path = env ? env : "/etc/vigil/managed.json";

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc) {
			free(cli.state_dir);
			cli.state_dir = strdup(argv[++i]);
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			cli.config_path = argv[++i];
		} else if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc) {
			cli.key_file = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0) {
			cli.json = 1;
		} else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
			cli.quiet = 1;
		} else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
			cli.verbose++;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("vigil %s (libyara %s)\n", VIGIL_VERSION, YR_VERSION);
			return EXIT_CLEAN;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_print_help(stdout, NULL);
			return EXIT_CLEAN;
		} else {
			fprintf(stderr, "vigil: unknown global option '%s' (see 'vigil --help')\n",
				argv[i]);
			return EXIT_FAILED;
		}
	}
	if (i >= argc) {
		cli_print_help(stderr, NULL);
		return EXIT_FAILED;
	}
	cmd = find_command(argc - i, argv + i, &consumed);
	if (cmd == NULL) {
		if (known_family(argv[i])) {
			fprintf(stderr, "vigil: '%s' needs one of these:\n", argv[i]);
			cli_print_help(stderr, argv[i]);
		} else {
			char *esc = vg_text_escape(argv[i], strlen(argv[i]));

			fprintf(stderr, "vigil: unknown command '%s' (see 'vigil --help')\n", esc);
			free(esc);
		}
		return EXIT_FAILED;
	}
	cli.argc = argc - i - consumed;
	cli.argv = argv + i + consumed;
	if (take_late_globals(&cli) != 0) {
		fprintf(stderr, "vigil: out of memory\n");
		return EXIT_FAILED;
	}
	vg_log_setup(cli.quiet ? VG_LOG_ERROR : cli.verbose ? VG_LOG_DEBUG : VG_LOG_WARN, stderr);
	if (cli.argc > 1 && (strcmp(cli.argv[1], "--help") == 0 || strcmp(cli.argv[1], "-h") == 0)) {
		printf("usage: vigil %s\n    %s\n", cmd->usage, cmd->summary);
		rc = EXIT_CLEAN;
		goto out;
	}
	if (cli.state_dir == NULL)
		cli.state_dir = vg_default_state_dir();
	if (cli.state_dir == NULL) {
		rc = cli_fail(&cli, vg_error_set(&cli.err, VG_NOMEM, "out of memory"));
	} else if (sigdb_global_init(&cli.err) != VG_OK) {
		rc = cli_fail(&cli, VG_YARA);
	} else {
		rc = setup(&cli, cmd);
		if (rc == 0)
			rc = cmd->fn(&cli);
		fleet_syslog_destroy(cli.syslog);
		store_close(cli.st);
		config_destroy(cli.cfg);
		sigdb_global_finish();
	}
	if (rc == EXIT_FAILED) {
		print_error(&cli);
		if (cli.err.code == VG_USAGE)
			fprintf(stderr, "usage: vigil %s\n", cmd->usage);
	}
out:
	free(cli.state_dir);
	free(cli.argv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vigil: cannot write the output: %s\n", strerror(errno));
		return EXIT_FAILED;
	}
	return rc;
}
