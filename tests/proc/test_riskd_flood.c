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
#include <stdbool.h>
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
	uint32_t position_slots; /* slots of the position ring */
	pid_t sigd;              /* heartbeats signald's control block */
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
		"  \"position_publish_ms\": 0, \"signald_timeout_ms\": 2000,\n"
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
		if (hat_ring_create(c->inst, rings[i].name,
		                    i == 3 && c->position_slots ? c->position_slots : rings[i].count,
		                    rings[i].slot, 0, err, sizeof err) != 0)
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

/* A stand-in for signald's liveness: a process that heartbeats signald's control block every
 * 5 ms until it is killed. */
static pid_t start_signald_heartbeat(const char *inst)
{
	pid_t p = fork();
	assert_true(p >= 0);
	if (p > 0)
		return p;
	struct hat_control ctl;
	char err[256];
	if (hat_control_open(&ctl, inst, 0, err, sizeof err) != 0)
		_exit(10);
	struct hat_stage_shm *s = hat_control_stage(&ctl, HAT_STAGE_SIGNALD);
	hat_stage_begin(s, getpid(), hat_mono_ns(), hat_now_ns());
	hat_stage_set_state(s, HAT_STATE_RUNNING);
	for (;;) {
		hat_stage_heartbeat(s, hat_mono_ns());
		usleep(5000);
	}
}

/* Creates the segments and config, starts riskd and plays execd's part of the start-up:
 * HELLO and STATE_REQUEST arrive, an empty snapshot goes back, riskd's own snapshot to signald
 * comes out on the position ring. */
static void start_riskd(struct ctx *c, uint32_t position_slots)
{
	memset(c, 0, sizeof *c);
	c->position_slots = position_slots;
	tu_instance(c->inst, sizeof c->inst);
	tu_tmpdir(c->dir, sizeof c->dir);
	write_config(c);
	create_segments(c);
	c->sigd = start_signald_heartbeat(c->inst);
	snprintf(c->log, sizeof c->log, "%s/riskd.log", c->dir);
	char *argv[] = { (char *)tu_bin("riskd"), "--config", c->cfg, NULL };
	c->riskd = tu_spawn(argv, c->log);

	uint64_t end = tu_now_ms() + 20000;
	char err[256];
	while (hat_ring_attach(&c->order, c->inst, "order", HAT_RING_CONSUMER, HAT_SLOT_ORDER, 0,
	                       err, sizeof err) != 0) {
		assert_true(tu_now_ms() < end);
		usleep(1000);
	}
	attach(&c->exec, c->inst, "exec", HAT_RING_PRODUCER, HAT_SLOT_EXEC);
	attach(&c->position, c->inst, "position", HAT_RING_CONSUMER, HAT_SLOT_POSITION);
	attach(&c->cmd, c->inst, "cmd.riskd", HAT_RING_PRODUCER, HAT_SLOT_CMD);
	unsigned char buf[256] __attribute__((aligned(64)));
	const struct hat_msg_control *ctl = (const void *)buf;
	uint16_t want[2] = { HAT_CTL_HELLO, HAT_CTL_STATE_REQUEST };
	for (int i = 0; i < 2; i++) {
		while (hat_ring_try_pop(&c->order, buf, HAT_SLOT_ORDER) == -EAGAIN) {
			if (tu_now_ms() > end)
				fail_msg("no %s from riskd; log: %s", i ? "STATE_REQUEST" : "HELLO", c->log);
			usleep(1000);
		}
		assert_int_equal(ctl->h.type, HAT_MSG_CONTROL);
		assert_int_equal(ctl->cmd, want[i]);
	}
	struct hat_msg_control s;
	init_msg(&s.h, HAT_MSG_CONTROL);
	s.cmd = HAT_CTL_SNAPSHOT_BEGIN;
	s.from_stage = HAT_STAGE_EXECD;
	push(&c->exec, &s.h);
	init_msg(&s.h, HAT_MSG_CONTROL);
	s.cmd = HAT_CTL_SNAPSHOT_END;
	s.from_stage = HAT_STAGE_EXECD;
	push(&c->exec, &s.h);
	for (;;) {
		while (hat_ring_try_pop(&c->position, buf, HAT_SLOT_POSITION) == -EAGAIN) {
			assert_true(tu_now_ms() < end);
			usleep(1000);
		}
		if (ctl->h.type == HAT_MSG_CONTROL && ctl->cmd == HAT_CTL_SNAPSHOT_END)
			break;
	}
}

/* Sends SHUTDOWN on the command ring and expects a clean exit. */
static void stop_riskd(struct ctx *c)
{
	struct hat_msg_control sd;
	init_msg(&sd.h, HAT_MSG_CONTROL);
	sd.cmd = HAT_CTL_SHUTDOWN;
	sd.from_stage = HAT_STAGE_SUPERD;
	push(&c->cmd, &sd.h);
	int st = tu_wait(c->riskd, 10000);
	if (st == -1) {
		tu_kill_wait(c->riskd, SIGKILL);
		fail_msg("riskd did not exit after SHUTDOWN");
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void cleanup(struct ctx *c)
{
	if (c->sigd > 0)
		tu_kill_wait(c->sigd, SIGKILL);
	hat_ring_detach(&c->order);
	hat_ring_detach(&c->exec);
	hat_ring_detach(&c->position);
	hat_ring_detach(&c->cmd);
	hat_board_close(&c->board);
	hat_control_close(&c->control);
	tu_shm_cleanup(c->inst);
	assert_int_equal(tu_shm_count(c->inst), 0);
	tu_rmtree(c->dir);
}

static void test_riskd_flood_respects_throttle_and_counts_add_up(void **state)
{
	(void)state;
	static struct ctx c;
	start_riskd(&c, 0);
	unsigned char buf[256] __attribute__((aligned(64)));
	char err[256];
	uint64_t end;

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
	stop_riskd(&c);

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

	cleanup(&c);
}

/* Pops from r until a message satisfying want() arrives (others are skipped). */
static void pop_until(struct hat_ring *r, uint32_t slot, unsigned char *buf,
                      bool (*want)(const void *m), const char *what, const char *log)
{
	uint64_t end = tu_now_ms() + 10000;
	for (;;) {
		while (hat_ring_try_pop(r, buf, slot) == -EAGAIN) {
			if (tu_now_ms() > end)
				fail_msg("timeout waiting for %s; log: %s", what, log);
			usleep(500);
		}
		if (want(buf))
			return;
	}
}

static bool is_order(const void *m) { return ((const struct hat_msg_hdr *)m)->type == HAT_MSG_ORDER; }
static bool is_position(const void *m) { return ((const struct hat_msg_hdr *)m)->type == HAT_MSG_POSITION; }
static bool is_snapshot_end(const void *m)
{
	const struct hat_msg_control *c = m;
	return c->h.type == HAT_MSG_CONTROL && c->cmd == HAT_CTL_SNAPSHOT_END;
}
static bool is_anything(const void *m)
{
	(void)m;
	return true;
}
static bool is_cancel_all(const void *m)
{
	const struct hat_msg_control *c = m;
	return c->h.type == HAT_MSG_CONTROL && c->cmd == HAT_CTL_CANCEL_ALL;
}
static bool is_reject(const void *m)
{
	const struct hat_msg_exec *x = m;
	return x->h.type == HAT_MSG_EXEC && x->kind == HAT_EXEC_REJECT;
}

static void send_cmd(struct ctx *c, uint16_t cmd, const char *text)
{
	struct hat_msg_control m;
	init_msg(&m.h, HAT_MSG_CONTROL);
	m.cmd = cmd;
	m.from_stage = HAT_STAGE_OPERATOR;
	snprintf(m.text, sizeof m.text, "%s", text);
	push(&c->cmd, &m.h);
}

static void send_intent(struct hat_ring *r, uint8_t id)
{
	struct hat_msg_intent m;
	init_msg(&m.h, HAT_MSG_INTENT);
	m.o.cloid[15] = id;
	strcpy(m.o.coin, "BTC");
	m.o.kind = HAT_INTENT_NEW;
	m.o.side = HAT_SIDE_BUY;
	m.o.tif = HAT_TIF_GTC;
	m.o.px = 49990 * ONE;
	m.o.sz = ONE / 100;
	push(r, &m.h);
}

static void wait_stage(struct ctx *c, unsigned state, uint64_t trading_state)
{
	uint64_t end = tu_now_ms() + 10000;
	const struct hat_stage_shm *s = hat_control_stage(&c->control, HAT_STAGE_RISKD);
	while (__atomic_load_n(&s->state, __ATOMIC_RELAXED) != state ||
	       counter(c, "trading_state") != trading_state) {
		if (tu_now_ms() > end)
			fail_msg("stage state %u trading_state %llu, want %u %llu", s->state,
			         (unsigned long long)counter(c, "trading_state"), state,
			         (unsigned long long)trading_state);
		usleep(1000);
	}
}

static void test_riskd_halt_command_cancels_all_once(void **state)
{
	(void)state;
	static struct ctx c;
	start_riskd(&c, 0);
	unsigned char buf[256] __attribute__((aligned(64)));
	struct hat_ring intent;
	attach(&intent, c.inst, "intent", HAT_RING_PRODUCER, HAT_SLOT_INTENT);
	wait_stage(&c, HAT_STATE_RUNNING, HAT_TS_ACTIVE);

	/* an approved order, acked and filled by "execd": a POSITION reaches "signald" */
	send_intent(&intent, 1);
	pop_until(&c.order, HAT_SLOT_ORDER, buf, is_order, "ORDER", c.log);
	const struct hat_msg_order *o = (const void *)buf;
	assert_int_equal(o->o.cloid[15], 1);
	struct hat_msg_exec x;
	init_msg(&x.h, HAT_MSG_EXEC);
	x.cloid[15] = 1;
	strcpy(x.coin, "BTC");
	x.kind = HAT_EXEC_FILL;
	x.side = HAT_SIDE_BUY;
	x.px = 49990 * ONE;
	x.sz = ONE / 100;
	x.fee = 1000000;
	x.tid = 99;
	x.flags = HAT_EXEC_F_FINAL;
	push(&c.exec, &x.h);
	pop_until(&c.position, HAT_SLOT_POSITION, buf, is_position, "POSITION", c.log);
	const struct hat_msg_position *p = (const void *)buf;
	assert_string_equal(p->coin, "BTC");
	assert_true(p->szi == ONE / 100 && p->entry_px == 49990 * ONE && p->fees == 1000000);
	assert_true(p->mark_px == 50000 * ONE && p->unrealized_pnl == 10000000);

	/* HALT twice and an escalation: one CANCEL_ALL. A STATE_REQUEST after them marks when
	 * all three were handled (commands are handled in order). */
	send_cmd(&c, HAT_CTL_HALT, "test halt");
	send_cmd(&c, HAT_CTL_HALT, "again");
	send_cmd(&c, HAT_CTL_ESCALATE, "superd");
	send_cmd(&c, HAT_CTL_STATE_REQUEST, "");
	pop_until(&c.position, HAT_SLOT_POSITION, buf, is_snapshot_end, "snapshot", c.log);
	assert_int_equal(hat_ring_try_pop(&c.order, buf, HAT_SLOT_ORDER), 0);
	const struct hat_msg_control *ca = (const void *)buf;
	assert_int_equal(ca->h.type, HAT_MSG_CONTROL);
	assert_int_equal(ca->cmd, HAT_CTL_CANCEL_ALL);
	assert_string_equal(ca->text, "operator: test halt");
	assert_int_equal(hat_ring_try_pop(&c.order, buf, HAT_SLOT_ORDER), -EAGAIN);
	wait_stage(&c, HAT_STATE_HALTED, HAT_TS_HALTED);
	assert_int_equal(counter(&c, "state_cause"), 2 /* RISK_CAUSE_OPERATOR */);

	/* halted: a new order is rejected back to signald */
	send_intent(&intent, 2);
	pop_until(&c.position, HAT_SLOT_POSITION, buf, is_reject, "REJECT", c.log);
	const struct hat_msg_exec *r = (const void *)buf;
	assert_int_equal(r->reason, HAT_REASON_RISK_HALTED);
	assert_int_equal(r->cloid[15], 2);

	send_cmd(&c, HAT_CTL_RESUME, "test resume");
	wait_stage(&c, HAT_STATE_RUNNING, HAT_TS_ACTIVE);
	send_intent(&intent, 3);
	pop_until(&c.order, HAT_SLOT_ORDER, buf, is_order, "ORDER after resume", c.log);
	assert_int_equal(((const struct hat_msg_order *)buf)->o.cloid[15], 3);

	hat_ring_detach(&intent);
	stop_riskd(&c);
	assert_int_equal(counter(&c, "cancel_alls"), 1);
	assert_int_equal(counter(&c, "state_transitions"), 2);
	assert_int_equal(counter(&c, "fills"), 1);
	assert_int_equal(counter(&c, "approved") + counter(&c, "rejected"), counter(&c, "intents_in"));
	cleanup(&c);
}

/* The position ring is tiny and nobody reads it at first: riskd must queue its output, stop
 * reading intents (back-pressure) and lose nothing once signald reads again. */
static void test_riskd_full_output_ring_loses_nothing(void **state)
{
	(void)state;
	static struct ctx c;
	enum { N = 300 };
	start_riskd(&c, 16);
	unsigned char buf[256] __attribute__((aligned(64)));
	struct hat_ring intent;
	attach(&intent, c.inst, "intent", HAT_RING_PRODUCER, HAT_SLOT_INTENT);
	for (uint32_t i = 0; i < N; i++) {
		struct hat_msg_intent m;
		init_msg(&m.h, HAT_MSG_INTENT);
		m.o.cloid[14] = (uint8_t)(i >> 8);
		m.o.cloid[15] = (uint8_t)i;
		m.o.cloid[0] = 1;
		strcpy(m.o.coin, "BTC");
		m.o.kind = HAT_INTENT_NEW;
		m.o.side = HAT_SIDE_BUY;
		m.o.tif = HAT_TIF_GTC;
		m.o.px = 49990 * ONE;
		m.o.sz = ONE / 100;
		push(&intent, &m.h);
	}
	/* riskd fills the 16 slots, queues the rest of its batch, then stops reading */
	uint64_t end = tu_now_ms() + 10000;
	while (counter(&c, "queued_position") == 0) {
		assert_true(tu_now_ms() < end);
		usleep(1000);
	}
	usleep(50000);
	assert_true(counter(&c, "intents_in") < N);
	assert_true(hat_ring_count(&intent) > 0);

	uint64_t answers = 0;
	end = tu_now_ms() + 20000;
	while (answers < N) {
		assert_true(tu_now_ms() < end);
		int idle = 1;
		if (hat_ring_try_pop(&c.order, buf, HAT_SLOT_ORDER) == 0) {
			idle = 0;
			if (((const struct hat_msg_hdr *)buf)->type == HAT_MSG_ORDER)
				answers++;
		}
		if (hat_ring_try_pop(&c.position, buf, HAT_SLOT_POSITION) == 0) {
			idle = 0;
			if (is_reject(buf))
				answers++;
		}
		if (idle)
			usleep(200);
	}
	hat_ring_detach(&intent);
	stop_riskd(&c);
	assert_int_equal(counter(&c, "intents_in"), N);
	assert_int_equal(counter(&c, "approved") + counter(&c, "rejected"), N);
	assert_int_equal(counter(&c, "out_drops"), 0);
	assert_int_equal(counter(&c, "seq_gaps"), 0);
	cleanup(&c);
}

/* signald stops heartbeating while an order works: riskd cancels everything once. */
static void test_riskd_signald_down_cancels_all(void **state)
{
	(void)state;
	static struct ctx c;
	start_riskd(&c, 0);
	unsigned char buf[256] __attribute__((aligned(64)));
	struct hat_ring intent;
	attach(&intent, c.inst, "intent", HAT_RING_PRODUCER, HAT_SLOT_INTENT);
	send_intent(&intent, 1);
	pop_until(&c.order, HAT_SLOT_ORDER, buf, is_order, "ORDER", c.log);
	tu_kill_wait(c.sigd, SIGKILL);
	c.sigd = 0;
	pop_until(&c.order, HAT_SLOT_ORDER, buf, is_cancel_all, "CANCEL_ALL", c.log);
	assert_string_equal(((const struct hat_msg_control *)buf)->text, "signald down");
	hat_ring_detach(&intent);
	stop_riskd(&c);
	assert_int_equal(counter(&c, "signald_downs"), 1);
	assert_int_equal(counter(&c, "cancel_alls"), 1);
	cleanup(&c);
}

static bool is_hello(const void *m)
{
	const struct hat_msg_control *c = m;
	return c->h.type == HAT_MSG_CONTROL && c->cmd == HAT_CTL_HELLO;
}
static bool is_state_request(const void *m)
{
	const struct hat_msg_control *c = m;
	return c->h.type == HAT_MSG_CONTROL && c->cmd == HAT_CTL_STATE_REQUEST;
}

/* riskd is SIGKILLed and started again (as superd would): the rings keep their data, the new
 * riskd says HELLO with the restart count, rejects intents NOT_READY until execd's snapshot,
 * rebuilds positions and working orders from it and hands signald the same picture. */
static void test_riskd_restart_resyncs_from_execd(void **state)
{
	(void)state;
	static struct ctx c;
	start_riskd(&c, 0);
	unsigned char buf[256] __attribute__((aligned(64)));
	struct hat_ring intent;
	attach(&intent, c.inst, "intent", HAT_RING_PRODUCER, HAT_SLOT_INTENT);
	uint64_t end = tu_now_ms() + 10000;
	while (counter(&c, "snapshots_in") != 1) {
		assert_true(tu_now_ms() < end);
		usleep(1000);
	}

	tu_kill_wait(c.riskd, SIGKILL);
	struct hat_stage_shm *blk = hat_control_stage(&c.control, HAT_STAGE_RISKD);
	hat_stage_note_restart(blk);
	/* an intent written while riskd is down waits in its ring */
	send_intent(&intent, 7);
	char *argv[] = { (char *)tu_bin("riskd"), "--config", c.cfg, NULL };
	c.riskd = tu_spawn(argv, c.log);

	pop_until(&c.order, HAT_SLOT_ORDER, buf, is_hello, "HELLO", c.log);
	const struct hat_msg_control *h = (const void *)buf;
	assert_int_equal(h->from_stage, HAT_STAGE_RISKD);
	assert_int_equal(h->restart_count, 1);
	pop_until(&c.order, HAT_SLOT_ORDER, buf, is_state_request, "STATE_REQUEST", c.log);
	/* the queued intent is answered NOT_READY: nothing changes exposure before the snapshot */
	pop_until(&c.position, HAT_SLOT_POSITION, buf, is_reject, "REJECT", c.log);
	assert_int_equal(((const struct hat_msg_exec *)buf)->reason, HAT_REASON_RISK_NOT_READY);
	assert_int_equal(((const struct hat_msg_exec *)buf)->cloid[15], 7);

	/* execd's snapshot: BTC long 0.02 @ 49000, one resting sell */
	struct hat_msg_control b;
	init_msg(&b.h, HAT_MSG_CONTROL);
	b.cmd = HAT_CTL_SNAPSHOT_BEGIN;
	b.from_stage = HAT_STAGE_EXECD;
	push(&c.exec, &b.h);
	struct hat_msg_position p;
	init_msg(&p.h, HAT_MSG_POSITION);
	strcpy(p.coin, "BTC");
	p.flags = HAT_EXEC_F_SNAPSHOT;
	p.trading_state = HAT_TS_ACTIVE;
	p.szi = 2 * ONE / 100;
	p.entry_px = 49000 * ONE;
	push(&c.exec, &p.h);
	struct hat_msg_exec oo;
	init_msg(&oo.h, HAT_MSG_EXEC);
	oo.cloid[15] = 42;
	strcpy(oo.coin, "BTC");
	oo.kind = HAT_EXEC_OPEN_ORDER;
	oo.side = HAT_SIDE_SELL;
	oo.flags = HAT_EXEC_F_SNAPSHOT;
	oo.px = 51000 * ONE;
	oo.sz = ONE / 100;
	oo.remaining_sz = ONE / 100;
	oo.oid = 4242;
	push(&c.exec, &oo.h);
	init_msg(&b.h, HAT_MSG_CONTROL);
	b.cmd = HAT_CTL_SNAPSHOT_END;
	b.from_stage = HAT_STAGE_EXECD;
	b.arg = 2;
	push(&c.exec, &b.h);

	/* riskd's snapshot to signald carries both rows */
	bool saw_pos = false, saw_order = false;
	for (;;) {
		pop_until(&c.position, HAT_SLOT_POSITION, buf, is_anything, "snapshot", c.log);
		const struct hat_msg_hdr *m = (const void *)buf;
		if (m->type == HAT_MSG_POSITION) {
			const struct hat_msg_position *q = (const void *)buf;
			assert_int_equal(q->flags, HAT_EXEC_F_SNAPSHOT);
			assert_true(q->szi == 2 * ONE / 100 && q->entry_px == 49000 * ONE);
			assert_int_equal(q->open_orders, 1);
			assert_true(q->unrealized_pnl == 20 * ONE); /* 0.02 * (50000 - 49000) */
			saw_pos = true;
		} else if (m->type == HAT_MSG_EXEC) {
			const struct hat_msg_exec *x = (const void *)buf;
			assert_int_equal(x->kind, HAT_EXEC_OPEN_ORDER);
			assert_int_equal(x->cloid[15], 42);
			assert_int_equal(x->oid, 4242);
			saw_order = true;
		} else if (is_snapshot_end(buf)) {
			assert_int_equal(((const struct hat_msg_control *)buf)->arg, 2);
			break;
		}
	}
	assert_true(saw_pos && saw_order);
	/* the restored position counts: 0.02 long + 0.01 more is fine, reusing cloid 42 is not */
	send_intent(&intent, 42);
	pop_until(&c.position, HAT_SLOT_POSITION, buf, is_reject, "REJECT", c.log);
	assert_int_equal(((const struct hat_msg_exec *)buf)->reason, HAT_REASON_RISK_DUPLICATE_CLOID);
	send_intent(&intent, 8);
	pop_until(&c.order, HAT_SLOT_ORDER, buf, is_order, "ORDER", c.log);
	assert_int_equal(((const struct hat_msg_order *)buf)->o.cloid[15], 8);

	hat_ring_detach(&intent);
	stop_riskd(&c);
	/* totals continue across the restart: the first riskd's snapshot plus this one's */
	assert_int_equal(counter(&c, "snapshots_in"), 2);
	cleanup(&c);
}

static void test_riskd_bad_config_exits_1_naming_the_key(void **state)
{
	(void)state;
	char inst[64], dir[256], cfg[320], log[320], err[256];
	struct hat_control control;
	tu_instance(inst, sizeof inst);
	tu_tmpdir(dir, sizeof dir);
	if (hat_control_create(&control, inst, hat_now_ns(), err, sizeof err))
		fail_msg("control: %s", err);
	if (hat_ring_create(inst, "cmd.riskd", 64, HAT_SLOT_CMD, 0, err, sizeof err))
		fail_msg("cmd ring: %s", err);
	snprintf(cfg, sizeof cfg, "%s/bad.json", dir);
	snprintf(log, sizeof log, "%s/riskd.log", dir);
	FILE *f = fopen(cfg, "w");
	assert_non_null(f);
	fprintf(f, "{\"instance\": \"%s\", \"coins\": [\"BTC\"], \"riskd\": {\"limits\": "
	           "[{\"coin\": \"BTC\", \"max_position\": 1, \"max_order_size\": 1}]}}\n", inst);
	fclose(f);
	char *argv[] = { (char *)tu_bin("riskd"), "--config", cfg, NULL };
	pid_t p = tu_spawn(argv, log);
	int st = tu_wait(p, 10000);
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	char *text = tu_read_file(log);
	assert_non_null(text);
	bool named = strstr(text, "riskd.limits[0].sz_decimals") != NULL;
	free(text);
	assert_true(named);
	/* the block says the stage stopped */
	assert_int_equal(hat_control_stage(&control, HAT_STAGE_RISKD)->state, HAT_STATE_STOPPED);

	char *argv2[] = { (char *)tu_bin("riskd"), "--bogus", NULL };
	p = tu_spawn(argv2, log);
	st = tu_wait(p, 10000);
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
	hat_control_close(&control);
	tu_shm_cleanup(inst);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_riskd_flood_respects_throttle_and_counts_add_up),
		cmocka_unit_test(test_riskd_halt_command_cancels_all_once),
		cmocka_unit_test(test_riskd_full_output_ring_loses_nothing),
		cmocka_unit_test(test_riskd_signald_down_cancels_all),
		cmocka_unit_test(test_riskd_restart_resyncs_from_execd),
		cmocka_unit_test(test_riskd_bad_config_exits_1_naming_the_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
