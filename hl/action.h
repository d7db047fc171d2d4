/* hl/action.h -- /exchange actions: builders from C structs, the request envelope, and the
 * canonical re-encoder the simulator hashes with.
 * Reference: ../shared/docs/hyperliquid-protocol.md sections 4, 5.2, 5.7.
 *
 * Builders append BOTH the JSON text of the action (exactly as the official Python SDK sends
 * it: same keys, same order, no spaces) and its msgpack bytes (what is hashed) to caller-owned
 * struct hat_buf's, so the two can never disagree. Prices and sizes are int64 1e-8 fixed point
 * and are written with hat_fx_format() (canonical: "100", never "100.0"); checking them against
 * tick/lot rules is hl/wire.h's job, not this module's.
 * All functions are I/O-free and thread-safe (no globals). On any error the output buffers
 * may hold a partial action: reset them.
 */
#ifndef HAT_HL_ACTION_H
#define HAT_HL_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "hl/hex.h"
#include "hl/sign.h"

struct cJSON;

enum hl_tif { HL_TIF_ALO, HL_TIF_IOC, HL_TIF_GTC };
enum hl_tpsl { HL_TPSL_TP, HL_TPSL_SL };
enum hl_grouping { HL_GROUPING_NA, HL_GROUPING_NORMAL_TPSL, HL_GROUPING_POSITION_TPSL };

/* One OrderWire. */
struct hl_order {
	uint32_t asset;         /* asset id (section 6.5) */
	bool is_buy;
	int64_t px;             /* limit price, 1e-8 fixed point, > 0 */
	int64_t sz;             /* size, 1e-8 fixed point, >= 0 */
	bool reduce_only;
	bool is_trigger;        /* false: {"limit":{"tif":...}}; true: {"trigger":{...}} */
	enum hl_tif tif;        /* limit orders */
	bool trigger_is_market; /* trigger orders: isMarket */
	int64_t trigger_px;     /* trigger orders: triggerPx, 1e-8 fixed point, > 0 */
	enum hl_tpsl tpsl;      /* trigger orders */
	bool has_cloid;         /* "c" is omitted when false */
	uint8_t cloid[HL_CLOID_LEN];
};

/* Optional builder fee of an order action. */
struct hl_builder {
	uint8_t address[HL_ADDR_LEN];
	uint32_t fee; /* tenths of a basis point */
};

struct hl_cancel {
	uint32_t asset;
	uint64_t oid;
};

struct hl_cancel_cloid {
	uint32_t asset;
	uint8_t cloid[HL_CLOID_LEN];
};

/* One modify: the order to replace (by oid, or by cloid when by_cloid) and its replacement. */
struct hl_modify {
	bool by_cloid;
	uint64_t oid;
	uint8_t cloid[HL_CLOID_LEN];
	struct hl_order order;
};

/* Every builder: appends the action's JSON to json and its msgpack to mp (either may be NULL
 * when not wanted). Arrays are borrowed for the call. Returns 0; -EINVAL if a field is out of
 * range (px <= 0, sz < 0, trigger_px <= 0, unknown enum value, n == 0 where an empty list makes
 * no sense, n > 65535); -ENOMEM if a buffer ran out of memory. */

/* {"type":"order","orders":[...],"grouping":"na"[,"builder":{"b":..,"f":..}]} */
int hl_action_order(const struct hl_order *orders, size_t n, enum hl_grouping grouping,
		    const struct hl_builder *builder, struct hat_buf *json, struct hat_buf *mp);
/* {"type":"cancel","cancels":[{"a":..,"o":..},...]} */
int hl_action_cancel(const struct hl_cancel *c, size_t n, struct hat_buf *json, struct hat_buf *mp);
/* {"type":"cancelByCloid","cancels":[{"asset":..,"cloid":"0x.."},...]} */
int hl_action_cancel_by_cloid(const struct hl_cancel_cloid *c, size_t n, struct hat_buf *json,
			      struct hat_buf *mp);
/* {"type":"modify","oid":..,"order":{...}} */
int hl_action_modify(const struct hl_modify *m, struct hat_buf *json, struct hat_buf *mp);
/* {"type":"batchModify","modifies":[{"oid":..,"order":{...}},...]} */
int hl_action_batch_modify(const struct hl_modify *m, size_t n, struct hat_buf *json,
			   struct hat_buf *mp);
/* {"type":"scheduleCancel"[,"time":..]} ("time" omitted when !has_time) */
int hl_action_schedule_cancel(bool has_time, uint64_t time_ms, struct hat_buf *json,
			      struct hat_buf *mp);
/* {"type":"updateLeverage","asset":..,"isCross":..,"leverage":..} */
int hl_action_update_leverage(uint32_t asset, bool is_cross, uint32_t leverage,
			      struct hat_buf *json, struct hat_buf *mp);
/* {"type":"noop"} */
int hl_action_noop(struct hat_buf *json, struct hat_buf *mp);

/* Appends the /exchange request body:
 * {"action":<action_json>,"nonce":..,"signature":{"r":..,"s":..,"v":..},
 *  "vaultAddress":null|"0x..","expiresAfter":null|..}
 * action_json (borrowed) is inserted verbatim; m->testnet is not used. Returns 0 or -ENOMEM. */
int hl_exchange_request(const char *action_json, size_t action_len, const struct hl_l1_meta *m,
			const struct hl_sig *sig, struct hat_buf *out);

/* ------------------------------------------------------------------ simulator side */

/* Validates an incoming L1 action (borrowed cJSON object) of a known type (order, cancel,
 * cancelByCloid, modify, batchModify, scheduleCancel, updateLeverage, updateIsolatedMargin,
 * noop) and appends its msgpack in the CANONICAL key order of section 4 (never the client's
 * order), omitting absent optional keys. Number strings (p, s, triggerPx) are parsed exactly
 * and re-encoded canonically, so a client that signed "100.0" gets a different hash, as on the
 * real exchange; cloids and addresses are re-encoded lowercase. Integer fields are limited to
 * |v| <= 2^53 (cJSON stores doubles). JSON null counts as absent. cancel/cancelByCloid accept
 * the optional trailing "f": true (false is omitted, so a client that hashed "f": false
 * mismatches, as documented for the exchange). Not supported: grouping {"p": int} (rejected)
 * and modify's "a" flag (dropped). Unknown keys are dropped (assumed: the exchange decodes into
 * typed structs); unknown action types are rejected.
 * Returns 0; HAT_E_PARSE with err naming the field ("orders[1].p: ...", "type: unknown action
 * type \"foo\""); -ENOMEM. */
int hl_action_canonical_msgpack(const struct cJSON *action, struct hat_buf *out, char *err,
				size_t errlen);

/* For a user-signed action (usdSend, withdraw3, usdClassTransfer, approveAgent) as JSON
 * (borrowed): reads signatureChainId, hyperliquidChain and the typed fields, and writes the
 * EIP-712 digest the signature must cover. Returns 0 or HAT_E_PARSE with err naming the
 * field (missing, wrong JSON type, bad hex, unknown type). */
int hl_user_action_digest(const struct cJSON *action, uint8_t digest[32], char *err,
			  size_t errlen);
/* The same parse, exposing the typed fields (ua's strings point into action: valid while action
 * lives). Same errors. */
int hl_user_action_parse(const struct cJSON *action, struct hl_user_action *ua, char *err,
			 size_t errlen);

/* Type name -> true if it is an L1 action type hl_action_canonical_msgpack() knows. */
bool hl_action_is_l1_type(const char *type);
/* Type name -> true if it is a user-signed type hl_user_action_digest() knows. */
bool hl_action_is_user_type(const char *type);

#endif
