/* hl/parse_info.h -- /info responses (section 2): allMids, l2Book, openOrders /
 * frontendOpenOrders, clearinghouseState, userFills, orderStatus. (`meta`: hl/meta.h.)
 *
 * Each parser takes the response tree (borrowed; from hl_json_parse() of the HTTP body, or the
 * "data" of a WebSocket post of type info) and fills caller-owned structs/arrays. Lists follow
 * one contract: *n = elements stored (min(count, cap)), *total = elements in the response
 * (total > n: the rest were dropped, unexamined). Errors: HAT_E_PARSE with the path of the bad
 * field, rooted at the request type ("clearinghouseState.assetPositions[0].position.szi:
 * expected a string"). I/O-free, thread-safe, no allocation.
 */
#ifndef HAT_HL_PARSE_INFO_H
#define HAT_HL_PARSE_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/msg_types.h"
#include "hl/records.h"

struct hl_meta;

/* {"BTC":"65012.5", ...} (skipped: coins longer than HAT_COIN_LEN - 1; may be NULL). */
int hl_info_parse_all_mids(const cJSON *root, struct hl_mid *mids, size_t cap, size_t *n,
			   size_t *total, size_t *skipped, char *err, size_t errlen);

/* {coin, time, levels} -> BOOK message (see hl_book_parse() in hl/records.h for the rules).
 * Returns 0, HAT_E_PARSE, or -ENOENT for a coin meta does not know. */
int hl_info_parse_l2book(const cJSON *root, const struct hl_meta *meta, uint64_t origin_ns,
			 struct hat_msg_book *out, char *err, size_t errlen);

/* openOrders or frontendOpenOrders array (frontend-only fields are optional). */
int hl_info_parse_open_orders(const cJSON *root, struct hl_order_info *orders, size_t cap,
			      size_t *n, size_t *total, char *err, size_t errlen);

/* userFills / userFillsByTime array. */
int hl_info_parse_user_fills(const cJSON *root, struct hl_fill *fills, size_t cap, size_t *n,
			     size_t *total, char *err, size_t errlen);

struct hl_margin_summary {
	int64_t account_value;     /* USD 1e-8 */
	int64_t total_margin_used;
	int64_t total_ntl_pos;
	int64_t total_raw_usd;
};

struct hl_position {
	char coin[HAT_COIN_LEN];
	int64_t szi;               /* signed size, 1e-8 (+ long, - short) */
	int64_t entry_px;          /* 1e-8; 0 when null (has_entry_px = 0) */
	int64_t liquidation_px;    /* 1e-8; 0 when null */
	int64_t position_value;    /* USD 1e-8 */
	int64_t unrealized_pnl;    /* USD 1e-8 */
	int64_t margin_used;       /* USD 1e-8 */
	int64_t cum_funding_all_time; /* USD 1e-8; 0 if absent */
	uint32_t leverage;         /* leverage.value */
	uint8_t leverage_isolated; /* leverage.type == "isolated" */
	uint8_t has_entry_px;
	uint8_t has_liquidation_px;
	uint8_t _pad;
};

struct hl_clearinghouse {
	struct hl_margin_summary margin;        /* marginSummary */
	struct hl_margin_summary cross_margin;  /* crossMarginSummary (zeros if absent) */
	int64_t cross_maintenance_margin_used;  /* 0 if absent */
	int64_t withdrawable;
	uint64_t time_ms;
	size_t n_positions;     /* stored in the caller's array */
	size_t total_positions; /* in the response */
};

/* clearinghouseState: positions go to positions[0..cap). */
int hl_info_parse_clearinghouse(const cJSON *root, struct hl_clearinghouse *out,
				struct hl_position *positions, size_t cap, char *err,
				size_t errlen);

/* orderStatus: {"status":"order","order":{order, status, statusTimestamp}} -> *known = true and
 * out filled; {"status":"unknownOid"} -> *known = false (out zeroed). */
int hl_info_parse_order_status(const cJSON *root, bool *known, struct hl_order_update *out,
			       char *err, size_t errlen);

#endif
