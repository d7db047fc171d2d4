/* execd/fills.c -- fills from the exchange: published to riskd once, across restarts too.
 *
 * A fill is new when the FSM has not seen its (tid, oid) and it is not older than the oldest
 * fill the WAL remembered at start (fill_floor_ms: everything before it was published by an
 * earlier execd). A new fill is published (FILL exec event), journaled in the WAL (so the next
 * execd knows it was published) and written to the audit trail as an event line
 * {"fills":[<Hyperliquid fill object>]} (tools/report reads fills from there).
 */
#include "execd/daemon_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/fixed.h"
#include "hl/hex.h"

static void put_fx(struct hat_buf *b, const char *key, int64_t v)
{
	char s[HAT_FX_STRLEN];
	hat_fx_format(v, s, sizeof s);
	hat_buf_printf(b, ",\"%s\":\"%s\"", key, s);
}

static void audit_fill(struct execd *d, const struct hl_fill *f)
{
	struct hat_buf *b = &d->scratch_fill;
	hat_buf_reset(b);
	hat_buf_printf(b, "{\"fills\":[{\"coin\":\"%.*s\"", (int)strnlen(f->coin, HAT_COIN_LEN),
	               f->coin);
	put_fx(b, "px", f->px);
	put_fx(b, "sz", f->sz);
	hat_buf_printf(b, ",\"side\":\"%s\",\"time\":%" PRIu64 ",\"oid\":%" PRIu64
	               ",\"tid\":%" PRIu64 ",\"crossed\":%s",
	               f->side == HAT_SIDE_BUY ? "B" : "A", f->time_ms, f->oid, f->tid,
	               f->crossed ? "true" : "false");
	put_fx(b, "fee", f->fee);
	put_fx(b, "builderFee", f->builder_fee);
	put_fx(b, "closedPnl", f->closed_pnl);
	put_fx(b, "startPosition", f->start_position);
	char hash[HL_HASH_STRLEN];
	hl_hex_encode(f->hash, sizeof f->hash, hash);
	hat_buf_printf(b, ",\"dir\":\"%.*s\",\"hash\":\"%s\",\"feeToken\":\"%.*s\"",
	               (int)strnlen(f->dir, sizeof f->dir), f->dir, hash,
	               (int)strnlen(f->fee_token, sizeof f->fee_token), f->fee_token);
	if (f->has_cloid) {
		char c[HL_CLOID_STRLEN];
		hl_hex_encode(f->cloid, HAT_CLOID_LEN, c);
		hat_buf_printf(b, ",\"cloid\":\"%s\"", c);
	}
	hat_buf_puts(b, "}]}");
	if (hat_buf_ok(b))
		execd__audit(d, EXEC_AUDIT_EVENT, 0, b->data, b->len);
}

bool execd__fill(struct execd *d, const struct hl_fill *f, uint64_t recv_ns)
{
	if (f->time_ms < d->fill_floor_ms) {
		d->c_old_fills++;
		return false;
	}
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	uint64_t dups = d->fsm.c.dup_fills;
	int rc = exec_fsm_on_fill(&d->fsm, f, recv_ns, now_ms(), ev);
	if (d->fsm.c.dup_fills != dups)
		return false;
	if (f->time_ms > d->last_fill_ms)
		d->last_fill_ms = f->time_ms;
	execd__emit(d, rc, ev);
	char err[200];
	struct exec_wal_fill w = { f->tid, f->oid, f->time_ms };
	if (d->wal_open && exec_wal_fill(&d->wal, &w, hat_now_ns(), mono_ms(), err, sizeof err) &&
	    hat_log_rl_allow(&d->rl, hat_mono_ns()))
		hat_log(&d->st.log, HAT_LOG_ERROR, "wal_fill_failed", "tid=%llu error=%s",
		        (unsigned long long)f->tid, err);
	audit_fill(d, f);
	return true;
}

void execd__fills_restore(struct execd *d, const struct exec_wal_fill *fills, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		exec_fsm_fill_seen(&d->fsm, fills[i].tid, fills[i].oid);
		if (fills[i].time_ms > d->last_fill_ms)
			d->last_fill_ms = fills[i].time_ms;
		if (i == 0 || fills[i].time_ms < d->fill_floor_ms)
			d->fill_floor_ms = fills[i].time_ms;
	}
}
