/* tools/hlsim/http_parse.h -- hlsim's HTTP/1.1 request parser core (no I/O).
 *
 * Bytes from a connection go in (hlsim_http_parse_feed), complete requests come out through a
 * callback, in order, so pipelined requests are answered in order. It wraps http-parser and adds
 * hlsim's rules: Content-Length is required for bodies (chunked bodies are refused with 411),
 * the request line plus headers are limited (431, or 414 for the URL alone), the body is limited
 * (413), HTTP versions other than 1.x get 505, malformed requests get 400. After an error the parser stays in the error state: the
 * connection answers the error (status + plain text) and closes. A WebSocket upgrade request
 * stops the parser: the bytes after it belong to the WebSocket layer.
 *
 * Single-threaded; one parser per connection. Fuzzed by tests/fuzz/fuzz_http.c.
 */
#ifndef HAT_TOOLS_HLSIM_HTTP_PARSE_H
#define HAT_TOOLS_HLSIM_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

#include "common/buf.h"

struct hlsim_http_limits {
	size_t max_url;          /* bytes of the request target; longer: 414 */
	size_t max_header_bytes; /* request line + header names and values; more: 431 */
	size_t max_body;         /* Content-Length above this: 413 */
};

/* Defaults: 2 KiB URL, 16 KiB headers, 1 MiB body. */
void hlsim_http_limits_default(struct hlsim_http_limits *l);

enum hlsim_http_method {
	HLSIM_HTTP_GET,
	HLSIM_HTTP_POST,
	HLSIM_HTTP_OTHER, /* any other method: the router answers 405 */
};

/* One complete request. Every pointer is valid only during the callback. */
struct hlsim_http_request {
	enum hlsim_http_method method;
	const char *method_name; /* "GET", "PUT", ... */
	const char *path;        /* request target without the query string, NUL-terminated */
	const char *body;        /* NUL-terminated for convenience; body_len excludes the NUL */
	size_t body_len;
	bool keep_alive;         /* HTTP/1.1 default, Connection: close, HTTP/1.0 rules */
	bool upgrade;            /* Connection: upgrade + Upgrade: websocket */
	const char *ws_key;      /* Sec-WebSocket-Key or "" */
	const char *ws_version;  /* Sec-WebSocket-Version or "" */
};

struct hlsim_http_parse_cb {
	/* A complete request. Return 0 to go on, or nonzero to stop feeding (the connection is
	 * closing or switching protocols); feed then returns with *consumed after this request. */
	int (*on_request)(void *user, const struct hlsim_http_request *req);
	/* The request's headers asked for "Expect: 100-continue" (may be NULL). */
	void (*on_continue)(void *user);
};

struct hlsim_http_parse {
	http_parser hp;
	http_parser_settings settings;
	struct hlsim_http_limits lim;
	struct hlsim_http_parse_cb cb;
	void *user;
	/* the request being parsed */
	struct hat_buf url, body, field, value;
	char ws_key[64], ws_version[8];
	bool expect_continue, last_was_value, in_message, stop;
	size_t header_bytes;
	/* error state */
	int err_status;      /* 0 or the HTTP status to answer (400, 411, 413, 414, 431) */
	char err_text[160];  /* plain-text reason sent as the error body */
};

/* Prepares p with limits lim and callbacks cb (both copied); user is passed to callbacks and
 * kept until deinit. */
void hlsim_http_parse_init(struct hlsim_http_parse *p, const struct hlsim_http_limits *lim,
                           const struct hlsim_http_parse_cb *cb, void *user);
void hlsim_http_parse_deinit(struct hlsim_http_parse *p);

/* Feeds len bytes (borrowed). Requests found are delivered through on_request in order.
 * *consumed receives the bytes used: all of them, or fewer when on_request asked to stop (the
 * rest, e.g. WebSocket frames after an upgrade, belongs to the caller).
 * Returns 0; -EAGAIN is never returned (partial requests are kept for the next call).
 * Returns HAT_E_PARSE when the input is not an acceptable request: p->err_status (400, 411, 413,
 * 414, 431, 505) and p->err_text say what to answer; every later call returns HAT_E_PARSE again.
 * Returns -ENOMEM on allocation failure (answer 500). len == 0 means end of input: a request
 * cut short then is an error (400, "connection closed inside a request"). */
int hlsim_http_parse_feed(struct hlsim_http_parse *p, const char *data, size_t len,
                          size_t *consumed);

/* True while a request has started but is not complete (used for the read timeout). */
bool hlsim_http_parse_busy(const struct hlsim_http_parse *p);

/* Reason phrase of an HTTP status ("OK", "Not Found", ...; "Unknown" for others). */
const char *hlsim_http_reason(int status);

#endif
