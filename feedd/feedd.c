/* feedd/feedd.c -- the market-data stage: wiring of session, WebSocket, parser, publisher,
 * journal and control block. Contract in feedd.h. */
#include "feedd/feedd.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/instance.h"
#include "common/msg.h"

#include <errno.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const counter_names[FC_N] = {
	[FC_FRAMES] = "frames", [FC_BYTES] = "bytes", [FC_MSGS_BOOK] = "msgs.book",
	[FC_MSGS_TRADE] = "msgs.trade", [FC_MSGS_BBO] = "msgs.bbo",
	[FC_PARSE_ERRORS] = "parse_errors", [FC_UNKNOWN_COIN] = "unknown_coin",
	[FC_EXCH_ERRORS] = "exch_errors", [FC_SUB_ACKS] = "sub_acks", [FC_PONGS] = "pongs",
	[FC_TRADES_TRUNCATED] = "trades_truncated", [FC_RECORD_ERRORS] = "record_errors",
	[FC_CONNECTS] = "connects", [FC_RECONNECTS] = "reconnects", [FC_OVERSIZE] = "oversize_closes",
	[FC_RING_FULL] = "ring_full", [FC_BOOKS_COALESCED] = "books_coalesced",
	[FC_BBOS_COALESCED] = "bbos_coalesced", [FC_TRADES_QUEUED] = "trades_queued",
	[FC_TRADES_DROPPED] = "trades_dropped", [FC_PINGS] = "pings",
	[FC_SILENT_DROPS] = "silent_drops", [FC_BACKLOG] = "backlog", [FC_LIVE] = "live",
};

static uint64_t mono_ms(void) { return hat_mono_ns() / HAT_NS_PER_MS; }

/* ================================================================ shm */

static int register_counters(struct feedd *f, char *err, size_t errlen)
{
	struct hat_stage_shm *blk = f->d.blk;
	int rc = 0;
	for (int i = 0; i < FC_N && rc == 0; i++)
		rc = hat_counter_register(blk, counter_names[i], &f->ctr[i]);
	for (uint32_t i = 0; i < f->sess.n_coins && rc == 0; i++) {
		const char *c = f->sess.coins[i].coin;
		rc = hat_counter_registerf(blk, &f->stale_ctr[i], "stale.%s", c);
		if (rc == 0)
			rc = hat_counter_registerf(blk, &f->age_ctr[i], "age_ms.%s", c);
	}
	if (rc == 0)
		rc = hat_hist_register(blk, "frame_to_ring_ns", &f->pub.lat);
	if (rc < 0)
		snprintf(err, errlen, "control block of feedd: cannot register counters: %s",
			 hat_strerror(rc));
	return rc;
}

/* ================================================================ counters, chores */

static uint64_t counter_value(const struct feedd *f, int i)
{
	const struct feed_stats *s = &f->st;
	const struct feed_pub_stats *p = &f->pub.st;
	switch (i) {
	case FC_FRAMES: return s->frames;
	case FC_BYTES: return s->bytes;
	case FC_MSGS_BOOK: return s->msgs_book;
	case FC_MSGS_TRADE: return s->msgs_trade;
	case FC_MSGS_BBO: return s->msgs_bbo;
	case FC_PARSE_ERRORS: return s->parse_errors;
	case FC_UNKNOWN_COIN: return s->unknown_coin;
	case FC_EXCH_ERRORS: return s->exch_errors;
	case FC_SUB_ACKS: return s->sub_acks;
	case FC_PONGS: return s->pongs;
	case FC_TRADES_TRUNCATED: return s->trades_truncated;
	case FC_RECORD_ERRORS: return s->record_errors;
	case FC_CONNECTS: return s->connects;
	case FC_RECONNECTS: return s->reconnects;
	case FC_OVERSIZE: return s->oversize_closes;
	case FC_RING_FULL: return p->ring_full;
	case FC_BOOKS_COALESCED: return p->books_coalesced;
	case FC_BBOS_COALESCED: return p->bbos_coalesced;
	case FC_TRADES_QUEUED: return p->trades_queued;
	case FC_TRADES_DROPPED: return p->trades_dropped;
	case FC_PINGS: return f->sess.rc.pings;
	case FC_SILENT_DROPS: return f->sess.rc.silent_drops;
	default: return 0;
	}
}

/* Live with every coin's book fresh: what makes feedd ready. */
static bool books_fresh(const struct feedd *f)
{
	if (f->sess.rc.state != FEED_SS_LIVE)
		return false;
	for (uint32_t i = 0; i < f->sess.n_coins; i++)
		if (!f->sess.coins[i].fresh)
			return false;
	return true;
}

/* The before-sleep chore: heartbeat, counters (as deltas, so totals survive restarts), gauges,
 * stage state, journal fsync. */
static void chore(struct feedd *f, uint64_t now_ms)
{
	if (now_ms < f->next_chore_ms)
		return;
	f->next_chore_ms = now_ms + f->fc.heartbeat_ms;
	hat_daemon_tick(&f->d, hat_mono_ns());
	struct hat_msg_control cmd;
	while (hat_daemon_poll_cmd(&f->d, &cmd) == 1) {
		/* feedd has no exposure: HALT, RESUME, CANCEL_ALL do not concern it. */
		if (cmd.cmd == HAT_CTL_SHUTDOWN) {
			hat_log(&f->d.log, HAT_LOG_INFO, "shutdown_command", "from=%s",
				hat_stage_name(cmd.from_stage));
			f->stop = true;
		}
	}
	for (int i = 0; i < FC_N; i++) {
		if (i == FC_BACKLOG || i == FC_LIVE)
			continue;
		uint64_t v = counter_value(f, i);
		if (v != f->ctr_last[i]) {
			hat_counter_add(f->ctr[i], v - f->ctr_last[i]);
			f->ctr_last[i] = v;
		}
	}
	hat_counter_set(f->ctr[FC_BACKLOG], feed_pub_backlog(&f->pub));
	bool live = f->sess.rc.state == FEED_SS_LIVE;
	hat_counter_set(f->ctr[FC_LIVE], live);
	uint64_t now_ns = hat_now_ns();
	bool all_fresh = books_fresh(f);
	for (uint32_t i = 0; i < f->sess.n_coins; i++) {
		uint64_t age = f->last_md_ns[i] ? (now_ns - f->last_md_ns[i]) / HAT_NS_PER_MS : UINT32_MAX;
		hat_counter_set(f->age_ctr[i], age);
		bool stale = !f->sess.coins[i].fresh || age >= f->fc.stale_after_ms;
		hat_counter_set(f->stale_ctr[i], stale);
	}
	if (!f->stopping) {
		hat_daemon_set_state(&f->d, all_fresh || f->replaying ? HAT_STATE_RUNNING : HAT_STATE_DEGRADED);
		if (all_fresh)
			hat_stage_set_ready(f->d.blk, true);
	}
	if (f->recording && hat_journal_tick(&f->jr, now_ms) < 0)
		f->st.record_errors++;
}

/* ================================================================ recording */

static void record(struct feedd *f, uint32_t type, uint64_t ts_ns, const void *p, size_t n)
{
	if (!f->recording)
		return;
	uint64_t now_ms = mono_ms();
	if (now_ms < f->rec_retry_ms) {
		f->st.record_errors++; /* a frame not recorded */
		return;
	}
	char err[256];
	int rc = hat_journal_append(&f->jr, type, ts_ns, p, n, hat_now_ns(), now_ms, err, sizeof err);
	if (rc < 0) {
		/* Disk full or gone: keep feeding the ring, try the journal again in 5 s. */
		f->rec_retry_ms = now_ms + 5000;
		f->st.record_errors++;
		hat_log_rl(&f->d.log, &f->rl_rec, hat_now_ns(), HAT_LOG_ERROR, "record_failed", "error=%s", err);
	}
}

/* ================================================================ coin table */

static int apply_meta(struct feedd *f, const char *text, size_t len, char *err, size_t errlen)
{
	if (!f->meta_inited) {
		if (hl_meta_init(&f->meta) < 0)
			return -ENOMEM;
		f->meta_inited = true;
	}
	int rc = hl_meta_parse_text(&f->meta, text, len, 0, err, errlen);
	f->meta_ok = rc == 0;
	return rc;
}

static size_t curl_sink(char *p, size_t sz, size_t n, void *user)
{
	hat_buf_append(user, p, sz * n);
	return sz * n;
}

/* POST venue.http/info {"type":"meta"} (blocking, at most 3 s), build the coin table and
 * record the response. Failure is not fatal: messages then carry HL_ASSET_UNKNOWN. */
static void fetch_meta(struct feedd *f)
{
	if (!f->fc.fetch_meta || f->meta_ok || !f->d.cfg.venue.http[0])
		return;
	char url[HAT_CONFIG_URL_LEN + 8];
	snprintf(url, sizeof url, "%s/info", f->d.cfg.venue.http);
	struct hat_buf b = HAT_BUF_INIT;
	CURL *c = curl_easy_init();
	if (!c)
		return;
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"type\":\"meta\"}");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (f->fc.ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, f->fc.ca_file);
	CURLcode cc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	char err[256] = "";
	if (cc != CURLE_OK || status != 200 || !hat_buf_ok(&b)) {
		hat_log(&f->d.log, HAT_LOG_WARN, "meta_unavailable", "url=%s error=%s status=%ld", url,
			cc != CURLE_OK ? curl_easy_strerror(cc) : "bad response", status);
	} else if (apply_meta(f, b.data, b.len, err, sizeof err) < 0) {
		hat_log(&f->d.log, HAT_LOG_WARN, "meta_invalid", "url=%s error=%s", url, err);
	} else {
		record(f, FEED_REC_META, hat_now_ns(), b.data, b.len);
		hat_log(&f->d.log, HAT_LOG_INFO, "meta", "coins=%zu", f->meta.n);
	}
	hat_buf_free(&b);
}

/* ================================================================ the frame path */

static void mark_all_stale(struct feedd *f)
{
	uint64_t now = hat_now_ns();
	for (uint32_t i = 0; i < f->sess.n_coins; i++)
		feed_pub_set_stale(&f->pub, i, true, now);
}

static int coin_of(struct feedd *f, const char *coin)
{
	int i = feed_session_coin_index(&f->sess, coin, strnlen(coin, HAT_COIN_LEN));
	if (i < 0) {
		f->st.unknown_coin++;
		hat_log_rl(&f->d.log, &f->rl_coin, hat_now_ns(), HAT_LOG_WARN, "unknown_coin",
			   "coin=%.*s", HAT_COIN_LEN, coin);
	}
	return i;
}

void feedd_frame(struct feedd *f, const char *data, size_t len, uint64_t recv_ns)
{
	f->st.frames++;
	f->st.bytes += len;
	uint64_t now_ms = mono_ms();
	feed_session_rx(&f->sess, now_ms);
	char err[256];
	struct hl_ws_msg *m = &f->msg;
	int rc = hl_ws_parse(data, len, recv_ns, f->meta_ok ? &f->meta : NULL, &f->bufs, m, err,
			     sizeof err);
	if (rc == -ENOENT) {
		/* A coin the table does not know: count it like a coin we did not subscribe. */
		f->st.unknown_coin++;
		hat_log_rl(&f->d.log, &f->rl_coin, recv_ns, HAT_LOG_WARN, "unknown_coin", "error=%s", err);
		goto out;
	}
	if (rc < 0) {
		/* Logged once per kind (then at most every 10 s with the count suppressed). */
		f->st.parse_errors++;
		bool json = strncmp(err, "invalid JSON", 12) == 0;
		hat_log_rl(&f->d.log, json ? &f->rl_json : &f->rl_parse, recv_ns, HAT_LOG_WARN,
			   json ? "bad_json" : "bad_frame", "error=%s len=%zu", err, len);
		goto out;
	}
	int i;
	switch (m->kind) {
	case HL_WS_BOOK:
		if ((i = coin_of(f, m->u.book.coin)) < 0)
			break;
		/* The first book of a coin on a new connection is its snapshot: flag it, so a
		 * consumer knows the book was replaced after a gap. */
		if (feed_session_snapshot(&f->sess, (uint32_t)i, 1, now_ms))
			m->u.book.flags |= HAT_BOOK_SNAPSHOT;
		f->st.msgs_book++;
		f->last_md_ns[i] = recv_ns;
		feed_pub_book(&f->pub, (uint32_t)i, &m->u.book, recv_ns);
		break;
	case HL_WS_BBO:
		if ((i = coin_of(f, m->u.bbo.coin)) < 0)
			break;
		feed_session_snapshot(&f->sess, (uint32_t)i, 2, now_ms);
		f->st.msgs_bbo++;
		f->last_md_ns[i] = recv_ns;
		feed_pub_bbo(&f->pub, (uint32_t)i, &m->u.bbo, f->sess.coins[i].fresh, recv_ns);
		break;
	case HL_WS_TRADES:
		if (m->list.total > m->list.n)
			f->st.trades_truncated += m->list.total - m->list.n;
		{
			/* one publication for the frame's trades (feed_pub_trades) */
			uint32_t idx[FEED_TRADES_PER_FRAME];
			size_t n = 0;
			for (size_t k = 0; k < m->list.n; k++) {
				if ((i = coin_of(f, f->trades[k].coin)) < 0)
					continue;
				f->st.msgs_trade++;
				if (n != k)
					f->trades[n] = f->trades[k];
				idx[n++] = (uint32_t)i;
			}
			feed_pub_trades(&f->pub, idx, f->trades, n, recv_ns);
		}
		break;
	case HL_WS_PONG:
		f->st.pongs++;
		break;
	case HL_WS_SUB_RESPONSE:
		f->st.sub_acks++;
		break;
	case HL_WS_ERROR:
		f->st.exch_errors++;
		hat_log_rl(&f->d.log, &f->rl_exch, recv_ns, HAT_LOG_WARN, "exchange_error", "text=%s",
			   m->u.error.text);
		break;
	default:
		break;
	}
	hl_ws_msg_clear(m);
out:
	/* Recorded after publishing, so the journal write never delays the ring; every frame,
	 * malformed ones too, so a replay meets exactly what the live run met. */
	record(f, FEED_REC_FRAME, recv_ns, data, len);
}

/* ================================================================ WebSocket callbacks */

static void ws_open(void *user)
{
	struct feedd *f = user;
	fetch_meta(f); /* no-op once the table is there */
	feed_session_opened(&f->sess, mono_ms());
	record(f, FEED_REC_OPEN, hat_now_ns(), f->ws_url, strlen(f->ws_url));
	hat_log(&f->d.log, HAT_LOG_INFO, "ws_open", "url=%s attempt=%u", f->ws_url, f->sess.rc.attempt);
	char buf[256];
	for (uint32_t k = 0; k < feed_session_sub_count(&f->sess); k++) {
		int n = feed_session_sub_text(&f->sess, k, buf, sizeof buf);
		if (n > 0 && hat_ws_client_send_text(&f->ws, buf, (size_t)n) < 0)
			break; /* the connection is going; on_close follows */
	}
}

static void ws_text(void *user, const char *data, size_t len, uint64_t recv_ns)
{
	feedd_frame(user, data, len, recv_ns);
}

static void ws_pong(void *user, uint64_t recv_ns)
{
	(void)recv_ns;
	struct feedd *f = user;
	feed_session_rx(&f->sess, mono_ms());
}

static void ws_close(void *user, const struct hat_ws_close_info *why)
{
	struct feedd *f = user;
	bool was_live = f->sess.rc.state == FEED_SS_LIVE || f->sess.rc.state == FEED_SS_CONNECTING;
	feed_session_closed(&f->sess, mono_ms());
	mark_all_stale(f);
	if (why->err == -EMSGSIZE)
		f->st.oversize_closes++;
	if (was_live && f->sess.rc.opens)
		f->st.reconnects++;
	record(f, FEED_REC_CLOSE, hat_now_ns(), why->text, strlen(why->text));
	if (!f->stopping)
		hat_log(&f->d.log, HAT_LOG_WARN, "ws_closed", "reason=%s err=%d code_rx=%u code_tx=%u retry_in_ms=%llu",
			why->text, why->err, why->code_received, why->code_sent,
			(unsigned long long)f->sess.rc.last_delay_ms);
}

static void noop_timer(uv_timer_t *t) { (void)t; }

/* ================================================================ init / deinit */

int feedd_init(struct feedd *f, const struct hat_daemon_args *a, const struct feedd_opts *o,
	       char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	f->opts = *o;
	if (f->opts.speed <= 0)
		f->opts.speed = 1.0;
	int rc;
	if (o->create) {
		/* Standalone runs and tests: make the instance's segments like superd would. */
		struct hat_config cfg;
		struct hat_config_doc doc = { 0 };
		rc = hat_config_load(&cfg, &doc, a->config_path, err, errlen);
		hat_config_doc_free(&doc);
		if (rc < 0)
			return rc;
		if (a->instance)
			snprintf(cfg.instance, sizeof cfg.instance, "%s", a->instance);
		if ((rc = hat_instance_create(&cfg, 0, err, errlen)) < 0)
			return rc;
	}
	if ((rc = hat_daemon_open(&f->d, HAT_STAGE_FEEDD, a, err, errlen)) < 0)
		return rc;
	f->d_open = true;
	if ((rc = feed_config_load(&f->fc, &f->d.doc, err, errlen)) < 0)
		goto fail;
	snprintf(f->ws_url, sizeof f->ws_url, "%s", o->ws_url ? o->ws_url : f->d.cfg.venue.ws);
	f->d.hb_interval_ns = (uint64_t)f->fc.heartbeat_ms * HAT_NS_PER_MS;
	hat_log_rl_init(&f->rl_json, 0, 10 * HAT_NS_PER_S);
	hat_log_rl_init(&f->rl_rec, 0, 10 * HAT_NS_PER_S);
	hat_log_rl_init(&f->rl_parse, 0, 10 * HAT_NS_PER_S);
	hat_log_rl_init(&f->rl_coin, 0, 10 * HAT_NS_PER_S);
	hat_log_rl_init(&f->rl_exch, 0, 10 * HAT_NS_PER_S);

	struct feed_session_cfg sc = {
		.rc = { .ping_idle_ms = f->fc.ping_interval_ms,
		        .silent_ms = f->fc.ping_interval_ms + f->fc.silence_timeout_ms,
		        .backoff_min_ms = f->fc.reconnect_min_ms,
		        .backoff_max_ms = f->fc.reconnect_max_ms, .stable_ms = f->fc.stable_ms,
		        .min_connect_interval_ms = f->fc.min_connect_interval_ms },
		.n_sig_figs = (uint8_t)f->fc.l2_sig_figs, .mantissa = (uint8_t)f->fc.l2_mantissa,
		.sub_l2book = f->fc.sub_l2book, .sub_trades = f->fc.sub_trades, .sub_bbo = f->fc.sub_bbo,
	};
	const char *coins[HAT_CONFIG_MAX_COINS];
	for (uint32_t i = 0; i < f->d.cfg.n_coins; i++)
		coins[i] = f->d.cfg.coins[i];
	uint64_t seed = hat_now_ns() ^ ((uint64_t)getpid() << 32);
	if ((rc = feed_session_init(&f->sess, &sc, coins, f->d.cfg.n_coins, seed, err, errlen)) < 0)
		goto fail;

	if (!o->replay_path) {
		const char *dir = o->record_dir ? o->record_dir
				  : f->fc.record ? (f->fc.record_dir[0] ? f->fc.record_dir : f->d.cfg.paths.journal_dir)
						 : NULL;
		if (dir) {
			struct hat_journal_opts jo = {
				.dir = dir, .prefix = "feed",
				.max_file_bytes = (uint64_t)f->fc.record_max_file_mb << 20,
				.fsync = (enum hat_journal_fsync)f->fc.record_fsync,
				.fsync_interval_ms = f->fc.record_fsync_ms,
			};
			if ((rc = hat_journal_open(&f->jr, &jo, hat_now_ns(), err, errlen)) < 0)
				goto fail;
			f->recording = true;
			hat_log(&f->d.log, HAT_LOG_INFO, "record_start", "file=%s", f->jr.path);
		}
	}
	const char *inst = f->d.cfg.instance;
	if ((rc = hat_daemon_ring(&f->d, &f->md, "md", HAT_RING_PRODUCER, err, errlen)) < 0)
		goto fail;
	if ((rc = hat_board_open(&f->board, inst, 0, err, errlen)) < 0)
		goto fail;
	f->board_open = true;
	hat_board_set_writer(&f->board, getpid(), hat_now_ns());
	if (!o->replay_path)
		fetch_meta(f);
	uint32_t assets[HAT_CONFIG_MAX_COINS];
	for (uint32_t i = 0; i < f->d.cfg.n_coins; i++) {
		const struct hl_coin *hc = f->meta_ok ? hl_meta_find(&f->meta, coins[i]) : NULL;
		assets[i] = hc ? hc->asset : HL_ASSET_UNKNOWN;
	}
	if ((rc = feed_pub_init(&f->pub, &f->md, &f->board, coins, assets, f->d.cfg.n_coins,
				f->fc.trade_queue, err, errlen)) < 0)
		goto fail;
	if ((rc = register_counters(f, err, errlen)) < 0)
		goto fail;
	f->bufs.trades = f->trades;
	f->bufs.trades_cap = FEED_TRADES_PER_FRAME;
	mark_all_stale(f);

	if (o->replay_path) {
		f->replaying = true;
		struct stat sb;
		if (stat(o->replay_path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			rc = hat_journal_list(o->replay_path, "feed", &f->rd_files, &f->rd_nfiles, err,
					      errlen);
			if (rc == 0 && f->rd_nfiles == 0) {
				snprintf(err, errlen, "%s: no feed-*.hjl journal files", o->replay_path);
				rc = -ENOENT;
			}
		} else {
			f->rd_files = calloc(1, sizeof *f->rd_files);
			rc = f->rd_files ? 0 : -ENOMEM;
			if (f->rd_files) {
				f->rd_nfiles = 1;
				snprintf(f->rd_files[0].path, sizeof f->rd_files[0].path, "%s", o->replay_path);
			}
		}
		if (rc < 0)
			goto fail;
		if ((rc = hat_jz_open(&f->rd, f->rd_files[0].path, err, errlen)) < 0)
			goto fail;
		f->rd_next = 1;
		f->rd_open = true;
		hat_log(&f->d.log, HAT_LOG_INFO, "replay_start", "file=%s speed=%g max=%d", o->replay_path,
			f->opts.speed, (int)o->max_speed);
	} else {
		struct hat_ws_url u;
		if ((rc = hat_ws_url_parse(f->ws_url, &u, err, errlen)) < 0)
			goto fail;
		if ((rc = uv_loop_init(&f->loop)) < 0) {
			snprintf(err, errlen, "uv_loop_init failed: %s", uv_strerror(rc));
			goto fail;
		}
		f->loop_ready = true;
		uv_timer_init(&f->loop, &f->timer);
		static const struct hat_ws_client_cbs cbs = { ws_open, ws_text, ws_pong, ws_close };
		hat_ws_client_init(&f->ws, &f->loop, &cbs, f);
		f->ws_ready = true;
		feed_session_start(&f->sess, mono_ms());
	}
	hat_log(&f->d.log, HAT_LOG_INFO, "started", "instance=%s coins=%u source=%s", inst,
		f->d.cfg.n_coins, f->replaying ? o->replay_path : f->ws_url);
	return 0;
fail:
	hat_log(&f->d.log, HAT_LOG_ERROR, "init_failed", "error=%s", err);
	feedd_deinit(f);
	return rc;
}

void feedd_deinit(struct feedd *f)
{
	if (f->ws_ready) {
		hat_ws_client_deinit(&f->ws);
		f->ws_ready = false;
	}
	if (f->loop_ready) {
		uv_close((uv_handle_t *)&f->timer, NULL);
		while (uv_run(&f->loop, UV_RUN_DEFAULT) != 0)
			;
		uv_loop_close(&f->loop);
		f->loop_ready = false;
	}
	if (f->recording)
		hat_journal_close(&f->jr);
	f->recording = false;
	if (f->rd_open)
		hat_jz_close(&f->rd);
	f->rd_open = false;
	hat_journal_list_free(f->rd_files);
	f->rd_files = NULL;
	feed_pub_deinit(&f->pub);
	if (f->meta_inited)
		hl_meta_deinit(&f->meta);
	f->meta_inited = f->meta_ok = false;
	hat_ring_detach(&f->md);
	if (f->board_open)
		hat_board_close(&f->board);
	f->board_open = false;
	if (f->d_open)
		hat_daemon_close(&f->d); /* marks the block STOPPED */
	f->d_open = false;
}

/* ================================================================ run */

/* Replay: delivers due records; waits for ring space instead of coalescing. Returns 1 at the
 * end (all published), 0 otherwise. */
static int replay_step(struct feedd *f, int timeout_ms)
{
	if (feed_pub_backlog(&f->pub)) {
		feed_pub_flush(&f->pub);
		if (feed_pub_backlog(&f->pub)) {
			if (timeout_ms > 0)
				hat_sleep_ns(HAT_NS_PER_MS / 4);
			return 0;
		}
	}
	if (f->rd_done)
		return 1;
	for (int n = 0; n < 4096; n++) {
		if (!f->rd_have) {
			char err[256];
			int rc = hat_jz_next(&f->rd, &f->rd_rec, err, sizeof err);
			if ((rc == -ENODATA || rc == HAT_E_TRUNCATED) && f->rd_next < f->rd_nfiles) {
				/* The next file of a rotated recording (a torn tail in the middle
				 * means the recorder failed a write and went on in a new file). */
				if (rc == HAT_E_TRUNCATED)
					hat_log(&f->d.log, HAT_LOG_WARN, "replay_torn_file", "error=%s", err);
				hat_jz_close(&f->rd);
				f->rd_open = false;
				const char *next = f->rd_files[f->rd_next++].path;
				rc = hat_jz_open(&f->rd, next, err, sizeof err);
				if (rc == 0) {
					f->rd_open = true;
					continue;
				}
			}
			if (rc < 0) {
				f->rd_done = true;
				f->rd_result = rc;
				if (rc != -ENODATA) {
					hat_log(&f->d.log, rc == HAT_E_TRUNCATED ? HAT_LOG_WARN : HAT_LOG_ERROR,
						"replay_stopped", "error=%s records=%llu", err,
						(unsigned long long)f->rd.records);
					if (rc != HAT_E_TRUNCATED)
						f->exit_code = 2;
				}
				return feed_pub_backlog(&f->pub) ? 0 : 1;
			}
			f->rd_have = true;
			if (!f->rd_started) {
				f->rd_started = true;
				f->rd_t0_ns = f->rd_rec.ts_ns;
				f->rd_m0_ns = hat_mono_ns();
			}
		}
		if (!f->opts.max_speed) {
			uint64_t rel = f->rd_rec.ts_ns > f->rd_t0_ns ? f->rd_rec.ts_ns - f->rd_t0_ns : 0;
			uint64_t due = f->rd_m0_ns + (uint64_t)((double)rel / f->opts.speed);
			uint64_t now = hat_mono_ns();
			if (due > now) {
				uint64_t wait = due - now;
				uint64_t cap = (uint64_t)timeout_ms * HAT_NS_PER_MS;
				hat_sleep_ns(wait < cap ? wait : cap);
				return 0;
			}
		}
		f->rd_have = false;
		const struct hat_journal_rec *r = &f->rd_rec;
		switch (r->type) {
		case FEED_REC_FRAME:
			feedd_frame(f, (const char *)r->data, r->len, r->ts_ns);
			break;
		case FEED_REC_OPEN:
			feed_session_connecting(&f->sess, mono_ms());
			feed_session_opened(&f->sess, mono_ms());
			break;
		case FEED_REC_CLOSE:
			feed_session_closed(&f->sess, mono_ms());
			mark_all_stale(f);
			break;
		case FEED_REC_META: {
			char err[256];
			if (apply_meta(f, (const char *)r->data, r->len, err, sizeof err) < 0)
				hat_log(&f->d.log, HAT_LOG_WARN, "meta_invalid", "offset=%llu error=%s",
					(unsigned long long)r->offset, err);
			break;
		}
		default:
			break;
		}
		if (feed_pub_backlog(&f->pub))
			return 0; /* wait for the consumer: a replay never coalesces */
	}
	return 0;
}

static void session_actions(struct feedd *f, uint64_t now_ms)
{
	enum feed_action a;
	while (!f->stopping && (a = feed_session_poll(&f->sess, now_ms)) != FEED_ACT_NONE) {
		if (a == FEED_ACT_CONNECT) {
			struct hat_ws_client_opts wo = {
				.url = f->ws_url, .ca_file = f->fc.ca_file[0] ? f->fc.ca_file : NULL,
				.connect_timeout_ms = f->fc.connect_timeout_ms, .max_msg = f->fc.max_frame_bytes,
			};
			char err[256] = "";
			feed_session_connecting(&f->sess, now_ms);
			f->st.connects++;
			int rc = hat_ws_client_connect(&f->ws, &wo, err, sizeof err);
			if (rc < 0) {
				hat_log(&f->d.log, HAT_LOG_ERROR, "connect_failed", "error=%s", err);
				feed_session_closed(&f->sess, now_ms);
			}
		} else if (a == FEED_ACT_PING) {
			const char *p = feed_session_ping_text();
			hat_ws_client_send_text(&f->ws, p, strlen(p));
		} else if (a == FEED_ACT_RECONNECT) {
			hat_log(&f->d.log, HAT_LOG_WARN, "ws_silent", "silent_ms=%u",
				f->sess.cfg.rc.silent_ms);
			hat_ws_client_abort(&f->ws);
		}
	}
}

int feedd_run_once(struct feedd *f, int timeout_ms)
{
	uint64_t now = mono_ms();
	if (f->stop)
		return 1;
	if (f->replaying) {
		int rc = replay_step(f, timeout_ms);
		chore(f, mono_ms());
		if (rc == 1) {
			f->next_chore_ms = 0;
			chore(f, mono_ms());
		}
		return rc;
	}
	session_actions(f, now);
	if (feed_pub_backlog(&f->pub))
		feed_pub_flush(&f->pub);
	/* Ready the moment every book is fresh, not at the next chore: superd starts the next
	 * stage (or ends a restart) on it. */
	if (!f->d.blk->ready && !f->stopping && books_fresh(f))
		f->next_chore_ms = 0;
	chore(f, now);
	uint64_t wait = (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	uint64_t s = feed_session_next_ms(&f->sess, now);
	if (s < wait)
		wait = s;
	uint64_t c = f->next_chore_ms > now ? f->next_chore_ms - now : 0;
	if (c < wait)
		wait = c;
	if (feed_pub_backlog(&f->pub) && wait > 1)
		wait = 1; /* poll for ring space */
	if (wait == 0) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
	} else {
		uv_timer_start(&f->timer, noop_timer, wait, 0);
		uv_run(&f->loop, UV_RUN_ONCE);
		uv_timer_stop(&f->timer);
	}
	return 0;
}

void feedd_drain(struct feedd *f, int timeout_ms)
{
	f->stopping = true;
	if (f->d_open)
		hat_daemon_set_state(&f->d, HAT_STATE_STOPPING);
	feed_session_stop(&f->sess);
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;
	if (f->ws_ready && f->ws.conn) {
		if (hat_ws_client_is_open(&f->ws))
			hat_ws_client_close(&f->ws, HAT_WS_CLOSE_GOING_AWAY, "feedd stopping");
		else
			hat_ws_client_abort(&f->ws);
		while (f->ws.conn && mono_ms() < end) {
			uv_timer_start(&f->timer, noop_timer, 10, 0);
			uv_run(&f->loop, UV_RUN_ONCE);
		}
		uv_timer_stop(&f->timer);
	}
	while (feed_pub_backlog(&f->pub) && mono_ms() < end) {
		feed_pub_flush(&f->pub);
		if (feed_pub_backlog(&f->pub))
			hat_sleep_ns(HAT_NS_PER_MS);
	}
	mark_all_stale(f);
	f->next_chore_ms = 0;
	chore(f, mono_ms());
	if (f->recording)
		hat_journal_sync(&f->jr, mono_ms());
	hat_log(&f->d.log, HAT_LOG_INFO, "stopped", "frames=%llu msgs=%llu backlog_left=%u",
		(unsigned long long)f->st.frames,
		(unsigned long long)(f->st.msgs_book + f->st.msgs_trade + f->st.msgs_bbo),
		feed_pub_backlog(&f->pub));
}
