/*
 * core/err.h — vigil's error codes and the detailed-error carrier.
 *
 * Every fallible function returns enum vg_err (VG_OK on success) and, when the caller
 * passes a struct vg_error, writes the specific reason there once, where it happened:
 *
 *	struct vg_error err;
 *	vg_error_init(&err);
 *	if (store_open(dir, &st, &err) != VG_OK)
 *		fprintf(stderr, "vigil: %s\n", vg_error_msg(&err));
 *
 * Library codes (YARA, SQLite, libarchive, OpenSSL) are translated to these in exactly one
 * place each. Thread-safe: nothing here has global state.
 */
#ifndef VIGIL_CORE_ERR_H
#define VIGIL_CORE_ERR_H

#include <stdarg.h>

enum vg_err {
#define ERR(name, msg) VG_##name,
#include "core/err.def"
#undef ERR
	VG__LAST /* never use */
};

/* The reason for an error: its code and a message naming the thing and the cause. */
struct vg_error {
	enum vg_err code;
	char msg[1024];
};

/* The fixed message of a code; never NULL, also for codes out of range. */
const char *vg_strerror(enum vg_err code);

/* Clear err (NULL is allowed and ignored). */
void vg_error_init(struct vg_error *err);

/*
 * Record code and a printf-style reason in err (err may be NULL) unless a reason is
 * already recorded; returns code so that "return vg_error_set(err, VG_IO, ...)" fails in
 * one line.
 */
enum vg_err vg_error_set(struct vg_error *err, enum vg_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The recorded reason, or the code's fixed message when there is none. */
const char *vg_error_msg(const struct vg_error *err);

#endif
