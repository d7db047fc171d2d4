/* execd/daemon.c -- execd's adapter: rings, key, WAL, HTTP, stream, timers (see daemon.h). */
#include "execd/daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/instance.h"
#include "execd/keystore.h"
#include "hl/hex.h"


int execd_opts_parse(const struct hat_daemon_args *a, struct execd_opts *o, char *err,
		     size_t errlen)
{
	o->passphrase_fd = -1;
	for (int i = 0; i < a->n_rest; i++) {
		if (strcmp(a->rest[i], "--passphrase-fd") == 0 && i + 1 < a->n_rest) {
			char *end;
			long v = strtol(a->rest[++i], &end, 10);
			if (*end || v < 0 || v > 65535) {
				snprintf(err, errlen, "--passphrase-fd: expected a file descriptor, got '%s'",
				         a->rest[i]);
				return -EINVAL;
			}
			o->passphrase_fd = (int)v;
		} else {
			snprintf(err, errlen, "unknown argument '%s'", a->rest[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* mkdir -p of path (or of its directory when parent): the journal, nonce and audit files live
 * in var/ directories that a fresh checkout does not have. */
static int mkdirs(const char *path, bool parent, char *err, size_t errlen)
{
	char p[HAT_CONFIG_PATH_LEN];
	snprintf(p, sizeof p, "%s", path);
	if (parent) {
		char *slash = strrchr(p, '/');
		if (!slash)
			return 0;
		*slash = '\0';
	}
	for (char *s = p + 1;; s++) {
		bool end = *s == '\0';
		if (*s == '/' || end) {
			*s = '\0';
			if (mkdir(p, 0700) != 0 && errno != EEXIST) {
				snprintf(err, errlen, "mkdir(\"%s\") failed: %s", p, strerror(errno));
				return -errno;
			}
			if (end)
				break;
			*s = '/';
		}
	}
	return 0;
}

static int parse_addr(const char *text, uint8_t out[20], const char *what, char *err,
		      size_t errlen)
{
	return hl_hex_decode_exact(text, strlen(text), out, 20, what, err, errlen);
}


int execd_init(struct execd *d, const struct hat_daemon_args *a, const struct execd_opts *o,
	       char *err, size_t errlen)
{
	int rc;
	char e[256];
	memset(d, 0, sizeof *d);
	hat_log_rl_init(&d->rl, 0, HAT_NS_PER_S);
	hat_log_rl_init(&d->rl_seq_gap, 0, HAT_NS_PER_S);
	hat_log_rl_init(&d->rl_seq_dup, 0, HAT_NS_PER_S);
	hat_seq_check_init(&d->seq_order);
	hat_msg_rejects_init(&d->rej_order);
	hat_buf_init(&d->scratch);
	hat_buf_init(&d->json);
	hat_buf_init(&d->mp);
	hat_buf_init(&d->scratch_fill);
	d->recount_pnl = true;
	d->crash_at = getenv("HAT_EXECD_CRASH_AT");
	d->crash_n = d->crash_at && getenv("HAT_EXECD_CRASH_N")
	                     ? (uint32_t)strtoul(getenv("HAT_EXECD_CRASH_N"), NULL, 10) : 1;

	rc = hat_daemon_open(&d->st, HAT_STAGE_EXECD, a, err, errlen);
	if (rc)
		return rc;
	d->open = true;
	if ((rc = exec_config_load(&d->st.doc, &d->file, err, errlen)))
		goto fail;
	d->st.hb_interval_ns = (uint64_t)d->file.heartbeat_ms * HAT_NS_PER_MS;
	if ((rc = execd__register_counters(d))) {
		snprintf(err, errlen, "control block: counter table full");
		goto fail;
	}
	d->testnet = d->st.cfg.venue.network == HAT_NET_TESTNET;

	/* The key: hardened process first, then the passphrase, then the secret. */
	if ((rc = exec_secure_process(err, errlen)))
		goto fail;
	struct exec_passphrase_src src = { o->passphrase_fd, EXEC_KEYSTORE_ENV,
	                                   isatty(0) ? "execd keystore passphrase: " : NULL,
	                                   false };
	if ((rc = exec_keystore_open(d->file.keystore, &src, &d->key, e, sizeof e))) {
		snprintf(err, errlen, "%s: %s", d->file.keystore, e);
		goto fail;
	}
	if (d->file.account_address[0]) {
		if ((rc = parse_addr(d->file.account_address, d->account, "execd.account_address", err,
		                     errlen)))
			goto fail;
	} else {
		memcpy(d->account, exec_key_address(d->key), 20);
	}
	if (d->file.vault_address[0]) {
		if ((rc = parse_addr(d->file.vault_address, d->vault, "execd.vault_address", err,
		                     errlen)))
			goto fail;
		d->has_vault = true;
		memcpy(d->account, d->vault, 20); /* a vault's orders and fills are the vault's */
	}
	hl_hex_encode(d->account, 20, d->account_hex);

	if ((rc = mkdirs(d->file.wal_dir, false, err, errlen)) ||
	    (rc = mkdirs(d->file.nonce_file, true, err, errlen)) ||
	    (rc = mkdirs(d->file.audit_file, true, err, errlen)))
		goto fail;
	if ((rc = exec_nonce_open(&d->nonce, d->file.nonce_file, 0, err, errlen)))
		goto fail;
	struct exec_fsm_config fc = { d->file.fsm_capacity, 65536 };
	if ((rc = exec_fsm_init(&d->fsm, &fc, e, sizeof e))) {
		snprintf(err, errlen, "execd.fsm_capacity: %s", e);
		goto fail;
	}
	d->cancel_list = calloc(d->file.fsm_capacity, HAT_CLOID_LEN);
	d->recovered_cloids = calloc(EXEC_RECON_MAX_UNKNOWN, HAT_CLOID_LEN);
	d->reqs = calloc(d->file.max_in_flight, sizeof *d->reqs);
	if (!d->cancel_list || !d->recovered_cloids || !d->reqs ||
	    hat_outq_init(&d->q, &d->r_exec, EXECD_OUTQ, HAT_SLOT_EXEC) != 0 ||
	    hl_meta_init(&d->meta) != 0 || exec_reconcile_init(&d->recon, d->account_hex) != 0) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	d->n_reqs = d->file.max_in_flight;
	for (uint32_t i = 0; i < d->n_reqs; i++)
		hat_buf_init(&d->reqs[i].body);
	if ((rc = execd__recover_wal(d, err, errlen)))
		goto fail;
	if ((rc = exec_audit_open(&d->audit, d->file.audit_file, err, errlen)))
		goto fail;
	d->audit_open = true;

	struct exec_router_cfg rcfg = { d->file.batch_window_us, d->file.max_batch,
	                                d->file.max_in_flight };
	struct exec_deadman_cfg dcfg = { d->file.dead_man_ms, d->file.dead_man_rearm_ms, 10, 1000 };
	struct exec_ratelimit_cfg lcfg = { d->file.ip_weight_per_min, d->file.rate_backoff_min_ms,
	                                   d->file.rate_backoff_max_ms };
	if ((rc = exec_router_init(&d->router, &rcfg, err, errlen)) ||
	    (rc = exec_deadman_init(&d->dm, &dcfg, err, errlen)) ||
	    (rc = exec_ratelimit_init(&d->rl_ex, &lcfg, mono_ms(), err, errlen)) ||
	    (rc = exec_http_init(&d->http, d->st.cfg.venue.http, d->file.max_in_flight + 2,
	                         d->file.request_timeout_ms, false, err, errlen)))
		goto fail;

	if ((rc = uv_loop_init(&d->loop))) {
		snprintf(err, errlen, "uv_loop_init: %s", uv_strerror(rc));
		goto fail;
	}
	d->loop_init = true;
	struct exec_stream_cfg scfg = { d->st.cfg.venue.ws, d->account_hex, d->file.ping_idle_ms,
	                                d->file.silent_ms, d->file.reconnect_min_ms,
	                                d->file.reconnect_max_ms };
	const struct exec_stream_cbs scb = execd__stream_cbs;
	if ((rc = exec_stream_init(&d->stream, &d->loop, &scfg, &scb, d, hat_now_ns(), err,
	                           errlen)))
		goto fail;
	d->stream_init = true;

	if ((rc = hat_daemon_ring(&d->st, &d->r_order, "order", HAT_RING_CONSUMER, err, errlen)) ||
	    (rc = hat_daemon_ring(&d->st, &d->r_exec, "exec", HAT_RING_PRODUCER, err, errlen)))
		goto fail;

	hat_log(&d->st.log, HAT_LOG_INFO, "execd_start",
	        "account=%s agent=%d vault=%d testnet=%d max_in_flight=%u dead_man_ms=%u",
	        d->account_hex, d->file.agent, d->has_vault, d->testnet, d->file.max_in_flight,
	        d->file.dead_man_ms);
	execd__send_ctl(d, HAT_CTL_HELLO, d->st.blk->restart_count, "execd start");
	exec_stream_start(&d->stream, mono_ms());
	d->recon_wanted = true;
	execd__publish_control(d, hat_mono_ns());
	return 0;
fail:
	execd_deinit(d);
	return rc;
}

void execd_deinit(struct execd *d)
{
	if (d->stream_init) {
		exec_stream_stop(&d->stream);
		exec_stream_deinit(&d->stream);
		d->stream_init = false;
	}
	if (d->loop_init) {
		while (uv_run(&d->loop, UV_RUN_NOWAIT) != 0)
			;
		uv_loop_close(&d->loop);
		d->loop_init = false;
	}
	exec_http_deinit(&d->http);
	if (d->audit_open)
		exec_audit_close(&d->audit);
	d->audit_open = false;
	if (d->wal_open)
		exec_wal_close(&d->wal);
	d->wal_open = false;
	exec_nonce_close(&d->nonce);
	exec_fsm_deinit(&d->fsm);
	exec_reconcile_deinit(&d->recon);
	hl_meta_deinit(&d->meta);
	exec_key_free(d->key);
	d->key = NULL;
	for (uint32_t i = 0; d->reqs && i < d->n_reqs; i++)
		hat_buf_free(&d->reqs[i].body);
	free(d->reqs);
	free(d->cancel_list);
	free(d->recovered_cloids);
	hat_outq_deinit(&d->q);
	d->reqs = NULL;
	d->cancel_list = NULL;
	d->recovered_cloids = NULL;
	hat_buf_free(&d->scratch);
	hat_buf_free(&d->json);
	hat_buf_free(&d->mp);
	hat_buf_free(&d->scratch_fill);
	hat_ring_detach(&d->r_order);
	hat_ring_detach(&d->r_exec);
	if (d->open)
		hat_daemon_close(&d->st);
	d->open = false;
}

/* ---------------------------------------------------------------- loop */

/* Nothing execd could do now (hat_stage_quiet_enter()): no event waiting for the exec ring, no
 * HTTP request out, no order it could send, no reconciliation pass or cancel-all running.
 * Waiting for the answer to a WebSocket post is quiet: a backtest's hlsim holds answers until
 * the pipeline is idle (tools/hlsim/gate.h); orders queued behind the in-flight limit wait for
 * those answers too. */
static bool quiet(const struct execd *d)
{
	if (!d->ready || d->meta_waiting || d->http.busy || d->q.n || d->recon.step != EXEC_RS_IDLE ||
	    d->recon_wanted || d->cancel_next < d->n_cancel || d->dm_nonce || d->snapshot_wanted)
		return false;
	if (exec_router_pending(&d->router) && d->router.in_flight < d->router.cfg.max_in_flight)
		return false;
	for (uint32_t i = 0; i < d->n_reqs; i++)
		if (d->reqs[i].used && !d->reqs[i].via_ws)
			return false; /* over HTTP, or waiting to be retried */
	return true;
}

int execd_run_once(struct execd *d, int timeout_ms)
{
	int rc, work = 0;
	if ((rc = hat_outq_flush(&d->q)))
		return rc;
	if (!d->meta_ok && !d->meta_waiting && mono_ms() >= d->meta_after_ms &&
	    exec_http_free_slots(&d->http) > 0) {
		static const char req[] = "{\"type\":\"meta\"}";
		if (exec_http_post(&d->http, "/info", req, sizeof req - 1, TAG_META) == 0)
			d->meta_waiting = true;
	}
	work += execd__take_cmds(d);
	work += execd__take_ring(d);
	execd__cancel_all_pump(d);
	work += execd__route(d, d->draining);
	work += exec_http_poll(&d->http, execd__on_http, d);
	work += exec_stream_step(&d->stream, mono_ms());
	uv_run(&d->loop, UV_RUN_NOWAIT);
	execd__ws_post_sweep(d, false);
	execd__recon_pump(d);
	execd__deadman_pump(d);
	uint64_t mono = hat_mono_ns();
	hat_daemon_tick(&d->st, mono);
	if (mono - d->last_flush_mono >= d->st.hb_interval_ns)
		execd__publish_control(d, mono);
	if (work == 0 && timeout_ms > 0) {
		/* Idle: wait briefly on the HTTP sockets (answers wake us at once). */
		/* riskd wakes us through the doorbell when it publishes an order; the timeout
		 * bounds how late an HTTP answer (requests in flight) or a private-stream event is
		 * read. Waiting on the sockets instead (curl_multi_poll) would leave an order
		 * waiting for the socket timeout: no other process can wake that poll. */
		struct hat_ring *const in[] = { &d->r_order };
		bool q = quiet(d);
		if (q) /* a backtest's gate compares actions_sent with what hlsim received */
			execd__publish_actions(d);
		/* An order that must wait (not reconciled, lanes or exec queue full) is not input:
		 * sleeping until the timeout instead of waking at once for it again and again. */
		hat_daemon_idle(&d->st, in, d->order_blocked ? 0 : 1,
				(d->http.busy > 0 ? 50 : 100) * HAT_NS_PER_US, q);
	}
	return work > 0 ? 1 : 0;
}

int execd_drain(struct execd *d, int timeout_ms)
{
	d->draining = true;
	execd__publish_control(d, hat_mono_ns());
	uint64_t end = hat_mono_ns() + (uint64_t)timeout_ms * HAT_NS_PER_MS;
	while (hat_mono_ns() < end &&
	       (d->router.in_flight > 0 || exec_router_pending(&d->router) > 0 || d->q.n > 0)) {
		if (hat_outq_flush(&d->q))
			break;
		execd__route(d, true);
		exec_http_poll(&d->http, execd__on_http, d);
		uv_run(&d->loop, UV_RUN_NOWAIT);
		exec_http_wait(&d->http, 1);
	}
	execd__publish_control(d, hat_mono_ns());
	hat_log(&d->st.log, HAT_LOG_INFO, "drained", "in_flight=%u queued=%u", d->router.in_flight,
	        d->q.n);
	return d->router.in_flight || d->q.n ? -ETIMEDOUT : 0;
}

