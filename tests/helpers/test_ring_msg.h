/* tests/helpers/test_ring_msg.h -- a 64-byte self-checking test message for the ring tests.
 *
 * The body is a pure function of seq, and the last word is a checksum over the header's seq and
 * the body, so a consumer can tell a message that is intact, stale (from an earlier lap of the
 * ring) or half-written. Header-only; used by tests/unit/test_ring.c and tests/proc/test_ring_*.c.
 */
#ifndef HAT_TESTS_TEST_RING_MSG_H
#define HAT_TESTS_TEST_RING_MSG_H

#include <stdint.h>

#include "common/msg_types.h"

#define TMSG_TYPE 0x7e57 /* not a pipeline type: tests only */

struct tmsg {
	struct hat_msg_hdr h;
	uint64_t a, b, c; /* f(seq) */
	uint64_t sum;     /* checksum over seq, a, b, c */
};
HAT_ASSERT_SIZE(struct tmsg, 64);

static inline uint64_t tmsg_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint64_t tmsg_sum(uint64_t seq, uint64_t a, uint64_t b, uint64_t c)
{
	return tmsg_mix(seq ^ tmsg_mix(a ^ tmsg_mix(b ^ tmsg_mix(c))));
}

/* Fills the body (and type/version/length) for the message that will get seq. Does not set
 * h.seq (the ring stamps it). */
static inline void tmsg_fill_body(struct tmsg *m, uint64_t seq)
{
	m->h.type = TMSG_TYPE;
	m->h.version = 1;
	m->h.length = sizeof *m;
	m->h.origin_ns = seq;
	m->a = tmsg_mix(seq);
	m->b = tmsg_mix(seq + 0x9e3779b97f4a7c15ULL);
	m->c = m->a ^ (m->b << 7);
	m->sum = tmsg_sum(seq, m->a, m->b, m->c);
}

/* 0 if m is the intact message number seq, else a short reason. */
static inline const char *tmsg_check(const struct tmsg *m, uint64_t seq)
{
	if (m->h.seq != seq)
		return "wrong seq";
	if (m->h.type != TMSG_TYPE || m->h.length != sizeof *m || m->h.origin_ns != seq)
		return "bad header";
	if (m->a != tmsg_mix(seq) || m->b != tmsg_mix(seq + 0x9e3779b97f4a7c15ULL) ||
	    m->c != (m->a ^ (m->b << 7)))
		return "bad body";
	if (m->sum != tmsg_sum(seq, m->a, m->b, m->c))
		return "bad checksum";
	return 0;
}

#endif
