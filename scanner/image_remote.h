/*
 * scanner/image_remote.h — a disk image read by vigil-image, the sandboxed reader (imaged/),
 * seen from vigil: struct scanner_image's functions (scanner/image.c) call these when the
 * image is open there, and the image walk of a scan (scanner/image_sink.c) becomes a loop
 * that takes what the reader sends (scanner/image_wire.h) and hands it to the same sink as
 * the walk inside vigil would.
 *
 * If the reader dies or sends what it should not, it is killed: the scan goes on with what
 * was handed over, the volumes not finished are "error" with the reason (for example "the
 * image reader was killed by SIGSYS: a system call outside its sandbox"), and a problem of
 * the image says the same.
 */
#ifndef VIGIL_SCANNER_IMAGE_REMOTE_H
#define VIGIL_SCANNER_IMAGE_REMOTE_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "scanner/scanner.h"

struct image_remote;
struct image_sink;

/* Start exe and open file there (the arguments of scanner_image_open). *format: the image's
 * format (owned by r). */
enum vg_err image_remote_open(const char *exe, const char *file, const char *parent,
			      int partition, int64_t offset, int deleted,
			      struct image_creds *creds, struct image_remote **out,
			      const char **format, struct vg_error *err);
enum vg_err image_remote_quick(struct image_remote *r, char *const *patterns, size_t n,
			       struct vg_error *err);
/* scanner_image_list's document, or NULL (with err) when the reader failed. */
json_t *image_remote_list(struct image_remote *r, struct vg_error *err);
/* The walk: what the reader sends goes to s (the in-process sink of the scan). */
void image_remote_walk(struct image_remote *r, const struct image_sink *s, const char *file);
json_t *image_remote_volumes(const struct image_remote *r);	/* new reference */
int image_remote_readable(const struct image_remote *r);
/* What the reader said of its sandbox ("net,mount,..."). */
const char *image_remote_sandbox(const struct image_remote *r);
void image_remote_close(struct image_remote *r);

#endif
