/* tests/unit/hlsim_test_util.c -- shared fixtures for the hlsim core tests. */
#include "tests/unit/hlsim_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/fixed.h"
#include "hl/msgpack.h"

static void sink(void *user, const struct hlsim_event *ev)
{
	struct hts *t = user;
	if (t->n_ev >= HTS_MAX_EVENTS)
		return;
	struct hts_event *x = &t->ev[t->n_ev++];
	x->kind = ev->kind;
	snprintf(x->coin, sizeof x->coin, "%s", ev->coin ? ev->coin : "");
	x->has_user = ev->user != NULL;
	if (ev->user)
		memcpy(x->user, ev->user, 20);
	x->json = strndup(ev->json, ev->json_len);
	assert_non_null(x->json);
}

void hts_clear_events(struct hts *t)
{
	for (size_t i = 0; i < t->n_ev; i++)
		free(t->ev[i].json);
	t->n_ev = 0;
}

size_t hts_count(const struct hts *t, enum hlsim_event_kind kind)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n_ev; i++)
		n += t->ev[i].kind == kind;
	return n;
}

int64_t hts_fx(const char *s)
{
	int64_t v;
	assert_int_equal(hat_fx_parse(s, strlen(s), &v, NULL, 0), 0);
	return v;
}

void hts_init(struct hts *t, int64_t usdc, bool flow)
{
	char err[256] = "";
	uint8_t key[32];
	memset(t, 0, sizeof *t);
	assert_int_equal(hl_key_parse(HTS_KEY, key, err, sizeof err), 0);
	assert_int_equal(hl_signer_init(&t->key, key), 0);
	memcpy(t->addr, hl_signer_address(&t->key), 20);
	struct hlsim_account_opt acc;
	memcpy(acc.address, t->addr, 20);
	acc.usdc = usdc;
	struct hlsim_options o = { .seed = 7, .n_accounts = 1, .accounts = &acc };
	t->now = HTS_T0;
	int rc = hlsim_engine_new(&t->e, &o, t->now, err, sizeof err);
	if (rc)
		fail_msg("hlsim_engine_new: %s", err);
	t->e->cfg.flow.enabled = flow;
	int a = hlsim__acct_find(t->e, t->addr);
	assert_true(a >= 0);
	t->acct = (uint32_t)a;
	t->nonce = t->now;
	hat_buf_init(&t->out);
	hlsim_engine_set_sink(t->e, sink, t);
}

void hts_deinit(struct hts *t)
{
	hts_clear_events(t);
	hlsim_engine_free(t->e);
	hl_signer_deinit(&t->key);
	hat_buf_free(&t->out);
}

void hts_sign_body(const struct hl_signer *key, const char *action_json, uint64_t nonce,
		   bool mainnet, struct hat_buf *body)
{
	char err[256] = "";
	struct hat_buf mp = HAT_BUF_INIT;
	if (hl_mp_from_json_text(action_json, strlen(action_json), &mp, err, sizeof err) != 0)
		fail_msg("msgpack of %s: %s", action_json, err);
	struct hl_l1_meta m = { .nonce = nonce, .testnet = !mainnet };
	struct hl_sig sig;
	assert_int_equal(hl_sign_l1(key, (const uint8_t *)mp.data, mp.len, &m, NULL, &sig), 0);
	char sj[HL_SIG_JSON_LEN];
	hl_sig_to_json(&sig, sj);
	hat_buf_reset(body);
	hat_buf_printf(body, "{\"action\":%s,\"nonce\":%llu,\"signature\":%s,\"vaultAddress\":null,"
			     "\"expiresAfter\":null}",
		       action_json, (unsigned long long)nonce, sj);
	hat_buf_free(&mp);
}

int hts_exchange_nonce(struct hts *t, const char *action_json, uint64_t nonce)
{
	struct hat_buf body = HAT_BUF_INIT;
	hts_sign_body(&t->key, action_json, nonce, t->e->mainnet, &body);
	assert_int_equal(hlsim_exchange(t->e, body.data, body.len, t->now, &t->out, &t->status,
					&t->weight), 0);
	hat_buf_free(&body);
	return t->status;
}

int hts_exchange(struct hts *t, const char *action_json)
{
	if (t->nonce < t->now)
		t->nonce = t->now;
	return hts_exchange_nonce(t, action_json, ++t->nonce);
}

int hts_info(struct hts *t, const char *fmt, ...)
{
	char body[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	assert_int_equal(hlsim_info(t->e, body, strlen(body), t->now, &t->out, &t->status,
				    &t->weight), 0);
	return t->status;
}

struct hlsim_place_result hts_place(struct hts *t, uint32_t acct, uint32_t coin, bool buy,
				    const char *px, const char *sz, enum hlsim_tif tif,
				    bool reduce_only)
{
	struct hlsim_order_req q = { .coin = coin, .is_buy = buy, .px = hts_fx(px),
				     .sz = hts_fx(sz), .tif = tif, .reduce_only = reduce_only };
	struct hlsim_place_result r;
	t->e->now_ms = t->now;
	assert_int_equal(hlsim__place(t->e, acct, &q, true, &r), 0);
	return r;
}

uint32_t hts_account(struct hts *t, uint8_t n, int64_t usdc)
{
	uint8_t a[20] = { 0 };
	a[0] = 0xaa;
	a[19] = n;
	int i = hlsim__acct_get(t->e, a);
	assert_true(i >= 0);
	t->e->acct[i]->usdc = usdc;
	return (uint32_t)i;
}
