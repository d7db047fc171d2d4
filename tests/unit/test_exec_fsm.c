/* tests/unit/test_exec_fsm.c -- the order state machine: every transition and its events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/msg.h"
#include "execd/order_fsm.h"

#define NS 1000000000ULL
#define MS 1000ULL
#define PX(x) ((int64_t)((x) * 100000000LL))

static struct exec_fsm F;
static struct hat_msg_exec EV[EXEC_FSM_MAX_EVENTS];

static void cloid_of(unsigned id, uint8_t c[HAT_CLOID_LEN])
{
	memset(c, 0, HAT_CLOID_LEN);
	c[0] = 0xc1;
	memcpy(c + 12, &id, 4);
}

static struct hat_msg_order mk(unsigned kind, unsigned id, unsigned orig, int64_t px, int64_t sz)
{
	struct hat_msg_order o;
	hat_msg_init(&o.h, HAT_MSG_ORDER);
	cloid_of(id, o.o.cloid);
	if (orig)
		cloid_of(orig, o.o.orig_cloid);
	hat_coin_set(o.o.coin, "BTC");
	o.o.asset = 0;
	o.o.kind = (uint8_t)kind;
	o.o.side = HAT_SIDE_BUY;
	o.o.tif = HAT_TIF_GTC;
	o.o.strategy_id = 7;
	o.o.px = px;
	o.o.sz = sz;
	o.risk_seq = 100 + id;
	return o;
}

static const struct exec_order *find(unsigned id)
{
	uint8_t c[HAT_CLOID_LEN];
	cloid_of(id, c);
	return exec_fsm_find(&F, c);
}

static unsigned state_of(unsigned id)
{
	const struct exec_order *o = find(id);
	return o ? o->state : EXEC_OS_FREE;
}

static struct hl_exch_status st_resting(uint64_t oid)
{
	struct hl_exch_status s = {0};
	s.kind = HL_EXST_RESTING;
	s.oid = oid;
	return s;
}

static struct hl_fill fill(unsigned id, uint64_t oid, int64_t px, int64_t sz, uint64_t tid)
{
	struct hl_fill f = {0};
	hat_coin_set(f.coin, "BTC");
	f.side = HAT_SIDE_BUY;
	f.px = px;
	f.sz = sz;
	f.fee = PX(0.01);
	f.tid = tid;
	f.oid = oid;
	f.time_ms = 1700000000123ULL;
	if (id) {
		f.has_cloid = 1;
		cloid_of(id, f.cloid);
	}
	return f;
}

static struct hl_order_update upd(unsigned id, uint64_t oid, enum hl_order_status st)
{
	struct hl_order_update u = {0};
	hat_coin_set(u.order.coin, "BTC");
	u.order.side = HAT_SIDE_BUY;
	u.order.oid = oid;
	if (id) {
		u.order.has_cloid = 1;
		cloid_of(id, u.order.cloid);
	}
	u.status = (uint8_t)st;
	snprintf(u.status_text, sizeof u.status_text, "%s", hl_order_status_name(st));
	return u;
}

/* Checks n events: each valid, with the expected kinds; and the table's consistency. */
static void expect_events(int got, int n, const unsigned *kinds)
{
	assert_int_equal(got, n);
	for (int i = 0; i < n; i++) {
		char err[256] = "";
		if (hat_msg_validate(&EV[i], sizeof EV[i], err, sizeof err) != 0)
			fail_msg("event %d invalid: %s", i, err);
		assert_int_equal(EV[i].kind, kinds[i]);
	}
	assert_true(exec_order_fsm_check(&F));
}
#define EXPECT0(call) expect_events((call), 0, NULL)
#define EXPECT1(call, k) do { unsigned k_[] = {k}; expect_events((call), 1, k_); } while (0)
#define EXPECT2(call, k1, k2) do { unsigned k_[] = {k1, k2}; expect_events((call), 2, k_); } while (0)

static int setup(void **state)
{
	(void)state;
	struct exec_fsm_config cfg = {.capacity = 16, .recent_tids = 8};
	char err[128];
	assert_int_equal(exec_fsm_init(&F, &cfg, err, sizeof err), 0);
	memset(EV, 0, sizeof EV);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	exec_fsm_deinit(&F);
	exec_fsm_deinit(&F);
	return 0;
}

static void place_resting(unsigned id, uint64_t oid, int64_t sz)
{
	struct hat_msg_order o = mk(HAT_INTENT_NEW, id, 0, PX(100), sz);
	assert_int_equal(exec_fsm_new(&F, &o, 1 * MS), 0);
	assert_int_equal(state_of(id), EXEC_OS_PENDING_NEW);
	uint8_t c[HAT_CLOID_LEN];
	cloid_of(id, c);
	struct hl_exch_status s = st_resting(oid);
	EXPECT1(exec_fsm_on_order_result(&F, c, &s, 2 * NS, 2 * MS, EV), HAT_EXEC_ACK);
	assert_int_equal(state_of(id), EXEC_OS_RESTING);
}

/* ---------------------------------------------------------------- place and fill */

static void test_exec_fsm_place_ack_partial_fills_sum_to_filled(void **state)
{
	(void)state;
	place_resting(1, 555, PX(3));
	assert_memory_equal(EV[0].cloid, find(1)->cloid, HAT_CLOID_LEN);
	assert_true(EV[0].oid == 555);
	assert_true(EV[0].px == PX(100) && EV[0].sz == PX(3) && EV[0].remaining_sz == PX(3));
	assert_true(EV[0].risk_seq == 101);
	assert_int_equal(EV[0].strategy_id, 7);
	assert_string_equal(EV[0].coin, "BTC");
	assert_int_equal(EV[0].flags, 0);
	assert_true(EV[0].h.origin_ns == 2 * NS);
	assert_true(exec_fsm_find_oid(&F, 555) == find(1));

	struct hl_fill f1 = fill(1, 555, PX(99.5), PX(1), 9001);
	f1.crossed = 1;
	EXPECT1(exec_fsm_on_fill(&F, &f1, 3 * NS, 3 * MS, EV), HAT_EXEC_FILL);
	assert_true(EV[0].px == PX(99.5) && EV[0].sz == PX(1) && EV[0].remaining_sz == PX(2));
	assert_true(EV[0].fee == PX(0.01) && EV[0].tid == 9001);
	assert_true(EV[0].exch_time_ms == 1700000000123ULL);
	assert_int_equal(EV[0].flags, HAT_EXEC_F_TAKER);
	assert_int_equal(state_of(1), EXEC_OS_PARTIALLY_FILLED);
	/* The same fill again (WS and /info both deliver it): ignored. */
	EXPECT0(exec_fsm_on_fill(&F, &f1, 3 * NS, 3 * MS, EV));
	assert_int_equal(F.c.dup_fills, 1);
	/* A fill marked seen (published before a restart) is a duplicate too; the same trade id
	 * for another oid (the other side of a self-match) is not. */
	assert_false(exec_fsm_fill_seen(&F, 9100, 555));
	assert_true(exec_fsm_fill_seen(&F, 9100, 555));
	assert_true(exec_fsm_fill_seen(&F, 9001, 555));
	struct hl_fill f0 = fill(1, 555, PX(99.5), PX(0.1), 9100);
	EXPECT0(exec_fsm_on_fill(&F, &f0, 3 * NS, 3 * MS, EV));
	assert_int_equal(F.c.dup_fills, 2);
	assert_false(exec_fsm_fill_seen(&F, 9100, 556));
	assert_true(find(1)->filled_sz == PX(1)); /* unchanged by the duplicates */
	/* By oid only (no cloid on the fill). */
	struct hl_fill f2 = fill(0, 555, PX(100), PX(1.5), 9002);
	EXPECT1(exec_fsm_on_fill(&F, &f2, 4 * NS, 4 * MS, EV), HAT_EXEC_FILL);
	assert_true(EV[0].remaining_sz == PX(0.5));
	assert_int_equal(state_of(1), EXEC_OS_PARTIALLY_FILLED);
	struct hl_fill f3 = fill(1, 555, PX(100), PX(0.5), 9003);
	EXPECT1(exec_fsm_on_fill(&F, &f3, 5 * NS, 5 * MS, EV), HAT_EXEC_FILL);
	assert_true(EV[0].remaining_sz == 0);
	assert_int_equal(EV[0].flags, HAT_EXEC_F_FINAL);
	assert_int_equal(state_of(1), EXEC_OS_FILLED);
	assert_true(find(1)->filled_sz == PX(3));
	assert_true(find(1)->fees == PX(0.03));
	/* The "filled" status after the fills: late, ignored. */
	struct hl_order_update u = upd(1, 555, HL_OS_FILLED);
	EXPECT0(exec_fsm_on_order_update(&F, &u, 6 * NS, 6 * MS, EV));
	assert_int_equal(F.c.late_updates, 1);
	assert_int_equal(F.live, 0);
	assert_int_equal(F.count, 1);
}

static void test_exec_fsm_filled_status_before_fills(void **state)
{
	(void)state;
	place_resting(2, 600, PX(2));
	struct hl_order_update u = upd(2, 600, HL_OS_FILLED);
	EXPECT0(exec_fsm_on_order_update(&F, &u, 3 * NS, 3 * MS, EV));
	assert_int_equal(state_of(2), EXEC_OS_RESTING); /* waits for the fills */
	assert_int_equal(find(2)->exch_done, 1);
	struct hl_fill f = fill(2, 600, PX(100), PX(2), 1);
	EXPECT1(exec_fsm_on_fill(&F, &f, 4 * NS, 4 * MS, EV), HAT_EXEC_FILL);
	assert_int_equal(EV[0].flags, HAT_EXEC_F_FINAL);
	assert_int_equal(state_of(2), EXEC_OS_FILLED);
}

static void test_exec_fsm_immediate_fill_and_ioc_remainder(void **state)
{
	(void)state;
	uint8_t c[HAT_CLOID_LEN];
	/* Fully filled at once: no event now, the fills bring it to FILLED. */
	struct hat_msg_order o = mk(HAT_INTENT_NEW, 3, 0, PX(100), PX(1));
	assert_int_equal(exec_fsm_new(&F, &o, MS), 0);
	cloid_of(3, c);
	struct hl_exch_status s = {.kind = HL_EXST_FILLED, .oid = 70, .total_sz = PX(1),
				   .avg_px = PX(100)};
	EXPECT0(exec_fsm_on_order_result(&F, c, &s, NS, MS, EV));
	struct hl_fill f = fill(3, 70, PX(100), PX(1), 2);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	assert_int_equal(EV[0].flags, HAT_EXEC_F_FINAL);
	assert_int_equal(state_of(3), EXEC_OS_FILLED);
	/* IOC that traded 0.4 of 1: the rest is canceled at once. */
	o = mk(HAT_INTENT_NEW, 4, 0, PX(100), PX(1));
	o.o.tif = HAT_TIF_IOC;
	assert_int_equal(exec_fsm_new(&F, &o, MS), 0);
	cloid_of(4, c);
	s.oid = 71;
	s.total_sz = PX(0.4);
	EXPECT1(exec_fsm_on_order_result(&F, c, &s, NS, MS, EV), HAT_EXEC_CANCELED);
	assert_int_equal(EV[0].flags, HAT_EXEC_F_FINAL);
	assert_true(EV[0].remaining_sz == 0);
	/* Its fill arrives afterwards: applied (position changes), FINAL. */
	f = fill(4, 71, PX(100), PX(0.4), 3);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	assert_int_equal(EV[0].flags, HAT_EXEC_F_FINAL);
	assert_true(EV[0].remaining_sz == 0);
	assert_int_equal(F.c.late_fills, 1);
	assert_true(find(4)->filled_sz == PX(0.4));
}

static void test_exec_fsm_reject_paths(void **state)
{
	(void)state;
	uint8_t c[HAT_CLOID_LEN];
	struct hat_msg_order o = mk(HAT_INTENT_NEW, 5, 0, PX(100), PX(1));
	assert_int_equal(exec_fsm_new(&F, &o, MS), 0);
	assert_int_equal(exec_fsm_new(&F, &o, MS), -EEXIST);
	cloid_of(5, c);
	struct hl_exch_status s = {.kind = HL_EXST_ERROR, .reason = HAT_REASON_EXCH_TICK};
	snprintf(s.text, sizeof s.text, "Price must be divisible by tick size. asset=0");
	EXPECT1(exec_fsm_on_order_result(&F, c, &s, NS, MS, EV), HAT_EXEC_REJECT);
	assert_int_equal(EV[0].reason, HAT_REASON_EXCH_TICK);
	assert_string_equal(EV[0].text, "Price must be divisible by tick size. asset=0");
	assert_int_equal(EV[0].flags, HAT_EXEC_F_FINAL);
	assert_int_equal(state_of(5), EXEC_OS_REJECTED);
	/* A cloid is never reused, even after it is terminal. */
	assert_int_equal(exec_fsm_new(&F, &o, MS), -EEXIST);
	/* Rejected on the stream (orderUpdates) instead. */
	o = mk(HAT_INTENT_NEW, 6, 0, PX(100), PX(1));
	assert_int_equal(exec_fsm_new(&F, &o, MS), 0);
	struct hl_order_update u = upd(6, 0, HL_OS_BAD_ALO_PX_REJECTED);
	EXPECT1(exec_fsm_on_order_update(&F, &u, NS, MS, EV), HAT_EXEC_REJECT);
	assert_int_equal(EV[0].reason, HAT_REASON_EXCH_POST_ONLY_CROSS);
	assert_string_equal(EV[0].text, "badAloPxRejected");
	/* The late /exchange result for it is counted, not applied. */
	cloid_of(6, c);
	struct hl_exch_status r = st_resting(99);
	EXPECT0(exec_fsm_on_order_result(&F, c, &r, NS, MS, EV));
	assert_int_equal(F.c.unknown_results, 1);
	assert_int_equal(state_of(6), EXEC_OS_REJECTED);
	/* Not found at the exchange during recovery. */
	o = mk(HAT_INTENT_NEW, 8, 0, PX(100), PX(1));
	assert_int_equal(exec_fsm_new(&F, &o, MS), 0);
	cloid_of(8, c);
	EXPECT1(exec_fsm_on_not_found(&F, c, NS, MS, EV), HAT_EXEC_REJECT);
	assert_int_equal(EV[0].reason, HAT_REASON_EXCH_UNKNOWN_ORDER);
	assert_string_equal(EV[0].text, "order not found at the exchange");
	EXPECT0(exec_fsm_on_not_found(&F, c, NS, MS, EV));
	/* Reject event for an order that never entered the table. */
	o = mk(HAT_INTENT_NEW, 9, 0, PX(100), PX(1));
	exec_fsm_reject_event(&o, HAT_REASON_EXCH_OTHER, "execd order table full", NS, EV);
	EXPECT1(1, HAT_EXEC_REJECT);
	assert_string_equal(EV[0].text, "execd order table full");
	assert_true(EV[0].risk_seq == 109);
	/* Kind mismatches are caller errors. */
	o.o.kind = HAT_INTENT_CANCEL;
	assert_int_equal(exec_fsm_new(&F, &o, MS), -EINVAL);
	assert_int_equal(exec_fsm_modify(&F, &o, NS, MS, EV), -EINVAL);
	o.o.kind = HAT_INTENT_NEW;
	assert_int_equal(exec_fsm_cancel(&F, &o, NS, MS, EV), -EINVAL);
}

/* ---------------------------------------------------------------- cancel */

static void test_exec_fsm_cancel_paths(void **state)
{
	(void)state;
	uint8_t c[HAT_CLOID_LEN];
	place_resting(10, 1010, PX(2));
	struct hat_msg_order x = mk(HAT_INTENT_CANCEL, 10, 0, 0, 0);
	EXPECT0(exec_fsm_cancel(&F, &x, NS, MS, EV));
	assert_int_equal(state_of(10), EXEC_OS_PENDING_CANCEL);
	assert_int_equal(find(10)->prev_state, EXEC_OS_RESTING);
	assert_int_equal(exec_fsm_cancel(&F, &x, NS, MS, EV), -EALREADY);
	/* Refused: back to RESTING. */
	cloid_of(10, c);
	EXPECT1(exec_fsm_on_cancel_result(&F, c, false, HAT_REASON_EXCH_UNKNOWN_ORDER,
					  "Order was never placed, already canceled, or filled.",
					  NS, MS, EV),
		HAT_EXEC_CANCEL_REJECT);
	assert_int_equal(EV[0].reason, HAT_REASON_EXCH_UNKNOWN_ORDER);
	assert_string_equal(EV[0].text, "Order was never placed, already canceled, or filled.");
	assert_int_equal(EV[0].flags, 0);
	assert_int_equal(state_of(10), EXEC_OS_RESTING);
	/* Again; a partial fill while pending; then accepted. */
	EXPECT0(exec_fsm_cancel(&F, &x, NS, MS, EV));
	struct hl_fill f = fill(10, 1010, PX(100), PX(0.5), 77);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	assert_true(EV[0].remaining_sz == PX(1.5));
	assert_int_equal(state_of(10), EXEC_OS_PENDING_CANCEL);
	assert_int_equal(find(10)->prev_state, EXEC_OS_PARTIALLY_FILLED);
	EXPECT1(exec_fsm_on_cancel_result(&F, c, true, 0, NULL, NS, MS, EV), HAT_EXEC_CANCELED);
	assert_int_equal(EV[0].flags, HAT_EXEC_F_FINAL);
	assert_true(EV[0].remaining_sz == 0);
	assert_int_equal(state_of(10), EXEC_OS_CANCELED);
	/* The canceled status on the stream afterwards: late. */
	struct hl_order_update u = upd(10, 1010, HL_OS_CANCELED);
	EXPECT0(exec_fsm_on_order_update(&F, &u, NS, MS, EV));
	assert_int_equal(F.c.late_updates, 1);
	/* Cancel of a terminal order and of an unknown cloid: CANCEL_REJECT, nothing sent. */
	EXPECT1(exec_fsm_cancel(&F, &x, NS, MS, EV), HAT_EXEC_CANCEL_REJECT);
	assert_string_equal(EV[0].text, "order already CANCELED");
	struct hat_msg_order y = mk(HAT_INTENT_CANCEL, 11, 0, 0, 0);
	EXPECT1(exec_fsm_cancel(&F, &y, NS, MS, EV), HAT_EXEC_CANCEL_REJECT);
	assert_string_equal(EV[0].text, "unknown cloid");
	assert_string_equal(EV[0].coin, "BTC");
	assert_int_equal(F.c.cancel_unknown, 2);
	/* A cancel result for an order that is not pending cancel: counted. */
	cloid_of(11, c);
	EXPECT0(exec_fsm_on_cancel_result(&F, c, true, 0, NULL, NS, MS, EV));
	assert_int_equal(F.c.unknown_results, 1);
}

static void test_exec_fsm_cancel_before_ack_and_fill_while_pending(void **state)
{
	(void)state;
	uint8_t c[HAT_CLOID_LEN];
	struct hat_msg_order o = mk(HAT_INTENT_NEW, 12, 0, PX(100), PX(1));
	assert_int_equal(exec_fsm_new(&F, &o, MS), 0);
	struct hat_msg_order x = mk(HAT_INTENT_CANCEL, 12, 0, 0, 0);
	EXPECT0(exec_fsm_cancel(&F, &x, NS, MS, EV));
	assert_int_equal(find(12)->prev_state, EXEC_OS_PENDING_NEW);
	/* The order's own result arrives: acked under the pending cancel. */
	cloid_of(12, c);
	struct hl_exch_status s = st_resting(1212);
	EXPECT1(exec_fsm_on_order_result(&F, c, &s, NS, MS, EV), HAT_EXEC_ACK);
	assert_int_equal(state_of(12), EXEC_OS_PENDING_CANCEL);
	assert_int_equal(find(12)->prev_state, EXEC_OS_RESTING);
	/* Filled completely before the cancel lands: FILLED, cancel result ignored. */
	struct hl_fill f = fill(12, 1212, PX(100), PX(1), 1234);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	assert_int_equal(EV[0].flags, HAT_EXEC_F_FINAL);
	assert_int_equal(state_of(12), EXEC_OS_FILLED);
	EXPECT0(exec_fsm_on_cancel_result(&F, c, false, HAT_REASON_EXCH_UNKNOWN_ORDER, "x", NS, MS,
					  EV));
	assert_int_equal(F.c.unknown_results, 0);
	/* A cancel sent before the order reached the exchange; the order is not found. */
	o = mk(HAT_INTENT_NEW, 13, 0, PX(100), PX(1));
	assert_int_equal(exec_fsm_new(&F, &o, MS), 0);
	x = mk(HAT_INTENT_CANCEL, 13, 0, 0, 0);
	EXPECT0(exec_fsm_cancel(&F, &x, NS, MS, EV));
	cloid_of(13, c);
	EXPECT1(exec_fsm_on_not_found(&F, c, NS, MS, EV), HAT_EXEC_CANCELED);
}

/* ---------------------------------------------------------------- modify */

static void test_exec_fsm_modify_success(void **state)
{
	(void)state;
	place_resting(20, 2020, PX(2));
	struct hat_msg_order m = mk(HAT_INTENT_REPLACE, 21, 20, PX(101), PX(3));
	EXPECT0(exec_fsm_modify(&F, &m, NS, MS, EV));
	assert_int_equal(state_of(20), EXEC_OS_PENDING_MODIFY);
	assert_int_equal(state_of(21), EXEC_OS_PENDING_NEW);
	assert_int_equal(exec_fsm_modify(&F, &m, NS, MS, EV), -EEXIST);
	struct hat_msg_order x = mk(HAT_INTENT_CANCEL, 20, 0, 0, 0);
	assert_int_equal(exec_fsm_cancel(&F, &x, NS, MS, EV), -EBUSY);
	uint8_t c[HAT_CLOID_LEN], old[HAT_CLOID_LEN];
	cloid_of(21, c);
	cloid_of(20, old);
	EXPECT1(exec_fsm_on_modify_result(&F, c, true, 2121, 0, NULL, NS, MS, EV),
		HAT_EXEC_REPLACED);
	assert_memory_equal(EV[0].cloid, c, HAT_CLOID_LEN);
	assert_memory_equal(EV[0].orig_cloid, old, HAT_CLOID_LEN);
	assert_true(EV[0].oid == 2121 && EV[0].px == PX(101) && EV[0].remaining_sz == PX(3));
	assert_int_equal(state_of(20), EXEC_OS_REPLACED);
	assert_int_equal(state_of(21), EXEC_OS_RESTING);
	assert_true(exec_fsm_find_oid(&F, 2121) == find(21));
	/* Modify of the replaced (terminal) order: rejected at once. */
	struct hat_msg_order m2 = mk(HAT_INTENT_REPLACE, 22, 20, PX(101), PX(3));
	EXPECT1(exec_fsm_modify(&F, &m2, NS, MS, EV), HAT_EXEC_REJECT);
	assert_string_equal(EV[0].text, "modify: order is REPLACED");
	assert_memory_equal(EV[0].orig_cloid, old, HAT_CLOID_LEN);
	struct hat_msg_order m3 = mk(HAT_INTENT_REPLACE, 23, 99, PX(101), PX(3));
	EXPECT1(exec_fsm_modify(&F, &m3, NS, MS, EV), HAT_EXEC_REJECT);
	assert_string_equal(EV[0].text, "modify: unknown cloid");
	assert_null(find(23));
}

static void test_exec_fsm_modify_failure_restores_old(void **state)
{
	(void)state;
	place_resting(30, 3030, PX(2));
	struct hl_fill f = fill(30, 3030, PX(100), PX(0.5), 5);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	struct hat_msg_order m = mk(HAT_INTENT_REPLACE, 31, 30, PX(101), PX(1));
	EXPECT0(exec_fsm_modify(&F, &m, NS, MS, EV));
	assert_int_equal(find(30)->prev_state, EXEC_OS_PARTIALLY_FILLED);
	uint8_t c[HAT_CLOID_LEN];
	cloid_of(31, c);
	EXPECT1(exec_fsm_on_modify_result(&F, c, false, 0, HAT_REASON_EXCH_MARGIN,
					  "Insufficient margin to place order.", NS, MS, EV),
		HAT_EXEC_REJECT);
	assert_int_equal(EV[0].reason, HAT_REASON_EXCH_MARGIN);
	assert_string_equal(EV[0].text, "Insufficient margin to place order.");
	assert_int_equal(EV[0].flags, HAT_EXEC_F_FINAL);
	assert_int_equal(state_of(31), EXEC_OS_REJECTED);
	assert_int_equal(state_of(30), EXEC_OS_PARTIALLY_FILLED);
	assert_true(find(30)->repl_cloid[0] == 0);
	/* batchModify answers per order: an error status does the same. */
	struct hat_msg_order m2 = mk(HAT_INTENT_REPLACE, 32, 30, PX(101), PX(1));
	EXPECT0(exec_fsm_modify(&F, &m2, NS, MS, EV));
	cloid_of(32, c);
	struct hl_exch_status s = {.kind = HL_EXST_ERROR, .reason = HAT_REASON_EXCH_TICK};
	EXPECT1(exec_fsm_on_order_result(&F, c, &s, NS, MS, EV), HAT_EXEC_REJECT);
	assert_int_equal(state_of(30), EXEC_OS_PARTIALLY_FILLED);
	/* The old order fills completely while a modify is pending; the modify then fails. */
	struct hat_msg_order m3 = mk(HAT_INTENT_REPLACE, 33, 30, PX(101), PX(1));
	EXPECT0(exec_fsm_modify(&F, &m3, NS, MS, EV));
	f = fill(30, 3030, PX(100), PX(1.5), 6);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	assert_int_equal(state_of(30), EXEC_OS_FILLED);
	cloid_of(33, c);
	EXPECT1(exec_fsm_on_modify_result(&F, c, false, 0, HAT_REASON_EXCH_UNKNOWN_ORDER,
					  "Cannot modify canceled or filled order", NS, MS, EV),
		HAT_EXEC_REJECT);
	assert_int_equal(state_of(30), EXEC_OS_FILLED);
}

static void test_exec_fsm_replacement_fill_before_ack_gives_two_events(void **state)
{
	(void)state;
	place_resting(40, 4040, PX(2));
	struct hat_msg_order m = mk(HAT_INTENT_REPLACE, 41, 40, PX(101), PX(1));
	EXPECT0(exec_fsm_modify(&F, &m, NS, MS, EV));
	struct hl_fill f = fill(41, 4141, PX(101), PX(0.25), 8);
	EXPECT2(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_REPLACED, HAT_EXEC_FILL);
	assert_true(EV[0].remaining_sz == PX(1));
	assert_true(EV[1].remaining_sz == PX(0.75));
	assert_true(EV[1].oid == 4141);
	assert_int_equal(state_of(40), EXEC_OS_REPLACED);
	assert_int_equal(state_of(41), EXEC_OS_PARTIALLY_FILLED);
	/* The modify's ok arrives late: nothing more. */
	uint8_t c[HAT_CLOID_LEN];
	cloid_of(41, c);
	EXPECT0(exec_fsm_on_modify_result(&F, c, true, 4141, 0, NULL, NS, MS, EV));
	/* A replacement canceled on the stream before its ack: REPLACED then CANCELED. */
	place_resting(42, 4242, PX(2));
	m = mk(HAT_INTENT_REPLACE, 43, 42, PX(101), PX(1));
	EXPECT0(exec_fsm_modify(&F, &m, NS, MS, EV));
	struct hl_order_update u = upd(43, 4343, HL_OS_SELF_TRADE_CANCELED);
	EXPECT2(exec_fsm_on_order_update(&F, &u, NS, MS, EV), HAT_EXEC_REPLACED, HAT_EXEC_CANCELED);
	assert_int_equal(state_of(42), EXEC_OS_REPLACED);
	assert_int_equal(state_of(43), EXEC_OS_CANCELED);
	/* A cancel of a replacement before its ack, accepted: the modify happened. */
	place_resting(46, 4646, PX(2));
	m = mk(HAT_INTENT_REPLACE, 47, 46, PX(101), PX(1));
	EXPECT0(exec_fsm_modify(&F, &m, NS, MS, EV));
	struct hat_msg_order x = mk(HAT_INTENT_CANCEL, 47, 0, 0, 0);
	EXPECT0(exec_fsm_cancel(&F, &x, NS, MS, EV));
	cloid_of(47, c);
	EXPECT2(exec_fsm_on_cancel_result(&F, c, true, 0, NULL, NS, MS, EV), HAT_EXEC_REPLACED,
		HAT_EXEC_CANCELED);
	assert_int_equal(state_of(46), EXEC_OS_REPLACED);
	assert_int_equal(state_of(47), EXEC_OS_CANCELED);
	/* ... or not found at the exchange: the modify failed, the old order is back. */
	place_resting(48, 4848, PX(2));
	m = mk(HAT_INTENT_REPLACE, 49, 48, PX(101), PX(1));
	EXPECT0(exec_fsm_modify(&F, &m, NS, MS, EV));
	x = mk(HAT_INTENT_CANCEL, 49, 0, 0, 0);
	EXPECT0(exec_fsm_cancel(&F, &x, NS, MS, EV));
	cloid_of(49, c);
	EXPECT1(exec_fsm_on_not_found(&F, c, NS, MS, EV), HAT_EXEC_REJECT);
	assert_int_equal(state_of(48), EXEC_OS_RESTING);
	assert_int_equal(state_of(49), EXEC_OS_REJECTED);
	/* batchModify answering "resting" for the replacement. */
	place_resting(44, 4444, PX(2));
	m = mk(HAT_INTENT_REPLACE, 45, 44, PX(101), PX(1));
	EXPECT0(exec_fsm_modify(&F, &m, NS, MS, EV));
	cloid_of(45, c);
	struct hl_exch_status s = st_resting(4545);
	EXPECT1(exec_fsm_on_order_result(&F, c, &s, NS, MS, EV), HAT_EXEC_REPLACED);
	assert_int_equal(state_of(44), EXEC_OS_REPLACED);
}

/* ---------------------------------------------------------------- unknown and late */

static void test_exec_fsm_unknown_and_late_events_counted(void **state)
{
	(void)state;
	/* A fill for an order hat never placed: published (the position changed), FINAL. */
	struct hl_fill f = fill(0, 777777, PX(50), PX(2), 31);
	f.side = HAT_SIDE_SELL;
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	assert_true(EV[0].oid == 777777 && EV[0].sz == PX(2) && EV[0].remaining_sz == 0);
	assert_int_equal(EV[0].side, HAT_SIDE_SELL);
	assert_int_equal(EV[0].flags, HAT_EXEC_F_FINAL);
	assert_int_equal(F.c.unknown_fills, 1);
	f = fill(99, 0, PX(50), PX(2), 32);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	assert_int_equal(F.c.unknown_fills, 2);
	/* Statuses for unknown orders. */
	struct hl_order_update u = upd(98, 98, HL_OS_OPEN);
	EXPECT0(exec_fsm_on_order_update(&F, &u, NS, MS, EV));
	u = upd(0, 12345, HL_OS_CANCELED);
	EXPECT0(exec_fsm_on_order_update(&F, &u, NS, MS, EV));
	assert_int_equal(F.c.unknown_updates, 2);
	uint8_t c[HAT_CLOID_LEN];
	cloid_of(97, c);
	struct hl_exch_status s = st_resting(1);
	EXPECT0(exec_fsm_on_order_result(&F, c, &s, NS, MS, EV));
	EXPECT0(exec_fsm_on_modify_result(&F, c, true, 1, 0, NULL, NS, MS, EV));
	assert_int_equal(F.c.unknown_results, 2);
	/* Overfill: a fill beyond the order's size is published but capped in the books. */
	place_resting(50, 5050, PX(1));
	f = fill(50, 5050, PX(100), PX(1.5), 33);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	assert_true(EV[0].sz == PX(1.5) && EV[0].remaining_sz == 0);
	assert_int_equal(F.c.overfills, 1);
	assert_true(find(50)->filled_sz == PX(1));
	f = fill(50, 5050, PX(100), PX(0.1), 34);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	assert_int_equal(F.c.overfills, 2);
	assert_int_equal(F.c.late_fills, 1);
	/* An unknown status string is terminal: a cancel of some kind. */
	place_resting(51, 5151, PX(1));
	u = upd(51, 5151, HL_OS_UNKNOWN_TERMINAL);
	EXPECT1(exec_fsm_on_order_update(&F, &u, NS, MS, EV), HAT_EXEC_CANCELED);
	/* open status for an already-resting order: nothing new. */
	place_resting(52, 5252, PX(1));
	u = upd(52, 5252, HL_OS_OPEN);
	EXPECT0(exec_fsm_on_order_update(&F, &u, NS, MS, EV));
}

static void test_exec_fsm_stream_ack_and_adopt(void **state)
{
	(void)state;
	struct hat_msg_order o = mk(HAT_INTENT_NEW, 60, 0, PX(100), PX(1));
	assert_int_equal(exec_fsm_new(&F, &o, MS), 0);
	struct hl_order_update u = upd(60, 6060, HL_OS_OPEN);
	EXPECT1(exec_fsm_on_order_update(&F, &u, NS, MS, EV), HAT_EXEC_ACK);
	assert_true(EV[0].oid == 6060);
	uint8_t c[HAT_CLOID_LEN];
	cloid_of(60, c);
	struct hl_exch_status s = st_resting(6060);
	EXPECT0(exec_fsm_on_order_result(&F, c, &s, NS, MS, EV)); /* the stream was first */
	/* openOrders after a restart: an order we do not know is adopted. */
	struct hl_order_info info = {0};
	hat_coin_set(info.coin, "ETH");
	info.side = HAT_SIDE_SELL;
	info.has_cloid = 1;
	cloid_of(61, info.cloid);
	info.limit_px = PX(2000);
	info.sz = PX(0.3);
	info.orig_sz = PX(1);
	info.oid = 6161;
	EXPECT1(exec_fsm_adopt(&F, &info, NS, MS, EV), HAT_EXEC_OPEN_ORDER);
	assert_int_equal(EV[0].flags & HAT_EXEC_F_SNAPSHOT, 0);
	assert_true(EV[0].sz == PX(1) && EV[0].remaining_sz == PX(0.3));
	assert_int_equal(state_of(61), EXEC_OS_PARTIALLY_FILLED);
	EXPECT0(exec_fsm_adopt(&F, &info, NS, MS, EV));
	/* Without a cloid: tracked by oid. */
	info.has_cloid = 0;
	info.oid = 6262;
	info.sz = info.orig_sz = PX(1);
	EXPECT1(exec_fsm_adopt(&F, &info, NS, MS, EV), HAT_EXEC_OPEN_ORDER);
	assert_non_null(exec_fsm_find_oid(&F, 6262));
	assert_int_equal(exec_fsm_find_oid(&F, 6262)->state, EXEC_OS_RESTING);
	info.oid = 0;
	assert_int_equal(exec_fsm_adopt(&F, &info, NS, MS, EV), -EINVAL);
	/* Adopting a PENDING_NEW: acked. */
	o = mk(HAT_INTENT_NEW, 63, 0, PX(100), PX(1));
	assert_int_equal(exec_fsm_new(&F, &o, MS), 0);
	info.has_cloid = 1;
	cloid_of(63, info.cloid);
	info.oid = 6363;
	EXPECT1(exec_fsm_adopt(&F, &info, NS, MS, EV), HAT_EXEC_ACK);
	assert_int_equal(state_of(63), EXEC_OS_RESTING);
}

/* ---------------------------------------------------------------- table */

static void test_exec_fsm_table_full_and_eviction(void **state)
{
	(void)state;
	exec_fsm_deinit(&F);
	struct exec_fsm_config cfg = {.capacity = 4, .recent_tids = 2};
	char err[128];
	assert_int_equal(exec_fsm_init(&F, &cfg, err, sizeof err), 0);
	for (unsigned i = 1; i <= 4; i++)
		place_resting(i, 100 + i, PX(1));
	struct hat_msg_order o = mk(HAT_INTENT_NEW, 5, 0, PX(100), PX(1));
	assert_int_equal(exec_fsm_new(&F, &o, MS), -ENOSPC);
	assert_int_equal(F.c.table_full, 1);
	/* Two become terminal (2 first, then 1): the oldest terminal is evicted first. */
	struct hl_fill f = fill(2, 102, PX(100), PX(1), 1);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	f = fill(1, 101, PX(100), PX(1), 2);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	assert_int_equal(exec_fsm_new(&F, &o, MS), 0);
	assert_int_equal(F.c.evicted, 1);
	assert_null(find(2));
	assert_null(exec_fsm_find_oid(&F, 102));
	assert_non_null(find(1));
	assert_true(exec_order_fsm_check(&F));
	/* recent_tids = 2: tid 1 was forgotten when 3 arrived... a replay of tid 2 is still caught. */
	f = fill(1, 101, PX(100), PX(1), 2);
	EXPECT0(exec_fsm_on_fill(&F, &f, NS, MS, EV));
	f = fill(3, 103, PX(100), PX(0.5), 3);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	f = fill(0, 999, PX(100), PX(0.5), 1); /* tid 1 aged out of the set */
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	assert_int_equal(F.c.dup_fills, 1);
	/* Config errors. */
	struct exec_fsm g;
	cfg.capacity = 1;
	assert_int_equal(exec_fsm_init(&g, &cfg, err, sizeof err), -EINVAL);
	assert_string_equal(err, "capacity: must be 2..16777216 (got 1)");
	cfg.capacity = 2;
	cfg.recent_tids = 0;
	assert_int_equal(exec_fsm_init(&g, &cfg, err, sizeof err), -EINVAL);
	assert_string_equal(err, "recent_tids: must be 1..16777216 (got 0)");
}

/* Random operations against the validator: indexes survive every insert/evict/oid pattern. */
static void test_exec_fsm_random_ops_keep_table_consistent(void **state)
{
	(void)state;
	unsigned seed = 12345;
	unsigned next_id = 1000;
	for (int step = 0; step < 3000; step++) {
		seed = seed * 1103515245u + 12345u;
		unsigned r = (seed >> 16) % 6;
		unsigned id = 1000 + (seed >> 8) % (next_id - 999);
		uint8_t c[HAT_CLOID_LEN];
		cloid_of(id, c);
		int n = 0;
		if (r == 0 || next_id == 1000) {
			struct hat_msg_order o = mk(HAT_INTENT_NEW, next_id++, 0, PX(1), PX(1));
			n = exec_fsm_new(&F, &o, MS);
			assert_true(n == 0 || n == -ENOSPC);
			n = 0;
		} else if (r == 1) {
			struct hl_exch_status s = st_resting(id * 7);
			n = exec_fsm_on_order_result(&F, c, &s, NS, MS, EV);
		} else if (r == 2) {
			struct hl_fill f = fill(id, 0, PX(1), PX(0.5), (uint64_t)step + 1);
			n = exec_fsm_on_fill(&F, &f, NS, MS, EV);
		} else if (r == 3) {
			struct hat_msg_order x = mk(HAT_INTENT_CANCEL, id, 0, 0, 0);
			n = exec_fsm_cancel(&F, &x, NS, MS, EV);
			if (n < 0)
				n = 0;
		} else if (r == 4) {
			n = exec_fsm_on_cancel_result(&F, c, (seed >> 3) & 1, HAT_REASON_EXCH_OTHER,
						      "no", NS, MS, EV);
		} else {
			struct hat_msg_order m = mk(HAT_INTENT_REPLACE, next_id++, id, PX(1), PX(1));
			n = exec_fsm_modify(&F, &m, NS, MS, EV);
			if (n < 0)
				n = 0;
		}
		assert_true(n >= 0 && n <= EXEC_FSM_MAX_EVENTS);
		for (int i = 0; i < n; i++) {
			char err[256];
			if (hat_msg_validate(&EV[i], sizeof EV[i], err, sizeof err) != 0)
				fail_msg("step %d: %s", step, err);
		}
		if (!exec_order_fsm_check(&F))
			fail_msg("table inconsistent after step %d (op %u)", step, r);
	}
	assert_true(F.c.evicted > 0);
}

static void test_exec_fsm_check_rejects_bad_tables(void **state)
{
	(void)state;
	place_resting(70, 7070, PX(2));
	place_resting(71, 7171, PX(2));
	assert_true(exec_order_fsm_check(&F));
	struct exec_order *o = (struct exec_order *)find(70);
	o->filled_sz = PX(3);
	assert_false(exec_order_fsm_check(&F));
	o->filled_sz = 0;
	o->state = 42;
	assert_false(exec_order_fsm_check(&F));
	o->state = EXEC_OS_PENDING_MODIFY; /* no replacement */
	o->prev_state = EXEC_OS_RESTING;
	assert_false(exec_order_fsm_check(&F));
	o->state = EXEC_OS_PENDING_CANCEL;
	o->prev_state = EXEC_OS_FILLED;
	assert_false(exec_order_fsm_check(&F));
	o->prev_state = EXEC_OS_RESTING;
	assert_true(exec_order_fsm_check(&F));
	o->state = EXEC_OS_RESTING;
	o->prev_state = 0;
	F.live++;
	assert_false(exec_order_fsm_check(&F));
	F.live--;
	o->oid = 123; /* not indexed under this oid */
	assert_false(exec_order_fsm_check(&F));
	o->oid = 7070;
	o->state = EXEC_OS_RESTING;
	o->filled_sz = PX(1); /* RESTING with a fill */
	assert_false(exec_order_fsm_check(&F));
	o->filled_sz = 0;
	o->state = EXEC_OS_FILLED; /* terminal but counted live, not in the FIFO */
	assert_false(exec_order_fsm_check(&F));
	o->state = EXEC_OS_RESTING;
	assert_true(exec_order_fsm_check(&F));
	assert_string_equal(exec_ord_state_name(EXEC_OS_PENDING_MODIFY), "PENDING_MODIFY");
	assert_string_equal(exec_ord_state_name(99), "?");
}

static void test_exec_fsm_snapshot_lists_live_orders(void **state)
{
	(void)state;
	place_resting(80, 8080, PX(2));
	place_resting(81, 8181, PX(2));
	struct hat_msg_order o = mk(HAT_INTENT_NEW, 82, 0, PX(100), PX(1));
	assert_int_equal(exec_fsm_new(&F, &o, MS), 0);
	struct hl_fill f = fill(81, 8181, PX(100), PX(2), 1);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	f = fill(80, 8080, PX(100), PX(0.5), 2);
	EXPECT1(exec_fsm_on_fill(&F, &f, NS, MS, EV), HAT_EXEC_FILL);
	uint32_t it = 0;
	struct hat_msg_exec row;
	int n = 0;
	int64_t rem = 0;
	while (exec_fsm_snapshot_next(&F, &it, 5 * NS, &row) == 1) {
		char err[256];
		assert_int_equal(hat_msg_validate(&row, sizeof row, err, sizeof err), 0);
		assert_int_equal(row.kind, HAT_EXEC_OPEN_ORDER);
		assert_int_equal(row.flags, HAT_EXEC_F_SNAPSHOT);
		rem += row.remaining_sz;
		n++;
	}
	assert_int_equal(n, 2); /* 80 (partial) and 82 (pending new); 81 is filled */
	assert_true(rem == PX(1.5) + PX(1));
	assert_int_equal(exec_fsm_snapshot_next(&F, &it, 5 * NS, &row), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_exec_fsm_place_ack_partial_fills_sum_to_filled),
		T(test_exec_fsm_filled_status_before_fills),
		T(test_exec_fsm_immediate_fill_and_ioc_remainder),
		T(test_exec_fsm_reject_paths),
		T(test_exec_fsm_cancel_paths),
		T(test_exec_fsm_cancel_before_ack_and_fill_while_pending),
		T(test_exec_fsm_modify_success),
		T(test_exec_fsm_modify_failure_restores_old),
		T(test_exec_fsm_replacement_fill_before_ack_gives_two_events),
		T(test_exec_fsm_unknown_and_late_events_counted),
		T(test_exec_fsm_stream_ack_and_adopt),
		T(test_exec_fsm_table_full_and_eviction),
		T(test_exec_fsm_random_ops_keep_table_consistent),
		T(test_exec_fsm_check_rejects_bad_tables),
		T(test_exec_fsm_snapshot_lists_live_orders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
