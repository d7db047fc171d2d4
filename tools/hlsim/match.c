/* tools/hlsim/match.c -- price-time matching with the expire-maker self-trade rule. */
#include "tools/hlsim/match.h"

bool hlsim_match_would_cross(const struct hlsim_book *b, bool is_buy, int64_t px)
{
	const struct hlsim_order *m = hlsim_book_best(b, !is_buy);
	return m && (is_buy ? m->px <= px : m->px >= px);
}

int64_t hlsim_match(struct hlsim_book *b, struct hlsim_order *taker, int64_t max_sz,
		    const struct hlsim_match_cb *cb)
{
	int64_t traded = 0;
	if (max_sz > taker->sz)
		max_sz = taker->sz;
	while (traded < max_sz) {
		struct hlsim_order *m = hlsim_book_best(b, !taker->is_buy);
		if (!m || (taker->is_buy ? m->px > taker->px : m->px < taker->px))
			break;
		if (m->acct == taker->acct) {
			hlsim_book_remove(b, m);
			cb->cancel(cb->user, m, "selfTradeCanceled");
			continue;
		}
		int64_t want = max_sz - traded;
		if (want > m->sz)
			want = m->sz;
		int64_t q = cb->maker_allow ? cb->maker_allow(cb->user, m, want) : want;
		if (q <= 0) {
			hlsim_book_remove(b, m);
			cb->cancel(cb->user, m, "reduceOnlyCanceled");
			continue;
		}
		if (q > want)
			q = want;
		m->sz -= q;
		taker->sz -= q;
		traded += q;
		bool gone = m->sz == 0;
		if (gone)
			hlsim_book_remove(b, m);
		cb->fill(cb->user, taker, m, m->px, q);
		if (gone)
			cb->done(cb->user, m);
		else if (q < want) {
			/* the maker was capped (reduce-only) and has nothing more it may trade */
			hlsim_book_remove(b, m);
			cb->cancel(cb->user, m, "reduceOnlyCanceled");
		}
	}
	return traded;
}
