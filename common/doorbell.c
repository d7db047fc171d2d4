/* common/doorbell.c -- futex-backed doorbell (contract in doorbell.h). */
#include "common/doorbell.h"
#include "common/clock.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void hat__doorbell_wake(struct hat_doorbell *b)
{
	atomic_fetch_add_explicit(&b->seq, 1, memory_order_seq_cst);
	atomic_fetch_add_explicit(&b->wakes, 1, memory_order_relaxed);
	/* Shared futex (no FUTEX_PRIVATE_FLAG): the word is in a segment mapped by other
	 * processes. A failure (EFAULT cannot happen on a mapped word) only costs latency. */
	syscall(SYS_futex, &b->seq, FUTEX_WAKE, 1, NULL, NULL, 0);
}

uint32_t hat_doorbell_arm(struct hat_doorbell *b)
{
	uint32_t seq = atomic_load_explicit(&b->seq, memory_order_acquire);
	atomic_store_explicit(&b->armed, 1, memory_order_relaxed);
	/* Full fence: armed is visible before the caller re-reads its rings (pairs with the
	 * fence in hat_doorbell_ring()). */
	atomic_thread_fence(memory_order_seq_cst);
	return seq;
}

void hat_doorbell_disarm(struct hat_doorbell *b)
{
	atomic_store_explicit(&b->armed, 0, memory_order_relaxed);
}

int hat_doorbell_wait(struct hat_doorbell *b, uint32_t seq, uint64_t timeout_ns)
{
	if (atomic_load_explicit(&b->seq, memory_order_acquire) == seq) {
		struct timespec ts = { .tv_sec = (time_t)(timeout_ns / HAT_NS_PER_S),
				       .tv_nsec = (long)(timeout_ns % HAT_NS_PER_S) };
		atomic_fetch_add_explicit(&b->sleeps, 1, memory_order_relaxed);
		/* Returns at once with EAGAIN if seq already moved; ETIMEDOUT, EINTR: just return. */
		syscall(SYS_futex, &b->seq, FUTEX_WAIT, seq, &ts, NULL, 0);
	}
	hat_doorbell_disarm(b);
	return atomic_load_explicit(&b->seq, memory_order_acquire) != seq;
}
