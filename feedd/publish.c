/* feedd/publish.c -- md ring + board publisher with coalescing and a trade FIFO. */
#include "feedd/publish.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

int feed_pub_init(struct feed_pub *p, struct hat_ring *md, struct hat_board *board,
		  const char *const *coins, const uint32_t *assets, uint32_t n,
		  uint32_t trade_queue_cap, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	if (!md || n == 0 || n > FEED_MAX_COINS || trade_queue_cap == 0) {
		snprintf(err, errlen, "feed publisher: need a ring, 1..%d coins and a trade queue",
			 FEED_MAX_COINS);
		return -EINVAL;
	}
	p->md = md;
	p->board = board;
	p->tq = calloc(trade_queue_cap, sizeof *p->tq);
	if (!p->tq)
		return -ENOMEM;
	p->tq_cap = trade_queue_cap;
	for (uint32_t i = 0; i < n; i++) {
		struct feed_pub_coin *c = &p->coins[i];
		snprintf(c->coin, sizeof c->coin, "%s", coins[i]);
		c->board_idx = -1;
		if (board) {
			int idx = hat_board_add_coin(board, coins[i], assets ? assets[i] : UINT32_MAX);
			if (idx < 0) {
				snprintf(err, errlen, "board: cannot add coin \"%s\": %s", coins[i],
					 idx == -ENOSPC ? "board full" : "bad name");
				feed_pub_deinit(p);
				return idx;
			}
			c->board_idx = idx;
		}
	}
	p->n_coins = n;
	return 0;
}

void feed_pub_deinit(struct feed_pub *p)
{
	free(p->tq);
	p->tq = NULL;
	p->tq_cap = p->tq_len = 0;
}

/* Pushes m; returns 0, -EAGAIN (full: counted) or another error (counted). */
static int push(struct feed_pub *p, struct hat_msg_hdr *m)
{
	int rc = hat_ring_push_msg(p->md, m);
	if (rc == 0) {
		if (p->lat.h)
			hat_hist_record(p->lat, m->send_ns > m->origin_ns ? m->send_ns - m->origin_ns : 0);
		switch (m->type) {
		case HAT_MSG_BOOK: p->st.pushed_book++; break;
		case HAT_MSG_TRADE: p->st.pushed_trade++; break;
		default: p->st.pushed_bbo++; break;
		}
	} else if (rc == -EAGAIN) {
		p->st.ring_full++;
	} else {
		p->st.push_errors++;
	}
	return rc;
}

unsigned feed_pub_flush(struct feed_pub *p)
{
	unsigned n = 0;
	while (p->tq_len) {
		struct hat_msg_trade *t = &p->tq[p->tq_head];
		int rc = push(p, &t->h);
		if (rc == -EAGAIN)
			return n;
		/* Any other failure drops the message: it can never succeed (bad length). */
		p->tq_head = (p->tq_head + 1) % p->tq_cap;
		p->tq_len--;
		n += rc == 0;
	}
	for (uint32_t i = 0; i < p->n_coins && p->n_pending; i++) {
		struct feed_pub_coin *c = &p->coins[i];
		if (!c->book_pending && !c->bbo_pending)
			continue;
		if (c->book_pending) {
			int rc = push(p, &c->book.h);
			if (rc == -EAGAIN)
				return n;
			c->book_pending = false;
			n += rc == 0;
		}
		if (c->bbo_pending) {
			int rc = push(p, &c->bbo.h);
			if (rc == -EAGAIN)
				return n;
			c->bbo_pending = false;
			n += rc == 0;
		}
		p->n_pending--;
	}
	return n;
}

uint32_t feed_pub_backlog(const struct feed_pub *p)
{
	uint32_t n = p->tq_len;
	for (uint32_t i = 0; i < p->n_coins; i++)
		n += (uint32_t)p->coins[i].book_pending + (uint32_t)p->coins[i].bbo_pending;
	return n;
}

static void mark_pending(struct feed_pub *p, struct feed_pub_coin *c)
{
	if (!c->book_pending && !c->bbo_pending)
		p->n_pending++;
}

int feed_pub_book(struct feed_pub *p, uint32_t i, const struct hat_msg_book *m, uint64_t now_ns)
{
	if (i >= p->n_coins)
		return -EINVAL;
	struct feed_pub_coin *c = &p->coins[i];
	if (c->board_idx >= 0)
		hat_board_update_bbo(p->board, (uint32_t)c->board_idx,
				     m->n_bids ? m->bids[0].px : 0, m->n_bids ? m->bids[0].sz : 0,
				     m->n_asks ? m->asks[0].px : 0, m->n_asks ? m->asks[0].sz : 0,
				     m->exch_time_ms, now_ns);
	if (p->n_pending || p->tq_len)
		feed_pub_flush(p);
	if (!c->book_pending) {
		c->book = *m;
		if (push(p, &c->book.h) == 0)
			return 0;
		mark_pending(p, c);
		c->book_pending = true;
		return 0;
	}
	/* A book for this coin already waits: the newer one replaces it, keeping the older's
	 * SNAPSHOT flag (the consumer must still learn that a resubscribe happened). */
	uint8_t snap = c->book.flags & HAT_BOOK_SNAPSHOT;
	c->book = *m;
	c->book.flags |= snap;
	p->st.books_coalesced++;
	return 0;
}

int feed_pub_bbo(struct feed_pub *p, uint32_t i, const struct hat_msg_bbo *m, bool fresh,
		 uint64_t now_ns)
{
	if (i >= p->n_coins)
		return -EINVAL;
	struct feed_pub_coin *c = &p->coins[i];
	if (c->board_idx >= 0 && fresh)
		hat_board_update_bbo(p->board, (uint32_t)c->board_idx,
				     m->has_bid ? m->bid.px : 0, m->has_bid ? m->bid.sz : 0,
				     m->has_ask ? m->ask.px : 0, m->has_ask ? m->ask.sz : 0,
				     m->exch_time_ms, now_ns);
	if (p->n_pending || p->tq_len)
		feed_pub_flush(p);
	if (!c->bbo_pending) {
		c->bbo = *m;
		if (push(p, &c->bbo.h) == 0)
			return 0;
		mark_pending(p, c);
		c->bbo_pending = true;
		return 0;
	}
	c->bbo = *m;
	p->st.bbos_coalesced++;
	return 0;
}

/* The board's last trade of coin i. */
static void board_trade(struct feed_pub *p, uint32_t i, const struct hat_msg_trade *m,
			uint64_t now_ns)
{
	const struct feed_pub_coin *c = &p->coins[i];
	if (c->board_idx >= 0)
		hat_board_update_trade(p->board, (uint32_t)c->board_idx, m->px, m->sz, m->side,
				       m->exch_time_ms, now_ns);
}

/* Appends m to the trade FIFO. Returns 0, or -ENOBUFS when it is full (dropped, counted). */
static int queue_trade(struct feed_pub *p, const struct hat_msg_trade *m)
{
	if (p->tq_len == p->tq_cap) {
		p->st.trades_dropped++;
		return -ENOBUFS;
	}
	p->tq[(p->tq_head + p->tq_len) % p->tq_cap] = *m;
	p->tq_len++;
	p->st.trades_queued++;
	return 0;
}

int feed_pub_trade(struct feed_pub *p, uint32_t i, const struct hat_msg_trade *m, uint64_t now_ns)
{
	if (i >= p->n_coins)
		return -EINVAL;
	board_trade(p, i, m, now_ns);
	if (p->tq_len)
		feed_pub_flush(p);
	if (p->tq_len == 0) {
		struct hat_msg_trade t = *m;
		if (push(p, &t.h) == 0)
			return 0;
	}
	return queue_trade(p, m);
}

int feed_pub_trades(struct feed_pub *p, const uint32_t *idx, const struct hat_msg_trade *m,
		    size_t n, uint64_t now_ns)
{
	for (size_t k = 0; k < n; k++)
		if (idx[k] >= p->n_coins)
			return -EINVAL;
	for (size_t k = 0; k < n; k++)
		board_trade(p, idx[k], &m[k], now_ns);
	if (p->tq_len)
		feed_pub_flush(p);
	size_t done = 0;
	if (p->tq_len == 0 && n > 0) {
		unsigned got = hat_ring_reserve_n(p->md, (unsigned)n);
		for (unsigned k = 0; k < got; k++)
			memcpy(hat_ring_slot_at(p->md, k), &m[k], sizeof m[k]);
		if (got && hat_ring_commit_msg_n(p->md, got) == 0) {
			done = got;
			p->st.pushed_trade += got;
			uint64_t sent = hat_now_ns();
			for (unsigned k = 0; k < got && p->lat.h; k++)
				hat_hist_record(p->lat, sent > m[k].h.origin_ns ? sent - m[k].h.origin_ns : 0);
		} else if (got) {
			hat_ring_commit_n(p->md, 0); /* a bad length: nothing published */
			p->st.push_errors++;
		}
		if (got < n)
			p->st.ring_full++;
	}
	int rc = 0;
	for (size_t k = done; k < n; k++)
		if (queue_trade(p, &m[k]) < 0)
			rc = -ENOBUFS;
	return rc;
}

void feed_pub_set_stale(struct feed_pub *p, uint32_t i, bool stale, uint64_t now_ns)
{
	if (i < p->n_coins && p->coins[i].board_idx >= 0)
		hat_board_set_stale(p->board, (uint32_t)p->coins[i].board_idx, stale, now_ns);
}
