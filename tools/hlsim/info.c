/* tools/hlsim/info.c -- POST /info handlers and the WebSocket subscription checks/snapshots. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/fixed.h"
#include "hl/wire.h"
#include "tools/hlsim/engine_int.h"

#define DESER "Failed to deserialize the JSON body into the target type: "

static int64_t llabs64(int64_t v) { return v < 0 ? -v : v; }

static int64_t mulfx(int64_t a, int64_t b)
{
	return (int64_t)((__int128)a * b / HAT_FX_ONE);
}

static int64_t divfx(int64_t a, int64_t b)
{
	return b ? (int64_t)((__int128)a * HAT_FX_ONE / b) : 0;
}

/* "user" field -> account index (-1 if unknown). Returns false if the field is malformed. */
static bool get_user(const struct hlsim_engine *e, const cJSON *req, const char *key,
		     uint8_t addr[20], int *acct)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(req, key);
	if (!cJSON_IsString(u) ||
	    hl_addr_parse(u->valuestring, strlen(u->valuestring), addr, NULL, 0) != 0)
		return false;
	*acct = hlsim__acct_find(e, addr);
	return true;
}

static int get_coin(const struct hlsim_engine *e, const cJSON *j)
{
	return cJSON_IsString(j) ? hlsim_config_coin(&e->cfg, j->valuestring) : -1;
}

/* ------------------------------------------------------------------ handlers */

static void put_meta(struct hat_buf *b, const struct hlsim_engine *e)
{
	hat_buf_puts(b, "{\"universe\":[");
	for (uint32_t i = 0; i < e->cfg.n_coins; i++)
		hat_buf_printf(b, "%s{\"name\":\"%s\",\"szDecimals\":%d,\"maxLeverage\":%d}",
			       i ? "," : "", e->cfg.coins[i].name, e->cfg.coins[i].sz_decimals,
			       e->cfg.coins[i].max_leverage);
	hat_buf_puts(b, "],\"marginTables\":[]}");
}

static void put_ctxs(struct hat_buf *b, const struct hlsim_engine *e)
{
	hat_buf_putc(b, '[');
	for (uint32_t i = 0; i < e->cfg.n_coins; i++) {
		const struct hlsim_market *m = &e->mk[i];
		const struct hlsim_order *bb = hlsim_book_best(&m->book, true);
		const struct hlsim_order *ba = hlsim_book_best(&m->book, false);
		int64_t oi = 0;
		for (uint32_t k = 0; k < e->n_acct; k++)
			if (e->acct[k]->pos[i].szi > 0)
				oi += e->acct[k]->pos[i].szi;
		int64_t mark = hlsim__mark(e, i);
		hat_buf_puts(b, i ? ",{\"dayNtlVlm\":" : "{\"dayNtlVlm\":");
		hlsim__put_fx(b, m->day_ntl_vlm);
		hat_buf_puts(b, ",\"funding\":\"0\",\"impactPxs\":");
		if (bb && ba) {
			hat_buf_putc(b, '[');
			hlsim__put_fx(b, bb->px);
			hat_buf_putc(b, ',');
			hlsim__put_fx(b, ba->px);
			hat_buf_puts(b, "],\"midPx\":");
			hlsim__put_fx(b, (bb->px + ba->px) / 2);
		} else {
			hat_buf_puts(b, "null,\"midPx\":null");
		}
		hat_buf_puts(b, ",\"markPx\":");
		hlsim__put_fx(b, mark);
		hat_buf_puts(b, ",\"openInterest\":");
		hlsim__put_fx(b, oi);
		hat_buf_puts(b, ",\"oraclePx\":");
		hlsim__put_fx(b, mark);
		hat_buf_puts(b, ",\"premium\":\"0\",\"prevDayPx\":");
		hlsim__put_fx(b, m->prev_day_px);
		hat_buf_puts(b, ",\"dayBaseVlm\":");
		hlsim__put_fx(b, m->day_base_vlm);
		hat_buf_putc(b, '}');
	}
	hat_buf_putc(b, ']');
}

static void put_summary(struct hat_buf *b, int64_t value, int64_t ntl, int64_t raw, int64_t mu)
{
	hat_buf_puts(b, "{\"accountValue\":");
	hlsim__put_fx(b, value);
	hat_buf_puts(b, ",\"totalNtlPos\":");
	hlsim__put_fx(b, ntl);
	hat_buf_puts(b, ",\"totalRawUsd\":");
	hlsim__put_fx(b, raw);
	hat_buf_puts(b, ",\"totalMarginUsed\":");
	hlsim__put_fx(b, mu);
	hat_buf_putc(b, '}');
}

static void put_clearinghouse(struct hat_buf *b, const struct hlsim_engine *e, int acct)
{
	int64_t marks[HLSIM_MAX_COINS];
	hlsim__marks(e, marks);
	size_t n = e->cfg.n_coins;
	int64_t value = 0, ntl = 0, mu = 0, raw = 0, maint = 0, wd = 0;
	hat_buf_puts(b, "{\"assetPositions\":[");
	if (acct >= 0) {
		const struct hlsim_account *a = e->acct[acct];
		value = hlsim_account_value(a, marks, n);
		ntl = hlsim_account_ntl_pos(a, marks, n);
		mu = hlsim_account_pos_margin(a, marks, n);
		raw = value;
		int k = 0;
		for (uint32_t i = 0; i < n; i++) {
			const struct hlsim_position *p = &a->pos[i];
			if (p->szi == 0)
				continue;
			int64_t pv = mulfx(marks[i], llabs64(p->szi));
			int64_t upnl = hlsim_position_upnl(p, marks[i]);
			int64_t pm = pv / p->leverage;
			raw -= mulfx(marks[i], p->szi);
			maint += pv / (2 * e->cfg.coins[i].max_leverage);
			hat_buf_printf(b, "%s{\"type\":\"oneWay\",\"position\":{\"coin\":\"%s\",\"szi\":",
				       k++ ? "," : "", e->cfg.coins[i].name);
			hlsim__put_fx(b, p->szi);
			hat_buf_printf(b, ",\"leverage\":{\"type\":\"cross\",\"value\":%d},\"entryPx\":",
				       p->leverage);
			hlsim__put_fx(b, hlsim_position_entry_px(p));
			hat_buf_puts(b, ",\"positionValue\":");
			hlsim__put_fx(b, pv);
			hat_buf_puts(b, ",\"unrealizedPnl\":");
			hlsim__put_fx(b, upnl);
			hat_buf_puts(b, ",\"returnOnEquity\":");
			hlsim__put_fx(b, divfx(upnl, p->entry_ntl / p->leverage));
			hat_buf_puts(b, ",\"liquidationPx\":null,\"marginUsed\":");
			hlsim__put_fx(b, pm);
			hat_buf_printf(b, ",\"maxLeverage\":%d,\"cumFunding\":{\"allTime\":\"0\","
				       "\"sinceOpen\":\"0\",\"sinceChange\":\"0\"}}}",
				       e->cfg.coins[i].max_leverage);
		}
		wd = value - mu - hlsim_account_order_margin(a);
		if (wd < 0)
			wd = 0;
	}
	hat_buf_puts(b, "],\"crossMaintenanceMarginUsed\":");
	hlsim__put_fx(b, maint);
	hat_buf_puts(b, ",\"crossMarginSummary\":");
	put_summary(b, value, ntl, raw, mu);
	hat_buf_puts(b, ",\"marginSummary\":");
	put_summary(b, value, ntl, raw, mu);
	hat_buf_puts(b, ",\"withdrawable\":");
	hlsim__put_fx(b, wd);
	hat_buf_printf(b, ",\"time\":%llu}", (unsigned long long)e->now_ms);
}

static size_t put_fills(struct hat_buf *b, const struct hlsim_engine *e, int acct, size_t max)
{
	size_t k = 0;
	hat_buf_putc(b, '[');
	if (acct >= 0) {
		const struct hlsim_fill *f;
		while (k < max && (f = hlsim_account_fill(e->acct[acct], k)) != NULL) {
			if (k)
				hat_buf_putc(b, ',');
			hlsim__put_fill(b, e, f);
			k++;
		}
	}
	hat_buf_putc(b, ']');
	return k;
}

/* userFillsByTime: fills with startTime <= time <= endTime, oldest first (so a client pages by
 * re-asking from the last time it got), at most 2000. */
static size_t put_fills_by_time(struct hat_buf *b, const struct hlsim_engine *e, int acct,
				uint64_t start, uint64_t end)
{
	size_t k = 0;
	hat_buf_putc(b, '[');
	if (acct >= 0) {
		const struct hlsim_account *a = e->acct[acct];
		uint64_t n = a->n_fills < HLSIM_FILLS_KEEP ? a->n_fills : HLSIM_FILLS_KEEP;
		for (uint64_t i = n; i-- > 0 && k < HLSIM_FILLS_KEEP;) {
			const struct hlsim_fill *f = hlsim_account_fill(a, i);
			if (f->time < start || f->time > end)
				continue;
			if (k++)
				hat_buf_putc(b, ',');
			hlsim__put_fill(b, e, f);
		}
	}
	hat_buf_putc(b, ']');
	return k;
}

static void put_open_orders(struct hat_buf *b, const struct hlsim_engine *e, int acct,
			    bool frontend)
{
	hat_buf_putc(b, '[');
	if (acct >= 0) {
		int k = 0;
		for (const struct hlsim_order *o = e->acct[acct]->orders; o; o = o->acct_next) {
			if (k++)
				hat_buf_putc(b, ',');
			hlsim__put_order(b, e, o, frontend);
		}
	}
	hat_buf_putc(b, ']');
}

static bool order_status(struct hat_buf *b, const struct hlsim_engine *e, int acct,
			 const cJSON *oid_j)
{
	uint64_t oid = 0;
	uint8_t cl[16];
	bool by_cloid = false;
	if (cJSON_IsNumber(oid_j) && oid_j->valuedouble >= 0 &&
	    oid_j->valuedouble <= 9007199254740992.0) {
		oid = (uint64_t)oid_j->valuedouble;
	} else if (cJSON_IsString(oid_j) &&
		   hl_cloid_parse(oid_j->valuestring, strlen(oid_j->valuestring), cl, NULL, 0) == 0) {
		by_cloid = true;
	} else {
		return false;
	}
	const struct hlsim_order *o = NULL;
	const char *status = "open";
	uint64_t ts = 0;
	if (acct >= 0) {
		if (by_cloid) {
			o = hlsim__find_cloid(e, (uint32_t)acct, cl);
		} else {
			o = hlsim_oidmap_get(&e->oids, oid);
			if (o && o->acct != (uint32_t)acct)
				o = NULL;
		}
		if (o) {
			ts = o->timestamp;
			if (o->is_trigger && o->triggered)
				status = "triggered";
		} else {
			const struct hlsim_done *d =
				hlsim_account_find_done(e->acct[acct], oid, by_cloid ? cl : NULL);
			if (d) {
				o = &d->o;
				status = d->status;
				ts = d->status_ms;
			}
		}
	}
	if (!o) {
		hat_buf_puts(b, "{\"status\":\"unknownOid\"}");
		return true;
	}
	hat_buf_puts(b, "{\"status\":\"order\",\"order\":{\"order\":");
	hlsim__put_order(b, e, o, true);
	hat_buf_printf(b, ",\"status\":\"%s\",\"statusTimestamp\":%llu}}", status,
		       (unsigned long long)ts);
	return true;
}

/* historicalOrders: live orders (status open/triggered) then finished ones, newest first. */
static void historical_orders(struct hat_buf *b, const struct hlsim_engine *e, int acct)
{
	hat_buf_putc(b, '[');
	if (acct >= 0) {
		const struct hlsim_account *a = e->acct[acct];
		int k = 0;
		for (const struct hlsim_order *o = a->orders; o; o = o->acct_next) {
			hat_buf_puts(b, k++ ? ",{\"order\":" : "{\"order\":");
			hlsim__put_order(b, e, o, true);
			hat_buf_printf(b, ",\"status\":\"%s\",\"statusTimestamp\":%llu}",
				       o->is_trigger && o->triggered ? "triggered" : "open",
				       (unsigned long long)o->timestamp);
		}
		uint64_t n = a->n_done < HLSIM_DONE_KEEP ? a->n_done : HLSIM_DONE_KEEP;
		for (uint64_t i = 0; i < n; i++) {
			const struct hlsim_done *d = &a->done[(a->n_done - 1 - i) % HLSIM_DONE_KEEP];
			hat_buf_puts(b, k++ ? ",{\"order\":" : "{\"order\":");
			hlsim__put_order(b, e, &d->o, true);
			hat_buf_printf(b, ",\"status\":\"%s\",\"statusTimestamp\":%llu}", d->status,
				       (unsigned long long)d->status_ms);
		}
	}
	hat_buf_putc(b, ']');
}

/* candleSnapshot: buckets of step between start and end (inclusive) that saw trades. */
static size_t candles(struct hat_buf *b, const struct hlsim_engine *e, uint32_t coin,
		      const char *iv, uint64_t step, uint64_t start, uint64_t end)
{
	const struct hlsim_market *m = &e->mk[coin];
	uint64_t n = m->n_candles < HLSIM_CANDLES_KEEP ? m->n_candles : HLSIM_CANDLES_KEEP;
	struct hlsim_candle cur;
	bool have = false;
	size_t k = 0;
	hat_buf_putc(b, '[');
	for (uint64_t i = n; i-- > 0;) {
		const struct hlsim_candle *c = &m->candles[(m->n_candles - 1 - i) % HLSIM_CANDLES_KEEP];
		uint64_t t = c->t / step * step;
		if (t + step - 1 < start || t > end)
			continue;
		if (have && cur.t == t) {
			if (c->h > cur.h)
				cur.h = c->h;
			if (c->l < cur.l)
				cur.l = c->l;
			cur.c = c->c;
			cur.v += c->v;
			cur.n += c->n;
			continue;
		}
		if (have) {
			if (k++)
				hat_buf_putc(b, ',');
			hlsim__put_candle(b, e, coin, iv, &cur, cur.t + step - 1);
		}
		cur = *c;
		cur.t = t;
		have = true;
	}
	if (have) {
		if (k++)
			hat_buf_putc(b, ',');
		hlsim__put_candle(b, e, coin, iv, &cur, cur.t + step - 1);
	}
	hat_buf_putc(b, ']');
	return k;
}

/* Validates l2Book's nSigFigs / mantissa. */
static bool l2_params(const cJSON *req, int *nsig, int *mant)
{
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(req, "nSigFigs");
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(req, "mantissa");
	*nsig = 0;
	*mant = 0;
	if (ns && !cJSON_IsNull(ns)) {
		if (!cJSON_IsNumber(ns) || ns->valuedouble < 2 || ns->valuedouble > 5 ||
		    ns->valuedouble != (int)ns->valuedouble)
			return false;
		*nsig = (int)ns->valuedouble;
	}
	if (mt && !cJSON_IsNull(mt)) {
		if (!cJSON_IsNumber(mt) || *nsig != 5)
			return false;
		double v = mt->valuedouble;
		if (v != 1 && v != 2 && v != 5)
			return false;
		*mant = (int)v;
	}
	return true;
}

static unsigned weight_of(const char *type)
{
	static const char *const two[] = { "l2Book", "allMids", "clearinghouseState",
					   "orderStatus", "spotClearinghouseState",
					   "exchangeStatus" };
	for (size_t i = 0; i < sizeof two / sizeof two[0]; i++)
		if (strcmp(type, two[i]) == 0)
			return 2;
	return strcmp(type, "userRole") == 0 ? 60 : 20;
}

int hlsim_info(struct hlsim_engine *e, const char *body, size_t len, uint64_t now_ms,
	       struct hat_buf *out, int *status, unsigned *weight_out)
{
	hat_buf_reset(out);
	*status = 200;
	unsigned weight = 20;
	if (now_ms > e->now_ms)
		e->now_ms = now_ms;
	cJSON *req = cJSON_ParseWithLength(body, len);
	if (!req) {
		*status = 400;
		hat_buf_puts(out, "Failed to parse the request body as JSON");
		goto done;
	}
	const cJSON *tj = cJSON_GetObjectItemCaseSensitive(req, "type");
	if (!cJSON_IsObject(req) || !cJSON_IsString(tj)) {
		*status = 422;
		hat_buf_puts(out, DESER "missing field `type`");
		goto done;
	}
	const char *type = tj->valuestring;
	weight = weight_of(type);
	uint8_t addr[20];
	int acct = -1;
	bool needs_user = strcmp(type, "openOrders") == 0 ||
			  strcmp(type, "frontendOpenOrders") == 0 ||
			  strcmp(type, "clearinghouseState") == 0 || strcmp(type, "userFills") == 0 ||
			  strcmp(type, "userFillsByTime") == 0 ||
			  strcmp(type, "orderStatus") == 0 || strcmp(type, "userRateLimit") == 0 ||
			  strcmp(type, "spotClearinghouseState") == 0 ||
			  strcmp(type, "historicalOrders") == 0;
	if (needs_user && !get_user(e, req, "user", addr, &acct)) {
		*status = 422;
		hat_buf_puts(out, DESER "invalid or missing field `user`");
		goto done;
	}
	if (strcmp(type, "meta") == 0) {
		put_meta(out, e);
	} else if (strcmp(type, "metaAndAssetCtxs") == 0) {
		hat_buf_putc(out, '[');
		put_meta(out, e);
		hat_buf_putc(out, ',');
		put_ctxs(out, e);
		hat_buf_putc(out, ']');
	} else if (strcmp(type, "spotMeta") == 0) {
		hat_buf_puts(out, "{\"universe\":[],\"tokens\":[{\"name\":\"USDC\",\"szDecimals\":8,"
				  "\"weiDecimals\":8,\"index\":0,\"tokenId\":"
				  "\"0x6d1e7cde53ba9467b783cb7c530ce054\",\"isCanonical\":true,"
				  "\"evmContract\":null,\"fullName\":null}]}");
	} else if (strcmp(type, "perpDexs") == 0) {
		hat_buf_puts(out, "[null]");
	} else if (strcmp(type, "allMids") == 0) {
		hlsim__put_allmids(out, e);
	} else if (strcmp(type, "l2Book") == 0) {
		int nsig, mant;
		int coin = get_coin(e, cJSON_GetObjectItemCaseSensitive(req, "coin"));
		if (!l2_params(req, &nsig, &mant)) {
			*status = 422;
			hat_buf_puts(out, DESER "invalid nSigFigs or mantissa");
		} else if (coin < 0) {
			hat_buf_puts(out, "null");
		} else {
			hlsim__put_l2(out, e, (uint32_t)coin, nsig, mant);
		}
	} else if (strcmp(type, "openOrders") == 0) {
		put_open_orders(out, e, acct, false);
	} else if (strcmp(type, "frontendOpenOrders") == 0) {
		put_open_orders(out, e, acct, true);
	} else if (strcmp(type, "clearinghouseState") == 0) {
		put_clearinghouse(out, e, acct);
	} else if (strcmp(type, "spotClearinghouseState") == 0) {
		hat_buf_puts(out, "{\"balances\":[]}");
	} else if (strcmp(type, "userFills") == 0) {
		weight += (unsigned)(put_fills(out, e, acct, HLSIM_FILLS_KEEP) / 20);
	} else if (strcmp(type, "userFillsByTime") == 0) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(req, "startTime");
		const cJSON *en = cJSON_GetObjectItemCaseSensitive(req, "endTime");
		if (!cJSON_IsNumber(st) || !(st->valuedouble >= 0 && st->valuedouble < 1e19) ||
		    (en && !cJSON_IsNull(en) &&
		     (!cJSON_IsNumber(en) || !(en->valuedouble >= 0 && en->valuedouble < 1e19)))) {
			*status = 422;
			hat_buf_puts(out, DESER "invalid startTime or endTime");
		} else {
			uint64_t end = cJSON_IsNumber(en) ? (uint64_t)en->valuedouble : UINT64_MAX;
			weight += (unsigned)(put_fills_by_time(out, e, acct, (uint64_t)st->valuedouble,
							       end) / 20);
		}
	} else if (strcmp(type, "historicalOrders") == 0) {
		historical_orders(out, e, acct);
	} else if (strcmp(type, "orderStatus") == 0) {
		if (!order_status(out, e, acct, cJSON_GetObjectItemCaseSensitive(req, "oid"))) {
			*status = 422;
			hat_buf_reset(out);
			hat_buf_puts(out, DESER "invalid or missing field `oid`");
		}
	} else if (strcmp(type, "userRateLimit") == 0) {
		const struct hlsim_account *a = acct >= 0 ? e->acct[acct] : NULL;
		hat_buf_puts(out, "{\"cumVlm\":");
		hlsim__put_fx(out, a ? a->cum_vlm : 0);
		hat_buf_printf(out, ",\"nRequestsUsed\":%llu,\"nRequestsCap\":%llu,"
				    "\"nRequestsSurplus\":0}",
			       (unsigned long long)(a ? a->n_requests : 0),
			       (unsigned long long)(10000 + (a ? a->cum_vlm / HAT_FX_ONE : 0)));
	} else if (strcmp(type, "candleSnapshot") == 0) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(req, "req");
		const cJSON *iv = cJSON_GetObjectItemCaseSensitive(r, "interval");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "startTime");
		const cJSON *en = cJSON_GetObjectItemCaseSensitive(r, "endTime");
		int coin = get_coin(e, cJSON_GetObjectItemCaseSensitive(r, "coin"));
		uint64_t step = cJSON_IsString(iv) ? hlsim__interval_ms(iv->valuestring) : 0;
		if (!cJSON_IsObject(r) || !step || !cJSON_IsNumber(st) ||
		    !(st->valuedouble >= 0 && st->valuedouble < 1e19) ||
		    (en && !cJSON_IsNull(en) &&
		     (!cJSON_IsNumber(en) || !(en->valuedouble >= 0 && en->valuedouble < 1e19)))) {
			*status = 422;
			hat_buf_puts(out, DESER "invalid candleSnapshot req");
		} else if (coin < 0) {
			hat_buf_puts(out, "[]");
		} else {
			uint64_t end = cJSON_IsNumber(en) ? (uint64_t)en->valuedouble : UINT64_MAX;
			weight += (unsigned)(candles(out, e, (uint32_t)coin, iv->valuestring, step,
						     (uint64_t)st->valuedouble, end) / 60);
		}
	} else {
		*status = 422;
		hat_buf_printf(out, DESER "unknown variant `%.64s`", type);
	}
done:
	cJSON_Delete(req);
	if (weight_out)
		*weight_out = weight;
	return hat_buf_ok(out) ? 0 : -ENOMEM;
}

/* ------------------------------------------------------------------ subscriptions */

static void invalid_sub(const cJSON *sub, char *err, size_t errlen)
{
	char *txt = cJSON_PrintUnformatted(sub);
	snprintf(err, errlen, "Invalid subscription %s", txt ? txt : "{}");
	free(txt);
}

int hlsim_subscription_check(struct hlsim_engine *e, const cJSON *sub, char *err, size_t errlen)
{
	const cJSON *tj = cJSON_GetObjectItemCaseSensitive(sub, "type");
	if (!cJSON_IsObject(sub) || !cJSON_IsString(tj))
		goto bad;
	const char *t = tj->valuestring;
	const char *chan = NULL;
	if (strcmp(t, "allMids") == 0) {
		chan = "allMids";
	} else if (strcmp(t, "l2Book") == 0 || strcmp(t, "trades") == 0 || strcmp(t, "bbo") == 0 ||
		   strcmp(t, "candle") == 0) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(sub, "coin");
		if (!cJSON_IsString(c))
			goto bad;
		if (strcmp(t, "l2Book") == 0) {
			int ns, mt;
			if (!l2_params(sub, &ns, &mt))
				goto bad;
		}
		if (strcmp(t, "candle") == 0) {
			const cJSON *iv = cJSON_GetObjectItemCaseSensitive(sub, "interval");
			if (!cJSON_IsString(iv) || !hlsim__interval_ms(iv->valuestring))
				goto bad;
		}
		if (hlsim_config_coin(&e->cfg, c->valuestring) < 0) {
			invalid_sub(sub, err, errlen);
			return -ENOENT;
		}
		chan = t;
	} else if (strcmp(t, "orderUpdates") == 0 || strcmp(t, "userFills") == 0 ||
		   strcmp(t, "userEvents") == 0) {
		uint8_t a[20];
		int acct;
		if (!get_user(e, sub, "user", a, &acct))
			goto bad;
		chan = t;
	} else {
		goto bad;
	}
	snprintf(err, errlen, "%s", chan);
	return 0;
bad:
	invalid_sub(sub, err, errlen);
	return -EINVAL;
}

int hlsim_snapshot_json(struct hlsim_engine *e, const cJSON *sub, struct hat_buf *out)
{
	char err[256];
	hat_buf_reset(out);
	int rc = hlsim_subscription_check(e, sub, err, sizeof err);
	if (rc)
		return rc;
	const char *t = cJSON_GetObjectItemCaseSensitive(sub, "type")->valuestring;
	const cJSON *cj = cJSON_GetObjectItemCaseSensitive(sub, "coin");
	int coin = cJSON_IsString(cj) ? hlsim_config_coin(&e->cfg, cj->valuestring) : -1;
	if (strcmp(t, "allMids") == 0) {
		hat_buf_puts(out, "{\"mids\":");
		hlsim__put_allmids(out, e);
		hat_buf_putc(out, '}');
	} else if (strcmp(t, "l2Book") == 0) {
		int ns, mt;
		l2_params(sub, &ns, &mt);
		hlsim__put_l2(out, e, (uint32_t)coin, ns, mt);
	} else if (strcmp(t, "bbo") == 0) {
		const struct hlsim_book *b = &e->mk[coin].book;
		hat_buf_printf(out, "{\"coin\":\"%s\",\"time\":%llu,\"bbo\":[", e->cfg.coins[coin].name,
			       (unsigned long long)e->now_ms);
		for (int side = 0; side < 2; side++) {
			struct hlsim_level lv;
			if (side)
				hat_buf_putc(out, ',');
			if (hlsim_book_levels(b, side == 0, 0, 0, &lv, 1) == 0) {
				hat_buf_puts(out, "null");
				continue;
			}
			hat_buf_puts(out, "{\"px\":");
			hlsim__put_fx(out, lv.px);
			hat_buf_puts(out, ",\"sz\":");
			hlsim__put_fx(out, lv.sz);
			hat_buf_printf(out, ",\"n\":%u}", lv.n);
		}
		hat_buf_puts(out, "]}");
	} else if (strcmp(t, "candle") == 0) {
		const char *iv = cJSON_GetObjectItemCaseSensitive(sub, "interval")->valuestring;
		uint64_t step = hlsim__interval_ms(iv);
		uint64_t tt = e->now_ms / step * step;
		struct hlsim_candle c;
		if (!hlsim__candle_at(e, (uint32_t)coin, step, tt, &c))
			return -EAGAIN;
		hlsim__put_candle(out, e, (uint32_t)coin, iv, &c, tt + step - 1);
	} else if (strcmp(t, "userFills") == 0) {
		uint8_t a[20];
		int acct;
		get_user(e, sub, "user", a, &acct);
		hat_buf_puts(out, "{\"isSnapshot\":true,\"user\":");
		hlsim__put_addr(out, a);
		hat_buf_puts(out, ",\"fills\":");
		put_fills(out, e, acct, HLSIM_FILLS_KEEP);
		hat_buf_putc(out, '}');
	} else {
		return -EAGAIN; /* trades, orderUpdates, userEvents: no snapshot */
	}
	return hat_buf_ok(out) ? 0 : -ENOMEM;
}
