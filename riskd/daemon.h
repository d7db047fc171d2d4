/* riskd/daemon.h -- the riskd stage: shared-memory wiring around the engine (engine.h).
 *
 * Segments (created by superd or a test harness before riskd starts; names /hat.<instance>.X):
 *   intent     ring, consumer  (signald -> riskd)   slot HAT_SLOT_INTENT
 *   order      ring, producer  (riskd -> execd)     slot HAT_SLOT_ORDER
 *   exec       ring, consumer  (execd -> riskd)     slot HAT_SLOT_EXEC
 *   position   ring, producer  (riskd -> signald)   slot HAT_SLOT_POSITION
 *   cmd.riskd  ring, consumer  (superd -> riskd)    slot HAT_SLOT_CMD
 *   board      read-only (marks = mids; asset ids)
 *   control    riskd's block: pid, state, heartbeat, ready, counters, histogram "check_ns"
 *
 * Lifecycle (STYLE rule 10/11), on top of common/daemon.h (arguments, config, log, control
 * block, command ring, heartbeat, signals): riskd_init() loads the "riskd" section, attaches
 * everything and sends HELLO + STATE_REQUEST to execd; riskd_run_once() handles whatever is ready and returns
 * (timeout_ms 0 never blocks); riskd_drain() finishes what can be finished on shutdown
 * (commands, exec events, queued output; unread intents stay in their ring for the next
 * riskd); riskd_deinit() detaches. Messages a full output ring refuses are queued in order
 * (up to RISKD_OUTQ messages per ring) and sent first on the next iteration; while anything is
 * queued riskd reads no new input, so back-pressure reaches signald instead of losing data.
 * Inputs are taken one message at a time (peek, handle, release): a riskd killed mid-way
 * handles at most that one message again after its restart (execd de-duplicates by cloid).
 * signald counts as down when its control block is not running or its heartbeat is older than
 * riskd.signald_timeout_ms (engine.h: risk_engine_signald_alive()).
 * Every popped message is validated (common/msg.h) and its seq checked; duplicates (a seq
 * already seen, e.g. after a consumer restart) are dropped.
 *
 * Counters in the control block (totals continue across restarts): intents_in, approved, approved_cancels, rejected,
 * rejected.<reason> (one per RISK_* reason, e.g. rejected.order_rate), exec_in, fills,
 * dup_fills, exch_rejects, positions_out, snapshots_in, snapshots_bad, snapshots_out,
 * cancel_alls, commands, ignored, out_drops, bad_msgs, seq_gaps, seq_lost, seq_dups,
 * state_transitions, signald_downs, and gauges trading_state (enum hat_trading_state), state_cause
 * (enum risk_cause), open_orders, queued_order, queued_position. Stage state: STARTING until
 * execd's snapshot, then RUNNING (ACTIVE), DEGRADED (REDUCING), HALTED; STOPPING in drain.
 * One process, one thread.
 */
#ifndef HAT_RISKD_DAEMON_H
#define HAT_RISKD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/board.h"
#include "common/control.h"
#include "common/daemon.h"
#include "common/msg.h"
#include "common/outq.h"
#include "common/ring.h"
#include "common/stat.h"
#include "riskd/config.h"
#include "riskd/engine.h"

#define RISKD_OUTQ 4096   /* messages queued per output ring when it is full */
#define RISKD_BATCH 64    /* messages taken from one input ring per iteration */

struct riskd {
	struct hat_daemon st;            /* config, log, control block, command ring */
	struct risk_file_cfg file;
	struct risk_engine_cfg ecfg;
	struct hat_board board;
	struct hat_ring r_intent, r_order, r_exec, r_position;
	struct hat_outq q_order, q_position; /* RISKD_OUTQ slots of HAT_SLOT_EXEC bytes each */
	struct risk_engine eng;
	struct hat_seq_check seq_intent, seq_exec;
	struct hat_msg_rejects rej_intent, rej_exec;
	struct hat_log_rl rl_bad, rl_gap;
	struct hat_stats stats;          /* totals continue across restarts */
	struct hat_hist check_ns;        /* intent handling time */
	uint64_t g_out_drops, g_transitions, g_trading_state, g_state_cause, g_open_orders,
		g_queued_order, g_queued_position; /* computed before each publication */
	int board_idx[RISK_MAX_COINS];   /* board slot per coin, -1 until found */
	uint64_t board_seq[RISK_MAX_COINS];
	uint64_t last_flush_mono;
	uint64_t seq_gaps, seq_lost, seq_dups, bad_msgs;
	bool open, engine_up, draining;
};

/* Opens the stage (hat_daemon_open: config a->config_path, log, control block, command ring),
 * applies the "riskd" section, attaches the board and the data rings, registers counters and
 * starts the engine (HELLO, STATE_REQUEST to execd). Returns 0, or a negative code with err
 * saying what failed (config key, segment name); on error everything is released. */
int riskd_init(struct riskd *d, const struct hat_daemon_args *a, char *err, size_t errlen);

/* One loop iteration. Returns 1 if it did work, 0 if idle (after waiting up to timeout_ms),
 * or a negative code on a fatal ring error (-EPROTO: corrupt indices). */
int riskd_run_once(struct riskd *d, int timeout_ms);

/* True once a SHUTDOWN command arrived. */
static inline bool riskd_shutdown_requested(const struct riskd *d) { return d->eng.shutdown; }

/* Shutdown: handles pending commands and exec events, flushes queued output for up to
 * timeout_ms. Returns 0, or -ETIMEDOUT if output was still queued (it is lost). */
int riskd_drain(struct riskd *d, int timeout_ms);

/* Detaches everything, marks the stage STOPPED. Safe after a failed init. */
void riskd_deinit(struct riskd *d);

#endif
