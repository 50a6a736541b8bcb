LIB_SRCS += sigdb/embedded.c
LIB_SRCS += sigdb/rules.c
LIB_SRCS += sigdb/hashes.c
LIB_SRCS += sigdb/bundle.c
