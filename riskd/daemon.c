/* riskd/daemon.c -- riskd's shared-memory adapter around the engine (see daemon.h). */
#include "riskd/daemon.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/instance.h"
#include "common/shm.h"

/* ---------------------------------------------------------------- output queues */

static int out_exec(void *user, struct hat_msg_hdr *m)
{
	return hat_outq_send(&((struct riskd *)user)->q_order, m);
}

static int out_signal(void *user, struct hat_msg_hdr *m)
{
	return hat_outq_send(&((struct riskd *)user)->q_position, m);
}

static void out_log(void *user, int level, const char *event, const char *text)
{
	struct riskd *d = user;
	hat_log(&d->st.log, level, event, "msg=%s", text);
}

/* ---------------------------------------------------------------- control block */

static int add_stat(struct riskd *d, const char *name, const uint64_t *src, bool gauge)
{
	return hat_stats_add(&d->stats, d->st.blk, name, src, gauge);
}

static int register_counters(struct riskd *d)
{
	const struct risk_counters *c = &d->eng.c;
	int rc = 0;
#define T(f) rc |= add_stat(d, #f, &c->f, false)
	T(intents_in); T(approved); T(approved_cancels); T(rejected); T(exec_in); T(fills);
	T(dup_fills); T(exch_rejects); T(positions_out); T(snapshots_in); T(snapshots_bad);
	T(snapshots_out); T(cancel_alls); T(commands); T(ignored); T(signald_downs);
#undef T
	rc |= add_stat(d, "out_drops", &d->g_out_drops, false);
	rc |= add_stat(d, "bad_msgs", &d->bad_msgs, false);
	rc |= add_stat(d, "seq_gaps", &d->seq_gaps, false);
	rc |= add_stat(d, "seq_lost", &d->seq_lost, false);
	rc |= add_stat(d, "seq_dups", &d->seq_dups, false);
	rc |= add_stat(d, "state_transitions", &d->g_transitions, false);
	rc |= add_stat(d, "trading_state", &d->g_trading_state, true);
	rc |= add_stat(d, "state_cause", &d->g_state_cause, true);
	rc |= add_stat(d, "open_orders", &d->g_open_orders, true);
	rc |= add_stat(d, "queued_order", &d->g_queued_order, true);
	rc |= add_stat(d, "queued_position", &d->g_queued_position, true);
	for (unsigned r = 1; r < RISK_REASON_SLOTS; r++) {
		const char *n = hat_reason_name(r);
		char name[HAT_CTL_NAME_LEN];
		if (strncmp(n, "RISK_", 5) == 0)
			n += 5;
		int len = snprintf(name, sizeof name, "rejected.%s", n);
		for (int i = 9; i < len && i < (int)sizeof name; i++)
			name[i] = (char)tolower((unsigned char)name[i]);
		rc |= add_stat(d, name, &c->rejected_by[r], false);
	}
	rc |= hat_hist_register(d->st.blk, "check_ns", &d->check_ns);
	return rc ? -ENOSPC : 0;
}

static unsigned stage_state(const struct riskd *d)
{
	if (d->draining)
		return HAT_STATE_STOPPING;
	if (!d->eng.ready)
		return HAT_STATE_STARTING;
	switch (d->eng.state.st) {
	case HAT_TS_REDUCING: return HAT_STATE_DEGRADED;
	case HAT_TS_HALTED: return HAT_STATE_HALTED;
	default: return HAT_STATE_RUNNING;
	}
}

/* signald is alive while its block says it runs and its heartbeat is recent. */
static bool signald_alive(const struct riskd *d, uint64_t mono)
{
	return hat_stage_alive(&d->st.control, HAT_STAGE_SIGNALD,
			       (uint64_t)d->file.signald_timeout_ms * HAT_NS_PER_MS, mono);
}

/* The before-sleep chore (every heartbeat_ms): state, readiness, counters. */
static void publish_control(struct riskd *d, uint64_t mono)
{
	hat_daemon_set_state(&d->st, stage_state(d));
	hat_stage_set_ready(d->st.blk, d->eng.ready);
	d->g_out_drops = d->eng.c.out_drops + d->q_order.dropped + d->q_position.dropped;
	d->g_transitions = d->eng.state.transitions;
	d->g_trading_state = d->eng.state.st;
	d->g_state_cause = d->eng.state.cause;
	d->g_open_orders = risk_book_open_orders(&d->eng.book);
	d->g_queued_order = d->q_order.n;
	d->g_queued_position = d->q_position.n;
	hat_stats_publish(&d->stats);
	d->last_flush_mono = mono;
}

/* ---------------------------------------------------------------- init / deinit */

int riskd_init(struct riskd *d, const struct hat_daemon_args *a, char *err, size_t errlen)
{
	int rc;
	char e[256];
	memset(d, 0, sizeof *d);
	for (int i = 0; i < RISK_MAX_COINS; i++)
		d->board_idx[i] = -1;
	hat_log_rl_init(&d->rl_bad, 0, HAT_NS_PER_S);
	hat_log_rl_init(&d->rl_gap, 0, HAT_NS_PER_S);
	hat_seq_check_init(&d->seq_intent);
	hat_seq_check_init(&d->seq_exec);
	hat_msg_rejects_init(&d->rej_intent);
	hat_msg_rejects_init(&d->rej_exec);

	rc = hat_daemon_open(&d->st, HAT_STAGE_RISKD, a, err, errlen);
	if (rc)
		return rc;
	d->open = true;
	rc = risk_config_load(&d->st.doc, &d->st.cfg, &d->file, &d->ecfg, err, errlen);
	if (rc)
		goto fail;
	d->st.hb_interval_ns = (uint64_t)d->file.heartbeat_ms * HAT_NS_PER_MS;
	rc = register_counters(d);
	if (rc) {
		snprintf(err, errlen, "control block: counter table full");
		goto fail;
	}
	d->ecfg.restart_count = d->st.blk->restart_count;

	rc = hat_board_open(&d->board, d->st.cfg.instance, HAT_SHM_RDONLY, e, sizeof e);
	if (rc) {
		snprintf(err, errlen, "%s", e);
		goto fail;
	}
	if ((rc = hat_daemon_ring(&d->st, &d->r_intent, "intent", HAT_RING_CONSUMER, err, errlen)) ||
	    (rc = hat_daemon_ring(&d->st, &d->r_order, "order", HAT_RING_PRODUCER, err, errlen)) ||
	    (rc = hat_daemon_ring(&d->st, &d->r_exec, "exec", HAT_RING_CONSUMER, err, errlen)) ||
	    (rc = hat_daemon_ring(&d->st, &d->r_position, "position", HAT_RING_PRODUCER, err,
	                          errlen)))
		goto fail;
	if (hat_outq_init(&d->q_order, &d->r_order, RISKD_OUTQ, HAT_SLOT_EXEC) ||
	    hat_outq_init(&d->q_position, &d->r_position, RISKD_OUTQ, HAT_SLOT_EXEC)) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}

	struct risk_out out = { d, out_exec, out_signal, out_log };
	rc = risk_engine_init(&d->eng, &d->ecfg, &out, hat_now_ns(), e, sizeof e);
	if (rc) {
		snprintf(err, errlen, "%s: riskd: %s", d->st.doc.path, e);
		goto fail;
	}
	d->engine_up = true;
	hat_log(&d->st.log, HAT_LOG_INFO, "risk_start",
	        "coins=%u restart_count=%u max_orders_per_s=%u order_burst=%u",
	        d->ecfg.limits.n_coins, d->ecfg.restart_count, d->ecfg.order_rate_per_s,
	        d->ecfg.order_burst);
	risk_engine_start(&d->eng, hat_now_ns());
	publish_control(d, hat_mono_ns());
	return 0;
fail:
	riskd_deinit(d);
	return rc;
}

void riskd_deinit(struct riskd *d)
{
	if (d->open && d->engine_up)
		publish_control(d, hat_mono_ns());
	if (d->engine_up)
		risk_engine_free(&d->eng);
	d->engine_up = false;
	hat_outq_deinit(&d->q_order);
	hat_outq_deinit(&d->q_position);
	hat_ring_detach(&d->r_intent);
	hat_ring_detach(&d->r_order);
	hat_ring_detach(&d->r_exec);
	hat_ring_detach(&d->r_position);
	hat_board_close(&d->board);
	if (d->open)
		hat_daemon_close(&d->st);
	d->open = false;
}

/* ---------------------------------------------------------------- inputs */

/* Reads the board for every coin whose slot changed; a stale coin's mark is not refreshed,
 * so it ages out (RISK_STALE_MARK). */
static void read_marks(struct riskd *d)
{
	for (uint32_t i = 0; i < d->eng.book.n_coins; i++) {
		if (d->board_idx[i] < 0) {
			int idx = hat_board_find(&d->board, d->eng.book.coins[i].name);
			if (idx < 0)
				continue;
			d->board_idx[i] = idx;
		}
		uint32_t idx = (uint32_t)d->board_idx[i];
		uint64_t seq = hat_board_seq(&d->board, idx);
		if (seq == d->board_seq[i])
			continue;
		struct hat_board_quote q;
		if (hat_board_read(&d->board, idx, &q) != 0)
			continue;
		d->board_seq[i] = seq;
		if (d->eng.book.coins[i].asset == RISK_ASSET_UNKNOWN)
			risk_engine_set_asset(&d->eng, (int)i, q.asset);
		if (!q.stale && q.mid_px > 0)
			risk_engine_set_mark(&d->eng, (int)i, q.mid_px, q.update_ns);
	}
}

/* Validates a popped message and checks its seq. Returns 0 to handle it, 1 to drop it. */
static int accept_msg(struct riskd *d, struct hat_msg_rejects *rej, struct hat_seq_check *sc,
                      const void *slot, uint32_t slot_size, uint32_t allowed, char *why,
                      size_t whylen, bool *invalid)
{
	const struct hat_msg_hdr *h = slot;
	*invalid = false;
	int rc = hat_msg_accept(rej, slot, slot_size, allowed, why, whylen);
	if (rc) {
		*invalid = true;
		d->bad_msgs++;
		if (hat_log_rl_allow(&d->rl_bad, hat_mono_ns()))
			hat_log(&d->st.log, HAT_LOG_WARN, "bad_msg", "ring_seq=%llu error=%s",
			        (unsigned long long)h->seq, why);
	}
	rc = hat_seq_check(sc, h->seq);
	if (rc == -EALREADY) {
		d->seq_dups++;
		return 1;
	}
	if (rc == HAT_E_SEQGAP) {
		d->seq_gaps++;
		d->seq_lost += sc->last_gap;
		if (hat_log_rl_allow(&d->rl_gap, hat_mono_ns()))
			hat_log(&d->st.log, HAT_LOG_WARN, "seq_gap", "seq=%llu lost=%llu",
			        (unsigned long long)h->seq, (unsigned long long)sc->last_gap);
	}
	return 0;
}

static int take_cmds(struct riskd *d)
{
	struct hat_msg_control c;
	int n = 0;
	while (n < RISKD_BATCH && hat_daemon_poll_cmd(&d->st, &c) == 1) {
		n++;
		hat_log(&d->st.log, HAT_LOG_INFO, "command", "cmd=%s from=%s text=%.*s",
		        hat_ctl_cmd_name(c.cmd), hat_stage_name(c.from_stage),
		        (int)strnlen(c.text, sizeof c.text), c.text);
		risk_engine_command(&d->eng, &c, hat_now_ns());
	}
	return n;
}

/* Input rings are consumed one message at a time, peek -> handle -> release, so a riskd killed
 * mid-way finds at most the message it was handling again after its restart (ring.h). */
static int take_exec(struct riskd *d)
{
	int n = 0;
	const void *slot;
	while (n < RISKD_BATCH && d->q_order.n == 0 && d->q_position.n == 0 &&
	       hat_ring_peek(&d->r_exec, &slot) == 0) {
		char why[128];
		bool invalid;
		if (!accept_msg(d, &d->rej_exec, &d->seq_exec, slot, HAT_SLOT_EXEC, HAT_MSGS_EXEC,
		                why, sizeof why, &invalid) && !invalid)
			risk_engine_exec_msg(&d->eng, slot, hat_now_ns());
		hat_ring_release(&d->r_exec);
		n++;
	}
	return n;
}

static int take_intents(struct riskd *d)
{
	int n = 0;
	const void *slot;
	while (n < RISKD_BATCH && d->q_order.n == 0 && d->q_position.n == 0 &&
	       hat_ring_peek(&d->r_intent, &slot) == 0) {
		const struct hat_msg_hdr *h = slot;
		char why[128];
		bool invalid;
		n++;
		if (accept_msg(d, &d->rej_intent, &d->seq_intent, h, HAT_SLOT_INTENT,
		               HAT_MSGS_INTENT, why, sizeof why, &invalid)) {
			hat_ring_release(&d->r_intent);
			continue;
		}
		if (h->type == HAT_MSG_INTENT && h->length == sizeof(struct hat_msg_intent)) {
			/* Even an invalid intent gets a REJECT back: signald must learn its fate. */
			uint64_t t0 = hat_mono_ns();
			risk_engine_intent(&d->eng, (const struct hat_msg_intent *)h,
			                   invalid ? why : NULL, hat_now_ns());
			hat_hist_record(d->check_ns, hat_mono_ns() - t0);
		} else if (!invalid && h->type == HAT_MSG_CONTROL) {
			risk_engine_intent_ctl(&d->eng, (const struct hat_msg_control *)h, hat_now_ns());
		}
		hat_ring_release(&d->r_intent);
	}
	return n;
}

/* ---------------------------------------------------------------- loop */

/* Longest idle wait: the resolution of the engine's timers. */
#define RISKD_IDLE_MAX_NS (200 * HAT_NS_PER_US)

int riskd_run_once(struct riskd *d, int timeout_ms)
{
	int rc, work = 0;
	if ((rc = hat_outq_flush(&d->q_order)) || (rc = hat_outq_flush(&d->q_position)))
		return rc;
	read_marks(d);
	work += take_cmds(d);
	/* Input stops while output is queued (checked per message in take_*): back-pressure
	 * instead of unbounded memory. */
	work += take_exec(d);
	work += take_intents(d);
	risk_engine_tick(&d->eng, hat_now_ns());
	uint64_t mono = hat_mono_ns();
	hat_daemon_tick(&d->st, mono);
	/* On the heartbeat cadence, and at once when readiness changed: superd starts the next
	 * stage (and a restart ends) the moment we are ready, not at the next heartbeat. */
	if (mono - d->last_flush_mono >= d->st.hb_interval_ns ||
	    d->eng.ready != (d->st.blk->ready != 0)) {
		risk_engine_signald_alive(&d->eng, signald_alive(d, mono), hat_now_ns());
		publish_control(d, mono);
	}
	if (work == 0 && timeout_ms > 0) {
		/* Nothing ready: signald and execd wake us through the doorbell the moment they
		 * publish; the timeout paces the engine's timers and the output queues' retries. */
		struct hat_ring *const in[] = { &d->r_intent, &d->r_exec };
		uint64_t ns = (uint64_t)timeout_ms * HAT_NS_PER_MS;
		bool quiet = !d->q_order.n && !d->q_position.n && !d->eng.rerequest_at_ns &&
			     !d->eng.signal_hello_pending;
		hat_daemon_idle(&d->st, in, 2, ns < RISKD_IDLE_MAX_NS ? ns : RISKD_IDLE_MAX_NS,
				quiet);
	}
	return work > 0 ? 1 : 0;
}

int riskd_drain(struct riskd *d, int timeout_ms)
{
	d->draining = true;
	publish_control(d, hat_mono_ns());
	uint64_t end = hat_mono_ns() + (uint64_t)timeout_ms * HAT_NS_PER_MS;
	take_cmds(d);
	do {
		if (hat_outq_flush(&d->q_order) || hat_outq_flush(&d->q_position))
			break;
		if (d->q_order.n == 0 && d->q_position.n == 0 && take_exec(d) == 0)
			break;
		hat_sleep_ns(100 * HAT_NS_PER_US);
	} while (hat_mono_ns() < end);
	while ((d->q_order.n || d->q_position.n) && hat_mono_ns() < end) {
		if (hat_outq_flush(&d->q_order) || hat_outq_flush(&d->q_position))
			break;
		if (d->q_order.n || d->q_position.n)
			hat_sleep_ns(100 * HAT_NS_PER_US);
	}
	publish_control(d, hat_mono_ns());
	hat_log(&d->st.log, HAT_LOG_INFO, "drained", "approved=%llu rejected=%llu queued_left=%u",
	        (unsigned long long)d->eng.c.approved, (unsigned long long)d->eng.c.rejected,
	        d->q_order.n + d->q_position.n);
	return d->q_order.n || d->q_position.n ? -ETIMEDOUT : 0;
}
