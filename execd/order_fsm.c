/* execd/order_fsm.c -- order lifecycle per cloid, indexed by cloid and exchange oid. */
#include "execd/order_fsm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"

#define CAP_MAX (1u << 24)

/* ---------------------------------------------------------------- states */

static const char *const state_names[EXEC_OS_COUNT] = {
	[EXEC_OS_FREE] = "FREE",
	[EXEC_OS_PENDING_NEW] = "PENDING_NEW",
	[EXEC_OS_RESTING] = "RESTING",
	[EXEC_OS_PARTIALLY_FILLED] = "PARTIALLY_FILLED",
	[EXEC_OS_PENDING_CANCEL] = "PENDING_CANCEL",
	[EXEC_OS_PENDING_MODIFY] = "PENDING_MODIFY",
	[EXEC_OS_FILLED] = "FILLED",
	[EXEC_OS_CANCELED] = "CANCELED",
	[EXEC_OS_REJECTED] = "REJECTED",
	[EXEC_OS_REPLACED] = "REPLACED",
};

const char *exec_ord_state_name(unsigned st)
{
	return st < EXEC_OS_COUNT ? state_names[st] : "?";
}

bool exec_ord_state_terminal(unsigned st)
{
	return st == EXEC_OS_FILLED || st == EXEC_OS_CANCELED || st == EXEC_OS_REJECTED ||
	       st == EXEC_OS_REPLACED;
}

bool exec_ord_state_live(unsigned st)
{
	return st >= EXEC_OS_PENDING_NEW && st <= EXEC_OS_PENDING_MODIFY;
}

/* States a pending cancel/modify may return to. */
static bool legal_prev(unsigned pending, unsigned prev)
{
	if (pending == EXEC_OS_PENDING_CANCEL)
		return prev == EXEC_OS_PENDING_NEW || prev == EXEC_OS_RESTING ||
		       prev == EXEC_OS_PARTIALLY_FILLED;
	if (pending == EXEC_OS_PENDING_MODIFY)
		return prev == EXEC_OS_RESTING || prev == EXEC_OS_PARTIALLY_FILLED;
	return prev == 0;
}

/* ---------------------------------------------------------------- hashing */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t cloid_hash(const uint8_t c[HAT_CLOID_LEN])
{
	uint64_t a, b;
	memcpy(&a, c, 8);
	memcpy(&b, c + 8, 8);
	return mix64(a ^ mix64(b));
}

static bool cloid_zero(const uint8_t c[HAT_CLOID_LEN])
{
	static const uint8_t z[HAT_CLOID_LEN];
	return memcmp(c, z, HAT_CLOID_LEN) == 0;
}

enum { IDX_CLOID, IDX_OID };

static uint64_t home_of(const struct exec_fsm *f, int which, uint32_t slot)
{
	const struct exec_order *o = &f->orders[slot];
	return (which == IDX_CLOID ? cloid_hash(o->cloid) : mix64(o->oid)) & f->hmask;
}

static uint32_t *table_of(struct exec_fsm *f, int which)
{
	return which == IDX_CLOID ? f->by_cloid : f->by_oid;
}

static void idx_insert(struct exec_fsm *f, int which, uint32_t slot)
{
	uint32_t *t = table_of(f, which);
	uint64_t i = home_of(f, which, slot);
	while (t[i])
		i = (i + 1) & f->hmask;
	t[i] = slot + 1;
}

/* Removes slot from a table (backward-shift deletion keeps probe chains without tombstones). */
static void idx_remove(struct exec_fsm *f, int which, uint32_t slot)
{
	uint32_t *t = table_of(f, which);
	uint64_t i = home_of(f, which, slot);
	while (t[i] && t[i] != slot + 1)
		i = (i + 1) & f->hmask;
	if (!t[i])
		return;
	uint64_t j = i;
	for (;;) {
		j = (j + 1) & f->hmask;
		if (!t[j])
			break;
		uint64_t k = home_of(f, which, t[j] - 1);
		/* The entry at j may stay if its home k lies cyclically in (i, j]. */
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (stays)
			continue;
		t[i] = t[j];
		i = j;
	}
	t[i] = 0;
}

static struct exec_order *find_cloid(const struct exec_fsm *f, const uint8_t c[HAT_CLOID_LEN])
{
	if (!f->by_cloid)
		return NULL;
	uint64_t i = cloid_hash(c) & f->hmask;
	while (f->by_cloid[i]) {
		struct exec_order *o = &f->orders[f->by_cloid[i] - 1];
		if (memcmp(o->cloid, c, HAT_CLOID_LEN) == 0)
			return o;
		i = (i + 1) & f->hmask;
	}
	return NULL;
}

static struct exec_order *find_oid(const struct exec_fsm *f, uint64_t oid)
{
	if (!f->by_oid || oid == 0)
		return NULL;
	uint64_t i = mix64(oid) & f->hmask;
	while (f->by_oid[i]) {
		struct exec_order *o = &f->orders[f->by_oid[i] - 1];
		if (o->oid == oid)
			return o;
		i = (i + 1) & f->hmask;
	}
	return NULL;
}

const struct exec_order *exec_fsm_find(const struct exec_fsm *f,
				       const uint8_t cloid[HAT_CLOID_LEN])
{
	return find_cloid(f, cloid);
}

const struct exec_order *exec_fsm_find_oid(const struct exec_fsm *f, uint64_t oid)
{
	return find_oid(f, oid);
}

/* Learns an order's exchange id (first one wins: an oid never changes for a cloid). */
static void set_oid(struct exec_fsm *f, struct exec_order *o, uint64_t oid)
{
	if (oid == 0 || o->oid == oid)
		return;
	if (o->oid != 0 || find_oid(f, oid))
		return;
	o->oid = oid;
	idx_insert(f, IDX_OID, o->_idx);
}

/* ---------------------------------------------------------------- trade ids */

/* A trade id names the trade; our fill of it is (tid, oid): both sides of a self-match, or a
 * simulator reusing ids, must not make a second fill look like a duplicate. */
static uint64_t fill_key(uint64_t tid, uint64_t oid)
{
	return tid ^ (oid * 0x9e3779b97f4a7c15ull);
}

static bool tid_seen_add(struct exec_fsm *f, uint64_t tid)
{
	uint64_t i = mix64(tid) & f->tid_hmask;
	while (f->tid_hash[i]) {
		if (f->tids[f->tid_hash[i] - 1] == tid)
			return true;
		i = (i + 1) & f->tid_hmask;
	}
	uint32_t slot;
	if (f->tid_count == f->tid_cap) {
		/* Forget the oldest: remove it from the hash (backward shift). */
		slot = f->tid_head;
		uint64_t old = f->tids[slot];
		uint64_t p = mix64(old) & f->tid_hmask;
		while (f->tid_hash[p] != slot + 1)
			p = (p + 1) & f->tid_hmask;
		uint64_t j = p;
		for (;;) {
			j = (j + 1) & f->tid_hmask;
			if (!f->tid_hash[j])
				break;
			uint64_t k = mix64(f->tids[f->tid_hash[j] - 1]) & f->tid_hmask;
			bool stays = p <= j ? (p < k && k <= j) : (p < k || k <= j);
			if (stays)
				continue;
			f->tid_hash[p] = f->tid_hash[j];
			p = j;
		}
		f->tid_hash[p] = 0;
		f->tid_head = (f->tid_head + 1) % f->tid_cap;
	} else {
		slot = (f->tid_head + f->tid_count) % f->tid_cap;
		f->tid_count++;
	}
	f->tids[slot] = tid;
	i = mix64(tid) & f->tid_hmask;
	while (f->tid_hash[i])
		i = (i + 1) & f->tid_hmask;
	f->tid_hash[i] = slot + 1;
	return false;
}

/* ---------------------------------------------------------------- init */

static uint32_t pow2_at_least(uint64_t n)
{
	uint64_t p = 16;
	while (p < n)
		p <<= 1;
	return (uint32_t)p;
}

int exec_fsm_init(struct exec_fsm *f, const struct exec_fsm_config *cfg, char *err,
		  size_t errlen)
{
	memset(f, 0, sizeof(*f));
	if (cfg->capacity < 2 || cfg->capacity > CAP_MAX) {
		snprintf(err, errlen, "capacity: must be 2..%u (got %u)", CAP_MAX, cfg->capacity);
		return -EINVAL;
	}
	if (cfg->recent_tids < 1 || cfg->recent_tids > CAP_MAX) {
		snprintf(err, errlen, "recent_tids: must be 1..%u (got %u)", CAP_MAX,
			 cfg->recent_tids);
		return -EINVAL;
	}
	uint32_t buckets = pow2_at_least(2ull * cfg->capacity);
	uint32_t tbuckets = pow2_at_least(2ull * cfg->recent_tids);
	f->capacity = cfg->capacity;
	f->hmask = buckets - 1;
	f->tid_cap = cfg->recent_tids;
	f->tid_hmask = tbuckets - 1;
	f->orders = calloc(cfg->capacity, sizeof(*f->orders));
	f->by_cloid = calloc(buckets, sizeof(uint32_t));
	f->by_oid = calloc(buckets, sizeof(uint32_t));
	f->free_list = calloc(cfg->capacity, sizeof(uint32_t));
	f->term_fifo = calloc(cfg->capacity, sizeof(uint32_t));
	f->tids = calloc(cfg->recent_tids, sizeof(uint64_t));
	f->tid_hash = calloc(tbuckets, sizeof(uint32_t));
	if (!f->orders || !f->by_cloid || !f->by_oid || !f->free_list || !f->term_fifo ||
	    !f->tids || !f->tid_hash) {
		exec_fsm_deinit(f);
		snprintf(err, errlen, "out of memory for %u orders", cfg->capacity);
		return -ENOMEM;
	}
	/* Hand out low slots first (pop from the end). */
	for (uint32_t i = 0; i < cfg->capacity; i++) {
		f->free_list[i] = cfg->capacity - 1 - i;
		f->orders[i]._idx = i;
	}
	f->n_free = cfg->capacity;
	return 0;
}

void exec_fsm_deinit(struct exec_fsm *f)
{
	free(f->orders);
	free(f->by_cloid);
	free(f->by_oid);
	free(f->free_list);
	free(f->term_fifo);
	free(f->tids);
	free(f->tid_hash);
	memset(f, 0, sizeof(*f));
}

/* ---------------------------------------------------------------- slots */

static void release(struct exec_fsm *f, struct exec_order *o)
{
	idx_remove(f, IDX_CLOID, o->_idx);
	if (o->oid)
		idx_remove(f, IDX_OID, o->_idx);
	uint32_t idx = o->_idx;
	memset(o, 0, sizeof(*o));
	o->_idx = idx;
	f->free_list[f->n_free++] = idx;
	f->count--;
}

/* A fresh slot for cloid: a free one, else the oldest terminal order is evicted. */
static struct exec_order *alloc_order(struct exec_fsm *f, const uint8_t cloid[HAT_CLOID_LEN],
				      uint64_t now_ms)
{
	if (f->n_free == 0) {
		if (f->term_count == 0) {
			f->c.table_full++;
			return NULL;
		}
		uint32_t victim = f->term_fifo[f->term_head];
		f->term_head = (f->term_head + 1) % f->capacity;
		f->term_count--;
		release(f, &f->orders[victim]);
		f->c.evicted++;
	}
	uint32_t idx = f->free_list[--f->n_free];
	struct exec_order *o = &f->orders[idx];
	memset(o, 0, sizeof(*o));
	o->_idx = idx;
	memcpy(o->cloid, cloid, HAT_CLOID_LEN);
	o->created_ms = now_ms;
	o->updated_ms = now_ms;
	idx_insert(f, IDX_CLOID, idx);
	f->count++;
	f->live++;
	f->c.inserted++;
	return o;
}

static void set_state(struct exec_fsm *f, struct exec_order *o, unsigned st, uint64_t now_ms)
{
	bool was_term = exec_ord_state_terminal(o->state);
	o->state = (uint8_t)st;
	o->updated_ms = now_ms;
	if (!exec_ord_state_terminal(st) || was_term)
		return;
	o->prev_state = 0;
	f->live--;
	f->term_fifo[(f->term_head + f->term_count) % f->capacity] = o->_idx;
	f->term_count++;
}

/* Enters a pending cancel/modify, remembering where to return. */
static void enter_pending(struct exec_fsm *f, struct exec_order *o, unsigned st, uint64_t now_ms)
{
	o->prev_state = o->state;
	set_state(f, o, st, now_ms);
}

/* Leaves a pending state after a refusal. */
static void leave_pending(struct exec_fsm *f, struct exec_order *o, uint64_t now_ms)
{
	unsigned back = o->prev_state;
	o->prev_state = 0;
	if (o->state == EXEC_OS_PENDING_MODIFY)
		memset(o->repl_cloid, 0, HAT_CLOID_LEN);
	set_state(f, o, back, now_ms);
}

static int64_t remaining(const struct exec_order *o)
{
	if (exec_ord_state_terminal(o->state))
		return 0;
	int64_t r = o->sz - o->filled_sz;
	return r > 0 ? r : 0;
}

/* ---------------------------------------------------------------- events */

static void ev_base(struct hat_msg_exec *ev, uint8_t kind, uint64_t now_ns)
{
	hat_msg_init(&ev->h, HAT_MSG_EXEC);
	ev->h.origin_ns = now_ns;
	ev->kind = kind;
}

static void ev_order(struct hat_msg_exec *ev, const struct exec_order *o, uint8_t kind,
		     uint64_t now_ns)
{
	ev_base(ev, kind, now_ns);
	memcpy(ev->cloid, o->cloid, HAT_CLOID_LEN);
	memcpy(ev->coin, o->coin, HAT_COIN_LEN);
	ev->asset = o->asset;
	ev->side = o->side;
	ev->strategy_id = o->strategy_id;
	ev->oid = o->oid;
	ev->px = o->px;
	ev->sz = o->sz;
	ev->remaining_sz = remaining(o);
	ev->risk_seq = o->risk_seq;
	if (exec_ord_state_terminal(o->state))
		ev->flags |= HAT_EXEC_F_FINAL;
}

static void ev_text(struct hat_msg_exec *ev, uint16_t reason, const char *text)
{
	ev->reason = reason;
	hat_text_set(ev->text, sizeof(ev->text), text ? text : "");
}

void exec_fsm_reject_event(const struct hat_msg_order *o, uint16_t reason, const char *text,
			   uint64_t now_ns, struct hat_msg_exec *ev)
{
	ev_base(ev, HAT_EXEC_REJECT, now_ns);
	memcpy(ev->cloid, o->o.cloid, HAT_CLOID_LEN);
	memcpy(ev->orig_cloid, o->o.orig_cloid, HAT_CLOID_LEN);
	memcpy(ev->coin, o->o.coin, HAT_COIN_LEN);
	ev->asset = o->o.asset;
	ev->side = o->o.side;
	ev->strategy_id = o->o.strategy_id;
	ev->px = o->o.px;
	ev->sz = o->o.sz;
	ev->risk_seq = o->risk_seq;
	ev->flags = HAT_EXEC_F_FINAL;
	ev_text(ev, reason, text);
}

/* ---------------------------------------------------------------- validator */

bool exec_order_fsm_check(const struct exec_fsm *f)
{
	if (!f->orders)
		return false;
	uint32_t used = 0, live = 0, term = 0;
	for (uint32_t i = 0; i < f->capacity; i++) {
		const struct exec_order *o = &f->orders[i];
		if (o->_idx != i)
			return false;
		if (o->state == EXEC_OS_FREE)
			continue;
		if (o->state >= EXEC_OS_COUNT)
			return false;
		used++;
		if (exec_ord_state_terminal(o->state)) {
			term++;
			if (o->prev_state != 0)
				return false;
		} else {
			live++;
			if (!legal_prev(o->state, o->prev_state))
				return false;
		}
		if (o->sz < 0 || o->filled_sz < 0 || o->filled_sz > o->sz)
			return false;
		if (find_cloid(f, o->cloid) != o)
			return false;
		if (o->oid && find_oid(f, o->oid) != o)
			return false;
		if (o->state == EXEC_OS_FILLED && o->filled_sz != o->sz && !o->exch_done)
			return false;
		if (o->state == EXEC_OS_PENDING_MODIFY) {
			const struct exec_order *n = find_cloid(f, o->repl_cloid);
			if (cloid_zero(o->repl_cloid) || !n ||
			    memcmp(n->orig_cloid, o->cloid, HAT_CLOID_LEN) != 0)
				return false;
		}
		if (o->state == EXEC_OS_RESTING && o->filled_sz != 0)
			return false;
	}
	if (used != f->count || live != f->live || term != f->term_count ||
	    used + f->n_free != f->capacity)
		return false;
	/* Index tables hold exactly the used slots (cloid) and the slots with an oid. */
	uint32_t nc = 0, no = 0;
	for (uint32_t i = 0; i <= f->hmask; i++) {
		if (f->by_cloid[i]) {
			if (f->by_cloid[i] > f->capacity ||
			    f->orders[f->by_cloid[i] - 1].state == EXEC_OS_FREE)
				return false;
			nc++;
		}
		if (f->by_oid[i]) {
			if (f->by_oid[i] > f->capacity || f->orders[f->by_oid[i] - 1].oid == 0)
				return false;
			no++;
		}
	}
	if (nc != used)
		return false;
	(void)no;
	for (uint32_t k = 0; k < f->term_count; k++) {
		uint32_t s = f->term_fifo[(f->term_head + k) % f->capacity];
		if (s >= f->capacity || !exec_ord_state_terminal(f->orders[s].state))
			return false;
	}
	for (uint32_t k = 0; k < f->n_free; k++) {
		uint32_t s = f->free_list[k];
		if (s >= f->capacity || f->orders[s].state != EXEC_OS_FREE)
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- local actions */

static void fill_from_order(struct exec_order *n, const struct hat_msg_order *o)
{
	memcpy(n->coin, o->o.coin, HAT_COIN_LEN);
	n->asset = o->o.asset;
	n->side = o->o.side;
	n->tif = o->o.tif;
	n->oflags = o->o.flags;
	n->strategy_id = o->o.strategy_id;
	n->px = o->o.px;
	n->sz = o->o.sz;
	n->risk_seq = o->risk_seq;
}

int exec_fsm_new(struct exec_fsm *f, const struct hat_msg_order *o, uint64_t now_ms)
{
	if (o->o.kind != HAT_INTENT_NEW)
		return -EINVAL;
	if (find_cloid(f, o->o.cloid))
		return -EEXIST;
	struct exec_order *n = alloc_order(f, o->o.cloid, now_ms);
	if (!n)
		return -ENOSPC;
	fill_from_order(n, o);
	n->state = EXEC_OS_PENDING_NEW;
	return 0;
}

int exec_fsm_cancel(struct exec_fsm *f, const struct hat_msg_order *co, uint64_t now_ns,
		    uint64_t now_ms, struct hat_msg_exec *ev)
{
	if (co->o.kind != HAT_INTENT_CANCEL)
		return -EINVAL;
	struct exec_order *o = find_cloid(f, co->o.cloid);
	if (!o || exec_ord_state_terminal(o->state)) {
		f->c.cancel_unknown++;
		if (o) {
			ev_order(ev, o, HAT_EXEC_CANCEL_REJECT, now_ns);
			char t[48];
			snprintf(t, sizeof(t), "order already %s", exec_ord_state_name(o->state));
			ev_text(ev, HAT_REASON_EXCH_UNKNOWN_ORDER, t);
		} else {
			ev_base(ev, HAT_EXEC_CANCEL_REJECT, now_ns);
			memcpy(ev->cloid, co->o.cloid, HAT_CLOID_LEN);
			memcpy(ev->coin, co->o.coin, HAT_COIN_LEN);
			ev->asset = co->o.asset;
			ev->side = co->o.side;
			ev->strategy_id = co->o.strategy_id;
			ev->risk_seq = co->risk_seq;
			ev_text(ev, HAT_REASON_EXCH_UNKNOWN_ORDER, "unknown cloid");
		}
		return 1;
	}
	if (o->state == EXEC_OS_PENDING_CANCEL)
		return -EALREADY;
	if (o->state == EXEC_OS_PENDING_MODIFY)
		return -EBUSY;
	enter_pending(f, o, EXEC_OS_PENDING_CANCEL, now_ms);
	return 0;
}

int exec_fsm_modify(struct exec_fsm *f, const struct hat_msg_order *m, uint64_t now_ns,
		    uint64_t now_ms, struct hat_msg_exec *ev)
{
	if (m->o.kind != HAT_INTENT_REPLACE)
		return -EINVAL;
	if (find_cloid(f, m->o.cloid))
		return -EEXIST;
	struct exec_order *old = find_cloid(f, m->o.orig_cloid);
	if (!old || (old->state != EXEC_OS_RESTING && old->state != EXEC_OS_PARTIALLY_FILLED)) {
		char t[48];
		if (old)
			snprintf(t, sizeof(t), "modify: order is %s", exec_ord_state_name(old->state));
		else
			snprintf(t, sizeof(t), "modify: unknown cloid");
		exec_fsm_reject_event(m, HAT_REASON_EXCH_UNKNOWN_ORDER, t, now_ns, ev);
		return 1;
	}
	uint32_t old_idx = old->_idx;
	/* Keep the old order from being evicted for the new one: it is live, so it cannot. */
	struct exec_order *n = alloc_order(f, m->o.cloid, now_ms);
	if (!n)
		return -ENOSPC;
	old = &f->orders[old_idx];
	fill_from_order(n, m);
	memcpy(n->orig_cloid, old->cloid, HAT_CLOID_LEN);
	n->state = EXEC_OS_PENDING_NEW;
	memcpy(old->repl_cloid, n->cloid, HAT_CLOID_LEN);
	enter_pending(f, old, EXEC_OS_PENDING_MODIFY, now_ms);
	return 0;
}

/* ---------------------------------------------------------------- results */

/* Waiting for the exchange to say the order exists: PENDING_NEW, or a cancel sent before that. */
static bool awaiting_ack(const struct exec_order *o)
{
	return o->state == EXEC_OS_PENDING_NEW ||
	       (o->state == EXEC_OS_PENDING_CANCEL && o->prev_state == EXEC_OS_PENDING_NEW);
}

static bool is_replacement(const struct exec_order *o)
{
	return !cloid_zero(o->orig_cloid);
}

/* Sets the order's resting state, under a pending cancel if there is one. */
static void set_base(struct exec_fsm *f, struct exec_order *o, unsigned st, uint64_t now_ms)
{
	if (o->state == EXEC_OS_PENDING_CANCEL || o->state == EXEC_OS_PENDING_MODIFY)
		o->prev_state = (uint8_t)st;
	else
		set_state(f, o, st, now_ms);
}

/* An order awaiting its ack is known to exist at the exchange: ACK, or REPLACED (old order ->
 * REPLACED) for a replacement. Writes one event. */
static int went_live(struct exec_fsm *f, struct exec_order *o, uint64_t now_ns, uint64_t now_ms,
		     struct hat_msg_exec *ev)
{
	set_base(f, o, o->filled_sz > 0 ? EXEC_OS_PARTIALLY_FILLED : EXEC_OS_RESTING, now_ms);
	if (!is_replacement(o)) {
		ev_order(ev, o, HAT_EXEC_ACK, now_ns);
		return 1;
	}
	struct exec_order *old = find_cloid(f, o->orig_cloid);
	if (old && old->state == EXEC_OS_PENDING_MODIFY &&
	    memcmp(old->repl_cloid, o->cloid, HAT_CLOID_LEN) == 0)
		set_state(f, old, EXEC_OS_REPLACED, now_ms);
	ev_order(ev, o, HAT_EXEC_REPLACED, now_ns);
	memcpy(ev->orig_cloid, o->orig_cloid, HAT_CLOID_LEN);
	return 1;
}

/* The order never made it: REJECTED (for a replacement the old order returns to its state). */
static int reject(struct exec_fsm *f, struct exec_order *o, uint16_t reason, const char *text,
		  uint64_t now_ns, uint64_t now_ms, struct hat_msg_exec *ev)
{
	if (is_replacement(o)) {
		struct exec_order *old = find_cloid(f, o->orig_cloid);
		if (old && old->state == EXEC_OS_PENDING_MODIFY &&
		    memcmp(old->repl_cloid, o->cloid, HAT_CLOID_LEN) == 0)
			leave_pending(f, old, now_ms);
	}
	set_state(f, o, EXEC_OS_REJECTED, now_ms);
	ev_order(ev, o, HAT_EXEC_REJECT, now_ns);
	memcpy(ev->orig_cloid, o->orig_cloid, HAT_CLOID_LEN);
	ev_text(ev, reason ? reason : HAT_REASON_EXCH_OTHER, text);
	return 1;
}

/* The exchange says the order is filled: FILLED once the fills account for it; until then it
 * keeps its state with exch_done set (fills arrive on another channel and carry the sizes). */
static void exch_filled(struct exec_fsm *f, struct exec_order *o, uint64_t now_ms)
{
	o->exch_done = 1;
	if (o->filled_sz >= o->sz && !exec_ord_state_terminal(o->state))
		set_state(f, o, EXEC_OS_FILLED, now_ms);
}

/* The exchange canceled the order. A replacement canceled before we heard it rest did exist,
 * so its modify happened: REPLACED first (the old order goes), then CANCELED. */
static int canceled(struct exec_fsm *f, struct exec_order *o, uint16_t reason, uint64_t now_ns,
		    uint64_t now_ms, struct hat_msg_exec *ev)
{
	int n = 0;
	if (awaiting_ack(o) && is_replacement(o))
		n = went_live(f, o, now_ns, now_ms, ev);
	o->exch_done = 1;
	set_state(f, o, EXEC_OS_CANCELED, now_ms);
	ev_order(ev + n, o, HAT_EXEC_CANCELED, now_ns);
	ev[n].reason = reason;
	return n + 1;
}

int exec_fsm_on_order_result(struct exec_fsm *f, const uint8_t cloid[HAT_CLOID_LEN],
			     const struct hl_exch_status *st, uint64_t now_ns, uint64_t now_ms,
			     struct hat_msg_exec *ev)
{
	struct exec_order *o = find_cloid(f, cloid);
	if (!o || !awaiting_ack(o)) {
		if (o && st->oid && !exec_ord_state_terminal(o->state))
			set_oid(f, o, st->oid);
		f->c.unknown_results++;
		return 0;
	}
	int n = 0;
	switch (st->kind) {
	case HL_EXST_RESTING:
	case HL_EXST_SUCCESS:
	case HL_EXST_WAITING_FOR_TRIGGER:
	case HL_EXST_WAITING_FOR_FILL:
		set_oid(f, o, st->oid);
		return went_live(f, o, now_ns, now_ms, ev);
	case HL_EXST_FILLED:
		set_oid(f, o, st->oid);
		if (is_replacement(o))
			n = went_live(f, o, now_ns, now_ms, ev); /* the modify happened */
		if (st->total_sz >= o->sz) {
			exch_filled(f, o, now_ms);
			if (n)
				ev[0].remaining_sz = remaining(o);
			return n;
		}
		/* IOC: what did not trade at once is canceled. */
		return n + canceled(f, o, HAT_REASON_NONE, now_ns, now_ms, ev + n);
	case HL_EXST_ERROR:
		return reject(f, o, st->reason, st->text, now_ns, now_ms, ev);
	default:
		f->c.unknown_results++;
		return 0;
	}
}

int exec_fsm_on_cancel_result(struct exec_fsm *f, const uint8_t cloid[HAT_CLOID_LEN], bool ok,
			      uint16_t reason, const char *text, uint64_t now_ns,
			      uint64_t now_ms, struct hat_msg_exec *ev)
{
	struct exec_order *o = find_cloid(f, cloid);
	if (!o) {
		f->c.unknown_results++;
		return 0;
	}
	if (o->state != EXEC_OS_PENDING_CANCEL) {
		if (!exec_ord_state_terminal(o->state))
			f->c.unknown_results++;
		return 0;
	}
	if (ok)
		return canceled(f, o, HAT_REASON_NONE, now_ns, now_ms, ev);
	leave_pending(f, o, now_ms);
	ev_order(ev, o, HAT_EXEC_CANCEL_REJECT, now_ns);
	ev_text(ev, reason ? reason : HAT_REASON_EXCH_OTHER, text);
	return 1;
}

int exec_fsm_on_modify_result(struct exec_fsm *f, const uint8_t new_cloid[HAT_CLOID_LEN],
			      bool ok, uint64_t oid, uint16_t reason, const char *text,
			      uint64_t now_ns, uint64_t now_ms, struct hat_msg_exec *ev)
{
	struct exec_order *n = find_cloid(f, new_cloid);
	if (!n || !awaiting_ack(n) || !is_replacement(n)) {
		f->c.unknown_results++;
		return 0;
	}
	if (!ok)
		return reject(f, n, reason, text, now_ns, now_ms, ev);
	set_oid(f, n, oid);
	return went_live(f, n, now_ns, now_ms, ev);
}

int exec_fsm_on_not_found(struct exec_fsm *f, const uint8_t cloid[HAT_CLOID_LEN],
			  uint64_t now_ns, uint64_t now_ms, struct hat_msg_exec *ev)
{
	struct exec_order *o = find_cloid(f, cloid);
	if (!o)
		return 0;
	if (o->state == EXEC_OS_PENDING_NEW)
		return reject(f, o, HAT_REASON_EXCH_UNKNOWN_ORDER, "order not found at the exchange",
			      now_ns, now_ms, ev);
	if (o->state == EXEC_OS_PENDING_CANCEL && o->prev_state == EXEC_OS_PENDING_NEW) {
		/* Never existed: for a replacement that means its modify failed. */
		if (is_replacement(o))
			return reject(f, o, HAT_REASON_EXCH_UNKNOWN_ORDER,
				      "order not found at the exchange", now_ns, now_ms, ev);
		return canceled(f, o, HAT_REASON_NONE, now_ns, now_ms, ev);
	}
	return 0;
}

/* ---------------------------------------------------------------- stream */

static struct exec_order *find_any(const struct exec_fsm *f, bool has_cloid,
				   const uint8_t cloid[HAT_CLOID_LEN], uint64_t oid)
{
	struct exec_order *o = has_cloid ? find_cloid(f, cloid) : NULL;
	if (!o)
		o = find_oid(f, oid);
	return o;
}

int exec_fsm_on_order_update(struct exec_fsm *f, const struct hl_order_update *u,
			     uint64_t now_ns, uint64_t now_ms, struct hat_msg_exec *ev)
{
	struct exec_order *o = find_any(f, u->order.has_cloid, u->order.cloid, u->order.oid);
	if (!o) {
		f->c.unknown_updates++;
		return 0;
	}
	if (exec_ord_state_terminal(o->state)) {
		f->c.late_updates++;
		return 0;
	}
	set_oid(f, o, u->order.oid);
	enum hl_order_status st = (enum hl_order_status)u->status;
	if (hl_order_status_is_reject(st)) {
		char text[HAT_TEXT_LEN];
		if (st == HL_OS_UNKNOWN_TERMINAL || st == HL_OS_NONE)
			snprintf(text, sizeof(text), "%.*s", (int)sizeof(u->status_text),
				 u->status_text);
		else
			snprintf(text, sizeof(text), "%s", hl_order_status_name(st));
		return reject(f, o, hl_order_status_reason(st), text, now_ns, now_ms, ev);
	}
	int n = 0;
	if (awaiting_ack(o) && (st == HL_OS_OPEN || st == HL_OS_TRIGGERED || is_replacement(o)))
		n = went_live(f, o, now_ns, now_ms, ev);
	if (st == HL_OS_OPEN || st == HL_OS_TRIGGERED)
		return n;
	if (st == HL_OS_FILLED) {
		exch_filled(f, o, now_ms);
		if (n)
			ev[0].remaining_sz = remaining(o);
		return n;
	}
	/* Every other terminal status is a cancel of some kind. */
	return n + canceled(f, o, HAT_REASON_NONE, now_ns, now_ms, ev + n);
}

bool exec_fsm_fill_seen(struct exec_fsm *f, uint64_t tid, uint64_t oid)
{
	return tid_seen_add(f, fill_key(tid, oid));
}

int exec_fsm_on_fill(struct exec_fsm *f, const struct hl_fill *fl, uint64_t now_ns,
		     uint64_t now_ms, struct hat_msg_exec *ev)
{
	if (fl->tid != 0 && tid_seen_add(f, fill_key(fl->tid, fl->oid))) {
		f->c.dup_fills++;
		return 0;
	}
	struct exec_order *o = find_any(f, fl->has_cloid, fl->cloid, fl->oid);
	int n = 0;
	if (!o) {
		f->c.unknown_fills++;
		ev_base(ev, HAT_EXEC_FILL, now_ns);
		if (fl->has_cloid)
			memcpy(ev->cloid, fl->cloid, HAT_CLOID_LEN);
		memcpy(ev->coin, fl->coin, HAT_COIN_LEN);
		ev->asset = UINT32_MAX;
		ev->side = fl->side;
		ev->oid = fl->oid;
		ev->flags = HAT_EXEC_F_FINAL;
	} else {
		set_oid(f, o, fl->oid);
		/* A replacement trading proves the modify happened: say so before the fill. */
		if (awaiting_ack(o) && is_replacement(o))
			n = went_live(f, o, now_ns, now_ms, ev);
		bool was_term = exec_ord_state_terminal(o->state);
		if (was_term)
			f->c.late_fills++;
		int64_t room = o->sz - o->filled_sz;
		int64_t add = fl->sz;
		if (add > room) {
			f->c.overfills++;
			add = room > 0 ? room : 0;
		}
		o->filled_sz += add;
		o->fees += fl->fee;
		o->updated_ms = now_ms;
		bool full = o->filled_sz >= o->sz;
		if (!was_term) {
			switch (o->state) {
			case EXEC_OS_PENDING_NEW:
				if (full) {
					o->exch_done = 1;
					set_state(f, o, EXEC_OS_FILLED, now_ms);
				}
				/* else: the ack or the status says where it rests */
				break;
			case EXEC_OS_RESTING:
			case EXEC_OS_PARTIALLY_FILLED:
				set_state(f, o, full ? EXEC_OS_FILLED : EXEC_OS_PARTIALLY_FILLED,
					  now_ms);
				break;
			case EXEC_OS_PENDING_CANCEL:
			case EXEC_OS_PENDING_MODIFY:
				/* Fully filled: nothing is left to cancel or modify. */
				if (full)
					set_state(f, o, EXEC_OS_FILLED, now_ms);
				else if (o->prev_state == EXEC_OS_RESTING)
					o->prev_state = EXEC_OS_PARTIALLY_FILLED;
				break;
			default:
				break;
			}
		}
		ev_order(ev + n, o, HAT_EXEC_FILL, now_ns);
	}
	struct hat_msg_exec *e = ev + n;
	e->px = fl->px;
	e->sz = fl->sz;
	e->fee = fl->fee;
	e->tid = fl->tid;
	e->exch_time_ms = fl->time_ms;
	if (fl->crossed)
		e->flags |= HAT_EXEC_F_TAKER;
	return n + 1;
}

int exec_fsm_adopt(struct exec_fsm *f, const struct hl_order_info *info, uint64_t now_ns,
		   uint64_t now_ms, struct hat_msg_exec *ev)
{
	if (!info->has_cloid && info->oid == 0)
		return -EINVAL;
	struct exec_order *o = find_any(f, info->has_cloid, info->cloid, info->oid);
	if (o) {
		if (exec_ord_state_terminal(o->state)) {
			f->c.late_updates++;
			return 0;
		}
		set_oid(f, o, info->oid);
		if (o->state == EXEC_OS_PENDING_NEW)
			return went_live(f, o, now_ns, now_ms, ev);
		return 0;
	}
	/* An order without a cloid (placed outside hat) is keyed by a synthetic cloid made
	 * from its oid so it can be tracked; it never collides with 16 random bytes in practice. */
	uint8_t key[HAT_CLOID_LEN] = {0};
	if (info->has_cloid) {
		memcpy(key, info->cloid, HAT_CLOID_LEN);
	} else {
		memcpy(key, "hat:oid:", 8);
		memcpy(key + 8, &info->oid, 8);
	}
	o = alloc_order(f, key, now_ms);
	if (!o)
		return -ENOSPC;
	memcpy(o->coin, info->coin, HAT_COIN_LEN);
	o->asset = UINT32_MAX;
	o->side = info->side;
	o->tif = info->tif;
	o->oflags = info->reduce_only ? HAT_OF_REDUCE_ONLY : 0;
	o->px = info->limit_px;
	o->sz = info->orig_sz > info->sz ? info->orig_sz : info->sz;
	o->filled_sz = o->sz - info->sz;
	o->state = o->filled_sz > 0 ? EXEC_OS_PARTIALLY_FILLED : EXEC_OS_RESTING;
	set_oid(f, o, info->oid);
	/* OPEN_ORDER, not ACK: nothing of ours went live now; the exchange lists an order we did
	 * not track (ours from before a restart, acknowledged then, or one placed outside hat).
	 * riskd learns it either way; signald updates a working order it knows, once. */
	ev_order(ev, o, HAT_EXEC_OPEN_ORDER, now_ns);
	return 1;
}

/* ---------------------------------------------------------------- snapshot */

int exec_fsm_snapshot_next(const struct exec_fsm *f, uint32_t *iter, uint64_t now_ns,
			   struct hat_msg_exec *ev)
{
	for (uint32_t i = *iter; i < f->capacity; i++) {
		const struct exec_order *o = &f->orders[i];
		if (!exec_ord_state_live(o->state))
			continue;
		ev_order(ev, o, HAT_EXEC_OPEN_ORDER, now_ns);
		ev->flags |= HAT_EXEC_F_SNAPSHOT;
		*iter = i + 1;
		return 1;
	}
	*iter = f->capacity;
	return 0;
}
