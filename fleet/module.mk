# fleet/: the fleet database (PostgreSQL through libpq), export files for offline hosts, syslog.
LIB_SRCS += fleet/sql.c
LIB_SRCS += fleet/db.c
LIB_SRCS += fleet/hostkey.c
LIB_SRCS += fleet/collect.c
LIB_SRCS += fleet/push.c
LIB_SRCS += fleet/file.c
LIB_SRCS += fleet/syslog.c
