/* tests/unit/util.c — helpers shared by the unit tests; see util.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/util.h"

#define EICAR_A "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR"
#define EICAR_B "-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

char *
vt_mkdtemp(char *buf, size_t size, const char *prefix)
{
	int n = snprintf(buf, size, "/tmp/%s-XXXXXX", prefix);

	if (n < 0 || (size_t)n >= size)
		return NULL;
	return mkdtemp(buf);
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p) != 0 && errno != ENOENT;
}

void
vt_rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
vt_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ok = write(fd, data, len) == (ssize_t)len;
	return close(fd) == 0 && ok ? 0 : -1;
}

size_t
vt_eicar(char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s", EICAR_A, EICAR_B);

	if (n < 0 || (size_t)n >= size)
		fail_msg("vt_eicar: a buffer of %zu bytes is too small", size);
	return (size_t)n;
}

int
vt_write_eicar(const char *dir, const char *name)
{
	char buf[128];
	size_t n = vt_eicar(buf, sizeof(buf));

	return vt_write_file(dir, name, buf, n);
}

const char *
vt_jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("key '%s' is not a string", key);
	return json_string_value(v);
}

json_int_t
vt_jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("key '%s' is not an integer", key);
	return json_integer_value(v);
}
