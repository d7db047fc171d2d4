/* signald/quote.c -- working orders of one coin and the intents that move them. */
#include "signald/quote.h"
#include "common/msg.h"

#include <math.h>
#include <string.h>

void sig_quoter_params_default(struct sig_quoter_params *p)
{
	p->max_working = 8;
	p->requote_bps = 2.0;
	p->resize_frac = 0.25;
	p->pending_timeout_ns = 5000000000ull;
	p->use_replace = true;
}

void sig_quoter_init(struct sig_quoter *q, const char *coin, uint32_t asset, int sz_decimals,
		     uint16_t strategy_id, const struct sig_quoter_params *p, uint64_t boot_epoch,
		     sig_emit_fn emit, void *emit_user)
{
	memset(q, 0, sizeof *q);
	strncpy(q->coin, coin, HAT_COIN_LEN - 1);
	q->asset = asset;
	q->sz_decimals = sz_decimals;
	q->strategy_id = strategy_id;
	q->p = *p;
	if (q->p.max_working > SIG_MAX_WORKING)
		q->p.max_working = SIG_MAX_WORKING;
	q->boot_epoch = boot_epoch;
	q->emit = emit;
	q->emit_user = emit_user;
}

static void put_be(uint8_t *dst, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		dst[i] = (uint8_t)v;
}

void sig_quoter_peek_cloid(const struct sig_quoter *q, uint8_t out[HAT_CLOID_LEN])
{
	put_be(out, q->boot_epoch, 8);
	put_be(out + 8, q->strategy_id, 2);
	put_be(out + 10, q->counter & 0xffffffffffffull, 6);
}

static void next_cloid(struct sig_quoter *q, uint8_t out[HAT_CLOID_LEN])
{
	sig_quoter_peek_cloid(q, out);
	q->counter++;
}

static void emit_intent(struct sig_quoter *q, uint8_t kind, const struct sig_working *w,
			const uint8_t *cloid, const uint8_t *orig, int64_t px, int64_t sz,
			uint8_t extra_flags)
{
	struct hat_msg_intent in;
	hat_msg_init(&in.h, HAT_MSG_INTENT);
	in.h.origin_ns = q->origin_ns;
	memcpy(in.o.cloid, cloid, HAT_CLOID_LEN);
	if (orig)
		memcpy(in.o.orig_cloid, orig, HAT_CLOID_LEN);
	memcpy(in.o.coin, q->coin, HAT_COIN_LEN);
	in.o.asset = q->asset;
	in.o.kind = kind;
	in.o.side = w->side;
	in.o.tif = w->tif;
	in.o.flags = (uint8_t)((w->tif == HAT_TIF_ALO ? HAT_OF_POST_ONLY : 0) | extra_flags);
	in.o.strategy_id = q->strategy_id;
	if (kind != HAT_INTENT_CANCEL) {
		in.o.px = px;
		in.o.sz = sz;
	}
	q->emit(q->emit_user, &in);
}

static struct sig_working *free_slot(struct sig_quoter *q)
{
	if (sig_quoter_count(q) >= q->p.max_working)
		return NULL;
	for (int i = 0; i < SIG_MAX_WORKING; i++)
		if (q->wo[i].state == SIG_WO_EMPTY)
			return &q->wo[i];
	return NULL;
}

static int place(struct sig_quoter *q, enum hat_side side, int level, uint8_t tif, int64_t px,
		 int64_t sz, uint64_t now_ns, uint8_t extra_flags)
{
	struct sig_working *w = free_slot(q);
	if (!w)
		return 0;
	memset(w, 0, sizeof *w);
	w->state = SIG_WO_PENDING_NEW;
	w->side = (uint8_t)side;
	w->level = (uint8_t)level;
	w->tif = tif;
	w->px = px;
	w->sz = w->remaining = sz;
	w->sent_ns = now_ns;
	next_cloid(q, w->cloid);
	emit_intent(q, HAT_INTENT_NEW, w, w->cloid, NULL, px, sz, extra_flags);
	q->n_new++;
	return 1;
}

static int cancel(struct sig_quoter *q, struct sig_working *w, uint64_t now_ns)
{
	w->state = SIG_WO_PENDING_CANCEL;
	w->sent_ns = now_ns;
	emit_intent(q, HAT_INTENT_CANCEL, w, w->cloid, NULL, 0, 0, 0);
	q->n_cancel++;
	return 1;
}

static bool close_enough(const struct sig_quoter *q, const struct sig_working *w,
			 const struct sig_quote *t)
{
	double tol_px = fabs((double)t->px) * q->p.requote_bps / 1e4;
	double tol_sz = fabs((double)t->sz) * q->p.resize_frac;
	return fabs((double)(w->px - t->px)) <= tol_px && fabs((double)(w->remaining - t->sz)) <= tol_sz;
}

static struct sig_working *find_level(struct sig_quoter *q, uint8_t side, int level)
{
	for (int i = 0; i < SIG_MAX_WORKING; i++) {
		struct sig_working *w = &q->wo[i];
		if (w->state != SIG_WO_EMPTY && w->tif == HAT_TIF_ALO && w->side == side && w->level == level)
			return w;
	}
	return NULL;
}

static int retire_stuck(struct sig_quoter *q, uint64_t now_ns)
{
	int n = 0;
	for (int i = 0; i < SIG_MAX_WORKING; i++) {
		struct sig_working *w = &q->wo[i];
		bool pending = w->state == SIG_WO_PENDING_NEW || w->state == SIG_WO_PENDING_CANCEL ||
			       w->state == SIG_WO_PENDING_REPLACE;
		if (!pending || now_ns - w->sent_ns <= q->p.pending_timeout_ns)
			continue;
		/* No answer in time: ask for a cancel of the id we know is (or may be) live. The
		 * quoter keeps the slot until riskd or execd says what became of it. */
		n += cancel(q, w, now_ns);
	}
	return n;
}

static int converge_side(struct sig_quoter *q, uint8_t side, const struct sig_quote *tq, int nt,
			 uint64_t now_ns)
{
	int n = 0;
	/* Extra orders first, so their slots free up for the levels still wanted. */
	for (int i = 0; i < SIG_MAX_WORKING; i++) {
		struct sig_working *w = &q->wo[i];
		if (w->state != SIG_WO_LIVE || w->tif != HAT_TIF_ALO || w->side != side)
			continue;
		if (w->level >= nt || tq[w->level].sz <= 0)
			n += cancel(q, w, now_ns);
	}
	for (int l = 0; l < nt; l++) {
		const struct sig_quote *t = &tq[l];
		if (t->sz <= 0 || t->px <= 0)
			continue;
		struct sig_working *w = find_level(q, side, l);
		if (!w) {
			n += place(q, side, l, HAT_TIF_ALO, t->px, t->sz, now_ns, 0);
			continue;
		}
		if (w->state != SIG_WO_LIVE)
			continue; /* an intent for it is unanswered: never stack another */
		if (close_enough(q, w, t)) {
			q->n_kept++;
			continue;
		}
		if (q->p.use_replace) {
			w->state = SIG_WO_PENDING_REPLACE;
			w->sent_ns = now_ns;
			w->new_px = t->px;
			w->new_sz = t->sz;
			next_cloid(q, w->new_cloid);
			emit_intent(q, HAT_INTENT_REPLACE, w, w->new_cloid, w->cloid, t->px, t->sz, 0);
			q->n_replace++;
			n++;
		} else {
			n += cancel(q, w, now_ns);
		}
	}
	return n;
}

int sig_quoter_set_target(struct sig_quoter *q, const struct sig_target *t, uint64_t now_ns)
{
	int n = retire_stuck(q, now_ns);
	n += converge_side(q, HAT_SIDE_BUY, t->bids, t->n_bids > SIG_MAX_LEVELS ? SIG_MAX_LEVELS : t->n_bids, now_ns);
	n += converge_side(q, HAT_SIDE_SELL, t->asks, t->n_asks > SIG_MAX_LEVELS ? SIG_MAX_LEVELS : t->n_asks, now_ns);
	return n;
}

int sig_quoter_cancel_all(struct sig_quoter *q, uint64_t now_ns)
{
	int n = 0;
	for (int i = 0; i < SIG_MAX_WORKING; i++) {
		struct sig_working *w = &q->wo[i];
		if (w->state == SIG_WO_LIVE || w->state == SIG_WO_PENDING_NEW ||
		    w->state == SIG_WO_PENDING_REPLACE)
			n += cancel(q, w, now_ns);
	}
	return n;
}

int sig_quoter_send_ioc(struct sig_quoter *q, enum hat_side side, int64_t px, int64_t sz,
			bool reduce_only, uint64_t now_ns)
{
	int n = place(q, side, 0xff, HAT_TIF_IOC, px, sz, now_ns, reduce_only ? HAT_OF_REDUCE_ONLY : 0);
	q->n_ioc += (uint64_t)n;
	return n;
}

static struct sig_working *find_cloid(struct sig_quoter *q, const uint8_t *cloid, bool *is_new)
{
	for (int i = 0; i < SIG_MAX_WORKING; i++) {
		struct sig_working *w = &q->wo[i];
		if (w->state == SIG_WO_EMPTY)
			continue;
		if (memcmp(w->cloid, cloid, HAT_CLOID_LEN) == 0) {
			*is_new = false;
			return w;
		}
		if (w->state == SIG_WO_PENDING_REPLACE && memcmp(w->new_cloid, cloid, HAT_CLOID_LEN) == 0) {
			*is_new = true;
			return w;
		}
	}
	return NULL;
}

static void adopt(struct sig_quoter *q, const struct hat_msg_exec *e)
{
	struct sig_working *w = NULL;
	for (int i = 0; i < SIG_MAX_WORKING && !w; i++)
		if (q->wo[i].state == SIG_WO_EMPTY)
			w = &q->wo[i];
	if (!w) {
		q->n_unknown_events++;
		return;
	}
	/* The lowest ladder level not yet taken on that side; the next set_target fixes price. */
	int level = 0;
	while (level < SIG_MAX_LEVELS && find_level(q, e->side, level))
		level++;
	memset(w, 0, sizeof *w);
	w->state = SIG_WO_LIVE;
	w->side = e->side;
	w->level = (uint8_t)level;
	w->tif = HAT_TIF_ALO;
	memcpy(w->cloid, e->cloid, HAT_CLOID_LEN);
	w->px = e->px;
	w->sz = e->sz;
	w->remaining = e->remaining_sz;
}

static void finish_replace(struct sig_working *w, const struct hat_msg_exec *e)
{
	memcpy(w->cloid, w->new_cloid, HAT_CLOID_LEN);
	memset(w->new_cloid, 0, HAT_CLOID_LEN);
	w->px = w->new_px;
	w->sz = w->new_sz;
	w->remaining = e->remaining_sz > 0 ? e->remaining_sz : w->new_sz;
	w->state = SIG_WO_LIVE;
}

void sig_quoter_on_exec(struct sig_quoter *q, const struct hat_msg_exec *e)
{
	bool is_new = false;
	struct sig_working *w = find_cloid(q, e->cloid, &is_new);
	if (!w && e->kind == HAT_EXEC_REPLACED)
		w = find_cloid(q, e->orig_cloid, &is_new), is_new = true;
	if (!w) {
		if (e->kind == HAT_EXEC_OPEN_ORDER && (e->flags & HAT_EXEC_F_SNAPSHOT))
			adopt(q, e);
		else
			q->n_unknown_events++;
		return;
	}
	switch (e->kind) {
	case HAT_EXEC_ACK:
		if (w->state == SIG_WO_PENDING_NEW) {
			w->state = SIG_WO_LIVE;
			if (e->remaining_sz > 0)
				w->remaining = e->remaining_sz;
		} else if (is_new) {
			finish_replace(w, e);
		}
		break;
	case HAT_EXEC_REPLACED:
		if (w->state == SIG_WO_PENDING_REPLACE)
			finish_replace(w, e);
		break;
	case HAT_EXEC_OPEN_ORDER:
		if (w->state == SIG_WO_PENDING_NEW)
			w->state = SIG_WO_LIVE;
		w->remaining = e->remaining_sz;
		break;
	case HAT_EXEC_REJECT:
		q->n_rejects++;
		if (is_new && e->reason != HAT_REASON_EXCH_UNKNOWN_ORDER) {
			/* The modify was refused but the original order still rests. */
			memset(w->new_cloid, 0, HAT_CLOID_LEN);
			w->state = SIG_WO_LIVE;
		} else if (w->state == SIG_WO_PENDING_CANCEL && !is_new) {
			w->state = SIG_WO_LIVE; /* the cancel itself was refused by risk */
		} else {
			w->state = SIG_WO_EMPTY;
		}
		break;
	case HAT_EXEC_CANCEL_REJECT:
		/* "never placed, already canceled, or filled": nothing of it rests any more. */
		w->state = SIG_WO_EMPTY;
		break;
	case HAT_EXEC_FILL:
		q->n_fills++;
		if (is_new)
			finish_replace(w, e);
		w->remaining = e->remaining_sz;
		if (e->remaining_sz <= 0 || (e->flags & HAT_EXEC_F_FINAL))
			w->state = SIG_WO_EMPTY;
		break;
	case HAT_EXEC_CANCELED:
		w->state = SIG_WO_EMPTY;
		break;
	default:
		q->n_unknown_events++;
	}
}

int sig_quoter_count(const struct sig_quoter *q)
{
	int n = 0;
	for (int i = 0; i < SIG_MAX_WORKING; i++)
		n += q->wo[i].state != SIG_WO_EMPTY;
	return n;
}

int sig_quoter_count_side(const struct sig_quoter *q, enum hat_side side)
{
	int n = 0;
	for (int i = 0; i < SIG_MAX_WORKING; i++)
		n += q->wo[i].state != SIG_WO_EMPTY && q->wo[i].side == side;
	return n;
}

bool sig_quoter_check(const struct sig_quoter *q)
{
	if (sig_quoter_count(q) > SIG_MAX_WORKING)
		return false;
	for (int i = 0; i < SIG_MAX_WORKING; i++) {
		const struct sig_working *w = &q->wo[i];
		if (w->state > SIG_WO_PENDING_REPLACE)
			return false;
		if (w->state != SIG_WO_EMPTY && w->side != HAT_SIDE_BUY && w->side != HAT_SIDE_SELL)
			return false;
	}
	return true;
}
