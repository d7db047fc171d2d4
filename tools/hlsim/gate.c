/* tools/hlsim/gate.c -- the backtest's step gate (gate.h). */
#include "tools/hlsim/gate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/instance.h"
#include "common/log.h"
#include "common/msg.h"
#include "tools/hlsim/http.h"
#include "tools/hlsim/server.h"
#include "tools/hlsim/ws.h"

#define GATE_LOG_EVERY_MS 5000u
#define GATE_OPEN_RETRY_MS 1000u
#define GATE_SPIN_NS (300 * HAT_NS_PER_US)     /* idle_soon: how long */
#define GATE_SPIN_STEP_NS (20 * HAT_NS_PER_US) /* and how often */

/* The stages that say when they are quiet (feedd is covered by its pongs). */
static const unsigned quiet_stages[] = { HAT_STAGE_SIGNALD, HAT_STAGE_RISKD, HAT_STAGE_EXECD };
#define N_QUIET (sizeof quiet_stages / sizeof quiet_stages[0])

int hlsim_gate_init(struct hlsim_gate *g, struct hlsim_server *srv, const char *instance,
		    char *err, size_t errlen)
{
	memset(g, 0, sizeof *g);
	if (!instance || !*instance || strlen(instance) >= sizeof g->instance) {
		snprintf(err, errlen, "--replay-gate: instance name must be 1..%zu characters",
			 sizeof g->instance - 1);
		return -EINVAL;
	}
	snprintf(g->instance, sizeof g->instance, "%s", instance);
	g->srv = srv;
	uv_timer_init(srv->loop, &g->kick);
	g->kick.data = g;
	g->kick_init = true;
	return 0;
}

static void close_segments(struct hlsim_gate *g)
{
	for (size_t i = 0; i < g->n_rings; i++)
		hat_ring_detach(&g->rings[i]);
	g->n_rings = 0;
	if (g->ctl_open)
		hat_control_close(&g->ctl);
	g->ctl_open = false;
}

void hlsim_gate_stop(struct hlsim_gate *g)
{
	hat_log(NULL, HAT_LOG_INFO, "replay_gate_done",
		"rounds=%llu passes=%llu held=%llu released=%llu dropped=%llu still_held=%zu "
		"busy=%llu in_transit=%llu moved=%llu",
		(unsigned long long)g->rounds, (unsigned long long)g->passes,
		(unsigned long long)g->held, (unsigned long long)g->released,
		(unsigned long long)g->dropped, g->q_n - g->q_head, (unsigned long long)g->busy,
		(unsigned long long)g->in_transit, (unsigned long long)g->moved);
	close_segments(g);
	g->holding = false; /* what the shutdown still sends goes out directly */
	free(g->q);
	g->q = NULL;
	g->q_head = g->q_n = g->q_cap = 0;
	hat_buf_free(&g->q_text);
	if (g->kick_init && !uv_is_closing((uv_handle_t *)&g->kick))
		uv_close((uv_handle_t *)&g->kick, NULL);
}

/* Maps the control segment and every ring read-only. Returns 0 or the first error (err). */
static int open_segments(struct hlsim_gate *g, char *err, size_t errlen)
{
	int rc = hat_control_open(&g->ctl, g->instance, HAT_SHM_RDONLY, err, errlen);
	if (rc)
		return rc;
	g->ctl_open = true;
	size_t n;
	const struct hat_ring_def *defs = hat_instance_rings(&n);
	for (size_t i = 0; i < n && g->n_rings < HLSIM_GATE_MAX_RINGS; i++) {
		rc = hat_ring_attach(&g->rings[g->n_rings], g->instance, defs[i].name,
				     HAT_RING_READER, defs[i].slot_size, 0, err, errlen);
		if (rc) {
			close_segments(g);
			return rc;
		}
		g->ring_names[g->n_rings++] = defs[i].name;
	}
	return 0;
}

bool hlsim_gate_hold(struct hlsim_gate *g, uint64_t serial, const char *text, size_t len)
{
	if (!g->holding)
		return false;
	if (g->q_n == g->q_cap) {
		size_t nc = g->q_cap ? g->q_cap * 2 : 256;
		struct hlsim_gate_msg *n = realloc(g->q, nc * sizeof *n);
		if (!n)
			return false; /* out of memory: send it now rather than lose it */
		g->q = n;
		g->q_cap = nc;
	}
	size_t off = g->q_text.len;
	hat_buf_append(&g->q_text, text, len);
	if (!hat_buf_ok(&g->q_text)) {
		hat_buf_reset(&g->q_text);
		return false;
	}
	g->q[g->q_n++] = (struct hlsim_gate_msg){ serial, off, len };
	g->held++;
	return true;
}

/* Sends the oldest held message (dropped if its session is gone). */
static void release_one(struct hlsim_gate *g)
{
	struct hlsim_gate_msg m = g->q[g->q_head++];
	struct hlsim_conn *c = g->srv->conns;
	while (c && hlsim_ws_serial(c) != m.serial)
		c = c->next;
	if (c) {
		hlsim_ws_send_held(c, g->q_text.data + m.off, m.len);
		g->released++;
	} else {
		g->dropped++;
	}
	if (g->q_head == g->q_n) {
		g->q_head = g->q_n = 0;
		hat_buf_reset(&g->q_text);
	}
}

static void on_kick(uv_timer_t *t)
{
	struct hlsim_gate *g = t->data;
	hlsim_tick(g->srv->engine, hlsim_now_ms());
}

/* Every session pinged in this round has answered. */
static bool pongs_in(const struct hlsim_gate *g)
{
	for (const struct hlsim_conn *c = g->srv->conns; c; c = c->next)
		if (!hlsim_ws_ponged(c, g->round))
			return false;
	return true;
}

void hlsim_gate_on_pong(struct hlsim_gate *g, uint64_t round)
{
	if (g->in_round && round == g->round && pongs_in(g))
		uv_timer_start(&g->kick, on_kick, 0, 0);
}

static void start_round(struct hlsim_gate *g, uint64_t activity)
{
	g->round++;
	g->rounds++;
	g->in_round = true;
	g->activity0 = activity;
	for (struct hlsim_conn *c = g->srv->conns; c; c = c->next)
		hlsim_ws_ping(c, g->round);
}

/* The pipeline is idle in shared memory (gate.h, 2). Else false with g->why saying why. */
static bool pipeline_idle(struct hlsim_gate *g)
{
	uint64_t gen[N_QUIET];
	for (size_t i = 0; i < N_QUIET; i++) {
		const struct hat_stage_shm *s = hat_control_stage(&g->ctl, quiet_stages[i]);
		gen[i] = hat_stage_quiet_gen(s);
		if (!(gen[i] & 1)) {
			snprintf(g->why, sizeof g->why, "%s is busy (has work of its own outstanding)",
				 hat_stage_name(quiet_stages[i]));
			return false;
		}
	}
	for (size_t i = 0; i < g->n_rings; i++) {
		struct hat_ring_stats st;
		hat_ring_stats(&g->rings[i], &st);
		if (st.used) {
			snprintf(g->why, sizeof g->why, "ring %s holds %llu messages", g->ring_names[i],
				 (unsigned long long)st.used);
			return false;
		}
	}
	for (size_t i = 0; i < N_QUIET; i++)
		if (hat_stage_quiet_gen(hat_control_stage(&g->ctl, quiet_stages[i])) != gen[i]) {
			snprintf(g->why, sizeof g->why, "%s woke up during the check",
				 hat_stage_name(quiet_stages[i]));
			return false;
		}
	return true;
}

/* pipeline_idle, looked at again for a short while: a stage still busy once the pongs are in
 * is usually done within tens of microseconds, far sooner than the next tick. Nothing reaches
 * the clients meanwhile (this is the loop thread), so the pongs still cover what was sent. */
static bool idle_soon(struct hlsim_gate *g)
{
	uint64_t until = hat_mono_ns() + GATE_SPIN_NS;
	for (;;) {
		if (pipeline_idle(g))
			return true;
		if (hat_mono_ns() >= until)
			return false;
		struct timespec ts = { 0, GATE_SPIN_STEP_NS };
		nanosleep(&ts, NULL);
	}
}

/* Nothing on its way to hlsim (gate.h, 3). */
static bool nothing_in_transit(struct hlsim_gate *g, uint64_t committed)
{
	for (const struct hlsim_conn *c = g->srv->conns; c; c = c->next)
		if (hlsim_conn_busy(c)) {
			snprintf(g->why, sizeof g->why, "a request is being read or prepared");
			return false;
		}
	uint64_t sent = 0;
	const struct hat_stage_shm *x = hat_control_stage(&g->ctl, HAT_STAGE_EXECD);
	if (hat_stage_counter_find(x, "actions_sent", &sent) == 0 && sent > committed) {
		snprintf(g->why, sizeof g->why, "%llu of execd's actions not received yet",
			 (unsigned long long)(sent - committed));
		return false;
	}
	return true;
}

static void log_wait(struct hlsim_gate *g, uint64_t now)
{
	if (!g->waiting_since_ms)
		g->waiting_since_ms = now;
	if (now - g->waiting_since_ms < GATE_LOG_EVERY_MS || now < g->next_log_ms)
		return;
	g->next_log_ms = now + GATE_LOG_EVERY_MS;
	hat_log(NULL, HAT_LOG_WARN, "replay_gate_wait",
		"waited_ms=%llu round=%llu why=%s hint=%s",
		(unsigned long long)(now - g->waiting_since_ms), (unsigned long long)g->round,
		g->why, "check that every stage of the instance runs (hatctl status)");
}

bool hlsim_gate_ready(void *gate, const struct hlsim_replay_gate_info *info)
{
	struct hlsim_gate *g = gate;
	uint64_t now = hlsim_now_ms();
	if (!g->ctl_open) {
		char err[256];
		if (now < g->open_after_ms)
			return false;
		int rc = open_segments(g, err, sizeof err);
		if (rc) {
			g->open_after_ms = now + GATE_OPEN_RETRY_MS;
			snprintf(g->why, sizeof g->why, "instance %s not readable: %s", g->instance, err);
			if (!g->open_logged)
				hat_log(NULL, HAT_LOG_WARN, "replay_gate_open", "instance=%s error=%s hint=%s",
					g->instance, err,
					"start the pipeline of that instance (superd) or fix --replay-gate");
			g->open_logged = true;
			log_wait(g, now);
			return false;
		}
		hat_log(NULL, HAT_LOG_INFO, "replay_gate_open", "instance=%s rings=%zu", g->instance,
			g->n_rings);
	}
	g->holding = true;
	if (!g->in_round) {
		start_round(g, info->activity);
		log_wait(g, now);
		return false;
	}
	if (!pongs_in(g)) {
		snprintf(g->why, sizeof g->why, "pongs of round %llu", (unsigned long long)g->round);
		log_wait(g, now);
		return false;
	}
	g->in_round = false; /* whatever the outcome: the next call starts a new round */
	if (!idle_soon(g)) {
		g->busy++;
		log_wait(g, now);
		return false;
	}
	if (!nothing_in_transit(g, info->signed_actions)) {
		g->in_transit++;
		log_wait(g, now);
		return false;
	}
	if (info->activity != g->activity0) {
		g->moved++;
		snprintf(g->why, sizeof g->why, "orders moved during round %llu",
			 (unsigned long long)g->round);
		log_wait(g, now);
		return false;
	}
	g->waiting_since_ms = 0;
	g->next_log_ms = 0;
	if (g->q_head < g->q_n) {
		/* the oldest held message, alone; the round that follows sees it handled */
		release_one(g);
		start_round(g, info->activity);
		return false;
	}
	g->passes++;
	uv_timer_start(&g->kick, on_kick, 0, 0); /* the step's reaction: a round at once */
	return true;
}
