/* tests/unit/test_sup_policy.c -- restart backoff and intensity limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "superd/policy.h"

#define MS 1000000ull
#define S 1000000000ull

static struct sup_policy pol;

static void setup(void)
{
	struct sup_policy_params p = { .backoff_min_ns = 10 * MS, .backoff_max_ns = 5 * S,
				       .stable_ns = 30 * S, .max_restarts = 5, .window_ns = 60 * S };
	sup_policy_init(&pol, &p);
}

static void test_policy_backoff_doubles_to_cap(void **state)
{
	(void)state;
	setup();
	struct sup_policy_params p = pol.p;
	p.max_restarts = 60;
	p.window_ns = 1; /* no escalation in this test */
	sup_policy_init(&pol, &p);
	uint64_t want[] = { 10 * MS, 20 * MS, 40 * MS, 80 * MS, 160 * MS, 320 * MS, 640 * MS,
			    1280 * MS, 2560 * MS, 5 * S, 5 * S };
	uint64_t t = 100 * S;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		uint64_t d = 0;
		sup_policy_started(&pol, t);
		t += 1 * S;
		assert_int_equal(sup_policy_failed(&pol, t, &d), SUP_RESTART);
		assert_true(d == want[i]);
	}
}

static void test_policy_stable_run_resets_backoff(void **state)
{
	(void)state;
	setup();
	uint64_t d = 0;
	sup_policy_started(&pol, 0);
	sup_policy_failed(&pol, 1 * S, &d);
	sup_policy_started(&pol, 1 * S);
	sup_policy_failed(&pol, 2 * S, &d);
	assert_true(d == 20 * MS);
	sup_policy_started(&pol, 2 * S);
	assert_int_equal(sup_policy_failed(&pol, 2 * S + 30 * S, &d), SUP_RESTART);
	assert_true(d == 10 * MS); /* ran 30 s: fresh backoff */
}

static void test_policy_escalates_past_intensity(void **state)
{
	(void)state;
	setup();
	uint64_t d = 0;
	for (int i = 0; i < 5; i++) {
		sup_policy_started(&pol, (uint64_t)i * S);
		assert_int_equal(sup_policy_failed(&pol, (uint64_t)i * S + 1, &d), SUP_RESTART);
	}
	assert_int_equal(sup_policy_recent(&pol, 5 * S), 5);
	/* the 6th failure inside 60 s */
	assert_int_equal(sup_policy_failed(&pol, 5 * S, &d), SUP_ESCALATE);
	assert_true(pol.escalated);
	/* stays escalated until reset */
	assert_int_equal(sup_policy_failed(&pol, 500 * S, &d), SUP_ESCALATE);
	sup_policy_reset(&pol);
	assert_false(pol.escalated);
	assert_int_equal(sup_policy_failed(&pol, 501 * S, &d), SUP_RESTART);
	assert_true(d == 10 * MS);
}

static void test_policy_old_failures_leave_the_window(void **state)
{
	(void)state;
	setup();
	uint64_t d = 0;
	for (int i = 0; i < 5; i++)
		sup_policy_failed(&pol, (uint64_t)i * S, &d);
	/* 61 s after the first: only 4 inside the window, plus this one = 5: allowed */
	assert_int_equal(sup_policy_failed(&pol, 61 * S, &d), SUP_RESTART);
	assert_int_equal(sup_policy_recent(&pol, 61 * S), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_backoff_doubles_to_cap),
		cmocka_unit_test(test_policy_stable_run_resets_backoff),
		cmocka_unit_test(test_policy_escalates_past_intensity),
		cmocka_unit_test(test_policy_old_failures_leave_the_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
