/* tests/helpers/ws_test_client.c -- blocking WebSocket test client on wslay. */
#include "tests/helpers/ws_test_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wslay/wslay.h>

#include "common/buf.h"
#include "tests/helpers/http_test_client.h"
#include "tests/helpers/test_util.h"

struct msg {
	struct msg *next;
	char *text;
};

struct wstc {
	int fd;
	wslay_event_context_ptr ctx;
	struct msg *head, *tail;
	struct hat_buf pre;   /* bytes after the handshake response, fed to wslay first */
	size_t pre_off;
	int close_code;       /* 0 until closed */
	unsigned pongs;
	unsigned rnd;
};

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                       void *user)
{
	struct wstc *c = user;
	(void)flags;
	if (c->pre_off < c->pre.len) {
		size_t n = c->pre.len - c->pre_off;
		n = n < len ? n : len;
		memcpy(buf, c->pre.data + c->pre_off, n);
		c->pre_off += n;
		return (ssize_t)n;
	}
	ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);
	if (n > 0)
		return n;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (!c->close_code)
		c->close_code = 1006;
	wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
	struct wstc *c = user;
	(void)flags;
	if (htc_send(c->fd, data, len)) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
	struct wstc *c = user;
	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		c->rnd = c->rnd * 1103515245u + 12345u;
		buf[i] = (uint8_t)(c->rnd >> 16);
	}
	return 0;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
                   void *user)
{
	struct wstc *c = user;
	(void)ctx;
	if (a->opcode == WSLAY_CONNECTION_CLOSE) {
		c->close_code = a->status_code ? a->status_code : 1005;
		return;
	}
	if (a->opcode == WSLAY_PONG) {
		c->pongs++;
		return;
	}
	if (a->opcode != WSLAY_TEXT_FRAME)
		return;
	struct msg *m = calloc(1, sizeof *m);
	if (!m)
		return;
	m->text = malloc(a->msg_length + 1);
	if (!m->text) {
		free(m);
		return;
	}
	memcpy(m->text, a->msg, a->msg_length);
	m->text[a->msg_length] = '\0';
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
}

int wstc_connect(struct wstc **out, int port, const char *path, int *status)
{
	if (status)
		*status = 0;
	int fd = htc_connect(port);
	if (fd < 0)
		return -1;
	char req[512];
	int n = snprintf(req, sizeof req,
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			 "Sec-WebSocket-Version: 13\r\n\r\n",
			 path, port);
	struct hat_buf b = HAT_BUF_INIT;
	if (htc_send(fd, req, (size_t)n))
		goto fail;
	uint64_t end = tu_now_ms() + 10000;
	char *hdr_end = NULL;
	while (!hdr_end && tu_now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		char tmp[4096];
		ssize_t r = recv(fd, tmp, sizeof tmp, 0);
		if (r <= 0)
			break;
		hat_buf_append(&b, tmp, (size_t)r);
		hdr_end = strstr(b.data, "\r\n\r\n");
	}
	if (status && b.len)
		*status = htc_status(b.data);
	if (!hdr_end || htc_status(b.data) != 101 ||
	    !strstr(b.data, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
		goto fail;
	struct wstc *c = calloc(1, sizeof *c);
	if (!c)
		goto fail;
	c->fd = fd;
	c->rnd = (unsigned)port;
	size_t used = (size_t)(hdr_end + 4 - b.data);
	hat_buf_append(&c->pre, b.data + used, b.len - used);
	hat_buf_free(&b);
	struct wslay_event_callbacks cb = { recv_cb, send_cb, genmask_cb, NULL, NULL, NULL, on_msg };
	if (wslay_event_context_client_init(&c->ctx, &cb, c)) {
		close(fd);
		hat_buf_free(&c->pre);
		free(c);
		return -1;
	}
	wslay_event_config_set_max_recv_msg_length(c->ctx, 64u << 20);
	*out = c;
	return 0;
fail:
	hat_buf_free(&b);
	close(fd);
	return -1;
}

void wstc_free(struct wstc *c)
{
	if (!c)
		return;
	while (c->head) {
		struct msg *m = c->head;
		c->head = m->next;
		free(m->text);
		free(m);
	}
	wslay_event_context_free(c->ctx);
	hat_buf_free(&c->pre);
	close(c->fd);
	free(c);
}

int wstc_send_frame(struct wstc *c, uint8_t opcode, const void *data, size_t len)
{
	struct wslay_event_msg m = { opcode, data, len };
	if (wslay_event_queue_msg(c->ctx, &m))
		return -1;
	return wslay_event_send(c->ctx) ? -1 : 0;
}

int wstc_send_text(struct wstc *c, const char *s, size_t len)
{
	return wstc_send_frame(c, WSLAY_TEXT_FRAME, s, len);
}

int wstc_send_raw(struct wstc *c, const void *data, size_t len)
{
	return htc_send(c->fd, data, len);
}

/* Reads what arrives within the deadline into the message queue. Returns -1 when the
 * connection is over, 0 otherwise. */
static int pump(struct wstc *c, uint64_t end)
{
	if (c->pre_off >= c->pre.len) {
		uint64_t now = tu_now_ms();
		if (now >= end)
			return 0;
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int r = poll(&p, 1, (int)(end - now) < 50 ? (int)(end - now) : 50);
		if (r <= 0)
			return 0;
	}
	if (wslay_event_recv(c->ctx) != 0) {
		if (!c->close_code)
			c->close_code = 1006;
		return -1;
	}
	wslay_event_send(c->ctx); /* pongs and the close reply */
	return c->close_code && !c->head ? -1 : 0;
}

char *wstc_recv(struct wstc *c, int timeout_ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
	while (!c->head) {
		if (c->close_code || tu_now_ms() >= end)
			return NULL;
		if (pump(c, end) < 0 && !c->head)
			return NULL;
	}
	struct msg *m = c->head;
	c->head = m->next;
	if (!c->head)
		c->tail = NULL;
	char *t = m->text;
	free(m);
	return t;
}

char *wstc_recv_channel(struct wstc *c, const char *channel, int timeout_ms)
{
	char want[128];
	snprintf(want, sizeof want, "\"channel\":\"%s\"", channel);
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		uint64_t now = tu_now_ms();
		if (now >= end)
			return NULL;
		char *t = wstc_recv(c, (int)(end - now));
		if (!t)
			return NULL;
		if (strstr(t, want))
			return t;
		free(t);
	}
}

int wstc_wait_close(struct wstc *c, int timeout_ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
	while (!c->close_code) {
		if (tu_now_ms() >= end)
			return -1;
		pump(c, end);
		while (c->head) {
			struct msg *m = c->head;
			c->head = m->next;
			free(m->text);
			free(m);
		}
		c->tail = NULL;
	}
	return c->close_code;
}

unsigned wstc_pongs(const struct wstc *c)
{
	return c->pongs;
}
