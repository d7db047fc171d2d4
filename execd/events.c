/* execd/events.c -- exec events to riskd (output queue, counting), CONTROL messages, audit. */
#include "execd/daemon_int.h"

/* Exec events are never dropped while there is memory for them: straight into the ring when
 * it has room and nothing waits, else queued in order (common/outq.h). */
void execd__publish(struct execd *d, struct hat_msg_hdr *m)
{
	hat_outq_send(&d->q, m);
}


static void count_event(struct execd *d, const struct hat_msg_exec *ev)
{
	switch (ev->kind) {
	case HAT_EXEC_ACK: d->c_acks++; break;
	case HAT_EXEC_FILL: d->c_fills++; break;
	case HAT_EXEC_CANCELED: d->c_cancels++; break;
	case HAT_EXEC_CANCEL_REJECT: d->c_cancel_rejects++; break;
	case HAT_EXEC_REPLACED: d->c_replaced++; break;
	case HAT_EXEC_REJECT:
		d->c_rejects++;
		if (ev->reason >= HAT_REASON_EXCH_TICK && ev->reason <= HAT_REASON_EXCH_TIMEOUT)
			d->c_rejects_by[ev->reason - HAT_REASON_EXCH_TICK]++;
		break;
	default: break;
	}
}

/* Publishes the rc events an FSM call wrote (rc <= 0: none). */
void execd__emit(struct execd *d, int rc, struct hat_msg_exec *ev)
{
	for (int i = 0; i < rc && i < EXEC_FSM_MAX_EVENTS; i++) {
		count_event(d, &ev[i]);
		execd__publish(d, &ev[i].h);
	}
}

void execd__reject_order(struct execd *d, const struct hat_msg_order *o, uint16_t reason,
			 const char *text)
{
	struct hat_msg_exec ev[1];
	exec_fsm_reject_event(o, reason, text, hat_now_ns(), ev);
	execd__emit(d, 1, ev);
}

void execd__send_ctl(struct execd *d, uint16_t cmd, uint64_t arg, const char *text)
{
	struct hat_msg_control c;
	hat_msg_control_make(&c, cmd, HAT_STAGE_EXECD, d->st.blk ? d->st.blk->restart_count : 0,
			     arg, text, hat_now_ns());
	execd__publish(d, &c.h);
}

void execd__audit(struct execd *d, enum exec_audit_kind kind, uint64_t nonce, const char *body,
		  size_t len)
{
	char err[200];
	if (d->audit_open &&
	    exec_audit_append(&d->audit, kind, now_ms(), nonce, body, len, err, sizeof err) != 0 &&
	    hat_log_rl_allow(&d->rl, hat_mono_ns()))
		hat_log(&d->st.log, HAT_LOG_ERROR, "audit_failed", "error=%s", err);
}
