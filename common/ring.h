/* common/ring.h -- single-producer/single-consumer ring of fixed-size slots in POSIX shm.
 *
 * CONTRACT (read before using; the DPDK rte_ring.h way)
 *
 *  - Setup: superd (or a test harness) calls hat_ring_create() before the stages start; stages
 *    hat_ring_attach() in their role and hat_ring_detach() on exit; superd hat_ring_unlink()s
 *    at teardown. Create/attach/detach/unlink are safe from any process.
 *  - Exactly one producer process and one consumer process per ring at any time. attach()
 *    takes a role: HAT_RING_PRODUCER, HAT_RING_CONSUMER or HAT_RING_READER. The role's pid is
 *    stored in the segment; attaching while another live process holds the role fails with
 *    -EBUSY unless HAT_RING_TAKEOVER is given (superd, after it reaped the old one). A dead
 *    owner's pid does not block; an unreaped (zombie) one does, so reap before restarting.
 *    One process may hold several handles of the same role (tests do); it must then use only
 *    one of them at a time.
 *  - Producer only: try_push, push_n, push_msg, reserve, reserve_n, slot_at, commit,
 *    commit_n, commit_msg_n, next_seq.
 *    Consumer only: try_pop, pop_n, peek, peek_n, slot_at, release, release_n.
 *    Any role, read-only, never writes: count, stats, read, check. A HAT_RING_READER handle maps the
 *    segment PROT_READ (the inspector), so it cannot disturb the ring even by mistake.
 *    Calling a function from the wrong role is a programming error (HAT_ASSERT).
 *  - A handle is used by one thread at a time. Everything is non-blocking: a full or empty ring
 *    returns -EAGAIN (or a count of 0) and the caller decides how to wait (struct
 *    hat_ring_backoff below, or its own event loop). A consumer that finds the ring empty
 *    should pause before it polls again: each poll reads the producer's index line, and
 *    polling in a tight loop takes that line away from the producer on every check (bench-ring
 *    shows the cost as "eager").
 *  - Slots: slot_count is a power of two (2 .. 2^24), slot_size a multiple of 64 (64 .. 64 KiB).
 *    Indices are free-running uint64_t counters (the slot is index & (count - 1)); they never
 *    wrap in practice (2^64 messages) and all arithmetic is unsigned, so differences stay right
 *    even across 2^32 and 2^64.
 *  - Publication: the producer writes slots, then stores the producer index with release; the
 *    consumer loads it with acquire, so a slot is visible only when fully written. Symmetrically
 *    the consumer's release of the consumer index lets the producer reuse the slot. Nothing a
 *    producer writes between reserve() and commit() is ever visible: if it dies there, the slot
 *    is simply overwritten by the next producer.
 *  - What survives a restart: both indices live in the segment. A restarted consumer resumes at
 *    the first message not yet released (a message peeked but not released by a dead consumer is
 *    delivered again: consumers that must not act twice de-duplicate by hdr.seq). A restarted
 *    producer continues at the published producer index; messages pushed with push_msg or
 *    commit_msg_n carry seq = index + 1, so seq stays continuous across producer restarts and
 *    a consumer can check hdr.seq == hat_ring_cons_index() + 1 for every message. Unpublished
 *    reservations of a dead producer are lost (they were never sent). The cached opposite
 *    index is local and is refreshed at attach.
 *  - Copies (try_push, push_n, push_msg) write only the bytes given; the rest of the slot keeps
 *    what an earlier lap left there. Consumers read only as much as their message says.
 *  - Never: write a slot after committing it, read a slot after releasing it, keep a slot
 *    pointer across a commit/release, share one handle between threads, run two producers or
 *    two consumers, write through a READER handle, or change the indices outside this API.
 *    Indices read from shm are input from
 *    another process: a corrupt ring (producer - consumer > count) is reported as -EPROTO,
 *    never asserted.
 *
 * Layout of the segment (struct hat_ring_shm, STYLE rule 5): shm header (128 B), ring config
 * and owner pids (128 B), producer index line, guard line, consumer index line, guard line,
 * then slot_count * slot_size bytes of slots from offset HAT_RING_SLOTS_OFFSET (512).
 */
#ifndef HAT_COMMON_RING_H
#define HAT_COMMON_RING_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "common/compiler.h"
#include "common/doorbell.h"
#include "common/msg_types.h"
#include "common/shm.h"

/* The per-message calls must really be inlined: gcc -O2 stops inlining them into a loop that
 * grows past its limits, and a call per message costs more than the ring itself. */
#define HAT_RING__HOT static inline __attribute__((always_inline))
/* gcc -O2 keeps a 4-iteration copy loop as a loop; unrolled it is straight-line moves. */
#if defined(__GNUC__) && !defined(__clang__)
#define HAT_RING__UNROLL _Pragma("GCC unroll 8")
#else
#define HAT_RING__UNROLL
#endif

#define HAT_RING_LAYOUT_VERSION 1
#define HAT_RING_SLOTS_OFFSET 512
#define HAT_RING_MIN_COUNT 2u
#define HAT_RING_MAX_COUNT (1u << 24)
#define HAT_RING_MAX_SLOT (64u * 1024u)

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "ring indices need lock-free 64-bit atomics");

/* ---------------------------------------------------------------- shared layout */

/* Lives in the segment. Fixed-width fields only; indices are _Atomic uint64_t (lock-free, plain
 * loads/stores on x86-64 and arm64, so they work on a PROT_READ mapping too). */
struct hat_ring_shm {
	struct hat_shm_hdr hdr; /* kind HAT_SHM_KIND_RING, version HAT_RING_LAYOUT_VERSION */

	/* config line (written once at creation) */
	uint32_t slot_size;     /* bytes per slot, multiple of 64 */
	uint32_t slot_count;    /* power of two */
	uint64_t start_index;   /* value both indices had at creation */
	uint8_t _cfg_pad[48];

	/* owner line (written at attach/detach; read by superd and the inspector) */
	_Atomic int32_t producer_pid; /* attached producer, 0 if none */
	_Atomic int32_t consumer_pid; /* attached consumer, 0 if none */
	_Atomic uint32_t producer_attaches; /* times a producer attached (restarts + 1) */
	_Atomic uint32_t consumer_attaches; /* times a consumer attached */
	uint8_t _own_pad[48];

	/* producer line: written only by the producer */
	_Atomic uint64_t prod;        /* next index to publish; slots [cons, prod) are readable */
	_Atomic uint64_t full_events; /* pushes/reserves refused because the ring was full */
	uint8_t _prod_pad[48];
	uint8_t _guard0[HAT_CACHELINE];

	/* consumer line: written only by the consumer */
	_Atomic uint64_t cons;        /* next index to read; slots [prod - count, cons) are free */
	uint8_t _cons_pad[56];
	uint8_t _guard1[HAT_CACHELINE];

	/* slots follow: unsigned char slots[slot_count][slot_size] */
};
HAT_ASSERT_OFFSET(struct hat_ring_shm, slot_size, 128);
HAT_ASSERT_OFFSET(struct hat_ring_shm, producer_pid, 192);
HAT_ASSERT_OFFSET(struct hat_ring_shm, prod, 256);
HAT_ASSERT_OFFSET(struct hat_ring_shm, _guard0, 320);
HAT_ASSERT_OFFSET(struct hat_ring_shm, cons, 384);
HAT_ASSERT_OFFSET(struct hat_ring_shm, _guard1, 448);
HAT_ASSERT_SIZE(struct hat_ring_shm, HAT_RING_SLOTS_OFFSET);
HAT_STATIC_ASSERT(HAT_RING_SLOTS_OFFSET % HAT_CACHELINE == 0, "slots start on a cache line");

/* Total segment size of a ring. */
#define HAT_RING_SEGMENT_SIZE(count, slot) \
	((size_t)HAT_RING_SLOTS_OFFSET + (size_t)(count) * (size_t)(slot))

/* ---------------------------------------------------------------- local handle */

enum hat_ring_role {
	HAT_RING_PRODUCER = 1,
	HAT_RING_CONSUMER = 2,
	HAT_RING_READER = 3, /* read-only mapping: count/stats/check only */
};

enum hat_ring_attach_flags {
	HAT_RING_TAKEOVER = 1u << 0, /* attach even if the recorded pid of the role is alive */
};

/* Per-process handle; caller-allocated (stack, daemon context). Fields are private. */
struct hat_ring {
	struct hat_ring_shm *sh; /* the mapping */
	unsigned char *slots;    /* sh + HAT_RING_SLOTS_OFFSET */
	uint64_t mask;           /* slot_count - 1 */
	uint32_t slot_size;
	uint32_t slot_count;
	int role;                /* enum hat_ring_role, 0 when detached */
	uint64_t local;          /* producer: next index to write; consumer: next index to read */
	uint64_t cached;         /* producer: last seen cons; consumer: last seen prod */
	uint32_t held;           /* slots handed out by the last reserve_n/peek_n (for asserts) */
	struct hat_doorbell *bell; /* producer: rung after every publish, or NULL */
	struct hat_shm shm;
};

/* ---------------------------------------------------------------- setup (any process) */

/* Creates segment /hat.<instance>.<name> holding a ring of slot_count slots of slot_size bytes,
 * with both indices set to start_index (0 normally; tests start near 2^32 or 2^64 to cross the
 * wrap; superd may pass the old producer index when it recreates a ring so seq stays
 * continuous), then unmaps it: attach in a role to use it. Run by superd or a test harness.
 * Returns 0, -EINVAL (slot_count not a power of two in [2, 2^24], slot_size not a multiple of
 * 64 in [64, 64 KiB], or a bad name: err says which), -EEXIST (segment exists), or an error of
 * hat_shm_create(). */
int hat_ring_create(const char *instance, const char *name, uint32_t slot_count,
		    uint32_t slot_size, uint64_t start_index, char *err, size_t errlen);

/* Attaches to an existing ring in role (enum hat_ring_role). PRODUCER and CONSUMER map
 * read-write and record getpid() as the role's owner; READER maps read-only and records
 * nothing. expect_slot_size: if nonzero, the ring's slot size must equal it (-EMSGSIZE
 * otherwise), so a stage cannot attach to a ring made for other messages.
 * Returns 0, or: the errors of hat_shm_open() (-ENOENT, HAT_E_BADMAGIC, HAT_E_BADVERSION,
 * HAT_E_BADSIZE with err naming the segment); HAT_E_BADSIZE also when the segment size does not
 * match slot_count * slot_size; HAT_E_RANGE when the config is invalid (count not a power of
 * two, slot size not a multiple of 64); -EPROTO when the indices are corrupt (prod - cons >
 * count); -EMSGSIZE (slot size differs from expect_slot_size); -EBUSY when another live process
 * holds the role (err names its pid) and flags lacks HAT_RING_TAKEOVER; -EINVAL (bad role).
 * On failure r is left detached. */
int hat_ring_attach(struct hat_ring *r, const char *instance, const char *name, int role,
		    uint32_t expect_slot_size, unsigned flags, char *err, size_t errlen);

/* Clears the role's owner pid (if it is still ours) and unmaps. Unpublished reservations are
 * dropped, unreleased peeks stay in the ring. Safe on a detached or zeroed handle. */
void hat_ring_detach(struct hat_ring *r);

/* Unlinks the ring's segment (hat_shm_unlink). Attached handles keep working until detached. */
int hat_ring_unlink(const char *instance, const char *name, char *err, size_t errlen);

/* Producer: ring bell (the consumer's doorbell, doorbell.h) after every publish from now on;
 * NULL stops it. The bell must stay mapped while the handle is attached. */
static inline void hat_ring_set_doorbell(struct hat_ring *r, struct hat_doorbell *bell)
{
	r->bell = bell;
}

/* Consumer: whether a message is waiting (one acquire load of the producer index; for the
 * idle re-check of doorbell.h). */
static inline bool hat_ring_has_input(const struct hat_ring *r)
{
	return atomic_load_explicit(&r->sh->prod, memory_order_acquire) != r->local;
}

static inline uint32_t hat_ring_slot_size(const struct hat_ring *r) { return r->slot_size; }
static inline uint32_t hat_ring_capacity(const struct hat_ring *r) { return r->slot_count; }

/* ---------------------------------------------------------------- hot path (inline)
 *
 * The per-message calls are inline (the DPDK way): with a constant len the copy compiles to a
 * few vector moves and there is no call per message. hat_ring__* are private helpers shared with
 * ring.c; use only the documented hat_ring_* functions. */

/* Free slots, refreshing the cached consumer index only when fewer than want look free.
 * Returns the count, or -EPROTO when the indices are inconsistent. */
HAT_RING__HOT int64_t hat_ring__prod_room(struct hat_ring *r, uint32_t want)
{
	uint64_t room = r->slot_count - (r->local - r->cached);
	if (room < want) {
		/* Acquire: pairs with the consumer's release store of cons in hat_ring__consume():
		 * its reads of the slots it freed are done before we overwrite them. */
		uint64_t cons = atomic_load_explicit(&r->sh->cons, memory_order_acquire);
		uint64_t used = r->local - cons;
		if (hat_unlikely(used > r->slot_count))
			return -EPROTO; /* keep the old cache: never act on a corrupt index */
		r->cached = cons;
		room = r->slot_count - used;
		if (room == 0) {
			/* Relaxed load + store: only the producer writes full_events. */
			uint64_t f = atomic_load_explicit(&r->sh->full_events, memory_order_relaxed);
			atomic_store_explicit(&r->sh->full_events, f + 1, memory_order_relaxed);
		}
	}
	return (int64_t)room;
}

/* Slots start on a cache line and are a multiple of 64 bytes long: saying so lets the compiler
 * copy a constant-size message with aligned vector moves (without it gcc picks rep movs for
 * the consumer's copy, several times slower per message). */
HAT_RING__HOT unsigned char *hat_ring__slot(const struct hat_ring *r, uint64_t idx)
{
	return __builtin_assume_aligned(r->slots + (idx & r->mask) * r->slot_size, HAT_CACHELINE);
}

/* Copies a message out of a slot. Most messages are a multiple of 16 bytes: those are copied 16
 * bytes at a time, which the compiler turns into a few vector moves when len is a constant (a
 * plain memcpy of a 64-byte message became rep movs, four times slower here). */
HAT_RING__HOT void hat_ring__copy(void *dst, const void *src, size_t len)
{
	if (len % 16 == 0) {
		HAT_RING__UNROLL
		for (size_t i = 0; i < len; i += 16)
			memcpy((unsigned char *)dst + i, (const unsigned char *)src + i, 16);
	} else {
		memcpy(dst, src, len);
	}
}

/* Copies a message into a slot. The producer has usually just written the message field by
 * field (8-byte seq, prices, times), and those stores are still in its store buffer. A load
 * wider than the store it reads from cannot take the data from the store buffer: it waits
 * until that store, and every store before it, has reached the cache, including the previous
 * message's slot stores, which wait for the slot's cache line to come back from the
 * consumer's core. So the source is read 8 bytes at a time (each load is served by the field
 * store that wrote it) and written 16 bytes at a time. bench-ring (64-byte try_push, the
 * producer writes an 8-byte seq into its buffer before each push): in one thread a push costs
 * 2.2 ns instead of 4.5 ns with 16-byte loads (a buffer written 16 bytes at a time: 2.1 instead
 * of 1.7 ns), and two cores move 215M instead of 155M msgs/s. */
HAT_RING__HOT void hat_ring__copy_in(void *dst, const void *src, size_t len)
{
	const unsigned char *s = src;
	unsigned char *d = dst;
	if (len % 16 == 0) {
		HAT_RING__UNROLL
		for (size_t i = 0; i < len; i += 16) {
#if defined(__x86_64__)
			__m128i v = _mm_loadl_epi64((const __m128i *)(const void *)(s + i));
			v = _mm_castpd_si128(_mm_loadh_pd(_mm_castsi128_pd(v),
							  (const double *)(const void *)(s + i + 8)));
			_mm_storeu_si128((__m128i *)(void *)(d + i), v);
#else
			uint64_t lo, hi;
			memcpy(&lo, s + i, 8);
			memcpy(&hi, s + i + 8, 8);
			memcpy(d + i, &lo, 8);
			memcpy(d + i + 8, &hi, 8);
#endif
		}
	} else if (len % 8 == 0) {
		for (size_t i = 0; i < len; i += 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			memcpy(d + i, &w, 8);
		}
	} else {
		memcpy(dst, src, len);
	}
}

HAT_RING__HOT void hat_ring__publish(struct hat_ring *r, uint64_t n)
{
	r->local += n;
	/* Release: pairs with the consumer's acquire load of prod in hat_ring__cons_avail(); every
	 * slot write above is visible before the new index is. */
	atomic_store_explicit(&r->sh->prod, r->local, memory_order_release);
	if (r->bell)
		hat_doorbell_ring(r->bell);
}

/* Readable slots, refreshing the cached producer index only when fewer than want look
 * readable. Returns the count, or -EPROTO when the indices are inconsistent. */
HAT_RING__HOT int64_t hat_ring__cons_avail(struct hat_ring *r, uint32_t want)
{
	uint64_t avail = r->cached - r->local;
	if (avail < want) {
		/* Acquire: pairs with the producer's release store of prod in hat_ring__publish();
		 * the slots below it are fully written before we read them. */
		uint64_t prod = atomic_load_explicit(&r->sh->prod, memory_order_acquire);
		if (hat_unlikely(prod - r->local > r->slot_count))
			return -EPROTO; /* keep the old cache: never act on a corrupt index */
		r->cached = prod;
		avail = prod - r->local;
	}
	return (int64_t)avail;
}

HAT_RING__HOT void hat_ring__consume(struct hat_ring *r, uint64_t n)
{
	r->local += n;
	/* Release: pairs with the producer's acquire load of cons in hat_ring__prod_room(); our
	 * reads of the freed slots are done before it may overwrite them. */
	atomic_store_explicit(&r->sh->cons, r->local, memory_order_release);
}

/* ---------------------------------------------------------------- producer */

/* Copies len bytes (1 <= len <= slot size) from data into the next slot and publishes it. The
 * rest of the slot keeps whatever it held (consumers read only what their message says).
 * data is borrowed for the call. Returns 0, -EAGAIN (full; nothing written), -EMSGSIZE (len 0
 * or > slot size), -EPROTO (indices corrupt). */
HAT_RING__HOT int hat_ring_try_push(struct hat_ring *r, const void *data, size_t len)
{
	HAT_ASSERT(r->role == HAT_RING_PRODUCER);
	if (len == 0 || len > r->slot_size)
		return -EMSGSIZE;
	int64_t room = hat_ring__prod_room(r, 1);
	if (room <= 0)
		return room < 0 ? -EPROTO : -EAGAIN;
	hat_ring__copy_in(hat_ring__slot(r, r->local), data, len);
	hat_ring__publish(r, 1);
	return 0;
}

/* Copies up to n items of stride bytes each (1 <= stride <= slot size) from the array src into
 * consecutive slots and publishes them with one release store. Returns how many were pushed:
 * 0 when the ring is full (or n == 0, or stride invalid, or indices corrupt: hat_ring_check()
 * tells which). */
unsigned hat_ring_push_n(struct hat_ring *r, const void *src, unsigned n, size_t stride);

/* Pushes one message: stamps m->seq = producer index + 1 and m->send_ns = hat_now_ns() in the
 * caller's struct, then copies m->length bytes into the slot (rest of the slot left as it was)
 * and publishes. m is borrowed for the call (and modified: seq, send_ns).
 * Returns 0, -EAGAIN (full; m->seq/send_ns untouched), -EMSGSIZE (m->length > slot size),
 * -EINVAL (m->length < sizeof(struct hat_msg_hdr)), -EPROTO (indices corrupt). */
int hat_ring_push_msg(struct hat_ring *r, struct hat_msg_hdr *m);

/* Zero-copy: *slot = the next free slot (slot_size bytes, writable, contents stale). Nothing is
 * visible to the consumer until commit. Calling reserve again before commit returns the same
 * slot. Returns 0 or -EAGAIN (full) or -EPROTO (indices corrupt). */
HAT_RING__HOT int hat_ring_reserve(struct hat_ring *r, void **slot)
{
	HAT_ASSERT(r->role == HAT_RING_PRODUCER);
	r->held = 0;
	int64_t room = hat_ring__prod_room(r, 1);
	if (room <= 0)
		return room < 0 ? -EPROTO : -EAGAIN;
	r->held = 1;
	*slot = hat_ring__slot(r, r->local);
	return 0;
}

/* Reserves up to n consecutive free slots; returns how many (0 when full, or when the indices
 * are corrupt: hat_ring_check() tells). Get each with
 * hat_ring_slot_at(r, i) for i < returned count, fill them, then commit_n. */
unsigned hat_ring_reserve_n(struct hat_ring *r, unsigned n);

/* The i-th slot of the last reserve_n (producer) or peek_n (consumer); i < that count. Slots are
 * not contiguous across the end of the array: always use this. */
static inline void *hat_ring_slot_at(const struct hat_ring *r, unsigned i)
{
	HAT_ASSERT(i < r->held);
	return r->slots + ((r->local + i) & r->mask) * r->slot_size;
}

/* Publishes the slot of the last reserve (commit) or the first k slots of the last reserve_n
 * (commit_n, k <= reserved count; k == 0 publishes nothing). One release store. */
HAT_RING__HOT void hat_ring_commit_n(struct hat_ring *r, unsigned k)
{
	HAT_ASSERT(r->role == HAT_RING_PRODUCER);
	HAT_ASSERT(k <= r->held);
	r->held = 0;
	if (k)
		hat_ring__publish(r, k);
}
static inline void hat_ring_commit(struct hat_ring *r) { hat_ring_commit_n(r, 1); }

/* Like commit_n for slots that hold messages: for each of the first k reserved slots, checks
 * hdr.length (>= 32 and <= slot size) and stamps hdr.seq = its index + 1 and hdr.send_ns = one
 * hat_now_ns() reading, then publishes all k. Returns 0, or -EMSGSIZE / -EINVAL (a slot's
 * length is bad: nothing is published, the reservation stays). */
int hat_ring_commit_msg_n(struct hat_ring *r, unsigned k);

/* The seq the next pushed message will get (producer index + 1). */
static inline uint64_t hat_ring_next_seq(const struct hat_ring *r) { return r->local + 1; }

/* ---------------------------------------------------------------- consumer */

/* Copies the oldest message's first len bytes (1 <= len <= slot size) into buf and releases its
 * slot. buf is borrowed for the call. Returns 0, -EAGAIN (empty), -EMSGSIZE (bad len),
 * -EPROTO (indices corrupt). */
HAT_RING__HOT int hat_ring_try_pop(struct hat_ring *r, void *buf, size_t len)
{
	HAT_ASSERT(r->role == HAT_RING_CONSUMER);
	if (len == 0 || len > r->slot_size)
		return -EMSGSIZE;
	int64_t avail = hat_ring__cons_avail(r, 1);
	if (avail <= 0)
		return avail < 0 ? -EPROTO : -EAGAIN;
	hat_ring__copy(buf, hat_ring__slot(r, r->local), len);
	hat_ring__consume(r, 1);
	return 0;
}

/* Copies up to n slots (stride bytes of each, 1 <= stride <= slot size) into the array dst and
 * releases them with one release store. Returns how many (0 when empty, or stride invalid, or
 * indices corrupt). */
unsigned hat_ring_pop_n(struct hat_ring *r, void *dst, unsigned n, size_t stride);

/* Zero-copy: *slot = the oldest unreleased slot (read-only for the consumer; valid until
 * release). Peeking again without release returns the same slot. Returns 0, -EAGAIN (empty),
 * -EPROTO (indices corrupt). */
HAT_RING__HOT int hat_ring_peek(struct hat_ring *r, const void **slot)
{
	HAT_ASSERT(r->role == HAT_RING_CONSUMER);
	r->held = 0;
	int64_t avail = hat_ring__cons_avail(r, 1);
	if (avail <= 0)
		return avail < 0 ? -EPROTO : -EAGAIN;
	r->held = 1;
	*slot = hat_ring__slot(r, r->local);
	return 0;
}

/* Peeks up to n oldest slots; returns how many (0 when empty, or when the indices are corrupt:
 * hat_ring_check() tells). Use hat_ring_slot_at(). */
unsigned hat_ring_peek_n(struct hat_ring *r, unsigned n);

/* Frees the slot of the last peek (release) or the first k of the last peek_n (release_n,
 * k <= peeked count). One release store; the producer may then overwrite them. */
HAT_RING__HOT void hat_ring_release_n(struct hat_ring *r, unsigned k)
{
	HAT_ASSERT(r->role == HAT_RING_CONSUMER);
	HAT_ASSERT(k <= r->held);
	r->held = 0;
	if (k)
		hat_ring__consume(r, k);
}
static inline void hat_ring_release(struct hat_ring *r) { hat_ring_release_n(r, 1); }

/* Index of the next slot the consumer reads (its seq would be this + 1 for push_msg rings). */
static inline uint64_t hat_ring_cons_index(const struct hat_ring *r) { return r->local; }

/* ---------------------------------------------------------------- read-only (any role) */

/* Messages published and not yet released, from a consistent-enough snapshot (cons loaded
 * before prod, so 0 <= result; may be stale by the time it returns); 0 if the indices are
 * corrupt (hat_ring_check() says why). Never writes. */
uint64_t hat_ring_count(const struct hat_ring *r);

struct hat_ring_stats {
	uint64_t prod;          /* producer index */
	uint64_t cons;          /* consumer index */
	uint64_t used;          /* prod - cons (may exceed capacity only if corrupt) */
	uint64_t full_events;
	uint64_t start_index;
	uint64_t created_ns;
	uint32_t capacity;      /* slot_count */
	uint32_t slot_size;
	int32_t producer_pid;   /* 0 if none attached */
	int32_t consumer_pid;
	uint32_t producer_attaches;
	uint32_t consumer_attaches;
};

/* Fills st from the segment (loads only). Any role. */
void hat_ring_stats(const struct hat_ring *r, struct hat_ring_stats *st);

/* Copies the first len bytes (1 <= len <= slot size) of the message at index into buf without
 * consuming it: for the inspector, which shows what is queued. Any role; never writes the
 * segment. The copy is checked afterwards the seqlock way: it is reported intact only if the
 * slot was published and not yet released throughout, so the producer cannot have been
 * rewriting it. Returns 0 (buf holds the intact message), -ENOENT (index is not in
 * [consumer index, producer index) at the start: not published yet, or already released),
 * -ESTALE (the consumer released it during the copy: buf may be torn, discard it), -EMSGSIZE
 * (bad len). */
int hat_ring_read(const struct hat_ring *r, uint64_t index, void *buf, size_t len);

/* Checks the ring's invariants (config valid, prod >= cons, prod - cons <= count, indices >=
 * start_index). Returns 0 or -EPROTO with err saying what is wrong. Any role; never writes. */
int hat_ring_check(const struct hat_ring *r, char *err, size_t errlen);

/* ---------------------------------------------------------------- waiting */

/* Caller-owned waiting strategy for a loop that got -EAGAIN / 0: spin `spins` times (cpu pause),
 * then sched_yield `yields` times, then sleep sleep_ns per call. hat_ring_backoff_reset() after
 * any progress. Example:
 *     struct hat_ring_backoff b; hat_ring_backoff_init(&b, 1000, 100, 50000);
 *     for (;;) { if (hat_ring_peek(r, &p) == 0) { ...; hat_ring_backoff_reset(&b); }
 *                else hat_ring_backoff_wait(&b); }
 */
struct hat_ring_backoff {
	uint32_t spins;    /* pause iterations before yielding */
	uint32_t yields;   /* sched_yield calls before sleeping */
	uint64_t sleep_ns; /* sleep per call after that */
	uint32_t n;        /* calls since the last reset */
};
void hat_ring_backoff_init(struct hat_ring_backoff *b, uint32_t spins, uint32_t yields,
			   uint64_t sleep_ns);
void hat_ring_backoff_wait(struct hat_ring_backoff *b);
static inline void hat_ring_backoff_reset(struct hat_ring_backoff *b) { b->n = 0; }

/* CPU relax hint for spin loops. */
static inline void hat_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

#endif
