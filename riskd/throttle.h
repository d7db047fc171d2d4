/* riskd/throttle.h -- token bucket for riskd's order and cancel rate limits.
 *
 * A bucket holds at most `burst` tokens and gains `rate_per_s` tokens per second of time
 * passed in by the caller (now_ns, any monotonic clock; never read here). One approved order
 * (or cancel) takes one token. Tokens are kept in exact integer units of 1e-9 token, so a
 * bucket's refill is exact: over any window of length W seconds no more than
 * burst + rate_per_s * W tokens can be taken. Time going backwards refills nothing.
 * Pure, no I/O, no allocation; one bucket belongs to one thread.
 */
#ifndef HAT_RISKD_THROTTLE_H
#define HAT_RISKD_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#define RISK_THROTTLE_MAX_RATE 1000000u  /* tokens per second */
#define RISK_THROTTLE_MAX_BURST 1000000u /* tokens */

struct risk_throttle {
	uint64_t rate_per_s;  /* tokens per second == nano-tokens per ns */
	int64_t cap_nt;       /* burst in nano-tokens (1e-9 token) */
	int64_t level_nt;     /* current level in nano-tokens, 0..cap_nt */
	uint64_t last_ns;     /* time of the last refill */
	uint64_t taken;       /* tokens taken since init */
	uint64_t refused;     /* times risk_throttle_take() found the bucket empty */
};

/* Sets up a full bucket. rate_per_s in 1..RISK_THROTTLE_MAX_RATE, burst in
 * 1..RISK_THROTTLE_MAX_BURST. Returns 0 or -EINVAL (t untouched). */
int risk_throttle_init(struct risk_throttle *t, uint32_t rate_per_s, uint32_t burst,
                       uint64_t now_ns);

/* Refills for the time passed since the last call. Returns true if at least one token is
 * available now; takes nothing. */
bool risk_throttle_ready(struct risk_throttle *t, uint64_t now_ns);

/* Refills, then takes one token. Returns 0, or -EAGAIN if the bucket is empty (then counts
 * a refusal and takes nothing). */
int risk_throttle_take(struct risk_throttle *t, uint64_t now_ns);

/* Whole tokens available at now_ns (refills first). */
uint32_t risk_throttle_tokens(struct risk_throttle *t, uint64_t now_ns);

#endif
