/* tests/unit/test_log.c -- JSON lines: format, escaping, levels, truncation, rate limit,
 * failure-site helper, and no interleaving between processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/log.h"
#include "tests/helpers/test_util.h"

struct cap {
	int fds[2];
	struct hat_log log;
	uint64_t now;
	char out[65536];
};

static uint64_t fake_clock(void *user)
{
	return ((struct cap *)user)->now;
}

static struct cap *cap_new(int level)
{
	struct cap *c = calloc(1, sizeof *c);
	assert_non_null(c);
	assert_int_equal(pipe(c->fds), 0);
	fcntl(c->fds[0], F_SETFL, O_NONBLOCK);
	hat_log_init_fd(&c->log, "feedd", c->fds[1], level);
	c->log.clock_ns = fake_clock;
	c->log.clock_user = c;
	c->now = 1700000000123456789ull; /* 2023-11-14T22:13:20.123Z */
	return c;
}

/* Everything written so far (NUL-terminated, in c->out). */
static const char *cap_read(struct cap *c)
{
	ssize_t n = read(c->fds[0], c->out, sizeof c->out - 1);
	c->out[n > 0 ? n : 0] = '\0';
	return c->out;
}

static void cap_free(struct cap *c)
{
	close(c->fds[0]);
	close(c->fds[1]);
	free(c);
}

static void test_log_line_exact(void **state)
{
	(void)state;
	struct cap *c = cap_new(HAT_LOG_DEBUG);
	hat_log(&c->log, HAT_LOG_WARN, "ws_reconnect", "attempt=%d url=%s delay_ms=%" PRIu64, 3,
		"ws://127.0.0.1:8787/ws", (uint64_t)250);
	assert_string_equal(cap_read(c),
			    "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"level\":\"warn\",\"stage\":\"feedd\","
			    "\"event\":\"ws_reconnect\",\"attempt\":3,\"url\":\"ws://127.0.0.1:8787/ws\","
			    "\"delay_ms\":250}\n");
	hat_log(&c->log, HAT_LOG_INFO, "start", NULL);
	assert_string_equal(cap_read(c), "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"level\":\"info\","
					 "\"stage\":\"feedd\",\"event\":\"start\"}\n");
	cap_free(c);
}

static void test_log_conversions(void **state)
{
	(void)state;
	struct cap *c = cap_new(HAT_LOG_DEBUG);
	const char *volatile nullstr = NULL; /* hidden from the compiler's format check */
	hat_log(&c->log, HAT_LOG_INFO, "e",
		"i=%i neg=%lld u=%zu f=%.2f g=%g hex=%#x c=%c s=%.3s null=%s nan=%f big=%lu",
		-7, -9000000000000ll, (size_t)12, 1.005, 0.5, 255u, 'Q', "abcdef", nullstr, NAN,
		18446744073709551615ul);
	const char *line = cap_read(c);
	const char *fields = strstr(line, "\"event\":\"e\",");
	assert_non_null(fields);
	assert_string_equal(fields + 12,
			    "\"i\":-7,\"neg\":-9000000000000,\"u\":12,\"f\":1.00,\"g\":0.5,\"hex\":\"0xff\","
			    "\"c\":\"Q\",\"s\":\"abc\",\"null\":null,\"nan\":\"nan\","
			    "\"big\":18446744073709551615}\n");
	cJSON *j = cJSON_Parse(line);
	assert_non_null(j);
	cJSON_Delete(j);
	/* A malformed field list stops with a marker instead of misreading the arguments. */
	hat_log(&c->log, HAT_LOG_INFO, "e", "a=%d oops b=%d", 1, 2);
	line = cap_read(c);
	assert_non_null(strstr(line, "\"a\":1,\"log_fmt_error\":\"a=%d oops b=%d\"}"));
	cap_free(c);
}

static void test_log_escapes_strings(void **state)
{
	(void)state;
	struct cap *c = cap_new(HAT_LOG_DEBUG);
	const char *nasty = "quote\" back\\slash\nnew\ttab\x01\x1f end \xc3\xa9";
	hat_log(&c->log, HAT_LOG_ERROR, "ev\"il", "text=%s", nasty);
	const char *line = cap_read(c);
	assert_non_null(strstr(line, "\"text\":\"quote\\\" back\\\\slash\\nnew\\ttab\\u0001\\u001f end \xc3\xa9\"}"));
	cJSON *j = cJSON_Parse(line);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "text")->valuestring, nasty);
	assert_string_equal(cJSON_GetObjectItem(j, "event")->valuestring, "ev\"il");
	assert_string_equal(cJSON_GetObjectItem(j, "level")->valuestring, "error");
	cJSON_Delete(j);
	cap_free(c);
}

static void test_log_builder_fields(void **state)
{
	(void)state;
	struct cap *c = cap_new(HAT_LOG_DEBUG);
	struct hat_log_rec r;
	assert_true(hat_log_begin(&r, &c->log, HAT_LOG_INFO, "fill"));
	hat_log_str(&r, "coin", "BTC");
	hat_log_fx(&r, "px", 6700050000000ll);
	hat_log_i64(&r, "szi", -5);
	hat_log_u64(&r, "tid", UINT64_MAX);
	hat_log_f64(&r, "ratio", 0.25);
	hat_log_f64(&r, "inf", INFINITY);
	hat_log_bool(&r, "taker", true);
	hat_log_raw(&r, "lv", "[1,2]", 5);
	hat_log_str(&r, "none", NULL);
	hat_log_end(&r);
	const char *line = cap_read(c);
	assert_non_null(strstr(line, "\"event\":\"fill\",\"coin\":\"BTC\",\"px\":\"67000.5\",\"szi\":-5,"
				     "\"tid\":18446744073709551615,\"ratio\":0.25,\"inf\":\"inf\","
				     "\"taker\":true,\"lv\":[1,2],\"none\":null}\n"));
	cJSON *j = cJSON_Parse(line);
	assert_non_null(j);
	cJSON_Delete(j);
	cap_free(c);
}

static void test_log_min_level_filters(void **state)
{
	(void)state;
	struct cap *c = cap_new(HAT_LOG_WARN);
	hat_log(&c->log, HAT_LOG_INFO, "quiet", NULL);
	hat_log(&c->log, HAT_LOG_DEBUG, "quiet", NULL);
	struct hat_log_rec r;
	assert_false(hat_log_begin(&r, &c->log, HAT_LOG_INFO, "quiet"));
	assert_false(hat_log_enabled(&c->log, HAT_LOG_INFO));
	assert_true(hat_log_enabled(&c->log, HAT_LOG_FATAL));
	assert_string_equal(cap_read(c), "");
	hat_log(&c->log, HAT_LOG_FATAL, "loud", NULL);
	assert_non_null(strstr(cap_read(c), "\"level\":\"fatal\""));
	assert_int_equal(hat_log_level_parse("warn"), HAT_LOG_WARN);
	assert_int_equal(hat_log_level_parse("verbose"), -EINVAL);
	assert_string_equal(hat_log_level_name(HAT_LOG_DEBUG), "debug");
	cap_free(c);
}

static void test_log_truncates_long_lines_validly(void **state)
{
	(void)state;
	struct cap *c = cap_new(HAT_LOG_DEBUG);
	char *big = malloc(10000);
	memset(big, 'x', 9999);
	big[9999] = '\0';
	hat_log(&c->log, HAT_LOG_INFO, "big", "a=%d text=%s b=%d", 1, big, 2);
	const char *line = cap_read(c);
	size_t n = strlen(line);
	assert_true(n <= HAT_LOG_LINE_MAX);
	assert_int_equal(line[n - 1], '\n');
	cJSON *j = cJSON_Parse(line);
	assert_non_null(j);
	assert_int_equal(cJSON_GetObjectItem(j, "a")->valueint, 1);
	assert_null(cJSON_GetObjectItem(j, "text")); /* the field that did not fit is dropped whole */
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "truncated")));
	cJSON_Delete(j);
	/* Many escaped bytes (6x growth) still give a valid line. */
	memset(big, 1, 9999);
	struct hat_log_rec r;
	assert_true(hat_log_begin(&r, &c->log, HAT_LOG_INFO, "esc"));
	hat_log_strn(&r, "small", big, 10);
	hat_log_str(&r, "huge", big);
	hat_log_end(&r);
	line = cap_read(c);
	j = cJSON_Parse(line);
	assert_non_null(j);
	assert_int_equal(strlen(cJSON_GetObjectItem(j, "small")->valuestring), 10);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "truncated")));
	cJSON_Delete(j);
	free(big);
	cap_free(c);
}

static void test_log_rate_limit_every_n(void **state)
{
	(void)state;
	struct cap *c = cap_new(HAT_LOG_DEBUG);
	struct hat_log_rl rl;
	hat_log_rl_init(&rl, 3, 0);
	int logged = 0;
	for (int i = 1; i <= 10; i++)
		logged += hat_log_rl(&c->log, &rl, 0, HAT_LOG_WARN, "ring_full", "i=%d", i);
	assert_int_equal(logged, 4); /* calls 1, 4, 7, 10 */
	assert_int_equal(rl.total_suppressed, 6);
	const char *out = cap_read(c);
	char *copy = strdup(out);
	int lines = 0;
	int want_i[] = { 1, 4, 7, 10 };
	int want_sup[] = { 0, 2, 2, 2 };
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		cJSON *j = cJSON_Parse(l);
		assert_non_null(j);
		assert_int_equal(cJSON_GetObjectItem(j, "i")->valueint, want_i[lines]);
		cJSON *s = cJSON_GetObjectItem(j, "suppressed");
		assert_int_equal(s ? s->valueint : 0, want_sup[lines]);
		cJSON_Delete(j);
		lines++;
	}
	assert_int_equal(lines, 4);
	free(copy);
	cap_free(c);
}

static void test_log_rate_limit_interval(void **state)
{
	(void)state;
	struct hat_log_rl rl;
	const uint64_t s = 1000000000ull;
	hat_log_rl_init(&rl, 0, s);
	assert_true(hat_log_rl_allow(&rl, 10 * s));
	assert_false(hat_log_rl_allow(&rl, 10 * s + s / 2));
	assert_false(hat_log_rl_allow(&rl, 11 * s - 1));
	assert_true(hat_log_rl_allow(&rl, 11 * s));
	assert_int_equal(rl.suppressed, 2);
	assert_false(hat_log_rl_allow(&rl, 11 * s + 1));
	assert_true(hat_log_rl_allow(&rl, 13 * s));
	/* Both limits: whichever comes first lets a line through. */
	hat_log_rl_init(&rl, 5, s);
	assert_true(hat_log_rl_allow(&rl, 0));
	for (int i = 0; i < 4; i++)
		assert_false(hat_log_rl_allow(&rl, 1));
	assert_true(hat_log_rl_allow(&rl, 2)); /* 5th call since */
	assert_false(hat_log_rl_allow(&rl, 3));
	assert_true(hat_log_rl_allow(&rl, s + 2)); /* interval passed */
	/* No limits at all. */
	hat_log_rl_init(&rl, 0, 0);
	for (int i = 0; i < 5; i++)
		assert_true(hat_log_rl_allow(&rl, 0));
}

static void test_log_syserr_names_call_and_error(void **state)
{
	(void)state;
	struct cap *c = cap_new(HAT_LOG_DEBUG);
	hat_log_syserr(&c->log, "shm_open", "/hat.main.md", EACCES);
	const char *line = cap_read(c);
	assert_non_null(strstr(line, "\"level\":\"error\",\"stage\":\"feedd\",\"event\":\"syscall_failed\","
				     "\"call\":\"shm_open\",\"arg\":\"/hat.main.md\",\"errno\":13,"
				     "\"error\":\"Permission denied\",\"msg\":\"shm_open(\\\"/hat.main.md\\\") "
				     "failed: Permission denied\"}\n"));
	hat_log_syserr(&c->log, "epoll_wait", NULL, -EINTR);
	line = cap_read(c);
	assert_non_null(strstr(line, "\"call\":\"epoll_wait\",\"errno\":4,\"error\":\"Interrupted system call\","
				     "\"msg\":\"epoll_wait() failed: Interrupted system call\"}"));
	cap_free(c);
}

static void test_log_process_logger(void **state)
{
	(void)state;
	struct hat_log *def = hat_log_process();
	assert_non_null(def);
	assert_int_equal(def->fd, 2);
	struct cap *c = cap_new(HAT_LOG_DEBUG);
	hat_log_set_process(&c->log);
	assert_ptr_equal(hat_log_process(), &c->log);
	hat_log(NULL, HAT_LOG_INFO, "via_null", "x=%d", 1);
	assert_non_null(strstr(cap_read(c), "\"event\":\"via_null\",\"x\":1}"));
	hat_log_set_process(NULL);
	assert_ptr_equal(hat_log_process(), def);
	cap_free(c);
}

static void test_log_open_errors_name_path(void **state)
{
	(void)state;
	struct hat_log log;
	char err[256];
	assert_int_equal(hat_log_open(&log, "x", "/nonexistent-dir/x.log", HAT_LOG_INFO, err, sizeof err),
			 -ENOENT);
	assert_string_equal(err, "open(\"/nonexistent-dir/x.log\") failed: No such file or directory");
	assert_int_equal(hat_log_open(&log, "x", NULL, HAT_LOG_INFO, err, sizeof err), 0);
	assert_int_equal(log.fd, 2);
	hat_log_close(&log);
}

/* Several processes appending long lines to one file never interleave a line. */
static void test_log_lines_from_processes_never_interleave(void **state)
{
	(void)state;
	char dir[256], path[300];
	tu_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/shared.log", dir);
	enum { PROCS = 4, LINES = 300 };
	pid_t pids[PROCS];
	for (int p = 0; p < PROCS; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			struct hat_log log;
			char stage[16], pad[3000];
			snprintf(stage, sizeof stage, "p%d", p);
			memset(pad, 'a' + p, sizeof pad - 1);
			pad[sizeof pad - 1] = '\0';
			if (hat_log_open(&log, stage, path, HAT_LOG_INFO, NULL, 0) != 0)
				_exit(1);
			for (int i = 0; i < LINES; i++)
				hat_log(&log, HAT_LOG_INFO, "line", "i=%d pad=%s", i, pad);
			hat_log_close(&log);
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++) {
		int st = tu_wait(pids[p], 30000);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	char *text = tu_read_file(path);
	assert_non_null(text);
	int count[PROCS] = { 0 };
	int total = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		cJSON *j = cJSON_Parse(l);
		assert_non_null(j);
		int p = cJSON_GetObjectItem(j, "stage")->valuestring[1] - '0';
		assert_true(p >= 0 && p < PROCS);
		assert_int_equal(cJSON_GetObjectItem(j, "i")->valueint, count[p]);
		const char *pad = cJSON_GetObjectItem(j, "pad")->valuestring;
		assert_int_equal(strlen(pad), 2999);
		assert_int_equal(strspn(pad, (char[]){ (char)('a' + p), 0 }), 2999);
		count[p]++;
		total++;
		cJSON_Delete(j);
	}
	assert_int_equal(total, PROCS * LINES);
	free(text);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_line_exact),
		cmocka_unit_test(test_log_conversions),
		cmocka_unit_test(test_log_escapes_strings),
		cmocka_unit_test(test_log_builder_fields),
		cmocka_unit_test(test_log_min_level_filters),
		cmocka_unit_test(test_log_truncates_long_lines_validly),
		cmocka_unit_test(test_log_rate_limit_every_n),
		cmocka_unit_test(test_log_rate_limit_interval),
		cmocka_unit_test(test_log_syserr_names_call_and_error),
		cmocka_unit_test(test_log_process_logger),
		cmocka_unit_test(test_log_open_errors_name_path),
		cmocka_unit_test(test_log_lines_from_processes_never_interleave),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
