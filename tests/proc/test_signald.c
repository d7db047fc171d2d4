/* tests/proc/test_signald.c -- the real signald process between a fake feedd and a fake riskd:
 * HELLO and snapshot gating, quotes from books, SIGKILL and restart without duplicate
 * intents, clean SIGTERM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/board.h"
#include "common/control.h"
#include "common/msg.h"
#include "common/ring.h"
#include "tests/helpers/pipeline_fixture.h"
#include "tests/helpers/test_util.h"

#define FX(x) ((int64_t)((x) * 100000000.0 + 0.5))

struct rig {
	struct pf f;
	struct hat_ring md, position, intent;
	pid_t pid;
};

/* The running test's rig, so a failed assertion still stops its signald and removes its
 * instance (the teardown below). */
static struct rig *live;

static int teardown(void **state)
{
	(void)state;
	if (!live)
		return 0;
	if (live->pid > 0)
		tu_kill_wait(live->pid, SIGKILL);
	hat_ring_detach(&live->md);
	hat_ring_detach(&live->position);
	hat_ring_detach(&live->intent);
	pf_teardown(&live->f);
	live = NULL;
	return 0;
}

static pid_t start_signald(struct rig *r)
{
	char *argv[] = { (char *)tu_bin("signald"), "--config", r->f.config, "--log",
			 (char *)pf_path(&r->f, "signald.log"), NULL };
	char argv0[512];
	snprintf(argv0, sizeof argv0, "%s", argv[0]);
	argv[0] = argv0;
	return tu_spawn(argv, NULL);
}

static void attach(struct rig *r)
{
	char err[256];
	assert_int_equal(hat_ring_attach(&r->md, r->f.instance, "md", HAT_RING_PRODUCER, HAT_SLOT_MD, 0, err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&r->position, r->f.instance, "position", HAT_RING_PRODUCER, HAT_SLOT_POSITION, 0, err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&r->intent, r->f.instance, "intent", HAT_RING_CONSUMER, HAT_SLOT_INTENT, 0, err, sizeof err), 0);
}

/* Waits up to ms for the next intent-ring message; returns 1 and copies it, or 0. */
static int next_msg(struct rig *r, void *buf, int ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)ms;
	do {
		if (hat_ring_try_pop(&r->intent, buf, HAT_SLOT_INTENT) == 0)
			return 1;
		usleep(1000);
	} while (tu_now_ms() < end);
	return 0;
}

static void book(struct rig *r, const char *coin, double bid, double ask)
{
	struct hat_msg_book b;
	memset(&b, 0, sizeof b);
	hat_msg_init(&b.h, HAT_MSG_BOOK);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	b.h.origin_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	hat_coin_set(b.coin, coin);
	b.n_bids = b.n_asks = 1;
	b.bids[0].px = FX(bid);
	b.bids[0].sz = FX(1);
	b.asks[0].px = FX(ask);
	b.asks[0].sz = FX(1);
	assert_int_equal(hat_ring_push_msg(&r->md, &b.h), 0);
}

static void control(struct rig *r, uint16_t cmd)
{
	struct hat_msg_control c;
	memset(&c, 0, sizeof c);
	hat_msg_init(&c.h, HAT_MSG_CONTROL);
	c.cmd = cmd;
	c.from_stage = HAT_STAGE_RISKD;
	assert_int_equal(hat_ring_push_msg(&r->position, &c.h), 0);
}

static void open_order_row(struct rig *r, const struct hat_msg_intent *in)
{
	struct hat_msg_exec e;
	memset(&e, 0, sizeof e);
	hat_msg_init(&e.h, HAT_MSG_EXEC);
	e.kind = HAT_EXEC_OPEN_ORDER;
	e.flags = HAT_EXEC_F_SNAPSHOT;
	memcpy(e.cloid, in->o.cloid, HAT_CLOID_LEN);
	memcpy(e.coin, in->o.coin, HAT_COIN_LEN);
	e.side = in->o.side;
	e.px = in->o.px;
	e.sz = e.remaining_sz = in->o.sz;
	e.oid = 1;
	assert_int_equal(hat_ring_push_msg(&r->position, &e.h), 0);
}

static void expect_hello(struct rig *r, uint32_t restarts)
{
	_Alignas(8) unsigned char buf[HAT_SLOT_INTENT];
	assert_int_equal(next_msg(r, buf, 10000), 1);
	const struct hat_msg_control *c = (const void *)buf;
	assert_int_equal(c->h.type, HAT_MSG_CONTROL);
	assert_int_equal(c->cmd, HAT_CTL_HELLO);
	assert_int_equal(c->from_stage, HAT_STAGE_SIGNALD);
	assert_int_equal(c->restart_count, restarts);
}

static void test_signald_quotes_after_snapshot_and_survives_sigkill(void **state)
{
	(void)state;
	static struct rig r;
	memset(&r, 0, sizeof r);
	/* ETH only, so the test knows exactly which intents to expect */
	pf_setup(&r.f, "\"coin\": \"BTC\", \"kind\": \"mm\", \"enabled\": true\0"
		       "\"coin\": \"BTC\", \"kind\": \"mm\", \"enabled\": false\0"
		       "\"coin\": \"SOL\", \"kind\": \"taker\", \"enabled\": true\0"
		       "\"coin\": \"SOL\", \"kind\": \"taker\", \"enabled\": false\0");
	attach(&r);
	r.pid = start_signald(&r);
	live = &r;
	expect_hello(&r, 0);

	_Alignas(8) unsigned char buf[HAT_SLOT_INTENT];
	const struct hat_msg_intent *in = (const void *)buf;
	book(&r, "ETH", 2990, 3010);
	assert_int_equal(next_msg(&r, buf, 300), 0); /* not ready: nothing */
	control(&r, HAT_CTL_SNAPSHOT_BEGIN);
	control(&r, HAT_CTL_SNAPSHOT_END);
	usleep(50000);
	book(&r, "ETH", 2990, 3010);
	struct hat_msg_intent first[4];
	int n = 0;
	while (n < 4 && next_msg(&r, buf, n < 4 ? 3000 : 200)) {
		assert_int_equal(in->h.type, HAT_MSG_INTENT);
		first[n++] = *in;
	}
	/* two ladder levels per side: 4 NEW post-only orders, seq continuous after HELLO */
	assert_int_equal(n, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(first[i].o.kind, HAT_INTENT_NEW);
		assert_int_equal(first[i].o.tif, HAT_TIF_ALO);
		assert_string_equal(first[i].o.coin, "ETH");
		assert_int_equal(first[i].h.seq, (uint64_t)i + 2);
		assert_true(first[i].h.origin_ns > 0);
	}
	assert_int_equal(next_msg(&r, buf, 300), 0);

	/* feedd marks ETH stale on the board (a dropped connection): every quote is cancelled */
	struct hat_board board;
	char berr[256];
	assert_int_equal(hat_board_open(&board, r.f.instance, 0, berr, sizeof berr), 0);
	hat_board_set_writer(&board, getpid(), 1);
	int bidx = hat_board_add_coin(&board, "ETH", 1);
	assert_true(bidx >= 0);
	hat_board_set_stale(&board, (uint32_t)bidx, true, 2);
	int cancels = 0;
	while (cancels < 4 && next_msg(&r, buf, 3000)) {
		assert_int_equal(in->o.kind, HAT_INTENT_CANCEL);
		cancels++;
	}
	assert_int_equal(cancels, 4);
	/* the feed is back (feedd clears the flag with the fresh snapshot) */
	hat_board_set_stale(&board, (uint32_t)bidx, false, 3);
	hat_board_close(&board);

	/* SIGKILL mid-stream, restart: the new life says HELLO (restart count is superd's to
	 * bump; here it stays 0) and adopts the four orders from the snapshot */
	kill(r.pid, SIGKILL);
	assert_true(tu_wait(r.pid, 5000) != -1);
	r.pid = start_signald(&r);
	expect_hello(&r, 0);
	control(&r, HAT_CTL_SNAPSHOT_BEGIN);
	for (int i = 0; i < 4; i++)
		open_order_row(&r, &first[i]);
	control(&r, HAT_CTL_SNAPSHOT_END);
	usleep(50000);
	book(&r, "ETH", 2990, 3010);
	/* same book, same targets: no intent at all (no duplicates after the restart) */
	assert_int_equal(next_msg(&r, buf, 500), 0);
	/* a moved book requotes with REPLACEs of the adopted orders and fresh cloids */
	book(&r, "ETH", 2960, 2980);
	assert_int_equal(next_msg(&r, buf, 3000), 1);
	assert_int_equal(in->o.kind, HAT_INTENT_REPLACE);
	int adopted = 0;
	for (int i = 0; i < 4; i++) {
		adopted += memcmp(in->o.orig_cloid, first[i].o.cloid, HAT_CLOID_LEN) == 0;
		assert_memory_not_equal(in->o.cloid, first[i].o.cloid, HAT_CLOID_LEN);
	}
	assert_int_equal(adopted, 1);

	int st = tu_kill_wait(r.pid, SIGTERM);
	r.pid = 0;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	struct hat_control ctl;
	char err[256];
	assert_int_equal(hat_control_open(&ctl, r.f.instance, HAT_SHM_RDONLY, err, sizeof err), 0);
	struct hat_stage_shm *blk = hat_control_stage(&ctl, HAT_STAGE_SIGNALD);
	assert_int_equal(blk->state, HAT_STATE_STOPPED);
	uint64_t v = 0;
	assert_int_equal(hat_stage_counter_find(blk, "md_in", &v), 0);
	assert_true(v >= 3); /* counters survive the restart */
	hat_control_close(&ctl);
}

static void test_signald_bad_config_exits_with_message(void **state)
{
	(void)state;
	struct pf f;
	pf_setup(&f, "\"kind\": \"taker\"\0\"kind\": \"takr\"\0");
	char log[600];
	snprintf(log, sizeof log, "%s", pf_path(&f, "out.log"));
	char bin[512];
	snprintf(bin, sizeof bin, "%s", tu_bin("signald"));
	char *argv[] = { bin, "--config", f.config, NULL };
	pid_t pid = tu_spawn(argv, log);
	int st = tu_wait(pid, 10000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
	char *out = tu_read_file(log);
	assert_non_null(out);
	assert_non_null(strstr(out, "signald.strategies[2].kind: unknown strategy 'takr' (mm|taker)"));
	free(out);
	pf_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_signald_quotes_after_snapshot_and_survives_sigkill, teardown),
		cmocka_unit_test(test_signald_bad_config_exits_with_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
