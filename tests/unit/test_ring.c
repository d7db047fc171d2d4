/* tests/unit/test_ring.c -- the SPSC ring in one process: edges, wrap-around, batches, zero-copy,
 * message stamping, roles and corruption handling. Producer and consumer are two handles of the
 * same process on a real shm segment. */
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
#include "common/shm.h"
#include "tests/helpers/test_ring_msg.h"
#include "tests/helpers/test_util.h"

struct fx {
	char inst[32];
	struct hat_ring p; /* producer */
	struct hat_ring c; /* consumer */
	char err[256];
};

static struct fx *fx_new(void **state, uint32_t count, uint32_t slot, uint64_t start)
{
	struct fx *f = calloc(1, sizeof *f);
	*state = f;
	tu_instance(f->inst, sizeof f->inst);
	int rc = hat_ring_create(f->inst, "r", count, slot, start, f->err, sizeof f->err);
	assert_int_equal(rc, 0);
	assert_int_equal(hat_ring_attach(&f->p, f->inst, "r", HAT_RING_PRODUCER, slot, 0, f->err,
					 sizeof f->err), 0);
	assert_int_equal(hat_ring_attach(&f->c, f->inst, "r", HAT_RING_CONSUMER, slot, 0, f->err,
					 sizeof f->err), 0);
	return f;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	if (!f)
		return 0;
	hat_ring_detach(&f->p);
	hat_ring_detach(&f->c);
	hat_ring_unlink(f->inst, "r", NULL, 0);
	int left = tu_shm_count(f->inst);
	tu_shm_cleanup(f->inst);
	free(f);
	assert_int_equal(left, 0);
	return 0;
}

/* Raw read-write view of the ring's segment, for corrupting it on purpose. */
static struct hat_ring_shm *raw_map(struct hat_shm *s, const char *inst)
{
	char err[256];
	assert_int_equal(hat_shm_open(s, inst, "r", HAT_SHM_KIND_RING, 0, 0, 0, err, sizeof err), 0);
	return s->base;
}

/* ---------------------------------------------------------------- create validation */

static void expect_create_einval(uint32_t count, uint32_t slot, const char *want)
{
	char inst[32], err[256] = "";
	tu_instance(inst, sizeof inst);
	assert_int_equal(hat_ring_create(inst, "r", count, slot, 0, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, want));
	assert_int_equal(tu_shm_count(inst), 0);
}

static void test_ring_create_rejects_bad_count_and_slot_size(void **state)
{
	(void)state;
	expect_create_einval(0, 64, "slot_count must be a power of two");
	expect_create_einval(1, 64, "slot_count must be a power of two");
	expect_create_einval(3, 64, "slot_count must be a power of two");
	expect_create_einval(1000, 64, "slot_count must be a power of two");
	expect_create_einval(1u << 25, 64, "slot_count must be a power of two");
	expect_create_einval(8, 0, "slot_size must be a multiple of 64");
	expect_create_einval(8, 63, "slot_size must be a multiple of 64");
	expect_create_einval(8, 100, "slot_size must be a multiple of 64");
	expect_create_einval(8, 128 * 1024, "slot_size must be a multiple of 64");

	char err[256];
	assert_int_equal(hat_ring_create("bad/inst", "r", 8, 64, 0, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "bad instance name \"bad/inst\""));
}

static void test_ring_create_twice_returns_eexist(void **state)
{
	struct fx *f = fx_new(state, 8, 64, 0);
	assert_int_equal(hat_ring_create(f->inst, "r", 8, 64, 0, f->err, sizeof f->err), -EEXIST);
	assert_non_null(strstr(f->err, "File exists"));
}

static void test_ring_segment_layout(void **state)
{
	struct fx *f = fx_new(state, 16, 128, 7);
	struct hat_shm_hdr *h = hat_shm_hdr(&f->p.shm);
	assert_int_equal(h->magic, HAT_SHM_MAGIC);
	assert_int_equal(h->kind, HAT_SHM_KIND_RING);
	assert_int_equal(h->layout_version, HAT_RING_LAYOUT_VERSION);
	assert_int_equal(h->size, 512 + 16 * 128);
	assert_int_equal(h->creator_pid, getpid());
	assert_string_equal(h->name, f->p.shm.name);
	assert_int_equal(hat_ring_capacity(&f->p), 16);
	assert_int_equal(hat_ring_slot_size(&f->p), 128);
	struct hat_ring_stats st;
	hat_ring_stats(&f->c, &st);
	assert_int_equal(st.prod, 7);
	assert_int_equal(st.cons, 7);
	assert_int_equal(st.start_index, 7);
	assert_int_equal(st.used, 0);
	assert_int_equal(st.producer_pid, getpid());
	assert_int_equal(st.consumer_pid, getpid());
	assert_int_equal(st.producer_attaches, 1);
	assert_int_equal(st.consumer_attaches, 1);
	/* The two indices are on their own lines with a guard line after each. */
	assert_int_equal((uintptr_t)&f->p.sh->prod % 64, 0);
	assert_int_equal((char *)&f->p.sh->cons - (char *)&f->p.sh->prod, 128);
	assert_int_equal((uintptr_t)f->p.slots - (uintptr_t)f->p.sh, 512);
}

/* ---------------------------------------------------------------- empty / full */

static void test_ring_pop_when_empty_returns_eagain(void **state)
{
	struct fx *f = fx_new(state, 4, 64, 0);
	char buf[64];
	const void *slot = NULL;
	assert_int_equal(hat_ring_try_pop(&f->c, buf, sizeof buf), -EAGAIN);
	assert_int_equal(hat_ring_peek(&f->c, &slot), -EAGAIN);
	assert_int_equal(hat_ring_peek_n(&f->c, 4), 0);
	assert_int_equal(hat_ring_pop_n(&f->c, buf, 1, 64), 0);
	assert_int_equal(hat_ring_count(&f->c), 0);
}

static void test_ring_push_when_full_returns_eagain(void **state)
{
	struct fx *f = fx_new(state, 4, 64, 0);
	uint64_t v;
	for (v = 0; v < 4; v++)
		assert_int_equal(hat_ring_try_push(&f->p, &v, sizeof v), 0);
	assert_int_equal(hat_ring_count(&f->p), 4);
	v = 99;
	assert_int_equal(hat_ring_try_push(&f->p, &v, sizeof v), -EAGAIN);
	void *slot;
	assert_int_equal(hat_ring_reserve(&f->p, &slot), -EAGAIN);
	assert_int_equal(hat_ring_reserve_n(&f->p, 2), 0);
	assert_int_equal(hat_ring_push_n(&f->p, &v, 1, sizeof v), 0);
	struct hat_ring_stats st;
	hat_ring_stats(&f->c, &st);
	assert_int_equal(st.full_events, 4);
	assert_int_equal(st.used, 4);

	/* One pop frees exactly one slot. */
	uint64_t got;
	assert_int_equal(hat_ring_try_pop(&f->c, &got, sizeof got), 0);
	assert_int_equal(got, 0);
	assert_int_equal(hat_ring_try_push(&f->p, &v, sizeof v), 0);
	assert_int_equal(hat_ring_try_push(&f->p, &v, sizeof v), -EAGAIN);
	for (uint64_t want = 1; want < 4; want++) {
		assert_int_equal(hat_ring_try_pop(&f->c, &got, sizeof got), 0);
		assert_int_equal(got, want);
	}
	assert_int_equal(hat_ring_try_pop(&f->c, &got, sizeof got), 0);
	assert_int_equal(got, 99);
	assert_int_equal(hat_ring_try_pop(&f->c, &got, sizeof got), -EAGAIN);
}

static void test_ring_push_pop_len_validation(void **state)
{
	struct fx *f = fx_new(state, 4, 64, 0);
	char big[65] = { 0 };
	assert_int_equal(hat_ring_try_push(&f->p, big, 0), -EMSGSIZE);
	assert_int_equal(hat_ring_try_push(&f->p, big, 65), -EMSGSIZE);
	assert_int_equal(hat_ring_push_n(&f->p, big, 1, 65), 0);
	assert_int_equal(hat_ring_push_n(&f->p, big, 1, 0), 0);
	assert_int_equal(hat_ring_count(&f->p), 0);
	assert_int_equal(hat_ring_try_push(&f->p, big, 64), 0);
	assert_int_equal(hat_ring_try_pop(&f->c, big, 65), -EMSGSIZE);
	assert_int_equal(hat_ring_try_pop(&f->c, big, 0), -EMSGSIZE);
	assert_int_equal(hat_ring_pop_n(&f->c, big, 1, 65), 0);
	assert_int_equal(hat_ring_count(&f->c), 1); /* nothing consumed by the refused calls */
	assert_int_equal(hat_ring_try_pop(&f->c, big, 64), 0);
}

static void test_ring_partial_copy_keeps_rest_of_slot(void **state)
{
	struct fx *f = fx_new(state, 2, 64, 0);
	unsigned char full[64], part[8], out[64];
	memset(full, 0xab, sizeof full);
	memset(part, 0x11, sizeof part);
	assert_int_equal(hat_ring_try_push(&f->p, full, 64), 0);
	assert_int_equal(hat_ring_try_pop(&f->c, out, 64), 0);
	assert_int_equal(hat_ring_try_push(&f->p, full, 64), 0);
	assert_int_equal(hat_ring_try_pop(&f->c, out, 64), 0);
	/* Third push lands in slot 0 again, copying only 8 bytes: the documented "rest left". */
	assert_int_equal(hat_ring_try_push(&f->p, part, 8), 0);
	assert_int_equal(hat_ring_try_pop(&f->c, out, 64), 0);
	assert_memory_equal(out, part, 8);
	assert_int_equal(out[8], 0xab);
	assert_int_equal(out[63], 0xab);
}

/* ---------------------------------------------------------------- wrap-around */

static uint64_t run_wrap(void **state, uint64_t start, uint64_t span)
{
	struct fx *f = fx_new(state, 8, 64, start);
	uint64_t next_push = 0, next_pop = 0;
	/* Keep between 0 and 8 in flight with an uneven pattern so every fill level and slot
	 * position is crossed while the indices pass the boundary. */
	for (unsigned round = 0; next_pop < span; round++) {
		unsigned want_push = 1 + round % 8;
		for (unsigned i = 0; i < want_push; i++) {
			uint64_t v = next_push;
			int rc = hat_ring_try_push(&f->p, &v, sizeof v);
			if (rc == -EAGAIN)
				break;
			assert_int_equal(rc, 0);
			next_push++;
		}
		unsigned want_pop = 1 + (round * 5) % 8;
		for (unsigned i = 0; i < want_pop; i++) {
			uint64_t v;
			int rc = hat_ring_try_pop(&f->c, &v, sizeof v);
			if (rc == -EAGAIN)
				break;
			assert_int_equal(rc, 0);
			assert_int_equal(v, next_pop);
			next_pop++;
		}
		assert_int_equal(hat_ring_count(&f->c), next_push - next_pop);
		assert_int_equal(hat_ring_check(&f->c, f->err, sizeof f->err), 0);
	}
	struct hat_ring_stats st;
	hat_ring_stats(&f->c, &st);
	assert_int_equal(st.cons, start + next_pop);
	assert_int_equal(st.prod, start + next_push);
	return next_pop;
}

/* try_push/try_pop copy 16 bytes at a time when len is a multiple of 16 and use memcpy
 * otherwise: every length from 1 to the slot size arrives byte-exact, and nothing past len is
 * written on either side. */
static void test_ring_every_length_copies_exactly_len_bytes(void **state)
{
	struct fx *f = fx_new(state, 4, 128, 0);
	unsigned char in[128], out[129];
	for (size_t len = 1; len <= 128; len++) {
		for (size_t i = 0; i < sizeof in; i++)
			in[i] = (unsigned char)(len * 31 + i);
		memset(out, 0xee, sizeof out);
		assert_int_equal(hat_ring_try_push(&f->p, in, len), 0);
		assert_int_equal(hat_ring_try_pop(&f->c, out, len), 0);
		assert_memory_equal(out, in, len);
		for (size_t i = len; i < sizeof out; i++)
			assert_int_equal(out[i], 0xee);
	}
}

static void test_ring_wraps_over_2_pow_32(void **state)
{
	uint64_t start = (1ULL << 32) - 13;
	run_wrap(state, start, 64);
	struct fx *f = *state;
	struct hat_ring_stats st;
	hat_ring_stats(&f->c, &st);
	assert_true(st.cons > (1ULL << 32)); /* really crossed */
}

static void test_ring_wraps_over_2_pow_64(void **state)
{
	uint64_t start = UINT64_MAX - 12; /* 13 below 2^64 */
	uint64_t popped = run_wrap(state, start, 64);
	struct fx *f = *state;
	struct hat_ring_stats st;
	hat_ring_stats(&f->c, &st);
	assert_true(st.cons < 100); /* wrapped through zero */
	assert_int_equal(st.cons, popped - 13);
}

static void test_ring_push_msg_seq_wraps_over_2_pow_32(void **state)
{
	uint64_t start = (1ULL << 32) - 2;
	struct fx *f = fx_new(state, 4, 64, start);
	for (uint64_t i = 0; i < 6; i++) {
		struct tmsg m;
		tmsg_fill_body(&m, start + i + 1);
		assert_int_equal(hat_ring_push_msg(&f->p, &m.h), 0);
		assert_int_equal(m.h.seq, start + i + 1);
		struct tmsg out;
		assert_int_equal(hat_ring_try_pop(&f->c, &out, sizeof out), 0);
		assert_null(tmsg_check(&out, start + i + 1));
	}
}

/* ---------------------------------------------------------------- batches */

static void test_ring_push_n_pop_n_partial_counts(void **state)
{
	struct fx *f = fx_new(state, 8, 64, 5); /* start 5: batches straddle the array's end */
	uint64_t in[20], out[20];
	for (unsigned i = 0; i < 20; i++)
		in[i] = 1000 + i;
	assert_int_equal(hat_ring_push_n(&f->p, in, 0, sizeof in[0]), 0);
	assert_int_equal(hat_ring_push_n(&f->p, in, 5, sizeof in[0]), 5);
	assert_int_equal(hat_ring_push_n(&f->p, in + 5, 10, sizeof in[0]), 3); /* only 3 free */
	assert_int_equal(hat_ring_push_n(&f->p, in + 8, 10, sizeof in[0]), 0);
	memset(out, 0, sizeof out);
	assert_int_equal(hat_ring_pop_n(&f->c, out, 3, sizeof out[0]), 3);
	assert_int_equal(hat_ring_pop_n(&f->c, out + 3, 20, sizeof out[0]), 5);
	assert_int_equal(hat_ring_pop_n(&f->c, out + 8, 20, sizeof out[0]), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(out[i], 1000 + i);
	/* And again across the end of the slot array. */
	assert_int_equal(hat_ring_push_n(&f->p, in + 8, 12, sizeof in[0]), 8);
	assert_int_equal(hat_ring_pop_n(&f->c, out + 8, 12, sizeof out[0]), 8);
	for (unsigned i = 8; i < 16; i++)
		assert_int_equal(out[i], 1000 + i);
}

static void test_ring_batch_stride_copies_stride_bytes(void **state)
{
	struct fx *f = fx_new(state, 4, 128, 0);
	unsigned char in[3][100], out[3][100];
	for (int i = 0; i < 3; i++)
		memset(in[i], 'a' + i, sizeof in[i]);
	assert_int_equal(hat_ring_push_n(&f->p, in, 3, 100), 3);
	memset(out, 0, sizeof out);
	assert_int_equal(hat_ring_pop_n(&f->c, out, 3, 100), 3);
	assert_memory_equal(in, out, sizeof in);
}

/* ---------------------------------------------------------------- zero-copy */

static void test_ring_reserve_is_invisible_until_commit(void **state)
{
	struct fx *f = fx_new(state, 4, 64, 0);
	void *s1, *s2;
	const void *got;
	assert_int_equal(hat_ring_reserve(&f->p, &s1), 0);
	memset(s1, 0x5a, 64);
	assert_int_equal(hat_ring_peek(&f->c, &got), -EAGAIN);
	assert_int_equal(hat_ring_count(&f->c), 0);
	/* Reserving again without commit hands out the same slot. */
	assert_int_equal(hat_ring_reserve(&f->p, &s2), 0);
	assert_ptr_equal(s1, s2);
	hat_ring_commit(&f->p);
	assert_int_equal(hat_ring_peek(&f->c, &got), 0);
	/* Same slot, seen through the consumer's own mapping. */
	assert_int_equal((const char *)got - (const char *)f->c.sh, (char *)s1 - (char *)f->p.sh);
	assert_int_equal(((const unsigned char *)got)[63], 0x5a);
	/* Peeking again without release returns the same slot; release frees it. */
	const void *again;
	assert_int_equal(hat_ring_peek(&f->c, &again), 0);
	assert_ptr_equal(again, got);
	hat_ring_release(&f->c);
	assert_int_equal(hat_ring_peek(&f->c, &again), -EAGAIN);
}

static void test_ring_reserve_n_commit_n_and_peek_n_release_n(void **state)
{
	struct fx *f = fx_new(state, 4, 64, 2); /* slots 2,3,0,1: crosses the array end */
	assert_int_equal(hat_ring_reserve_n(&f->p, 0), 0);
	assert_int_equal(hat_ring_reserve_n(&f->p, 9), 4);
	unsigned char *base = f->p.slots;
	assert_ptr_equal(hat_ring_slot_at(&f->p, 0), base + 2 * 64);
	assert_ptr_equal(hat_ring_slot_at(&f->p, 1), base + 3 * 64);
	assert_ptr_equal(hat_ring_slot_at(&f->p, 2), base + 0 * 64);
	assert_ptr_equal(hat_ring_slot_at(&f->p, 3), base + 1 * 64);
	for (unsigned i = 0; i < 4; i++)
		*(uint64_t *)hat_ring_slot_at(&f->p, i) = 70 + i;
	hat_ring_commit_n(&f->p, 3); /* the 4th is dropped */
	assert_int_equal(hat_ring_count(&f->c), 3);

	assert_int_equal(hat_ring_peek_n(&f->c, 8), 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(*(const uint64_t *)hat_ring_slot_at(&f->c, i), 70 + i);
	hat_ring_release_n(&f->c, 2);
	assert_int_equal(hat_ring_count(&f->c), 1);
	assert_int_equal(hat_ring_peek_n(&f->c, 8), 1);
	assert_int_equal(*(const uint64_t *)hat_ring_slot_at(&f->c, 0), 72);
	hat_ring_release_n(&f->c, 0); /* releases nothing */
	assert_int_equal(hat_ring_count(&f->c), 1);
	assert_int_equal(hat_ring_peek_n(&f->c, 1), 1);
	hat_ring_release_n(&f->c, 1);
	assert_int_equal(hat_ring_count(&f->c), 0);

	/* The dropped 4th slot is reserved again by the next reserve. */
	assert_int_equal(hat_ring_reserve_n(&f->p, 1), 1);
	assert_ptr_equal(hat_ring_slot_at(&f->p, 0), base + 1 * 64);
	hat_ring_commit_n(&f->p, 0);
	assert_int_equal(hat_ring_count(&f->c), 0);
}

/* ---------------------------------------------------------------- messages */

static void test_ring_push_msg_stamps_seq_and_send_ns(void **state)
{
	struct fx *f = fx_new(state, 8, 64, 0);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		struct tmsg m;
		memset(&m, 0, sizeof m);
		tmsg_fill_body(&m, seq);
		m.h.seq = 777;
		uint64_t t0 = hat_now_ns();
		assert_int_equal(hat_ring_next_seq(&f->p), seq);
		assert_int_equal(hat_ring_push_msg(&f->p, &m.h), 0);
		uint64_t t1 = hat_now_ns();
		assert_int_equal(m.h.seq, seq);
		assert_in_range(m.h.send_ns, t0, t1);
		struct tmsg out;
		assert_int_equal(hat_ring_try_pop(&f->c, &out, sizeof out), 0);
		assert_memory_equal(&out, &m, sizeof m);
		assert_null(tmsg_check(&out, seq));
	}
}

static void test_ring_push_msg_rejects_bad_length(void **state)
{
	struct fx *f = fx_new(state, 8, 64, 0);
	unsigned char buf[128];
	memset(buf, 0, sizeof buf);
	struct hat_msg_hdr *m = (void *)buf;
	m->length = 65;
	assert_int_equal(hat_ring_push_msg(&f->p, m), -EMSGSIZE);
	m->length = 31;
	assert_int_equal(hat_ring_push_msg(&f->p, m), -EINVAL);
	m->length = 0;
	assert_int_equal(hat_ring_push_msg(&f->p, m), -EINVAL);
	assert_int_equal(m->seq, 0);
	assert_int_equal(hat_ring_count(&f->c), 0);
	m->length = 32; /* a header-only message is fine */
	assert_int_equal(hat_ring_push_msg(&f->p, m), 0);
	assert_int_equal(m->seq, 1);
}

static void test_ring_push_msg_when_full_leaves_msg_untouched(void **state)
{
	struct fx *f = fx_new(state, 2, 64, 0);
	struct tmsg m;
	tmsg_fill_body(&m, 1);
	assert_int_equal(hat_ring_push_msg(&f->p, &m.h), 0);
	assert_int_equal(hat_ring_push_msg(&f->p, &m.h), 0);
	m.h.seq = 42;
	m.h.send_ns = 43;
	assert_int_equal(hat_ring_push_msg(&f->p, &m.h), -EAGAIN);
	assert_int_equal(m.h.seq, 42);
	assert_int_equal(m.h.send_ns, 43);
}

static void test_ring_commit_msg_n_stamps_in_place(void **state)
{
	struct fx *f = fx_new(state, 8, 64, 100);
	assert_int_equal(hat_ring_reserve_n(&f->p, 3), 3);
	uint64_t first = hat_ring_next_seq(&f->p);
	assert_int_equal(first, 101);
	for (unsigned i = 0; i < 3; i++)
		tmsg_fill_body(hat_ring_slot_at(&f->p, i), first + i);
	uint64_t t0 = hat_now_ns();
	assert_int_equal(hat_ring_commit_msg_n(&f->p, 3), 0);
	assert_int_equal(hat_ring_next_seq(&f->p), 104);
	assert_int_equal(hat_ring_peek_n(&f->c, 8), 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct tmsg *m = hat_ring_slot_at(&f->c, i);
		assert_null(tmsg_check(m, first + i));
		assert_true(m->h.send_ns >= t0);
	}
	hat_ring_release_n(&f->c, 3);
}

static void test_ring_commit_msg_n_bad_length_publishes_nothing(void **state)
{
	struct fx *f = fx_new(state, 8, 64, 0);
	assert_int_equal(hat_ring_reserve_n(&f->p, 2), 2);
	tmsg_fill_body(hat_ring_slot_at(&f->p, 0), 1);
	tmsg_fill_body(hat_ring_slot_at(&f->p, 1), 2);
	((struct tmsg *)hat_ring_slot_at(&f->p, 1))->h.length = 128;
	assert_int_equal(hat_ring_commit_msg_n(&f->p, 2), -EMSGSIZE);
	assert_int_equal(hat_ring_count(&f->c), 0);
	((struct tmsg *)hat_ring_slot_at(&f->p, 1))->h.length = 8;
	assert_int_equal(hat_ring_commit_msg_n(&f->p, 2), -EINVAL);
	assert_int_equal(hat_ring_count(&f->c), 0);
	/* The reservation stays: fix it and commit. */
	((struct tmsg *)hat_ring_slot_at(&f->p, 1))->h.length = 64;
	assert_int_equal(hat_ring_commit_msg_n(&f->p, 2), 0);
	assert_int_equal(hat_ring_count(&f->c), 2);
}

static void test_ring_seq_continues_after_producer_reattach(void **state)
{
	struct fx *f = fx_new(state, 8, 64, 0);
	struct tmsg m;
	for (uint64_t seq = 1; seq <= 3; seq++) {
		tmsg_fill_body(&m, seq);
		assert_int_equal(hat_ring_push_msg(&f->p, &m.h), 0);
	}
	/* A reservation that is never committed (the producer "dies") leaves no trace. */
	assert_int_equal(hat_ring_reserve_n(&f->p, 2), 2);
	tmsg_fill_body(hat_ring_slot_at(&f->p, 0), 4);
	hat_ring_detach(&f->p);
	struct hat_ring_stats st;
	hat_ring_stats(&f->c, &st);
	assert_int_equal(st.producer_pid, 0);
	assert_int_equal(st.prod, 3);
	assert_int_equal(hat_ring_attach(&f->p, f->inst, "r", HAT_RING_PRODUCER, 64, 0, f->err,
					 sizeof f->err), 0);
	assert_int_equal(hat_ring_next_seq(&f->p), 4);
	tmsg_fill_body(&m, 4);
	assert_int_equal(hat_ring_push_msg(&f->p, &m.h), 0);
	assert_int_equal(m.h.seq, 4);
	hat_ring_stats(&f->c, &st);
	assert_int_equal(st.producer_attaches, 2);
	for (uint64_t seq = 1; seq <= 4; seq++) {
		struct tmsg out;
		assert_int_equal(hat_ring_try_pop(&f->c, &out, sizeof out), 0);
		assert_null(tmsg_check(&out, seq));
	}
}

static void test_ring_consumer_reattach_resumes_at_unreleased(void **state)
{
	struct fx *f = fx_new(state, 8, 64, 0);
	uint64_t v;
	for (v = 0; v < 5; v++)
		assert_int_equal(hat_ring_try_push(&f->p, &v, sizeof v), 0);
	assert_int_equal(hat_ring_try_pop(&f->c, &v, sizeof v), 0);
	assert_int_equal(hat_ring_peek_n(&f->c, 3), 3); /* peeked, never released */
	hat_ring_detach(&f->c);
	assert_int_equal(hat_ring_attach(&f->c, f->inst, "r", HAT_RING_CONSUMER, 0, 0, f->err,
					 sizeof f->err), 0);
	assert_int_equal(hat_ring_cons_index(&f->c), 1);
	for (uint64_t want = 1; want < 5; want++) {
		assert_int_equal(hat_ring_try_pop(&f->c, &v, sizeof v), 0);
		assert_int_equal(v, want);
	}
}

/* ---------------------------------------------------------------- inspector read */

static void test_ring_read_copies_queued_messages_only(void **state)
{
	struct fx *f = fx_new(state, 4, 64, (1ULL << 32) - 2);
	uint64_t base = (1ULL << 32) - 2;
	struct hat_ring rd;
	assert_int_equal(hat_ring_attach(&rd, f->inst, "r", HAT_RING_READER, 0, 0, f->err,
					 sizeof f->err), 0);
	struct tmsg m, out;
	assert_int_equal(hat_ring_read(&rd, base, &out, sizeof out), -ENOENT); /* empty */
	for (uint64_t i = 0; i < 3; i++) {
		tmsg_fill_body(&m, base + i + 1);
		assert_int_equal(hat_ring_push_msg(&f->p, &m.h), 0);
	}
	for (uint64_t i = 0; i < 3; i++) {
		memset(&out, 0, sizeof out);
		assert_int_equal(hat_ring_read(&rd, base + i, &out, sizeof out), 0);
		assert_null(tmsg_check(&out, base + i + 1));
	}
	assert_int_equal(hat_ring_read(&rd, base + 3, &out, sizeof out), -ENOENT); /* not yet */
	assert_int_equal(hat_ring_read(&rd, base - 1, &out, sizeof out), -ENOENT); /* before start */
	assert_int_equal(hat_ring_read(&rd, base, &out, 0), -EMSGSIZE);
	assert_int_equal(hat_ring_read(&rd, base, &out, 65), -EMSGSIZE);
	/* Reading consumed nothing; after a pop the released message is gone for the reader. */
	assert_int_equal(hat_ring_count(&f->c), 3);
	assert_int_equal(hat_ring_try_pop(&f->c, &out, sizeof out), 0);
	assert_int_equal(hat_ring_read(&rd, base, &out, sizeof out), -ENOENT);
	assert_int_equal(hat_ring_read(&rd, base + 1, &out, 8), 0); /* a prefix is fine */
	hat_ring_detach(&rd);
}

/* ---------------------------------------------------------------- attach, roles, corruption */

static void test_ring_attach_missing_returns_enoent(void **state)
{
	(void)state;
	char inst[32], err[256];
	struct hat_ring r;
	tu_instance(inst, sizeof inst);
	assert_int_equal(hat_ring_attach(&r, inst, "nope", HAT_RING_CONSUMER, 0, 0, err, sizeof err),
			 -ENOENT);
	char want[128];
	snprintf(want, sizeof want, "shm /hat.%s.nope: no such segment", inst);
	assert_non_null(strstr(err, want));
	assert_null(r.sh);
	assert_int_equal(hat_ring_attach(&r, inst, "nope", 9, 0, 0, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "bad role 9"));
}

static void test_ring_attach_checks_expected_slot_size(void **state)
{
	struct fx *f = fx_new(state, 4, 128, 0);
	struct hat_ring r;
	assert_int_equal(hat_ring_attach(&r, f->inst, "r", HAT_RING_READER, 576, 0, f->err,
					 sizeof f->err), -EMSGSIZE);
	char want[128];
	snprintf(want, sizeof want, "ring /hat.%s.r: slot size 128, this stage needs 576", f->inst);
	assert_string_equal(f->err, want);
}

static void test_ring_attach_refuses_non_ring_segment(void **state)
{
	(void)state;
	char inst[32], err[256];
	struct hat_shm s;
	struct hat_ring r;
	tu_instance(inst, sizeof inst);
	assert_int_equal(hat_shm_create(&s, inst, "r", HAT_SHM_KIND_BOARD, 1, 4096, err, sizeof err), 0);
	hat_shm_close(&s);
	assert_int_equal(hat_ring_attach(&r, inst, "r", HAT_RING_CONSUMER, 0, 0, err, sizeof err),
			 HAT_E_BADMAGIC);
	char want[160];
	snprintf(want, sizeof want, "shm /hat.%s.r: is a board segment (kind 2), expected a ring (kind 1)",
		 inst);
	assert_string_equal(err, want);
	assert_int_equal(hat_shm_unlink(inst, "r", err, sizeof err), 0);
	assert_int_equal(tu_shm_count(inst), 0);
}

static void test_ring_second_live_producer_is_refused(void **state)
{
	struct fx *f = fx_new(state, 4, 64, 0);
	struct hat_shm raw;
	struct hat_ring_shm *sh = raw_map(&raw, f->inst);
	/* Pretend pid 1 (always alive, not ours: kill() says EPERM or 0) is the producer. */
	atomic_store(&sh->producer_pid, 1);
	struct hat_ring r2;
	assert_int_equal(hat_ring_attach(&r2, f->inst, "r", HAT_RING_PRODUCER, 0, 0, f->err,
					 sizeof f->err), -EBUSY);
	char want[160];
	snprintf(want, sizeof want, "ring /hat.%s.r: producer pid 1 is still attached (one producer per ring)",
		 f->inst);
	assert_string_equal(f->err, want);
	assert_null(r2.sh);
	/* superd, having reaped the old one, takes over. */
	assert_int_equal(hat_ring_attach(&r2, f->inst, "r", HAT_RING_PRODUCER, 0, HAT_RING_TAKEOVER,
					 f->err, sizeof f->err), 0);
	assert_int_equal(atomic_load(&sh->producer_pid), getpid());
	hat_ring_detach(&r2);
	assert_int_equal(atomic_load(&sh->producer_pid), 0);

	/* A dead pid is not an owner: attach succeeds without TAKEOVER. */
	pid_t child = tu_fork();
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	atomic_store(&sh->consumer_pid, child);
	struct hat_ring c2;
	assert_int_equal(hat_ring_attach(&c2, f->inst, "r", HAT_RING_CONSUMER, 0, 0, f->err,
					 sizeof f->err), 0);
	assert_int_equal(atomic_load(&sh->consumer_pid), getpid());
	hat_ring_detach(&c2);
	hat_shm_close(&raw);
}

static void test_ring_reader_is_read_only_and_reports(void **state)
{
	struct fx *f = fx_new(state, 8, 64, 0);
	uint64_t v = 1;
	for (int i = 0; i < 3; i++)
		assert_int_equal(hat_ring_try_push(&f->p, &v, sizeof v), 0);
	struct hat_ring rd;
	assert_int_equal(hat_ring_attach(&rd, f->inst, "r", HAT_RING_READER, 64, 0, f->err,
					 sizeof f->err), 0);
	assert_int_equal(hat_ring_count(&rd), 3);
	assert_int_equal(hat_ring_check(&rd, f->err, sizeof f->err), 0);
	struct hat_ring_stats st;
	hat_ring_stats(&rd, &st);
	assert_int_equal(st.used, 3);
	assert_int_equal(st.consumer_attaches, 1); /* the reader recorded nothing */
	assert_int_equal(st.consumer_pid, getpid());

	/* A write through the reader's mapping faults: prove it in a child. */
	pid_t child = tu_fork();
	if (child == 0) {
		signal(SIGSEGV, SIG_DFL); /* die by the signal, not by ASan's report */
		atomic_store_explicit(&rd.sh->cons, 0, memory_order_relaxed);
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSEGV);
	hat_ring_detach(&rd);
	assert_int_equal(hat_ring_count(&f->c), 3);
}

static void test_ring_corrupt_indices_return_eproto(void **state)
{
	struct fx *f = fx_new(state, 8, 64, 0);
	uint64_t v = 1;
	assert_int_equal(hat_ring_try_push(&f->p, &v, sizeof v), 0);
	assert_int_equal(hat_ring_try_push(&f->p, &v, sizeof v), 0);
	assert_int_equal(hat_ring_try_pop(&f->c, &v, sizeof v), 0); /* consumer caches prod 2 */
	struct hat_shm raw;
	struct hat_ring_shm *sh = raw_map(&raw, f->inst);

	/* Producer index far ahead: the consumer sees more than the ring can hold. */
	atomic_store(&sh->prod, 100);
	const void *slot;
	assert_int_equal(hat_ring_try_pop(&f->c, &v, sizeof v), 0); /* cached prod 2: still fine */
	assert_int_equal(hat_ring_peek(&f->c, &slot), -EPROTO);
	assert_int_equal(hat_ring_try_pop(&f->c, &v, sizeof v), -EPROTO);
	assert_int_equal(hat_ring_peek_n(&f->c, 4), 0);
	assert_int_equal(hat_ring_pop_n(&f->c, &v, 1, sizeof v), 0);
	assert_int_equal(hat_ring_check(&f->c, f->err, sizeof f->err), -EPROTO);
	char want[200];
	snprintf(want, sizeof want,
		 "ring /hat.%s.r: producer index 100 and consumer index 2 are more than the slot count apart",
		 f->inst);
	assert_string_equal(f->err, want);
	assert_int_equal(hat_ring_count(&f->c), 0);
	struct hat_ring r2;
	assert_int_equal(hat_ring_attach(&r2, f->inst, "r", HAT_RING_CONSUMER, 0, HAT_RING_TAKEOVER,
					 f->err, sizeof f->err), -EPROTO);
	snprintf(want, sizeof want, "ring /hat.%s.r: corrupt indices (producer 100, consumer 2, 8 slots)",
		 f->inst);
	assert_string_equal(f->err, want);

	/* Consumer ahead of the producer: the producer refuses to overwrite. It first uses up
	 * what its cached view says is free (6 slots), then refreshes and sees the nonsense. */
	atomic_store(&sh->prod, 2);
	atomic_store(&sh->cons, 100);
	int pushed = 0;
	while (hat_ring_try_push(&f->p, &v, sizeof v) == 0)
		pushed++;
	assert_int_equal(pushed, 6);
	assert_int_equal(hat_ring_try_push(&f->p, &v, sizeof v), -EPROTO);
	assert_int_equal(hat_ring_push_n(&f->p, &v, 1, sizeof v), 0);
	assert_int_equal(hat_ring_reserve_n(&f->p, 1), 0);
	assert_int_equal(hat_ring_check(&f->p, f->err, sizeof f->err), -EPROTO);
	snprintf(want, sizeof want,
		 "ring /hat.%s.r: producer index 8 and consumer index 100 are reversed (consumer ahead)",
		 f->inst);
	assert_string_equal(f->err, want);

	/* A corrupt config refuses attach with HAT_E_RANGE. */
	atomic_store(&sh->prod, 0);
	atomic_store(&sh->cons, 0);
	sh->slot_count = 6;
	assert_int_equal(hat_ring_attach(&r2, f->inst, "r", HAT_RING_READER, 0, 0, f->err,
					 sizeof f->err), HAT_E_RANGE);
	snprintf(want, sizeof want,
		 "ring /hat.%s.r: corrupt config: slot_count must be a power of two in [2, 16777216] "
		 "(got count 6, slot size 64)", f->inst);
	assert_string_equal(f->err, want);
	sh->slot_count = 16; /* valid but does not match the segment size */
	assert_int_equal(hat_ring_attach(&r2, f->inst, "r", HAT_RING_READER, 0, 0, f->err,
					 sizeof f->err), HAT_E_BADSIZE);
	snprintf(want, sizeof want, "ring /hat.%s.r: segment is 1024 bytes but 16 slots of 64 bytes need 1536",
		 f->inst);
	assert_string_equal(f->err, want);
	sh->slot_count = 8;
	hat_shm_close(&raw);
}

static void test_ring_wrong_role_call_aborts(void **state)
{
	struct fx *f = fx_new(state, 4, 64, 0);
	pid_t child = tu_fork();
	if (child == 0) {
		/* Keep the child's abort quiet in the log apart from the assert line. */
		uint64_t v = 1;
		hat_ring_try_push(&f->c, &v, sizeof v); /* consumer handle: HAT_ASSERT */
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* ---------------------------------------------------------------- backoff */

static void test_ring_backoff_progresses_spin_yield_sleep(void **state)
{
	(void)state;
	struct hat_ring_backoff b;
	hat_ring_backoff_init(&b, 3, 2, 1000);
	assert_int_equal(b.n, 0);
	for (int i = 0; i < 7; i++)
		hat_ring_backoff_wait(&b);
	assert_int_equal(b.n, 7);
	hat_ring_backoff_reset(&b);
	assert_int_equal(b.n, 0);
	b.n = UINT32_MAX;
	b.sleep_ns = 0;
	hat_ring_backoff_wait(&b); /* saturates, does not wrap back to spinning */
	assert_int_equal(b.n, UINT32_MAX);
}

#define T(fn) cmocka_unit_test_teardown(fn, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_create_rejects_bad_count_and_slot_size),
		T(test_ring_create_twice_returns_eexist),
		T(test_ring_segment_layout),
		T(test_ring_pop_when_empty_returns_eagain),
		T(test_ring_push_when_full_returns_eagain),
		T(test_ring_push_pop_len_validation),
		T(test_ring_partial_copy_keeps_rest_of_slot),
		T(test_ring_every_length_copies_exactly_len_bytes),
		T(test_ring_wraps_over_2_pow_32),
		T(test_ring_wraps_over_2_pow_64),
		T(test_ring_push_msg_seq_wraps_over_2_pow_32),
		T(test_ring_push_n_pop_n_partial_counts),
		T(test_ring_batch_stride_copies_stride_bytes),
		T(test_ring_reserve_is_invisible_until_commit),
		T(test_ring_reserve_n_commit_n_and_peek_n_release_n),
		T(test_ring_push_msg_stamps_seq_and_send_ns),
		T(test_ring_push_msg_rejects_bad_length),
		T(test_ring_push_msg_when_full_leaves_msg_untouched),
		T(test_ring_commit_msg_n_stamps_in_place),
		T(test_ring_commit_msg_n_bad_length_publishes_nothing),
		T(test_ring_seq_continues_after_producer_reattach),
		T(test_ring_consumer_reattach_resumes_at_unreleased),
		T(test_ring_read_copies_queued_messages_only),
		cmocka_unit_test(test_ring_attach_missing_returns_enoent),
		T(test_ring_attach_checks_expected_slot_size),
		cmocka_unit_test(test_ring_attach_refuses_non_ring_segment),
		T(test_ring_second_live_producer_is_refused),
		T(test_ring_reader_is_read_only_and_reports),
		T(test_ring_corrupt_indices_return_eproto),
		T(test_ring_wrong_role_call_aborts),
		cmocka_unit_test(test_ring_backoff_progresses_spin_yield_sleep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
