/* tests/proc/test_ring_fault.c -- SIGKILL the consumer, or the producer, of a real shm ring at
 * random moments mid-stream and start a new process on the same segment each time: every message
 * must still arrive exactly once, in order, intact, and nothing half-written may ever be seen.
 *
 * Consumer kills. The first consumer is killed deterministically after processing half of a
 * peeked, unreleased batch; the next must skip exactly that half (redelivered count) and is
 * itself killed at a random moment, and so on. The consumer "processes" a message by advancing last_seq in a small progress
 * segment (what a real consumer's state would be), and only then releases the slot. A new
 * consumer resumes at the ring's consumer index C; the dead one may have processed some peeked
 * but unreleased messages, so last_seq L must satisfy C <= L <= C + batch (L < C would mean a
 * released message was never processed: loss), and the newcomer skips the redelivered ones by
 * seq (counted), then requires seq == L + 1 for every message (no gap, no duplicate).
 *
 * Producer kills. One consumer runs throughout and requires every message to be seq L + 1 with
 * a valid checksum. The first producer is killed deterministically in the middle of a batch:
 * after reserve_n it filled half the slots and wrote a plausible header with a garbage body into
 * the next, then waits to be killed. Later producers are killed at random moments. Each new
 * producer continues from the published index (seq = index + 1), overwriting whatever the dead
 * one left in unpublished slots.
 *
 * A gate in the progress segment keeps each killed generation from reaching the end of the
 * stream, so every kill lands mid-stream however the machine's load delays the parent.
 * Set HAT_TEST_SEED to replay a run; the seed is printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/ring.h"
#include "common/shm.h"
#include "tests/helpers/test_ring_msg.h"
#include "tests/helpers/test_util.h"

#define TOTAL 3000000ULL
#define BATCH 64u
#define SLOTS 1024u
#define KILLS 8
#define WAIT_MS 45000

/* Shared between the parent and the children (kind HAT_SHM_KIND_TEST segment "prog"). */
struct prog {
	_Atomic uint64_t last_seq;    /* highest seq processed by a consumer */
	_Atomic uint64_t redelivered; /* peeked-not-released messages seen again after a kill */
	_Atomic uint64_t gate;        /* children never go past this seq (parent raises it) */
	_Atomic uint32_t mid_write;   /* producer: set while it holds a half-written batch */
	_Atomic uint32_t mid_read;    /* consumer: processed this many of a peeked, unreleased batch */
	_Atomic uint32_t failed;      /* a child found a violation; err says what */
	char err[256];
};

static struct prog *prog_map(struct hat_shm *s, const char *inst, int create)
{
	char err[256];
	int rc = create ? hat_shm_create(s, inst, "prog", HAT_SHM_KIND_TEST, 1,
					 HAT_SHM_HDR_SIZE + sizeof(struct prog), err, sizeof err)
			: hat_shm_open(s, inst, "prog", HAT_SHM_KIND_TEST, 1, 0, 0, err, sizeof err);
	if (rc) {
		fprintf(stderr, "prog segment: %s\n", err);
		return NULL;
	}
	return hat_shm_body(s);
}

HAT_PRINTF(2, 3)
static int child_fail(struct prog *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof p->err, fmt, ap);
	va_end(ap);
	atomic_store(&p->failed, 1);
	return 1;
}

/* ---------------------------------------------------------------- children */

/* Pushes until seq TOTAL. mode 1: after one full batch, fill half of the next reservation,
 * scribble on the slot after, flag mid_write and wait to be killed. */
static int producer(const char *inst, int mode)
{
	struct hat_shm ps;
	struct prog *p = prog_map(&ps, inst, 0);
	if (!p)
		return 2;
	struct hat_ring r;
	char err[256];
	if (hat_ring_attach(&r, inst, "f", HAT_RING_PRODUCER, 64, 0, err, sizeof err) != 0)
		return child_fail(p, "producer attach: %s", err);
	struct hat_ring_backoff b;
	hat_ring_backoff_init(&b, 32, 200, 100000);
	int batches = 0;
	while (hat_ring_next_seq(&r) <= TOTAL) {
		/* Acquire pairs with the parent's release store of gate. */
		uint64_t gate = atomic_load_explicit(&p->gate, memory_order_acquire);
		uint64_t left = gate >= hat_ring_next_seq(&r) ? gate - hat_ring_next_seq(&r) + 1 : 0;
		unsigned k = left ? hat_ring_reserve_n(&r, left < BATCH ? (unsigned)left : BATCH) : 0;
		if (k == 0) {
			hat_ring_backoff_wait(&b);
			continue;
		}
		hat_ring_backoff_reset(&b);
		uint64_t first = hat_ring_next_seq(&r);
		if (mode == 1 && batches == 1 && k >= 4) {
			for (unsigned i = 0; i < k / 2; i++)
				tmsg_fill_body(hat_ring_slot_at(&r, i), first + i);
			struct tmsg *half = hat_ring_slot_at(&r, k / 2);
			half->h.seq = first + k / 2; /* looks right... */
			half->a = 0xdeadbeef;         /* ...but the body is not written yet */
			atomic_store(&p->mid_write, 1);
			for (;;)
				pause(); /* killed here, with k slots reserved and none committed */
		}
		for (unsigned i = 0; i < k; i++)
			tmsg_fill_body(hat_ring_slot_at(&r, i), first + i);
		if (hat_ring_commit_msg_n(&r, k) != 0)
			return child_fail(p, "producer: commit_msg_n failed");
		batches++;
	}
	hat_ring_detach(&r);
	return 0;
}

/* Consumes until seq TOTAL, de-duplicating what a killed predecessor processed but did not
 * release. mode 1: after one full batch, process half of the next peeked batch, record how many
 * in mid_read, and wait to be killed without releasing. */
static int consumer(const char *inst, int mode)
{
	struct hat_shm ps;
	struct prog *p = prog_map(&ps, inst, 0);
	if (!p)
		return 2;
	struct hat_ring r;
	char err[256];
	if (hat_ring_attach(&r, inst, "f", HAT_RING_CONSUMER, 64, 0, err, sizeof err) != 0)
		return child_fail(p, "consumer attach: %s", err);
	uint64_t c = hat_ring_cons_index(&r);
	uint64_t last = atomic_load(&p->last_seq);
	/* seq = index + 1, so released messages are seqs 1..c: all must have been processed. */
	if (last < c)
		return child_fail(p, "loss: consumer index %llu but only %llu processed",
				  (unsigned long long)c, (unsigned long long)last);
	if (last > c + BATCH)
		return child_fail(p, "processed %llu but consumer index %llu: more than a batch ahead",
				  (unsigned long long)last, (unsigned long long)c);
	struct hat_ring_backoff b;
	hat_ring_backoff_init(&b, 32, 200, 100000);
	int batches = 0;
	while (last < TOTAL) {
		/* Acquire pairs with the parent's release store of gate. */
		uint64_t gate = atomic_load_explicit(&p->gate, memory_order_acquire);
		uint64_t left = gate > hat_ring_cons_index(&r) ? gate - hat_ring_cons_index(&r) : 0;
		unsigned k = left ? hat_ring_peek_n(&r, left < BATCH ? (unsigned)left : BATCH) : 0;
		if (k == 0) {
			hat_ring_backoff_wait(&b);
			continue;
		}
		hat_ring_backoff_reset(&b);
		unsigned upto = k;
		if (mode == 1 && batches == 1 && k >= 2)
			upto = k / 2;
		for (unsigned i = 0; i < upto; i++) {
			uint64_t idx = hat_ring_cons_index(&r) + i;
			const struct tmsg *m = hat_ring_slot_at(&r, i);
			const char *why = tmsg_check(m, idx + 1);
			if (why)
				return child_fail(p, "slot index %llu: %s (seq %llu)", (unsigned long long)idx,
						  why, (unsigned long long)m->h.seq);
			if (m->h.seq <= last) {
				atomic_fetch_add(&p->redelivered, 1);
				continue;
			}
			if (m->h.seq != last + 1)
				return child_fail(p, "gap: seq %llu after %llu", (unsigned long long)m->h.seq,
						  (unsigned long long)last);
			last = m->h.seq;
			/* "Processing" is recording it; then (below) the slot is released. */
			atomic_store_explicit(&p->last_seq, last, memory_order_release);
		}
		if (upto < k) {
			atomic_store(&p->mid_read, upto);
			for (;;)
				pause(); /* killed here, holding k peeked slots, upto processed */
		}
		hat_ring_release_n(&r, k);
		batches++;
	}
	const void *slot;
	if (hat_ring_peek(&r, &slot) != -EAGAIN)
		return child_fail(p, "extra message after seq %llu", (unsigned long long)TOTAL);
	hat_ring_detach(&r);
	return 0;
}

/* ---------------------------------------------------------------- parent */

struct fx {
	char inst[32];
	struct hat_shm ps;
	struct prog *p;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char err[256];
	tu_instance(f->inst, sizeof f->inst);
	if (hat_ring_create(f->inst, "f", SLOTS, 64, 0, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	f->p = prog_map(&f->ps, f->inst, 1);
	*state = f;
	return f->p ? 0 : -1;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	int running = tu_kill_all();
	if (running)
		fprintf(stderr, "killed %d children still running\n", running);
	hat_shm_close(&f->ps);
	hat_ring_unlink(f->inst, "f", NULL, 0);
	hat_shm_unlink(f->inst, "prog", NULL, 0);
	int left = tu_shm_count(f->inst);
	tu_shm_cleanup(f->inst);
	free(f);
	if (left) {
		fprintf(stderr, "%d segments left behind\n", left);
		return -1;
	}
	return 0;
}

static pid_t spawn(const char *inst, int role, int mode)
{
	pid_t pid = tu_fork();
	if (pid < 0)
		fail_msg("fork failed");
	if (pid == 0)
		_exit(role == HAT_RING_PRODUCER ? producer(inst, mode) : consumer(inst, mode));
	return pid;
}

static void expect_clean_exit(struct fx *f, pid_t pid, const char *who)
{
	int st = tu_wait(pid, WAIT_MS);
	if (st == -1) {
		tu_kill_wait(pid, SIGKILL);
		fail_msg("%s did not finish in %d ms (last_seq %llu)", who, WAIT_MS,
			 (unsigned long long)atomic_load(&f->p->last_seq));
	}
	if (atomic_load(&f->p->failed))
		fail_msg("%s: %s", who, f->p->err);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void kill_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	int st = tu_wait(pid, WAIT_MS);
	assert_int_not_equal(st, -1);
}

/* Lets the children go up to seq gate. */
static void open_gate(struct fx *f, uint64_t gate)
{
	/* Release pairs with the children's acquire loads of gate. */
	atomic_store_explicit(&f->p->gate, gate, memory_order_release);
}

/* Generation g (0-based) of KILLS may go up to here: far enough to be busy for a while after
 * the kill delay, never to the end, so every kill lands mid-stream even on a loaded machine. */
static uint64_t gate_for(int g)
{
	return (uint64_t)(g + 1) * (TOTAL / (KILLS + 2));
}

/* Sleeps a random 0..3 ms. */
static void random_pause(void)
{
	hat_sleep_ns((uint64_t)(rand() % 3000) * HAT_NS_PER_US);
}

static void check_final(struct fx *f)
{
	struct hat_ring rd;
	char err[256];
	assert_int_equal(hat_ring_attach(&rd, f->inst, "f", HAT_RING_READER, 64, 0, err, sizeof err), 0);
	struct hat_ring_stats st;
	hat_ring_stats(&rd, &st);
	assert_int_equal(hat_ring_check(&rd, err, sizeof err), 0);
	hat_ring_detach(&rd);
	assert_int_equal(st.prod, TOTAL);
	assert_int_equal(st.cons, TOTAL);
	assert_int_equal(st.producer_pid, 0);
	assert_int_equal(st.consumer_pid, 0);
	assert_int_equal(atomic_load(&f->p->last_seq), TOTAL);
}

static void test_ring_fault_consumer_killed_resumes_exactly_once(void **state)
{
	struct fx *f = *state;
	unsigned seed = tu_seed();
	srand(seed);
	open_gate(f, TOTAL); /* the producer is not limited; it waits on the ring */
	pid_t prod = spawn(f->inst, HAT_RING_PRODUCER, 0);

	/* Generation 0: killed after processing half of a peeked batch, deterministically. */
	pid_t c0 = spawn(f->inst, HAT_RING_CONSUMER, 1);
	uint64_t end = tu_now_ms() + WAIT_MS;
	while (!atomic_load(&f->p->mid_read) && !atomic_load(&f->p->failed) && tu_now_ms() < end)
		hat_sleep_ns(50 * HAT_NS_PER_US);
	assert_int_equal(atomic_load(&f->p->failed), 0);
	uint32_t half = atomic_load(&f->p->mid_read);
	assert_true(half >= 1);
	kill_reap(c0);
	uint64_t at_kill = atomic_load(&f->p->last_seq);
	assert_true(at_kill > BATCH); /* one full batch, then half of the next */

	/* The next consumer gets the unreleased batch again and skips exactly the processed half. */
	open_gate(f, gate_for(0));
	pid_t c1 = spawn(f->inst, HAT_RING_CONSUMER, 0);
	while (atomic_load(&f->p->last_seq) == at_kill && !atomic_load(&f->p->failed) &&
	       tu_now_ms() < end)
		hat_sleep_ns(20 * HAT_NS_PER_US);
	assert_int_equal(atomic_load(&f->p->failed), 0);
	assert_int_equal(atomic_load(&f->p->redelivered), half);
	kill_reap(c1);

	int kills = 2, gens = 1;
	for (; kills < KILLS; gens++) {
		uint64_t before = atomic_load(&f->p->last_seq);
		open_gate(f, gate_for(gens));
		pid_t c = spawn(f->inst, HAT_RING_CONSUMER, 0);
		/* Let it make some progress first, so each generation does real work. */
		while (atomic_load(&f->p->last_seq) == before && !atomic_load(&f->p->failed) &&
		       tu_now_ms() < end)
			hat_sleep_ns(20 * HAT_NS_PER_US);
		random_pause();
		if (atomic_load(&f->p->failed) || atomic_load(&f->p->last_seq) >= TOTAL) {
			expect_clean_exit(f, c, "consumer");
			break;
		}
		kill_reap(c);
		kills++;
	}
	uint64_t at_last_kill = atomic_load(&f->p->last_seq);
	if (kills == KILLS) {
		open_gate(f, TOTAL);
		pid_t c = spawn(f->inst, HAT_RING_CONSUMER, 0);
		expect_clean_exit(f, c, "last consumer");
		gens++;
	}
	expect_clean_exit(f, prod, "producer");
	printf("# seed %u: %d consumer kills (1 mid-batch, last at seq %llu of %llu), %llu redelivered\n",
	       seed, kills, (unsigned long long)at_last_kill, TOTAL,
	       (unsigned long long)atomic_load(&f->p->redelivered));
	assert_int_equal(kills, KILLS); /* every kill landed mid-stream */
	check_final(f);
}

static void test_ring_fault_producer_killed_continues_nothing_half_written(void **state)
{
	struct fx *f = *state;
	unsigned seed = tu_seed();
	srand(seed);
	open_gate(f, TOTAL); /* the consumer is not limited; it waits on the ring */
	pid_t c = spawn(f->inst, HAT_RING_CONSUMER, 0);

	/* Generation 0: killed in the middle of a batch, deterministically. */
	pid_t p0 = spawn(f->inst, HAT_RING_PRODUCER, 1);
	uint64_t end = tu_now_ms() + WAIT_MS;
	while (!atomic_load(&f->p->mid_write) && !atomic_load(&f->p->failed) && tu_now_ms() < end)
		hat_sleep_ns(50 * HAT_NS_PER_US);
	assert_int_equal(atomic_load(&f->p->failed), 0);
	assert_int_equal(atomic_load(&f->p->mid_write), 1);
	kill_reap(p0);
	/* Wait for the consumer to drain the one committed batch: what it reads next comes from
	 * the dead producer's unpublished slots unless the ring hides them. */
	while (atomic_load(&f->p->last_seq) < BATCH && !atomic_load(&f->p->failed) &&
	       tu_now_ms() < end)
		hat_sleep_ns(50 * HAT_NS_PER_US);
	assert_int_equal(atomic_load(&f->p->last_seq), BATCH);
	hat_sleep_ns(5 * HAT_NS_PER_MS); /* give a broken ring time to show the half batch */
	assert_int_equal(atomic_load(&f->p->last_seq), BATCH);

	/* Generations 1..KILLS: killed at random moments. */
	int kills = 1;
	for (int g = 1; g <= KILLS; g++) {
		uint64_t before = atomic_load(&f->p->last_seq);
		open_gate(f, gate_for(g));
		pid_t p = spawn(f->inst, HAT_RING_PRODUCER, 0);
		while (atomic_load(&f->p->last_seq) == before && !atomic_load(&f->p->failed) &&
		       tu_now_ms() < end)
			hat_sleep_ns(20 * HAT_NS_PER_US);
		random_pause();
		if (atomic_load(&f->p->failed) || atomic_load(&f->p->last_seq) >= TOTAL) {
			expect_clean_exit(f, p, "producer");
			break;
		}
		kill_reap(p);
		kills++;
	}
	uint64_t at_last_kill = atomic_load(&f->p->last_seq);
	if (atomic_load(&f->p->last_seq) < TOTAL && !atomic_load(&f->p->failed)) {
		open_gate(f, TOTAL);
		pid_t p = spawn(f->inst, HAT_RING_PRODUCER, 0);
		expect_clean_exit(f, p, "last producer");
	}
	expect_clean_exit(f, c, "consumer");
	printf("# seed %u: %d producer kills (1 mid-batch, last at seq %llu of %llu)\n", seed, kills,
	       (unsigned long long)at_last_kill, TOTAL);
	assert_int_equal(kills, KILLS + 1);
	check_final(f);
	struct hat_ring rd;
	char err[256];
	assert_int_equal(hat_ring_attach(&rd, f->inst, "f", HAT_RING_READER, 64, 0, err, sizeof err), 0);
	struct hat_ring_stats st;
	hat_ring_stats(&rd, &st);
	hat_ring_detach(&rd);
	assert_int_equal(st.producer_attaches, KILLS + 2);
	assert_int_equal(st.consumer_attaches, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ring_fault_consumer_killed_resumes_exactly_once,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ring_fault_producer_killed_continues_nothing_half_written,
						fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
