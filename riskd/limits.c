/* riskd/limits.c -- pre-trade checks in the order documented in limits.h. */
#include "riskd/limits.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/fixed.h"
#include "hl/wire.h"

int risk_limits_validate(const struct risk_limits *lim, char *err, size_t errlen)
{
#define BAD(...) do { if (err) snprintf(err, errlen, __VA_ARGS__); return -EINVAL; } while (0)
	if (lim->n_coins == 0 || lim->n_coins > RISK_MAX_COINS)
		BAD("n_coins %u: must be 1..%d", lim->n_coins, RISK_MAX_COINS);
	if (lim->max_gross_notional <= 0)
		BAD("max_gross_notional must be > 0");
	if (lim->max_net_notional <= 0)
		BAD("max_net_notional must be > 0");
	if (lim->max_open_orders == 0 || lim->max_open_orders > RISK_MAX_WORKING)
		BAD("max_open_orders must be 1..%d", RISK_MAX_WORKING);
	if (lim->mark_max_age_ns == 0)
		BAD("mark_max_age must be > 0");
	for (uint32_t i = 0; i < lim->n_coins; i++) {
		const struct risk_coin_limits *c = &lim->coin[i];
		if (c->max_order_sz <= 0)
			BAD("coin %u: max_order_sz must be > 0", i);
		if (c->max_order_notional <= 0)
			BAD("coin %u: max_order_notional must be > 0", i);
		if (c->max_position <= 0)
			BAD("coin %u: max_position must be > 0", i);
		if (c->price_band_bps == 0 || c->price_band_bps > 10000)
			BAD("coin %u: price_band_bps must be 1..10000", i);
		if (c->max_open_orders == 0)
			BAD("coin %u: max_open_orders must be >= 1", i);
		if (hl_px_max_decimals(c->sz_decimals, c->spot) < 0)
			BAD("coin %u: sz_decimals %u out of range", i, c->sz_decimals);
	}
	return 0;
#undef BAD
}

/* ---------------------------------------------------------------- helpers */

static enum hat_reason fail(enum hat_reason r, char *text, size_t len, const char *fmt, ...)
	HAT_PRINTF(4, 5);
static enum hat_reason fail(enum hat_reason r, char *text, size_t len, const char *fmt, ...)
{
	if (text && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(text, len, fmt, ap);
		va_end(ap);
	}
	return r;
}

static bool zero16(const uint8_t *p)
{
	static const uint8_t z[HAT_CLOID_LEN];
	return memcmp(p, z, HAT_CLOID_LEN) == 0;
}

static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

static __int128 abs128(__int128 v) { return v < 0 ? -v : v; }

/* Notional in 1e-16 units (exact, no rounding): compare against limit * 1e8. */
static __int128 notional16(int64_t sz, int64_t px) { return (__int128)sz * px; }

struct fmt { char s[HAT_FX_STRLEN]; };
static struct fmt fx(int64_t v)
{
	struct fmt f;
	hat_fx_format(v, f.s, sizeof f.s);
	return f;
}
/* A 1e-16 quantity as an (approximate, truncated) 1e-8 decimal for messages. */
static struct fmt fx16(__int128 v)
{
	__int128 q = v / HAT_FX_ONE;
	return fx(q > HAT_FX_MAX ? HAT_FX_MAX : q < -HAT_FX_MAX ? -HAT_FX_MAX : (int64_t)q);
}

static int64_t coin_mark(const struct risk_coin *c)
{
	return c->mark_px > 0 ? c->mark_px : c->pos.entry_px;
}

/* ---------------------------------------------------------------- the checks */

static enum hat_reason check_shape(const struct risk_check_env *env,
                                   const struct hat_order_fields *o, int *coin,
                                   char *text, size_t len)
{
	if (o->kind < HAT_INTENT_NEW || o->kind > HAT_INTENT_REPLACE)
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len, "kind %u invalid", o->kind);
	if (memchr(o->coin, 0, HAT_COIN_LEN) == NULL)
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len, "coin not NUL-terminated");
	*coin = risk_book_coin(env->book, o->coin);
	if (*coin < 0)
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len, "coin %s not configured",
		            o->coin);
	if (env->book->coins[*coin].asset != RISK_ASSET_UNKNOWN &&
	    o->asset != env->book->coins[*coin].asset)
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len, "asset %u != %u for %s",
		            o->asset, env->book->coins[*coin].asset, o->coin);
	if (zero16(o->cloid))
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len, "cloid is zero");
	if (o->kind == HAT_INTENT_CANCEL)
		return HAT_REASON_NONE;
	if (o->side != HAT_SIDE_BUY && o->side != HAT_SIDE_SELL)
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len, "side %u invalid", o->side);
	if (o->tif < HAT_TIF_GTC || o->tif > HAT_TIF_ALO)
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len, "tif %u invalid", o->tif);
	if (o->flags & ~HAT_OF_ALL)
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len, "flags 0x%x invalid", o->flags);
	if (o->px <= 0 || o->px > HAT_FX_MAX)
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len, "px %s out of range", fx(o->px).s);
	if (o->sz <= 0 || o->sz > HAT_FX_MAX)
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len, "sz %s out of range", fx(o->sz).s);
	if ((o->flags & HAT_OF_TRIGGER) && (o->trigger_px <= 0 || o->trigger_px > HAT_FX_MAX))
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len, "trigger_px %s out of range",
		            fx(o->trigger_px).s);
	if (o->kind == HAT_INTENT_REPLACE &&
	    (zero16(o->orig_cloid) || memcmp(o->orig_cloid, o->cloid, HAT_CLOID_LEN) == 0))
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len,
		            "replace needs an orig_cloid other than cloid");
	return HAT_REASON_NONE;
}

static enum hat_reason check_cancel(const struct risk_check_env *env,
                                    const struct hat_order_fields *o, int coin,
                                    uint64_t now_ns, char *text, size_t len)
{
	uint32_t idx;
	if (!risk_cmap_get(&env->book->by_cloid, o->cloid, &idx))
		return fail(HAT_REASON_RISK_UNKNOWN_ORDER, text, len, "cancel: cloid not working");
	if (env->book->orders[idx].coin != coin)
		return fail(HAT_REASON_RISK_BAD_INTENT, text, len, "cancel: the order is on %s",
		            env->book->coins[env->book->orders[idx].coin].name);
	if (!risk_throttle_ready(env->cancel_tb, now_ns))
		return fail(HAT_REASON_RISK_CANCEL_RATE, text, len, "cancel rate %llu/s exceeded",
		            (unsigned long long)env->cancel_tb->rate_per_s);
	return HAT_REASON_NONE;
}

static const struct risk_order *working(const struct risk_book *b, const uint8_t *cloid)
{
	uint32_t idx;
	if (!risk_cmap_get(&b->by_cloid, cloid, &idx))
		return NULL;
	return &b->orders[idx];
}

enum hat_reason risk_limits_check(const struct risk_check_env *env,
                                  const struct hat_order_fields *o, uint64_t now_ns,
                                  int *coin_out, char *text, size_t len)
{
	int ci = -1;
	enum hat_reason r;
	char e[96];

	if (text && len)
		text[0] = '\0';
	r = check_shape(env, o, &ci, text, len);
	if (coin_out)
		*coin_out = ci;
	if (r != HAT_REASON_NONE)
		return r;
	if (!env->ready)
		return fail(HAT_REASON_RISK_NOT_READY, text, len, "waiting for execd's snapshot");
	if (o->kind == HAT_INTENT_CANCEL)
		return check_cancel(env, o, ci, now_ns, text, len);

	const struct risk_book *b = env->book;
	const struct risk_coin *c = &b->coins[ci];
	const struct risk_coin_limits *cl = &env->lim->coin[ci];

	if (env->trading_state == HAT_TS_HALTED)
		return fail(HAT_REASON_RISK_HALTED, text, len, "trading halted");
	if (working(b, o->cloid) ||
	    (env->recent_cloids && risk_cmap_get(env->recent_cloids, o->cloid, NULL)))
		return fail(HAT_REASON_RISK_DUPLICATE_CLOID, text, len, "cloid already used");

	/* Working size on each side, without the order a REPLACE takes over. */
	int64_t wbuy = c->work_buy, wsell = c->work_sell;
	if (o->kind == HAT_INTENT_REPLACE) {
		const struct risk_order *orig = working(b, o->orig_cloid);
		if (!orig)
			return fail(HAT_REASON_RISK_UNKNOWN_ORDER, text, len,
			            "replace: orig_cloid not working");
		if (orig->coin != ci || orig->side != o->side)
			return fail(HAT_REASON_RISK_BAD_INTENT, text, len,
			            "replace: orig order is on another coin or side");
		if (orig->side == HAT_SIDE_BUY)
			wbuy -= orig->remaining;
		else
			wsell -= orig->remaining;
	}

	/* Exchange rules (hl/wire.h). */
	if (hl_px_check(o->px, cl->sz_decimals, cl->spot, e, sizeof e) != 0)
		return fail(HAT_REASON_RISK_TICK, text, len, "%s", e);
	if ((o->flags & HAT_OF_TRIGGER) &&
	    hl_px_check(o->trigger_px, cl->sz_decimals, cl->spot, e, sizeof e) != 0)
		return fail(HAT_REASON_RISK_TICK, text, len, "trigger %s", e);
	if (hl_sz_check(o->sz, cl->sz_decimals, e, sizeof e) != 0)
		return fail(HAT_REASON_RISK_LOT, text, len, "%s", e);
	if (hl_order_value_check(o->px, o->sz, e, sizeof e) != 0)
		return fail(HAT_REASON_RISK_MIN_NOTIONAL, text, len, "%s", e);

	/* Order size. */
	if (o->sz > cl->max_order_sz)
		return fail(HAT_REASON_RISK_MAX_ORDER_SIZE, text, len, "sz %s > max %s",
		            fx(o->sz).s, fx(cl->max_order_sz).s);
	__int128 ntl = notional16(o->sz, o->px);
	if (ntl > (__int128)cl->max_order_notional * HAT_FX_ONE)
		return fail(HAT_REASON_RISK_MAX_ORDER_NOTIONAL, text, len, "notional %s > max %s",
		            fx16(ntl).s, fx(cl->max_order_notional).s);

	/* Mark and price band. */
	if (c->mark_px <= 0)
		return fail(HAT_REASON_RISK_STALE_MARK, text, len, "no mark for %s", c->name);
	if (now_ns > c->mark_ns && now_ns - c->mark_ns > env->lim->mark_max_age_ns)
		return fail(HAT_REASON_RISK_STALE_MARK, text, len, "mark of %s is %llu ms old",
		            c->name, (unsigned long long)((now_ns - c->mark_ns) / 1000000));
	__int128 dev = abs128((__int128)o->px - c->mark_px);
	if (dev * 10000 > (__int128)cl->price_band_bps * c->mark_px)
		return fail(HAT_REASON_RISK_PRICE_BAND, text, len, "px %s off mark %s by > %u bps",
		            fx(o->px).s, fx(c->mark_px).s, cl->price_band_bps);

	int64_t szi = c->pos.szi;
	bool buy = o->side == HAT_SIDE_BUY;
	if (env->trading_state == HAT_TS_REDUCING) {
		int64_t same = buy ? wbuy : wsell;
		bool against = buy ? szi < 0 : szi > 0;
		if (!against || (__int128)o->sz + same > abs64(szi))
			return fail(HAT_REASON_RISK_REDUCE_ONLY_STATE, text, len,
			            "reducing: %s %s (+%s working) vs position %s", buy ? "buy" : "sell",
			            fx(o->sz).s, fx(same).s, fx(szi).s);
	}

	/* Worst-case position after every working order on the order's side fills. */
	__int128 worst = buy ? (__int128)szi + wbuy + o->sz : -((__int128)szi - wsell - o->sz);
	if (worst > cl->max_position)
		return fail(HAT_REASON_RISK_MAX_POSITION, text, len,
		            "worst-case position %s > max %s", fx16(worst * HAT_FX_ONE).s,
		            fx(cl->max_position).s);

	/* Gross and net notional at marks, in 1e-16 units, before and after the order. */
	__int128 gross_old = 0, gross_new = 0, net_old = 0, net_new = 0;
	for (uint32_t i = 0; i < b->n_coins; i++) {
		const struct risk_coin *k = &b->coins[i];
		int64_t m = coin_mark(k);
		if ((int)i != ci) {
			__int128 lo = abs128((__int128)k->pos.szi + k->work_buy);
			__int128 hi = abs128((__int128)k->pos.szi - k->work_sell);
			__int128 g = (lo > hi ? lo : hi) * m;
			gross_old += g;
			gross_new += g;
			net_old += (__int128)k->pos.szi * m;
			net_new += (__int128)k->pos.szi * m;
			continue;
		}
		__int128 l0 = abs128((__int128)szi + wbuy), s0 = abs128((__int128)szi - wsell);
		__int128 l1 = buy ? abs128((__int128)szi + wbuy + o->sz) : l0;
		__int128 s1 = buy ? s0 : abs128((__int128)szi - wsell - o->sz);
		gross_old += (l0 > s0 ? l0 : s0) * m;
		gross_new += (l1 > s1 ? l1 : s1) * m;
		__int128 side0 = buy ? (__int128)szi + wbuy : (__int128)szi - wsell;
		__int128 side1 = buy ? side0 + o->sz : side0 - o->sz;
		net_old += side0 * m;
		net_new += side1 * m;
	}
	__int128 glim = (__int128)env->lim->max_gross_notional * HAT_FX_ONE;
	if (gross_new > glim && gross_new > gross_old)
		return fail(HAT_REASON_RISK_MAX_GROSS_NOTIONAL, text, len,
		            "gross notional %s > max %s", fx16(gross_new).s,
		            fx(env->lim->max_gross_notional).s);
	__int128 nlim = (__int128)env->lim->max_net_notional * HAT_FX_ONE;
	if (abs128(net_new) > nlim && abs128(net_new) > abs128(net_old))
		return fail(HAT_REASON_RISK_MAX_NET_NOTIONAL, text, len, "net notional %s > max %s",
		            fx16(net_new).s, fx(env->lim->max_net_notional).s);

	if (o->kind == HAT_INTENT_REPLACE && b->n_free == 0)
		return fail(HAT_REASON_RISK_MAX_OPEN_ORDERS, text, len,
		            "replace: no room to track the new order (%u working)",
		            risk_book_open_orders(b));
	if (o->kind == HAT_INTENT_NEW) {
		if (risk_book_open_orders(b) >= env->lim->max_open_orders)
			return fail(HAT_REASON_RISK_MAX_OPEN_ORDERS, text, len,
			            "%u open orders (max %u)", risk_book_open_orders(b),
			            env->lim->max_open_orders);
		if (c->open_orders >= cl->max_open_orders)
			return fail(HAT_REASON_RISK_MAX_OPEN_ORDERS, text, len,
			            "%u open orders on %s (max %u)", c->open_orders, c->name,
			            cl->max_open_orders);
	}
	if (!risk_throttle_ready(env->order_tb, now_ns))
		return fail(HAT_REASON_RISK_ORDER_RATE, text, len, "order rate %llu/s exceeded",
		            (unsigned long long)env->order_tb->rate_per_s);
	return HAT_REASON_NONE;
}
