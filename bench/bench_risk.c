/* bench/bench_risk.c -- riskd's pre-trade checks: intents checked per second and per-check
 * latency (p50/p99), against same-run baselines: an empty timed region (the timer's own cost)
 * and a plain copy of the intent into an ORDER (what any forwarding stage pays).
 *
 *   check   risk_limits_check() on an approving intent (all 18 checks run), book with
 *           4 coins, positions and 32 working orders
 *   engine  risk_engine_intent(): check + ORDER built and handed to an output callback +
 *           book-keeping; an exec CANCELED retires each approved order (untimed in the
 *           latencies, included in the engine's per-second figure)
 * Throughput figures are the best of ROUNDS rounds (other processes share the machine);
 * latencies are single calls timed with two clock reads (the empty-region baseline is that
 * cost, included in every p50/p99).
 * Ends with BENCH lines: risk_checks_per_s, risk_p50_ns, risk_p99_ns (the check), and the
 * engine path's engine_intents_per_s, engine_p50_ns, engine_p99_ns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "riskd/engine.h"

#define ONE HAT_FX_ONE
#define N_LAT 200000      /* individually timed calls per measurement */
#define N_THRU 500000     /* calls per throughput round */
#define N_CYCLES 100000   /* approve + retire cycles per engine throughput round */
#define ROUNDS 5          /* throughput rounds; the best counts (the machine is shared) */
#define N_INTENTS 4096    /* distinct intents cycled through */

static unsigned char sink[256] __attribute__((aligned(64)));
static uint64_t sink_n;

static int out_copy(void *user, struct hat_msg_hdr *m)
{
	(void)user;
	memcpy(sink, m, m->length);
	sink_n++;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct lat {
	uint64_t p50, p99, p999;
};

static struct lat percentiles(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof v[0], cmp_u64);
	return (struct lat){ v[n / 2], v[n * 99 / 100], v[n * 999 / 1000] };
}

static const char *coins[4] = { "BTC", "ETH", "SOL", "DOGE" };
static const int64_t mids[4] = { 50000 * ONE, 2000 * ONE, 150 * ONE, 15000000 };
static const uint8_t szd[4] = { 5, 4, 2, 0 };

static void make_cfg(struct risk_engine_cfg *c)
{
	memset(c, 0, sizeof *c);
	for (int i = 0; i < 4; i++) {
		strcpy(c->coins[i], coins[i]);
		c->assets[i] = (uint32_t)i;
		c->limits.coin[i] = (struct risk_coin_limits){
			.max_order_sz = 1000000 * ONE, .max_order_notional = 1000000 * ONE,
			.max_position = 10000000 * ONE, .price_band_bps = 500, .max_open_orders = 500,
			.sz_decimals = szd[i] };
	}
	c->limits.n_coins = 4;
	c->limits.max_gross_notional = 1000000000 * ONE;
	c->limits.max_net_notional = 1000000000 * ONE;
	c->limits.max_open_orders = 1000;
	c->limits.mark_max_age_ns = 3600 * HAT_NS_PER_S;
	c->state = (struct risk_state_cfg){ .start_equity = 1000000 * ONE,
		.max_daily_loss = 100000 * ONE, .max_drawdown_bps = 5000, .max_rejects = 100,
		.reject_window_ns = HAT_NS_PER_S, .stale_ns = 3600 * HAT_NS_PER_S };
	c->order_rate_per_s = RISK_THROTTLE_MAX_RATE;
	c->order_burst = RISK_THROTTLE_MAX_BURST;
	c->cancel_rate_per_s = RISK_THROTTLE_MAX_RATE;
	c->cancel_burst = RISK_THROTTLE_MAX_BURST;
	c->max_working = 2048;
	c->dedup_window = 4096;
	c->recent_cloids = 1024;
}

static void make_intents(struct hat_msg_intent *v, uint64_t now)
{
	for (uint32_t i = 0; i < N_INTENTS; i++) {
		struct hat_msg_intent *m = &v[i];
		memset(m, 0, sizeof *m);
		m->h.type = HAT_MSG_INTENT;
		m->h.version = HAT_MSG_INTENT_VERSION;
		m->h.length = sizeof *m;
		m->h.seq = i + 1;
		m->h.origin_ns = now;
		int c = (int)(i % 4);
		strcpy(m->o.coin, coins[c]);
		m->o.asset = (uint32_t)c;
		m->o.kind = HAT_INTENT_NEW;
		m->o.side = i % 2 ? HAT_SIDE_SELL : HAT_SIDE_BUY;
		m->o.tif = HAT_TIF_ALO;
		/* a few ticks off the mid; size worth ~$100 */
		int64_t tick = c == 0 ? ONE : c == 1 ? ONE / 10 : c == 2 ? ONE / 100 : 100000;
		m->o.px = mids[c] + (i % 2 ? 1 : -1) * tick * (int64_t)(1 + i % 5);
		int64_t lot = c == 0 ? 1000 : c == 1 ? 10000 : c == 2 ? 1000000 : ONE;
		m->o.sz = ((100 * ONE / (mids[c] / ONE ? mids[c] / ONE : 1)) / lot + 1) * lot;
		if (c == 3)
			m->o.sz = 1000 * ONE;
		m->o.strategy_id = 1;
	}
}

static void set_cloid(struct hat_msg_intent *m, uint64_t id)
{
	memcpy(m->o.cloid + 8, &id, 8);
}

int main(void)
{
	static struct risk_engine e;
	struct risk_engine_cfg cfg;
	make_cfg(&cfg);
	struct risk_out out = { NULL, out_copy, out_copy, NULL };
	char err[256];
	uint64_t now = hat_now_ns();
	if (risk_engine_init(&e, &cfg, &out, now, err, sizeof err) != 0) {
		fprintf(stderr, "bench-risk: %s\n", err);
		return 1;
	}
	for (int i = 0; i < 4; i++)
		risk_engine_set_mark(&e, i, mids[i], now);
	/* ready (empty snapshot), some positions and 32 working orders */
	struct hat_msg_control sc;
	memset(&sc, 0, sizeof sc);
	sc.h.type = HAT_MSG_CONTROL;
	sc.h.length = sizeof sc;
	sc.cmd = HAT_CTL_SNAPSHOT_BEGIN;
	risk_engine_exec_msg(&e, &sc.h, now);
	sc.cmd = HAT_CTL_SNAPSHOT_END;
	risk_engine_exec_msg(&e, &sc.h, now);
	for (int i = 0; i < 4; i++)
		risk_book_set_position(&e.book, i, (i % 2 ? -5 : 5) * ONE, mids[i], 0, 0);
	static struct hat_msg_intent intents[N_INTENTS];
	make_intents(intents, now);
	for (uint64_t i = 0; i < 32; i++) {
		set_cloid(&intents[i], 1000000000 + i);
		if (risk_engine_intent(&e, &intents[i], NULL, now) != HAT_REASON_NONE) {
			fprintf(stderr, "bench-risk: setup intent %llu rejected\n", (unsigned long long)i);
			return 1;
		}
	}

	struct risk_check_env env = {
		.lim = &e.cfg.limits, .book = &e.book, .recent_cloids = &e.recent.map,
		.order_tb = &e.order_tb, .cancel_tb = &e.cancel_tb,
		.trading_state = HAT_TS_ACTIVE, .ready = true,
	};
	for (uint32_t i = 0; i < N_INTENTS; i++)
		set_cloid(&intents[i], 5000000000ULL + i);
	for (uint32_t i = 0; i < N_INTENTS; i++)
		if (risk_limits_check(&env, &intents[i].o, now, NULL, err, sizeof err)) {
			fprintf(stderr, "bench-risk: intent %u rejected: %s\n", i, err);
			return 1;
		}

	static uint64_t lat[N_LAT];
	uint64_t t0, t1, acc = 0;

	/* ---- baseline 1: empty timed region */
	for (size_t i = 0; i < N_LAT; i++) {
		t0 = hat_mono_ns();
		t1 = hat_mono_ns();
		lat[i] = t1 - t0;
	}
	struct lat empty = percentiles(lat, N_LAT);

	/* ---- baseline 2: copy the intent into an ORDER (best of ROUNDS: the machine is shared) */
	static struct hat_msg_order ord;
	double copy_per_s = 0;
	for (int round = 0; round < ROUNDS; round++) {
		t0 = hat_mono_ns();
		for (size_t i = 0; i < N_THRU; i++) {
			const struct hat_msg_intent *m = &intents[i % N_INTENTS];
			memset(&ord, 0, sizeof ord);
			ord.h = m->h;
			ord.o = m->o;
			ord.risk_seq = i;
			__asm__ __volatile__("" : : "r"(&ord) : "memory");
			acc += ord.o.px;
		}
		t1 = hat_mono_ns();
		double r = (double)N_THRU * 1e9 / (double)(t1 - t0);
		if (r > copy_per_s)
			copy_per_s = r;
	}
	for (size_t i = 0; i < N_LAT; i++) {
		const struct hat_msg_intent *m = &intents[i % N_INTENTS];
		t0 = hat_mono_ns();
		memset(&ord, 0, sizeof ord);
		ord.h = m->h;
		ord.o = m->o;
		__asm__ __volatile__("" : : "r"(&ord) : "memory");
		t1 = hat_mono_ns();
		lat[i] = t1 - t0;
	}
	struct lat copy = percentiles(lat, N_LAT);

	/* ---- the check */
	unsigned fails = 0;
	double check_per_s = 0;
	for (int round = 0; round < ROUNDS; round++) {
		t0 = hat_mono_ns();
		for (size_t i = 0; i < N_THRU; i++)
			fails += risk_limits_check(&env, &intents[i % N_INTENTS].o, now, NULL, NULL,
			                           0) != 0;
		t1 = hat_mono_ns();
		double r = (double)N_THRU * 1e9 / (double)(t1 - t0);
		if (r > check_per_s)
			check_per_s = r;
	}
	for (size_t i = 0; i < N_LAT; i++) {
		uint64_t a = hat_mono_ns();
		fails += risk_limits_check(&env, &intents[i % N_INTENTS].o, now, NULL, NULL, 0) != 0;
		lat[i] = hat_mono_ns() - a;
	}
	struct lat check = percentiles(lat, N_LAT);

	/* ---- the engine path: approve, then retire the order (untimed) */
	struct hat_msg_exec cx;
	memset(&cx, 0, sizeof cx);
	cx.h.type = HAT_MSG_EXEC;
	cx.h.length = sizeof cx;
	cx.kind = HAT_EXEC_CANCELED;
	cx.flags = HAT_EXEC_F_FINAL;
	uint64_t next_id = 10000000000ULL;
	const size_t n_engine = N_LAT;
	for (size_t i = 0; i < n_engine; i++) {
		struct hat_msg_intent *m = &intents[i % N_INTENTS];
		set_cloid(m, next_id++);
		uint64_t a = hat_mono_ns();
		enum hat_reason r = risk_engine_intent(&e, m, NULL, now + i);
		uint64_t b = hat_mono_ns();
		lat[i] = b - a;
		fails += r != HAT_REASON_NONE;
		memcpy(cx.cloid, m->o.cloid, HAT_CLOID_LEN);
		memcpy(cx.coin, m->o.coin, HAT_COIN_LEN);
		cx.side = m->o.side;
		risk_engine_exec_msg(&e, &cx.h, now + i);
	}
	/* throughput: approve + retire cycles, best of ROUNDS */
	double engine_per_s = 0;
	for (int round = 0; round < ROUNDS; round++) {
		t0 = hat_mono_ns();
		for (size_t i = 0; i < N_CYCLES; i++) {
			struct hat_msg_intent *m = &intents[i % N_INTENTS];
			set_cloid(m, next_id++);
			fails += risk_engine_intent(&e, m, NULL, now + i) != HAT_REASON_NONE;
			memcpy(cx.cloid, m->o.cloid, HAT_CLOID_LEN);
			memcpy(cx.coin, m->o.coin, HAT_COIN_LEN);
			cx.side = m->o.side;
			risk_engine_exec_msg(&e, &cx.h, now + i);
		}
		t1 = hat_mono_ns();
		double r = (double)N_CYCLES * 1e9 / (double)(t1 - t0);
		if (r > engine_per_s)
			engine_per_s = r;
	}
	struct lat eng = percentiles(lat, n_engine);

	printf("bench-risk: %u checks failed (must be 0), %llu messages out, sink %llu\n", fails,
	       (unsigned long long)sink_n, (unsigned long long)(acc & 1));
	printf("%-28s %14s %8s %8s %8s\n", "", "per s", "p50 ns", "p99 ns", "p99.9 ns");
	printf("%-28s %14s %8llu %8llu %8llu\n", "baseline: empty timed region", "-",
	       (unsigned long long)empty.p50, (unsigned long long)empty.p99,
	       (unsigned long long)empty.p999);
	printf("%-28s %14.0f %8llu %8llu %8llu\n", "baseline: intent->order copy", copy_per_s,
	       (unsigned long long)copy.p50, (unsigned long long)copy.p99,
	       (unsigned long long)copy.p999);
	printf("%-28s %14.0f %8llu %8llu %8llu\n", "risk_limits_check", check_per_s,
	       (unsigned long long)check.p50, (unsigned long long)check.p99,
	       (unsigned long long)check.p999);
	printf("%-28s %14.0f %8llu %8llu %8llu\n", "risk_engine_intent (+retire)", engine_per_s,
	       (unsigned long long)eng.p50, (unsigned long long)eng.p99,
	       (unsigned long long)eng.p999);
	printf("ratio: a check costs %.1fx an intent->order copy (throughput)\n",
	       copy_per_s / check_per_s);
	printf("BENCH risk_checks_per_s %.0f /s\n", check_per_s);
	printf("BENCH risk_p50_ns %llu ns\n", (unsigned long long)check.p50);
	printf("BENCH risk_p99_ns %llu ns\n", (unsigned long long)check.p99);
	printf("BENCH engine_intents_per_s %.0f /s\n", engine_per_s);
	printf("BENCH engine_p50_ns %llu ns\n", (unsigned long long)eng.p50);
	printf("BENCH engine_p99_ns %llu ns\n", (unsigned long long)eng.p99);
	risk_engine_free(&e);
	return fails ? 1 : 0;
}
