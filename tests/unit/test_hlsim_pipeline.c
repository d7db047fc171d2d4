/* tests/unit/test_hlsim_pipeline.c -- hlsim's two-step request path (tools/hlsim/http.h):
 * /exchange bodies and WebSocket post actions prepared on libuv's thread pool, committed on the
 * loop in request order per connection. Runs the server in a forked child against the fake
 * engine (tests/helpers/hlsim_fake_engine.c), whose prepare sleeps "prepareDelayMs" ms: a slow
 * first request makes later prepares finish first, and the answers must still come in request
 * order (the fake engine numbers orders at commit, so oid 1 answering the first request proves
 * the commit order).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
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

static pid_t child;

static int teardown(void **state)
{
	(void)state;
	if (child > 0)
		tu_kill_wait(child, SIGKILL);
	child = 0;
	return 0;
}

static void on_term(uv_signal_t *h, int sig)
{
	(void)sig;
	uv_close((uv_handle_t *)h, NULL);
	hlsim_server_stop(h->data);
}

/* The child stops the server on SIGTERM, frees everything and exits 0 only if the loop closed
 * cleanly (uv_loop_close == 0); with ASan, a leak makes the exit status nonzero. */
static void start(struct srv *s, const struct hlsim_server_opts *o)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		setenv("UV_THREADPOOL_SIZE", "4", 1);
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
		uv_signal_t term;
		uv_signal_init(&loop, &term);
		term.data = &server;
		uv_signal_start(&term, on_term, SIGTERM);
		if (write(p[1], &server.port, sizeof server.port) != sizeof server.port)
			_exit(4);
		close(p[1]);
		uv_run(&loop, UV_RUN_DEFAULT);
		int closed = hlsim_server_closed(&server);
		hlsim_server_deinit(&server);
		hlsim_engine_free(e);
		int lc = uv_loop_close(&loop);
		exit(closed && lc == 0 ? 0 : 5);
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

/* SIGTERM and the child's exit status (0: clean). */
static int stop(struct srv *s)
{
	int st = tu_kill_wait(s->pid, SIGTERM);
	child = 0;
	return st;
}

static void add_post(struct hat_buf *b, const char *path, const char *body, bool close)
{
	hat_buf_printf(b, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			  "Content-Length: %zu\r\n%s\r\n%s",
		       path, strlen(body), close ? "Connection: close\r\n" : "", body);
}

/* The body of the i-th response (0-based) in text, or NULL. */
static char *nth_body(const char *text, int i, int *status)
{
	const char *p = text;
	for (int k = 0; p && *p; k++) {
		int st = htc_status(p);
		const char *cl = strstr(p, "Content-Length: ");
		const char *end = strstr(p, "\r\n\r\n");
		if (!cl || !end)
			return NULL;
		size_t n = strtoul(cl + 16, NULL, 10);
		const char *body = end + 4;
		if (k == i) {
			*status = st;
			char *r = malloc(n + 1);
			memcpy(r, body, n);
			r[n] = '\0';
			return r;
		}
		p = body + n;
	}
	return NULL;
}

static void expect_body(const char *text, int i, int status, const char *body)
{
	int st = 0;
	char *b = nth_body(text, i, &st);
	assert_non_null(b);
	assert_int_equal(st, status);
	assert_string_equal(b, body);
	free(b);
}

#define ORDER_SLOW "{\"prepareDelayMs\":400,\"action\":{\"type\":\"order\",\"coin\":\"BTC\"}}"
#define ORDER "{\"action\":{\"type\":\"order\",\"coin\":\"ETH\"}}"
#define RESTING(n) "{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{\"statuses\":" \
		   "[{\"resting\":{\"oid\":" #n "}}]}}}"

/* A slow prepare first: the fast ones behind it finish first, yet every answer (exchange, info,
 * 404, 405) comes in request order and the orders are committed in request order. */
static void test_pipelined_answers_in_request_order(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	struct hat_buf req = HAT_BUF_INIT;
	add_post(&req, "/exchange", ORDER_SLOW, false);
	add_post(&req, "/exchange", ORDER, false);
	add_post(&req, "/info", "{\"type\":\"allMids\"}", false);
	add_post(&req, "/nowhere", "{}", false);
	hat_buf_puts(&req, "GET /exchange HTTP/1.1\r\nHost: x\r\n\r\n");
	add_post(&req, "/exchange", ORDER, false);
	add_post(&req, "/exchange", "not json", true);
	int fd = htc_connect(s.port);
	assert_true(fd >= 0);
	assert_int_equal(htc_send(fd, req.data, req.len), 0);
	int closed = 0;
	char *r = htc_read_all(fd, T, &closed);
	assert_int_equal(closed, 1); /* Connection: close on the last one, after every answer */
	close(fd);
	expect_body(r, 0, 200, RESTING(1));
	expect_body(r, 1, 200, RESTING(2));
	expect_body(r, 2, 200, "{\"BTC\":\"100.5\",\"ETH\":\"10.25\"}");
	expect_body(r, 3, 404, "no such endpoint: /nowhere\n");
	expect_body(r, 4, 405, "method GET not allowed: use POST\n");
	expect_body(r, 5, 200, RESTING(3));
	expect_body(r, 6, 400, "body is not JSON");
	int st;
	assert_null(nth_body(r, 7, &st));
	free(r);
	hat_buf_free(&req);
	assert_int_equal(stop(&s), 0);
}

/* A parse error behind a slow request: the good answer first, then the error, then close. */
static void test_parse_error_waits_for_earlier_answers(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	struct hat_buf req = HAT_BUF_INIT;
	add_post(&req, "/exchange", ORDER_SLOW, false);
	hat_buf_puts(&req, "POST /exchange HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	int fd = htc_connect(s.port);
	assert_int_equal(htc_send(fd, req.data, req.len), 0);
	int closed = 0;
	char *r = htc_read_all(fd, T, &closed);
	assert_int_equal(closed, 1);
	close(fd);
	expect_body(r, 0, 200, RESTING(1));
	expect_body(r, 1, 411, "chunked request bodies are not supported: send Content-Length\n");
	free(r);
	hat_buf_free(&req);
	assert_int_equal(stop(&s), 0);
}

/* Reads from fd until needle arrived (or T ms passed); returns everything read (malloc'ed). */
static char *read_until(int fd, const char *needle)
{
	struct hat_buf b = HAT_BUF_INIT;
	uint64_t end = tu_now_ms() + T;
	while (tu_now_ms() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 100) <= 0)
			continue;
		char tmp[4096];
		ssize_t n = read(fd, tmp, sizeof tmp);
		if (n <= 0)
			break;
		hat_buf_append(&b, tmp, (size_t)n);
		if (memmem(b.data, b.len, needle, strlen(needle)))
			break;
	}
	hat_buf_putc(&b, '\0');
	for (size_t i = 0; i + 1 < b.len; i++) /* frames carry binary headers: keep text search */
		if (b.data[i] == '\0')
			b.data[i] = ' ';
	return b.data;
}

/* An upgrade pipelined behind a slow request: the answer, then 101, then a working session. */
static void test_upgrade_behind_pending_request(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	struct hat_buf req = HAT_BUF_INIT;
	add_post(&req, "/exchange", ORDER_SLOW, false);
	hat_buf_puts(&req, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			   "Sec-WebSocket-Version: 13\r\n\r\n");
	/* masked text frames right behind the upgrade: a slow post action, then a ping */
	const char *msgs[] = { "{\"method\":\"post\",\"id\":4,\"request\":{\"type\":\"action\","
			       "\"payload\":" ORDER_SLOW "}}",
			       "{\"method\":\"ping\"}" };
	for (int m = 0; m < 2; m++) {
		size_t n = strlen(msgs[m]);
		uint8_t fr[256] = { 0x81, (uint8_t)(0x80 | n), 1, 2, 3, 4 };
		assert_true(n < 126);
		for (size_t i = 0; i < n; i++)
			fr[6 + i] = (uint8_t)msgs[m][i] ^ fr[2 + i % 4];
		hat_buf_append(&req, fr, 6 + n);
	}
	int fd = htc_connect(s.port);
	assert_int_equal(htc_send(fd, req.data, req.len), 0);
	char *r = read_until(fd, "{\"channel\":\"pong\"}");
	close(fd);
	expect_body(r, 0, 200, RESTING(1));
	const char *up = strstr(r, "HTTP/1.1 101 Switching Protocols\r\n");
	assert_non_null(up);
	assert_true(up > strstr(r, "\"oid\":1"));
	assert_non_null(strstr(up, "Websocket connection established."));
	const char *post = strstr(up, "{\"channel\":\"post\",\"data\":{\"id\":4,\"response\":{"
				      "\"type\":\"action\",\"payload\":" RESTING(2) "}}}");
	assert_non_null(post);
	assert_non_null(strstr(post, "{\"channel\":\"pong\"}"));
	free(r);
	hat_buf_free(&req);
	assert_int_equal(stop(&s), 0);
}

static void send_s(struct wstc *c, const char *s)
{
	assert_int_equal(wstc_send_text(c, s, strlen(s)), 0);
}

static void expect_msg(struct wstc *c, const char *want)
{
	char *m = wstc_recv(c, T);
	assert_non_null(m);
	assert_string_equal(m, want);
	free(m);
}

/* WS: a slow post action, a fast one, a ping and an info post answer in order; ids above 2^53
 * are echoed exactly as sent. */
static void test_ws_posts_in_order_and_exact_ids(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	struct wstc *c;
	assert_int_equal(wstc_connect(&c, s.port, "/ws", NULL), 0);
	expect_msg(c, "Websocket connection established.");
	send_s(c, "{\"method\":\"post\",\"id\":9007199254740993,\"request\":{\"type\":\"action\","
		  "\"payload\":" ORDER_SLOW "}}");
	send_s(c, "{\"method\":\"post\",\"id\":18446744073709551617,\"request\":{\"type\":\"action\","
		  "\"payload\":" ORDER "}}");
	send_s(c, "{\"method\":\"ping\"}");
	send_s(c, "{ \"request\":{\"type\":\"info\",\"payload\":{\"type\":\"allMids\"}},\"id\" : 1e3,"
		  "\"method\":\"post\"}");
	expect_msg(c, "{\"channel\":\"post\",\"data\":{\"id\":9007199254740993,\"response\":{\"type\":"
		      "\"action\",\"payload\":" RESTING(1) "}}}");
	expect_msg(c, "{\"channel\":\"post\",\"data\":{\"id\":18446744073709551617,\"response\":{"
		      "\"type\":\"action\",\"payload\":" RESTING(2) "}}}");
	expect_msg(c, "{\"channel\":\"pong\"}");
	expect_msg(c, "{\"channel\":\"post\",\"data\":{\"id\":1e3,\"response\":{\"type\":\"info\","
		      "\"payload\":{\"type\":\"allMids\",\"data\":{\"BTC\":\"100.5\",\"ETH\":\"10.25\"}}"
		      "}}}");
	wstc_free(c);
	assert_int_equal(stop(&s), 0);
}

/* WS posts (info and action) spend the per-IP REST weight budget like HTTP requests: allMids
 * weighs 2, an order 1; with a budget of 3 the third request is refused, and HTTP sees the
 * budget spent by WS. */
static void test_ws_post_charged_to_rest_budget(void **state)
{
	(void)state;
	struct srv s;
	struct hlsim_server_opts o;
	hlsim_server_opts_default(&o);
	o.rl.rest_weight_per_min = 3;
	start(&s, &o);
	struct wstc *c;
	assert_int_equal(wstc_connect(&c, s.port, "/ws", NULL), 0);
	expect_msg(c, "Websocket connection established.");
	send_s(c, "{\"method\":\"post\",\"id\":1,\"request\":{\"type\":\"info\",\"payload\":"
		  "{\"type\":\"allMids\"}}}");
	send_s(c, "{\"method\":\"post\",\"id\":2,\"request\":{\"type\":\"action\",\"payload\":" ORDER
		  "}}");
	send_s(c, "{\"method\":\"post\",\"id\":3,\"request\":{\"type\":\"action\",\"payload\":" ORDER
		  "}}");
	expect_msg(c, "{\"channel\":\"post\",\"data\":{\"id\":1,\"response\":{\"type\":\"info\","
		      "\"payload\":{\"type\":\"allMids\",\"data\":{\"BTC\":\"100.5\",\"ETH\":\"10.25\"}}"
		      "}}}");
	expect_msg(c, "{\"channel\":\"post\",\"data\":{\"id\":2,\"response\":{\"type\":\"action\","
		      "\"payload\":" RESTING(1) "}}}");
	expect_msg(c, "{\"channel\":\"post\",\"data\":{\"id\":3,\"response\":{\"type\":\"error\","
		      "\"payload\":\"429 rate limited: per-IP weight budget of 3 per minute "
		      "exhausted\"}}}");
	long st;
	char *b = htc_post(s.port, "/info", "{\"type\":\"allMids\"}", &st);
	assert_int_equal(st, 429);
	free(b);
	wstc_free(c);
	assert_int_equal(stop(&s), 0);
}

/* Shutdown while prepares are still running (HTTP and WS): the server stops, every connection
 * closes without its answer, and the process frees everything and exits 0 (no leak, no
 * use after free under ASan). */
static void test_shutdown_with_work_in_flight(void **state)
{
	(void)state;
	struct srv s;
	start_default(&s);
	struct hat_buf req = HAT_BUF_INIT;
	add_post(&req, "/exchange",
		 "{\"prepareDelayMs\":1500,\"action\":{\"type\":\"order\",\"coin\":\"BTC\"}}", false);
	add_post(&req, "/exchange", ORDER, false);
	add_post(&req, "/info", "{\"type\":\"allMids\"}", false);
	int fd = htc_connect(s.port);
	assert_int_equal(htc_send(fd, req.data, req.len), 0);
	struct wstc *c;
	assert_int_equal(wstc_connect(&c, s.port, "/ws", NULL), 0);
	expect_msg(c, "Websocket connection established.");
	send_s(c, "{\"method\":\"post\",\"id\":5,\"request\":{\"type\":\"action\",\"payload\":"
		  "{\"prepareDelayMs\":1500,\"action\":{\"type\":\"order\",\"coin\":\"BTC\"}}}}");
	send_s(c, "{\"method\":\"ping\"}");
	usleep(200 * 1000); /* the requests reach the server (not asserted on) */
	assert_int_equal(stop(&s), 0);
	int closed = 0;
	char *r = htc_read_all(fd, T, &closed);
	assert_int_equal(closed, 1);
	assert_string_equal(r, ""); /* nothing was answered: the first prepare was still running */
	free(r);
	close(fd);
	assert_int_equal(wstc_wait_close(c, T), 1001);
	wstc_free(c);
	hat_buf_free(&req);
}

/* --workers 0: the same answers, all on the loop thread (the previous path). */
static void test_no_workers_same_answers(void **state)
{
	(void)state;
	struct srv s;
	struct hlsim_server_opts o;
	hlsim_server_opts_default(&o);
	o.workers = 0;
	start(&s, &o);
	struct hat_buf req = HAT_BUF_INIT;
	add_post(&req, "/exchange", ORDER_SLOW, false);
	add_post(&req, "/exchange", ORDER, false);
	add_post(&req, "/info", "{\"type\":\"allMids\"}", true);
	int fd = htc_connect(s.port);
	assert_int_equal(htc_send(fd, req.data, req.len), 0);
	int closed = 0;
	char *r = htc_read_all(fd, T, &closed);
	assert_int_equal(closed, 1);
	close(fd);
	expect_body(r, 0, 200, RESTING(1));
	expect_body(r, 1, 200, RESTING(2));
	expect_body(r, 2, 200, "{\"BTC\":\"100.5\",\"ETH\":\"10.25\"}");
	free(r);
	hat_buf_free(&req);
	assert_int_equal(stop(&s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_pipelined_answers_in_request_order, teardown),
		cmocka_unit_test_teardown(test_parse_error_waits_for_earlier_answers, teardown),
		cmocka_unit_test_teardown(test_upgrade_behind_pending_request, teardown),
		cmocka_unit_test_teardown(test_ws_posts_in_order_and_exact_ids, teardown),
		cmocka_unit_test_teardown(test_ws_post_charged_to_rest_budget, teardown),
		cmocka_unit_test_teardown(test_shutdown_with_work_in_flight, teardown),
		cmocka_unit_test_teardown(test_no_workers_same_answers, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
