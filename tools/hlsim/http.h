/* tools/hlsim/http.h -- hlsim's connections: HTTP/1.1 on libuv, then optionally WebSocket.
 *
 * Each accepted TCP connection is a struct hlsim_conn. It starts in HTTP mode: bytes go through
 * the request parser core (http_parse.h); POST /info and POST /exchange go to the engine (with
 * the per-IP REST weight budget), GET /ws with a valid upgrade switches the connection to
 * WebSocket mode (ws.h). Requests are answered in order (pipelining), keep-alive by default.
 * Errors: unknown path 404, wrong method 405, parser errors (400/411/413/414/431) and request
 * timeouts (408) are answered in plain text and close the connection gracefully (the write side
 * is shut down, unread input is drained for a moment, then the socket is closed, so the client
 * reads the error instead of a reset).
 *
 * Output is buffered per connection and written with one uv_write at a time; a connection
 * whose unsent output grows beyond 64 MiB (a client that does not read) is dropped.
 * Single-threaded: the server's loop.
 */
#ifndef HAT_TOOLS_HLSIM_HTTP_H
#define HAT_TOOLS_HLSIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/buf.h"
#include "tools/hlsim/http_parse.h"

struct hlsim_server;
struct hlsim_ws;

enum hlsim_conn_mode {
	HLSIM_CONN_HTTP,
	HLSIM_CONN_WS,
	HLSIM_CONN_LINGER, /* final output written, write side shut, draining input */
};

struct hlsim_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;       /* request/idle timeout, WS idle timeout, linger */
	uv_write_t wreq;
	uv_shutdown_t sreq;
	struct hlsim_server *srv;
	struct hlsim_conn *prev, *next; /* the server's list */
	struct hlsim_conn *next_flush;  /* the server's flush_later list */
	bool flush_pending;             /* on that list */
	enum hlsim_conn_mode mode;
	struct hlsim_http_parse parser;
	struct hlsim_ws *ws;    /* owned, WS mode only */
	struct hat_buf out;     /* output not yet handed to uv_write */
	struct hat_buf wbuf;    /* output being written */
	struct hat_buf resp;    /* scratch for one response body */
	uint8_t ip[16];         /* peer address bytes (rate limits) */
	uint8_t ip_len;
	bool writing;           /* wreq in flight */
	bool close_after_write; /* linger-close once out and wbuf are written */
	bool closing;           /* uv_close called */
	bool reading;
	bool eof;               /* the peer shut its write side */
	bool req_timer;         /* timer measures a started request (not idle) */
	unsigned handles;       /* open handles (tcp, timer) */
};

/* Accepts one pending connection on the server's listener. Returns 0 or a negative errno
 * (logged at the site). */
int hlsim_conn_accept(struct hlsim_server *s);

/* Appends bytes to c's output and starts writing (borrowed for the call). */
void hlsim_conn_send(struct hlsim_conn *c, const void *data, size_t len);
/* Starts a uv_write of pending output if none is in flight. */
void hlsim_conn_flush(struct hlsim_conn *c);
/* Flushes c once the loop has handled this round of input (the server's check handle), so a
 * burst of pushes to one connection becomes one write. */
void hlsim_conn_flush_later(struct hlsim_conn *c);
/* Graceful close: write what is pending, shut the write side, drain, close. */
void hlsim_conn_finish(struct hlsim_conn *c);
/* Immediate close (resets pending output). */
void hlsim_conn_close(struct hlsim_conn *c);
/* (Re)arms c's timer to fire after ms. */
void hlsim_conn_timer(struct hlsim_conn *c, uint64_t ms);

#endif
