/* feedd/publish.h -- puts parsed market data on the md ring and the board without ever
 * blocking the socket.
 *
 * The md ring is the hot path: a message goes straight onto the ring when nothing is waiting.
 * When the ring is full (signald is behind), feedd must keep reading the socket, so:
 *   - books and bbos are coalesced: one pending BOOK and one pending BBO per coin, the latest
 *     replacing the older (counted in books_coalesced / bbos_coalesced);
 *   - trades are never silently dropped: they wait in a bounded FIFO (trade_queue_cap); only
 *     when that is full is a trade dropped, and counted (trades_dropped);
 *   - every refused push counts a ring-full event.
 * feed_pub_flush() (called on every loop iteration) pushes what waits as soon as there is room:
 * the trade FIFO first (in order), then pending books and bbos coin by coin. While anything of
 * a kind waits, new messages of that kind join the wait, so trades never overtake each other
 * and a coin's books never go backwards. Ordering between a coin's trades and its books is
 * preserved only while the ring keeps up (documented degradation).
 *
 * The board (latest top of book and last trade per coin) is written at once, whatever the
 * ring's state: BOOK and BBO update the quote (BBO only when the coin is fresh, so a bbo
 * arriving before a reconnect's book snapshot cannot un-stale it), TRADE the last trade.
 *
 * Each pushed message gets seq and send_ns from hat_ring_push_msg(); the frame-to-ring latency
 * (send_ns - origin_ns) goes to the optional histogram. Single-threaded; feedd's context owns it.
 */
#ifndef HAT_FEEDD_PUBLISH_H
#define HAT_FEEDD_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/board.h"
#include "common/control.h"
#include "common/msg_types.h"
#include "common/ring.h"
#include "feedd/session.h"

struct feed_pub_coin {
	char coin[HAT_COIN_LEN];
	int board_idx;                 /* slot on the board, -1 if no board */
	bool book_pending, bbo_pending;
	struct hat_msg_book book;      /* pending (coalesced) book */
	struct hat_msg_bbo bbo;        /* pending (coalesced) bbo */
};

struct feed_pub_stats {
	uint64_t pushed_book, pushed_trade, pushed_bbo;
	uint64_t ring_full;            /* pushes refused because the ring was full */
	uint64_t books_coalesced, bbos_coalesced;
	uint64_t trades_queued;        /* trades that had to wait */
	uint64_t trades_dropped;       /* trades lost because the FIFO was full too */
	uint64_t push_errors;          /* pushes refused for another reason (bug or corrupt ring) */
};

struct feed_pub {
	struct hat_ring *md;           /* borrowed; producer role */
	struct hat_board *board;       /* borrowed; may be NULL */
	struct hat_hist lat;           /* frame-to-ring ns; .h NULL = none */
	struct feed_pub_coin coins[FEED_MAX_COINS];
	uint32_t n_coins;
	uint32_t n_pending;            /* coins with a pending book or bbo */
	struct hat_msg_trade *tq;      /* trade FIFO, owned */
	uint32_t tq_cap, tq_head, tq_len;
	struct feed_pub_stats st;
};

/* Binds the publisher to md (and board, may be NULL) for coins[0..n). Adds each coin to the
 * board (asset from assets[i], or UINT32_MAX when assets is NULL). trade_queue_cap >= 1.
 * Returns 0, -EINVAL (bad args), -ENOMEM, or the board's -ENOSPC/-EINVAL (err names the coin). */
int feed_pub_init(struct feed_pub *p, struct hat_ring *md, struct hat_board *board,
		  const char *const *coins, const uint32_t *assets, uint32_t n,
		  uint32_t trade_queue_cap, char *err, size_t errlen);
void feed_pub_deinit(struct feed_pub *p);

/* Publish one message for coin index i (< n_coins); m is copied. fresh: the session considers
 * the coin fresh (see the header comment). now_ns stamps board updates.
 * Returns 0 (pushed or waiting), -EAGAIN never (waiting is not an error), -EINVAL (bad index),
 * or -ENOBUFS for a trade dropped because the FIFO was full (counted). */
int feed_pub_book(struct feed_pub *p, uint32_t i, const struct hat_msg_book *m, uint64_t now_ns);
int feed_pub_bbo(struct feed_pub *p, uint32_t i, const struct hat_msg_bbo *m, bool fresh,
		 uint64_t now_ns);
int feed_pub_trade(struct feed_pub *p, uint32_t i, const struct hat_msg_trade *m, uint64_t now_ns);
/* The n trades of one frame (m[k] for coin index idx[k]), published with ONE ring publication
 * when nothing waits and they fit: the consumer sees all of them or none, so its reaction to
 * the first cannot overtake the rest (a backtest's determinism relies on it). What does not
 * fit waits as with feed_pub_trade. Returns 0, -EINVAL (a bad index: nothing published) or
 * -ENOBUFS (trades dropped, counted). */
int feed_pub_trades(struct feed_pub *p, const uint32_t *idx, const struct hat_msg_trade *m,
		    size_t n, uint64_t now_ns);

/* Pushes what waits while the ring has room. Returns the number of messages pushed. */
unsigned feed_pub_flush(struct feed_pub *p);

/* Messages waiting (trades queued + pending books + pending bbos). */
uint32_t feed_pub_backlog(const struct feed_pub *p);

/* Marks coin i stale / not on the board (no-op without a board). */
void feed_pub_set_stale(struct feed_pub *p, uint32_t i, bool stale, uint64_t now_ns);

#endif
