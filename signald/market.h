/* signald/market.h -- per-coin market state and microstructure signals.
 *
 * One struct sig_market per traded coin, fed from the md ring (BOOK, BBO, TRADE messages).
 * Every update is O(levels) or O(1) amortised and allocates nothing: the trade window is a
 * fixed circular buffer. Doubles are used only here, for signal math; prices in messages stay
 * fixed point. Time is passed in (now_ns) and never read inside (STYLE rule 12).
 *
 * Signals kept up to date:
 *   mid, microprice (size-weighted toward the thinner side), spread (absolute and bps);
 *   order-book imbalance at depths 1, 3 and 5: (bid size - ask size) / (bid size + ask size);
 *   realized volatility: EWMA of squared log returns of the mid, per return (sigma per update)
 *     and per second (sigma scaled by the observed update rate);
 *   trade-flow imbalance: time-decayed buy minus sell volume over their sum, in [-1, 1];
 *   VWAP over SIG_VWAP_WINDOWS time windows (1 s, 10 s, 60 s by default).
 * Single-threaded: owned by signald's loop.
 */
#ifndef HAT_SIGNALD_MARKET_H
#define HAT_SIGNALD_MARKET_H

#include <stdbool.h>
#include <stdint.h>

#include "common/msg_types.h"

#define SIG_DEPTHS 3          /* imbalance depths: 1, 3, 5 levels */
#define SIG_VWAP_WINDOWS 3
#define SIG_TRADE_RING 4096   /* trades remembered for VWAP (power of two) */

struct sig_market_params {
	double vol_lambda;        /* EWMA decay per mid return, e.g. 0.94 */
	double flow_halflife_s;   /* trade-flow decay half-life in seconds, e.g. 5 */
	uint64_t vwap_window_ns[SIG_VWAP_WINDOWS]; /* e.g. 1 s, 10 s, 60 s */
};

struct sig_trade_rec {
	uint64_t t_ns;
	double px;
	double sz;
};

struct sig_market {
	char coin[HAT_COIN_LEN];
	uint32_t asset;
	struct sig_market_params p;

	/* book (top HAT_BOOK_DEPTH per side, fixed point, as received) */
	struct hat_level bids[HAT_BOOK_DEPTH];
	struct hat_level asks[HAT_BOOK_DEPTH];
	uint8_t n_bids, n_asks;
	bool have_book;           /* both sides non-empty at least once since reset */
	uint64_t last_update_ns;  /* receipt time (origin_ns) of the last book/bbo */
	uint64_t exch_time_ms;

	/* derived, valid when have_book */
	double best_bid, best_ask, mid, microprice, spread, spread_bps;
	double imbalance[SIG_DEPTHS];  /* depths 1, 3, 5 */

	/* volatility */
	double prev_mid;          /* 0 until the first mid */
	double ret_var;           /* EWMA of squared log returns */
	uint64_t n_returns;
	uint64_t first_return_ns, last_return_ns;

	/* trade flow */
	double flow_buy, flow_sell;
	uint64_t flow_t_ns;
	double last_trade_px;
	uint64_t last_trade_ns;

	/* vwap windows over a circular buffer of trades */
	struct sig_trade_rec trades[SIG_TRADE_RING];
	uint64_t tr_head, tr_tail[SIG_VWAP_WINDOWS]; /* free-running indices */
	double vwap_pv[SIG_VWAP_WINDOWS], vwap_v[SIG_VWAP_WINDOWS];
	uint64_t trades_evicted;  /* trades dropped from a window because the buffer was full */
};

/* Default parameters (documented values above). */
void sig_market_params_default(struct sig_market_params *p);

/* Initialises m for coin/asset with parameters p (copied). */
void sig_market_init(struct sig_market *m, const char *coin, uint32_t asset,
		     const struct sig_market_params *p);

/* Forgets the book and the return history (after stale data or a resubscribe), keeping the
 * trade windows and flow, which decay by themselves. */
void sig_market_reset_book(struct sig_market *m);

/* Applies a validated BOOK message received at now_ns. */
void sig_market_on_book(struct sig_market *m, const struct hat_msg_book *b, uint64_t now_ns);
/* Applies a validated BBO message: replaces the best level of each side it carries. */
void sig_market_on_bbo(struct sig_market *m, const struct hat_msg_bbo *b, uint64_t now_ns);
/* Applies a validated TRADE message. */
void sig_market_on_trade(struct sig_market *m, const struct hat_msg_trade *t, uint64_t now_ns);

/* Trade-flow imbalance decayed to now_ns, in [-1, 1]; 0 with no flow. */
double sig_market_flow(const struct sig_market *m, uint64_t now_ns);
/* VWAP of window w (0..SIG_VWAP_WINDOWS-1) as of the last trade, expiring trades older than
 * now_ns - window; 0 if the window has no trades. Not const: it advances the window tail. */
double sig_market_vwap(struct sig_market *m, int w, uint64_t now_ns);
/* Volatility of log returns: per mid change (sqrt of the EWMA), and per second using the
 * observed rate of mid changes. 0 until two returns were seen. */
double sig_market_sigma_per_return(const struct sig_market *m);
double sig_market_sigma_per_sec(const struct sig_market *m);

/* True if the book is older than max_age_ns at now_ns, or missing. */
bool sig_market_is_stale(const struct sig_market *m, uint64_t now_ns, uint64_t max_age_ns);

#endif
