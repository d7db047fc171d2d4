/* riskd/config.h -- riskd's section ("riskd") of etc/hat.json, turned into the engine's
 * configuration.
 *
 *   "riskd": {
 *     "start_equity_usd": "100000",      account equity at the start of the day (drawdown base)
 *     "max_daily_loss_usd": "1000",      total PnL at or below -this halts
 *     "max_drawdown_bps": 500,           drop from the day's peak equity that halts
 *     "max_gross_notional_usd": "50000", "max_net_notional_usd": "25000",
 *     "max_order_notional_usd": "5000",  default per coin
 *     "price_band_bps": 500,             default per coin: |px - mid| allowed, of the mid
 *     "max_open_orders": 20,             all coins
 *     "max_open_orders_per_coin": 0,     default per coin; 0 = max_open_orders
 *     "max_orders_per_s": 20, "order_burst": 0,     NEW+REPLACE bucket; burst 0 = the rate
 *     "max_cancels_per_s": 40, "cancel_burst": 0,   cancel bucket
 *     "stale_mark_ms": 5000,             a mark older than this rejects orders on its coin
 *     "stale_data_ms": 10000,            no fresh mark on any coin this long -> REDUCING
 *     "max_rejects": 20, "reject_window_ms": 60000, exchange rejects that -> REDUCING
 *     "position_publish_ms": 1000,       periodic POSITION publication (0 = off)
 *     "signald_timeout_ms": 3000,        signald's heartbeat older than this = signald down
 *     "signald_down_policy": "cancel_all",  or "none": what riskd does when signald is down
 *     "heartbeat_ms": 100,               control-block heartbeat and counter flush period
 *     "max_working": 1024, "dedup_window": 65536, "recent_cloids": 65536,
 *     "limits": [ { "coin": "BTC", "sz_decimals": 5, "max_position": "0.5",
 *                   "max_order_size": "0.1", "asset": 0, "spot": false,
 *                   "max_order_notional_usd": "0", "price_band_bps": 0,
 *                   "max_open_orders": 0 }, ... ]
 *   }
 * Money and sizes are decimal strings (or JSON numbers), exact to 1e-8. In a limits entry,
 * coin, sz_decimals, max_position and max_order_size are required; 0 (or absent) for
 * max_order_notional_usd, price_band_bps and max_open_orders means the section default;
 * an absent asset (-1) is learned from the board. Every coin of the shared "coins" list
 * needs a limits entry. Load-time only (allocates through cJSON).
 */
#ifndef HAT_RISKD_CONFIG_H
#define HAT_RISKD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "riskd/engine.h"

struct risk_cfg_coin {
	char coin[HAT_COIN_LEN];
	int64_t asset;                  /* -1 = learn from the board */
	uint32_t sz_decimals;
	bool spot;
	int64_t max_position;           /* 1e-8 */
	int64_t max_order_size;         /* 1e-8 */
	int64_t max_order_notional_usd; /* 1e-8, 0 = default */
	uint32_t price_band_bps;        /* 0 = default */
	uint32_t max_open_orders;       /* 0 = default */
};

struct risk_file_cfg {
	int64_t start_equity_usd, max_daily_loss_usd;
	uint32_t max_drawdown_bps;
	int64_t max_gross_notional_usd, max_net_notional_usd, max_order_notional_usd;
	uint32_t price_band_bps, max_open_orders, max_open_orders_per_coin;
	uint32_t max_orders_per_s, order_burst, max_cancels_per_s, cancel_burst;
	uint32_t stale_mark_ms, stale_data_ms;
	uint32_t max_rejects, reject_window_ms;
	uint32_t position_publish_ms, heartbeat_ms;
	uint32_t signald_timeout_ms;
	int signald_down_policy;        /* 0 = cancel_all, 1 = none */
	uint32_t max_working, dedup_window, recent_cloids;
	struct risk_cfg_coin limits[RISK_MAX_COINS];
	uint32_t n_limits;
};

/* The schema of the "riskd" section (for docs and `hatctl config --schema`). */
extern const struct hat_cfg_field risk_config_schema[];

/* Applies the "riskd" section of doc to *file (defaults first) and builds the engine's
 * configuration in *out (restart_count 0). shared may be NULL; if given, each of its coins
 * must have a limits entry. Returns 0 or HAT_E_CONFIG with err naming the file and key
 * ("etc/hat.json: riskd.limits[1].sz_decimals: missing"). */
int risk_config_load(const struct hat_config_doc *doc, const struct hat_config *shared,
                     struct risk_file_cfg *file, struct risk_engine_cfg *out, char *err,
                     size_t errlen);

#endif
