/*
 * extract/layer.h — turning libclamav's callbacks for one object into VX_LAYER messages.
 *
 * libclamav reports layers depth-first; this keeps the chain (which layer each one was
 * found in), gives every layer a stable label, copies its bytes into a sealed memfd and
 * sends it. The caller (clam.c) feeds it:
 *   layers_begin            once per VX_SCAN
 *   layers_file             from the file-inspection callback, for every layer (level 0,
 *                           the object itself, included: it is the chain's root)
 *   layers_file_done        from the post-scan callback, when that layer is finished
 *   layers_vba              from the VBA callback: one macro module of the current layer
 *   layers_end              after the scan: the level-cap and copy-failure verdicts
 *
 * Labels: the layer's own name when libclamav knows one, else "[TYPE]" for the first
 * nameless layer of that type in its parent, "[TYPE]#2" for the second, and so on; macro
 * modules are "vba:NAME" (from their Attribute VB_Name line) or "vba:#n". Names are
 * hostile bytes: kept as they are (vigil escapes them), cut at 4096 bytes.
 */
#ifndef VIGIL_EXTRACT_LAYER_H
#define VIGIL_EXTRACT_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct layer_frame {
	uint32_t level;		/* libclamav's recursion level */
	int32_t index;		/* its VX_LAYER index, -1 for the object, -2 if not sent */
	bool mail;		/* a mail message: its parts' placeholder names are no names */
	bool pdf;		/* a PDF: a stream it hands over compressed is inflated */
};

struct layer_count;		/* (parent, type) -> how many nameless layers so far */

struct layers {
	int sock;
	uint64_t id;		/* the VX_SCAN's id */
	uint32_t level_cap;	/* VX_SCAN.level: deeper layers are not sent */
	size_t inflate_max;	/* largest inflated PDF stream (0: none inflated) */

	struct layer_frame *stack;	/* the layers being scanned, innermost last */
	size_t depth, stack_cap;
	int32_t sent;			/* VX_LAYER messages so far (the next index) */

	struct layer_count *counts;	/* open-addressing table */
	size_t ncounts, counts_cap;
	uint32_t vba_seq;		/* macro modules so far */

	bool capped;			/* a layer was deeper than level_cap */
	char copy_error[128];		/* first layer whose bytes could not be copied */
};

void layers_begin(struct layers *l, int sock, uint64_t id, uint32_t level_cap);

/*
 * One layer, as libclamav's file-inspection callback sees it (buf/size are its bytes,
 * attributes its LAYER_ATTRIBUTES_*). Sends it unless it is the object itself or deeper
 * than the cap. Returns false when libclamav should not look inside it (too deep).
 */
bool layers_file(struct layers *l, uint32_t level, const char *type, const char *name,
		 const void *buf, size_t size, uint32_t attributes);

/* The innermost layer is finished (post-scan callback). */
void layers_file_done(struct layers *l);

/* One VBA module's source, found in the innermost layer. */
void layers_vba(struct layers *l, const unsigned char *data, size_t len);

/* Frees the bookkeeping; the verdict fields (capped, copy_error) stay readable. */
void layers_end(struct layers *l);

#endif
