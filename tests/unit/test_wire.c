/* tests/unit/test_wire.c -- exchange number rules, cloid and address text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/fixed.h"
#include "hl/wire.h"

static int64_t fx(const char *s)
{
	int64_t v = 0;
	char err[128];
	assert_int_equal(hat_fx_parse(s, strlen(s), &v, err, sizeof err), 0);
	return v;
}

static void expect_fx(int64_t v, const char *want)
{
	char buf[HAT_FX_STRLEN];
	hat_fx_format(v, buf, sizeof buf);
	assert_string_equal(buf, want);
}

/* ---------------------------------------------------------------- price validity */

struct px_case {
	const char *px;
	int szd;
	bool spot;
	const char *err; /* NULL = valid */
};

static const struct px_case px_cases[] = {
	/* section 6.2 examples */
	{ "1234.5", 0, false, NULL },
	{ "1234.56", 0, false, "price 1234.56: 6 significant figures (max 5)" },
	{ "0.001234", 0, false, NULL },
	{ "0.0012345", 0, false, "price 0.0012345: 7 decimals (max 6 for szDecimals 0)" },
	{ "0.01234", 1, false, NULL },
	{ "0.012345", 1, false, "price 0.012345: 6 decimals (max 5 for szDecimals 1)" },
	{ "0.0001234", 0, true, NULL },
	{ "0.0001234", 1, true, NULL },
	{ "0.0001234", 2, true, "price 0.0001234: 7 decimals (max 6 for szDecimals 2, spot)" },
	{ "123456", 0, false, NULL },
	{ "123456", 6, false, NULL },
	{ "12345.6", 0, false, "price 12345.6: 6 significant figures (max 5)" },
	{ "65000", 5, false, NULL },
	{ "3012.3", 4, false, NULL },
	{ "3012.35", 4, false, "price 3012.35: 6 significant figures (max 5)" },
	{ "1.2346", 0, false, NULL },
	/* 5 significant figure boundaries */
	{ "99999", 0, false, NULL },
	{ "9999.9", 0, false, NULL },
	{ "9999.99", 0, false, "price 9999.99: 6 significant figures (max 5)" },
	{ "100000", 0, false, NULL },
	{ "100000.5", 0, false, "price 100000.5: 7 significant figures (max 5)" },
	{ "10000.1", 0, false, "price 10000.1: 6 significant figures (max 5)" },
	{ "1.0001", 0, false, NULL },
	{ "1.00001", 0, false, "price 1.00001: 6 significant figures (max 5)" },
	{ "0.10001", 1, false, NULL },
	{ "0.100001", 0, false, "price 0.100001: 6 significant figures (max 5)" },
	/* decimals limit per szDecimals (perp 6 - szd) */
	{ "0.1", 5, false, NULL },
	{ "0.12", 5, false, "price 0.12: 2 decimals (max 1 for szDecimals 5)" },
	{ "1.5", 6, false, "price 1.5: 1 decimals (max 0 for szDecimals 6)" },
	{ "7", 6, false, NULL },
	/* tiny and huge */
	{ "0.00000001", 0, true, NULL },
	{ "0.00000001", 0, false, "price 0.00000001: 8 decimals (max 6 for szDecimals 0)" },
	{ "0.000001", 0, false, NULL },
	{ "92233720368", 0, false, NULL },
	{ "92233720368.54775807", 0, false,
	  "price 92233720368.54775807: 19 significant figures (max 5)" },
	/* trailing zeros do not count (the value is what matters) */
	{ "1234.50000000", 0, false, NULL },
	{ "0.0012340", 0, false, NULL },
	/* non-positive */
	{ "0", 0, false, "price 0: must be > 0" },
	{ "-0", 0, false, "price 0: must be > 0" },
	{ "-0.0", 0, false, "price 0: must be > 0" },
	{ "-1", 0, false, "price -1: must be > 0" },
	/* szDecimals range */
	{ "1", 7, false, "szDecimals 7: out of range 0..6" },
	{ "1", -1, false, "szDecimals -1: out of range 0..6" },
	{ "1", 9, true, "szDecimals 9: out of range 0..8" },
	{ "1", 8, true, NULL },
	{ "1.5", 8, true, "price 1.5: 1 decimals (max 0 for szDecimals 8, spot)" },
};

static void test_wire_px_check_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof px_cases / sizeof px_cases[0]; i++) {
		const struct px_case *c = &px_cases[i];
		char err[128] = "";
		int rc = hl_px_check(fx(c->px), c->szd, c->spot, err, sizeof err);
		if (!c->err) {
			if (rc != 0)
				fail_msg("%s szd %d: unexpected error %s", c->px, c->szd, err);
		} else {
			if (rc != -EINVAL)
				fail_msg("%s szd %d: accepted", c->px, c->szd);
			assert_string_equal(err, c->err);
		}
	}
	/* NULL err buffer is fine */
	assert_int_equal(hl_px_check(fx("1234.56"), 0, false, NULL, 0), -EINVAL);
}

static void test_wire_px_max_decimals(void **state)
{
	(void)state;
	assert_int_equal(hl_px_max_decimals(0, false), 6);
	assert_int_equal(hl_px_max_decimals(5, false), 1);
	assert_int_equal(hl_px_max_decimals(6, false), 0);
	assert_int_equal(hl_px_max_decimals(7, false), -1);
	assert_int_equal(hl_px_max_decimals(0, true), 8);
	assert_int_equal(hl_px_max_decimals(8, true), 0);
	assert_int_equal(hl_px_max_decimals(-1, true), -1);
}

/* ---------------------------------------------------------------- tick */

static void test_wire_px_tick(void **state)
{
	(void)state;
	assert_true(hl_px_tick(fx("65000"), 5, false) == fx("1"));
	assert_true(hl_px_tick(fx("3000"), 4, false) == fx("0.1"));
	assert_true(hl_px_tick(fx("0.1"), 1, false) == fx("0.00001"));
	assert_true(hl_px_tick(fx("1000"), 0, false) == fx("0.1"));
	assert_true(hl_px_tick(fx("999.99"), 0, false) == fx("0.01"));
	assert_true(hl_px_tick(fx("123456"), 0, false) == fx("1"));
	assert_true(hl_px_tick(fx("0.001234"), 0, false) == fx("0.000001"));
	assert_true(hl_px_tick(fx("0.001234"), 0, true) == fx("0.0000001"));
	assert_true(hl_px_tick(fx("0.00000001"), 0, true) == 1);
	assert_true(hl_px_tick(fx("5"), 6, false) == fx("1"));
	assert_true(hl_px_tick(INT64_MAX, 0, false) == fx("1"));
	assert_true(hl_px_tick(0, 0, false) == -EINVAL);
	assert_true(hl_px_tick(-5, 0, false) == -EINVAL);
	assert_true(hl_px_tick(100, 7, false) == -EINVAL);
}

/* ---------------------------------------------------------------- price rounding */

struct round_case {
	const char *px;
	int szd;
	bool spot;
	enum hl_round mode;
	int rc;
	const char *want;
};

static const struct round_case round_cases[] = {
	/* section 6.2 SDK examples */
	{ "65000.5", 5, false, HL_ROUND_NEAREST, 0, "65000" },
	{ "3012.345", 4, false, HL_ROUND_NEAREST, 0, "3012.3" },
	{ "1.234567", 0, false, HL_ROUND_NEAREST, 0, "1.2346" },
	/* ties to even, directional */
	{ "65001.5", 5, false, HL_ROUND_NEAREST, 0, "65002" },
	{ "65000.5", 5, false, HL_ROUND_DOWN, 0, "65000" },
	{ "65000.5", 5, false, HL_ROUND_UP, 0, "65001" },
	{ "65000.50000001", 5, false, HL_ROUND_NEAREST, 0, "65001" },
	{ "3012.345", 4, false, HL_ROUND_UP, 0, "3012.4" },
	{ "3012.3", 4, false, HL_ROUND_UP, 0, "3012.3" },
	{ "3012.3", 4, false, HL_ROUND_DOWN, 0, "3012.3" },
	{ "1.234567", 0, false, HL_ROUND_DOWN, 0, "1.2345" },
	{ "123456.7", 0, false, HL_ROUND_NEAREST, 0, "123457" },
	{ "123456.7", 0, false, HL_ROUND_DOWN, 0, "123456" },
	/* crossing a power of ten */
	{ "999.995", 0, false, HL_ROUND_NEAREST, 0, "1000" },
	{ "999.995", 0, false, HL_ROUND_UP, 0, "1000" },
	{ "999.995", 0, false, HL_ROUND_DOWN, 0, "999.99" },
	{ "1000.04", 0, false, HL_ROUND_DOWN, 0, "1000" },
	/* the same price at each szDecimals 0..5 */
	{ "0.12345678", 0, false, HL_ROUND_NEAREST, 0, "0.12346" },
	{ "0.12345678", 1, false, HL_ROUND_NEAREST, 0, "0.12346" },
	{ "0.12345678", 2, false, HL_ROUND_NEAREST, 0, "0.1235" },
	{ "0.12345678", 3, false, HL_ROUND_NEAREST, 0, "0.123" },
	{ "0.12345678", 4, false, HL_ROUND_NEAREST, 0, "0.12" },
	{ "0.12345678", 5, false, HL_ROUND_NEAREST, 0, "0.1" },
	{ "0.12345678", 5, false, HL_ROUND_UP, 0, "0.2" },
	{ "0.12345678", 2, true, HL_ROUND_NEAREST, 0, "0.12346" },
	/* tiny: below the smallest valid price */
	{ "0.0000005", 0, false, HL_ROUND_DOWN, -ERANGE, NULL },
	{ "0.0000005", 0, false, HL_ROUND_NEAREST, 0, "0.000001" },
	{ "0.0000005", 0, false, HL_ROUND_UP, 0, "0.000001" },
	{ "0.00000001", 0, true, HL_ROUND_DOWN, 0, "0.00000001" },
	/* huge */
	{ "92233720368.54775807", 0, false, HL_ROUND_UP, -ERANGE, NULL },
	{ "92233720368.54775807", 0, false, HL_ROUND_NEAREST, 0, "92233720368" },
	{ "92233720368.54775807", 0, false, HL_ROUND_DOWN, 0, "92233720368" },
	/* bad input */
	{ "0", 0, false, HL_ROUND_NEAREST, -EINVAL, NULL },
	{ "-1", 0, false, HL_ROUND_UP, -EINVAL, NULL },
	{ "1", 7, false, HL_ROUND_UP, -EINVAL, NULL },
};

static void test_wire_px_round_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof round_cases / sizeof round_cases[0]; i++) {
		const struct round_case *c = &round_cases[i];
		int64_t out = 777;
		int rc = hl_px_round(fx(c->px), c->szd, c->spot, c->mode, &out);
		if (rc != c->rc)
			fail_msg("%s szd %d mode %d: rc %d, want %d", c->px, c->szd, c->mode, rc, c->rc);
		if (c->want) {
			expect_fx(out, c->want);
			assert_int_equal(hl_px_check(out, c->szd, c->spot, NULL, 0), 0);
		} else {
			assert_true(out == 777);
		}
	}
}

/* Every rounded price is valid, DOWN <= px <= UP, and NEAREST is one of them. */
static void test_wire_px_round_always_valid(void **state)
{
	(void)state;
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t px = (int64_t)(x % 100000000000000ULL) >> (x % 40);
		if (px <= 0)
			px = 1 + (int64_t)(x % 1000);
		int szd = (int)(x >> 50) % 6;
		bool spot = (x >> 60) & 1;
		int64_t d, u, n;
		int rd = hl_px_round(px, szd, spot, HL_ROUND_DOWN, &d);
		assert_int_equal(hl_px_round(px, szd, spot, HL_ROUND_UP, &u), 0);
		assert_int_equal(hl_px_round(px, szd, spot, HL_ROUND_NEAREST, &n), 0);
		assert_int_equal(hl_px_check(u, szd, spot, NULL, 0), 0);
		assert_int_equal(hl_px_check(n, szd, spot, NULL, 0), 0);
		assert_true(u >= px);
		if (rd == 0) {
			assert_int_equal(hl_px_check(d, szd, spot, NULL, 0), 0);
			assert_true(d <= px);
			assert_true(n == d || n == u);
			if (hl_px_check(px, szd, spot, NULL, 0) == 0)
				assert_true(d == px && u == px && n == px);
		} else {
			assert_int_equal(rd, -ERANGE);
			assert_true(n == u);
		}
	}
}

static void test_wire_round_passive_aggressive(void **state)
{
	(void)state;
	assert_int_equal(hl_round_passive(HAT_SIDE_BUY), HL_ROUND_DOWN);
	assert_int_equal(hl_round_passive(HAT_SIDE_SELL), HL_ROUND_UP);
	assert_int_equal(hl_round_aggressive(HAT_SIDE_BUY), HL_ROUND_UP);
	assert_int_equal(hl_round_aggressive(HAT_SIDE_SELL), HL_ROUND_DOWN);
}

/* ---------------------------------------------------------------- sizes */

static void test_wire_sz_round_each_decimals(void **state)
{
	(void)state;
	static const char *const floor_want[] = { "1", "1.2", "1.23", "1.234", "1.2345", "1.23456" };
	static const char *const near_want[] = { "1", "1.2", "1.23", "1.235", "1.2346", "1.23457" };
	static const char *const up_want[] = { "2", "1.3", "1.24", "1.235", "1.2346", "1.23457" };
	int64_t sz = fx("1.23456789"), out;
	for (int d = 0; d <= 5; d++) {
		assert_int_equal(hl_sz_round(sz, d, HL_ROUND_DOWN, &out), 0);
		expect_fx(out, floor_want[d]);
		assert_int_equal(hl_sz_check(out, d, NULL, 0), 0);
		assert_int_equal(hl_sz_round(sz, d, HL_ROUND_NEAREST, &out), 0);
		expect_fx(out, near_want[d]);
		assert_int_equal(hl_sz_round(sz, d, HL_ROUND_UP, &out), 0);
		expect_fx(out, up_want[d]);
	}
	/* ties to even, zero, exact */
	assert_int_equal(hl_sz_round(fx("0.25"), 1, HL_ROUND_NEAREST, &out), 0);
	expect_fx(out, "0.2");
	assert_int_equal(hl_sz_round(fx("0.35"), 1, HL_ROUND_NEAREST, &out), 0);
	expect_fx(out, "0.4");
	assert_int_equal(hl_sz_round(fx("0.04"), 1, HL_ROUND_DOWN, &out), 0);
	expect_fx(out, "0");
	assert_int_equal(hl_sz_round(0, 3, HL_ROUND_UP, &out), 0);
	expect_fx(out, "0");
	assert_int_equal(hl_sz_round(fx("7.5"), 1, HL_ROUND_DOWN, &out), 0);
	expect_fx(out, "7.5");
	assert_int_equal(hl_sz_round(fx("0.00000001"), 8, HL_ROUND_DOWN, &out), 0);
	expect_fx(out, "0.00000001");
	/* errors */
	out = 5;
	assert_int_equal(hl_sz_round(-1, 2, HL_ROUND_DOWN, &out), -EINVAL);
	assert_int_equal(hl_sz_round(100, 9, HL_ROUND_DOWN, &out), -EINVAL);
	assert_int_equal(hl_sz_round(INT64_MAX, 0, HL_ROUND_UP, &out), -ERANGE);
	assert_true(out == 5);
	assert_true(hl_sz_lot(0) == HAT_FX_ONE);
	assert_true(hl_sz_lot(5) == 1000);
	assert_true(hl_sz_lot(8) == 1);
	assert_true(hl_sz_lot(9) == -EINVAL);
}

static void test_wire_sz_check(void **state)
{
	(void)state;
	char err[128];
	assert_int_equal(hl_sz_check(fx("0.12345"), 5, err, sizeof err), 0);
	assert_int_equal(hl_sz_check(fx("0.123456"), 5, err, sizeof err), -EINVAL);
	assert_string_equal(err, "size 0.123456: 6 decimals (max 5)");
	assert_int_equal(hl_sz_check(fx("1.5"), 0, err, sizeof err), -EINVAL);
	assert_string_equal(err, "size 1.5: 1 decimals (max 0)");
	assert_int_equal(hl_sz_check(0, 2, err, sizeof err), -EINVAL);
	assert_string_equal(err, "size 0: must be > 0");
	assert_int_equal(hl_sz_check(fx("-1"), 2, err, sizeof err), -EINVAL);
	assert_string_equal(err, "size -1: must be > 0");
	assert_int_equal(hl_sz_check(fx("1"), 9, err, sizeof err), -EINVAL);
	assert_string_equal(err, "szDecimals 9: out of range 0..8");
	assert_int_equal(hl_sz_check(fx("100"), 0, err, sizeof err), 0);
}

static void test_wire_min_value(void **state)
{
	(void)state;
	char err[160];
	assert_int_equal(hl_order_value_check(fx("10"), fx("1"), err, sizeof err), 0);
	assert_int_equal(hl_order_value_check(fx("100000"), fx("0.0001"), err, sizeof err), 0);
	assert_int_equal(hl_order_value_check(fx("99999"), fx("0.0001"), err, sizeof err), -EINVAL);
	assert_string_equal(err,
			    "order value 9.9999 (price 99999 x size 0.0001): below the minimum 10");
	assert_int_equal(hl_order_value_check(fx("9.99"), fx("1"), err, sizeof err), -EINVAL);
	assert_string_equal(err, "order value 9.99 (price 9.99 x size 1): below the minimum 10");
	/* 0.00000001 x 999999999.99999999 is just below 10 once truncated */
	assert_int_equal(hl_order_value_check(1, fx("99999999.99999999"), err, sizeof err), -EINVAL);
	assert_int_equal(hl_order_value_check(INT64_MAX, INT64_MAX, err, sizeof err), 0);
	assert_int_equal(hl_order_value_check(0, fx("1"), err, sizeof err), -EINVAL);
	assert_string_equal(err, "order value: price and size must be > 0");
}

static void test_wire_px_to_wire(void **state)
{
	(void)state;
	char buf[HAT_FX_STRLEN], err[128];
	assert_int_equal(hl_px_to_wire(fx("1670.1"), 2, false, buf, sizeof buf, err, sizeof err), 6);
	assert_string_equal(buf, "1670.1");
	assert_int_equal(hl_px_to_wire(fx("100.0"), 2, false, buf, sizeof buf, err, sizeof err), 3);
	assert_string_equal(buf, "100");
	assert_int_equal(hl_px_to_wire(fx("1670.12"), 2, false, buf, sizeof buf, err, sizeof err),
			 -EINVAL);
	assert_string_equal(err, "price 1670.12: 6 significant figures (max 5)");
	char small[3];
	assert_int_equal(hl_px_to_wire(fx("100"), 2, false, small, sizeof small, err, sizeof err),
			 -ENOSPC);
}

static void test_wire_asset_is_spot(void **state)
{
	(void)state;
	assert_false(hl_asset_is_spot(0));
	assert_false(hl_asset_is_spot(9999));
	assert_true(hl_asset_is_spot(10000));
	assert_true(hl_asset_is_spot(10107));
	assert_false(hl_asset_is_spot(110000));
}

/* ---------------------------------------------------------------- cloid, address */

static void test_wire_cloid_round_trip(void **state)
{
	(void)state;
	const char *s = "0x0000000000000000000000000000002a";
	uint8_t c[HL_CLOID_LEN], want[HL_CLOID_LEN] = { 0 };
	char err[128], out[HL_CLOID_STRLEN];
	want[15] = 0x2a;
	assert_int_equal(hl_cloid_parse(s, strlen(s), c, err, sizeof err), 0);
	assert_memory_equal(c, want, 16);
	hl_cloid_format(c, out);
	assert_string_equal(out, s);
	hl_cloid_from_u64(42, c);
	assert_memory_equal(c, want, 16);
	const char *t = "0x0123456789abcdeffedcba9876543210";
	assert_int_equal(hl_cloid_parse(t, strlen(t), c, err, sizeof err), 0);
	assert_int_equal(c[0], 0x01);
	assert_int_equal(c[7], 0xef);
	assert_int_equal(c[15], 0x10);
	hl_cloid_format(c, out);
	assert_string_equal(out, t);
	hl_cloid_from_u64(UINT64_MAX, c);
	hl_cloid_format(c, out);
	assert_string_equal(out, "0x0000000000000000ffffffffffffffff");
}

static void test_wire_cloid_rejects(void **state)
{
	(void)state;
	static const struct { const char *s, *err; } bad[] = {
		{ "0x0000000000000000000000000000002A",
		  "cloid \"0x0000000000000000000000000000002A\": uppercase at position 33 (expected 0x "
		  "and 32 lowercase hex digits)" },
		{ "0X0000000000000000000000000000002a",
		  "cloid \"0X0000000000000000000000000000002a\": uppercase at position 1 (expected 0x "
		  "and 32 lowercase hex digits)" },
		{ "0x000000000000000000000000000002a",
		  "cloid \"0x000000000000000000000000000002a\": expected 0x and 32 hex digits (got 31)" },
		{ "0x00000000000000000000000000000002a",
		  "cloid \"0x00000000000000000000000000000002a\": expected 0x and 32 hex digits (got 33)" },
		{ "000000000000000000000000000000002a",
		  "cloid \"000000000000000000000000000000002a\": must start with 0x" },
		{ "0xg000000000000000000000000000002a",
		  "cloid \"0xg000000000000000000000000000002a\": not a hex digit at position 2" },
		{ "", "cloid \"\": must start with 0x" },
		{ "0x", "cloid \"0x\": expected 0x and 32 hex digits (got 0)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t c[HL_CLOID_LEN];
		memset(c, 0x55, sizeof c);
		char err[160] = "";
		assert_int_equal(hl_cloid_parse(bad[i].s, strlen(bad[i].s), c, err, sizeof err),
				 HAT_E_PARSE);
		assert_string_equal(err, bad[i].err);
		assert_int_equal(c[0], 0x55); /* untouched */
	}
}

static void test_wire_address(void **state)
{
	(void)state;
	const char *mixed = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4";
	uint8_t a[HL_ADDR_LEN];
	char err[160], out[HL_ADDR_STRLEN];
	assert_int_equal(hl_addr_parse(mixed, strlen(mixed), a, err, sizeof err), 0);
	assert_int_equal(a[0], 0x5b);
	assert_int_equal(a[19], 0xc4);
	hl_addr_format(a, out);
	assert_string_equal(out, "0x5b38da6a701c568545dcfcb03fcb875f56beddc4");
	assert_int_equal(hl_addr_parse("0X5B38DA6A701C568545DCFCB03FCB875F56BEDDC4", 42, a, err,
				       sizeof err), 0);
	assert_int_equal(hl_addr_parse(mixed, 41, a, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "address \"0x5B38Da6a701c568545dCfcB03FcB875f56beddC\": expected 0x "
				 "and 40 hex digits (got 39)");
	assert_int_equal(hl_addr_parse("0x5B38Da6a701c568545dCfcB03FcB875f56beddCz", 42, a, err,
				       sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "address \"0x5B38Da6a701c568545dCfcB03FcB875f56beddCz\": not a hex "
				 "digit at position 41");
	uint8_t h[32];
	assert_int_equal(hl_hash_parse("0xa166e3fa63c25663024b03f2e0da011a00307e4017465df020210d3d432e7cb8",
				       66, h, err, sizeof err), 0);
	assert_int_equal(h[0], 0xa1);
	assert_int_equal(h[31], 0xb8);
	assert_int_equal(hl_hash_parse("0xa166", 6, h, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "hash \"0xa166\": expected 0x and 64 hex digits (got 4)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_px_check_table),
		cmocka_unit_test(test_wire_px_max_decimals),
		cmocka_unit_test(test_wire_px_tick),
		cmocka_unit_test(test_wire_px_round_table),
		cmocka_unit_test(test_wire_px_round_always_valid),
		cmocka_unit_test(test_wire_round_passive_aggressive),
		cmocka_unit_test(test_wire_sz_round_each_decimals),
		cmocka_unit_test(test_wire_sz_check),
		cmocka_unit_test(test_wire_min_value),
		cmocka_unit_test(test_wire_px_to_wire),
		cmocka_unit_test(test_wire_asset_is_spot),
		cmocka_unit_test(test_wire_cloid_round_trip),
		cmocka_unit_test(test_wire_cloid_rejects),
		cmocka_unit_test(test_wire_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
