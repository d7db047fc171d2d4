/* tests/unit/test_sig_quote.c -- working orders and the intents that move them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "signald/quote.h"

#define FX(x) ((int64_t)((x) * 100000000.0 + 0.5))
#define MS 1000000ull

static struct hat_msg_intent out[64];
static int n_out;

static void capture(void *user, const struct hat_msg_intent *in)
{
	(void)user;
	assert_true(n_out < 64);
	out[n_out++] = *in;
}

static struct sig_quoter q;

static void setup(int max_working, uint64_t epoch)
{
	struct sig_quoter_params p;
	sig_quoter_params_default(&p);
	p.max_working = max_working;
	p.requote_bps = 2.0;
	p.resize_frac = 0.25;
	sig_quoter_init(&q, "ETH", 1, 4, 7, &p, epoch, capture, NULL);
	n_out = 0;
}

static struct sig_target one_level(double bid, double ask, double sz)
{
	struct sig_target t;
	memset(&t, 0, sizeof t);
	t.bids[0].px = FX(bid);
	t.bids[0].sz = FX(sz);
	t.asks[0].px = FX(ask);
	t.asks[0].sz = FX(sz);
	t.n_bids = t.n_asks = 1;
	return t;
}

static struct hat_msg_exec ev(uint8_t kind, const uint8_t *cloid, int64_t remaining)
{
	struct hat_msg_exec e;
	memset(&e, 0, sizeof e);
	e.h.type = HAT_MSG_EXEC;
	e.kind = kind;
	memcpy(e.cloid, cloid, HAT_CLOID_LEN);
	memcpy(e.coin, "ETH", 4);
	e.remaining_sz = remaining;
	return e;
}

static void ack_all(void)
{
	for (int i = 0; i < n_out; i++) {
		if (out[i].o.kind == HAT_INTENT_NEW) {
			struct hat_msg_exec e = ev(HAT_EXEC_ACK, out[i].o.cloid, out[i].o.sz);
			sig_quoter_on_exec(&q, &e);
		}
	}
	n_out = 0;
}

static void test_quote_new_orders_are_post_only_with_unique_cloids(void **state)
{
	(void)state;
	setup(8, 0x1122334455667788ull);
	struct sig_target t = one_level(2999.0, 3001.0, 0.01);
	assert_int_equal(sig_quoter_set_target(&q, &t, 1 * MS), 2);
	assert_int_equal(n_out, 2);
	assert_int_equal(out[0].o.kind, HAT_INTENT_NEW);
	assert_int_equal(out[0].o.side, HAT_SIDE_BUY);
	assert_int_equal(out[0].o.tif, HAT_TIF_ALO);
	assert_int_equal(out[0].o.flags, HAT_OF_POST_ONLY);
	assert_true(out[0].o.px == FX(2999.0));
	assert_true(out[0].o.sz == FX(0.01));
	assert_int_equal(out[0].o.strategy_id, 7);
	assert_string_equal(out[0].o.coin, "ETH");
	assert_int_equal(out[0].h.type, HAT_MSG_INTENT);
	assert_int_equal(out[0].h.length, sizeof(struct hat_msg_intent));
	assert_int_equal(out[1].o.side, HAT_SIDE_SELL);
	/* cloid = epoch (8 bytes BE) | strategy 7 (2 bytes) | counter (6 bytes) */
	static const uint8_t c0[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0, 7, 0, 0, 0, 0, 0, 0 };
	static const uint8_t c1[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0, 7, 0, 0, 0, 0, 0, 1 };
	assert_memory_equal(out[0].o.cloid, c0, 16);
	assert_memory_equal(out[1].o.cloid, c1, 16);
	assert_int_equal(sig_quoter_count(&q), 2);
	assert_true(sig_quoter_check(&q));
}

static void test_quote_no_duplicate_while_pending(void **state)
{
	(void)state;
	setup(8, 1);
	struct sig_target t = one_level(2999.0, 3001.0, 0.01);
	sig_quoter_set_target(&q, &t, 1 * MS);
	n_out = 0;
	/* same target and a moved target: nothing while the NEWs are unanswered */
	assert_int_equal(sig_quoter_set_target(&q, &t, 2 * MS), 0);
	struct sig_target moved = one_level(2990.0, 3010.0, 0.01);
	assert_int_equal(sig_quoter_set_target(&q, &moved, 3 * MS), 0);
	assert_int_equal(n_out, 0);
}

static void test_quote_requote_only_past_threshold(void **state)
{
	(void)state;
	setup(8, 1);
	struct sig_target t = one_level(3000.0, 3002.0, 0.01);
	sig_quoter_set_target(&q, &t, 1 * MS);
	ack_all();
	/* 2 bps of 3000 = 0.6: a 0.5 move and a 20% size change stay */
	struct sig_target small = one_level(3000.5, 3001.5, 0.012);
	assert_int_equal(sig_quoter_set_target(&q, &small, 2 * MS), 0);
	assert_int_equal(q.n_kept, 2);
	/* 0.7 is past the threshold on the bid only: one REPLACE */
	struct sig_target big = one_level(3000.7, 3002.0, 0.01);
	assert_int_equal(sig_quoter_set_target(&q, &big, 3 * MS), 1);
	assert_int_equal(out[0].o.kind, HAT_INTENT_REPLACE);
	assert_int_equal(out[0].o.side, HAT_SIDE_BUY);
	assert_true(out[0].o.px == FX(3000.7));
	assert_memory_not_equal(out[0].o.cloid, out[0].o.orig_cloid, 16);
	uint8_t orig[16], repl[16];
	memcpy(orig, out[0].o.orig_cloid, 16);
	memcpy(repl, out[0].o.cloid, 16);
	n_out = 0;
	/* pending replace: no second intent */
	assert_int_equal(sig_quoter_set_target(&q, &big, 4 * MS), 0);
	struct hat_msg_exec e = ev(HAT_EXEC_REPLACED, repl, FX(0.01));
	memcpy(e.orig_cloid, orig, 16);
	sig_quoter_on_exec(&q, &e);
	assert_int_equal(sig_quoter_set_target(&q, &big, 5 * MS), 0);
	int found = 0;
	for (int i = 0; i < SIG_MAX_WORKING; i++)
		if (q.wo[i].state == SIG_WO_LIVE && memcmp(q.wo[i].cloid, repl, 16) == 0) {
			found = 1;
			assert_true(q.wo[i].px == FX(3000.7));
		}
	assert_int_equal(found, 1);
}

/* Two live quotes, then a target 10 away on the bid: out[0] is the REPLACE of the bid; the
 * REJECT of it with reason comes back. Returns that target. */
static struct sig_target replace_rejected(uint16_t reason)
{
	setup(8, 1);
	struct sig_target t = one_level(3000.0, 3002.0, 0.01);
	sig_quoter_set_target(&q, &t, 1 * MS);
	ack_all();
	struct sig_target big = one_level(2990.0, 3002.0, 0.01);
	sig_quoter_set_target(&q, &big, 2 * MS);
	assert_int_equal(out[0].o.kind, HAT_INTENT_REPLACE);
	struct hat_msg_exec e = ev(HAT_EXEC_REJECT, out[0].o.cloid, 0);
	e.reason = reason;
	sig_quoter_on_exec(&q, &e);
	return big;
}

static void test_quote_rejected_replace_keeps_original(void **state)
{
	(void)state;
	struct sig_target big = replace_rejected(HAT_REASON_RISK_ORDER_RATE);
	assert_int_equal(sig_quoter_count(&q), 2);
	assert_int_equal(q.n_rejects, 1);
	n_out = 0;
	/* the original rests at 3000, so the next target replaces it again */
	assert_int_equal(sig_quoter_set_target(&q, &big, 3 * MS), 1);
	assert_int_equal(out[0].o.kind, HAT_INTENT_REPLACE);
}

/* The exchange refuses the modify because the original is gone ("Cannot modify canceled or
 * filled order" maps to EXCH_UNKNOWN_ORDER): the slot is freed and the next target places a new
 * order instead of modifying the gone one again. */
static void test_quote_replace_of_gone_order_frees_the_slot(void **state)
{
	(void)state;
	struct sig_target big = replace_rejected(HAT_REASON_EXCH_UNKNOWN_ORDER);
	assert_int_equal(sig_quoter_count(&q), 1); /* only the ask rests */
	n_out = 0;
	assert_int_equal(sig_quoter_set_target(&q, &big, 3 * MS), 1);
	assert_int_equal(out[0].o.kind, HAT_INTENT_NEW);
	assert_true(out[0].o.px == FX(2990.0));
}

static void test_quote_max_working_respected(void **state)
{
	(void)state;
	setup(3, 1);
	struct sig_target t;
	memset(&t, 0, sizeof t);
	for (int i = 0; i < 5; i++) {
		t.bids[i].px = FX(3000.0 - i);
		t.bids[i].sz = FX(0.01);
		t.asks[i].px = FX(3001.0 + i);
		t.asks[i].sz = FX(0.01);
	}
	t.n_bids = t.n_asks = 5;
	assert_int_equal(sig_quoter_set_target(&q, &t, 1 * MS), 3);
	assert_int_equal(sig_quoter_count(&q), 3);
	ack_all();
	assert_int_equal(sig_quoter_set_target(&q, &t, 2 * MS), 0);
	assert_int_equal(sig_quoter_count(&q), 3);
}

static void test_quote_fills_and_cancels_free_slots(void **state)
{
	(void)state;
	setup(8, 1);
	struct sig_target t = one_level(3000.0, 3002.0, 0.01);
	sig_quoter_set_target(&q, &t, 1 * MS);
	uint8_t bid[16], ask[16];
	memcpy(bid, out[0].o.cloid, 16);
	memcpy(ask, out[1].o.cloid, 16);
	ack_all();
	struct hat_msg_exec f = ev(HAT_EXEC_FILL, bid, FX(0.004));
	sig_quoter_on_exec(&q, &f);
	assert_int_equal(sig_quoter_count(&q), 2);
	f = ev(HAT_EXEC_FILL, bid, 0);
	f.flags = HAT_EXEC_F_FINAL;
	sig_quoter_on_exec(&q, &f);
	assert_int_equal(sig_quoter_count(&q), 1);
	assert_int_equal(q.n_fills, 2);
	assert_int_equal(sig_quoter_cancel_all(&q, 2 * MS), 1);
	assert_int_equal(out[0].o.kind, HAT_INTENT_CANCEL);
	assert_memory_equal(out[0].o.cloid, ask, 16);
	assert_true(out[0].o.px == 0 && out[0].o.sz == 0);
	/* a second cancel_all sends nothing: the cancel is pending */
	n_out = 0;
	assert_int_equal(sig_quoter_cancel_all(&q, 3 * MS), 0);
	struct hat_msg_exec c = ev(HAT_EXEC_CANCELED, ask, 0);
	sig_quoter_on_exec(&q, &c);
	assert_int_equal(sig_quoter_count(&q), 0);
	/* an event for an unknown cloid is counted, not acted on */
	uint8_t stranger[16] = { 9 };
	c = ev(HAT_EXEC_CANCELED, stranger, 0);
	sig_quoter_on_exec(&q, &c);
	assert_int_equal(q.n_unknown_events, 1);
}

static void test_quote_pending_timeout_cancels_by_cloid(void **state)
{
	(void)state;
	setup(8, 1);
	struct sig_target t = one_level(3000.0, 3002.0, 0.01);
	sig_quoter_set_target(&q, &t, 1 * MS);
	n_out = 0;
	assert_int_equal(sig_quoter_set_target(&q, &t, 1 * MS + q.p.pending_timeout_ns), 0);
	assert_int_equal(sig_quoter_set_target(&q, &t, 2 * MS + q.p.pending_timeout_ns), 2);
	assert_int_equal(out[0].o.kind, HAT_INTENT_CANCEL);
	assert_int_equal(out[1].o.kind, HAT_INTENT_CANCEL);
}

static void test_quote_restart_adopts_snapshot_and_uses_new_epoch(void **state)
{
	(void)state;
	setup(8, 100);
	struct sig_target t = one_level(3000.0, 3002.0, 0.01);
	sig_quoter_set_target(&q, &t, 1 * MS);
	struct hat_msg_intent first[2] = { out[0], out[1] };
	/* "restart": a new quoter with a later epoch learns the live orders from riskd */
	setup(8, 101);
	for (int i = 0; i < 2; i++) {
		struct hat_msg_exec e = ev(HAT_EXEC_OPEN_ORDER, first[i].o.cloid, first[i].o.sz);
		e.flags = HAT_EXEC_F_SNAPSHOT;
		e.side = first[i].o.side;
		e.px = first[i].o.px;
		e.sz = first[i].o.sz;
		sig_quoter_on_exec(&q, &e);
	}
	assert_int_equal(sig_quoter_count(&q), 2);
	/* the same target: no intent at all (no duplicates after a restart) */
	assert_int_equal(sig_quoter_set_target(&q, &t, 2 * MS), 0);
	/* a new order gets a cloid that differs from every old one */
	struct sig_target moved = one_level(2990.0, 3002.0, 0.01);
	assert_int_equal(sig_quoter_set_target(&q, &moved, 3 * MS), 1);
	assert_memory_not_equal(out[0].o.cloid, first[0].o.cloid, 16);
	assert_memory_not_equal(out[0].o.cloid, first[1].o.cloid, 16);
	assert_int_equal(out[0].o.cloid[7], 101);
}

static void test_quote_ioc_carries_reduce_only(void **state)
{
	(void)state;
	setup(1, 1);
	assert_int_equal(sig_quoter_send_ioc(&q, HAT_SIDE_SELL, FX(2990.0), FX(0.5), true, 1 * MS), 1);
	assert_int_equal(out[0].o.tif, HAT_TIF_IOC);
	assert_int_equal(out[0].o.flags, HAT_OF_REDUCE_ONLY);
	/* the only slot is taken by the unanswered IOC */
	assert_int_equal(sig_quoter_send_ioc(&q, HAT_SIDE_SELL, FX(2990.0), FX(0.5), false, 2 * MS), 0);
	struct hat_msg_exec c = ev(HAT_EXEC_CANCELED, out[0].o.cloid, 0);
	sig_quoter_on_exec(&q, &c);
	assert_int_equal(sig_quoter_count(&q), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_new_orders_are_post_only_with_unique_cloids),
		cmocka_unit_test(test_quote_no_duplicate_while_pending),
		cmocka_unit_test(test_quote_requote_only_past_threshold),
		cmocka_unit_test(test_quote_rejected_replace_keeps_original),
		cmocka_unit_test(test_quote_replace_of_gone_order_frees_the_slot),
		cmocka_unit_test(test_quote_max_working_respected),
		cmocka_unit_test(test_quote_fills_and_cancels_free_slots),
		cmocka_unit_test(test_quote_pending_timeout_cancels_by_cloid),
		cmocka_unit_test(test_quote_restart_adopts_snapshot_and_uses_new_epoch),
		cmocka_unit_test(test_quote_ioc_carries_reduce_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
