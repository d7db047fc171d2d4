/* tools/hlsim/engine.c -- engine lifecycle, order placement and execution, events, tick. */
#include "tools/hlsim/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fixed.h"
#include "hl/keccak.h"
#include "hl/wire.h"

/* ------------------------------------------------------------------ JSON helpers */

/* Writes v in decimal so that it ends just before end; returns where it starts. */
static char *u64_digits(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

void hlsim__put_u64(struct hat_buf *b, uint64_t v)
{
	char t[20];
	char *p = u64_digits(v, t + sizeof t);
	hat_buf_append(b, p, (size_t)(t + sizeof t - p));
}

/* The text of hat_fx_format, quoted, without its two snprintf calls (answers and pushes of
 * every order format several of these). */
void hlsim__put_fx(struct hat_buf *b, int64_t v)
{
	char t[1 + 1 + 20 + 1 + 8 + 1];
	char *end = t + sizeof t, *p = end;
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t ip = mag / (uint64_t)HAT_FX_ONE, fp = mag % (uint64_t)HAT_FX_ONE;
	*--p = '"';
	if (fp) {
		int digits = 8;
		for (; fp % 10 == 0; fp /= 10)
			digits--;
		for (; digits > 0; digits--, fp /= 10)
			*--p = (char)('0' + fp % 10);
		*--p = '.';
	}
	p = u64_digits(ip, p);
	if (v < 0)
		*--p = '-';
	*--p = '"';
	hat_buf_append(b, p, (size_t)(end - p));
}

void hlsim__put_addr(struct hat_buf *b, const uint8_t a[20])
{
	char t[HL_ADDR_STRLEN];
	hl_addr_format(a, t);
	hat_buf_putc(b, '"');
	hat_buf_puts(b, t);
	hat_buf_putc(b, '"');
}

void hlsim__put_cloid(struct hat_buf *b, const uint8_t c[16])
{
	char t[HL_CLOID_STRLEN];
	hl_cloid_format(c, t);
	hat_buf_putc(b, '"');
	hat_buf_puts(b, t);
	hat_buf_putc(b, '"');
}

static void put_hash(struct hat_buf *b, const uint8_t h[32])
{
	static const char hx[] = "0123456789abcdef";
	hat_buf_puts(b, "\"0x");
	for (int i = 0; i < 32; i++) {
		hat_buf_putc(b, hx[h[i] >> 4]);
		hat_buf_putc(b, hx[h[i] & 15]);
	}
	hat_buf_putc(b, '"');
}

static const char *coin_name(const struct hlsim_engine *e, uint32_t coin)
{
	return e->cfg.coins[coin].name;
}

void hlsim__put_fill(struct hat_buf *b, const struct hlsim_engine *e, const struct hlsim_fill *f)
{
	hat_buf_printf(b, "{\"coin\":\"%s\",\"px\":", coin_name(e, f->coin));
	hlsim__put_fx(b, f->px);
	hat_buf_puts(b, ",\"sz\":");
	hlsim__put_fx(b, f->sz);
	hat_buf_printf(b, ",\"side\":\"%s\",\"time\":%llu,\"startPosition\":", f->is_buy ? "B" : "A",
		       (unsigned long long)f->time);
	hlsim__put_fx(b, f->start_pos);
	hat_buf_printf(b, ",\"dir\":\"%s\",\"closedPnl\":", hlsim_dir_name((enum hlsim_dir)f->dir));
	hlsim__put_fx(b, f->closed_pnl);
	hat_buf_puts(b, ",\"hash\":");
	put_hash(b, f->hash);
	hat_buf_printf(b, ",\"oid\":%llu,\"crossed\":%s,\"fee\":", (unsigned long long)f->oid,
		       f->crossed ? "true" : "false");
	hlsim__put_fx(b, f->fee);
	hat_buf_printf(b, ",\"tid\":%llu,\"feeToken\":\"USDC\"", (unsigned long long)f->tid);
	if (f->has_cloid) {
		hat_buf_puts(b, ",\"cloid\":");
		hlsim__put_cloid(b, f->cloid);
	}
	hat_buf_putc(b, '}');
}

static const char *order_type_name(const struct hlsim_order *o)
{
	if (!o->is_trigger)
		return "Limit";
	if (o->trig_tp)
		return o->trig_market ? "Take Profit Market" : "Take Profit Limit";
	return o->trig_market ? "Stop Market" : "Stop Limit";
}

static const char *tif_name(enum hlsim_tif t)
{
	return t == HLSIM_TIF_ALO ? "Alo" : t == HLSIM_TIF_IOC ? "Ioc" : "Gtc";
}

void hlsim__put_order(struct hat_buf *b, const struct hlsim_engine *e,
		      const struct hlsim_order *o, bool frontend)
{
	hat_buf_printf(b, "{\"coin\":\"%s\",", coin_name(e, o->coin));
	if (frontend)
		hat_buf_printf(b, "\"isPositionTpsl\":false,\"isTrigger\":%s,",
			       o->is_trigger && !o->triggered ? "true" : "false");
	hat_buf_puts(b, "\"limitPx\":");
	hlsim__put_fx(b, o->px);
	hat_buf_printf(b, ",\"oid\":%llu,", (unsigned long long)o->oid);
	if (frontend)
		hat_buf_printf(b, "\"orderType\":\"%s\",\"origSz\":", order_type_name(o));
	else
		hat_buf_puts(b, "\"origSz\":");
	hlsim__put_fx(b, o->orig_sz);
	if (frontend)
		hat_buf_printf(b, ",\"reduceOnly\":%s", o->reduce_only ? "true" : "false");
	hat_buf_printf(b, ",\"side\":\"%s\",\"sz\":", o->is_buy ? "B" : "A");
	hlsim__put_fx(b, o->sz);
	hat_buf_printf(b, ",\"timestamp\":%llu", (unsigned long long)o->timestamp);
	if (frontend) {
		if (o->is_trigger) {
			/* a buy stop / sell take-profit fires when the price rises to triggerPx */
			bool above = o->is_buy != o->trig_tp;
			char t[HAT_FX_STRLEN];
			hat_fx_format(o->trigger_px, t, sizeof t);
			hat_buf_printf(b, ",\"triggerCondition\":\"Price %s %s\",\"triggerPx\":",
				       above ? "above" : "below", t);
			hlsim__put_fx(b, o->trigger_px);
		} else {
			hat_buf_puts(b, ",\"triggerCondition\":\"N/A\",\"triggerPx\":\"0\"");
		}
		hat_buf_puts(b, ",\"children\":[],\"tif\":");
		if (o->is_trigger && !o->triggered)
			hat_buf_puts(b, "null");
		else
			hat_buf_printf(b, "\"%s\"", tif_name(o->tif));
		hat_buf_puts(b, ",\"cloid\":");
		if (o->has_cloid)
			hlsim__put_cloid(b, o->cloid);
		else
			hat_buf_puts(b, "null");
	} else {
		if (o->has_cloid) {
			hat_buf_puts(b, ",\"cloid\":");
			hlsim__put_cloid(b, o->cloid);
		}
		if (o->reduce_only)
			hat_buf_puts(b, ",\"reduceOnly\":true");
	}
	hat_buf_putc(b, '}');
}

void hlsim__put_l2(struct hat_buf *b, const struct hlsim_engine *e, uint32_t coin, int nsig,
		   int mantissa)
{
	struct hlsim_level lv[HLSIM_BOOK_DEPTH];
	hat_buf_printf(b, "{\"coin\":\"%s\",\"time\":%llu,\"levels\":[", coin_name(e, coin),
		       (unsigned long long)e->now_ms);
	for (int side = 0; side < 2; side++) {
		size_t n = hlsim_book_levels(&e->mk[coin].book, side == 0, nsig, mantissa, lv,
					     HLSIM_BOOK_DEPTH);
		hat_buf_puts(b, side ? ",[" : "[");
		for (size_t i = 0; i < n; i++) {
			hat_buf_puts(b, i ? ",{\"px\":" : "{\"px\":");
			hlsim__put_fx(b, lv[i].px);
			hat_buf_puts(b, ",\"sz\":");
			hlsim__put_fx(b, lv[i].sz);
			hat_buf_printf(b, ",\"n\":%u}", lv[i].n);
		}
		hat_buf_putc(b, ']');
	}
	hat_buf_puts(b, "]}");
}

void hlsim__put_allmids(struct hat_buf *b, const struct hlsim_engine *e)
{
	hat_buf_putc(b, '{');
	int k = 0;
	for (uint32_t i = 0; i < e->cfg.n_coins; i++) {
		int64_t m = hlsim__mid(e, i);
		if (m <= 0)
			continue;
		hat_buf_printf(b, "%s\"%s\":", k++ ? "," : "", coin_name(e, i));
		hlsim__put_fx(b, m);
	}
	hat_buf_putc(b, '}');
}

uint64_t hlsim__interval_ms(const char *iv)
{
	static const struct { const char *name; uint64_t ms; } t[] = {
		{ "1m", 60000ULL }, { "3m", 180000ULL }, { "5m", 300000ULL }, { "15m", 900000ULL },
		{ "30m", 1800000ULL }, { "1h", 3600000ULL }, { "2h", 7200000ULL },
		{ "4h", 14400000ULL }, { "8h", 28800000ULL }, { "12h", 43200000ULL },
		{ "1d", 86400000ULL }, { "3d", 259200000ULL }, { "1w", 604800000ULL },
		{ "1M", 2592000000ULL },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(iv, t[i].name) == 0)
			return t[i].ms;
	return 0;
}

void hlsim__put_candle(struct hat_buf *b, const struct hlsim_engine *e, uint32_t coin,
		       const char *interval, const struct hlsim_candle *c, uint64_t t_close)
{
	hat_buf_printf(b, "{\"t\":%llu,\"T\":%llu,\"s\":\"%s\",\"i\":\"%s\",\"o\":",
		       (unsigned long long)c->t, (unsigned long long)t_close, coin_name(e, coin),
		       interval);
	hlsim__put_fx(b, c->o);
	hat_buf_puts(b, ",\"c\":");
	hlsim__put_fx(b, c->c);
	hat_buf_puts(b, ",\"h\":");
	hlsim__put_fx(b, c->h);
	hat_buf_puts(b, ",\"l\":");
	hlsim__put_fx(b, c->l);
	hat_buf_puts(b, ",\"v\":");
	hlsim__put_fx(b, c->v);
	hat_buf_printf(b, ",\"n\":%u}", c->n);
}

bool hlsim__candle_at(const struct hlsim_engine *e, uint32_t coin, uint64_t step, uint64_t t,
		      struct hlsim_candle *out)
{
	const struct hlsim_market *m = &e->mk[coin];
	uint64_t n = m->n_candles < HLSIM_CANDLES_KEEP ? m->n_candles : HLSIM_CANDLES_KEEP;
	bool any = false;
	/* walk oldest to newest so open/close come out in time order */
	for (uint64_t i = n; i-- > 0;) {
		const struct hlsim_candle *c = &m->candles[(m->n_candles - 1 - i) % HLSIM_CANDLES_KEEP];
		if (c->t < t || c->t >= t + step)
			continue;
		if (!any) {
			*out = *c;
			out->t = t;
			any = true;
			continue;
		}
		if (c->h > out->h)
			out->h = c->h;
		if (c->l < out->l)
			out->l = c->l;
		out->c = c->c;
		out->v += c->v;
		out->n += c->n;
	}
	return any;
}

void hlsim__emit(struct hlsim_engine *e, enum hlsim_event_kind kind, const char *coin,
		 const uint8_t *user, const char *interval, const struct hat_buf *json)
{
	if (!e->sink || !hat_buf_ok(json))
		return;
	struct hlsim_event ev = { kind, coin, user, interval, json->data, json->len };
	e->sink(e->sink_user, &ev);
}

/* ------------------------------------------------------------------ accounts */

int hlsim__acct_find(const struct hlsim_engine *e, const uint8_t address[20])
{
	for (uint32_t i = 0; i < e->n_acct; i++)
		if (memcmp(e->acct[i]->address, address, 20) == 0)
			return (int)i;
	return -1;
}

int hlsim__acct_get(struct hlsim_engine *e, const uint8_t address[20])
{
	int i = hlsim__acct_find(e, address);
	if (i >= 0)
		return i;
	if (e->n_acct == e->cap_acct) {
		uint32_t ncap = e->cap_acct ? e->cap_acct * 2 : 16;
		struct hlsim_account **p = realloc(e->acct, ncap * sizeof *p);
		if (!p)
			return -ENOMEM;
		e->acct = p;
		e->cap_acct = ncap;
	}
	struct hlsim_account *a = hlsim_account_new(&e->cfg, address, 0);
	if (!a)
		return -ENOMEM;
	e->acct[e->n_acct] = a;
	return (int)e->n_acct++;
}

int64_t hlsim__mid(const struct hlsim_engine *e, uint32_t coin)
{
	const struct hlsim_market *m = &e->mk[coin];
	const struct hlsim_order *b = hlsim_book_best(&m->book, true);
	const struct hlsim_order *a = hlsim_book_best(&m->book, false);
	if (b && a)
		return (b->px + a->px) / 2;
	if (m->last_px)
		return m->last_px;
	return m->ref_px;
}

/* Mark price: the book mid when both sides exist, else the last trade, else the reference.
 * (The exchange's mark is a median of oracle and book prices; the mid is close enough.) */
int64_t hlsim__mark(const struct hlsim_engine *e, uint32_t coin)
{
	return hlsim__mid(e, coin);
}

void hlsim__marks(const struct hlsim_engine *e, int64_t *marks)
{
	for (uint32_t i = 0; i < e->cfg.n_coins; i++)
		marks[i] = hlsim__mark(e, i);
}

/* ------------------------------------------------------------------ order events */

static void emit_order_update(struct hlsim_engine *e, const struct hlsim_order *o,
			      const char *status)
{
	struct hat_buf *b = &e->ev;
	hat_buf_reset(b);
	hat_buf_puts(b, "[{\"order\":{\"coin\":\"");
	hat_buf_puts(b, coin_name(e, o->coin));
	hat_buf_puts(b, o->is_buy ? "\",\"side\":\"B\",\"limitPx\":" : "\",\"side\":\"A\",\"limitPx\":");
	hlsim__put_fx(b, o->px);
	hat_buf_puts(b, ",\"sz\":");
	hlsim__put_fx(b, o->sz);
	hat_buf_puts(b, ",\"oid\":");
	hlsim__put_u64(b, o->oid);
	hat_buf_puts(b, ",\"timestamp\":");
	hlsim__put_u64(b, o->timestamp);
	hat_buf_puts(b, ",\"origSz\":");
	hlsim__put_fx(b, o->orig_sz);
	if (o->has_cloid) {
		hat_buf_puts(b, ",\"cloid\":");
		hlsim__put_cloid(b, o->cloid);
	}
	hat_buf_puts(b, "},\"status\":\"");
	hat_buf_puts(b, status);
	hat_buf_puts(b, "\",\"statusTimestamp\":");
	hlsim__put_u64(b, e->now_ms);
	hat_buf_puts(b, "}]");
	hlsim__emit(e, HLSIM_EV_ORDER_UPDATES, NULL, e->acct[o->acct]->address, NULL, b);
}

/* A book changed: its l2Book and bbo pushes are decided once the current request or tick is
 * over (hlsim__flush_market), so subscribers never see a half-applied requote, like the
 * exchange publishing once per block. */
static void book_changed(struct hlsim_engine *e, uint32_t coin)
{
	e->mk[coin].l2_dirty = true;
	e->mk[coin].bbo_dirty = true;
}

static void push_bbo(struct hlsim_engine *e, uint32_t coin)
{
	struct hlsim_market *m = &e->mk[coin];
	struct hlsim_level now[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	m->bbo_dirty = false;
	for (int side = 0; side < 2; side++)
		hlsim_book_levels(&m->book, side == 0, 0, 0, &now[side], 1);
	bool same = true;
	for (int side = 0; side < 2; side++)
		same = same && now[side].px == m->bbo[side].px && now[side].sz == m->bbo[side].sz &&
		       now[side].n == m->bbo[side].n;
	if (same)
		return;
	m->bbo[0] = now[0];
	m->bbo[1] = now[1];
	if (!e->sink)
		return;
	struct hat_buf *b = &e->ev;
	hat_buf_reset(b);
	hat_buf_puts(b, "{\"coin\":\"");
	hat_buf_puts(b, coin_name(e, coin));
	hat_buf_puts(b, "\",\"time\":");
	hlsim__put_u64(b, e->now_ms);
	hat_buf_puts(b, ",\"bbo\":[");
	for (int side = 0; side < 2; side++) {
		if (side)
			hat_buf_putc(b, ',');
		if (now[side].sz == 0) {
			hat_buf_puts(b, "null");
			continue;
		}
		hat_buf_puts(b, "{\"px\":");
		hlsim__put_fx(b, now[side].px);
		hat_buf_puts(b, ",\"sz\":");
		hlsim__put_fx(b, now[side].sz);
		hat_buf_puts(b, ",\"n\":");
		hlsim__put_u64(b, now[side].n);
		hat_buf_putc(b, '}');
	}
	hat_buf_puts(b, "]}");
	hlsim__emit(e, HLSIM_EV_BBO, coin_name(e, coin), NULL, NULL, b);
}

void hlsim__flush_market(struct hlsim_engine *e)
{
	for (uint32_t c = 0; c < e->cfg.n_coins; c++) {
		struct hlsim_market *m = &e->mk[c];
		if (m->bbo_dirty)
			push_bbo(e, c);
		if (m->l2_dirty && e->now_ms >= m->l2_last_ms + e->cfg.l2_push_ms) {
			m->l2_dirty = false;
			m->l2_last_ms = e->now_ms;
			if (e->sink) {
				hat_buf_reset(&e->ev);
				hlsim__put_l2(&e->ev, e, c, 0, 0);
				hlsim__emit(e, HLSIM_EV_L2BOOK, coin_name(e, c), NULL, NULL, &e->ev);
			}
		}
	}
}

/* Takes o out of everything (book, account, oid index), records status and frees it. */
static void finish(struct hlsim_engine *e, struct hlsim_order *o, const char *status)
{
	struct hlsim_account *a = e->acct[o->acct];
	hlsim_book_remove(&e->mk[o->coin].book, o);
	hlsim_account_unlink(a, o);
	hlsim_oidmap_del(&e->oids, o->oid);
	hlsim_account_add_done(a, o, status, e->now_ms);
	emit_order_update(e, o, status);
	free(o);
}

void hlsim__cancel(struct hlsim_engine *e, struct hlsim_order *o, const char *status)
{
	uint32_t coin = o->coin;
	finish(e, o, status);
	book_changed(e, coin);
}

struct hlsim_order *hlsim__find_cloid(const struct hlsim_engine *e, uint32_t acct,
				      const uint8_t cloid[16])
{
	for (struct hlsim_order *o = e->acct[acct]->orders; o; o = o->acct_next)
		if (o->has_cloid && memcmp(o->cloid, cloid, 16) == 0)
			return o;
	return NULL;
}

/* ------------------------------------------------------------------ matching glue */

struct exec_ctx {
	struct hlsim_engine *e;
	__int128 ntl;   /* sum px * sz of the taker's fills (1e-16 units) */
	int64_t sz;
};

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void record_fill(struct hlsim_engine *e, const struct hlsim_order *o, bool crossed,
			int64_t px, int64_t sz, uint64_t tid, const uint8_t hash[32])
{
	struct hlsim_account *a = e->acct[o->acct];
	int64_t fee = hlsim_fee(px, sz, crossed ? e->cfg.taker_fee : e->cfg.maker_fee);
	struct hlsim_fill_math fm;
	hlsim_account_apply_fill(a, o->coin, o->is_buy, px, sz, fee, &fm);
	struct hlsim_fill f = {
		.time = e->now_ms, .oid = o->oid, .tid = tid, .px = px, .sz = sz,
		.start_pos = fm.start_pos, .closed_pnl = fm.closed_pnl, .fee = fee,
		.coin = o->coin, .dir = (uint8_t)fm.dir, .is_buy = o->is_buy, .crossed = crossed,
		.has_cloid = o->has_cloid,
	};
	memcpy(f.cloid, o->cloid, 16);
	memcpy(f.hash, hash, 32);
	hlsim_account_add_fill(a, &f);
	if (!e->sink || a->is_flow)
		return;
	struct hat_buf *b = &e->ev;
	hat_buf_reset(b);
	hat_buf_puts(b, "{\"user\":");
	hlsim__put_addr(b, a->address);
	hat_buf_puts(b, ",\"fills\":[");
	hlsim__put_fill(b, e, &f);
	hat_buf_puts(b, "]}");
	hlsim__emit(e, HLSIM_EV_USER_FILLS, NULL, a->address, NULL, b);
	hat_buf_reset(b);
	hat_buf_puts(b, "{\"fills\":[");
	hlsim__put_fill(b, e, &f);
	hat_buf_puts(b, "]}");
	hlsim__emit(e, HLSIM_EV_USER_EVENTS, NULL, a->address, NULL, b);
}

static void candle_add(struct hlsim_market *m, uint64_t now_ms, int64_t px, int64_t sz)
{
	uint64_t t = now_ms / 60000 * 60000;
	struct hlsim_candle *c = m->n_candles
		? &m->candles[(m->n_candles - 1) % HLSIM_CANDLES_KEEP] : NULL;
	if (!c || c->t != t) {
		c = &m->candles[m->n_candles % HLSIM_CANDLES_KEEP];
		*c = (struct hlsim_candle){ t, px, px, px, px, 0, 0 };
		m->n_candles++;
	}
	if (px > c->h)
		c->h = px;
	if (px < c->l)
		c->l = px;
	c->c = px;
	c->v += sz;
	c->n++;
	m->candle_dirty = true;
}

void hlsim__record_trade(struct hlsim_engine *e, uint32_t coin, int64_t px, int64_t sz)
{
	struct hlsim_market *m = &e->mk[coin];
	int64_t ntl;
	m->last_px = px;
	if (hat_fx_mul(px, sz, &ntl) == 0)
		m->day_ntl_vlm += ntl;
	m->day_base_vlm += sz;
	candle_add(m, e->now_ms, px, sz);
}

static void on_fill(void *user, struct hlsim_order *taker, struct hlsim_order *maker,
		    int64_t px, int64_t sz)
{
	struct exec_ctx *x = user;
	struct hlsim_engine *e = x->e;
	/* Unique per trade (a counter, scrambled): mixing in the oids let two fills of one taker
	 * against consecutive makers collide. */
	uint64_t tid = mix64(e->next_tid++) &
		       ((1ULL << 50) - 1);
	uint8_t hash[32];
	uint64_t hv[4] = { tid, taker->oid, maker->oid, e->now_ms };
	hl_keccak256(hv, sizeof hv, hash);
	record_fill(e, taker, true, px, sz, tid, hash);
	record_fill(e, maker, false, px, sz, tid, hash);
	x->ntl += (__int128)px * sz;
	x->sz += sz;
	hlsim__record_trade(e, taker->coin, px, sz);
	if (maker->sz > 0)
		emit_order_update(e, maker, "open");
	/* trades batch of this taker */
	struct hat_buf *b = &e->trades;
	hat_buf_puts(b, e->trades_n++ ? ",{" : "[{");
	hat_buf_printf(b, "\"coin\":\"%s\",\"side\":\"%s\",\"px\":", coin_name(e, taker->coin),
		       taker->is_buy ? "B" : "A");
	hlsim__put_fx(b, px);
	hat_buf_puts(b, ",\"sz\":");
	hlsim__put_fx(b, sz);
	hat_buf_printf(b, ",\"time\":%llu,\"hash\":", (unsigned long long)e->now_ms);
	put_hash(b, hash);
	hat_buf_printf(b, ",\"tid\":%llu,\"users\":[", (unsigned long long)tid);
	const struct hlsim_order *buyer = taker->is_buy ? taker : maker;
	const struct hlsim_order *seller = taker->is_buy ? maker : taker;
	hlsim__put_addr(b, e->acct[buyer->acct]->address);
	hat_buf_putc(b, ',');
	hlsim__put_addr(b, e->acct[seller->acct]->address);
	hat_buf_puts(b, "]}");
}

static int64_t on_maker_allow(void *user, struct hlsim_order *maker, int64_t want)
{
	struct exec_ctx *x = user;
	if (!maker->reduce_only)
		return want;
	int64_t pos = x->e->acct[maker->acct]->pos[maker->coin].szi;
	if (pos == 0 || (pos > 0) == maker->is_buy)
		return 0;
	int64_t cap = pos < 0 ? -pos : pos;
	return want < cap ? want : cap;
}

static void on_cancel(void *user, struct hlsim_order *maker, const char *status)
{
	struct exec_ctx *x = user;
	finish(x->e, maker, status);
}

static void on_done(void *user, struct hlsim_order *maker)
{
	struct exec_ctx *x = user;
	finish(x->e, maker, "filled");
}

/* Executes o (already validated, linked into its account and the oid index, not in a book).
 * Fills r (if not NULL). o may be freed. */
static void execute(struct hlsim_engine *e, struct hlsim_order *o, struct hlsim_place_result *r)
{
	struct hlsim_market *m = &e->mk[o->coin];
	uint32_t coin = o->coin;
	int64_t cap = o->sz;
	if (o->reduce_only) {
		int64_t pos = e->acct[o->acct]->pos[coin].szi;
		if (pos == 0 || (pos > 0) == o->is_buy) {
			if (r) {
				r->kind = HLSIM_PLACED_ERROR;
				snprintf(r->err, sizeof r->err,
					 "Reduce only order would increase position.");
			}
			finish(e, o, "reduceOnlyRejected");
			return;
		}
		int64_t ap = pos < 0 ? -pos : pos;
		if (cap > ap)
			cap = ap;
	}
	struct exec_ctx x = { e, 0, 0 };
	struct hlsim_match_cb cb = { on_maker_allow, on_fill, on_cancel, on_done, &x };
	hat_buf_reset(&e->trades);
	e->trades_n = 0;
	hlsim_match(&m->book, o, cap, &cb);
	if (e->trades_n) {
		hat_buf_putc(&e->trades, ']');
		hlsim__emit(e, HLSIM_EV_TRADES, coin_name(e, coin), NULL, NULL, &e->trades);
	}
	if (r) {
		r->oid = o->oid;
		r->total_sz = x.sz;
		r->avg_px = x.sz ? (int64_t)(x.ntl / x.sz) : 0;
	}
	bool ioc = o->tif == HLSIM_TIF_IOC;
	if (o->reduce_only && o->sz > 0) {
		/* never rest more than what still closes the position */
		int64_t pos = e->acct[o->acct]->pos[coin].szi;
		int64_t ap = pos < 0 ? -pos : pos;
		if ((pos > 0) == o->is_buy)
			ap = 0;
		if (o->sz > ap)
			o->sz = ap;
	}
	if (o->sz == 0) {
		if (r)
			r->kind = HLSIM_PLACED_FILLED;
		finish(e, o, x.sz ? "filled" : "reduceOnlyCanceled");
	} else if (ioc) {
		if (r) {
			if (x.sz) {
				r->kind = HLSIM_PLACED_FILLED;
			} else {
				r->kind = HLSIM_PLACED_ERROR;
				snprintf(r->err, sizeof r->err, "%s",
					 o->is_trigger
						 ? "No liquidity available for market order."
						 : "Order could not immediately match against any resting orders.");
			}
		}
		finish(e, o, x.sz ? "canceled" : "iocCancelRejected");
	} else {
		if (hlsim_book_insert(&m->book, o) != 0) {
			if (r) {
				r->kind = HLSIM_PLACED_ERROR;
				snprintf(r->err, sizeof r->err, "Internal error: out of memory.");
			}
			finish(e, o, "rejected");
		} else {
			if (r)
				r->kind = HLSIM_PLACED_RESTING;
			emit_order_update(e, o, "open");
		}
	}
	book_changed(e, coin);
}

static bool trigger_due(const struct hlsim_order *o, int64_t mark)
{
	/* a buy stop / sell take-profit fires when the price rises to triggerPx */
	bool above = o->is_buy != o->trig_tp;
	return above ? mark >= o->trigger_px : mark <= o->trigger_px;
}

void hlsim__check_triggers(struct hlsim_engine *e, uint32_t coin)
{
	struct hlsim_book *b = &e->mk[coin].book;
	for (int guard = 0; guard < 1000; guard++) {
		int64_t mark = hlsim__mark(e, coin);
		struct hlsim_order *due = NULL;
		for (size_t i = 0; i < b->triggers.n; i++) {
			struct hlsim_order *o = b->triggers.v[i];
			if (trigger_due(o, mark) && (!due || o->seq < due->seq))
				due = o;
		}
		if (!due)
			return;
		hlsim_book_remove(b, due);
		due->triggered = true;
		due->tif = due->trig_market ? HLSIM_TIF_IOC : HLSIM_TIF_GTC;
		emit_order_update(e, due, "triggered");
		execute(e, due, NULL);
	}
}

/* ------------------------------------------------------------------ placement */

static void fail(struct hlsim_place_result *r, const char *msg)
{
	r->kind = HLSIM_PLACED_ERROR;
	snprintf(r->err, sizeof r->err, "%s", msg);
}

int hlsim__place(struct hlsim_engine *e, uint32_t acct, const struct hlsim_order_req *q,
		 bool check_margin, struct hlsim_place_result *r)
{
	memset(r, 0, sizeof *r);
	r->has_cloid = q->has_cloid;
	memcpy(r->cloid, q->cloid, 16);
	struct hlsim_account *a = e->acct[acct];
	if (q->coin >= e->cfg.n_coins) {
		fail(r, "Invalid asset.");
		return 0;
	}
	int szd = e->cfg.coins[q->coin].sz_decimals;
	struct hlsim_market *m = &e->mk[q->coin];
	if (hl_px_check(q->px, szd, false, NULL, 0) != 0 ||
	    (q->is_trigger && hl_px_check(q->trigger_px, szd, false, NULL, 0) != 0)) {
		fail(r, "Price must be divisible by tick size.");
		return 0;
	}
	if (hl_sz_check(q->sz, szd, NULL, 0) != 0) {
		fail(r, "Order has invalid size.");
		return 0;
	}
	if (q->has_cloid && hlsim__find_cloid(e, acct, q->cloid)) {
		fail(r, "Duplicate cloid: an open order already uses this cloid.");
		return 0;
	}
	if (!q->reduce_only && hl_order_value_check(q->px, q->sz, NULL, 0) != 0) {
		fail(r, "Order must have minimum value of $10.");
		return 0;
	}
	if (!a->is_flow && a->n_orders >= e->cfg.max_open_orders) {
		fail(r, "Too many open orders.");
		return 0;
	}
	int64_t pos = a->pos[q->coin].szi;
	if (q->reduce_only && !q->is_trigger && (pos == 0 || (pos > 0) == q->is_buy)) {
		fail(r, "Reduce only order would increase position.");
		return 0;
	}
	if (!q->is_trigger && q->tif == HLSIM_TIF_ALO &&
	    hlsim_match_would_cross(&m->book, q->is_buy, q->px)) {
		char bid[HAT_FX_STRLEN] = "None", ask[HAT_FX_STRLEN] = "None";
		const struct hlsim_order *bb = hlsim_book_best(&m->book, true);
		const struct hlsim_order *ba = hlsim_book_best(&m->book, false);
		if (bb)
			hat_fx_format(bb->px, bid, sizeof bid);
		if (ba)
			hat_fx_format(ba->px, ask, sizeof ask);
		r->kind = HLSIM_PLACED_ERROR;
		snprintf(r->err, sizeof r->err,
			 "Post only order would have immediately matched, bbo was %s@%s", bid, ask);
		return 0;
	}
	if (!q->is_trigger && q->tif == HLSIM_TIF_IOC &&
	    !hlsim_match_would_cross(&m->book, q->is_buy, q->px)) {
		fail(r, "Order could not immediately match against any resting orders.");
		return 0;
	}
	if (check_margin && !q->reduce_only && !a->is_flow) {
		int64_t marks[HLSIM_MAX_COINS];
		hlsim__marks(e, marks);
		int64_t avail = hlsim_account_value(a, marks, e->cfg.n_coins) -
				hlsim_account_pos_margin(a, marks, e->cfg.n_coins) -
				hlsim_account_order_margin(a);
		int64_t need = hlsim_account_new_order_margin(a, q->coin, q->is_buy, q->px, q->sz);
		if (need > avail) {
			fail(r, "Insufficient margin to place order.");
			return 0;
		}
	}
	struct hlsim_order *o = calloc(1, sizeof *o);
	if (!o)
		return -ENOMEM;
	o->oid = e->next_oid++;
	o->seq = e->next_seq++;
	o->coin = q->coin;
	o->acct = acct;
	o->is_buy = q->is_buy;
	o->reduce_only = q->reduce_only;
	o->has_cloid = q->has_cloid;
	memcpy(o->cloid, q->cloid, 16);
	o->tif = q->tif;
	o->px = q->px;
	o->sz = o->orig_sz = q->sz;
	o->timestamp = e->now_ms;
	o->is_trigger = q->is_trigger;
	o->trig_market = q->trig_market;
	o->trig_tp = q->trig_tp;
	o->trigger_px = q->trigger_px;
	if (hlsim_oidmap_put(&e->oids, o) != 0) {
		free(o);
		return -ENOMEM;
	}
	hlsim_account_link(a, o);
	r->oid = o->oid;
	if (o->is_trigger) {
		if (hlsim_book_add_trigger(&m->book, o) != 0) {
			finish(e, o, "rejected");
			return -ENOMEM;
		}
		r->kind = HLSIM_PLACED_TRIGGER;
		emit_order_update(e, o, "open");
		hlsim__check_triggers(e, q->coin);
		return 0;
	}
	execute(e, o, r);
	hlsim__check_triggers(e, q->coin);
	return 0;
}

/* ------------------------------------------------------------------ lifecycle */

static void engine_release(struct hlsim_engine *e)
{
	for (uint32_t c = 0; c < HLSIM_MAX_COINS; c++) {
		hlsim_book_deinit(&e->mk[c].book);
		free(e->mk[c].candles);
	}
	/* orders are owned through the account lists */
	for (uint32_t i = 0; i < e->n_acct; i++) {
		struct hlsim_order *o = e->acct[i]->orders;
		while (o) {
			struct hlsim_order *n = o->acct_next;
			free(o);
			o = n;
		}
		hlsim_account_free(e->acct[i]);
	}
	free(e->acct);
	free(e->agents);
	hlsim_oidmap_deinit(&e->oids);
	hat_buf_free(&e->ev);
	hat_buf_free(&e->trades);
	if (e->replaying)
		hlsim_replay_close(&e->replay);
}

int hlsim_engine_new(struct hlsim_engine **out, const struct hlsim_options *o, uint64_t now_ms,
		     char *err, size_t errlen)
{
	*out = NULL;
	struct hlsim_engine *e = calloc(1, sizeof *e);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = 0;
	if (o->config_path)
		rc = hlsim_config_load(&e->cfg, o->config_path, err, errlen);
	else
		hlsim_config_defaults(&e->cfg);
	if (rc) {
		free(e);
		return rc;
	}
	for (size_t i = 0; i < o->n_accounts; i++) {
		if (hlsim_config_add_account(&e->cfg, o->accounts[i].address,
					     o->accounts[i].usdc) != 0) {
			snprintf(err, errlen, "too many accounts (max %d)", HLSIM_MAX_CFG_ACCOUNTS);
			free(e);
			return HAT_E_CONFIG;
		}
	}
	e->mainnet = o->mainnet_set ? o->mainnet : e->cfg.mainnet;
	e->now_ms = now_ms;
	e->next_oid = 1000;
	e->next_seq = 1;
	e->next_tid = 1;
	hat_buf_init(&e->ev);
	hat_buf_init(&e->trades);
	if (hlsim_oidmap_init(&e->oids) != 0)
		goto oom;
	for (uint32_t c = 0; c < e->cfg.n_coins; c++) {
		struct hlsim_market *m = &e->mk[c];
		hlsim_book_init(&m->book);
		m->ref_px = m->prev_day_px = e->cfg.coins[c].start_px;
		m->candles = calloc(HLSIM_CANDLES_KEEP, sizeof *m->candles);
		if (!m->candles)
			goto oom;
	}
	/* background agents first (indices 0 and 1), then the funded accounts */
	for (int w = 0; w < 2; w++) {
		uint8_t addr[20];
		hlsim_flow_address(w, addr);
		int i = hlsim__acct_get(e, addr);
		if (i < 0)
			goto oom;
		e->acct[i]->is_flow = true;
		e->acct[i]->usdc = 1000000000LL * HAT_FX_ONE;
	}
	for (size_t i = 0; i < e->cfg.n_accounts; i++) {
		int k = hlsim__acct_get(e, e->cfg.accounts[i].address);
		if (k < 0)
			goto oom;
		e->acct[k]->usdc = e->cfg.accounts[i].usdc;
	}
	hlsim_flow_init(&e->flow, &e->cfg, o->seed ? o->seed : e->cfg.seed, now_ms);
	e->flow.lp_acct = 0;
	e->flow.taker_acct = 1;
	e->allmids_last_ms = now_ms;
	e->day = now_ms / 86400000ULL;
	if (o->replay_path) {
		rc = hlsim_replay_open(&e->replay, o->replay_path, err, errlen);
		if (rc) {
			hlsim_engine_free(e);
			return rc;
		}
		e->replaying = true;
	}
	if (o->state_path) {
		FILE *f = fopen(o->state_path, "rb");
		if (f) {
			fclose(f);
			rc = hlsim__state_load(e, o->state_path, err, errlen);
			if (rc) {
				hlsim_engine_free(e);
				return rc;
			}
		}
	}
	*out = e;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	hlsim_engine_free(e);
	return -ENOMEM;
}

void hlsim_engine_free(struct hlsim_engine *e)
{
	if (!e)
		return;
	engine_release(e);
	free(e);
}

void hlsim_engine_set_sink(struct hlsim_engine *e, hlsim_event_cb cb, void *user)
{
	e->sink = cb;
	e->sink_user = user;
}

/* ------------------------------------------------------------------ tick */

static void fire_scheduled_cancels(struct hlsim_engine *e)
{
	for (uint32_t i = 0; i < e->n_acct; i++) {
		struct hlsim_account *a = e->acct[i];
		if (!a->sched_ms || e->now_ms < a->sched_ms)
			continue;
		a->sched_ms = 0;
		uint64_t day = e->now_ms / 86400000ULL;
		if (a->sched_day != day) {
			a->sched_day = day;
			a->sched_count = 0;
		}
		a->sched_count++;
		while (a->orders)
			hlsim__cancel(e, a->orders, "scheduledCancel");
	}
}

static void push_periodic(struct hlsim_engine *e)
{
	hlsim__flush_market(e);
	for (uint32_t c = 0; c < e->cfg.n_coins; c++) {
		struct hlsim_market *m = &e->mk[c];
		if (m->candle_dirty && e->sink) {
			static const char *const iv[] = { "1m", "3m", "5m", "15m", "30m", "1h", "2h",
							  "4h", "8h", "12h", "1d", "3d", "1w", "1M" };
			m->candle_dirty = false;
			for (size_t k = 0; k < sizeof iv / sizeof iv[0]; k++) {
				uint64_t step = hlsim__interval_ms(iv[k]);
				uint64_t t = e->now_ms / step * step;
				struct hlsim_candle cd;
				if (!hlsim__candle_at(e, c, step, t, &cd))
					continue;
				hat_buf_reset(&e->ev);
				hlsim__put_candle(&e->ev, e, c, iv[k], &cd, t + step - 1);
				hlsim__emit(e, HLSIM_EV_CANDLE, coin_name(e, c), NULL, iv[k], &e->ev);
			}
		} else {
			m->candle_dirty = false;
		}
	}
	if (e->now_ms >= e->allmids_last_ms + e->cfg.allmids_push_ms) {
		e->allmids_last_ms = e->now_ms;
		if (e->sink) {
			hat_buf_reset(&e->ev);
			hat_buf_puts(&e->ev, "{\"mids\":");
			hlsim__put_allmids(&e->ev, e);
			hat_buf_putc(&e->ev, '}');
			hlsim__emit(e, HLSIM_EV_ALLMIDS, NULL, NULL, NULL, &e->ev);
		}
	}
}

void hlsim_tick(struct hlsim_engine *e, uint64_t now_ms)
{
	if (e->replaying) /* applies the due records; in lockstep its clock is the engine's */
		now_ms = hlsim_replay_tick(e, &e->replay, now_ms);
	if (now_ms < e->now_ms)
		return;
	e->now_ms = now_ms;
	if (now_ms / 86400000ULL != e->day) {
		/* a new UTC day: day volumes restart, prevDayPx is the price at the rollover */
		e->day = now_ms / 86400000ULL;
		for (uint32_t c = 0; c < e->cfg.n_coins; c++) {
			e->mk[c].prev_day_px = hlsim__mid(e, c);
			e->mk[c].day_ntl_vlm = e->mk[c].day_base_vlm = 0;
		}
	}
	fire_scheduled_cancels(e);
	if (!e->replaying && e->cfg.flow.enabled)
		hlsim_flow_tick(e, now_ms);
	for (uint32_t c = 0; c < e->cfg.n_coins; c++)
		hlsim__check_triggers(e, c);
	push_periodic(e);
}
