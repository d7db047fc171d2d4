/* execd/reconcile.h -- bringing execd's view in line with the exchange's (/info).
 *
 * I/O-free core (STYLE rule 12): it says which /info request to send next (JSON body), takes
 * each answer's text, parses it (hl/parse_info.h) and hands the records to the caller's sink,
 * which feeds the order FSM. Requests go one at a time, in this order, because the FSM must
 * see an order's status before its fills:
 *   1. openOrders                     -> sink.open_order per order (the FSM adopts/acks)
 *   2. orderStatus by cloid, for every cloid the caller lists as unknown (the WAL's in-flight
 *      cloids, and live FSM orders missing from openOrders, which the caller adds from
 *      sink.open_done) -> sink.status (known = false: never reached the exchange)
 *   3. userFills                      -> sink.fill per fill (the FSM deduplicates by tid;
 *      fills older than since_ms are skipped)
 *   4. clearinghouseState             -> sink.position per position (and sink.positions_begin)
 *   5. userRateLimit                  -> sink.rate_limit
 * A failed request (transport error, HTTP status, unparsable answer) fails the whole pass:
 * exec_reconcile_failed() tells the caller, who starts over after a pause. Only a complete
 * pass makes execd ready. One per execd; single-threaded.
 */
#ifndef HAT_EXECD_RECONCILE_H
#define HAT_EXECD_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/msg_types.h"
#include "hl/parse_info.h"

#define EXEC_RECON_MAX_UNKNOWN 1024
#define EXEC_RECON_MAX_ITEMS 4096
#define EXEC_RECON_FILLS_PAGE 2000  /* most fills one userFillsByTime answer holds */
#define EXEC_RECON_MAX_BOUNDARY 256 /* fills of one millisecond remembered across pages */

enum exec_recon_step {
	EXEC_RS_IDLE = 0,
	EXEC_RS_OPEN_ORDERS = 1,
	EXEC_RS_ORDER_STATUS = 2,
	EXEC_RS_FILLS = 3,
	EXEC_RS_POSITIONS = 4,
	EXEC_RS_RATE_LIMIT = 5,
	EXEC_RS_DONE = 6,
	EXEC_RS_FAILED = 7,
};

struct exec_recon_sink {
	void *user;
	void (*open_order)(void *user, const struct hl_order_info *o);
	/* openOrders fully applied: the caller may add unknown cloids (exec_reconcile_add_unknown)
	 * for its live orders the exchange did not list. */
	void (*open_done)(void *user, const struct hl_order_info *all, size_t n);
	void (*status)(void *user, const uint8_t cloid[HAT_CLOID_LEN], bool known,
		       const struct hl_order_update *u);
	void (*fill)(void *user, const struct hl_fill *f);
	void (*positions_begin)(void *user);
	void (*position)(void *user, const struct hl_position *p);
	void (*rate_limit)(void *user, uint64_t used, uint64_t cap);
	/* The userFills answer arrived; its fills follow (sink.fill each, oldest first). */
	void (*fills_begin)(void *user);
};

struct exec_reconcile {
	int step;                 /* enum exec_recon_step */
	char user_hex[43];
	uint64_t since_ms;        /* fills at or after this time are applied */
	uint8_t (*unknown)[HAT_CLOID_LEN]; /* owned: cloids to ask about */
	uint32_t n_unknown, next_unknown;
	bool waiting;             /* a request is out */
	struct hl_order_info *orders; /* owned scratch */
	struct hl_fill *fills;        /* owned scratch */
	struct hl_position *positions;/* owned scratch */
	char err[256];            /* why the last pass failed */
	uint64_t passes, failures, requests;
	uint64_t last_fill_ms;    /* newest fill time seen in the last pass */
	/* userFillsByTime pages: a full answer (fills_page fills) means more may follow, asked
	 * from the newest time of the page on; the fills of that millisecond already applied are
	 * remembered by tid so they are not applied twice. */
	uint32_t fills_page;      /* EXEC_RECON_FILLS_PAGE (tests lower it) */
	bool fills_paging;        /* the fills step is past its first page */
	uint32_t n_boundary;
	uint64_t boundary_tids[EXEC_RECON_MAX_BOUNDARY];
	uint64_t fill_pages;      /* extra pages asked (counter) */
	uint64_t fill_pages_stuck;/* a full page within one millisecond: skipped past it */
};

/* Allocates the scratch arrays. user_hex: the account "0x..." (copied). Returns 0, -EINVAL,
 * -ENOMEM. */
int exec_reconcile_init(struct exec_reconcile *r, const char *user_hex);
void exec_reconcile_deinit(struct exec_reconcile *r);

/* Starts a pass. since_ms: time of the last fill already applied (0 = all the exchange has).
 * Unknown cloids added before (and not yet asked by a completed status step) are kept. */
void exec_reconcile_begin(struct exec_reconcile *r, uint64_t since_ms);
/* Adds a cloid whose fate is unknown (duplicates ignored): asked in the current pass if its
 * status step is not over yet, else in the next one. Returns 0 or -ENOSPC. */
int exec_reconcile_add_unknown(struct exec_reconcile *r, const uint8_t cloid[HAT_CLOID_LEN]);

/* The next request's /info body into out (reset first). Returns 1 (send it, then wait for its
 * answer), 0 (nothing to send now: waiting for an answer, or the pass is over). */
int exec_reconcile_next(struct exec_reconcile *r, struct hat_buf *out);
/* The answer to the request in flight: err != 0 or status != 200 fails the pass. Records go
 * to sink. Returns 0, or the error that failed the pass (r->err says why). */
int exec_reconcile_answer(struct exec_reconcile *r, int err, long status, const char *body,
			  size_t len, const struct exec_recon_sink *sink);

static inline bool exec_reconcile_done(const struct exec_reconcile *r)
{
	return r->step == EXEC_RS_DONE;
}
static inline bool exec_reconcile_failed(const struct exec_reconcile *r)
{
	return r->step == EXEC_RS_FAILED;
}
static inline bool exec_reconcile_active(const struct exec_reconcile *r)
{
	return r->step > EXEC_RS_IDLE && r->step < EXEC_RS_DONE;
}

#endif
