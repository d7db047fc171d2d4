/* execd/private.c -- the private stream: orderUpdates, userFills and WebSocket posts. */
#include "execd/daemon_int.h"

#include <errno.h>

#include "hl/parse_exchange.h"

static void st_post(void *user, uint64_t id, bool ok, const char *payload, size_t len,
		    uint64_t recv_ns)
{
	struct execd *d = user;
	(void)recv_ns;
	if (id == 0 || id > d->n_reqs || !d->reqs[id - 1].used || !d->reqs[id - 1].via_ws)
		return;
	struct execd_req *r = &d->reqs[id - 1];
	r->via_ws = false;
	struct exec_http_done x = { .tag = TAG_EXCH | (id - 1), .status = 200, .body = payload,
	                            .len = len, .errtext = "" };
	x.elapsed_ns = hat_mono_ns() - r->first_ns;
	if (!ok && hl_exchange_reason(payload) == HAT_REASON_EXCH_RATE_LIMIT) {
		/* Refused for the rate limit, before it executed: answered like an HTTP 429 (the
		 * rate-limit tracker backs off, the orders are rejected), never retried. */
		x.status = 429;
	} else if (!ok) {
		/* The server refused the post; whether it executed is unknown: retry the same
		 * bytes over HTTP (a repeated nonce cannot place anything twice). */
		x.err = -EIO;
		x.status = 0;
		x.errtext = payload;
	}
	execd__on_exchange_answer(d, r, &x);
}

/* Posts unanswered past their deadline, or on a connection that closed, failed in transit. */
void execd__ws_post_sweep(struct execd *d, bool all)
{
	uint64_t now = hat_mono_ns();
	for (uint32_t i = 0; i < d->n_reqs; i++) {
		struct execd_req *r = &d->reqs[i];
		if (!r->used || !r->via_ws || (!all && now < r->deadline_ns))
			continue;
		r->via_ws = false;
		struct exec_http_done x = { .tag = TAG_EXCH | i, .err = all ? -EIO : -ETIMEDOUT,
		                            .body = "", .errtext = all ? "stream closed" : "post timed out" };
		x.elapsed_ns = now - r->first_ns;
		execd__on_exchange_answer(d, r, &x);
	}
}

static void st_open(void *user)
{
	struct execd *d = user;
	hat_log(&d->st.log, HAT_LOG_INFO, "stream_open", "user=%s", d->account_hex);
	d->recon_wanted = true;
}

static void st_close(void *user, const struct hat_ws_close_info *why)
{
	struct execd *d = user;
	d->c_reconnects++;
	execd__ws_post_sweep(d, true);
	hat_log(&d->st.log, HAT_LOG_WARN, "stream_closed", "error=%d reason=%s", why->err,
	        why->text);
}

static void st_orders(void *user, const struct hl_order_update *u, size_t n, uint64_t recv_ns)
{
	struct execd *d = user;
	for (size_t i = 0; i < n; i++) {
		struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
		if (u[i].status == HL_OS_SCHEDULED_CANCEL)
			exec_deadman_triggered(&d->dm, now_ms());
		execd__emit(d, exec_fsm_on_order_update(&d->fsm, &u[i], recv_ns, now_ms(), ev), ev);
	}
}

static void st_fills(void *user, const struct hl_fill *f, size_t n, bool snapshot,
		     uint64_t recv_ns)
{
	struct execd *d = user;
	(void)snapshot; /* the snapshot's fills are deduplicated by tid like any other */
	for (size_t i = 0; i < n; i++) {
		if (execd__fill(d, &f[i], recv_ns))
			execd__pos_apply_fill(d, &f[i]);
	}
}

static void st_bad(void *user, const char *why)
{
	struct execd *d = user;
	d->c_bad_msgs++;
	if (hat_log_rl_allow(&d->rl, hat_mono_ns()))
		hat_log(&d->st.log, HAT_LOG_WARN, "stream_bad_frame", "error=%s", why);
}

const struct exec_stream_cbs execd__stream_cbs = { st_open, st_close, st_orders, st_fills, st_bad,
                                                   st_post };
