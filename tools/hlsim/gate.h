/* tools/hlsim/gate.h -- the backtest's step gate: in lockstep replay (replay.h, --replay-speed
 * max) the hat pipeline trading against hlsim gets one thing to react to at a time, and the
 * next only once it has finished reacting (hlsim --replay-gate INSTANCE).
 *
 * Without it, lockstep waits until the engine was quiet for --replay-settle-ms: a reaction
 * that starts later than that (a loaded machine descheduling a stage) lands after the next
 * step, and two runs of the same journal differ. And even within one step, the pipeline's
 * stages each read two rings (riskd: orders from signald, events from execd), so two things
 * moving through the pipeline at once reach a stage in an order set by the scheduler.
 *
 * With the gate, once the replay has started:
 *   - every text message to a WebSocket client (market pushes, user pushes, post answers) is
 *     held in one queue, in the order the engine made them (hlsim_gate_hold);
 *   - when the pipeline is idle (below), the oldest held message goes out, alone; when nothing
 *     is held and the pipeline is idle, the replay takes its next step.
 * The pipeline is idle when all of these hold, checked in this order:
 *   1. every WebSocket client read everything sent before: each session gets a ping whose
 *      payload is the round number, and the round waits for every matching pong (a client
 *      answers a ping after the messages before it; hat's feedd and execd handle a message
 *      completely, publishing to their rings, before reading the next);
 *   2. in the pipeline's shared memory (instance INSTANCE): signald, riskd and execd each wait
 *      with nothing they could do now (quiet_gen odd, control.h; execd may be waiting for
 *      answers, which are held here), every ring of the instance is empty, and the quiet_gens
 *      read again afterwards are unchanged (nobody consumed anything in between);
 *   3. nothing is on its way to hlsim: no request is being read or prepared, and hlsim has
 *      committed at least as many /exchange actions as execd sent (its "actions_sent"
 *      counter);
 *   4. the engine saw no order activity since the round began.
 * A stage still busy is looked at again every 20 us for up to 300 us (it is usually done by
 * then); if any check still fails, a new round starts at the next tick (1 ms). HTTP answers are not held: execd
 * is not quiet while an HTTP request is out. While the gate waits long, what it waits for is
 * logged ("replay_gate_wait", every 5 s), so a stuck backtest says which stage or ring holds
 * it. Pings, pongs and close frames are never held. Single-threaded: the server's loop.
 */
#ifndef HAT_TOOLS_HLSIM_GATE_H
#define HAT_TOOLS_HLSIM_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/buf.h"
#include "common/control.h"
#include "common/ring.h"
#include "tools/hlsim/replay.h"

struct hlsim_server;

#define HLSIM_GATE_MAX_RINGS 16

struct hlsim_gate_msg {          /* a held message */
	uint64_t serial;             /* the session it is for (hlsim_ws_serial) */
	size_t off, len;             /* its text in the gate's text buffer */
};

struct hlsim_gate {
	struct hlsim_server *srv;  /* borrowed */
	char instance[64];
	struct hat_control ctl;
	bool ctl_open;
	struct hat_ring rings[HLSIM_GATE_MAX_RINGS];
	const char *ring_names[HLSIM_GATE_MAX_RINGS];
	size_t n_rings;
	uv_timer_t kick;           /* a tick at once: a round's last pong, after a step */
	bool kick_init;
	bool holding;              /* the replay started: messages are held */
	struct hlsim_gate_msg *q;  /* held messages q[head..n) */
	size_t q_head, q_n, q_cap;
	struct hat_buf q_text;
	uint64_t round;            /* the current round's number (ping payload) */
	bool in_round;             /* pings out, waiting for pongs */
	uint64_t activity0;        /* the engine's activity when the round began */
	uint64_t waiting_since_ms; /* wall ms since the gate has been asked without passing */
	uint64_t next_log_ms;
	char why[400];             /* what the last failed check waited for */
	uint64_t rounds, passes, held, released, dropped; /* counters (logged at the end) */
	uint64_t busy, in_transit, moved;  /* rounds that found a stage busy or a ring not empty,
	                                    * a request on its way, order activity */
	uint64_t open_after_ms;    /* retry opening the segments from then on */
	bool open_logged;
};

/* Sets g up for instance (the segments are opened at the first use, when the pipeline is up).
 * Returns 0 or -EINVAL (name too long, err says so). */
int hlsim_gate_init(struct hlsim_gate *g, struct hlsim_server *srv, const char *instance,
		    char *err, size_t errlen);
/* Logs the counters, closes the kick timer (the loop must then run to close it) and the
 * segments, and frees what is still held. */
void hlsim_gate_stop(struct hlsim_gate *g);

/* The replay's gate (struct hlsim_replay_opts.gate): true once the pipeline is idle and
 * nothing is held (the replay may step). While something is held, an idle pipeline gets the
 * oldest held message instead (and false). */
bool hlsim_gate_ready(void *gate, const struct hlsim_replay_gate_info *info);

/* A text message for session serial: true if the gate keeps it (to send later), false if it
 * must go out now (the replay has not started). text is copied. */
bool hlsim_gate_hold(struct hlsim_gate *g, uint64_t serial, const char *text, size_t len);

/* A session answered a ping of the gate (ws.c). */
void hlsim_gate_on_pong(struct hlsim_gate *g, uint64_t round);

#endif
