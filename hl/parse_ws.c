/* hl/parse_ws.c -- WebSocket frames -> typed results. */
#include "hl/parse_ws.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/msg.h"
#include "hl/json.h"
#include "hl/meta.h"

static const char greeting[] = "Websocket connection established.";

static bool is_greeting(const char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\0'))
		n--;
	return n == sizeof greeting - 1 && memcmp(s, greeting, n) == 0;
}

static int coin_asset(const struct hl_meta *meta, const char *coin, const struct hl_jpath *p,
		      uint32_t *asset, char *err, size_t errlen)
{
	if (!meta) {
		*asset = HL_ASSET_UNKNOWN;
		return 0;
	}
	const struct hl_coin *c = hl_meta_find(meta, coin);
	if (!c) {
		hl_json_fail(err, errlen, p, "coin", "unknown coin \"%s\"", coin);
		return -ENOENT;
	}
	*asset = c->asset;
	return 0;
}

/* ---------------------------------------------------------------- market data */

static int parse_trades(const cJSON *data, const struct hl_jpath *p, uint64_t origin_ns,
			const struct hl_meta *meta, const struct hl_ws_bufs *bufs,
			struct hl_ws_msg *out, char *err, size_t errlen)
{
	if (!cJSON_IsArray(data))
		return hl_json_fail(err, errlen, p, NULL, "expected an array");
	size_t cap = bufs ? bufs->trades_cap : 0, i = 0;
	for (const cJSON *it = data->child; it; it = it->next, i++) {
		if (i >= cap)
			continue;
		struct hl_jpath pi = HL_JPATH_IDX(p, i);
		struct hat_msg_trade t;
		hat_msg_init(&t.h, HAT_MSG_TRADE);
		t.h.origin_ns = origin_ns;
		int rc;
		if (!cJSON_IsObject(it))
			return hl_json_fail(err, errlen, &pi, NULL, "expected an object");
		if ((rc = hl_json_coin(it, "coin", &pi, t.coin, err, errlen)) ||
		    (rc = hl_json_side(it, "side", &pi, &t.side, err, errlen)) ||
		    (rc = hl_json_fx(it, "px", &pi, &t.px, err, errlen)) ||
		    (rc = hl_json_fx(it, "sz", &pi, &t.sz, err, errlen)) ||
		    (rc = hl_json_u64(it, "time", &pi, &t.exch_time_ms, err, errlen)) ||
		    (rc = hl_json_u64(it, "tid", &pi, &t.tid, err, errlen)))
			return rc;
		if (t.px <= 0)
			return hl_json_fail(err, errlen, &pi, "px", "must be > 0");
		if (t.sz <= 0)
			return hl_json_fail(err, errlen, &pi, "sz", "must be > 0");
		if ((rc = coin_asset(meta, t.coin, &pi, &t.asset, err, errlen)))
			return rc;
		bufs->trades[i] = t;
	}
	out->list.n = i < cap ? i : cap;
	out->list.total = i;
	return 0;
}

static int bbo_level(const cJSON *it, const struct hl_jpath *p, struct hat_level *lv,
		     uint8_t *has, char *err, size_t errlen)
{
	memset(lv, 0, sizeof *lv);
	*has = 0;
	if (cJSON_IsNull(it))
		return 0;
	if (!cJSON_IsObject(it))
		return hl_json_fail(err, errlen, p, NULL, "expected an object or null");
	uint64_t n;
	int rc;
	if ((rc = hl_json_fx(it, "px", p, &lv->px, err, errlen)) ||
	    (rc = hl_json_fx(it, "sz", p, &lv->sz, err, errlen)) ||
	    (rc = hl_json_uint(it, "n", p, UINT32_MAX, &n, err, errlen)))
		return rc;
	if (lv->px <= 0)
		return hl_json_fail(err, errlen, p, "px", "must be > 0");
	if (lv->sz <= 0)
		return hl_json_fail(err, errlen, p, "sz", "must be > 0");
	lv->n = (uint32_t)n;
	*has = 1;
	return 0;
}

static int parse_bbo(const cJSON *data, const struct hl_jpath *p, uint64_t origin_ns,
		     const struct hl_meta *meta, struct hl_ws_msg *out, char *err, size_t errlen)
{
	if (!cJSON_IsObject(data))
		return hl_json_fail(err, errlen, p, NULL, "expected an object");
	struct hat_msg_bbo b;
	hat_msg_init(&b.h, HAT_MSG_BBO);
	b.h.origin_ns = origin_ns;
	const cJSON *arr;
	int rc;
	if ((rc = hl_json_coin(data, "coin", p, b.coin, err, errlen)) ||
	    (rc = hl_json_u64(data, "time", p, &b.exch_time_ms, err, errlen)) ||
	    (rc = hl_json_array(data, "bbo", p, &arr, err, errlen)))
		return rc;
	struct hl_jpath pb = HL_JPATH_KEY(p, "bbo");
	if (cJSON_GetArraySize(arr) != 2)
		return hl_json_fail(err, errlen, &pb, NULL, "expected 2 elements [bid, ask]");
	struct hl_jpath p0 = HL_JPATH_IDX(&pb, 0), p1 = HL_JPATH_IDX(&pb, 1);
	if ((rc = bbo_level(arr->child, &p0, &b.bid, &b.has_bid, err, errlen)) ||
	    (rc = bbo_level(arr->child->next, &p1, &b.ask, &b.has_ask, err, errlen)) ||
	    (rc = coin_asset(meta, b.coin, p, &b.asset, err, errlen)))
		return rc;
	out->u.bbo = b;
	return 0;
}

/* ---------------------------------------------------------------- user data */

static int parse_order_updates(const cJSON *data, const struct hl_jpath *p,
			       const struct hl_ws_bufs *bufs, struct hl_ws_msg *out, char *err,
			       size_t errlen)
{
	if (!cJSON_IsArray(data))
		return hl_json_fail(err, errlen, p, NULL, "expected an array");
	size_t cap = bufs ? bufs->orders_cap : 0, i = 0;
	for (const cJSON *it = data->child; it; it = it->next, i++) {
		if (i >= cap)
			continue;
		struct hl_jpath pi = HL_JPATH_IDX(p, i);
		int rc = hl_order_update_parse(it, &pi, &bufs->orders[i], err, errlen);
		if (rc)
			return rc;
	}
	out->list.n = i < cap ? i : cap;
	out->list.total = i;
	return 0;
}

static int parse_user_fills(const cJSON *data, const struct hl_jpath *p,
			    const struct hl_ws_bufs *bufs, struct hl_ws_msg *out, char *err,
			    size_t errlen)
{
	const cJSON *fills;
	bool snap;
	int rc;
	if (!cJSON_IsObject(data))
		return hl_json_fail(err, errlen, p, NULL, "expected an object");
	if ((rc = hl_json_bool_opt(data, "isSnapshot", p, false, &snap, err, errlen)) ||
	    (rc = hl_json_array(data, "fills", p, &fills, err, errlen)))
		return rc;
	struct hl_jpath pf = HL_JPATH_KEY(p, "fills");
	out->u.user_fills.is_snapshot = snap;
	return hl_fills_parse(fills, &pf, bufs ? bufs->fills : NULL, bufs ? bufs->fills_cap : 0,
			      &out->list.n, &out->list.total, err, errlen);
}

static int parse_user_event(const cJSON *data, const struct hl_jpath *p,
			    const struct hl_ws_bufs *bufs, struct hl_ws_msg *out, char *err,
			    size_t errlen)
{
	if (!cJSON_IsObject(data))
		return hl_json_fail(err, errlen, p, NULL, "expected an object");
	const cJSON *arr;
	if (hl_json_item(data, "fills")) {
		struct hl_jpath pf = HL_JPATH_KEY(p, "fills");
		out->u.user_event.kind = HL_UE_FILLS;
		return hl_fills_parse(hl_json_item(data, "fills"), &pf, bufs ? bufs->fills : NULL,
				      bufs ? bufs->fills_cap : 0, &out->list.n, &out->list.total,
				      err, errlen);
	}
	if (hl_json_item(data, "nonUserCancel")) {
		int rc = hl_json_array(data, "nonUserCancel", p, &arr, err, errlen);
		if (rc)
			return rc;
		struct hl_jpath pc = HL_JPATH_KEY(p, "nonUserCancel");
		size_t cap = bufs ? bufs->cancels_cap : 0, i = 0;
		for (const cJSON *it = arr->child; it; it = it->next, i++) {
			if (i >= cap)
				continue;
			struct hl_jpath pi = HL_JPATH_IDX(&pc, i);
			struct hl_cancel_event c;
			memset(&c, 0, sizeof c);
			if (!cJSON_IsObject(it))
				return hl_json_fail(err, errlen, &pi, NULL, "expected an object");
			if ((rc = hl_json_coin(it, "coin", &pi, c.coin, err, errlen)) ||
			    (rc = hl_json_u64(it, "oid", &pi, &c.oid, err, errlen)))
				return rc;
			bufs->cancels[i] = c;
		}
		out->u.user_event.kind = HL_UE_NON_USER_CANCEL;
		out->list.n = i < cap ? i : cap;
		out->list.total = i;
		return 0;
	}
	if (hl_json_item(data, "funding"))
		out->u.user_event.kind = HL_UE_FUNDING;
	else if (hl_json_item(data, "liquidation"))
		out->u.user_event.kind = HL_UE_LIQUIDATION;
	else
		out->u.user_event.kind = HL_UE_OTHER;
	return 0;
}

/* ---------------------------------------------------------------- session */

static int parse_sub_response(const cJSON *data, const struct hl_jpath *p,
			      struct hl_ws_msg *out, char *err, size_t errlen)
{
	const cJSON *sub;
	int rc;
	if (!cJSON_IsObject(data))
		return hl_json_fail(err, errlen, p, NULL, "expected an object");
	if ((rc = hl_json_strtrunc(data, "method", p, out->u.sub.method, sizeof out->u.sub.method,
				   err, errlen)) ||
	    (rc = hl_json_object(data, "subscription", p, &sub, err, errlen)))
		return rc;
	struct hl_jpath ps = HL_JPATH_KEY(p, "subscription");
	if ((rc = hl_json_strtrunc(sub, "type", &ps, out->u.sub.type, sizeof out->u.sub.type, err,
				   errlen)))
		return rc;
	const cJSON *coin = hl_json_item(sub, "coin");
	if (coin && !cJSON_IsNull(coin) &&
	    (rc = hl_json_strcpy(sub, "coin", &ps, out->u.sub.coin, sizeof out->u.sub.coin, err,
				 errlen)))
		return rc;
	return 0;
}

static int parse_error(const cJSON *data, const struct hl_jpath *p, struct hl_ws_msg *out,
		       char *err, size_t errlen)
{
	const char *s;
	int rc = hl_json_str(data, NULL, p, &s, err, errlen);
	if (rc)
		return rc;
	snprintf(out->u.error.text, sizeof out->u.error.text, "%s", s);
	/* Errors about a post end with " id=<n>" so the caller can fail that request. */
	const char *id = NULL;
	for (const char *q = strstr(s, " id="); q; q = strstr(q + 1, " id="))
		id = q + 4;
	if (id && *id) {
		uint64_t v = 0;
		const char *q = id;
		for (; *q >= '0' && *q <= '9'; q++) {
			if (v > (UINT64_MAX - 9) / 10)
				break;
			v = v * 10 + (uint64_t)(*q - '0');
		}
		if (*q == '\0') {
			out->u.error.has_post_id = true;
			out->u.error.post_id = v;
		}
	}
	return 0;
}

static int parse_post(const cJSON *data, const struct hl_jpath *p, struct hl_ws_msg *out,
		      char *err, size_t errlen)
{
	const cJSON *resp, *payload;
	const char *type;
	int rc;
	if (!cJSON_IsObject(data))
		return hl_json_fail(err, errlen, p, NULL, "expected an object");
	if ((rc = hl_json_u64(data, "id", p, &out->u.post.id, err, errlen)) ||
	    (rc = hl_json_object(data, "response", p, &resp, err, errlen)))
		return rc;
	struct hl_jpath pr = HL_JPATH_KEY(p, "response");
	if ((rc = hl_json_str(resp, "type", &pr, &type, err, errlen)))
		return rc;
	if (strcmp(type, "info") == 0)
		out->u.post.type = HL_POST_INFO;
	else if (strcmp(type, "action") == 0)
		out->u.post.type = HL_POST_ACTION;
	else if (strcmp(type, "error") == 0)
		out->u.post.type = HL_POST_ERROR;
	else
		return hl_json_fail(err, errlen, &pr, "type",
				    "expected \"info\", \"action\" or \"error\"");
	if (out->u.post.type == HL_POST_ERROR) {
		const char *s;
		if ((rc = hl_json_str(resp, "payload", &pr, &s, err, errlen)))
			return rc;
		payload = hl_json_item(resp, "payload");
	} else if ((rc = hl_json_object(resp, "payload", &pr, &payload, err, errlen))) {
		return rc;
	}
	out->u.post.payload = payload;
	return 0;
}

static bool parsed_channel(const char *c)
{
	static const char *const names[] = {
		"l2Book", "trades", "bbo", "allMids", "orderUpdates", "userFills", "user",
		"subscriptionResponse", "error", "post",
	};
	for (size_t i = 0; i < HAT_ARRAY_LEN(names); i++)
		if (strcmp(c, names[i]) == 0)
			return true;
	return false;
}

int hl_ws_parse(const char *frame, size_t len, uint64_t origin_ns, const struct hl_meta *meta,
		const struct hl_ws_bufs *bufs, struct hl_ws_msg *out, char *err, size_t errlen)
{
	out->kind = HL_WS_SKIP;
	out->list.n = out->list.total = out->list.skipped = 0;
	out->held = NULL;
	if (frame && is_greeting(frame, len))
		return 0;
	cJSON *root = hl_json_parse(frame, len, err, errlen);
	if (!root)
		return HAT_E_PARSE;
	const char *channel;
	int rc;
	if (!cJSON_IsObject(root)) {
		rc = hl_json_fail(err, errlen, NULL, NULL, "expected a JSON object");
		goto done;
	}
	if ((rc = hl_json_str(root, "channel", NULL, &channel, err, errlen)))
		goto done;
	const cJSON *data = hl_json_item(root, "data");
	struct hl_jpath p = HL_JPATH_ROOT(channel);
	if (strcmp(channel, "pong") == 0) {
		out->kind = HL_WS_PONG;
		goto done;
	}
	if (!data && !parsed_channel(channel)) {
		out->kind = HL_WS_OTHER; /* a channel we do not parse may have no data */
		snprintf(out->u.other.channel, sizeof out->u.other.channel, "%s", channel);
		goto done;
	}
	if (!data) {
		rc = hl_json_fail(err, errlen, &p, NULL, "missing data");
		goto done;
	}
	if (strcmp(channel, "l2Book") == 0) {
		out->kind = HL_WS_BOOK;
		rc = hl_book_parse(data, &p, meta, origin_ns, &out->u.book, err, errlen);
	} else if (strcmp(channel, "trades") == 0) {
		out->kind = HL_WS_TRADES;
		rc = parse_trades(data, &p, origin_ns, meta, bufs, out, err, errlen);
	} else if (strcmp(channel, "bbo") == 0) {
		out->kind = HL_WS_BBO;
		rc = parse_bbo(data, &p, origin_ns, meta, out, err, errlen);
	} else if (strcmp(channel, "allMids") == 0) {
		const cJSON *mids;
		out->kind = HL_WS_ALL_MIDS;
		struct hl_jpath pm = HL_JPATH_KEY(&p, "mids");
		rc = hl_json_object(data, "mids", &p, &mids, err, errlen);
		if (!rc)
			rc = hl_mids_parse(mids, &pm, bufs ? bufs->mids : NULL,
					   bufs ? bufs->mids_cap : 0, &out->list.n,
					   &out->list.total, &out->list.skipped, err, errlen);
	} else if (strcmp(channel, "orderUpdates") == 0) {
		out->kind = HL_WS_ORDER_UPDATES;
		rc = parse_order_updates(data, &p, bufs, out, err, errlen);
	} else if (strcmp(channel, "userFills") == 0) {
		out->kind = HL_WS_USER_FILLS;
		rc = parse_user_fills(data, &p, bufs, out, err, errlen);
	} else if (strcmp(channel, "user") == 0) {
		out->kind = HL_WS_USER_EVENT;
		rc = parse_user_event(data, &p, bufs, out, err, errlen);
	} else if (strcmp(channel, "subscriptionResponse") == 0) {
		out->kind = HL_WS_SUB_RESPONSE;
		memset(&out->u.sub, 0, sizeof out->u.sub);
		rc = parse_sub_response(data, &p, out, err, errlen);
	} else if (strcmp(channel, "error") == 0) {
		out->kind = HL_WS_ERROR;
		memset(&out->u.error, 0, sizeof out->u.error);
		rc = parse_error(data, &p, out, err, errlen);
	} else if (strcmp(channel, "post") == 0) {
		out->kind = HL_WS_POST;
		memset(&out->u.post, 0, sizeof out->u.post);
		rc = parse_post(data, &p, out, err, errlen);
		if (rc == 0) {
			out->held = root; /* the payload points into it */
			return 0;
		}
	} else {
		out->kind = HL_WS_OTHER;
		snprintf(out->u.other.channel, sizeof out->u.other.channel, "%s", channel);
	}
done:
	cJSON_Delete(root);
	return rc;
}

void hl_ws_msg_clear(struct hl_ws_msg *m)
{
	if (m->held) {
		cJSON_Delete(m->held);
		m->held = NULL;
	}
	if (m->kind == HL_WS_POST)
		m->u.post.payload = NULL;
}

const char *hl_ws_kind_name(enum hl_ws_kind k)
{
	switch (k) {
	case HL_WS_SKIP: return "skip";
	case HL_WS_BOOK: return "l2Book";
	case HL_WS_TRADES: return "trades";
	case HL_WS_BBO: return "bbo";
	case HL_WS_ALL_MIDS: return "allMids";
	case HL_WS_ORDER_UPDATES: return "orderUpdates";
	case HL_WS_USER_FILLS: return "userFills";
	case HL_WS_USER_EVENT: return "user";
	case HL_WS_SUB_RESPONSE: return "subscriptionResponse";
	case HL_WS_PONG: return "pong";
	case HL_WS_ERROR: return "error";
	case HL_WS_POST: return "post";
	case HL_WS_OTHER: return "other";
	}
	return "unknown";
}
