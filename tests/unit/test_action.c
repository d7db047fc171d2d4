/* tests/unit/test_action.c -- action builders (exact JSON and msgpack of the protocol note's
 * vectors), the /exchange envelope, the simulator's canonical re-encoder and user-action
 * digests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hex.h"
#include "hl/action.h"
#include "hl/msgpack.h"
#include "hl/sign.h"

#define FX(x) ((int64_t)((x) * 100000000LL))

#define V2_JSON "{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":true,\"p\":\"100\",\"s\":\"100\"," \
		"\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}],\"grouping\":\"na\"}"
#define V2_MP "83a474797065a56f72646572a66f72646572739186a16101a162c3a170a3313030a173a3313030" \
	      "a172c2a17481a56c696d697481a3746966a3477463a867726f7570696e67a26e61"
#define V4_MP "83a474797065a56f72646572a66f72646572739186a16101a162c3a170a3313030a173a3313030a172c2" \
	      "a17481a77472696767657283a869734d61726b6574c3a9747269676765725078a3313033a47470736ca2736c" \
	      "a867726f7570696e67a26e61"
#define WE_JSON "{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":true,\"p\":\"65000\",\"s\":\"0.001\"," \
		"\"r\":false,\"t\":{\"limit\":{\"tif\":\"Alo\"}},"                          \
		"\"c\":\"0x0000000000000000000000000000002a\"}],\"grouping\":\"na\"}"
#define WE_MP "83a474797065a56f72646572a66f72646572739187a16100a162c3a170a53635303030a173a5302e303031a1" \
	      "72c2a17481a56c696d697481a3746966a3416c6fa163d9223078303030303030303030303030303030303030" \
	      "3030303030303030303030303261a867726f7570696e67a26e61"

/* Lowercase hex of p[0..n) without "0x" (at most 1000 bytes; two rotating static buffers). */
static const char *hex(const void *p, size_t n)
{
	static char out[2][2048];
	static int which;
	char *o = out[which++ & 1];
	hat_hex_encode(p, n < 1000 ? n : 1000, o);
	return o + 2;
}

struct out {
	struct hat_buf json, mp;
};

static void out_reset(struct out *o)
{
	hat_buf_free(&o->json);
	hat_buf_free(&o->mp);
}

/* The JSON a builder wrote must encode (in its own key order) to exactly the msgpack it wrote:
 * what is sent and what is hashed agree. */
static void expect_consistent(const struct out *o)
{
	struct hat_buf re = HAT_BUF_INIT;
	char err[200];
	assert_int_equal(hl_mp_from_json_text(o->json.data, o->json.len, &re, err, sizeof err), 0);
	assert_int_equal(re.len, o->mp.len);
	assert_memory_equal(re.data, o->mp.data, re.len);
	hat_buf_free(&re);
}

static struct hl_order v2_order(void)
{
	struct hl_order o = {.asset = 1, .is_buy = true, .px = FX(100), .sz = FX(100),
			     .tif = HL_TIF_GTC};
	return o;
}

/* ---- builders */

static void test_action_order_v2_exact(void **state)
{
	(void)state;
	struct out o = {HAT_BUF_INIT, HAT_BUF_INIT};
	struct hl_order ord = v2_order();
	assert_int_equal(hl_action_order(&ord, 1, HL_GROUPING_NA, NULL, &o.json, &o.mp), 0);
	assert_string_equal(o.json.data, V2_JSON);
	assert_string_equal(hex(o.mp.data, o.mp.len), V2_MP);
	out_reset(&o);
}

static void test_action_order_trigger_v4_exact(void **state)
{
	(void)state;
	struct out o = {HAT_BUF_INIT, HAT_BUF_INIT};
	struct hl_order ord = v2_order();
	ord.is_trigger = true;
	ord.trigger_is_market = true;
	ord.trigger_px = FX(103);
	ord.tpsl = HL_TPSL_SL;
	assert_int_equal(hl_action_order(&ord, 1, HL_GROUPING_NA, NULL, &o.json, &o.mp), 0);
	assert_string_equal(o.json.data,
			    "{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":true,\"p\":\"100\",\"s\":\"100\","
			    "\"r\":false,\"t\":{\"trigger\":{\"isMarket\":true,\"triggerPx\":\"103\","
			    "\"tpsl\":\"sl\"}}}],\"grouping\":\"na\"}");
	assert_string_equal(hex(o.mp.data, o.mp.len), V4_MP);
	out_reset(&o);
}

static void test_action_order_worked_example_and_v6(void **state)
{
	(void)state;
	struct out o = {HAT_BUF_INIT, HAT_BUF_INIT};
	struct hl_order ord = {.asset = 0, .is_buy = true, .px = FX(65000), .sz = 100000,
			       .tif = HL_TIF_ALO, .has_cloid = true};
	ord.cloid[15] = 42;
	assert_int_equal(hl_action_order(&ord, 1, HL_GROUPING_NA, NULL, &o.json, &o.mp), 0);
	assert_string_equal(o.json.data, WE_JSON);
	assert_string_equal(hex(o.mp.data, o.mp.len), WE_MP);
	out_reset(&o);

	/* V6: 1670.1 / 0.0147 Ioc on asset 4, nonce 1677777606040. */
	struct hl_order v6 = {.asset = 4, .is_buy = true, .px = 167010000000LL, .sz = 1470000,
			      .tif = HL_TIF_IOC};
	uint8_t cid[32];
	assert_int_equal(hl_action_order(&v6, 1, HL_GROUPING_NA, NULL, &o.json, &o.mp), 0);
	assert_non_null(strstr(o.json.data, "\"p\":\"1670.1\",\"s\":\"0.0147\""));
	struct hl_l1_meta m = {.nonce = 1677777606040ULL};
	hl_l1_connection_id((const uint8_t *)o.mp.data, o.mp.len, &m, cid);
	assert_string_equal(hex(cid, 32), "0fcbeda5ae3c4950a548021552a4fea2226858c4453571bf3f24ba017eac2908");
	expect_consistent(&o);
	out_reset(&o);
}

static void test_action_order_batch_grouping_builder_reduce_only(void **state)
{
	(void)state;
	struct out o = {HAT_BUF_INIT, HAT_BUF_INIT};
	struct hl_order ords[2] = {v2_order(), v2_order()};
	ords[1].is_buy = false;
	ords[1].reduce_only = true;
	ords[1].is_trigger = true;
	ords[1].trigger_px = 9550000000LL;
	ords[1].tpsl = HL_TPSL_TP;
	ords[1].px = 9500000000LL;
	struct hl_builder b = {.fee = 10};
	b.address[19] = 0xab;
	assert_int_equal(hl_action_order(ords, 2, HL_GROUPING_NORMAL_TPSL, &b, &o.json, &o.mp), 0);
	assert_string_equal(o.json.data,
			    "{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":true,\"p\":\"100\",\"s\":\"100\","
			    "\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}},{\"a\":1,\"b\":false,"
			    "\"p\":\"95\",\"s\":\"100\",\"r\":true,\"t\":{\"trigger\":{\"isMarket\":false,"
			    "\"triggerPx\":\"95.5\",\"tpsl\":\"tp\"}}}],\"grouping\":\"normalTpsl\","
			    "\"builder\":{\"b\":\"0x00000000000000000000000000000000000000ab\",\"f\":10}}");
	assert_int_equal((uint8_t)o.mp.data[0], 0x84);
	expect_consistent(&o);
	out_reset(&o);
	assert_int_equal(hl_action_order(ords, 1, HL_GROUPING_POSITION_TPSL, NULL, &o.json, &o.mp), 0);
	assert_non_null(strstr(o.json.data, "\"grouping\":\"positionTpsl\"}"));
	out_reset(&o);
}

static void test_action_order_rejects_bad_fields(void **state)
{
	(void)state;
	struct out o = {HAT_BUF_INIT, HAT_BUF_INIT};
	struct hl_order ord = v2_order();
	ord.px = 0;
	assert_int_equal(hl_action_order(&ord, 1, HL_GROUPING_NA, NULL, &o.json, &o.mp), -EINVAL);
	ord = v2_order();
	ord.sz = -1;
	assert_int_equal(hl_action_order(&ord, 1, HL_GROUPING_NA, NULL, &o.json, &o.mp), -EINVAL);
	ord = v2_order();
	ord.tif = (enum hl_tif)7;
	assert_int_equal(hl_action_order(&ord, 1, HL_GROUPING_NA, NULL, &o.json, &o.mp), -EINVAL);
	ord = v2_order();
	ord.is_trigger = true;
	assert_int_equal(hl_action_order(&ord, 1, HL_GROUPING_NA, NULL, &o.json, &o.mp), -EINVAL);
	ord = v2_order();
	assert_int_equal(hl_action_order(&ord, 0, HL_GROUPING_NA, NULL, &o.json, &o.mp), -EINVAL);
	assert_int_equal(hl_action_order(&ord, 1, (enum hl_grouping)3, NULL, &o.json, &o.mp), -EINVAL);
	assert_int_equal(o.json.len, 0);
	assert_int_equal(hl_action_update_leverage(1, true, 0, &o.json, &o.mp), -EINVAL);
	out_reset(&o);
}

static void test_action_cancels_exact(void **state)
{
	(void)state;
	struct out o = {HAT_BUF_INIT, HAT_BUF_INIT};
	struct hl_cancel c = {.asset = 0, .oid = 123456789012ULL};
	assert_int_equal(hl_action_cancel(&c, 1, &o.json, &o.mp), 0);
	assert_string_equal(o.json.data, "{\"type\":\"cancel\",\"cancels\":[{\"a\":0,\"o\":123456789012}]}");
	assert_string_equal(hex(o.mp.data, o.mp.len),
			    "82a474797065a663616e63656ca763616e63656c739182a16100a16fcf0000001cbe991a14");
	out_reset(&o);
	struct hl_cancel_cloid cc[2] = {{.asset = 3}, {.asset = 200}};
	cc[0].cloid[15] = 0x2a;
	cc[1].cloid[0] = 0xff;
	assert_int_equal(hl_action_cancel_by_cloid(cc, 2, &o.json, &o.mp), 0);
	assert_string_equal(o.json.data,
			    "{\"type\":\"cancelByCloid\",\"cancels\":["
			    "{\"asset\":3,\"cloid\":\"0x0000000000000000000000000000002a\"},"
			    "{\"asset\":200,\"cloid\":\"0xff000000000000000000000000000000\"}]}");
	expect_consistent(&o);
	out_reset(&o);
	assert_int_equal(hl_action_cancel(&c, 0, &o.json, &o.mp), -EINVAL);
	out_reset(&o);
}

static void test_action_modify_and_batch_modify(void **state)
{
	(void)state;
	struct out o = {HAT_BUF_INIT, HAT_BUF_INIT};
	struct hl_modify m = {.oid = 77738308, .order = v2_order()};
	assert_int_equal(hl_action_modify(&m, &o.json, &o.mp), 0);
	assert_string_equal(o.json.data,
			    "{\"type\":\"modify\",\"oid\":77738308,\"order\":{\"a\":1,\"b\":true,\"p\":\"100\","
			    "\"s\":\"100\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}}");
	expect_consistent(&o);
	out_reset(&o);
	struct hl_modify ms[2] = {m, m};
	ms[1].by_cloid = true;
	ms[1].cloid[15] = 1;
	ms[1].order.has_cloid = true;
	ms[1].order.cloid[15] = 2;
	assert_int_equal(hl_action_batch_modify(ms, 2, &o.json, &o.mp), 0);
	assert_string_equal(o.json.data,
			    "{\"type\":\"batchModify\",\"modifies\":[{\"oid\":77738308,\"order\":{\"a\":1,"
			    "\"b\":true,\"p\":\"100\",\"s\":\"100\",\"r\":false,\"t\":{\"limit\":{\"tif\":"
			    "\"Gtc\"}}}},{\"oid\":\"0x00000000000000000000000000000001\",\"order\":{\"a\":1,"
			    "\"b\":true,\"p\":\"100\",\"s\":\"100\",\"r\":false,\"t\":{\"limit\":{\"tif\":"
			    "\"Gtc\"}},\"c\":\"0x00000000000000000000000000000002\"}}]}");
	expect_consistent(&o);
	out_reset(&o);
}

static void test_action_schedule_cancel_leverage_noop(void **state)
{
	(void)state;
	struct out o = {HAT_BUF_INIT, HAT_BUF_INIT};
	assert_int_equal(hl_action_schedule_cancel(false, 0, &o.json, &o.mp), 0);
	assert_string_equal(o.json.data, "{\"type\":\"scheduleCancel\"}");
	assert_string_equal(hex(o.mp.data, o.mp.len), "81a474797065ae7363686564756c6543616e63656c");
	out_reset(&o);
	assert_int_equal(hl_action_schedule_cancel(true, 123456789, &o.json, &o.mp), 0);
	assert_string_equal(o.json.data, "{\"type\":\"scheduleCancel\",\"time\":123456789}");
	assert_string_equal(hex(o.mp.data, o.mp.len),
			    "82a474797065ae7363686564756c6543616e63656ca474696d65ce075bcd15");
	out_reset(&o);
	assert_int_equal(hl_action_update_leverage(3, false, 20, &o.json, &o.mp), 0);
	assert_string_equal(o.json.data,
			    "{\"type\":\"updateLeverage\",\"asset\":3,\"isCross\":false,\"leverage\":20}");
	expect_consistent(&o);
	out_reset(&o);
	assert_int_equal(hl_action_noop(&o.json, &o.mp), 0);
	assert_string_equal(o.json.data, "{\"type\":\"noop\"}");
	assert_string_equal(hex(o.mp.data, o.mp.len), "81a474797065a46e6f6f70");
	out_reset(&o);
}

static void test_action_exchange_request_envelope(void **state)
{
	(void)state;
	struct hat_buf out = HAT_BUF_INIT;
	struct hl_sig sig;
	char err[128];
	assert_int_equal(hl_sig_parse("0x443e151f9df5333f20829bce8247864044f026a48a567e96c49f0d3e3269f9eb",
				      "0x6277ed765c5a08faff71981da2020be6f452d01c12c61c9b50d9eef5dda42a30",
				      28, &sig, err, sizeof err), 0);
	struct hl_l1_meta m = {.nonce = 1717000000000ULL};
	assert_int_equal(hl_exchange_request(WE_JSON, strlen(WE_JSON), &m, &sig, &out), 0);
	assert_string_equal(out.data,
			    "{\"action\":" WE_JSON ",\"nonce\":1717000000000,\"signature\":{\"r\":"
			    "\"0x443e151f9df5333f20829bce8247864044f026a48a567e96c49f0d3e3269f9eb\","
			    "\"s\":\"0x6277ed765c5a08faff71981da2020be6f452d01c12c61c9b50d9eef5dda42a30\","
			    "\"v\":28},\"vaultAddress\":null,\"expiresAfter\":null}");
	hat_buf_reset(&out);
	uint8_t vault[20] = {0x17, 0x19, 0x88, 0x4e};
	m.vault = vault;
	m.has_expires_after = true;
	m.expires_after = 1717000060000ULL;
	assert_int_equal(hl_exchange_request("{}", 2, &m, &sig, &out), 0);
	assert_non_null(strstr(out.data, ",\"vaultAddress\":\"0x1719884e00000000000000000000000000000000\","
					 "\"expiresAfter\":1717000060000}"));
	cJSON *j = cJSON_Parse(out.data);
	assert_non_null(j);
	cJSON_Delete(j);
	hat_buf_free(&out);
}

/* ---- canonical re-encoder */

static int canon(const char *json, struct hat_buf *mp, char *err, size_t errlen)
{
	cJSON *j = cJSON_Parse(json);
	if (!j)
		fail_msg("test JSON does not parse: %s", json);
	hat_buf_reset(mp);
	int rc = hl_action_canonical_msgpack(j, mp, err, errlen);
	cJSON_Delete(j);
	return rc;
}

static void expect_canon(const char *json, const char *want_hex)
{
	struct hat_buf mp = HAT_BUF_INIT;
	char err[256] = "";
	if (canon(json, &mp, err, sizeof err))
		fail_msg("%s: %s", json, err);
	assert_string_equal(hex(mp.data, mp.len), want_hex);
	hat_buf_free(&mp);
}

static void expect_canon_err(const char *json, const char *want)
{
	struct hat_buf mp = HAT_BUF_INIT;
	char err[256] = "";
	assert_int_equal(canon(json, &mp, err, sizeof err), HAT_E_PARSE);
	if (!strstr(err, want))
		fail_msg("%s: error \"%s\" lacks \"%s\"", json, err, want);
	hat_buf_free(&mp);
}

static void test_action_canonical_ignores_client_key_order(void **state)
{
	(void)state;
	expect_canon(V2_JSON, V2_MP);
	expect_canon("{\"grouping\":\"na\",\"orders\":[{\"t\":{\"limit\":{\"tif\":\"Gtc\"}},\"r\":false,"
		     "\"s\":\"100\",\"p\":\"100\",\"b\":true,\"a\":1}],\"type\":\"order\"}", V2_MP);
	expect_canon("{\"orders\":[{\"b\":true,\"a\":1,\"p\":\"100\",\"s\":\"100\",\"r\":false,"
		     "\"t\":{\"trigger\":{\"tpsl\":\"sl\",\"triggerPx\":\"103\",\"isMarket\":true}}}],"
		     "\"type\":\"order\",\"grouping\":\"na\"}", V4_MP);
	expect_canon("{\"grouping\":\"na\",\"type\":\"order\",\"orders\":[{\"c\":"
		     "\"0x0000000000000000000000000000002A\",\"a\":0,\"b\":true,\"p\":\"65000\","
		     "\"s\":\"0.001\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Alo\"}}}]}", WE_MP);
	/* null and absent optional keys are the same; unknown keys are dropped. */
	expect_canon("{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":true,\"p\":\"100\",\"s\":\"100\","
		     "\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}},\"c\":null,\"x\":5}],"
		     "\"grouping\":\"na\",\"builder\":null}", V2_MP);
}

static void test_action_canonical_other_types(void **state)
{
	(void)state;
	expect_canon("{\"cancels\":[{\"o\":123456789012,\"a\":0}],\"type\":\"cancel\"}",
		     "82a474797065a663616e63656ca763616e63656c739182a16100a16fcf0000001cbe991a14");
	expect_canon("{\"type\":\"cancel\",\"cancels\":[{\"a\":0,\"o\":1}],\"f\":false}",
		     "82a474797065a663616e63656ca763616e63656c739182a16100a16f01");
	expect_canon("{\"type\":\"cancel\",\"cancels\":[{\"a\":0,\"o\":1}],\"f\":true}",
		     "83a474797065a663616e63656ca763616e63656c739182a16100a16f01a166c3");
	expect_canon("{\"type\":\"scheduleCancel\"}", "81a474797065ae7363686564756c6543616e63656c");
	expect_canon("{\"type\":\"scheduleCancel\",\"time\":null}",
		     "81a474797065ae7363686564756c6543616e63656c");
	expect_canon("{\"time\":123456789,\"type\":\"scheduleCancel\"}",
		     "82a474797065ae7363686564756c6543616e63656ca474696d65ce075bcd15");
	expect_canon("{\"type\":\"noop\"}", "81a474797065a46e6f6f70");
	/* updateIsolatedMargin with a negative ntli: -1000000 is int32 (d2). */
	expect_canon("{\"ntli\":-1000000,\"isBuy\":true,\"asset\":2,\"type\":\"updateIsolatedMargin\"}",
		     "84a474797065b4757064617465497"
		     "36f6c617465644d617267696ea5617373657402a56973427579c3a46e746c69d2fff0bdc0");

	/* The builders define canonical order: the re-encoding of a builder's JSON is identical. */
	struct hat_buf json = HAT_BUF_INIT, mp = HAT_BUF_INIT, re = HAT_BUF_INIT;
	char err[256];
	struct hl_modify ms[2] = {{.oid = 5, .order = v2_order()}, {.by_cloid = true, .order = v2_order()}};
	ms[1].cloid[0] = 0xab;
	assert_int_equal(hl_action_batch_modify(ms, 2, &json, &mp), 0);
	assert_int_equal(canon(json.data, &re, err, sizeof err), 0);
	assert_int_equal(re.len, mp.len);
	assert_memory_equal(re.data, mp.data, mp.len);
	hat_buf_reset(&json);
	hat_buf_reset(&mp);
	assert_int_equal(hl_action_modify(&ms[1], &json, &mp), 0);
	assert_int_equal(canon(json.data, &re, err, sizeof err), 0);
	assert_memory_equal(re.data, mp.data, mp.len);
	hat_buf_reset(&json);
	hat_buf_reset(&mp);
	struct hl_cancel_cloid cc = {.asset = 7};
	assert_int_equal(hl_action_cancel_by_cloid(&cc, 1, &json, &mp), 0);
	assert_int_equal(canon(json.data, &re, err, sizeof err), 0);
	assert_memory_equal(re.data, mp.data, mp.len);
	hat_buf_reset(&json);
	hat_buf_reset(&mp);
	assert_int_equal(hl_action_update_leverage(9, true, 50, &json, &mp), 0);
	assert_int_equal(canon("{\"leverage\":50,\"isCross\":true,\"asset\":9,\"type\":\"updateLeverage\"}",
			       &re, err, sizeof err), 0);
	assert_memory_equal(re.data, mp.data, mp.len);
	hat_buf_reset(&json);
	hat_buf_reset(&mp);
	struct hl_order ord = v2_order();
	struct hl_builder b = {.fee = 100};
	memset(b.address, 0xcd, 20);
	assert_int_equal(hl_action_order(&ord, 1, HL_GROUPING_NA, &b, &json, &mp), 0);
	assert_int_equal(canon(json.data, &re, err, sizeof err), 0);
	assert_int_equal(re.len, mp.len);
	assert_memory_equal(re.data, mp.data, mp.len);
	hat_buf_free(&json);
	hat_buf_free(&mp);
	hat_buf_free(&re);
}

/* A client that writes "100.0" and signs its own bytes gets a different hash from the
 * canonical one, as on the real exchange (the server re-serializes the parsed number). */
static void test_action_canonical_non_canonical_number_changes_hash(void **state)
{
	(void)state;
	const char *client = "{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":true,\"p\":\"100.0\","
			     "\"s\":\"100\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}],"
			     "\"grouping\":\"na\"}";
	struct hat_buf signed_mp = HAT_BUF_INIT, canon_mp = HAT_BUF_INIT;
	char err[256];
	uint8_t cid_client[32], cid_server[32];
	assert_int_equal(hl_mp_from_json_text(client, strlen(client), &signed_mp, err, sizeof err), 0);
	assert_int_equal(canon(client, &canon_mp, err, sizeof err), 0);
	assert_string_equal(hex(canon_mp.data, canon_mp.len), V2_MP);
	struct hl_l1_meta m = {.nonce = 0};
	hl_l1_connection_id((const uint8_t *)signed_mp.data, signed_mp.len, &m, cid_client);
	hl_l1_connection_id((const uint8_t *)canon_mp.data, canon_mp.len, &m, cid_server);
	assert_memory_not_equal(cid_client, cid_server, 32);
	assert_string_equal(hex(cid_server, 32),
			    "884f2c32bb6dbdd65f6033e32fb28c0cb6f5b345db0f6471fd3366d85c9252c1");
	hat_buf_free(&signed_mp);
	hat_buf_free(&canon_mp);
}

static void test_action_canonical_rejects_malformed_naming_field(void **state)
{
	(void)state;
	expect_canon_err("{\"type\":\"foo\"}", "type: unknown action type \"foo\"");
	expect_canon_err("{\"orders\":[]}", "type: missing");
	expect_canon_err("{\"type\":3}", "type: must be a string");
	expect_canon_err("[1]", "action: must be an object");
	expect_canon_err("{\"type\":\"order\",\"orders\":[],\"grouping\":\"na\"}",
			 "orders: must not be empty");
#define TWO "{\"type\":\"order\",\"orders\":[" "{\"a\":1,\"b\":true,\"p\":\"100\",\"s\":\"1\"," \
			  "\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}},{\"a\":1,\"b\":true,\"p\":%s," \
			  "\"s\":\"1\",\"r\":false,\"t\":%s}],\"grouping\":%s}"
	char buf[600];
	snprintf(buf, sizeof buf, TWO, "\"abc\"", "{\"limit\":{\"tif\":\"Gtc\"}}", "\"na\"");
	expect_canon_err(buf, "orders[1].p: ");
	snprintf(buf, sizeof buf, TWO, "100", "{\"limit\":{\"tif\":\"Gtc\"}}", "\"na\"");
	expect_canon_err(buf, "orders[1].p: must be a string");
	snprintf(buf, sizeof buf, TWO, "\"-1\"", "{\"limit\":{\"tif\":\"Gtc\"}}", "\"na\"");
	expect_canon_err(buf, "orders[1].p: must be > 0");
	snprintf(buf, sizeof buf, TWO, "\"1.123456789\"", "{\"limit\":{\"tif\":\"Gtc\"}}", "\"na\"");
	expect_canon_err(buf, "orders[1].p: ");
	snprintf(buf, sizeof buf, TWO, "\"1\"", "{\"limit\":{\"tif\":\"GTC\"}}", "\"na\"");
	expect_canon_err(buf, "orders[1].t.limit.tif: must be Alo, Ioc or Gtc");
	snprintf(buf, sizeof buf, TWO, "\"1\"", "{\"limit\":{\"tif\":\"Gtc\"},\"trigger\":{}}", "\"na\"");
	expect_canon_err(buf, "orders[1].t: must hold exactly one of limit, trigger");
	snprintf(buf, sizeof buf, TWO, "\"1\"", "{\"trigger\":{\"isMarket\":1}}", "\"na\"");
	expect_canon_err(buf, "orders[1].t.trigger.isMarket: must be true or false");
	snprintf(buf, sizeof buf, TWO, "\"1\"", "{\"trigger\":{\"isMarket\":true,\"triggerPx\":\"1\","
		 "\"tpsl\":\"x\"}}", "\"na\"");
	expect_canon_err(buf, "orders[1].t.trigger.tpsl: must be tp or sl");
	snprintf(buf, sizeof buf, TWO, "\"1\"", "{\"limit\":{\"tif\":\"Gtc\"}}", "\"all\"");
	expect_canon_err(buf, "grouping: must be na, normalTpsl or positionTpsl");
	expect_canon_err("{\"type\":\"order\",\"orders\":[{\"a\":1.5}],\"grouping\":\"na\"}",
			 "orders[0].a: must be an integer, not a float");
	expect_canon_err("{\"type\":\"order\",\"orders\":[{\"a\":-1}],\"grouping\":\"na\"}",
			 "orders[0].a: must not be negative");
	expect_canon_err("{\"type\":\"order\",\"orders\":[5],\"grouping\":\"na\"}",
			 "orders[0]: must be an object");
	expect_canon_err("{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":true,\"p\":\"1\",\"s\":\"1\","
			 "\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}},\"c\":\"0x12\"}],\"grouping\":\"na\"}",
			 "orders[0].c: cloid: expected 0x and 32 hex digits (got 2)");
	expect_canon_err("{\"type\":\"cancel\",\"cancels\":[{\"a\":0}]}", "cancels[0].o: missing");
	expect_canon_err("{\"type\":\"cancel\",\"cancels\":[{\"a\":0,\"o\":1e17}]}", "cancels[0].o: out of range");
	expect_canon_err("{\"type\":\"cancelByCloid\",\"cancels\":[{\"asset\":0,\"cloid\":\"12\"}]}",
			 "cancels[0].cloid: cloid: must start with 0x");
	expect_canon_err("{\"type\":\"modify\",\"oid\":true,\"order\":{}}", "oid: must be an integer");
	expect_canon_err("{\"type\":\"modify\",\"oid\":1,\"order\":{\"a\":1}}", "order.b: missing");
	expect_canon_err("{\"type\":\"batchModify\",\"modifies\":[{\"oid\":1}]}",
			 "modifies[0].order: missing");
	expect_canon_err("{\"type\":\"updateLeverage\",\"asset\":1,\"isCross\":true,\"leverage\":0}",
			 "leverage: must be >= 1");
	expect_canon_err("{\"type\":\"updateLeverage\",\"asset\":1,\"isCross\":\"yes\",\"leverage\":2}",
			 "isCross: must be true or false");
	expect_canon_err("{\"type\":\"scheduleCancel\",\"time\":\"soon\"}", "time: must be an integer");
	expect_canon_err("{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":true,\"p\":\"1\",\"s\":\"1\","
			 "\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}],\"grouping\":\"na\","
			 "\"builder\":{\"b\":\"0x00\",\"f\":1}}", "builder.b: address: expected 0x and 40");
	/* Unknown types via the predicate too. */
	assert_true(hl_action_is_l1_type("batchModify"));
	assert_false(hl_action_is_l1_type("usdSend"));
	assert_false(hl_action_is_l1_type(NULL));
	assert_true(hl_action_is_user_type("withdraw3"));
	assert_false(hl_action_is_user_type("order"));
}

/* ---- user-signed actions */

static void test_action_user_digest_v7_usd_send_and_withdraw(void **state)
{
	(void)state;
	uint8_t d[32];
	char err[200];
	cJSON *j = cJSON_Parse("{\"destination\":\"0x5e9ee1089755c3435139848e47e6635505d5a13a\","
			       "\"amount\":\"1\",\"time\":1687816341423,\"type\":\"usdSend\","
			       "\"signatureChainId\":\"0x66eee\",\"hyperliquidChain\":\"Testnet\"}");
	assert_non_null(j);
	assert_int_equal(hl_user_action_digest(j, d, err, sizeof err), 0);
	assert_string_equal(hex(d, 32), "cacf7585cc49ca60c6c5fb3001e226c0ca03c46252c893eea574c78907b7cebe");
	/* withdraw3 with the same fields signs to the published withdraw3 signature. */
	cJSON_ReplaceItemInObjectCaseSensitive(j, "type", cJSON_CreateString("withdraw3"));
	assert_int_equal(hl_user_action_digest(j, d, err, sizeof err), 0);
	struct hl_signer s;
	uint8_t key[32];
	struct hl_sig sig;
	char js[HL_SIG_JSON_LEN];
	assert_int_equal(hl_key_parse("0x0123456789012345678901234567890123456789012345678901234567890123",
				      key, err, sizeof err), 0);
	assert_int_equal(hl_signer_init(&s, key), 0);
	assert_int_equal(hl_sign_digest(&s, d, &sig), 0);
	hl_sig_to_json(&sig, js);
	assert_string_equal(js, "{\"r\":\"0x8363524c799e90ce9bc41022f7c39b4e9bdba786e5f9c72b20e43e1462c37cf9\","
				"\"s\":\"0x58b1411a775938b83e29182e8ef74975f9054c8e97ebf5ec2dc8d51bfc893881\","
				"\"v\":28}");
	hl_signer_deinit(&s);
	/* Mainnet changes the digest. */
	uint8_t d2[32];
	cJSON_ReplaceItemInObjectCaseSensitive(j, "hyperliquidChain", cJSON_CreateString("Mainnet"));
	assert_int_equal(hl_user_action_digest(j, d2, err, sizeof err), 0);
	assert_memory_not_equal(d, d2, 32);
	cJSON_Delete(j);
}

static void test_action_user_class_transfer_and_approve_agent(void **state)
{
	(void)state;
	uint8_t d1[32], d2[32];
	char err[200];
	struct hl_user_action ua;
	cJSON *j = cJSON_Parse("{\"type\":\"usdClassTransfer\",\"amount\":\"25.0\",\"toPerp\":true,"
			       "\"nonce\":1717000000000,\"signatureChainId\":\"0xa4b1\","
			       "\"hyperliquidChain\":\"Mainnet\"}");
	assert_int_equal(hl_user_action_parse(j, &ua, err, sizeof err), 0);
	assert_int_equal(ua.kind, HL_USER_USD_CLASS_TRANSFER);
	assert_true(ua.chain_id == 42161);
	assert_true(ua.mainnet);
	assert_true(ua.to_perp);
	assert_true(ua.time == 1717000000000ULL);
	assert_string_equal(ua.amount, "25.0");
	assert_int_equal(hl_user_action_digest(j, d1, err, sizeof err), 0);
	cJSON_ReplaceItemInObjectCaseSensitive(j, "toPerp", cJSON_CreateFalse());
	assert_int_equal(hl_user_action_digest(j, d2, err, sizeof err), 0);
	assert_memory_not_equal(d1, d2, 32);
	cJSON_Delete(j);

	/* approveAgent: an absent agentName signs as "" (the SDK deletes the empty key). */
	j = cJSON_Parse("{\"type\":\"approveAgent\",\"agentAddress\":\"0x5E9EE1089755c3435139848e47e6635505d5a13a\","
			"\"nonce\":1717000000000,\"signatureChainId\":\"0x66eee\",\"hyperliquidChain\":\"Mainnet\"}");
	assert_int_equal(hl_user_action_parse(j, &ua, err, sizeof err), 0);
	assert_int_equal(ua.agent_address[0], 0x5e);
	assert_string_equal(ua.agent_name, "");
	assert_int_equal(hl_user_action_digest(j, d1, err, sizeof err), 0);
	cJSON_AddStringToObject(j, "agentName", "");
	assert_int_equal(hl_user_action_digest(j, d2, err, sizeof err), 0);
	assert_memory_equal(d1, d2, 32);
	cJSON_ReplaceItemInObjectCaseSensitive(j, "agentName", cJSON_CreateString("bot1"));
	assert_int_equal(hl_user_action_digest(j, d2, err, sizeof err), 0);
	assert_memory_not_equal(d1, d2, 32);
	cJSON_Delete(j);
}

static void expect_user_err(const char *json, const char *want)
{
	uint8_t d[32];
	char err[200] = "";
	cJSON *j = cJSON_Parse(json);
	assert_non_null(j);
	assert_int_equal(hl_user_action_digest(j, d, err, sizeof err), HAT_E_PARSE);
	if (!strstr(err, want))
		fail_msg("%s: error \"%s\" lacks \"%s\"", json, err, want);
	cJSON_Delete(j);
}

static void test_action_user_digest_rejects(void **state)
{
	(void)state;
	expect_user_err("{\"type\":\"order\"}", "type: not a user-signed action type \"order\"");
	expect_user_err("{\"type\":\"usdSend\",\"hyperliquidChain\":\"Mainnet\"}", "signatureChainId: missing");
	expect_user_err("{\"type\":\"usdSend\",\"signatureChainId\":\"66eee\"}",
			"signatureChainId: must start with 0x");
	expect_user_err("{\"type\":\"usdSend\",\"signatureChainId\":\"0x66eee\",\"hyperliquidChain\":"
			"\"mainnet\"}", "hyperliquidChain: must be Mainnet or Testnet");
	expect_user_err("{\"type\":\"usdSend\",\"signatureChainId\":\"0x66eee\",\"hyperliquidChain\":"
			"\"Mainnet\",\"destination\":\"0x1\",\"amount\":1,\"time\":1}", "amount: must be a string");
	expect_user_err("{\"type\":\"withdraw3\",\"signatureChainId\":\"0x66eee\",\"hyperliquidChain\":"
			"\"Mainnet\",\"destination\":\"0x1\",\"amount\":\"1\"}", "time: missing");
	expect_user_err("{\"type\":\"approveAgent\",\"signatureChainId\":\"0x66eee\",\"hyperliquidChain\":"
			"\"Mainnet\",\"agentAddress\":\"0x12\",\"nonce\":1}",
			"agentAddress: address: expected 0x and 40 hex digits");
	expect_user_err("{\"type\":\"usdClassTransfer\",\"signatureChainId\":\"0x66eee\",\"hyperliquidChain\":"
			"\"Mainnet\",\"amount\":\"1\",\"toPerp\":1,\"nonce\":1}", "toPerp: must be true or false");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action_order_v2_exact),
		cmocka_unit_test(test_action_order_trigger_v4_exact),
		cmocka_unit_test(test_action_order_worked_example_and_v6),
		cmocka_unit_test(test_action_order_batch_grouping_builder_reduce_only),
		cmocka_unit_test(test_action_order_rejects_bad_fields),
		cmocka_unit_test(test_action_cancels_exact),
		cmocka_unit_test(test_action_modify_and_batch_modify),
		cmocka_unit_test(test_action_schedule_cancel_leverage_noop),
		cmocka_unit_test(test_action_exchange_request_envelope),
		cmocka_unit_test(test_action_canonical_ignores_client_key_order),
		cmocka_unit_test(test_action_canonical_other_types),
		cmocka_unit_test(test_action_canonical_non_canonical_number_changes_hash),
		cmocka_unit_test(test_action_canonical_rejects_malformed_naming_field),
		cmocka_unit_test(test_action_user_digest_v7_usd_send_and_withdraw),
		cmocka_unit_test(test_action_user_class_transfer_and_approve_agent),
		cmocka_unit_test(test_action_user_digest_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
