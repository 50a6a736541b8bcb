/*
 * scanner/engine_int.h — private to the engine's files: one struct engine per worker thread.
 *
 *   engine.c       create/destroy; one object: type, YARA, hash lists, detections
 *   engine_read.c  one file: open, read or map (SIGBUS), inventory rows, scan cache results
 *   engine_vars.c  the YARA external variables (filename, filepath, extension, filetype, ...)
 *   filetype.c     filetype: LOKI's names from magic headers
 *   maptrim.c      the pages of big mapped files are dropped while they are scanned
 */
#ifndef VIGIL_SCANNER_ENGINE_INT_H
#define VIGIL_SCANNER_ENGINE_INT_H

#include <magic.h>
#include <openssl/evp.h>

#include "scanner/scanner_int.h"

/* Files up to this size are read into the worker's buffer; larger ones are mapped. */
#define READ_MAX (16u << 20)
/* libmagic looks at most at this many bytes. */
#define MAGIC_BYTES (256u << 10)
/* Text or binary is decided on this many leading bytes. */
#define TEXT_PROBE 4096u
/* Bytes from a mapping go through this buffer, one piece at a time. */
#define BOUNCE (1u << 20)

/* maptrim.c: register a mapping of a big file (its pages are dropped every few ms) and
 * unregister it before it is unmapped. */
void maptrim_add(void *p, size_t n);
void maptrim_remove(void *p);

struct match {
	char *name, *ns, *meta;
};

/* Files and bytes by MIME type, for the report's chart; the rest counts as "other". */
#define TYPES_MAX 48

struct type_count {
	char mime[128];
	int64_t files, bytes;
};

struct owner_cache {
	uid_t uid;
	char name[64];
	int valid;
};

struct engine {
	struct scan_ctx *c;
	YR_SCANNER *yr;		/* NULL after a failed re-creation: made again before use */
	magic_t magic;		/* the full type, or only "is this text?" (engine.c's flags) */
	unsigned char *buf;
	size_t cap;
	struct match *m;
	size_t nm, capm;
	struct owner_cache owners[8];
	unsigned owner_next;
	struct type_count types[TYPES_MAX];
	int ntypes;
	/* engine_scan_fd: what was found; its detections are held until engine_record */
	struct scanner_verdict *verdict;
	struct result **held;
	size_t nheld, capheld;
	int64_t detections;	/* every detection so far (to tell a clean file) */
	/* a mapped file is only ever read by vigil's own copies into these (see digest()):
	 * a SIGBUS then never jumps out of libmagic or OpenSSL, which would leak */
	EVP_MD_CTX *md;
	unsigned char *bounce;
	/* the file on disk being scanned, recorded with its detections so that quarantine acts
	 * on this object and no other (have_ident 0: a disk image's object) */
	int have_ident;
	struct vg_ident ident;
	size_t root_len;
};

/* engine.c */

/* Replace the engine's YARA scanner by a new one (after a SIGBUS left it mid-scan). 0, or
 * -1 when none could be made: e->yr is then NULL and engine_scan_object tries again. */
int engine_yr_renew(struct engine *e);
void engine_clear_matches(struct engine *e);
void engine_push_result(struct scan_ctx *c, struct result *r);

/* engine_read.c: SIGBUS from a mapped file jumps back to the reader. */
void engine_install_sigbus(void);

/* engine_vars.c: define the external variables for obj (mime: its type, data: its bytes). */
void engine_define_vars(struct engine *e, const struct object *obj, const char *mime,
			const unsigned char *data, size_t len);

/* filetype.c: LOKI's and THOR's name for the type of data ("UNKNOWN" when none fits). */
const char *filetype_name(const unsigned char *data, size_t len, const char *mime);

#endif
