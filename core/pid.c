/* core/pid.c — is a recorded process id a live vigil (core/pid.h). */
#include "core/pid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
vg_pid_is_vigil(long long pid)
{
	char link[64], exe[4096], self[4096];
	ssize_t n, m;

	if (pid <= 0 || pid == (long long)getpid())
		return 0;
	snprintf(link, sizeof(link), "/proc/%lld/exe", pid);
	n = readlink(link, exe, sizeof(exe));
	m = readlink("/proc/self/exe", self, sizeof(self));
	/* a link as long as the buffer may have been cut: no answer from a partial name */
	if (n <= 0 || m <= 0 || n == (ssize_t)sizeof(exe) || m == (ssize_t)sizeof(self))
		return 0;
	return n == m && memcmp(exe, self, (size_t)n) == 0;
}

int
vg_pid_text_is_vigil(const char *pid)
{
	char *end;
	long long v;

	if (pid == NULL || *pid < '0' || *pid > '9')
		return 0;
	errno = 0;
	v = strtoll(pid, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	return vg_pid_is_vigil(v);
}
