/* superd/policy.c -- restart backoff and intensity limit. */
#include "superd/policy.h"

#include <string.h>

void sup_policy_init(struct sup_policy *pol, const struct sup_policy_params *p)
{
	memset(pol, 0, sizeof *pol);
	pol->p = *p;
	if (pol->p.max_restarts >= SUP_POLICY_HISTORY)
		pol->p.max_restarts = SUP_POLICY_HISTORY - 1;
	pol->next_delay_ns = p->backoff_min_ns;
}

void sup_policy_started(struct sup_policy *pol, uint64_t now_ns)
{
	pol->started_ns = now_ns;
}

uint32_t sup_policy_recent(const struct sup_policy *pol, uint64_t now_ns)
{
	uint32_t n = 0, have = pol->n_fail < SUP_POLICY_HISTORY ? pol->n_fail : SUP_POLICY_HISTORY;
	for (uint32_t i = 0; i < have; i++) {
		uint64_t t = pol->fail_ns[(pol->n_fail - 1 - i) % SUP_POLICY_HISTORY];
		if (now_ns - t > pol->p.window_ns)
			break;
		n++;
	}
	return n;
}

enum sup_decision sup_policy_failed(struct sup_policy *pol, uint64_t now_ns, uint64_t *delay_ns)
{
	/* A life that lasted past the stable period earns a fresh backoff. */
	if (pol->started_ns && now_ns - pol->started_ns >= pol->p.stable_ns)
		pol->next_delay_ns = pol->p.backoff_min_ns;
	pol->started_ns = 0;
	pol->fail_ns[pol->n_fail % SUP_POLICY_HISTORY] = now_ns;
	pol->n_fail++;
	if (pol->escalated || sup_policy_recent(pol, now_ns) > pol->p.max_restarts) {
		pol->escalated = true;
		return SUP_ESCALATE;
	}
	*delay_ns = pol->next_delay_ns;
	pol->next_delay_ns *= 2;
	if (pol->next_delay_ns > pol->p.backoff_max_ns)
		pol->next_delay_ns = pol->p.backoff_max_ns;
	return SUP_RESTART;
}

void sup_policy_reset(struct sup_policy *pol)
{
	uint64_t started = pol->started_ns;
	struct sup_policy_params p = pol->p;
	sup_policy_init(pol, &p);
	pol->started_ns = started;
}
