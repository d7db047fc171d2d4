/* feedd/config.c -- schema of feedd's configuration section. */
#include "feedd/config.h"
#include "common/err.h"
#include "common/journal.h"

#include <stdio.h>

static const char *const fsync_names[] = { "never", "interval", "always", NULL };

#define S struct feed_config
const struct hat_cfg_field feed_config_schema[] = {
	HAT_CFG_UINT_F(S, l2_sig_figs, "l2_sig_figs", 0, 0, 5, "l2Book nSigFigs: 0 = full precision, 2..5"),
	HAT_CFG_UINT_F(S, l2_mantissa, "l2_mantissa", 0, 0, 5, "l2Book mantissa: 0, 1, 2 or 5 (with nSigFigs 5)"),
	HAT_CFG_BOOL_F(S, sub_l2book, "sub_l2book", 1, "subscribe l2Book per coin"),
	HAT_CFG_BOOL_F(S, sub_trades, "sub_trades", 1, "subscribe trades per coin"),
	HAT_CFG_BOOL_F(S, sub_bbo, "sub_bbo", 1, "subscribe bbo per coin"),
	HAT_CFG_UINT_F(S, ping_interval_ms, "ping_interval_ms", 20000, 1000, 55000,
		       "app ping after this long without a received frame"),
	HAT_CFG_UINT_F(S, silence_timeout_ms, "silence_timeout_ms", 15000, 1000, 600000,
		       "reconnect when nothing arrives this long after a ping"),
	HAT_CFG_UINT_F(S, stale_after_ms, "stale_after_ms", 5000, 100, 3600000,
		       "counter stale.<coin> = 1 after this long without book/bbo"),
	HAT_CFG_UINT_F(S, reconnect_min_ms, "reconnect_min_ms", 500, 1, 600000, "first backoff bound"),
	HAT_CFG_UINT_F(S, reconnect_max_ms, "reconnect_max_ms", 30000, 1, 3600000, "backoff cap"),
	HAT_CFG_UINT_F(S, stable_ms, "stable_ms", 60000, 0, 3600000, "open this long resets the backoff"),
	HAT_CFG_UINT_F(S, min_connect_interval_ms, "min_connect_interval_ms", 2000, 0, 600000,
		       "floor between connection attempts"),
	HAT_CFG_UINT_F(S, connect_timeout_ms, "connect_timeout_ms", 10000, 100, 600000,
		       "DNS + TCP + TLS + handshake timeout"),
	HAT_CFG_UINT_F(S, max_frame_bytes, "max_frame_bytes", 1048576, 1024, 268435456,
		       "largest WebSocket message accepted (close 1009 above)"),
	HAT_CFG_BOOL_F(S, fetch_meta, "fetch_meta", 1, "ask venue.http /info meta for asset ids"),
	HAT_CFG_STRING_F(S, ca_file, "ca_file", "", 0, "PEM CA bundle for wss (\"\" = system)"),
	HAT_CFG_UINT_F(S, trade_queue, "trade_queue", 65536, 1, 16777216,
		       "trades kept while the md ring is full"),
	HAT_CFG_UINT_F(S, heartbeat_ms, "heartbeat_ms", 100, 10, 10000, "heartbeat period"),
	HAT_CFG_BOOL_F(S, record, "record", 0, "record received frames to a journal"),
	HAT_CFG_STRING_F(S, record_dir, "record_dir", "", 0, "journal directory (\"\" = paths.journal_dir)"),
	HAT_CFG_UINT_F(S, record_max_file_mb, "record_max_file_mb", 256, 1, 65536, "journal rotation size"),
	HAT_CFG_ENUM_F(S, record_fsync, "record_fsync", HAT_JOURNAL_FSYNC_INTERVAL, fsync_names,
		       "journal fsync policy"),
	HAT_CFG_UINT_F(S, record_fsync_ms, "record_fsync_ms", 1000, 1, 3600000, "fsync interval"),
	HAT_CFG_END_F,
};
#undef S

int feed_config_load(struct feed_config *c, const struct hat_config_doc *doc, char *err,
		     size_t errlen)
{
	int rc = hat_config_apply(doc, "feedd", feed_config_schema, c, err, errlen);
	if (rc)
		return rc;
	if (c->l2_sig_figs == 1) {
		snprintf(err, errlen, "%s: feedd.l2_sig_figs: must be 0 or 2..5 (got 1)", doc->path);
		return HAT_E_CONFIG;
	}
	if (c->l2_mantissa && (c->l2_sig_figs != 5 || (c->l2_mantissa != 1 && c->l2_mantissa != 2 &&
						       c->l2_mantissa != 5))) {
		snprintf(err, errlen, "%s: feedd.l2_mantissa: must be 1, 2 or 5 and needs l2_sig_figs 5 (got %u)",
			 doc->path, c->l2_mantissa);
		return HAT_E_CONFIG;
	}
	if (c->reconnect_min_ms > c->reconnect_max_ms) {
		snprintf(err, errlen, "%s: feedd.reconnect_min_ms: must be <= reconnect_max_ms (%u > %u)",
			 doc->path, c->reconnect_min_ms, c->reconnect_max_ms);
		return HAT_E_CONFIG;
	}
	if (!c->sub_l2book && !c->sub_trades && !c->sub_bbo) {
		snprintf(err, errlen, "%s: feedd: sub_l2book, sub_trades and sub_bbo are all false",
			 doc->path);
		return HAT_E_CONFIG;
	}
	return 0;
}
