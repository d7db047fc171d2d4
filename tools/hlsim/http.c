/* tools/hlsim/http.c -- connections on libuv: HTTP/1.1 requests, responses, timeouts, close. */
#include "tools/hlsim/http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "tools/hlsim/server.h"
#include "tools/hlsim/ws.h"

#define MAX_PENDING_OUT ((size_t)64 << 20) /* a client this far behind is dropped */
#define PAUSE_READ_OUT ((size_t)4 << 20)   /* stop reading requests until this drains */
#define LINGER_MS 1000

static void do_shutdown(struct hlsim_conn *c);
static void start_reading(struct hlsim_conn *c);

/* ---------------------------------------------------------------- output */

void hlsim_conn_send(struct hlsim_conn *c, const void *data, size_t len)
{
	if (c->closing)
		return;
	hat_buf_append(&c->out, data, len);
	if (!hat_buf_ok(&c->out) || c->out.len > MAX_PENDING_OUT) {
		hat_log(NULL, HAT_LOG_WARN, "conn_dropped", "reason=%s unsent_bytes=%zu",
			"client not reading", c->out.len);
		hlsim_conn_close(c);
	}
}

static void on_write(uv_write_t *req, int status)
{
	struct hlsim_conn *c = req->data;
	c->writing = false;
	hat_buf_reset(&c->wbuf);
	if (c->closing)
		return;
	if (status < 0) {
		hlsim_conn_close(c);
		return;
	}
	if (c->out.len) {
		hlsim_conn_flush(c);
		return;
	}
	if (c->close_after_write) {
		do_shutdown(c);
		return;
	}
	if (!c->reading && c->mode == HLSIM_CONN_HTTP)
		start_reading(c);
}

void hlsim_conn_flush(struct hlsim_conn *c)
{
	if (c->writing || c->closing || !c->out.len)
		return;
	struct hat_buf t = c->wbuf;
	c->wbuf = c->out;
	c->out = t;
	uv_buf_t b = uv_buf_init(c->wbuf.data, (unsigned)c->wbuf.len);
	c->wreq.data = c;
	int r = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
	if (r < 0) {
		hlsim_conn_close(c);
		return;
	}
	c->writing = true;
	if (c->mode == HLSIM_CONN_WS)
		hlsim_conn_timer(c, c->srv->opts.ws_idle_ms);
}

void hlsim_conn_flush_later(struct hlsim_conn *c)
{
	if (c->flush_pending || c->closing)
		return;
	c->flush_pending = true;
	c->next_flush = c->srv->flush_list;
	c->srv->flush_list = c;
}

/* ---------------------------------------------------------------- close */

static void on_closed(uv_handle_t *h)
{
	struct hlsim_conn *c = h->data;
	if (--c->handles)
		return;
	hlsim_http_parse_deinit(&c->parser);
	hat_buf_free(&c->out);
	hat_buf_free(&c->wbuf);
	hat_buf_free(&c->resp);
	free(c);
}

void hlsim_conn_close(struct hlsim_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	struct hlsim_server *s = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->ws)
		hlsim_ws_free(c);
	uv_close((uv_handle_t *)&c->tcp, on_closed);
	uv_close((uv_handle_t *)&c->timer, on_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct hlsim_conn *c = req->data;
	if (c->closing)
		return;
	if (status < 0 || c->eof)
		hlsim_conn_close(c);
}

static void do_shutdown(struct hlsim_conn *c)
{
	c->sreq.data = c;
	if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
		hlsim_conn_close(c);
		return;
	}
	hlsim_conn_timer(c, LINGER_MS);
}

void hlsim_conn_finish(struct hlsim_conn *c)
{
	if (c->closing || c->close_after_write)
		return;
	c->close_after_write = true;
	c->mode = HLSIM_CONN_LINGER;
	if (!c->reading)
		start_reading(c);
	if (c->out.len)
		hlsim_conn_flush(c);
	else if (!c->writing)
		do_shutdown(c);
}

/* ---------------------------------------------------------------- timers */

static void on_timer(uv_timer_t *t)
{
	struct hlsim_conn *c = t->data;
	if (c->closing)
		return;
	switch (c->mode) {
	case HLSIM_CONN_HTTP:
		if (c->req_timer && hlsim_http_parse_busy(&c->parser)) {
			char text[96];
			snprintf(text, sizeof text, "request not complete within %u ms\n",
				 c->srv->opts.http_timeout_ms);
			hat_buf_printf(&c->out,
				       "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\n"
				       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
				       strlen(text), text);
			hlsim_conn_finish(c);
		} else {
			hlsim_conn_close(c);
		}
		break;
	case HLSIM_CONN_WS:
		hlsim_ws_on_idle(c);
		break;
	case HLSIM_CONN_LINGER:
		hlsim_conn_close(c);
		break;
	}
}

void hlsim_conn_timer(struct hlsim_conn *c, uint64_t ms)
{
	if (!c->closing)
		uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* ---------------------------------------------------------------- responses */

static void respond(struct hlsim_conn *c, int status, const char *ctype, const char *extra,
                    const char *body, size_t len, bool close)
{
	hat_buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
		       status, hlsim_http_reason(status), ctype, len, extra ? extra : "",
		       close ? "Connection: close\r\n" : "");
	hlsim_conn_send(c, body, len);
}

static void respond_text(struct hlsim_conn *c, int status, const char *extra, bool close,
                         const char *fmt, ...) HAT_PRINTF(5, 6);
static void respond_text(struct hlsim_conn *c, int status, const char *extra, bool close,
                         const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	size_t n = strlen(text);
	if (n < sizeof text - 1)
		text[n++] = '\n';
	respond(c, status, "text/plain; charset=utf-8", extra, text, n, close);
}

static void api(struct hlsim_conn *c, bool info, const struct hlsim_http_request *r, bool close)
{
	struct hlsim_server *s = c->srv;
	uint64_t now = hlsim_now_ms();
	struct hlsim_rl_ip *ip = hlsim_rl_lookup(&s->rl, c->ip, c->ip_len, now);
	if (ip && !hlsim_rl_rest_allow(&s->rl, ip)) {
		char body[160];
		int n = snprintf(body, sizeof body,
				 "{\"code\":429,\"msg\":\"rate limited: per-IP weight budget of %u per "
				 "minute exhausted\",\"data\":null}",
				 s->opts.rl.rest_weight_per_min);
		respond(c, 429, "application/json", NULL, body, (size_t)n, close);
		return;
	}
	int status = 500;
	unsigned weight = 0;
	hat_buf_reset(&c->resp);
	int rc = info ? hlsim_info(s->engine, r->body, r->body_len, now, &c->resp, &status, &weight)
		      : hlsim_exchange(s->engine, r->body, r->body_len, now, &c->resp, &status, &weight);
	if (rc < 0 || !hat_buf_ok(&c->resp)) {
		hat_log(NULL, HAT_LOG_ERROR, "engine_failed", "call=%s error=%s",
			info ? "hlsim_info" : "hlsim_exchange", hat_strerror(rc < 0 ? rc : -ENOMEM));
		respond_text(c, 500, NULL, close, "internal error");
		return;
	}
	if (ip)
		hlsim_rl_rest_charge(&s->rl, ip, weight);
	char first = c->resp.len ? c->resp.data[0] : ' ';
	bool json = first == '{' || first == '[' || first == 'n' || first == '"' ||
		    (first >= '0' && first <= '9');
	respond(c, status, json ? "application/json" : "text/plain; charset=utf-8", NULL,
		c->resp.data, c->resp.len, close);
}

/* Returns 1 (stop parsing) when the connection switches to WebSocket or must close. */
static int upgrade(struct hlsim_conn *c, const struct hlsim_http_request *r)
{
	struct hlsim_server *s = c->srv;
	char accept[29];
	if (strcmp(r->ws_version, "13")) {
		respond_text(c, 426, "Sec-WebSocket-Version: 13\r\n", true,
			     "unsupported Sec-WebSocket-Version '%s': this server speaks 13",
			     r->ws_version);
		return 1;
	}
	if (hlsim_ws_accept_key(r->ws_key, accept)) {
		respond_text(c, 400, NULL, true, "missing or malformed Sec-WebSocket-Key");
		return 1;
	}
	struct hlsim_rl_ip *ip = hlsim_rl_lookup(&s->rl, c->ip, c->ip_len, hlsim_now_ms());
	char why[128];
	if (ip && hlsim_rl_ws_open(&s->rl, ip, why, sizeof why)) {
		respond_text(c, 429, NULL, true, "%s", why);
		return 1;
	}
	hat_buf_printf(&c->out,
		       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		       "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		       accept);
	c->mode = HLSIM_CONN_WS;
	return 1;
}

static int on_request(void *user, const struct hlsim_http_request *r)
{
	struct hlsim_conn *c = user;
	struct hlsim_server *s = c->srv;
	bool close = !r->keep_alive || s->stopping;
	s->n_requests++;
	bool is_info = !strcmp(r->path, "/info");
	if (is_info || !strcmp(r->path, "/exchange")) {
		if (r->method != HLSIM_HTTP_POST) {
			respond_text(c, 405, "Allow: POST\r\n", close,
				     "method %s not allowed: use POST", r->method_name);
			return close;
		}
		api(c, is_info, r, close);
		return close;
	}
	if (!strcmp(r->path, "/ws")) {
		if (r->method != HLSIM_HTTP_GET) {
			respond_text(c, 405, "Allow: GET\r\n", true,
				     "method %s not allowed: use GET with a WebSocket upgrade",
				     r->method_name);
			return 1;
		}
		if (!r->upgrade) {
			respond_text(c, 426, "Upgrade: websocket\r\nConnection: Upgrade\r\n", true,
				     "/ws takes WebSocket upgrades only");
			return 1;
		}
		return upgrade(c, r);
	}
	respond_text(c, 404, NULL, close || r->upgrade, "no such endpoint: %s", r->path);
	return close || r->upgrade;
}

static void on_continue(void *user)
{
	struct hlsim_conn *c = user;
	hat_buf_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
	hlsim_conn_flush(c);
}

/* ---------------------------------------------------------------- input */

static void parse_error(struct hlsim_conn *c)
{
	const struct hlsim_http_parse *p = &c->parser;
	respond_text(c, p->err_status ? p->err_status : 400, NULL, true, "%s",
		     p->err_status ? p->err_text : "malformed request");
	hlsim_conn_finish(c);
}

static void http_input(struct hlsim_conn *c, const char *data, size_t n)
{
	struct hlsim_server *s = c->srv;
	size_t used = 0;
	int r = hlsim_http_parse_feed(&c->parser, data, n, &used);
	if (c->closing)
		return;
	if (c->mode == HLSIM_CONN_WS) {
		uv_timer_stop(&c->timer);
		if (hlsim_ws_start(c, data + used, n - used) < 0)
			hlsim_conn_close(c);
		return;
	}
	if (r < 0) {
		parse_error(c);
		return;
	}
	if (c->parser.stop || n == 0) {
		hlsim_conn_finish(c);
		return;
	}
	if (hlsim_http_parse_busy(&c->parser)) {
		if (!c->req_timer) {
			c->req_timer = true;
			hlsim_conn_timer(c, s->opts.http_timeout_ms);
		}
	} else {
		c->req_timer = false;
		hlsim_conn_timer(c, s->opts.http_idle_ms);
	}
	hlsim_conn_flush(c);
	if (c->out.len + c->wbuf.len > PAUSE_READ_OUT && c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = false;
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct hlsim_conn *c = h->data;
	(void)suggested;
	buf->base = c->srv->rbuf;
	buf->len = sizeof c->srv->rbuf;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct hlsim_conn *c = st->data;
	if (c->closing || nread == 0)
		return;
	if (nread < 0) {
		if (nread == UV_EOF && c->mode == HLSIM_CONN_HTTP) {
			c->eof = true;
			uv_read_stop(st);
			c->reading = false;
			http_input(c, NULL, 0); /* a request cut short answers 400 */
			return;
		}
		hlsim_conn_close(c);
		return;
	}
	switch (c->mode) {
	case HLSIM_CONN_HTTP:
		http_input(c, buf->base, (size_t)nread);
		break;
	case HLSIM_CONN_WS:
		hlsim_ws_on_read(c, buf->base, (size_t)nread);
		break;
	case HLSIM_CONN_LINGER:
		break; /* drained and dropped */
	}
}

static void start_reading(struct hlsim_conn *c)
{
	if (c->eof || c->closing)
		return;
	c->reading = true;
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

int hlsim_conn_accept(struct hlsim_server *s)
{
	struct hlsim_conn *c = calloc(1, sizeof *c);
	if (!c) {
		hat_log(NULL, HAT_LOG_ERROR, "accept_failed", "error=%s", "out of memory");
		return -ENOMEM;
	}
	c->srv = s;
	uv_tcp_init(s->loop, &c->tcp);
	c->tcp.data = c;
	c->handles = 1;
	int r = uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&c->tcp);
	if (r < 0) {
		hat_log(NULL, HAT_LOG_WARN, "accept_failed", "call=%s error=%s", "uv_accept",
			uv_strerror(r));
		c->closing = true;
		uv_close((uv_handle_t *)&c->tcp, on_closed);
		return r;
	}
	uv_timer_init(s->loop, &c->timer);
	c->timer.data = c;
	c->handles = 2;
	struct sockaddr_storage ss;
	int len = sizeof ss;
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			memcpy(c->ip, &((struct sockaddr_in *)&ss)->sin_addr, 4);
			c->ip_len = 4;
		} else if (ss.ss_family == AF_INET6) {
			memcpy(c->ip, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
			c->ip_len = 16;
		}
	}
	uv_tcp_nodelay(&c->tcp, 1);
	struct hlsim_http_parse_cb cb = { on_request, on_continue };
	hlsim_http_parse_init(&c->parser, &s->opts.http, &cb, c);
	hat_buf_init(&c->out);
	hat_buf_init(&c->wbuf);
	hat_buf_init(&c->resp);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	c->mode = HLSIM_CONN_HTTP;
	start_reading(c);
	hlsim_conn_timer(c, s->opts.http_idle_ms);
	return 0;
}
