/* common/stat.h -- control-block counters that continue across a stage's restarts.
 *
 * A stage keeps its totals as plain uint64_t in its own memory (cheap on the hot path) and
 * publishes them into its control block at each heartbeat. The control block outlives the
 * process (superd owns the segment), so a restarted stage registering the same names finds
 * the values its predecessor published there: that is its base, and it publishes base + its
 * own total from then on, so a counter never goes back. A gauge (a depth, a flag) is
 * published as it is. Used by riskd and execd.
 *
 * Owning stage only; registration at init, publishing from the stage's loop thread.
 */
#ifndef HAT_COMMON_STAT_H
#define HAT_COMMON_STAT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/control.h"

#define HAT_STATS_MAX 64

struct hat_stat {
	struct hat_counter c;
	uint64_t base;         /* what the previous process left (0 for a gauge) */
	const uint64_t *src;   /* the running value (borrowed: must outlive the stat) */
	uint8_t gauge;
};

/* A stage's published numbers (caller-owned, zeroed to start). */
struct hat_stats {
	struct hat_stat v[HAT_STATS_MAX];
	uint32_t n;
};

/* Registers (or finds, by name) the counter in blk and takes its current value as base (unless
 * gauge). Returns 0, -ENOSPC (HAT_STATS_MAX stats already, or the block's table is full) or
 * -EINVAL (bad name). */
int hat_stats_add(struct hat_stats *s, struct hat_stage_shm *blk, const char *name,
		  const uint64_t *src, bool gauge);
/* Publishes every stat: base + *src each. */
void hat_stats_publish(const struct hat_stats *s);

#endif
