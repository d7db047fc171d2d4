/* tests/unit/test_sig_engine.c -- readiness, staleness, halts and old data in signald's core. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "signald/engine.h"

#define FX(x) ((int64_t)((x) * 100000000.0 + 0.5))
#define MS 1000000ull
#define S 1000000000ull

static struct hat_msg_intent out[64];
static int n_out, n_ctl;

static void cap(void *u, const struct hat_msg_intent *in) { (void)u; assert_true(n_out < 64); out[n_out++] = *in; }
static void cap_ctl(void *u, const struct hat_msg_control *c) { (void)u; (void)c; n_ctl++; }

static struct sig_engine eng;
static char state_mem[1 << 20] __attribute__((aligned(16)));

static void control(uint16_t cmd, uint64_t now)
{
	struct hat_msg_control c;
	memset(&c, 0, sizeof c);
	c.h.type = HAT_MSG_CONTROL;
	c.cmd = cmd;
	sig_engine_on_msg(&eng, &c.h, now);
}

static void start(void)
{
	struct sig_engine_params p;
	sig_engine_params_default(&p);
	sig_engine_init(&eng, &p, 0, cap, cap_ctl, NULL);
	n_out = n_ctl = 0;
	cJSON *params = cJSON_Parse("{\"base_size\":0.01,\"default_sigma_bps\":10}");
	struct sig_quoter_params qp;
	sig_quoter_params_default(&qp);
	char err[256];
	assert_int_equal(sig_engine_add_coin(&eng, "ETH", 1, 4, 1, &sig_strat_mm, state_mem, params,
					     &qp, 5, err, sizeof err), 0);
	cJSON_Delete(params);
	sig_engine_start(&eng, 0);
	assert_int_equal(n_ctl, 1);
}

static void book(uint8_t flags, uint64_t origin, uint64_t now)
{
	struct hat_msg_book b;
	memset(&b, 0, sizeof b);
	b.h.type = HAT_MSG_BOOK;
	b.h.origin_ns = origin;
	b.flags = flags;
	strcpy(b.coin, "ETH");
	b.n_bids = b.n_asks = 1;
	b.bids[0].px = FX(2990);
	b.bids[0].sz = FX(1);
	b.asks[0].px = FX(3010);
	b.asks[0].sz = FX(1);
	sig_engine_on_msg(&eng, &b.h, now);
}

static void ack_all(void)
{
	for (int i = 0; i < n_out; i++) {
		struct hat_msg_exec e;
		memset(&e, 0, sizeof e);
		e.h.type = HAT_MSG_EXEC;
		e.kind = out[i].o.kind == HAT_INTENT_CANCEL ? HAT_EXEC_CANCELED : HAT_EXEC_ACK;
		memcpy(e.cloid, out[i].o.cloid, 16);
		strcpy(e.coin, "ETH");
		e.remaining_sz = out[i].o.sz;
		sig_engine_on_msg(&eng, &e.h, 0);
	}
	n_out = 0;
}

static void test_engine_sends_nothing_before_snapshot(void **state)
{
	(void)state;
	start();
	book(0, 1 * S, 1 * S);
	assert_int_equal(n_out, 0);
	assert_false(eng.ready);
	control(HAT_CTL_SNAPSHOT_BEGIN, 1 * S);
	/* an order left by a previous life arrives as a snapshot row and is adopted */
	struct hat_msg_exec row;
	memset(&row, 0, sizeof row);
	row.h.type = HAT_MSG_EXEC;
	row.kind = HAT_EXEC_OPEN_ORDER;
	row.flags = HAT_EXEC_F_SNAPSHOT;
	row.side = HAT_SIDE_BUY;
	row.px = FX(2998.3);
	row.sz = row.remaining_sz = FX(0.01);
	row.cloid[0] = 0xee;
	strcpy(row.coin, "ETH");
	sig_engine_on_msg(&eng, &row.h, 1 * S);
	control(HAT_CTL_SNAPSHOT_END, 1 * S);
	assert_true(eng.ready);
	assert_int_equal(eng.snapshot_rows, 1);
	book(0, 2 * S, 2 * S);
	/* only the ask is new: the adopted bid already rests at the target */
	assert_int_equal(n_out, 1);
	assert_int_equal(out[0].o.side, HAT_SIDE_SELL);
	assert_int_equal(out[0].o.kind, HAT_INTENT_NEW);
}

static void test_engine_stale_book_cancels_then_resumes(void **state)
{
	(void)state;
	start();
	control(HAT_CTL_SNAPSHOT_END, 0);
	book(0, 1 * S, 1 * S);
	assert_int_equal(n_out, 2);
	ack_all();
	sig_engine_tick(&eng, 5 * S);      /* 4 s old: fine */
	assert_int_equal(n_out, 0);
	sig_engine_tick(&eng, 6 * S + 1);  /* past 5 s: cancel both, once */
	assert_int_equal(n_out, 2);
	assert_int_equal(out[0].o.kind, HAT_INTENT_CANCEL);
	assert_int_equal(out[1].o.kind, HAT_INTENT_CANCEL);
	assert_int_equal(eng.stale_events, 1);
	ack_all();
	sig_engine_tick(&eng, 7 * S);
	assert_int_equal(n_out, 0);
	book(0, 8 * S, 8 * S);             /* fresh again: quotes come back */
	assert_int_equal(n_out, 2);
	assert_int_equal(out[0].o.kind, HAT_INTENT_NEW);
}

static void test_engine_feed_stale_flag_cancels(void **state)
{
	(void)state;
	start();
	control(HAT_CTL_SNAPSHOT_END, 0);
	book(0, 1 * S, 1 * S);
	ack_all();
	book(HAT_BOOK_STALE, 2 * S, 2 * S);
	assert_int_equal(n_out, 2);
	assert_int_equal(out[0].o.kind, HAT_INTENT_CANCEL);
}

static void test_engine_mark_stale_cancels_until_a_new_book(void **state)
{
	(void)state;
	start();
	control(HAT_CTL_SNAPSHOT_END, 0);
	book(0, 1 * S, 1 * S);
	ack_all();
	sig_engine_mark_stale(&eng, "ETH", 2 * S);
	assert_int_equal(n_out, 2);
	assert_int_equal(out[0].o.kind, HAT_INTENT_CANCEL);
	assert_false(eng.coins[0].market.have_book);
	ack_all();
	sig_engine_mark_stale(&eng, "ETH", 2 * S); /* idempotent */
	sig_engine_mark_stale(&eng, "XYZ", 2 * S); /* unknown coin: nothing */
	assert_int_equal(n_out, 0);
	sig_engine_tick(&eng, 3 * S);
	assert_int_equal(n_out, 0);
	book(0, 4 * S, 4 * S);
	assert_int_equal(n_out, 2);
	assert_int_equal(out[0].o.kind, HAT_INTENT_NEW);
}

static void test_engine_learns_the_asset_id_from_market_data(void **state)
{
	(void)state;
	start();
	control(HAT_CTL_SNAPSHOT_END, 0);
	struct hat_msg_book b;
	memset(&b, 0, sizeof b);
	b.h.type = HAT_MSG_BOOK;
	b.h.origin_ns = 1 * S;
	strcpy(b.coin, "ETH");
	b.asset = 7;
	b.n_bids = b.n_asks = 1;
	b.bids[0].px = FX(2990);
	b.bids[0].sz = FX(1);
	b.asks[0].px = FX(3010);
	b.asks[0].sz = FX(1);
	sig_engine_on_msg(&eng, &b.h, 1 * S);
	assert_int_equal(n_out, 2);
	assert_int_equal(out[0].o.asset, 7);
	assert_int_equal(out[1].o.asset, 7);
	/* a message without a known id changes nothing */
	b.asset = UINT32_MAX;
	b.h.origin_ns = 2 * S;
	sig_engine_on_msg(&eng, &b.h, 2 * S);
	assert_int_equal(eng.coins[0].asset, 7);
}

static void test_engine_skips_old_market_data(void **state)
{
	(void)state;
	start();
	control(HAT_CTL_SNAPSHOT_END, 0);
	book(0, 1 * S, 10 * S); /* read 9 s after it arrived */
	assert_int_equal(n_out, 0);
	assert_int_equal(eng.md_skipped_old, 1);
	assert_int_equal(eng.md_in, 1);
}

/* Only intents caused by a market-data message carry its origin (tick-to-order is measured from
 * it); the cancels a halt causes later carry 0, not the origin of the last book. */
static void test_engine_only_md_caused_intents_carry_origin(void **state)
{
	(void)state;
	start();
	control(HAT_CTL_SNAPSHOT_END, 0);
	book(0, 1 * S + 123, 1 * S + 500);
	assert_int_equal(n_out, 2);
	assert_int_equal(out[0].h.origin_ns, 1 * S + 123);
	assert_int_equal(out[1].h.origin_ns, 1 * S + 123);
	ack_all();
	control(HAT_CTL_HALT, 2 * S);
	assert_int_equal(n_out, 2);
	assert_int_equal(out[0].o.kind, HAT_INTENT_CANCEL);
	assert_int_equal(out[0].h.origin_ns, 0);
	assert_int_equal(out[1].h.origin_ns, 0);
}

static void test_engine_halt_cancels_and_resume_requotes(void **state)
{
	(void)state;
	start();
	control(HAT_CTL_SNAPSHOT_END, 0);
	book(0, 1 * S, 1 * S);
	ack_all();
	control(HAT_CTL_HALT, 2 * S);
	assert_int_equal(n_out, 2);
	assert_int_equal(out[0].o.kind, HAT_INTENT_CANCEL);
	ack_all();
	book(0, 3 * S, 3 * S);
	assert_int_equal(n_out, 0);
	control(HAT_CTL_RESUME, 4 * S);
	book(0, 5 * S, 5 * S);
	assert_int_equal(n_out, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_sends_nothing_before_snapshot),
		cmocka_unit_test(test_engine_stale_book_cancels_then_resumes),
		cmocka_unit_test(test_engine_feed_stale_flag_cancels),
		cmocka_unit_test(test_engine_mark_stale_cancels_until_a_new_book),
		cmocka_unit_test(test_engine_learns_the_asset_id_from_market_data),
		cmocka_unit_test(test_engine_skips_old_market_data),
		cmocka_unit_test(test_engine_only_md_caused_intents_carry_origin),
		cmocka_unit_test(test_engine_halt_cancels_and_resume_requotes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
