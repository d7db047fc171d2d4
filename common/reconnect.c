/* common/reconnect.c -- I/O-free connection policy: backoff, ping, silence (see reconnect.h). */
#include "common/reconnect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int hat_reconnect_init(struct hat_reconnect *r, const struct hat_reconnect_cfg *cfg,
		       uint64_t seed, const char *who, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	if (cfg->backoff_min_ms == 0 || cfg->backoff_min_ms > cfg->backoff_max_ms) {
		snprintf(err, errlen, "%s: backoff_min_ms must be in 1..backoff_max_ms (%u..%u)", who,
			 cfg->backoff_min_ms, cfg->backoff_max_ms);
		return -EINVAL;
	}
	if (cfg->ping_idle_ms == 0 || cfg->silent_ms <= cfg->ping_idle_ms) {
		snprintf(err, errlen, "%s: silent_ms (%u) must be > ping_idle_ms (%u) > 0", who,
			 cfg->silent_ms, cfg->ping_idle_ms);
		return -EINVAL;
	}
	r->cfg = *cfg;
	r->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
	r->state = HAT_RECONNECT_IDLE;
	return 0;
}

static uint64_t rnd(struct hat_reconnect *r)
{
	uint64_t x = r->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	r->rng = x;
	return x;
}

uint64_t hat_reconnect_backoff_cap(const struct hat_reconnect_cfg *cfg, uint32_t k)
{
	uint64_t d = cfg->backoff_min_ms;
	for (uint32_t i = 0; i < k && d < cfg->backoff_max_ms; i++)
		d *= 2;
	return d < cfg->backoff_max_ms ? d : cfg->backoff_max_ms;
}

void hat_reconnect_start(struct hat_reconnect *r, uint64_t now_ms)
{
	r->state = HAT_RECONNECT_WAIT;
	r->next_connect_ms = now_ms;
}

void hat_reconnect_stop(struct hat_reconnect *r)
{
	r->state = HAT_RECONNECT_STOPPED;
}

enum hat_reconnect_action hat_reconnect_poll(struct hat_reconnect *r, uint64_t now_ms)
{
	switch (r->state) {
	case HAT_RECONNECT_WAIT:
		if (now_ms >= r->next_connect_ms)
			return HAT_RECONNECT_ACT_CONNECT;
		return HAT_RECONNECT_ACT_NONE;
	case HAT_RECONNECT_LIVE:
		if (now_ms - r->last_rx_ms >= r->cfg.silent_ms) {
			r->silent_drops++;
			/* Report once: the adapter drops the link and _closed() follows. */
			r->state = HAT_RECONNECT_CONNECTING;
			return HAT_RECONNECT_ACT_RECONNECT;
		}
		if (now_ms - r->last_rx_ms >= r->cfg.ping_idle_ms &&
		    now_ms - r->last_ping_ms >= r->cfg.ping_idle_ms) {
			r->last_ping_ms = now_ms;
			r->pings++;
			return HAT_RECONNECT_ACT_PING;
		}
		return HAT_RECONNECT_ACT_NONE;
	default:
		return HAT_RECONNECT_ACT_NONE;
	}
}

uint64_t hat_reconnect_next_ms(const struct hat_reconnect *r, uint64_t now_ms)
{
	switch (r->state) {
	case HAT_RECONNECT_WAIT:
		return r->next_connect_ms > now_ms ? r->next_connect_ms - now_ms : 0;
	case HAT_RECONNECT_LIVE: {
		uint64_t silent = r->last_rx_ms + r->cfg.silent_ms;
		uint64_t ping = r->last_rx_ms + r->cfg.ping_idle_ms;
		uint64_t ping2 = r->last_ping_ms + r->cfg.ping_idle_ms;
		if (ping2 > ping)
			ping = ping2;
		uint64_t t = ping < silent ? ping : silent;
		return t > now_ms ? t - now_ms : 0;
	}
	default:
		return UINT32_MAX;
	}
}

void hat_reconnect_connecting(struct hat_reconnect *r, uint64_t now_ms)
{
	if (r->state == HAT_RECONNECT_STOPPED)
		return;
	r->state = HAT_RECONNECT_CONNECTING;
	r->last_attempt_ms = now_ms;
	r->attempted = true;
	r->connects++;
}

void hat_reconnect_opened(struct hat_reconnect *r, uint64_t now_ms)
{
	if (r->state == HAT_RECONNECT_STOPPED)
		return;
	r->state = HAT_RECONNECT_LIVE;
	r->open_ms = now_ms;
	r->was_open = true;
	r->last_rx_ms = now_ms;
	r->last_ping_ms = now_ms;
	r->opens++;
}

void hat_reconnect_rx(struct hat_reconnect *r, uint64_t now_ms)
{
	if (r->state == HAT_RECONNECT_LIVE)
		r->last_rx_ms = now_ms;
}

void hat_reconnect_closed(struct hat_reconnect *r, uint64_t now_ms)
{
	r->closes++;
	if (r->state == HAT_RECONNECT_STOPPED)
		return;
	bool was_stable = r->was_open && now_ms - r->open_ms >= r->cfg.stable_ms;
	if (was_stable)
		r->attempt = 0;
	uint64_t cap = hat_reconnect_backoff_cap(&r->cfg, r->attempt);
	uint64_t delay = cap / 2 + rnd(r) % (cap - cap / 2 + 1); /* uniform in [cap/2, cap] */
	if (r->attempt < 64)
		r->attempt++;
	uint64_t at = now_ms + delay;
	if (r->attempted && at < r->last_attempt_ms + r->cfg.min_connect_interval_ms)
		at = r->last_attempt_ms + r->cfg.min_connect_interval_ms;
	r->last_delay_ms = at - now_ms;
	r->next_connect_ms = at;
	r->was_open = false;
	r->state = HAT_RECONNECT_WAIT;
}

const char *hat_reconnect_ping_text(void)
{
	return "{\"method\":\"ping\"}";
}

bool hat_reconnect_check(const struct hat_reconnect *r)
{
	return r->state >= HAT_RECONNECT_IDLE && r->state <= HAT_RECONNECT_STOPPED && r->rng != 0;
}
