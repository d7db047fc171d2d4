/* tests/helpers/ws_test_client.h -- a small blocking WebSocket client for tests (wslay).
 *
 * Connects to 127.0.0.1:port, performs the RFC 6455 upgrade, then sends text frames and
 * receives whole messages with timeouts. Received text messages are queued in order; a close
 * frame from the server is recorded (close_code) and ends reception. Test-only, single-threaded.
 */
#ifndef HAT_TESTS_WS_TEST_CLIENT_H
#define HAT_TESTS_WS_TEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wstc;

/* Connects and upgrades at path ("/ws"). On success *out is set and 0 returned; on failure
 * returns -1 and, if status is not NULL, *status receives the HTTP status the server answered
 * (0 if none). */
int wstc_connect(struct wstc **out, int port, const char *path, int *status);
void wstc_free(struct wstc *c);

/* Sends one text message (masked, as clients must). Returns 0 or -1. */
int wstc_send_text(struct wstc *c, const char *s, size_t len);
/* Sends one message with any opcode (1 text, 2 binary, 9 ping). Returns 0 or -1. */
int wstc_send_frame(struct wstc *c, uint8_t opcode, const void *data, size_t len);
/* Writes raw bytes to the socket (hand-made frames). Returns 0 or -1. */
int wstc_send_raw(struct wstc *c, const void *data, size_t len);

/* Returns the next text message (malloc'ed, NUL-terminated; caller frees), or NULL after
 * timeout_ms or when the connection closed. */
char *wstc_recv(struct wstc *c, int timeout_ms);
/* Like wstc_recv but skips messages whose "channel" is not channel. */
char *wstc_recv_channel(struct wstc *c, const char *channel, int timeout_ms);
/* Waits until the server closes; returns its close code (1000...), 1006 if the TCP connection
 * ended without a close frame, or -1 on timeout. Messages still queued are dropped. */
int wstc_wait_close(struct wstc *c, int timeout_ms);
/* The number of pong frames received so far. */
unsigned wstc_pongs(const struct wstc *c);

#endif
