/* riskd/pnl.c -- see pnl.h for the rules and the rounding. */
#include "riskd/pnl.h"

#include "common/msg_types.h"

static int64_t sat(__int128 v)
{
	if (v > HAT_FX_MAX)
		return HAT_FX_MAX;
	if (v < -HAT_FX_MAX)
		return -HAT_FX_MAX;
	return (int64_t)v;
}

static int64_t div_round(__int128 n, __int128 d)
{
	if (d < 0) {
		n = -n;
		d = -d;
	}
	__int128 q = n / d, r = n % d;
	/* Round half away from zero: |r| * 2 >= d moves q one step away from zero. */
	if (r < 0 ? -r * 2 >= d : r * 2 >= d)
		q += n < 0 ? -1 : 1;
	return sat(q);
}

int64_t risk_pnl_muldiv(int64_t a, int64_t b, int64_t d)
{
	return div_round((__int128)a * b, d);
}

int64_t risk_pnl_fill(struct risk_pos *p, int side, int64_t px, int64_t sz, int64_t fee)
{
	int64_t realized = 0;
	int dir = side == HAT_SIDE_BUY ? 1 : -1;

	p->fills++;
	p->fees = sat((__int128)p->fees + fee);
	p->volume = sat((__int128)p->volume + risk_pnl_muldiv(px, sz, HAT_FX_ONE));

	if (p->szi == 0 || (p->szi > 0) == (dir > 0)) {
		int64_t held = p->szi < 0 ? -p->szi : p->szi;
		__int128 num = (__int128)held * p->entry_px + (__int128)sz * px;
		p->entry_px = div_round(num, (__int128)held + sz);
		p->szi = sat((__int128)p->szi + (__int128)dir * sz);
		return 0;
	}

	int64_t held = p->szi < 0 ? -p->szi : p->szi;
	int64_t closed = sz < held ? sz : held;
	int64_t diff = p->szi > 0 ? px - p->entry_px : p->entry_px - px;
	realized = risk_pnl_muldiv(closed, diff, HAT_FX_ONE);
	p->realized = sat((__int128)p->realized + realized);
	p->szi += (int64_t)dir * closed;
	if (p->szi == 0)
		p->entry_px = 0;
	if (sz > closed) {
		/* Flip: the rest of the fill opens a new position at the fill price. */
		p->szi = (int64_t)dir * (sz - closed);
		p->entry_px = px;
	}
	return realized;
}

int64_t risk_pnl_unrealized(const struct risk_pos *p, int64_t mark)
{
	if (mark <= 0 || p->szi == 0)
		return 0;
	return risk_pnl_muldiv(p->szi, mark - p->entry_px, HAT_FX_ONE);
}

int64_t risk_pnl_notional(int64_t szi, int64_t mark)
{
	if (mark <= 0)
		return 0;
	int64_t a = szi < 0 ? -szi : szi;
	return risk_pnl_muldiv(a, mark, HAT_FX_ONE);
}
