/*
 * fleet/push.c — the database as a sink of rows (push and import), fleet push, fleet init,
 * and the queries across hosts.
 */
#include "fleet/fleet_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static enum vg_err
pg_host(struct fleet_sink *s, json_t *host, struct vg_error *err)
{
	struct fleet_pgsink *p = (struct fleet_pgsink *)s;
	char *doc = json_dumps(host, JSON_COMPACT);
	const char *params[1] = { doc };
	const char *guid = json_string_value(json_object_get(host, "machine_guid"));
	enum vg_err e;

	if (doc == NULL || guid == NULL) {
		free(doc);
		return vg_error_set(err, VG_INVAL, "the host has no machine_guid");
	}
	snprintf(p->guid, sizeof(p->guid), "%s", guid);
	e = fleet_db_exec(p->db, fleet_sql_register, 1, params, "register the host", NULL, err);
	free(doc);
	return e;
}

static enum vg_err
pg_rows(struct fleet_sink *s, const char *kind, json_t *rows, struct vg_error *err)
{
	struct fleet_pgsink *p = (struct fleet_pgsink *)s;
	char *doc = json_dumps(rows, JSON_COMPACT);
	const char *params[3] = { p->guid, kind, doc };
	const char *key = fleet_count_key(kind);
	char what[64];
	PGresult *r;
	enum vg_err e;

	if (doc == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	snprintf(what, sizeof(what), "store %s rows", kind);
	e = fleet_db_exec(p->db, fleet_sql_push, 3, params, what, &r, err);
	free(doc);
	/* rows the database did not have, or had at an older revision */
	if (e == VG_OK && p->changed && PQntuples(r) == 1)
		json_object_set_new(p->changed, key,
				    json_integer(json_integer_value(json_object_get(p->changed, key)) +
						 strtoll(PQgetvalue(r, 0, 0), NULL, 10)));
	PQclear(r);
	return e;
}

enum vg_err
fleet_pgsink_begin(struct fleet_pgsink *p, const char *url, struct vg_error *err)
{
	enum vg_err e;

	memset(p, 0, sizeof(*p));
	p->changed = fleet_counts_new();
	json_object_del(p->changed, "hosts");
	p->sink.host = pg_host;
	p->sink.rows = pg_rows;
	p->db = &p->conn;
	e = fleet_db_open(url, p->db, err);
	if (e == VG_OK)
		e = fleet_db_check(p->db, err);
	if (e == VG_OK)
		e = fleet_db_exec(p->db, "BEGIN", 0, NULL, "begin a transaction", NULL, err);
	if (e != VG_OK) {
		fleet_db_close(p->db);
		json_decref(p->changed);
		p->changed = NULL;
	}
	return e;
}

enum vg_err
fleet_pgsink_end(struct fleet_pgsink *p, int commit, struct vg_error *err)
{
	enum vg_err e = VG_OK;

	if (p->db->c == NULL)
		return VG_OK;
	if (commit)
		e = fleet_db_exec(p->db, "COMMIT", 0, NULL, "commit", NULL, err);
	else
		PQclear(PQexec(p->db->c, "ROLLBACK"));
	fleet_db_close(p->db);
	return e;
}

enum vg_err
fleet_push(const struct fleet_host *h, const char *url, json_t **sent, struct vg_error *err)
{
	struct fleet_pgsink p;
	struct fleet_marks next;
	json_t *counts;
	char where[sizeof(p.conn.where)];
	enum vg_err e;

	*sent = NULL;
	e = fleet_pgsink_begin(&p, url, err);
	if (e != VG_OK)
		return e;
	snprintf(where, sizeof(where), "%s", p.db->where);
	counts = fleet_counts_new();
	e = fleet_collect(h, &fleet_push_keys, &p.sink, counts, &next, err);
	/* the watermarks move only once the database has committed */
	if (e == VG_OK)
		e = fleet_pgsink_end(&p, 1, err);
	else
		fleet_pgsink_end(&p, 0, NULL);
	if (e == VG_OK)
		e = fleet_marks_save(h, &fleet_push_keys, &next, err);
	if (e != VG_OK) {
		json_decref(counts);
		json_decref(p.changed);
		return e;
	}
	*sent = json_pack("{s:s, s:o, s:o, s:I}", "database", where, "sent", counts, "changed",
			  p.changed, "watermark", (json_int_t)next.rev);
	return VG_OK;
}

enum vg_err
fleet_init(const char *url, json_t **done, struct vg_error *err)
{
	struct fleet_db db;
	PGresult *r = NULL;
	long from = 0, v;
	enum vg_err e;

	*done = NULL;
	e = fleet_db_open(url, &db, err);
	if (e != VG_OK)
		return e;
	/* one transaction, under a lock: two administrators at once apply each step once */
	e = fleet_db_exec(&db, "BEGIN", 0, NULL, "begin a transaction", NULL, err);
	if (e == VG_OK)
		e = fleet_db_exec(&db, fleet_sql_lock, 0, NULL, "take the schema lock", NULL, err);
	if (e == VG_OK)
		e = fleet_db_exec(&db, fleet_sql_prepare, 0, NULL, "create the schema", NULL, err);
	if (e == VG_OK)
		e = fleet_db_exec(&db, fleet_sql_version, 0, NULL, "read the schema version", &r,
				  err);
	if (e == VG_OK) {
		from = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		if (from > (long)fleet_nmigrations)
			e = vg_error_set(err, VG_IO, "fleet database %s: its schema is version %ld, "
					 "newer than this vigil knows (%zu)", db.where, from,
					 fleet_nmigrations);
	}
	for (v = from; e == VG_OK && v < (long)fleet_nmigrations; v++) {
		char num[24];
		const char *params[1] = { num };

		snprintf(num, sizeof(num), "%ld", v + 1);
		e = fleet_db_exec(&db, fleet_migrations[v], 0, NULL, "upgrade the schema", NULL, err);
		if (e == VG_OK)
			e = fleet_db_exec(&db, fleet_sql_record, 1, params, "record the schema version",
					  NULL, err);
	}
	if (e == VG_OK)
		e = fleet_db_exec(&db, fleet_sql_grants, 0, NULL, "create the roles and grants", NULL,
				  err);
	if (e == VG_OK)
		e = fleet_db_exec(&db, "COMMIT", 0, NULL, "commit", NULL, err);
	if (e == VG_OK)
		*done = json_pack("{s:s, s:I, s:I, s:[sss]}", "database", db.where, "schema_from",
				  (json_int_t)from, "schema_version", (json_int_t)fleet_nmigrations,
				  "roles", "vigil_push", "vigil_import", "vigil_read");
	fleet_db_close(&db);
	return e;
}

static enum vg_err
query(const char *url, const char *sql, int n, const char *const *params, const char *what,
      json_t **out, struct vg_error *err)
{
	struct fleet_db db;
	enum vg_err e;

	*out = NULL;
	e = fleet_db_open(url, &db, err);
	if (e == VG_OK)
		e = fleet_db_check(&db, err);
	if (e == VG_OK)
		e = fleet_db_rows(&db, sql, n, params, what, out, err);
	fleet_db_close(&db);
	return e;
}

enum vg_err
fleet_hosts(const char *url, json_t **out, struct vg_error *err)
{
	return query(url, fleet_sql_hosts, 0, NULL, "list the hosts", out, err);
}

enum vg_err
fleet_threats(const char *url, const struct fleet_filter *f, json_t **out, struct vg_error *err)
{
	const char *params[4] = { f->sha256, f->name, f->host, f->since };

	return query(url, fleet_sql_threats, 4, params, "list the threats", out, err);
}
