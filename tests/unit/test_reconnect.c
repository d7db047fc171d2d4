/* tests/unit/test_reconnect.c -- common/reconnect.h, the connection policy shared by feedd's
 * feed session and execd's private stream: config checks, backoff bounds and reset, the
 * attempt floor, ping and silence, stop. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/reconnect.h"

static const struct hat_reconnect_cfg CFG = {
	.ping_idle_ms = 1000, .silent_ms = 3000, .backoff_min_ms = 100, .backoff_max_ms = 1000,
	.stable_ms = 5000, .min_connect_interval_ms = 0,
};

static void init(struct hat_reconnect *r, struct hat_reconnect_cfg c)
{
	char err[200] = "";
	assert_int_equal(hat_reconnect_init(r, &c, 7, "test", err, sizeof err), 0);
	assert_string_equal(err, "");
	assert_int_equal(r->state, HAT_RECONNECT_IDLE);
	assert_true(hat_reconnect_check(r));
}

static void test_reconnect_config_errors_name_the_setting(void **state)
{
	(void)state;
	struct hat_reconnect r;
	char err[200];
	struct hat_reconnect_cfg c = CFG;
	c.backoff_min_ms = 2000;
	assert_int_equal(hat_reconnect_init(&r, &c, 1, "execd stream", err, sizeof err), -EINVAL);
	assert_string_equal(err, "execd stream: backoff_min_ms must be in 1..backoff_max_ms "
	                         "(2000..1000)");
	c = CFG;
	c.backoff_min_ms = 0;
	assert_int_equal(hat_reconnect_init(&r, &c, 1, "x", err, sizeof err), -EINVAL);
	c = CFG;
	c.silent_ms = 1000;
	assert_int_equal(hat_reconnect_init(&r, &c, 1, "feedd", err, sizeof err), -EINVAL);
	assert_string_equal(err, "feedd: silent_ms (1000) must be > ping_idle_ms (1000) > 0");
	c = CFG;
	c.ping_idle_ms = 0;
	assert_int_equal(hat_reconnect_init(&r, &c, 1, "feedd", err, sizeof err), -EINVAL);
	/* seed 0 is replaced: the generator never sticks at 0 */
	assert_int_equal(hat_reconnect_init(&r, &CFG, 0, "feedd", err, sizeof err), 0);
	assert_true(r.rng != 0);
}

static void test_reconnect_backoff_grows_within_bounds_and_caps(void **state)
{
	(void)state;
	static const uint64_t caps[] = { 100, 200, 400, 800, 1000, 1000, 1000 };
	for (unsigned k = 0; k < 7; k++)
		assert_int_equal(hat_reconnect_backoff_cap(&CFG, k), caps[k]);
	assert_int_equal(hat_reconnect_backoff_cap(&CFG, UINT32_MAX), 1000);
	struct hat_reconnect r;
	init(&r, CFG);
	uint64_t now = 50;
	hat_reconnect_start(&r, now);
	assert_int_equal(r.state, HAT_RECONNECT_WAIT);
	for (unsigned k = 0; k < 7; k++) {
		assert_int_equal(hat_reconnect_poll(&r, now), HAT_RECONNECT_ACT_CONNECT);
		hat_reconnect_connecting(&r, now);
		assert_int_equal(hat_reconnect_poll(&r, now), HAT_RECONNECT_ACT_NONE);
		hat_reconnect_closed(&r, now + 1);
		uint64_t d = r.next_connect_ms - (now + 1);
		assert_int_equal(d, r.last_delay_ms);
		assert_true(d >= caps[k] / 2 && d <= caps[k]);
		assert_int_equal(hat_reconnect_next_ms(&r, now + 1), d);
		assert_int_equal(hat_reconnect_poll(&r, r.next_connect_ms - 1), HAT_RECONNECT_ACT_NONE);
		now = r.next_connect_ms;
	}
	assert_int_equal(r.attempt, 7);
	assert_int_equal(r.connects, 7);
	assert_int_equal(r.closes, 7);
	/* open for stable_ms: the next delay is back at the first bound */
	hat_reconnect_connecting(&r, now);
	hat_reconnect_opened(&r, now);
	hat_reconnect_closed(&r, now + 5000);
	assert_int_equal(r.attempt, 1);
	assert_true(r.last_delay_ms >= 50 && r.last_delay_ms <= 100);
}

static void test_reconnect_min_interval_floors_attempts(void **state)
{
	(void)state;
	struct hat_reconnect_cfg c = CFG;
	c.min_connect_interval_ms = 2500;
	struct hat_reconnect r;
	init(&r, c);
	hat_reconnect_start(&r, 0);
	hat_reconnect_connecting(&r, 0);
	hat_reconnect_opened(&r, 10);
	hat_reconnect_closed(&r, 20); /* closed at once: backoff <= 100 ms, floor 2500 after 0 */
	assert_int_equal(r.next_connect_ms, 2500);
	assert_int_equal(r.last_delay_ms, 2480);
}

static void test_reconnect_pings_then_drops_a_silent_link(void **state)
{
	(void)state;
	struct hat_reconnect r;
	init(&r, CFG);
	hat_reconnect_start(&r, 0);
	hat_reconnect_connecting(&r, 0);
	hat_reconnect_opened(&r, 100);
	assert_int_equal(r.state, HAT_RECONNECT_LIVE);
	assert_int_equal(hat_reconnect_next_ms(&r, 100), 1000);
	assert_int_equal(hat_reconnect_poll(&r, 1099), HAT_RECONNECT_ACT_NONE);
	assert_int_equal(hat_reconnect_poll(&r, 1100), HAT_RECONNECT_ACT_PING);
	assert_int_equal(hat_reconnect_poll(&r, 1100), HAT_RECONNECT_ACT_NONE); /* once */
	hat_reconnect_rx(&r, 1500); /* the pong */
	assert_int_equal(hat_reconnect_poll(&r, 2400), HAT_RECONNECT_ACT_NONE);
	assert_int_equal(hat_reconnect_poll(&r, 2500), HAT_RECONNECT_ACT_PING);
	assert_int_equal(hat_reconnect_poll(&r, 3500), HAT_RECONNECT_ACT_PING);
	assert_int_equal(hat_reconnect_poll(&r, 4499), HAT_RECONNECT_ACT_NONE);
	assert_int_equal(hat_reconnect_poll(&r, 4500), HAT_RECONNECT_ACT_RECONNECT);
	assert_int_equal(hat_reconnect_poll(&r, 4600), HAT_RECONNECT_ACT_NONE); /* reported once */
	assert_int_equal(r.pings, 3);
	assert_int_equal(r.silent_drops, 1);
	hat_reconnect_closed(&r, 4600);
	assert_int_equal(r.state, HAT_RECONNECT_WAIT);
	/* frames while not live do not count as traffic */
	hat_reconnect_rx(&r, 4700);
	assert_int_equal(r.last_rx_ms, 1500);
}

static void test_reconnect_stop_is_final(void **state)
{
	(void)state;
	struct hat_reconnect r;
	init(&r, CFG);
	hat_reconnect_start(&r, 0);
	hat_reconnect_stop(&r);
	assert_int_equal(hat_reconnect_poll(&r, 10000), HAT_RECONNECT_ACT_NONE);
	assert_int_equal(hat_reconnect_next_ms(&r, 0), UINT32_MAX);
	hat_reconnect_connecting(&r, 1);
	hat_reconnect_opened(&r, 2);
	hat_reconnect_closed(&r, 3);
	assert_int_equal(r.state, HAT_RECONNECT_STOPPED);
	assert_int_equal(r.connects, 0);
	assert_int_equal(r.closes, 1);
	assert_string_equal(hat_reconnect_ping_text(), "{\"method\":\"ping\"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reconnect_config_errors_name_the_setting),
		cmocka_unit_test(test_reconnect_backoff_grows_within_bounds_and_caps),
		cmocka_unit_test(test_reconnect_min_interval_floors_attempts),
		cmocka_unit_test(test_reconnect_pings_then_drops_a_silent_link),
		cmocka_unit_test(test_reconnect_stop_is_final),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
