/*
 * scanner/engine.c — one object: type it with libmagic from the buffer, match YARA and the
 * hash lists over the same bytes, hash (SHA-256, SHA-1, MD5) what is detected, and hand
 * containers to unpack.c. One engine per worker thread; nothing in it is shared. Reading the
 * file is engine_read.c, the YARA external variables engine_vars.c.
 */
#include "scanner/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"

/*
 * One libmagic handle an engine, with two sets of flags (checked when a buffer is typed, not
 * when the database loads): the full type, and only "is this text?", which skips the
 * database and costs a fraction. One handle loads and maps the database once, not twice.
 */
#define MAGIC_FULL (MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ENCODING | MAGIC_ERROR)
#define MAGIC_TEXT                                                                             \
	(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_SOFT | MAGIC_NO_CHECK_ELF |   \
	 MAGIC_NO_CHECK_CDF | MAGIC_NO_CHECK_TAR | MAGIC_NO_CHECK_APPTYPE | MAGIC_NO_CHECK_JSON | \
	 MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_TOKENS | MAGIC_ERROR)

/* tests/unit only: see scanner_int.h */
struct engine_test_hooks engine_test_hooks;

struct scan_ctx *
engine_ctx(struct engine *e)
{
	return e->c;
}

/* A new slot in the matches of the current object, or NULL when out of memory. */
static struct match *
new_match(struct engine *e)
{
	if (e->nm == e->capm) {
		size_t cap = e->capm ? e->capm * 2 : 8;
		struct match *v = realloc(e->m, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		e->m = v;
		e->capm = cap;
	}
	return &e->m[e->nm++];
}

/*
 * One digest of data into out. Data above READ_MAX may be a mapping of a file that can
 * shrink: it is copied piece by piece (vigil's code takes the SIGBUS) into the engine's own
 * buffer and digest context, so nothing is lost when the scan of that file is abandoned.
 */
static void
digest(struct engine *e, const EVP_MD *md, const unsigned char *data, size_t len,
       unsigned char *out)
{
	size_t off, n;

	if (len <= READ_MAX || (e->md == NULL && (e->md = EVP_MD_CTX_new()) == NULL) ||
	    (e->bounce == NULL && (e->bounce = malloc(BOUNCE)) == NULL)) {
		EVP_Digest(data, len, out, NULL, md, NULL);
		return;
	}
	EVP_DigestInit_ex(e->md, md, NULL);
	for (off = 0; off < len; off += n) {
		n = len - off < BOUNCE ? len - off : BOUNCE;
		memcpy(e->bounce, data + off, n);
		EVP_DigestUpdate(e->md, e->bounce, n);
	}
	EVP_DigestFinal_ex(e->md, out, NULL);
}

/*
 * Hash signatures: the digests the loaded lists need (only those), from the bytes in memory;
 * a listed digest is a match like a rule's, named by the list entry.
 */
static void
match_hashes(struct engine *e, const unsigned char *data, size_t len)
{
	static const char *const algo_names[HASH__COUNT] = { "md5", "sha1", "sha256" };
	const struct hashdb *h = sigdb_hashes(e->c->db);
	const EVP_MD *mds[HASH__COUNT] = { EVP_md5(), EVP_sha1(), EVP_sha256() };
	unsigned char d[32];
	int a;

	for (a = 0; a < HASH__COUNT; a++) {
		const char *name, *list;
		struct match *m;
		json_t *meta;

		if (!hashdb_wants(h, (enum hash_algo)a))
			continue;
		digest(e, mds[a], data, len, d);
		if (!hashdb_lookup(h, (enum hash_algo)a, d, (int64_t)len, &name, &list))
			continue;
		if ((m = new_match(e)) == NULL)
			return;
		m->name = strdup(name);
		m->ns = strdup(list);
		meta = json_pack("{s:s, s:s}", "list", list, "algorithm", algo_names[a]);
		m->meta = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(meta);
	}
}

static int
yr_callback(YR_SCAN_CONTEXT *ctx, int message, void *data, void *user)
{
	struct engine *e = user;
	YR_RULE *rule = data;
	YR_META *meta;
	json_t *metas;
	struct match *m;

	(void)ctx;
	if (message != CALLBACK_MSG_RULE_MATCHING)
		return CALLBACK_CONTINUE;
	if ((m = new_match(e)) == NULL)
		return CALLBACK_ERROR;
	metas = json_object();
	yr_rule_metas_foreach(rule, meta)
	{
		json_t *v, *old;

		if (meta->type == META_TYPE_INTEGER)
			v = json_integer(meta->integer);
		else if (meta->type == META_TYPE_BOOLEAN)
			v = json_boolean(meta->integer);
		else
			v = vg_json_bytes(meta->string, strlen(meta->string));
		old = json_object_get(metas, meta->identifier);
		if (old == NULL) {
			json_object_set_new(metas, meta->identifier, v);
		} else if (json_is_array(old)) {
			json_array_append_new(old, v);
		} else {
			json_t *arr = json_array();

			json_array_append(arr, old);
			json_array_append_new(arr, v);
			json_object_set_new(metas, meta->identifier, arr);
		}
	}
	m->name = strdup(rule->identifier);
	m->ns = strdup(rule->ns->name);
	m->meta = json_dumps(metas, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(metas);
	return CALLBACK_CONTINUE;
}

/* Set up a new YARA scanner; ERROR_SUCCESS or libyara's error code (e->yr NULL). */
static int
yr_make(struct engine *e)
{
	int rc;

	e->yr = NULL;
	rc = yr_scanner_create(sigdb_rules(e->c->db), &e->yr);
	if (rc != ERROR_SUCCESS) {
		e->yr = NULL; /* whatever libyara left there */
		return rc;
	}
	yr_scanner_set_callback(e->yr, yr_callback, e);
	yr_scanner_set_timeout(e->yr, e->c->o->scan_timeout);
	/*
	 * Fast mode: a string that only needs to be found once (libyara marks those the
	 * condition never counts, locates or measures: no #, @, !, at or in) is not searched
	 * again after its first match. Conditions see the same truth, so the findings are the
	 * same; libyara stops storing up to a million matches a string, which took a 20 MB log
	 * from 65 to 250 MB of memory with signature-base, and stops verifying them.
	 * Only matching rules are reported (libyara's default also calls back once for every
	 * rule that did not match: 5,234 calls an object with signature-base, all ignored).
	 */
	yr_scanner_set_flags(e->yr, SCAN_FLAGS_REPORT_RULES_MATCHING |
					    (e->c->o->reference ? 0 : SCAN_FLAGS_FAST_MODE));
	return ERROR_SUCCESS;
}

int
engine_yr_renew(struct engine *e)
{
	if (e->yr != NULL)
		yr_scanner_destroy(e->yr);
	e->yr = NULL;
	if (atomic_load(&engine_test_hooks.fail_yr_renew) > 0) {
		atomic_fetch_sub(&engine_test_hooks.fail_yr_renew, 1);
		return -1;
	}
	return yr_make(e) == ERROR_SUCCESS ? 0 : -1;
}

enum vg_err
engine_create(struct scan_ctx *c, struct engine **out, struct vg_error *err)
{
	struct engine *e = calloc(1, sizeof(*e));
	size_t bytes = MAGIC_BYTES;

	if (e == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	e->c = c;
	if (yr_make(e) != ERROR_SUCCESS) {
		free(e);
		return vg_error_set(err, VG_NOMEM, "cannot create a YARA scanner");
	}
	e->magic = magic_open(MAGIC_FULL);
	if (e->magic == NULL || magic_load(e->magic, NULL) != 0) {
		vg_error_set(err, VG_MAGIC, "cannot load the libmagic database: %s",
			     e->magic ? magic_error(e->magic) : "out of memory");
		engine_destroy(e);
		return VG_MAGIC;
	}
	magic_setparam(e->magic, MAGIC_PARAM_BYTES_MAX, &bytes);
	engine_install_sigbus();
	*out = e;
	return VG_OK;
}

void
engine_destroy(struct engine *e)
{
	if (e == NULL)
		return;
	if (e->yr)
		yr_scanner_destroy(e->yr);
	if (e->magic)
		magic_close(e->magic);
	while (e->nheld > 0)
		result_free(e->held[--e->nheld]);
	free(e->held);
	free(e->buf);
	free(e->m);
	free(e->bounce);
	EVP_MD_CTX_free(e->md);
	free(e);
}

static void
count_type(struct engine *e, const char *mime, size_t len)
{
	int i;

	for (i = 0; i < e->ntypes; i++)
		if (strcmp(e->types[i].mime, mime) == 0)
			break;
	if (i == e->ntypes) {
		if (e->ntypes == TYPES_MAX)
			i = TYPES_MAX - 1; /* the last slot became "other" */
		else
			e->ntypes++;
		snprintf(e->types[i].mime, sizeof(e->types[i].mime), "%s",
			 i == TYPES_MAX - 1 ? "other" : mime);
	}
	e->types[i].files++;
	e->types[i].bytes += (int64_t)len;
}

void
engine_add_types(struct engine *e, json_t *types)
{
	int i;

	for (i = 0; i < e->ntypes; i++) {
		json_t *t = json_object_get(types, e->types[i].mime);
		json_int_t files = e->types[i].files, bytes = e->types[i].bytes;

		if (t != NULL) {
			files += json_integer_value(json_object_get(t, "files"));
			bytes += json_integer_value(json_object_get(t, "bytes"));
		}
		json_object_set_new(types, e->types[i].mime,
				    json_pack("{s:I, s:I}", "files", files, "bytes", bytes));
	}
}

/* engine_scan_fd: keep a detection until the caller knows what was done about it. */
static int
hold(struct engine *e, struct result *r)
{
	if (e->nheld == e->capheld) {
		size_t cap = e->capheld ? e->capheld * 2 : 8;
		struct result **v = realloc(e->held, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		e->held = v;
		e->capheld = cap;
	}
	e->held[e->nheld++] = r;
	return 0;
}

void
engine_push_result(struct scan_ctx *c, struct result *r)
{
	if (queue_push(c->results, r) != 0)
		result_free(r);
}

/*
 * The MIME type of an object into buf. libmagic's database costs ~150 us on a text file
 * (nothing matches early) and little on binaries (something does), so: a NUL byte near the
 * start means binary and gets the full type; otherwise the cheap handle decides whether it is
 * text, and text gets the full type only when want_full (the rules test filetype). Returns 1
 * when buf holds only "text/plain"-level knowledge (see full_type()).
 */
static int
object_type(struct engine *e, const unsigned char *data, size_t len, int want_full, char *buf,
	    size_t n)
{
	size_t probe;
	const char *t;

	if (len > READ_MAX && (e->bounce != NULL || (e->bounce = malloc(BOUNCE)) != NULL)) {
		/* a mapping: libmagic reads a copy of its head (see digest()) */
		len = len < MAGIC_BYTES ? len : MAGIC_BYTES;
		memcpy(e->bounce, data, len);
		data = e->bounce;
	}
	probe = len < TEXT_PROBE ? len : TEXT_PROBE;

	if (probe > 0 && memchr(data, '\0', probe) == NULL) {
		magic_setflags(e->magic, MAGIC_TEXT);
		t = magic_buffer(e->magic, data, probe);
		magic_setflags(e->magic, MAGIC_FULL);
		if (t && strncmp(t, "text/", 5) == 0) {
			snprintf(buf, n, "%s", t);
			if (!want_full)
				return 1;
		}
	}
	/* MAGIC_PARAM_BYTES_MAX bounds only what libmagic reads itself: a buffer is taken
	 * whole, so a 1 TiB sparse file would be walked to its end */
	t = magic_buffer(e->magic, data, len < MAGIC_BYTES ? len : MAGIC_BYTES);
	snprintf(buf, n, "%s", t ? t : "application/octet-stream");
	return 0;
}

/* The three digests of bytes in memory, lower-case hex. */
static void
digests(struct engine *e, const unsigned char *data, size_t len, char sha256[65], char sha1[41],
	char md5[33])
{
	unsigned char d[32];

	digest(e, EVP_sha256(), data, len, d);
	vg_hex(d, 32, sha256);
	digest(e, EVP_sha1(), data, len, d);
	vg_hex(d, 20, sha1);
	digest(e, EVP_md5(), data, len, d);
	vg_hex(d, 16, md5);
}

/* The SHA-256 of the file on disk that holds obj, computed once per file. */
static const char *
top_sha256(struct engine *e, const struct object *obj)
{
	struct budget *b = obj->budget;
	unsigned char d[32];

	if (b->top_sha256[0] == '\0' && b->top_data != NULL) {
		digest(e, EVP_sha256(), b->top_data, b->top_size, d);
		vg_hex(d, 32, b->top_sha256);
	}
	return b->top_sha256;
}

static void
emit_threats(struct engine *e, const unsigned char *data, size_t len, const struct object *obj,
	     const char *mime)
{
	char sha256[65], sha1[41], md5[33];
	const char *allowed;
	size_t i;

	/* detections are rare: the three digests of the object, from the bytes in memory */
	if (obj->depth == 0 && obj->budget->top_digests) {
		memcpy(sha256, obj->budget->top_sha256, sizeof(sha256));
		memcpy(sha1, obj->budget->top_sha1, sizeof(sha1));
		memcpy(md5, obj->budget->top_md5, sizeof(md5));
	} else {
		digests(e, data, len, sha256, sha1, md5);
	}
	for (i = 0; i < e->nm; i++) {
		struct result *r = calloc(1, sizeof(*r));

		if (r == NULL)
			break;
		r->kind = RES_THREAT;
		r->path = malloc(obj->path_len + 1);
		if (r->path)
			memcpy(r->path, obj->path, obj->path_len + 1);
		r->path_len = obj->path_len;
		r->member = malloc(obj->member_len + 1);
		if (r->member && obj->member_len)
			memcpy(r->member, obj->member, obj->member_len);
		r->member_len = obj->member_len;
		r->name = e->m[i].name;
		r->ns = e->m[i].ns;
		r->meta = e->m[i].meta;
		e->m[i].name = e->m[i].ns = e->m[i].meta = NULL;
		r->type = strdup(mime);
		memcpy(r->sha256, sha256, sizeof(sha256));
		memcpy(r->sha1, sha1, sizeof(sha1));
		memcpy(r->md5, md5, sizeof(md5));
		r->size = (int64_t)len;
		r->have_mtime = obj->have_mtime;
		r->mtime_ns = obj->mtime_ns;
		r->have_ident = e->have_ident;
		r->ident = e->ident;
		r->root_len = e->root_len;
		if (scan_location())
			r->location = strdup(scan_location());
		e->detections++;
		allowed = scanner_allow_match(e->c->o->allow, obj->path, obj->path_len, sha256,
					      r->name ? r->name : "");
		if (allowed == NULL && obj->depth > 0 && !scanner_allow_empty(e->c->o->allow))
			allowed = scanner_allow_match(e->c->o->allow, obj->path, obj->path_len,
						      top_sha256(e, obj), "");
		if (allowed) {
			r->allowed_by = strdup(allowed);
			atomic_fetch_add(&e->c->allowed, 1);
			if (e->verdict)
				e->verdict->allowed++;
		} else {
			atomic_fetch_add(&e->c->threats, 1);
			if (e->verdict && e->verdict->threats++ == 0)
				snprintf(e->verdict->name, sizeof(e->verdict->name), "%s",
					 r->name ? r->name : "");
		}
		if (e->verdict && hold(e, r) == 0)
			continue;
		engine_push_result(e->c, r);
	}
}

void
engine_clear_matches(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->nm; i++) {
		free(e->m[i].name);
		free(e->m[i].ns);
		free(e->m[i].meta);
	}
	e->nm = 0;
}

void
engine_scan_object(struct engine *e, const unsigned char *data, size_t len,
		   const struct object *obj)
{
	struct scan_ctx *c = e->c;
	char mime[128];
	int rc, partial;

	atomic_fetch_add(&c->objects, 1);
	/* the inventory takes the same type: a full type for every text file would cost
	 * libmagic's whole database per file, 20 times the rest of an inventory scan */
	partial = object_type(e, data, len, sigdb_uses_filetype(c->db), mime, sizeof(mime));
	if (obj->depth == 0) {
		struct budget *b = obj->budget;

		count_type(e, mime, len);
		if (c->o->inventory) {
			digests(e, data, len, b->top_sha256, b->top_sha1, b->top_md5);
			b->top_digests = 1;
			snprintf(b->top_type, sizeof(b->top_type), "%s", mime);
		}
	}
	e->nm = 0;
	if (e->yr == NULL && engine_yr_renew(e) != 0) {
		/* no scanner since a SIGBUS, and none to be had now: say so, go on with the rest */
		rc = ERROR_SUCCESS;
		scan_problem(c, obj->path, obj->member, obj->member_len, "error",
			     "rules not matched: cannot create a YARA scanner (out of memory)");
		if (e->verdict)
			e->verdict->errors++;
	} else {
		engine_define_vars(e, obj, mime, data, len);
		rc = yr_scanner_scan_mem(e->yr, data, len);
		/*
		 * libyara 4.2 puts its own SIGBUS/SIGSEGV handler in place around every scan and
		 * puts back the one it found: two threads interleaving leave libyara's in place for
		 * good, and it returns when the fault is not inside a scan, so a mapped file that
		 * shrank under libmagic then faulted forever at 100% CPU. vigil's handler goes back
		 * after each scan. (Without libyara's own handling, SCAN_FLAGS_NO_TRYCATCH, a fault
		 * inside libyara would jump out past its clean-up and leak its scan's memory.)
		 */
		engine_install_sigbus();
	}
	if (rc == ERROR_COULD_NOT_MAP_FILE) {
		/* libyara caught the SIGBUS of a mapped file that shrank under it: only the
		 * top-level mapping can fault (members are in memory), so stop this file */
		engine_clear_matches(e);
		scan_problem(c, obj->path, NULL, 0, "error",
			     "the file shrank while it was being scanned");
		return;
	}
	if (rc != ERROR_SUCCESS)
		scan_problem(c, obj->path, obj->member, obj->member_len,
			     rc == ERROR_SCAN_TIMEOUT ? "limit" : "error",
			     "rule matching failed: %s (yara error %d)", sigdb_yara_strerror(rc), rc);
	if (sigdb_hashes(c->db) != NULL)
		match_hashes(e, data, len);
	if (e->nm > 0) {
		/* a detection reports the full type (text/x-php, not text/plain) */
		if (partial)
			object_type(e, data, len, 1, mime, sizeof(mime));
		emit_threats(e, data, len, obj, mime);
	}
	engine_clear_matches(e);
	if (c->o->archives)
		unpack_scan(e, data, len, mime, obj);
}

void
engine_record(struct engine *e, const char *action)
{
	size_t i;

	for (i = 0; i < e->nheld; i++) {
		e->held[i]->action = action;
		engine_push_result(e->c, e->held[i]);
	}
	e->nheld = 0;
}
