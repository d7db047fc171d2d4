/* tests/unit/test_exec_nonce.c -- strictly increasing, persisted-ahead nonces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "execd/nonce.h"
#include "tests/helpers/test_util.h"

struct fx {
	char dir[256];
	char path[300];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	tu_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/nonce", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static void test_exec_nonce_strictly_increasing_within_one_ms(void **state)
{
	struct fx *f = *state;
	struct exec_nonce n;
	char err[256] = "";
	assert_int_equal(exec_nonce_open(&n, f->path, 1000, err, sizeof err), 0);
	uint64_t prev = 0, v = 0;
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(exec_nonce_next(&n, 1700000000000ULL, &v, err, sizeof err), 0);
		if (i == 0)
			assert_true(v == 1700000000000ULL);
		else
			assert_true(v == prev + 1);
		prev = v;
	}
	/* 5000 nonces, 1000 ahead per mark: the mark was written 5 times, not 5000. */
	assert_int_equal(n.persists, 5);
	assert_int_equal(n.bumps, 4999);
	char *text = tu_read_file(f->path);
	assert_string_equal(text, "hat-nonce 1 1700000005000\n");
	free(text);
	exec_nonce_close(&n);
}

static void test_exec_nonce_follows_the_clock(void **state)
{
	struct fx *f = *state;
	struct exec_nonce n;
	char err[256] = "";
	uint64_t v = 0;
	assert_int_equal(exec_nonce_open(&n, f->path, 0, err, sizeof err), 0);
	assert_int_equal(n.ahead_ms, EXEC_NONCE_AHEAD_MS_DEFAULT);
	assert_int_equal(exec_nonce_next(&n, 1000, &v, err, sizeof err), 0);
	assert_true(v == 1000);
	assert_int_equal(exec_nonce_next(&n, 1500, &v, err, sizeof err), 0);
	assert_true(v == 1500);
	assert_int_equal(exec_nonce_next(&n, 20000, &v, err, sizeof err), 0);
	assert_true(v == 20000);
	assert_int_equal(n.persists, 2); /* 1000 -> mark 11000; 20000 >= 11000 -> mark 30000 */
	assert_true(n.mark == 30000);
}

static void test_exec_nonce_clock_going_backwards_still_increases(void **state)
{
	struct fx *f = *state;
	struct exec_nonce n;
	char err[256] = "";
	uint64_t v = 0;
	assert_int_equal(exec_nonce_open(&n, f->path, 100, err, sizeof err), 0);
	assert_int_equal(exec_nonce_next(&n, 5000, &v, err, sizeof err), 0);
	assert_true(v == 5000);
	assert_int_equal(exec_nonce_next(&n, 4000, &v, err, sizeof err), 0);
	assert_true(v == 5001);
	assert_int_equal(exec_nonce_next(&n, 1, &v, err, sizeof err), 0);
	assert_true(v == 5002);
	assert_int_equal(exec_nonce_next(&n, 5002, &v, err, sizeof err), 0);
	assert_true(v == 5003);
	assert_int_equal(exec_nonce_next(&n, 6000, &v, err, sizeof err), 0);
	assert_true(v == 6000);
	assert_int_equal(n.bumps, 3);
}

static void test_exec_nonce_restart_starts_above_the_mark(void **state)
{
	struct fx *f = *state;
	struct exec_nonce n;
	char err[256] = "";
	uint64_t v = 0, last = 0;
	assert_int_equal(exec_nonce_open(&n, f->path, 1000, err, sizeof err), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(exec_nonce_next(&n, 50000, &last, err, sizeof err), 0);
	assert_true(last == 50009);
	/* "Crash": no close. The file holds the mark 51000 written before nonce 50000. */
	struct exec_nonce r;
	assert_int_equal(exec_nonce_open(&r, f->path, 1000, err, sizeof err), 0);
	assert_true(r.mark == 51000);
	assert_true(r.last == 50999);
	/* Same clock (or behind): still above every nonce issued before. */
	assert_int_equal(exec_nonce_next(&r, 50000, &v, err, sizeof err), 0);
	assert_true(v == 51000);
	assert_true(v > last);
	/* Clock ahead of the mark: the clock. */
	struct exec_nonce r2;
	assert_int_equal(exec_nonce_open(&r2, f->path, 1000, err, sizeof err), 0);
	assert_true(r2.mark == 52000);
	assert_int_equal(exec_nonce_next(&r2, 90000, &v, err, sizeof err), 0);
	assert_true(v == 90000);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_exec_nonce_bad_file_is_parse_error(void **state)
{
	struct fx *f = *state;
	const char *bad[] = {"", "hat-nonce 1 \n", "hat-nonce 2 5\n", "hat-nonce 1 12x\n",
			     "hat-nonce 1 12", "hat-nonce 1 99999999999999999999999\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(f->path, bad[i]);
		struct exec_nonce n;
		char err[512] = "";
		assert_int_equal(exec_nonce_open(&n, f->path, 1000, err, sizeof err), HAT_E_PARSE);
		char want[512];
		snprintf(want, sizeof want, "%s: expected \"hat-nonce 1 <mark>\"", f->path);
		assert_string_equal(err, want);
	}
}

static void test_exec_nonce_unwritable_dir_issues_nothing(void **state)
{
	(void)state;
	struct exec_nonce n;
	char err[512] = "";
	uint64_t v = 77;
	assert_int_equal(exec_nonce_open(&n, "/nonexistent-dir-hat/nonce", 1000, err, sizeof err),
			 0);
	assert_int_equal(exec_nonce_next(&n, 1000, &v, err, sizeof err), -ENOENT);
	assert_true(v == 77);
	assert_true(n.last == 0);
	assert_string_equal(err, "open(\"/nonexistent-dir-hat/nonce.tmp\") failed: "
				 "No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exec_nonce_strictly_increasing_within_one_ms,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_nonce_follows_the_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_nonce_clock_going_backwards_still_increases,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_nonce_restart_starts_above_the_mark,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_nonce_bad_file_is_parse_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exec_nonce_unwritable_dir_issues_nothing,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
