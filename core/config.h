/*
 * core/config.h — vigil's configuration: JSON files with dotted key names.
 *
 * Keys are nested objects in the file ({"antivirus_engine": {"max_file_size": 1024}}) and
 * named with dots everywhere else. Three layers, highest first: the managed file
 * (/etc/vigil/managed.json, or $VIGIL_MANAGED_CONFIG), the local file (--config, or
 * $VIGIL_CONFIG, or <state-dir>/config.json), then the built-in defaults; the managed file
 * overrides the local one key by key.
 *
 *	config_load(local, managed, &cfg, &err);
 *	n = config_get_int(cfg, "antivirus_engine.max_archive_depth");
 *	config_destroy(cfg);
 *
 * A loaded config is read-only and may be shared between threads; config_set is not
 * thread-safe.
 */
#ifndef VIGIL_CORE_CONFIG_H
#define VIGIL_CORE_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

enum config_type { CFG_BOOL, CFG_INT, CFG_STRING, CFG_STRINGS, CFG_OBJECTS };

struct config_key {
	const char *name;	/* dotted */
	enum config_type type;
	const char *def;	/* the default, as JSON text */
	const char *summary;
	/* Further checks of a value of the right type; writes why into buf and returns -1. */
	int (*check)(json_t *value, char *buf, size_t n);
};

struct vg_config;

/* The table of known keys (sorted by name). */
const struct config_key *config_keys(size_t *n);

/*
 * Load both files; a missing file is an empty layer. Invalid JSON fails with VG_CONFIG and
 * "file:line:column: reason"; a known key of the wrong type fails naming the file and key.
 */
enum vg_err config_load(const char *local_path, const char *managed_path, struct vg_config **out,
			struct vg_error *err);
/*
 * The same for a local file the user named (--config, VIGIL_CONFIG): it must exist and be
 * readable, else VG_CONFIG naming it; only with may_be_new (config set, which creates it)
 * is a file that does not exist yet an empty layer.
 */
enum vg_err config_load_named(const char *local_path, bool may_be_new, const char *managed_path,
			      struct vg_config **out, struct vg_error *err);
/*
 * The same with <state_dir>/config.json as the local file, read only from a trusted state
 * folder (core/statedir.h): an untrusted folder or file is VG_UNSAFE, a symbolic link is
 * never followed; a folder that does not exist yet is an empty layer. config_set then
 * writes there only while the folder is still trusted.
 */
enum vg_err config_load_state(const char *state_dir, const char *managed_path,
			      struct vg_config **out, struct vg_error *err);
void config_destroy(struct vg_config *cfg);

/* The built-in default of a known key (the key table is the one source of defaults). */
int64_t config_default_int(const char *key);
bool config_default_bool(const char *key);

/* The effective value of a known key (borrowed), or NULL when the key is unknown. */
json_t *config_get(const struct vg_config *cfg, const char *key);
/* A key's value as people may see it (new reference): a password in it as ***. */
json_t *config_shown(const struct vg_config *cfg, const char *key);
int64_t config_get_int(const struct vg_config *cfg, const char *key);
bool config_get_bool(const struct vg_config *cfg, const char *key);
const char *config_get_string(const struct vg_config *cfg, const char *key);

/* Where the effective value comes from: "managed", "local" or "default". */
const char *config_origin(const struct vg_config *cfg, const char *key);

/* Every key with its effective value, nested as in the file (new reference). */
json_t *config_effective(const struct vg_config *cfg);

/*
 * Set a key in the local file (written atomically). value is JSON text, or for string keys
 * also a bare word. Fails with VG_CONFIG for an unknown key or a value of the wrong type, and
 * with VG_PERM when the managed file fixes the key.
 */
enum vg_err config_set(struct vg_config *cfg, const char *key, const char *value,
		       struct vg_error *err);

#endif
