/* common/msg_types.h -- every message that crosses a ring, with its exact layout.
 *
 * A message is a 32-byte header followed by a typed body; the whole struct is fixed-size and
 * fits one ring slot. Prices and sizes are int64 fixed point with 8 decimals (1e-8, see
 * HAT_FX_ONE); doubles never cross a ring. Strings (coin names, reject texts) are NUL-padded
 * byte arrays: a valid one has at least one NUL. Adding or moving a field bumps the type's
 * version. The registry HAT_MSG_TYPES is the one list the validators, the inspector and the
 * logger use, so they cannot drift apart. Validators live in common/msg.h.
 *
 * Which ring carries what (ARCHITECTURE.md):
 *   md       feedd   -> signald  BOOK, TRADE, BBO
 *   intent   signald -> riskd    INTENT, CONTROL(HELLO)
 *   order    riskd   -> execd    ORDER, CONTROL(HELLO, CANCEL_ALL, STATE_REQUEST)
 *   exec     execd   -> riskd    EXEC, POSITION(snapshot rows), CONTROL(SNAPSHOT_BEGIN/END)
 *   position riskd   -> signald  POSITION, EXEC(rejects, acks, fills), CONTROL(SNAPSHOT_*)
 *   cmd.<stage> superd -> stage  CONTROL
 */
#ifndef HAT_COMMON_MSG_TYPES_H
#define HAT_COMMON_MSG_TYPES_H

#include <stdint.h>
#include <stddef.h>

#include "common/compiler.h"

#define HAT_FX_ONE 100000000LL        /* 1.0 in 1e-8 fixed point */
#define HAT_FX_MAX 9000000000000000000LL /* largest magnitude a price/size/amount may take */
#define HAT_COIN_LEN 16               /* coin name bytes, NUL-padded ("BTC", "@107", "xyz:TSLA") */
#define HAT_CLOID_LEN 16              /* client order id: 16 raw bytes, on the wire 0x + 32 hex */
#define HAT_BOOK_DEPTH 10             /* levels per side in a BOOK message */
#define HAT_TEXT_LEN 64               /* reject reason text, NUL-padded */

/* ---------------------------------------------------------------- header */

struct hat_msg_hdr {
	uint16_t type;      /* enum hat_msg_type */
	uint16_t version;   /* layout version of that type */
	uint32_t length;    /* sizeof the whole message struct, header included */
	uint64_t seq;       /* +1 per message on a ring; the producer sets it */
	uint64_t origin_ns; /* CLOCK_REALTIME ns when the exchange data arrived or the intent was made */
	uint64_t send_ns;   /* CLOCK_REALTIME ns when pushed on this ring */
};
HAT_ASSERT_SIZE(struct hat_msg_hdr, 32);
HAT_ASSERT_OFFSET(struct hat_msg_hdr, seq, 8);
HAT_ASSERT_OFFSET(struct hat_msg_hdr, origin_ns, 16);
HAT_ASSERT_OFFSET(struct hat_msg_hdr, send_ns, 24);

/* ---------------------------------------------------------------- enums (stored as u8/u16) */

enum hat_side { HAT_SIDE_BUY = 1, HAT_SIDE_SELL = 2 };

enum hat_tif { HAT_TIF_GTC = 1, HAT_TIF_IOC = 2, HAT_TIF_ALO = 3 };

enum hat_order_flags {
	HAT_OF_REDUCE_ONLY = 1u << 0,
	HAT_OF_POST_ONLY = 1u << 1, /* implies TIF ALO on the wire */
	HAT_OF_TRIGGER = 1u << 2,   /* trigger order: trigger_px and tpsl are used */
	HAT_OF_TRIGGER_MARKET = 1u << 3,
	HAT_OF_TPSL_TP = 1u << 4,   /* with TRIGGER: tp; without this bit: sl */
};
#define HAT_OF_ALL 0x1fu

enum hat_book_flags {
	HAT_BOOK_SNAPSHOT = 1u << 0, /* first book after a (re)subscribe */
	HAT_BOOK_STALE = 1u << 1,    /* feed says: data for this coin is stale */
};

/* ---------------------------------------------------------------- market data (md ring) */

struct hat_level {
	int64_t px; /* 1e-8 */
	int64_t sz; /* 1e-8, > 0 */
	uint32_t n; /* resting orders at this level */
	uint32_t _pad;
};
HAT_ASSERT_SIZE(struct hat_level, 24);

struct hat_msg_book {
	struct hat_msg_hdr h;
	char coin[HAT_COIN_LEN];
	uint32_t asset;       /* exchange asset id */
	uint8_t n_bids;       /* 0..HAT_BOOK_DEPTH */
	uint8_t n_asks;       /* 0..HAT_BOOK_DEPTH */
	uint8_t flags;        /* enum hat_book_flags */
	uint8_t _pad;
	uint64_t exch_time_ms; /* exchange timestamp */
	struct hat_level bids[HAT_BOOK_DEPTH]; /* best first, strictly descending px */
	struct hat_level asks[HAT_BOOK_DEPTH]; /* best first, strictly ascending px */
};
HAT_ASSERT_SIZE(struct hat_msg_book, 544);
HAT_ASSERT_OFFSET(struct hat_msg_book, bids, 64);

struct hat_msg_trade {
	struct hat_msg_hdr h;
	char coin[HAT_COIN_LEN];
	uint32_t asset;
	uint8_t side;          /* enum hat_side: the aggressor */
	uint8_t _pad[3];
	int64_t px;            /* 1e-8, > 0 */
	int64_t sz;            /* 1e-8, > 0 */
	uint64_t tid;          /* exchange trade id */
	uint64_t exch_time_ms;
};
HAT_ASSERT_SIZE(struct hat_msg_trade, 88);

struct hat_msg_bbo {
	struct hat_msg_hdr h;
	char coin[HAT_COIN_LEN];
	uint32_t asset;
	uint8_t has_bid;       /* 0 or 1 */
	uint8_t has_ask;       /* 0 or 1 */
	uint8_t _pad[2];
	uint64_t exch_time_ms;
	struct hat_level bid;
	struct hat_level ask;
};
HAT_ASSERT_SIZE(struct hat_msg_bbo, 112);

/* ---------------------------------------------------------------- orders (intent, order rings) */

enum hat_intent_kind { HAT_INTENT_NEW = 1, HAT_INTENT_CANCEL = 2, HAT_INTENT_REPLACE = 3 };

/* The order fields shared by INTENT and ORDER. For NEW: cloid is the new order's id. For
 * CANCEL: cloid is the order to cancel (px, sz unused, 0). For REPLACE: orig_cloid is the
 * order to modify, cloid the id of its replacement. */
struct hat_order_fields {
	uint8_t cloid[HAT_CLOID_LEN];
	uint8_t orig_cloid[HAT_CLOID_LEN]; /* REPLACE only; zeros otherwise */
	char coin[HAT_COIN_LEN];
	uint32_t asset;
	uint8_t kind;          /* enum hat_intent_kind */
	uint8_t side;          /* enum hat_side */
	uint8_t tif;           /* enum hat_tif */
	uint8_t flags;         /* enum hat_order_flags */
	uint16_t strategy_id;  /* which strategy made it (0 = operator/risk) */
	uint16_t _pad;
	uint32_t _pad2;
	int64_t px;            /* 1e-8 limit price, > 0 for NEW/REPLACE */
	int64_t sz;            /* 1e-8 size, > 0 for NEW/REPLACE */
	int64_t trigger_px;    /* 1e-8, TRIGGER only, else 0 */
};
HAT_ASSERT_SIZE(struct hat_order_fields, 88);

struct hat_msg_intent {
	struct hat_msg_hdr h;
	struct hat_order_fields o;
};
HAT_ASSERT_SIZE(struct hat_msg_intent, 120);

struct hat_msg_order {
	struct hat_msg_hdr h;
	struct hat_order_fields o;
	uint64_t risk_seq;     /* riskd's approval sequence, strictly increasing across restarts */
	uint64_t intent_seq;   /* seq of the intent it came from (0 if riskd made it) */
	uint64_t _pad[2];
};
HAT_ASSERT_SIZE(struct hat_msg_order, 152);

/* ---------------------------------------------------------------- exec events (exec, position rings) */

enum hat_exec_kind {
	HAT_EXEC_ACK = 1,          /* resting on the book (oid known) */
	HAT_EXEC_REJECT = 2,       /* refused by riskd or the exchange: reason + text */
	HAT_EXEC_FILL = 3,         /* a fill: px, sz, fee, tid */
	HAT_EXEC_CANCELED = 4,     /* canceled (by us, IOC remainder, scheduleCancel, exchange) */
	HAT_EXEC_CANCEL_REJECT = 5,/* cancel refused (already filled/canceled): reason + text */
	HAT_EXEC_REPLACED = 6,     /* modify accepted: orig_cloid is gone, cloid is live */
	HAT_EXEC_OPEN_ORDER = 7,   /* snapshot row: an order open at the exchange */
};

/* Reasons for REJECT and CANCEL_REJECT. Risk reasons come from riskd, the others from execd
 * mapping the exchange's error strings. Kept in one X-macro so names print everywhere. */
#define HAT_REASONS(X) \
	X(NONE, 0) \
	X(RISK_MAX_ORDER_SIZE, 1) \
	X(RISK_MAX_ORDER_NOTIONAL, 2) \
	X(RISK_MAX_POSITION, 3) \
	X(RISK_MAX_GROSS_NOTIONAL, 4) \
	X(RISK_MAX_NET_NOTIONAL, 5) \
	X(RISK_PRICE_BAND, 6) \
	X(RISK_TICK, 7) \
	X(RISK_LOT, 8) \
	X(RISK_MIN_NOTIONAL, 9) \
	X(RISK_MAX_OPEN_ORDERS, 10) \
	X(RISK_ORDER_RATE, 11) \
	X(RISK_CANCEL_RATE, 12) \
	X(RISK_REDUCE_ONLY_STATE, 13) \
	X(RISK_STALE_MARK, 14) \
	X(RISK_HALTED, 15) \
	X(RISK_NOT_READY, 16) \
	X(RISK_BAD_INTENT, 17) \
	X(RISK_UNKNOWN_ORDER, 18) \
	X(RISK_DUPLICATE_CLOID, 19) \
	X(EXCH_TICK, 100) \
	X(EXCH_MIN_VALUE, 101) \
	X(EXCH_MARGIN, 102) \
	X(EXCH_REDUCE_ONLY, 103) \
	X(EXCH_POST_ONLY_CROSS, 104) \
	X(EXCH_IOC_NO_MATCH, 105) \
	X(EXCH_UNKNOWN_ORDER, 106) \
	X(EXCH_RATE_LIMIT, 107) \
	X(EXCH_NONCE, 108) \
	X(EXCH_SIGNATURE, 109) \
	X(EXCH_TRIGGER_PX, 110) \
	X(EXCH_NO_LIQUIDITY, 111) \
	X(EXCH_OTHER, 112) \
	X(EXCH_TRANSPORT, 113) \
	X(EXCH_TIMEOUT, 114)

enum hat_reason {
#define HAT__REASON_ENUM(name, id) HAT_REASON_##name = id,
	HAT_REASONS(HAT__REASON_ENUM)
#undef HAT__REASON_ENUM
};

enum hat_exec_flags {
	HAT_EXEC_F_TAKER = 1u << 0,    /* FILL: we crossed (paid taker fee) */
	HAT_EXEC_F_FROM_RISK = 1u << 1,/* REJECT made by riskd, not the exchange */
	HAT_EXEC_F_SNAPSHOT = 1u << 2, /* part of a state snapshot after HELLO/STATE_REQUEST */
	HAT_EXEC_F_FINAL = 1u << 3,    /* the order is terminal after this event */
};

struct hat_msg_exec {
	struct hat_msg_hdr h;
	uint8_t cloid[HAT_CLOID_LEN];
	uint8_t orig_cloid[HAT_CLOID_LEN]; /* REPLACED: the old id */
	char coin[HAT_COIN_LEN];
	uint32_t asset;
	uint8_t kind;          /* enum hat_exec_kind */
	uint8_t side;          /* enum hat_side */
	uint8_t flags;         /* enum hat_exec_flags */
	uint8_t _pad;
	uint16_t reason;       /* enum hat_reason (REJECT, CANCEL_REJECT) */
	uint16_t strategy_id;
	uint32_t _pad2;
	uint64_t oid;          /* exchange order id, 0 if none yet */
	int64_t px;            /* FILL: fill price; ACK/OPEN_ORDER: limit price (1e-8) */
	int64_t sz;            /* FILL: filled size; ACK/OPEN_ORDER: original size (1e-8) */
	int64_t remaining_sz;  /* size still open after this event (1e-8) */
	int64_t fee;           /* FILL: fee paid in USD, negative = rebate (1e-8) */
	uint64_t tid;          /* FILL: exchange trade id */
	uint64_t exch_time_ms; /* exchange timestamp of the event */
	uint64_t risk_seq;     /* the order's risk_seq (0 if unknown, e.g. after a restart) */
	char text[HAT_TEXT_LEN]; /* REJECT/CANCEL_REJECT: the reason as text (exchange's words) */
};
HAT_ASSERT_SIZE(struct hat_msg_exec, 224);

/* ---------------------------------------------------------------- positions (position ring, exec snapshot) */

enum hat_trading_state { HAT_TS_ACTIVE = 1, HAT_TS_REDUCING = 2, HAT_TS_HALTED = 3 };

struct hat_msg_position {
	struct hat_msg_hdr h;
	char coin[HAT_COIN_LEN];
	uint32_t asset;
	uint8_t trading_state; /* enum hat_trading_state (riskd's, for the whole account) */
	uint8_t flags;         /* HAT_EXEC_F_SNAPSHOT when part of a snapshot */
	uint16_t open_orders;  /* open orders on this coin */
	int64_t szi;           /* signed position (1e-8), + long, - short */
	int64_t entry_px;      /* average entry price (1e-8), 0 when flat */
	int64_t mark_px;       /* mark used for unrealized PnL (1e-8), 0 if none */
	int64_t realized_pnl;  /* USD (1e-8), since start of day, fees excluded */
	int64_t unrealized_pnl;/* USD (1e-8) at mark_px */
	int64_t fees;          /* USD (1e-8) paid since start of day (rebates negative) */
	int64_t total_pnl;     /* account total: realized + unrealized - fees, all coins (1e-8) */
	uint64_t exch_time_ms; /* time of the last fill that changed it */
};
HAT_ASSERT_SIZE(struct hat_msg_position, 120);

/* ---------------------------------------------------------------- control (command rings and in-band) */

enum hat_ctl_cmd {
	HAT_CTL_HALT = 1,           /* stop new exposure; riskd cancels all */
	HAT_CTL_RESUME = 2,
	HAT_CTL_CANCEL_ALL = 3,
	HAT_CTL_SHUTDOWN = 4,       /* drain and exit 0 */
	HAT_CTL_STATE_REQUEST = 5,  /* please send a SNAPSHOT of your state downstream->upstream */
	HAT_CTL_HELLO = 6,          /* a (re)started stage announces itself; arg = restart count */
	HAT_CTL_SNAPSHOT_BEGIN = 7, /* rows follow (EXEC OPEN_ORDER / POSITION with SNAPSHOT flag) */
	HAT_CTL_SNAPSHOT_END = 8,   /* arg = number of rows sent */
	HAT_CTL_REDUCE = 9,         /* enter REDUCING */
	HAT_CTL_ESCALATE = 10,      /* superd: a stage exceeded its restart intensity; halt */
};

enum hat_stage_id {
	HAT_STAGE_NONE = 0,
	HAT_STAGE_FEEDD = 1,
	HAT_STAGE_SIGNALD = 2,
	HAT_STAGE_RISKD = 3,
	HAT_STAGE_EXECD = 4,
	HAT_STAGE_SUPERD = 5,
	HAT_STAGE_OPERATOR = 6,
};

struct hat_msg_control {
	struct hat_msg_hdr h;
	uint16_t cmd;          /* enum hat_ctl_cmd */
	uint8_t from_stage;    /* enum hat_stage_id */
	uint8_t _pad;
	uint32_t restart_count;
	uint64_t arg;          /* command-specific */
	char text[48];         /* cause, for logs ("operator", "drawdown 5.2%") */
};
HAT_ASSERT_SIZE(struct hat_msg_control, 96);

/* ---------------------------------------------------------------- registry */

/* X(NAME, id, struct, version). Ids are stable forever; never reuse one. */
#define HAT_MSG_TYPES(X) \
	X(BOOK, 1, hat_msg_book, 1) \
	X(TRADE, 2, hat_msg_trade, 1) \
	X(BBO, 3, hat_msg_bbo, 1) \
	X(INTENT, 4, hat_msg_intent, 1) \
	X(ORDER, 5, hat_msg_order, 1) \
	X(EXEC, 6, hat_msg_exec, 1) \
	X(POSITION, 7, hat_msg_position, 1) \
	X(CONTROL, 8, hat_msg_control, 1)

enum hat_msg_type {
#define HAT__MSG_ENUM(name, id, st, ver) HAT_MSG_##name = id,
	HAT_MSG_TYPES(HAT__MSG_ENUM)
#undef HAT__MSG_ENUM
	HAT_MSG_TYPE_MAX = 8,
};

/* Current version of each type, HAT_MSG_<NAME>_VERSION. */
enum {
#define HAT__MSG_VER(name, id, st, ver) HAT_MSG_##name##_VERSION = ver,
	HAT_MSG_TYPES(HAT__MSG_VER)
#undef HAT__MSG_VER
};

/* The largest message; a ring whose slots hold any message uses this rounded up to 64. */
#define HAT_MSG_MAX_SIZE 544
#define HAT_MSG_SLOT_ANY 576

/* Slot sizes of the pipeline's rings (each a multiple of 64 holding every message it carries). */
#define HAT_SLOT_MD 576       /* BOOK, TRADE, BBO */
#define HAT_SLOT_INTENT 128   /* INTENT, CONTROL */
#define HAT_SLOT_ORDER 192    /* ORDER, CONTROL */
#define HAT_SLOT_EXEC 256     /* EXEC, POSITION, CONTROL */
#define HAT_SLOT_POSITION 256 /* POSITION, EXEC, CONTROL */
#define HAT_SLOT_CMD 128      /* CONTROL */

#endif
