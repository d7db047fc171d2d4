/* tests/unit/test_riskd_daemon.c -- the riskd stage stepped in-process (STYLE rule 11): push a
 * message into a ring, call riskd_run_once(d, 0), assert on the output rings and the control
 * block. Covers the adapter: validation and seq checks on input, marks from the board (stale
 * coins age out), output queued when a ring is full, counters, drain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/board.h"
#include "common/clock.h"
#include "common/instance.h"
#include "riskd/daemon.h"
#include "tests/helpers/test_util.h"

#define ONE HAT_FX_ONE

struct fx {
	char inst[64], dir[256], cfg_path[320];
	struct hat_config cfg;
	struct hat_config_doc doc;
	struct riskd d;
	struct hat_board board;           /* as feedd */
	struct hat_ring intent, exec, cmd; /* producers, as signald/execd/superd */
	struct hat_ring order, position;  /* consumers, as execd/signald */
	unsigned char buf[256] __attribute__((aligned(64)));
};

static int setup(void **state)
{
	static struct fx f;
	memset(&f, 0, sizeof f);
	char err[512];
	tu_instance(f.inst, sizeof f.inst);
	tu_tmpdir(f.dir, sizeof f.dir);
	snprintf(f.cfg_path, sizeof f.cfg_path, "%s/hat.json", f.dir);
	FILE *fp = fopen(f.cfg_path, "w");
	assert_non_null(fp);
	fprintf(fp, "{\"instance\": \"%s\", \"coins\": [\"BTC\", \"ETH\"],\n"
		" \"rings\": {\"md\": 64, \"intent\": 64, \"order\": 64, \"exec\": 64,"
		" \"position\": 16, \"cmd\": 16},\n"
		" \"riskd\": {\"max_orders_per_s\": 100, \"order_burst\": 10, \"stale_mark_ms\": 2000,\n"
		"  \"max_open_orders\": 50, \"heartbeat_ms\": 1, \"position_publish_ms\": 0,\n"
		"  \"limits\": [{\"coin\": \"BTC\", \"sz_decimals\": 5, \"max_position\": \"1\",\n"
		"               \"max_order_size\": \"0.5\"},\n"
		"              {\"coin\": \"ETH\", \"sz_decimals\": 4, \"max_position\": \"10\",\n"
		"               \"max_order_size\": \"5\"}]}}\n", f.inst);
	fclose(fp);
	if (hat_config_load(&f.cfg, &f.doc, f.cfg_path, err, sizeof err) != 0)
		fail_msg("config: %s", err);
	if (hat_instance_create(&f.cfg, 1, err, sizeof err) != 0)
		fail_msg("instance: %s", err);
	if (hat_board_open(&f.board, f.inst, 0, err, sizeof err) != 0)
		fail_msg("board: %s", err);
	hat_board_set_writer(&f.board, getpid(), hat_now_ns());
	assert_int_equal(hat_board_add_coin(&f.board, "BTC", 0), 0);
	assert_int_equal(hat_board_add_coin(&f.board, "ETH", 1), 1);
	hat_board_update_bbo(&f.board, 0, 49999 * ONE, ONE, 50001 * ONE, ONE, 1, hat_now_ns());
	hat_board_update_bbo(&f.board, 1, 1999 * ONE, ONE, 2001 * ONE, ONE, 1, hat_now_ns());

	struct hat_daemon_args a;
	char *argv[] = { "riskd", "--config", f.cfg_path, "--log-level", "error", NULL };
	assert_int_equal(hat_daemon_args_parse(&a, 5, argv, err, sizeof err), 0);
	if (riskd_init(&f.d, &a, err, sizeof err) != 0)
		fail_msg("riskd_init: %s", err);
	struct { struct hat_ring *r; const char *name; int role; } at[] = {
		{ &f.intent, "intent", HAT_RING_PRODUCER }, { &f.exec, "exec", HAT_RING_PRODUCER },
		{ &f.cmd, "cmd.riskd", HAT_RING_PRODUCER }, { &f.order, "order", HAT_RING_CONSUMER },
		{ &f.position, "position", HAT_RING_CONSUMER },
	};
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
		if (hat_ring_attach(at[i].r, f.inst, at[i].name, at[i].role,
		                    hat_instance_ring(at[i].name)->slot_size, 0, err, sizeof err))
			fail_msg("attach %s: %s", at[i].name, err);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char err[256];
	riskd_deinit(&f->d);
	hat_ring_detach(&f->intent);
	hat_ring_detach(&f->exec);
	hat_ring_detach(&f->cmd);
	hat_ring_detach(&f->order);
	hat_ring_detach(&f->position);
	hat_board_close(&f->board);
	hat_config_doc_free(&f->doc);
	assert_int_equal(hat_instance_unlink(f->inst, err, sizeof err), 0);
	assert_int_equal(tu_shm_count(f->inst), 0);
	tu_rmtree(f->dir);
	return 0;
}

static const void *pop(struct fx *f, struct hat_ring *r)
{
	if (hat_ring_try_pop(r, f->buf, hat_ring_slot_size(r)) != 0)
		return NULL;
	return f->buf;
}

static void ctl_push(struct hat_ring *r, uint16_t cmd, uint64_t arg)
{
	struct hat_msg_control c;
	hat_msg_init(&c.h, HAT_MSG_CONTROL);
	c.cmd = cmd;
	c.arg = arg;
	c.from_stage = HAT_STAGE_EXECD;
	assert_int_equal(hat_ring_push_msg(r, &c.h), 0);
}

static struct hat_msg_intent intent(uint8_t id, const char *coin, int64_t px, int64_t sz)
{
	struct hat_msg_intent m;
	hat_msg_init(&m.h, HAT_MSG_INTENT);
	m.o.cloid[15] = id;
	strcpy(m.o.coin, coin);
	m.o.asset = strcmp(coin, "ETH") == 0;
	m.o.kind = HAT_INTENT_NEW;
	m.o.side = HAT_SIDE_BUY;
	m.o.tif = HAT_TIF_GTC;
	m.o.px = px;
	m.o.sz = sz;
	return m;
}

static uint64_t counter(struct fx *f, const char *name)
{
	uint64_t v = 0;
	if (hat_stage_counter_find(f->d.st.blk, name, &v) != 0)
		fail_msg("counter %s missing", name);
	return v;
}

/* Start-up handshake: HELLO + STATE_REQUEST out, empty snapshot in, signald's snapshot out. */
static void make_ready(struct fx *f)
{
	riskd_run_once(&f->d, 0);
	const struct hat_msg_control *c = pop(f, &f->order);
	assert_non_null(c);
	assert_int_equal(c->cmd, HAT_CTL_HELLO);
	c = pop(f, &f->order);
	assert_non_null(c);
	assert_int_equal(c->cmd, HAT_CTL_STATE_REQUEST);
	assert_null(pop(f, &f->order));
	assert_int_equal(f->d.st.blk->state, HAT_STATE_STARTING);
	assert_int_equal(f->d.st.blk->ready, 0);
	ctl_push(&f->exec, HAT_CTL_SNAPSHOT_BEGIN, 0);
	ctl_push(&f->exec, HAT_CTL_SNAPSHOT_END, 0);
	riskd_run_once(&f->d, 0);
	assert_true(f->d.eng.ready);
	/* BEGIN, 2 POSITION, END */
	for (int i = 0; i < 4; i++)
		assert_non_null(pop(f, &f->position));
	assert_int_equal(((const struct hat_msg_control *)f->buf)->cmd, HAT_CTL_SNAPSHOT_END);
	assert_null(pop(f, &f->position));
	usleep(2000);
	riskd_run_once(&f->d, 0); /* counters and state flushed (heartbeat_ms 1) */
	assert_int_equal(f->d.st.blk->state, HAT_STATE_RUNNING);
	assert_int_equal(f->d.st.blk->ready, 1);
}

static void test_riskd_daemon_handshake_then_order(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	struct hat_msg_intent m = intent(1, "BTC", 50000 * ONE, ONE / 10);
	assert_int_equal(hat_ring_push_msg(&f->intent, &m.h), 0);
	assert_int_equal(riskd_run_once(&f->d, 0), 1);
	const struct hat_msg_order *o = pop(f, &f->order);
	assert_non_null(o);
	assert_int_equal(o->h.type, HAT_MSG_ORDER);
	assert_int_equal(o->o.cloid[15], 1);
	assert_int_equal(o->intent_seq, m.h.seq);
	assert_int_equal(o->h.seq, 3); /* HELLO, STATE_REQUEST, this */
	usleep(2000);
	assert_int_equal(riskd_run_once(&f->d, 0), 0);
	assert_int_equal(counter(f, "approved"), 1);
	assert_int_equal(counter(f, "intents_in"), 1);
	const struct hat_hist_shm *h = hat_stage_hist_find(f->d.st.blk, "check_ns");
	assert_non_null(h);
	assert_int_equal(h->count, 1);
}

static void test_riskd_daemon_invalid_intent_gets_a_reject(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	struct hat_msg_intent m = intent(2, "BTC", 50000 * ONE, ONE / 10);
	m.o.tif = 9; /* out of range: the validator refuses it */
	assert_int_equal(hat_ring_push_msg(&f->intent, &m.h), 0);
	riskd_run_once(&f->d, 0);
	const struct hat_msg_exec *x = pop(f, &f->position);
	assert_non_null(x);
	assert_int_equal(x->kind, HAT_EXEC_REJECT);
	assert_int_equal(x->reason, HAT_REASON_RISK_BAD_INTENT);
	assert_int_equal(x->cloid[15], 2);
	assert_non_null(strstr(x->text, "RISK_BAD_INTENT: INTENT"));
	assert_null(pop(f, &f->order));
	usleep(2000);
	riskd_run_once(&f->d, 0);
	assert_int_equal(counter(f, "bad_msgs"), 1);
	assert_int_equal(counter(f, "rejected.bad_intent"), 1);
}

static void test_riskd_daemon_seq_gap_and_duplicate(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	/* raw pushes with chosen seqs: 1, 3 (gap of 1), 3 again (duplicate, dropped) */
	uint64_t seqs[3] = { 1, 3, 3 };
	for (int i = 0; i < 3; i++) {
		struct hat_msg_intent m = intent((uint8_t)(10 + i), "BTC", 50000 * ONE, ONE / 10);
		m.h.seq = seqs[i];
		assert_int_equal(hat_ring_try_push(&f->intent, &m, sizeof m), 0);
	}
	riskd_run_once(&f->d, 0);
	assert_non_null(pop(f, &f->order));
	assert_non_null(pop(f, &f->order));
	assert_null(pop(f, &f->order));
	usleep(2000);
	riskd_run_once(&f->d, 0);
	assert_int_equal(counter(f, "seq_gaps"), 1);
	assert_int_equal(counter(f, "seq_lost"), 1);
	assert_int_equal(counter(f, "seq_dups"), 1);
	assert_int_equal(counter(f, "intents_in"), 2);
}

static void test_riskd_daemon_stale_board_coin_ages_out(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	/* the feed marks ETH stale: its mark is no longer refreshed and ages past 2 s */
	hat_board_set_stale(&f->board, 1, true, hat_now_ns());
	riskd_run_once(&f->d, 0);
	risk_engine_set_mark(&f->d.eng, 1, 2000 * ONE, hat_now_ns() - 3 * HAT_NS_PER_S);
	riskd_run_once(&f->d, 0);
	struct hat_msg_intent m = intent(20, "ETH", 2000 * ONE, ONE);
	assert_int_equal(hat_ring_push_msg(&f->intent, &m.h), 0);
	riskd_run_once(&f->d, 0);
	const struct hat_msg_exec *x = pop(f, &f->position);
	assert_non_null(x);
	assert_int_equal(x->reason, HAT_REASON_RISK_STALE_MARK);
	/* fresh again */
	hat_board_update_bbo(&f->board, 1, 1999 * ONE, ONE, 2001 * ONE, ONE, 2, hat_now_ns());
	m = intent(21, "ETH", 2000 * ONE, ONE);
	assert_int_equal(hat_ring_push_msg(&f->intent, &m.h), 0);
	riskd_run_once(&f->d, 0);
	assert_non_null(pop(f, &f->order));
}

static void test_riskd_daemon_full_position_ring_queues_then_flushes(void **state)
{
	struct fx *f = *state; /* position ring: 16 slots */
	make_ready(f);
	/* 20 rejects (unknown coin) but only 16 slots: 4 queued, and input stops meanwhile */
	for (uint8_t i = 0; i < 24; i++) {
		struct hat_msg_intent m = intent((uint8_t)(100 + i), "XRP", ONE, ONE);
		assert_int_equal(hat_ring_push_msg(&f->intent, &m.h), 0);
	}
	riskd_run_once(&f->d, 0);
	assert_int_equal(f->d.q_position.n, 1);
	assert_int_equal(f->d.eng.c.intents_in, 17);
	riskd_run_once(&f->d, 0);
	assert_int_equal(f->d.eng.c.intents_in, 17); /* still blocked: nobody read */
	unsigned got = 0;
	while (pop(f, &f->position))
		got++;
	assert_int_equal(got, 16);
	riskd_run_once(&f->d, 0); /* flush 1, then 7 more intents */
	while (pop(f, &f->position))
		got++;
	riskd_run_once(&f->d, 0);
	while (pop(f, &f->position))
		got++;
	assert_int_equal(got, 24);
	assert_int_equal(f->d.eng.c.intents_in, 24);
	assert_int_equal(f->d.eng.c.out_drops, 0);
	assert_int_equal(f->d.q_position.dropped, 0);
}

static void test_riskd_daemon_commands_and_drain(void **state)
{
	struct fx *f = *state;
	make_ready(f);
	struct hat_msg_control c;
	hat_msg_init(&c.h, HAT_MSG_CONTROL);
	c.cmd = HAT_CTL_HALT;
	c.from_stage = HAT_STAGE_OPERATOR;
	strcpy(c.text, "unit test");
	assert_int_equal(hat_ring_push_msg(&f->cmd, &c.h), 0);
	riskd_run_once(&f->d, 0);
	const struct hat_msg_control *ca = pop(f, &f->order);
	assert_non_null(ca);
	assert_int_equal(ca->cmd, HAT_CTL_CANCEL_ALL);
	usleep(2000);
	riskd_run_once(&f->d, 0);
	assert_int_equal(f->d.st.blk->state, HAT_STATE_HALTED);
	assert_int_equal(counter(f, "trading_state"), HAT_TS_HALTED);
	assert_int_equal(counter(f, "cmd_in"), 1);
	hat_msg_init(&c.h, HAT_MSG_CONTROL);
	c.cmd = HAT_CTL_SHUTDOWN;
	c.from_stage = HAT_STAGE_SUPERD;
	assert_int_equal(hat_ring_push_msg(&f->cmd, &c.h), 0);
	riskd_run_once(&f->d, 0);
	assert_true(riskd_shutdown_requested(&f->d));
	/* a fill waiting in the exec ring is still applied by drain */
	struct hat_msg_exec x;
	hat_msg_init(&x.h, HAT_MSG_EXEC);
	strcpy(x.coin, "BTC");
	x.cloid[15] = 77;
	x.kind = HAT_EXEC_FILL;
	x.side = HAT_SIDE_BUY;
	x.px = 50000 * ONE;
	x.sz = ONE / 10;
	x.tid = 5;
	assert_int_equal(hat_ring_push_msg(&f->exec, &x.h), 0);
	assert_int_equal(riskd_drain(&f->d, 1000), 0);
	assert_true(f->d.eng.book.coins[0].pos.szi == ONE / 10);
	assert_int_equal(f->d.st.blk->state, HAT_STATE_STOPPING);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_riskd_daemon_handshake_then_order),
		T(test_riskd_daemon_invalid_intent_gets_a_reject),
		T(test_riskd_daemon_seq_gap_and_duplicate),
		T(test_riskd_daemon_stale_board_coin_ages_out),
		T(test_riskd_daemon_full_position_ring_queues_then_flushes),
		T(test_riskd_daemon_commands_and_drain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
