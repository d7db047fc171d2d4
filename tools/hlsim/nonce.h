/* tools/hlsim/nonce.h -- the exchange's per-signer nonce rule (protocol doc section 7).
 *
 * A signer keeps the 100 highest nonces it used. A new nonce is accepted only if it is
 * greater than the smallest kept one (when 100 are kept), was never used, and lies within
 * (now - 2 days, now + 1 day). Plain data, I/O-free.
 */
#ifndef HAT_TOOLS_HLSIM_NONCE_H
#define HAT_TOOLS_HLSIM_NONCE_H

#include <stddef.h>
#include <stdint.h>

#define HLSIM_NONCE_KEEP 100
#define HLSIM_NONCE_PAST_MS (2ULL * 86400000ULL)
#define HLSIM_NONCE_FUTURE_MS (1ULL * 86400000ULL)

struct hlsim_nonces {
	uint64_t v[HLSIM_NONCE_KEEP]; /* ascending */
	uint32_t n;
};

enum hlsim_nonce_verdict {
	HLSIM_NONCE_OK = 0,
	HLSIM_NONCE_DUPLICATE,
	HLSIM_NONCE_TOO_LOW,
	HLSIM_NONCE_OUT_OF_RANGE,
};

/* Checks nonce against s at now_ms without recording it. */
enum hlsim_nonce_verdict hlsim_nonce_check(const struct hlsim_nonces *s, uint64_t nonce,
					   uint64_t now_ms);
/* Records an accepted nonce (dropping the smallest when 100 are kept). */
void hlsim_nonce_use(struct hlsim_nonces *s, uint64_t nonce);
/* Writes the exchange-style error text for a verdict (the one table of these texts; the
 * exact wording of the real exchange is unconfirmed). */
void hlsim_nonce_error(enum hlsim_nonce_verdict v, uint64_t nonce, char *out, size_t len);

#endif
