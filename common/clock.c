/* common/clock.c -- realtime/monotonic ns and the fake clock for tests. */
#include "common/clock.h"
#include "common/compiler.h"

#include <errno.h>
#include <time.h>

static uint64_t read_clock(clockid_t id)
{
	struct timespec ts;
	/* clock_gettime cannot fail for these ids on Linux; if it does, memory is corrupt. */
	int rc = clock_gettime(id, &ts);
	HAT_ASSERT(rc == 0);
	return (uint64_t)ts.tv_sec * HAT_NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t hat_now_ns(void) { return read_clock(CLOCK_REALTIME); }

uint64_t hat_mono_ns(void) { return read_clock(CLOCK_MONOTONIC); }

void hat_sleep_ns(uint64_t ns)
{
	if (ns == 0)
		return;
	struct timespec ts = { .tv_sec = (time_t)(ns / HAT_NS_PER_S), .tv_nsec = (long)(ns % HAT_NS_PER_S) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static uint64_t sys_now(void *user) { (void)user; return hat_now_ns(); }
static uint64_t sys_mono(void *user) { (void)user; return hat_mono_ns(); }

const struct hat_clock hat_clock_system = { .now_ns = sys_now, .mono_ns = sys_mono, .user = 0 };

static uint64_t fake_now(void *user) { return ((struct hat_fake_clock *)user)->now_ns; }
static uint64_t fake_mono(void *user) { return ((struct hat_fake_clock *)user)->mono_ns; }

void hat_fake_clock_init(struct hat_fake_clock *fc, uint64_t now_ns, uint64_t mono_ns)
{
	fc->clock.now_ns = fake_now;
	fc->clock.mono_ns = fake_mono;
	fc->clock.user = fc;
	fc->now_ns = now_ns;
	fc->mono_ns = mono_ns;
}

void hat_fake_clock_advance(struct hat_fake_clock *fc, uint64_t ns)
{
	fc->now_ns += ns;
	fc->mono_ns += ns;
}
