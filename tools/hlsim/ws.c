/* tools/hlsim/ws.c -- WebSocket sessions: framing (wslay), requests, subscriptions, fan-out. */
#include "tools/hlsim/ws.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <wslay/wslay.h>

#include "tools/hlsim/gate.h"
#include "tools/hlsim/http.h"
#include "common/log.h"
#include "tools/hlsim/server.h"
#include "tools/hlsim/sub.h"

struct hlsim_ws {
	struct hlsim_conn *c;
	wslay_event_context_ptr ctx;
	const uint8_t *in;      /* input not yet taken by wslay (borrowed during on_read) */
	size_t in_len;
	struct hlsim_sub *subs; /* owned */
	size_t nsubs, cap;
	bool in_recv;           /* inside wslay_event_recv: sends are flushed after it returns */
	struct hat_buf msg;     /* outgoing frame being built */
	struct hat_buf body;    /* engine answers for post */
	uint64_t serial;        /* unique per session (the backtest gate's held messages) */
	uint64_t ping_round;    /* the backtest gate's last ping (gate.h), 0 = none */
	uint64_t pong_round;    /* the last such ping answered */
};

/* ---------------------------------------------------------------- handshake */

int hlsim_ws_accept_key(const char *key, char out[29])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	uint8_t raw[24];
	size_t n = strlen(key);
	/* The key must be base64 of 16 bytes: 22 significant characters and "==". */
	if (n != 24 || key[22] != '=' || key[23] != '=' ||
	    EVP_DecodeBlock(raw, (const unsigned char *)key, 24) != 18)
		return -EINVAL;
	char buf[24 + sizeof guid];
	memcpy(buf, key, 24);
	memcpy(buf + 24, guid, sizeof guid);
	uint8_t sha[SHA_DIGEST_LENGTH];
	SHA1((const unsigned char *)buf, 24 + sizeof guid - 1, sha);
	EVP_EncodeBlock((unsigned char *)out, sha, SHA_DIGEST_LENGTH);
	return 0;
}

/* ---------------------------------------------------------------- output */

/* Hands queued frames to the connection and writes them. */
static void kick(struct hlsim_ws *ws)
{
	struct hlsim_conn *c = ws->c;
	if (ws->in_recv || c->closing)
		return;
	if (wslay_event_send(ws->ctx) != 0) {
		hlsim_conn_close(c);
		return;
	}
	if (c->closing)
		return;
	hlsim_conn_flush_later(c);
	if (wslay_event_get_close_sent(ws->ctx) ||
	    (!wslay_event_want_read(ws->ctx) && !wslay_event_want_write(ws->ctx)))
		hlsim_conn_finish(c);
}

/* Queues a text message on the session now (counted). */
static void queue_now(struct hlsim_ws *ws, const char *data, size_t len)
{
	struct wslay_event_msg m = { WSLAY_TEXT_FRAME, (const uint8_t *)data, len };
	if (wslay_event_queue_msg(ws->ctx, &m) == 0)
		ws->c->srv->n_ws_msgs_out++;
}

static void queue_text(struct hlsim_ws *ws, const char *data, size_t len)
{
	/* a backtest's gate sends every message itself, one at a time (gate.h) */
	if (ws->c->srv->gate && hlsim_gate_hold(ws->c->srv->gate, ws->serial, data, len))
		return;
	queue_now(ws, data, len);
}

static void send_buf(struct hlsim_ws *ws, struct hat_buf *b)
{
	if (hat_buf_ok(b))
		queue_text(ws, b->data, b->len);
}

static void send_error(struct hlsim_ws *ws, const char *text)
{
	hat_buf_reset(&ws->msg);
	hat_buf_puts(&ws->msg, "{\"channel\":\"error\",\"data\":");
	hat_buf_json_str(&ws->msg, text);
	hat_buf_puts(&ws->msg, "}");
	send_buf(ws, &ws->msg);
}

static void close_with(struct hlsim_ws *ws, uint16_t code, const char *reason)
{
	wslay_event_queue_close(ws->ctx, code, (const uint8_t *)reason, strlen(reason));
}

/* ---------------------------------------------------------------- wslay callbacks */

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user)
{
	struct hlsim_ws *ws = user;
	(void)flags;
	if (!ws->in_len) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	size_t n = len < ws->in_len ? len : ws->in_len;
	memcpy(buf, ws->in, n);
	ws->in += n;
	ws->in_len -= n;
	return (ssize_t)n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
	struct hlsim_ws *ws = user;
	(void)ctx;
	(void)flags;
	hlsim_conn_send(ws->c, data, len); /* buffered: everything is always taken */
	return (ssize_t)len;
}

/* RFC 3629 UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t b = s[i];
		if (b < 0x80) {
			i++;
			continue;
		}
		size_t k;
		uint32_t cp, min;
		if ((b & 0xe0) == 0xc0) {
			k = 1, cp = b & 0x1f, min = 0x80;
		} else if ((b & 0xf0) == 0xe0) {
			k = 2, cp = b & 0x0f, min = 0x800;
		} else if ((b & 0xf8) == 0xf0) {
			k = 3, cp = b & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= k) /* truncated sequence */
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static void handle_json(struct hlsim_ws *ws, const char *text, size_t len,
                        struct hlsim_prep *prep);
static char *post_action_body(const char *text, size_t len, size_t *body_len);

/* wslay checks the message limit only as payload arrives; a header announcing a huge frame is
 * refused at once, so a client cannot hold the connection open by trickling it. */
static void on_frame_start(wslay_event_context_ptr ctx,
                           const struct wslay_event_on_frame_recv_start_arg *a, void *user)
{
	struct hlsim_ws *ws = user;
	if (a->payload_length > ws->c->srv->opts.ws_max_msg && !wslay_event_get_close_sent(ctx)) {
		wslay_event_queue_close(ctx, WSLAY_CODE_MESSAGE_TOO_BIG,
					(const uint8_t *)"message too big", 15);
		wslay_event_shutdown_read(ctx);
	}
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
                   void *user)
{
	struct hlsim_ws *ws = user;
	(void)ctx;
	if (wslay_event_get_close_sent(ws->ctx))
		return;
	if (a->opcode == WSLAY_BINARY_FRAME) {
		close_with(ws, WSLAY_CODE_UNSUPPORTED_DATA, "binary frames are not supported");
		return;
	}
	if (a->opcode == WSLAY_PONG && a->msg_length == sizeof ws->pong_round) {
		uint64_t round;
		memcpy(&round, a->msg, sizeof round);
		if (round && round == ws->ping_round) {
			ws->pong_round = round;
			if (ws->c->srv->gate)
				hlsim_gate_on_pong(ws->c->srv->gate, round);
		}
		return;
	}
	if (a->opcode != WSLAY_TEXT_FRAME)
		return; /* ping, pong and close are answered by wslay */
	if (!utf8_valid(a->msg, a->msg_length)) {
		close_with(ws, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, "invalid UTF-8 in text frame");
		return;
	}
	const char *text = (const char *)a->msg;
	size_t len = a->msg_length, body_len = 0;
	struct hlsim_conn *c = ws->c;
	/* a post action is prepared on the worker pool; anything else waits behind queued posts */
	char *body = c->srv->opts.workers ? post_action_body(text, len, &body_len) : NULL;
	if (!body && !hlsim_conn_busy(c)) {
		handle_json(ws, text, len, NULL);
		return;
	}
	struct hlsim_job *j = hlsim_job_add(c, HLSIM_JOB_WS_MSG, text, len);
	if (!j) {
		cJSON_free(body);
		return;
	}
	if (body)
		hlsim_job_prepare(j, body, body_len, true);
	else
		j->ready = true;
	hlsim_conn_drain(c);
}

/* ---------------------------------------------------------------- requests */

static void print_json(struct hat_buf *b, const cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);
	if (s) {
		hat_buf_puts(b, s);
		cJSON_free(s);
	} else {
		b->oom = true;
	}
}

static void error_with_json(struct hlsim_ws *ws, const char *prefix, const cJSON *j)
{
	struct hat_buf t = HAT_BUF_INIT;
	hat_buf_puts(&t, prefix);
	print_json(&t, j);
	if (hat_buf_ok(&t))
		send_error(ws, t.data);
	hat_buf_free(&t);
}

static void ack(struct hlsim_ws *ws, const char *method, const cJSON *sub)
{
	hat_buf_reset(&ws->msg);
	hat_buf_printf(&ws->msg, "{\"channel\":\"subscriptionResponse\",\"data\":{\"method\":\"%s\","
				 "\"subscription\":", method);
	print_json(&ws->msg, sub);
	hat_buf_puts(&ws->msg, "}}");
	send_buf(ws, &ws->msg);
}

static void push(struct hlsim_ws *ws, enum hlsim_event_kind kind, const char *data, size_t len)
{
	hat_buf_reset(&ws->msg);
	hat_buf_printf(&ws->msg, "{\"channel\":\"%s\",\"data\":", hlsim_sub_channel(kind));
	hat_buf_append(&ws->msg, data, len);
	hat_buf_putc(&ws->msg, '}');
	send_buf(ws, &ws->msg);
}

static struct hlsim_rl_ip *rl_ip(struct hlsim_ws *ws)
{
	struct hlsim_conn *c = ws->c;
	return hlsim_rl_lookup(&c->srv->rl, c->ip, c->ip_len, hlsim_now_ms());
}

/* True if adding a subscription for user would make the connections of c's IP follow more
 * distinct users than the limit (protocol doc 8.3: at most 10 users per IP). */
static bool too_many_users(struct hlsim_conn *c, const uint8_t user[20])
{
	unsigned limit = c->srv->opts.rl.ws_users;
	if (!limit)
		return false;
	const uint8_t *seen[64];
	unsigned n = 0;
	for (struct hlsim_conn *o = c->srv->conns; o; o = o->next) {
		if (!o->ws || o->ip_len != c->ip_len || memcmp(o->ip, c->ip, c->ip_len))
			continue;
		for (size_t i = 0; i < o->ws->nsubs; i++) {
			const struct hlsim_sub *s = &o->ws->subs[i];
			if (!s->has_user)
				continue;
			if (!memcmp(s->user, user, 20))
				return false; /* already followed: no new user */
			unsigned k;
			for (k = 0; k < n; k++)
				if (!memcmp(seen[k], s->user, 20))
					break;
			if (k == n && n < 64)
				seen[n++] = s->user;
		}
	}
	return n >= limit;
}

static void subscribe(struct hlsim_ws *ws, const cJSON *subj, bool on)
{
	struct hlsim_server *s = ws->c->srv;
	char text[512];
	if (!cJSON_IsObject(subj)) {
		send_error(ws, on ? "Invalid subscription: missing subscription object"
				  : "Invalid unsubscription: missing subscription object");
		return;
	}
	int rc = hlsim_subscription_check(s->engine, subj, text, sizeof text);
	if (rc < 0) {
		send_error(ws, text);
		return;
	}
	struct hlsim_sub sub;
	char why[160];
	rc = hlsim_sub_parse(&sub, text, subj, why, sizeof why);
	if (rc < 0) {
		error_with_json(ws, "Invalid subscription ", subj);
		return;
	}
	size_t i;
	for (i = 0; i < ws->nsubs; i++)
		if (!strcmp(ws->subs[i].key, sub.key))
			break;
	if (!on) {
		if (i == ws->nsubs) {
			error_with_json(ws, "Already unsubscribed: ", subj);
		} else {
			hlsim_sub_deinit(&ws->subs[i]);
			ws->subs[i] = ws->subs[--ws->nsubs];
			struct hlsim_rl_ip *ip = rl_ip(ws);
			if (ip)
				hlsim_rl_ws_unsub(ip);
			ack(ws, "unsubscribe", subj);
		}
		hlsim_sub_deinit(&sub);
		return;
	}
	if (i < ws->nsubs) {
		error_with_json(ws, "Already subscribed: ", subj);
		hlsim_sub_deinit(&sub);
		return;
	}
	if (sub.has_user && too_many_users(ws->c, sub.user)) {
		snprintf(text, sizeof text, "Cannot track more than %u total users.",
			 s->opts.rl.ws_users);
		send_error(ws, text);
		hlsim_sub_deinit(&sub);
		return;
	}
	struct hlsim_rl_ip *ip = rl_ip(ws);
	if (ip && hlsim_rl_ws_sub(&s->rl, ip)) {
		snprintf(text, sizeof text, "Cannot subscribe: too many subscriptions (limit %u)",
			 s->opts.rl.ws_subs);
		send_error(ws, text);
		hlsim_sub_deinit(&sub);
		return;
	}
	if (ws->nsubs == ws->cap) {
		size_t cap = ws->cap ? ws->cap * 2 : 8;
		struct hlsim_sub *p = realloc(ws->subs, cap * sizeof *p);
		if (!p) {
			send_error(ws, "Cannot subscribe: out of memory");
			hlsim_sub_deinit(&sub);
			if (ip)
				hlsim_rl_ws_unsub(ip);
			return;
		}
		ws->subs = p;
		ws->cap = cap;
	}
	ws->subs[ws->nsubs++] = sub;
	ack(ws, "subscribe", subj);
	hat_buf_reset(&s->scratch);
	if (hlsim_snapshot_json(s->engine, sub.json, &s->scratch) == 0 && hat_buf_ok(&s->scratch))
		push(ws, sub.kind, s->scratch.data, s->scratch.len);
}

/* The text of the top-level member "id" of text, a JSON object cJSON accepted: ids are echoed
 * exactly as sent (above 2^53 a double would round them). Returns false if not found. */
static bool raw_id(const char *t, size_t n, const char **out, size_t *olen)
{
	int depth = 0;
	bool key = false;
	size_t i = 0;
	while (i < n) {
		char ch = t[i];
		if (ch == '"') {
			size_t b = ++i;
			while (i < n && t[i] != '"')
				i += t[i] == '\\' ? 2 : 1;
			size_t e = i++;
			if (depth != 1 || !key)
				continue;
			key = false;
			while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
				i++;
			if (i >= n || t[i] != ':')
				continue;
			i++;
			while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
				i++;
			if (e - b == 2 && !memcmp(t + b, "id", 2)) {
				size_t k = i;
				while (k < n && strchr("+-.eE0123456789", t[k]) && t[k])
					k++;
				if (k == i)
					return false;
				*out = t + i;
				*olen = k - i;
				return true;
			}
			continue;
		}
		if (ch == '{' || ch == '[') {
			depth++;
			key = ch == '{' && depth == 1;
		} else if (ch == '}' || ch == ']') {
			depth--;
		} else if (ch == ',' && depth == 1) {
			key = true;
		}
		i++;
	}
	return false;
}

/* Echoes the id: its original text when found in the message, else the number. */
static void put_id(struct hat_buf *b, const cJSON *id, const char *text, size_t len)
{
	const char *raw;
	size_t n;
	if (text && raw_id(text, len, &raw, &n)) {
		hat_buf_append(b, raw, n);
		return;
	}
	double v = id->valuedouble;
	if (v >= 0 && v < 18446744073709551615.0 && v == (double)(uint64_t)v)
		hat_buf_printf(b, "%" PRIu64, (uint64_t)v);
	else
		hat_buf_printf(b, "%.17g", v);
}

/* If text is {"method":"post","id":<number>,"request":{"type":"action","payload":{..}}}, the
 * payload printed as post() prints it (cJSON_free it), else NULL. */
static char *post_action_body(const char *text, size_t len, size_t *body_len)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(root, "method");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(root, "request");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(req, "type");
	const cJSON *payload = cJSON_GetObjectItemCaseSensitive(req, "payload");
	char *body = NULL;
	if (cJSON_IsObject(root) && cJSON_IsString(method) && !strcmp(method->valuestring, "post") &&
	    cJSON_IsNumber(id) && cJSON_IsString(type) && !strcmp(type->valuestring, "action") &&
	    cJSON_IsObject(payload))
		body = cJSON_PrintUnformatted(payload);
	cJSON_Delete(root);
	if (body)
		*body_len = strlen(body);
	return body;
}

/* prep: the prepared payload of a post action (or NULL); always consumed. text: the message. */
static void post(struct hlsim_ws *ws, const cJSON *root, const char *text, size_t len,
                 struct hlsim_prep *prep)
{
	struct hlsim_server *s = ws->c->srv;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(root, "request");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(req, "type");
	const cJSON *payload = cJSON_GetObjectItemCaseSensitive(req, "payload");
	if (!cJSON_IsNumber(id)) {
		hlsim_prep_free(prep);
		send_error(ws, "Invalid post request: id must be a number");
		return;
	}
	bool info = cJSON_IsString(type) && !strcmp(type->valuestring, "info");
	bool action = cJSON_IsString(type) && !strcmp(type->valuestring, "action");
	if ((!info && !action) || !cJSON_IsObject(payload)) {
		hat_buf_reset(&ws->msg);
		hat_buf_puts(&ws->msg, "Invalid post request: request.type must be \"info\" or \"action\" "
				       "and request.payload an object id=");
		put_id(&ws->msg, id, text, len);
		if (hat_buf_ok(&ws->msg)) {
			char et[256];
			snprintf(et, sizeof et, "%s", ws->msg.data);
			send_error(ws, et);
		}
		hlsim_prep_free(prep);
		return;
	}
	struct hat_buf *m = &ws->msg;
	/* posts spend the per-IP REST weight budget, as HTTP requests do */
	uint64_t now = hlsim_now_ms();
	struct hlsim_rl_ip *ip = hlsim_rl_lookup(&s->rl, ws->c->ip, ws->c->ip_len, now);
	if (ip && !hlsim_rl_rest_allow(&s->rl, ip)) {
		hlsim_prep_free(prep);
		hat_buf_reset(m);
		hat_buf_puts(m, "{\"channel\":\"post\",\"data\":{\"id\":");
		put_id(m, id, text, len);
		hat_buf_printf(m, ",\"response\":{\"type\":\"error\",\"payload\":\"429 rate limited: "
				  "per-IP weight budget of %u per minute exhausted\"}}}",
			       s->opts.rl.rest_weight_per_min);
		send_buf(ws, m);
		return;
	}
	int status = 500, rc;
	unsigned weight = 0;
	hat_buf_reset(&ws->body);
	if (action && prep) {
		rc = hlsim_exchange_commit(s->engine, prep, now, &ws->body, &status, &weight);
	} else {
		hlsim_prep_free(prep);
		char *body = cJSON_PrintUnformatted(payload);
		if (!body) {
			send_error(ws, "post: out of memory");
			return;
		}
		rc = info ? hlsim_info(s->engine, body, strlen(body), now, &ws->body, &status, &weight)
			  : hlsim_exchange(s->engine, body, strlen(body), now, &ws->body, &status,
					   &weight);
		cJSON_free(body);
	}
	if (rc == 0 && ip)
		hlsim_rl_rest_charge(&s->rl, ip, weight);
	hat_buf_reset(m);
	hat_buf_puts(m, "{\"channel\":\"post\",\"data\":{\"id\":");
	put_id(m, id, text, len);
	hat_buf_puts(m, ",\"response\":");
	if (rc == 0 && status == 200 && hat_buf_ok(&ws->body)) {
		if (info) {
			const cJSON *pt = cJSON_GetObjectItemCaseSensitive(payload, "type");
			hat_buf_puts(m, "{\"type\":\"info\",\"payload\":{\"type\":");
			hat_buf_json_str(m, cJSON_IsString(pt) ? pt->valuestring : "");
			hat_buf_puts(m, ",\"data\":");
			hat_buf_append(m, ws->body.data, ws->body.len);
			hat_buf_puts(m, "}}");
		} else {
			hat_buf_puts(m, "{\"type\":\"action\",\"payload\":");
			hat_buf_append(m, ws->body.data, ws->body.len);
			hat_buf_putc(m, '}');
		}
	} else {
		struct hat_buf t = HAT_BUF_INIT;
		if (rc == 0 && hat_buf_ok(&ws->body))
			hat_buf_printf(&t, "%d %.*s", status, (int)ws->body.len,
				       ws->body.len ? ws->body.data : "");
		else
			hat_buf_puts(&t, "500 internal error");
		hat_buf_puts(m, "{\"type\":\"error\",\"payload\":");
		hat_buf_json_str(m, hat_buf_ok(&t) ? t.data : "500 internal error");
		hat_buf_putc(m, '}');
		hat_buf_free(&t);
	}
	hat_buf_puts(m, "}}");
	send_buf(ws, m);
}

static void handle_json(struct hlsim_ws *ws, const char *text, size_t len,
                        struct hlsim_prep *prep)
{
	struct hlsim_server *s = ws->c->srv;
	struct hlsim_rl_ip *ip = rl_ip(ws);
	if (ip && hlsim_rl_ws_msg(&s->rl, ip)) {
		hlsim_prep_free(prep);
		char t[128];
		snprintf(t, sizeof t, "rate limited: more than %u messages per minute",
			 s->opts.rl.ws_msgs_per_min);
		send_error(ws, t);
		return;
	}
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(root, "method");
	if (!cJSON_IsObject(root) || !cJSON_IsString(method)) {
		struct hat_buf t = HAT_BUF_INIT;
		hat_buf_puts(&t, root ? "Invalid request: expected {\"method\":...}: "
				      : "Error parsing JSON into valid websocket request: ");
		hat_buf_append(&t, text, len > 200 ? 200 : len);
		if (hat_buf_ok(&t))
			send_error(ws, t.data);
		hat_buf_free(&t);
		cJSON_Delete(root);
		hlsim_prep_free(prep);
		return;
	}
	const char *m = method->valuestring;
	if (strcmp(m, "post")) {
		hlsim_prep_free(prep);
		prep = NULL;
	}
	if (!strcmp(m, "ping")) {
		static const char pong[] = "{\"channel\":\"pong\"}";
		queue_text(ws, pong, sizeof pong - 1);
	} else if (!strcmp(m, "subscribe") || !strcmp(m, "unsubscribe")) {
		subscribe(ws, cJSON_GetObjectItemCaseSensitive(root, "subscription"), m[0] == 's');
	} else if (!strcmp(m, "post")) {
		post(ws, root, text, len, prep);
	} else {
		char t[160];
		snprintf(t, sizeof t, "Unknown method: %.100s", m);
		send_error(ws, t);
	}
	cJSON_Delete(root);
}

void hlsim_ws_commit(struct hlsim_conn *c, const char *text, size_t len, struct hlsim_prep *prep)
{
	struct hlsim_ws *ws = c->ws;
	if (!ws || wslay_event_get_close_sent(ws->ctx)) {
		hlsim_prep_free(prep);
		return;
	}
	handle_json(ws, text, len, prep);
	kick(ws);
}

/* ---------------------------------------------------------------- session */

static void ws_recv(struct hlsim_ws *ws, const char *data, size_t n)
{
	ws->in = (const uint8_t *)data;
	ws->in_len = n;
	ws->in_recv = true;
	int r = wslay_event_recv(ws->ctx);
	ws->in_recv = false;
	ws->in = NULL;
	ws->in_len = 0;
	if (r != 0) {
		hlsim_conn_close(ws->c);
		return;
	}
	kick(ws);
}

int hlsim_ws_start(struct hlsim_conn *c, const char *leftover, size_t n)
{
	struct hlsim_server *s = c->srv;
	struct hlsim_ws *ws = calloc(1, sizeof *ws);
	if (!ws)
		goto fail;
	struct wslay_event_callbacks cb = { recv_cb, send_cb, NULL, on_frame_start, NULL, NULL,
					     on_msg };
	if (wslay_event_context_server_init(&ws->ctx, &cb, ws) != 0) {
		free(ws);
		goto fail;
	}
	wslay_event_config_set_max_recv_msg_length(ws->ctx, s->opts.ws_max_msg);
	ws->c = c;
	ws->serial = ++c->srv->ws_serials;
	c->ws = ws;
	if (s->opts.ws_greeting) {
		static const char hello[] = "Websocket connection established.";
		queue_text(ws, hello, sizeof hello - 1);
	}
	if (n)
		ws_recv(ws, leftover, n);
	else
		kick(ws);
	if (!c->closing && !c->writing)
		hlsim_conn_timer(c, s->opts.ws_idle_ms);
	return 0;
fail:;
	struct hlsim_rl_ip *ip = hlsim_rl_lookup(&s->rl, c->ip, c->ip_len, hlsim_now_ms());
	if (ip)
		hlsim_rl_ws_close(ip, 0);
	hat_log(NULL, HAT_LOG_ERROR, "ws_start_failed", "error=%s", "out of memory");
	return -ENOMEM;
}

void hlsim_ws_on_read(struct hlsim_conn *c, const char *data, size_t n)
{
	if (c->ws)
		ws_recv(c->ws, data, n);
}

void hlsim_ws_on_idle(struct hlsim_conn *c)
{
	if (!c->ws) {
		hlsim_conn_close(c);
		return;
	}
	close_with(c->ws, WSLAY_CODE_NORMAL_CLOSURE, "idle timeout");
	kick(c->ws);
	hlsim_conn_finish(c);
}

void hlsim_ws_going_away(struct hlsim_conn *c)
{
	hlsim_conn_drop_jobs(c);
	if (!c->ws || wslay_event_get_close_sent(c->ws->ctx)) {
		hlsim_conn_finish(c);
		return;
	}
	close_with(c->ws, WSLAY_CODE_GOING_AWAY, "server shutting down");
	kick(c->ws);
	hlsim_conn_flush(c);
	hlsim_conn_finish(c);
}

void hlsim_ws_free(struct hlsim_conn *c)
{
	struct hlsim_ws *ws = c->ws;
	if (!ws)
		return;
	struct hlsim_rl_ip *ip = rl_ip(ws);
	if (ip)
		hlsim_rl_ws_close(ip, (unsigned)ws->nsubs);
	for (size_t i = 0; i < ws->nsubs; i++)
		hlsim_sub_deinit(&ws->subs[i]);
	free(ws->subs);
	wslay_event_context_free(ws->ctx);
	hat_buf_free(&ws->msg);
	hat_buf_free(&ws->body);
	free(ws);
	c->ws = NULL;
}

/* ---------------------------------------------------------------- fan-out */

void hlsim_ws_fanout(struct hlsim_server *s, const struct hlsim_event *ev)
{
	struct hat_buf *f = &s->frame;
	bool built = false;
	struct hlsim_conn *next;
	for (struct hlsim_conn *c = s->conns; c; c = next) {
		next = c->next;
		struct hlsim_ws *ws = c->ws;
		if (c->mode != HLSIM_CONN_WS || !ws || c->closing)
			continue;
		bool sent = false;
		for (size_t i = 0; i < ws->nsubs; i++) {
			const struct hlsim_sub *sub = &ws->subs[i];
			if (!hlsim_sub_matches(sub, ev))
				continue;
			if (sub->aggregated) {
				hat_buf_reset(&s->scratch);
				if (hlsim_snapshot_json(s->engine, sub->json, &s->scratch) == 0 &&
				    hat_buf_ok(&s->scratch))
					push(ws, sub->kind, s->scratch.data, s->scratch.len);
			} else {
				if (!built) {
					hat_buf_reset(f);
					hat_buf_printf(f, "{\"channel\":\"%s\",\"data\":",
						       hlsim_sub_channel(ev->kind));
					hat_buf_append(f, ev->json, ev->json_len);
					hat_buf_putc(f, '}');
					built = true;
				}
				send_buf(ws, f);
			}
			sent = true;
		}
		if (sent)
			kick(ws);
	}
}

/* ---------------------------------------------------------------- the backtest gate */

/* c's session, or NULL if c is not a WebSocket session. */
static struct hlsim_ws *session(const struct hlsim_conn *c)
{
	return c->mode == HLSIM_CONN_WS ? c->ws : NULL;
}

/* c's session if it can still send (not closing, no close frame sent), else NULL. */
static struct hlsim_ws *open_session(const struct hlsim_conn *c)
{
	struct hlsim_ws *ws = session(c);
	return ws && !c->closing && !wslay_event_get_close_sent(ws->ctx) ? ws : NULL;
}

void hlsim_ws_ping(struct hlsim_conn *c, uint64_t round)
{
	struct hlsim_ws *ws = open_session(c);
	if (!ws)
		return;
	struct wslay_event_msg m = { WSLAY_PING, (const uint8_t *)&round, sizeof round };
	if (wslay_event_queue_msg(ws->ctx, &m) != 0)
		return;
	ws->ping_round = round;
	kick(ws);
}

bool hlsim_ws_ponged(const struct hlsim_conn *c, uint64_t round)
{
	const struct hlsim_ws *ws = session(c);
	if (!ws || c->closing || ws->ping_round != round)
		return true;
	return ws->pong_round == round;
}

uint64_t hlsim_ws_serial(const struct hlsim_conn *c)
{
	const struct hlsim_ws *ws = session(c);
	return ws ? ws->serial : 0;
}

void hlsim_ws_send_held(struct hlsim_conn *c, const char *text, size_t len)
{
	struct hlsim_ws *ws = open_session(c);
	if (!ws)
		return;
	queue_now(ws, text, len);
	kick(ws);
}
