/* bench/bench_exec_core.c -- execd's core modules, each against a baseline in the same run:
 *   order FSM: one order's life (new, ack, fill)   vs  copying its three exec events
 *   order FSM: lookup by cloid in 4096 live orders  vs  one 16-byte memcmp
 *   WAL: one action (ACTION synced, SENT, RESULT)   vs  write + fdatasync of the same bytes
 *        (p50/p99 latency; the file system under build/ decides the absolute numbers)
 *   audit: one request line (BLAKE2b chained)       vs  write of the same line
 *   nonce: next nonce (amortized mark writes)       vs  reading the clock
 * Prints ns/op and ratios, then BENCH lines. Runs a few seconds. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/msg.h"
#include "execd/audit.h"
#include "execd/nonce.h"
#include "execd/order_fsm.h"
#include "execd/wal.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static volatile uint64_t sink;

static void line(const char *what, double ns, double base_ns)
{
	printf("  %-40s %10.1f ns/op   baseline %9.1f ns   ratio %7.2fx\n", what, ns, base_ns,
	       base_ns > 0 ? ns / base_ns : 0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void cloid_of(uint32_t id, uint8_t c[HAT_CLOID_LEN])
{
	memset(c, 0, HAT_CLOID_LEN);
	c[0] = 0xc1;
	memcpy(c + 12, &id, 4);
}

static struct hat_msg_order mk(uint32_t id)
{
	struct hat_msg_order o;
	hat_msg_init(&o.h, HAT_MSG_ORDER);
	cloid_of(id, o.o.cloid);
	hat_coin_set(o.o.coin, "BTC");
	o.o.kind = HAT_INTENT_NEW;
	o.o.side = HAT_SIDE_BUY;
	o.o.tif = HAT_TIF_GTC;
	o.o.px = 6700000000000;
	o.o.sz = 100000000;
	o.risk_seq = id + 1;
	return o;
}

int main(void)
{
	char err[256];
	/* ---- FSM life */
	struct exec_fsm f;
	struct exec_fsm_config cfg = {.capacity = 8192, .recent_tids = 8192};
	if (exec_fsm_init(&f, &cfg, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	const uint32_t N = 400000;
	struct hat_msg_order o = mk(0);
	struct hl_exch_status st = {.kind = HL_EXST_RESTING};
	struct hl_fill fl = {0};
	hat_coin_set(fl.coin, "BTC");
	fl.side = HAT_SIDE_BUY;
	fl.px = 6700000000000;
	fl.sz = 100000000;
	fl.has_cloid = 1;
	uint64_t t0 = now_ns();
	for (uint32_t i = 0; i < N; i++) {
		cloid_of(i, o.o.cloid);
		exec_fsm_new(&f, &o, i);
		st.oid = 1000000 + i;
		sink += (uint64_t)exec_fsm_on_order_result(&f, o.o.cloid, &st, i, i, ev);
		memcpy(fl.cloid, o.o.cloid, HAT_CLOID_LEN);
		fl.oid = st.oid;
		fl.tid = 5000000 + i;
		sink += (uint64_t)exec_fsm_on_fill(&f, &fl, i, i, ev);
	}
	double life = (double)(now_ns() - t0) / N;
	struct hat_msg_exec src[3], dst[3];
	memset(src, 1, sizeof src);
	t0 = now_ns();
	for (uint32_t i = 0; i < N; i++) {
		src[0].tid = i;
		memcpy(dst, src, sizeof dst);
		sink += dst[2].tid + dst[0].tid;
		__asm__ volatile("" ::: "memory");
	}
	double copy3 = (double)(now_ns() - t0) / N;
	if (!exec_order_fsm_check(&f)) {
		fprintf(stderr, "FSM inconsistent\n");
		return 1;
	}
	exec_fsm_deinit(&f);

	/* ---- FSM lookup among 4096 live orders */
	exec_fsm_init(&f, &cfg, err, sizeof err);
	for (uint32_t i = 0; i < 4096; i++) {
		o = mk(i);
		exec_fsm_new(&f, &o, 1);
	}
	uint8_t c[HAT_CLOID_LEN], d[HAT_CLOID_LEN];
	t0 = now_ns();
	for (uint32_t i = 0; i < N; i++) {
		cloid_of(i & 4095, c);
		sink += exec_fsm_find(&f, c)->risk_seq;
	}
	double lookup = (double)(now_ns() - t0) / N;
	cloid_of(7, d);
	t0 = now_ns();
	for (uint32_t i = 0; i < N; i++) {
		cloid_of(i & 4095, c);
		sink += (uint64_t)memcmp(c, d, HAT_CLOID_LEN);
		__asm__ volatile("" ::: "memory");
	}
	double cmp = (double)(now_ns() - t0) / N;
	exec_fsm_deinit(&f);

	/* ---- WAL on the build directory's file system (not tmpfs) */
	char dir[] = "build/bench-exec-core.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp(build/bench-exec-core.XXXXXX)");
		return 1;
	}
	const char body[] = "{\"action\":{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":true,\"p\":\"67000\","
			    "\"s\":\"0.001\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Alo\"}},\"c\":"
			    "\"0x0000000000000000000000000000002a\"}],\"grouping\":\"na\"},\"nonce\":"
			    "1717000000000,\"signature\":{\"r\":\"0xd43038a318b49c130da9325da1e05093af0a3c"
			    "068ddd8ae460e581dd406eabf8\",\"s\":\"0x54dcc7bdf6f11b7a2b78184cf2c18fbfc239a785"
			    "eadf8d78a96d061589da7568\",\"v\":28}}";
	struct exec_wal w;
	struct exec_wal_opts wo = {.dir = dir, .prefix = "bench", .max_inflight = 64};
	if (exec_wal_open(&w, &wo, NULL, 0, 1, 1, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	enum { W = 400 };
	static uint64_t lat[W], base[W];
	struct exec_wal_order wor;
	memset(&wor, 0, sizeof wor);
	wor.o = mk(1).o;
	for (uint32_t i = 0; i < W; i++) {
		uint64_t a = now_ns();
		exec_wal_action(&w, 1000 + i, EXEC_WAL_ORDER, &wor, 1, body, sizeof body - 1, a,
				a / 1000000, err, sizeof err);
		exec_wal_sent(&w, 1000 + i, a, a / 1000000, err, sizeof err);
		exec_wal_result(&w, 1000 + i, EXEC_WAL_ANSWERED, a, a / 1000000, err, sizeof err);
		lat[i] = now_ns() - a;
	}
	exec_wal_close(&w);
	char raw[512];
	snprintf(raw, sizeof raw, "%s/raw", dir);
	int fd = open(raw, O_WRONLY | O_CREAT | O_APPEND, 0600);
	uint8_t rec[24 + 16 + 96 + sizeof body];
	memset(rec, 7, sizeof rec);
	for (uint32_t i = 0; i < W; i++) {
		uint64_t a = now_ns();
		if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec || fdatasync(fd) != 0)
			return 1;
		base[i] = now_ns() - a;
	}
	close(fd);
	qsort(lat, W, sizeof lat[0], cmp_u64);
	qsort(base, W, sizeof base[0], cmp_u64);

	/* ---- audit */
	char apath[512];
	snprintf(apath, sizeof apath, "%s/audit.jsonl", dir);
	struct exec_audit au;
	if (exec_audit_open(&au, apath, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	const uint32_t A = 50000;
	t0 = now_ns();
	for (uint32_t i = 0; i < A; i++)
		exec_audit_append(&au, EXEC_AUDIT_REQUEST, 1717000000000 + i, 1000 + i, body,
				  sizeof body - 1, err, sizeof err);
	double audit = (double)(now_ns() - t0) / A;
	exec_audit_close(&au);
	snprintf(raw, sizeof raw, "%s/raw2", dir);
	fd = open(raw, O_WRONLY | O_CREAT | O_APPEND, 0600);
	char l2[sizeof body + 256];
	memset(l2, 'x', sizeof l2);
	t0 = now_ns();
	for (uint32_t i = 0; i < A; i++)
		if (write(fd, l2, sizeof l2) != (ssize_t)sizeof l2)
			return 1;
	double rawline = (double)(now_ns() - t0) / A;
	close(fd);

	/* ---- nonce */
	char npath[512];
	snprintf(npath, sizeof npath, "%s/nonce", dir);
	struct exec_nonce nn;
	exec_nonce_open(&nn, npath, 10000, err, sizeof err);
	const uint32_t M = 200000;
	uint64_t v = 0;
	t0 = now_ns();
	for (uint32_t i = 0; i < M; i++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		exec_nonce_next(&nn, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000, &v,
				err, sizeof err);
	}
	double nonce = (double)(now_ns() - t0) / M;
	t0 = now_ns();
	for (uint32_t i = 0; i < M; i++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		sink += (uint64_t)ts.tv_nsec;
	}
	double clk = (double)(now_ns() - t0) / M;
	uint64_t persists = nn.persists;
	exec_nonce_close(&nn);

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);

	printf("execd core (%u orders, %d WAL actions, %u audit lines, %u nonces)\n", N, W, A, M);
	line("FSM order life (new+ack+fill)", life, copy3);
	line("FSM lookup by cloid (4096 live)", lookup, cmp);
	line("audit append (request line)", audit, rawline);
	line("nonce next", nonce, clk);
	printf("  %-40s p50 %8.1f us  p99 %8.1f us   baseline write+fdatasync p50 %8.1f us  "
	       "p99 %8.1f us   ratio p50 %5.2fx\n",
	       "WAL action+sent+result", lat[W / 2] / 1e3, lat[W * 99 / 100] / 1e3,
	       base[W / 2] / 1e3, base[W * 99 / 100] / 1e3,
	       base[W / 2] ? (double)lat[W / 2] / (double)base[W / 2] : 0);
	printf("  nonce marks written: %" PRIu64 " for %u nonces\n", persists, M);
	printf("BENCH exec_fsm_order_life_ns %.1f ns\n", life);
	printf("BENCH exec_fsm_lookup_ns %.1f ns\n", lookup);
	printf("BENCH exec_wal_action_p50_us %.1f us\n", lat[W / 2] / 1e3);
	printf("BENCH exec_wal_action_p99_us %.1f us\n", lat[W * 99 / 100] / 1e3);
	printf("BENCH exec_wal_vs_fdatasync_ratio %.2f x\n",
	       base[W / 2] ? (double)lat[W / 2] / (double)base[W / 2] : 0);
	printf("BENCH exec_audit_append_ns %.1f ns\n", audit);
	printf("BENCH exec_nonce_next_ns %.1f ns\n", nonce);
	return 0;
}
