/* execd/daemon.h -- execd: the key, nonces, signing, order routing, order state, fills,
 * reconciliation and the dead-man's switch, between riskd's order ring and the exchange.
 *
 * Start-up (execd_init): the key is loaded (passphrase from --passphrase-fd, the environment
 * variable HAT_KEY_PASSPHRASE, or a prompt), the WAL is recovered (its unanswered actions'
 * cloids become "unknown"), HELLO goes out on the exec ring. Then, from the loop: /info meta
 * (coin -> asset), the private stream connects, and a reconciliation pass (reconcile.h) runs;
 * only when it is complete does execd become ready: it answers riskd's STATE_REQUEST/HELLO with
 * its snapshot (SNAPSHOT_BEGIN, OPEN_ORDER rows, POSITION rows, SNAPSHOT_END) and consumes
 * orders. After every stream reconnect it stops taking orders until a new pass completes.
 *
 * Order path: ORDER (ring) -> FSM (pending) -> router lane -> batch -> nonce -> signed body ->
 * WAL (fdatasync) -> audit -> HTTP POST (non-blocking) -> answer -> FSM -> EXEC events (ring).
 * Retries resend the same signed body (same nonce) after a transport error; after the last
 * retry the orders' fate is asked of the exchange (orderStatus by cloid), never re-placed.
 *
 * Fills (fills.c): each is published to riskd once, also across restarts: the WAL journals
 * the fills published (execd/wal.h) and a restarted execd does not publish them again, while
 * fills that happened while it was down are. The first pass after a start recomputes today's
 * realized PnL and fees per coin from the exchange's fills, so the snapshot's POSITION rows
 * carry the exchange's values; positions and entry prices come from clearinghouseState. Every
 * published fill is an audit event line {"fills":[...]}. Control-block counters continue
 * across restarts (common/stat.h).
 *
 * Test hooks (environment; tests only): HAT_EXECD_CRASH_AT=journaled|answered with
 * HAT_EXECD_CRASH_N=<k> makes the k-th action (1-based) _exit(86) right after it is
 * journaled (nothing sent) or right after its answer arrived (sent, landed, not applied);
 * HAT_EXECD_CRASH_AT=lose_answer treats the k-th action's first answer as lost in transit
 * (it landed; execd must find out by resending the same bytes and asking orderStatus).
 *
 * Single-threaded; one execd per instance. The key never leaves struct exec_key: it is not
 * logged, not written to shm, not in the audit trail (requests carry signatures only).
 */
#ifndef HAT_EXECD_DAEMON_H
#define HAT_EXECD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/daemon.h"
#include "common/outq.h"
#include "common/stat.h"
#include "common/msg.h"
#include "execd/audit.h"
#include "execd/config.h"
#include "execd/deadman.h"
#include "execd/http.h"
#include "execd/nonce.h"
#include "execd/order_fsm.h"
#include "execd/ratelimit.h"
#include "execd/reconcile.h"
#include "execd/router.h"
#include "execd/stream.h"
#include "execd/wal.h"
#include "hl/meta.h"

#define EXECD_OUTQ 8192
#define EXECD_MAX_POS 64
#define EXECD_BATCH 64        /* ring messages handled per loop pass */
#define EXECD_MAX_RECOVERED 256

struct exec_key;


/* One /exchange request in flight (orders/cancels/modifies of one lane). */
struct execd_req {
	bool used;
	uint8_t lane;
	uint32_t n;
	uint32_t attempts;
	bool maybe_sent;          /* some attempt may have reached the exchange */
	bool via_ws;              /* the attempt in flight is a WebSocket post */
	uint64_t deadline_ns;     /* mono: a WebSocket post unanswered by then timed out */
	uint64_t nonce;
	uint64_t first_ns;        /* mono: first attempt */
	struct hat_buf body;      /* the signed request: resent byte for byte */
	struct exec_item items[EXEC_BATCH_MAX];
};

struct execd_pos {
	char coin[HAT_COIN_LEN];
	uint32_t asset;
	int64_t szi, entry_px;
	int64_t realized, fees;   /* today's (UTC) closedPnl and fees from fills, 1e-8 USD */
	uint64_t time_ms;
};

/* What the control block shows (counters.c): totals continue across restarts (common/stat.h). */
struct execd_counters {
	struct hat_stats stats;
	uint64_t g_in_flight, g_ready;   /* gauges, copied before each publish */
	uint64_t actions_shown;          /* c_actions at the last publish */
	struct hat_hist request_ns, tick_to_order_ns;
};

struct execd {
	struct hat_daemon st;
	bool open;
	struct exec_file_cfg file;
	struct hat_ring r_order;      /* riskd -> execd (consumer) */
	struct hat_ring r_exec;       /* execd -> riskd (producer) */
	struct hat_outq q;       /* exec events waiting for room on the exec ring */
	struct hat_msg_rejects rej_order;
	struct hat_seq_check seq_order;
	struct hat_log_rl rl;
	struct hat_log_rl rl_seq_gap, rl_seq_dup; /* one limiter per call site */

	struct exec_key *key;         /* owned; the only holder of the secret */
	uint8_t account[20];
	char account_hex[43];
	uint8_t vault[20];
	bool has_vault, testnet;

	struct hl_meta meta;
	bool meta_ok, meta_waiting;
	uint64_t meta_after_ms;       /* mono ms: earliest retry of a failed /info meta */
	struct exec_nonce nonce;
	struct exec_wal wal;
	bool wal_open;
	struct exec_audit audit;
	bool audit_open;
	struct exec_fsm fsm;
	struct exec_router router;
	struct exec_deadman dm;
	struct exec_ratelimit rl_ex;
	struct exec_http http;
	uv_loop_t loop;
	bool loop_init;
	struct exec_stream stream;
	bool stream_init;
	struct exec_reconcile recon;
	struct hat_buf scratch, json, mp;

	struct execd_req *reqs;       /* owned, max_in_flight */
	uint32_t n_reqs;
	uint64_t dm_nonce;            /* nonce of the scheduleCancel in flight, 0 = none */

	struct execd_pos pos[EXECD_MAX_POS];
	uint64_t pos_day;             /* UTC day (ms / HAT_MS_PER_DAY) the realized PnL and fees are of */
	uint32_t n_pos;

	/* cancel-all: cloids still to cancel */
	uint8_t (*cancel_list)[HAT_CLOID_LEN];
	uint32_t n_cancel, cancel_next;

	/* WAL actions whose outcome is being asked of the exchange: closed (RESULT) once a
	 * reconciliation pass that began after they were added completes. */
	uint64_t recovered_nonces[EXECD_MAX_RECOVERED];
	uint32_t n_recovered;
	uint32_t n_recovered_pass;    /* how many of them the running pass covers */
	uint8_t (*recovered_cloids)[HAT_CLOID_LEN];
	uint32_t n_recovered_cloids;

	bool ready;                   /* reconciled: orders accepted */
	bool ever_ready;
	bool recon_wanted;
	uint64_t recon_after_ms;      /* mono ms: earliest next pass */
	bool snapshot_wanted;         /* riskd asked; answer once ready */
	bool halted;
	bool order_blocked;           /* the order ring's head must wait (not ready, queues full) */
	bool shutdown;
	bool draining;
	uint64_t last_fill_ms;        /* newest fill applied (or remembered by the WAL) */
	uint64_t fill_floor_ms;       /* fills older than this were published before a restart */
	bool recount_pnl;             /* the next pass recomputes today's realized PnL and fees */
	struct hat_buf scratch_fill;  /* a fill's audit line */
	uint64_t last_flush_mono;
	uint32_t actions_total;       /* order actions journaled (test hook) */
	const char *crash_at;         /* test hook */
	uint32_t crash_n;
	struct execd_counters k;
	uint64_t c_rejects_by[HAT_REASON_EXCH_TIMEOUT - HAT_REASON_EXCH_TICK + 1];
	uint64_t c_orders_in, c_orders_sent, c_actions, c_acks, c_rejects, c_fills, c_cancels,
		c_cancel_rejects, c_replaced, c_retries, c_rate_limited, c_snapshots,
		c_unknown_resolved, c_bad_msgs, c_reconnects, c_ws_posts;
	uint64_t c_seq_gaps, c_seq_lost, c_seq_dups; /* riskd's order ring (hat_seq_check) */
	uint64_t c_old_fills;         /* fills older than fill_floor_ms, not published again */
};

/* Daemon-specific arguments: --passphrase-fd N (args->rest). */
struct execd_opts {
	int passphrase_fd;            /* -1 = none */
};

/* Parses what hat_daemon_args_parse left in a->rest. Returns 0 or -EINVAL with err. */
int execd_opts_parse(const struct hat_daemon_args *a, struct execd_opts *o, char *err,
		     size_t errlen);

/* Opens everything (see the header comment). Returns 0, or an error with err saying what
 * failed; on error nothing stays open. */
int execd_init(struct execd *d, const struct hat_daemon_args *a, const struct execd_opts *o,
	       char *err, size_t errlen);
/* One loop pass: rings, network, timers. Waits up to timeout_ms when idle. Returns 1 if it did
 * work, 0 if idle, or a negative ring error (fatal). */
int execd_run_once(struct execd *d, int timeout_ms);
/* Stops taking orders, sends what is queued and waits for answers (up to timeout_ms). */
int execd_drain(struct execd *d, int timeout_ms);
void execd_deinit(struct execd *d);
static inline bool execd_shutdown_requested(const struct execd *d) { return d->shutdown; }

#endif
