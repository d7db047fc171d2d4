/* tests/proc/test_ring_xproc.c -- a producer process and a consumer process over a real shm
 * ring: 10 million 64-byte messages, each carrying its seq (stamped by the ring) and a checksum
 * over a body derived from seq. The consumer checks every message arrives once, in order,
 * intact; it reports through a pipe. A second test does the same with the copying single-message
 * calls (push_msg / try_pop) on a small ring, so the full/empty edges are crossed constantly.
 *
 * Runtime: the 10M run uses batches of 256 slots (reserve_n/commit_msg_n, peek_n/release_n);
 * under ASan+UBSan it took 0.3 s on an idle 2-core machine and about 1 s at load average 8
 * (well under the 40 s budget). The parent prints the elapsed time and the rate. The children back off (spin, yield, then sleep) when the ring is
 * full or empty, so a loaded machine slows the test but does not starve it. */
#include <setjmp.h>
#include <stdarg.h>
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
#include "tests/helpers/test_ring_msg.h"
#include "tests/helpers/test_util.h"

#define CHILD_TIMEOUT_MS 50000

struct report {
	uint64_t received; /* messages verified */
	uint64_t bad_seq;  /* expected seq where verification failed, 0 if none */
	int rc;            /* 0 ok, else the error */
	char reason[300];
};

static void write_report(int fd, const struct report *rep)
{
	ssize_t n = write(fd, rep, sizeof *rep);
	(void)n;
}

/* ---------------------------------------------------------------- children */

static int producer_batch(const char *inst, uint64_t total, unsigned batch)
{
	struct hat_ring r;
	char err[256];
	if (hat_ring_attach(&r, inst, "x", HAT_RING_PRODUCER, 64, 0, err, sizeof err) != 0) {
		fprintf(stderr, "producer: %s\n", err);
		return 2;
	}
	struct hat_ring_backoff b;
	hat_ring_backoff_init(&b, 64, 1000, 50000);
	while (hat_ring_next_seq(&r) <= total) {
		uint64_t left = total - hat_ring_next_seq(&r) + 1;
		unsigned k = hat_ring_reserve_n(&r, left < batch ? (unsigned)left : batch);
		if (k == 0) {
			hat_ring_backoff_wait(&b);
			continue;
		}
		hat_ring_backoff_reset(&b);
		uint64_t first = hat_ring_next_seq(&r);
		for (unsigned i = 0; i < k; i++)
			tmsg_fill_body(hat_ring_slot_at(&r, i), first + i);
		if (hat_ring_commit_msg_n(&r, k) != 0) {
			fprintf(stderr, "producer: commit_msg_n failed\n");
			return 3;
		}
	}
	hat_ring_detach(&r);
	return 0;
}

static int consumer_batch(const char *inst, uint64_t total, unsigned batch, int fd)
{
	struct report rep = { 0 };
	struct hat_ring r;
	char err[256];
	if (hat_ring_attach(&r, inst, "x", HAT_RING_CONSUMER, 64, 0, err, sizeof err) != 0) {
		snprintf(rep.reason, sizeof rep.reason, "attach: %s", err);
		rep.rc = 2;
		write_report(fd, &rep);
		return 2;
	}
	struct hat_ring_backoff b;
	hat_ring_backoff_init(&b, 64, 1000, 50000);
	uint64_t want = 1;
	while (want <= total) {
		unsigned k = hat_ring_peek_n(&r, batch);
		if (k == 0) {
			hat_ring_backoff_wait(&b);
			continue;
		}
		hat_ring_backoff_reset(&b);
		for (unsigned i = 0; i < k; i++, want++) {
			const char *why = tmsg_check(hat_ring_slot_at(&r, i), want);
			if (why) {
				rep.bad_seq = want;
				rep.rc = 1;
				snprintf(rep.reason, sizeof rep.reason, "%s (got seq %llu)", why,
					 (unsigned long long)((const struct tmsg *)hat_ring_slot_at(&r, i))->h.seq);
				rep.received = want - 1;
				write_report(fd, &rep);
				return 1;
			}
		}
		hat_ring_release_n(&r, k);
	}
	rep.received = want - 1;
	/* Nothing extra may follow. */
	const void *slot;
	if (hat_ring_peek(&r, &slot) != -EAGAIN) {
		rep.rc = 1;
		snprintf(rep.reason, sizeof rep.reason, "extra message after the last one");
	}
	hat_ring_detach(&r);
	write_report(fd, &rep);
	return rep.rc;
}

static int producer_single(const char *inst, uint64_t total)
{
	struct hat_ring r;
	char err[256];
	if (hat_ring_attach(&r, inst, "x", HAT_RING_PRODUCER, 64, 0, err, sizeof err) != 0)
		return 2;
	struct hat_ring_backoff b;
	hat_ring_backoff_init(&b, 16, 1000, 20000);
	struct tmsg m;
	while (hat_ring_next_seq(&r) <= total) {
		memset(&m, 0, sizeof m);
		tmsg_fill_body(&m, hat_ring_next_seq(&r));
		int rc = hat_ring_push_msg(&r, &m.h);
		if (rc == -EAGAIN) {
			hat_ring_backoff_wait(&b);
			continue;
		}
		if (rc != 0)
			return 3;
		hat_ring_backoff_reset(&b);
	}
	hat_ring_detach(&r);
	return 0;
}

static int consumer_single(const char *inst, uint64_t total, int fd)
{
	struct report rep = { 0 };
	struct hat_ring r;
	char err[256];
	if (hat_ring_attach(&r, inst, "x", HAT_RING_CONSUMER, 64, 0, err, sizeof err) != 0) {
		rep.rc = 2;
		snprintf(rep.reason, sizeof rep.reason, "attach: %s", err);
		write_report(fd, &rep);
		return 2;
	}
	struct hat_ring_backoff b;
	hat_ring_backoff_init(&b, 16, 1000, 20000);
	struct tmsg m;
	for (uint64_t want = 1; want <= total;) {
		int rc = hat_ring_try_pop(&r, &m, sizeof m);
		if (rc == -EAGAIN) {
			hat_ring_backoff_wait(&b);
			continue;
		}
		hat_ring_backoff_reset(&b);
		const char *why = rc ? "pop failed" : tmsg_check(&m, want);
		if (why) {
			rep.rc = 1;
			rep.bad_seq = want;
			snprintf(rep.reason, sizeof rep.reason, "%s (got seq %llu)", why,
				 (unsigned long long)m.h.seq);
			write_report(fd, &rep);
			return 1;
		}
		rep.received = want++;
	}
	hat_ring_detach(&r);
	write_report(fd, &rep);
	return 0;
}

/* The inspector's view while the ring runs at full speed: reads queued messages with
 * hat_ring_read through a READER (PROT_READ) handle; every read reported intact must be. Runs
 * until the consumer index reaches total. Reports intact/stale counts. */
static int reader(const char *inst, uint64_t total, int fd)
{
	struct report rep = { 0 };
	struct hat_ring r;
	char err[256];
	if (hat_ring_attach(&r, inst, "x", HAT_RING_READER, 64, 0, err, sizeof err) != 0) {
		rep.rc = 2;
		snprintf(rep.reason, sizeof rep.reason, "reader attach: %s", err);
		write_report(fd, &rep);
		return 2;
	}
	uint64_t intact = 0, stale = 0, gone = 0;
	unsigned x = 12345;
	for (;;) {
		struct hat_ring_stats st;
		hat_ring_stats(&r, &st);
		if (st.cons >= total)
			break;
		x = x * 1103515245u + 12345u;
		uint64_t idx = st.cons + (st.used ? (x >> 8) % st.used : 0);
		struct tmsg m;
		int rc = hat_ring_read(&r, idx, &m, sizeof m);
		if (rc == 0) {
			const char *why = tmsg_check(&m, idx + 1);
			if (why) {
				rep.rc = 1;
				rep.bad_seq = idx + 1;
				snprintf(rep.reason, sizeof rep.reason, "reader got a torn message: %s", why);
				write_report(fd, &rep);
				return 1;
			}
			intact++;
		} else if (rc == -ESTALE) {
			stale++;
		} else if (rc == -ENOENT) {
			gone++;
		} else {
			rep.rc = 1;
			snprintf(rep.reason, sizeof rep.reason, "reader: rc %d", rc);
			write_report(fd, &rep);
			return 1;
		}
	}
	hat_ring_detach(&r);
	rep.received = intact;
	rep.bad_seq = stale;
	snprintf(rep.reason, sizeof rep.reason, "%llu intact, %llu stale, %llu already gone",
		 (unsigned long long)intact, (unsigned long long)stale, (unsigned long long)gone);
	write_report(fd, &rep);
	return 0;
}

/* ---------------------------------------------------------------- parent */

static int teardown(void **state)
{
	char *inst = *state;
	if (!inst)
		return 0;
	tu_kill_all();
	tu_shm_cleanup(inst);
	free(inst);
	return 0;
}

static void run(void **state, uint32_t count, uint64_t total, unsigned batch)
{
	char *inst = calloc(1, 32), err[256];
	*state = inst;
	tu_instance(inst, 32);
	assert_int_equal(hat_ring_create(inst, "x", count, 64, 0, err, sizeof err), 0);
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	uint64_t t0 = hat_mono_ns();
	pid_t cons = tu_fork();
	if (cons == 0) {
		close(pfd[0]);
		_exit(batch ? consumer_batch(inst, total, batch, pfd[1])
			    : consumer_single(inst, total, pfd[1]));
	}
	close(pfd[1]);
	pid_t prod = tu_fork();
	if (prod == 0)
		_exit(batch ? producer_batch(inst, total, batch) : producer_single(inst, total));

	int ps = tu_wait(prod, CHILD_TIMEOUT_MS);
	int cs = ps == -1 ? -1 : tu_wait(cons, CHILD_TIMEOUT_MS);
	uint64_t ns = hat_mono_ns() - t0;
	struct report rep = { 0 };
	ssize_t n = read(pfd[0], &rep, sizeof rep);
	close(pfd[0]);
	if (ps == -1)
		tu_kill_wait(prod, SIGKILL);
	if (cs == -1)
		tu_kill_wait(cons, SIGKILL);

	/* Inspect the ring through a read-only handle before removing it. */
	struct hat_ring rd;
	struct hat_ring_stats st = { 0 };
	if (hat_ring_attach(&rd, inst, "x", HAT_RING_READER, 64, 0, err, sizeof err) == 0) {
		hat_ring_stats(&rd, &st);
		hat_ring_detach(&rd);
	}
	hat_ring_unlink(inst, "x", NULL, 0);
	int left = tu_shm_count(inst);
	tu_shm_cleanup(inst);

	printf("# %llu messages (batch %u, %u slots) in %.2f s: %.2f M msg/s; ring full %llu times\n",
	       (unsigned long long)total, batch, count, ns / 1e9, total / (ns / 1e3),
	       (unsigned long long)st.full_events);
	if (ps == -1 || cs == -1)
		fail_msg("timed out after %d ms (producer %s, consumer %s); consumer verified %llu",
			 CHILD_TIMEOUT_MS, ps == -1 ? "hung" : "done", cs == -1 ? "hung" : "done",
			 (unsigned long long)rep.received);
	if (n != (ssize_t)sizeof rep)
		fail_msg("no report from the consumer (exit status 0x%x)", cs);
	if (rep.rc)
		fail_msg("consumer: rc %d at seq %llu: %s", rep.rc, (unsigned long long)rep.bad_seq,
			 rep.reason);
	assert_true(WIFEXITED(ps));
	assert_int_equal(WEXITSTATUS(ps), 0);
	assert_true(WIFEXITED(cs));
	assert_int_equal(WEXITSTATUS(cs), 0);
	assert_int_equal(rep.received, total);
	assert_int_equal(st.prod, total);
	assert_int_equal(st.cons, total);
	assert_int_equal(st.producer_pid, 0); /* both detached cleanly */
	assert_int_equal(st.consumer_pid, 0);
	assert_int_equal(left, 0);
}

static void test_ring_xproc_10m_batched_in_order_intact(void **state)
{
	run(state, 4096, 10000000, 256);
}

static void test_ring_xproc_inspector_reads_never_torn(void **state)
{
	char *inst = calloc(1, 32), err[256];
	*state = inst;
	tu_instance(inst, 32);
	const uint64_t total = 2000000;
	/* A small ring, so the producer overwrites slots right after their release. */
	assert_int_equal(hat_ring_create(inst, "x", 64, 64, 0, err, sizeof err), 0);
	int cfd[2], rfd[2];
	assert_int_equal(pipe(cfd), 0);
	assert_int_equal(pipe(rfd), 0);
	pid_t rd = tu_fork();
	if (rd == 0)
		_exit(reader(inst, total, rfd[1]));
	pid_t cons = tu_fork();
	if (cons == 0)
		_exit(consumer_batch(inst, total, 8, cfd[1]));
	pid_t prod = tu_fork();
	if (prod == 0)
		_exit(producer_batch(inst, total, 8));
	close(cfd[1]);
	close(rfd[1]);
	int ps = tu_wait(prod, CHILD_TIMEOUT_MS);
	int cs = ps == -1 ? -1 : tu_wait(cons, CHILD_TIMEOUT_MS);
	int rs = cs == -1 ? -1 : tu_wait(rd, CHILD_TIMEOUT_MS);
	struct report crep = { 0 }, rrep = { 0 };
	ssize_t cn = read(cfd[0], &crep, sizeof crep);
	ssize_t rn = read(rfd[0], &rrep, sizeof rrep);
	close(cfd[0]);
	close(rfd[0]);
	hat_ring_unlink(inst, "x", NULL, 0);
	if (ps == -1 || cs == -1 || rs == -1)
		fail_msg("timed out (producer %d, consumer %d, reader %d)", ps, cs, rs);
	assert_int_equal(cn, (ssize_t)sizeof crep);
	assert_int_equal(rn, (ssize_t)sizeof rrep);
	if (crep.rc)
		fail_msg("consumer: %s", crep.reason);
	if (rrep.rc)
		fail_msg("reader: %s", rrep.reason);
	printf("# inspector: %s\n", rrep.reason);
	assert_int_equal(crep.received, total);
	assert_true(rrep.received > 0); /* it did read intact messages */
	assert_int_equal(tu_shm_count(inst), 0);
}

static void test_ring_xproc_single_calls_small_ring(void **state)
{
	run(state, 8, 300000, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ring_xproc_10m_batched_in_order_intact, teardown),
		cmocka_unit_test_teardown(test_ring_xproc_single_calls_small_ring, teardown),
		cmocka_unit_test_teardown(test_ring_xproc_inspector_reads_never_torn, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
