/* riskd/position.h -- riskd's book: per-coin positions and PnL, marks, working orders, and
 * fill de-duplication, all driven by execd's exec events.
 *
 * Coins are fixed at init (riskd's configured coins, index 0..n_coins-1). Working orders are
 * the orders riskd approved (or learned of from execd's snapshot/acks) that are not final yet;
 * their remaining sizes give the per-side working exposure (work_buy, work_sell) and the open
 * order counts the limits use.
 *
 * Exec events (risk_book_on_exec):
 *   ACK          the order rests: marked acked, oid and remaining size taken from the event
 *                (remaining_sz, or sz when remaining_sz is 0); an unknown cloid is added
 *                (e.g. an order approved before a restart).
 *   OPEN_ORDER   snapshot row: added like an ACK.
 *   FILL         applied to the coin's position (pnl.h); the order's remaining size becomes
 *                the event's remaining_sz; removed when remaining_sz is 0 or FINAL is set.
 *   CANCELED     removed.   REJECT: removed.   CANCEL_REJECT: nothing changes.
 *   REPLACED     orig_cloid removed; cloid marked acked.
 * Idempotency: a FILL is identified by (tid, cloid[0..8) XOR cloid[8..16)). The last `dedup_window`
 * fill identities are remembered (FIFO); a FILL whose identity is remembered is ignored
 * entirely (no position, fee or order change) and counted in dup_fills. A FILL with tid 0 is
 * applied without de-duplication (counted in fills_no_tid). Removing an order twice, or
 * cancelling an unknown one, is harmless, so the other events are idempotent by nature.
 * Single-threaded (riskd's loop); allocates only in init.
 */
#ifndef HAT_RISKD_POSITION_H
#define HAT_RISKD_POSITION_H

#include <stdbool.h>
#include <stdint.h>

#include "common/msg_types.h"
#include "riskd/cloidmap.h"
#include "riskd/pnl.h"

#define RISK_MAX_COINS 64
#define RISK_MAX_WORKING 8192
#define RISK_ASSET_UNKNOWN UINT32_MAX /* asset id not known yet (learned from the board) */

struct risk_coin {
	char name[HAT_COIN_LEN];  /* NUL-padded */
	uint32_t asset;           /* exchange asset id, or RISK_ASSET_UNKNOWN */
	struct risk_pos pos;
	int64_t mark_px;          /* 1e-8, 0 = none yet */
	uint64_t mark_ns;         /* board update time of mark_px (CLOCK_REALTIME ns) */
	int64_t work_buy;         /* remaining size of working buys, 1e-8 */
	int64_t work_sell;        /* remaining size of working sells, 1e-8 */
	uint32_t open_orders;     /* working orders on this coin */
	uint64_t exch_time_ms;    /* exchange time of the last fill */
};

struct risk_order {
	uint8_t cloid[HAT_CLOID_LEN];
	uint16_t coin;            /* index into book->coins */
	uint8_t side;             /* enum hat_side */
	uint8_t flags;            /* enum hat_order_flags */
	uint8_t acked;            /* 1 once ACK/OPEN_ORDER/REPLACED seen */
	uint8_t cancel_sent;      /* 1 once riskd approved a cancel for it */
	uint16_t strategy_id;
	int64_t px;               /* limit price 1e-8 */
	int64_t sz;               /* original size 1e-8 */
	int64_t remaining;        /* open size 1e-8 */
	uint64_t oid;
	uint64_t risk_seq;
};

struct risk_book {
	uint32_t n_coins;
	struct risk_coin coins[RISK_MAX_COINS];
	struct risk_order *orders;   /* owned: max_working entries */
	uint32_t *free_idx;          /* owned: stack of free order slots */
	uint32_t n_free;
	uint32_t max_working;
	struct risk_cmap by_cloid;   /* cloid -> index in orders */
	struct risk_recent fills_seen; /* remembered fill identities */
	/* counters */
	uint64_t dup_fills, fills_no_tid, unknown_coin_events, orders_full;
};

/* Sets up an empty book for coins[0..n_coins) (NUL-padded names, assets), room for
 * max_working working orders (1..RISK_MAX_WORKING) and a fill de-duplication window of
 * dedup_window fills (1..1<<20). Returns 0, -EINVAL (bad counts, empty or duplicate coin
 * name) or -ENOMEM. On error nothing needs freeing. */
int risk_book_init(struct risk_book *b, const char (*names)[HAT_COIN_LEN],
                   const uint32_t *assets, uint32_t n_coins, uint32_t max_working,
                   uint32_t dedup_window);
void risk_book_free(struct risk_book *b);

/* Forgets positions, PnL, working orders and remembered fills (marks are kept): the start of
 * a snapshot from execd. */
void risk_book_reset(struct risk_book *b);

/* Index of the coin named name (NUL-terminated within HAT_COIN_LEN), or -1. */
int risk_book_coin(const struct risk_book *b, const char name[HAT_COIN_LEN]);

void risk_book_set_mark(struct risk_book *b, int coin, int64_t mark_px, uint64_t mark_ns);

/* Sets a coin's position from a snapshot row (POSITION with SNAPSHOT flag). */
void risk_book_set_position(struct risk_book *b, int coin, int64_t szi, int64_t entry_px,
                            int64_t realized, int64_t fees);

/* ---- working orders */

/* Adds a working order (o->cloid new, o->coin valid, o->remaining > 0 counted on o->side).
 * Returns 0, -EEXIST if the cloid is already working, -ENOSPC if the book is full. */
int risk_book_order_add(struct risk_book *b, const struct risk_order *o);
/* The working order with this cloid, or NULL. The pointer is valid until the next change. */
struct risk_order *risk_book_order_find(struct risk_book *b, const uint8_t cloid[HAT_CLOID_LEN]);
/* Sets its remaining size (>= 0, 0 removes it). Returns 0 or -ENOENT. */
int risk_book_order_set_remaining(struct risk_book *b, const uint8_t cloid[HAT_CLOID_LEN],
                                  int64_t remaining);
/* Removes it. Returns 0 or -ENOENT. */
int risk_book_order_remove(struct risk_book *b, const uint8_t cloid[HAT_CLOID_LEN]);
/* Working orders in total. */
static inline uint32_t risk_book_open_orders(const struct risk_book *b)
{
	return b->by_cloid.count;
}
/* Recomputes every coin's working sizes and order counts from the orders and compares them
 * with the running totals; also checks each order's coin, side and remaining size. O(orders):
 * for tests and assert() in debug builds (STYLE rule 8b). */
bool risk_book_check(const struct risk_book *b);
/* Calls fn for each working order (any order); fn must not change the book. */
void risk_book_each_order(const struct risk_book *b,
                          void (*fn)(void *user, const struct risk_order *o), void *user);

/* ---- exec events */

enum risk_exec_result {
	RISK_EXEC_APPLIED = 0,    /* book updated (or nothing to change) */
	RISK_EXEC_POS_CHANGED = 1,/* a fill changed a position: publish it */
	RISK_EXEC_DUPLICATE = 2,  /* a fill seen before: ignored */
	RISK_EXEC_UNKNOWN_COIN = 3,/* coin not in the book: nothing changed */
};

/* Applies a validated exec event (see the header comment). Returns an enum risk_exec_result;
 * *coin_out (if not NULL) gets the coin index or -1. */
enum risk_exec_result risk_book_on_exec(struct risk_book *b, const struct hat_msg_exec *e,
                                        int *coin_out);

/* ---- PnL */

/* Unrealized PnL of a coin at its mark. */
int64_t risk_book_unrealized(const struct risk_book *b, int coin);
/* realized + unrealized - fees over all coins (USD 1e-8). */
int64_t risk_book_total_pnl(const struct risk_book *b);

/* Fills pm (everything but the header) for coin: trading_state, open orders, szi, entry,
 * mark, PnL fields and the account total. */
void risk_book_position_msg(const struct risk_book *b, int coin, uint8_t trading_state,
                            struct hat_msg_position *pm);

#endif
