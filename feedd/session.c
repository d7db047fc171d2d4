/* feedd/session.c -- I/O-free feed session: subscriptions, ping, silence, backoff. */
#include "feedd/session.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int feed_session_init(struct feed_session *s, const struct feed_session_cfg *cfg,
		      const char *const *coins, uint32_t n, uint64_t seed, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	if (n == 0 || n > FEED_MAX_COINS) {
		snprintf(err, errlen, "feedd: need 1..%d coins (got %u)", FEED_MAX_COINS, n);
		return -EINVAL;
	}
	if (cfg->backoff_min_ms == 0 || cfg->backoff_min_ms > cfg->backoff_max_ms) {
		snprintf(err, errlen, "feedd: backoff_min_ms must be in 1..backoff_max_ms (%u..%u)",
			 cfg->backoff_min_ms, cfg->backoff_max_ms);
		return -EINVAL;
	}
	if (cfg->ping_idle_ms == 0 || cfg->silent_ms <= cfg->ping_idle_ms) {
		snprintf(err, errlen, "feedd: silent_ms (%u) must be > ping_idle_ms (%u) > 0",
			 cfg->silent_ms, cfg->ping_idle_ms);
		return -EINVAL;
	}
	if (cfg->n_sig_figs != 0 && (cfg->n_sig_figs < 2 || cfg->n_sig_figs > 5)) {
		snprintf(err, errlen, "feedd: n_sig_figs must be 0 (full precision) or 2..5 (got %u)",
			 cfg->n_sig_figs);
		return -EINVAL;
	}
	if (cfg->mantissa != 0 &&
	    (cfg->n_sig_figs != 5 || (cfg->mantissa != 1 && cfg->mantissa != 2 && cfg->mantissa != 5))) {
		snprintf(err, errlen, "feedd: mantissa must be 1, 2 or 5 and needs n_sig_figs 5 (got %u with %u)",
			 cfg->mantissa, cfg->n_sig_figs);
		return -EINVAL;
	}
	if (!cfg->sub_l2book && !cfg->sub_trades && !cfg->sub_bbo) {
		snprintf(err, errlen, "feedd: nothing to subscribe (l2Book, trades and bbo all off)");
		return -EINVAL;
	}
	for (uint32_t i = 0; i < n; i++) {
		size_t l = coins[i] ? strlen(coins[i]) : 0;
		if (l == 0 || l >= HAT_COIN_LEN || strpbrk(coins[i], "\"\\")) {
			snprintf(err, errlen, "feedd: coin %u \"%s\" must be 1..%d bytes without quotes", i,
				 coins[i] ? coins[i] : "", HAT_COIN_LEN - 1);
			return -EINVAL;
		}
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(coins[j], coins[i]) == 0) {
				snprintf(err, errlen, "feedd: coin \"%s\" listed twice", coins[i]);
				return -EINVAL;
			}
		memcpy(s->coins[i].coin, coins[i], l);
	}
	s->n_coins = n;
	s->cfg = *cfg;
	s->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
	s->state = FEED_SS_IDLE;
	return 0;
}

static uint64_t rnd(struct feed_session *s)
{
	uint64_t x = s->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->rng = x;
	return x;
}

uint64_t feed_session_backoff_cap(const struct feed_session_cfg *cfg, uint32_t k)
{
	uint64_t d = cfg->backoff_min_ms;
	for (uint32_t i = 0; i < k && d < cfg->backoff_max_ms; i++)
		d *= 2;
	return d < cfg->backoff_max_ms ? d : cfg->backoff_max_ms;
}

static void all_stale(struct feed_session *s)
{
	for (uint32_t i = 0; i < s->n_coins; i++)
		s->coins[i].fresh = false;
}

void feed_session_start(struct feed_session *s, uint64_t now_ms)
{
	s->state = FEED_SS_WAIT;
	s->next_connect_ms = now_ms;
	all_stale(s);
}

void feed_session_stop(struct feed_session *s)
{
	s->state = FEED_SS_STOPPED;
	all_stale(s);
}

enum feed_action feed_session_poll(struct feed_session *s, uint64_t now_ms)
{
	switch (s->state) {
	case FEED_SS_WAIT:
		if (now_ms >= s->next_connect_ms)
			return FEED_ACT_CONNECT;
		return FEED_ACT_NONE;
	case FEED_SS_LIVE:
		if (now_ms - s->last_rx_ms >= s->cfg.silent_ms) {
			s->silent_drops++;
			/* Report once: the adapter drops the link and feed_session_closed() follows. */
			s->state = FEED_SS_CONNECTING;
			all_stale(s);
			return FEED_ACT_RECONNECT;
		}
		if (now_ms - s->last_rx_ms >= s->cfg.ping_idle_ms &&
		    now_ms - s->last_ping_ms >= s->cfg.ping_idle_ms) {
			s->last_ping_ms = now_ms;
			s->pings++;
			return FEED_ACT_PING;
		}
		return FEED_ACT_NONE;
	default:
		return FEED_ACT_NONE;
	}
}

uint64_t feed_session_next_ms(const struct feed_session *s, uint64_t now_ms)
{
	switch (s->state) {
	case FEED_SS_WAIT:
		return s->next_connect_ms > now_ms ? s->next_connect_ms - now_ms : 0;
	case FEED_SS_LIVE: {
		uint64_t silent = s->last_rx_ms + s->cfg.silent_ms;
		uint64_t ping = s->last_rx_ms + s->cfg.ping_idle_ms;
		uint64_t ping2 = s->last_ping_ms + s->cfg.ping_idle_ms;
		if (ping2 > ping)
			ping = ping2;
		uint64_t t = ping < silent ? ping : silent;
		return t > now_ms ? t - now_ms : 0;
	}
	default:
		return UINT32_MAX;
	}
}

void feed_session_connecting(struct feed_session *s, uint64_t now_ms)
{
	if (s->state == FEED_SS_STOPPED)
		return;
	s->state = FEED_SS_CONNECTING;
	s->last_attempt_ms = now_ms;
	s->attempted = true;
	s->connects++;
}

void feed_session_opened(struct feed_session *s, uint64_t now_ms)
{
	if (s->state == FEED_SS_STOPPED)
		return;
	s->state = FEED_SS_LIVE;
	s->open_ms = now_ms;
	s->was_open = true;
	s->last_rx_ms = now_ms;
	s->last_ping_ms = now_ms;
	s->opens++;
	all_stale(s); /* fresh again only after this connection's snapshot */
	assert(feed_session_check(s));
}

void feed_session_rx(struct feed_session *s, uint64_t now_ms)
{
	if (s->state == FEED_SS_LIVE)
		s->last_rx_ms = now_ms;
}

void feed_session_closed(struct feed_session *s, uint64_t now_ms)
{
	s->closes++;
	all_stale(s);
	if (s->state == FEED_SS_STOPPED)
		return;
	bool was_stable = s->was_open && now_ms - s->open_ms >= s->cfg.stable_ms;
	if (was_stable)
		s->attempt = 0;
	uint64_t cap = feed_session_backoff_cap(&s->cfg, s->attempt);
	uint64_t delay = cap / 2 + rnd(s) % (cap - cap / 2 + 1); /* uniform in [cap/2, cap] */
	if (s->attempt < 64)
		s->attempt++;
	uint64_t at = now_ms + delay;
	if (s->attempted && at < s->last_attempt_ms + s->cfg.min_connect_interval_ms)
		at = s->last_attempt_ms + s->cfg.min_connect_interval_ms;
	s->last_delay_ms = at - now_ms;
	s->next_connect_ms = at;
	s->was_open = false;
	s->state = FEED_SS_WAIT;
	assert(feed_session_check(s));
}

bool feed_session_snapshot(struct feed_session *s, uint32_t i, int kind, uint64_t now_ms)
{
	if (s->state != FEED_SS_LIVE || i >= s->n_coins)
		return false;
	if (kind == 2 && s->cfg.sub_l2book)
		return false; /* with l2Book on, only the book snapshot counts */
	if (s->coins[i].fresh)
		return false;
	s->coins[i].fresh = true;
	s->coins[i].fresh_ms = now_ms;
	return true;
}

int feed_session_coin_index(const struct feed_session *s, const char *coin, size_t n)
{
	for (uint32_t i = 0; i < s->n_coins; i++)
		if (strlen(s->coins[i].coin) == n && memcmp(s->coins[i].coin, coin, n) == 0)
			return (int)i;
	return -ENOENT;
}

static uint32_t per_coin(const struct feed_session *s)
{
	return (uint32_t)s->cfg.sub_l2book + (uint32_t)s->cfg.sub_trades + (uint32_t)s->cfg.sub_bbo;
}

uint32_t feed_session_sub_count(const struct feed_session *s)
{
	return s->n_coins * per_coin(s);
}

int feed_session_sub_text(const struct feed_session *s, uint32_t k, char *buf, size_t len)
{
	uint32_t pc = per_coin(s);
	if (k >= s->n_coins * pc)
		return -EINVAL;
	const char *coin = s->coins[k / pc].coin;
	const char *types[3];
	uint32_t nt = 0;
	if (s->cfg.sub_l2book)
		types[nt++] = "l2Book";
	if (s->cfg.sub_trades)
		types[nt++] = "trades";
	if (s->cfg.sub_bbo)
		types[nt++] = "bbo";
	const char *type = types[k % pc];
	char extra[48] = "";
	if (type[0] == 'l' && s->cfg.n_sig_figs) {
		if (s->cfg.mantissa)
			snprintf(extra, sizeof extra, ",\"nSigFigs\":%u,\"mantissa\":%u", s->cfg.n_sig_figs,
				 s->cfg.mantissa);
		else
			snprintf(extra, sizeof extra, ",\"nSigFigs\":%u", s->cfg.n_sig_figs);
	}
	int n = snprintf(buf, len, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"%s\",\"coin\":\"%s\"%s}}",
			 type, coin, extra);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return n;
}

const char *feed_session_ping_text(void)
{
	return "{\"method\":\"ping\"}";
}

bool feed_session_check(const struct feed_session *s)
{
	if (s->state < FEED_SS_IDLE || s->state > FEED_SS_STOPPED || s->n_coins > FEED_MAX_COINS ||
	    s->rng == 0)
		return false;
	if (s->state != FEED_SS_LIVE)
		for (uint32_t i = 0; i < s->n_coins; i++)
			if (s->coins[i].fresh)
				return false;
	return true;
}
