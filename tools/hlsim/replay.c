/* tools/hlsim/replay.c -- feedd journal -> simulated books and trades. */
#include "tools/hlsim/replay.h"

#include <errno.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/fixed.h"
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

void hlsim_replay_tick(struct hlsim_engine *e, struct hlsim_replay *r, uint64_t now_ms)
{
	for (int k = 0; k < 10000 && r->open && !r->done; k++) {
		if (!r->have) {
			struct hat_journal_rec rec;
			char err[256];
			int rc = hat_journal_next(&r->rd, &rec, err, sizeof err);
			if (rc) {
				r->done = true;
				r->last_error = rc == -ENODATA ? 0 : rc;
				return;
			}
			hat_buf_reset(&r->payload);
			hat_buf_append(&r->payload, rec.data, rec.len);
			r->type = rec.type;
			r->ts_ms = rec.ts_ns / 1000000ULL;
			r->have = true;
			if (!r->started) {
				r->started = true;
				r->offset_ms = (int64_t)now_ms - (int64_t)r->ts_ms;
			}
		}
		if ((int64_t)r->ts_ms + r->offset_ms > (int64_t)now_ms)
			return;
		r->have = false;
		if (r->type == HLSIM_REPLAY_REC_FRAME && hat_buf_ok(&r->payload))
			apply_frame(e, r, r->payload.data ? r->payload.data : "", r->payload.len);
	}
}
