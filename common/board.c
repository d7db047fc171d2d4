/* common/board.c -- per-coin seqlock board (see board.h for the protocol). */
#include "common/board.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

HAT_STATIC_ASSERT(sizeof(struct hat_board_quote) % 8 == 0, "quote copied in 8-byte words");

/* The quote is copied as 8-byte words although it holds narrower fields. */
typedef uint64_t __attribute__((may_alias)) word_t;

size_t hat_board_shm_size(uint32_t max_coins)
{
	return sizeof(struct hat_board_shm) + (size_t)max_coins * sizeof(struct hat_board_coin_shm);
}

int hat_board_init_mem(struct hat_board *b, void *mem, size_t len, uint32_t max_coins,
		       pid_t writer_pid, uint64_t now_ns)
{
	if (!mem || ((uintptr_t)mem % HAT_CACHELINE) != 0 || max_coins == 0 ||
	    max_coins > HAT_BOARD_MAX_COINS)
		return -EINVAL;
	size_t need = hat_board_shm_size(max_coins);
	if (len < need)
		return -ENOSPC;
	memset(mem, 0, need);
	struct hat_board_shm *s = mem;
	s->magic = HAT_BOARD_MAGIC;
	s->layout_version = HAT_BOARD_LAYOUT_VERSION;
	s->max_coins = max_coins;
	s->size = need;
	s->writer_pid = (int32_t)writer_pid;
	s->writer_since_ns = now_ns;
	b->shm = s;
	b->len = len;
	memset(&b->seg, 0, sizeof b->seg);
	return 0;
}

int hat_board_attach_mem(struct hat_board *b, void *mem, size_t len, char *err, size_t errlen)
{
	const struct hat_board_shm *s = mem;
	if (len < sizeof *s || s->magic != HAT_BOARD_MAGIC) {
		snprintf(err, errlen, "board: bad magic (not a board region)");
		return HAT_E_BADMAGIC;
	}
	if (s->layout_version != HAT_BOARD_LAYOUT_VERSION) {
		snprintf(err, errlen, "board: layout version %" PRIu32 ", this build knows %u",
			 s->layout_version, HAT_BOARD_LAYOUT_VERSION);
		return HAT_E_BADVERSION;
	}
	if (s->max_coins == 0 || s->max_coins > HAT_BOARD_MAX_COINS ||
	    s->size != hat_board_shm_size(s->max_coins) || s->size > len ||
	    s->n_coins > s->max_coins) {
		snprintf(err, errlen, "board: size %" PRIu64 " for %" PRIu32 " coins does not match "
			 "the %zu bytes mapped", s->size, s->max_coins, len);
		return HAT_E_BADSIZE;
	}
	b->shm = mem;
	b->len = len;
	memset(&b->seg, 0, sizeof b->seg);
	return 0;
}

/* ---------------------------------------------------------------- segment */

int hat_board_create(struct hat_board *b, const char *instance, uint32_t max_coins,
		     pid_t writer_pid, uint64_t now_ns, char *err, size_t errlen)
{
	if (max_coins == 0 || max_coins > HAT_BOARD_MAX_COINS) {
		snprintf(err, errlen, "board: max_coins %" PRIu32 " not in 1..%d", max_coins,
			 HAT_BOARD_MAX_COINS);
		return -EINVAL;
	}
	struct hat_shm seg;
	size_t body = hat_board_shm_size(max_coins);
	int rc = hat_shm_create_begin(&seg, instance, HAT_BOARD_SHM_NAME, HAT_SHM_KIND_BOARD,
				      HAT_BOARD_LAYOUT_VERSION, HAT_SHM_HDR_SIZE + body, err, errlen);
	if (rc)
		return rc;
	rc = hat_board_init_mem(b, hat_shm_body(&seg), body, max_coins, writer_pid, now_ns);
	HAT_ASSERT(rc == 0); /* the body is 64-aligned and sized for max_coins */
	hat_shm_publish(&seg);
	b->seg = seg;
	return 0;
}

int hat_board_open(struct hat_board *b, const char *instance, unsigned shm_flags, char *err,
		   size_t errlen)
{
	struct hat_shm seg;
	int rc = hat_shm_open(&seg, instance, HAT_BOARD_SHM_NAME, HAT_SHM_KIND_BOARD,
			      HAT_BOARD_LAYOUT_VERSION, 0, shm_flags, err, errlen);
	if (rc)
		return rc;
	char why[160];
	rc = hat_board_attach_mem(b, hat_shm_body(&seg), seg.size - HAT_SHM_HDR_SIZE, why, sizeof why);
	if (rc) {
		snprintf(err, errlen, "shm %s: %s", seg.name, why);
		hat_shm_close(&seg);
		return rc;
	}
	b->seg = seg;
	return 0;
}

void hat_board_close(struct hat_board *b)
{
	if (b->seg.base)
		hat_shm_close(&b->seg);
	b->shm = NULL;
	b->len = 0;
}

void hat_board_set_writer(struct hat_board *b, pid_t pid, uint64_t now_ns)
{
	/* We are the only writer now, so any odd seq was left by a dead predecessor. */
	hat_board_repair(b, 0);
	/* Relaxed: readers only display these; superd compares writer_pid after reaping. */
	__atomic_store_n(&b->shm->writer_since_ns, now_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&b->shm->writer_pid, (int32_t)pid, __ATOMIC_RELAXED);
}

uint32_t hat_board_count(const struct hat_board *b)
{
	/* Pairs with the release store in hat_board_add_coin(): a slot counted is fully set up. */
	return __atomic_load_n(&b->shm->n_coins, __ATOMIC_ACQUIRE);
}

int hat_board_find(const struct hat_board *b, const char *coin)
{
	uint32_t n = hat_board_count(b);
	size_t len = strlen(coin);
	if (len == 0 || len >= HAT_COIN_LEN)
		return -ENOENT;
	for (uint32_t i = 0; i < n; i++) {
		const char *c = b->shm->coins[i].q.coin; /* immutable once counted */
		if (strncmp(c, coin, HAT_COIN_LEN) == 0)
			return (int)i;
	}
	return -ENOENT;
}

int hat_board_add_coin(struct hat_board *b, const char *coin, uint32_t asset)
{
	size_t len = strlen(coin);
	if (len == 0 || len >= HAT_COIN_LEN)
		return -EINVAL;
	int idx = hat_board_find(b, coin);
	if (idx >= 0)
		return idx;
	struct hat_board_shm *s = b->shm;
	uint32_t n = s->n_coins; /* only the writer changes n_coins */
	if (n >= s->max_coins)
		return -ENOSPC;
	struct hat_board_coin_shm *c = &s->coins[n];
	memset(c, 0, sizeof *c);
	memcpy(c->q.coin, coin, len);
	c->q.asset = asset;
	/* Release: pairs with the acquire in hat_board_count(); readers see the name first. */
	__atomic_store_n(&s->n_coins, n + 1, __ATOMIC_RELEASE);
	return (int)n;
}

/* ---------------------------------------------------------------- writer */

struct hat_board_quote *hat_board_write_begin(struct hat_board *b, uint32_t idx)
{
	HAT_ASSERT(idx < b->shm->n_coins);
	struct hat_board_coin_shm *c = &b->shm->coins[idx];
	/* Relaxed: only the writer stores seq. The release fence orders the odd seq before the
	 * data stores that follow, pairing with the reader's acquire fence before its re-check. */
	uint64_t seq = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
	/* seq | 1, not seq + 1: a seq left odd by a dead writer that nobody repaired must not
	 * turn even while we write. */
	__atomic_store_n(&c->seq, seq | 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return &c->q;
}

void hat_board_write_end(struct hat_board *b, uint32_t idx)
{
	struct hat_board_coin_shm *c = &b->shm->coins[idx];
	uint64_t seq = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
	/* Release: publishes the data stores; pairs with the reader's acquire load of seq. */
	__atomic_store_n(&c->seq, seq + 1, __ATOMIC_RELEASE);
}

static int64_t mid_of(int64_t bid, int64_t ask)
{
	/* Both positive: no overflow in bid + (ask - bid) / 2; rounds down for ask > bid. */
	return bid + (ask - bid) / 2;
}

void hat_board_update_bbo(struct hat_board *b, uint32_t idx, int64_t bid_px, int64_t bid_sz,
			  int64_t ask_px, int64_t ask_sz, uint64_t exch_time_ms, uint64_t now_ns)
{
	uint8_t has_bid = bid_px > 0 && bid_sz > 0;
	uint8_t has_ask = ask_px > 0 && ask_sz > 0;
	struct hat_board_quote *q = hat_board_write_begin(b, idx);
	hat_board_store_u8(&q->has_bid, has_bid);
	hat_board_store_u8(&q->has_ask, has_ask);
	hat_board_store_i64(&q->bid_px, has_bid ? bid_px : 0);
	hat_board_store_i64(&q->bid_sz, has_bid ? bid_sz : 0);
	hat_board_store_i64(&q->ask_px, has_ask ? ask_px : 0);
	hat_board_store_i64(&q->ask_sz, has_ask ? ask_sz : 0);
	hat_board_store_i64(&q->mid_px, has_bid && has_ask ? mid_of(bid_px, ask_px) : 0);
	hat_board_store_u64(&q->exch_time_ms, exch_time_ms);
	hat_board_store_u64(&q->update_ns, now_ns);
	hat_board_store_u8(&q->stale, 0);
	hat_board_store_u64(&q->n_book, __atomic_load_n(&q->n_book, __ATOMIC_RELAXED) + 1);
	hat_board_write_end(b, idx);
}

void hat_board_update_trade(struct hat_board *b, uint32_t idx, int64_t px, int64_t sz,
			    uint8_t side, uint64_t exch_time_ms, uint64_t now_ns)
{
	struct hat_board_quote *q = hat_board_write_begin(b, idx);
	hat_board_store_i64(&q->last_px, px);
	hat_board_store_i64(&q->last_sz, sz);
	hat_board_store_u8(&q->last_side, side);
	hat_board_store_u64(&q->last_trade_ms, exch_time_ms);
	hat_board_store_u64(&q->update_ns, now_ns);
	hat_board_store_u64(&q->n_trade, __atomic_load_n(&q->n_trade, __ATOMIC_RELAXED) + 1);
	hat_board_write_end(b, idx);
}

void hat_board_set_stale(struct hat_board *b, uint32_t idx, bool stale, uint64_t now_ns)
{
	struct hat_board_quote *q = hat_board_write_begin(b, idx);
	if (stale && !__atomic_load_n(&q->stale, __ATOMIC_RELAXED))
		hat_board_store_u64(&q->n_stale, __atomic_load_n(&q->n_stale, __ATOMIC_RELAXED) + 1);
	hat_board_store_u8(&q->stale, stale ? 1 : 0);
	hat_board_store_u64(&q->update_ns, now_ns);
	hat_board_write_end(b, idx);
}

/* ---------------------------------------------------------------- readers */

uint64_t hat_board_seq(const struct hat_board *b, uint32_t idx)
{
	return __atomic_load_n(&b->shm->coins[idx].seq, __ATOMIC_ACQUIRE);
}

int hat_board_read(const struct hat_board *b, uint32_t idx, struct hat_board_quote *out)
{
	if (idx >= hat_board_count(b))
		return -ENOENT;
	const struct hat_board_coin_shm *c = &b->shm->coins[idx];
	const word_t *src = (const word_t *)&c->q;
	word_t *dst = (word_t *)out;
	for (unsigned attempt = 0; attempt < HAT_BOARD_READ_RETRIES; attempt++) {
		/* Acquire: pairs with the writer's release store in write_end, so the data of the
		 * write that produced this even seq is visible to the copy below. */
		uint64_t s1 = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1) {
			if (attempt > 16)
				sched_yield(); /* the writer is mid-update, or dead: do not burn the core */
			continue;
		}
		for (size_t i = 0; i < sizeof *out / 8; i++)
			dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
		/* Acquire fence: orders the data loads before the re-check of seq; pairs with the
		 * writer's release fence after making seq odd. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		uint64_t s2 = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			return 0;
	}
	return -EAGAIN;
}

/* ---------------------------------------------------------------- superd */

unsigned hat_board_repair(struct hat_board *b, pid_t dead_pid)
{
	struct hat_board_shm *s = b->shm;
	if (dead_pid != 0 && __atomic_load_n(&s->writer_pid, __ATOMIC_RELAXED) != (int32_t)dead_pid)
		return 0;
	unsigned repaired = 0;
	uint32_t n = hat_board_count(b);
	for (uint32_t i = 0; i < n; i++) {
		struct hat_board_coin_shm *c = &s->coins[i];
		uint64_t seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
		if (!(seq & 1))
			continue;
		/* The writer died inside a write: the data may be half old, half new. Mark it stale
		 * (readers must not act on it) and close the write; the release store pairs with
		 * the readers' acquire load as a normal write_end would. */
		hat_board_store_u8(&c->q.stale, 1);
		hat_board_store_u64(&c->q.n_stale, __atomic_load_n(&c->q.n_stale, __ATOMIC_RELAXED) + 1);
		__atomic_store_n(&c->seq, seq + 1, __ATOMIC_RELEASE);
		repaired++;
	}
	__atomic_fetch_add(&s->repairs, repaired, __ATOMIC_RELAXED);
	return repaired;
}
