CLI_SRCS += cli/main.c
CLI_SRCS += cli/commands.c
CLI_SRCS += cli/output.c
CLI_SRCS += cli/cmd_scan.c
CLI_SRCS += cli/cmd_threat.c
CLI_SRCS += cli/cmd_exclusion.c
CLI_SRCS += cli/cmd_config.c
CLI_SRCS += cli/cmd_sigdb.c
