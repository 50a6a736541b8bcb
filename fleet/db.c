/* fleet/db.c — one connection to the fleet database, its errors in words, the schema check. */
#include "fleet/fleet_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first line of libpq's message, without "FATAL:  " and trailing blanks. */
static void
first_line(const char *msg, char *out, size_t n)
{
	const char *p = msg ? msg : "";
	size_t len;

	len = strcspn(p, "\n");
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\r'))
		len--;
	snprintf(out, n, "%.*s", (int)len, p);
}

static void
describe(PGconn *c, char *out, size_t n)
{
	const char *host = PQhost(c), *port = PQport(c), *user = PQuser(c), *db = PQdb(c);

	snprintf(out, n, "%s@%s:%s/%s", user && *user ? user : "?", host && *host ? host : "?",
		 port && *port ? port : "?", db && *db ? db : "?");
}

/* The server's notices ("schema vigil already exists, skipping") are not the user's business. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

enum vg_err
fleet_db_open(const char *url, struct fleet_db *db, struct vg_error *err)
{
	/* the URL's own settings come after, and win */
	static const char *const keys[] = { "connect_timeout", "application_name",
					    "client_encoding", "dbname", NULL };
	const char *vals[] = { "10", "vigil", "UTF8", url, NULL };
	char why[400];

	memset(db, 0, sizeof(*db));
	if (url == NULL || *url == '\0')
		return vg_error_set(err, VG_USAGE, "no fleet database: give --db URL or set "
				    "fleet.database_url (a libpq URI: postgresql://user@host/dbname)");
	db->c = PQconnectdbParams(keys, vals, 1);
	if (db->c == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	describe(db->c, db->where, sizeof(db->where));
	if (PQstatus(db->c) != CONNECTION_OK) {
		first_line(PQerrorMessage(db->c), why, sizeof(why));
		vg_error_set(err, VG_IO, "fleet database %s: cannot connect: %s", db->where, why);
		fleet_db_close(db);
		return VG_IO;
	}
	PQsetNoticeProcessor(db->c, quiet, NULL);
	return VG_OK;
}

void
fleet_db_close(struct fleet_db *db)
{
	if (db->c)
		PQfinish(db->c);
	db->c = NULL;
}

enum vg_err
fleet_db_exec(struct fleet_db *db, const char *sql, int n, const char *const *params,
	      const char *what, PGresult **res, struct vg_error *err)
{
	/* without parameters, the simple protocol: several statements (the schema) at once */
	PGresult *r = n == 0 ? PQexec(db->c, sql) : PQexecParams(db->c, sql, n, NULL, params, NULL,
								  NULL, 0);
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	char why[400];

	if (res)
		*res = NULL;
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		if (res)
			*res = r;
		else
			PQclear(r);
		return VG_OK;
	}
	first_line(r && PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
			   ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
			   : PQerrorMessage(db->c),
		   why, sizeof(why));
	vg_error_set(err, VG_IO, "fleet database %s: cannot %s: %s", db->where, what, why);
	PQclear(r);
	return VG_IO;
}

enum vg_err
fleet_db_check(struct fleet_db *db, struct vg_error *err)
{
	PGresult *r = PQexecParams(db->c, fleet_sql_version, 0, NULL, NULL, NULL, NULL, 0);
	const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	char state[8];
	long version;

	snprintf(state, sizeof(state), "%s", code ? code : "");

	if (r && PQresultStatus(r) == PGRES_TUPLES_OK) {
		version = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		if (version == (long)fleet_nmigrations)
			return VG_OK;
		if (version > (long)fleet_nmigrations)
			return vg_error_set(err, VG_IO, "fleet database %s: its schema is version %ld, "
					    "newer than this vigil knows (%zu): upgrade vigil",
					    db->where, version, fleet_nmigrations);
		return vg_error_set(err, VG_IO, "fleet database %s: its schema is version %ld of "
				    "%zu: run 'vigil fleet init --db URL' as the database owner",
				    db->where, version, fleet_nmigrations);
	}
	PQclear(r);
	/* 3F000 no schema vigil, 42P01 no table in it */
	if (strcmp(state, "3F000") == 0 || strcmp(state, "42P01") == 0)
		return vg_error_set(err, VG_IO, "fleet database %s: no vigil schema in it: run "
				    "'vigil fleet init --db URL' as the database owner", db->where);
	return fleet_db_exec(db, fleet_sql_version, 0, NULL, "read the schema version", NULL,
			     err);
}

enum vg_err
fleet_db_rows(struct fleet_db *db, const char *sql, int n, const char *const *params,
	      const char *what, json_t **out, struct vg_error *err)
{
	PGresult *r;
	enum vg_err e = fleet_db_exec(db, sql, n, params, what, &r, err);
	json_t *arr;
	int i;

	if (e != VG_OK)
		return e;
	arr = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		json_t *row = json_loads(PQgetvalue(r, i, 0), 0, NULL);

		if (row)
			json_array_append_new(arr, row);
	}
	PQclear(r);
	*out = arr;
	return VG_OK;
}
