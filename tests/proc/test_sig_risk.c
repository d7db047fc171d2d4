/* tests/proc/test_sig_risk.c -- the real signald and the real riskd talking through their rings,
 * with the test playing feedd (md ring + board) and execd (order and exec rings): start-up
 * resync on both sides, quotes approved into orders, acks and fills flowing back, and the
 * position reaching signald. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/board.h"
#include "common/control.h"
#include "common/msg.h"
#include "common/ring.h"
#include "tests/helpers/pipeline_fixture.h"
#include "tests/helpers/test_util.h"

#define FX(x) ((int64_t)((x) * 100000000.0 + 0.5))

static struct pf f;
static struct hat_ring md, order, exec_r;
static struct hat_board board;
static pid_t riskd = -1, signald = -1;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static pid_t start(const char *name)
{
	char bin[512], log[600];
	snprintf(bin, sizeof bin, "%s", tu_bin(name));
	snprintf(log, sizeof log, "%s/%s.log", f.dir, name);
	char *argv[] = { bin, "--config", f.config, "--log", log, NULL };
	return tu_spawn(argv, NULL);
}

static int teardown(void **state)
{
	(void)state;
	if (signald > 0)
		tu_kill_wait(signald, SIGKILL);
	if (riskd > 0)
		tu_kill_wait(riskd, SIGKILL);
	signald = riskd = -1;
	hat_ring_detach(&md);
	hat_ring_detach(&order);
	hat_ring_detach(&exec_r);
	hat_board_close(&board);
	pf_teardown(&f);
	return 0;
}

/* Next message on the order ring within ms, copied into buf; 0 on timeout. */
static int next_order(void *buf, int ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)ms;
	do {
		if (hat_ring_try_pop(&order, buf, HAT_SLOT_ORDER) == 0)
			return 1;
		usleep(1000);
	} while (tu_now_ms() < end);
	return 0;
}

static void exec_push(struct hat_msg_hdr *h)
{
	assert_int_equal(hat_ring_push_msg(&exec_r, h), 0);
}

static void ctl_to_riskd(uint16_t cmd, uint64_t arg)
{
	struct hat_msg_control c;
	memset(&c, 0, sizeof c);
	hat_msg_init(&c.h, HAT_MSG_CONTROL);
	c.cmd = cmd;
	c.arg = arg;
	c.from_stage = HAT_STAGE_EXECD;
	exec_push(&c.h);
}

static void market(double bid, double ask)
{
	int idx = hat_board_add_coin(&board, "ETH", 1);
	assert_true(idx >= 0);
	hat_board_update_bbo(&board, (uint32_t)idx, FX(bid), FX(1), FX(ask), FX(1), now_ns() / 1000000, now_ns());
	struct hat_msg_book b;
	memset(&b, 0, sizeof b);
	hat_msg_init(&b.h, HAT_MSG_BOOK);
	b.h.origin_ns = now_ns();
	hat_coin_set(b.coin, "ETH");
	b.asset = 1;
	b.n_bids = b.n_asks = 1;
	b.bids[0].px = FX(bid);
	b.bids[0].sz = FX(1);
	b.asks[0].px = FX(ask);
	b.asks[0].sz = FX(1);
	b.bids[0].n = b.asks[0].n = 1;
	assert_int_equal(hat_ring_push_msg(&md, &b.h), 0);
}

static bool stage_ready(unsigned id)
{
	struct hat_control c;
	char err[256];
	if (hat_control_open(&c, f.instance, HAT_SHM_RDONLY, err, sizeof err) != 0)
		return false;
	bool r = hat_control_stage(&c, id)->ready != 0;
	hat_control_close(&c);
	return r;
}

static void test_signald_and_riskd_resync_and_trade(void **state)
{
	(void)state;
	pf_setup(&f, "\"coin\": \"BTC\", \"kind\": \"mm\", \"enabled\": true\0"
		     "\"coin\": \"BTC\", \"kind\": \"mm\", \"enabled\": false\0"
		     "\"coin\": \"SOL\", \"kind\": \"taker\", \"enabled\": true\0"
		     "\"coin\": \"SOL\", \"kind\": \"taker\", \"enabled\": false\0");
	char err[256];
	assert_int_equal(hat_ring_attach(&md, f.instance, "md", HAT_RING_PRODUCER, HAT_SLOT_MD, 0, err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&order, f.instance, "order", HAT_RING_CONSUMER, HAT_SLOT_ORDER, 0, err, sizeof err), 0);
	assert_int_equal(hat_ring_attach(&exec_r, f.instance, "exec", HAT_RING_PRODUCER, HAT_SLOT_EXEC, 0, err, sizeof err), 0);
	assert_int_equal(hat_board_open(&board, f.instance, 0, err, sizeof err), 0);
	hat_board_set_writer(&board, getpid(), now_ns());
	market(2990, 3010);

	riskd = start("riskd");
	signald = start("signald");
	/* riskd asks execd (us) for its state before approving anything */
	_Alignas(8) unsigned char buf[HAT_SLOT_ORDER];
	const struct hat_msg_control *c = (const void *)buf;
	bool asked = false;
	for (int i = 0; i < 4 && next_order(buf, 5000); i++)
		if (c->h.type == HAT_MSG_CONTROL && c->cmd == HAT_CTL_STATE_REQUEST)
			asked = true;
		else
			assert_int_equal(c->h.type, HAT_MSG_CONTROL); /* HELLO before */
	assert_true(asked);
	ctl_to_riskd(HAT_CTL_SNAPSHOT_BEGIN, 0);
	ctl_to_riskd(HAT_CTL_SNAPSHOT_END, 0);
	uint64_t end = tu_now_ms() + 10000;
	while (tu_now_ms() < end && !(stage_ready(HAT_STAGE_RISKD) && stage_ready(HAT_STAGE_SIGNALD)))
		usleep(10000);
	assert_true(stage_ready(HAT_STAGE_RISKD));
	assert_true(stage_ready(HAT_STAGE_SIGNALD));

	/* a book: signald quotes ETH (2 levels a side), riskd approves them into orders */
	market(2990, 3010);
	struct hat_msg_order got[4];
	int n = 0;
	while (n < 4 && next_order(buf, 5000)) {
		const struct hat_msg_order *o = (const void *)buf;
		if (o->h.type != HAT_MSG_ORDER)
			continue;
		got[n++] = *o;
	}
	assert_int_equal(n, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(got[i].o.kind, HAT_INTENT_NEW);
		assert_string_equal(got[i].o.coin, "ETH");
		assert_true(got[i].risk_seq > 0);
		assert_true(got[i].h.origin_ns > 0); /* the tick's time travels with the order */
		if (i)
			assert_true(got[i].risk_seq > got[i - 1].risk_seq);
	}
	/* execd acks them and fills the best bid fully */
	int bid = -1;
	for (int i = 0; i < 4; i++) {
		struct hat_msg_exec e;
		memset(&e, 0, sizeof e);
		hat_msg_init(&e.h, HAT_MSG_EXEC);
		e.kind = HAT_EXEC_ACK;
		memcpy(e.cloid, got[i].o.cloid, HAT_CLOID_LEN);
		memcpy(e.coin, got[i].o.coin, HAT_COIN_LEN);
		e.asset = 1;
		e.side = got[i].o.side;
		e.oid = 100 + (uint64_t)i;
		e.px = got[i].o.px;
		e.sz = e.remaining_sz = got[i].o.sz;
		e.risk_seq = got[i].risk_seq;
		exec_push(&e.h);
		if (got[i].o.side == HAT_SIDE_BUY && (bid < 0 || got[i].o.px > got[bid].o.px))
			bid = i;
	}
	assert_true(bid >= 0);
	struct hat_msg_exec fill;
	memset(&fill, 0, sizeof fill);
	hat_msg_init(&fill.h, HAT_MSG_EXEC);
	fill.kind = HAT_EXEC_FILL;
	fill.flags = HAT_EXEC_F_FINAL;
	memcpy(fill.cloid, got[bid].o.cloid, HAT_CLOID_LEN);
	memcpy(fill.coin, "ETH", 4);
	fill.asset = 1;
	fill.side = HAT_SIDE_BUY;
	fill.oid = 100 + (uint64_t)bid;
	fill.px = got[bid].o.px;
	fill.sz = got[bid].o.sz;
	fill.remaining_sz = 0;
	fill.fee = 1000; /* 0.00001 USD */
	fill.tid = 777;
	fill.risk_seq = got[bid].risk_seq;
	exec_push(&fill.h);
	/* signald learns the position from riskd and requotes lower (the reservation price moves
	 * down with inventory): a REPLACE or NEW on the bid side below the old best bid */
	bool moved = false;
	end = tu_now_ms() + 5000;
	while (!moved && tu_now_ms() < end && next_order(buf, 500)) {
		const struct hat_msg_order *o = (const void *)buf;
		if (o->h.type == HAT_MSG_ORDER && o->o.side == HAT_SIDE_BUY && o->o.kind != HAT_INTENT_CANCEL &&
		    o->o.px < got[bid].o.px)
			moved = true;
	}
	assert_true(moved);
	struct hat_control ctl;
	assert_int_equal(hat_control_open(&ctl, f.instance, HAT_SHM_RDONLY, err, sizeof err), 0);
	uint64_t fills = 0;
	assert_int_equal(hat_stage_counter_find(hat_control_stage(&ctl, HAT_STAGE_SIGNALD), "fills_in", &fills), 0);
	assert_int_equal(fills, 1);
	hat_control_close(&ctl);
	int st = tu_kill_wait(signald, SIGTERM);
	signald = -1;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = tu_kill_wait(riskd, SIGTERM);
	riskd = -1;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_signald_and_riskd_resync_and_trade, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
