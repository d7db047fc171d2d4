/* tests/unit/test_hlsim_flow.c -- the seeded background market: determinism (same seed and
 * tick times -> identical trades), books never crossed, quotes on valid ticks, prices move. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "common/fixed.h"
#include "hl/wire.h"
#include "tests/unit/hlsim_test_util.h"

struct capture {
	struct hat_buf trades;
	size_t n_trades, n_l2, n_bbo, n_mids;
};

static void sink(void *user, const struct hlsim_event *ev)
{
	struct capture *c = user;
	switch (ev->kind) {
	case HLSIM_EV_TRADES:
		c->n_trades++;
		hat_buf_append(&c->trades, ev->json, ev->json_len);
		hat_buf_putc(&c->trades, '\n');
		break;
	case HLSIM_EV_L2BOOK: {
		/* pushed once per request/tick: never a half-requoted book */
		cJSON *j = cJSON_ParseWithLength(ev->json, ev->json_len);
		const cJSON *lv = cJSON_GetObjectItemCaseSensitive(j, "levels");
		assert_true(cJSON_GetArraySize(lv) == 2);
		assert_true(cJSON_GetArraySize(cJSON_GetArrayItem(lv, 0)) >= 3);
		assert_true(cJSON_GetArraySize(cJSON_GetArrayItem(lv, 1)) >= 3);
		cJSON_Delete(j);
		c->n_l2++;
		break;
	}
	case HLSIM_EV_BBO: c->n_bbo++; break;
	case HLSIM_EV_ALLMIDS: c->n_mids++; break;
	default: break;
	}
}

/* Runs an engine with seed for sim_ms of simulated time in 50 ms ticks, checking the books
 * after every tick. */
static void run(uint64_t seed, uint64_t sim_ms, struct capture *c, int64_t *last_mid)
{
	char err[256];
	struct hlsim_engine *e;
	struct hlsim_options o = { .seed = seed };
	assert_int_equal(hlsim_engine_new(&e, &o, HTS_T0, err, sizeof err), 0);
	hat_buf_init(&c->trades);
	hlsim_engine_set_sink(e, sink, c);
	for (uint64_t t = HTS_T0; t <= HTS_T0 + sim_ms; t += 50) {
		hlsim_tick(e, t);
		for (uint32_t k = 0; k < e->cfg.n_coins; k++)
			assert_true(hlsim_book_check(&e->mk[k].book));
	}
	for (uint32_t k = 0; k < e->cfg.n_coins; k++) {
		const struct hlsim_book *b = &e->mk[k].book;
		/* the LP quotes 5 levels per side on valid ticks */
		assert_true(b->bids.n >= 5 && b->asks.n >= 5);
		for (size_t i = 0; i < b->bids.n; i++)
			assert_int_equal(hl_px_check(b->bids.v[i]->px, e->cfg.coins[k].sz_decimals,
						     false, NULL, 0), 0);
	}
	*last_mid = hlsim__mid(e, 0);
	hlsim_engine_free(e);
}

static void test_flow_same_seed_same_trades(void **state)
{
	(void)state;
	struct capture a, b;
	int64_t ma, mb;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	run(7, 60000, &a, &ma);
	run(7, 60000, &b, &mb);
	assert_true(a.n_trades > 20);
	assert_int_equal(a.n_trades, b.n_trades);
	assert_int_equal(a.trades.len, b.trades.len);
	assert_memory_equal(a.trades.data, b.trades.data, a.trades.len);
	assert_true(ma == mb);
	assert_true(a.n_l2 > 100 && a.n_bbo > 100 && a.n_mids >= 59);
	hat_buf_free(&a.trades);
	hat_buf_free(&b.trades);
}

static void test_flow_other_seed_other_trades(void **state)
{
	(void)state;
	struct capture a, b;
	int64_t ma, mb;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	run(7, 20000, &a, &ma);
	run(8, 20000, &b, &mb);
	assert_true(a.trades.len != b.trades.len ||
		    memcmp(a.trades.data, b.trades.data, a.trades.len) != 0);
	assert_true(ma != mb);
	/* BTC starts at 65000 and wanders, but not absurdly in 20 s */
	assert_true(ma > 60000 * HAT_FX_ONE && ma < 70000 * HAT_FX_ONE);
	hat_buf_free(&a.trades);
	hat_buf_free(&b.trades);
}

static void test_flow_user_can_trade_against_agents(void **state)
{
	(void)state;
	struct hts t;
	hts_init(&t, 100000LL * HAT_FX_ONE, true);
	for (int i = 0; i < 10; i++)
		hlsim_tick(t.e, t.now + (uint64_t)i * 100);
	t.now += 1000;
	hlsim_tick(t.e, t.now);
	/* market buy 0.01 BTC: IOC 5% above mid */
	int64_t mid = hlsim__mid(t.e, 0), px;
	assert_int_equal(hl_px_round(mid + mid / 20, 5, false, HL_ROUND_UP, &px), 0);
	char pxs[HAT_FX_STRLEN], action[512];
	hat_fx_format(px, pxs, sizeof pxs);
	snprintf(action, sizeof action, "{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":true,\"p\":\"%s\","
		 "\"s\":\"0.01\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Ioc\"}}}],\"grouping\":\"na\"}", pxs);
	assert_int_equal(hts_exchange(&t, action), 200);
	assert_non_null(strstr(t.out.data, "{\"filled\":{\"totalSz\":\"0.01\",\"avgPx\":"));
	assert_true(t.e->acct[t.acct]->pos[0].szi == 1000000);
	hts_deinit(&t);
}

/* Money and size are conserved: positions net to zero per coin, and account values plus the
 * fees paid equal the deposits (up to the 1e-8 truncations of each fill). */
static void test_flow_conserves_positions_and_money(void **state)
{
	(void)state;
	struct hts t;
	hts_init(&t, 100000LL * HAT_FX_ONE, true);
	int64_t initial = 0;
	for (uint32_t i = 0; i < t.e->n_acct; i++)
		initial += t.e->acct[i]->usdc;
	/* the test user trades too: a market buy, then a sell that flips */
	for (uint64_t k = 0; k < 600; k++) {
		t.now = HTS_T0 + k * 50;
		hlsim_tick(t.e, t.now);
		if (k == 100 || k == 300) {
			int64_t mid = hlsim__mid(t.e, 1), px;
			bool buy = k == 100;
			assert_int_equal(hl_px_round(buy ? mid + mid / 50 : mid - mid / 50, 4, false,
						     buy ? HL_ROUND_UP : HL_ROUND_DOWN, &px), 0);
			char pxs[HAT_FX_STRLEN], action[512];
			hat_fx_format(px, pxs, sizeof pxs);
			snprintf(action, sizeof action, "{\"type\":\"order\",\"orders\":[{\"a\":1,\"b\":%s,"
				 "\"p\":\"%s\",\"s\":\"%s\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Ioc\"}}}],"
				 "\"grouping\":\"na\"}", buy ? "true" : "false", pxs, buy ? "2" : "5");
			hts_exchange(&t, action);
			assert_non_null(strstr(t.out.data, "filled"));
		}
	}
	assert_true(t.e->acct[t.acct]->pos[1].szi == -3 * HAT_FX_ONE);
	int64_t marks[HLSIM_MAX_COINS], value = 0, fees = 0;
	uint64_t fills = 0;
	hlsim__marks(t.e, marks);
	for (uint32_t c = 0; c < t.e->cfg.n_coins; c++) {
		int64_t net = 0;
		for (uint32_t i = 0; i < t.e->n_acct; i++)
			net += t.e->acct[i]->pos[c].szi;
		assert_true(net == 0);
	}
	for (uint32_t i = 0; i < t.e->n_acct; i++) {
		const struct hlsim_account *a = t.e->acct[i];
		value += hlsim_account_value(a, marks, t.e->cfg.n_coins);
		assert_true(a->n_fills < HLSIM_FILLS_KEEP);
		for (uint64_t k = 0; k < a->n_fills; k++)
			fees += hlsim_account_fill(a, k)->fee;
		fills += a->n_fills;
	}
	assert_true(fills > 50);
	int64_t gap = value + fees - initial;
	assert_true(gap <= 0 && -gap <= (int64_t)(4 * fills));
	hts_deinit(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_same_seed_same_trades),
		cmocka_unit_test(test_flow_other_seed_other_trades),
		cmocka_unit_test(test_flow_user_can_trade_against_agents),
		cmocka_unit_test(test_flow_conserves_positions_and_money),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
