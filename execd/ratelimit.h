/* execd/ratelimit.h -- the exchange's request budgets as execd sees them.
 *
 * I/O-free core (STYLE rule 12). Two budgets (hyperliquid-protocol.md section 8):
 *  - per IP: REST weight per minute (default 1200); /exchange weighs 1 + floor(n / 40) for a
 *    batch of n, /info 2 or 20. Kept as a token bucket refilled continuously.
 *  - per address: actions used vs cap, as last reported by /info userRateLimit, plus what we
 *    spent since (a batch of n counts n).
 * On the exchange's rate-limit answer (HTTP 429 or a "rate limit"/"Too many" error) it backs
 * off exponentially (backoff_min_ms doubling up to backoff_max_ms); the next accepted request
 * resets it. While backing off or out of budget new orders are refused (the caller rejects
 * them to riskd with EXCH_RATE_LIMIT); cancels are always allowed (the exchange gives cancels
 * a higher cap, and reducing exposure must never wait on a budget).
 * Time: monotonic ms, passed in. One per execd.
 */
#ifndef HAT_EXECD_RATELIMIT_H
#define HAT_EXECD_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct exec_ratelimit_cfg {
	uint32_t ip_weight_per_min;  /* 0 = not tracked */
	uint32_t backoff_min_ms;     /* first backoff after a rate-limit answer */
	uint32_t backoff_max_ms;
};

struct exec_ratelimit {
	struct exec_ratelimit_cfg cfg;
	double tokens;               /* IP weight available */
	uint64_t last_ms;            /* last refill */
	uint64_t backoff_until_ms;   /* 0 = not backing off */
	uint32_t backoff_ms;         /* current backoff step, 0 = none */
	uint64_t addr_used, addr_cap;/* per-address, from userRateLimit (+ our spend); cap 0 = unknown */
	uint64_t weight_spent, limited, refused; /* counters */
};

/* Returns 0 or -EINVAL (err names the setting). */
int exec_ratelimit_init(struct exec_ratelimit *r, const struct exec_ratelimit_cfg *cfg,
			uint64_t now_ms, char *err, size_t errlen);

/* Weight of an /exchange request carrying n orders/cancels: 1 + n / 40. */
uint32_t exec_ratelimit_exchange_weight(uint32_t n);
/* Weight of an /info request of type (2 for the light ones, 20 otherwise). */
uint32_t exec_ratelimit_info_weight(const char *type);

/* May a request of weight carrying n_addr address actions go now? cancel: it only cancels.
 * Returns true, or false (counted in refused) while backing off or out of budget. */
bool exec_ratelimit_allow(struct exec_ratelimit *r, uint64_t now_ms, uint32_t weight,
			  uint32_t n_addr, bool cancel);
/* It went out: spend its weight and address actions. */
void exec_ratelimit_spend(struct exec_ratelimit *r, uint64_t now_ms, uint32_t weight,
			  uint32_t n_addr);
/* The exchange said "rate limited": back off. */
void exec_ratelimit_hit(struct exec_ratelimit *r, uint64_t now_ms);
/* A request was accepted (not rate limited): the backoff starts over. */
void exec_ratelimit_ok(struct exec_ratelimit *r);
/* From /info userRateLimit. */
void exec_ratelimit_set_user(struct exec_ratelimit *r, uint64_t used, uint64_t cap);
/* True while backing off. */
bool exec_ratelimit_backing_off(const struct exec_ratelimit *r, uint64_t now_ms);

#endif
