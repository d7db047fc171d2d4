/* tests/unit/test_hlsim_replay.c -- hlsim --replay: a feedd journal drives the books (l2Book
 * frames become the liquidity agent's orders, trades frames are pushed as recorded), with the
 * recorded time spacing, and user orders the recorded market moves through get filled. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/fixed.h"
#include "common/journal.h"
#include "tests/helpers/test_util.h"
#include "tests/unit/hlsim_test_util.h"

#define REC0_NS 1700000000000000000ULL /* recorded time of the first frame */
#define TRADES_DATA "[{\"coin\":\"SOL\",\"side\":\"B\",\"px\":\"150.1\",\"sz\":\"2\",\"time\":1700000001000," \
	"\"hash\":\"0xabc\",\"tid\":1125899906842623,\"users\":[\"0x01\",\"0x02\"]}]"

struct cap {
	char trades[1024];
	size_t n_trades;
};

static void sink(void *user, const struct hlsim_event *ev)
{
	struct cap *c = user;
	if (ev->kind == HLSIM_EV_TRADES && ev->json_len < sizeof c->trades) {
		memcpy(c->trades, ev->json, ev->json_len);
		c->trades[ev->json_len] = '\0';
		c->n_trades++;
	}
}

static void rec(struct hat_journal *j, uint32_t type, uint64_t ms, const char *text)
{
	char err[256];
	assert_int_equal(hat_journal_append(j, type, REC0_NS + ms * 1000000ULL, text, strlen(text),
					    REC0_NS, 0, err, sizeof err), 0);
}

static void write_journal(const char *dir, char *path, size_t len)
{
	struct hat_journal j;
	struct hat_journal_opts o = { .dir = dir, .prefix = "feed" };
	char err[256];
	assert_int_equal(hat_journal_open(&j, &o, REC0_NS, err, sizeof err), 0);
	rec(&j, FEED_REC_OPEN, 0, "wss://example/ws"); /* ignored */
	rec(&j, FEED_REC_FRAME, 0, "{\"channel\":\"subscriptionResponse\",\"data\":{}}");
	rec(&j, FEED_REC_FRAME, 0,
	    "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"SOL\",\"time\":1700000000000,\"levels\":["
	    "[{\"px\":\"149.9\",\"sz\":\"10\",\"n\":3},{\"px\":\"149.8\",\"sz\":\"5\",\"n\":1}],"
	    "[{\"px\":\"150.1\",\"sz\":\"7\",\"n\":2},{\"px\":\"150.123\",\"sz\":\"1\",\"n\":1}]]}}");
	rec(&j, FEED_REC_FRAME, 0,
	    "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"DOGE\",\"time\":1700000000000,\"levels\":[[],[]]}}");
	rec(&j, FEED_REC_FRAME, 1000, "{\"channel\":\"trades\",\"data\":" TRADES_DATA "}");
	rec(&j, FEED_REC_FRAME, 3000,
	    "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"SOL\",\"time\":1700000003000,\"levels\":["
	    "[{\"px\":\"148\",\"sz\":\"10\",\"n\":1}],[{\"px\":\"148.5\",\"sz\":\"10\",\"n\":1}]]}}");
	snprintf(path, len, "%s", j.path);
	hat_journal_close(&j);
}

/* A journal in a temporary directory and an engine replaying it, with one funded test user
 * (k) and the capture sink; ro configures the replay (NULL: the default pace). */
struct rfx {
	char dir[256], path[PATH_MAX];
	struct hl_signer k;
	struct hlsim_engine *e;
	struct cap c;
};

static void rfx_open(struct rfx *f, const struct hlsim_replay_opts *ro)
{
	char err[256];
	memset(f, 0, sizeof *f);
	tu_tmpdir(f->dir, sizeof f->dir);
	write_journal(f->dir, f->path, sizeof f->path);
	uint8_t key[32];
	assert_int_equal(hl_key_parse(HTS_KEY, key, err, sizeof err), 0);
	assert_int_equal(hl_signer_init(&f->k, key), 0);
	struct hlsim_account_opt acc = { .usdc = 10000LL * HAT_FX_ONE };
	memcpy(acc.address, hl_signer_address(&f->k), 20);
	struct hlsim_options o = { .replay_path = f->path, .n_accounts = 1, .accounts = &acc };
	assert_int_equal(hlsim_engine_new(&f->e, &o, HTS_T0, err, sizeof err), 0);
	if (ro)
		hlsim_replay_configure(f->e, ro);
	hlsim_engine_set_sink(f->e, sink, &f->c);
}

static void rfx_close(struct rfx *f)
{
	hlsim_engine_free(f->e);
	hl_signer_deinit(&f->k);
	tu_rmtree(f->dir);
}

static void test_replay_drives_books_and_fills_users(void **state)
{
	(void)state;
	struct rfx f;
	rfx_open(&f, NULL);
	struct hlsim_engine *e = f.e;
	struct hat_buf out = HAT_BUF_INIT, body = HAT_BUF_INIT;
	int st;
	const char *q = "{\"type\":\"l2Book\",\"coin\":\"SOL\"}";

	hlsim_tick(e, HTS_T0);
	hlsim_info(e, q, strlen(q), HTS_T0, &out, &st, NULL);
	/* the off-tick level 150.123 is skipped; one order per level */
	assert_string_equal(out.data, "{\"coin\":\"SOL\",\"time\":1717000000000,\"levels\":["
				      "[{\"px\":\"149.9\",\"sz\":\"10\",\"n\":1},{\"px\":\"149.8\",\"sz\":\"5\",\"n\":1}],"
				      "[{\"px\":\"150.1\",\"sz\":\"7\",\"n\":1}]]}");
	assert_int_equal(e->replay.books, 1);
	assert_int_equal(e->replay.skipped, 3); /* subscriptionResponse, DOGE, 150.123 */
	assert_int_equal(f.c.n_trades, 0);
	/* no background flow in replay mode, even after its step time */
	hlsim_tick(e, HTS_T0 + 999);
	assert_int_equal(f.c.n_trades, 0);
	hlsim_tick(e, HTS_T0 + 1000);
	assert_int_equal(f.c.n_trades, 1);
	assert_string_equal(f.c.trades, TRADES_DATA);
	q = "{\"type\":\"candleSnapshot\",\"req\":{\"coin\":\"SOL\",\"interval\":\"1h\",\"startTime\":0}}";
	hlsim_info(e, q, strlen(q), HTS_T0 + 1000, &out, &st, NULL);
	assert_non_null(strstr(out.data, "\"o\":\"150.1\",\"c\":\"150.1\",\"h\":\"150.1\",\"l\":\"150.1\",\"v\":\"2\",\"n\":1}]"));
	/* a user bid at 149; the recorded market then falls through it */
	hts_sign_body(&f.k, "{\"type\":\"order\",\"orders\":[{\"a\":2,\"b\":true,\"p\":\"149\",\"s\":\"1\","
			  "\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}],\"grouping\":\"na\"}",
		      HTS_T0 + 1500, false, &body);
	hlsim_exchange(e, body.data, body.len, HTS_T0 + 1500, &out, &st, NULL);
	assert_non_null(strstr(out.data, "resting"));
	hlsim_tick(e, HTS_T0 + 2999);
	assert_int_equal(e->acct[2]->pos[2].szi, 0);
	hlsim_tick(e, HTS_T0 + 3000);
	assert_true(e->acct[2]->pos[2].szi == HAT_FX_ONE);
	assert_true(hlsim_account_fill(e->acct[2], 0)->px == 149 * HAT_FX_ONE);
	q = "{\"type\":\"l2Book\",\"coin\":\"SOL\"}";
	hlsim_info(e, q, strlen(q), HTS_T0 + 3000, &out, &st, NULL);
	assert_string_equal(out.data, "{\"coin\":\"SOL\",\"time\":1717000003000,\"levels\":["
				      "[{\"px\":\"148\",\"sz\":\"10\",\"n\":1}],[{\"px\":\"148.5\",\"sz\":\"9\",\"n\":1}]]}");
	hlsim_tick(e, HTS_T0 + 10000);
	assert_true(e->replay.done);
	assert_int_equal(e->replay.last_error, 0);
	assert_int_equal(e->replay.frames, 5); /* the OPEN record is not a frame */
	hat_buf_free(&out);
	hat_buf_free(&body);
	rfx_close(&f);
}

/* Trade-through (MODEL.md, Replay): the recorded buy of 2 at 150.1 fills a user ask strictly
 * below it (150) at the user's price; an ask at exactly 150.1 stays. Lockstep: one step per
 * quiet period, the engine's clock is the recorded time + whole days, market pushes are held. */
static void test_replay_trade_through_lockstep(void **state)
{
	(void)state;
	struct hlsim_replay_opts ro = { .speed = 0, .settle_ms = 10 };
	struct rfx f;
	rfx_open(&f, &ro);
	struct hlsim_engine *e = f.e;
	struct hat_buf out = HAT_BUF_INIT, body = HAT_BUF_INIT;
	int st;
	hlsim_tick(e, HTS_T0); /* starts: offset in whole days, at least an hour ahead */
	uint64_t off = e->replay.offset_ms;
	assert_int_equal(off % 86400000ULL, 0);
	assert_true(REC0_NS / 1000000ULL + off >= HTS_T0 + 3600000ULL);
	hlsim_tick(e, HTS_T0 + 10); /* quiet 10 ms: step 1 = the SOL book */
	assert_int_equal(e->replay.books, 1);
	assert_int_equal(e->now_ms, REC0_NS / 1000000ULL + off);
	/* two user asks: 150 (inside the spread) and 150.1 (at the recorded ask) */
	hts_sign_body(&f.k, "{\"type\":\"order\",\"orders\":[{\"a\":2,\"b\":false,\"p\":\"150\",\"s\":\"1\","
			  "\"r\":false,\"t\":{\"limit\":{\"tif\":\"Alo\"}}},{\"a\":2,\"b\":false,"
			  "\"p\":\"150.1\",\"s\":\"1\",\"r\":false,\"t\":{\"limit\":{\"tif\":\"Alo\"}}}],"
			  "\"grouping\":\"na\"}", HTS_T0 + 15, false, &body);
	hlsim_exchange(e, body.data, body.len, HTS_T0 + 15, &out, &st, NULL);
	assert_non_null(strstr(out.data, "resting"));
	assert_int_equal(e->now_ms, REC0_NS / 1000000ULL + off); /* the wall clock is behind */
	hlsim_tick(e, HTS_T0 + 16);  /* activity: the quiet period restarts */
	hlsim_tick(e, HTS_T0 + 25);  /* not yet quiet for 10 ms */
	assert_int_equal(e->replay.trades, 0);
	/* each quiet moment releases held pushes (book, bbo: no step while any is held), then
	 * the next step: the recorded trade */
	assert_true(e->replay.n_held > 0);
	uint64_t t = HTS_T0 + 26;
	for (int i = 0; i < 20 && e->replay.trades == 0; i++, t += 10) {
		size_t held = e->replay.n_held;
		hlsim_tick(e, t);
		if (held)
			assert_int_equal(e->replay.trades, 0);
	}
	assert_int_equal(e->replay.trades, 1);
	assert_int_equal(e->replay.through_fills, 1);
	assert_true(e->acct[2]->pos[2].szi == -HAT_FX_ONE);
	const struct hlsim_fill *fill = hlsim_account_fill(e->acct[2], 0);
	assert_true(fill->px == 150 * HAT_FX_ONE);
	assert_int_equal(fill->time, REC0_NS / 1000000ULL + 1000 + off);
	assert_int_equal(e->acct[2]->n_orders, 1); /* 150.1 still rests */
	size_t before = f.c.n_trades;
	for (int i = 0; i < 200 && (!e->replay.done || e->replay.n_held); i++)
		hlsim_tick(e, t += 11);
	assert_true(e->replay.done);
	assert_true(f.c.n_trades > before); /* the recorded print went out once quiet */
	/* ... byte for byte but for its time, moved by the offset like every hlsim timestamp */
	char want[512];
	snprintf(want, sizeof want, "[{\"coin\":\"SOL\",\"side\":\"B\",\"px\":\"150.1\",\"sz\":\"2\","
		 "\"time\":%llu,\"hash\":\"0xabc\",\"tid\":1125899906842623,\"users\":[\"0x01\","
		 "\"0x02\"]}]", (unsigned long long)(1700000001000ULL + off));
	assert_string_equal(f.c.trades, want);
	hat_buf_free(&out);
	hat_buf_free(&body);
	rfx_close(&f);
}

struct gate_fx {
	bool open;              /* what the gate answers */
	unsigned calls;
	struct hlsim_replay_gate_info last;
};

static bool fake_gate(void *user, const struct hlsim_replay_gate_info *info)
{
	struct gate_fx *g = user;
	g->calls++;
	g->last = *info;
	return g->open;
}

/* With a gate, lockstep steps only when the gate says so, however long the engine has been
 * quiet, asks it before every step with the engine's counts, and holds nothing itself (the
 * gate holds what goes to the clients). */
static void test_replay_gate_holds_every_step(void **state)
{
	(void)state;
	struct gate_fx g = { false, 0, { 0, 0 } };
	struct hlsim_replay_opts ro = { .speed = 0, .settle_ms = 10, .gate = fake_gate,
					.gate_user = &g };
	struct rfx f;
	rfx_open(&f, &ro);
	struct hlsim_engine *e = f.e;
	uint64_t t = HTS_T0;
	for (int i = 0; i < 50; i++)
		hlsim_tick(e, t += 100); /* 5 s of quiet: nothing without the gate */
	assert_int_equal(e->replay.steps, 0);
	assert_int_equal(g.calls, 50);
	g.open = true;
	hlsim_tick(e, t += 1);
	assert_int_equal(e->replay.steps, 1); /* the SOL book */
	assert_int_equal(e->replay.books, 1);
	assert_int_equal(e->replay.n_held, 0); /* its pushes went out (to the gate's holding) */
	g.open = false;
	/* a signed action: the gate is told it was committed */
	struct hat_buf out = HAT_BUF_INIT, body = HAT_BUF_INIT;
	int st;
	hts_sign_body(&f.k, "{\"type\":\"order\",\"orders\":[{\"a\":2,\"b\":false,\"p\":\"151\",\"s\":\"1\","
			  "\"r\":false,\"t\":{\"limit\":{\"tif\":\"Alo\"}}}],\"grouping\":\"na\"}",
			  HTS_T0 + 15, false, &body);
	hlsim_exchange(e, body.data, body.len, HTS_T0 + 15, &out, &st, NULL);
	assert_non_null(strstr(out.data, "resting"));
	uint64_t a0 = g.last.activity;
	for (int i = 0; i < 10; i++)
		hlsim_tick(e, t += 100);
	assert_int_equal(e->replay.steps, 1);
	assert_int_equal(g.last.signed_actions, 1);
	assert_true(g.last.activity > a0);
	g.open = true;
	for (int i = 0; i < 100 && !e->replay.done; i++)
		hlsim_tick(e, t += 1);
	assert_true(e->replay.done);
	assert_int_equal(e->replay.trades, 1);
	assert_int_equal(f.c.n_trades, 1);
	assert_int_equal(e->replay.n_held, 0);
	hat_buf_free(&out);
	hat_buf_free(&body);
	rfx_close(&f);
}

static void test_replay_rejects_missing_and_foreign_files(void **state)
{
	(void)state;
	char dir[256], path[512], err[256] = "";
	tu_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/none.hjl", dir);
	struct hlsim_options o = { .replay_path = path };
	struct hlsim_engine *e;
	assert_int_equal(hlsim_engine_new(&e, &o, HTS_T0, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "none.hjl"));
	snprintf(path, sizeof path, "%s/x.hjl", dir);
	FILE *f = fopen(path, "w");
	fputs("this is not a journal, just text long enough for a header", f);
	fclose(f);
	assert_int_equal(hlsim_engine_new(&e, &o, HTS_T0, err, sizeof err), HAT_E_BADMAGIC);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_drives_books_and_fills_users),
		cmocka_unit_test(test_replay_trade_through_lockstep),
		cmocka_unit_test(test_replay_gate_holds_every_step),
		cmocka_unit_test(test_replay_rejects_missing_and_foreign_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
