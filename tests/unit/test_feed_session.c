/* tests/unit/test_feed_session.c -- the I/O-free feed session: backoff and jitter bounds, reset
 * after a stable period, reconnect-storm floor, ping schedule, silence, staleness, subs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "feedd/session.h"

static const char *const COINS[] = { "BTC", "ETH", "@107" };

static struct feed_session_cfg cfg_default(void)
{
	struct feed_session_cfg c = {
		.rc = { .ping_idle_ms = 20000, .silent_ms = 50000, .backoff_min_ms = 500,
		        .backoff_max_ms = 30000, .stable_ms = 60000, .min_connect_interval_ms = 2000 },
		.n_sig_figs = 5, .mantissa = 2, .sub_l2book = true, .sub_trades = true, .sub_bbo = true,
	};
	return c;
}

static void init(struct feed_session *s, struct feed_session_cfg c, uint64_t seed)
{
	char err[256] = "";
	assert_int_equal(feed_session_init(s, &c, COINS, 3, seed, err, sizeof err), 0);
}

static void test_session_rejects_bad_config(void **state)
{
	(void)state;
	struct feed_session s;
	char err[256];
	struct feed_session_cfg c = cfg_default();
	c.rc.backoff_min_ms = 0;
	assert_int_equal(feed_session_init(&s, &c, COINS, 3, 1, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "backoff_min_ms"));
	c = cfg_default();
	c.rc.silent_ms = c.rc.ping_idle_ms;
	assert_int_equal(feed_session_init(&s, &c, COINS, 3, 1, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "silent_ms"));
	c = cfg_default();
	c.n_sig_figs = 6;
	assert_int_equal(feed_session_init(&s, &c, COINS, 3, 1, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "n_sig_figs"));
	c = cfg_default();
	c.n_sig_figs = 4;
	assert_int_equal(feed_session_init(&s, &c, COINS, 3, 1, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "mantissa"));
	c = cfg_default();
	c.sub_bbo = c.sub_l2book = c.sub_trades = false;
	assert_int_equal(feed_session_init(&s, &c, COINS, 3, 1, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "nothing to subscribe"));
	c = cfg_default();
	const char *dup[] = { "BTC", "BTC" };
	assert_int_equal(feed_session_init(&s, &c, dup, 2, 1, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "\"BTC\" listed twice"));
	const char *quote[] = { "B\"TC" };
	assert_int_equal(feed_session_init(&s, &c, quote, 1, 1, err, sizeof err), -EINVAL);
	assert_int_equal(feed_session_init(&s, &c, COINS, 0, 1, err, sizeof err), -EINVAL);
}

static void test_session_subscription_list(void **state)
{
	(void)state;
	struct feed_session s;
	init(&s, cfg_default(), 1);
	assert_int_equal(feed_session_sub_count(&s), 9);
	char buf[256];
	const char *want[9] = {
		"{\"method\":\"subscribe\",\"subscription\":{\"type\":\"l2Book\",\"coin\":\"BTC\",\"nSigFigs\":5,\"mantissa\":2}}",
		"{\"method\":\"subscribe\",\"subscription\":{\"type\":\"trades\",\"coin\":\"BTC\"}}",
		"{\"method\":\"subscribe\",\"subscription\":{\"type\":\"bbo\",\"coin\":\"BTC\"}}",
		"{\"method\":\"subscribe\",\"subscription\":{\"type\":\"l2Book\",\"coin\":\"ETH\",\"nSigFigs\":5,\"mantissa\":2}}",
		"{\"method\":\"subscribe\",\"subscription\":{\"type\":\"trades\",\"coin\":\"ETH\"}}",
		"{\"method\":\"subscribe\",\"subscription\":{\"type\":\"bbo\",\"coin\":\"ETH\"}}",
		"{\"method\":\"subscribe\",\"subscription\":{\"type\":\"l2Book\",\"coin\":\"@107\",\"nSigFigs\":5,\"mantissa\":2}}",
		"{\"method\":\"subscribe\",\"subscription\":{\"type\":\"trades\",\"coin\":\"@107\"}}",
		"{\"method\":\"subscribe\",\"subscription\":{\"type\":\"bbo\",\"coin\":\"@107\"}}",
	};
	for (uint32_t k = 0; k < 9; k++) {
		assert_int_equal(feed_session_sub_text(&s, k, buf, sizeof buf), (int)strlen(want[k]));
		assert_string_equal(buf, want[k]);
	}
	assert_int_equal(feed_session_sub_text(&s, 9, buf, sizeof buf), -EINVAL);
	assert_int_equal(feed_session_sub_text(&s, 0, buf, 20), -ENOSPC);
	assert_string_equal(buf, "");
	/* Full precision and trades only. */
	struct feed_session_cfg c = cfg_default();
	c.n_sig_figs = 0;
	c.mantissa = 0;
	c.sub_bbo = false;
	init(&s, c, 1);
	assert_int_equal(feed_session_sub_count(&s), 6);
	feed_session_sub_text(&s, 2, buf, sizeof buf);
	assert_string_equal(buf, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"l2Book\",\"coin\":\"ETH\"}}");
	assert_string_equal(feed_session_ping_text(), "{\"method\":\"ping\"}");
	assert_int_equal(feed_session_coin_index(&s, "@107", 4), 2);
	assert_int_equal(feed_session_coin_index(&s, "BT", 2), -ENOENT);
}

static void test_session_backoff_bounds_and_growth(void **state)
{
	(void)state;
	struct feed_session_cfg c = cfg_default();
	c.rc.min_connect_interval_ms = 0;
	assert_int_equal(feed_session_backoff_cap(&c, 0), 500);
	assert_int_equal(feed_session_backoff_cap(&c, 1), 1000);
	assert_int_equal(feed_session_backoff_cap(&c, 5), 16000);
	assert_int_equal(feed_session_backoff_cap(&c, 6), 30000);
	assert_int_equal(feed_session_backoff_cap(&c, 1000), 30000);
	for (uint64_t seed = 1; seed < 50; seed++) {
		struct feed_session s;
		init(&s, c, seed * 7919);
		uint64_t now = 1000;
		feed_session_start(&s, now);
		uint64_t lo_seen = UINT64_MAX, hi_seen = 0;
		for (uint32_t k = 0; k < 12; k++) {
			assert_int_equal(feed_session_poll(&s, now), FEED_ACT_CONNECT);
			feed_session_connecting(&s, now);
			assert_int_equal(feed_session_poll(&s, now), FEED_ACT_NONE);
			feed_session_closed(&s, now + 3); /* refused */
			uint64_t cap = feed_session_backoff_cap(&c, k);
			uint64_t d = s.rc.next_connect_ms - (now + 3);
			assert_true(d >= cap / 2 && d <= cap);
			assert_true(d == s.rc.last_delay_ms);
			if (k == 11) {
				lo_seen = d < lo_seen ? d : lo_seen;
				hi_seen = d > hi_seen ? d : hi_seen;
			}
			/* Nothing to do before the deadline; next_ms says how long to sleep. */
			assert_int_equal(feed_session_poll(&s, s.rc.next_connect_ms - 1), FEED_ACT_NONE);
			assert_int_equal(feed_session_next_ms(&s, now + 3), d);
			now = s.rc.next_connect_ms;
			assert_true(feed_session_check(&s));
		}
		assert_true(lo_seen >= 15000 && hi_seen <= 30000);
	}
}

static void test_session_jitter_spreads(void **state)
{
	(void)state;
	/* Different seeds give different delays at the same attempt (no thundering herd). */
	struct feed_session_cfg c = cfg_default();
	c.rc.min_connect_interval_ms = 0;
	uint64_t first = 0;
	int distinct = 0;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct feed_session s;
		init(&s, c, seed);
		feed_session_start(&s, 0);
		for (int k = 0; k < 6; k++) {
			feed_session_connecting(&s, 0);
			feed_session_closed(&s, 0);
		}
		if (seed == 1)
			first = s.rc.last_delay_ms;
		else if (s.rc.last_delay_ms != first)
			distinct++;
	}
	assert_true(distinct >= 15);
}

static void test_session_backoff_resets_after_stable_period(void **state)
{
	(void)state;
	struct feed_session_cfg c = cfg_default();
	struct feed_session s;
	init(&s, c, 42);
	uint64_t now = 0;
	feed_session_start(&s, now);
	for (int k = 0; k < 8; k++) { /* grow to the cap */
		feed_session_connecting(&s, now);
		feed_session_closed(&s, now);
		now = s.rc.next_connect_ms;
	}
	assert_int_equal(s.rc.attempt, 8);
	/* Opened but closed before stable_ms: the backoff keeps growing (a storm stays slow). */
	feed_session_connecting(&s, now);
	feed_session_opened(&s, now);
	feed_session_closed(&s, now + 59999);
	assert_int_equal(s.rc.attempt, 9);
	assert_true(s.rc.last_delay_ms >= 15000);
	now = s.rc.next_connect_ms;
	/* Open for stable_ms: starts over at the first bound. */
	feed_session_connecting(&s, now);
	feed_session_opened(&s, now);
	feed_session_closed(&s, now + 60000);
	assert_int_equal(s.rc.attempt, 1);
	assert_true(s.rc.last_delay_ms >= 250 && s.rc.last_delay_ms <= 2000);
}

static void test_session_storm_respects_min_interval(void **state)
{
	(void)state;
	/* A server that accepts and closes at once, forever: over 10 simulated minutes the session
	 * makes at most one attempt per min_connect_interval and at most 30 per minute. */
	struct feed_session_cfg c = cfg_default();
	c.rc.backoff_min_ms = 1;
	c.rc.backoff_max_ms = 1; /* even a zero-ish backoff is floored by the interval */
	struct feed_session s;
	init(&s, c, 3);
	feed_session_start(&s, 0);
	uint64_t attempts = 0, last = 0;
	for (uint64_t now = 0; now < 600000; now++) {
		if (feed_session_poll(&s, now) == FEED_ACT_CONNECT) {
			if (attempts)
				assert_true(now - last >= 2000);
			last = now;
			attempts++;
			feed_session_connecting(&s, now);
			feed_session_opened(&s, now);
			feed_session_closed(&s, now);
		}
	}
	assert_true(attempts <= 301 && attempts >= 290);
}

static void test_session_ping_schedule_and_silence(void **state)
{
	(void)state;
	struct feed_session s;
	init(&s, cfg_default(), 5);
	feed_session_start(&s, 0);
	assert_int_equal(feed_session_poll(&s, 0), FEED_ACT_CONNECT);
	feed_session_connecting(&s, 0);
	feed_session_opened(&s, 100);
	/* Data keeps flowing: never a ping. */
	for (uint64_t t = 100; t < 100000; t += 1000) {
		feed_session_rx(&s, t);
		assert_int_equal(feed_session_poll(&s, t), FEED_ACT_NONE);
	}
	uint64_t last = 99100;
	assert_int_equal(feed_session_next_ms(&s, last), 20000);
	/* Idle: ping at +20 s, again at +40 s, drop at +50 s. */
	assert_int_equal(feed_session_poll(&s, last + 19999), FEED_ACT_NONE);
	assert_int_equal(feed_session_poll(&s, last + 20000), FEED_ACT_PING);
	assert_int_equal(feed_session_poll(&s, last + 20001), FEED_ACT_NONE);
	assert_int_equal(feed_session_next_ms(&s, last + 20001), 19999);
	assert_int_equal(feed_session_poll(&s, last + 40000), FEED_ACT_PING);
	assert_int_equal(feed_session_next_ms(&s, last + 40000), 10000);
	assert_int_equal(feed_session_poll(&s, last + 49999), FEED_ACT_NONE);
	assert_int_equal(feed_session_poll(&s, last + 50000), FEED_ACT_RECONNECT);
	assert_int_equal(feed_session_poll(&s, last + 50001), FEED_ACT_NONE); /* once */
	assert_int_equal(s.rc.pings, 2);
	assert_int_equal(s.rc.silent_drops, 1);
	feed_session_closed(&s, last + 50002);
	assert_int_equal(s.rc.state, FEED_SS_WAIT);
	/* A pong counts as traffic: it defers the next ping. */
	uint64_t t = s.rc.next_connect_ms;
	assert_int_equal(feed_session_poll(&s, t), FEED_ACT_CONNECT);
	feed_session_connecting(&s, t);
	feed_session_opened(&s, t);
	assert_int_equal(feed_session_poll(&s, t + 20000), FEED_ACT_PING);
	feed_session_rx(&s, t + 20010); /* pong */
	assert_int_equal(feed_session_poll(&s, t + 39999), FEED_ACT_NONE);
	assert_int_equal(feed_session_poll(&s, t + 40010), FEED_ACT_PING);
}

static void test_session_stale_until_snapshot(void **state)
{
	(void)state;
	struct feed_session s;
	init(&s, cfg_default(), 9);
	feed_session_start(&s, 0);
	for (uint32_t i = 0; i < 3; i++)
		assert_false(s.coins[i].fresh);
	assert_false(feed_session_snapshot(&s, 0, 1, 0)); /* not live yet */
	feed_session_connecting(&s, 0);
	feed_session_opened(&s, 10);
	assert_false(feed_session_snapshot(&s, 1, 2, 11)); /* bbo does not count with l2Book on */
	assert_false(s.coins[1].fresh);
	assert_true(feed_session_snapshot(&s, 1, 1, 12));
	assert_false(feed_session_snapshot(&s, 1, 1, 13)); /* already fresh */
	assert_true(s.coins[1].fresh);
	assert_true(s.coins[1].fresh_ms == 12);
	assert_false(s.coins[0].fresh);
	assert_true(feed_session_check(&s));
	/* Disconnect: everything stale; reconnect: stale until each snapshot again. */
	feed_session_closed(&s, 100);
	for (uint32_t i = 0; i < 3; i++)
		assert_false(s.coins[i].fresh);
	assert_true(feed_session_check(&s));
	feed_session_connecting(&s, s.rc.next_connect_ms);
	feed_session_opened(&s, s.rc.next_connect_ms + 1);
	assert_false(s.coins[1].fresh);
	assert_true(feed_session_snapshot(&s, 1, 1, s.rc.next_connect_ms + 2));
	/* Without l2Book, the bbo is the snapshot. */
	struct feed_session_cfg c = cfg_default();
	c.sub_l2book = false;
	init(&s, c, 9);
	feed_session_start(&s, 0);
	feed_session_connecting(&s, 0);
	feed_session_opened(&s, 0);
	assert_true(feed_session_snapshot(&s, 2, 2, 1));
	feed_session_stop(&s);
	assert_false(s.coins[2].fresh);
	assert_int_equal(feed_session_poll(&s, 1000000), FEED_ACT_NONE);
	feed_session_closed(&s, 1000000);
	assert_int_equal(s.rc.state, FEED_SS_STOPPED);
	assert_int_equal(feed_session_next_ms(&s, 0), UINT32_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_rejects_bad_config),
		cmocka_unit_test(test_session_subscription_list),
		cmocka_unit_test(test_session_backoff_bounds_and_growth),
		cmocka_unit_test(test_session_jitter_spreads),
		cmocka_unit_test(test_session_backoff_resets_after_stable_period),
		cmocka_unit_test(test_session_storm_respects_min_interval),
		cmocka_unit_test(test_session_ping_schedule_and_silence),
		cmocka_unit_test(test_session_stale_until_snapshot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
