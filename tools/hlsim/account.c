/* tools/hlsim/account.c -- positions, PnL, fees and margin of a simulated account. */
#include "tools/hlsim/account.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "common/fixed.h"

static int64_t llabs64(int64_t v) { return v < 0 ? -v : v; }

/* a * b / HAT_FX_ONE toward zero, saturating (values here are far from the limits). */
static int64_t mulfx(int64_t a, int64_t b)
{
	__int128 r = (__int128)a * b / HAT_FX_ONE;
	if (r > INT64_MAX)
		return INT64_MAX;
	if (r < -INT64_MAX)
		return -INT64_MAX;
	return (int64_t)r;
}

struct hlsim_account *hlsim_account_new(const struct hlsim_config *c, const uint8_t address[20],
					int64_t usdc)
{
	struct hlsim_account *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	memcpy(a->address, address, 20);
	a->usdc = usdc;
	for (size_t i = 0; i < c->n_coins; i++)
		a->pos[i].leverage = c->coins[i].max_leverage < 20 ? c->coins[i].max_leverage : 20;
	return a;
}

void hlsim_account_free(struct hlsim_account *a)
{
	if (!a)
		return;
	free(a->fills);
	free(a->done);
	free(a);
}

int64_t hlsim_fee(int64_t px, int64_t sz, int64_t rate)
{
	__int128 r = (__int128)px * sz / HAT_FX_ONE * rate / HAT_FX_ONE;
	return (int64_t)r;
}

void hlsim_account_apply_fill(struct hlsim_account *a, uint32_t coin, bool is_buy, int64_t px,
			      int64_t sz, int64_t fee, struct hlsim_fill_math *r)
{
	struct hlsim_position *p = &a->pos[coin];
	int64_t signed_sz = is_buy ? sz : -sz;
	int64_t ntl = mulfx(px, sz);
	r->start_pos = p->szi;
	r->closed_pnl = 0;
	if (p->szi == 0 || (p->szi > 0) == is_buy) {
		/* open or increase: average the entry */
		p->szi += signed_sz;
		p->entry_ntl += ntl;
		r->dir = is_buy ? HLSIM_DIR_OPEN_LONG : HLSIM_DIR_OPEN_SHORT;
	} else {
		int64_t abs_pos = llabs64(p->szi);
		int64_t closed = sz < abs_pos ? sz : abs_pos;
		/* the closed part's share of the entry notional */
		int64_t basis = (int64_t)((__int128)p->entry_ntl * closed / abs_pos);
		int64_t exit_ntl = mulfx(px, closed);
		r->closed_pnl = p->szi > 0 ? exit_ntl - basis : basis - exit_ntl;
		p->entry_ntl -= basis;
		p->szi += is_buy ? closed : -closed;
		int64_t rest = sz - closed;
		if (rest > 0) {
			p->szi = is_buy ? rest : -rest;
			p->entry_ntl = mulfx(px, rest);
			r->dir = is_buy ? HLSIM_DIR_SHORT_TO_LONG : HLSIM_DIR_LONG_TO_SHORT;
		} else {
			r->dir = is_buy ? HLSIM_DIR_CLOSE_SHORT : HLSIM_DIR_CLOSE_LONG;
		}
		if (p->szi == 0)
			p->entry_ntl = 0;
	}
	a->usdc += r->closed_pnl - fee;
	a->cum_vlm += ntl;
}

int64_t hlsim_position_entry_px(const struct hlsim_position *p)
{
	if (p->szi == 0)
		return 0;
	return (int64_t)((__int128)p->entry_ntl * HAT_FX_ONE / llabs64(p->szi));
}

int64_t hlsim_position_upnl(const struct hlsim_position *p, int64_t mark)
{
	if (p->szi == 0)
		return 0;
	int64_t value = mulfx(mark, llabs64(p->szi));
	return p->szi > 0 ? value - p->entry_ntl : p->entry_ntl - value;
}

int64_t hlsim_account_value(const struct hlsim_account *a, const int64_t *marks, size_t n)
{
	int64_t v = a->usdc;
	for (size_t i = 0; i < n; i++)
		v += hlsim_position_upnl(&a->pos[i], marks[i]);
	return v;
}

int64_t hlsim_account_ntl_pos(const struct hlsim_account *a, const int64_t *marks, size_t n)
{
	int64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v += mulfx(marks[i], llabs64(a->pos[i].szi));
	return v;
}

int64_t hlsim_account_pos_margin(const struct hlsim_account *a, const int64_t *marks, size_t n)
{
	int64_t v = 0;
	for (size_t i = 0; i < n; i++)
		if (a->pos[i].szi)
			v += mulfx(marks[i], llabs64(a->pos[i].szi)) / a->pos[i].leverage;
	return v;
}

int64_t hlsim_account_order_margin(const struct hlsim_account *a)
{
	int64_t v = 0;
	for (const struct hlsim_order *o = a->orders; o; o = o->acct_next)
		if (!o->reduce_only && !(o->is_trigger && !o->triggered))
			v += mulfx(o->px, o->sz) / a->pos[o->coin].leverage;
	return v;
}

int64_t hlsim_account_new_order_margin(const struct hlsim_account *a, uint32_t coin,
				       bool is_buy, int64_t px, int64_t sz)
{
	const struct hlsim_position *p = &a->pos[coin];
	int64_t reducible = (p->szi != 0 && (p->szi > 0) != is_buy) ? llabs64(p->szi) : 0;
	int64_t inc = sz > reducible ? sz - reducible : 0;
	return mulfx(px, inc) / p->leverage;
}

void hlsim_account_link(struct hlsim_account *a, struct hlsim_order *o)
{
	o->acct_prev = NULL;
	o->acct_next = a->orders;
	if (a->orders)
		a->orders->acct_prev = o;
	a->orders = o;
	a->n_orders++;
}

void hlsim_account_unlink(struct hlsim_account *a, struct hlsim_order *o)
{
	if (o->acct_prev)
		o->acct_prev->acct_next = o->acct_next;
	else
		a->orders = o->acct_next;
	if (o->acct_next)
		o->acct_next->acct_prev = o->acct_prev;
	o->acct_prev = o->acct_next = NULL;
	a->n_orders--;
}

int hlsim_account_add_fill(struct hlsim_account *a, const struct hlsim_fill *f)
{
	if (!a->fills && !(a->fills = calloc(HLSIM_FILLS_KEEP, sizeof *a->fills)))
		return -ENOMEM;
	a->fills[a->n_fills % HLSIM_FILLS_KEEP] = *f;
	a->n_fills++;
	return 0;
}

const struct hlsim_fill *hlsim_account_fill(const struct hlsim_account *a, uint64_t i)
{
	if (i >= a->n_fills || i >= HLSIM_FILLS_KEEP)
		return NULL;
	return &a->fills[(a->n_fills - 1 - i) % HLSIM_FILLS_KEEP];
}

int hlsim_account_add_done(struct hlsim_account *a, const struct hlsim_order *o,
			   const char *status, uint64_t now_ms)
{
	if (!a->done && !(a->done = calloc(HLSIM_DONE_KEEP, sizeof *a->done)))
		return -ENOMEM;
	struct hlsim_done *d = &a->done[a->n_done % HLSIM_DONE_KEEP];
	d->o = *o;
	d->o.acct_prev = d->o.acct_next = NULL;
	snprintf(d->status, sizeof d->status, "%s", status);
	d->status_ms = now_ms;
	a->n_done++;
	return 0;
}

const struct hlsim_done *hlsim_account_find_done(const struct hlsim_account *a, uint64_t oid,
						 const uint8_t *cloid)
{
	uint64_t n = a->n_done < HLSIM_DONE_KEEP ? a->n_done : HLSIM_DONE_KEEP;
	for (uint64_t i = 0; i < n; i++) {
		const struct hlsim_done *d = &a->done[(a->n_done - 1 - i) % HLSIM_DONE_KEEP];
		if (cloid ? (d->o.has_cloid && memcmp(d->o.cloid, cloid, 16) == 0)
			  : d->o.oid == oid)
			return d;
	}
	return NULL;
}

const char *hlsim_dir_name(enum hlsim_dir d)
{
	static const char *const names[] = { "Open Long", "Close Long", "Open Short",
					     "Close Short", "Long > Short", "Short > Long" };
	return (unsigned)d < 6 ? names[d] : "Unknown";
}
