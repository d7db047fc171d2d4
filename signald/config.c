/* signald/config.c -- schema of the "signald" section. */
#include "signald/config.h"
#include "common/err.h"
#include "signald/strategy.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const struct hat_cfg_field quoter_schema[] = {
	HAT_CFG_UINT_F(struct sig_cfg_quoter, max_working, "max_working", 8, 1, SIG_MAX_WORKING,
		       "working orders per coin at most"),
	HAT_CFG_DOUBLE_F(struct sig_cfg_quoter, requote_bps, "requote_bps", 2.0, 0, 1e4,
			 "leave a resting quote alone while its price is within this of target"),
	HAT_CFG_DOUBLE_F(struct sig_cfg_quoter, resize_frac, "resize_frac", 0.25, 0, 10,
			 "... and its size within this fraction"),
	HAT_CFG_UINT_F(struct sig_cfg_quoter, pending_timeout_ms, "pending_timeout_ms", 5000, 100,
		       600000, "an unanswered intent older than this is cancelled by cloid"),
	HAT_CFG_BOOL_F(struct sig_cfg_quoter, use_replace, "use_replace", 1,
		       "requote with one modify instead of cancel + new"),
	HAT_CFG_END_F,
};

static const struct hat_cfg_field strategy_schema[] = {
	{ "coin", HAT_CFG_STRING, HAT_CFG_F_REQUIRED | HAT_CFG_F_MIN,
	  offsetof(struct sig_cfg_strategy, coin), HAT_COIN_LEN, .imin = 1, .help = "coin name" },
	{ "kind", HAT_CFG_STRING, HAT_CFG_F_REQUIRED | HAT_CFG_F_MIN,
	  offsetof(struct sig_cfg_strategy, kind), 16, .imin = 1, .help = "strategy: mm or taker" },
	HAT_CFG_BOOL_F(struct sig_cfg_strategy, enabled, "enabled", 1, "trade this coin"),
	{ "sz_decimals", HAT_CFG_UINT, HAT_CFG_F_REQUIRED | HAT_CFG_F_MIN | HAT_CFG_F_MAX,
	  offsetof(struct sig_cfg_strategy, sz_decimals), sizeof(uint32_t), .imin = 0, .imax = 8,
	  .help = "the exchange's szDecimals of the coin" },
	HAT_CFG_UINT_F(struct sig_cfg_strategy, strategy_id, "strategy_id", 1, 1, 65535,
		       "id carried by intents and cloids"),
	HAT_CFG_SECTION_F("params", "the strategy's own parameters"),
	HAT_CFG_END_F,
};

static const char *const time_sources[] = { "wall", "data", NULL };

static const struct hat_cfg_field schema[] = {
	HAT_CFG_UINT_F(struct sig_config, max_md_age_ms, "max_md_age_ms", 2000, 1, 3600000,
		       "market data older than this when read is skipped"),
	HAT_CFG_UINT_F(struct sig_config, stale_ms, "stale_ms", 5000, 1, 3600000,
		       "no book for this long: cancel quotes and stop quoting"),
	HAT_CFG_UINT_F(struct sig_config, timer_ms, "timer_ms", 1000, 1, 3600000,
		       "strategy timer period"),
	HAT_CFG_STRING_F(struct sig_config, state_dir, "state_dir", "var/run", 1,
			 "boot epoch and model weights"),
	HAT_CFG_ENUM_F(struct sig_config, time_source, "time_source", SIG_TIME_WALL, time_sources,
		       "wall clock, or the market data's own time (replays, backtests)"),
	HAT_CFG_OBJECT_F(struct sig_config, quoter, "quoter", quoter_schema, "working-order policy"),
	HAT_CFG_ARRAY_F(struct sig_config, strategies, n_strategies, "strategies", strategy_schema, 0,
			"one entry per traded coin"),
	HAT_CFG_END_F,
};

int sig_config_load(struct sig_config *c, const struct hat_config_doc *doc, char *err,
		    size_t errlen)
{
	memset(c, 0, sizeof *c);
	int rc = hat_config_apply(doc, "signald", schema, c, err, errlen);
	if (rc != 0)
		return rc;
	const cJSON *sec = cJSON_GetObjectItemCaseSensitive(doc->root, "signald");
	const cJSON *arr = sec ? cJSON_GetObjectItemCaseSensitive(sec, "strategies") : NULL;
	for (uint32_t i = 0; i < c->n_strategies; i++) {
		struct sig_cfg_strategy *s = &c->strategies[i];
		if (!sig_strategy_find(s->kind)) {
			snprintf(err, errlen, "%s: signald.strategies[%u].kind: unknown strategy '%s' "
				 "(mm|taker)", doc->path, i, s->kind);
			return HAT_E_CONFIG;
		}
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(c->strategies[j].coin, s->coin) == 0) {
				snprintf(err, errlen, "%s: signald.strategies[%u].coin: %s appears twice",
					 doc->path, i, s->coin);
				return HAT_E_CONFIG;
			}
		const cJSON *el = cJSON_GetArrayItem(arr, (int)i);
		s->params = el ? cJSON_GetObjectItemCaseSensitive(el, "params") : NULL;
	}
	return 0;
}
