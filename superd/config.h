/* superd/config.h -- the "superd" section of the configuration.
 *
 *   "superd": {
 *     "heartbeat_timeout_ms": 3000,   a running stage whose heartbeat is older is killed
 *     "start_grace_ms": 10000,        ... but not before it has run this long
 *     "ready_timeout_ms": 15000,      start the next stage anyway after waiting this long
 *     "stop_timeout_ms": 5000,        SIGTERM, then SIGKILL after this
 *     "restart_backoff_min_ms": 10,   restart delay doubles from this ...
 *     "restart_backoff_max_ms": 5000, ... to this
 *     "stable_ms": 30000,             a stage up this long gets its backoff reset
 *     "max_restarts": 5,              more failures than this ...
 *     "restart_window_s": 60,         ... within this window escalates (halt trading)
 *     "metrics_port": 9464,           Prometheus /metrics on 127.0.0.1 (0 = off)
 *     "cancel_wait_ms": 1000,         on stop: time for execd's cancel-all before SIGTERMs
 *     "stages": ["feedd", "signald", "riskd", "execd"],   producers first; started reversed
 *     "bin_dir": ""                   where the stage programs are ("" = next to superd)
 *   }
 */
#ifndef HAT_SUPERD_CONFIG_H
#define HAT_SUPERD_CONFIG_H

#include <stdint.h>

#include "common/config.h"

#define SUP_MAX_STAGES 4

struct sup_config {
	uint32_t heartbeat_timeout_ms, start_grace_ms, ready_timeout_ms, stop_timeout_ms;
	uint32_t backoff_min_ms, backoff_max_ms, stable_ms, max_restarts, window_s;
	uint32_t metrics_port, cancel_wait_ms;
	char stages[SUP_MAX_STAGES][16];
	uint32_t n_stages;
	unsigned stage_ids[SUP_MAX_STAGES]; /* resolved enum hat_stage_id, same order */
	char bin_dir[256];
};

/* Fills c from doc's "superd" section. Returns 0 or HAT_E_CONFIG with err naming the key. */
int sup_config_load(struct sup_config *c, const struct hat_config_doc *doc, char *err,
		    size_t errlen);

#endif
