/* common/control.h -- per-stage control blocks: liveness, state, counters and latency
 * histograms that superd, hatctl and the shm inspector read.
 *
 * Design: ONE control region per instance (segment "/hat.<instance>.control", created by
 * superd or a test harness) holds one block per stage, indexed by enum hat_stage_id
 * (feedd, signald, riskd, execd, superd): hat_control_stage(c, HAT_STAGE_RISKD). Blocks are
 * cache-line aligned so stages never share a line.
 *
 * Who writes what:
 *   - the stage owning a block: pid, state, heartbeat_ns, ready, its counters and histograms
 *     (hat_stage_*). It registers its counters/histograms at init; registration is idempotent
 *     by name, so a restarted stage finds its old counters and they keep counting.
 *   - superd: restart_count, and state STOPPED after reaping (hat_stage_set_state).
 *   - everyone else only reads.
 * Counters and histogram buckets are single-writer u64s updated with relaxed atomics; a reader
 * sees each word whole but a snapshot of several words is not a consistent cut (a histogram's
 * count may be one ahead of its buckets). That is fine for monitoring; the snapshot functions
 * recompute totals from the buckets they copied, so percentiles are always self-consistent.
 *
 * Names: counters are "<what>" or "<what>.<key>" such as "msgs_in", "rejects.range",
 * "stale_ms.BTC" (stage-specific numbers become counters; a counter may also be set, e.g. a
 * gauge like stale_ms). Up to HAT_CTL_MAX_COUNTERS per stage, names < HAT_CTL_NAME_LEN bytes.
 *
 * Histograms: log2 buckets over u64 values (ns). Bucket 0 counts the value 0; bucket k >= 1
 * counts values in [2^(k-1), 2^k - 1]; the last bucket (63) also takes everything >= 2^62.
 * hat_hist_percentile() returns the upper bound of the bucket holding the requested rank,
 * clamped to [min, max] of the recorded values, so it is exact when all values in that bucket
 * are equal and never below the true percentile otherwise.
 */
#ifndef HAT_COMMON_CONTROL_H
#define HAT_COMMON_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/compiler.h"
#include "common/doorbell.h"
#include "common/msg_types.h"
#include "common/shm.h"

#define HAT_CONTROL_MAGIC 0x4c52544354414855ull /* "UHATCTRL" */
#define HAT_CONTROL_LAYOUT_VERSION 3u
#define HAT_CONTROL_STAGES 5      /* feedd, signald, riskd, execd, superd (enum hat_stage_id 1..5) */
#define HAT_CTL_NAME_LEN 32       /* counter/histogram name bytes, NUL included */
#define HAT_CTL_MAX_COUNTERS 96   /* per stage */
#define HAT_CTL_MAX_HISTS 8       /* per stage */
#define HAT_HIST_BUCKETS 64

enum hat_stage_state {
	HAT_STATE_NONE = 0,       /* never started */
	HAT_STATE_STARTING = 1,   /* init, waiting for snapshot/ready */
	HAT_STATE_RUNNING = 2,
	HAT_STATE_DEGRADED = 3,   /* running with reduced function (stale feed, reduce-only) */
	HAT_STATE_HALTED = 4,     /* running, trading halted */
	HAT_STATE_STOPPING = 5,   /* draining */
	HAT_STATE_STOPPED = 6,    /* exited (set by the stage on clean exit or superd after reaping) */
};
#define HAT_STATE_MAX 6

/* ---------------------------------------------------------------- shared layout */

struct hat_counter_shm {
	char name[HAT_CTL_NAME_LEN]; /* NUL-padded; written before n_counters is published */
	uint64_t value;              /* relaxed atomic; only the owning stage writes */
};
HAT_ASSERT_SIZE(struct hat_counter_shm, 40);

struct hat_hist_shm {
	char name[HAT_CTL_NAME_LEN];
	uint64_t count;                      /* values recorded */
	uint64_t sum;                        /* sum of values (wraps after 2^64) */
	uint64_t min;                        /* UINT64_MAX until the first value */
	uint64_t max;
	uint64_t buckets[HAT_HIST_BUCKETS];  /* see the file comment */
} HAT_ALIGNED(HAT_CACHELINE);
HAT_ASSERT_SIZE(struct hat_hist_shm, 576);
HAT_ASSERT_OFFSET(struct hat_hist_shm, buckets, 64);

struct hat_stage_shm {
	uint32_t stage;          /* enum hat_stage_id of this block */
	uint32_t state;          /* enum hat_stage_state */
	int32_t pid;             /* the stage's pid, 0 if never started */
	uint32_t restart_count;  /* written by superd */
	uint64_t heartbeat_ns;   /* CLOCK_MONOTONIC ns of the stage's last heartbeat */
	uint64_t started_ns;     /* CLOCK_REALTIME ns when the current process started */
	uint32_t ready;          /* 1 once the stage finished its start-up (snapshot received) */
	uint32_t n_counters;     /* registered counters (release after the name is written) */
	uint32_t n_hists;        /* registered histograms (same) */
	uint32_t _pad0;
	uint64_t quiet_gen;      /* odd while the stage waits with nothing of its own pending
	                          * (hat_stage_quiet_enter/leave); 0 for a stage that never says */
	uint8_t _pad[8];
	struct hat_counter_shm counters[HAT_CTL_MAX_COUNTERS];
	struct hat_hist_shm hists[HAT_CTL_MAX_HISTS];
	struct hat_doorbell bell; /* producers of this stage's input rings wake it (doorbell.h) */
} HAT_ALIGNED(HAT_CACHELINE);
HAT_ASSERT_OFFSET(struct hat_stage_shm, heartbeat_ns, 16);
HAT_ASSERT_OFFSET(struct hat_stage_shm, quiet_gen, 48);
HAT_ASSERT_OFFSET(struct hat_stage_shm, counters, 64);
HAT_ASSERT_OFFSET(struct hat_stage_shm, hists, 64 + HAT_CTL_MAX_COUNTERS * 40);
HAT_ASSERT_SIZE(struct hat_stage_shm, 8576);
HAT_STATIC_ASSERT(sizeof(struct hat_stage_shm) % HAT_CACHELINE == 0, "stage block cache-aligned");

struct hat_control_shm {
	uint64_t magic;          /* HAT_CONTROL_MAGIC */
	uint32_t layout_version; /* HAT_CONTROL_LAYOUT_VERSION */
	uint32_t n_stages;       /* HAT_CONTROL_STAGES */
	uint64_t size;           /* sizeof(struct hat_control_shm) */
	uint64_t created_ns;     /* CLOCK_REALTIME at init */
	uint8_t _pad[32];
	struct hat_stage_shm stages[HAT_CONTROL_STAGES]; /* stages[id - 1] */
} HAT_ALIGNED(HAT_CACHELINE);
HAT_ASSERT_OFFSET(struct hat_control_shm, stages, 64);
HAT_ASSERT_SIZE(struct hat_control_shm, 64 + HAT_CONTROL_STAGES * 8576);

/* Local handle (per process, caller-owned). */
struct hat_control {
	struct hat_control_shm *shm; /* the region: inside seg's mapping, or caller-owned memory */
	struct hat_shm seg;          /* the segment when made by create/open (base NULL otherwise) */
};

/* Local handle to a counter: cheap to copy, valid while the region is mapped. */
struct hat_counter {
	uint64_t *v;
};
/* Local handle to a histogram. */
struct hat_hist {
	struct hat_hist_shm *h;
};

/* ---------------------------------------------------------------- segment */

#define HAT_CONTROL_SHM_NAME "control" /* the segment is /hat.<instance>.control */

/* superd / test harness: creates and formats /hat.<instance>.control (kind
 * HAT_SHM_KIND_CONTROL). Returns 0 or what hat_shm_create_begin() returns (-EEXIST, ...),
 * err naming the segment. On failure nothing is left behind. */
int hat_control_create(struct hat_control *c, const char *instance, uint64_t now_ns, char *err,
		       size_t errlen);

/* Opens the control segment of instance and checks both headers. shm_flags: 0 for the stages
 * and superd (they write their blocks), HAT_SHM_RDONLY for the inspector and hatctl.
 * Returns 0, the errors of hat_shm_open() (-ENOENT, HAT_E_BADMAGIC, HAT_E_BADVERSION,
 * HAT_E_BADSIZE, ...) or of hat_control_attach_mem(), err naming the segment. */
int hat_control_open(struct hat_control *c, const char *instance, unsigned shm_flags, char *err,
		     size_t errlen);

/* Unmaps a control region made by create/open (no-op otherwise). */
void hat_control_close(struct hat_control *c);

/* ---------------------------------------------------------------- setup on plain memory */

/* Bytes the region needs. */
size_t hat_control_shm_size(void);

/* Formats a fresh region (mem 64-byte aligned, len >= hat_control_shm_size()), zeroing all
 * blocks. Returns 0, -EINVAL (misaligned) or -ENOSPC (too small). */
int hat_control_init_mem(struct hat_control *c, void *mem, size_t len, uint64_t now_ns);

/* Binds c to an existing region after checking its header. Returns 0, HAT_E_BADMAGIC,
 * HAT_E_BADVERSION or HAT_E_BADSIZE with err naming the problem. */
int hat_control_attach_mem(struct hat_control *c, void *mem, size_t len, char *err, size_t errlen);

/* The block of a stage (HAT_STAGE_FEEDD..HAT_STAGE_SUPERD), or NULL for another id. */
struct hat_stage_shm *hat_control_stage(const struct hat_control *c, unsigned stage);

/* ---------------------------------------------------------------- the owning stage */

/* The stage starts: pid, started_ns, state STARTING, ready 0, heartbeat now. Counters and
 * histograms already registered are kept (so totals survive restarts). */
void hat_stage_begin(struct hat_stage_shm *s, pid_t pid, uint64_t mono_ns, uint64_t real_ns);
void hat_stage_heartbeat(struct hat_stage_shm *s, uint64_t mono_ns);
/* Returns 0, or -EINVAL if state is not a hat_stage_state. */
int hat_stage_set_state(struct hat_stage_shm *s, unsigned state);
void hat_stage_set_ready(struct hat_stage_shm *s, bool ready);

/* Quiet: the stage is about to wait for input with no work of its own outstanding (no request
 * awaiting an answer, nothing queued for output, no timer about to produce output): enter
 * makes quiet_gen odd, leave (when the wait ends, before any work) even again. Both are full
 * fences, so an observer that reads quiet_gen (odd), then the stage's input rings (empty),
 * then quiet_gen again (unchanged) knows the stage consumed nothing in between: together
 * with the same check on every stage, that is a consistent "the pipeline is idle" (a
 * backtest's lockstep, tools/hlsim/gate.h). Owning stage only. */
void hat_stage_quiet_enter(struct hat_stage_shm *s);
void hat_stage_quiet_leave(struct hat_stage_shm *s);
/* Reader side: the current quiet_gen (seq_cst load). */
uint64_t hat_stage_quiet_gen(const struct hat_stage_shm *s);

/* Registers (or finds, by name) a counter. name must be 1..HAT_CTL_NAME_LEN-1 bytes.
 * Owning stage only, at init (not concurrently with another registration on the same block).
 * Returns 0, -EINVAL (bad name) or -ENOSPC (table full); *out is set on success. */
int hat_counter_register(struct hat_stage_shm *s, const char *name, struct hat_counter *out);
/* Same with a printf-formatted name ("stale_ms.%s"). */
int hat_counter_registerf(struct hat_stage_shm *s, struct hat_counter *out, const char *fmt, ...)
	HAT_PRINTF(3, 4);

static inline void hat_counter_add(struct hat_counter c, uint64_t n)
{
	/* Relaxed: readers want each word, not an order. An atomic add (not load + store) so
	 * several threads of the owning stage may share a counter. */
	__atomic_fetch_add(c.v, n, __ATOMIC_RELAXED);
}
static inline void hat_counter_inc(struct hat_counter c) { hat_counter_add(c, 1); }
/* For gauges (queue depth, staleness): relaxed store, the only writer is the owner. */
static inline void hat_counter_set(struct hat_counter c, uint64_t v)
{
	__atomic_store_n(c.v, v, __ATOMIC_RELAXED);
}
static inline uint64_t hat_counter_get(struct hat_counter c)
{
	return __atomic_load_n(c.v, __ATOMIC_RELAXED);
}

/* Registers (or finds) a histogram. Returns 0, -EINVAL or -ENOSPC. */
int hat_hist_register(struct hat_stage_shm *s, const char *name, struct hat_hist *out);
/* Records one value (ns). Owning stage only, from one thread at a time (relaxed loads and
 * stores, no atomic read-modify-write). */
void hat_hist_record(struct hat_hist h, uint64_t v);

/* ---------------------------------------------------------------- readers */

/* Bucket index of a value (see the file comment). */
unsigned hat_hist_bucket(uint64_t v);
/* Smallest and largest value bucket k counts. */
uint64_t hat_hist_bucket_lo(unsigned k);
uint64_t hat_hist_bucket_hi(unsigned k);

/* A private copy of a histogram, for percentiles and merging. */
struct hat_hist_snap {
	uint64_t count;   /* = sum of buckets */
	uint64_t sum;
	uint64_t min;     /* UINT64_MAX if empty */
	uint64_t max;
	uint64_t buckets[HAT_HIST_BUCKETS];
};
void hat_hist_snap_init(struct hat_hist_snap *s);
/* Copies shm into out (count recomputed from the copied buckets). Any process. */
void hat_hist_snapshot(const struct hat_hist_shm *h, struct hat_hist_snap *out);
/* Adds src into dst (counts, sums, min/max). */
void hat_hist_merge(struct hat_hist_snap *dst, const struct hat_hist_snap *src);
/* Records into a private snapshot (tests, benchmarks, local histograms). */
void hat_hist_snap_record(struct hat_hist_snap *s, uint64_t v);
/* The p-th percentile estimate (0 < p <= 100): upper bound of the bucket holding the value of
 * rank ceil(p/100 * count), clamped to [min, max]. Returns 0 for an empty histogram. */
uint64_t hat_hist_percentile(const struct hat_hist_snap *s, double p);
/* Mean (sum / count), 0 if empty. */
uint64_t hat_hist_mean(const struct hat_hist_snap *s);

/* Number of registered counters (acquire) and the i-th one, for readers iterating. */
uint32_t hat_stage_counter_count(const struct hat_stage_shm *s);
const struct hat_counter_shm *hat_stage_counter_at(const struct hat_stage_shm *s, uint32_t i);
/* Value of a counter by name; -ENOENT if not registered. */
int hat_stage_counter_find(const struct hat_stage_shm *s, const char *name, uint64_t *value);
uint32_t hat_stage_hist_count(const struct hat_stage_shm *s);
const struct hat_hist_shm *hat_stage_hist_at(const struct hat_stage_shm *s, uint32_t i);
const struct hat_hist_shm *hat_stage_hist_find(const struct hat_stage_shm *s, const char *name);

/* Plain loads of the liveness fields (relaxed) for superd/inspector. */
struct hat_stage_status {
	unsigned stage, state, ready;
	pid_t pid;
	uint32_t restart_count;
	uint64_t heartbeat_ns, started_ns;
};
void hat_stage_status(const struct hat_stage_shm *s, struct hat_stage_status *out);

/* Whether stage (HAT_STAGE_*) of c looks alive to a peer that depends on it: its state is
 * STARTING..HALTED (a process is running it) and its heartbeat is at most timeout_ns older than
 * mono_ns (hat_mono_ns()). false for an unknown stage. Read-only, any process (riskd watches
 * signald, execd watches riskd). */
bool hat_stage_alive(const struct hat_control *c, unsigned stage, uint64_t timeout_ns,
		     uint64_t mono_ns);

/* superd: bumps the restart count (relaxed; only superd writes it). */
void hat_stage_note_restart(struct hat_stage_shm *s);

/* "starting", "running", ...; "?" if unknown. */
const char *hat_stage_state_name(unsigned state);

#endif
