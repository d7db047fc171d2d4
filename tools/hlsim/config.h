/* tools/hlsim/config.h -- hlsim's configuration: coins, fees, funded accounts, flow knobs.
 *
 * Loaded from JSON (tools/hlsim/hlsim.json is the default file) with cJSON; every error names
 * the file and the key path. hlsim_config_defaults() gives a usable built-in configuration
 * (BTC, ETH, SOL, no accounts, flow on) so tests need no file. Plain data, no I/O except
 * hlsim_config_load reading the file; single-threaded.
 */
#ifndef HAT_TOOLS_HLSIM_CONFIG_H
#define HAT_TOOLS_HLSIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HLSIM_MAX_COINS 32
#define HLSIM_MAX_CFG_ACCOUNTS 64
#define HLSIM_COIN_NAME_LEN 16

struct hlsim_coin_cfg {
	char name[HLSIM_COIN_NAME_LEN];
	int sz_decimals;        /* 0..6 */
	int max_leverage;       /* 1..100 */
	int64_t start_px;       /* 1e-8 */
	double vol_per_sqrt_s;  /* relative volatility of the fair price per sqrt(second) */
};

struct hlsim_acct_cfg {
	uint8_t address[20];
	int64_t usdc; /* 1e-8 */
};

struct hlsim_flow_cfg {
	bool enabled;
	uint32_t step_ms;         /* agents act every step_ms */
	int lp_levels;            /* price levels quoted per side by the liquidity provider */
	double lp_spread_bps;     /* half spread of the first level around fair, basis points */
	double lp_level_bps;      /* spacing between levels, basis points */
	double lp_size_usd;       /* notional per level */
	double taker_rate_per_s;  /* mean noise-taker orders per second per coin */
	double taker_size_usd;    /* mean notional of a noise-taker order */
	double regime_switch_p;   /* per-step probability of switching calm <-> volatile */
	double high_vol_mult;     /* volatility multiplier in the volatile regime */
};

struct hlsim_config {
	size_t n_coins;
	struct hlsim_coin_cfg coins[HLSIM_MAX_COINS];
	int64_t maker_fee; /* rate, 1e-8 units (0.00015 -> 15000); negative = rebate */
	int64_t taker_fee; /* rate, 1e-8 units */
	size_t n_accounts;
	struct hlsim_acct_cfg accounts[HLSIM_MAX_CFG_ACCOUNTS];
	struct hlsim_flow_cfg flow;
	bool mainnet;               /* signatures checked with source "a" (mainnet) or "b" */
	uint64_t seed;
	uint32_t l2_push_ms;        /* minimum interval of l2Book pushes per coin */
	uint32_t allmids_push_ms;   /* interval of allMids pushes */
	bool modify_always_place;   /* modify = plain cancel + replace (the older server rule) */
	uint32_t max_open_orders;   /* per user (8.2: 1000) */
};

/* Fills c with the built-in defaults (BTC 5/40, ETH 4/25, SOL 2/20, fees 0.00015/0.00045). */
void hlsim_config_defaults(struct hlsim_config *c);

/* Loads path over the defaults. Keys: "mainnet", "seed", "fees":{"maker","taker"} (decimal
 * strings or numbers), "coins":[{"name","szDecimals","maxLeverage","startPx","vol"}] (replaces
 * the default coins), "accounts":[{"address"|"privateKey","usdc"}], "flow":{...},
 * "l2PushMs", "allMidsPushMs", "modifyAlwaysPlace", "maxOpenOrders".
 * Returns 0, -ENOENT (file missing), HAT_E_PARSE (not JSON) or HAT_E_CONFIG (err names the
 * key path, e.g. "hlsim.json: coins[1].szDecimals: must be 0..6"). */
int hlsim_config_load(struct hlsim_config *c, const char *path, char *err, size_t errlen);

/* Adds a funded account (replacing the balance if the address is already listed).
 * Returns 0 or -ENOSPC. */
int hlsim_config_add_account(struct hlsim_config *c, const uint8_t address[20], int64_t usdc);

/* Index of coin name, or -1. */
int hlsim_config_coin(const struct hlsim_config *c, const char *name);

#endif
