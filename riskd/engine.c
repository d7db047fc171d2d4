/* riskd/engine.c -- riskd's decision core (see engine.h). */
#include "riskd/engine.h"

#include "common/msg.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define DAY_NS (86400ULL * 1000000000ULL)

/* ---------------------------------------------------------------- helpers */

/* Whole-object validators (STYLE rule 8b) run in the ASan/test build only: the release build
 * keeps assert() on, and risk_book_check() is O(book). */
#ifdef HAT_TEST_BUILD
#define RISK_DEBUG_CHECK(e) assert(e)
#else
#define RISK_DEBUG_CHECK(e) ((void)0)
#endif

/* Zeroes the message and sets type, version, length (hat_msg_init) and origin_ns. */
static void hdr(struct hat_msg_hdr *h, uint16_t type, uint64_t origin_ns)
{
	hat_msg_init(h, type);
	h->origin_ns = origin_ns;
}

static void logf_(struct risk_engine *e, int level, const char *event, const char *fmt, ...)
	HAT_PRINTF(4, 5);
static void logf_(struct risk_engine *e, int level, const char *event, const char *fmt, ...)
{
	if (!e->out.log)
		return;
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	e->out.log(e->out.user, level, event, text);
}

static void to_exec(struct risk_engine *e, struct hat_msg_hdr *m)
{
	if (e->out.to_exec(e->out.user, m) != 0)
		e->c.out_drops++;
}

static void to_signal(struct risk_engine *e, struct hat_msg_hdr *m)
{
	if (e->out.to_signal(e->out.user, m) != 0)
		e->c.out_drops++;
}

static void send_ctl(struct risk_engine *e, bool exec, uint16_t cmd, uint64_t arg,
                     const char *text, uint64_t now_ns)
{
	struct hat_msg_control c;
	hat_msg_control_make(&c, cmd, HAT_STAGE_RISKD, e->cfg.restart_count, arg, text, now_ns);
	if (exec)
		to_exec(e, &c.h);
	else
		to_signal(e, &c.h);
}

static void send_position(struct risk_engine *e, int coin, uint8_t flags, uint64_t now_ns)
{
	struct hat_msg_position p;
	hdr(&p.h, HAT_MSG_POSITION, now_ns);
	risk_book_position_msg(&e->book, coin, e->state.st, &p);
	p.flags = flags;
	to_signal(e, &p.h);
	e->c.positions_out++;
}

static void publish_all(struct risk_engine *e, uint64_t now_ns)
{
	for (uint32_t i = 0; i < e->book.n_coins; i++)
		send_position(e, (int)i, 0, now_ns);
	e->last_publish_ns = now_ns;
}

/* Turns state action bits into messages and a log line. */
static void state_acted(struct risk_engine *e, unsigned act, uint64_t now_ns)
{
	if (!(act & RISK_SA_CHANGED))
		return;
	RISK_DEBUG_CHECK(risk_state_check(&e->state));
	const struct risk_state *s = &e->state;
	logf_(e, s->st == HAT_TS_ACTIVE ? RISK_LOG_INFO : RISK_LOG_WARN, "trading_state",
	      "%s -> %s cause=%s: %s", risk_state_name(s->prev), risk_state_name(s->st),
	      risk_cause_name(s->cause), s->text);
	if (act & RISK_SA_CANCEL_ALL) {
		send_ctl(e, true, HAT_CTL_CANCEL_ALL, 0, s->text, now_ns);
		e->c.cancel_alls++;
	}
	publish_all(e, now_ns);
}

static void evaluate_pnl(struct risk_engine *e, uint64_t now_ns)
{
	state_acted(e, risk_state_on_pnl(&e->state, risk_book_total_pnl(&e->book), now_ns),
	            now_ns);
}

/* ---------------------------------------------------------------- lifecycle */

int risk_engine_init(struct risk_engine *e, const struct risk_engine_cfg *cfg,
                     const struct risk_out *out, uint64_t now_ns, char *err, size_t errlen)
{
	int rc;
	memset(e, 0, sizeof *e);
	if (!out || !out->to_exec || !out->to_signal) {
		snprintf(err, errlen, "output callbacks missing");
		return -EINVAL;
	}
	rc = risk_limits_validate(&cfg->limits, err, errlen);
	if (rc)
		return rc;
	if (cfg->max_working < cfg->limits.max_open_orders) {
		snprintf(err, errlen, "max_working %u < max_open_orders %u", cfg->max_working,
		         cfg->limits.max_open_orders);
		return -EINVAL;
	}
	if (risk_state_init(&e->state, &cfg->state, now_ns) != 0) {
		snprintf(err, errlen, "state limits invalid (equity, daily loss, drawdown, rejects, "
		         "stale time)");
		return -EINVAL;
	}
	if (risk_throttle_init(&e->order_tb, cfg->order_rate_per_s, cfg->order_burst, now_ns) ||
	    risk_throttle_init(&e->cancel_tb, cfg->cancel_rate_per_s, cfg->cancel_burst, now_ns)) {
		snprintf(err, errlen, "order/cancel rate and burst must be 1..%u",
		         RISK_THROTTLE_MAX_RATE);
		return -EINVAL;
	}
	rc = risk_book_init(&e->book, cfg->coins, cfg->assets, cfg->limits.n_coins,
	                    cfg->max_working, cfg->dedup_window);
	if (rc) {
		snprintf(err, errlen, rc == -ENOMEM ? "out of memory" :
		         "coins (distinct, non-empty), max_working or dedup_window invalid");
		return rc;
	}
	rc = risk_recent_init(&e->recent, cfg->recent_cloids);
	if (rc) {
		risk_book_free(&e->book);
		snprintf(err, errlen, rc == -ENOMEM ? "out of memory" : "recent_cloids invalid");
		return rc;
	}
	e->cfg = *cfg;
	e->out = *out;
	e->day = now_ns / DAY_NS;
	e->last_publish_ns = now_ns;
	return 0;
}

void risk_engine_free(struct risk_engine *e)
{
	risk_book_free(&e->book);
	risk_recent_free(&e->recent);
}

void risk_engine_start(struct risk_engine *e, uint64_t now_ns)
{
	e->ready = false;
	send_ctl(e, true, HAT_CTL_HELLO, e->cfg.restart_count, "riskd start", now_ns);
	send_ctl(e, true, HAT_CTL_STATE_REQUEST, 0, "riskd start", now_ns);
	logf_(e, RISK_LOG_INFO, "resync", "waiting for execd's snapshot");
}

/* ---------------------------------------------------------------- intents */

static void reject(struct risk_engine *e, const struct hat_msg_intent *m, enum hat_reason r,
                   const char *text)
{
	struct hat_msg_exec x;
	hdr(&x.h, HAT_MSG_EXEC, m->h.origin_ns);
	memcpy(x.cloid, m->o.cloid, HAT_CLOID_LEN);
	memcpy(x.orig_cloid, m->o.orig_cloid, HAT_CLOID_LEN);
	/* The REJECT must pass signald's validator even when the intent was garbage: fields out of
	 * range are replaced (coin "?", side 0, px/sz 0). */
	memcpy(x.coin, m->o.coin, HAT_COIN_LEN);
	x.coin[HAT_COIN_LEN - 1] = '\0';
	memset(x.coin + strlen(x.coin), 0, HAT_COIN_LEN - strlen(x.coin));
	if (x.coin[0] == '\0')
		x.coin[0] = '?';
	x.asset = m->o.asset;
	x.kind = HAT_EXEC_REJECT;
	x.side = m->o.side == HAT_SIDE_BUY || m->o.side == HAT_SIDE_SELL ? m->o.side : 0;
	x.flags = HAT_EXEC_F_FROM_RISK | HAT_EXEC_F_FINAL;
	x.reason = (uint16_t)r;
	x.strategy_id = m->o.strategy_id;
	x.px = m->o.px >= 0 && m->o.px <= HAT_FX_MAX ? m->o.px : 0;
	x.sz = m->o.sz >= 0 && m->o.sz <= HAT_FX_MAX ? m->o.sz : 0;
	char t[HAT_TEXT_LEN];
	snprintf(t, sizeof t, "%s: %s", hat_reason_name(r), text);
	hat_text_set(x.text, sizeof x.text, t);
	to_signal(e, &x.h);
	e->c.rejected++;
	e->c.rejected_by[r < RISK_REASON_SLOTS ? r : 0]++;
}

static void commit(struct risk_engine *e, const struct hat_msg_intent *m, int coin,
                   uint64_t risk_seq, uint64_t now_ns)
{
	const struct hat_order_fields *o = &m->o;
	if (o->kind == HAT_INTENT_CANCEL) {
		risk_throttle_take(&e->cancel_tb, now_ns);
		struct risk_order *w = risk_book_order_find(&e->book, o->cloid);
		if (w)
			w->cancel_sent = 1;
		e->c.approved_cancels++;
		return;
	}
	risk_throttle_take(&e->order_tb, now_ns);
	risk_recent_add(&e->recent, o->cloid);
	struct risk_order w;
	memset(&w, 0, sizeof w);
	memcpy(w.cloid, o->cloid, HAT_CLOID_LEN);
	w.coin = (uint16_t)coin;
	w.side = o->side;
	w.flags = o->flags;
	w.strategy_id = o->strategy_id;
	w.px = o->px;
	w.sz = o->sz;
	w.remaining = o->sz;
	w.risk_seq = risk_seq;
	/* Cannot be full: a NEW was checked against max_open_orders <= max_working, a REPLACE
	 * against the free slots. */
	risk_book_order_add(&e->book, &w);
}

enum hat_reason risk_engine_intent(struct risk_engine *e, const struct hat_msg_intent *m,
                                   const char *invalid, uint64_t now_ns)
{
	e->c.intents_in++;
	if (invalid) {
		reject(e, m, HAT_REASON_RISK_BAD_INTENT, invalid);
		return HAT_REASON_RISK_BAD_INTENT;
	}
	struct risk_check_env env = {
		.lim = &e->cfg.limits, .book = &e->book, .recent_cloids = &e->recent.map,
		.order_tb = &e->order_tb, .cancel_tb = &e->cancel_tb,
		.trading_state = e->state.st, .ready = e->ready,
	};
	char text[HAT_TEXT_LEN];
	int coin = -1;
	enum hat_reason r = risk_limits_check(&env, &m->o, now_ns, &coin, text, sizeof text);
	if (r != HAT_REASON_NONE) {
		reject(e, m, r, text);
		return r;
	}
	struct hat_msg_order ord;
	hdr(&ord.h, HAT_MSG_ORDER, m->h.origin_ns);
	ord.o = m->o;
	ord.risk_seq = e->last_risk_seq + 1 > now_ns ? e->last_risk_seq + 1 : now_ns;
	ord.intent_seq = m->h.seq;
	e->last_risk_seq = ord.risk_seq;
	to_exec(e, &ord.h);
	commit(e, m, coin, ord.risk_seq, now_ns);
	e->c.approved++;
	RISK_DEBUG_CHECK(risk_book_check(&e->book));
	return HAT_REASON_NONE;
}

/* ---------------------------------------------------------------- snapshots to signald */

struct snap_ctx {
	struct risk_engine *e;
	uint64_t rows;
	uint64_t now_ns;
};

static void snap_order(void *user, const struct risk_order *o)
{
	struct snap_ctx *s = user;
	struct risk_engine *e = s->e;
	struct hat_msg_exec x;
	hdr(&x.h, HAT_MSG_EXEC, s->now_ns);
	memcpy(x.cloid, o->cloid, HAT_CLOID_LEN);
	memcpy(x.coin, e->book.coins[o->coin].name, HAT_COIN_LEN);
	x.asset = e->book.coins[o->coin].asset;
	x.kind = HAT_EXEC_OPEN_ORDER;
	x.side = o->side;
	x.flags = HAT_EXEC_F_SNAPSHOT;
	x.strategy_id = o->strategy_id;
	x.oid = o->oid;
	x.px = o->px;
	x.sz = o->sz;
	x.remaining_sz = o->remaining;
	x.risk_seq = o->risk_seq;
	to_signal(e, &x.h);
	s->rows++;
}

static void send_snapshot(struct risk_engine *e, uint64_t now_ns)
{
	struct snap_ctx s = { e, 0, now_ns };
	send_ctl(e, false, HAT_CTL_SNAPSHOT_BEGIN, e->state.st, e->state.text, now_ns);
	for (uint32_t i = 0; i < e->book.n_coins; i++) {
		send_position(e, (int)i, HAT_EXEC_F_SNAPSHOT, now_ns);
		s.rows++;
	}
	risk_book_each_order(&e->book, snap_order, &s);
	send_ctl(e, false, HAT_CTL_SNAPSHOT_END, s.rows, NULL, now_ns);
	e->c.snapshots_out++;
	e->signal_hello_pending = false;
	logf_(e, RISK_LOG_INFO, "snapshot_sent", "to signald: %llu rows, state %s",
	      (unsigned long long)s.rows, risk_state_name(e->state.st));
}

void risk_engine_intent_ctl(struct risk_engine *e, const struct hat_msg_control *m,
                            uint64_t now_ns)
{
	if (m->cmd != HAT_CTL_HELLO && m->cmd != HAT_CTL_STATE_REQUEST) {
		e->c.ignored++;
		return;
	}
	logf_(e, RISK_LOG_INFO, "signald_hello", "restart_count=%u%s", m->restart_count,
	      e->ready ? "" : " (snapshot deferred until execd's arrives)");
	if (e->ready)
		send_snapshot(e, now_ns);
	else
		e->signal_hello_pending = true;
}

/* ---------------------------------------------------------------- exec ring */

static void request_state(struct risk_engine *e, const char *why, uint64_t now_ns)
{
	e->ready = false;
	e->snap_in = false;
	send_ctl(e, true, HAT_CTL_STATE_REQUEST, 0, why, now_ns);
}

static void exec_ctl(struct risk_engine *e, const struct hat_msg_control *c, uint64_t now_ns)
{
	switch (c->cmd) {
	case HAT_CTL_SNAPSHOT_BEGIN:
		risk_book_reset(&e->book);
		e->ready = false;
		e->snap_in = true;
		e->snap_rows = 0;
		return;
	case HAT_CTL_SNAPSHOT_END:
		if (!e->snap_in) {
			e->c.ignored++;
			return;
		}
		e->snap_in = false;
		if (c->arg != e->snap_rows) {
			e->c.snapshots_bad++;
			logf_(e, RISK_LOG_WARN, "snapshot_bad",
			      "execd said %llu rows, got %llu: requesting again",
			      (unsigned long long)c->arg, (unsigned long long)e->snap_rows);
			/* Ask again, but not in a tight loop: a producer that keeps sending bad
			 * snapshots must not turn riskd into a log and ring flood. */
			e->ready = false;
			e->rerequest_backoff_ns = e->rerequest_backoff_ns
				? e->rerequest_backoff_ns * 2 : 100000000ull;
			if (e->rerequest_backoff_ns > 5000000000ull)
				e->rerequest_backoff_ns = 5000000000ull;
			e->rerequest_at_ns = now_ns + e->rerequest_backoff_ns;
			return;
		}
		e->rerequest_backoff_ns = 0;
		e->rerequest_at_ns = 0;
		e->ready = true;
		e->c.snapshots_in++;
		logf_(e, RISK_LOG_INFO, "snapshot_received",
		      "from execd: %llu rows, %u working orders; approving", 
		      (unsigned long long)e->snap_rows, risk_book_open_orders(&e->book));
		evaluate_pnl(e, now_ns);
		/* signald's view may predate the resync: always give it ours. */
		send_snapshot(e, now_ns);
		return;
	case HAT_CTL_HELLO:
		logf_(e, RISK_LOG_WARN, "execd_hello",
		      "execd restarted (restart_count=%u): not ready until its snapshot",
		      c->restart_count);
		request_state(e, "execd restarted", now_ns);
		return;
	default:
		e->c.ignored++;
		return;
	}
}

static void exec_event(struct risk_engine *e, const struct hat_msg_exec *x, uint64_t now_ns)
{
	e->c.exec_in++;
	if (x->flags & HAT_EXEC_F_SNAPSHOT) {
		if (!e->snap_in || x->kind != HAT_EXEC_OPEN_ORDER) {
			e->c.ignored++;
			return;
		}
		e->snap_rows++;
		risk_book_on_exec(&e->book, x, NULL);
		return;
	}
	int coin = -1;
	enum risk_exec_result r = risk_book_on_exec(&e->book, x, &coin);
	if (r == RISK_EXEC_DUPLICATE) {
		e->c.dup_fills++;
		return; /* signald saw it the first time */
	}
	/* Forward a copy with a fresh header: seq belongs to the position ring. */
	struct hat_msg_exec fwd = *x;
	fwd.h.seq = 0;
	fwd.h.send_ns = 0;
	to_signal(e, &fwd.h);
	if (r == RISK_EXEC_UNKNOWN_COIN) {
		logf_(e, RISK_LOG_WARN, "exec_unknown_coin", "exec event for unconfigured coin %.*s",
		      HAT_COIN_LEN, x->coin);
		return;
	}
	if (x->kind == HAT_EXEC_REJECT && !(x->flags & HAT_EXEC_F_FROM_RISK)) {
		e->c.exch_rejects++;
		state_acted(e, risk_state_on_reject(&e->state, now_ns), now_ns);
	}
	RISK_DEBUG_CHECK(risk_book_check(&e->book));
	if (r == RISK_EXEC_POS_CHANGED) {
		e->c.fills++;
		send_position(e, coin, 0, now_ns);
		evaluate_pnl(e, now_ns);
	}
}

static void exec_position_row(struct risk_engine *e, const struct hat_msg_position *p)
{
	if (!(p->flags & HAT_EXEC_F_SNAPSHOT) || !e->snap_in) {
		e->c.ignored++;
		return;
	}
	e->snap_rows++;
	int coin = risk_book_coin(&e->book, p->coin);
	if (coin < 0) {
		logf_(e, RISK_LOG_WARN, "snapshot_unknown_coin",
		      "execd reports a position in unconfigured coin %.*s", HAT_COIN_LEN, p->coin);
		return;
	}
	risk_book_set_position(&e->book, coin, p->szi, p->entry_px, p->realized_pnl, p->fees);
}

void risk_engine_exec_msg(struct risk_engine *e, const struct hat_msg_hdr *m, uint64_t now_ns)
{
	switch (m->type) {
	case HAT_MSG_EXEC:
		exec_event(e, (const struct hat_msg_exec *)m, now_ns);
		return;
	case HAT_MSG_POSITION:
		exec_position_row(e, (const struct hat_msg_position *)m);
		return;
	case HAT_MSG_CONTROL:
		exec_ctl(e, (const struct hat_msg_control *)m, now_ns);
		return;
	default:
		e->c.ignored++;
		return;
	}
}

/* ---------------------------------------------------------------- commands */

void risk_engine_command(struct risk_engine *e, const struct hat_msg_control *m,
                         uint64_t now_ns)
{
	char who[96];
	e->c.commands++;
	snprintf(who, sizeof who, "%s: %.*s",
	         m->from_stage == HAT_STAGE_SUPERD ? "superd" : "operator",
	         (int)strnlen(m->text, sizeof m->text), m->text);
	switch (m->cmd) {
	case HAT_CTL_HALT:
	case HAT_CTL_RESUME:
	case HAT_CTL_REDUCE:
	case HAT_CTL_ESCALATE:
		state_acted(e, risk_state_command(&e->state, m->cmd, m->text[0] ? who : NULL, now_ns),
		            now_ns);
		if (m->cmd == HAT_CTL_RESUME)
			evaluate_pnl(e, now_ns); /* a loss still past its limit halts again */
		return;
	case HAT_CTL_CANCEL_ALL:
		logf_(e, RISK_LOG_WARN, "cancel_all", "%s", who);
		send_ctl(e, true, HAT_CTL_CANCEL_ALL, 0, m->text[0] ? m->text : "operator", now_ns);
		e->c.cancel_alls++;
		return;
	case HAT_CTL_STATE_REQUEST:
		if (e->ready)
			send_snapshot(e, now_ns);
		else
			e->signal_hello_pending = true;
		return;
	case HAT_CTL_SHUTDOWN:
		e->shutdown = true;
		return;
	default:
		e->c.ignored++;
		return;
	}
}

/* ---------------------------------------------------------------- marks and timers */

void risk_engine_set_mark(struct risk_engine *e, int coin, int64_t mark_px, uint64_t mark_ns)
{
	if (coin >= 0 && (uint32_t)coin < e->book.n_coins)
		risk_book_set_mark(&e->book, coin, mark_px, mark_ns);
}

void risk_engine_signald_alive(struct risk_engine *e, bool alive, uint64_t now_ns)
{
	if (alive) {
		if (e->signald_down)
			logf_(e, RISK_LOG_INFO, "signald_up", "signald alive again");
		e->signald_down = false;
		e->signald_cancelled = false;
		return;
	}
	uint32_t n = risk_book_open_orders(&e->book);
	if (!e->signald_down) {
		e->signald_down = true;
		e->c.signald_downs++;
		logf_(e, RISK_LOG_WARN, "signald_down", "%u working orders", n);
	}
	/* Orders may appear while signald is down (execd's snapshot after a riskd restart). */
	if (e->cfg.signald_down_cancel && !e->signald_cancelled && n > 0) {
		logf_(e, RISK_LOG_WARN, "signald_down_cancel", "cancelling all %u working orders", n);
		send_ctl(e, true, HAT_CTL_CANCEL_ALL, 0, "signald down", now_ns);
		e->c.cancel_alls++;
		e->signald_cancelled = true;
	}
}

void risk_engine_set_asset(struct risk_engine *e, int coin, uint32_t asset)
{
	if (coin >= 0 && (uint32_t)coin < e->book.n_coins)
		e->book.coins[coin].asset = asset;
}

void risk_engine_tick(struct risk_engine *e, uint64_t now_ns)
{
	if (e->rerequest_at_ns && now_ns >= e->rerequest_at_ns) {
		e->rerequest_at_ns = 0;
		request_state(e, "snapshot row count mismatch", now_ns);
	}
	uint64_t day = now_ns / DAY_NS;
	if (day > e->day) {
		e->day = day;
		for (uint32_t i = 0; i < e->book.n_coins; i++) {
			e->book.coins[i].pos.realized = 0;
			e->book.coins[i].pos.fees = 0;
		}
		risk_state_on_pnl(&e->state, risk_book_total_pnl(&e->book), now_ns);
		risk_state_new_day(&e->state);
		logf_(e, RISK_LOG_INFO, "new_day", "realized PnL, fees and peak equity restart");
	}
	uint64_t newest = 0;
	for (uint32_t i = 0; i < e->book.n_coins; i++)
		if (e->book.coins[i].mark_px > 0 && e->book.coins[i].mark_ns > newest)
			newest = e->book.coins[i].mark_ns;
	state_acted(e, risk_state_on_data(&e->state, newest, now_ns), now_ns);
	if (e->ready)
		evaluate_pnl(e, now_ns);
	if (e->ready && e->signal_hello_pending)
		send_snapshot(e, now_ns);
	if (e->cfg.position_publish_ns && now_ns - e->last_publish_ns >= e->cfg.position_publish_ns &&
	    now_ns >= e->last_publish_ns && e->ready)
		publish_all(e, now_ns);
}
