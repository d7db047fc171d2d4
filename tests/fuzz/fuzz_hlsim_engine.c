/* tests/fuzz/fuzz_hlsim_engine.c -- libFuzzer target: hlsim's /info and /exchange decoders and
 * actions. The input is a sequence of requests separated by NUL bytes; the first byte of each
 * says what it is: 'i' an /info body, 'x' a raw /exchange body, 's' an action JSON that the target
 * signs with the test key (so the action handlers are reached), 'w' a subscription object
 * (check + snapshot), 't' one second of hlsim_tick. A fresh engine per input keeps every crash
 * reproducible. Invariants checked: every answer is 0 with a status, books stay uncrossed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "hl/msgpack.h"
#include "hl/sign.h"
#include "tools/hlsim/engine.h"
#include "tools/hlsim/engine_int.h"

#define CHECK(e) do { if (!(e)) abort(); } while (0)
#define T0 1717000000000ULL

static void sign_and_send(struct hlsim_engine *e, const struct hl_signer *k, const char *action,
			  size_t n, uint64_t nonce, uint64_t now, struct hat_buf *out)
{
	struct hat_buf mp = HAT_BUF_INIT, body = HAT_BUF_INIT;
	if (hl_mp_from_json_text(action, n, &mp, NULL, 0) == 0) {
		struct hl_l1_meta m = { .nonce = nonce, .testnet = true };
		struct hl_sig sig;
		char sj[HL_SIG_JSON_LEN];
		hl_sign_l1(k, (const uint8_t *)mp.data, mp.len, &m, NULL, &sig);
		hl_sig_to_json(&sig, sj);
		hat_buf_puts(&body, "{\"action\":");
		hat_buf_append(&body, action, n);
		hat_buf_printf(&body, ",\"nonce\":%llu,\"signature\":%s}", (unsigned long long)nonce, sj);
		int st = 0;
		CHECK(hlsim_exchange(e, body.data, body.len, now, out, &st, NULL) == 0);
		CHECK(st == 200 || st == 400 || st == 422);
	}
	hat_buf_free(&mp);
	hat_buf_free(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0x01, 0x23, 0x45, 0x67, 0x89,
					 0x01, 0x23, 0x45, 0x67, 0x89, 0x01, 0x23, 0x45, 0x67, 0x89,
					 0x01, 0x23, 0x45, 0x67, 0x89, 0x01, 0x23, 0x45, 0x67, 0x89,
					 0x01, 0x23 };
	struct hl_signer k;
	char err[256];
	if (size > 65536 || hl_signer_init(&k, key) != 0)
		return 0;
	struct hlsim_account_opt acc = { .usdc = 1000000LL * 100000000LL };
	memcpy(acc.address, hl_signer_address(&k), 20);
	struct hlsim_options o = { .seed = 3, .n_accounts = 1, .accounts = &acc };
	struct hlsim_engine *e;
	CHECK(hlsim_engine_new(&e, &o, T0, err, sizeof err) == 0);
	uint64_t now = T0;
	hlsim_tick(e, now += 400); /* the flow quotes a book */
	struct hat_buf out = HAT_BUF_INIT;
	uint64_t nonce = T0;
	size_t pos = 0;
	for (int req = 0; req < 16 && pos < size; req++) {
		const uint8_t *end = memchr(data + pos, 0, size - pos);
		size_t n = end ? (size_t)(end - (data + pos)) : size - pos;
		const char *p = (const char *)data + pos;
		pos += n + 1;
		if (n == 0)
			continue;
		int st = 0;
		unsigned w = 0;
		switch (p[0]) {
		case 'i':
			CHECK(hlsim_info(e, p + 1, n - 1, now, &out, &st, &w) == 0);
			CHECK(st == 200 || st == 400 || st == 422);
			CHECK(w >= 2);
			break;
		case 'x':
			CHECK(hlsim_exchange(e, p + 1, n - 1, now, &out, &st, &w) == 0);
			CHECK(st == 200 || st == 400 || st == 422);
			break;
		case 's':
			sign_and_send(e, &k, p + 1, n - 1, ++nonce, now, &out);
			break;
		case 'w': {
			cJSON *s = cJSON_ParseWithLength(p + 1, n - 1);
			if (s) {
				char txt[512];
				int rc = hlsim_subscription_check(e, s, txt, sizeof txt);
				CHECK(memchr(txt, 0, sizeof txt) != NULL);
				int sr = hlsim_snapshot_json(e, s, &out);
				CHECK(rc != 0 || sr == 0 || sr == -EAGAIN);
				cJSON_Delete(s);
			}
			break;
		}
		case 't':
			hlsim_tick(e, now += 1000);
			break;
		default:
			break;
		}
		for (uint32_t c = 0; c < e->cfg.n_coins; c++)
			CHECK(hlsim_book_check(&e->mk[c].book));
	}
	hat_buf_free(&out);
	hlsim_engine_free(e);
	hl_signer_deinit(&k);
	return 0;
}
