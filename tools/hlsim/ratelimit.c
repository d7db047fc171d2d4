/* tools/hlsim/ratelimit.c -- per-IP token buckets. */
#include "tools/hlsim/ratelimit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PER_MIN 60000 /* bucket units per token: a limit L/min refills L units per ms */

void hlsim_rl_limits_default(struct hlsim_rl_limits *l)
{
	l->rest_weight_per_min = 1200;
	l->ws_conns = 10;
	l->ws_new_conns_per_min = 30;
	l->ws_subs = 1000;
	l->ws_msgs_per_min = 2000;
	l->ws_users = 10;
}

void hlsim_rl_init(struct hlsim_rl *rl, const struct hlsim_rl_limits *lim)
{
	memset(rl, 0, sizeof *rl);
	rl->lim = *lim;
}

void hlsim_rl_deinit(struct hlsim_rl *rl)
{
	free(rl->ips);
	rl->ips = NULL;
	rl->n = rl->cap = 0;
}

static void refill(int64_t *tokens, unsigned limit, uint64_t dt_ms)
{
	int64_t cap = (int64_t)limit * PER_MIN;
	if (dt_ms > PER_MIN)
		dt_ms = PER_MIN;
	*tokens += (int64_t)limit * (int64_t)dt_ms;
	if (*tokens > cap)
		*tokens = cap;
}

struct hlsim_rl_ip *hlsim_rl_lookup(struct hlsim_rl *rl, const uint8_t *addr, size_t len,
                                    uint64_t now_ms)
{
	if (len > 16)
		len = 16;
	struct hlsim_rl_ip *ip = NULL;
	for (size_t i = 0; i < rl->n; i++)
		if (rl->ips[i].addr_len == len && !memcmp(rl->ips[i].addr, addr, len)) {
			ip = &rl->ips[i];
			break;
		}
	if (!ip) {
		if (rl->n == rl->cap) {
			size_t cap = rl->cap ? rl->cap * 2 : 8;
			struct hlsim_rl_ip *p = realloc(rl->ips, cap * sizeof *p);
			if (!p)
				return NULL;
			rl->ips = p;
			rl->cap = cap;
		}
		ip = &rl->ips[rl->n++];
		memset(ip, 0, sizeof *ip);
		memcpy(ip->addr, addr, len);
		ip->addr_len = (uint8_t)len;
		ip->rest_tokens = (int64_t)rl->lim.rest_weight_per_min * PER_MIN;
		ip->ws_new_tokens = (int64_t)rl->lim.ws_new_conns_per_min * PER_MIN;
		ip->ws_msg_tokens = (int64_t)rl->lim.ws_msgs_per_min * PER_MIN;
		ip->last_ms = now_ms;
		return ip;
	}
	if (now_ms > ip->last_ms) {
		uint64_t dt = now_ms - ip->last_ms;
		refill(&ip->rest_tokens, rl->lim.rest_weight_per_min, dt);
		refill(&ip->ws_new_tokens, rl->lim.ws_new_conns_per_min, dt);
		refill(&ip->ws_msg_tokens, rl->lim.ws_msgs_per_min, dt);
		ip->last_ms = now_ms;
	}
	return ip;
}

bool hlsim_rl_rest_allow(struct hlsim_rl *rl, struct hlsim_rl_ip *ip)
{
	/* The weight of a request is known only once it is parsed, so a request is allowed while
	 * at least one unit of budget remains and its weight is charged afterwards. */
	return !rl->lim.rest_weight_per_min || ip->rest_tokens >= PER_MIN;
}

void hlsim_rl_rest_charge(struct hlsim_rl *rl, struct hlsim_rl_ip *ip, unsigned weight)
{
	if (rl->lim.rest_weight_per_min)
		ip->rest_tokens -= (int64_t)weight * PER_MIN;
}

int hlsim_rl_ws_open(struct hlsim_rl *rl, struct hlsim_rl_ip *ip, char *err, size_t errlen)
{
	if (rl->lim.ws_conns && ip->ws_conns >= rl->lim.ws_conns) {
		snprintf(err, errlen, "too many WebSocket connections from this IP (limit %u)",
			 rl->lim.ws_conns);
		return -EAGAIN;
	}
	if (rl->lim.ws_new_conns_per_min && ip->ws_new_tokens < PER_MIN) {
		snprintf(err, errlen, "too many new WebSocket connections per minute (limit %u)",
			 rl->lim.ws_new_conns_per_min);
		return -EAGAIN;
	}
	if (rl->lim.ws_new_conns_per_min)
		ip->ws_new_tokens -= PER_MIN;
	ip->ws_conns++;
	return 0;
}

void hlsim_rl_ws_close(struct hlsim_rl_ip *ip, unsigned subs_held)
{
	if (ip->ws_conns)
		ip->ws_conns--;
	ip->ws_subs = ip->ws_subs > subs_held ? ip->ws_subs - subs_held : 0;
}

int hlsim_rl_ws_msg(struct hlsim_rl *rl, struct hlsim_rl_ip *ip)
{
	if (!rl->lim.ws_msgs_per_min)
		return 0;
	if (ip->ws_msg_tokens < PER_MIN)
		return -EAGAIN;
	ip->ws_msg_tokens -= PER_MIN;
	return 0;
}

int hlsim_rl_ws_sub(struct hlsim_rl *rl, struct hlsim_rl_ip *ip)
{
	if (rl->lim.ws_subs && ip->ws_subs >= rl->lim.ws_subs)
		return -EAGAIN;
	ip->ws_subs++;
	return 0;
}

void hlsim_rl_ws_unsub(struct hlsim_rl_ip *ip)
{
	if (ip->ws_subs)
		ip->ws_subs--;
}
