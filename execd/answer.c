/* execd/answer.c -- answers: /exchange results applied, every HTTP completion dispatched. */
#include "execd/daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "hl/parse_exchange.h"

/* The answer of an order action (NEW lanes and batchModify). */
static void apply_statuses(struct execd *d, struct execd_req *r, const struct hl_exch_resp *resp,
			   const struct hl_exch_status *st)
{
	uint64_t ns = hat_now_ns(), ms = now_ms();
	for (uint32_t i = 0; i < r->n; i++) {
		struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
		int rc = 0;
		const uint8_t *cloid = r->items[i].cloid;
		if (i >= resp->n_statuses) {
			exec_reconcile_add_unknown(&d->recon, cloid);
			d->recon_wanted = true;
			continue;
		}
		if (r->lane == EXEC_LANE_CANCEL || r->lane == EXEC_LANE_CANCEL_OID) {
			bool ok = st[i].kind == HL_EXST_SUCCESS;
			rc = exec_fsm_on_cancel_result(&d->fsm, cloid, ok, st[i].reason,
			                               ok ? NULL : st[i].text, ns, ms, ev);
		} else {
			rc = exec_fsm_on_order_result(&d->fsm, cloid, &st[i], ns, ms, ev);
		}
		execd__emit(d, rc, ev);
	}
}

void execd__on_exchange_answer(struct execd *d, struct execd_req *r, const struct exec_http_done *x)
{
	char err[256];
	if (execd__crash_hook(d, "answered"))
		_exit(86);
	struct exec_http_done lost;
	if (r->attempts == 1 && execd__crash_hook(d, "lose_answer")) {
		/* Test hook: the action landed but its answer is "lost in transit". */
		lost = *x;
		lost.err = -EIO;
		lost.never_sent = false;
		lost.status = 0;
		lost.errtext = "test hook: answer lost";
		x = &lost;
	}
	if (x->err) {
		r->maybe_sent |= !x->never_sent;
		if (r->attempts <= d->file.max_retries) {
			/* Same bytes, same nonce: if the first attempt landed, this one is refused
			 * by the exchange as a repeated nonce and cannot place anything twice. */
			d->c_retries++;
			r->attempts++;
			r->via_ws = false; /* retries go over HTTP: same bytes either way */
			if (exec_http_post(&d->http, "/exchange", r->body.data, r->body.len,
			                   TAG_EXCH | (uint64_t)(r - d->reqs)) == 0)
				return;
		}
		hat_log(&d->st.log, HAT_LOG_WARN, "request_failed",
		        "nonce=%llu attempts=%u maybe_sent=%d error=%s",
		        (unsigned long long)r->nonce, r->attempts, r->maybe_sent, x->errtext);
		if (!r->maybe_sent) {
			exec_wal_result(&d->wal, r->nonce, EXEC_WAL_NOT_SENT, hat_now_ns(), now_ms(),
			                err, sizeof err);
			execd__fail_items(d, r, x->err == -ETIMEDOUT ? HAT_REASON_EXCH_TIMEOUT
			                                      : HAT_REASON_EXCH_TRANSPORT, x->errtext);
		} else {
			/* It may have landed: ask the exchange instead of guessing. */
			execd__mark_unknown(d, r);
		}
		execd__req_release(d, r);
		return;
	}
	hat_hist_record(d->k.request_ns, x->elapsed_ns);
	execd__audit(d, EXEC_AUDIT_RESPONSE, r->nonce, x->body, x->len);
	struct hl_exch_resp resp;
	struct hl_exch_status st[EXEC_BATCH_MAX];
	int prc = x->status == 200 ? hl_exchange_parse(x->body, x->len, &resp, st, EXEC_BATCH_MAX,
	                                               err, sizeof err)
	                           : HAT_E_PARSE;
	if (x->status == 429 || (prc == 0 && resp.type == HL_EXRESP_ERR &&
	                         resp.reason == HAT_REASON_EXCH_RATE_LIMIT)) {
		exec_ratelimit_hit(&d->rl_ex, mono_ms());
		d->c_rate_limited++;
		exec_wal_result(&d->wal, r->nonce, EXEC_WAL_ANSWERED, hat_now_ns(), now_ms(), err,
		                sizeof err);
		execd__fail_items(d, r, HAT_REASON_EXCH_RATE_LIMIT, "rate limited by the exchange");
		execd__req_release(d, r);
		return;
	}
	if (prc != 0) {
		if (x->status != 200)
			snprintf(err, sizeof err, "HTTP %ld: %.*s", x->status,
			         (int)(x->len > 100 ? 100 : x->len), x->body);
		hat_log(&d->st.log, HAT_LOG_WARN, "bad_answer", "nonce=%llu error=%s",
		        (unsigned long long)r->nonce, err);
		execd__mark_unknown(d, r);
		execd__req_release(d, r);
		return;
	}
	exec_ratelimit_ok(&d->rl_ex);
	uint64_t ns = hat_now_ns(), ms = now_ms();
	if (resp.type == HL_EXRESP_ERR) {
		if (resp.reason == HAT_REASON_EXCH_NONCE && r->attempts > 1) {
			/* An earlier attempt of this very body landed. */
			for (uint32_t i = 0; i < r->n; i++)
				exec_reconcile_add_unknown(&d->recon, r->items[i].cloid);
			d->recon_wanted = true;
		} else {
			execd__fail_items(d, r, resp.reason, resp.text);
		}
	} else if (r->lane == EXEC_LANE_MODIFY && resp.type == HL_EXRESP_DEFAULT) {
		for (uint32_t i = 0; i < r->n; i++) {
			struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
			execd__emit(d, exec_fsm_on_modify_result(&d->fsm, r->items[i].cloid, true, 0, 0, NULL,
			                                  ns, ms, ev), ev);
		}
	} else if (resp.type == HL_EXRESP_ORDER || resp.type == HL_EXRESP_CANCEL) {
		apply_statuses(d, r, &resp, st);
	} else {
		for (uint32_t i = 0; i < r->n; i++)
			exec_reconcile_add_unknown(&d->recon, r->items[i].cloid);
		d->recon_wanted = true;
	}
	exec_wal_result(&d->wal, r->nonce, EXEC_WAL_ANSWERED, hat_now_ns(), now_ms(), err,
	                sizeof err);
	execd__req_release(d, r);
}

void execd__on_http(void *user, const struct exec_http_done *x)
{
	struct execd *d = user;
	char err[256];
	switch (TAG_KIND(x->tag)) {
	case TAG_EXCH:
		if (TAG_IDX(x->tag) < d->n_reqs && d->reqs[TAG_IDX(x->tag)].used)
			execd__on_exchange_answer(d, &d->reqs[TAG_IDX(x->tag)], x);
		return;
	case TAG_RECON:
		if (exec_reconcile_answer(&d->recon, x->err, x->status, x->body, x->len, execd__recon_sink(d))) {
			hat_log(&d->st.log, HAT_LOG_WARN, "reconcile_failed", "error=%s", d->recon.err);
			d->recon_wanted = true;
			d->recon_after_ms = mono_ms() + 1000;
		} else if (exec_reconcile_done(&d->recon)) {
			d->recon.step = EXEC_RS_IDLE;
			execd__recon_finished(d);
		}
		return;
	case TAG_META:
		d->meta_waiting = false;
		if (x->err == 0 && x->status == 200 &&
		    hl_meta_parse_text(&d->meta, x->body, x->len, 0, err, sizeof err) == 0) {
			d->meta_ok = true;
			hat_log(&d->st.log, HAT_LOG_INFO, "meta", "coins=%zu", d->meta.n);
		} else {
			d->meta_after_ms = mono_ms() + 500;
			if (hat_log_rl_allow(&d->rl, hat_mono_ns()))
				hat_log(&d->st.log, HAT_LOG_WARN, "meta_failed", "status=%ld error=%s",
				        x->status, x->err ? x->errtext : err);
		}
		return;
	case TAG_DM: {
		bool ok = x->err == 0 && x->status == 200 && strstr(x->body, "\"ok\"") != NULL;
		execd__audit(d, EXEC_AUDIT_RESPONSE, d->dm_nonce, x->body, x->len);
		exec_deadman_result(&d->dm, ok, now_ms());
		if (!ok && hat_log_rl_allow(&d->rl, hat_mono_ns()))
			hat_log(&d->st.log, HAT_LOG_WARN, "deadman_failed", "status=%ld body=%.*s",
			        x->status, (int)(x->len > 120 ? 120 : x->len), x->body);
		d->dm_nonce = 0;
		return;
	}
	default:
		return;
	}
}
