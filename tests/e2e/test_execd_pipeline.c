/* tests/e2e/test_execd_pipeline.c -- execd behind the real riskd and feedd, against hlsim.
 *
 * hlsim (quiet) gets a two-sided BTC book from account B so feedd's board has a mid; the
 * test plays signald (INTENT producer, POSITION consumer, a heartbeating control block).
 * Checks riskd takes execd's snapshot (it approves only after it), that an intent becomes an
 * order at hlsim, and that its ACK and FILL come back on the position ring; then that a
 * restarted execd (SIGKILL) resyncs riskd with its snapshot, the order still there.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <sodium.h>

#include "common/clock.h"
#include "common/control.h"
#include "common/fixed.h"
#include "common/msg.h"
#include "common/ring.h"
#include "execd/keystore.h"
#include "tests/helpers/hlsim_proc.h"
#include "tests/helpers/pipeline_fixture.h"
#include "tests/helpers/test_util.h"

#define PASS "pipeline-test-pass"

struct fx {
	struct hlsim_proc hp;
	struct pf pf;
	struct hat_ring intent, position;
	struct hat_control ctl;
	struct hat_stage_shm *sig;
	pid_t feedd, riskd, execd;
	struct hl_signer b;
	char addr_a[43];
	uint64_t seq;
	int acks, fills;
	int64_t last_szi;
	bool got_position;
	uint64_t tids[64];            /* trade ids of the FILL events signald got */
	struct hat_msg_position btc;  /* the last BTC position signald got */
};

static pid_t spawn(struct fx *f, const char *stage)
{
	char logp[400], out[420];
	snprintf(logp, sizeof logp, "%s/%s.log", f->pf.dir, stage);
	snprintf(out, sizeof out, "%s/%s.out", f->pf.dir, stage);
	char *argv[] = { (char *)tu_bin(stage), "--config", f->pf.config, "--log", logp, NULL };
	setenv("HAT_KEY_PASSPHRASE", PASS, 1);
	pid_t p = tu_spawn(argv, out);
	unsetenv("HAT_KEY_PASSPHRASE");
	assert_true(p > 0);
	return p;
}

static char *stage_log(struct fx *f, const char *stage)
{
	char logp[400];
	snprintf(logp, sizeof logp, "%s/%s.log", f->pf.dir, stage);
	return tu_read_file(logp);
}

static void b_order(struct fx *f, bool buy, const char *px, const char *sz, const char *tif)
{
	char a[400];
	snprintf(a, sizeof a,
	         "{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":%s,\"p\":\"%s\",\"s\":\"%s\","
	         "\"r\":false,\"t\":{\"limit\":{\"tif\":\"%s\"}}}],\"grouping\":\"na\"}",
	         buy ? "true" : "false", px, sz, tif);
	long st;
	char *r = hp_exchange(&f->hp, &f->b, a, 0, &st);
	assert_int_equal(st, 200);
	assert_null(strstr(r, "error"));
	free(r);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	hp_start(&f->hp, hp_config_quiet, NULL);
	hp_signer(&f->b, HP_KEY_B);
	struct hl_signer a;
	hp_signer(&a, HP_KEY_A);
	hp_addr(&a, f->addr_a);
	hl_signer_deinit(&a);
	char http[64], ws[64];
	snprintf(http, sizeof http, "http://127.0.0.1:%d", f->hp.port);
	snprintf(ws, sizeof ws, "ws://127.0.0.1:%d/ws", f->hp.port);
	char repl[512];
	size_t n = 0;
#define ADD(s) do { size_t l_ = strlen(s); memcpy(repl + n, s, l_ + 1); n += l_ + 1; } while (0)
	ADD("http://127.0.0.1:8787"); ADD(http);
	ADD("ws://127.0.0.1:8787/ws"); ADD(ws);
	ADD("etc/test-key.json"); ADD("var/key.json");
	repl[n] = '\0';
#undef ADD
	pf_setup(&f->pf, repl);
	/* "var/key.json" is relative: execd runs in the test's cwd, so write it there under the
	 * fixture's directory and point the config at the absolute path. */
	char key_path[400];
	snprintf(key_path, sizeof key_path, "%s/key.json", f->pf.dir);
	char *cfg = tu_read_file(f->pf.config);
	char *p = strstr(cfg, "\"var/key.json\"");
	assert_non_null(p);
	FILE *o = fopen(f->pf.config, "w");
	fwrite(cfg, 1, (size_t)(p - cfg), o);
	fprintf(o, "\"%s\"", key_path);
	fputs(p + strlen("\"var/key.json\""), o);
	fclose(o);
	free(cfg);
	uint8_t key[32], addr[20];
	char err[256];
	assert_int_equal(hl_key_parse(HP_KEY_A, key, err, sizeof err), 0);
	struct exec_kdf_params kdf = { crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN };
	assert_int_equal(exec_keystore_write(key_path, key, PASS, strlen(PASS), &kdf, addr, err,
	                                     sizeof err), 0);
	sodium_memzero(key, sizeof key);

	assert_int_equal(hat_ring_attach(&f->intent, f->pf.instance, "intent", HAT_RING_PRODUCER,
	                                 HAT_SLOT_INTENT, 0, err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&f->position, f->pf.instance, "position",
	                                 HAT_RING_CONSUMER, HAT_SLOT_POSITION, 0, err, sizeof err), 0);
	assert_int_equal(hat_control_open(&f->ctl, f->pf.instance, 0, err, sizeof err), 0);
	f->sig = hat_control_stage(&f->ctl, HAT_STAGE_SIGNALD);
	hat_stage_begin(f->sig, getpid(), hat_mono_ns(), hat_now_ns());
	hat_stage_set_state(f->sig, HAT_STATE_RUNNING);

	/* a two-sided book so the board has a mid */
	b_order(f, true, "64900", "0.01", "Gtc");
	b_order(f, false, "65100", "0.01", "Gtc");
	f->feedd = spawn(f, "feedd");
	f->riskd = spawn(f, "riskd");
	f->execd = spawn(f, "execd");
	*state = f;
	return 0;
}

static void stop(pid_t *p)
{
	if (*p > 0) {
		int st = tu_kill_wait(*p, SIGTERM);
		*p = 0;
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
}

static int teardown(void **state)
{
	struct fx *f = *state;
	stop(&f->execd);
	stop(&f->riskd);
	stop(&f->feedd);
	hat_control_close(&f->ctl);
	hat_ring_detach(&f->intent);
	hat_ring_detach(&f->position);
	hl_signer_deinit(&f->b);
	hp_stop(&f->hp);
	pf_teardown(&f->pf);
	free(f);
	return 0;
}

static void pump(struct fx *f)
{
	hat_stage_heartbeat(f->sig, hat_mono_ns());
	const void *slot;
	while (hat_ring_peek(&f->position, &slot) == 0) {
		const struct hat_msg_hdr *h = slot;
		if (h->type == HAT_MSG_EXEC) {
			const struct hat_msg_exec *x = slot;
			if (x->kind == HAT_EXEC_ACK)
				f->acks++;
			if (x->kind == HAT_EXEC_FILL && f->fills < 64)
				f->tids[f->fills++] = x->tid;
		} else if (h->type == HAT_MSG_POSITION) {
			const struct hat_msg_position *p = slot;
			if (strcmp(p->coin, "BTC") == 0) {
				f->last_szi = p->szi;
				f->got_position = true;
				f->btc = *p;
			}
		}
		hat_ring_release(&f->position);
	}
}

/* Waits until the log of stage holds text (count times), pumping the position ring. */
static void wait_log(struct fx *f, const char *stage, const char *text, int count)
{
	uint64_t end = tu_now_ms() + 20000;
	for (;;) {
		pump(f);
		char *log = stage_log(f, stage);
		int n = 0;
		for (const char *q = log ? strstr(log, text) : NULL; q; q = strstr(q + 1, text))
			n++;
		free(log);
		if (n >= count)
			return;
		if (tu_now_ms() > end)
			break;
		hat_sleep_ns(10 * HAT_NS_PER_MS);
	}
	char *r = stage_log(f, "riskd"), *e = stage_log(f, "execd");
	size_t rl = r ? strlen(r) : 0, el = e ? strlen(e) : 0;
	fprintf(stderr, "%s never logged %s\nriskd (tail):\n%s\nexecd (tail):\n%s\n", stage, text,
	        r ? r + (rl > 3000 ? rl - 3000 : 0) : "", e ? e + (el > 4000 ? el - 4000 : 0) : "");
	free(r);
	free(e);
	fail();
}

static void send_intent(struct fx *f, unsigned id, int side, const char *px, const char *sz,
                        unsigned tif)
{
	struct hat_msg_intent m;
	memset(&m, 0, sizeof m);
	hat_msg_init(&m.h, HAT_MSG_INTENT);
	m.h.origin_ns = hat_now_ns();
	m.o.kind = HAT_INTENT_NEW;
	m.o.cloid[0] = 0x51;
	m.o.cloid[15] = (uint8_t)id;
	strcpy(m.o.coin, "BTC");
	m.o.side = (uint8_t)side;
	m.o.tif = (uint8_t)tif;
	m.o.strategy_id = 1;
	char err[64];
	assert_int_equal(hat_fx_parse(px, strlen(px), &m.o.px, err, sizeof err), 0);
	assert_int_equal(hat_fx_parse(sz, strlen(sz), &m.o.sz, err, sizeof err), 0);
	assert_int_equal(hat_ring_push_msg(&f->intent, &m.h), 0);
}

static void test_pipeline_intent_to_fill_and_execd_restart(void **state)
{
	struct fx *f = *state;
	wait_log(f, "riskd", "\"snapshot_received\"", 1);
	wait_log(f, "execd", "\"snapshot_sent\"", 1);
	/* let feedd's first book reach the board */
	hat_sleep_ns(500 * HAT_NS_PER_MS);
	send_intent(f, 1, HAT_SIDE_BUY, "64950", "0.001", HAT_TIF_GTC);
	uint64_t end = tu_now_ms() + 20000;
	while (f->acks < 1 && tu_now_ms() < end) {
		pump(f);
		hat_sleep_ns(5 * HAT_NS_PER_MS);
	}
	if (f->acks < 1) {
		char *r = stage_log(f, "riskd");
		fail_msg("no ACK reached signald's ring\nriskd:\n%s", r ? r : "");
	}
	char *oo = hp_info(&f->hp, "{\"type\":\"openOrders\",\"user\":\"%s\"}", f->addr_a);
	assert_non_null(strstr(oo, "0x51000000000000000000000000000001"));
	free(oo);
	/* B sells into it: the fill and the new position reach signald */
	b_order(f, false, "64950", "0.001", "Ioc");
	end = tu_now_ms() + 20000;
	while ((f->fills < 1 || f->last_szi != 100000) && tu_now_ms() < end) {
		pump(f);
		hat_sleep_ns(5 * HAT_NS_PER_MS);
	}
	assert_int_equal(f->fills, 1);
	assert_int_equal(f->last_szi, 100000);

	/* execd dies hard and comes back: riskd takes its new snapshot (position included) */
	send_intent(f, 2, HAT_SIDE_BUY, "64000", "0.001", HAT_TIF_ALO);
	end = tu_now_ms() + 20000;
	while (f->acks < 2 && tu_now_ms() < end) {
		pump(f);
		hat_sleep_ns(5 * HAT_NS_PER_MS);
	}
	assert_int_equal(f->acks, 2);
	tu_kill_wait(f->execd, SIGKILL);
	f->execd = spawn(f, "execd");
	wait_log(f, "riskd", "\"snapshot_received\"", 2);
	char *r = stage_log(f, "riskd");
	const char *last = r;
	for (const char *q = strstr(r, "\"snapshot_received\""); q; q = strstr(q + 1, "\"snapshot_received\""))
		last = q;
	/* one open order + one position row */
	assert_non_null(strstr(last, "2 rows, 1 working orders"));
	free(r);
	char *e = stage_log(f, "execd");
	assert_non_null(strstr(e, "\"reconciled\""));
	free(e);
	/* The resting order of intent 2 was acknowledged before the kill: the restarted execd
	 * adopts it from openOrders without a second ACK reaching signald. */
	pump(f);
	assert_int_equal(f->acks, 2);
}

/* hlsim's view of account A: BTC position and entry, and the sums of closedPnl and fee over
 * its fills (USD 1e-8). */
struct exch_view {
	int64_t szi, entry_px, realized, fees;
	int n_fills;
};

static int64_t fx_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	assert_true(cJSON_IsString(v));
	int64_t x;
	char err[64];
	assert_int_equal(hat_fx_parse(v->valuestring, strlen(v->valuestring), &x, err, sizeof err), 0);
	return x;
}

static void exch_view(struct fx *f, struct exch_view *v)
{
	memset(v, 0, sizeof *v);
	char *s = hp_info(&f->hp, "{\"type\":\"userFills\",\"user\":\"%s\"}", f->addr_a);
	cJSON *j = cJSON_Parse(s);
	assert_true(cJSON_IsArray(j));
	const cJSON *it;
	cJSON_ArrayForEach(it, j) {
		v->realized += fx_of(it, "closedPnl");
		v->fees += fx_of(it, "fee");
		v->n_fills++;
	}
	cJSON_Delete(j);
	free(s);
	s = hp_info(&f->hp, "{\"type\":\"clearinghouseState\",\"user\":\"%s\"}", f->addr_a);
	j = cJSON_Parse(s);
	const cJSON *aps = cJSON_GetObjectItemCaseSensitive(j, "assetPositions");
	cJSON_ArrayForEach(it, aps) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(it, "position");
		const cJSON *coin = cJSON_GetObjectItemCaseSensitive(p, "coin");
		if (cJSON_IsString(coin) && strcmp(coin->valuestring, "BTC") == 0) {
			v->szi = fx_of(p, "szi");
			v->entry_px = fx_of(p, "entryPx");
		}
	}
	cJSON_Delete(j);
	free(s);
}

static uint64_t counter(struct fx *f, int stage, const char *name)
{
	uint64_t v = UINT64_MAX;
	assert_int_equal(hat_stage_counter_find(hat_control_stage(&f->ctl, stage), name, &v), 0);
	return v;
}

/* Waits (pumping) until riskd's BTC position for signald matches hlsim's view. */
static void wait_position(struct fx *f, const struct exch_view *v)
{
	uint64_t end = tu_now_ms() + 15000;
	while (tu_now_ms() < end && !(f->got_position && f->btc.szi == v->szi &&
	                              f->btc.entry_px == v->entry_px &&
	                              f->btc.realized_pnl == v->realized && f->btc.fees == v->fees)) {
		pump(f);
		hat_sleep_ns(5 * HAT_NS_PER_MS);
	}
	if (f->btc.szi != v->szi || f->btc.entry_px != v->entry_px ||
	    f->btc.realized_pnl != v->realized || f->btc.fees != v->fees)
		fail_msg("riskd's BTC position szi=%lld entry=%lld realized=%lld fees=%lld; hlsim "
		         "szi=%lld entry=%lld realized=%lld fees=%lld", (long long)f->btc.szi,
		         (long long)f->btc.entry_px, (long long)f->btc.realized_pnl,
		         (long long)f->btc.fees, (long long)v->szi, (long long)v->entry_px,
		         (long long)v->realized, (long long)v->fees);
}

static void wait_acks(struct fx *f, int n)
{
	uint64_t end = tu_now_ms() + 20000;
	while (f->acks < n && tu_now_ms() < end) {
		pump(f);
		hat_sleep_ns(5 * HAT_NS_PER_MS);
	}
	assert_int_equal(f->acks, n);
}

/* A position opened and partly closed (realized PnL, fees), then execd is killed, a fill
 * happens while it is down, and execd comes back: signald gets that fill exactly once and
 * none of the earlier ones again; riskd's counters are not inflated; riskd's position, entry,
 * realized PnL and fees equal hlsim's; execd's fills counter continues. */
static void test_pipeline_execd_restart_keeps_fills_and_pnl(void **state)
{
	struct fx *f = *state;
	wait_log(f, "riskd", "\"snapshot_received\"", 1);
	hat_sleep_ns(500 * HAT_NS_PER_MS); /* feedd's first book reaches the board */
	send_intent(f, 1, HAT_SIDE_BUY, "64950", "0.002", HAT_TIF_GTC);
	wait_acks(f, 1);
	b_order(f, false, "64950", "0.002", "Ioc");
	send_intent(f, 2, HAT_SIDE_SELL, "65050", "0.001", HAT_TIF_GTC);
	wait_acks(f, 2);
	b_order(f, true, "65050", "0.001", "Ioc"); /* closes half: realized PnL */
	send_intent(f, 3, HAT_SIDE_BUY, "64920", "0.001", HAT_TIF_ALO);
	wait_acks(f, 3);
	struct exch_view v;
	exch_view(f, &v);
	assert_int_equal(v.n_fills, 2);
	assert_int_equal(v.szi, 100000);
	assert_true(v.realized > 0);
	wait_position(f, &v); /* riskd's own bookkeeping agrees with hlsim's */
	assert_int_equal(f->fills, 2);
	uint64_t end = tu_now_ms() + 10000;
	while (counter(f, HAT_STAGE_EXECD, "fills") != 2 && tu_now_ms() < end)
		hat_sleep_ns(10 * HAT_NS_PER_MS);
	assert_int_equal(counter(f, HAT_STAGE_EXECD, "fills"), 2);

	tu_kill_wait(f->execd, SIGKILL);
	b_order(f, false, "64920", "0.001", "Ioc"); /* fills A's resting bid while execd is down */
	exch_view(f, &v);
	assert_int_equal(v.n_fills, 3);
	assert_int_equal(v.szi, 200000);
	f->execd = spawn(f, "execd");
	wait_log(f, "riskd", "\"snapshot_received\"", 2);
	wait_position(f, &v);
	end = tu_now_ms() + 10000;
	while (counter(f, HAT_STAGE_EXECD, "fills") != 3 && tu_now_ms() < end) {
		pump(f);
		hat_sleep_ns(10 * HAT_NS_PER_MS);
	}
	assert_int_equal(counter(f, HAT_STAGE_EXECD, "fills"), 3);
	hat_sleep_ns(300 * HAT_NS_PER_MS);
	pump(f);
	assert_int_equal(f->fills, 3);
	for (int a = 0; a < f->fills; a++)
		for (int b = a + 1; b < f->fills; b++)
			assert_true(f->tids[a] != f->tids[b]);
	assert_int_equal(counter(f, HAT_STAGE_RISKD, "fills"), 3);
	assert_int_equal(counter(f, HAT_STAGE_RISKD, "dup_fills"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pipeline_intent_to_fill_and_execd_restart, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_pipeline_execd_restart_keeps_fills_and_pnl, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
