/* tests/proc/test_riskd_flood.c -- the real riskd process against a signald-like producer
 * process flooding intents and this test acting as execd: riskd waits for execd's snapshot,
 * never approves faster than its order throttle allows (checked on every window of the
 * approvals' risk_seq timestamps), every intent is answered exactly once (an ORDER to execd or
 * a REJECT to signald), and the control block's counters add up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/board.h"
#include "common/clock.h"
#include "common/control.h"
#include "common/msg.h"
#include "common/ring.h"
#include "tests/helpers/test_util.h"

#define N_INTENTS 3000
#define RATE 200      /* max_orders_per_s */
#define BURST 20      /* order_burst */
#define ONE HAT_FX_ONE

struct ctx {
	char inst[64];
	char dir[256];
	char cfg[320];
	char log[320];
	pid_t riskd;
	struct hat_board board;
	struct hat_control control;
	struct hat_ring order, exec, position, cmd;
};

static void write_config(struct ctx *c)
{
	snprintf(c->cfg, sizeof c->cfg, "%s/hat.json", c->dir);
	FILE *f = fopen(c->cfg, "w");
	assert_non_null(f);
	fprintf(f,
		"{\"instance\": \"%s\", \"coins\": [\"BTC\"],\n"
		" \"riskd\": {\"max_orders_per_s\": %d, \"order_burst\": %d,\n"
		"  \"max_cancels_per_s\": 1000, \"max_open_orders\": 1000, \"max_working\": 2048,\n"
		"  \"max_gross_notional_usd\": \"100000000\", \"max_net_notional_usd\": \"100000000\",\n"
		"  \"stale_mark_ms\": 600000, \"stale_data_ms\": 600000, \"heartbeat_ms\": 10,\n"
		"  \"position_publish_ms\": 0,\n"
		"  \"limits\": [{\"coin\": \"BTC\", \"asset\": 0, \"sz_decimals\": 5,\n"
		"               \"max_position\": \"1000\", \"max_order_size\": \"1\"}]}}\n",
		c->inst, RATE, BURST);
	fclose(f);
}

static void create_segments(struct ctx *c)
{
	char err[256];
	static const struct { const char *name; uint32_t count, slot; } rings[] = {
		{ "intent", 4096, HAT_SLOT_INTENT }, { "order", 4096, HAT_SLOT_ORDER },
		{ "exec", 4096, HAT_SLOT_EXEC }, { "position", 8192, HAT_SLOT_POSITION },
		{ "cmd.riskd", 64, HAT_SLOT_CMD },
	};
	for (size_t i = 0; i < sizeof rings / sizeof rings[0]; i++)
		if (hat_ring_create(c->inst, rings[i].name, rings[i].count, rings[i].slot, 0, err,
		                    sizeof err) != 0)
			fail_msg("create %s: %s", rings[i].name, err);
	if (hat_board_create(&c->board, c->inst, 8, getpid(), hat_now_ns(), err, sizeof err))
		fail_msg("board: %s", err);
	int idx = hat_board_add_coin(&c->board, "BTC", 0);
	assert_int_equal(idx, 0);
	hat_board_update_bbo(&c->board, 0, 49999 * ONE, ONE, 50001 * ONE, ONE, 1, hat_now_ns());
	if (hat_control_create(&c->control, c->inst, hat_now_ns(), err, sizeof err))
		fail_msg("control: %s", err);
}

static void attach(struct hat_ring *r, const char *inst, const char *name, int role, uint32_t slot)
{
	char err[256];
	if (hat_ring_attach(r, inst, name, role, slot, 0, err, sizeof err) != 0)
		fail_msg("attach %s: %s", name, err);
}

static void push(struct hat_ring *r, struct hat_msg_hdr *m)
{
	uint64_t end = tu_now_ms() + 10000;
	int rc;
	while ((rc = hat_ring_push_msg(r, m)) == -EAGAIN) {
		assert_true(tu_now_ms() < end);
		usleep(100);
	}
	assert_int_equal(rc, 0);
}

static void init_msg(struct hat_msg_hdr *h, unsigned type)
{
	assert_int_equal(hat_msg_init(h, type), 0);
}

/* The signald-like producer: N intents, two per millisecond, then exit. */
static void producer(const char *inst)
{
	struct hat_ring r;
	char err[256];
	if (hat_ring_attach(&r, inst, "intent", HAT_RING_PRODUCER, HAT_SLOT_INTENT, 0, err, sizeof err))
		_exit(10);
	for (uint32_t i = 0; i < N_INTENTS; i++) {
		struct hat_msg_intent m;
		hat_msg_init(&m.h, HAT_MSG_INTENT);
		m.h.origin_ns = hat_now_ns();
		for (int b = 0; b < 4; b++)
			m.o.cloid[15 - b] = (uint8_t)((i + 1) >> (8 * b));
		strcpy(m.o.coin, "BTC");
		m.o.asset = 0;
		m.o.kind = HAT_INTENT_NEW;
		m.o.side = i % 2 ? HAT_SIDE_SELL : HAT_SIDE_BUY;
		m.o.tif = HAT_TIF_ALO;
		m.o.px = i % 2 ? 50001 * ONE : 49999 * ONE;
		m.o.sz = ONE / 1000; /* $50 */
		m.o.strategy_id = 1;
		while (hat_ring_push_msg(&r, &m.h) == -EAGAIN)
			usleep(50);
		if (i % 2)
			usleep(1000);
	}
	hat_ring_detach(&r);
	_exit(0);
}

static uint64_t counter(struct ctx *c, const char *name)
{
	uint64_t v = 0;
	const struct hat_stage_shm *s = hat_control_stage(&c->control, HAT_STAGE_RISKD);
	if (hat_stage_counter_find(s, name, &v) != 0)
		fail_msg("counter %s missing", name);
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_riskd_flood_respects_throttle_and_counts_add_up(void **state)
{
	(void)state;
	static struct ctx c;
	memset(&c, 0, sizeof c);
	tu_instance(c.inst, sizeof c.inst);
	tu_tmpdir(c.dir, sizeof c.dir);
	write_config(&c);
	create_segments(&c);
	snprintf(c.log, sizeof c.log, "%s/riskd.log", c.dir);
	char *argv[] = { (char *)tu_bin("riskd"), "--config", c.cfg, NULL };
	c.riskd = tu_spawn(argv, c.log);

	/* execd side: wait for HELLO and STATE_REQUEST (riskd attaches the rings first) */
	uint64_t end = tu_now_ms() + 20000;
	char err[256];
	while (hat_ring_attach(&c.order, c.inst, "order", HAT_RING_CONSUMER, HAT_SLOT_ORDER, 0,
	                       err, sizeof err) != 0) {
		assert_true(tu_now_ms() < end);
		usleep(1000);
	}
	attach(&c.exec, c.inst, "exec", HAT_RING_PRODUCER, HAT_SLOT_EXEC);
	attach(&c.position, c.inst, "position", HAT_RING_CONSUMER, HAT_SLOT_POSITION);
	attach(&c.cmd, c.inst, "cmd.riskd", HAT_RING_PRODUCER, HAT_SLOT_CMD);
	unsigned char buf[256] __attribute__((aligned(64)));
	const struct hat_msg_control *ctl = (const void *)buf;
	uint16_t want[2] = { HAT_CTL_HELLO, HAT_CTL_STATE_REQUEST };
	for (int i = 0; i < 2; i++) {
		while (hat_ring_try_pop(&c.order, buf, HAT_SLOT_ORDER) == -EAGAIN) {
			if (tu_now_ms() > end)
				fail_msg("no %s from riskd; log: %s", i ? "STATE_REQUEST" : "HELLO", c.log);
			usleep(1000);
		}
		assert_int_equal(ctl->h.type, HAT_MSG_CONTROL);
		assert_int_equal(ctl->cmd, want[i]);
	}
	/* an empty snapshot */
	struct hat_msg_control s;
	init_msg(&s.h, HAT_MSG_CONTROL);
	s.cmd = HAT_CTL_SNAPSHOT_BEGIN;
	s.from_stage = HAT_STAGE_EXECD;
	push(&c.exec, &s.h);
	init_msg(&s.h, HAT_MSG_CONTROL);
	s.cmd = HAT_CTL_SNAPSHOT_END;
	s.from_stage = HAT_STAGE_EXECD;
	push(&c.exec, &s.h);
	/* riskd answers signald's side with its own snapshot once ready */
	for (;;) {
		while (hat_ring_try_pop(&c.position, buf, HAT_SLOT_POSITION) == -EAGAIN) {
			assert_true(tu_now_ms() < end);
			usleep(1000);
		}
		if (ctl->h.type == HAT_MSG_CONTROL && ctl->cmd == HAT_CTL_SNAPSHOT_END)
			break;
	}

	pid_t prod = fork();
	assert_true(prod >= 0);
	if (prod == 0)
		producer(c.inst);

	static uint64_t approved_at[N_INTENTS];
	uint64_t n_orders = 0, n_rejects = 0, n_rate = 0;
	int prod_status = -1;
	end = tu_now_ms() + 40000;
	while (n_orders + n_rejects < N_INTENTS) {
		if (tu_now_ms() > end)
			fail_msg("timeout: %llu orders + %llu rejects of %d; log %s",
			         (unsigned long long)n_orders, (unsigned long long)n_rejects, N_INTENTS,
			         c.log);
		int idle = 1;
		if (hat_ring_try_pop(&c.order, buf, HAT_SLOT_ORDER) == 0) {
			idle = 0;
			assert_int_equal(hat_msg_validate(buf, HAT_SLOT_ORDER, err, sizeof err), 0);
			const struct hat_msg_order *o = (const void *)buf;
			assert_int_equal(o->h.type, HAT_MSG_ORDER);
			assert_int_equal(o->o.kind, HAT_INTENT_NEW);
			assert_true(n_orders < N_INTENTS);
			approved_at[n_orders++] = o->risk_seq;
			/* execd: the order is gone at once (keeps the open-order count low) */
			struct hat_msg_exec x;
			init_msg(&x.h, HAT_MSG_EXEC);
			memcpy(x.cloid, o->o.cloid, HAT_CLOID_LEN);
			memcpy(x.coin, o->o.coin, HAT_COIN_LEN);
			x.kind = HAT_EXEC_CANCELED;
			x.side = o->o.side;
			x.flags = HAT_EXEC_F_FINAL;
			x.risk_seq = o->risk_seq;
			push(&c.exec, &x.h);
		}
		if (hat_ring_try_pop(&c.position, buf, HAT_SLOT_POSITION) == 0) {
			idle = 0;
			const struct hat_msg_exec *x = (const void *)buf;
			if (x->h.type == HAT_MSG_EXEC && x->kind == HAT_EXEC_REJECT &&
			    (x->flags & HAT_EXEC_F_FROM_RISK)) {
				n_rejects++;
				if (x->reason == HAT_REASON_RISK_ORDER_RATE)
					n_rate++;
			}
		}
		if (idle)
			usleep(200);
	}
	assert_int_equal(waitpid(prod, &prod_status, 0), prod);
	assert_true(WIFEXITED(prod_status) && WEXITSTATUS(prod_status) == 0);

	/* Rate: in every window of W ns the approvals are <= burst + rate * W (+1 for the
	 * token in progress at the window start). */
	qsort(approved_at, n_orders, sizeof approved_at[0], cmp_u64);
	const uint64_t W = 100 * HAT_NS_PER_MS;
	const uint64_t cap = BURST + RATE * W / HAT_NS_PER_S + 1;
	for (uint64_t i = 0, j = 0; i < n_orders; i++) {
		while (j < n_orders && approved_at[j] - approved_at[i] < W)
			j++;
		if (j - i > cap)
			fail_msg("%llu approvals within 100 ms (max %llu)", (unsigned long long)(j - i),
			         (unsigned long long)cap);
	}
	uint64_t span = approved_at[n_orders - 1] - approved_at[0];
	print_message("approved %llu, rejected %llu (order_rate %llu) over %llu ms\n",
	              (unsigned long long)n_orders, (unsigned long long)n_rejects,
	              (unsigned long long)n_rate, (unsigned long long)(span / HAT_NS_PER_MS));
	assert_true(n_orders <= BURST + RATE * span / HAT_NS_PER_S + 1);
	/* The flood (~1.5 s at 2000/s) is far above 200/s: the throttle must have worked. */
	assert_true(n_orders >= BURST);
	assert_true(n_rate > 0);
	assert_int_equal(n_orders + n_rejects, N_INTENTS);

	/* Shut riskd down through its command ring; the counters are final after it exits. */
	struct hat_msg_control sd;
	init_msg(&sd.h, HAT_MSG_CONTROL);
	sd.cmd = HAT_CTL_SHUTDOWN;
	sd.from_stage = HAT_STAGE_SUPERD;
	push(&c.cmd, &sd.h);
	int st = tu_wait(c.riskd, 10000);
	if (st == -1) {
		tu_kill_wait(c.riskd, SIGKILL);
		fail_msg("riskd did not exit after SHUTDOWN");
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	assert_int_equal(counter(&c, "intents_in"), N_INTENTS);
	assert_int_equal(counter(&c, "approved"), n_orders);
	assert_int_equal(counter(&c, "rejected"), n_rejects);
	assert_int_equal(counter(&c, "approved") + counter(&c, "rejected"), counter(&c, "intents_in"));
	assert_int_equal(counter(&c, "rejected.order_rate"), n_rate);
	uint64_t by_reason = 0;
	const struct hat_stage_shm *sb = hat_control_stage(&c.control, HAT_STAGE_RISKD);
	for (uint32_t i = 0; i < hat_stage_counter_count(sb); i++) {
		const struct hat_counter_shm *k = hat_stage_counter_at(sb, i);
		if (strncmp(k->name, "rejected.", 9) == 0)
			by_reason += k->value;
	}
	assert_int_equal(by_reason, n_rejects);
	assert_int_equal(counter(&c, "snapshots_in"), 1);
	assert_int_equal(counter(&c, "bad_msgs"), 0);
	assert_int_equal(counter(&c, "seq_gaps"), 0);
	assert_int_equal(counter(&c, "out_drops"), 0);
	assert_int_equal(counter(&c, "exec_in"), n_orders);
	assert_int_equal(hat_control_stage(&c.control, HAT_STAGE_RISKD)->state, HAT_STATE_STOPPED);

	hat_ring_detach(&c.order);
	hat_ring_detach(&c.exec);
	hat_ring_detach(&c.position);
	hat_ring_detach(&c.cmd);
	hat_board_close(&c.board);
	hat_control_close(&c.control);
	tu_shm_cleanup(c.inst);
	assert_int_equal(tu_shm_count(c.inst), 0);
	tu_rmtree(c.dir);
}

static void test_riskd_bad_config_exits_1_naming_the_key(void **state)
{
	(void)state;
	char dir[256], cfg[320], log[320];
	tu_tmpdir(dir, sizeof dir);
	snprintf(cfg, sizeof cfg, "%s/bad.json", dir);
	snprintf(log, sizeof log, "%s/riskd.log", dir);
	FILE *f = fopen(cfg, "w");
	assert_non_null(f);
	fprintf(f, "{\"instance\": \"nope\", \"coins\": [\"BTC\"], \"riskd\": {\"limits\": "
	           "[{\"coin\": \"BTC\", \"max_position\": 1, \"max_order_size\": 1}]}}\n");
	fclose(f);
	char *argv[] = { (char *)tu_bin("riskd"), "--config", cfg, NULL };
	pid_t p = tu_spawn(argv, log);
	int st = tu_wait(p, 10000);
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	char *text = tu_read_file(log);
	assert_non_null(text);
	assert_non_null(strstr(text, "riskd.limits[0].sz_decimals"));
	free(text);
	char *argv2[] = { (char *)tu_bin("riskd"), "--bogus", NULL };
	p = tu_spawn(argv2, log);
	st = tu_wait(p, 10000);
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_riskd_flood_respects_throttle_and_counts_add_up),
		cmocka_unit_test(test_riskd_bad_config_exits_1_naming_the_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
