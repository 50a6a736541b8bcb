/*
 * scanner/image_remote.c — a disk image read by vigil-image, seen from vigil
 * (image_remote.h; the protocol is image_wire.h).
 *
 * Everything the reader sends is hostile: it parses the evidence, and a parser in it may have
 * been taken over. A message is checked before it is believed (the kind that may come now,
 * lengths, JSON that parses, a problem kind from the known few, an object's descriptor a
 * memfd sealed against change and as long as announced, no more bytes in flight than were
 * reserved), and a reader that sends anything else is killed.
 */
#include "scanner/image_remote.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scanner/btrfs_run.h"
#include "scanner/helper.h"
#include "scanner/image_int.h"
#include "scanner/image_obj.h"
#include "scanner/image_wire.h"
#include "scanner/image_remote_int.h"

static void
exit_reason(int status, char *buf, size_t n)
{
	if (WIFEXITED(status))
		snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		snprintf(buf, n, "was killed by SIGSYS: a system call outside its sandbox");
	else if (WIFSIGNALED(status) && sigabbrev_np(WTERMSIG(status)) != NULL)
		snprintf(buf, n, "was killed by SIG%s", sigabbrev_np(WTERMSIG(status)));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, n, "stopped");
}

/* End the reader (if it still runs) and say why in r->gone, unless already said: "the image
 * reader " and what (or how it ended, when what is NULL), then ": " and detail if any. */
void
ir_end_reader(struct image_remote *r, const char *what, const char *detail)
{
	int status = 0;
	char how[96];

	if (r->pid > 0) {
		pid_t w;

		/* a reader that said something wrong is killed; one that broke has gone already */
		kill(r->pid, SIGKILL);
		do
			w = waitpid(r->pid, &status, 0);
		while (w < 0 && errno == EINTR);
		r->pid = 0;
		exit_reason(status, how, sizeof(how));
	} else {
		snprintf(how, sizeof(how), "stopped");
	}
	if (r->sock >= 0)
		close(r->sock);
	r->sock = -1;
	if (r->gone[0] == '\0')
		snprintf(r->gone, sizeof(r->gone), "the image reader %s%s%s", what ? what : how,
			 detail ? ": " : "", detail ? detail : "");
}

/* The reader's own end: it crashed or exited (waited for, so its status is known). */
void
ir_reader_broke(struct image_remote *r, const char *why)
{
	int status = 0;
	char how[128];
	pid_t w;

	if (r->pid > 0) {
		/* the socket closed: the reader is going; a reader still there is made to */
		do
			w = waitpid(r->pid, &status, WNOHANG);
		while (w < 0 && errno == EINTR);
		if (w == 0) {
			usleep(100 * 1000);
			w = waitpid(r->pid, &status, WNOHANG);
		}
		if (w == r->pid) {
			r->pid = 0;
			exit_reason(status, how, sizeof(how));
			ir_end_reader(r, how, NULL);
			return;
		}
	}
	ir_end_reader(r, "failed", why);
}

int
ir_send_msg(struct image_remote *r, uint32_t kind, const uint64_t *n, const struct iw_str *s,
	 size_t ns)
{
	if (r->sock < 0)
		return -1;
	if (iw_send(r->sock, kind, n, s, ns, -1) == 0)
		return 0;
	ir_reader_broke(r, strerror(errno));
	return -1;
}

/* The next message, within ms (-1: no bound); 1, or 0 with the reader gone (r->gone). */
static int
next(struct image_remote *r, struct iw_msg *m, int ms)
{
	char why[128];
	int rc;

	if (r->sock < 0)
		return 0;
	rc = iw_recv(r->sock, m, ms, why, sizeof(why));
	if (rc == 1)
		return 1;
	if (rc == -2)
		ir_end_reader(r, "did not answer in time", NULL);
	else if (rc == 0)
		ir_reader_broke(r, "it closed its socket");
	else
		ir_end_reader(r, "sent what it should not", why);
	return 0;
}

void
ir_violation(struct image_remote *r, struct iw_msg *m, const char *what)
{
	iw_msg_free(m);
	ir_end_reader(r, "sent what it should not", what);
}

/* Answer an IW_ASK for a key: the prompt (creds->ask), or no. */
int
ir_answer_ask(struct image_remote *r, const struct iw_msg *m, int stop)
{
	struct image_credential c = { 0 };
	uint64_t n[3] = { 0, (uint64_t)stop };
	struct iw_str s[2] = { { 0 } };
	int rc;

	if (r->creds != NULL && r->creds->ask != NULL &&
	    r->creds->ask(r->creds->ask_arg, m->s[0].p, &c) == 1) {
		n[0] = 1;
		s[0] = iw_cstr(c.kind);
		s[1] = (struct iw_str){ .p = (const char *)c.secret, .len = c.len };
	}
	rc = iw_send(r->sock, IW_ANSWER, n, s, IW_N(s), -1);
	if (c.secret != NULL) {
		explicit_bzero(c.secret, c.len);
		free(c.secret);
	}
	if (rc != 0)
		ir_reader_broke(r, strerror(errno));
	return rc;
}

/* Start the reader and take its hello (r->steps); r->sock < 0 and r->gone when that failed. */
static void
start(struct image_remote *r, const char *exe)
{
#ifdef VIGIL_SAN
	/* AddressSanitizer's shadow memory needs terabytes of address space */
	char *argv[] = { (char *)exe, "--fd", "3", "--memory-mb", "0", NULL };
#else
	char *argv[] = { (char *)exe, "--fd", "3", "--memory-mb", READER_MB, NULL };
#endif
	char why[200];
	struct iw_msg m;

	r->sock = -1;
	r->spool_fd = -1;
	r->gone[0] = '\0';
	free(r->steps);
	r->steps = NULL;
	if (helper_spawn(exe, argv, NULL, &r->pid, &r->sock, why, sizeof(why)) != 0) {
		r->sock = -1;
		snprintf(r->gone, sizeof(r->gone), "the image reader: %.200s", why);
		return;
	}
	if (next(r, &m, OPEN_MS)) {
		if (m.kind == IW_HELLO && (r->steps = strdup(m.s[0].p)) != NULL)
			iw_msg_free(&m);
		else
			ir_violation(r, &m, "no hello");
	}
}

/* Start a reader and open the image there (r's file and options); VG_OK, or err. */
enum vg_err
ir_open_image(struct image_remote *r, struct vg_error *err)
{
	struct iw_msg m;
	enum vg_err rc;
	size_t i;

	start(r, r->exe);
	for (i = 0; r->creds != NULL && i < r->creds->n && r->sock >= 0; i++) {
		struct iw_str s[2] = { iw_cstr(r->creds->v[i].kind),
				       { .p = (const char *)r->creds->v[i].secret,
					 .len = r->creds->v[i].len } };

		ir_send_msg(r, IW_CRED, NULL, s, IW_N(s));
	}
	if (r->sock >= 0) {
		uint64_t n[3] = { (uint64_t)(int64_t)r->partition, (uint64_t)r->offset,
				  (r->deleted ? IW_DELETED : 0) | (r->parent ? IW_HAS_PARENT : 0) };
		struct iw_str s[2] = { iw_cstr(r->file), iw_cstr(r->parent) };

		ir_send_msg(r, IW_OPEN, n, s, IW_N(s));
	}
	while (r->sock >= 0 && next(r, &m, OPEN_MS)) {
		if (m.kind == IW_ASK) {
			ir_answer_ask(r, &m, 0);
			iw_msg_free(&m);
			continue;
		}
		if (m.kind == IW_ERROR && m.n[0] > VG_OK && m.n[0] < VG__LAST) {
			rc = vg_error_set(err, (enum vg_err)m.n[0], "%s", m.s[0].p);
			iw_msg_free(&m);
			ir_end_reader(r, "could not open the image", NULL);
			return rc;
		}
		if (m.kind != IW_OPENED || m.s[0].len == 0 ||
		    !(r->format == NULL || strcmp(r->format, m.s[0].p) == 0)) {
			ir_violation(r, &m, "no opened image");
			break;
		}
		if (r->format == NULL) {
			r->volumes = json_loadb(m.s[1].p, m.s[1].len, 0, NULL);
			r->format = strdup(m.s[0].p);
			if (r->volumes == NULL || !json_is_array(r->volumes) || r->format == NULL) {
				ir_violation(r, &m, "no opened image");
				break;
			}
		}
		iw_msg_free(&m);
		return VG_OK;
	}
	return vg_error_set(err, VG_IO, "cannot open the image %s: %s", r->file, r->gone);
}

enum vg_err
image_remote_open(const char *exe, const char *file, const char *parent, int partition,
		  int64_t offset, int deleted, struct image_creds *creds, struct image_remote **out,
		  const char **format, struct vg_error *err)
{
	struct image_remote *r = calloc(1, sizeof(*r));
	enum vg_err rc;

	*out = NULL;
	if (r == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	r->sock = -1;
	r->spool_fd = -1;
	r->btrfs = -1;
	r->creds = creds;
	r->partition = partition;
	r->offset = offset;
	r->deleted = deleted;
	if ((r->exe = strdup(exe)) == NULL || (r->file = strdup(file)) == NULL ||
	    (parent != NULL && (r->parent = strdup(parent)) == NULL)) {
		image_remote_close(r);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	rc = ir_open_image(r, err);
	if (rc != VG_OK) {
		image_remote_close(r);
		return rc;
	}
	*format = r->format;
	*out = r;
	return VG_OK;
}

/* Send a request and wait for IW_OK or IW_ERROR (or expect, when not IW_OK: *m kept). */
enum vg_err
ir_request(struct image_remote *r, uint32_t kind, const struct iw_str *s, size_t ns,
	uint32_t expect, struct iw_msg *m, struct vg_error *err)
{
	enum vg_err rc;

	if (ir_send_msg(r, kind, NULL, s, ns) != 0 || !next(r, m, OPEN_MS))
		return vg_error_set(err, VG_IO, "%s", r->gone);
	if (m->kind == IW_ERROR && m->n[0] > VG_OK && m->n[0] < VG__LAST) {
		rc = vg_error_set(err, (enum vg_err)m->n[0], "%s", m->s[0].p);
		iw_msg_free(m);
		return rc;
	}
	if (m->kind != expect) {
		ir_violation(r, m, "an answer of the wrong kind");
		return vg_error_set(err, VG_IO, "%s", r->gone);
	}
	return VG_OK;
}

enum vg_err
image_remote_quick(struct image_remote *r, char *const *patterns, size_t n, struct vg_error *err)
{
	size_t i, len = 0;
	char *all, *p;
	struct iw_str s[1];
	struct iw_msg m;
	enum vg_err rc;

	for (i = 0; i < n; i++)
		len += strlen(patterns[i]) + 1;
	if ((all = malloc(len + 1)) == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	for (i = 0, p = all; i < n; i++)
		p = stpcpy(p, patterns[i]) + 1;
	s[0] = (struct iw_str){ .p = all, .len = len };
	rc = ir_request(r, IW_QUICK, s, IW_N(s), IW_OK, &m, err);
	if (rc == VG_OK)
		iw_msg_free(&m);
	free(r->quick);
	r->quick = all; /* for a restarted reader */
	r->quick_len = len;
	return rc;
}

json_t *
image_remote_list(struct image_remote *r, struct vg_error *err)
{
	struct iw_msg m;
	json_t *doc;

	if (ir_request(r, IW_LIST, NULL, 0, IW_LISTED, &m, err) != VG_OK)
		return NULL;
	doc = json_loadb(m.s[0].p, m.s[0].len, 0, NULL);
	if (doc == NULL || !json_is_object(doc)) {
		json_decref(doc);
		ir_violation(r, &m, "a list that is not a JSON object");
		vg_error_set(err, VG_IO, "%s", r->gone);
		return NULL;
	}
	iw_msg_free(&m);
	return doc;
}

/* ---- the walk ---- */

json_t *
image_remote_volumes(const struct image_remote *r)
{
	return json_deep_copy(r->volumes);
}

int
image_remote_readable(const struct image_remote *r)
{
	return r->readable;
}

const char *
image_remote_sandbox(const struct image_remote *r)
{
	return r->steps != NULL ? r->steps : "";
}

json_t *
scanner_image_health(void)
{
	char why[PATH_MAX + 128];
	const char *exe = helper_exe(&HELPER_IMAGE, why, sizeof(why));
	struct image_remote *r;
	json_t *j;

	if (exe == NULL) {
		j = json_pack("{s:b, s:s}", "available", 0, "reason", why);
		if (j != NULL)
			json_object_set_new(j, "btrfs", btrfs_run_health());
		return j;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	start(r, exe);
	if (r->steps != NULL)
		j = json_pack("{s:b, s:s, s:s}", "available", 1, "reader", exe, "sandbox", r->steps);
	else
		j = json_pack("{s:b, s:s}", "available", 0, "reason", r->gone);
	image_remote_close(r);
	if (j != NULL)
		json_object_set_new(j, "btrfs", btrfs_run_health());
	return j;
}

void
image_remote_close(struct image_remote *r)
{
	if (r == NULL)
		return;
	if (r->sock >= 0) {
		/* end of stream: the reader closes the image and exits */
		int status;
		int i;

		shutdown(r->sock, SHUT_WR);
		for (i = 0; i < 20 && r->pid > 0; i++) {
			if (waitpid(r->pid, &status, WNOHANG) == r->pid)
				r->pid = 0;
			else
				usleep(10 * 1000);
		}
	}
	ir_end_reader(r, "closed", NULL);
	json_decref(r->volumes);
	free(r->format);
	free(r->steps);
	free(r->exe);
	free(r->file);
	free(r->parent);
	free(r->quick);
	free(r->pending);
	while (r->nskip > 0)
		free(r->skip[--r->nskip]);
	free(r->skip);
	while (r->nsaid > 0)
		free(r->said[--r->nsaid]);
	free(r->said);
	free(r);
}
