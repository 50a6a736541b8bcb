/*
 * realtime/sched.c — the daemon's scheduled scans (config scheduled_scans) and fleet pushes
 * (every fleet.push_interval seconds when fleet.database_url is set: "vigil fleet push -q"
 * as a child, retried after 15, 30, 60 s... up to the interval while it fails; the push
 * moves its watermark only when the database has committed, so nothing is lost while the
 * database is down). A scan whose time
 * has come, and that has not run since, runs as a child process of this same binary
 * ("vigil scan quick|full -q") at the lowest CPU priority and idle I/O priority, so it is
 * recorded in the scan history like any scan. A time missed by more than an hour (the
 * daemon was down) waits for the next one. When each schedule last ran is kept in the store
 * (meta "schedule.<type>.<day>.<HH:MM>"), so a restart does not run it twice.
 */
#include "realtime/rtp_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define MISSED_GRACE_S 3600
#define TICK_MS 1000

/* <linux/ioprio.h> is not in every libc's headers */
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

struct sched {
	const struct rtp_options *o;
	struct store *st;
	pthread_t tid;
	atomic_int stop;
	atomic_int child;
	int64_t next_push, backoff;	/* when the next push is due; the wait after a failure */
};

#define PUSH_RETRY_FIRST_S 15

static int
day_index(const char *day)
{
	static const char *const days[] = { "sunday", "monday", "tuesday", "wednesday",
					    "thursday", "friday", "saturday" };
	int d;

	for (d = 0; d < 7; d++)
		if (strcmp(day, days[d]) == 0)
			return d;
	return -1;
}

int64_t
sched_last_due(json_t *s, int64_t now)
{
	const char *at = json_string_value(json_object_get(s, "time"));
	const char *day = json_string_value(json_object_get(s, "day"));
	time_t t = (time_t)now;
	struct tm tm;
	unsigned hh, mm;
	int wday = day ? day_index(day) : -1, back;

	if (at == NULL || sscanf(at, "%2u:%2u", &hh, &mm) != 2 || hh > 23 || mm > 59 ||
	    (day && wday < 0) || localtime_r(&t, &tm) == NULL)
		return -1;
	for (back = 0; back < 9; back++) {
		struct tm c = tm;
		time_t due;

		c.tm_mday -= back;
		c.tm_hour = (int)hh;
		c.tm_min = (int)mm;
		c.tm_sec = 0;
		c.tm_isdst = -1;
		due = mktime(&c); /* normalises the day, and says which weekday it is */
		if (due == (time_t)-1 || due > t)
			continue;
		if (wday < 0 || c.tm_wday == wday)
			return (int64_t)due;
	}
	return -1;
}

extern char **environ;

/*
 * Start "vigil FAMILY VERB -q" at low priority; its pid, or -1. The child gets the daemon's
 * environment (VIGIL_MANAGED_CONFIG, TZ, ...) with VIGIL_STATE_DIR set to the daemon's.
 */
static pid_t
spawn(struct sched *s, const char *family, const char *verb)
{
	const struct rtp_options *o = s->o;
	char *argv[10], **envp, *state = NULL;
	size_t n = 0, k = 0;
	int argc = 0;
	pid_t pid;

	while (environ[n])
		n++;
	envp = calloc(n + 2, sizeof(*envp));
	if (envp == NULL || asprintf(&state, "VIGIL_STATE_DIR=%s", o->state_dir) < 0) {
		free(envp);
		return -1;
	}
	for (n = 0; environ[n]; n++)
		if (strncmp(environ[n], "VIGIL_STATE_DIR=", 16) != 0)
			envp[k++] = environ[n];
	envp[k++] = state;
	envp[k] = NULL;
	argv[argc++] = "vigil";
	if (o->config_path) {
		argv[argc++] = "--config";
		argv[argc++] = (char *)o->config_path;
	}
	if (o->key_file) {
		argv[argc++] = "--key-file";
		argv[argc++] = (char *)o->key_file;
	}
	argv[argc++] = (char *)family;
	argv[argc++] = (char *)verb;
	argv[argc++] = "-q";
	argv[argc] = NULL;
	pid = fork();
	if (pid == 0) {
		/* the child: only async-signal-safe calls until exec */
		setpriority(PRIO_PROCESS, 0, 19);
		syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT);
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	free(envp);
	free(state);
	return pid;
}

/* Wait for the child pid (SIGTERM to it when the daemon stops); its exit code. */
static int
wait_child(struct sched *s, pid_t pid)
{
	int status = 0;

	atomic_store(&s->child, pid);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (atomic_load(&s->stop))
			kill(pid, SIGTERM); /* a scan records itself as interrupted */
		usleep(100 * 1000);
	}
	atomic_store(&s->child, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void
run_one(struct sched *s, json_t *entry, int64_t due)
{
	const char *type = json_string_value(json_object_get(entry, "type"));
	int code;
	pid_t pid;
	double t0 = rtp_now();

	pid = spawn(s, "scan", type);
	if (pid < 0) {
		vg_log(VG_LOG_ERROR, "scheduled %s scan: cannot start it: %s", type, strerror(errno));
		return;
	}
	vg_log(VG_LOG_INFO, "scheduled %s scan started (pid %d)", type, (int)pid);
	code = wait_child(s, pid);
	vg_log(VG_LOG_INFO, "scheduled %s scan ended: exit %d after %.1f s", type, code,
	       rtp_now() - t0);
	if (s->o->events)
		vg_event(s->o->events, VG_EVENT_OPTIONAL, "scheduled_scan",
			 json_pack("{s:s, s:I, s:i, s:f}", "scan_type", type, "due",
				   (json_int_t)due, "exit_code", code, "duration_s", rtp_now() - t0),
			 NULL);
}

/* A fleet push when one is due; after a failure, again sooner, doubling up to the interval. */
static void
push_tick(struct sched *s)
{
	int64_t now = (int64_t)time(NULL);
	pid_t pid;
	int code;

	if (s->o->push_interval <= 0 || now < s->next_push || atomic_load(&s->stop))
		return;
	pid = spawn(s, "fleet", "push");
	code = pid < 0 ? -1 : wait_child(s, pid);
	if (code == 0) {
		vg_log(VG_LOG_INFO, "fleet push done; the next in %lld s",
		       (long long)s->o->push_interval);
		s->backoff = 0;
		s->next_push = now + s->o->push_interval;
		return;
	}
	s->backoff = s->backoff ? s->backoff * 2 : PUSH_RETRY_FIRST_S;
	if (s->backoff > s->o->push_interval)
		s->backoff = s->o->push_interval;
	s->next_push = (int64_t)time(NULL) + s->backoff;
	vg_log(VG_LOG_WARN, "fleet push failed (exit %d; the reason is in the daemon's output); "
	       "again in %lld s, nothing is lost meanwhile", code, (long long)s->backoff);
}

static void
tick(struct sched *s)
{
	int64_t now = (int64_t)time(NULL);
	json_t *entry;
	size_t i;

	json_array_foreach(s->o->schedules, i, entry) {
		const char *day = json_string_value(json_object_get(entry, "day"));
		char key[128], *last = NULL, stamp[32];
		int64_t due = sched_last_due(entry, now);
		struct vg_error err;

		if (due < 0 || now - due > MISSED_GRACE_S || atomic_load(&s->stop))
			continue;
		snprintf(key, sizeof(key), "schedule.%s.%s.%s",
			 json_string_value(json_object_get(entry, "type")), day ? day : "daily",
			 json_string_value(json_object_get(entry, "time")));
		vg_error_init(&err);
		if (store_meta_get(s->st, key, &last, &err) != VG_OK)
			continue;
		if (last != NULL && strtoll(last, NULL, 10) >= due) {
			free(last);
			continue;
		}
		free(last);
		/* recorded before it runs: a scan that crashes the machine is not retried in a loop */
		snprintf(stamp, sizeof(stamp), "%lld", (long long)due);
		if (store_meta_set(s->st, key, stamp, &err) != VG_OK) {
			vg_log(VG_LOG_ERROR, "scheduled scan: %s", vg_error_msg(&err));
			continue;
		}
		run_one(s, entry, due);
	}
}

static void *
sched_main(void *arg)
{
	struct sched *s = arg;
	int waited = TICK_MS;

	while (!atomic_load(&s->stop)) {
		if (waited >= TICK_MS) {
			if (s->o->schedules)
				tick(s);
			push_tick(s);
			waited = 0;
		}
		usleep(100 * 1000);
		waited += 100;
	}
	return NULL;
}

enum vg_err
sched_start(const struct rtp_options *o, struct sched **out, struct vg_error *err)
{
	struct sched *s = calloc(1, sizeof(*s));
	enum vg_err e;

	*out = NULL;
	if (s == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	s->o = o;
	e = store_open(o->state_dir, &s->st, err);
	if (e != VG_OK) {
		free(s);
		return e;
	}
	if (pthread_create(&s->tid, NULL, sched_main, s) != 0) {
		store_close(s->st);
		free(s);
		return vg_error_set(err, VG_NOMEM, "cannot start the scheduler thread");
	}
	*out = s;
	return VG_OK;
}

void
sched_stop(struct sched *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->stop, 1);
	pthread_join(s->tid, NULL);
	store_close(s->st);
	free(s);
}

int
sched_wanted(const struct rtp_options *o)
{
	return (o->schedules && json_array_size(o->schedules) > 0) || o->push_interval > 0;
}

pid_t
sched_child(struct sched *s)
{
	return s ? (pid_t)atomic_load(&s->child) : 0;
}

enum vg_err
rtp_scheduler_run(const struct rtp_options *o, struct vg_error *err)
{
	struct sched *s = NULL;
	enum vg_err e = VG_OK;

	if (sched_wanted(o))
		e = sched_start(o, &s, err);
	while (e == VG_OK && !*o->stop)
		usleep(200 * 1000);
	sched_stop(s);
	return e;
}
