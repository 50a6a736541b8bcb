/* core/err.c — the message table behind vg_strerror() and the vg_error carrier. */
#include "core/err.h"

#include <stdio.h>
#include <string.h>

static const char *const messages[] = {
#define ERR(name, msg) [VG_##name] = msg,
#include "core/err.def"
#undef ERR
};

const char *
vg_strerror(enum vg_err code)
{
	if ((unsigned)code >= VG__LAST)
		return "unknown error";
	return messages[code];
}

void
vg_error_init(struct vg_error *err)
{
	if (err == NULL)
		return;
	err->code = VG_OK;
	err->msg[0] = '\0';
}

enum vg_err
vg_error_set(struct vg_error *err, enum vg_err code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->msg[0] != '\0')
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *
vg_error_msg(const struct vg_error *err)
{
	if (err->msg[0] != '\0')
		return err->msg;
	return vg_strerror(err->code);
}
