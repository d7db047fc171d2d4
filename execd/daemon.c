/* execd/daemon.c -- execd's adapter: rings, key, WAL, HTTP, stream, timers (see daemon.h). */
#include "execd/daemon.h"

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
#include "hl/parse_exchange.h"

/* HTTP tags: the kind in the top byte, an index below. */
#define TAG_EXCH (1ull << 56)
#define TAG_RECON (2ull << 56)
#define TAG_META (3ull << 56)
#define TAG_DM (4ull << 56)
#define TAG_KIND(t) ((t) & (0xffull << 56))
#define TAG_IDX(t) ((uint32_t)((t) & 0xffffffffu))

static uint64_t mono_ms(void) { return hat_mono_ns() / HAT_NS_PER_MS; }
static uint64_t now_ms(void) { return hat_now_ns() / HAT_NS_PER_MS; }

/* ---------------------------------------------------------------- output queue */

/* Exec events are never dropped while there is memory for them: straight into the ring when
 * it has room and nothing waits, else queued in order (common/outq.h). */
static void publish(struct execd *d, struct hat_msg_hdr *m)
{
	hat_outq_send(&d->q, m);
}

static void pos_apply_fill(struct execd *d, const struct hl_fill *f);

static void count_event(struct execd *d, const struct hat_msg_exec *ev)
{
	switch (ev->kind) {
	case HAT_EXEC_ACK: d->c_acks++; break;
	case HAT_EXEC_FILL: d->c_fills++; break;
	case HAT_EXEC_CANCELED: d->c_cancels++; break;
	case HAT_EXEC_CANCEL_REJECT: d->c_cancel_rejects++; break;
	case HAT_EXEC_REPLACED: d->c_replaced++; break;
	case HAT_EXEC_REJECT:
		d->c_rejects++;
		if (ev->reason >= HAT_REASON_EXCH_TICK && ev->reason <= HAT_REASON_EXCH_TIMEOUT)
			d->c_rejects_by[ev->reason - HAT_REASON_EXCH_TICK]++;
		break;
	default: break;
	}
}

/* Publishes the rc events an FSM call wrote (rc <= 0: none). */
static void emit(struct execd *d, int rc, struct hat_msg_exec *ev)
{
	for (int i = 0; i < rc && i < EXEC_FSM_MAX_EVENTS; i++) {
		count_event(d, &ev[i]);
		publish(d, &ev[i].h);
	}
}

static void reject_order(struct execd *d, const struct hat_msg_order *o, uint16_t reason,
			 const char *text)
{
	struct hat_msg_exec ev[1];
	exec_fsm_reject_event(o, reason, text, hat_now_ns(), ev);
	emit(d, 1, ev);
}

static void send_ctl(struct execd *d, uint16_t cmd, uint64_t arg, const char *text)
{
	struct hat_msg_control c;
	hat_msg_control_make(&c, cmd, HAT_STAGE_EXECD, d->st.blk ? d->st.blk->restart_count : 0,
			     arg, text, hat_now_ns());
	publish(d, &c.h);
}

static void audit(struct execd *d, enum exec_audit_kind kind, uint64_t nonce, const char *body,
		  size_t len)
{
	char err[200];
	if (d->audit_open &&
	    exec_audit_append(&d->audit, kind, now_ms(), nonce, body, len, err, sizeof err) != 0 &&
	    hat_log_rl_allow(&d->rl, hat_mono_ns()))
		hat_log(&d->st.log, HAT_LOG_ERROR, "audit_failed", "error=%s", err);
}

/* ---------------------------------------------------------------- positions */

static struct execd_pos *pos_find(struct execd *d, const char *coin, bool create)
{
	for (uint32_t i = 0; i < d->n_pos; i++)
		if (strncmp(d->pos[i].coin, coin, HAT_COIN_LEN) == 0)
			return &d->pos[i];
	if (!create || d->n_pos == EXECD_MAX_POS)
		return NULL;
	struct execd_pos *p = &d->pos[d->n_pos++];
	memset(p, 0, sizeof *p);
	memcpy(p->coin, coin, strnlen(coin, HAT_COIN_LEN - 1));
	const struct hl_coin *c = d->meta_ok ? hl_meta_find(&d->meta, p->coin) : NULL;
	p->asset = c ? c->asset : 0;
	return p;
}

/* Today's realized PnL and fees per coin, from each new (not duplicate) fill: the snapshot
 * gives them to riskd, whose day PnL must survive an execd restart. */
static void pos_account(struct execd *d, const struct hl_fill *f)
{
	uint64_t day_start = now_ms() / 86400000ull * 86400000ull;
	struct execd_pos *p = pos_find(d, f->coin, true);
	if (!p || f->time_ms < day_start)
		return;
	p->realized += f->closed_pnl;
	p->fees += f->fee;
	if (f->time_ms > p->time_ms)
		p->time_ms = f->time_ms;
}

static void pos_apply_fill(struct execd *d, const struct hl_fill *f)
{
	struct execd_pos *p = pos_find(d, f->coin, true);
	if (!p)
		return;
	int64_t before = p->szi;
	p->szi += f->side == HAT_SIDE_BUY ? f->sz : -f->sz;
	pos_account(d, f);
	if (p->szi == 0)
		p->entry_px = 0;
	else if (before == 0 || (before > 0) != (p->szi > 0))
		p->entry_px = f->px;
}

/* ---------------------------------------------------------------- snapshot */

static void send_snapshot(struct execd *d)
{
	uint64_t rows = 0, now = hat_now_ns();
	send_ctl(d, HAT_CTL_SNAPSHOT_BEGIN, 0, "execd reconciled");
	uint32_t it = 0;
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	while (exec_fsm_snapshot_next(&d->fsm, &it, now, ev) == 1) {
		publish(d, &ev[0].h);
		rows++;
	}
	for (uint32_t i = 0; i < d->n_pos; i++) {
		struct hat_msg_position p;
		memset(&p, 0, sizeof p);
		hat_msg_init(&p.h, HAT_MSG_POSITION);
		p.h.origin_ns = now;
		memcpy(p.coin, d->pos[i].coin, HAT_COIN_LEN);
		p.asset = d->pos[i].asset;
		p.flags = HAT_EXEC_F_SNAPSHOT;
		/* The trading state is riskd's to decide; the validator wants a legal value. */
		p.trading_state = HAT_TS_ACTIVE;
		p.szi = d->pos[i].szi;
		p.entry_px = d->pos[i].entry_px;
		p.realized_pnl = d->pos[i].realized;
		p.fees = d->pos[i].fees;
		p.exch_time_ms = d->pos[i].time_ms;
		publish(d, &p.h);
		rows++;
	}
	send_ctl(d, HAT_CTL_SNAPSHOT_END, rows, NULL);
	d->c_snapshots++;
	d->snapshot_wanted = false;
	hat_log(&d->st.log, HAT_LOG_INFO, "snapshot_sent", "rows=%llu live_orders=%u positions=%u",
	        (unsigned long long)rows, d->fsm.live, d->n_pos);
}

/* ---------------------------------------------------------------- reconciliation sink */

static void rs_open_order(void *user, const struct hl_order_info *o)
{
	struct execd *d = user;
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	int rc = exec_fsm_adopt(&d->fsm, o, hat_now_ns(), now_ms(), ev);
	emit(d, rc, ev);
}

static void rs_open_done(void *user, const struct hl_order_info *all, size_t n)
{
	struct execd *d = user;
	/* Live orders the exchange does not list: filled or canceled while we were not looking. */
	uint32_t it = 0;
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	while (exec_fsm_snapshot_next(&d->fsm, &it, 0, ev) == 1) {
		bool listed = false;
		for (size_t i = 0; i < n && !listed; i++)
			listed = (all[i].has_cloid &&
			          memcmp(all[i].cloid, ev[0].cloid, HAT_CLOID_LEN) == 0) ||
			         (ev[0].oid != 0 && all[i].oid == ev[0].oid);
		if (!listed)
			exec_reconcile_add_unknown(&d->recon, ev[0].cloid);
	}
	for (uint32_t i = 0; i < d->n_recovered_cloids; i++)
		exec_reconcile_add_unknown(&d->recon, d->recovered_cloids[i]);
}

static void rs_status(void *user, const uint8_t cloid[HAT_CLOID_LEN], bool known,
		      const struct hl_order_update *u)
{
	struct execd *d = user;
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	int rc = known ? exec_fsm_on_order_update(&d->fsm, u, hat_now_ns(), now_ms(), ev)
	               : exec_fsm_on_not_found(&d->fsm, cloid, hat_now_ns(), now_ms(), ev);
	d->c_unknown_resolved++;
	emit(d, rc, ev);
}

static void rs_fill(void *user, const struct hl_fill *f)
{
	struct execd *d = user;
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	uint64_t dups = d->fsm.c.dup_fills;
	int rc = exec_fsm_on_fill(&d->fsm, f, hat_now_ns(), now_ms(), ev);
	if (d->fsm.c.dup_fills == dups) {
		/* the position itself comes from clearinghouseState next */
		pos_account(d, f);
		if (f->time_ms > d->last_fill_ms)
			d->last_fill_ms = f->time_ms;
	}
	emit(d, rc, ev);
}

static void rs_positions_begin(void *user)
{
	struct execd *d = user;
	for (uint32_t i = 0; i < d->n_pos; i++) {
		d->pos[i].szi = 0;
		d->pos[i].entry_px = 0;
	}
}

static void rs_position(void *user, const struct hl_position *p)
{
	struct execd *d = user;
	struct execd_pos *x = pos_find(d, p->coin, true);
	if (!x)
		return;
	x->szi = p->szi;
	x->entry_px = p->entry_px;
}

static void rs_rate(void *user, uint64_t used, uint64_t cap)
{
	exec_ratelimit_set_user(&((struct execd *)user)->rl_ex, used, cap);
}

static const struct exec_recon_sink *sink(struct execd *d)
{
	static struct exec_recon_sink s = { NULL, rs_open_order, rs_open_done, rs_status, rs_fill,
		rs_positions_begin, rs_position, rs_rate };
	s.user = d;
	return &s;
}

static void recon_finished(struct execd *d)
{
	char err[200];
	/* The orders of the actions this pass covered are now known: their WAL entries close. */
	uint32_t k = d->n_recovered_pass;
	for (uint32_t i = 0; i < k; i++)
		exec_wal_result(&d->wal, d->recovered_nonces[i], EXEC_WAL_ANSWERED, hat_now_ns(),
		                now_ms(), err, sizeof err);
	memmove(d->recovered_nonces, d->recovered_nonces + k,
	        (d->n_recovered - k) * sizeof d->recovered_nonces[0]);
	d->n_recovered -= k;
	d->n_recovered_pass = 0;
	d->n_recovered_cloids = 0;
	d->ready = true;
	d->ever_ready = true;
	hat_daemon_set_ready(&d->st, true);
	hat_log(&d->st.log, HAT_LOG_INFO, "reconciled",
	        "live_orders=%u positions=%u unknown_resolved=%llu last_fill_ms=%llu", d->fsm.live,
	        d->n_pos, (unsigned long long)d->c_unknown_resolved,
	        (unsigned long long)d->last_fill_ms);
	if (d->snapshot_wanted)
		send_snapshot(d);
}

static void recon_pump(struct execd *d)
{
	if (d->recon_wanted && !exec_reconcile_active(&d->recon) && d->meta_ok &&
	    exec_stream_live(&d->stream) && mono_ms() >= d->recon_after_ms) {
		d->recon_wanted = false;
		d->ready = false;
		d->n_recovered_pass = d->n_recovered;
		exec_reconcile_begin(&d->recon, d->last_fill_ms);
	}
	if (!exec_reconcile_active(&d->recon) || d->recon.waiting || exec_http_free_slots(&d->http) == 0)
		return;
	if (exec_reconcile_next(&d->recon, &d->scratch) == 1) {
		int rc = exec_http_post(&d->http, "/info", d->scratch.data, d->scratch.len, TAG_RECON);
		if (rc)
			d->recon.waiting = false;
	}
}

/* ---------------------------------------------------------------- routing */

static bool crash_hook(struct execd *d, const char *point)
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
static void mark_unknown(struct execd *d, struct execd_req *r)
{
	for (uint32_t i = 0; i < r->n; i++)
		exec_reconcile_add_unknown(&d->recon, r->items[i].cloid);
	if (d->n_recovered < EXECD_MAX_RECOVERED)
		d->recovered_nonces[d->n_recovered++] = r->nonce;
	d->recon_wanted = true;
}

/* Fails every item of a request that provably never reached the exchange. */
static void fail_items(struct execd *d, struct execd_req *r, uint16_t reason, const char *text)
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
		emit(d, rc, ev);
	}
}

static struct execd_req *req_free(struct execd *d)
{
	for (uint32_t i = 0; i < d->n_reqs; i++)
		if (!d->reqs[i].used)
			return &d->reqs[i];
	return NULL;
}

static void req_release(struct execd *d, struct execd_req *r)
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
		fail_items(d, r, HAT_REASON_EXCH_OTHER, "execd could not send");
		req_release(d, r);
		return 1;
	}
	r->nonce = nonce;
	d->actions_total++;
	if (crash_hook(d, "journaled"))
		_exit(86);
	audit(d, EXEC_AUDIT_REQUEST, nonce, r->body.data, r->body.len);
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
		fail_items(d, r, HAT_REASON_EXCH_TRANSPORT, "execd could not start the request");
		req_release(d, r);
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

static int route(struct execd *d, bool force)
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
		emit(d, rc, ev);
	}
}

static void on_exchange_answer(struct execd *d, struct execd_req *r, const struct exec_http_done *x)
{
	char err[256];
	if (crash_hook(d, "answered"))
		_exit(86);
	struct exec_http_done lost;
	if (r->attempts == 1 && crash_hook(d, "lose_answer")) {
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
			fail_items(d, r, x->err == -ETIMEDOUT ? HAT_REASON_EXCH_TIMEOUT
			                                      : HAT_REASON_EXCH_TRANSPORT, x->errtext);
		} else {
			/* It may have landed: ask the exchange instead of guessing. */
			mark_unknown(d, r);
		}
		req_release(d, r);
		return;
	}
	hat_hist_record(d->k.request_ns, x->elapsed_ns);
	audit(d, EXEC_AUDIT_RESPONSE, r->nonce, x->body, x->len);
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
		fail_items(d, r, HAT_REASON_EXCH_RATE_LIMIT, "rate limited by the exchange");
		req_release(d, r);
		return;
	}
	if (prc != 0) {
		if (x->status != 200)
			snprintf(err, sizeof err, "HTTP %ld: %.*s", x->status,
			         (int)(x->len > 100 ? 100 : x->len), x->body);
		hat_log(&d->st.log, HAT_LOG_WARN, "bad_answer", "nonce=%llu error=%s",
		        (unsigned long long)r->nonce, err);
		mark_unknown(d, r);
		req_release(d, r);
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
			fail_items(d, r, resp.reason, resp.text);
		}
	} else if (r->lane == EXEC_LANE_MODIFY && resp.type == HL_EXRESP_DEFAULT) {
		for (uint32_t i = 0; i < r->n; i++) {
			struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
			emit(d, exec_fsm_on_modify_result(&d->fsm, r->items[i].cloid, true, 0, 0, NULL,
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
	req_release(d, r);
}

/* ---------------------------------------------------------------- dead-man's switch */

static bool riskd_alive(const struct execd *d, uint64_t mono)
{
	return hat_stage_alive(&d->st.control, HAT_STAGE_RISKD,
			       (uint64_t)d->file.riskd_timeout_ms * HAT_NS_PER_MS, mono);
}

static void deadman_pump(struct execd *d)
{
	uint64_t t = 0;
	bool healthy = d->ready && riskd_alive(d, hat_mono_ns());
	enum exec_dm_action a = exec_deadman_poll(&d->dm, now_ms(), healthy, &t);
	if (a == EXEC_DM_NONE || exec_http_free_slots(&d->http) == 0)
		return;
	char err[200];
	uint64_t nonce;
	hat_buf_reset(&d->json);
	hat_buf_reset(&d->mp);
	hat_buf_reset(&d->scratch);
	if (hl_action_schedule_cancel(a == EXEC_DM_ARM, t, &d->json, &d->mp) != 0 ||
	    exec_nonce_next(&d->nonce, now_ms(), &nonce, err, sizeof err) != 0 ||
	    exec_router_sign(exec_key_signer(d->key), &d->json, &d->mp, nonce,
	                     d->has_vault ? d->vault : NULL, d->testnet, &d->scratch) != 0) {
		exec_deadman_sent(&d->dm, t);
		exec_deadman_result(&d->dm, false, now_ms());
		return;
	}
	audit(d, EXEC_AUDIT_REQUEST, nonce, d->scratch.data, d->scratch.len);
	if (exec_http_post(&d->http, "/exchange", d->scratch.data, d->scratch.len, TAG_DM) != 0)
		return;
	d->dm_nonce = nonce;
	exec_deadman_sent(&d->dm, t);
}

/* ---------------------------------------------------------------- HTTP completions */

static void on_http(void *user, const struct exec_http_done *x)
{
	struct execd *d = user;
	char err[256];
	switch (TAG_KIND(x->tag)) {
	case TAG_EXCH:
		if (TAG_IDX(x->tag) < d->n_reqs && d->reqs[TAG_IDX(x->tag)].used)
			on_exchange_answer(d, &d->reqs[TAG_IDX(x->tag)], x);
		return;
	case TAG_RECON:
		if (exec_reconcile_answer(&d->recon, x->err, x->status, x->body, x->len, sink(d))) {
			hat_log(&d->st.log, HAT_LOG_WARN, "reconcile_failed", "error=%s", d->recon.err);
			d->recon_wanted = true;
			d->recon_after_ms = mono_ms() + 1000;
		} else if (exec_reconcile_done(&d->recon)) {
			d->recon.step = EXEC_RS_IDLE;
			recon_finished(d);
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
		audit(d, EXEC_AUDIT_RESPONSE, d->dm_nonce, x->body, x->len);
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

/* ---------------------------------------------------------------- WebSocket post */

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
	if (!ok) {
		/* The server refused the post; whether it executed is unknown: retry the same
		 * bytes over HTTP (a repeated nonce cannot place anything twice). */
		x.err = -EIO;
		x.status = 0;
		x.errtext = payload;
	}
	on_exchange_answer(d, r, &x);
}

/* Posts unanswered past their deadline, or on a connection that closed, failed in transit. */
static void ws_post_sweep(struct execd *d, bool all)
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
		on_exchange_answer(d, r, &x);
	}
}

/* ---------------------------------------------------------------- stream callbacks */

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
	ws_post_sweep(d, true);
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
		emit(d, exec_fsm_on_order_update(&d->fsm, &u[i], recv_ns, now_ms(), ev), ev);
	}
}

static void st_fills(void *user, const struct hl_fill *f, size_t n, bool snapshot,
		     uint64_t recv_ns)
{
	struct execd *d = user;
	(void)snapshot; /* the snapshot's fills are deduplicated by tid like any other */
	for (size_t i = 0; i < n; i++) {
		struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
		uint64_t dups = d->fsm.c.dup_fills;
		int rc = exec_fsm_on_fill(&d->fsm, &f[i], recv_ns, now_ms(), ev);
		if (d->fsm.c.dup_fills == dups) {
			pos_apply_fill(d, &f[i]);
			if (f[i].time_ms > d->last_fill_ms)
				d->last_fill_ms = f[i].time_ms;
		}
		emit(d, rc, ev);
	}
}

static void st_bad(void *user, const char *why)
{
	struct execd *d = user;
	d->c_bad_msgs++;
	if (hat_log_rl_allow(&d->rl, hat_mono_ns()))
		hat_log(&d->st.log, HAT_LOG_WARN, "stream_bad_frame", "error=%s", why);
}

/* ---------------------------------------------------------------- orders from riskd */

static void start_cancel_all(struct execd *d, const char *why)
{
	uint32_t it = 0, n = 0;
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	while (n < d->file.fsm_capacity && exec_fsm_snapshot_next(&d->fsm, &it, 0, ev) == 1)
		memcpy(d->cancel_list[n++], ev[0].cloid, HAT_CLOID_LEN);
	d->n_cancel = n;
	d->cancel_next = 0;
	hat_log(&d->st.log, HAT_LOG_WARN, "cancel_all", "orders=%u why=%s", n, why);
}

static bool queue_cancel(struct execd *d, const uint8_t cloid[HAT_CLOID_LEN],
			 const struct hat_order_fields *fields, uint64_t risk_seq)
{
	const struct exec_order *o = exec_fsm_find(&d->fsm, cloid);
	/* Adopted from the exchange without a cloid (the FSM keys it by a synthetic one): the
	 * exchange knows it only by oid, and its asset only from the coin table. */
	bool by_oid = o && o->oid != 0 &&
	              (o->asset == UINT32_MAX || memcmp(cloid, "hat:oid:", 8) == 0);
	unsigned lane = by_oid ? EXEC_LANE_CANCEL_OID : EXEC_LANE_CANCEL;
	if (d->router.lanes[lane].n >= d->router.cfg.max_batch)
		return false;
	struct hat_msg_order m;
	memset(&m, 0, sizeof m);
	hat_msg_init(&m.h, HAT_MSG_ORDER);
	if (fields) {
		m.o = *fields;
	} else {
		memcpy(m.o.cloid, cloid, HAT_CLOID_LEN);
		if (o)
			memcpy(m.o.coin, o->coin, HAT_COIN_LEN);
		m.o.kind = HAT_INTENT_CANCEL;
	}
	m.risk_seq = risk_seq;
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	int rc = exec_fsm_cancel(&d->fsm, &m, hat_now_ns(), now_ms(), ev);
	if (rc > 0) {
		emit(d, rc, ev);
		return true;
	}
	if (rc != 0 || !o)
		return true;
	struct exec_item it;
	memset(&it, 0, sizeof it);
	it.lane = EXEC_LANE_CANCEL;
	memcpy(it.cloid, cloid, HAT_CLOID_LEN);
	it.asset = o->asset;
	if (by_oid) {
		const struct hl_coin *c = hl_meta_find_n(&d->meta, o->coin,
		                                         strnlen(o->coin, HAT_COIN_LEN));
		it.lane = EXEC_LANE_CANCEL_OID;
		it.oid = o->oid;
		it.asset = c ? c->asset : 0;
	}
	if (fields) {
		it.fields = *fields;
	} else {
		memcpy(it.fields.cloid, cloid, HAT_CLOID_LEN);
		memcpy(it.fields.coin, o->coin, HAT_COIN_LEN);
		it.fields.kind = HAT_INTENT_CANCEL;
		it.fields.asset = o->asset;
	}
	it.risk_seq = risk_seq;
	exec_router_add(&d->router, &it, hat_mono_ns() / 1000);
	return true;
}

static void cancel_all_pump(struct execd *d)
{
	while (d->cancel_next < d->n_cancel &&
	       queue_cancel(d, d->cancel_list[d->cancel_next], NULL, 0))
		d->cancel_next++;
}

/* Returns false when the order cannot be taken now (leave it in the ring). */
static bool take_order(struct execd *d, const struct hat_msg_order *m)
{
	const struct hat_order_fields *o = &m->o;
	uint64_t ns = hat_now_ns(), ms = now_ms();
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	if (o->kind == HAT_INTENT_CANCEL)
		return queue_cancel(d, o->cloid, o, m->risk_seq);
	unsigned lane = o->kind == HAT_INTENT_REPLACE ? EXEC_LANE_MODIFY : exec_router_new_lane(o);
	if (d->router.lanes[lane].n >= d->router.cfg.max_batch)
		return false;
	d->c_orders_in++;
	if (d->halted) {
		reject_order(d, m, HAT_REASON_RISK_HALTED, "execd halted");
		return true;
	}
	const struct hl_coin *coin = hl_meta_find_n(&d->meta, o->coin, strnlen(o->coin, HAT_COIN_LEN));
	if (!coin) {
		reject_order(d, m, HAT_REASON_EXCH_OTHER, "unknown coin");
		return true;
	}
	if (!exec_ratelimit_allow(&d->rl_ex, mono_ms(), 1, 1, false)) {
		d->c_rate_limited++;
		reject_order(d, m, HAT_REASON_EXCH_RATE_LIMIT, "execd backing off (rate limit)");
		return true;
	}
	struct exec_item it;
	memset(&it, 0, sizeof it);
	it.lane = (uint8_t)lane;
	if (exec_order_wire(o, coin->asset, &it.order) != 0) {
		reject_order(d, m, HAT_REASON_RISK_BAD_INTENT, "bad order fields");
		return true;
	}
	int rc;
	if (o->kind == HAT_INTENT_REPLACE) {
		const struct exec_order *old = exec_fsm_find(&d->fsm, o->orig_cloid);
		rc = exec_fsm_modify(&d->fsm, m, ns, ms, ev);
		if (rc > 0) {
			emit(d, rc, ev);
			return true;
		}
		it.oid = old ? old->oid : 0;
	} else {
		rc = exec_fsm_new(&d->fsm, m, ms);
	}
	if (rc == -EEXIST) {
		reject_order(d, m, HAT_REASON_RISK_DUPLICATE_CLOID, "cloid already used");
		return true;
	}
	if (rc != 0) {
		reject_order(d, m, HAT_REASON_EXCH_OTHER, "execd order table full");
		return true;
	}
	memcpy(it.cloid, o->cloid, HAT_CLOID_LEN);
	memcpy(it.orig_cloid, o->orig_cloid, HAT_CLOID_LEN);
	it.asset = coin->asset;
	it.fields = *o;
	it.fields.asset = coin->asset;
	it.origin_ns = m->h.origin_ns;
	it.risk_seq = m->risk_seq;
	exec_router_add(&d->router, &it, hat_mono_ns() / 1000);
	return true;
}

static void on_command(struct execd *d, const struct hat_msg_control *c)
{
	switch (c->cmd) {
	case HAT_CTL_HELLO:
	case HAT_CTL_STATE_REQUEST:
		d->snapshot_wanted = true;
		if (d->ready)
			send_snapshot(d);
		return;
	case HAT_CTL_HALT:
	case HAT_CTL_ESCALATE:
		d->halted = true;
		start_cancel_all(d, c->text);
		return;
	case HAT_CTL_CANCEL_ALL:
		start_cancel_all(d, c->text);
		return;
	case HAT_CTL_RESUME:
		d->halted = false;
		return;
	case HAT_CTL_SHUTDOWN:
		d->shutdown = true;
		return;
	default:
		return;
	}
}

static int take_ring(struct execd *d)
{
	int n = 0;
	const void *slot;
	while (n < EXECD_BATCH && d->q.n == 0 && hat_ring_peek(&d->r_order, &slot) == 0) {
		const struct hat_msg_hdr *h = slot;
		char why[128];
		if (hat_msg_accept(&d->rej_order, slot, HAT_SLOT_ORDER, HAT_MSGS_ORDER, why,
		                   sizeof why) != 0) {
			d->c_bad_msgs++;
			if (hat_log_rl_allow(&d->rl, hat_mono_ns()))
				hat_log(&d->st.log, HAT_LOG_WARN, "bad_msg", "seq=%llu error=%s",
				        (unsigned long long)h->seq, why);
			if (h->type == HAT_MSG_ORDER && h->length == sizeof(struct hat_msg_order)) {
				hat_seq_check(&d->seq_order, h->seq);
				reject_order(d, slot, HAT_REASON_RISK_BAD_INTENT, why);
			}
			hat_ring_release(&d->r_order);
			n++;
			continue;
		}
		if (h->type == HAT_MSG_CONTROL) {
			hat_seq_check(&d->seq_order, h->seq);
			on_command(d, slot);
		} else {
			/* Orders wait in the ring until execd is reconciled. */
			if (!d->ready || d->draining)
				break;
			if (!take_order(d, slot))
				break;
			hat_seq_check(&d->seq_order, h->seq);
		}
		hat_ring_release(&d->r_order);
		n++;
	}
	return n;
}

static int take_cmds(struct execd *d)
{
	struct hat_msg_control c;
	int n = 0;
	while (n < EXECD_BATCH && hat_daemon_poll_cmd(&d->st, &c) == 1) {
		n++;
		hat_log(&d->st.log, HAT_LOG_INFO, "command", "cmd=%s from=%s",
		        hat_ctl_cmd_name(c.cmd), hat_stage_name(c.from_stage));
		on_command(d, &c);
	}
	return n;
}

/* ---------------------------------------------------------------- control block */

static int register_counters(struct execd *d)
{
	struct execd_counters *k = &d->k;
	int rc = 0;
#define R(f) rc |= hat_counter_register(d->st.blk, #f, &k->f)
	R(orders_in); R(orders_sent); R(actions_sent); R(acks); R(rejects); R(fills); R(dup_fills);
	R(cancels); R(cancel_rejects); R(replaced); R(in_flight); R(retries); R(transport_errors);
	R(timeouts); R(rate_limited); R(reconciles); R(reconcile_failures); R(stream_reconnects);
	R(snapshots_out); R(dm_arms); R(dm_failures); R(dm_triggers); R(unknown_resolved);
	R(bad_msgs); R(out_drops); R(ready); R(ws_posts);
#undef R
	for (unsigned r = HAT_REASON_EXCH_TICK; r <= HAT_REASON_EXCH_TIMEOUT; r++) {
		char name[64];
		const char *n = hat_reason_name(r);
		int len = snprintf(name, sizeof name, "rejected.%s", n);
		for (int i = 9; i < len; i++)
			if (name[i] >= 'A' && name[i] <= 'Z')
				name[i] = (char)(name[i] - 'A' + 'a');
		rc |= hat_counter_register(d->st.blk, name,
		                           &k->rejects_by[r - HAT_REASON_EXCH_TICK]);
	}
	rc |= hat_hist_register(d->st.blk, "request_ns", &k->request_ns);
	rc |= hat_hist_register(d->st.blk, "tick_to_order_ns", &k->tick_to_order_ns);
	return rc ? -ENOSPC : 0;
}

static void publish_control(struct execd *d, uint64_t mono)
{
	struct execd_counters *k = &d->k;
	unsigned state = d->draining ? HAT_STATE_STOPPING
	               : !d->ready ? HAT_STATE_STARTING
	               : d->halted ? HAT_STATE_HALTED : HAT_STATE_RUNNING;
	hat_daemon_set_state(&d->st, state);
	hat_stage_set_ready(d->st.blk, d->ready);
	hat_counter_set(k->orders_in, d->c_orders_in);
	hat_counter_set(k->orders_sent, d->c_orders_sent);
	hat_counter_set(k->actions_sent, d->c_actions);
	hat_counter_set(k->acks, d->c_acks);
	hat_counter_set(k->rejects, d->c_rejects);
	hat_counter_set(k->fills, d->c_fills);
	hat_counter_set(k->dup_fills, d->fsm.c.dup_fills);
	hat_counter_set(k->cancels, d->c_cancels);
	hat_counter_set(k->cancel_rejects, d->c_cancel_rejects);
	hat_counter_set(k->replaced, d->c_replaced);
	hat_counter_set(k->in_flight, d->router.in_flight);
	hat_counter_set(k->retries, d->c_retries);
	hat_counter_set(k->transport_errors, d->http.transport_errors);
	hat_counter_set(k->timeouts, d->http.timeouts);
	hat_counter_set(k->rate_limited, d->c_rate_limited);
	hat_counter_set(k->reconciles, d->recon.passes);
	hat_counter_set(k->reconcile_failures, d->recon.failures);
	hat_counter_set(k->stream_reconnects, d->c_reconnects);
	hat_counter_set(k->snapshots_out, d->c_snapshots);
	hat_counter_set(k->dm_arms, d->dm.arms);
	hat_counter_set(k->dm_failures, d->dm.arm_failures);
	hat_counter_set(k->dm_triggers, d->dm.triggers);
	hat_counter_set(k->unknown_resolved, d->c_unknown_resolved);
	hat_counter_set(k->bad_msgs, d->c_bad_msgs);
	hat_counter_set(k->out_drops, d->q.dropped);
	hat_counter_set(k->ready, d->ready);
	hat_counter_set(k->ws_posts, d->c_ws_posts);
	for (unsigned r = 0; r <= HAT_REASON_EXCH_TIMEOUT - HAT_REASON_EXCH_TICK; r++)
		hat_counter_set(k->rejects_by[r], d->c_rejects_by[r]);
	d->last_flush_mono = mono;
}

/* ---------------------------------------------------------------- init / deinit */

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

/* Reads the WAL: every action without a result is recovered; its NEW/REPLACE orders enter the
 * FSM as pending and their cloids are asked about in the first reconciliation. */
static int recover_wal(struct execd *d, char *err, size_t errlen)
{
	struct exec_wal_pending *p = calloc(EXECD_MAX_RECOVERED, sizeof *p);
	if (!p)
		return -ENOMEM;
	size_t n = 0, total = 0;
	struct exec_wal_stats stats;
	char e[256];
	int rc = exec_wal_recover(d->file.wal_dir, "execwal", p, EXECD_MAX_RECOVERED, &n, &total,
	                          &stats, e, sizeof e);
	if (rc) {
		snprintf(err, errlen, "wal recovery: %s", e);
		free(p);
		return rc;
	}
	uint64_t ms = now_ms();
	for (size_t i = 0; i < n; i++) {
		d->recovered_nonces[d->n_recovered++] = p[i].nonce;
		for (uint16_t j = 0; j < p[i].n_orders; j++) {
			const struct exec_wal_order *w = &p[i].orders[j];
			if (d->n_recovered_cloids < EXEC_RECON_MAX_UNKNOWN)
				memcpy(d->recovered_cloids[d->n_recovered_cloids++], w->o.cloid,
				       HAT_CLOID_LEN);
			if (w->o.kind == HAT_INTENT_NEW || w->o.kind == HAT_INTENT_REPLACE) {
				struct hat_msg_order m;
				memset(&m, 0, sizeof m);
				hat_msg_init(&m.h, HAT_MSG_ORDER);
				m.o = w->o;
				m.o.kind = HAT_INTENT_NEW;
				memset(m.o.orig_cloid, 0, HAT_CLOID_LEN);
				m.risk_seq = w->risk_seq;
				exec_fsm_new(&d->fsm, &m, ms);
			}
		}
	}
	if (n > 0)
		hat_log(&d->st.log, HAT_LOG_WARN, "wal_recovered",
		        "actions=%zu orders=%u torn=%llu note=%s", n, d->n_recovered_cloids,
		        (unsigned long long)stats.torn, "fates asked of the exchange, not resent");
	struct exec_wal_opts wo = { d->file.wal_dir, "execwal", 0,
	                            d->file.max_in_flight + EXECD_MAX_RECOVERED };
	rc = exec_wal_open(&d->wal, &wo, p, n, hat_now_ns(), ms, e, sizeof e);
	free(p);
	if (rc) {
		snprintf(err, errlen, "wal: %s", e);
		return rc;
	}
	d->wal_open = true;
	return 0;
}

int execd_init(struct execd *d, const struct hat_daemon_args *a, const struct execd_opts *o,
	       char *err, size_t errlen)
{
	int rc;
	char e[256];
	memset(d, 0, sizeof *d);
	hat_log_rl_init(&d->rl, 0, HAT_NS_PER_S);
	hat_seq_check_init(&d->seq_order);
	hat_msg_rejects_init(&d->rej_order);
	hat_buf_init(&d->scratch);
	hat_buf_init(&d->json);
	hat_buf_init(&d->mp);
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
	if ((rc = register_counters(d))) {
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
	if ((rc = recover_wal(d, err, errlen)))
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
	struct exec_stream_cbs scb = { st_open, st_close, st_orders, st_fills, st_bad, st_post };
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
	send_ctl(d, HAT_CTL_HELLO, d->st.blk->restart_count, "execd start");
	exec_stream_start(&d->stream, mono_ms());
	d->recon_wanted = true;
	publish_control(d, hat_mono_ns());
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
	hat_ring_detach(&d->r_order);
	hat_ring_detach(&d->r_exec);
	if (d->open)
		hat_daemon_close(&d->st);
	d->open = false;
}

/* ---------------------------------------------------------------- loop */

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
	work += take_cmds(d);
	work += take_ring(d);
	cancel_all_pump(d);
	work += route(d, d->draining);
	work += exec_http_poll(&d->http, on_http, d);
	work += exec_stream_step(&d->stream, mono_ms());
	uv_run(&d->loop, UV_RUN_NOWAIT);
	ws_post_sweep(d, false);
	recon_pump(d);
	deadman_pump(d);
	uint64_t mono = hat_mono_ns();
	hat_daemon_tick(&d->st, mono);
	if (mono - d->last_flush_mono >= d->st.hb_interval_ns)
		publish_control(d, mono);
	if (work == 0 && timeout_ms > 0) {
		/* Idle: wait briefly on the HTTP sockets (answers wake us at once). */
		if (d->http.busy > 0)
			exec_http_wait(&d->http, 1);
		else
			hat_sleep_ns(100 * HAT_NS_PER_US);
	}
	return work > 0 ? 1 : 0;
}

int execd_drain(struct execd *d, int timeout_ms)
{
	d->draining = true;
	publish_control(d, hat_mono_ns());
	uint64_t end = hat_mono_ns() + (uint64_t)timeout_ms * HAT_NS_PER_MS;
	while (hat_mono_ns() < end &&
	       (d->router.in_flight > 0 || exec_router_pending(&d->router) > 0 || d->q.n > 0)) {
		if (hat_outq_flush(&d->q))
			break;
		route(d, true);
		exec_http_poll(&d->http, on_http, d);
		uv_run(&d->loop, UV_RUN_NOWAIT);
		exec_http_wait(&d->http, 1);
	}
	publish_control(d, hat_mono_ns());
	hat_log(&d->st.log, HAT_LOG_INFO, "drained", "in_flight=%u queued=%u", d->router.in_flight,
	        d->q.n);
	return d->router.in_flight || d->q.n ? -ETIMEDOUT : 0;
}
