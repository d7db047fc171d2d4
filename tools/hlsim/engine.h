/* tools/hlsim/engine.h -- hlsim's exchange model: the API the network layer calls.
 *
 * hlsim is a local exchange that speaks Hyperliquid's real protocol. This header is the whole
 * contract between the I/O-free exchange model (books, matching, accounts, auth, nonces,
 * background flow, /info and /exchange semantics) and the network layer (HTTP, WebSocket,
 * per-IP rate limits, main.c). The engine does no I/O except in hlsim_engine_new (reads the
 * config and the optional state file) and hlsim_engine_save (writes the state file).
 * Time is always passed in (now_ms, milliseconds since the Unix epoch).
 *
 * Threading: an engine is single-threaded; every call on one engine must come from the same
 * thread (the net layer's libuv loop). Two engines are fully independent (tests build several).
 *
 * Simplifications (documented here and in the README): no liquidations (an account whose
 * equity falls below maintenance margin keeps its positions; new orders that increase exposure
 * are refused with "Insufficient margin to place order."), cross margin only, no vaults, no
 * spot, funding optional/off.
 */
#ifndef HAT_TOOLS_HLSIM_ENGINE_H
#define HAT_TOOLS_HLSIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

struct hlsim_engine; /* the whole exchange state, opaque */

/* An extra funded account (command line --account 0x<address>=<usdc>). */
struct hlsim_account_opt {
	uint8_t address[20];
	int64_t usdc; /* 1e-8 fixed point */
};

struct hlsim_options {
	const char *config_path; /* JSON config (tools/hlsim/hlsim.json); NULL: built-in defaults */
	uint64_t seed;           /* background-flow RNG seed; 0 = the config's seed */
	bool mainnet;            /* network flag for signatures (source "a" vs "b", chain names);
	                          * overrides the config's "mainnet" only if mainnet_set */
	bool mainnet_set;
	const char *state_path;  /* if not NULL and the file exists, state is restored from it */
	const char *replay_path; /* a feedd journal file: its l2Book and trades frames drive the
	                          * books instead of the background agents (replay.h) */
	size_t n_accounts;       /* extra funded accounts, added to the config's */
	const struct hlsim_account_opt *accounts; /* borrowed for the call */
};

/* Builds an engine from o (borrowed for the call). now_ms seeds the clocks (candles, nonce
 * window). On success *out is set (free with hlsim_engine_free).
 * Returns 0; HAT_E_CONFIG (bad config, err names the file and key path, e.g.
 * "hlsim.json: coins[1].szDecimals: must be 0..6 (got 9)"); -ENOENT (config or replay file
 * missing; other negative errnos from open/read likewise name the path); HAT_E_PARSE (state
 * file malformed, err says where); HAT_E_BADMAGIC / HAT_E_BADVERSION / HAT_E_TRUNCATED
 * (replay_path is not a readable journal); -ENOMEM. */
int hlsim_engine_new(struct hlsim_engine **out, const struct hlsim_options *o, uint64_t now_ms,
                     char *err, size_t errlen);
void hlsim_engine_free(struct hlsim_engine *e);

/* Writes the state (accounts, positions, open orders, nonces, oid counter, flow RNG, fair
 * prices) as JSON to path (written to path.tmp then renamed). Returns 0 or a negative errno
 * with err naming the call that failed. */
int hlsim_engine_save(struct hlsim_engine *e, const char *path, char *err, size_t errlen);

/* One HTTP request body in, the HTTP status and response body out. out is reset and filled
 * (JSON, or the exchange's plain-text 422 message for bodies it cannot deserialize). body is
 * borrowed and need not be NUL-terminated. *status is set whenever 0 is returned: 200, also
 * for {"status":"err",...} answers (bad signer, nonce, per-address budget: the exchange answers
 * those with 200 too); 422 with a plain-text "Failed to deserialize the JSON body into the
 * target type: ..." for JSON of the wrong shape or an unknown type; 400 for a body that is not
 * JSON. Per-IP limits (429) are the net layer's.
 * *weight_out (may be NULL) receives the request's rate-limit weight (protocol doc 8.1) so the
 * net layer can enforce per-IP budgets. Returns 0, or -ENOMEM (internal failure; answer 500).
 * Events (see below) may be emitted to the sink during the call. */
int hlsim_info(struct hlsim_engine *e, const char *body, size_t len, uint64_t now_ms,
               struct hat_buf *out, int *status, unsigned *weight_out);
int hlsim_exchange(struct hlsim_engine *e, const char *body, size_t len, uint64_t now_ms,
                   struct hat_buf *out, int *status, unsigned *weight_out);

/* Advances time to now_ms: background agents (seeded flow), trigger orders, scheduleCancel
 * deadlines, candles, periodic allMids/l2Book pushes. Call every few ms; cheap when nothing
 * is due. now_ms going backwards is ignored. */
void hlsim_tick(struct hlsim_engine *e, uint64_t now_ms);

/* Events for WebSocket pushes. json is the channel's `data` value exactly as the real exchange
 * sends it; the net layer wraps {"channel":<name>,"data":<json>}. Pointers in the event are
 * valid only during the callback. */
enum hlsim_event_kind {
	HLSIM_EV_L2BOOK,         /* coin set; data = full (unaggregated, 20 levels) book; the net
	                          * layer calls hlsim_snapshot_json for aggregated subscribers */
	HLSIM_EV_TRADES,         /* coin set; data = array of trades of one match batch */
	HLSIM_EV_BBO,            /* coin set */
	HLSIM_EV_ALLMIDS,        /* data = {"mids":{...}} */
	HLSIM_EV_CANDLE,         /* coin and interval set */
	HLSIM_EV_ORDER_UPDATES,  /* user set; data = array of order updates */
	HLSIM_EV_USER_FILLS,     /* user set; data = {"user":..,"fills":[..]} (no isSnapshot) */
	HLSIM_EV_USER_EVENTS,    /* user set; data = {"fills":[..]} */
};

struct hlsim_event {
	enum hlsim_event_kind kind;
	const char *coin;     /* market events, else NULL */
	const uint8_t *user;  /* 20 bytes, user events, else NULL */
	const char *interval; /* candle, else NULL */
	const char *json;     /* the channel's data value */
	size_t json_len;
};

typedef void (*hlsim_event_cb)(void *user, const struct hlsim_event *ev);

/* Registers the one event sink (cb NULL: none). user is kept until replaced. */
void hlsim_engine_set_sink(struct hlsim_engine *e, hlsim_event_cb cb, void *user);

/* Writes into out (reset first) the `data` value of the first message the net layer sends right
 * after a subscribe: l2Book (with nSigFigs/mantissa aggregation), bbo, trades (none: returns
 * -EAGAIN, nothing to send), allMids, candle (latest candle, or -EAGAIN), userFills (snapshot,
 * isSnapshot true), orderUpdates (-EAGAIN: the exchange sends no snapshot), userEvents
 * (-EAGAIN). subscription (borrowed) is the object of {"method":"subscribe","subscription":{..}}.
 * Returns 0, -EAGAIN (channel has no snapshot), -ENOENT (unknown coin/user), -EINVAL (invalid
 * subscription; call hlsim_subscription_check for the text), -ENOMEM. */
int hlsim_snapshot_json(struct hlsim_engine *e, const cJSON *subscription, struct hat_buf *out);

/* Validates a subscription object. Returns 0 and writes the canonical subscription name ("l2Book",
 * "trades", "bbo", "allMids", "candle", "orderUpdates", "userFills", "userEvents"; note the
 * exchange pushes userEvents on the channel "user") into err, or
 * -EINVAL with the exchange's error text in err (e.g. "Invalid subscription ..."), or -ENOENT
 * for an unknown coin (text in err). */
int hlsim_subscription_check(struct hlsim_engine *e, const cJSON *subscription, char *err,
                             size_t errlen);

#endif
