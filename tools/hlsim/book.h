/* tools/hlsim/book.h -- one coin's order book for hlsim: resting orders in price-time priority,
 * untriggered trigger orders, and the oid index shared by all books of an engine.
 *
 * Orders are heap objects owned by the engine (hlsim_order_new / hlsim_order_free); a book only
 * points at them. Each side is an array sorted so that the BEST order is LAST (bids ascending
 * price, asks descending price; at equal price the older order sits nearer the end), so matching
 * pops from the end and quoting near the top is a short memmove. I/O-free, single-threaded.
 */
#ifndef HAT_TOOLS_HLSIM_BOOK_H
#define HAT_TOOLS_HLSIM_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hlsim_tif { HLSIM_TIF_GTC, HLSIM_TIF_ALO, HLSIM_TIF_IOC };

struct hlsim_order {
	uint64_t oid;
	uint64_t seq;             /* time priority (increases with every placement) */
	uint32_t coin;            /* index in the engine's coins (== asset id) */
	uint32_t acct;            /* index of the owning account */
	bool is_buy;
	bool reduce_only;
	bool has_cloid;
	enum hlsim_tif tif;
	int64_t px;               /* limit price, 1e-8 */
	int64_t sz;               /* remaining size, 1e-8 */
	int64_t orig_sz;          /* size at placement, 1e-8 */
	uint64_t timestamp;       /* ms, placement time */
	uint8_t cloid[16];
	/* trigger orders (tp/sl) */
	bool is_trigger;
	bool trig_market;         /* executes as an Ioc at px (worst price) when triggered */
	bool trig_tp;             /* "tp" (true) or "sl" */
	bool triggered;           /* now an ordinary order (was a trigger) */
	int64_t trigger_px;       /* 1e-8 */
	/* per-account list of live orders (engine-managed) */
	struct hlsim_order *acct_prev, *acct_next;
};

/* An oid -> order open-addressing hash (all live orders of an engine). */
struct hlsim_oidmap {
	uint64_t *keys;           /* 0 = empty, UINT64_MAX = deleted */
	struct hlsim_order **vals;
	size_t cap, used, live;   /* cap is a power of two */
};

int hlsim_oidmap_init(struct hlsim_oidmap *m);
void hlsim_oidmap_deinit(struct hlsim_oidmap *m);
/* Returns 0 or -ENOMEM. oid must be nonzero and absent. */
int hlsim_oidmap_put(struct hlsim_oidmap *m, struct hlsim_order *o);
struct hlsim_order *hlsim_oidmap_get(const struct hlsim_oidmap *m, uint64_t oid);
void hlsim_oidmap_del(struct hlsim_oidmap *m, uint64_t oid);

struct hlsim_side {
	struct hlsim_order **v;   /* best last */
	size_t n, cap;
};

struct hlsim_book {
	struct hlsim_side bids, asks;
	struct hlsim_side triggers; /* untriggered trigger orders, unsorted */
};

void hlsim_book_init(struct hlsim_book *b);
/* Frees the arrays only (never the orders). */
void hlsim_book_deinit(struct hlsim_book *b);

/* Inserts a resting order by price-time priority. Returns 0 or -ENOMEM. */
int hlsim_book_insert(struct hlsim_book *b, struct hlsim_order *o);
/* Removes o (resting or trigger) from the book. Returns 0 or -ENOENT. */
int hlsim_book_remove(struct hlsim_book *b, struct hlsim_order *o);
/* Best order of a side, or NULL. */
struct hlsim_order *hlsim_book_best(const struct hlsim_book *b, bool bids);
/* Adds/removes an untriggered trigger order. */
int hlsim_book_add_trigger(struct hlsim_book *b, struct hlsim_order *o);

/* One aggregated level of a side. */
struct hlsim_level {
	int64_t px; /* 1e-8 */
	int64_t sz; /* 1e-8 */
	uint32_t n; /* resting orders */
};

/* Aggregates a side into at most max levels, best first. nsig 0 = full precision, else 2..5
 * significant figures (bids rounded down, asks up), mantissa 0/1 = none, 2 or 5 (only with
 * nsig 5: the last significant digit is rounded to a multiple of mantissa). Returns the number
 * of levels written. */
size_t hlsim_book_levels(const struct hlsim_book *b, bool bids, int nsig, int mantissa,
			 struct hlsim_level *out, size_t max);

/* Rounds a price (1e-8) to the aggregation bucket used by hlsim_book_levels. */
int64_t hlsim_book_bucket(int64_t px, bool bids, int nsig, int mantissa);

/* Checks the sort invariant and that the book is not crossed (debug, tests). */
bool hlsim_book_check(const struct hlsim_book *b);

#endif
