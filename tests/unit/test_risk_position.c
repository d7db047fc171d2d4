/* tests/unit/test_risk_position.c -- positions and PnL from fills (hand-computed, exact to
 * 1e-8), working-order book-keeping from exec events, fill de-duplication. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "riskd/pnl.h"
#include "riskd/position.h"

#define FX(x) ((int64_t)((x) * 100000000.0 + ((x) < 0 ? -0.5 : 0.5)))
#define ONE HAT_FX_ONE

/* ---------------------------------------------------------------- pnl.h */

static void test_pnl_muldiv_rounds_half_away_from_zero(void **state)
{
	(void)state;
	assert_int_equal(risk_pnl_muldiv(1, 1, 2), 1);
	assert_int_equal(risk_pnl_muldiv(-1, 1, 2), -1);
	assert_int_equal(risk_pnl_muldiv(1, 1, 3), 0);
	assert_int_equal(risk_pnl_muldiv(-1, 1, 3), 0);
	assert_int_equal(risk_pnl_muldiv(2, 1, 3), 1);
	assert_int_equal(risk_pnl_muldiv(5, 1, -2), -3);
	assert_true(risk_pnl_muldiv(HAT_FX_MAX, HAT_FX_MAX, 1) == HAT_FX_MAX);
	assert_true(risk_pnl_muldiv(-HAT_FX_MAX, HAT_FX_MAX, 1) == -HAT_FX_MAX);
}

static void test_pnl_long_add_reduce_flip_short_close(void **state)
{
	(void)state;
	struct risk_pos p = {0};
	/* buy 1 @ 100, fee 0.05 */
	assert_int_equal(risk_pnl_fill(&p, HAT_SIDE_BUY, 100 * ONE, 1 * ONE, 5000000), 0);
	assert_true(p.szi == 1 * ONE && p.entry_px == 100 * ONE && p.realized == 0);
	assert_true(p.fees == 5000000);
	/* buy 3 @ 104: entry (100 + 312) / 4 = 103 */
	assert_int_equal(risk_pnl_fill(&p, HAT_SIDE_BUY, 104 * ONE, 3 * ONE, 15600000), 0);
	assert_true(p.szi == 4 * ONE && p.entry_px == 103 * ONE);
	assert_true(p.fees == 20600000);
	/* sell 1.5 @ 110 (partial reduce): realized 1.5 * 7 = 10.5 */
	assert_true(risk_pnl_fill(&p, HAT_SIDE_SELL, 110 * ONE, 150000000, 0) == 1050000000);
	assert_true(p.szi == 250000000 && p.entry_px == 103 * ONE && p.realized == 1050000000);
	/* sell 4 @ 100: closes 2.5 at -3 each (-7.5), flips to short 1.5 @ 100 */
	assert_true(risk_pnl_fill(&p, HAT_SIDE_SELL, 100 * ONE, 4 * ONE, -2000000) == -750000000);
	assert_true(p.szi == -150000000 && p.entry_px == 100 * ONE);
	assert_true(p.realized == 300000000);
	assert_true(p.fees == 18600000); /* rebate of 0.02 */
	/* sell 0.5 @ 96: short entry (150 + 48) / 2 = 99 */
	assert_int_equal(risk_pnl_fill(&p, HAT_SIDE_SELL, 96 * ONE, 50000000, 0), 0);
	assert_true(p.szi == -2 * ONE && p.entry_px == 99 * ONE);
	/* unrealized at 97: -2 * (97 - 99) = +4 */
	assert_true(risk_pnl_unrealized(&p, 97 * ONE) == 4 * ONE);
	assert_true(risk_pnl_unrealized(&p, 0) == 0);
	/* buy 2 @ 98: closes the short, realized += 2 * (99 - 98) = 2 -> 5 */
	assert_true(risk_pnl_fill(&p, HAT_SIDE_BUY, 98 * ONE, 2 * ONE, 0) == 2 * ONE);
	assert_true(p.szi == 0 && p.entry_px == 0 && p.realized == 5 * ONE);
	assert_true(risk_pnl_unrealized(&p, 97 * ONE) == 0);
	assert_int_equal(p.fills, 6);
	/* volume: 100 + 312 + 165 + 400 + 48 + 196 = 1221 */
	assert_true(p.volume == 1221 * ONE);
}

static void test_pnl_entry_rounds_to_nearest_1e8(void **state)
{
	(void)state;
	struct risk_pos p = {0};
	risk_pnl_fill(&p, HAT_SIDE_BUY, 1 * ONE, 1 * ONE, 0);
	risk_pnl_fill(&p, HAT_SIDE_BUY, 2 * ONE, 2 * ONE, 0);
	/* (1 + 4) / 3 = 1.6666666666.. -> 1.66666667 */
	assert_true(p.entry_px == 166666667);
	/* sell 3 @ 2: 3 * (2 - 1.66666667) = 0.99999999 */
	assert_true(risk_pnl_fill(&p, HAT_SIDE_SELL, 2 * ONE, 3 * ONE, 0) == 99999999);
	assert_true(p.realized == 99999999 && p.szi == 0);
}

static void test_pnl_tiny_sizes_exact(void **state)
{
	(void)state;
	struct risk_pos p = {0};
	/* sell 0.00001 BTC @ 65000.5, buy back @ 64000: realized 0.00001 * 1000.5 = 0.010005 */
	risk_pnl_fill(&p, HAT_SIDE_SELL, 6500050000000LL, 1000, 0);
	assert_true(p.szi == -1000 && p.entry_px == 6500050000000LL);
	assert_true(risk_pnl_fill(&p, HAT_SIDE_BUY, 6400000000000LL, 1000, 0) == 1000500);
	/* 1 unit * 0.5 = 0.5e-8 -> rounds to 1 (half away from zero) */
	struct risk_pos q = {0};
	risk_pnl_fill(&q, HAT_SIDE_BUY, 100 * ONE, 1, 0);
	assert_true(risk_pnl_fill(&q, HAT_SIDE_SELL, 10050000000LL, 1, 0) == 1);
	assert_true(risk_pnl_notional(-3 * ONE, 2 * ONE) == 6 * ONE);
	assert_true(risk_pnl_notional(3 * ONE, 0) == 0);
}

/* ---------------------------------------------------------------- book */

static const char names[2][HAT_COIN_LEN] = {"BTC", "ETH"};
static const uint32_t assets[2] = {0, 1};

static int setup_book(void **state)
{
	static struct risk_book b;
	assert_int_equal(risk_book_init(&b, names, assets, 2, 16, 4), 0);
	*state = &b;
	return 0;
}

static int teardown_book(void **state)
{
	risk_book_free(*state);
	return 0;
}

static struct hat_msg_exec ev(uint8_t kind, uint8_t cloid_id, const char *coin, uint8_t side)
{
	struct hat_msg_exec e;
	memset(&e, 0, sizeof e);
	e.h.type = HAT_MSG_EXEC;
	e.h.version = HAT_MSG_EXEC_VERSION;
	e.h.length = sizeof e;
	e.kind = kind;
	e.cloid[15] = cloid_id;
	strcpy(e.coin, coin);
	e.side = side;
	return e;
}

static struct risk_order ord(uint8_t cloid_id, uint16_t coin, uint8_t side, int64_t px, int64_t sz)
{
	struct risk_order o;
	memset(&o, 0, sizeof o);
	o.cloid[15] = cloid_id;
	o.coin = coin;
	o.side = side;
	o.px = px;
	o.sz = sz;
	o.remaining = sz;
	return o;
}

static void test_book_init_rejects_bad_args(void **state)
{
	(void)state;
	struct risk_book b;
	static const char dup[2][HAT_COIN_LEN] = {"BTC", "BTC"};
	static const char empty[1][HAT_COIN_LEN] = {""};
	assert_int_equal(risk_book_init(&b, dup, NULL, 2, 4, 4), -EINVAL);
	assert_int_equal(risk_book_init(&b, empty, NULL, 1, 4, 4), -EINVAL);
	assert_int_equal(risk_book_init(&b, names, NULL, 0, 4, 4), -EINVAL);
	assert_int_equal(risk_book_init(&b, names, NULL, 2, 0, 4), -EINVAL);
	assert_int_equal(risk_book_init(&b, names, NULL, 2, RISK_MAX_WORKING + 1, 4), -EINVAL);
	assert_int_equal(risk_book_init(&b, names, NULL, 2, 4, 0), -EINVAL);
}

static void test_book_working_orders_exposure_and_counts(void **state)
{
	struct risk_book *b = *state;
	struct risk_order o1 = ord(1, 0, HAT_SIDE_BUY, 100 * ONE, 2 * ONE);
	struct risk_order o2 = ord(2, 0, HAT_SIDE_SELL, 101 * ONE, 1 * ONE);
	struct risk_order o3 = ord(3, 1, HAT_SIDE_BUY, 10 * ONE, 5 * ONE);
	assert_int_equal(risk_book_order_add(b, &o1), 0);
	assert_int_equal(risk_book_order_add(b, &o2), 0);
	assert_int_equal(risk_book_order_add(b, &o3), 0);
	assert_int_equal(risk_book_order_add(b, &o1), -EEXIST);
	assert_int_equal(risk_book_open_orders(b), 3);
	assert_int_equal(b->coins[0].open_orders, 2);
	assert_true(b->coins[0].work_buy == 2 * ONE && b->coins[0].work_sell == 1 * ONE);
	assert_true(b->coins[1].work_buy == 5 * ONE);
	assert_int_equal(risk_book_order_set_remaining(b, o1.cloid, ONE / 2), 0);
	assert_true(b->coins[0].work_buy == ONE / 2);
	assert_int_equal(risk_book_order_remove(b, o2.cloid), 0);
	assert_int_equal(risk_book_order_remove(b, o2.cloid), -ENOENT);
	assert_true(b->coins[0].work_sell == 0);
	assert_int_equal(b->coins[0].open_orders, 1);
	assert_int_equal(risk_book_order_set_remaining(b, o1.cloid, 0), 0);
	assert_null(risk_book_order_find(b, o1.cloid));
	assert_int_equal(risk_book_open_orders(b), 1);
	assert_true(b->coins[0].work_buy == 0);
	assert_true(risk_book_check(b));
	b->coins[1].work_buy++; /* a corrupted total is caught */
	assert_false(risk_book_check(b));
	b->coins[1].work_buy--;
	assert_true(risk_book_check(b));
}

static void test_book_full_returns_enospc(void **state)
{
	struct risk_book *b = *state;
	for (int i = 0; i < 16; i++) {
		struct risk_order o = ord((uint8_t)(i + 1), 0, HAT_SIDE_BUY, ONE, ONE);
		assert_int_equal(risk_book_order_add(b, &o), 0);
	}
	struct risk_order o = ord(99, 0, HAT_SIDE_BUY, ONE, ONE);
	assert_int_equal(risk_book_order_add(b, &o), -ENOSPC);
	assert_int_equal(b->orders_full, 1);
	/* freeing a slot makes room again */
	struct risk_order first = ord(1, 0, HAT_SIDE_BUY, ONE, ONE);
	assert_int_equal(risk_book_order_remove(b, first.cloid), 0);
	assert_int_equal(risk_book_order_add(b, &o), 0);
}

static void test_book_exec_events_drive_working_orders(void **state)
{
	struct risk_book *b = *state;
	int coin = -2;
	struct risk_order o1 = ord(1, 0, HAT_SIDE_BUY, 100 * ONE, 2 * ONE);
	assert_int_equal(risk_book_order_add(b, &o1), 0);

	struct hat_msg_exec e = ev(HAT_EXEC_ACK, 1, "BTC", HAT_SIDE_BUY);
	e.oid = 777;
	e.px = 100 * ONE;
	e.sz = 2 * ONE;
	e.remaining_sz = 2 * ONE;
	assert_int_equal(risk_book_on_exec(b, &e, &coin), RISK_EXEC_APPLIED);
	assert_int_equal(coin, 0);
	struct risk_order *w = risk_book_order_find(b, o1.cloid);
	assert_non_null(w);
	assert_int_equal(w->acked, 1);
	assert_int_equal(w->oid, 777);

	/* partial fill 0.5 of 2: remaining 1.5 */
	e = ev(HAT_EXEC_FILL, 1, "BTC", HAT_SIDE_BUY);
	e.px = 100 * ONE;
	e.sz = ONE / 2;
	e.remaining_sz = 150000000;
	e.fee = 1000000;
	e.tid = 5001;
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_POS_CHANGED);
	assert_true(b->coins[0].pos.szi == ONE / 2);
	assert_true(b->coins[0].work_buy == 150000000);
	/* the same fill again: ignored */
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_DUPLICATE);
	assert_true(b->coins[0].pos.szi == ONE / 2 && b->coins[0].pos.fees == 1000000);
	assert_int_equal(b->dup_fills, 1);
	/* final fill of the rest */
	e.tid = 5002;
	e.sz = 150000000;
	e.remaining_sz = 0;
	e.flags = HAT_EXEC_F_FINAL;
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_POS_CHANGED);
	assert_true(b->coins[0].pos.szi == 2 * ONE);
	assert_null(risk_book_order_find(b, o1.cloid));
	assert_true(b->coins[0].work_buy == 0);

	/* ACK of an order riskd never approved (before a restart): learned */
	e = ev(HAT_EXEC_ACK, 9, "ETH", HAT_SIDE_SELL);
	e.px = 11 * ONE;
	e.sz = 3 * ONE;
	e.remaining_sz = 3 * ONE;
	assert_int_equal(risk_book_on_exec(b, &e, &coin), RISK_EXEC_APPLIED);
	assert_int_equal(coin, 1);
	assert_true(b->coins[1].work_sell == 3 * ONE);
	/* REPLACED: 9 -> 10 with 2 remaining */
	e = ev(HAT_EXEC_REPLACED, 10, "ETH", HAT_SIDE_SELL);
	e.orig_cloid[15] = 9;
	e.px = 12 * ONE;
	e.sz = 2 * ONE;
	e.remaining_sz = 2 * ONE;
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_APPLIED);
	assert_true(b->coins[1].work_sell == 2 * ONE);
	assert_int_equal(b->coins[1].open_orders, 1);
	/* CANCEL_REJECT changes nothing; CANCELED removes; REJECT of unknown is harmless */
	e = ev(HAT_EXEC_CANCEL_REJECT, 10, "ETH", HAT_SIDE_SELL);
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_APPLIED);
	assert_int_equal(b->coins[1].open_orders, 1);
	e = ev(HAT_EXEC_CANCELED, 10, "ETH", HAT_SIDE_SELL);
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_APPLIED);
	assert_int_equal(b->coins[1].open_orders, 0);
	assert_true(b->coins[1].work_sell == 0);
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_APPLIED);
	e = ev(HAT_EXEC_REJECT, 11, "ETH", HAT_SIDE_SELL);
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_APPLIED);
	assert_int_equal(risk_book_open_orders(b), 0);
	assert_true(risk_book_check(b));

	/* a snapshot row without remaining_sz counts its whole size */
	e = ev(HAT_EXEC_OPEN_ORDER, 12, "BTC", HAT_SIDE_SELL);
	e.px = 101 * ONE;
	e.sz = 3 * ONE;
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_APPLIED);
	assert_true(b->coins[0].work_sell == 3 * ONE);
	assert_int_equal(risk_book_order_remove(b, e.cloid), 0);

	e = ev(HAT_EXEC_FILL, 1, "DOGE", HAT_SIDE_BUY);
	assert_int_equal(risk_book_on_exec(b, &e, &coin), RISK_EXEC_UNKNOWN_COIN);
	assert_int_equal(coin, -1);
	assert_int_equal(b->unknown_coin_events, 1);
}

static void test_book_fill_dedup_window_and_identity(void **state)
{
	struct risk_book *b = *state; /* dedup window 4 */
	struct hat_msg_exec e = ev(HAT_EXEC_FILL, 1, "BTC", HAT_SIDE_BUY);
	e.px = 100 * ONE;
	e.sz = ONE;
	for (uint64_t tid = 1; tid <= 5; tid++) {
		e.tid = tid;
		assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_POS_CHANGED);
	}
	/* 2..5 remembered, 1 evicted */
	e.tid = 3;
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_DUPLICATE);
	e.tid = 1;
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_POS_CHANGED);
	/* same tid, other order: a different fill */
	e.tid = 4;
	e.cloid[15] = 2;
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_POS_CHANGED);
	/* tid 0: never de-duplicated */
	e.tid = 0;
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_POS_CHANGED);
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_POS_CHANGED);
	assert_int_equal(b->fills_no_tid, 2);
	assert_true(b->coins[0].pos.szi == 9 * ONE);
	assert_int_equal(b->dup_fills, 1);
}

static void test_book_total_pnl_and_position_msg(void **state)
{
	struct risk_book *b = *state;
	struct hat_msg_exec e = ev(HAT_EXEC_FILL, 1, "BTC", HAT_SIDE_BUY);
	e.px = 100 * ONE; e.sz = 2 * ONE; e.fee = 10000000; e.tid = 1; e.exch_time_ms = 1234;
	risk_book_on_exec(b, &e, NULL);
	e.side = HAT_SIDE_SELL; e.px = 103 * ONE; e.sz = ONE; e.fee = 5000000; e.tid = 2;
	risk_book_on_exec(b, &e, NULL); /* realized +3 */
	e = ev(HAT_EXEC_FILL, 2, "ETH", HAT_SIDE_SELL);
	e.px = 10 * ONE; e.sz = 4 * ONE; e.fee = -1000000; e.tid = 3;
	risk_book_on_exec(b, &e, NULL);
	risk_book_set_mark(b, 0, 99 * ONE, 1);
	risk_book_set_mark(b, 1, 1050000000, 1); /* 10.5 */
	/* BTC: realized 3, unrealized 1 * (99 - 100) = -1, fees 0.15
	 * ETH: unrealized -4 * 0.5 = -2, fees -0.01 */
	assert_true(risk_book_unrealized(b, 0) == -ONE);
	assert_true(risk_book_unrealized(b, 1) == -2 * ONE);
	assert_true(risk_book_total_pnl(b) == 3 * ONE - ONE - 15000000 - 2 * ONE + 1000000);
	struct hat_msg_position pm;
	memset(&pm, 0xff, sizeof pm);
	risk_book_position_msg(b, 0, HAT_TS_REDUCING, &pm);
	assert_string_equal(pm.coin, "BTC");
	assert_int_equal(pm.asset, 0);
	assert_int_equal(pm.trading_state, HAT_TS_REDUCING);
	assert_int_equal(pm.flags, 0);
	assert_int_equal(pm.open_orders, 0);
	assert_true(pm.szi == ONE && pm.entry_px == 100 * ONE && pm.mark_px == 99 * ONE);
	assert_true(pm.realized_pnl == 3 * ONE && pm.unrealized_pnl == -ONE);
	assert_true(pm.fees == 15000000);
	assert_true(pm.total_pnl == -14000000);
	assert_int_equal(pm.exch_time_ms, 1234);

	risk_book_reset(b);
	assert_true(b->coins[0].pos.szi == 0 && b->coins[1].pos.fees == 0);
	assert_true(b->coins[0].mark_px == 99 * ONE); /* marks kept */
	assert_true(risk_book_total_pnl(b) == 0);
	risk_book_set_position(b, 1, -3 * ONE, 11 * ONE, 7, 8);
	assert_true(b->coins[1].pos.szi == -3 * ONE && b->coins[1].pos.entry_px == 11 * ONE);
	assert_true(b->coins[1].pos.realized == 7 && b->coins[1].pos.fees == 8);
	/* a fill remembered before the reset is not a duplicate after it */
	e = ev(HAT_EXEC_FILL, 1, "BTC", HAT_SIDE_BUY);
	e.px = ONE; e.sz = ONE; e.tid = 1;
	assert_int_equal(risk_book_on_exec(b, &e, NULL), RISK_EXEC_POS_CHANGED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pnl_muldiv_rounds_half_away_from_zero),
		cmocka_unit_test(test_pnl_long_add_reduce_flip_short_close),
		cmocka_unit_test(test_pnl_entry_rounds_to_nearest_1e8),
		cmocka_unit_test(test_pnl_tiny_sizes_exact),
		cmocka_unit_test(test_book_init_rejects_bad_args),
		cmocka_unit_test_setup_teardown(test_book_working_orders_exposure_and_counts, setup_book, teardown_book),
		cmocka_unit_test_setup_teardown(test_book_full_returns_enospc, setup_book, teardown_book),
		cmocka_unit_test_setup_teardown(test_book_exec_events_drive_working_orders, setup_book, teardown_book),
		cmocka_unit_test_setup_teardown(test_book_fill_dedup_window_and_identity, setup_book, teardown_book),
		cmocka_unit_test_setup_teardown(test_book_total_pnl_and_position_msg, setup_book, teardown_book),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
