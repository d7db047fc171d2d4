/* signald/daemon.c -- signald's rings around its engine. */
#include "signald/daemon.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/fixed.h"
#include "common/msg.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- output */

static bool push_intent(struct signald *s, const struct hat_msg_intent *in)
{
	struct hat_msg_intent m = *in;
	if (hat_ring_push_msg(&s->intent, &m.h) != 0)
		return false;
	hat_counter_inc(s->c_intents);
	if (m.h.origin_ns && m.h.send_ns > m.h.origin_ns)
		hat_hist_record(s->h_md_to_intent, m.h.send_ns - m.h.origin_ns);
	return true;
}

static void flush(struct signald *s)
{
	if (s->hello_pending && hat_ring_push_msg(&s->intent, &s->hello.h) == 0)
		s->hello_pending = false;
	while (s->outq_len && !s->hello_pending) {
		if (!push_intent(s, &s->outq[s->outq_head]))
			return;
		s->outq_head = (s->outq_head + 1) % SIGNALD_OUTQ;
		s->outq_len--;
	}
}

static void emit(void *user, const struct hat_msg_intent *in)
{
	struct signald *s = user;
	if (!s->outq_len && !s->hello_pending && push_intent(s, in))
		return;
	if (s->outq_len == SIGNALD_OUTQ) {
		hat_counter_inc(s->c_intents_dropped);
		hat_log(&s->d.log, HAT_LOG_ERROR, "intent_dropped", "reason=%s queued=%u",
			"intent ring and local queue full", s->outq_len);
		return;
	}
	s->outq[(s->outq_head + s->outq_len) % SIGNALD_OUTQ] = *in;
	s->outq_len++;
}

static void emit_ctl(void *user, const struct hat_msg_control *c)
{
	struct signald *s = user;
	s->hello = *c;
	s->hello_pending = true;
	flush(s);
}

/* ---------------------------------------------------------------- start-up */

/* max(now, last + 1), persisted, so cloids never repeat across restarts even if the clock
 * steps back. */
static int boot_epoch(struct signald *s, uint64_t *out, char *err, size_t errlen)
{
	char path[512];
	snprintf(path, sizeof path, "%s/signald.%s.epoch", s->cfg.state_dir, s->d.cfg.instance);
	mkdir(s->cfg.state_dir, 0700);
	uint64_t last = 0, now = hat_now_ns();
	FILE *f = fopen(path, "r");
	if (f) {
		unsigned long long v;
		if (fscanf(f, "%llu", &v) == 1)
			last = v;
		fclose(f);
	}
	*out = now > last ? now : last + 1;
	char tmp[520];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%llu\n", (unsigned long long)*out) < 0 || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		int e = errno;
		if (f)
			fclose(f);
		snprintf(err, errlen, "writing %s failed: %s (signald.state_dir must be writable)",
			 tmp, strerror(e));
		return -e;
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		int e = errno;
		snprintf(err, errlen, "rename(%s) failed: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

/* The board carries the last best bid/ask of every coin: a restarted signald starts from it
 * instead of waiting for the next book (it still waits for riskd's snapshot before acting). */
static void seed_from_board(struct signald *s, uint64_t now)
{
	for (int i = 0; i < s->eng.n_coins; i++) {
		struct sig_coin *c = &s->eng.coins[i];
		int idx = hat_board_find(&s->board, c->coin);
		struct hat_board_quote q;
		if (idx < 0 || hat_board_read(&s->board, (uint32_t)idx, &q) != 0)
			continue;
		c->asset = c->quoter.asset = c->market.asset = q.asset;
		if (q.stale || !q.has_bid || !q.has_ask)
			continue;
		struct hat_msg_bbo b;
		memset(&b, 0, sizeof b);
		hat_msg_init(&b.h, HAT_MSG_BBO);
		b.h.origin_ns = q.update_ns;
		memcpy(b.coin, c->coin, HAT_COIN_LEN);
		b.asset = q.asset;
		b.has_bid = b.has_ask = 1;
		b.bid.px = q.bid_px;
		b.bid.sz = q.bid_sz;
		b.ask.px = q.ask_px;
		b.ask.sz = q.ask_sz;
		b.exch_time_ms = q.exch_time_ms;
		sig_market_on_bbo(&c->market, &b, q.update_ns ? q.update_ns : now);
	}
}

static void counters(struct signald *s)
{
	struct hat_stage_shm *b = s->d.blk;
	hat_counter_register(b, "md_in", &s->c_md_in);
	hat_counter_register(b, "position_in", &s->c_pos_in);
	hat_counter_register(b, "intents_out", &s->c_intents);
	hat_counter_register(b, "intents_dropped", &s->c_intents_dropped);
	hat_counter_register(b, "seq_gaps", &s->c_seq_gaps);
	hat_counter_register(b, "md_skipped_old", &s->c_md_skipped_old);
	hat_counter_register(b, "stale_events", &s->c_stale_events);
	hat_counter_register(b, "rejects_in", &s->c_rejects_in);
	hat_counter_register(b, "fills_in", &s->c_fills_in);
	hat_hist_register(b, "md_to_intent_ns", &s->h_md_to_intent);
}

int signald_init(struct signald *s, int argc, char **argv, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	struct hat_daemon_args a;
	int rc = hat_daemon_args_parse(&a, argc, argv, err, errlen);
	if (rc != 0)
		return rc;
	if (a.n_rest) {
		snprintf(err, errlen, "unknown argument '%s' (signald takes only --config, "
			 "--instance, --log, --log-level)", a.rest[0]);
		return HAT_E_CONFIG;
	}
	rc = hat_daemon_open(&s->d, HAT_STAGE_SIGNALD, &a, err, errlen);
	if (rc != 0)
		return rc;
	rc = sig_config_load(&s->cfg, &s->d.doc, err, errlen);
	if (rc == 0)
		rc = hat_daemon_ring(&s->d, &s->md, "md", HAT_RING_CONSUMER, err, errlen);
	if (rc == 0)
		rc = hat_daemon_ring(&s->d, &s->position, "position", HAT_RING_CONSUMER, err, errlen);
	if (rc == 0)
		rc = hat_daemon_ring(&s->d, &s->intent, "intent", HAT_RING_PRODUCER, err, errlen);
	if (rc != 0)
		goto fail;
	char e2[256];
	s->have_board = hat_board_open(&s->board, s->d.cfg.instance, HAT_SHM_RDONLY, e2, sizeof e2) == 0;
	if (!s->have_board)
		hat_log(&s->d.log, HAT_LOG_WARN, "board_unavailable", "error=%s", e2);
	counters(s);
	hat_msg_rejects_init(&s->rej_md);
	hat_msg_rejects_init(&s->rej_pos);
	hat_seq_check_init(&s->seq_md);
	hat_seq_check_init(&s->seq_pos);
	uint64_t epoch;
	rc = boot_epoch(s, &epoch, err, errlen);
	if (rc != 0)
		goto fail;
	struct sig_engine_params ep = {
		.stale_ns = (uint64_t)s->cfg.stale_ms * HAT_NS_PER_MS,
		/* In data time the data is current by definition: no age check (0 = off). */
		.max_md_age_ns = s->cfg.time_source == SIG_TIME_DATA
				 ? 0 : (uint64_t)s->cfg.max_md_age_ms * HAT_NS_PER_MS,
		.timer_ns = (uint64_t)s->cfg.timer_ms * HAT_NS_PER_MS,
	};
	sig_engine_init(&s->eng, &ep, s->d.blk->restart_count, emit, emit_ctl, s);
	struct sig_quoter_params qp = {
		.max_working = (int)s->cfg.quoter.max_working,
		.requote_bps = s->cfg.quoter.requote_bps,
		.resize_frac = s->cfg.quoter.resize_frac,
		.pending_timeout_ns = (uint64_t)s->cfg.quoter.pending_timeout_ms * HAT_NS_PER_MS,
		.use_replace = s->cfg.quoter.use_replace,
	};
	for (uint32_t i = 0; i < s->cfg.n_strategies; i++) {
		struct sig_cfg_strategy *cs = &s->cfg.strategies[i];
		if (!cs->enabled)
			continue;
		const struct sig_strategy_ops *ops = sig_strategy_find(cs->kind);
		int k = s->eng.n_coins;
		s->strat_state[k] = calloc(1, ops->state_size);
		if (!s->strat_state[k]) {
			rc = -ENOMEM;
			snprintf(err, errlen, "out of memory for strategy state");
			goto fail;
		}
		char e3[256];
		rc = sig_engine_add_coin(&s->eng, cs->coin, 0, (int)cs->sz_decimals,
					 (uint16_t)cs->strategy_id, ops, s->strat_state[k], cs->params,
					 &qp, epoch, e3, sizeof e3);
		if (rc != 0) {
			snprintf(err, errlen, "%s: signald.strategies[%u].params: %s", s->d.doc.path, i, e3);
			goto fail;
		}
	}
	uint64_t now = hat_now_ns();
	/* Data time replays only what the data says: no head start from the live board. */
	if (s->have_board && s->cfg.time_source == SIG_TIME_WALL)
		seed_from_board(s, now);
	sig_engine_start(&s->eng, now);
	hat_daemon_set_state(&s->d, HAT_STATE_STARTING);
	hat_log(&s->d.log, HAT_LOG_INFO, "init", "coins=%d epoch=%llu restarts=%u", s->eng.n_coins,
		(unsigned long long)epoch, s->d.blk->restart_count);
	return 0;
fail:
	hat_log(&s->d.log, HAT_LOG_ERROR, "init_failed", "error=%s", err);
	signald_deinit(s);
	return rc;
}

/* ---------------------------------------------------------------- loop */

static void check_seq(struct signald *s, struct hat_seq_check *sc, const struct hat_msg_hdr *h,
		      const char *ring)
{
	int rc = hat_seq_check(sc, h->seq);
	if (rc == HAT_E_SEQGAP) {
		hat_counter_inc(s->c_seq_gaps);
		hat_log(&s->d.log, HAT_LOG_WARN, "seq_gap", "ring=%s lost=%llu", ring,
			(unsigned long long)sc->last_gap);
	}
}

/* The engine's idea of now: the clock, or in "data" time the newest market data seen. */
static uint64_t engine_now(struct signald *s)
{
	return s->cfg.time_source == SIG_TIME_DATA ? s->data_now : hat_now_ns();
}

static int drain_ring(struct signald *s, struct hat_ring *r, uint32_t allowed,
		      struct hat_msg_rejects *rej, struct hat_seq_check *sc, const char *name,
		      struct hat_counter cnt)
{
	int n = 0;
	const void *m;
	while (n < SIGNALD_BATCH && hat_daemon_peek(&s->d, r, allowed, rej, &m)) {
		const struct hat_msg_hdr *h = m;
		check_seq(s, sc, h, name);
		if (h->type == HAT_MSG_EXEC) {
			const struct hat_msg_exec *x = m;
			if (x->kind == HAT_EXEC_REJECT)
				hat_counter_inc(s->c_rejects_in);
			else if (x->kind == HAT_EXEC_FILL)
				hat_counter_inc(s->c_fills_in);
		}
		bool md = h->type == HAT_MSG_BOOK || h->type == HAT_MSG_BBO || h->type == HAT_MSG_TRADE;
		if (md && s->cfg.time_source == SIG_TIME_DATA) {
			/* The exchange's time, not the receipt time: the same clock on every run of
			 * a replay whatever the pipeline's latency was (receipt times differ run to
			 * run when hlsim replays a journal over its WebSocket). */
			uint64_t t = hat_msg_exch_time_ms(h) * HAT_NS_PER_MS;
			if (t > s->data_now)
				s->data_now = t;
		}
		sig_engine_on_msg(&s->eng, h, engine_now(s));
		/* In data time, timers fire at the same place in the data on every run. */
		if (md && s->cfg.time_source == SIG_TIME_DATA)
			sig_engine_tick(&s->eng, s->data_now);
		hat_ring_release(r);
		hat_counter_inc(cnt);
		n++;
	}
	return n;
}

/* feedd flags a coin stale on the board when its connection drops; act on it at once rather
 * than waiting for stale_ms without books. Each new stale episode (n_stale grows) counts once. */
static void check_board(struct signald *s)
{
	uint64_t mono = hat_mono_ns();
	if (!s->have_board || s->cfg.time_source == SIG_TIME_DATA ||
	    mono - s->last_board_check < 20 * HAT_NS_PER_MS)
		return;
	s->last_board_check = mono;
	for (int i = 0; i < s->eng.n_coins; i++) {
		struct sig_coin *c = &s->eng.coins[i];
		int idx = hat_board_find(&s->board, c->coin);
		struct hat_board_quote q;
		if (idx < 0 || hat_board_read(&s->board, (uint32_t)idx, &q) != 0)
			continue;
		if (q.stale && q.n_stale != s->board_stale_seen[i]) {
			s->board_stale_seen[i] = q.n_stale;
			hat_log(&s->d.log, HAT_LOG_WARN, "feed_stale", "coin=%s action=%s", c->coin,
				"quotes cancelled until fresh data");
			sig_engine_mark_stale(&s->eng, c->coin, hat_now_ns());
		}
	}
}

/* Longest idle wait: the resolution of the engine's wall-clock timers. */
#define SIGNALD_IDLE_MAX_NS (200 * HAT_NS_PER_US)

int signald_run_once(struct signald *s, int timeout_ms)
{
	int n = drain_ring(s, &s->position, HAT_MSGS_POSITION, &s->rej_pos, &s->seq_pos,
			   "position", s->c_pos_in);
	n += drain_ring(s, &s->md, HAT_MSGS_MD, &s->rej_md, &s->seq_md, "md", s->c_md_in);
	struct hat_msg_control c;
	while (hat_daemon_poll_cmd(&s->d, &c)) {
		if (c.cmd == HAT_CTL_SHUTDOWN)
			raise(SIGTERM);
		else
			sig_engine_on_msg(&s->eng, &c.h, engine_now(s));
		n++;
	}
	if (s->cfg.time_source == SIG_TIME_WALL) {
		check_board(s);
		sig_engine_tick(&s->eng, hat_now_ns());
	}
	flush(s);
	if (s->eng.ready && !s->d.blk->ready) {
		hat_daemon_set_ready(&s->d, true);
		hat_log(&s->d.log, HAT_LOG_INFO, "ready", "snapshot_rows=%llu",
			(unsigned long long)s->eng.snapshot_rows);
	}
	hat_counter_set(s->c_md_skipped_old, s->eng.md_skipped_old);
	hat_counter_set(s->c_stale_events, s->eng.stale_events);
	hat_daemon_tick(&s->d, hat_mono_ns());
	if (n == 0 && timeout_ms > 0) {
		/* Idle: feedd and riskd wake us through the doorbell the moment they publish; the
		 * timeout only paces the engine's timers (quote refresh, staleness). */
		struct hat_ring *const in[] = { &s->md, &s->position };
		uint64_t ns = (uint64_t)timeout_ms * HAT_NS_PER_MS;
		/* Quiet only on the data clock: on the wall clock a timer may quote any moment. */
		bool quiet = s->cfg.time_source != SIG_TIME_WALL && !s->outq_len && !s->hello_pending;
		hat_daemon_idle(&s->d, in, 2, ns < SIGNALD_IDLE_MAX_NS ? ns : SIGNALD_IDLE_MAX_NS,
				quiet);
	}
	return n;
}

void signald_drain(struct signald *s)
{
	for (int i = 0; i < 100 && (s->outq_len || s->hello_pending); i++) {
		flush(s);
		if (s->outq_len)
			hat_sleep_ns(HAT_NS_PER_MS);
	}
}

void signald_deinit(struct signald *s)
{
	sig_engine_deinit(&s->eng);
	for (int i = 0; i < SIG_MAX_COINS; i++)
		free(s->strat_state[i]);
	if (s->have_board)
		hat_board_close(&s->board);
	hat_ring_detach(&s->md);
	hat_ring_detach(&s->position);
	hat_ring_detach(&s->intent);
	if (s->d.blk)
		hat_daemon_close(&s->d);
}
