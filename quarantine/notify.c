/*
 * quarantine/notify.c — who is told of items moving in and out of the vault (syslog: the
 * caller's quarantine_notify), once each move is done.
 */
#include "quarantine/quarantine_int.h"

void
quarantine_set_notify(struct vault *v, const struct quarantine_notify *n)
{
	v->notify = n ? *n : (struct quarantine_notify){ 0 };
}

void
vault_notify(struct vault *v, const char *what, int64_t id, const struct store_qitem *q,
	     const char *restored_to)
{
	struct store_qitem own;

	if (v->notify.fn == NULL)
		return;
	if (q == NULL) {
		if (store_q_get(v->st, id, &own, NULL) != VG_OK)
			return;
		v->notify.fn(v->notify.ctx, what, &own, restored_to);
		store_qitem_release(&own);
		return;
	}
	v->notify.fn(v->notify.ctx, what, q, restored_to);
}
