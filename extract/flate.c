/*
 * extract/flate.c — inflating a zlib stream libclamav left compressed (see flate.h).
 */
#include "extract/flate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The two bytes of an RFC 1950 header: deflate, a window up to 32 KiB, a valid check. */
static int
zlib_header(const unsigned char *p, size_t len)
{
	return len >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 &&
	       ((unsigned)p[0] << 8 | p[1]) % 31 == 0;
}

/* Where the data of a "... /FlateDecode ... stream<EOL>" object starts, or NULL. The
 * dictionary is short: only the first 4 KiB are searched. */
static const unsigned char *
stream_data(const unsigned char *p, size_t len)
{
	size_t n = len < 4096 ? len : 4096;
	const unsigned char *s = memmem(p, n, "stream", 6);

	if (s == NULL || memmem(p, (size_t)(s - p), "/FlateDecode", 12) == NULL)
		return NULL;
	s += 6;
	if (s < p + len && *s == '\r')
		s++;
	if (s < p + len && *s == '\n')
		s++;
	return s;
}

unsigned char *
flate_inflate(const void *in, size_t len, size_t max, size_t *out_len)
{
	const unsigned char *buf = in, *data;
	z_stream z = { 0 };
	unsigned char *out = NULL, *grown;
	size_t cap = 0;
	int rc = Z_OK;

	if (!zlib_header(buf, len)) {
		if ((data = stream_data(buf, len)) == NULL)
			return NULL;
		len -= (size_t)(data - buf);
		buf = data;
	}
	if (!zlib_header(buf, len) || max == 0 || len > UINT32_MAX)
		return NULL;
	if (inflateInit(&z) != Z_OK)
		return NULL;
	z.next_in = (unsigned char *)buf;
	z.avail_in = (uInt)len;
	while (rc == Z_OK) {
		if (z.total_out == cap) {
			size_t ncap = cap ? cap * 2 : 64 * 1024;

			if (cap >= max)
				break;			/* cut at the limit */
			if (ncap > max)
				ncap = max;
			if ((grown = realloc(out, ncap)) == NULL)
				break;
			out = grown;
			cap = ncap;
		}
		z.next_out = out + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		rc = inflate(&z, Z_NO_FLUSH);
	}
	*out_len = z.total_out;
	inflateEnd(&z);
	/* only what inflated cleanly (to its end, or to the limit) is a layer */
	if ((rc != Z_STREAM_END && !(rc == Z_OK && cap >= max)) || *out_len == 0) {
		free(out);
		return NULL;
	}
	return out;
}
