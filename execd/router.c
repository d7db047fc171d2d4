/* execd/router.c -- batching, action building and signing (see router.h). */
#include "execd/router.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

int exec_router_init(struct exec_router *r, const struct exec_router_cfg *cfg, char *err,
		     size_t errlen)
{
	memset(r, 0, sizeof *r);
	if (cfg->max_batch < 1 || cfg->max_batch > EXEC_BATCH_MAX) {
		snprintf(err, errlen, "execd.max_batch: must be 1..%d (got %u)", EXEC_BATCH_MAX,
		         cfg->max_batch);
		return -EINVAL;
	}
	if (cfg->max_in_flight < 1) {
		snprintf(err, errlen, "execd.max_in_flight: must be >= 1 (got 0)");
		return -EINVAL;
	}
	r->cfg = *cfg;
	return 0;
}

enum exec_lane exec_router_new_lane(const struct hat_order_fields *o)
{
	if ((o->flags & HAT_OF_POST_ONLY) || o->tif == HAT_TIF_ALO)
		return EXEC_LANE_ALO;
	return EXEC_LANE_TAKE;
}

int exec_router_add(struct exec_router *r, const struct exec_item *it, uint64_t now_us)
{
	if (it->lane >= EXEC_LANE_COUNT)
		return -EINVAL;
	struct exec_router_lane *l = &r->lanes[it->lane];
	if (l->n >= EXEC_BATCH_MAX)
		return -ENOBUFS;
	if (l->n == 0)
		l->first_us = now_us;
	l->items[l->n] = *it;
	l->items[l->n++].seq = r->next_seq++;
	return 0;
}

bool exec_router_full(const struct exec_router *r, int lane)
{
	return lane >= 0 && lane < EXEC_LANE_COUNT && r->lanes[lane].n >= EXEC_BATCH_MAX;
}

static bool lane_due(const struct exec_router *r, const struct exec_router_lane *l,
		     uint64_t now_us)
{
	if (l->n == 0)
		return false;
	if (l->n >= r->cfg.max_batch)
		return true;
	return now_us - l->first_us >= r->cfg.batch_window_us;
}

int exec_router_ready(const struct exec_router *r, uint64_t now_us)
{
	if (r->in_flight >= r->cfg.max_in_flight)
		return -EAGAIN;
	int best = -EAGAIN;
	for (int i = 0; i < EXEC_LANE_COUNT; i++)
		if (lane_due(r, &r->lanes[i], now_us) &&
		    (best < 0 || r->lanes[i].items[0].seq < r->lanes[best].items[0].seq))
			best = i;
	return best;
}

int exec_router_ready_any(const struct exec_router *r)
{
	if (r->in_flight >= r->cfg.max_in_flight)
		return -EAGAIN;
	int best = -EAGAIN;
	for (int i = 0; i < EXEC_LANE_COUNT; i++)
		if (r->lanes[i].n > 0 &&
		    (best < 0 || r->lanes[i].items[0].seq < r->lanes[best].items[0].seq))
			best = i;
	return best;
}

uint32_t exec_router_take(struct exec_router *r, int lane, struct exec_item *out)
{
	if (lane < 0 || lane >= EXEC_LANE_COUNT)
		return 0;
	struct exec_router_lane *l = &r->lanes[lane];
	uint32_t n = l->n < r->cfg.max_batch ? l->n : r->cfg.max_batch;
	if (n == 0)
		return 0;
	memcpy(out, l->items, n * sizeof *out);
	l->n -= n;
	memmove(l->items, l->items + n, l->n * sizeof *l->items);
	/* what stays keeps the lane's first_us: it has waited as long, and leaves at the next
	 * free request */
	r->in_flight++;
	r->batches++;
	r->items += n;
	return n;
}

void exec_router_done(struct exec_router *r)
{
	if (r->in_flight > 0)
		r->in_flight--;
}

uint64_t exec_router_next_us(const struct exec_router *r, uint64_t now_us)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < EXEC_LANE_COUNT; i++) {
		const struct exec_router_lane *l = &r->lanes[i];
		if (l->n == 0)
			continue;
		if (lane_due(r, l, now_us))
			return 0;
		uint64_t left = l->first_us + r->cfg.batch_window_us - now_us;
		if (left < best)
			best = left;
	}
	return best;
}

uint32_t exec_router_pending(const struct exec_router *r)
{
	uint32_t n = 0;
	for (int i = 0; i < EXEC_LANE_COUNT; i++)
		n += r->lanes[i].n;
	return n;
}

/* ---------------------------------------------------------------- actions */

int exec_router_action(const struct exec_item *items, uint32_t n, struct hat_buf *json,
		       struct hat_buf *mp)
{
	if (n == 0 || n > EXEC_BATCH_MAX)
		return -EINVAL;
	unsigned lane = items[0].lane;
	for (uint32_t i = 1; i < n; i++)
		if (items[i].lane != lane)
			return -EINVAL;
	switch (lane) {
	case EXEC_LANE_ALO:
	case EXEC_LANE_TAKE: {
		struct hl_order o[EXEC_BATCH_MAX];
		for (uint32_t i = 0; i < n; i++)
			o[i] = items[i].order;
		return hl_action_order(o, n, HL_GROUPING_NA, NULL, json, mp);
	}
	case EXEC_LANE_CANCEL: {
		struct hl_cancel_cloid c[EXEC_BATCH_MAX];
		for (uint32_t i = 0; i < n; i++) {
			c[i].asset = items[i].asset;
			memcpy(c[i].cloid, items[i].cloid, HL_CLOID_LEN);
		}
		return hl_action_cancel_by_cloid(c, n, json, mp);
	}
	case EXEC_LANE_CANCEL_OID: {
		struct hl_cancel c[EXEC_BATCH_MAX];
		for (uint32_t i = 0; i < n; i++) {
			c[i].asset = items[i].asset;
			c[i].oid = items[i].oid;
		}
		return hl_action_cancel(c, n, json, mp);
	}
	case EXEC_LANE_MODIFY: {
		struct hl_modify m[EXEC_BATCH_MAX];
		for (uint32_t i = 0; i < n; i++) {
			memset(&m[i], 0, sizeof m[i]);
			m[i].by_cloid = items[i].oid == 0;
			m[i].oid = items[i].oid;
			memcpy(m[i].cloid, items[i].orig_cloid, HL_CLOID_LEN);
			m[i].order = items[i].order;
		}
		return n == 1 ? hl_action_modify(&m[0], json, mp)
		              : hl_action_batch_modify(m, n, json, mp);
	}
	default:
		return -EINVAL;
	}
}

int exec_router_sign(const struct hl_signer *s, const struct hat_buf *json,
		     const struct hat_buf *mp, uint64_t nonce, const uint8_t *vault, bool testnet,
		     struct hat_buf *body)
{
	struct hl_l1_meta m = { .nonce = nonce, .vault = vault, .testnet = testnet };
	struct hl_sig sig;
	int rc = hl_sign_l1(s, (const uint8_t *)mp->data, mp->len, &m, NULL, &sig);
	if (rc)
		return rc;
	return hl_exchange_request(json->data, json->len, &m, &sig, body);
}

int exec_order_wire(const struct hat_order_fields *o, uint32_t asset, struct hl_order *out)
{
	memset(out, 0, sizeof *out);
	if (o->side != HAT_SIDE_BUY && o->side != HAT_SIDE_SELL)
		return -EINVAL;
	if (o->px <= 0 || o->sz <= 0)
		return -EINVAL;
	out->asset = asset;
	out->is_buy = o->side == HAT_SIDE_BUY;
	out->px = o->px;
	out->sz = o->sz;
	out->reduce_only = (o->flags & HAT_OF_REDUCE_ONLY) != 0;
	if (o->flags & HAT_OF_TRIGGER) {
		if (o->trigger_px <= 0)
			return -EINVAL;
		out->is_trigger = true;
		out->trigger_px = o->trigger_px;
		out->trigger_is_market = (o->flags & HAT_OF_TRIGGER_MARKET) != 0;
		out->tpsl = (o->flags & HAT_OF_TPSL_TP) ? HL_TPSL_TP : HL_TPSL_SL;
	} else if ((o->flags & HAT_OF_POST_ONLY) || o->tif == HAT_TIF_ALO) {
		out->tif = HL_TIF_ALO;
	} else if (o->tif == HAT_TIF_IOC) {
		out->tif = HL_TIF_IOC;
	} else if (o->tif == HAT_TIF_GTC) {
		out->tif = HL_TIF_GTC;
	} else {
		return -EINVAL;
	}
	out->has_cloid = true;
	memcpy(out->cloid, o->cloid, HL_CLOID_LEN);
	return 0;
}
