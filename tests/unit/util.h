/*
 * tests/unit/util.h — helpers shared by the cmocka unit tests (tests/unit/test_*.c):
 * temporary folders made and removed again, files written into a folder, JSON fields read
 * with a failed test when they have the wrong type, and the EICAR test file.
 *
 * util.c is linked into every unit test binary (tests/module.mk); it is not a test itself.
 * The EICAR bytes are built from two halves, so that the whole string never appears in the
 * repository (as eicar() in tests/e2e/lib.sh).
 */
#ifndef VIGIL_TESTS_UNIT_UTIL_H
#define VIGIL_TESTS_UNIT_UTIL_H

#include <jansson.h>
#include <stddef.h>

/* Make a new private folder /tmp/<prefix>-XXXXXX in buf; returns buf, or NULL on failure. */
char *vt_mkdtemp(char *buf, size_t size, const char *prefix);

/* Remove path and everything below it, as rm -rf: links are removed, not followed. */
void vt_rm_rf(const char *path);

/* Write len bytes of data to dir/name (created 0644, or truncated); 0, or -1 on failure. */
int vt_write_file(const char *dir, const char *name, const void *data, size_t len);

/* The EICAR test file's bytes in buf, NUL-terminated; returns their length (68). */
size_t vt_eicar(char *buf, size_t size);

/* Write the EICAR test file to dir/name; 0, or -1 on failure. */
int vt_write_eicar(const char *dir, const char *name);

/* The string, or the integer, at key in object o; the test fails on any other type. */
const char *vt_jstr(json_t *o, const char *key);
json_int_t vt_jint(json_t *o, const char *key);

#endif
