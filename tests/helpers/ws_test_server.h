/* tests/helpers/ws_test_server.h -- a small, deliberately hostile WebSocket server for tests.
 *
 * Runs on 127.0.0.1 (port chosen by the kernel) in its own thread with blocking sockets and
 * poll(2). Per connection it does the opening handshake according to the current mode (which
 * can make it misbehave: close at once, answer with a wrong accept key, never answer, refuse),
 * decodes the client's masked frames (answers pings, records texts and close codes, replies
 * {"channel":"pong"} to {"method":"ping"} when app_pong is set), and lets the test push any
 * text, raw frame or raw bytes. Hooks run on the server thread with the server lock held;
 * functions marked "any thread" take the lock themselves. Test code only (uses cmocka-free
 * plain C so it can also serve e2e tests).
 */
#ifndef HAT_TESTS_WS_TEST_SERVER_H
#define HAT_TESTS_WS_TEST_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

enum ws_ts_mode {
	WS_TS_NORMAL = 0,
	WS_TS_CLOSE_ON_ACCEPT = 1,      /* close the TCP connection right after accept() */
	WS_TS_CLOSE_AFTER_HANDSHAKE = 2,/* complete the handshake, then close the socket */
	WS_TS_BAD_ACCEPT = 3,           /* 101 with a wrong Sec-WebSocket-Accept */
	WS_TS_NO_REPLY = 4,             /* read the request, never answer */
	WS_TS_HTTP_403 = 5,             /* answer 403 Forbidden */
};

#define WS_TS_MAX_CONNS 8

struct ws_ts_conn {
	int fd;               /* -1 when free */
	void *ssl;            /* SSL * when the server runs TLS */
	int id;               /* accept order, from 1 */
	bool hs_done;
	struct hat_buf in;
};

struct ws_ts;
struct ws_ts_hooks {
	void (*on_open)(struct ws_ts *s, struct ws_ts_conn *c);            /* after the handshake */
	void (*on_text)(struct ws_ts *s, struct ws_ts_conn *c, const char *t, size_t n);
	void *user;
};

struct ws_ts {
	int lfd;
	uint16_t port;
	pthread_t th;
	pthread_mutex_t mu;
	atomic_int stop;
	atomic_int mode;              /* enum ws_ts_mode, may change while running */
	atomic_int app_pong;          /* answer {"method":"ping"} with {"channel":"pong"} */
	struct ws_ts_hooks hooks;
	struct ws_ts_conn conns[WS_TS_MAX_CONNS];
	atomic_int accepts, handshakes, texts, ws_pings, app_pings, closes_rx, open_conns;
	atomic_int last_close_code;   /* code of the last client close frame, 0 if none */
	char last_text[4096];         /* last text from a client (under mu) */
	char url[64];                 /* "ws://127.0.0.1:<port>/ws" ("wss://" with TLS) */
	void *ssl_ctx;                /* SSL_CTX * when started with ws_ts_start_tls */
	atomic_int tls_failures;      /* TLS handshakes that failed (client refused us) */
};

/* Starts the server thread. Returns 0 or a negative errno. */
int ws_ts_start(struct ws_ts *s, enum ws_ts_mode mode, const struct ws_ts_hooks *hooks);
/* Same, over TLS with the PEM certificate and key files (see ws_ts_make_cert). */
int ws_ts_start_tls(struct ws_ts *s, enum ws_ts_mode mode, const struct ws_ts_hooks *hooks,
		    const char *cert_path, const char *key_path);

/* Writes a fresh self-signed P-256 certificate for cn (with subjectAltName DNS:dns and
 * IP:ip when not NULL) to dir/<name>.crt and its key to dir/<name>.key. Returns 0 or -1. */
int ws_ts_make_cert(const char *dir, const char *name, const char *cn, const char *dns,
		    const char *ip);

/* Stops the thread and closes every socket. */
void ws_ts_stop(struct ws_ts *s);

/* Server thread (inside hooks) only. Sends a text frame / a frame with any opcode and fin /
 * raw bytes / a close frame (code 0 = none) / drops the TCP connection. */
void ws_ts_send_text(struct ws_ts_conn *c, const char *t, size_t n);
void ws_ts_send_frame(struct ws_ts_conn *c, int opcode, bool fin, bool mask, const void *p, size_t n);
void ws_ts_send_raw(struct ws_ts_conn *c, const void *p, size_t n);
void ws_ts_send_close(struct ws_ts_conn *c, uint16_t code);
void ws_ts_drop(struct ws_ts_conn *c);

/* Any thread: sends a text to every open connection; returns how many got it. */
int ws_ts_broadcast(struct ws_ts *s, const char *t, size_t n);
/* Any thread: closes every connection's socket (no close frame). */
void ws_ts_drop_all(struct ws_ts *s);
/* Any thread: a copy of last_text. */
void ws_ts_last_text(struct ws_ts *s, char *buf, size_t len);

#endif
