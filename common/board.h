/* common/board.h -- the market board: latest top of book and last trade per coin, under a
 * per-coin seqlock, in its own shared-memory segment.
 *
 * Contract: exactly ONE writer process (feedd) and any number of readers (signald, riskd,
 * hatshm, superd). superd (or a test harness) creates the segment with hat_board_create().
 * The writer opens it read-write with hat_board_open(), claims it with hat_board_set_writer(),
 * adds its coins with hat_board_add_coin() (idempotent by name, so a restarted feedd finds its
 * slots), then calls only the hat_board_write_*() / hat_board_update_*() / set_stale functions.
 * Readers open it with HAT_SHM_RDONLY and only call hat_board_read(), hat_board_find(),
 * hat_board_count() and hat_board_seq(). superd calls hat_board_repair() after reaping a dead
 * writer. hat_board_init_mem()/attach_mem() do the same on plain memory (tests, tools).
 *
 * Seqlock (per coin): the writer makes the coin's seq odd (relaxed store + release fence),
 * stores the data, then publishes seq + 2 with a release store. A reader loads seq (acquire),
 * retries while it is odd, copies the data, issues an acquire fence and re-loads seq: equal
 * means the copy is consistent. Every data word is copied with relaxed atomic loads/stores, so
 * a torn read is a retry, never undefined behaviour. Readers give up after
 * HAT_BOARD_READ_RETRIES torn reads with -EAGAIN (the writer is mid-update or died mid-write).
 *
 * Dead writer: the writer's pid is stored in the region (STYLE rule 5). If feedd dies between
 * begin and end, that coin's seq stays odd and every reader gets -EAGAIN; superd, after
 * reaping feedd, calls hat_board_repair() which makes every odd seq even again and marks those
 * coins stale (their data may be half-written) until the next real update.
 *
 * Layout: the region (what the shm helper maps after its segment header, or any memory for
 * tests) is struct hat_board_shm followed by max_coins 64-byte-aligned struct
 * hat_board_coin_shm. The region survives a writer restart: a restarted feedd keeps the
 * coin slots (matched by name with hat_board_find()).
 */
#ifndef HAT_COMMON_BOARD_H
#define HAT_COMMON_BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/compiler.h"
#include "common/msg_types.h"
#include "common/shm.h"

#define HAT_BOARD_MAGIC 0x44524f4254414855ull /* "UHATBORD" little-endian-ish tag */
#define HAT_BOARD_LAYOUT_VERSION 1u
#define HAT_BOARD_MAX_COINS 256
#define HAT_BOARD_READ_RETRIES 1000 /* torn reads before hat_board_read() gives up */

/* ---------------------------------------------------------------- shared layout */

/* The seqlock-protected data of one coin; every field is 8-byte aligned so it can be copied
 * word by word with atomic loads (see the file comment). Readers get a copy of this. */
struct hat_board_quote {
	char coin[HAT_COIN_LEN]; /* NUL-padded, set at add time, never changes */
	uint32_t asset;          /* exchange asset id */
	uint8_t has_bid;         /* 0/1 */
	uint8_t has_ask;         /* 0/1 */
	uint8_t stale;           /* 1: feed marked the coin stale, or repaired after a dead writer */
	uint8_t last_side;       /* enum hat_side of the last trade's aggressor, 0 if none */
	int64_t bid_px;          /* 1e-8 */
	int64_t bid_sz;          /* 1e-8 */
	int64_t ask_px;          /* 1e-8 */
	int64_t ask_sz;          /* 1e-8 */
	int64_t mid_px;          /* 1e-8, (bid+ask)/2 rounded down; 0 unless both sides */
	int64_t last_px;         /* 1e-8, last trade, 0 if none */
	int64_t last_sz;         /* 1e-8 */
	uint64_t last_trade_ms;  /* exchange time of the last trade */
	uint64_t exch_time_ms;   /* exchange time of the last book/bbo update */
	uint64_t update_ns;      /* CLOCK_REALTIME ns of the last write of any kind */
	uint64_t n_book;         /* book/bbo updates written */
	uint64_t n_trade;        /* trades written */
	uint64_t n_stale;        /* times the coin went stale */
};
HAT_ASSERT_SIZE(struct hat_board_quote, 128);
HAT_ASSERT_OFFSET(struct hat_board_quote, bid_px, 24);
HAT_ASSERT_OFFSET(struct hat_board_quote, update_ns, 96);

struct hat_board_coin_shm {
	uint64_t seq;                 /* seqlock: odd while a write is in progress */
	uint64_t _pad[7];             /* seq alone on its line: readers of the data spin on it */
	struct hat_board_quote q;     /* written only between write_begin and write_end */
} HAT_ALIGNED(HAT_CACHELINE);
HAT_ASSERT_SIZE(struct hat_board_coin_shm, 192);
HAT_ASSERT_OFFSET(struct hat_board_coin_shm, q, 64);

struct hat_board_shm {
	uint64_t magic;          /* HAT_BOARD_MAGIC */
	uint32_t layout_version; /* HAT_BOARD_LAYOUT_VERSION */
	uint32_t max_coins;      /* slots in coins[] */
	uint64_t size;           /* bytes of the whole region, = hat_board_shm_size(max_coins) */
	uint32_t n_coins;        /* slots in use; published with release after the slot is filled */
	int32_t writer_pid;      /* pid of the process that last called init/set_writer */
	uint64_t writer_since_ns;/* when that writer took over */
	uint64_t repairs;        /* coins repaired after a dead writer, total */
	uint8_t _pad[16];
	struct hat_board_coin_shm coins[]; /* max_coins slots */
} HAT_ALIGNED(HAT_CACHELINE);
HAT_ASSERT_SIZE(struct hat_board_shm, 64);
HAT_ASSERT_OFFSET(struct hat_board_shm, n_coins, 24);
HAT_ASSERT_OFFSET(struct hat_board_shm, coins, 64);

/* Local handle: per process, caller-owned (on the stack or in the daemon context). */
struct hat_board {
	struct hat_board_shm *shm; /* the region: inside seg's mapping, or memory the caller owns */
	size_t len;                /* bytes of the region */
	struct hat_shm seg;        /* the segment when made by create/open (base NULL otherwise) */
};

/* ---------------------------------------------------------------- segment */

#define HAT_BOARD_SHM_NAME "board" /* the segment is /hat.<instance>.board */

/* superd / test harness: creates /hat.<instance>.board (kind HAT_SHM_KIND_BOARD) for max_coins
 * coins, formats it with hat_board_init_mem() (writer_pid recorded) and publishes it.
 * Returns 0 or what hat_shm_create_begin() returns (-EEXIST, -EINVAL, ...) / -EINVAL for a bad
 * max_coins, with err naming the segment. On failure nothing is left behind. */
int hat_board_create(struct hat_board *b, const char *instance, uint32_t max_coins,
		     pid_t writer_pid, uint64_t now_ns, char *err, size_t errlen);

/* Any process: opens the existing board of instance and checks the segment header (kind,
 * layout version) and the board header. shm_flags: HAT_SHM_RDONLY for readers that never write
 * (inspector, signald, riskd); feedd and superd (repair) open read-write. Returns 0, the
 * errors of hat_shm_open() (-ENOENT, HAT_E_BADMAGIC, HAT_E_BADVERSION, HAT_E_BADSIZE, ...) or
 * those of hat_board_attach_mem(), err naming the segment. */
int hat_board_open(struct hat_board *b, const char *instance, unsigned shm_flags, char *err,
		   size_t errlen);

/* Unmaps a board made by create/open (no-op for init_mem/attach_mem boards). The segment stays
 * until hat_shm_unlink(instance, HAT_BOARD_SHM_NAME). */
void hat_board_close(struct hat_board *b);

/* ---------------------------------------------------------------- setup on plain memory */

/* Bytes a region for max_coins coins needs (a multiple of 64). */
size_t hat_board_shm_size(uint32_t max_coins);

/* Formats a fresh region: mem must be 64-byte aligned, len >= hat_board_shm_size(max_coins).
 * Zeroes it, writes the header, records writer_pid (the creator is the first writer) and
 * binds b to it. mem is borrowed until the handle is no longer used.
 * Returns 0, -EINVAL (mem misaligned, max_coins 0 or > HAT_BOARD_MAX_COINS) or -ENOSPC
 * (len too small). */
int hat_board_init_mem(struct hat_board *b, void *mem, size_t len, uint32_t max_coins,
		       pid_t writer_pid, uint64_t now_ns);

/* Binds b to an existing region after checking its header. err names what is wrong.
 * Returns 0, HAT_E_BADMAGIC, HAT_E_BADVERSION or HAT_E_BADSIZE (size field vs len/max_coins). */
int hat_board_attach_mem(struct hat_board *b, void *mem, size_t len, char *err, size_t errlen);

/* Writer only: a (re)started writer claims the board (stores its pid and now_ns) and repairs
 * any seqlock its dead predecessor left odd (as hat_board_repair(b, 0)).
 * Call after attaching and before writing. */
void hat_board_set_writer(struct hat_board *b, pid_t pid, uint64_t now_ns);

/* Writer only: adds a coin slot (or returns the existing one with that name) with its asset id.
 * Returns the slot index (>= 0), -EINVAL (bad coin name), or -ENOSPC (board full). */
int hat_board_add_coin(struct hat_board *b, const char *coin, uint32_t asset);

/* Any process: slot index of coin, or -ENOENT. O(n_coins). */
int hat_board_find(const struct hat_board *b, const char *coin);

/* Number of coin slots in use (acquire load). */
uint32_t hat_board_count(const struct hat_board *b);

/* ---------------------------------------------------------------- writer */

/* Writer only. Starts a write on slot idx (seq becomes odd) and returns the quote to modify in
 * place: modify it ONLY with hat_board_store_*() or via the update helpers below, then call
 * hat_board_write_end(). idx must be < count (HAT_ASSERT). */
struct hat_board_quote *hat_board_write_begin(struct hat_board *b, uint32_t idx);
/* Writer only. Publishes the write (seq becomes even, release). */
void hat_board_write_end(struct hat_board *b, uint32_t idx);

/* Relaxed atomic stores for use between write_begin and write_end. */
static inline void hat_board_store_i64(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline void hat_board_store_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline void hat_board_store_u8(uint8_t *p, uint8_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

/* Writer only, one complete seqlock write each. A side with sz == 0 (or px == 0) is absent.
 * Sets bid/ask, mid, exch_time_ms, update_ns = now_ns, clears stale, n_book++. */
void hat_board_update_bbo(struct hat_board *b, uint32_t idx, int64_t bid_px, int64_t bid_sz,
			  int64_t ask_px, int64_t ask_sz, uint64_t exch_time_ms, uint64_t now_ns);
/* Sets the last trade (px, sz, side, time), update_ns, n_trade++. Does not touch stale. */
void hat_board_update_trade(struct hat_board *b, uint32_t idx, int64_t px, int64_t sz,
			    uint8_t side, uint64_t exch_time_ms, uint64_t now_ns);
/* Sets or clears the stale flag (n_stale++ on a 0 -> 1 change), update_ns. */
void hat_board_set_stale(struct hat_board *b, uint32_t idx, bool stale, uint64_t now_ns);

/* ---------------------------------------------------------------- readers */

/* Any process. Copies a consistent snapshot of slot idx into *out.
 * Returns 0, -ENOENT if idx >= count, or -EAGAIN after HAT_BOARD_READ_RETRIES torn reads
 * (try later; a seq that stays odd means the writer died mid-write: superd repairs it). */
int hat_board_read(const struct hat_board *b, uint32_t idx, struct hat_board_quote *out);

/* Current seq of slot idx (acquire): even and growing by 2 per write. For change detection. */
uint64_t hat_board_seq(const struct hat_board *b, uint32_t idx);

/* ---------------------------------------------------------------- superd */

/* superd, after reaping the writer: if the stored writer_pid equals dead_pid (or dead_pid is
 * 0: unconditional), every coin whose seq is odd gets stale = 1 and an even seq again.
 * Never call while the writer may still be alive. Returns the number of coins repaired
 * (0 if none or if writer_pid != dead_pid). */
unsigned hat_board_repair(struct hat_board *b, pid_t dead_pid);

#endif
