/* tools/hlsim/book.c -- price-time order book and the oid index. */
#include "tools/hlsim/book.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"

/* ------------------------------------------------------------------ oid map */

#define OID_DELETED UINT64_MAX

static size_t oid_hash(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k & (cap - 1);
}

int hlsim_oidmap_init(struct hlsim_oidmap *m)
{
	memset(m, 0, sizeof *m);
	m->cap = 1024;
	m->keys = calloc(m->cap, sizeof *m->keys);
	m->vals = calloc(m->cap, sizeof *m->vals);
	if (!m->keys || !m->vals) {
		hlsim_oidmap_deinit(m);
		return -ENOMEM;
	}
	return 0;
}

void hlsim_oidmap_deinit(struct hlsim_oidmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

static int oid_grow(struct hlsim_oidmap *m)
{
	size_t ncap = m->live * 4 > m->cap ? m->cap * 2 : m->cap;
	uint64_t *nk = calloc(ncap, sizeof *nk);
	struct hlsim_order **nv = calloc(ncap, sizeof *nv);
	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i] == 0 || m->keys[i] == OID_DELETED)
			continue;
		size_t j = oid_hash(m->keys[i], ncap);
		while (nk[j])
			j = (j + 1) & (ncap - 1);
		nk[j] = m->keys[i];
		nv[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = nk;
	m->vals = nv;
	m->cap = ncap;
	m->used = m->live;
	return 0;
}

int hlsim_oidmap_put(struct hlsim_oidmap *m, struct hlsim_order *o)
{
	if ((m->used + 1) * 2 > m->cap) {
		int rc = oid_grow(m);
		if (rc)
			return rc;
	}
	size_t j = oid_hash(o->oid, m->cap);
	while (m->keys[j] != 0 && m->keys[j] != OID_DELETED)
		j = (j + 1) & (m->cap - 1);
	if (m->keys[j] == 0)
		m->used++;
	m->keys[j] = o->oid;
	m->vals[j] = o;
	m->live++;
	return 0;
}

static size_t oid_find(const struct hlsim_oidmap *m, uint64_t oid)
{
	if (oid == 0 || oid == OID_DELETED)
		return SIZE_MAX;
	size_t j = oid_hash(oid, m->cap);
	while (m->keys[j] != 0) {
		if (m->keys[j] == oid)
			return j;
		j = (j + 1) & (m->cap - 1);
	}
	return SIZE_MAX;
}

struct hlsim_order *hlsim_oidmap_get(const struct hlsim_oidmap *m, uint64_t oid)
{
	size_t j = oid_find(m, oid);
	return j == SIZE_MAX ? NULL : m->vals[j];
}

void hlsim_oidmap_del(struct hlsim_oidmap *m, uint64_t oid)
{
	size_t j = oid_find(m, oid);
	if (j == SIZE_MAX)
		return;
	m->keys[j] = OID_DELETED;
	m->vals[j] = NULL;
	m->live--;
}

/* ------------------------------------------------------------------ sides */

void hlsim_book_init(struct hlsim_book *b)
{
	memset(b, 0, sizeof *b);
}

void hlsim_book_deinit(struct hlsim_book *b)
{
	free(b->bids.v);
	free(b->asks.v);
	free(b->triggers.v);
	memset(b, 0, sizeof *b);
}

static int side_reserve(struct hlsim_side *s)
{
	if (s->n < s->cap)
		return 0;
	size_t ncap = s->cap ? s->cap * 2 : 64;
	struct hlsim_order **p = realloc(s->v, ncap * sizeof *p);
	if (!p)
		return -ENOMEM;
	s->v = p;
	s->cap = ncap;
	return 0;
}

/* True when a should sit before (further from best than) b in the array. */
static bool sits_before(const struct hlsim_order *a, const struct hlsim_order *b, bool bids)
{
	if (a->px != b->px)
		return bids ? a->px < b->px : a->px > b->px;
	return a->seq > b->seq; /* newer further from the end */
}

int hlsim_book_insert(struct hlsim_book *b, struct hlsim_order *o)
{
	struct hlsim_side *s = o->is_buy ? &b->bids : &b->asks;
	if (side_reserve(s))
		return -ENOMEM;
	/* first index whose order does not sit before o: o goes there */
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (sits_before(s->v[mid], o, o->is_buy))
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&s->v[lo + 1], &s->v[lo], (s->n - lo) * sizeof *s->v);
	s->v[lo] = o;
	s->n++;
	return 0;
}

static int side_remove(struct hlsim_side *s, const struct hlsim_order *o, bool sorted, bool bids)
{
	size_t i;
	if (sorted) {
		size_t lo = 0, hi = s->n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (s->v[mid] != o && sits_before(s->v[mid], o, bids))
				lo = mid + 1;
			else
				hi = mid;
		}
		i = lo;
		if (i >= s->n || s->v[i] != o)
			return -ENOENT;
	} else {
		for (i = 0; i < s->n && s->v[i] != o; i++)
			;
		if (i == s->n)
			return -ENOENT;
	}
	memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
	s->n--;
	return 0;
}

int hlsim_book_remove(struct hlsim_book *b, struct hlsim_order *o)
{
	if (o->is_trigger && !o->triggered)
		return side_remove(&b->triggers, o, false, false);
	return side_remove(o->is_buy ? &b->bids : &b->asks, o, true, o->is_buy);
}

struct hlsim_order *hlsim_book_best(const struct hlsim_book *b, bool bids)
{
	const struct hlsim_side *s = bids ? &b->bids : &b->asks;
	return s->n ? s->v[s->n - 1] : NULL;
}

int hlsim_book_add_trigger(struct hlsim_book *b, struct hlsim_order *o)
{
	if (side_reserve(&b->triggers))
		return -ENOMEM;
	b->triggers.v[b->triggers.n++] = o;
	return 0;
}

/* ------------------------------------------------------------------ aggregation */

static const int64_t POW10[] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
	1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
	100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
	1000000000000000000LL,
};

int64_t hlsim_book_bucket(int64_t px, bool bids, int nsig, int mantissa)
{
	if (nsig <= 0 || px <= 0)
		return px;
	int digits = 0;
	for (int64_t v = px; v; v /= 10)
		digits++;
	int drop = digits - nsig;
	if (drop <= 0)
		return px;
	int64_t unit = POW10[drop];
	if (nsig == 5 && mantissa > 1)
		unit *= mantissa;
	int64_t q = px / unit * unit;
	if (!bids && q != px)
		q += unit;
	return q;
}

size_t hlsim_book_levels(const struct hlsim_book *b, bool bids, int nsig, int mantissa,
			 struct hlsim_level *out, size_t max)
{
	const struct hlsim_side *s = bids ? &b->bids : &b->asks;
	size_t k = 0;
	for (size_t i = s->n; i-- > 0;) {
		const struct hlsim_order *o = s->v[i];
		int64_t px = hlsim_book_bucket(o->px, bids, nsig, mantissa);
		if (k > 0 && out[k - 1].px == px) {
			out[k - 1].sz += o->sz;
			out[k - 1].n++;
			continue;
		}
		if (k == max)
			break;
		out[k++] = (struct hlsim_level){ px, o->sz, 1 };
	}
	return k;
}

bool hlsim_book_check(const struct hlsim_book *b)
{
	for (int side = 0; side < 2; side++) {
		const struct hlsim_side *s = side ? &b->bids : &b->asks;
		for (size_t i = 0; i + 1 < s->n; i++)
			if (!sits_before(s->v[i], s->v[i + 1], side == 1))
				return false;
		for (size_t i = 0; i < s->n; i++)
			if (s->v[i]->sz <= 0 || s->v[i]->is_buy != (side == 1))
				return false;
	}
	const struct hlsim_order *bb = hlsim_book_best(b, true), *ba = hlsim_book_best(b, false);
	return !(bb && ba && bb->px >= ba->px);
}
