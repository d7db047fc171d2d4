/* riskd/state.h -- riskd's trading state (the kill switch): ACTIVE, REDUCING, HALTED.
 *
 *   ACTIVE    every check applies; orders may add exposure.
 *   REDUCING  only orders that reduce a position are approved (limits.h).
 *   HALTED    nothing new is approved (cancels still are); on entry riskd sends one
 *             CANCEL_ALL to execd.
 *
 * Causes and transitions (cause codes below, each with a text):
 *   operator HALT (command ring)              -> HALTED
 *   superd ESCALATE                           -> HALTED
 *   daily loss: total PnL <= -max_daily_loss  -> HALTED
 *   drawdown: peak equity - equity >= max_drawdown_bps of the peak -> HALTED
 *   rejects: >= max_rejects exchange rejects within reject_window_ns -> REDUCING
 *   stale data: no fresh mark on any coin for stale_ns -> REDUCING; back to ACTIVE on its own
 *             once data is fresh, if stale data was the only reason for REDUCING
 *   operator REDUCE                           -> REDUCING
 *   operator RESUME                           -> ACTIVE, from anything; the day's peak equity
 *             restarts at the current equity and the reject window is emptied. A daily loss
 *             still past its limit halts again at the next evaluation.
 * A transition only ever goes to a stricter state automatically (ACTIVE < REDUCING < HALTED);
 * the one automatic loosening is the stale-data recovery above. Moving to the state one is
 * already in changes nothing (no second CANCEL_ALL).
 * Equity = start_equity + total PnL. A new UTC day (risk_state_new_day) resets the peak.
 * Pure: time is passed in; outputs are the returned action bits, which the engine turns into
 * messages and log lines. Single-threaded.
 */
#ifndef HAT_RISKD_STATE_H
#define HAT_RISKD_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/msg_types.h"

enum risk_cause {
	RISK_CAUSE_NONE = 0,
	RISK_CAUSE_START = 1,       /* initial state */
	RISK_CAUSE_OPERATOR = 2,    /* HALT / RESUME / REDUCE command */
	RISK_CAUSE_ESCALATION = 3,  /* superd: restart intensity exceeded */
	RISK_CAUSE_DAILY_LOSS = 4,
	RISK_CAUSE_DRAWDOWN = 5,
	RISK_CAUSE_REJECTS = 6,
	RISK_CAUSE_STALE_DATA = 7,
	RISK_CAUSE_DATA_FRESH = 8,  /* stale-data recovery */
};

/* Bits returned by the transition functions. */
enum risk_state_action {
	RISK_SA_CHANGED = 1u << 0,    /* the state changed: log it, publish it */
	RISK_SA_CANCEL_ALL = 1u << 1, /* just entered HALTED: send CANCEL_ALL to execd once */
};

#define RISK_REJECT_WINDOW_MAX 1024 /* largest max_rejects */

struct risk_state_cfg {
	int64_t start_equity;      /* USD 1e-8, > 0 */
	int64_t max_daily_loss;    /* USD 1e-8, > 0 */
	uint32_t max_drawdown_bps; /* 1..10000 */
	uint32_t max_rejects;      /* 1..RISK_REJECT_WINDOW_MAX */
	uint64_t reject_window_ns; /* > 0 */
	uint64_t stale_ns;         /* > 0 */
};

struct risk_state {
	struct risk_state_cfg cfg;
	uint8_t st;                /* enum hat_trading_state */
	uint8_t cause;             /* enum risk_cause of the last transition */
	uint8_t prev;              /* state before the last transition */
	char text[48];             /* cause text of the last transition (NUL-terminated) */
	uint64_t since_ns;         /* time of the last transition */
	uint64_t init_ns;          /* time of risk_state_init */
	uint64_t transitions;      /* count */
	uint64_t cancel_alls;      /* CANCEL_ALL actions returned */
	int64_t peak_equity;       /* the day's peak (1e-8) */
	int64_t equity;            /* last evaluated (1e-8) */
	bool stale;                /* the last data evaluation found stale data */
	uint64_t rejects[RISK_REJECT_WINDOW_MAX]; /* ring of reject times (ns) */
	uint32_t rej_head, rej_n;
};

/* Validates cfg and starts ACTIVE with cause START. Returns 0 or -EINVAL. */
int risk_state_init(struct risk_state *s, const struct risk_state_cfg *cfg, uint64_t now_ns);

/* Checks the legal combinations (debug: assert(risk_state_check(s))). */
bool risk_state_check(const struct risk_state *s);

/* Moves to `to` for `cause`, with text (may be NULL; copied, truncated to 47 bytes).
 * Returns action bits (0 if already in `to`). */
unsigned risk_state_set(struct risk_state *s, uint8_t to, uint8_t cause, const char *text,
                        uint64_t now_ns);

/* Operator/superd commands: HAT_CTL_HALT, HAT_CTL_RESUME, HAT_CTL_REDUCE, HAT_CTL_ESCALATE.
 * text names who/why (may be NULL). Returns action bits; other commands return 0. */
unsigned risk_state_command(struct risk_state *s, uint16_t cmd, const char *text,
                            uint64_t now_ns);

/* Evaluates the PnL rules with the account's total PnL (realized + unrealized - fees, 1e-8):
 * updates equity and the day's peak, then daily loss, then drawdown. Returns action bits. */
unsigned risk_state_on_pnl(struct risk_state *s, int64_t total_pnl, uint64_t now_ns);

/* Records one exchange reject at now_ns; past max_rejects within the window -> REDUCING.
 * Returns action bits. */
unsigned risk_state_on_reject(struct risk_state *s, uint64_t now_ns);

/* Evaluates data freshness: newest_mark_ns is the newest mark time over all coins (0 = none
 * ever). Stale when now_ns - newest_mark_ns > stale_ns (or none ever after stale_ns since
 * init). Returns action bits. */
unsigned risk_state_on_data(struct risk_state *s, uint64_t newest_mark_ns, uint64_t now_ns);

/* Starts a new trading day: the peak equity becomes the current equity. */
void risk_state_new_day(struct risk_state *s);

const char *risk_state_name(uint8_t st);
const char *risk_cause_name(uint8_t cause);

#endif
