/* tests/helpers/e2e_rig.h -- the whole pipeline for end-to-end tests: hlsim (background flow on)
 * plus superd supervising the four real stages (feedd, signald, riskd, execd) on a private
 * instance (tests/helpers/pipeline_fixture.h), with execd trading hlsim's funded account A
 * (HP_KEY_A) from a keystore written for the run.
 *
 * The rig talks to superd over its control socket (superd/ctlsock.h) and reads shared memory
 * directly (control blocks, ring indices, the position ring's slots) so the tests do not depend
 * on the operator tools. hlsim's /info is the referee for positions and orders.
 *
 * Test-only (cmocka: failures end the test). One rig per test; e2e_teardown() in the cmocka
 * teardown cleans up whatever a failed test left running.
 */
#ifndef HAT_TESTS_E2E_RIG_H
#define HAT_TESTS_E2E_RIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <cjson/cJSON.h>

#include "common/control.h"
#include "common/msg_types.h"
#include "tests/helpers/hlsim_proc.h"
#include "tests/helpers/pipeline_fixture.h"

#define E2E_STAGES 4
#define E2E_MAX_COINS 8

extern const char *const e2e_stage_names[E2E_STAGES]; /* feedd, signald, riskd, execd */

struct e2e_opts {
	int heartbeat_timeout_ms;  /* superd watchdog (0: 2500) */
	int taker_rate_x10;        /* hlsim noise takers per 10 s (0: 40) */
	const char *extra_repl;    /* more "old\0new\0...\0" replacements for etc/hat.json, or NULL */
};

struct e2e_rig {
	struct hlsim_proc hp;
	struct pf f;
	pid_t superd;
	char sock[512];
	char bindir[4096];
	int metrics_port;
	struct hat_control ctl;    /* read-only view of the control blocks */
	bool ctl_open;
	char addr[43];             /* account A */
	bool started;
};

/* Starts hlsim and superd and waits until every stage is up and ready (fails the test
 * otherwise, printing the logs' tails). r must be zeroed. */
void e2e_start(struct e2e_rig *r, const struct e2e_opts *o);
/* SIGTERM to superd; asserts a clean exit 0 (every stage stopped). */
void e2e_stop(struct e2e_rig *r);
/* Kills whatever is still running, unlinks the segments, removes the directories. */
void e2e_teardown(struct e2e_rig *r);

/* One request on superd's control socket; the parsed answer (caller frees) or NULL. */
cJSON *e2e_ctl(struct e2e_rig *r, const char *req);
/* Sends req and asserts {"ok":true}. */
void e2e_ctl_ok(struct e2e_rig *r, const char *req);
/* A stage's field from {"cmd":"status"}: numeric ("pid", "restarts") or -1. */
long e2e_stage_num(struct e2e_rig *r, const char *stage, const char *field);
/* True if the stage's "run" is run ("up", "backoff", ...). */
bool e2e_stage_run_is(struct e2e_rig *r, const char *stage, const char *run);
/* Waits until the stage is up, ready in its control block and its pid differs from old_pid
 * (0: any). Returns the new pid or -1 on timeout. */
pid_t e2e_wait_stage_back(struct e2e_rig *r, const char *stage, pid_t old_pid, int timeout_ms);

/* The control block of stage (enum hat_stage_id). */
const struct hat_stage_shm *e2e_block(const struct e2e_rig *r, unsigned stage);
/* A counter's value (0 if it is not registered). */
uint64_t e2e_counter(const struct e2e_rig *r, unsigned stage, const char *name);
unsigned e2e_stage_id(const char *name);

/* riskd's latest POSITION per coin, read from the position ring's slots (no consumer role is
 * taken: the slots keep their last message). Returns how many coins were found. */
struct e2e_pos {
	char coin[HAT_COIN_LEN + 1];
	int64_t szi, entry_px, realized_pnl, fees;
	uint16_t open_orders;
	uint64_t seq;
};
int e2e_risk_positions(const struct e2e_rig *r, struct e2e_pos *out, int cap);
/* hlsim's view of account A: szi and entryPx per coin from clearinghouseState (1e-8). */
int e2e_sim_positions(const struct e2e_rig *r, struct e2e_pos *out, int cap);
/* Sum of closedPnl and fee over hlsim's userFills of account A (1e-8); number of fills. */
int e2e_sim_pnl(const struct e2e_rig *r, int64_t *closed, int64_t *fees);
/* Halts trading (superd halt: riskd halts, execd cancels all), then waits until hlsim has no
 * open order of A and riskd's positions equal hlsim's for every coin; asserts equal sizes and,
 * if check_pnl, entry prices, realized PnL and fees (summed over coins, against hlsim's
 * userFills), printing both views on a mismatch. */
void e2e_settle_and_check_positions(struct e2e_rig *r, bool check_pnl);

/* Fails the test if any stage or superd log has a "level":"error" or "fatal" line, except lines
 * containing one of the allowed substrings (NULL-terminated list, may be NULL). */
void e2e_assert_logs_clean(const struct e2e_rig *r, const char *const *allowed);
/* Number of lines in file (of the fixture's log dir) holding text. */
int e2e_log_count(const struct e2e_rig *r, const char *file, const char *text);

/* Orders: cloids execd placed (from its audit trail's requests) against hlsim's
 * historicalOrders of A. Asserts: no cloid with two exchange orders (oids) at hlsim; every
 * cloid hlsim knows (open or finished) was sent by execd (no orphan at the exchange). Prints
 * riskd's open_orders gauge beside hlsim's open count. Past the 1000 finished orders hlsim
 * keeps, only the latest are checked. Returns the number of distinct cloids execd sent. */
int e2e_check_orders(struct e2e_rig *r);

/* Ring checks: for every ring, the messages still in its slots carry seq = index + 1 (the
 * producers' numbering is continuous across restarts) and nothing is stuck (consumer within
 * the ring's capacity of the producer). */
void e2e_check_rings(const struct e2e_rig *r);

/* Prints the tails of every log (after a failure). */
void e2e_tail_logs(const struct e2e_rig *r);
/* Prints a line with the main counters of every stage (for the test log). */
void e2e_print_counters(const struct e2e_rig *r);

#endif
