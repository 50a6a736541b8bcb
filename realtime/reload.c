/*
 * realtime/reload.c — live signature reload: the rule set in force, a thread that notices a
 * new sig_version in the store (import, remove, rollback, update) or a SIGHUP, loads the new
 * set off the event path through sigdb_open (the one rule-loading path, with its digest
 * check) and swaps it in. The swap is a pointer change under a mutex; every scan takes a
 * reference on the set it starts with, so scans in flight finish on the old set, which is
 * destroyed by whichever release is its last. A set that fails to load leaves the one in
 * force, and the reason is logged.
 */
#include "realtime/rtp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define TICK_MS 100

struct rules {
	pthread_mutex_t lock;		/* cur, and the status fields below */
	struct ruleset *cur;
	atomic_llong version;		/* cur->sig_version, read without the lock */
	struct scanner_session *root;
	int nworkers;
	pthread_mutex_t types_lock;
	json_t *file_types;
	int64_t reloads, failures, failed_version;
	char *last_error;
	int64_t last_error_at;
	/* the watching thread */
	pthread_t tid;
	int watching;
	atomic_int stop;
	char *state_dir;
	int poll_ms;
	volatile sig_atomic_t *hup;
};

static void
set_destroy(struct rules *h, struct ruleset *g)
{
	int i;

	if (g == NULL)
		return;
	pthread_mutex_lock(&h->types_lock);
	for (i = 0; g->sw && i < h->nworkers; i++)
		scanner_worker_destroy(g->sw[i], h->file_types);
	pthread_mutex_unlock(&h->types_lock);
	free(g->sw);
	if (g->derived)
		scanner_session_close(g->session, NULL, NULL);
	sigdb_release(g->db);
	free(g);
}

/* A set over db (retained) with its workers; session NULL: derived from the root. */
static enum vg_err
set_create(struct rules *h, struct sigdb *db, struct scanner_session *session,
	   struct ruleset **out, struct vg_error *err)
{
	struct ruleset *g = calloc(1, sizeof(*g));
	enum vg_err e = VG_OK;
	int i;

	*out = NULL;
	if (g == NULL || (g->sw = calloc((size_t)h->nworkers, sizeof(*g->sw))) == NULL) {
		free(g);
		return vg_error_set(err, VG_NOMEM, "out of memory");
	}
	atomic_init(&g->refs, 1);
	g->db = sigdb_retain(db);
	g->sig_version = sigdb_version(db);
	g->rules = sigdb_rule_count(db);
	g->loaded_at = (int64_t)time(NULL);
	if (session != NULL) {
		g->session = session;
	} else {
		e = scanner_session_derive(h->root, db, &g->session, err);
		g->derived = e == VG_OK;
	}
	for (i = 0; e == VG_OK && i < h->nworkers; i++)
		e = scanner_worker_create(g->session, &g->sw[i], err);
	if (e != VG_OK) {
		set_destroy(h, g);
		return e;
	}
	*out = g;
	return VG_OK;
}

enum vg_err
rules_create(struct scanner_session *root, struct sigdb *db, int nworkers, json_t *file_types,
	     struct rules **out, struct vg_error *err)
{
	struct rules *h = calloc(1, sizeof(*h));
	enum vg_err e;

	*out = NULL;
	if (h == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->types_lock, NULL);
	h->root = root;
	h->nworkers = nworkers > 0 ? nworkers : 1;
	h->file_types = file_types;
	h->failed_version = -1;
	e = set_create(h, db, root, &h->cur, err);
	if (e != VG_OK) {
		rules_destroy(h);
		return e;
	}
	atomic_store(&h->version, h->cur->sig_version);
	*out = h;
	return VG_OK;
}

struct ruleset *
rules_acquire(struct rules *h)
{
	struct ruleset *g;

	pthread_mutex_lock(&h->lock);
	g = h->cur;
	atomic_fetch_add(&g->refs, 1);
	pthread_mutex_unlock(&h->lock);
	return g;
}

void
rules_release(struct rules *h, struct ruleset *g)
{
	/* the holder's reference goes only after the set is no longer in force: nobody can
	 * take a new one once the count reaches 0 */
	if (g != NULL && atomic_fetch_sub(&g->refs, 1) == 1)
		set_destroy(h, g);
}

int64_t
rules_version(struct rules *h)
{
	return atomic_load(&h->version);
}

enum vg_err
rules_swap_in(struct rules *h, struct sigdb *db, struct vg_error *err)
{
	struct ruleset *g, *old;
	enum vg_err e = set_create(h, db, NULL, &g, err);

	if (e != VG_OK)
		return e;
	pthread_mutex_lock(&h->lock);
	old = h->cur;
	h->cur = g;
	atomic_store(&h->version, g->sig_version);
	h->reloads++;
	h->failed_version = -1;
	pthread_mutex_unlock(&h->lock);
	rules_release(h, old);
	return VG_OK;
}

static void
note_failure(struct rules *h, int64_t version, const char *why, const struct vg_error *err)
{
	int64_t in_force;

	pthread_mutex_lock(&h->lock);
	h->failures++;
	h->failed_version = version;
	free(h->last_error);
	h->last_error = strdup(vg_error_msg(err));
	h->last_error_at = (int64_t)time(NULL);
	in_force = h->cur->sig_version;
	pthread_mutex_unlock(&h->lock);
	vg_log(VG_LOG_ERROR, "signatures not reloaded (%s): %s; sig_version %lld stays in force",
	       why, vg_error_msg(err), (long long)in_force);
}

enum vg_err
rules_reload(struct rules *h, struct store *st, const char *state_dir, const char *why,
	     struct vg_error *err)
{
	struct sigdb *db = NULL;
	char *v = NULL;
	int64_t version = -1, old = rules_version(h);
	enum vg_err e;
	struct vg_error e2;

	vg_error_init(&e2);
	if (store_meta_get(st, "sig_version", &v, &e2) == VG_OK && v != NULL)
		version = strtoll(v, NULL, 10);
	free(v);
	e = sigdb_open(st, state_dir, &db, err);
	if (e == VG_OK) {
		e = rules_swap_in(h, db, err);
		sigdb_release(db);
	}
	if (e != VG_OK) {
		note_failure(h, version, why, err);
		return e;
	}
	vg_log(VG_LOG_INFO, "signatures reloaded (%s): sig_version %lld in force (was %lld)", why,
	       (long long)rules_version(h), (long long)old);
	return VG_OK;
}

static void *
watch_main(void *arg)
{
	struct rules *h = arg;
	struct store *st = NULL;
	int64_t waited = 0;
	struct vg_error err;

	vg_error_init(&err);
	if (store_open(h->state_dir, &st, &err) != VG_OK) {
		vg_log(VG_LOG_ERROR, "live signature reload is off: %s", vg_error_msg(&err));
		return NULL;
	}
	while (!atomic_load(&h->stop)) {
		char *v = NULL, why[64];
		int64_t version, failed;

		usleep(TICK_MS * 1000);
		waited += TICK_MS;
		vg_error_init(&err);
		if (h->hup && *h->hup) {
			*h->hup = 0;
			rules_reload(h, st, h->state_dir, "SIGHUP", &err);
			waited = 0;
			continue;
		}
		if (waited < h->poll_ms)
			continue;
		waited = 0;
		if (store_meta_get(st, "sig_version", &v, &err) != VG_OK || v == NULL) {
			free(v);
			continue;
		}
		version = strtoll(v, NULL, 10);
		free(v);
		pthread_mutex_lock(&h->lock);
		failed = h->failed_version;
		pthread_mutex_unlock(&h->lock);
		/* a version that failed to load is tried again on SIGHUP, not every poll */
		if (version == rules_version(h) || version == failed)
			continue;
		snprintf(why, sizeof(why), "sig_version %lld in the store", (long long)version);
		rules_reload(h, st, h->state_dir, why, &err);
	}
	store_close(st);
	return NULL;
}

enum vg_err
rules_watch(struct rules *h, const char *state_dir, int poll_ms, volatile sig_atomic_t *hup,
	    struct vg_error *err)
{
	if ((h->state_dir = strdup(state_dir)) == NULL)
		return vg_error_set(err, VG_NOMEM, "out of memory");
	h->poll_ms = poll_ms > TICK_MS ? poll_ms : TICK_MS;
	h->hup = hup;
	if (pthread_create(&h->tid, NULL, watch_main, h) != 0)
		return vg_error_set(err, VG_NOMEM, "cannot start the signature reload thread");
	h->watching = 1;
	return VG_OK;
}

json_t *
rules_status(struct rules *h)
{
	char at[40] = "", err_at[40] = "";
	struct tm tm;
	time_t t;
	json_t *o;

	pthread_mutex_lock(&h->lock);
	t = (time_t)h->cur->loaded_at;
	if (gmtime_r(&t, &tm))
		strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:I, s:s, s:I, s:I, s:I}", "sig_version", (json_int_t)h->cur->sig_version,
		      "sig_loaded_at", at, "rules", (json_int_t)h->cur->rules, "sig_reloads",
		      (json_int_t)h->reloads, "sig_reload_failures", (json_int_t)h->failures);
	if (o && h->last_error) {
		t = (time_t)h->last_error_at;
		if (gmtime_r(&t, &tm))
			strftime(err_at, sizeof(err_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(o, "sig_reload_error",
				    json_pack("{s:s, s:s}", "message", h->last_error, "at", err_at));
	}
	pthread_mutex_unlock(&h->lock);
	return o;
}

void
rules_destroy(struct rules *h)
{
	if (h == NULL)
		return;
	atomic_store(&h->stop, 1);
	if (h->watching)
		pthread_join(h->tid, NULL);
	rules_release(h, h->cur);
	free(h->last_error);
	free(h->state_dir);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->types_lock);
	free(h);
}
