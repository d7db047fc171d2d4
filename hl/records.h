/* hl/records.h -- the records the exchange sends both over /info and over the WebSocket:
 * orders (openOrders, frontendOpenOrders, orderUpdates, orderStatus), order statuses, fills
 * (userFills, userEvents), mids and l2Book snapshots, with their cJSON element parsers.
 *
 * The parsers take one cJSON element and its path (hl/json.h), fill a caller-owned struct and
 * return 0 or HAT_E_PARSE with the path of the bad field in err. They never keep pointers into
 * the tree. Thread-safe, no allocation. hl/parse_ws.h and hl/parse_info.h are the entry points
 * for whole messages; use these directly only for a record embedded in something else.
 */
#ifndef HAT_HL_RECORDS_H
#define HAT_HL_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/msg_types.h"
#include "hl/json.h"

struct hl_meta;

/* ---------------------------------------------------------------- order status */

/* X(NAME, "wire string", id, terminal, enum hat_reason for rejects). Section 2.8. */
#define HL_ORDER_STATUSES(X) \
	X(OPEN, "open", 1, 0, NONE) \
	X(FILLED, "filled", 2, 1, NONE) \
	X(CANCELED, "canceled", 3, 1, NONE) \
	X(TRIGGERED, "triggered", 4, 0, NONE) \
	X(REJECTED, "rejected", 5, 1, EXCH_OTHER) \
	X(MARGIN_CANCELED, "marginCanceled", 6, 1, NONE) \
	X(VAULT_WITHDRAWAL_CANCELED, "vaultWithdrawalCanceled", 7, 1, NONE) \
	X(OPEN_INTEREST_CAP_CANCELED, "openInterestCapCanceled", 8, 1, NONE) \
	X(SELF_TRADE_CANCELED, "selfTradeCanceled", 9, 1, NONE) \
	X(REDUCE_ONLY_CANCELED, "reduceOnlyCanceled", 10, 1, NONE) \
	X(SIBLING_FILLED_CANCELED, "siblingFilledCanceled", 11, 1, NONE) \
	X(DELISTED_CANCELED, "delistedCanceled", 12, 1, NONE) \
	X(LIQUIDATED_CANCELED, "liquidatedCanceled", 13, 1, NONE) \
	X(SCHEDULED_CANCEL, "scheduledCancel", 14, 1, NONE) \
	X(TICK_REJECTED, "tickRejected", 15, 1, EXCH_TICK) \
	X(MIN_TRADE_NTL_REJECTED, "minTradeNtlRejected", 16, 1, EXCH_MIN_VALUE) \
	X(PERP_MARGIN_REJECTED, "perpMarginRejected", 17, 1, EXCH_MARGIN) \
	X(REDUCE_ONLY_REJECTED, "reduceOnlyRejected", 18, 1, EXCH_REDUCE_ONLY) \
	X(BAD_ALO_PX_REJECTED, "badAloPxRejected", 19, 1, EXCH_POST_ONLY_CROSS) \
	X(IOC_CANCEL_REJECTED, "iocCancelRejected", 20, 1, EXCH_IOC_NO_MATCH) \
	X(BAD_TRIGGER_PX_REJECTED, "badTriggerPxRejected", 21, 1, EXCH_TRIGGER_PX) \
	X(MARKET_ORDER_NO_LIQUIDITY_REJECTED, "marketOrderNoLiquidityRejected", 22, 1, EXCH_NO_LIQUIDITY) \
	X(POSITION_INCREASE_AT_OI_CAP_REJECTED, "positionIncreaseAtOpenInterestCapRejected", 23, 1, EXCH_OTHER) \
	X(POSITION_FLIP_AT_OI_CAP_REJECTED, "positionFlipAtOpenInterestCapRejected", 24, 1, EXCH_OTHER) \
	X(TOO_AGGRESSIVE_AT_OI_CAP_REJECTED, "tooAggressiveAtOpenInterestCapRejected", 25, 1, EXCH_OTHER) \
	X(OPEN_INTEREST_INCREASE_REJECTED, "openInterestIncreaseRejected", 26, 1, EXCH_OTHER) \
	X(INSUFFICIENT_SPOT_BALANCE_REJECTED, "insufficientSpotBalanceRejected", 27, 1, EXCH_MARGIN) \
	X(ORACLE_REJECTED, "oracleRejected", 28, 1, EXCH_OTHER) \
	X(PERP_MAX_POSITION_REJECTED, "perpMaxPositionRejected", 29, 1, EXCH_OTHER) \
	X(INTERNAL_CANCEL, "internalCancel", 30, 1, NONE) \
	X(OUTCOME_SETTLED_CANCELED, "outcomeSettledCanceled", 31, 1, NONE) \
	X(TOO_MANY_OPEN_ORDERS_REJECTED, "tooManyOpenOrdersRejected", 32, 1, EXCH_OTHER)

enum hl_order_status {
	HL_OS_NONE = 0,
#define HL__OS_ENUM(name, str, id, term, reason) HL_OS_##name = id,
	HL_ORDER_STATUSES(HL__OS_ENUM)
#undef HL__OS_ENUM
	HL_OS_UNKNOWN_TERMINAL = 255, /* a status string this build does not know: treat as final */
};

/* Maps a wire status string (n bytes) to the enum; unknown strings -> HL_OS_UNKNOWN_TERMINAL. */
enum hl_order_status hl_order_status_from_str(const char *s, size_t n);
/* The wire string, "unknown" for HL_OS_UNKNOWN_TERMINAL/NONE/out of range. Never NULL. */
const char *hl_order_status_name(enum hl_order_status st);
/* True for every status after which the order is gone (all but open and triggered). */
bool hl_order_status_is_terminal(enum hl_order_status st);
/* Status is a rejection (…Rejected, rejected): the order never rested. */
bool hl_order_status_is_reject(enum hl_order_status st);
/* The hat_reason of a rejection status (EXCH_TICK for tickRejected, ...), HAT_REASON_NONE for
 * the others (fills, cancels, open). */
enum hat_reason hl_order_status_reason(enum hl_order_status st);

/* ---------------------------------------------------------------- records */

/* An order as in openOrders / frontendOpenOrders / orderUpdates.order / orderStatus. */
struct hl_order_info {
	char coin[HAT_COIN_LEN];
	uint8_t side;          /* enum hat_side */
	uint8_t has_cloid;
	uint8_t reduce_only;   /* absent -> 0 */
	uint8_t is_trigger;    /* frontend fields; absent -> 0 */
	uint8_t tif;           /* enum hat_tif, 0 if absent/null/other ("FrontendMarket", ...) */
	uint8_t _pad[3];
	int64_t limit_px;      /* 1e-8 */
	int64_t sz;            /* remaining size, 1e-8 */
	int64_t orig_sz;       /* size at placement, 1e-8; absent -> equals sz */
	int64_t trigger_px;    /* 1e-8; absent -> 0 */
	uint64_t oid;
	uint64_t timestamp_ms; /* placement time */
	uint8_t cloid[HAT_CLOID_LEN];
	char order_type[24];   /* frontend "orderType" ("Limit", "Stop Market", ...), "" if absent */
};

/* {order, status, statusTimestamp}: orderUpdates element and orderStatus "order". */
struct hl_order_update {
	struct hl_order_info order;
	uint8_t status;              /* enum hl_order_status */
	uint8_t _pad[7];
	uint64_t status_time_ms;
	char status_text[48];        /* the wire string (truncated), for logs of unknown statuses */
};

struct hl_fill {
	char coin[HAT_COIN_LEN];
	uint8_t side;           /* enum hat_side */
	uint8_t crossed;        /* 1 = we were the taker */
	uint8_t has_cloid;
	uint8_t liquidation;    /* 1 if a "liquidation" object is present */
	uint32_t _pad;
	int64_t px;             /* 1e-8 */
	int64_t sz;             /* 1e-8 */
	int64_t start_position; /* signed position before the fill, 1e-8 */
	int64_t closed_pnl;     /* USD 1e-8 */
	int64_t fee;            /* in fee_token, 1e-8; negative = rebate; includes builder_fee */
	int64_t builder_fee;    /* 1e-8; absent -> 0 */
	uint64_t time_ms;
	uint64_t oid;
	uint64_t tid;
	uint8_t cloid[HAT_CLOID_LEN];
	uint8_t hash[32];       /* transaction hash ("0x" + 64 hex) */
	char dir[32];           /* display string ("Open Long", ...), truncated */
	char fee_token[16];     /* "USDC", truncated */
};

/* One allMids entry. */
struct hl_mid {
	char coin[HAT_COIN_LEN];
	int64_t px; /* 1e-8 */
};

/* {coin, oid} of userEvents nonUserCancel. */
struct hl_cancel_event {
	char coin[HAT_COIN_LEN];
	uint64_t oid;
};

/* Element parsers: obj is the JSON object, p its path. */
int hl_order_info_parse(const cJSON *obj, const struct hl_jpath *p, struct hl_order_info *out,
			char *err, size_t errlen);
int hl_order_update_parse(const cJSON *obj, const struct hl_jpath *p,
			  struct hl_order_update *out, char *err, size_t errlen);
int hl_fill_parse(const cJSON *obj, const struct hl_jpath *p, struct hl_fill *out, char *err,
		  size_t errlen);

/* Parses an array of fills (arr must be a JSON array, path p) into fills[0..cap): *n = stored
 * (min(count, cap)), *total = elements in the array (total > n means the rest were dropped;
 * the elements past cap are not examined). */
int hl_fills_parse(const cJSON *arr, const struct hl_jpath *p, struct hl_fill *fills,
		   size_t cap, size_t *n, size_t *total, char *err, size_t errlen);

/* Parses an object of coin -> mid price string into mids[0..cap) (same n/total contract).
 * Coins longer than HAT_COIN_LEN - 1 bytes are skipped and counted in *skipped (may be NULL). */
int hl_mids_parse(const cJSON *obj, const struct hl_jpath *p, struct hl_mid *mids, size_t cap,
		  size_t *n, size_t *total, size_t *skipped, char *err, size_t errlen);

/* Parses l2Book data {coin, time, levels:[bids, asks]} into a BOOK message: header set
 * (type, version, length, origin_ns; seq = send_ns = 0, flags = 0), top HAT_BOOK_DEPTH levels
 * per side (levels past that are not examined), px > 0, sz > 0, bids strictly descending and
 * asks strictly ascending. asset from meta (hl/meta.h) when meta is not NULL, else
 * HL_ASSET_UNKNOWN. Returns 0, HAT_E_PARSE, or -ENOENT if meta does not know the coin (err:
 * "l2Book.coin: unknown coin \"XYZ\""). */
int hl_book_parse(const cJSON *data, const struct hl_jpath *p, const struct hl_meta *meta,
		  uint64_t origin_ns, struct hat_msg_book *out, char *err, size_t errlen);

/* Asset id used when no coin table was given. */
#define HL_ASSET_UNKNOWN UINT32_MAX

#endif
