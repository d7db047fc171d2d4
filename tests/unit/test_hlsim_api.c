/* tests/unit/test_hlsim_api.c -- hlsim_exchange / hlsim_info driven with requests signed by
 * hl/ exactly as a client signs them (test key 0x0123..0123, testnet): place, rest, fill,
 * cancel, modify, nonce rules, unknown signer, scheduleCancel, leverage, usdSend, agents, and
 * the exact /info answers. The flow is off so oids and books are predictable (first oid 1000). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/fixed.h"
#include "hl/sign.h"
#include "hl/wire.h"
#include "tests/unit/hlsim_test_util.h"

#define SOL 2
#define USD(x) ((int64_t)(x) * HAT_FX_ONE)
#define OK_DEFAULT "{\"status\":\"ok\",\"response\":{\"type\":\"default\"}}"
#define BUY_SOL(px, sz, tif) \
	"{\"type\":\"order\",\"orders\":[{\"a\":2,\"b\":true,\"p\":\"" px "\",\"s\":\"" sz \
	"\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"" tif "\"}}}],\"grouping\":\"na\"}"
#define SELL_SOL(px, sz, tif) \
	"{\"type\":\"order\",\"orders\":[{\"a\":2,\"b\":false,\"p\":\"" px "\",\"s\":\"" sz \
	"\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"" tif "\"}}}],\"grouping\":\"na\"}"

static int setup(void **state)
{
	struct hts *t = calloc(1, sizeof *t);
	hts_init(t, USD(10000), false);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	hts_deinit(*state);
	free(*state);
	return 0;
}

static void test_api_place_rest_then_open_orders(void **state)
{
	struct hts *t = *state;
	assert_int_equal(hts_exchange(t, BUY_SOL("100", "1", "Gtc")), 200);
	assert_string_equal(t->out.data, "{\"status\":\"ok\",\"response\":{\"type\":\"order\","
					 "\"data\":{\"statuses\":[{\"resting\":{\"oid\":1000}}]}}}");
	assert_int_equal(t->weight, 1);
	assert_int_equal(hts_info(t, "{\"type\":\"openOrders\",\"user\":\"%s\"}", HTS_ADDR), 200);
	assert_string_equal(t->out.data,
			    "[{\"coin\":\"SOL\",\"limitPx\":\"100\",\"oid\":1000,\"origSz\":\"1\","
			    "\"side\":\"B\",\"sz\":\"1\",\"timestamp\":1717000000000}]");
	assert_int_equal(hts_info(t, "{\"type\":\"l2Book\",\"coin\":\"SOL\"}"), 200);
	assert_string_equal(t->out.data, "{\"coin\":\"SOL\",\"time\":1717000000000,\"levels\":"
					 "[[{\"px\":\"100\",\"sz\":\"1\",\"n\":1}],[]]}");
	assert_int_equal(t->weight, 2);
	/* an orderUpdates push for the test user with status open */
	bool seen = false;
	for (size_t i = 0; i < t->n_ev; i++)
		if (t->ev[i].kind == HLSIM_EV_ORDER_UPDATES && memcmp(t->ev[i].user, t->addr, 20) == 0 &&
		    strstr(t->ev[i].json, "\"status\":\"open\""))
			seen = true;
	assert_true(seen);
}

static void test_api_fill_and_user_state(void **state)
{
	struct hts *t = *state;
	uint32_t mk = hts_account(t, 1, USD(100000));
	hts_place(t, mk, SOL, true, "100", "2", HLSIM_TIF_GTC, false); /* oid 1000 */
	assert_int_equal(hts_exchange(t, SELL_SOL("99", "1.5", "Ioc")), 200);
	assert_string_equal(t->out.data,
			    "{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
			    "[{\"filled\":{\"totalSz\":\"1.5\",\"avgPx\":\"100\",\"oid\":1001}}]}}}");
	assert_int_equal(hts_info(t, "{\"type\":\"userFills\",\"user\":\"%s\"}", HTS_ADDR), 200);
	/* fee 150 * 0.00045 = 0.0675 */
	assert_non_null(strstr(t->out.data, "{\"coin\":\"SOL\",\"px\":\"100\",\"sz\":\"1.5\",\"side\":\"A\","
				"\"time\":1717000000000,\"startPosition\":\"0\",\"dir\":\"Open Short\","
				"\"closedPnl\":\"0\",\"hash\":\"0x"));
	assert_non_null(strstr(t->out.data, "\"oid\":1001,\"crossed\":true,\"fee\":\"0.0675\",\"tid\":"));
	assert_non_null(strstr(t->out.data, "\"feeToken\":\"USDC\"}]"));
	/* the book is one-sided (0.5 bid left), so the mark is the last trade, 100 */
	assert_int_equal(hts_info(t, "{\"type\":\"clearinghouseState\",\"user\":\"%s\"}", HTS_ADDR), 200);
	assert_string_equal(t->out.data,
		"{\"assetPositions\":[{\"type\":\"oneWay\",\"position\":{\"coin\":\"SOL\",\"szi\":\"-1.5\","
		"\"leverage\":{\"type\":\"cross\",\"value\":20},\"entryPx\":\"100\",\"positionValue\":\"150\","
		"\"unrealizedPnl\":\"0\",\"returnOnEquity\":\"0\",\"liquidationPx\":null,\"marginUsed\":\"7.5\","
		"\"maxLeverage\":20,\"cumFunding\":{\"allTime\":\"0\",\"sinceOpen\":\"0\",\"sinceChange\":\"0\"}}}],"
		"\"crossMaintenanceMarginUsed\":\"3.75\","
		"\"crossMarginSummary\":{\"accountValue\":\"9999.9325\",\"totalNtlPos\":\"150\",\"totalRawUsd\":\"10149.9325\",\"totalMarginUsed\":\"7.5\"},"
		"\"marginSummary\":{\"accountValue\":\"9999.9325\",\"totalNtlPos\":\"150\",\"totalRawUsd\":\"10149.9325\",\"totalMarginUsed\":\"7.5\"},"
		"\"withdrawable\":\"9992.4325\",\"time\":1717000000000}");
	assert_int_equal(hts_info(t, "{\"type\":\"userRateLimit\",\"user\":\"%s\"}", HTS_ADDR), 200);
	assert_string_equal(t->out.data, "{\"cumVlm\":\"150\",\"nRequestsUsed\":1,"
					 "\"nRequestsCap\":10150,\"nRequestsSurplus\":0}");
	assert_int_equal(hts_count(t, HLSIM_EV_TRADES), 1);
	assert_int_equal(hts_info(t, "{\"type\":\"orderStatus\",\"user\":\"%s\",\"oid\":1001}", HTS_ADDR), 200);
	assert_non_null(strstr(t->out.data, "\"status\":\"filled\",\"statusTimestamp\":1717000000000}}"));
	assert_non_null(strstr(t->out.data, "{\"status\":\"order\",\"order\":{\"order\":{\"coin\":\"SOL\","
				"\"isPositionTpsl\":false,\"isTrigger\":false,\"limitPx\":\"99\",\"oid\":1001,"
				"\"orderType\":\"Limit\",\"origSz\":\"1.5\",\"reduceOnly\":false,\"side\":\"A\","
				"\"sz\":\"0\""));
}

static void test_api_cancel_and_unknown_order(void **state)
{
	struct hts *t = *state;
	hts_exchange(t, BUY_SOL("100", "1", "Gtc"));
	assert_int_equal(hts_exchange(t, "{\"type\":\"cancel\",\"cancels\":[{\"a\":2,\"o\":1000}]}"), 200);
	assert_string_equal(t->out.data, "{\"status\":\"ok\",\"response\":{\"type\":\"cancel\","
					 "\"data\":{\"statuses\":[\"success\"]}}}");
	hts_exchange(t, "{\"type\":\"cancel\",\"cancels\":[{\"a\":2,\"o\":1000}]}");
	assert_string_equal(t->out.data, "{\"status\":\"ok\",\"response\":{\"type\":\"cancel\","
					 "\"data\":{\"statuses\":[{\"error\":\"Order was never placed, "
					 "already canceled, or filled.\"}]}}}");
	assert_int_equal(hts_info(t, "{\"type\":\"orderStatus\",\"user\":\"%s\",\"oid\":1000}", HTS_ADDR), 200);
	assert_non_null(strstr(t->out.data, "\"status\":\"canceled\""));
	assert_int_equal(hts_info(t, "{\"type\":\"orderStatus\",\"user\":\"%s\",\"oid\":5}", HTS_ADDR), 200);
	assert_string_equal(t->out.data, "{\"status\":\"unknownOid\"}");
}

static void test_api_cloid_cancel_and_order_status(void **state)
{
	struct hts *t = *state;
	hts_exchange(t, "{\"type\":\"order\",\"orders\":[{\"a\":2,\"b\":true,\"p\":\"100\",\"s\":\"1\","
			"\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}},\"c\":\"0x0000000000000000000000000000002a\"}],"
			"\"grouping\":\"na\"}");
	assert_string_equal(t->out.data, "{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":"
					 "{\"statuses\":[{\"resting\":{\"oid\":1000,\"cloid\":"
					 "\"0x0000000000000000000000000000002a\"}}]}}}");
	hts_info(t, "{\"type\":\"orderStatus\",\"user\":\"%s\",\"oid\":\"0x0000000000000000000000000000002a\"}",
		 HTS_ADDR);
	assert_non_null(strstr(t->out.data, "\"oid\":1000,"));
	assert_non_null(strstr(t->out.data, "\"status\":\"open\""));
	hts_exchange(t, "{\"type\":\"cancelByCloid\",\"cancels\":[{\"asset\":2,\"cloid\":"
			"\"0x0000000000000000000000000000002a\"}]}");
	assert_string_equal(t->out.data, "{\"status\":\"ok\",\"response\":{\"type\":\"cancel\","
					 "\"data\":{\"statuses\":[\"success\"]}}}");
}

static void test_api_batch_modify_gives_new_oid(void **state)
{
	struct hts *t = *state;
	hts_exchange(t, BUY_SOL("100", "1", "Gtc"));
	hts_exchange(t, "{\"type\":\"batchModify\",\"modifies\":[{\"oid\":1000,\"order\":{\"a\":2,"
			"\"b\":true,\"p\":\"101\",\"s\":\"2\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}}]}");
	assert_string_equal(t->out.data, "{\"status\":\"ok\",\"response\":{\"type\":\"order\","
					 "\"data\":{\"statuses\":[{\"resting\":{\"oid\":1001}}]}}}");
	hts_exchange(t, "{\"type\":\"modify\",\"oid\":1000,\"order\":{\"a\":2,\"b\":true,\"p\":\"101\","
			"\"s\":\"2\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}}");
	assert_string_equal(t->out.data, "{\"status\":\"err\",\"response\":\"Cannot modify canceled or filled order\"}");
	hts_exchange(t, "{\"type\":\"modify\",\"oid\":1001,\"order\":{\"a\":2,\"b\":true,\"p\":\"99\","
			"\"s\":\"2\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}}");
	assert_string_equal(t->out.data, OK_DEFAULT);
	hts_info(t, "{\"type\":\"openOrders\",\"user\":\"%s\"}", HTS_ADDR);
	assert_string_equal(t->out.data,
			    "[{\"coin\":\"SOL\",\"limitPx\":\"99\",\"oid\":1002,\"origSz\":\"2\","
			    "\"side\":\"B\",\"sz\":\"2\",\"timestamp\":1717000000000}]");
}

static void test_api_per_order_errors_in_batch(void **state)
{
	struct hts *t = *state;
	hts_exchange(t, "{\"type\":\"order\",\"orders\":["
			"{\"a\":2,\"b\":true,\"p\":\"100.123\",\"s\":\"1\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}},"
			"{\"a\":2,\"b\":true,\"p\":\"5\",\"s\":\"1\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}},"
			"{\"a\":2,\"b\":true,\"p\":\"100\",\"s\":\"1\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Ioc\"}}},"
			"{\"a\":2,\"b\":false,\"p\":\"100\",\"s\":\"1\",\"r\":true,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}},"
			"{\"a\":2,\"b\":true,\"p\":\"100\",\"s\":\"3000\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}},"
			"{\"a\":2,\"b\":true,\"p\":\"100\",\"s\":\"1\",\"r\":false,\"t\":{\"trigger\":{\"isMarket\":true,\"triggerPx\":\"160\",\"tpsl\":\"sl\"}}}"
			"],\"grouping\":\"na\"}");
	assert_string_equal(t->out.data,
		"{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":["
		"{\"error\":\"Price must be divisible by tick size.\"},"
		"{\"error\":\"Order must have minimum value of $10.\"},"
		"{\"error\":\"Order could not immediately match against any resting orders.\"},"
		"{\"error\":\"Reduce only order would increase position.\"},"
		"{\"error\":\"Insufficient margin to place order.\"},"
		"\"waitingForTrigger\"]}}}");
	hts_info(t, "{\"type\":\"frontendOpenOrders\",\"user\":\"%s\"}", HTS_ADDR);
	assert_string_equal(t->out.data,
		"[{\"coin\":\"SOL\",\"isPositionTpsl\":false,\"isTrigger\":true,\"limitPx\":\"100\","
		"\"oid\":1000,\"orderType\":\"Stop Market\",\"origSz\":\"1\",\"reduceOnly\":false,"
		"\"side\":\"B\",\"sz\":\"1\",\"timestamp\":1717000000000,\"triggerCondition\":"
		"\"Price above 160\",\"triggerPx\":\"160\",\"children\":[],\"tif\":null,\"cloid\":null}]");
}

static void test_api_nonce_reuse_and_window(void **state)
{
	struct hts *t = *state;
	uint64_t n = t->now + 5;
	assert_int_equal(hts_exchange_nonce(t, "{\"type\":\"noop\"}", n), 200);
	assert_string_equal(t->out.data, OK_DEFAULT);
	hts_exchange_nonce(t, "{\"type\":\"noop\"}", n);
	assert_string_equal(t->out.data, "{\"status\":\"err\",\"response\":\"Invalid nonce: duplicate nonce 1717000000005\"}");
	hts_exchange_nonce(t, "{\"type\":\"noop\"}", t->now - 2ULL * 86400000ULL);
	assert_string_equal(t->out.data, "{\"status\":\"err\",\"response\":\"Invalid nonce: time out of range 1716827200000\"}");
	hts_exchange_nonce(t, "{\"type\":\"noop\"}", t->now + 86400000ULL);
	assert_non_null(strstr(t->out.data, "time out of range"));
	/* fill the 100-slot window, then anything at or below the smallest kept is too low */
	for (uint64_t i = 1; i <= 100; i++) {
		hts_exchange_nonce(t, "{\"type\":\"noop\"}", t->now + 1000 + i);
		assert_string_equal(t->out.data, OK_DEFAULT);
	}
	hts_exchange_nonce(t, "{\"type\":\"noop\"}", t->now + 1001);
	assert_non_null(strstr(t->out.data, "Invalid nonce: duplicate nonce"));
	hts_exchange_nonce(t, "{\"type\":\"noop\"}", t->now + 1000);
	assert_non_null(strstr(t->out.data, "Invalid nonce: too low"));
	hts_exchange_nonce(t, "{\"type\":\"noop\"}", t->now + 900);
	assert_non_null(strstr(t->out.data, "Invalid nonce: too low"));
	hts_exchange_nonce(t, "{\"type\":\"noop\"}", t->now + 1050 + 1000);
	assert_string_equal(t->out.data, OK_DEFAULT);
}

static void test_api_unknown_signer_does_not_exist(void **state)
{
	struct hts *t = *state;
	struct hl_signer other;
	uint8_t key[32];
	memset(key, 0x11, sizeof key);
	assert_int_equal(hl_signer_init(&other, key), 0);
	char want[160], a[HL_ADDR_STRLEN];
	hl_addr_format(hl_signer_address(&other), a);
	snprintf(want, sizeof want, "{\"status\":\"err\",\"response\":\"User or API Wallet %s does not exist.\"}", a);
	struct hat_buf body = HAT_BUF_INIT;
	hts_sign_body(&other, "{\"type\":\"noop\"}", t->now + 1, false, &body);
	int st;
	assert_int_equal(hlsim_exchange(t->e, body.data, body.len, t->now, &t->out, &st, NULL), 0);
	assert_int_equal(st, 200);
	assert_string_equal(t->out.data, want);
	/* a non-canonical price spelling changes the hash the server computes: another signer */
	hts_exchange(t, BUY_SOL("100.0", "1", "Gtc"));
	assert_non_null(strstr(t->out.data, "{\"status\":\"err\",\"response\":\"User or API Wallet 0x"));
	assert_null(strstr(t->out.data, HTS_ADDR));
	/* signed for mainnet, checked as testnet */
	hts_sign_body(&t->key, "{\"type\":\"noop\"}", t->now + 7, true, &body);
	hlsim_exchange(t->e, body.data, body.len, t->now, &t->out, &st, NULL);
	assert_non_null(strstr(t->out.data, "does not exist."));
	hat_buf_free(&body);
	hl_signer_deinit(&other);
}

static void test_api_malformed_bodies(void **state)
{
	struct hts *t = *state;
	int st;
	assert_int_equal(hlsim_exchange(t->e, "{nope", 5, t->now, &t->out, &st, NULL), 0);
	assert_int_equal(st, 400);
	const char *b = "{\"action\":{\"type\":\"noop\"},\"signature\":{\"r\":\"0x1\",\"s\":\"0x1\",\"v\":27}}";
	hlsim_exchange(t->e, b, strlen(b), t->now, &t->out, &st, NULL);
	assert_int_equal(st, 422);
	assert_string_equal(t->out.data, "Failed to deserialize the JSON body into the target type: "
					 "missing or invalid field `nonce`");
	b = "{\"action\":{\"type\":\"frobnicate\"},\"nonce\":1,\"signature\":{\"r\":\"0x1\",\"s\":\"0x1\",\"v\":27}}";
	hlsim_exchange(t->e, b, strlen(b), t->now, &t->out, &st, NULL);
	assert_int_equal(st, 422);
	assert_non_null(strstr(t->out.data, "Failed to deserialize the JSON body into the target type: "));
	assert_int_equal(hts_info(t, "{\"type\":\"frobnicate\"}"), 422);
	assert_string_equal(t->out.data, "Failed to deserialize the JSON body into the target type: "
					 "unknown variant `frobnicate`");
	assert_int_equal(hts_info(t, "{\"type\":\"openOrders\",\"user\":\"0x12\"}"), 422);
}

static void test_api_schedule_cancel_fires_on_tick(void **state)
{
	struct hts *t = *state;
	char a[128];
	snprintf(a, sizeof a, "{\"type\":\"scheduleCancel\",\"time\":%llu}", (unsigned long long)(t->now + 4999));
	hts_exchange(t, a);
	assert_non_null(strstr(t->out.data, "\"status\":\"err\""));
	snprintf(a, sizeof a, "{\"type\":\"scheduleCancel\",\"time\":%llu}", (unsigned long long)(t->now + 5000));
	hts_exchange(t, a);
	assert_string_equal(t->out.data, OK_DEFAULT);
	hts_exchange(t, BUY_SOL("100", "1", "Gtc"));
	hts_exchange(t, BUY_SOL("99", "1", "Gtc"));
	hlsim_tick(t->e, t->now + 4999);
	assert_int_equal(t->e->acct[t->acct]->n_orders, 2);
	hts_clear_events(t);
	hlsim_tick(t->e, t->now + 5000);
	assert_int_equal(t->e->acct[t->acct]->n_orders, 0);
	assert_int_equal(t->e->acct[t->acct]->sched_count, 1);
	size_t k = 0;
	for (size_t i = 0; i < t->n_ev; i++)
		k += t->ev[i].kind == HLSIM_EV_ORDER_UPDATES &&
		     strstr(t->ev[i].json, "\"status\":\"scheduledCancel\"") != NULL;
	assert_int_equal(k, 2);
	t->now += 5000;
	hts_info(t, "{\"type\":\"orderStatus\",\"user\":\"%s\",\"oid\":1001}", HTS_ADDR);
	assert_non_null(strstr(t->out.data, "\"status\":\"scheduledCancel\",\"statusTimestamp\":1717000005000}"));
	/* removing the deadline: no "time" key */
	hts_exchange(t, "{\"type\":\"scheduleCancel\"}");
	assert_string_equal(t->out.data, OK_DEFAULT);
}

static void test_api_update_leverage(void **state)
{
	struct hts *t = *state;
	hts_exchange(t, "{\"type\":\"updateLeverage\",\"asset\":2,\"isCross\":true,\"leverage\":5}");
	assert_string_equal(t->out.data, OK_DEFAULT);
	assert_int_equal(t->e->acct[t->acct]->pos[SOL].leverage, 5);
	hts_exchange(t, "{\"type\":\"updateLeverage\",\"asset\":2,\"isCross\":true,\"leverage\":21}");
	assert_string_equal(t->out.data, "{\"status\":\"err\",\"response\":\"Invalid leverage value.\"}");
}

static void sign_user(struct hts *t, const struct hl_user_action *ua, const char *action_json,
		      uint64_t nonce, struct hat_buf *body)
{
	uint8_t d[32];
	struct hl_sig sig;
	char sj[HL_SIG_JSON_LEN];
	hl_user_digest(ua, d);
	assert_int_equal(hl_sign_digest(&t->key, d, &sig), 0);
	hl_sig_to_json(&sig, sj);
	hat_buf_reset(body);
	hat_buf_printf(body, "{\"action\":%s,\"nonce\":%llu,\"signature\":%s,\"vaultAddress\":null}",
		       action_json, (unsigned long long)nonce, sj);
}

static void test_api_usd_send_between_accounts(void **state)
{
	struct hts *t = *state;
	const char *dest = "0x5e9ee1089755c3435139848e47e6635505d5a13a";
	uint64_t n = t->now + 3;
	struct hl_user_action ua = { .kind = HL_USER_USD_SEND, .chain_id = 0x66eee, .mainnet = false,
				     .destination = dest, .amount = "12.5", .time = n };
	char aj[512];
	snprintf(aj, sizeof aj, "{\"destination\":\"%s\",\"amount\":\"12.5\",\"time\":%llu,\"type\":\"usdSend\","
		 "\"signatureChainId\":\"0x66eee\",\"hyperliquidChain\":\"Testnet\"}", dest, (unsigned long long)n);
	struct hat_buf body = HAT_BUF_INIT;
	sign_user(t, &ua, aj, n, &body);
	int st;
	assert_int_equal(hlsim_exchange(t->e, body.data, body.len, t->now, &t->out, &st, NULL), 0);
	assert_string_equal(t->out.data, OK_DEFAULT);
	assert_true(t->e->acct[t->acct]->usdc == USD(10000) - hts_fx("12.5"));
	hts_info(t, "{\"type\":\"clearinghouseState\",\"user\":\"%s\"}", dest);
	assert_non_null(strstr(t->out.data, "\"withdrawable\":\"12.5\""));
	/* replay of the same signed request: duplicate nonce */
	hlsim_exchange(t->e, body.data, body.len, t->now, &t->out, &st, NULL);
	assert_non_null(strstr(t->out.data, "Invalid nonce: duplicate nonce"));
	hat_buf_free(&body);
}

static void test_api_agent_signs_for_owner(void **state)
{
	struct hts *t = *state;
	struct hl_signer agent;
	uint8_t key[32];
	memset(key, 0x22, sizeof key);
	assert_int_equal(hl_signer_init(&agent, key), 0);
	char aa[HL_ADDR_STRLEN];
	hl_addr_format(hl_signer_address(&agent), aa);
	uint64_t n = t->now + 9;
	struct hl_user_action ua = { .kind = HL_USER_APPROVE_AGENT, .chain_id = 0x66eee,
				     .mainnet = false, .time = n, .agent_name = "" };
	memcpy(ua.agent_address, hl_signer_address(&agent), 20);
	char aj[512];
	snprintf(aj, sizeof aj, "{\"type\":\"approveAgent\",\"signatureChainId\":\"0x66eee\","
		 "\"hyperliquidChain\":\"Testnet\",\"agentAddress\":\"%s\",\"nonce\":%llu}", aa,
		 (unsigned long long)n);
	struct hat_buf body = HAT_BUF_INIT;
	sign_user(t, &ua, aj, n, &body);
	int st;
	hlsim_exchange(t->e, body.data, body.len, t->now, &t->out, &st, NULL);
	assert_string_equal(t->out.data, OK_DEFAULT);
	hts_sign_body(&agent, BUY_SOL("100", "1", "Gtc"), t->now + 1, false, &body);
	hlsim_exchange(t->e, body.data, body.len, t->now, &t->out, &st, NULL);
	assert_string_equal(t->out.data, "{\"status\":\"ok\",\"response\":{\"type\":\"order\","
					 "\"data\":{\"statuses\":[{\"resting\":{\"oid\":1000}}]}}}");
	/* the order belongs to the owner; the agent's address has no data */
	hts_info(t, "{\"type\":\"openOrders\",\"user\":\"%s\"}", HTS_ADDR);
	assert_non_null(strstr(t->out.data, "\"oid\":1000"));
	hts_info(t, "{\"type\":\"openOrders\",\"user\":\"%s\"}", aa);
	assert_string_equal(t->out.data, "[]");
	/* agents cannot send user-signed actions */
	hl_signer_deinit(&agent);
	hat_buf_free(&body);
}

static void test_api_meta_and_mids(void **state)
{
	struct hts *t = *state;
	hts_info(t, "{\"type\":\"meta\"}");
	assert_string_equal(t->out.data, "{\"universe\":[{\"name\":\"BTC\",\"szDecimals\":5,\"maxLeverage\":40},"
					 "{\"name\":\"ETH\",\"szDecimals\":4,\"maxLeverage\":25},"
					 "{\"name\":\"SOL\",\"szDecimals\":2,\"maxLeverage\":20}],\"marginTables\":[]}");
	assert_int_equal(t->weight, 20);
	hts_info(t, "{\"type\":\"allMids\"}");
	assert_string_equal(t->out.data, "{\"BTC\":\"65000\",\"ETH\":\"3000\",\"SOL\":\"150\"}");
	hts_exchange(t, BUY_SOL("100", "1", "Gtc"));
	hts_exchange(t, SELL_SOL("101", "1", "Gtc"));
	hts_info(t, "{\"type\":\"allMids\"}");
	assert_string_equal(t->out.data, "{\"BTC\":\"65000\",\"ETH\":\"3000\",\"SOL\":\"100.5\"}");
	hts_info(t, "{\"type\":\"metaAndAssetCtxs\"}");
	assert_non_null(strstr(t->out.data, "{\"dayNtlVlm\":\"0\",\"funding\":\"0\",\"impactPxs\":[\"100\",\"101\"],"
				"\"midPx\":\"100.5\",\"markPx\":\"100.5\",\"openInterest\":\"0\",\"oraclePx\":\"100.5\","
				"\"premium\":\"0\",\"prevDayPx\":\"150\",\"dayBaseVlm\":\"0\"}]]"));
	hts_info(t, "{\"type\":\"l2Book\",\"coin\":\"SOL\",\"nSigFigs\":2}");
	assert_string_equal(t->out.data, "{\"coin\":\"SOL\",\"time\":1717000000000,\"levels\":"
					 "[[{\"px\":\"100\",\"sz\":\"1\",\"n\":1}],[{\"px\":\"110\",\"sz\":\"1\",\"n\":1}]]}");
	assert_int_equal(hts_info(t, "{\"type\":\"l2Book\",\"coin\":\"SOL\",\"nSigFigs\":3,\"mantissa\":2}"), 422);
}

static void test_api_subscriptions(void **state)
{
	struct hts *t = *state;
	char err[256];
	cJSON *s = cJSON_Parse("{\"type\":\"l2Book\",\"coin\":\"SOL\"}");
	assert_int_equal(hlsim_subscription_check(t->e, s, err, sizeof err), 0);
	assert_string_equal(err, "l2Book");
	assert_int_equal(hlsim_snapshot_json(t->e, s, &t->out), 0);
	assert_string_equal(t->out.data, "{\"coin\":\"SOL\",\"time\":1717000000000,\"levels\":[[],[]]}");
	cJSON_Delete(s);
	s = cJSON_Parse("{\"type\":\"l2Book\",\"coin\":\"NOPE\"}");
	assert_int_equal(hlsim_subscription_check(t->e, s, err, sizeof err), -ENOENT);
	assert_string_equal(err, "Invalid subscription {\"type\":\"l2Book\",\"coin\":\"NOPE\"}");
	cJSON_Delete(s);
	s = cJSON_Parse("{\"type\":\"userEvents\",\"user\":\"" HTS_ADDR "\"}");
	assert_int_equal(hlsim_subscription_check(t->e, s, err, sizeof err), 0);
	assert_string_equal(err, "userEvents");
	assert_int_equal(hlsim_snapshot_json(t->e, s, &t->out), -EAGAIN);
	cJSON_Delete(s);
	s = cJSON_Parse("{\"type\":\"userFills\",\"user\":\"" HTS_ADDR "\"}");
	assert_int_equal(hlsim_snapshot_json(t->e, s, &t->out), 0);
	assert_string_equal(t->out.data, "{\"isSnapshot\":true,\"user\":\"" HTS_ADDR "\",\"fills\":[]}");
	cJSON_Delete(s);
	s = cJSON_Parse("{\"type\":\"bogus\"}");
	assert_int_equal(hlsim_subscription_check(t->e, s, err, sizeof err), -EINVAL);
	assert_string_equal(err, "Invalid subscription {\"type\":\"bogus\"}");
	cJSON_Delete(s);
}

static void test_api_address_budget_exhausted(void **state)
{
	struct hts *t = *state;
	t->e->acct[t->acct]->n_requests = 10000; /* budget 10000 + $0 volume, all used */
	hts_exchange(t, "{\"type\":\"noop\"}");
	assert_string_equal(t->out.data, OK_DEFAULT); /* 1 request per 10 s once exhausted */
	hts_exchange(t, "{\"type\":\"noop\"}");
	assert_string_equal(t->out.data, "{\"status\":\"err\",\"response\":\"Too many cumulative "
					 "requests sent (10002 > 10000) for cumulative volume traded $0. "
					 "Place taker orders to free up 1 request per USDC traded.\"}");
	/* cancels have the higher cap min(cap + 100000, 2 cap) = 20000 */
	hts_exchange(t, "{\"type\":\"cancel\",\"cancels\":[{\"a\":2,\"o\":77}]}");
	assert_non_null(strstr(t->out.data, "\"type\":\"cancel\""));
	t->now += 10000;
	hts_exchange(t, "{\"type\":\"noop\"}");
	assert_string_equal(t->out.data, OK_DEFAULT);
	hts_info(t, "{\"type\":\"userRateLimit\",\"user\":\"%s\"}", HTS_ADDR);
	assert_string_equal(t->out.data, "{\"cumVlm\":\"0\",\"nRequestsUsed\":10003,"
					 "\"nRequestsCap\":10000,\"nRequestsSurplus\":0}");
}

static void test_api_candle_snapshot(void **state)
{
	struct hts *t = *state;
	uint32_t mk = hts_account(t, 1, USD(100000));
	hts_place(t, mk, SOL, false, "100", "10", HLSIM_TIF_GTC, false);
	hts_place(t, mk, SOL, false, "102", "10", HLSIM_TIF_GTC, false);
	hts_exchange(t, BUY_SOL("100", "1", "Ioc"));
	t->now += 61000;
	hts_exchange(t, BUY_SOL("102", "10", "Ioc"));
	hts_info(t, "{\"type\":\"candleSnapshot\",\"req\":{\"coin\":\"SOL\",\"interval\":\"1m\","
		    "\"startTime\":1716999000000,\"endTime\":1717000200000}}");
	assert_string_equal(t->out.data,
		"[{\"t\":1716999960000,\"T\":1717000019999,\"s\":\"SOL\",\"i\":\"1m\",\"o\":\"100\","
		"\"c\":\"100\",\"h\":\"100\",\"l\":\"100\",\"v\":\"1\",\"n\":1},"
		"{\"t\":1717000020000,\"T\":1717000079999,\"s\":\"SOL\",\"i\":\"1m\",\"o\":\"100\","
		"\"c\":\"102\",\"h\":\"102\",\"l\":\"100\",\"v\":\"10\",\"n\":2}]");
	hts_info(t, "{\"type\":\"candleSnapshot\",\"req\":{\"coin\":\"SOL\",\"interval\":\"5m\","
		    "\"startTime\":0}}");
	assert_string_equal(t->out.data,
		"[{\"t\":1716999900000,\"T\":1717000199999,\"s\":\"SOL\",\"i\":\"5m\",\"o\":\"100\","
		"\"c\":\"102\",\"h\":\"102\",\"l\":\"100\",\"v\":\"11\",\"n\":3}]");
	assert_int_equal(hts_info(t, "{\"type\":\"candleSnapshot\",\"req\":{\"coin\":\"SOL\","
				     "\"interval\":\"7m\",\"startTime\":0}}"), 422);
}

static void test_api_modify_rule_switch(void **state)
{
	struct hts *t = *state;
	t->e->cfg.modify_always_place = false;
	uint32_t mk = hts_account(t, 1, USD(100000));
	hts_place(t, mk, SOL, false, "101", "1", HLSIM_TIF_GTC, false); /* oid 1000 */
	hts_exchange(t, BUY_SOL("100", "1", "Gtc"));                     /* oid 1001 */
	hts_exchange(t, "{\"type\":\"modify\",\"oid\":1001,\"order\":{\"a\":2,\"b\":true,\"p\":\"101\","
			"\"s\":\"1\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}}");
	assert_string_equal(t->out.data, "{\"status\":\"err\",\"response\":\"Modified order must not "
					 "execute immediately: use Alo, or a Gtc price that does not cross.\"}");
	assert_non_null(hlsim_oidmap_get(&t->e->oids, 1001)); /* untouched */
	hts_exchange(t, "{\"type\":\"modify\",\"oid\":1001,\"order\":{\"a\":2,\"b\":true,\"p\":\"100.5\","
			"\"s\":\"1\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}}");
	assert_string_equal(t->out.data, OK_DEFAULT);
	hts_info(t, "{\"type\":\"frontendOpenOrders\",\"user\":\"%s\"}", HTS_ADDR);
	assert_non_null(strstr(t->out.data, "\"limitPx\":\"100.5\",\"oid\":1002,"));
	assert_non_null(strstr(t->out.data, "\"tif\":\"Alo\""));
}

/* A noop signed with expiresAfter and/or a vault, as a client would. */
static void send_meta(struct hts *t, uint64_t nonce, bool has_exp, uint64_t exp, const char *vault)
{
	struct hl_l1_meta m = { .nonce = nonce, .has_expires_after = has_exp, .expires_after = exp,
				.testnet = true };
	uint8_t v[20];
	if (vault) {
		assert_int_equal(hl_addr_parse(vault, strlen(vault), v, NULL, 0), 0);
		m.vault = v;
	}
	const uint8_t mp[] = { 0x81, 0xa4, 't', 'y', 'p', 'e', 0xa4, 'n', 'o', 'o', 'p' };
	struct hl_sig sig;
	assert_int_equal(hl_sign_l1(&t->key, mp, sizeof mp, &m, NULL, &sig), 0);
	char sj[HL_SIG_JSON_LEN], body[1024], va[64] = "null", ex[32] = "null";
	hl_sig_to_json(&sig, sj);
	if (vault)
		snprintf(va, sizeof va, "\"%s\"", vault);
	if (has_exp)
		snprintf(ex, sizeof ex, "%llu", (unsigned long long)exp);
	snprintf(body, sizeof body, "{\"action\":{\"type\":\"noop\"},\"nonce\":%llu,\"signature\":%s,"
		 "\"vaultAddress\":%s,\"expiresAfter\":%s}", (unsigned long long)nonce, sj, va, ex);
	assert_int_equal(hlsim_exchange(t->e, body, strlen(body), t->now, &t->out, &t->status, NULL), 0);
}

static void test_api_expires_after_and_vault(void **state)
{
	struct hts *t = *state;
	send_meta(t, t->now + 1, true, t->now + 1000, NULL);
	assert_string_equal(t->out.data, OK_DEFAULT);
	send_meta(t, t->now + 2, true, t->now - 1, NULL);
	assert_string_equal(t->out.data, "{\"status\":\"err\",\"response\":\"Action expired: "
					 "expiresAfter 1716999999999 < now 1717000000000.\"}");
	assert_int_equal(t->e->acct[t->acct]->n_requests, 1 + 5);
	send_meta(t, t->now + 3, false, 0, "0x1719884eb866cb12b2287399b15f7db5e7d775ea");
	assert_string_equal(t->out.data, "{\"status\":\"err\",\"response\":\"Vaults and "
					 "sub-accounts are not supported by hlsim.\"}");
}

static void test_api_fills_by_time_and_historical_orders(void **state)
{
	struct hts *t = *state;
	uint32_t mk = hts_account(t, 1, USD(100000));
	hts_place(t, mk, SOL, false, "100", "10", HLSIM_TIF_GTC, false);
	hts_exchange(t, BUY_SOL("100", "1", "Ioc"));   /* oid 1001, fill at T0 */
	t->now += 1000;
	hts_exchange(t, BUY_SOL("100", "2", "Ioc"));   /* oid 1002, fill at T0 + 1000 */
	hts_exchange(t, BUY_SOL("90", "1", "Gtc"));    /* oid 1003, open */
	hts_info(t, "{\"type\":\"userFillsByTime\",\"user\":\"%s\",\"startTime\":1717000000000}", HTS_ADDR);
	char *first = strstr(t->out.data, "\"oid\":1001"), *second = strstr(t->out.data, "\"oid\":1002");
	assert_true(first && second && first < second); /* oldest first */
	hts_info(t, "{\"type\":\"userFillsByTime\",\"user\":\"%s\",\"startTime\":1717000000001,"
		    "\"endTime\":null}", HTS_ADDR);
	assert_null(strstr(t->out.data, "\"oid\":1001"));
	assert_non_null(strstr(t->out.data, "\"oid\":1002"));
	hts_info(t, "{\"type\":\"userFillsByTime\",\"user\":\"%s\",\"startTime\":0,\"endTime\":5}", HTS_ADDR);
	assert_string_equal(t->out.data, "[]");
	hts_info(t, "{\"type\":\"historicalOrders\",\"user\":\"%s\"}", HTS_ADDR);
	first = strstr(t->out.data, "\"oid\":1003");
	second = strstr(t->out.data, "\"oid\":1002");
	assert_true(first && second && first < second);
	assert_non_null(strstr(first, "\"status\":\"open\""));
	assert_non_null(strstr(second, "\"status\":\"filled\",\"statusTimestamp\":1717000001000}"));
}

/* hlsim__put_fx writes hat_fx_format's text, quoted; hlsim__put_u64 printf's %llu. */
static void test_api_number_text(void **state)
{
	(void)state;
	int64_t v[] = { 0, 1, -1, 10, 99999999, 100000000, -100000000, 150000000, -50000000,
			123456789012, 6000000000000, 100000, 10000000, 12340000, INT64_MAX,
			INT64_MIN, INT64_MIN + 1 };
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct hat_buf b = HAT_BUF_INIT;
	for (size_t i = 0; i < sizeof v / sizeof v[0] + 100000; i++) {
		int64_t n = i < sizeof v / sizeof v[0] ? v[i] : (int64_t)x >> (x % 60);
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		char want[HAT_FX_STRLEN + 2] = "\"", u[24];
		assert_true(hat_fx_format(n, want + 1, HAT_FX_STRLEN) > 0);
		strcat(want, "\"");
		hat_buf_reset(&b);
		hlsim__put_fx(&b, n);
		assert_int_equal(b.len, strlen(want));
		assert_memory_equal(b.data, want, b.len);
		snprintf(u, sizeof u, "%llu", (unsigned long long)n);
		hat_buf_reset(&b);
		hlsim__put_u64(&b, (uint64_t)n);
		assert_int_equal(b.len, strlen(u));
		assert_memory_equal(b.data, u, b.len);
	}
	hat_buf_free(&b);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_api_place_rest_then_open_orders),
		T(test_api_fill_and_user_state),
		T(test_api_cancel_and_unknown_order),
		T(test_api_cloid_cancel_and_order_status),
		T(test_api_batch_modify_gives_new_oid),
		T(test_api_per_order_errors_in_batch),
		T(test_api_nonce_reuse_and_window),
		T(test_api_unknown_signer_does_not_exist),
		T(test_api_malformed_bodies),
		T(test_api_schedule_cancel_fires_on_tick),
		T(test_api_update_leverage),
		T(test_api_usd_send_between_accounts),
		T(test_api_agent_signs_for_owner),
		T(test_api_meta_and_mids),
		T(test_api_subscriptions),
		T(test_api_address_budget_exhausted),
		T(test_api_candle_snapshot),
		T(test_api_modify_rule_switch),
		T(test_api_expires_after_and_vault),
		T(test_api_fills_by_time_and_historical_orders),
		cmocka_unit_test(test_api_number_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
