/* execd/deadman.h -- the exchange-side dead-man's switch (scheduleCancel) schedule.
 *
 * I/O-free core (STYLE rule 12). While execd is healthy (reconciled, riskd alive) the switch is
 * kept armed ahead_ms into the future and re-armed every rearm_ms, so that if execd (or riskd
 * behind it) stops, the exchange cancels every open order at most ahead_ms later. When
 * unhealthy the switch is simply not refreshed: it fires on its own. The exchange rules it
 * respects: the time must be at least EXEC_DM_MIN_DELAY_MS after now, and at most
 * max_triggers_per_day triggers per UTC day: when the budget is spent (we saw that many
 * scheduledCancel events today) it stops arming and says so (exec_deadman_exhausted()).
 *
 * Time is wall-clock milliseconds (the exchange's clock), passed in. One per execd.
 */
#ifndef HAT_EXECD_DEADMAN_H
#define HAT_EXECD_DEADMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXEC_DM_MIN_DELAY_MS 5000u
#define EXEC_DM_DAY_MS 86400000ull

struct exec_deadman_cfg {
	uint32_t ahead_ms;             /* armed deadline = now + ahead_ms; 0 = switch disabled */
	uint32_t rearm_ms;             /* re-arm this often; < ahead_ms - EXEC_DM_MIN_DELAY_MS */
	uint32_t max_triggers_per_day; /* exchange budget (10) */
	uint32_t retry_ms;             /* after a failed arm request */
};

enum exec_dm_action {
	EXEC_DM_NONE = 0,
	EXEC_DM_ARM = 1,     /* send scheduleCancel {time: *time_ms}, then exec_deadman_sent() */
	EXEC_DM_DISARM = 2,  /* send scheduleCancel {} (clean shutdown), then exec_deadman_sent() */
};

struct exec_deadman {
	struct exec_deadman_cfg cfg;
	bool in_flight;          /* a request is out */
	bool disarm_wanted;
	uint64_t armed_until_ms; /* deadline the exchange accepted last, 0 = not armed */
	uint64_t pending_ms;     /* deadline of the request in flight (0 = disarm) */
	uint64_t next_ms;        /* earliest time of the next arm */
	uint64_t day;            /* UTC day number of triggers_today */
	uint32_t triggers_today;
	uint64_t arms, arm_failures, triggers; /* counters */
};

/* Checks cfg (ahead_ms 0 or >= EXEC_DM_MIN_DELAY_MS + rearm_ms... see source). Returns 0 or
 * -EINVAL with err naming the setting. */
int exec_deadman_init(struct exec_deadman *d, const struct exec_deadman_cfg *cfg, char *err,
		      size_t errlen);

/* What to do now. healthy: execd is reconciled and riskd alive. On ARM, *time_ms is the
 * deadline to send. At most one request is in flight. */
enum exec_dm_action exec_deadman_poll(struct exec_deadman *d, uint64_t now_ms, bool healthy,
				      uint64_t *time_ms);

/* The request of the last poll went out. */
void exec_deadman_sent(struct exec_deadman *d, uint64_t time_ms);
/* Its answer: ok (the exchange accepted) or not (transport error, err response). */
void exec_deadman_result(struct exec_deadman *d, bool ok, uint64_t now_ms);
/* A clean shutdown wants the switch removed (next poll says DISARM). */
void exec_deadman_want_disarm(struct exec_deadman *d);
/* The switch fired (orders with status scheduledCancel were seen): counts against today's
 * budget and forgets the armed deadline. */
void exec_deadman_triggered(struct exec_deadman *d, uint64_t now_ms);
/* True when today's trigger budget is spent (arming stopped until the next UTC day). */
bool exec_deadman_exhausted(const struct exec_deadman *d, uint64_t now_ms);

#endif
