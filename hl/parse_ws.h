/* hl/parse_ws.h -- one Hyperliquid WebSocket text frame -> a tagged, typed result.
 *
 * Frames are {"channel": name, "data": payload} (section 3). Market data is produced directly
 * as hat messages (BOOK, TRADE, BBO) with the header set (type, version, length, origin_ns =
 * the caller's receipt time; seq and send_ns 0: the ring producer sets them); coin -> asset
 * comes from the coin table. User data (orderUpdates, userFills, user events) is parsed into
 * hl/records.h structs. Variable-length results go into caller-provided arrays (struct
 * hl_ws_bufs); the result says how many were stored and how many the frame held.
 *
 * The plain text "Websocket connection established." is recognised: HL_WS_SKIP. A post
 * response keeps the parsed tree so the caller can hand its payload to hl/parse_exchange.h
 * (action) or hl/parse_info.h (info) parsers: call hl_ws_msg_clear() after every successful
 * parse (a no-op unless something is held). On error nothing is held.
 *
 * Errors name the path, with the channel name standing for "data":
 * "l2Book.levels[0][3].px: expected a string". I/O-free; one struct hl_ws_msg per thread.
 */
#ifndef HAT_HL_PARSE_WS_H
#define HAT_HL_PARSE_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/msg_types.h"
#include "hl/records.h"

struct hl_meta;

enum hl_ws_kind {
	HL_WS_SKIP = 0,        /* the non-JSON greeting: nothing to do */
	HL_WS_BOOK = 1,        /* l2Book -> book */
	HL_WS_TRADES = 2,      /* trades -> bufs->trades[0..list.n) */
	HL_WS_BBO = 3,         /* bbo -> bbo */
	HL_WS_ALL_MIDS = 4,    /* allMids -> bufs->mids[0..list.n) */
	HL_WS_ORDER_UPDATES = 5, /* orderUpdates -> bufs->orders[0..list.n) */
	HL_WS_USER_FILLS = 6,  /* userFills -> bufs->fills[0..list.n), user_fills.is_snapshot */
	HL_WS_USER_EVENT = 7,  /* channel "user" -> user_event */
	HL_WS_SUB_RESPONSE = 8,/* subscriptionResponse -> sub */
	HL_WS_PONG = 9,
	HL_WS_ERROR = 10,      /* channel "error" -> error */
	HL_WS_POST = 11,       /* channel "post" -> post */
	HL_WS_OTHER = 12,      /* a channel not parsed here (candle, notification, ...): other.channel */
};

/* Caller-owned output arrays (borrowed for the call). A NULL array with cap 0 is fine: the
 * frame is still validated up to its first element and list.total reports the count. */
struct hl_ws_bufs {
	struct hat_msg_trade *trades;   size_t trades_cap;
	struct hl_mid *mids;            size_t mids_cap;
	struct hl_order_update *orders; size_t orders_cap;
	struct hl_fill *fills;          size_t fills_cap;   /* userFills and user events fills */
	struct hl_cancel_event *cancels; size_t cancels_cap; /* user events nonUserCancel */
};

enum hl_user_event_kind {
	HL_UE_FILLS = 1,          /* {"fills": [...]} -> bufs->fills */
	HL_UE_NON_USER_CANCEL = 2,/* {"nonUserCancel": [{coin, oid}]} -> bufs->cancels */
	HL_UE_FUNDING = 3,        /* not parsed further */
	HL_UE_LIQUIDATION = 4,    /* not parsed further */
	HL_UE_OTHER = 5,
};

enum hl_post_type { HL_POST_INFO = 1, HL_POST_ACTION = 2, HL_POST_ERROR = 3 };

struct hl_ws_msg {
	enum hl_ws_kind kind;
	/* For list kinds (TRADES, ALL_MIDS, ORDER_UPDATES, USER_FILLS, USER_EVENT fills/cancels):
	 * n = stored in the caller's array, total = elements in the frame (total > n: the rest
	 * were dropped, unexamined). skipped: allMids coins too long for HAT_COIN_LEN. */
	struct { size_t n, total, skipped; } list;
	union {
		struct hat_msg_book book;
		struct hat_msg_bbo bbo;
		struct { bool is_snapshot; } user_fills;
		struct { enum hl_user_event_kind kind; } user_event;
		struct {
			char method[16];          /* "subscribe" / "unsubscribe" (truncated) */
			char type[32];            /* subscription.type (truncated) */
			char coin[HAT_COIN_LEN];  /* subscription.coin, "" if absent */
		} sub;
		struct {
			char text[256];           /* the error string, truncated */
			bool has_post_id;         /* text ends with " id=<n>" */
			uint64_t post_id;
		} error;
		struct {
			uint64_t id;
			enum hl_post_type type;
			/* INFO: {"type": <request type>, "data": <body>}; ACTION: the /exchange body;
			 * ERROR: a JSON string. Points into the held tree: valid until hl_ws_msg_clear(). */
			const cJSON *payload;
		} post;
		struct { char channel[32]; } other;
	} u;
	cJSON *held; /* owned tree for POST; NULL otherwise. Release with hl_ws_msg_clear(). */
};

/* Parses frame[0..len) (need not be NUL-terminated). meta (borrowed; may be NULL: asset =
 * HL_ASSET_UNKNOWN) maps coins to assets for BOOK/TRADE/BBO. bufs may be NULL (all caps 0).
 * Returns 0 with out filled; HAT_E_PARSE (invalid JSON, unknown shape, bad field: err names
 * the path); -ENOENT if meta is given and does not know a market-data coin. out is overwritten
 * (release a previous POST result with hl_ws_msg_clear() first); out->held is NULL after an
 * error. An unknown channel is not an error: HL_WS_OTHER. */
int hl_ws_parse(const char *frame, size_t len, uint64_t origin_ns, const struct hl_meta *meta,
		const struct hl_ws_bufs *bufs, struct hl_ws_msg *out, char *err, size_t errlen);

/* Frees what a POST result holds (safe on any result, and twice). */
void hl_ws_msg_clear(struct hl_ws_msg *m);

/* Name of a kind for logs ("l2Book", "post", ...). Never NULL. */
const char *hl_ws_kind_name(enum hl_ws_kind k);

#endif
