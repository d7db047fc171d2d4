/* tests/unit/test_exec_positions.c -- execd's per-coin day PnL: realized PnL and fees start again
 * at UTC midnight (as riskd's do), never in the middle of a day. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "execd/daemon_int.h"

#define DAY_MS 86400000ull
#define D1 (20416ull * DAY_MS) /* 2025-11-24T00:00:00Z */

static void test_exec_positions_day_roll(void **state)
{
	(void)state;
	struct execd *d = calloc(1, sizeof *d);
	assert_non_null(d);
	struct execd_pos *btc = execd__pos_find(d, "BTC", true);
	struct execd_pos *eth = execd__pos_find(d, "ETH", true);
	assert_non_null(btc);
	assert_non_null(eth);
	btc->realized = 500000000;
	btc->fees = 12000000;
	eth->realized = -300000000;
	eth->fees = 7000000;
	btc->szi = 100000;
	/* the first call only notes the day: what a start recounted is today's */
	execd__pos_roll_day(d, D1 + 3600000);
	assert_int_equal(btc->realized, 500000000);
	assert_int_equal(eth->fees, 7000000);
	/* later the same day: nothing changes */
	execd__pos_roll_day(d, D1 + DAY_MS - 1);
	assert_int_equal(btc->realized, 500000000);
	assert_int_equal(eth->realized, -300000000);
	/* the next UTC day: realized and fees start again, positions stay */
	execd__pos_roll_day(d, D1 + DAY_MS);
	assert_int_equal(btc->realized, 0);
	assert_int_equal(btc->fees, 0);
	assert_int_equal(eth->realized, 0);
	assert_int_equal(eth->fees, 0);
	assert_int_equal(btc->szi, 100000);
	/* a clock that steps back does not roll again */
	eth->fees = 1;
	execd__pos_roll_day(d, D1 + 10);
	assert_int_equal(eth->fees, 1);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_positions_day_roll),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
