/* bench/bench_sign.c -- L1 order signing throughput: build msgpack + connectionId + EIP-712
 * digest + secp256k1 sign, split into its hash and sign parts, against same-run baselines
 * (Keccak-256 of the same preimage alone, libsecp256k1 signing alone).
 *
 * Rates are per CPU second of the benchmark thread (wall-clock rates printed beside them).
 * Ends with:
 *   BENCH sign_l1_order_per_s <n> /s
 *   BENCH hash_l1_order_per_s <n> /s
 *   BENCH secp_sign_per_s <n> /s
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "hl/action.h"
#include "hl/keccak.h"
#include "hl/sign.h"

#define RUN_NS 1500000000ULL /* each measured loop runs 1.5 s of CPU time */
#define LAT_SAMPLES 20000

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* Sink so the compiler cannot drop the work. */
static volatile uint8_t sink;

struct ctx {
	struct hl_signer signer;
	struct hat_buf mp;
	struct hl_order order;
	uint64_t nonce;
};

/* One varying order per call (price and nonce change), like a quoting loop. */
static void next_order(struct ctx *c)
{
	c->nonce++;
	c->order.px = 6500000000000LL + (int64_t)(c->nonce % 1000) * 100000000LL;
}

static void op_keccak(struct ctx *c)
{
	uint8_t h[32];
	c->nonce++;
	memcpy(c->mp.data, &c->nonce, 8);
	hl_keccak256(c->mp.data, c->mp.len, h);
	sink ^= h[0];
}

static void op_secp(struct ctx *c)
{
	uint8_t d[32] = {0};
	struct hl_sig sig;
	c->nonce++;
	memcpy(d, &c->nonce, 8);
	hl_sign_digest(&c->signer, d, &sig);
	sink ^= sig.r[0];
}

static void op_hash(struct ctx *c)
{
	uint8_t cid[32], digest[32];
	next_order(c);
	hat_buf_reset(&c->mp);
	hl_action_order(&c->order, 1, HL_GROUPING_NA, NULL, NULL, &c->mp);
	struct hl_l1_meta m = {.nonce = c->nonce};
	hl_l1_connection_id((const uint8_t *)c->mp.data, c->mp.len, &m, cid);
	hl_l1_digest(cid, false, digest);
	sink ^= digest[0];
}

static void op_full(struct ctx *c)
{
	struct hl_sig sig;
	next_order(c);
	hat_buf_reset(&c->mp);
	hl_action_order(&c->order, 1, HL_GROUPING_NA, NULL, NULL, &c->mp);
	struct hl_l1_meta m = {.nonce = c->nonce};
	hl_sign_l1(&c->signer, (const uint8_t *)c->mp.data, c->mp.len, &m, NULL, &sig);
	sink ^= sig.s[0];
}

/* Runs op in batches for RUN_NS of this thread's CPU time. Returns operations per CPU second
 * (the headline: the host is shared, so wall-clock rates swing with other load) and stores the
 * wall-clock rate in *wall. */
static double rate(void (*op)(struct ctx *), struct ctx *c, double *wall)
{
	uint64_t n = 0, w0 = now_ns(), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t;
	do {
		for (int i = 0; i < 256; i++)
			op(c);
		n += 256;
		t = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	} while (t - c0 < RUN_NS);
	*wall = (double)n * 1e9 / (double)(now_ns() - w0);
	return (double)n * 1e9 / (double)(t - c0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	struct ctx c = {.mp = HAT_BUF_INIT, .nonce = 1717000000000ULL};
	uint8_t key[32];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 37 + 1);
	if (hl_signer_init(&c.signer, key) != 0) {
		fprintf(stderr, "bench-sign: signer init failed\n");
		return 1;
	}
	c.order = (struct hl_order){.asset = 0, .is_buy = true, .px = 6500000000000LL, .sz = 100000,
				    .tif = HL_TIF_ALO, .has_cloid = true};
	c.order.cloid[15] = 42;
	/* Preimage of the same size as an order's for the keccak baseline. */
	hl_action_order(&c.order, 1, HL_GROUPING_NA, NULL, NULL, &c.mp);
	hat_buf_append(&c.mp, "\0\0\0\0\0\0\0\0\0", 9);
	size_t preimage = c.mp.len;

	double w_keccak, w_secp, w_hash, w_full;
	double r_keccak = rate(op_keccak, &c, &w_keccak);
	double r_secp = rate(op_secp, &c, &w_secp);
	double r_hash = rate(op_hash, &c, &w_hash);
	double r_full = rate(op_full, &c, &w_full);

	/* Latency of the full path, one call at a time. */
	uint64_t *lat = malloc(LAT_SAMPLES * sizeof *lat);
	if (!lat)
		return 1;
	for (int i = 0; i < LAT_SAMPLES; i++) {
		uint64_t t0 = now_ns();
		op_full(&c);
		lat[i] = now_ns() - t0;
	}
	qsort(lat, LAT_SAMPLES, sizeof *lat, cmp_u64);

	printf("preimage bytes (order with cloid + nonce + vault flag): %zu\n", preimage);
	printf("rates per CPU second (wall-clock rate in brackets; the host is shared)\n");
	printf("baseline keccak256 of the preimage alone : %10.0f /s %6.2f us  [%10.0f /s]\n",
	       r_keccak, 1e6 / r_keccak, w_keccak);
	printf("baseline secp256k1 sign alone             : %10.0f /s %6.2f us  [%10.0f /s]\n",
	       r_secp, 1e6 / r_secp, w_secp);
	printf("hash: msgpack + connectionId + EIP-712    : %10.0f /s %6.2f us  [%10.0f /s]\n",
	       r_hash, 1e6 / r_hash, w_hash);
	printf("full: msgpack + hash + sign               : %10.0f /s %6.2f us  [%10.0f /s]\n",
	       r_full, 1e6 / r_full, w_full);
	printf("hash share of full time: %.1f%%; full rate / secp-alone rate: %.3f\n",
	       100.0 * r_full / r_hash, r_full / r_secp);
	printf("full latency ns (wall, one call at a time): p50 %" PRIu64 " p90 %" PRIu64 " p99 %" PRIu64 " p99.9 %" PRIu64
	       " max %" PRIu64 "\n",
	       lat[LAT_SAMPLES / 2], lat[LAT_SAMPLES * 9 / 10], lat[LAT_SAMPLES * 99 / 100],
	       lat[LAT_SAMPLES * 999 / 1000], lat[LAT_SAMPLES - 1]);
	printf("reference: TypeScript SDK (noble) signs a few thousand L1 orders per second; goal >= "
	       "10x that.\n");
	printf("BENCH sign_l1_order_per_s %.0f /s\n", r_full);
	printf("BENCH hash_l1_order_per_s %.0f /s\n", r_hash);
	printf("BENCH secp_sign_per_s %.0f /s\n", r_secp);
	free(lat);
	hat_buf_free(&c.mp);
	hl_signer_deinit(&c.signer);
	return 0;
}
