/* bench/bench_common.c -- per-call cost of the shared hot-path helpers, each against a baseline
 * measured in the same run:
 *   msg validate (TRADE, BOOK)      vs  copying the message out of its slot
 *   board read (seqlock, idle)      vs  memcpy of the 128-byte quote
 *   board read under a live writer  (p50/p99 of single reads, torn-read retries included)
 *   board update_bbo (writer)       vs  128-byte store
 *   hist record, counter add        vs  a plain increment
 *   log line to /dev/null           vs  snprintf + write of a similar line
 * Prints ns/op and ratios, then BENCH lines. Runs a few seconds. */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/board.h"
#include "common/control.h"
#include "common/log.h"
#include "common/msg.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Keeps results alive so the compiler cannot drop the work. */
static volatile uint64_t sink;

#define TIME_LOOP(n, body) ({ \
		uint64_t t0_ = now_ns(); \
		for (uint64_t i_ = 0; i_ < (n); i_++) { body; } \
		(double)(now_ns() - t0_) / (double)(n); })

static void line(const char *what, double ns, double base_ns)
{
	printf("  %-34s %8.1f ns/op   baseline %7.1f ns   ratio %6.2fx\n", what, ns, base_ns,
	       base_ns > 0 ? ns / base_ns : 0);
}

struct writer_arg {
	struct hat_board *b;
	volatile int stop;
};

static void *writer(void *p)
{
	struct writer_arg *w = p;
	int64_t k = 1;
	while (!w->stop) {
		hat_board_update_bbo(w->b, 0, k * 100, 1, k * 100 + 1, 1, (uint64_t)k, (uint64_t)k);
		k++;
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	const uint64_t N = 2000000;

	/* ---- msg validate */
	struct hat_msg_trade t;
	hat_msg_init(&t.h, HAT_MSG_TRADE);
	hat_coin_set(t.coin, "BTC");
	t.side = HAT_SIDE_BUY;
	t.px = 6700000000000;
	t.sz = 1000000;
	struct hat_msg_book bk;
	hat_msg_init(&bk.h, HAT_MSG_BOOK);
	hat_coin_set(bk.coin, "BTC");
	bk.n_bids = bk.n_asks = HAT_BOOK_DEPTH;
	for (int i = 0; i < HAT_BOOK_DEPTH; i++) {
		bk.bids[i] = (struct hat_level){ 6700000000000 - i * 100000000, 100000, 1, 0 };
		bk.asks[i] = (struct hat_level){ 6700100000000 + i * 100000000, 100000, 1, 0 };
	}
	static uint8_t dst[HAT_MSG_SLOT_ANY];
	/* Opaque lengths: the baseline is a real copy out of the slot, as a consumer makes. */
	volatile size_t len_trade = sizeof t, len_book = sizeof bk;
	double v_trade = TIME_LOOP(N, sink += (uint64_t)hat_msg_validate(&t, sizeof t, NULL, 0));
	double c_trade = TIME_LOOP(N, { memcpy(dst, &t, len_trade); __asm__ volatile("" ::: "memory"); });
	double v_book = TIME_LOOP(N, sink += (uint64_t)hat_msg_validate(&bk, sizeof bk, NULL, 0));
	double c_book = TIME_LOOP(N, { memcpy(dst, &bk, len_book); __asm__ volatile("" ::: "memory"); });

	/* ---- board */
	size_t len = hat_board_shm_size(4);
	void *mem = aligned_alloc(64, len);
	struct hat_board b;
	hat_board_init_mem(&b, mem, len, 4, getpid(), 0);
	hat_board_add_coin(&b, "BTC", 0);
	hat_board_update_bbo(&b, 0, 100, 1, 101, 1, 1, 1);
	struct hat_board_quote q, copy;
	double r_idle = TIME_LOOP(N, { hat_board_read(&b, 0, &q); sink += (uint64_t)q.bid_px; });
	double c_quote = TIME_LOOP(N, { memcpy(&copy, &b.shm->coins[0].q, sizeof copy);
					__asm__ volatile("" ::: "memory"); sink += (uint64_t)copy.bid_px; });
	double w_bbo = TIME_LOOP(N, hat_board_update_bbo(&b, 0, (int64_t)i_ + 1, 1, (int64_t)i_ + 2, 1, i_, i_));
	double c_store = TIME_LOOP(N, { memset(&b.shm->coins[1].q, (int)i_, sizeof q);
					__asm__ volatile("" ::: "memory"); });

	/* Reads while a writer thread hammers the same coin (the worst case). */
	struct writer_arg wa = { &b, 0 };
	pthread_t wt;
	pthread_create(&wt, NULL, writer, &wa);
	enum { SAMPLES = 200000 };
	uint64_t *lat = malloc(SAMPLES * sizeof *lat);
	uint64_t eagain = 0;
	for (int i = 0; i < SAMPLES; i++) {
		uint64_t t0 = now_ns();
		if (hat_board_read(&b, 0, &q) != 0)
			eagain++;
		lat[i] = now_ns() - t0;
	}
	wa.stop = 1;
	pthread_join(wt, NULL);
	qsort(lat, SAMPLES, sizeof *lat, cmp_u64);
	uint64_t p50 = lat[SAMPLES / 2], p99 = lat[SAMPLES * 99 / 100], p999 = lat[SAMPLES * 999 / 1000];
	uint64_t clock_cost = (uint64_t)TIME_LOOP(N, sink += now_ns());

	/* ---- control */
	void *cmem = aligned_alloc(64, hat_control_shm_size());
	struct hat_control c;
	hat_control_init_mem(&c, cmem, hat_control_shm_size(), 0);
	struct hat_stage_shm *s = hat_control_stage(&c, HAT_STAGE_FEEDD);
	struct hat_counter ctr;
	struct hat_hist h;
	hat_counter_register(s, "n", &ctr);
	hat_hist_register(s, "lat", &h);
	volatile uint64_t plain = 0;
	double ctr_add = TIME_LOOP(N, hat_counter_inc(ctr));
	double hist_rec = TIME_LOOP(N, hat_hist_record(h, i_ * 37));
	double inc = TIME_LOOP(N, plain++);

	/* ---- log */
	int devnull = open("/dev/null", O_WRONLY);
	struct hat_log log;
	hat_log_init_fd(&log, "bench", devnull, HAT_LOG_INFO);
	const uint64_t NL = 300000;
	double log_line = TIME_LOOP(NL, hat_log(&log, HAT_LOG_INFO, "fill", "coin=%s px=%s sz=%s n=%d",
						"BTC", "67000.5", "0.01", (int)i_));
	char buf[512];
	double log_base = TIME_LOOP(NL, {
		int n = snprintf(buf, sizeof buf, "{\"ts\":\"%s\",\"level\":\"info\",\"stage\":\"bench\","
			"\"event\":\"fill\",\"coin\":\"%s\",\"px\":\"%s\",\"sz\":\"%s\",\"n\":%d}\n",
			"2026-01-01T00:00:00.000Z", "BTC", "67000.5", "0.01", (int)i_);
		sink += (uint64_t)write(devnull, buf, (size_t)n); });
	double log_off = TIME_LOOP(N, hat_log(&log, HAT_LOG_DEBUG, "x", "n=%d", 1));
	close(devnull);

	printf("bench-common (single thread unless noted)\n");
	line("msg validate TRADE", v_trade, c_trade);
	line("msg validate BOOK (10x10)", v_book, c_book);
	line("board read (idle)", r_idle, c_quote);
	line("board update_bbo", w_bbo, c_store);
	line("counter add (relaxed atomic)", ctr_add, inc);
	line("hist record", hist_rec, inc);
	line("log line to /dev/null", log_line, log_base);
	line("log call below min level", log_off, inc);
	printf("  board read under a writer thread: p50 %" PRIu64 " ns, p99 %" PRIu64 " ns, p99.9 %"
	       PRIu64 " ns (clock read ~%" PRIu64 " ns included), %" PRIu64 " EAGAIN of %d\n",
	       p50, p99, p999, clock_cost, eagain, SAMPLES);

	printf("BENCH msg_validate_trade_ns %.1f ns\n", v_trade);
	printf("BENCH msg_validate_book_ns %.1f ns\n", v_book);
	printf("BENCH board_read_ns %.1f ns\n", r_idle);
	printf("BENCH board_read_vs_memcpy_ratio %.2f x\n", c_quote > 0 ? r_idle / c_quote : 0);
	printf("BENCH board_read_contended_p99_ns %" PRIu64 " ns\n", p99);
	printf("BENCH board_update_ns %.1f ns\n", w_bbo);
	printf("BENCH hist_record_ns %.1f ns\n", hist_rec);
	printf("BENCH log_line_ns %.1f ns\n", log_line);
	printf("BENCH log_vs_snprintf_ratio %.2f x\n", log_base > 0 ? log_line / log_base : 0);
	free(lat);
	free(mem);
	free(cmem);
	return 0;
}
