/* core/log.c — leveled, line-at-a-time logging. */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>

static enum vg_log_level log_threshold = VG_LOG_WARN;
static FILE *log_out;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void
vg_log_setup(enum vg_log_level threshold, FILE *out)
{
	log_threshold = threshold;
	log_out = out;
}

void
vg_log(enum vg_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	FILE *out = log_out ? log_out : stderr;
	va_list ap;

	if (level > log_threshold)
		return;
	pthread_mutex_lock(&log_lock);
	fprintf(out, "vigil: %s: ", names[level]);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
	pthread_mutex_unlock(&log_lock);
}
