LIB_SRCS += realtime/rtp.c
LIB_SRCS += realtime/vcache.c
LIB_SRCS += realtime/stats.c
LIB_SRCS += realtime/control.c
LIB_SRCS += realtime/sched.c
LIB_SRCS += realtime/reload.c
LIB_SRCS += realtime/marks.c
