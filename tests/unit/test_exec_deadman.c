/* tests/unit/test_exec_deadman.c -- the scheduleCancel schedule and the ratelimit core. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "execd/deadman.h"
#include "execd/ratelimit.h"

#define DAY0 (20000ull * EXEC_DM_DAY_MS) /* midnight UTC of some day */

static void init_dm(struct exec_deadman *d)
{
	struct exec_deadman_cfg c = { 60000, 20000, 10, 1000 };
	char err[128];
	assert_int_equal(exec_deadman_init(d, &c, err, sizeof err), 0);
}

static void test_deadman_rejects_bad_config(void **state)
{
	(void)state;
	struct exec_deadman d;
	char err[128];
	struct exec_deadman_cfg c = { 6000, 1000, 10, 0 };
	assert_int_equal(exec_deadman_init(&d, &c, err, sizeof err), -EINVAL);
	assert_string_equal(err, "execd.dead_man_ms: must be 0 (off) or >= 10000 (got 6000)");
	c.ahead_ms = 60000;
	c.rearm_ms = 56000;
	assert_int_equal(exec_deadman_init(&d, &c, err, sizeof err), -EINVAL);
	assert_string_equal(err, "execd.dead_man_rearm_ms: must be 1..55000 (got 56000)");
	c.ahead_ms = 0; /* off: anything else goes */
	assert_int_equal(exec_deadman_init(&d, &c, err, sizeof err), 0);
	uint64_t t;
	assert_int_equal(exec_deadman_poll(&d, DAY0, true, &t), EXEC_DM_NONE);
}

static void test_deadman_arms_ahead_and_rearms_on_schedule(void **state)
{
	(void)state;
	struct exec_deadman d;
	init_dm(&d);
	uint64_t t = 0, now = DAY0 + 1000;
	assert_int_equal(exec_deadman_poll(&d, now, false, &t), EXEC_DM_NONE);
	assert_int_equal(exec_deadman_poll(&d, now, true, &t), EXEC_DM_ARM);
	assert_int_equal(t, now + 60000);
	exec_deadman_sent(&d, t);
	assert_int_equal(exec_deadman_poll(&d, now, true, &t), EXEC_DM_NONE); /* one in flight */
	exec_deadman_result(&d, true, now + 5);
	assert_int_equal(d.armed_until_ms, now + 60000);
	assert_int_equal(exec_deadman_poll(&d, now + 20004, true, &t), EXEC_DM_NONE);
	assert_int_equal(exec_deadman_poll(&d, now + 20005, true, &t), EXEC_DM_ARM);
	assert_int_equal(t, now + 80005);
	/* Every arm is at least the exchange's minimum delay ahead. */
	assert_true(t - (now + 20005) >= EXEC_DM_MIN_DELAY_MS);
	exec_deadman_sent(&d, t);
	exec_deadman_result(&d, false, now + 20010);
	assert_int_equal(d.arm_failures, 1);
	assert_int_equal(d.armed_until_ms, now + 60000); /* the old deadline still stands */
	assert_int_equal(exec_deadman_poll(&d, now + 21009, true, &t), EXEC_DM_NONE);
	assert_int_equal(exec_deadman_poll(&d, now + 21010, true, &t), EXEC_DM_ARM);
	/* Unhealthy: not refreshed, so the exchange fires it. */
	assert_int_equal(exec_deadman_poll(&d, now + 50000, false, &t), EXEC_DM_NONE);
}

static void test_deadman_daily_trigger_budget(void **state)
{
	(void)state;
	struct exec_deadman d;
	init_dm(&d);
	uint64_t t, now = DAY0 + 3600000;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(exec_deadman_poll(&d, now, true, &t), EXEC_DM_ARM);
		exec_deadman_sent(&d, t);
		exec_deadman_result(&d, true, now);
		now += 61000;
		exec_deadman_triggered(&d, now);
		exec_deadman_triggered(&d, now); /* a second canceled order: same trigger */
	}
	assert_int_equal(d.triggers_today, 10);
	assert_true(exec_deadman_exhausted(&d, now));
	assert_int_equal(exec_deadman_poll(&d, now, true, &t), EXEC_DM_NONE);
	/* Next UTC day: budget back. */
	now = DAY0 + EXEC_DM_DAY_MS + 5;
	assert_false(exec_deadman_exhausted(&d, now));
	assert_int_equal(exec_deadman_poll(&d, now, true, &t), EXEC_DM_ARM);
	assert_int_equal(d.triggers_today, 0);
}

static void test_deadman_disarm_on_clean_shutdown(void **state)
{
	(void)state;
	struct exec_deadman d;
	init_dm(&d);
	uint64_t t;
	exec_deadman_want_disarm(&d);
	assert_int_equal(exec_deadman_poll(&d, DAY0, true, &t), EXEC_DM_NONE); /* nothing armed */
	d.disarm_wanted = false;
	assert_int_equal(exec_deadman_poll(&d, DAY0, true, &t), EXEC_DM_ARM);
	exec_deadman_sent(&d, t);
	exec_deadman_result(&d, true, DAY0);
	exec_deadman_want_disarm(&d);
	assert_int_equal(exec_deadman_poll(&d, DAY0 + 1, true, &t), EXEC_DM_DISARM);
	assert_int_equal(t, 0);
	exec_deadman_sent(&d, 0);
	exec_deadman_result(&d, true, DAY0 + 2);
	assert_int_equal(d.armed_until_ms, 0);
	assert_false(d.disarm_wanted);
	assert_int_equal(exec_deadman_poll(&d, DAY0 + 3, true, &t), EXEC_DM_NONE);
}

static void test_ratelimit_weights_budget_and_backoff(void **state)
{
	(void)state;
	struct exec_ratelimit r;
	struct exec_ratelimit_cfg c = { 60, 1000, 4000 };
	char err[128];
	assert_int_equal(exec_ratelimit_exchange_weight(1), 1);
	assert_int_equal(exec_ratelimit_exchange_weight(39), 1);
	assert_int_equal(exec_ratelimit_exchange_weight(40), 2);
	assert_int_equal(exec_ratelimit_exchange_weight(79), 2);
	assert_int_equal(exec_ratelimit_info_weight("orderStatus"), 2);
	assert_int_equal(exec_ratelimit_info_weight("openOrders"), 20);
	assert_int_equal(exec_ratelimit_init(&r, &c, 0, err, sizeof err), 0);
	assert_true(exec_ratelimit_allow(&r, 0, 60, 1, false));
	exec_ratelimit_spend(&r, 0, 60, 1);
	assert_false(exec_ratelimit_allow(&r, 0, 1, 1, false));
	assert_true(exec_ratelimit_allow(&r, 0, 1, 1, true)); /* cancels always */
	assert_true(exec_ratelimit_allow(&r, 1000, 1, 1, false)); /* 1 weight per second back */
	exec_ratelimit_hit(&r, 2000);
	assert_false(exec_ratelimit_allow(&r, 2999, 1, 1, false));
	assert_true(exec_ratelimit_allow(&r, 3000, 1, 1, false));
	exec_ratelimit_hit(&r, 3000);
	assert_int_equal(r.backoff_ms, 2000);
	exec_ratelimit_hit(&r, 3000);
	exec_ratelimit_hit(&r, 3000);
	assert_int_equal(r.backoff_ms, 4000);
	exec_ratelimit_ok(&r);
	assert_false(exec_ratelimit_backing_off(&r, 3001));
	exec_ratelimit_set_user(&r, 10, 11);
	assert_true(exec_ratelimit_allow(&r, 60000, 1, 1, false));
	assert_false(exec_ratelimit_allow(&r, 60000, 1, 2, false));
	c.backoff_min_ms = 0;
	assert_int_equal(exec_ratelimit_init(&r, &c, 0, err, sizeof err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadman_rejects_bad_config),
		cmocka_unit_test(test_deadman_arms_ahead_and_rearms_on_schedule),
		cmocka_unit_test(test_deadman_daily_trigger_budget),
		cmocka_unit_test(test_deadman_disarm_on_clean_shutdown),
		cmocka_unit_test(test_ratelimit_weights_budget_and_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
