/* tests/unit/test_risk_config.c -- the "riskd" config section: defaults, per-coin overrides,
 * and errors that name the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "riskd/config.h"

#define ONE HAT_FX_ONE

static int load(const char *json, const struct hat_config *shared, struct risk_engine_cfg *out,
                char *err, size_t errlen)
{
	struct hat_config_doc doc;
	static struct risk_file_cfg file;
	int rc = hat_config_doc_parse(&doc, "t.json", json, strlen(json), err, errlen);
	if (rc)
		return rc;
	rc = risk_config_load(&doc, shared, &file, out, err, errlen);
	hat_config_doc_free(&doc);
	return rc;
}

static void test_risk_config_defaults_and_overrides(void **state)
{
	(void)state;
	static struct risk_engine_cfg c;
	char err[256] = "";
	const char *j;
	j = "{\"riskd\": {\"max_orders_per_s\": 15, \"cancel_burst\": 7,"
		"\"max_open_orders_per_coin\": 4, \"price_band_bps\": 300,"
		"\"limits\": ["
		"{\"coin\": \"BTC\", \"sz_decimals\": 5, \"max_position\": \"0.5\","
		" \"max_order_size\": \"0.1\", \"asset\": 0, \"price_band_bps\": 100},"
		"{\"coin\": \"@107\", \"sz_decimals\": 2, \"spot\": true, \"max_position\": 1000,"
		" \"max_order_size\": \"12.5\", \"max_order_notional_usd\": \"250.25\","
		" \"max_open_orders\": 9}]}}";
	assert_int_equal(load(j, NULL, &c, err, sizeof err), 0);
	assert_int_equal(c.limits.n_coins, 2);
	assert_string_equal(c.coins[0], "BTC");
	assert_string_equal(c.coins[1], "@107");
	assert_int_equal(c.assets[0], 0);
	assert_int_equal(c.assets[1], RISK_ASSET_UNKNOWN);
	const struct risk_coin_limits *b = &c.limits.coin[0], *s = &c.limits.coin[1];
	assert_true(b->max_position == ONE / 2 && b->max_order_sz == ONE / 10);
	assert_true(b->max_order_notional == 5000 * ONE); /* section default */
	assert_int_equal(b->price_band_bps, 100);
	assert_int_equal(b->max_open_orders, 4);
	assert_int_equal(b->sz_decimals, 5);
	assert_int_equal(b->spot, 0);
	assert_true(s->max_position == 1000 * ONE && s->max_order_sz == 1250000000);
	assert_true(s->max_order_notional == 25025000000LL);
	assert_int_equal(s->price_band_bps, 300);
	assert_int_equal(s->max_open_orders, 9);
	assert_int_equal(s->spot, 1);
	assert_true(c.limits.max_gross_notional == 50000 * ONE);
	assert_true(c.limits.max_net_notional == 25000 * ONE);
	assert_int_equal(c.limits.max_open_orders, 20);
	assert_true(c.limits.mark_max_age_ns == 5000000000ULL);
	assert_int_equal(c.order_rate_per_s, 15);
	assert_int_equal(c.order_burst, 15);
	assert_int_equal(c.cancel_rate_per_s, 40);
	assert_int_equal(c.cancel_burst, 7);
	assert_true(c.state.start_equity == 100000 * ONE && c.state.max_daily_loss == 1000 * ONE);
	assert_int_equal(c.state.max_drawdown_bps, 500);
	assert_int_equal(c.state.max_rejects, 20);
	assert_true(c.state.reject_window_ns == 60000000000ULL);
	assert_true(c.state.stale_ns == 10000000000ULL);
	assert_true(c.position_publish_ns == 1000000000ULL);
	assert_int_equal(c.max_working, 1024);
	assert_int_equal(c.signald_down_cancel, 1);
	j = "{\"riskd\": {\"signald_down_policy\": \"none\", \"limits\": [{\"coin\": \"BTC\","
	    " \"sz_decimals\": 5, \"max_position\": 1, \"max_order_size\": 1}]}}";
	assert_int_equal(load(j, NULL, &c, err, sizeof err), 0);
	assert_int_equal(c.signald_down_cancel, 0);
}

static void expect_error(const char *json, const struct hat_config *shared, const char *want)
{
	static struct risk_engine_cfg c;
	char err[256] = "";
	assert_int_equal(load(json, shared, &c, err, sizeof err), HAT_E_CONFIG);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void test_risk_config_errors_name_the_key(void **state)
{
	(void)state;
	expect_error("{\"riskd\": {\"limits\": [{\"coin\": \"BTC\", \"max_position\": 1,"
	             " \"max_order_size\": 1}]}}", NULL, "riskd.limits[0].sz_decimals");
	expect_error("{\"riskd\": {\"limits\": [{\"coin\": \"BTC\", \"sz_decimals\": 7,"
	             " \"max_position\": 1, \"max_order_size\": 1}]}}", NULL,
	             "riskd.limits[0].sz_decimals: must be <= 6 for a perp coin");
	expect_error("{\"riskd\": {\"limits\": [{\"coin\": \"BTC\", \"sz_decimals\": 5,"
	             " \"max_position\": 1, \"max_order_size\": 1},{\"coin\": \"BTC\","
	             " \"sz_decimals\": 5, \"max_position\": 1, \"max_order_size\": 1}]}}", NULL,
	             "riskd.limits[1].coin: BTC listed twice");
	expect_error("{\"riskd\": {\"max_ordrs_per_s\": 3, \"limits\": [{\"coin\": \"BTC\","
	             " \"sz_decimals\": 5, \"max_position\": 1, \"max_order_size\": 1}]}}", NULL,
	             "max_ordrs_per_s");
	expect_error("{\"riskd\": {\"price_band_bps\": 20000, \"limits\": [{\"coin\": \"BTC\","
	             " \"sz_decimals\": 5, \"max_position\": 1, \"max_order_size\": 1}]}}", NULL,
	             "riskd.price_band_bps");
	expect_error("{\"riskd\": {\"max_working\": 10, \"max_open_orders\": 20, \"limits\":"
	             " [{\"coin\": \"BTC\", \"sz_decimals\": 5, \"max_position\": 1,"
	             " \"max_order_size\": 1}]}}", NULL, "riskd.max_working");
	expect_error("{\"riskd\": {}}", NULL, "limits");
	expect_error("{\"riskd\": {\"signald_down_policy\": \"panic\", \"limits\": [{\"coin\":"
	             " \"BTC\", \"sz_decimals\": 5, \"max_position\": 1, \"max_order_size\": 1}]}}",
	             NULL, "riskd.signald_down_policy");
	static struct hat_config shared;
	memset(&shared, 0, sizeof shared);
	strcpy(shared.coins[0], "BTC");
	strcpy(shared.coins[1], "SOL");
	shared.n_coins = 2;
	expect_error("{\"riskd\": {\"limits\": [{\"coin\": \"BTC\", \"sz_decimals\": 5,"
	             " \"max_position\": 1, \"max_order_size\": 1}]}}", &shared,
	             "riskd.limits: no entry for coin SOL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_risk_config_defaults_and_overrides),
		cmocka_unit_test(test_risk_config_errors_name_the_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
