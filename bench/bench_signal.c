/* bench/bench_signal.c -- signald's decision core on a synthetic market: md messages/s and
 * per-message latency with the market maker and its online model enabled, against a baseline
 * in the same run that only validates and copies each message (the floor a consumer pays).
 * Also the taker strategy for comparison. Ends with BENCH lines. Runs a few seconds. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/control.h"
#include "common/msg.h"
#include "signald/engine.h"

#define N_MSGS 400000
#define N_WARM 20000

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static volatile uint64_t sink;
static uint64_t n_intents;

static void emit(void *u, const struct hat_msg_intent *in) { (void)u; n_intents++; sink += in->o.px; }
static void emit_ctl(void *u, const struct hat_msg_control *c) { (void)u; sink += c->cmd; }

/* A random-walk market: 3 books and 1 trade in 4 messages, like a busy feed. */
static void make_stream(union { struct hat_msg_book b; struct hat_msg_trade t; } *m, int n)
{
	uint64_t s = 12345;
	double mid = 3000;
	for (int i = 0; i < n; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		double r = (double)(s >> 11) / 9007199254740992.0 - 0.5;
		mid += r * 0.6;
		if (i % 4 == 3) {
			struct hat_msg_trade *t = &m[i].t;
			memset(t, 0, sizeof *t);
			hat_msg_init(&t->h, HAT_MSG_TRADE);
			hat_coin_set(t->coin, "ETH");
			t->side = r > 0 ? HAT_SIDE_BUY : HAT_SIDE_SELL;
			t->px = (int64_t)llround(mid * 10) * 10000000;
			t->sz = 10000000;
			t->tid = (uint64_t)i;
			continue;
		}
		struct hat_msg_book *b = &m[i].b;
		memset(b, 0, sizeof *b);
		hat_msg_init(&b->h, HAT_MSG_BOOK);
		hat_coin_set(b->coin, "ETH");
		b->n_bids = b->n_asks = HAT_BOOK_DEPTH;
		int64_t bid = (int64_t)llround(mid * 10 - 1) * 10000000;
		for (int k = 0; k < HAT_BOOK_DEPTH; k++) {
			b->bids[k].px = bid - k * 10000000;
			b->asks[k].px = bid + (k + 2) * 10000000;
			b->bids[k].sz = (int64_t)((1 + ((s >> (k + 3)) & 7)) * 10000000);
			b->asks[k].sz = (int64_t)((1 + ((s >> (k + 9)) & 7)) * 10000000);
			b->bids[k].n = b->asks[k].n = 1;
		}
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct result { double msgs_per_s, p50, p99, p999; };

/* mode 0: validate + copy only; 1: engine with mm + model; 2: engine with taker. */
static struct result run(int mode, const void *stream, int n, uint64_t *lat)
{
	static struct sig_engine eng;
	static char state[1 << 20] __attribute__((aligned(16)));
	struct sig_engine_params ep;
	sig_engine_params_default(&ep);
	ep.max_md_age_ns = UINT64_MAX / 2;
	sig_engine_init(&eng, &ep, 0, emit, emit_ctl, NULL);
	struct sig_quoter_params qp;
	sig_quoter_params_default(&qp);
	char err[256];
	if (mode) {
		const char *params = mode == 1
			? "{\"base_size\":0.01,\"levels\":3,\"model\":{\"enabled\":true,\"horizon_ms\":50,\"sample_ms\":1}}"
			: "{\"imbalance\":0.3,\"flow\":0.2,\"cooldown_ms\":0}";
		cJSON *pj = cJSON_Parse(params);
		if (sig_engine_add_coin(&eng, "ETH", 1, 4, 1, mode == 1 ? &sig_strat_mm : &sig_strat_taker,
					state, pj, &qp, 1, err, sizeof err) != 0) {
			fprintf(stderr, "bench-signal: %s\n", err);
			exit(1);
		}
		cJSON_Delete(pj);
		struct hat_msg_control c;
		memset(&c, 0, sizeof c);
		hat_msg_init(&c.h, HAT_MSG_CONTROL);
		c.cmd = HAT_CTL_SNAPSHOT_END;
		sig_engine_on_msg(&eng, &c.h, 1);
	}
	_Alignas(64) unsigned char slot[HAT_SLOT_MD];
	const unsigned char *base = stream;
	size_t stride = sizeof(struct hat_msg_book);
	uint64_t t_sim = 1000000000ull; /* 1 ms of exchange time per message */
	uint64_t start = 0;
	for (int i = 0; i < n; i++) {
		if (i == N_WARM)
			start = now_ns();
		const struct hat_msg_hdr *h = (const void *)(base + (size_t)i * stride);
		uint64_t t0 = now_ns();
		memcpy(slot, h, h->length);
		if (hat_msg_validate(slot, h->length, err, sizeof err) != 0) {
			fprintf(stderr, "bench-signal: invalid synthetic message: %s\n", err);
			exit(1);
		}
		if (mode) {
			/* Answer every intent at once so the quoter keeps working (acks by cloid). */
			sig_engine_on_msg(&eng, (const void *)slot, t_sim);
			sig_engine_tick(&eng, t_sim);
			for (int k = 0; k < SIG_MAX_WORKING; k++) {
				struct sig_working *w = &eng.coins[0].quoter.wo[k];
				if (w->state == SIG_WO_PENDING_NEW || w->state == SIG_WO_PENDING_REPLACE)
					w->state = SIG_WO_LIVE;
				else if (w->state == SIG_WO_PENDING_CANCEL)
					w->state = SIG_WO_EMPTY;
			}
		} else {
			sink += ((const struct hat_msg_hdr *)slot)->seq;
		}
		uint64_t t1 = now_ns();
		if (i >= N_WARM)
			lat[i - N_WARM] = t1 - t0;
		t_sim += 1000000ull;
	}
	uint64_t el = now_ns() - start;
	int m = n - N_WARM;
	qsort(lat, (size_t)m, sizeof *lat, cmp_u64);
	struct result r = { (double)m / ((double)el / 1e9), (double)lat[m / 2], (double)lat[m * 99 / 100],
			    (double)lat[m * 999 / 1000] };
	sig_engine_deinit(&eng);
	return r;
}

int main(void)
{
	void *stream = malloc((size_t)N_MSGS * sizeof(struct hat_msg_book));
	uint64_t *lat = malloc(sizeof(uint64_t) * N_MSGS);
	make_stream(stream, N_MSGS);
	printf("bench-signal: %d synthetic md messages (3 books of 10x10 levels : 1 trade), ETH\n", N_MSGS);
	struct result base = run(0, stream, N_MSGS, lat);
	n_intents = 0;
	struct result mm = run(1, stream, N_MSGS, lat);
	uint64_t mm_intents = n_intents;
	n_intents = 0;
	struct result tk = run(2, stream, N_MSGS, lat);
	printf("  %-28s %12s %9s %9s %9s\n", "", "msgs/s", "p50 ns", "p99 ns", "p99.9 ns");
	printf("  %-28s %12.0f %9.0f %9.0f %9.0f\n", "baseline (validate + copy)", base.msgs_per_s,
	       base.p50, base.p99, base.p999);
	printf("  %-28s %12.0f %9.0f %9.0f %9.0f   (%llu intents)\n", "mm + online model", mm.msgs_per_s,
	       mm.p50, mm.p99, mm.p999, (unsigned long long)mm_intents);
	printf("  %-28s %12.0f %9.0f %9.0f %9.0f   (%llu intents)\n", "taker", tk.msgs_per_s, tk.p50,
	       tk.p99, tk.p999, (unsigned long long)n_intents);
	printf("  mm+model per message costs %.1fx the baseline (p50)\n", mm.p50 / (base.p50 > 0 ? base.p50 : 1));
	printf("BENCH signal_msgs_per_s %.0f /s\n", mm.msgs_per_s);
	printf("BENCH signal_p50_ns %.0f ns\n", mm.p50);
	printf("BENCH signal_p99_ns %.0f ns\n", mm.p99);
	printf("BENCH signal_vs_baseline_ratio %.2f x\n", mm.p50 / (base.p50 > 0 ? base.p50 : 1));
	free(stream);
	free(lat);
	return 0;
}
