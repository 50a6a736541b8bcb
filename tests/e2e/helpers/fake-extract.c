/*
 * fake-extract — a stand-in for vigil-extract that misbehaves on purpose, so that the
 * end-to-end tests can check vigil's side of extract/proto.h against every failure
 * (VIGIL_EXTRACT points vigil at it; VIGIL_EXTRACT_TEST_ARGS="--fake MODE" picks the mode).
 *
 *   layers    a well-formed reply: "[MSEXE]" holding "inner.txt" (the marker text), then a
 *             normalised link "[HTML]" and below it "note.txt"; then VX_DONE VX_OK
 *   limit     one layer, then VX_DONE VX_LIMIT "ClamAV limit: MaxFiles"
 *   crash     SIGSEGV on the first object
 *   hang      never answers
 *   garble    a reply with a wrong magic number
 *   pipe      a layer whose descriptor is a pipe, not a sealed memfd
 *   wrongid   a VX_DONE for another object
 *   nohello   exits at once
 *
 * Every other argument is ignored (vigil passes its limits).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

#include "extract/proto.h"

static const char marker[] = "VIGIL-FAKE-EXTRACT-MARKER inner layer text\n";

static void
send_msg(uint32_t kind, uint64_t id, uint32_t status, int32_t parent, uint32_t flags,
	 const char *text, size_t tl, int fd, uint64_t size, uint32_t magic)
{
	struct vx_msg m = { 0, kind, id, size, parent, 1, flags, status, 0, 0 };

	if (magic != VX_MAGIC) {	/* a garbled header: sent by hand */
		m.magic = magic;
		if (write(VX_FD, &m, sizeof(m)) < 0)
			exit(4);
		return;
	}
	if (vx_send(VX_FD, &m, text, tl, fd) < 0)
		exit(4);
}

static int
sealed(const char *bytes)
{
	int fd = memfd_create("fake-layer", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0 || write(fd, bytes, strlen(bytes)) != (ssize_t)strlen(bytes))
		exit(5);
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	return fd;
}

static void
layer(uint64_t id, int32_t parent, uint32_t flags, const char *type, const char *label,
      const char *bytes)
{
	char text[256];
	size_t tl = (size_t)snprintf(text, sizeof(text), "%s%c%s", type, 0, label);
	int fd = bytes ? sealed(bytes) : -1;

	send_msg(VX_LAYER, id, 0, parent, flags, text, tl, fd, bytes ? strlen(bytes) : 0,
		 VX_MAGIC);
	if (fd >= 0)
		close(fd);
}

int
main(int argc, char **argv)
{
	const char *mode = "layers";
	char buf[sizeof(struct vx_msg) + VX_TEXT_MAX];
	struct vx_msg m;
	int i;

	for (i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "--fake") == 0)
			mode = argv[i + 1];
	if (strcmp(mode, "nohello") == 0)
		return 7;
	send_msg(VX_HELLO, 0, 0, 0, 0, "libclamav fake; sandbox: none", 29, -1, 0, VX_MAGIC);
	for (;;) {
		char cb[CMSG_SPACE(sizeof(int) * 4)];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { 0 };
		struct cmsghdr *cm;
		ssize_t r;

		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cb;
		mh.msg_controllen = sizeof(cb);
		if ((r = recvmsg(VX_FD, &mh, MSG_CMSG_CLOEXEC)) <= 0)
			return 0;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_type == SCM_RIGHTS) {
				int fd;

				memcpy(&fd, CMSG_DATA(cm), sizeof(int));
				close(fd);
			}
		if ((size_t)r < sizeof(m))
			return 3;
		memcpy(&m, buf, sizeof(m));
		if (strcmp(mode, "crash") == 0)
			raise(SIGSEGV);
		if (strcmp(mode, "hang") == 0)
			for (;;)
				pause();
		if (strcmp(mode, "garble") == 0) {
			send_msg(VX_DONE, m.id, 0, -1, 0, "", 0, -1, 0, 0x12345678);
			continue;
		}
		if (strcmp(mode, "pipe") == 0) {
			int p[2];

			if (pipe(p) != 0)
				return 5;
			send_msg(VX_LAYER, m.id, 0, -1, 0, "MSEXE\0x", 7, p[0], 10, VX_MAGIC);
			close(p[0]);
			close(p[1]);
			continue;
		}
		if (strcmp(mode, "wrongid") == 0) {
			send_msg(VX_DONE, m.id + 7, 0, -1, 0, "", 0, -1, 0, VX_MAGIC);
			continue;
		}
		if (strcmp(mode, "limit") == 0) {
			layer(m.id, -1, 0, "MSEXE", "[MSEXE]", marker);
			send_msg(VX_DONE, m.id, VX_LIMIT, -1, 0, "ClamAV limit: MaxFiles", 22, -1, 0,
				 VX_MAGIC);
			continue;
		}
		layer(m.id, -1, 0, "MSEXE", "[MSEXE]", "MZ outer layer, no marker\n");
		layer(m.id, 0, 0, "TEXT_ASCII", "inner.txt", marker);
		layer(m.id, -1, VX_NORMALIZED | VX_NOBYTES, "HTML", "[HTML]", NULL);
		layer(m.id, 2, 0, "TEXT_ASCII", "note.txt", marker);
		send_msg(VX_DONE, m.id, VX_OK, -1, 0, "", 0, -1, 0, VX_MAGIC);
	}
}
