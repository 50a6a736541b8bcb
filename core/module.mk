LIB_SRCS += core/err.c
LIB_SRCS += core/log.c
LIB_SRCS += core/path.c
LIB_SRCS += core/jsonx.c
LIB_SRCS += core/config.c
LIB_SRCS += core/store.c
LIB_SRCS += core/store_scan.c
LIB_SRCS += core/store_vault.c
