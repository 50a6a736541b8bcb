/*
 * tests/fuzz/fuzz_config.c — config_load on hostile files, and what a loaded config gives.
 *
 * The first byte chooses: (b & 3) 0 the input is the local file; 1 the managed file; 2 the
 * input is split at its first NUL byte into the local file and the managed file; 3 the
 * local file, then config_set of a key (the second byte picks it) to a value (the bytes
 * after the first NUL). Invariants checked: a loaded config gives every known key a value of
 * its declared type (config_get, config_get_*, config_origin, config_effective and
 * config_shown agree; only fleet.database_url is shown otherwise than it is held), and
 * what config_set accepted loads again and reads back equal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

#include "fuzz_common.h"

static int
type_ok(enum config_type t, json_t *v)
{
	size_t i;
	json_t *e;

	switch (t) {
	case CFG_BOOL:
		return json_is_boolean(v);
	case CFG_INT:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case CFG_STRING:
		return json_is_string(v);
	case CFG_STRINGS:
	case CFG_OBJECTS:
		if (!json_is_array(v))
			return 0;
		json_array_foreach(v, i, e)
			if (t == CFG_STRINGS ? !json_is_string(e) : !json_is_object(e))
				return 0;
		return 1;
	}
	return 0;
}

/* Every key: a value of its type, the same through every accessor. */
static void
check_loaded(struct vg_config *cfg)
{
	const struct config_key *keys;
	size_t n, i;
	json_t *eff = config_effective(cfg);
	char *dump;

	keys = config_keys(&n);
	if (eff == NULL || !json_is_object(eff))
		fuzz_fail("config_effective gave no object");
	for (i = 0; i < n; i++) {
		json_t *v = config_get(cfg, keys[i].name);
		const char *origin = config_origin(cfg, keys[i].name);
		const char *s;

		if (v == NULL)
			fuzz_fail("known key '%s' has no value", keys[i].name);
		if (!type_ok(keys[i].type, v))
			fuzz_fail("key '%s' loaded with a value of the wrong type", keys[i].name);
		if (origin == NULL || (strcmp(origin, "managed") && strcmp(origin, "local") &&
				       strcmp(origin, "default")))
			fuzz_fail("key '%s' has origin '%s'", keys[i].name, origin ? origin : "(null)");
		switch (keys[i].type) {
		case CFG_INT:
			if (config_get_int(cfg, keys[i].name) != json_integer_value(v))
				fuzz_fail("config_get_int disagrees for '%s'", keys[i].name);
			break;
		case CFG_BOOL:
			if (config_get_bool(cfg, keys[i].name) != json_is_true(v))
				fuzz_fail("config_get_bool disagrees for '%s'", keys[i].name);
			break;
		case CFG_STRING:
			s = config_get_string(cfg, keys[i].name);
			if (s == NULL || strcmp(s, json_string_value(v)) != 0)
				fuzz_fail("config_get_string disagrees for '%s'", keys[i].name);
			break;
		default:
			break;
		}
		{
			/* the effective document holds the same value, nested by the dots */
			const char *p = keys[i].name;
			json_t *at = eff;
			char part[128];

			while (at) {
				const char *dot = strchr(p, '.');
				size_t len = dot ? (size_t)(dot - p) : strlen(p);

				if (len >= sizeof(part))
					break;
				memcpy(part, p, len);
				part[len] = '\0';
				at = json_object_get(at, part);
				if (!dot)
					break;
				p = dot + 1;
			}
			/* config_effective shows what config_shown shows: a password as *** */
			json_t *shown = config_shown(cfg, keys[i].name);

			if (at == NULL || shown == NULL || !json_equal(at, shown))
				fuzz_fail("config_effective disagrees with config_shown for '%s'",
					  keys[i].name);
			if (strcmp(keys[i].name, "fleet.database_url") != 0 && !json_equal(shown, v))
				fuzz_fail("config_shown changed '%s', which holds no password",
					  keys[i].name);
			json_decref(shown);
		}
	}
	/* unknown keys have no value */
	if (config_get(cfg, "no.such.key") != NULL || config_get(cfg, "") != NULL)
		fuzz_fail("an unknown key has a value");
	dump = json_dumps(eff, JSON_COMPACT | JSON_SORT_KEYS);
	if (dump == NULL)
		fuzz_fail("config_effective cannot be written as JSON");
	free(dump);
	json_decref(eff);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char local[4200], managed[4200];
	const uint8_t *body, *nul;
	size_t blen, n;
	struct vg_config *cfg = NULL;
	struct vg_error err;
	enum vg_err rc;
	const struct config_key *keys = config_keys(&n);
	int mode, pick = 0;

	if (size < 1)
		return 0;
	mode = data[0] & 3;
	body = data + 1;
	blen = size - 1;
	if (mode == 3) {
		if (blen < 1)
			return 0;
		pick = body[0];
		body++;
		blen--;
	}
	fuzz_path(local, sizeof(local), "local.json");
	fuzz_path(managed, sizeof(managed), "managed.json");
	unlink(local);
	unlink(managed);
	nul = memchr(body, '\0', blen);
	vg_error_init(&err);
	switch (mode) {
	case 0:
		fuzz_write_file(local, body, blen);
		rc = config_load(local, NULL, &cfg, &err);
		break;
	case 1:
		fuzz_write_file(managed, body, blen);
		rc = config_load(local, managed, &cfg, &err);
		break;
	case 2:
		fuzz_write_file(local, body, nul ? (size_t)(nul - body) : blen);
		fuzz_write_file(managed, nul ? nul + 1 : body + blen,
				nul ? blen - (size_t)(nul - body) - 1 : 0);
		rc = config_load(local, managed, &cfg, &err);
		break;
	default:
		fuzz_write_file(local, body, nul ? (size_t)(nul - body) : blen);
		rc = config_load(local, NULL, &cfg, &err);
		break;
	}
	if (rc != VG_OK) {
		if (cfg != NULL)
			fuzz_fail("config_load failed but gave a config");
		if (vg_error_msg(&err)[0] == '\0')
			fuzz_fail("config_load failed without a reason");
		return 0;
	}
	check_loaded(cfg);
	if (mode == 3 && nul) {
		/* the value: the rest, up to a second NUL (config_set takes a C string) */
		const struct config_key *k = &keys[(size_t)pick % n];
		size_t vlen = blen - (size_t)(nul - body) - 1;
		char *value = strndup((const char *)nul + 1, vlen);
		json_t *before = NULL;

		if (value == NULL)
			abort();
		vg_error_init(&err);
		rc = config_set(cfg, k->name, value, &err);
		if (rc == VG_OK) {
			/* what was accepted is in effect, and loads again the same */
			struct vg_config *again = NULL;

			before = json_deep_copy(config_get(cfg, k->name));
			check_loaded(cfg);
			vg_error_init(&err);
			if (config_load(local, NULL, &again, &err) != VG_OK)
				fuzz_fail("config_set wrote a file that does not load: %s",
					  vg_error_msg(&err));
			check_loaded(again);
			if (!json_equal(before, config_get(again, k->name)))
				fuzz_fail("config_set of '%s' did not read back equal", k->name);
			config_destroy(again);
		}
		json_decref(before);
		free(value);
	}
	config_destroy(cfg);
	return 0;
}
