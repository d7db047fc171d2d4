/* tools/hlsim/config.c -- hlsim configuration loader (cJSON). */
#include "tools/hlsim/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/fixed.h"
#include "hl/hex.h"
#include "hl/sign.h"

static void set_coin(struct hlsim_coin_cfg *k, const char *name, int szd, int lev, int64_t px,
		     double vol)
{
	memset(k, 0, sizeof *k);
	snprintf(k->name, sizeof k->name, "%s", name);
	k->sz_decimals = szd;
	k->max_leverage = lev;
	k->start_px = px;
	k->vol_per_sqrt_s = vol;
}

void hlsim_config_defaults(struct hlsim_config *c)
{
	memset(c, 0, sizeof *c);
	c->n_coins = 3;
	set_coin(&c->coins[0], "BTC", 5, 40, 65000 * HAT_FX_ONE, 0.0002);
	set_coin(&c->coins[1], "ETH", 4, 25, 3000 * HAT_FX_ONE, 0.00025);
	set_coin(&c->coins[2], "SOL", 2, 20, 150 * HAT_FX_ONE, 0.0003);
	c->maker_fee = 15000;  /* 0.00015 */
	c->taker_fee = 45000;  /* 0.00045 */
	c->flow = (struct hlsim_flow_cfg){
		.enabled = true, .step_ms = 200, .lp_levels = 5, .lp_spread_bps = 1.0,
		.lp_level_bps = 1.0, .lp_size_usd = 20000.0, .taker_rate_per_s = 1.0,
		.taker_size_usd = 3000.0, .regime_switch_p = 0.002, .high_vol_mult = 3.0,
	};
	c->mainnet = false;
	c->seed = 1;
	c->l2_push_ms = 500;
	c->allmids_push_ms = 1000;
	c->modify_always_place = true;
	c->max_open_orders = 1000;
}

int hlsim_config_coin(const struct hlsim_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_coins; i++)
		if (strcmp(c->coins[i].name, name) == 0)
			return (int)i;
	return -1;
}

int hlsim_config_add_account(struct hlsim_config *c, const uint8_t address[20], int64_t usdc)
{
	for (size_t i = 0; i < c->n_accounts; i++) {
		if (memcmp(c->accounts[i].address, address, 20) == 0) {
			c->accounts[i].usdc = usdc;
			return 0;
		}
	}
	if (c->n_accounts >= HLSIM_MAX_CFG_ACCOUNTS)
		return -ENOSPC;
	memcpy(c->accounts[c->n_accounts].address, address, 20);
	c->accounts[c->n_accounts].usdc = usdc;
	c->n_accounts++;
	return 0;
}

/* ------------------------------------------------------------------ typed getters */

struct ctx {
	const char *file;
	char *err;
	size_t errlen;
};

static int fail(struct ctx *x, const char *path, const char *why)
{
	snprintf(x->err, x->errlen, "%s: %s: %s", x->file, path, why);
	return HAT_E_CONFIG;
}

/* A decimal given as a JSON string ("0.00015") or a number (0.00015). */
static int get_fx(struct ctx *x, const cJSON *j, const char *path, int64_t *out)
{
	char e[96];
	if (cJSON_IsString(j)) {
		if (hat_fx_parse(j->valuestring, strlen(j->valuestring), out, e, sizeof e) != 0)
			return fail(x, path, e);
		return 0;
	}
	if (cJSON_IsNumber(j)) {
		char tmp[64];
		snprintf(tmp, sizeof tmp, "%.8f", j->valuedouble);
		if (hat_fx_parse(tmp, strlen(tmp), out, e, sizeof e) != 0)
			return fail(x, path, "number out of range");
		return 0;
	}
	return fail(x, path, "must be a decimal string or number");
}

static int get_int(struct ctx *x, const cJSON *j, const char *path, long long lo, long long hi,
		   long long *out)
{
	char why[96];
	if (!cJSON_IsNumber(j) || !(j->valuedouble >= -9e18 && j->valuedouble <= 9e18) ||
	    j->valuedouble != (double)(long long)j->valuedouble) {
		return fail(x, path, "must be an integer");
	}
	long long v = (long long)j->valuedouble;
	if (v < lo || v > hi) {
		snprintf(why, sizeof why, "must be %lld..%lld (got %lld)", lo, hi, v);
		return fail(x, path, why);
	}
	*out = v;
	return 0;
}

static int get_double(struct ctx *x, const cJSON *j, const char *path, double lo, double hi,
		      double *out)
{
	char why[96];
	if (!cJSON_IsNumber(j))
		return fail(x, path, "must be a number");
	if (!(j->valuedouble >= lo && j->valuedouble <= hi)) {
		snprintf(why, sizeof why, "must be %g..%g (got %g)", lo, hi, j->valuedouble);
		return fail(x, path, why);
	}
	*out = j->valuedouble;
	return 0;
}

static int get_bool(struct ctx *x, const cJSON *j, const char *path, bool *out)
{
	if (!cJSON_IsBool(j))
		return fail(x, path, "must be true or false");
	*out = cJSON_IsTrue(j);
	return 0;
}

/* ------------------------------------------------------------------ sections */

static int load_coins(struct ctx *x, struct hlsim_config *c, const cJSON *arr)
{
	char p[96];
	long long v;
	int rc;
	if (!cJSON_IsArray(arr))
		return fail(x, "coins", "must be an array");
	int n = cJSON_GetArraySize(arr);
	if (n < 1 || n > HLSIM_MAX_COINS)
		return fail(x, "coins", "must hold 1..32 coins");
	c->n_coins = 0;
	int i = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, arr) {
		struct hlsim_coin_cfg *k = &c->coins[i];
		memset(k, 0, sizeof *k);
		snprintf(p, sizeof p, "coins[%d]", i);
		if (!cJSON_IsObject(o))
			return fail(x, p, "must be an object");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
		snprintf(p, sizeof p, "coins[%d].name", i);
		if (!cJSON_IsString(name) || name->valuestring[0] == '\0' ||
		    strlen(name->valuestring) >= HLSIM_COIN_NAME_LEN)
			return fail(x, p, "must be a non-empty string of at most 15 characters");
		for (int j = 0; j < i; j++)
			if (strcmp(c->coins[j].name, name->valuestring) == 0)
				return fail(x, p, "duplicate coin");
		snprintf(k->name, sizeof k->name, "%s", name->valuestring);
		snprintf(p, sizeof p, "coins[%d].szDecimals", i);
		if ((rc = get_int(x, cJSON_GetObjectItemCaseSensitive(o, "szDecimals"), p, 0, 6, &v)))
			return rc;
		k->sz_decimals = (int)v;
		snprintf(p, sizeof p, "coins[%d].maxLeverage", i);
		if ((rc = get_int(x, cJSON_GetObjectItemCaseSensitive(o, "maxLeverage"), p, 1, 100, &v)))
			return rc;
		k->max_leverage = (int)v;
		snprintf(p, sizeof p, "coins[%d].startPx", i);
		if ((rc = get_fx(x, cJSON_GetObjectItemCaseSensitive(o, "startPx"), p, &k->start_px)))
			return rc;
		if (k->start_px <= 0)
			return fail(x, p, "must be > 0");
		k->vol_per_sqrt_s = 0.0002;
		const cJSON *vol = cJSON_GetObjectItemCaseSensitive(o, "vol");
		snprintf(p, sizeof p, "coins[%d].vol", i);
		if (vol && (rc = get_double(x, vol, p, 0.0, 0.1, &k->vol_per_sqrt_s)))
			return rc;
		i++;
		c->n_coins = (size_t)i;
	}
	return 0;
}

static int load_accounts(struct ctx *x, struct hlsim_config *c, const cJSON *arr)
{
	char p[96], e[128];
	int rc, i = 0;
	if (!cJSON_IsArray(arr))
		return fail(x, "accounts", "must be an array");
	const cJSON *o;
	cJSON_ArrayForEach(o, arr) {
		uint8_t addr[20];
		int64_t usdc;
		snprintf(p, sizeof p, "accounts[%d]", i);
		if (!cJSON_IsObject(o))
			return fail(x, p, "must be an object");
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "address");
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "privateKey");
		if (cJSON_IsString(a)) {
			snprintf(p, sizeof p, "accounts[%d].address", i);
			if (hl_hex_decode_exact(a->valuestring, strlen(a->valuestring), addr, 20,
						"address", e, sizeof e) != 0)
				return fail(x, p, e);
		} else if (cJSON_IsString(k)) {
			uint8_t key[32];
			struct hl_signer s;
			snprintf(p, sizeof p, "accounts[%d].privateKey", i);
			if (hl_key_parse(k->valuestring, key, e, sizeof e) != 0)
				return fail(x, p, e);
			rc = hl_signer_init(&s, key);
			memset(key, 0, sizeof key);
			if (rc != 0)
				return fail(x, p, "not a valid secp256k1 key");
			memcpy(addr, hl_signer_address(&s), 20);
			hl_signer_deinit(&s);
		} else {
			return fail(x, p, "needs \"address\" or \"privateKey\" (a 0x hex string)");
		}
		snprintf(p, sizeof p, "accounts[%d].usdc", i);
		if ((rc = get_fx(x, cJSON_GetObjectItemCaseSensitive(o, "usdc"), p, &usdc)))
			return rc;
		if (usdc < 0)
			return fail(x, p, "must be >= 0");
		if (hlsim_config_add_account(c, addr, usdc) != 0)
			return fail(x, "accounts", "too many accounts (max 64)");
		i++;
	}
	return 0;
}

static int load_flow(struct ctx *x, struct hlsim_flow_cfg *f, const cJSON *o)
{
	int rc;
	long long v;
	const cJSON *j;
	if (!cJSON_IsObject(o))
		return fail(x, "flow", "must be an object");
	if ((j = cJSON_GetObjectItemCaseSensitive(o, "enabled")) &&
	    (rc = get_bool(x, j, "flow.enabled", &f->enabled)))
		return rc;
	if ((j = cJSON_GetObjectItemCaseSensitive(o, "stepMs"))) {
		if ((rc = get_int(x, j, "flow.stepMs", 10, 60000, &v)))
			return rc;
		f->step_ms = (uint32_t)v;
	}
	if ((j = cJSON_GetObjectItemCaseSensitive(o, "lpLevels"))) {
		if ((rc = get_int(x, j, "flow.lpLevels", 1, 20, &v)))
			return rc;
		f->lp_levels = (int)v;
	}
	static const struct { const char *key, *path; size_t off; double lo, hi; } dk[] = {
		{ "lpSpreadBps", "flow.lpSpreadBps", offsetof(struct hlsim_flow_cfg, lp_spread_bps), 0.1, 1000 },
		{ "lpLevelBps", "flow.lpLevelBps", offsetof(struct hlsim_flow_cfg, lp_level_bps), 0.1, 1000 },
		{ "lpSizeUsd", "flow.lpSizeUsd", offsetof(struct hlsim_flow_cfg, lp_size_usd), 20, 1e8 },
		{ "takerRatePerSec", "flow.takerRatePerSec", offsetof(struct hlsim_flow_cfg, taker_rate_per_s), 0, 1000 },
		{ "takerSizeUsd", "flow.takerSizeUsd", offsetof(struct hlsim_flow_cfg, taker_size_usd), 20, 1e8 },
		{ "regimeSwitchProb", "flow.regimeSwitchProb", offsetof(struct hlsim_flow_cfg, regime_switch_p), 0, 1 },
		{ "highVolMult", "flow.highVolMult", offsetof(struct hlsim_flow_cfg, high_vol_mult), 1, 100 },
	};
	for (size_t i = 0; i < sizeof dk / sizeof dk[0]; i++) {
		if ((j = cJSON_GetObjectItemCaseSensitive(o, dk[i].key)) &&
		    (rc = get_double(x, j, dk[i].path, dk[i].lo, dk[i].hi,
				     (double *)((char *)f + dk[i].off))))
			return rc;
	}
	return 0;
}

static int load_root(struct ctx *x, struct hlsim_config *c, const cJSON *root)
{
	int rc;
	long long v;
	const cJSON *j;
	if (!cJSON_IsObject(root))
		return fail(x, "(root)", "must be a JSON object");
	if ((j = cJSON_GetObjectItemCaseSensitive(root, "mainnet")) &&
	    (rc = get_bool(x, j, "mainnet", &c->mainnet)))
		return rc;
	if ((j = cJSON_GetObjectItemCaseSensitive(root, "seed"))) {
		if ((rc = get_int(x, j, "seed", 0, 9007199254740991LL, &v)))
			return rc;
		c->seed = (uint64_t)v;
	}
	if ((j = cJSON_GetObjectItemCaseSensitive(root, "fees"))) {
		if (!cJSON_IsObject(j))
			return fail(x, "fees", "must be an object");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "maker");
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "taker");
		if (m && (rc = get_fx(x, m, "fees.maker", &c->maker_fee)))
			return rc;
		if (t && (rc = get_fx(x, t, "fees.taker", &c->taker_fee)))
			return rc;
		if (c->maker_fee < -HAT_FX_ONE / 100 || c->maker_fee > HAT_FX_ONE / 100)
			return fail(x, "fees.maker", "must be within -0.01..0.01");
		if (c->taker_fee < 0 || c->taker_fee > HAT_FX_ONE / 100)
			return fail(x, "fees.taker", "must be within 0..0.01");
	}
	if ((j = cJSON_GetObjectItemCaseSensitive(root, "coins")) && (rc = load_coins(x, c, j)))
		return rc;
	if ((j = cJSON_GetObjectItemCaseSensitive(root, "accounts")) &&
	    (rc = load_accounts(x, c, j)))
		return rc;
	if ((j = cJSON_GetObjectItemCaseSensitive(root, "flow")) && (rc = load_flow(x, &c->flow, j)))
		return rc;
	if ((j = cJSON_GetObjectItemCaseSensitive(root, "l2PushMs"))) {
		if ((rc = get_int(x, j, "l2PushMs", 0, 60000, &v)))
			return rc;
		c->l2_push_ms = (uint32_t)v;
	}
	if ((j = cJSON_GetObjectItemCaseSensitive(root, "allMidsPushMs"))) {
		if ((rc = get_int(x, j, "allMidsPushMs", 10, 60000, &v)))
			return rc;
		c->allmids_push_ms = (uint32_t)v;
	}
	if ((j = cJSON_GetObjectItemCaseSensitive(root, "modifyAlwaysPlace")) &&
	    (rc = get_bool(x, j, "modifyAlwaysPlace", &c->modify_always_place)))
		return rc;
	if ((j = cJSON_GetObjectItemCaseSensitive(root, "maxOpenOrders"))) {
		if ((rc = get_int(x, j, "maxOpenOrders", 1, 1000000, &v)))
			return rc;
		c->max_open_orders = (uint32_t)v;
	}
	return 0;
}

int hlsim_config_load(struct hlsim_config *c, const char *path, char *err, size_t errlen)
{
	hlsim_config_defaults(c);
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "fopen(\"%s\") failed: %s", path, strerror(e));
		return -e;
	}
	char *text = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *p = realloc(text, cap);
			if (!p) {
				free(text);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				return -ENOMEM;
			}
			text = p;
		}
		size_t n = fread(text + len, 1, 4096, f);
		len += n;
		if (n < 4096)
			break;
	}
	fclose(f);
	text[len] = '\0';
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		snprintf(err, errlen, "%s: not valid JSON near byte %zu", path,
			 end ? (size_t)(end - text) : (size_t)0);
		free(text);
		return HAT_E_PARSE;
	}
	const char *base = strrchr(path, '/');
	struct ctx x = { base ? base + 1 : path, err, errlen };
	int rc = load_root(&x, c, root);
	cJSON_Delete(root);
	free(text);
	return rc;
}
