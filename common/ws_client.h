/* common/ws_client.h -- a WebSocket client (RFC 6455, client side) on libuv + wslay, with
 * ws:// over TCP and wss:// over OpenSSL.
 *
 * Two layers, both generic (nothing exchange-specific; feedd's public stream and execd's
 * private stream both use it):
 *
 *  1. An I/O-free core that tests drive with byte arrays: URL parsing, the opening handshake
 *     (request text, Sec-WebSocket-Key, Sec-WebSocket-Accept check with SHA-1 + base64), and
 *     struct hat_ws_proto, the framing engine (a wslay client context whose input is fed by
 *     the caller and whose output accumulates in a buffer the caller drains). Client frames are
 *     masked with a fresh random mask each (getrandom(2), or a caller-supplied generator).
 *
 *  2. struct hat_ws_client, the libuv adapter: resolves the host, connects with a timeout,
 *     runs TLS (certificate and host-name verification, optional CA file, SNI) through memory
 *     BIOs, does the handshake, then moves bytes between the socket and the core. Text
 *     messages reach the caller's callback with the receive time: the clock reading taken when
 *     the socket read that completed the message returned (one reading per read, so every
 *     message completed by one read carries the same time).
 *
 * Single-threaded: one client belongs to one uv loop and is used only from that loop's
 * thread. Callbacks run on that thread and may call any function of this module, including
 * hat_ws_client_abort() and hat_ws_client_connect() (for a new connection) from on_close.
  *
 * SIGPIPE: writes go through write(2) (plain) or OpenSSL; a peer that has closed raises
 * SIGPIPE. The process must ignore it (every stage does, in hat_daemon_signals_install()).
 */
#ifndef HAT_COMMON_WS_CLIENT_H
#define HAT_COMMON_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common/buf.h"
#include "common/clock.h"

/* Close codes (RFC 6455 section 7.4.1). */
enum hat_ws_code {
	HAT_WS_CLOSE_NORMAL = 1000,
	HAT_WS_CLOSE_GOING_AWAY = 1001,
	HAT_WS_CLOSE_PROTOCOL_ERROR = 1002,
	HAT_WS_CLOSE_UNSUPPORTED = 1003,
	HAT_WS_CLOSE_NO_STATUS = 1005,   /* never sent: "close frame had no code" */
	HAT_WS_CLOSE_ABNORMAL = 1006,    /* never sent: "connection dropped without a close frame" */
	HAT_WS_CLOSE_INVALID_DATA = 1007,
	HAT_WS_CLOSE_POLICY = 1008,
	HAT_WS_CLOSE_TOO_BIG = 1009,
	HAT_WS_CLOSE_INTERNAL = 1011,
};

#define HAT_WS_KEY_LEN 25        /* base64 of 16 bytes + NUL */
#define HAT_WS_ACCEPT_LEN 29     /* base64 of 20 bytes + NUL */
#define HAT_WS_HOST_MAX 256
#define HAT_WS_PATH_MAX 1024
#define HAT_WS_DEFAULT_MAX_MSG (4u << 20)  /* 4 MiB */
#define HAT_WS_MAX_OUT (8u << 20)          /* unsent output beyond this is an error */

/* ---------------------------------------------------------------- URL */

struct hat_ws_url {
	bool tls;                     /* wss:// */
	char host[HAT_WS_HOST_MAX];   /* without brackets for IPv6 literals */
	uint16_t port;                /* explicit or 80/443 */
	char path[HAT_WS_PATH_MAX];   /* "/ws", with the query if any; "/" when absent */
	char host_header[HAT_WS_HOST_MAX + 8]; /* Host: value ("h", "h:port", "[v6]:port") */
};

/* Parses "ws://host[:port][/path[?query]]" or "wss://...". Rejects other schemes, user info,
 * fragments, empty hosts, bad ports and over-long parts. Returns 0 or HAT_E_PARSE with err
 * naming the problem ("ws url \"http://x\": scheme must be ws:// or wss://"). */
int hat_ws_url_parse(const char *url, struct hat_ws_url *out, char *err, size_t errlen);

/* ---------------------------------------------------------------- handshake (I/O-free) */

/* key = base64 of the 16 nonce bytes (24 chars + NUL). */
void hat_ws_make_key(const uint8_t nonce[16], char key[HAT_WS_KEY_LEN]);

/* accept = base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")). Returns 0 or -EIO if
 * the SHA-1 failed (OpenSSL). */
int hat_ws_accept_for_key(const char *key, char accept[HAT_WS_ACCEPT_LEN]);

/* Appends the GET request for u with key to out. extra_headers (may be NULL) is inserted
 * verbatim: each line must end with "\r\n". */
void hat_ws_build_request(struct hat_buf *out, const struct hat_ws_url *u, const char *key,
			  const char *extra_headers);

/* Checks the server's handshake response in data[0..len). Returns 0 when a complete, valid
 * response was found (*consumed = its length; bytes after it are WebSocket frames),
 * -EAGAIN when the header is not complete yet (more bytes needed; more than 16 KiB without an
 * end is -EPROTO), or -EPROTO (err says why: status not 101 and which status, missing or wrong
 * Upgrade/Connection, Sec-WebSocket-Accept not matching key). *status gets the HTTP status
 * once the status line is complete (0 before). */
int hat_ws_check_response(const char *data, size_t len, const char *key, size_t *consumed,
			  int *status, char *err, size_t errlen);

/* ---------------------------------------------------------------- framing core (I/O-free) */

struct hat_ws_proto_cbs {
	/* A complete text message (data not NUL-terminated; borrowed for the call). */
	void (*on_text)(void *user, const char *data, size_t len, uint64_t recv_ns);
	/* A complete binary message; may be NULL (binary messages are then counted and dropped). */
	void (*on_binary)(void *user, const uint8_t *data, size_t len, uint64_t recv_ns);
	/* A pong control frame; may be NULL. Pings are answered automatically. */
	void (*on_pong)(void *user, uint64_t recv_ns);
	/* The peer sent a close frame (code 1005 if it had none). The reply close is queued. */
	void (*on_peer_close)(void *user, uint16_t code, const char *reason, size_t len);
};

struct hat_ws_proto {
	void *ctx;                    /* wslay_event_context_ptr, owned */
	struct hat_ws_proto_cbs cbs;
	void *user;
	/* Mask generator for tests (deterministic masks); NULL = getrandom(2). */
	int (*genmask)(uint8_t *buf, size_t len, void *user);
	const uint8_t *in;            /* input being fed (borrowed during hat_ws_proto_feed) */
	size_t in_len, in_pos;
	uint64_t recv_ns;             /* stamp of the bytes being fed */
	struct hat_buf out;           /* bytes to send, owned */
	size_t max_msg;
	uint16_t close_sent;          /* code of the close frame we queued/sent, 0 if none */
	uint16_t close_received;      /* code of the peer's close frame, 0 if none */
	bool failed;                  /* a protocol error or over-size message ended the session */
	uint64_t msgs_text, msgs_binary, pongs, pings;
};

/* Initialises p as a client. max_msg: largest message accepted (0 = HAT_WS_DEFAULT_MAX_MSG);
 * a longer one makes the core queue close 1009 and stop reading. cbs is copied, user borrowed
 * until deinit. Returns 0 or -ENOMEM. */
int hat_ws_proto_init(struct hat_ws_proto *p, const struct hat_ws_proto_cbs *cbs, void *user,
		      size_t max_msg);
void hat_ws_proto_deinit(struct hat_ws_proto *p);

/* Feeds received bytes (borrowed for the call); complete messages go to the callbacks, stamped
 * recv_ns. Replies (pong, close) accumulate in the output. Returns 0; -EMSGSIZE (a message
 * over max_msg: close 1009 queued), -EPROTO (protocol violation: close 1002 queued),
 * -EPIPE (reading already ended: after a close or an error) or -ENOMEM. After an error, flush
 * the output and close the connection. */
int hat_ws_proto_feed(struct hat_ws_proto *p, const uint8_t *data, size_t len, uint64_t recv_ns);

/* Queue a text message / a ping (payload <= 125 bytes) / a close frame (reason <= 123 bytes;
 * code 0 = no code). Data is copied. Returns 0, -EPIPE (a close was already queued), -EINVAL,
 * -ENOBUFS (unsent output over HAT_WS_MAX_OUT) or -ENOMEM. */
int hat_ws_proto_send_text(struct hat_ws_proto *p, const char *data, size_t len);
int hat_ws_proto_send_ping(struct hat_ws_proto *p, const void *data, size_t len);
int hat_ws_proto_send_close(struct hat_ws_proto *p, uint16_t code, const char *reason);

/* Output: the bytes to write (p->out.data, p->out.len) after moving queued frames into it.
 * Call hat_ws_proto_flush() then write p->out and hat_buf_consume() what was written.
 * Returns 0 or -ENOMEM / -ENOBUFS. */
int hat_ws_proto_flush(struct hat_ws_proto *p);

/* True once both sides' close frames were exchanged, or after a failure: the connection is
 * done once the output is written. */
bool hat_ws_proto_done(const struct hat_ws_proto *p);

/* ---------------------------------------------------------------- libuv client */

/* Why a connection ended (on_close's reason, also in hat_ws_client_last_error()). */
struct hat_ws_close_info {
	int err;              /* 0 = clean close handshake, else a negative code: -ETIMEDOUT
			       * (connect/handshake/close timeout), -ECONNREFUSED and other socket
			       * errors, -EPIPE (EOF without a close frame), -EPROTO (bad handshake,
			       * protocol violation, TLS failure), -EMSGSIZE (message over max_msg:
			       * we sent 1009), -ECANCELED (hat_ws_client_abort) */
	uint16_t code_received; /* peer's close code, 0 if none */
	uint16_t code_sent;     /* our close code, 0 if none */
	char text[160];       /* human-readable reason ("tls: certificate verify failed") */
};

struct hat_ws_client_cbs {
	void (*on_open)(void *user);                 /* handshake done; may send now */
	void (*on_text)(void *user, const char *data, size_t len, uint64_t recv_ns);
	void (*on_pong)(void *user, uint64_t recv_ns); /* may be NULL */
	/* The connection ended (after a successful connect or not). Called exactly once per
	 * hat_ws_client_connect() that returned 0, except after hat_ws_client_deinit(). */
	void (*on_close)(void *user, const struct hat_ws_close_info *why);
};

struct hat_ws_client_opts {
	const char *url;              /* ws:// or wss://; copied */
	const char *ca_file;          /* PEM bundle for wss (NULL = system default paths) */
	bool tls_no_verify;           /* tests only: skip certificate/host checks */
	uint32_t connect_timeout_ms;  /* DNS + TCP + TLS + handshake; 0 = 10000 */
	uint32_t close_timeout_ms;    /* wait for the peer's close reply; 0 = 2000 */
	size_t max_msg;               /* 0 = HAT_WS_DEFAULT_MAX_MSG */
	const char *extra_headers;    /* optional "Name: value\r\n" lines; copied */
	const struct hat_clock *clock;/* receive stamps (realtime); NULL = hat_clock_system */
};

struct hat__ws_conn;

struct hat_ws_client {
	uv_loop_t *loop;              /* borrowed */
	struct hat_ws_client_cbs cbs;
	void *user;
	struct hat__ws_conn *conn;    /* the current connection, NULL when idle */
	void *ssl_ctx;                /* SSL_CTX *, created on the first wss connect, owned */
	char ssl_ctx_ca[512];         /* CA file the ctx was made with */
	bool ssl_ctx_no_verify;
	struct hat_ws_close_info last;/* why the last connection ended */
	uint64_t connects, opens, closes;
	uint64_t bytes_in, bytes_out; /* wire bytes (TLS included) */
};

/* Binds the client to loop (borrowed until deinit). cbs copied, user borrowed. No I/O. */
void hat_ws_client_init(struct hat_ws_client *c, uv_loop_t *loop,
			const struct hat_ws_client_cbs *cbs, void *user);

/* Starts connecting (asynchronous: on_open or on_close follow from the loop). Returns 0,
 * -EBUSY (a connection exists), HAT_E_PARSE (bad URL; err says why), -EINVAL (bad options),
 * -EPROTO (TLS context setup failed, e.g. CA file unreadable; err names it) or a negative errno
 * from libuv. On error no callback is called. */
int hat_ws_client_connect(struct hat_ws_client *c, const struct hat_ws_client_opts *o,
			  char *err, size_t errlen);

/* Sends a text message / a ping. Returns 0, -ENOTCONN (not open), or an error of
 * hat_ws_proto_send_*(). */
int hat_ws_client_send_text(struct hat_ws_client *c, const char *data, size_t len);
int hat_ws_client_ping(struct hat_ws_client *c);

/* Starts the close handshake with code (e.g. 1000) and waits close_timeout_ms for the reply;
 * on_close follows. If not open yet, behaves as abort. Returns 0 or -ENOTCONN. */
int hat_ws_client_close(struct hat_ws_client *c, uint16_t code, const char *reason);

/* Drops the connection at once (no close frame); on_close follows from the loop with
 * err -ECANCELED. No-op when idle. */
void hat_ws_client_abort(struct hat_ws_client *c);

/* True between on_open and the start of closing. */
bool hat_ws_client_is_open(const struct hat_ws_client *c);

/* Drops any connection without calling on_close and frees the TLS context. Handles close
 * asynchronously: run the loop (uv_run) until it has no more handles before closing it. */
void hat_ws_client_deinit(struct hat_ws_client *c);

#endif
