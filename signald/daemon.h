/* signald/daemon.h -- signald as a stage: rings in and out around the engine.
 *
 * Reads md (feedd) and position (riskd), writes intent (to riskd). The position ring is read
 * first on every pass, so what riskd says about orders and positions is applied before new
 * market data is acted on. Intents that do not fit the intent ring wait in a small local queue
 * (never blocking) and are counted if even that overflows (the quoter's pending timeout then
 * cancels what it thinks it sent). Lifecycle as every stage: init / run_once / drain / deinit.
 * Single-threaded.
 */
#ifndef HAT_SIGNALD_DAEMON_H
#define HAT_SIGNALD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "common/board.h"
#include "common/daemon.h"
#include "signald/config.h"
#include "signald/engine.h"

#define SIGNALD_OUTQ 256
#define SIGNALD_BATCH 64

struct signald {
	struct hat_daemon d;
	struct sig_config cfg;
	struct hat_ring md, position, intent;
	struct hat_board board;
	bool have_board;
	struct hat_msg_rejects rej_md, rej_pos;
	struct hat_seq_check seq_md, seq_pos;
	struct sig_engine eng;
	void *strat_state[SIG_MAX_COINS];
	struct hat_msg_intent outq[SIGNALD_OUTQ];
	unsigned outq_head, outq_len;
	struct hat_msg_control hello;     /* HELLO waiting for room on the intent ring */
	bool hello_pending;
	uint64_t data_now;                /* time_source "data": latest md origin_ns */
	uint64_t last_board_check;        /* mono ns */
	uint64_t board_stale_seen[SIG_MAX_COINS]; /* board n_stale already acted on, per coin */
	struct hat_counter c_md_in, c_pos_in, c_intents, c_intents_dropped, c_seq_gaps,
		c_md_skipped_old, c_stale_events, c_rejects_in, c_fills_in;
	struct hat_hist h_md_to_intent;
};

/* Opens the stage (common args in argv), loads the signald section, attaches rings and the
 * board, builds the engine and emits HELLO. Returns 0 or an error with err. */
int signald_init(struct signald *s, int argc, char **argv, char *err, size_t errlen);
/* Handles what is ready (bounded batch), ticks the engine, flushes intents, heartbeats.
 * timeout_ms > 0 sleeps briefly when there was nothing to do. Returns messages handled. */
int signald_run_once(struct signald *s, int timeout_ms);
/* On shutdown: flushes queued intents (best effort). */
void signald_drain(struct signald *s);
void signald_deinit(struct signald *s);

#endif
