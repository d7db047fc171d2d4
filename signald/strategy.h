/* signald/strategy.h -- the strategy interface: a small table of callbacks.
 *
 * A strategy is one file that defines a `const struct sig_strategy_ops` and is listed in
 * sig_strategies[] (strategy.c). signald owns one struct sig_coin per traded coin (market
 * state, the quoter holding its working orders, the risk-approved position) and calls the
 * coin's strategy on each event. A strategy acts only through the coin's quoter
 * (sig_quoter_set_target for resting quotes, sig_quoter_send_ioc for taking), so the
 * working-order limit and duplicate-intent protection hold for every strategy.
 *
 * signald, not the strategy, handles stale data (cancel all quotes, stop calling on_book until
 * fresh) and the trading state from riskd (HALTED: nothing is called but on_position).
 * Callbacks run on signald's single thread; they must not block or allocate.
 */
#ifndef HAT_SIGNALD_STRATEGY_H
#define HAT_SIGNALD_STRATEGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/msg_types.h"
#include "signald/market.h"
#include "signald/quote.h"

struct sig_coin {
	char coin[HAT_COIN_LEN];
	uint32_t asset;
	int sz_decimals;
	struct sig_market market;
	struct sig_quoter quoter;
	double position;          /* coin units, signed, from riskd's POSITION messages */
	double entry_px;
	uint8_t trading_state;    /* enum hat_trading_state from riskd; 0 until known */
	bool position_known;      /* a POSITION for this coin arrived since start */
	bool quoting_stopped;     /* stale data: quotes cancelled, waiting for fresh data */
	const struct sig_strategy_ops *ops;
	void *state;              /* ops->state_size bytes, owned by signald */
};

struct sig_strategy_ops {
	const char *name;
	size_t state_size;
	/* Reads params (NULL = defaults) into st. Returns 0, or HAT_E_CONFIG with err naming the
	 * key ("mm.gamma: must be > 0"). */
	int (*init)(void *st, struct sig_coin *c, const cJSON *params, char *err, size_t errlen);
	void (*on_book)(void *st, struct sig_coin *c, uint64_t now_ns);
	void (*on_trade)(void *st, struct sig_coin *c, const struct hat_msg_trade *t, uint64_t now_ns);
	void (*on_position)(void *st, struct sig_coin *c, uint64_t now_ns);
	void (*on_timer)(void *st, struct sig_coin *c, uint64_t now_ns);
	/* Called at shutdown (save learned state). May be NULL. */
	void (*deinit)(void *st, struct sig_coin *c);
};

extern const struct sig_strategy_ops sig_strat_mm;
extern const struct sig_strategy_ops sig_strat_taker;

/* The strategy called name, or NULL. */
const struct sig_strategy_ops *sig_strategy_find(const char *name);

/* Shared helpers for strategies. */

/* Rounds px to a valid price for c passively (bids down, asks up) and sz down to the lot,
 * bumping sz up to the exchange's minimum order value at that price. Returns false if no valid
 * order results (price or size zero). */
bool sig_make_quote(const struct sig_coin *c, enum hat_side side, double px, double sz,
		    struct sig_quote *out);

/* Reads an optional number params.key into *out with bounds; writes an error naming
 * prefix.key. Returns 0 or HAT_E_CONFIG. */
int sig_param_num(const cJSON *params, const char *prefix, const char *key, double min,
		  double max, double *out, char *err, size_t errlen);

/* Fails with HAT_E_CONFIG naming prefix.key for the first key of params that is not in
 * allowed (NULL-terminated). params may be NULL. */
int sig_param_check_keys(const cJSON *params, const char *prefix, const char *const allowed[],
			 char *err, size_t errlen);

#endif
