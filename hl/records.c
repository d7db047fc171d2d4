/* hl/records.c -- order, fill, mid and book records shared by /info and the WebSocket. */
#include "hl/records.h"

#include <errno.h>
#include <string.h>

#include "common/err.h"
#include "common/msg.h"
#include "hl/meta.h"
#include "hl/wire.h"

/* ---------------------------------------------------------------- order status */

static const struct {
	const char *str;
	uint8_t id, terminal;
	uint16_t reason;
} statuses[] = {
#define HL__OS_ROW(name, s, id, term, reason) { s, id, term, HAT_REASON_##reason },
	HL_ORDER_STATUSES(HL__OS_ROW)
#undef HL__OS_ROW
};

enum hl_order_status hl_order_status_from_str(const char *s, size_t n)
{
	for (size_t i = 0; i < HAT_ARRAY_LEN(statuses); i++)
		if (strlen(statuses[i].str) == n && memcmp(statuses[i].str, s, n) == 0)
			return (enum hl_order_status)statuses[i].id;
	return HL_OS_UNKNOWN_TERMINAL;
}

/* Ids are 1..N in table order (checked by the unit test). */
static int row_of(enum hl_order_status st)
{
	if ((int)st < 1 || (size_t)st > HAT_ARRAY_LEN(statuses))
		return -1;
	return (int)st - 1;
}

const char *hl_order_status_name(enum hl_order_status st)
{
	int r = row_of(st);
	return r < 0 ? "unknown" : statuses[r].str;
}

bool hl_order_status_is_terminal(enum hl_order_status st)
{
	int r = row_of(st);
	return r < 0 ? st != HL_OS_NONE : statuses[r].terminal != 0;
}

bool hl_order_status_is_reject(enum hl_order_status st)
{
	int r = row_of(st);
	if (r < 0)
		return false;
	size_t n = strlen(statuses[r].str);
	return st == HL_OS_REJECTED ||
	       (n > 8 && memcmp(statuses[r].str + n - 8, "Rejected", 8) == 0);
}

enum hat_reason hl_order_status_reason(enum hl_order_status st)
{
	int r = row_of(st);
	return r < 0 ? HAT_REASON_NONE : (enum hat_reason)statuses[r].reason;
}

/* ---------------------------------------------------------------- orders */

static int nonneg(int64_t v, const struct hl_jpath *p, const char *key, char *err, size_t errlen)
{
	if (v < 0)
		return hl_json_fail(err, errlen, p, key, "must be >= 0");
	return 0;
}

int hl_order_info_parse(const cJSON *obj, const struct hl_jpath *p, struct hl_order_info *out,
			char *err, size_t errlen)
{
	struct hl_order_info o;
	memset(&o, 0, sizeof o);
	int rc;
	bool b, has_orig;
	if ((rc = hl_json_coin(obj, "coin", p, o.coin, err, errlen)) ||
	    (rc = hl_json_side(obj, "side", p, &o.side, err, errlen)) ||
	    (rc = hl_json_fx(obj, "limitPx", p, &o.limit_px, err, errlen)) ||
	    (rc = nonneg(o.limit_px, p, "limitPx", err, errlen)) ||
	    (rc = hl_json_fx(obj, "sz", p, &o.sz, err, errlen)) ||
	    (rc = nonneg(o.sz, p, "sz", err, errlen)) ||
	    (rc = hl_json_u64(obj, "oid", p, &o.oid, err, errlen)) ||
	    (rc = hl_json_u64(obj, "timestamp", p, &o.timestamp_ms, err, errlen)) ||
	    (rc = hl_json_fx_opt(obj, "origSz", p, &o.orig_sz, &has_orig, err, errlen)) ||
	    (rc = nonneg(o.orig_sz, p, "origSz", err, errlen)) ||
	    (rc = hl_json_cloid_opt(obj, "cloid", p, o.cloid, &o.has_cloid, err, errlen)) ||
	    (rc = hl_json_fx_opt(obj, "triggerPx", p, &o.trigger_px, NULL, err, errlen)) ||
	    (rc = nonneg(o.trigger_px, p, "triggerPx", err, errlen)))
		return rc;
	if (!has_orig)
		o.orig_sz = o.sz;
	if ((rc = hl_json_bool_opt(obj, "reduceOnly", p, false, &b, err, errlen)))
		return rc;
	o.reduce_only = b;
	if ((rc = hl_json_bool_opt(obj, "isTrigger", p, false, &b, err, errlen)))
		return rc;
	o.is_trigger = b;
	const cJSON *tif = hl_json_item(obj, "tif");
	if (tif && !cJSON_IsNull(tif)) {
		const char *s;
		if ((rc = hl_json_str(obj, "tif", p, &s, err, errlen)))
			return rc;
		o.tif = strcmp(s, "Gtc") == 0 ? HAT_TIF_GTC :
			strcmp(s, "Ioc") == 0 ? HAT_TIF_IOC :
			strcmp(s, "Alo") == 0 ? HAT_TIF_ALO : 0;
	}
	const cJSON *ot = hl_json_item(obj, "orderType");
	if (ot && !cJSON_IsNull(ot) &&
	    (rc = hl_json_strtrunc(obj, "orderType", p, o.order_type, sizeof o.order_type, err,
				   errlen)))
		return rc;
	*out = o;
	return 0;
}

int hl_order_update_parse(const cJSON *obj, const struct hl_jpath *p,
			  struct hl_order_update *out, char *err, size_t errlen)
{
	struct hl_order_update u;
	memset(&u, 0, sizeof u);
	const cJSON *order;
	const char *st;
	int rc;
	struct hl_jpath po = HL_JPATH_KEY(p, "order");
	if ((rc = hl_json_object(obj, "order", p, &order, err, errlen)) ||
	    (rc = hl_order_info_parse(order, &po, &u.order, err, errlen)) ||
	    (rc = hl_json_str(obj, "status", p, &st, err, errlen)) ||
	    (rc = hl_json_u64(obj, "statusTimestamp", p, &u.status_time_ms, err, errlen)))
		return rc;
	u.status = (uint8_t)hl_order_status_from_str(st, strlen(st));
	size_t n = strnlen(st, sizeof u.status_text - 1);
	memcpy(u.status_text, st, n);
	*out = u;
	return 0;
}

/* ---------------------------------------------------------------- fills */

static int hash32(const cJSON *obj, const char *key, const struct hl_jpath *p, uint8_t out[32],
		  char *err, size_t errlen)
{
	const char *s = NULL;
	char why[160];
	int rc = hl_json_str(obj, key, p, &s, err, errlen);
	if (rc)
		return rc;
	if (hl_hash_parse(s, strlen(s), out, why, sizeof why) != 0)
		return hl_json_fail(err, errlen, p, key, "%s", why);
	return 0;
}

int hl_fill_parse(const cJSON *obj, const struct hl_jpath *p, struct hl_fill *out, char *err,
		  size_t errlen)
{
	struct hl_fill f;
	memset(&f, 0, sizeof f);
	int rc;
	bool crossed;
	if ((rc = hl_json_coin(obj, "coin", p, f.coin, err, errlen)) ||
	    (rc = hl_json_fx(obj, "px", p, &f.px, err, errlen)) ||
	    (rc = nonneg(f.px, p, "px", err, errlen)) ||
	    (rc = hl_json_fx(obj, "sz", p, &f.sz, err, errlen)) ||
	    (rc = nonneg(f.sz, p, "sz", err, errlen)) ||
	    (rc = hl_json_side(obj, "side", p, &f.side, err, errlen)) ||
	    (rc = hl_json_u64(obj, "time", p, &f.time_ms, err, errlen)) ||
	    (rc = hl_json_fx(obj, "startPosition", p, &f.start_position, err, errlen)) ||
	    (rc = hl_json_strtrunc(obj, "dir", p, f.dir, sizeof f.dir, err, errlen)) ||
	    (rc = hl_json_fx(obj, "closedPnl", p, &f.closed_pnl, err, errlen)) ||
	    (rc = hash32(obj, "hash", p, f.hash, err, errlen)) ||
	    (rc = hl_json_u64(obj, "oid", p, &f.oid, err, errlen)) ||
	    (rc = hl_json_bool(obj, "crossed", p, &crossed, err, errlen)) ||
	    (rc = hl_json_fx(obj, "fee", p, &f.fee, err, errlen)) ||
	    (rc = hl_json_u64(obj, "tid", p, &f.tid, err, errlen)) ||
	    (rc = hl_json_fx_opt(obj, "builderFee", p, &f.builder_fee, NULL, err, errlen)) ||
	    (rc = hl_json_cloid_opt(obj, "cloid", p, f.cloid, &f.has_cloid, err, errlen)))
		return rc;
	f.crossed = crossed;
	const cJSON *ft = hl_json_item(obj, "feeToken");
	if (ft && !cJSON_IsNull(ft) &&
	    (rc = hl_json_strtrunc(obj, "feeToken", p, f.fee_token, sizeof f.fee_token, err,
				   errlen)))
		return rc;
	const cJSON *liq = hl_json_item(obj, "liquidation");
	f.liquidation = liq && !cJSON_IsNull(liq);
	*out = f;
	return 0;
}

int hl_fills_parse(const cJSON *arr, const struct hl_jpath *p, struct hl_fill *fills,
		   size_t cap, size_t *n, size_t *total, char *err, size_t errlen)
{
	if (!cJSON_IsArray(arr))
		return hl_json_fail(err, errlen, p, NULL, "expected an array");
	size_t i = 0, stored = 0;
	for (const cJSON *it = arr->child; it; it = it->next, i++) {
		if (i < cap) {
			struct hl_jpath pi = HL_JPATH_IDX(p, i);
			int rc = hl_fill_parse(it, &pi, &fills[i], err, errlen);
			if (rc)
				return rc;
			stored++;
		}
	}
	*n = stored;
	*total = i;
	return 0;
}

/* ---------------------------------------------------------------- mids */

int hl_mids_parse(const cJSON *obj, const struct hl_jpath *p, struct hl_mid *mids, size_t cap,
		  size_t *n, size_t *total, size_t *skipped, char *err, size_t errlen)
{
	if (!cJSON_IsObject(obj))
		return hl_json_fail(err, errlen, p, NULL, "expected an object");
	size_t cnt = 0, stored = 0, skip = 0;
	for (const cJSON *it = obj->child; it; it = it->next) {
		const char *coin = it->string ? it->string : "";
		size_t cl = strlen(coin);
		if (cl == 0 || cl >= HAT_COIN_LEN) {
			skip++;
			continue;
		}
		cnt++;
		if (stored >= cap)
			continue;
		int64_t px;
		struct hl_jpath pc = HL_JPATH_KEY(p, coin);
		int rc = hl_json_fx(it, NULL, &pc, &px, err, errlen);
		if (rc)
			return rc;
		memset(&mids[stored], 0, sizeof mids[stored]);
		memcpy(mids[stored].coin, coin, cl);
		mids[stored].px = px;
		stored++;
	}
	*n = stored;
	*total = cnt;
	if (skipped)
		*skipped = skip;
	return 0;
}

/* ---------------------------------------------------------------- l2Book */

static int book_side(const cJSON *arr, const struct hl_jpath *p, bool bids,
		     struct hat_level *lv, uint8_t *count, char *err, size_t errlen)
{
	if (!cJSON_IsArray(arr))
		return hl_json_fail(err, errlen, p, NULL, "expected an array");
	size_t i = 0;
	for (const cJSON *it = arr->child; it && i < HAT_BOOK_DEPTH; it = it->next, i++) {
		struct hl_jpath pi = HL_JPATH_IDX(p, i);
		uint64_t nord;
		int rc;
		if (!cJSON_IsObject(it))
			return hl_json_fail(err, errlen, &pi, NULL, "expected an object");
		if ((rc = hl_json_fx(it, "px", &pi, &lv[i].px, err, errlen)) ||
		    (rc = hl_json_fx(it, "sz", &pi, &lv[i].sz, err, errlen)) ||
		    (rc = hl_json_uint(it, "n", &pi, UINT32_MAX, &nord, err, errlen)))
			return rc;
		if (lv[i].px <= 0)
			return hl_json_fail(err, errlen, &pi, "px", "must be > 0");
		if (lv[i].sz <= 0)
			return hl_json_fail(err, errlen, &pi, "sz", "must be > 0");
		if (i > 0 && (bids ? lv[i].px >= lv[i - 1].px : lv[i].px <= lv[i - 1].px))
			return hl_json_fail(err, errlen, &pi, "px", "not %s the previous level",
					    bids ? "below" : "above");
		lv[i].n = (uint32_t)nord;
		lv[i]._pad = 0;
	}
	*count = (uint8_t)i;
	return 0;
}

int hl_book_parse(const cJSON *data, const struct hl_jpath *p, const struct hl_meta *meta,
		  uint64_t origin_ns, struct hat_msg_book *out, char *err, size_t errlen)
{
	if (!cJSON_IsObject(data))
		return hl_json_fail(err, errlen, p, NULL, "expected an object");
	struct hat_msg_book b;
	hat_msg_init(&b.h, HAT_MSG_BOOK);
	b.h.origin_ns = origin_ns;
	const cJSON *levels;
	int rc;
	if ((rc = hl_json_coin(data, "coin", p, b.coin, err, errlen)) ||
	    (rc = hl_json_u64(data, "time", p, &b.exch_time_ms, err, errlen)) ||
	    (rc = hl_json_array(data, "levels", p, &levels, err, errlen)))
		return rc;
	struct hl_jpath pl = HL_JPATH_KEY(p, "levels");
	if (cJSON_GetArraySize(levels) != 2)
		return hl_json_fail(err, errlen, &pl, NULL, "expected 2 arrays [bids, asks]");
	struct hl_jpath pb = HL_JPATH_IDX(&pl, 0), pa = HL_JPATH_IDX(&pl, 1);
	if ((rc = book_side(levels->child, &pb, true, b.bids, &b.n_bids, err, errlen)) ||
	    (rc = book_side(levels->child->next, &pa, false, b.asks, &b.n_asks, err, errlen)))
		return rc;
	if (meta) {
		const struct hl_coin *c = hl_meta_find(meta, b.coin);
		if (!c) {
			hl_json_fail(err, errlen, p, "coin", "unknown coin \"%s\"", b.coin);
			return -ENOENT;
		}
		b.asset = c->asset;
	} else {
		b.asset = HL_ASSET_UNKNOWN;
	}
	*out = b;
	return 0;
}
