/* tests/unit/test_hlsim_http_parse.c -- hlsim's HTTP request parser core, without sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"
#include "tools/hlsim/http_parse.h"

#define MAXR 8

struct got {
	int n;
	char path[MAXR][64];
	char body[MAXR][128];
	char method[MAXR][16];
	bool keep_alive[MAXR], upgrade[MAXR];
	char ws_key[MAXR][64];
	int continues;
	int stop_at; /* request number whose callback returns 1 (0: never) */
};

static int on_request(void *user, const struct hlsim_http_request *r)
{
	struct got *g = user;
	assert_true(g->n < MAXR);
	snprintf(g->path[g->n], 64, "%s", r->path);
	snprintf(g->body[g->n], 128, "%.*s", (int)r->body_len, r->body);
	snprintf(g->method[g->n], 16, "%s", r->method_name);
	g->keep_alive[g->n] = r->keep_alive;
	g->upgrade[g->n] = r->upgrade;
	snprintf(g->ws_key[g->n], 64, "%s", r->ws_key);
	g->n++;
	return g->stop_at == g->n;
}

static void on_continue(void *user)
{
	((struct got *)user)->continues++;
}

static void init(struct hlsim_http_parse *p, struct got *g)
{
	struct hlsim_http_limits l;
	hlsim_http_limits_default(&l);
	l.max_url = 64;
	l.max_header_bytes = 512;
	l.max_body = 256;
	struct hlsim_http_parse_cb cb = { on_request, on_continue };
	memset(g, 0, sizeof *g);
	hlsim_http_parse_init(p, &l, &cb, g);
}

static int feed(struct hlsim_http_parse *p, const char *s, size_t *used)
{
	size_t u;
	return hlsim_http_parse_feed(p, s, strlen(s), used ? used : &u);
}

static void test_pipelined_requests_in_order_any_split(void **state)
{
	(void)state;
	const char *in = "POST /info HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
			 "POST /exchange?x=1 HTTP/1.1\r\nContent-Length: 5\r\n\r\n[1,2]"
			 "GET /ws HTTP/1.0\r\n\r\n";
	size_t n = strlen(in);
	for (size_t chunk = 1; chunk <= n; chunk++) {
		struct hlsim_http_parse p;
		struct got g;
		init(&p, &g);
		for (size_t off = 0; off < n; off += chunk) {
			size_t len = n - off < chunk ? n - off : chunk, used;
			assert_int_equal(hlsim_http_parse_feed(&p, in + off, len, &used), 0);
			assert_int_equal(used, len);
		}
		assert_int_equal(g.n, 3);
		assert_string_equal(g.path[0], "/info");
		assert_string_equal(g.body[0], "{}");
		assert_string_equal(g.method[0], "POST");
		assert_true(g.keep_alive[0]);
		assert_string_equal(g.path[1], "/exchange");
		assert_string_equal(g.body[1], "[1,2]");
		assert_string_equal(g.method[2], "GET");
		assert_false(g.keep_alive[2]); /* HTTP/1.0 without keep-alive */
		assert_false(hlsim_http_parse_busy(&p));
		hlsim_http_parse_deinit(&p);
	}
}

static void expect_err(const char *in, int status, const char *text)
{
	struct hlsim_http_parse p;
	struct got g;
	init(&p, &g);
	assert_int_equal(feed(&p, in, NULL), HAT_E_PARSE);
	assert_int_equal(p.err_status, status);
	assert_string_equal(p.err_text, text);
	assert_int_equal(g.n, 0);
	/* the error state sticks */
	assert_int_equal(feed(&p, "GET / HTTP/1.1\r\n\r\n", NULL), HAT_E_PARSE);
	assert_int_equal(g.n, 0);
	hlsim_http_parse_deinit(&p);
}

static void test_errors_name_the_problem(void **state)
{
	(void)state;
	expect_err("POST /info HTTP/1.1\r\n\r\n", 411, "Content-Length is required");
	expect_err("POST /info HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411,
		   "chunked request bodies are not supported: send Content-Length");
	expect_err("POST /info HTTP/1.1\r\nContent-Length: 257\r\n\r\n", 413,
		   "request body exceeds the size limit");
	expect_err("GET /0123456789012345678901234567890123456789012345678901234567890123456789 "
		   "HTTP/1.1\r\n\r\n", 414, "request target exceeds the size limit");
	char big[700];
	int k = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX: ");
	memset(big + k, 'a', 600);
	strcpy(big + k + 600, "\r\n\r\n");
	expect_err(big, 431, "request line and headers exceed the size limit");
	expect_err("GET / HTTP/2.0\r\n\r\n", 505, "HTTP version not supported: use HTTP/1.1");
	expect_err("FOO / HTTP/1.1\r\n\r\n", 400, "malformed request: invalid HTTP method");
	expect_err("POST /info HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
		   "malformed request: unexpected content-length header");
}

static void test_many_small_headers_hit_the_limit(void **state)
{
	(void)state;
	struct hlsim_http_parse p;
	struct got g;
	init(&p, &g);
	assert_int_equal(feed(&p, "GET / HTTP/1.1\r\n", NULL), 0);
	int rc = 0;
	for (int i = 0; i < 200 && rc == 0; i++)
		rc = feed(&p, "a:\r\n", NULL);
	assert_int_equal(rc, HAT_E_PARSE);
	assert_int_equal(p.err_status, 431);
	hlsim_http_parse_deinit(&p);
}

static void test_eof_inside_a_request_is_an_error(void **state)
{
	(void)state;
	struct hlsim_http_parse p;
	struct got g;
	init(&p, &g);
	size_t used;
	assert_int_equal(feed(&p, "POST /info HTTP/1.1\r\nContent-Length: 9\r\n\r\n{\"a", NULL), 0);
	assert_true(hlsim_http_parse_busy(&p));
	assert_int_equal(hlsim_http_parse_feed(&p, NULL, 0, &used), HAT_E_PARSE);
	assert_int_equal(p.err_status, 400);
	assert_string_equal(p.err_text, "connection closed inside a request");
	hlsim_http_parse_deinit(&p);
	/* between requests, EOF is fine */
	init(&p, &g);
	assert_int_equal(feed(&p, "POST /info HTTP/1.1\r\nContent-Length: 0\r\n\r\n", NULL), 0);
	assert_int_equal(hlsim_http_parse_feed(&p, NULL, 0, &used), 0);
	assert_int_equal(g.n, 1);
	hlsim_http_parse_deinit(&p);
}

static void test_upgrade_stops_and_leaves_the_rest(void **state)
{
	(void)state;
	struct hlsim_http_parse p;
	struct got g;
	init(&p, &g);
	g.stop_at = 1;
	const char *hs = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
	char in[512];
	snprintf(in, sizeof in, "%s\x81\x80XYZW", hs);
	size_t used;
	assert_int_equal(hlsim_http_parse_feed(&p, in, strlen(hs) + 6, &used), 0);
	assert_int_equal(used, strlen(hs));
	assert_int_equal(g.n, 1);
	assert_true(g.upgrade[0]);
	assert_string_equal(g.ws_key[0], "dGhlIHNhbXBsZSBub25jZQ==");
	/* once stopped, nothing more is consumed */
	assert_int_equal(feed(&p, "GET / HTTP/1.1\r\n\r\n", &used), 0);
	assert_int_equal(used, 0);
	hlsim_http_parse_deinit(&p);
}

static void test_callback_stop_mid_pipeline(void **state)
{
	(void)state;
	struct hlsim_http_parse p;
	struct got g;
	init(&p, &g);
	g.stop_at = 1;
	const char *one = "GET /a HTTP/1.1\r\nConnection: close\r\n\r\n";
	char in[256];
	snprintf(in, sizeof in, "%sGET /b HTTP/1.1\r\n\r\n", one);
	size_t used;
	assert_int_equal(feed(&p, in, &used), 0);
	assert_int_equal(used, strlen(one));
	assert_int_equal(g.n, 1);
	assert_false(g.keep_alive[0]);
	hlsim_http_parse_deinit(&p);
}

static void test_expect_continue_reported_once(void **state)
{
	(void)state;
	struct hlsim_http_parse p;
	struct got g;
	init(&p, &g);
	assert_int_equal(feed(&p, "POST /info HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n",
			      NULL), 0);
	assert_int_equal(g.continues, 1);
	assert_int_equal(g.n, 0);
	assert_int_equal(feed(&p, "{}", NULL), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.body[0], "{}");
	hlsim_http_parse_deinit(&p);
}

static void test_reason_phrases(void **state)
{
	(void)state;
	assert_string_equal(hlsim_http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(hlsim_http_reason(429), "Too Many Requests");
	assert_string_equal(hlsim_http_reason(299), "Unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelined_requests_in_order_any_split),
		cmocka_unit_test(test_errors_name_the_problem),
		cmocka_unit_test(test_many_small_headers_hit_the_limit),
		cmocka_unit_test(test_eof_inside_a_request_is_an_error),
		cmocka_unit_test(test_upgrade_stops_and_leaves_the_rest),
		cmocka_unit_test(test_callback_stop_mid_pipeline),
		cmocka_unit_test(test_expect_continue_reported_once),
		cmocka_unit_test(test_reason_phrases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
