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

struct hat_stat {
	struct hat_counter c;
	uint64_t base;         /* what the previous process left (0 for a gauge) */
	const uint64_t *src;   /* the running value (borrowed: must outlive the stat) */
	uint8_t gauge;
};

/* Registers (or finds, by name) the counter and takes its current value as base (unless
 * gauge). Returns 0, or what hat_counter_register returns (-EINVAL, -ENOSPC). */
int hat_stat_register(struct hat_stage_shm *blk, struct hat_stat *s, const char *name,
		      const uint64_t *src, bool gauge);
/* Publishes stats[0..n): base + *src each. */
void hat_stat_publish(const struct hat_stat *stats, uint32_t n);

#endif
