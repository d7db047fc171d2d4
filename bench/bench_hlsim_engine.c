/* bench/bench_hlsim_engine.c -- hlsim's exchange model without the network: signed
 * place+cancel pairs through hlsim_exchange (JSON parse, canonical re-encoding, signer
 * recovery, nonce, matching, response), a batch of 40 orders per request, and /info l2Book,
 * against the same-run baseline of signer recovery alone (the floor of any signed request).
 * Requests are signed before timing (signing is the client's cost).
 *
 * Ends with:
 *   BENCH hlsim_engine_orders_per_s <n> /s      (unbatched place+cancel pairs per second, as
 *                                               bench-hlsim's hlsim_orders_per_s)
 *   BENCH hlsim_engine_signed_requests_per_s <n> /s (each place and each cancel)
 *   BENCH hlsim_engine_batch40_orders_per_s <n> /s
 *   BENCH hlsim_engine_recover_per_s <n> /s     (baseline)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "hl/msgpack.h"
#include "hl/sign.h"
#include "tools/hlsim/engine.h"

#define N_PAIRS 5000
#define N_BATCH 250
#define T0 1717000000000ULL

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void sign_body(const struct hl_signer *k, const char *action, uint64_t nonce,
		      struct hat_buf *out)
{
	struct hat_buf mp = HAT_BUF_INIT;
	char err[128];
	if (hl_mp_from_json_text(action, strlen(action), &mp, err, sizeof err) != 0) {
		fprintf(stderr, "msgpack: %s\n", err);
		exit(1);
	}
	struct hl_l1_meta m = { .nonce = nonce, .testnet = true };
	struct hl_sig sig;
	hl_sign_l1(k, (const uint8_t *)mp.data, mp.len, &m, NULL, &sig);
	char sj[HL_SIG_JSON_LEN];
	hl_sig_to_json(&sig, sj);
	hat_buf_printf(out, "{\"action\":%s,\"nonce\":%llu,\"signature\":%s,\"vaultAddress\":null}",
		       action, (unsigned long long)nonce, sj);
	hat_buf_free(&mp);
}

int main(void)
{
	uint8_t key[32];
	char err[256];
	struct hl_signer k;
	hl_key_parse("0x0123456789012345678901234567890123456789012345678901234567890123", key,
		     err, sizeof err);
	if (hl_signer_init(&k, key) != 0)
		return 1;
	struct hlsim_account_opt acc = { .usdc = 100000000LL * 100000000LL };
	memcpy(acc.address, hl_signer_address(&k), 20);
	/* the flow is left on but never ticked: books hold only our orders */
	struct hlsim_options o = { .seed = 1, .n_accounts = 1, .accounts = &acc };
	struct hlsim_engine *e;
	if (hlsim_engine_new(&e, &o, T0, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* pre-sign: place i (oid 1000 + i), cancel it */
	struct hat_buf *bodies = calloc(2 * N_PAIRS, sizeof *bodies);
	uint64_t nonce = T0;
	char action[512];
	for (int i = 0; i < N_PAIRS; i++) {
		snprintf(action, sizeof action, "{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":true,"
			 "\"p\":\"%d\",\"s\":\"0.001\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}],"
			 "\"grouping\":\"na\"}", 60000 + i % 1000);
		sign_body(&k, action, ++nonce, &bodies[2 * i]);
		snprintf(action, sizeof action, "{\"type\":\"cancel\",\"cancels\":[{\"a\":0,\"o\":%d}]}",
			 1000 + i);
		sign_body(&k, action, ++nonce, &bodies[2 * i + 1]);
	}
	struct hat_buf *batches = calloc(N_BATCH, sizeof *batches);
	for (int i = 0; i < N_BATCH; i++) {
		struct hat_buf a = HAT_BUF_INIT;
		hat_buf_puts(&a, "{\"type\":\"order\",\"orders\":[");
		for (int j = 0; j < 40; j++)
			hat_buf_printf(&a, "%s{\"a\":1,\"b\":%s,\"p\":\"%d\",\"s\":\"0.01\",\"r\":false,"
				       "\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}", j ? "," : "",
				       (i + j) % 2 ? "true" : "false", (i + j) % 2 ? 2000 + j : 4000 + j);
		hat_buf_puts(&a, "],\"grouping\":\"na\"}");
		sign_body(&k, a.data, ++nonce, &batches[i]);
		hat_buf_free(&a);
	}
	/* baseline: recovery alone */
	uint8_t d[32] = { 1 }, addr[20];
	struct hl_sig sig;
	hl_sign_digest(&k, d, &sig);
	uint64_t t = now_ns();
	for (int i = 0; i < 2 * N_PAIRS; i++) {
		d[0] = (uint8_t)i;
		hl_recover_address(d, &sig, addr, NULL, 0);
	}
	double rec_s = (now_ns() - t) / 1e9;
	double rec_rate = 2 * N_PAIRS / rec_s;

	struct hat_buf out = HAT_BUF_INIT;
	int st;
	uint64_t *lat = calloc(2 * N_PAIRS, sizeof *lat);
	t = now_ns();
	for (int i = 0; i < 2 * N_PAIRS; i++) {
		uint64_t a = now_ns();
		hlsim_exchange(e, bodies[i].data, bodies[i].len, T0 + 1, &out, &st, NULL);
		lat[i] = now_ns() - a;
		if (i < 2 && !strstr(out.data, i ? "success" : "resting")) {
			fprintf(stderr, "unexpected answer: %s\n", out.data);
			return 1;
		}
	}
	double ex_s = (now_ns() - t) / 1e9;
	double ex_rate = 2 * N_PAIRS / ex_s;
	qsort(lat, 2 * N_PAIRS, sizeof *lat, cmp_u64);

	t = now_ns();
	for (int i = 0; i < N_BATCH; i++)
		hlsim_exchange(e, batches[i].data, batches[i].len, T0 + 2, &out, &st, NULL);
	double b_s = (now_ns() - t) / 1e9;
	double b_rate = 40.0 * N_BATCH / b_s;

	const char *q = "{\"type\":\"l2Book\",\"coin\":\"ETH\"}";
	t = now_ns();
	for (int i = 0; i < 20000; i++)
		hlsim_info(e, q, strlen(q), T0 + 3, &out, &st, NULL);
	double info_rate = 20000 / ((now_ns() - t) / 1e9);

	printf("signer recovery alone (baseline): %.0f /s\n", rec_rate);
	printf("place+cancel via hlsim_exchange: %.0f requests/s (%.2fx the recovery time each)\n",
	       ex_rate, rec_rate / ex_rate);
	printf("  latency p50 %.1f us, p99 %.1f us, p99.9 %.1f us\n", lat[N_PAIRS] / 1e3,
	       lat[2 * N_PAIRS * 99 / 100] / 1e3, lat[2 * N_PAIRS * 999 / 1000] / 1e3);
	printf("batches of 40 orders: %.0f orders/s (%.1fx unbatched)\n", b_rate, b_rate / ex_rate);
	printf("/info l2Book (book of %d orders): %.0f /s\n", 40 * N_BATCH, info_rate);
	printf("BENCH hlsim_engine_orders_per_s %.0f /s\n", ex_rate / 2);
	printf("BENCH hlsim_engine_signed_requests_per_s %.0f /s\n", ex_rate);
	printf("BENCH hlsim_engine_batch40_orders_per_s %.0f /s\n", b_rate);
	printf("BENCH hlsim_engine_recover_per_s %.0f /s\n", rec_rate);
	for (int i = 0; i < 2 * N_PAIRS; i++)
		hat_buf_free(&bodies[i]);
	for (int i = 0; i < N_BATCH; i++)
		hat_buf_free(&batches[i]);
	free(bodies);
	free(batches);
	free(lat);
	hat_buf_free(&out);
	hlsim_engine_free(e);
	hl_signer_deinit(&k);
	return 0;
}
