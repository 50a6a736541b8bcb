LIB_SRCS += reports/report.c
LIB_SRCS += reports/rows.c
LIB_SRCS += reports/json.c
LIB_SRCS += reports/csv.c
LIB_SRCS += reports/html.c
LIB_SRCS += reports/bodyfile.c
LIB_SRCS += reports/diagnostic.c
