/* tests/unit/test_msg.c -- message validators, names, formatters, seq checker, reject counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/msg.h"

#define FX(x) ((int64_t)((x) * HAT_FX_ONE))

/* ---------------------------------------------------------------- valid messages */

static struct hat_msg_book book(void)
{
	struct hat_msg_book m;
	assert_int_equal(hat_msg_init(&m.h, HAT_MSG_BOOK), 0);
	m.h.seq = 7;
	hat_coin_set(m.coin, "BTC");
	m.n_bids = 2;
	m.n_asks = 2;
	m.bids[0] = (struct hat_level){ FX(100), FX(1), 3, 0 };
	m.bids[1] = (struct hat_level){ FX(99.5), FX(2), 1, 0 };
	m.asks[0] = (struct hat_level){ FX(100.5), FX(1.5), 2, 0 };
	m.asks[1] = (struct hat_level){ FX(101), FX(3), 4, 0 };
	m.exch_time_ms = 1700000000123ull;
	return m;
}

static struct hat_msg_trade trade(void)
{
	struct hat_msg_trade m;
	hat_msg_init(&m.h, HAT_MSG_TRADE);
	m.h.seq = 42;
	hat_coin_set(m.coin, "BTC");
	m.side = HAT_SIDE_BUY;
	m.px = FX(67000.5);
	m.sz = FX(0.5);
	m.tid = 7;
	m.exch_time_ms = 1700000000123ull;
	return m;
}

static struct hat_msg_bbo bbo(void)
{
	struct hat_msg_bbo m;
	hat_msg_init(&m.h, HAT_MSG_BBO);
	hat_coin_set(m.coin, "ETH");
	m.has_bid = m.has_ask = 1;
	m.bid = (struct hat_level){ FX(3000), FX(1), 1, 0 };
	m.ask = (struct hat_level){ FX(3001), FX(2), 1, 0 };
	return m;
}

static struct hat_msg_intent intent(void)
{
	struct hat_msg_intent m;
	hat_msg_init(&m.h, HAT_MSG_INTENT);
	memset(m.o.cloid, 0xab, HAT_CLOID_LEN);
	hat_coin_set(m.o.coin, "SOL");
	m.o.kind = HAT_INTENT_NEW;
	m.o.side = HAT_SIDE_SELL;
	m.o.tif = HAT_TIF_ALO;
	m.o.flags = HAT_OF_POST_ONLY;
	m.o.strategy_id = 3;
	m.o.px = FX(150.25);
	m.o.sz = FX(2);
	return m;
}

static struct hat_msg_order order(void)
{
	struct hat_msg_order m;
	hat_msg_init(&m.h, HAT_MSG_ORDER);
	struct hat_msg_intent i = intent();
	m.o = i.o;
	m.risk_seq = 11;
	m.intent_seq = 5;
	return m;
}

static struct hat_msg_exec exec_fill(void)
{
	struct hat_msg_exec m;
	hat_msg_init(&m.h, HAT_MSG_EXEC);
	memset(m.cloid, 0x01, HAT_CLOID_LEN);
	hat_coin_set(m.coin, "BTC");
	m.kind = HAT_EXEC_FILL;
	m.side = HAT_SIDE_BUY;
	m.flags = HAT_EXEC_F_TAKER;
	m.oid = 99;
	m.px = FX(67000);
	m.sz = FX(0.1);
	m.remaining_sz = FX(0.2);
	m.fee = FX(-0.5);
	m.tid = 1234;
	return m;
}

static struct hat_msg_position position(void)
{
	struct hat_msg_position m;
	hat_msg_init(&m.h, HAT_MSG_POSITION);
	hat_coin_set(m.coin, "ETH");
	m.trading_state = HAT_TS_ACTIVE;
	m.szi = FX(-1.5);
	m.entry_px = FX(3000);
	m.mark_px = FX(2990);
	m.unrealized_pnl = FX(15);
	return m;
}

static struct hat_msg_control control(void)
{
	struct hat_msg_control m;
	hat_msg_init(&m.h, HAT_MSG_CONTROL);
	m.cmd = HAT_CTL_HALT;
	m.from_stage = HAT_STAGE_OPERATOR;
	hat_text_set(m.text, sizeof m.text, "operator");
	return m;
}

/* Validates and checks code and exact message. */
#define EXPECT(msgp, code, text) do { \
		char err_[160] = "unset"; \
		assert_int_equal(hat_msg_validate((msgp), sizeof *(msgp), err_, sizeof err_), (code)); \
		assert_string_equal(err_, (text)); \
	} while (0)

/* ---------------------------------------------------------------- header */

static void test_msg_valid_messages_pass(void **state)
{
	(void)state;
	struct hat_msg_book b = book();
	struct hat_msg_trade t = trade();
	struct hat_msg_bbo q = bbo();
	struct hat_msg_intent i = intent();
	struct hat_msg_order o = order();
	struct hat_msg_exec e = exec_fill();
	struct hat_msg_position p = position();
	struct hat_msg_control c = control();
	EXPECT(&b, 0, "");
	EXPECT(&t, 0, "");
	EXPECT(&q, 0, "");
	EXPECT(&i, 0, "");
	EXPECT(&o, 0, "");
	EXPECT(&e, 0, "");
	EXPECT(&p, 0, "");
	EXPECT(&c, 0, "");
	/* A message in a bigger slot is fine. */
	uint8_t slot[HAT_SLOT_MD];
	memset(slot, 0xee, sizeof slot);
	memcpy(slot, &t, sizeof t);
	assert_int_equal(hat_msg_validate(slot, sizeof slot, NULL, 0), 0);
}

static void test_msg_init_sets_header(void **state)
{
	(void)state;
	struct hat_msg_exec e;
	memset(&e, 0x55, sizeof e);
	assert_int_equal(hat_msg_init(&e.h, HAT_MSG_EXEC), 0);
	assert_int_equal(e.h.type, HAT_MSG_EXEC);
	assert_int_equal(e.h.version, HAT_MSG_EXEC_VERSION);
	assert_int_equal(e.h.length, sizeof e);
	assert_int_equal(e.h.seq, 0);
	assert_int_equal(e.oid, 0);
	assert_int_equal(e.text[HAT_TEXT_LEN - 1], 0);
	assert_int_equal(hat_msg_init(&e.h, 0), HAT_E_BADTYPE);
	assert_int_equal(hat_msg_init(&e.h, 9), HAT_E_BADTYPE);
}

static void test_msg_rejects_unknown_type(void **state)
{
	(void)state;
	struct hat_msg_trade t = trade();
	t.h.type = 99;
	EXPECT(&t, HAT_E_BADTYPE, "msg: unknown type 99");
	t.h.type = 0;
	EXPECT(&t, HAT_E_BADTYPE, "msg: unknown type 0");
}

static void test_msg_rejects_unknown_version(void **state)
{
	(void)state;
	struct hat_msg_trade t = trade();
	t.h.version = 2;
	EXPECT(&t, HAT_E_BADMSGVER, "TRADE: unknown version 2 (expected 1)");
}

static void test_msg_rejects_length_mismatch(void **state)
{
	(void)state;
	struct hat_msg_trade t = trade();
	t.h.length = 100;
	EXPECT(&t, HAT_E_BADLEN, "TRADE: length 100 does not match 88");
	t = trade();
	char err[128];
	assert_int_equal(hat_msg_validate(&t, 64, err, sizeof err), HAT_E_BADLEN);
	assert_string_equal(err, "TRADE: length 88 exceeds the 64 bytes available");
	assert_int_equal(hat_msg_validate(&t, 16, err, sizeof err), HAT_E_BADLEN);
	assert_string_equal(err, "msg: 16 bytes, shorter than the 32-byte header");
}

static void test_msg_validate_on_rejects_type_not_on_ring(void **state)
{
	(void)state;
	struct hat_msg_exec e = exec_fill();
	char err[128];
	assert_int_equal(hat_msg_validate_on(&e, sizeof e, HAT_MSGS_MD, err, sizeof err), HAT_E_BADTYPE);
	assert_string_equal(err, "EXEC: type not allowed on this ring");
	assert_int_equal(hat_msg_validate_on(&e, sizeof e, HAT_MSGS_EXEC, err, sizeof err), 0);
}

/* ---------------------------------------------------------------- BOOK */

static void test_msg_book_rejects(void **state)
{
	(void)state;
	struct hat_msg_book b;
	b = book(); memset(b.coin, 'X', sizeof b.coin);
	EXPECT(&b, HAT_E_RANGE, "BOOK.coin: not NUL-terminated");
	b = book(); memset(b.coin, 0, sizeof b.coin);
	EXPECT(&b, HAT_E_RANGE, "BOOK.coin: empty");
	b = book(); b.n_bids = 11;
	EXPECT(&b, HAT_E_RANGE, "BOOK.n_bids: must be <= 10 (got 11)");
	b = book(); b.n_asks = 200;
	EXPECT(&b, HAT_E_RANGE, "BOOK.n_asks: must be <= 10 (got 200)");
	b = book(); b.flags = 4;
	EXPECT(&b, HAT_E_RANGE, "BOOK.flags: unknown bits 0x4 (allowed 0x3)");
	b = book(); b.bids[1].px = 0;
	EXPECT(&b, HAT_E_RANGE, "BOOK.bids[1].px: must be > 0 (got 0)");
	b = book(); b.asks[0].sz = -FX(1);
	EXPECT(&b, HAT_E_RANGE, "BOOK.asks[0].sz: must be > 0 (got -1)");
	b = book(); b.bids[0].sz = HAT_FX_MAX + 1;
	EXPECT(&b, HAT_E_RANGE, "BOOK.bids[0].sz: magnitude over HAT_FX_MAX (got 90000000000.00000001)");
	b = book(); b.bids[1].px = FX(100);
	EXPECT(&b, HAT_E_RANGE, "BOOK.bids[1].px: must be < bids[0].px (got 100 >= 100)");
	b = book(); b.asks[1].px = FX(100.25);
	EXPECT(&b, HAT_E_RANGE, "BOOK.asks[1].px: must be > asks[0].px (got 100.25 <= 100.5)");
	/* Levels past n are not looked at. */
	b = book(); b.bids[5].px = -1; b.n_asks = 0;
	EXPECT(&b, 0, "");
}

/* ---------------------------------------------------------------- TRADE, BBO */

static void test_msg_trade_rejects(void **state)
{
	(void)state;
	struct hat_msg_trade t;
	t = trade(); t.side = 0;
	EXPECT(&t, HAT_E_RANGE, "TRADE.side: must be 1..2 (got 0)");
	t = trade(); t.side = 3;
	EXPECT(&t, HAT_E_RANGE, "TRADE.side: must be 1..2 (got 3)");
	t = trade(); t.px = -5 * HAT_FX_ONE;
	EXPECT(&t, HAT_E_RANGE, "TRADE.px: must be > 0 (got -5)");
	t = trade(); t.sz = 0;
	EXPECT(&t, HAT_E_RANGE, "TRADE.sz: must be > 0 (got 0)");
	t = trade(); t.px = INT64_MAX;
	EXPECT(&t, HAT_E_RANGE, "TRADE.px: magnitude over HAT_FX_MAX (got 92233720368.54775807)");
	t = trade(); t.coin[HAT_COIN_LEN - 1] = 'Z'; memset(t.coin, 'A', HAT_COIN_LEN);
	EXPECT(&t, HAT_E_RANGE, "TRADE.coin: not NUL-terminated");
}

static void test_msg_bbo_rejects(void **state)
{
	(void)state;
	struct hat_msg_bbo q;
	q = bbo(); q.has_bid = 2;
	EXPECT(&q, HAT_E_RANGE, "BBO.has_bid: must be 0..1 (got 2)");
	q = bbo(); q.ask.px = 0;
	EXPECT(&q, HAT_E_RANGE, "BBO.ask.px: must be > 0 (got 0)");
	q = bbo(); q.has_ask = 0; q.ask.px = 0;
	EXPECT(&q, 0, "");
	q = bbo(); q.bid.sz = -1;
	EXPECT(&q, HAT_E_RANGE, "BBO.bid.sz: must be > 0 (got -0.00000001)");
}

/* ---------------------------------------------------------------- INTENT, ORDER */

static void test_msg_intent_rejects(void **state)
{
	(void)state;
	struct hat_msg_intent i;
	i = intent(); i.o.kind = 4;
	EXPECT(&i, HAT_E_RANGE, "INTENT.kind: must be 1..3 (got 4)");
	i = intent(); memset(i.o.cloid, 0, HAT_CLOID_LEN);
	EXPECT(&i, HAT_E_RANGE, "INTENT.cloid: all zero");
	i = intent(); i.o.orig_cloid[3] = 1;
	EXPECT(&i, HAT_E_RANGE, "INTENT.orig_cloid: must be zero for kind new");
	i = intent(); i.o.kind = HAT_INTENT_REPLACE;
	EXPECT(&i, HAT_E_RANGE, "INTENT.orig_cloid: all zero for kind replace");
	i.o.orig_cloid[0] = 9;
	EXPECT(&i, 0, "");
	i = intent(); i.o.flags = 0x20;
	EXPECT(&i, HAT_E_RANGE, "INTENT.flags: unknown bits 0x20 (allowed 0x1f)");
	i = intent(); i.o.side = 0;
	EXPECT(&i, HAT_E_RANGE, "INTENT.side: must be 1..2 (got 0)");
	i = intent(); i.o.tif = 0;
	EXPECT(&i, HAT_E_RANGE, "INTENT.tif: must be 1..3 (got 0)");
	i = intent(); i.o.px = 0;
	EXPECT(&i, HAT_E_RANGE, "INTENT.px: must be > 0 (got 0)");
	i = intent(); i.o.sz = -FX(2);
	EXPECT(&i, HAT_E_RANGE, "INTENT.sz: must be > 0 (got -2)");
	i = intent(); i.o.tif = HAT_TIF_IOC;
	EXPECT(&i, HAT_E_RANGE, "INTENT.flags: POST_ONLY with tif Ioc");
	i = intent(); i.o.flags = HAT_OF_TPSL_TP;
	EXPECT(&i, HAT_E_RANGE, "INTENT.flags: TRIGGER_MARKET/TPSL_TP without TRIGGER");
	i = intent(); i.o.trigger_px = FX(1);
	EXPECT(&i, HAT_E_RANGE, "INTENT.trigger_px: must be 0 without TRIGGER (got 1)");
	i = intent(); i.o.flags = HAT_OF_TRIGGER;
	EXPECT(&i, HAT_E_RANGE, "INTENT.trigger_px: must be > 0 (got 0)");
	i.o.trigger_px = FX(140);
	EXPECT(&i, 0, "");
	/* A cancel needs only the cloid: side/tif/px/sz may be zero. */
	i = intent(); i.o.kind = HAT_INTENT_CANCEL; i.o.side = 0; i.o.tif = 0; i.o.px = 0; i.o.sz = 0;
	i.o.flags = 0;
	EXPECT(&i, 0, "");
	i.o.px = -1;
	EXPECT(&i, HAT_E_RANGE, "INTENT.px: must be >= 0 (got -0.00000001)");
	i.o.px = 0; i.o.side = 5;
	EXPECT(&i, HAT_E_RANGE, "INTENT.side: must be 1..2 (got 5)");
}

static void test_msg_order_rejects(void **state)
{
	(void)state;
	struct hat_msg_order o = order();
	o.risk_seq = 0;
	EXPECT(&o, HAT_E_RANGE, "ORDER.risk_seq: must be > 0");
	o = order(); o.o.coin[0] = 0;
	EXPECT(&o, HAT_E_RANGE, "ORDER.coin: empty");
}

/* ---------------------------------------------------------------- EXEC, POSITION, CONTROL */

static void test_msg_exec_rejects(void **state)
{
	(void)state;
	struct hat_msg_exec e;
	e = exec_fill(); e.kind = 0;
	EXPECT(&e, HAT_E_RANGE, "EXEC.kind: must be 1..7 (got 0)");
	e = exec_fill(); e.side = 3;
	EXPECT(&e, HAT_E_RANGE, "EXEC.side: must be 0..2 (got 3)");
	e = exec_fill(); e.side = 0;
	EXPECT(&e, HAT_E_RANGE, "EXEC.side: must be 1..2 (got 0)");
	e = exec_fill(); e.flags = 0x10;
	EXPECT(&e, HAT_E_RANGE, "EXEC.flags: unknown bits 0x10 (allowed 0xf)");
	e = exec_fill(); e.reason = 50;
	EXPECT(&e, HAT_E_RANGE, "EXEC.reason: unknown reason 50");
	e = exec_fill(); e.reason = HAT_REASON_EXCH_TICK;
	EXPECT(&e, HAT_E_RANGE, "EXEC.reason: must be NONE for kind fill (got EXCH_TICK)");
	e = exec_fill(); e.kind = HAT_EXEC_CANCELED; e.reason = HAT_REASON_EXCH_MARGIN;
	EXPECT(&e, 0, "");
	e = exec_fill(); e.kind = HAT_EXEC_ACK; e.reason = HAT_REASON_EXCH_MARGIN;
	EXPECT(&e, HAT_E_RANGE, "EXEC.reason: must be NONE for kind ack (got EXCH_MARGIN)");
	e = exec_fill(); e.kind = HAT_EXEC_REJECT;
	EXPECT(&e, HAT_E_RANGE, "EXEC.reason: must not be NONE for kind reject");
	e.reason = HAT_REASON_RISK_MAX_POSITION;
	hat_text_set(e.text, sizeof e.text, "max position");
	EXPECT(&e, 0, "");
	memset(e.text, 'x', sizeof e.text);
	EXPECT(&e, HAT_E_RANGE, "EXEC.text: not NUL-terminated");
	e = exec_fill(); e.px = 0;
	EXPECT(&e, HAT_E_RANGE, "EXEC.px: must be > 0 (got 0)");
	e = exec_fill(); e.remaining_sz = -1;
	EXPECT(&e, HAT_E_RANGE, "EXEC.remaining_sz: must be >= 0 (got -0.00000001)");
	e = exec_fill(); e.fee = INT64_MIN;
	EXPECT(&e, HAT_E_RANGE, "EXEC.fee: magnitude over HAT_FX_MAX (got -92233720368.54775808)");
	/* An exchange order without a cloid (OPEN_ORDER snapshot row) is fine. */
	e = exec_fill(); e.kind = HAT_EXEC_OPEN_ORDER; memset(e.cloid, 0, HAT_CLOID_LEN);
	EXPECT(&e, 0, "");
}

static void test_msg_position_rejects(void **state)
{
	(void)state;
	struct hat_msg_position p;
	p = position(); p.trading_state = 0;
	EXPECT(&p, HAT_E_RANGE, "POSITION.trading_state: must be 1..3 (got 0)");
	p = position(); p.flags = HAT_EXEC_F_FINAL;
	EXPECT(&p, HAT_E_RANGE, "POSITION.flags: unknown bits 0x8 (allowed 0x4)");
	p = position(); p.entry_px = -FX(1);
	EXPECT(&p, HAT_E_RANGE, "POSITION.entry_px: must be >= 0 (got -1)");
	p = position(); p.total_pnl = -HAT_FX_MAX - 1;
	EXPECT(&p, HAT_E_RANGE, "POSITION.total_pnl: magnitude over HAT_FX_MAX (got -90000000000.00000001)");
	p = position(); p.szi = -HAT_FX_MAX;
	EXPECT(&p, 0, "");
}

static void test_msg_control_rejects(void **state)
{
	(void)state;
	struct hat_msg_control c;
	c = control(); c.cmd = 11;
	EXPECT(&c, HAT_E_RANGE, "CONTROL.cmd: must be 1..10 (got 11)");
	c = control(); c.from_stage = 0;
	EXPECT(&c, HAT_E_RANGE, "CONTROL.from_stage: must be 1..6 (got 0)");
	c = control(); memset(c.text, 'a', sizeof c.text);
	EXPECT(&c, HAT_E_RANGE, "CONTROL.text: not NUL-terminated");
}

/* ---------------------------------------------------------------- names */

static void test_msg_names(void **state)
{
	(void)state;
	assert_string_equal(hat_msg_type_name(HAT_MSG_BOOK), "BOOK");
	assert_string_equal(hat_msg_type_name(HAT_MSG_CONTROL), "CONTROL");
	assert_string_equal(hat_msg_type_name(0), "?");
	assert_string_equal(hat_msg_type_name(1000), "?");
	assert_int_equal(hat_msg_type_size(HAT_MSG_BOOK), 544);
	assert_int_equal(hat_msg_type_size(77), 0);
	assert_int_equal(hat_msg_type_version(HAT_MSG_ORDER), 1);
	assert_int_equal(hat_msg_type_from_name("POSITION"), HAT_MSG_POSITION);
	assert_int_equal(hat_msg_type_from_name("position"), -ENOENT);
	assert_string_equal(hat_reason_name(HAT_REASON_RISK_MAX_POSITION), "RISK_MAX_POSITION");
	assert_string_equal(hat_reason_name(HAT_REASON_EXCH_TIMEOUT), "EXCH_TIMEOUT");
	assert_string_equal(hat_reason_name(HAT_REASON_NONE), "NONE");
	assert_string_equal(hat_reason_name(20), "?");
	assert_true(hat_reason_valid(100));
	assert_false(hat_reason_valid(99));
	assert_string_equal(hat_side_name(HAT_SIDE_SELL), "sell");
	assert_string_equal(hat_side_name(0), "?");
	assert_string_equal(hat_tif_name(HAT_TIF_ALO), "Alo");
	assert_string_equal(hat_exec_kind_name(HAT_EXEC_CANCEL_REJECT), "cancel_reject");
	assert_string_equal(hat_ctl_cmd_name(HAT_CTL_ESCALATE), "escalate");
	assert_string_equal(hat_stage_name(HAT_STAGE_RISKD), "riskd");
	assert_string_equal(hat_trading_state_name(HAT_TS_REDUCING), "reducing");
	char c[HAT_COIN_LEN];
	assert_int_equal(hat_coin_set(c, ""), -EINVAL);
	assert_int_equal(hat_coin_set(c, "0123456789abcdef"), -ENAMETOOLONG);
	assert_int_equal(c[0], 0);
	assert_int_equal(hat_coin_set(c, "xyz:TSLA"), 0);
	assert_string_equal(c, "xyz:TSLA");
}

/* ---------------------------------------------------------------- formatting */

static void test_msg_format_line(void **state)
{
	(void)state;
	struct hat_buf b = HAT_BUF_INIT;
	struct hat_msg_trade t = trade();
	hat_msg_format(&b, &t, sizeof t);
	assert_string_equal(b.data, "TRADE #42 BTC buy 0.5 @ 67000.5 tid=7 t=1700000000123");
	hat_buf_reset(&b);
	struct hat_msg_book k = book();
	hat_msg_format(&b, &k, sizeof k);
	assert_string_equal(b.data, "BOOK #7 BTC 2x2 bid 1 x 100 ask 100.5 x 1.5 t=1700000000123");
	hat_buf_reset(&b);
	t.px = -1;
	hat_msg_format(&b, &t, sizeof t);
	assert_string_equal(b.data, "TRADE #42 BTC buy 0.5 @ -0.00000001 tid=7 t=1700000000123 "
				    "(invalid: TRADE.px: must be > 0 (got -0.00000001))");
	hat_buf_reset(&b);
	t.h.type = 200;
	hat_msg_format(&b, &t, sizeof t);
	assert_string_equal(b.data, "? #42 type=200 v=1 len=88 (invalid: msg: unknown type 200)");
	hat_buf_reset(&b);
	struct hat_msg_intent i = intent();
	hat_msg_format(&b, &i, sizeof i);
	assert_string_equal(b.data, "INTENT #0 new SOL sell 2 @ 150.25 Alo post-only "
				    "cloid=0xabababababababababababababababab strat=3");
	hat_buf_reset(&b);
	struct hat_msg_control c = control();
	hat_msg_format(&b, &c, sizeof c);
	assert_string_equal(b.data, "CONTROL #0 halt from=operator arg=0 restarts=0 \"operator\"");
	hat_buf_reset(&b);
	struct hat_msg_bbo q = bbo();
	q.has_ask = 0;
	q.exch_time_ms = 5;
	hat_msg_format(&b, &q, sizeof q);
	assert_string_equal(b.data, "BBO #0 ETH bid 1 x 3000 ask - t=5");
	hat_buf_reset(&b);
	struct hat_msg_exec e = exec_fill();
	e.h.seq = 3;
	e.kind = HAT_EXEC_REJECT;
	e.reason = HAT_REASON_EXCH_TICK;
	e.fee = 0;
	hat_text_set(e.text, sizeof e.text, "Price must be divisible by tick size.");
	hat_msg_format(&b, &e, sizeof e);
	assert_string_equal(b.data, "EXEC #3 reject BTC buy 0.1 @ 67000 rem=0.2 oid=99 "
				    "cloid=0x01010101010101010101010101010101 reason=EXCH_TICK "
				    "\"Price must be divisible by tick size.\"");
	hat_buf_reset(&b);
	e = exec_fill();
	hat_msg_format(&b, &e, sizeof e);
	assert_string_equal(b.data, "EXEC #0 fill BTC buy 0.1 @ 67000 fee=-0.5 tid=1234 rem=0.2 oid=99 "
				    "cloid=0x01010101010101010101010101010101");
	hat_buf_reset(&b);
	struct hat_msg_position p = position();
	hat_msg_format(&b, &p, sizeof p);
	assert_string_equal(b.data, "POSITION #0 ETH szi=-1.5 entry=3000 mark=2990 upnl=15 rpnl=0 fees=0 "
				    "total=0 active");
	hat_buf_reset(&b);
	struct hat_msg_order o = order();
	o.o.kind = HAT_INTENT_REPLACE;
	memset(o.o.orig_cloid, 3, HAT_CLOID_LEN);
	o.o.flags = HAT_OF_REDUCE_ONLY;
	o.o.tif = HAT_TIF_GTC;
	hat_msg_format(&b, &o, sizeof o);
	assert_string_equal(b.data, "ORDER #0 replace SOL sell 2 @ 150.25 Gtc reduce-only "
				    "cloid=0xabababababababababababababababab "
				    "orig=0x03030303030303030303030303030303 strat=3 risk_seq=11");
	hat_buf_free(&b);
}

/* Every formatter's JSON parses back, with the right type name. */
static void test_msg_format_json_parses(void **state)
{
	(void)state;
	struct hat_msg_book b1 = book();
	struct hat_msg_trade t1 = trade();
	struct hat_msg_bbo q1 = bbo();
	struct hat_msg_intent i1 = intent();
	struct hat_msg_order o1 = order();
	struct hat_msg_exec e1 = exec_fill();
	struct hat_msg_position p1 = position();
	struct hat_msg_control c1 = control();
	hat_text_set(c1.text, sizeof c1.text, "quote \" and \\ and \n");
	const void *msgs[] = { &b1, &t1, &q1, &i1, &o1, &e1, &p1, &c1 };
	const size_t sizes[] = { sizeof b1, sizeof t1, sizeof q1, sizeof i1, sizeof o1, sizeof e1,
				 sizeof p1, sizeof c1 };
	const char *names[] = { "BOOK", "TRADE", "BBO", "INTENT", "ORDER", "EXEC", "POSITION", "CONTROL" };
	for (size_t k = 0; k < 8; k++) {
		struct hat_buf b = HAT_BUF_INIT;
		hat_msg_format_json(&b, msgs[k], sizes[k]);
		cJSON *j = cJSON_Parse(b.data);
		assert_non_null(j);
		assert_string_equal(cJSON_GetObjectItem(j, "type")->valuestring, names[k]);
		assert_null(cJSON_GetObjectItem(j, "invalid"));
		cJSON_Delete(j);
		hat_buf_free(&b);
	}
	struct hat_buf b = HAT_BUF_INIT;
	hat_msg_format_json(&b, &t1, sizeof t1);
	assert_string_equal(b.data, "{\"type\":\"TRADE\",\"type_id\":2,\"version\":1,\"length\":88,"
				    "\"seq\":42,\"origin_ns\":0,\"send_ns\":0,\"coin\":\"BTC\",\"asset\":0,"
				    "\"side\":\"buy\",\"px\":\"67000.5\",\"sz\":\"0.5\",\"tid\":7,"
				    "\"exch_time_ms\":1700000000123}");
	hat_buf_reset(&b);
	hat_msg_format_json(&b, &c1, sizeof c1);
	cJSON *j = cJSON_Parse(b.data);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "text")->valuestring, "quote \" and \\ and \n");
	cJSON_Delete(j);
	hat_buf_reset(&b);
	b1.bids[0].px = 0;
	hat_msg_format_json(&b, &b1, sizeof b1);
	j = cJSON_Parse(b.data);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "invalid")->valuestring,
			    "BOOK.bids[0].px: must be > 0 (got 0)");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "bids")), 2);
	cJSON_Delete(j);
	hat_buf_free(&b);
}

/* ---------------------------------------------------------------- seq checker */

static void test_msg_seq_check_gaps_and_dups(void **state)
{
	(void)state;
	struct hat_seq_check c;
	hat_seq_check_init(&c);
	assert_int_equal(hat_seq_check(&c, 100), 0); /* first seen: accepted as-is */
	assert_int_equal(hat_seq_check(&c, 101), 0);
	assert_int_equal(hat_seq_check(&c, 105), HAT_E_SEQGAP);
	assert_int_equal(c.last_gap, 3);
	assert_int_equal(hat_seq_check(&c, 106), 0); /* resynchronised */
	assert_int_equal(hat_seq_check(&c, 106), -EALREADY);
	assert_int_equal(hat_seq_check(&c, 50), -EALREADY);
	assert_int_equal(hat_seq_check(&c, 107), 0);
	assert_int_equal(hat_seq_check(&c, 110), HAT_E_SEQGAP);
	assert_int_equal(c.received, 6);
	assert_int_equal(c.gaps, 2);
	assert_int_equal(c.lost, 5);
	assert_int_equal(c.dups, 2);
	assert_int_equal(c.last_gap, 2);
	hat_seq_check_reset(&c);
	assert_int_equal(hat_seq_check(&c, 1), 0); /* after a reset any seq starts afresh */
	assert_int_equal(hat_seq_check(&c, 2), 0);
	assert_int_equal(c.received, 8);
}

static void test_msg_accept_counts_rejects(void **state)
{
	(void)state;
	struct hat_msg_rejects r;
	hat_msg_rejects_init(&r);
	struct hat_msg_trade t = trade();
	assert_int_equal(hat_msg_accept(&r, &t, sizeof t, HAT_MSGS_MD, NULL, 0), 0);
	t.px = 0;
	assert_int_equal(hat_msg_accept(&r, &t, sizeof t, HAT_MSGS_MD, NULL, 0), HAT_E_RANGE);
	t = trade();
	t.h.version = 9;
	char err[128];
	assert_int_equal(hat_msg_accept(&r, &t, sizeof t, HAT_MSGS_MD, err, sizeof err), HAT_E_BADMSGVER);
	assert_string_equal(err, "TRADE: unknown version 9 (expected 1)");
	t.h.type = 77;
	assert_int_equal(hat_msg_accept(&r, &t, sizeof t, HAT_MSGS_MD, NULL, 0), HAT_E_BADTYPE);
	struct hat_msg_exec e = exec_fill();
	assert_int_equal(hat_msg_accept(&r, &e, sizeof e, HAT_MSGS_MD, NULL, 0), HAT_E_BADTYPE);
	t = trade();
	t.h.length = 1;
	assert_int_equal(hat_msg_accept(&r, &t, sizeof t, HAT_MSGS_MD, NULL, 0), HAT_E_BADLEN);
	assert_int_equal(r.total, 5);
	assert_int_equal(r.range, 1);
	assert_int_equal(r.badver, 1);
	assert_int_equal(r.badtype, 2);
	assert_int_equal(r.badlen, 1);
	assert_int_equal(r.by_type[HAT_MSG_TRADE], 3);
	assert_int_equal(r.by_type[HAT_MSG_EXEC], 1);
	assert_int_equal(r.by_type[0], 1);
	assert_int_equal(r.last_code, HAT_E_BADLEN);
	assert_string_equal(r.last_err, "TRADE: length 1 does not match 88");
}

/* Garbage never crashes the validator or the formatters. */
static void test_msg_garbage_never_crashes(void **state)
{
	(void)state;
	uint8_t slot[HAT_MSG_SLOT_ANY];
	uint64_t x = 88172645463325252ull;
	struct hat_buf b = HAT_BUF_INIT;
	for (int n = 0; n < 20000; n++) {
		for (size_t i = 0; i < sizeof slot; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			slot[i] = (uint8_t)x;
		}
		struct hat_msg_hdr *h = (struct hat_msg_hdr *)slot;
		h->type = (uint16_t)(n % 10);
		h->version = (uint16_t)(n % 3 ? 1 : h->version);
		h->length = (uint32_t)(n % 2 ? hat_msg_type_size(h->type) : h->length);
		char err[128];
		int rc = hat_msg_validate(slot, sizeof slot, err, sizeof err);
		assert_true(rc == 0 || rc == HAT_E_BADTYPE || rc == HAT_E_BADMSGVER || rc == HAT_E_BADLEN ||
			    rc == HAT_E_RANGE);
		hat_buf_reset(&b);
		hat_msg_format(&b, slot, sizeof slot);
		hat_msg_format_json(&b, slot, sizeof slot);
		assert_true(hat_buf_ok(&b));
	}
	hat_buf_free(&b);
}

static void test_msg_control_make_fills_every_field(void **state)
{
	(void)state;
	struct hat_msg_control c;
	memset(&c, 0xab, sizeof c);
	hat_msg_control_make(&c, HAT_CTL_HALT, HAT_STAGE_SUPERD, 3, 42,
			     "a cause longer than the forty-seven bytes of the text field here", 77);
	assert_int_equal(c.h.type, HAT_MSG_CONTROL);
	assert_int_equal(c.h.version, HAT_MSG_CONTROL_VERSION);
	assert_int_equal(c.h.length, sizeof c);
	assert_true(c.h.seq == 0 && c.h.send_ns == 0 && c.h.origin_ns == 77);
	assert_int_equal(c.cmd, HAT_CTL_HALT);
	assert_int_equal(c.from_stage, HAT_STAGE_SUPERD);
	assert_int_equal(c.restart_count, 3);
	assert_true(c.arg == 42);
	assert_int_equal(strlen(c.text), sizeof c.text - 1);
	assert_int_equal(c._pad, 0);
	char err[128];
	assert_int_equal(hat_msg_validate(&c, sizeof c, err, sizeof err), 0);
	hat_msg_control_make(&c, HAT_CTL_RESUME, HAT_STAGE_RISKD, 0, 0, NULL, 1);
	assert_string_equal(c.text, "");
}

static void test_msg_exch_time_of_md_only(void **state)
{
	(void)state;
	struct hat_msg_book b;
	struct hat_msg_bbo o;
	struct hat_msg_trade t;
	struct hat_msg_exec x;
	hat_msg_init(&b.h, HAT_MSG_BOOK);
	hat_msg_init(&o.h, HAT_MSG_BBO);
	hat_msg_init(&t.h, HAT_MSG_TRADE);
	hat_msg_init(&x.h, HAT_MSG_EXEC);
	b.exch_time_ms = 1700000000001ull;
	o.exch_time_ms = 1700000000002ull;
	t.exch_time_ms = 1700000000003ull;
	x.exch_time_ms = 1700000000004ull;
	b.h.origin_ns = o.h.origin_ns = t.h.origin_ns = 5; /* receipt time: not used */
	assert_int_equal(hat_msg_exch_time_ms(&b.h), 1700000000001ull);
	assert_int_equal(hat_msg_exch_time_ms(&o.h), 1700000000002ull);
	assert_int_equal(hat_msg_exch_time_ms(&t.h), 1700000000003ull);
	assert_int_equal(hat_msg_exch_time_ms(&x.h), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_control_make_fills_every_field),
		cmocka_unit_test(test_msg_valid_messages_pass),
		cmocka_unit_test(test_msg_init_sets_header),
		cmocka_unit_test(test_msg_rejects_unknown_type),
		cmocka_unit_test(test_msg_rejects_unknown_version),
		cmocka_unit_test(test_msg_rejects_length_mismatch),
		cmocka_unit_test(test_msg_validate_on_rejects_type_not_on_ring),
		cmocka_unit_test(test_msg_book_rejects),
		cmocka_unit_test(test_msg_trade_rejects),
		cmocka_unit_test(test_msg_bbo_rejects),
		cmocka_unit_test(test_msg_intent_rejects),
		cmocka_unit_test(test_msg_order_rejects),
		cmocka_unit_test(test_msg_exec_rejects),
		cmocka_unit_test(test_msg_position_rejects),
		cmocka_unit_test(test_msg_control_rejects),
		cmocka_unit_test(test_msg_names),
		cmocka_unit_test(test_msg_format_line),
		cmocka_unit_test(test_msg_format_json_parses),
		cmocka_unit_test(test_msg_seq_check_gaps_and_dups),
		cmocka_unit_test(test_msg_accept_counts_rejects),
		cmocka_unit_test(test_msg_garbage_never_crashes),
		cmocka_unit_test(test_msg_exch_time_of_md_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
