/* superd/metrics.c -- Prometheus text exposition of control blocks and rings. */
#include "superd/metrics.h"
#include "common/clock.h"
#include "common/control.h"
#include "common/fixed.h"
#include "common/instance.h"
#include "common/log.h"

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sup_metrics_init(struct sup_metrics *m, struct superd *s)
{
	memset(m, 0, sizeof *m);
	m->s = s;
	size_t n;
	const struct hat_ring_def *defs = hat_instance_rings(&n);
	for (size_t i = 0; i < n && m->n_rings < SUP_METRICS_RINGS; i++) {
		char err[256];
		if (hat_ring_attach(&m->rings[m->n_rings], s->d.cfg.instance, defs[i].name,
				    HAT_RING_READER, 0, 0, err, sizeof err) == 0)
			m->ring_names[m->n_rings++] = defs[i].name;
	}
}

static void family(struct hat_buf *o, const char *name, const char *type, const char *help)
{
	hat_buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values may hold any byte: escape backslash, quote and newline. */
static void label(struct hat_buf *o, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			hat_buf_putc(o, '\\');
		if (*v == '\n') {
			hat_buf_puts(o, "\\n");
			continue;
		}
		hat_buf_putc(o, *v);
	}
}

static void per_stage(struct sup_metrics *m, struct hat_buf *o, const char *name, const char *type,
		      const char *help, int what, uint64_t mono)
{
	struct superd *s = m->s;
	family(o, name, type, help);
	for (int i = 0; i < s->n; i++) {
		struct sup_stage *t = &s->st[i];
		struct hat_stage_status st;
		hat_stage_status(hat_control_stage(&s->d.control, t->id), &st);
		bool mine = t->pid > 0 && st.pid == t->pid;
		hat_buf_printf(o, "%s{stage=\"%s\"} ", name, t->name);
		switch (what) {
		case 0: hat_buf_printf(o, "%d\n", t->pid > 0); break;
		case 1: hat_buf_printf(o, "%d\n", mine && st.ready); break;
		case 2: hat_buf_printf(o, "%u\n", st.state); break;
		case 3: hat_buf_printf(o, "%u\n", t->restarts); break;
		default:
			hat_buf_printf(o, "%.3f\n", mine && mono > st.heartbeat_ns
				       ? (double)(mono - st.heartbeat_ns) / 1e9 : 0.0);
		}
	}
}

static void counters(struct sup_metrics *m, struct hat_buf *o, bool fx)
{
	struct superd *s = m->s;
	if (fx)
		family(o, "hat_stage_value", "gauge", "Signed decimal values (fx.* counters: positions, PnL).");
	else
		family(o, "hat_stage_stat", "untyped", "Named counters of each stage's control block.");
	for (unsigned id = HAT_STAGE_FEEDD; id <= HAT_STAGE_SUPERD; id++) {
		const struct hat_stage_shm *b = hat_control_stage(&s->d.control, id);
		uint32_t n = hat_stage_counter_count(b);
		for (uint32_t k = 0; k < n; k++) {
			const struct hat_counter_shm *c = hat_stage_counter_at(b, k);
			bool is_fx = strncmp(c->name, "fx.", 3) == 0;
			if (is_fx != fx)
				continue;
			uint64_t v = __atomic_load_n(&c->value, __ATOMIC_RELAXED);
			hat_buf_printf(o, "%s{stage=\"%s\",name=\"", fx ? "hat_stage_value" : "hat_stage_stat",
				       hat_stage_name(id));
			label(o, fx ? c->name + 3 : c->name);
			if (fx) {
				char num[HAT_FX_STRLEN];
				hat_fx_format((int64_t)v, num, sizeof num);
				hat_buf_printf(o, "\"} %s\n", num);
			} else {
				hat_buf_printf(o, "\"} %llu\n", (unsigned long long)v);
			}
		}
	}
}

static void histograms(struct sup_metrics *m, struct hat_buf *o)
{
	struct superd *s = m->s;
	family(o, "hat_stage_latency_seconds", "histogram", "Latency histograms of each stage (log2 buckets).");
	for (unsigned id = HAT_STAGE_FEEDD; id <= HAT_STAGE_SUPERD; id++) {
		const struct hat_stage_shm *b = hat_control_stage(&s->d.control, id);
		uint32_t n = hat_stage_hist_count(b);
		for (uint32_t k = 0; k < n; k++) {
			const struct hat_hist_shm *h = hat_stage_hist_at(b, k);
			struct hat_hist_snap snap;
			hat_hist_snapshot(h, &snap);
			uint64_t cum = 0;
			for (unsigned j = 0; j < HAT_HIST_BUCKETS - 1; j++) {
				cum += snap.buckets[j];
				hat_buf_printf(o, "hat_stage_latency_seconds_bucket{stage=\"%s\",name=\"",
					       hat_stage_name(id));
				label(o, h->name);
				hat_buf_printf(o, "\",le=\"%.9g\"} %llu\n", (double)hat_hist_bucket_hi(j) / 1e9,
					       (unsigned long long)cum);
			}
			hat_buf_printf(o, "hat_stage_latency_seconds_bucket{stage=\"%s\",name=\"", hat_stage_name(id));
			label(o, h->name);
			hat_buf_printf(o, "\",le=\"+Inf\"} %llu\n", (unsigned long long)snap.count);
			hat_buf_printf(o, "hat_stage_latency_seconds_sum{stage=\"%s\",name=\"", hat_stage_name(id));
			label(o, h->name);
			hat_buf_printf(o, "\"} %.9f\n", (double)snap.sum / 1e9);
			hat_buf_printf(o, "hat_stage_latency_seconds_count{stage=\"%s\",name=\"", hat_stage_name(id));
			label(o, h->name);
			hat_buf_printf(o, "\"} %llu\n", (unsigned long long)snap.count);
		}
	}
}

static void rings(struct sup_metrics *m, struct hat_buf *o)
{
	static const char *const names[] = { "hat_ring_capacity", "hat_ring_occupancy",
		"hat_ring_produced_total", "hat_ring_consumed_total", "hat_ring_full_events_total" };
	static const char *const types[] = { "gauge", "gauge", "counter", "counter", "counter" };
	static const char *const helps[] = { "Slots in the ring.", "Messages waiting in the ring.",
		"Messages ever published (producer index).", "Messages ever consumed (consumer index).",
		"Times the producer found the ring full." };
	for (int f = 0; f < 5; f++) {
		family(o, names[f], types[f], helps[f]);
		for (int i = 0; i < m->n_rings; i++) {
			struct hat_ring_stats st;
			hat_ring_stats(&m->rings[i], &st);
			uint64_t v = f == 0 ? st.capacity : f == 1 ? st.used : f == 2 ? st.prod
				     : f == 3 ? st.cons : st.full_events;
			hat_buf_printf(o, "%s{ring=\"%s\"} %llu\n", names[f], m->ring_names[i],
				       (unsigned long long)v);
		}
	}
}

void sup_metrics_render(struct sup_metrics *m, struct hat_buf *o, uint64_t mono)
{
	per_stage(m, o, "hat_stage_up", "gauge", "1 while the stage's process runs.", 0, mono);
	per_stage(m, o, "hat_stage_ready", "gauge", "1 once the stage reported ready.", 1, mono);
	per_stage(m, o, "hat_stage_state", "gauge", "Control-block state: 1 starting, 2 running, 3 degraded, 4 halted, 5 stopping, 6 stopped.", 2, mono);
	per_stage(m, o, "hat_stage_restarts_total", "counter", "Restarts by superd.", 3, mono);
	per_stage(m, o, "hat_stage_heartbeat_age_seconds", "gauge", "Age of the stage's last heartbeat.", 4, mono);
	counters(m, o, false);
	counters(m, o, true);
	histograms(m, o);
	rings(m, o);
	family(o, "hat_trading_halted", "gauge", "1 while trading is halted by superd or the operator.");
	hat_buf_printf(o, "hat_trading_halted %d\n", m->s->trading_halted ? 1 : 0);
}

/* ---------------------------------------------------------------- HTTP */

struct conn {
	uv_tcp_t tcp;
	struct sup_metrics *m;
	http_parser parser;
	char url[128];
	bool done;
	uv_write_t wr;
	struct hat_buf out;
	char rbuf[2048];
};

static void on_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	hat_buf_free(&c->out);
	free(c);
}

static void on_written(uv_write_t *w, int status)
{
	(void)status;
	struct conn *c = w->data;
	uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct conn *c = p->data;
	size_t have = strlen(c->url);
	if (have + len < sizeof c->url) {
		memcpy(c->url + have, at, len);
		c->url[have + len] = '\0';
	}
	return 0;
}

static void respond(struct conn *c, int code, const char *reason, const char *ctype, const char *body,
		    size_t blen)
{
	hat_buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		       "Connection: close\r\n\r\n", code, reason, ctype, blen);
	hat_buf_append(&c->out, body, blen);
	uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
	c->wr.data = c;
	uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written);
}

static int on_headers_complete(http_parser *p)
{
	struct conn *c = p->data;
	c->done = true;
	struct sup_metrics *m = c->m;
	if (p->method != HTTP_GET) {
		respond(c, 405, "Method Not Allowed", "text/plain", "use GET /metrics\n", 17);
	} else if (strcmp(c->url, "/metrics") != 0) {
		respond(c, 404, "Not Found", "text/plain", "only /metrics is served here\n", 29);
	} else {
		hat_buf_reset(&m->body);
		sup_metrics_render(m, &m->body, hat_mono_ns());
		respond(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", m->body.data, m->body.len);
	}
	return 1; /* stop parsing: one request per connection */
}

static void alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
	(void)sz;
	struct conn *c = h->data;
	*b = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = st->data;
	if (n < 0) {
		if (!c->done)
			uv_close((uv_handle_t *)st, on_closed);
		return;
	}
	if (c->done || n == 0)
		return;
	static const http_parser_settings settings = { .on_url = on_url,
						       .on_headers_complete = on_headers_complete };
	size_t used = http_parser_execute(&c->parser, &settings, b->base, (size_t)n);
	if (!c->done && (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || used != (size_t)n)) {
		c->done = true;
		respond(c, 400, "Bad Request", "text/plain", "malformed HTTP request\n", 23);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct sup_metrics *m = server->data;
	if (status < 0)
		return;
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return;
	c->m = m;
	uv_tcp_init(server->loop, &c->tcp);
	c->tcp.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		uv_close((uv_handle_t *)&c->tcp, on_closed);
		return;
	}
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
}

int sup_metrics_listen(struct sup_metrics *m, uv_loop_t *loop, int port, char *err, size_t errlen)
{
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", port, &addr);
	uv_tcp_init(loop, &m->server);
	m->server.data = m;
	int rc = uv_tcp_bind(&m->server, (const struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&m->server, 16, on_connection);
	if (rc != 0) {
		snprintf(err, errlen, "metrics: listen on 127.0.0.1:%d failed: %s (set superd.metrics_port "
			 "to a free port, or 0 to turn metrics off)", port, uv_strerror(rc));
		return rc;
	}
	struct sockaddr_in got;
	int len = sizeof got;
	uv_tcp_getsockname(&m->server, (struct sockaddr *)&got, &len);
	m->port = ntohs(got.sin_port);
	return 0;
}

void sup_metrics_close(struct sup_metrics *m)
{
	if (uv_is_active((uv_handle_t *)&m->server) || m->server.loop)
		uv_close((uv_handle_t *)&m->server, NULL);
	for (int i = 0; i < m->n_rings; i++)
		hat_ring_detach(&m->rings[i]);
	hat_buf_free(&m->body);
}
