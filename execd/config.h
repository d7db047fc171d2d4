/* execd/config.h -- the "execd" section of etc/hat.json (owned by execd).
 *
 * Keys (defaults in execd/config.c, `hatctl config --schema` prints them):
 *   keystore, account_address ("" = the key's address), vault_address ("" = none), agent
 *   (true: the key is an API/agent wallet trading for account_address, which must then be set),
 *   dead_man_ms (0 = off), dead_man_rearm_ms, request_timeout_ms, nonce_file, wal_dir,
 *   audit_file, max_in_flight, max_batch, batch_window_us, use_ws_post, heartbeat_ms,
 *   fsm_capacity, ping_idle_ms, silent_ms, reconnect_min_ms, reconnect_max_ms,
 *   ip_weight_per_min, rate_backoff_min_ms, rate_backoff_max_ms, max_retries,
 *   riskd_timeout_ms.
 * Relative paths are relative to the working directory of the daemon.
 */
#ifndef HAT_EXECD_CONFIG_H
#define HAT_EXECD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"

struct exec_file_cfg {
	char keystore[HAT_CONFIG_PATH_LEN];
	char account_address[64];
	char vault_address[64];
	bool agent;
	uint32_t dead_man_ms;
	uint32_t dead_man_rearm_ms;
	uint32_t request_timeout_ms;
	char nonce_file[HAT_CONFIG_PATH_LEN];
	char wal_dir[HAT_CONFIG_PATH_LEN];
	char audit_file[HAT_CONFIG_PATH_LEN];
	uint32_t max_in_flight;
	uint32_t max_batch;
	uint32_t batch_window_us;
	bool use_ws_post;
	uint32_t heartbeat_ms;
	uint32_t fsm_capacity;
	uint32_t ping_idle_ms, silent_ms, reconnect_min_ms, reconnect_max_ms;
	uint32_t ip_weight_per_min, rate_backoff_min_ms, rate_backoff_max_ms;
	uint32_t max_retries;
	uint32_t riskd_timeout_ms;
};

extern const struct hat_cfg_field exec_config_schema[];

/* Applies the "execd" section of doc into out (defaults first). Returns 0 or HAT_E_CONFIG with
 * err naming file and key ("etc/hat.json: execd.max_in_flight: must be 1..64"). */
int exec_config_load(const struct hat_config_doc *doc, struct exec_file_cfg *out, char *err,
		     size_t errlen);

#endif
