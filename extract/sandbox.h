/*
 * extract/sandbox.h — what fences vigil-extract in before it parses anything hostile.
 *
 * Calling sequence (main.c):
 *   sandbox_enter   namespaces (network, mount, IPC, UTS; a user namespace when not root),
 *                   a read-only view of every mount, a private tmpfs for libclamav's files
 *                   (or the --tmp-fallback folder when no namespace can be made), root's
 *                   uid or the namespace's capabilities dropped, resource limits.
 *   ... cl_init and the engine, which still open files freely ...
 *   sandbox_lock    Landlock (writes only in the temporary folder: the one fence for the
 *                   host's files when there is no read-only mount namespace), then the
 *                   seccomp filter: from here on only the system calls a scan needs.
 *   sandbox_steps   the comma list of what took hold, for VX_HELLO.
 *   sandbox_report  --probe: tries what the filter should stop, prints "key: value" lines.
 *   sandbox_leave   at exit: empties and removes the temporary folder.
 *
 * Every step that takes hold sets a bit in sandbox.held. One process, one sandbox; none of
 * this is thread-safe, and none of it can be undone.
 */
#ifndef VIGIL_EXTRACT_SANDBOX_H
#define VIGIL_EXTRACT_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "extract/tmpdir.h"

/* The steps, in the order they are taken (and named in VX_HELLO). */
enum sandbox_step {
	SB_USERNS = 1u << 0,	/* "userns": a user namespace (we were not root) */
	SB_NET = 1u << 1,	/* "net": an empty network namespace */
	SB_MOUNT = 1u << 2,	/* "mount": a private mount namespace */
	SB_IPC = 1u << 3,	/* "ipc": private System V IPC and POSIX queues */
	SB_UTS = 1u << 4,	/* "uts": private host name */
	SB_RO_ROOT = 1u << 5,	/* "ro-root": every inherited mount read-only */
	SB_TMPFS = 1u << 6,	/* "tmpfs": libclamav writes only to a private tmpfs */
	SB_TMPDIR = 1u << 7,	/* "tmpdir": ... or to the per-process fallback folder */
	SB_NOBODY = 1u << 8,	/* "nobody": root dropped to uid/gid 65534, no capabilities */
	SB_NOCAPS = 1u << 9,	/* "nocaps": the user namespace's capabilities dropped */
	SB_RLIMITS = 1u << 10,	/* "rlimits": memory, CPU, file size, descriptors, no core */
	SB_LANDLOCK = 1u << 11,	/* "landlock": files may be written only in the temporary folder */
	SB_SECCOMP = 1u << 12,	/* "seccomp": the system-call allow-list is loaded */
};

struct sandbox_opts {
	const char *tmp_fallback;	/* --tmp-fallback DIR, or NULL */
	bool no_userns;			/* --no-userns: no namespaces, straight to the fallback */
	uint64_t tmpfs_bytes;		/* size of the private tmpfs */
	uint64_t fsize_bytes;		/* RLIMIT_FSIZE */
	uint64_t memory_mb;		/* RLIMIT_AS */
	uint64_t cpu_s;			/* RLIMIT_CPU (SIGXCPU ends the process) */
	bool allow_sleep;		/* --test-stall-ms: the filter lets the process sleep */
};

struct sandbox {
	unsigned held;			/* enum sandbox_step bits that took hold */
	unsigned uid;			/* our uid once entered (the filter forbids asking) */
	bool allow_sleep;		/* from sandbox_opts, for sandbox_lock */
	struct tmpdir tmp;		/* libclamav's folder */
	char ns_error[160];		/* why no namespace, if none ("" otherwise) */
	char lock_error[160];		/* why no seccomp filter, if none */
};

/*
 * Takes every step up to the resource limits. Returns 0, or -1 with the reason in err when
 * no safe temporary folder could be had (the caller exits 5). A namespace that cannot be
 * made is not an error: the fallback folder is used and the step is missing from held.
 */
int sandbox_enter(struct sandbox *sb, const struct sandbox_opts *o, char *err, size_t errlen);

/* Restricts writes with Landlock where the kernel has it (not an error if not), then loads
 * the seccomp filter (sockets and exec are refused). Returns 0, or -1 with the reason in
 * sb->lock_error if the filter could not be loaded. */
int sandbox_lock(struct sandbox *sb);

/* Writes the comma list of held steps ("net,mount,...") into buf. */
void sandbox_steps(const struct sandbox *sb, char *buf, size_t len);

/* --probe, after sandbox_lock: tries to open sockets and prints what it found, one
 * "key: value" line each. Returns true if every step a full sandbox has took hold. */
bool sandbox_report(const struct sandbox *sb, FILE *out);

/* Empties the temporary folder and removes our own fallback folder; safe twice. */
void sandbox_leave(struct sandbox *sb);

#endif
