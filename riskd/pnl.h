/* riskd/pnl.h -- position and PnL arithmetic for one coin, exact in 1e-8 fixed point.
 *
 * A fill of size sz at px on side BUY adds sz to the signed position szi, SELL subtracts it.
 *   - Opening or adding (szi == 0 or the fill in szi's direction): the average entry becomes
 *     (|szi| * entry + sz * px) / (|szi| + sz).
 *   - Reducing (fill against szi): closed = min(sz, |szi|) realizes
 *     closed * (px - entry) for a long, closed * (entry - px) for a short. If the fill is
 *     larger than the position it flips: the rest opens a new position at entry = px.
 *     Flat means entry 0.
 *   - Fees accumulate separately (negative = rebate); realized PnL excludes fees.
 *   - Unrealized PnL = szi * (mark - entry), 0 without a mark or when flat.
 * Every product and quotient is computed in 128 bits and rounded to the nearest 1e-8
 * (halves away from zero), then saturated at +-HAT_FX_MAX. Pure functions, no I/O.
 */
#ifndef HAT_RISKD_PNL_H
#define HAT_RISKD_PNL_H

#include <stdint.h>

struct risk_pos {
	int64_t szi;       /* signed position, 1e-8; + long, - short */
	int64_t entry_px;  /* average entry, 1e-8; 0 when flat */
	int64_t realized;  /* USD 1e-8, fees excluded */
	int64_t fees;      /* USD 1e-8 paid (rebates negative) */
	int64_t volume;    /* USD 1e-8 traded notional */
	uint64_t fills;    /* fills applied */
};

/* round(a * b / d), halves away from zero, saturated at +-HAT_FX_MAX; d != 0. */
int64_t risk_pnl_muldiv(int64_t a, int64_t b, int64_t d);

/* Applies one fill. side is HAT_SIDE_BUY or HAT_SIDE_SELL, px > 0, sz > 0 (1e-8), fee in
 * USD 1e-8. Returns the realized PnL of this fill (1e-8), or 0 for an opening fill. The
 * caller validates the inputs (riskd checks exec events before they get here). */
int64_t risk_pnl_fill(struct risk_pos *p, int side, int64_t px, int64_t sz, int64_t fee);

/* Unrealized PnL of p at mark (1e-8); 0 if mark <= 0 or p is flat. */
int64_t risk_pnl_unrealized(const struct risk_pos *p, int64_t mark);

/* |szi| * mark, the notional of the position at mark (1e-8, >= 0). */
int64_t risk_pnl_notional(int64_t szi, int64_t mark);

#endif
