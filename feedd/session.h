/* feedd/session.h -- the public-feed WebSocket session as an I/O-free state machine.
 *
 * The core decides; the adapter (feedd/feedd.c) acts. It owns the subscription list (per
 * configured coin: l2Book with the configured aggregation, trades, bbo), the application ping
 * schedule, silent-connection detection and the reconnect policy, which are common/reconnect.h's
 * (struct hat_reconnect, shared with execd's private stream).
 *
 * Per coin it tracks freshness: every coin is stale while disconnected and after each
 * (re)subscribe until the coin's first snapshot (its l2Book, or its bbo when l2Book is not
 * subscribed) arrives on the new connection.
 *
 * Time is passed in (now_ms, monotonic). The jitter comes from a xorshift generator seeded at
 * init. No I/O, no allocation, no globals: tests drive it step by step.
 */
#ifndef HAT_FEEDD_SESSION_H
#define HAT_FEEDD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg_types.h"
#include "common/reconnect.h"

#define FEED_MAX_COINS 32

struct feed_session_cfg {
	struct hat_reconnect_cfg rc;      /* ping, silence, backoff */
	uint8_t n_sig_figs;               /* l2Book aggregation: 0 = full precision, else 2..5 */
	uint8_t mantissa;                 /* 0 = none, else 1, 2 or 5 (only with n_sig_figs 5) */
	bool sub_l2book, sub_trades, sub_bbo;
};

/* The connection states and actions are common/reconnect.h's. */
enum feed_sess_state {
	FEED_SS_IDLE = HAT_RECONNECT_IDLE,
	FEED_SS_WAIT = HAT_RECONNECT_WAIT,
	FEED_SS_CONNECTING = HAT_RECONNECT_CONNECTING,
	FEED_SS_LIVE = HAT_RECONNECT_LIVE,       /* open and subscribed */
	FEED_SS_STOPPED = HAT_RECONNECT_STOPPED,
};

enum feed_action {
	FEED_ACT_NONE = HAT_RECONNECT_ACT_NONE,
	FEED_ACT_CONNECT = HAT_RECONNECT_ACT_CONNECT,
	FEED_ACT_PING = HAT_RECONNECT_ACT_PING,
	FEED_ACT_RECONNECT = HAT_RECONNECT_ACT_RECONNECT,
};

struct feed_session_coin {
	char coin[HAT_COIN_LEN];
	bool fresh;             /* snapshot seen on the current connection */
	uint64_t fresh_ms;      /* when it became fresh */
};

struct feed_session {
	struct feed_session_cfg cfg;
	struct feed_session_coin coins[FEED_MAX_COINS];
	uint32_t n_coins;
	struct hat_reconnect rc;  /* connection state, backoff, ping, silence, counters */
};

/* Sets up the session for coins[0..n) (names copied; at most FEED_MAX_COINS, each shorter
 * than HAT_COIN_LEN). Returns 0 or -EINVAL (err says which coin or setting is bad: backoff_min
 * 0 or > max, silent_ms <= ping_idle_ms, bad n_sig_figs/mantissa, nothing subscribed). */
int feed_session_init(struct feed_session *s, const struct feed_session_cfg *cfg,
		      const char *const *coins, uint32_t n, uint64_t seed, char *err, size_t errlen);

/* Starts (state WAIT, connect due now). */
void feed_session_start(struct feed_session *s, uint64_t now_ms);
/* Stops for good (shutdown): no more CONNECT actions. */
void feed_session_stop(struct feed_session *s);

/* What to do now (at most one action per call; call again until NONE). */
enum feed_action feed_session_poll(struct feed_session *s, uint64_t now_ms);
/* Milliseconds from now until the session next needs a poll (0 = now); UINT32_MAX if never. */
uint64_t feed_session_next_ms(const struct feed_session *s, uint64_t now_ms);

/* Events from the adapter. */
void feed_session_connecting(struct feed_session *s, uint64_t now_ms);
void feed_session_opened(struct feed_session *s, uint64_t now_ms);   /* then send the subs */
void feed_session_rx(struct feed_session *s, uint64_t now_ms);       /* any frame, pong too */
void feed_session_closed(struct feed_session *s, uint64_t now_ms);   /* any end, any reason */
/* A snapshot for coin index i arrived (l2Book, or bbo when l2Book is off; kind 1 = book,
 * 2 = bbo). Returns true if the coin just went from stale to fresh. */
bool feed_session_snapshot(struct feed_session *s, uint32_t i, int kind, uint64_t now_ms);

/* Index of coin (n bytes), or -ENOENT. */
int feed_session_coin_index(const struct feed_session *s, const char *coin, size_t n);

/* Subscription messages: count, and the k-th one as JSON text into buf. Returns the text
 * length, or -ENOSPC if len is too small, -EINVAL if k is out of range. */
uint32_t feed_session_sub_count(const struct feed_session *s);
int feed_session_sub_text(const struct feed_session *s, uint32_t k, char *buf, size_t len);
/* The application ping text ({"method":"ping"}). */
const char *feed_session_ping_text(void);

/* The backoff delay bound for attempt k (before jitter): min(max, min * 2^k). */
uint64_t feed_session_backoff_cap(const struct feed_session_cfg *cfg, uint32_t k);

/* Checks the session's invariants (state in range, counts, fresh only while LIVE). */
bool feed_session_check(const struct feed_session *s);

#endif
