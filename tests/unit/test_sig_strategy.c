/* tests/unit/test_sig_strategy.c -- strategies on scripted books, through the engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "signald/engine.h"

#define FX(x) ((int64_t)((x) * 100000000.0 + 0.5))
#define MS 1000000ull
#define S 1000000000ull

static struct hat_msg_intent out[64];
static int n_out;
static struct hat_msg_control ctl[4];
static int n_ctl;

static void cap(void *u, const struct hat_msg_intent *in) { (void)u; assert_true(n_out < 64); out[n_out++] = *in; }
static void cap_ctl(void *u, const struct hat_msg_control *c) { (void)u; ctl[n_ctl++ % 4] = *c; }

static struct sig_engine eng;
static char state_mem[1 << 20] __attribute__((aligned(16)));

static void snapshot_end(uint64_t now)
{
	struct hat_msg_control c;
	memset(&c, 0, sizeof c);
	c.h.type = HAT_MSG_CONTROL;
	c.cmd = HAT_CTL_SNAPSHOT_END;
	sig_engine_on_msg(&eng, &c.h, now);
}

static int start(const char *strategy, const char *params_json)
{
	struct sig_engine_params p;
	sig_engine_params_default(&p);
	sig_engine_init(&eng, &p, 3, cap, cap_ctl, NULL);
	n_out = n_ctl = 0;
	cJSON *params = params_json ? cJSON_Parse(params_json) : NULL;
	struct sig_quoter_params qp;
	sig_quoter_params_default(&qp);
	char err[256] = "";
	int rc = sig_engine_add_coin(&eng, "ETH", 1, 4, 1, sig_strategy_find(strategy), state_mem,
				     params, &qp, 1000, err, sizeof err);
	cJSON_Delete(params);
	if (rc == 0) {
		sig_engine_start(&eng, 0);
		snapshot_end(0);
	}
	return rc;
}

static void book(double bid, double bsz, double ask, double asz, uint64_t now)
{
	struct hat_msg_book b;
	memset(&b, 0, sizeof b);
	b.h.type = HAT_MSG_BOOK;
	b.h.origin_ns = now;
	strcpy(b.coin, "ETH");
	b.n_bids = b.n_asks = 1;
	b.bids[0].px = FX(bid);
	b.bids[0].sz = FX(bsz);
	b.asks[0].px = FX(ask);
	b.asks[0].sz = FX(asz);
	sig_engine_on_msg(&eng, &b.h, now);
}

static void position(double szi, uint64_t now)
{
	struct hat_msg_position p;
	memset(&p, 0, sizeof p);
	p.h.type = HAT_MSG_POSITION;
	strcpy(p.coin, "ETH");
	p.trading_state = HAT_TS_ACTIVE;
	p.szi = szi >= 0 ? FX(szi) : -FX(-szi);
	sig_engine_on_msg(&eng, &p.h, now);
}

static void ack_all(uint64_t now)
{
	for (int i = 0; i < n_out; i++) {
		if (out[i].o.kind == HAT_INTENT_CANCEL)
			continue;
		struct hat_msg_exec e;
		memset(&e, 0, sizeof e);
		e.h.type = HAT_MSG_EXEC;
		e.kind = out[i].o.kind == HAT_INTENT_REPLACE ? HAT_EXEC_REPLACED : HAT_EXEC_ACK;
		memcpy(e.cloid, out[i].o.cloid, 16);
		memcpy(e.orig_cloid, out[i].o.orig_cloid, 16);
		strcpy(e.coin, "ETH");
		e.remaining_sz = out[i].o.sz;
		sig_engine_on_msg(&eng, &e.h, now);
	}
	n_out = 0;
}

static const char *MM = "{\"gamma\":0.1,\"k\":1.5,\"horizon_s\":1,\"base_size\":0.01,"
			"\"max_position\":0.05,\"min_spread_bps\":2,\"default_sigma_bps\":10}";

static void test_mm_quotes_symmetric_when_flat(void **state)
{
	(void)state;
	assert_int_equal(start("mm", MM), 0);
	assert_int_equal(ctl[0].cmd, HAT_CTL_HELLO);
	assert_int_equal(ctl[0].restart_count, 3);
	book(2990, 1, 3010, 1, 1 * S);
	assert_int_equal(n_out, 2);
	/* delta = 10 + 20 ln(1 + 0.1/1.5) = 11.29077 bps: 3000 -+ 1.6936, rounded passively */
	assert_true(out[0].o.px == FX(2998.3));
	assert_true(out[1].o.px == FX(3001.7));
	assert_true(out[0].o.sz == FX(0.01));
	assert_int_equal(out[0].o.tif, HAT_TIF_ALO);
}

static void test_mm_quotes_move_with_inventory(void **state)
{
	(void)state;
	assert_int_equal(start("mm", MM), 0);
	book(2990, 1, 3010, 1, 1 * S);
	ack_all(1 * S);
	position(0.02, 2 * S); /* q = 2: reservation 20 bps lower */
	assert_int_equal(n_out, 2);
	assert_int_equal(out[0].o.kind, HAT_INTENT_REPLACE);
	assert_true(out[0].o.px == FX(2992.3));
	assert_true(out[1].o.px == FX(2995.7));
	ack_all(2 * S);
	position(-0.02, 3 * S); /* short: quotes move up */
	assert_true(out[0].o.px == FX(3004.3));
	assert_true(out[1].o.px == FX(3007.7));
	ack_all(3 * S);
	position(0.05, 4 * S); /* at max position: the bid goes */
	int cancels = 0;
	for (int i = 0; i < n_out; i++)
		cancels += out[i].o.kind == HAT_INTENT_CANCEL && out[i].o.side == HAT_SIDE_BUY;
	assert_int_equal(cancels, 1);
}

static void test_mm_no_requote_inside_threshold(void **state)
{
	(void)state;
	assert_int_equal(start("mm", MM), 0);
	book(2990, 1, 3010, 1, 1 * S);
	ack_all(1 * S);
	book(2990.2, 1, 3010.2, 1, 2 * S); /* mid +0.2: well inside 2 bps */
	assert_int_equal(n_out, 0);
	book(2992, 1, 3012, 1, 3 * S);     /* mid +2: past it */
	assert_int_equal(n_out, 2);
}

static void test_mm_rejects_bad_params(void **state)
{
	(void)state;
	assert_int_equal(start("mm", "{\"gamma\":-1}"), HAT_E_CONFIG);
	assert_int_equal(start("mm", "{\"gama\":1}"), HAT_E_CONFIG);
	assert_int_equal(start("mm", "{\"model\":{\"enabled\":1}}"), HAT_E_CONFIG);
}

static const char *TAKER = "{\"imbalance\":0.5,\"flow\":0.3,\"depth\":1,\"size\":0.01,"
			   "\"cooldown_ms\":1000,\"slippage_bps\":5,\"max_position\":0.05}";

static void trade(enum hat_side side, uint64_t now)
{
	struct hat_msg_trade t;
	memset(&t, 0, sizeof t);
	t.h.type = HAT_MSG_TRADE;
	t.h.origin_ns = now;
	strcpy(t.coin, "ETH");
	t.side = (uint8_t)side;
	t.px = FX(3001);
	t.sz = FX(1);
	sig_engine_on_msg(&eng, &t.h, now);
}

static void test_taker_trades_when_signals_agree_and_respects_cooldown(void **state)
{
	(void)state;
	assert_int_equal(start("taker", TAKER), 0);
	book(2999, 3, 3001, 1, 1 * S);      /* imbalance 0.5, but no flow yet */
	assert_int_equal(n_out, 0);
	trade(HAT_SIDE_BUY, 1 * S + 1 * MS); /* flow 1: both agree */
	assert_int_equal(n_out, 1);
	assert_int_equal(out[0].o.side, HAT_SIDE_BUY);
	assert_int_equal(out[0].o.tif, HAT_TIF_IOC);
	assert_true(out[0].o.px == FX(3002.6)); /* 3001 * 1.0005 = 3002.5005, rounded up */
	assert_true(out[0].o.sz == FX(0.01));
	/* the IOC finishes */
	struct hat_msg_exec e;
	memset(&e, 0, sizeof e);
	e.h.type = HAT_MSG_EXEC;
	e.kind = HAT_EXEC_FILL;
	e.flags = HAT_EXEC_F_FINAL;
	strcpy(e.coin, "ETH");
	memcpy(e.cloid, out[0].o.cloid, 16);
	sig_engine_on_msg(&eng, &e.h, 1 * S + 2 * MS);
	n_out = 0;
	trade(HAT_SIDE_BUY, 1 * S + 500 * MS);  /* inside the cool-down */
	assert_int_equal(n_out, 0);
	trade(HAT_SIDE_BUY, 2 * S + 2 * MS);    /* after it */
	assert_int_equal(n_out, 1);
	/* disagreeing signals: imbalance down, flow up: nothing */
	n_out = 0;
	start("taker", TAKER);
	book(2999, 1, 3001, 3, 10 * S);
	trade(HAT_SIDE_BUY, 10 * S + 1 * MS);
	assert_int_equal(n_out, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mm_quotes_symmetric_when_flat),
		cmocka_unit_test(test_mm_quotes_move_with_inventory),
		cmocka_unit_test(test_mm_no_requote_inside_threshold),
		cmocka_unit_test(test_mm_rejects_bad_params),
		cmocka_unit_test(test_taker_trades_when_signals_agree_and_respects_cooldown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
