/* tests/unit/test_exec_audit.c -- hash-chained audit lines and their verifier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "common/err.h"
#include "execd/audit.h"
#include "tests/helpers/test_util.h"

#define NLINES 6

struct fx {
	char dir[256];
	char path[300];
	char *lines[NLINES + 2];
	int n;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	tu_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/audit.jsonl", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < f->n; i++)
		free(f->lines[i]);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Writes NLINES lines of every kind and body shape. */
static void write_chain(struct fx *f)
{
	struct exec_audit a;
	char err[256] = "";
	assert_int_equal(exec_audit_open(&a, f->path, err, sizeof err), 0);
	const char *req = "{\"action\":{\"type\":\"order\"},\"nonce\":1000,\"signature\":{\"r\":\"0x1\"}}";
	const char *resp = "{\"status\":\"ok\",\"response\":{\"type\":\"order\"}}";
	assert_int_equal(exec_audit_append(&a, EXEC_AUDIT_REQUEST, 1700000000001ULL, 1000, req,
					   strlen(req), err, sizeof err), 0);
	assert_int_equal(exec_audit_append(&a, EXEC_AUDIT_RESPONSE, 1700000000002ULL, 1000, resp,
					   strlen(resp), err, sizeof err), 0);
	const char *html = "<html>502 Bad\nGateway</html>";
	assert_int_equal(exec_audit_append(&a, EXEC_AUDIT_RESPONSE, 1700000000003ULL, 1001, html,
					   strlen(html), err, sizeof err), 0);
	assert_int_equal(exec_audit_append(&a, EXEC_AUDIT_EVENT, 1700000000004ULL, 0, NULL, 0, err,
					   sizeof err), 0);
	exec_audit_close(&a);
	/* Reopen: the chain continues from the last line. */
	assert_int_equal(exec_audit_open(&a, f->path, err, sizeof err), 0);
	assert_int_equal(a.seq, 4);
	assert_int_equal(exec_audit_append(&a, EXEC_AUDIT_EVENT, 1700000000005ULL, 0, "42", 2, err,
					   sizeof err), 0);
	assert_int_equal(exec_audit_append(&a, EXEC_AUDIT_REQUEST, 1700000000006ULL, 1002, "{\"x\":1} ",
					   8, err, sizeof err), 0);
	exec_audit_close(&a);
}

static void load_lines(struct fx *f)
{
	FILE *fp = fopen(f->path, "r");
	assert_non_null(fp);
	char *line = NULL;
	size_t cap = 0;
	for (int i = 0; i < f->n; i++)
		free(f->lines[i]);
	f->n = 0;
	while (getline(&line, &cap, fp) > 0) {
		assert_true(f->n < NLINES + 2);
		f->lines[f->n++] = strdup(line);
	}
	free(line);
	fclose(fp);
}

static void save_lines(struct fx *f)
{
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	for (int i = 0; i < f->n; i++)
		fputs(f->lines[i], fp);
	fclose(fp);
}

static void expect_bad(struct fx *f, uint64_t line, const char *msg_prefix)
{
	uint64_t lines = 99, bad = 0;
	char err[256] = "";
	assert_int_equal(exec_audit_verify(f->path, &lines, &bad, err, sizeof err), HAT_E_CRC);
	assert_int_equal(bad, line);
	assert_int_equal(lines, 0);
	if (strncmp(err, msg_prefix, strlen(msg_prefix)) != 0)
		fail_msg("got \"%s\", want prefix \"%s\"", err, msg_prefix);
}

static void test_exec_audit_chain_verifies(void **state)
{
	struct fx *f = *state;
	write_chain(f);
	uint64_t lines = 0, bad = 9;
	char err[256] = "";
	assert_int_equal(exec_audit_verify(f->path, &lines, &bad, err, sizeof err), 0);
	assert_int_equal(lines, NLINES);
	assert_int_equal(bad, 0);
	load_lines(f);
	assert_int_equal(f->n, NLINES);
	/* Exact shape of a line: JSON body embedded, non-JSON body as a string, null body. */
	assert_true(strncmp(f->lines[0], "{\"seq\":1,\"ts\":1700000000001,\"kind\":\"request\","
				       "\"nonce\":1000,\"body\":{\"action\":{\"type\":\"order\"},"
				       "\"nonce\":1000,\"signature\":{\"r\":\"0x1\"}},\"prev\":\""
				       "0000000000000000000000000000000000000000000000000000000000000000"
				       "\",\"hash\":\"", 205) == 0);
	assert_non_null(strstr(f->lines[2], "\"body\":\"<html>502 Bad\\nGateway</html>\""));
	assert_non_null(strstr(f->lines[3], "\"kind\":\"event\",\"nonce\":0,\"body\":null,"));
	assert_non_null(strstr(f->lines[5], "\"body\":\"{\\\"x\\\":1} \""));
	/* The hash is BLAKE2b-256 of the line without ,"hash":"..." */
	char *l = f->lines[1];
	char *h = strstr(l, ",\"hash\":\"");
	assert_non_null(h);
	size_t hashed = (size_t)(h - l);
	char *text = malloc(hashed + 2);
	memcpy(text, l, hashed);
	text[hashed] = '}';
	text[hashed + 1] = '\0';
	unsigned char d[32];
	char hex[65];
	crypto_generichash(d, 32, (unsigned char *)text, hashed + 1, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, d, 32);
	assert_memory_equal(h + 9, hex, 64);
	free(text);
	/* Line 2's prev is line 1's hash. */
	char *h1 = strstr(f->lines[0], ",\"hash\":\"") + 9;
	char *p2 = strstr(f->lines[1], ",\"prev\":\"") + 9;
	assert_memory_equal(h1, p2, 64);
}

static void test_exec_audit_modified_line_detected(void **state)
{
	struct fx *f = *state;
	write_chain(f);
	load_lines(f);
	for (int k = 0; k < NLINES; k++) {
		char *ts = strstr(f->lines[k], "\"ts\":17");
		assert_non_null(ts);
		ts[6] = '8'; /* 17.. -> 18.. */
		save_lines(f);
		char want[64];
		snprintf(want, sizeof want, "line %d: hash mismatch (stored ", k + 1);
		expect_bad(f, (uint64_t)k + 1, want);
		ts[6] = '7';
	}
	save_lines(f);
	char err[256];
	assert_int_equal(exec_audit_verify(f->path, NULL, NULL, err, sizeof err), 0);
}

static void test_exec_audit_deleted_line_detected(void **state)
{
	struct fx *f = *state;
	write_chain(f);
	load_lines(f);
	for (int k = 0; k < NLINES - 1; k++) {
		char *saved = f->lines[k];
		memmove(&f->lines[k], &f->lines[k + 1], sizeof(char *) * (size_t)(f->n - k - 1));
		f->n--;
		save_lines(f);
		char want[64];
		snprintf(want, sizeof want, "line %d: seq %d, expected %d", k + 1, k + 2, k + 1);
		expect_bad(f, (uint64_t)k + 1, want);
		memmove(&f->lines[k + 1], &f->lines[k], sizeof(char *) * (size_t)(f->n - k));
		f->lines[k] = saved;
		f->n++;
	}
}

static void test_exec_audit_reordered_lines_detected(void **state)
{
	struct fx *f = *state;
	write_chain(f);
	load_lines(f);
	for (int k = 0; k < NLINES - 1; k++) {
		char *t = f->lines[k];
		f->lines[k] = f->lines[k + 1];
		f->lines[k + 1] = t;
		save_lines(f);
		char want[64];
		snprintf(want, sizeof want, "line %d: seq %d, expected %d", k + 1, k + 2, k + 1);
		expect_bad(f, (uint64_t)k + 1, want);
		f->lines[k + 1] = f->lines[k];
		f->lines[k] = t;
	}
}

static void test_exec_audit_inserted_line_detected(void **state)
{
	struct fx *f = *state;
	write_chain(f);
	load_lines(f);
	/* A copy of line k inserted after it: same seq, so line k+1 is wrong. */
	for (int k = 0; k < NLINES; k++) {
		memmove(&f->lines[k + 1], &f->lines[k], sizeof(char *) * (size_t)(f->n - k));
		f->n++;
		save_lines(f);
		char want[64];
		snprintf(want, sizeof want, "line %d: seq %d, expected %d", k + 2, k + 1, k + 2);
		expect_bad(f, (uint64_t)k + 2, want);
		memmove(&f->lines[k], &f->lines[k + 1], sizeof(char *) * (size_t)(f->n - k - 1));
		f->n--;
	}
}

/* A forger who recomputes the hash of a modified line still breaks the next line's prev. */
static void test_exec_audit_rehashed_forgery_detected_at_next_line(void **state)
{
	struct fx *f = *state;
	write_chain(f);
	load_lines(f);
	char *l = f->lines[2];
	char *ts = strstr(l, "\"ts\":17");
	ts[6] = '8';
	char *h = strstr(l, ",\"hash\":\"");
	size_t hashed = (size_t)(h - l);
	char *text = malloc(hashed + 1);
	memcpy(text, l, hashed);
	text[hashed] = '}';
	unsigned char d[32];
	char hex[65];
	crypto_generichash(d, 32, (unsigned char *)text, hashed + 1, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, d, 32);
	memcpy(h + 9, hex, 64);
	free(text);
	save_lines(f);
	expect_bad(f, 4, "line 4: prev does not match line 3's hash");
}

static void test_exec_audit_garbage_and_torn_lines(void **state)
{
	struct fx *f = *state;
	write_chain(f);
	load_lines(f);
	free(f->lines[3]);
	f->lines[3] = strdup("hello\n");
	save_lines(f);
	expect_bad(f, 4, "line 4: not an audit line (does not start with {\"seq\":)");
	/* Torn tail: verifier reports it; reopening cuts it and the chain continues. */
	unlink(f->path);
	write_chain(f);
	FILE *fp = fopen(f->path, "a");
	fputs("{\"seq\":7,\"ts\":1", fp);
	fclose(fp);
	expect_bad(f, 7, "line 7: no newline at end of file");
	struct exec_audit a;
	char err[256] = "";
	assert_int_equal(exec_audit_open(&a, f->path, err, sizeof err), 0);
	assert_int_equal(a.torn_bytes, 15);
	assert_int_equal(a.seq, 6);
	assert_int_equal(exec_audit_append(&a, EXEC_AUDIT_EVENT, 1, 0, "{}", 2, err, sizeof err), 0);
	uint64_t seq = 0;
	char hh[65];
	exec_audit_head(&a, &seq, hh);
	assert_int_equal(seq, 7);
	assert_int_equal(strlen(hh), 64);
	exec_audit_close(&a);
	uint64_t lines = 0;
	assert_int_equal(exec_audit_verify(f->path, &lines, NULL, err, sizeof err), 0);
	assert_int_equal(lines, 7);
	/* Prev of line 1 must be zero: a file missing its head is detected at line 1. */
	load_lines(f);
	free(f->lines[0]);
	memmove(&f->lines[0], &f->lines[1], sizeof(char *) * 6);
	f->n--;
	save_lines(f);
	expect_bad(f, 1, "line 1: seq 2, expected 1");
}

static void test_exec_audit_open_rejects_foreign_file(void **state)
{
	struct fx *f = *state;
	FILE *fp = fopen(f->path, "w");
	fputs("not an audit line\n", fp);
	fclose(fp);
	struct exec_audit a;
	char err[512] = "";
	assert_int_equal(exec_audit_open(&a, f->path, err, sizeof err), HAT_E_PARSE);
	char want[512];
	snprintf(want, sizeof want,
		 "%s: last line is not an audit line (does not start with {\"seq\":)", f->path);
	assert_string_equal(err, want);
	exec_audit_close(&a);
	uint64_t bad = 0;
	assert_int_equal(exec_audit_verify("/nonexistent/x", NULL, &bad, err, sizeof err), -ENOENT);
	assert_string_equal(err, "open(\"/nonexistent/x\") failed: No such file or directory");
	assert_int_equal(exec_audit_append(&a, EXEC_AUDIT_EVENT, 1, 0, NULL, 0, err, sizeof err),
			 -EBADF);
	unlink(f->path);
	assert_int_equal(exec_audit_open(&a, f->path, err, sizeof err), 0);
	/* 1 MiB of control bytes escapes to 6 MiB: too long for the verifier, refused. */
	size_t big = 1u << 20;
	char *body = malloc(big);
	memset(body, 1, big);
	assert_int_equal(exec_audit_append(&a, EXEC_AUDIT_EVENT, 1, 0, body, big, err, sizeof err),
			 -EMSGSIZE);
	assert_string_equal(err, "audit: line of 6291655 bytes (body 1048576) exceeds 4194304");
	/* 3 MiB of plain text fits. */
	body = realloc(body, 3u << 20);
	memset(body, 'a', 3u << 20);
	assert_int_equal(exec_audit_append(&a, EXEC_AUDIT_EVENT, 1, 0, body, 3u << 20, err,
					   sizeof err), 0);
	free(body);
	exec_audit_close(&a);
	uint64_t lines = 0;
	assert_int_equal(exec_audit_verify(f->path, &lines, NULL, err, sizeof err), 0);
	assert_int_equal(lines, 1);

}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exec_audit_chain_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_audit_modified_line_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exec_audit_deleted_line_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exec_audit_reordered_lines_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exec_audit_inserted_line_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exec_audit_rehashed_forgery_detected_at_next_line,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_audit_garbage_and_torn_lines, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exec_audit_open_rejects_foreign_file, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
