/*
 * core/log.h — one line per call, thread-safe, to stderr (or the daemon's log file).
 *
 * Messages follow git's rules: lower case, what failed first, the subject quoted.
 * Hostile text (file names) must be escaped by the caller (vg_text_escape in core/jsonx.h).
 */
#ifndef VIGIL_CORE_LOG_H
#define VIGIL_CORE_LOG_H

#include <stdio.h>

enum vg_log_level { VG_LOG_ERROR, VG_LOG_WARN, VG_LOG_INFO, VG_LOG_DEBUG };

/* Set once at start-up, before any thread runs. */
void vg_log_setup(enum vg_log_level threshold, FILE *out);

void vg_log(enum vg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
