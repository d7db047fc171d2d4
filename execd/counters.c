/* execd/counters.c -- the control block: counters registered and published. */
#include "execd/daemon_int.h"

#include <errno.h>
#include <stdio.h>

static int add(struct execd *d, const char *name, const uint64_t *src, bool gauge)
{
	return hat_stats_add(&d->k.stats, d->st.blk, name, src, gauge);
}

int execd__register_counters(struct execd *d)
{
	struct execd_counters *k = &d->k;
	int rc = 0;
#define T(name, src) rc |= add(d, name, &(src), false)
	T("orders_in", d->c_orders_in); T("orders_sent", d->c_orders_sent);
	T("actions_sent", d->c_actions); T("acks", d->c_acks); T("rejects", d->c_rejects);
	T("fills", d->c_fills); T("dup_fills", d->fsm.c.dup_fills); T("cancels", d->c_cancels);
	T("cancel_rejects", d->c_cancel_rejects); T("replaced", d->c_replaced);
	T("retries", d->c_retries); T("transport_errors", d->http.transport_errors);
	T("timeouts", d->http.timeouts); T("rate_limited", d->c_rate_limited);
	T("reconciles", d->recon.passes); T("reconcile_failures", d->recon.failures);
	T("stream_reconnects", d->c_reconnects); T("snapshots_out", d->c_snapshots);
	T("dm_arms", d->dm.arms); T("dm_failures", d->dm.arm_failures);
	T("dm_triggers", d->dm.triggers); T("unknown_resolved", d->c_unknown_resolved);
	T("bad_msgs", d->c_bad_msgs); T("out_drops", d->q.dropped); T("ws_posts", d->c_ws_posts);
	T("old_fills", d->c_old_fills); T("seq_gaps", d->c_seq_gaps); T("seq_lost", d->c_seq_lost); T("seq_dups", d->c_seq_dups);
#undef T
	rc |= add(d, "in_flight", &k->g_in_flight, true);
	rc |= add(d, "ready", &k->g_ready, true);
	for (unsigned r = HAT_REASON_EXCH_TICK; r <= HAT_REASON_EXCH_TIMEOUT; r++) {
		char name[64];
		const char *n = hat_reason_name(r);
		int len = snprintf(name, sizeof name, "rejected.%s", n);
		for (int i = 9; i < len; i++)
			if (name[i] >= 'A' && name[i] <= 'Z')
				name[i] = (char)(name[i] - 'A' + 'a');
		rc |= add(d, name, &d->c_rejects_by[r - HAT_REASON_EXCH_TICK], false);
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
	k->g_in_flight = d->router.in_flight;
	k->g_ready = d->ready;
	hat_stats_publish(&k->stats);
	k->actions_shown = d->c_actions;
	d->last_flush_mono = mono;
}

void execd__publish_actions(struct execd *d)
{
	if (d->c_actions == d->k.actions_shown)
		return;
	hat_stats_publish(&d->k.stats);
	d->k.actions_shown = d->c_actions;
}
