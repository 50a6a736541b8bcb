/* core/err.c — the message table behind vg_strerror() and the vg_error carrier. */
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
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
	char *full;
	int n;

	if (err == NULL || err->msg[0] != '\0')
		return code;
	err->code = code;
	va_start(ap, fmt);
	full = NULL;
	n = vasprintf(&full, fmt, ap);
	va_end(ap);
	if (n < 0 || full == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%s", vg_strerror(code));
	} else if ((size_t)n < sizeof(err->msg)) {
		memcpy(err->msg, full, (size_t)n + 1);
	} else {
		/* too long (a path of thousands of bytes): keep its start and its end, where the
		 * reason is, and say what was cut */
		size_t keep = (sizeof(err->msg) - 16) / 2;

		snprintf(err->msg, sizeof(err->msg), "%.*s ...[cut]... %s", (int)keep, full,
			 full + n - keep);
	}
	free(full);
	return code;
}

const char *
vg_error_msg(const struct vg_error *err)
{
	if (err->msg[0] != '\0')
		return err->msg;
	return vg_strerror(err->code);
}
