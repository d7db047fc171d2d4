/* tests/unit/test_hlsim_net.c -- hlsim's network layer (HTTP, WebSocket, rate limits) over real
 * loopback sockets, against the fake engine (tests/helpers/hlsim_fake_engine.c).
 *
 * Each test forks a child that runs the server on its own libuv loop with the options the test
 * needs, then talks to it as a client; the child is killed at the end of the test.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/helpers/http_test_client.h"
#include "tests/helpers/test_util.h"
#include "tests/helpers/ws_test_client.h"
#include "tools/hlsim/engine.h"
#include "tools/hlsim/server.h"

#define T 10000 /* ms: generous timeouts, never asserted on */

struct srv {
	pid_t pid;
	int port;
};

static pid_t child; /* the running server, killed by teardown when a test fails midway */

static int teardown(void **state)
{
	(void)state;
	if (child > 0)
		tu_kill_wait(child, SIGKILL);
	child = 0;
	return 0;
}

static void start(struct srv *s, const struct hlsim_server_opts *o)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		struct hlsim_options eo = { 0 };
		struct hlsim_engine *e;
		char err[256];
		static struct hlsim_server server;
		if (hlsim_engine_new(&e, &eo, hlsim_now_ms(), err, sizeof err))
			_exit(2);
		uv_loop_t loop;
		uv_loop_init(&loop);
		if (hlsim_server_start(&server, &loop, e, o, err, sizeof err)) {
			fprintf(stderr, "%s\n", err);
			_exit(3);
		}
		if (write(p[1], &server.port, sizeof server.port) != sizeof server.port)
			_exit(4);
		close(p[1]);
		uv_run(&loop, UV_RUN_DEFAULT);
		_exit(0);
	}
	close(p[1]);
	s->pid = child = pid;
	s->port = 0;
	assert_int_equal(read(p[0], &s->port, sizeof s->port), (ssize_t)sizeof s->port);
	close(p[0]);
	assert_true(s->port > 0);
}

static void start_default(struct srv *s)
{
	struct hlsim_server_opts o;
	hlsim_server_opts_default(&o);
	start(s, &o);
}

static void stop(struct srv *s)
{
	tu_kill_wait(s->pid, SIGKILL);
	child = 0;
}

/* A normal request still works: the server keeps serving. */
static void assert_serving(const struct srv *s)
{
	long st;
	char *b = htc_post(s->port, "/info", "{\"type\":\"allMids\"}", &st);
	assert_non_null(b);
	assert_int_equal(st, 200);
	assert_string_equal(b, "{\"BTC\":\"100.5\",\"ETH\":\"10.25\"}");
	free(b);
}

/* Sends raw bytes on a fresh connection and returns everything until the server closes. */
static char *raw(const struct srv *s, const char *req, size_t len, int shut_wr)
{
	int fd = htc_connect(s->port);
	assert_true(fd >= 0);
	htc_send(fd, req, len);
	if (shut_wr)
		shutdown(fd, SHUT_WR);
	int closed;
	char *r = htc_read_all(fd, T, &closed);
	assert_int_equal(closed, 1);
	close(fd);
	return r;
}

static char *raw_s(const struct srv *s, const char *req)
{
	return raw(s, req, strlen(req), 0);
}

/* ---------------------------------------------------------------- HTTP */

static void test_http_info_via_curl(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	assert_serving(&s);
	long st;
	char *b = htc_post(s.port, "/info", "{\"type\":\"l2Book\",\"coin\":\"ETH\"}", &st);
	assert_int_equal(st, 200);
	assert_non_null(strstr(b, "\"coin\":\"ETH\""));
	free(b);
	b = htc_post(s.port, "/info", "{\"type\":\"nope\"}", &st);
	assert_int_equal(st, 422);
	assert_string_equal(b, "Failed to deserialize the JSON body into the target type");
	free(b);
	b = htc_post(s.port, "/exchange", "{\"action\":{\"type\":\"order\",\"coin\":\"BTC\"}}", &st);
	assert_int_equal(st, 200);
	assert_string_equal(b, "{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":"
			       "{\"statuses\":[{\"resting\":{\"oid\":1}}]}}}");
	free(b);
	stop(&s);
}

static void test_http_pipelined_responses_in_order(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	int fd = htc_connect(s.port);
	const char *one = "POST /info HTTP/1.1\r\nHost: x\r\nContent-Length: 18\r\n\r\n{\"type\":\"allMids\"}";
	const char *two = "POST /exchange HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n"
			  "{\"action\":{\"type\":\"order\",\"coin\":\"BTC\"}}";
	const char *three = "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n";
	char all[1024];
	snprintf(all, sizeof all, "%s%s%s%s", one, two, two, three);
	assert_int_equal(htc_send(fd, all, strlen(all)), 0);
	char *r = htc_read_responses(fd, 4, T);
	const char *a = strstr(r, "{\"BTC\":\"100.5\"");
	const char *b = strstr(r, "{\"oid\":1}");
	const char *c = strstr(r, "{\"oid\":2}");
	const char *d = strstr(r, "HTTP/1.1 404 Not Found");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_non_null(d);
	assert_true(a < b && b < c && c < d);
	assert_int_equal(htc_status(r), 200);
	assert_null(strstr(r, "Connection: close"));
	free(r);
	/* the same connection keeps serving */
	assert_int_equal(htc_send(fd, one, strlen(one)), 0);
	r = htc_read_responses(fd, 1, T);
	assert_int_equal(htc_status(r), 200);
	free(r);
	close(fd);
	stop(&s);
}

static void test_http_byte_by_byte(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	int fd = htc_connect(s.port);
	const char *one = "POST /info HTTP/1.1\r\nHost: x\r\nContent-Length: 18\r\n\r\n{\"type\":\"allMids\"}";
	for (size_t i = 0; one[i]; i++)
		assert_int_equal(htc_send(fd, one + i, 1), 0);
	char *r = htc_read_responses(fd, 1, T);
	assert_int_equal(htc_status(r), 200);
	assert_non_null(strstr(r, "\r\n\r\n{\"BTC\":\"100.5\",\"ETH\":\"10.25\"}"));
	free(r);
	close(fd);
	stop(&s);
}

static void expect_error(const struct srv *s, const char *req, int status, const char *text)
{
	char *r = raw_s(s, req);
	assert_int_equal(htc_status(r), status);
	if (!strstr(r, text))
		fail_msg("response to %.40s... lacks '%s': %s", req, text, r);
	assert_non_null(strstr(r, "Connection: close"));
	free(r);
	assert_serving(s);
}

static void test_http_error_statuses(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	expect_error(&s, "BLAH / HTTP/1.1\r\n\r\n", 400, "malformed request: invalid HTTP method");
	expect_error(&s, "GET /info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405,
		     "method GET not allowed: use POST");
	expect_error(&s, "POST /nope HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
		     404, "no such endpoint: /nope");
	expect_error(&s, "POST /info HTTP/1.1\r\nHost: x\r\n\r\n", 411, "Content-Length is required");
	expect_error(&s, "POST /info HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
		     411, "chunked request bodies are not supported: send Content-Length");
	expect_error(&s, "POST /info HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413,
		     "request body exceeds the size limit");
	expect_error(&s, "POST /info HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400,
		     "malformed request");
	expect_error(&s, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n", 426,
		     "/ws takes WebSocket upgrades only");
	expect_error(&s, "POST /ws HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405,
		     "method POST not allowed");
	/* huge header block */
	size_t n = 40000;
	char *big = malloc(n + 100);
	int k = snprintf(big, 100, "POST /info HTTP/1.1\r\nX-Big: ");
	memset(big + k, 'a', n);
	strcpy(big + k + n, "\r\n\r\n");
	expect_error(&s, big, 431, "request line and headers exceed the size limit");
	/* huge URL */
	k = snprintf(big, 100, "GET /");
	memset(big + k, 'a', 5000);
	strcpy(big + k + 5000, " HTTP/1.1\r\n\r\n");
	expect_error(&s, big, 414, "request target exceeds the size limit");
	free(big);
	stop(&s);
}

static void test_http_truncated_body_then_eof_is_400(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	const char *req = "POST /info HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"type\":";
	char *r = raw(&s, req, strlen(req), 1);
	assert_int_equal(htc_status(r), 400);
	assert_non_null(strstr(r, "connection closed inside a request"));
	free(r);
	assert_serving(&s);
	stop(&s);
}

static void test_http_slowloris_gets_408(void **state)
{
	(void)state;
	struct hlsim_server_opts o;
	hlsim_server_opts_default(&o);
	o.http_timeout_ms = 300;
	struct srv s;
	start(&s, &o);
	int fd = htc_connect(s.port);
	htc_send(fd, "POST /info HTTP/1.1\r\nX-Slow: ", 29);
	int closed;
	char *r = htc_read_all(fd, T, &closed);
	assert_int_equal(closed, 1);
	assert_int_equal(htc_status(r), 408);
	assert_non_null(strstr(r, "request not complete within 300 ms"));
	free(r);
	close(fd);
	assert_serving(&s);
	stop(&s);
}

static void test_http_engine_failure_is_500(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	long st;
	char *b = htc_post(s.port, "/info", "{\"type\":\"boom\"}", &st);
	assert_int_equal(st, 500);
	assert_string_equal(b, "internal error\n");
	free(b);
	assert_serving(&s);
	stop(&s);
}

static void test_http_expect_continue(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	int fd = htc_connect(s.port);
	const char *h = "POST /info HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 18\r\n\r\n";
	htc_send(fd, h, strlen(h));
	char buf[64] = "";
	ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
	assert_true(n > 0);
	assert_string_equal(buf, "HTTP/1.1 100 Continue\r\n\r\n");
	htc_send(fd, "{\"type\":\"allMids\"}", 18);
	char *r = htc_read_responses(fd, 1, T);
	assert_int_equal(htc_status(r), 200);
	free(r);
	close(fd);
	stop(&s);
}

static void test_http_rest_weight_limit_429(void **state)
{
	(void)state;
	struct hlsim_server_opts o;
	hlsim_server_opts_default(&o);
	o.rl.rest_weight_per_min = 10; /* allMids weighs 2: five requests */
	struct srv s;
	start(&s, &o);
	int ok = 0, limited = 0;
	for (int i = 0; i < 20; i++) {
		long st;
		char *b = htc_post(s.port, "/info", "{\"type\":\"allMids\"}", &st);
		assert_non_null(b);
		if (st == 200) {
			ok++;
		} else {
			assert_int_equal(st, 429);
			assert_string_equal(b, "{\"code\":429,\"msg\":\"rate limited: per-IP weight "
					       "budget of 10 per minute exhausted\",\"data\":null}");
			limited++;
		}
		if (i < 5)
			assert_int_equal(st, 200);
		free(b);
	}
	/* The bucket refills 10 per minute; a slow machine may earn one or two more. */
	assert_true(ok >= 5 && ok <= 8);
	assert_int_equal(ok + limited, 20);
	stop(&s);
}

/* ---------------------------------------------------------------- WebSocket */

static struct wstc *ws(const struct srv *s)
{
	struct wstc *c;
	int st;
	assert_int_equal(wstc_connect(&c, s->port, "/ws", &st), 0);
	assert_int_equal(st, 101);
	char *g = wstc_recv(c, T);
	assert_non_null(g);
	assert_string_equal(g, "Websocket connection established.");
	free(g);
	return c;
}

static void send_s(struct wstc *c, const char *s)
{
	assert_int_equal(wstc_send_text(c, s, strlen(s)), 0);
}

static void expect_msg(struct wstc *c, const char *want)
{
	char *m = wstc_recv(c, T);
	if (!m)
		fail_msg("no message, wanted %s", want);
	if (strcmp(m, want))
		fail_msg("got %s\nwanted %s", m, want);
	free(m);
}

static void test_ws_upgrade_errors(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	expect_error(&s, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
		     426, "unsupported Sec-WebSocket-Version '8'");
	expect_error(&s, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
		     400, "missing or malformed Sec-WebSocket-Key");
	expect_error(&s, "GET /other HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		     404, "no such endpoint: /other");
	stop(&s);
}

static void test_ws_ping_pong(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	struct wstc *c = ws(&s);
	send_s(c, "{\"method\":\"ping\"}");
	expect_msg(c, "{\"channel\":\"pong\"}");
	assert_int_equal(wstc_send_frame(c, 9, "hi", 2), 0); /* protocol ping frame */
	send_s(c, "{\"method\":\"ping\"}");
	expect_msg(c, "{\"channel\":\"pong\"}");
	assert_int_equal(wstc_pongs(c), 1);
	send_s(c, "{\"method\":\"dance\"}");
	expect_msg(c, "{\"channel\":\"error\",\"data\":\"Unknown method: dance\"}");
	send_s(c, "{not json");
	expect_msg(c, "{\"channel\":\"error\",\"data\":\"Error parsing JSON into valid websocket "
		      "request: {not json\"}");
	wstc_free(c);
	stop(&s);
}

static void test_ws_subscribe_ack_snapshot_and_errors(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	struct wstc *c = ws(&s);
	send_s(c, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"l2Book\",\"coin\":\"BTC\"}}");
	expect_msg(c, "{\"channel\":\"subscriptionResponse\",\"data\":{\"method\":\"subscribe\","
		      "\"subscription\":{\"type\":\"l2Book\",\"coin\":\"BTC\"}}}");
	expect_msg(c, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\",\"time\":1700000000000,"
		      "\"levels\":[[{\"px\":\"100.0\",\"sz\":\"1.0\",\"n\":1}],"
		      "[{\"px\":\"101.0\",\"sz\":\"2.0\",\"n\":1}]]}}");
	/* the same subscription with the keys in another order */
	send_s(c, "{\"method\":\"subscribe\",\"subscription\":{\"coin\":\"BTC\",\"type\":\"l2Book\"}}");
	expect_msg(c, "{\"channel\":\"error\",\"data\":\"Already subscribed: "
		      "{\\\"coin\\\":\\\"BTC\\\",\\\"type\\\":\\\"l2Book\\\"}\"}");
	send_s(c, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"l2Book\",\"coin\":\"NOPE\"}}");
	expect_msg(c, "{\"channel\":\"error\",\"data\":\"Invalid subscription "
		      "{\\\"type\\\":\\\"l2Book\\\",\\\"coin\\\":\\\"NOPE\\\"}\"}");
	send_s(c, "{\"method\":\"unsubscribe\",\"subscription\":{\"type\":\"l2Book\",\"coin\":\"BTC\"}}");
	expect_msg(c, "{\"channel\":\"subscriptionResponse\",\"data\":{\"method\":\"unsubscribe\","
		      "\"subscription\":{\"type\":\"l2Book\",\"coin\":\"BTC\"}}}");
	send_s(c, "{\"method\":\"unsubscribe\",\"subscription\":{\"type\":\"l2Book\",\"coin\":\"BTC\"}}");
	expect_msg(c, "{\"channel\":\"error\",\"data\":\"Already unsubscribed: "
		      "{\\\"type\\\":\\\"l2Book\\\",\\\"coin\\\":\\\"BTC\\\"}\"}");
	send_s(c, "{\"method\":\"subscribe\"}");
	expect_msg(c, "{\"channel\":\"error\",\"data\":\"Invalid subscription: missing subscription "
		      "object\"}");
	/* trades has no snapshot: only the ack */
	send_s(c, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"trades\",\"coin\":\"ETH\"}}");
	expect_msg(c, "{\"channel\":\"subscriptionResponse\",\"data\":{\"method\":\"subscribe\","
		      "\"subscription\":{\"type\":\"trades\",\"coin\":\"ETH\"}}}");
	send_s(c, "{\"method\":\"ping\"}");
	expect_msg(c, "{\"channel\":\"pong\"}");
	wstc_free(c);
	stop(&s);
}

static void test_ws_fanout_routes_by_coin_user_and_aggregation(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	struct wstc *a = ws(&s), *b = ws(&s);
	send_s(a, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"trades\",\"coin\":\"BTC\"}}");
	char *m = wstc_recv_channel(a, "subscriptionResponse", T);
	free(m);
	send_s(a, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"l2Book\",\"coin\":\"BTC\","
		  "\"nSigFigs\":3}}");
	m = wstc_recv_channel(a, "subscriptionResponse", T);
	free(m);
	m = wstc_recv_channel(a, "l2Book", T);
	assert_non_null(strstr(m, "\"agg\":3"));
	free(m);
	send_s(b, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"orderUpdates\",\"user\":"
		  "\"0x1111111111111111111111111111111111111111\"}}");
	m = wstc_recv_channel(b, "subscriptionResponse", T);
	free(m);
	send_s(b, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"trades\",\"coin\":\"ETH\"}}");
	m = wstc_recv_channel(b, "subscriptionResponse", T);
	free(m);
	long st;
	char *r = htc_post(s.port, "/exchange", "{\"action\":{\"type\":\"order\",\"coin\":\"BTC\"}}", &st);
	assert_int_equal(st, 200);
	free(r);
	expect_msg(a, "{\"channel\":\"trades\",\"data\":[{\"coin\":\"BTC\",\"side\":\"B\","
		      "\"px\":\"100.0\",\"sz\":\"1.0\",\"time\":1700000000000,\"tid\":1}]}");
	m = wstc_recv(a, T);
	assert_non_null(m);
	assert_non_null(strstr(m, "{\"channel\":\"l2Book\",\"data\":{\"coin\":\"BTC\""));
	assert_non_null(strstr(m, "\"agg\":3")); /* its own aggregated book */
	free(m);
	expect_msg(b, "{\"channel\":\"orderUpdates\",\"data\":[{\"order\":{\"coin\":\"BTC\",\"oid\":1},"
		      "\"status\":\"open\"}]}");
	/* nothing else reached either: ETH trades and allMids were not subscribed */
	send_s(a, "{\"method\":\"ping\"}");
	expect_msg(a, "{\"channel\":\"pong\"}");
	send_s(b, "{\"method\":\"ping\"}");
	expect_msg(b, "{\"channel\":\"pong\"}");
	wstc_free(a);
	wstc_free(b);
	stop(&s);
}

static void test_ws_post_info_and_action(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	struct wstc *c = ws(&s);
	send_s(c, "{\"method\":\"post\",\"id\":7,\"request\":{\"type\":\"info\",\"payload\":"
		  "{\"type\":\"allMids\"}}}");
	expect_msg(c, "{\"channel\":\"post\",\"data\":{\"id\":7,\"response\":{\"type\":\"info\","
		      "\"payload\":{\"type\":\"allMids\",\"data\":{\"BTC\":\"100.5\",\"ETH\":\"10.25\"}}}}}");
	send_s(c, "{\"method\":\"post\",\"id\":12345678901,\"request\":{\"type\":\"action\",\"payload\":"
		  "{\"action\":{\"type\":\"order\",\"coin\":\"ETH\"},\"nonce\":1}}}");
	expect_msg(c, "{\"channel\":\"post\",\"data\":{\"id\":12345678901,\"response\":{\"type\":"
		      "\"action\",\"payload\":{\"status\":\"ok\",\"response\":{\"type\":\"order\","
		      "\"data\":{\"statuses\":[{\"resting\":{\"oid\":1}}]}}}}}}");
	send_s(c, "{\"method\":\"post\",\"id\":8,\"request\":{\"type\":\"info\",\"payload\":"
		  "{\"type\":\"what\"}}}");
	expect_msg(c, "{\"channel\":\"post\",\"data\":{\"id\":8,\"response\":{\"type\":\"error\","
		      "\"payload\":\"422 Failed to deserialize the JSON body into the target type\"}}}");
	send_s(c, "{\"method\":\"post\",\"id\":9,\"request\":{\"type\":\"explorer\",\"payload\":{}}}");
	expect_msg(c, "{\"channel\":\"error\",\"data\":\"Invalid post request: request.type must be "
		      "\\\"info\\\" or \\\"action\\\" and request.payload an object id=9\"}");
	send_s(c, "{\"method\":\"post\",\"request\":{\"type\":\"info\",\"payload\":{}}}");
	expect_msg(c, "{\"channel\":\"error\",\"data\":\"Invalid post request: id must be a number\"}");
	wstc_free(c);
	stop(&s);
}

static void test_ws_close_codes(void **state)
{
	(void)state;
	struct hlsim_server_opts o;
	hlsim_server_opts_default(&o);
	o.ws_max_msg = 4096;
	struct srv s;
	start(&s, &o);
	struct wstc *c = ws(&s);
	assert_int_equal(wstc_send_frame(c, 2, "\x01\x02", 2), 0);
	assert_int_equal(wstc_wait_close(c, T), 1003);
	wstc_free(c);
	assert_serving(&s);

	c = ws(&s);
	assert_int_equal(wstc_send_text(c, "{\"method\":\"\xff\xfe\"}", 16), 0);
	assert_int_equal(wstc_wait_close(c, T), 1007);
	wstc_free(c);
	c = ws(&s);
	/* an overlong encoding of '/' and a lone surrogate are invalid too */
	assert_int_equal(wstc_send_text(c, "\xc0\xaf", 2), 0);
	assert_int_equal(wstc_wait_close(c, T), 1007);
	wstc_free(c);
	c = ws(&s);
	assert_int_equal(wstc_send_text(c, "\xed\xa0\x80", 3), 0);
	assert_int_equal(wstc_wait_close(c, T), 1007);
	wstc_free(c);
	/* valid multi-byte UTF-8 is fine */
	c = ws(&s);
	send_s(c, "{\"method\":\"ping\",\"x\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
	expect_msg(c, "{\"channel\":\"pong\"}");
	wstc_free(c);

	c = ws(&s);
	char *big = malloc(10000);
	memset(big, ' ', 10000);
	assert_int_equal(wstc_send_text(c, big, 10000), 0);
	assert_int_equal(wstc_wait_close(c, T), 1009);
	free(big);
	wstc_free(c);
	assert_serving(&s);
	stop(&s);
}

static void test_ws_idle_timeout_closes(void **state)
{
	(void)state;
	struct hlsim_server_opts o;
	hlsim_server_opts_default(&o);
	o.ws_idle_ms = 300;
	struct srv s;
	start(&s, &o);
	struct wstc *c = ws(&s);
	assert_int_equal(wstc_wait_close(c, T), 1000);
	wstc_free(c);
	assert_serving(&s);
	stop(&s);
}

static void test_ws_connection_and_message_limits(void **state)
{
	(void)state;
	struct hlsim_server_opts o;
	hlsim_server_opts_default(&o);
	o.rl.ws_conns = 2;
	o.rl.ws_msgs_per_min = 3;
	o.rl.ws_subs = 1;
	struct srv s;
	start(&s, &o);
	struct wstc *a = ws(&s), *b = ws(&s), *c = NULL;
	int st;
	assert_int_equal(wstc_connect(&c, s.port, "/ws", &st), -1);
	assert_int_equal(st, 429);
	send_s(a, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"trades\",\"coin\":\"BTC\"}}");
	char *m = wstc_recv_channel(a, "subscriptionResponse", T);
	free(m);
	send_s(b, "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"trades\",\"coin\":\"ETH\"}}");
	expect_msg(b, "{\"channel\":\"error\",\"data\":\"Cannot subscribe: too many subscriptions "
		      "(limit 1)\"}");
	send_s(b, "{\"method\":\"ping\"}");
	expect_msg(b, "{\"channel\":\"pong\"}");
	send_s(b, "{\"method\":\"ping\"}");
	expect_msg(b, "{\"channel\":\"error\",\"data\":\"rate limited: more than 3 messages per "
		      "minute\"}");
	wstc_free(a);
	/* a's slot is free again once the server has seen it close */
	for (int i = 0; i < 200 && !c; i++) {
		if (wstc_connect(&c, s.port, "/ws", &st))
			usleep(10000);
	}
	assert_non_null(c);
	wstc_free(b);
	wstc_free(c);
	stop(&s);
}

static void test_ws_distinct_users_limit(void **state)
{
	(void)state;
	struct hlsim_server_opts o;
	hlsim_server_opts_default(&o);
	o.rl.ws_users = 2;
	struct srv s;
	start(&s, &o);
	struct wstc *a = ws(&s), *b = ws(&s);
#define SUBU "{\"method\":\"subscribe\",\"subscription\":{\"type\":\"%s\",\"user\":\"0x%040d\"}}"
	char m[256];
	snprintf(m, sizeof m, SUBU, "orderUpdates", 1);
	send_s(a, m);
	free(wstc_recv_channel(a, "subscriptionResponse", T));
	snprintf(m, sizeof m, SUBU, "userFills", 2);
	send_s(b, m);
	free(wstc_recv_channel(b, "subscriptionResponse", T));
	free(wstc_recv_channel(b, "userFills", T)); /* its snapshot */
	/* a third user from the same IP is refused, another stream of a followed user is not */
	snprintf(m, sizeof m, SUBU, "userEvents", 3);
	send_s(b, m);
	expect_msg(b, "{\"channel\":\"error\",\"data\":\"Cannot track more than 2 total users.\"}");
	snprintf(m, sizeof m, SUBU, "userEvents", 1);
	send_s(b, m);
	char *r = wstc_recv(b, T);
	assert_non_null(strstr(r, "subscriptionResponse"));
	free(r);
	wstc_free(a);
	wstc_free(b);
	stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_http_info_via_curl, teardown),
		cmocka_unit_test_teardown(test_http_pipelined_responses_in_order, teardown),
		cmocka_unit_test_teardown(test_http_byte_by_byte, teardown),
		cmocka_unit_test_teardown(test_http_error_statuses, teardown),
		cmocka_unit_test_teardown(test_http_truncated_body_then_eof_is_400, teardown),
		cmocka_unit_test_teardown(test_http_slowloris_gets_408, teardown),
		cmocka_unit_test_teardown(test_http_engine_failure_is_500, teardown),
		cmocka_unit_test_teardown(test_http_expect_continue, teardown),
		cmocka_unit_test_teardown(test_http_rest_weight_limit_429, teardown),
		cmocka_unit_test_teardown(test_ws_upgrade_errors, teardown),
		cmocka_unit_test_teardown(test_ws_ping_pong, teardown),
		cmocka_unit_test_teardown(test_ws_subscribe_ack_snapshot_and_errors, teardown),
		cmocka_unit_test_teardown(test_ws_fanout_routes_by_coin_user_and_aggregation, teardown),
		cmocka_unit_test_teardown(test_ws_post_info_and_action, teardown),
		cmocka_unit_test_teardown(test_ws_close_codes, teardown),
		cmocka_unit_test_teardown(test_ws_idle_timeout_closes, teardown),
		cmocka_unit_test_teardown(test_ws_connection_and_message_limits, teardown),
		cmocka_unit_test_teardown(test_ws_distinct_users_limit, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
