/* superd/super.h -- the supervisor: starts, watches, restarts and stops the stages.
 *
 * superd creates the instance's segments (common/instance.h), then starts the stages in
 * dependency order (consumers before producers: execd, riskd, signald, feedd), each with its
 * own log file, waiting for each to report ready in its control block (or ready_timeout) before
 * starting the next. It then watches:
 *   - child exits (SIGCHLD): a stage that dies is restarted alone after its backoff
 *     (superd/policy.h); past the intensity limit superd escalates: HALT to riskd and
 *     CANCEL_ALL to execd through their command rings, the stage left down, a loud log line;
 *   - heartbeats: a running stage whose heartbeat is older than heartbeat_timeout (and that is
 *     past its start grace) is SIGKILLed, which then counts as a failure;
 *   - after a failure, repairs what the dead stage may have left: a board seqlock left odd by
 *     feedd (hat_board_repair via set_writer is feedd's own on restart; superd marks the board
 *     stale so readers stop trusting it meanwhile).
 * Operator commands (control socket, superd/ctlsock.h): status, restart STAGE (clean
 * SIGTERM then immediate start, no backoff, policy reset), halt, resume, cancel-all, stop.
 * Stop (SIGTERM/SIGINT or "stop"): CANCEL_ALL to execd, wait cancel_wait, then SIGTERM the stages
 * producers first (feedd, signald, riskd, execd), SIGKILL after stop_timeout; a second signal
 * forces (SIGKILL everything now).
 * Runs on a libuv loop; every decision is in small functions tests can drive.
 */
#ifndef HAT_SUPERD_SUPER_H
#define HAT_SUPERD_SUPER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "common/buf.h"
#include "common/daemon.h"
#include "common/ring.h"
#include "superd/config.h"
#include "superd/policy.h"

enum sup_stage_run {
	SUP_DOWN = 0,      /* not started yet, or stopped by the operator */
	SUP_STARTING,      /* spawned, not ready yet */
	SUP_UP,            /* ready */
	SUP_BACKOFF,       /* failed, waiting to restart */
	SUP_STOPPING,      /* SIGTERM sent */
	SUP_ESCALATED,     /* gave up: left down, trading halted */
};

struct sup_stage {
	unsigned id;              /* enum hat_stage_id */
	const char *name;
	pid_t pid;
	int run;                  /* enum sup_stage_run */
	struct sup_policy pol;
	uint64_t spawned_mono;    /* when the current process was started */
	uint64_t restart_at_mono; /* SUP_BACKOFF: when to restart */
	uint64_t kill_at_mono;    /* SUP_STOPPING: when to SIGKILL */
	bool restart_after_stop;  /* operator restart: start again once it exited */
	uint32_t restarts;        /* by superd (also in the control block) */
	int last_status;          /* wait status of the last exit */
	struct hat_ring cmd;      /* superd -> stage commands (producer) */
};

struct superd {
	struct hat_daemon d;      /* superd's own runtime (control block SUPERD, log) */
	struct sup_config cfg;
	struct hat_daemon_args args;
	char config_path[512];
	char bin_dir[512];
	char log_dir[512];
	struct sup_stage st[SUP_MAX_STAGES];
	int n;                    /* stages, in start order (consumers first) */
	int start_next;           /* index of the next stage to start during start-up */
	bool starting;            /* start-up sequence in progress */
	int stopping;             /* 0, 1 = graceful stop in progress, 2 = forced */
	uint64_t stop_began_mono;
	bool trading_halted;      /* by escalation or operator */
	uv_loop_t *loop;
	uv_signal_t sig_chld, sig_term, sig_int;
	uv_timer_t tick;
	struct hat_counter c_restarts, c_escalations, c_watchdog_kills;
	void *ctl;                /* struct sup_ctlsock * */
	void *metrics;            /* struct sup_metrics_srv * */
	char ctl_path[512];
};

/* Parses arguments (common ones plus --bin-dir DIR, --fresh, --create-only), loads the
 * config, creates the segments, opens superd's control block and the command rings. Does not
 * start stages. Returns 0 or an error with err. */
int sup_init(struct superd *s, int argc, char **argv, uv_loop_t *loop, char *err, size_t errlen);
/* Starts the watch timer, signal handlers, control socket, metrics and the start-up sequence,
 * and runs the loop until every stage is down after a stop (superd/run.c).
 * Returns 0, or an error with err if the control socket or metrics could not listen. */
int sup_run(struct superd *s, char *err, size_t errlen);
/* One pass of the supervision logic at mono_ns (called by the timer; tests may call it). */
void sup_step(struct superd *s, uint64_t mono_ns);
/* Reaps exited children and acts on each (called on SIGCHLD). */
void sup_reap(struct superd *s, uint64_t mono_ns);
/* Operator commands. Return 0 or a negative errno with err. */
int sup_restart_stage(struct superd *s, const char *name, char *err, size_t errlen);
int sup_send_all(struct superd *s, uint16_t cmd, const char *why);
void sup_request_stop(struct superd *s, bool force);
/* JSON status of every stage into out. */
void sup_status_json(struct superd *s, struct hat_buf *out, uint64_t mono_ns);
/* True once every stage is down after a stop. */
bool sup_done(const struct superd *s);
void sup_deinit(struct superd *s);

const char *sup_run_name(int run);

#endif
