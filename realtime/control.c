/*
 * realtime/control.c — <state-dir>/rtp.sock: a unix stream socket, mode 0600 in the 0700
 * state folder, so only its owner can ask. One request line per connection ("status",
 * "top process 20"), one JSON document back. Also the client side, for the CLI and health.
 */
#include "realtime/rtp_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/path.h"

struct control {
	int fd, wake[2];
	char *path;
	pthread_t tid;
	json_t *(*answer)(const char *req, void *ctx);
	void *ctx;
};

static int
sock_addr(const char *state_dir, struct sockaddr_un *sa, char **path, struct vg_error *err)
{
	*path = vg_path_join(state_dir, "rtp.sock");
	if (*path == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(*path) >= sizeof(sa->sun_path)) {
		vg_error_set(err, VG_INVAL, "socket path '%s' is longer than %zu bytes: use a "
			     "shorter --state-dir", *path, sizeof(sa->sun_path) - 1);
		free(*path);
		*path = NULL;
		return VG_INVAL;
	}
	memcpy(sa->sun_path, *path, strlen(*path) + 1);
	return VG_OK;
}

/* Read one line (the request) with a short timeout: a silent client cannot stall us. */
static int
read_request(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got + 1 < n) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, 1000) <= 0)
			return -1;
		r = read(fd, buf + got, n - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(buf, '\n', got))
			break;
	}
	buf[got] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return got > 0 ? 0 : -1;
}

static void *
control_main(void *arg)
{
	struct control *c = arg;

	for (;;) {
		struct pollfd p[2] = { { c->fd, POLLIN, 0 }, { c->wake[0], POLLIN, 0 } };
		char req[256], *text;
		json_t *reply;
		int cfd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		cfd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		if (read_request(cfd, req, sizeof(req)) == 0) {
			reply = c->answer(req, c->ctx);
			text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
			if (text) {
				size_t len = strlen(text), off = 0;

				while (off < len) {
					ssize_t w = send(cfd, text + off, len - off, MSG_NOSIGNAL);

					if (w <= 0)
						break;
					off += (size_t)w;
				}
				send(cfd, "\n", 1, MSG_NOSIGNAL);
			}
			free(text);
			json_decref(reply);
		}
		close(cfd);
	}
	return NULL;
}

enum vg_err
control_start(const char *state_dir, json_t *(*answer)(const char *req, void *ctx), void *ctx,
	      struct control **out, struct vg_error *err)
{
	struct control *c = calloc(1, sizeof(*c));
	struct sockaddr_un sa;
	mode_t old;
	enum vg_err e;

	*out = NULL;
	if (c == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	c->answer = answer;
	c->ctx = ctx;
	c->wake[0] = c->wake[1] = -1;
	e = sock_addr(state_dir, &sa, &c->path, err);
	if (e != VG_OK) {
		free(c);
		return e;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd >= 0 && connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(c->fd);
		free(c->path);
		free(c);
		return vg_error_set(err, VG_EXISTS, "real-time protection is already running "
				    "(it answers on '%s')", sa.sun_path);
	}
	if (c->fd >= 0)
		close(c->fd);
	unlink(sa.sun_path); /* a socket left by a process that is gone */
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	old = umask(0177);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(c->fd, 16) != 0) {
		umask(old);
		e = vg_error_set(err, VG_IO, "cannot listen on '%s': %s", sa.sun_path,
				 strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		free(c->path);
		free(c);
		return e;
	}
	umask(old);
	chmod(sa.sun_path, 0600);
	if (pipe2(c->wake, O_CLOEXEC) != 0 || pthread_create(&c->tid, NULL, control_main, c) != 0) {
		e = vg_error_set(err, VG_NOMEM, "cannot start the control thread");
		close(c->fd);
		unlink(c->path);
		free(c->path);
		free(c);
		return e;
	}
	*out = c;
	return VG_OK;
}

void
control_stop(struct control *c)
{
	if (c == NULL)
		return;
	if (write(c->wake[1], "x", 1) == 1)
		pthread_join(c->tid, NULL);
	close(c->fd);
	close(c->wake[0]);
	close(c->wake[1]);
	unlink(c->path);
	free(c->path);
	free(c);
}

enum vg_err
rtp_query(const char *state_dir, const char *request, json_t **out, struct vg_error *err)
{
	struct sockaddr_un sa;
	char *path = NULL, *buf = NULL;
	size_t len = 0, cap = 0;
	json_error_t je;
	int fd;
	enum vg_err e = sock_addr(state_dir, &sa, &path, err);

	*out = NULL;
	if (e != VG_OK)
		return e;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		e = vg_error_set(err, VG_NOTFOUND, "real-time protection is not running (no answer "
				 "on '%s')", path);
		free(path);
		return e;
	}
	free(path);
	if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		close(fd);
		return vg_error_set(err, VG_IO, "cannot ask real-time protection: %s",
				    strerror(errno));
	}
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (len + 4096 > cap) {
			char *b = realloc(buf, cap = cap ? cap * 2 : 8192);

			if (b == NULL)
				break;
			buf = b;
		}
		if (poll(&p, 1, 5000) <= 0)
			break;
		r = read(fd, buf + len, cap - len - 1);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	*out = buf ? json_loads(buf, 0, &je) : NULL;
	free(buf);
	if (*out == NULL)
		return vg_error_set(err, VG_IO, "real-time protection gave no answer");
	return VG_OK;
}
