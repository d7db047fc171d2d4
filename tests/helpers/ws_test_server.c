/* tests/helpers/ws_test_server.c -- hostile loopback WebSocket server for tests. */
#include "tests/helpers/ws_test_server.h"

#include "common/ws_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static void send_all(struct ws_ts_conn *c, const void *p, size_t n)
{
	const char *b = p;
	while (n && c->fd >= 0) {
		ssize_t w = send(c->fd, b, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* the peer went away; the read side notices */
		}
		b += w;
		n -= (size_t)w;
	}
}

void ws_ts_send_raw(struct ws_ts_conn *c, const void *p, size_t n)
{
	send_all(c, p, n);
}

void ws_ts_send_frame(struct ws_ts_conn *c, int opcode, bool fin, bool mask, const void *p, size_t n)
{
	uint8_t h[14];
	size_t hl = 2;
	h[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
	uint8_t m = mask ? 0x80 : 0;
	if (n < 126) {
		h[1] = (uint8_t)(m | n);
	} else if (n <= 0xffff) {
		h[1] = m | 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	} else {
		h[1] = m | 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	if (mask) {
		memcpy(h + hl, "\x01\x02\x03\x04", 4);
		hl += 4;
		uint8_t *tmp = malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++)
			tmp[i] = ((const uint8_t *)p)[i] ^ (uint8_t)(1 + i % 4);
		send_all(c, h, hl);
		send_all(c, tmp, n);
		free(tmp);
		return;
	}
	send_all(c, h, hl);
	send_all(c, p, n);
}

void ws_ts_send_text(struct ws_ts_conn *c, const char *t, size_t n)
{
	ws_ts_send_frame(c, 1, true, false, t, n);
}

void ws_ts_send_close(struct ws_ts_conn *c, uint16_t code)
{
	uint8_t p[2] = { (uint8_t)(code >> 8), (uint8_t)code };
	ws_ts_send_frame(c, 8, true, false, p, code ? 2 : 0);
}

static void conn_free(struct ws_ts *s, struct ws_ts_conn *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		atomic_fetch_sub(&s->open_conns, 1);
	}
	c->fd = -1;
	hat_buf_free(&c->in);
}

void ws_ts_drop(struct ws_ts_conn *c)
{
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR); /* the poll loop sees EOF and frees it */
}

/* Handshake on c->in; returns 1 done, 0 need more, -1 drop. */
static int do_handshake(struct ws_ts *s, struct ws_ts_conn *c)
{
	char *end = memmem(c->in.data, c->in.len, "\r\n\r\n", 4);
	if (c->in.len >= 4 && strncmp(c->in.data, "GET ", 4) != 0) {
		const char *bad = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
		send_all(c, bad, strlen(bad));
		return -1;
	}
	if (!end)
		return c->in.len > 16384 ? -1 : 0;
	*end = '\0';
	char key[128] = "";
	char *k = strcasestr(c->in.data, "\r\nSec-WebSocket-Key:");
	if (k) {
		k += 20;
		while (*k == ' ')
			k++;
		size_t n = strcspn(k, "\r\n ");
		if (n < sizeof key)
			memcpy(key, k, n), key[n] = '\0';
	}
	size_t used = (size_t)(end - c->in.data) + 4;
	hat_buf_consume(&c->in, used);
	int mode = atomic_load(&s->mode);
	if (mode == WS_TS_NO_REPLY)
		return 0;
	if (mode == WS_TS_HTTP_403) {
		const char *r = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
		send_all(c, r, strlen(r));
		return -1;
	}
	char accept[HAT_WS_ACCEPT_LEN];
	hat_ws_accept_for_key(key, accept);
	if (mode == WS_TS_BAD_ACCEPT)
		accept[0] = accept[0] == 'A' ? 'B' : 'A';
	char resp[256];
	int rl = snprintf(resp, sizeof resp,
			  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			  "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
	send_all(c, resp, (size_t)rl);
	c->hs_done = true;
	atomic_fetch_add(&s->handshakes, 1);
	if (mode == WS_TS_CLOSE_AFTER_HANDSHAKE)
		return -1;
	if (s->hooks.on_open)
		s->hooks.on_open(s, c);
	return 1;
}

/* Parses client frames in c->in; returns -1 to drop the connection. */
static int do_frames(struct ws_ts *s, struct ws_ts_conn *c)
{
	for (;;) {
		const uint8_t *b = (const uint8_t *)c->in.data;
		size_t n = c->in.len;
		if (n < 2)
			return 0;
		int op = b[0] & 0x0f;
		bool masked = b[1] & 0x80;
		uint64_t len = b[1] & 0x7f;
		size_t hl = 2;
		if (len == 126) {
			if (n < 4)
				return 0;
			len = ((uint64_t)b[2] << 8) | b[3];
			hl = 4;
		} else if (len == 127) {
			if (n < 10)
				return 0;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = (len << 8) | b[2 + i];
			hl = 10;
		}
		if (!masked || len > (1u << 24))
			return -1; /* clients must mask */
		if (n < hl + 4 + len)
			return 0;
		const uint8_t *mk = b + hl;
		char *pl = malloc(len + 1);
		for (uint64_t i = 0; i < len; i++)
			pl[i] = (char)(b[hl + 4 + i] ^ mk[i % 4]);
		pl[len] = '\0';
		hat_buf_consume(&c->in, hl + 4 + len);
		int rc = 0;
		if (op == 1) {
			atomic_fetch_add(&s->texts, 1);
			snprintf(s->last_text, sizeof s->last_text, "%s", pl);
			if (atomic_load(&s->app_pong) && strstr(pl, "\"method\":\"ping\"")) {
				atomic_fetch_add(&s->app_pings, 1);
				ws_ts_send_text(c, "{\"channel\":\"pong\"}", 18);
			}
			if (s->hooks.on_text)
				s->hooks.on_text(s, c, pl, len);
		} else if (op == 9) {
			atomic_fetch_add(&s->ws_pings, 1);
			ws_ts_send_frame(c, 10, true, false, pl, len);
		} else if (op == 8) {
			int code = len >= 2 ? (((uint8_t)pl[0] << 8) | (uint8_t)pl[1]) : 1005;
			atomic_store(&s->last_close_code, code);
			atomic_fetch_add(&s->closes_rx, 1);
			ws_ts_send_frame(c, 8, true, false, pl, len >= 2 ? 2 : 0);
			rc = -1;
		}
		free(pl);
		if (rc < 0)
			return rc;
	}
}

static void *server_main(void *arg)
{
	struct ws_ts *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd pf[WS_TS_MAX_CONNS + 1];
		int map[WS_TS_MAX_CONNS + 1];
		int n = 0;
		pf[n].fd = s->lfd;
		pf[n].events = POLLIN;
		map[n++] = -1;
		pthread_mutex_lock(&s->mu);
		for (int i = 0; i < WS_TS_MAX_CONNS; i++)
			if (s->conns[i].fd >= 0) {
				pf[n].fd = s->conns[i].fd;
				pf[n].events = POLLIN;
				map[n++] = i;
			}
		pthread_mutex_unlock(&s->mu);
		int r = poll(pf, (nfds_t)n, 20);
		if (r <= 0)
			continue;
		pthread_mutex_lock(&s->mu);
		if (pf[0].revents & POLLIN) {
			int fd = accept(s->lfd, NULL, NULL);
			if (fd >= 0) {
				int id = atomic_fetch_add(&s->accepts, 1) + 1;
				int slot = -1;
				for (int i = 0; i < WS_TS_MAX_CONNS; i++)
					if (s->conns[i].fd < 0) {
						slot = i;
						break;
					}
				if (slot < 0 || atomic_load(&s->mode) == WS_TS_CLOSE_ON_ACCEPT) {
					close(fd);
				} else {
					int one = 1;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					struct ws_ts_conn *c = &s->conns[slot];
					c->fd = fd;
					c->id = id;
					c->hs_done = false;
					hat_buf_init(&c->in);
					atomic_fetch_add(&s->open_conns, 1);
				}
			}
		}
		for (int j = 1; j < n; j++) {
			if (!pf[j].revents)
				continue;
			struct ws_ts_conn *c = &s->conns[map[j]];
			if (c->fd != pf[j].fd)
				continue;
			char buf[65536];
			ssize_t got = recv(c->fd, buf, sizeof buf, 0);
			if (got <= 0) {
				conn_free(s, c);
				continue;
			}
			hat_buf_append(&c->in, buf, (size_t)got);
			int rc = 0;
			if (!c->hs_done)
				rc = do_handshake(s, c);
			if (rc >= 0 && c->hs_done && c->fd >= 0)
				rc = do_frames(s, c);
			if (rc < 0)
				conn_free(s, c);
		}
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

int ws_ts_start(struct ws_ts *s, enum ws_ts_mode mode, const struct ws_ts_hooks *hooks)
{
	memset(s, 0, sizeof *s);
	for (int i = 0; i < WS_TS_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	if (hooks)
		s->hooks = *hooks;
	atomic_store(&s->mode, mode);
	pthread_mutex_init(&s->mu, NULL);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return -errno;
	int one = 1;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(s->lfd, 16) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&a, &al) < 0) {
		int e = -errno;
		close(s->lfd);
		return e;
	}
	s->port = ntohs(a.sin_port);
	snprintf(s->url, sizeof s->url, "ws://127.0.0.1:%u/ws", s->port);
	int rc = pthread_create(&s->th, NULL, server_main, s);
	if (rc != 0) {
		close(s->lfd);
		return -rc;
	}
	return 0;
}

void ws_ts_stop(struct ws_ts *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->th, NULL);
	for (int i = 0; i < WS_TS_MAX_CONNS; i++)
		conn_free(s, &s->conns[i]);
	close(s->lfd);
	pthread_mutex_destroy(&s->mu);
}

int ws_ts_broadcast(struct ws_ts *s, const char *t, size_t n)
{
	int k = 0;
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < WS_TS_MAX_CONNS; i++)
		if (s->conns[i].fd >= 0 && s->conns[i].hs_done) {
			ws_ts_send_text(&s->conns[i], t, n);
			k++;
		}
	pthread_mutex_unlock(&s->mu);
	return k;
}

void ws_ts_drop_all(struct ws_ts *s)
{
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < WS_TS_MAX_CONNS; i++)
		ws_ts_drop(&s->conns[i]);
	pthread_mutex_unlock(&s->mu);
}

void ws_ts_last_text(struct ws_ts *s, char *buf, size_t len)
{
	pthread_mutex_lock(&s->mu);
	snprintf(buf, len, "%s", s->last_text);
	pthread_mutex_unlock(&s->mu);
}
