/* signald/market.c -- per-coin market state and microstructure signals. */
#include "signald/market.h"
#include "common/fixed.h"

#include <math.h>
#include <string.h>

static const int depth_levels[SIG_DEPTHS] = { 1, 3, 5 };

void sig_market_params_default(struct sig_market_params *p)
{
	p->vol_lambda = 0.94;
	p->flow_halflife_s = 5.0;
	p->vwap_window_ns[0] = 1000000000ull;
	p->vwap_window_ns[1] = 10000000000ull;
	p->vwap_window_ns[2] = 60000000000ull;
}

void sig_market_init(struct sig_market *m, const char *coin, uint32_t asset,
		     const struct sig_market_params *p)
{
	memset(m, 0, sizeof *m);
	strncpy(m->coin, coin, HAT_COIN_LEN - 1);
	m->asset = asset;
	m->p = *p;
}

void sig_market_reset_book(struct sig_market *m)
{
	m->n_bids = m->n_asks = 0;
	m->have_book = false;
	m->prev_mid = 0;
	m->ret_var = 0;
	m->n_returns = 0;
	m->first_return_ns = m->last_return_ns = 0;
}

/* Recomputes everything derived from the levels; called after each book/bbo change. */
static void derive(struct sig_market *m, uint64_t now_ns)
{
	m->last_update_ns = now_ns;
	if (m->n_bids == 0 || m->n_asks == 0) {
		m->have_book = false;
		return;
	}
	m->have_book = true;
	double bp = hat_fx_to_double(m->bids[0].px), ap = hat_fx_to_double(m->asks[0].px);
	double bs = hat_fx_to_double(m->bids[0].sz), as = hat_fx_to_double(m->asks[0].sz);
	m->best_bid = bp;
	m->best_ask = ap;
	m->mid = (bp + ap) / 2;
	m->spread = ap - bp;
	m->spread_bps = m->mid > 0 ? m->spread / m->mid * 1e4 : 0;
	/* Microprice leans toward the side with less size: a thin ask means the next move is up. */
	m->microprice = bs + as > 0 ? (bp * as + ap * bs) / (bs + as) : m->mid;
	for (int d = 0; d < SIG_DEPTHS; d++) {
		double sb = 0, sa = 0;
		for (int i = 0; i < depth_levels[d] && i < m->n_bids; i++)
			sb += hat_fx_to_double(m->bids[i].sz);
		for (int i = 0; i < depth_levels[d] && i < m->n_asks; i++)
			sa += hat_fx_to_double(m->asks[i].sz);
		m->imbalance[d] = sb + sa > 0 ? (sb - sa) / (sb + sa) : 0;
	}
	if (m->prev_mid > 0 && m->mid != m->prev_mid) {
		double r = log(m->mid / m->prev_mid);
		if (m->n_returns == 0) {
			m->ret_var = r * r;
			m->first_return_ns = now_ns;
		} else {
			m->ret_var = m->p.vol_lambda * m->ret_var + (1 - m->p.vol_lambda) * r * r;
		}
		m->n_returns++;
		m->last_return_ns = now_ns;
	}
	m->prev_mid = m->mid;
}

void sig_market_on_book(struct sig_market *m, const struct hat_msg_book *b, uint64_t now_ns)
{
	m->n_bids = b->n_bids;
	m->n_asks = b->n_asks;
	memcpy(m->bids, b->bids, sizeof(struct hat_level) * b->n_bids);
	memcpy(m->asks, b->asks, sizeof(struct hat_level) * b->n_asks);
	m->exch_time_ms = b->exch_time_ms;
	derive(m, now_ns);
}

/* Puts lvl at the top of a side, dropping levels it now crosses or equals. */
static void replace_top(struct hat_level *side, uint8_t *n, const struct hat_level *lvl, bool bid)
{
	int keep = 0;
	struct hat_level tmp[HAT_BOOK_DEPTH];
	tmp[keep++] = *lvl;
	for (int i = 0; i < *n && keep < HAT_BOOK_DEPTH; i++) {
		bool behind = bid ? side[i].px < lvl->px : side[i].px > lvl->px;
		if (behind)
			tmp[keep++] = side[i];
	}
	memcpy(side, tmp, sizeof(struct hat_level) * (size_t)keep);
	*n = (uint8_t)keep;
}

void sig_market_on_bbo(struct sig_market *m, const struct hat_msg_bbo *b, uint64_t now_ns)
{
	if (b->has_bid)
		replace_top(m->bids, &m->n_bids, &b->bid, true);
	if (b->has_ask)
		replace_top(m->asks, &m->n_asks, &b->ask, false);
	m->exch_time_ms = b->exch_time_ms;
	derive(m, now_ns);
}

static void decay_flow(struct sig_market *m, uint64_t now_ns)
{
	if (m->flow_t_ns && now_ns > m->flow_t_ns && m->p.flow_halflife_s > 0) {
		double dt = (double)(now_ns - m->flow_t_ns) / 1e9;
		double k = exp2(-dt / m->p.flow_halflife_s);
		m->flow_buy *= k;
		m->flow_sell *= k;
	}
	if (now_ns > m->flow_t_ns)
		m->flow_t_ns = now_ns;
}

static void expire(struct sig_market *m, int w, uint64_t now_ns)
{
	uint64_t win = m->p.vwap_window_ns[w];
	while (m->tr_tail[w] != m->tr_head) {
		const struct sig_trade_rec *t = &m->trades[m->tr_tail[w] & (SIG_TRADE_RING - 1)];
		if (now_ns >= win && t->t_ns >= now_ns - win)
			break;
		m->vwap_pv[w] -= t->px * t->sz;
		m->vwap_v[w] -= t->sz;
		m->tr_tail[w]++;
	}
	if (m->tr_tail[w] == m->tr_head)
		m->vwap_pv[w] = m->vwap_v[w] = 0; /* clear accumulated rounding */
}

void sig_market_on_trade(struct sig_market *m, const struct hat_msg_trade *t, uint64_t now_ns)
{
	double px = hat_fx_to_double(t->px), sz = hat_fx_to_double(t->sz);
	decay_flow(m, now_ns);
	if (t->side == HAT_SIDE_BUY)
		m->flow_buy += sz;
	else
		m->flow_sell += sz;
	m->last_trade_px = px;
	m->last_trade_ns = now_ns;
	/* The buffer is shared by the windows; a window whose oldest trade is about to be
	 * overwritten drops it early (counted), so a burst never corrupts a sum. */
	for (int w = 0; w < SIG_VWAP_WINDOWS; w++) {
		if (m->tr_head - m->tr_tail[w] == SIG_TRADE_RING) {
			const struct sig_trade_rec *o = &m->trades[m->tr_tail[w] & (SIG_TRADE_RING - 1)];
			m->vwap_pv[w] -= o->px * o->sz;
			m->vwap_v[w] -= o->sz;
			m->tr_tail[w]++;
			m->trades_evicted++;
		}
	}
	struct sig_trade_rec *r = &m->trades[m->tr_head & (SIG_TRADE_RING - 1)];
	r->t_ns = now_ns;
	r->px = px;
	r->sz = sz;
	m->tr_head++;
	for (int w = 0; w < SIG_VWAP_WINDOWS; w++) {
		m->vwap_pv[w] += px * sz;
		m->vwap_v[w] += sz;
		expire(m, w, now_ns);
	}
}

double sig_market_flow(const struct sig_market *m, uint64_t now_ns)
{
	double b = m->flow_buy, s = m->flow_sell;
	if (m->flow_t_ns && now_ns > m->flow_t_ns && m->p.flow_halflife_s > 0) {
		double k = exp2(-(double)(now_ns - m->flow_t_ns) / 1e9 / m->p.flow_halflife_s);
		b *= k;
		s *= k;
	}
	return b + s > 1e-12 ? (b - s) / (b + s) : 0;
}

double sig_market_vwap(struct sig_market *m, int w, uint64_t now_ns)
{
	if (w < 0 || w >= SIG_VWAP_WINDOWS)
		return 0;
	expire(m, w, now_ns);
	return m->vwap_v[w] > 1e-12 ? m->vwap_pv[w] / m->vwap_v[w] : 0;
}

double sig_market_sigma_per_return(const struct sig_market *m)
{
	return m->n_returns >= 2 ? sqrt(m->ret_var) : 0;
}

double sig_market_sigma_per_sec(const struct sig_market *m)
{
	if (m->n_returns < 2 || m->last_return_ns <= m->first_return_ns)
		return 0;
	double secs = (double)(m->last_return_ns - m->first_return_ns) / 1e9;
	double rate = (double)(m->n_returns - 1) / secs; /* mid changes per second */
	return sqrt(m->ret_var * rate);
}

bool sig_market_is_stale(const struct sig_market *m, uint64_t now_ns, uint64_t max_age_ns)
{
	if (!m->have_book)
		return true;
	if (now_ns < m->last_update_ns)
		return false;
	return now_ns - m->last_update_ns > max_age_ns;
}
