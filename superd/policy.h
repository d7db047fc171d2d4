/* superd/policy.h -- when to restart a failed stage, and when to give up.
 *
 * Per stage: exponential backoff between restarts (min doubling to max, reset after the stage
 * has run `stable_ns` without failing) and an intensity limit in the style of Erlang/OTP
 * supervisors: more than max_restarts failures within window_ns escalates (trading is halted,
 * the stage is left down, the operator is told). Pure: time is passed in, nothing is read.
 */
#ifndef HAT_SUPERD_POLICY_H
#define HAT_SUPERD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#define SUP_POLICY_HISTORY 64 /* failures remembered for the intensity window */

struct sup_policy_params {
	uint64_t backoff_min_ns;  /* first restart delay, e.g. 10 ms */
	uint64_t backoff_max_ns;  /* cap, e.g. 5 s */
	uint64_t stable_ns;       /* running this long resets the backoff, e.g. 30 s */
	uint32_t max_restarts;    /* R */
	uint64_t window_ns;       /* T */
};

enum sup_decision {
	SUP_RESTART = 1,   /* restart after *delay_ns */
	SUP_ESCALATE = 2,  /* too many failures in the window: halt trading, leave it down */
};

struct sup_policy {
	struct sup_policy_params p;
	uint64_t next_delay_ns;   /* backoff for the next failure */
	uint64_t started_ns;      /* when the current life started (0 = not running) */
	uint64_t fail_ns[SUP_POLICY_HISTORY];
	uint32_t n_fail;          /* total failures recorded */
	bool escalated;
};

void sup_policy_init(struct sup_policy *pol, const struct sup_policy_params *p);
/* The stage (re)started at now_ns. */
void sup_policy_started(struct sup_policy *pol, uint64_t now_ns);
/* The stage failed at now_ns (exit, crash, or killed by the watchdog). Returns SUP_RESTART with
 * *delay_ns, or SUP_ESCALATE (and stays escalated until sup_policy_reset). */
enum sup_decision sup_policy_failed(struct sup_policy *pol, uint64_t now_ns, uint64_t *delay_ns);
/* Failures within the window ending at now_ns. */
uint32_t sup_policy_recent(const struct sup_policy *pol, uint64_t now_ns);
/* Operator restart or resume: forget failures and the escalation. */
void sup_policy_reset(struct sup_policy *pol);

#endif
