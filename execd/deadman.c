/* execd/deadman.c -- scheduleCancel schedule (see deadman.h). */
#include "execd/deadman.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int exec_deadman_init(struct exec_deadman *d, const struct exec_deadman_cfg *cfg, char *err,
		      size_t errlen)
{
	memset(d, 0, sizeof *d);
	if (cfg->ahead_ms != 0) {
		/* The re-arm must land while the armed deadline is still more than the exchange's
		 * minimum delay away, or a slow request could arm a time already too close. */
		if (cfg->ahead_ms < 2 * EXEC_DM_MIN_DELAY_MS) {
			snprintf(err, errlen, "execd.dead_man_ms: must be 0 (off) or >= %u (got %u)",
			         2 * EXEC_DM_MIN_DELAY_MS, cfg->ahead_ms);
			return -EINVAL;
		}
		if (cfg->rearm_ms == 0 || cfg->rearm_ms > cfg->ahead_ms - EXEC_DM_MIN_DELAY_MS) {
			snprintf(err, errlen, "execd.dead_man_rearm_ms: must be 1..%u (got %u)",
			         cfg->ahead_ms - EXEC_DM_MIN_DELAY_MS, cfg->rearm_ms);
			return -EINVAL;
		}
		if (cfg->max_triggers_per_day == 0) {
			snprintf(err, errlen, "execd.dead_man_max_triggers: must be >= 1");
			return -EINVAL;
		}
	}
	d->cfg = *cfg;
	if (d->cfg.retry_ms == 0)
		d->cfg.retry_ms = 1000;
	return 0;
}

static void roll_day(struct exec_deadman *d, uint64_t now_ms)
{
	uint64_t day = now_ms / EXEC_DM_DAY_MS;
	if (day != d->day) {
		d->day = day;
		d->triggers_today = 0;
	}
}

bool exec_deadman_exhausted(const struct exec_deadman *d, uint64_t now_ms)
{
	if (now_ms / EXEC_DM_DAY_MS != d->day)
		return false;
	return d->triggers_today >= d->cfg.max_triggers_per_day;
}

enum exec_dm_action exec_deadman_poll(struct exec_deadman *d, uint64_t now_ms, bool healthy,
				      uint64_t *time_ms)
{
	roll_day(d, now_ms);
	if (d->cfg.ahead_ms == 0 || d->in_flight)
		return EXEC_DM_NONE;
	if (d->disarm_wanted) {
		if (d->armed_until_ms == 0)
			return EXEC_DM_NONE;
		*time_ms = 0;
		return EXEC_DM_DISARM;
	}
	if (!healthy || exec_deadman_exhausted(d, now_ms) || now_ms < d->next_ms)
		return EXEC_DM_NONE;
	*time_ms = now_ms + d->cfg.ahead_ms;
	return EXEC_DM_ARM;
}

void exec_deadman_sent(struct exec_deadman *d, uint64_t time_ms)
{
	d->in_flight = true;
	d->pending_ms = time_ms;
}

void exec_deadman_result(struct exec_deadman *d, bool ok, uint64_t now_ms)
{
	d->in_flight = false;
	if (!ok) {
		d->arm_failures++;
		d->next_ms = now_ms + d->cfg.retry_ms;
		return;
	}
	if (d->pending_ms == 0) {
		d->armed_until_ms = 0;
		d->disarm_wanted = false;
		return;
	}
	d->arms++;
	d->armed_until_ms = d->pending_ms;
	d->next_ms = now_ms + d->cfg.rearm_ms;
}

void exec_deadman_want_disarm(struct exec_deadman *d)
{
	d->disarm_wanted = true;
}

void exec_deadman_triggered(struct exec_deadman *d, uint64_t now_ms)
{
	roll_day(d, now_ms);
	/* Every order the switch canceled reports it: count the trigger once. */
	if (d->armed_until_ms == 0 && d->triggers > 0)
		return;
	d->triggers_today++;
	d->triggers++;
	d->armed_until_ms = 0;
	d->next_ms = now_ms;
}
