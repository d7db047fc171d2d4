/* execd/config.c -- the "execd" config section (see config.h). */
#include "execd/config.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "execd/http.h"
#include "execd/router.h"

#define F struct exec_file_cfg

const struct hat_cfg_field exec_config_schema[] = {
	HAT_CFG_STRING_F(F, keystore, "keystore", "etc/test-key.json", 1,
	                 "encrypted key file (hatctl key new|import)"),
	HAT_CFG_STRING_F(F, account_address, "account_address", "", 0,
	                 "account traded; \"\" = the key's own address"),
	HAT_CFG_STRING_F(F, vault_address, "vault_address", "", 0,
	                 "vault or sub-account to trade for; \"\" = none"),
	HAT_CFG_BOOL_F(F, agent, "agent", false,
	               "the key is an API/agent wallet for account_address"),
	HAT_CFG_UINT_F(F, dead_man_ms, "dead_man_ms", 60000, 0, 86400000,
	               "scheduleCancel deadline ahead of now; 0 = switch off"),
	HAT_CFG_UINT_F(F, dead_man_rearm_ms, "dead_man_rearm_ms", 20000, 1, 86400000,
	               "how often the deadline is pushed ahead"),
	HAT_CFG_UINT_F(F, request_timeout_ms, "request_timeout_ms", 5000, 100, 120000,
	               "whole HTTP request timeout"),
	HAT_CFG_STRING_F(F, nonce_file, "nonce_file", "var/run/execd.nonce", 1,
	                 "persisted nonce high-water mark"),
	HAT_CFG_STRING_F(F, wal_dir, "wal_dir", "var/journal", 1,
	                 "directory of the write-ahead journal"),
	HAT_CFG_STRING_F(F, audit_file, "audit_file", "var/log/execd.audit", 1,
	                 "hash-chained audit trail (JSON lines)"),
	HAT_CFG_UINT_F(F, max_in_flight, "max_in_flight", 4, 1, EXEC_HTTP_MAX_SLOTS - 2,
	               "order/cancel requests outstanding at once"),
	HAT_CFG_UINT_F(F, max_batch, "max_batch", 40, 1, EXEC_BATCH_MAX,
	               "orders or cancels per action"),
	HAT_CFG_UINT_F(F, batch_window_us, "batch_window_us", 0, 0, 1000000,
	               "how long an order waits for others to share its action"),
	HAT_CFG_BOOL_F(F, use_ws_post, "use_ws_post", false,
	               "send actions as WebSocket posts on the private stream (retries use HTTP)"),
	HAT_CFG_UINT_F(F, heartbeat_ms, "heartbeat_ms", 100, 1, 60000,
	               "control block heartbeat and counter flush period"),
	HAT_CFG_UINT_F(F, fsm_capacity, "fsm_capacity", 65536, 16, 1u << 24,
	               "orders remembered (live + recent terminal)"),
	HAT_CFG_UINT_F(F, ping_idle_ms, "ping_idle_ms", 20000, 100, 600000,
	               "private stream: ping after this long without a frame"),
	HAT_CFG_UINT_F(F, silent_ms, "silent_ms", 45000, 200, 600000,
	               "private stream: reconnect after this long without a frame"),
	HAT_CFG_UINT_F(F, reconnect_min_ms, "reconnect_min_ms", 250, 1, 600000,
	               "private stream: first reconnect delay"),
	HAT_CFG_UINT_F(F, reconnect_max_ms, "reconnect_max_ms", 30000, 1, 600000,
	               "private stream: largest reconnect delay"),
	HAT_CFG_UINT_F(F, ip_weight_per_min, "ip_weight_per_min", 1200, 0, 1000000,
	               "REST weight budget per minute (0 = not tracked)"),
	HAT_CFG_UINT_F(F, rate_backoff_min_ms, "rate_backoff_min_ms", 1000, 1, 600000,
	               "first backoff after a rate-limit answer"),
	HAT_CFG_UINT_F(F, rate_backoff_max_ms, "rate_backoff_max_ms", 30000, 1, 600000,
	               "largest backoff"),
	HAT_CFG_UINT_F(F, max_retries, "max_retries", 2, 0, 10,
	               "resends of the same signed request after a transport error"),
	HAT_CFG_UINT_F(F, riskd_timeout_ms, "riskd_timeout_ms", 3000, 1, 600000,
	               "riskd's heartbeat age after which the dead-man's switch is left to fire"),
	HAT_CFG_END_F,
};

int exec_config_load(const struct hat_config_doc *doc, struct exec_file_cfg *out, char *err,
		     size_t errlen)
{
	int rc = hat_config_apply(doc, "execd", exec_config_schema, out, err, errlen);
	if (rc)
		return rc;
	if (out->agent && out->account_address[0] == '\0') {
		snprintf(err, errlen, "%s: execd.account_address: required when agent is true",
		         doc->path);
		return HAT_E_CONFIG;
	}
	if (out->reconnect_min_ms > out->reconnect_max_ms) {
		snprintf(err, errlen, "%s: execd.reconnect_min_ms: must be <= reconnect_max_ms",
		         doc->path);
		return HAT_E_CONFIG;
	}
	if (out->silent_ms <= out->ping_idle_ms) {
		snprintf(err, errlen, "%s: execd.silent_ms: must be > ping_idle_ms", doc->path);
		return HAT_E_CONFIG;
	}
	return 0;
}
