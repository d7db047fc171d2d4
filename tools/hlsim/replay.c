/* tools/hlsim/replay.c -- feedd journal -> simulated books and trades. */
#include "tools/hlsim/replay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/fixed.h"
#include "common/log.h"
#include "hl/wire.h"
#include "tools/hlsim/engine_int.h"

int hlsim_replay_open(struct hlsim_replay *r, const char *path, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	r->opt.speed = 1; /* the recorded pace until hlsim_replay_configure says otherwise */
	hat_buf_init(&r->payload);
	int rc = hat_journal_reader_open(&r->rd, path, err, errlen);
	if (rc)
		return rc;
	r->open = true;
	return 0;
}

void hlsim_replay_close(struct hlsim_replay *r)
{
	if (r->open)
		hat_journal_reader_close(&r->rd);
	r->open = false;
	hat_buf_free(&r->payload);
	hat_buf_free(&r->held_json);
	free(r->held);
	r->held = NULL;
	r->n_held = r->cap_held = 0;
}

/* ------------------------------------------------------------------ held market pushes */

static bool is_market(enum hlsim_event_kind k)
{
	return k == HLSIM_EV_L2BOOK || k == HLSIM_EV_TRADES || k == HLSIM_EV_BBO ||
	       k == HLSIM_EV_ALLMIDS || k == HLSIM_EV_CANDLE;
}

static void held_sink(void *user, const struct hlsim_event *ev)
{
	struct hlsim_engine *e = user;
	struct hlsim_replay *r = &e->replay;
	if (!is_market(ev->kind)) {
		if (r->down)
			r->down(r->down_user, ev);
		return;
	}
	if (r->n_held == r->cap_held) {
		size_t nc = r->cap_held ? r->cap_held * 2 : 64;
		struct hlsim_replay_held *n = realloc(r->held, nc * sizeof *n);
		if (!n) { /* out of memory: deliver now rather than lose it */
			if (r->down)
				r->down(r->down_user, ev);
			return;
		}
		r->held = n;
		r->cap_held = nc;
	}
	struct hlsim_replay_held *h = &r->held[r->n_held];
	memset(h, 0, sizeof *h);
	h->kind = (int)ev->kind;
	h->has_coin = ev->coin != NULL;
	h->has_interval = ev->interval != NULL;
	snprintf(h->coin, sizeof h->coin, "%s", ev->coin ? ev->coin : "");
	snprintf(h->interval, sizeof h->interval, "%s", ev->interval ? ev->interval : "");
	h->off = r->held_json.len;
	h->len = ev->json_len;
	hat_buf_append(&r->held_json, ev->json, ev->json_len);
	if (!hat_buf_ok(&r->held_json)) {
		hat_buf_reset(&r->held_json);
		return;
	}
	r->n_held++;
}

/* Delivers the oldest held push (the rest wait for the next quiet moment). */
static void release_one(struct hlsim_replay *r)
{
	struct hlsim_replay_held h = r->held[0];
	memmove(r->held, r->held + 1, (r->n_held - 1) * sizeof *r->held);
	r->n_held--;
	struct hat_buf json = HAT_BUF_INIT;
	hat_buf_append(&json, r->held_json.data + h.off, h.len);
	for (size_t i = 0; i < r->n_held; i++)
		r->held[i].off -= h.len;
	memmove(r->held_json.data, r->held_json.data + h.len, r->held_json.len - h.len);
	r->held_json.len -= h.len;
	struct hlsim_event ev = { (enum hlsim_event_kind)h.kind, h.has_coin ? h.coin : NULL, NULL,
				  h.has_interval ? h.interval : NULL, json.data ? json.data : "",
				  h.len };
	if (r->down && hat_buf_ok(&json))
		r->down(r->down_user, &ev);
	hat_buf_free(&json);
}

void hlsim_replay_configure(struct hlsim_engine *e, const struct hlsim_replay_opts *o)
{
	if (!e->replaying)
		return;
	e->replay.opt = *o;
	if (e->replay.opt.speed < 0)
		e->replay.opt.speed = 0;
	if (e->replay.opt.settle_ms == 0)
		e->replay.opt.settle_ms = 10;
}

static bool get_fx(const cJSON *j, int64_t *out)
{
	return cJSON_IsString(j) &&
	       hat_fx_parse(j->valuestring, strlen(j->valuestring), out, NULL, 0) == 0;
}

static void apply_book(struct hlsim_engine *e, struct hlsim_replay *r, const cJSON *data)
{
	const cJSON *cj = cJSON_GetObjectItemCaseSensitive(data, "coin");
	const cJSON *lv = cJSON_GetObjectItemCaseSensitive(data, "levels");
	int coin = cJSON_IsString(cj) ? hlsim_config_coin(&e->cfg, cj->valuestring) : -1;
	if (coin < 0 || !cJSON_IsArray(lv) || cJSON_GetArraySize(lv) != 2) {
		r->skipped++;
		return;
	}
	uint32_t lp = e->flow.lp_acct;
	for (struct hlsim_order *o = e->acct[lp]->orders, *n; o; o = n) {
		n = o->acct_next;
		if (o->coin == (uint32_t)coin)
			hlsim__cancel(e, o, "canceled");
	}
	int szd = e->cfg.coins[coin].sz_decimals;
	for (int side = 0; side < 2; side++) {
		const cJSON *l;
		cJSON_ArrayForEach(l, cJSON_GetArrayItem(lv, side)) {
			struct hlsim_order_req q = { .coin = (uint32_t)coin, .is_buy = side == 0,
						     .tif = HLSIM_TIF_GTC };
			struct hlsim_place_result pr;
			if (!get_fx(cJSON_GetObjectItemCaseSensitive(l, "px"), &q.px) ||
			    !get_fx(cJSON_GetObjectItemCaseSensitive(l, "sz"), &q.sz) ||
			    hl_px_check(q.px, szd, false, NULL, 0) != 0 ||
			    hl_sz_check(q.sz, szd, NULL, 0) != 0) {
				r->skipped++;
				continue;
			}
			hlsim__place(e, lp, &q, false, &pr);
		}
	}
	r->books++;
}

/* A recorded trade (aggressor side taker_buy, price px, size sz) fills the user orders it trades
 * through: resting user orders on the other side priced strictly better than px. The taker agent
 * sends an Ioc up to sz, limited at the furthest such user price, through the ordinary matching
 * (price then time priority). */
static void trade_through(struct hlsim_engine *e, struct hlsim_replay *r, uint32_t coin,
			  bool taker_buy, int64_t px, int64_t sz)
{
	bool any = false;
	int64_t limit = 0;
	for (uint32_t i = 0; i < e->n_acct; i++) {
		if (e->acct[i]->is_flow)
			continue;
		for (const struct hlsim_order *o = e->acct[i]->orders; o; o = o->acct_next) {
			if (o->coin != coin || o->is_buy == taker_buy || (o->is_trigger && !o->triggered))
				continue;
			if (taker_buy ? o->px >= px : o->px <= px)
				continue;
			if (!any || (taker_buy ? o->px > limit : o->px < limit))
				limit = o->px;
			any = true;
		}
	}
	if (!any)
		return;
	struct hlsim_order_req q = { .coin = coin, .is_buy = taker_buy, .px = limit, .sz = sz,
				     .tif = HLSIM_TIF_IOC };
	struct hlsim_place_result pr;
	if (hlsim__place(e, e->flow.taker_acct, &q, false, &pr) == 0 &&
	    pr.kind == HLSIM_PLACED_FILLED)
		r->through_fills++;
}

/* Copies text[0..len) to out with the integer after every "time": key increased by add. */
static void shift_times(const char *text, size_t len, uint64_t add, struct hat_buf *out)
{
	static const char key[] = "\"time\":";
	const char *p = text, *end = text + len;
	for (;;) {
		const char *k = memmem(p, (size_t)(end - p), key, sizeof key - 1);
		if (!k)
			break;
		const char *d = k + sizeof key - 1;
		hat_buf_append(out, p, (size_t)(d - p));
		uint64_t v = 0;
		const char *q = d;
		while (q < end && *q >= '0' && *q <= '9' && v < UINT64_MAX / 10)
			v = v * 10 + (uint64_t)(*q++ - '0');
		if (q > d)
			hat_buf_printf(out, "%llu", (unsigned long long)(v + add));
		p = q;
	}
	hat_buf_append(out, p, (size_t)(end - p));
}

static void apply_trades(struct hlsim_engine *e, struct hlsim_replay *r, const cJSON *data,
			 const char *text, size_t len)
{
	const cJSON *t;
	int coin = -1;
	cJSON_ArrayForEach(t, data) {
		const cJSON *cj = cJSON_GetObjectItemCaseSensitive(t, "coin");
		int64_t px, sz;
		int c = cJSON_IsString(cj) ? hlsim_config_coin(&e->cfg, cj->valuestring) : -1;
		if (c < 0 || !get_fx(cJSON_GetObjectItemCaseSensitive(t, "px"), &px) ||
		    !get_fx(cJSON_GetObjectItemCaseSensitive(t, "sz"), &sz) || px <= 0 || sz <= 0) {
			r->skipped++;
			continue;
		}
		hlsim__record_trade(e, (uint32_t)c, px, sz);
		const cJSON *sd = cJSON_GetObjectItemCaseSensitive(t, "side");
		if (cJSON_IsString(sd) && (!strcmp(sd->valuestring, "B") || !strcmp(sd->valuestring, "A")))
			trade_through(e, r, (uint32_t)c, sd->valuestring[0] == 'B', px, sz);
		coin = c;
		r->trades++;
	}
	if (coin < 0)
		return;
	/* pushed as recorded, the exchange's own data value; in lockstep with every "time" moved
	 * by offset_ms like every other timestamp hlsim produces (replay.h) */
	struct hat_buf b = { (char *)text, len, len, false };
	if (!r->offset_ms) {
		hlsim__emit(e, HLSIM_EV_TRADES, e->cfg.coins[coin].name, NULL, NULL, &b);
		return;
	}
	struct hat_buf moved = HAT_BUF_INIT;
	shift_times(text, len, r->offset_ms, &moved);
	if (hat_buf_ok(&moved))
		hlsim__emit(e, HLSIM_EV_TRADES, e->cfg.coins[coin].name, NULL, NULL, &moved);
	hat_buf_free(&moved);
}

/* Finds the "data" value's text inside the frame (to push trades byte for byte). */
static bool data_text(const char *f, size_t n, const char **p, size_t *len)
{
	static const char key[] = "\"data\":";
	const char *s = memmem(f, n, key, sizeof key - 1);
	if (!s)
		return false;
	s += sizeof key - 1;
	const char *end = f + n;
	while (end > s && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (end <= s || end[-1] != '}')
		return false;
	end--; /* the frame's closing brace */
	if (end <= s || end[-1] != ']')
		return false;
	*p = s;
	*len = (size_t)(end - s);
	return true;
}

static void apply_frame(struct hlsim_engine *e, struct hlsim_replay *r, const char *f, size_t n)
{
	cJSON *j = cJSON_ParseWithLength(f, n);
	const cJSON *ch = cJSON_GetObjectItemCaseSensitive(j, "channel");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
	r->frames++;
	if (!cJSON_IsString(ch)) {
		r->skipped++;
	} else if (strcmp(ch->valuestring, "l2Book") == 0 && cJSON_IsObject(data)) {
		apply_book(e, r, data);
	} else if (strcmp(ch->valuestring, "trades") == 0 && cJSON_IsArray(data)) {
		const char *p;
		size_t len;
		if (data_text(f, n, &p, &len)) {
			apply_trades(e, r, data, p, len);
		} else {
			/* "data" not last in the frame: re-serialize (large tids may lose digits) */
			char *txt = cJSON_PrintUnformatted(data);
			if (txt)
				apply_trades(e, r, data, txt, strlen(txt));
			cJSON_free(txt);
		}
	} else {
		r->skipped++;
	}
	cJSON_Delete(j);
}

/* Everything the pipeline can cause in the engine: placements (oids, seqs), fills, finished
 * orders and signed requests of user accounts. */
static uint64_t activity(const struct hlsim_engine *e)
{
	uint64_t a = e->next_oid + e->next_seq;
	for (uint32_t i = 0; i < e->n_acct; i++)
		if (!e->acct[i]->is_flow)
			a += e->acct[i]->n_requests + e->acct[i]->n_fills + e->acct[i]->n_done;
	return a;
}

/* Reads the next record into r (have = true), or ends the replay. */
static bool read_ahead(struct hlsim_replay *r)
{
	if (r->have)
		return true;
	struct hat_journal_rec rec;
	char err[256];
	int rc = hat_journal_next(&r->rd, &rec, err, sizeof err);
	if (rc) {
		r->done = true;
		r->last_error = rc == -ENODATA ? 0 : rc;
		hat_log(NULL, rc == -ENODATA ? HAT_LOG_INFO : HAT_LOG_WARN, "replay_done",
			"frames=%llu books=%llu trades=%llu through_fills=%llu skipped=%llu steps=%llu "
			"error=%s", (unsigned long long)r->frames, (unsigned long long)r->books,
			(unsigned long long)r->trades, (unsigned long long)r->through_fills,
			(unsigned long long)r->skipped, (unsigned long long)r->steps,
			rc == -ENODATA ? "none" : err);
		return false;
	}
	hat_buf_reset(&r->payload);
	hat_buf_append(&r->payload, rec.data, rec.len);
	r->type = rec.type;
	r->ts_ms = rec.ts_ns / 1000000ULL;
	r->have = true;
	if (!r->have_first) {
		r->have_first = true;
		r->first_ts_ms = r->ts_ms;
	}
	return true;
}

static void apply_waiting(struct hlsim_engine *e, struct hlsim_replay *r)
{
	r->have = false;
	if (r->type == FEED_REC_FRAME && hat_buf_ok(&r->payload))
		apply_frame(e, r, r->payload.data ? r->payload.data : "", r->payload.len);
}

uint64_t hlsim_replay_tick(struct hlsim_engine *e, struct hlsim_replay *r, uint64_t wall_ms)
{
	bool lockstep = r->opt.speed <= 0;
	if (!r->open || (!r->started && r->done))
		return wall_ms;
	if (!r->started) {
		if (r->opt.start_file) {
			if (wall_ms < r->next_check_ms)
				return wall_ms;
			r->next_check_ms = wall_ms + 20;
			if (access(r->opt.start_file, F_OK) != 0)
				return wall_ms;
		}
		r->started = true;
		r->start_ms = wall_ms;
		r->quiet_from_ms = wall_ms;
		if (lockstep && read_ahead(r)) {
			/* whole days, at least an hour ahead of the wall clock: see replay.h */
			uint64_t d = wall_ms + 3600000ULL - r->ts_ms;
			r->offset_ms = (d + 86399999ULL) / 86400000ULL * 86400000ULL;
		}
		r->activity = activity(e);
		if (lockstep && !r->opt.gate) {
			r->down = e->sink;
			r->down_user = e->sink_user;
			e->sink = held_sink;
			e->sink_user = e;
			r->wrapped = true;
		}
		hat_log(NULL, HAT_LOG_INFO, "replay_start", "speed=%s settle_ms=%u offset_ms=%llu gate=%s",
			lockstep ? "max" : "paced", r->opt.settle_ms ? r->opt.settle_ms : 10,
			(unsigned long long)r->offset_ms, r->opt.gate ? "yes" : "no");
	}
	if (!lockstep) {
		if (wall_ms > e->now_ms)
			e->now_ms = wall_ms;
		for (int k = 0; k < 10000 && read_ahead(r); k++) {
			double due = (double)(r->ts_ms - r->first_ts_ms) / r->opt.speed;
			if ((double)(wall_ms - r->start_ms) < due)
				return wall_ms;
			apply_waiting(e, r);
			r->steps++;
		}
		return wall_ms;
	}
	/* lockstep: wait until the gate says the clients are done, or (no gate) until the engine
	 * was quiet for settle_ms (wall clock); then one held push or one step */
	if (r->opt.gate) {
		struct hlsim_replay_gate_info gi = { activity(e), e->signed_actions };
		if (!r->opt.gate(r->opt.gate_user, &gi))
			return e->now_ms;
	} else {
		uint64_t a = activity(e);
		if (a != r->activity) {
			r->activity = a;
			r->quiet_from_ms = wall_ms;
			return e->now_ms;
		}
		uint32_t settle = r->opt.settle_ms ? r->opt.settle_ms : 10;
		if (wall_ms - r->quiet_from_ms < settle)
			return e->now_ms;
	}
	if (r->n_held) {
		/* the held market pushes of the last step and of the reactions to it, one book,
		 * bbo or trades push per quiet moment: the reaction to one is complete before the
		 * next goes out */
		while (r->n_held) {
			/* candles and allMids go with the next book or trades push */
			int k = r->held[0].kind;
			release_one(r);
			if (k == HLSIM_EV_L2BOOK || k == HLSIM_EV_BBO || k == HLSIM_EV_TRADES)
				break;
		}
		r->quiet_from_ms = wall_ms;
		return e->now_ms;
	}
	if (r->done)
		return e->now_ms;
	for (int k = 0; k < 10000 && read_ahead(r); k++) {
		uint64_t before = r->books + r->trades;
		if (r->ts_ms + r->offset_ms > e->now_ms)
			e->now_ms = r->ts_ms + r->offset_ms;
		apply_waiting(e, r);
		if (r->books + r->trades != before)
			break;
	}
	r->steps++;
	/* the pushes of this step, stamped with its time (held until quiet) */
	hlsim__flush_market(e);
	r->activity = activity(e);
	r->quiet_from_ms = wall_ms;
	return e->now_ms;
}
