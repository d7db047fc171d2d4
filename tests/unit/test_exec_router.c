/* tests/unit/test_exec_router.c -- router batching (lanes, windows, in-flight bound) and the
 * actions it builds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "execd/router.h"

static struct exec_item new_item(enum exec_lane lane, uint8_t id, int64_t px)
{
	struct exec_item it;
	memset(&it, 0, sizeof it);
	it.lane = (uint8_t)lane;
	it.cloid[15] = id;
	it.order.asset = 0;
	it.order.is_buy = true;
	it.order.px = px;
	it.order.sz = HAT_FX_ONE / 10;
	it.order.tif = lane == EXEC_LANE_ALO ? HL_TIF_ALO : HL_TIF_GTC;
	it.order.has_cloid = true;
	memcpy(it.order.cloid, it.cloid, HAT_CLOID_LEN);
	return it;
}

static void init_router(struct exec_router *r, uint32_t window, uint32_t max_batch,
			uint32_t max_in_flight)
{
	struct exec_router_cfg c = { window, max_batch, max_in_flight };
	char err[128];
	assert_int_equal(exec_router_init(r, &c, err, sizeof err), 0);
}

static void test_router_rejects_bad_config(void **state)
{
	(void)state;
	struct exec_router r;
	struct exec_router_cfg c = { 0, 0, 1 };
	char err[128];
	assert_int_equal(exec_router_init(&r, &c, err, sizeof err), -EINVAL);
	assert_string_equal(err, "execd.max_batch: must be 1..64 (got 0)");
	c.max_batch = 4;
	c.max_in_flight = 0;
	assert_int_equal(exec_router_init(&r, &c, err, sizeof err), -EINVAL);
	assert_string_equal(err, "execd.max_in_flight: must be >= 1 (got 0)");
}

static void test_router_batches_orders_arriving_within_window(void **state)
{
	(void)state;
	struct exec_router r;
	init_router(&r, 500, 40, 2);
	struct exec_item a = new_item(EXEC_LANE_TAKE, 1, 100 * HAT_FX_ONE);
	struct exec_item b = new_item(EXEC_LANE_TAKE, 2, 101 * HAT_FX_ONE);
	assert_int_equal(exec_router_add(&r, &a, 1000), 0);
	assert_int_equal(exec_router_ready(&r, 1000), -EAGAIN);
	assert_int_equal(exec_router_next_us(&r, 1200), 300);
	assert_int_equal(exec_router_add(&r, &b, 1300), 0);
	assert_int_equal(exec_router_ready(&r, 1499), -EAGAIN);
	assert_int_equal(exec_router_ready(&r, 1500), EXEC_LANE_TAKE);
	struct exec_item out[EXEC_BATCH_MAX];
	assert_int_equal(exec_router_take(&r, EXEC_LANE_TAKE, out), 2);
	assert_int_equal(out[0].cloid[15], 1);
	assert_int_equal(out[1].cloid[15], 2);
	assert_int_equal(r.in_flight, 1);
	assert_int_equal(exec_router_pending(&r), 0);
	assert_int_equal(exec_router_next_us(&r, 1500), UINT64_MAX);
}

static void test_router_keeps_alo_apart_from_takers(void **state)
{
	(void)state;
	struct exec_router r;
	init_router(&r, 0, 40, 4);
	struct exec_item a = new_item(EXEC_LANE_ALO, 1, 100 * HAT_FX_ONE);
	struct exec_item t = new_item(EXEC_LANE_TAKE, 2, 100 * HAT_FX_ONE);
	struct exec_item b = new_item(EXEC_LANE_ALO, 3, 99 * HAT_FX_ONE);
	assert_int_equal(exec_router_add(&r, &a, 10), 0);
	assert_int_equal(exec_router_add(&r, &t, 10), 0);
	assert_int_equal(exec_router_add(&r, &b, 10), 0);
	struct exec_item out[EXEC_BATCH_MAX];
	assert_int_equal(exec_router_ready(&r, 10), EXEC_LANE_ALO);
	assert_int_equal(exec_router_take(&r, EXEC_LANE_ALO, out), 2);
	assert_int_equal(out[1].cloid[15], 3);
	assert_int_equal(exec_router_ready(&r, 10), EXEC_LANE_TAKE);
	assert_int_equal(exec_router_take(&r, EXEC_LANE_TAKE, out), 1);
	assert_int_equal(out[0].cloid[15], 2);
	assert_int_equal(exec_router_ready(&r, 10), -EAGAIN);
}

static void test_router_serves_due_lanes_oldest_first(void **state)
{
	(void)state;
	struct exec_router r;
	init_router(&r, 0, 1, 1);
	struct exec_item m = new_item(EXEC_LANE_MODIFY, 1, 100 * HAT_FX_ONE);
	struct exec_item c = new_item(EXEC_LANE_CANCEL, 2, 0);
	struct exec_item a = new_item(EXEC_LANE_ALO, 3, 99 * HAT_FX_ONE);
	assert_int_equal(exec_router_add(&r, &m, 10), 0);
	assert_int_equal(exec_router_add(&r, &c, 10), 0);
	assert_int_equal(exec_router_add(&r, &a, 10), 0);
	struct exec_item out[EXEC_BATCH_MAX];
	/* arrival order, not lane order (ALO is lane 0, MODIFY lane 4) */
	static const int want[] = { EXEC_LANE_MODIFY, EXEC_LANE_CANCEL, EXEC_LANE_ALO };
	for (int k = 0; k < 3; k++) {
		int lane = k == 1 ? exec_router_ready_any(&r) : exec_router_ready(&r, 10);
		assert_int_equal(lane, want[k]);
		assert_int_equal(exec_router_take(&r, lane, out), 1);
		assert_int_equal(out[0].cloid[15], k + 1);
		exec_router_done(&r);
	}
	assert_int_equal(exec_router_ready_any(&r), -EAGAIN);
	/* a lane emptied and refilled queues behind the older ones */
	assert_int_equal(exec_router_add(&r, &a, 20), 0);
	assert_int_equal(exec_router_add(&r, &m, 20), 0);
	assert_int_equal(exec_router_ready(&r, 20), EXEC_LANE_ALO);
}

static void test_router_full_lane_is_due_at_once_and_refuses_more(void **state)
{
	(void)state;
	struct exec_router r;
	init_router(&r, 1000000, 2, 8);
	struct exec_item a = new_item(EXEC_LANE_TAKE, 1, HAT_FX_ONE);
	assert_int_equal(exec_router_add(&r, &a, 0), 0);
	assert_int_equal(exec_router_ready(&r, 0), -EAGAIN);
	assert_int_equal(exec_router_add(&r, &a, 0), 0);
	assert_int_equal(exec_router_ready(&r, 0), EXEC_LANE_TAKE);
	/* the lane keeps taking orders beyond max_batch, up to EXEC_BATCH_MAX */
	for (int i = 2; i < EXEC_BATCH_MAX; i++) {
		a.cloid[15] = (uint8_t)(i + 1);
		assert_false(exec_router_full(&r, EXEC_LANE_TAKE));
		assert_int_equal(exec_router_add(&r, &a, 0), 0);
	}
	assert_true(exec_router_full(&r, EXEC_LANE_TAKE));
	assert_int_equal(exec_router_add(&r, &a, 0), -ENOBUFS);
	/* each batch takes at most max_batch, oldest first */
	struct exec_item out[EXEC_BATCH_MAX];
	assert_int_equal(exec_router_take(&r, EXEC_LANE_TAKE, out), 2);
	assert_int_equal(out[0].cloid[15], 1);
	assert_int_equal(out[1].cloid[15], 1);
	assert_int_equal(exec_router_take(&r, EXEC_LANE_TAKE, out), 2);
	assert_int_equal(out[0].cloid[15], 3);
	assert_int_equal(out[1].cloid[15], 4);
	assert_int_equal(exec_router_pending(&r), EXEC_BATCH_MAX - 4);
	assert_int_equal(exec_router_ready(&r, 0), EXEC_LANE_TAKE); /* still due: it waited */
}

static void test_router_in_flight_bound_holds_batches(void **state)
{
	(void)state;
	struct exec_router r;
	init_router(&r, 0, 40, 1);
	struct exec_item a = new_item(EXEC_LANE_TAKE, 1, HAT_FX_ONE);
	struct exec_item out[EXEC_BATCH_MAX];
	assert_int_equal(exec_router_add(&r, &a, 0), 0);
	assert_int_equal(exec_router_take(&r, exec_router_ready(&r, 0), out), 1);
	a.cloid[15] = 2;
	assert_int_equal(exec_router_add(&r, &a, 5), 0);
	assert_int_equal(exec_router_ready(&r, 5), -EAGAIN);
	assert_int_equal(exec_router_ready_any(&r), -EAGAIN);
	exec_router_done(&r);
	assert_int_equal(exec_router_ready(&r, 5), EXEC_LANE_TAKE);
	exec_router_done(&r); /* never below zero */
	assert_int_equal(r.in_flight, 0);
}

static void test_router_action_order_batch_json(void **state)
{
	(void)state;
	struct exec_item it[2] = { new_item(EXEC_LANE_TAKE, 1, 100 * HAT_FX_ONE),
	                           new_item(EXEC_LANE_TAKE, 2, 1015 * HAT_FX_ONE / 10) };
	it[1].order.is_buy = false;
	it[1].order.tif = HL_TIF_IOC;
	struct hat_buf json = HAT_BUF_INIT, mp = HAT_BUF_INIT;
	assert_int_equal(exec_router_action(it, 2, &json, &mp), 0);
	hat_buf_putc(&json, '\0');
	assert_string_equal(json.data,
		"{\"type\":\"order\",\"orders\":["
		"{\"a\":0,\"b\":true,\"p\":\"100\",\"s\":\"0.1\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}},"
		"\"c\":\"0x00000000000000000000000000000001\"},"
		"{\"a\":0,\"b\":false,\"p\":\"101.5\",\"s\":\"0.1\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Ioc\"}},"
		"\"c\":\"0x00000000000000000000000000000002\"}],\"grouping\":\"na\"}");
	assert_true(mp.len > 0);
	hat_buf_free(&json);
	hat_buf_free(&mp);
}

static void test_router_action_cancel_by_cloid_and_mixed_lanes(void **state)
{
	(void)state;
	struct exec_item it[2];
	memset(it, 0, sizeof it);
	it[0].lane = it[1].lane = EXEC_LANE_CANCEL;
	it[0].asset = 3;
	it[0].cloid[0] = 0xab;
	it[1].asset = 4;
	it[1].cloid[15] = 0x01;
	struct hat_buf json = HAT_BUF_INIT, mp = HAT_BUF_INIT;
	assert_int_equal(exec_router_action(it, 2, &json, &mp), 0);
	hat_buf_putc(&json, '\0');
	assert_string_equal(json.data,
		"{\"type\":\"cancelByCloid\",\"cancels\":["
		"{\"asset\":3,\"cloid\":\"0xab000000000000000000000000000000\"},"
		"{\"asset\":4,\"cloid\":\"0x00000000000000000000000000000001\"}]}");
	hat_buf_reset(&json);
	it[1].lane = EXEC_LANE_TAKE;
	assert_int_equal(exec_router_action(it, 2, &json, &mp), -EINVAL);
	assert_int_equal(exec_router_action(it, 0, &json, &mp), -EINVAL);
	hat_buf_free(&json);
	hat_buf_free(&mp);
}

static void test_router_order_wire_maps_flags(void **state)
{
	(void)state;
	struct hat_order_fields o;
	memset(&o, 0, sizeof o);
	o.side = HAT_SIDE_SELL;
	o.tif = HAT_TIF_GTC;
	o.flags = HAT_OF_POST_ONLY | HAT_OF_REDUCE_ONLY;
	o.px = 5 * HAT_FX_ONE;
	o.sz = HAT_FX_ONE;
	o.cloid[1] = 7;
	struct hl_order w;
	assert_int_equal(exec_order_wire(&o, 9, &w), 0);
	assert_int_equal(w.asset, 9);
	assert_false(w.is_buy);
	assert_int_equal(w.tif, HL_TIF_ALO);
	assert_true(w.reduce_only);
	assert_true(w.has_cloid);
	assert_int_equal(w.cloid[1], 7);
	assert_int_equal(exec_router_new_lane(&o), EXEC_LANE_ALO);
	o.flags = 0;
	o.tif = HAT_TIF_IOC;
	assert_int_equal(exec_router_new_lane(&o), EXEC_LANE_TAKE);
	o.side = 0;
	assert_int_equal(exec_order_wire(&o, 9, &w), -EINVAL);
	o.side = HAT_SIDE_BUY;
	o.tif = 0;
	assert_int_equal(exec_order_wire(&o, 9, &w), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router_rejects_bad_config),
		cmocka_unit_test(test_router_batches_orders_arriving_within_window),
		cmocka_unit_test(test_router_keeps_alo_apart_from_takers),
		cmocka_unit_test(test_router_serves_due_lanes_oldest_first),
		cmocka_unit_test(test_router_full_lane_is_due_at_once_and_refuses_more),
		cmocka_unit_test(test_router_in_flight_bound_holds_batches),
		cmocka_unit_test(test_router_action_order_batch_json),
		cmocka_unit_test(test_router_action_cancel_by_cloid_and_mixed_lanes),
		cmocka_unit_test(test_router_order_wire_maps_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
