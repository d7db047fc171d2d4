/* tools/hlsim/server.h -- hlsim's network server: one port, HTTP /info /exchange and WS /ws.
 *
 * The server owns the listening socket, every connection (tools/hlsim/http.h), the per-IP rate
 * limits (ratelimit.h) and a timer that advances the engine (hlsim_tick every tick_ms). It
 * borrows the engine and registers itself as the engine's event sink, fanning pushes out to
 * WebSocket subscribers (ws.h). Everything runs on one libuv loop, in one thread, except the
 * prepare step of signed requests on the worker pool (pool.h) when opts.workers > 0.
 */
#ifndef HAT_TOOLS_HLSIM_SERVER_H
#define HAT_TOOLS_HLSIM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/buf.h"
#include "tools/hlsim/engine.h"
#include "tools/hlsim/http_parse.h"
#include "tools/hlsim/pool.h"
#include "tools/hlsim/ratelimit.h"

struct hlsim_conn;
struct hlsim_gate;

struct hlsim_server_opts {
	const char *host;          /* bind address, default "127.0.0.1" */
	int port;                  /* 0: any free port */
	struct hlsim_http_limits http;
	struct hlsim_rl_limits rl;
	unsigned http_timeout_ms;  /* a started request must complete within this (slowloris) */
	unsigned http_idle_ms;     /* keep-alive connection without a request is closed after this */
	unsigned ws_idle_ms;       /* WS closed after this long without anything sent, default 60 s */
	size_t ws_max_msg;         /* largest WS message accepted (close 1009 above), 1 MiB */
	bool ws_greeting;          /* send "Websocket connection established." first */
	unsigned tick_ms;          /* engine tick period, default 5 */
	unsigned workers;          /* 0: every request handled on the loop thread; else signed
	                            * requests are prepared on this many worker threads (pool.h,
	                            * http.h); default 2 */
};

void hlsim_server_opts_default(struct hlsim_server_opts *o);

struct hlsim_server {
	uv_loop_t *loop;             /* borrowed */
	struct hlsim_engine *engine; /* borrowed */
	struct hlsim_server_opts opts;
	uv_tcp_t listener;
	uv_timer_t tick;
	uv_check_t flusher;          /* writes what hlsim_conn_flush_later queued */
	struct hlsim_pool pool;      /* the prepare workers (opts.workers > 0) */
	struct hlsim_conn *flush_list;
	int port;                    /* the bound port */
	struct hlsim_rl rl;
	struct hlsim_conn *conns;    /* every open connection (intrusive list) */
	struct hat_buf frame;        /* scratch for building pushes */
	struct hat_buf scratch;      /* scratch for aggregated snapshots */
	bool stopping;
	unsigned open_handles;       /* listener, tick, flusher (, pool) while started */
	uint64_t n_requests, n_ws_msgs_out;
	struct hlsim_gate *gate;     /* borrowed: the backtest gate (gate.h) or NULL */
	uint64_t ws_serials;         /* WebSocket sessions started (each one's serial) */
	char rbuf[65536];            /* read buffer shared by every connection (reads are
	                              * consumed synchronously) */
};

/* Binds and listens on opts->host:opts->port, starts the tick timer, sets the engine's sink.
 * loop and engine are borrowed and must outlive the server. Returns 0 or a negative errno (the
 * libuv code), with err naming the call (e.g. "bind 127.0.0.1:80: permission denied"). */
int hlsim_server_start(struct hlsim_server *s, uv_loop_t *loop, struct hlsim_engine *engine,
                       const struct hlsim_server_opts *opts, char *err, size_t errlen);

/* Closes the listener, the timer and every connection (WebSocket clients first get a close
 * frame 1001 and up to a second to take it). The loop must then run until
 * hlsim_server_closed() (uv_run(loop, UV_RUN_DEFAULT) returns once everything is closed). */
void hlsim_server_stop(struct hlsim_server *s);
bool hlsim_server_closed(const struct hlsim_server *s);
/* Frees what the server allocated; call after the loop has closed every handle. */
void hlsim_server_deinit(struct hlsim_server *s);

/* Wall clock in ms since the Unix epoch (what the engine's nonces and timestamps use). */
uint64_t hlsim_now_ms(void);

#endif
