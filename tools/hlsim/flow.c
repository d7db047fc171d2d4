/* tools/hlsim/flow.c -- seeded background agents: fair-price random walk with regimes, a
 * liquidity provider and noise takers, all trading through hlsim__place. */
#include "tools/hlsim/flow.h"

#include <math.h>
#include <string.h>

#include "common/fixed.h"
#include "hl/wire.h"
#include "tools/hlsim/engine_int.h"

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t hlsim_flow_rand(struct hlsim_flow *f)
{
	uint64_t *s = f->s;
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* Uniform in (0, 1). */
static double unif(struct hlsim_flow *f)
{
	return ((double)(hlsim_flow_rand(f) >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(struct hlsim_flow *f)
{
	double u = unif(f), v = unif(f);
	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

void hlsim_flow_init(struct hlsim_flow *f, const struct hlsim_config *c, uint64_t seed,
		     uint64_t now_ms)
{
	memset(f, 0, sizeof *f);
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		f->s[i] = splitmix(&x);
	for (size_t i = 0; i < c->n_coins; i++)
		f->fair[i] = hat_fx_to_double(c->coins[i].start_px);
	f->last_ms = now_ms;
}

void hlsim_flow_address(int which, uint8_t out[20])
{
	memset(out, 0, 20);
	out[17] = 0x0f;
	out[18] = 0x10;
	out[19] = (uint8_t)(0xa1 + which);
}

static int64_t round_px(double px, int szd, enum hl_round mode)
{
	int64_t v = hat_fx_from_double(px), r;
	if (v <= 0 || hl_px_round(v, szd, false, mode, &r) != 0)
		return 0;
	return r;
}

static int64_t size_for(double usd, double px, int szd)
{
	int64_t lot = hl_sz_lot(szd);
	int64_t sz = hat_fx_from_double(usd / px), r;
	if (hl_sz_round(sz, szd, HL_ROUND_DOWN, &r) != 0)
		return 0;
	/* stay above the $10 minimum */
	while (r > 0 && (double)r / 1e8 * px < 11.0)
		r += lot;
	return r > 0 ? r : lot;
}

static void requote(struct hlsim_engine *e, uint32_t coin)
{
	struct hlsim_flow *f = &e->flow;
	const struct hlsim_flow_cfg *fc = &e->cfg.flow;
	int szd = e->cfg.coins[coin].sz_decimals;
	struct hlsim_account *lp = e->acct[f->lp_acct];
	/* pull the LP's quotes on this coin */
	for (struct hlsim_order *o = lp->orders, *n; o; o = n) {
		n = o->acct_next;
		if (o->coin == coin)
			hlsim__cancel(e, o, "canceled");
	}
	double fair = f->fair[coin];
	for (int lvl = 0; lvl < fc->lp_levels; lvl++) {
		double off = (fc->lp_spread_bps + lvl * fc->lp_level_bps) / 1e4;
		/* a little size noise so levels differ */
		double usd = fc->lp_size_usd * (0.5 + unif(f));
		for (int side = 0; side < 2; side++) {
			bool buy = side == 0;
			int64_t px = round_px(buy ? fair * (1 - off) : fair * (1 + off), szd,
					      buy ? HL_ROUND_DOWN : HL_ROUND_UP);
			if (px <= 0)
				continue;
			struct hlsim_order_req q = { .coin = coin, .is_buy = buy, .px = px,
						     .sz = size_for(usd, fair, szd),
						     .tif = HLSIM_TIF_GTC };
			struct hlsim_place_result r;
			hlsim__place(e, f->lp_acct, &q, false, &r);
		}
	}
}

static void noise_take(struct hlsim_engine *e, uint32_t coin)
{
	struct hlsim_flow *f = &e->flow;
	int szd = e->cfg.coins[coin].sz_decimals;
	bool buy = (hlsim_flow_rand(f) & 1) != 0;
	/* lean against the distance between the book mid and fair so the book follows fair */
	double fair = f->fair[coin];
	double mid = hat_fx_to_double(hlsim__mid(e, coin));
	if (mid > 0 && fabs(mid - fair) / fair > 0.0005)
		buy = mid < fair;
	double usd = -log(unif(f)) * e->cfg.flow.taker_size_usd;
	int64_t px = round_px(buy ? fair * 1.01 : fair * 0.99, szd, buy ? HL_ROUND_UP : HL_ROUND_DOWN);
	if (px <= 0)
		return;
	struct hlsim_order_req q = { .coin = coin, .is_buy = buy, .px = px,
				     .sz = size_for(usd, fair, szd), .tif = HLSIM_TIF_IOC };
	struct hlsim_place_result r;
	hlsim__place(e, f->taker_acct, &q, false, &r);
}

static void step(struct hlsim_engine *e, double dt_s)
{
	struct hlsim_flow *f = &e->flow;
	const struct hlsim_flow_cfg *fc = &e->cfg.flow;
	for (uint32_t c = 0; c < e->cfg.n_coins; c++) {
		if (unif(f) < fc->regime_switch_p)
			f->hot[c] = !f->hot[c];
		double vol = e->cfg.coins[c].vol_per_sqrt_s * (f->hot[c] ? fc->high_vol_mult : 1.0);
		f->fair[c] *= exp(vol * sqrt(dt_s) * gauss(f));
		requote(e, c);
		double lambda = fc->taker_rate_per_s * dt_s;
		/* Poisson count by inversion (lambda is small) */
		double p = exp(-lambda), cum = p, u = unif(f);
		int k = 0;
		while (u > cum && k < 20) {
			k++;
			p *= lambda / k;
			cum += p;
		}
		for (int i = 0; i < k; i++)
			noise_take(e, c);
	}
}

void hlsim_flow_tick(struct hlsim_engine *e, uint64_t now_ms)
{
	struct hlsim_flow *f = &e->flow;
	uint32_t st = e->cfg.flow.step_ms;
	if (now_ms < f->last_ms + st)
		return;
	uint64_t due = (now_ms - f->last_ms) / st;
	if (due > 50) {
		f->last_ms = now_ms - 50ULL * st;
		due = 50;
	}
	for (uint64_t i = 0; i < due; i++) {
		f->last_ms += st;
		step(e, st / 1000.0);
	}
}
