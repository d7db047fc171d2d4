/* execd/positions.c -- positions per coin from fills and clearinghouseState. */
#include "execd/daemon_int.h"

#include <string.h>

struct execd_pos *execd__pos_find(struct execd *d, const char *coin, bool create)
{
	for (uint32_t i = 0; i < d->n_pos; i++)
		if (strncmp(d->pos[i].coin, coin, HAT_COIN_LEN) == 0)
			return &d->pos[i];
	if (!create || d->n_pos == EXECD_MAX_POS)
		return NULL;
	struct execd_pos *p = &d->pos[d->n_pos++];
	memset(p, 0, sizeof *p);
	memcpy(p->coin, coin, strnlen(coin, HAT_COIN_LEN - 1));
	const struct hl_coin *c = d->meta_ok ? hl_meta_find(&d->meta, p->coin) : NULL;
	p->asset = c ? c->asset : 0;
	return p;
}

/* Today's realized PnL and fees per coin, from each fill counted (fills.c, resync.c): the
 * snapshot gives them to riskd, whose day PnL must survive an execd restart. */
void execd__pos_roll_day(struct execd *d, uint64_t now_ms)
{
	uint64_t day = now_ms / HAT_MS_PER_DAY;
	if (day <= d->pos_day)
		return;
	if (d->pos_day != 0)
		for (uint32_t i = 0; i < d->n_pos; i++)
			d->pos[i].realized = d->pos[i].fees = 0;
	d->pos_day = day;
}

void execd__pos_account(struct execd *d, const struct hl_fill *f)
{
	uint64_t now = now_ms();
	execd__pos_roll_day(d, now);
	uint64_t day_start = now / HAT_MS_PER_DAY * HAT_MS_PER_DAY;
	struct execd_pos *p = execd__pos_find(d, f->coin, true);
	if (!p || f->time_ms < day_start)
		return;
	p->realized += f->closed_pnl;
	p->fees += f->fee;
	if (f->time_ms > p->time_ms)
		p->time_ms = f->time_ms;
}

void execd__pos_apply_fill(struct execd *d, const struct hl_fill *f)
{
	struct execd_pos *p = execd__pos_find(d, f->coin, true);
	if (!p)
		return;
	int64_t before = p->szi;
	p->szi += f->side == HAT_SIDE_BUY ? f->sz : -f->sz;
	execd__pos_account(d, f);
	if (p->szi == 0)
		p->entry_px = 0;
	else if (before == 0 || (before > 0) != (p->szi > 0))
		p->entry_px = f->px;
}
