/* execd/wal.h -- execd's write-ahead journal of order actions (on common/journal.h).
 *
 * Protocol, per action (one signed /exchange request; its id is its nonce, unique per signer):
 *   1. exec_wal_action(): ACTION record {nonce, the orders (cloids + fields), the signed request
 *      body} appended and fdatasync'ed BEFORE the request is sent;
 *   2. exec_wal_sent(): SENT record once the request was handed to the transport;
 *   3. exec_wal_result(): RESULT record once the answer was received and applied (or the
 *      request provably never left: EXEC_WAL_NOT_SENT).
 * Durability: every record reaches the kernel before its call returns (a crash of execd loses
 * nothing), but only ACTION is fdatasync'ed at once: one fsync per action, not three. SENT and
 * RESULT are synced by the next ACTION, exec_wal_tick() (at most EXEC_WAL_SYNC_INTERVAL_MS
 * later) or close. Losing them to a power cut is safe: recovery then treats the action as
 * possibly sent and asks the exchange, which is what it does for any unknown outcome.
 * On restart, exec_wal_recover() lists every action with no RESULT: its orders' final state is
 * unknown, so execd asks the exchange (orderStatus by cloid) instead of resending. A record cut
 * short by a crash (torn tail) is ignored: an ACTION that did not reach the disk was never sent.
 *
 * Fills: exec_wal_fill() journals each fill execd published to riskd (trade id, oid, time),
 * so that after a restart the fills the exchange reports again (userFills, the stream's
 * snapshot) are known as already published. The newest EXEC_WAL_FILLS_KEPT are kept: a
 * compaction journals them again; exec_wal_recover_fills() reads them back.
 *
 * Compaction: the journal rotates to a new file when a file would pass max_file_bytes; when it
 * does (and at open) the actions still without a result are journaled again into the new file
 * (ACTION without body, + SENT if sent) and every older file of this prefix is deleted. So the
 * directory holds at most two files and never grows with history. Recovery merges duplicate
 * ACTION records of one nonce.
 *
 * Single-threaded (execd's main loop), one writer per dir+prefix. Allocates at open only.
 */
#ifndef HAT_EXECD_WAL_H
#define HAT_EXECD_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/journal.h"
#include "common/msg_types.h"

#define EXEC_WAL_MAX_ORDERS 64  /* orders (cloids) per action */
#define EXEC_WAL_MAX_BODY (1u << 20) /* signed request body bytes */
#define EXEC_WAL_SYNC_INTERVAL_MS 1000u /* SENT/RESULT records are synced at least this often */

/* Journal record types (common/journal.h "type"). */
enum exec_wal_rec {
	EXEC_WAL_REC_ACTION = 1,
	EXEC_WAL_REC_SENT = 2,
	EXEC_WAL_REC_RESULT = 3,
	EXEC_WAL_REC_FILL = 4,
};

#define EXEC_WAL_FILLS_KEPT 256u  /* fills remembered across compactions */

/* A fill published to riskd (journaled as u64 tid, u64 oid, u64 time_ms). */
struct exec_wal_fill {
	uint64_t tid;
	uint64_t oid;
	uint64_t time_ms;      /* the exchange's fill time */
};

/* What an action does (for recovery: which exchange question to ask). */
enum exec_wal_kind {
	EXEC_WAL_ORDER = 1,    /* place (orders' kind NEW) */
	EXEC_WAL_CANCEL = 2,   /* cancel by cloid */
	EXEC_WAL_MODIFY = 3,   /* modify/batchModify (orders' kind REPLACE: orig_cloid -> cloid) */
	EXEC_WAL_OTHER = 4,    /* scheduleCancel, noop, ...: no orders */
};

enum exec_wal_outcome {
	EXEC_WAL_ANSWERED = 1, /* the exchange answered (ok or error); state is known */
	EXEC_WAL_NOT_SENT = 2, /* the request provably never left (e.g. connect refused) */
};

/* One order of an action: the order fields as riskd sent them, and its risk_seq. */
struct exec_wal_order {
	struct hat_order_fields o;
	uint64_t risk_seq;
};

/* An action whose result is unknown, as recovered. */
struct exec_wal_pending {
	uint64_t nonce;
	uint64_t ts_ns;        /* when it was journaled */
	uint8_t kind;          /* enum exec_wal_kind */
	uint8_t sent;          /* a SENT record exists (else: journaled, maybe sent, maybe not) */
	uint16_t n_orders;
	uint32_t _pad;
	struct exec_wal_order orders[EXEC_WAL_MAX_ORDERS];
};

struct exec_wal_opts {
	const char *dir;          /* existing directory (borrowed for the call) */
	const char *prefix;       /* journal prefix, e.g. "execwal" */
	uint64_t max_file_bytes;  /* rotate + compact past this; 0 = 4 MiB */
	uint32_t max_inflight;    /* actions without a result at once (>= 1) */
	const struct exec_wal_fill *fills; /* recovered fills to keep (borrowed for open) */
	size_t n_fills;           /* <= EXEC_WAL_FILLS_KEPT (older ones are dropped) */
};

struct exec_wal_stats {
	uint64_t files;           /* journal files read */
	uint64_t records;         /* good records read */
	uint64_t torn;            /* files that ended inside a record (crash mid-append) */
	uint64_t corrupt;         /* files with a checksum error (records after it lost) */
	uint64_t orphans;         /* SENT/RESULT records for a nonce with no ACTION (ignored) */
};

struct exec_wal {
	struct hat_journal j;
	uint64_t cur_seq;             /* journal file seq we compacted into */
	uint32_t max_inflight;
	uint32_t n_inflight;
	struct exec_wal_pending *inflight; /* owned, max_inflight entries (unordered) */
	struct exec_wal_fill *fills;  /* owned ring of the newest EXEC_WAL_FILLS_KEPT fills */
	uint32_t fill_head, n_fills;  /* index of the oldest; count */
	uint64_t compactions;
	uint64_t files_deleted;
};

/* Reads every journal file <dir>/<prefix>-*.hjl in sequence order and writes the actions
 * without a RESULT into pending[0..cap), oldest first (*n stored, *total found; total > n means
 * the rest were dropped). stats may be NULL. A torn tail or a checksum error is not an error:
 * the good records before it are used, the file is counted in stats, and err describes it
 * ("<file>: torn record at byte 1234"). Returns 0 (also for an empty or missing directory
 * content), HAT_E_PARSE if a record's payload is malformed (err names file and offset), or a
 * negative errno from opendir/open/read. */
int exec_wal_recover(const char *dir, const char *prefix, struct exec_wal_pending *pending,
		     size_t cap, size_t *n, size_t *total, struct exec_wal_stats *stats,
		     char *err, size_t errlen);

/* Reads the FILL records of every journal file <dir>/<prefix>-*.hjl: the newest
 * EXEC_WAL_FILLS_KEPT into out (oldest first; *n stored). A fill journaled twice (a compaction
 * cut short) may appear twice. Torn tails and checksum errors are handled as by
 * exec_wal_recover. Returns 0, HAT_E_PARSE (err names file and offset) or a negative errno. */
int exec_wal_recover_fills(const char *dir, const char *prefix,
			   struct exec_wal_fill out[EXEC_WAL_FILLS_KEPT], size_t *n, char *err,
			   size_t errlen);

/* Opens the WAL for appending: a new journal file, into which the recovered
 * pending[0..n) (borrowed; may be NULL/0) are journaled again, then deletes the older files.
 * They stay in flight until exec_wal_result(). Returns 0, -EINVAL (bad opts, n > max_inflight:
 * err says which), -ENOMEM, or a negative errno from the journal/unlink (err names it). */
int exec_wal_open(struct exec_wal *w, const struct exec_wal_opts *o,
		  const struct exec_wal_pending *pending, size_t n, uint64_t now_ns,
		  uint64_t now_ms, char *err, size_t errlen);

/* Journals an action before it is sent: nonce, kind, orders[0..n_orders) and the signed
 * request body[0..body_len) (all borrowed). Durable (fdatasync) when it returns 0. Returns 0,
 * -EINVAL (n_orders > EXEC_WAL_MAX_ORDERS, body too large), -EEXIST (nonce already in flight),
 * -ENOSPC (max_inflight actions in flight: send nothing), or a negative errno from the
 * journal. On error the action must NOT be sent. */
int exec_wal_action(struct exec_wal *w, uint64_t nonce, enum exec_wal_kind kind,
		    const struct exec_wal_order *orders, size_t n_orders, const char *body,
		    size_t body_len, uint64_t now_ns, uint64_t now_ms, char *err, size_t errlen);

/* Records that the action's request left. Returns 0, -ENOENT (nonce not in flight), or a
 * negative errno from the journal. */
int exec_wal_sent(struct exec_wal *w, uint64_t nonce, uint64_t now_ns, uint64_t now_ms,
		  char *err, size_t errlen);

/* Records the action's outcome; it leaves the in-flight set. Returns 0, -ENOENT, or a negative
 * errno from the journal (the action then stays in flight and is asked about after a restart). */
int exec_wal_result(struct exec_wal *w, uint64_t nonce, enum exec_wal_outcome outcome,
		    uint64_t now_ns, uint64_t now_ms, char *err, size_t errlen);

/* Journals a fill published to riskd (not synced: a crash of execd loses nothing written;
 * see Durability). Returns 0 or a negative errno from the journal. */
int exec_wal_fill(struct exec_wal *w, const struct exec_wal_fill *f, uint64_t now_ns,
		  uint64_t now_ms, char *err, size_t errlen);

/* The before-sleep chore: fdatasyncs SENT/RESULT records written more than
 * EXEC_WAL_SYNC_INTERVAL_MS ago (now_ms monotonic). Returns 0, -EBADF if not open, or a
 * negative errno from fdatasync. */
int exec_wal_tick(struct exec_wal *w, uint64_t now_ms);

/* Actions in flight (journaled, no result yet). */
static inline uint32_t exec_wal_inflight(const struct exec_wal *w) { return w->n_inflight; }

/* Closes the journal and frees. Safe on a zeroed struct and twice. */
void exec_wal_close(struct exec_wal *w);

#endif
