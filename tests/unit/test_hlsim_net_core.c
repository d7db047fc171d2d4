/* tests/unit/test_hlsim_net_core.c -- the I/O-free pieces of hlsim's network layer: per-IP token
 * buckets (ratelimit.h), subscription keys and routing (sub.h), the WebSocket accept key and the
 * command line (args.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tools/hlsim/args.h"
#include "tools/hlsim/ratelimit.h"
#include "tools/hlsim/sub.h"
#include "tools/hlsim/ws.h"

static const uint8_t ip1[4] = { 127, 0, 0, 1 }, ip2[4] = { 10, 0, 0, 2 };

static void test_rest_budget_and_refill(void **state)
{
	(void)state;
	struct hlsim_rl_limits l;
	hlsim_rl_limits_default(&l);
	assert_int_equal(l.rest_weight_per_min, 1200);
	l.rest_weight_per_min = 60; /* one unit per second */
	struct hlsim_rl rl;
	hlsim_rl_init(&rl, &l);
	struct hlsim_rl_ip *a = hlsim_rl_lookup(&rl, ip1, 4, 1000);
	for (int i = 0; i < 3; i++) {
		assert_true(hlsim_rl_rest_allow(&rl, a));
		hlsim_rl_rest_charge(&rl, a, 20);
	}
	assert_false(hlsim_rl_rest_allow(&rl, a));
	/* another IP has its own budget */
	struct hlsim_rl_ip *b = hlsim_rl_lookup(&rl, ip2, 4, 1000);
	assert_true(hlsim_rl_rest_allow(&rl, b));
	a = hlsim_rl_lookup(&rl, ip1, 4, 1999);
	assert_false(hlsim_rl_rest_allow(&rl, a));
	a = hlsim_rl_lookup(&rl, ip1, 4, 2000);
	assert_true(hlsim_rl_rest_allow(&rl, a));
	/* a heavy request may overdraw; the debt is paid back before the next one */
	hlsim_rl_rest_charge(&rl, a, 5);
	a = hlsim_rl_lookup(&rl, ip1, 4, 6000);
	assert_false(hlsim_rl_rest_allow(&rl, a));
	a = hlsim_rl_lookup(&rl, ip1, 4, 7000);
	assert_true(hlsim_rl_rest_allow(&rl, a));
	/* the bucket never holds more than a minute's budget */
	a = hlsim_rl_lookup(&rl, ip1, 4, 10000000);
	hlsim_rl_rest_charge(&rl, a, 60);
	assert_false(hlsim_rl_rest_allow(&rl, a));
	hlsim_rl_deinit(&rl);
}

static void test_zero_means_unlimited(void **state)
{
	(void)state;
	struct hlsim_rl_limits l = { 0, 0, 0, 0, 0 };
	struct hlsim_rl rl;
	hlsim_rl_init(&rl, &l);
	struct hlsim_rl_ip *a = hlsim_rl_lookup(&rl, ip1, 4, 0);
	char err[128];
	for (int i = 0; i < 5000; i++) {
		assert_true(hlsim_rl_rest_allow(&rl, a));
		hlsim_rl_rest_charge(&rl, a, 60);
		assert_int_equal(hlsim_rl_ws_open(&rl, a, err, sizeof err), 0);
		assert_int_equal(hlsim_rl_ws_msg(&rl, a), 0);
		assert_int_equal(hlsim_rl_ws_sub(&rl, a), 0);
	}
	hlsim_rl_deinit(&rl);
}

static void test_ws_limits(void **state)
{
	(void)state;
	struct hlsim_rl_limits l;
	hlsim_rl_limits_default(&l);
	l.ws_conns = 2;
	l.ws_new_conns_per_min = 3;
	l.ws_subs = 2;
	l.ws_msgs_per_min = 2;
	struct hlsim_rl rl;
	hlsim_rl_init(&rl, &l);
	char err[128];
	struct hlsim_rl_ip *a = hlsim_rl_lookup(&rl, ip1, 4, 0);
	assert_int_equal(hlsim_rl_ws_open(&rl, a, err, sizeof err), 0);
	assert_int_equal(hlsim_rl_ws_open(&rl, a, err, sizeof err), 0);
	assert_int_equal(hlsim_rl_ws_open(&rl, a, err, sizeof err), -EAGAIN);
	assert_string_equal(err, "too many WebSocket connections from this IP (limit 2)");
	hlsim_rl_ws_close(a, 0);
	assert_int_equal(hlsim_rl_ws_open(&rl, a, err, sizeof err), 0);
	hlsim_rl_ws_close(a, 0);
	assert_int_equal(hlsim_rl_ws_open(&rl, a, err, sizeof err), -EAGAIN);
	assert_string_equal(err, "too many new WebSocket connections per minute (limit 3)");
	assert_int_equal(hlsim_rl_ws_sub(&rl, a), 0);
	assert_int_equal(hlsim_rl_ws_sub(&rl, a), 0);
	assert_int_equal(hlsim_rl_ws_sub(&rl, a), -EAGAIN);
	hlsim_rl_ws_unsub(a);
	assert_int_equal(hlsim_rl_ws_sub(&rl, a), 0);
	hlsim_rl_ws_close(a, 2); /* a connection closing releases its subscriptions */
	assert_int_equal(a->ws_subs, 0);
	assert_int_equal(hlsim_rl_ws_msg(&rl, a), 0);
	assert_int_equal(hlsim_rl_ws_msg(&rl, a), 0);
	assert_int_equal(hlsim_rl_ws_msg(&rl, a), -EAGAIN);
	a = hlsim_rl_lookup(&rl, ip1, 4, 30000);
	assert_int_equal(hlsim_rl_ws_msg(&rl, a), 0);
	hlsim_rl_deinit(&rl);
}

static void parse_sub(struct hlsim_sub *s, const char *channel, const char *json)
{
	cJSON *j = cJSON_Parse(json);
	char err[128];
	assert_non_null(j);
	assert_int_equal(hlsim_sub_parse(s, channel, j, err, sizeof err), 0);
	cJSON_Delete(j);
}

static void test_sub_keys_and_matching(void **state)
{
	(void)state;
	struct hlsim_sub a, b, c, d;
	parse_sub(&a, "l2Book", "{\"type\":\"l2Book\",\"coin\":\"BTC\"}");
	parse_sub(&b, "l2Book", "{\"coin\":\"BTC\",\"type\":\"l2Book\",\"extra\":1}");
	parse_sub(&c, "l2Book", "{\"type\":\"l2Book\",\"coin\":\"BTC\",\"nSigFigs\":3}");
	parse_sub(&d, "userEvents",
		  "{\"type\":\"userEvents\",\"user\":\"0xAbCdEf0000000000000000000000000000000001\"}");
	assert_string_equal(a.key, b.key);
	assert_string_not_equal(a.key, c.key);
	assert_false(a.aggregated);
	assert_true(c.aggregated);
	assert_string_equal(hlsim_sub_channel(d.kind), "user");
	uint8_t u[20] = { 0xab, 0xcd, 0xef };
	u[19] = 1;
	struct hlsim_event book = { HLSIM_EV_L2BOOK, "BTC", NULL, NULL, "{}", 2 };
	struct hlsim_event eth = { HLSIM_EV_L2BOOK, "ETH", NULL, NULL, "{}", 2 };
	struct hlsim_event trades = { HLSIM_EV_TRADES, "BTC", NULL, NULL, "[]", 2 };
	struct hlsim_event ue = { HLSIM_EV_USER_EVENTS, NULL, u, NULL, "{}", 2 };
	assert_true(hlsim_sub_matches(&a, &book));
	assert_false(hlsim_sub_matches(&a, &eth));
	assert_false(hlsim_sub_matches(&a, &trades));
	assert_true(hlsim_sub_matches(&d, &ue));
	u[0] = 0;
	assert_false(hlsim_sub_matches(&d, &ue));
	hlsim_sub_deinit(&a);
	hlsim_sub_deinit(&b);
	hlsim_sub_deinit(&c);
	hlsim_sub_deinit(&d);
	struct hlsim_sub e;
	parse_sub(&e, "candle", "{\"type\":\"candle\",\"coin\":\"SOL\",\"interval\":\"1m\"}");
	struct hlsim_event c1 = { HLSIM_EV_CANDLE, "SOL", NULL, "1m", "{}", 2 };
	struct hlsim_event c5 = { HLSIM_EV_CANDLE, "SOL", NULL, "5m", "{}", 2 };
	assert_true(hlsim_sub_matches(&e, &c1));
	assert_false(hlsim_sub_matches(&e, &c5));
	hlsim_sub_deinit(&e);
}

static void test_sub_rejects_bad_fields(void **state)
{
	(void)state;
	struct hlsim_sub s;
	char err[128];
	cJSON *j = cJSON_Parse("{\"type\":\"orderUpdates\",\"user\":\"0x12\"}");
	assert_int_equal(hlsim_sub_parse(&s, "orderUpdates", j, err, sizeof err), -EINVAL);
	assert_string_equal(err, "orderUpdates subscription: user must be a 0x address of 20 bytes");
	cJSON_Delete(j);
	j = cJSON_Parse("{\"type\":\"trades\"}");
	assert_int_equal(hlsim_sub_parse(&s, "trades", j, err, sizeof err), -EINVAL);
	assert_string_equal(err, "trades subscription: missing or bad coin");
	assert_int_equal(hlsim_sub_parse(&s, "notification", j, err, sizeof err), -EINVAL);
	assert_string_equal(err, "unsupported channel notification");
	cJSON_Delete(j);
}

static void test_ws_accept_key_rfc6455_example(void **state)
{
	(void)state;
	char out[29];
	assert_int_equal(hlsim_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(hlsim_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=", out), -EINVAL);
	assert_int_equal(hlsim_ws_accept_key("!!!!!!!!!!!!!!!!!!!!!!==", out), -EINVAL);
	assert_int_equal(hlsim_ws_accept_key("", out), -EINVAL);
}

static void test_args(void **state)
{
	(void)state;
	struct hlsim_args a;
	char err[256];
	char *ok[] = { "hlsim", "--port", "0", "--seed", "42", "--mainnet", "--account",
		       "0x00000000000000000000000000000000000000aa=1234.5", "--ws-idle-ms", "250",
		       "--rl-rest-weight", "0", "--no-ws-greeting", "--host", "127.0.0.1", NULL };
	assert_int_equal(hlsim_args_parse(&a, 15, ok, err, sizeof err), 0);
	assert_int_equal(a.server.port, 0);
	assert_int_equal(a.engine.seed, 42);
	assert_true(a.engine.mainnet && a.engine.mainnet_set);
	assert_int_equal(a.engine.n_accounts, 1);
	assert_int_equal(a.accounts[0].address[19], 0xaa);
	assert_int_equal(a.accounts[0].usdc, 123450000000LL);
	assert_int_equal(a.server.ws_idle_ms, 250);
	assert_int_equal(a.server.rl.rest_weight_per_min, 0);
	assert_false(a.server.ws_greeting);
	char *bad_port[] = { "hlsim", "--port", "70000", NULL };
	assert_int_equal(hlsim_args_parse(&a, 3, bad_port, err, sizeof err), -EINVAL);
	assert_string_equal(err, "--port: expected an integer 0..65535, got '70000'");
	char *bad_acct[] = { "hlsim", "--account", "0x12=5", NULL };
	assert_int_equal(hlsim_args_parse(&a, 3, bad_acct, err, sizeof err), -EINVAL);
	assert_string_equal(err, "--account: '0x12' is not a 0x address of 20 bytes");
	char *unknown[] = { "hlsim", "--frobnicate", "1", NULL };
	assert_int_equal(hlsim_args_parse(&a, 3, unknown, err, sizeof err), -EINVAL);
	assert_string_equal(err, "unknown option '--frobnicate'");
	char *missing[] = { "hlsim", "--config", NULL };
	assert_int_equal(hlsim_args_parse(&a, 2, missing, err, sizeof err), -EINVAL);
	assert_string_equal(err, "--config: missing value (or unknown option)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rest_budget_and_refill),
		cmocka_unit_test(test_zero_means_unlimited),
		cmocka_unit_test(test_ws_limits),
		cmocka_unit_test(test_sub_keys_and_matching),
		cmocka_unit_test(test_sub_rejects_bad_fields),
		cmocka_unit_test(test_ws_accept_key_rfc6455_example),
		cmocka_unit_test(test_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
