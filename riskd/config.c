/* riskd/config.c -- the "riskd" config section (see config.h). */
#include "riskd/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

#define F struct risk_file_cfg
#define C struct risk_cfg_coin
#define USD(x) ((int64_t)(x) * HAT_FX_ONE)
#define FXMAX ((int64_t)HAT_FX_MAX)

static const char *const down_policies[] = { "cancel_all", "none", NULL };

static const struct hat_cfg_field coin_schema[] = {
	{ "coin", HAT_CFG_STRING, HAT_CFG_F_MIN | HAT_CFG_F_REQUIRED, offsetof(C, coin),
	  sizeof(((C *)0)->coin), .imin = 1, .help = "coin name as the exchange spells it" },
	HAT_CFG_INT_F(C, asset, "asset", -1, -1, UINT32_MAX - 1,
	              "exchange asset id; -1 = learn it from the board"),
	{ "sz_decimals", HAT_CFG_UINT, HAT_CFG_F_MIN | HAT_CFG_F_MAX | HAT_CFG_F_REQUIRED,
	  offsetof(C, sz_decimals), sizeof(uint32_t), .imin = 0, .imax = 8,
	  .help = "the exchange's szDecimals (lot = 10^-szDecimals)" },
	HAT_CFG_BOOL_F(C, spot, "spot", false, "spot pair (price decimals 8 - szDecimals)"),
	{ "max_position", HAT_CFG_FX, HAT_CFG_F_MIN | HAT_CFG_F_MAX | HAT_CFG_F_REQUIRED,
	  offsetof(C, max_position), sizeof(int64_t), .imin = 1, .imax = FXMAX,
	  .help = "largest absolute position, working orders on the side included" },
	{ "max_order_size", HAT_CFG_FX, HAT_CFG_F_MIN | HAT_CFG_F_MAX | HAT_CFG_F_REQUIRED,
	  offsetof(C, max_order_size), sizeof(int64_t), .imin = 1, .imax = FXMAX,
	  .help = "largest order size" },
	HAT_CFG_FX_F(C, max_order_notional_usd, "max_order_notional_usd", 0, 0, FXMAX,
	             "largest order px*sz; 0 = the section's"),
	HAT_CFG_UINT_F(C, price_band_bps, "price_band_bps", 0, 0, 10000,
	               "allowed distance from the mid; 0 = the section's"),
	HAT_CFG_UINT_F(C, max_open_orders, "max_open_orders", 0, 0, RISK_MAX_WORKING,
	               "working orders on this coin; 0 = max_open_orders_per_coin"),
	HAT_CFG_END_F,
};

const struct hat_cfg_field risk_config_schema[] = {
	HAT_CFG_FX_F(F, start_equity_usd, "start_equity_usd", USD(100000), 1, FXMAX,
	             "account equity the drawdown is measured against at the start"),
	HAT_CFG_FX_F(F, max_daily_loss_usd, "max_daily_loss_usd", USD(1000), 1, FXMAX,
	             "halt when the day's total PnL reaches -this"),
	HAT_CFG_UINT_F(F, max_drawdown_bps, "max_drawdown_bps", 500, 1, 10000,
	               "halt when equity falls this far below the day's peak"),
	HAT_CFG_FX_F(F, max_gross_notional_usd, "max_gross_notional_usd", USD(50000), 1, FXMAX,
	             "sum of worst-case |position| * mark over coins"),
	HAT_CFG_FX_F(F, max_net_notional_usd, "max_net_notional_usd", USD(25000), 1, FXMAX,
	             "|sum of position * mark| over coins"),
	HAT_CFG_FX_F(F, max_order_notional_usd, "max_order_notional_usd", USD(5000), 1, FXMAX,
	             "default largest order px*sz"),
	HAT_CFG_UINT_F(F, price_band_bps, "price_band_bps", 500, 1, 10000,
	               "default allowed distance of a limit price from the mid"),
	HAT_CFG_UINT_F(F, max_open_orders, "max_open_orders", 20, 1, RISK_MAX_WORKING,
	               "working orders over all coins"),
	HAT_CFG_UINT_F(F, max_open_orders_per_coin, "max_open_orders_per_coin", 0, 0,
	               RISK_MAX_WORKING, "default working orders per coin; 0 = max_open_orders"),
	HAT_CFG_UINT_F(F, max_orders_per_s, "max_orders_per_s", 20, 1, RISK_THROTTLE_MAX_RATE,
	               "NEW and REPLACE approvals per second (keep below the exchange's)"),
	HAT_CFG_UINT_F(F, order_burst, "order_burst", 0, 0, RISK_THROTTLE_MAX_BURST,
	               "order bucket size; 0 = max_orders_per_s"),
	HAT_CFG_UINT_F(F, max_cancels_per_s, "max_cancels_per_s", 40, 1, RISK_THROTTLE_MAX_RATE,
	               "cancel approvals per second"),
	HAT_CFG_UINT_F(F, cancel_burst, "cancel_burst", 0, 0, RISK_THROTTLE_MAX_BURST,
	               "cancel bucket size; 0 = max_cancels_per_s"),
	HAT_CFG_UINT_F(F, stale_mark_ms, "stale_mark_ms", 5000, 1, 86400000,
	               "orders on a coin whose mark is older are rejected"),
	HAT_CFG_UINT_F(F, stale_data_ms, "stale_data_ms", 10000, 1, 86400000,
	               "no fresh mark on any coin for this long -> REDUCING"),
	HAT_CFG_UINT_F(F, max_rejects, "max_rejects", 20, 1, RISK_REJECT_WINDOW_MAX,
	               "exchange rejects within reject_window_ms that -> REDUCING"),
	HAT_CFG_UINT_F(F, reject_window_ms, "reject_window_ms", 60000, 1, 86400000,
	               "window of max_rejects"),
	HAT_CFG_UINT_F(F, position_publish_ms, "position_publish_ms", 1000, 0, 3600000,
	               "periodic POSITION publication to signald; 0 = only on changes"),
	HAT_CFG_UINT_F(F, heartbeat_ms, "heartbeat_ms", 100, 1, 60000,
	               "control block heartbeat and counter flush period"),
	HAT_CFG_UINT_F(F, signald_timeout_ms, "signald_timeout_ms", 3000, 1, 3600000,
	               "signald's heartbeat older than this means signald is down"),
	HAT_CFG_ENUM_F(F, signald_down_policy, "signald_down_policy", 0, down_policies,
	               "when signald is down: cancel_all working orders, or none"),
	HAT_CFG_UINT_F(F, max_working, "max_working", 1024, 1, RISK_MAX_WORKING,
	               "working orders riskd can track (>= max_open_orders)"),
	HAT_CFG_UINT_F(F, dedup_window, "dedup_window", 65536, 1, 1 << 20,
	               "fills remembered to ignore duplicates"),
	HAT_CFG_UINT_F(F, recent_cloids, "recent_cloids", 65536, 1, 1 << 20,
	               "cloids remembered to reject reuse"),
	HAT_CFG_ARRAY_F(F, limits, n_limits, "limits", coin_schema, 1, "per-coin limits"),
	HAT_CFG_END_F,
};

static int cfg_err(char *err, size_t errlen, const char *doc, const char *fmt, ...)
	HAT_PRINTF(4, 5);
static int cfg_err(char *err, size_t errlen, const char *doc, const char *fmt, ...)
{
	char msg[192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", doc, msg);
	return HAT_E_CONFIG;
}

int risk_config_load(const struct hat_config_doc *doc, const struct hat_config *shared,
                     struct risk_file_cfg *file, struct risk_engine_cfg *out, char *err,
                     size_t errlen)
{
	int rc = hat_config_apply(doc, "riskd", risk_config_schema, file, err, errlen);
	if (rc)
		return rc;
	if (file->n_limits == 0)
		return cfg_err(err, errlen, doc->path, "riskd.limits: at least one coin needed");
	memset(out, 0, sizeof *out);
	for (uint32_t i = 0; i < file->n_limits; i++) {
		const struct risk_cfg_coin *c = &file->limits[i];
		int md = c->spot ? 8 : 6;
		if ((int)c->sz_decimals > md)
			return cfg_err(err, errlen, doc->path,
			               "riskd.limits[%u].sz_decimals: must be <= %d for a %s coin", i,
			               md, c->spot ? "spot" : "perp");
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(file->limits[j].coin, c->coin) == 0)
				return cfg_err(err, errlen, doc->path,
				               "riskd.limits[%u].coin: %s listed twice", i, c->coin);
		memset(out->coins[i], 0, HAT_COIN_LEN);
		snprintf(out->coins[i], HAT_COIN_LEN, "%s", c->coin);
		out->assets[i] = c->asset < 0 ? RISK_ASSET_UNKNOWN : (uint32_t)c->asset;
		struct risk_coin_limits *l = &out->limits.coin[i];
		l->max_order_sz = c->max_order_size;
		l->max_position = c->max_position;
		l->max_order_notional = c->max_order_notional_usd ? c->max_order_notional_usd
		                                                  : file->max_order_notional_usd;
		l->price_band_bps = c->price_band_bps ? c->price_band_bps : file->price_band_bps;
		l->max_open_orders = c->max_open_orders ? c->max_open_orders
		                     : file->max_open_orders_per_coin ? file->max_open_orders_per_coin
		                     : file->max_open_orders;
		l->sz_decimals = (uint8_t)c->sz_decimals;
		l->spot = c->spot;
	}
	if (shared) {
		for (uint32_t i = 0; i < shared->n_coins; i++) {
			bool found = false;
			for (uint32_t j = 0; j < file->n_limits && !found; j++)
				found = strcmp(shared->coins[i], file->limits[j].coin) == 0;
			if (!found)
				return cfg_err(err, errlen, doc->path,
				               "riskd.limits: no entry for coin %s (listed in coins)",
				               shared->coins[i]);
		}
	}
	if (file->max_working < file->max_open_orders)
		return cfg_err(err, errlen, doc->path,
		               "riskd.max_working: must be >= max_open_orders (%u < %u)",
		               file->max_working, file->max_open_orders);
	out->limits.n_coins = file->n_limits;
	out->limits.max_gross_notional = file->max_gross_notional_usd;
	out->limits.max_net_notional = file->max_net_notional_usd;
	out->limits.max_open_orders = file->max_open_orders;
	out->limits.mark_max_age_ns = (uint64_t)file->stale_mark_ms * 1000000ULL;
	out->state.start_equity = file->start_equity_usd;
	out->state.max_daily_loss = file->max_daily_loss_usd;
	out->state.max_drawdown_bps = file->max_drawdown_bps;
	out->state.max_rejects = file->max_rejects;
	out->state.reject_window_ns = (uint64_t)file->reject_window_ms * 1000000ULL;
	out->state.stale_ns = (uint64_t)file->stale_data_ms * 1000000ULL;
	out->order_rate_per_s = file->max_orders_per_s;
	out->order_burst = file->order_burst ? file->order_burst : file->max_orders_per_s;
	out->cancel_rate_per_s = file->max_cancels_per_s;
	out->cancel_burst = file->cancel_burst ? file->cancel_burst : file->max_cancels_per_s;
	out->max_working = file->max_working;
	out->dedup_window = file->dedup_window;
	out->recent_cloids = file->recent_cloids;
	out->position_publish_ns = (uint64_t)file->position_publish_ms * 1000000ULL;
	out->signald_down_cancel = file->signald_down_policy == 0;
	char e[128];
	if (risk_limits_validate(&out->limits, e, sizeof e) != 0)
		return cfg_err(err, errlen, doc->path, "riskd: %s", e);
	return 0;
}
