/* common/ring.c -- SPSC ring in shared memory (contract in ring.h).
 *
 * Memory ordering in one paragraph: the producer fills slots with plain stores, then
 * store-releases `prod`; the consumer load-acquires `prod`, so every slot below it is fully
 * written when it reads it. The consumer reads slots with plain loads, then store-releases
 * `cons`; the producer load-acquires `cons` before overwriting a slot, so the consumer's reads of
 * that slot happened before the overwrite. Each side writes only its own index, so its own index
 * is kept in the handle (r->local) and the other side's in a cache (r->cached) that is refreshed
 * only when the ring looks full (producer) or empty (consumer): in steady state each side touches
 * the other's cache line once per batch, not once per message.
 */
#include "common/ring.h"
#include "common/clock.h"
#include "common/err.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int is_pow2(uint32_t x) { return x && (x & (x - 1)) == 0; }

static const char *config_problem(uint32_t count, uint32_t slot)
{
	if (!is_pow2(count) || count < HAT_RING_MIN_COUNT || count > HAT_RING_MAX_COUNT)
		return "slot_count must be a power of two in [2, 16777216]";
	if (slot == 0 || slot % HAT_CACHELINE != 0 || slot > HAT_RING_MAX_SLOT)
		return "slot_size must be a multiple of 64 in [64, 65536]";
	return NULL;
}

/* ---------------------------------------------------------------- setup */

int hat_ring_create(const char *instance, const char *name, uint32_t slot_count,
		    uint32_t slot_size, uint64_t start_index, char *err, size_t errlen)
{
	const char *bad = config_problem(slot_count, slot_size);
	if (bad) {
		hat_errf(err, errlen, "ring %s.%s: %s (got count %u, slot size %u)", instance ? instance : "?",
			name ? name : "?", bad, slot_count, slot_size);
		return -EINVAL;
	}
	struct hat_shm s;
	int rc = hat_shm_create_begin(&s, instance, name, HAT_SHM_KIND_RING, HAT_RING_LAYOUT_VERSION,
				      HAT_RING_SEGMENT_SIZE(slot_count, slot_size), err, errlen);
	if (rc)
		return rc;
	struct hat_ring_shm *sh = s.base;
	sh->slot_size = slot_size;
	sh->slot_count = slot_count;
	sh->start_index = start_index;
	/* Relaxed: nobody can attach before hat_shm_publish() below, whose release store of the
	 * magic orders all of these before any opener's acquire load of it. */
	atomic_store_explicit(&sh->prod, start_index, memory_order_relaxed);
	atomic_store_explicit(&sh->cons, start_index, memory_order_relaxed);
	hat_shm_publish(&s);
	hat_shm_close(&s);
	return 0;
}

int hat_ring_unlink(const char *instance, const char *name, char *err, size_t errlen)
{
	return hat_shm_unlink(instance, name, err, errlen);
}

static int pid_alive(int32_t pid)
{
	/* EPERM means it exists but is not ours: still alive. A zombie counts as alive until reaped;
	 * superd and the tests reap before restarting a stage. */
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Records getpid() as the owner of a role; fails if another live process holds it. */
static int claim_role(struct hat_ring *r, _Atomic int32_t *owner, const char *what,
		      unsigned flags, char *err, size_t errlen)
{
	int32_t me = (int32_t)getpid();
	/* Relaxed first read: the CAS below is what decides. */
	int32_t cur = atomic_load_explicit(owner, memory_order_relaxed);
	for (;;) {
		if (cur != 0 && cur != me && !(flags & HAT_RING_TAKEOVER) && pid_alive(cur)) {
			hat_errf(err, errlen, "ring %s: %s pid %d is still attached (one %s per ring)",
				r->shm.name, what, (int)cur, what);
			return -EBUSY;
		}
		/* acq_rel: acquire pairs with the release CAS in hat_ring_detach() of the previous
		 * owner (its last index store is then visible to our attach-time loads); release is
		 * for symmetry with the next taker. */
		if (atomic_compare_exchange_weak_explicit(owner, &cur, me, memory_order_acq_rel,
							  memory_order_relaxed))
			return 0;
	}
}

int hat_ring_attach(struct hat_ring *r, const char *instance, const char *name, int role,
		    uint32_t expect_slot_size, unsigned flags, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	if (role != HAT_RING_PRODUCER && role != HAT_RING_CONSUMER && role != HAT_RING_READER) {
		hat_errf(err, errlen, "ring %s.%s: bad role %d", instance ? instance : "?", name ? name : "?",
			role);
		return -EINVAL;
	}
	int rc = hat_shm_open(&r->shm, instance, name, HAT_SHM_KIND_RING, HAT_RING_LAYOUT_VERSION, 0,
			      role == HAT_RING_READER ? HAT_SHM_RDONLY : 0, err, errlen);
	if (rc)
		return rc;
	struct hat_ring_shm *sh = r->shm.base;
	/* The config is input from whoever created the segment: copy it once into the handle and
	 * validate the copy, so later corruption of the segment cannot move our slot arithmetic
	 * outside the mapping. */
	uint32_t count = sh->slot_count, slot = sh->slot_size;
	const char *bad = config_problem(count, slot);
	if (bad) {
		hat_errf(err, errlen, "ring %s: corrupt config: %s (got count %u, slot size %u)",
			r->shm.name, bad, count, slot);
		rc = HAT_E_RANGE;
		goto fail;
	}
	if (r->shm.size != HAT_RING_SEGMENT_SIZE(count, slot)) {
		hat_errf(err, errlen, "ring %s: segment is %zu bytes but %u slots of %u bytes need %zu",
			r->shm.name, r->shm.size, count, slot, HAT_RING_SEGMENT_SIZE(count, slot));
		rc = HAT_E_BADSIZE;
		goto fail;
	}
	if (expect_slot_size != 0 && slot != expect_slot_size) {
		hat_errf(err, errlen, "ring %s: slot size %u, this stage needs %u", r->shm.name, slot,
			expect_slot_size);
		rc = -EMSGSIZE;
		goto fail;
	}
	r->sh = sh;
	r->slots = (unsigned char *)sh + HAT_RING_SLOTS_OFFSET;
	r->slot_count = count;
	r->slot_size = slot;
	r->mask = count - 1;
	if (role != HAT_RING_READER) {
		/* Acquire both: pairs with the release stores of the previous producer/consumer (or
		 * the creator's publish); we start from what they published. */
		uint64_t prod = atomic_load_explicit(&sh->prod, memory_order_acquire);
		uint64_t cons = atomic_load_explicit(&sh->cons, memory_order_acquire);
		if (prod - cons > count) {
			hat_errf(err, errlen,
				"ring %s: corrupt indices (producer %llu, consumer %llu, %u slots)",
				r->shm.name, (unsigned long long)prod, (unsigned long long)cons, count);
			rc = -EPROTO;
			goto fail;
		}
		if (role == HAT_RING_PRODUCER) {
			rc = claim_role(r, &sh->producer_pid, "producer", flags, err, errlen);
			if (rc)
				goto fail;
			/* Re-read after the claim: a previous producer may have published more between
			 * our first read and its detach (we only get here if it is gone). Relaxed:
			 * the acquire CAS in claim_role() orders it. */
			r->local = atomic_load_explicit(&sh->prod, memory_order_relaxed);
			r->cached = atomic_load_explicit(&sh->cons, memory_order_acquire); /* pairs with the consumer's release of cons */
			/* Relaxed RMW: a counter for the inspector, no ordering needed. */
			atomic_fetch_add_explicit(&sh->producer_attaches, 1, memory_order_relaxed);
		} else {
			rc = claim_role(r, &sh->consumer_pid, "consumer", flags, err, errlen);
			if (rc)
				goto fail;
			r->local = atomic_load_explicit(&sh->cons, memory_order_relaxed); /* ordered by the claim's acquire */
			r->cached = r->local; /* looks empty: the first peek refreshes prod */
			atomic_fetch_add_explicit(&sh->consumer_attaches, 1, memory_order_relaxed);
		}
	}
	r->role = role;
	return 0;

fail:
	hat_shm_close(&r->shm);
	memset(r, 0, sizeof *r);
	return rc;
}

void hat_ring_detach(struct hat_ring *r)
{
	if (r->sh && (r->role == HAT_RING_PRODUCER || r->role == HAT_RING_CONSUMER)) {
		_Atomic int32_t *owner = r->role == HAT_RING_PRODUCER ? &r->sh->producer_pid
								      : &r->sh->consumer_pid;
		int32_t me = (int32_t)getpid();
		/* Release: pairs with the acquire CAS of the next owner in claim_role(). Only clears
		 * if we still own it (a forked child holding a copy of the handle does not). */
		atomic_compare_exchange_strong_explicit(owner, &me, 0, memory_order_release,
							memory_order_relaxed);
	}
	hat_shm_close(&r->shm);
	memset(r, 0, sizeof *r);
}

/* ---------------------------------------------------------------- producer */

unsigned hat_ring_push_n(struct hat_ring *r, const void *src, unsigned n, size_t stride)
{
	HAT_ASSERT(r->role == HAT_RING_PRODUCER);
	if (n == 0 || stride == 0 || stride > r->slot_size)
		return 0;
	int64_t room = hat_ring__prod_room(r, n);
	if (room <= 0)
		return 0;
	if ((uint64_t)room < n)
		n = (unsigned)room;
	const unsigned char *p = src;
	for (unsigned i = 0; i < n; i++)
		memcpy(hat_ring__slot(r, r->local + i), p + (size_t)i * stride, stride);
	hat_ring__publish(r, n);
	return n;
}

int hat_ring_push_msg(struct hat_ring *r, struct hat_msg_hdr *m)
{
	HAT_ASSERT(r->role == HAT_RING_PRODUCER);
	if (m->length < sizeof *m)
		return -EINVAL;
	if (m->length > r->slot_size)
		return -EMSGSIZE;
	int64_t room = hat_ring__prod_room(r, 1);
	if (room <= 0)
		return room < 0 ? -EPROTO : -EAGAIN;
	uint64_t seq = r->local + 1, now = hat_now_ns();
	/* Copy first, then stamp both copies: stamping m and then copying it would read the two
	 * stamps back before they reached the cache, which waits for every older store (the
	 * hat_ring__copy_in comment in ring.h says why that is slow). */
	struct hat_msg_hdr *s = (void *)hat_ring__slot(r, r->local);
	memcpy(s, m, m->length);
	s->seq = seq;
	s->send_ns = now;
	m->seq = seq;
	m->send_ns = now;
	hat_ring__publish(r, 1);
	return 0;
}

unsigned hat_ring_reserve_n(struct hat_ring *r, unsigned n)
{
	HAT_ASSERT(r->role == HAT_RING_PRODUCER);
	r->held = 0;
	if (n == 0)
		return 0;
	int64_t room = hat_ring__prod_room(r, n);
	if (room <= 0)
		return 0;
	r->held = (uint64_t)room < n ? (uint32_t)room : n;
	return r->held;
}

int hat_ring_commit_msg_n(struct hat_ring *r, unsigned k)
{
	HAT_ASSERT(r->role == HAT_RING_PRODUCER);
	HAT_ASSERT(k <= r->held);
	for (unsigned i = 0; i < k; i++) {
		const struct hat_msg_hdr *m = (const void *)hat_ring__slot(r, r->local + i);
		if (m->length < sizeof *m)
			return -EINVAL;
		if (m->length > r->slot_size)
			return -EMSGSIZE;
	}
	uint64_t now = hat_now_ns();
	for (unsigned i = 0; i < k; i++) {
		struct hat_msg_hdr *m = (void *)hat_ring__slot(r, r->local + i);
		m->seq = r->local + i + 1;
		m->send_ns = now;
	}
	r->held = 0;
	if (k)
		hat_ring__publish(r, k);
	return 0;
}

/* ---------------------------------------------------------------- consumer */

unsigned hat_ring_pop_n(struct hat_ring *r, void *dst, unsigned n, size_t stride)
{
	HAT_ASSERT(r->role == HAT_RING_CONSUMER);
	if (n == 0 || stride == 0 || stride > r->slot_size)
		return 0;
	int64_t avail = hat_ring__cons_avail(r, n);
	if (avail <= 0)
		return 0;
	if ((uint64_t)avail < n)
		n = (unsigned)avail;
	unsigned char *p = dst;
	for (unsigned i = 0; i < n; i++)
		memcpy(p + (size_t)i * stride, hat_ring__slot(r, r->local + i), stride);
	hat_ring__consume(r, n);
	return n;
}

unsigned hat_ring_peek_n(struct hat_ring *r, unsigned n)
{
	HAT_ASSERT(r->role == HAT_RING_CONSUMER);
	r->held = 0;
	if (n == 0)
		return 0;
	int64_t avail = hat_ring__cons_avail(r, n);
	if (avail <= 0)
		return 0;
	r->held = (uint64_t)avail < n ? (uint32_t)avail : n;
	return r->held;
}

/* ---------------------------------------------------------------- read-only */

uint64_t hat_ring_count(const struct hat_ring *r)
{
	/* cons first, then prod, both acquire: the consumer stored cons only after it had seen a
	 * prod at least that large (acquire/release chain), so prod >= cons here unless the
	 * segment is corrupt. Never writes: works on a PROT_READ mapping. */
	uint64_t cons = atomic_load_explicit(&r->sh->cons, memory_order_acquire);
	uint64_t prod = atomic_load_explicit(&r->sh->prod, memory_order_acquire);
	return prod - cons > r->slot_count ? 0 : prod - cons;
}

void hat_ring_stats(const struct hat_ring *r, struct hat_ring_stats *st)
{
	const struct hat_ring_shm *sh = r->sh;
	memset(st, 0, sizeof *st);
	/* Same order as hat_ring_count(); the other fields are informative snapshots (relaxed). */
	st->cons = atomic_load_explicit(&sh->cons, memory_order_acquire);
	st->prod = atomic_load_explicit(&sh->prod, memory_order_acquire);
	st->used = st->prod - st->cons;
	st->full_events = atomic_load_explicit(&sh->full_events, memory_order_relaxed);
	st->start_index = sh->start_index;
	st->created_ns = sh->hdr.created_ns;
	st->capacity = r->slot_count;
	st->slot_size = r->slot_size;
	st->producer_pid = atomic_load_explicit(&sh->producer_pid, memory_order_relaxed);
	st->consumer_pid = atomic_load_explicit(&sh->consumer_pid, memory_order_relaxed);
	st->producer_attaches = atomic_load_explicit(&sh->producer_attaches, memory_order_relaxed);
	st->consumer_attaches = atomic_load_explicit(&sh->consumer_attaches, memory_order_relaxed);
}

int hat_ring_read(const struct hat_ring *r, uint64_t index, void *buf, size_t len)
{
	if (len == 0 || len > r->slot_size)
		return -EMSGSIZE;
	/* cons then prod, acquire, as in hat_ring_count(): the acquire on prod pairs with the
	 * producer's release in publish(), so the slot below prod is fully written. */
	uint64_t cons = atomic_load_explicit(&r->sh->cons, memory_order_acquire);
	uint64_t prod = atomic_load_explicit(&r->sh->prod, memory_order_acquire);
	if (index - cons >= prod - cons || prod - cons > r->slot_count)
		return -ENOENT;
	memcpy(buf, hat_ring__slot(r, index), len);
	/* Seqlock-style validation: the fence keeps the slot reads above before the reload of cons
	 * below. The producer overwrites this slot only after it has seen cons > index (its acquire
	 * of cons pairs with the consumer's release); if cons is still <= index after our copy,
	 * the copy finished before any overwrite could start. */
	atomic_thread_fence(memory_order_acquire);
	uint64_t cons2 = atomic_load_explicit(&r->sh->cons, memory_order_relaxed);
	if (cons2 - cons > index - cons)
		return -ESTALE;
	return 0;
}

int hat_ring_check(const struct hat_ring *r, char *err, size_t errlen)
{
	const struct hat_ring_shm *sh = r->sh;
	const char *bad = config_problem(sh->slot_count, sh->slot_size);
	if (bad) {
		hat_errf(err, errlen, "ring %s: %s (got count %u, slot size %u)", r->shm.name, bad,
			sh->slot_count, sh->slot_size);
		return -EPROTO;
	}
	if (sh->slot_count != r->slot_count || sh->slot_size != r->slot_size) {
		hat_errf(err, errlen, "ring %s: config changed under us (%u x %u, attached as %u x %u)",
			r->shm.name, sh->slot_count, sh->slot_size, r->slot_count, r->slot_size);
		return -EPROTO;
	}
	/* Same order and pairing as hat_ring_count(). */
	uint64_t cons = atomic_load_explicit(&sh->cons, memory_order_acquire);
	uint64_t prod = atomic_load_explicit(&sh->prod, memory_order_acquire);
	if (prod - cons > r->slot_count) {
		hat_errf(err, errlen, "ring %s: producer index %llu and consumer index %llu are %s",
			r->shm.name, (unsigned long long)prod, (unsigned long long)cons,
			prod - sh->start_index < cons - sh->start_index ? "reversed (consumer ahead)"
								      : "more than the slot count apart");
		return -EPROTO;
	}
	if (cons - sh->start_index > prod - sh->start_index) {
		hat_errf(err, errlen, "ring %s: indices %llu/%llu are below the start index %llu",
			r->shm.name, (unsigned long long)prod, (unsigned long long)cons,
			(unsigned long long)sh->start_index);
		return -EPROTO;
	}
	return 0;
}

/* ---------------------------------------------------------------- waiting */

void hat_ring_backoff_init(struct hat_ring_backoff *b, uint32_t spins, uint32_t yields,
			   uint64_t sleep_ns)
{
	b->spins = spins;
	b->yields = yields;
	b->sleep_ns = sleep_ns;
	b->n = 0;
}

void hat_ring_backoff_wait(struct hat_ring_backoff *b)
{
	if (b->n < b->spins)
		hat_cpu_relax();
	else if (b->n - b->spins < b->yields)
		sched_yield();
	else
		hat_sleep_ns(b->sleep_ns);
	if (b->n != UINT32_MAX)
		b->n++;
}
