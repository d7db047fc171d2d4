/* tests/e2e/test_hlsim_hostile.c -- the real hlsim against hostile input over real sockets.
 *
 * Malformed HTTP (bad request line, huge headers, truncated bodies, slowloris), malformed JSON,
 * unknown action types, oversized WebSocket messages, invalid UTF-8 and binary frames: each gets
 * the right HTTP status (with a plain-text reason) or WebSocket close code, and the server keeps
 * serving: a keep-alive client connected before the abuse answers after every case, and so does
 * a new connection. One hlsim for the whole file (a short request timeout, a 64 KiB WS limit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/helpers/hlsim_proc.h"
#include "tests/helpers/http_test_client.h"
#include "tests/helpers/test_util.h"
#include "tests/helpers/ws_test_client.h"

#define T 10000

struct fx {
	struct hlsim_proc p;
	int keep; /* keep-alive connection opened before any abuse */
};

static const char mids_req[] =
	"POST /info HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 18\r\n"
	"\r\n{\"type\":\"allMids\"}";

static int setup(void **state)
{
	static struct fx f;
	const char *args[] = { "--http-timeout-ms", "400", "--ws-max-msg", "65536",
			       "--rl-ws-new-conns", "0", "--rl-ws-conns", "0", NULL };
	hp_start(&f.p, hp_config_quiet, args);
	f.keep = htc_connect(f.p.port);
	assert_true(f.keep >= 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	close(f->keep);
	hp_stop(&f->p);
	return 0;
}

/* The keep-alive client and a new client are both still served. */
static void assert_serving(struct fx *f)
{
	assert_int_equal(htc_send(f->keep, mids_req, sizeof mids_req - 1), 0);
	char *r = htc_read_responses(f->keep, 1, T);
	assert_int_equal(htc_status(r), 200);
	assert_non_null(strstr(r, "\"BTC\":"));
	free(r);
	hp_assert_serving(&f->p);
}

static char *raw(struct fx *f, const char *req, size_t len, bool shut_wr)
{
	int fd = htc_connect(f->p.port);
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

static void expect(struct fx *f, const char *req, size_t len, bool shut_wr, int status,
                   const char *text)
{
	char *r = raw(f, req, len, shut_wr);
	if (htc_status(r) != status || !strstr(r, text))
		fail_msg("wanted %d with '%s', got:\n%s", status, text, r);
	free(r);
	assert_serving(f);
}

static void expect_s(struct fx *f, const char *req, int status, const char *text)
{
	expect(f, req, strlen(req), false, status, text);
}

static void test_bad_request_lines(void **state)
{
	struct fx *f = *state;
	expect_s(f, "HELLO\r\n\r\n", 400, "malformed request");
	expect_s(f, "GET /info HTTP/9.9\r\n\r\n", 505, "HTTP version not supported");
	expect_s(f, "POST /info FTP/1.1\r\n\r\n", 400, "malformed request");
	expect(f, "\x00\x01\x02\xff\r\n\r\n", 8, false, 400, "malformed request");
	expect_s(f, "PUT /exchange HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
		 405, "method PUT not allowed: use POST");
	expect_s(f, "POST /admin HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", 404,
		 "no such endpoint: /admin");
}

static void test_huge_headers_and_bodies(void **state)
{
	struct fx *f = *state;
	size_t n = 200000;
	char *big = malloc(n + 200);
	int k = snprintf(big, 200, "POST /info HTTP/1.1\r\n");
	for (size_t i = 0; i < n / 20; i++)
		k += snprintf(big + k, 30, "X-H%06zu: aaaaaaa\r\n", i);
	k += snprintf(big + k, 10, "\r\n");
	expect(f, big, (size_t)k, false, 431, "request line and headers exceed the size limit");
	k = snprintf(big, 100, "GET /");
	memset(big + k, 'x', 100000);
	k += 100000;
	k += snprintf(big + k, 20, " HTTP/1.1\r\n\r\n");
	expect(f, big, (size_t)k, false, 414, "request target exceeds the size limit");
	expect_s(f, "POST /exchange HTTP/1.1\r\nContent-Length: 1073741824\r\n\r\n{", 413,
		 "request body exceeds the size limit");
	expect_s(f, "POST /exchange HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n", 411,
		 "chunked request bodies are not supported");
	expect_s(f, "POST /exchange HTTP/1.1\r\nHost: x\r\n\r\n", 411, "Content-Length is required");
	free(big);
}

static void test_truncated_body_and_slowloris(void **state)
{
	struct fx *f = *state;
	const char *req = "POST /exchange HTTP/1.1\r\nContent-Length: 500\r\n\r\n{\"action\":";
	expect(f, req, strlen(req), true, 400, "connection closed inside a request");
	/* half a request, then silence: the request timeout answers 408 */
	expect(f, req, strlen(req), false, 408, "request not complete within 400 ms");
	expect_s(f, "POST /info HTTP/1.1\r\nHost", 408, "request not complete within 400 ms");
	/* a slow drip of header bytes does not reset the request timer */
	int fd = htc_connect(f->p.port);
	const char *drip = "POST /info HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	int closed = 0;
	char all[8192] = "";
	/* Keep everything read: under load the answer and the close may come in separate reads. */
	for (size_t i = 0; drip[i] && !closed; i++) {
		if (htc_send(fd, drip + i, 1))
			break;
		char *r = htc_read_all(fd, 50, &closed);
		strncat(all, r ? r : "", sizeof all - strlen(all) - 1);
		free(r);
	}
	if (!closed) {
		char *r = htc_read_all(fd, T, &closed);
		strncat(all, r ? r : "", sizeof all - strlen(all) - 1);
		free(r);
	}
	assert_int_equal(closed, 1);
	assert_non_null(strstr(all, "HTTP/1.1 408 Request Timeout"));
	close(fd);
	assert_serving(f);
}

static void test_malformed_json_and_unknown_actions(void **state)
{
	struct fx *f = *state;
	long st;
	char *r = htc_post(f->p.port, "/info", "{\"type\":", &st);
	assert_int_equal(st, 400);
	assert_string_equal(r, "Failed to parse the request body as JSON");
	free(r);
	r = htc_post(f->p.port, "/exchange", "\xff\xfe{", &st);
	assert_int_equal(st, 400);
	free(r);
	r = htc_post(f->p.port, "/info", "{\"type\":\"bogus\"}", &st);
	assert_int_equal(st, 422);
	assert_string_equal(r, "Failed to deserialize the JSON body into the target type: unknown "
			       "variant `bogus`");
	free(r);
	r = htc_post(f->p.port, "/exchange", "{\"action\":{\"type\":\"fly\"},\"nonce\":1,\"signature\":"
					     "{\"r\":\"0x1\",\"s\":\"0x2\",\"v\":27}}", &st);
	assert_int_equal(st, 422);
	assert_string_equal(r, "Failed to deserialize the JSON body into the target type: action: "
			       "unknown variant `fly`");
	free(r);
	r = htc_post(f->p.port, "/exchange", "[1,2,3]", &st);
	assert_int_equal(st, 422);
	free(r);
	/* deep nesting does not crash the parser */
	char deep[20002];
	memset(deep, '[', 10000);
	memset(deep + 10000, ']', 10000);
	deep[20000] = '\0';
	r = htc_post(f->p.port, "/info", deep, &st);
	assert_true(st == 400 || st == 422);
	free(r);
	assert_serving(f);
}

static struct wstc *ws(struct fx *f)
{
	struct wstc *c;
	int st;
	assert_int_equal(wstc_connect(&c, f->p.port, "/ws", &st), 0);
	char *g = wstc_recv(c, T);
	assert_non_null(g);
	free(g);
	return c;
}

static void test_ws_hostile_frames(void **state)
{
	struct fx *f = *state;
	struct wstc *c = ws(f);
	size_t n = 70000;
	char *big = malloc(n);
	memset(big, 'a', n);
	assert_int_equal(wstc_send_text(c, big, n), 0);
	assert_int_equal(wstc_wait_close(c, T), 1009);
	wstc_free(c);
	assert_serving(f);

	/* a frame header announcing 2^40 bytes: refused at its first payload bytes */
	c = ws(f);
	const unsigned char huge_hdr[] = { 0x81, 0xff, 0, 0, 0x01, 0, 0, 0, 0, 0, 1, 2, 3, 4,
					   'a', 'b', 'c', 'd' };
	assert_int_equal(wstc_send_raw(c, huge_hdr, sizeof huge_hdr), 0);
	assert_int_equal(wstc_wait_close(c, T), 1009);
	wstc_free(c);

	c = ws(f);
	assert_int_equal(wstc_send_text(c, "{\"method\":\"ping\",\"x\":\"\xc3\x28\"}", 26), 0);
	assert_int_equal(wstc_wait_close(c, T), 1007);
	wstc_free(c);

	c = ws(f);
	assert_int_equal(wstc_send_frame(c, 2, big, 100), 0);
	assert_int_equal(wstc_wait_close(c, T), 1003);
	wstc_free(c);

	/* an unmasked client frame is a protocol error (1002) */
	c = ws(f);
	const unsigned char unmasked[] = { 0x81, 0x02, '{', '}' };
	assert_int_equal(wstc_send_raw(c, unmasked, sizeof unmasked), 0);
	assert_int_equal(wstc_wait_close(c, T), 1002);
	wstc_free(c);

	/* malformed JSON over WS is answered on the error channel, the session goes on */
	c = ws(f);
	assert_int_equal(wstc_send_text(c, "{\"method\":", 10), 0);
	char *m = wstc_recv(c, T);
	assert_string_equal(m, "{\"channel\":\"error\",\"data\":\"Error parsing JSON into valid "
			       "websocket request: {\\\"method\\\":\"}");
	free(m);
	assert_int_equal(wstc_send_text(c, "{\"method\":\"ping\"}", 17), 0);
	m = wstc_recv(c, T);
	assert_string_equal(m, "{\"channel\":\"pong\"}");
	free(m);
	wstc_free(c);
	free(big);
	assert_serving(f);
}

static void test_garbage_storm_then_serving(void **state)
{
	struct fx *f = *state;
	int fds[16];
	unsigned x = 12345;
	for (int i = 0; i < 16; i++) {
		fds[i] = htc_connect(f->p.port);
		assert_true(fds[i] >= 0);
		char junk[4096];
		for (size_t j = 0; j < sizeof junk; j++) {
			x = x * 1103515245u + 12345u;
			junk[j] = (char)(x >> 16);
		}
		if (i % 2)
			memcpy(junk, "POST /info HTTP/1.1\r\n", 21);
		htc_send(fds[i], junk, sizeof junk);
	}
	assert_serving(f);
	for (int i = 0; i < 16; i++) {
		int closed;
		char *r = htc_read_all(fds[i], T, &closed);
		assert_int_equal(closed, 1);
		assert_int_equal(htc_status(r), 400);
		free(r);
		close(fds[i]);
	}
	assert_serving(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_request_lines),
		cmocka_unit_test(test_huge_headers_and_bodies),
		cmocka_unit_test(test_truncated_body_and_slowloris),
		cmocka_unit_test(test_malformed_json_and_unknown_actions),
		cmocka_unit_test(test_ws_hostile_frames),
		cmocka_unit_test(test_garbage_storm_then_serving),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
