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
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static void send_all(struct ws_ts_conn *c, const void *p, size_t n)
{
	const char *b = p;
	while (n && c->fd >= 0 && c->ssl) {
		int w = SSL_write(c->ssl, b, n > 65536 ? 65536 : (int)n);
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
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
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
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
					c->ssl = NULL;
					if (s->ssl_ctx) {
						/* Blocking handshake with a deadline: the client runs its side
						 * on its own thread. */
						struct timeval tv = { 2, 0 };
						setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
						SSL *ssl = SSL_new(s->ssl_ctx);
						SSL_set_fd(ssl, fd);
						if (SSL_accept(ssl) != 1) {
							atomic_fetch_add(&s->tls_failures, 1);
							ERR_clear_error();
							SSL_free(ssl);
							close(fd);
							fd = -1;
						} else {
							c->ssl = ssl;
						}
					}
					c->fd = fd;
					c->id = id;
					c->hs_done = false;
					hat_buf_init(&c->in);
					if (fd >= 0)
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
			ssize_t got;
			if (c->ssl) {
				int sr = SSL_read(c->ssl, buf, sizeof buf);
				got = sr;
				if (sr > 0)
					hat_buf_append(&c->in, buf, (size_t)sr);
				while (sr > 0 && SSL_pending(c->ssl) > 0 &&
				       (sr = SSL_read(c->ssl, buf, sizeof buf)) > 0)
					hat_buf_append(&c->in, buf, (size_t)sr);
				ERR_clear_error();
			} else {
				got = recv(c->fd, buf, sizeof buf, 0);
				if (got > 0)
					hat_buf_append(&c->in, buf, (size_t)got);
			}
			if (got <= 0) {
				conn_free(s, c);
				continue;
			}
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

static int start(struct ws_ts *s, enum ws_ts_mode mode, const struct ws_ts_hooks *hooks);

int ws_ts_start(struct ws_ts *s, enum ws_ts_mode mode, const struct ws_ts_hooks *hooks)
{
	memset(s, 0, sizeof *s);
	return start(s, mode, hooks);
}

int ws_ts_start_tls(struct ws_ts *s, enum ws_ts_mode mode, const struct ws_ts_hooks *hooks,
		    const char *cert_path, const char *key_path)
{
	memset(s, 0, sizeof *s);
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx || SSL_CTX_use_certificate_file(ctx, cert_path, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
		SSL_CTX_free(ctx);
		return -EINVAL;
	}
	s->ssl_ctx = ctx;
	return start(s, mode, hooks);
}

int ws_ts_make_cert(const char *dir, const char *name, const char *cn, const char *dns,
		    const char *ip)
{
	int rc = -1;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	if (!key || !x)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME *nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, nm);
	char san[256] = "";
	if (dns && ip)
		snprintf(san, sizeof san, "DNS:%s,IP:%s", dns, ip);
	else if (dns || ip)
		snprintf(san, sizeof san, "%s:%s", dns ? "DNS" : "IP", dns ? dns : ip);
	X509V3_CTX v3;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	const char *exts[][2] = { { "basicConstraints", "critical,CA:TRUE" },
				  { "keyUsage", "critical,digitalSignature,keyCertSign" },
				  { "subjectAltName", san } };
	for (size_t i = 0; i < 3; i++) {
		if (!exts[i][1][0])
			continue;
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &v3, exts[i][0], exts[i][1]);
		if (!e)
			goto out;
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (!X509_sign(x, key, EVP_sha256()))
		goto out;
	char path[600];
	snprintf(path, sizeof path, "%s/%s.crt", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		goto out;
	PEM_write_X509(f, x);
	fclose(f);
	snprintf(path, sizeof path, "%s/%s.key", dir, name);
	f = fopen(path, "w");
	if (!f)
		goto out;
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static int start(struct ws_ts *s, enum ws_ts_mode mode, const struct ws_ts_hooks *hooks)
{
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
	snprintf(s->url, sizeof s->url, "%s://127.0.0.1:%u/ws", s->ssl_ctx ? "wss" : "ws", s->port);
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
	SSL_CTX_free(s->ssl_ctx);
	s->ssl_ctx = NULL;
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
