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
	int e = hat_reconnect_init(&s->rc, &cfg->rc, seed, "feedd", err, errlen);
	if (e)
		return e;
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
	return 0;
}

uint64_t feed_session_backoff_cap(const struct feed_session_cfg *cfg, uint32_t k)
{
	return hat_reconnect_backoff_cap(&cfg->rc, k);
}

static void all_stale(struct feed_session *s)
{
	for (uint32_t i = 0; i < s->n_coins; i++)
		s->coins[i].fresh = false;
}

void feed_session_start(struct feed_session *s, uint64_t now_ms)
{
	hat_reconnect_start(&s->rc, now_ms);
	all_stale(s);
}

void feed_session_stop(struct feed_session *s)
{
	hat_reconnect_stop(&s->rc);
	all_stale(s);
}

enum feed_action feed_session_poll(struct feed_session *s, uint64_t now_ms)
{
	enum hat_reconnect_action a = hat_reconnect_poll(&s->rc, now_ms);
	if (a == HAT_RECONNECT_ACT_RECONNECT)
		all_stale(s);
	return (enum feed_action)a;
}

uint64_t feed_session_next_ms(const struct feed_session *s, uint64_t now_ms)
{
	return hat_reconnect_next_ms(&s->rc, now_ms);
}

void feed_session_connecting(struct feed_session *s, uint64_t now_ms)
{
	hat_reconnect_connecting(&s->rc, now_ms);
}

void feed_session_opened(struct feed_session *s, uint64_t now_ms)
{
	hat_reconnect_opened(&s->rc, now_ms);
	all_stale(s); /* fresh again only after this connection's snapshot */
	assert(feed_session_check(s));
}

void feed_session_rx(struct feed_session *s, uint64_t now_ms)
{
	hat_reconnect_rx(&s->rc, now_ms);
}

void feed_session_closed(struct feed_session *s, uint64_t now_ms)
{
	hat_reconnect_closed(&s->rc, now_ms);
	all_stale(s);
	assert(feed_session_check(s));
}

bool feed_session_snapshot(struct feed_session *s, uint32_t i, int kind, uint64_t now_ms)
{
	if (s->rc.state != FEED_SS_LIVE || i >= s->n_coins)
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
	return hat_reconnect_ping_text();
}

bool feed_session_check(const struct feed_session *s)
{
	if (!hat_reconnect_check(&s->rc) || s->n_coins > FEED_MAX_COINS)
		return false;
	if (s->rc.state != FEED_SS_LIVE)
		for (uint32_t i = 0; i < s->n_coins; i++)
			if (s->coins[i].fresh)
				return false;
	return true;
}
