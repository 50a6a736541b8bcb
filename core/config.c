/* core/config.c — loading, layering and writing the JSON configuration. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"
#include "core/statedir.h"

#define GiB "1073741824"
/* a configuration file larger than this is refused */
#define CONFIG_MAX_BYTES ((size_t)16 << 20)

static int
check_action(json_t *v, char *buf, size_t n)
{
	const char *s = json_string_value(v);

	if (strcmp(s, "report") != 0 && strcmp(s, "quarantine") != 0) {
		snprintf(buf, n, "must be \"report\" or \"quarantine\", not \"%s\"", s);
		return -1;
	}
	return 0;
}

/* Each exclusion object names a path, an extension or a name (strings). */
static int
check_exclusions(json_t *v, char *buf, size_t n)
{
	static const char *const fields[] = { "path", "extension", "name" };
	json_t *e;
	size_t i, f;

	json_array_foreach(v, i, e) {
		int any = 0;

		for (f = 0; f < 3; f++) {
			json_t *s = json_object_get(e, fields[f]);

			if (s == NULL)
				continue;
			if (!json_is_string(s) || json_string_length(s) == 0) {
				snprintf(buf, n, "exclusions[%zu].%s must be a non-empty string", i,
					 fields[f]);
				return -1;
			}
			any = 1;
		}
		if (json_object_get(e, "is_directory") &&
		    !json_is_boolean(json_object_get(e, "is_directory"))) {
			snprintf(buf, n, "exclusions[%zu].is_directory must be true or false", i);
			return -1;
		}
		if (!any) {
			snprintf(buf, n, "exclusions[%zu] has no path, extension or name", i);
			return -1;
		}
	}
	return 0;
}

static int
check_diagnostic_level(json_t *v, char *buf, size_t n)
{
	const char *s = json_string_value(v);

	if (strcmp(s, "required") != 0 && strcmp(s, "optional") != 0) {
		snprintf(buf, n, "must be \"required\" or \"optional\", not \"%s\"", s);
		return -1;
	}
	return 0;
}

/* Each scheduled scan: {"type": "quick"|"full", "time": "HH:MM", "day": "monday"...}. */
static int
check_schedules(json_t *v, char *buf, size_t n)
{
	static const char *const days[] = { "sunday", "monday", "tuesday", "wednesday",
					    "thursday", "friday", "saturday" };
	json_t *e;
	size_t i, d;

	json_array_foreach(v, i, e) {
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *time = json_string_value(json_object_get(e, "time"));
		json_t *day = json_object_get(e, "day");
		unsigned hh, mm;
		char extra;

		if (type == NULL || (strcmp(type, "quick") != 0 && strcmp(type, "full") != 0)) {
			snprintf(buf, n, "scheduled_scans[%zu].type must be \"quick\" or \"full\"", i);
			return -1;
		}
		if (time == NULL || strlen(time) != 5 || !isdigit((unsigned char)time[0]) ||
		    !isdigit((unsigned char)time[1]) || time[2] != ':' ||
		    !isdigit((unsigned char)time[3]) || !isdigit((unsigned char)time[4]) ||
		    sscanf(time, "%2u:%2u%c", &hh, &mm, &extra) != 2 || hh > 23 || mm > 59) {
			snprintf(buf, n, "scheduled_scans[%zu].time must be HH:MM (24 hours)", i);
			return -1;
		}
		{
			const char *key;
			json_t *val;

			json_object_foreach(e, key, val) {
				if (strcmp(key, "type") != 0 && strcmp(key, "time") != 0 &&
				    strcmp(key, "day") != 0) {
					snprintf(buf, n, "scheduled_scans[%zu] has an unknown key "
						 "\"%.40s\" (type, time, day)", i, key);
					return -1;
				}
			}
		}
		if (day == NULL)
			continue;
		for (d = 0; d < 7; d++)
			if (json_is_string(day) && strcmp(json_string_value(day), days[d]) == 0)
				break;
		if (d == 7) {
			snprintf(buf, n, "scheduled_scans[%zu].day must be a day of the week "
				 "(\"monday\" ... \"sunday\"), or absent for every day", i);
			return -1;
		}
	}
	return 0;
}

/* Every entry an absolute path. */
static int
check_absolute(json_t *v, char *buf, size_t n)
{
	json_t *e;
	size_t i;

	json_array_foreach(v, i, e) {
		if (json_string_value(e)[0] != '/') {
			snprintf(buf, n, "[%zu] must be an absolute path, not \"%.80s\"", i,
				 json_string_value(e));
			return -1;
		}
	}
	return 0;
}

static int
check_paths(json_t *v, char *buf, size_t n)
{
	if (json_array_size(v) == 0) {
		snprintf(buf, n, "must name at least one folder");
		return -1;
	}
	return check_absolute(v, buf, n);
}

static int
check_deadline(json_t *v, char *buf, size_t n)
{
	if (json_integer_value(v) < 10) {
		snprintf(buf, n, "must be at least 10 (milliseconds)");
		return -1;
	}
	return 0;
}

static int
check_interval(json_t *v, char *buf, size_t n)
{
	if (json_integer_value(v) < 10) {
		snprintf(buf, n, "must be at least 10 (seconds)");
		return -1;
	}
	return 0;
}

static int
check_absolute_one(json_t *v, char *buf, size_t n)
{
	if (json_string_value(v)[0] != '/') {
		snprintf(buf, n, "must be an absolute path, not \"%.80s\"", json_string_value(v));
		return -1;
	}
	return 0;
}

static const struct config_key keys[] = {
	{ "antivirus_engine.archive_max_bytes", CFG_INT, GiB,
	  "uncompressed bytes unpacked from one file, all levels together", NULL },
	{ "antivirus_engine.archive_max_member_size", CFG_INT, "268435456",
	  "largest archive member scanned (held in memory)", NULL },
	{ "antivirus_engine.archive_max_members", CFG_INT, "50000",
	  "archive members unpacked from one file, all levels together", NULL },
	{ "antivirus_engine.archive_max_ratio", CFG_INT, "250",
	  "uncompressed/compressed ratio that marks a bomb (checked past 64 MiB)", NULL },
	{ "antivirus_engine.deep_containers", CFG_BOOL, "true",
	  "open mail, Office, PDF, RTF, installers and packed programs in the sandboxed "
	  "extractor (vigil-extract, libclamav)", NULL },
	{ "antivirus_engine.default_action", CFG_STRING, "\"report\"",
	  "what a scan does with a detection: report or quarantine", check_action },
	{ "antivirus_engine.enable_real_time_protection", CFG_BOOL, "false",
	  "real-time protection on", NULL },
	{ "antivirus_engine.exclusions", CFG_OBJECTS, "[]",
	  "exclusions: objects with is_directory, path, extension or name", check_exclusions },
	{ "antivirus_engine.max_archive_depth", CFG_INT, "8", "nesting depth of archives", NULL },
	{ "antivirus_engine.max_file_size", CFG_INT, "4294967296",
	  "larger files are skipped and counted", NULL },
	{ "antivirus_engine.maximum_scan_threads", CFG_INT, "64", "cap on --threads", NULL },
	{ "antivirus_engine.passive_mode", CFG_BOOL, "false", "real-time: report, never block", NULL },
	{ "antivirus_engine.scan_archives", CFG_BOOL, "true", "look inside archives", NULL },
	{ "antivirus_engine.scan_cache_maximum", CFG_INT, "1000000", "scan cache entries", NULL },
	{ "antivirus_engine.scan_timeout", CFG_INT, "120",
	  "seconds of rule matching allowed per object", NULL },
	{ "antivirus_engine.threat_restoration_exclusion_time", CFG_INT, "60",
	  "seconds a restored file is not detected again", NULL },
	{ "diagnostic_level", CFG_STRING, "\"optional\"",
	  "what the local event log records: required or optional events", check_diagnostic_level },
	{ "filesystem_scanner.full_scan_directory", CFG_STRING, "\"/\"", "root of a full scan", NULL },
	{ "filesystem_scanner.quick_scan_directories", CFG_STRINGS,
	  "[\"/tmp\", \"/var/tmp\", \"/dev/shm\", \"/root/Downloads\", \"/root/Desktop\","
	  " \"/home/*/Downloads\", \"/home/*/Desktop\", \"/home/*/.config/autostart\","
	  " \"/etc/xdg/autostart\", \"/etc/cron.d\", \"/etc/cron.daily\", \"/etc/cron.hourly\","
	  " \"/etc/cron.weekly\", \"/etc/cron.monthly\", \"/var/spool/cron\", \"/etc/systemd/system\","
	  " \"/usr/lib/systemd/system\", \"/home/*/.config/systemd/user\", \"/etc/init.d\","
	  " \"/usr/local/bin\", \"/usr/local/sbin\"]",
	  "folders of a quick scan (globs allowed)", NULL },
	{ "fleet.database_url", CFG_STRING, "\"\"",
	  "fleet database (libpq URI); set: the daemon pushes to it (a password here is never shown)",
	  NULL },
	{ "fleet.push_interval", CFG_INT, "300", "daemon: seconds between fleet pushes", check_interval },
	{ "logging.syslog", CFG_BOOL, "false",
	  "send detections, quarantine actions and real-time blocks to syslog (RFC 5424)", NULL },
	{ "logging.syslog_socket", CFG_STRING, "\"/dev/log\"", "the local syslog socket", check_absolute_one },
	{ "org_id", CFG_STRING, "\"\"", "organisation identifier shown by health", NULL },
	{ "quarantine_retention_days", CFG_INT, "0",
	  "days quarantined items are kept (0: until removed)", NULL },
	{ "realtime.exclude_processes", CFG_STRINGS, "[]",
	  "real-time: executables (full paths) whose file accesses are not scanned",
	  check_absolute },
	{ "realtime.max_file_size", CFG_INT, "104857600",
	  "real-time: larger files are allowed unscanned and counted", NULL },
	{ "realtime.paths", CFG_STRINGS, "[\"/\"]", "folders watched by real-time protection",
	  check_paths },
	{ "realtime.scan_deadline_ms", CFG_INT, "5000",
	  "real-time: a scan that takes longer is answered allow and counted", check_deadline },
	{ "realtime.threads", CFG_INT, "2", "real-time: scanning threads", NULL },
	{ "realtime.verdict_cache_entries", CFG_INT, "65536",
	  "real-time: files remembered as scanned (device, inode, times, sig_version)", NULL },
	{ "scan_history_maximum_items", CFG_INT, "10000", "scans kept in the history", NULL },
	{ "scan_results_retention_days", CFG_INT, "90", "days scan results are kept", NULL },
	{ "scheduled_scans", CFG_OBJECTS, "[]",
	  "daemon: [{type: quick|full, time: HH:MM, day: monday..sunday (absent: daily)}]",
	  check_schedules },
	{ "sigdb.bundle_public_key", CFG_STRING, "\"\"",
	  "Ed25519 public key (PEM file) that signs trusted offline bundles", NULL },
};

struct vg_config {
	json_t *local;		/* the local file's document */
	json_t *managed;	/* the managed file's document */
	json_t *defaults;	/* key name -> default value */
	char *local_path;
	char *state_dir;	/* set when the local file is <state_dir>/config.json */
};

const struct config_key *
config_keys(size_t *n)
{
	*n = sizeof(keys) / sizeof(keys[0]);
	return keys;
}

static const struct config_key *
find_key(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* doc["a"]["b"] for "a.b" (borrowed), or NULL. */
static json_t *
lookup(json_t *doc, const char *dotted)
{
	char part[128];
	const char *p = dotted;

	while (doc != NULL && json_is_object(doc)) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		doc = json_object_get(doc, part);
		if (dot == NULL)
			return doc;
		p = dot + 1;
	}
	return NULL;
}

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
		if (!json_is_array(v))
			return 0;
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return 0;
		return 1;
	case CFG_OBJECTS:
		if (!json_is_array(v))
			return 0;
		json_array_foreach(v, i, e)
			if (!json_is_object(e))
				return 0;
		return 1;
	}
	return 0;
}

static const char *
type_name(enum config_type t)
{
	static const char *const names[] = { "true or false", "a whole number >= 0", "a string",
					     "an array of strings", "an array of objects" };
	return names[t];
}

/* Check a parsed layer (doc is stolen; path names it in messages). */
static enum vg_err
check_layer(const char *path, json_t *doc, json_t **out, struct vg_error *err)
{
	size_t i;

	if (!json_is_object(doc)) {
		json_decref(doc);
		return vg_error_set(err, VG_CONFIG, "%s:1:1: the configuration must be a JSON object",
				    path);
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = lookup(doc, keys[i].name);

		char why[256];

		if (v != NULL && !type_ok(keys[i].type, v)) {
			json_decref(doc);
			return vg_error_set(err, VG_CONFIG, "%s: key '%s' must be %s", path,
					    keys[i].name, type_name(keys[i].type));
		}
		if (v != NULL && keys[i].check && keys[i].check(v, why, sizeof(why)) != 0) {
			json_decref(doc);
			return vg_error_set(err, VG_CONFIG, "%s: key '%s': %s", path, keys[i].name,
					    why);
		}
	}
	*out = doc;
	return VG_OK;
}

/* A layer from path; one that does not exist is empty when may_be_missing, else an error. */
static enum vg_err
load_layer(const char *path, bool may_be_missing, json_t **out, struct vg_error *err)
{
	json_error_t jerr;
	json_t *doc;

	*out = NULL;
	if (path == NULL)
		return VG_OK;
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		struct stat st;

		if (stat(path, &st) != 0 && errno == ENOENT) {
			if (may_be_missing)
				return VG_OK;
			return vg_error_set(err, VG_CONFIG, "cannot read config '%s': %s", path,
					    strerror(ENOENT));
		}
		if (access(path, R_OK) != 0)
			return vg_error_set(err, VG_CONFIG, "cannot read config '%s': %s", path,
					    strerror(errno));
		if (S_ISDIR(st.st_mode))
			return vg_error_set(err, VG_CONFIG, "cannot read config '%s': %s", path,
					    strerror(EISDIR));
		return vg_error_set(err, VG_CONFIG, "%s:%d:%d: invalid JSON: %s", path, jerr.line,
				    jerr.column, jerr.text);
	}
	return check_layer(path, doc, out, err);
}

/*
 * The local layer from <state_dir>/config.json: only from a trusted state folder, opened
 * without following a link, and only when root or we own it and others cannot write it.
 */
static enum vg_err
load_state_layer(const char *state_dir, const char *path, json_t **out, struct vg_error *err)
{
	json_error_t jerr;
	json_t *doc;
	char *text = NULL;
	size_t len = 0;
	enum vg_err rc;

	*out = NULL;
	rc = vg_state_dir_check(state_dir, err);
	if (rc == VG_NOENT) {
		vg_error_init(err); /* no folder yet: no file (store_open checks it once made) */
		return VG_OK;
	}
	if (rc == VG_OK)
		rc = vg_state_read_file(state_dir, "config.json", CONFIG_MAX_BYTES, &text, &len,
					err);
	if (rc == VG_NOENT) {
		vg_error_init(err);
		return VG_OK;
	}
	if (rc != VG_OK)
		return rc;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (doc == NULL)
		return vg_error_set(err, VG_CONFIG, "%s:%d:%d: invalid JSON: %s", path, jerr.line,
				    jerr.column, jerr.text);
	return check_layer(path, doc, out, err);
}

static enum vg_err
load(const char *state_dir, const char *local_path, bool local_may_be_missing,
     const char *managed_path, struct vg_config **out, struct vg_error *err)
{
	struct vg_config *cfg = calloc(1, sizeof(*cfg));
	enum vg_err rc;
	size_t i;

	if (cfg == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	cfg->defaults = json_object();
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_set_new(cfg->defaults, keys[i].name,
				    json_loads(keys[i].def, JSON_DECODE_ANY, NULL));
	if (state_dir) {
		cfg->local_path = vg_path_join(state_dir, "config.json");
		cfg->state_dir = strdup(state_dir);
		rc = cfg->local_path && cfg->state_dir
			     ? load_state_layer(state_dir, cfg->local_path, &cfg->local, err)
			     : vg_error_set(err, VG_NOMEM, "out of memory");
	} else {
		cfg->local_path = local_path ? strdup(local_path) : NULL;
		rc = load_layer(local_path, local_may_be_missing, &cfg->local, err);
	}
	if (rc == VG_OK)
		rc = load_layer(managed_path, true, &cfg->managed, err);
	if (rc != VG_OK) {
		config_destroy(cfg);
		return rc;
	}
	*out = cfg;
	return VG_OK;
}

enum vg_err
config_load_state(const char *state_dir, const char *managed_path, struct vg_config **out,
		  struct vg_error *err)
{
	return load(state_dir, NULL, true, managed_path, out, err);
}

enum vg_err
config_load(const char *local_path, const char *managed_path, struct vg_config **out,
	    struct vg_error *err)
{
	return load(NULL, local_path, true, managed_path, out, err);
}

enum vg_err
config_load_named(const char *local_path, bool may_be_new, const char *managed_path,
		  struct vg_config **out, struct vg_error *err)
{
	return load(NULL, local_path, may_be_new, managed_path, out, err);
}

void
config_destroy(struct vg_config *cfg)
{
	if (cfg == NULL)
		return;
	json_decref(cfg->local);
	json_decref(cfg->managed);
	json_decref(cfg->defaults);
	free(cfg->local_path);
	free(cfg->state_dir);
	free(cfg);
}

json_t *
config_get(const struct vg_config *cfg, const char *key)
{
	json_t *v;

	if (find_key(key) == NULL)
		return NULL;
	if ((v = lookup(cfg->managed, key)) != NULL)
		return v;
	if ((v = lookup(cfg->local, key)) != NULL)
		return v;
	return json_object_get(cfg->defaults, key);
}

/* The built-in default of a known key, as its JSON text says (0 / false when unknown). */
static json_t *
default_of(const char *key)
{
	const struct config_key *k = find_key(key);

	return k ? json_loads(k->def, JSON_DECODE_ANY, NULL) : NULL;
}

int64_t
config_default_int(const char *key)
{
	json_t *v = default_of(key);
	int64_t n = json_integer_value(v);

	json_decref(v);
	return n;
}

bool
config_default_bool(const char *key)
{
	json_t *v = default_of(key);
	bool b = json_is_true(v);

	json_decref(v);
	return b;
}

int64_t
config_get_int(const struct vg_config *cfg, const char *key)
{
	return json_integer_value(config_get(cfg, key));
}

bool
config_get_bool(const struct vg_config *cfg, const char *key)
{
	return json_is_true(config_get(cfg, key));
}

const char *
config_get_string(const struct vg_config *cfg, const char *key)
{
	const char *s = json_string_value(config_get(cfg, key));

	return s ? s : "";
}

const char *
config_origin(const struct vg_config *cfg, const char *key)
{
	if (lookup(cfg->managed, key))
		return "managed";
	if (lookup(cfg->local, key))
		return "local";
	return "default";
}

/* doc["a"]["b"] = v for "a.b", creating objects on the way; steals v. */
static int
set_dotted(json_t *doc, const char *dotted, json_t *v)
{
	char part[128];
	const char *p = dotted;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		json_t *child;

		if (n >= sizeof(part)) {
			json_decref(v);
			return -1;
		}
		memcpy(part, p, n);
		part[n] = '\0';
		if (dot == NULL)
			return json_object_set_new(doc, part, v);
		child = json_object_get(doc, part);
		if (!json_is_object(child)) {
			child = json_object();
			json_object_set_new(doc, part, child);
		}
		doc = child;
		p = dot + 1;
	}
}

/*
 * A libpq connection URI as people may see it: its settings as keyword=value, the password
 * as *** (config show, the event log, diagnostic bundles never show it).
 */
static char *
url_redact(const char *url)
{
	PQconninfoOption *opts, *o;
	char *errmsg = NULL, *out = NULL;
	size_t len = 0;
	FILE *f;

	if (url == NULL || *url == '\0')
		return strdup("");
	opts = PQconninfoParse(url, &errmsg);
	PQfreemem(errmsg);
	if (opts == NULL)
		return strdup("(not a libpq connection URI)");
	f = open_memstream(&out, &len);
	if (f == NULL) {
		PQconninfoFree(opts);
		return NULL;
	}
	for (o = opts; o->keyword; o++) {
		if (o->val == NULL)
			continue;
		fprintf(f, "%s%s=%s", ftell(f) ? " " : "", o->keyword,
			strcmp(o->keyword, "password") == 0 ? "***" : o->val);
	}
	fclose(f);
	PQconninfoFree(opts);
	return out;
}

json_t *
config_shown(const struct vg_config *cfg, const char *key)
{
	json_t *v = config_get(cfg, key);
	char *shown;

	if (v == NULL)
		return NULL;
	if (strcmp(key, "fleet.database_url") != 0)
		return json_deep_copy(v);
	shown = url_redact(json_string_value(v));
	v = json_string(shown ? shown : "");
	free(shown);
	return v;
}

json_t *
config_effective(const struct vg_config *cfg)
{
	json_t *doc = json_object();
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		set_dotted(doc, keys[i].name, config_shown(cfg, keys[i].name));
	return doc;
}

enum vg_err
config_set(struct vg_config *cfg, const char *key, const char *value, struct vg_error *err)
{
	const struct config_key *k = find_key(key);
	json_t *v, *doc;
	char *text, why[256];
	enum vg_err rc;

	if (k == NULL)
		return vg_error_set(err, VG_CONFIG, "unknown configuration key '%s'", key);
	if (lookup(cfg->managed, key))
		return vg_error_set(err, VG_PERM, "key '%s' is set by the managed configuration",
				    key);
	if (cfg->local_path == NULL)
		return vg_error_set(err, VG_CONFIG, "no local configuration file");
	v = json_loads(value, JSON_DECODE_ANY, NULL);
	if (v == NULL && k->type == CFG_STRING)
		v = json_string(value);
	if (v == NULL || !type_ok(k->type, v)) {
		json_decref(v);
		return vg_error_set(err, VG_CONFIG, "value for '%s' must be %s", key,
				    type_name(k->type));
	}
	if (k->check && k->check(v, why, sizeof(why)) != 0) {
		json_decref(v);
		return vg_error_set(err, VG_CONFIG, "value for '%s': %s", key, why);
	}
	doc = cfg->local ? json_deep_copy(cfg->local) : json_object();
	set_dotted(doc, key, v);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL) {
		json_decref(doc);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	/* into the state folder only when it deserves trust (it may be new since the load) */
	rc = cfg->state_dir ? vg_state_dir_check(cfg->state_dir, err) : VG_OK;
	if (rc == VG_OK)
		rc = vg_write_file_atomic(cfg->local_path, text, strlen(text), 0600, err);
	free(text);
	if (rc != VG_OK) {
		json_decref(doc);
		return rc;
	}
	json_decref(cfg->local);
	cfg->local = doc;
	return VG_OK;
}
