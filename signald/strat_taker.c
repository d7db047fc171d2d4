/* signald/strat_taker.c -- microstructure taker.
 *
 * Buys when the book imbalance at `depth` levels and the trade-flow imbalance both exceed
 * their thresholds upward (sells when both exceed them downward), with an IOC limit at the
 * opposite best plus `slippage_bps` (rounded aggressively to a valid price). After an order it
 * waits `cooldown_ms` before the next, and never goes past max_position; while a taker order
 * is unanswered it sends nothing (the quoter's working table holds it).
 */
#include "signald/strategy.h"
#include "common/err.h"
#include "common/fixed.h"
#include "hl/wire.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct taker {
	double imb_threshold, flow_threshold, slippage_bps, size, max_position;
	int depth_index;        /* 0, 1, 2 for depths 1, 3, 5 */
	uint64_t cooldown_ns;
	uint64_t last_order_ns;
	uint64_t n_signals, n_cooldown_skips;
};

static int taker_init(void *st, struct sig_coin *c, const cJSON *params, char *err, size_t errlen)
{
	static const char *const keys[] = { "imbalance", "flow", "depth", "slippage_bps", "size",
		"max_position", "cooldown_ms", NULL };
	struct taker *s = st;
	memset(s, 0, sizeof *s);
	s->imb_threshold = 0.6;
	s->flow_threshold = 0.5;
	s->slippage_bps = 5;
	s->size = 0.001;
	s->max_position = 0.01;
	double depth = 3, cooldown_ms = 2000;
	int rc = sig_param_check_keys(params, "taker", keys, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "taker", "imbalance", 0, 1, &s->imb_threshold, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "taker", "flow", 0, 1, &s->flow_threshold, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "taker", "depth", 1, 5, &depth, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "taker", "slippage_bps", 0, 1000, &s->slippage_bps, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "taker", "size", 1e-8, 1e9, &s->size, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "taker", "max_position", 0, 1e12, &s->max_position, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "taker", "cooldown_ms", 0, 3.6e6, &cooldown_ms, err, errlen);
	if (rc == 0 && depth != 1 && depth != 3 && depth != 5) {
		snprintf(err, errlen, "taker.depth: must be 1, 3 or 5 (got %g)", depth);
		rc = HAT_E_CONFIG;
	}
	s->depth_index = depth == 1 ? 0 : depth == 3 ? 1 : 2;
	s->cooldown_ns = (uint64_t)(cooldown_ms * 1e6);
	(void)c;
	return rc;
}

static void taker_eval(struct taker *s, struct sig_coin *c, uint64_t now_ns)
{
	struct sig_market *m = &c->market;
	if (!m->have_book)
		return;
	double imb = m->imbalance[s->depth_index];
	double flow = sig_market_flow(m, now_ns);
	int dir = imb >= s->imb_threshold && flow >= s->flow_threshold     ? 1
		  : imb <= -s->imb_threshold && flow <= -s->flow_threshold ? -1
									    : 0;
	if (!dir)
		return;
	s->n_signals++;
	if (s->last_order_ns && now_ns - s->last_order_ns < s->cooldown_ns) {
		s->n_cooldown_skips++;
		return;
	}
	for (int i = 0; i < SIG_MAX_WORKING; i++)
		if (c->quoter.wo[i].state != SIG_WO_EMPTY && c->quoter.wo[i].tif == HAT_TIF_IOC)
			return; /* previous IOC unanswered */
	enum hat_side side = dir > 0 ? HAT_SIDE_BUY : HAT_SIDE_SELL;
	double room = dir > 0 ? s->max_position - c->position : s->max_position + c->position;
	double sz = s->size < room ? s->size : room;
	if (!(sz > 0))
		return;
	double px = dir > 0 ? m->best_ask * (1 + s->slippage_bps / 1e4)
			    : m->best_bid * (1 - s->slippage_bps / 1e4);
	int64_t fpx, fsz;
	if (hl_px_round(hat_fx_from_double(px), c->sz_decimals, false, hl_round_aggressive(side), &fpx) != 0 ||
	    hl_sz_round(hat_fx_from_double(sz), c->sz_decimals, HL_ROUND_DOWN, &fsz) != 0 || fsz <= 0)
		return;
	if (sig_quoter_send_ioc(&c->quoter, side, fpx, fsz, false, now_ns))
		s->last_order_ns = now_ns;
}

static void taker_on_book(void *st, struct sig_coin *c, uint64_t now_ns)
{
	taker_eval(st, c, now_ns);
}

static void taker_on_trade(void *st, struct sig_coin *c, const struct hat_msg_trade *t, uint64_t now_ns)
{
	(void)t;
	taker_eval(st, c, now_ns);
}

static void taker_on_position(void *st, struct sig_coin *c, uint64_t now_ns)
{
	(void)st; (void)c; (void)now_ns;
}

static void taker_on_timer(void *st, struct sig_coin *c, uint64_t now_ns)
{
	(void)st; (void)c; (void)now_ns;
}

const struct sig_strategy_ops sig_strat_taker = {
	.name = "taker",
	.state_size = sizeof(struct taker),
	.init = taker_init,
	.on_book = taker_on_book,
	.on_trade = taker_on_trade,
	.on_position = taker_on_position,
	.on_timer = taker_on_timer,
	.deinit = NULL,
};
