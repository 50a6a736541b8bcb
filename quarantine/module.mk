LIB_SRCS += quarantine/key.c
LIB_SRCS += quarantine/crypt.c
LIB_SRCS += quarantine/hasher.c
LIB_SRCS += quarantine/vault.c
LIB_SRCS += quarantine/notify.c
LIB_SRCS += quarantine/restore.c
LIB_SRCS += quarantine/export.c
