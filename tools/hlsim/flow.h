/* tools/hlsim/flow.h -- hlsim's seeded background market: a random-walk fair price per coin
 * with calm/volatile regimes, a liquidity provider quoting several levels around it, and noise
 * takers sending IOC orders. The agents are ordinary accounts (flagged is_flow: no signatures,
 * no margin checks, no request budget) and trade through the same matching path as users, so
 * books, trades, candles and pushes look alive. Deterministic: the same seed and the same
 * sequence of tick times give the same orders and trades. I/O-free.
 */
#ifndef HAT_TOOLS_HLSIM_FLOW_H
#define HAT_TOOLS_HLSIM_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/hlsim/config.h"

struct hlsim_engine;

struct hlsim_flow {
	uint64_t s[4];                        /* xoshiro256** state */
	double fair[HLSIM_MAX_COINS];         /* fair price (USD) */
	bool hot[HLSIM_MAX_COINS];            /* volatile regime */
	uint64_t last_ms;                     /* time of the last step */
	uint32_t lp_acct, taker_acct;         /* account indices of the agents */
};

/* Seeds the RNG (splitmix64 of seed) and sets fair prices to the configured start prices. */
void hlsim_flow_init(struct hlsim_flow *f, const struct hlsim_config *c, uint64_t seed,
		     uint64_t now_ms);
/* The next raw 64-bit random value. */
uint64_t hlsim_flow_rand(struct hlsim_flow *f);
/* Runs the steps due at now_ms (at most 50 per call; older missed steps are skipped). */
void hlsim_flow_tick(struct hlsim_engine *e, uint64_t now_ms);
/* Agent addresses (fixed, recognizable): 0x00000000000000000000000000000000000f10a1 (LP) and
 * ...0f10a2 (taker). */
void hlsim_flow_address(int which, uint8_t out[20]);

#endif
