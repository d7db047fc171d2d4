/* tests/unit/test_sign.c -- every signing vector of hyperliquid-protocol.md 5.8 and the worked
 * example of section 11 (msgpack, connectionId, digest, r, s, v), user-signed usdSend/withdraw3,
 * signer recovery and its rejects, key handling, and sign/recover round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hex.h"
#include "hl/action.h"
#include "hl/hex.h"
#include "hl/keccak.h"
#include "hl/msgpack.h"
#include "hl/sign.h"

#define TEST_KEY "0x0123456789012345678901234567890123456789012345678901234567890123"
#define TEST_ADDR_HEX "14791697260e4c9a71f18484c9f997b308e59325"

/* Lowercase hex of p[0..n) without "0x" (at most 500 bytes; two rotating static buffers). */
static const char *hex(const void *p, size_t n)
{
	static char out[2][1024];
	static int which;
	char *o = out[which++ & 1];
	hat_hex_encode(p, n < 500 ? n : 500, o);
	return o + 2;
}

static void hexbytes(const char *h, uint8_t *out, size_t n)
{
	if (h[0] == '0' && h[1] == 'x')
		h += 2;
	assert_int_equal(strlen(h), 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void signer_setup(struct hl_signer *s)
{
	uint8_t key[32];
	char err[128];
	assert_int_equal(hl_key_parse(TEST_KEY, key, err, sizeof err), 0);
	assert_int_equal(hl_signer_init(s, key), 0);
}

struct l1_case {
	const char *json;     /* the action, key order as the SDK builds it */
	uint64_t nonce;
	const char *vault;    /* NULL or 0x address */
	bool has_exp;
	uint64_t exp;
	bool testnet;
	const char *mp;       /* expected msgpack hex, or NULL when the vector gives none */
	const char *cid;      /* expected connectionId, or NULL when the vector gives none */
	const char *digest;   /* expected EIP-712 digest, or NULL */
	const char *r, *s;    /* as published (may be unpadded) */
	int v;
};

static void check_l1(const struct l1_case *c)
{
	struct hl_signer s;
	struct hat_buf mp = HAT_BUF_INIT;
	char err[256] = "";
	uint8_t vault[20], cid[32], digest[32], addr[20];
	struct hl_sig sig, want;

	signer_setup(&s);
	if (hl_mp_from_json_text(c->json, strlen(c->json), &mp, err, sizeof err))
		fail_msg("%s", err);
	if (c->mp)
		assert_string_equal(hex(mp.data, mp.len), c->mp);
	struct hl_l1_meta m = {.nonce = c->nonce, .has_expires_after = c->has_exp,
			       .expires_after = c->exp, .testnet = c->testnet};
	if (c->vault) {
		hexbytes(c->vault, vault, 20);
		m.vault = vault;
	}
	assert_int_equal(hl_sign_l1(&s, (const uint8_t *)mp.data, mp.len, &m, cid, &sig), 0);
	if (c->cid)
		assert_string_equal(hex(cid, 32), c->cid + 2);
	hl_l1_digest(cid, c->testnet, digest);
	if (c->digest)
		assert_string_equal(hex(digest, 32), c->digest + 2);
	assert_int_equal(hl_sig_parse(c->r, c->s, c->v, &want, err, sizeof err), 0);
	assert_memory_equal(sig.r, want.r, 32);
	assert_memory_equal(sig.s, want.s, 32);
	assert_int_equal(sig.v, c->v);
	assert_int_equal(hl_recover_address(digest, &sig, addr, err, sizeof err), 0);
	assert_string_equal(hex(addr, 20), TEST_ADDR_HEX);
	hat_buf_free(&mp);
	hl_signer_deinit(&s);
}

static void test_sign_address_and_constants(void **state)
{
	(void)state;
	struct hl_signer s;
	uint8_t h[32];
	signer_setup(&s);
	assert_string_equal(hex(hl_signer_address(&s), 20), TEST_ADDR_HEX);
	hl_signer_deinit(&s);
	const char *dt = "EIP712Domain(string name,string version,uint256 chainId,address "
			 "verifyingContract)";
	hl_keccak256(dt, strlen(dt), h);
	assert_string_equal(hex(h, 32), "8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f");
	hl_eip712_domain("Exchange", 1337, h);
	assert_string_equal(hex(h, 32), "d79297fcdf2ffcd4ae223d01edaa2ba214ff8f401d7c9300d995d17c82aa4040");
	const char *at = "Agent(string source,bytes32 connectionId)";
	hl_keccak256(at, strlen(at), h);
	assert_string_equal(hex(h, 32), "26f05c2f7239b6983075e58321292d77b3aa173d19b27257ac96ab362570f508");
	hl_eip712_domain("HyperliquidSignTransaction", 0x66eee, h);
	assert_string_equal(hex(h, 32), "feb1393ca4412a4ca577bd51d04f0a77033514c602f4d0a11490fb95f7428df6");
	const char *us = "HyperliquidTransaction:UsdSend(string hyperliquidChain,string destination,"
			 "string amount,uint64 time)";
	hl_keccak256(us, strlen(us), h);
	assert_string_equal(hex(h, 32), "c7410964737e2180e258d649f23f74a49460432fecbd94688103ecc63fb66b4c");
	const char *wd = "HyperliquidTransaction:Withdraw(string hyperliquidChain,string destination,"
			 "string amount,uint64 time)";
	hl_keccak256(wd, strlen(wd), h);
	assert_string_equal(hex(h, 32), "dbde952fa0de88158fc71336e44c61876611a2a65553bebd4d52b44a2a000d9a");
}

#define V1_JSON "{\"type\":\"dummy\",\"num\":100000000000}"
#define V2_JSON "{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":true,\"p\":\"100\",\"s\":\"100\"," \
		"\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}],\"grouping\":\"na\"}"
#define V2_MP "83a474797065a56f72646572a66f72646572739186a16101a162c3a170a3313030a173a3313030" \
	      "a172c2a17481a56c696d697481a3746966a3477463a867726f7570696e67a26e61"

static void test_sign_v1_dummy_mainnet_testnet_vault(void **state)
{
	(void)state;
	struct l1_case mainnet = {
		.json = V1_JSON, .mp = "82a474797065a564756d6d79a36e756dcf000000174876e800",
		.cid = "0xf528daee6a0bd11407b483cfcd9a48c56884180b70ee86f124053e5fc1bf4d57",
		.r = "0x53749d5b30552aeb2fca34b530185976545bb22d0b3ce6f62e31be961a59298",
		.s = "0x755c40ba9bf05223521753995abb2f73ab3229be8ec921f350cb447e384d8ed8", .v = 27};
	check_l1(&mainnet);
	struct l1_case testnet = mainnet;
	testnet.testnet = true;
	testnet.r = "0x542af61ef1f429707e3c76c5293c80d01f74ef853e34b76efffcb57e574f9510";
	testnet.s = "0x17b8b32f086e8cdede991f1e2c529f5dd5297cbe8128500e00cbaf766204a613";
	testnet.v = 28;
	check_l1(&testnet);
	struct l1_case vault = mainnet;
	vault.vault = "0x1719884eb866cb12b2287399b15f7db5e7d775ea";
	vault.cid = "0xde9e09a7a3da45cc694096d4bfdcd89bc1b892d05497c5ecc1f56c335945184c";
	vault.r = "0x3c548db75e479f8012acf3000ca3a6b05606bc2ec0c29c50c515066a326239";
	vault.s = "0x4d402be7396ce74fbba3795769cda45aec00dc3125a984f2a9f23177b190da2c";
	vault.v = 28;
	check_l1(&vault);
}

static void test_sign_v1_prints_padded_r(void **state)
{
	(void)state;
	struct hl_sig sig;
	char err[128], js[HL_SIG_JSON_LEN];
	assert_int_equal(hl_sig_parse("0x53749d5b30552aeb2fca34b530185976545bb22d0b3ce6f62e31be961a59298",
				      "0x755c40ba9bf05223521753995abb2f73ab3229be8ec921f350cb447e384d8ed8",
				      27, &sig, err, sizeof err), 0);
	hl_sig_to_json(&sig, js);
	assert_string_equal(js, "{\"r\":\"0x053749d5b30552aeb2fca34b530185976545bb22d0b3ce6f62e31be961a59298\","
				"\"s\":\"0x755c40ba9bf05223521753995abb2f73ab3229be8ec921f350cb447e384d8ed8\","
				"\"v\":27}");
}

static void test_sign_v2_order_mainnet_testnet(void **state)
{
	(void)state;
	struct l1_case c = {
		.json = V2_JSON, .mp = V2_MP,
		.cid = "0x884f2c32bb6dbdd65f6033e32fb28c0cb6f5b345db0f6471fd3366d85c9252c1",
		.digest = "0xa5cfed1f2d7948de30aecacc7fea3c5e05c1e759020e96239847879b906f801e",
		.r = "0xd65369825a9df5d80099e513cce430311d7d26ddf477f5b3a33d2806b100d78e",
		.s = "0x2b54116ff64054968aa237c20ca9ff68000f977c93289157748a3162b6ea940e", .v = 28};
	check_l1(&c);
	c.testnet = true;
	c.digest = NULL;
	c.r = "0x82b2ba28e76b3d761093aaded1b1cdad4960b3af30212b343fb2e6cdfa4e3d54";
	c.s = "0x6b53878fc99d26047f4d7e8c90eb98955a109f44209163f52d8dc4278cbbd9f5";
	c.v = 27;
	check_l1(&c);
}

static void test_sign_v3_order_with_cloid(void **state)
{
	(void)state;
	struct l1_case c = {
		.json = "{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":true,\"p\":\"100\",\"s\":\"100\","
			"\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}},"
			"\"c\":\"0x00000000000000000000000000000001\"}],\"grouping\":\"na\"}",
		.mp = "83a474797065a56f72646572a66f72646572739187a16101a162c3a170a3313030a173a3313030"
		      "a172c2a17481a56c696d697481a3746966a3477463a163d92230783030303030303030303030"
		      "303030303030303030303030303030303030303031a867726f7570696e67a26e61",
		.cid = "0x0ba500cedd8f4ba6ded620a0b1cd04f124d9ba745e2e2893fcc763bcc1444af5",
		.r = "0x41ae18e8239a56cacbc5dad94d45d0b747e5da11ad564077fcac71277a946e3",
		.s = "0x3c61f667e747404fe7eea8f90ab0e76cc12ce60270438b2058324681a00116da", .v = 27};
	check_l1(&c);
}

static void test_sign_v4_trigger_order(void **state)
{
	(void)state;
	struct l1_case c = {
		.json = "{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":true,\"p\":\"100\",\"s\":\"100\","
			"\"r\":false,\"t\":{\"trigger\":{\"isMarket\":true,\"triggerPx\":\"103\","
			"\"tpsl\":\"sl\"}}}],\"grouping\":\"na\"}",
		.mp = "83a474797065a56f72646572a66f72646572739186a16101a162c3a170a3313030a173a3313030a172c2"
		      "a17481a77472696767657283a869734d61726b6574c3a9747269676765725078a3313033a47470736ca2736c"
		      "a867726f7570696e67a26e61",
		.cid = "0x430a86fb9876e901920d931f5bb20c9d011f6389bd179f39a73c09e6219adcad",
		.r = "0x98343f2b5ae8e26bb2587daad3863bc70d8792b09af1841b6fdd530a2065a3f9",
		.s = "0x6b5bb6bb0633b710aa22b721dd9dee6d083646a5f8e581a20b545be6c1feb405", .v = 27};
	check_l1(&c);
}

static void test_sign_v5_schedule_cancel(void **state)
{
	(void)state;
	uint8_t cid[32];
	struct l1_case off = {
		.json = "{\"type\":\"scheduleCancel\"}",
		.mp = "81a474797065ae7363686564756c6543616e63656c",
		.r = "0x6cdfb286702f5917e76cd9b3b8bf678fcc49aec194c02a73e6d4f16891195df9",
		.s = "0x6557ac307fa05d25b8d61f21fb8a938e703b3d9bf575f6717ba21ec61261b2a0", .v = 27};
	/* The vector gives no connectionId: compute it from the published msgpack. */
	uint8_t mp[21];
	hexbytes(off.mp, mp, sizeof mp);
	struct hl_l1_meta m = {.nonce = 0};
	hl_l1_connection_id(mp, sizeof mp, &m, cid);
	char cidhex[67] = "0x";
	strcat(cidhex, hex(cid, 32));
	off.cid = cidhex;
	check_l1(&off);

	struct l1_case on = {
		.json = "{\"type\":\"scheduleCancel\",\"time\":123456789}",
		.mp = "82a474797065ae7363686564756c6543616e63656ca474696d65ce075bcd15",
		.r = "0x609cb20c737945d070716dcc696ba030e9976fcf5edad87afa7d877493109d55",
		.s = "0x16c685d63b5c7a04512d73f183b3d7a00da5406ff1f8aad33f8ae2163bab758b", .v = 28};
	uint8_t mp2[31];
	hexbytes(on.mp, mp2, sizeof mp2);
	hl_l1_connection_id(mp2, sizeof mp2, &m, cid);
	char cidhex2[67] = "0x";
	strcat(cidhex2, hex(cid, 32));
	on.cid = cidhex2;
	check_l1(&on);
}

static void test_sign_v6_phantom_agent_connection_id(void **state)
{
	(void)state;
	struct hat_buf mp = HAT_BUF_INIT;
	char err[128];
	uint8_t cid[32];
	const char *json = "{\"type\":\"order\",\"orders\":[{\"a\":4,\"b\":true,\"p\":\"1670.1\","
			   "\"s\":\"0.0147\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Ioc\"}}}],"
			   "\"grouping\":\"na\"}";
	assert_int_equal(hl_mp_from_json_text(json, strlen(json), &mp, err, sizeof err), 0);
	struct hl_l1_meta m = {.nonce = 1677777606040ULL};
	hl_l1_connection_id((const uint8_t *)mp.data, mp.len, &m, cid);
	assert_string_equal(hex(cid, 32), "0fcbeda5ae3c4950a548021552a4fea2226858c4453571bf3f24ba017eac2908");
	hat_buf_free(&mp);
}

static void test_sign_v7_user_signed_usd_send_and_withdraw(void **state)
{
	(void)state;
	struct hl_signer s;
	struct hl_sig sig, want;
	uint8_t sh[32], digest[32], addr[20];
	char err[128];
	signer_setup(&s);
	struct hl_user_action a = {.kind = HL_USER_USD_SEND, .chain_id = 0x66eee, .mainnet = false,
				   .destination = "0x5e9ee1089755c3435139848e47e6635505d5a13a",
				   .amount = "1", .time = 1687816341423ULL};
	hl_user_struct_hash(&a, sh);
	assert_string_equal(hex(sh, 32), "e81f1691f350bb9a59d2b40b3d16c9526a8f93407dd72bcb9ea95e291a5de6da");
	hl_user_digest(&a, digest);
	assert_string_equal(hex(digest, 32), "cacf7585cc49ca60c6c5fb3001e226c0ca03c46252c893eea574c78907b7cebe");
	assert_int_equal(hl_sign_digest(&s, digest, &sig), 0);
	assert_int_equal(hl_sig_parse("0x637b37dd731507cdd24f46532ca8ba6eec616952c56218baeff04144e4a77073",
				      "0x11a6a24900e6e314136d2592e2f8d502cd89b7c15b198e1bee043c9589f9fad7",
				      27, &want, err, sizeof err), 0);
	assert_memory_equal(&sig, &want, sizeof sig);
	assert_int_equal(hl_recover_address(digest, &sig, addr, err, sizeof err), 0);
	assert_string_equal(hex(addr, 20), TEST_ADDR_HEX);

	a.kind = HL_USER_WITHDRAW;
	hl_user_digest(&a, digest);
	assert_int_equal(hl_sign_digest(&s, digest, &sig), 0);
	assert_int_equal(hl_sig_parse("0x8363524c799e90ce9bc41022f7c39b4e9bdba786e5f9c72b20e43e1462c37cf9",
				      "0x58b1411a775938b83e29182e8ef74975f9054c8e97ebf5ec2dc8d51bfc893881",
				      28, &want, err, sizeof err), 0);
	assert_memory_equal(&sig, &want, sizeof sig);
	hl_signer_deinit(&s);
}

static void test_sign_v8_cancel_large_oid(void **state)
{
	(void)state;
	struct l1_case c = {
		.json = "{\"type\":\"cancel\",\"cancels\":[{\"a\":0,\"o\":123456789012}]}",
		.nonce = 1717000000001ULL,
		.mp = "82a474797065a663616e63656ca763616e63656c739182a16100a16fcf0000001cbe991a14",
		.cid = "0x6bdf1853a8a7694362b0932e08ffaf5e3c769881e0d45a2d823a61ba8c3dea24",
		.r = "0x8a6948b87ad8b1fc093c20ef0dcb599de777a9b433a2c19176fde48bbc9067a4",
		.s = "0x5db3150c8bcddd00d5c9b6f2f9ded8b977853833554936bf9ffaad0f7dfc6da9", .v = 28};
	check_l1(&c);
}

#define WE_JSON "{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":true,\"p\":\"65000\",\"s\":\"0.001\"," \
		"\"r\":false,\"t\":{\"limit\":{\"tif\":\"Alo\"}},"                          \
		"\"c\":\"0x0000000000000000000000000000002a\"}],\"grouping\":\"na\"}"
#define WE_MP "83a474797065a56f72646572a66f72646572739187a16100a162c3a170a53635303030a173a5302e303031a1" \
	      "72c2a17481a56c696d697481a3746966a3416c6fa163d9223078303030303030303030303030303030303030" \
	      "3030303030303030303030303261a867726f7570696e67a26e61"

static void test_sign_worked_example(void **state)
{
	(void)state;
	struct l1_case c = {
		.json = WE_JSON, .nonce = 1717000000000ULL, .mp = WE_MP,
		.cid = "0xd79d13476d3aab1c7a0ecf88d05b356eded55bcc64751c5a23f1180f54120677",
		.digest = "0x7ee50696ee044da895843fb5a464109a3bf3ba023f1aba6dc6bb0a618dd29f16",
		.r = "0x443e151f9df5333f20829bce8247864044f026a48a567e96c49f0d3e3269f9eb",
		.s = "0x6277ed765c5a08faff71981da2020be6f452d01c12c61c9b50d9eef5dda42a30", .v = 28};
	check_l1(&c);
	/* structHash of the phantom agent (step 9). */
	uint8_t cid[32], buf[96], sh[32];
	hexbytes(c.cid, cid, 32);
	const char *at = "Agent(string source,bytes32 connectionId)";
	hl_keccak256(at, strlen(at), buf);
	hl_keccak256("a", 1, buf + 32);
	memcpy(buf + 64, cid, 32);
	hl_keccak256(buf, 96, sh);
	assert_string_equal(hex(sh, 32), "0a217dadb76ed15d544050c8c4f25eeb924193ae8ffdb0bfe799b608c3857b77");

	struct l1_case exp = c;
	exp.has_exp = true;
	exp.exp = 1717000060000ULL;
	exp.digest = NULL;
	exp.cid = "0x04fb48e18eaeab55bfffe94fbb180d0642a2a161a04b95365f12b785ecc73958";
	exp.r = "0xd43038a318b49c130da9325da1e05093af0a3c068ddd8ae460e581dd406eabf8";
	exp.s = "0x54dcc7bdf6f11b7a2b78184cf2c18fbfc239a785eadf8d78a96d061589da7568";
	exp.v = 28;
	check_l1(&exp);
}

/* The cases of the official Python SDK's tests/signing_test.py that section 5.8 does not list
 * (testnet variants, createSubAccount, subAccountTransfer); the SDK test gives r, s, v only. */
static void test_sign_sdk_signing_test_remaining_cases(void **state)
{
	(void)state;
	struct l1_case v3_testnet = {
		.json = "{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":true,\"p\":\"100\",\"s\":\"100\","
			"\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}},"
			"\"c\":\"0x00000000000000000000000000000001\"}],\"grouping\":\"na\"}",
		.testnet = true,
		.cid = "0x0ba500cedd8f4ba6ded620a0b1cd04f124d9ba745e2e2893fcc763bcc1444af5",
		.r = "0xeba0664bed2676fc4e5a743bf89e5c7501aa6d870bdb9446e122c9466c5cd16d",
		.s = "0x7f3e74825c9114bc59086f1eebea2928c190fdfbfde144827cb02b85bbe90988", .v = 28};
	check_l1(&v3_testnet);
	struct l1_case vault_testnet = {
		.json = V1_JSON, .vault = "0x1719884eb866cb12b2287399b15f7db5e7d775ea", .testnet = true,
		.cid = "0xde9e09a7a3da45cc694096d4bfdcd89bc1b892d05497c5ecc1f56c335945184c",
		.r = "0xe281d2fb5c6e25ca01601f878e4d69c965bb598b88fac58e475dd1f5e56c362b",
		.s = "0x7ddad27e9a238d045c035bc606349d075d5c5cd00a6cd1da23ab5c39d4ef0f60", .v = 27};
	check_l1(&vault_testnet);
	struct l1_case tpsl_testnet = {
		.json = "{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":true,\"p\":\"100\",\"s\":\"100\","
			"\"r\":false,\"t\":{\"trigger\":{\"isMarket\":true,\"triggerPx\":\"103\","
			"\"tpsl\":\"sl\"}}}],\"grouping\":\"na\"}",
		.testnet = true,
		.cid = "0x430a86fb9876e901920d931f5bb20c9d011f6389bd179f39a73c09e6219adcad",
		.r = "0x971c554d917c44e0e1b6cc45d8f9404f32172a9d3b3566262347d0302896a2e4",
		.s = "0x206257b104788f80450f8e786c329daa589aa0b32ba96948201ae556d5637eac", .v = 28};
	check_l1(&tpsl_testnet);
	struct l1_case sub = {
		.json = "{\"type\":\"createSubAccount\",\"name\":\"example\"}",
		.r = "0x51096fe3239421d16b671e192f574ae24ae14329099b6db28e479b86cdd6caa7",
		.s = "0xb71f7d293af92d3772572afb8b102d167a7cef7473388286bc01f52a5c5b423", .v = 27};
	check_l1(&sub);
	sub.testnet = true;
	sub.r = "0xa699e3ed5c2b89628c746d3298b5dc1cca604694c2c855da8bb8250ec8014a5b";
	sub.s = "0x53f1b8153a301c72ecc655b1c315d64e1dcea3ee58921fd7507e35818fcc1584";
	sub.v = 28;
	check_l1(&sub);
	struct l1_case xfer = {
		.json = "{\"type\":\"subAccountTransfer\",\"subAccountUser\":"
			"\"0x1d9470d4b963f552e6f671a81619d395877bf409\",\"isDeposit\":true,\"usd\":10}",
		.r = "0x43592d7c6c7d816ece2e206f174be61249d651944932b13343f4d13f306ae602",
		.s = "0x71a926cb5c9a7c01c3359ec4c4c34c16ff8107d610994d4de0e6430e5cc0f4c9", .v = 28};
	check_l1(&xfer);
	xfer.testnet = true;
	xfer.r = "0xe26574013395ad55ee2f4e0575310f003c5bb3351b5425482e2969fa51543927";
	xfer.s = "0xefb08999196366871f919fd0e138b3a7f30ee33e678df7cfaf203e25f0a4278";
	xfer.v = 28;
	check_l1(&xfer);
	struct l1_case sc = {
		.json = "{\"type\":\"scheduleCancel\"}", .testnet = true,
		.r = "0xc75bb195c3f6a4e06b7d395acc20bbb224f6d23ccff7c6a26d327304e6efaeed",
		.s = "0x342f8ede109a29f2c0723bd5efb9e9100e3bbb493f8fb5164ee3d385908233df", .v = 28};
	check_l1(&sc);
	sc.json = "{\"type\":\"scheduleCancel\",\"time\":123456789}";
	sc.r = "0x4e4f2dbd4107c69783e251b7e1057d9f2b9d11cee213441ccfa2be63516dc5bc";
	sc.s = "0x706c656b23428c8ba356d68db207e11139ede1670481a9e01ae2dfcdb0e1a678";
	sc.v = 27;
	check_l1(&sc);
}

/* ---- recovery rejects */

static void test_sign_recover_rejects_bad_v_high_s_and_range(void **state)
{
	(void)state;
	struct hl_signer s;
	struct hl_sig sig, bad;
	uint8_t digest[32], addr[20];
	char err[160];
	signer_setup(&s);
	hl_keccak256("x", 1, digest);
	assert_int_equal(hl_sign_digest(&s, digest, &sig), 0);
	assert_int_equal(hl_recover_address(digest, &sig, addr, err, sizeof err), 0);

	bad = sig;
	bad.v = 29;
	assert_int_equal(hl_recover_address(digest, &bad, addr, err, sizeof err), HAT_E_SIGNATURE);
	assert_non_null(strstr(err, "v must be 27 or 28 (got 29)"));
	bad.v = 0;
	assert_int_equal(hl_recover_address(digest, &bad, addr, err, sizeof err), HAT_E_SIGNATURE);

	/* The high-s twin (n - s, other recovery id) is a valid ECDSA signature of the same key,
	 * which the exchange rejects. */
	static const uint8_t n[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
	bad = sig;
	int borrow = 0;
	for (int i = 31; i >= 0; i--) {
		int d = n[i] - sig.s[i] - borrow;
		borrow = d < 0;
		bad.s[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
	bad.v = sig.v == 27 ? 28 : 27;
	assert_int_equal(hl_recover_address(digest, &bad, addr, err, sizeof err), HAT_E_SIGNATURE);
	assert_non_null(strstr(err, "above n/2"));

	bad = sig;
	memset(bad.r, 0, 32);
	assert_int_equal(hl_recover_address(digest, &bad, addr, err, sizeof err), HAT_E_SIGNATURE);
	assert_non_null(strstr(err, "r is zero"));
	bad = sig;
	memcpy(bad.s, n, 32);
	assert_int_equal(hl_recover_address(digest, &bad, addr, err, sizeof err), HAT_E_SIGNATURE);
	assert_non_null(strstr(err, "s is zero or not below"));

	/* A different digest recovers some other address, never the signer's. */
	digest[0] ^= 1;
	if (hl_recover_address(digest, &sig, addr, err, sizeof err) == 0)
		assert_memory_not_equal(addr, hl_signer_address(&s), 20);
	hl_signer_deinit(&s);
}

static void test_sign_sig_parse_rejects(void **state)
{
	(void)state;
	struct hl_sig sig;
	char err[160];
	const char *ok = "0x1";
	assert_int_equal(hl_sig_parse("1234", ok, 27, &sig, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "signature.r: must start with 0x"));
	assert_int_equal(hl_sig_parse(ok, "0x", 27, &sig, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "signature.s"));
	assert_int_equal(hl_sig_parse(ok, "0xzz", 27, &sig, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "not a hex digit"));
	char long65[70] = "0x";
	memset(long65 + 2, '1', 65);
	long65[67] = '\0';
	assert_int_equal(hl_sig_parse(long65, ok, 27, &sig, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "1..64 hex digits (got 65)"));
	assert_int_equal(hl_sig_parse(ok, ok, 26, &sig, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "signature.v: must be 27 or 28 (got 26)"));
	assert_int_equal(hl_sig_parse("0xAb", "0X01", 28, &sig, err, sizeof err), 0);
	assert_int_equal(sig.r[31], 0xab);
	assert_int_equal(sig.r[30], 0);
	assert_int_equal(sig.s[31], 1);
}

/* A hex digit's value by comparisons, the reference for the decoders' table. */
static int ref_nibble(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* hl/hex.c decodes digits with a table (common/hex.h): every byte value decodes as the
 * reference says (a digit in both positions of a byte, or the "not a hex digit" reject at its
 * position). */
static void test_sign_hex_digit_every_byte(void **state)
{
	(void)state;
	char err[160];
	for (int c = 0; c < 256; c++) {
		int want = ref_nibble(c);
		char hi[4] = { '0', 'x', (char)c, '7' }, lo[4] = { '0', 'x', '7', (char)c };
		uint8_t b = 0x5a;
		uint64_t u = 99;
		if (want < 0) {
			assert_int_equal(hl_hex_decode_exact(hi, 4, &b, 1, "x", err, sizeof err),
					 HAT_E_PARSE);
			assert_string_equal(err, "x: not a hex digit at position 2");
			assert_int_equal(hl_hex_decode_exact(lo, 4, &b, 1, "x", err, sizeof err),
					 HAT_E_PARSE);
			assert_string_equal(err, "x: not a hex digit at position 3");
			assert_int_equal(hl_hex_decode_u64(lo, 4, &u, "x", err, sizeof err), HAT_E_PARSE);
			assert_int_equal(b, 0x5a);
			continue;
		}
		assert_int_equal(hl_hex_decode_exact(hi, 4, &b, 1, "x", err, sizeof err), 0);
		assert_int_equal(b, want << 4 | 7);
		assert_int_equal(hl_hex_decode_exact(lo, 4, &b, 1, "x", err, sizeof err), 0);
		assert_int_equal(b, 0x70 | want);
		assert_int_equal(hl_hex_decode_u64(lo, 4, &u, "x", err, sizeof err), 0);
		assert_int_equal(u, (uint64_t)(0x70 | want));
	}
}

/* ---- keys */

static void test_sign_key_parse_and_init_rejects(void **state)
{
	(void)state;
	uint8_t key[32];
	char err[160];
	struct hl_signer s;
	assert_int_equal(hl_key_parse("0123456789012345678901234567890123456789012345678901234567890123",
				      key, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "key: must start with 0x"));
	assert_null(strstr(err, "0123456789"));
	assert_int_equal(hl_key_parse("0x012345678901234567890123456789012345678901234567890123456789012",
				      key, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "expected 0x and 64 hex digits (got 63)"));
	assert_int_equal(hl_key_parse("0x0123456789012345678901234567890123456789012345678901234567890g23",
				      key, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "not a hex digit"));
	assert_int_equal(hl_key_parse("0x0000000000000000000000000000000000000000000000000000000000000000",
				      key, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "not a valid secp256k1 private key"));
	assert_int_equal(hl_key_parse("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
				      key, err, sizeof err), HAT_E_PARSE);
	memset(key, 0, 32);
	assert_int_equal(hl_signer_init(&s, key), -EINVAL);
	hl_signer_deinit(&s);
}

static void test_sign_deinit_wipes_key(void **state)
{
	(void)state;
	struct hl_signer s;
	signer_setup(&s);
	uint8_t zero[32] = {0};
	assert_memory_not_equal(s.key, zero, 32);
	hl_signer_deinit(&s);
	assert_memory_equal(s.key, zero, 32);
	assert_null(s.ctx);
}

/* ---- round trips: 200 keys, random order actions, sign then recover */

static uint64_t xs_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_sign_round_trip_random_keys_and_actions(void **state)
{
	(void)state;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct hat_buf mp = HAT_BUF_INIT;
	for (int i = 0; i < 200; i++) {
		uint8_t key[32], cid[32], digest[32], addr[20];
		struct hl_signer s;
		char err[128];
		do {
			for (int k = 0; k < 4; k++) {
				uint64_t r = xs_next(&x);
				memcpy(key + 8 * k, &r, 8);
			}
		} while (hl_signer_init(&s, key) != 0);
		struct hl_order o = {.asset = (uint32_t)(xs_next(&x) % 200), .is_buy = xs_next(&x) & 1,
				     .px = (int64_t)(xs_next(&x) % 10000000000000ULL) + 1,
				     .sz = (int64_t)(xs_next(&x) % 100000000000ULL),
				     .reduce_only = xs_next(&x) & 1, .tif = (enum hl_tif)(xs_next(&x) % 3),
				     .has_cloid = xs_next(&x) & 1};
		memcpy(o.cloid, &x, 8);
		hat_buf_reset(&mp);
		assert_int_equal(hl_action_order(&o, 1, HL_GROUPING_NA, NULL, NULL, &mp), 0);
		struct hl_l1_meta m = {.nonce = xs_next(&x), .testnet = i & 1};
		struct hl_sig sig;
		assert_int_equal(hl_sign_l1(&s, (const uint8_t *)mp.data, mp.len, &m, cid, &sig), 0);
		hl_l1_digest(cid, m.testnet, digest);
		assert_int_equal(hl_recover_address(digest, &sig, addr, err, sizeof err), 0);
		assert_memory_equal(addr, hl_signer_address(&s), 20);
		/* The other network's digest does not recover this signer. */
		hl_l1_digest(cid, !m.testnet, digest);
		if (hl_recover_address(digest, &sig, addr, err, sizeof err) == 0)
			assert_memory_not_equal(addr, hl_signer_address(&s), 20);
		hl_signer_deinit(&s);
	}
	hat_buf_free(&mp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_address_and_constants),
		cmocka_unit_test(test_sign_v1_dummy_mainnet_testnet_vault),
		cmocka_unit_test(test_sign_v1_prints_padded_r),
		cmocka_unit_test(test_sign_v2_order_mainnet_testnet),
		cmocka_unit_test(test_sign_v3_order_with_cloid),
		cmocka_unit_test(test_sign_v4_trigger_order),
		cmocka_unit_test(test_sign_v5_schedule_cancel),
		cmocka_unit_test(test_sign_v6_phantom_agent_connection_id),
		cmocka_unit_test(test_sign_v7_user_signed_usd_send_and_withdraw),
		cmocka_unit_test(test_sign_v8_cancel_large_oid),
		cmocka_unit_test(test_sign_worked_example),
		cmocka_unit_test(test_sign_sdk_signing_test_remaining_cases),
		cmocka_unit_test(test_sign_recover_rejects_bad_v_high_s_and_range),
		cmocka_unit_test(test_sign_sig_parse_rejects),
		cmocka_unit_test(test_sign_hex_digit_every_byte),
		cmocka_unit_test(test_sign_key_parse_and_init_rejects),
		cmocka_unit_test(test_sign_deinit_wipes_key),
		cmocka_unit_test(test_sign_round_trip_random_keys_and_actions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
