/* core/host.c — the host name and kernel of this machine. */
#include "core/host.h"

#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

void
vg_host_read(struct vg_host *h)
{
	struct utsname u;

	if (gethostname(h->hostname, sizeof(h->hostname) - 1) != 0)
		snprintf(h->hostname, sizeof(h->hostname), "unknown");
	h->hostname[sizeof(h->hostname) - 1] = '\0';
	if (uname(&u) == 0)
		snprintf(h->kernel, sizeof(h->kernel), "%s %s %s %s", u.sysname, u.release,
			 u.version, u.machine);
	else
		snprintf(h->kernel, sizeof(h->kernel), "unknown");
}
