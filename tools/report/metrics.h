/* tools/report/metrics.h -- the numbers of a trading session: PnL, risk ratios, execution
 * quality. A pure module (no I/O, no clock): hat-report feeds it the rows of a result
 * directory (tools/report/README.md), hatctl data export uses its position book to build the
 * PnL series from an audit trail, and the unit test feeds it a tiny scripted session whose
 * every number is computed by hand.
 *
 * Units: prices and sizes are doubles in coin units and USD (the inputs are CSV text written
 * from 1e-8 fixed point; doubles keep 15-16 significant digits, plenty for a report); times are
 * ms since the epoch. Definitions (also printed by the report next to each number):
 *   equity        realized + unrealized - fees, USD, at the mids known at the time.
 *   realized      average-cost: a fill that reduces a position realizes (px - entry) * size
 *                 on the closed part, signed by the position's direction.
 *   returns       r_i = equity_i - equity_{i-1} over the PnL series' sampling interval
 *                 (sample_ms, normally 1000 ms), in USD (no capital base is assumed).
 *   Sharpe        mean(r) / stdev(r) with the sample stdev (n-1); annualized x sqrt(periods
 *                 per 365-day year). 0 when fewer than 2 returns or stdev 0.
 *   Sortino       mean(r) / sqrt(sum(min(r,0)^2) / n) (target 0); annualized likewise; 0 when
 *                 no return is negative.
 *   max drawdown  max over t of (running peak of equity up to t) - equity_t, USD, >= 0.
 *   markout(h)    per fill: side * (mid(t+h) - px) * sz in USD, side +1 buy / -1 sell,
 *                 mid(t) = the coin's last mid at or before t; fills with no mid at t+h
 *                 (past the end of the data) or no mid at t are left out of that horizon.
 *                 Also in bps: the mean of side * (mid(t+h) - px) / px * 1e4.
 *   adverse sel.  per fill: -side * (mid(t+h) - mid(t)) / mid(t) * 1e4 bps, its mean (>0:
 *                 the price moved against the fill, whatever the spread earned), and the
 *                 share of fills whose markout at h is < 0.
 *   fill ratio    placed orders with at least one fill (matched by oid) / placed orders.
 *   order/trade   (places + cancels + modifies) / fills.
 *   turnover      sum of px * sz over fills, USD.
 *   reject reason the exchange's text up to its first ", " or ". " (details such as the
 *                 bbo or the asset are cut so that equal reasons group together).
 */
#ifndef HAT_TOOLS_REPORT_METRICS_H
#define HAT_TOOLS_REPORT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RPT_COIN_LEN 16
#define RPT_MAX_COINS 64
#define RPT_REASON_LEN 96
#define RPT_MAX_REASONS 32
#define RPT_N_HORIZONS 3

extern const int64_t rpt_horizons_ms[RPT_N_HORIZONS]; /* 1 s, 10 s, 60 s */

struct rpt_fill {
	int64_t t_ms;
	char coin[RPT_COIN_LEN];
	int side;            /* +1 buy, -1 sell */
	double px, sz, fee;  /* sz > 0; fee in USD (negative = rebate) */
	uint64_t oid, tid;
	bool maker;          /* crossed == false */
};

struct rpt_mid {
	int64_t t_ms;
	char coin[RPT_COIN_LEN];
	double mid;
};

enum rpt_action { RPT_PLACE = 1, RPT_CANCEL = 2, RPT_MODIFY = 3 };

struct rpt_order {
	int64_t t_ms;
	enum rpt_action action;
	char coin[RPT_COIN_LEN];
	int side;
	double px, sz;
	uint64_t oid;        /* 0 = unknown (rejected before it got one) */
};

struct rpt_reject {
	int64_t t_ms;
	char coin[RPT_COIN_LEN];
	char reason[RPT_REASON_LEN];
};

struct rpt_point {
	int64_t t_ms;
	double equity;
};

/* ---------------------------------------------------------------- position book */

struct rpt_pos {
	char coin[RPT_COIN_LEN];
	double qty;          /* signed, coin units */
	double entry;        /* average entry px of the open position (0 when flat) */
	double realized, fees, volume, mid;
	bool has_mid;
	uint64_t fills;
};

struct rpt_book {
	struct rpt_pos pos[RPT_MAX_COINS];
	size_t n;
	uint64_t dropped;    /* fills/mids of coins past RPT_MAX_COINS (ignored) */
};

void rpt_book_init(struct rpt_book *b);
/* Applies a fill (average-cost realized PnL, fees, volume). */
void rpt_book_fill(struct rpt_book *b, const struct rpt_fill *f);
/* Records a coin's mid (unrealized PnL is marked at the last one). */
void rpt_book_mid(struct rpt_book *b, const char *coin, double mid);
/* The position of coin, or NULL if it was never seen. */
const struct rpt_pos *rpt_book_get(const struct rpt_book *b, const char *coin);
/* Sums over coins: realized, unrealized (qty * (mid - entry), coins without a mid count 0),
 * fees; returns equity = realized + unrealized - fees. Any out pointer may be NULL. */
double rpt_book_equity(const struct rpt_book *b, double *realized, double *unrealized,
		       double *fees);

/* ---------------------------------------------------------------- session metrics */

struct rpt_session {
	const struct rpt_fill *fills; size_t n_fills;     /* by time */
	const struct rpt_mid *mids; size_t n_mids;        /* by time */
	const struct rpt_order *orders; size_t n_orders;
	const struct rpt_reject *rejects; size_t n_rejects;
	const struct rpt_point *pnl; size_t n_pnl;        /* by time, sample_ms apart */
	int64_t sample_ms;                                /* > 0 */
};

struct rpt_markout {
	int64_t horizon_ms;
	size_t n;            /* fills measured */
	double usd;          /* sum of markouts */
	double bps;          /* mean markout in bps */
	double adverse_bps;  /* mean adverse selection in bps */
	double neg_share;    /* share of measured fills with markout < 0 */
};

struct rpt_reason {
	char reason[RPT_REASON_LEN];
	uint64_t count;
};

struct rpt_metrics {
	struct rpt_book book;          /* final positions per coin (realized, fees, volume) */
	double pnl, realized, unrealized, fees, turnover;
	uint64_t n_fills, n_maker;
	int64_t sample_ms;
	size_t n_returns;
	double ret_mean, ret_stdev;
	double sharpe, sharpe_ann, sortino, sortino_ann;
	double max_dd;
	int64_t max_dd_peak_ms, max_dd_trough_ms;
	double final_equity;
	uint64_t placed, placed_filled, cancels, modifies;
	double fill_ratio, order_to_trade;
	struct rpt_markout mk[RPT_N_HORIZONS];
	struct rpt_reason reasons[RPT_MAX_REASONS]; /* by count, descending */
	size_t n_reasons;
	uint64_t n_rejects;
};

/* Computes every metric of s into m (overwritten). Returns 0, -EINVAL if sample_ms <= 0, or
 * -ENOMEM (scratch for the per-coin mid index). */
int rpt_metrics_compute(const struct rpt_session *s, struct rpt_metrics *m);

/* The last mid of coin at or before t_ms in mids[0..n) (sorted by time): 0 with *mid set, or
 * -ENOENT. Linear in the worst case; rpt_metrics_compute uses its own index. */
int rpt_mid_at(const struct rpt_mid *mids, size_t n, const char *coin, int64_t t_ms,
	       double *mid);

#endif
