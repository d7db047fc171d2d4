/* tests/e2e/test_hlsim_ws.c -- the real hlsim's WebSocket over real sockets: subscriptions,
 * snapshots, pushes consistent with trades, user streams, post requests.
 *
 * Quiet test config (no background flow), so every push comes from what the test does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/helpers/hlsim_proc.h"
#include "tests/helpers/http_test_client.h"
#include "tests/helpers/test_util.h"
#include "tests/helpers/ws_test_client.h"
#include "tests/unit/hlsim_test_util.h"

#define T 10000

struct fx {
	struct hlsim_proc p;
	struct hl_signer a, b;
	char addr_a[43], addr_b[43];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	hp_signer(&f->a, HP_KEY_A);
	hp_signer(&f->b, HP_KEY_B);
	hp_addr(&f->a, f->addr_a);
	hp_addr(&f->b, f->addr_b);
	hp_start(&f->p, hp_config_quiet, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	hp_stop(&f->p);
	hl_signer_deinit(&f->a);
	hl_signer_deinit(&f->b);
	free(f);
	return 0;
}

static struct wstc *ws(struct fx *f)
{
	struct wstc *c;
	int st;
	assert_int_equal(wstc_connect(&c, f->p.port, "/ws", &st), 0);
	char *g = wstc_recv(c, T);
	assert_non_null(g);
	assert_string_equal(g, "Websocket connection established.");
	free(g);
	return c;
}

static void send_s(struct wstc *c, const char *s)
{
	assert_int_equal(wstc_send_text(c, s, strlen(s)), 0);
}

static void subscribe(struct wstc *c, const char *sub)
{
	char m[512], ack[600];
	snprintf(m, sizeof m, "{\"method\":\"subscribe\",\"subscription\":%s}", sub);
	snprintf(ack, sizeof ack, "{\"channel\":\"subscriptionResponse\",\"data\":{\"method\":"
		 "\"subscribe\",\"subscription\":%s}}", sub);
	send_s(c, m);
	char *r = wstc_recv(c, T);
	assert_non_null(r);
	assert_string_equal(r, ack);
	free(r);
}

static char *next(struct wstc *c, const char *channel)
{
	char *m = wstc_recv_channel(c, channel, T);
	if (!m)
		fail_msg("no %s message", channel);
	return m;
}

static void place(struct fx *f, struct hl_signer *k, bool buy, const char *px, const char *sz,
                  const char *tif, const char *want)
{
	char a[512];
	snprintf(a, sizeof a,
		 "{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":%s,\"p\":\"%s\",\"s\":\"%s\",\"r\":false,"
		 "\"t\":{\"limit\":{\"tif\":\"%s\"}}}],\"grouping\":\"na\"}",
		 buy ? "true" : "false", px, sz, tif);
	long st;
	char *r = hp_exchange(&f->p, k, a, 0, &st);
	assert_int_equal(st, 200);
	if (!strstr(r, want))
		fail_msg("%s lacks %s", r, want);
	free(r);
}

static void test_book_snapshot_then_updates_consistent_with_trades(void **state)
{
	struct fx *f = *state;
	struct wstc *c = ws(f);
	subscribe(c, "{\"type\":\"l2Book\",\"coin\":\"BTC\"}");
	char *m = next(c, "l2Book");
	assert_non_null(strstr(m, "\"coin\":\"BTC\""));
	assert_non_null(strstr(m, "\"levels\":[[],[]]"));
	free(m);
	subscribe(c, "{\"type\":\"trades\",\"coin\":\"BTC\"}");
	place(f, &f->a, false, "65000", "0.002", "Gtc", "resting");
	m = next(c, "l2Book");
	assert_non_null(strstr(m, "\"levels\":[[],[{\"px\":\"65000\",\"sz\":\"0.002\",\"n\":1}]]"));
	free(m);
	place(f, &f->b, true, "65000", "0.0015", "Ioc", "filled");
	/* the trade first, then a book that already reflects it; never a stale book after it */
	m = wstc_recv(c, T);
	assert_non_null(m);
	assert_non_null(strstr(m, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\","
				  "\"px\":\"65000\",\"sz\":\"0.0015\""));
	free(m);
	m = next(c, "l2Book");
	assert_non_null(strstr(m, "\"levels\":[[],[{\"px\":\"65000\",\"sz\":\"0.0005\",\"n\":1}]]"));
	free(m);
	place(f, &f->b, true, "65000", "0.0005", "Ioc", "filled");
	m = wstc_recv(c, T);
	assert_non_null(strstr(m, "{\"channel\":\"trades\""));
	assert_non_null(strstr(m, "\"sz\":\"0.0005\""));
	free(m);
	m = next(c, "l2Book");
	assert_non_null(strstr(m, "\"levels\":[[],[]]"));
	free(m);
	wstc_free(c);
}

static void test_user_streams(void **state)
{
	struct fx *f = *state;
	struct wstc *c = ws(f), *d = ws(f);
	char sub[200];
	snprintf(sub, sizeof sub, "{\"type\":\"orderUpdates\",\"user\":\"%s\"}", f->addr_a);
	subscribe(c, sub);
	snprintf(sub, sizeof sub, "{\"type\":\"userFills\",\"user\":\"%s\"}", f->addr_b);
	subscribe(d, sub);
	char *m = next(d, "userFills");
	assert_non_null(strstr(m, "\"isSnapshot\":true"));
	assert_non_null(strstr(m, "\"fills\":[]"));
	free(m);
	place(f, &f->a, false, "65000", "0.001", "Gtc", "resting");
	m = next(c, "orderUpdates");
	assert_non_null(strstr(m, "\"oid\":1000"));
	assert_non_null(strstr(m, "\"status\":\"open\""));
	free(m);
	place(f, &f->b, true, "65000", "0.001", "Ioc", "filled");
	m = next(c, "orderUpdates");
	assert_non_null(strstr(m, "\"oid\":1000"));
	assert_non_null(strstr(m, "\"status\":\"filled\""));
	free(m);
	m = next(d, "userFills");
	assert_null(strstr(m, "\"isSnapshot\":true"));
	assert_non_null(strstr(m, "\"px\":\"65000\""));
	assert_non_null(strstr(m, "\"oid\":1001"));
	free(m);
	wstc_free(c);
	wstc_free(d);
}

static void test_post_action_and_info(void **state)
{
	struct fx *f = *state;
	struct wstc *c = ws(f);
	struct hat_buf body = HAT_BUF_INIT;
	hts_sign_body(&f->a, "{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":true,\"p\":\"60000\","
			     "\"s\":\"0.001\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}],"
			     "\"grouping\":\"na\"}", hp_nonce(), false, &body);
	struct hat_buf m = HAT_BUF_INIT;
	hat_buf_printf(&m, "{\"method\":\"post\",\"id\":41,\"request\":{\"type\":\"action\","
			   "\"payload\":%s}}", body.data);
	send_s(c, m.data);
	char *r = next(c, "post");
	assert_string_equal(r, "{\"channel\":\"post\",\"data\":{\"id\":41,\"response\":{\"type\":"
			       "\"action\",\"payload\":{\"status\":\"ok\",\"response\":{\"type\":"
			       "\"order\",\"data\":{\"statuses\":[{\"resting\":{\"oid\":1000}}]}}}}}}");
	free(r);
	hat_buf_reset(&m);
	hat_buf_printf(&m, "{\"method\":\"post\",\"id\":42,\"request\":{\"type\":\"info\",\"payload\":"
			   "{\"type\":\"openOrders\",\"user\":\"%s\"}}}", f->addr_a);
	send_s(c, m.data);
	r = next(c, "post");
	assert_non_null(strstr(r, "{\"channel\":\"post\",\"data\":{\"id\":42,\"response\":{\"type\":"
				  "\"info\",\"payload\":{\"type\":\"openOrders\",\"data\":[{"));
	assert_non_null(strstr(r, "\"oid\":1000"));
	free(r);
	/* replaying the same signed action: the exchange's nonce error, inside the post answer */
	hat_buf_reset(&m);
	hat_buf_printf(&m, "{\"method\":\"post\",\"id\":43,\"request\":{\"type\":\"action\","
			   "\"payload\":%s}}", body.data);
	send_s(c, m.data);
	r = next(c, "post");
	assert_non_null(strstr(r, "{\"channel\":\"post\",\"data\":{\"id\":43,\"response\":{\"type\":"
				  "\"action\",\"payload\":{\"status\":\"err\",\"response\":\"Invalid "
				  "nonce: duplicate nonce"));
	free(r);
	hat_buf_free(&m);
	hat_buf_free(&body);
	wstc_free(c);
}

static void test_all_mids_and_invalid_coin(void **state)
{
	struct fx *f = *state;
	struct wstc *c = ws(f);
	subscribe(c, "{\"type\":\"allMids\"}");
	char *m = next(c, "allMids");
	assert_non_null(strstr(m, "{\"channel\":\"allMids\",\"data\":{\"mids\":{"));
	assert_non_null(strstr(m, "\"BTC\":"));
	free(m);
	send_s(c, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"l2Book\",\"coin\":\"NOPE\"}}");
	m = next(c, "error");
	assert_non_null(strstr(m, "{\"channel\":\"error\",\"data\":\""));
	assert_non_null(strstr(m, "NOPE"));
	free(m);
	send_s(c, "{\"method\":\"ping\"}");
	m = next(c, "pong");
	assert_string_equal(m, "{\"channel\":\"pong\"}");
	free(m);
	wstc_free(c);
}

static void test_stop_closes_subscribers_with_1001(void **state)
{
	struct fx *f = *state;
	struct wstc *c = ws(f);
	subscribe(c, "{\"type\":\"trades\",\"coin\":\"BTC\"}");
	hp_stop_keep(&f->p); /* asserts a clean exit 0 with the subscriber still connected */
	assert_int_equal(wstc_wait_close(c, T), 1001);
	wstc_free(c);
}

int main(void)
{
#define TC(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		TC(test_book_snapshot_then_updates_consistent_with_trades),
		TC(test_user_streams),
		TC(test_post_action_and_info),
		TC(test_all_mids_and_invalid_coin),
		TC(test_stop_closes_subscribers_with_1001),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
