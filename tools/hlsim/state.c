/* tools/hlsim/state.c -- engine state to and from a JSON file (so tests can restart hlsim).
 *
 * Saved: counters (oid, seq, tid), the flow RNG and fair prices, per market the last/reference
 * prices and day volumes, every account (balance, positions, leverage, volume, request count,
 * nonces, dead man's switch, recent fills), agents with their nonces, and every live order.
 * Not saved (documented): candles, finished-order history (orderStatus of an order finished
 * before the restart answers unknownOid). 64-bit integers are written as JSON strings so they
 * survive cJSON's doubles exactly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/hex.h"
#include "common/err.h"
#include "hl/hex.h"
#include "hl/wire.h"
#include "tools/hlsim/engine_int.h"

#define STATE_VERSION 1

static void put_i(struct hat_buf *b, const char *key, int64_t v)
{
	hat_buf_printf(b, "\"%s\":\"%lld\"", key, (long long)v);
}

static void put_u(struct hat_buf *b, const char *key, uint64_t v)
{
	hat_buf_printf(b, "\"%s\":\"%llu\"", key, (unsigned long long)v);
}

static void put_nonces(struct hat_buf *b, const struct hlsim_nonces *n)
{
	hat_buf_puts(b, "\"nonces\":[");
	for (uint32_t i = 0; i < n->n; i++)
		hat_buf_printf(b, "%s\"%llu\"", i ? "," : "", (unsigned long long)n->v[i]);
	hat_buf_putc(b, ']');
}

/* A JSON string "0x<hex>" of p[0..n), n <= 32 (hashes, addresses, cloids). */
static void put_hex(struct hat_buf *b, const uint8_t *p, size_t n)
{
	char text[2 * 32 + 3];
	hat_hex_encode(p, n, text);
	hat_buf_putc(b, '"');
	hat_buf_puts(b, text);
	hat_buf_putc(b, '"');
}

static int cmp_seq(const void *a, const void *b)
{
	const struct hlsim_order *x = *(const struct hlsim_order *const *)a;
	const struct hlsim_order *y = *(const struct hlsim_order *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void put_state(struct hat_buf *b, const struct hlsim_engine *e,
		      struct hlsim_order **orders, size_t n_orders)
{
	hat_buf_printf(b, "{\"version\":%d,", STATE_VERSION);
	put_u(b, "nextOid", e->next_oid);
	hat_buf_putc(b, ',');
	put_u(b, "nextSeq", e->next_seq);
	hat_buf_putc(b, ',');
	put_u(b, "nextTid", e->next_tid);
	hat_buf_putc(b, ',');
	put_u(b, "flowLastMs", e->flow.last_ms);
	hat_buf_puts(b, ",\"rng\":[");
	for (int i = 0; i < 4; i++)
		hat_buf_printf(b, "%s\"%llu\"", i ? "," : "", (unsigned long long)e->flow.s[i]);
	hat_buf_puts(b, "],\"markets\":[");
	for (uint32_t c = 0; c < e->cfg.n_coins; c++) {
		const struct hlsim_market *m = &e->mk[c];
		hat_buf_printf(b, "%s{\"coin\":\"%s\",\"fair\":\"%.17g\",\"hot\":%s,", c ? "," : "",
			       e->cfg.coins[c].name, e->flow.fair[c], e->flow.hot[c] ? "true" : "false");
		put_i(b, "lastPx", m->last_px);
		hat_buf_putc(b, ',');
		put_i(b, "refPx", m->ref_px);
		hat_buf_putc(b, ',');
		put_i(b, "prevDayPx", m->prev_day_px);
		hat_buf_putc(b, ',');
		put_i(b, "dayNtlVlm", m->day_ntl_vlm);
		hat_buf_putc(b, ',');
		put_i(b, "dayBaseVlm", m->day_base_vlm);
		hat_buf_putc(b, '}');
	}
	hat_buf_puts(b, "],\"accounts\":[");
	for (uint32_t i = 0; i < e->n_acct; i++) {
		const struct hlsim_account *a = e->acct[i];
		hat_buf_puts(b, i ? ",{\"address\":" : "{\"address\":");
		put_hex(b, a->address, 20);
		hat_buf_printf(b, ",\"isFlow\":%s,", a->is_flow ? "true" : "false");
		put_i(b, "usdc", a->usdc);
		hat_buf_putc(b, ',');
		put_i(b, "cumVlm", a->cum_vlm);
		hat_buf_putc(b, ',');
		put_u(b, "nRequests", a->n_requests);
		hat_buf_putc(b, ',');
		put_u(b, "rlNextMs", a->rl_next_ms);
		hat_buf_putc(b, ',');
		put_u(b, "schedMs", a->sched_ms);
		hat_buf_putc(b, ',');
		put_u(b, "schedDay", a->sched_day);
		hat_buf_printf(b, ",\"schedCount\":%u,", a->sched_count);
		put_nonces(b, &a->nonces);
		hat_buf_puts(b, ",\"positions\":[");
		for (uint32_t c = 0; c < e->cfg.n_coins; c++) {
			const struct hlsim_position *p = &a->pos[c];
			hat_buf_printf(b, "%s{\"leverage\":%d,", c ? "," : "", p->leverage);
			put_i(b, "szi", p->szi);
			hat_buf_putc(b, ',');
			put_i(b, "entryNtl", p->entry_ntl);
			hat_buf_putc(b, '}');
		}
		hat_buf_puts(b, "],\"fills\":[");
		/* oldest first, so a reload appends them in the same order */
		uint64_t nf = a->n_fills < HLSIM_FILLS_KEEP ? a->n_fills : HLSIM_FILLS_KEEP;
		for (uint64_t k = nf; k-- > 0;) {
			const struct hlsim_fill *f = hlsim_account_fill(a, k);
			hat_buf_puts(b, k + 1 == nf ? "{" : ",{");
			put_u(b, "time", f->time);
			hat_buf_putc(b, ',');
			put_u(b, "oid", f->oid);
			hat_buf_putc(b, ',');
			put_u(b, "tid", f->tid);
			hat_buf_putc(b, ',');
			put_i(b, "px", f->px);
			hat_buf_putc(b, ',');
			put_i(b, "sz", f->sz);
			hat_buf_putc(b, ',');
			put_i(b, "startPos", f->start_pos);
			hat_buf_putc(b, ',');
			put_i(b, "closedPnl", f->closed_pnl);
			hat_buf_putc(b, ',');
			put_i(b, "fee", f->fee);
			hat_buf_printf(b, ",\"coin\":%u,\"dir\":%u,\"isBuy\":%s,\"crossed\":%s,\"hash\":",
				       f->coin, f->dir, f->is_buy ? "true" : "false",
				       f->crossed ? "true" : "false");
			put_hex(b, f->hash, 32);
			if (f->has_cloid) {
				hat_buf_puts(b, ",\"cloid\":");
				put_hex(b, f->cloid, 16);
			}
			hat_buf_putc(b, '}');
		}
		hat_buf_puts(b, "]}");
	}
	hat_buf_puts(b, "],\"agents\":[");
	for (uint32_t i = 0; i < e->n_agents; i++) {
		const struct hlsim_agent *g = &e->agents[i];
		hat_buf_puts(b, i ? ",{\"address\":" : "{\"address\":");
		put_hex(b, g->address, 20);
		hat_buf_printf(b, ",\"owner\":%u,\"name\":", g->owner);
		hat_buf_json_str(b, g->name);
		hat_buf_putc(b, ',');
		put_u(b, "validUntil", g->valid_until);
		hat_buf_putc(b, ',');
		put_nonces(b, &g->nonces);
		hat_buf_putc(b, '}');
	}
	hat_buf_puts(b, "],\"orders\":[");
	for (size_t i = 0; i < n_orders; i++) {
		const struct hlsim_order *o = orders[i];
		hat_buf_puts(b, i ? ",{" : "{");
		put_u(b, "oid", o->oid);
		hat_buf_putc(b, ',');
		put_u(b, "seq", o->seq);
		hat_buf_printf(b, ",\"coin\":%u,\"acct\":%u,\"isBuy\":%s,\"reduceOnly\":%s,\"tif\":%d,",
			       o->coin, o->acct, o->is_buy ? "true" : "false",
			       o->reduce_only ? "true" : "false", (int)o->tif);
		put_i(b, "px", o->px);
		hat_buf_putc(b, ',');
		put_i(b, "sz", o->sz);
		hat_buf_putc(b, ',');
		put_i(b, "origSz", o->orig_sz);
		hat_buf_putc(b, ',');
		put_u(b, "timestamp", o->timestamp);
		if (o->has_cloid) {
			hat_buf_puts(b, ",\"cloid\":");
			put_hex(b, o->cloid, 16);
		}
		if (o->is_trigger) {
			hat_buf_printf(b, ",\"trigger\":{\"market\":%s,\"tp\":%s,\"triggered\":%s,",
				       o->trig_market ? "true" : "false", o->trig_tp ? "true" : "false",
				       o->triggered ? "true" : "false");
			put_i(b, "px", o->trigger_px);
			hat_buf_putc(b, '}');
		}
		hat_buf_putc(b, '}');
	}
	hat_buf_puts(b, "]}\n");
}

int hlsim_engine_save(struct hlsim_engine *e, const char *path, char *err, size_t errlen)
{
	size_t n = 0;
	for (uint32_t i = 0; i < e->n_acct; i++)
		n += e->acct[i]->n_orders;
	struct hlsim_order **v = calloc(n ? n : 1, sizeof *v);
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	size_t k = 0;
	for (uint32_t i = 0; i < e->n_acct; i++)
		for (struct hlsim_order *o = e->acct[i]->orders; o && k < n; o = o->acct_next)
			v[k++] = o;
	qsort(v, k, sizeof *v, cmp_seq);
	struct hat_buf b = HAT_BUF_INIT;
	put_state(&b, e, v, k);
	free(v);
	if (!hat_buf_ok(&b)) {
		hat_buf_free(&b);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		int rc = -errno;
		snprintf(err, errlen, "fopen(\"%s\") failed: %s", tmp, strerror(-rc));
		hat_buf_free(&b);
		return rc;
	}
	size_t w = fwrite(b.data, 1, b.len, f);
	int rc = (w == b.len && fflush(f) == 0) ? 0 : -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	hat_buf_free(&b);
	if (rc) {
		snprintf(err, errlen, "write(\"%s\") failed", tmp);
		remove(tmp);
		return rc;
	}
	if (rename(tmp, path) != 0) {
		rc = -errno;
		snprintf(err, errlen, "rename(\"%s\", \"%s\") failed: %s", tmp, path, strerror(-rc));
		remove(tmp);
		return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ load */

struct lctx {
	const char *path;
	char *err;
	size_t errlen;
	int rc;
};

static bool bad(struct lctx *x, const char *where)
{
	if (x->rc == 0) {
		snprintf(x->err, x->errlen, "%s: %s: missing or invalid", x->path, where);
		x->rc = HAT_E_PARSE;
	}
	return false;
}

static bool g_i64(struct lctx *x, const cJSON *o, const char *key, int64_t *out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
	char *end;
	if (!cJSON_IsString(j) || !j->valuestring[0])
		return bad(x, key);
	errno = 0;
	long long v = strtoll(j->valuestring, &end, 10);
	if (*end || errno)
		return bad(x, key);
	*out = v;
	return true;
}

static bool g_u64(struct lctx *x, const cJSON *o, const char *key, uint64_t *out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
	char *end;
	if (!cJSON_IsString(j) || !j->valuestring[0] || j->valuestring[0] == '-')
		return bad(x, key);
	errno = 0;
	unsigned long long v = strtoull(j->valuestring, &end, 10);
	if (*end || errno)
		return bad(x, key);
	*out = v;
	return true;
}

static bool g_uint(struct lctx *x, const cJSON *o, const char *key, uint32_t max, uint32_t *out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(j) || j->valuedouble < 0 || j->valuedouble > max)
		return bad(x, key);
	*out = (uint32_t)j->valuedouble;
	return true;
}

static bool g_bool(struct lctx *x, const cJSON *o, const char *key, bool *out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsBool(j))
		return bad(x, key);
	*out = cJSON_IsTrue(j);
	return true;
}

static bool g_hex(struct lctx *x, const cJSON *o, const char *key, uint8_t *out, size_t n)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsString(j) ||
	    hl_hex_decode_exact(j->valuestring, strlen(j->valuestring), out, n, key, NULL, 0) != 0)
		return bad(x, key);
	return true;
}

static bool g_nonces(struct lctx *x, const cJSON *o, struct hlsim_nonces *ns)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "nonces"), *j;
	memset(ns, 0, sizeof *ns);
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > HLSIM_NONCE_KEEP)
		return bad(x, "nonces");
	cJSON_ArrayForEach(j, arr) {
		if (!cJSON_IsString(j))
			return bad(x, "nonces");
		hlsim_nonce_use(ns, strtoull(j->valuestring, NULL, 10));
	}
	return true;
}

static bool load_account(struct lctx *x, struct hlsim_engine *e, const cJSON *o)
{
	uint8_t addr[20];
	if (!g_hex(x, o, "address", addr, 20))
		return false;
	int i = hlsim__acct_get(e, addr);
	if (i < 0) {
		x->rc = -ENOMEM;
		return false;
	}
	if ((uint32_t)i != e->n_acct - 1)
		return bad(x, "accounts: duplicate or out-of-order address");
	struct hlsim_account *a = e->acct[i];
	if (!g_bool(x, o, "isFlow", &a->is_flow) || !g_i64(x, o, "usdc", &a->usdc) ||
	    !g_i64(x, o, "cumVlm", &a->cum_vlm) || !g_u64(x, o, "nRequests", &a->n_requests) ||
	    !g_u64(x, o, "rlNextMs", &a->rl_next_ms) || !g_u64(x, o, "schedMs", &a->sched_ms) ||
	    !g_u64(x, o, "schedDay", &a->sched_day) ||
	    !g_uint(x, o, "schedCount", 1000, &a->sched_count) || !g_nonces(x, o, &a->nonces))
		return false;
	const cJSON *ps = cJSON_GetObjectItemCaseSensitive(o, "positions"), *p;
	if (!cJSON_IsArray(ps) || (size_t)cJSON_GetArraySize(ps) != e->cfg.n_coins)
		return bad(x, "positions: one entry per configured coin");
	uint32_t c = 0;
	cJSON_ArrayForEach(p, ps) {
		uint32_t lev;
		if (!g_i64(x, p, "szi", &a->pos[c].szi) || !g_i64(x, p, "entryNtl", &a->pos[c].entry_ntl) ||
		    !g_uint(x, p, "leverage", (uint32_t)e->cfg.coins[c].max_leverage, &lev) || lev < 1)
			return bad(x, "positions");
		a->pos[c].leverage = (int)lev;
		c++;
	}
	const cJSON *fs = cJSON_GetObjectItemCaseSensitive(o, "fills"), *f;
	if (!cJSON_IsArray(fs))
		return bad(x, "fills");
	cJSON_ArrayForEach(f, fs) {
		struct hlsim_fill fl;
		uint32_t coin, dir;
		memset(&fl, 0, sizeof fl);
		if (!g_u64(x, f, "time", &fl.time) || !g_u64(x, f, "oid", &fl.oid) ||
		    !g_u64(x, f, "tid", &fl.tid) || !g_i64(x, f, "px", &fl.px) ||
		    !g_i64(x, f, "sz", &fl.sz) || !g_i64(x, f, "startPos", &fl.start_pos) ||
		    !g_i64(x, f, "closedPnl", &fl.closed_pnl) || !g_i64(x, f, "fee", &fl.fee) ||
		    !g_uint(x, f, "coin", (uint32_t)e->cfg.n_coins - 1, &coin) ||
		    !g_uint(x, f, "dir", 5, &dir) || !g_bool(x, f, "isBuy", &fl.is_buy) ||
		    !g_bool(x, f, "crossed", &fl.crossed) || !g_hex(x, f, "hash", fl.hash, 32))
			return false;
		fl.coin = coin;
		fl.dir = (uint8_t)dir;
		if (cJSON_GetObjectItemCaseSensitive(f, "cloid")) {
			if (!g_hex(x, f, "cloid", fl.cloid, 16))
				return false;
			fl.has_cloid = true;
		}
		if (hlsim_account_add_fill(a, &fl) != 0) {
			x->rc = -ENOMEM;
			return false;
		}
	}
	return true;
}

static bool load_order(struct lctx *x, struct hlsim_engine *e, const cJSON *j)
{
	struct hlsim_order *o = calloc(1, sizeof *o);
	uint32_t tif;
	if (!o) {
		x->rc = -ENOMEM;
		return false;
	}
	if (!g_u64(x, j, "oid", &o->oid) || !g_u64(x, j, "seq", &o->seq) ||
	    !g_uint(x, j, "coin", (uint32_t)e->cfg.n_coins - 1, &o->coin) ||
	    !g_uint(x, j, "acct", e->n_acct - 1, &o->acct) || !g_bool(x, j, "isBuy", &o->is_buy) ||
	    !g_bool(x, j, "reduceOnly", &o->reduce_only) || !g_uint(x, j, "tif", 2, &tif) ||
	    !g_i64(x, j, "px", &o->px) || !g_i64(x, j, "sz", &o->sz) ||
	    !g_i64(x, j, "origSz", &o->orig_sz) || !g_u64(x, j, "timestamp", &o->timestamp) ||
	    o->px <= 0 || o->sz <= 0 || o->oid == 0 || hlsim_oidmap_get(&e->oids, o->oid)) {
		free(o);
		return bad(x, "orders");
	}
	o->tif = (enum hlsim_tif)tif;
	if (cJSON_GetObjectItemCaseSensitive(j, "cloid")) {
		if (!g_hex(x, j, "cloid", o->cloid, 16)) {
			free(o);
			return false;
		}
		o->has_cloid = true;
	}
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "trigger");
	if (t) {
		o->is_trigger = true;
		if (!g_bool(x, t, "market", &o->trig_market) || !g_bool(x, t, "tp", &o->trig_tp) ||
		    !g_bool(x, t, "triggered", &o->triggered) || !g_i64(x, t, "px", &o->trigger_px)) {
			free(o);
			return false;
		}
	}
	struct hlsim_book *b = &e->mk[o->coin].book;
	int rc = (o->is_trigger && !o->triggered) ? hlsim_book_add_trigger(b, o)
						   : hlsim_book_insert(b, o);
	if (rc || hlsim_oidmap_put(&e->oids, o) != 0) {
		if (!rc)
			hlsim_book_remove(b, o);
		free(o);
		x->rc = -ENOMEM;
		return false;
	}
	hlsim_account_link(e->acct[o->acct], o);
	return true;
}

static bool load_root(struct lctx *x, struct hlsim_engine *e, const cJSON *r)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "version"), *j;
	if (!cJSON_IsNumber(v) || v->valueint != STATE_VERSION)
		return bad(x, "version");
	if (!g_u64(x, r, "nextOid", &e->next_oid) || !g_u64(x, r, "nextSeq", &e->next_seq) ||
	    !g_u64(x, r, "nextTid", &e->next_tid) || !g_u64(x, r, "flowLastMs", &e->flow.last_ms))
		return false;
	const cJSON *rng = cJSON_GetObjectItemCaseSensitive(r, "rng");
	if (!cJSON_IsArray(rng) || cJSON_GetArraySize(rng) != 4)
		return bad(x, "rng");
	int k = 0;
	cJSON_ArrayForEach(j, rng) {
		if (!cJSON_IsString(j))
			return bad(x, "rng");
		e->flow.s[k++] = strtoull(j->valuestring, NULL, 10);
	}
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(r, "markets");
	if (!cJSON_IsArray(ms) || (size_t)cJSON_GetArraySize(ms) != e->cfg.n_coins)
		return bad(x, "markets: one entry per configured coin");
	uint32_t c = 0;
	cJSON_ArrayForEach(j, ms) {
		struct hlsim_market *m = &e->mk[c];
		const cJSON *coin = cJSON_GetObjectItemCaseSensitive(j, "coin");
		const cJSON *fair = cJSON_GetObjectItemCaseSensitive(j, "fair");
		if (!cJSON_IsString(coin) || strcmp(coin->valuestring, e->cfg.coins[c].name) != 0)
			return bad(x, "markets[].coin: differs from the configuration");
		if (!cJSON_IsString(fair))
			return bad(x, "markets[].fair");
		e->flow.fair[c] = strtod(fair->valuestring, NULL);
		if (!g_bool(x, j, "hot", &e->flow.hot[c]) || !g_i64(x, j, "lastPx", &m->last_px) ||
		    !g_i64(x, j, "refPx", &m->ref_px) || !g_i64(x, j, "prevDayPx", &m->prev_day_px) ||
		    !g_i64(x, j, "dayNtlVlm", &m->day_ntl_vlm) ||
		    !g_i64(x, j, "dayBaseVlm", &m->day_base_vlm))
			return false;
		c++;
	}
	/* accounts replace the ones built from the configuration */
	for (uint32_t i = 0; i < e->n_acct; i++)
		hlsim_account_free(e->acct[i]);
	e->n_acct = 0;
	const cJSON *as = cJSON_GetObjectItemCaseSensitive(r, "accounts");
	if (!cJSON_IsArray(as))
		return bad(x, "accounts");
	cJSON_ArrayForEach(j, as)
		if (!load_account(x, e, j))
			return false;
	if (e->n_acct < 2 || !e->acct[0]->is_flow || !e->acct[1]->is_flow)
		return bad(x, "accounts: the two flow agents must come first");
	/* funded accounts of this run's configuration that the state does not know yet */
	for (size_t i = 0; i < e->cfg.n_accounts; i++) {
		if (hlsim__acct_find(e, e->cfg.accounts[i].address) >= 0)
			continue;
		int a = hlsim__acct_get(e, e->cfg.accounts[i].address);
		if (a < 0) {
			x->rc = -ENOMEM;
			return false;
		}
		e->acct[a]->usdc = e->cfg.accounts[i].usdc;
	}
	const cJSON *gs = cJSON_GetObjectItemCaseSensitive(r, "agents");
	if (!cJSON_IsArray(gs))
		return bad(x, "agents");
	cJSON_ArrayForEach(j, gs) {
		struct hlsim_agent g;
		memset(&g, 0, sizeof g);
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
		if (!g_hex(x, j, "address", g.address, 20) ||
		    !g_uint(x, j, "owner", e->n_acct - 1, &g.owner) ||
		    !g_u64(x, j, "validUntil", &g.valid_until) || !g_nonces(x, j, &g.nonces))
			return false;
		if (!cJSON_IsString(name) || strlen(name->valuestring) >= sizeof g.name)
			return bad(x, "agents[].name");
		snprintf(g.name, sizeof g.name, "%s", name->valuestring);
		if (e->n_agents == e->cap_agents) {
			uint32_t nc = e->cap_agents ? e->cap_agents * 2 : 8;
			struct hlsim_agent *p = realloc(e->agents, nc * sizeof *p);
			if (!p) {
				x->rc = -ENOMEM;
				return false;
			}
			e->agents = p;
			e->cap_agents = nc;
		}
		e->agents[e->n_agents++] = g;
	}
	const cJSON *os = cJSON_GetObjectItemCaseSensitive(r, "orders");
	if (!cJSON_IsArray(os))
		return bad(x, "orders");
	cJSON_ArrayForEach(j, os)
		if (!load_order(x, e, j))
			return false;
	for (c = 0; c < e->cfg.n_coins; c++)
		if (!hlsim_book_check(&e->mk[c].book))
			return bad(x, "orders: the restored book is crossed");
	return true;
}

int hlsim__state_load(struct hlsim_engine *e, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		int rc = -errno;
		snprintf(err, errlen, "fopen(\"%s\") failed: %s", path, strerror(-rc));
		return rc;
	}
	struct hat_buf b = HAT_BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		hat_buf_append(&b, chunk, n);
	fclose(f);
	if (!hat_buf_ok(&b)) {
		hat_buf_free(&b);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	cJSON *root = cJSON_ParseWithLength(b.data ? b.data : "", b.len);
	hat_buf_free(&b);
	if (!root) {
		snprintf(err, errlen, "%s: not valid JSON", path);
		return HAT_E_PARSE;
	}
	struct lctx x = { path, err, errlen, 0 };
	if (!load_root(&x, e, root) && x.rc == 0) {
		snprintf(err, errlen, "%s: invalid state", path);
		x.rc = HAT_E_PARSE;
	}
	cJSON_Delete(root);
	return x.rc;
}
