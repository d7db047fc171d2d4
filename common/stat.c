/* common/stat.c -- counters continued across restarts (see stat.h). */
#include "common/stat.h"

#include <errno.h>

int hat_stats_add(struct hat_stats *s, struct hat_stage_shm *blk, const char *name,
		  const uint64_t *src, bool gauge)
{
	if (s->n == HAT_STATS_MAX)
		return -ENOSPC;
	struct hat_stat *x = &s->v[s->n];
	int rc = hat_counter_register(blk, name, &x->c);
	if (rc)
		return rc;
	x->src = src;
	x->gauge = gauge;
	x->base = gauge ? 0 : hat_counter_get(x->c);
	s->n++;
	return 0;
}

void hat_stats_publish(const struct hat_stats *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		hat_counter_set(s->v[i].c, s->v[i].base + *s->v[i].src);
}
