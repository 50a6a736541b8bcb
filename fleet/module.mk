# fleet/: the fleet database (PostgreSQL through libpq), export files for offline hosts, syslog.
LIB_SRCS += fleet/syslog.c
