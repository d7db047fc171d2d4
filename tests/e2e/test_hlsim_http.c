/* tests/e2e/test_hlsim_http.c -- the real hlsim over real sockets: /exchange trading flows
 * signed with hl/ and checked through /info (libcurl client).
 *
 * Each test starts its own hlsim (--port 0) with the quiet test config (no background flow:
 * books hold only what the test placed), accounts A and B funded with 100000 USDC and a poor
 * account with 20 USDC. BTC is asset 0 (szDecimals 5).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/helpers/hlsim_proc.h"
#include "tests/helpers/http_test_client.h"
#include "tests/helpers/test_util.h"
#include "tests/unit/hlsim_test_util.h"

struct fx {
	struct hlsim_proc p;
	struct hl_signer a, b, poor;
	char addr_a[43], addr_b[43];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	hp_signer(&f->a, HP_KEY_A);
	hp_signer(&f->b, HP_KEY_B);
	hp_signer(&f->poor, HP_KEY_POOR);
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
	hl_signer_deinit(&f->poor);
	free(f);
	return 0;
}

/* An order action for BTC. */
static const char *order(char *buf, size_t n, bool buy, const char *px, const char *sz,
                         const char *tif, bool reduce_only)
{
	snprintf(buf, n,
		 "{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":%s,\"p\":\"%s\",\"s\":\"%s\",\"r\":%s,"
		 "\"t\":{\"limit\":{\"tif\":\"%s\"}}}],\"grouping\":\"na\"}",
		 buy ? "true" : "false", px, sz, reduce_only ? "true" : "false", tif);
	return buf;
}

static char *place(struct fx *f, struct hl_signer *k, bool buy, const char *px, const char *sz,
                   const char *tif, bool reduce_only)
{
	char a[512];
	long st;
	char *r = hp_exchange(&f->p, k, order(a, sizeof a, buy, px, sz, tif, reduce_only), 0, &st);
	assert_int_equal(st, 200);
	return r;
}

static void expect_str(char *got, const char *want)
{
	if (strcmp(got, want))
		fail_msg("got  %s\nwant %s", got, want);
	free(got);
}

static void expect_has(char *got, const char *want)
{
	if (!strstr(got, want))
		fail_msg("%s\nlacks %s", got, want);
	free(got);
}

static void test_place_rest_cancel(void **state)
{
	struct fx *f = *state;
	expect_str(place(f, &f->a, true, "60000", "0.001", "Gtc", false),
		   "{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
		   "[{\"resting\":{\"oid\":1000}}]}}}");
	expect_has(hp_info(&f->p, "{\"type\":\"openOrders\",\"user\":\"%s\"}", f->addr_a),
		   "\"oid\":1000");
	expect_has(hp_info(&f->p, "{\"type\":\"l2Book\",\"coin\":\"BTC\"}"),
		   "\"levels\":[[{\"px\":\"60000\",\"sz\":\"0.001\",\"n\":1}],[]]");
	long st;
	expect_str(hp_exchange(&f->p, &f->a, "{\"type\":\"cancel\",\"cancels\":[{\"a\":0,\"o\":1000}]}",
			       0, &st),
		   "{\"status\":\"ok\",\"response\":{\"type\":\"cancel\",\"data\":{\"statuses\":"
		   "[\"success\"]}}}");
	expect_str(hp_info(&f->p, "{\"type\":\"openOrders\",\"user\":\"%s\"}", f->addr_a), "[]");
	expect_str(hp_exchange(&f->p, &f->a, "{\"type\":\"cancel\",\"cancels\":[{\"a\":0,\"o\":1000}]}",
			       0, &st),
		   "{\"status\":\"ok\",\"response\":{\"type\":\"cancel\",\"data\":{\"statuses\":"
		   "[{\"error\":\"Order was never placed, already canceled, or filled.\"}]}}}");
}

static void test_fill_and_partial_fill(void **state)
{
	struct fx *f = *state;
	expect_has(place(f, &f->a, false, "65000", "0.002", "Gtc", false), "{\"resting\":{\"oid\":1000}}");
	expect_str(place(f, &f->b, true, "65000", "0.001", "Ioc", false),
		   "{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
		   "[{\"filled\":{\"totalSz\":\"0.001\",\"avgPx\":\"65000\",\"oid\":1001}}]}}}");
	/* the maker is partially filled: still open with the rest */
	char *s = hp_info(&f->p, "{\"type\":\"orderStatus\",\"user\":\"%s\",\"oid\":1000}", f->addr_a);
	assert_non_null(strstr(s, "\"status\":\"open\""));
	assert_non_null(strstr(s, "\"sz\":\"0.001\""));
	assert_non_null(strstr(s, "\"origSz\":\"0.002\""));
	free(s);
	expect_has(place(f, &f->b, true, "65000", "0.001", "Gtc", false),
		   "{\"filled\":{\"totalSz\":\"0.001\",\"avgPx\":\"65000\",\"oid\":1002}}");
	expect_has(hp_info(&f->p, "{\"type\":\"orderStatus\",\"user\":\"%s\",\"oid\":1000}", f->addr_a),
		   "\"status\":\"filled\"");
	expect_has(hp_info(&f->p, "{\"type\":\"clearinghouseState\",\"user\":\"%s\"}", f->addr_a),
		   "\"szi\":\"-0.002\"");
	expect_has(hp_info(&f->p, "{\"type\":\"clearinghouseState\",\"user\":\"%s\"}", f->addr_b),
		   "\"szi\":\"0.002\"");
	s = hp_info(&f->p, "{\"type\":\"userFills\",\"user\":\"%s\"}", f->addr_b);
	assert_non_null(strstr(s, "\"px\":\"65000\""));
	assert_non_null(strstr(s, "\"oid\":1001"));
	assert_non_null(strstr(s, "\"oid\":1002"));
	free(s);
}

static void test_modify(void **state)
{
	struct fx *f = *state;
	expect_has(place(f, &f->a, true, "60000", "0.001", "Gtc", false), "{\"resting\":{\"oid\":1000}}");
	long st;
	char a[512], m[600];
	order(a, sizeof a, true, "61000", "0.002", "Gtc", false);
	/* the order object of the action, without the surrounding list */
	const char *o = strstr(a, "[{") + 1;
	snprintf(m, sizeof m, "{\"type\":\"modify\",\"oid\":1000,\"order\":%.*s}",
		 (int)(strstr(o, "}]") - o + 1), o);
	char *r = hp_exchange(&f->p, &f->a, m, 0, &st);
	assert_int_equal(st, 200);
	expect_has(r, "\"status\":\"ok\"");
	char *s = hp_info(&f->p, "{\"type\":\"openOrders\",\"user\":\"%s\"}", f->addr_a);
	assert_non_null(strstr(s, "\"limitPx\":\"61000\""));
	assert_non_null(strstr(s, "\"sz\":\"0.002\""));
	assert_null(strstr(s, "\"limitPx\":\"60000\""));
	free(s);
	expect_has(hp_exchange(&f->p, &f->a, "{\"type\":\"modify\",\"oid\":999999,\"order\":"
					    "{\"a\":0,\"b\":true,\"p\":\"61000\",\"s\":\"0.002\",\"r\":false,"
					    "\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}}", 0, &st),
		   "Cannot modify canceled or filled order");
}

static void test_alo_rejected_when_crossing(void **state)
{
	struct fx *f = *state;
	expect_has(place(f, &f->a, false, "65000", "0.001", "Gtc", false), "resting");
	expect_str(place(f, &f->b, true, "65000", "0.001", "Alo", false),
		   "{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
		   "[{\"error\":\"Post only order would have immediately matched, bbo was "
		   "None@65000\"}]}}}");
	expect_has(place(f, &f->b, true, "64000", "0.001", "Alo", false), "{\"resting\":{\"oid\":1001}}");
}

static void test_ioc_remainder_canceled(void **state)
{
	struct fx *f = *state;
	expect_has(place(f, &f->a, false, "65000", "0.001", "Gtc", false), "resting");
	expect_has(place(f, &f->b, true, "65000", "0.003", "Ioc", false),
		   "{\"filled\":{\"totalSz\":\"0.001\",\"avgPx\":\"65000\",\"oid\":1001}}");
	expect_str(hp_info(&f->p, "{\"type\":\"openOrders\",\"user\":\"%s\"}", f->addr_b), "[]");
	expect_has(hp_info(&f->p, "{\"type\":\"l2Book\",\"coin\":\"BTC\"}"), "\"levels\":[[],[]]");
	expect_has(place(f, &f->b, true, "65000", "0.001", "Ioc", false),
		   "{\"error\":\"Order could not immediately match against any resting orders.\"}");
}

static void test_reduce_only_rejected(void **state)
{
	struct fx *f = *state;
	expect_has(place(f, &f->a, false, "65000", "0.001", "Gtc", true),
		   "{\"error\":\"Reduce only order would increase position.\"}");
}

static void test_margin_rejected(void **state)
{
	struct fx *f = *state;
	/* 0.01 BTC at 65000 = $650 of notional: 20 USDC at 20x leverage buys $400 at most */
	expect_has(place(f, &f->poor, true, "65000", "0.01", "Gtc", false),
		   "{\"error\":\"Insufficient margin to place order.\"}");
	expect_has(place(f, &f->poor, true, "65000", "0.001", "Gtc", false), "resting");
}

static void test_nonce_reuse_rejected(void **state)
{
	struct fx *f = *state;
	char a[512];
	order(a, sizeof a, true, "60000", "0.001", "Gtc", false);
	uint64_t n = hp_nonce();
	long st;
	expect_has(hp_exchange(&f->p, &f->a, a, n, &st), "resting");
	char want[160];
	snprintf(want, sizeof want, "{\"status\":\"err\",\"response\":\"Invalid nonce: duplicate nonce "
		 "%llu\"}", (unsigned long long)n);
	expect_str(hp_exchange(&f->p, &f->a, a, n, &st), want);
	assert_int_equal(st, 200);
}

static void test_wrong_signature_rejected(void **state)
{
	struct fx *f = *state;
	struct hl_signer stranger;
	hp_signer(&stranger, "0x3333333333333333333333333333333333333333333333333333333333333333");
	char addr[43], a[512], want[200];
	hp_addr(&stranger, addr);
	long st;
	snprintf(want, sizeof want, "{\"status\":\"err\",\"response\":\"User or API Wallet %s does not "
		 "exist.\"}", addr);
	expect_str(hp_exchange(&f->p, &stranger, order(a, sizeof a, true, "60000", "0.001", "Gtc",
						       false), 0, &st), want);
	hl_signer_deinit(&stranger);
	/* A's signature over another action recovers some other address */
	struct hat_buf body = HAT_BUF_INIT;
	hts_sign_body(&f->a, order(a, sizeof a, true, "60000", "0.001", "Gtc", false), hp_nonce(),
		      false, &body);
	char *p = strstr(body.data, "\"60000\"");
	assert_non_null(p);
	memcpy(p, "\"60001\"", 7);
	char *r = htc_post(f->p.port, "/exchange", body.data, &st);
	hat_buf_free(&body);
	assert_int_equal(st, 200);
	assert_non_null(strstr(r, "\"status\":\"err\""));
	assert_non_null(strstr(r, "does not exist."));
	assert_null(strstr(r, f->addr_a));
	free(r);
	expect_str(hp_info(&f->p, "{\"type\":\"openOrders\",\"user\":\"%s\"}", f->addr_a), "[]");
}

static void test_schedule_cancel_fires(void **state)
{
	struct fx *f = *state;
	expect_has(place(f, &f->a, true, "60000", "0.001", "Gtc", false), "{\"resting\":{\"oid\":1000}}");
	char a[128];
	uint64_t at = hp_nonce() + 5500;
	snprintf(a, sizeof a, "{\"type\":\"scheduleCancel\",\"time\":%llu}", (unsigned long long)at);
	long st;
	expect_str(hp_exchange(&f->p, &f->a, a, 0, &st),
		   "{\"status\":\"ok\",\"response\":{\"type\":\"default\"}}");
	char *s = NULL;
	for (int i = 0; i < 300; i++) {
		free(s);
		s = hp_info(&f->p, "{\"type\":\"orderStatus\",\"user\":\"%s\",\"oid\":1000}", f->addr_a);
		if (strstr(s, "scheduledCancel"))
			break;
		usleep(50000);
	}
	assert_non_null(strstr(s, "\"status\":\"scheduledCancel\""));
	free(s);
	assert_true(hp_nonce() >= at);
	expect_str(hp_info(&f->p, "{\"type\":\"openOrders\",\"user\":\"%s\"}", f->addr_a), "[]");
}

static void test_state_survives_restart(void **state)
{
	struct fx *f = *state;
	hp_stop(&f->p);
	const char *args[] = { "--state", NULL, NULL };
	memset(&f->p, 0, sizeof f->p);
	tu_tmpdir(f->p.dir, sizeof f->p.dir);
	char path[512];
	snprintf(path, sizeof path, "%s", hp_path(&f->p, "state.json"));
	args[1] = path;
	hp_start(&f->p, hp_config_quiet, args);
	expect_has(place(f, &f->a, true, "60000", "0.001", "Gtc", false), "{\"resting\":{\"oid\":1000}}");
	hp_stop_keep(&f->p);
	char *saved = tu_read_file(path);
	assert_non_null(saved);
	free(saved);
	hp_start(&f->p, hp_config_quiet, args);
	expect_has(hp_info(&f->p, "{\"type\":\"openOrders\",\"user\":\"%s\"}", f->addr_a),
		   "\"oid\":1000");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_place_rest_cancel),
		T(test_fill_and_partial_fill),
		T(test_modify),
		T(test_alo_rejected_when_crossing),
		T(test_ioc_remainder_canceled),
		T(test_reduce_only_rejected),
		T(test_margin_rejected),
		T(test_nonce_reuse_rejected),
		T(test_wrong_signature_rejected),
		T(test_schedule_cancel_fires),
		T(test_state_survives_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
