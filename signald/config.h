/* signald/config.h -- the "signald" section of the configuration.
 *
 *   "signald": {
 *     "max_md_age_ms": 2000,     market data older than this when read is skipped
 *     "stale_ms": 5000,          no book for this long: cancel quotes, stop quoting
 *     "timer_ms": 1000,          strategy on_timer period
 *     "state_dir": "var/run",    boot epoch (cloid uniqueness) and model weights live here
 *     "time_source": "wall",     "wall": now is the clock; "data": now is the latest market
 *                                data's exchange time (exch_time_ms, not its receipt time),
 *                                timers run after every md message and max_md_age_ms is not
 *                                applied, so a replayed journal gives the same intents every
 *                                time (backtests)
 *     "quoter": { "max_working": 8, "requote_bps": 2, "resize_frac": 0.25,
 *                 "pending_timeout_ms": 5000, "use_replace": true },
 *     "strategies": [ { "coin": "BTC", "kind": "mm", "enabled": true, "sz_decimals": 5,
 *                       "strategy_id": 1, "params": { ...strategy's own keys... } } ]
 *   }
 * Every key is optional except each strategy's coin, kind and sz_decimals (the exchange's
 * szDecimals of the coin: prices and sizes are rounded with it). Unknown keys are errors,
 * including inside "params" (checked by the strategy).
 */
#ifndef HAT_SIGNALD_CONFIG_H
#define HAT_SIGNALD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"
#include "signald/engine.h"

enum sig_time_source { SIG_TIME_WALL = 0, SIG_TIME_DATA = 1 };

struct sig_cfg_strategy {
	char coin[HAT_COIN_LEN];
	char kind[16];
	bool enabled;
	uint32_t sz_decimals;
	uint32_t strategy_id;
	const struct cJSON *params;  /* borrowed from the config document (NULL = defaults) */
};

struct sig_cfg_quoter {
	uint32_t max_working;
	double requote_bps;
	double resize_frac;
	uint32_t pending_timeout_ms;
	bool use_replace;
};

struct sig_config {
	uint32_t max_md_age_ms;
	uint32_t stale_ms;
	uint32_t timer_ms;
	char state_dir[256];
	int time_source;          /* enum sig_time_source */
	struct sig_cfg_quoter quoter;
	struct sig_cfg_strategy strategies[SIG_MAX_COINS];
	uint32_t n_strategies;
};

/* Fills c from doc's "signald" section. Returns 0 or HAT_E_CONFIG with err naming the key
 * ("etc/hat.json: signald.strategies[1].kind: unknown strategy 'mmm' (mm|taker)"). */
int sig_config_load(struct sig_config *c, const struct hat_config_doc *doc, char *err,
		    size_t errlen);

#endif
