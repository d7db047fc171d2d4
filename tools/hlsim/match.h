/* tools/hlsim/match.h -- hlsim's matching of an incoming (taker) order against one book.
 *
 * Price-time priority: the taker trades with the best opposite order while prices cross, at
 * the maker's price. Self-trade rule (as the exchange does, "expire maker"): when the taker
 * meets a resting order of its own account, the resting order is canceled (status
 * selfTradeCanceled) and matching continues. The engine's callbacks see every fill and every
 * maker removal; this module never frees orders and does no account math. I/O-free.
 */
#ifndef HAT_TOOLS_HLSIM_MATCH_H
#define HAT_TOOLS_HLSIM_MATCH_H

#include <stdint.h>

#include "tools/hlsim/book.h"

struct hlsim_match_cb {
	/* Before a maker of another account trades want: returns the size it may trade
	 * (0..want); 0 removes the maker (then cancel(...,"reduceOnlyCanceled") is called).
	 * NULL: always want. */
	int64_t (*maker_allow)(void *user, struct hlsim_order *maker, int64_t want);
	/* One fill of sz at px (maker's price). Both orders' sz are already reduced. */
	void (*fill)(void *user, struct hlsim_order *taker, struct hlsim_order *maker, int64_t px,
		     int64_t sz);
	/* maker left the book without (further) trading; status is the exchange's order status
	 * ("selfTradeCanceled", "reduceOnlyCanceled"). The callee owns/frees it. */
	void (*cancel)(void *user, struct hlsim_order *maker, const char *status);
	/* maker fully filled and removed from the book; the callee owns/frees it. Called after
	 * its last fill. */
	void (*done)(void *user, struct hlsim_order *maker);
	void *user;
};

/* Matches taker (not in the book) for at most max_sz (<= taker->sz) against b. taker->sz is
 * reduced by what traded. Returns the traded size (0 when nothing crossed). */
int64_t hlsim_match(struct hlsim_book *b, struct hlsim_order *taker, int64_t max_sz,
		    const struct hlsim_match_cb *cb);

/* True if an order on side is_buy at px would trade immediately against b (ALO check). */
bool hlsim_match_would_cross(const struct hlsim_book *b, bool is_buy, int64_t px);

#endif
