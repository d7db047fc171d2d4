/* execd/router.h -- order routing: batching into actions, signing, in-flight bookkeeping.
 *
 * I/O-free core (STYLE rule 12). Orders and cancels that arrive together are queued per lane
 * and leave as ONE action (one nonce, one signature):
 *   ALO    new post-only orders      -> {"type":"order"} (kept apart from takers: exchange
 *                                       guidance is to batch ALO orders separately)
 *   TAKE   new IOC/GTC orders        -> {"type":"order"}
 *   CANCEL cancels by cloid          -> {"type":"cancelByCloid"}
 *   CANCEL_OID cancels by oid        -> {"type":"cancel"}
 *   MODIFY replaces                  -> {"type":"modify"} (one) or {"type":"batchModify"}
 * A lane is flushed when it holds max_batch items, or batch_window_us after its first item
 * arrived (0 = at the next poll), and only while fewer than max_in_flight requests are out;
 * a flush takes at most max_batch items. A lane holds up to EXEC_BATCH_MAX items, so orders
 * keep being taken from the ring while requests are out (exec_router_full).
 *
 * exec_router_sign() turns a taken batch into the signed /exchange body. The body, once built,
 * is what a retry resends byte for byte (same nonce): a retry can never place an order twice,
 * because the exchange refuses a nonce it has seen.
 *
 * One router per execd; single-threaded. Time (now_us, monotonic) is passed in.
 */
#ifndef HAT_EXECD_ROUTER_H
#define HAT_EXECD_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/msg_types.h"
#include "hl/action.h"
#include "hl/sign.h"

#define EXEC_BATCH_MAX 64

enum exec_lane {
	EXEC_LANE_ALO = 0,
	EXEC_LANE_TAKE = 1,
	EXEC_LANE_CANCEL = 2,
	EXEC_LANE_CANCEL_OID = 3,
	EXEC_LANE_MODIFY = 4,
	EXEC_LANE_COUNT = 5,
};

/* One order, cancel or modify waiting for its batch. */
struct exec_item {
	uint8_t lane;              /* enum exec_lane */
	uint8_t cloid[HAT_CLOID_LEN];      /* NEW/MODIFY: the (new) order's id; CANCEL: target */
	uint8_t orig_cloid[HAT_CLOID_LEN]; /* MODIFY: the order being replaced */
	uint32_t asset;            /* CANCEL/CANCEL_OID: the order's asset */
	uint64_t oid;              /* CANCEL_OID: the order's oid; MODIFY: 0 = by orig_cloid */
	struct hl_order order;     /* NEW/MODIFY: the order wire (cloid set) */
	struct hat_order_fields fields; /* the ORDER's fields as riskd sent them (for the WAL) */
	uint64_t origin_ns;        /* ORDER header origin_ns (tick-to-order latency) */
	uint64_t risk_seq;
	uint64_t seq;              /* arrival order in the router (set by exec_router_add) */
};

struct exec_router_cfg {
	uint32_t batch_window_us;  /* how long a lane waits for company; 0 = flush at next poll */
	uint32_t max_batch;        /* 1..EXEC_BATCH_MAX */
	uint32_t max_in_flight;    /* >= 1 */
};

struct exec_router_lane {
	struct exec_item items[EXEC_BATCH_MAX]; /* up to EXEC_BATCH_MAX wait, whatever max_batch */
	uint32_t n;
	uint64_t first_us;         /* arrival of items[0] */
};

struct exec_router {
	struct exec_router_cfg cfg;
	struct exec_router_lane lanes[EXEC_LANE_COUNT];
	uint32_t in_flight;
	uint64_t next_seq;         /* items added so far */
	uint64_t batches, items;   /* counters: batches taken, items taken */
};

/* Checks cfg and empties r. Returns 0 or -EINVAL (err names the setting). */
int exec_router_init(struct exec_router *r, const struct exec_router_cfg *cfg, char *err,
		     size_t errlen);

/* Lane of a NEW order: ALO when post-only (flag or tif), else TAKE. */
enum exec_lane exec_router_new_lane(const struct hat_order_fields *o);

/* Queues it (copied). Returns 0, -EINVAL (lane out of range), or -ENOBUFS when that lane is
 * full (exec_router_full). */
int exec_router_add(struct exec_router *r, const struct exec_item *it, uint64_t now_us);
/* The lane holds EXEC_BATCH_MAX items: nothing more until a batch leaves. */
bool exec_router_full(const struct exec_router *r, int lane);

/* The lane to flush now (full, or its window elapsed), or -EAGAIN when none is due or the
 * in-flight limit is reached. Of several due lanes, the one whose first item arrived first:
 * requests leave in the order the orders came (with max_batch 1 exactly that order, whatever
 * the timing; a backtest relies on it). Callers that must cancel first use exec_router_take()
 * directly. */
int exec_router_ready(const struct exec_router *r, uint64_t now_us);

/* Forces a lane out regardless of its window (shutdown, cancel-all). Same as ready (oldest
 * first) but ignores the window. Returns the lane or -EAGAIN. */
int exec_router_ready_any(const struct exec_router *r);

/* Moves the lane's oldest items, at most max_batch, to out[0..n) (caller-owned, EXEC_BATCH_MAX
 * room) and counts one request in flight. Returns n (0 if the lane was empty: nothing
 * counted). */
uint32_t exec_router_take(struct exec_router *r, int lane, struct exec_item *out);

/* A request ended (response, or given up): one fewer in flight. */
void exec_router_done(struct exec_router *r);

/* Microseconds from now until a lane becomes due (0 = now), UINT64_MAX when all are empty. */
uint64_t exec_router_next_us(const struct exec_router *r, uint64_t now_us);

/* Items waiting in all lanes. */
uint32_t exec_router_pending(const struct exec_router *r);

/* Appends the action of batch items[0..n) (all of one lane) to json and mp. Returns 0,
 * -EINVAL (n == 0, mixed lanes, bad fields), -ENOMEM. */
int exec_router_action(const struct exec_item *items, uint32_t n, struct hat_buf *json,
		       struct hat_buf *mp);

/* Signs (action json, mp) with nonce and vault (NULL = none) and appends the /exchange body
 * to body. Returns 0, HAT_E_SIGNATURE, -ENOMEM. */
int exec_router_sign(const struct hl_signer *s, const struct hat_buf *json,
		     const struct hat_buf *mp, uint64_t nonce, const uint8_t *vault, bool testnet,
		     struct hat_buf *body);

/* Maps a hat ORDER's fields to an hl_order (asset given: the coin table's). Returns 0 or
 * -EINVAL (bad side/tif/px/sz). */
int exec_order_wire(const struct hat_order_fields *o, uint32_t asset, struct hl_order *out);

#endif
