/*
 * core/host.h — facts about the machine vigil runs on, for the chain of custody of a scan:
 * its host name and its kernel (uname: system, release, version, machine).
 */
#ifndef VIGIL_CORE_HOST_H
#define VIGIL_CORE_HOST_H

struct vg_host {
	char hostname[256];
	char kernel[600];
};

/* Fill h; a fact that cannot be read is "unknown". */
void vg_host_read(struct vg_host *h);

#endif
