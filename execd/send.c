/* execd/send.c -- routing: batches signed, journaled and sent; requests in flight. */
#include "execd/daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "execd/keystore.h"

bool execd__crash_hook(struct execd *d, const char *point)
{
	return d->crash_at && strcmp(d->crash_at, point) == 0 && d->actions_total == d->crash_n;
}

static enum exec_wal_kind wal_kind(unsigned lane)
{
	switch (lane) {
	case EXEC_LANE_ALO:
	case EXEC_LANE_TAKE: return EXEC_WAL_ORDER;
	case EXEC_LANE_CANCEL:
	case EXEC_LANE_CANCEL_OID: return EXEC_WAL_CANCEL;
	default: return EXEC_WAL_MODIFY;
	}
}

/* The request's outcome is unknown: its cloids are asked of the exchange in the next pass and
 * its WAL entry is closed after that pass (a restart before then asks too). */
void execd__mark_unknown(struct execd *d, struct execd_req *r)
{
	for (uint32_t i = 0; i < r->n; i++)
		exec_reconcile_add_unknown(&d->recon, r->items[i].cloid);
	if (d->n_recovered < EXECD_MAX_RECOVERED)
		d->recovered_nonces[d->n_recovered++] = r->nonce;
	d->recon_wanted = true;
}

/* Fails every item of a request that provably never reached the exchange. */
void execd__fail_items(struct execd *d, struct execd_req *r, uint16_t reason, const char *text)
{
	uint64_t ns = hat_now_ns(), ms = now_ms();
	for (uint32_t i = 0; i < r->n; i++) {
		struct exec_item *it = &r->items[i];
		struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
		int rc = 0;
		if (r->lane == EXEC_LANE_ALO || r->lane == EXEC_LANE_TAKE) {
			struct hl_exch_status st;
			memset(&st, 0, sizeof st);
			st.kind = HL_EXST_ERROR;
			st.reason = reason;
			snprintf(st.text, sizeof st.text, "%s", text);
			rc = exec_fsm_on_order_result(&d->fsm, it->cloid, &st, ns, ms, ev);
		} else if (r->lane == EXEC_LANE_MODIFY) {
			rc = exec_fsm_on_modify_result(&d->fsm, it->cloid, false, 0, reason, text, ns,
			                               ms, ev);
		} else {
			rc = exec_fsm_on_cancel_result(&d->fsm, it->cloid, false, reason, text, ns, ms,
			                               ev);
		}
		execd__emit(d, rc, ev);
	}
}

static struct execd_req *req_free(struct execd *d)
{
	for (uint32_t i = 0; i < d->n_reqs; i++)
		if (!d->reqs[i].used)
			return &d->reqs[i];
	return NULL;
}

void execd__req_release(struct execd *d, struct execd_req *r)
{
	r->used = false;
	exec_router_done(&d->router);
}

/* Takes one due batch, signs, journals and sends it. Returns 1 if something was sent. */
static int send_batch(struct execd *d, int lane)
{
	char err[256];
	struct execd_req *r = req_free(d);
	if (!r || exec_http_free_slots(&d->http) < 2) /* one slot stays for /info */
		return 0;
	uint32_t n = exec_router_take(&d->router, lane, r->items);
	if (n == 0)
		return 0;
	r->used = true;
	r->lane = (uint8_t)lane;
	r->n = n;
	r->attempts = 0;
	r->maybe_sent = false;
	hat_buf_reset(&d->json);
	hat_buf_reset(&d->mp);
	hat_buf_reset(&r->body);
	int rc = exec_router_action(r->items, n, &d->json, &d->mp);
	uint64_t nonce = 0;
	if (rc == 0)
		rc = exec_nonce_next(&d->nonce, now_ms(), &nonce, err, sizeof err);
	else
		snprintf(err, sizeof err, "building the action failed: %s", hat_strerror(rc));
	if (rc == 0) {
		rc = exec_router_sign(exec_key_signer(d->key), &d->json, &d->mp, nonce,
		                      d->has_vault ? d->vault : NULL, d->testnet, &r->body);
		if (rc)
			snprintf(err, sizeof err, "signing failed: %s", hat_strerror(rc));
	}
	uint64_t ready_ns = hat_now_ns();
	if (rc == 0) {
		for (uint32_t i = 0; i < n; i++)
			if (r->items[i].origin_ns && ready_ns > r->items[i].origin_ns)
				hat_hist_record(d->k.tick_to_order_ns, ready_ns - r->items[i].origin_ns);
		struct exec_wal_order wo[EXEC_BATCH_MAX];
		for (uint32_t i = 0; i < n; i++) {
			wo[i].o = r->items[i].fields;
			wo[i].risk_seq = r->items[i].risk_seq;
		}
		rc = exec_wal_action(&d->wal, nonce, wal_kind((unsigned)lane), wo, n, r->body.data,
		                     r->body.len, hat_now_ns(), now_ms(), err, sizeof err);
	}
	if (rc) {
		hat_log(&d->st.log, HAT_LOG_ERROR, "send_failed", "lane=%d orders=%u error=%s", lane,
		        n, err);
		execd__fail_items(d, r, HAT_REASON_EXCH_OTHER, "execd could not send");
		execd__req_release(d, r);
		return 1;
	}
	r->nonce = nonce;
	d->actions_total++;
	if (execd__crash_hook(d, "journaled"))
		_exit(86);
	execd__audit(d, EXEC_AUDIT_REQUEST, nonce, r->body.data, r->body.len);
	r->first_ns = hat_mono_ns();
	r->via_ws = false;
	rc = -ENOTCONN;
	if (d->file.use_ws_post && exec_stream_live(&d->stream)) {
		/* Post ids are small (JSON numbers): the request's index + 1. */
		rc = exec_stream_post(&d->stream, (uint64_t)(r - d->reqs) + 1, r->body.data,
		                      r->body.len);
		r->via_ws = rc == 0;
		d->c_ws_posts += rc == 0;
		r->deadline_ns = r->first_ns + (uint64_t)d->file.request_timeout_ms * HAT_NS_PER_MS;
	}
	if (rc != 0)
		rc = exec_http_post(&d->http, "/exchange", r->body.data, r->body.len,
		                    TAG_EXCH | (uint64_t)(r - d->reqs));
	if (rc) {
		exec_wal_result(&d->wal, nonce, EXEC_WAL_NOT_SENT, hat_now_ns(), now_ms(), err,
		                sizeof err);
		execd__fail_items(d, r, HAT_REASON_EXCH_TRANSPORT, "execd could not start the request");
		execd__req_release(d, r);
		return 1;
	}
	r->attempts = 1;
	exec_ratelimit_spend(&d->rl_ex, mono_ms(), exec_ratelimit_exchange_weight(n), n);
	exec_wal_sent(&d->wal, nonce, hat_now_ns(), now_ms(), err, sizeof err);
	d->c_actions++;
	if (lane == EXEC_LANE_ALO || lane == EXEC_LANE_TAKE)
		d->c_orders_sent += n;
	return 1;
}

int execd__route(struct execd *d, bool force)
{
	int did = 0;
	for (;;) {
		int lane = force ? exec_router_ready_any(&d->router)
		                 : exec_router_ready(&d->router, hat_mono_ns() / 1000);
		if (lane < 0 || !send_batch(d, lane))
			break;
		did = 1;
	}
	return did;
}
