/* feedd/feedd.h -- the market-data stage: the exchange's public WebSocket -> md ring + board.
 *
 * struct feedd is the daemon's one context (STYLE rule 9), built by main() and passed to every
 * function; tests build one in-process too. Lifecycle (rule 10): feedd_init() loads the
 * config, attaches the shm segments (md ring as producer, board as writer, control block),
 * and sets up the session, publisher, WebSocket client and journal; feedd_run_once() handles
 * whatever is ready and returns (timeout_ms = 0 never blocks); feedd_drain() closes the
 * WebSocket politely, pushes what still waits and syncs the journal; feedd_deinit() releases
 * everything in reverse order. Restartable at any moment: the ring and the board live in shm,
 * a restarted feedd continues the ring's seq and re-marks every coin stale until its snapshot.
 *
 * Asset ids: feedd asks venue.http for /info {"type":"meta"} at start (and again on each
 * connect while it has none; a blocking call bounded by 3 s) and stamps md messages with the
 * coin's asset id; without a table they carry HL_ASSET_UNKNOWN. The response is recorded
 * (FEED_REC_META) so a replay uses the same table. The board's asset ids are set when the
 * coin is first added, so they are known only if the table was there at start.
 *
 * Every received frame goes through feedd_frame() -- live frames from the socket and replayed
 * frames from a journal alike -- so a backtest runs exactly the live code: parse with
 * hl/parse_ws (origin_ns = the frame's receive time), session bookkeeping (freshness),
 * publish (md ring + board), then record (optional; after publishing, so the journal write
 * never delays the ring; a frame published just before a crash may miss the journal). Journal
 * record types (common/feed_journal.h): FEED_REC_FRAME (payload = the
 * frame text, ts = receive time), FEED_REC_OPEN (payload = the URL) and FEED_REC_CLOSE
 * (payload = the reason), so a replay re-creates the connection events (staleness and the
 * BOOK SNAPSHOT flag) exactly. What "identical" means for a replay: every message byte of the
 * replayed md ring (header.length bytes per slot) equals the live one except header.send_ns
 * (the time of the push) -- seq, origin_ns (the recorded receive time) and every body field
 * are the same, provided the live ring never filled (coalescing changes what is published;
 * a replay never coalesces: it waits for ring space instead, there being no socket to protect).
 *
 * Shm segments (common/instance.h; created by superd, or with opts.create by
 * hat_instance_create()): md (producer), board (writer), control (HAT_STAGE_FEEDD's block),
 * cmd.feedd (consumer, through common/daemon.h: SHUTDOWN stops feedd like SIGTERM).
 */
#ifndef HAT_FEEDD_FEEDD_H
#define HAT_FEEDD_FEEDD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/board.h"
#include "common/config.h"
#include "common/control.h"
#include "common/daemon.h"
#include "common/feed_journal.h" /* FEED_REC_*: the journal record types */
#include "common/journal.h"
#include "common/journal_zst.h"
#include "common/log.h"
#include "common/ring.h"
#include "common/shm.h"
#include "common/feed_journal.h"
#include "common/ws_client.h"
#include "feedd/config.h"
#include "feedd/publish.h"
#include "feedd/session.h"
#include "hl/meta.h"
#include "hl/parse_ws.h"


/* feedd's own options (the common ones -- --config, --instance, --log, --log-level -- are
 * struct hat_daemon_args). */
struct feedd_opts {
	const char *ws_url;       /* overrides venue.ws; NULL = config's */
	const char *record_dir;   /* enables recording into this directory */
	const char *replay_path;  /* replay this journal file, or every feed-*.hjl file of this
				   * directory in sequence order, instead of connecting */
	double speed;             /* replay speed factor (1 = real time) */
	bool max_speed;           /* replay as fast as the ring allows */
	bool create;              /* create missing shm segments (hat_instance_create): standalone
				   * runs and tests; superd normally does it */
};

/* Local statistics, published to the control block by the heartbeat chore as deltas. */
struct feed_stats {
	uint64_t frames, bytes, msgs_book, msgs_trade, msgs_bbo, parse_errors, unknown_coin;
	uint64_t exch_errors, sub_acks, pongs, trades_truncated, record_errors;
	uint64_t connects, reconnects, oversize_closes;
};

enum feed_counter {
	FC_FRAMES, FC_BYTES, FC_MSGS_BOOK, FC_MSGS_TRADE, FC_MSGS_BBO, FC_PARSE_ERRORS,
	FC_UNKNOWN_COIN, FC_EXCH_ERRORS, FC_SUB_ACKS, FC_PONGS, FC_TRADES_TRUNCATED,
	FC_RECORD_ERRORS, FC_CONNECTS, FC_RECONNECTS, FC_OVERSIZE, FC_RING_FULL,
	FC_BOOKS_COALESCED, FC_BBOS_COALESCED, FC_TRADES_QUEUED, FC_TRADES_DROPPED, FC_PINGS,
	FC_SILENT_DROPS, FC_BACKLOG, FC_LIVE, FC_N
};

struct feedd {
	struct feedd_opts opts;
	struct hat_daemon d;                    /* config, log, control block, command ring */
	bool d_open;
	struct feed_config fc;
	char ws_url[HAT_CONFIG_URL_LEN];

	/* shm */
	struct hat_ring md;
	struct hat_board board;
	bool board_open;
	struct hat_counter ctr[FC_N];
	uint64_t ctr_last[FC_N];
	struct hat_counter stale_ctr[FEED_MAX_COINS], age_ctr[FEED_MAX_COINS];
	uint64_t last_md_ns[FEED_MAX_COINS];   /* realtime of the coin's last book/bbo */

	/* modules */
	struct feed_session sess;
	struct feed_pub pub;
	struct hl_ws_bufs bufs;
	struct hat_msg_trade trades[FEED_TRADES_PER_FRAME];
	struct hl_ws_msg msg;
	struct feed_stats st;
	struct hat_log_rl rl_json, rl_parse, rl_coin, rl_exch, rl_rec;
	struct hl_meta meta;                    /* coin -> asset, from /info meta */
	bool meta_inited, meta_ok;

	/* live I/O */
	uv_loop_t loop;
	uv_timer_t timer;
	bool loop_ready;
	struct hat_ws_client ws;
	bool ws_ready;
	bool stopping;

	/* recording */
	struct hat_journal jr;
	bool recording;
	uint64_t rec_retry_ms;                  /* after a failed append, skip until then */

	/* replay */
	bool replaying;
	struct hat_jz_reader rd;                /* plain or zstd (.zst) journal */
	struct hat_journal_file *rd_files;      /* the files to replay, in order (owned) */
	size_t rd_nfiles, rd_next;              /* count, index of the next one to open */
	bool rd_open, rd_done, rd_have, rd_started;
	struct hat_journal_rec rd_rec;
	uint64_t rd_t0_ns, rd_m0_ns;
	int rd_result;                          /* final reader code: -ENODATA = clean end */

	uint64_t next_chore_ms;
	bool stop;                              /* SHUTDOWN command received */
	int exit_code;
};

/* Opens the stage (hat_daemon_open: config, log, control block, command ring), applies the
 * "feedd" section, attaches the md ring (producer) and the board (writer), and sets up the
 * session, publisher, WebSocket client and journal (or the replay reader). a and o are
 * borrowed for the call (strings in them must outlive f). Returns 0, or a negative code with
 * err saying what failed (config key, segment name, journal path, ...); on error f is
 * deinit'ed. */
int feedd_init(struct feedd *f, const struct hat_daemon_args *a, const struct feedd_opts *o,
	       char *err, size_t errlen);

/* One loop iteration: session actions, socket I/O (live) or the next due records (replay),
 * pending pushes, the before-sleep chore (heartbeat, counters, command ring, journal fsync).
 * Blocks at most timeout_ms. Returns 0 to go on, 1 when finished (a replay published
 * everything, or superd sent SHUTDOWN), or a negative code on a fatal error. */
int feedd_run_once(struct feedd *f, int timeout_ms);

/* The shared frame path (live and replay): see the file comment. data borrowed for the call. */
void feedd_frame(struct feedd *f, const char *data, size_t len, uint64_t recv_ns);

/* Stops the session, closes the WebSocket (1001), pushes what waits (up to timeout_ms) and
 * syncs the journal. */
void feedd_drain(struct feedd *f, int timeout_ms);

/* Releases everything (detaches shm; the segments stay). Safe after a failed init. */
void feedd_deinit(struct feedd *f);

#endif
