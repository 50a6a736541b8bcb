/*
 * core/jsonx.h — the one place that decides how hostile bytes leave vigil.
 *
 * File names and archive member names are arbitrary bytes. In JSON a name that is valid
 * UTF-8 is a plain string (jansson escapes quotes, newlines and control characters); a name
 * that is not gets each invalid byte written as the four characters \xNN in "key" and the
 * exact raw bytes, base64, in "key_b64". For a terminal, vg_text_escape() makes every
 * control character and invalid byte visible, so no name can move the cursor or forge a line.
 */
#ifndef VIGIL_CORE_JSONX_H
#define VIGIL_CORE_JSONX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A JSON string for bytes: the bytes when valid UTF-8, else with \xNN for invalid bytes. */
json_t *vg_json_bytes(const char *bytes, size_t len);

/* obj[key] = vg_json_bytes(...), plus obj[key + "_b64"] when the bytes are not UTF-8. */
void vg_json_set_bytes(json_t *obj, const char *key, const char *bytes, size_t len);

/* Base64 of bytes (malloc'd, NULL when out of memory). */
char *vg_base64(const char *bytes, size_t len);

/* The bytes of base64 text (malloc'd, NUL-terminated; *len without the NUL), or NULL. */
char *vg_base64_decode(const char *b64, size_t *len);

/* The exact bytes behind obj[key]: from key_b64 when present, else the string (malloc'd). */
char *vg_json_get_bytes(json_t *obj, const char *key, size_t *len);

/* Escaped copy for a terminal or a log line (malloc'd, NULL when out of memory). */
char *vg_text_escape(const char *bytes, size_t len);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void vg_hex(const unsigned char *in, size_t n, char *out);

/* Nanoseconds since the epoch as ISO 8601 UTC with nine decimals: 2026-11-28T16:31:56.000000001Z */
void vg_time_iso(int64_t ns, char *buf, size_t n);

/* Print a JSON document to stdout with a final newline; returns 0 or -1 on a write error. */
int vg_json_print(json_t *doc);

#endif
