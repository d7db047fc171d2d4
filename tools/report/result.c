/* tools/report/result.c -- see result.h. */
#include "tools/report/result.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "tools/report/csv.h"

/* A growable array: grow(&p, &n, &cap, size) makes room for one more element. */
static int grow(void **p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 256;
	void *q = realloc(*p, nc * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = nc;
	return 0;
}

static int parse_side(const struct rpt_csv *c, int col, int *side, char *err, size_t errlen)
{
	const char *v = rpt_csv_get(c, col);
	if (!strcmp(v, "B") || !strcasecmp(v, "buy") || !strcmp(v, "b"))
		*side = 1;
	else if (!strcmp(v, "A") || !strcmp(v, "S") || !strcasecmp(v, "sell") || !strcmp(v, "a"))
		*side = -1;
	else {
		snprintf(err, errlen, "%s:%llu: side: expected B/A/buy/sell (got \"%.20s\")",
			 c->path, (unsigned long long)c->lineno, v);
		return HAT_E_PARSE;
	}
	return 0;
}

static int check_order(const struct rpt_csv *c, int64_t prev, int64_t t, char *err, size_t errlen)
{
	if (t < prev) {
		snprintf(err, errlen, "%s:%llu: time_ms %lld is before the previous row's %lld "
			 "(rows must be in time order)", c->path, (unsigned long long)c->lineno,
			 (long long)t, (long long)prev);
		return HAT_E_PARSE;
	}
	return 0;
}

/* Insertion sorts by time: stable, and linear on the nearly sorted rows the exporters write
 * (mids of different coins carry exchange times that may interleave slightly). */
static void sort_fills(struct rpt_fill *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct rpt_fill x = a[i];
		size_t k = i;
		for (; k > 0 && a[k - 1].t_ms > x.t_ms; k--)
			a[k] = a[k - 1];
		a[k] = x;
	}
}

static void sort_mids(struct rpt_mid *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct rpt_mid x = a[i];
		size_t k = i;
		for (; k > 0 && a[k - 1].t_ms > x.t_ms; k--)
			a[k] = a[k - 1];
		a[k] = x;
	}
}

static void copy_coin(char *dst, const char *src)
{
	snprintf(dst, RPT_COIN_LEN, "%s", src);
}

/* Opens <dir>/<name>; a missing optional file is *present = false and 0. */
static int open_file(struct rpt_csv *c, const char *dir, const char *name, bool required,
		     bool *present, char *err, size_t errlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	*present = false;
	if (!required && access(path, F_OK) != 0)
		return 0;
	int rc = rpt_csv_open(c, path, err, errlen);
	if (rc == 0)
		*present = true;
	return rc;
}

static int load_fills(struct rpt_result *r, char *err, size_t errlen)
{
	static const char *const names[] = { "time_ms", "coin", "side", "px", "sz", "fee", "oid",
					     "tid", "crossed" };
	struct rpt_csv c;
	bool present;
	int cols[9], rc = open_file(&c, r->dir, "fills.csv", true, &present, err, errlen);
	if (rc < 0)
		return rc;
	size_t cap = 0;
	rc = rpt_csv_cols(&c, names, cols, 9, err, errlen);
	while (rc == 0 && (rc = rpt_csv_next(&c, err, errlen)) == 0) {
		if ((rc = grow((void **)&r->fills, r->n_fills, &cap, sizeof *r->fills)) < 0)
			break;
		struct rpt_fill *f = &r->fills[r->n_fills];
		memset(f, 0, sizeof *f);
		if ((rc = rpt_csv_i64(&c, cols[0], "time_ms", &f->t_ms, err, errlen)) ||
		    (rc = parse_side(&c, cols[2], &f->side, err, errlen)) ||
		    (rc = rpt_csv_dbl(&c, cols[3], "px", &f->px, err, errlen)) ||
		    (rc = rpt_csv_dbl(&c, cols[4], "sz", &f->sz, err, errlen)) ||
		    (rc = rpt_csv_dbl(&c, cols[5], "fee", &f->fee, err, errlen)) ||
		    (rc = rpt_csv_u64(&c, cols[6], "oid", &f->oid, err, errlen)) ||
		    (rc = rpt_csv_u64(&c, cols[7], "tid", &f->tid, err, errlen)))
			break;
		if (f->px <= 0 || f->sz <= 0) {
			snprintf(err, errlen, "%s:%llu: px and sz must be > 0", c.path,
				 (unsigned long long)c.lineno);
			rc = HAT_E_PARSE;
			break;
		}
		copy_coin(f->coin, rpt_csv_get(&c, cols[1]));
		f->maker = strcmp(rpt_csv_get(&c, cols[8]), "true") != 0 &&
			   strcmp(rpt_csv_get(&c, cols[8]), "1") != 0;
		r->n_fills++;
	}
	rpt_csv_close(&c);
	sort_fills(r->fills, r->n_fills);
	return rc == -ENODATA ? 0 : rc;
}

static int load_pnl(struct rpt_result *r, char *err, size_t errlen)
{
	static const char *const names[] = { "time_ms", "equity" };
	struct rpt_csv c;
	bool present;
	int cols[2], rc = open_file(&c, r->dir, "pnl.csv", true, &present, err, errlen);
	if (rc < 0)
		return rc;
	size_t cap = 0;
	int64_t prev = INT64_MIN;
	rc = rpt_csv_cols(&c, names, cols, 2, err, errlen);
	while (rc == 0 && (rc = rpt_csv_next(&c, err, errlen)) == 0) {
		if ((rc = grow((void **)&r->pnl, r->n_pnl, &cap, sizeof *r->pnl)) < 0)
			break;
		struct rpt_point *p = &r->pnl[r->n_pnl];
		if ((rc = rpt_csv_i64(&c, cols[0], "time_ms", &p->t_ms, err, errlen)) ||
		    (rc = check_order(&c, prev, p->t_ms, err, errlen)) ||
		    (rc = rpt_csv_dbl(&c, cols[1], "equity", &p->equity, err, errlen)))
			break;
		prev = p->t_ms;
		r->n_pnl++;
	}
	rpt_csv_close(&c);
	return rc == -ENODATA ? 0 : rc;
}

static int load_mids(struct rpt_result *r, char *err, size_t errlen)
{
	static const char *const names[] = { "time_ms", "coin", "mid" };
	struct rpt_csv c;
	int cols[3], rc = open_file(&c, r->dir, "mids.csv", false, &r->has_mids, err, errlen);
	if (rc < 0 || !r->has_mids)
		return rc;
	size_t cap = 0;
	rc = rpt_csv_cols(&c, names, cols, 3, err, errlen);
	while (rc == 0 && (rc = rpt_csv_next(&c, err, errlen)) == 0) {
		if ((rc = grow((void **)&r->mids, r->n_mids, &cap, sizeof *r->mids)) < 0)
			break;
		struct rpt_mid *m = &r->mids[r->n_mids];
		if ((rc = rpt_csv_i64(&c, cols[0], "time_ms", &m->t_ms, err, errlen)) ||
		    (rc = rpt_csv_dbl(&c, cols[2], "mid", &m->mid, err, errlen)))
			break;
		copy_coin(m->coin, rpt_csv_get(&c, cols[1]));
		r->n_mids++;
	}
	rpt_csv_close(&c);
	sort_mids(r->mids, r->n_mids);
	return rc == -ENODATA ? 0 : rc;
}

static int load_orders(struct rpt_result *r, char *err, size_t errlen)
{
	static const char *const names[] = { "time_ms", "action", "coin", "side", "px", "sz",
					     "oid" };
	struct rpt_csv c;
	int cols[7], rc = open_file(&c, r->dir, "orders.csv", false, &r->has_orders, err, errlen);
	if (rc < 0 || !r->has_orders)
		return rc;
	size_t cap = 0;
	rc = rpt_csv_cols(&c, names, cols, 7, err, errlen);
	while (rc == 0 && (rc = rpt_csv_next(&c, err, errlen)) == 0) {
		if ((rc = grow((void **)&r->orders, r->n_orders, &cap, sizeof *r->orders)) < 0)
			break;
		struct rpt_order *o = &r->orders[r->n_orders];
		memset(o, 0, sizeof *o);
		const char *a = rpt_csv_get(&c, cols[1]);
		o->action = !strcmp(a, "place") ? RPT_PLACE : !strcmp(a, "cancel") ? RPT_CANCEL :
			    !strcmp(a, "modify") ? RPT_MODIFY : 0;
		if (!o->action) {
			snprintf(err, errlen, "%s:%llu: action: expected place, cancel or modify "
				 "(got \"%.20s\")", c.path, (unsigned long long)c.lineno, a);
			rc = HAT_E_PARSE;
			break;
		}
		if ((rc = rpt_csv_i64(&c, cols[0], "time_ms", &o->t_ms, err, errlen)) ||
		    (rc = rpt_csv_u64(&c, cols[6], "oid", &o->oid, err, errlen)))
			break;
		if (o->action != RPT_CANCEL &&
		    ((rc = parse_side(&c, cols[3], &o->side, err, errlen)) ||
		     (rc = rpt_csv_dbl(&c, cols[4], "px", &o->px, err, errlen)) ||
		     (rc = rpt_csv_dbl(&c, cols[5], "sz", &o->sz, err, errlen))))
			break;
		copy_coin(o->coin, rpt_csv_get(&c, cols[2]));
		r->n_orders++;
	}
	rpt_csv_close(&c);
	return rc == -ENODATA ? 0 : rc;
}

static int load_rejects(struct rpt_result *r, char *err, size_t errlen)
{
	static const char *const names[] = { "time_ms", "coin", "reason" };
	struct rpt_csv c;
	int cols[3], rc = open_file(&c, r->dir, "rejects.csv", false, &r->has_rejects, err, errlen);
	if (rc < 0 || !r->has_rejects)
		return rc;
	size_t cap = 0;
	rc = rpt_csv_cols(&c, names, cols, 3, err, errlen);
	while (rc == 0 && (rc = rpt_csv_next(&c, err, errlen)) == 0) {
		if ((rc = grow((void **)&r->rejects, r->n_rejects, &cap, sizeof *r->rejects)) < 0)
			break;
		struct rpt_reject *x = &r->rejects[r->n_rejects];
		if ((rc = rpt_csv_i64(&c, cols[0], "time_ms", &x->t_ms, err, errlen)))
			break;
		copy_coin(x->coin, rpt_csv_get(&c, cols[1]));
		snprintf(x->reason, sizeof x->reason, "%s", rpt_csv_get(&c, cols[2]));
		r->n_rejects++;
	}
	rpt_csv_close(&c);
	return rc == -ENODATA ? 0 : rc;
}

static int load_meta(struct rpt_result *r, char *err, size_t errlen)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/meta.json", r->dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	char buf[65536];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	cJSON *j = cJSON_Parse(buf);
	if (!j || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		snprintf(err, errlen, "%s: not a JSON object", path);
		return HAT_E_PARSE;
	}
	const cJSON *x;
	if ((x = cJSON_GetObjectItemCaseSensitive(j, "title")) && cJSON_IsString(x))
		snprintf(r->title, sizeof r->title, "%s", x->valuestring);
	if ((x = cJSON_GetObjectItemCaseSensitive(j, "journal")) && cJSON_IsString(x))
		snprintf(r->journal, sizeof r->journal, "%s", x->valuestring);
	if ((x = cJSON_GetObjectItemCaseSensitive(j, "config")) && cJSON_IsString(x))
		snprintf(r->config, sizeof r->config, "%s", x->valuestring);
	int rc = 0;
	if ((x = cJSON_GetObjectItemCaseSensitive(j, "sample_ms"))) {
		if (!cJSON_IsNumber(x) || x->valuedouble < 1 || x->valuedouble > 86400000.0) {
			snprintf(err, errlen, "%s: sample_ms: must be a number of ms in "
				 "[1, 86400000]", path);
			rc = HAT_E_PARSE;
		} else {
			r->sample_ms = (int64_t)x->valuedouble;
		}
	}
	cJSON_Delete(j);
	return rc;
}

int rpt_result_load(struct rpt_result *r, const char *dir, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	snprintf(r->dir, sizeof r->dir, "%s", dir);
	const char *base = strrchr(dir, '/');
	snprintf(r->title, sizeof r->title, "%s", base && base[1] ? base + 1 : dir);
	r->sample_ms = 1000;
	int rc;
	if ((rc = load_meta(r, err, errlen)) || (rc = load_fills(r, err, errlen)) ||
	    (rc = load_pnl(r, err, errlen)) || (rc = load_mids(r, err, errlen)) ||
	    (rc = load_orders(r, err, errlen)) || (rc = load_rejects(r, err, errlen))) {
		rpt_result_free(r);
		return rc;
	}
	return 0;
}

void rpt_result_free(struct rpt_result *r)
{
	free(r->fills);
	free(r->orders);
	free(r->pnl);
	free(r->mids);
	free(r->rejects);
	r->fills = NULL, r->orders = NULL, r->pnl = NULL, r->mids = NULL, r->rejects = NULL;
	r->n_fills = r->n_orders = r->n_pnl = r->n_mids = r->n_rejects = 0;
}

void rpt_result_session(const struct rpt_result *r, struct rpt_session *s)
{
	memset(s, 0, sizeof *s);
	s->fills = r->fills, s->n_fills = r->n_fills;
	s->mids = r->mids, s->n_mids = r->n_mids;
	s->orders = r->orders, s->n_orders = r->n_orders;
	s->rejects = r->rejects, s->n_rejects = r->n_rejects;
	s->pnl = r->pnl, s->n_pnl = r->n_pnl;
	s->sample_ms = r->sample_ms;
}
