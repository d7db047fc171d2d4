/* tests/unit/test_hlsim_state.c -- save, restart from the file, identical /info answers, and
 * the restored engine continues exactly as the original (RNG, books, nonces). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/fixed.h"
#include "tests/helpers/test_util.h"
#include "tests/unit/hlsim_test_util.h"

struct cap {
	struct hat_buf trades;
};

static void sink(void *user, const struct hlsim_event *ev)
{
	struct cap *c = user;
	if (ev->kind == HLSIM_EV_TRADES) {
		hat_buf_append(&c->trades, ev->json, ev->json_len);
		hat_buf_putc(&c->trades, '\n');
	}
}

static char *info(struct hlsim_engine *e, uint64_t now, const char *body)
{
	struct hat_buf out = HAT_BUF_INIT;
	int st;
	assert_int_equal(hlsim_info(e, body, strlen(body), now, &out, &st, NULL), 0);
	assert_int_equal(st, 200);
	return out.data; /* caller frees */
}

static void expect_same_info(struct hlsim_engine *a, struct hlsim_engine *b, uint64_t now)
{
	static const char *const q[] = {
		"{\"type\":\"openOrders\",\"user\":\"" HTS_ADDR "\"}",
		"{\"type\":\"frontendOpenOrders\",\"user\":\"" HTS_ADDR "\"}",
		"{\"type\":\"clearinghouseState\",\"user\":\"" HTS_ADDR "\"}",
		"{\"type\":\"userFills\",\"user\":\"" HTS_ADDR "\"}",
		"{\"type\":\"userRateLimit\",\"user\":\"" HTS_ADDR "\"}",
		"{\"type\":\"l2Book\",\"coin\":\"BTC\"}",
		"{\"type\":\"l2Book\",\"coin\":\"ETH\"}",
		"{\"type\":\"l2Book\",\"coin\":\"SOL\"}",
		"{\"type\":\"allMids\"}",
		"{\"type\":\"clearinghouseState\",\"user\":\"0x00000000000000000000000000000000000f10a1\"}",
	};
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		char *x = info(a, now, q[i]), *y = info(b, now, q[i]);
		assert_string_equal(x, y);
		free(x);
		free(y);
	}
}

static void test_state_save_restore_identical(void **state)
{
	(void)state;
	char dir[256], path[512], err[256];
	tu_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/state.json", dir);
	struct hts t;
	hts_init(&t, 50000LL * HAT_FX_ONE, true);
	struct cap ca = { HAT_BUF_INIT }, cb = { HAT_BUF_INIT };
	uint64_t now = HTS_T0;
	for (; now < HTS_T0 + 5000; now += 50)
		hlsim_tick(t.e, now);
	t.now = now;
	/* some user state: a position, resting orders with and without cloid, a trigger */
	int64_t mid = hlsim__mid(t.e, 2);
	char a1[512];
	snprintf(a1, sizeof a1, "{\"type\":\"order\",\"orders\":[{\"a\":2,\"b\":true,\"p\":\"%lld\",\"s\":\"3\","
		 "\"r\":false,\"t\":{\"limit\":{\"tif\":\"Ioc\"}}}],\"grouping\":\"na\"}",
		 (long long)(mid / HAT_FX_ONE + 5));
	hts_exchange(&t, a1);
	assert_non_null(strstr(t.out.data, "filled"));
	hts_exchange(&t, "{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":true,\"p\":\"50000\",\"s\":\"0.01\","
			 "\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}},\"c\":\"0x000000000000000000000000000000ff\"},"
			 "{\"a\":1,\"b\":false,\"p\":\"4000\",\"s\":\"0.1\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Alo\"}}},"
			 "{\"a\":2,\"b\":false,\"p\":\"100\",\"s\":\"3\",\"r\":true,\"t\":{\"trigger\":{\"isMarket\":true,"
			 "\"triggerPx\":\"110\",\"tpsl\":\"sl\"}}}],\"grouping\":\"na\"}");
	assert_non_null(strstr(t.out.data, "waitingForTrigger"));
	hts_exchange(&t, "{\"type\":\"updateLeverage\",\"asset\":0,\"isCross\":true,\"leverage\":3}");
	uint64_t used_nonce = t.nonce;
	assert_int_equal(hlsim_engine_save(t.e, path, err, sizeof err), 0);

	struct hlsim_account_opt acc;
	memcpy(acc.address, t.addr, 20);
	acc.usdc = 50000LL * HAT_FX_ONE;
	struct hlsim_options o = { .seed = 7, .n_accounts = 1, .accounts = &acc, .state_path = path };
	struct hlsim_engine *e2;
	assert_int_equal(hlsim_engine_new(&e2, &o, now, err, sizeof err), 0);
	expect_same_info(t.e, e2, now);
	/* both continue identically */
	hlsim_engine_set_sink(t.e, sink, &ca);
	hlsim_engine_set_sink(e2, sink, &cb);
	for (uint64_t k = now; k < now + 5000; k += 50) {
		hlsim_tick(t.e, k);
		hlsim_tick(e2, k);
	}
	assert_true(ca.trades.len > 0);
	assert_int_equal(ca.trades.len, cb.trades.len);
	assert_memory_equal(ca.trades.data, cb.trades.data, ca.trades.len);
	expect_same_info(t.e, e2, now + 5000);
	/* the nonce set came back too */
	struct hat_buf body = HAT_BUF_INIT, out = HAT_BUF_INIT;
	hts_sign_body(&t.key, "{\"type\":\"noop\"}", used_nonce, false, &body);
	int st;
	assert_int_equal(hlsim_exchange(e2, body.data, body.len, now, &out, &st, NULL), 0);
	assert_non_null(strstr(out.data, "Invalid nonce: duplicate nonce"));
	hat_buf_free(&body);
	hat_buf_free(&out);
	hat_buf_free(&ca.trades);
	hat_buf_free(&cb.trades);
	hlsim_engine_free(e2);
	hts_deinit(&t);
	tu_rmtree(dir);
}

static void test_state_rejects_bad_files(void **state)
{
	(void)state;
	char dir[256], path[512], err[256] = "";
	tu_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/state.json", dir);
	FILE *f = fopen(path, "w");
	fputs("{\"version\":1,\"nextOid\":\"12\"", f);
	fclose(f);
	struct hlsim_options o = { .state_path = path };
	struct hlsim_engine *e = (struct hlsim_engine *)1;
	assert_int_equal(hlsim_engine_new(&e, &o, HTS_T0, err, sizeof err), HAT_E_PARSE);
	assert_null(e);
	assert_non_null(strstr(err, "state.json: not valid JSON"));
	f = fopen(path, "w");
	fputs("{\"version\":1,\"nextOid\":\"x\"}", f);
	fclose(f);
	assert_int_equal(hlsim_engine_new(&e, &o, HTS_T0, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "state.json: nextOid: missing or invalid"));
	/* a missing file is a fresh start */
	snprintf(path, sizeof path, "%s/none.json", dir);
	assert_int_equal(hlsim_engine_new(&e, &o, HTS_T0, err, sizeof err), 0);
	hlsim_engine_free(e);
	struct hlsim_options r = { .replay_path = "x.journal" };
	assert_int_equal(hlsim_engine_new(&e, &r, HTS_T0, err, sizeof err), -ENOENT); /* no such journal */
	tu_rmtree(dir);
}

static void test_config_file_errors_name_the_key(void **state)
{
	(void)state;
	char dir[256], path[512], err[256] = "";
	tu_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/hlsim.json", dir);
	FILE *f = fopen(path, "w");
	fputs("{\"coins\":[{\"name\":\"BTC\",\"szDecimals\":5,\"maxLeverage\":40,\"startPx\":\"65000\"},"
	      "{\"name\":\"ETH\",\"szDecimals\":9,\"maxLeverage\":25,\"startPx\":\"3000\"}]}", f);
	fclose(f);
	struct hlsim_options o = { .config_path = path };
	struct hlsim_engine *e;
	assert_int_equal(hlsim_engine_new(&e, &o, HTS_T0, err, sizeof err), HAT_E_CONFIG);
	assert_string_equal(err, "hlsim.json: coins[1].szDecimals: must be 0..6 (got 9)");
	f = fopen(path, "w");
	fputs("{\"accounts\":[{\"privateKey\":\"" HTS_KEY "\",\"usdc\":\"250.5\"}],\"fees\":{\"maker\":\"-0.0001\"}}", f);
	fclose(f);
	assert_int_equal(hlsim_engine_new(&e, &o, HTS_T0, err, sizeof err), 0);
	struct hat_buf out = HAT_BUF_INIT;
	int st;
	const char *q = "{\"type\":\"clearinghouseState\",\"user\":\"" HTS_ADDR "\"}";
	hlsim_info(e, q, strlen(q), HTS_T0, &out, &st, NULL);
	assert_non_null(strstr(out.data, "\"withdrawable\":\"250.5\""));
	assert_true(e->cfg.maker_fee == -10000);
	hat_buf_free(&out);
	hlsim_engine_free(e);
	snprintf(path, sizeof path, "%s/missing.json", dir);
	assert_int_equal(hlsim_engine_new(&e, &o, HTS_T0, err, sizeof err), -ENOENT);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_save_restore_identical),
		cmocka_unit_test(test_state_rejects_bad_files),
		cmocka_unit_test(test_config_file_errors_name_the_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
