/* tests/unit/test_hlsim_account.c -- positions (average entry, realized PnL, flips), fees,
 * unrealized PnL, margin and the "Insufficient margin" rejection, exact values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/fixed.h"
#include "tests/unit/hlsim_test_util.h"
#include "tools/hlsim/account.h"

#define SOL 2
#define USD(x) ((int64_t)(x) * HAT_FX_ONE)

static void test_account_entry_average_pnl_and_flip(void **state)
{
	(void)state;
	struct hlsim_config c;
	hlsim_config_defaults(&c);
	uint8_t addr[20] = { 1 };
	struct hlsim_account *a = hlsim_account_new(&c, addr, USD(1000));
	assert_non_null(a);
	assert_int_equal(a->pos[0].leverage, 20); /* BTC max 40 -> default 20 */
	assert_int_equal(a->pos[SOL].leverage, 20);
	struct hlsim_fill_math m;
	hlsim_account_apply_fill(a, SOL, true, USD(100), USD(2), 0, &m);
	assert_int_equal(m.dir, HLSIM_DIR_OPEN_LONG);
	hlsim_account_apply_fill(a, SOL, true, USD(130), USD(1), 0, &m);
	assert_true(m.start_pos == USD(2));
	assert_true(hlsim_position_entry_px(&a->pos[SOL]) == USD(110));
	hlsim_account_apply_fill(a, SOL, false, USD(120), hts_fx("1.5"), 0, &m);
	assert_int_equal(m.dir, HLSIM_DIR_CLOSE_LONG);
	assert_true(m.closed_pnl == USD(15));
	assert_true(a->pos[SOL].szi == hts_fx("1.5"));
	assert_true(hlsim_position_entry_px(&a->pos[SOL]) == USD(110));
	/* sell 3 at 100: closes 1.5 (-15) and opens 1.5 short at 100 */
	hlsim_account_apply_fill(a, SOL, false, USD(100), USD(3), 0, &m);
	assert_int_equal(m.dir, HLSIM_DIR_LONG_TO_SHORT);
	assert_true(m.closed_pnl == -USD(15));
	assert_true(a->pos[SOL].szi == -hts_fx("1.5"));
	assert_true(hlsim_position_entry_px(&a->pos[SOL]) == USD(100));
	assert_true(hlsim_position_upnl(&a->pos[SOL], USD(96)) == USD(6));
	hlsim_account_apply_fill(a, SOL, true, USD(90), hts_fx("1.5"), 0, &m);
	assert_int_equal(m.dir, HLSIM_DIR_CLOSE_SHORT);
	assert_true(m.closed_pnl == USD(15));
	assert_true(a->pos[SOL].szi == 0 && a->pos[SOL].entry_ntl == 0);
	assert_true(a->usdc == USD(1015));
	/* volume: 200 + 130 + 180 + 300 + 135 */
	assert_true(a->cum_vlm == USD(945));
	assert_string_equal(hlsim_dir_name(HLSIM_DIR_SHORT_TO_LONG), "Short > Long");
	hlsim_account_free(a);
}

static void test_account_fee_rounding(void **state)
{
	(void)state;
	assert_true(hlsim_fee(USD(100), USD(2), 45000) == hts_fx("0.09"));
	assert_true(hlsim_fee(USD(100), USD(2), 15000) == hts_fx("0.03"));
	assert_true(hlsim_fee(USD(100), USD(2), -2000) == -hts_fx("0.004"));
	/* 0.00000001 x 1 x 0.00045 rounds toward zero */
	assert_true(hlsim_fee(1, USD(1), 45000) == 0);
}

static void test_account_fees_charged_to_maker_and_taker(void **state)
{
	(void)state;
	struct hts t;
	hts_init(&t, USD(1000), false);
	uint32_t mk = hts_account(&t, 1, USD(1000));
	hts_place(&t, mk, SOL, false, "100", "10", HLSIM_TIF_GTC, false);
	struct hlsim_place_result r = hts_place(&t, t.acct, SOL, true, "100", "10", HLSIM_TIF_IOC, false);
	assert_int_equal(r.kind, HLSIM_PLACED_FILLED);
	assert_true(t.e->acct[t.acct]->usdc == USD(1000) - hts_fx("0.45"));
	assert_true(t.e->acct[mk]->usdc == USD(1000) - hts_fx("0.15"));
	assert_true(hlsim_account_fill(t.e->acct[t.acct], 0)->fee == hts_fx("0.45"));
	assert_true(hlsim_account_fill(t.e->acct[mk], 0)->fee == hts_fx("0.15"));
	hts_deinit(&t);
}

static void test_account_insufficient_margin_rejected(void **state)
{
	(void)state;
	struct hts t;
	hts_init(&t, USD(100), false); /* $100 at 20x: $2000 of SOL */
	struct hlsim_place_result r = hts_place(&t, t.acct, SOL, true, "100", "21", HLSIM_TIF_GTC, false);
	assert_int_equal(r.kind, HLSIM_PLACED_ERROR);
	assert_string_equal(r.err, "Insufficient margin to place order.");
	r = hts_place(&t, t.acct, SOL, true, "100", "19", HLSIM_TIF_GTC, false);
	assert_int_equal(r.kind, HLSIM_PLACED_RESTING);
	assert_true(hlsim_account_order_margin(t.e->acct[t.acct]) == USD(95));
	r = hts_place(&t, t.acct, SOL, true, "100", "1", HLSIM_TIF_GTC, false);
	assert_int_equal(r.kind, HLSIM_PLACED_RESTING); /* exactly the $5 left */
	r = hts_place(&t, t.acct, SOL, true, "100", "0.1", HLSIM_TIF_GTC, false);
	assert_string_equal(r.err, "Insufficient margin to place order.");
	/* with no position to reduce, a sell needs margin too */
	r = hts_place(&t, t.acct, SOL, false, "200", "1", HLSIM_TIF_GTC, false);
	assert_string_equal(r.err, "Insufficient margin to place order.");
	hts_deinit(&t);
}

static void test_account_margin_follows_leverage_and_mark(void **state)
{
	(void)state;
	struct hts t;
	hts_init(&t, USD(1000), false);
	uint32_t mk = hts_account(&t, 1, USD(100000));
	hts_place(&t, mk, SOL, false, "100", "10", HLSIM_TIF_GTC, false);
	hts_place(&t, t.acct, SOL, true, "100", "10", HLSIM_TIF_IOC, false);
	/* book 104 / 106: mark 105 */
	hts_place(&t, mk, SOL, true, "104", "1", HLSIM_TIF_GTC, false);
	hts_place(&t, mk, SOL, false, "106", "1", HLSIM_TIF_GTC, false);
	int64_t marks[HLSIM_MAX_COINS];
	hlsim__marks(t.e, marks);
	assert_true(marks[SOL] == USD(105));
	const struct hlsim_account *a = t.e->acct[t.acct];
	assert_true(hlsim_account_value(a, marks, 3) == USD(1050) - hts_fx("0.45"));
	assert_true(hlsim_account_pos_margin(a, marks, 3) == hts_fx("52.5")); /* 1050 / 20 */
	t.e->acct[t.acct]->pos[SOL].leverage = 5;
	assert_true(hlsim_account_pos_margin(a, marks, 3) == USD(210));
	hts_deinit(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_account_entry_average_pnl_and_flip),
		cmocka_unit_test(test_account_fee_rounding),
		cmocka_unit_test(test_account_fees_charged_to_maker_and_taker),
		cmocka_unit_test(test_account_insufficient_margin_rejected),
		cmocka_unit_test(test_account_margin_follows_leverage_and_mark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
