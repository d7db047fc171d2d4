/* execd/ratelimit.c -- request budgets and backoff (see ratelimit.h). */
#include "execd/ratelimit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int exec_ratelimit_init(struct exec_ratelimit *r, const struct exec_ratelimit_cfg *cfg,
			uint64_t now_ms, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	if (cfg->backoff_min_ms == 0 || cfg->backoff_min_ms > cfg->backoff_max_ms) {
		snprintf(err, errlen, "execd.rate_backoff_min_ms: must be 1..rate_backoff_max_ms "
		         "(got %u, max %u)", cfg->backoff_min_ms, cfg->backoff_max_ms);
		return -EINVAL;
	}
	r->cfg = *cfg;
	r->tokens = cfg->ip_weight_per_min;
	r->last_ms = now_ms;
	return 0;
}

uint32_t exec_ratelimit_exchange_weight(uint32_t n)
{
	return 1 + n / 40;
}

uint32_t exec_ratelimit_info_weight(const char *type)
{
	static const char *const light[] = { "l2Book", "allMids", "clearinghouseState",
		"orderStatus", "spotClearinghouseState", "exchangeStatus" };
	for (size_t i = 0; i < sizeof light / sizeof light[0]; i++)
		if (strcmp(type, light[i]) == 0)
			return 2;
	return strcmp(type, "userRole") == 0 ? 60 : 20;
}

static void refill(struct exec_ratelimit *r, uint64_t now_ms)
{
	if (r->cfg.ip_weight_per_min == 0 || now_ms <= r->last_ms)
		return;
	r->tokens += (double)(now_ms - r->last_ms) * r->cfg.ip_weight_per_min / 60000.0;
	if (r->tokens > r->cfg.ip_weight_per_min)
		r->tokens = r->cfg.ip_weight_per_min;
	r->last_ms = now_ms;
}

bool exec_ratelimit_backing_off(const struct exec_ratelimit *r, uint64_t now_ms)
{
	return r->backoff_until_ms != 0 && now_ms < r->backoff_until_ms;
}

bool exec_ratelimit_allow(struct exec_ratelimit *r, uint64_t now_ms, uint32_t weight,
			  uint32_t n_addr, bool cancel)
{
	if (cancel)
		return true;
	refill(r, now_ms);
	bool ok = !exec_ratelimit_backing_off(r, now_ms);
	if (ok && r->cfg.ip_weight_per_min != 0 && r->tokens < weight)
		ok = false;
	if (ok && r->addr_cap != 0 && r->addr_used + n_addr > r->addr_cap)
		ok = false;
	if (!ok)
		r->refused++;
	return ok;
}

void exec_ratelimit_spend(struct exec_ratelimit *r, uint64_t now_ms, uint32_t weight,
			  uint32_t n_addr)
{
	refill(r, now_ms);
	if (r->cfg.ip_weight_per_min != 0)
		r->tokens -= weight;
	r->weight_spent += weight;
	r->addr_used += n_addr;
}

void exec_ratelimit_hit(struct exec_ratelimit *r, uint64_t now_ms)
{
	r->limited++;
	if (r->backoff_ms == 0)
		r->backoff_ms = r->cfg.backoff_min_ms;
	else if (r->backoff_ms < r->cfg.backoff_max_ms / 2)
		r->backoff_ms *= 2;
	else
		r->backoff_ms = r->cfg.backoff_max_ms;
	r->backoff_until_ms = now_ms + r->backoff_ms;
}

void exec_ratelimit_ok(struct exec_ratelimit *r)
{
	r->backoff_ms = 0;
	r->backoff_until_ms = 0;
}

void exec_ratelimit_set_user(struct exec_ratelimit *r, uint64_t used, uint64_t cap)
{
	r->addr_used = used;
	r->addr_cap = cap;
}
