/* superd/super.c -- start, watch, restart and stop the stages. */
#include "superd/super.h"
#include "common/board.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/instance.h"
#include "common/msg.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MS HAT_NS_PER_MS

const char *sup_run_name(int run)
{
	static const char *const names[] = { "down", "starting", "up", "backoff", "stopping",
					     "escalated" };
	return run >= 0 && run <= SUP_ESCALATED ? names[run] : "?";
}

static struct hat_stage_shm *blk(struct superd *s, struct sup_stage *t)
{
	return hat_control_stage(&s->d.control, t->id);
}

static struct sup_stage *find(struct superd *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->st[i].name, name) == 0)
			return &s->st[i];
	return NULL;
}

static struct sup_stage *find_id(struct superd *s, unsigned id)
{
	for (int i = 0; i < s->n; i++)
		if (s->st[i].id == id)
			return &s->st[i];
	return NULL;
}

/* ---------------------------------------------------------------- set-up */

static int mkdirs(const char *path)
{
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int parse_rest(struct superd *s, bool *fresh, bool *create_only, char *err, size_t errlen)
{
	for (int i = 0; i < s->args.n_rest; i++) {
		const char *a = s->args.rest[i];
		if (strcmp(a, "--fresh") == 0) {
			*fresh = true;
		} else if (strcmp(a, "--create-only") == 0) {
			*create_only = true;
		} else if (strcmp(a, "--bin-dir") == 0 && i + 1 < s->args.n_rest) {
			snprintf(s->bin_dir, sizeof s->bin_dir, "%s", s->args.rest[++i]);
		} else {
			snprintf(err, errlen, "unknown argument '%s' (superd takes --config, --instance, "
				 "--log, --log-level, --bin-dir DIR, --fresh, --create-only)", a);
			return HAT_E_CONFIG;
		}
	}
	return 0;
}

int sup_init(struct superd *s, int argc, char **argv, uv_loop_t *loop, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->loop = loop;
	int rc = hat_daemon_args_parse(&s->args, argc, argv, err, errlen);
	bool fresh = false, create_only = false;
	if (rc == 0)
		rc = parse_rest(s, &fresh, &create_only, err, errlen);
	if (rc != 0)
		return rc;
	/* The segments must exist before superd opens its own control block in them. */
	struct hat_config cfg;
	struct hat_config_doc doc;
	rc = hat_config_load(&cfg, &doc, s->args.config_path, err, errlen);
	if (rc != 0)
		return rc;
	if (s->args.instance)
		snprintf(cfg.instance, sizeof cfg.instance, "%s", s->args.instance);
	rc = hat_instance_create(&cfg, fresh, err, errlen);
	hat_config_doc_free(&doc);
	if (rc != 0)
		return rc;
	if (create_only)
		return 1;
	rc = hat_daemon_open(&s->d, HAT_STAGE_SUPERD, &s->args, err, errlen);
	if (rc != 0)
		return rc;
	rc = sup_config_load(&s->cfg, &s->d.doc, err, errlen);
	if (rc != 0)
		goto fail;
	if (!realpath(s->args.config_path, s->config_path))
		snprintf(s->config_path, sizeof s->config_path, "%s", s->args.config_path);
	if (!s->bin_dir[0] && s->cfg.bin_dir[0])
		snprintf(s->bin_dir, sizeof s->bin_dir, "%s", s->cfg.bin_dir);
	if (!s->bin_dir[0]) {
		char exe[512];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (n <= 0) {
			snprintf(err, errlen, "readlink(/proc/self/exe) failed: %s (pass --bin-dir)",
				 strerror(errno));
			rc = -errno;
			goto fail;
		}
		exe[n] = '\0';
		snprintf(s->bin_dir, sizeof s->bin_dir, "%s", dirname(exe));
	}
	snprintf(s->log_dir, sizeof s->log_dir, "%s", s->d.cfg.paths.log_dir);
	if ((rc = mkdirs(s->log_dir)) != 0 || (rc = mkdirs(s->d.cfg.paths.run_dir)) != 0) {
		snprintf(err, errlen, "cannot create %s or %s: %s (check paths in %s)", s->log_dir,
			 s->d.cfg.paths.run_dir, strerror(-rc), s->config_path);
		goto fail;
	}
	struct sup_policy_params pp = {
		.backoff_min_ns = (uint64_t)s->cfg.backoff_min_ms * MS,
		.backoff_max_ns = (uint64_t)s->cfg.backoff_max_ms * MS,
		.stable_ns = (uint64_t)s->cfg.stable_ms * MS,
		.max_restarts = s->cfg.max_restarts,
		.window_ns = (uint64_t)s->cfg.window_s * HAT_NS_PER_S,
	};
	/* Start order is the reverse of the configured producers-first list. */
	s->n = (int)s->cfg.n_stages;
	for (int i = 0; i < s->n; i++) {
		struct sup_stage *t = &s->st[i];
		t->id = s->cfg.stage_ids[s->n - 1 - i];
		t->name = hat_stage_name(t->id);
		sup_policy_init(&t->pol, &pp);
		rc = hat_daemon_ring(&s->d, &t->cmd, hat_instance_cmd_ring(t->id), HAT_RING_PRODUCER,
				     err, errlen);
		if (rc != 0)
			goto fail;
	}
	hat_counter_register(s->d.blk, "restarts", &s->c_restarts);
	hat_counter_register(s->d.blk, "escalations", &s->c_escalations);
	hat_counter_register(s->d.blk, "watchdog_kills", &s->c_watchdog_kills);
	snprintf(s->ctl_path, sizeof s->ctl_path, "%s/superd.%s.sock", s->d.cfg.paths.run_dir,
		 s->d.cfg.instance);
	return 0;
fail:
	hat_log(&s->d.log, HAT_LOG_ERROR, "init_failed", "error=%s", err);
	sup_deinit(s);
	return rc;
}

/* ---------------------------------------------------------------- processes */

static int spawn(struct superd *s, struct sup_stage *t, uint64_t mono, bool is_restart)
{
	char bin[600], logf[600];
	snprintf(bin, sizeof bin, "%s/%s", s->bin_dir, t->name);
	snprintf(logf, sizeof logf, "%s/%s.log", s->log_dir, t->name);
	if (is_restart) {
		t->restarts++;
		hat_stage_note_restart(blk(s, t));
		hat_counter_inc(s->c_restarts);
	}
	pid_t pid = fork();
	if (pid < 0) {
		hat_log_syserr(&s->d.log, "fork", t->name, errno);
		return -errno;
	}
	if (pid == 0) {
		/* Own process group: a Ctrl-C on the terminal reaches superd only, which then stops
		 * the stages in order (cancel-all first) instead of all at once. */
		setpgid(0, 0);
		/* If superd itself dies, the stages stop instead of running unsupervised (execd's
		 * exchange-side dead-man's switch then protects resting orders). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		char *argv[] = { bin, "--config", s->config_path, "--instance", s->d.cfg.instance,
				 "--log", logf, NULL };
		execv(bin, argv);
		fprintf(stderr, "superd: execv(%s) failed: %s\n", bin, strerror(errno));
		_exit(127);
	}
	t->pid = pid;
	t->run = SUP_STARTING;
	t->spawned_mono = mono;
	sup_policy_started(&t->pol, mono);
	hat_log(&s->d.log, HAT_LOG_INFO, "stage_spawned", "stage=%s pid=%d restarts=%u log=%s",
		t->name, (int)pid, t->restarts, logf);
	return 0;
}

static void send_cmd(struct superd *s, unsigned id, uint16_t cmd, const char *why)
{
	struct sup_stage *t = find_id(s, id);
	if (!t || !t->cmd.sh)
		return;
	struct hat_msg_control c;
	hat_msg_control_make(&c, cmd, HAT_STAGE_SUPERD, 0, 0, why, hat_now_ns());
	if (hat_ring_push_msg(&t->cmd, &c.h) != 0)
		hat_log(&s->d.log, HAT_LOG_ERROR, "cmd_ring_full", "stage=%s cmd=%s", t->name,
			hat_ctl_cmd_name(cmd));
}

int sup_send_all(struct superd *s, uint16_t cmd, const char *why)
{
	switch (cmd) {
	case HAT_CTL_HALT:
		s->trading_halted = true;
		send_cmd(s, HAT_STAGE_RISKD, HAT_CTL_HALT, why);
		send_cmd(s, HAT_STAGE_SIGNALD, HAT_CTL_HALT, why);
		send_cmd(s, HAT_STAGE_EXECD, HAT_CTL_CANCEL_ALL, why);
		break;
	case HAT_CTL_RESUME:
		s->trading_halted = false;
		send_cmd(s, HAT_STAGE_RISKD, HAT_CTL_RESUME, why);
		send_cmd(s, HAT_STAGE_SIGNALD, HAT_CTL_RESUME, why);
		break;
	case HAT_CTL_CANCEL_ALL:
		send_cmd(s, HAT_STAGE_EXECD, HAT_CTL_CANCEL_ALL, why);
		break;
	default:
		return -EINVAL;
	}
	hat_log(&s->d.log, HAT_LOG_WARN, "command", "cmd=%s why=%s", hat_ctl_cmd_name(cmd), why);
	return 0;
}

static void escalate(struct superd *s, struct sup_stage *t, uint64_t mono)
{
	t->run = SUP_ESCALATED;
	hat_counter_inc(s->c_escalations);
	char why[48], todo[600];
	snprintf(why, sizeof why, "%s restart limit", t->name);
	snprintf(todo, sizeof todo, "read %s/%s.log, fix the cause, then: hatctl restart %s; "
		 "hatctl resume", s->log_dir, t->name, t->name);
	hat_log(&s->d.log, HAT_LOG_FATAL, "escalation",
		"stage=%s failures=%u window_s=%u action=%s todo=%s",
		t->name, sup_policy_recent(&t->pol, mono), s->cfg.window_s,
		"trading halted, stage left down", todo);
	sup_send_all(s, HAT_CTL_HALT, why);
}

/* What a dead stage may have left half-done in shared memory. */
static void repair(struct superd *s, struct sup_stage *t)
{
	if (t->id != HAT_STAGE_FEEDD)
		return;
	struct hat_board b;
	char err[256];
	if (hat_board_open(&b, s->d.cfg.instance, 0, err, sizeof err) != 0)
		return;
	unsigned fixed = hat_board_repair(&b, t->pid);
	if (fixed)
		hat_log(&s->d.log, HAT_LOG_WARN, "board_repaired", "coins=%u", fixed);
	hat_board_close(&b);
}

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status 0x%x", status);
}

static void on_exit_of(struct superd *s, struct sup_stage *t, int status, uint64_t mono)
{
	char how[80];
	describe_status(status, how, sizeof how);
	t->last_status = status;
	struct hat_stage_shm *b = blk(s, t);
	if (b->pid == t->pid) {
		hat_stage_set_ready(b, false);
		hat_stage_set_state(b, HAT_STATE_STOPPED);
	}
	repair(s, t);
	pid_t old = t->pid;
	t->pid = 0;
	if (s->stopping || t->run == SUP_STOPPING) {
		hat_log(&s->d.log, HAT_LOG_INFO, "stage_stopped", "stage=%s pid=%d how=%s",
			t->name, (int)old, how);
		t->run = SUP_DOWN;
		if (t->restart_after_stop && !s->stopping) {
			t->restart_after_stop = false;
			sup_policy_reset(&t->pol);
			spawn(s, t, mono, true);
		}
		return;
	}
	uint64_t delay = 0;
	enum sup_decision d = sup_policy_failed(&t->pol, mono, &delay);
	hat_log(&s->d.log, HAT_LOG_ERROR, "stage_died",
		"stage=%s pid=%d how=%s failures_in_window=%u next=%s delay_ms=%llu log_dir=%s",
		t->name, (int)old, how, sup_policy_recent(&t->pol, mono),
		d == SUP_RESTART ? "restart" : "escalate", (unsigned long long)(delay / MS),
		s->log_dir);
	if (d == SUP_ESCALATE) {
		escalate(s, t, mono);
		return;
	}
	t->run = SUP_BACKOFF;
	t->restart_at_mono = mono + delay;
}

void sup_reap(struct superd *s, uint64_t mono)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			return;
		for (int i = 0; i < s->n; i++)
			if (s->st[i].pid == pid)
				on_exit_of(s, &s->st[i], status, mono);
	}
}

static void term(struct superd *s, struct sup_stage *t, uint64_t mono)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGTERM);
	t->run = SUP_STOPPING;
	t->kill_at_mono = mono + (uint64_t)s->cfg.stop_timeout_ms * MS;
	hat_log(&s->d.log, HAT_LOG_INFO, "stage_term", "stage=%s pid=%d", t->name, (int)t->pid);
}

int sup_restart_stage(struct superd *s, const char *name, char *err, size_t errlen)
{
	struct sup_stage *t = find(s, name);
	if (!t) {
		snprintf(err, errlen, "unknown stage '%s' (feedd|signald|riskd|execd)", name);
		return -ENOENT;
	}
	if (s->stopping) {
		snprintf(err, errlen, "superd is stopping");
		return -ESHUTDOWN;
	}
	uint64_t mono = hat_mono_ns();
	hat_log(&s->d.log, HAT_LOG_WARN, "operator_restart", "stage=%s run=%s", name,
		sup_run_name(t->run));
	if (t->run == SUP_UP || t->run == SUP_STARTING) {
		t->restart_after_stop = true;
		term(s, t, mono);
		return 0;
	}
	if (t->run == SUP_STOPPING) {
		t->restart_after_stop = true;
		return 0;
	}
	sup_policy_reset(&t->pol);
	return spawn(s, t, mono, true);
}

void sup_request_stop(struct superd *s, bool force)
{
	uint64_t mono = hat_mono_ns();
	if (force || s->stopping) {
		s->stopping = 2;
		hat_log(&s->d.log, HAT_LOG_WARN, "stop_forced", "action=SIGKILL");
		for (int i = 0; i < s->n; i++)
			if (s->st[i].pid > 0)
				kill(s->st[i].pid, SIGKILL);
		return;
	}
	s->stopping = 1;
	s->starting = false;
	s->stop_began_mono = mono;
	hat_log(&s->d.log, HAT_LOG_INFO, "stopping", "cancel_wait_ms=%u", s->cfg.cancel_wait_ms);
	/* Exposure first: execd cancels every open order before anything goes down. */
	if (find_id(s, HAT_STAGE_EXECD) && find_id(s, HAT_STAGE_EXECD)->pid > 0)
		send_cmd(s, HAT_STAGE_EXECD, HAT_CTL_CANCEL_ALL, "superd stop");
	for (int i = 0; i < s->n; i++)
		if (s->st[i].run == SUP_BACKOFF)
			s->st[i].run = SUP_DOWN;
}

bool sup_done(const struct superd *s)
{
	if (!s->stopping)
		return false;
	for (int i = 0; i < s->n; i++)
		if (s->st[i].pid > 0)
			return false;
	return true;
}

/* ---------------------------------------------------------------- the step */

static void step_startup(struct superd *s, uint64_t mono)
{
	while (s->starting && s->start_next < s->n) {
		struct sup_stage *t = &s->st[s->start_next];
		if (t->run == SUP_DOWN) {
			spawn(s, t, mono, false);
			return;
		}
		if (t->run == SUP_UP) {
			s->start_next++;
			continue;
		}
		if (mono - t->spawned_mono > (uint64_t)s->cfg.ready_timeout_ms * MS) {
			hat_log(&s->d.log, HAT_LOG_WARN, "stage_not_ready", "stage=%s waited_ms=%u "
				"action=%s", t->name, s->cfg.ready_timeout_ms, "starting the next stage anyway");
			s->start_next++;
			continue;
		}
		return;
	}
	if (s->starting) {
		s->starting = false;
		hat_daemon_set_ready(&s->d, true);
		hat_log(&s->d.log, HAT_LOG_INFO, "pipeline_started", "stages=%d", s->n);
	}
}

static void step_stage(struct superd *s, struct sup_stage *t, uint64_t mono)
{
	struct hat_stage_shm *b = blk(s, t);
	switch (t->run) {
	case SUP_STARTING:
		if (b->pid == t->pid && b->ready) {
			t->run = SUP_UP;
			hat_log(&s->d.log, HAT_LOG_INFO, "stage_ready", "stage=%s pid=%d start_ms=%llu",
				t->name, (int)t->pid, (unsigned long long)((mono - t->spawned_mono) / MS));
		}
		/* fall through: a starting stage is watched too */
		__attribute__((fallthrough));
	case SUP_UP:
		if (b->pid != t->pid || mono - t->spawned_mono < (uint64_t)s->cfg.start_grace_ms * MS)
			break;
		if (mono > b->heartbeat_ns &&
		    mono - b->heartbeat_ns > (uint64_t)s->cfg.heartbeat_timeout_ms * MS) {
			hat_log(&s->d.log, HAT_LOG_ERROR, "watchdog_kill",
				"stage=%s pid=%d heartbeat_age_ms=%llu limit_ms=%u", t->name, (int)t->pid,
				(unsigned long long)((mono - b->heartbeat_ns) / MS),
				s->cfg.heartbeat_timeout_ms);
			hat_counter_inc(s->c_watchdog_kills);
			kill(t->pid, SIGKILL);
			t->spawned_mono = mono; /* no second kill while the exit is pending */
		}
		break;
	case SUP_BACKOFF:
		if (!s->stopping && mono >= t->restart_at_mono)
			spawn(s, t, mono, true);
		break;
	case SUP_STOPPING:
		if (mono >= t->kill_at_mono && t->pid > 0) {
			hat_log(&s->d.log, HAT_LOG_WARN, "stage_kill", "stage=%s pid=%d reason=%s "
				"stop_timeout_ms=%u", t->name, (int)t->pid, "no exit after SIGTERM",
				s->cfg.stop_timeout_ms);
			kill(t->pid, SIGKILL);
			t->kill_at_mono = mono + 1000 * MS;
		}
		break;
	default:
		break;
	}
}

static void step_stop(struct superd *s, uint64_t mono)
{
	if (s->stopping != 1 || mono - s->stop_began_mono < (uint64_t)s->cfg.cancel_wait_ms * MS)
		return;
	/* Producers first (the reverse of the start order), one at a time. */
	for (int i = s->n - 1; i >= 0; i--) {
		struct sup_stage *t = &s->st[i];
		if (t->pid <= 0)
			continue;
		if (t->run != SUP_STOPPING)
			term(s, t, mono);
		return;
	}
}

void sup_step(struct superd *s, uint64_t mono)
{
	if (s->starting && !s->stopping)
		step_startup(s, mono);
	for (int i = 0; i < s->n; i++)
		step_stage(s, &s->st[i], mono);
	step_stop(s, mono);
	hat_daemon_tick(&s->d, mono);
}

/* ---------------------------------------------------------------- status */

void sup_status_json(struct superd *s, struct hat_buf *out, uint64_t mono)
{
	hat_buf_printf(out, "{\"instance\":");
	hat_buf_json_str(out, s->d.cfg.instance);
	hat_buf_printf(out, ",\"superd_pid\":%d,\"trading_halted\":%s,\"stopping\":%s,\"stages\":[",
		       (int)getpid(), s->trading_halted ? "true" : "false", s->stopping ? "true" : "false");
	for (int i = s->n - 1; i >= 0; i--) {
		struct sup_stage *t = &s->st[i];
		struct hat_stage_shm *b = blk(s, t);
		struct hat_stage_status st;
		hat_stage_status(b, &st);
		bool mine = t->pid > 0 && st.pid == t->pid;
		hat_buf_printf(out, "%s{\"name\":\"%s\",\"run\":\"%s\",\"state\":\"%s\",\"pid\":%d,"
			       "\"ready\":%s,\"restarts\":%u,\"uptime_s\":%.1f,\"heartbeat_age_ms\":%lld,"
			       "\"counters\":{",
			       i == s->n - 1 ? "" : ",", t->name, sup_run_name(t->run),
			       hat_stage_state_name(st.state), t->pid, mine && st.ready ? "true" : "false",
			       st.restart_count, t->pid > 0 ? (double)(mono - t->spawned_mono) / 1e9 : 0.0,
			       mine ? (long long)((mono - st.heartbeat_ns) / MS) : -1LL);
		uint32_t nc = hat_stage_counter_count(b);
		for (uint32_t k = 0; k < nc; k++) {
			const struct hat_counter_shm *c = hat_stage_counter_at(b, k);
			hat_buf_printf(out, "%s", k ? "," : "");
			hat_buf_json_str(out, c->name);
			hat_buf_printf(out, ":%llu", (unsigned long long)__atomic_load_n(&c->value, __ATOMIC_RELAXED));
		}
		hat_buf_printf(out, "}}");
	}
	hat_buf_printf(out, "]}");
}

void sup_deinit(struct superd *s)
{
	for (int i = 0; i < s->n; i++)
		hat_ring_detach(&s->st[i].cmd);
	if (s->d.blk)
		hat_daemon_close(&s->d);
}
