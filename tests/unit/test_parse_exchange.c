/* tests/unit/test_parse_exchange.c -- /exchange responses and error mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "hl/parse_exchange.h"

static int parse(const char *s, struct hl_exch_resp *r, struct hl_exch_status *st, size_t cap,
		 char *err, size_t errlen)
{
	return hl_exchange_parse(s, strlen(s), r, st, cap, err, errlen);
}

/* Section 4.2's order response. */
static void test_exchange_order_statuses(void **state)
{
	(void)state;
	const char *s =
		"{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":["
		"{\"resting\": {\"oid\": 77738308}},"
		"{\"resting\": {\"oid\": 77738309, \"cloid\": \"0x0000000000000000000000000000002a\"}},"
		"{\"filled\":  {\"totalSz\": \"0.02\", \"avgPx\": \"1891.4\", \"oid\": 77747314}},"
		"{\"error\":   \"Order must have minimum value of $10.\"},"
		"\"waitingForFill\","
		"\"waitingForTrigger\"]}}}";
	struct hl_exch_resp r;
	struct hl_exch_status st[8];
	char err[160] = "";
	assert_int_equal(parse(s, &r, st, 8, err, sizeof err), 0);
	assert_int_equal(r.type, HL_EXRESP_ORDER);
	assert_int_equal(r.n_statuses, 6);
	assert_int_equal(r.total_statuses, 6);
	assert_int_equal(st[0].kind, HL_EXST_RESTING);
	assert_true(st[0].oid == 77738308);
	assert_int_equal(st[0].has_cloid, 0);
	assert_int_equal(st[1].kind, HL_EXST_RESTING);
	assert_true(st[1].oid == 77738309);
	assert_int_equal(st[1].has_cloid, 1);
	assert_int_equal(st[1].cloid[15], 0x2a);
	assert_int_equal(st[1].cloid[0], 0);
	assert_int_equal(st[2].kind, HL_EXST_FILLED);
	assert_true(st[2].total_sz == 2000000);
	assert_true(st[2].avg_px == 189140000000LL);
	assert_true(st[2].oid == 77747314);
	assert_int_equal(st[3].kind, HL_EXST_ERROR);
	assert_string_equal(st[3].text, "Order must have minimum value of $10.");
	assert_int_equal(st[3].reason, HAT_REASON_EXCH_MIN_VALUE);
	assert_int_equal(st[4].kind, HL_EXST_WAITING_FOR_FILL);
	assert_int_equal(st[5].kind, HL_EXST_WAITING_FOR_TRIGGER);
	assert_int_equal(st[0].reason, HAT_REASON_NONE);

	/* a smaller array keeps the first ones and reports the total */
	assert_int_equal(parse(s, &r, st, 2, err, sizeof err), 0);
	assert_int_equal(r.n_statuses, 2);
	assert_int_equal(r.total_statuses, 6);
	assert_int_equal(parse(s, &r, NULL, 0, err, sizeof err), 0);
	assert_int_equal(r.n_statuses, 0);
	assert_int_equal(r.total_statuses, 6);
}

static void test_exchange_cancel_default_err(void **state)
{
	(void)state;
	struct hl_exch_resp r;
	struct hl_exch_status st[4];
	char err[160] = "";
	const char *c = "{\"status\":\"ok\",\"response\":{\"type\":\"cancel\",\"data\":{\"statuses\":["
			"\"success\",{\"error\": \"Order was never placed, already canceled, or filled.\"}]}}}";
	assert_int_equal(parse(c, &r, st, 4, err, sizeof err), 0);
	assert_int_equal(r.type, HL_EXRESP_CANCEL);
	assert_int_equal(r.n_statuses, 2);
	assert_int_equal(st[0].kind, HL_EXST_SUCCESS);
	assert_int_equal(st[1].kind, HL_EXST_ERROR);
	assert_int_equal(st[1].reason, HAT_REASON_EXCH_UNKNOWN_ORDER);

	assert_int_equal(parse("{\"status\":\"ok\",\"response\":{\"type\":\"default\"}}", &r, st, 4,
			       err, sizeof err), 0);
	assert_int_equal(r.type, HL_EXRESP_DEFAULT);
	assert_int_equal(r.n_statuses, 0);

	const char *e = "{\"status\":\"err\",\"response\":\"L1 error: User or API Wallet "
			"0x0123456789abcdef0123456789abcdef01234567 does not exist.\"}";
	assert_int_equal(parse(e, &r, st, 4, err, sizeof err), 0);
	assert_int_equal(r.type, HL_EXRESP_ERR);
	assert_int_equal(r.reason, HAT_REASON_EXCH_SIGNATURE);
	assert_string_equal(r.text, "L1 error: User or API Wallet "
				    "0x0123456789abcdef0123456789abcdef01234567 does not exist.");

	assert_int_equal(parse("{\"status\":\"ok\",\"response\":{\"type\":\"twapOrder\",\"data\":{}}}",
			       &r, st, 4, err, sizeof err), 0);
	assert_int_equal(r.type, HL_EXRESP_OTHER);
	assert_string_equal(r.text, "twapOrder");

	/* an unknown bare status does not hide the others */
	assert_int_equal(parse("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
			       "[\"somethingNew\",{\"resting\":{\"oid\":5}}]}}}", &r, st, 4, err,
			       sizeof err), 0);
	assert_int_equal(st[0].kind, HL_EXST_UNKNOWN);
	assert_string_equal(st[0].text, "somethingNew");
	assert_int_equal(st[1].kind, HL_EXST_RESTING);
	assert_true(st[1].oid == 5);
}

static void test_exchange_reason_mapping(void **state)
{
	(void)state;
	static const struct { const char *text; enum hat_reason r; } cases[] = {
		{ "Price must be divisible by tick size.", HAT_REASON_EXCH_TICK },
		{ "Order has invalid price.", HAT_REASON_EXCH_TICK },
		{ "Order must have minimum value of $10.", HAT_REASON_EXCH_MIN_VALUE },
		{ "Order must have minimum value of 10 USDC.", HAT_REASON_EXCH_MIN_VALUE },
		{ "Insufficient margin to place order.", HAT_REASON_EXCH_MARGIN },
		{ "Order would cause position to exceed margin tier limit at current leverage",
		  HAT_REASON_EXCH_MARGIN },
		{ "Order has insufficient spot balance to trade", HAT_REASON_EXCH_MARGIN },
		{ "Reduce only order would increase position.", HAT_REASON_EXCH_REDUCE_ONLY },
		{ "Post only order would have immediately matched, bbo was 1.0@1.1",
		  HAT_REASON_EXCH_POST_ONLY_CROSS },
		{ "Order could not immediately match against any resting orders.",
		  HAT_REASON_EXCH_IOC_NO_MATCH },
		{ "Invalid TP/SL price.", HAT_REASON_EXCH_TRIGGER_PX },
		{ "No liquidity available for market order.", HAT_REASON_EXCH_NO_LIQUIDITY },
		{ "Order was never placed, already canceled, or filled.", HAT_REASON_EXCH_UNKNOWN_ORDER },
		{ "Cannot modify canceled or filled order", HAT_REASON_EXCH_UNKNOWN_ORDER },
		{ "User or API Wallet 0xabc does not exist.", HAT_REASON_EXCH_SIGNATURE },
		{ "Must deposit before performing actions. User: 0xabc", HAT_REASON_EXCH_SIGNATURE },
		{ "Invalid nonce: duplicate nonce", HAT_REASON_EXCH_NONCE },
		{ "Nonce too low", HAT_REASON_EXCH_NONCE },
		{ "Too many requests", HAT_REASON_EXCH_RATE_LIMIT },
		{ "Too many cumulative requests sent (cumulative volume)", HAT_REASON_EXCH_RATE_LIMIT },
		{ "Order price too far from oracle", HAT_REASON_EXCH_OTHER },
		{ "Order would increase open interest while open interest is capped",
		  HAT_REASON_EXCH_OTHER },
		{ "", HAT_REASON_EXCH_OTHER },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (hl_exchange_reason(cases[i].text) != cases[i].r)
			fail_msg("\"%s\": %d, want %d", cases[i].text,
				 (int)hl_exchange_reason(cases[i].text), (int)cases[i].r);
	assert_int_equal(hl_exchange_reason(NULL), HAT_REASON_EXCH_OTHER);
}

static void expect_error(const char *s, const char *want)
{
	struct hl_exch_resp r;
	struct hl_exch_status st[4];
	char err[200] = "";
	int rc = parse(s, &r, st, 4, err, sizeof err);
	if (rc != HAT_E_PARSE)
		fail_msg("%s: rc %d", s, rc);
	assert_string_equal(err, want);
}

static void test_exchange_rejects_malformed(void **state)
{
	(void)state;
	expect_error("", "empty input");
	expect_error("{\"status\":\"ok\"", "invalid JSON at byte 13");
	expect_error("[]", "expected a JSON object");
	expect_error("{}", "status: missing");
	expect_error("{\"status\":1}", "status: expected a string");
	expect_error("{\"status\":\"maybe\"}", "status: expected \"ok\" or \"err\"");
	expect_error("{\"status\":\"err\",\"response\":{}}", "response: expected a string");
	expect_error("{\"status\":\"ok\",\"response\":\"x\"}", "response: expected an object");
	expect_error("{\"status\":\"ok\",\"response\":{}}", "response.type: missing");
	expect_error("{\"status\":\"ok\",\"response\":{\"type\":\"order\"}}", "response.data: missing");
	expect_error("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":{}}}}",
		     "response.data.statuses: expected an array");
	expect_error("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":[1]}}}",
		     "response.data.statuses[0]: expected a string or an object");
	expect_error("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
		     "[\"success\",{\"resting\":{\"oid\":\"5\"}}]}}}",
		     "response.data.statuses[1].resting.oid: expected an integer");
	expect_error("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
		     "[{\"resting\":{\"oid\":9007199254740992}}]}}}",
		     "response.data.statuses[0].resting.oid: integer out of range (max 2^53-1)");
	expect_error("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
		     "[{\"resting\":{\"oid\":-1}}]}}}",
		     "response.data.statuses[0].resting.oid: expected a non-negative integer");
	expect_error("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
		     "[{\"resting\":{\"oid\":1.5}}]}}}",
		     "response.data.statuses[0].resting.oid: expected an integer");
	expect_error("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
		     "[{\"filled\":{\"totalSz\":\"0.02\",\"avgPx\":1891.4,\"oid\":1}}]}}}",
		     "response.data.statuses[0].filled.avgPx: expected a string");
	expect_error("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
		     "[{\"filled\":{\"totalSz\":\"1e-3\",\"avgPx\":\"1\",\"oid\":1}}]}}}",
		     "response.data.statuses[0].filled.totalSz: \"1e-3\": unexpected character");
	expect_error("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
		     "[{\"resting\":{\"oid\":1,\"cloid\":\"0x2a\"}}]}}}",
		     "response.data.statuses[0].resting.cloid: cloid \"0x2a\": expected 0x and 32 "
		     "hex digits (got 2)");
	expect_error("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
		     "[{\"error\":5}]}}}", "response.data.statuses[0].error: expected a string");
	expect_error("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
		     "[{\"weird\":{}}]}}}",
		     "response.data.statuses[0]: expected \"resting\", \"filled\" or \"error\"");
}

/* Integers up to 2^53-1 are exact. */
static void test_exchange_large_oid_exact(void **state)
{
	(void)state;
	struct hl_exch_resp r;
	struct hl_exch_status st[2];
	char err[160];
	assert_int_equal(parse("{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
			       "[{\"resting\":{\"oid\":9007199254740991}},{\"resting\":{\"oid\":1125899906842625}}]}}}",
			       &r, st, 2, err, sizeof err), 0);
	assert_true(st[0].oid == 9007199254740991ULL);
	assert_true(st[1].oid == 1125899906842625ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_order_statuses),
		cmocka_unit_test(test_exchange_cancel_default_err),
		cmocka_unit_test(test_exchange_reason_mapping),
		cmocka_unit_test(test_exchange_rejects_malformed),
		cmocka_unit_test(test_exchange_large_oid_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
