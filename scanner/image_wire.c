/*
 * scanner/image_wire.c — one datagram in, one out, between vigil and vigil-image
 * (image_wire.h has the protocol).
 */
#include "scanner/image_wire.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int
iw_send(int sock, uint32_t kind, const uint64_t *n, const struct iw_str *s, size_t ns, int fd)
{
	struct iw_hdr h = { .magic = IW_MAGIC, .kind = kind };
	struct iovec iov[1 + IW_NSTR];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 1 };
	size_t total = sizeof(h);
	size_t i;
	ssize_t w;

	if (n != NULL)
		memcpy(h.n, n, sizeof(h.n));
	iov[0] = (struct iovec){ .iov_base = &h, .iov_len = sizeof(h) };
	for (i = 0; s != NULL && i < ns && i < IW_NSTR; i++) {
		size_t len = s[i].p != NULL ? s[i].len : 0;

		if (len > IW_MAX - total) {
			errno = EMSGSIZE;
			return -1;
		}
		h.len[i] = (uint32_t)len;
		total += len;
		if (len > 0)
			iov[mh.msg_iovlen++] = (struct iovec){ .iov_base = (void *)s[i].p,
								.iov_len = len };
	}
	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		w = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -1;
	if ((size_t)w != total) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

void
iw_msg_free(struct iw_msg *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	free(m->buf);
	m->buf = NULL;
}

static int
fail(struct iw_msg *m, char *why, size_t n, const char *reason)
{
	iw_msg_free(m);
	snprintf(why, n, "%s", reason);
	return -1;
}

static __thread char *rbuf;

int
iw_recv(int sock, struct iw_msg *m, int timeout_ms, char *why, size_t n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct iw_hdr h;
	struct cmsghdr *cm;
	size_t i;
	ssize_t r;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (timeout_ms >= 0) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		int pr = 0;

		/* a message already waiting needs no poll (most do, during a walk) */
		if (recv(sock, &pr, 1, MSG_PEEK | MSG_DONTWAIT) >= 0)
			goto ready;

		do
			pr = poll(&p, 1, timeout_ms);
		while (pr < 0 && errno == EINTR);
		if (pr == 0)
			return -2;
		if (pr < 0) {
			snprintf(why, n, "poll: %s", strerror(errno));
			return -1;
		}
	}
ready:
	/* one receive buffer per thread, kept: a fresh 192 KiB one per message would be an
	 * mmap, page faults and an munmap every time */
	if (rbuf == NULL && (rbuf = malloc(IW_MAX + 1)) == NULL)
		return fail(m, why, n, "out of memory");
	iov = (struct iovec){ .iov_base = rbuf, .iov_len = IW_MAX + 1 };
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (m->fd < 0)
				m->fd = fd;
			else
				close(fd);
		}
	}
	if (r == 0 && m->fd < 0) {
		iw_msg_free(m);
		return 0;
	}
	if (r < 0) {
		snprintf(why, n, "recvmsg: %s", strerror(errno));
		iw_msg_free(m);
		return -1;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return fail(m, why, n, "a message too long");
	if ((size_t)r < sizeof(h))
		return fail(m, why, n, "a message shorter than its header");
	memcpy(&h, rbuf, sizeof(h));
	if (h.magic != IW_MAGIC || h.kind == 0 || h.kind >= IW_KIND_MAX)
		return fail(m, why, n, "a message of no known kind");
	m->kind = h.kind;
	memcpy(m->n, h.n, sizeof(m->n));
	/* the strings follow the header: copied out, each with a NUL after it */
	{
		size_t sum = 0;
		char *copy, *dst;
		const char *src = rbuf + sizeof(h);

		for (i = 0; i < IW_NSTR; i++) {
			if (h.len[i] > (size_t)r - sizeof(h) - sum)
				return fail(m, why, n, "a string longer than its message");
			sum += h.len[i];
		}
		if (sizeof(h) + sum != (size_t)r)
			return fail(m, why, n, "a message longer than its strings");
		if ((copy = malloc(sum + IW_NSTR)) == NULL)
			return fail(m, why, n, "out of memory");
		for (i = 0, dst = copy; i < IW_NSTR; i++) {
			memcpy(dst, src, h.len[i]);
			dst[h.len[i]] = '\0';
			m->s[i] = (struct iw_str){ .p = dst, .len = h.len[i] };
			dst += h.len[i] + 1;
			src += h.len[i];
		}
		m->buf = copy;
		/* the received bytes may be a key: not left in the buffer for the next message */
		explicit_bzero(rbuf, (size_t)r);
	}
	return 1;
}
