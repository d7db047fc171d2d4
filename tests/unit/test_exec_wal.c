/* tests/unit/test_exec_wal.c -- write-ahead journal: recovery at every cut point, torn and
 * corrupt tails, compaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "common/journal.h"
#include "execd/wal.h"
#include "tests/helpers/test_util.h"

#define T0 1700000000000000000ULL

struct fx {
	char dir[256];
};

static struct exec_wal_pending PEND[16];

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	tu_tmpdir(f->dir, sizeof(f->dir));
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

static struct exec_wal_order order(unsigned id)
{
	struct exec_wal_order o;
	memset(&o, 0, sizeof(o));
	o.o.cloid[0] = 0xc1;
	memcpy(o.o.cloid + 12, &id, 4);
	memcpy(o.o.coin, "ETH", 3);
	o.o.kind = HAT_INTENT_NEW;
	o.o.side = HAT_SIDE_SELL;
	o.o.px = 200000000000LL;
	o.o.sz = 100000000LL * id;
	o.risk_seq = 1000 + id;
	return o;
}

static void open_wal(struct fx *f, struct exec_wal *w, const struct exec_wal_pending *p, size_t n)
{
	struct exec_wal_opts o = {.dir = f->dir, .prefix = "execwal", .max_inflight = 8};
	char err[256] = "";
	int rc = exec_wal_open(w, &o, p, n, T0, 1000, err, sizeof err);
	if (rc)
		fail_msg("exec_wal_open: %d %s", rc, err);
}

static size_t recover(struct fx *f, struct exec_wal_stats *st, char *err, size_t errlen)
{
	size_t n = 99, total = 99;
	int rc = exec_wal_recover(f->dir, "execwal", PEND, 16, &n, &total, st, err, errlen);
	if (rc)
		fail_msg("exec_wal_recover: %d %s", rc, err);
	assert_int_equal(n, total);
	return n;
}

static int count_files(struct fx *f)
{
	DIR *d = opendir(f->dir);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "execwal-", 8) == 0)
			n++;
	closedir(d);
	return n;
}

static const char BODY[] = "{\"action\":{\"type\":\"order\",\"orders\":[]},\"nonce\":1,"
			   "\"signature\":{\"r\":\"0x1\",\"s\":\"0x2\",\"v\":27}}";

/* ---------------------------------------------------------------- cut points */

/* Each cut point in a child killed with SIGKILL right after the step: the journal must say
 * exactly what is unknown. */
static void run_child_and_kill(struct fx *f, int steps)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct exec_wal w;
		struct exec_wal_opts o = {.dir = f->dir, .prefix = "execwal", .max_inflight = 8};
		char err[256];
		if (exec_wal_open(&w, &o, NULL, 0, T0, 1, err, sizeof err))
			_exit(3);
		struct exec_wal_order ords[2] = {order(1), order(2)};
		if (steps >= 1 && exec_wal_action(&w, 5001, EXEC_WAL_ORDER, ords, 2, BODY,
						  strlen(BODY), T0 + 1, 2, err, sizeof err))
			_exit(4);
		if (steps >= 2 && exec_wal_sent(&w, 5001, T0 + 2, 3, err, sizeof err))
			_exit(5);
		if (steps >= 3 && exec_wal_result(&w, 5001, EXEC_WAL_ANSWERED, T0 + 3, 4, err,
						  sizeof err))
			_exit(6);
		raise(SIGKILL);
		_exit(7);
	}
	int st = tu_wait(pid, 20000);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
}

static void test_exec_wal_recover_journaled_not_sent(void **state)
{
	struct fx *f = *state;
	run_child_and_kill(f, 1);
	char err[256];
	struct exec_wal_stats st;
	assert_int_equal(recover(f, &st, err, sizeof err), 1);
	assert_true(PEND[0].nonce == 5001);
	assert_int_equal(PEND[0].sent, 0);
	assert_int_equal(PEND[0].kind, EXEC_WAL_ORDER);
	assert_int_equal(PEND[0].n_orders, 2);
	struct exec_wal_order o2 = order(2);
	assert_memory_equal(&PEND[0].orders[1], &o2, sizeof o2);
	assert_true(PEND[0].ts_ns == T0 + 1);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.torn, 0);
}

static void test_exec_wal_recover_sent_no_result(void **state)
{
	struct fx *f = *state;
	run_child_and_kill(f, 2);
	char err[256];
	assert_int_equal(recover(f, NULL, err, sizeof err), 1);
	assert_true(PEND[0].nonce == 5001);
	assert_int_equal(PEND[0].sent, 1);
}

static void test_exec_wal_recover_with_result(void **state)
{
	struct fx *f = *state;
	run_child_and_kill(f, 3);
	char err[256];
	struct exec_wal_stats st;
	assert_int_equal(recover(f, &st, err, sizeof err), 0);
	assert_int_equal(st.records, 3);
	/* A new writer (given nothing pending) starts a new file and drops the old one. */
	run_child_and_kill(f, 0);
	assert_int_equal(recover(f, &st, err, sizeof err), 0);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.records, 0);
	assert_int_equal(count_files(f), 1);
}

static void test_exec_wal_recover_many_in_order(void **state)
{
	struct fx *f = *state;
	struct exec_wal w;
	open_wal(f, &w, NULL, 0);
	char err[256];
	for (unsigned i = 0; i < 6; i++) {
		struct exec_wal_order o = order(i + 1);
		assert_int_equal(exec_wal_action(&w, 100 + i, i == 5 ? EXEC_WAL_CANCEL : EXEC_WAL_ORDER,
						 &o, 1, BODY, strlen(BODY), T0, 1, err, sizeof err), 0);
	}
	assert_int_equal(exec_wal_inflight(&w), 6);
	/* ACTION is synced at once; SENT/RESULT lazily (the next ACTION or a tick). */
	assert_false(w.j.dirty);
	assert_int_equal(exec_wal_sent(&w, 101, T0, 1, err, sizeof err), 0);
	assert_true(w.j.dirty);
	assert_int_equal(exec_wal_tick(&w, 1 + EXEC_WAL_SYNC_INTERVAL_MS - 1), 0);
	assert_true(w.j.dirty);
	assert_int_equal(exec_wal_tick(&w, 1 + EXEC_WAL_SYNC_INTERVAL_MS), 0);
	assert_false(w.j.dirty);
	assert_int_equal(exec_wal_result(&w, 100, EXEC_WAL_ANSWERED, T0, 1, err, sizeof err), 0);
	assert_int_equal(exec_wal_result(&w, 103, EXEC_WAL_NOT_SENT, T0, 1, err, sizeof err), 0);
	assert_int_equal(exec_wal_inflight(&w), 4);
	/* Errors. */
	struct exec_wal_order o = order(9);
	assert_int_equal(exec_wal_action(&w, 101, EXEC_WAL_ORDER, &o, 1, NULL, 0, T0, 1, err,
					 sizeof err), -EEXIST);
	assert_string_equal(err, "wal: nonce 101 already in flight");
	assert_int_equal(exec_wal_sent(&w, 100, T0, 1, err, sizeof err), -ENOENT);
	assert_string_equal(err, "wal: nonce 100 not in flight");
	assert_int_equal(exec_wal_result(&w, 999, EXEC_WAL_ANSWERED, T0, 1, err, sizeof err), -ENOENT);
	assert_int_equal(exec_wal_action(&w, 7, EXEC_WAL_ORDER, &o, EXEC_WAL_MAX_ORDERS + 1, NULL, 0,
					 T0, 1, err, sizeof err), -EINVAL);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(exec_wal_action(&w, 200 + i, EXEC_WAL_OTHER, NULL, 0, NULL, 0, T0, 1,
						 err, sizeof err), 0);
	assert_int_equal(exec_wal_action(&w, 300, EXEC_WAL_OTHER, NULL, 0, NULL, 0, T0, 1, err,
					 sizeof err), -ENOSPC);
	assert_string_equal(err, "wal: 8 actions in flight (max_inflight)");
	exec_wal_close(&w);
	exec_wal_close(&w);
	assert_int_equal(recover(f, NULL, err, sizeof err), 8);
	uint64_t want[8] = {101, 102, 104, 105, 200, 201, 202, 203};
	for (int i = 0; i < 8; i++)
		assert_true(PEND[i].nonce == want[i]);
	assert_int_equal(PEND[0].sent, 1);
	assert_int_equal(PEND[1].sent, 0);
	assert_int_equal(PEND[3].kind, EXEC_WAL_CANCEL);
	assert_int_equal(PEND[4].n_orders, 0);
	/* cap smaller than what is pending: n stored, total found. */
	size_t n = 0, total = 0;
	assert_int_equal(exec_wal_recover(f->dir, "execwal", PEND, 3, &n, &total, NULL, err,
					  sizeof err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(total, 8);
}

/* ---------------------------------------------------------------- damaged files */

static char *only_file(struct fx *f)
{
	static char path[512];
	DIR *d = opendir(f->dir);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "execwal-", 8) == 0) {
			snprintf(path, sizeof path, "%s/%s", f->dir, de->d_name);
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
	return path;
}

static void write_three(struct fx *f)
{
	struct exec_wal w;
	open_wal(f, &w, NULL, 0);
	char err[256];
	struct exec_wal_order o = order(1);
	assert_int_equal(exec_wal_action(&w, 1, EXEC_WAL_ORDER, &o, 1, BODY, strlen(BODY), T0, 1,
					 err, sizeof err), 0);
	assert_int_equal(exec_wal_action(&w, 2, EXEC_WAL_ORDER, &o, 1, BODY, strlen(BODY), T0, 1,
					 err, sizeof err), 0);
	assert_int_equal(exec_wal_result(&w, 1, EXEC_WAL_ANSWERED, T0, 1, err, sizeof err), 0);
	exec_wal_close(&w);
}

static void test_exec_wal_torn_tail_is_ignored(void **state)
{
	struct fx *f = *state;
	write_three(f);
	const char *path = only_file(f);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	/* Cut the last record (the RESULT of 1) in the middle: 1 is unknown again. */
	assert_int_equal(truncate(path, sb.st_size - 3), 0);
	char err[512] = "";
	struct exec_wal_stats st;
	assert_int_equal(recover(f, &st, err, sizeof err), 2);
	assert_int_equal(st.torn, 1);
	assert_int_equal(st.records, 2);
	assert_non_null(strstr(err, path));
	/* Cut inside the second ACTION: it never reached the disk, so it was never sent. */
	size_t rec_action = HAT_JOURNAL_REC_HDR + 16 + 96 + strlen(BODY);
	assert_int_equal(truncate(path, HAT_JOURNAL_FILE_HDR + rec_action + 40), 0);
	assert_int_equal(recover(f, &st, err, sizeof err), 1);
	assert_true(PEND[0].nonce == 1);
	/* Only the file header (or less) left. */
	assert_int_equal(truncate(path, 10), 0);
	assert_int_equal(recover(f, &st, err, sizeof err), 0);
	assert_int_equal(st.torn, 1);
}

static void test_exec_wal_corrupt_record_keeps_what_came_before(void **state)
{
	struct fx *f = *state;
	write_three(f);
	const char *path = only_file(f);
	/* Flip a byte in the second ACTION's payload. */
	size_t rec_action = HAT_JOURNAL_REC_HDR + 16 + 96 + strlen(BODY);
	off_t at = (off_t)(HAT_JOURNAL_FILE_HDR + rec_action + HAT_JOURNAL_REC_HDR + 30);
	int fd = open(path, O_RDWR);
	uint8_t b;
	assert_int_equal(pread(fd, &b, 1, at), 1);
	b ^= 0xff;
	assert_int_equal(pwrite(fd, &b, 1, at), 1);
	close(fd);
	char err[512] = "";
	struct exec_wal_stats st;
	assert_int_equal(recover(f, &st, err, sizeof err), 1);
	assert_true(PEND[0].nonce == 1); /* its RESULT came after the bad record: unknown */
	assert_int_equal(st.corrupt, 1);
	assert_non_null(strstr(err, path));
}

static void test_exec_wal_malformed_action_is_parse_error(void **state)
{
	struct fx *f = *state;
	struct hat_journal j;
	struct hat_journal_opts jo = {.dir = f->dir, .prefix = "execwal"};
	char err[512];
	assert_int_equal(hat_journal_open(&j, &jo, T0, err, sizeof err), 0);
	uint8_t junk[20] = {0};
	junk[8] = 1;
	junk[10] = 5; /* 5 orders announced, none present */
	assert_int_equal(hat_journal_append(&j, EXEC_WAL_REC_ACTION, T0, junk, sizeof junk, T0, 1,
					    err, sizeof err), 0);
	hat_journal_close(&j);
	size_t n, total;
	assert_int_equal(exec_wal_recover(f->dir, "execwal", PEND, 16, &n, &total, NULL, err,
					  sizeof err), HAT_E_PARSE);
	char want[512];
	snprintf(want, sizeof want, "%s: record at byte 32: malformed ACTION record", only_file(f));
	assert_string_equal(err, want);
}

/* ---------------------------------------------------------------- reopen and compaction */

static void test_exec_wal_reopen_rejournals_and_deletes_old_files(void **state)
{
	struct fx *f = *state;
	write_three(f); /* nonce 2 pending */
	char err[256];
	assert_int_equal(recover(f, NULL, err, sizeof err), 1);
	struct exec_wal w;
	open_wal(f, &w, PEND, 1);
	assert_int_equal(count_files(f), 1); /* the old one is gone */
	assert_int_equal(exec_wal_inflight(&w), 1);
	assert_int_equal(recover(f, NULL, err, sizeof err), 1);
	assert_true(PEND[0].nonce == 2);
	assert_int_equal(exec_wal_sent(&w, 2, T0, 1, err, sizeof err), 0);
	exec_wal_close(&w);
	assert_int_equal(recover(f, NULL, err, sizeof err), 1);
	assert_int_equal(PEND[0].sent, 1);
	open_wal(f, &w, PEND, 1);
	assert_int_equal(exec_wal_result(&w, 2, EXEC_WAL_ANSWERED, T0, 1, err, sizeof err), 0);
	exec_wal_close(&w);
	assert_int_equal(recover(f, NULL, err, sizeof err), 0);
	assert_int_equal(count_files(f), 1);
}

static void test_exec_wal_rotation_compacts(void **state)
{
	struct fx *f = *state;
	struct exec_wal w;
	struct exec_wal_opts o = {.dir = f->dir, .prefix = "execwal", .max_inflight = 2,
				  .max_file_bytes = 1000};
	char err[256];
	assert_int_equal(exec_wal_open(&w, &o, NULL, 0, T0, 1, err, sizeof err), -EINVAL);
	assert_string_equal(err, "wal: max_file_bytes must be >= 49440 for max_inflight 2 (got 1000)");
	o.max_file_bytes = 49440;
	assert_int_equal(exec_wal_open(&w, &o, NULL, 0, T0, 1, err, sizeof err), 0);
	struct exec_wal_order ord = order(3);
	/* One action stays in flight for the whole run; 400 others come and go. */
	assert_int_equal(exec_wal_action(&w, 1, EXEC_WAL_ORDER, &ord, 1, BODY, strlen(BODY), T0, 1,
					 err, sizeof err), 0);
	assert_int_equal(exec_wal_sent(&w, 1, T0, 1, err, sizeof err), 0);
	int max_files = 0;
	for (uint64_t n = 2; n < 1002; n++) {
		assert_int_equal(exec_wal_action(&w, n, EXEC_WAL_ORDER, &ord, 1, BODY, strlen(BODY),
						 T0, 1, err, sizeof err), 0);
		assert_int_equal(exec_wal_sent(&w, n, T0, 1, err, sizeof err), 0);
		assert_int_equal(exec_wal_result(&w, n, EXEC_WAL_ANSWERED, T0, 1, err, sizeof err), 0);
		int c = count_files(f);
		if (c > max_files)
			max_files = c;
	}
	assert_true(w.compactions >= 4);
	assert_true(w.files_deleted >= 3);
	assert_int_equal(max_files, 1);
	exec_wal_close(&w);
	assert_int_equal(recover(f, NULL, err, sizeof err), 1);
	assert_true(PEND[0].nonce == 1);
	assert_int_equal(PEND[0].sent, 1);
	struct exec_wal_order o3 = order(3);
	assert_memory_equal(&PEND[0].orders[0], &o3, sizeof o3);
}

static size_t recover_fills(struct fx *f, struct exec_wal_fill *out)
{
	size_t n = 999;
	char err[256] = "";
	int rc = exec_wal_recover_fills(f->dir, "execwal", out, &n, err, sizeof err);
	if (rc)
		fail_msg("exec_wal_recover_fills: %d %s", rc, err);
	return n;
}

/* Fills journaled by a process killed with SIGKILL come back after rotations and compactions:
 * the newest EXEC_WAL_FILLS_KEPT, oldest first, each once; a reopen keeps them. */
static void test_exec_wal_fills_survive_kill_and_compaction(void **state)
{
	struct fx *f = *state;
	static struct exec_wal_fill got[EXEC_WAL_FILLS_KEPT];
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct exec_wal w;
		struct exec_wal_opts o = {.dir = f->dir, .prefix = "execwal", .max_inflight = 2,
					  .max_file_bytes = 49440};
		char err[256];
		if (exec_wal_open(&w, &o, NULL, 0, T0, 1, err, sizeof err))
			_exit(3);
		/* 2000 fills of 48 journal bytes: the file rotates and compacts twice or more */
		for (uint64_t i = 0; i < 2000; i++) {
			struct exec_wal_fill fl = { 70000 + i, 500 + i % 7, 1700000000000 + i / 3 };
			if (exec_wal_fill(&w, &fl, T0, 1, err, sizeof err))
				_exit(4);
		}
		if (w.compactions < 3)
			_exit(5);
		raise(SIGKILL);
		_exit(6);
	}
	int st = tu_wait(pid, 20000);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(count_files(f), 1);
	assert_int_equal(recover_fills(f, got), EXEC_WAL_FILLS_KEPT);
	for (unsigned i = 0; i < EXEC_WAL_FILLS_KEPT; i++) {
		uint64_t k = 2000 - EXEC_WAL_FILLS_KEPT + i;
		assert_int_equal(got[i].tid, 70000 + k);
		assert_int_equal(got[i].oid, 500 + k % 7);
		assert_int_equal(got[i].time_ms, 1700000000000 + k / 3);
	}
	/* the actions part is untouched: nothing in flight */
	char err[256];
	assert_int_equal(recover(f, NULL, err, sizeof err), 0);
	/* reopened with them: the new file holds them (the old one is deleted), plus new ones */
	struct exec_wal w;
	struct exec_wal_opts o = {.dir = f->dir, .prefix = "execwal", .max_inflight = 2,
				  .fills = got, .n_fills = EXEC_WAL_FILLS_KEPT};
	assert_int_equal(exec_wal_open(&w, &o, NULL, 0, T0, 1, err, sizeof err), 0);
	assert_int_equal(count_files(f), 1);
	struct exec_wal_fill extra = { 99, 1, 1700000009999 };
	assert_int_equal(exec_wal_fill(&w, &extra, T0, 1, err, sizeof err), 0);
	exec_wal_close(&w);
	static struct exec_wal_fill again[EXEC_WAL_FILLS_KEPT];
	assert_int_equal(recover_fills(f, again), EXEC_WAL_FILLS_KEPT);
	assert_memory_equal(again, got + 1, (EXEC_WAL_FILLS_KEPT - 1) * sizeof again[0]);
	assert_int_equal(again[EXEC_WAL_FILLS_KEPT - 1].tid, 99);
	assert_int_equal(again[EXEC_WAL_FILLS_KEPT - 1].time_ms, 1700000009999);
	struct exec_wal z;
	memset(&z, 0, sizeof z);
	assert_int_equal(exec_wal_fill(&z, &extra, T0, 1, err, sizeof err), -EBADF);
}

static void test_exec_wal_open_errors(void **state)
{
	struct fx *f = *state;
	struct exec_wal w;
	char err[256];
	struct exec_wal_opts o = {.dir = f->dir, .prefix = "execwal", .max_inflight = 0};
	assert_int_equal(exec_wal_open(&w, &o, NULL, 0, T0, 1, err, sizeof err), -EINVAL);
	assert_string_equal(err, "wal: max_inflight must be >= 1");
	o.max_inflight = 1;
	assert_int_equal(exec_wal_open(&w, &o, PEND, 2, T0, 1, err, sizeof err), -EINVAL);
	assert_string_equal(err, "wal: 2 recovered actions exceed max_inflight 1");
	o.dir = "/nonexistent-hat-dir";
	assert_true(exec_wal_open(&w, &o, NULL, 0, T0, 1, err, sizeof err) < 0);
	size_t n, total;
	assert_int_equal(exec_wal_recover("/nonexistent-hat-dir", "execwal", PEND, 16, &n, &total,
					  NULL, err, sizeof err), -ENOENT);
	assert_string_equal(err, "opendir(/nonexistent-hat-dir) failed: No such file or directory");
	struct exec_wal z;
	memset(&z, 0, sizeof z);
	assert_int_equal(exec_wal_tick(&z, 1), -EBADF);
	exec_wal_close(&z);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_exec_wal_recover_journaled_not_sent),
		T(test_exec_wal_recover_sent_no_result),
		T(test_exec_wal_recover_with_result),
		T(test_exec_wal_recover_many_in_order),
		T(test_exec_wal_torn_tail_is_ignored),
		T(test_exec_wal_corrupt_record_keeps_what_came_before),
		T(test_exec_wal_malformed_action_is_parse_error),
		T(test_exec_wal_reopen_rejournals_and_deletes_old_files),
		T(test_exec_wal_rotation_compacts),
		T(test_exec_wal_open_errors),
		T(test_exec_wal_fills_survive_kill_and_compaction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
