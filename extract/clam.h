/*
 * extract/clam.h — libclamav as an unpacker: an engine with no signatures whose callbacks
 * hand every layer it finds to layer.c, and the verdict that becomes VX_DONE.
 *
 * Calling sequence: clam_create (before the seccomp filter: cl_init opens files), then
 * clam_scan for each VX_SCAN, clam_destroy at exit. One scan at a time (the callbacks
 * share the engine); not thread-safe.
 */
#ifndef VIGIL_EXTRACT_CLAM_H
#define VIGIL_EXTRACT_CLAM_H

#include <stddef.h>
#include <stdint.h>

struct clam_limits {
	uint64_t max_files;		/* CL_ENGINE_MAX_FILES */
	uint64_t max_filesize;		/* CL_ENGINE_MAX_FILESIZE, bytes */
	uint64_t max_scansize;		/* CL_ENGINE_MAX_SCANSIZE, bytes */
	uint64_t max_recursion;		/* CL_ENGINE_MAX_RECURSION */
	uint64_t max_scantime_ms;	/* CL_ENGINE_MAX_SCANTIME */
};

struct clam;

/* libclamav's version, e.g. "1.4.6" (usable before clam_create). */
const char *clam_version(void);

/*
 * cl_init, an engine compiled with zero signatures, the limits, tmpdir as its temporary
 * folder (files removed after each scan) and the callbacks. Returns the handle, or NULL
 * with the reason in err.
 */
struct clam *clam_create(const struct clam_limits *lim, const char *tmpdir, char *err,
			 size_t errlen);

/*
 * Scans the object behind fd (a memfd from vigil; read from offset 0), sending a VX_LAYER
 * on sock for each layer below the object down to level_cap. On return *status is an enum
 * vx_status and text (VX_TEXT_MAX + 1 bytes) its reason, "" when VX_OK.
 */
void clam_scan(struct clam *c, int fd, uint64_t id, uint32_t level_cap, int sock,
	       uint32_t *status, char *text);

void clam_destroy(struct clam *c);

#endif
