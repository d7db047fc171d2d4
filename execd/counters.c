/* execd/counters.c -- the control block: counters registered and published (see daemon_int.h). */
#include "execd/daemon_int.h"

#include <errno.h>
#include <stdio.h>

int execd__register_counters(struct execd *d)
{
	struct execd_counters *k = &d->k;
	int rc = 0;
#define R(f) rc |= hat_counter_register(d->st.blk, #f, &k->f)
	R(orders_in); R(orders_sent); R(actions_sent); R(acks); R(rejects); R(fills); R(dup_fills);
	R(cancels); R(cancel_rejects); R(replaced); R(in_flight); R(retries); R(transport_errors);
	R(timeouts); R(rate_limited); R(reconciles); R(reconcile_failures); R(stream_reconnects);
	R(snapshots_out); R(dm_arms); R(dm_failures); R(dm_triggers); R(unknown_resolved);
	R(bad_msgs); R(out_drops); R(ready); R(ws_posts);
#undef R
	for (unsigned r = HAT_REASON_EXCH_TICK; r <= HAT_REASON_EXCH_TIMEOUT; r++) {
		char name[64];
		const char *n = hat_reason_name(r);
		int len = snprintf(name, sizeof name, "rejected.%s", n);
		for (int i = 9; i < len; i++)
			if (name[i] >= 'A' && name[i] <= 'Z')
				name[i] = (char)(name[i] - 'A' + 'a');
		rc |= hat_counter_register(d->st.blk, name,
		                           &k->rejects_by[r - HAT_REASON_EXCH_TICK]);
	}
	rc |= hat_hist_register(d->st.blk, "request_ns", &k->request_ns);
	rc |= hat_hist_register(d->st.blk, "tick_to_order_ns", &k->tick_to_order_ns);
	return rc ? -ENOSPC : 0;
}

void execd__publish_control(struct execd *d, uint64_t mono)
{
	struct execd_counters *k = &d->k;
	unsigned state = d->draining ? HAT_STATE_STOPPING
	               : !d->ready ? HAT_STATE_STARTING
	               : d->halted ? HAT_STATE_HALTED : HAT_STATE_RUNNING;
	hat_daemon_set_state(&d->st, state);
	hat_stage_set_ready(d->st.blk, d->ready);
	hat_counter_set(k->orders_in, d->c_orders_in);
	hat_counter_set(k->orders_sent, d->c_orders_sent);
	hat_counter_set(k->actions_sent, d->c_actions);
	hat_counter_set(k->acks, d->c_acks);
	hat_counter_set(k->rejects, d->c_rejects);
	hat_counter_set(k->fills, d->c_fills);
	hat_counter_set(k->dup_fills, d->fsm.c.dup_fills);
	hat_counter_set(k->cancels, d->c_cancels);
	hat_counter_set(k->cancel_rejects, d->c_cancel_rejects);
	hat_counter_set(k->replaced, d->c_replaced);
	hat_counter_set(k->in_flight, d->router.in_flight);
	hat_counter_set(k->retries, d->c_retries);
	hat_counter_set(k->transport_errors, d->http.transport_errors);
	hat_counter_set(k->timeouts, d->http.timeouts);
	hat_counter_set(k->rate_limited, d->c_rate_limited);
	hat_counter_set(k->reconciles, d->recon.passes);
	hat_counter_set(k->reconcile_failures, d->recon.failures);
	hat_counter_set(k->stream_reconnects, d->c_reconnects);
	hat_counter_set(k->snapshots_out, d->c_snapshots);
	hat_counter_set(k->dm_arms, d->dm.arms);
	hat_counter_set(k->dm_failures, d->dm.arm_failures);
	hat_counter_set(k->dm_triggers, d->dm.triggers);
	hat_counter_set(k->unknown_resolved, d->c_unknown_resolved);
	hat_counter_set(k->bad_msgs, d->c_bad_msgs);
	hat_counter_set(k->out_drops, d->q.dropped);
	hat_counter_set(k->ready, d->ready);
	hat_counter_set(k->ws_posts, d->c_ws_posts);
	for (unsigned r = 0; r <= HAT_REASON_EXCH_TIMEOUT - HAT_REASON_EXCH_TICK; r++)
		hat_counter_set(k->rejects_by[r], d->c_rejects_by[r]);
	d->last_flush_mono = mono;
}
