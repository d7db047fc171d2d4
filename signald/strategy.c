/* signald/strategy.c -- strategy registry and helpers shared by strategies. */
#include "signald/strategy.h"
#include "common/err.h"
#include "common/fixed.h"
#include "hl/wire.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct sig_strategy_ops *const sig_strategies[] = {
	&sig_strat_mm,
	&sig_strat_taker,
};

const struct sig_strategy_ops *sig_strategy_find(const char *name)
{
	for (size_t i = 0; i < sizeof sig_strategies / sizeof sig_strategies[0]; i++)
		if (strcmp(sig_strategies[i]->name, name) == 0)
			return sig_strategies[i];
	return NULL;
}

bool sig_make_quote(const struct sig_coin *c, enum hat_side side, double px, double sz,
		    struct sig_quote *out)
{
	if (!(px > 0) || !(sz > 0))
		return false;
	int64_t fpx, fsz;
	if (hl_px_round(hat_fx_from_double(px), c->sz_decimals, false, hl_round_passive(side), &fpx) != 0)
		return false;
	if (hl_sz_round(hat_fx_from_double(sz), c->sz_decimals, HL_ROUND_DOWN, &fsz) != 0)
		return false;
	int64_t value;
	if (hat_fx_mul(fpx, fsz, &value) != 0)
		return false;
	if (value < HL_MIN_ORDER_VALUE) {
		/* Smallest lot multiple whose value reaches the minimum at this price. */
		__int128 need = (__int128)HL_MIN_ORDER_VALUE * HAT_FX_ONE / fpx + 1;
		if (need > INT64_MAX || hl_sz_round((int64_t)need, c->sz_decimals, HL_ROUND_UP, &fsz) != 0)
			return false;
	}
	if (fpx <= 0 || fsz <= 0)
		return false;
	out->px = fpx;
	out->sz = fsz;
	return true;
}

int sig_param_num(const cJSON *params, const char *prefix, const char *key, double min,
		  double max, double *out, char *err, size_t errlen)
{
	const cJSON *v = params ? cJSON_GetObjectItemCaseSensitive(params, key) : NULL;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v)) {
		snprintf(err, errlen, "%s.%s: expected a number", prefix, key);
		return HAT_E_CONFIG;
	}
	if (!(v->valuedouble >= min && v->valuedouble <= max)) {
		snprintf(err, errlen, "%s.%s: must be in [%g, %g] (got %g)", prefix, key, min, max,
			 v->valuedouble);
		return HAT_E_CONFIG;
	}
	*out = v->valuedouble;
	return 0;
}

int sig_param_check_keys(const cJSON *params, const char *prefix, const char *const allowed[],
			 char *err, size_t errlen)
{
	if (!params)
		return 0;
	if (!cJSON_IsObject(params)) {
		snprintf(err, errlen, "%s: expected an object", prefix);
		return HAT_E_CONFIG;
	}
	for (const cJSON *k = params->child; k; k = k->next) {
		bool known = false;
		for (int i = 0; allowed[i] && !known; i++)
			known = strcmp(allowed[i], k->string) == 0;
		if (!known) {
			snprintf(err, errlen, "%s.%s: unknown key", prefix, k->string);
			return HAT_E_CONFIG;
		}
	}
	return 0;
}
