/* common/reconnect.h -- the connection policy of a long-lived WebSocket session, as an I/O-free
 * state machine: when to connect, when to ping, when a silent link is dropped, and how long to
 * wait before the next attempt. Used by feedd's public feed (feedd/session.h) and execd's
 * private stream (execd/stream.h).
 *
 * The core decides; the adapter acts. Application pings ({"method":"ping"}) go out after
 * ping_idle_ms without any received frame; a link with nothing received (not even a pong)
 * for silent_ms is dropped. Backoff is jittered exponential ("equal jitter": the delay for
 * attempt k is uniform in [d/2, d] with d = min(backoff_max, backoff_min * 2^k)), reset only
 * after a connection stayed open stable_ms, plus a floor of min_connect_interval_ms between
 * attempts, so a server that accepts and closes at once (a reconnect storm) costs at most one
 * attempt per interval and the CPU sleeps in between.
 *
 * Time is passed in (now_ms, monotonic). The jitter comes from a xorshift generator seeded at
 * init. No I/O, no allocation, no globals: tests drive it step by step.
 */
#ifndef HAT_COMMON_RECONNECT_H
#define HAT_COMMON_RECONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hat_reconnect_cfg {
	uint32_t ping_idle_ms;            /* app ping after this long without a received frame */
	uint32_t silent_ms;               /* reconnect after this long without a received frame */
	uint32_t backoff_min_ms;          /* first reconnect delay bound */
	uint32_t backoff_max_ms;          /* delay cap */
	uint32_t stable_ms;               /* open this long: backoff starts over */
	uint32_t min_connect_interval_ms; /* floor between two connection attempts */
};

enum hat_reconnect_state {
	HAT_RECONNECT_IDLE = 0,       /* not started */
	HAT_RECONNECT_WAIT = 1,       /* waiting to (re)connect at next_connect_ms */
	HAT_RECONNECT_CONNECTING = 2, /* the adapter is connecting */
	HAT_RECONNECT_LIVE = 3,       /* open */
	HAT_RECONNECT_STOPPED = 4,    /* shutting down: never connects again */
};

enum hat_reconnect_action {
	HAT_RECONNECT_ACT_NONE = 0,
	HAT_RECONNECT_ACT_CONNECT = 1,   /* start a connection, then call _connecting() */
	HAT_RECONNECT_ACT_PING = 2,      /* send hat_reconnect_ping_text() */
	HAT_RECONNECT_ACT_RECONNECT = 3, /* the link is silent: drop it (_closed() follows) */
};

struct hat_reconnect {
	struct hat_reconnect_cfg cfg;
	int state;              /* enum hat_reconnect_state */
	uint32_t attempt;       /* consecutive attempts without a stable connection */
	uint64_t next_connect_ms;
	uint64_t last_attempt_ms;
	bool attempted;         /* last_attempt_ms is valid */
	uint64_t open_ms;       /* when the current connection opened */
	bool was_open;          /* the current attempt reached open */
	uint64_t last_rx_ms;    /* last frame of any kind */
	uint64_t last_ping_ms;  /* last app ping sent */
	uint64_t last_delay_ms; /* the last backoff delay chosen */
	uint64_t rng;           /* xorshift64 state, never 0 */
	/* counters */
	uint64_t connects, opens, closes, pings, silent_drops;
};

/* Checks cfg and sets r up (state IDLE). who prefixes the error ("feedd"). Returns 0 or
 * -EINVAL (err says which setting: backoff_min_ms 0 or > backoff_max_ms, silent_ms <=
 * ping_idle_ms or ping_idle_ms 0). */
int hat_reconnect_init(struct hat_reconnect *r, const struct hat_reconnect_cfg *cfg,
		       uint64_t seed, const char *who, char *err, size_t errlen);

/* Starts (state WAIT, connect due now). */
void hat_reconnect_start(struct hat_reconnect *r, uint64_t now_ms);
/* Stops for good (shutdown): no more CONNECT actions. */
void hat_reconnect_stop(struct hat_reconnect *r);

/* What to do now (at most one action per call; call again until NONE). */
enum hat_reconnect_action hat_reconnect_poll(struct hat_reconnect *r, uint64_t now_ms);
/* Milliseconds from now until the next poll is needed (0 = now); UINT32_MAX if never. */
uint64_t hat_reconnect_next_ms(const struct hat_reconnect *r, uint64_t now_ms);

/* Events from the adapter. */
void hat_reconnect_connecting(struct hat_reconnect *r, uint64_t now_ms);
void hat_reconnect_opened(struct hat_reconnect *r, uint64_t now_ms);
void hat_reconnect_rx(struct hat_reconnect *r, uint64_t now_ms);     /* any frame, pong too */
void hat_reconnect_closed(struct hat_reconnect *r, uint64_t now_ms); /* any end, any reason */

/* The backoff delay bound for attempt k (before jitter): min(max, min * 2^k). */
uint64_t hat_reconnect_backoff_cap(const struct hat_reconnect_cfg *cfg, uint32_t k);
/* The application ping text ({"method":"ping"}). */
const char *hat_reconnect_ping_text(void);
/* Checks the invariants (state in range, rng never 0). */
bool hat_reconnect_check(const struct hat_reconnect *r);

#endif
