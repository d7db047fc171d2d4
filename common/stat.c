/* common/stat.c -- counters continued across restarts (see stat.h). */
#include "common/stat.h"

int hat_stat_register(struct hat_stage_shm *blk, struct hat_stat *s, const char *name,
		      const uint64_t *src, bool gauge)
{
	int rc = hat_counter_register(blk, name, &s->c);
	if (rc)
		return rc;
	s->src = src;
	s->gauge = gauge;
	s->base = gauge ? 0 : hat_counter_get(s->c);
	return 0;
}

void hat_stat_publish(const struct hat_stat *stats, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		hat_counter_set(stats[i].c, stats[i].base + *stats[i].src);
}
