/* tests/unit/test_clock.c -- realtime/monotonic readers, sleep, and the fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "common/clock.h"

static void test_clock_now_is_realtime_ns(void **state)
{
	(void)state;
	uint64_t before = (uint64_t)time(NULL);
	uint64_t ns = hat_now_ns();
	uint64_t after = (uint64_t)time(NULL);
	assert_in_range(ns / HAT_NS_PER_S, before, after);
	assert_true(ns > 1600000000ULL * HAT_NS_PER_S); /* after 2020: really ns since epoch */
}

static void test_clock_mono_never_goes_back(void **state)
{
	(void)state;
	uint64_t prev = hat_mono_ns();
	for (int i = 0; i < 10000; i++) {
		uint64_t t = hat_mono_ns();
		assert_true(t >= prev);
		prev = t;
	}
}

static void test_clock_sleep_waits_at_least(void **state)
{
	(void)state;
	uint64_t t0 = hat_mono_ns();
	hat_sleep_ns(2 * HAT_NS_PER_MS);
	assert_true(hat_mono_ns() - t0 >= 2 * HAT_NS_PER_MS);
	hat_sleep_ns(0); /* returns at once */
}

static void test_clock_system_matches_real_clocks(void **state)
{
	(void)state;
	uint64_t a = hat_now_ns();
	uint64_t b = hat_clock_now(&hat_clock_system);
	uint64_t c = hat_now_ns();
	assert_in_range(b, a, c);
	a = hat_mono_ns();
	b = hat_clock_mono(&hat_clock_system);
	c = hat_mono_ns();
	assert_in_range(b, a, c);
}

static void test_clock_fake_moves_only_when_told(void **state)
{
	(void)state;
	struct hat_fake_clock fc;
	hat_fake_clock_init(&fc, 1700000000ULL * HAT_NS_PER_S, 5);
	const struct hat_clock *c = &fc.clock;
	assert_int_equal(hat_clock_now(c), 1700000000ULL * HAT_NS_PER_S);
	assert_int_equal(hat_clock_mono(c), 5);
	assert_int_equal(hat_clock_mono(c), 5);
	hat_fake_clock_advance(&fc, 250);
	assert_int_equal(hat_clock_now(c), 1700000000ULL * HAT_NS_PER_S + 250);
	assert_int_equal(hat_clock_mono(c), 255);
	fc.now_ns = 42; /* a test may also jump realtime alone (NTP step) */
	assert_int_equal(hat_clock_now(c), 42);
	assert_int_equal(hat_clock_mono(c), 255);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_now_is_realtime_ns),
		cmocka_unit_test(test_clock_mono_never_goes_back),
		cmocka_unit_test(test_clock_sleep_waits_at_least),
		cmocka_unit_test(test_clock_system_matches_real_clocks),
		cmocka_unit_test(test_clock_fake_moves_only_when_told),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
