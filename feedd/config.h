/* feedd/config.h -- feedd's section of etc/hat.json ("feedd": {...}) as a typed struct.
 *
 * Keys (all optional; defaults in brackets):
 *   l2_sig_figs          l2Book aggregation: 0 = full precision, or 2..5          [0]
 *   l2_mantissa          0 = none, or 1, 2, 5 (only with l2_sig_figs 5)           [0]
 *   sub_l2book, sub_trades, sub_bbo   which channels to subscribe per coin        [true]
 *   ping_interval_ms     app ping after this long without any received frame      [20000]
 *   silence_timeout_ms   after a ping, reconnect if nothing (not even the pong)
 *                        arrives within this long: silent limit = ping + this     [15000]
 *   stale_after_ms       a coin with no book/bbo for this long shows stale.<coin>=1
 *                        in the counters (monitoring; the board's stale flag is
 *                        connection-based: set on disconnect, cleared by the
 *                        coin's first snapshot after resubscribing)              [5000]
 *   reconnect_min_ms, reconnect_max_ms   jittered exponential backoff bounds      [500, 30000]
 *   stable_ms            open this long: the backoff starts over                  [60000]
 *   min_connect_interval_ms  floor between two connection attempts
 *                        (the exchange allows 30 new connections per minute)      [2000]
 *   connect_timeout_ms   DNS + TCP + TLS + WebSocket handshake                    [10000]
 *   max_frame_bytes      largest message accepted; larger: close 1009, reconnect  [1048576]
 *   fetch_meta           ask venue.http /info meta for asset ids                   [true]
 *   ca_file              PEM CA bundle for wss:// ("" = system default)           [""]
 *   trade_queue          trades kept while the md ring is full                    [65536]
 *   heartbeat_ms         control-block heartbeat and counter refresh period       [100]
 *   record               record every received frame to a journal                 [false]
 *   record_dir           "" = paths.journal_dir                                   [""]
 *   record_max_file_mb   rotate journal files at this size                        [256]
 *   record_fsync         "never" | "interval" | "always"                          ["interval"]
 *   record_fsync_ms      with "interval"                                          [1000]
 * The WebSocket URL is venue.ws (shared section), overridable with --ws.
 */
#ifndef HAT_FEEDD_CONFIG_H
#define HAT_FEEDD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

struct feed_config {
	uint32_t l2_sig_figs;
	uint32_t l2_mantissa;
	bool sub_l2book, sub_trades, sub_bbo;
	uint32_t ping_interval_ms;
	uint32_t silence_timeout_ms;
	uint32_t stale_after_ms;
	uint32_t reconnect_min_ms;
	uint32_t reconnect_max_ms;
	uint32_t stable_ms;
	uint32_t min_connect_interval_ms;
	uint32_t connect_timeout_ms;
	uint32_t max_frame_bytes;
	bool fetch_meta;
	char ca_file[HAT_CONFIG_PATH_LEN];
	uint32_t trade_queue;
	uint32_t heartbeat_ms;
	bool record;
	char record_dir[HAT_CONFIG_PATH_LEN];
	uint32_t record_max_file_mb;
	int record_fsync;              /* enum hat_journal_fsync */
	uint32_t record_fsync_ms;
};

extern const struct hat_cfg_field feed_config_schema[];

/* Fills c from doc's "feedd" section (defaults for a missing section). Returns 0 or
 * HAT_E_CONFIG with err naming the file and key ("etc/hat.json: feedd.l2_mantissa: ..."). */
int feed_config_load(struct feed_config *c, const struct hat_config_doc *doc, char *err,
		     size_t errlen);

#endif
