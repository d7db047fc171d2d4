/* riskd/throttle.c -- exact integer token bucket (see throttle.h). */
#include "riskd/throttle.h"

#include <errno.h>

#define NT_PER_TOKEN 1000000000LL

int risk_throttle_init(struct risk_throttle *t, uint32_t rate_per_s, uint32_t burst,
                       uint64_t now_ns)
{
	if (rate_per_s == 0 || rate_per_s > RISK_THROTTLE_MAX_RATE || burst == 0 ||
	    burst > RISK_THROTTLE_MAX_BURST)
		return -EINVAL;
	t->rate_per_s = rate_per_s;
	t->cap_nt = (int64_t)burst * NT_PER_TOKEN;
	t->level_nt = t->cap_nt;
	t->last_ns = now_ns;
	t->taken = 0;
	t->refused = 0;
	return 0;
}

static void refill(struct risk_throttle *t, uint64_t now_ns)
{
	if (now_ns <= t->last_ns)
		return; /* time went backwards or stood still: nothing to add */
	uint64_t dt = now_ns - t->last_ns;
	int64_t room = t->cap_nt - t->level_nt;
	/* rate_per_s tokens/s is exactly rate_per_s nano-tokens per ns. Compare before
	 * multiplying so a long pause cannot overflow. */
	if (dt >= (uint64_t)room / t->rate_per_s + 1)
		t->level_nt = t->cap_nt;
	else
		t->level_nt += (int64_t)(dt * t->rate_per_s);
	if (t->level_nt > t->cap_nt)
		t->level_nt = t->cap_nt;
	t->last_ns = now_ns;
}

bool risk_throttle_ready(struct risk_throttle *t, uint64_t now_ns)
{
	refill(t, now_ns);
	return t->level_nt >= NT_PER_TOKEN;
}

int risk_throttle_take(struct risk_throttle *t, uint64_t now_ns)
{
	refill(t, now_ns);
	if (t->level_nt < NT_PER_TOKEN) {
		t->refused++;
		return -EAGAIN;
	}
	t->level_nt -= NT_PER_TOKEN;
	t->taken++;
	return 0;
}

uint32_t risk_throttle_tokens(struct risk_throttle *t, uint64_t now_ns)
{
	refill(t, now_ns);
	return (uint32_t)(t->level_nt / NT_PER_TOKEN);
}
