/*
 * imaged/sandbox.h — what fences vigil-image in before it parses a hostile disk image.
 * SPDX-License-Identifier: BSD-3-Clause
 *
 * vigil-image reads disk images (libtsk, the libyal libraries, libcryptsetup) and hands file
 * contents back over its socket. It must go on reading any file the invoking user can read,
 * by path (split-raw and E01 segments, the parents of differencing disks, /dev/urandom,
 * /proc/self/...), but it never writes, creates, removes or runs anything by path, and never
 * opens a socket: it writes only to descriptors it holds (the socket, memfds it makes, the
 * spool files vigil passes it).
 *
 * Calling sequence (imaged/main.c):
 *   isb_enter    namespaces (network, mount, IPC, UTS; a user namespace first when not
 *                root), every mount remounted read-only, capabilities down to
 *                CAP_DAC_READ_SEARCH (root: it still reads every file) or none (a user
 *                namespace), no_new_privs, not dumpable, resource limits.
 *   ... the image libraries may be initialised here ...
 *   isb_lock     Landlock (nothing may be written, made, removed or run by path), then
 *                the seccomp allow-list. A system call off the list prints its number on
 *                stderr and ends the process with SIGSYS.
 *   isb_steps    the comma list of what took hold, for the helper's greeting.
 *   isb_report   --probe: tries what must be refused and what must work.
 *
 * A step that cannot be taken (no user namespaces for an unprivileged user, an old kernel
 * without Landlock) is left out of held, with its reason in ns_error, landlock_error or
 * lock_error; what can be had is still taken. One process, one sandbox: none of this is
 * thread-safe, call it before the libraries start threads (a user namespace cannot be
 * entered by a threaded process), and none of it can be undone.
 */
#ifndef VIGIL_IMAGED_SANDBOX_H
#define VIGIL_IMAGED_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The steps, in the order they are taken and named by isb_steps. */
enum isb_step {
	ISB_USERNS = 1u << 0,	/* "userns": a user namespace (we were not root) */
	ISB_NET = 1u << 1,	/* "net": an empty network namespace */
	ISB_MOUNT = 1u << 2,	/* "mount": a private mount namespace */
	ISB_IPC = 1u << 3,	/* "ipc": private System V IPC and POSIX queues */
	ISB_UTS = 1u << 4,	/* "uts": private host name */
	ISB_RO_ROOT = 1u << 5,	/* "ro-root": every inherited mount read-only */
	ISB_CAPS = 1u << 6,	/* "caps": only CAP_DAC_READ_SEARCH left (root) or none (userns) */
	ISB_RLIMITS = 1u << 7,	/* "rlimits": address space, descriptors, no core */
	ISB_LANDLOCK = 1u << 8,	/* "landlock": nothing written, made, removed or run by path */
	ISB_SECCOMP = 1u << 9,	/* "seccomp": the system-call allow-list is loaded */
};

struct isb_opts {
	uint64_t memory_mb;	/* RLIMIT_AS in MiB, 0: unchanged (the sanitizer build) */
};

struct isb {
	unsigned held;			/* enum isb_step bits that took hold */
	char ns_error[160];		/* why a namespace, mount, capability or limit step is
					 * missing ("" when none is) */
	char landlock_error[160];	/* why no Landlock */
	char lock_error[160];		/* why no seccomp filter */
};

/*
 * Namespaces, read-only mounts, capabilities, no_new_privs, not dumpable, rlimits; fills
 * *sb. Returns 0, also when some step could not be taken (see sb->held and sb->ns_error);
 * -1 with the reason in err when the process is left in a state it must not parse images
 * in: a user namespace without its id maps, root that kept other capabilities, no
 * no_new_privs. The caller then exits 5.
 */
int isb_enter(struct isb *sb, const struct isb_opts *o, char *err, size_t errlen);

/*
 * Landlock where the kernel has it (not an error if not: the reason is in
 * sb->landlock_error), then the seccomp filter, for every thread. Returns 0, or -1 with the
 * reason in sb->lock_error if the filter could not be loaded (the caller must not go on).
 * Call after isb_enter, once nothing needs to write by path or start a process.
 */
int isb_lock(struct isb *sb);

/* Writes the comma list of held steps, in enum order ("net,mount,ipc,uts,ro-root,caps,
 * rlimits,landlock,seccomp"), or "none", into buf. */
void isb_steps(const struct isb *sb, char *buf, size_t len);

/*
 * --probe, after isb_lock: tries what must be refused (creating and writing files by path,
 * sockets) and what must work (reading by path, a sealed memfd) and prints one "key: value"
 * line each to out, then a "missing: STEP (REASON)" line for each step not held. Returns
 * true when every step a full sandbox has took hold (as root: all but "userns"; Landlock is
 * reported but optional) and every check passed.
 */
bool isb_report(const struct isb *sb, FILE *out);

#endif
