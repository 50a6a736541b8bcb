/*
 * tests/e2e/helpers/fake-btrfs.c — stands in for btrfs-progs' btrfs (VIGIL_BTRFS) in t6520.
 * vigil starts it as it starts `btrfs restore`, with build/vigil-btrfs.so preloaded, so the
 * shim's constructor has sandboxed it and said hello to the walk before main() runs. What it
 * does as `btrfs restore` is chosen by the name it was copied to (argv[0] is always "btrfs");
 * as `btrfs check` it finds nothing wrong:
 *
 *   probe       says on stderr what the sandbox left it (uid, gid, whether it may create a
 *               file, its capabilities, no_new_privs and seccomp mode), restores one file holding EICAR through the shim,
 *               then makes a call outside the seccomp allow-list (socket): killed by SIGSYS.
 *   incomplete  restores one file but never sets its times (restore does that last, once all
 *               of it was read), then exits normally.
 *   malformed   sends the walk a file named without a leading '/'.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scanner/image_wire.h"

static const char eicar[] =
	"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

static int
restore_one(const char *name, int complete)
{
	char path[PATH_MAX];
	struct timespec t[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	int fd;

	snprintf(path, sizeof(path), "/vigil-btrfs-out%s", name);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || pwrite(fd, eicar, sizeof(eicar) - 1, 0) != (ssize_t)sizeof(eicar) - 1 ||
	    fchmod(fd, 0640) != 0 || (complete && futimens(fd, t) != 0)) {
		fprintf(stderr, "fake-btrfs: cannot restore %s: %s\n", name, strerror(errno));
		return 1;
	}
	return close(fd);
}

int
main(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *mode;

	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return 0; /* btrfs check: a clean volume, in every mode */
	self[n > 0 ? n : 0] = '\0';
	mode = strrchr(self, '/') ? strrchr(self, '/') + 1 : self;
	if (strcmp(mode, "probe") == 0) {
		int w = open("/tmp/fake-btrfs-was-here", O_CREAT | O_WRONLY, 0644);
		char line[256];
		FILE *st;

		fprintf(stderr, "fake-btrfs: uid=%u gid=%u create=%s\n", (unsigned)getuid(),
			(unsigned)getgid(), w >= 0 ? "allowed" : strerror(errno));
		if ((st = fopen("/proc/self/status", "r")) != NULL) {
			while (fgets(line, sizeof(line), st) != NULL)
				if (strncmp(line, "NoNewPrivs:", 11) == 0 ||
				    strncmp(line, "Seccomp:", 8) == 0 || strncmp(line, "CapEff:", 7) == 0)
					fprintf(stderr, "fake-btrfs: %s", line);
			fclose(st);
		}
		if (restore_one("/probe/eicar.com", 1) != 0)
			return 1;
		socket(AF_INET, SOCK_STREAM, 0);
		fprintf(stderr, "fake-btrfs: socket() was allowed\n");
		return 0;
	}
	if (strcmp(mode, "incomplete") == 0)
		return restore_one("/half.com", 0);
	if (strcmp(mode, "malformed") == 0) {
		struct iw_bt_file f = { .flags = IW_BT_COMPLETE, .mode = 0644, .size = 1 };
		struct iw_str s[2] = { iw_cstr("no-slash"), { (const char *)&f, sizeof(f) } };
		int fd = memfd_create("fake", 0);

		if (fd < 0 || iw_send(3, IW_BT_FILE, NULL, s, 2, fd) != 0)
			return 1;
		return 0;
	}
	fprintf(stderr, "fake-btrfs: no mode %s\n", mode);
	return 2;
}
