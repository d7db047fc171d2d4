/* tools/report/export.c -- see export.h. */
#include "tools/report/export.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/fixed.h"
#include "common/journal_zst.h"
#include "common/feed_journal.h"
#include "hl/meta.h"
#include "hl/parse_exchange.h"
#include "hl/parse_ws.h"
#include "hl/records.h"
#include "tools/report/csv.h"
#include "tools/report/metrics.h"

#define MAX_MIDS 1024
#define MAX_STATUSES 256
#define MAX_EVENT_FILLS 2048

/* ---------------------------------------------------------------- helpers */

static FILE *open_out(const char *dir, const char *name, const char *header, char *err,
		      size_t errlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	if (!f) {
		snprintf(err, errlen, "fopen(%s) failed: %s", path, strerror(errno));
		return NULL;
	}
	fputs(header, f);
	fputc('\n', f);
	return f;
}

static int close_out(FILE *f, const char *dir, const char *name, int rc, char *err,
		     size_t errlen)
{
	if (!f)
		return rc;
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0)
		bad = true;
	if (bad && rc >= 0) {
		snprintf(err, errlen, "writing %s/%s failed", dir, name);
		return -EIO;
	}
	return rc;
}

static void put_fx(FILE *f, int64_t v)
{
	char b[HAT_FX_STRLEN];
	hat_fx_format(v, b, sizeof b);
	fputs(b, f);
}

static const char *side_code(uint8_t side)
{
	return side == HAT_SIDE_BUY ? "B" : "A";
}

/* ---------------------------------------------------------------- journal export */

struct jx {
	FILE *books, *trades, *mids;
	struct hl_ws_bufs bufs;
	struct hl_ws_msg msg;
	struct rpt_journal_stats *st;
};

static void mid_row(struct jx *x, uint64_t t_ms, const char *coin, int64_t bid, int64_t ask,
		    uint64_t recv_ns, const char *source)
{
	/* (bid + ask) / 2 exactly: both are 1e-8 fixed point; halve without overflow. */
	int64_t mid = bid / 2 + ask / 2 + ((bid % 2) + (ask % 2)) / 2;
	fprintf(x->mids, "%llu,%s,", (unsigned long long)t_ms, coin);
	put_fx(x->mids, mid);
	fprintf(x->mids, ",%llu,%s\n", (unsigned long long)recv_ns, source);
	x->st->mids++;
}

static void frame(struct jx *x, const uint8_t *data, size_t len, uint64_t recv_ns)
{
	char perr[256];
	x->st->frames++;
	if (hl_ws_parse((const char *)data, len, recv_ns, NULL, &x->bufs, &x->msg, perr,
			sizeof perr) < 0) {
		x->st->parse_errors++;
		return;
	}
	switch (x->msg.kind) {
	case HL_WS_BOOK: {
		const struct hat_msg_book *b = &x->msg.u.book;
		unsigned n = b->n_bids > b->n_asks ? b->n_bids : b->n_asks;
		for (unsigned i = 0; i < n; i++) {
			fprintf(x->books, "%s,%llu,%llu,%u,", b->coin,
				(unsigned long long)b->exch_time_ms, (unsigned long long)recv_ns, i);
			if (i < b->n_bids) {
				put_fx(x->books, b->bids[i].px);
				fputc(',', x->books);
				put_fx(x->books, b->bids[i].sz);
			} else {
				fputc(',', x->books);
			}
			fputc(',', x->books);
			if (i < b->n_asks) {
				put_fx(x->books, b->asks[i].px);
				fputc(',', x->books);
				put_fx(x->books, b->asks[i].sz);
			} else {
				fputc(',', x->books);
			}
			fputc('\n', x->books);
			x->st->book_rows++;
		}
		x->st->books++;
		if (b->n_bids && b->n_asks)
			mid_row(x, b->exch_time_ms, b->coin, b->bids[0].px, b->asks[0].px, recv_ns,
				"book");
		break;
	}
	case HL_WS_BBO: {
		const struct hat_msg_bbo *b = &x->msg.u.bbo;
		if (b->has_bid && b->has_ask)
			mid_row(x, b->exch_time_ms, b->coin, b->bid.px, b->ask.px, recv_ns, "bbo");
		break;
	}
	case HL_WS_TRADES:
		for (size_t i = 0; i < x->msg.list.n; i++) {
			const struct hat_msg_trade *t = &x->bufs.trades[i];
			fprintf(x->trades, "%s,%llu,%s,", t->coin, (unsigned long long)t->exch_time_ms,
				side_code(t->side));
			put_fx(x->trades, t->px);
			fputc(',', x->trades);
			put_fx(x->trades, t->sz);
			fprintf(x->trades, ",%llu,%llu\n", (unsigned long long)t->tid,
				(unsigned long long)recv_ns);
			x->st->trades++;
		}
		break;
	case HL_WS_ALL_MIDS:
		for (size_t i = 0; i < x->msg.list.n; i++) {
			fprintf(x->mids, "%llu,%s,", (unsigned long long)(recv_ns / 1000000u),
				x->bufs.mids[i].coin);
			put_fx(x->mids, x->bufs.mids[i].px);
			fprintf(x->mids, ",%llu,allMids\n", (unsigned long long)recv_ns);
			x->st->mids++;
		}
		break;
	default:
		x->st->other++;
		break;
	}
	hl_ws_msg_clear(&x->msg);
}

int rpt_export_journal(const char *journal, const char *out_dir, rpt_progress_fn progress,
		       void *user, struct rpt_journal_stats *st, char *err, size_t errlen)
{
	memset(st, 0, sizeof *st);
	struct hat_jz_reader r;
	int rc = hat_jz_open(&r, journal, err, errlen);
	if (rc < 0)
		return rc;
	struct jx x = { .st = st };
	x.bufs.trades = calloc(FEED_TRADES_PER_FRAME, sizeof *x.bufs.trades);
	x.bufs.trades_cap = FEED_TRADES_PER_FRAME;
	x.bufs.mids = calloc(MAX_MIDS, sizeof *x.bufs.mids);
	x.bufs.mids_cap = MAX_MIDS;
	if (!x.bufs.trades || !x.bufs.mids) {
		rc = -ENOMEM;
		snprintf(err, errlen, "export: out of memory");
		goto out;
	}
	x.books = open_out(out_dir, "books.csv",
			   "coin,exch_time,recv_time,level,bid_px,bid_sz,ask_px,ask_sz", err, errlen);
	x.trades = x.books ? open_out(out_dir, "trades.csv", "coin,time,side,px,sz,tid,recv_time",
				      err, errlen) : NULL;
	x.mids = x.trades ? open_out(out_dir, "mids.csv", "time_ms,coin,mid,recv_time,source",
				     err, errlen) : NULL;
	if (!x.mids) {
		rc = -errno ? -errno : -EIO;
		goto out;
	}
	struct hat_journal_rec rec;
	uint64_t next_progress = 0;
	while ((rc = hat_jz_next(&r, &rec, err, errlen)) == 0) {
		if (st->records++ == 0)
			st->first_ts_ns = rec.ts_ns;
		st->last_ts_ns = rec.ts_ns;
		if (rec.type == FEED_REC_FRAME)
			frame(&x, rec.data, rec.len, rec.ts_ns);
		if (progress && st->records >= next_progress) {
			progress(user, hat_jz_progress(&r), r.file_bytes);
			next_progress = st->records + 4096;
		}
	}
	if (rc == -ENODATA) {
		rc = 0;
		if (progress)
			progress(user, r.file_bytes, r.file_bytes);
	} else {
		st->bad_offset = r.offset;
	}
out:
	rc = close_out(x.books, out_dir, "books.csv", rc, err, errlen);
	rc = close_out(x.trades, out_dir, "trades.csv", rc, err, errlen);
	rc = close_out(x.mids, out_dir, "mids.csv", rc, err, errlen);
	free(x.bufs.trades);
	free(x.bufs.mids);
	hat_jz_close(&r);
	return rc;
}

/* ---------------------------------------------------------------- audit export */

enum item_action { IA_PLACE = 1, IA_CANCEL = 2, IA_MODIFY = 3 };

struct item {
	enum item_action action;
	uint32_t asset;
	int side;                 /* +1 / -1 (0 for cancels) */
	char px[32], sz[32];
	char cloid[40];
	uint64_t oid;
};

struct pend {
	uint64_t nonce;
	int64_t t_ms;
	size_t n;
	struct item *items;
};

struct ax {
	const char *path;
	uint64_t lineno;
	FILE *orders, *rejects;
	struct pend *pend;
	size_t n_pend, cap_pend;
	struct hl_fill *fills;    /* all fills (for dedup and ordering) */
	size_t n_fills, cap_fills;
	struct hl_fill *scratch;
	struct hl_exch_status *statuses;
	struct hl_meta meta;
	bool meta_ok;
	int64_t first_ms, last_ms;
	struct rpt_audit_stats *st;
};

static int line_err(struct ax *a, char *err, size_t errlen, const char *what, const char *detail)
{
	snprintf(err, errlen, "%s:%llu: %s%s%s", a->path, (unsigned long long)a->lineno, what,
		 detail ? ": " : "", detail ? detail : "");
	return HAT_E_PARSE;
}

static void coin_of(const struct ax *a, uint32_t asset, char *buf, size_t len)
{
	const struct hl_coin *c = a->meta_ok ? hl_meta_by_asset(&a->meta, asset) : NULL;
	if (c)
		snprintf(buf, len, "%s", c->name);
	else
		snprintf(buf, len, "asset:%u", asset);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

static bool jnum(const cJSON *o, const char *k, uint64_t *out)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(x) || x->valuedouble < 0)
		return false;
	*out = (uint64_t)x->valuedouble;
	return true;
}

/* An order wire object {a, b, p, s, r, t, c} into it. */
static int parse_order(struct ax *a, const cJSON *o, struct item *it, char *err, size_t errlen)
{
	uint64_t asset;
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "b");
	const char *p = jstr(o, "p"), *s = jstr(o, "s"), *c = jstr(o, "c");
	if (!cJSON_IsObject(o) || !jnum(o, "a", &asset) || !cJSON_IsBool(b) || !p || !s)
		return line_err(a, err, errlen, "request order: expected {a, b, p, s, ...}", NULL);
	it->asset = (uint32_t)asset;
	it->side = cJSON_IsTrue(b) ? 1 : -1;
	snprintf(it->px, sizeof it->px, "%s", p);
	snprintf(it->sz, sizeof it->sz, "%s", s);
	snprintf(it->cloid, sizeof it->cloid, "%s", c ? c : "");
	return 0;
}

static int add_request(struct ax *a, int64_t t_ms, uint64_t nonce, const cJSON *body, char *err,
		       size_t errlen)
{
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(body, "action");
	const char *type = jstr(act, "type");
	if (!type)
		return line_err(a, err, errlen, "request body: expected action.type", NULL);
	const cJSON *arr = NULL;
	enum item_action ia;
	if (!strcmp(type, "order"))
		arr = cJSON_GetObjectItemCaseSensitive(act, "orders"), ia = IA_PLACE;
	else if (!strcmp(type, "cancel") || !strcmp(type, "cancelByCloid"))
		arr = cJSON_GetObjectItemCaseSensitive(act, "cancels"), ia = IA_CANCEL;
	else if (!strcmp(type, "batchModify"))
		arr = cJSON_GetObjectItemCaseSensitive(act, "modifies"), ia = IA_MODIFY;
	else if (!strcmp(type, "modify"))
		arr = act, ia = IA_MODIFY;
	else
		return 0;   /* scheduleCancel, noop, updateLeverage, ...: not orders */
	size_t n = arr == act ? 1 : (size_t)cJSON_GetArraySize(arr);
	if (arr != act && !cJSON_IsArray(arr))
		return line_err(a, err, errlen, "request body: expected an array in action", type);
	if (a->n_pend == a->cap_pend) {
		size_t nc = a->cap_pend ? a->cap_pend * 2 : 64;
		struct pend *p = realloc(a->pend, nc * sizeof *p);
		if (!p)
			return -ENOMEM;
		a->pend = p;
		a->cap_pend = nc;
	}
	struct pend *p = &a->pend[a->n_pend];
	p->items = calloc(n ? n : 1, sizeof *p->items);
	if (!p->items)
		return -ENOMEM;
	p->nonce = nonce, p->t_ms = t_ms, p->n = n;
	a->n_pend++;
	for (size_t i = 0; i < n; i++) {
		const cJSON *e = arr == act ? act : cJSON_GetArrayItem(arr, (int)i);
		struct item *it = &p->items[i];
		it->action = ia;
		int rc = 0;
		uint64_t v;
		if (ia == IA_PLACE) {
			rc = parse_order(a, e, it, err, errlen);
			a->st->orders++;
		} else if (ia == IA_MODIFY) {
			if (!jnum(e, "oid", &it->oid))
				return line_err(a, err, errlen, "request modify: expected oid", NULL);
			rc = parse_order(a, cJSON_GetObjectItemCaseSensitive(e, "order"), it, err,
					 errlen);
			a->st->orders++;
		} else {
			a->st->cancels++;
			if (jnum(e, "a", &v) || jnum(e, "asset", &v))
				it->asset = (uint32_t)v;
			jnum(e, "o", &it->oid);
			const char *c = jstr(e, "cloid");
			snprintf(it->cloid, sizeof it->cloid, "%s", c ? c : "");
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const char *action_name(enum item_action ia)
{
	return ia == IA_PLACE ? "place" : ia == IA_CANCEL ? "cancel" : "modify";
}

static void order_row(struct ax *a, const struct pend *p, const struct item *it,
		      const char *status, uint64_t oid, const char *reason, int64_t resp_ms)
{
	char coin[32];
	coin_of(a, it->asset, coin, sizeof coin);
	fprintf(a->orders, "%lld,%s,", (long long)p->t_ms, action_name(it->action));
	rpt_csv_put(a->orders, coin);
	fprintf(a->orders, ",%s,%s,%s,%s,%llu,%s,", it->side > 0 ? "B" : it->side < 0 ? "A" : "",
		it->px, it->sz, it->cloid, (unsigned long long)oid, status);
	rpt_csv_put(a->orders, reason);
	fprintf(a->orders, ",%llu\n", (unsigned long long)p->nonce);
	if (reason[0]) {
		fprintf(a->rejects, "%lld,", (long long)resp_ms);
		rpt_csv_put(a->rejects, coin);
		fprintf(a->rejects, ",%s,", it->cloid);
		rpt_csv_put(a->rejects, reason);
		fputc('\n', a->rejects);
		a->st->rejects++;
	}
}

static int add_response(struct ax *a, int64_t t_ms, uint64_t nonce, const cJSON *body, char *err,
			size_t errlen)
{
	size_t k;
	for (k = 0; k < a->n_pend; k++)
		if (a->pend[k].nonce == nonce)
			break;
	if (k == a->n_pend)
		return 0;    /* a response to a non-order action */
	struct pend p = a->pend[k];
	memmove(&a->pend[k], &a->pend[k + 1], (a->n_pend - k - 1) * sizeof *a->pend);
	a->n_pend--;
	struct hl_exch_resp resp;
	char perr[256];
	int rc = hl_exchange_parse_json(body, &resp, a->statuses, MAX_STATUSES, perr, sizeof perr);
	if (rc < 0) {
		free(p.items);
		return line_err(a, err, errlen, "response body", perr);
	}
	for (size_t i = 0; i < p.n; i++) {
		const struct item *it = &p.items[i];
		if (resp.type == HL_EXRESP_ERR) {
			order_row(a, &p, it, "error", it->oid, resp.text[0] ? resp.text : "error",
				  t_ms);
			continue;
		}
		if (i >= resp.n_statuses) {
			order_row(a, &p, it, resp.type == HL_EXRESP_DEFAULT ? "success" : "unknown",
				  it->oid, "", t_ms);
			continue;
		}
		const struct hl_exch_status *s = &a->statuses[i];
		switch (s->kind) {
		case HL_EXST_RESTING: order_row(a, &p, it, "resting", s->oid, "", t_ms); break;
		case HL_EXST_FILLED: order_row(a, &p, it, "filled", s->oid, "", t_ms); break;
		case HL_EXST_SUCCESS: order_row(a, &p, it, "success", it->oid, "", t_ms); break;
		case HL_EXST_ERROR:
			order_row(a, &p, it, "error", it->oid, s->text[0] ? s->text : "error", t_ms);
			break;
		default: order_row(a, &p, it, "other", it->oid, "", t_ms); break;
		}
	}
	free(p.items);
	return 0;
}

static int add_event(struct ax *a, const cJSON *body, char *err, size_t errlen)
{
	if (!cJSON_IsObject(body))
		return 0;
	if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(body, "universe"))) {
		char perr[256];
		if (hl_meta_parse(&a->meta, body, 0, perr, sizeof perr) == 0)
			a->meta_ok = true;
		return 0;
	}
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(body, "data");
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(body, "fills");
	if (!arr && cJSON_IsObject(data))
		arr = cJSON_GetObjectItemCaseSensitive(data, "fills");
	if (!cJSON_IsArray(arr))
		return 0;
	struct hl_jpath root = HL_JPATH_ROOT("fills");
	size_t n = 0, total = 0;
	char perr[256];
	if (hl_fills_parse(arr, &root, a->scratch, MAX_EVENT_FILLS, &n, &total, perr,
			   sizeof perr) < 0)
		return line_err(a, err, errlen, "event fills", perr);
	if (a->n_fills + n > a->cap_fills) {
		size_t nc = a->cap_fills ? a->cap_fills : 1024;
		while (nc < a->n_fills + n)
			nc *= 2;
		struct hl_fill *f = realloc(a->fills, nc * sizeof *f);
		if (!f)
			return -ENOMEM;
		a->fills = f;
		a->cap_fills = nc;
	}
	memcpy(a->fills + a->n_fills, a->scratch, n * sizeof *a->scratch);
	a->n_fills += n;
	return 0;
}

static int cmp_fill(const void *x, const void *y)
{
	const struct hl_fill *a = x, *b = y;
	if (a->time_ms != b->time_ms)
		return a->time_ms < b->time_ms ? -1 : 1;
	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	return 0;
}

static void cloid_hex(const struct hl_fill *f, char *buf, size_t len)
{
	if (!f->has_cloid) {
		buf[0] = '\0';
		return;
	}
	size_t k = (size_t)snprintf(buf, len, "0x");
	for (size_t i = 0; i < HAT_CLOID_LEN && k + 2 < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%02x", f->cloid[i]);
}

static void to_rpt_fill(const struct hl_fill *h, struct rpt_fill *f)
{
	memset(f, 0, sizeof *f);
	f->t_ms = (int64_t)h->time_ms;
	snprintf(f->coin, sizeof f->coin, "%s", h->coin);
	f->side = h->side == HAT_SIDE_BUY ? 1 : -1;
	f->px = hat_fx_to_double(h->px);
	f->sz = hat_fx_to_double(h->sz);
	f->fee = hat_fx_to_double(h->fee);
	f->oid = h->oid;
	f->tid = h->tid;
	f->maker = !h->crossed;
}

/* The first and last time_ms of a mids.csv (one streaming pass). Returns 0 (*lo > *hi when it
 * has no rows) or the reader's error. */
static int mids_span(const char *path, int64_t *lo, int64_t *hi, char *err, size_t errlen)
{
	static const char *const names[] = { "time_ms" };
	struct rpt_csv c;
	int col = -1, rc = rpt_csv_open(&c, path, err, errlen);
	if (rc < 0)
		return rc;
	*lo = INT64_MAX;
	*hi = INT64_MIN;
	if ((rc = rpt_csv_cols(&c, names, &col, 1, err, errlen)) == 0) {
		while ((rc = rpt_csv_next(&c, err, errlen)) == 0) {
			int64_t t;
			if ((rc = rpt_csv_i64(&c, col, "time_ms", &t, err, errlen)) < 0)
				break;
			*lo = t < *lo ? t : *lo;
			*hi = t > *hi ? t : *hi;
		}
		if (rc == -ENODATA)
			rc = 0;
	}
	rpt_csv_close(&c);
	return rc;
}

/* Writes fills.csv (dedup by tid) and pnl.csv. */
static int write_fills_pnl(struct ax *a, const char *mids_csv, const char *out_dir,
			   int64_t sample_ms, char *err, size_t errlen)
{
	if (a->n_fills)
		qsort(a->fills, a->n_fills, sizeof *a->fills, cmp_fill);
	size_t w = 0;
	for (size_t i = 0; i < a->n_fills; i++) {
		bool dup = false;
		/* Dedup: the same tid appears again after a reconnect's snapshot; equal tids sort
		 * together only within one ms, so compare against every kept fill of that ms. */
		for (size_t k = w; k-- > 0 && a->fills[k].time_ms == a->fills[i].time_ms;)
			if (a->fills[i].tid && a->fills[k].tid == a->fills[i].tid)
				dup = true;
		if (dup) {
			a->st->dup_fills++;
			continue;
		}
		a->fills[w++] = a->fills[i];
	}
	a->n_fills = w;
	a->st->fills = w;
	int rc = 0;
	FILE *f = open_out(out_dir, "fills.csv",
			   "time_ms,coin,side,px,sz,fee,oid,tid,crossed,cloid,closed_pnl", err, errlen);
	if (!f)
		return -EIO;
	for (size_t i = 0; i < a->n_fills; i++) {
		const struct hl_fill *h = &a->fills[i];
		char cl[40];
		cloid_hex(h, cl, sizeof cl);
		fprintf(f, "%llu,%s,%s,", (unsigned long long)h->time_ms, h->coin,
			side_code(h->side));
		put_fx(f, h->px);
		fputc(',', f);
		put_fx(f, h->sz);
		fputc(',', f);
		put_fx(f, h->fee);
		fprintf(f, ",%llu,%llu,%s,%s,", (unsigned long long)h->oid,
			(unsigned long long)h->tid, h->crossed ? "true" : "false", cl);
		put_fx(f, h->closed_pnl);
		fputc('\n', f);
	}
	rc = close_out(f, out_dir, "fills.csv", rc, err, errlen);
	if (rc < 0)
		return rc;

	struct rpt_csv mc;
	bool have_mids = false;
	int mcol[3] = { -1, -1, -1 };
	if (mids_csv) {
		static const char *const names[] = { "time_ms", "coin", "mid" };
		if ((rc = rpt_csv_open(&mc, mids_csv, err, errlen)) < 0)
			return rc;
		have_mids = true;
		if ((rc = rpt_csv_cols(&mc, names, mcol, 3, err, errlen)) < 0)
			goto done;
	}
	FILE *p = open_out(out_dir, "pnl.csv", "time_ms,realized,unrealized,fees,equity", err,
			   errlen);
	if (!p) {
		rc = -EIO;
		goto done;
	}
	struct rpt_book *b = malloc(sizeof *b);
	if (!b) {
		rc = -ENOMEM;
		goto close_p;
	}
	rpt_book_init(b);
	/* The series spans the audit's events, or with mids the market's time (a backtest's
	 * audit lines carry the wall clock of the run, its fills and mids the journal's). */
	int64_t first = a->first_ms, last = a->last_ms;
	if (have_mids && (rc = mids_span(mids_csv, &first, &last, err, errlen)) < 0)
		goto free_b;
	if (a->n_fills) {
		first = first < (int64_t)a->fills[0].time_ms ? first : (int64_t)a->fills[0].time_ms;
		int64_t lf = (int64_t)a->fills[a->n_fills - 1].time_ms;
		last = last > lf ? last : lf;
	}
	bool mid_pending = false;
	int64_t mid_t = 0;
	char mid_coin[RPT_COIN_LEN] = "";
	double mid_v = 0;
	size_t fi = 0;
	if (first <= last) {
		int64_t t0 = first - (first % sample_ms);
		for (int64_t t = t0; t <= last + sample_ms - 1; t += sample_ms) {
			while (have_mids) {
				if (!mid_pending) {
					int r2 = rpt_csv_next(&mc, err, errlen);
					if (r2 == -ENODATA)
						break;
					if (r2 < 0 ||
					    (r2 = rpt_csv_i64(&mc, mcol[0], "time_ms", &mid_t, err,
							      errlen)) < 0 ||
					    (r2 = rpt_csv_dbl(&mc, mcol[2], "mid", &mid_v, err,
							      errlen)) < 0) {
						rc = r2;
						goto free_b;
					}
					snprintf(mid_coin, sizeof mid_coin, "%s",
						 rpt_csv_get(&mc, mcol[1]));
					mid_pending = true;
				}
				if (mid_t > t)
					break;
				rpt_book_mid(b, mid_coin, mid_v);
				mid_pending = false;
			}
			for (; fi < a->n_fills && (int64_t)a->fills[fi].time_ms <= t; fi++) {
				struct rpt_fill rf;
				to_rpt_fill(&a->fills[fi], &rf);
				rpt_book_fill(b, &rf);
				if (!have_mids)
					rpt_book_mid(b, rf.coin, rf.px);
			}
			double re, un, fe, eq = rpt_book_equity(b, &re, &un, &fe);
			fprintf(p, "%lld,%.8f,%.8f,%.8f,%.8f\n", (long long)t, re, un, fe, eq);
			a->st->pnl_rows++;
		}
	}
free_b:
	free(b);
close_p:
	rc = close_out(p, out_dir, "pnl.csv", rc, err, errlen);
done:
	if (have_mids)
		rpt_csv_close(&mc);
	return rc;
}

static int audit_line(struct ax *a, char *line, char *err, size_t errlen)
{
	cJSON *j = cJSON_Parse(line);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return line_err(a, err, errlen, "not an audit line (invalid JSON)", NULL);
	}
	uint64_t ts, nonce = 0;
	const char *kind = jstr(j, "kind");
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "body");
	int rc = 0;
	if (!jnum(j, "ts", &ts) || !kind || !body) {
		rc = line_err(a, err, errlen, "not an audit line (needs ts, kind, body)", NULL);
		goto out;
	}
	jnum(j, "nonce", &nonce);
	if (a->st->lines == 1 || (int64_t)ts < a->first_ms)
		a->first_ms = (int64_t)ts;
	if ((int64_t)ts > a->last_ms)
		a->last_ms = (int64_t)ts;
	if (!strcmp(kind, "request")) {
		a->st->requests++;
		if (cJSON_IsObject(body))
			rc = add_request(a, (int64_t)ts, nonce, body, err, errlen);
	} else if (!strcmp(kind, "response")) {
		a->st->responses++;
		if (cJSON_IsObject(body))
			rc = add_response(a, (int64_t)ts, nonce, body, err, errlen);
	} else if (!strcmp(kind, "event")) {
		a->st->events++;
		rc = add_event(a, body, err, errlen);
	} else {
		rc = line_err(a, err, errlen, "unknown kind", kind);
	}
out:
	cJSON_Delete(j);
	return rc;
}

int rpt_export_audit(const char *audit, const char *mids_csv, const char *out_dir,
		     int64_t sample_ms, rpt_progress_fn progress, void *user,
		     struct rpt_audit_stats *st, char *err, size_t errlen)
{
	memset(st, 0, sizeof *st);
	if (sample_ms <= 0) {
		snprintf(err, errlen, "sample_ms must be > 0");
		return -EINVAL;
	}
	FILE *in = fopen(audit, "re");
	if (!in) {
		int e = -errno;
		snprintf(err, errlen, "fopen(%s) failed: %s", audit, strerror(-e));
		return e;
	}
	struct stat sb;
	uint64_t total = fstat(fileno(in), &sb) == 0 ? (uint64_t)sb.st_size : 0;
	struct ax a = { .path = audit, .st = st, .first_ms = INT64_MAX, .last_ms = INT64_MIN };
	int rc = hl_meta_init(&a.meta);
	a.scratch = calloc(MAX_EVENT_FILLS, sizeof *a.scratch);
	a.statuses = calloc(MAX_STATUSES, sizeof *a.statuses);
	if (rc < 0 || !a.scratch || !a.statuses) {
		rc = -ENOMEM;
		snprintf(err, errlen, "export: out of memory");
		goto out;
	}
	a.orders = open_out(out_dir, "orders.csv",
			    "time_ms,action,coin,side,px,sz,cloid,oid,status,reason,nonce", err,
			    errlen);
	a.rejects = a.orders ? open_out(out_dir, "rejects.csv", "time_ms,coin,cloid,reason", err,
					errlen) : NULL;
	if (!a.rejects) {
		rc = -EIO;
		goto out;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, in)) > 0) {
		a.lineno++;
		st->lines++;
		if (line[n - 1] != '\n') {
			/* A torn last line (execd died mid-write): execd cuts it off too. */
			st->bad_lines++;
			break;
		}
		if ((rc = audit_line(&a, line, err, errlen)) < 0)
			break;
		if (progress && (st->lines & 1023) == 0)
			progress(user, (uint64_t)ftell(in), total);
	}
	free(line);
	/* Requests never answered (execd stopped first). */
	for (size_t k = 0; k < a.n_pend; k++) {
		for (size_t i = 0; rc == 0 && i < a.pend[k].n; i++)
			order_row(&a, &a.pend[k], &a.pend[k].items[i], "unanswered",
				  a.pend[k].items[i].oid, "", a.pend[k].t_ms);
		st->unanswered++;
	}
	if (rc == 0)
		rc = write_fills_pnl(&a, mids_csv, out_dir, sample_ms, err, errlen);
	if (rc == 0 && progress)
		progress(user, total, total);
out:
	rc = close_out(a.orders, out_dir, "orders.csv", rc, err, errlen);
	rc = close_out(a.rejects, out_dir, "rejects.csv", rc, err, errlen);
	for (size_t k = 0; k < a.n_pend; k++)
		free(a.pend[k].items);
	free(a.pend);
	free(a.fills);
	free(a.scratch);
	free(a.statuses);
	hl_meta_deinit(&a.meta);
	fclose(in);
	return rc;
}
