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

#define MAX_QUEUE 256 /* requests waiting per connection before reading pauses */

static void do_shutdown(struct hlsim_conn *c);
static void start_reading(struct hlsim_conn *c);
static void resume_reading(struct hlsim_conn *c);

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
		resume_reading(c);
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

static void conn_unref(struct hlsim_conn *c)
{
	if (--c->handles)
		return;
	hlsim_http_parse_deinit(&c->parser);
	hat_buf_free(&c->out);
	hat_buf_free(&c->wbuf);
	hat_buf_free(&c->resp);
	free(c);
}

static void on_closed(uv_handle_t *h)
{
	conn_unref(h->data);
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
	hlsim_conn_drop_jobs(c);
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
	if (c->mode == HLSIM_CONN_WS) {
		hlsim_conn_drop_jobs(c); /* the close frame is already queued */
	} else if (hlsim_conn_busy(c)) {
		c->finish_pending = true; /* after the answers still queued */
		if (c->reading) {
			uv_read_stop((uv_stream_t *)&c->tcp);
			c->reading = false;
		}
		return;
	}
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
	if (c->q_head && c->mode != HLSIM_CONN_LINGER) {
		/* answers still being prepared: they finish in microseconds */
		hlsim_conn_timer(c, c->srv->opts.http_timeout_ms);
		return;
	}
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

/* Appends v in decimal. */
static void put_dec(struct hat_buf *b, size_t v)
{
	char t[20], *p = t + sizeof t;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	hat_buf_append(b, p, (size_t)(t + sizeof t - p));
}

/* The status line and headers of an answer (every request has one: no printf). */
static void put_head(struct hat_buf *b, int status, const char *ctype, const char *extra,
                     size_t len, bool close)
{
	hat_buf_puts(b, "HTTP/1.1 ");
	put_dec(b, (size_t)status);
	hat_buf_putc(b, ' ');
	hat_buf_puts(b, hlsim_http_reason(status));
	hat_buf_puts(b, "\r\nContent-Type: ");
	hat_buf_puts(b, ctype);
	hat_buf_puts(b, "\r\nContent-Length: ");
	put_dec(b, len);
	hat_buf_puts(b, "\r\n");
	if (extra)
		hat_buf_puts(b, extra);
	hat_buf_puts(b, close ? "Connection: close\r\n\r\n" : "\r\n");
}

static void respond(struct hlsim_conn *c, int status, const char *ctype, const char *extra,
                    const char *body, size_t len, bool close)
{
	if (hlsim_conn_busy(c)) {
		struct hat_buf t = HAT_BUF_INIT;
		put_head(&t, status, ctype, extra, len, close);
		hat_buf_append(&t, body, len);
		struct hlsim_job *j = hat_buf_ok(&t) ? hlsim_job_add(c, HLSIM_JOB_BYTES, t.data, t.len)
						     : NULL;
		if (j)
			j->ready = true;
		else
			hlsim_conn_close(c);
		hat_buf_free(&t);
		return;
	}
	put_head(&c->out, status, ctype, extra, len, close);
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

/* Answers one POST /info or /exchange (body borrowed). prep: the prepared /exchange body or NULL
 * (then hlsim_exchange does it all); always consumed. */
static void api(struct hlsim_conn *c, bool info, const char *body, size_t body_len, bool close,
                struct hlsim_prep *prep)
{
	struct hlsim_server *s = c->srv;
	uint64_t now = hlsim_now_ms();
	struct hlsim_rl_ip *ip = hlsim_rl_lookup(&s->rl, c->ip, c->ip_len, now);
	if (ip && !hlsim_rl_rest_allow(&s->rl, ip)) {
		char text[160];
		int n = snprintf(text, sizeof text,
				 "{\"code\":429,\"msg\":\"rate limited: per-IP weight budget of %u per "
				 "minute exhausted\",\"data\":null}",
				 s->opts.rl.rest_weight_per_min);
		hlsim_prep_free(prep);
		respond(c, 429, "application/json", NULL, text, (size_t)n, close);
		return;
	}
	int status = 500;
	unsigned weight = 0;
	hat_buf_reset(&c->resp);
	int rc = info   ? hlsim_info(s->engine, body, body_len, now, &c->resp, &status, &weight)
		 : prep ? hlsim_exchange_commit(s->engine, prep, now, &c->resp, &status, &weight)
			: hlsim_exchange(s->engine, body, body_len, now, &c->resp, &status, &weight);
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
static int upgrade(struct hlsim_conn *c, const char *ws_version, const char *ws_key)
{
	struct hlsim_server *s = c->srv;
	char accept[29];
	if (strcmp(ws_version, "13")) {
		respond_text(c, 426, "Sec-WebSocket-Version: 13\r\n", true,
			     "unsupported Sec-WebSocket-Version '%s': this server speaks 13",
			     ws_version);
		return 1;
	}
	if (hlsim_ws_accept_key(ws_key, accept)) {
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
		if ((!is_info && s->opts.workers) || hlsim_conn_busy(c)) {
			struct hlsim_job *j = hlsim_job_add(c, HLSIM_JOB_API, r->body, r->body_len);
			if (!j)
				return 1;
			j->is_info = is_info;
			j->close = close;
			/* a request the per-IP budget refuses now is not worth preparing (the budget
			 * is checked again when it is answered) */
			struct hlsim_rl_ip *ip =
				hlsim_rl_lookup(&s->rl, c->ip, c->ip_len, hlsim_now_ms());
			if (is_info || (ip && !hlsim_rl_rest_allow(&s->rl, ip)))
				j->ready = true;
			else
				hlsim_job_prepare(j, j->data, j->len, false);
			hlsim_conn_drain(c);
			return close;
		}
		api(c, is_info, r->body, r->body_len, close, NULL);
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
		if (hlsim_conn_busy(c)) {
			struct hlsim_job *j = hlsim_job_add(c, HLSIM_JOB_UPGRADE, "", 0);
			if (!j)
				return 1;
			snprintf(j->ws_key, sizeof j->ws_key, "%s", r->ws_key);
			snprintf(j->ws_version, sizeof j->ws_version, "%s", r->ws_version);
			c->upgrade_pending = true; /* http_input keeps the bytes that follow */
			return 1;
		}
		return upgrade(c, r->ws_version, r->ws_key);
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
	if (c->upgrade_pending && c->q_tail && c->q_tail->kind == HLSIM_JOB_UPGRADE &&
	    !c->q_tail->ready) {
		struct hlsim_job *j = c->q_tail;
		free(j->data);
		j->len = n - used;
		j->data = malloc(j->len + 1);
		if (!j->data) {
			hlsim_conn_close(c);
			return;
		}
		if (j->len)
			memcpy(j->data, data + used, j->len);
		j->data[j->len] = '\0';
		j->ready = true;
		if (c->reading) {
			uv_read_stop((uv_stream_t *)&c->tcp);
			c->reading = false;
		}
		hlsim_conn_drain(c);
		return;
	}
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
	if ((c->out.len + c->wbuf.len > PAUSE_READ_OUT || c->q_len >= MAX_QUEUE) && c->reading) {
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
	if (!c->closing && c->sub_from)
		hlsim_conn_submit(c);
}

static void start_reading(struct hlsim_conn *c)
{
	if (c->eof || c->closing)
		return;
	c->reading = true;
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* Reading resumes once the queue is short, no deferred finish or upgrade waits and the
 * output has drained (HTTP and WebSocket). */
static void resume_reading(struct hlsim_conn *c)
{
	if (c->reading || c->closing || c->finish_pending || c->upgrade_pending ||
	    c->q_len >= MAX_QUEUE || c->out.len + c->wbuf.len > PAUSE_READ_OUT ||
	    (c->mode != HLSIM_CONN_HTTP && c->mode != HLSIM_CONN_WS))
		return;
	start_reading(c);
}

/* ---------------------------------------------------------------- request queue */

bool hlsim_conn_busy(const struct hlsim_conn *c)
{
	return c->q_head && !c->in_commit;
}

static void job_free(struct hlsim_job *j)
{
	hlsim_prep_free(j->prep);
	if (j->own_body)
		free(j->prep_body);
	free(j->data);
	free(j);
}

struct hlsim_job *hlsim_job_add(struct hlsim_conn *c, enum hlsim_job_kind kind, const char *data,
                                size_t len)
{
	struct hlsim_job *j = calloc(1, sizeof *j);
	if (j)
		j->data = malloc(len + 1);
	if (!j || !j->data) {
		free(j);
		hat_log(NULL, HAT_LOG_ERROR, "conn_dropped", "reason=%s", "out of memory");
		hlsim_conn_close(c);
		return NULL;
	}
	if (len)
		memcpy(j->data, data, len);
	j->data[len] = '\0';
	j->len = len;
	j->kind = kind;
	j->c = c;
	j->engine = c->srv->engine;
	if (c->q_tail)
		c->q_tail->next = j;
	else
		c->q_head = j;
	c->q_tail = j;
	c->q_len++;
	if (c->q_len >= MAX_QUEUE && c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = false;
	}
	return j;
}

#define BATCH_MAX 8 /* prepares per work item: fewer thread wake-ups, bounded latency */

/* Prepares handed to the worker pool as one work item. */
struct batch {
	struct hlsim_pool_item item; /* first: the pool hands it back */
	struct hlsim_conn *c;
	unsigned n;
	struct hlsim_job *jobs[BATCH_MAX];
};

/* Worker thread: touches only the batch's jobs' prepare fields (and the engine's immutable
 * network flag). */
static void batch_work(struct hlsim_pool_item *it)
{
	struct batch *b = (struct batch *)it;
	for (unsigned i = 0; i < b->n; i++) {
		struct hlsim_job *j = b->jobs[i];
		if (hlsim_exchange_prepare(j->engine, j->prep_body, j->prep_len, &j->prep) < 0)
			j->prep = NULL; /* commit retries on the loop thread and reports it */
	}
}

static void batch_done(struct hlsim_pool_item *it)
{
	struct batch *b = (struct batch *)it;
	struct hlsim_conn *c = b->c;
	for (unsigned i = 0; i < b->n; i++) {
		struct hlsim_job *j = b->jobs[i];
		j->running = false;
		if (j->orphan)
			job_free(j);
		else
			j->ready = true;
	}
	free(b);
	bool open = !c->closing;
	conn_unref(c); /* the last reference only if c closed meanwhile */
	if (open)
		hlsim_conn_drain(c);
}

void hlsim_job_prepare(struct hlsim_job *j, char *body, size_t len, bool own)
{
	struct hlsim_conn *c = j->c;
	j->prep_body = body;
	j->prep_len = len;
	j->own_body = own;
	if (!c->srv->opts.workers) {
		j->ready = true; /* commit does the whole request on the loop thread */
		return;
	}
	j->want_prep = true;
	if (!c->sub_from)
		c->sub_from = j;
}

void hlsim_conn_submit(struct hlsim_conn *c)
{
	struct hlsim_job *todo[MAX_QUEUE + 64];
	unsigned n = 0;
	for (struct hlsim_job *j = c->sub_from; j; j = j->next) {
		if (!j->want_prep)
			continue;
		j->want_prep = false;
		if (n < sizeof todo / sizeof todo[0])
			todo[n++] = j;
		else
			j->ready = true; /* a read of many tiny requests: commit does it on the loop */
	}
	c->sub_from = NULL;
	if (c->closing || !n)
		return;
	unsigned w = c->srv->opts.workers ? c->srv->opts.workers : 1;
	unsigned per = (n + w - 1) / w;
	if (per > BATCH_MAX)
		per = BATCH_MAX;
	for (unsigned i = 0; i < n; i += per) {
		unsigned k = n - i < per ? n - i : per;
		struct batch *b = calloc(1, sizeof *b);
		if (b) {
			b->c = c;
			b->n = k;
			memcpy(b->jobs, todo + i, k * sizeof todo[0]);
			b->item.work = batch_work;
			b->item.done = batch_done;
		}
		if (!b || hlsim_pool_submit(&c->srv->pool, &b->item) < 0) {
			free(b);
			for (unsigned x = i; x < i + k; x++)
				todo[x]->ready = true; /* commit does the whole request */
			continue;
		}
		for (unsigned x = i; x < i + k; x++)
			todo[x]->running = true;
		c->handles++;
	}
	hlsim_conn_drain(c);
}

void hlsim_conn_drop_jobs(struct hlsim_conn *c)
{
	struct hlsim_job *j = c->q_head, *next;
	c->q_head = c->q_tail = c->sub_from = NULL;
	c->q_len = 0;
	for (; j; j = next) {
		next = j->next;
		if (j->running) {
			j->orphan = true; /* its batch frees it */
		} else {
			job_free(j);
		}
	}
}

static void job_commit(struct hlsim_conn *c, struct hlsim_job *j)
{
	struct hlsim_prep *prep = j->prep;
	j->prep = NULL;
	switch (j->kind) {
	case HLSIM_JOB_BYTES:
		hlsim_conn_send(c, j->data, j->len);
		break;
	case HLSIM_JOB_API:
		api(c, j->is_info, j->data, j->len, j->close, prep);
		break;
	case HLSIM_JOB_UPGRADE:
		c->upgrade_pending = false;
		upgrade(c, j->ws_version, j->ws_key);
		if (c->closing)
			break;
		if (c->mode == HLSIM_CONN_WS) {
			uv_timer_stop(&c->timer);
			/* the frames that followed are new requests: they queue behind posts */
			c->in_commit = false;
			if (hlsim_ws_start(c, j->data, j->len) < 0) {
				hlsim_conn_close(c);
			} else {
				start_reading(c);
				hlsim_conn_submit(c); /* posts among the bytes that followed */
			}
		} else {
			hlsim_conn_finish(c); /* refused: 400/426/429, then close */
		}
		break;
	case HLSIM_JOB_WS_MSG:
		hlsim_ws_commit(c, j->data, j->len, prep);
		break;
	}
}

void hlsim_conn_drain(struct hlsim_conn *c)
{
	bool did = false;
	while (!c->closing && c->q_head && c->q_head->ready) {
		struct hlsim_job *j = c->q_head;
		c->q_head = j->next;
		if (!c->q_head)
			c->q_tail = NULL;
		c->q_len--;
		bool was = c->in_commit;
		c->in_commit = true;
		job_commit(c, j);
		c->in_commit = was;
		job_free(j);
		did = true;
	}
	if (c->closing || !did)
		return;
	if (!c->q_head && c->finish_pending) {
		c->finish_pending = false;
		hlsim_conn_finish(c);
		return;
	}
	hlsim_conn_flush_later(c);
	resume_reading(c);
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
