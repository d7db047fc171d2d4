/* tools/report/metrics.c -- see metrics.h for every definition. */
#include "tools/report/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const int64_t rpt_horizons_ms[RPT_N_HORIZONS] = { 1000, 10000, 60000 };

/* ---------------------------------------------------------------- position book */

void rpt_book_init(struct rpt_book *b)
{
	memset(b, 0, sizeof *b);
}

static struct rpt_pos *book_slot(struct rpt_book *b, const char *coin)
{
	for (size_t i = 0; i < b->n; i++)
		if (strncmp(b->pos[i].coin, coin, RPT_COIN_LEN) == 0)
			return &b->pos[i];
	if (b->n == RPT_MAX_COINS) {
		b->dropped++;
		return NULL;
	}
	struct rpt_pos *p = &b->pos[b->n++];
	memset(p, 0, sizeof *p);
	snprintf(p->coin, sizeof p->coin, "%s", coin);
	return p;
}

void rpt_book_fill(struct rpt_book *b, const struct rpt_fill *f)
{
	struct rpt_pos *p = book_slot(b, f->coin);
	if (!p)
		return;
	double q = p->qty, d = f->side * f->sz;
	p->fees += f->fee;
	p->volume += f->px * f->sz;
	p->fills++;
	if (q == 0 || (q > 0) == (d > 0)) {
		/* Opening or adding: the entry is the size-weighted average. */
		p->entry = (fabs(q) * p->entry + f->sz * f->px) / (fabs(q) + f->sz);
		p->qty = q + d;
		return;
	}
	double closed = fmin(fabs(d), fabs(q));
	p->realized += closed * (f->px - p->entry) * (q > 0 ? 1 : -1);
	p->qty = q + d;
	if (fabs(d) > fabs(q))
		p->entry = f->px;       /* flipped: the rest opens at this fill's price */
	else if (fabs(d) == fabs(q))
		p->entry = 0, p->qty = 0;
}

void rpt_book_mid(struct rpt_book *b, const char *coin, double mid)
{
	struct rpt_pos *p = book_slot(b, coin);
	if (!p)
		return;
	p->mid = mid;
	p->has_mid = true;
}

const struct rpt_pos *rpt_book_get(const struct rpt_book *b, const char *coin)
{
	for (size_t i = 0; i < b->n; i++)
		if (strncmp(b->pos[i].coin, coin, RPT_COIN_LEN) == 0)
			return &b->pos[i];
	return NULL;
}

double rpt_book_equity(const struct rpt_book *b, double *realized, double *unrealized,
		       double *fees)
{
	double r = 0, u = 0, f = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct rpt_pos *p = &b->pos[i];
		r += p->realized;
		f += p->fees;
		if (p->has_mid && p->qty != 0)
			u += p->qty * (p->mid - p->entry);
	}
	if (realized)
		*realized = r;
	if (unrealized)
		*unrealized = u;
	if (fees)
		*fees = f;
	return r + u - f;
}

/* ---------------------------------------------------------------- mid lookup */

int rpt_mid_at(const struct rpt_mid *mids, size_t n, const char *coin, int64_t t_ms,
	       double *mid)
{
	int rc = -ENOENT;
	for (size_t i = 0; i < n && mids[i].t_ms <= t_ms; i++)
		if (strncmp(mids[i].coin, coin, RPT_COIN_LEN) == 0) {
			*mid = mids[i].mid;
			rc = 0;
		}
	return rc;
}

/* Per coin, the indices of its mids in time order, for binary search. */
struct mid_index {
	char coin[RPT_MAX_COINS][RPT_COIN_LEN];
	size_t *idx[RPT_MAX_COINS];
	size_t n_idx[RPT_MAX_COINS];
	size_t n;
};

static int coin_no(const struct mid_index *x, const char *coin)
{
	for (size_t i = 0; i < x->n; i++)
		if (strncmp(x->coin[i], coin, RPT_COIN_LEN) == 0)
			return (int)i;
	return -1;
}

static int index_build(struct mid_index *x, const struct rpt_mid *m, size_t n)
{
	memset(x, 0, sizeof *x);
	size_t count[RPT_MAX_COINS] = { 0 };
	for (size_t i = 0; i < n; i++) {
		int c = coin_no(x, m[i].coin);
		if (c < 0) {
			if (x->n == RPT_MAX_COINS)
				continue;
			c = (int)x->n++;
			snprintf(x->coin[c], RPT_COIN_LEN, "%s", m[i].coin);
		}
		count[c]++;
	}
	for (size_t c = 0; c < x->n; c++) {
		x->idx[c] = malloc(count[c] * sizeof(size_t));
		if (!x->idx[c])
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		int c = coin_no(x, m[i].coin);
		if (c >= 0)
			x->idx[c][x->n_idx[c]++] = i;
	}
	return 0;
}

static void index_free(struct mid_index *x)
{
	for (size_t c = 0; c < RPT_MAX_COINS; c++)
		free(x->idx[c]);
}

/* Last mid of coin at or before t, and whether any mid of coin exists at or after t (else t
 * is past the end of the data and the horizon is not measurable). */
static bool index_mid(const struct mid_index *x, const struct rpt_mid *m, const char *coin,
		      int64_t t, double *mid)
{
	int c = coin_no(x, coin);
	if (c < 0 || x->n_idx[c] == 0)
		return false;
	const size_t *ix = x->idx[c];
	size_t lo = 0, hi = x->n_idx[c];  /* first index with time > t */
	while (lo < hi) {
		size_t md = lo + (hi - lo) / 2;
		if (m[ix[md]].t_ms <= t)
			lo = md + 1;
		else
			hi = md;
	}
	if (lo == 0)
		return false;
	*mid = m[ix[lo - 1]].mid;
	return true;
}

static int64_t last_time(const struct rpt_mid *m, size_t n)
{
	return n ? m[n - 1].t_ms : INT64_MIN;
}

/* ---------------------------------------------------------------- metrics */

/* Reasons are grouped by their text up to the first ", " or ". ": the exchange appends
 * details (", bbo was 3001.25", ". asset=0") that would make every reject its own group. */
static void add_reason(struct rpt_metrics *m, const char *full)
{
	char reason[RPT_REASON_LEN];
	snprintf(reason, sizeof reason, "%s", full);
	char *cut = strstr(reason, ", ");
	char *dot = strstr(reason, ". ");
	if (dot && (!cut || dot < cut))
		cut = dot;
	if (cut && cut != reason)
		*cut = '\0';
	for (size_t i = 0; i < m->n_reasons; i++)
		if (strcmp(m->reasons[i].reason, reason) == 0) {
			m->reasons[i].count++;
			return;
		}
	const char *r = reason;
	if (m->n_reasons == RPT_MAX_REASONS - 1 && strcmp(reason, "(other)") != 0) {
		add_reason(m, "(other)");
		return;
	}
	struct rpt_reason *x = &m->reasons[m->n_reasons++];
	snprintf(x->reason, sizeof x->reason, "%s", r);
	x->count = 1;
}

static int cmp_reason(const void *a, const void *b)
{
	const struct rpt_reason *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->reason, y->reason);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void returns_stats(const struct rpt_session *s, struct rpt_metrics *m)
{
	size_t n = s->n_pnl > 1 ? s->n_pnl - 1 : 0;
	m->n_returns = n;
	if (n == 0)
		return;
	double sum = 0, down = 0;
	for (size_t i = 1; i < s->n_pnl; i++) {
		double r = s->pnl[i].equity - s->pnl[i - 1].equity;
		sum += r;
		if (r < 0)
			down += r * r;
	}
	double mean = sum / (double)n, ss = 0;
	for (size_t i = 1; i < s->n_pnl; i++) {
		double r = s->pnl[i].equity - s->pnl[i - 1].equity - mean;
		ss += r * r;
	}
	m->ret_mean = mean;
	m->ret_stdev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
	double per_year = 365.0 * 86400.0 * 1000.0 / (double)s->sample_ms;
	if (m->ret_stdev > 0) {
		m->sharpe = mean / m->ret_stdev;
		m->sharpe_ann = m->sharpe * sqrt(per_year);
	}
	if (down > 0) {
		m->sortino = mean / sqrt(down / (double)n);
		m->sortino_ann = m->sortino * sqrt(per_year);
	}
}

static void drawdown(const struct rpt_session *s, struct rpt_metrics *m)
{
	if (s->n_pnl == 0)
		return;
	double peak = s->pnl[0].equity;
	int64_t peak_t = s->pnl[0].t_ms;
	for (size_t i = 0; i < s->n_pnl; i++) {
		if (s->pnl[i].equity > peak) {
			peak = s->pnl[i].equity;
			peak_t = s->pnl[i].t_ms;
		}
		double dd = peak - s->pnl[i].equity;
		if (dd > m->max_dd) {
			m->max_dd = dd;
			m->max_dd_peak_ms = peak_t;
			m->max_dd_trough_ms = s->pnl[i].t_ms;
		}
	}
	m->final_equity = s->pnl[s->n_pnl - 1].equity;
}

static int orders_stats(const struct rpt_session *s, struct rpt_metrics *m)
{
	uint64_t *oids = NULL;
	size_t n_oids = 0;
	if (s->n_fills) {
		oids = malloc(s->n_fills * sizeof *oids);
		if (!oids)
			return -ENOMEM;
		for (size_t i = 0; i < s->n_fills; i++)
			oids[n_oids++] = s->fills[i].oid;
		qsort(oids, n_oids, sizeof *oids, cmp_u64);
	}
	for (size_t i = 0; i < s->n_orders; i++) {
		const struct rpt_order *o = &s->orders[i];
		if (o->action == RPT_CANCEL) {
			m->cancels++;
		} else if (o->action == RPT_MODIFY) {
			m->modifies++;
		} else if (o->action == RPT_PLACE) {
			m->placed++;
			if (o->oid && n_oids && bsearch(&o->oid, oids, n_oids, sizeof *oids, cmp_u64))
				m->placed_filled++;
		}
	}
	free(oids);
	m->fill_ratio = m->placed ? (double)m->placed_filled / (double)m->placed : 0;
	m->order_to_trade = s->n_fills ?
		(double)(m->placed + m->cancels + m->modifies) / (double)s->n_fills : 0;
	return 0;
}

int rpt_metrics_compute(const struct rpt_session *s, struct rpt_metrics *m)
{
	memset(m, 0, sizeof *m);
	if (s->sample_ms <= 0)
		return -EINVAL;
	m->sample_ms = s->sample_ms;

	/* PnL per coin: fills in time order, each coin marked at its last mid. */
	rpt_book_init(&m->book);
	for (size_t i = 0; i < s->n_fills; i++) {
		rpt_book_fill(&m->book, &s->fills[i]);
		m->turnover += s->fills[i].px * s->fills[i].sz;
		m->n_maker += s->fills[i].maker;
	}
	for (size_t i = 0; i < s->n_mids; i++)
		if (rpt_book_get(&m->book, s->mids[i].coin))
			rpt_book_mid(&m->book, s->mids[i].coin, s->mids[i].mid);
	m->n_fills = s->n_fills;
	m->pnl = rpt_book_equity(&m->book, &m->realized, &m->unrealized, &m->fees);

	returns_stats(s, m);
	drawdown(s, m);
	int rc = orders_stats(s, m);
	if (rc < 0)
		return rc;

	struct mid_index *x = malloc(sizeof *x);
	if (!x)
		return -ENOMEM;
	rc = index_build(x, s->mids, s->n_mids);
	if (rc == 0) {
		int64_t end = last_time(s->mids, s->n_mids);
		for (int h = 0; h < RPT_N_HORIZONS; h++) {
			struct rpt_markout *k = &m->mk[h];
			k->horizon_ms = rpt_horizons_ms[h];
			double bps = 0, adv = 0;
			size_t neg = 0;
			for (size_t i = 0; i < s->n_fills; i++) {
				const struct rpt_fill *f = &s->fills[i];
				double m0, m1;
				if (f->t_ms + k->horizon_ms > end ||
				    !index_mid(x, s->mids, f->coin, f->t_ms, &m0) ||
				    !index_mid(x, s->mids, f->coin, f->t_ms + k->horizon_ms, &m1))
					continue;
				double mk = f->side * (m1 - f->px) * f->sz;
				k->n++;
				k->usd += mk;
				bps += f->side * (m1 - f->px) / f->px * 1e4;
				adv += -f->side * (m1 - m0) / m0 * 1e4;
				neg += mk < 0;
			}
			if (k->n) {
				k->bps = bps / (double)k->n;
				k->adverse_bps = adv / (double)k->n;
				k->neg_share = (double)neg / (double)k->n;
			}
		}
	}
	index_free(x);
	free(x);
	if (rc < 0)
		return rc;

	for (size_t i = 0; i < s->n_rejects; i++)
		add_reason(m, s->rejects[i].reason[0] ? s->rejects[i].reason : "(none)");
	m->n_rejects = s->n_rejects;
	qsort(m->reasons, m->n_reasons, sizeof m->reasons[0], cmp_reason);
	return 0;
}
