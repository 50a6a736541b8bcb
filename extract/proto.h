/*
 * extract/proto.h — the wire between vigil and vigil-extract (BSD-3-Clause, like vigil; the
 * extractor that includes it is GPL-2.0 as libclamav requires: see extract/LICENSE).
 *
 * vigil starts `vigil-extract` with one end of an AF_UNIX SOCK_SEQPACKET socketpair as file
 * descriptor 3 (every other descriptor closed), an empty environment, and these arguments:
 *
 *   vigil-extract --fd 3 [--tmp-fallback DIR] [--max-files N] [--max-filesize B]
 *                 [--max-scansize B] [--max-recursion N] [--max-scantime-ms MS]
 *                 [--memory-mb MB] [--cpu-s S]
 *   vigil-extract --probe        (sandboxes itself, then reports what it can still do)
 *   vigil-extract --version
 *
 * Every message is one datagram: a struct vx_msg, then text_len bytes of text, with at most
 * one descriptor attached (SCM_RIGHTS). Both ends run on the same machine from the same
 * build, so the header is in host byte order.
 *
 *   extractor → vigil  VX_HELLO   once, when sandboxed and ready; text: "libclamav 1.4.6;
 *                                 sandbox: net,mount,tmpfs,seccomp,rlimits" (what took hold)
 *   vigil → extractor  VX_SCAN    id, size; the object's bytes as a sealed memfd (read with
 *                                 pread from offset 0, size bytes); level = the deepest
 *                                 recursion level vigil still accepts for this object
 *   extractor → vigil  VX_LAYER   zero or more per VX_SCAN, in ClamAV's order: one embedded
 *                                 layer (recursion level >= 1); text "TYPE\0LABEL" (TYPE is
 *                                 ClamAV's type without "CL_TYPE_", LABEL the layer's name
 *                                 or a stable "[TYPE]#n"); size bytes in an attached memfd,
 *                                 or no descriptor and size 0 when flags has VX_NOBYTES
 *   extractor → vigil  VX_DONE    last message for that id; status and a reason text
 *
 * A layer's parent is the index (0-based, counted over this object's VX_LAYER messages) of
 * the layer it was found in, or -1 for the object itself. A crash, a timeout or anything
 * that does not parse ends the extractor: vigil kills it, reports a problem on the object
 * and starts another.
 */
#ifndef VIGIL_EXTRACT_PROTO_H
#define VIGIL_EXTRACT_PROTO_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#define VX_MAGIC 0x56584731u	/* "VXG1" */
#define VX_FD 3			/* the socket's descriptor in the extractor */
#define VX_TEXT_MAX 8192	/* longest text after a header */

enum vx_kind {
	VX_HELLO = 1,
	VX_SCAN = 2,
	VX_LAYER = 3,
	VX_DONE = 4,
};

/* VX_LAYER flags */
enum vx_layer_flags {
	VX_NORMALIZED = 1u << 0,	/* ClamAV's normalised text (not the file's bytes) */
	VX_DECRYPTED = 1u << 1,		/* decrypted from its parent */
	VX_VBA = 1u << 2,		/* VBA macro source (LABEL "vba:Module" or "vba:#n") */
	VX_NOBYTES = 1u << 3,		/* only a link in the chain: no descriptor */
};

/* VX_DONE status */
enum vx_status {
	VX_OK = 0,	/* every layer delivered */
	VX_LIMIT = 1,	/* a limit stopped ClamAV (text: which); what came is delivered */
	VX_ERROR = 2,	/* ClamAV failed on the object (text: cl_strerror or the reason) */
	VX_ENCRYPTED = 3, /* encrypted content could not be opened (text: which) */
};

struct vx_msg {
	uint32_t magic;		/* VX_MAGIC */
	uint32_t kind;		/* enum vx_kind */
	uint64_t id;		/* VX_SCAN's id, echoed in its VX_LAYER and VX_DONE */
	uint64_t size;		/* VX_SCAN, VX_LAYER: bytes behind the descriptor */
	int32_t parent;		/* VX_LAYER: see above */
	uint32_t level;		/* VX_SCAN: deepest level accepted; VX_LAYER: ClamAV's level */
	uint32_t flags;		/* VX_LAYER: enum vx_layer_flags */
	uint32_t status;	/* VX_DONE: enum vx_status */
	uint32_t text_len;	/* bytes of text after this header (<= VX_TEXT_MAX) */
	uint32_t reserved;	/* 0 */
};

/*
 * Send one message: m (magic, text_len and reserved filled in here), text_len bytes of
 * text, and fd when it is >= 0. One sendmsg (SEQPACKET: all of it or nothing), retried on
 * EINTR, never raising SIGPIPE. Returns what sendmsg returned: sizeof(*m) + text_len when
 * sent. Both sides use it (header-only, so that the GPL extractor and BSD vigil share it
 * without linking each other).
 */
static inline ssize_t
vx_send(int sock, struct vx_msg *m, const void *text, size_t text_len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2];
	struct msghdr mh;
	ssize_t n;

	m->magic = VX_MAGIC;
	m->text_len = (uint32_t)text_len;
	m->reserved = 0;
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = m;
	iov[0].iov_len = sizeof(*m);
	iov[1].iov_base = (void *)text;
	iov[1].iov_len = text_len;
	mh.msg_iov = iov;
	mh.msg_iovlen = text_len ? 2 : 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

#endif
