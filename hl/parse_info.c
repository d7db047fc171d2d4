/* hl/parse_info.c -- /info responses. */
#include "hl/parse_info.h"

#include <errno.h>
#include <string.h>

#include "common/err.h"
#include "hl/json.h"

int hl_info_parse_all_mids(const cJSON *root, struct hl_mid *mids, size_t cap, size_t *n,
			   size_t *total, size_t *skipped, char *err, size_t errlen)
{
	struct hl_jpath p = HL_JPATH_ROOT("allMids");
	return hl_mids_parse(root, &p, mids, cap, n, total, skipped, err, errlen);
}

int hl_info_parse_l2book(const cJSON *root, const struct hl_meta *meta, uint64_t origin_ns,
			 struct hat_msg_book *out, char *err, size_t errlen)
{
	struct hl_jpath p = HL_JPATH_ROOT("l2Book");
	return hl_book_parse(root, &p, meta, origin_ns, out, err, errlen);
}

int hl_info_parse_open_orders(const cJSON *root, struct hl_order_info *orders, size_t cap,
			      size_t *n, size_t *total, char *err, size_t errlen)
{
	struct hl_jpath p = HL_JPATH_ROOT("openOrders");
	if (!cJSON_IsArray(root))
		return hl_json_fail(err, errlen, &p, NULL, "expected an array");
	size_t i = 0;
	for (const cJSON *it = root->child; it; it = it->next, i++) {
		if (i >= cap)
			continue;
		struct hl_jpath pi = HL_JPATH_IDX(&p, i);
		int rc = hl_order_info_parse(it, &pi, &orders[i], err, errlen);
		if (rc)
			return rc;
	}
	*n = i < cap ? i : cap;
	*total = i;
	return 0;
}

int hl_info_parse_user_fills(const cJSON *root, struct hl_fill *fills, size_t cap, size_t *n,
			     size_t *total, char *err, size_t errlen)
{
	struct hl_jpath p = HL_JPATH_ROOT("userFills");
	return hl_fills_parse(root, &p, fills, cap, n, total, err, errlen);
}

static int margin_summary(const cJSON *obj, const struct hl_jpath *p,
			  struct hl_margin_summary *m, char *err, size_t errlen)
{
	int rc;
	if (!cJSON_IsObject(obj))
		return hl_json_fail(err, errlen, p, NULL, "expected an object");
	if ((rc = hl_json_fx(obj, "accountValue", p, &m->account_value, err, errlen)) ||
	    (rc = hl_json_fx(obj, "totalMarginUsed", p, &m->total_margin_used, err, errlen)) ||
	    (rc = hl_json_fx(obj, "totalNtlPos", p, &m->total_ntl_pos, err, errlen)) ||
	    (rc = hl_json_fx(obj, "totalRawUsd", p, &m->total_raw_usd, err, errlen)))
		return rc;
	return 0;
}

static int position(const cJSON *ap, const struct hl_jpath *pa, struct hl_position *out,
		    char *err, size_t errlen)
{
	struct hl_position q;
	memset(&q, 0, sizeof q);
	const cJSON *pos, *lev, *cf;
	const char *lt;
	uint64_t lv;
	bool has;
	int rc;
	if (!cJSON_IsObject(ap))
		return hl_json_fail(err, errlen, pa, NULL, "expected an object");
	struct hl_jpath p = HL_JPATH_KEY(pa, "position");
	struct hl_jpath pl = HL_JPATH_KEY(&p, "leverage");
	if ((rc = hl_json_object(ap, "position", pa, &pos, err, errlen)) ||
	    (rc = hl_json_coin(pos, "coin", &p, q.coin, err, errlen)) ||
	    (rc = hl_json_fx(pos, "szi", &p, &q.szi, err, errlen)) ||
	    (rc = hl_json_fx_opt(pos, "entryPx", &p, &q.entry_px, &has, err, errlen)))
		return rc;
	q.has_entry_px = has;
	if ((rc = hl_json_fx_opt(pos, "liquidationPx", &p, &q.liquidation_px, &has, err, errlen)))
		return rc;
	q.has_liquidation_px = has;
	if ((rc = hl_json_fx(pos, "positionValue", &p, &q.position_value, err, errlen)) ||
	    (rc = hl_json_fx(pos, "unrealizedPnl", &p, &q.unrealized_pnl, err, errlen)) ||
	    (rc = hl_json_fx(pos, "marginUsed", &p, &q.margin_used, err, errlen)) ||
	    (rc = hl_json_object(pos, "leverage", &p, &lev, err, errlen)) ||
	    (rc = hl_json_str(lev, "type", &pl, &lt, err, errlen)) ||
	    (rc = hl_json_uint(lev, "value", &pl, UINT32_MAX, &lv, err, errlen)))
		return rc;
	if (strcmp(lt, "isolated") == 0)
		q.leverage_isolated = 1;
	else if (strcmp(lt, "cross") != 0)
		return hl_json_fail(err, errlen, &pl, "type", "expected \"cross\" or \"isolated\"");
	q.leverage = (uint32_t)lv;
	cf = hl_json_item(pos, "cumFunding");
	if (cf && !cJSON_IsNull(cf)) {
		struct hl_jpath pc = HL_JPATH_KEY(&p, "cumFunding");
		if (!cJSON_IsObject(cf))
			return hl_json_fail(err, errlen, &p, "cumFunding", "expected an object");
		if ((rc = hl_json_fx_opt(cf, "allTime", &pc, &q.cum_funding_all_time, NULL, err,
					 errlen)))
			return rc;
	}
	*out = q;
	return 0;
}

int hl_info_parse_clearinghouse(const cJSON *root, struct hl_clearinghouse *out,
				struct hl_position *positions, size_t cap, char *err,
				size_t errlen)
{
	struct hl_jpath p = HL_JPATH_ROOT("clearinghouseState");
	struct hl_clearinghouse c;
	memset(&c, 0, sizeof c);
	const cJSON *aps, *ms;
	int rc;
	if (!cJSON_IsObject(root))
		return hl_json_fail(err, errlen, &p, NULL, "expected an object");
	struct hl_jpath pm = HL_JPATH_KEY(&p, "marginSummary");
	struct hl_jpath pcm = HL_JPATH_KEY(&p, "crossMarginSummary");
	if ((rc = hl_json_object(root, "marginSummary", &p, &ms, err, errlen)) ||
	    (rc = margin_summary(ms, &pm, &c.margin, err, errlen)) ||
	    (rc = hl_json_fx(root, "withdrawable", &p, &c.withdrawable, err, errlen)) ||
	    (rc = hl_json_u64(root, "time", &p, &c.time_ms, err, errlen)) ||
	    (rc = hl_json_fx_opt(root, "crossMaintenanceMarginUsed", &p,
				 &c.cross_maintenance_margin_used, NULL, err, errlen)))
		return rc;
	ms = hl_json_item(root, "crossMarginSummary");
	if (ms && !cJSON_IsNull(ms) && (rc = margin_summary(ms, &pcm, &c.cross_margin, err, errlen)))
		return rc;
	if ((rc = hl_json_array(root, "assetPositions", &p, &aps, err, errlen)))
		return rc;
	struct hl_jpath pa = HL_JPATH_KEY(&p, "assetPositions");
	size_t i = 0;
	for (const cJSON *it = aps->child; it; it = it->next, i++) {
		if (i >= cap)
			continue;
		struct hl_jpath pi = HL_JPATH_IDX(&pa, i);
		if ((rc = position(it, &pi, &positions[i], err, errlen)))
			return rc;
	}
	c.n_positions = i < cap ? i : cap;
	c.total_positions = i;
	*out = c;
	return 0;
}

int hl_info_parse_order_status(const cJSON *root, bool *known, struct hl_order_update *out,
			       char *err, size_t errlen)
{
	struct hl_jpath p = HL_JPATH_ROOT("orderStatus");
	const char *status;
	const cJSON *order;
	int rc;
	if (!cJSON_IsObject(root))
		return hl_json_fail(err, errlen, &p, NULL, "expected an object");
	if ((rc = hl_json_str(root, "status", &p, &status, err, errlen)))
		return rc;
	if (strcmp(status, "unknownOid") == 0) {
		memset(out, 0, sizeof *out);
		*known = false;
		return 0;
	}
	if (strcmp(status, "order") != 0)
		return hl_json_fail(err, errlen, &p, "status", "expected \"order\" or \"unknownOid\"");
	struct hl_jpath po = HL_JPATH_KEY(&p, "order");
	if ((rc = hl_json_object(root, "order", &p, &order, err, errlen)) ||
	    (rc = hl_order_update_parse(order, &po, out, err, errlen)))
		return rc;
	*known = true;
	return 0;
}
