/*
 * fleet/collect.c — what this host has not sent yet, read in one snapshot of the store: the
 * host, then each kind of row in revision order, in batches, then the new lines of the
 * event log (events.jsonl, from the byte where the last send stopped). The watermarks move
 * only when the caller says the sink has kept everything (fleet_marks_save).
 */
#include "fleet/fleet_int.h"

#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/host.h"
#include "core/jsonx.h"
#include "core/statedir.h"
#include "core/store.h"

#define BATCH_ROWS 1000
#define EVENTS "events.jsonl"
#define EVENT_LINE_MAX (1 << 20)

const struct fleet_marks_keys fleet_push_keys = {
	STORE_FLEET_PUSH_REV, STORE_FLEET_PUSH_INVENTORY_REV, "fleet.push.events"
};
const struct fleet_marks_keys fleet_export_keys = {
	STORE_FLEET_EXPORT_REV, STORE_FLEET_EXPORT_INVENTORY_REV, "fleet.export.events"
};

static const struct {
	const char *kind, *count;
} count_keys[] = {
	{ "host", "hosts" },	     { "scan", "scans" },	    { "threat", "threats" },
	{ "problem", "problems" },   { "quarantine", "quarantine" }, { "inventory", "inventory" },
	{ "gone", "removed" },	     { "event", "events" },
};

const char *
fleet_count_key(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof(count_keys) / sizeof(count_keys[0]); i++)
		if (strcmp(kind, count_keys[i].kind) == 0)
			return count_keys[i].count;
	return kind;
}

json_t *
fleet_counts_new(void)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < sizeof(count_keys) / sizeof(count_keys[0]); i++)
		json_object_set_new(o, count_keys[i].count, json_integer(0));
	return o;
}

static void
count_add(json_t *counts, const char *kind, size_t n)
{
	const char *key = fleet_count_key(kind);

	json_object_set_new(counts, key,
			    json_integer(json_integer_value(json_object_get(counts, key)) +
					 (json_int_t)n));
}

/*
 * PostgreSQL's jsonb holds no NUL character: a string with one (rule metadata may have it)
 * gets it written as the four characters \x00, as vigil writes any byte it cannot print.
 */
static void
clean(json_t *v)
{
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, e)
			clean(e);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			clean(e);
	} else if (json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v)) {
		char *t = vg_text_escape(json_string_value(v), json_string_length(v));

		if (t)
			json_string_set(v, t);
		free(t);
	}
}

struct batch {
	struct fleet_sink *sink;
	const char *kind;
	json_t *rows, *counts;
	struct vg_error *err;
	enum vg_err e;
};

static int
flush(struct batch *b)
{
	if (json_array_size(b->rows) == 0)
		return 0;
	b->e = b->sink->rows(b->sink, b->kind, b->rows, b->err);
	if (b->e == VG_OK)
		count_add(b->counts, b->kind, json_array_size(b->rows));
	json_array_clear(b->rows);
	return b->e != VG_OK;
}

static int
add_row(json_t *row, void *ctx)
{
	struct batch *b = ctx;

	clean(row);
	json_array_append(b->rows, row);
	return json_array_size(b->rows) >= BATCH_ROWS ? flush(b) : 0;
}

static int64_t
meta_int(struct store *st, const char *key)
{
	struct vg_error e = { 0 };
	char *v = NULL;
	int64_t n = 0;

	if (store_meta_get(st, key, &v, &e) == VG_OK && v)
		n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

/*
 * The event log's lines after the mark "dev:ino:offset" (from the start when the file is
 * another one, or shorter), up to its size now; each is sent as {digest, doc}, the digest
 * (SHA-256 of the line) being its key in the fleet database.
 */
static enum vg_err
send_events(const struct fleet_host *h, const char *mark, struct batch *b, char *next,
	    size_t nextlen)
{
	unsigned long long dev = 0, ino = 0;
	struct vg_error why;
	long long off = 0;
	struct stat sb;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int fd;

	b->kind = "event";
	vg_error_init(&why);
	fd = vg_state_open(h->state_dir, EVENTS, O_RDONLY, 0, &why);
	if (fd < 0) {
		/* no event log yet: nothing to send */
		snprintf(next, nextlen, "%s", mark ? mark : "");
		return why.code == VG_NOENT ? VG_OK
					    : vg_error_set(b->err, why.code, "%s", vg_error_msg(&why));
	}
	if (fstat(fd, &sb) != 0 || (f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return vg_error_set(b->err, VG_IO, "cannot read %s/%s", h->state_dir, EVENTS);
	}
	if (mark == NULL || sscanf(mark, "%llu:%llu:%lld", &dev, &ino, &off) != 3 ||
	    dev != (unsigned long long)sb.st_dev || ino != (unsigned long long)sb.st_ino ||
	    off > (long long)sb.st_size || off < 0)
		off = 0;
	if (fseeko(f, off, SEEK_SET) != 0)
		off = 0;
	while (off < (long long)sb.st_size && (n = getline(&line, &cap, f)) > 0) {
		unsigned char d[32];
		char hex[65];
		json_t *doc;

		if (line[n - 1] != '\n' || off + n > (long long)sb.st_size)
			break; /* a line being written: the next send takes it */
		off += n;
		if (n > EVENT_LINE_MAX || (doc = json_loadb(line, (size_t)n, 0, NULL)) == NULL)
			continue;
		EVP_Digest(line, (size_t)n - 1, d, NULL, EVP_sha256(), NULL);
		vg_hex(d, 32, hex);
		clean(doc);
		json_array_append_new(b->rows, json_pack("{s:s, s:o}", "digest", hex, "doc", doc));
		if (json_array_size(b->rows) >= BATCH_ROWS && flush(b))
			break;
	}
	free(line);
	fclose(f);
	if (b->e == VG_OK)
		flush(b);
	snprintf(next, nextlen, "%llu:%llu:%lld", (unsigned long long)sb.st_dev,
		 (unsigned long long)sb.st_ino, off);
	return b->e;
}

static json_t *
host_doc(const struct fleet_host *h, const char *pub, struct vg_error *err)
{
	struct vg_host host;
	char *guid = NULL;
	json_t *doc;

	if (store_machine_guid(h->st, &guid, err) != VG_OK)
		return NULL;
	vg_host_read(&host);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "machine_guid", guid, "hostname",
			host.hostname, "org_id", h->org_id ? h->org_id : "", "app_version",
			h->app_version ? h->app_version : "", "sig_version", (json_int_t)h->sig_version,
			"pubkey", pub);
	free(guid);
	if (doc)
		clean(doc);
	return doc;
}

enum vg_err
fleet_collect(const struct fleet_host *h, const struct fleet_marks_keys *keys,
	      struct fleet_sink *sink, json_t *counts, struct fleet_marks *next,
	      struct vg_error *err)
{
	struct batch b = { sink, NULL, json_array(), counts, err, VG_OK };
	int64_t lo, inv_lo, hi = 0;
	struct vg_error none;
	EVP_PKEY *key = NULL;
	char *pub = NULL, *events = NULL;
	json_t *host;
	enum vg_err e;
	int k;

	memset(next, 0, sizeof(*next));
	/* the key first: store_machine_guid may write the guid, outside the snapshot */
	e = fleet_hostkey(h->state_dir, &key, &pub, err);
	EVP_PKEY_free(key);
	if (e != VG_OK)
		goto out;
	host = host_doc(h, pub, err);
	if (host == NULL) {
		e = err->code ? err->code : VG_NOMEM;
		goto out;
	}
	e = store_begin_read(h->st, err);
	if (e == VG_OK)
		e = store_fleet_hi(h->st, &hi, err);
	if (e != VG_OK) {
		json_decref(host);
		goto out;
	}
	lo = meta_int(h->st, keys->rev);
	inv_lo = meta_int(h->st, keys->inventory_rev);
	vg_error_init(&none);
	store_meta_get(h->st, keys->events, &events, &none); /* absent: from the start */
	e = sink->host(sink, host, err);
	json_decref(host);
	if (e == VG_OK)
		count_add(counts, "host", 1);
	for (k = 0; e == VG_OK && k < STORE_FLEET__KINDS; k++) {
		int inv = k == STORE_FLEET_INVENTORY;

		if (inv && !h->inventory)
			continue;
		b.kind = store_fleet_kind_name((enum store_fleet_kind)k);
		e = store_fleet_foreach(h->st, (enum store_fleet_kind)k, inv ? inv_lo : lo, hi,
					add_row, &b, err);
		if (e == VG_INTERRUPTED || (e == VG_OK && flush(&b)))
			e = b.e;
	}
	if (e == VG_OK)
		e = send_events(h, events, &b, next->events, sizeof(next->events));
	store_rollback(h->st);
	next->rev = hi > lo ? hi : lo;
	next->inventory_rev = hi > inv_lo ? hi : inv_lo;
out:
	free(events);
	free(pub);
	json_decref(b.rows);
	return e;
}

enum vg_err
fleet_marks_save(const struct fleet_host *h, const struct fleet_marks_keys *keys,
		 const struct fleet_marks *next, struct vg_error *err)
{
	char n[32];
	enum vg_err e = store_begin(h->st, err);

	snprintf(n, sizeof(n), "%" PRId64, next->rev);
	if (e == VG_OK)
		e = store_meta_set(h->st, keys->rev, n, err);
	if (e == VG_OK && h->inventory) {
		snprintf(n, sizeof(n), "%" PRId64, next->inventory_rev);
		e = store_meta_set(h->st, keys->inventory_rev, n, err);
	}
	if (e == VG_OK && next->events[0])
		e = store_meta_set(h->st, keys->events, next->events, err);
	if (e == VG_OK)
		e = store_commit(h->st, err);
	else
		store_rollback(h->st);
	return e;
}
