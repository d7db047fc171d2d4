/* tools/hlsim/gate.c -- the backtest's step gate (gate.h). */
#include "tools/hlsim/gate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/instance.h"
#include "common/log.h"
#include "common/msg.h"
#include "tools/hlsim/http.h"
#include "tools/hlsim/server.h"
#include "tools/hlsim/ws.h"

#define GATE_LOG_EVERY_MS 5000u
#define GATE_OPEN_RETRY_MS 1000u

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
	hat_log(NULL, HAT_LOG_INFO, "replay_gate_done", "rounds=%llu passes=%llu",
		(unsigned long long)g->rounds, (unsigned long long)g->passes);
	close_segments(g);
	if (g->kick_init && !uv_is_closing((uv_handle_t *)&g->kick))
		uv_close((uv_handle_t *)&g->kick, NULL);
}

bool hlsim_gate_closed(const struct hlsim_gate *g)
{
	return !g->kick_init || uv_is_closing((const uv_handle_t *)&g->kick);
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

bool hlsim_gate_ready(void *gate, uint64_t activity)
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
	if (!g->in_round) {
		start_round(g, activity);
		snprintf(g->why, sizeof g->why, "pongs of round %llu", (unsigned long long)g->round);
		log_wait(g, now);
		return false;
	}
	if (!pongs_in(g)) {
		log_wait(g, now);
		return false;
	}
	g->in_round = false; /* whatever the outcome: the next call starts a new round */
	if (activity != g->activity0) {
		snprintf(g->why, sizeof g->why, "orders moved during round %llu",
			 (unsigned long long)g->round);
		log_wait(g, now);
		return false;
	}
	if (!pipeline_idle(g)) {
		log_wait(g, now);
		return false;
	}
	g->passes++;
	g->waiting_since_ms = 0;
	g->next_log_ms = 0;
	return true;
}
