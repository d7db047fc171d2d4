/* tests/proc/test_doorbell.c -- the doorbell wakes a consumer process sleeping on an empty ring
 * the moment a producer process publishes, and never loses a wake-up (doorbell.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/clock.h"
#include "common/doorbell.h"
#include "common/ring.h"
#include "tests/helpers/test_util.h"

#define LONG_WAIT_NS (10ull * HAT_NS_PER_S) /* a lost wake-up would show as this timeout */

struct fx {
	char inst[32];
	struct hat_doorbell *bell; /* shared with the forked child */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	tu_instance(f->inst, sizeof f->inst);
	char err[256];
	assert_int_equal(hat_ring_create(f->inst, "r", 64, 64, 0, err, sizeof err), 0);
	f->bell = mmap(NULL, sizeof *f->bell, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(f->bell != MAP_FAILED);
	memset(f->bell, 0, sizeof *f->bell);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	hat_ring_unlink(f->inst, "r", NULL, 0);
	tu_shm_cleanup(f->inst);
	munmap(f->bell, sizeof *f->bell);
	free(f);
	return 0;
}

/* Child: consumer. Sleeps on the bell until n messages arrived; exit status = messages
 * received + 100 * (waits that ended by timeout). */
static void consumer(struct fx *f, int n)
{
	struct hat_ring r;
	char err[256];
	if (hat_ring_attach(&r, f->inst, "r", HAT_RING_CONSUMER, 64, 0, err, sizeof err) != 0)
		_exit(99);
	int got = 0, timeouts = 0;
	while (got < n) {
		unsigned char buf[64];
		if (hat_ring_try_pop(&r, buf, sizeof buf) == 0) {
			if (buf[0] != (unsigned char)got)
				_exit(98);
			got++;
			continue;
		}
		uint32_t seq = hat_doorbell_arm(f->bell);
		if (hat_ring_has_input(&r)) {
			hat_doorbell_disarm(f->bell);
			continue;
		}
		uint64_t t0 = hat_mono_ns();
		hat_doorbell_wait(f->bell, seq, LONG_WAIT_NS);
		if (hat_mono_ns() - t0 >= LONG_WAIT_NS)
			timeouts++;
	}
	hat_ring_detach(&r);
	_exit(got + 100 * timeouts);
}

/* A producer process publishing 40 messages with pauses between them (so the consumer falls
 * asleep before most of them): every one arrives, and no wait had to time out. */
static void test_doorbell_wakes_sleeping_consumer_across_processes(void **state)
{
	struct fx *f = *state;
	enum { N = 40 };
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		consumer(f, N);
	struct hat_ring p;
	char err[256];
	assert_int_equal(hat_ring_attach(&p, f->inst, "r", HAT_RING_PRODUCER, 64, 0, err, sizeof err), 0);
	hat_ring_set_doorbell(&p, f->bell);
	for (int i = 0; i < N; i++) {
		unsigned char m[64] = { (unsigned char)i };
		hat_sleep_ns((i % 4) * HAT_NS_PER_MS);
		assert_int_equal(hat_ring_try_push(&p, m, sizeof m), 0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), N); /* all received, zero timeouts */
	/* The consumer did sleep (the test exercised the futex path) and was woken. */
	assert_true(atomic_load(&f->bell->sleeps) > 0);
	assert_true(atomic_load(&f->bell->wakes) > 0);
	hat_ring_detach(&p);
}

/* A ring between arm and wait makes the wait return at once, reporting the wake-up. */
static void test_doorbell_ring_before_wait_returns_at_once(void **state)
{
	struct fx *f = *state;
	uint32_t seq = hat_doorbell_arm(f->bell);
	hat_doorbell_ring(f->bell);
	assert_int_equal(hat_doorbell_wait(f->bell, seq, LONG_WAIT_NS), 1);
	assert_int_equal(atomic_load(&f->bell->armed), 0);
	assert_int_equal(atomic_load(&f->bell->wakes), 1);
	assert_int_equal(atomic_load(&f->bell->sleeps), 0); /* never reached the futex */
}

/* Nobody rings: the wait ends at its timeout and says so; a disarmed bell costs producers no
 * wake-up call. */
static void test_doorbell_timeout_and_disarmed_ring(void **state)
{
	struct fx *f = *state;
	uint32_t seq = hat_doorbell_arm(f->bell);
	assert_int_equal(hat_doorbell_wait(f->bell, seq, 2 * HAT_NS_PER_MS), 0);
	assert_int_equal(atomic_load(&f->bell->sleeps), 1);
	hat_doorbell_ring(f->bell);
	assert_int_equal(atomic_load(&f->bell->wakes), 0);
	assert_int_equal(atomic_load(&f->bell->seq), seq);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_doorbell_wakes_sleeping_consumer_across_processes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_doorbell_ring_before_wait_returns_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_doorbell_timeout_and_disarmed_ring, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
