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
 * Signed /exchange requests (and WebSocket post actions, ws.c) are answered in two steps when
 * the server has workers (--workers, default 2): the engine-state-free prepare step (parse,
 * canonical msgpack, digest, signer recovery: hlsim_exchange_prepare) runs on the server's
 * worker threads (pool.h), the commit step (nonces, budgets, the action) on the loop thread. Each connection keeps
 * a queue of its requests (struct hlsim_job): a request is committed only once every earlier
 * request of the connection has been, so responses leave in request order and requests of one
 * signer reach the engine in the order they were sent, whatever order the prepares finish in.
 * While the queue is not empty, every other request and response of the connection (errors,
 * /info, upgrades, WebSocket messages) waits in the queue too. A connection closed with
 * prepares in flight is freed when the last one returns.
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
#include "tools/hlsim/engine.h"
#include "tools/hlsim/http_parse.h"

struct hlsim_server;
struct hlsim_ws;

enum hlsim_conn_mode {
	HLSIM_CONN_HTTP,
	HLSIM_CONN_WS,
	HLSIM_CONN_LINGER, /* final output written, write side shut, draining input */
};

enum hlsim_job_kind {
	HLSIM_JOB_BYTES,    /* a pre-rendered HTTP response (data) */
	HLSIM_JOB_API,      /* POST /info or /exchange: body in data */
	HLSIM_JOB_UPGRADE,  /* GET /ws upgrade; data = the bytes that followed it */
	HLSIM_JOB_WS_MSG,   /* a WebSocket text message (data), handled by ws.c */
};

/* One request of a connection waiting for its turn (see above). */
struct hlsim_job {
	struct hlsim_job *next;
	struct hlsim_conn *c;
	enum hlsim_job_kind kind;
	bool want_prep;           /* to be handed to the pool by hlsim_conn_submit */
	bool running;             /* prepare on the worker pool (its batch holds a reference on c) */
	bool ready;               /* may be committed once it is at the head */
	bool orphan;              /* c closed while running: freed when the work returns */
	bool is_info, close;      /* API: /info; answer with Connection: close */
	char *data;               /* owned, NUL-terminated */
	size_t len;
	char *prep_body;          /* what to prepare (borrowed from data or owned, see own_body) */
	size_t prep_len;
	bool own_body;
	const struct hlsim_engine *engine; /* for the worker (prepare reads no mutable state) */
	struct hlsim_prep *prep;  /* the prepared /exchange body, or NULL (commit does it all) */
	char ws_key[64], ws_version[8]; /* UPGRADE */
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
	unsigned handles;       /* open handles (tcp, timer) + prepares running */
	struct hlsim_job *q_head, *q_tail; /* requests waiting for their answer, in order */
	struct hlsim_job *sub_from; /* first job that may want_prep (hlsim_conn_submit) */
	unsigned q_len;
	bool in_commit;         /* answering the queue's head: output goes straight out */
	bool finish_pending;    /* hlsim_conn_finish once the queue is empty */
	bool upgrade_pending;   /* the queue ends with an upgrade: input waits */
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
/* True if c's answers must wait in its queue (earlier requests still pending). */
bool hlsim_conn_busy(const struct hlsim_conn *c);
/* Appends a job of kind with a copy of data (len bytes) to c's queue. Returns it, or NULL
 * (out of memory: the connection is closed). */
struct hlsim_job *hlsim_job_add(struct hlsim_conn *c, enum hlsim_job_kind kind, const char *data,
                                size_t len);
/* Marks body (an /exchange body; owned by j if own, else pointing into j->data) to be prepared
 * on the worker pool by the next hlsim_conn_submit; j becomes ready when done. With no workers
 * (or if the pool refuses), j is ready without a prepare (commit then does the whole request). */
void hlsim_job_prepare(struct hlsim_job *j, char *body, size_t len, bool own);
/* Hands the prepares marked since the last call to the pool, in work items of up to 8 (split
 * over the workers), so one read full of pipelined requests costs a few thread wake-ups, not
 * one per request. Called after each read. */
void hlsim_conn_submit(struct hlsim_conn *c);
/* Answers c's queued requests from the head while they are ready. */
void hlsim_conn_drain(struct hlsim_conn *c);
/* Drops every queued request (prepares in flight are orphaned). */
void hlsim_conn_drop_jobs(struct hlsim_conn *c);
/* (Re)arms c's timer to fire after ms. */
void hlsim_conn_timer(struct hlsim_conn *c, uint64_t ms);

#endif
