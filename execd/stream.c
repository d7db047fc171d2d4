/* execd/stream.c -- private WebSocket session (see stream.h). */
#include "execd/stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

static uint64_t mono_ms(void)
{
	return hat_mono_ns() / HAT_NS_PER_MS;
}

static void on_open(void *user)
{
	struct exec_stream *s = user;
	uint64_t now = mono_ms();
	hat_reconnect_opened(&s->sess, now);
	char buf[160];
	static const char *const types[] = { "orderUpdates", "userFills" };
	for (size_t i = 0; i < 2; i++) {
		int n = snprintf(buf, sizeof buf,
		                 "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"%s\","
		                 "\"user\":\"%s\"}}", types[i], s->user_hex);
		hat_ws_client_send_text(&s->ws, buf, (size_t)n);
	}
	if (s->cbs.on_open)
		s->cbs.on_open(s->user);
}

static void on_text(void *user, const char *data, size_t len, uint64_t recv_ns)
{
	struct exec_stream *s = user;
	hat_reconnect_rx(&s->sess, mono_ms());
	s->frames++;
	struct hl_ws_bufs b = {
		.orders = s->orders, .orders_cap = EXEC_STREAM_MAX_ITEMS,
		.fills = s->fills, .fills_cap = EXEC_STREAM_MAX_ITEMS,
		.cancels = s->cancels, .cancels_cap = EXEC_STREAM_MAX_ITEMS,
	};
	struct hl_ws_msg m;
	char err[256];
	if (hl_ws_parse(data, len, recv_ns, NULL, &b, &m, err, sizeof err) != 0) {
		s->bad_frames++;
		if (s->cbs.on_bad)
			s->cbs.on_bad(s->user, err);
		return;
	}
	switch (m.kind) {
	case HL_WS_ORDER_UPDATES:
		if (s->cbs.on_orders)
			s->cbs.on_orders(s->user, s->orders, m.list.n, recv_ns);
		break;
	case HL_WS_USER_FILLS:
		if (s->cbs.on_fills)
			s->cbs.on_fills(s->user, s->fills, m.list.n, m.u.user_fills.is_snapshot,
			                recv_ns);
		break;
	case HL_WS_ERROR:
		if (m.u.error.has_post_id && s->cbs.on_post)
			s->cbs.on_post(s->user, m.u.error.post_id, false, m.u.error.text,
			               strlen(m.u.error.text), recv_ns);
		else if (s->cbs.on_bad)
			s->cbs.on_bad(s->user, m.u.error.text);
		break;
	case HL_WS_POST:
		if (s->cbs.on_post) {
			bool ok = m.u.post.type == HL_POST_ACTION;
			char *txt = NULL;
			if (ok)
				txt = cJSON_PrintUnformatted(m.u.post.payload);
			else if (cJSON_IsString(m.u.post.payload))
				txt = strdup(m.u.post.payload->valuestring);
			s->cbs.on_post(s->user, m.u.post.id, ok && txt, txt ? txt : "",
			               txt ? strlen(txt) : 0, recv_ns);
			free(txt);
		}
		break;
	default:
		break;
	}
	hl_ws_msg_clear(&m);
}

static void on_pong(void *user, uint64_t recv_ns)
{
	(void)recv_ns;
	hat_reconnect_rx(&((struct exec_stream *)user)->sess, mono_ms());
}

static void on_close(void *user, const struct hat_ws_close_info *why)
{
	struct exec_stream *s = user;
	hat_reconnect_closed(&s->sess, mono_ms());
	s->reconnects++;
	if (s->cbs.on_close)
		s->cbs.on_close(s->user, why);
}

int exec_stream_init(struct exec_stream *s, uv_loop_t *loop, const struct exec_stream_cfg *cfg,
		     const struct exec_stream_cbs *cbs, void *user, uint64_t seed, char *err,
		     size_t errlen)
{
	memset(s, 0, sizeof *s);
	if (!cfg->url || strlen(cfg->url) >= sizeof s->url || !cfg->user_hex ||
	    strlen(cfg->user_hex) != 42) {
		snprintf(err, errlen, "execd stream: bad url or account address");
		return -EINVAL;
	}
	hat_buf_init(&s->post);
	strcpy(s->url, cfg->url);
	strcpy(s->user_hex, cfg->user_hex);
	s->cbs = *cbs;
	s->user = user;
	struct hat_reconnect_cfg sc = {
		.ping_idle_ms = cfg->ping_idle_ms, .silent_ms = cfg->silent_ms,
		.backoff_min_ms = cfg->backoff_min_ms, .backoff_max_ms = cfg->backoff_max_ms,
		.stable_ms = 10000, .min_connect_interval_ms = cfg->backoff_min_ms,
	};
	int rc = hat_reconnect_init(&s->sess, &sc, seed ? seed : 1, "execd stream", err, errlen);
	if (rc)
		return rc;
	s->orders = calloc(EXEC_STREAM_MAX_ITEMS, sizeof *s->orders);
	s->fills = calloc(EXEC_STREAM_MAX_ITEMS, sizeof *s->fills);
	s->cancels = calloc(EXEC_STREAM_MAX_ITEMS, sizeof *s->cancels);
	if (!s->orders || !s->fills || !s->cancels) {
		exec_stream_deinit(s);
		snprintf(err, errlen, "execd stream: out of memory");
		return -ENOMEM;
	}
	struct hat_ws_client_cbs wc = { on_open, on_text, on_pong, on_close };
	hat_ws_client_init(&s->ws, loop, &wc, s);
	return 0;
}

int exec_stream_post(struct exec_stream *s, uint64_t id, const char *body, size_t len)
{
	if (!hat_ws_client_is_open(&s->ws))
		return -ENOTCONN;
	hat_buf_reset(&s->post);
	hat_buf_printf(&s->post, "{\"method\":\"post\",\"id\":%llu,\"request\":{\"type\":"
	               "\"action\",\"payload\":", (unsigned long long)id);
	hat_buf_append(&s->post, body, len);
	hat_buf_puts(&s->post, "}}");
	if (!hat_buf_ok(&s->post))
		return -ENOMEM;
	return hat_ws_client_send_text(&s->ws, s->post.data, s->post.len);
}

void exec_stream_start(struct exec_stream *s, uint64_t now_ms)
{
	hat_reconnect_start(&s->sess, now_ms);
}

int exec_stream_step(struct exec_stream *s, uint64_t now_ms)
{
	int did = 0;
	enum hat_reconnect_action a;
	while (!s->stopped && (a = hat_reconnect_poll(&s->sess, now_ms)) != HAT_RECONNECT_ACT_NONE) {
		did = 1;
		if (a == HAT_RECONNECT_ACT_CONNECT) {
			struct hat_ws_client_opts o = { .url = s->url, .connect_timeout_ms = 5000 };
			char err[256];
			hat_reconnect_connecting(&s->sess, now_ms);
			if (hat_ws_client_connect(&s->ws, &o, err, sizeof err) != 0) {
				hat_reconnect_closed(&s->sess, now_ms);
				if (s->cbs.on_bad)
					s->cbs.on_bad(s->user, err);
			}
		} else if (a == HAT_RECONNECT_ACT_PING) {
			const char *p = hat_reconnect_ping_text();
			hat_ws_client_send_text(&s->ws, p, strlen(p));
		} else if (a == HAT_RECONNECT_ACT_RECONNECT) {
			hat_ws_client_abort(&s->ws);
			break;
		}
	}
	return did;
}

bool exec_stream_live(const struct exec_stream *s)
{
	return hat_ws_client_is_open(&s->ws);
}

void exec_stream_drop(struct exec_stream *s)
{
	hat_ws_client_abort(&s->ws);
}

void exec_stream_stop(struct exec_stream *s)
{
	s->stopped = true;
	hat_reconnect_stop(&s->sess);
	hat_ws_client_abort(&s->ws);
}

void exec_stream_deinit(struct exec_stream *s)
{
	if (s->ws.loop)
		hat_ws_client_deinit(&s->ws);
	free(s->orders);
	free(s->fills);
	free(s->cancels);
	hat_buf_free(&s->post);
	s->orders = NULL;
	s->fills = NULL;
	s->cancels = NULL;
}
