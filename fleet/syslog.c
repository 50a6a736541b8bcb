/*
 * fleet/syslog.c — RFC 5424 messages on the local syslog socket (see fleet/syslog.h).
 */
#include "fleet/syslog.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/log.h"

/*
 * The most each value may take in the message, escaped. The fixed part (header, short
 * values, parameter names: under 2 KiB) and these add up to less than FLEET_SYSLOG_MAX, so
 * the element is always closed; the text gets what is left.
 */
#define SHORT_MAX 256
#define PATH_MAX_OUT 3072
#define MEMBER_MAX_OUT 1536
#define DEST_MAX_OUT 1024
#define CUT "..."

struct fleet_syslog {
	pthread_mutex_t mu;
	int fd;			/* -1: not connected */
	time_t last_try;	/* the last connect, to try at most once a second */
	int warned_down, warned_full;
	char *socket_path;
	char *machine_guid, *org_id;
	char hostname[256];
};

/* ---- formatting ---- */

struct sbuf {
	char *p;
	size_t len, cap;	/* cap: the bytes usable, without the NUL */
	int cut;		/* a value was truncated */
};

static void
put_raw(struct sbuf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
put_str(struct sbuf *b, const char *s)
{
	put_raw(b, s, strlen(s));
}

/* The length of the token of escaped text at s: an escape (\\, \n, \t, \xNN) or one UTF-8
 * character (vg_text_escape's output is valid UTF-8). */
static size_t
token_len(const unsigned char *s)
{
	if (s[0] == '\\')
		return s[1] == 'x' ? 4 : 2;
	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xe0)
		return 2;
	return s[0] < 0xf0 ? 3 : 4;
}

static size_t
sd_len(const char *s, size_t n)
{
	size_t i, out = n;

	for (i = 0; i < n; i++)
		out += s[i] == '"' || s[i] == '\\' || s[i] == ']';
	return out;
}

static void
put_sd(struct sbuf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && b->len + 2 <= b->cap; i++) {
		if (s[i] == '"' || s[i] == '\\' || s[i] == ']')
			b->p[b->len++] = '\\';
		b->p[b->len++] = s[i];
	}
	b->p[b->len] = '\0';
}

/*
 * Hostile bytes as text (vg_text_escape), then SD-escaped when sd: at most limit bytes,
 * cut between escapes or characters (never in one, which could swallow the closing quote)
 * and ending CUT. Returns -1 when out of memory.
 */
static int
put_text(struct sbuf *b, const char *bytes, size_t n, size_t limit, int sd)
{
	char *t = vg_text_escape(bytes, n);
	size_t tl, i = 0, out = 0, room = b->cap - b->len;

	if (t == NULL)
		return -1;
	if (limit > room)
		limit = room;
	tl = strlen(t);
	if ((sd ? sd_len(t, tl) : tl) > limit) {
		while (i < tl) {
			size_t k = token_len((const unsigned char *)t + i), w;

			if (i + k > tl)
				break;
			w = sd ? sd_len(t + i, k) : k;
			if (out + w + strlen(CUT) > limit)
				break;
			out += w;
			i += k;
		}
		tl = i;
		b->cut = 1;
	}
	if (sd)
		put_sd(b, t, tl);
	else
		put_raw(b, t, tl);
	if (tl < strlen(t))
		put_str(b, CUT);
	free(t);
	return 0;
}

/* The member chain as "a.zip > b.exe" (raw bytes, malloc'd). */
static char *
member_chain(const char *m, size_t n, size_t *out_len)
{
	char *s = malloc(n * 4 + 1);
	size_t i, o = 0;

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (m[i] != '\0') {
			s[o++] = m[i];
		} else if (i + 1 < n) {
			memcpy(s + o, " > ", 3);
			o += 3;
		}
	}
	s[o] = '\0';
	*out_len = o;
	return s;
}

static int
param_text(struct sbuf *b, const char *name, const char *bytes, size_t n, size_t limit)
{
	if (bytes == NULL)
		return 0;
	put_str(b, " ");
	put_str(b, name);
	put_str(b, "=\"");
	if (put_text(b, bytes, n, limit, 1) != 0)
		return -1;
	put_str(b, "\"");
	return 0;
}

static int
param(struct sbuf *b, const char *name, const char *s)
{
	return s && *s ? param_text(b, name, s, strlen(s), SHORT_MAX) : 0;
}

static void
param_int(struct sbuf *b, const char *name, int64_t v)
{
	char n[32];

	if (v <= 0)
		return;
	snprintf(n, sizeof(n), " %s=\"%lld\"", name, (long long)v);
	put_str(b, n);
}

/* The header's HOSTNAME: 1*255 PRINTUSASCII, else the NILVALUE. */
static void
put_hostname(struct sbuf *b, const char *h)
{
	size_t i, n = h ? strnlen(h, 255) : 0;

	if (n == 0) {
		put_str(b, "-");
		return;
	}
	for (i = 0; i < n; i++) {
		char c = h[i] > 32 && h[i] < 127 ? h[i] : '_';

		put_raw(b, &c, 1);
	}
}

/* MSG: plain UTF-8 text (no BOM), escaped as on a terminal. */
static int
put_msg(struct sbuf *b, const struct fleet_syslog_event *ev, const char *chain, size_t chain_len)
{
	char num[48];
	const char *rule = ev->rule ? ev->rule : "?";
	int rc = 0;

	put_str(b, " ");
	snprintf(num, sizeof(num), "item %lld", (long long)ev->item_id);
	if (strcmp(ev->msgid, "DETECTION") == 0 || strcmp(ev->msgid, "BLOCK") == 0) {
		if (strcmp(ev->msgid, "BLOCK") == 0)
			put_str(b, "open refused: ");
		rc |= put_text(b, rule, strlen(rule), SHORT_MAX, 0);
		put_str(b, " found in ");
	} else if (strcmp(ev->msgid, "RESTORE") == 0) {
		put_str(b, num);
		put_str(b, " restored to ");
		if (ev->restored_to)
			return put_text(b, ev->restored_to, strlen(ev->restored_to), PATH_MAX_OUT, 0);
		put_str(b, "its path: ");
	} else {
		put_str(b, num);
		put_str(b, strcmp(ev->msgid, "REMOVE") == 0 ? " removed from the vault: "
							     : " quarantined: ");
	}
	if (ev->path)
		rc |= put_text(b, ev->path, ev->path_len, PATH_MAX_OUT, 0);
	if (chain && chain_len) {
		put_str(b, " > ");
		rc |= put_text(b, chain, chain_len, MEMBER_MAX_OUT, 0);
	}
	return rc;
}

size_t
fleet_syslog_format(const struct fleet_syslog_origin *o, const struct fleet_syslog_event *ev,
		    char *buf)
{
	struct sbuf b = { buf, 0, FLEET_SYSLOG_MAX - 1, 0 };
	char head[128], stamp[40], *chain = NULL;
	size_t chain_len = 0;
	time_t secs = (time_t)(o->time_ns / 1000000000);
	struct tm tm;
	int rc = 0;

	buf[0] = '\0';
	if (ev->member && ev->member_len &&
	    (chain = member_chain(ev->member, ev->member_len, &chain_len)) == NULL)
		return 0;
	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(head, sizeof(head), "<%d>1 %s.%06lldZ ", LOG_DAEMON | ev->severity, stamp,
		 (long long)(o->time_ns % 1000000000 / 1000));
	put_str(&b, head);
	put_hostname(&b, o->hostname);
	snprintf(head, sizeof(head), " vigil %ld %s [" FLEET_SYSLOG_SDID, o->pid, ev->msgid);
	put_str(&b, head);
	/* the short values first: the long ones after them are cut to fit, never these */
	rc |= param(&b, "rule", ev->rule);
	rc |= param(&b, "sha256", ev->sha256);
	rc |= param(&b, "action", ev->action);
	rc |= param(&b, "machine_guid", o->machine_guid);
	rc |= param(&b, "org_id", o->org_id);
	param_int(&b, "scan_id", ev->scan_id);
	param_int(&b, "item_id", ev->item_id);
	rc |= param_text(&b, "path", ev->path, ev->path_len, PATH_MAX_OUT);
	rc |= param_text(&b, "member", chain, chain_len, MEMBER_MAX_OUT);
	if (ev->restored_to)
		rc |= param_text(&b, "restored_to", ev->restored_to, strlen(ev->restored_to),
				 DEST_MAX_OUT);
	if (b.cut)
		put_str(&b, " truncated=\"1\"");
	put_str(&b, "]");
	rc |= put_msg(&b, ev, chain, chain_len);
	free(chain);
	return rc ? 0 : b.len;
}

/* ---- the socket ---- */

enum vg_err
fleet_syslog_create(const struct vg_config *cfg, struct store *st, struct fleet_syslog **out,
		    struct vg_error *err)
{
	struct fleet_syslog *sl;
	const char *org = config_get_string(cfg, "org_id");
	enum vg_err e;

	*out = NULL;
	if (!config_get_bool(cfg, "logging.syslog"))
		return VG_OK;
	if ((sl = calloc(1, sizeof(*sl))) == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	sl->fd = -1;
	pthread_mutex_init(&sl->mu, NULL);
	sl->socket_path = strdup(config_get_string(cfg, "logging.syslog_socket"));
	sl->org_id = strdup(org ? org : "");
	if (sl->socket_path == NULL || sl->org_id == NULL) {
		fleet_syslog_destroy(sl);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	if ((e = store_machine_guid(st, &sl->machine_guid, err)) != VG_OK) {
		fleet_syslog_destroy(sl);
		return e;
	}
	if (gethostname(sl->hostname, sizeof(sl->hostname) - 1) != 0)
		sl->hostname[0] = '\0';
	*out = sl;
	return VG_OK;
}

void
fleet_syslog_destroy(struct fleet_syslog *sl)
{
	if (sl == NULL)
		return;
	if (sl->fd >= 0)
		close(sl->fd);
	pthread_mutex_destroy(&sl->mu);
	free(sl->socket_path);
	free(sl->machine_guid);
	free(sl->org_id);
	free(sl);
}

/* Under sl->mu: connect when not connected (at most once a second); 0 when connected. */
static int
connect_locked(struct fleet_syslog *sl)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	time_t now = time(NULL);
	int fd, saved;

	if (sl->fd >= 0)
		return 0;
	if (sl->last_try == now)
		return -1;
	sl->last_try = now;
	if (strlen(sl->socket_path) >= sizeof(a.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(a.sun_path, sl->socket_path, strlen(sl->socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	sl->fd = fd;
	return 0;
}

static void
send_msg(struct fleet_syslog *sl, const char *msg, size_t n)
{
	int tries, why = 0;

	pthread_mutex_lock(&sl->mu);
	for (tries = 0; tries < 2; tries++) {
		if (connect_locked(sl) != 0) {
			why = errno;
			break;
		}
		if (send(sl->fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			sl->warned_down = 0;
			pthread_mutex_unlock(&sl->mu);
			return;
		}
		why = errno;
		if (why == EAGAIN || why == EWOULDBLOCK || why == ENOBUFS || why == EMSGSIZE)
			break;
		/* the receiver went away (restarted): reconnect once, now */
		close(sl->fd);
		sl->fd = -1;
		sl->last_try = 0;
	}
	if (why == EAGAIN || why == EWOULDBLOCK || why == ENOBUFS) {
		if (!sl->warned_full) {
			sl->warned_full = 1;
			vg_log(VG_LOG_WARN, "syslog socket '%s' is full: messages are dropped",
			       sl->socket_path);
		}
	} else if (!sl->warned_down) {
		sl->warned_down = 1;
		vg_log(VG_LOG_WARN, "cannot send to the syslog socket '%s': %s (messages are "
		       "dropped)", sl->socket_path, why ? strerror(why) : "not reachable");
	}
	pthread_mutex_unlock(&sl->mu);
}

static void
emit(struct fleet_syslog *sl, const struct fleet_syslog_event *ev)
{
	struct fleet_syslog_origin o = { sl->hostname, sl->machine_guid, sl->org_id,
					 (long)getpid(), 0 };
	struct timespec ts;
	char buf[FLEET_SYSLOG_MAX];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	o.time_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	n = fleet_syslog_format(&o, ev, buf);
	if (n > 0)
		send_msg(sl, buf, n);
}

void
fleet_syslog_threat(void *ctx, int64_t scan_id, const struct store_threat *t)
{
	struct fleet_syslog *sl = ctx;
	struct fleet_syslog_event ev = {
		.msgid = "DETECTION", .severity = LOG_WARNING, .rule = t->name,
		.path = t->path, .path_len = t->path_len, .member = t->member,
		.member_len = t->member_len, .sha256 = t->sha256, .action = t->action,
		.scan_id = scan_id,
	};

	if (sl == NULL || (t->action && strcmp(t->action, "allowed") == 0))
		return;
	emit(sl, &ev);
	if (t->action && strcmp(t->action, "blocked") == 0) {
		ev.msgid = "BLOCK";
		emit(sl, &ev);
	}
}

void
fleet_syslog_refusal(void *ctx, int64_t scan_id, const char *path, size_t path_len,
		     const char *rule, const char *action)
{
	struct fleet_syslog_event ev = {
		.msgid = "BLOCK", .severity = LOG_WARNING, .rule = rule, .path = path,
		.path_len = path_len, .action = action, .scan_id = scan_id,
	};

	if (ctx)
		emit(ctx, &ev);
}

void
fleet_syslog_vault(void *ctx, const char *what, const struct store_qitem *q,
		   const char *restored_to)
{
	struct fleet_syslog_event ev = {
		.severity = LOG_NOTICE, .rule = q->threat, .path = q->path,
		.path_len = q->path_len, .sha256 = q->sha256, .action = what,
		.restored_to = restored_to, .scan_id = q->scan_id, .item_id = q->id,
	};

	if (ctx == NULL)
		return;
	ev.msgid = strcmp(what, "restored") == 0  ? "RESTORE"
		   : strcmp(what, "removed") == 0 ? "REMOVE"
						  : "QUARANTINE";
	emit(ctx, &ev);
}
