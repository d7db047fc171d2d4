/* tests/unit/test_control.c -- control blocks: liveness, counters, log2 histograms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/clock.h"
#include "common/control.h"
#include "common/err.h"
#include "common/shm.h"
#include "tests/helpers/test_util.h"

static void *region(size_t len)
{
	void *p = aligned_alloc(HAT_CACHELINE, (len + 63) / 64 * 64);
	assert_non_null(p);
	return p;
}

static void test_control_init_and_attach(void **state)
{
	(void)state;
	size_t len = hat_control_shm_size();
	void *mem = region(len);
	struct hat_control c;
	assert_int_equal(hat_control_init_mem(&c, (char *)mem + 8, len, 1), -EINVAL);
	assert_int_equal(hat_control_init_mem(&c, mem, len - 1, 1), -ENOSPC);
	assert_int_equal(hat_control_init_mem(&c, mem, len, 123), 0);
	assert_int_equal(c.shm->created_ns, 123);
	for (unsigned s = HAT_STAGE_FEEDD; s <= HAT_STAGE_SUPERD; s++)
		assert_int_equal(hat_control_stage(&c, s)->stage, s);
	assert_null(hat_control_stage(&c, HAT_STAGE_NONE));
	assert_null(hat_control_stage(&c, HAT_STAGE_OPERATOR));

	struct hat_control a;
	char err[160];
	assert_int_equal(hat_control_attach_mem(&a, mem, len, err, sizeof err), 0);
	assert_ptr_equal(a.shm, mem);
	assert_int_equal(hat_control_attach_mem(&a, mem, len - 64, err, sizeof err), HAT_E_BADSIZE);
	assert_non_null(strstr(err, "control: size"));
	c.shm->layout_version = 7;
	assert_int_equal(hat_control_attach_mem(&a, mem, len, err, sizeof err), HAT_E_BADVERSION);
	assert_string_equal(err, "control: layout version 7, this build knows 3");
	c.shm->magic = 1;
	assert_int_equal(hat_control_attach_mem(&a, mem, len, err, sizeof err), HAT_E_BADMAGIC);
	assert_string_equal(err, "control: bad magic (not a control region)");
	free(mem);
}

static void test_control_stage_lifecycle(void **state)
{
	(void)state;
	void *mem = region(hat_control_shm_size());
	struct hat_control c;
	hat_control_init_mem(&c, mem, hat_control_shm_size(), 0);
	struct hat_stage_shm *s = hat_control_stage(&c, HAT_STAGE_RISKD);
	struct hat_stage_status st;
	hat_stage_status(s, &st);
	assert_int_equal(st.state, HAT_STATE_NONE);
	assert_int_equal(st.pid, 0);
	hat_stage_begin(s, 4242, 1000, 2000);
	hat_stage_heartbeat(s, 1500);
	assert_int_equal(hat_stage_set_state(s, HAT_STATE_DEGRADED), 0);
	assert_int_equal(hat_stage_set_state(s, 7), -EINVAL);
	hat_stage_set_ready(s, true);
	hat_stage_note_restart(s);
	hat_stage_note_restart(s);
	hat_stage_status(s, &st);
	assert_int_equal(st.stage, HAT_STAGE_RISKD);
	assert_int_equal(st.pid, 4242);
	assert_int_equal(st.state, HAT_STATE_DEGRADED);
	assert_int_equal(st.ready, 1);
	assert_int_equal(st.heartbeat_ns, 1500);
	assert_int_equal(st.started_ns, 2000);
	assert_int_equal(st.restart_count, 2);
	/* A restart resets readiness and state but keeps the restart count. */
	hat_stage_begin(s, 4243, 3000, 4000);
	hat_stage_status(s, &st);
	assert_int_equal(st.state, HAT_STATE_STARTING);
	assert_int_equal(st.ready, 0);
	assert_int_equal(st.restart_count, 2);
	/* Alive: a running state and a heartbeat no older than the timeout. */
	assert_true(hat_stage_alive(&c, HAT_STAGE_RISKD, 500, 3500));
	assert_false(hat_stage_alive(&c, HAT_STAGE_RISKD, 500, 3501));
	assert_false(hat_stage_alive(&c, HAT_STAGE_SIGNALD, 500, 0));   /* never started */
	assert_false(hat_stage_alive(&c, 0, 500, 0));                   /* no such stage */
	assert_false(hat_stage_alive(&c, HAT_CONTROL_STAGES + 1, 500, 0));
	assert_int_equal(hat_stage_set_state(s, HAT_STATE_HALTED), 0);
	assert_true(hat_stage_alive(&c, HAT_STAGE_RISKD, 500, 3500));
	assert_int_equal(hat_stage_set_state(s, HAT_STATE_STOPPING), 0);
	assert_false(hat_stage_alive(&c, HAT_STAGE_RISKD, 500, 3000));
	assert_string_equal(hat_stage_state_name(HAT_STATE_HALTED), "halted");
	assert_string_equal(hat_stage_state_name(99), "?");
	free(mem);
}

static void test_control_counters_register_and_count(void **state)
{
	(void)state;
	void *mem = region(hat_control_shm_size());
	struct hat_control c;
	hat_control_init_mem(&c, mem, hat_control_shm_size(), 0);
	struct hat_stage_shm *s = hat_control_stage(&c, HAT_STAGE_FEEDD);
	struct hat_counter in, out, again, stale;
	assert_int_equal(hat_counter_register(s, "msgs_in", &in), 0);
	assert_int_equal(hat_counter_register(s, "msgs_out", &out), 0);
	assert_int_equal(hat_counter_registerf(s, &stale, "stale_ms.%s", "BTC"), 0);
	hat_counter_inc(in);
	hat_counter_add(in, 41);
	hat_counter_add(out, 5);
	hat_counter_set(stale, 1234);
	hat_counter_set(stale, 250);
	/* Registering an existing name finds the same counter (a restarted stage keeps counting). */
	assert_int_equal(hat_counter_register(s, "msgs_in", &again), 0);
	assert_ptr_equal(again.v, in.v);
	hat_counter_inc(again);
	assert_int_equal(hat_counter_get(in), 43);
	assert_int_equal(hat_stage_counter_count(s), 3);
	uint64_t v = 0;
	assert_int_equal(hat_stage_counter_find(s, "stale_ms.BTC", &v), 0);
	assert_int_equal(v, 250);
	assert_int_equal(hat_stage_counter_find(s, "msgs_out", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(hat_stage_counter_find(s, "nope", &v), -ENOENT);
	assert_string_equal(hat_stage_counter_at(s, 1)->name, "msgs_out");
	assert_null(hat_stage_counter_at(s, 3));
	/* Bad names and a full table. */
	struct hat_counter x;
	assert_int_equal(hat_counter_register(s, "", &x), -EINVAL);
	assert_int_equal(hat_counter_register(s, "0123456789012345678901234567890123", &x), -EINVAL);
	assert_int_equal(hat_counter_registerf(s, &x, "%s", "0123456789012345678901234567890123"), -EINVAL);
	for (int i = 3; i < HAT_CTL_MAX_COUNTERS; i++)
		assert_int_equal(hat_counter_registerf(s, &x, "c%d", i), 0);
	assert_int_equal(hat_counter_register(s, "one_too_many", &x), -ENOSPC);
	assert_int_equal(hat_stage_counter_count(s), HAT_CTL_MAX_COUNTERS);
	/* Other stages are untouched. */
	assert_int_equal(hat_stage_counter_count(hat_control_stage(&c, HAT_STAGE_EXECD)), 0);
	free(mem);
}

/* Counters are visible across processes through a shared mapping. */
/* A control region in anonymous shared memory (seen by forked children), initialized. */
static void *shared_control(struct hat_control *c, size_t len)
{
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(mem != MAP_FAILED);
	assert_int_equal(hat_control_init_mem(c, mem, len, 0), 0);
	return mem;
}

static void test_control_counters_shared_across_fork(void **state)
{
	(void)state;
	size_t len = hat_control_shm_size();
	struct hat_control c;
	void *mem = shared_control(&c, len);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct hat_stage_shm *s = hat_control_stage(&c, HAT_STAGE_EXECD);
		struct hat_counter n;
		struct hat_hist h;
		hat_stage_begin(s, getpid(), 1, 1);
		if (hat_counter_register(s, "orders_sent", &n) != 0 || hat_hist_register(s, "rtt_ns", &h) != 0)
			_exit(1);
		for (int i = 0; i < 100000; i++)
			hat_counter_inc(n);
		hat_hist_record(h, 1000);
		hat_stage_set_state(s, HAT_STATE_RUNNING);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	struct hat_stage_shm *s = hat_control_stage(&c, HAT_STAGE_EXECD);
	uint64_t v;
	assert_int_equal(hat_stage_counter_find(s, "orders_sent", &v), 0);
	assert_int_equal(v, 100000);
	struct hat_stage_status ss;
	hat_stage_status(s, &ss);
	assert_int_equal(ss.pid, pid);
	assert_int_equal(ss.state, HAT_STATE_RUNNING);
	struct hat_hist_snap snap;
	hat_hist_snapshot(hat_stage_hist_find(s, "rtt_ns"), &snap);
	assert_int_equal(snap.count, 1);
	assert_int_equal(hat_hist_percentile(&snap, 50), 1000);
	munmap(mem, len);
}

/* quiet_gen: odd exactly while the owner is quiet; a reader in another process sees it; a
 * stage starting again (after dying quiet) is not quiet. */
static void test_control_quiet_gen_across_fork(void **state)
{
	(void)state;
	size_t len = hat_control_shm_size();
	struct hat_control c;
	void *mem = shared_control(&c, len);
	struct hat_stage_shm *s = hat_control_stage(&c, HAT_STAGE_RISKD);
	assert_int_equal(hat_stage_quiet_gen(s), 0);
	hat_stage_quiet_leave(s); /* not quiet: no-op */
	assert_int_equal(hat_stage_quiet_gen(s), 0);
	hat_stage_quiet_enter(s);
	hat_stage_quiet_enter(s); /* already quiet: no-op */
	assert_int_equal(hat_stage_quiet_gen(s), 1);
	hat_stage_quiet_leave(s);
	assert_int_equal(hat_stage_quiet_gen(s), 2);
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char b;
		hat_stage_quiet_enter(s);
		if (read(go[0], &b, 1) != 1) /* quiet until the parent says */
			_exit(1);
		hat_stage_quiet_leave(s);
		hat_stage_quiet_enter(s);
		_exit(0); /* dies quiet */
	}
	uint64_t end = hat_mono_ns() + 10 * HAT_NS_PER_S;
	while (hat_stage_quiet_gen(s) != 3 && hat_mono_ns() < end)
		usleep(1000);
	assert_int_equal(hat_stage_quiet_gen(s), 3);
	assert_int_equal(write(go[1], "x", 1), 1);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(hat_stage_quiet_gen(s), 5);
	hat_stage_begin(s, getpid(), 1, 1); /* the restarted stage is busy until it says */
	assert_int_equal(hat_stage_quiet_gen(s), 6);
	close(go[0]);
	close(go[1]);
	munmap(mem, len);
}

static void test_control_hist_buckets(void **state)
{
	(void)state;
	assert_int_equal(hat_hist_bucket(0), 0);
	assert_int_equal(hat_hist_bucket(1), 1);
	assert_int_equal(hat_hist_bucket(2), 2);
	assert_int_equal(hat_hist_bucket(3), 2);
	assert_int_equal(hat_hist_bucket(4), 3);
	assert_int_equal(hat_hist_bucket(1023), 10);
	assert_int_equal(hat_hist_bucket(1024), 11);
	assert_int_equal(hat_hist_bucket((1ull << 62) - 1), 62);
	assert_int_equal(hat_hist_bucket(1ull << 62), 63);
	assert_int_equal(hat_hist_bucket(UINT64_MAX), 63);
	assert_int_equal(hat_hist_bucket_lo(0), 0);
	assert_int_equal(hat_hist_bucket_hi(0), 0);
	assert_int_equal(hat_hist_bucket_lo(11), 1024);
	assert_int_equal(hat_hist_bucket_hi(11), 2047);
	assert_true(hat_hist_bucket_hi(63) == UINT64_MAX);
	for (unsigned k = 1; k < 63; k++) {
		assert_int_equal(hat_hist_bucket(hat_hist_bucket_lo(k)), k);
		assert_int_equal(hat_hist_bucket(hat_hist_bucket_hi(k)), k);
	}
}

static void test_control_hist_percentiles_exact(void **state)
{
	(void)state;
	void *mem = region(hat_control_shm_size());
	struct hat_control c;
	hat_control_init_mem(&c, mem, hat_control_shm_size(), 0);
	struct hat_stage_shm *s = hat_control_stage(&c, HAT_STAGE_SIGNALD);
	struct hat_hist h;
	assert_int_equal(hat_hist_register(s, "tick_to_intent_ns", &h), 0);
	/* 90 values of 100 (bucket 7: 64..127), 9 of 1000 (bucket 10: 512..1023), 1 of 50000
	 * (bucket 16: 32768..65535). */
	for (int i = 0; i < 90; i++)
		hat_hist_record(h, 100);
	for (int i = 0; i < 9; i++)
		hat_hist_record(h, 1000);
	hat_hist_record(h, 50000);
	struct hat_hist_snap snap;
	hat_hist_snapshot(hat_stage_hist_find(s, "tick_to_intent_ns"), &snap);
	assert_int_equal(snap.count, 100);
	assert_int_equal(snap.sum, 90 * 100 + 9 * 1000 + 50000);
	assert_int_equal(snap.min, 100);
	assert_int_equal(snap.max, 50000);
	assert_int_equal(snap.buckets[7], 90);
	assert_int_equal(snap.buckets[10], 9);
	assert_int_equal(snap.buckets[16], 1);
	/* Ranks 1..90 are in bucket 7 (upper bound 127), 91..99 in bucket 10 (1023), 100 in
	 * bucket 16 (65535, clamped to the max 50000). */
	assert_int_equal(hat_hist_percentile(&snap, 50), 127);
	assert_int_equal(hat_hist_percentile(&snap, 90), 127);
	assert_int_equal(hat_hist_percentile(&snap, 91), 1023);
	assert_int_equal(hat_hist_percentile(&snap, 99), 1023);
	assert_int_equal(hat_hist_percentile(&snap, 99.9), 50000); /* clamped to max */
	assert_int_equal(hat_hist_percentile(&snap, 100), 50000);
	assert_int_equal(hat_hist_percentile(&snap, 0), 127); /* rank 1 */
	assert_int_equal(hat_hist_mean(&snap), 680);

	/* All-equal values: every percentile is exact. */
	struct hat_hist_snap one;
	hat_hist_snap_init(&one);
	for (int i = 0; i < 1000; i++)
		hat_hist_snap_record(&one, 777);
	assert_int_equal(hat_hist_percentile(&one, 50), 777);
	assert_int_equal(hat_hist_percentile(&one, 99.9), 777);

	/* Empty */
	struct hat_hist_snap empty;
	hat_hist_snap_init(&empty);
	assert_int_equal(hat_hist_percentile(&empty, 50), 0);
	assert_int_equal(hat_hist_mean(&empty), 0);

	/* Merge: empty + snap + one. */
	hat_hist_merge(&empty, &snap);
	hat_hist_merge(&empty, &one);
	assert_int_equal(empty.count, 1100);
	assert_int_equal(empty.min, 100);
	assert_int_equal(empty.max, 50000);
	assert_int_equal(empty.buckets[10], 9 + 1000);
	/* rank 550 of 1100: 90 in bucket 7, then 1009 in bucket 10 -> 1023 */
	assert_int_equal(hat_hist_percentile(&empty, 50), 1023);
	assert_int_equal(hat_hist_percentile(&empty, 8), 127); /* rank 88 */

	/* Registering the same name again returns the same histogram; the table fills up. */
	struct hat_hist h2;
	assert_int_equal(hat_hist_register(s, "tick_to_intent_ns", &h2), 0);
	assert_ptr_equal(h2.h, h.h);
	for (int i = 1; i < HAT_CTL_MAX_HISTS; i++) {
		char name[16];
		snprintf(name, sizeof name, "h%d", i);
		assert_int_equal(hat_hist_register(s, name, &h2), 0);
	}
	assert_int_equal(hat_hist_register(s, "full", &h2), -ENOSPC);
	assert_int_equal(hat_hist_register(s, "", &h2), -EINVAL);
	assert_int_equal(hat_stage_hist_count(s), HAT_CTL_MAX_HISTS);
	assert_string_equal(hat_stage_hist_at(s, 1)->name, "h1");
	assert_null(hat_stage_hist_find(s, "nope"));
	free(mem);
}

/* The real segment: superd creates it, a stage writes its block, the inspector reads it
 * read-only; a wrong kind of segment under the control name is refused. */
static void test_control_segment_create_open(void **state)
{
	(void)state;
	char inst[32], err[256];
	tu_instance(inst, sizeof inst);
	struct hat_control sup, stage, insp;
	assert_int_equal(hat_control_open(&insp, inst, HAT_SHM_RDONLY, err, sizeof err), -ENOENT);
	assert_int_equal(hat_control_create(&sup, inst, 99, err, sizeof err), 0);
	assert_int_equal(hat_control_create(&stage, inst, 99, err, sizeof err), -EEXIST);
	assert_int_equal(hat_control_open(&stage, inst, 0, err, sizeof err), 0);
	assert_int_equal(hat_control_open(&insp, inst, HAT_SHM_RDONLY, err, sizeof err), 0);
	struct hat_stage_shm *s = hat_control_stage(&stage, HAT_STAGE_FEEDD);
	struct hat_counter n;
	hat_stage_begin(s, getpid(), 5, 6);
	assert_int_equal(hat_counter_register(s, "frames", &n), 0);
	hat_counter_add(n, 12);
	uint64_t v = 0;
	assert_int_equal(hat_stage_counter_find(hat_control_stage(&insp, HAT_STAGE_FEEDD), "frames", &v), 0);
	assert_int_equal(v, 12);
	struct hat_stage_status st;
	hat_stage_status(hat_control_stage(&insp, HAT_STAGE_FEEDD), &st);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(insp.shm->created_ns, 99);
	hat_control_close(&insp);
	hat_control_close(&stage);
	/* A stage opening with the wrong layout in the body is refused with the segment named. */
	sup.shm->n_stages = 4;
	assert_int_equal(hat_control_open(&insp, inst, HAT_SHM_RDONLY, err, sizeof err), HAT_E_BADSIZE);
	char want[64];
	snprintf(want, sizeof want, "shm /hat.%s.control: control: size", inst);
	assert_memory_equal(err, want, strlen(want));
	hat_control_close(&sup);
	assert_int_equal(hat_shm_unlink(inst, HAT_CONTROL_SHM_NAME, err, sizeof err), 0);
	/* Another kind under the control name: refused by the shm header check. */
	struct hat_shm other;
	assert_int_equal(hat_shm_create(&other, inst, HAT_CONTROL_SHM_NAME, HAT_SHM_KIND_BOARD, 1,
					HAT_SHM_HDR_SIZE + 4096, err, sizeof err), 0);
	assert_int_equal(hat_control_open(&insp, inst, HAT_SHM_RDONLY, err, sizeof err), HAT_E_BADMAGIC);
	hat_shm_close(&other);
	assert_int_equal(hat_shm_unlink(inst, HAT_CONTROL_SHM_NAME, err, sizeof err), 0);
	assert_int_equal(tu_shm_count(inst), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_init_and_attach),
		cmocka_unit_test(test_control_stage_lifecycle),
		cmocka_unit_test(test_control_counters_register_and_count),
		cmocka_unit_test(test_control_counters_shared_across_fork),
		cmocka_unit_test(test_control_quiet_gen_across_fork),
		cmocka_unit_test(test_control_hist_buckets),
		cmocka_unit_test(test_control_hist_percentiles_exact),
		cmocka_unit_test(test_control_segment_create_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
