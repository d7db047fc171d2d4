/* execd/resync.c -- WAL recovery at start, the reconciliation sink, driving passes. */
#include "execd/daemon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads the WAL: every action without a result is recovered; its NEW/REPLACE orders enter the
 * FSM as pending and their cloids are asked about in the first reconciliation. */
int execd__recover_wal(struct execd *d, char *err, size_t errlen)
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
	/* The fills published before: not published again (fills.c). */
	struct exec_wal_fill *fills = calloc(EXEC_WAL_FILLS_KEPT, sizeof *fills);
	size_t n_fills = 0;
	rc = fills ? exec_wal_recover_fills(d->file.wal_dir, "execwal", fills, &n_fills, e, sizeof e)
	           : -ENOMEM;
	if (rc) {
		snprintf(err, errlen, "wal recovery (fills): %s", rc == -ENOMEM ? "out of memory" : e);
		free(fills);
		free(p);
		return rc;
	}
	execd__fills_restore(d, fills, n_fills);
	if (n_fills > 0)
		hat_log(&d->st.log, HAT_LOG_INFO, "fills_restored",
		        "fills=%zu last_fill_ms=%llu floor_ms=%llu", n_fills,
		        (unsigned long long)d->last_fill_ms, (unsigned long long)d->fill_floor_ms);
	struct exec_wal_opts wo = { d->file.wal_dir, "execwal", 0,
	                            d->file.max_in_flight + EXECD_MAX_RECOVERED, fills, n_fills };
	rc = exec_wal_open(&d->wal, &wo, p, n, hat_now_ns(), ms, e, sizeof e);
	free(fills);
	free(p);
	if (rc) {
		snprintf(err, errlen, "wal: %s", e);
		return rc;
	}
	d->wal_open = true;
	return 0;
}
static void rs_open_order(void *user, const struct hl_order_info *o)
{
	struct execd *d = user;
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	int rc = exec_fsm_adopt(&d->fsm, o, hat_now_ns(), now_ms(), ev);
	execd__emit(d, rc, ev);
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
	execd__emit(d, rc, ev);
}

static void rs_fill(void *user, const struct hl_fill *f)
{
	struct execd *d = user;
	/* The position itself comes from clearinghouseState next. Today's realized PnL and fees:
	 * after a start, every fill of the day the exchange lists counts (published or not);
	 * later passes add only the new ones. */
	bool fresh = execd__fill(d, f, hat_now_ns());
	if (fresh || d->recount_pnl)
		execd__pos_account(d, f);
}

static void rs_fills_begin(void *user)
{
	struct execd *d = user;
	if (!d->recount_pnl)
		return;
	for (uint32_t i = 0; i < d->n_pos; i++) {
		d->pos[i].realized = 0;
		d->pos[i].fees = 0;
	}
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
	struct execd_pos *x = execd__pos_find(d, p->coin, true);
	if (!x)
		return;
	x->szi = p->szi;
	x->entry_px = p->entry_px;
}

static void rs_rate(void *user, uint64_t used, uint64_t cap)
{
	exec_ratelimit_set_user(&((struct execd *)user)->rl_ex, used, cap);
}

const struct exec_recon_sink *execd__recon_sink(struct execd *d)
{
	static struct exec_recon_sink s = { NULL, rs_open_order, rs_open_done, rs_status, rs_fill,
		rs_positions_begin, rs_position, rs_rate, rs_fills_begin };
	s.user = d;
	return &s;
}

void execd__recon_finished(struct execd *d)
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
	d->recount_pnl = false;
	hat_daemon_set_ready(&d->st, true);
	hat_log(&d->st.log, HAT_LOG_INFO, "reconciled",
	        "live_orders=%u positions=%u unknown_resolved=%llu last_fill_ms=%llu", d->fsm.live,
	        d->n_pos, (unsigned long long)d->c_unknown_resolved,
	        (unsigned long long)d->last_fill_ms);
	if (d->snapshot_wanted)
		execd__send_snapshot(d);
}

void execd__recon_pump(struct execd *d)
{
	if (d->recon_wanted && !exec_reconcile_active(&d->recon) && d->meta_ok &&
	    exec_stream_live(&d->stream) && mono_ms() >= d->recon_after_ms) {
		d->recon_wanted = false;
		d->ready = false;
		d->n_recovered_pass = d->n_recovered;
		/* After a start the pass also lists today's fills already published: realized PnL
		 * and fees are recomputed from them (rs_fills_begin, rs_fill). */
		uint64_t since = d->last_fill_ms, day = now_ms() / HAT_MS_PER_DAY * HAT_MS_PER_DAY;
		if (d->recount_pnl && since > day)
			since = day;
		exec_reconcile_begin(&d->recon, since);
	}
	if (!exec_reconcile_active(&d->recon) || d->recon.waiting || exec_http_free_slots(&d->http) == 0)
		return;
	if (exec_reconcile_next(&d->recon, &d->scratch) == 1) {
		int rc = exec_http_post(&d->http, "/info", d->scratch.data, d->scratch.len, TAG_RECON);
		if (rc)
			d->recon.waiting = false;
	}
}
