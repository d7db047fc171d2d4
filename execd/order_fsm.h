/* execd/order_fsm.h -- the order state machine per cloid, and the table that holds it.
 *
 * States (enum exec_ord_state):
 *   PENDING_NEW -> RESTING -> PARTIALLY_FILLED -> FILLED
 *   PENDING_NEW -> REJECTED | FILLED | CANCELED (IOC remainder)
 *   RESTING | PARTIALLY_FILLED | PENDING_NEW -> PENDING_CANCEL -> CANCELED
 *                                               PENDING_CANCEL -> (back, on CANCEL_REJECT)
 *   RESTING | PARTIALLY_FILLED -> PENDING_MODIFY -> REPLACED (the old cloid; the new cloid was
 *                                 inserted as PENDING_NEW with orig_cloid = old and becomes
 *                                 RESTING) or back (modify failed: the new cloid is REJECTED)
 * FILLED, CANCELED, REJECTED and REPLACED are terminal. A terminal order stays in the table
 * (bounded, oldest evicted first) so late events still find it: fills that arrive after a
 * cancel or a "filled" status are applied (they are real fills) as long as they do not exceed
 * the order's size; late statuses are counted and ignored.
 *
 * Who drives it: execd's router (local actions and /exchange results), its private stream
 * (orderUpdates, userFills) and reconciliation (/info openOrders, orderStatus). Every function
 * that may produce exec events for riskd takes `struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS]`
 * (an ARRAY of 2: e.g. a fill of a replacement before its ack gives REPLACED then FILL) and
 * returns how many events it wrote (0, 1 or 2: publish ev[0..n) in order), or a negative code
 * (caller error; nothing written, nothing changed). Events are built with
 * hat_msg_init (seq and send_ns left 0 for the ring; origin_ns = now_ns given by the caller).
 * Exchange input never fails: unknown, duplicate or late events are counted in
 * struct exec_fsm_counters and handled.
 *
 * Memory: exec_fsm_init allocates everything (capacity from config); no allocation after
 * that. Lookup by cloid and by exchange oid: open addressing (linear probing, backward-shift
 * deletion). Fills are deduplicated by trade id in a bounded recent set (FIFO + hash).
 * I/O-free; the caller passes time in. Single-threaded (execd's main loop); no globals.
 */
#ifndef HAT_EXECD_ORDER_FSM_H
#define HAT_EXECD_ORDER_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg_types.h"
#include "hl/parse_exchange.h"
#include "hl/records.h"

/* Room the caller gives every function that produces events (see above). */
#define EXEC_FSM_MAX_EVENTS 2

enum exec_ord_state {
	EXEC_OS_FREE = 0,          /* slot unused */
	EXEC_OS_PENDING_NEW = 1,   /* order action sent (or about to be), no answer yet */
	EXEC_OS_RESTING = 2,       /* on the book, nothing filled */
	EXEC_OS_PARTIALLY_FILLED = 3,
	EXEC_OS_PENDING_CANCEL = 4,/* cancel sent; prev_state says where it came from */
	EXEC_OS_PENDING_MODIFY = 5,/* modify sent (this is the old cloid); repl_cloid is the new */
	EXEC_OS_FILLED = 6,        /* terminal */
	EXEC_OS_CANCELED = 7,      /* terminal */
	EXEC_OS_REJECTED = 8,      /* terminal */
	EXEC_OS_REPLACED = 9,      /* terminal: a modify replaced this cloid by repl_cloid */
};
#define EXEC_OS_COUNT 10

/* "PENDING_NEW", ...; "?" for a value out of range. Never NULL. */
const char *exec_ord_state_name(unsigned st);
/* True for FILLED, CANCELED, REJECTED, REPLACED. */
bool exec_ord_state_terminal(unsigned st);
/* True for RESTING, PARTIALLY_FILLED, PENDING_NEW, PENDING_CANCEL, PENDING_MODIFY. */
bool exec_ord_state_live(unsigned st);

struct exec_order {
	uint8_t cloid[HAT_CLOID_LEN];
	uint8_t orig_cloid[HAT_CLOID_LEN]; /* a replacement: the cloid it replaces; else zeros */
	uint8_t repl_cloid[HAT_CLOID_LEN]; /* PENDING_MODIFY/REPLACED: the new cloid; else zeros */
	char coin[HAT_COIN_LEN];
	uint32_t asset;
	uint8_t state;         /* enum exec_ord_state */
	uint8_t prev_state;    /* PENDING_CANCEL/MODIFY: the state to return to if refused */
	uint8_t side;          /* enum hat_side */
	uint8_t tif;           /* enum hat_tif */
	uint8_t oflags;        /* enum hat_order_flags */
	uint8_t exch_done;     /* the exchange reported a terminal status (fills may still come) */
	uint16_t strategy_id;
	uint64_t oid;          /* exchange order id, 0 until known */
	int64_t px;            /* limit price, 1e-8 */
	int64_t sz;            /* original size, 1e-8 */
	int64_t filled_sz;     /* sum of applied fills, 1e-8 (<= sz; excess counted as overfill) */
	int64_t fees;          /* sum of fill fees, 1e-8 USD */
	uint64_t risk_seq;     /* riskd's approval sequence (0 if adopted from the exchange) */
	uint64_t created_ms;   /* when inserted */
	uint64_t updated_ms;   /* last transition */
	uint32_t _idx;         /* private: slot index in the table */
	uint32_t _pad;
};

struct exec_fsm_config {
	uint32_t capacity;     /* orders held, live + recent terminal (>= 2, <= 1 << 24) */
	uint32_t recent_tids;  /* trade ids remembered for dedup (>= 1, <= 1 << 24) */
};

struct exec_fsm_counters {
	uint64_t inserted;         /* orders added (new, replacement, adopted) */
	uint64_t evicted;          /* terminal orders dropped to make room */
	uint64_t table_full;       /* inserts refused: every slot live */
	uint64_t dup_fills;        /* fills with a trade id seen before (ignored) */
	uint64_t unknown_fills;    /* fills for no known cloid/oid (published, FINAL, no order) */
	uint64_t overfills;        /* fills beyond an order's size (published, remaining 0) */
	uint64_t late_fills;       /* fills applied to a terminal order */
	uint64_t unknown_updates;  /* order statuses for no known cloid/oid (ignored) */
	uint64_t late_updates;     /* statuses for a terminal order (ignored) */
	uint64_t unknown_results;  /* /exchange results for no known or not-pending cloid */
	uint64_t cancel_unknown;   /* local cancels of an unknown or terminal cloid */
};

struct exec_fsm {
	struct exec_order *orders; /* owned, capacity slots */
	uint32_t capacity;
	uint32_t count;            /* slots in use (live + terminal) */
	uint32_t live;             /* non-terminal orders */
	uint32_t hmask;            /* hash tables: hmask + 1 buckets (power of two >= 2 * cap) */
	uint32_t *by_cloid;        /* owned: slot index + 1, 0 = empty */
	uint32_t *by_oid;          /* owned: slot index + 1, 0 = empty */
	uint32_t *free_list;       /* owned: free slot indices */
	uint32_t n_free;
	uint32_t *term_fifo;       /* owned: terminal slots in the order they became terminal */
	uint32_t term_head, term_count;
	uint64_t *tids;            /* owned: recent trade ids, FIFO of recent_tids */
	uint32_t *tid_hash;        /* owned: index + 1 into tids, open addressing */
	uint32_t tid_cap, tid_head, tid_count, tid_hmask;
	struct exec_fsm_counters c;
};

/* Allocates the table. Returns 0, -EINVAL for a config out of range (err names the field:
 * "capacity: must be 2..16777216 (got 1)"), or -ENOMEM. */
int exec_fsm_init(struct exec_fsm *f, const struct exec_fsm_config *cfg, char *err,
		  size_t errlen);
/* Frees everything. Safe on a zeroed struct and twice. */
void exec_fsm_deinit(struct exec_fsm *f);

/* Validator of the whole table (STYLE rule 8; for assert()): every slot's state is legal,
 * filled_sz in 0..sz, terminal/live counts match, both indexes point at the right slots, every
 * PENDING_MODIFY order's repl_cloid is present, prev_state of pending states is legal, the
 * free list and terminal FIFO are consistent. Returns true if consistent. */
bool exec_order_fsm_check(const struct exec_fsm *f);

/* Lookups: the order, or NULL. Borrowed until the next call that changes the table. */
const struct exec_order *exec_fsm_find(const struct exec_fsm *f,
				       const uint8_t cloid[HAT_CLOID_LEN]);
const struct exec_order *exec_fsm_find_oid(const struct exec_fsm *f, uint64_t oid);

/* ---------------------------------------------------------------- local actions (from riskd) */

/* A NEW order from riskd (o->o.kind == HAT_INTENT_NEW) about to be sent: inserted as
 * PENDING_NEW. Returns 0 (no event); -EEXIST if the cloid is in the table (live or terminal:
 * cloids are never reused); -ENOSPC if every slot is live (counted in table_full; the caller
 * rejects with exec_fsm_reject_event); -EINVAL if kind is not NEW. */
int exec_fsm_new(struct exec_fsm *f, const struct hat_msg_order *o, uint64_t now_ms);

/* A CANCEL from riskd (o->o.kind == HAT_INTENT_CANCEL, o->o.cloid the order to cancel) about
 * to be sent: PENDING_NEW/RESTING/PARTIALLY_FILLED -> PENDING_CANCEL. Returns 0 (send the
 * cancel); 1 with a CANCEL_REJECT (reason EXCH_UNKNOWN_ORDER, text "unknown cloid" or "order
 * already FILLED" etc., coin from o) for an unknown or terminal cloid (counted in
 * cancel_unknown; send nothing); -EALREADY if a cancel is already pending, -EBUSY if a modify
 * is pending (send nothing, no event); -EINVAL if kind is not CANCEL. */
int exec_fsm_cancel(struct exec_fsm *f, const struct hat_msg_order *o, uint64_t now_ns,
		    uint64_t now_ms, struct hat_msg_exec *ev);

/* A REPLACE from riskd (o->o.kind == HAT_INTENT_REPLACE: orig_cloid -> cloid) about to be
 * sent: the old order RESTING/PARTIALLY_FILLED -> PENDING_MODIFY, the new cloid inserted as
 * PENDING_NEW (orig_cloid set). Returns 0 (send the modify); 1 with a REJECT for the new
 * cloid (reason EXCH_UNKNOWN_ORDER, text "modify: unknown cloid" / "modify: order is <state>")
 * if the old order is unknown, terminal or pending (send nothing); -EEXIST (new cloid already
 * in the table), -ENOSPC, -EINVAL (kind is not REPLACE) with no event. */
int exec_fsm_modify(struct exec_fsm *f, const struct hat_msg_order *o, uint64_t now_ns,
		    uint64_t now_ms, struct hat_msg_exec *ev);

/* Builds a REJECT for an order that never entered the table (table full, send failed before
 * anything left, riskd input invalid): cloid, coin, side, strategy, risk_seq from o, FINAL. */
void exec_fsm_reject_event(const struct hat_msg_order *o, uint16_t reason, const char *text,
			   uint64_t now_ns, struct hat_msg_exec *ev);

/* ---------------------------------------------------------------- /exchange results */

/* The status of one order in the answer to an order action (hl/parse_exchange.h):
 *   RESTING -> RESTING (oid indexed), ACK;
 *   FILLED  -> oid indexed; total_sz >= remaining: FILLED (no event: the fills arrive on the
 *              stream and carry the accounting); total_sz < remaining (IOC remainder): the rest
 *              is CANCELED, event CANCELED FINAL;
 *   ERROR   -> REJECTED, REJECT FINAL with st->reason and st->text;
 *   WAITING_FOR_TRIGGER / WAITING_FOR_FILL / SUCCESS -> RESTING, ACK (oid 0 if unknown);
 *   UNKNOWN -> counted in unknown_results, no change.
 * For a replacement (a PENDING_NEW with orig_cloid) a RESTING/FILLED/SUCCESS answer completes
 * the modify: the old order -> REPLACED and the event is REPLACED (cloid new, orig_cloid old,
 * remaining_sz of the new order); ERROR rejects the new cloid (REJECT) and returns the old to
 * its previous state. A result for a cloid that is not PENDING_NEW is counted in
 * unknown_results and returns 0 (the stream got there first). */
int exec_fsm_on_order_result(struct exec_fsm *f, const uint8_t cloid[HAT_CLOID_LEN],
			     const struct hl_exch_status *st, uint64_t now_ns, uint64_t now_ms,
			     struct hat_msg_exec *ev);

/* The answer to a cancel of cloid: ok -> CANCELED FINAL (0 if the order is already terminal;
 * a replacement canceled before its ack: REPLACED then CANCELED, 2 events); refused -> the
 * previous state comes back and the event is CANCEL_REJECT with reason/text (text may be
 * NULL). Unknown or not PENDING_CANCEL: counted in unknown_results, 0. */
int exec_fsm_on_cancel_result(struct exec_fsm *f, const uint8_t cloid[HAT_CLOID_LEN], bool ok,
			      uint16_t reason, const char *text, uint64_t now_ns,
			      uint64_t now_ms, struct hat_msg_exec *ev);

/* The answer to a modify whose new cloid is new_cloid (the "modify" action answers only
 * ok/err; batchModify answers per-order statuses: use exec_fsm_on_order_result for those).
 * ok -> the new order RESTING (oid if known, else 0), the old REPLACED, event REPLACED;
 * refused -> new REJECTED (REJECT with reason/text), old back to its previous state. */
int exec_fsm_on_modify_result(struct exec_fsm *f, const uint8_t new_cloid[HAT_CLOID_LEN],
			      bool ok, uint64_t oid, uint16_t reason, const char *text,
			      uint64_t now_ns, uint64_t now_ms, struct hat_msg_exec *ev);

/* The exchange does not know cloid (orderStatus answered "unknownOid" during recovery): an
 * order still PENDING_NEW never arrived -> REJECTED, REJECT FINAL (EXCH_UNKNOWN_ORDER,
 * "order not found at the exchange"); a PENDING_CANCEL whose order never arrived likewise
 * -> CANCELED (a replacement -> REJECTED, its old order back to its state). Other states: 0,
 * unchanged. */
int exec_fsm_on_not_found(struct exec_fsm *f, const uint8_t cloid[HAT_CLOID_LEN],
			  uint64_t now_ns, uint64_t now_ms, struct hat_msg_exec *ev);

/* ---------------------------------------------------------------- stream and reconciliation */

/* An order update (orderUpdates, or orderStatus during reconciliation), found by cloid if it
 * has one, else by oid:
 *   open/triggered: PENDING_NEW -> RESTING (or PARTIALLY_FILLED if fills came first), ACK;
 *                   a replacement -> REPLACED event (as above); other live states: 0;
 *   filled:         exch_done; no event (fills carry the accounting); FILLED when they sum up;
 *   canceled kinds: CANCELED FINAL (remaining_sz 0) (a replacement not yet acked: REPLACED
 *                   first, then CANCELED);
 *   rejected kinds: REJECTED, REJECT FINAL with hl_order_status_reason() and the status text.
 * Unknown order: unknown_updates, 0. Terminal order: late_updates, 0. */
int exec_fsm_on_order_update(struct exec_fsm *f, const struct hl_order_update *u,
			     uint64_t now_ns, uint64_t now_ms, struct hat_msg_exec *ev);

/* Marks the fill (tid, oid) as seen, as if exec_fsm_on_fill had taken it: used at start for
 * the fills published before a restart (execd/wal.h). Returns true if it was marked already. */
bool exec_fsm_fill_seen(struct exec_fsm *f, uint64_t tid, uint64_t oid);

/* A fill (userFills, or /info userFills during reconciliation). tid already seen: dup_fills,
 * 0. Found by cloid if it has one, else by oid: filled_sz += sz; PENDING_NEW/RESTING ->
 * PARTIALLY_FILLED or FILLED; a pending cancel/modify keeps its state (prev_state updated);
 * terminal orders take it too (late_fills) unless it would exceed sz (overfills, remaining 0).
 * Event FILL: px, sz, fee, tid, oid, exch_time_ms, remaining_sz = sz - filled_sz, TAKER if
 * crossed, FINAL if the order is terminal afterwards. Unknown order (e.g. placed outside
 * hat): the fill is still published (position changes) with the fill's cloid/oid, FINAL,
 * remaining 0, strategy 0 (unknown_fills). A replacement's fill before its ack first completes the
 * modify (REPLACED, then FILL). Returns 0, 1 or 2. */
int exec_fsm_on_fill(struct exec_fsm *f, const struct hl_fill *fl, uint64_t now_ns,
		     uint64_t now_ms, struct hat_msg_exec *ev);

/* An order open at the exchange (openOrders during reconciliation). Unknown cloid/oid: adopted
 * as RESTING (or PARTIALLY_FILLED if info->sz < orig_sz; filled_sz = orig_sz - sz, risk_seq 0,
 * strategy 0), event ACK. Known PENDING_NEW: -> RESTING, ACK. Known otherwise: oid learned,
 * 0. Returns -ENOSPC (counted) if the table is full of live orders, -EINVAL if info has
 * neither cloid nor oid. */
int exec_fsm_adopt(struct exec_fsm *f, const struct hl_order_info *info, uint64_t now_ns,
		   uint64_t now_ms, struct hat_msg_exec *ev);

/* ---------------------------------------------------------------- snapshot */

/* Iterates the live orders for riskd's STATE_REQUEST / after a HELLO: start with *iter = 0;
 * each call writes an OPEN_ORDER row (flags SNAPSHOT; px, sz, remaining_sz, oid, risk_seq)
 * into *ev and returns 1, or returns 0 when done. The table must not change during a walk. */
int exec_fsm_snapshot_next(const struct exec_fsm *f, uint32_t *iter, uint64_t now_ns,
			   struct hat_msg_exec *ev);

#endif
