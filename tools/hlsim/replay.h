/* tools/hlsim/replay.h -- drives hlsim's books from a journal recorded by feedd (--record), in
 * place of the background flow (hlsim --replay FILE).
 *
 * The journal (common/journal.h) holds the exchange's WebSocket frames as received (record type
 * 1 = FEED_REC_FRAME of feedd/feedd.h, payload = frame text, ts = receive time). Replay keeps
 * the recorded time spacing: the first record is due at the first tick, later ones at their
 * recorded offset from it. Per frame:
 *   l2Book  the liquidity agent (flow account 0) replaces its orders on that coin with one
 *           order per recorded level, so the simulated book shows the recorded one; user
 *           orders that the recorded market moves through are filled by those orders.
 *   trades  become the coin's last price, volume and candles, and are pushed on "trades" as
 *           recorded (they are not matched against the simulated book).
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

#include "common/buf.h"
#include "common/journal.h"

#define HLSIM_REPLAY_REC_FRAME 1u /* feedd's FEED_REC_FRAME */

struct hlsim_engine;

struct hlsim_replay {
	struct hat_journal_reader rd;
	bool open;
	bool done;               /* end of file or a damaged record */
	bool have;               /* a record read ahead, waiting for its time */
	uint32_t type;
	uint64_t ts_ms;          /* recorded time of the waiting record */
	struct hat_buf payload;  /* its payload */
	bool started;
	int64_t offset_ms;       /* engine time - recorded time */
	uint64_t frames, books, trades, skipped;
	int last_error;          /* 0, or the reader's error that ended the replay */
};

/* Opens path and checks the journal header. Returns 0, a negative errno (err names the path),
 * HAT_E_BADMAGIC (not a journal), HAT_E_BADVERSION or HAT_E_TRUNCATED. */
int hlsim_replay_open(struct hlsim_replay *r, const char *path, char *err, size_t errlen);
void hlsim_replay_close(struct hlsim_replay *r);

/* Applies every record due at now_ms (at most 10000 per call). */
void hlsim_replay_tick(struct hlsim_engine *e, struct hlsim_replay *r, uint64_t now_ms);

#endif
