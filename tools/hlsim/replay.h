/* tools/hlsim/replay.h -- drives hlsim's books from a journal recorded by feedd (--record), in
 * place of the background flow (hlsim --replay FILE).
 *
 * The journal (common/journal.h) holds the exchange's WebSocket frames as received (record type
 * FEED_REC_FRAME of common/feed_journal.h, payload = frame text, ts = receive time).
 *
 * Start: at the first tick, or (opts.start_file) at the first tick after that file exists (the
 * backtest creates it once the whole pipeline is up and subscribed): nothing of the journal is
 * applied before, so no stage misses its first seconds. "replay_start" is logged then.
 * Pacing (opts.speed):
 *   > 0     the recorded spacing divided by speed (1 = the recorded pace), on the wall clock.
 *   0 (max) lockstep: one step (records up to and including the next one that changed a book or
 *           printed a trade) is applied, then the replay waits until the engine has been quiet
 *           (no order placed, canceled or filled, no signed request) for opts.settle_ms; then
 *           the next step. The pipeline's reaction to a step therefore lands before the next
 *           step whatever the machine's speed (as long as a reaction starts within settle_ms),
 *           so the same journal and strategy give the same orders and fills on every run.
 *           Market pushes (trades, l2Book, bbo, allMids, candle) are held back while user events
 *           (fills, order updates) go out at once; once the engine has been quiet for settle_ms
 *           the held pushes go out in order, and the next step waits for quiet again. With a
 *           gate (opts.gate, hlsim --replay-gate) the next step waits for the gate's answer
 *           instead (the trading pipeline itself says it has finished reacting, gate.h) and
 *           nothing is held here: the gate holds every message to the clients. A client
 *           fed by two connections (a trader's fills through one process, its market data
 *           through another) thus always learns of its fills before the market data of the
 *           same moment, not in whichever order the processes happen to run. A held l2Book for
 *           an aggregated (nSigFigs) subscriber shows the book when it goes out.
 *           The engine's clock is then the replay's: recorded time + offset_ms, where offset_ms
 *           is a whole number of days putting the first record at least an hour ahead of the
 *           wall clock (logged in replay_start). It moves only with the steps; the wall clock
 *           of requests (behind it) never moves it, so every timestamp hlsim produces (fills,
 *           pushes, order times, recorded trades' times) is the recorded time + offset_ms on
 *           every run. Signed nonces
 *           (wall clock) stay inside the nonce window while the replay is less than a day
 *           ahead; a client's scheduleCancel must be far enough ahead (a backtest turns it off).
 *   default 1 (the recorded pace) when hlsim_replay_configure is not called.
 * At the end of the journal (or a damaged record) "replay_done" is logged once with the
 * counts, and the books stay as they are. Per frame:
 *   l2Book  the liquidity agent (flow account 0) replaces its orders on that coin with one
 *           order per recorded level, so the simulated book shows the recorded one; user
 *           orders that the recorded market moves through are filled by those orders.
 *   trades  become the coin's last price, volume and candles, and are pushed on "trades" as
 *           recorded. Trade-through fills: a recorded trade of size Q at price P whose
 *           aggressor bought fills user asks priced strictly below P (sold: user bids strictly
 *           above P), best price first then time, up to Q in total, at the user order's own price
 *           (the user is the maker: maker fee). The counterparty is the taker agent (flow
 *           account 1), through the ordinary matching path, so these fills also print on
 *           "trades". An order at exactly P never fills from a trade (its queue position is
 *           unknown); it fills when a recorded book level crosses it.
 * Other channels, coins not in the configuration and levels off the coin's tick/lot rules are
 * skipped (counted). At the end of the journal (or at a damaged record) the books stay as they
 * are. One file is replayed (not a directory of rotated files). The read position is not part
 * of the saved state. Single-threaded; reads the file as it goes (the only I/O in tick).
 */
#ifndef HAT_TOOLS_HLSIM_REPLAY_H
#define HAT_TOOLS_HLSIM_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/feed_journal.h"
#include "common/buf.h"
#include "common/journal.h"
#include "tools/hlsim/engine.h"


struct hlsim_engine;

/* What the engine tells a lockstep gate (see hlsim_replay_opts.gate). */
struct hlsim_replay_gate_info {
	uint64_t activity;       /* orders placed, canceled, filled, signed requests (a sum) */
	uint64_t signed_actions; /* /exchange actions committed so far */
};

struct hlsim_replay_opts {
	double speed;            /* 0 = max (lockstep); else the recorded pace times speed (1) */
	uint32_t settle_ms;      /* lockstep: quiet time before the next step (0: 10) */
	const char *start_file;  /* NULL: start at the first tick; else when this file exists */
	/* lockstep: if set, the next step waits for gate(gate_user, info) to say the clients are
	 * done (tools/hlsim/gate.h) instead of settle_ms of quiet, and market pushes are not held
	 * here (the gate holds every message to the clients itself). */
	bool (*gate)(void *gate_user, const struct hlsim_replay_gate_info *info);
	void *gate_user;
};

struct hlsim_replay_held {      /* a market push held back (lockstep) */
	int kind;                  /* enum hlsim_event_kind */
	char coin[32];
	char interval[8];
	size_t off, len;           /* its json in held_json */
	bool has_coin, has_interval;
};

struct hlsim_replay {
	struct hlsim_replay_opts opt;
	/* lockstep: the engine's sink is wrapped; market pushes wait in held */
	bool wrapped;
	void (*down)(void *user, const struct hlsim_event *ev);
	void *down_user;
	struct hlsim_replay_held *held;
	size_t n_held, cap_held;
	struct hat_buf held_json;
	struct hat_journal_reader rd;
	bool open;
	bool done;               /* end of file or a damaged record */
	bool have;               /* a record read ahead, waiting for its time */
	uint32_t type;
	uint64_t ts_ms;          /* recorded time of the waiting record */
	struct hat_buf payload;  /* its payload */
	bool started;            /* the start trigger was seen */
	bool have_first;
	uint64_t start_ms;       /* engine time at the start */
	uint64_t first_ts_ms;    /* recorded time of the first record */
	uint64_t offset_ms;      /* lockstep: engine time - recorded time (whole days) */
	uint64_t next_check_ms;  /* start_file: next look */
	uint64_t activity;       /* lockstep: engine activity counter at the last look */
	uint64_t quiet_from_ms;  /* lockstep: engine time since which nothing happened */
	uint64_t frames, books, trades, skipped, through_fills, steps;
	int last_error;          /* 0, or the reader's error that ended the replay */
};

/* Opens path and checks the journal header. Returns 0, a negative errno (err names the path),
 * HAT_E_BADMAGIC (not a journal), HAT_E_BADVERSION or HAT_E_TRUNCATED. */
int hlsim_replay_open(struct hlsim_replay *r, const char *path, char *err, size_t errlen);
void hlsim_replay_close(struct hlsim_replay *r);

/* Sets the engine's replay pacing and start trigger (call after hlsim_engine_new, before the
 * first tick; no-op when the engine does not replay). o is copied (start_file is borrowed). */
void hlsim_replay_configure(struct hlsim_engine *e, const struct hlsim_replay_opts *o);


/* Called by hlsim_tick with the wall clock: applies the records due (at most 10000 per call;
 * one step in lockstep) and returns the engine time to use for the rest of the tick: wall_ms,
 * or in lockstep once started the replay clock (see above). */
uint64_t hlsim_replay_tick(struct hlsim_engine *e, struct hlsim_replay *r, uint64_t wall_ms);

#endif
