/* tools/hlsim/ws.h -- hlsim's WebSocket sessions (RFC 6455 over wslay) and push fan-out.
 *
 * A connection that asked GET /ws with a valid upgrade gets a session: text frames carry JSON
 * requests ({"method":"subscribe"|"unsubscribe"|"ping"|"post",...}, protocol doc section 3);
 * binary frames close with 1003, invalid UTF-8 with 1007, messages above the size limit with
 * 1009. Each session keeps its own subscription set; the engine's events are fanned out to every
 * matching subscription (hlsim_ws_fanout). A session on which the server has sent nothing for
 * ws_idle_ms is closed (1000, "idle timeout"). post requests are answered at once (the engine is
 * synchronous), so no more than one is ever in flight per connection.
 * Single-threaded: the server's loop.
 */
#ifndef HAT_TOOLS_HLSIM_WS_H
#define HAT_TOOLS_HLSIM_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/hlsim/engine.h"

struct hlsim_conn;
struct hlsim_server;

/* Computes Sec-WebSocket-Accept for key (base64 of SHA-1 of key + the RFC 6455 GUID) into
 * out (29 bytes with the NUL). Returns 0, or -EINVAL if key is not base64 of 16 bytes. */
int hlsim_ws_accept_key(const char *key, char out[29]);

/* Turns c into a WebSocket session (the 101 response was already queued) and processes
 * leftover (bytes that followed the upgrade request; borrowed). Returns 0 or -ENOMEM. */
int hlsim_ws_start(struct hlsim_conn *c, const char *leftover, size_t n);

/* Input bytes for c's session (borrowed). */
void hlsim_ws_on_read(struct hlsim_conn *c, const char *data, size_t n);
/* Handles one text message that waited in c's queue (http.h); prep: its prepared post action or
 * NULL, consumed. */
struct hlsim_prep;
void hlsim_ws_commit(struct hlsim_conn *c, const char *text, size_t len, struct hlsim_prep *prep);
/* c's idle timer fired: close the session. */
void hlsim_ws_on_idle(struct hlsim_conn *c);
/* The server is stopping: sends close 1001 ("server shutting down") and closes gracefully. */
void hlsim_ws_going_away(struct hlsim_conn *c);
/* Releases c's session (subscriptions, rate-limit counts). */
void hlsim_ws_free(struct hlsim_conn *c);

/* The backtest gate (gate.h): sends c a ping whose payload is round (8 bytes, host order) if c
 * is an open session (else nothing). */
void hlsim_ws_ping(struct hlsim_conn *c, uint64_t round);
/* True unless c is an open session pinged in round that has not answered that ping yet. */
bool hlsim_ws_ponged(const struct hlsim_conn *c, uint64_t round);
/* c's session serial (unique per server), 0 if c is not a session. */
uint64_t hlsim_ws_serial(const struct hlsim_conn *c);
/* Sends a text message the gate held (bypassing the hold); nothing if c's session is gone or
 * closing. */
void hlsim_ws_send_held(struct hlsim_conn *c, const char *text, size_t len);

/* Engine sink: sends ev to every subscribed session of s. */
void hlsim_ws_fanout(struct hlsim_server *s, const struct hlsim_event *ev);

#endif
