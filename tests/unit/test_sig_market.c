/* tests/unit/test_sig_market.c -- market state and signals on hand-computed inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "signald/market.h"
#include "tests/helpers/assert_near.h"

#define FX(x) ((int64_t)((x) * 100000000.0 + ((x) >= 0 ? 0.5 : -0.5)))
#define S 1000000000ull

static void book(struct hat_msg_book *b, const double *bids, int nb, const double *asks, int na)
{
	memset(b, 0, sizeof *b);
	b->h.type = HAT_MSG_BOOK;
	strcpy(b->coin, "ETH");
	b->n_bids = (uint8_t)nb;
	b->n_asks = (uint8_t)na;
	for (int i = 0; i < nb; i++) {
		b->bids[i].px = FX(bids[2 * i]);
		b->bids[i].sz = FX(bids[2 * i + 1]);
	}
	for (int i = 0; i < na; i++) {
		b->asks[i].px = FX(asks[2 * i]);
		b->asks[i].sz = FX(asks[2 * i + 1]);
	}
}

static void trade(struct hat_msg_trade *t, enum hat_side side, double px, double sz)
{
	memset(t, 0, sizeof *t);
	t->h.type = HAT_MSG_TRADE;
	strcpy(t->coin, "ETH");
	t->side = (uint8_t)side;
	t->px = FX(px);
	t->sz = FX(sz);
}

static struct sig_market m;

static void setup_market(void)
{
	struct sig_market_params p;
	sig_market_params_default(&p);
	sig_market_init(&m, "ETH", 1, &p);
}

static void test_market_book_signals_exact(void **state)
{
	(void)state;
	setup_market();
	struct hat_msg_book b;
	double bids[] = { 100, 2, 99, 1, 98, 3 }, asks[] = { 101, 1, 102, 2, 103, 1 };
	book(&b, bids, 3, asks, 3);
	sig_market_on_book(&m, &b, 5 * S);
	assert_true(m.have_book);
	assert_double_equal(m.mid, 100.5, 1e-12);
	assert_double_equal(m.microprice, 302.0 / 3.0, 1e-12); /* (100*1 + 101*2) / 3 */
	assert_double_equal(m.spread, 1.0, 1e-12);
	assert_double_equal(m.spread_bps, 1.0 / 100.5 * 1e4, 1e-9);
	assert_double_equal(m.imbalance[0], 1.0 / 3.0, 1e-12); /* (2 - 1) / 3 */
	assert_double_equal(m.imbalance[1], 0.2, 1e-12);       /* (6 - 4) / 10 */
	assert_double_equal(m.imbalance[2], 0.2, 1e-12);       /* only 3 levels */
	assert_int_equal(m.last_update_ns, 5 * S);
	assert_false(sig_market_is_stale(&m, 6 * S, 2 * S));
	assert_true(sig_market_is_stale(&m, 8 * S, 2 * S));
}

static void test_market_one_sided_book_has_no_mid(void **state)
{
	(void)state;
	setup_market();
	struct hat_msg_book b;
	double bids[] = { 100, 2 };
	book(&b, bids, 1, NULL, 0);
	sig_market_on_book(&m, &b, S);
	assert_false(m.have_book);
	assert_true(sig_market_is_stale(&m, S, 10 * S));
}

static void test_market_volatility_ewma(void **state)
{
	(void)state;
	setup_market();
	struct hat_msg_book b;
	double a1[] = { 101, 1 }, b1[] = { 100, 1 };   /* mid 100.5 */
	double a2[] = { 102, 1 }, b2[] = { 100, 1 };   /* mid 101 */
	book(&b, b1, 1, a1, 1);
	sig_market_on_book(&m, &b, 1 * S);
	assert_double_equal(sig_market_sigma_per_return(&m), 0, 0);
	book(&b, b2, 1, a2, 1);
	sig_market_on_book(&m, &b, 2 * S);
	double r1 = log(101 / 100.5);
	assert_double_equal(m.ret_var, r1 * r1, 1e-18);
	assert_double_equal(sig_market_sigma_per_return(&m), 0, 0); /* needs two returns */
	book(&b, b1, 1, a1, 1);
	sig_market_on_book(&m, &b, 4 * S);
	double r2 = log(100.5 / 101);
	double var = 0.94 * r1 * r1 + 0.06 * r2 * r2;
	assert_double_equal(sig_market_sigma_per_return(&m), sqrt(var), 1e-15);
	/* two returns 2 s apart: one change per 2 s => per-second variance var * 0.5 */
	assert_double_equal(sig_market_sigma_per_sec(&m), sqrt(var * 0.5), 1e-15);
	/* an unchanged mid adds no return */
	sig_market_on_book(&m, &b, 5 * S);
	assert_int_equal(m.n_returns, 2);
}

static void test_market_bbo_replaces_top(void **state)
{
	(void)state;
	setup_market();
	struct hat_msg_book b;
	double bids[] = { 100, 2, 99, 1, 98, 3 }, asks[] = { 101, 1, 102, 2 };
	book(&b, bids, 3, asks, 2);
	sig_market_on_book(&m, &b, S);
	struct hat_msg_bbo q;
	memset(&q, 0, sizeof q);
	q.has_bid = 1;
	q.bid.px = FX(99.5);
	q.bid.sz = FX(4);
	q.has_ask = 1;
	q.ask.px = FX(101.5);
	q.ask.sz = FX(1);
	sig_market_on_bbo(&m, &q, 2 * S);
	/* bid 99.5 replaces 100 (now through it) and keeps 99 and 98 behind it */
	assert_int_equal(m.n_bids, 3);
	assert_true(m.bids[0].px == FX(99.5));
	assert_true(m.bids[1].px == FX(99));
	/* ask 101.5 drops 101 and keeps 102 */
	assert_int_equal(m.n_asks, 2);
	assert_true(m.asks[0].px == FX(101.5));
	assert_true(m.asks[1].px == FX(102));
	assert_double_equal(m.mid, 100.5, 1e-12);
}

static void test_market_trade_flow_decays(void **state)
{
	(void)state;
	setup_market();
	struct hat_msg_trade t;
	trade(&t, HAT_SIDE_BUY, 100, 2);
	sig_market_on_trade(&m, &t, 10 * S);
	trade(&t, HAT_SIDE_SELL, 101, 1);
	sig_market_on_trade(&m, &t, 10 * S);
	assert_double_equal(sig_market_flow(&m, 10 * S), 1.0 / 3.0, 1e-12);
	/* one half-life later both halve: the ratio stays */
	assert_double_equal(sig_market_flow(&m, 15 * S), 1.0 / 3.0, 1e-12);
	trade(&t, HAT_SIDE_BUY, 100, 1);
	sig_market_on_trade(&m, &t, 15 * S);
	/* buy 1 + 1 = 2, sell 0.5: (2 - 0.5) / 2.5 */
	assert_double_equal(sig_market_flow(&m, 15 * S), 0.6, 1e-12);
}

static void test_market_vwap_windows(void **state)
{
	(void)state;
	setup_market();
	struct hat_msg_trade t;
	trade(&t, HAT_SIDE_BUY, 100, 2);
	sig_market_on_trade(&m, &t, 100 * S);
	trade(&t, HAT_SIDE_SELL, 101, 1);
	sig_market_on_trade(&m, &t, 100 * S);
	assert_double_equal(sig_market_vwap(&m, 0, 100 * S), 301.0 / 3.0, 1e-9);
	trade(&t, HAT_SIDE_BUY, 110, 1);
	sig_market_on_trade(&m, &t, 105 * S);
	/* 1 s window: only the last trade; 10 s: all three */
	assert_double_equal(sig_market_vwap(&m, 0, 105 * S), 110.0, 1e-9);
	assert_double_equal(sig_market_vwap(&m, 1, 105 * S), 411.0 / 4.0, 1e-9);
	assert_double_equal(sig_market_vwap(&m, 1, 200 * S), 0, 0);
	assert_double_equal(sig_market_vwap(&m, 2, 160 * S), 411.0 / 4.0, 1e-9); /* t = 100 is inside [100, 160] */
	assert_double_equal(sig_market_vwap(&m, 2, 161 * S), 110.0, 1e-9);
	assert_double_equal(sig_market_vwap(&m, 7, 160 * S), 0, 0);
}

static void test_market_vwap_burst_beyond_buffer(void **state)
{
	(void)state;
	setup_market();
	struct hat_msg_trade t;
	for (int i = 0; i < SIG_TRADE_RING + 10; i++) {
		trade(&t, HAT_SIDE_BUY, i < 10 ? 50 : 100, 1);
		sig_market_on_trade(&m, &t, 300 * S);
	}
	/* the 10 oldest (price 50) were evicted: the window holds exactly the newest 4096 */
	assert_int_equal(m.trades_evicted, 10 * SIG_VWAP_WINDOWS);
	assert_double_equal(sig_market_vwap(&m, 2, 300 * S), 100.0, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_market_book_signals_exact),
		cmocka_unit_test(test_market_one_sided_book_has_no_mid),
		cmocka_unit_test(test_market_volatility_ewma),
		cmocka_unit_test(test_market_bbo_replaces_top),
		cmocka_unit_test(test_market_trade_flow_decays),
		cmocka_unit_test(test_market_vwap_windows),
		cmocka_unit_test(test_market_vwap_burst_beyond_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
