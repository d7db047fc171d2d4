/* tests/unit/test_risk_limits.c -- every pre-trade check at, just under and just over its
 * limit, with the exact reason; the documented order of the checks. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/msg.h"
#include "riskd/limits.h"

#define ONE HAT_FX_ONE
#define S 1000000000ULL
#define NOW (1000 * S)
/* x in units of 1e-5 (BTC lots) / 1e-4 (ETH lots) to keep the table readable */
#define L5(x) ((int64_t)(x) * 1000)
#define L4(x) ((int64_t)(x) * 10000)


static const char names[2][HAT_COIN_LEN] = {"BTC", "ETH"};
static const uint32_t assets[2] = {0, 1};

static struct risk_limits lim = {
	.n_coins = 2,
	.coin = {
		{ .max_order_sz = 1 * ONE, .max_order_notional = 50000 * ONE, .max_position = 2 * ONE,
		  .price_band_bps = 100, .max_open_orders = 3, .sz_decimals = 5 },
		{ .max_order_sz = 10 * ONE, .max_order_notional = 20000 * ONE,
		  .max_position = 20 * ONE, .price_band_bps = 200, .max_open_orders = 5,
		  .sz_decimals = 4 },
	},
	.max_gross_notional = 150000 * ONE,
	.max_net_notional = 100000 * ONE,
	.max_open_orders = 6,
	.mark_max_age_ns = 2 * S,
};

struct fx {
	struct risk_book book;
	struct risk_recent recent;
	struct risk_throttle otb, ctb;
	struct risk_check_env env;
};

static int setup(void **state)
{
	static struct fx f;
	assert_int_equal(risk_book_init(&f.book, names, assets, 2, 64, 64), 0);
	assert_int_equal(risk_recent_init(&f.recent, 64), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	risk_book_free(&f->book);
	risk_recent_free(&f->recent);
	return 0;
}

/* One case: the book state before, the intent, the expected reason. */
struct tcase {
	const char *name;
	uint8_t kind;            /* 0 -> NEW */
	const char *coin;        /* NULL -> BTC */
	int asset;               /* -1 -> the coin's */
	uint8_t side;            /* 0 -> BUY */
	uint8_t tif;             /* 0 -> GTC; 255 -> 0 */
	uint8_t flags;
	int64_t px;              /* 0 -> 50000 for BTC, 2000 for ETH; -1 -> 0 */
	int64_t sz;              /* -1 -> 0 */
	int64_t trigger_px;
	uint8_t cloid;           /* 0 -> 200; 255 -> zero cloid */
	uint8_t orig;            /* REPLACE/CANCEL target */
	uint8_t ts;              /* 0 -> ACTIVE */
	uint8_t not_ready;
	int64_t btc_szi, eth_szi;
	int64_t btc_wbuy, btc_wsell; /* working BTC orders, cloid 50 (buy) and 51 (sell) */
	uint8_t btc_orders, eth_orders; /* extra small working orders (cloids 60.., 80..) */
	uint64_t btc_mark_age;   /* ns */
	uint8_t eth_no_mark;
	uint8_t recent;          /* cloid 200 in the recent set */
	uint8_t drain_orders, drain_cancels;
	enum hat_reason want;
};

static void add_working(struct risk_book *b, uint8_t id, uint16_t coin, uint8_t side,
                        int64_t px, int64_t sz)
{
	struct risk_order o;
	memset(&o, 0, sizeof o);
	o.cloid[15] = id;
	o.coin = coin;
	o.side = side;
	o.px = px;
	o.sz = o.remaining = sz;
	assert_int_equal(risk_book_order_add(b, &o), 0);
}

static void run_case(struct fx *f, const struct tcase *c)
{
	struct risk_book *b = &f->book;
	risk_book_reset(b);
	risk_recent_clear(&f->recent);
	risk_book_set_mark(b, 0, 50000 * ONE, NOW - c->btc_mark_age);
	risk_book_set_mark(b, 1, c->eth_no_mark ? 0 : 2000 * ONE, NOW);
	if (c->btc_szi)
		risk_book_set_position(b, 0, c->btc_szi, 50000 * ONE, 0, 0);
	if (c->eth_szi)
		risk_book_set_position(b, 1, c->eth_szi, 2000 * ONE, 0, 0);
	if (c->btc_wbuy)
		add_working(b, 50, 0, HAT_SIDE_BUY, 49000 * ONE, c->btc_wbuy);
	if (c->btc_wsell)
		add_working(b, 51, 0, HAT_SIDE_SELL, 51000 * ONE, c->btc_wsell);
	/* small working orders: buy and sell alternately so exposure stays tiny */
	for (uint8_t i = 0; i < c->btc_orders; i++)
		add_working(b, (uint8_t)(60 + i), 0, i % 2 ? HAT_SIDE_SELL : HAT_SIDE_BUY,
		            50000 * ONE, L5(20));
	for (uint8_t i = 0; i < c->eth_orders; i++)
		add_working(b, (uint8_t)(80 + i), 1, i % 2 ? HAT_SIDE_SELL : HAT_SIDE_BUY,
		            2000 * ONE, L4(50));
	if (c->recent) {
		uint8_t k[16] = {0};
		k[15] = 200;
		risk_recent_add(&f->recent, k);
	}
	assert_int_equal(risk_throttle_init(&f->otb, 10, 2, NOW), 0);
	assert_int_equal(risk_throttle_init(&f->ctb, 10, 2, NOW), 0);
	for (int i = 0; i < c->drain_orders; i++)
		risk_throttle_take(&f->otb, NOW);
	for (int i = 0; i < c->drain_cancels; i++)
		risk_throttle_take(&f->ctb, NOW);

	f->env = (struct risk_check_env){
		.lim = &lim, .book = b, .recent_cloids = &f->recent.map,
		.order_tb = &f->otb, .cancel_tb = &f->ctb,
		.trading_state = c->ts ? c->ts : HAT_TS_ACTIVE, .ready = !c->not_ready,
	};

	struct hat_order_fields o;
	memset(&o, 0, sizeof o);
	const char *coin = c->coin ? c->coin : "BTC";
	bool eth = strcmp(coin, "ETH") == 0;
	o.kind = c->kind ? c->kind : HAT_INTENT_NEW;
	snprintf(o.coin, sizeof o.coin, "%s", coin);
	o.asset = c->asset >= 0 ? (uint32_t)c->asset : eth ? 1 : 0;
	o.side = c->side ? c->side : HAT_SIDE_BUY;
	o.tif = c->tif == 255 ? 0 : c->tif ? c->tif : HAT_TIF_GTC;
	o.flags = c->flags;
	o.px = c->px == -1 ? 0 : c->px ? c->px : eth ? 2000 * ONE : 50000 * ONE;
	o.sz = c->sz == -1 ? 0 : c->sz;
	o.trigger_px = c->trigger_px;
	if (c->cloid != 255)
		o.cloid[15] = c->cloid ? c->cloid : 200;
	if (o.kind == HAT_INTENT_REPLACE)
		o.orig_cloid[15] = c->orig;
	if (o.kind == HAT_INTENT_CANCEL) {
		memset(o.cloid, 0, sizeof o.cloid);
		o.cloid[15] = c->orig;
		o.px = o.sz = 0;
	}

	char text[HAT_TEXT_LEN];
	int ci = -2;
	enum hat_reason got = risk_limits_check(&f->env, &o, NOW, &ci, text, sizeof text);
	if (got != c->want)
		fail_msg("%s: got %s (%s), want %s", c->name, hat_reason_name(got), text,
		         hat_reason_name(c->want));
	if (got == HAT_REASON_NONE && text[0] != '\0')
		fail_msg("%s: approved with text \"%s\"", c->name, text);
	if (got != HAT_REASON_NONE && text[0] == '\0')
		fail_msg("%s: %s without text", c->name, hat_reason_name(got));
}

#define NEW HAT_INTENT_NEW
#define CXL HAT_INTENT_CANCEL
#define RPL HAT_INTENT_REPLACE
#define SELL HAT_SIDE_SELL
#define R(x) HAT_REASON_##x

static const struct tcase cases[] = {
	/* baseline */
	{ "ok buy 0.1 BTC @ mark", .asset = -1, .sz = L5(10000), .want = R(NONE) },
	{ "ok sell 5 ETH", .coin = "ETH", .asset = -1, .side = SELL, .sz = 5 * ONE, .want = R(NONE) },
	/* 1 BAD_INTENT */
	{ "kind 0 is bad", .kind = 9, .asset = -1, .sz = ONE / 10, .want = R(RISK_BAD_INTENT) },
	{ "unknown coin", .coin = "DOGE", .asset = 5, .sz = ONE, .px = ONE, .want = R(RISK_BAD_INTENT) },
	{ "asset mismatch", .asset = 3, .sz = ONE / 10, .want = R(RISK_BAD_INTENT) },
	{ "zero cloid", .asset = -1, .cloid = 255, .sz = ONE / 10, .want = R(RISK_BAD_INTENT) },
	{ "side 3", .asset = -1, .side = 3, .sz = ONE / 10, .want = R(RISK_BAD_INTENT) },
	{ "tif 0", .asset = -1, .tif = 255, .sz = ONE / 10, .want = R(RISK_BAD_INTENT) },
	{ "tif 4", .asset = -1, .tif = 4, .sz = ONE / 10, .want = R(RISK_BAD_INTENT) },
	{ "unknown flag", .asset = -1, .flags = 0x20, .sz = ONE / 10, .want = R(RISK_BAD_INTENT) },
	{ "px 0", .asset = -1, .px = -1, .sz = ONE / 10, .want = R(RISK_BAD_INTENT) },
	{ "sz 0", .asset = -1, .sz = -1, .want = R(RISK_BAD_INTENT) },
	{ "trigger without trigger_px", .asset = -1, .flags = HAT_OF_TRIGGER, .sz = ONE / 10,
	  .want = R(RISK_BAD_INTENT) },
	{ "replace without orig", .kind = RPL, .asset = -1, .sz = ONE / 10, .want = R(RISK_BAD_INTENT) },
	{ "replace orig == cloid", .kind = RPL, .asset = -1, .orig = 200, .sz = ONE / 10,
	  .want = R(RISK_BAD_INTENT) },
	{ "bad intent before not-ready", .kind = 9, .asset = -1, .not_ready = 1,
	  .want = R(RISK_BAD_INTENT) },
	/* 2 NOT_READY */
	{ "not ready", .asset = -1, .not_ready = 1, .sz = ONE / 10, .want = R(RISK_NOT_READY) },
	{ "cancel not ready", .kind = CXL, .asset = -1, .orig = 50, .btc_wbuy = ONE / 10,
	  .not_ready = 1, .want = R(RISK_NOT_READY) },
	/* cancels */
	{ "cancel working", .kind = CXL, .asset = -1, .orig = 50, .btc_wbuy = ONE / 10, .want = R(NONE) },
	{ "cancel while halted", .kind = CXL, .asset = -1, .orig = 50, .btc_wbuy = ONE / 10,
	  .ts = HAT_TS_HALTED, .want = R(NONE) },
	{ "cancel unknown", .kind = CXL, .asset = -1, .orig = 77, .want = R(RISK_UNKNOWN_ORDER) },
	{ "cancel on the wrong coin", .kind = CXL, .coin = "ETH", .asset = -1, .orig = 50,
	  .btc_wbuy = ONE / 10, .want = R(RISK_BAD_INTENT) },
	{ "cancel rate: 1 token left", .kind = CXL, .asset = -1, .orig = 50, .btc_wbuy = ONE / 10,
	  .drain_cancels = 1, .want = R(NONE) },
	{ "cancel rate: empty", .kind = CXL, .asset = -1, .orig = 50, .btc_wbuy = ONE / 10,
	  .drain_cancels = 2, .want = R(RISK_CANCEL_RATE) },
	/* 3 HALTED */
	{ "halted", .asset = -1, .ts = HAT_TS_HALTED, .sz = ONE / 10, .want = R(RISK_HALTED) },
	{ "halted before bad tick", .asset = -1, .ts = HAT_TS_HALTED, .px = 5000050000000LL,
	  .sz = ONE / 10, .want = R(RISK_HALTED) },
	/* 4 DUPLICATE_CLOID */
	{ "cloid working", .asset = -1, .cloid = 50, .btc_wbuy = ONE / 10, .sz = ONE / 10,
	  .want = R(RISK_DUPLICATE_CLOID) },
	{ "cloid used recently", .asset = -1, .recent = 1, .sz = ONE / 10,
	  .want = R(RISK_DUPLICATE_CLOID) },
	/* 5 UNKNOWN_ORDER (replace) */
	{ "replace unknown orig", .kind = RPL, .asset = -1, .orig = 77, .sz = ONE / 10,
	  .want = R(RISK_UNKNOWN_ORDER) },
	{ "replace other side", .kind = RPL, .asset = -1, .orig = 51, .btc_wsell = ONE / 10,
	  .sz = ONE / 10, .want = R(RISK_BAD_INTENT) },
	{ "replace ok", .kind = RPL, .asset = -1, .orig = 50, .btc_wbuy = ONE / 10, .sz = ONE / 5,
	  .want = R(NONE) },
	/* 6 TICK */
	{ "px 50001 (integer) ok", .asset = -1, .px = 50001 * ONE, .sz = ONE / 10, .want = R(NONE) },
	{ "px 50000.5: 6 sig figs", .asset = -1, .px = 5000050000000LL, .sz = ONE / 10,
	  .want = R(RISK_TICK) },
	{ "ETH px 2000.1 ok", .coin = "ETH", .asset = -1, .px = 200010000000LL, .sz = ONE,
	  .want = R(NONE) },
	{ "ETH px 2000.15: 6 sig figs", .coin = "ETH", .asset = -1, .px = 200015000000LL,
	  .sz = ONE, .want = R(RISK_TICK) },
	{ "trigger px bad", .asset = -1, .flags = HAT_OF_TRIGGER, .trigger_px = 4900050000000LL,
	  .sz = ONE / 10, .want = R(RISK_TICK) },
	{ "trigger px ok", .asset = -1, .flags = HAT_OF_TRIGGER, .trigger_px = 49000 * ONE,
	  .sz = ONE / 10, .want = R(NONE) },
	/* 7 LOT */
	{ "sz 0.00001 lot ok (min value fails later)", .asset = -1, .sz = L5(1),
	  .want = R(RISK_MIN_NOTIONAL) },
	{ "sz 0.000101: 6 decimals", .asset = -1, .sz = 10100, .want = R(RISK_LOT) },
	{ "tick before lot", .asset = -1, .px = 5000050000000LL, .sz = 10100, .want = R(RISK_TICK) },
	/* 8 MIN_NOTIONAL: $10 */
	{ "value exactly 10", .asset = -1, .sz = L5(20), .want = R(NONE) },
	{ "value 9.5", .asset = -1, .sz = L5(19), .want = R(RISK_MIN_NOTIONAL) },
	{ "value 10.5", .asset = -1, .sz = L5(21), .want = R(NONE) },
	/* 9 MAX_ORDER_SIZE: 1 BTC */
	{ "sz at max", .asset = -1, .sz = ONE, .want = R(NONE) },
	{ "sz just under max", .asset = -1, .sz = ONE - L5(1), .want = R(NONE) },
	{ "sz just over max", .asset = -1, .sz = ONE + L5(1), .want = R(RISK_MAX_ORDER_SIZE) },
	/* 10 MAX_ORDER_NOTIONAL: 50000 (px in band: 0.2 bps over mark) */
	{ "notional at max", .asset = -1, .px = 50000 * ONE, .sz = ONE, .want = R(NONE) },
	{ "notional just over", .asset = -1, .px = 50001 * ONE, .sz = ONE,
	  .want = R(RISK_MAX_ORDER_NOTIONAL) },
	{ "notional just under", .asset = -1, .px = 50001 * ONE, .sz = L5(99998), .want = R(NONE) },
	{ "ETH notional over", .coin = "ETH", .asset = -1, .sz = 10 * ONE, .px = 2001 * ONE,
	  .want = R(RISK_MAX_ORDER_NOTIONAL) },
	{ "size before notional", .asset = -1, .px = 50001 * ONE, .sz = ONE + L5(1),
	  .want = R(RISK_MAX_ORDER_SIZE) },
	/* 11 STALE_MARK: 2 s */
	{ "mark 2 s old ok", .asset = -1, .sz = ONE / 10, .btc_mark_age = 2 * S, .want = R(NONE) },
	{ "mark 2 s + 1 ns old", .asset = -1, .sz = ONE / 10, .btc_mark_age = 2 * S + 1,
	  .want = R(RISK_STALE_MARK) },
	{ "no mark", .coin = "ETH", .asset = -1, .sz = ONE, .eth_no_mark = 1,
	  .want = R(RISK_STALE_MARK) },
	/* 12 PRICE_BAND: 100 bps of 50000 = 500 */
	{ "px +1% (at band)", .asset = -1, .px = 50500 * ONE, .sz = ONE / 10, .want = R(NONE) },
	{ "px +1% + 1", .asset = -1, .px = 50501 * ONE, .sz = ONE / 10, .want = R(RISK_PRICE_BAND) },
	{ "px -1% (at band)", .asset = -1, .side = SELL, .px = 49500 * ONE, .sz = ONE / 10,
	  .want = R(NONE) },
	{ "px -1% - 1", .asset = -1, .side = SELL, .px = 49499 * ONE, .sz = ONE / 10,
	  .want = R(RISK_PRICE_BAND) },
	{ "px just inside band", .asset = -1, .px = 50499 * ONE, .sz = ONE / 10, .want = R(NONE) },
	/* 13 REDUCE_ONLY_STATE */
	{ "reducing: sell all of long", .asset = -1, .ts = HAT_TS_REDUCING, .btc_szi = ONE / 2,
	  .side = SELL, .sz = ONE / 2, .want = R(NONE) },
	{ "reducing: sell a bit more than long", .asset = -1, .ts = HAT_TS_REDUCING,
	  .btc_szi = ONE / 2, .side = SELL, .sz = ONE / 2 + L5(1), .want = R(RISK_REDUCE_ONLY_STATE) },
	{ "reducing: sell a bit less than long", .asset = -1, .ts = HAT_TS_REDUCING,
	  .btc_szi = ONE / 2, .side = SELL, .sz = ONE / 2 - L5(1), .want = R(NONE) },
	{ "reducing: buy while long", .asset = -1, .ts = HAT_TS_REDUCING, .btc_szi = ONE / 2,
	  .sz = ONE / 10, .want = R(RISK_REDUCE_ONLY_STATE) },
	{ "reducing: flat", .asset = -1, .ts = HAT_TS_REDUCING, .sz = ONE / 10,
	  .want = R(RISK_REDUCE_ONLY_STATE) },
	{ "reducing: counts working sells (at)", .asset = -1, .ts = HAT_TS_REDUCING,
	  .btc_szi = ONE / 2, .btc_wsell = ONE / 5, .side = SELL, .sz = L5(30000), .want = R(NONE) },
	{ "reducing: counts working sells (over)", .asset = -1, .ts = HAT_TS_REDUCING,
	  .btc_szi = ONE / 2, .btc_wsell = ONE / 5, .side = SELL, .sz = L5(30001),
	  .want = R(RISK_REDUCE_ONLY_STATE) },
	{ "reducing: buy back a short", .asset = -1, .ts = HAT_TS_REDUCING, .btc_szi = -ONE / 2,
	  .sz = ONE / 2, .want = R(NONE) },
	/* 14 MAX_POSITION: 2 BTC */
	{ "position at max", .asset = -1, .btc_szi = L5(150000), .sz = ONE / 2, .want = R(NONE) },
	{ "position just over", .asset = -1, .btc_szi = L5(150000), .sz = ONE / 2 + L5(1),
	  .want = R(RISK_MAX_POSITION) },
	{ "position with working buys at max", .asset = -1, .btc_szi = L5(150000),
	  .btc_wbuy = L5(30000), .sz = L5(20000), .want = R(NONE) },
	{ "position with working buys over", .asset = -1, .btc_szi = L5(150000),
	  .btc_wbuy = L5(30000), .sz = L5(20001), .want = R(RISK_MAX_POSITION) },
	{ "short position at max", .asset = -1, .side = SELL, .btc_szi = -L5(150000),
	  .sz = ONE / 2, .want = R(NONE) },
	{ "short position over", .asset = -1, .side = SELL, .btc_szi = -L5(150000),
	  .sz = ONE / 2 + L5(1), .want = R(RISK_MAX_POSITION) },
	{ "sell from long over max is fine", .asset = -1, .side = SELL, .btc_szi = 3 * ONE,
	  .sz = ONE, .want = R(NONE) },
	{ "replace excludes the replaced order (at)", .kind = RPL, .orig = 50, .asset = -1,
	  .btc_szi = L5(150000), .btc_wbuy = L5(30000), .sz = L5(50000), .want = R(NONE) },
	{ "replace excludes the replaced order (over)", .kind = RPL, .orig = 50, .asset = -1,
	  .btc_szi = L5(150000), .btc_wbuy = L5(30000), .sz = L5(50001),
	  .want = R(RISK_MAX_POSITION) },
	/* 15 MAX_GROSS_NOTIONAL: 150000 (ETH 50 @ 2000 = 100000, BTC 1 @ 50000) */
	{ "gross at max", .asset = -1, .eth_szi = 50 * ONE, .sz = ONE, .want = R(RISK_MAX_NET_NOTIONAL) },
	{ "gross at max (ETH short)", .asset = -1, .eth_szi = -50 * ONE, .sz = ONE, .want = R(NONE) },
	{ "gross just over (ETH short)", .asset = -1, .eth_szi = -50 * ONE - L4(1), .sz = ONE,
	  .want = R(RISK_MAX_GROSS_NOTIONAL) },
	{ "gross just under (ETH short)", .asset = -1, .eth_szi = -50 * ONE + L4(1), .sz = ONE,
	  .want = R(NONE) },
	{ "over gross, reducing order passes", .asset = -1, .side = SELL, .eth_szi = 60 * ONE,
	  .btc_szi = ONE, .sz = ONE / 2, .want = R(NONE) },
	/* 16 MAX_NET_NOTIONAL: 100000 */
	{ "net at max", .asset = -1, .eth_szi = 25 * ONE, .sz = ONE, .want = R(NONE) },
	{ "net just over", .asset = -1, .eth_szi = 25 * ONE + L4(1), .sz = ONE,
	  .want = R(RISK_MAX_NET_NOTIONAL) },
	{ "net just under", .asset = -1, .eth_szi = 25 * ONE - L4(1), .sz = ONE, .want = R(NONE) },
	{ "net short side over", .asset = -1, .side = SELL, .eth_szi = -25 * ONE - L4(1), .sz = ONE,
	  .want = R(RISK_MAX_NET_NOTIONAL) },
	/* 17 MAX_OPEN_ORDERS: 3 per BTC, 6 overall */
	{ "2 BTC orders open: ok", .asset = -1, .btc_orders = 2, .sz = ONE / 10, .want = R(NONE) },
	{ "3 BTC orders open: full", .asset = -1, .btc_orders = 3, .sz = ONE / 10,
	  .want = R(RISK_MAX_OPEN_ORDERS) },
	{ "3 BTC orders open: replace ok", .kind = RPL, .orig = 60, .asset = -1, .btc_orders = 3,
	  .sz = ONE / 10, .want = R(NONE) },
	{ "5 orders overall: ok", .coin = "ETH", .asset = -1, .btc_orders = 2, .eth_orders = 3,
	  .sz = ONE, .want = R(NONE) },
	{ "6 orders overall: full", .coin = "ETH", .asset = -1, .btc_orders = 2, .eth_orders = 4,
	  .sz = ONE, .want = R(RISK_MAX_OPEN_ORDERS) },
	/* 18 ORDER_RATE: burst 2 */
	{ "order rate: 1 token left", .asset = -1, .drain_orders = 1, .sz = ONE / 10, .want = R(NONE) },
	{ "order rate: empty", .asset = -1, .drain_orders = 2, .sz = ONE / 10,
	  .want = R(RISK_ORDER_RATE) },
	{ "open orders before rate", .asset = -1, .btc_orders = 3, .drain_orders = 2, .sz = ONE / 10,
	  .want = R(RISK_MAX_OPEN_ORDERS) },
	{ "replace uses the order bucket", .kind = RPL, .orig = 50, .btc_wbuy = ONE / 10, .asset = -1,
	  .drain_orders = 2, .sz = ONE / 10, .want = R(RISK_ORDER_RATE) },
};

static void test_limits_table(void **state)
{
	struct fx *f = *state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(f, &cases[i]);
}

static void test_limits_check_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct tcase c = { "ok", .asset = -1, .sz = ONE / 10, .want = R(NONE) };
	run_case(f, &c);
	/* run_case leaves the env; checking again must still pass and take no token */
	struct hat_order_fields o;
	memset(&o, 0, sizeof o);
	o.kind = NEW; strcpy(o.coin, "BTC"); o.side = HAT_SIDE_BUY; o.tif = HAT_TIF_GTC;
	o.px = 50000 * ONE; o.sz = ONE / 10; o.cloid[0] = 1;
	for (int i = 0; i < 5; i++)
		assert_int_equal(risk_limits_check(&f->env, &o, NOW, NULL, NULL, 0), HAT_REASON_NONE);
	assert_int_equal(f->otb.taken, 0);
	assert_int_equal(risk_book_open_orders(&f->book), 0);
}

static void test_limits_text_names_the_numbers(void **state)
{
	struct fx *f = *state;
	struct tcase c = { "x", .asset = -1, .sz = ONE + L5(1), .want = R(RISK_MAX_ORDER_SIZE) };
	run_case(f, &c);
	struct hat_order_fields o;
	memset(&o, 0, sizeof o);
	o.kind = NEW; strcpy(o.coin, "BTC"); o.side = HAT_SIDE_BUY; o.tif = HAT_TIF_GTC;
	o.px = 50000 * ONE; o.sz = ONE + L5(1); o.cloid[0] = 1;
	char text[HAT_TEXT_LEN];
	int ci = -2;
	assert_int_equal(risk_limits_check(&f->env, &o, NOW, &ci, text, sizeof text),
	                 HAT_REASON_RISK_MAX_ORDER_SIZE);
	assert_string_equal(text, "sz 1.00001 > max 1");
	assert_int_equal(ci, 0);
	o.sz = ONE / 10;
	o.px = 50501 * ONE;
	assert_int_equal(risk_limits_check(&f->env, &o, NOW, &ci, text, sizeof text),
	                 HAT_REASON_RISK_PRICE_BAND);
	assert_string_equal(text, "px 50501 off mark 50000 by > 100 bps");
	strcpy(o.coin, "XYZ");
	assert_int_equal(risk_limits_check(&f->env, &o, NOW, &ci, text, sizeof text),
	                 HAT_REASON_RISK_BAD_INTENT);
	assert_int_equal(ci, -1);
	assert_string_equal(text, "coin XYZ not configured");
}

static void test_limits_unknown_asset_is_not_checked(void **state)
{
	struct fx *f = *state;
	struct tcase c = { "ok", .asset = -1, .sz = ONE / 10, .want = R(NONE) };
	run_case(f, &c);
	struct hat_order_fields o;
	memset(&o, 0, sizeof o);
	o.kind = NEW; strcpy(o.coin, "BTC"); o.side = HAT_SIDE_BUY; o.tif = HAT_TIF_GTC;
	o.px = 50000 * ONE; o.sz = ONE / 10; o.cloid[0] = 1; o.asset = 77;
	assert_int_equal(risk_limits_check(&f->env, &o, NOW, NULL, NULL, 0), HAT_REASON_RISK_BAD_INTENT);
	f->book.coins[0].asset = RISK_ASSET_UNKNOWN;
	assert_int_equal(risk_limits_check(&f->env, &o, NOW, NULL, NULL, 0), HAT_REASON_NONE);
	f->book.coins[0].asset = 0;
}

static void test_limits_replace_needs_a_free_slot(void **state)
{
	struct fx *f = *state;
	struct tcase c = { "ok", .asset = -1, .btc_wbuy = ONE / 10, .sz = ONE / 10, .want = R(NONE) };
	run_case(f, &c); /* book capacity 64: one working order (cloid 50) */
	for (uint8_t i = 0; i < 63; i++)
		add_working(&f->book, (uint8_t)(100 + i), 1, HAT_SIDE_BUY, 2000 * ONE, L4(1));
	assert_int_equal(f->book.n_free, 0);
	struct hat_order_fields o;
	memset(&o, 0, sizeof o);
	o.kind = RPL; strcpy(o.coin, "BTC"); o.side = HAT_SIDE_BUY; o.tif = HAT_TIF_GTC;
	o.px = 50000 * ONE; o.sz = ONE / 10; o.cloid[0] = 1; o.orig_cloid[15] = 50;
	char text[HAT_TEXT_LEN];
	assert_int_equal(risk_limits_check(&f->env, &o, NOW, NULL, text, sizeof text),
	                 HAT_REASON_RISK_MAX_OPEN_ORDERS);
	assert_string_equal(text, "replace: no room to track the new order (64 working)");
}

static void test_limits_validate(void **state)
{
	(void)state;
	char err[128];
	assert_int_equal(risk_limits_validate(&lim, err, sizeof err), 0);
	struct risk_limits l = lim;
	l.coin[1].price_band_bps = 0;
	assert_int_equal(risk_limits_validate(&l, err, sizeof err), -EINVAL);
	assert_string_equal(err, "coin 1: price_band_bps must be 1..10000");
	l = lim;
	l.coin[0].sz_decimals = 7;
	assert_int_equal(risk_limits_validate(&l, err, sizeof err), -EINVAL);
	assert_string_equal(err, "coin 0: sz_decimals 7 out of range");
	l = lim;
	l.max_open_orders = 0;
	assert_int_equal(risk_limits_validate(&l, err, sizeof err), -EINVAL);
	l = lim;
	l.coin[0].max_position = 0;
	assert_int_equal(risk_limits_validate(&l, err, sizeof err), -EINVAL);
	assert_string_equal(err, "coin 0: max_position must be > 0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_limits_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_check_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_text_names_the_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_unknown_asset_is_not_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_replace_needs_a_free_slot, setup, teardown),
		cmocka_unit_test(test_limits_validate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
