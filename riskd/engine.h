/* riskd/engine.h -- riskd's decision core: intents in, orders or rejects out; exec events in,
 * positions and forwarded events out; commands; snapshots and resync. No I/O.
 *
 * Inputs (the daemon pops them from the rings, validates them with common/msg.h, and passes
 * them here with the current CLOCK_REALTIME time; marks come from the board):
 *   intent ring   INTENT -> risk_engine_intent();  CONTROL HELLO (signald restarted)
 *                 -> risk_engine_intent_ctl(): riskd answers with its snapshot.
 *   exec ring     EXEC, POSITION (snapshot rows), CONTROL (SNAPSHOT_BEGIN/END, HELLO)
 *                 -> risk_engine_exec_msg().
 *   cmd ring      CONTROL HALT/RESUME/REDUCE/ESCALATE/CANCEL_ALL/STATE_REQUEST/SHUTDOWN
 *                 -> risk_engine_command().
 *   board         risk_engine_set_mark() per coin; risk_engine_tick() for timers.
 * Outputs go through struct risk_out callbacks, each given a complete message whose header
 * has type, version, length and origin_ns set (seq and send_ns are the ring's to stamp):
 *   to_exec   ORDER; CONTROL HELLO, STATE_REQUEST, CANCEL_ALL          (order ring)
 *   to_signal EXEC (forwarded events, riskd's REJECTs), POSITION, CONTROL SNAPSHOT_BEGIN/END
 *             (position ring)
 *   log       one line per notable event (state transitions with their cause, snapshots)
 * A callback that returns non-zero loses that message (counted in out_drops); the daemon
 * queues what a full ring refuses, so in practice nothing is lost.
 *
 * Start-up and resync (ARCHITECTURE.md): risk_engine_start() sends HELLO (with the restart
 * count) and STATE_REQUEST to execd; until execd's SNAPSHOT_BEGIN, rows (EXEC OPEN_ORDER and
 * POSITION with HAT_EXEC_F_SNAPSHOT), SNAPSHOT_END(arg = rows) arrive and the row count
 * matches, every intent is rejected RISK_NOT_READY. A count mismatch re-requests. An execd
 * HELLO (execd restarted) makes riskd not ready again and re-requests. Once ready, and
 * whenever signald says HELLO (deferred until ready) or superd asks STATE_REQUEST, riskd sends
 * signald SNAPSHOT_BEGIN(arg = trading state), one POSITION per coin and one EXEC OPEN_ORDER
 * per working order (all with HAT_EXEC_F_SNAPSHOT), SNAPSHOT_END(arg = rows).
 *
 * Approval: an intent passing risk_limits_check() becomes an ORDER (same order fields,
 * risk_seq = max(last + 1, now_ns) so it increases across restarts, intent_seq = the
 * intent's seq); then riskd takes a rate token, books NEW/REPLACE as working (pending ack)
 * and remembers the cloid. A rejected intent becomes an EXEC REJECT to signald with
 * HAT_EXEC_F_FROM_RISK | HAT_EXEC_F_FINAL, the reason and a text. Every intent handled
 * counts once in intents_in and once in approved or rejected (and rejected_by[reason]).
 *
 * Exec events update the book (position.h), are forwarded to signald (not snapshot rows),
 * and a FILL also sends that coin's POSITION; exchange REJECTs feed the reject-rate rule.
 * State changes (state.h) are logged, publish every coin's POSITION (carrying the new trading
 * state) and, on entering HALTED, send one CANCEL_ALL to execd.
 * Time: every now_ns is CLOCK_REALTIME (the marks' board times are realtime too); the rate
 * buckets refill nothing while the clock steps back, and a forward step refills at most a
 * burst. Single-threaded; allocates only in init.
 */
#ifndef HAT_RISKD_ENGINE_H
#define HAT_RISKD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg_types.h"
#include "riskd/cloidmap.h"
#include "riskd/limits.h"
#include "riskd/position.h"
#include "riskd/state.h"
#include "riskd/throttle.h"

#define RISK_REASON_SLOTS 20 /* enum hat_reason values 0..19 (NONE and RISK_*) */

struct risk_engine_cfg {
	char coins[RISK_MAX_COINS][HAT_COIN_LEN]; /* NUL-padded names */
	uint32_t assets[RISK_MAX_COINS];          /* exchange asset ids or RISK_ASSET_UNKNOWN */
	struct risk_limits limits;                /* limits.n_coins = number of coins */
	struct risk_state_cfg state;
	uint32_t order_rate_per_s, order_burst;   /* NEW and REPLACE */
	uint32_t cancel_rate_per_s, cancel_burst;
	uint32_t max_working;                     /* book capacity (>= limits.max_open_orders) */
	uint32_t dedup_window;                    /* fills remembered for de-duplication */
	uint32_t recent_cloids;                   /* cloids remembered for duplicate detection */
	uint64_t position_publish_ns;             /* periodic POSITION publication; 0 = off */
	uint8_t signald_down_cancel;              /* 1: CANCEL_ALL when signald goes down */
	uint32_t restart_count;                   /* sent in HELLO */
};

struct risk_out {
	void *user;
	int (*to_exec)(void *user, struct hat_msg_hdr *m);
	int (*to_signal)(void *user, struct hat_msg_hdr *m);
	void (*log)(void *user, int level, const char *event, const char *text); /* may be NULL */
};

/* Log levels passed to out->log (same values as common/log.h). */
enum { RISK_LOG_DEBUG = 0, RISK_LOG_INFO = 1, RISK_LOG_WARN = 2, RISK_LOG_ERROR = 3 };

struct risk_counters {
	uint64_t intents_in;      /* INTENT messages handled (valid or not) */
	uint64_t approved;        /* ORDERs sent */
	uint64_t approved_cancels;/* of which cancels */
	uint64_t rejected;        /* REJECTs sent for intents */
	uint64_t rejected_by[RISK_REASON_SLOTS];
	uint64_t exec_in;         /* EXEC events from execd */
	uint64_t fills;           /* fills applied */
	uint64_t dup_fills;       /* fills ignored as duplicates */
	uint64_t exch_rejects;    /* REJECTs from execd */
	uint64_t positions_out;   /* POSITION messages sent */
	uint64_t snapshots_in;    /* complete snapshots from execd */
	uint64_t snapshots_bad;   /* snapshot END with a wrong row count (re-requested) */
	uint64_t snapshots_out;   /* snapshots sent to signald */
	uint64_t cancel_alls;     /* CANCEL_ALL sent to execd */
	uint64_t commands;        /* commands handled */
	uint64_t ignored;         /* messages of no use here (unexpected control, stray rows) */
	uint64_t out_drops;       /* messages an output callback refused */
	uint64_t signald_downs;   /* times signald was seen down */
};

struct risk_engine {
	struct risk_engine_cfg cfg;
	struct risk_out out;
	struct risk_book book;
	struct risk_recent recent;     /* cloids approved recently */
	struct risk_throttle order_tb, cancel_tb;
	struct risk_state state;
	struct risk_counters c;
	bool ready;                    /* execd's snapshot received */
	bool snap_in;                  /* between execd's SNAPSHOT_BEGIN and END */
	bool signal_hello_pending;     /* signald asked for a snapshot before we were ready */
	bool shutdown;                 /* SHUTDOWN command received */
	bool signald_down;             /* last risk_engine_signald_alive() said down */
	bool signald_cancelled;        /* CANCEL_ALL sent in this down episode */
	uint64_t snap_rows;            /* rows received since SNAPSHOT_BEGIN */
	uint64_t rerequest_at_ns;      /* a bad snapshot is asked for again at this time (0: none) */
	uint64_t rerequest_backoff_ns; /* doubles per bad snapshot, 100 ms .. 5 s; reset when good */
	uint64_t last_risk_seq;
	uint64_t day;                  /* UTC day number of the last tick */
	uint64_t last_publish_ns;
};

/* Validates cfg and sets the engine up (not ready, ACTIVE). out is copied. err names the
 * problem. Returns 0, -EINVAL or -ENOMEM (nothing to free on error). */
int risk_engine_init(struct risk_engine *e, const struct risk_engine_cfg *cfg,
                     const struct risk_out *out, uint64_t now_ns, char *err, size_t errlen);
void risk_engine_free(struct risk_engine *e);

/* Sends HELLO and STATE_REQUEST to execd. Call once after init. */
void risk_engine_start(struct risk_engine *e, uint64_t now_ns);

/* Handles one INTENT. invalid: NULL if the message passed validation, else the validator's
 * text (the intent is then rejected RISK_BAD_INTENT with that text). Returns the reason
 * (HAT_REASON_NONE when approved). */
enum hat_reason risk_engine_intent(struct risk_engine *e, const struct hat_msg_intent *m,
                                   const char *invalid, uint64_t now_ns);

/* A CONTROL message from signald on the intent ring (HELLO). */
void risk_engine_intent_ctl(struct risk_engine *e, const struct hat_msg_control *m,
                            uint64_t now_ns);

/* A validated message from the exec ring: EXEC, POSITION or CONTROL. */
void risk_engine_exec_msg(struct risk_engine *e, const struct hat_msg_hdr *m, uint64_t now_ns);

/* A validated command from the command ring. */
void risk_engine_command(struct risk_engine *e, const struct hat_msg_control *m,
                         uint64_t now_ns);

/* Sets a coin's mark (board mid) and the board's update time of it. */
void risk_engine_set_mark(struct risk_engine *e, int coin, int64_t mark_px, uint64_t mark_ns);

/* Sets a coin's exchange asset id (the daemon learns it from the board when the config does
 * not give it). */
void risk_engine_set_asset(struct risk_engine *e, int coin, uint32_t asset);

/* The daemon's view of signald's liveness (its control-block heartbeat), called periodically.
 * While signald is down (ARCHITECTURE.md "signald down") and signald_down_cancel is set, the
 * first call that finds working orders on the book sends one CANCEL_ALL to execd (cause
 * "signald down"); nothing more until signald has been seen alive again. Each change is
 * logged. */
void risk_engine_signald_alive(struct risk_engine *e, bool alive, uint64_t now_ns);

/* Timers: day roll-over at UTC midnight (realized PnL, fees and the peak equity restart; the
 * unrealized part stays measured from the entry price, so the daily loss rule sees realized +
 * fees since midnight plus the open positions' unrealized PnL), PnL and data freshness rules,
 * periodic POSITION publication. Call every loop iteration. */
void risk_engine_tick(struct risk_engine *e, uint64_t now_ns);

static inline uint8_t risk_engine_trading_state(const struct risk_engine *e)
{
	return e->state.st;
}

#endif
