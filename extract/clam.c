/*
 * extract/clam.c — the libclamav engine and its callbacks (see clam.h).
 *
 * The layer chain relies on the file-inspection and post-scan callbacks coming in pairs.
 * In libclamav 1.4 they do as long as no pre-cache callback is set, the clean cache is off
 * and metadata collection is off (cli_magic_scan's only paths to its post-scan step that
 * skip the inspection callback need one of those). The cache must be off anyway: a
 * container scanned before would be "known clean" and not opened again, so a second copy
 * of the same file would yield no layers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clamav.h>

#include "extract/clam.h"
#include "extract/layer.h"
#include "extract/proto.h"

#define LIMIT_PREFIX "Heuristics.Limits.Exceeded."
#define ENCRYPTED_PREFIX "Heuristics.Encrypted."

struct clam {
	struct cl_engine *engine;
	struct cl_scan_options options;
	size_t inflate_max;	/* the largest layer: bounds an inflated PDF stream */
};

/* What one scan's callbacks gather (libclamav passes it back as their context). */
struct scan_ctx {
	struct layers layers;
	char limits[512];	/* "MaxFiles, MaxRecursion" */
	char encrypted[512];	/* "Zip, PDF" */
};

const char *
clam_version(void)
{
	return cl_retver();
}

/* Adds name to a ", "-separated list unless it is there already (or the list is full). */
static void
add_name(char *list, size_t cap, const char *name)
{
	size_t len = strlen(name), used = strlen(list);
	const char *p = list;

	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0'))
			return;
		p += len;
	}
	if (used + len + 3 > cap)
		return;
	snprintf(list + used, cap - used, "%s%s", used ? ", " : "", name);
}

static cl_error_t
on_file(int fd, const char *type, const char **ancestors, size_t parent_size, const char *name,
	size_t size, const char *buf, uint32_t level, uint32_t attributes, void *context)
{
	struct scan_ctx *s = context;

	/* fd is not used: it may be the parent's file, with this layer at some offset. */
	(void)fd;
	(void)ancestors;
	(void)parent_size;
	/* CL_BREAK marks the layer clean and skips it: deeper than vigil wants, its insides
	 * would be deeper still. */
	return layers_file(&s->layers, level, type, name, buf, size, attributes) ? CL_CLEAN
										  : CL_BREAK;
}

static cl_error_t
on_post(int fd, int result, const char *virname, void *context)
{
	struct scan_ctx *s = context;

	(void)fd;
	(void)result;
	(void)virname;
	layers_file_done(&s->layers);
	return CL_CLEAN;	/* keeps libclamav's own result */
}

/* With CL_SCAN_GENERAL_ALLMATCHES the heuristics arrive here at the end of the scan (the
 * engine has no signatures, so nothing else can). */
static void
on_virus(int fd, const char *virname, void *context)
{
	struct scan_ctx *s = context;

	(void)fd;
	if (!virname)
		return;
	if (!strncmp(virname, LIMIT_PREFIX, strlen(LIMIT_PREFIX)))
		add_name(s->limits, sizeof(s->limits), virname + strlen(LIMIT_PREFIX));
	else if (!strncmp(virname, ENCRYPTED_PREFIX, strlen(ENCRYPTED_PREFIX)))
		add_name(s->encrypted, sizeof(s->encrypted), virname + strlen(ENCRYPTED_PREFIX));
}

static int
on_vba(const unsigned char *const data, const size_t len, void *context)
{
	struct scan_ctx *s = context;

	layers_vba(&s->layers, data, len);
	return 0;
}

/* libclamav's own messages: errors only, to stderr, which vigil logs or discards. Warnings
 * about malformed input are the normal case here and would only be noise. */
static void
on_msg(enum cl_msg severity, const char *fullmsg, const char *msg, void *context)
{
	(void)msg;
	(void)context;
	if (severity == CL_MSG_ERROR)
		fprintf(stderr, "vigil-extract: libclamav: %s", fullmsg);
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

struct clam *
clam_create(const struct clam_limits *lim, const char *tmpdir, char *err, size_t errlen)
{
	/* Sub-limits follow ClamAV's own defaults, never above the per-file limit. */
	const struct {
		enum cl_engine_field field;
		uint64_t value;
	} nums[] = {
		{ CL_ENGINE_MAX_FILES, lim->max_files },
		{ CL_ENGINE_MAX_FILESIZE, lim->max_filesize },
		{ CL_ENGINE_MAX_SCANSIZE, lim->max_scansize },
		{ CL_ENGINE_MAX_RECURSION, lim->max_recursion },
		{ CL_ENGINE_MAX_SCANTIME, lim->max_scantime_ms },
		{ CL_ENGINE_MAX_EMBEDDEDPE, min_u64(40u << 20, lim->max_filesize) },
		{ CL_ENGINE_MAX_HTMLNORMALIZE, min_u64(40u << 20, lim->max_filesize) },
		{ CL_ENGINE_MAX_HTMLNOTAGS, min_u64(8u << 20, lim->max_filesize) },
		{ CL_ENGINE_MAX_SCRIPTNORMALIZE, min_u64(20u << 20, lim->max_filesize) },
		{ CL_ENGINE_MAX_ZIPTYPERCG, min_u64(1u << 20, lim->max_filesize) },
		{ CL_ENGINE_KEEPTMP, 0 },
		{ CL_ENGINE_DISABLE_CACHE, 1 },
		{ CL_ENGINE_DISABLE_PE_STATS, 1 },
	};
	struct clam *c;
	cl_error_t rc;
	size_t i;

	cl_set_clcb_msg(on_msg);
	rc = cl_init(CL_INIT_DEFAULT);
	if (rc != CL_SUCCESS) {
		snprintf(err, errlen, "cl_init: %s", cl_strerror(rc));
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->engine = cl_engine_new())) {
		snprintf(err, errlen, "cl_engine_new: out of memory");
		free(c);
		return NULL;
	}
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		rc = cl_engine_set_num(c->engine, nums[i].field, (long long)nums[i].value);
		if (rc != CL_SUCCESS) {
			snprintf(err, errlen, "cl_engine_set_num(%d): %s", (int)nums[i].field,
				 cl_strerror(rc));
			goto fail;
		}
	}
	rc = cl_engine_set_str(c->engine, CL_ENGINE_TMPDIR, tmpdir);
	if (rc != CL_SUCCESS) {
		snprintf(err, errlen, "cl_engine_set_str(TMPDIR): %s", cl_strerror(rc));
		goto fail;
	}
	cl_engine_set_clcb_file_inspection(c->engine, on_file);
	cl_engine_set_clcb_post_scan(c->engine, on_post);
	cl_engine_set_clcb_virus_found(c->engine, on_virus);
	cl_engine_set_clcb_vba(c->engine, on_vba);
	/* No signatures are loaded: libclamav is here only for its parsers. */
	rc = cl_engine_compile(c->engine);
	if (rc != CL_SUCCESS) {
		snprintf(err, errlen, "cl_engine_compile: %s", cl_strerror(rc));
		goto fail;
	}

	/* Every parser; the heuristics only so that limits and encryption are reported;
	 * all-match so that reporting one does not end the scan. */
	c->options.parse = ~0u;
	c->options.general = CL_SCAN_GENERAL_HEURISTICS | CL_SCAN_GENERAL_ALLMATCHES;
	c->options.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX | CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
			       CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
	c->inflate_max = (size_t)lim->max_filesize;
	return c;
fail:
	clam_destroy(c);
	return NULL;
}

/* Appends "; <prefix><value>" (no "; " when text is empty), cut at VX_TEXT_MAX. */
static void
add_reason(char *text, const char *prefix, const char *value)
{
	size_t used = strlen(text);

	if (used >= VX_TEXT_MAX)
		return;
	if (used)
		used += (size_t)snprintf(text + used, VX_TEXT_MAX + 1 - used, "; ");
	if (used < VX_TEXT_MAX)
		snprintf(text + used, VX_TEXT_MAX + 1 - used, "%s%s", prefix, value);
}

void
clam_scan(struct clam *c, int fd, uint64_t id, uint32_t level_cap, int sock, uint32_t *status,
	  char *text)
{
	struct scan_ctx s;
	const char *virname = NULL;
	unsigned long scanned = 0;
	char cap[32];
	cl_error_t rc;

	memset(&s, 0, sizeof(s));
	layers_begin(&s.layers, sock, id, level_cap);
	s.layers.inflate_max = c->inflate_max;
	text[0] = '\0';
	*status = VX_OK;

	if (lseek(fd, 0, SEEK_SET) != 0) {
		snprintf(text, VX_TEXT_MAX + 1, "cannot seek the object: %s", strerror(errno));
		*status = VX_ERROR;
		layers_end(&s.layers);
		return;
	}
	rc = cl_scandesc_callback(fd, NULL, &virname, &scanned, c->engine, &c->options, &s);
	layers_end(&s.layers);

	switch (rc) {
	case CL_CLEAN:
	case CL_VIRUS:		/* only our heuristics can match: handled below */
		break;
	case CL_ETIMEOUT:
	case CL_EMAXREC:
	case CL_EMAXSIZE:
	case CL_EMAXFILES:
		add_name(s.limits, sizeof(s.limits), cl_strerror(rc));
		break;
	default:
		add_reason(text, "", cl_strerror(rc));
		*status = VX_ERROR;
	}
	if (s.layers.copy_error[0]) {
		add_reason(text, "", s.layers.copy_error);
		*status = VX_ERROR;
	}
	if (s.encrypted[0]) {
		add_reason(text, "encrypted: ", s.encrypted);
		if (*status == VX_OK)
			*status = VX_ENCRYPTED;
	}
	if (s.limits[0]) {
		add_reason(text, "ClamAV limit: ", s.limits);
		if (*status == VX_OK)
			*status = VX_LIMIT;
	}
	if (s.layers.capped) {
		snprintf(cap, sizeof(cap), "%u level%s", level_cap, level_cap == 1 ? "" : "s");
		add_reason(text, "nested deeper than ", cap);
		if (*status == VX_OK)
			*status = VX_LIMIT;
	}
}

void
clam_destroy(struct clam *c)
{
	if (!c)
		return;
	if (c->engine)
		cl_engine_free(c->engine);
	free(c);
}
