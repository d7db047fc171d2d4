/* execd/snapshot.c -- the snapshot riskd asks for: open orders and positions (see daemon_int.h). */
#include "execd/daemon_int.h"

#include <string.h>

void execd__send_snapshot(struct execd *d)
{
	uint64_t rows = 0, now = hat_now_ns();
	execd__pos_roll_day(d, now / HAT_NS_PER_MS); /* no PnL of yesterday in today's rows */
	execd__send_ctl(d, HAT_CTL_SNAPSHOT_BEGIN, 0, "execd reconciled");
	uint32_t it = 0;
	struct hat_msg_exec ev[EXEC_FSM_MAX_EVENTS];
	while (exec_fsm_snapshot_next(&d->fsm, &it, now, ev) == 1) {
		execd__publish(d, &ev[0].h);
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
		execd__publish(d, &p.h);
		rows++;
	}
	execd__send_ctl(d, HAT_CTL_SNAPSHOT_END, rows, NULL);
	d->c_snapshots++;
	d->snapshot_wanted = false;
	hat_log(&d->st.log, HAT_LOG_INFO, "snapshot_sent", "rows=%llu live_orders=%u positions=%u",
	        (unsigned long long)rows, d->fsm.live, d->n_pos);
}
