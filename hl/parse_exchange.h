/* hl/parse_exchange.h -- /exchange responses (section 4.9) and the exchange's error strings.
 *
 * Shapes:
 *   {"status":"err","response":"<text>"}                        -> HL_EXRESP_ERR, text, reason
 *   {"status":"ok","response":{"type":"default"}}               -> HL_EXRESP_DEFAULT
 *   {"status":"ok","response":{"type":"order"|"cancel","data":{"statuses":[...]}}}
 *                                                               -> HL_EXRESP_ORDER / _CANCEL
 *   other ok response types ("twapOrder", ...)                  -> HL_EXRESP_OTHER
 * Each status is {"resting":{oid,cloid?}}, {"filled":{totalSz,avgPx,oid,cloid?}},
 * {"error":"<text>"}, or a bare string "success", "waitingForTrigger", "waitingForFill";
 * another bare string is HL_EXST_UNKNOWN (text kept) so one new status never hides the others.
 * The same body arrives as the payload of a WebSocket post of type action (hl/parse_ws.h).
 * I/O-free, thread-safe, no allocation except the tree of hl_exchange_parse().
 */
#ifndef HAT_HL_PARSE_EXCHANGE_H
#define HAT_HL_PARSE_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/msg_types.h"

enum hl_exch_resp_type {
	HL_EXRESP_ERR = 1,     /* top-level "status":"err" */
	HL_EXRESP_ORDER = 2,   /* order and batchModify */
	HL_EXRESP_CANCEL = 3,  /* cancel and cancelByCloid */
	HL_EXRESP_DEFAULT = 4, /* modify, scheduleCancel, updateLeverage, noop, user actions */
	HL_EXRESP_OTHER = 5,   /* another ok type; statuses not parsed */
};

enum hl_exch_status_kind {
	HL_EXST_RESTING = 1,
	HL_EXST_FILLED = 2,
	HL_EXST_ERROR = 3,
	HL_EXST_SUCCESS = 4,
	HL_EXST_WAITING_FOR_TRIGGER = 5,
	HL_EXST_WAITING_FOR_FILL = 6,
	HL_EXST_UNKNOWN = 7, /* a bare string this build does not know: text holds it */
};

struct hl_exch_status {
	uint8_t kind;       /* enum hl_exch_status_kind */
	uint8_t has_cloid;
	uint16_t reason;    /* ERROR: enum hat_reason from hl_exchange_reason(); else NONE */
	uint32_t _pad;
	uint64_t oid;       /* RESTING, FILLED */
	int64_t total_sz;   /* FILLED: 1e-8 */
	int64_t avg_px;     /* FILLED: 1e-8 */
	uint8_t cloid[HAT_CLOID_LEN];
	char text[128];     /* ERROR / UNKNOWN: the exchange's words, truncated */
};

struct hl_exch_resp {
	enum hl_exch_resp_type type;
	uint16_t reason;    /* ERR: enum hat_reason of text */
	char text[256];     /* ERR: the message, truncated; OTHER: the response type */
	size_t n_statuses;  /* stored in the caller's array */
	size_t total_statuses; /* in the response (> n_statuses: the rest were dropped, unexamined) */
};

/* Parses a response tree (root borrowed). statuses[0..cap) is caller-owned (may be NULL with
 * cap 0). Returns 0 (also for HL_EXRESP_ERR: the request failed but the body is well-formed),
 * or HAT_E_PARSE with the path of the bad field ("response.data.statuses[2].filled.avgPx:
 * expected a string"). */
int hl_exchange_parse_json(const cJSON *root, struct hl_exch_resp *out,
			   struct hl_exch_status *statuses, size_t cap, char *err, size_t errlen);
/* Same from text[0..len) (need not be NUL-terminated); also HAT_E_PARSE for invalid JSON
 * ("invalid JSON at byte 13"; cJSON reports running out of memory the same way). */
int hl_exchange_parse(const char *text, size_t len, struct hl_exch_resp *out,
		      struct hl_exch_status *statuses, size_t cap, char *err, size_t errlen);

/* Maps an exchange error string (section 4.9, per-order or top-level) to a hat_reason:
 * tick/invalid price -> EXCH_TICK, minimum value -> EXCH_MIN_VALUE, insufficient margin /
 * margin tier / spot balance -> EXCH_MARGIN, reduce only -> EXCH_REDUCE_ONLY, post only ->
 * EXCH_POST_ONLY_CROSS, IOC no match -> EXCH_IOC_NO_MATCH, never placed/already canceled ->
 * EXCH_UNKNOWN_ORDER, "too many requests"/rate limit -> EXCH_RATE_LIMIT, nonce ->
 * EXCH_NONCE, "does not exist"/"Must deposit" (wrong signature) -> EXCH_SIGNATURE, TP/SL price
 * -> EXCH_TRIGGER_PX, no liquidity -> EXCH_NO_LIQUIDITY, anything else (NULL too) -> EXCH_OTHER. */
enum hat_reason hl_exchange_reason(const char *text);

#endif
