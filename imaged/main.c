/*
 * imaged/main.c — vigil-image: the sandboxed disk-image reader. vigil starts it for every
 * image it opens (scanner/image_remote.c); it parses the image with libtsk, the libyal
 * libraries and libcryptsetup inside its sandbox (imaged/sandbox.h) and hands what it reads
 * back over the socket (scanner/image_wire.h).
 *
 *   vigil-image --fd 3 [--memory-mb MB]   serve one image for vigil, until end of stream
 *   vigil-image --probe [--memory-mb MB]  sandbox itself, then report what it can still do
 *   vigil-image --version
 *
 * Start-up order: every descriptor but 0-3 closed, the parent-death signal, the sandbox
 * (namespaces, read-only mounts, capabilities, limits; Landlock and the seccomp filter last),
 * then the hello. Exit statuses: 0 end of stream (or --probe with everything in place),
 * 1 --probe with some step missing, 2 usage, 3 a request out of turn, 4 the socket failed or
 * vigil is gone, 5 the sandbox could not be entered. A system call outside the filter ends
 * the process with SIGSYS.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/err.h"
#include "core/jsonx.h"
#include "imaged/sandbox.h"
#include "imaged/sink.h"
#include "scanner/image_wire.h"
#include "scanner/scanner.h"

#define SOCK 3

struct server {
	struct rsink r;
	struct image_creds creds;
	struct scanner_image *im;
};

static void
send_error(enum vg_err code, const char *msg)
{
	uint64_t n[3] = { (uint64_t)code };
	struct iw_str s[1] = { iw_cstr(msg) };

	rsink_send(SOCK, IW_ERROR, n, s, IW_N(s), -1);
}

static void
on_cred(struct server *sv, const struct iw_msg *m)
{
	static const char *const kinds[] = { "password", "recovery_password", "key_file" };
	struct image_credential c = { 0 };
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(m->s[0].p, kinds[i]) == 0)
			c.kind = kinds[i];
	if (c.kind == NULL || (c.secret = malloc(m->s[1].len + 1)) == NULL)
		return;
	memcpy(c.secret, m->s[1].p, m->s[1].len);
	c.secret[m->s[1].len] = '\0';
	c.len = m->s[1].len;
	image_creds_push(&sv->creds, &c, NULL);
}

static void
send_json(uint32_t kind, json_t *j, uint64_t n0, const char *s0)
{
	char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	uint64_t n[3] = { n0 };
	struct iw_str s[2] = { iw_cstr(s0), iw_cstr(text) };

	if (text == NULL) {
		send_error(VG_NOMEM, "out of memory");
	} else if (kind == IW_LISTED) {
		s[0] = iw_cstr(text);
		s[1] = iw_cstr(NULL);
		if (iw_send(SOCK, kind, n, s, IW_N(s), -1) != 0)
			send_error(VG_NOMEM, "the list of volumes is too long to hand over");
	} else if (kind == IW_END) {
		s[0] = iw_cstr(text);
		s[1] = iw_cstr(NULL);
		rsink_send(SOCK, kind, n, s, IW_N(s), -1);
	} else {
		rsink_send(SOCK, kind, n, s, IW_N(s), -1);
	}
	free(text);
}

static void
on_open(struct server *sv, const struct iw_msg *m)
{
	struct vg_error err;
	json_t *vols;

	vg_error_init(&err);
	if (sv->im != NULL) {
		send_error(VG_INVAL, "an image is open already");
		return;
	}
	sv->creds.ask = rsink_ask;
	sv->creds.ask_arg = &sv->r;
	if (image_open_local(m->s[0].p, (m->n[2] & IW_HAS_PARENT) ? m->s[1].p : NULL,
			     (int)(int64_t)m->n[0], (int64_t)m->n[1], (m->n[2] & IW_DELETED) != 0,
			     &sv->creds, &sv->im, &err) != VG_OK) {
		send_error(err.code, err.msg);
		return;
	}
	vols = scanner_image_volumes(sv->im);
	send_json(IW_OPENED, vols, 0, scanner_image_format(sv->im));
	json_decref(vols);
}

static void
on_quick(struct server *sv, const struct iw_msg *m)
{
	char **v = NULL;
	size_t n = 0, i;
	const char *p = m->s[0].p, *end = m->s[0].p + m->s[0].len;
	struct vg_error err;

	vg_error_init(&err);
	for (; p < end; p += strlen(p) + 1) {
		char **nv = realloc(v, (n + 1) * sizeof(*v));

		if (nv == NULL)
			break;
		v = nv;
		v[n++] = (char *)p;
	}
	if (scanner_image_set_quick(sv->im, v, n, &err) == VG_OK)
		rsink_send(SOCK, IW_OK, NULL, NULL, 0, -1);
	else
		send_error(err.code, err.msg);
	for (i = 0; i < n; i++)
		v[i] = NULL;
	free(v);
}

/* vigil's exclusions, from scanner_excl_json; NULL when there are none or they do not parse
 * (then vigil is asked about nothing, and nothing is skipped). */
static struct excl_set *
exclusions(const struct iw_str *text)
{
	json_t *a = json_loadb(text->p, text->len, 0, NULL), *e;
	struct excl_set *set = NULL;
	size_t i;

	if (a != NULL && json_is_array(a) && json_array_size(a) > 0 &&
	    (set = scanner_excl_create()) != NULL) {
		json_array_foreach(a, i, e) {
			int kind = scanner_excl_kind_parse(json_string_value(json_object_get(e, "kind")));
			size_t len;
			char *value = vg_json_get_bytes(e, "value", &len);

			if (kind >= 0 && value != NULL)
				scanner_excl_add(set, (enum excl_kind)kind, value, EXCL_FROM_CLI, "vigil",
						 NULL);
			free(value);
		}
	}
	json_decref(a);
	return set;
}

static void
on_walk(struct server *sv, const struct iw_msg *m)
{
	struct image_sink s = rsink_make(&sv->r, m->n[0], m->n[1] != 0, (unsigned)m->n[2]);
	json_t *vols;

	scanner_excl_destroy(sv->r.excl);
	sv->r.excl = exclusions(&m->s[0]);
	image_walk_volumes(sv->im, &s);
	vols = scanner_image_volumes(sv->im);
	send_json(IW_END, vols, (uint64_t)scanner_image_readable(sv->im), NULL);
	json_decref(vols);
}

static void
on_list(struct server *sv, const struct iw_msg *m)
{
	json_t *doc = scanner_image_list(sv->im, NULL);

	(void)m;
	send_json(IW_LISTED, doc, 0, NULL);
	json_decref(doc);
}

/* What vigil may ask, and whether the image must be open for it. */
static const struct {
	uint32_t kind;
	int needs_image;
	void (*fn)(struct server *sv, const struct iw_msg *m);
} requests[] = {
	{ IW_CRED, 0, on_cred },
	{ IW_OPEN, 0, on_open },
	{ IW_QUICK, 1, on_quick },
	{ IW_LIST, 1, on_list },
	{ IW_WALK, 1, on_walk },
};

static int
serve(struct server *sv)
{
	char why[128];
	struct iw_msg m;
	size_t i;
	int rc;

	while ((rc = iw_recv(SOCK, &m, -1, why, sizeof(why))) == 1) {
		for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
			if (requests[i].kind == m.kind)
				break;
		if (i == sizeof(requests) / sizeof(requests[0]) ||
		    (requests[i].needs_image && sv->im == NULL)) {
			fprintf(stderr, "vigil-image: a message out of turn (kind %u)\n", m.kind);
			iw_msg_free(&m);
			return 3;
		}
		requests[i].fn(sv, &m);
		/* a key may have come in it */
		explicit_bzero(m.buf, (size_t)(m.s[IW_NSTR - 1].p + m.s[IW_NSTR - 1].len - m.buf));
		iw_msg_free(&m);
	}
	if (rc < 0) {
		fprintf(stderr, "vigil-image: %s\n", why);
		return 3;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: vigil-image --fd 3 [--memory-mb MB] | --probe | --version\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "memory-mb", required_argument, NULL, 'm' },
		{ "probe", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
#ifdef VIGIL_SAN
	struct isb_opts so = { .memory_mb = 0 };	/* ASan's shadow needs terabytes */
#else
	struct isb_opts so = { .memory_mb = 3072 };
#endif
	struct server sv = { .r = { .sock = SOCK } };
	struct isb sb;
	char err[256], steps[160];
	int c, fd = -1, probe = 0, rc;
	char *end;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			fd = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || fd != SOCK) {
				usage();
				return 2;
			}
			break;
		case 'm':
			so.memory_mb = strtoull(optarg, &end, 10);
			if (*end != '\0') {
				usage();
				return 2;
			}
			break;
		case 'p':
			probe = 1;
			break;
		case 'v':
			printf("vigil-image %s\n", VIGIL_VERSION);
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc || (fd < 0 && !probe)) {
		usage();
		return 2;
	}
	/* nothing vigil forgot may be seen by a process that parses hostile data */
	close_range(probe ? 3 : 4, ~0U, 0);
	if (!probe) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			return 4;
	}
	if (isb_enter(&sb, &so, err, sizeof(err)) != 0) {
		fprintf(stderr, "vigil-image: %s\n", err);
		return 5;
	}
	if (isb_lock(&sb) != 0 && !probe) {
		fprintf(stderr, "vigil-image: %s\n", sb.lock_error);
		return 5;
	}
	if (probe)
		return isb_report(&sb, stdout) ? 0 : 1;
	isb_steps(&sb, steps, sizeof(steps));
	{
		struct iw_str s[2] = { iw_cstr(steps), iw_cstr(VIGIL_VERSION) };

		rsink_send(SOCK, IW_HELLO, NULL, s, IW_N(s), -1);
	}
	rc = serve(&sv);
	scanner_excl_destroy(sv.r.excl);
	scanner_image_close(sv.im);
	image_creds_release(&sv.creds);
	return rc;
}
