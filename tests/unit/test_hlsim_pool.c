/* tests/unit/test_hlsim_pool.c -- the prepare workers (tools/hlsim/pool.h): every item's work
 * runs on a worker thread and its done on the loop thread, after the work; n threads really run
 * at once; close lets queued items finish, refuses new ones, joins and reports once; workers
 * block signals. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <uv.h>

#include "tools/hlsim/pool.h"

struct item {
	struct hlsim_pool_item it; /* first */
	int id;
	pthread_t worker;
	int work_ran;              /* set by work (worker thread) */
	int done_saw_work;         /* done found work_ran set */
	int done_calls;
	int sigterm_blocked;
	struct meet *meet;         /* rendezvous of two items, or NULL */
	unsigned sleep_us;
};

/* Two items whose work waits for the other's: only completes if two workers run at once. */
struct meet {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int arrived;
};

static pthread_t loop_thread;
static int done_total, done_off_loop, closed_calls;

static void work(struct hlsim_pool_item *hi)
{
	struct item *x = (struct item *)hi;
	x->worker = pthread_self();
	sigset_t cur;
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	x->sigterm_blocked = sigismember(&cur, SIGTERM);
	if (x->sleep_us)
		usleep(x->sleep_us);
	if (x->meet) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		pthread_mutex_lock(&x->meet->mu);
		x->meet->arrived++;
		pthread_cond_broadcast(&x->meet->cv);
		while (x->meet->arrived < 2 &&
		       pthread_cond_timedwait(&x->meet->cv, &x->meet->mu, &until) == 0)
			;
		pthread_mutex_unlock(&x->meet->mu);
	}
	__atomic_store_n(&x->work_ran, 1, __ATOMIC_RELEASE);
}

static void done(struct hlsim_pool_item *hi)
{
	struct item *x = (struct item *)hi;
	x->done_calls++;
	x->done_saw_work = __atomic_load_n(&x->work_ran, __ATOMIC_ACQUIRE);
	done_total++;
	if (!pthread_equal(pthread_self(), loop_thread))
		done_off_loop++;
}

static void on_closed(struct hlsim_pool *p)
{
	(void)p;
	closed_calls++;
}

static void reset(void)
{
	loop_thread = pthread_self();
	done_total = done_off_loop = closed_calls = 0;
}

/* Resets the counters, makes loop and starts p on it with n workers. */
static void start(uv_loop_t *loop, struct hlsim_pool *p, unsigned n)
{
	char err[128];
	reset();
	uv_loop_init(loop);
	assert_int_equal(hlsim_pool_start(p, loop, n, err, sizeof err), 0);
}

static void test_pool_runs_every_item_then_done_on_loop(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct hlsim_pool p;
	start(&loop, &p, 2);
	enum { N = 2000 };
	struct item *xs = calloc(N, sizeof *xs);
	assert_non_null(xs);
	for (int i = 0; i < N; i++) {
		xs[i].id = i;
		xs[i].it.work = work;
		xs[i].it.done = done;
		assert_int_equal(hlsim_pool_submit(&p, &xs[i].it), 0);
	}
	while (done_total < N)
		uv_run(&loop, UV_RUN_ONCE);
	/* closed before any assertion, so a failure leaves no thread behind */
	hlsim_pool_close(&p, on_closed);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* nothing left open */
	assert_int_equal(closed_calls, 1);
	assert_true(p.closed);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(done_off_loop, 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(xs[i].done_calls, 1);
		assert_int_equal(xs[i].done_saw_work, 1);
		assert_false(pthread_equal(xs[i].worker, loop_thread));
		assert_int_equal(xs[i].sigterm_blocked, 1);
	}
	free(xs);
}

static void test_pool_workers_run_at_once(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct hlsim_pool p;
	start(&loop, &p, 2);
	struct meet m = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	struct item a = { .it = { NULL, work, done }, .meet = &m };
	struct item b = { .it = { NULL, work, done }, .meet = &m };
	assert_int_equal(hlsim_pool_submit(&p, &a.it), 0);
	assert_int_equal(hlsim_pool_submit(&p, &b.it), 0);
	while (done_total < 2)
		uv_run(&loop, UV_RUN_ONCE);
	hlsim_pool_close(&p, NULL);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(m.arrived, 2);
	assert_false(pthread_equal(a.worker, b.worker));
}

static void test_pool_close_finishes_queued_items_and_refuses_new(void **state)
{
	(void)state;
	uv_loop_t loop;
	struct hlsim_pool p;
	start(&loop, &p, 1);
	enum { N = 20 };
	struct item xs[N];
	memset(xs, 0, sizeof xs);
	for (int i = 0; i < N; i++) {
		xs[i].it.work = work;
		xs[i].it.done = done;
		xs[i].sleep_us = 1000;
		assert_int_equal(hlsim_pool_submit(&p, &xs[i].it), 0);
	}
	hlsim_pool_close(&p, on_closed);
	hlsim_pool_close(&p, on_closed); /* once only */
	struct item late = { .it = { NULL, work, done } };
	int late_rc = hlsim_pool_submit(&p, &late.it);
	int closed_early = closed_calls; /* items still queued: not yet */
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(late_rc, -ECANCELED);
	assert_int_equal(closed_early, 0);
	assert_int_equal(done_total, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(xs[i].done_calls, 1);
	assert_int_equal(late.work_ran, 0);
	assert_int_equal(late.done_calls, 0);
	assert_int_equal(closed_calls, 1);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_runs_every_item_then_done_on_loop),
		cmocka_unit_test(test_pool_workers_run_at_once),
		cmocka_unit_test(test_pool_close_finishes_queued_items_and_refuses_new),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
