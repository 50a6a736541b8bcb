/*
 * extract/wire.c — sending and receiving proto.h datagrams (one message, at most one fd).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "extract/wire.h"

/* Room for a few descriptors, so that a request carrying too many is seen and refused
 * (and its extra descriptors closed) rather than silently cut by the kernel. */
#define WIRE_MAX_FDS 4

void
wire_send(int sock, struct vx_msg *m, const void *text, size_t text_len, int fd)
{
	ssize_t n;

	if (text_len > VX_TEXT_MAX) {
		/* A bug in the extractor, not hostile input: every caller bounds its text. */
		fprintf(stderr, "vigil-extract: message text of %zu bytes is too long\n", text_len);
		abort();
	}
	n = vx_send(sock, m, text, text_len, fd);
	/* SEQPACKET sends a datagram whole or not at all, so a short count is a failure too. */
	if (n != (ssize_t)(sizeof(*m) + text_len)) {
		if (n < 0)
			fprintf(stderr, "vigil-extract: cannot send to vigil: %s\n", strerror(errno));
		exit(VX_EXIT_WRITE);
	}
}

/* Closes every descriptor a received control block carries; returns how many there were. */
static int
take_fds(struct msghdr *mh, int *first)
{
	struct cmsghdr *c;
	int count = 0;

	*first = -1;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t i, nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (count++ == 0)
				*first = fd;
			else
				close(fd);
		}
	}
	return count;
}

int
wire_recv(int sock, struct vx_msg *m, char *text, int *fd)
{
	union {
		char buf[CMSG_SPACE(WIRE_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2];
	struct msghdr mh;
	const char *why = NULL;
	ssize_t n;
	int nfds;

	*fd = -1;
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = m;
	iov[0].iov_len = sizeof(*m);
	/* One byte more than allowed, so an oversized datagram shows as MSG_TRUNC or a length
	 * past VX_TEXT_MAX instead of being accepted cut short. */
	iov[1].iov_base = text;
	iov[1].iov_len = VX_TEXT_MAX + 1;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == ECONNRESET)
			return 0;
		fprintf(stderr, "vigil-extract: cannot read from vigil: %s\n", strerror(errno));
		exit(VX_EXIT_WRITE);
	}
	nfds = take_fds(&mh, fd);
	if (n == 0 && nfds == 0)
		return 0;

	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		why = "datagram or its descriptors truncated";
	else if ((size_t)n < sizeof(*m))
		why = "datagram shorter than a header";
	else if (m->magic != VX_MAGIC)
		why = "bad magic";
	else if (m->text_len > VX_TEXT_MAX)
		why = "text too long";
	else if ((size_t)n != sizeof(*m) + m->text_len)
		why = "datagram length does not match text_len";
	else if (nfds > 1)
		why = "more than one descriptor";
	if (why) {
		fprintf(stderr, "vigil-extract: garbled request: %s\n", why);
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -1;
	}
	text[m->text_len] = '\0';
	return 1;
}
