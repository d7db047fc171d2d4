/* tests/unit/test_risk_throttle.c -- riskd's token buckets: exact refill, burst cap, no
 * overflow after long pauses, time going backwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>

#include "riskd/throttle.h"

#define MS 1000000ULL
#define S 1000000000ULL

static void test_throttle_init_rejects_bad_params(void **state)
{
	(void)state;
	struct risk_throttle t;
	assert_int_equal(risk_throttle_init(&t, 0, 1, 0), -EINVAL);
	assert_int_equal(risk_throttle_init(&t, 1, 0, 0), -EINVAL);
	assert_int_equal(risk_throttle_init(&t, RISK_THROTTLE_MAX_RATE + 1, 1, 0), -EINVAL);
	assert_int_equal(risk_throttle_init(&t, 1, RISK_THROTTLE_MAX_BURST + 1, 0), -EINVAL);
	assert_int_equal(risk_throttle_init(&t, RISK_THROTTLE_MAX_RATE, RISK_THROTTLE_MAX_BURST, 0), 0);
}

static void test_throttle_burst_then_empty_returns_eagain(void **state)
{
	(void)state;
	struct risk_throttle t;
	assert_int_equal(risk_throttle_init(&t, 10, 3, 5 * S), 0);
	assert_int_equal(risk_throttle_tokens(&t, 5 * S), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(risk_throttle_take(&t, 5 * S), 0);
	assert_false(risk_throttle_ready(&t, 5 * S));
	assert_int_equal(risk_throttle_take(&t, 5 * S), -EAGAIN);
	assert_int_equal(t.taken, 3);
	assert_int_equal(t.refused, 1);
}

static void test_throttle_refills_exactly_at_rate(void **state)
{
	(void)state;
	struct risk_throttle t;
	/* 10/s: one token per 100 ms exactly. */
	assert_int_equal(risk_throttle_init(&t, 10, 1, 0), 0);
	assert_int_equal(risk_throttle_take(&t, 0), 0);
	assert_false(risk_throttle_ready(&t, 100 * MS - 1));
	assert_int_equal(risk_throttle_take(&t, 100 * MS - 1), -EAGAIN);
	assert_true(risk_throttle_ready(&t, 100 * MS));
	assert_int_equal(risk_throttle_take(&t, 100 * MS), 0);
	assert_int_equal(risk_throttle_take(&t, 150 * MS), -EAGAIN);
	assert_int_equal(risk_throttle_take(&t, 200 * MS), 0);
}

static void test_throttle_caps_at_burst_after_long_pause(void **state)
{
	(void)state;
	struct risk_throttle t;
	assert_int_equal(risk_throttle_init(&t, RISK_THROTTLE_MAX_RATE, 5, 0), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(risk_throttle_take(&t, 0), 0);
	/* A pause of ~584 years must neither overflow nor exceed the burst. */
	assert_int_equal(risk_throttle_tokens(&t, UINT64_MAX), 5);
	struct risk_throttle u;
	assert_int_equal(risk_throttle_init(&u, 1, 2, 0), 0);
	assert_int_equal(risk_throttle_take(&u, 0), 0);
	assert_int_equal(risk_throttle_tokens(&u, 1000 * S), 2);
}

static void test_throttle_time_backwards_adds_nothing(void **state)
{
	(void)state;
	struct risk_throttle t;
	assert_int_equal(risk_throttle_init(&t, 1, 1, 10 * S), 0);
	assert_int_equal(risk_throttle_take(&t, 10 * S), 0);
	assert_int_equal(risk_throttle_take(&t, 5 * S), -EAGAIN);
	/* last_ns stays at 10 s: the refill counts from there. */
	assert_int_equal(risk_throttle_take(&t, 11 * S - 1), -EAGAIN);
	assert_int_equal(risk_throttle_take(&t, 11 * S), 0);
}

static void test_throttle_never_exceeds_burst_plus_rate_times_window(void **state)
{
	(void)state;
	struct risk_throttle t;
	const uint32_t rate = 7, burst = 4;
	assert_int_equal(risk_throttle_init(&t, rate, burst, 0), 0);
	/* Try every 1 ms for 10 s; count takes in every 1 s window. */
	uint64_t taken_at[200];
	unsigned n = 0;
	for (uint64_t now = 0; now <= 10 * S; now += MS)
		if (risk_throttle_take(&t, now) == 0) {
			assert_true(n < 200);
			taken_at[n++] = now;
		}
	/* burst + rate * 10 s, give or take the last partial token. */
	assert_int_equal(n, burst + rate * 10);
	for (unsigned i = 0; i < n; i++) {
		unsigned in_win = 0;
		for (unsigned j = i; j < n && taken_at[j] < taken_at[i] + S; j++)
			in_win++;
		assert_true(in_win <= burst + rate);
	}
}

static void test_throttle_fractional_rate_accumulates(void **state)
{
	(void)state;
	struct risk_throttle t;
	/* 3/s: 333333333.33 ns per token; three tokens after exactly 1 s. */
	assert_int_equal(risk_throttle_init(&t, 3, 3, 0), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(risk_throttle_take(&t, 0), 0);
	assert_int_equal(risk_throttle_tokens(&t, 333333333), 0);
	assert_int_equal(risk_throttle_tokens(&t, 333333334), 1);
	assert_int_equal(risk_throttle_tokens(&t, S), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_throttle_init_rejects_bad_params),
		cmocka_unit_test(test_throttle_burst_then_empty_returns_eagain),
		cmocka_unit_test(test_throttle_refills_exactly_at_rate),
		cmocka_unit_test(test_throttle_caps_at_burst_after_long_pause),
		cmocka_unit_test(test_throttle_time_backwards_adds_nothing),
		cmocka_unit_test(test_throttle_never_exceeds_burst_plus_rate_times_window),
		cmocka_unit_test(test_throttle_fractional_rate_accumulates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
