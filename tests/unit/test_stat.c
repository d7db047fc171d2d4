/* tests/unit/test_stat.c -- common/stat.h: totals continue from what a previous process of the
 * stage published in its control block; gauges do not; the table's bound. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/compiler.h"
#include "common/stat.h"

static uint64_t value(const struct hat_stage_shm *s, const char *name)
{
	uint64_t v = UINT64_MAX;
	assert_int_equal(hat_stage_counter_find(s, name, &v), 0);
	return v;
}

/* A control block in plain memory (*mem to free) and its stage's block. */
static struct hat_stage_shm *control(void **mem, unsigned stage)
{
	static struct hat_control c;
	size_t len = (hat_control_shm_size() + 63) / 64 * 64;
	*mem = aligned_alloc(HAT_CACHELINE, len);
	assert_non_null(*mem);
	assert_int_equal(hat_control_init_mem(&c, *mem, len, 1), 0);
	return hat_control_stage(&c, stage);
}

static void test_stats_continue_across_a_restart(void **state)
{
	(void)state;
	void *mem;
	struct hat_stage_shm *blk = control(&mem, HAT_STAGE_EXECD);

	/* first process: counts 5 fills, has 3 in flight */
	struct hat_stats a;
	memset(&a, 0, sizeof a);
	uint64_t fills = 0, in_flight = 0;
	assert_int_equal(hat_stats_add(&a, blk, "fills", &fills, false), 0);
	assert_int_equal(hat_stats_add(&a, blk, "in_flight", &in_flight, true), 0);
	fills = 5;
	in_flight = 3;
	hat_stats_publish(&a);
	assert_int_equal(value(blk, "fills"), 5);
	assert_int_equal(value(blk, "in_flight"), 3);

	/* it dies; the next process starts from 0 in its own memory */
	struct hat_stats b;
	memset(&b, 0, sizeof b);
	uint64_t fills2 = 0, in_flight2 = 0;
	assert_int_equal(hat_stats_add(&b, blk, "in_flight", &in_flight2, true), 0);
	assert_int_equal(hat_stats_add(&b, blk, "fills", &fills2, false), 0);
	assert_int_equal(b.v[1].base, 5);
	assert_int_equal(b.v[0].base, 0);
	hat_stats_publish(&b);
	assert_int_equal(value(blk, "fills"), 5);  /* never goes back */
	assert_int_equal(value(blk, "in_flight"), 0);
	fills2 = 2;
	in_flight2 = 1;
	hat_stats_publish(&b);
	assert_int_equal(value(blk, "fills"), 7);
	assert_int_equal(value(blk, "in_flight"), 1);
	assert_int_equal(hat_stage_counter_count(blk), 2); /* found by name, not added twice */
	free(mem);
}

static void test_stats_table_bound_and_bad_name(void **state)
{
	(void)state;
	void *mem;
	struct hat_stage_shm *blk = control(&mem, HAT_STAGE_RISKD);
	struct hat_stats s;
	memset(&s, 0, sizeof s);
	uint64_t v = 0;
	assert_int_equal(hat_stats_add(&s, blk, "", &v, false), -EINVAL);
	assert_int_equal(s.n, 0);
	s.n = HAT_STATS_MAX;
	assert_int_equal(hat_stats_add(&s, blk, "one_more", &v, false), -ENOSPC);
	assert_int_equal(hat_stage_counter_count(blk), 0);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_continue_across_a_restart),
		cmocka_unit_test(test_stats_table_bound_and_bad_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
