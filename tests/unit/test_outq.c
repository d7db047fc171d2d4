/* tests/unit/test_outq.c -- the ordered overflow queue in front of a ring (common/outq.h). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/outq.h"
#include "common/ring.h"
#include "tests/helpers/test_util.h"

#define SLOT 64u

struct fx {
	char inst[32];
	struct hat_ring p, c;
	struct hat_outq q;
	char err[256];
};

/* A 64-byte ring of 2 slots (full after two pushes) and a queue of 3 in front of it. */
static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	*state = f;
	tu_instance(f->inst, sizeof f->inst);
	assert_int_equal(hat_ring_create(f->inst, "o", 2, SLOT, 0, f->err, sizeof f->err), 0);
	assert_int_equal(hat_ring_attach(&f->p, f->inst, "o", HAT_RING_PRODUCER, SLOT, 0, f->err,
					 sizeof f->err), 0);
	assert_int_equal(hat_ring_attach(&f->c, f->inst, "o", HAT_RING_CONSUMER, SLOT, 0, f->err,
					 sizeof f->err), 0);
	assert_int_equal(hat_outq_init(&f->q, &f->p, 3, SLOT), 0);
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	hat_outq_deinit(&f->q);
	hat_outq_deinit(&f->q); /* twice is safe */
	hat_ring_detach(&f->p);
	hat_ring_detach(&f->c);
	hat_ring_unlink(f->inst, "o", NULL, 0);
	int left = tu_shm_count(f->inst);
	tu_shm_cleanup(f->inst);
	free(f);
	assert_int_equal(left, 0);
	return 0;
}

struct m {
	struct hat_msg_hdr h;
	uint64_t tag;
};

static int send_tag(struct fx *f, uint64_t tag, uint32_t length)
{
	struct m x;
	memset(&x, 0, sizeof x);
	x.h.type = 0x7e57;
	x.h.version = 1;
	x.h.length = length;
	x.tag = tag;
	return hat_outq_send(&f->q, &x.h);
}

/* Pops one message; returns its tag, or -1 when the ring is empty. */
static int64_t pop_tag(struct fx *f, uint64_t *seq)
{
	struct m x;
	if (hat_ring_try_pop(&f->c, &x, sizeof x) != 0)
		return -1;
	*seq = x.h.seq;
	return (int64_t)x.tag;
}

static void test_outq_sends_straight_then_queues_in_order(void **state)
{
	struct fx *f = *state;
	for (uint64_t t = 1; t <= 5; t++)
		assert_int_equal(send_tag(f, t, sizeof(struct m)), 0);
	/* 2 went into the ring, 3 wait. */
	assert_int_equal(f->q.n, 3);
	assert_int_equal(f->q.queued_total, 3);
	assert_int_equal(f->q.dropped, 0);
	/* A sixth finds the queue full: dropped and counted. */
	assert_int_equal(send_tag(f, 6, sizeof(struct m)), -ENOBUFS);
	assert_int_equal(f->q.dropped, 1);

	uint64_t seq;
	assert_int_equal(pop_tag(f, &seq), 1);
	assert_int_equal(seq, 1);
	/* Nothing goes past the queue: with the queue full a new message is dropped even though
	 * the ring has room again. */
	assert_int_equal(send_tag(f, 7, sizeof(struct m)), -ENOBUFS);
	assert_int_equal(hat_outq_flush(&f->q), 0);
	assert_int_equal(f->q.n, 2);
	assert_int_equal(send_tag(f, 8, sizeof(struct m)), 0);
	assert_int_equal(f->q.n, 3);

	uint64_t want[] = { 2, 3, 4, 5, 8 };
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(hat_outq_flush(&f->q), 0);
		assert_int_equal(pop_tag(f, &seq), want[i]);
		assert_int_equal(seq, i + 2);
	}
	assert_int_equal(hat_outq_flush(&f->q), 0);
	assert_int_equal(f->q.n, 0);
	assert_int_equal(pop_tag(f, &seq), -1);
	assert_int_equal(f->q.queued_total, 4);
	assert_int_equal(f->q.dropped, 2);
}

static void test_outq_rejects_what_no_slot_can_hold(void **state)
{
	struct fx *f = *state;
	assert_int_equal(send_tag(f, 1, SLOT + 1), -EMSGSIZE);
	assert_int_equal(f->q.dropped, 1);
	assert_int_equal(f->q.n, 0);
	/* The ring's own refusal (shorter than a header) is returned, nothing queued or counted. */
	assert_int_equal(send_tag(f, 2, 8), -EINVAL);
	assert_int_equal(f->q.dropped, 1);
	assert_int_equal(f->q.n, 0);
	uint64_t seq;
	assert_int_equal(pop_tag(f, &seq), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outq_sends_straight_then_queues_in_order, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_outq_rejects_what_no_slot_can_hold, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
