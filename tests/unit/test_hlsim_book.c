/* tests/unit/test_hlsim_book.c -- hlsim's order book: priority order, removal, oid index,
 * level aggregation (nSigFigs / mantissa). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/fixed.h"
#include "tools/hlsim/book.h"

static struct hlsim_order mk(uint64_t oid, bool buy, int64_t px_units, int64_t sz_units)
{
	struct hlsim_order o;
	memset(&o, 0, sizeof o);
	o.oid = oid;
	o.seq = oid;
	o.is_buy = buy;
	o.px = px_units * HAT_FX_ONE;
	o.sz = o.orig_sz = sz_units * HAT_FX_ONE;
	return o;
}

static void test_book_best_is_price_then_time(void **state)
{
	(void)state;
	struct hlsim_book b;
	hlsim_book_init(&b);
	struct hlsim_order o[6] = { mk(1, true, 100, 1), mk(2, true, 101, 1), mk(3, true, 101, 2),
				    mk(4, false, 103, 1), mk(5, false, 102, 1), mk(6, false, 102, 3) };
	for (int i = 0; i < 6; i++)
		assert_int_equal(hlsim_book_insert(&b, &o[i]), 0);
	assert_ptr_equal(hlsim_book_best(&b, true), &o[1]);  /* 101, older than oid 3 */
	assert_ptr_equal(hlsim_book_best(&b, false), &o[4]); /* 102, older than oid 6 */
	assert_true(hlsim_book_check(&b));
	assert_int_equal(hlsim_book_remove(&b, &o[1]), 0);
	assert_ptr_equal(hlsim_book_best(&b, true), &o[2]);
	assert_int_equal(hlsim_book_remove(&b, &o[1]), -ENOENT);
	assert_int_equal(hlsim_book_remove(&b, &o[4]), 0);
	assert_ptr_equal(hlsim_book_best(&b, false), &o[5]);
	assert_int_equal(b.bids.n, 2);
	assert_int_equal(b.asks.n, 2);
	hlsim_book_deinit(&b);
}

static void test_book_check_detects_crossed_book(void **state)
{
	(void)state;
	struct hlsim_book b;
	hlsim_book_init(&b);
	struct hlsim_order bid = mk(1, true, 105, 1), ask = mk(2, false, 104, 1);
	hlsim_book_insert(&b, &bid);
	assert_true(hlsim_book_check(&b));
	hlsim_book_insert(&b, &ask);
	assert_false(hlsim_book_check(&b));
	hlsim_book_deinit(&b);
}

static void test_book_levels_aggregate_full_precision(void **state)
{
	(void)state;
	struct hlsim_book b;
	hlsim_book_init(&b);
	struct hlsim_order o[4] = { mk(1, true, 100, 1), mk(2, true, 100, 2), mk(3, true, 99, 5),
				    mk(4, true, 98, 1) };
	for (int i = 0; i < 4; i++)
		hlsim_book_insert(&b, &o[i]);
	struct hlsim_level lv[2];
	assert_int_equal(hlsim_book_levels(&b, true, 0, 0, lv, 2), 2);
	assert_true(lv[0].px == 100 * HAT_FX_ONE && lv[0].sz == 3 * HAT_FX_ONE && lv[0].n == 2);
	assert_true(lv[1].px == 99 * HAT_FX_ONE && lv[1].sz == 5 * HAT_FX_ONE && lv[1].n == 1);
	assert_int_equal(hlsim_book_levels(&b, false, 0, 0, lv, 2), 0);
	hlsim_book_deinit(&b);
}

static void test_book_bucket_sig_figs_and_mantissa(void **state)
{
	(void)state;
	int64_t px = 6501250000000LL; /* 65012.5 */
	assert_true(hlsim_book_bucket(px, true, 2, 0) == 6500000000000LL);   /* 65000 */
	assert_true(hlsim_book_bucket(px, false, 2, 0) == 6600000000000LL);  /* 66000 */
	assert_true(hlsim_book_bucket(px, true, 5, 0) == 6501200000000LL);   /* 65012 */
	assert_true(hlsim_book_bucket(px, false, 5, 0) == 6501300000000LL);  /* 65013 */
	assert_true(hlsim_book_bucket(px, true, 5, 2) == 6501200000000LL);   /* 65012 */
	assert_true(hlsim_book_bucket(px, true, 5, 5) == 6501000000000LL);   /* 65010 */
	assert_true(hlsim_book_bucket(px, false, 5, 5) == 6501500000000LL);  /* 65015 */
	assert_true(hlsim_book_bucket(123400, true, 3, 0) == 123000);        /* 0.001234 -> 0.00123 */
	assert_true(hlsim_book_bucket(px, true, 0, 0) == px);
}

static void test_book_levels_aggregate_by_bucket(void **state)
{
	(void)state;
	struct hlsim_book b;
	hlsim_book_init(&b);
	struct hlsim_order o[3] = { mk(1, false, 65012, 1), mk(2, false, 65013, 2),
				    mk(3, false, 65101, 4) };
	for (int i = 0; i < 3; i++)
		hlsim_book_insert(&b, &o[i]);
	struct hlsim_level lv[4];
	assert_int_equal(hlsim_book_levels(&b, false, 3, 0, lv, 4), 2);
	assert_true(lv[0].px == 65100 * HAT_FX_ONE && lv[0].sz == 3 * HAT_FX_ONE && lv[0].n == 2);
	assert_true(lv[1].px == 65200 * HAT_FX_ONE && lv[1].sz == 4 * HAT_FX_ONE && lv[1].n == 1);
	hlsim_book_deinit(&b);
}

static void test_oidmap_put_get_del_and_growth(void **state)
{
	(void)state;
	struct hlsim_oidmap m;
	assert_int_equal(hlsim_oidmap_init(&m), 0);
	enum { N = 5000 };
	struct hlsim_order *o = calloc(N, sizeof *o);
	assert_non_null(o);
	for (int i = 0; i < N; i++) {
		o[i].oid = 1000 + (uint64_t)i * 7;
		assert_int_equal(hlsim_oidmap_put(&m, &o[i]), 0);
	}
	for (int i = 0; i < N; i += 2)
		hlsim_oidmap_del(&m, o[i].oid);
	for (int i = 0; i < N; i++)
		assert_ptr_equal(hlsim_oidmap_get(&m, o[i].oid), i % 2 ? &o[i] : NULL);
	assert_null(hlsim_oidmap_get(&m, 0));
	assert_null(hlsim_oidmap_get(&m, 999));
	assert_int_equal(m.live, N / 2);
	hlsim_oidmap_deinit(&m);
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_book_best_is_price_then_time),
		cmocka_unit_test(test_book_check_detects_crossed_book),
		cmocka_unit_test(test_book_levels_aggregate_full_precision),
		cmocka_unit_test(test_book_bucket_sig_figs_and_mantissa),
		cmocka_unit_test(test_book_levels_aggregate_by_bucket),
		cmocka_unit_test(test_oidmap_put_get_del_and_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
