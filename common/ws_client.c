/* common/ws_client.c -- WebSocket client: URL, handshake, wslay framing core, libuv + OpenSSL
 * adapter. Contract in ws_client.h. */
#include "common/ws_client.h"
#include "common/err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <wslay/wslay.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define HS_MAX 16384

/* ================================================================ URL */

int hat_ws_url_parse(const char *url, struct hat_ws_url *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	const char *p;
	if (!url) {
		snprintf(err, errlen, "ws url: missing");
		return HAT_E_PARSE;
	}
	if (strncasecmp(url, "ws://", 5) == 0) {
		p = url + 5;
		out->port = 80;
	} else if (strncasecmp(url, "wss://", 6) == 0) {
		p = url + 6;
		out->tls = true;
		out->port = 443;
	} else {
		snprintf(err, errlen, "ws url \"%.200s\": scheme must be ws:// or wss://", url);
		return HAT_E_PARSE;
	}
	size_t auth_len = strcspn(p, "/?#");
	const char *rest = p + auth_len;
	if (memchr(p, '@', auth_len)) {
		snprintf(err, errlen, "ws url \"%.200s\": user info is not supported", url);
		return HAT_E_PARSE;
	}
	if (strchr(rest, '#')) {
		snprintf(err, errlen, "ws url \"%.200s\": fragments are not allowed", url);
		return HAT_E_PARSE;
	}
	const char *host = p, *host_end, *port_s = NULL;
	bool v6 = false;
	if (*p == '[') {
		const char *rb = memchr(p, ']', auth_len);
		if (!rb) {
			snprintf(err, errlen, "ws url \"%.200s\": unterminated [IPv6] host", url);
			return HAT_E_PARSE;
		}
		host = p + 1;
		host_end = rb;
		v6 = true;
		if (rb + 1 < rest) {
			if (rb[1] != ':') {
				snprintf(err, errlen, "ws url \"%.200s\": junk after ]", url);
				return HAT_E_PARSE;
			}
			port_s = rb + 2;
		}
	} else {
		const char *colon = memchr(p, ':', auth_len);
		host_end = colon ? colon : rest;
		if (colon)
			port_s = colon + 1;
	}
	size_t hl = (size_t)(host_end - host);
	if (hl == 0) {
		snprintf(err, errlen, "ws url \"%.200s\": empty host", url);
		return HAT_E_PARSE;
	}
	if (hl >= sizeof out->host) {
		snprintf(err, errlen, "ws url: host longer than %zu bytes", sizeof out->host - 1);
		return HAT_E_PARSE;
	}
	memcpy(out->host, host, hl);
	for (size_t i = 0; i < hl; i++) {
		unsigned char ch = (unsigned char)out->host[i];
		if (ch <= ' ' || ch == '/' || ch == '\\' || ch >= 0x7f) {
			snprintf(err, errlen, "ws url \"%.200s\": bad character in host", url);
			return HAT_E_PARSE;
		}
	}
	if (port_s) {
		if (port_s == rest) {
			snprintf(err, errlen, "ws url \"%.200s\": empty port", url);
			return HAT_E_PARSE;
		}
		unsigned long v = 0;
		for (const char *q = port_s; q < rest; q++) {
			if (*q < '0' || *q > '9' || v > 65535) {
				v = 70000;
				break;
			}
			v = v * 10 + (unsigned long)(*q - '0');
		}
		if (v == 0 || v > 65535) {
			snprintf(err, errlen, "ws url \"%.200s\": port must be 1-65535", url);
			return HAT_E_PARSE;
		}
		out->port = (uint16_t)v;
	}
	if (*rest == '\0') {
		strcpy(out->path, "/");
	} else {
		size_t rl = strlen(rest);
		if (rl + 2 > sizeof out->path) {
			snprintf(err, errlen, "ws url: path longer than %zu bytes", sizeof out->path - 2);
			return HAT_E_PARSE;
		}
		for (size_t i = 0; i < rl; i++)
			if ((unsigned char)rest[i] <= ' ' || (unsigned char)rest[i] >= 0x7f) {
				snprintf(err, errlen, "ws url \"%.200s\": bad character in path", url);
				return HAT_E_PARSE;
			}
		snprintf(out->path, sizeof out->path, "%s%s", *rest == '?' ? "/" : "", rest);
	}
	bool dflt = out->port == (out->tls ? 443 : 80);
	if (v6)
		snprintf(out->host_header, sizeof out->host_header, dflt ? "[%s]" : "[%s]:%u", out->host,
			 out->port);
	else
		snprintf(out->host_header, sizeof out->host_header, dflt ? "%s" : "%s:%u", out->host,
			 out->port);
	return 0;
}

/* ================================================================ handshake */

void hat_ws_make_key(const uint8_t nonce[16], char key[HAT_WS_KEY_LEN])
{
	EVP_EncodeBlock((unsigned char *)key, nonce, 16);
}

int hat_ws_accept_for_key(const char *key, char accept[HAT_WS_ACCEPT_LEN])
{
	char in[128];
	int n = snprintf(in, sizeof in, "%s%s", key, WS_GUID);
	if (n < 0 || (size_t)n >= sizeof in)
		return -EINVAL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
		return -EIO;
	EVP_EncodeBlock((unsigned char *)accept, md, 20);
	return 0;
}

void hat_ws_build_request(struct hat_buf *out, const struct hat_ws_url *u, const char *key,
			  const char *extra_headers)
{
	hat_buf_printf(out,
		       "GET %s HTTP/1.1\r\n"
		       "Host: %s\r\n"
		       "Upgrade: websocket\r\n"
		       "Connection: Upgrade\r\n"
		       "Sec-WebSocket-Key: %s\r\n"
		       "Sec-WebSocket-Version: 13\r\n"
		       "%s"
		       "\r\n",
		       u->path, u->host_header, key, extra_headers ? extra_headers : "");
}

/* Case-insensitive search for token in a comma-separated header value. */
static bool has_token(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token);
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, token, tl) == 0)
			return true;
	}
	return false;
}

/* Copies up to 60 bytes of s[0..n) into out for an error message, control bytes as '?'. */
static const char *quote_bytes(const char *s, size_t n, char out[64])
{
	size_t k = n < 60 ? n : 60;
	for (size_t i = 0; i < k; i++)
		out[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	out[k] = '\0';
	return out;
}

int hat_ws_check_response(const char *data, size_t len, const char *key, size_t *consumed,
			  int *status, char *err, size_t errlen)
{
	char q[64];
	*status = 0;
	const char *eol = memmem(data, len, "\r\n", 2);
	if (eol) {
		if (len < 12 || strncmp(data, "HTTP/1.", 7) != 0 || data[8] != ' ' ||
		    !isdigit((unsigned char)data[9]) || !isdigit((unsigned char)data[10]) ||
		    !isdigit((unsigned char)data[11])) {
			snprintf(err, errlen, "ws handshake: not an HTTP response: \"%s\"",
				 quote_bytes(data, (size_t)(eol - data), q));
			return -EPROTO;
		}
		*status = (data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0');
	}
	const char *end = memmem(data, len, "\r\n\r\n", 4);
	if (!end) {
		if (len > HS_MAX) {
			snprintf(err, errlen, "ws handshake: response header over %d bytes", HS_MAX);
			return -EPROTO;
		}
		return -EAGAIN;
	}
	*consumed = (size_t)(end - data) + 4;
	if (*status != 101) {
		snprintf(err, errlen, "ws handshake: server answered \"%s\", expected 101",
			 quote_bytes(data, (size_t)(eol - data), q));
		return -EPROTO;
	}
	char want[HAT_WS_ACCEPT_LEN];
	if (hat_ws_accept_for_key(key, want) < 0) {
		snprintf(err, errlen, "ws handshake: SHA-1 failed");
		return -EPROTO;
	}
	bool upgrade = false, connection = false, accept = false;
	const char *line = eol + 2;
	while (line < end) {
		const char *le = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		const char *colon = memchr(line, ':', (size_t)(le - line));
		if (colon) {
			size_t nl = (size_t)(colon - line);
			const char *v = colon + 1;
			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			size_t vl = (size_t)(le - v);
			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (nl == 7 && strncasecmp(line, "Upgrade", 7) == 0)
				upgrade = has_token(v, vl, "websocket");
			else if (nl == 10 && strncasecmp(line, "Connection", 10) == 0)
				connection = connection || has_token(v, vl, "upgrade");
			else if (nl == 20 && strncasecmp(line, "Sec-WebSocket-Accept", 20) == 0) {
				if (vl != strlen(want) || memcmp(v, want, vl) != 0) {
					snprintf(err, errlen,
						 "ws handshake: Sec-WebSocket-Accept \"%s\" does not match the key (want \"%s\")",
						 quote_bytes(v, vl, q), want);
					return -EPROTO;
				}
				accept = true;
			}
		}
		line = le + 2;
	}
	if (!upgrade || !connection || !accept) {
		snprintf(err, errlen, "ws handshake: missing %s header",
			 !upgrade ? "\"Upgrade: websocket\"" :
			 !connection ? "\"Connection: Upgrade\"" : "Sec-WebSocket-Accept");
		return -EPROTO;
	}
	return 0;
}

/* ================================================================ framing core */

static ssize_t proto_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
			     void *user)
{
	(void)flags;
	struct hat_ws_proto *p = user;
	size_t avail = p->in_len - p->in_pos;
	if (avail == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	size_t n = avail < len ? avail : len;
	memcpy(buf, p->in + p->in_pos, n);
	p->in_pos += n;
	return (ssize_t)n;
}

static ssize_t proto_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
			     int flags, void *user)
{
	(void)flags;
	struct hat_ws_proto *p = user;
	if (p->out.len + len > HAT_WS_MAX_OUT || hat_buf_reserve(&p->out, len) < 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	hat_buf_append(&p->out, data, len);
	return (ssize_t)len;
}

static int proto_genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
	struct hat_ws_proto *p = user;
	if (p->genmask)
		return p->genmask(buf, len, p->user);
	size_t got = 0;
	while (got < len) {
		ssize_t n = getrandom(buf + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

static void proto_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
			 void *user)
{
	(void)ctx;
	struct hat_ws_proto *p = user;
	switch (a->opcode) {
	case WSLAY_TEXT_FRAME:
		p->msgs_text++;
		if (p->cbs.on_text)
			p->cbs.on_text(p->user, (const char *)a->msg, a->msg_length, p->recv_ns);
		break;
	case WSLAY_BINARY_FRAME:
		p->msgs_binary++;
		if (p->cbs.on_binary)
			p->cbs.on_binary(p->user, a->msg, a->msg_length, p->recv_ns);
		break;
	case WSLAY_PONG:
		p->pongs++;
		if (p->cbs.on_pong)
			p->cbs.on_pong(p->user, p->recv_ns);
		break;
	case WSLAY_PING:
		p->pings++;
		break;
	case WSLAY_CONNECTION_CLOSE: {
		p->close_received = a->status_code ? a->status_code : HAT_WS_CLOSE_NO_STATUS;
		const char *reason = a->msg_length >= 2 ? (const char *)a->msg + 2 : "";
		size_t rl = a->msg_length >= 2 ? a->msg_length - 2 : 0;
		if (p->cbs.on_peer_close)
			p->cbs.on_peer_close(p->user, p->close_received, reason, rl);
		break;
	}
	default:
		break;
	}
}

int hat_ws_proto_init(struct hat_ws_proto *p, const struct hat_ws_proto_cbs *cbs, void *user,
		      size_t max_msg)
{
	memset(p, 0, sizeof *p);
	p->cbs = *cbs;
	p->user = user;
	p->max_msg = max_msg ? max_msg : HAT_WS_DEFAULT_MAX_MSG;
	hat_buf_init(&p->out);
	static const struct wslay_event_callbacks wcbs = {
		.recv_callback = proto_recv_cb,
		.send_callback = proto_send_cb,
		.genmask_callback = proto_genmask_cb,
		.on_msg_recv_callback = proto_msg_cb,
	};
	wslay_event_context_ptr ctx;
	if (wslay_event_context_client_init(&ctx, &wcbs, p) != 0)
		return -ENOMEM;
	wslay_event_config_set_max_recv_msg_length(ctx, p->max_msg);
	p->ctx = ctx;
	return 0;
}

void hat_ws_proto_deinit(struct hat_ws_proto *p)
{
	if (p->ctx)
		wslay_event_context_free(p->ctx);
	p->ctx = NULL;
	hat_buf_free(&p->out);
}

int hat_ws_proto_flush(struct hat_ws_proto *p)
{
	wslay_event_context_ptr ctx = p->ctx;
	while (wslay_event_want_write(ctx)) {
		int rc = wslay_event_send(ctx);
		if (rc != 0) {
			p->failed = true;
			return rc == WSLAY_ERR_NOMEM ? -ENOMEM : -ENOBUFS;
		}
	}
	if (!p->close_sent && wslay_event_get_close_sent(ctx)) {
		uint16_t code = wslay_event_get_status_code_sent(ctx);
		p->close_sent = code ? code : HAT_WS_CLOSE_NO_STATUS;
	}
	return 0;
}

int hat_ws_proto_feed(struct hat_ws_proto *p, const uint8_t *data, size_t len, uint64_t recv_ns)
{
	wslay_event_context_ptr ctx = p->ctx;
	if (p->failed || !wslay_event_get_read_enabled(ctx))
		return -EPIPE;
	p->in = data;
	p->in_len = len;
	p->in_pos = 0;
	p->recv_ns = recv_ns;
	int rc = wslay_event_recv(ctx);
	p->in = NULL;
	p->in_len = p->in_pos = 0;
	if (rc != 0) {
		p->failed = true;
		return rc == WSLAY_ERR_NOMEM ? -ENOMEM : -EPROTO;
	}
	rc = hat_ws_proto_flush(p);
	if (rc < 0)
		return rc;
	if (!wslay_event_get_read_enabled(ctx) && !p->close_received) {
		/* wslay stopped reading on its own: an over-size message (it queued 1009) or a
		 * protocol violation (1002). */
		p->failed = true;
		return p->close_sent == HAT_WS_CLOSE_TOO_BIG ? -EMSGSIZE : -EPROTO;
	}
	return 0;
}

static int queue(struct hat_ws_proto *p, uint8_t opcode, const void *data, size_t len)
{
	if (p->failed || p->close_sent || !wslay_event_get_write_enabled(p->ctx))
		return -EPIPE;
	if (p->out.len + len > HAT_WS_MAX_OUT)
		return -ENOBUFS;
	struct wslay_event_msg m = { opcode, data, len };
	int rc = wslay_event_queue_msg(p->ctx, &m);
	if (rc == WSLAY_ERR_NO_MORE_MSG)
		return -EPIPE;
	if (rc == WSLAY_ERR_INVALID_ARGUMENT)
		return -EINVAL;
	if (rc != 0)
		return -ENOMEM;
	return hat_ws_proto_flush(p);
}

int hat_ws_proto_send_text(struct hat_ws_proto *p, const char *data, size_t len)
{
	return queue(p, WSLAY_TEXT_FRAME, data, len);
}

int hat_ws_proto_send_ping(struct hat_ws_proto *p, const void *data, size_t len)
{
	if (len > 125)
		return -EINVAL;
	return queue(p, WSLAY_PING, data, len);
}

int hat_ws_proto_send_close(struct hat_ws_proto *p, uint16_t code, const char *reason)
{
	size_t rl = reason ? strlen(reason) : 0;
	if (rl > 123)
		return -EINVAL;
	if (p->failed || p->close_sent || !wslay_event_get_write_enabled(p->ctx))
		return -EPIPE;
	int rc = wslay_event_queue_close(p->ctx, code, (const uint8_t *)reason, rl);
	if (rc == WSLAY_ERR_NO_MORE_MSG)
		return -EPIPE;
	if (rc != 0)
		return rc == WSLAY_ERR_INVALID_ARGUMENT ? -EINVAL : -ENOMEM;
	return hat_ws_proto_flush(p);
}

bool hat_ws_proto_done(const struct hat_ws_proto *p)
{
	return p->failed || (p->close_sent && p->close_received);
}

/* ================================================================ libuv adapter */

enum conn_state {
	CS_RESOLVING = 1,
	CS_CONNECTING,
	CS_TLS,
	CS_HANDSHAKE,
	CS_OPEN,
	CS_CLOSING,
	CS_DEAD,
};

static const char *state_name(int s)
{
	switch (s) {
	case CS_RESOLVING: return "resolving";
	case CS_CONNECTING: return "connecting";
	case CS_TLS: return "tls handshake";
	case CS_HANDSHAKE: return "ws handshake";
	case CS_OPEN: return "open";
	case CS_CLOSING: return "closing";
	default: return "dead";
	}
}

struct hat__ws_conn {
	struct hat_ws_client *c;      /* NULL once detached by deinit: no more callbacks */
	int state;
	int refs;                     /* pending: getaddrinfo, tcp close, timer close, shutdown */
	bool gai_pending, timer_inited, shutting;
	uv_getaddrinfo_t gai;
	uv_connect_t creq;
	uv_shutdown_t sreq;
	uv_tcp_t *tcp;                /* owned; freed by its close callback; NULL before connect */
	struct addrinfo *ai;          /* resolved addresses (owned), NULL for IP literals */
	struct addrinfo *ai_next;     /* the next address to try if this one fails */
	uv_timer_t timer;
	struct hat_ws_url url;
	char key[HAT_WS_KEY_LEN];
	struct hat_buf hs;            /* handshake response bytes */
	struct hat_ws_proto proto;
	SSL *ssl;
	BIO *rbio, *wbio;             /* owned by ssl */
	uint32_t connect_timeout_ms, close_timeout_ms;
	char *extra_headers;
	const struct hat_clock *clock;
	uint64_t now_ns;              /* stamp of the current read */
	int writes_pending;
	struct hat_ws_close_info why;
	char rbuf[65536];
	char dbuf[65536];             /* decrypted TLS bytes */
};

struct wreq {
	uv_write_t req;
	struct hat__ws_conn *conn;
	size_t len;
	char data[];
};

static void conn_end(struct hat__ws_conn *k, int err, bool graceful, const char *fmt, ...)
	HAT_PRINTF(4, 5);

static void conn_unref(struct hat__ws_conn *k)
{
	if (--k->refs > 0)
		return;
	struct hat_ws_client *c = k->c;
	if (c) {
		c->conn = NULL;
		c->last = k->why;
		c->closes++;
	}
	hat_ws_proto_deinit(&k->proto);
	hat_buf_free(&k->hs);
	if (k->ssl)
		SSL_free(k->ssl);
	if (k->ai)
		uv_freeaddrinfo(k->ai);
	free(k->extra_headers);
	struct hat_ws_close_info why = k->why;
	free(k);
	if (c && c->cbs.on_close)
		c->cbs.on_close(c->user, &why);
}

static void handle_closed(uv_handle_t *h)
{
	conn_unref(h->data);
}

static void tcp_closed(uv_handle_t *h)
{
	struct hat__ws_conn *k = h->data;
	free(h);
	conn_unref(k);
}

static void close_handles(struct hat__ws_conn *k)
{
	if (k->tcp && !uv_is_closing((uv_handle_t *)k->tcp))
		uv_close((uv_handle_t *)k->tcp, tcp_closed);
	if (k->timer_inited && !uv_is_closing((uv_handle_t *)&k->timer))
		uv_close((uv_handle_t *)&k->timer, handle_closed);
}

static void shutdown_done(uv_shutdown_t *req, int status)
{
	(void)status;
	struct hat__ws_conn *k = req->data;
	close_handles(k);
	conn_unref(k);
}

/* Ends the connection once: records why, and closes the handles (after the pending writes
 * when graceful, so a close frame we queued still leaves). The final unref reports. */
static void conn_end(struct hat__ws_conn *k, int err, bool graceful, const char *fmt, ...)
{
	if (k->state == CS_DEAD)
		return;
	int prev = k->state;
	k->state = CS_DEAD;
	k->why.err = err;
	k->why.code_received = k->proto.close_received;
	k->why.code_sent = k->proto.close_sent;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->why.text, sizeof k->why.text, fmt, ap);
	va_end(ap);
	if (k->gai_pending)
		uv_cancel((uv_req_t *)&k->gai); /* its callback still runs and unrefs */
	if (k->timer_inited)
		uv_timer_stop(&k->timer);
	if (k->tcp && prev >= CS_TLS && !uv_is_closing((uv_handle_t *)k->tcp))
		uv_read_stop((uv_stream_t *)k->tcp);
	if (graceful && k->tcp && k->writes_pending > 0 &&
	    !uv_is_closing((uv_handle_t *)k->tcp)) {
		k->sreq.data = k;
		if (uv_shutdown(&k->sreq, (uv_stream_t *)k->tcp, shutdown_done) == 0) {
			k->refs++;
			k->shutting = true;
			/* The timer handle can go now; tcp goes in shutdown_done. */
			if (k->timer_inited && !uv_is_closing((uv_handle_t *)&k->timer))
				uv_close((uv_handle_t *)&k->timer, handle_closed);
			return;
		}
	}
	close_handles(k);
}

static void write_done(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct hat__ws_conn *k = w->conn;
	k->writes_pending--;
	free(w);
	if (status < 0 && status != UV_ECANCELED)
		conn_end(k, status, false, "write failed: %s", uv_strerror(status));
}

static int raw_write(struct hat__ws_conn *k, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	struct wreq *w = malloc(sizeof *w + len);
	if (!w)
		return -ENOMEM;
	w->conn = k;
	w->len = len;
	memcpy(w->data, data, len);
	uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
	int rc = uv_write(&w->req, (uv_stream_t *)k->tcp, &b, 1, write_done);
	if (rc < 0) {
		free(w);
		return rc;
	}
	k->writes_pending++;
	if (k->c)
		k->c->bytes_out += len;
	return 0;
}

/* Moves whatever TLS wrote into the memory BIO to the socket. */
static int tls_flush(struct hat__ws_conn *k)
{
	char buf[16384];
	int n;
	while ((n = BIO_read(k->wbio, buf, sizeof buf)) > 0) {
		int rc = raw_write(k, buf, (size_t)n);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int conn_write(struct hat__ws_conn *k, const void *data, size_t len)
{
	if (!k->ssl)
		return raw_write(k, data, len);
	const uint8_t *p = data;
	while (len > 0) {
		int chunk = len > 65536 ? 65536 : (int)len;
		int n = SSL_write(k->ssl, p, chunk);
		if (n <= 0)
			return -EPROTO;
		p += n;
		len -= (size_t)n;
	}
	return tls_flush(k);
}

/* Writes the core's pending output; ends the connection when the close handshake is over. */
static void pump_out(struct hat__ws_conn *k)
{
	if (k->state == CS_DEAD)
		return;
	int rc = hat_ws_proto_flush(&k->proto);
	if (rc == 0 && k->proto.out.len) {
		rc = conn_write(k, k->proto.out.data, k->proto.out.len);
		hat_buf_reset(&k->proto.out);
	}
	if (rc < 0) {
		conn_end(k, rc, false, "send failed: %s", hat_strerror(rc));
		return;
	}
	if (hat_ws_proto_done(&k->proto) && !k->proto.failed)
		conn_end(k, 0, true, "closed (peer code %u, ours %u)", k->proto.close_received,
			 k->proto.close_sent);
}

static void on_proto_text(void *user, const char *data, size_t len, uint64_t recv_ns)
{
	struct hat__ws_conn *k = user;
	if (k->state == CS_OPEN && k->c && k->c->cbs.on_text)
		k->c->cbs.on_text(k->c->user, data, len, recv_ns);
}

static void on_proto_pong(void *user, uint64_t recv_ns)
{
	struct hat__ws_conn *k = user;
	if (k->state == CS_OPEN && k->c && k->c->cbs.on_pong)
		k->c->cbs.on_pong(k->c->user, recv_ns);
}

static void feed_ws(struct hat__ws_conn *k, const uint8_t *data, size_t len)
{
	int rc = hat_ws_proto_feed(&k->proto, data, len, k->now_ns);
	if (k->state == CS_DEAD)
		return; /* a callback aborted */
	if (rc == -EMSGSIZE) {
		pump_out(k);
		conn_end(k, -EMSGSIZE, true, "message over %zu bytes: closed with 1009", k->proto.max_msg);
	} else if (rc == -EPIPE) {
		/* Bytes after the close frame: ignore. */
	} else if (rc < 0) {
		pump_out(k);
		conn_end(k, rc, true, "protocol error: %s", hat_strerror(rc));
	} else {
		pump_out(k);
	}
}

static void on_plain(struct hat__ws_conn *k, const char *data, size_t len)
{
	if (k->state == CS_HANDSHAKE) {
		hat_buf_append(&k->hs, data, len);
		if (!hat_buf_ok(&k->hs)) {
			conn_end(k, -ENOMEM, false, "out of memory in handshake");
			return;
		}
		size_t used = 0;
		int status = 0;
		char err[200];
		int rc = hat_ws_check_response(k->hs.data, k->hs.len, k->key, &used, &status, err,
					       sizeof err);
		if (rc == -EAGAIN)
			return;
		if (rc < 0) {
			conn_end(k, -EPROTO, false, "%s", err);
			return;
		}
		uv_timer_stop(&k->timer);
		k->state = CS_OPEN;
		if (k->c) {
			k->c->opens++;
			if (k->c->cbs.on_open)
				k->c->cbs.on_open(k->c->user);
		}
		if (k->state != CS_OPEN && k->state != CS_CLOSING)
			return;
		if (k->hs.len > used)
			feed_ws(k, (const uint8_t *)k->hs.data + used, k->hs.len - used);
		hat_buf_free(&k->hs);
		return;
	}
	if (k->state == CS_OPEN || k->state == CS_CLOSING)
		feed_ws(k, (const uint8_t *)data, len);
}

static void send_handshake(struct hat__ws_conn *k)
{
	uint8_t nonce[16];
	if (getrandom(nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce) {
		conn_end(k, -EIO, false, "getrandom failed");
		return;
	}
	hat_ws_make_key(nonce, k->key);
	struct hat_buf req = HAT_BUF_INIT;
	hat_ws_build_request(&req, &k->url, k->key, k->extra_headers);
	int rc = hat_buf_ok(&req) ? conn_write(k, req.data, req.len) : -ENOMEM;
	hat_buf_free(&req);
	if (rc < 0) {
		conn_end(k, rc, false, "sending the handshake failed: %s", hat_strerror(rc));
		return;
	}
	k->state = CS_HANDSHAKE;
}

static void tls_error(struct hat__ws_conn *k, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[120] = "";
	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	long vr = SSL_get_verify_result(k->ssl);
	if (vr != X509_V_OK)
		conn_end(k, -EPROTO, false, "tls %s: certificate verify failed: %s", what,
			 X509_verify_cert_error_string(vr));
	else
		conn_end(k, -EPROTO, false, "tls %s failed: %s", what, buf[0] ? buf : "protocol error");
	ERR_clear_error();
}

static void tls_step(struct hat__ws_conn *k)
{
	if (k->state == CS_TLS) {
		int rc = SSL_do_handshake(k->ssl);
		if (tls_flush(k) < 0) {
			conn_end(k, -EPIPE, false, "tls: write failed");
			return;
		}
		if (rc != 1) {
			int e = SSL_get_error(k->ssl, rc);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return;
			tls_error(k, "handshake");
			return;
		}
		send_handshake(k);
		if (k->state == CS_DEAD)
			return;
	}
	for (;;) {
		int n = SSL_read(k->ssl, k->dbuf, sizeof k->dbuf);
		if (n > 0) {
			on_plain(k, k->dbuf, (size_t)n);
			if (k->state == CS_DEAD)
				return;
			continue;
		}
		int e = SSL_get_error(k->ssl, n);
		(void)tls_flush(k);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return;
		if (e == SSL_ERROR_ZERO_RETURN) {
			conn_end(k, hat_ws_proto_done(&k->proto) ? 0 : -EPIPE, false,
				 "tls: peer closed the session");
			return;
		}
		tls_error(k, "read");
		return;
	}
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct hat__ws_conn *k = h->data;
	*buf = uv_buf_init(k->rbuf, sizeof k->rbuf);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	(void)buf;
	struct hat__ws_conn *k = s->data;
	if (k->state == CS_DEAD)
		return;
	if (nread == 0)
		return;
	if (nread < 0) {
		if (nread == UV_EOF) {
			if (k->state == CS_OPEN || k->state == CS_CLOSING) {
				if (hat_ws_proto_done(&k->proto) || k->proto.close_received)
					conn_end(k, 0, false, "closed by peer");
				else
					conn_end(k, -EPIPE, false, "connection closed by peer without a close frame");
			} else {
				conn_end(k, -EPIPE, false, "connection closed by peer during %s",
					 state_name(k->state));
			}
		} else {
			conn_end(k, (int)nread, false, "read failed during %s: %s", state_name(k->state),
				 uv_strerror((int)nread));
		}
		return;
	}
	k->now_ns = hat_clock_now(k->clock);
	if (k->c)
		k->c->bytes_in += (uint64_t)nread;
	if (k->ssl) {
		if (BIO_write(k->rbio, k->rbuf, (int)nread) != (int)nread) {
			conn_end(k, -ENOMEM, false, "tls: BIO_write failed");
			return;
		}
		tls_step(k);
	} else {
		on_plain(k, k->rbuf, (size_t)nread);
	}
}

static void timer_cb(uv_timer_t *t)
{
	struct hat__ws_conn *k = t->data;
	if (k->state == CS_CLOSING)
		conn_end(k, -ETIMEDOUT, false, "no close reply within %u ms", k->close_timeout_ms);
	else
		conn_end(k, -ETIMEDOUT, false, "timed out after %u ms during %s", k->connect_timeout_ms,
			 state_name(k->state));
}

static bool is_ip_literal(const char *h)
{
	unsigned char tmp[16];
	return inet_pton(AF_INET, h, tmp) == 1 || inet_pton(AF_INET6, h, tmp) == 1;
}

static void start_connect(struct hat__ws_conn *k, const struct sockaddr *sa);

static void connect_cb(uv_connect_t *req, int status)
{
	struct hat__ws_conn *k = req->data;
	if (k->state == CS_DEAD)
		return;
	if (status < 0 && k->ai_next && status != UV_ECANCELED) {
		/* Try the host's next address (IPv6 then IPv4, several A records, ...). */
		struct addrinfo *next = k->ai_next;
		k->ai_next = next->ai_next;
		uv_close((uv_handle_t *)k->tcp, tcp_closed);
		k->tcp = NULL;
		start_connect(k, next->ai_addr);
		return;
	}
	if (status < 0) {
		conn_end(k, status, false, "connect to %s:%u failed: %s", k->url.host, k->url.port,
			 uv_strerror(status));
		return;
	}
	uv_tcp_nodelay(k->tcp, 1);
	int rc = uv_read_start((uv_stream_t *)k->tcp, alloc_cb, read_cb);
	if (rc < 0) {
		conn_end(k, rc, false, "uv_read_start failed: %s", uv_strerror(rc));
		return;
	}
	if (!k->ssl) {
		send_handshake(k);
		return;
	}
	k->state = CS_TLS;
	tls_step(k);
}

static void start_connect(struct hat__ws_conn *k, const struct sockaddr *sa)
{
	uv_tcp_t *t = malloc(sizeof *t);
	if (!t) {
		conn_end(k, -ENOMEM, false, "out of memory");
		return;
	}
	int rc = uv_tcp_init(k->c->loop, t);
	if (rc < 0) {
		free(t);
		conn_end(k, rc, false, "uv_tcp_init failed: %s", uv_strerror(rc));
		return;
	}
	k->tcp = t;
	k->tcp->data = k;
	k->refs++;
	k->state = CS_CONNECTING;
	k->creq.data = k;
	rc = uv_tcp_connect(&k->creq, k->tcp, sa, connect_cb);
	if (rc < 0)
		conn_end(k, rc, false, "connect to %s:%u failed: %s", k->url.host, k->url.port,
			 uv_strerror(rc));
}

static void gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct hat__ws_conn *k = req->data;
	k->gai_pending = false;
	if (k->state == CS_DEAD || !k->c) {
		if (res)
			uv_freeaddrinfo(res);
		conn_unref(k);
		return;
	}
	if (status < 0 || !res) {
		conn_end(k, -EHOSTUNREACH, false, "resolving %s failed: %s", k->url.host,
			 uv_strerror(status));
	} else {
		k->ai = res; /* kept: connect_cb tries the next address on failure */
		k->ai_next = res->ai_next;
		res = NULL;
		start_connect(k, k->ai->ai_addr);
	}
	if (res)
		uv_freeaddrinfo(res);
	conn_unref(k);
}

static int make_ssl_ctx(struct hat_ws_client *c, const struct hat_ws_client_opts *o, char *err,
			size_t errlen)
{
	const char *ca = o->ca_file ? o->ca_file : "";
	if (c->ssl_ctx && strcmp(c->ssl_ctx_ca, ca) == 0 && c->ssl_ctx_no_verify == o->tls_no_verify)
		return 0;
	if (c->ssl_ctx)
		SSL_CTX_free(c->ssl_ctx);
	c->ssl_ctx = NULL;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		snprintf(err, errlen, "tls: SSL_CTX_new failed");
		return -EPROTO;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (!o->tls_no_verify) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		int ok = o->ca_file ? SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL)
				    : SSL_CTX_set_default_verify_paths(ctx);
		if (!ok) {
			snprintf(err, errlen, "tls: cannot load CA %s%s", o->ca_file ? "file " : "default paths",
				 o->ca_file ? o->ca_file : "");
			ERR_clear_error();
			SSL_CTX_free(ctx);
			return -EPROTO;
		}
	}
	c->ssl_ctx = ctx;
	snprintf(c->ssl_ctx_ca, sizeof c->ssl_ctx_ca, "%s", ca);
	c->ssl_ctx_no_verify = o->tls_no_verify;
	return 0;
}

void hat_ws_client_init(struct hat_ws_client *c, uv_loop_t *loop,
			const struct hat_ws_client_cbs *cbs, void *user)
{
	memset(c, 0, sizeof *c);
	c->loop = loop;
	c->cbs = *cbs;
	c->user = user;
}

int hat_ws_client_connect(struct hat_ws_client *c, const struct hat_ws_client_opts *o,
			  char *err, size_t errlen)
{
	if (c->conn) {
		snprintf(err, errlen, "ws: a connection is already in progress");
		return -EBUSY;
	}
	struct hat__ws_conn *k = calloc(1, sizeof *k);
	if (!k)
		return -ENOMEM;
	int rc = hat_ws_url_parse(o->url, &k->url, err, errlen);
	if (rc < 0) {
		free(k);
		return rc;
	}
	if (o->extra_headers && !(k->extra_headers = strdup(o->extra_headers))) {
		free(k);
		return -ENOMEM;
	}
	k->c = c;
	k->clock = o->clock ? o->clock : &hat_clock_system;
	k->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : 10000;
	k->close_timeout_ms = o->close_timeout_ms ? o->close_timeout_ms : 2000;
	hat_buf_init(&k->hs);
	static const struct hat_ws_proto_cbs pcbs = {
		.on_text = on_proto_text,
		.on_pong = on_proto_pong,
	};
	if ((rc = hat_ws_proto_init(&k->proto, &pcbs, k, o->max_msg)) < 0) {
		free(k->extra_headers);
		free(k);
		return rc;
	}
	if (k->url.tls) {
		rc = make_ssl_ctx(c, o, err, errlen);
		if (rc == 0 && !(k->ssl = SSL_new(c->ssl_ctx))) {
			snprintf(err, errlen, "tls: SSL_new failed");
			rc = -EPROTO;
		}
		if (rc == 0) {
			k->rbio = BIO_new(BIO_s_mem());
			k->wbio = BIO_new(BIO_s_mem());
			if (!k->rbio || !k->wbio) {
				BIO_free(k->rbio);
				BIO_free(k->wbio);
				snprintf(err, errlen, "tls: BIO_new failed");
				rc = -ENOMEM;
			} else {
				SSL_set_bio(k->ssl, k->rbio, k->wbio);
				SSL_set_connect_state(k->ssl);
				if (!is_ip_literal(k->url.host))
					SSL_set_tlsext_host_name(k->ssl, k->url.host);
				if (!o->tls_no_verify &&
				    !(is_ip_literal(k->url.host)
					      ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(k->ssl), k->url.host)
					      : SSL_set1_host(k->ssl, k->url.host))) {
					snprintf(err, errlen, "tls: cannot set the expected host name");
					rc = -EPROTO;
				}
			}
		}
		if (rc < 0) {
			if (k->ssl)
				SSL_free(k->ssl);
			hat_ws_proto_deinit(&k->proto);
			free(k->extra_headers);
			free(k);
			return rc;
		}
	}
	rc = uv_timer_init(c->loop, &k->timer);
	if (rc < 0) {
		snprintf(err, errlen, "uv_timer_init failed: %s", uv_strerror(rc));
		if (k->ssl)
			SSL_free(k->ssl);
		hat_ws_proto_deinit(&k->proto);
		free(k->extra_headers);
		free(k);
		return rc;
	}
	k->timer.data = k;
	k->timer_inited = true;
	k->refs = 1;
	c->conn = k;
	c->connects++;
	uv_timer_start(&k->timer, timer_cb, k->connect_timeout_ms, 0);

	struct sockaddr_storage ss;
	if (uv_ip4_addr(k->url.host, k->url.port, (struct sockaddr_in *)&ss) == 0 ||
	    uv_ip6_addr(k->url.host, k->url.port, (struct sockaddr_in6 *)&ss) == 0) {
		start_connect(k, (struct sockaddr *)&ss);
		return 0;
	}
	char port[8];
	snprintf(port, sizeof port, "%u", k->url.port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	k->gai.data = k;
	k->state = CS_RESOLVING;
	rc = uv_getaddrinfo(c->loop, &k->gai, gai_cb, k->url.host, port, &hints);
	if (rc < 0) {
		conn_end(k, rc, false, "resolving %s failed: %s", k->url.host, uv_strerror(rc));
		return 0; /* on_close reports it, as for any later failure */
	}
	k->gai_pending = true;
	k->refs++;
	return 0;
}

int hat_ws_client_send_text(struct hat_ws_client *c, const char *data, size_t len)
{
	struct hat__ws_conn *k = c->conn;
	if (!k || k->state != CS_OPEN)
		return -ENOTCONN;
	int rc = hat_ws_proto_send_text(&k->proto, data, len);
	if (rc < 0)
		return rc;
	pump_out(k);
	return 0;
}

int hat_ws_client_ping(struct hat_ws_client *c)
{
	struct hat__ws_conn *k = c->conn;
	if (!k || k->state != CS_OPEN)
		return -ENOTCONN;
	int rc = hat_ws_proto_send_ping(&k->proto, "hat", 3);
	if (rc < 0)
		return rc;
	pump_out(k);
	return 0;
}

int hat_ws_client_close(struct hat_ws_client *c, uint16_t code, const char *reason)
{
	struct hat__ws_conn *k = c->conn;
	if (!k || k->state == CS_DEAD)
		return -ENOTCONN;
	if (k->state != CS_OPEN) {
		conn_end(k, -ECANCELED, false, "closed before the connection was open");
		return 0;
	}
	int rc = hat_ws_proto_send_close(&k->proto, code, reason);
	if (rc < 0) {
		conn_end(k, rc, false, "close failed: %s", hat_strerror(rc));
		return 0;
	}
	k->state = CS_CLOSING;
	uv_timer_start(&k->timer, timer_cb, k->close_timeout_ms, 0);
	pump_out(k);
	return 0;
}

void hat_ws_client_abort(struct hat_ws_client *c)
{
	if (c->conn)
		conn_end(c->conn, -ECANCELED, false, "aborted");
}

bool hat_ws_client_is_open(const struct hat_ws_client *c)
{
	return c->conn && c->conn->state == CS_OPEN;
}

void hat_ws_client_deinit(struct hat_ws_client *c)
{
	if (c->conn) {
		struct hat__ws_conn *k = c->conn;
		k->c = NULL;
		c->conn = NULL;
		conn_end(k, -ECANCELED, false, "client deinit");
	}
	if (c->ssl_ctx)
		SSL_CTX_free(c->ssl_ctx);
	c->ssl_ctx = NULL;
}
