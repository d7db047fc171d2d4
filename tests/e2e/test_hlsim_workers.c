/* tests/e2e/test_hlsim_workers.c -- the real hlsim with signer recovery on worker threads
 * (--workers 4): pipelined signed requests on one connection get exactly the answers the
 * single-threaded engine gives for the same bodies in the same order (an in-process engine with
 * the same config is the reference), including bad signatures and nonce reuse: requests of one
 * signer prepared concurrently are committed in request order.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/helpers/hlsim_proc.h"
#include "tests/helpers/http_test_client.h"
#include "tests/helpers/test_util.h"
#include "tests/unit/hlsim_test_util.h"
#include "tools/hlsim/engine.h"
#include <time.h>

#define T 20000 /* ms, never asserted on */
#define MAXB 96

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct bodies {
	struct hat_buf b[MAXB];
	int n;
};

static void order(char *buf, size_t n, const char *px)
{
	snprintf(buf, n,
		 "{\"type\":\"order\",\"orders\":[{\"a\":0,\"b\":true,\"p\":\"%s\",\"s\":\"0.001\","
		 "\"r\":false,\"t\":{\"limit\":{\"tif\":\"Gtc\"}}}],\"grouping\":\"na\"}", px);
}

static struct hat_buf *add(struct bodies *bs)
{
	assert_true(bs->n < MAXB);
	struct hat_buf *b = &bs->b[bs->n++];
	hat_buf_init(b);
	return b;
}

static void add_signed(struct bodies *bs, const struct hl_signer *k, const char *px, uint64_t nonce)
{
	char a[512];
	order(a, sizeof a, px);
	hts_sign_body(k, a, nonce, false, add(bs));
}

/* Replaces the first occurrence of from in b by to (same length). */
static void patch(struct hat_buf *b, const char *from, const char *to)
{
	char *p = strstr(b->data, from);
	assert_non_null(p);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(p, to, strlen(to));
}

/* Replaces the value of "s" in the signature by text (any length). */
static void set_sig_s(struct hat_buf *b, const char *text)
{
	char *p = strstr(b->data, "\"s\":\"0x");
	assert_non_null(p);
	char *end = strchr(p + 5, '"');
	struct hat_buf n = HAT_BUF_INIT;
	hat_buf_append(&n, b->data, (size_t)(p - b->data) + 5);
	hat_buf_puts(&n, text);
	hat_buf_puts(&n, end);
	hat_buf_free(b);
	*b = n;
}

/* Sends every body pipelined on one connection (--workers 4) and compares each answer with the
 * in-process engine's answer to the same body, in the same order. */
static void run_and_compare(struct bodies *bs, char **answers)
{
	struct hlsim_proc p;
	memset(&p, 0, sizeof p);
	const char *extra[] = { "--workers", "4", NULL };
	hp_start(&p, hp_config_quiet, extra);
	struct hlsim_options o = { 0 };
	o.config_path = hp_path(&p, "hlsim.json");
	struct hlsim_engine *e;
	char err[256];
	assert_int_equal(hlsim_engine_new(&e, &o, wall_ms(), err, sizeof err), 0);

	struct hat_buf req = HAT_BUF_INIT;
	for (int i = 0; i < bs->n; i++)
		hat_buf_printf(&req, "POST /exchange HTTP/1.1\r\nHost: x\r\nContent-Type: "
				     "application/json\r\nContent-Length: %zu\r\n\r\n%s",
			       bs->b[i].len, bs->b[i].data);
	int fd = htc_connect(p.port);
	assert_true(fd >= 0);
	assert_int_equal(htc_send(fd, req.data, req.len), 0);
	char *r = htc_read_responses(fd, bs->n, T);
	close(fd);
	assert_non_null(r);

	const char *q = r;
	struct hat_buf want = HAT_BUF_INIT;
	for (int i = 0; i < bs->n; i++) {
		int st = 0;
		unsigned w;
		assert_int_equal(hlsim_exchange(e, bs->b[i].data, bs->b[i].len, wall_ms(), &want,
						&st, &w),
				 0);
		assert_non_null(q);
		int got_st = htc_status(q);
		const char *cl = strstr(q, "Content-Length: ");
		const char *hend = strstr(q, "\r\n\r\n");
		assert_non_null(cl);
		assert_non_null(hend);
		size_t n = strtoul(cl + 16, NULL, 10);
		if (got_st != st || n != want.len || memcmp(hend + 4, want.data, n))
			fail_msg("request %d: got %d %.*s\nwant %d %.*s", i, got_st, (int)n, hend + 4,
				 st, (int)want.len, want.data);
		answers[i] = strndup(hend + 4, n);
		q = hend + 4 + n;
	}
	assert_string_equal(q, ""); /* nothing more */
	hat_buf_free(&want);
	hat_buf_free(&req);
	free(r);
	hlsim_engine_free(e);
	hp_assert_serving(&p);
	hp_stop(&p);
}

static void free_bodies(struct bodies *bs, char **answers)
{
	for (int i = 0; i < bs->n; i++) {
		hat_buf_free(&bs->b[i]);
		free(answers[i]);
	}
}

static void expect(char **answers, int i, const char *want)
{
	if (strcmp(answers[i], want))
		fail_msg("answer %d: got  %s\nwant %s", i, answers[i], want);
}

/* Pairs of requests with the same nonce, pipelined: the first of each pair always rests (oids
 * 1000, 1001, ... in request order), the second always gets "duplicate nonce"; then nonces
 * that go down within the window are accepted, and a repeat of one again refused. */
static void test_nonce_order_is_request_order(void **state)
{
	(void)state;
	struct hl_signer a;
	hp_signer(&a, HP_KEY_A);
	struct bodies bs = { .n = 0 };
	uint64_t n0 = hp_nonce() + 1000;
	for (int i = 0; i < 30; i++) {
		add_signed(&bs, &a, "60000", n0 + (uint64_t)i);
		add_signed(&bs, &a, "60000", n0 + (uint64_t)i);
	}
	add_signed(&bs, &a, "60001", n0 + 100);
	add_signed(&bs, &a, "60001", n0 + 50);
	add_signed(&bs, &a, "60001", n0 + 100);
	char *ans[MAXB];
	run_and_compare(&bs, ans);
	char want[200];
	for (int i = 0; i < 30; i++) {
		snprintf(want, sizeof want, "{\"status\":\"ok\",\"response\":{\"type\":\"order\","
			 "\"data\":{\"statuses\":[{\"resting\":{\"oid\":%d}}]}}}", 1000 + i);
		expect(ans, 2 * i, want);
		snprintf(want, sizeof want, "{\"status\":\"err\",\"response\":\"Invalid nonce: "
			 "duplicate nonce %llu\"}", (unsigned long long)(n0 + (uint64_t)i));
		expect(ans, 2 * i + 1, want);
	}
	assert_non_null(strstr(ans[60], "\"oid\":1030"));
	assert_non_null(strstr(ans[61], "\"oid\":1031"));
	snprintf(want, sizeof want, "{\"status\":\"err\",\"response\":\"Invalid nonce: "
		 "duplicate nonce %llu\"}", (unsigned long long)(n0 + 100));
	expect(ans, 62, want);
	free_bodies(&bs, ans);
	hl_signer_deinit(&a);
}

/* Bad signatures among good requests keep their exact answers: a signature over another action
 * (an unknown recovered address), high s, zero r, v out of range, a malformed s, a stranger's
 * key, then bodies that fail before the signature (not JSON, no nonce, unknown action). */
static void test_bad_signatures_exact_errors(void **state)
{
	(void)state;
	struct hl_signer a, b, stranger;
	hp_signer(&a, HP_KEY_A);
	hp_signer(&b, HP_KEY_B);
	hp_signer(&stranger, "0x3333333333333333333333333333333333333333333333333333333333333333");
	struct bodies bs = { .n = 0 };
	uint64_t n0 = hp_nonce() + 1000;
	add_signed(&bs, &a, "60000", n0);
	add_signed(&bs, &a, "60000", n0 + 1);
	patch(&bs.b[bs.n - 1], "\"60000\"", "\"60002\""); /* signed another action */
	add_signed(&bs, &b, "60000", n0 + 2);
	set_sig_s(&bs.b[bs.n - 1],
		  "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140");
	add_signed(&bs, &b, "60000", n0 + 3);
	patch(&bs.b[bs.n - 1], "\"r\":\"0x", "\"r\":\"0x");
	{
		struct hat_buf *x = &bs.b[bs.n - 1];
		char *p = strstr(x->data, "\"r\":\"0x") + 7;
		memset(p, '0', 64);
	}
	add_signed(&bs, &b, "60000", n0 + 4);
	patch(&bs.b[bs.n - 1], "\"v\":2", "\"v\":3");
	add_signed(&bs, &b, "60000", n0 + 5);
	set_sig_s(&bs.b[bs.n - 1], "0xzz");
	add_signed(&bs, &stranger, "60000", n0 + 6);
	hat_buf_puts(add(&bs), "{not json");
	hat_buf_puts(add(&bs), "{\"action\":{\"type\":\"noop\"},\"signature\":{}}");
	hat_buf_puts(add(&bs), "{\"action\":{\"type\":\"fly\"},\"nonce\":1,\"signature\":{}}");
	add_signed(&bs, &b, "60000", n0 + 7);
	add_signed(&bs, &a, "60000", n0 + 1); /* the tampered request did not use n0 + 1 */
	char *ans[MAXB];
	run_and_compare(&bs, ans);
	char addr[43], want[200];
	expect(ans, 0, "{\"status\":\"ok\",\"response\":{\"type\":\"order\",\"data\":{"
		       "\"statuses\":[{\"resting\":{\"oid\":1000}}]}}}");
	assert_non_null(strstr(ans[1], "{\"status\":\"err\",\"response\":\"User or API Wallet 0x"));
	assert_non_null(strstr(ans[1], " does not exist.\"}"));
	hp_addr(&a, addr);
	assert_null(strstr(ans[1], addr));
	expect(ans, 2, "{\"status\":\"err\",\"response\":\"Invalid signature: signature: s is "
		       "above n/2 (high-s signatures are rejected)\"}");
	expect(ans, 3, "{\"status\":\"err\",\"response\":\"Invalid signature: signature: r is "
		       "zero or not below the curve order\"}");
	expect(ans, 4, "Failed to deserialize the JSON body into the target type: signature: "
		       "invalid r, s or v");
	expect(ans, 5, "Failed to deserialize the JSON body into the target type: signature: "
		       "invalid r, s or v");
	hp_addr(&stranger, addr);
	snprintf(want, sizeof want, "{\"status\":\"err\",\"response\":\"User or API Wallet %s "
		 "does not exist.\"}", addr);
	expect(ans, 6, want);
	expect(ans, 7, "Failed to parse the request body as JSON");
	expect(ans, 8, "Failed to deserialize the JSON body into the target type: missing or "
		       "invalid field `nonce`");
	expect(ans, 9, "Failed to deserialize the JSON body into the target type: action: unknown "
		       "variant `fly`");
	assert_non_null(strstr(ans[10], "{\"resting\":{\"oid\":1001}}"));
	assert_non_null(strstr(ans[11], "{\"resting\":{\"oid\":1002}}"));
	free_bodies(&bs, ans);
	hl_signer_deinit(&a);
	hl_signer_deinit(&b);
	hl_signer_deinit(&stranger);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nonce_order_is_request_order),
		cmocka_unit_test(test_bad_signatures_exact_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
