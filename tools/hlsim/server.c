/* tools/hlsim/server.c -- the listener, the engine tick, the engine's event sink. */
#include "tools/hlsim/server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tools/hlsim/http.h"
#include "common/log.h"
#include "tools/hlsim/ws.h"

void hlsim_server_opts_default(struct hlsim_server_opts *o)
{
	memset(o, 0, sizeof *o);
	o->host = "127.0.0.1";
	o->port = 0;
	hlsim_http_limits_default(&o->http);
	hlsim_rl_limits_default(&o->rl);
	o->http_timeout_ms = 10000;
	o->http_idle_ms = 120000;
	o->ws_idle_ms = 60000;
	o->ws_max_msg = 1 << 20;
	o->ws_greeting = true;
	o->tick_ms = 5;
	o->workers = 2;
}

uint64_t hlsim_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_connection(uv_stream_t *l, int status)
{
	struct hlsim_server *s = l->data;
	if (status < 0) {
		hat_log(NULL, HAT_LOG_WARN, "listen_error", "error=%s", uv_strerror(status));
		return;
	}
	if (!s->stopping)
		hlsim_conn_accept(s);
}

static void on_tick(uv_timer_t *t)
{
	struct hlsim_server *s = t->data;
	hlsim_tick(s->engine, hlsim_now_ms());
}

/* Runs after each round of I/O and timers; connections closed in that round are still
 * allocated here (they are freed in the loop's closing phase, which comes later). */
static void on_check(uv_check_t *h)
{
	struct hlsim_server *s = h->data;
	while (s->flush_list) {
		struct hlsim_conn *c = s->flush_list;
		s->flush_list = c->next_flush;
		c->flush_pending = false;
		c->next_flush = NULL;
		hlsim_conn_flush(c);
	}
}

static void on_event(void *user, const struct hlsim_event *ev)
{
	hlsim_ws_fanout(user, ev);
}

int hlsim_server_start(struct hlsim_server *s, uv_loop_t *loop, struct hlsim_engine *engine,
                       const struct hlsim_server_opts *opts, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->loop = loop;
	s->engine = engine;
	s->opts = *opts;
	hat_buf_init(&s->frame);
	hat_buf_init(&s->scratch);
	hlsim_rl_init(&s->rl, &opts->rl);
	struct sockaddr_storage addr;
	int r = strchr(opts->host, ':')
		? uv_ip6_addr(opts->host, opts->port, (struct sockaddr_in6 *)&addr)
		: uv_ip4_addr(opts->host, opts->port, (struct sockaddr_in *)&addr);
	if (r < 0) {
		snprintf(err, errlen, "bad --host '%s': %s", opts->host, uv_strerror(r));
		return r;
	}
	uv_tcp_init(loop, &s->listener);
	s->listener.data = s;
	s->open_handles = 1;
	r = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&s->listener, 511, on_connection);
	if (r < 0) {
		snprintf(err, errlen, "bind/listen %s:%d failed: %s", opts->host, opts->port,
			 uv_strerror(r));
		hlsim_server_stop(s);
		return r;
	}
	int len = sizeof addr;
	uv_tcp_getsockname(&s->listener, (struct sockaddr *)&addr, &len);
	s->port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
						   : ((struct sockaddr_in *)&addr)->sin_port);
	uv_timer_init(loop, &s->tick);
	s->tick.data = s;
	s->open_handles = 2;
	uv_timer_start(&s->tick, on_tick, opts->tick_ms, opts->tick_ms);
	uv_check_init(loop, &s->flusher);
	s->flusher.data = s;
	s->open_handles = 3;
	uv_check_start(&s->flusher, on_check);
	if (opts->workers) {
		r = hlsim_pool_start(&s->pool, loop, opts->workers, err, errlen);
		if (r < 0) {
			hlsim_server_stop(s);
			return r;
		}
		s->pool.data = s;
		s->open_handles = 4;
	}
	hlsim_engine_set_sink(engine, on_event, s);
	return 0;
}

static void on_handle_closed(uv_handle_t *h)
{
	struct hlsim_server *s = h->data;
	s->open_handles--;
}

static void on_pool_closed(struct hlsim_pool *p)
{
	struct hlsim_server *s = p->data;
	s->open_handles--;
}

void hlsim_server_stop(struct hlsim_server *s)
{
	if (s->stopping)
		return;
	s->stopping = true;
	if (s->engine)
		hlsim_engine_set_sink(s->engine, NULL, NULL);
	if (s->open_handles >= 1)
		uv_close((uv_handle_t *)&s->listener, on_handle_closed);
	if (s->open_handles >= 2)
		uv_close((uv_handle_t *)&s->tick, on_handle_closed);
	if (s->open_handles >= 3)
		uv_close((uv_handle_t *)&s->flusher, on_handle_closed);
	if (s->open_handles >= 4)
		hlsim_pool_close(&s->pool, on_pool_closed); /* once prepares in flight are done */
	/* WebSocket clients get a close frame (1001) and a graceful close; the loop runs until
	 * they are gone (at most the linger time). Everything else is closed now. */
	struct hlsim_conn *next;
	for (struct hlsim_conn *c = s->conns; c; c = next) {
		next = c->next;
		if (c->mode == HLSIM_CONN_WS && c->ws)
			hlsim_ws_going_away(c);
		else
			hlsim_conn_close(c);
	}
	s->flush_list = NULL;
}

bool hlsim_server_closed(const struct hlsim_server *s)
{
	return s->open_handles == 0 && !s->conns;
}

void hlsim_server_deinit(struct hlsim_server *s)
{
	hat_buf_free(&s->frame);
	hat_buf_free(&s->scratch);
	hlsim_rl_deinit(&s->rl);
}
