/* tests/unit/test_report_metrics.c -- tools/report/metrics against hand-computed values on a
 * tiny scripted session (3 fills of one coin, 6 mids, 6 PnL samples 1 s apart). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <cmocka.h>

#include "tools/report/metrics.h"

#define EPS 1e-9
static void near(double a, double b) { assert_true(fabs(a - b) < EPS * (1 + fabs(b))); }

static const struct rpt_mid mids[] = {
	{ 0, "BTC", 100 }, { 1000, "BTC", 101 }, { 2000, "BTC", 99 }, { 5000, "BTC", 102 },
	{ 11000, "BTC", 100 }, { 61000, "BTC", 104 },
};

static const struct rpt_fill fills[] = {
	{ 0, "BTC", +1, 99.5, 2, 0.1, 1, 101, true },
	{ 1000, "BTC", -1, 101.5, 1, 0.1, 2, 102, true },
	{ 2000, "BTC", -1, 98.5, 3, 0.2, 3, 103, false },   /* flips long 1 -> short 2 */
};

static const struct rpt_point pnl[] = {
	{ 0, 0 }, { 1000, 2 }, { 2000, 1 }, { 3000, -1 }, { 4000, 3 }, { 5000, 2 },
};

static const struct rpt_order orders[] = {
	{ 0, RPT_PLACE, "BTC", 1, 99.5, 2, 1 }, { 500, RPT_PLACE, "BTC", -1, 101.5, 1, 2 },
	{ 1500, RPT_PLACE, "BTC", -1, 98.5, 3, 3 }, { 1600, RPT_PLACE, "BTC", 1, 90, 1, 4 },
	{ 1700, RPT_CANCEL, "BTC", 0, 0, 0, 4 }, { 1800, RPT_MODIFY, "BTC", 1, 91, 1, 5 },
	{ 1900, RPT_PLACE, "BTC", 1, 200, 1, 0 },
};

static const struct rpt_reject rejects[] = {
	{ 1900, "BTC", "Insufficient margin" },
	{ 2500, "BTC", "Post only order would have immediately matched" },
	{ 2600, "BTC", "Post only order would have immediately matched, bbo was 100@101" },
};

static struct rpt_session session(void)
{
	struct rpt_session s = {
		fills, 3, mids, 6, orders, 7, rejects, 3, pnl, 6, 1000,
	};
	return s;
}

static struct rpt_metrics m;

static void test_report_metrics_pnl_per_coin(void **state)
{
	(void)state;
	struct rpt_session s = session();
	assert_int_equal(rpt_metrics_compute(&s, &m), 0);
	/* realized: close 1 @101.5 vs 99.5 = +2; close 1 @98.5 vs 99.5 = -1 -> 1.
	 * open: short 2 from 98.5, last mid 104 -> unrealized -11; fees 0.4. */
	near(m.realized, 1.0);
	near(m.unrealized, -11.0);
	near(m.fees, 0.4);
	near(m.pnl, -10.4);
	near(m.turnover, 199.0 + 101.5 + 295.5);
	assert_int_equal(m.n_fills, 3);
	assert_int_equal(m.n_maker, 2);
	assert_int_equal(m.book.n, 1);
	const struct rpt_pos *p = rpt_book_get(&m.book, "BTC");
	assert_non_null(p);
	near(p->qty, -2);
	near(p->entry, 98.5);
	near(p->mid, 104);
	assert_int_equal(p->fills, 3);
	assert_null(rpt_book_get(&m.book, "ETH"));
}

static void test_report_metrics_sharpe_sortino_drawdown(void **state)
{
	(void)state;
	struct rpt_session s = session();
	assert_int_equal(rpt_metrics_compute(&s, &m), 0);
	/* returns 2, -1, -2, 4, -1: mean 0.4; squared deviations sum 25.2, sample var 6.3;
	 * downside: (1 + 4 + 1) / 5 = 1.2. */
	assert_int_equal(m.n_returns, 5);
	near(m.ret_mean, 0.4);
	near(m.ret_stdev, sqrt(6.3));
	near(m.sharpe, 0.4 / sqrt(6.3));
	near(m.sharpe_ann, 0.4 / sqrt(6.3) * sqrt(365.0 * 86400.0));
	near(m.sortino, 0.4 / sqrt(1.2));
	near(m.sortino_ann, 0.4 / sqrt(1.2) * sqrt(365.0 * 86400.0));
	/* peak 2 at 1 s, trough -1 at 3 s. */
	near(m.max_dd, 3.0);
	assert_int_equal(m.max_dd_peak_ms, 1000);
	assert_int_equal(m.max_dd_trough_ms, 3000);
	near(m.final_equity, 2.0);
	assert_int_equal(m.sample_ms, 1000);
}

static void test_report_metrics_markouts(void **state)
{
	(void)state;
	struct rpt_session s = session();
	assert_int_equal(rpt_metrics_compute(&s, &m), 0);
	/* 1 s: buy 2@99.5 -> mid 101: +3; sell 1@101.5 -> 99: +2.5; sell 3@98.5 -> 99: -1.5. */
	assert_int_equal(m.mk[0].horizon_ms, 1000);
	assert_int_equal(m.mk[0].n, 3);
	near(m.mk[0].usd, 4.0);
	near(m.mk[0].bps, (1.5 / 99.5 + 2.5 / 101.5 - 0.5 / 98.5) * 1e4 / 3);
	/* adverse: buy, mid 100 -> 101: -100 bps; sell, 101 -> 99: -198.0198..; sell 99 -> 99: 0 */
	near(m.mk[0].adverse_bps, (-1.0 / 100 - 2.0 / 101 + 0) * 1e4 / 3);
	near(m.mk[0].neg_share, 1.0 / 3);
	/* 10 s: mids 102, 100, 100 -> +5, +1.5, -4.5. */
	assert_int_equal(m.mk[1].n, 3);
	near(m.mk[1].usd, 2.0);
	near(m.mk[1].adverse_bps, (-2.0 / 100 + (100.0 - 101) / 101 + (100.0 - 99) / 99) *
	     1e4 / 3);
	/* 60 s: the third fill (t = 2 s) would need a mid at 62 s, past the data's end (61 s):
	 * mids 100 and 104 -> +1.0 and -2.5. */
	assert_int_equal(m.mk[2].n, 2);
	near(m.mk[2].usd, -1.5);
	near(m.mk[2].bps, (0.5 / 99.5 - 2.5 / 101.5) * 1e4 / 2);
	near(m.mk[2].neg_share, 0.5);
}

static void test_report_metrics_orders_and_rejects(void **state)
{
	(void)state;
	struct rpt_session s = session();
	assert_int_equal(rpt_metrics_compute(&s, &m), 0);
	assert_int_equal(m.placed, 5);
	assert_int_equal(m.placed_filled, 3);
	assert_int_equal(m.cancels, 1);
	assert_int_equal(m.modifies, 1);
	near(m.fill_ratio, 0.6);
	near(m.order_to_trade, 7.0 / 3);
	assert_int_equal(m.n_rejects, 3);
	assert_int_equal(m.n_reasons, 2);
	assert_string_equal(m.reasons[0].reason, "Post only order would have immediately matched");
	assert_int_equal(m.reasons[0].count, 2);
	assert_string_equal(m.reasons[1].reason, "Insufficient margin");
	assert_int_equal(m.reasons[1].count, 1);
}

static void test_report_metrics_empty_session_is_all_zero(void **state)
{
	(void)state;
	struct rpt_session s = { .sample_ms = 1000 };
	assert_int_equal(rpt_metrics_compute(&s, &m), 0);
	assert_true(m.pnl == 0 && m.sharpe == 0 && m.sortino == 0 && m.max_dd == 0);
	assert_true(m.fill_ratio == 0 && m.order_to_trade == 0 && m.mk[0].n == 0);
	s.sample_ms = 0;
	assert_int_equal(rpt_metrics_compute(&s, &m), -EINVAL);
}

static void test_report_book_flip_and_close(void **state)
{
	(void)state;
	struct rpt_book b;
	rpt_book_init(&b);
	struct rpt_fill f = { 0, "ETH", -1, 2000, 1, 0.5, 1, 1, true };
	rpt_book_fill(&b, &f);                        /* short 1 @2000 */
	f.side = -1, f.px = 2100, f.sz = 1;
	rpt_book_fill(&b, &f);                        /* short 2 @2050 avg */
	const struct rpt_pos *p = rpt_book_get(&b, "ETH");
	near(p->qty, -2);
	near(p->entry, 2050);
	f.side = 1, f.px = 2000, f.sz = 2;
	rpt_book_fill(&b, &f);                        /* close: +100 */
	near(p->qty, 0);
	near(p->entry, 0);
	near(p->realized, 100);
	double r, u, fe;
	rpt_book_mid(&b, "ETH", 1234);
	near(rpt_book_equity(&b, &r, &u, &fe), 100 - 1.5);
	near(u, 0);
	near(fe, 1.5);
	double mid;
	assert_int_equal(rpt_mid_at(mids, 6, "BTC", 1999, &mid), 0);
	near(mid, 101);
	assert_int_equal(rpt_mid_at(mids, 6, "BTC", -1, &mid), -ENOENT);
	assert_int_equal(rpt_mid_at(mids, 6, "ETH", 5000, &mid), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_metrics_pnl_per_coin),
		cmocka_unit_test(test_report_metrics_sharpe_sortino_drawdown),
		cmocka_unit_test(test_report_metrics_markouts),
		cmocka_unit_test(test_report_metrics_orders_and_rejects),
		cmocka_unit_test(test_report_metrics_empty_session_is_all_zero),
		cmocka_unit_test(test_report_book_flip_and_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
