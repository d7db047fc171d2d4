/* tests/unit/test_parse_info.c -- /info responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "hl/json.h"
#include "hl/meta.h"
#include "hl/parse_info.h"

static cJSON *j(const char *s)
{
	char err[128];
	cJSON *r = hl_json_parse(s, strlen(s), err, sizeof err);
	if (!r)
		fail_msg("bad test JSON: %s: %s", err, s);
	return r;
}

static void test_info_all_mids(void **state)
{
	(void)state;
	cJSON *r = j("{\"BTC\": \"65012.5\", \"ETH\": \"3120.45\", \"@107\": \"27.101\", \"PURR/USDC\": \"0.18855\"}");
	struct hl_mid m[3];
	size_t n, total, skipped;
	char err[160];
	assert_int_equal(hl_info_parse_all_mids(r, m, 3, &n, &total, &skipped, err, sizeof err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(total, 4);
	assert_int_equal(skipped, 0);
	assert_string_equal(m[1].coin, "ETH");
	assert_true(m[1].px == 312045000000LL);
	cJSON_Delete(r);
	r = j("{\"BTC\": null}");
	assert_int_equal(hl_info_parse_all_mids(r, m, 3, &n, &total, NULL, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "allMids.BTC: expected a string");
	cJSON_Delete(r);
	r = j("[]");
	assert_int_equal(hl_info_parse_all_mids(r, m, 3, &n, &total, NULL, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "allMids: expected an object");
	cJSON_Delete(r);
}

static void test_info_l2book(void **state)
{
	(void)state;
	struct hl_meta meta;
	char err[160];
	hl_meta_init(&meta);
	assert_int_equal(hl_meta_add(&meta, "BTC", 0, 5, 50, 0, err, sizeof err), 0);
	cJSON *r = j("{\"coin\": \"BTC\", \"time\": 1754450974231, \"levels\": ["
		     "[{\"px\": \"113377.0\", \"sz\": \"7.6699\", \"n\": 17}, {\"px\": \"113376.0\", \"sz\": \"4.13714\", \"n\": 8}],"
		     "[{\"px\": \"113397.0\", \"sz\": \"0.11543\", \"n\": 3}]]}");
	struct hat_msg_book b;
	assert_int_equal(hl_info_parse_l2book(r, &meta, 42, &b, err, sizeof err), 0);
	assert_int_equal(b.h.type, HAT_MSG_BOOK);
	assert_true(b.h.origin_ns == 42);
	assert_int_equal(b.n_bids, 2);
	assert_true(b.bids[1].sz == 413714000LL);
	cJSON_Delete(r);
	r = j("{\"coin\": \"BTC\", \"time\": 1, \"levels\": [[{\"px\": \"1\", \"sz\": \"1\"}], []]}");
	assert_int_equal(hl_info_parse_l2book(r, &meta, 42, &b, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "l2Book.levels[0][0].n: missing");
	cJSON_Delete(r);
	hl_meta_deinit(&meta);
}

static void test_info_open_orders(void **state)
{
	(void)state;
	cJSON *r = j("[{\"coin\":\"BTC\",\"limitPx\":\"29792.0\",\"oid\":91490942,\"side\":\"A\",\"sz\":\"0.0\","
		     "\"timestamp\":1681247412573,\"origSz\":\"5.0\",\"cloid\":\"0x0000000000000000000000000000002a\","
		     "\"reduceOnly\":true},"
		     "{\"coin\":\"BTC\",\"isPositionTpsl\":false,\"isTrigger\":true,\"limitPx\":\"29792.0\","
		     "\"oid\":91490943,\"orderType\":\"Stop Limit\",\"origSz\":\"5.0\",\"reduceOnly\":false,\"side\":\"B\","
		     "\"sz\":\"5.0\",\"timestamp\":1681247412574,\"triggerCondition\":\"N/A\",\"triggerPx\":\"29000.5\","
		     "\"children\":[],\"tif\":\"Gtc\",\"cloid\":null},"
		     "{\"coin\":\"ETH\",\"limitPx\":\"1\",\"oid\":1,\"side\":\"B\",\"sz\":\"2\",\"timestamp\":1,"
		     "\"tif\":\"FrontendMarket\"}]");
	struct hl_order_info o[4];
	size_t n, total;
	char err[200];
	assert_int_equal(hl_info_parse_open_orders(r, o, 4, &n, &total, err, sizeof err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(total, 3);
	assert_string_equal(o[0].coin, "BTC");
	assert_int_equal(o[0].side, HAT_SIDE_SELL);
	assert_true(o[0].limit_px == 2979200000000LL);
	assert_true(o[0].sz == 0);
	assert_true(o[0].orig_sz == 500000000LL);
	assert_true(o[0].oid == 91490942ULL);
	assert_true(o[0].timestamp_ms == 1681247412573ULL);
	assert_int_equal(o[0].has_cloid, 1);
	assert_int_equal(o[0].cloid[15], 42);
	assert_int_equal(o[0].reduce_only, 1);
	assert_int_equal(o[0].is_trigger, 0);
	assert_int_equal(o[0].tif, 0);
	assert_string_equal(o[0].order_type, "");
	assert_int_equal(o[1].side, HAT_SIDE_BUY);
	assert_int_equal(o[1].is_trigger, 1);
	assert_int_equal(o[1].reduce_only, 0);
	assert_int_equal(o[1].has_cloid, 0);
	assert_int_equal(o[1].tif, HAT_TIF_GTC);
	assert_true(o[1].trigger_px == 2900050000000LL);
	assert_string_equal(o[1].order_type, "Stop Limit");
	assert_int_equal(o[2].tif, 0);
	assert_true(o[2].orig_sz == o[2].sz); /* absent origSz = sz */
	cJSON_Delete(r);

	r = j("[{\"coin\":\"BTC\",\"limitPx\":\"1\",\"oid\":1,\"side\":\"A\",\"sz\":\"1\",\"timestamp\":1,\"reduceOnly\":1}]");
	assert_int_equal(hl_info_parse_open_orders(r, o, 4, &n, &total, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "openOrders[0].reduceOnly: expected a boolean");
	cJSON_Delete(r);
	r = j("[{\"coin\":\"BTC\",\"limitPx\":\"1\",\"oid\":1,\"side\":\"A\",\"sz\":\"-1\",\"timestamp\":1}]");
	assert_int_equal(hl_info_parse_open_orders(r, o, 4, &n, &total, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "openOrders[0].sz: must be >= 0");
	cJSON_Delete(r);
	r = j("{}");
	assert_int_equal(hl_info_parse_open_orders(r, o, 4, &n, &total, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "openOrders: expected an array");
	cJSON_Delete(r);
}

/* Section 2.6's example. */
static const char ch_doc[] =
	"{\"assetPositions\": [{\"type\": \"oneWay\", \"position\": {"
	"\"coin\": \"ETH\", \"szi\": \"0.0335\", \"entryPx\": \"2986.3\","
	"\"leverage\": {\"type\": \"isolated\", \"value\": 20, \"rawUsd\": \"-95.059824\"},"
	"\"liquidationPx\": \"2866.26936529\", \"marginUsed\": \"4.967826\", \"maxLeverage\": 50,"
	"\"positionValue\": \"100.02765\", \"returnOnEquity\": \"-0.0026789\","
	"\"unrealizedPnl\": \"-0.0134\","
	"\"cumFunding\": {\"allTime\": \"514.085417\", \"sinceChange\": \"0.0\", \"sinceOpen\": \"0.0\"}}},"
	"{\"type\": \"oneWay\", \"position\": {\"coin\": \"BTC\", \"szi\": \"-0.5\", \"entryPx\": null,"
	"\"leverage\": {\"type\": \"cross\", \"value\": 5}, \"liquidationPx\": null, \"marginUsed\": \"0\","
	"\"positionValue\": \"0\", \"unrealizedPnl\": \"0\"}}],"
	"\"crossMaintenanceMarginUsed\": \"0.0\","
	"\"crossMarginSummary\": {\"accountValue\":\"13104.514502\",\"totalMarginUsed\":\"0.0\",\"totalNtlPos\":\"0.0\",\"totalRawUsd\":\"13104.514502\"},"
	"\"marginSummary\":      {\"accountValue\":\"13109.482328\",\"totalMarginUsed\":\"4.967826\",\"totalNtlPos\":\"100.02765\",\"totalRawUsd\":\"13009.454678\"},"
	"\"withdrawable\": \"13104.514502\", \"time\": 1708622398623}";

static void test_info_clearinghouse(void **state)
{
	(void)state;
	cJSON *r = j(ch_doc);
	struct hl_clearinghouse c;
	struct hl_position p[4];
	char err[200];
	assert_int_equal(hl_info_parse_clearinghouse(r, &c, p, 4, err, sizeof err), 0);
	assert_int_equal(c.n_positions, 2);
	assert_int_equal(c.total_positions, 2);
	assert_true(c.margin.account_value == 1310948232800LL);
	assert_true(c.margin.total_margin_used == 496782600LL);
	assert_true(c.margin.total_ntl_pos == 10002765000LL);
	assert_true(c.margin.total_raw_usd == 1300945467800LL);
	assert_true(c.cross_margin.account_value == 1310451450200LL);
	assert_true(c.withdrawable == 1310451450200LL);
	assert_true(c.time_ms == 1708622398623ULL);
	assert_true(c.cross_maintenance_margin_used == 0);
	assert_string_equal(p[0].coin, "ETH");
	assert_true(p[0].szi == 3350000LL);
	assert_true(p[0].entry_px == 298630000000LL);
	assert_int_equal(p[0].has_entry_px, 1);
	assert_true(p[0].liquidation_px == 286626936529LL);
	assert_int_equal(p[0].has_liquidation_px, 1);
	assert_true(p[0].unrealized_pnl == -1340000LL);
	assert_true(p[0].position_value == 10002765000LL);
	assert_true(p[0].margin_used == 496782600LL);
	assert_int_equal(p[0].leverage, 20);
	assert_int_equal(p[0].leverage_isolated, 1);
	assert_true(p[0].cum_funding_all_time == 51408541700LL);
	assert_string_equal(p[1].coin, "BTC");
	assert_true(p[1].szi == -50000000LL);
	assert_int_equal(p[1].has_entry_px, 0);
	assert_true(p[1].entry_px == 0);
	assert_int_equal(p[1].has_liquidation_px, 0);
	assert_int_equal(p[1].leverage_isolated, 0);
	assert_int_equal(p[1].leverage, 5);
	/* capacity 1 */
	assert_int_equal(hl_info_parse_clearinghouse(r, &c, p, 1, err, sizeof err), 0);
	assert_int_equal(c.n_positions, 1);
	assert_int_equal(c.total_positions, 2);
	cJSON_Delete(r);
}

static void expect_ch_error(const char *doc, const char *want)
{
	cJSON *r = j(doc);
	struct hl_clearinghouse c;
	struct hl_position p[2];
	char err[200] = "";
	assert_int_equal(hl_info_parse_clearinghouse(r, &c, p, 2, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, want);
	cJSON_Delete(r);
}

#define MS "\"marginSummary\":{\"accountValue\":\"1\",\"totalMarginUsed\":\"0\",\"totalNtlPos\":\"0\",\"totalRawUsd\":\"1\"}"

static void test_info_clearinghouse_errors(void **state)
{
	(void)state;
	expect_ch_error("[]", "clearinghouseState: expected an object");
	expect_ch_error("{}", "clearinghouseState.marginSummary: missing");
	expect_ch_error("{\"marginSummary\":{\"accountValue\":1}}",
			"clearinghouseState.marginSummary.accountValue: expected a string");
	expect_ch_error("{" MS "}", "clearinghouseState.withdrawable: missing");
	expect_ch_error("{" MS ",\"withdrawable\":\"1\",\"time\":1}",
			"clearinghouseState.assetPositions: missing");
	expect_ch_error("{" MS ",\"withdrawable\":\"1\",\"time\":1,\"assetPositions\":[{\"position\":"
			"{\"coin\":\"ETH\",\"szi\":0.5}}]}",
			"clearinghouseState.assetPositions[0].position.szi: expected a string");
	expect_ch_error("{" MS ",\"withdrawable\":\"1\",\"time\":1,\"assetPositions\":[{\"position\":"
			"{\"coin\":\"ETH\",\"szi\":\"1\",\"entryPx\":\"x\"}}]}",
			"clearinghouseState.assetPositions[0].position.entryPx: \"x\": expected a digit");
	expect_ch_error("{" MS ",\"withdrawable\":\"1\",\"time\":1,\"assetPositions\":[{\"position\":"
			"{\"coin\":\"ETH\",\"szi\":\"1\",\"positionValue\":\"1\",\"unrealizedPnl\":\"1\","
			"\"marginUsed\":\"1\",\"leverage\":{\"type\":\"weird\",\"value\":3}}}]}",
			"clearinghouseState.assetPositions[0].position.leverage.type: expected \"cross\" "
			"or \"isolated\"");
	expect_ch_error("{" MS ",\"withdrawable\":\"1\",\"time\":1,\"assetPositions\":[7]}",
			"clearinghouseState.assetPositions[0]: expected an object");
}

static void test_info_user_fills(void **state)
{
	(void)state;
	cJSON *r = j("[{\"coin\":\"AVAX\",\"px\":\"18.435\",\"sz\":\"93.53\",\"side\":\"B\",\"time\":1681222254710,"
		     "\"startPosition\":\"26.86\",\"dir\":\"Open Long\",\"closedPnl\":\"0.0\","
		     "\"hash\":\"0xa166e3fa63c25663024b03f2e0da011a00307e4017465df020210d3d432e7cb8\","
		     "\"oid\":90542681,\"crossed\":false,\"fee\":\"0.01\",\"tid\":118906512037719,\"feeToken\":\"USDC\"}]");
	struct hl_fill f[2];
	size_t n, total;
	char err[200];
	assert_int_equal(hl_info_parse_user_fills(r, f, 2, &n, &total, err, sizeof err), 0);
	assert_int_equal(n, 1);
	assert_true(f[0].tid == 118906512037719ULL);
	assert_true(f[0].px == 1843500000LL);
	assert_string_equal(f[0].dir, "Open Long");
	cJSON_Delete(r);
	r = j("[{\"coin\":\"AVAX\",\"px\":\"18.435\",\"sz\":\"93.53\",\"side\":\"B\",\"time\":1681222254710,"
	      "\"startPosition\":\"26.86\",\"dir\":\"Open Long\",\"closedPnl\":\"0.0\","
	      "\"hash\":\"0xa166\",\"oid\":90542681,\"crossed\":false,\"fee\":\"0.01\",\"tid\":1}]");
	assert_int_equal(hl_info_parse_user_fills(r, f, 2, &n, &total, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "userFills[0].hash: hash \"0xa166\": expected 0x and 64 hex digits (got 4)");
	cJSON_Delete(r);
	r = j("[{\"coin\":\"AVAX\",\"px\":\"18.435\",\"sz\":\"93.53\",\"side\":\"B\",\"time\":1681222254710,"
	      "\"startPosition\":\"26.86\",\"dir\":\"Open Long\",\"closedPnl\":\"0.0\","
	      "\"hash\":\"0xa166e3fa63c25663024b03f2e0da011a00307e4017465df020210d3d432e7cb8\","
	      "\"oid\":90542681,\"crossed\":\"no\",\"fee\":\"0.01\",\"tid\":1}]");
	assert_int_equal(hl_info_parse_user_fills(r, f, 2, &n, &total, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "userFills[0].crossed: expected a boolean");
	cJSON_Delete(r);
}

static void test_info_order_status(void **state)
{
	(void)state;
	cJSON *r = j("{\"status\": \"order\", \"order\": {\"order\": {\"coin\":\"ETH\",\"side\":\"A\","
		     "\"limitPx\":\"2412.7\",\"sz\":\"0.0\",\"oid\":1,\"timestamp\":1724361546645,"
		     "\"triggerCondition\":\"N/A\",\"isTrigger\":false,\"triggerPx\":\"0.0\",\"children\":[],"
		     "\"isPositionTpsl\":false,\"reduceOnly\":true,\"orderType\":\"Market\",\"origSz\":\"0.0076\","
		     "\"tif\":\"FrontendMarket\",\"cloid\":null}, \"status\": \"filled\", \"statusTimestamp\": 1724361546645}}");
	bool known = false;
	struct hl_order_update u;
	char err[200];
	assert_int_equal(hl_info_parse_order_status(r, &known, &u, err, sizeof err), 0);
	assert_true(known);
	assert_string_equal(u.order.coin, "ETH");
	assert_int_equal(u.order.side, HAT_SIDE_SELL);
	assert_true(u.order.limit_px == 241270000000LL);
	assert_true(u.order.orig_sz == 760000LL);
	assert_int_equal(u.order.reduce_only, 1);
	assert_string_equal(u.order.order_type, "Market");
	assert_int_equal(u.status, HL_OS_FILLED);
	assert_true(u.status_time_ms == 1724361546645ULL);
	cJSON_Delete(r);

	r = j("{\"status\": \"unknownOid\"}");
	assert_int_equal(hl_info_parse_order_status(r, &known, &u, err, sizeof err), 0);
	assert_false(known);
	cJSON_Delete(r);
	r = j("{\"status\": \"bogus\"}");
	assert_int_equal(hl_info_parse_order_status(r, &known, &u, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "orderStatus.status: expected \"order\" or \"unknownOid\"");
	cJSON_Delete(r);
	r = j("{\"status\": \"order\", \"order\": {\"order\": {}, \"status\": \"open\"}}");
	assert_int_equal(hl_info_parse_order_status(r, &known, &u, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "orderStatus.order.order.coin: missing");
	cJSON_Delete(r);
	r = j("null");
	assert_int_equal(hl_info_parse_order_status(r, &known, &u, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "orderStatus: expected an object");
	cJSON_Delete(r);
}

/* hl/json.h's integer rule: exact below 2^53, rejected at and above. */
static void test_info_json_integers(void **state)
{
	(void)state;
	struct hl_jpath p = HL_JPATH_ROOT("x");
	uint64_t v;
	char err[160];
	cJSON *r = j("{\"a\":9007199254740991,\"b\":9007199254740992,\"c\":9007199254740993,"
		     "\"d\":1e3,\"e\":1e400,\"f\":-0,\"g\":true,\"h\":null,\"i\":0.5}");
	assert_int_equal(hl_json_u64(r, "a", &p, &v, err, sizeof err), 0);
	assert_true(v == 9007199254740991ULL);
	assert_int_equal(hl_json_u64(r, "b", &p, &v, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "x.b: integer out of range (max 2^53-1)");
	assert_int_equal(hl_json_u64(r, "c", &p, &v, err, sizeof err), HAT_E_PARSE);
	assert_int_equal(hl_json_u64(r, "d", &p, &v, err, sizeof err), 0);
	assert_true(v == 1000);
	assert_int_equal(hl_json_u64(r, "e", &p, &v, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "x.e: expected an integer");
	assert_int_equal(hl_json_u64(r, "f", &p, &v, err, sizeof err), 0);
	assert_true(v == 0);
	assert_int_equal(hl_json_u64(r, "g", &p, &v, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "x.g: expected an integer");
	assert_int_equal(hl_json_u64(r, "h", &p, &v, err, sizeof err), HAT_E_PARSE);
	assert_int_equal(hl_json_u64(r, "i", &p, &v, err, sizeof err), HAT_E_PARSE);
	assert_int_equal(hl_json_u64(r, "zz", &p, &v, err, sizeof err), HAT_E_PARSE);
	assert_string_equal(err, "x.zz: missing");
	cJSON_Delete(r);
	/* path rendering */
	struct hl_jpath a = HL_JPATH_KEY(&p, "levels"), b = HL_JPATH_IDX(&a, 0), c = HL_JPATH_IDX(&b, 3);
	char buf[64];
	assert_string_equal(hl_jpath_format(&c, "px", buf, sizeof buf), "x.levels[0][3].px");
	assert_string_equal(hl_jpath_format(&c, NULL, buf, 8), "x.level");
	assert_string_equal(hl_jpath_format(NULL, "k", buf, sizeof buf), "k");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_all_mids),
		cmocka_unit_test(test_info_l2book),
		cmocka_unit_test(test_info_open_orders),
		cmocka_unit_test(test_info_clearinghouse),
		cmocka_unit_test(test_info_clearinghouse_errors),
		cmocka_unit_test(test_info_user_fills),
		cmocka_unit_test(test_info_order_status),
		cmocka_unit_test(test_info_json_integers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
