LIB_SRCS += scanner/exclude.c
LIB_SRCS += scanner/allow.c
LIB_SRCS += scanner/walk.c
LIB_SRCS += scanner/engine.c
LIB_SRCS += scanner/unpack.c
LIB_SRCS += scanner/scan.c
LIB_SRCS += scanner/cache.c
LIB_SRCS += scanner/image.c
