/* common/daemon.h -- what every pipeline stage does the same way: arguments, config, log,
 * control block, command ring, heartbeats and stop signals.
 *
 * A daemon's main() is then: hat_daemon_args_parse(), hat_daemon_open(), attach its data rings
 * with hat_daemon_ring(), init its modules, hat_daemon_set_ready() once its start-up snapshot is
 * in, and loop { run_once(); hat_daemon_tick(); } until hat_daemon_stop_requested(), then
 * hat_daemon_close(). The stage lifecycle of STYLE rules 10 and 11 (init / run_once / drain /
 * deinit) sits on top of this.
 *
 * Common command line (every stage):
 *   --config FILE      configuration (default etc/hat.json)
 *   --instance NAME    override the config's instance
 *   --log FILE         log file (default: stderr); "-" = stderr
 *   --log-level LEVEL  debug|info|warn|error (default info)
 * Other arguments are left for the daemon in args->rest (argv order kept).
 *
 * Signals: SIGTERM and SIGINT set a flag (hat_daemon_stop_requested()); SIGPIPE is ignored.
 * These flags are the only file-scope mutable state (STYLE rule 9).
 */
#ifndef HAT_COMMON_DAEMON_H
#define HAT_COMMON_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/control.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/ring.h"

#define HAT_DAEMON_MAX_REST 32

struct hat_daemon_args {
	const char *config_path;   /* borrowed from argv */
	const char *instance;      /* NULL = config's */
	const char *log_path;      /* NULL = stderr */
	int log_level;
	int n_rest;
	char *rest[HAT_DAEMON_MAX_REST]; /* arguments the common parser did not take */
};

struct hat_daemon {
	unsigned id;                /* enum hat_stage_id */
	struct hat_config cfg;
	struct hat_config_doc doc;  /* kept: the daemon applies its own section from it */
	struct hat_log log;
	struct hat_control control;
	struct hat_stage_shm *blk;  /* this stage's control block */
	struct hat_ring cmd;        /* superd -> this stage (consumer) */
	struct hat_msg_rejects cmd_rejects;
	struct hat_counter c_cmd_in, c_cmd_rejects;
	uint64_t hb_interval_ns;
	uint64_t last_hb_mono;
};

/* Parses the common options; unknown ones go to a->rest. Returns 0, or HAT_E_CONFIG with err
 * ("--instance: missing value", "--log-level: unknown level 'loud' (debug|info|warn|error)").
 * argv is borrowed for as long as a is used. */
int hat_daemon_args_parse(struct hat_daemon_args *a, int argc, char **argv, char *err, size_t errlen);

/* Loads the config, opens the log (and makes it the process logger), opens the control
 * segment, starts this stage's block (pid, STARTING, heartbeat) and attaches the stage's
 * command ring as its consumer. Logs a "start" line. Returns 0, or the first error with err
 * saying what failed and what to do (for example that superd must create the segments first).
 * On error nothing stays open. */
int hat_daemon_open(struct hat_daemon *st, unsigned id, const struct hat_daemon_args *a, char *err,
		   size_t errlen);

/* Attaches ring name (one of hat_instance_rings()) in role, checking its slot size, and logs a
 * failure. Returns what hat_ring_attach() returns. */
int hat_daemon_ring(struct hat_daemon *st, struct hat_ring *r, const char *name, int role,
		   char *err, size_t errlen);

/* Marks the stage running and ready (or not ready) in its control block. */
void hat_daemon_set_ready(struct hat_daemon *st, bool ready);
void hat_daemon_set_state(struct hat_daemon *st, unsigned state);

/* The idle wait of a stage whose pass found nothing to do: sleeps until a message is in one of
 * inputs (its n input rings, consumer handles) or its command ring, or max_ns pass (timers,
 * sockets). Producers attached with hat_daemon_ring() wake it through the stage's doorbell
 * (doorbell.h) within a futex wake-up, so a message never waits for a sleep to end.
 * quiet: the stage has no work of its own outstanding (see hat_stage_quiet_enter()): the
 * wait is then marked quiet in its control block. */
void hat_daemon_idle(struct hat_daemon *st, struct hat_ring *const *inputs, unsigned n,
		     uint64_t max_ns, bool quiet);

/* Before-sleep hook: heartbeat at most every hb_interval (mono_ns = hat_mono_ns()). */
void hat_daemon_tick(struct hat_daemon *st, uint64_t mono_ns);

/* Pops one command from the command ring. Returns 1 with *out filled, 0 if none, and counts,
 * logs (rate-limited by the caller's cadence) and drops an invalid message (returning 0). */
int hat_daemon_poll_cmd(struct hat_daemon *st, struct hat_msg_control *out);

/* Zero-copy consume: *msg = the oldest message of r that validates for allowed (message types
 * the ring carries). Invalid messages before it are released, counted in rej and logged
 * (the first ten, then every 1000th). Returns 1 (handle *msg, then hat_ring_release(r): a
 * stage killed in between finds the message again after its restart), or 0 if r is empty. */
int hat_daemon_peek(struct hat_daemon *st, struct hat_ring *r, uint32_t allowed,
		    struct hat_msg_rejects *rej, const void **msg);

/* Marks the block STOPPED, detaches the command ring, closes control and log. */
void hat_daemon_close(struct hat_daemon *st);

/* Signal flags. */
void hat_daemon_signals_install(void);
bool hat_daemon_stop_requested(void);
/* For tests: clears the flag. */
void hat_daemon_stop_reset(void);

#endif
