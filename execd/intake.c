/* execd/intake.c -- orders and commands from riskd and superd; cancel-all (see daemon_int.h). */
#include "execd/daemon_int.h"

#include <errno.h>
#include <string.h>

static void start_cancel_all(struct execd *d, const char *why)
{
	uint32_t it = 0, n = 0;
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	while (n < d->file.fsm_capacity && exec_fsm_snapshot_next(&d->fsm, &it, 0, ev) == 1)
		memcpy(d->cancel_list[n++], ev[0].cloid, HAT_CLOID_LEN);
	d->n_cancel = n;
	d->cancel_next = 0;
	hat_log(&d->st.log, HAT_LOG_WARN, "cancel_all", "orders=%u why=%s", n, why);
}

static bool queue_cancel(struct execd *d, const uint8_t cloid[HAT_CLOID_LEN],
			 const struct hat_order_fields *fields, uint64_t risk_seq)
{
	const struct exec_order *o = exec_fsm_find(&d->fsm, cloid);
	/* Adopted from the exchange without a cloid (the FSM keys it by a synthetic one): the
	 * exchange knows it only by oid, and its asset only from the coin table. */
	bool by_oid = o && o->oid != 0 &&
	              (o->asset == UINT32_MAX || memcmp(cloid, "hat:oid:", 8) == 0);
	unsigned lane = by_oid ? EXEC_LANE_CANCEL_OID : EXEC_LANE_CANCEL;
	if (exec_router_full(&d->router, (int)lane))
		return false;
	struct hat_msg_order m;
	memset(&m, 0, sizeof m);
	hat_msg_init(&m.h, HAT_MSG_ORDER);
	if (fields) {
		m.o = *fields;
	} else {
		memcpy(m.o.cloid, cloid, HAT_CLOID_LEN);
		if (o)
			memcpy(m.o.coin, o->coin, HAT_COIN_LEN);
		m.o.kind = HAT_INTENT_CANCEL;
	}
	m.risk_seq = risk_seq;
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	int rc = exec_fsm_cancel(&d->fsm, &m, hat_now_ns(), now_ms(), ev);
	if (rc > 0) {
		execd__emit(d, rc, ev);
		return true;
	}
	if (rc != 0 || !o)
		return true;
	struct exec_item it;
	memset(&it, 0, sizeof it);
	it.lane = EXEC_LANE_CANCEL;
	memcpy(it.cloid, cloid, HAT_CLOID_LEN);
	it.asset = o->asset;
	if (by_oid) {
		const struct hl_coin *c = hl_meta_find_n(&d->meta, o->coin,
		                                         strnlen(o->coin, HAT_COIN_LEN));
		it.lane = EXEC_LANE_CANCEL_OID;
		it.oid = o->oid;
		it.asset = c ? c->asset : 0;
	}
	if (fields) {
		it.fields = *fields;
	} else {
		memcpy(it.fields.cloid, cloid, HAT_CLOID_LEN);
		memcpy(it.fields.coin, o->coin, HAT_COIN_LEN);
		it.fields.kind = HAT_INTENT_CANCEL;
		it.fields.asset = o->asset;
	}
	it.risk_seq = risk_seq;
	exec_router_add(&d->router, &it, hat_mono_ns() / 1000);
	return true;
}

void execd__cancel_all_pump(struct execd *d)
{
	while (d->cancel_next < d->n_cancel &&
	       queue_cancel(d, d->cancel_list[d->cancel_next], NULL, 0))
		d->cancel_next++;
}

/* Returns false when the order cannot be taken now (leave it in the ring). */
static bool take_order(struct execd *d, const struct hat_msg_order *m)
{
	const struct hat_order_fields *o = &m->o;
	uint64_t ns = hat_now_ns(), ms = now_ms();
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	if (o->kind == HAT_INTENT_CANCEL)
		return queue_cancel(d, o->cloid, o, m->risk_seq);
	unsigned lane = o->kind == HAT_INTENT_REPLACE ? EXEC_LANE_MODIFY : exec_router_new_lane(o);
	if (exec_router_full(&d->router, (int)lane))
		return false;
	d->c_orders_in++;
	if (d->halted) {
		execd__reject_order(d, m, HAT_REASON_RISK_HALTED, "execd halted");
		return true;
	}
	const struct hl_coin *coin = hl_meta_find_n(&d->meta, o->coin, strnlen(o->coin, HAT_COIN_LEN));
	if (!coin) {
		execd__reject_order(d, m, HAT_REASON_EXCH_OTHER, "unknown coin");
		return true;
	}
	if (!exec_ratelimit_allow(&d->rl_ex, mono_ms(), 1, 1, false)) {
		d->c_rate_limited++;
		execd__reject_order(d, m, HAT_REASON_EXCH_RATE_LIMIT, "execd backing off (rate limit)");
		return true;
	}
	struct exec_item it;
	memset(&it, 0, sizeof it);
	it.lane = (uint8_t)lane;
	if (exec_order_wire(o, coin->asset, &it.order) != 0) {
		execd__reject_order(d, m, HAT_REASON_RISK_BAD_INTENT, "bad order fields");
		return true;
	}
	int rc;
	if (o->kind == HAT_INTENT_REPLACE) {
		const struct exec_order *old = exec_fsm_find(&d->fsm, o->orig_cloid);
		rc = exec_fsm_modify(&d->fsm, m, ns, ms, ev);
		if (rc > 0) {
			execd__emit(d, rc, ev);
			return true;
		}
		it.oid = old ? old->oid : 0;
	} else {
		rc = exec_fsm_new(&d->fsm, m, ms);
	}
	if (rc == -EEXIST) {
		execd__reject_order(d, m, HAT_REASON_RISK_DUPLICATE_CLOID, "cloid already used");
		return true;
	}
	if (rc != 0) {
		execd__reject_order(d, m, HAT_REASON_EXCH_OTHER, "execd order table full");
		return true;
	}
	memcpy(it.cloid, o->cloid, HAT_CLOID_LEN);
	memcpy(it.orig_cloid, o->orig_cloid, HAT_CLOID_LEN);
	it.asset = coin->asset;
	it.fields = *o;
	it.fields.asset = coin->asset;
	it.origin_ns = m->h.origin_ns;
	it.risk_seq = m->risk_seq;
	exec_router_add(&d->router, &it, hat_mono_ns() / 1000);
	return true;
}

static void on_command(struct execd *d, const struct hat_msg_control *c)
{
	switch (c->cmd) {
	case HAT_CTL_HELLO:
	case HAT_CTL_STATE_REQUEST:
		d->snapshot_wanted = true;
		if (d->ready)
			execd__send_snapshot(d);
		return;
	case HAT_CTL_HALT:
	case HAT_CTL_ESCALATE:
		d->halted = true;
		start_cancel_all(d, c->text);
		return;
	case HAT_CTL_CANCEL_ALL:
		start_cancel_all(d, c->text);
		return;
	case HAT_CTL_RESUME:
		d->halted = false;
		return;
	case HAT_CTL_SHUTDOWN:
		d->shutdown = true;
		return;
	default:
		return;
	}
}

/* The ring seq of a message about to be consumed, checked against the expectation: a gap
 * (messages lost) is counted and logged; a duplicate or a replay (seq already consumed) is
 * counted, logged and must be dropped (returns false). The expectation moves only when the
 * message is consumed (seq_commit), since an order may wait in the ring and be peeked again. */
static bool seq_peek(struct execd *d, uint64_t seq, struct hat_seq_check *next)
{
	*next = d->seq_order;
	int rc = hat_seq_check(next, seq);
	if (rc == -EALREADY) {
		d->c_seq_dups++;
		if (hat_log_rl_allow(&d->rl_seq_dup, hat_mono_ns()))
			hat_log(&d->st.log, HAT_LOG_WARN, "seq_dup", "ring=%s seq=%llu expected=%llu",
			        "order", (unsigned long long)seq, (unsigned long long)d->seq_order.next);
		return false;
	}
	return true;
}

static void seq_commit(struct execd *d, uint64_t seq, const struct hat_seq_check *next)
{
	if (next->gaps > d->seq_order.gaps) {
		d->c_seq_gaps++;
		d->c_seq_lost += next->last_gap;
		if (hat_log_rl_allow(&d->rl_seq_gap, hat_mono_ns()))
			hat_log(&d->st.log, HAT_LOG_WARN, "seq_gap", "ring=%s seq=%llu lost=%llu",
			        "order", (unsigned long long)seq, (unsigned long long)next->last_gap);
	}
	d->seq_order = *next;
}

int execd__take_ring(struct execd *d)
{
	int n = 0;
	const void *slot;
	d->order_blocked = d->q.n != 0;
	while (n < EXECD_BATCH && d->q.n == 0 && hat_ring_peek(&d->r_order, &slot) == 0) {
		const struct hat_msg_hdr *h = slot;
		struct hat_seq_check next;
		char why[128];
		if (!seq_peek(d, h->seq, &next)) {
			hat_ring_release(&d->r_order);
			n++;
			continue;
		}
		if (hat_msg_accept(&d->rej_order, slot, HAT_SLOT_ORDER, HAT_MSGS_ORDER, why,
		                   sizeof why) != 0) {
			d->c_bad_msgs++;
			if (hat_log_rl_allow(&d->rl, hat_mono_ns()))
				hat_log(&d->st.log, HAT_LOG_WARN, "bad_msg", "seq=%llu error=%s",
				        (unsigned long long)h->seq, why);
			seq_commit(d, h->seq, &next);
			if (h->type == HAT_MSG_ORDER && h->length == sizeof(struct hat_msg_order))
				execd__reject_order(d, slot, HAT_REASON_RISK_BAD_INTENT, why);
			hat_ring_release(&d->r_order);
			n++;
			continue;
		}
		if (h->type == HAT_MSG_CONTROL) {
			seq_commit(d, h->seq, &next);
			on_command(d, slot);
		} else {
			/* Orders wait in the ring until execd is reconciled. */
			if (!d->ready || d->draining || !take_order(d, slot)) {
				d->order_blocked = true;
				break;
			}
			seq_commit(d, h->seq, &next);
		}
		hat_ring_release(&d->r_order);
		n++;
	}
	return n;
}

int execd__take_cmds(struct execd *d)
{
	struct hat_msg_control c;
	int n = 0;
	while (n < EXECD_BATCH && hat_daemon_poll_cmd(&d->st, &c) == 1) {
		n++;
		hat_log(&d->st.log, HAT_LOG_INFO, "command", "cmd=%s from=%s",
		        hat_ctl_cmd_name(c.cmd), hat_stage_name(c.from_stage));
		on_command(d, &c);
	}
	return n;
}
