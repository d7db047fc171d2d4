/* tests/unit/test_board.c -- the seqlock board: setup, updates, torn-read freedom under a
 * concurrent writer (threads and processes), and repair after a writer died mid-write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/board.h"
#include "common/err.h"
#include "common/shm.h"
#include "tests/helpers/test_util.h"

#define FX(x) ((int64_t)((x) * HAT_FX_ONE))

static void *region(size_t len)
{
	void *p = aligned_alloc(HAT_CACHELINE, (len + 63) / 64 * 64);
	assert_non_null(p);
	return p;
}

static void test_board_init_attach_and_header_errors(void **state)
{
	(void)state;
	size_t len = hat_board_shm_size(4);
	assert_int_equal(len, 64 + 4 * 192);
	void *mem = region(len);
	struct hat_board b;
	assert_int_equal(hat_board_init_mem(&b, mem, len, 0, 1, 0), -EINVAL);
	assert_int_equal(hat_board_init_mem(&b, mem, len, HAT_BOARD_MAX_COINS + 1, 1, 0), -EINVAL);
	assert_int_equal(hat_board_init_mem(&b, (char *)mem + 8, len, 4, 1, 0), -EINVAL);
	assert_int_equal(hat_board_init_mem(&b, mem, len - 1, 4, 1, 0), -ENOSPC);
	assert_int_equal(hat_board_init_mem(&b, mem, len, 4, 777, 55), 0);
	assert_int_equal(b.shm->writer_pid, 777);
	assert_int_equal(b.shm->writer_since_ns, 55);
	assert_int_equal(hat_board_count(&b), 0);

	struct hat_board r;
	char err[160];
	assert_int_equal(hat_board_attach_mem(&r, mem, len, err, sizeof err), 0);
	assert_int_equal(hat_board_attach_mem(&r, mem, len - 192, err, sizeof err), HAT_E_BADSIZE);
	assert_string_equal(err, "board: size 832 for 4 coins does not match the 640 bytes mapped");
	b.shm->layout_version = 9;
	assert_int_equal(hat_board_attach_mem(&r, mem, len, err, sizeof err), HAT_E_BADVERSION);
	assert_string_equal(err, "board: layout version 9, this build knows 1");
	b.shm->magic = 0;
	assert_int_equal(hat_board_attach_mem(&r, mem, len, err, sizeof err), HAT_E_BADMAGIC);
	assert_string_equal(err, "board: bad magic (not a board region)");
	free(mem);
}

static void test_board_coins_add_find(void **state)
{
	(void)state;
	size_t len = hat_board_shm_size(3);
	void *mem = region(len);
	struct hat_board b;
	hat_board_init_mem(&b, mem, len, 3, 1, 0);
	assert_int_equal(hat_board_add_coin(&b, "BTC", 0), 0);
	assert_int_equal(hat_board_add_coin(&b, "ETH", 1), 1);
	assert_int_equal(hat_board_add_coin(&b, "BTC", 0), 0); /* existing */
	assert_int_equal(hat_board_add_coin(&b, "", 0), -EINVAL);
	assert_int_equal(hat_board_add_coin(&b, "0123456789abcdef", 0), -EINVAL);
	assert_int_equal(hat_board_add_coin(&b, "SOL", 5), 2);
	assert_int_equal(hat_board_add_coin(&b, "DOGE", 6), -ENOSPC);
	assert_int_equal(hat_board_count(&b), 3);
	assert_int_equal(hat_board_find(&b, "ETH"), 1);
	assert_int_equal(hat_board_find(&b, "SOL"), 2);
	assert_int_equal(hat_board_find(&b, "DOGE"), -ENOENT);
	assert_int_equal(hat_board_find(&b, ""), -ENOENT);
	struct hat_board_quote q;
	assert_int_equal(hat_board_read(&b, 2, &q), 0);
	assert_string_equal(q.coin, "SOL");
	assert_int_equal(q.asset, 5);
	assert_int_equal(q.has_bid, 0);
	assert_int_equal(hat_board_read(&b, 3, &q), -ENOENT);
	free(mem);
}

static void test_board_updates_and_reads(void **state)
{
	(void)state;
	size_t len = hat_board_shm_size(2);
	void *mem = region(len);
	struct hat_board b;
	hat_board_init_mem(&b, mem, len, 2, 1, 0);
	hat_board_add_coin(&b, "BTC", 0);
	uint64_t s0 = hat_board_seq(&b, 0);
	hat_board_update_bbo(&b, 0, FX(100), FX(1), 10000000003LL, FX(2), 1700000000001ull, 5000);
	assert_int_equal(hat_board_seq(&b, 0), s0 + 2);
	hat_board_update_trade(&b, 0, FX(100.5), FX(0.25), HAT_SIDE_SELL, 1700000000002ull, 6000);
	struct hat_board_quote q;
	assert_int_equal(hat_board_read(&b, 0, &q), 0);
	assert_int_equal(q.has_bid, 1);
	assert_int_equal(q.has_ask, 1);
	assert_true(q.bid_px == FX(100) && q.bid_sz == FX(1));
	assert_true(q.ask_px == 10000000003LL && q.ask_sz == FX(2));
	assert_true(q.mid_px == 10000000001LL); /* (bid + ask) / 2 rounded down */
	assert_true(q.last_px == FX(100.5) && q.last_sz == FX(0.25));
	assert_int_equal(q.last_side, HAT_SIDE_SELL);
	assert_int_equal(q.exch_time_ms, 1700000000001ull);
	assert_int_equal(q.last_trade_ms, 1700000000002ull);
	assert_int_equal(q.update_ns, 6000);
	assert_int_equal(q.n_book, 1);
	assert_int_equal(q.n_trade, 1);
	/* A one-sided book: no mid. */
	hat_board_update_bbo(&b, 0, FX(99), FX(1), 0, 0, 3, 7000);
	hat_board_read(&b, 0, &q);
	assert_int_equal(q.has_ask, 0);
	assert_true(q.ask_px == 0 && q.mid_px == 0);
	/* Stale on, counted once; a book update clears it. */
	hat_board_set_stale(&b, 0, true, 8000);
	hat_board_set_stale(&b, 0, true, 8001);
	hat_board_read(&b, 0, &q);
	assert_int_equal(q.stale, 1);
	assert_int_equal(q.n_stale, 1);
	hat_board_update_bbo(&b, 0, FX(99), FX(1), FX(101), FX(1), 4, 9000);
	hat_board_read(&b, 0, &q);
	assert_int_equal(q.stale, 0);
	assert_true(q.mid_px == FX(100));
	assert_int_equal(q.n_book, 3);
	free(mem);
}

/* ---------------------------------------------------------------- concurrency */

/* One write where every field derives from k, so a torn snapshot is detectable. */
static void write_k(struct hat_board *b, uint32_t idx, uint64_t k)
{
	struct hat_board_quote *q = hat_board_write_begin(b, idx);
	hat_board_store_u8(&q->has_bid, 1);
	hat_board_store_u8(&q->has_ask, 1);
	hat_board_store_u8(&q->stale, (uint8_t)(k & 1));
	hat_board_store_u8(&q->last_side, (uint8_t)(1 + (k & 1)));
	hat_board_store_i64(&q->bid_px, (int64_t)k);
	hat_board_store_i64(&q->bid_sz, (int64_t)k * 2);
	hat_board_store_i64(&q->ask_px, (int64_t)k + 1);
	hat_board_store_i64(&q->ask_sz, (int64_t)k * 3);
	hat_board_store_i64(&q->mid_px, (int64_t)k * 5);
	hat_board_store_i64(&q->last_px, (int64_t)k * 7);
	hat_board_store_i64(&q->last_sz, (int64_t)k * 11);
	hat_board_store_u64(&q->last_trade_ms, k * 13);
	hat_board_store_u64(&q->exch_time_ms, k * 17);
	hat_board_store_u64(&q->update_ns, k * 19);
	hat_board_store_u64(&q->n_book, k);
	hat_board_store_u64(&q->n_trade, k);
	hat_board_store_u64(&q->n_stale, ~k);
	hat_board_write_end(b, idx);
}

/* Returns 0 if q is one consistent write (or the initial zero state), else 1. */
static int torn(const struct hat_board_quote *q, uint64_t *k_out)
{
	uint64_t k = (uint64_t)q->bid_px;
	*k_out = k;
	if (k == 0 && q->n_book == 0)
		return 0;
	return !(q->has_bid == 1 && q->has_ask == 1 && q->stale == (k & 1) &&
		 q->last_side == 1 + (k & 1) && q->bid_sz == (int64_t)k * 2 &&
		 q->ask_px == (int64_t)k + 1 && q->ask_sz == (int64_t)k * 3 &&
		 q->mid_px == (int64_t)k * 5 && q->last_px == (int64_t)k * 7 &&
		 q->last_sz == (int64_t)k * 11 && q->last_trade_ms == k * 13 &&
		 q->exch_time_ms == k * 17 && q->update_ns == k * 19 && q->n_book == k &&
		 q->n_trade == k && q->n_stale == ~k);
}

struct race {
	struct hat_board *b;
	volatile int done;
	uint64_t writes;
	uint64_t reads, eagain, torn, backwards;
};

static void *writer_thread(void *arg)
{
	struct race *r = arg;
	for (uint64_t k = 1; k <= r->writes; k++)
		write_k(r->b, (uint32_t)(k % 2), k);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Reads both coins until the writer is done; counts torn snapshots and k going backwards. */
static void reader_loop(struct hat_board *b, const volatile int *done, uint64_t *reads,
			uint64_t *eagain, uint64_t *n_torn, uint64_t *backwards)
{
	uint64_t last[2] = { 0, 0 };
	int finished = 0;
	while (finished < 2) {
		if (__atomic_load_n(done, __ATOMIC_ACQUIRE))
			finished++; /* one more full pass after the writer stopped */
		for (uint32_t idx = 0; idx < 2; idx++) {
			struct hat_board_quote q;
			int rc = hat_board_read(b, idx, &q);
			if (rc == -EAGAIN) {
				(*eagain)++;
				continue;
			}
			(*reads)++;
			uint64_t k;
			if (torn(&q, &k))
				(*n_torn)++;
			if (k < last[idx])
				(*backwards)++;
			last[idx] = k;
		}
	}
}

static void test_board_readers_never_see_torn_snapshot_threads(void **state)
{
	(void)state;
	size_t len = hat_board_shm_size(2);
	void *mem = region(len);
	struct hat_board b;
	hat_board_init_mem(&b, mem, len, 2, getpid(), 0);
	hat_board_add_coin(&b, "BTC", 0);
	hat_board_add_coin(&b, "ETH", 1);
	struct race r = { .b = &b, .writes = 300000 };
	pthread_t w;
	assert_int_equal(pthread_create(&w, NULL, writer_thread, &r), 0);
	reader_loop(&b, &r.done, &r.reads, &r.eagain, &r.torn, &r.backwards);
	pthread_join(w, NULL);
	print_message("reads %llu, eagain %llu\n", (unsigned long long)r.reads,
		      (unsigned long long)r.eagain);
	assert_true(r.reads > 0);
	assert_int_equal(r.torn, 0);
	assert_int_equal(r.backwards, 0);
	/* The last writes are what a final read sees. */
	struct hat_board_quote q;
	uint64_t k;
	assert_int_equal(hat_board_read(&b, 0, &q), 0);
	assert_int_equal(torn(&q, &k), 0);
	assert_int_equal(k, 300000);
	assert_int_equal(hat_board_read(&b, 1, &q), 0);
	assert_int_equal(torn(&q, &k), 0);
	assert_int_equal(k, 299999);
	free(mem);
}

/* The same across processes over a real shm segment: the writer is a child process, the
 * readers are two other children opening the board read-only. */
static void test_board_readers_never_see_torn_snapshot_processes(void **state)
{
	(void)state;
	char inst[32], err[256];
	tu_instance(inst, sizeof inst);
	struct hat_board b;
	assert_int_equal(hat_board_create(&b, inst, 2, 0, 1, err, sizeof err), 0);
	hat_board_add_coin(&b, "BTC", 0);
	hat_board_add_coin(&b, "ETH", 1);
	pid_t readers[2];
	for (int i = 0; i < 2; i++) {
		readers[i] = fork();
		assert_true(readers[i] >= 0);
		if (readers[i] == 0) {
			struct hat_board rb;
			char e[256];
			if (hat_board_open(&rb, inst, HAT_SHM_RDONLY, e, sizeof e) != 0)
				_exit(10);
			uint64_t reads = 0, eagain = 0, nt = 0, back = 0;
			/* Read until both coins show the writer's last values (or give up after 40 s
			 * so a broken writer fails the test instead of hanging it). */
			uint64_t last[2] = { 0, 0 };
			uint64_t give_up = tu_now_ms() + 40000;
			while ((last[0] < 200000 || last[1] < 199999) && tu_now_ms() < give_up) {
				for (uint32_t idx = 0; idx < 2; idx++) {
					struct hat_board_quote q;
					int rc = hat_board_read(&rb, idx, &q);
					if (rc == -EAGAIN) {
						eagain++;
						continue;
					}
					reads++;
					uint64_t k;
					if (torn(&q, &k))
						nt++;
					if (k < last[idx])
						back++;
					last[idx] = k;
				}
			}
			hat_board_close(&rb);
			_exit(nt ? 1 : back ? 2 : reads == 0 ? 3 : last[0] != 200000 ? 4 : 0);
		}
	}
	pid_t writer = fork();
	assert_true(writer >= 0);
	if (writer == 0) {
		struct hat_board wb;
		char e[256];
		if (hat_board_open(&wb, inst, 0, e, sizeof e) != 0)
			_exit(10);
		hat_board_set_writer(&wb, getpid(), 2);
		for (uint64_t k = 1; k <= 200000; k++)
			write_k(&wb, (uint32_t)(k % 2), k);
		hat_board_close(&wb);
		_exit(0);
	}
	int st = tu_wait(writer, 50000);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int i = 0; i < 2; i++) {
		st = tu_wait(readers[i], 50000);
		if (st == -1)
			tu_kill_wait(readers[i], SIGKILL);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_int_equal(b.shm->writer_pid, writer);
	hat_board_close(&b);
	assert_int_equal(hat_shm_unlink(inst, HAT_BOARD_SHM_NAME, err, sizeof err), 0);
	assert_int_equal(tu_shm_count(inst), 0);
}

/* ---------------------------------------------------------------- dead writer */

static void test_board_repair_after_writer_died_mid_write(void **state)
{
	(void)state;
	char inst[32], err[256];
	tu_instance(inst, sizeof inst);
	struct hat_board b;
	assert_int_equal(hat_board_create(&b, inst, 4, getpid(), 1, err, sizeof err), 0);
	hat_board_add_coin(&b, "BTC", 0);
	hat_board_add_coin(&b, "ETH", 1);
	hat_board_update_bbo(&b, 1, FX(10), FX(1), FX(11), FX(1), 1, 1);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct hat_board wb;
		char e[256];
		if (hat_board_open(&wb, inst, 0, e, sizeof e) != 0)
			_exit(10);
		hat_board_set_writer(&wb, getpid(), 2);
		hat_board_update_bbo(&wb, 0, FX(100), FX(1), FX(101), FX(1), 5, 5);
		struct hat_board_quote *q = hat_board_write_begin(&wb, 0);
		hat_board_store_i64(&q->bid_px, FX(200)); /* half a write ... */
		raise(SIGKILL);                            /* ... and the writer dies */
		_exit(0);
	}
	int st = tu_wait(child, 20000);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_int_equal(b.shm->writer_pid, child);
	assert_true(hat_board_seq(&b, 0) & 1);

	struct hat_board r;
	assert_int_equal(hat_board_open(&r, inst, HAT_SHM_RDONLY, err, sizeof err), 0);
	struct hat_board_quote q;
	assert_int_equal(hat_board_read(&r, 0, &q), -EAGAIN); /* stuck odd: readers give up */
	assert_int_equal(hat_board_read(&r, 1, &q), 0);        /* other coins are unaffected */

	/* superd repairs only for the pid that owned the board. */
	assert_int_equal(hat_board_repair(&b, child + 100000), 0);
	assert_int_equal(hat_board_repair(&b, child), 1);
	assert_int_equal(hat_board_repair(&b, child), 0); /* idempotent */
	assert_int_equal(b.shm->repairs, 1);
	assert_int_equal(hat_board_read(&r, 0, &q), 0);
	assert_int_equal(q.stale, 1);          /* half-written data is flagged */
	assert_true(q.bid_px == FX(200));      /* (the half write is visible, hence stale) */
	assert_int_equal(q.n_book, 1);
	assert_int_equal(q.n_stale, 1);
	assert_false(hat_board_seq(&b, 0) & 1);

	/* The next writer's first update clears stale. */
	hat_board_set_writer(&b, getpid(), 3);
	hat_board_update_bbo(&b, 0, FX(100), FX(1), FX(102), FX(1), 6, 6);
	assert_int_equal(hat_board_read(&r, 0, &q), 0);
	assert_int_equal(q.stale, 0);
	assert_true(q.mid_px == FX(101));
	hat_board_close(&r);
	hat_board_close(&b);
	assert_int_equal(hat_shm_unlink(inst, HAT_BOARD_SHM_NAME, err, sizeof err), 0);
	assert_int_equal(tu_shm_count(inst), 0);
}

/* A restarted writer repairs what its dead predecessor left, even without superd. */
static void test_board_set_writer_repairs_odd_seq(void **state)
{
	(void)state;
	size_t len = hat_board_shm_size(1);
	void *mem = region(len);
	struct hat_board b;
	hat_board_init_mem(&b, mem, len, 1, 1, 0);
	hat_board_add_coin(&b, "BTC", 0);
	(void)hat_board_write_begin(&b, 0); /* never ended */
	struct hat_board_quote q;
	assert_int_equal(hat_board_read(&b, 0, &q), -EAGAIN);
	hat_board_set_writer(&b, 2, 0);
	assert_int_equal(hat_board_read(&b, 0, &q), 0);
	assert_int_equal(q.stale, 1);
	/* And write_begin on a seq still odd keeps it odd (never publishes a half write). */
	(void)hat_board_write_begin(&b, 0);
	uint64_t s = hat_board_seq(&b, 0);
	(void)hat_board_write_begin(&b, 0);
	assert_int_equal(hat_board_seq(&b, 0), s);
	assert_true(s & 1);
	hat_board_write_end(&b, 0);
	assert_int_equal(hat_board_seq(&b, 0), s + 1);
	free(mem);
}

static void test_board_open_errors_name_segment(void **state)
{
	(void)state;
	char inst[32], err[256];
	tu_instance(inst, sizeof inst);
	struct hat_board b;
	assert_int_equal(hat_board_open(&b, inst, HAT_SHM_RDONLY, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "board"));
	assert_int_equal(hat_board_create(&b, inst, 0, 1, 1, err, sizeof err), -EINVAL);
	assert_string_equal(err, "board: max_coins 0 not in 1..256");
	assert_int_equal(hat_board_create(&b, inst, 2, 1, 1, err, sizeof err), 0);
	struct hat_board b2;
	assert_int_equal(hat_board_create(&b2, inst, 2, 1, 1, err, sizeof err), -EEXIST);
	/* Corrupt the board header inside a valid segment. */
	b.shm->magic = 42;
	assert_int_equal(hat_board_open(&b2, inst, HAT_SHM_RDONLY, err, sizeof err), HAT_E_BADMAGIC);
	char want[128];
	snprintf(want, sizeof want, "shm /hat.%s.board: board: bad magic (not a board region)", inst);
	assert_string_equal(err, want);
	hat_board_close(&b);
	assert_int_equal(hat_shm_unlink(inst, HAT_BOARD_SHM_NAME, err, sizeof err), 0);
	assert_int_equal(tu_shm_count(inst), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_board_init_attach_and_header_errors),
		cmocka_unit_test(test_board_coins_add_find),
		cmocka_unit_test(test_board_updates_and_reads),
		cmocka_unit_test(test_board_readers_never_see_torn_snapshot_threads),
		cmocka_unit_test(test_board_readers_never_see_torn_snapshot_processes),
		cmocka_unit_test(test_board_repair_after_writer_died_mid_write),
		cmocka_unit_test(test_board_set_writer_repairs_odd_seq),
		cmocka_unit_test(test_board_open_errors_name_segment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
