/* signald/strat_mm.c -- market maker in the Avellaneda-Stoikov style.
 *
 * Works in basis points of the mid so its parameters do not depend on the price level:
 *   sigma      per-second volatility of log returns (market.h), in bps
 *   q          inventory in units of the base quote size (position / base_size)
 *   r          reservation price offset = -q * gamma * sigma^2 * horizon  (+ model skew)
 *   delta      total spread = gamma * sigma^2 * horizon + (2 / gamma) * ln(1 + gamma / k)
 *              clamped to [min_spread_bps, max_spread_bps]
 *   bid_i      mid * (1 + (r - delta / 2 - i * level_bps) / 1e4), ask_i symmetric
 *   size_i     base_size * size_mult^i (lots, at least the exchange's minimum value)
 * Quotes are post-only; a side is dropped when the position is at max_position on it; a
 * quote that would cross the opposite best is pulled back behind it. The quoter requotes only
 * when a target moves past its threshold. With model.enabled, an online logistic model
 * (model.h) of the next mid move over its horizon skews r by skew_bps * (2p - 1).
 */
#include "signald/strategy.h"
#include "signald/model.h"
#include "common/err.h"
#include "common/fixed.h"
#include "hl/wire.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct mm {
	double gamma, k, horizon_s, min_spread_bps, max_spread_bps, level_bps;
	double base_size, size_mult, max_position;
	double default_sigma_bps;  /* used until the market has measured one */
	int levels;
	bool model_enabled;
	double skew_bps;
	char model_path[256];
	struct sig_model model;
	uint64_t last_save_ns;
	double last_p;             /* last model probability, for tests and metrics */
	double last_r_bps, last_delta_bps;
};

static void features(const struct sig_market *m, double x[SIG_MODEL_FEATURES])
{
	x[0] = m->imbalance[0];
	x[1] = m->imbalance[1];
	x[2] = m->imbalance[2];
	x[3] = m->flow_buy + m->flow_sell > 0 ? (m->flow_buy - m->flow_sell) / (m->flow_buy + m->flow_sell) : 0;
	x[4] = m->mid > 0 ? (m->microprice - m->mid) / m->mid * 1e4 : 0;
	x[5] = m->spread_bps;
}

static int mm_init(void *st, struct sig_coin *c, const cJSON *params, char *err, size_t errlen)
{
	static const char *const keys[] = { "gamma", "k", "horizon_s", "min_spread_bps",
		"max_spread_bps", "level_bps", "levels", "base_size", "size_mult", "max_position",
		"default_sigma_bps", "model", NULL };
	static const char *const model_keys[] = { "enabled", "skew_bps", "lr", "l2", "horizon_ms",
		"sample_ms", "path", NULL };
	struct mm *s = st;
	memset(s, 0, sizeof *s);
	s->gamma = 0.1;
	s->k = 1.5;
	s->horizon_s = 1.0;
	s->min_spread_bps = 2.0;
	s->max_spread_bps = 200.0;
	s->level_bps = 2.0;
	s->levels = 1;
	s->base_size = 0.001;
	s->size_mult = 1.0;
	s->max_position = 0.01;
	s->default_sigma_bps = 1.0;
	s->skew_bps = 2.0;
	double levels = 1;
	int rc = sig_param_check_keys(params, "mm", keys, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "mm", "gamma", 1e-6, 1e6, &s->gamma, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "mm", "k", 1e-6, 1e6, &s->k, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "mm", "horizon_s", 1e-3, 86400, &s->horizon_s, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "mm", "min_spread_bps", 0, 1e4, &s->min_spread_bps, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "mm", "max_spread_bps", 0, 1e4, &s->max_spread_bps, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "mm", "level_bps", 0, 1e4, &s->level_bps, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "mm", "levels", 1, SIG_MAX_LEVELS, &levels, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "mm", "base_size", 1e-8, 1e9, &s->base_size, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "mm", "size_mult", 0.1, 10, &s->size_mult, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "mm", "max_position", 0, 1e12, &s->max_position, err, errlen);
	if (rc == 0) rc = sig_param_num(params, "mm", "default_sigma_bps", 0, 1e4, &s->default_sigma_bps, err, errlen);
	if (rc == 0 && s->max_spread_bps < s->min_spread_bps) {
		snprintf(err, errlen, "mm.max_spread_bps: must be >= min_spread_bps (%g)", s->min_spread_bps);
		rc = HAT_E_CONFIG;
	}
	s->levels = (int)levels;
	struct sig_model_params mp;
	sig_model_params_default(&mp);
	const cJSON *model = params ? cJSON_GetObjectItemCaseSensitive(params, "model") : NULL;
	if (rc == 0 && model) {
		rc = sig_param_check_keys(model, "mm.model", model_keys, err, errlen);
		const cJSON *en = cJSON_GetObjectItemCaseSensitive(model, "enabled");
		if (rc == 0 && en && !cJSON_IsBool(en)) {
			snprintf(err, errlen, "mm.model.enabled: expected true or false");
			rc = HAT_E_CONFIG;
		}
		s->model_enabled = en && cJSON_IsTrue(en);
		double hz = (double)mp.horizon_ns / 1e6, smp = (double)mp.sample_every_ns / 1e6;
		if (rc == 0) rc = sig_param_num(model, "mm.model", "skew_bps", 0, 1e4, &s->skew_bps, err, errlen);
		if (rc == 0) rc = sig_param_num(model, "mm.model", "lr", 1e-9, 10, &mp.lr, err, errlen);
		if (rc == 0) rc = sig_param_num(model, "mm.model", "l2", 0, 10, &mp.l2, err, errlen);
		if (rc == 0) rc = sig_param_num(model, "mm.model", "horizon_ms", 1, 3.6e6, &hz, err, errlen);
		if (rc == 0) rc = sig_param_num(model, "mm.model", "sample_ms", 1, 3.6e6, &smp, err, errlen);
		mp.horizon_ns = (uint64_t)(hz * 1e6);
		mp.sample_every_ns = (uint64_t)(smp * 1e6);
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(model, "path");
		if (rc == 0 && path) {
			if (!cJSON_IsString(path) || strlen(path->valuestring) >= sizeof s->model_path) {
				snprintf(err, errlen, "mm.model.path: expected a file path string");
				rc = HAT_E_CONFIG;
			} else {
				snprintf(s->model_path, sizeof s->model_path, "%s", path->valuestring);
			}
		}
	}
	if (rc != 0)
		return rc;
	sig_model_init(&s->model, &mp);
	if (s->model_enabled && s->model_path[0]) {
		char lerr[256];
		/* A missing or unreadable file leaves a fresh model; the caller logs nothing here
		 * because a first run has no file. A malformed file is an error worth stopping for. */
		int lrc = sig_model_load(&s->model, s->model_path, lerr, sizeof lerr);
		if (lrc == HAT_E_PARSE) {
			snprintf(err, errlen, "mm.model.path: %s", lerr);
			return HAT_E_CONFIG;
		}
	}
	(void)c;
	return 0;
}

/* Computes the target ladder for the coin's current market and position (exposed to tests
 * through the quoter's intents). */
static void mm_quote(struct mm *s, struct sig_coin *c, uint64_t now_ns)
{
	struct sig_market *m = &c->market;
	if (!m->have_book || !(m->mid > 0))
		return;
	double sigma = sig_market_sigma_per_sec(m) * 1e4;
	if (!(sigma > 0))
		sigma = s->default_sigma_bps;
	double q = s->base_size > 0 ? c->position / s->base_size : 0;
	double var_term = s->gamma * sigma * sigma * s->horizon_s;
	double r = -q * var_term;
	double delta = var_term + (2.0 / s->gamma) * log1p(s->gamma / s->k);
	if (delta < s->min_spread_bps)
		delta = s->min_spread_bps;
	if (delta > s->max_spread_bps)
		delta = s->max_spread_bps;
	if (s->model_enabled) {
		double x[SIG_MODEL_FEATURES];
		features(m, x);
		s->last_p = sig_model_predict(&s->model, x);
		r += s->skew_bps * (2 * s->last_p - 1);
	}
	s->last_r_bps = r;
	s->last_delta_bps = delta;

	struct sig_target t;
	memset(&t, 0, sizeof t);
	bool bids_ok = c->position < s->max_position;
	bool asks_ok = c->position > -s->max_position;
	double size = s->base_size;
	for (int i = 0; i < s->levels && i < SIG_MAX_LEVELS; i++, size *= s->size_mult) {
		double off = delta / 2 + i * s->level_bps;
		double bid = m->mid * (1 + (r - off) / 1e4);
		double ask = m->mid * (1 + (r + off) / 1e4);
		/* Post-only: never at or through the opposite best. */
		if (bid >= m->best_ask)
			bid = m->best_bid;
		if (ask <= m->best_bid)
			ask = m->best_ask;
		if (bids_ok && sig_make_quote(c, HAT_SIDE_BUY, bid, size, &t.bids[i]))
			t.n_bids = i + 1;
		if (asks_ok && sig_make_quote(c, HAT_SIDE_SELL, ask, size, &t.asks[i]))
			t.n_asks = i + 1;
	}
	sig_quoter_set_target(&c->quoter, &t, now_ns);
}

static void mm_on_book(void *st, struct sig_coin *c, uint64_t now_ns)
{
	struct mm *s = st;
	if (s->model_enabled && c->market.have_book) {
		double x[SIG_MODEL_FEATURES];
		features(&c->market, x);
		sig_model_observe(&s->model, x, c->market.mid, now_ns);
	}
	mm_quote(s, c, now_ns);
}

static void mm_on_trade(void *st, struct sig_coin *c, const struct hat_msg_trade *t, uint64_t now_ns)
{
	(void)st; (void)c; (void)t; (void)now_ns; /* flow is in the market state; quotes move on books */
}

static void mm_on_position(void *st, struct sig_coin *c, uint64_t now_ns)
{
	mm_quote(st, c, now_ns); /* inventory moved: the reservation price moves with it */
}

static void mm_on_timer(void *st, struct sig_coin *c, uint64_t now_ns)
{
	struct mm *s = st;
	if (s->model_enabled && s->model_path[0] && now_ns - s->last_save_ns > 10000000000ull) {
		char err[256];
		sig_model_save(&s->model, s->model_path, err, sizeof err);
		s->last_save_ns = now_ns;
	}
	mm_quote(s, c, now_ns);
}

static void mm_deinit(void *st, struct sig_coin *c)
{
	struct mm *s = st;
	(void)c;
	if (s->model_enabled && s->model_path[0]) {
		char err[256];
		sig_model_save(&s->model, s->model_path, err, sizeof err);
	}
}

const struct sig_strategy_ops sig_strat_mm = {
	.name = "mm",
	.state_size = sizeof(struct mm),
	.init = mm_init,
	.on_book = mm_on_book,
	.on_trade = mm_on_trade,
	.on_position = mm_on_position,
	.on_timer = mm_on_timer,
	.deinit = mm_deinit,
};
