/*
 * core/pid.h — is a recorded process id a live vigil?
 *
 * vigil records its pid where another vigil must know whether the work is still owned: a
 * running scan (scans.pid), a pending quarantine move (meta "qowner.<id>"), the daemon (meta
 * "daemon_pid"). A pid is reused once its process ends, so "alive" means: a process with that
 * id exists now and runs the same executable as this one (/proc/PID/exe is the same file as
 * /proc/self/exe). This process itself never counts: a recorded pid equal to ours is a
 * leftover of an earlier process that had the same id.
 *
 * Thread-safe; no allocation; never fails (anything unreadable is "not alive").
 */
#ifndef VIGIL_CORE_PID_H
#define VIGIL_CORE_PID_H

/* 1 when pid (> 0) is another live vigil process, else 0. */
int vg_pid_is_vigil(long long pid);

/*
 * The same for a pid as recorded in text (a store meta value): decimal digits only, else 0.
 * NULL is 0.
 */
int vg_pid_text_is_vigil(const char *pid);

#endif
