/* signald/quote.h -- working orders of one coin and the intents that move them.
 *
 * A strategy says what it wants resting (a target ladder of bids and asks) or asks for an
 * immediate IOC; the quoter turns that into NEW / CANCEL / REPLACE intents, remembering every
 * order it has working and what state each is in. It never emits more than max_working orders
 * per coin, never touches an order whose previous intent is still unanswered (no duplicate
 * intents), and leaves a resting order alone while the target is within the requote
 * threshold (no cancel/replace churn). Exec events from riskd (acks, rejects, fills, cancels,
 * replaces, snapshot rows) keep the table true.
 *
 * Client order ids are unique across restarts: 8 bytes boot epoch (ns, strictly increasing
 * from one start to the next: the caller passes max(now, last epoch + 1)), 2 bytes strategy
 * id, 6 bytes counter. Single-threaded; no allocation; time passed in.
 */
#ifndef HAT_SIGNALD_QUOTE_H
#define HAT_SIGNALD_QUOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/msg_types.h"

#define SIG_MAX_LEVELS 5      /* ladder levels per side */
#define SIG_MAX_WORKING 16    /* orders tracked per coin */

enum sig_wo_state {
	SIG_WO_EMPTY = 0,
	SIG_WO_PENDING_NEW,      /* NEW sent, no ack yet */
	SIG_WO_LIVE,             /* resting at the exchange */
	SIG_WO_PENDING_CANCEL,   /* CANCEL sent */
	SIG_WO_PENDING_REPLACE,  /* REPLACE sent: cloid is the old id, new_cloid the replacement */
};

struct sig_working {
	uint8_t state;           /* enum sig_wo_state */
	uint8_t side;            /* enum hat_side */
	uint8_t level;           /* ladder level it fills (0 = best) */
	uint8_t tif;             /* enum hat_tif */
	uint8_t cloid[HAT_CLOID_LEN];
	uint8_t new_cloid[HAT_CLOID_LEN];
	int64_t px, sz;          /* 1e-8: current (or, pending replace, the old) price and size */
	int64_t new_px, new_sz;  /* pending replace target */
	int64_t remaining;       /* 1e-8 */
	uint64_t sent_ns;        /* when the last intent for it was sent */
};

struct sig_quote { int64_t px, sz; }; /* 1e-8; sz 0 = no quote at this level */

struct sig_target {
	struct sig_quote bids[SIG_MAX_LEVELS]; /* level 0 = best */
	struct sig_quote asks[SIG_MAX_LEVELS];
	int n_bids, n_asks;
};

struct sig_quoter_params {
	int max_working;          /* <= SIG_MAX_WORKING */
	double requote_bps;       /* leave an order alone if its price is within this of target */
	double resize_frac;       /* ... and its size within this fraction of target */
	uint64_t pending_timeout_ns; /* an unanswered intent older than this is cancelled by cloid */
	bool use_replace;         /* REPLACE (one modify) instead of CANCEL + NEW */
};

typedef void (*sig_emit_fn)(void *user, const struct hat_msg_intent *intent);

struct sig_quoter {
	char coin[HAT_COIN_LEN];
	uint32_t asset;
	int sz_decimals;
	uint16_t strategy_id;
	struct sig_quoter_params p;
	struct sig_working wo[SIG_MAX_WORKING];
	uint64_t boot_epoch;      /* ns */
	uint64_t counter;         /* next cloid counter (48 bits used) */
	uint64_t origin_ns;       /* set by the caller: origin_ns of the market data acted on,
				     copied into every intent (tick-to-order latency) */
	sig_emit_fn emit;
	void *emit_user;
	/* counters */
	uint64_t n_new, n_cancel, n_replace, n_ioc, n_kept, n_rejects, n_fills, n_unknown_events;
};

/* Initialises q. emit is called for every intent (borrowed for the call); emit_user is kept.
 * boot_epoch must be strictly greater than the previous run's (see header comment). */
void sig_quoter_init(struct sig_quoter *q, const char *coin, uint32_t asset, int sz_decimals,
		     uint16_t strategy_id, const struct sig_quoter_params *p, uint64_t boot_epoch,
		     sig_emit_fn emit, void *emit_user);

void sig_quoter_params_default(struct sig_quoter_params *p);

/* Makes the resting orders converge on target (prices already valid ticks, sizes lots).
 * Post-only (ALO). Returns the number of intents emitted. */
int sig_quoter_set_target(struct sig_quoter *q, const struct sig_target *t, uint64_t now_ns);

/* Cancels every working order that is live or pending new. Returns intents emitted. */
int sig_quoter_cancel_all(struct sig_quoter *q, uint64_t now_ns);

/* Sends an IOC order (taker). Returns 1 if emitted, 0 if no slot is free (max_working). */
int sig_quoter_send_ioc(struct sig_quoter *q, enum hat_side side, int64_t px, int64_t sz,
			bool reduce_only, uint64_t now_ns);

/* Applies an exec event from riskd (validated). Events for unknown cloids are counted and
 * ignored, except snapshot OPEN_ORDER rows, which are adopted as LIVE orders. */
void sig_quoter_on_exec(struct sig_quoter *q, const struct hat_msg_exec *e);

/* Orders working (any non-empty state), and those live on one side. */
int sig_quoter_count(const struct sig_quoter *q);
int sig_quoter_count_side(const struct sig_quoter *q, enum hat_side side);

/* Test helper: the cloid the next intent would use. */
void sig_quoter_peek_cloid(const struct sig_quoter *q, uint8_t out[HAT_CLOID_LEN]);

/* Sanity of the table (debug builds: assert(sig_quoter_check(q))). */
bool sig_quoter_check(const struct sig_quoter *q);

#endif
