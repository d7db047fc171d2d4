/* tools/hlsim/account.h -- a simulated perp account: USDC, cross-margin positions, fees, PnL,
 * recent fills and recent finished orders, nonces, per-address request budget.
 *
 * Model (documented simplifications): cross margin only; the margin a position uses is
 * |szi| * markPx / leverage and a resting order that can increase exposure reserves
 * px * sz / leverage; account value = usdc + unrealized PnL at mark. There are NO
 * liquidations: an account whose value falls below its margin keeps its positions, it just
 * cannot place orders that add exposure ("Insufficient margin to place order."). Fees are
 * charged on every fill (maker/taker rate; a negative maker rate is a rebate) and closedPnl
 * excludes fees, as on the exchange. No funding. I/O-free, single-threaded.
 */
#ifndef HAT_TOOLS_HLSIM_ACCOUNT_H
#define HAT_TOOLS_HLSIM_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/hlsim/book.h"
#include "tools/hlsim/config.h"
#include "tools/hlsim/nonce.h"

#define HLSIM_FILLS_KEEP 2000   /* userFills returns at most the 2000 most recent */
#define HLSIM_DONE_KEEP 1000    /* finished orders kept for orderStatus */

struct hlsim_position {
	int64_t szi;        /* signed size, 1e-8 (+long) */
	int64_t entry_ntl;  /* |szi| * entry price, 1e-8 USD (0 when flat) */
	int leverage;       /* cross leverage (1..maxLeverage) */
};

enum hlsim_dir { HLSIM_DIR_OPEN_LONG, HLSIM_DIR_CLOSE_LONG, HLSIM_DIR_OPEN_SHORT,
		 HLSIM_DIR_CLOSE_SHORT, HLSIM_DIR_LONG_TO_SHORT, HLSIM_DIR_SHORT_TO_LONG };

struct hlsim_fill {
	uint64_t time;       /* ms */
	uint64_t oid, tid;
	int64_t px, sz;      /* 1e-8 */
	int64_t start_pos;   /* szi before the fill */
	int64_t closed_pnl;  /* realized, fees excluded */
	int64_t fee;         /* 1e-8 USD, negative = rebate */
	uint32_t coin;
	uint8_t dir;         /* enum hlsim_dir */
	bool is_buy;
	bool crossed;        /* taker side */
	bool has_cloid;
	uint8_t cloid[16];
	uint8_t hash[32];
};

/* A finished (filled / canceled / rejected) order kept for orderStatus. */
struct hlsim_done {
	struct hlsim_order o;     /* copy; list pointers meaningless */
	char status[32];          /* exchange status string */
	uint64_t status_ms;
};

struct hlsim_account {
	uint8_t address[20];
	int64_t usdc;                 /* 1e-8: deposits + realized PnL - fees +/- transfers */
	struct hlsim_position pos[HLSIM_MAX_COINS];
	int64_t cum_vlm;              /* traded notional, 1e-8 USD */
	uint64_t n_requests;          /* actions counted against the address budget */
	uint64_t rl_next_ms;          /* budget exhausted: next request allowed at (1 per 10 s) */
	struct hlsim_nonces nonces;   /* as a signer */
	bool is_flow;                 /* background agent: exempt from auth and budgets */
	/* live orders (intrusive list through hlsim_order.acct_prev/next) */
	struct hlsim_order *orders;
	uint32_t n_orders;
	/* dead man's switch */
	uint64_t sched_ms;            /* 0 = not armed */
	uint64_t sched_day;           /* UTC day of sched_count */
	uint32_t sched_count;         /* triggers that day */
	/* rings (allocated on first use) */
	struct hlsim_fill *fills;     /* HLSIM_FILLS_KEEP */
	uint64_t n_fills;             /* total ever; ring index = n % KEEP */
	struct hlsim_done *done;      /* HLSIM_DONE_KEEP */
	uint64_t n_done;
};

/* Allocates a zeroed account with address and usdc, leverages set to min(20, maxLeverage).
 * Returns NULL on allocation failure. */
struct hlsim_account *hlsim_account_new(const struct hlsim_config *c, const uint8_t address[20],
					int64_t usdc);
void hlsim_account_free(struct hlsim_account *a);

/* Result of applying one fill to a position. */
struct hlsim_fill_math {
	int64_t start_pos;
	int64_t closed_pnl;
	enum hlsim_dir dir;
};

/* Applies a fill of sz (> 0) at px to position coin and charges fee: average entry on
 * increase, realized PnL on reduce (pro rata of the entry notional), flip = close all then
 * open the rest at px. usdc += closed_pnl - fee; cum_vlm += px * sz. */
void hlsim_account_apply_fill(struct hlsim_account *a, uint32_t coin, bool is_buy, int64_t px,
			      int64_t sz, int64_t fee, struct hlsim_fill_math *r);

/* Entry price of a position (1e-8, rounded down), 0 when flat. */
int64_t hlsim_position_entry_px(const struct hlsim_position *p);
/* Unrealized PnL of a position at mark (1e-8 USD). */
int64_t hlsim_position_upnl(const struct hlsim_position *p, int64_t mark);

/* usdc + unrealized PnL over all coins (marks[] indexed by coin, n entries). */
int64_t hlsim_account_value(const struct hlsim_account *a, const int64_t *marks, size_t n);
/* Sum |szi| * mark over positions. */
int64_t hlsim_account_ntl_pos(const struct hlsim_account *a, const int64_t *marks, size_t n);
/* Margin of the positions: sum |szi| * mark / leverage. */
int64_t hlsim_account_pos_margin(const struct hlsim_account *a, const int64_t *marks, size_t n);
/* Margin reserved by resting non-reduce-only orders: sum px * sz / leverage. */
int64_t hlsim_account_order_margin(const struct hlsim_account *a);
/* Margin a new order of sz at px on coin needs: only the size beyond the current opposite
 * position (the part that increases exposure) reserves px * sz / leverage. */
int64_t hlsim_account_new_order_margin(const struct hlsim_account *a, uint32_t coin,
				       bool is_buy, int64_t px, int64_t sz);

/* fee = px * sz * rate (rate 1e-8 units), rounded toward zero to 1e-8 USD. */
int64_t hlsim_fee(int64_t px, int64_t sz, int64_t rate);

/* Live order list maintenance. */
void hlsim_account_link(struct hlsim_account *a, struct hlsim_order *o);
void hlsim_account_unlink(struct hlsim_account *a, struct hlsim_order *o);

/* Records a fill / a finished order in the rings. Returns 0 or -ENOMEM. */
int hlsim_account_add_fill(struct hlsim_account *a, const struct hlsim_fill *f);
int hlsim_account_add_done(struct hlsim_account *a, const struct hlsim_order *o,
			   const char *status, uint64_t now_ms);
/* The i-th most recent fill (0 = newest), or NULL. */
const struct hlsim_fill *hlsim_account_fill(const struct hlsim_account *a, uint64_t i);
/* The most recent finished order with this oid (or cloid if cloid != NULL), or NULL. */
const struct hlsim_done *hlsim_account_find_done(const struct hlsim_account *a, uint64_t oid,
						 const uint8_t *cloid);

/* The display string of a dir ("Open Long", ...). */
const char *hlsim_dir_name(enum hlsim_dir d);

#endif
