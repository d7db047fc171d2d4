/* superd/config.c -- schema of the "superd" section. */
#include "superd/config.h"
#include "common/err.h"
#include "common/msg.h"

#include <stdio.h>
#include <string.h>

static const struct hat_cfg_field stage_elem[] = {
	{ "", HAT_CFG_STRING, HAT_CFG_F_MIN, 0, 16, .imin = 1, .help = "stage name" },
	HAT_CFG_END_F,
};

#define MS(F, key, def, lo, hi, help) HAT_CFG_UINT_F(struct sup_config, F, key, def, lo, hi, help)
static const struct hat_cfg_field schema[] = {
	MS(heartbeat_timeout_ms, "heartbeat_timeout_ms", 3000, 100, 600000, "watchdog limit"),
	MS(start_grace_ms, "start_grace_ms", 10000, 0, 600000, "no watchdog before this uptime"),
	MS(ready_timeout_ms, "ready_timeout_ms", 15000, 100, 600000, "wait for ready at most"),
	MS(stop_timeout_ms, "stop_timeout_ms", 5000, 100, 600000, "SIGTERM to SIGKILL"),
	MS(backoff_min_ms, "restart_backoff_min_ms", 10, 1, 600000, "first restart delay"),
	MS(backoff_max_ms, "restart_backoff_max_ms", 5000, 1, 3600000, "restart delay cap"),
	MS(stable_ms, "stable_ms", 30000, 1, 86400000, "uptime that resets the backoff"),
	MS(max_restarts, "max_restarts", 5, 1, 60, "failures allowed per window"),
	MS(window_s, "restart_window_s", 60, 1, 86400, "intensity window"),
	MS(metrics_port, "metrics_port", 9464, 0, 65535, "Prometheus port (0 = off)"),
	MS(cancel_wait_ms, "cancel_wait_ms", 1000, 0, 60000, "cancel-all time before stopping"),
	HAT_CFG_SCALARS_F(struct sup_config, stages, n_stages, "stages", stage_elem, 1,
			  "stages, producers first"),
	HAT_CFG_STRING_F(struct sup_config, bin_dir, "bin_dir", "", 0, "stage programs' directory"),
	HAT_CFG_END_F,
};

int sup_config_load(struct sup_config *c, const struct hat_config_doc *doc, char *err,
		    size_t errlen)
{
	memset(c, 0, sizeof *c);
	int rc = hat_config_apply(doc, "superd", schema, c, err, errlen);
	if (rc != 0)
		return rc;
	if (c->backoff_max_ms < c->backoff_min_ms) {
		snprintf(err, errlen, "%s: superd.restart_backoff_max_ms: must be >= "
			 "restart_backoff_min_ms (%u)", doc->path, c->backoff_min_ms);
		return HAT_E_CONFIG;
	}
	static const unsigned ids[] = { HAT_STAGE_FEEDD, HAT_STAGE_SIGNALD, HAT_STAGE_RISKD,
					HAT_STAGE_EXECD };
	for (uint32_t i = 0; i < c->n_stages; i++) {
		c->stage_ids[i] = 0;
		for (size_t k = 0; k < 4; k++)
			if (strcmp(c->stages[i], hat_stage_name(ids[k])) == 0)
				c->stage_ids[i] = ids[k];
		if (!c->stage_ids[i]) {
			snprintf(err, errlen, "%s: superd.stages[%u]: unknown stage '%s' "
				 "(feedd|signald|riskd|execd)", doc->path, i, c->stages[i]);
			return HAT_E_CONFIG;
		}
		for (uint32_t j = 0; j < i; j++)
			if (c->stage_ids[j] == c->stage_ids[i]) {
				snprintf(err, errlen, "%s: superd.stages[%u]: '%s' listed twice",
					 doc->path, i, c->stages[i]);
				return HAT_E_CONFIG;
			}
	}
	return 0;
}
