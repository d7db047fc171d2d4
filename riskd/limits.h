/* riskd/limits.h -- riskd's pre-trade checks: one function that decides whether an intent
 * (NEW, CANCEL or REPLACE from signald) may become an order, and if not, why.
 *
 * Limits are per coin (risk_coin_limits, indexed like the book's coins) and global. The check
 * reads the book (positions, marks, working orders), the trading state, the readiness flag,
 * the recently used cloids and the rate buckets, and changes none of them: the engine commits
 * (takes a token, books the order) only when it has also managed to emit the order.
 *
 * The checks run in this fixed order; the first failure is returned:
 *   1  RISK_BAD_INTENT        kind/side/tif/flags out of range, coin not configured, asset
 *                             differs from the book's (unless RISK_ASSET_UNKNOWN), zero cloid, NEW/REPLACE with
 *                             px or sz <= 0 or > HAT_FX_MAX, TRIGGER without a trigger_px,
 *                             REPLACE without orig_cloid or with orig_cloid == cloid
 *   2  RISK_NOT_READY         no snapshot from execd yet (start or execd restart)
 *   CANCEL only:
 *   3  RISK_UNKNOWN_ORDER     cloid is not a working order (BAD_INTENT if it is on another
 *                             coin)
 *   4  RISK_CANCEL_RATE       cancel bucket empty                  -> else approved
 *   NEW / REPLACE:
 *   3  RISK_HALTED            trading state HALTED
 *   4  RISK_DUPLICATE_CLOID   cloid is working or was used recently
 *   5  RISK_UNKNOWN_ORDER     REPLACE: orig_cloid is not a working order (BAD_INTENT if it is
 *                             on another coin or side)
 *   6  RISK_TICK              hl_px_check() of px (and of trigger_px for TRIGGER orders)
 *   7  RISK_LOT               hl_sz_check(): size not a multiple of 10^-szDecimals
 *   8  RISK_MIN_NOTIONAL      hl_order_value_check(): px * sz below the exchange minimum
 *   9  RISK_MAX_ORDER_SIZE    sz > max_order_sz
 *   10 RISK_MAX_ORDER_NOTIONAL px * sz > max_order_notional
 *   11 RISK_STALE_MARK        no mark for the coin, or now_ns - mark_ns > mark_max_age_ns
 *   12 RISK_PRICE_BAND        |px - mark| * 10000 > price_band_bps * mark
 *   13 RISK_REDUCE_ONLY_STATE REDUCING and the order does not reduce: it must be against the
 *                             position and sz + working same-side size <= |szi|
 *   14 RISK_MAX_POSITION      worst case after fills > max_position:
 *                             BUY: szi + work_buy + sz; SELL: -(szi - work_sell - sz)
 *   15 RISK_MAX_GROSS_NOTIONAL sum over coins of max(|szi + work_buy|, |szi - work_sell|) *
 *                             mark, this coin with the order added, > max_gross_notional and
 *                             larger than without the order
 *   16 RISK_MAX_NET_NOTIONAL  |sum over other coins of szi * mark + this coin's
 *                             (szi + signed working same-side size + signed sz) * mark|
 *                             > max_net_notional and larger than without the order
 *   17 RISK_MAX_OPEN_ORDERS   NEW: working orders >= max_open_orders (global) or the coin's
 *                             >= its max_open_orders; REPLACE: the book has no free slot to
 *                             track the replacement (it holds both until execd confirms)
 *   18 RISK_ORDER_RATE        order bucket empty
 * For REPLACE, the order being replaced does not count in the working sizes (14-16).
 * Marks of other coins fall back to their entry price when they have none. All arithmetic is
 * exact (128-bit products). Pure: no I/O, time passed in; single-threaded.
 */
#ifndef HAT_RISKD_LIMITS_H
#define HAT_RISKD_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg_types.h"
#include "riskd/cloidmap.h"
#include "riskd/position.h"
#include "riskd/throttle.h"

struct risk_coin_limits {
	int64_t max_order_sz;       /* 1e-8, > 0 */
	int64_t max_order_notional; /* USD 1e-8, > 0 */
	int64_t max_position;       /* absolute size 1e-8, > 0 */
	uint32_t price_band_bps;    /* 1..10000 */
	uint32_t max_open_orders;   /* working orders on this coin, >= 1 */
	uint8_t sz_decimals;        /* the exchange's szDecimals (0..6 perp, 0..8 spot) */
	uint8_t spot;               /* 1 for a spot pair (price decimals 8 - szDecimals) */
};

struct risk_limits {
	uint32_t n_coins;                               /* = book->n_coins */
	struct risk_coin_limits coin[RISK_MAX_COINS];
	int64_t max_gross_notional;                     /* USD 1e-8, > 0 */
	int64_t max_net_notional;                       /* USD 1e-8, > 0 */
	uint32_t max_open_orders;                       /* all coins, >= 1 */
	uint64_t mark_max_age_ns;                       /* > 0 */
};

/* What a check reads. Everything is borrowed for the call and left unchanged (the buckets
 * are refilled for the time passed, which takes nothing). */
struct risk_check_env {
	const struct risk_limits *lim;
	const struct risk_book *book;
	const struct risk_cmap *recent_cloids; /* cloids used recently (may be NULL) */
	struct risk_throttle *order_tb;
	struct risk_throttle *cancel_tb;
	uint8_t trading_state;                 /* enum hat_trading_state */
	bool ready;                            /* snapshot from execd received */
};

/* Validates a limits table for a book of n coins. Returns 0 or -EINVAL with err naming the
 * coin and field ("coin 1 (ETH): price_band_bps must be 1..10000"). */
int risk_limits_validate(const struct risk_limits *lim, char *err, size_t errlen);

/* Runs the checks above on o at now_ns (same clock as the marks' mark_ns). Returns
 * HAT_REASON_NONE (0) to approve, or the first failing enum hat_reason. text (may be NULL)
 * receives a short explanation with the numbers, e.g. "sz 2 > max 1" (NUL-terminated,
 * truncated to textlen). *coin_out (may be NULL) gets the coin index or -1. */
enum hat_reason risk_limits_check(const struct risk_check_env *env,
                                  const struct hat_order_fields *o, uint64_t now_ns,
                                  int *coin_out, char *text, size_t textlen);

#endif
