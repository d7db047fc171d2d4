/* signald/engine.c -- signald's decision core. */
#include "signald/engine.h"
#include "common/err.h"
#include "common/fixed.h"
#include "common/msg.h"
#include "hl/records.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void sig_engine_params_default(struct sig_engine_params *p)
{
	p->stale_ns = 5000000000ull;
	p->max_md_age_ns = 2000000000ull;
	p->timer_ns = 1000000000ull;
}

/* Every quoter emits through here, so the engine can count and gate on readiness. */
static void emit_intent(void *user, const struct hat_msg_intent *in)
{
	struct sig_engine *e = user;
	e->intents_out++;
	e->emit(e->user, in);
}

void sig_engine_init(struct sig_engine *e, const struct sig_engine_params *p, uint32_t restart_count,
		     sig_emit_fn emit, sig_emit_ctl_fn emit_ctl, void *user)
{
	memset(e, 0, sizeof *e);
	e->p = *p;
	e->restart_count = restart_count;
	e->emit = emit;
	e->emit_ctl = emit_ctl;
	e->user = user;
}

int sig_engine_add_coin(struct sig_engine *e, const char *coin, uint32_t asset, int sz_decimals,
			uint16_t strategy_id, const struct sig_strategy_ops *ops, void *state,
			const cJSON *params, const struct sig_quoter_params *qp, uint64_t boot_epoch,
			char *err, size_t errlen)
{
	if (e->n_coins >= SIG_MAX_COINS) {
		snprintf(err, errlen, "coins: at most %d coins", SIG_MAX_COINS);
		return -ENOSPC;
	}
	struct sig_coin *c = &e->coins[e->n_coins];
	memset(c, 0, sizeof *c);
	snprintf(c->coin, sizeof c->coin, "%s", coin);
	c->asset = asset;
	c->sz_decimals = sz_decimals;
	struct sig_market_params mp;
	sig_market_params_default(&mp);
	sig_market_init(&c->market, coin, asset, &mp);
	sig_quoter_init(&c->quoter, coin, asset, sz_decimals, strategy_id, qp, boot_epoch,
			emit_intent, e);
	c->ops = ops;
	c->state = state;
	int rc = ops->init(state, c, params, err, errlen);
	if (rc != 0)
		return rc;
	e->n_coins++;
	return 0;
}

struct sig_coin *sig_engine_coin(struct sig_engine *e, const char *coin)
{
	for (int i = 0; i < e->n_coins; i++)
		if (strncmp(e->coins[i].coin, coin, HAT_COIN_LEN) == 0)
			return &e->coins[i];
	return NULL;
}

void sig_engine_start(struct sig_engine *e, uint64_t now_ns)
{
	struct hat_msg_control c;
	hat_msg_control_make(&c, HAT_CTL_HELLO, HAT_STAGE_SIGNALD, e->restart_count, e->restart_count,
			     "signald start", now_ns);
	e->emit_ctl(e->user, &c);
}

static bool may_trade(const struct sig_engine *e, const struct sig_coin *c)
{
	return e->ready && e->trading_state != HAT_TS_HALTED && !c->quoting_stopped;
}

static void stop_quoting(struct sig_engine *e, struct sig_coin *c, uint64_t now_ns)
{
	if (c->quoting_stopped)
		return;
	c->quoting_stopped = true;
	e->stale_events++;
	if (e->ready)
		sig_quoter_cancel_all(&c->quoter, now_ns);
}

void sig_engine_mark_stale(struct sig_engine *e, const char *coin, uint64_t now_ns)
{
	struct sig_coin *c = sig_engine_coin(e, coin);
	if (c && !c->quoting_stopped) {
		stop_quoting(e, c, now_ns);
		/* Only a book that arrives after this counts as fresh again. */
		sig_market_reset_book(&c->market);
	}
}

static void on_md_in(struct sig_engine *e, struct sig_coin *c, const struct hat_msg_hdr *m,
		     uint32_t asset, uint64_t now_ns)
{
	/* feedd knows the exchange's asset ids (from /info meta); orders must carry them. */
	if (asset != HL_ASSET_UNKNOWN && asset != c->asset)
		c->asset = c->quoter.asset = c->market.asset = asset;
	e->md_in++;
	if (e->p.max_md_age_ns && m->origin_ns && now_ns > m->origin_ns &&
	    now_ns - m->origin_ns > e->p.max_md_age_ns) {
		e->md_skipped_old++;
		return;
	}
	c->quoter.origin_ns = m->origin_ns;
	if (m->type == HAT_MSG_TRADE) {
		const struct hat_msg_trade *t = (const void *)m;
		sig_market_on_trade(&c->market, t, now_ns);
		if (may_trade(e, c))
			c->ops->on_trade(c->state, c, t, now_ns);
		return;
	}
	if (m->type == HAT_MSG_BOOK) {
		const struct hat_msg_book *b = (const void *)m;
		if (b->flags & HAT_BOOK_STALE) {
			stop_quoting(e, c, now_ns);
			return;
		}
		sig_market_on_book(&c->market, b, now_ns);
	} else {
		sig_market_on_bbo(&c->market, (const void *)m, now_ns);
	}
	if (c->quoting_stopped && c->market.have_book)
		c->quoting_stopped = false; /* fresh data again */
	if (may_trade(e, c))
		c->ops->on_book(c->state, c, now_ns);
}

/* Intents emitted while a market-data message is handled carry its origin_ns (tick-to-order
 * latency is measured from it); every other intent (timers, acks, fills, controls) carries 0,
 * so it is not counted as a reaction to old market data. */
static void on_md(struct sig_engine *e, const struct hat_msg_hdr *m, const char *coin_name,
		  uint32_t asset, uint64_t now_ns)
{
	struct sig_coin *c = sig_engine_coin(e, coin_name);
	if (!c) {
		e->md_unknown_coin++;
		return;
	}
	on_md_in(e, c, m, asset, now_ns);
	c->quoter.origin_ns = 0;
}

static void on_position(struct sig_engine *e, const struct hat_msg_position *p, uint64_t now_ns)
{
	e->pos_in++;
	if (p->trading_state)
		e->trading_state = p->trading_state;
	if (p->flags & HAT_EXEC_F_SNAPSHOT)
		e->snapshot_rows++;
	struct sig_coin *c = sig_engine_coin(e, p->coin);
	if (!c)
		return;
	c->position = hat_fx_to_double(p->szi);
	c->entry_px = hat_fx_to_double(p->entry_px);
	c->trading_state = p->trading_state;
	c->position_known = true;
	if (e->trading_state == HAT_TS_HALTED) {
		for (int i = 0; i < e->n_coins; i++)
			if (e->ready)
				sig_quoter_cancel_all(&e->coins[i].quoter, now_ns);
		return;
	}
	if (may_trade(e, c) && c->market.have_book)
		c->ops->on_position(c->state, c, now_ns);
}

static void on_exec(struct sig_engine *e, const struct hat_msg_exec *x)
{
	e->exec_in++;
	if (x->flags & HAT_EXEC_F_SNAPSHOT)
		e->snapshot_rows++;
	struct sig_coin *c = sig_engine_coin(e, x->coin);
	if (c)
		sig_quoter_on_exec(&c->quoter, x);
}

static void on_control(struct sig_engine *e, const struct hat_msg_control *c, uint64_t now_ns)
{
	switch (c->cmd) {
	case HAT_CTL_SNAPSHOT_BEGIN:
		e->in_snapshot = true;
		break;
	case HAT_CTL_SNAPSHOT_END:
		e->in_snapshot = false;
		e->ready = true;
		break;
	case HAT_CTL_HALT:
		e->trading_state = HAT_TS_HALTED;
		/* a halt cancels like CANCEL_ALL */
		__attribute__((fallthrough));
	case HAT_CTL_CANCEL_ALL:
		for (int i = 0; i < e->n_coins; i++)
			if (e->ready)
				sig_quoter_cancel_all(&e->coins[i].quoter, now_ns);
		break;
	case HAT_CTL_RESUME:
		e->trading_state = HAT_TS_ACTIVE;
		break;
	default:
		break;
	}
}

void sig_engine_on_msg(struct sig_engine *e, const struct hat_msg_hdr *m, uint64_t now_ns)
{
	switch (m->type) {
	case HAT_MSG_BOOK:
		on_md(e, m, ((const struct hat_msg_book *)m)->coin, ((const struct hat_msg_book *)m)->asset, now_ns);
		break;
	case HAT_MSG_BBO:
		on_md(e, m, ((const struct hat_msg_bbo *)m)->coin, ((const struct hat_msg_bbo *)m)->asset, now_ns);
		break;
	case HAT_MSG_TRADE:
		on_md(e, m, ((const struct hat_msg_trade *)m)->coin, ((const struct hat_msg_trade *)m)->asset, now_ns);
		break;
	case HAT_MSG_POSITION:
		on_position(e, (const void *)m, now_ns);
		break;
	case HAT_MSG_EXEC:
		on_exec(e, (const void *)m);
		break;
	case HAT_MSG_CONTROL:
		on_control(e, (const void *)m, now_ns);
		break;
	default:
		break;
	}
}

void sig_engine_tick(struct sig_engine *e, uint64_t now_ns)
{
	for (int i = 0; i < e->n_coins; i++) {
		struct sig_coin *c = &e->coins[i];
		if (!c->quoting_stopped && c->market.last_update_ns &&
		    sig_market_is_stale(&c->market, now_ns, e->p.stale_ns))
			stop_quoting(e, c, now_ns);
	}
	if (now_ns - e->last_timer_ns < e->p.timer_ns)
		return;
	e->last_timer_ns = now_ns;
	for (int i = 0; i < e->n_coins; i++) {
		struct sig_coin *c = &e->coins[i];
		if (may_trade(e, c) && c->market.have_book)
			c->ops->on_timer(c->state, c, now_ns);
	}
}

void sig_engine_deinit(struct sig_engine *e)
{
	for (int i = 0; i < e->n_coins; i++)
		if (e->coins[i].ops->deinit)
			e->coins[i].ops->deinit(e->coins[i].state, &e->coins[i]);
}
