/* tools/hlsim/replay.c -- feedd journal -> simulated books and trades. */
#include "tools/hlsim/replay.h"

#include <errno.h>
#include <math.h>
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
}

void hlsim_replay_configure(struct hlsim_engine *e, const struct hlsim_replay_opts *o)
{
	if (!e->replaying)
		return;
	e->replay.opt = *o;
	if (e->replay.opt.settle_ms == 0)
		e->replay.opt.settle_ms = 10;
}

int hlsim_replay_parse_speed(const char *v, double *out)
{
	if (v && strcmp(v, "max") == 0) {
		*out = 0;
		return 0;
	}
	char *end;
	errno = 0;
	double x = v && *v ? strtod(v, &end) : -1;
	if (!v || !*v || *end || errno || !(x > 0) || !isfinite(x))
		return -EINVAL;
	*out = x;
	return 0;
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
	if (coin >= 0) {
		/* pushed as recorded: the exchange's own data value */
		struct hat_buf b = { (char *)text, len, len, false };
		hlsim__emit(e, HLSIM_EV_TRADES, e->cfg.coins[coin].name, NULL, NULL, &b);
	}
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
	if (r->type == HLSIM_REPLAY_REC_FRAME && hat_buf_ok(&r->payload))
		apply_frame(e, r, r->payload.data ? r->payload.data : "", r->payload.len);
	else
		r->skipped++;
}

void hlsim_replay_tick(struct hlsim_engine *e, struct hlsim_replay *r, uint64_t now_ms)
{
	if (!r->open || r->done)
		return;
	if (!r->started) {
		if (r->opt.start_file) {
			if (now_ms < r->next_check_ms)
				return;
			r->next_check_ms = now_ms + 20;
			if (access(r->opt.start_file, F_OK) != 0)
				return;
		}
		r->started = true;
		r->start_ms = now_ms;
		r->activity = activity(e);
		r->quiet_from_ms = now_ms;
		hat_log(NULL, HAT_LOG_INFO, "replay_start", "speed=%s settle_ms=%u",
			r->opt.speed > 0 ? "paced" : "max", r->opt.settle_ms ? r->opt.settle_ms : 10);
	}
	if (r->opt.speed > 0) {
		for (int k = 0; k < 10000 && read_ahead(r); k++) {
			double due = (double)(r->ts_ms - r->first_ts_ms) / r->opt.speed;
			if ((double)(now_ms - r->start_ms) < due)
				return;
			apply_waiting(e, r);
			r->steps++;
		}
		return;
	}
	/* lockstep: wait for quiet, then one step */
	uint64_t a = activity(e);
	if (a != r->activity) {
		r->activity = a;
		r->quiet_from_ms = now_ms;
		return;
	}
	uint32_t settle = r->opt.settle_ms ? r->opt.settle_ms : 10;
	if (now_ms - r->quiet_from_ms < settle)
		return;
	for (int k = 0; k < 10000 && read_ahead(r); k++) {
		uint64_t before = r->books + r->trades;
		apply_waiting(e, r);
		if (r->books + r->trades != before)
			break;
	}
	r->steps++;
	/* the pushes of this step go out now, before the pipeline reacts */
	hlsim__flush_market(e);
	r->activity = activity(e);
	r->quiet_from_ms = now_ms;
}
