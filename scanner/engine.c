/*
 * scanner/engine.c — the per-file engine: read once, type with libmagic from the buffer,
 * match YARA over the same bytes, hash (SHA-256) what is detected, and hand containers to
 * the unpacker. One engine per worker thread; nothing in it is shared.
 */
#include "scanner/scanner_int.h"

#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonx.h"
#include "core/path.h"

/* Files up to this size are read into the worker's buffer; larger ones are mapped. */
#define READ_MAX (16u << 20)
/* libmagic looks at most at this many bytes. */
#define MAGIC_BYTES (256u << 10)
/* Text or binary is decided on this many leading bytes. */
#define TEXT_PROBE 4096u

struct match {
	char *name, *ns, *meta;
};

/* Files and bytes by MIME type, for the report's chart; the rest counts as "other". */
#define TYPES_MAX 48

struct type_count {
	char mime[128];
	int64_t files, bytes;
};

struct owner_cache {
	uid_t uid;
	char name[64];
	int valid;
};

struct engine {
	struct scan_ctx *c;
	YR_SCANNER *yr;
	magic_t magic;		/* the full type, from libmagic's whole database */
	magic_t magic_text;	/* only "is this text?": no database, a fraction of the cost */
	unsigned char *buf;
	size_t cap;
	struct match *m;
	size_t nm, capm;
	struct owner_cache owners[8];
	unsigned owner_next;
	struct type_count types[TYPES_MAX];
	int ntypes;
	/* engine_scan_fd: what was found; its detections are held until engine_record */
	struct scanner_verdict *verdict;
	struct result **held;
	size_t nheld, capheld;
	int64_t detections;	/* every detection so far (to tell a clean file) */
	/* a mapped file is only ever read by vigil's own copies into these (see copy_in):
	 * a SIGBUS then never jumps out of libmagic or OpenSSL, which would leak */
	EVP_MD_CTX *md;
	unsigned char *bounce;
	/* the file on disk being scanned, recorded with its detections so that quarantine acts
	 * on this object and no other (have_ident 0: a disk image's object) */
	int have_ident;
	struct vg_ident ident;
	size_t root_len;
};

/* SIGBUS from a mapped file that shrank under us jumps back here (one per thread). */
static __thread sigjmp_buf *bus_jump;

static void
on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (bus_jump != NULL)
		siglongjmp(*bus_jump, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
sigbus_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

static void
install_sigbus(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, sigbus_setup);
}

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

/* Bytes from a mapping go through this buffer, one piece at a time. */
#define BOUNCE (1u << 20)

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

enum vg_err
engine_create(struct scan_ctx *c, struct engine **out, struct vg_error *err)
{
	struct engine *e = calloc(1, sizeof(*e));
	size_t bytes = MAGIC_BYTES;

	if (e == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	e->c = c;
	if (yr_scanner_create(sigdb_rules(c->db), &e->yr) != ERROR_SUCCESS) {
		free(e);
		return vg_error_set(err, VG_NOMEM, "cannot create a YARA scanner");
	}
	yr_scanner_set_callback(e->yr, yr_callback, e);
	yr_scanner_set_timeout(e->yr, c->o->scan_timeout);
	e->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ENCODING |
			      MAGIC_ERROR);
	e->magic_text = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_SOFT |
				   MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_CDF | MAGIC_NO_CHECK_TAR |
				   MAGIC_NO_CHECK_APPTYPE | MAGIC_NO_CHECK_JSON |
				   MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_TOKENS | MAGIC_ERROR);
	if (e->magic == NULL || magic_load(e->magic, NULL) != 0 || e->magic_text == NULL ||
	    magic_load(e->magic_text, NULL) != 0) {
		vg_error_set(err, VG_MAGIC, "cannot load the libmagic database: %s",
			     e->magic ? magic_error(e->magic) : "out of memory");
		engine_destroy(e);
		return VG_MAGIC;
	}
	magic_setparam(e->magic, MAGIC_PARAM_BYTES_MAX, &bytes);
	install_sigbus();
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
	if (e->magic_text)
		magic_close(e->magic_text);
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

/* LOKI's names for file types, which public rule sets test with filetype == "EXE". */
static const char *
loki_filetype(const char *mime)
{
	static const struct {
		const char *mime, *type;
	} map[] = {
		{ "application/x-dosexec", "EXE" },
		{ "application/vnd.microsoft.portable-executable", "EXE" },
		{ "application/x-executable", "ELF" },
		{ "application/x-pie-executable", "ELF" },
		{ "application/x-sharedlib", "ELF" },
		{ "application/x-object", "ELF" },
		{ "application/x-coredump", "ELF" },
		{ "application/x-mach-binary", "MACH-O" },
		{ "text/x-php", "PHP" },
		{ "text/x-python", "Python" },
		{ "text/x-script.python", "Python" },
		{ "text/rtf", "RTF" },
		{ "application/x-dmp", "MDMP" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(mime, map[i].mime) == 0)
			return map[i].type;
	return "";
}

static const char *
owner_name(struct engine *e, uid_t uid)
{
	struct owner_cache *oc;
	struct passwd pw, *res = NULL;
	char buf[1024];
	unsigned i;

	for (i = 0; i < 8; i++)
		if (e->owners[i].valid && e->owners[i].uid == uid)
			return e->owners[i].name;
	oc = &e->owners[e->owner_next++ % 8];
	oc->uid = uid;
	oc->valid = 1;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		snprintf(oc->name, sizeof(oc->name), "%s", pw.pw_name);
	else
		snprintf(oc->name, sizeof(oc->name), "%u", (unsigned)uid);
	return oc->name;
}

static void
define_vars(struct engine *e, const struct object *obj, const char *mime)
{
	const char *ext = vg_path_ext(obj->name);
	char extbuf[64] = "";
	char *dir = NULL;
	size_t i;

	if (ext && strlen(ext) < sizeof(extbuf) - 1) {
		extbuf[0] = '.';
		for (i = 0; ext[i]; i++)
			extbuf[i + 1] = (char)(ext[i] >= 'A' && ext[i] <= 'Z' ? ext[i] + 32 : ext[i]);
		extbuf[i + 1] = '\0';
	}
	if (obj->depth == 0) {
		const char *slash = strrchr(obj->path, '/');

		dir = slash ? strndup(obj->path, (size_t)(slash - obj->path)) : strdup("");
	}
	yr_scanner_define_string_variable(e->yr, "filename", obj->name);
	yr_scanner_define_string_variable(e->yr, "filepath", dir ? dir : obj->path);
	yr_scanner_define_string_variable(e->yr, "extension", extbuf);
	yr_scanner_define_string_variable(e->yr, "filetype", loki_filetype(mime));
	yr_scanner_define_string_variable(e->yr, "owner", owner_name(e, obj->uid));
	/* filename IOCs test the path on disk, once: not again for each archive member */
	yr_scanner_define_string_variable(e->yr, "fullpath", obj->depth == 0 ? obj->path : "");
	free(dir);
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

static void
push_result(struct scan_ctx *c, struct result *r)
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
		t = magic_buffer(e->magic_text, data, probe);
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
		allowed = scanner_allow_match(e->c->o->allow, sha256, r->name ? r->name : "");
		if (allowed == NULL && obj->depth > 0 && !scanner_allow_empty(e->c->o->allow))
			allowed = scanner_allow_match(e->c->o->allow, top_sha256(e, obj), "");
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
		push_result(e->c, r);
	}
}

static void
clear_matches(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->nm; i++) {
		free(e->m[i].name);
		free(e->m[i].ns);
		free(e->m[i].meta);
	}
	e->nm = 0;
}

static const char *
yara_reason(int rc)
{
	switch (rc) {
	case ERROR_SCAN_TIMEOUT:
		return "rule matching took longer than the scan timeout";
	case ERROR_INSUFFICIENT_MEMORY:
		return "out of memory while matching rules";
	case ERROR_TOO_MANY_MATCHES:
		return "too many string matches";
	case ERROR_CALLBACK_ERROR:
		return "out of memory while recording matches";
	default:
		return "rule matching failed";
	}
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
	define_vars(e, obj, mime);
	e->nm = 0;
	rc = yr_scanner_scan_mem(e->yr, data, len);
	if (rc == ERROR_COULD_NOT_MAP_FILE) {
		/* libyara caught the SIGBUS of a mapped file that shrank under it: only the
		 * top-level mapping can fault (members are in memory), so stop this file */
		clear_matches(e);
		scan_problem(c, obj->path, NULL, 0, "error",
			     "the file shrank while it was being scanned");
		return;
	}
	if (rc != ERROR_SUCCESS)
		scan_problem(c, obj->path, obj->member, obj->member_len,
			     rc == ERROR_SCAN_TIMEOUT ? "limit" : "error", "%s (yara error %d)",
			     yara_reason(rc), rc);
	if (sigdb_hashes(c->db) != NULL)
		match_hashes(e, data, len);
	if (e->nm > 0) {
		/* a detection reports the full type (text/x-php, not text/plain) */
		if (partial)
			object_type(e, data, len, 1, mime, sizeof(mime));
		emit_threats(e, data, len, obj, mime);
	}
	clear_matches(e);
	if (c->o->archives && unpack_is_container(mime, data, len)) {
		if (obj->depth >= c->o->max_depth)
			scan_problem(c, obj->path, obj->member, obj->member_len, "limit",
				     "archive nested deeper than %d levels: not unpacked",
				     c->o->max_depth);
		else
			unpack_scan(e, data, len, obj);
	}
}

static int
open_job(struct job *j)
{
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME;
	int fd;

	if (j->dir)
		flags |= O_NOFOLLOW;
	for (;;) {
		fd = j->dir ? openat(j->dir->fd, vg_path_basename(j->path), flags)
			    : open(j->path, flags);
		if (fd >= 0 || errno != EPERM || !(flags & O_NOATIME))
			return fd;
		flags &= ~O_NOATIME; /* not the owner: O_NOATIME is refused */
	}
}

static void
scan_mapped(struct engine *e, int fd, size_t size, const struct object *obj)
{
	sigjmp_buf jb;
	unsigned char *volatile map;

	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		scan_problem(e->c, obj->path, NULL, 0, "error", "cannot map the file: %s",
			     strerror(errno));
		return;
	}
	if (sigsetjmp(jb, 1) != 0) {
		bus_jump = NULL;
		munmap(map, size);
		clear_matches(e);
		/* the YARA scanner was left mid-scan: start a fresh one */
		yr_scanner_destroy(e->yr);
		e->yr = NULL;
		if (yr_scanner_create(sigdb_rules(e->c->db), &e->yr) == ERROR_SUCCESS) {
			yr_scanner_set_callback(e->yr, yr_callback, e);
			yr_scanner_set_timeout(e->yr, e->c->o->scan_timeout);
		}
		scan_problem(e->c, obj->path, NULL, 0, "error",
			     "the file shrank while it was being scanned");
		return;
	}
	bus_jump = &jb;
	obj->budget->top_data = map;
	engine_scan_object(e, map, size, obj);
	bus_jump = NULL;
	munmap(map, size);
}

/* An inventory row (inv: its metadata), with the digests when the file was read (b). */
static void
emit_inv(struct engine *e, const char *path, const struct store_inv *inv, const struct budget *b)
{
	struct result *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->path = strdup(path)) == NULL ||
	    (scan_location() && (r->location = strdup(scan_location())) == NULL)) {
		result_free(r);
		return;
	}
	r->kind = RES_FILE;
	r->path_len = strlen(path);
	r->inv = *inv;
	if (b != NULL && b->top_digests) {
		r->have_digests = 1;
		memcpy(r->sha256, b->top_sha256, sizeof(r->sha256));
		memcpy(r->sha1, b->top_sha1, sizeof(r->sha1));
		memcpy(r->md5, b->top_md5, sizeof(r->md5));
		r->type = strdup(b->top_type);
	}
	push_result(e->c, r);
}

/* The inventory row of a file: stat as seen before reading, digests when it was read. */
static void
emit_file(struct engine *e, int fd, const char *path, const struct stat *st,
	  const struct budget *b)
{
	struct store_inv inv;
	struct statx sx;

	memset(&inv, 0, sizeof(inv));
	inv.size = st->st_size;
	inv.mode = st->st_mode;
	inv.uid = st->st_uid;
	inv.gid = st->st_gid;
	inv.dev = (int64_t)st->st_dev;
	inv.ino = (int64_t)st->st_ino;
	inv.nlink = (int64_t)st->st_nlink;
	inv.atime_ns = (int64_t)st->st_atim.tv_sec * 1000000000 + st->st_atim.tv_nsec;
	inv.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	inv.ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	/* the birth time does not change when the file is read: asking now is exact */
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME)) {
		inv.have_btime = 1;
		inv.btime_ns = (int64_t)sx.stx_btime.tv_sec * 1000000000 + sx.stx_btime.tv_nsec;
	}
	emit_inv(e, path, &inv, b);
}

/* Read (or map) and scan the open regular file fd; path names it in results. */
static void
scan_open_file(struct engine *e, int fd, const char *path, const struct stat *st)
{
	struct scan_ctx *c = e->c;
	struct budget budget = { 0 };
	struct object obj;

	e->have_ident = 1;
	vg_ident_from_stat(&e->ident, st);
	if (c->o->max_filesize && (uint64_t)st->st_size > c->o->max_filesize) {
		scan_problem(c, path, NULL, 0, "skipped",
			     "larger than the file size limit (%lld > %llu bytes)",
			     (long long)st->st_size, (unsigned long long)c->o->max_filesize);
		if (e->verdict)
			e->verdict->skipped = 1;
		if (c->o->inventory)
			emit_file(e, fd, path, st, NULL);
		return;
	}
	obj.path = path;
	obj.path_len = strlen(path);
	obj.member = NULL;
	obj.member_len = 0;
	obj.name = vg_path_basename(path);
	obj.depth = 0;
	obj.budget = &budget;
	obj.uid = st->st_uid;
	obj.have_mtime = 1;
	obj.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	budget.top_size = (uint64_t)st->st_size;

	if ((uint64_t)st->st_size <= READ_MAX) {
		size_t want = (size_t)st->st_size, got;
		ssize_t r;

		if (want > e->cap || e->buf == NULL) {
			size_t cap = want > 65536 ? want : 65536;
			unsigned char *b = realloc(e->buf, cap);

			if (b == NULL) {
				scan_problem(c, path, NULL, 0, "error", "out of memory");
				if (e->verdict)
					e->verdict->errors++;
				return;
			}
			e->buf = b;
			e->cap = cap;
		}
		r = vg_read_full(fd, e->buf, want); /* a fresh fd: from the start */
		if (r < 0) {
			scan_problem(c, path, NULL, 0, "error", "cannot read: %s", strerror(errno));
			if (e->verdict)
				e->verdict->errors++;
			if (c->o->inventory)
				emit_file(e, fd, path, st, NULL);
			return;
		}
		got = (size_t)r;
		atomic_fetch_add(&c->files, 1);
		atomic_fetch_add(&c->bytes, (long long)got);
		if (e->verdict)
			e->verdict->bytes = (int64_t)got;
		budget.top_data = e->buf;
		budget.top_size = got;
		engine_scan_object(e, e->buf, got, &obj);
	} else {
		atomic_fetch_add(&c->files, 1);
		atomic_fetch_add(&c->bytes, (long long)st->st_size);
		if (e->verdict)
			e->verdict->bytes = st->st_size;
		scan_mapped(e, fd, (size_t)st->st_size, &obj);
	}
	if (c->o->inventory)
		emit_file(e, fd, path, st, &budget);
}

/* A file the scan has finished with, whatever came of it: a resumed scan skips it. */
static void
push_done(struct scan_ctx *c, const char *path)
{
	struct result *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->path = strdup(path)) == NULL) {
		free(r);
		return;
	}
	r->kind = RES_DONE;
	r->path_len = strlen(path);
	push_result(c, r);
}

/* Remember a file scanned clean (no detection, no problem) in the scan cache. */
static void
push_clean(struct scan_ctx *c, const struct stat *st)
{
	struct result *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return;
	r->kind = RES_CACHE;
	r->clean = (struct store_cache_entry){
		(int64_t)st->st_dev, (int64_t)st->st_ino, st->st_size,
		(int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
		(int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec,
	};
	push_result(c, r);
}

/*
 * Was the file left alone while it was read? A rewrite within the same coarse ctime tick as
 * the stat before the read (Debian 12's stock kernel) would otherwise be cached as clean:
 * its ctime, size or mtime read again after the scan must not have moved.
 */
static int
unchanged_since(struct scan_ctx *c, int fd, const struct stat *before)
{
	struct vg_ident a, b;
	struct stat now;

	if ((c->o->restat ? c->o->restat(fd, &now) : fstat(fd, &now)) != 0)
		return 0;
	vg_ident_from_stat(&a, before);
	vg_ident_from_stat(&b, &now);
	return vg_ident_same(&a, &b);
}

void
engine_scan_file(struct engine *e, struct job *j)
{
	struct scan_ctx *c = e->c;
	struct stat st;
	int fd = open_job(j);

	if (j->dir) {
		dirref_release(j->dir);
		j->dir = NULL;
	}
	if (fd < 0) {
		int en = errno;

		if (en == ELOOP)
			scan_problem(c, j->path, NULL, 0, "skipped",
				     "replaced by a symbolic link during the scan: not followed");
		else if (en == ENOENT)
			scan_problem(c, j->path, NULL, 0, "error", "vanished during the scan");
		else
			scan_problem(c, j->path, NULL, 0, "error", "cannot open: %s", strerror(en));
	} else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		scan_problem(c, j->path, NULL, 0, "skipped", "not a regular file: not opened for reading");
	} else if (c->o->cache && !c->o->inventory && scanner_cache_hit(c->o->cache, &st)) {
		/* unchanged since it was scanned clean: covered by this scan, not read */
		atomic_fetch_add(&c->files, 1);
		atomic_fetch_add(&c->cached, 1);
	} else {
		int problems = scan_problems_here();
		int64_t detections = e->detections;

		e->root_len = j->root_len;
		scan_open_file(e, fd, j->path, &st);
		if (c->o->cache_tag && problems == scan_problems_here() &&
		    detections == e->detections && !scan_should_stop(c) && unchanged_since(c, fd, &st))
			push_clean(c, &st);
	}
	if (fd >= 0)
		close(fd);
	if (c->o->progress)
		push_done(c, j->path);
}

void
engine_scan_image(struct engine *e, struct job *j)
{
	struct scan_ctx *c = e->c;
	struct image_obj *im = j->img;
	struct budget budget = { 0 };
	struct object obj = { 0 };

	scan_set_location(im->location);
	e->have_ident = 0;
	e->root_len = 0;
	if (im->read) {
		obj.path = j->path;
		obj.path_len = strlen(j->path);
		obj.name = vg_path_basename(j->path);
		obj.budget = &budget;
		obj.uid = (uid_t)im->inv.uid;
		obj.have_mtime = 1;
		obj.mtime_ns = im->inv.mtime_ns;
		budget.top_data = im->data;
		budget.top_size = im->len;
		atomic_fetch_add(&c->files, 1);
		atomic_fetch_add(&c->bytes, (long long)im->len);
		engine_scan_object(e, im->data, im->len, &obj);
	}
	if (c->o->inventory)
		emit_inv(e, j->path, &im->inv, im->read ? &budget : NULL);
	if (c->o->progress)
		push_done(c, j->path);
	scan_set_location(NULL);
}

void
engine_scan_fd(struct engine *e, int fd, const char *path, struct scanner_verdict *v)
{
	struct stat st;

	memset(v, 0, sizeof(*v));
	e->verdict = v;
	e->root_len = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		v->skipped = 1;
	} else {
		vg_ident_from_stat(&v->ident, &st);
		scan_open_file(e, fd, path, &st);
	}
	e->verdict = NULL;
}

void
engine_record(struct engine *e, const char *action)
{
	size_t i;

	for (i = 0; i < e->nheld; i++) {
		e->held[i]->action = action;
		push_result(e->c, e->held[i]);
	}
	e->nheld = 0;
}
