/* core/eventlog.c — the local event log (JSON Lines in the state folder). */
#include "core/eventlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/path.h"
#include "core/statedir.h"

enum vg_err
vg_eventlog_open(struct vg_eventlog *log, const char *state_dir, const char *diagnostic_level,
		 json_t *common, struct vg_error *err)
{
	memset(log, 0, sizeof(*log));
	log->path = vg_path_join(state_dir, "events.jsonl");
	log->state_dir = strdup(state_dir);
	if (log->path == NULL || log->state_dir == NULL) {
		vg_eventlog_close(log);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	log->record_optional = diagnostic_level == NULL || strcmp(diagnostic_level, "optional") == 0;
	log->common = json_incref(common);
	return VG_OK;
}

void
vg_eventlog_close(struct vg_eventlog *log)
{
	free(log->path);
	free(log->state_dir);
	json_decref(log->common);
	memset(log, 0, sizeof(*log));
}

enum vg_err
vg_event(struct vg_eventlog *log, enum vg_event_level level, const char *name, json_t *fields,
	 struct vg_error *err)
{
	struct timeval tv;
	char when[48], *line;
	json_t *ev;
	int fd;
	size_t len;
	ssize_t w;

	if (log->path == NULL || (level == VG_EVENT_OPTIONAL && !log->record_optional)) {
		json_decref(fields);
		return VG_OK;
	}
	gettimeofday(&tv, NULL);
	vg_time_iso((int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000, when, sizeof(when));
	ev = json_pack("{s:s, s:s, s:s, s:s}", "time", when, "event", name, "level",
		       level == VG_EVENT_REQUIRED ? "required" : "optional", "platform", "linux");
	if (log->common)
		json_object_update(ev, log->common);
	if (fields)
		json_object_update(ev, fields);
	json_decref(fields);
	line = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (line == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	len = strlen(line);
	line[len++] = '\n'; /* json_dumps leaves room: the NUL becomes the newline */
	/* never through a link, and only into a file of root's or ours that others cannot write */
	fd = vg_state_open(log->state_dir, "events.jsonl", O_WRONLY | O_APPEND | O_CREAT, 0600, err);
	if (fd < 0) {
		free(line);
		return err ? err->code : VG_IO;
	}
	/* one write with O_APPEND: lines of several processes never interleave */
	w = write(fd, line, len);
	close(fd);
	free(line);
	if (w != (ssize_t)len)
		return vg_error_set(err, VG_IO, "cannot write the event log '%s': %s", log->path,
				    w < 0 ? strerror(errno) : "short write");
	return VG_OK;
}
