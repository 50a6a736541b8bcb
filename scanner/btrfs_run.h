/*
 * scanner/btrfs_run.h — btrfs-progs' `btrfs restore` (and `btrfs check`, for the data
 * checksums restore does not verify), run by vigil to read btrfs volumes of an image without
 * the host kernel: vigil's shim (imaged/btrfs_shim.c, build/vigil-btrfs.so)
 * is loaded into it, sandboxes it before its main() and serves it the volume from the image
 * walk over a socket (scanner/image_btrfs.c); nothing is mounted, no loop device is made.
 *
 *	btrfs_run_start(BTRFS_RESTORE, &pid, &sock, why, sizeof(why));   the walk serves sock
 *	char *how = btrfs_run_end(pid);                   NULL: it exited with 0
 */
#ifndef VIGIL_SCANNER_BTRFS_RUN_H
#define VIGIL_SCANNER_BTRFS_RUN_H

#include <stddef.h>
#include <sys/types.h>

enum { BTRFS_RESTORE, BTRFS_CHECK };

/* Start `btrfs restore -i -s -m` (BTRFS_RESTORE) or `btrfs check --readonly
 * --check-data-csum` (BTRFS_CHECK): 0 with *pid and *sock (close-on-exec), or -1 with why
 * ("btrfs is not installed (btrfs-progs)"...). */
int btrfs_run_start(int what, pid_t *pid, int *sock, char *why, size_t n);

/* Wait for it to end (killed when it has not within a few seconds: the walk has closed its
 * socket by then). NULL when it exited with 0, else how it ended (malloc'd), to follow its
 * name: "reported errors (exit status 1; ...)", "was killed by signal 11 (...)". */
char *btrfs_run_end(pid_t pid);

/* For `vigil health`: {"available": true, "program": "/usr/bin/btrfs", "shim": "..."} or
 * {"available": false, "reason": "btrfs is not installed (btrfs-progs)"} (new reference). */
struct json_t;
struct json_t *btrfs_run_health(void);

#endif
