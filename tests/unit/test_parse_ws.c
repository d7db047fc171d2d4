/* tests/unit/test_parse_ws.c -- WebSocket frames -> typed results. */
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
#include "hl/meta.h"
#include "hl/parse_exchange.h"
#include "hl/parse_info.h"
#include "hl/parse_ws.h"

#define ORIGIN 1754450974231000123ULL

struct fixture {
	struct hl_meta meta;
	struct hat_msg_trade trades[4];
	struct hl_mid mids[8];
	struct hl_order_update orders[8];
	struct hl_fill fills[4];
	struct hl_cancel_event cancels[4];
	struct hl_ws_bufs bufs;
	struct hl_ws_msg msg;
	char err[256];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[128];
	hl_meta_init(&f->meta);
	const char *meta = "{\"universe\":[{\"name\":\"BTC\",\"szDecimals\":5,\"maxLeverage\":50},"
			   "{\"name\":\"ETH\",\"szDecimals\":4,\"maxLeverage\":50},"
			   "{\"name\":\"SOL\",\"szDecimals\":2,\"maxLeverage\":20}]}";
	if (hl_meta_parse_text(&f->meta, meta, strlen(meta), 0, err, sizeof err) != 0)
		return -1;
	f->bufs = (struct hl_ws_bufs){ f->trades, 4, f->mids, 8, f->orders, 8, f->fills, 4,
				       f->cancels, 4 };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	hl_ws_msg_clear(&f->msg);
	hl_meta_deinit(&f->meta);
	free(f);
	return 0;
}

static int ws(struct fixture *f, const char *frame)
{
	f->err[0] = '\0';
	return hl_ws_parse(frame, strlen(frame), ORIGIN, &f->meta, &f->bufs, &f->msg, f->err,
			   sizeof f->err);
}

/* ---------------------------------------------------------------- market data */

static const char book_frame[] =
	"{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1754450974231,\"levels\":["
	"[{\"px\":\"113377.0\",\"sz\":\"7.6699\",\"n\":17},{\"px\":\"113376.0\",\"sz\":\"4.13714\",\"n\":8}],"
	"[{\"px\":\"113397.0\",\"sz\":\"0.11543\",\"n\":3}]]}}";

static void test_ws_l2book(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ws(f, book_frame), 0);
	assert_int_equal(f->msg.kind, HL_WS_BOOK);
	const struct hat_msg_book *b = &f->msg.u.book;
	assert_int_equal(b->h.type, HAT_MSG_BOOK);
	assert_int_equal(b->h.version, HAT_MSG_BOOK_VERSION);
	assert_int_equal(b->h.length, sizeof *b);
	assert_true(b->h.origin_ns == ORIGIN);
	assert_true(b->h.seq == 0 && b->h.send_ns == 0);
	assert_string_equal(b->coin, "BTC");
	assert_int_equal(b->asset, 0);
	assert_true(b->exch_time_ms == 1754450974231ULL);
	assert_int_equal(b->n_bids, 2);
	assert_int_equal(b->n_asks, 1);
	assert_int_equal(b->flags, 0);
	assert_true(b->bids[0].px == 11337700000000LL);
	assert_true(b->bids[0].sz == 766990000LL);
	assert_int_equal(b->bids[0].n, 17);
	assert_true(b->bids[1].px == 11337600000000LL);
	assert_true(b->bids[1].sz == 413714000LL);
	assert_int_equal(b->bids[1].n, 8);
	assert_true(b->asks[0].px == 11339700000000LL);
	assert_true(b->asks[0].sz == 11543000LL);
	assert_int_equal(b->asks[0].n, 3);
	assert_true(b->asks[1].px == 0 && b->bids[2].px == 0);
	assert_null(f->msg.held);
	assert_int_equal(hat_msg_validate(b, sizeof *b, f->err, sizeof f->err), 0);

	/* without a coin table */
	assert_int_equal(hl_ws_parse(book_frame, strlen(book_frame), 1, NULL, NULL, &f->msg, NULL, 0), 0);
	assert_int_equal(f->msg.u.book.asset, HL_ASSET_UNKNOWN);
}

static void test_ws_l2book_keeps_top_ten(void **state)
{
	struct fixture *f = *state;
	char frame[4096], *p = frame;
	p += sprintf(p, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"ETH\",\"time\":1,\"levels\":[[");
	for (int i = 0; i < 20; i++)
		p += sprintf(p, "%s{\"px\":\"%d.5\",\"sz\":\"1\",\"n\":1}", i ? "," : "", 3000 - i);
	p += sprintf(p, "],[");
	for (int i = 0; i < 12; i++)
		p += sprintf(p, "%s{\"px\":\"%d\",\"sz\":\"0.%d\",\"n\":%d}", i ? "," : "", 3001 + i,
			     i + 1, i);
	sprintf(p, "]]}}");
	assert_int_equal(ws(f, frame), 0);
	const struct hat_msg_book *b = &f->msg.u.book;
	assert_int_equal(b->asset, 1);
	assert_int_equal(b->n_bids, HAT_BOOK_DEPTH);
	assert_int_equal(b->n_asks, HAT_BOOK_DEPTH);
	assert_true(b->bids[9].px == 299150000000LL);
	assert_true(b->asks[9].px == 301000000000LL);
	assert_true(b->asks[9].sz == 10000000LL); /* "0.10" */
	assert_int_equal(b->asks[9].n, 9);
	assert_int_equal(hat_msg_validate(b, sizeof *b, f->err, sizeof f->err), 0);
}

static void test_ws_trades(void **state)
{
	struct fixture *f = *state;
	const char *s =
		"{\"channel\":\"trades\",\"data\":["
		"{\"coin\":\"BTC\",\"side\":\"B\",\"px\":\"65010.0\",\"sz\":\"0.015\",\"time\":1717000000123,"
		"\"hash\":\"0x0\",\"tid\":904411938285245,\"users\":[\"0xb\",\"0xs\"]},"
		"{\"coin\":\"BTC\",\"side\":\"A\",\"px\":\"65009\",\"sz\":\"1.2\",\"time\":1717000000124,"
		"\"hash\":\"0x0\",\"tid\":1125899906842623,\"users\":[\"0xb\",\"0xs\"]}]}";
	assert_int_equal(ws(f, s), 0);
	assert_int_equal(f->msg.kind, HL_WS_TRADES);
	assert_int_equal(f->msg.list.n, 2);
	assert_int_equal(f->msg.list.total, 2);
	const struct hat_msg_trade *t = f->trades;
	assert_int_equal(t[0].h.type, HAT_MSG_TRADE);
	assert_int_equal(t[0].h.version, HAT_MSG_TRADE_VERSION);
	assert_int_equal(t[0].h.length, sizeof t[0]);
	assert_true(t[0].h.origin_ns == ORIGIN);
	assert_string_equal(t[0].coin, "BTC");
	assert_int_equal(t[0].asset, 0);
	assert_int_equal(t[0].side, HAT_SIDE_BUY);
	assert_true(t[0].px == 6501000000000LL);
	assert_true(t[0].sz == 1500000LL);
	assert_true(t[0].tid == 904411938285245ULL);
	assert_true(t[0].exch_time_ms == 1717000000123ULL);
	assert_int_equal(t[1].side, HAT_SIDE_SELL);
	assert_true(t[1].tid == 1125899906842623ULL);
	assert_true(t[1].sz == 120000000LL);
	assert_int_equal(hat_msg_validate(&t[0], sizeof t[0], f->err, sizeof f->err), 0);
	assert_int_equal(hat_msg_validate(&t[1], sizeof t[1], f->err, sizeof f->err), 0);

	/* capacity 1: one stored, total 2 */
	struct hl_ws_bufs small = f->bufs;
	small.trades_cap = 1;
	assert_int_equal(hl_ws_parse(s, strlen(s), 1, &f->meta, &small, &f->msg, NULL, 0), 0);
	assert_int_equal(f->msg.list.n, 1);
	assert_int_equal(f->msg.list.total, 2);
	assert_int_equal(hl_ws_parse(s, strlen(s), 1, &f->meta, NULL, &f->msg, NULL, 0), 0);
	assert_int_equal(f->msg.list.n, 0);
	assert_int_equal(f->msg.list.total, 2);
}

static void test_ws_bbo(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ws(f, "{\"channel\":\"bbo\",\"data\":{\"coin\":\"SOL\",\"time\":1717000000000,"
			       "\"bbo\":[{\"px\":\"150.12\",\"sz\":\"10.5\",\"n\":3},null]}}"), 0);
	assert_int_equal(f->msg.kind, HL_WS_BBO);
	const struct hat_msg_bbo *b = &f->msg.u.bbo;
	assert_int_equal(b->h.type, HAT_MSG_BBO);
	assert_int_equal(b->h.length, sizeof *b);
	assert_true(b->h.origin_ns == ORIGIN);
	assert_string_equal(b->coin, "SOL");
	assert_int_equal(b->asset, 2);
	assert_int_equal(b->has_bid, 1);
	assert_int_equal(b->has_ask, 0);
	assert_true(b->bid.px == 15012000000LL);
	assert_true(b->bid.sz == 1050000000LL);
	assert_int_equal(b->bid.n, 3);
	assert_true(b->ask.px == 0);
	assert_true(b->exch_time_ms == 1717000000000ULL);
	assert_int_equal(hat_msg_validate(b, sizeof *b, f->err, sizeof f->err), 0);
}

static void test_ws_all_mids(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ws(f, "{\"channel\":\"allMids\",\"data\":{\"mids\":{\"BTC\":\"65012.5\","
			       "\"ETH\":\"3120.45\",\"@107\":\"27.101\",\"PURR/USDC\":\"0.18855\","
			       "\"xyz:AVERYLONGNAME\":\"1\"}}}"), 0);
	assert_int_equal(f->msg.kind, HL_WS_ALL_MIDS);
	assert_int_equal(f->msg.list.n, 4);
	assert_int_equal(f->msg.list.total, 4);
	assert_int_equal(f->msg.list.skipped, 1);
	assert_string_equal(f->mids[0].coin, "BTC");
	assert_true(f->mids[0].px == 6501250000000LL);
	assert_string_equal(f->mids[2].coin, "@107");
	assert_true(f->mids[2].px == 2710100000LL);
	assert_string_equal(f->mids[3].coin, "PURR/USDC");
	assert_true(f->mids[3].px == 18855000LL);
}

/* ---------------------------------------------------------------- user data */

static void test_ws_order_updates(void **state)
{
	struct fixture *f = *state;
	const char *s =
		"{\"channel\":\"orderUpdates\",\"data\":["
		"{\"order\":{\"coin\":\"BTC\",\"side\":\"B\",\"limitPx\":\"65000.0\",\"sz\":\"0.001\","
		"\"oid\":123456789012,\"timestamp\":1717000000000,\"origSz\":\"0.002\","
		"\"cloid\":\"0x0000000000000000000000000000002a\"},\"status\":\"open\",\"statusTimestamp\":1717000000050},"
		"{\"order\":{\"coin\":\"ETH\",\"side\":\"A\",\"limitPx\":\"3000\",\"sz\":\"0.0\","
		"\"oid\":5,\"timestamp\":1717000000001,\"origSz\":\"1\"},\"status\":\"filled\",\"statusTimestamp\":1717000000060},"
		"{\"order\":{\"coin\":\"ETH\",\"side\":\"A\",\"limitPx\":\"3000\",\"sz\":\"1\","
		"\"oid\":6,\"timestamp\":1717000000002,\"origSz\":\"1\"},\"status\":\"badAloPxRejected\",\"statusTimestamp\":1717000000070},"
		"{\"order\":{\"coin\":\"ETH\",\"side\":\"A\",\"limitPx\":\"3000\",\"sz\":\"1\","
		"\"oid\":7,\"timestamp\":1717000000003,\"origSz\":\"1\"},\"status\":\"brandNewStatus\",\"statusTimestamp\":1717000000080}]}";
	assert_int_equal(ws(f, s), 0);
	assert_int_equal(f->msg.kind, HL_WS_ORDER_UPDATES);
	assert_int_equal(f->msg.list.n, 4);
	const struct hl_order_update *u = f->orders;
	assert_string_equal(u[0].order.coin, "BTC");
	assert_int_equal(u[0].order.side, HAT_SIDE_BUY);
	assert_true(u[0].order.limit_px == 6500000000000LL);
	assert_true(u[0].order.sz == 100000LL);
	assert_true(u[0].order.orig_sz == 200000LL);
	assert_true(u[0].order.oid == 123456789012ULL);
	assert_true(u[0].order.timestamp_ms == 1717000000000ULL);
	assert_int_equal(u[0].order.has_cloid, 1);
	assert_int_equal(u[0].order.cloid[15], 0x2a);
	assert_int_equal(u[0].status, HL_OS_OPEN);
	assert_string_equal(u[0].status_text, "open");
	assert_true(u[0].status_time_ms == 1717000000050ULL);
	assert_false(hl_order_status_is_terminal(u[0].status));
	assert_int_equal(u[1].status, HL_OS_FILLED);
	assert_int_equal(u[1].order.side, HAT_SIDE_SELL);
	assert_int_equal(u[1].order.has_cloid, 0);
	assert_true(u[1].order.sz == 0);
	assert_true(hl_order_status_is_terminal(u[1].status));
	assert_false(hl_order_status_is_reject(u[1].status));
	assert_int_equal(u[2].status, HL_OS_BAD_ALO_PX_REJECTED);
	assert_true(hl_order_status_is_reject(u[2].status));
	assert_int_equal(hl_order_status_reason(u[2].status), HAT_REASON_EXCH_POST_ONLY_CROSS);
	assert_int_equal(u[3].status, HL_OS_UNKNOWN_TERMINAL);
	assert_string_equal(u[3].status_text, "brandNewStatus");
	assert_true(hl_order_status_is_terminal(u[3].status));
}

static void test_ws_order_status_table(void **state)
{
	(void)state;
	static const char *const all[] = {
		"open", "filled", "canceled", "triggered", "rejected", "marginCanceled",
		"vaultWithdrawalCanceled", "openInterestCapCanceled", "selfTradeCanceled",
		"reduceOnlyCanceled", "siblingFilledCanceled", "delistedCanceled",
		"liquidatedCanceled", "scheduledCancel", "tickRejected", "minTradeNtlRejected",
		"perpMarginRejected", "reduceOnlyRejected", "badAloPxRejected", "iocCancelRejected",
		"badTriggerPxRejected", "marketOrderNoLiquidityRejected",
		"positionIncreaseAtOpenInterestCapRejected", "positionFlipAtOpenInterestCapRejected",
		"tooAggressiveAtOpenInterestCapRejected", "openInterestIncreaseRejected",
		"insufficientSpotBalanceRejected", "oracleRejected", "perpMaxPositionRejected",
		"internalCancel", "outcomeSettledCanceled", "tooManyOpenOrdersRejected",
	};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		enum hl_order_status st = hl_order_status_from_str(all[i], strlen(all[i]));
		assert_int_equal(st, (int)i + 1);
		assert_string_equal(hl_order_status_name(st), all[i]);
		bool live = strcmp(all[i], "open") == 0 || strcmp(all[i], "triggered") == 0;
		assert_true(hl_order_status_is_terminal(st) == !live);
		bool rej = strstr(all[i], "ejected") != NULL;
		assert_true(hl_order_status_is_reject(st) == rej);
		if (!rej)
			assert_int_equal(hl_order_status_reason(st), HAT_REASON_NONE);
		else
			assert_int_not_equal(hl_order_status_reason(st), HAT_REASON_NONE);
	}
	assert_int_equal(hl_order_status_reason(HL_OS_TICK_REJECTED), HAT_REASON_EXCH_TICK);
	assert_int_equal(hl_order_status_reason(HL_OS_MIN_TRADE_NTL_REJECTED), HAT_REASON_EXCH_MIN_VALUE);
	assert_int_equal(hl_order_status_reason(HL_OS_PERP_MARGIN_REJECTED), HAT_REASON_EXCH_MARGIN);
	assert_int_equal(hl_order_status_reason(HL_OS_IOC_CANCEL_REJECTED), HAT_REASON_EXCH_IOC_NO_MATCH);
	assert_int_equal(hl_order_status_from_str("ope", 3), HL_OS_UNKNOWN_TERMINAL);
	assert_int_equal(hl_order_status_from_str("openX", 5), HL_OS_UNKNOWN_TERMINAL);
	assert_string_equal(hl_order_status_name(HL_OS_UNKNOWN_TERMINAL), "unknown");
	assert_string_equal(hl_order_status_name(HL_OS_NONE), "unknown");
	assert_false(hl_order_status_is_terminal(HL_OS_NONE));
}

#define FILL_AVAX \
	"{\"coin\":\"AVAX\",\"px\":\"18.435\",\"sz\":\"93.53\",\"side\":\"B\",\"time\":1681222254710," \
	"\"startPosition\":\"26.86\",\"dir\":\"Open Long\",\"closedPnl\":\"0.0\"," \
	"\"hash\":\"0xa166e3fa63c25663024b03f2e0da011a00307e4017465df020210d3d432e7cb8\"," \
	"\"oid\":90542681,\"crossed\":false,\"fee\":\"0.01\",\"tid\":118906512037719,\"feeToken\":\"USDC\"," \
	"\"builderFee\":\"0.01\",\"cloid\":\"0x0000000000000000000000000000002a\",\"liquidation\":null}"
#define FILL_SHORT \
	"{\"coin\":\"BTC\",\"px\":\"65000\",\"sz\":\"0.1\",\"side\":\"A\",\"time\":1681222254711," \
	"\"startPosition\":\"-0.5\",\"dir\":\"Open Short\",\"closedPnl\":\"-1.25\"," \
	"\"hash\":\"0x0000000000000000000000000000000000000000000000000000000000000000\"," \
	"\"oid\":1,\"crossed\":true,\"fee\":\"-0.0325\",\"tid\":2,\"feeToken\":\"USDC\"," \
	"\"liquidation\":{\"markPx\":\"1\",\"method\":\"market\"}}"

static void check_avax_fill(const struct hl_fill *x)
{
	assert_string_equal(x->coin, "AVAX");
	assert_true(x->px == 1843500000LL);
	assert_true(x->sz == 9353000000LL);
	assert_int_equal(x->side, HAT_SIDE_BUY);
	assert_true(x->time_ms == 1681222254710ULL);
	assert_true(x->start_position == 2686000000LL);
	assert_string_equal(x->dir, "Open Long");
	assert_true(x->closed_pnl == 0);
	assert_int_equal(x->hash[0], 0xa1);
	assert_int_equal(x->hash[31], 0xb8);
	assert_true(x->oid == 90542681ULL);
	assert_int_equal(x->crossed, 0);
	assert_true(x->fee == 1000000LL);
	assert_true(x->builder_fee == 1000000LL);
	assert_true(x->tid == 118906512037719ULL);
	assert_string_equal(x->fee_token, "USDC");
	assert_int_equal(x->has_cloid, 1);
	assert_int_equal(x->cloid[15], 0x2a);
	assert_int_equal(x->liquidation, 0);
}

static void test_ws_user_fills(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ws(f, "{\"channel\":\"userFills\",\"data\":{\"user\":\"0xabc\",\"isSnapshot\":true,"
			       "\"fills\":[" FILL_AVAX "," FILL_SHORT "]}}"), 0);
	assert_int_equal(f->msg.kind, HL_WS_USER_FILLS);
	assert_true(f->msg.u.user_fills.is_snapshot);
	assert_int_equal(f->msg.list.n, 2);
	check_avax_fill(&f->fills[0]);
	const struct hl_fill *x = &f->fills[1];
	assert_int_equal(x->side, HAT_SIDE_SELL);
	assert_true(x->start_position == -50000000LL);
	assert_true(x->closed_pnl == -125000000LL);
	assert_true(x->fee == -3250000LL);
	assert_int_equal(x->crossed, 1);
	assert_int_equal(x->has_cloid, 0);
	assert_int_equal(x->liquidation, 1);
	assert_true(x->builder_fee == 0);

	assert_int_equal(ws(f, "{\"channel\":\"userFills\",\"data\":{\"user\":\"0xabc\",\"fills\":[]}}"), 0);
	assert_false(f->msg.u.user_fills.is_snapshot);
	assert_int_equal(f->msg.list.total, 0);
}

static void test_ws_user_events(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ws(f, "{\"channel\":\"user\",\"data\":{\"fills\":[" FILL_AVAX "]}}"), 0);
	assert_int_equal(f->msg.kind, HL_WS_USER_EVENT);
	assert_int_equal(f->msg.u.user_event.kind, HL_UE_FILLS);
	assert_int_equal(f->msg.list.n, 1);
	check_avax_fill(&f->fills[0]);

	assert_int_equal(ws(f, "{\"channel\":\"user\",\"data\":{\"nonUserCancel\":[{\"coin\":\"BTC\",\"oid\":91490942},"
			       "{\"coin\":\"ETH\",\"oid\":7}]}}"), 0);
	assert_int_equal(f->msg.u.user_event.kind, HL_UE_NON_USER_CANCEL);
	assert_int_equal(f->msg.list.n, 2);
	assert_string_equal(f->cancels[0].coin, "BTC");
	assert_true(f->cancels[0].oid == 91490942ULL);
	assert_string_equal(f->cancels[1].coin, "ETH");

	assert_int_equal(ws(f, "{\"channel\":\"user\",\"data\":{\"funding\":{\"time\":1,\"coin\":\"BTC\","
			       "\"usdc\":\"-0.1\",\"szi\":\"1\",\"fundingRate\":\"0.0001\",\"nSamples\":null}}}"), 0);
	assert_int_equal(f->msg.u.user_event.kind, HL_UE_FUNDING);
	assert_int_equal(ws(f, "{\"channel\":\"user\",\"data\":{\"liquidation\":{\"lid\":1}}}"), 0);
	assert_int_equal(f->msg.u.user_event.kind, HL_UE_LIQUIDATION);
	assert_int_equal(ws(f, "{\"channel\":\"user\",\"data\":{}}"), 0);
	assert_int_equal(f->msg.u.user_event.kind, HL_UE_OTHER);
}

/* ---------------------------------------------------------------- session */

static void test_ws_session_frames(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ws(f, "Websocket connection established."), 0);
	assert_int_equal(f->msg.kind, HL_WS_SKIP);
	assert_int_equal(ws(f, "Websocket connection established.\n"), 0);
	assert_int_equal(f->msg.kind, HL_WS_SKIP);

	assert_int_equal(ws(f, "{\"channel\":\"pong\"}"), 0);
	assert_int_equal(f->msg.kind, HL_WS_PONG);

	assert_int_equal(ws(f, "{\"channel\":\"subscriptionResponse\",\"data\":{\"method\":\"subscribe\","
			       "\"subscription\":{\"type\":\"trades\",\"coin\":\"SOL\"}}}"), 0);
	assert_int_equal(f->msg.kind, HL_WS_SUB_RESPONSE);
	assert_string_equal(f->msg.u.sub.method, "subscribe");
	assert_string_equal(f->msg.u.sub.type, "trades");
	assert_string_equal(f->msg.u.sub.coin, "SOL");
	assert_int_equal(ws(f, "{\"channel\":\"subscriptionResponse\",\"data\":{\"method\":\"unsubscribe\","
			       "\"subscription\":{\"type\":\"allMids\"}}}"), 0);
	assert_string_equal(f->msg.u.sub.method, "unsubscribe");
	assert_string_equal(f->msg.u.sub.type, "allMids");
	assert_string_equal(f->msg.u.sub.coin, "");

	assert_int_equal(ws(f, "{\"channel\": \"error\", \"data\": \"Invalid subscription "
			       "{\\\"type\\\":\\\"l2Book\\\",\\\"coin\\\":\\\"NOPE\\\"}\"}"), 0);
	assert_int_equal(f->msg.kind, HL_WS_ERROR);
	assert_string_equal(f->msg.u.error.text,
			    "Invalid subscription {\"type\":\"l2Book\",\"coin\":\"NOPE\"}");
	assert_false(f->msg.u.error.has_post_id);
	assert_int_equal(ws(f, "{\"channel\":\"error\",\"data\":\"too many pending post requests id=1234\"}"), 0);
	assert_true(f->msg.u.error.has_post_id);
	assert_true(f->msg.u.error.post_id == 1234);
	assert_int_equal(ws(f, "{\"channel\":\"error\",\"data\":\"bad id=12x\"}"), 0);
	assert_false(f->msg.u.error.has_post_id);

	assert_int_equal(ws(f, "{\"channel\":\"notification\",\"data\":{\"notification\":\"hi\"}}"), 0);
	assert_int_equal(f->msg.kind, HL_WS_OTHER);
	assert_string_equal(f->msg.u.other.channel, "notification");
	assert_int_equal(ws(f, "{\"channel\":\"candle\"}"), 0);
	assert_int_equal(f->msg.kind, HL_WS_OTHER);
	assert_string_equal(hl_ws_kind_name(HL_WS_BOOK), "l2Book");
	assert_string_equal(hl_ws_kind_name(HL_WS_USER_EVENT), "user");
}

static void test_ws_post_responses(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ws(f, "{\"channel\":\"post\",\"data\":{\"id\":256,\"response\":{\"type\":\"action\",\"payload\":"
			       "{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":"
			       "[{\"resting\":{\"oid\":88383}}]}}}}}}"), 0);
	assert_int_equal(f->msg.kind, HL_WS_POST);
	assert_true(f->msg.u.post.id == 256);
	assert_int_equal(f->msg.u.post.type, HL_POST_ACTION);
	assert_non_null(f->msg.held);
	struct hl_exch_resp r;
	struct hl_exch_status st[2];
	assert_int_equal(hl_exchange_parse_json(f->msg.u.post.payload, &r, st, 2, f->err,
						sizeof f->err), 0);
	assert_int_equal(r.type, HL_EXRESP_ORDER);
	assert_true(st[0].oid == 88383);
	hl_ws_msg_clear(&f->msg);
	assert_null(f->msg.held);
	hl_ws_msg_clear(&f->msg); /* twice is fine */

	assert_int_equal(ws(f, "{\"channel\":\"post\",\"data\":{\"id\":123,\"response\":{\"type\":\"info\",\"payload\":"
			       "{\"type\":\"l2Book\",\"data\":{\"coin\":\"ETH\",\"time\":1717000000000,\"levels\":"
			       "[[{\"px\":\"3007.1\",\"sz\":\"2.7954\",\"n\":1}],[{\"px\":\"3040.1\",\"sz\":\"3.9499\",\"n\":1}]]}}}}}"), 0);
	assert_int_equal(f->msg.u.post.type, HL_POST_INFO);
	assert_true(f->msg.u.post.id == 123);
	struct hat_msg_book b;
	assert_int_equal(hl_info_parse_l2book(cJSON_GetObjectItem(f->msg.u.post.payload, "data"),
					      &f->meta, 7, &b, f->err, sizeof f->err), 0);
	assert_int_equal(b.asset, 1);
	assert_true(b.asks[0].px == 304010000000LL);
	hl_ws_msg_clear(&f->msg);

	assert_int_equal(ws(f, "{\"channel\":\"post\",\"data\":{\"id\":124,\"response\":{\"type\":\"error\","
			       "\"payload\":\"429 Too Many Requests\"}}}"), 0);
	assert_int_equal(f->msg.u.post.type, HL_POST_ERROR);
	assert_string_equal(f->msg.u.post.payload->valuestring, "429 Too Many Requests");
	hl_ws_msg_clear(&f->msg);
}

/* ---------------------------------------------------------------- bad input */

static void expect_ws_error(struct fixture *f, const char *frame, int rc, const char *want)
{
	int got = ws(f, frame);
	if (got != rc)
		fail_msg("%s: rc %d, want %d (%s)", frame, got, rc, f->err);
	assert_string_equal(f->err, want);
	assert_null(f->msg.held);
}

static void test_ws_rejects_malformed(void **state)
{
	struct fixture *f = *state;
	expect_ws_error(f, "", HAT_E_PARSE, "empty input");
	expect_ws_error(f, "Websocket connection established!", HAT_E_PARSE, "invalid JSON at byte 0");
	expect_ws_error(f, "[1,2]", HAT_E_PARSE, "expected a JSON object");
	expect_ws_error(f, "{\"data\":{}}", HAT_E_PARSE, "channel: missing");
	expect_ws_error(f, "{\"channel\":7}", HAT_E_PARSE, "channel: expected a string");
	expect_ws_error(f, "{\"channel\":\"l2Book\"}", HAT_E_PARSE, "l2Book: missing data");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":null}", HAT_E_PARSE,
			"l2Book: expected an object");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":"
			   "[[{\"px\":\"4\",\"sz\":\"1\",\"n\":1},{\"px\":\"3\",\"sz\":\"1\",\"n\":1},"
			   "{\"px\":\"2\",\"sz\":\"1\",\"n\":1},{\"px\":1,\"sz\":\"1\",\"n\":1}],[]]}}",
			HAT_E_PARSE, "l2Book.levels[0][3].px: expected a string");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":"
			   "[[],[{\"px\":\"4\",\"sz\":\"1\",\"n\":1},{\"px\":\"4\",\"sz\":\"1\",\"n\":1}]]}}",
			HAT_E_PARSE, "l2Book.levels[1][1].px: not above the previous level");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":"
			   "[[{\"px\":\"4\",\"sz\":\"1\",\"n\":1},{\"px\":\"5\",\"sz\":\"1\",\"n\":1}],[]]}}",
			HAT_E_PARSE, "l2Book.levels[0][1].px: not below the previous level");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":"
			   "[[{\"px\":\"4\",\"sz\":\"0\",\"n\":1}],[]]}}",
			HAT_E_PARSE, "l2Book.levels[0][0].sz: must be > 0");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":"
			   "[[{\"px\":\"-4\",\"sz\":\"1\",\"n\":1}],[]]}}",
			HAT_E_PARSE, "l2Book.levels[0][0].px: must be > 0");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":"
			   "[[{\"px\":\"4\",\"sz\":\"1\",\"n\":4294967296}],[]]}}",
			HAT_E_PARSE, "l2Book.levels[0][0].n: integer 4294967296 out of range (max 4294967295)");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":[[]]}}",
			HAT_E_PARSE, "l2Book.levels: expected 2 arrays [bids, asks]");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":[{},[]]}}",
			HAT_E_PARSE, "l2Book.levels[0]: expected an array");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":[[3],[]]}}",
			HAT_E_PARSE, "l2Book.levels[0][0]: expected an object");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":\"1\",\"levels\":[[],[]]}}",
			HAT_E_PARSE, "l2Book.time: expected an integer");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"ABCDEFGHIJKLMNOPQ\",\"time\":1,\"levels\":[[],[]]}}",
			HAT_E_PARSE, "l2Book.coin: longer than 15 bytes");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"DOGE\",\"time\":1,\"levels\":[[],[]]}}",
			-ENOENT, "l2Book.coin: unknown coin \"DOGE\"");
	expect_ws_error(f, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"levels\":"
			   "[[{\"px\":\"4.123456789\",\"sz\":\"1\",\"n\":1}],[]]}}",
			HAT_E_PARSE, "l2Book.levels[0][0].px: \"4.123456789\": more than 8 decimals");
	expect_ws_error(f, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"DOGE\",\"side\":\"B\",\"px\":\"1\","
			   "\"sz\":\"1\",\"time\":1,\"tid\":1}]}",
			-ENOENT, "trades[0].coin: unknown coin \"DOGE\"");
	expect_ws_error(f, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"X\",\"px\":\"1\","
			   "\"sz\":\"1\",\"time\":1,\"tid\":1}]}",
			HAT_E_PARSE, "trades[0].side: expected \"B\" or \"A\", got \"X\"");
	expect_ws_error(f, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\",\"px\":\"1\","
			   "\"sz\":\"1\",\"time\":1,\"tid\":18014398509481984}]}",
			HAT_E_PARSE, "trades[0].tid: integer out of range (max 2^53-1)");
	expect_ws_error(f, "{\"channel\":\"trades\",\"data\":{}}", HAT_E_PARSE, "trades: expected an array");
	expect_ws_error(f, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\",\"px\":\"90000000000.00000001\","
			   "\"sz\":\"1\",\"time\":1,\"tid\":1}]}",
			HAT_E_PARSE, "trades[0].px: \"90000000000.00000001\": magnitude over 90000000000");
	expect_ws_error(f, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"\",\"side\":\"B\",\"px\":\"1\","
			   "\"sz\":\"1\",\"time\":1,\"tid\":1}]}",
			HAT_E_PARSE, "trades[0].coin: empty coin");
	expect_ws_error(f, "{\"channel\":\"bbo\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"bbo\":[null]}}",
			HAT_E_PARSE, "bbo.bbo: expected 2 elements [bid, ask]");
	expect_ws_error(f, "{\"channel\":\"bbo\",\"data\":{\"coin\":\"BTC\",\"time\":1,\"bbo\":[null,7]}}",
			HAT_E_PARSE, "bbo.bbo[1]: expected an object or null");
	expect_ws_error(f, "{\"channel\":\"allMids\",\"data\":{\"mids\":{\"BTC\":65000}}}",
			HAT_E_PARSE, "allMids.mids.BTC: expected a string");
	expect_ws_error(f, "{\"channel\":\"allMids\",\"data\":{}}", HAT_E_PARSE, "allMids.mids: missing");
	expect_ws_error(f, "{\"channel\":\"orderUpdates\",\"data\":[{\"order\":{\"coin\":\"BTC\",\"side\":\"B\","
			   "\"limitPx\":\"1\",\"sz\":\"1\",\"oid\":1,\"timestamp\":1,\"cloid\":\"0x2A\"},"
			   "\"status\":\"open\",\"statusTimestamp\":1}]}",
			HAT_E_PARSE, "orderUpdates[0].order.cloid: cloid \"0x2A\": uppercase at position 3 "
				     "(expected 0x and 32 lowercase hex digits)");
	expect_ws_error(f, "{\"channel\":\"orderUpdates\",\"data\":[{\"order\":{\"coin\":\"BTC\",\"side\":\"B\","
			   "\"limitPx\":\"1\",\"sz\":\"1\",\"oid\":1,\"timestamp\":1},"
			   "\"status\":5,\"statusTimestamp\":1}]}",
			HAT_E_PARSE, "orderUpdates[0].status: expected a string");
	expect_ws_error(f, "{\"channel\":\"userFills\",\"data\":{\"fills\":[{\"coin\":\"BTC\"}]}}",
			HAT_E_PARSE, "userFills.fills[0].px: missing");
	expect_ws_error(f, "{\"channel\":\"user\",\"data\":{\"fills\":{}}}", HAT_E_PARSE,
			"user.fills: expected an array");
	expect_ws_error(f, "{\"channel\":\"user\",\"data\":{\"nonUserCancel\":[{\"coin\":\"BTC\"}]}}",
			HAT_E_PARSE, "user.nonUserCancel[0].oid: missing");
	expect_ws_error(f, "{\"channel\":\"subscriptionResponse\",\"data\":{\"method\":\"subscribe\"}}",
			HAT_E_PARSE, "subscriptionResponse.subscription: missing");
	expect_ws_error(f, "{\"channel\":\"error\",\"data\":{}}", HAT_E_PARSE, "error: expected a string");
	expect_ws_error(f, "{\"channel\":\"post\",\"data\":{\"id\":1,\"response\":{\"type\":\"x\",\"payload\":{}}}}",
			HAT_E_PARSE, "post.response.type: expected \"info\", \"action\" or \"error\"");
	expect_ws_error(f, "{\"channel\":\"post\",\"data\":{\"id\":1,\"response\":{\"type\":\"action\",\"payload\":\"x\"}}}",
			HAT_E_PARSE, "post.response.payload: expected an object");
	expect_ws_error(f, "{\"channel\":\"post\",\"data\":{\"response\":{}}}", HAT_E_PARSE,
			"post.id: missing");
	expect_ws_error(f, "{\"channel\":\"pong\"} {", HAT_E_PARSE,
			"invalid JSON at byte 19: trailing data");
}

/* Every prefix of a valid frame is rejected cleanly (no crash, no leak, a message). */
static void test_ws_truncated_frames(void **state)
{
	struct fixture *f = *state;
	for (size_t n = 0; n < strlen(book_frame); n++) {
		char err[256] = "";
		int rc = hl_ws_parse(book_frame, n, 1, &f->meta, &f->bufs, &f->msg, err, sizeof err);
		assert_int_equal(rc, HAT_E_PARSE);
		assert_true(err[0] != '\0');
		assert_null(f->msg.held);
	}
}

static void test_ws_hostile_nesting(void **state)
{
	struct fixture *f = *state;
	size_t depth = 5000;
	char *s = malloc(2 * depth + 64);
	size_t k = (size_t)sprintf(s, "{\"channel\":\"l2Book\",\"data\":");
	for (size_t i = 0; i < depth; i++)
		s[k++] = '[';
	for (size_t i = 0; i < depth; i++)
		s[k++] = ']';
	s[k++] = '}';
	assert_int_equal(hl_ws_parse(s, k, 1, &f->meta, &f->bufs, &f->msg, f->err, sizeof f->err),
			 HAT_E_PARSE);
	assert_non_null(strstr(f->err, "invalid JSON at byte"));
	free(s);
	/* a frame that is not NUL-terminated: the parser reads only len bytes */
	char buf[32];
	memcpy(buf, "{\"channel\":\"pong\"}XXXXXXXXXXXXX", 31);
	assert_int_equal(hl_ws_parse(buf, 18, 1, NULL, NULL, &f->msg, NULL, 0), 0);
	assert_int_equal(f->msg.kind, HL_WS_PONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ws_l2book, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_l2book_keeps_top_ten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_trades, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_bbo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_all_mids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_order_updates, setup, teardown),
		cmocka_unit_test(test_ws_order_status_table),
		cmocka_unit_test_setup_teardown(test_ws_user_fills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_user_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_session_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_post_responses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_rejects_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_truncated_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ws_hostile_nesting, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
