/*
 * imaged/sandbox_probe.c — vigil-image --probe: after the sandbox is in place, try what it
 * must refuse and what must still work, and say so one "key: value" line each (sandbox.h).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "imaged/sandbox.h"
#include "imaged/sandbox_int.h"

/* The capability names, as capabilities(7) has them without "CAP_", by number. */
static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
	"setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
	"net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
	"sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
	"audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

/* "capabilities: ..."; true when what is held is what the sandbox leaves. */
static bool
report_caps(const struct isb *sb, FILE *out)
{
	struct __user_cap_data_struct data[2];
	const char *sep = "";
	uint64_t held;
	unsigned cap;

	if (isb_cap_get(data)) {
		fprintf(out, "capabilities: unknown (capget: %s)\n", strerror(errno));
		return false;
	}
	held = (uint64_t)(data[0].effective | data[0].permitted | data[0].inheritable) |
	       (uint64_t)(data[1].effective | data[1].permitted | data[1].inheritable) << 32;
	if (!held) {
		fprintf(out, "capabilities: none\n");
		return true;
	}
	if (held == CAP_TO_MASK(CAP_DAC_READ_SEARCH)) {
		fprintf(out, "capabilities: dac_read_search\n");
		/* only root outside a user namespace has a use for it */
		return getuid() == 0 && !(sb->held & ISB_USERNS);
	}
	fprintf(out, "capabilities: ");
	for (cap = 0; cap < 64; cap++) {
		if (!(held & (UINT64_C(1) << cap)))
			continue;
		if (cap < sizeof(cap_names) / sizeof(cap_names[0]))
			fprintf(out, "%s%s", sep, cap_names[cap]);
		else
			fprintf(out, "%scap_%u", sep, cap);
		sep = ",";
	}
	fprintf(out, "\n");
	return false;
}

/* fd, the result of an open or socket that must fail: "KEY: refused (REASON)" and true, or
 * "KEY: ALLOWED" and false. */
static bool
report_refused(FILE *out, const char *key, int fd)
{
	if (fd < 0) {
		fprintf(out, "%s: refused (%s)\n", key, strerror(errno));
		return true;
	}
	close(fd);
	fprintf(out, "%s: ALLOWED\n", key);
	return false;
}

static bool
report_read(FILE *out, const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	int saved = errno;

	if (fd >= 0)
		close(fd);
	if (n > 0)
		fprintf(out, "read %s: ok\n", path);
	else
		fprintf(out, "read %s: %s\n", path, n == 0 ? "empty" : strerror(saved));
	return n > 0;
}

/* How vigil-image hands file contents back: a memfd, written, then sealed. */
static bool
report_memfd(FILE *out)
{
	const unsigned seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	static const char text[] = "vigil-image probe";
	const char *what = NULL;
	char back[sizeof(text)];
	int fd, saved;

	fd = memfd_create("vigil-image-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		what = "memfd_create";
	else if (write(fd, text, sizeof(text)) != (ssize_t)sizeof(text))
		what = "write";
	else if (fcntl(fd, F_ADD_SEALS, seals))
		what = "F_ADD_SEALS";
	else if ((unsigned)fcntl(fd, F_GET_SEALS) != seals)
		what = "F_GET_SEALS";
	else if (pread(fd, back, sizeof(back), 0) != (ssize_t)sizeof(back) ||
		 memcmp(back, text, sizeof(text)))
		what = "read back";
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (what)
		fprintf(out, "memfd: %s: %s\n", what, strerror(saved));
	else
		fprintf(out, "memfd: ok\n");
	return !what;
}

bool
isb_report(const struct isb *sb, FILE *out)
{
	/* What a complete sandbox has: "userns" is only the means to it when not root, and
	 * Landlock a second fence behind the read-only mounts and the filter, which an older
	 * kernel may not have. */
	const unsigned full = ISB_NET | ISB_MOUNT | ISB_IPC | ISB_UTS | ISB_RO_ROOT | ISB_CAPS |
			      ISB_RLIMITS | ISB_SECCOMP;
	char steps[256], tmp[64];
	struct rlimit as;
	bool ok;
	int fd;
	size_t i;

	isb_steps(sb, steps, sizeof(steps));
	fprintf(out, "steps: %s\n", steps);
	fprintf(out, "uid: %u\n", (unsigned)getuid());
	ok = report_caps(sb, out);
	ok &= report_read(out, "/etc/passwd");

	snprintf(tmp, sizeof(tmp), "/tmp/.vigil-image-probe.%d", (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (!report_refused(out, "create in /tmp", fd)) {
		ok = false;
		/* under the filter unlink would end us (it let the create through, though) */
		if (!(sb->held & ISB_SECCOMP) && unlink(tmp))
			fprintf(out, "left behind: %s (%s)\n", tmp, strerror(errno));
	}
	fd = open("/etc/hostname", O_WRONLY | O_CLOEXEC);
	ok &= report_refused(out, "write /etc/hostname", fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok &= report_refused(out, "socket AF_INET", fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok &= report_refused(out, "socket AF_UNIX", fd);
	ok &= report_memfd(out);

	if (getrlimit(RLIMIT_AS, &as))
		fprintf(out, "rlimit_as_mb: unknown (%s)\n", strerror(errno));
	else if (as.rlim_cur == RLIM_INFINITY)
		fprintf(out, "rlimit_as_mb: unlimited\n");
	else
		fprintf(out, "rlimit_as_mb: %llu\n", (unsigned long long)(as.rlim_cur >> 20));

	for (i = 0; i < ISB_NSTEPS; i++) {
		const unsigned bit = 1u << i;
		const char *why = bit == ISB_LANDLOCK ? sb->landlock_error :
				  bit == ISB_SECCOMP ? sb->lock_error : sb->ns_error;

		/* root makes its namespaces without a user namespace */
		if ((sb->held & bit) || (bit == ISB_USERNS && getuid() == 0))
			continue;
		fprintf(out, "missing: %s (%s)\n", isb_step_names[i], why[0] ? why : "not taken");
	}
	return ok && (sb->held & full) == full;
}
