/* tests/fuzz/fuzz_risk_engine.c -- libFuzzer target: riskd's engine under arbitrary sequences
 * of intents, exec events, execd controls, commands, marks and time.
 *
 * Input: records of [op byte][payload bytes], read until the input ends (missing bytes are 0).
 * Most records are structured (coins, cloids, prices and sizes drawn from a small space so
 * cancels, fills and duplicates hit real orders); op 6 feeds a raw 120-byte intent through the
 * validator as the daemon does. After every record: the book's running totals match a
 * recount (risk_book_check), the trading state is legal (risk_state_check), every intent was
 * answered exactly once (approved + rejected == intents_in, rejects by reason add up), and
 * every message the engine emitted passes hat_msg_validate(). Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "riskd/engine.h"

#define CHECK(e) do { if (!(e)) abort(); } while (0)
#define ONE HAT_FX_ONE
#define T0 (1700000000ULL * 1000000000ULL)

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static int out_check(void *user, struct hat_msg_hdr *m)
{
	(void)user;
	CHECK(m->length <= HAT_MSG_MAX_SIZE);
	CHECK(hat_msg_validate(m, m->length, NULL, 0) == 0);
	return 0;
}

static const char *coins[2] = { "BTC", "ETH" };
static const int64_t mids[2] = { 50000 * ONE, 2000 * ONE };
static const int64_t ticks[2] = { ONE, ONE / 10 };
static const int64_t lots[2] = { 1000, 10000 };

static void cfg_init(struct risk_engine_cfg *c)
{
	memset(c, 0, sizeof *c);
	for (int i = 0; i < 2; i++) {
		strcpy(c->coins[i], coins[i]);
		c->assets[i] = (uint32_t)i;
		c->limits.coin[i] = (struct risk_coin_limits){
			.max_order_sz = 100 * lots[i], .max_order_notional = 3000 * ONE,
			.max_position = 300 * lots[i], .price_band_bps = 50, .max_open_orders = 6,
			.sz_decimals = (uint8_t)(i == 0 ? 5 : 4) };
	}
	c->limits.n_coins = 2;
	c->limits.max_gross_notional = 8000 * ONE;
	c->limits.max_net_notional = 5000 * ONE;
	c->limits.max_open_orders = 10;
	c->limits.mark_max_age_ns = 2000000000ULL;
	c->state = (struct risk_state_cfg){ .start_equity = 10000 * ONE, .max_daily_loss = 50 * ONE,
		.max_drawdown_bps = 100, .max_rejects = 5, .reject_window_ns = 1000000000ULL,
		.stale_ns = 5000000000ULL };
	c->order_rate_per_s = 20;
	c->order_burst = 5;
	c->cancel_rate_per_s = 20;
	c->cancel_burst = 5;
	c->max_working = 16;
	c->dedup_window = 16;
	c->recent_cloids = 16;
	c->position_publish_ns = 500000000ULL;
	c->signald_down_cancel = 1;
}

static void cloid(uint8_t out[HAT_CLOID_LEN], uint8_t id)
{
	memset(out, 0, HAT_CLOID_LEN);
	out[15] = (uint8_t)(id % 24 + 1);
}

static void invariants(const struct risk_engine *e)
{
	const struct risk_counters *c = &e->c;
	CHECK(risk_book_check(&e->book));
	CHECK(risk_state_check(&e->state));
	CHECK(c->approved + c->rejected == c->intents_in);
	uint64_t sum = 0;
	for (int r = 0; r < RISK_REASON_SLOTS; r++)
		sum += c->rejected_by[r];
	CHECK(sum == c->rejected);
	CHECK(c->out_drops == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct risk_engine e;
	struct risk_engine_cfg cfg;
	cfg_init(&cfg);
	struct risk_out out = { NULL, out_check, out_check, NULL };
	uint64_t now = T0;
	CHECK(risk_engine_init(&e, &cfg, &out, now, NULL, 0) == 0);
	risk_engine_set_mark(&e, 0, mids[0], now);
	risk_engine_set_mark(&e, 1, mids[1], now);
	risk_engine_start(&e, now);
	struct in in = { data, size };
	unsigned records = 0;
	while (in.n > 0 && records++ < 2000) {
		uint8_t op = u8(&in);
		int ci = op >> 7;
		switch (op % 8) {
		case 0: { /* a structured intent */
			struct hat_msg_intent m;
			hat_msg_init(&m.h, HAT_MSG_INTENT);
			m.h.seq = records;
			uint8_t a = u8(&in), b = u8(&in), c = u8(&in), d = u8(&in);
			cloid(m.o.cloid, a);
			strcpy(m.o.coin, coins[ci]);
			m.o.asset = (uint32_t)ci;
			m.o.kind = (uint8_t)(b % 3 + 1);
			m.o.side = (uint8_t)((b >> 2) % 2 + 1);
			m.o.tif = (uint8_t)((b >> 3) % 3 + 1);
			m.o.flags = (uint8_t)((b >> 5) & 1 ? HAT_OF_REDUCE_ONLY : 0);
			m.o.strategy_id = 1;
			if (m.o.kind == HAT_INTENT_REPLACE)
				cloid(m.o.orig_cloid, d);
			if (m.o.kind != HAT_INTENT_CANCEL) {
				m.o.px = mids[ci] + (int64_t)(int8_t)c * ticks[ci];
				m.o.sz = (int64_t)(d % 128 + 1) * lots[ci];
			}
			risk_engine_intent(&e, &m, NULL, now);
			break;
		}
		case 1: { /* an exec event from execd */
			struct hat_msg_exec x;
			hat_msg_init(&x.h, HAT_MSG_EXEC);
			uint8_t a = u8(&in), b = u8(&in), c = u8(&in), d = u8(&in), f = u8(&in);
			cloid(x.cloid, a);
			cloid(x.orig_cloid, f);
			strcpy(x.coin, coins[ci]);
			x.asset = (uint32_t)ci;
			x.kind = (uint8_t)(b % 7 + 1);
			x.side = (uint8_t)((b >> 3) % 2 + 1);
			x.flags = (uint8_t)((b >> 4) & (HAT_EXEC_F_FINAL | HAT_EXEC_F_SNAPSHOT));
			if (x.kind == HAT_EXEC_REJECT || x.kind == HAT_EXEC_CANCEL_REJECT)
				x.reason = HAT_REASON_EXCH_OTHER;
			x.px = mids[ci] + (int64_t)(int8_t)c * ticks[ci];
			x.sz = (int64_t)(d % 64 + 1) * lots[ci];
			x.remaining_sz = (int64_t)(f % 4) * lots[ci];
			x.fee = (int64_t)(int8_t)f * 1000;
			x.tid = a % 8;
			risk_engine_exec_msg(&e, &x.h, now);
			break;
		}
		case 2: { /* execd control: snapshot begin/end, hello */
			struct hat_msg_control c;
			hat_msg_init(&c.h, HAT_MSG_CONTROL);
			uint8_t a = u8(&in);
			c.cmd = (uint16_t)(a % 3 == 0 ? HAT_CTL_SNAPSHOT_BEGIN
			                   : a % 3 == 1 ? HAT_CTL_SNAPSHOT_END : HAT_CTL_HELLO);
			c.from_stage = HAT_STAGE_EXECD;
			c.arg = u8(&in) % 4;
			risk_engine_exec_msg(&e, &c.h, now);
			break;
		}
		case 3: { /* a command, or signald's HELLO */
			struct hat_msg_control c;
			hat_msg_init(&c.h, HAT_MSG_CONTROL);
			uint8_t a = u8(&in);
			c.cmd = (uint16_t)(a % 10 + 1);
			c.from_stage = HAT_STAGE_OPERATOR;
			if (a & 0x80)
				risk_engine_intent_ctl(&e, &c, now);
			else
				risk_engine_command(&e, &c, now);
			break;
		}
		case 4: { /* a mark, possibly old */
			uint8_t a = u8(&in), b = u8(&in);
			risk_engine_set_mark(&e, ci, mids[ci] + (int64_t)(int8_t)a * ticks[ci] * 10,
			                     now - (uint64_t)b * 20000000ULL);
			break;
		}
		case 5: /* time passes; signald alive or not */
			now += (uint64_t)u8(&in) * 10000000ULL;
			risk_engine_signald_alive(&e, !(op & 0x40), now);
			risk_engine_tick(&e, now);
			break;
		case 6: { /* a raw intent through the validator, as the daemon does */
			struct hat_msg_intent m;
			uint8_t *p = (uint8_t *)&m;
			for (size_t i = 0; i < sizeof m; i++)
				p[i] = u8(&in);
			m.h.type = HAT_MSG_INTENT;
			m.h.length = sizeof m;
			if (op & 0x40)
				m.h.version = HAT_MSG_INTENT_VERSION;
			char why[128];
			int rc = hat_msg_validate(&m, sizeof m, why, sizeof why);
			risk_engine_intent(&e, &m, rc ? why : NULL, now);
			break;
		}
		case 7: { /* a snapshot position row */
			struct hat_msg_position p;
			hat_msg_init(&p.h, HAT_MSG_POSITION);
			strcpy(p.coin, coins[ci]);
			p.trading_state = HAT_TS_ACTIVE;
			p.flags = HAT_EXEC_F_SNAPSHOT;
			p.szi = (int64_t)(int8_t)u8(&in) * lots[ci];
			p.entry_px = mids[ci];
			risk_engine_exec_msg(&e, &p.h, now);
			break;
		}
		}
		invariants(&e);
	}
	risk_engine_free(&e);
	return 0;
}
