/* core/jsonx.c — escaping of hostile bytes for JSON and terminals. */
#include "core/jsonx.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

json_t *
vg_json_bytes(const char *bytes, size_t len)
{
	const unsigned char *s = (const unsigned char *)bytes;
	json_t *j;
	char *buf;
	size_t i = 0, o = 0;

	if (bytes == NULL)
		return json_null();
	j = json_stringn(bytes, len);
	if (j != NULL)
		return j;
	buf = malloc(len * 4 + 1);
	if (buf == NULL)
		return NULL;
	while (i < len) {
		size_t n = s[i] ? utf8_seq(s + i, len - i) : 0;

		if (n == 0) {
			o += (size_t)sprintf(buf + o, "\\x%02x", s[i]);
			i++;
		} else {
			memcpy(buf + o, s + i, n);
			o += n;
			i += n;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	return j;
}

void
vg_json_set_bytes(json_t *obj, const char *key, const char *bytes, size_t len)
{
	json_t *plain = bytes ? json_stringn(bytes, len) : NULL;
	char k[128], *b64;

	if (plain != NULL || bytes == NULL) {
		json_object_set_new(obj, key, plain ? plain : json_null());
		return;
	}
	json_object_set_new(obj, key, vg_json_bytes(bytes, len));
	snprintf(k, sizeof(k), "%s_b64", key);
	b64 = vg_base64(bytes, len);
	if (b64 != NULL)
		json_object_set_new(obj, k, json_string(b64));
	free(b64);
}

char *
vg_base64(const char *bytes, size_t len)
{
	unsigned char *b64 = malloc(4 * ((len + 2) / 3) + 1);

	if (b64 != NULL)
		EVP_EncodeBlock(b64, (const unsigned char *)bytes, (int)len);
	return (char *)b64;
}

char *
vg_base64_decode(const char *b64, size_t *len)
{
	size_t bl = strlen(b64);
	unsigned char *raw = malloc(bl / 4 * 3 + 4);
	int n;

	if (raw == NULL)
		return NULL;
	n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)bl);
	if (n < 0) {
		free(raw);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as bytes */
	while (bl > 0 && b64[bl - 1] == '=' && n > 0) {
		n--;
		bl--;
	}
	raw[n] = '\0';
	*len = (size_t)n;
	return (char *)raw;
}

char *
vg_json_get_bytes(json_t *obj, const char *key, size_t *len)
{
	char k[128];
	json_t *b64, *s = json_object_get(obj, key);

	snprintf(k, sizeof(k), "%s_b64", key);
	b64 = json_object_get(obj, k);
	if (json_is_string(b64))
		return vg_base64_decode(json_string_value(b64), len);
	if (!json_is_string(s))
		return NULL;
	*len = json_string_length(s);
	return strndup(json_string_value(s), *len);
}

char *
vg_text_escape(const char *bytes, size_t len)
{
	const unsigned char *s = (const unsigned char *)bytes;
	char *buf = malloc(len * 4 + 1);
	size_t i = 0, o = 0;

	if (buf == NULL)
		return NULL;
	while (i < len) {
		size_t n = utf8_seq(s + i, len - i);

		if (n == 1 && s[i] == '\\') {
			buf[o++] = '\\';
			buf[o++] = '\\';
		} else if (n == 1 && s[i] == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (n == 1 && s[i] == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else if (n == 0 || (n == 1 && (s[i] < 0x20 || s[i] == 0x7f)) ||
			   (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)) {
			/* invalid bytes, C0 controls, DEL and C1 controls (U+0080..U+009F) */
			size_t k, m = n ? n : 1;

			for (k = 0; k < m; k++)
				o += (size_t)sprintf(buf + o, "\\x%02x", s[i + k]);
			n = m;
		} else {
			memcpy(buf + o, s + i, n);
			o += n;
		}
		i += n;
	}
	buf[o] = '\0';
	return buf;
}

void
vg_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
vg_json_print(json_t *doc)
{
	if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
		return -1;
	return fputc('\n', stdout) == EOF ? -1 : 0;
}

void
vg_time_iso(int64_t ns, char *buf, size_t n)
{
	int64_t sec = ns / 1000000000, frac = ns % 1000000000;
	time_t t;
	struct tm tm;
	char date[32];

	if (frac < 0) { /* before 1970: floor, so the fraction counts forward */
		frac += 1000000000;
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL || strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(date, sizeof(date), "@%lld", (long long)sec);
	snprintf(buf, n, "%s.%09lldZ", date, (long long)frac);
}
