/* tools/report/html.c -- see html.h. Charts are drawn in data coordinates mapped onto a fixed
 * plot box; long series are reduced to at most MAX_PTS points per series (min and max of each
 * bucket, so spikes and drawdowns stay visible). */
#include "tools/report/html.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define W 960
#define H 240
#define ML 80   /* left margin: y labels */
#define MR 20
#define MT 28
#define MB 34
#define MAX_PTS 1200
#define MAX_PRICE_CHARTS 4

static const char *const palette[] = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
				       "#8c564b", "#e377c2", "#17becf" };

void rpt_html_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void fmt_time(int64_t t_ms, char *buf, size_t len, bool with_date)
{
	time_t s = (time_t)(t_ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, len, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
}

/* ---------------------------------------------------------------- charts */

struct series {
	const char *name;
	const char *color;
	const double *t, *v;   /* t in ms */
	size_t n;
	bool step;
	bool fill_down;        /* shade between the line and 0 (drawdown) */
};

struct marks {
	const double *t, *v;
	const int *side;       /* +1 buy (green up), -1 sell (red down) */
	size_t n;
};

struct frame {
	double t0, t1, v0, v1;
};

static double px_x(const struct frame *fr, double t)
{
	return ML + (t - fr->t0) / (fr->t1 - fr->t0) * (W - ML - MR);
}

static double px_y(const struct frame *fr, double v)
{
	return MT + (fr->v1 - v) / (fr->v1 - fr->v0) * (H - MT - MB);
}

static void nice_range(double *lo, double *hi)
{
	if (!(*hi > *lo)) {
		double d = fabs(*lo) > 0 ? fabs(*lo) * 0.01 : 1;
		*lo -= d;
		*hi += d;
	}
	double pad = (*hi - *lo) * 0.05;
	*lo -= pad;
	*hi += pad;
}

static void fmt_val(double v, double span, char *buf, size_t len)
{
	int dec = span >= 100 ? 0 : span >= 1 ? 2 : span >= 0.01 ? 4 : 6;
	snprintf(buf, len, "%.*f", dec, v);
}

static void axes(FILE *f, const struct frame *fr, const char *title, const char *unit)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\">\n", W, H, W, H);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", W, H);
	fprintf(f, "<text x=\"%d\" y=\"18\" class=\"ct\">", ML);
	rpt_html_escape(f, title);
	fprintf(f, " <tspan class=\"cu\">(");
	rpt_html_escape(f, unit);
	fprintf(f, ")</tspan></text>\n");
	for (int i = 0; i <= 4; i++) {
		double v = fr->v0 + (fr->v1 - fr->v0) * i / 4.0;
		double y = px_y(fr, v);
		char b[48];
		fmt_val(v, fr->v1 - fr->v0, b, sizeof b);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
			"<text x=\"%d\" y=\"%.1f\" class=\"yl\">%s</text>\n", ML, y, W - MR, y,
			ML - 6, y + 4, b);
	}
	for (int i = 0; i <= 5; i++) {
		double t = fr->t0 + (fr->t1 - fr->t0) * i / 5.0;
		char b[32];
		fmt_time((int64_t)t, b, sizeof b, false);
		/* The last label ends at the plot's right edge instead of centring past it. */
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"xl\"%s>%s</text>\n", px_x(fr, t),
			H - MB + 16, i == 5 ? " style=\"text-anchor:end\"" : "", b);
	}
	if (fr->v0 < 0 && fr->v1 > 0)
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"zero\"/>\n",
			ML, px_y(fr, 0), W - MR, px_y(fr, 0));
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"box\"/>\n", ML,
		MT, W - ML - MR, H - MT - MB);
}

/* Emits the reduced polyline of s: per bucket of the time axis, the first, min, max and last
 * points in time order. */
static void polyline(FILE *f, const struct frame *fr, const struct series *s, bool area)
{
	if (s->n == 0)
		return;
	/* An area is drawn first without a stroke, so the closing edges stay invisible; the line
	 * goes over it. */
	if (area)
		fprintf(f, "<polygon fill=\"rgba(214,39,40,0.25)\" stroke=\"none\" points=\"");
	else
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
			"points=\"", s->color);
	if (area)
		fprintf(f, "%.1f,%.1f ", px_x(fr, s->t[0]), px_y(fr, 0));
	size_t per = s->n / (MAX_PTS / 4) + 1;
	double prev_y = px_y(fr, s->v[0]);
	for (size_t i = 0; i < s->n; i += per) {
		size_t end = i + per < s->n ? i + per : s->n, lo = i, hi = i;
		for (size_t k = i; k < end; k++) {
			if (s->v[k] < s->v[lo]) lo = k;
			if (s->v[k] > s->v[hi]) hi = k;
		}
		size_t pick[4] = { i, lo < hi ? lo : hi, lo < hi ? hi : lo, end - 1 };
		for (int k = 0; k < 4; k++) {
			if (k && pick[k] == pick[k - 1])
				continue;
			double x = px_x(fr, s->t[pick[k]]), y = px_y(fr, s->v[pick[k]]);
			if (s->step)
				fprintf(f, "%.1f,%.1f ", x, prev_y);
			fprintf(f, "%.1f,%.1f ", x, y);
			prev_y = y;
		}
	}
	if (s->step)
		fprintf(f, "%.1f,%.1f ", px_x(fr, fr->t1), prev_y);
	if (area)
		fprintf(f, "%.1f,%.1f", px_x(fr, s->t[s->n - 1]), px_y(fr, 0));
	fprintf(f, "\"/>\n");
}

static void chart(FILE *f, const char *title, const char *unit, const struct series *s,
		  size_t ns, const struct marks *mk, double t0, double t1)
{
	struct frame fr = { t0, t1, INFINITY, -INFINITY };
	for (size_t i = 0; i < ns; i++)
		for (size_t k = 0; k < s[i].n; k++) {
			fr.v0 = fmin(fr.v0, s[i].v[k]);
			fr.v1 = fmax(fr.v1, s[i].v[k]);
		}
	for (size_t k = 0; mk && k < mk->n; k++) {
		fr.v0 = fmin(fr.v0, mk->v[k]);
		fr.v1 = fmax(fr.v1, mk->v[k]);
	}
	if (!isfinite(fr.v0))
		fr.v0 = 0, fr.v1 = 1;
	for (size_t i = 0; i < ns; i++)
		if (s[i].fill_down)
			fr.v1 = fmax(fr.v1, 0);
	nice_range(&fr.v0, &fr.v1);
	if (!(fr.t1 > fr.t0))
		fr.t1 = fr.t0 + 1000;
	axes(f, &fr, title, unit);
	for (size_t i = 0; i < ns; i++) {
		if (s[i].fill_down)
			polyline(f, &fr, &s[i], true);
		polyline(f, &fr, &s[i], false);
	}
	for (size_t k = 0; mk && k < mk->n; k++) {
		double x = px_x(&fr, mk->t[k]), y = px_y(&fr, mk->v[k]);
		if (mk->side[k] > 0)
			fprintf(f, "<path d=\"M%.1f %.1fl-5 8h10z\" class=\"buy\"/>\n", x, y - 1);
		else
			fprintf(f, "<path d=\"M%.1f %.1fl-5 -8h10z\" class=\"sell\"/>\n", x, y + 1);
	}
	if (ns > 1 || mk) {
		double x = ML + 8;
		for (size_t i = 0; i < ns; i++) {
			fprintf(f, "<rect x=\"%.0f\" y=\"%d\" width=\"10\" height=\"3\" fill=\"%s\"/>"
				"<text x=\"%.0f\" y=\"%d\" class=\"lg\">", x, MT + 8, s[i].color,
				x + 14, MT + 12);
			rpt_html_escape(f, s[i].name);
			fprintf(f, "</text>\n");
			x += 20 + 8 * (double)strlen(s[i].name);
		}
		if (mk)
			fprintf(f, "<path d=\"M%.0f %dl-4 7h8z\" class=\"buy\"/><text x=\"%.0f\" "
				"y=\"%d\" class=\"lg\">buy fill</text><path d=\"M%.0f %dl-4 -7h8z\" "
				"class=\"sell\"/><text x=\"%.0f\" y=\"%d\" class=\"lg\">sell fill"
				"</text>\n", x + 4, MT + 5, x + 12, MT + 12, x + 84, MT + 12,
				x + 92, MT + 12);
	}
	fprintf(f, "</svg>\n");
}

/* ---------------------------------------------------------------- page */

static const char css[] =
	"body{font:14px/1.4 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px;"
	"color:#222;background:#f6f7f9}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;"
	"margin:28px 0 8px}.sub{color:#666;margin-bottom:16px}.card{background:#fff;"
	"border:1px solid #dde;border-radius:6px;padding:10px;margin:10px 0;display:inline-block}"
	"table{border-collapse:collapse;background:#fff}td,th{border:1px solid #dde;padding:4px 10px;"
	"text-align:right}th{background:#eef1f5}td.l,th.l{text-align:left}.neg{color:#c0392b}"
	".pos{color:#1e8449}.note{color:#666;font-size:12px;max-width:960px}"
	".ct{font-size:14px;font-weight:600;fill:#222}.cu{font-weight:400;fill:#666}"
	".yl{font-size:11px;fill:#555;text-anchor:end}.xl{font-size:11px;fill:#555;"
	"text-anchor:middle}.lg{font-size:11px;fill:#333}.grid{stroke:#e4e6ea}.zero{stroke:#999;"
	"stroke-dasharray:4 3}.box{fill:none;stroke:#bbb}.buy{fill:#1e8449}.sell{fill:#c0392b}"
	".kpi{display:inline-block;margin:0 24px 8px 0}.kpi b{display:block;font-size:20px}";

static const char *sign_class(double v)
{
	return v < 0 ? "neg" : v > 0 ? "pos" : "";
}

static void kpi(FILE *f, const char *name, double v, int dec, const char *unit, bool colored)
{
	fprintf(f, "<div class=\"kpi\">%s<b class=\"%s\">%.*f%s</b></div>\n", name,
		colored ? sign_class(v) : "", dec, v, unit);
}

static void row(FILE *f, const char *name, int dec, double v, const char *note)
{
	fprintf(f, "<tr><td class=\"l\">%s</td><td>%.*f", name, dec, v);
	fprintf(f, "</td><td class=\"l note\">%s</td></tr>\n", note);
}

static int write_charts(FILE *f, const struct rpt_result *r)
{
	double t0 = INFINITY, t1 = -INFINITY;
	if (r->n_pnl)
		t0 = (double)r->pnl[0].t_ms, t1 = (double)r->pnl[r->n_pnl - 1].t_ms;
	if (r->n_fills) {
		t0 = fmin(t0, (double)r->fills[0].t_ms);
		t1 = fmax(t1, (double)r->fills[r->n_fills - 1].t_ms);
	}
	if (!isfinite(t0))
		t0 = 0, t1 = 1000;
	size_t n = r->n_pnl > r->n_fills + 2 ? r->n_pnl : r->n_fills + 2;
	if (r->n_mids > n)
		n = r->n_mids;
	double *t = malloc((n + 1) * sizeof *t), *v = malloc((n + 1) * sizeof *v);
	double *v2 = malloc((n + 1) * sizeof *v2);
	int *side = malloc((n + 1) * sizeof *side);
	if (!t || !v || !v2 || !side) {
		free(t), free(v), free(v2), free(side);
		return -ENOMEM;
	}

	fprintf(f, "<h2>Equity and drawdown</h2>\n<div class=\"card\">\n");
	double peak = r->n_pnl ? r->pnl[0].equity : 0;
	for (size_t i = 0; i < r->n_pnl; i++) {
		t[i] = (double)r->pnl[i].t_ms;
		v[i] = r->pnl[i].equity;
		peak = fmax(peak, v[i]);
		v2[i] = v[i] - peak;
	}
	struct series eq = { "equity", palette[0], t, v, r->n_pnl, false, false };
	chart(f, "Equity: realized + unrealized - fees", "USD", &eq, 1, NULL, t0, t1);
	struct series dd = { "drawdown", palette[1], t, v2, r->n_pnl, false, true };
	chart(f, "Drawdown from the running peak", "USD", &dd, 1, NULL, t0, t1);
	fprintf(f, "</div>\n");

	/* Position per coin: a step series from the fills. */
	fprintf(f, "<h2>Position over time</h2>\n<div class=\"card\">\n");
	struct rpt_book b;
	rpt_book_init(&b);
	for (size_t i = 0; i < r->n_fills; i++)
		rpt_book_fill(&b, &r->fills[i]);
	struct series ps[8] = { 0 };
	double *pt[8] = { 0 }, *pv[8] = { 0 };
	size_t nps = 0;
	for (size_t c = 0; c < b.n && nps < 8; c++) {
		pt[nps] = malloc((r->n_fills + 2) * sizeof(double));
		pv[nps] = malloc((r->n_fills + 2) * sizeof(double));
		if (!pt[nps] || !pv[nps]) {
			free(pt[nps]), free(pv[nps]);
			break;
		}
		size_t k = 0;
		double q = 0;
		pt[nps][k] = t0, pv[nps][k++] = 0;
		for (size_t i = 0; i < r->n_fills; i++) {
			const struct rpt_fill *fl = &r->fills[i];
			if (strcmp(fl->coin, b.pos[c].coin))
				continue;
			q += fl->side * fl->sz;
			pt[nps][k] = (double)fl->t_ms, pv[nps][k++] = q;
		}
		ps[nps] = (struct series){ b.pos[c].coin, palette[nps % 8], pt[nps], pv[nps], k,
					   true, false };
		nps++;
	}
	chart(f, "Position per coin", "coin units", ps, nps, NULL, t0, t1);
	for (size_t i = 0; i < nps; i++)
		free(pt[i]), free(pv[i]);
	fprintf(f, "</div>\n");

	/* Fills on the price chart, per coin (the coins with the most fills first). */
	fprintf(f, "<h2>Fills on the price</h2>\n");
	if (!r->has_mids)
		fprintf(f, "<p class=\"note\">No mids.csv in the result directory: no price "
			"charts.</p>\n");
	for (size_t c = 0; c < b.n && c < MAX_PRICE_CHARTS && r->has_mids; c++) {
		const char *coin = b.pos[c].coin;
		size_t nm = 0, nf = 0;
		for (size_t i = 0; i < r->n_mids; i++)
			if (!strcmp(r->mids[i].coin, coin))
				t[nm] = (double)r->mids[i].t_ms, v[nm++] = r->mids[i].mid;
		double *ft = malloc((r->n_fills + 1) * sizeof *ft);
		double *fv = malloc((r->n_fills + 1) * sizeof *fv);
		if (!ft || !fv) {
			free(ft), free(fv);
			break;
		}
		for (size_t i = 0; i < r->n_fills; i++)
			if (!strcmp(r->fills[i].coin, coin)) {
				ft[nf] = (double)r->fills[i].t_ms;
				fv[nf] = r->fills[i].px;
				side[nf++] = r->fills[i].side;
			}
		struct series mid = { "mid", "#555", t, v, nm, true, false };
		struct marks mk = { ft, fv, side, nf };
		char title[64];
		snprintf(title, sizeof title, "%s mid and fills", coin);
		fprintf(f, "<div class=\"card\">\n");
		chart(f, title, "USD", &mid, 1, &mk, t0, t1);
		fprintf(f, "</div>\n");
		free(ft), free(fv);
	}
	free(t), free(v), free(v2), free(side);
	return 0;
}

static void write_tables(FILE *f, const struct rpt_result *r, const struct rpt_metrics *m)
{
	char b1[32], b2[32], note[256];
	fprintf(f, "<h2>Summary</h2>\n<table>\n<tr><th class=\"l\">metric</th><th>value</th>"
		"<th class=\"l\">definition</th></tr>\n");
	row(f, "PnL (USD)", 2, m->pnl, "realized + unrealized at the last mids - fees");
	row(f, "realized (USD)", 2, m->realized, "average-cost");
	row(f, "unrealized (USD)", 2, m->unrealized, "open position at the last mid");
	row(f, "fees (USD)", 2, m->fees, "sum of fill fees (negative = rebates)");
	row(f, "turnover (USD)", 2, m->turnover, "sum of px &times; size over fills");
	row(f, "fills", 0, (double)m->n_fills, "");
	row(f, "maker share", 3, m->n_fills ? (double)m->n_maker / (double)m->n_fills : 0,
	    "fills that did not cross the spread");
	snprintf(note, sizeof note, "mean / sample stdev of equity changes over %lld ms "
		 "intervals (%zu returns), per interval", (long long)m->sample_ms, m->n_returns);
	row(f, "Sharpe", 4, m->sharpe, note);
	snprintf(note, sizeof note, "the above &times; &radic;(intervals per 365-day year) with "
		 "%lld ms intervals", (long long)m->sample_ms);
	row(f, "Sharpe, annualized", 2, m->sharpe_ann, note);
	snprintf(note, sizeof note, "mean / downside deviation (target 0) of %lld ms equity "
		 "changes, per interval", (long long)m->sample_ms);
	row(f, "Sortino", 4, m->sortino, note);
	row(f, "Sortino, annualized", 2, m->sortino_ann, "annualized like Sharpe");
	fmt_time(m->max_dd_peak_ms, b1, sizeof b1, false);
	fmt_time(m->max_dd_trough_ms, b2, sizeof b2, false);
	snprintf(note, sizeof note, "largest fall from a running peak of equity (peak %s, trough "
		 "%s UTC)", b1, b2);
	row(f, "max drawdown (USD)", 2, m->max_dd, note);
	snprintf(note, sizeof note, "%llu of %llu placed orders got at least one fill",
		 (unsigned long long)m->placed_filled, (unsigned long long)m->placed);
	row(f, "fill ratio", 4, m->fill_ratio, r->has_orders ? note : "no orders.csv");
	snprintf(note, sizeof note, "(%llu places + %llu cancels + %llu modifies) / fills",
		 (unsigned long long)m->placed, (unsigned long long)m->cancels,
		 (unsigned long long)m->modifies);
	row(f, "order-to-trade ratio", 2, m->order_to_trade, note);
	fprintf(f, "</table>\n");

	fprintf(f, "<h2>PnL per coin</h2>\n<table>\n<tr><th class=\"l\">coin</th><th>fills</th>"
		"<th>volume (USD)</th><th>realized</th><th>unrealized</th><th>fees</th><th>PnL</th>"
		"<th>position</th><th>last mid</th></tr>\n");
	for (size_t i = 0; i < m->book.n; i++) {
		const struct rpt_pos *p = &m->book.pos[i];
		double u = p->has_mid ? p->qty * (p->mid - p->entry) : 0;
		double pnl = p->realized + u - p->fees;
		fprintf(f, "<tr><td class=\"l\">");
		rpt_html_escape(f, p->coin);
		fprintf(f, "</td><td>%llu</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td>"
			"<td class=\"%s\">%.2f</td><td>%.6g</td><td>%.6g</td></tr>\n",
			(unsigned long long)p->fills, p->volume, p->realized, u, p->fees,
			sign_class(pnl), pnl, p->qty, p->mid);
	}
	fprintf(f, "</table>\n");

	fprintf(f, "<h2>Markouts and adverse selection</h2>\n<table>\n<tr><th>horizon</th>"
		"<th>fills measured</th><th>markout (USD)</th><th>markout (bps)</th>"
		"<th>adverse selection (bps)</th><th>share negative</th></tr>\n");
	for (int h = 0; h < RPT_N_HORIZONS; h++) {
		const struct rpt_markout *k = &m->mk[h];
		fprintf(f, "<tr><td>%llds</td><td>%zu</td><td class=\"%s\">%.2f</td><td>%.3f</td>"
			"<td>%.3f</td><td>%.3f</td></tr>\n", (long long)(k->horizon_ms / 1000),
			k->n, sign_class(k->usd), k->usd, k->bps, k->adverse_bps, k->neg_share);
	}
	fprintf(f, "</table>\n<p class=\"note\">Markout = side &times; (mid at fill time + "
		"horizon - fill px) &times; size; adverse selection = -side &times; (mid(t+h) - "
		"mid(t)) / mid(t), positive when the price moved against the fill. Fills too close "
		"to the end of the data for a horizon are not measured at it.</p>\n");

	fprintf(f, "<h2>Reject reasons</h2>\n");
	if (!r->has_rejects)
		fprintf(f, "<p class=\"note\">No rejects.csv in the result directory.</p>\n");
	else if (m->n_reasons == 0)
		fprintf(f, "<p class=\"note\">No rejects.</p>\n");
	else {
		fprintf(f, "<table>\n<tr><th class=\"l\">reason</th><th>count</th></tr>\n");
		for (size_t i = 0; i < m->n_reasons; i++) {
			fprintf(f, "<tr><td class=\"l\">");
			rpt_html_escape(f, m->reasons[i].reason);
			fprintf(f, "</td><td>%llu</td></tr>\n",
				(unsigned long long)m->reasons[i].count);
		}
		fprintf(f, "</table>\n");
	}
}

int rpt_html_write(FILE *f, const struct rpt_result *r, const struct rpt_metrics *m)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<title>hat report: ");
	rpt_html_escape(f, r->title);
	fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<h1>hat report: ", css);
	rpt_html_escape(f, r->title);
	fprintf(f, "</h1>\n<div class=\"sub\">");
	char b1[32] = "-", b2[32] = "-";
	if (r->n_pnl) {
		fmt_time(r->pnl[0].t_ms, b1, sizeof b1, true);
		fmt_time(r->pnl[r->n_pnl - 1].t_ms, b2, sizeof b2, true);
	}
	fprintf(f, "%s to %s UTC", b1, b2);
	if (r->journal[0]) {
		fprintf(f, " &middot; journal ");
		rpt_html_escape(f, r->journal);
	}
	if (r->config[0]) {
		fprintf(f, " &middot; config ");
		rpt_html_escape(f, r->config);
	}
	fprintf(f, " &middot; PnL sampled every %lld ms</div>\n<div>", (long long)r->sample_ms);
	kpi(f, "PnL (USD)", m->pnl, 2, "", true);
	kpi(f, "fees (USD)", m->fees, 2, "", false);
	kpi(f, "turnover (USD)", m->turnover, 0, "", false);
	kpi(f, "fills", (double)m->n_fills, 0, "", false);
	kpi(f, "max drawdown (USD)", m->max_dd, 2, "", false);
	kpi(f, "Sharpe (annualized)", m->sharpe_ann, 2, "", true);
	fprintf(f, "</div>\n");
	int rc = write_charts(f, r);
	if (rc < 0)
		return rc;
	write_tables(f, r, m);
	fprintf(f, "<p class=\"note\">Generated by hat-report from %zu fills, %zu orders, %zu PnL "
		"samples, %zu mids, %zu rejects.</p>\n</body></html>\n", r->n_fills, r->n_orders,
		r->n_pnl, r->n_mids, r->n_rejects);
	return ferror(f) ? -EIO : 0;
}
