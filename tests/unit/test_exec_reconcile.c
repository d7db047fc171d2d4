/* tests/unit/test_exec_reconcile.c -- the reconciliation pass: request order and bodies, the
 * records handed to the sink, unknown cloids asked one by one, failures. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/err.h"
#include "execd/reconcile.h"

#define USER "0x14791697260e4c9a71f18484c9f997b308e59325"

struct rec {
	int open, open_done, status_known, status_unknown, fills, pos_begin, pos, rate;
	int fills_begin, fills_at_begin; /* fills_begin calls; fills seen when it was called */
	uint64_t fill_tids[8];
	int64_t szi;
	uint64_t used, cap;
	struct exec_reconcile *r;
	uint8_t extra_unknown[HAT_CLOID_LEN];
};

static void s_open(void *u, const struct hl_order_info *o) { (void)o; ((struct rec *)u)->open++; }
static void s_open_done(void *u, const struct hl_order_info *all, size_t n)
{
	struct rec *x = u;
	(void)all;
	assert_int_equal(n, 1);
	x->open_done++;
	exec_reconcile_add_unknown(x->r, x->extra_unknown);
}
static void s_status(void *u, const uint8_t c[HAT_CLOID_LEN], bool known,
		     const struct hl_order_update *up)
{
	struct rec *x = u;
	(void)c;
	if (known) {
		assert_int_equal(up->status, HL_OS_FILLED);
		x->status_known++;
	} else {
		x->status_unknown++;
	}
}
static void s_fill(void *u, const struct hl_fill *f)
{
	struct rec *x = u;
	x->fill_tids[x->fills++] = f->tid;
}
static void s_pos_begin(void *u) { ((struct rec *)u)->pos_begin++; }
static void s_fills_begin(void *u)
{
	struct rec *x = u;
	x->fills_begin++;
	x->fills_at_begin = x->fills;
}
static void s_pos(void *u, const struct hl_position *p)
{
	((struct rec *)u)->pos++;
	((struct rec *)u)->szi = p->szi;
}
static void s_rate(void *u, uint64_t used, uint64_t cap)
{
	((struct rec *)u)->rate++;
	((struct rec *)u)->used = used;
	((struct rec *)u)->cap = cap;
}

static const char open_orders[] =
	"[{\"coin\":\"BTC\",\"side\":\"B\",\"limitPx\":\"60000\",\"sz\":\"0.001\",\"oid\":1000,"
	"\"timestamp\":1700000000000,\"origSz\":\"0.001\",\"cloid\":\"0xec000000000000000000000000000001\"}]";
static const char status_filled[] =
	"{\"status\":\"order\",\"order\":{\"order\":{\"coin\":\"BTC\",\"side\":\"A\",\"limitPx\":\"61000\","
	"\"sz\":\"0\",\"oid\":1001,\"timestamp\":1700000000001,\"origSz\":\"0.002\","
	"\"cloid\":\"0xec000000000000000000000000000002\"},\"status\":\"filled\","
	"\"statusTimestamp\":1700000000002}}";
static const char fills[] =
	"[{\"coin\":\"BTC\",\"px\":\"61000\",\"sz\":\"0.002\",\"side\":\"A\",\"time\":1700000000200,"
	"\"startPosition\":\"0\",\"dir\":\"Open Short\",\"closedPnl\":\"0\",\"hash\":"
	"\"0x0000000000000000000000000000000000000000000000000000000000000000\",\"oid\":1001,"
	"\"crossed\":false,\"fee\":\"0.01\",\"tid\":7,\"feeToken\":\"USDC\"},"
	"{\"coin\":\"BTC\",\"px\":\"61000\",\"sz\":\"0.001\",\"side\":\"A\",\"time\":1700000000100,"
	"\"startPosition\":\"0\",\"dir\":\"Open Short\",\"closedPnl\":\"0\",\"hash\":"
	"\"0x0000000000000000000000000000000000000000000000000000000000000000\",\"oid\":1001,"
	"\"crossed\":false,\"fee\":\"0.01\",\"tid\":6,\"feeToken\":\"USDC\"},"
	"{\"coin\":\"BTC\",\"px\":\"61000\",\"sz\":\"0.001\",\"side\":\"A\",\"time\":1600000000000,"
	"\"startPosition\":\"0\",\"dir\":\"Open Short\",\"closedPnl\":\"0\",\"hash\":"
	"\"0x0000000000000000000000000000000000000000000000000000000000000000\",\"oid\":999,"
	"\"crossed\":false,\"fee\":\"0.01\",\"tid\":5,\"feeToken\":\"USDC\"}]";
static const char clearinghouse[] =
	"{\"marginSummary\":{\"accountValue\":\"100000\",\"totalNtlPos\":\"0\",\"totalRawUsd\":\"100000\","
	"\"totalMarginUsed\":\"0\"},\"crossMarginSummary\":{\"accountValue\":\"100000\",\"totalNtlPos\":\"0\","
	"\"totalRawUsd\":\"100000\",\"totalMarginUsed\":\"0\"},\"crossMaintenanceMarginUsed\":\"0\","
	"\"withdrawable\":\"100000\",\"assetPositions\":[{\"type\":\"oneWay\",\"position\":{\"coin\":\"BTC\","
	"\"szi\":\"-0.003\",\"entryPx\":\"61000\",\"positionValue\":\"183\",\"unrealizedPnl\":\"0\","
	"\"returnOnEquity\":\"0\",\"liquidationPx\":null,\"marginUsed\":\"9\",\"maxLeverage\":40,"
	"\"leverage\":{\"type\":\"cross\",\"value\":20},\"cumFunding\":{\"allTime\":\"0\",\"sinceOpen\":\"0\","
	"\"sinceChange\":\"0\"}}}],\"time\":1700000000300}";

static void expect_req(struct exec_reconcile *r, struct hat_buf *b, const char *want)
{
	assert_int_equal(exec_reconcile_next(r, b), 1);
	hat_buf_putc(b, '\0');
	assert_string_equal(b->data, want);
	assert_int_equal(exec_reconcile_next(r, b), 0); /* one at a time */
}

static void test_reconcile_full_pass_in_order(void **state)
{
	(void)state;
	struct exec_reconcile r;
	struct rec x;
	memset(&x, 0, sizeof x);
	x.r = &r;
	x.extra_unknown[15] = 3;
	struct exec_recon_sink k = { &x, s_open, s_open_done, s_status, s_fill, s_pos_begin, s_pos,
	                             s_rate, s_fills_begin };
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(exec_reconcile_init(&r, USER), 0);
	exec_reconcile_begin(&r, 1700000000000);
	uint8_t c2[HAT_CLOID_LEN] = { 0xec };
	c2[15] = 2;
	assert_int_equal(exec_reconcile_add_unknown(&r, c2), 0);
	assert_int_equal(exec_reconcile_add_unknown(&r, c2), 0); /* duplicate ignored */
	expect_req(&r, &b, "{\"type\":\"openOrders\",\"user\":\"" USER "\"}");
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, open_orders, strlen(open_orders), &k), 0);
	assert_int_equal(x.open, 1);
	assert_int_equal(x.open_done, 1);
	expect_req(&r, &b, "{\"type\":\"orderStatus\",\"user\":\"" USER "\",\"oid\":"
	                   "\"0xec000000000000000000000000000002\"}");
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, status_filled, strlen(status_filled), &k), 0);
	expect_req(&r, &b, "{\"type\":\"orderStatus\",\"user\":\"" USER "\",\"oid\":"
	                   "\"0x00000000000000000000000000000003\"}");
	static const char unknown[] = "{\"status\":\"unknownOid\"}";
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, unknown, strlen(unknown), &k), 0);
	assert_int_equal(x.status_known, 1);
	assert_int_equal(x.status_unknown, 1);
	expect_req(&r, &b, "{\"type\":\"userFillsByTime\",\"user\":\"" USER "\","
	                   "\"startTime\":1700000000000}");
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, fills, strlen(fills), &k), 0);
	/* fills_begin once, before the fills; oldest first, and the one before since_ms skipped */
	assert_int_equal(x.fills_begin, 1);
	assert_int_equal(x.fills_at_begin, 0);
	assert_int_equal(x.fills, 2);
	assert_int_equal(x.fill_tids[0], 6);
	assert_int_equal(x.fill_tids[1], 7);
	assert_int_equal(r.last_fill_ms, 1700000000200);
	expect_req(&r, &b, "{\"type\":\"clearinghouseState\",\"user\":\"" USER "\"}");
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, clearinghouse, strlen(clearinghouse), &k), 0);
	assert_int_equal(x.pos_begin, 1);
	assert_int_equal(x.pos, 1);
	assert_int_equal(x.szi, -300000);
	expect_req(&r, &b, "{\"type\":\"userRateLimit\",\"user\":\"" USER "\"}");
	static const char rl[] = "{\"cumVlm\":\"0\",\"nRequestsUsed\":12,\"nRequestsCap\":10000,"
	                         "\"nRequestsSurplus\":0}";
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, rl, strlen(rl), &k), 0);
	assert_int_equal(x.used, 12);
	assert_int_equal(x.cap, 10000);
	assert_true(exec_reconcile_done(&r));
	assert_int_equal(r.passes, 1);
	assert_int_equal(exec_reconcile_next(&r, &b), 0);
	hat_buf_free(&b);
	exec_reconcile_deinit(&r);
}

static void test_reconcile_failures_fail_the_pass(void **state)
{
	(void)state;
	struct exec_reconcile r;
	struct rec x;
	memset(&x, 0, sizeof x);
	x.r = &r;
	struct exec_recon_sink k = { &x, s_open, s_open_done, s_status, s_fill, s_pos_begin, s_pos,
	                             s_rate };
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(exec_reconcile_init(&r, USER), 0);
	exec_reconcile_begin(&r, 0);
	assert_int_equal(exec_reconcile_next(&r, &b), 1);
	assert_int_equal(exec_reconcile_answer(&r, -ETIMEDOUT, 0, "", 0, &k), -ETIMEDOUT);
	assert_true(exec_reconcile_failed(&r));
	assert_string_equal(r.err, "openOrders: transport error -110");
	exec_reconcile_begin(&r, 0);
	assert_int_equal(exec_reconcile_next(&r, &b), 1);
	assert_int_equal(exec_reconcile_answer(&r, 0, 429, "busy", 4, &k), -EPROTO);
	assert_string_equal(r.err, "openOrders: HTTP 429: busy");
	exec_reconcile_begin(&r, 0);
	assert_int_equal(exec_reconcile_next(&r, &b), 1);
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, "[{\"coin\":1}]", 12, &k), HAT_E_PARSE);
	assert_true(exec_reconcile_failed(&r));
	assert_non_null(strstr(r.err, "coin"));
	assert_int_equal(x.open, 0);
	assert_int_equal(r.failures, 3);
	exec_reconcile_deinit(&r);
	assert_int_equal(exec_reconcile_init(&r, "0x12"), -EINVAL);
	hat_buf_free(&b);
}

static void test_reconcile_unknown_added_late_waits_for_next_pass(void **state)
{
	(void)state;
	struct exec_reconcile r;
	struct rec x;
	memset(&x, 0, sizeof x);
	x.r = &r;
	x.extra_unknown[15] = 9; /* open_done adds this one during the pass: asked in it */
	struct exec_recon_sink k = { &x, s_open, s_open_done, s_status, s_fill, s_pos_begin, s_pos,
	                             s_rate };
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(exec_reconcile_init(&r, USER), 0);
	exec_reconcile_begin(&r, 0);
	assert_int_equal(exec_reconcile_next(&r, &b), 1);
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, open_orders, strlen(open_orders), &k), 0);
	static const char unknown[] = "{\"status\":\"unknownOid\"}";
	expect_req(&r, &b, "{\"type\":\"orderStatus\",\"user\":\"" USER "\",\"oid\":"
	                   "\"0x00000000000000000000000000000009\"}");
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, unknown, strlen(unknown), &k), 0);
	expect_req(&r, &b, "{\"type\":\"userFills\",\"user\":\"" USER "\"}");
	/* a request's fate became unknown now: too late for this pass */
	uint8_t late[HAT_CLOID_LEN] = { 0 };
	late[15] = 0x42;
	assert_int_equal(exec_reconcile_add_unknown(&r, late), 0);
	assert_int_equal(exec_reconcile_answer(&r, -EIO, 0, "", 0, &k), -EIO); /* pass fails */
	memset(x.extra_unknown, 0, sizeof x.extra_unknown);
	x.extra_unknown[15] = 0x42; /* (duplicate of the late one) */
	exec_reconcile_begin(&r, 0);
	assert_int_equal(exec_reconcile_next(&r, &b), 1);
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, open_orders, strlen(open_orders), &k), 0);
	expect_req(&r, &b, "{\"type\":\"orderStatus\",\"user\":\"" USER "\",\"oid\":"
	                   "\"0x00000000000000000000000000000042\"}");
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, unknown, strlen(unknown), &k), 0);
	expect_req(&r, &b, "{\"type\":\"userFills\",\"user\":\"" USER "\"}");
	assert_int_equal(x.status_unknown, 2);
	hat_buf_free(&b);
	exec_reconcile_deinit(&r);
}

/* A fill record of the canned answers below. */
#define FILL(t, tid) "{\"coin\":\"BTC\",\"px\":\"61000\",\"sz\":\"0.001\",\"side\":\"A\",\"time\":" #t \
	",\"startPosition\":\"0\",\"dir\":\"Open Short\",\"closedPnl\":\"0\",\"hash\":" \
	"\"0x0000000000000000000000000000000000000000000000000000000000000000\",\"oid\":1001," \
	"\"crossed\":false,\"fee\":\"0.01\",\"tid\":" #tid ",\"feeToken\":\"USDC\"}"

/* userFillsByTime answers at most a page: a full page is followed by a request from its newest
 * millisecond, the fills of that millisecond already applied are not applied again, and a full
 * page inside one millisecond is skipped past (counted) instead of being asked for forever. */
static void test_reconcile_pages_fills(void **state)
{
	(void)state;
	struct exec_reconcile r;
	struct rec x;
	memset(&x, 0, sizeof x);
	x.r = &r;
	struct exec_recon_sink k = { &x, s_open, NULL, s_status, s_fill, s_pos_begin, s_pos,
	                             s_rate, s_fills_begin };
	struct hat_buf b = HAT_BUF_INIT;
	assert_int_equal(exec_reconcile_init(&r, USER), 0);
	r.fills_page = 2;
	exec_reconcile_begin(&r, 1000);
	expect_req(&r, &b, "{\"type\":\"openOrders\",\"user\":\"" USER "\"}");
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, "[]", 2, &k), 0);
	static const char p1[] = "[" FILL(1000, 1) "," FILL(1100, 2) "]";
	static const char p2[] = "[" FILL(1100, 2) "," FILL(1200, 3) "]";
	static const char p3[] = "[" FILL(1200, 3) "," FILL(1200, 4) "]";
	static const char p4[] = "[" FILL(1300, 5) "]";
	expect_req(&r, &b, "{\"type\":\"userFillsByTime\",\"user\":\"" USER "\",\"startTime\":1000}");
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, p1, strlen(p1), &k), 0);
	expect_req(&r, &b, "{\"type\":\"userFillsByTime\",\"user\":\"" USER "\",\"startTime\":1100}");
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, p2, strlen(p2), &k), 0);
	expect_req(&r, &b, "{\"type\":\"userFillsByTime\",\"user\":\"" USER "\",\"startTime\":1200}");
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, p3, strlen(p3), &k), 0);
	/* a full page inside 1200: cannot be paged by time, so on from 1201 */
	expect_req(&r, &b, "{\"type\":\"userFillsByTime\",\"user\":\"" USER "\",\"startTime\":1201}");
	assert_int_equal(exec_reconcile_answer(&r, 0, 200, p4, strlen(p4), &k), 0);
	assert_int_equal(x.fills, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(x.fill_tids[i], (uint64_t)i + 1);
	assert_int_equal(x.fills_begin, 1); /* once, before the first page */
	assert_int_equal(r.fill_pages, 3);
	assert_int_equal(r.fill_pages_stuck, 1);
	assert_int_equal(r.last_fill_ms, 1300);
	expect_req(&r, &b, "{\"type\":\"clearinghouseState\",\"user\":\"" USER "\"}");
	hat_buf_free(&b);
	exec_reconcile_deinit(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reconcile_full_pass_in_order),
		cmocka_unit_test(test_reconcile_pages_fills),
		cmocka_unit_test(test_reconcile_failures_fail_the_pass),
		cmocka_unit_test(test_reconcile_unknown_added_late_waits_for_next_pass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
