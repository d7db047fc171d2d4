/* tests/unit/test_hlsim_match.c -- matching through the engine's placement path: price-time
 * priority, partial fills, ALO rejection, IOC remainder, reduce-only, self-trade (expire
 * maker), trigger orders. Coin SOL (asset 2, szDecimals 2) throughout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/fixed.h"
#include "tests/unit/hlsim_test_util.h"

#define SOL 2
#define USD(x) ((int64_t)(x) * HAT_FX_ONE)

static int setup(void **state)
{
	struct hts *t = calloc(1, sizeof *t);
	hts_init(t, USD(100000), false);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	hts_deinit(*state);
	free(*state);
	return 0;
}

static const struct hlsim_done *done_of(struct hts *t, uint32_t acct, uint64_t oid)
{
	return hlsim_account_find_done(t->e->acct[acct], oid, NULL);
}

static void test_match_price_time_priority_and_avg_px(void **state)
{
	struct hts *t = *state;
	uint32_t a = hts_account(t, 1, USD(100000)), a2 = hts_account(t, 2, USD(100000));
	uint32_t b = hts_account(t, 3, USD(100000));
	struct hlsim_place_result r1 = hts_place(t, a, SOL, false, "101", "1", HLSIM_TIF_GTC, false);
	struct hlsim_place_result r2 = hts_place(t, a2, SOL, false, "101", "1", HLSIM_TIF_GTC, false);
	struct hlsim_place_result r3 = hts_place(t, a, SOL, false, "100", "1", HLSIM_TIF_GTC, false);
	assert_int_equal(r1.kind, HLSIM_PLACED_RESTING);
	assert_true(r2.oid > r1.oid && r3.oid > r2.oid);
	struct hlsim_place_result rb = hts_place(t, b, SOL, true, "101", "2.5", HLSIM_TIF_IOC, false);
	assert_int_equal(rb.kind, HLSIM_PLACED_FILLED);
	assert_true(rb.total_sz == hts_fx("2.5"));
	assert_true(rb.avg_px == hts_fx("100.6")); /* (100 + 101 + 50.5) / 2.5 */
	/* oid r3 (best price) and r1 (older at 101) are gone, r2 keeps 0.5 */
	assert_string_equal(done_of(t, a, r3.oid)->status, "filled");
	assert_string_equal(done_of(t, a, r1.oid)->status, "filled");
	struct hlsim_order *o2 = hlsim_oidmap_get(&t->e->oids, r2.oid);
	assert_non_null(o2);
	assert_true(o2->sz == hts_fx("0.5"));
	/* the taker's three fills, newest first: 0.5@101 (r2), 1@101 (r1), 1@100 (r3) */
	const struct hlsim_fill *f = hlsim_account_fill(t->e->acct[b], 0);
	assert_true(f->oid == rb.oid && f->px == USD(101) && f->sz == hts_fx("0.5") && f->crossed);
	f = hlsim_account_fill(t->e->acct[b], 2);
	assert_true(f->px == USD(100) && f->sz == USD(1));
	assert_true(hlsim_account_fill(t->e->acct[a2], 0)->oid == r2.oid);
	assert_false(hlsim_account_fill(t->e->acct[a2], 0)->crossed);
	assert_true(t->e->acct[b]->pos[SOL].szi == hts_fx("2.5"));
	assert_true(t->e->acct[a]->pos[SOL].szi == -USD(2));
	assert_true(hlsim_book_check(&t->e->mk[SOL].book));
}

static void test_match_partial_fill_then_rests(void **state)
{
	struct hts *t = *state;
	uint32_t a = hts_account(t, 1, USD(100000)), b = hts_account(t, 2, USD(100000));
	hts_place(t, a, SOL, false, "100", "1", HLSIM_TIF_GTC, false);
	struct hlsim_place_result r = hts_place(t, b, SOL, true, "101", "3", HLSIM_TIF_GTC, false);
	assert_int_equal(r.kind, HLSIM_PLACED_RESTING);
	assert_true(r.total_sz == USD(1));
	const struct hlsim_order *bid = hlsim_book_best(&t->e->mk[SOL].book, true);
	assert_true(bid->oid == r.oid && bid->px == USD(101) && bid->sz == USD(2) &&
		    bid->orig_sz == USD(3));
	assert_null(hlsim_book_best(&t->e->mk[SOL].book, false));
}

static void test_match_alo_rejected_when_crossing_with_bbo_text(void **state)
{
	struct hts *t = *state;
	uint32_t a = hts_account(t, 1, USD(100000));
	hts_place(t, a, SOL, false, "101", "1", HLSIM_TIF_GTC, false);
	struct hlsim_place_result r = hts_place(t, t->acct, SOL, true, "101", "1", HLSIM_TIF_ALO, false);
	assert_int_equal(r.kind, HLSIM_PLACED_ERROR);
	assert_string_equal(r.err, "Post only order would have immediately matched, bbo was None@101");
	hts_place(t, a, SOL, true, "99.5", "1", HLSIM_TIF_GTC, false);
	r = hts_place(t, t->acct, SOL, true, "102", "1", HLSIM_TIF_ALO, false);
	assert_string_equal(r.err, "Post only order would have immediately matched, bbo was 99.5@101");
	r = hts_place(t, t->acct, SOL, true, "100.99", "1", HLSIM_TIF_ALO, false);
	assert_int_equal(r.kind, HLSIM_PLACED_RESTING);
}

static void test_match_ioc_no_match_and_remainder_canceled(void **state)
{
	struct hts *t = *state;
	uint32_t a = hts_account(t, 1, USD(100000));
	struct hlsim_place_result r = hts_place(t, t->acct, SOL, true, "100", "1", HLSIM_TIF_IOC, false);
	assert_int_equal(r.kind, HLSIM_PLACED_ERROR);
	assert_string_equal(r.err, "Order could not immediately match against any resting orders.");
	hts_place(t, a, SOL, false, "100", "0.4", HLSIM_TIF_GTC, false);
	hts_place(t, a, SOL, false, "103", "5", HLSIM_TIF_GTC, false);
	r = hts_place(t, t->acct, SOL, true, "101", "1", HLSIM_TIF_IOC, false);
	assert_int_equal(r.kind, HLSIM_PLACED_FILLED);
	assert_true(r.total_sz == hts_fx("0.4"));
	assert_null(hlsim_book_best(&t->e->mk[SOL].book, true));
	assert_null(hlsim_oidmap_get(&t->e->oids, r.oid));
	assert_string_equal(done_of(t, t->acct, r.oid)->status, "canceled");
	assert_true(done_of(t, t->acct, r.oid)->o.sz == hts_fx("0.6"));
}

static void test_match_reduce_only(void **state)
{
	struct hts *t = *state;
	uint32_t a = hts_account(t, 1, USD(100000));
	struct hlsim_place_result r = hts_place(t, t->acct, SOL, false, "100", "1", HLSIM_TIF_GTC, true);
	assert_int_equal(r.kind, HLSIM_PLACED_ERROR);
	assert_string_equal(r.err, "Reduce only order would increase position.");
	/* get long 2, then a reduce-only sell of 5 only trades 2 */
	hts_place(t, a, SOL, false, "100", "2", HLSIM_TIF_GTC, false);
	hts_place(t, t->acct, SOL, true, "100", "2", HLSIM_TIF_IOC, false);
	assert_true(t->e->acct[t->acct]->pos[SOL].szi == USD(2));
	hts_place(t, a, SOL, true, "99", "10", HLSIM_TIF_GTC, false);
	r = hts_place(t, t->acct, SOL, true, "100", "1", HLSIM_TIF_GTC, true);
	assert_string_equal(r.err, "Reduce only order would increase position.");
	r = hts_place(t, t->acct, SOL, false, "99", "5", HLSIM_TIF_IOC, true);
	assert_int_equal(r.kind, HLSIM_PLACED_FILLED);
	assert_true(r.total_sz == USD(2));
	assert_true(t->e->acct[t->acct]->pos[SOL].szi == 0);
	assert_true(hlsim_book_best(&t->e->mk[SOL].book, true)->sz == USD(8));
}

static void test_match_self_trade_expires_maker(void **state)
{
	struct hts *t = *state;
	uint32_t a = hts_account(t, 1, USD(100000));
	struct hlsim_place_result mine = hts_place(t, t->acct, SOL, false, "100", "1", HLSIM_TIF_GTC, false);
	hts_place(t, a, SOL, false, "100.5", "1", HLSIM_TIF_GTC, false);
	struct hlsim_place_result r = hts_place(t, t->acct, SOL, true, "100.5", "1.5", HLSIM_TIF_GTC, false);
	/* own ask at 100 canceled, 1 traded with the other account at 100.5, 0.5 rests */
	assert_string_equal(done_of(t, t->acct, mine.oid)->status, "selfTradeCanceled");
	assert_int_equal(r.kind, HLSIM_PLACED_RESTING);
	assert_true(r.total_sz == USD(1) && r.avg_px == hts_fx("100.5"));
	assert_true(t->e->acct[t->acct]->pos[SOL].szi == USD(1));
	assert_null(hlsim_book_best(&t->e->mk[SOL].book, false));
	assert_true(hlsim_book_best(&t->e->mk[SOL].book, true)->sz == hts_fx("0.5"));
}

static void test_match_stop_market_triggers_on_mark(void **state)
{
	struct hts *t = *state;
	uint32_t a = hts_account(t, 1, USD(100000));
	hts_place(t, a, SOL, false, "100", "1", HLSIM_TIF_GTC, false);
	hts_place(t, t->acct, SOL, true, "100", "1", HLSIM_TIF_IOC, false);
	/* book 99 / 101: mark 100 */
	hts_place(t, a, SOL, true, "99", "5", HLSIM_TIF_GTC, false);
	hts_place(t, a, SOL, false, "101", "5", HLSIM_TIF_GTC, false);
	struct hlsim_order_req q = { .coin = SOL, .is_buy = false, .px = USD(90), .sz = USD(1),
				     .reduce_only = true, .is_trigger = true, .trig_market = true,
				     .trig_tp = false, .trigger_px = USD(95) };
	struct hlsim_place_result r;
	assert_int_equal(hlsim__place(t->e, t->acct, &q, true, &r), 0);
	assert_int_equal(r.kind, HLSIM_PLACED_TRIGGER);
	assert_int_equal(t->e->mk[SOL].book.triggers.n, 1);
	hlsim_tick(t->e, t->now + 1);
	assert_int_equal(t->e->mk[SOL].book.triggers.n, 1);
	/* the bid side drops: mid (94 + 95.5) / 2 = 94.75 <= 95 fires the stop */
	struct hlsim_order *bid = hlsim_book_best(&t->e->mk[SOL].book, true);
	hlsim__cancel(t->e, bid, "canceled");
	struct hlsim_order *ask = hlsim_book_best(&t->e->mk[SOL].book, false);
	hlsim__cancel(t->e, ask, "canceled");
	hts_place(t, a, SOL, false, "95.5", "5", HLSIM_TIF_GTC, false);
	hts_place(t, a, SOL, true, "94", "5", HLSIM_TIF_GTC, false);
	hlsim_tick(t->e, t->now + 2);
	assert_int_equal(t->e->mk[SOL].book.triggers.n, 0);
	assert_true(t->e->acct[t->acct]->pos[SOL].szi == 0);
	const struct hlsim_done *d = done_of(t, t->acct, r.oid);
	assert_non_null(d);
	assert_string_equal(d->status, "filled");
	assert_true(hlsim_account_fill(t->e->acct[t->acct], 0)->px == USD(94));
}

static void test_match_cloid_unique_among_live_orders(void **state)
{
	struct hts *t = *state;
	struct hlsim_order_req q = { .coin = SOL, .is_buy = true, .px = USD(90), .sz = USD(1),
				     .tif = HLSIM_TIF_GTC, .has_cloid = true };
	q.cloid[15] = 42;
	struct hlsim_place_result r, r2;
	assert_int_equal(hlsim__place(t->e, t->acct, &q, true, &r), 0);
	assert_int_equal(r.kind, HLSIM_PLACED_RESTING);
	assert_int_equal(hlsim__place(t->e, t->acct, &q, true, &r2), 0);
	assert_int_equal(r2.kind, HLSIM_PLACED_ERROR);
	assert_string_equal(r2.err, "Duplicate cloid: an open order already uses this cloid.");
	hlsim__cancel(t->e, hlsim_oidmap_get(&t->e->oids, r.oid), "canceled");
	assert_int_equal(hlsim__place(t->e, t->acct, &q, true, &r2), 0);
	assert_int_equal(r2.kind, HLSIM_PLACED_RESTING);
	assert_true(r2.oid > r.oid);
}

static void test_match_tick_size_min_value_and_lot(void **state)
{
	struct hts *t = *state;
	struct hlsim_place_result r = hts_place(t, t->acct, SOL, true, "100.123", "1", HLSIM_TIF_GTC, false);
	assert_string_equal(r.err, "Price must be divisible by tick size.");
	r = hts_place(t, t->acct, SOL, true, "100.01", "0.001", HLSIM_TIF_GTC, false);
	assert_string_equal(r.err, "Order has invalid size.");
	r = hts_place(t, t->acct, SOL, true, "9.99", "1", HLSIM_TIF_GTC, false);
	assert_string_equal(r.err, "Order must have minimum value of $10.");
	r = hts_place(t, t->acct, SOL, true, "10", "1", HLSIM_TIF_GTC, false);
	assert_int_equal(r.kind, HLSIM_PLACED_RESTING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_match_price_time_priority_and_avg_px, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_partial_fill_then_rests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_alo_rejected_when_crossing_with_bbo_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_ioc_no_match_and_remainder_canceled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_reduce_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_self_trade_expires_maker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_stop_market_triggers_on_mark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_cloid_unique_among_live_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_tick_size_min_value_and_lot, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
