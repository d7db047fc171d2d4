/* tools/hlsim/engine_int.h -- the engine's private state, shared by the files that implement
 * tools/hlsim/engine.h (engine.c: lifecycle, orders, events, tick; exchange.c: /exchange;
 * info.c: /info and subscriptions; flow.c: background agents; state.c: save/restore).
 * Not part of the API: only those files include it (and white-box tests).
 */
#ifndef HAT_TOOLS_HLSIM_ENGINE_INT_H
#define HAT_TOOLS_HLSIM_ENGINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "tools/hlsim/account.h"
#include "tools/hlsim/book.h"
#include "tools/hlsim/config.h"
#include "tools/hlsim/engine.h"
#include "tools/hlsim/flow.h"
#include "tools/hlsim/match.h"
#include "tools/hlsim/nonce.h"
#include "tools/hlsim/replay.h"

#define HLSIM_CANDLES_KEEP 5000  /* 1m candles kept per coin */
#define HLSIM_BOOK_DEPTH 20      /* levels per side in l2Book */

struct hlsim_candle {
	uint64_t t;           /* open time, ms (minute aligned) */
	int64_t o, h, l, c;   /* 1e-8 */
	int64_t v;            /* base volume, 1e-8 */
	uint32_t n;           /* trades */
};

struct hlsim_market {
	struct hlsim_book book;
	int64_t last_px;          /* last trade price (0: none yet) */
	int64_t ref_px;           /* reference when the book is empty and nothing traded */
	int64_t prev_day_px;
	int64_t day_ntl_vlm;      /* 1e-8 USD */
	int64_t day_base_vlm;     /* 1e-8 */
	bool l2_dirty;            /* changed since the last l2Book push */
	bool bbo_dirty;           /* changed since the last bbo comparison */
	uint64_t l2_last_ms;
	struct hlsim_level bbo[2]; /* last pushed bbo: [0] bid, [1] ask (sz 0 = none) */
	struct hlsim_candle *candles; /* ring of 1m candles */
	uint64_t n_candles;           /* total ever */
	bool candle_dirty;
};

/* An approved API (agent) wallet. */
struct hlsim_agent {
	uint8_t address[20];
	uint32_t owner;              /* account index */
	char name[64];               /* "" = the unnamed agent */
	uint64_t valid_until;        /* ms, 0 = no expiry */
	struct hlsim_nonces nonces;
};

struct hlsim_engine {
	struct hlsim_config cfg;
	bool mainnet;
	uint64_t now_ms;
	struct hlsim_market mk[HLSIM_MAX_COINS];
	struct hlsim_account **acct;
	uint32_t n_acct, cap_acct;
	struct hlsim_agent *agents;
	uint32_t n_agents, cap_agents;
	struct hlsim_oidmap oids;
	uint64_t next_oid;
	uint64_t next_seq;
	uint64_t signed_actions;   /* /exchange actions committed (any outcome): the backtest gate */
	uint64_t next_tid;
	struct hlsim_flow flow;
	bool replaying;           /* books driven by replay instead of the flow */
	struct hlsim_replay replay;
	hlsim_event_cb sink;
	void *sink_user;
	uint64_t allmids_last_ms;
	uint64_t day;             /* UTC day of the day volumes / prevDayPx */
	/* scratch for event JSON and the current taker's trades batch */
	struct hat_buf ev;
	struct hat_buf trades;
	uint32_t trades_n;
	uint32_t trades_coin;
};

/* ------------------------------------------------------------------ accounts (engine.c) */

/* Index of the account with address, or -1. */
int hlsim__acct_find(const struct hlsim_engine *e, const uint8_t address[20]);
/* Finds or creates the account (usdc 0). Returns its index or -ENOMEM. */
int hlsim__acct_get(struct hlsim_engine *e, const uint8_t address[20]);
/* Marks of every coin (array of cfg.n_coins), for margin and PnL. */
void hlsim__marks(const struct hlsim_engine *e, int64_t *marks);
int64_t hlsim__mark(const struct hlsim_engine *e, uint32_t coin);
int64_t hlsim__mid(const struct hlsim_engine *e, uint32_t coin);

/* ------------------------------------------------------------------ orders (engine.c) */

struct hlsim_order_req {
	uint32_t coin;
	bool is_buy;
	int64_t px, sz;
	bool reduce_only;
	enum hlsim_tif tif;
	bool is_trigger, trig_market, trig_tp;
	int64_t trigger_px;
	bool has_cloid;
	uint8_t cloid[16];
};

enum hlsim_place_kind { HLSIM_PLACED_RESTING, HLSIM_PLACED_FILLED, HLSIM_PLACED_TRIGGER,
			HLSIM_PLACED_ERROR };

struct hlsim_place_result {
	enum hlsim_place_kind kind;
	uint64_t oid;
	int64_t total_sz;  /* filled */
	int64_t avg_px;    /* 1e-8 */
	bool has_cloid;
	uint8_t cloid[16];
	char err[192];     /* the exchange's error string when kind == ERROR */
};

/* Validates and places one order for account acct at e->now_ms (matching, resting, trigger),
 * emitting events. check_margin false skips the margin check (background agents).
 * Returns 0 (r says what happened, errors included) or -ENOMEM. */
int hlsim__place(struct hlsim_engine *e, uint32_t acct, const struct hlsim_order_req *q,
		 bool check_margin, struct hlsim_place_result *r);
/* Cancels a live order (removes it from its book and account, records status, emits the
 * orderUpdate, frees it). */
void hlsim__cancel(struct hlsim_engine *e, struct hlsim_order *o, const char *status);
/* The live order of account acct with this cloid, or NULL. */
struct hlsim_order *hlsim__find_cloid(const struct hlsim_engine *e, uint32_t acct,
				      const uint8_t cloid[16]);
/* A trade that did not come from our matching (replay): last price, day volume, candles. */
void hlsim__record_trade(struct hlsim_engine *e, uint32_t coin, int64_t px, int64_t sz);
/* Fires due trigger orders of coin. */
void hlsim__check_triggers(struct hlsim_engine *e, uint32_t coin);

/* ------------------------------------------------------------------ JSON (engine.c) */

void hlsim__put_fx(struct hat_buf *b, int64_t v);          /* "1.5" (quoted) */
void hlsim__put_u64(struct hat_buf *b, uint64_t v);        /* 42 */
void hlsim__put_addr(struct hat_buf *b, const uint8_t a[20]); /* "0x..." (quoted) */
void hlsim__put_cloid(struct hat_buf *b, const uint8_t c[16]);
void hlsim__put_fill(struct hat_buf *b, const struct hlsim_engine *e, const struct hlsim_fill *f);
/* The order object of openOrders (frontend false) or frontendOpenOrders / orderStatus. */
void hlsim__put_order(struct hat_buf *b, const struct hlsim_engine *e,
		      const struct hlsim_order *o, bool frontend);
/* l2Book data object with aggregation. */
void hlsim__put_l2(struct hat_buf *b, const struct hlsim_engine *e, uint32_t coin, int nsig,
		   int mantissa);
void hlsim__put_candle(struct hat_buf *b, const struct hlsim_engine *e, uint32_t coin,
		       const char *interval, const struct hlsim_candle *c, uint64_t t_close);
void hlsim__put_allmids(struct hat_buf *b, const struct hlsim_engine *e);

/* Candle interval name -> length in ms (0 if unknown). "1M" is 30 days here. */
uint64_t hlsim__interval_ms(const char *interval);
/* Aggregates the 1m candles of coin into the interval bucket starting at t. Returns false if
 * no trade fell in it. */
bool hlsim__candle_at(const struct hlsim_engine *e, uint32_t coin, uint64_t step, uint64_t t,
		      struct hlsim_candle *out);

/* Pushes bbo (if it changed) and l2Book (if changed and l2PushMs passed) for every coin whose
 * book changed; called at the end of every request and tick. */
void hlsim__flush_market(struct hlsim_engine *e);

/* Emits an event to the sink (no-op without a sink). */
void hlsim__emit(struct hlsim_engine *e, enum hlsim_event_kind kind, const char *coin,
		 const uint8_t *user, const char *interval, const struct hat_buf *json);

/* ------------------------------------------------------------------ state (state.c) */

int hlsim__state_load(struct hlsim_engine *e, const char *path, char *err, size_t errlen);

#endif
