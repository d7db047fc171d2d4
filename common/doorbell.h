/* common/doorbell.h -- wakes a stage that sleeps because its input rings are empty.
 *
 * CONTRACT
 *  - One doorbell per consuming stage, in its control block (control.h), so it lives in shared
 *    memory that every stage of the instance maps. Any number of producers ring it; exactly one
 *    consumer (the stage) waits on it.
 *  - Producer: after publishing to a ring, hat_doorbell_ring(). Rings whose handle has a
 *    doorbell (hat_ring_set_doorbell) do this themselves on every publish. It costs a fence
 *    and one load while the consumer is awake, a futex wake-up system call only while it
 *    sleeps.
 *  - Consumer: when a pass over its inputs found nothing to do,
 *        uint32_t seq = hat_doorbell_arm(b);
 *        if (<any input ring non-empty>) hat_doorbell_disarm(b);
 *        else hat_doorbell_wait(b, seq, timeout_ns);
 *    The re-check after arming is what makes it safe: arm and ring are ordered by full fences
 *    (Dekker), so either the consumer's re-check sees the message or the producer sees the
 *    armed flag and wakes it; and a ring between arm and wait makes the wait return at once
 *    (the futex compares the sequence word). A wait also ends at timeout_ns, on a signal or
 *    spuriously: callers loop, never assume a message is there.
 *  - Works across processes (shared futex on the segment's page) and survives either side
 *    dying at any point: a dead consumer leaves the flag armed (producers then make one
 *    useless wake call per publish until the stage restarts and disarms it); a dead producer
 *    leaves nothing behind.
 */
#ifndef HAT_COMMON_DOORBELL_H
#define HAT_COMMON_DOORBELL_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/compiler.h"

struct hat_doorbell {
	_Atomic uint32_t seq;     /* bumped by each ring that finds the consumer armed (futex word) */
	_Atomic uint32_t armed;   /* 1 while the consumer is (about to be) asleep */
	_Atomic uint64_t wakes;   /* futex wake calls made (informative) */
	_Atomic uint64_t sleeps;  /* waits that reached the futex (informative) */
	uint8_t _pad[40];
} HAT_ALIGNED(HAT_CACHELINE);
HAT_ASSERT_SIZE(struct hat_doorbell, 64);

/* Private: the slow path of hat_doorbell_ring() (the consumer is armed). */
void hat__doorbell_wake(struct hat_doorbell *b);

/* Producer side, after a publish. */
static inline void hat_doorbell_ring(struct hat_doorbell *b)
{
	/* Full fence: the publish before it is visible before we read armed (pairs with the
	 * fence in hat_doorbell_arm()). */
	atomic_thread_fence(memory_order_seq_cst);
	if (hat_unlikely(atomic_load_explicit(&b->armed, memory_order_relaxed)))
		hat__doorbell_wake(b);
}

/* Consumer side: announces the intent to sleep; returns the sequence to pass to wait(). */
uint32_t hat_doorbell_arm(struct hat_doorbell *b);

/* Consumer side: found input after arming after all. */
void hat_doorbell_disarm(struct hat_doorbell *b);

/* Consumer side: sleeps until a ring after arm() (returns at once if one already happened),
 * timeout_ns passes, or a signal arrives; then disarms. Returns 1 if woken by a ring (the
 * sequence moved), 0 otherwise (timeout, signal, spurious). */
int hat_doorbell_wait(struct hat_doorbell *b, uint32_t seq, uint64_t timeout_ns);

#endif
