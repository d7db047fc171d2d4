/* tests/unit/test_fixed.c -- exact 1e-8 fixed-point text conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/fixed.h"

static void expect_fmt(int64_t v, const char *want)
{
	char buf[HAT_FX_STRLEN];
	int n = hat_fx_format(v, buf, sizeof buf);
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_fixed_format_canonical(void **state)
{
	(void)state;
	expect_fmt(0, "0");
	expect_fmt(1, "0.00000001");
	expect_fmt(150000000, "1.5");
	expect_fmt(10000000000LL, "100");
	expect_fmt(-50000000, "-0.5");
	expect_fmt(167010000000LL, "1670.1");
	expect_fmt(1470000, "0.0147");
	expect_fmt(200000000000000LL, "2000000");
	expect_fmt(INT64_MAX, "92233720368.54775807");
	expect_fmt(INT64_MIN, "-92233720368.54775808");
}

static void test_fixed_format_small_buffer_returns_enospc(void **state)
{
	(void)state;
	char buf[4] = "xyz";
	assert_int_equal(hat_fx_format(150000000, buf, sizeof buf), 3);
	assert_string_equal(buf, "1.5");
	assert_int_equal(hat_fx_format(1, buf, sizeof buf), -ENOSPC);
	assert_string_equal(buf, "");
}

static void expect_parse(const char *s, int64_t want)
{
	int64_t v = 12345;
	char err[128] = "";
	assert_int_equal(hat_fx_parse(s, strlen(s), &v, err, sizeof err), 0);
	assert_true(v == want);
}

static void expect_reject(const char *s, const char *why)
{
	int64_t v = 777;
	char err[128] = "";
	assert_int_equal(hat_fx_parse(s, strlen(s), &v, err, sizeof err), HAT_E_PARSE);
	assert_true(v == 777);
	assert_non_null(strstr(err, why));
}

static void test_fixed_parse_exact(void **state)
{
	(void)state;
	expect_parse("0", 0);
	expect_parse("0.0", 0);
	expect_parse("-0", 0);
	expect_parse("1670.1", 167010000000LL);
	expect_parse("0.00000001", 1);
	expect_parse("100.000000000", 10000000000LL);
	expect_parse("-3.25", -325000000);
	expect_parse("92233720368.54775807", INT64_MAX);
	expect_parse("-92233720368.54775808", INT64_MIN);
}

static void test_fixed_parse_rejects_garbage(void **state)
{
	(void)state;
	expect_reject("", "empty");
	expect_reject("-", "expected a digit");
	expect_reject("+1", "expected a digit");
	expect_reject(".5", "expected a digit");
	expect_reject("1.", "after '.'");
	expect_reject("1e3", "unexpected character");
	expect_reject("1.2.3", "unexpected character");
	expect_reject(" 1", "expected a digit");
	expect_reject("0.000000001", "more than 8 decimals");
	expect_reject("92233720368.54775808", "out of range");
	expect_reject("99999999999999999999999", "out of range");
}

static void test_fixed_round_trip(void **state)
{
	(void)state;
	int64_t vals[] = { 1, -1, 99999999, 100000000, 123456789012345LL, -987654321, INT64_MAX - 1 };
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		char buf[HAT_FX_STRLEN];
		int n = hat_fx_format(vals[i], buf, sizeof buf);
		assert_true(n > 0);
		int64_t back = 0;
		assert_int_equal(hat_fx_parse(buf, (size_t)n, &back, NULL, 0), 0);
		assert_true(back == vals[i]);
	}
}

static void test_fixed_mul(void **state)
{
	(void)state;
	int64_t out = 0;
	assert_int_equal(hat_fx_mul(6500000000000LL, 100000, &out), 0); /* 65000 * 0.001 */
	assert_true(out == 6500000000LL);                              /* 65 */
	assert_int_equal(hat_fx_mul(INT64_MAX, 2 * HAT_FX_ONE, &out), -ERANGE);
	assert_true(hat_fx_from_double(1.5) == 150000000);
	assert_true(hat_fx_from_double(-0.000000024) == -2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_format_canonical),
		cmocka_unit_test(test_fixed_format_small_buffer_returns_enospc),
		cmocka_unit_test(test_fixed_parse_exact),
		cmocka_unit_test(test_fixed_parse_rejects_garbage),
		cmocka_unit_test(test_fixed_round_trip),
		cmocka_unit_test(test_fixed_mul),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
