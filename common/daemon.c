/* common/stage.c -- the shared start-up, heartbeat and command path of every stage. */
#include "common/daemon.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/instance.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void hat_daemon_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool hat_daemon_stop_requested(void)
{
	return stop_flag != 0;
}

void hat_daemon_stop_reset(void)
{
	stop_flag = 0;
}

int hat_daemon_args_parse(struct hat_daemon_args *a, int argc, char **argv, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	a->config_path = "etc/hat.json";
	a->log_level = HAT_LOG_INFO;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		const char **dst = NULL;
		if (strcmp(opt, "--config") == 0)
			dst = &a->config_path;
		else if (strcmp(opt, "--instance") == 0)
			dst = &a->instance;
		else if (strcmp(opt, "--log") == 0)
			dst = &a->log_path;
		if (dst || strcmp(opt, "--log-level") == 0) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "%s: missing value", opt);
				return HAT_E_CONFIG;
			}
			const char *v = argv[++i];
			if (dst) {
				*dst = v;
				continue;
			}
			int lvl = hat_log_level_parse(v);
			if (lvl < 0) {
				snprintf(err, errlen, "--log-level: unknown level '%s' (debug|info|warn|error)", v);
				return HAT_E_CONFIG;
			}
			a->log_level = lvl;
			continue;
		}
		if (a->n_rest >= HAT_DAEMON_MAX_REST) {
			snprintf(err, errlen, "too many arguments (at most %d besides the common ones)",
				 HAT_DAEMON_MAX_REST);
			return HAT_E_CONFIG;
		}
		a->rest[a->n_rest++] = argv[i];
	}
	if (a->log_path && strcmp(a->log_path, "-") == 0)
		a->log_path = NULL;
	return 0;
}

int hat_daemon_open(struct hat_daemon *st, unsigned id, const struct hat_daemon_args *a, char *err,
		   size_t errlen)
{
	memset(st, 0, sizeof *st);
	st->id = id;
	st->hb_interval_ns = 100 * HAT_NS_PER_MS;
	const char *name = hat_stage_name(id);
	int rc = hat_log_open(&st->log, name, a->log_path, a->log_level, err, errlen);
	if (rc != 0)
		return rc;
	hat_log_set_process(&st->log);
	rc = hat_config_load(&st->cfg, &st->doc, a->config_path, err, errlen);
	if (rc != 0)
		goto fail_log;
	if (a->instance) {
		if (strlen(a->instance) >= sizeof st->cfg.instance) {
			snprintf(err, errlen, "--instance: name too long (max %zu bytes)",
				 sizeof st->cfg.instance - 1);
			rc = HAT_E_CONFIG;
			goto fail_doc;
		}
		snprintf(st->cfg.instance, sizeof st->cfg.instance, "%s", a->instance);
	}
	char e2[256];
	rc = hat_control_open(&st->control, st->cfg.instance, 0, e2, sizeof e2);
	if (rc != 0) {
		snprintf(err, errlen, "%s (superd creates the segments: start the pipeline with "
			 "scripts/launch.sh, or create them with superd --create-only)", e2);
		goto fail_doc;
	}
	st->blk = hat_control_stage(&st->control, id);
	if (!st->blk) {
		snprintf(err, errlen, "stage id %u has no control block", id);
		rc = -EINVAL;
		goto fail_ctl;
	}
	hat_stage_begin(st->blk, getpid(), hat_mono_ns(), hat_now_ns());
	hat_doorbell_disarm(&st->blk->bell); /* a killed predecessor may have left it armed */
	/* Timed waits (idle waits with a timeout, short sleeps) end within 1 us of their time
	 * instead of the default 50 us slack: latency, not power, is what a stage trades. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	st->last_hb_mono = hat_mono_ns();
	hat_counter_register(st->blk, "cmd_in", &st->c_cmd_in);
	hat_counter_register(st->blk, "cmd_rejects", &st->c_cmd_rejects);
	hat_msg_rejects_init(&st->cmd_rejects);
	const char *cmd = hat_instance_cmd_ring(id);
	if (cmd) {
		rc = hat_daemon_ring(st, &st->cmd, cmd, HAT_RING_CONSUMER, err, errlen);
		if (rc != 0)
			goto fail_ctl;
	}
	hat_log(&st->log, HAT_LOG_INFO, "start", "instance=%s pid=%d restarts=%u config=%s",
		st->cfg.instance, (int)getpid(), st->blk->restart_count, a->config_path);
	return 0;
fail_ctl:
	hat_control_close(&st->control);
fail_doc:
	hat_config_doc_free(&st->doc);
fail_log:
	hat_log_close(&st->log);
	return rc;
}

int hat_daemon_ring(struct hat_daemon *st, struct hat_ring *r, const char *name, int role,
		   char *err, size_t errlen)
{
	const struct hat_ring_def *d = hat_instance_ring(name);
	if (!d) {
		snprintf(err, errlen, "ring %s: not a ring of the instance", name);
		return -EINVAL;
	}
	int rc = hat_ring_attach(r, st->cfg.instance, name, role, d->slot_size, 0, err, errlen);
	if (rc != 0)
		hat_log(&st->log, HAT_LOG_ERROR, "ring_attach_failed", "ring=%s error=%s", name, err);
	else if (role == HAT_RING_PRODUCER)
		hat_ring_set_doorbell(r, &hat_control_stage(&st->control, d->consumer)->bell);
	return rc;
}

void hat_daemon_idle(struct hat_daemon *st, struct hat_ring *const *inputs, unsigned n,
		     uint64_t max_ns, bool quiet)
{
	struct hat_doorbell *b = &st->blk->bell;
	if (quiet)
		hat_stage_quiet_enter(st->blk); /* before the re-check below: see control.h */
	uint32_t seq = hat_doorbell_arm(b);
	bool input = st->cmd.sh && hat_ring_has_input(&st->cmd);
	for (unsigned i = 0; i < n && !input; i++)
		input = hat_ring_has_input(inputs[i]);
	if (input)
		hat_doorbell_disarm(b);
	else
		hat_doorbell_wait(b, seq, max_ns);
	if (quiet)
		hat_stage_quiet_leave(st->blk);
}

void hat_daemon_set_ready(struct hat_daemon *st, bool ready)
{
	hat_daemon_set_state(st, HAT_STATE_RUNNING);
	hat_stage_set_ready(st->blk, ready);
}

void hat_daemon_set_state(struct hat_daemon *st, unsigned state)
{
	hat_stage_set_state(st->blk, state);
}

void hat_daemon_tick(struct hat_daemon *st, uint64_t mono_ns)
{
	if (mono_ns - st->last_hb_mono < st->hb_interval_ns)
		return;
	st->last_hb_mono = mono_ns;
	hat_stage_heartbeat(st->blk, mono_ns);
}

int hat_daemon_peek(struct hat_daemon *st, struct hat_ring *r, uint32_t allowed,
		    struct hat_msg_rejects *rej, const void **msg)
{
	for (;;) {
		const void *slot;
		int rc = hat_ring_peek(r, &slot);
		if (rc == -EPROTO) {
			/* Corrupt indices: nothing can be trusted on this ring. Say so (rate-limited by
			 * the reject counter) and degrade; superd and the inspector show the state. */
			rej->total++;
			if (rej->total <= 10 || rej->total % 1000 == 0)
				hat_log(&st->log, HAT_LOG_ERROR, "ring_corrupt", "total=%llu todo=%s",
					(unsigned long long)rej->total,
					"indices of an input ring are corrupt: stop the pipeline and recreate "
					"the segments (superd --fresh)");
			hat_daemon_set_state(st, HAT_STATE_DEGRADED);
			return 0;
		}
		if (rc != 0)
			return 0;
		char err[160];
		if (hat_msg_accept(rej, slot, hat_ring_slot_size(r), allowed, err, sizeof err) == 0) {
			*msg = slot;
			return 1;
		}
		hat_ring_release(r);
		/* Log the first few and then every 1000th: a flood of garbage must not flood the log. */
		if (rej->total <= 10 || rej->total % 1000 == 0)
			hat_log(&st->log, HAT_LOG_WARN, "msg_rejected", "total=%llu error=%s",
				(unsigned long long)rej->total, err);
	}
}

int hat_daemon_poll_cmd(struct hat_daemon *st, struct hat_msg_control *out)
{
	if (!st->cmd.sh)
		return 0;
	const void *m;
	uint64_t before = st->cmd_rejects.total;
	int got = hat_daemon_peek(st, &st->cmd, HAT_MSGS_CMD, &st->cmd_rejects, &m);
	hat_counter_add(st->c_cmd_rejects, st->cmd_rejects.total - before);
	if (!got)
		return 0;
	memcpy(out, m, sizeof *out);
	hat_ring_release(&st->cmd);
	hat_counter_inc(st->c_cmd_in);
	return 1;
}

void hat_daemon_close(struct hat_daemon *st)
{
	if (st->blk) {
		hat_stage_set_ready(st->blk, false);
		hat_stage_set_state(st->blk, HAT_STATE_STOPPED);
	}
	hat_log(&st->log, HAT_LOG_INFO, "stop", "pid=%d", (int)getpid());
	hat_ring_detach(&st->cmd);
	hat_control_close(&st->control);
	hat_config_doc_free(&st->doc);
	hat_log_close(&st->log);
}
