/* tests/unit/test_risk_engine.c -- riskd's decision core: snapshot gating at start-up and after
 * an execd restart, approvals and rejections routed to the right ring with exact contents,
 * exec events forwarded with positions, commands, the kill switch, counters adding up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/msg.h"
#include "riskd/engine.h"

#define ONE HAT_FX_ONE
#define S 1000000000ULL
#define T0 (1700000000ULL * S) /* 2023-11-14T22:13:20Z */
#define MAXQ 64

struct q {
	unsigned n;
	unsigned char m[MAXQ][256] __attribute__((aligned(64)));
};

struct fx {
	struct risk_engine e;
	struct q exec, sig;
	unsigned logs;
	char last_log[256];
	char last_event[32];
	int refuse_signal;
};

static int cap(struct q *q, struct hat_msg_hdr *m)
{
	assert_true(q->n < MAXQ);
	assert_true(m->length <= 256);
	assert_true(m->seq == 0 && m->send_ns == 0);
	/* everything riskd emits must pass the receiver's validator */
	char err[160];
	if (hat_msg_validate(m, 256, err, sizeof err) != 0)
		fail_msg("riskd emitted an invalid message: %s", err);
	memcpy(q->m[q->n++], m, m->length);
	return 0;
}
static int out_exec(void *u, struct hat_msg_hdr *m) { return cap(&((struct fx *)u)->exec, m); }
static int out_sig(void *u, struct hat_msg_hdr *m)
{
	struct fx *f = u;
	if (f->refuse_signal)
		return -EAGAIN;
	return cap(&f->sig, m);
}
static void out_log(void *u, int level, const char *event, const char *text)
{
	struct fx *f = u;
	(void)level;
	f->logs++;
	snprintf(f->last_event, sizeof f->last_event, "%s", event);
	snprintf(f->last_log, sizeof f->last_log, "%s", text);
}

static void clear(struct fx *f)
{
	f->exec.n = 0;
	f->sig.n = 0;
}

static const struct hat_msg_hdr *at(struct q *q, unsigned i)
{
	assert_true(i < q->n);
	return (const struct hat_msg_hdr *)q->m[i];
}

static void cfg_default(struct risk_engine_cfg *c)
{
	memset(c, 0, sizeof *c);
	strcpy(c->coins[0], "BTC");
	strcpy(c->coins[1], "ETH");
	c->assets[0] = 0;
	c->assets[1] = 1;
	c->limits.n_coins = 2;
	for (int i = 0; i < 2; i++) {
		c->limits.coin[i] = (struct risk_coin_limits){
			.max_order_sz = 10 * ONE, .max_order_notional = 100000 * ONE,
			.max_position = 20 * ONE, .price_band_bps = 500, .max_open_orders = 10,
			.sz_decimals = i == 0 ? 5 : 4 };
	}
	c->limits.max_gross_notional = 1000000 * ONE;
	c->limits.max_net_notional = 1000000 * ONE;
	c->limits.max_open_orders = 20;
	c->limits.mark_max_age_ns = 5 * S;
	c->state = (struct risk_state_cfg){ .start_equity = 100000 * ONE,
		.max_daily_loss = 1000 * ONE, .max_drawdown_bps = 5000, .max_rejects = 3,
		.reject_window_ns = 60 * S, .stale_ns = 10 * S };
	c->order_rate_per_s = 100;
	c->order_burst = 5;
	c->cancel_rate_per_s = 100;
	c->cancel_burst = 5;
	c->max_working = 64;
	c->dedup_window = 64;
	c->recent_cloids = 64;
	c->position_publish_ns = 0;
	c->restart_count = 2;
}

static int setup(void **state)
{
	static struct fx f;
	memset(&f, 0, sizeof f);
	struct risk_engine_cfg c;
	cfg_default(&c);
	struct risk_out out = { &f, out_exec, out_sig, out_log };
	char err[128];
	assert_int_equal(risk_engine_init(&f.e, &c, &out, T0, err, sizeof err), 0);
	risk_engine_set_mark(&f.e, 0, 50000 * ONE, T0);
	risk_engine_set_mark(&f.e, 1, 2000 * ONE, T0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	risk_engine_free(&f->e);
	return 0;
}

/* ---------------------------------------------------------------- message builders */

static struct hat_msg_intent intent(uint8_t kind, uint8_t id, const char *coin, uint8_t side,
                                    int64_t px, int64_t sz)
{
	struct hat_msg_intent m;
	memset(&m, 0, sizeof m);
	m.h.type = HAT_MSG_INTENT;
	m.h.version = HAT_MSG_INTENT_VERSION;
	m.h.length = sizeof m;
	m.h.seq = 40 + id;
	m.h.origin_ns = T0 - 1000;
	m.o.cloid[15] = id;
	strcpy(m.o.coin, coin);
	m.o.asset = strcmp(coin, "ETH") == 0 ? 1 : 0;
	m.o.kind = kind;
	m.o.side = side;
	m.o.tif = HAT_TIF_GTC;
	m.o.strategy_id = 7;
	m.o.px = px;
	m.o.sz = sz;
	return m;
}

static struct hat_msg_control ctl(uint16_t cmd, uint64_t arg, uint8_t from, const char *text)
{
	struct hat_msg_control c;
	memset(&c, 0, sizeof c);
	c.h.type = HAT_MSG_CONTROL;
	c.h.version = HAT_MSG_CONTROL_VERSION;
	c.h.length = sizeof c;
	c.cmd = cmd;
	c.arg = arg;
	c.from_stage = from;
	if (text)
		snprintf(c.text, sizeof c.text, "%s", text);
	return c;
}

static struct hat_msg_exec exec_ev(uint8_t kind, uint8_t id, const char *coin, uint8_t side)
{
	struct hat_msg_exec x;
	memset(&x, 0, sizeof x);
	x.h.type = HAT_MSG_EXEC;
	x.h.version = HAT_MSG_EXEC_VERSION;
	x.h.length = sizeof x;
	x.h.seq = 900;
	x.cloid[15] = id;
	strcpy(x.coin, coin);
	x.asset = strcmp(coin, "ETH") == 0 ? 1 : 0;
	x.kind = kind;
	x.side = side;
	return x;
}

/* Feeds execd's snapshot: one open ETH sell order (id 90) and a BTC position of 1 @ 48000. */
static void snapshot_from_execd(struct fx *f, uint64_t rows_claimed, uint64_t now)
{
	struct hat_msg_control b = ctl(HAT_CTL_SNAPSHOT_BEGIN, 0, HAT_STAGE_EXECD, NULL);
	risk_engine_exec_msg(&f->e, &b.h, now);
	struct hat_msg_exec oo = exec_ev(HAT_EXEC_OPEN_ORDER, 90, "ETH", HAT_SIDE_SELL);
	oo.flags = HAT_EXEC_F_SNAPSHOT;
	oo.px = 2100 * ONE;
	oo.sz = 2 * ONE;
	oo.remaining_sz = 2 * ONE;
	oo.oid = 555;
	risk_engine_exec_msg(&f->e, &oo.h, now);
	struct hat_msg_position p;
	memset(&p, 0, sizeof p);
	p.h.type = HAT_MSG_POSITION;
	p.h.version = HAT_MSG_POSITION_VERSION;
	p.h.length = sizeof p;
	strcpy(p.coin, "BTC");
	p.flags = HAT_EXEC_F_SNAPSHOT;
	p.szi = 1 * ONE;
	p.entry_px = 48000 * ONE;
	p.realized_pnl = 12 * ONE;
	p.fees = 3 * ONE;
	risk_engine_exec_msg(&f->e, &p.h, now);
	struct hat_msg_control en = ctl(HAT_CTL_SNAPSHOT_END, rows_claimed, HAT_STAGE_EXECD, NULL);
	risk_engine_exec_msg(&f->e, &en.h, now);
}

static void make_ready(struct fx *f)
{
	risk_engine_start(&f->e, T0);
	snapshot_from_execd(f, 2, T0);
	assert_true(f->e.ready);
	clear(f);
}

/* ---------------------------------------------------------------- tests */

static void test_engine_start_requests_state_and_rejects_until_snapshot(void **state)
{
	struct fx *f = *state;
	risk_engine_start(&f->e, T0);
	assert_int_equal(f->exec.n, 2);
	const struct hat_msg_control *h = (const void *)at(&f->exec, 0);
	assert_int_equal(h->h.type, HAT_MSG_CONTROL);
	assert_int_equal(h->h.length, sizeof *h);
	assert_int_equal(h->cmd, HAT_CTL_HELLO);
	assert_int_equal(h->from_stage, HAT_STAGE_RISKD);
	assert_int_equal(h->restart_count, 2);
	assert_int_equal(h->arg, 2);
	const struct hat_msg_control *r = (const void *)at(&f->exec, 1);
	assert_int_equal(r->cmd, HAT_CTL_STATE_REQUEST);

	struct hat_msg_intent m = intent(HAT_INTENT_NEW, 1, "BTC", HAT_SIDE_BUY, 50000 * ONE, ONE / 10);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0), HAT_REASON_RISK_NOT_READY);
	assert_int_equal(f->exec.n, 2); /* nothing to execd */
	assert_int_equal(f->sig.n, 1);
	const struct hat_msg_exec *x = (const void *)at(&f->sig, 0);
	assert_int_equal(x->h.type, HAT_MSG_EXEC);
	assert_int_equal(x->h.version, HAT_MSG_EXEC_VERSION);
	assert_int_equal(x->h.length, sizeof *x);
	assert_true(x->h.origin_ns == T0 - 1000);
	assert_int_equal(x->kind, HAT_EXEC_REJECT);
	assert_int_equal(x->flags, HAT_EXEC_F_FROM_RISK | HAT_EXEC_F_FINAL);
	assert_int_equal(x->reason, HAT_REASON_RISK_NOT_READY);
	assert_int_equal(x->cloid[15], 1);
	assert_string_equal(x->coin, "BTC");
	assert_int_equal(x->side, HAT_SIDE_BUY);
	assert_int_equal(x->strategy_id, 7);
	assert_true(x->px == 50000 * ONE && x->sz == ONE / 10);
	assert_string_equal(x->text, "RISK_NOT_READY: waiting for execd's snapshot");
	/* cancels too */
	m = intent(HAT_INTENT_CANCEL, 1, "BTC", 0, 0, 0);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0), HAT_REASON_RISK_NOT_READY);
	assert_int_equal(f->e.c.intents_in, 2);
	assert_int_equal(f->e.c.rejected, 2);
	assert_int_equal(f->e.c.rejected_by[HAT_REASON_RISK_NOT_READY], 2);
	assert_int_equal(f->e.c.approved, 0);
}

static void test_engine_snapshot_makes_ready_and_informs_signald(void **state)
{
	struct fx *f = *state;
	risk_engine_start(&f->e, T0);
	clear(f);
	snapshot_from_execd(f, 2, T0);
	assert_true(f->e.ready);
	assert_int_equal(f->e.c.snapshots_in, 1);
	assert_string_equal(f->last_event, "snapshot_sent");
	/* book rebuilt */
	assert_true(f->e.book.coins[0].pos.szi == ONE);
	assert_true(f->e.book.coins[0].pos.entry_px == 48000 * ONE);
	assert_true(f->e.book.coins[0].pos.realized == 12 * ONE);
	assert_true(f->e.book.coins[1].work_sell == 2 * ONE);
	/* riskd's snapshot to signald: BEGIN, 2 POSITION, 1 OPEN_ORDER, END(3) */
	assert_int_equal(f->sig.n, 5);
	const struct hat_msg_control *b = (const void *)at(&f->sig, 0);
	assert_int_equal(b->cmd, HAT_CTL_SNAPSHOT_BEGIN);
	assert_int_equal(b->arg, HAT_TS_ACTIVE);
	const struct hat_msg_position *p = (const void *)at(&f->sig, 1);
	assert_int_equal(p->h.type, HAT_MSG_POSITION);
	assert_int_equal(p->flags, HAT_EXEC_F_SNAPSHOT);
	assert_string_equal(p->coin, "BTC");
	assert_int_equal(p->trading_state, HAT_TS_ACTIVE);
	assert_true(p->szi == ONE && p->entry_px == 48000 * ONE && p->mark_px == 50000 * ONE);
	assert_true(p->unrealized_pnl == 2000 * ONE);
	/* total: BTC 12 + 2000 - 3; ETH flat */
	assert_true(p->total_pnl == 2009 * ONE);
	p = (const void *)at(&f->sig, 2);
	assert_string_equal(p->coin, "ETH");
	assert_int_equal(p->open_orders, 1);
	const struct hat_msg_exec *o = (const void *)at(&f->sig, 3);
	assert_int_equal(o->kind, HAT_EXEC_OPEN_ORDER);
	assert_int_equal(o->flags, HAT_EXEC_F_SNAPSHOT);
	assert_int_equal(o->cloid[15], 90);
	assert_int_equal(o->oid, 555);
	assert_true(o->remaining_sz == 2 * ONE);
	const struct hat_msg_control *en = (const void *)at(&f->sig, 4);
	assert_int_equal(en->cmd, HAT_CTL_SNAPSHOT_END);
	assert_int_equal(en->arg, 3);
	assert_int_equal(f->e.c.snapshots_out, 1);
}

static void test_engine_snapshot_row_count_mismatch_rerequests(void **state)
{
	struct fx *f = *state;
	risk_engine_start(&f->e, T0);
	clear(f);
	snapshot_from_execd(f, 3, T0);
	assert_false(f->e.ready);
	assert_int_equal(f->e.c.snapshots_bad, 1);
	/* asked again after 100 ms, not at once (a bad producer must not cause a request loop) */
	assert_int_equal(f->exec.n, 0);
	risk_engine_tick(&f->e, T0 + 99000000ull);
	assert_int_equal(f->exec.n, 0);
	risk_engine_tick(&f->e, T0 + 100000000ull);
	assert_int_equal(f->exec.n, 1);
	assert_int_equal(((const struct hat_msg_control *)at(&f->exec, 0))->cmd,
	                 HAT_CTL_STATE_REQUEST);
	assert_int_equal(f->sig.n, 0);
	/* a second bad one doubles the wait */
	clear(f);
	snapshot_from_execd(f, 3, T0 + 100000000ull);
	risk_engine_tick(&f->e, T0 + 299000000ull);
	assert_int_equal(f->exec.n, 0);
	risk_engine_tick(&f->e, T0 + 300000000ull);
	assert_int_equal(f->exec.n, 1);
	assert_int_equal(f->e.c.snapshots_bad, 2);
	struct hat_msg_intent m = intent(HAT_INTENT_NEW, 1, "BTC", HAT_SIDE_BUY, 50000 * ONE, ONE / 10);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0), HAT_REASON_RISK_NOT_READY);
	/* a stray END or row without BEGIN is ignored */
	struct hat_msg_control en = ctl(HAT_CTL_SNAPSHOT_END, 0, HAT_STAGE_EXECD, NULL);
	risk_engine_exec_msg(&f->e, &en.h, T0);
	assert_false(f->e.ready);
	snapshot_from_execd(f, 2, T0);
	assert_true(f->e.ready);
}

static void test_engine_signald_hello_before_ready_is_deferred(void **state)
{
	struct fx *f = *state;
	risk_engine_start(&f->e, T0);
	clear(f);
	struct hat_msg_control h = ctl(HAT_CTL_HELLO, 0, HAT_STAGE_SIGNALD, NULL);
	h.restart_count = 1;
	risk_engine_intent_ctl(&f->e, &h, T0);
	assert_int_equal(f->sig.n, 0);
	assert_true(f->e.signal_hello_pending);
	snapshot_from_execd(f, 2, T0);
	assert_int_equal(f->e.c.snapshots_out, 1); /* exactly one snapshot */
	assert_false(f->e.signal_hello_pending);
	risk_engine_tick(&f->e, T0);
	assert_int_equal(f->e.c.snapshots_out, 1);
	/* once ready, HELLO gets an immediate snapshot */
	clear(f);
	risk_engine_intent_ctl(&f->e, &h, T0);
	assert_int_equal(f->sig.n, 5);
	assert_int_equal(f->e.c.snapshots_out, 2);
}

static void test_engine_approves_into_order_for_execd(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	struct hat_msg_intent m = intent(HAT_INTENT_NEW, 1, "BTC", HAT_SIDE_BUY, 50000 * ONE, ONE / 10);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0 + 5), HAT_REASON_NONE);
	assert_int_equal(f->sig.n, 0);
	assert_int_equal(f->exec.n, 1);
	const struct hat_msg_order *o = (const void *)at(&f->exec, 0);
	assert_int_equal(o->h.type, HAT_MSG_ORDER);
	assert_int_equal(o->h.version, HAT_MSG_ORDER_VERSION);
	assert_int_equal(o->h.length, sizeof *o);
	assert_true(o->h.origin_ns == T0 - 1000);
	assert_memory_equal(&o->o, &m.o, sizeof m.o);
	assert_true(o->risk_seq == T0 + 5);
	assert_int_equal(o->intent_seq, 41);
	/* booked as working, and risk_seq strictly increases even within one ns */
	assert_true(f->e.book.coins[0].work_buy == ONE / 10);
	m = intent(HAT_INTENT_NEW, 2, "BTC", HAT_SIDE_SELL, 50000 * ONE, ONE / 10);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0 + 5), HAT_REASON_NONE);
	assert_true(((const struct hat_msg_order *)at(&f->exec, 1))->risk_seq == T0 + 6);
	/* same cloid again: duplicate, even after the order is gone */
	struct hat_msg_exec x = exec_ev(HAT_EXEC_CANCELED, 1, "BTC", HAT_SIDE_BUY);
	risk_engine_exec_msg(&f->e, &x.h, T0 + 6);
	m = intent(HAT_INTENT_NEW, 1, "BTC", HAT_SIDE_BUY, 50000 * ONE, ONE / 10);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0 + 7), HAT_REASON_RISK_DUPLICATE_CLOID);
	assert_int_equal(f->e.c.approved, 2);
	assert_int_equal(f->e.c.rejected, 1);
	assert_int_equal(f->e.c.intents_in, f->e.c.approved + f->e.c.rejected);
}

static void test_engine_invalid_intent_rejected_with_validator_text(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	struct hat_msg_intent m = intent(HAT_INTENT_NEW, 3, "BTC", HAT_SIDE_BUY, 50000 * ONE, ONE);
	assert_int_equal(risk_engine_intent(&f->e, &m, "INTENT.o.tif: must be 1..3 (got 9)", T0),
	                 HAT_REASON_RISK_BAD_INTENT);
	const struct hat_msg_exec *x = (const void *)at(&f->sig, 0);
	assert_int_equal(x->reason, HAT_REASON_RISK_BAD_INTENT);
	assert_string_equal(x->text, "RISK_BAD_INTENT: INTENT.o.tif: must be 1..3 (got 9)");
	assert_int_equal(f->exec.n, 0);
}

static void test_engine_exec_events_forwarded_with_positions(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	struct hat_msg_intent m = intent(HAT_INTENT_NEW, 1, "ETH", HAT_SIDE_BUY, 2000 * ONE, 3 * ONE);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0), HAT_REASON_NONE);
	clear(f);
	struct hat_msg_exec a = exec_ev(HAT_EXEC_ACK, 1, "ETH", HAT_SIDE_BUY);
	a.oid = 42; a.px = 2000 * ONE; a.sz = 3 * ONE; a.remaining_sz = 3 * ONE;
	risk_engine_exec_msg(&f->e, &a.h, T0);
	assert_int_equal(f->sig.n, 1);
	const struct hat_msg_exec *fw = (const void *)at(&f->sig, 0);
	assert_int_equal(fw->kind, HAT_EXEC_ACK);
	assert_int_equal(fw->oid, 42);
	assert_int_equal(fw->h.seq, 0); /* the position ring stamps its own */

	struct hat_msg_exec fl = exec_ev(HAT_EXEC_FILL, 1, "ETH", HAT_SIDE_BUY);
	fl.px = 1990 * ONE; fl.sz = ONE; fl.remaining_sz = 2 * ONE; fl.fee = 50000000; fl.tid = 77;
	fl.exch_time_ms = 1700000000123ULL;
	risk_engine_exec_msg(&f->e, &fl.h, T0);
	assert_int_equal(f->sig.n, 3);
	assert_int_equal(((const struct hat_msg_exec *)at(&f->sig, 1))->kind, HAT_EXEC_FILL);
	const struct hat_msg_position *p = (const void *)at(&f->sig, 2);
	assert_int_equal(p->h.type, HAT_MSG_POSITION);
	assert_string_equal(p->coin, "ETH");
	assert_int_equal(p->asset, 1);
	assert_int_equal(p->flags, 0);
	assert_true(p->szi == ONE && p->entry_px == 1990 * ONE && p->mark_px == 2000 * ONE);
	assert_true(p->unrealized_pnl == 10 * ONE && p->fees == 50000000);
	assert_int_equal(p->open_orders, 2); /* the snapshot's sell and this buy */
	assert_int_equal(p->exch_time_ms, 1700000000123ULL);
	assert_true(f->e.book.coins[1].work_buy == 2 * ONE);
	/* the same fill again: not applied, not forwarded */
	risk_engine_exec_msg(&f->e, &fl.h, T0);
	assert_int_equal(f->sig.n, 3);
	assert_int_equal(f->e.c.dup_fills, 1);
	assert_int_equal(f->e.c.fills, 1);
	assert_int_equal(f->e.c.exec_in, 4); /* the snapshot row, ACK, FILL, the duplicate */
	/* an event for an unconfigured coin is forwarded and logged */
	struct hat_msg_exec u = exec_ev(HAT_EXEC_ACK, 5, "DOGE", HAT_SIDE_BUY);
	risk_engine_exec_msg(&f->e, &u.h, T0);
	assert_int_equal(f->sig.n, 4);
	assert_string_equal(f->last_event, "exec_unknown_coin");
}

static void test_engine_operator_halt_cancels_all_once(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	struct hat_msg_control h = ctl(HAT_CTL_HALT, 0, HAT_STAGE_OPERATOR, "hatctl halt");
	risk_engine_command(&f->e, &h, T0 + 1);
	assert_int_equal(risk_engine_trading_state(&f->e), HAT_TS_HALTED);
	assert_int_equal(f->exec.n, 1);
	const struct hat_msg_control *c = (const void *)at(&f->exec, 0);
	assert_int_equal(c->cmd, HAT_CTL_CANCEL_ALL);
	assert_int_equal(c->from_stage, HAT_STAGE_RISKD);
	assert_string_equal(c->text, "operator: hatctl halt");
	/* every coin's POSITION carries the new state */
	assert_int_equal(f->sig.n, 2);
	assert_int_equal(((const struct hat_msg_position *)at(&f->sig, 0))->trading_state, HAT_TS_HALTED);
	assert_int_equal(((const struct hat_msg_position *)at(&f->sig, 1))->trading_state, HAT_TS_HALTED);
	assert_string_equal(f->last_event, "trading_state");
	assert_string_equal(f->last_log, "ACTIVE -> HALTED cause=operator: operator: hatctl halt");
	/* halting again, escalation: no second CANCEL_ALL */
	risk_engine_command(&f->e, &h, T0 + 2);
	struct hat_msg_control esc = ctl(HAT_CTL_ESCALATE, 0, HAT_STAGE_SUPERD, "execd restarts");
	risk_engine_command(&f->e, &esc, T0 + 2);
	assert_int_equal(f->exec.n, 1);
	assert_int_equal(f->e.c.cancel_alls, 1);
	/* new orders rejected, cancels approved */
	clear(f);
	struct hat_msg_intent m = intent(HAT_INTENT_NEW, 1, "BTC", HAT_SIDE_BUY, 50000 * ONE, ONE / 10);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0 + 3), HAT_REASON_RISK_HALTED);
	m = intent(HAT_INTENT_CANCEL, 90, "ETH", 0, 0, 0);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0 + 3), HAT_REASON_NONE);
	assert_int_equal(f->exec.n, 1);
	assert_int_equal(((const struct hat_msg_order *)at(&f->exec, 0))->o.kind, HAT_INTENT_CANCEL);
	assert_int_equal(f->e.c.approved_cancels, 1);
	/* resume */
	struct hat_msg_control r = ctl(HAT_CTL_RESUME, 0, HAT_STAGE_OPERATOR, NULL);
	risk_engine_command(&f->e, &r, T0 + 4);
	assert_int_equal(risk_engine_trading_state(&f->e), HAT_TS_ACTIVE);
	m = intent(HAT_INTENT_NEW, 1, "BTC", HAT_SIDE_BUY, 50000 * ONE, ONE / 10);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0 + 5), HAT_REASON_NONE);
}

static void test_engine_cancel_all_command_and_shutdown(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	struct hat_msg_control c = ctl(HAT_CTL_CANCEL_ALL, 0, HAT_STAGE_OPERATOR, "flatten");
	risk_engine_command(&f->e, &c, T0);
	assert_int_equal(f->exec.n, 1);
	assert_int_equal(((const struct hat_msg_control *)at(&f->exec, 0))->cmd, HAT_CTL_CANCEL_ALL);
	assert_int_equal(risk_engine_trading_state(&f->e), HAT_TS_ACTIVE);
	c = ctl(HAT_CTL_STATE_REQUEST, 0, HAT_STAGE_SUPERD, NULL);
	risk_engine_command(&f->e, &c, T0);
	assert_int_equal(f->e.c.snapshots_out, 2);
	assert_false(f->e.shutdown);
	c = ctl(HAT_CTL_SHUTDOWN, 0, HAT_STAGE_SUPERD, NULL);
	risk_engine_command(&f->e, &c, T0);
	assert_true(f->e.shutdown);
	assert_int_equal(f->e.c.commands, 3);
}

static void test_engine_daily_loss_from_fills_halts(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	/* BTC long 1 @ 48000 with realized 12, fees 3; mark drops to 46990: unrealized -1010
	 * -> total -1001 <= -1000 */
	risk_engine_set_mark(&f->e, 0, 46990 * ONE, T0 + 1);
	risk_engine_tick(&f->e, T0 + 1);
	assert_int_equal(risk_engine_trading_state(&f->e), HAT_TS_HALTED);
	assert_int_equal(f->e.state.cause, RISK_CAUSE_DAILY_LOSS);
	assert_int_equal(f->exec.n, 1);
	assert_int_equal(((const struct hat_msg_control *)at(&f->exec, 0))->cmd, HAT_CTL_CANCEL_ALL);
	assert_string_equal(((const struct hat_msg_control *)at(&f->exec, 0))->text,
	                    "daily loss -1001 <= -1000");
	risk_engine_tick(&f->e, T0 + 2);
	assert_int_equal(f->exec.n, 1);
}

static void test_engine_exchange_rejects_reduce(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	for (int i = 0; i < 3; i++) {
		struct hat_msg_exec r = exec_ev(HAT_EXEC_REJECT, (uint8_t)(10 + i), "BTC", HAT_SIDE_BUY);
		r.reason = HAT_REASON_EXCH_MARGIN;
		risk_engine_exec_msg(&f->e, &r.h, T0 + (uint64_t)i);
	}
	assert_int_equal(f->e.c.exch_rejects, 3);
	assert_int_equal(risk_engine_trading_state(&f->e), HAT_TS_REDUCING);
	assert_int_equal(f->exec.n, 0); /* REDUCING cancels nothing */
	/* now only reducing orders: BTC long 1 */
	struct hat_msg_intent m = intent(HAT_INTENT_NEW, 1, "BTC", HAT_SIDE_BUY, 50000 * ONE, ONE / 10);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0 + 5), HAT_REASON_RISK_REDUCE_ONLY_STATE);
	m = intent(HAT_INTENT_NEW, 2, "BTC", HAT_SIDE_SELL, 50000 * ONE, ONE);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0 + 5), HAT_REASON_NONE);
	m = intent(HAT_INTENT_NEW, 3, "BTC", HAT_SIDE_SELL, 50000 * ONE, ONE / 10);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0 + 5), HAT_REASON_RISK_REDUCE_ONLY_STATE);
}

static void test_engine_execd_restart_gates_again(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	struct hat_msg_control h = ctl(HAT_CTL_HELLO, 3, HAT_STAGE_EXECD, NULL);
	h.restart_count = 3;
	risk_engine_exec_msg(&f->e, &h.h, T0);
	assert_false(f->e.ready);
	assert_int_equal(f->exec.n, 1);
	assert_int_equal(((const struct hat_msg_control *)at(&f->exec, 0))->cmd, HAT_CTL_STATE_REQUEST);
	struct hat_msg_intent m = intent(HAT_INTENT_NEW, 1, "BTC", HAT_SIDE_BUY, 50000 * ONE, ONE / 10);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0), HAT_REASON_RISK_NOT_READY);
	snapshot_from_execd(f, 2, T0);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0), HAT_REASON_NONE);
}

static void test_engine_stale_marks_reduce_then_recover(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	/* marks set at T0; stale after 10 s */
	risk_engine_tick(&f->e, T0 + 10 * S);
	assert_int_equal(risk_engine_trading_state(&f->e), HAT_TS_ACTIVE);
	risk_engine_tick(&f->e, T0 + 10 * S + 1);
	assert_int_equal(risk_engine_trading_state(&f->e), HAT_TS_REDUCING);
	assert_int_equal(f->e.state.cause, RISK_CAUSE_STALE_DATA);
	struct hat_msg_intent m = intent(HAT_INTENT_NEW, 1, "BTC", HAT_SIDE_SELL, 50000 * ONE, ONE / 10);
	/* the BTC mark itself is stale too (5 s) */
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0 + 11 * S), HAT_REASON_RISK_STALE_MARK);
	risk_engine_set_mark(&f->e, 0, 50000 * ONE, T0 + 12 * S);
	risk_engine_tick(&f->e, T0 + 12 * S);
	assert_int_equal(risk_engine_trading_state(&f->e), HAT_TS_ACTIVE);
	assert_int_equal(f->e.state.cause, RISK_CAUSE_DATA_FRESH);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0 + 12 * S), HAT_REASON_NONE);
}

static void test_engine_replace_flow(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	struct hat_msg_intent m = intent(HAT_INTENT_REPLACE, 91, "ETH", HAT_SIDE_SELL, 2050 * ONE, ONE);
	m.o.orig_cloid[15] = 90;
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0), HAT_REASON_NONE);
	assert_int_equal(((const struct hat_msg_order *)at(&f->exec, 0))->o.kind, HAT_INTENT_REPLACE);
	/* both counted until execd confirms: conservative */
	assert_true(f->e.book.coins[1].work_sell == 3 * ONE);
	struct hat_msg_exec r = exec_ev(HAT_EXEC_REPLACED, 91, "ETH", HAT_SIDE_SELL);
	r.orig_cloid[15] = 90;
	r.px = 2050 * ONE; r.sz = ONE; r.remaining_sz = ONE;
	risk_engine_exec_msg(&f->e, &r.h, T0);
	assert_true(f->e.book.coins[1].work_sell == ONE);
	assert_int_equal(f->e.book.coins[1].open_orders, 1);
}

static void test_engine_refused_output_is_counted(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	f->refuse_signal = 1;
	struct hat_msg_intent m = intent(HAT_INTENT_NEW, 1, "XRP", HAT_SIDE_BUY, ONE, ONE);
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0), HAT_REASON_RISK_BAD_INTENT);
	assert_int_equal(f->e.c.out_drops, 1);
	assert_int_equal(f->e.c.rejected, 1);
}

static void test_engine_counters_add_up_over_a_mix(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	/* burst 5: 7 NEWs in one instant -> 5 approved, 2 ORDER_RATE */
	for (uint8_t i = 1; i <= 7; i++) {
		struct hat_msg_intent m = intent(HAT_INTENT_NEW, i, "ETH", HAT_SIDE_BUY, 2000 * ONE, ONE);
		risk_engine_intent(&f->e, &m, NULL, T0);
	}
	assert_int_equal(f->e.c.approved, 5);
	assert_int_equal(f->e.c.rejected_by[HAT_REASON_RISK_ORDER_RATE], 2);
	assert_int_equal(f->e.c.intents_in, 7);
	uint64_t sum = 0;
	for (int r = 0; r < RISK_REASON_SLOTS; r++)
		sum += f->e.c.rejected_by[r];
	assert_int_equal(sum, f->e.c.rejected);
	assert_int_equal(f->e.c.approved + f->e.c.rejected, f->e.c.intents_in);
	assert_int_equal(f->exec.n, 5);
	assert_int_equal(f->sig.n, 2);
}

static void test_engine_signald_down_cancels_all_once(void **state)
{
	struct fx *f = *state;
	make_ready(f); /* one working ETH order from the snapshot */
	f->e.cfg.signald_down_cancel = 1;
	risk_engine_signald_alive(&f->e, true, T0);
	assert_int_equal(f->exec.n, 0);
	risk_engine_signald_alive(&f->e, false, T0 + 1);
	assert_int_equal(f->exec.n, 1);
	const struct hat_msg_control *c = (const void *)at(&f->exec, 0);
	assert_int_equal(c->cmd, HAT_CTL_CANCEL_ALL);
	assert_string_equal(c->text, "signald down");
	assert_string_equal(f->last_event, "signald_down_cancel");
	risk_engine_signald_alive(&f->e, false, T0 + 2);
	assert_int_equal(f->exec.n, 1);
	/* back, then down again: a new episode */
	risk_engine_signald_alive(&f->e, true, T0 + 3);
	assert_string_equal(f->last_event, "signald_up");
	risk_engine_signald_alive(&f->e, false, T0 + 4);
	assert_int_equal(f->exec.n, 2);
	assert_int_equal(f->e.c.signald_downs, 2);
	/* policy off: logged, nothing sent */
	f->e.cfg.signald_down_cancel = 0;
	risk_engine_signald_alive(&f->e, true, T0 + 5);
	risk_engine_signald_alive(&f->e, false, T0 + 6);
	assert_int_equal(f->exec.n, 2);
	assert_int_equal(f->e.c.signald_downs, 3);
	/* nothing working: nothing to cancel, until orders appear while still down */
	f->e.cfg.signald_down_cancel = 1;
	risk_book_reset(&f->e.book);
	risk_engine_signald_alive(&f->e, true, T0 + 7);
	risk_engine_signald_alive(&f->e, false, T0 + 8);
	assert_int_equal(f->exec.n, 2);
	snapshot_from_execd(f, 2, T0 + 9);
	clear(f);
	risk_engine_signald_alive(&f->e, false, T0 + 10);
	assert_int_equal(f->exec.n, 1);
	assert_int_equal(((const struct hat_msg_control *)at(&f->exec, 0))->cmd, HAT_CTL_CANCEL_ALL);
	risk_engine_signald_alive(&f->e, false, T0 + 11);
	assert_int_equal(f->exec.n, 1);
	assert_int_equal(f->e.c.signald_downs, 4);
}

static void test_engine_garbage_intent_reject_is_valid(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	struct hat_msg_intent m;
	memset(&m, 0xff, sizeof m);
	m.h.type = HAT_MSG_INTENT;
	m.h.version = HAT_MSG_INTENT_VERSION;
	m.h.length = sizeof m;
	assert_int_equal(risk_engine_intent(&f->e, &m, "INTENT.o.kind: garbage", T0),
	                 HAT_REASON_RISK_BAD_INTENT);
	const struct hat_msg_exec *x = (const void *)at(&f->sig, 0); /* validated in cap() */
	assert_int_equal(x->side, 0);
	assert_true(x->px == 0 && x->sz == 0);
	assert_int_equal(x->coin[HAT_COIN_LEN - 1], 0);
	memset(&m, 0, sizeof m);
	m.h.type = HAT_MSG_INTENT;
	m.h.version = HAT_MSG_INTENT_VERSION;
	m.h.length = sizeof m;
	assert_int_equal(risk_engine_intent(&f->e, &m, NULL, T0), HAT_REASON_RISK_BAD_INTENT);
	x = (const void *)at(&f->sig, 1);
	assert_string_equal(x->coin, "?");
}

static void test_engine_init_rejects_bad_config(void **state)
{
	(void)state;
	struct risk_engine e;
	struct risk_engine_cfg c;
	struct fx f;
	struct risk_out out = { &f, out_exec, out_sig, NULL };
	char err[128];
	cfg_default(&c);
	c.max_working = 5;
	assert_int_equal(risk_engine_init(&e, &c, &out, T0, err, sizeof err), -EINVAL);
	assert_string_equal(err, "max_working 5 < max_open_orders 20");
	cfg_default(&c);
	c.order_burst = 0;
	assert_int_equal(risk_engine_init(&e, &c, &out, T0, err, sizeof err), -EINVAL);
	cfg_default(&c);
	strcpy(c.coins[1], "BTC");
	assert_int_equal(risk_engine_init(&e, &c, &out, T0, err, sizeof err), -EINVAL);
	cfg_default(&c);
	c.state.max_daily_loss = 0;
	assert_int_equal(risk_engine_init(&e, &c, &out, T0, err, sizeof err), -EINVAL);
	cfg_default(&c);
	struct risk_out bad = { &f, NULL, out_sig, NULL };
	assert_int_equal(risk_engine_init(&e, &c, &bad, T0, err, sizeof err), -EINVAL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_engine_start_requests_state_and_rejects_until_snapshot),
		T(test_engine_snapshot_makes_ready_and_informs_signald),
		T(test_engine_snapshot_row_count_mismatch_rerequests),
		T(test_engine_signald_hello_before_ready_is_deferred),
		T(test_engine_approves_into_order_for_execd),
		T(test_engine_invalid_intent_rejected_with_validator_text),
		T(test_engine_exec_events_forwarded_with_positions),
		T(test_engine_operator_halt_cancels_all_once),
		T(test_engine_cancel_all_command_and_shutdown),
		T(test_engine_daily_loss_from_fills_halts),
		T(test_engine_exchange_rejects_reduce),
		T(test_engine_execd_restart_gates_again),
		T(test_engine_stale_marks_reduce_then_recover),
		T(test_engine_replace_flow),
		T(test_engine_refused_output_is_counted),
		T(test_engine_counters_add_up_over_a_mix),
		T(test_engine_signald_down_cancels_all_once),
		T(test_engine_garbage_intent_reject_is_valid),
		cmocka_unit_test(test_engine_init_rejects_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
