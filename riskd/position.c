/* riskd/position.c -- riskd's book of positions, marks and working orders (see position.h). */
#include "riskd/position.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int risk_book_init(struct risk_book *b, const char (*names)[HAT_COIN_LEN],
                   const uint32_t *assets, uint32_t n_coins, uint32_t max_working,
                   uint32_t dedup_window)
{
	memset(b, 0, sizeof *b);
	if (n_coins == 0 || n_coins > RISK_MAX_COINS || max_working == 0 ||
	    max_working > RISK_MAX_WORKING || dedup_window == 0 || dedup_window > (1u << 20))
		return -EINVAL;
	for (uint32_t i = 0; i < n_coins; i++) {
		if (names[i][0] == '\0' || memchr(names[i], 0, HAT_COIN_LEN) == NULL)
			return -EINVAL;
		for (uint32_t j = 0; j < i; j++)
			if (strncmp(names[i], names[j], HAT_COIN_LEN) == 0)
				return -EINVAL;
		memset(b->coins[i].name, 0, HAT_COIN_LEN);
		strcpy(b->coins[i].name, names[i]);
		b->coins[i].asset = assets ? assets[i] : 0;
	}
	b->n_coins = n_coins;
	b->max_working = max_working;
	b->orders = calloc(max_working, sizeof *b->orders);
	b->free_idx = calloc(max_working, sizeof *b->free_idx);
	if (!b->orders || !b->free_idx)
		goto nomem;
	if (risk_cmap_init(&b->by_cloid, max_working) != 0)
		goto nomem;
	if (risk_recent_init(&b->fills_seen, dedup_window) != 0) {
		risk_cmap_free(&b->by_cloid);
		goto nomem;
	}
	for (uint32_t i = 0; i < max_working; i++)
		b->free_idx[i] = max_working - 1 - i;
	b->n_free = max_working;
	return 0;
nomem:
	free(b->orders);
	free(b->free_idx);
	memset(b, 0, sizeof *b);
	return -ENOMEM;
}

void risk_book_free(struct risk_book *b)
{
	risk_cmap_free(&b->by_cloid);
	risk_recent_free(&b->fills_seen);
	free(b->orders);
	free(b->free_idx);
	b->orders = NULL;
	b->free_idx = NULL;
}

void risk_book_reset(struct risk_book *b)
{
	for (uint32_t i = 0; i < b->n_coins; i++) {
		struct risk_coin *c = &b->coins[i];
		memset(&c->pos, 0, sizeof c->pos);
		c->work_buy = c->work_sell = 0;
		c->open_orders = 0;
		c->exch_time_ms = 0;
	}
	risk_cmap_clear(&b->by_cloid);
	risk_recent_clear(&b->fills_seen);
	for (uint32_t i = 0; i < b->max_working; i++)
		b->free_idx[i] = b->max_working - 1 - i;
	b->n_free = b->max_working;
}

int risk_book_coin(const struct risk_book *b, const char name[HAT_COIN_LEN])
{
	for (uint32_t i = 0; i < b->n_coins; i++)
		if (strncmp(b->coins[i].name, name, HAT_COIN_LEN) == 0)
			return (int)i;
	return -1;
}

void risk_book_set_mark(struct risk_book *b, int coin, int64_t mark_px, uint64_t mark_ns)
{
	b->coins[coin].mark_px = mark_px;
	b->coins[coin].mark_ns = mark_ns;
}

void risk_book_set_position(struct risk_book *b, int coin, int64_t szi, int64_t entry_px,
                            int64_t realized, int64_t fees)
{
	struct risk_pos *p = &b->coins[coin].pos;
	p->szi = szi;
	p->entry_px = szi == 0 ? 0 : entry_px;
	p->realized = realized;
	p->fees = fees;
}

/* ---------------------------------------------------------------- working orders */

static void exposure(struct risk_book *b, const struct risk_order *o, int64_t delta)
{
	struct risk_coin *c = &b->coins[o->coin];
	if (o->side == HAT_SIDE_BUY)
		c->work_buy += delta;
	else
		c->work_sell += delta;
}

int risk_book_order_add(struct risk_book *b, const struct risk_order *o)
{
	if (risk_cmap_get(&b->by_cloid, o->cloid, NULL))
		return -EEXIST;
	if (b->n_free == 0) {
		b->orders_full++;
		return -ENOSPC;
	}
	uint32_t idx = b->free_idx[--b->n_free];
	if (risk_cmap_put(&b->by_cloid, o->cloid, idx) != 0) {
		b->n_free++;
		b->orders_full++;
		return -ENOSPC;
	}
	b->orders[idx] = *o;
	exposure(b, o, o->remaining);
	b->coins[o->coin].open_orders++;
	return 0;
}

struct risk_order *risk_book_order_find(struct risk_book *b, const uint8_t cloid[HAT_CLOID_LEN])
{
	uint32_t idx;
	if (!risk_cmap_get(&b->by_cloid, cloid, &idx))
		return NULL;
	return &b->orders[idx];
}

int risk_book_order_remove(struct risk_book *b, const uint8_t cloid[HAT_CLOID_LEN])
{
	uint32_t idx;
	if (!risk_cmap_get(&b->by_cloid, cloid, &idx))
		return -ENOENT;
	struct risk_order *o = &b->orders[idx];
	exposure(b, o, -o->remaining);
	b->coins[o->coin].open_orders--;
	risk_cmap_del(&b->by_cloid, cloid);
	b->free_idx[b->n_free++] = idx;
	return 0;
}

int risk_book_order_set_remaining(struct risk_book *b, const uint8_t cloid[HAT_CLOID_LEN],
                                  int64_t remaining)
{
	struct risk_order *o = risk_book_order_find(b, cloid);
	if (!o)
		return -ENOENT;
	if (remaining <= 0)
		return risk_book_order_remove(b, cloid);
	exposure(b, o, remaining - o->remaining);
	o->remaining = remaining;
	return 0;
}

void risk_book_each_order(const struct risk_book *b,
                          void (*fn)(void *user, const struct risk_order *o), void *user)
{
	const struct risk_cmap *m = &b->by_cloid;
	for (uint32_t i = 0; i <= m->mask; i++)
		if (m->slots[i].used)
			fn(user, &b->orders[m->slots[i].val]);
}

bool risk_book_check(const struct risk_book *b)
{
	int64_t buy[RISK_MAX_COINS] = {0}, sell[RISK_MAX_COINS] = {0};
	uint32_t n[RISK_MAX_COINS] = {0}, total = 0;
	const struct risk_cmap *m = &b->by_cloid;
	for (uint32_t i = 0; i <= m->mask; i++) {
		if (!m->slots[i].used)
			continue;
		if (m->slots[i].val >= b->max_working)
			return false;
		const struct risk_order *o = &b->orders[m->slots[i].val];
		if (o->coin >= b->n_coins || o->remaining <= 0 ||
		    memcmp(o->cloid, m->slots[i].key, HAT_CLOID_LEN) != 0)
			return false;
		if (o->side == HAT_SIDE_BUY)
			buy[o->coin] += o->remaining;
		else if (o->side == HAT_SIDE_SELL)
			sell[o->coin] += o->remaining;
		else
			return false;
		n[o->coin]++;
		total++;
	}
	if (total != m->count || total + b->n_free != b->max_working)
		return false;
	for (uint32_t c = 0; c < b->n_coins; c++)
		if (buy[c] != b->coins[c].work_buy || sell[c] != b->coins[c].work_sell ||
		    n[c] != b->coins[c].open_orders)
			return false;
	return true;
}

/* ---------------------------------------------------------------- exec events */

/* True if this fill's identity was seen; otherwise remembers it. */
static bool fill_seen(struct risk_book *b, const struct hat_msg_exec *e)
{
	uint8_t key[RISK_KEY_LEN];
	memcpy(key, &e->tid, 8);
	/* Fold the cloid's halves: cloids from counters differ only in their last bytes. */
	for (int i = 0; i < 8; i++)
		key[8 + i] = e->cloid[i] ^ e->cloid[8 + i];
	return risk_recent_add(&b->fills_seen, key);
}

static void learn_order(struct risk_book *b, const struct hat_msg_exec *e, int coin)
{
	struct risk_order *o = risk_book_order_find(b, e->cloid);
	int64_t rem = e->remaining_sz > 0 ? e->remaining_sz : 0;
	/* An ACK or snapshot row that leaves remaining_sz 0 means nothing filled yet. */
	if (rem == 0 && e->kind != HAT_EXEC_REPLACED && e->sz > 0)
		rem = e->sz;
	if (o) {
		o->acked = 1;
		if (e->oid)
			o->oid = e->oid;
		risk_book_order_set_remaining(b, e->cloid, rem);
		return;
	}
	if (rem <= 0 || (e->side != HAT_SIDE_BUY && e->side != HAT_SIDE_SELL))
		return;
	struct risk_order n = {0};
	memcpy(n.cloid, e->cloid, HAT_CLOID_LEN);
	n.coin = (uint16_t)coin;
	n.side = e->side;
	n.acked = 1;
	n.strategy_id = e->strategy_id;
	n.px = e->px;
	n.sz = e->sz;
	n.remaining = rem;
	n.oid = e->oid;
	n.risk_seq = e->risk_seq;
	risk_book_order_add(b, &n); /* a full book is counted in orders_full */
}

enum risk_exec_result risk_book_on_exec(struct risk_book *b, const struct hat_msg_exec *e,
                                        int *coin_out)
{
	int coin = risk_book_coin(b, e->coin);
	if (coin_out)
		*coin_out = coin;
	if (coin < 0) {
		b->unknown_coin_events++;
		return RISK_EXEC_UNKNOWN_COIN;
	}
	switch (e->kind) {
	case HAT_EXEC_ACK:
	case HAT_EXEC_OPEN_ORDER:
		learn_order(b, e, coin);
		return RISK_EXEC_APPLIED;
	case HAT_EXEC_REPLACED:
		risk_book_order_remove(b, e->orig_cloid);
		learn_order(b, e, coin);
		return RISK_EXEC_APPLIED;
	case HAT_EXEC_REJECT:
	case HAT_EXEC_CANCELED:
		risk_book_order_remove(b, e->cloid);
		return RISK_EXEC_APPLIED;
	case HAT_EXEC_CANCEL_REJECT:
		return RISK_EXEC_APPLIED;
	case HAT_EXEC_FILL: {
		if (e->tid == 0)
			b->fills_no_tid++;
		else if (fill_seen(b, e)) {
			b->dup_fills++;
			return RISK_EXEC_DUPLICATE;
		}
		struct risk_coin *c = &b->coins[coin];
		risk_pnl_fill(&c->pos, e->side, e->px, e->sz, e->fee);
		if (e->exch_time_ms)
			c->exch_time_ms = e->exch_time_ms;
		if ((e->flags & HAT_EXEC_F_FINAL) || e->remaining_sz <= 0)
			risk_book_order_remove(b, e->cloid);
		else
			risk_book_order_set_remaining(b, e->cloid, e->remaining_sz);
		return RISK_EXEC_POS_CHANGED;
	}
	default:
		return RISK_EXEC_APPLIED;
	}
}

/* ---------------------------------------------------------------- PnL */

int64_t risk_book_unrealized(const struct risk_book *b, int coin)
{
	const struct risk_coin *c = &b->coins[coin];
	return risk_pnl_unrealized(&c->pos, c->mark_px);
}

int64_t risk_book_total_pnl(const struct risk_book *b)
{
	__int128 t = 0;
	for (uint32_t i = 0; i < b->n_coins; i++) {
		const struct risk_coin *c = &b->coins[i];
		t += (__int128)c->pos.realized + risk_book_unrealized(b, (int)i) - c->pos.fees;
	}
	if (t > HAT_FX_MAX)
		return HAT_FX_MAX;
	if (t < -HAT_FX_MAX)
		return -HAT_FX_MAX;
	return (int64_t)t;
}

void risk_book_position_msg(const struct risk_book *b, int coin, uint8_t trading_state,
                            struct hat_msg_position *pm)
{
	const struct risk_coin *c = &b->coins[coin];
	memcpy(pm->coin, c->name, HAT_COIN_LEN);
	pm->asset = c->asset;
	pm->trading_state = trading_state;
	pm->flags = 0;
	pm->open_orders = c->open_orders > UINT16_MAX ? UINT16_MAX : (uint16_t)c->open_orders;
	pm->szi = c->pos.szi;
	pm->entry_px = c->pos.entry_px;
	pm->mark_px = c->mark_px;
	pm->realized_pnl = c->pos.realized;
	pm->unrealized_pnl = risk_book_unrealized(b, coin);
	pm->fees = c->pos.fees;
	pm->total_pnl = risk_book_total_pnl(b);
	pm->exch_time_ms = c->exch_time_ms;
}
