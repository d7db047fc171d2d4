/* common/clock.h -- wall-clock and monotonic time in nanoseconds, and an injectable clock.
 *
 * hat_now_ns() is CLOCK_REALTIME (what message headers carry: origin_ns, send_ns, and what is
 * compared with exchange timestamps); hat_mono_ns() is CLOCK_MONOTONIC (timeouts, intervals,
 * latency measured inside one host). Both are vDSO calls (~20 ns), safe from any thread or
 * process, never fail on Linux (a failing clock_gettime aborts via HAT_ASSERT).
 *
 * Cores do no I/O (STYLE rule 12): they take now_ns as an argument. Adapters that need to read
 * time but must stay testable hold a `const struct hat_clock *` and call hat_clock_now() /
 * hat_clock_mono(); production passes &hat_clock_system, tests pass a struct hat_fake_clock.
 */
#ifndef HAT_COMMON_CLOCK_H
#define HAT_COMMON_CLOCK_H

#include <stdint.h>

#define HAT_NS_PER_US 1000ULL
#define HAT_NS_PER_MS 1000000ULL
#define HAT_NS_PER_S 1000000000ULL
#define HAT_MS_PER_DAY 86400000ULL

/* CLOCK_REALTIME in ns since the Unix epoch. */
uint64_t hat_now_ns(void);

/* CLOCK_MONOTONIC in ns (arbitrary origin, never goes back). */
uint64_t hat_mono_ns(void);

/* Sleeps at least ns nanoseconds (nanosleep, restarted after EINTR with the time left).
 * ns == 0 returns at once. */
void hat_sleep_ns(uint64_t ns);

/* ---------------------------------------------------------------- injectable clock */

/* A clock: two readers and their user pointer. Caller-owned; borrowed by whoever holds it. */
struct hat_clock {
	uint64_t (*now_ns)(void *user);  /* realtime, ns since epoch */
	uint64_t (*mono_ns)(void *user); /* monotonic ns */
	void *user;
};

/* The real clocks (hat_now_ns, hat_mono_ns). Immutable. */
extern const struct hat_clock hat_clock_system;

static inline uint64_t hat_clock_now(const struct hat_clock *c) { return c->now_ns(c->user); }
static inline uint64_t hat_clock_mono(const struct hat_clock *c) { return c->mono_ns(c->user); }

/* A manual clock for tests: time moves only when the test says so. */
struct hat_fake_clock {
	struct hat_clock clock; /* pass &fc->clock to the code under test */
	uint64_t now_ns;        /* current realtime value */
	uint64_t mono_ns;       /* current monotonic value */
};

/* Sets both readings and points fc->clock at them. fc is caller-owned and must outlive every
 * user of fc->clock. */
void hat_fake_clock_init(struct hat_fake_clock *fc, uint64_t now_ns, uint64_t mono_ns);

/* Moves both readings forward by ns. */
void hat_fake_clock_advance(struct hat_fake_clock *fc, uint64_t ns);

#endif
