/*
 * tests/fuzz/fuzz_common.h — what every libFuzzer target of vigil shares: one temporary
 * folder per process (made on first use, removed at exit), writing a file into it, and a
 * hard failure that libFuzzer reports with the input that caused it.
 *
 * The folder is made under $TMPDIR (tests/fuzz/run.sh points it at a folder it removes
 * itself, so even a crashed target leaves nothing behind), else /dev/shm, else /tmp.
 */
#ifndef VIGIL_TESTS_FUZZ_COMMON_H
#define VIGIL_TESTS_FUZZ_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fuzz_tmp_path[4096];
static void fuzz_tmp_cleanup(void);

/* An invariant does not hold: say which, and abort so libFuzzer saves the input. */
static void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("\n*** vigil fuzz invariant violated: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" ***\n", stderr);
	fuzz_tmp_cleanup();	/* abort() skips atexit */
	abort();
}

static int
fuzz_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void
fuzz_tmp_cleanup(void)
{
	if (fuzz_tmp_path[0])
		nftw(fuzz_tmp_path, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	fuzz_tmp_path[0] = '\0';
}

/* The process's temporary folder (made once; removed at exit). */
static const char *
fuzz_tmpdir(void)
{
	const char *bases[3];
	int i, nb = 0;

	if (fuzz_tmp_path[0])
		return fuzz_tmp_path;
	if (getenv("TMPDIR") && *getenv("TMPDIR"))
		bases[nb++] = getenv("TMPDIR");
	bases[nb++] = "/dev/shm";
	bases[nb++] = "/tmp";
	for (i = 0; i < nb; i++) {
		snprintf(fuzz_tmp_path, sizeof(fuzz_tmp_path), "%s/vigil-fuzz-XXXXXX", bases[i]);
		if (mkdtemp(fuzz_tmp_path) != NULL) {
			atexit(fuzz_tmp_cleanup);
			return fuzz_tmp_path;
		}
	}
	fuzz_tmp_path[0] = '\0';
	fprintf(stderr, "fuzz: cannot make a temporary folder: %s\n", strerror(errno));
	abort();
}

/* tmpdir/name into out. */
static void
fuzz_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", fuzz_tmpdir(), name);
}

/* Write len bytes to path (replacing it); aborts when the disk refuses. */
static void
fuzz_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;

	if (fd < 0) {
		fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
	while (done < len) {
		ssize_t w = write(fd, (const char *)data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
			abort();
		}
		done += (size_t)w;
	}
	close(fd);
}

/* The whole file (malloc'd, NUL-terminated; *len without the NUL), or NULL. */
static char *
fuzz_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		size_t r;

		if (n + 65536 + 1 > cap) {
			char *nb = realloc(buf, cap = (n + 65536 + 1) * 2);

			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Is s[0..n) valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF)? */
static int
fuzz_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t k, need;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07;
		else
			return 0;
		if (i + need >= n)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += need + 1;
	}
	return 1;
}

#endif
