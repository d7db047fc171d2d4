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
#include "common/shm.h"

/* ---------------------------------------------------------------- output queues */

static int outq_init(struct riskd_outq *q, struct hat_ring *ring)
{
	memset(q, 0, sizeof *q);
	q->ring = ring;
	q->slots = calloc(RISKD_OUTQ, sizeof *q->slots);
	return q->slots ? 0 : -ENOMEM;
}

static void outq_free(struct riskd_outq *q)
{
	free(q->slots);
	q->slots = NULL;
	q->n = 0;
}

/* Pushes queued messages in order until the ring is full. Returns 0 or -EPROTO. */
static int outq_flush(struct riskd_outq *q)
{
	while (q->n > 0) {
		struct hat_msg_hdr *m = (struct hat_msg_hdr *)q->slots[q->head];
		int rc = hat_ring_push_msg(q->ring, m);
		if (rc == -EAGAIN)
			return 0;
		if (rc != 0 && rc != -EMSGSIZE && rc != -EINVAL)
			return rc;
		/* A message that can never fit is dropped rather than blocking the queue. */
		if (rc != 0)
			q->dropped++;
		q->head = (q->head + 1) % RISKD_OUTQ;
		q->n--;
	}
	return 0;
}

/* Sends m now if nothing is queued and the ring has room, else queues a copy. */
static int outq_send(struct riskd_outq *q, struct hat_msg_hdr *m)
{
	if (m->length > sizeof q->slots[0]) {
		q->dropped++;
		return -EMSGSIZE;
	}
	if (q->n == 0) {
		int rc = hat_ring_push_msg(q->ring, m);
		if (rc != -EAGAIN)
			return rc;
	}
	if (q->n == RISKD_OUTQ) {
		q->dropped++;
		return -ENOBUFS;
	}
	memcpy(q->slots[(q->head + q->n) % RISKD_OUTQ], m, m->length);
	q->n++;
	q->queued_total++;
	return 0;
}

static int out_exec(void *user, struct hat_msg_hdr *m)
{
	return outq_send(&((struct riskd *)user)->q_order, m);
}

static int out_signal(void *user, struct hat_msg_hdr *m)
{
	return outq_send(&((struct riskd *)user)->q_position, m);
}

static void out_log(void *user, int level, const char *event, const char *text)
{
	struct riskd *d = user;
	hat_log(&d->log, level, event, "msg=%s", text);
}

/* ---------------------------------------------------------------- control block */

static int reg(struct riskd *d, const char *name, struct hat_counter *c)
{
	return hat_counter_register(d->stage, name, c);
}

static int register_counters(struct riskd *d)
{
	struct riskd_counters *k = &d->k;
	int rc = 0;
#define R(f) rc |= reg(d, #f, &k->f)
	R(intents_in); R(approved); R(approved_cancels); R(rejected); R(exec_in); R(fills);
	R(dup_fills); R(exch_rejects); R(positions_out); R(snapshots_in); R(snapshots_bad);
	R(snapshots_out); R(cancel_alls); R(commands); R(ignored); R(out_drops); R(bad_msgs);
	R(seq_gaps); R(seq_lost); R(seq_dups); R(state_transitions); R(trading_state);
	R(state_cause); R(open_orders); R(queued_order); R(queued_position);
#undef R
	for (unsigned r = 1; r < RISK_REASON_SLOTS; r++) {
		const char *n = hat_reason_name(r);
		char name[HAT_CTL_NAME_LEN];
		if (strncmp(n, "RISK_", 5) == 0)
			n += 5;
		int len = snprintf(name, sizeof name, "rejected.%s", n);
		for (int i = 9; i < len && i < (int)sizeof name; i++)
			name[i] = (char)tolower((unsigned char)name[i]);
		rc |= reg(d, name, &k->rejected_by[r]);
	}
	rc |= hat_hist_register(d->stage, "check_ns", &k->check_ns);
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

/* The before-sleep chore: heartbeat, state, counters (every heartbeat_ms). */
static void publish_control(struct riskd *d, uint64_t mono)
{
	const struct risk_counters *c = &d->eng.c;
	struct riskd_counters *k = &d->k;
	hat_stage_heartbeat(d->stage, mono);
	hat_stage_set_state(d->stage, stage_state(d));
	hat_stage_set_ready(d->stage, d->eng.ready);
	hat_counter_set(k->intents_in, c->intents_in);
	hat_counter_set(k->approved, c->approved);
	hat_counter_set(k->approved_cancels, c->approved_cancels);
	hat_counter_set(k->rejected, c->rejected);
	for (unsigned r = 1; r < RISK_REASON_SLOTS; r++)
		hat_counter_set(k->rejected_by[r], c->rejected_by[r]);
	hat_counter_set(k->exec_in, c->exec_in);
	hat_counter_set(k->fills, c->fills);
	hat_counter_set(k->dup_fills, c->dup_fills);
	hat_counter_set(k->exch_rejects, c->exch_rejects);
	hat_counter_set(k->positions_out, c->positions_out);
	hat_counter_set(k->snapshots_in, c->snapshots_in);
	hat_counter_set(k->snapshots_bad, c->snapshots_bad);
	hat_counter_set(k->snapshots_out, c->snapshots_out);
	hat_counter_set(k->cancel_alls, c->cancel_alls);
	hat_counter_set(k->commands, c->commands);
	hat_counter_set(k->ignored, c->ignored);
	hat_counter_set(k->out_drops, c->out_drops + d->q_order.dropped + d->q_position.dropped);
	hat_counter_set(k->bad_msgs, d->bad_msgs);
	hat_counter_set(k->seq_gaps, d->seq_gaps);
	hat_counter_set(k->seq_lost, d->seq_lost);
	hat_counter_set(k->seq_dups, d->seq_dups);
	hat_counter_set(k->state_transitions, d->eng.state.transitions);
	hat_counter_set(k->trading_state, d->eng.state.st);
	hat_counter_set(k->state_cause, d->eng.state.cause);
	hat_counter_set(k->open_orders, risk_book_open_orders(&d->eng.book));
	hat_counter_set(k->queued_order, d->q_order.n);
	hat_counter_set(k->queued_position, d->q_position.n);
	d->last_hb_mono = mono;
}

/* ---------------------------------------------------------------- init / deinit */

static int attach(struct riskd *d, struct hat_ring *r, const char *name, int role,
                  uint32_t slot, char *err, size_t errlen)
{
	char e[192];
	int rc = hat_ring_attach(r, d->instance, name, role, slot, 0, e, sizeof e);
	if (rc)
		snprintf(err, errlen, "ring %s: %s", name, e);
	return rc;
}

int riskd_init(struct riskd *d, const char *config_path, const char *instance, int log_level,
               char *err, size_t errlen)
{
	int rc;
	char e[256];
	memset(d, 0, sizeof *d);
	for (int i = 0; i < RISK_MAX_COINS; i++)
		d->board_idx[i] = -1;
	hat_log_init_fd(&d->log, "riskd", STDERR_FILENO, log_level);
	hat_log_rl_init(&d->rl_bad, 0, HAT_NS_PER_S);
	hat_log_rl_init(&d->rl_gap, 0, HAT_NS_PER_S);
	hat_seq_check_init(&d->seq_intent);
	hat_seq_check_init(&d->seq_exec);
	hat_seq_check_init(&d->seq_cmd);
	hat_msg_rejects_init(&d->rej_intent);
	hat_msg_rejects_init(&d->rej_exec);
	hat_msg_rejects_init(&d->rej_cmd);

	rc = hat_config_load(&d->cfg, &d->doc, config_path, err, errlen);
	if (rc)
		return rc;
	rc = risk_config_load(&d->doc, &d->cfg, &d->file, &d->ecfg, err, errlen);
	if (rc)
		goto fail;
	snprintf(d->instance, sizeof d->instance, "%s", instance ? instance : d->cfg.instance);

	rc = hat_control_open(&d->control, d->instance, 0, e, sizeof e);
	if (rc) {
		snprintf(err, errlen, "%s", e);
		goto fail;
	}
	d->stage = hat_control_stage(&d->control, HAT_STAGE_RISKD);
	hat_stage_begin(d->stage, getpid(), hat_mono_ns(), hat_now_ns());
	rc = register_counters(d);
	if (rc) {
		snprintf(err, errlen, "control block: counter table full");
		goto fail;
	}
	d->ecfg.restart_count = d->stage->restart_count;

	rc = hat_board_open(&d->board, d->instance, HAT_SHM_RDONLY, e, sizeof e);
	if (rc) {
		snprintf(err, errlen, "%s", e);
		goto fail;
	}
	if ((rc = attach(d, &d->r_intent, RISKD_RING_INTENT, HAT_RING_CONSUMER, HAT_SLOT_INTENT,
	                 err, errlen)) ||
	    (rc = attach(d, &d->r_order, RISKD_RING_ORDER, HAT_RING_PRODUCER, HAT_SLOT_ORDER,
	                 err, errlen)) ||
	    (rc = attach(d, &d->r_exec, RISKD_RING_EXEC, HAT_RING_CONSUMER, HAT_SLOT_EXEC,
	                 err, errlen)) ||
	    (rc = attach(d, &d->r_position, RISKD_RING_POSITION, HAT_RING_PRODUCER,
	                 HAT_SLOT_POSITION, err, errlen)) ||
	    (rc = attach(d, &d->r_cmd, RISKD_RING_CMD, HAT_RING_CONSUMER, HAT_SLOT_CMD, err,
	                 errlen)))
		goto fail;
	if (outq_init(&d->q_order, &d->r_order) || outq_init(&d->q_position, &d->r_position)) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}

	struct risk_out out = { d, out_exec, out_signal, out_log };
	rc = risk_engine_init(&d->eng, &d->ecfg, &out, hat_now_ns(), e, sizeof e);
	if (rc) {
		snprintf(err, errlen, "%s: riskd: %s", d->doc.path, e);
		goto fail;
	}
	d->engine_up = true;
	hat_log(&d->log, HAT_LOG_INFO, "start",
	        "instance=%s coins=%u restart_count=%u max_orders_per_s=%u", d->instance,
	        d->ecfg.limits.n_coins, d->ecfg.restart_count, d->ecfg.order_rate_per_s);
	risk_engine_start(&d->eng, hat_now_ns());
	publish_control(d, hat_mono_ns());
	return 0;
fail:
	riskd_deinit(d);
	return rc;
}

void riskd_deinit(struct riskd *d)
{
	if (d->stage) {
		publish_control(d, hat_mono_ns());
		hat_stage_set_state(d->stage, HAT_STATE_STOPPED);
	}
	if (d->engine_up)
		risk_engine_free(&d->eng);
	d->engine_up = false;
	outq_free(&d->q_order);
	outq_free(&d->q_position);
	hat_ring_detach(&d->r_intent);
	hat_ring_detach(&d->r_order);
	hat_ring_detach(&d->r_exec);
	hat_ring_detach(&d->r_position);
	hat_ring_detach(&d->r_cmd);
	hat_board_close(&d->board);
	hat_control_close(&d->control);
	d->stage = NULL;
	hat_config_doc_free(&d->doc);
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
			hat_log(&d->log, HAT_LOG_WARN, "bad_msg", "ring_seq=%llu error=%s",
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
			hat_log(&d->log, HAT_LOG_WARN, "seq_gap", "seq=%llu lost=%llu",
			        (unsigned long long)h->seq, (unsigned long long)sc->last_gap);
	}
	return 0;
}

static int take_cmds(struct riskd *d)
{
	unsigned n = hat_ring_peek_n(&d->r_cmd, RISKD_BATCH);
	for (unsigned i = 0; i < n; i++) {
		const void *slot = hat_ring_slot_at(&d->r_cmd, i);
		char why[128];
		bool invalid;
		if (accept_msg(d, &d->rej_cmd, &d->seq_cmd, slot, HAT_SLOT_CMD, HAT_MSGS_CMD, why,
		               sizeof why, &invalid) || invalid)
			continue;
		const struct hat_msg_control *c = slot;
		hat_log(&d->log, HAT_LOG_INFO, "command", "cmd=%s from=%s text=%.*s",
		        hat_ctl_cmd_name(c->cmd), hat_stage_name(c->from_stage),
		        (int)strnlen(c->text, sizeof c->text), c->text);
		risk_engine_command(&d->eng, c, hat_now_ns());
	}
	hat_ring_release_n(&d->r_cmd, n);
	return (int)n;
}

static int take_exec(struct riskd *d)
{
	unsigned n = hat_ring_peek_n(&d->r_exec, RISKD_BATCH);
	for (unsigned i = 0; i < n; i++) {
		const void *slot = hat_ring_slot_at(&d->r_exec, i);
		char why[128];
		bool invalid;
		if (accept_msg(d, &d->rej_exec, &d->seq_exec, slot, HAT_SLOT_EXEC, HAT_MSGS_EXEC, why,
		               sizeof why, &invalid) || invalid)
			continue;
		risk_engine_exec_msg(&d->eng, slot, hat_now_ns());
	}
	hat_ring_release_n(&d->r_exec, n);
	return (int)n;
}

static int take_intents(struct riskd *d)
{
	unsigned n = hat_ring_peek_n(&d->r_intent, RISKD_BATCH);
	for (unsigned i = 0; i < n; i++) {
		const struct hat_msg_hdr *h = hat_ring_slot_at(&d->r_intent, i);
		char why[128];
		bool invalid;
		if (accept_msg(d, &d->rej_intent, &d->seq_intent, h, HAT_SLOT_INTENT,
		               HAT_MSGS_INTENT, why, sizeof why, &invalid))
			continue;
		if (h->type == HAT_MSG_INTENT && h->length == sizeof(struct hat_msg_intent)) {
			/* Even an invalid intent gets a REJECT back: signald must learn its fate. */
			uint64_t t0 = hat_mono_ns();
			risk_engine_intent(&d->eng, (const struct hat_msg_intent *)h,
			                   invalid ? why : NULL, hat_now_ns());
			hat_hist_record(d->k.check_ns, hat_mono_ns() - t0);
		} else if (!invalid && h->type == HAT_MSG_CONTROL) {
			risk_engine_intent_ctl(&d->eng, (const struct hat_msg_control *)h, hat_now_ns());
		}
	}
	hat_ring_release_n(&d->r_intent, n);
	return (int)n;
}

/* ---------------------------------------------------------------- loop */

int riskd_run_once(struct riskd *d, int timeout_ms)
{
	int rc, work = 0;
	if ((rc = outq_flush(&d->q_order)) || (rc = outq_flush(&d->q_position)))
		return rc;
	read_marks(d);
	work += take_cmds(d);
	/* Input stops while output is queued: back-pressure instead of unbounded memory. */
	if (d->q_order.n == 0 && d->q_position.n == 0) {
		work += take_exec(d);
		if (d->q_order.n == 0 && d->q_position.n == 0)
			work += take_intents(d);
	}
	risk_engine_tick(&d->eng, hat_now_ns());
	uint64_t mono = hat_mono_ns();
	if (mono - d->last_hb_mono >= (uint64_t)d->file.heartbeat_ms * HAT_NS_PER_MS)
		publish_control(d, mono);
	if (work == 0 && timeout_ms > 0) {
		/* Nothing ready: sleep briefly (latency stays ~100 us, one core is not burned). */
		uint64_t ns = (uint64_t)timeout_ms * HAT_NS_PER_MS;
		hat_sleep_ns(ns < 100 * HAT_NS_PER_US ? ns : 100 * HAT_NS_PER_US);
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
		if (outq_flush(&d->q_order) || outq_flush(&d->q_position))
			break;
		if (d->q_order.n == 0 && d->q_position.n == 0 && take_exec(d) == 0)
			break;
		hat_sleep_ns(100 * HAT_NS_PER_US);
	} while (hat_mono_ns() < end);
	while ((d->q_order.n || d->q_position.n) && hat_mono_ns() < end) {
		if (outq_flush(&d->q_order) || outq_flush(&d->q_position))
			break;
		if (d->q_order.n || d->q_position.n)
			hat_sleep_ns(100 * HAT_NS_PER_US);
	}
	publish_control(d, hat_mono_ns());
	hat_log(&d->log, HAT_LOG_INFO, "drained", "approved=%llu rejected=%llu queued_left=%u",
	        (unsigned long long)d->eng.c.approved, (unsigned long long)d->eng.c.rejected,
	        d->q_order.n + d->q_position.n);
	return d->q_order.n || d->q_position.n ? -ETIMEDOUT : 0;
}
