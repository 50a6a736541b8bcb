/* scanner/job.c — the scan job: one lifecycle for new, resumed and image scans. */
#include "scanner/job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/host.h"
#include "core/jsonx.h"
#include "core/path.h"
#include "core/pid.h"

struct scan_job {
	struct scan_env env;
	struct scan_spec sp;
	int64_t id;
	struct sigdb *db;
	struct scan_cache *cache;
	char *cache_tag;
	struct done_set *done;
	struct scanner_image *im;
	struct scanner_totals t;
	struct scanner_totals before;	/* a resumed scan: what its first part recorded */
	int resumed;
	const char *status;
	char *unreadable;
	char *extract_tmp;	/* <state>/extract: the extractor's folder without namespaces */
};

/* ---- the spec ---- */

void
scan_spec_init(struct scan_spec *sp, const struct vg_config *cfg)
{
	struct scanner_options *o = &sp->o;

	memset(sp, 0, sizeof(*sp));
	snprintf(sp->type, sizeof(sp->type), "custom");
	sp->cache = -1;
	scanner_options_init(o);
	o->archives = config_get_bool(cfg, "antivirus_engine.scan_archives");
	o->deep_containers = config_get_bool(cfg, "antivirus_engine.deep_containers");
	o->max_depth = (int)config_get_int(cfg, "antivirus_engine.max_archive_depth");
	o->max_filesize = (uint64_t)config_get_int(cfg, "antivirus_engine.max_file_size");
	o->archive_max_members = (uint64_t)config_get_int(cfg, "antivirus_engine.archive_max_members");
	o->archive_max_bytes = (uint64_t)config_get_int(cfg, "antivirus_engine.archive_max_bytes");
	o->archive_max_member_size =
		(uint64_t)config_get_int(cfg, "antivirus_engine.archive_max_member_size");
	o->archive_max_ratio = (uint64_t)config_get_int(cfg, "antivirus_engine.archive_max_ratio");
	o->scan_timeout = (int)config_get_int(cfg, "antivirus_engine.scan_timeout");
	sp->quarantine = strcmp(config_get_string(cfg, "antivirus_engine.default_action"),
				"quarantine") == 0;
}

void
scan_spec_release(struct scan_spec *sp)
{
	vg_strv_release(&sp->roots);
	scanner_excl_destroy(sp->excl);
	free(sp->evidence_root);
	json_decref(sp->image);
	sp->excl = NULL;
	sp->evidence_root = NULL;
	sp->image = NULL;
}

static enum vg_err
add_root_owned(struct scan_spec *sp, char *abs, struct vg_error *err)
{
	return vg_strv_push_take(&sp->roots, abs, err);
}

enum vg_err
scan_spec_add_root(struct scan_spec *sp, const char *path, struct vg_error *err)
{
	char *abs;
	enum vg_err e = vg_path_absolute(path, &abs, err);

	return e == VG_OK ? add_root_owned(sp, abs, err) : e;
}

enum vg_err
scan_spec_set_image(struct scan_spec *sp, const char *file, const char *parent,
		    int64_t partition, int64_t offset, int deleted, json_t *quick,
		    struct vg_error *err)
{
	char *abs, *pabs = NULL;
	enum vg_err e = vg_path_absolute(file, &abs, err);

	if (e != VG_OK)
		return e;
	if (parent && (e = vg_path_absolute(parent, &pabs, err)) != VG_OK) {
		free(abs);
		return e;
	}
	json_decref(sp->image);
	sp->image = json_pack("{s:s, s:I, s:I, s:b}", "file", abs, "partition",
			      (json_int_t)partition, "offset", (json_int_t)offset, "deleted", deleted);
	if (sp->image && quick)
		json_object_set(sp->image, "quick", quick);
	if (sp->image && pabs && json_object_set_new(sp->image, "parent", json_string(pabs)) != 0) {
		json_decref(sp->image);
		sp->image = NULL;
	}
	free(pabs);
	if (sp->image == NULL) {
		free(abs);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	return add_root_owned(sp, abs, err);
}

enum vg_err
scan_spec_settle(struct scan_spec *sp, const struct vg_config *cfg, struct vg_error *err)
{
	int64_t maxthreads = config_get_int(cfg, "antivirus_engine.maximum_scan_threads");

	if (sp->image) {
		const char *bad = sp->evidence_root ? "--root" : sp->verify_unchanged
				  ? "--verify-unchanged" : sp->quarantine_asked ? "--action quarantine"
				  : sp->o.one_filesystem ? "--one-filesystem" : NULL;

		if (bad)
			return vg_error_set(err, VG_USAGE, "%s: not with a disk image (it is read "
					    "directly and never changed)", bad);
		sp->quarantine = 0;	/* the configured default does not apply to an image */
		sp->cache = 0;		/* its device and inode numbers are not this machine's */
		if (sp->excl)
			scanner_excl_drop(sp->excl, EXCL_BUILTIN); /* no state folder in it */
	}
	/* evidence is read, never changed: moving files out of it needs saying so */
	if (sp->evidence_root && sp->quarantine && !sp->allow_modify) {
		if (sp->quarantine_asked)
			return vg_error_set(err, VG_USAGE, "--action quarantine with --root would "
					    "modify the evidence: add --allow-modify if that is meant");
		sp->quarantine = 0;
	}
	if (sp->cache < 0)
		sp->cache = sp->evidence_root == NULL;
	if (sp->verify_unchanged)
		sp->o.inventory = 1; /* what is verified: every file as it was read */
	if (maxthreads > 0 && sp->o.threads > maxthreads)
		sp->o.threads = (int)maxthreads;
	return VG_OK;
}

json_t *
scan_spec_options_json(const struct scan_spec *sp)
{
	const struct scanner_options *o = &sp->o;
	json_t *j = json_pack("{s:i, s:b, s:b, s:i, s:I, s:I, s:I, s:I, s:I, s:i, s:b, s:b, s:s, s:b, s:b}",
			      "threads", o->threads, "archives", o->archives, "deep_containers",
			      o->deep_containers, "max_recursion",
			      o->max_depth, "max_filesize", (json_int_t)o->max_filesize,
			      "archive_max_members", (json_int_t)o->archive_max_members,
			      "archive_max_bytes", (json_int_t)o->archive_max_bytes,
			      "archive_max_member_size", (json_int_t)o->archive_max_member_size,
			      "archive_max_ratio", (json_int_t)o->archive_max_ratio, "scan_timeout",
			      o->scan_timeout, "one_filesystem", o->one_filesystem,
			      "ignore_exclusions", sp->ignore_exclusions, "action",
			      sp->quarantine ? "quarantine" : "report", "verify_unchanged",
			      sp->verify_unchanged, "cache", sp->cache > 0);
	json_t *b64 = json_array();
	size_t i;

	if (j == NULL || b64 == NULL) {
		json_decref(j);
		json_decref(b64);
		return NULL;
	}
	json_object_set_new(j, "root", sp->evidence_root ? json_string(sp->evidence_root)
							 : json_null());
	if (sp->image)
		json_object_set(j, "image", sp->image);
	/* the roots byte for byte: scans.roots shows them escaped, resume reads these */
	for (i = 0; i < sp->roots.n; i++) {
		char *s = vg_base64(sp->roots.v[i], strlen(sp->roots.v[i]));

		json_array_append_new(b64, s ? json_string(s) : json_null());
		free(s);
	}
	json_object_set_new(j, "roots_b64", b64);
	return j;
}

/* An integer option of a record, when present. */
static void
take_int(json_t *opts, const char *key, int64_t *v)
{
	json_t *x = json_object_get(opts, key);

	if (json_is_integer(x))
		*v = json_integer_value(x);
}

enum vg_err
scan_spec_from_record(json_t *scan, const struct vg_config *cfg, struct scan_spec *sp,
		      struct vg_error *err)
{
	json_t *opts = json_object_get(scan, "options"), *b64 = json_object_get(opts, "roots_b64");
	json_t *v;
	struct scanner_options *o = &sp->o;
	int64_t n;
	size_t i;
	enum vg_err e = VG_OK;

	scan_spec_init(sp, cfg);
	snprintf(sp->type, sizeof(sp->type), "%s",
		 json_string_value(json_object_get(scan, "type")) ?: "custom");
#define TAKE(key, field, type) \
	n = (int64_t)o->field;  \
	take_int(opts, key, &n); \
	o->field = (type)n;
	TAKE("threads", threads, int)
	TAKE("max_recursion", max_depth, int)
	TAKE("max_filesize", max_filesize, uint64_t)
	TAKE("archive_max_members", archive_max_members, uint64_t)
	TAKE("archive_max_bytes", archive_max_bytes, uint64_t)
	TAKE("archive_max_member_size", archive_max_member_size, uint64_t)
	TAKE("archive_max_ratio", archive_max_ratio, uint64_t)
	TAKE("scan_timeout", scan_timeout, int)
#undef TAKE
	if ((v = json_object_get(opts, "archives")))
		o->archives = json_is_true(v);
	if ((v = json_object_get(opts, "deep_containers")))
		o->deep_containers = json_is_true(v);
	if ((v = json_object_get(opts, "one_filesystem")))
		o->one_filesystem = json_is_true(v);
	o->inventory = json_is_true(json_object_get(scan, "inventory"));
	sp->ignore_exclusions = json_is_true(json_object_get(opts, "ignore_exclusions"));
	sp->quarantine = json_is_string(json_object_get(opts, "action")) &&
			 strcmp(json_string_value(json_object_get(opts, "action")), "quarantine") == 0;
	sp->cache = json_is_true(json_object_get(opts, "cache"));
	sp->verify_unchanged = json_is_true(json_object_get(opts, "verify_unchanged"));
	if (json_is_string(json_object_get(opts, "root")) &&
	    (sp->evidence_root = strdup(json_string_value(json_object_get(opts, "root")))) == NULL)
		e = vg_error_set(err, VG_NOMEM, "out of memory");
	if (json_is_object(json_object_get(opts, "image")))
		sp->image = json_incref(json_object_get(opts, "image"));
	/* the roots: byte for byte where recorded so, else as the (older) record shows them */
	if (json_is_array(b64) && json_array_size(b64) > 0) {
		json_array_foreach(b64, i, v) {
			size_t len;
			char *raw = json_is_string(v) ? vg_base64_decode(json_string_value(v), &len)
						      : NULL;

			if (e == VG_OK)
				e = raw ? add_root_owned(sp, raw, err)
					: vg_error_set(err, VG_INVAL, "the scan's recorded roots are "
						       "damaged");
			else
				free(raw);
		}
	} else {
		json_array_foreach(json_object_get(scan, "roots"), i, v)
			if (e == VG_OK && json_is_string(v))
				e = add_root_owned(sp, strdup(json_string_value(v)), err);
	}
	if (e == VG_OK && (sp->excl = scanner_excl_create()) == NULL)
		e = vg_error_set(err, VG_NOMEM, "out of memory");
	json_array_foreach(json_object_get(scan, "exclusions"), i, v) {
		int kind = scanner_excl_kind_parse(json_string_value(json_object_get(v, "kind")));

		if (e != VG_OK)
			break;
		if (kind < 0)
			e = vg_error_set(err, VG_INVAL, "the scan's recorded exclusions are damaged");
		else
			e = scanner_excl_add(sp->excl, (enum excl_kind)kind,
					     json_string_value(json_object_get(v, "value")),
					     EXCL_FROM_STORE, "recorded with the scan", err);
	}
	if (e != VG_OK)
		scan_spec_release(sp);
	return e;
}

/* ---- the job ---- */

static enum vg_err
open_image(struct scan_job *j, struct vg_error *err)
{
	json_t *spec = j->sp.image, *quick = json_object_get(spec, "quick"), *v;
	const char *file = json_string_value(json_object_get(spec, "file"));
	char **patterns;
	size_t i, n = 0;
	enum vg_err e;

	if (file == NULL)
		return vg_error_set(err, VG_INVAL, "the scan names no image");
	e = scanner_image_open(file, json_string_value(json_object_get(spec, "parent")),
			       (int)json_integer_value(json_object_get(spec, "partition")),
			       json_integer_value(json_object_get(spec, "offset")),
			       json_is_true(json_object_get(spec, "deleted")), j->sp.creds, &j->im,
			       err);
	if (e != VG_OK || !json_is_array(quick))
		return e;
	patterns = calloc(json_array_size(quick) + 1, sizeof(*patterns));
	if (patterns == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	json_array_foreach(quick, i, v)
		if (json_is_string(v))
			patterns[n++] = (char *)json_string_value(v);
	e = scanner_image_set_quick(j->im, patterns, n, err);
	free(patterns);
	return e;
}

/* Rules, the cache, the image: what both a new and a resumed scan open. */
static enum vg_err
open_parts(struct scan_job *j, struct vg_error *err)
{
	const struct vg_config *cfg = j->env.cfg;
	int64_t cache_max = config_get_int(cfg, "antivirus_engine.scan_cache_maximum");
	struct scanner_options *o = &j->sp.o;
	enum vg_err e = sigdb_open(j->env.st, j->env.state_dir, &j->db, err);

	if (e == VG_OK && j->sp.image && (e = open_image(j, err)) == VG_OK) {
		o->image = j->im;
		o->spool_dir = j->env.state_dir; /* large files of the image are copied there */
	}
	if (e == VG_OK && j->sp.cache > 0 && cache_max > 0) {
		if ((j->cache_tag = scanner_cache_tag(sigdb_digest(j->db), o)) == NULL)
			e = vg_error_set(err, VG_NOMEM, "out of memory");
		else if (!o->inventory) /* an inventory reads every file anyway */
			e = scanner_cache_load(j->env.st, j->cache_tag, cache_max, &j->cache, err);
		o->cache = j->cache;
		o->cache_tag = j->cache_tag;
	}
	/* Where the extractor keeps ClamAV's temporary files when it cannot mount its own tmpfs
	 * (not root and no user namespace, or a chroot): <state>/extract/<its pid> (0700). */
	if (e == VG_OK && o->deep_containers && j->env.state_dir != NULL) {
		if (asprintf(&j->extract_tmp, "%s/extract", j->env.state_dir) < 0)
			j->extract_tmp = NULL;
		else if (mkdir(j->extract_tmp, 0700) == 0 || errno == EEXIST)
			o->extract_tmp = j->extract_tmp;
	}
	o->excl = j->sp.excl;
	o->allow = j->env.allow;
	o->stop = j->env.stop;
	o->events = j->env.events;
	o->progress = 1;
	return e;
}

static struct scan_job *
job_alloc(const struct scan_env *env)
{
	struct scan_job *j = calloc(1, sizeof(*j));

	if (j != NULL)
		j->env = *env;
	return j;
}

enum vg_err
scan_record_begin(struct store *st, const struct vg_config *cfg, struct sigdb *db,
		  const struct scan_record *r, int64_t *id, struct vg_error *err)
{
	json_t *roots = json_array();
	json_t *excl = r->excl ? scanner_excl_json(r->excl) : json_array();
	struct vg_host host;
	char *guid = NULL;
	enum vg_err e;
	size_t i;

	for (i = 0; i < r->nroots; i++)
		json_array_append_new(roots, vg_json_bytes(r->roots[i], strlen(r->roots[i])));
	vg_host_read(&host);
	e = store_machine_guid(st, &guid, err);
	if (e == VG_OK)
		e = store_scan_begin(st,
				     &(struct store_scan_new){
					     .type = r->type, .threads = r->threads,
					     .sig_version = sigdb_version(db),
					     .rules_digest = sigdb_digest(db), .roots = roots,
					     .command_line = r->custody ? r->custody->command_line : NULL,
					     .options = r->options, .exclusions = excl,
					     .case_id = r->custody ? r->custody->case_id : NULL,
					     .examiner = r->custody ? r->custody->examiner : NULL,
					     .hostname = host.hostname, .kernel = host.kernel,
					     .machine_guid = guid, .org_id = config_get_string(cfg, "org_id"),
					     .app_version = VIGIL_VERSION, .inventory = r->inventory },
				     id, err);
	free(guid);
	json_decref(roots);
	json_decref(excl);
	return e;
}

void
scan_record_finish(struct store *st, int64_t id, const char *status,
		   const struct scanner_totals *t, struct vg_error *err)
{
	store_scan_finish(st, id,
			  &(struct store_scan_totals){
				  .status = status, .duration_s = t->duration_s,
				  .files_scanned = t->files_scanned, .bytes_scanned = t->bytes_scanned,
				  .objects_scanned = t->objects_scanned, .errors = t->errors,
				  .skipped = t->skipped, .threats = t->threats, .excluded = t->excluded,
				  .files_cached = t->cached, .file_types = t->file_types },
			  err);
}

static enum vg_err
record_new(struct scan_job *j, const struct scan_custody *c, struct vg_error *err)
{
	json_t *opts = scan_spec_options_json(&j->sp);
	enum vg_err e;

	if (opts == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	e = scan_record_begin(j->env.st, j->env.cfg, j->db,
			      &(struct scan_record){ .type = j->sp.type, .threads = j->sp.o.threads,
						     .roots = j->sp.roots.v, .nroots = j->sp.roots.n,
						     .options = opts, .excl = j->sp.excl,
						     .custody = c, .inventory = j->sp.o.inventory },
			      &j->id, err);
	if (e == VG_OK)
		e = store_scan_set_running(j->env.st, j->id, getpid(), err);
	json_decref(opts);
	return e;
}

enum vg_err
scan_job_new(const struct scan_env *env, struct scan_spec *sp, const struct scan_custody *custody,
	     struct scan_job **out, struct vg_error *err)
{
	struct scan_job *j = job_alloc(env);
	enum vg_err e;

	if (j == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	j->sp = *sp;
	memset(sp, 0, sizeof(*sp)); /* taken over */
	e = open_parts(j, err);
	if (e == VG_OK)
		e = record_new(j, custody, err);
	if (e != VG_OK) {
		scan_job_free(j);
		return e;
	}
	*out = j;
	return VG_OK;
}

static int
done_has(const char *path, size_t len, void *ctx)
{
	return scanner_done_has(ctx, path, len);
}

/* May this recorded scan be resumed? */
static enum vg_err
resumable(json_t *scan, int64_t id, struct vg_error *err)
{
	const char *type = json_string_value(json_object_get(scan, "type"));
	const char *status = json_string_value(json_object_get(scan, "status"));

	if (strcmp(status, "completed") == 0)
		return vg_error_set(err, VG_INVAL, "scan %lld is completed: there is nothing to "
				    "resume", (long long)id);
	if (strcmp(type, "realtime") == 0)
		return vg_error_set(err, VG_INVAL, "scan %lld is real-time protection, not a scan "
				    "to resume", (long long)id);
	if (strcmp(status, "running") == 0 &&
	    vg_pid_is_vigil(json_integer_value(json_object_get(scan, "pid"))))
		return vg_error_set(err, VG_EXISTS, "scan %lld is still running (pid %lld)",
				    (long long)id,
				    (long long)json_integer_value(json_object_get(scan, "pid")));
	return VG_OK;
}

/* The totals its first part recorded, added to this part's at the end. */
static void
totals_before(json_t *scan, struct scanner_totals *t)
{
	t->files_scanned = json_integer_value(json_object_get(scan, "files_scanned"));
	t->bytes_scanned = json_integer_value(json_object_get(scan, "bytes_scanned"));
	t->objects_scanned = json_integer_value(json_object_get(scan, "objects_scanned"));
	t->errors = json_integer_value(json_object_get(scan, "errors"));
	t->skipped = json_integer_value(json_object_get(scan, "skipped"));
	t->excluded = json_integer_value(json_object_get(scan, "excluded"));
	t->cached = json_integer_value(json_object_get(scan, "files_cached"));
}

enum vg_err
scan_job_resume(const struct scan_env *env, int64_t id, struct scan_job **out,
		struct vg_error *err)
{
	struct scan_job *j = job_alloc(env);
	json_t *scan = NULL;
	int64_t forgotten = 0;
	enum vg_err e;

	if (j == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	j->id = id;
	j->resumed = 1;
	e = store_scan_get_json(env->st, id, &scan, err);
	if (e == VG_OK)
		e = resumable(scan, id, err);
	if (e == VG_OK)
		e = scan_spec_from_record(scan, env->cfg, &j->sp, err);
	j->sp.creds = env->creds;
	if (e == VG_OK)
		e = open_parts(j, err);
	if (e == VG_OK &&
	    strcmp(sigdb_digest(j->db), json_string_value(json_object_get(scan, "rules_digest")) ?: "") != 0)
		e = vg_error_set(err, VG_INVAL, "scan %lld ran with other signatures (sig_version "
				 "%lld); it would not end with the same findings: start a new scan",
				 (long long)id,
				 (long long)json_integer_value(json_object_get(scan, "sig_version")));
	if (e == VG_OK)
		e = scanner_done_load(env->st, id, &j->done, err);
	/* findings of files it had not finished are found again: none twice */
	if (e == VG_OK && (e = store_begin(env->st, err)) == VG_OK) {
		e = store_scan_forget_unfinished(env->st, id, done_has, j->done, &forgotten, err);
		if (e == VG_OK)
			e = store_scan_set_running(env->st, id, getpid(), err);
		if (e == VG_OK)
			e = store_commit(env->st, err);
		if (e != VG_OK)
			store_rollback(env->st);
	}
	if (e == VG_OK) {
		j->sp.o.done = j->done;
		totals_before(scan, &j->before);
	}
	json_decref(scan);
	if (e != VG_OK) {
		scan_job_free(j);
		return e;
	}
	*out = j;
	return VG_OK;
}

/* After an image scan: its volumes (and a block device's identity) recorded; nothing
 * readable is the scan's failure. */
static void
image_finish(struct scan_job *j)
{
	json_t *vols = scanner_image_volumes(j->im), *disk = scanner_image_disk(j->im), *v;
	struct vg_error e2;
	char *why = NULL, *next, *esc;
	const char *file = scanner_image_file(j->im);
	size_t i;

	vg_error_init(&e2);
	if (vols == NULL || store_scan_set_volumes(j->env.st, j->id, vols, &e2) != VG_OK)
		fprintf(stderr, "vigil: the volumes of scan %lld were not recorded: %s\n",
			(long long)j->id, vols ? vg_error_msg(&e2) : "out of memory");
	vg_error_init(&e2);
	if (disk != NULL && store_scan_set_disk(j->env.st, j->id, disk, &e2) != VG_OK)
		fprintf(stderr, "vigil: the disk of scan %lld was not recorded: %s\n",
			(long long)j->id, vg_error_msg(&e2));
	json_decref(disk);
	if (scanner_image_readable(j->im)) {
		json_decref(vols);
		return;
	}
	/* why, volume by volume: "p1 at byte 1048576: Cannot determine file system type" */
	why = strdup("");
	json_array_foreach(vols, i, v) {
		const char *reason = json_string_value(json_object_get(v, "reason"));
		char *r;

		if (strcmp(json_string_value(json_object_get(v, "status")), "skipped") == 0)
			continue;
		r = vg_text_escape(reason ? reason : "?", reason ? strlen(reason) : 1);
		if (why == NULL || r == NULL ||
		    asprintf(&next, "%s%sp%lld at byte %lld: %s", why, *why ? "; " : "",
			     (long long)json_integer_value(json_object_get(v, "partition")),
			     (long long)json_integer_value(json_object_get(v, "offset")), r) < 0)
			next = NULL;
		free(r);
		free(why);
		why = next;
	}
	esc = vg_text_escape(file, strlen(file));
	if (asprintf(&j->unreadable, "nothing in the image %s could be read (%s): see the volumes "
		     "of scan %lld", esc ? esc : "?", why ? why : "out of memory",
		     (long long)j->id) < 0)
		j->unreadable = NULL;
	free(esc);
	free(why);
	json_decref(vols);
}

static void
record_finish(struct scan_job *j, int failed, struct vg_error *err)
{
	struct vg_error e2;

	vg_error_init(&e2);
	/* when the scan failed, its own reason stays the one reported */
	scan_record_finish(j->env.st, j->id, j->status, &j->t, failed ? &e2 : err);
}

/*
 * After a scan: its progress is dropped once it completed (an interrupted one keeps it, to
 * resume), the scan cache keeps the entries of these rules and options, at most
 * scan_cache_maximum, and old scans go (scan_results_retention_days,
 * scan_history_maximum_items).
 */
static void
housekeeping(struct scan_job *j)
{
	struct store *st = j->env.st;
	struct vg_error e2;
	int64_t pruned = 0;

	vg_error_init(&e2);
	if (store_begin(st, &e2) == VG_OK) {
		if ((strcmp(j->status, "completed") == 0 &&
		     store_progress_clear(st, j->id, &e2) != VG_OK) ||
		    (j->cache_tag &&
		     store_cache_prune(st, j->cache_tag,
				       config_get_int(j->env.cfg, "antivirus_engine.scan_cache_maximum"),
				       &e2) != VG_OK) ||
		    store_commit(st, &e2) != VG_OK) {
			store_rollback(st);
			fprintf(stderr, "vigil: warning: %s\n", vg_error_msg(&e2));
		}
	}
	vg_error_init(&e2);
	if (store_begin(st, &e2) != VG_OK)
		return;
	if (store_scan_prune(st, config_get_int(j->env.cfg, "scan_results_retention_days"),
			     config_get_int(j->env.cfg, "scan_history_maximum_items"), &pruned,
			     &e2) != VG_OK || store_commit(st, &e2) != VG_OK) {
		store_rollback(st);
		fprintf(stderr, "vigil: warning: cannot prune the scan history: %s\n",
			vg_error_msg(&e2));
	}
}

enum vg_err
scan_job_run(struct scan_job *j, const struct scan_finish *finish, struct vg_error *err)
{
	struct scanner_totals *t = &j->t;
	enum vg_err e = scanner_run(&j->sp.o, j->db, j->env.st, j->id, j->sp.roots.v, j->sp.roots.n,
				    j->env.progress, t, err);

	if (j->im && e == VG_OK)
		image_finish(j);
	if (j->resumed) {
		int64_t threats = 0;

		t->files_scanned += j->before.files_scanned;
		t->bytes_scanned += j->before.bytes_scanned;
		t->objects_scanned += j->before.objects_scanned;
		t->errors += j->before.errors;
		t->skipped += j->before.skipped;
		t->excluded += j->before.excluded;
		t->cached += j->before.cached;
		if (store_threat_count(j->env.st, j->id, &threats, NULL) == VG_OK)
			t->threats = threats;
	}
	j->status = e != VG_OK ? "failed" : t->interrupted ? "interrupted" : "completed";
	/* before the totals are recorded: a file that could not be moved is an error */
	if (e == VG_OK && j->sp.quarantine && t->threats > 0 && finish && finish->quarantine)
		finish->quarantine(finish->ctx, j->id, t);
	record_finish(j, e != VG_OK, err);
	if (e != VG_OK)
		return e;
	housekeeping(j);
	return VG_OK;
}

void
scan_job_free(struct scan_job *j)
{
	if (j == NULL)
		return;
	scanner_image_close(j->im);
	free(j->cache_tag);
	free(j->extract_tmp);
	scanner_cache_destroy(j->cache);
	scanner_done_destroy(j->done);
	sigdb_release(j->db);
	json_decref(j->t.file_types);
	scan_spec_release(&j->sp);
	free(j->unreadable);
	free(j);
}

void
scan_job_set_progress(struct scan_job *j, const struct scanner_callbacks *progress)
{
	j->env.progress = progress;
}

int64_t
scan_job_id(const struct scan_job *j)
{
	return j->id;
}

const struct scan_spec *
scan_job_spec(const struct scan_job *j)
{
	return &j->sp;
}

struct sigdb *
scan_job_rules(const struct scan_job *j)
{
	return j->db;
}

const struct scanner_totals *
scan_job_totals(const struct scan_job *j)
{
	return &j->t;
}

const char *
scan_job_status(const struct scan_job *j)
{
	return j->status ? j->status : "running";
}

size_t
scan_job_resumed_files(const struct scan_job *j)
{
	return j->done ? scanner_done_size(j->done) : 0;
}

const char *
scan_job_unreadable(const struct scan_job *j)
{
	return j->unreadable;
}
