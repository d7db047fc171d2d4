/* tests/unit/test_ws_client.c -- WebSocket client: URL and handshake (I/O-free), the framing
 * core driven with byte arrays, and the libuv client against a hostile loopback server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/ws_client.h"
#include "tests/helpers/test_util.h"
#include "tests/helpers/ws_test_server.h"

/* ---------------------------------------------------------------- URL */

static void expect_url(const char *s, bool tls, const char *host, unsigned port, const char *path,
		       const char *hosthdr)
{
	struct hat_ws_url u;
	char err[256] = "";
	assert_int_equal(hat_ws_url_parse(s, &u, err, sizeof err), 0);
	assert_int_equal(u.tls, tls);
	assert_string_equal(u.host, host);
	assert_int_equal(u.port, port);
	assert_string_equal(u.path, path);
	assert_string_equal(u.host_header, hosthdr);
}

static void expect_url_err(const char *s, const char *why)
{
	struct hat_ws_url u;
	char err[256] = "";
	assert_int_equal(hat_ws_url_parse(s, &u, err, sizeof err), HAT_E_PARSE);
	if (!strstr(err, why))
		fail_msg("url %s: error \"%s\" lacks \"%s\"", s, err, why);
}

static void test_ws_url_parse(void **state)
{
	(void)state;
	expect_url("wss://api.hyperliquid.xyz/ws", true, "api.hyperliquid.xyz", 443, "/ws",
		   "api.hyperliquid.xyz");
	expect_url("ws://127.0.0.1:8080/ws", false, "127.0.0.1", 8080, "/ws", "127.0.0.1:8080");
	expect_url("ws://h", false, "h", 80, "/", "h");
	expect_url("WS://h:80?x=1", false, "h", 80, "/?x=1", "h");
	expect_url("wss://[::1]:9443/a/b?c", true, "::1", 9443, "/a/b?c", "[::1]:9443");
	expect_url_err("http://h/ws", "scheme must be ws:// or wss://");
	expect_url_err("ws:///ws", "empty host");
	expect_url_err("ws://h:/ws", "empty port");
	expect_url_err("ws://h:0/", "port must be 1-65535");
	expect_url_err("ws://h:65536/", "port must be 1-65535");
	expect_url_err("ws://h:8x/", "port must be 1-65535");
	expect_url_err("ws://u:p@h/", "user info");
	expect_url_err("ws://h/ws#frag", "fragments");
	expect_url_err("ws://[::1/ws", "unterminated");
	expect_url_err("ws://h/a b", "bad character in path");
	expect_url_err(NULL, "missing");
}

/* ---------------------------------------------------------------- handshake */

static void test_ws_accept_rfc_vector(void **state)
{
	(void)state;
	char acc[HAT_WS_ACCEPT_LEN];
	assert_int_equal(hat_ws_accept_for_key("dGhlIHNhbXBsZSBub25jZQ==", acc), 0);
	assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="); /* RFC 6455 section 1.3 */
	uint8_t nonce[16] = "the sample nonce";
	char key[HAT_WS_KEY_LEN];
	hat_ws_make_key(nonce, key);
	assert_string_equal(key, "dGhlIHNhbXBsZSBub25jZQ==");
}

static void test_ws_build_request(void **state)
{
	(void)state;
	struct hat_ws_url u;
	assert_int_equal(hat_ws_url_parse("ws://127.0.0.1:9000/ws", &u, NULL, 0), 0);
	struct hat_buf b = HAT_BUF_INIT;
	hat_ws_build_request(&b, &u, "dGhlIHNhbXBsZSBub25jZQ==", "User-Agent: hat\r\n");
	assert_string_equal(b.data, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nUpgrade: websocket\r\n"
				    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				    "Sec-WebSocket-Version: 13\r\nUser-Agent: hat\r\n\r\n");
	hat_buf_free(&b);
}

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="
static void test_ws_check_response(void **state)
{
	(void)state;
	char err[256];
	size_t used = 0;
	int status;
	const char *good = "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
			   "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi";
	size_t glen = strlen(good);
	assert_int_equal(hat_ws_check_response(good, glen, KEY, &used, &status, err, sizeof err), 0);
	assert_int_equal(used, glen - 4);
	assert_int_equal(status, 101);
	/* Every prefix short of the blank line needs more bytes. */
	for (size_t n = 0; n < glen - 4; n++)
		assert_int_equal(hat_ws_check_response(good, n, KEY, &used, &status, err, sizeof err), -EAGAIN);
	const char *bad = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(hat_ws_check_response(bad, strlen(bad), KEY, &used, &status, err, sizeof err), -EPROTO);
	assert_int_equal(status, 403);
	assert_non_null(strstr(err, "\"HTTP/1.1 403 Forbidden\", expected 101"));
	const char *wrong = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			    "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
	assert_int_equal(hat_ws_check_response(wrong, strlen(wrong), KEY, &used, &status, err, sizeof err), -EPROTO);
	assert_non_null(strstr(err, "does not match the key"));
	const char *noup = "HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n"
			   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	assert_int_equal(hat_ws_check_response(noup, strlen(noup), KEY, &used, &status, err, sizeof err), -EPROTO);
	assert_non_null(strstr(err, "Upgrade: websocket"));
	assert_int_equal(hat_ws_check_response("SSH-2.0-x\r\n", 11, KEY, &used, &status, err, sizeof err), -EPROTO);
	assert_non_null(strstr(err, "not an HTTP response"));
}

/* ---------------------------------------------------------------- framing core */

struct rx {
	char texts[8][256];
	uint64_t stamps[8];
	int n_text, n_pong, n_close;
	uint16_t close_code;
};

static void rx_text(void *user, const char *d, size_t n, uint64_t recv_ns)
{
	struct rx *r = user;
	if (r->n_text < 8) {
		snprintf(r->texts[r->n_text], 256, "%.*s", (int)n, d);
		r->stamps[r->n_text] = recv_ns;
	}
	r->n_text++;
}
static void rx_pong(void *user, uint64_t recv_ns) { (void)recv_ns; ((struct rx *)user)->n_pong++; }
static void rx_close(void *user, uint16_t code, const char *reason, size_t n)
{
	(void)reason; (void)n;
	struct rx *r = user;
	r->n_close++;
	r->close_code = code;
}
static int fixed_mask(uint8_t *buf, size_t len, void *user)
{
	(void)user;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(0xa0 + i);
	return 0;
}

static const struct hat_ws_proto_cbs rx_cbs = { .on_text = rx_text, .on_pong = rx_pong,
						 .on_peer_close = rx_close };

static void test_ws_proto_text_split_anywhere(void **state)
{
	(void)state;
	/* Two text frames, the second fragmented into two frames (continuation). */
	const uint8_t wire[] = { 0x81, 5, 'h', 'e', 'l', 'l', 'o', 0x01, 2, '{', '"', 0x80, 1, '}' };
	for (size_t cut = 0; cut <= sizeof wire; cut++) {
		struct hat_ws_proto p;
		struct rx r = { 0 };
		assert_int_equal(hat_ws_proto_init(&p, &rx_cbs, &r, 0), 0);
		assert_int_equal(hat_ws_proto_feed(&p, wire, cut, 100), 0);
		assert_int_equal(hat_ws_proto_feed(&p, wire + cut, sizeof wire - cut, 200), 0);
		assert_int_equal(r.n_text, 2);
		assert_string_equal(r.texts[0], "hello");
		assert_string_equal(r.texts[1], "{\"}");
		/* The stamp is that of the feed that completed the message. */
		assert_true(r.stamps[0] == (cut >= 7 ? 100u : 200u));
		assert_true(r.stamps[1] == (cut == sizeof wire ? 100u : 200u));
		assert_int_equal(p.out.len, 0);
		hat_ws_proto_deinit(&p);
	}
}

/* Decodes one masked client frame at b; returns its payload length and unmasked payload. */
static size_t unmask_frame(const uint8_t *b, size_t n, int *op, char *out)
{
	assert_true(n >= 6);
	assert_true(b[1] & 0x80); /* clients must mask */
	*op = b[0] & 0x0f;
	size_t len = b[1] & 0x7f;
	assert_true(len < 126);
	assert_true(n >= 6 + len);
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(b[6 + i] ^ b[2 + i % 4]);
	out[len] = '\0';
	return len;
}

static void test_ws_proto_ping_pong_and_masked_send(void **state)
{
	(void)state;
	struct hat_ws_proto p;
	struct rx r = { 0 };
	assert_int_equal(hat_ws_proto_init(&p, &rx_cbs, &r, 0), 0);
	p.genmask = fixed_mask;
	const uint8_t ping[] = { 0x89, 2, 'h', 'i' };
	assert_int_equal(hat_ws_proto_feed(&p, ping, sizeof ping, 1), 0);
	char pl[200];
	int op;
	assert_int_equal(p.out.len, 8);
	assert_int_equal(unmask_frame((uint8_t *)p.out.data, p.out.len, &op, pl), 2);
	assert_int_equal(op, 10);
	assert_string_equal(pl, "hi");
	assert_memory_equal(p.out.data + 2, "\xa0\xa1\xa2\xa3", 4);
	hat_buf_reset(&p.out);
	assert_int_equal(hat_ws_proto_send_text(&p, "{\"method\":\"ping\"}", 17), 0);
	assert_int_equal(unmask_frame((uint8_t *)p.out.data, p.out.len, &op, pl), 17);
	assert_int_equal(op, 1);
	assert_string_equal(pl, "{\"method\":\"ping\"}");
	hat_buf_reset(&p.out);
	const uint8_t pong[] = { 0x8a, 0 };
	assert_int_equal(hat_ws_proto_feed(&p, pong, sizeof pong, 1), 0);
	assert_int_equal(r.n_pong, 1);
	assert_int_equal(hat_ws_proto_send_ping(&p, pl, 126), -EINVAL);
	hat_ws_proto_deinit(&p);
}

static void test_ws_proto_oversize_message_closes_1009(void **state)
{
	(void)state;
	struct hat_ws_proto p;
	struct rx r = { 0 };
	assert_int_equal(hat_ws_proto_init(&p, &rx_cbs, &r, 100), 0);
	uint8_t big[4 + 200];
	big[0] = 0x81;
	big[1] = 126;
	big[2] = 0;
	big[3] = 200;
	memset(big + 4, 'x', 200);
	assert_int_equal(hat_ws_proto_feed(&p, big, sizeof big, 1), -EMSGSIZE);
	assert_int_equal(r.n_text, 0);
	assert_int_equal(p.close_sent, HAT_WS_CLOSE_TOO_BIG);
	char pl[200];
	int op;
	assert_int_equal(unmask_frame((uint8_t *)p.out.data, p.out.len, &op, pl), 2);
	assert_int_equal(op, 8);
	assert_int_equal(((uint8_t)pl[0] << 8) | (uint8_t)pl[1], 1009);
	assert_true(hat_ws_proto_done(&p));
	assert_int_equal(hat_ws_proto_feed(&p, big, 2, 1), -EPIPE);
	assert_int_equal(hat_ws_proto_send_text(&p, "x", 1), -EPIPE);
	hat_ws_proto_deinit(&p);
}

static void test_ws_proto_masked_server_frame_is_protocol_error(void **state)
{
	(void)state;
	struct hat_ws_proto p;
	struct rx r = { 0 };
	assert_int_equal(hat_ws_proto_init(&p, &rx_cbs, &r, 0), 0);
	const uint8_t masked[] = { 0x81, 0x82, 1, 2, 3, 4, 'a' ^ 1, 'b' ^ 2 };
	assert_int_equal(hat_ws_proto_feed(&p, masked, sizeof masked, 1), -EPROTO);
	assert_int_equal(r.n_text, 0);
	assert_int_equal(p.close_sent, HAT_WS_CLOSE_PROTOCOL_ERROR);
	hat_ws_proto_deinit(&p);
}

static void test_ws_proto_peer_close_is_answered(void **state)
{
	(void)state;
	struct hat_ws_proto p;
	struct rx r = { 0 };
	assert_int_equal(hat_ws_proto_init(&p, &rx_cbs, &r, 0), 0);
	const uint8_t cl[] = { 0x88, 4, 0x03, 0xe9, 'b', 'y' }; /* 1001 "by" */
	assert_int_equal(hat_ws_proto_feed(&p, cl, sizeof cl, 1), 0);
	assert_int_equal(r.n_close, 1);
	assert_int_equal(r.close_code, 1001);
	assert_int_equal(p.close_received, 1001);
	assert_int_not_equal(p.close_sent, 0);
	assert_true(hat_ws_proto_done(&p));
	hat_ws_proto_deinit(&p);
}

/* ---------------------------------------------------------------- libuv client vs server */

struct cl {
	uv_loop_t loop;
	uv_timer_t tick;
	struct hat_ws_client c;
	int opens, closes, texts, pongs;
	struct hat_ws_close_info why;
	char texts_buf[16][512];
	uint64_t stamps[16];
	const char *send_on_open;
};

static void cl_open(void *user)
{
	struct cl *k = user;
	k->opens++;
	if (k->send_on_open)
		assert_int_equal(hat_ws_client_send_text(&k->c, k->send_on_open, strlen(k->send_on_open)), 0);
}
static void cl_text(void *user, const char *d, size_t n, uint64_t ns)
{
	struct cl *k = user;
	if (k->texts < 16) {
		snprintf(k->texts_buf[k->texts], 512, "%.*s", (int)n, d);
		k->stamps[k->texts] = ns;
	}
	k->texts++;
}
static void cl_pong(void *user, uint64_t ns) { (void)ns; ((struct cl *)user)->pongs++; }
static void cl_close(void *user, const struct hat_ws_close_info *why)
{
	struct cl *k = user;
	k->closes++;
	k->why = *why;
}
static void tick_cb(uv_timer_t *t) { (void)t; }

static void cl_init(struct cl *k)
{
	memset(k, 0, sizeof *k);
	assert_int_equal(uv_loop_init(&k->loop), 0);
	uv_timer_init(&k->loop, &k->tick);
	uv_timer_start(&k->tick, tick_cb, 5, 5);
	static const struct hat_ws_client_cbs cbs = { cl_open, cl_text, cl_pong, cl_close };
	hat_ws_client_init(&k->c, &k->loop, &cbs, k);
}

static void cl_fini(struct cl *k)
{
	hat_ws_client_deinit(&k->c);
	uv_close((uv_handle_t *)&k->tick, NULL);
	while (uv_run(&k->loop, UV_RUN_DEFAULT) != 0)
		;
	assert_int_equal(uv_loop_close(&k->loop), 0);
}

/* Runs the loop until *flag >= want or timeout. */
static void run_until(struct cl *k, const int *flag, int want, int timeout_ms)
{
	uint64_t end = tu_now_ms() + (uint64_t)timeout_ms;
	while (*flag < want && tu_now_ms() < end)
		uv_run(&k->loop, UV_RUN_ONCE);
	if (*flag < want)
		fail_msg("timed out waiting (have %d, want %d)", *flag, want);
}

static void connect_to(struct cl *k, const char *url, size_t max_msg, uint32_t timeout_ms)
{
	struct hat_ws_client_opts o = { .url = url, .max_msg = max_msg, .connect_timeout_ms = timeout_ms,
					.close_timeout_ms = 1000 };
	char err[256] = "";
	assert_int_equal(hat_ws_client_connect(&k->c, &o, err, sizeof err), 0);
}

static void srv_greet(struct ws_ts *s, struct ws_ts_conn *c)
{
	(void)s;
	const char *g = "Websocket connection established.";
	ws_ts_send_text(c, g, strlen(g));
}

static void srv_reply(struct ws_ts *s, struct ws_ts_conn *c, const char *t, size_t n)
{
	(void)s;
	if (strstr(t, "subscribe")) {
		const char *a = "{\"channel\":\"trades\",\"data\":[]}";
		ws_ts_send_text(c, a, strlen(a));
		ws_ts_send_text(c, "{not json", 9);
		char big[3000];
		memset(big, 'y', sizeof big);
		ws_ts_send_text(c, big, sizeof big); /* 126-length encoding */
	}
	(void)n;
}

static void test_ws_client_normal_frames(void **state)
{
	(void)state;
	struct ws_ts s;
	struct ws_ts_hooks h = { .on_open = srv_greet, .on_text = srv_reply };
	assert_int_equal(ws_ts_start(&s, WS_TS_NORMAL, &h), 0);
	struct cl k;
	cl_init(&k);
	k.send_on_open = "{\"method\":\"subscribe\"}";
	uint64_t t0 = (uint64_t)time(NULL) * 1000000000ull;
	connect_to(&k, s.url, 0, 5000);
	assert_int_equal(hat_ws_client_connect(&k.c, &(struct hat_ws_client_opts){ .url = s.url }, NULL, 0), -EBUSY);
	run_until(&k, &k.texts, 4, 5000);
	assert_int_equal(k.opens, 1);
	assert_string_equal(k.texts_buf[0], "Websocket connection established.");
	assert_string_equal(k.texts_buf[1], "{\"channel\":\"trades\",\"data\":[]}");
	assert_string_equal(k.texts_buf[2], "{not json"); /* the client is generic: JSON is not its job */
	assert_int_equal(strlen(k.texts_buf[3]), 511);
	for (int i = 0; i < 4; i++) {
		assert_true(k.stamps[i] >= t0 - 1000000000ull);
		if (i)
			assert_true(k.stamps[i] >= k.stamps[i - 1]);
	}
	char last[256];
	ws_ts_last_text(&s, last, sizeof last);
	assert_string_equal(last, "{\"method\":\"subscribe\"}");
	/* ping -> pong, then a clean close handshake. */
	assert_int_equal(hat_ws_client_ping(&k.c), 0);
	run_until(&k, &k.pongs, 1, 5000);
	assert_int_equal(atomic_load(&s.ws_pings), 1);
	assert_true(hat_ws_client_is_open(&k.c));
	assert_int_equal(hat_ws_client_close(&k.c, 1000, "bye"), 0);
	assert_false(hat_ws_client_is_open(&k.c));
	assert_int_equal(hat_ws_client_send_text(&k.c, "x", 1), -ENOTCONN);
	run_until(&k, &k.closes, 1, 5000);
	assert_int_equal(k.why.err, 0);
	assert_int_equal(k.why.code_sent, 1000);
	assert_int_equal(k.why.code_received, 1000);
	assert_int_equal(atomic_load(&s.last_close_code), 1000);
	assert_true(k.c.bytes_in > 3000 && k.c.bytes_out > 0);
	cl_fini(&k);
	ws_ts_stop(&s);
}

static void srv_flood_big(struct ws_ts *s, struct ws_ts_conn *c)
{
	(void)s;
	ws_ts_send_text(c, "{\"ok\":1}", 8);
	size_t n = 100000;
	char *big = malloc(n);
	memset(big, 'z', n);
	ws_ts_send_text(c, big, n);
	free(big);
}

static void test_ws_client_oversize_frame_closes_1009(void **state)
{
	(void)state;
	struct ws_ts s;
	struct ws_ts_hooks h = { .on_open = srv_flood_big };
	assert_int_equal(ws_ts_start(&s, WS_TS_NORMAL, &h), 0);
	struct cl k;
	cl_init(&k);
	connect_to(&k, s.url, 4096, 5000);
	run_until(&k, &k.closes, 1, 5000);
	assert_int_equal(k.texts, 1);
	assert_int_equal(k.why.err, -EMSGSIZE);
	assert_int_equal(k.why.code_sent, 1009);
	assert_non_null(strstr(k.why.text, "1009"));
	/* The server saw our close frame with 1009 before the socket went. */
	uint64_t end = tu_now_ms() + 5000;
	while (atomic_load(&s.last_close_code) == 0 && tu_now_ms() < end)
		usleep(2000);
	assert_int_equal(atomic_load(&s.last_close_code), 1009);
	cl_fini(&k);
	ws_ts_stop(&s);
}

static void srv_garbage(struct ws_ts *s, struct ws_ts_conn *c)
{
	(void)s;
	ws_ts_send_text(c, "{\"ok\":1}", 8);
	/* Reserved opcode 3 with RSV1 set: a protocol violation. */
	const uint8_t bad[] = { 0xc3, 0x02, 'x', 'y' };
	ws_ts_send_raw(c, bad, sizeof bad);
}

static void test_ws_client_protocol_violation_closes_1002(void **state)
{
	(void)state;
	struct ws_ts s;
	struct ws_ts_hooks h = { .on_open = srv_garbage };
	assert_int_equal(ws_ts_start(&s, WS_TS_NORMAL, &h), 0);
	struct cl k;
	cl_init(&k);
	connect_to(&k, s.url, 0, 5000);
	run_until(&k, &k.closes, 1, 5000);
	assert_int_equal(k.texts, 1);
	assert_int_equal(k.why.err, -EPROTO);
	assert_int_equal(k.why.code_sent, 1002);
	uint64_t end = tu_now_ms() + 5000;
	while (atomic_load(&s.last_close_code) == 0 && tu_now_ms() < end)
		usleep(2000);
	assert_int_equal(atomic_load(&s.last_close_code), 1002);
	cl_fini(&k);
	ws_ts_stop(&s);
}

static void test_ws_client_server_closes_immediately(void **state)
{
	(void)state;
	struct ws_ts s;
	assert_int_equal(ws_ts_start(&s, WS_TS_CLOSE_ON_ACCEPT, NULL), 0);
	struct cl k;
	cl_init(&k);
	connect_to(&k, s.url, 0, 5000);
	run_until(&k, &k.closes, 1, 5000);
	assert_int_equal(k.opens, 0);
	assert_true(k.why.err == -EPIPE || k.why.err == -ECONNRESET);
	/* After the handshake, then closed without a close frame. */
	atomic_store(&s.mode, WS_TS_CLOSE_AFTER_HANDSHAKE);
	connect_to(&k, s.url, 0, 5000);
	run_until(&k, &k.closes, 2, 5000);
	assert_int_equal(k.opens, 1);
	assert_true(k.why.err == -EPIPE || k.why.err == -ECONNRESET);
	if (k.why.err == -EPIPE)
		assert_non_null(strstr(k.why.text, "without a close frame"));
	assert_int_equal(k.closes, 2); /* exactly one on_close per connection */
	cl_fini(&k);
	ws_ts_stop(&s);
}

static void test_ws_client_bad_handshakes(void **state)
{
	(void)state;
	struct ws_ts s;
	assert_int_equal(ws_ts_start(&s, WS_TS_BAD_ACCEPT, NULL), 0);
	struct cl k;
	cl_init(&k);
	connect_to(&k, s.url, 0, 5000);
	run_until(&k, &k.closes, 1, 5000);
	assert_int_equal(k.opens, 0);
	assert_int_equal(k.why.err, -EPROTO);
	assert_non_null(strstr(k.why.text, "does not match the key"));
	atomic_store(&s.mode, WS_TS_HTTP_403);
	connect_to(&k, s.url, 0, 5000);
	run_until(&k, &k.closes, 2, 5000);
	assert_int_equal(k.why.err, -EPROTO);
	assert_non_null(strstr(k.why.text, "403"));
	atomic_store(&s.mode, WS_TS_NO_REPLY);
	connect_to(&k, s.url, 0, 200);
	run_until(&k, &k.closes, 3, 5000);
	assert_int_equal(k.why.err, -ETIMEDOUT);
	assert_non_null(strstr(k.why.text, "during ws handshake"));
	/* wss:// to a plain server: the TLS handshake fails with a clear error. */
	atomic_store(&s.mode, WS_TS_NORMAL);
	char url[80];
	snprintf(url, sizeof url, "wss://127.0.0.1:%u/ws", s.port);
	connect_to(&k, url, 0, 5000);
	run_until(&k, &k.closes, 4, 5000);
	assert_int_equal(k.why.err, -EPROTO);
	assert_non_null(strstr(k.why.text, "tls"));
	assert_int_equal(k.opens, 0);
	cl_fini(&k);
	ws_ts_stop(&s);
}

static void test_ws_client_refused_and_abort(void **state)
{
	(void)state;
	struct ws_ts s;
	assert_int_equal(ws_ts_start(&s, WS_TS_NORMAL, NULL), 0);
	char url[80];
	snprintf(url, sizeof url, "ws://127.0.0.1:%u/ws", s.port);
	ws_ts_stop(&s); /* nobody listens there now */
	struct cl k;
	cl_init(&k);
	connect_to(&k, url, 0, 5000);
	run_until(&k, &k.closes, 1, 5000);
	assert_int_equal(k.why.err, -ECONNREFUSED);
	assert_non_null(strstr(k.why.text, "connect to 127.0.0.1"));
	/* Abort while connecting: on_close comes from the loop, not from inside abort. */
	connect_to(&k, url, 0, 5000);
	hat_ws_client_abort(&k.c);
	assert_int_equal(k.closes, 1);
	run_until(&k, &k.closes, 2, 5000);
	assert_int_equal(k.why.err, -ECANCELED);
	char err[256] = "";
	struct hat_ws_client_opts bad = { .url = "http://x" };
	assert_int_equal(hat_ws_client_connect(&k.c, &bad, err, sizeof err), HAT_E_PARSE);
	assert_non_null(strstr(err, "scheme"));
	struct hat_ws_client_opts badca = { .url = "wss://127.0.0.1:1/ws", .ca_file = "/nonexistent.pem" };
	assert_int_equal(hat_ws_client_connect(&k.c, &badca, err, sizeof err), -EPROTO);
	assert_non_null(strstr(err, "/nonexistent.pem"));
	cl_fini(&k);
}

/* ---------------------------------------------------------------- TLS */

static void test_ws_client_tls_verifies_certificate_and_host(void **state)
{
	(void)state;
	char dir[256], crt[300], key[300], other[300], okey[300], url[96], err[256];
	tu_tmpdir(dir, sizeof dir);
	assert_int_equal(ws_ts_make_cert(dir, "srv", "localhost", "localhost", "127.0.0.1"), 0);
	assert_int_equal(ws_ts_make_cert(dir, "other", "other.example", "other.example", NULL), 0);
	snprintf(crt, sizeof crt, "%s/srv.crt", dir);
	snprintf(key, sizeof key, "%s/srv.key", dir);
	snprintf(other, sizeof other, "%s/other.crt", dir);
	snprintf(okey, sizeof okey, "%s/other.key", dir);
	struct ws_ts s;
	struct ws_ts_hooks h = { .on_open = srv_greet };
	assert_int_equal(ws_ts_start_tls(&s, WS_TS_NORMAL, &h, crt, key), 0);
	struct cl k;
	cl_init(&k);
	/* Trusted CA, host name by DNS (resolved: localhost) and by IP address: both open. */
	const char *hosts[] = { "localhost", "127.0.0.1" };
	for (int i = 0; i < 2; i++) {
		snprintf(url, sizeof url, "wss://%s:%u/ws", hosts[i], s.port);
		struct hat_ws_client_opts o = { .url = url, .ca_file = crt, .connect_timeout_ms = 5000 };
		assert_int_equal(hat_ws_client_connect(&k.c, &o, err, sizeof err), 0);
		run_until(&k, &k.texts, i + 1, 5000);
		assert_string_equal(k.texts_buf[i], "Websocket connection established.");
		assert_int_equal(hat_ws_client_close(&k.c, 1000, NULL), 0);
		run_until(&k, &k.closes, i + 1, 5000);
		assert_int_equal(k.why.err, 0);
	}
	/* No CA for it (system roots): refused with the verification error. */
	snprintf(url, sizeof url, "wss://localhost:%u/ws", s.port);
	struct hat_ws_client_opts o = { .url = url, .connect_timeout_ms = 5000 };
	assert_int_equal(hat_ws_client_connect(&k.c, &o, err, sizeof err), 0);
	run_until(&k, &k.closes, 3, 5000);
	assert_int_equal(k.why.err, -EPROTO);
	assert_non_null(strstr(k.why.text, "certificate verify failed"));
	assert_int_equal(k.opens, 2);
	ws_ts_stop(&s);
	/* A certificate (trusted) for another name: host name mismatch. */
	assert_int_equal(ws_ts_start_tls(&s, WS_TS_NORMAL, &h, other, okey), 0);
	snprintf(url, sizeof url, "wss://localhost:%u/ws", s.port);
	struct hat_ws_client_opts o2 = { .url = url, .ca_file = other, .connect_timeout_ms = 5000 };
	assert_int_equal(hat_ws_client_connect(&k.c, &o2, err, sizeof err), 0);
	run_until(&k, &k.closes, 4, 5000);
	assert_int_equal(k.why.err, -EPROTO);
	assert_non_null(strstr(k.why.text, "hostname mismatch"));
	assert_int_equal(k.opens, 2);
	/* ... unless verification is off (tests only). */
	o2.tls_no_verify = true;
	assert_int_equal(hat_ws_client_connect(&k.c, &o2, err, sizeof err), 0);
	run_until(&k, &k.opens, 3, 5000);
	hat_ws_client_abort(&k.c);
	run_until(&k, &k.closes, 5, 5000);
	cl_fini(&k);
	ws_ts_stop(&s);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ws_url_parse),
		cmocka_unit_test(test_ws_accept_rfc_vector),
		cmocka_unit_test(test_ws_build_request),
		cmocka_unit_test(test_ws_check_response),
		cmocka_unit_test(test_ws_proto_text_split_anywhere),
		cmocka_unit_test(test_ws_proto_ping_pong_and_masked_send),
		cmocka_unit_test(test_ws_proto_oversize_message_closes_1009),
		cmocka_unit_test(test_ws_proto_masked_server_frame_is_protocol_error),
		cmocka_unit_test(test_ws_proto_peer_close_is_answered),
		cmocka_unit_test(test_ws_client_normal_frames),
		cmocka_unit_test(test_ws_client_oversize_frame_closes_1009),
		cmocka_unit_test(test_ws_client_protocol_violation_closes_1002),
		cmocka_unit_test(test_ws_client_server_closes_immediately),
		cmocka_unit_test(test_ws_client_bad_handshakes),
		cmocka_unit_test(test_ws_client_refused_and_abort),
		cmocka_unit_test(test_ws_client_tls_verifies_certificate_and_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
