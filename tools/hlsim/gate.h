/* tools/hlsim/gate.h -- the backtest's step gate: in lockstep replay (replay.h, --replay-speed
 * max) the next piece of the market goes out only once the hat pipeline trading against hlsim
 * has finished reacting to the last one (hlsim --replay-gate INSTANCE).
 *
 * Without it, lockstep waits until the engine was quiet for --replay-settle-ms: a reaction
 * that starts later than that (a loaded machine descheduling a stage) lands after the next
 * step, and two runs of the same journal then differ. The gate asks instead:
 *   1. every WebSocket client has read everything sent before: each session gets a ping whose
 *      payload is the round number, and the round waits for every matching pong (a client
 *      answers a ping after the messages before it; hat's feedd and execd handle a message
 *      completely, publishing to their rings, before reading the next);
 *   2. the pipeline is idle, read from its shared memory (instance INSTANCE): signald, riskd
 *      and execd each wait with nothing of their own outstanding (quiet_gen odd, control.h:
 *      execd has no request out), every ring of the instance is empty, and the quiet_gens
 *      read again afterwards are unchanged (nobody consumed anything in between);
 *   3. the engine saw no order activity since the round began (an answer or a push sent after
 *      the pings would not be covered by their pongs).
 * If any fails, a new round starts at the next tick. An HTTP answer is covered by 2 (execd is
 * not quiet while a request is out). While the gate waits long, what it waits for is logged
 * ("replay_gate_wait", every 5 s), so a stuck backtest says which stage or ring holds it.
 * Single-threaded: the server's loop.
 */
#ifndef HAT_TOOLS_HLSIM_GATE_H
#define HAT_TOOLS_HLSIM_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/control.h"
#include "common/ring.h"

struct hlsim_server;

#define HLSIM_GATE_MAX_RINGS 16

struct hlsim_gate {
	struct hlsim_server *srv;  /* borrowed */
	char instance[64];
	struct hat_control ctl;
	bool ctl_open;
	struct hat_ring rings[HLSIM_GATE_MAX_RINGS];
	const char *ring_names[HLSIM_GATE_MAX_RINGS];
	size_t n_rings;
	uv_timer_t kick;           /* the tick right after a round's last pong */
	bool kick_init;
	uint64_t round;            /* the current round's number (ping payload) */
	bool in_round;             /* pings out, waiting for pongs */
	uint64_t activity0;        /* the engine's activity when the round began */
	uint64_t waiting_since_ms; /* wall ms since the gate has been asked without passing */
	uint64_t next_log_ms;
	char why[400];             /* what the last failed check waited for */
	uint64_t rounds, passes;   /* counters (logged at replay end by the caller) */
	uint64_t open_after_ms;    /* retry opening the segments from then on */
	bool open_logged;
};

/* Sets g up for instance (the segments are opened at the first use, when the pipeline is up).
 * Returns 0 or -EINVAL (name too long, err says so). */
int hlsim_gate_init(struct hlsim_gate *g, struct hlsim_server *srv, const char *instance,
		    char *err, size_t errlen);
/* Closes the kick timer (the loop must then run to close it) and the segments. */
void hlsim_gate_stop(struct hlsim_gate *g);
bool hlsim_gate_closed(const struct hlsim_gate *g);

/* The replay's gate (struct hlsim_replay_opts.gate): true once the pipeline finished reacting
 * to everything sent so far (see above). activity: the engine's activity counter now. */
bool hlsim_gate_ready(void *gate, uint64_t activity);

/* A session answered a ping of the gate (ws.c). */
void hlsim_gate_on_pong(struct hlsim_gate *g, uint64_t round);

#endif
