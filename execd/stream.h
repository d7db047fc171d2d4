/* execd/stream.h -- execd's private WebSocket session: orderUpdates and userFills of the account.
 *
 * An adapter over common/ws_client.h (the connection) and common/reconnect.h (the reconnect
 * policy, shared with feedd: jittered exponential backoff, application pings after
 * ping_idle_ms of silence, a reconnect when nothing arrives for silent_ms).
 *
 * On every open it subscribes {"type":"orderUpdates","user":..} and {"type":"userFills",
 * "user":..} and calls on_open: the daemon then reconciles with /info, because anything that
 * happened while the stream was down is not replayed by orderUpdates (userFills sends a
 * snapshot of recent fills first, which the FSM deduplicates by tid).
 *
 * Runs on the caller's uv loop (borrowed); exec_stream_step() does the policy's work and never
 * blocks. Single-threaded.
 */
#ifndef HAT_EXECD_STREAM_H
#define HAT_EXECD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/ws_client.h"
#include "common/reconnect.h"
#include "hl/parse_ws.h"

#define EXEC_STREAM_MAX_ITEMS 512

struct exec_stream_cbs {
	void (*on_open)(void *user);   /* subscribed: reconcile now */
	void (*on_close)(void *user, const struct hat_ws_close_info *why);
	void (*on_orders)(void *user, const struct hl_order_update *u, size_t n, uint64_t recv_ns);
	void (*on_fills)(void *user, const struct hl_fill *f, size_t n, bool snapshot,
			 uint64_t recv_ns);
	void (*on_bad)(void *user, const char *why); /* unparsable frame (counted, logged) */
	/* The answer to exec_stream_post(id): ok (payload = the /exchange answer as JSON text,
	 * borrowed for the call) or not (payload = the server's error text). May be NULL. */
	void (*on_post)(void *user, uint64_t id, bool ok, const char *payload, size_t len,
			uint64_t recv_ns);
};

struct exec_stream {
	struct hat_ws_client ws;
	struct hat_reconnect sess;
	struct exec_stream_cbs cbs;
	void *user;
	char url[512];
	char user_hex[43];             /* "0x" + 40 hex */
	bool stopped;
	struct hl_order_update *orders;/* owned scratch, EXEC_STREAM_MAX_ITEMS */
	struct hl_fill *fills;         /* owned scratch */
	struct hl_cancel_event *cancels;
	struct hat_buf post;           /* owned scratch for post frames */
	uint64_t frames, bad_frames, reconnects;
};

struct exec_stream_cfg {
	const char *url;               /* ws:// or wss:// (copied) */
	const char *user_hex;          /* account address "0x..." (copied) */
	uint32_t ping_idle_ms, silent_ms, backoff_min_ms, backoff_max_ms;
};

/* Sets up (no I/O). cbs copied, user and loop borrowed until deinit. Returns 0, -EINVAL (err
 * says which setting), -ENOMEM. */
int exec_stream_init(struct exec_stream *s, uv_loop_t *loop, const struct exec_stream_cfg *cfg,
		     const struct exec_stream_cbs *cbs, void *user, uint64_t seed, char *err,
		     size_t errlen);
/* Starts connecting (at the next step). */
void exec_stream_start(struct exec_stream *s, uint64_t now_ms);
/* Does what the policy says now (connect, ping, drop a silent link). Returns 1 if it did
 * something. now_ms: monotonic. */
int exec_stream_step(struct exec_stream *s, uint64_t now_ms);
/* Sends a signed /exchange body (borrowed) as a WebSocket post of type action with id:
 * {"method":"post","id":id,"request":{"type":"action","payload":<body>}}. The answer comes to
 * on_post. Returns 0, -ENOTCONN (not open), -ENOMEM or a send error. */
int exec_stream_post(struct exec_stream *s, uint64_t id, const char *body, size_t len);

/* True while open and subscribed. */
bool exec_stream_live(const struct exec_stream *s);
/* Drops the current connection (tests, silent link); the policy reconnects. */
void exec_stream_drop(struct exec_stream *s);
/* Stops for good and closes; run the loop until it has no handles, then deinit. */
void exec_stream_stop(struct exec_stream *s);
void exec_stream_deinit(struct exec_stream *s);

#endif
